/*
 * agencies.h — the agencies configuration (MZ_AGENCIES_FILE).
 *
 * Why a file and not the database: which systems we pull from, with which
 * credentials, is deployment configuration, reviewed like code; the
 * `agencies` table mirrors it (so cases can reference agencies and the
 * admin view can count) and is rewritten from the file at start-up.
 *
 * Validation is strict and complete before anything starts: an invalid file
 * stops start-up with a message naming the agency and the field
 * ("agencies[1] (uwv): adapter.zakenUrl: must be an http(s) URL").
 * Secrets are referenced, never inline: "<name>Env" names an environment
 * variable, "<name>File" a file; resolved values are kept in memory only and
 * never logged or stored.
 *
 * Ownership: mz_agencies_load returns a set the caller frees with
 * mz_agencies_free (which also frees every adapter state). Pointers into
 * it live as long as the set. g_mz_agencies is the serving process's set
 * (NULL when no file is configured): loaded at start-up and swapped by
 * SIGHUP through mz_agencies_publish, so threads read it with
 * mz_agencies_current, never directly (see below).
 */
#ifndef MZ_AGENCIES_H
#define MZ_AGENCIES_H

#include <stdbool.h>
#include <stddef.h>

#include "adapter.h"
#include "db.h"
#include "json.h"

typedef struct mz_status_map {
    char *text;  /* the agency's status text (or ZGW statustype omschrijving) */
    char *group; /* one of the seven status groups */
} mz_status_map;

struct mz_agency {
    char *id;
    char *name;
    char *contact_url;
    char *contact_phone;
    char *contact_professional_phone;
    char *kind; /* adapter kind */
    const mz_adapter_ops *ops;
    void *state;         /* the adapter's, from ops->init */
    char *settings_json; /* the adapter settings as JSON (secrets are references only) */
    long poll_interval;  /* seconds, 10..86400, default 300 */
    bool enabled;
    mz_status_map *status_map;
    size_t n_status_map;
    char *webhook_secret;     /* resolved; NULL when pushes are not configured */
    char *notifications_auth; /* resolved; NULL when not configured */
    /* Hand-over of contact moments (015, handover.h): where to POST them and
     * the Standard Webhooks secret ("whsec_..."), resolved; both NULL when
     * the agency takes no hand-overs. */
    char *handover_url;
    char *handover_secret;
};

typedef struct mz_agencies {
    mz_agency *items;
    size_t n;
} mz_agencies;

/* Parses and validates; initialises each agency's adapter (init_adapters
 * false skips that, for commands that only need names). */
mz_agencies *mz_agencies_load(const char *path, bool init_adapters, char *err, size_t errlen);
mz_agencies *mz_agencies_parse(const char *text, size_t len, bool init_adapters, char *err,
                               size_t errlen);
void mz_agencies_free(mz_agencies *a);
const mz_agency *mz_agencies_find(const mz_agencies *a, const char *id);

/* Writes every agency into the agencies table (and its sync_state row). */
bool mz_agencies_store(const mz_agencies *a, mz_db *db, char *err, size_t errlen);

/* An agency id: 1-63 of a-z, 0-9 and '-' (not first). */
bool mz_agency_id_valid(const char *s);

/* The base URLs the agency's adapter may request (its outbound clients'
 * allow-list, adapter.h base_urls) as a NULL-terminated list in out, which
 * holds MZ_OUTBOUND_MAX_BASES + 1; returns how many. 0 (nothing allowed)
 * when the adapter is not initialised or cannot say. The strings belong to
 * the agency's adapter state. */
size_t mz_agency_base_urls(const mz_agency *a, const char **out);

/* The configured status group for an agency's status text, or NULL. */
const char *mz_agency_map_status(const mz_agency *a, const char *text);

/* Resolves the secret referenced as <name>Env / <name>File in obj. Returns
 * a malloc'd value, or NULL with err set (also when neither is given and
 * required is true; when not required and absent, NULL with err empty).
 * An inline <name> member is refused. */
char *mz_secret_resolve(const mz_json *obj, const char *name, bool required, char *err,
                        size_t errlen);
/* The same, also giving the value's length in *len: a file may hold a NUL,
 * which would otherwise silently cut the value short. */
char *mz_secret_resolve_len(const mz_json *obj, const char *name, bool required, size_t *len,
                            char *err, size_t errlen);

/* Field helpers shared with the adapters' init functions. */
bool mz_cfg_string(const mz_json *obj, const char *field, bool required, size_t max,
                   const char **out, char *err, size_t errlen);
bool mz_cfg_url(const mz_json *obj, const char *field, bool required, const char **out, char *err,
                size_t errlen);
bool mz_cfg_long(const mz_json *obj, const char *field, long min, long max, long def, long *out,
                 char *err, size_t errlen);

extern mz_agencies *g_mz_agencies;

/* The serving set, read atomically: SIGHUP swaps in a new set while
 * requests run. A replaced set is retired, not freed, until shutdown, so a
 * request still holding it stays safe. */
mz_agencies *mz_agencies_current(void);
void mz_agencies_publish(mz_agencies *set);
/* Frees every retired set (at shutdown, after the threads stopped). */
void mz_agencies_free_retired(void);

#endif
