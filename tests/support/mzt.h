/*
 * mzt.h — integration-test support: a throwaway database per test program,
 * the real `mijnzaken` binary started as a child process on a loopback
 * port, an HTTP client (libcurl), and token minting with test keys.
 *
 * Environment (set by scripts/test.sh and CMake): MZ_TEST_DATABASE_URL (an
 * admin connection to the throwaway cluster), MZ_BIN (the binary under
 * test), MZ_SOURCE_DIR.
 *
 * Ownership: every mzt_* struct is owned by the test; the matching
 * *_free/stop releases it. Response bodies are malloc'd (mzt_resp_free).
 */
#ifndef MZT_H
#define MZT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct mzt_env {
    char dir[256]; /* temp dir: keys, logs */
    char dbname[64];
    char db_url[512]; /* connection string of the test database */
} mzt_env;

/* Creates temp dir, keys (mijnzaken init-dev) and a fresh migrated database.
 * Returns false (and prints why) when the environment is missing. */
bool mzt_env_setup(mzt_env *e, const char *name);
/* Dumps the whole test database with pg_dump and fails (returns false, and
 * says where) when any BSN or KVK number the tests use appears in it: the
 * store must hold
 * only pseudonyms. Then drops the database. */
bool mzt_env_teardown(mzt_env *e);

/* Every BSN the test suite uses, NULL-terminated. */
extern const char *const mzt_test_bsns[];
/* Every KVK number the test suite uses (fictitious), NULL-terminated; the
 * dump check and scripts/check-logs.sh look for each. */
extern const char *const mzt_test_kvks[];

/* Runs `mijnzaken <args...>` with the env's configuration; returns the exit
 * status (or -1). extra_env: NULL-terminated "K=V" strings, may be NULL. */
int mzt_run(const mzt_env *e, const char *const *extra_env, const char *const *args);

/* Starts `mijnzaken <args...>` without waiting; stderr goes to logpath
 * (or the env's commands.log when NULL). Returns the pid or -1. */
pid_t mzt_start(const mzt_env *e, const char *const *extra_env, const char *const *args,
                const char *logpath);
/* Waits for a child started with mzt_start; returns its exit status. */
int mzt_wait(pid_t pid);

/* For tests that write through the store: loads the env's pseudonym key
 * into this process (so mz_pseudonym gives what the service computes) and
 * connects to the test database. The caller closes it with mz_db_close;
 * NULL (and a message on stderr) on failure. */
struct mz_db *mzt_store_open(const mzt_env *e);

/* Runs SQL on the env's test database as the admin; false on error. */
bool mzt_sql(const mzt_env *e, const char *sql);

/* First column of the first row as a number (-1 on error or no row) or as
 * a malloc'd string (NULL on error, no row or SQL NULL). */
long mzt_query_long(const mzt_env *e, const char *sql);
char *mzt_query_text(const mzt_env *e, const char *sql);

typedef struct mzt_server {
    pid_t pid;
    unsigned port;
    char log[300];
    bool contract; /* mzt_http checks its answers against the OpenAPI document */
} mzt_server;

/* Starts `mijnzaken serve` on 127.0.0.1:<free port>; waits until it logs
 * "listening". extra_env overrides defaults. Its answers to mzt_http are
 * checked against the contract (s->contract). */
bool mzt_server_start(mzt_server *s, const mzt_env *e, const char *const *extra_env);
/* SIGTERM and wait; returns the exit status (0 expected; sanitizer
 * reports make it non-zero), or -3 when an answer received on another
 * thread than the main one broke the contract (see mzt_http). */
int mzt_server_stop(mzt_server *s);

/* Starts a fixture executable from MZ_FIXTURE_DIR (e.g. "fake_zgw") with
 * args; waits for its "listening port=N" line. Stop it with mzt_server_stop. */
bool mzt_fixture_start(mzt_server *s, const mzt_env *e, const char *name, const char *const *args);

typedef struct mzt_resp {
    long status;
    char *body;
    size_t body_len;
    char *headers; /* raw header block, lower-cased names */
} mzt_resp;

/* Performs a request. token may be NULL (no Authorization header);
 * extra_headers NULL-terminated "Name: value" strings or NULL. Returns false
 * when no answer came.
 *
 * The contract: when s->contract (servers from mzt_server_start, not
 * fixtures), every answer is checked against openapi/openapi.yaml (status
 * documented for the operation, Content-Type, body schema: tests/support/
 * oas.h). A violation fails the running cmocka test at once on the main
 * thread; on another thread (load tests) it is printed, mzt_http returns
 * false, and the next mzt_server_stop returns -3. */
