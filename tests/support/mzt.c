#define _GNU_SOURCE
#include "mzt.h"

// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "bsn.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "oas.h"

extern char **environ;

char *mzt_slurp(const char *path, size_t *len)
{
    return mz_read_file(path, len, 64 << 20);
}

bool mzt_log_clean(const char *path, const char *const *extra)
{
    size_t n;
    char *log = mzt_slurp(path, &n);
    bool leak = log && (mz_contains_bsn_like(log, n) || strstr(log, "eyJ"));
    for (size_t i = 0; log && !leak && extra && extra[i]; i++)
        leak = strstr(log, extra[i]) != NULL;
    if (leak)
        fprintf(stderr, "personal data or token found in %s\n", path);
    free(log);
    return !leak;
}

static bool admin_exec(const char *sql)
{
    const char *url = getenv("MZ_TEST_DATABASE_URL");
    PGconn *c = PQconnectdb(url);
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "mzt: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    } else {
        fprintf(stderr, "mzt: cannot connect to MZ_TEST_DATABASE_URL: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return ok;
}

/* Builds the child environment: the current one, the env's defaults, then
 * extra (later entries win because we drop earlier duplicates). */
static char **child_env(const mzt_env *e, const char *const *extra)
{
    static char defaults[8][700];
    snprintf(defaults[0], 700, "MZ_DATABASE_URL=%s", e->db_url);
    snprintf(defaults[1], 700, "MZ_JWT_PUBLIC_KEY_FILE=%s/keys/jwt-public.pem", e->dir);
    snprintf(defaults[2], 700, "MZ_JWT_PRIVATE_KEY_FILE=%s/keys/jwt-private.pem", e->dir);
    snprintf(defaults[3], 700, "MZ_PSEUDONYM_KEY_FILE=%s/keys/pseudonym.key", e->dir);
    snprintf(defaults[4], 700, "MZ_LISTEN=127.0.0.1:0");
    snprintf(defaults[5], 700, "MZ_THREADS=2");
    snprintf(defaults[6], 700, "MZ_JWT_ISSUER=https://login.test.example");
    snprintf(defaults[7], 700, "MZ_JWT_AUDIENCE=mijnzaken-test");
    size_t n = 0;
    while (environ[n])
        n++;
    size_t m = 0;
    while (extra && extra[m])
        m++;
    char **out = calloc(n + 8 + m + 1, sizeof *out);
    size_t k = 0;
    const char *all[1024];
    size_t na = 0;
    for (size_t i = 0; i < n && na < 900; i++)
        all[na++] = environ[i];
    for (size_t i = 0; i < 8; i++)
        all[na++] = defaults[i];
    for (size_t i = 0; i < m && na < 1020; i++)
        all[na++] = extra[i];
    for (size_t i = 0; i < na; i++) {
        const char *eq = strchr(all[i], '=');
        size_t kl = eq ? (size_t)(eq - all[i]) : strlen(all[i]);
        bool later = false;
        for (size_t j = i + 1; j < na; j++)
            if (strncmp(all[j], all[i], kl) == 0 && all[j][kl] == '=')
                later = true;
        if (!later)
            out[k++] = (char *)all[i];
    }
    out[k] = NULL;
    return out;
}

static pid_t spawn(const mzt_env *e, const char *const *extra, const char *const *args,
                   const char *logpath)
{
    const char *bin = getenv("MZ_BIN");
    if (!bin)
        return -1;
    char **env = child_env(e, extra);
    const char *argv[32];
    size_t a = 0;
    argv[a++] = bin;
    for (size_t i = 0; args && args[i] && a < 30; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (logpath) {
            int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                dup2(fd, 2);
                close(fd);
            }
        }
        execve(bin, (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    return pid;
}

pid_t mzt_start(const mzt_env *e, const char *const *extra_env, const char *const *args,
                const char *logpath)
{
    char log[300];
    snprintf(log, sizeof log, "%s/commands.log", e->dir);
    return spawn(e, extra_env, args, logpath ? logpath : log);
}

int mzt_wait(pid_t pid)
{
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int mzt_run(const mzt_env *e, const char *const *extra_env, const char *const *args)
{
    return mzt_wait(mzt_start(e, extra_env, args, NULL));
}

bool mzt_sql(const mzt_env *e, const char *sql)
{
    PGconn *c = PQconnectdb(e->db_url);
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
            fprintf(stderr, "mzt_sql: %s", PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return ok;
}

char *mzt_query_text(const mzt_env *e, const char *sql)
{
    PGconn *c = PQconnectdb(e->db_url);
    PGresult *r = PQexec(c, sql);
    char *out = NULL;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        out = strdup(PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fprintf(stderr, "mzt_query: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return out;
}

long mzt_query_long(const mzt_env *e, const char *sql)
{
    char *t = mzt_query_text(e, sql);
    long v = t ? atol(t) : -1;
    free(t);
    return v;
}

bool mzt_env_setup(mzt_env *e, const char *name)
{
    memset(e, 0, sizeof *e);
    if (!getenv("MZ_TEST_DATABASE_URL") || !getenv("MZ_BIN")) {
        fprintf(stderr, "mzt: MZ_TEST_DATABASE_URL and MZ_BIN must be set (run scripts/test.sh)\n");
        return false;
    }
    const char *root = getenv("MZ_TEST_TMPDIR");
    snprintf(e->dir, sizeof e->dir, "%s/mzt-%s-XXXXXX", root && *root ? root : "/tmp", name);
    if (!mkdtemp(e->dir))
        return false;
    char hex[9];
    mz_random_hex(hex, 4);
    snprintf(e->dbname, sizeof e->dbname, "mzt_%.30s_%s", name, hex);
    for (char *p = e->dbname; *p; p++)
        if (*p == '-')
            *p = '_';
    char sql[200];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", e->dbname);
    if (!admin_exec(sql))
        return false;
    snprintf(e->db_url, sizeof e->db_url, "%s dbname=%s", getenv("MZ_TEST_DATABASE_URL"),
             e->dbname);
    char keys[300];
    snprintf(keys, sizeof keys, "%s/keys", e->dir);
    const char *init[] = {"init-dev", "--dir", keys, NULL};
    if (mzt_run(e, NULL, init) != 0) {
        fprintf(stderr, "mzt: init-dev failed\n");
        return false;
    }
    const char *mig[] = {"migrate", NULL};
    if (mzt_run(e, NULL, mig) != 0) {
        fprintf(stderr, "mzt: migrate failed (see %s/commands.log)\n", e->dir);
        return false;
    }
    return true;
}

const char *const mzt_test_bsns[] = {"999993653", "999990019", "999990032",
                                     "111222333", "123456782", NULL};

/* Fictitious KVK numbers; scripts/check-logs.sh scans for the same list. */
const char *const mzt_test_kvks[] = {"68750110", "69599084", "90004760", NULL};

/* pg_dump of the test database must not contain a plain BSN or a test KVK
 * number anywhere. */
static bool dump_is_clean(const mzt_env *e)
{
    char out[400], cmd[2048];
    snprintf(out, sizeof out, "%s/pg_dump.sql", e->dir);
    snprintf(cmd, sizeof cmd, "pg_dump --no-owner -d '%s' -f '%s' 2>'%s/pg_dump.err'", e->db_url,
             out, e->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "mzt: pg_dump failed (see %s/pg_dump.err)\n", e->dir);
        return false;
    }
    size_t n;
    char *dump = mzt_slurp(out, &n);
    if (!dump)
        return false;
    bool clean = true;
    for (int i = 0; mzt_test_bsns[i]; i++)
        if (memmem(dump, n, mzt_test_bsns[i], 9)) {
            fprintf(stderr, "mzt: the database dump %s contains a plain BSN\n", out);
            clean = false;
        }
    for (int i = 0; mzt_test_kvks[i]; i++)
        if (memmem(dump, n, mzt_test_kvks[i], 8)) {
            fprintf(stderr, "mzt: the database dump %s contains a plain KVK number\n", out);
            clean = false;
        }
    free(dump);
    if (clean)
        unlink(out);
    return clean;
}

bool mzt_env_teardown(mzt_env *e)
{
    bool clean = true;
    if (e->dbname[0]) {
        clean = dump_is_clean(e);
        char sql[200];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", e->dbname);
        admin_exec(sql);
    }
    /* The temp dir (logs) is kept for post-mortems and the log scan. */
    return clean;
}

/* Servers still running when the test program exits (a failed assertion
 * skips the stop) are killed, so ctest never waits on an orphan. */
static pid_t g_live[64];

static void kill_live(void)
{
    for (int i = 0; i < 64; i++)
        if (g_live[i] > 0) {
            kill(g_live[i], SIGKILL);
            waitpid(g_live[i], NULL, 0);
        }
}

static void track(pid_t pid, bool add)
{
    static bool registered;
    if (!registered) {
        atexit(kill_live);
        registered = true;
    }
    for (int i = 0; i < 64; i++)
        if (add ? g_live[i] == 0 : g_live[i] == pid) {
            g_live[i] = add ? pid : 0;
            return;
        }
}

bool mzt_server_start(mzt_server *s, const mzt_env *e, const char *const *extra_env)
{
    memset(s, 0, sizeof *s);
    static int seq;
    snprintf(s->log, sizeof s->log, "%s/server-%d.log", e->dir, ++seq);
    s->contract = true;
    const char *args[] = {"serve", NULL};
    s->pid = spawn(e, extra_env, args, s->log);
    if (s->pid < 0)
        return false;
    track(s->pid, true);
    for (int i = 0; i < 300; i++) { /* up to 15 s (sanitizer builds start slowly) */
        size_t n;
        char *txt = mzt_slurp(s->log, &n);
        const char *p = txt ? strstr(txt, "\"msg\":\"listening\"") : NULL;
        const char *q = p ? strstr(p, "\"port\":") : NULL;
        if (q) {
            s->port = (unsigned)atoi(q + 7);
            free(txt);
            return s->port > 0;
        }
        free(txt);
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            track(s->pid, false);
            s->pid = 0;
            return false;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

bool mzt_fixture_start(mzt_server *s, const mzt_env *e, const char *name, const char *const *args)
{
    memset(s, 0, sizeof *s);
    const char *dir = getenv("MZ_FIXTURE_DIR");
    if (!dir)
        return false;
    static int seq;
    snprintf(s->log, sizeof s->log, "%s/%s-%d.log", e->dir, name, ++seq);
    char bin[600];
    snprintf(bin, sizeof bin, "%s/%s", dir, name);
    const char *argv[40];
    size_t a = 0;
    argv[a++] = bin;
    for (size_t i = 0; args && args[i] && a < 38; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
    s->pid = fork();
    if (s->pid == 0) {
        int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (s->pid < 0)
        return false;
    track(s->pid, true);
    for (int i = 0; i < 200; i++) {
        size_t n;
        char *txt = mzt_slurp(s->log, &n);
        const char *p = txt ? strstr(txt, "listening port=") : NULL;
        if (p) {
            s->port = (unsigned)atoi(p + 15);
            free(txt);
            return s->port > 0;
        }
        free(txt);
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* Contract violations seen on threads other than the main one. */
static atomic_uint g_violations;

int mzt_server_stop(mzt_server *s)
{
    if (s->pid <= 0)
        return -1;
    if (s->contract && atomic_exchange(&g_violations, 0) > 0) {
        fprintf(stderr, "mzt: answers broke the contract (see above)\n");
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        track(s->pid, false);
        s->pid = 0;
        return -3;
    }
    kill(s->pid, SIGTERM);
    int st;
    for (int i = 0; i < 400; i++) {
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid) {
            track(s->pid, false);
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    track(s->pid, false);
    s->pid = 0;
    return -2;
}

typedef struct sink {
    char *p;
    size_t n;
} sink;

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    sink *k = ud;
    size_t add = size * nmemb;
    char *np = realloc(k->p, k->n + add + 1);
    if (!np)
        return 0;
    memcpy(np + k->n, data, add);
    k->p = np;
    k->n += add;
    k->p[k->n] = '\0';
    return add;
}

/* The contract, loaded once per test program (read-only afterwards, so
 * threads may share it). */
static oas *g_oas;
static char g_oas_err[512];
static pthread_once_t g_oas_once = PTHREAD_ONCE_INIT;

static void oas_unload(void)
{
    oas_free(g_oas);
    g_oas = NULL;
}

static void oas_load_once(void)
{
    g_oas = oas_load_embedded(g_oas_err, sizeof g_oas_err);
    if (g_oas)
        atexit(oas_unload);
}

bool mzt_contract_check(const char *method, const char *path, long status, const char *content_type,
                        const char *body, size_t body_len, char *err, size_t errlen)
{
    pthread_once(&g_oas_once, oas_load_once);
    if (!g_oas) {
        snprintf(err, errlen, "cannot load the OpenAPI document: %s", g_oas_err);
        return false;
    }
    char p[4096];
    snprintf(p, sizeof p, "%.*s", (int)strcspn(path, "?#"), path);
    return oas_check(g_oas, method, p, (int)status, content_type, body, body_len, err, errlen);
}

/* NULL when the answer matches the contract, else why not (in err). */
static const char *contract_problem(const char *method, const char *path, const mzt_resp *r,
                                    char *err, size_t errlen)
{
    char ct[256];
    bool has_ct = mzt_header(r, "content-type", ct, sizeof ct);
    if (mzt_contract_check(method, path, r->status, has_ct ? ct : NULL, r->body, r->body_len, err,
                           errlen))
        return NULL;
    return err;
}

static bool http_do(const mzt_server *s, const char *method, const char *path, const char *token,
                    const char *const *extra_headers, const char *body, mzt_resp *out);

bool mzt_http_unchecked(const mzt_server *s, const char *method, const char *path,
                        const char *token, const char *const *extra_headers, const char *body,
                        mzt_resp *out)
{
    return http_do(s, method, path, token, extra_headers, body, out);
}

bool mzt_http(const mzt_server *s, const char *method, const char *path, const char *token,
              const char *const *extra_headers, const char *body, mzt_resp *out)
{
    if (!http_do(s, method, path, token, extra_headers, body, out))
        return false;
    if (!s->contract)
        return true;
    char err[1024];
    if (!contract_problem(method, path, out, err, sizeof err))
        return true;
    /* cmocka's failure unwinds the test; only its own (main) thread may
     * do that. Other threads report through the result and the stop. */
    if (gettid() == getpid())
        fail_msg("%s %s -> %ld breaks the OpenAPI contract: %s", method, path, out->status, err);
    fprintf(stderr, "mzt: %s %s -> %ld breaks the OpenAPI contract: %s\n", method, path,
            out->status, err);
    atomic_fetch_add(&g_violations, 1);
    return false;
}

static bool http_do(const mzt_server *s, const char *method, const char *path, const char *token,
                    const char *const *extra_headers, const char *body, mzt_resp *out)
{
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c)
        return false;
    char url[4096];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", s->port, path);
    sink b = {0}, h = {0};
    struct curl_slist *hdrs = NULL;
    char auth[9000];
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    for (size_t i = 0; extra_headers && extra_headers[i]; i++)
        hdrs = curl_slist_append(hdrs, extra_headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    out->body = b.p ? b.p : calloc(1, 1);
    out->body_len = b.n;
    out->headers = h.p ? h.p : calloc(1, 1);
    return rc == CURLE_OK;
}

bool mzt_header(const mzt_resp *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            eol = line + strlen(line);
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, outlen, "%.*s", (int)(eol - v), v);
            return true;
        }
        line = *eol ? eol + 2 : eol;
    }
    return false;
}

void mzt_resp_free(mzt_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

char *mzt_token_raw(const mzt_env *e, const char *alg, const char *claims_json)
{
    char path[300];
    snprintf(path, sizeof path, "%s/keys/jwt-private.pem", e->dir);
    size_t n;
    char *key = mzt_slurp(path, &n);
    if (!key)
        return NULL;
    char *t = mz_auth_sign(alg, key, n, claims_json);
    free(key);
    return t;
}

static char *claims_token(const mzt_env *e, const char *extra)
{
    char claims[1024];
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://login.test.example\",\"aud\":\"mijnzaken-test\","
             "\"sub\":\"test-subject\",\"iat\":%ld,\"exp\":%ld,%s}",
             now, now + 600, extra);
    return mzt_token_raw(e, "RS256", claims);
}

char *mzt_token_with(const mzt_env *e, const char *extra)
{
    return claims_token(e, extra);
}

char *mzt_citizen_token(const mzt_env *e, const char *bsn)
{
    char extra[64];
    snprintf(extra, sizeof extra, "\"bsn\":\"%s\"", bsn);
    return claims_token(e, extra);
}

char *mzt_staff_token(const mzt_env *e, const char *roles_json)
{
    char extra[256];
    snprintf(extra, sizeof extra, "\"roles\":%s", roles_json);
    return claims_token(e, extra);
}

mz_db *mzt_store_open(const mzt_env *e)
{
    char keyfile[300], err[256];
    snprintf(keyfile, sizeof keyfile, "%s/keys/pseudonym.key", e->dir);
    if (!mz_pseudonym_load_key(keyfile, err, sizeof err)) {
        fprintf(stderr, "mzt_store_open: %s\n", err);
        return NULL;
    }
    mz_db *db = mz_db_connect(e->db_url, 0, err, sizeof err);
    if (!db)
        fprintf(stderr, "mzt_store_open: %s\n", err);
    return db;
}

mz_json_doc *mzt_fake_control(const mzt_server *fake, const char *method, const char *path,
                              const char *body)
{
    mzt_resp r;
    if (!mzt_http(fake, method, path, NULL, NULL, body, &r)) {
        fprintf(stderr, "fake %s %s: no answer\n", method, path);
        return NULL;
    }
    mz_json_doc *d = NULL;
    if (r.status >= 300) {
        fprintf(stderr, "fake %s %s -> %ld: %s\n", method, path, r.status, r.body);
    } else {
        char err[128];
        mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000};
        d = mz_json_parse(r.body, r.body_len, &lim, err, sizeof err);
        if (!d)
            fprintf(stderr, "fake %s %s: %s\n", method, path, err);
    }
    mzt_resp_free(&r);
    return d;
}

char *mzt_zgw_agency_json(char *buf, size_t len, const char *id, const char *name, unsigned port,
                          const char *adapter_extra, const char *agency_extra)
{
    bool own_poll = agency_extra && strstr(agency_extra, "\"pollIntervalSeconds\"");
    int n =
        snprintf(buf, len,
                 "{\"id\":\"%s\",\"name\":\"%s\",%s"
                 "\"adapter\":{\"kind\":\"zgw\",\"zakenUrl\":\"http://127.0.0.1:%u/zaken/api/v1\","
                 "\"catalogiUrl\":\"http://127.0.0.1:%u/catalogi/api/v1\","
                 "\"clientId\":\"mijnzaken\",\"secretEnv\":\"MZ_TEST_ZGW_SECRET\"%s%s}%s%s}",
                 id, name, own_poll ? "" : "\"pollIntervalSeconds\":3600,", port, port,
                 adapter_extra ? "," : "", adapter_extra ? adapter_extra : "",
                 agency_extra ? "," : "", agency_extra ? agency_extra : "");
    if (n < 0 || (size_t)n >= len) {
        /* a test bug, not a finding: stop loudly */
        fprintf(stderr, "mzt_zgw_agency_json: buffer of %zu too small for agency %s\n", len, id);
        abort();
    }
    return buf;
}

bool mzt_fake_mode(const mzt_server *fake, const char *json)
{
    mz_json_doc *d = mzt_fake_control(fake, "POST", "/_control/mode", json);
    mz_json_free(d);
    return d != NULL;
}

long mzt_fake_stat(const mzt_server *fake, const char *name)
{
    mz_json_doc *d = mzt_fake_control(fake, "GET", "/_control/stats", NULL);
    int64_t v = -1;
    if (d)
        mz_json_int64(mz_json_get(mz_json_root(d), name), &v);
    mz_json_free(d);
    return (long)v;
}

/* --- the local OpenID provider */

unsigned mzt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The issuer URL of name ("citizen") from the OP's first stdout line. */
static bool op_issuer(const char *line, const char *name, char *out, size_t outlen)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(line, key);
    if (!p)
        return false;
    p += strlen(key);
    size_t n = strcspn(p, "\"");
    if (n >= outlen)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

bool mzt_op_start(mzt_op *op, const mzt_env *e, const char *config_json)
{
    memset(op, 0, sizeof *op);
    const char *src = getenv("MZ_SOURCE_DIR");
    if (!src)
        return false;
    char cfg[400], state[400], out[400], server[600];
    static int seq;
    int n = ++seq;
    snprintf(cfg, sizeof cfg, "%s/op-%d.json", e->dir, n);
    snprintf(state, sizeof state, "%s/op-state-%d", e->dir, n);
    snprintf(out, sizeof out, "%s/op-%d.out", e->dir, n);
    /* the OP's log (stderr) goes where the suite's log scan looks */
    snprintf(op->log, sizeof op->log, "%s/server-oidc-op-%d.log", e->dir, n);
    snprintf(server, sizeof server, "%s/tests/oidc-op/server.mjs", src);
    FILE *f = fopen(cfg, "w");
    if (!f)
        return false;
    fputs(config_json, f);
    fclose(f);
    chmod(cfg, 0600);
    op->pid = fork();
    if (op->pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(op->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fo >= 0)
            dup2(fo, 1);
        if (fe >= 0)
            dup2(fe, 2);
        execlp("node", "node", server, "--port", "0", "--config", cfg, "--state-dir", state,
               "--test-controls", (char *)NULL);
        _exit(127);
    }
    if (op->pid < 0)
        return false;
    track(op->pid, true);
    for (int i = 0; i < 400; i++) { /* up to 20 s */
        size_t len;
        char *txt = mzt_slurp(out, &len);
        if (txt && strchr(txt, '\n')) {
            const char *p = strstr(txt, "\"port\":");
            op->port = p ? (unsigned)atoi(p + 7) : 0;
            bool ok = op->port && op_issuer(txt, "citizen", op->citizen, sizeof op->citizen) &&
                      op_issuer(txt, "staff", op->staff, sizeof op->staff);
            free(txt);
            return ok;
        }
        free(txt);
        int st;
        if (waitpid(op->pid, &st, WNOHANG) == op->pid) {
            fprintf(stderr, "mzt: the OP exited (see %s)\n", op->log);
            track(op->pid, false);
            op->pid = 0;
            return false;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

void mzt_op_stop(mzt_op *op)
{
    if (op->pid <= 0)
        return;
    kill(op->pid, SIGTERM);
    for (int i = 0; i < 60; i++) { /* it ends within a second; SIGKILL after 3 s */
        if (waitpid(op->pid, NULL, WNOHANG) == op->pid)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (i == 59) {
            kill(op->pid, SIGKILL);
            waitpid(op->pid, NULL, 0);
        }
    }
    track(op->pid, false);
    op->pid = 0;
}

bool mzt_op_control(const mzt_op *op, const char *what, const char *json)
{
    mzt_server s = {.port = op->port, .contract = false};
    char path[200];
    snprintf(path, sizeof path, "/_control/%s", what);
    const char *h[] = {"Content-Type: application/json", NULL};
    mzt_resp r;
    bool ok = http_do(&s, "POST", path, NULL, h, json ? json : "{}", &r) && r.status >= 200 &&
              r.status < 300;
    if (!ok)
        fprintf(stderr, "mzt: OP control %s answered %ld: %s\n", what, r.status,
                r.body ? r.body : "");
    mzt_resp_free(&r);
    return ok;
}
