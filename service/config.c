#include "config.h"
#include "alloc.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

mz_config g_mz_config;

/* T_ENUM: a string that must be one of `choices`; T_HOSTPORT: a string
 * of the form host:port (mz_config_listen). Every check of a variable's
 * value lives in this table, so --help, the README test and the loader
 * cannot disagree about what is accepted. */
typedef enum { T_STR, T_LONG, T_BOOL, T_ENUM, T_HOSTPORT } cfg_type;

#define MAX_CHOICES 6

typedef struct cfg_entry {
    const char *name;
    cfg_type type;
    size_t offset;
    const char *def; /* NULL: unset */
    long min, max;   /* for T_LONG */
    const char *help;
    const char *choices[MAX_CHOICES]; /* for T_ENUM, NULL-terminated */
} cfg_entry;

#define S(field) offsetof(mz_config, field)
/* One entry: name, type, offset (S(field)), default, min, max (T_LONG), help, and for
 * T_ENUM `.choices = {...}`. */
#define V(n, t, off, d, lo, hi, h, ...)                                                            \
    {                                                                                              \
        .name = n, .type = t, .offset = off, .def = d, .min = lo, .max = hi, .help = h,            \
        __VA_ARGS__                                                                                \
    }

static const cfg_entry table[] = {
    V("MZ_DATABASE_URL", T_STR, S(database_url), "", 0, 0,
      "libpq connection string; empty uses libpq's PG* defaults (the run command points it at its "
      "embedded cluster)"),
    V("MZ_DATABASE_READ_URL", T_STR, S(database_read_url), NULL, 0, 0,
      "optional libpq connection string of a read replica"),
    V("MZ_LISTEN", T_HOSTPORT, S(listen), "127.0.0.1:8080", 0, 0, "host:port to listen on"),
    V("MZ_JWT_PUBLIC_KEY_FILE", T_STR, S(jwt_public_key_file), NULL, 0, 0,
      "PEM public key that verifies tokens (required by serve)"),
    V("MZ_JWT_PRIVATE_KEY_FILE", T_STR, S(jwt_private_key_file), NULL, 0, 0,
      "development only: PEM private key used by dev-token"),
    V("MZ_JWT_ALG", T_ENUM, S(jwt_alg), "RS256", 0, 0, "pinned token algorithm: RS256 or ES256",
      .choices = {"RS256", "ES256", NULL}),
    V("MZ_JWT_ISSUER", T_STR, S(jwt_issuer), "https://login.mijnzaken.example", 0, 0,
      "required iss claim"),
    V("MZ_JWT_AUDIENCE", T_STR, S(jwt_audience), "mijnzaken", 0, 0,
      "audience that the aud claim must contain"),
    V("MZ_AGENCIES_FILE", T_STR, S(agencies_file), NULL, 0, 0, "agencies configuration (JSON)"),
    V("MZ_PSEUDONYM_KEY_FILE", T_STR, S(pseudonym_key_file), NULL, 0, 0,
      "key for the keyed BSN pseudonym (HMAC-SHA256); required"),
    V("MZ_REFRESH_AFTER", T_LONG, S(refresh_after), "300", 0, 86400,
      "seconds after which a citizen's read refreshes an agency's data"),
    V("MZ_REFRESH_DEADLINE_MS", T_LONG, S(refresh_deadline_ms), "1500", 0, 60000,
      "milliseconds a citizen's read waits for agencies before serving from the store"),
    V("MZ_REFRESH_MAX_INFLIGHT", T_LONG, S(refresh_max_inflight), "64", 0, 10000,
      "most agency refreshes running at once; beyond it reads are served from the store"),
    V("MZ_CASE_CACHE_ENTRIES", T_LONG, S(case_cache_entries), "10000", 0, 10000000,
      "citizens' case-list answers kept in memory (exact by invalidation); 0 = off"),
    V("MZ_CASE_CACHE_BYTES", T_LONG, S(case_cache_bytes), "8388608", 65536, 1073741824,
      "most bytes those answers may take"),
    V("MZ_DOCUMENT_MAX_BYTES", T_LONG, S(document_max_bytes), "52428800", 1, 1073741824,
      "largest document content passed on to a citizen, in bytes"),
    V("MZ_DOCUMENT_DEADLINE_SECONDS", T_LONG, S(document_deadline_seconds), "300", 1, 3600,
      "seconds a document download may take, from the request to the last byte"),
    V("MZ_DEV_MODE", T_BOOL, S(dev_mode), "0", 0, 0,
      "1 enables development-only features (demo login); never in production"),
    V("MZ_THREADS", T_LONG, S(threads), "0", 0, 256, "HTTP worker threads; 0 = one per core"),
    V("MZ_MAX_CONNECTIONS", T_LONG, S(max_connections), "1024", 1, 65536,
      "maximum concurrent HTTP connections"),
    V("MZ_PER_IP_CONNECTIONS", T_LONG, S(per_ip_connections), "128", 0, 65536,
      "maximum concurrent connections per client IP; 0 = no per-IP limit (behind a load "
      "balancer all clients share its address: raise it there)"),
    V("MZ_CONNECTION_TIMEOUT", T_LONG, S(connection_timeout), "15", 1, 3600,
      "seconds an idle connection is kept"),
    V("MZ_MAX_BODY_BYTES", T_LONG, S(max_body_bytes), "65536", 1024, 16777216,
      "largest accepted request body"),
    V("MZ_LOG_LEVEL", T_ENUM, S(log_level), "info", 0, 0, "debug, info, warn or error",
      .choices = {"debug", "info", "warn", "error", NULL}),
    V("MZ_PORTAL_DIR", T_STR, S(portal_dir), MZ_PORTAL_DEFAULT_DIR, 0, 0,
      "the portal's built files (portal/dist), served at /; empty = no portal"),
    V("MZ_ORGANISATION", T_STR, S(organisation), "MijnZaken", 0, 0,
      "organisation recorded in the processing log for reads by this service's users (a "
      "professional token's org claim takes precedence)"),
    V("MZ_PROCESSING_ACTIVITIES_FILE", T_STR, S(activities_file), NULL, 0, 0,
      "processing activities (JSON); unset = the built-in list"),
    V("MZ_SYNC_LEASE_SECONDS", T_LONG, S(sync_lease_seconds), "120", 4, 3600,
      "how long a claimed sync stays claimed without renewal (a crashed instance's agency is "
      "picked up again after this)"),
    V("MZ_RETENTION_CLOSED_DAYS", T_LONG, S(retention_closed_days), "730", 1, 36500,
      "purge removes cases closed longer ago than this many days"),
    V("MZ_RETENTION_LOG_DAYS", T_LONG, S(retention_log_days), "730", 1, 36500,
      "purge removes processing-log and audit records older than this many days"),
    V("MZ_RETENTION_INBOX_DAYS", T_LONG, S(retention_inbox_days), "30", 1, 36500,
      "purge removes processed inbox rows older than this many days"),
    V("MZ_RETENTION_NOTIFY_DAYS", T_LONG, S(retention_notify_days), "90", 1, 36500,
      "purge removes sent and failed notification messages whose last outcome is older than "
      "this many days"),
    V("MZ_RETENTION_CONTACT_DAYS", T_LONG, S(retention_contact_days), "365", 1, 36500,
      "purge removes contact moments (and their hand-overs) older than this many days"),
    V("MZ_INBOX_MAX_ATTEMPTS", T_LONG, S(inbox_max_attempts), "10", 1, 1000,
      "attempts after which a pushed update that keeps failing is given up (kept with its error, "
      "shown in the admin view and metrics; `inbox reprocess` tries it again)"),
    V("MZ_CONTACT_KEY_FILE", T_STR, S(contact_key_file), NULL, 0, 0,
      "AES-256 key (64 hex characters) that encrypts citizens' contact details; unset = the "
      "notification preferences API answers 503"),
    V("MZ_NOTIFY_URL", T_STR, S(notify_url), NULL, 0, 0,
      "NotifyNL (GOV.UK Notify API v2) base URL; unset = no messages are sent"),
    V("MZ_NOTIFY_API_KEY_FILE", T_STR, S(notify_api_key_file), NULL, 0, 0,
      "file holding the Notify API key ({name}-{service id}-{secret}); required with "
      "MZ_NOTIFY_URL"),
    V("MZ_NOTIFY_TEMPLATES", T_STR, S(notify_templates), NULL, 0, 0,
      "JSON file: Notify template id per message kind and channel; required with MZ_NOTIFY_URL"),
    V("MZ_NOTIFY_CALLBACK_TOKEN_FILE", T_STR, S(notify_callback_token_file), NULL, 0, 0,
      "file holding the bearer token Notify's delivery-status callback sends; unset = the "
      "callback answers 401"),
    V("MZ_NOTIFY_DIGEST_SECONDS", T_LONG, S(notify_digest_seconds), "900", 0, 86400,
      "a citizen's changes within this many seconds become one message"),
    V("MZ_NOTIFY_MAX_ATTEMPTS", T_LONG, S(notify_max_attempts), "10", 1, 100,
      "attempts after which a message Notify keeps refusing with 5xx/429 or timeouts is given up"),
    V("MZ_NOTIFY_REMINDER_DAYS", T_LONG, S(notify_reminder_days), "3", 0, 60,
      "a reminder of a required action this many days before its due date (once per case and "
      "due date); 0 = no reminders"),
    V("MZ_PUSH_FRESH_WINDOW", T_LONG, S(push_fresh_window), "3600", 1, 604800,
      "seconds after an agency's last accepted push during which its push channel counts as "
      "healthy (its data is fresh without asking it), provided no push waits longer than 60 s"),
    V("MZ_PUBLIC_URL", T_STR, S(public_url), NULL, 0, 0,
      "the portal's own origin (https://host, or http://localhost|127.0.0.1:port for development); "
      "sign-in redirect URIs and the CSRF Origin check derive from it; required when a sign-in "
      "kind is configured"),
#define OIDC_KIND(K, k, who)                                                                       \
    V("MZ_OIDC_" K "_ISSUER", T_STR, S(oidc_##k.issuer), NULL, 0, 0,                               \
      "OpenID provider issuer for " who " sign-in; set = this sign-in is enabled"),                \
        V("MZ_OIDC_" K "_CLIENT_ID", T_STR, S(oidc_##k.client_id), NULL, 0, 0,                     \
          "client id registered at the " who " OpenID provider"),                                  \
        V("MZ_OIDC_" K "_CLIENT_KEY_FILE", T_STR, S(oidc_##k.client_key_file), NULL, 0, 0,         \
          "PEM private key (RSA >= 2048 or EC P-256) for private_key_jwt at the " who " OP"),      \
        V("MZ_OIDC_" K "_CLIENT_SECRET_FILE", T_STR, S(oidc_##k.client_secret_file), NULL, 0, 0,   \
          "file holding the client secret for client_secret_basic at the " who                     \
          " OP (instead of a key file)"),                                                          \
        V("MZ_OIDC_" K "_SCOPES", T_STR, S(oidc_##k.scopes), "openid", 0, 0,                       \
          "scopes requested at the " who " OP (always includes openid)"),                          \
        V("MZ_OIDC_" K "_ACR_VALUES", T_STR, S(oidc_##k.acr_values), NULL, 0, 0,                   \
          "accepted acr values for " who " sign-in, space-separated; required; anything else is "  \
          "refused"),                                                                              \
        V("MZ_OIDC_" K "_CLAIMS", T_STR, S(oidc_##k.claims), NULL, 0, 0,                           \
          "JSON mapping of our claim names to the " who " OP's: {\"bsn\",\"kvk\",\"act\","         \
          "\"roles\",\"org\",\"roleMap\"}; unset = the same names")
    OIDC_KIND("CITIZEN", citizen, "citizen"),
    OIDC_KIND("PROFESSIONAL", professional, "professional"),
#undef OIDC_KIND
    V("MZ_OIDC_CITIZEN_EHERKENNING_SCOPE", T_STR, S(oidc_eherkenning_scope), NULL, 0, 0,
      "a scope added to the citizen OP's authorization request for \"Inloggen met eHerkenning\" "
      "(a broker offering DigiD and eHerkenning); unset = no eHerkenning sign-in"),
    V("MZ_OIDC_TIMEOUT_MS", T_LONG, S(oidc_timeout_ms), "5000", 200, 60000,
      "deadline of each request to an OpenID provider (discovery, keys, token)"),
    V("MZ_OIDC_JWKS_REFETCH_SECONDS", T_LONG, S(oidc_jwks_refetch_seconds), "60", 1, 3600,
      "least seconds between two fetches of a provider's keys on an unknown kid"),
    V("MZ_SESSION_IDLE_SECONDS", T_LONG, S(session_idle_seconds), "900", 1, 86400,
      "a signed-in session ends after this many seconds without use"),
    V("MZ_SESSION_MAX_SECONDS", T_LONG, S(session_max_seconds), "28800", 1, 604800,
      "a signed-in session ends this many seconds after sign-in, used or not"),
};

/* "a, b or c" from an entry's choices. */
static void choices_text(const cfg_entry *e, char *out, size_t outlen)
{
    size_t n = 0, len = 0;
    while (n < MAX_CHOICES && e->choices[n])
        n++;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < outlen; i++)
        len += (size_t)snprintf(out + len, outlen - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? " or "
                                             : ", ",
                                e->choices[i]);
}

static bool valid_choice(const cfg_entry *e, const char *v)
{
    for (size_t i = 0; i < MAX_CHOICES && e->choices[i]; i++)
        if (strcmp(v, e->choices[i]) == 0)
            return true;
    return false;
}

/* Checks one string-valued entry; false with a message naming it. */
static bool check_string(const mz_config *c, const cfg_entry *e, const char *v, char *err,
                         size_t errlen)
{
    if (e->type == T_ENUM && (!v || !valid_choice(e, v))) {
        char list[200];
        choices_text(e, list, sizeof list);
        snprintf(err, errlen, "%s must be %s", e->name, list);
        return false;
    }
    char host[256];
    unsigned port;
    if (e->type == T_HOSTPORT && !mz_config_listen(c, host, &port)) {
        snprintf(err, errlen, "%s must be host:port", e->name);
        return false;
    }
    return true;
}

bool mz_config_load(mz_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const cfg_entry *e = &table[i];
        const char *v = getenv(e->name);
        if (!v || !*v)
            v = e->def;
        void *field = (char *)c + e->offset;
        switch (e->type) {
        case T_STR:
        case T_ENUM:
        case T_HOSTPORT:
            *(char **)field = mz_xstrdup(v);
            if (!check_string(c, e, v, err, errlen)) {
                mz_config_free(c);
                return false;
            }
            break;
        case T_LONG: {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || end == v || *end || n < e->min || n > e->max) {
                snprintf(err, errlen, "%s must be an integer from %ld to %ld", e->name, e->min,
                         e->max);
                mz_config_free(c);
                return false;
            }
            *(long *)field = n;
            break;
        }
        case T_BOOL:
            if (strcmp(v, "1") && strcmp(v, "0") && strcmp(v, "true") && strcmp(v, "false")) {
                snprintf(err, errlen, "%s must be 0 or 1", e->name);
                mz_config_free(c);
                return false;
            }
            *(bool *)field = !strcmp(v, "1") || !strcmp(v, "true");
            break;
        }
    }
    return true;
}

void mz_config_free(mz_config *c)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].type != T_LONG && table[i].type != T_BOOL) {
            char **p = (char **)((char *)c + table[i].offset);
            free(*p);
            *p = NULL;
        }
}

void mz_config_print_help(FILE *out)
{
    fprintf(out, "Environment variables:\n");
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        fprintf(out, "  %-24s %s (default: %s)\n", table[i].name, table[i].help,
                table[i].def ? (*table[i].def ? table[i].def : "empty") : "unset");
}

bool mz_config_listen(const mz_config *c, char *host, unsigned *port)
{
    const char *colon = c->listen ? strrchr(c->listen, ':') : NULL;
    if (!colon || colon == c->listen || (size_t)(colon - c->listen) >= 256)
        return false;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return false;
    memcpy(host, c->listen, (size_t)(colon - c->listen));
    host[colon - c->listen] = '\0';
    *port = (unsigned)p;
    return true;
}