bool mzt_http(const mzt_server *s, const char *method, const char *path, const char *token,
              const char *const *extra_headers, const char *body, mzt_resp *out);
/* The check mzt_http makes, for answers read some other way (raw
 * sockets): true when method + path (a query is ignored) answered status,
 * content_type (NULL: none) and body as openapi/openapi.yaml documents;
 * else false with why in err. */
bool mzt_contract_check(const char *method, const char *path, long status, const char *content_type,
                        const char *body, size_t body_len, char *err, size_t errlen);
/* mzt_http without the contract check, for answers that are outside the
 * contract on purpose (a path or method the API does not have, the
 * portal's files, libmicrohttpd's own error pages). Every caller says why
 * in a comment. */
bool mzt_http_unchecked(const mzt_server *s, const char *method, const char *path,
                        const char *token, const char *const *extra_headers, const char *body,
                        mzt_resp *out);
/* Header value (case-insensitive name) into out; false when absent. */
bool mzt_header(const mzt_resp *r, const char *name, char *out, size_t outlen);
void mzt_resp_free(mzt_resp *r);

/* The control API of a fake agency (tests/fixtures/fake_zgw/): the
 * parsed JSON answer (free with mz_json_free), or NULL with a message on
 * stderr when the request failed or answered >= 300. */
struct mz_json_doc *mzt_fake_control(const mzt_server *fake, const char *method, const char *path,
                                     const char *body);
/* Sets the fake's fault mode (POST /_control/mode with a JSON body). */
bool mzt_fake_mode(const mzt_server *fake, const char *json);
/* One counter of GET /_control/stats, or -1. */
long mzt_fake_stat(const mzt_server *fake, const char *name);

/* One agency of an agencies file, as JSON text into buf (returned), for a
 * fake ZGW agency (fake_zgw) listening on 127.0.0.1:port: zakenUrl and
 * catalogiUrl under it, clientId "mijnzaken", the secret from the
 * environment variable MZ_TEST_ZGW_SECRET, pollIntervalSeconds 3600 unless
 * agency_extra sets it. adapter_extra: more adapter settings, e.g.
 * "\"expand\":false" (no leading comma), or NULL; agency_extra: more
 * members of the agency (webhook, notifications, ...) or NULL. Aborts
 * when buf is too small (a bug in the test). */
char *mzt_zgw_agency_json(char *buf, size_t len, const char *id, const char *name, unsigned port,
                          const char *adapter_extra, const char *agency_extra);

/* Mints a token with the env's private key (alg RS256) from a claims
 * object; malloc'd. Use mzt_claims for the usual claims. */
char *mzt_token_raw(const mzt_env *e, const char *alg, const char *claims_json);
/* Standard valid claims for a citizen (bsn) or staff (roles json array text). */
char *mzt_citizen_token(const mzt_env *e, const char *bsn);
char *mzt_staff_token(const mzt_env *e, const char *roles_json);
/* Valid iss/aud/sub/iat/exp plus extra (members of the claims object
 * without braces, e.g. "\"kvk\":\"90000001\",\"act\":{...}"). */
char *mzt_token_with(const mzt_env *e, const char *extra);

/* The local OpenID provider (tests/oidc-op: oidc-provider on Node.js),
 * started with its test controls. config_json is the OP's configuration
 * (issuers and clients; relative key/secret paths are relative to the
 * env's directory, where the config is written). Needs node and the OP's
 * npm packages (scripts/oidc-op.sh --install-only). */
typedef struct mzt_op {
    pid_t pid;
    unsigned port;
    char log[300];
    char citizen[200]; /* issuer URLs */
    char staff[200];
} mzt_op;
bool mzt_op_start(mzt_op *op, const mzt_env *e, const char *config_json);
void mzt_op_stop(mzt_op *op);
/* POST /_control/<what> with a JSON body; false unless 2xx. */
bool mzt_op_control(const mzt_op *op, const char *what, const char *json);

/* A free loopback TCP port (bound and released: tests that must know the
 * service's port before it starts, e.g. to register redirect URIs). */
unsigned mzt_free_port(void);

/* Reads a whole file (malloc'd) or NULL. */
char *mzt_slurp(const char *path, size_t *len);

/* True when the log at path holds no BSN-like number, no JWT ("eyJ") and
 * none of the NULL-terminated extra strings (a test's own addresses,
 * numbers); names the log on stderr otherwise. A missing log is clean. */
bool mzt_log_clean(const char *path, const char *const *extra);

#endif
