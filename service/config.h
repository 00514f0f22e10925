/*
 * config.h — the service's configuration, read from environment variables.
 *
 * Why a declarative table (after pgbouncer): one list says, for each
 * variable, its type, default and meaning; `mijnzaken --help` prints it and
 * README's table is checked against it by reading, so docs and code cannot
 * drift silently. Values are parsed strictly: a malformed number is a
 * start-up error, never a silent default.
 *
 * Ownership: mz_config_load fills a struct whose strings are malloc'd;
 * mz_config_free releases them. The global g_mz_config is set once at
 * start-up and read-only afterwards.
 */
#ifndef MZ_CONFIG_H
#define MZ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One OpenID provider configuration (MZ_OIDC_{KIND}_*); issuer NULL = off. */
typedef struct mz_config_oidc {
    char *issuer;
    char *client_id;
    char *client_key_file;
    char *client_secret_file;
    char *scopes;
    char *acr_values;
    char *claims;
} mz_config_oidc;

typedef struct mz_config {
    char *database_url;
    char *database_read_url;
    char *listen; /* host:port */
    char *jwt_public_key_file;
    char *jwt_private_key_file; /* development only: dev-token signs with it */
    char *jwt_alg;
    char *jwt_issuer;
    char *jwt_audience;
    char *agencies_file;
    char *pseudonym_key_file;
    long refresh_after;        /* seconds */
    long refresh_deadline_ms;  /* how long a citizen's read waits for agencies */
    long refresh_max_inflight; /* cap on concurrent background refreshes */
    long case_cache_entries;   /* case_cache.h; 0 = off */
    long case_cache_bytes;
    long document_max_bytes;        /* a document download's size cap (issue 16) */
    long document_deadline_seconds; /* and its deadline */
    long push_fresh_window;         /* seconds a push keeps a healthy channel's agency fresh */
    bool dev_mode;
    long threads; /* 0 = one per core */
    long max_connections;
    long per_ip_connections;
    long connection_timeout; /* seconds */
    long max_body_bytes;
    char *log_level;
    char *portal_dir;           /* the portal's built files, served at / */
    char *organisation;         /* who answers for processing done by this service */
    char *activities_file;      /* processing activities (purposes) */
    long sync_lease_seconds;    /* how long a claimed agency stays claimed without renewal */
    long retention_closed_days; /* purge: cases closed longer ago */
    long retention_log_days;    /* purge: processing log and audit records */
    long retention_inbox_days;  /* purge: processed inbox rows */
    long retention_notify_days; /* purge: final notification outbox rows */
    long inbox_max_attempts;    /* an inbox row is given up after this many failed attempts */
    char *public_url;           /* the portal's origin (sign-in, CSRF) */
    /* purge: contact moments and their hand-overs (015) */
    long retention_contact_days;
    mz_config_oidc oidc_citizen;
    mz_config_oidc oidc_professional;
    char *oidc_eherkenning_scope;   /* scope asking the citizen OP for eHerkenning; NULL = none */
    long oidc_timeout_ms;           /* per request to an OP */
    long oidc_jwks_refetch_seconds; /* rate limit of key refetches */
    long session_idle_seconds;
    long session_max_seconds;
    /* notifications (issue 15, service/notify.h) */
    char *notify_url;                 /* NotifyNL API base; unset = no sender */
    char *notify_api_key_file;        /* {name}-{service id}-{secret} */
    char *notify_templates;           /* JSON file: template id per kind and channel */
    char *notify_callback_token_file; /* bearer token Notify's delivery callback sends */
    char *contact_key_file;           /* AES-256 key for contact details (64 hex) */
    long notify_digest_seconds;       /* changes within this window become one message */
    long notify_max_attempts;         /* a message is given up after this many attempts */
    long notify_reminder_days;        /* reminder this many days before an action is due; 0 = off */
} mz_config;

/* Reads every variable in the table; on error writes a message naming the
 * variable to err and returns false. */
bool mz_config_load(mz_config *c, char *err, size_t errlen);
void mz_config_free(mz_config *c);
/* Prints the table (name, default, meaning) for --help. */
void mz_config_print_help(FILE *out);

/* Splits c->listen into host and port; false if malformed. host must hold 256. */
bool mz_config_listen(const mz_config *c, char *host, unsigned *port);

extern mz_config g_mz_config;

#endif
