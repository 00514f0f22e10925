/*
 * test_hardening.c — the HTTP layer under hostile clients: oversized
 * headers (431), announced and chunked oversized bodies (413), foreign
 * transfer encodings (400), slowloris clients while normal requests still
 * succeed, the per-IP connection limit, and the agencies reload on SIGHUP.
 * Answers over mzt_http are checked against the contract there; answers
 * read from raw sockets by expect_raw_problem (see there).
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mzt.h"

static mzt_env g_env;

static int setup(void **state)
{
    (void)state;
    return mzt_env_setup(&g_env, "hardening") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static int dial(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends raw bytes and reads the status code of the answer (0 if none).
 * Only the status line is read, so these answers are not checked against
 * the contract: their tests are about the status alone under hostile
 * framing (the bodies of the same refusals are checked through
 * expect_raw_problem elsewhere). */
static int raw_status(unsigned port, const char *req, size_t len)
{
    int fd = dial(port);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    char buf[512];
    struct pollfd p = {fd, POLLIN, 0};
    int st = 0;
    if (poll(&p, 1, 10000) == 1) {
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n > 12) {
            buf[n] = '\0';
            sscanf(buf, "HTTP/1.%*d %d", &st);
        }
    }
    close(fd);
    return st;
}

static void write_agencies(const char *path, const char *ids[], int n, bool valid);

/* A raw exchange: sends req, then reads until the server closes the
 * connection or 3 s pass without data. out holds what arrived
 * (NUL-terminated); *closed says whether the server closed. */
typedef struct raw_reply {
    char data[16384];
    size_t len;
    bool closed;
    char method[16]; /* of the (first) request sent, for the contract */
    char path[1024]; /* its target up to '?' (cut short when longer) */
} raw_reply;

static void raw_exchange(unsigned port, const char *req, size_t len, raw_reply *out)
{
    memset(out, 0, sizeof *out);
    size_t ml = strcspn(req, " ");
    snprintf(out->method, sizeof out->method, "%.*s", (int)ml, req);
    if (req[ml] == ' ')
        snprintf(out->path, sizeof out->path, "%.*s", (int)strcspn(req + ml + 1, " ?\r\n"),
                 req + ml + 1);
    int fd = dial(port);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 3000) != 1)
            break;
        ssize_t n = recv(fd, out->data + out->len, sizeof out->data - 1 - out->len, 0);
        if (n <= 0) {
            out->closed = true; /* EOF, or a reset after the answer */
            break;
        }
        out->len += (size_t)n;
        if (out->len == sizeof out->data - 1)
            break;
    }
    out->data[out->len] = '\0';
    close(fd);
}

/* How many HTTP responses the raw bytes hold (status lines; no body here
 * contains one). */
static int raw_count_responses(const raw_reply *r)
{
    int n = 0;
    for (const char *p = r->data; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
        n++;
    return n;
}

/* Raw sockets send what curl would refuse or normalise; mzt_http's
 * contract check does not see these answers. expect_raw_problem makes it
 * (mzt_contract_check) unless the caller says the request is outside the
 * contract: a path the API does not have has no documented answer. */

/* Fails unless the raw answer is exactly one problem+json with this status
 * whose detail contains want, and the server closed the connection; with
 * in_contract, also unless the contract documents that answer. */
static void expect_raw_problem(const raw_reply *r, int status, const char *want, bool in_contract)
{
    int st = 0;
    sscanf(r->data, "HTTP/1.%*d %d", &st);
    if (st != status)
        fail_msg("expected %d, got: %.300s", status, r->data);
    const char *ct = strstr(r->data, "\r\nContent-Type: application/problem+json");
    if (!ct)
        fail_msg("not problem+json: %.400s", r->data);
    const char *body = strstr(r->data, "\r\n\r\n");
    assert_non_null(body);
    if (want && !strstr(body, want))
        fail_msg("detail lacks \"%s\": %s", want, body + 4);
    assert_int_equal(raw_count_responses(r), 1);
    if (in_contract) {
        char ctype[128], err[1024];
        const char *v = ct + strlen("\r\nContent-Type: ");
        snprintf(ctype, sizeof ctype, "%.*s", (int)strcspn(v, "\r\n"), v);
        size_t blen = r->len - (size_t)(body + 4 - r->data);
        if (!mzt_contract_check(r->method, r->path, status, ctype, body + 4, blen, err, sizeof err))
            fail_msg("%s %s -> %d breaks the OpenAPI contract: %s", r->method, r->path, status,
                     err);
    }
}

static void test_limits(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    /* 40 KiB of headers */
    static char big[48 * 1024];
    int n = snprintf(big, sizeof big, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 40 * 1024);
    n += 40 * 1024;
    n += snprintf(big + n, sizeof big - (size_t)n, "\r\n\r\n");
    assert_int_equal(raw_status(s.port, big, (size_t)n), 431);
    /* an announced body of a terabyte: refused before reading */
    const char *tb = "POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/json\r\nContent-Length: 1000000000000\r\n\r\n";
    assert_int_equal(raw_status(s.port, tb, strlen(tb)), 413);
    /* a chunked body past the limit (64 KiB) */
    static char chunked[100 * 1024];
    n = snprintf(chunked, sizeof chunked,
                 "POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 9; i++) { /* 9 chunks of 8 KiB = 72 KiB */
        n += snprintf(chunked + n, sizeof chunked - (size_t)n, "2000\r\n");
        memset(chunked + n, 'x', 8192);
        n += 8192;
        n += snprintf(chunked + n, sizeof chunked - (size_t)n, "\r\n");
    }
    n += snprintf(chunked + n, sizeof chunked - (size_t)n, "0\r\n\r\n");
    assert_int_equal(raw_status(s.port, chunked, (size_t)n), 413);
    /* a transfer encoding we do not speak */
    const char *gz = "POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/json\r\nTransfer-Encoding: gzip\r\n\r\nabc";
    assert_int_equal(raw_status(s.port, gz, strlen(gz)), 400);
    /* and the service is fine */
    mzt_resp r;
    assert_true(mzt_http(&s, "GET", "/healthz", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    assert_int_equal(mzt_server_stop(&s), 0);
}

typedef struct slow {
    unsigned port;
    int seconds;
} slow;

/* A slowloris client: one byte of a request every 2 s. */
static void *slowloris(void *p)
{
    slow *a = p;
    int fd = dial(a->port);
    if (fd < 0)
        return NULL;
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (int i = 0; i < a->seconds / 2; i++) {
        if (send(fd, req + (i % strlen(req)), 1, MSG_NOSIGNAL) != 1)
            break;
        sleep(2);
    }
    close(fd);
    return NULL;
}

/* Request smuggling: two Content-Length headers, or Content-Length with
 * Transfer-Encoding, let a proxy and this server disagree where a request
 * ends. Both are refused with 400 and the connection is closed, so the
 * bytes after the headers are never read as a second request. */
static void test_smuggling_refused(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    static const struct {
        const char *req, *want;
    } cases[] = {
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: 0\r\nContent-Length: 37\r\n\r\n"
         "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
         "Content-Length"},
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
         "Content-Length"},
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
         "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
         "Transfer-Encoding"},
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
         "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
         "Transfer-Encoding"},
        /* the same on a GET, which MHD would otherwise read as no body */
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 37\r\n\r\n"
         "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
         "Content-Length"},
        /* two Transfer-Encoding headers: a proxy may join them as
         * "chunked, gzip", this server would read only the first */
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         "Transfer-Encoding"},
        /* two Host headers (RFC 9112 3.2: 400) */
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "Host"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw_reply r;
        raw_exchange(s.port, cases[i].req, strlen(cases[i].req), &r);
        expect_raw_problem(&r, 400, cases[i].want, true);
        if (!r.closed)
            fail_msg("case %zu: connection left open", i);
        assert_null(strstr(r.data, "mz_http_requests_total")); /* no smuggled /metrics */
    }
    /* control: one Content-Length on a kept-alive connection serves two requests */
    const char *ok = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                     "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_reply r;
    raw_exchange(s.port, ok, strlen(ok), &r);
    if (raw_count_responses(&r) != 2 || !strstr(r.data, "HTTP/1.1 200"))
        fail_msg("expected two answers: %s", r.data);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* Two Authorization headers: which one counts would depend on the reader
 * (MHD returns the first, a proxy may check the last): 400 naming the
 * header, and no token echoed. */
static void test_duplicate_authorization(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    char *a = mzt_citizen_token(&g_env, "999993653");
    char *b = mzt_citizen_token(&g_env, "999990019");
    assert_non_null(a);
    assert_non_null(b);
    static char req[8192];
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/me/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     a, b);
    assert_true(n > 0 && (size_t)n < sizeof req);
    raw_reply r;
    raw_exchange(s.port, req, (size_t)n, &r);
    expect_raw_problem(&r, 400, "Authorization", true);
    assert_null(strstr(r.data, "eyJ"));
    /* also on a route without authentication, and with an empty second one */
    n = snprintf(req, sizeof req,
                 "GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                 "Authorization:\r\n\r\n",
                 a);
    raw_exchange(s.port, req, (size_t)n, &r);
    expect_raw_problem(&r, 400, "Authorization", true);
    /* control: one of them is served */
    mzt_resp ok;
    assert_true(mzt_http(&s, "GET", "/api/v1/me/cases", a, NULL, NULL, &ok));
    assert_int_equal(ok.status, 200);
    mzt_resp_free(&ok);
    free(a);
    free(b);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* GET target over a raw socket (curl would normalise some targets). */
static int raw_get(unsigned port, const char *method, const char *target, const char *token,
                   raw_reply *out)
{
    char req[8192];
    int n = snprintf(
        req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\n%s%s%sConnection: close\r\n\r\n", method,
        target, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
    assert_true(n > 0 && (size_t)n < sizeof req);
    raw_exchange(port, req, (size_t)n, out);
    int st = 0;
    sscanf(out->data, "HTTP/1.%*d %d", &st);
    return st;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Routing uses the path as sent, not its percent-decoded form: an encoded
 * character never reaches a route (/met%72ics is not /metrics), an encoded
 * NUL or a broken escape anywhere in the target is 400, and the portal's
 * files and its own routes are still served. */
static void test_raw_path_routing(void **state)
{
    (void)state;
    char portal[400], kv[500];
    snprintf(portal, sizeof portal, "%s/portal-raw", g_env.dir);
    mkdir(portal, 0755);
    write_file(portal, "index.html", "<!doctype html><title>portal</title>");
    write_file(portal, "app.css", "body{}");
    snprintf(kv, sizeof kv, "MZ_PORTAL_DIR=%s", portal);
    const char *env[] = {kv, NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_citizen_token(&g_env, "999990032");
    raw_reply r;
    /* controls */
    assert_int_equal(raw_get(s.port, "GET", "/metrics", NULL, &r), 200);
    assert_non_null(strstr(r.data, "mz_http_requests_total"));
    assert_int_equal(raw_get(s.port, "GET", "/api/v1/me/cases?status=%6Fpen", tok, &r), 200);
    /* encoded characters in the path match no route (404, never the metrics) */
    static const char *const not_routes[] = {
        "/met%72ics",
        "/%6detrics",
        "/metrics%2F",
        "/healthz%3Fx",
        "/api/v1/openapi%2Ejson",
        "/api%2Fv1%2Fopenapi.json",
        "/app%2ecss",
    };
    for (size_t i = 0; i < sizeof not_routes / sizeof *not_routes; i++) {
        int st = raw_get(s.port, "GET", not_routes[i], NULL, &r);
        if (st != 404 || strstr(r.data, "mz_http_requests_total") || strstr(r.data, "openapi:"))
            fail_msg("%s answered: %.300s", not_routes[i], r.data);
        expect_raw_problem(&r, 404, NULL, false); /* paths the API does not have */
    }
    /* an encoded NUL, or a % that starts no escape: 400 naming the target */
    static const char *const bad[] = {
        "/metrics%00.css", "/metrics%00",      "/%00", "/healthz%zz", "/healthz%4",
        "/healthz%",       "/app.css%00.html",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int st = raw_get(s.port, "GET", bad[i], NULL, &r);
        if (st != 400)
            fail_msg("%s answered: %.300s", bad[i], r.data);
        /* mostly paths the API does not have (the contract is silent) */
        expect_raw_problem(&r, 400, "request target", false);
    }
    /* ... also in the query: once "open%00x" was decoded to "open" */
    assert_int_equal(raw_get(s.port, "GET", "/api/v1/me/cases?status=open%00x", tok, &r), 400);
    expect_raw_problem(&r, 400, "request target", true);
    assert_int_equal(raw_get(s.port, "GET", "/api/v1/me/cases?status=open&x%00=1", tok, &r), 400);
    /* the portal: files, its own routes, HEAD */
    assert_int_equal(raw_get(s.port, "GET", "/", NULL, &r), 200);
    assert_non_null(strstr(r.data, "<title>portal</title>"));
    assert_int_equal(raw_get(s.port, "GET", "/app.css", NULL, &r), 200);
    assert_non_null(strstr(r.data, "Content-Type: text/css"));
    assert_non_null(strstr(r.data, "body{}"));
    assert_int_equal(raw_get(s.port, "HEAD", "/app.css", NULL, &r), 200);
    assert_null(strstr(r.data, "body{}"));
    assert_int_equal(
        raw_get(s.port, "GET", "/zaken/0f8fad5b-d9cb-469f-a165-70867728950e", NULL, &r), 200);
    assert_non_null(strstr(r.data, "<title>portal</title>"));
    free(tok);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* Every answer but the public contract and the portal's files carries
 * Cache-Control: no-store: tokens (the demo login), operational data
 * (admin views, health, metrics) and personal data alike. */
static void test_no_store_everywhere(void **state)
{
    (void)state;
    char path[400], kv[500];
    snprintf(path, sizeof path, "%s/agencies-cache.json", g_env.dir);
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", path);
    const char *ids[] = {"cache-a"};
    write_agencies(path, ids, 1, true);
    const char *env[] = {kv, "MZ_DEV_MODE=1",
                         /* the demo login makes a session cookie */
                         "MZ_PUBLIC_URL=http://127.0.0.1:8080", NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *admin = mzt_staff_token(&g_env, "[\"admin\"]");
    char *prof = mzt_staff_token(&g_env, "[\"professional\"]");
    char *citizen = mzt_citizen_token(&g_env, "999990032");
    const char *json[] = {"Content-Type: application/json", NULL};
    static const struct {
        const char *method, *path, *body;
        int who; /* 0 none, 1 admin, 2 professional, 3 citizen */
        long status;
        bool no_store;
    } cases[] = {
        {"POST", "/api/v1/dev/login", "{\"role\":\"admin\"}", 0, 200, true},
        {"GET", "/api/v1/agencies", NULL, 1, 200, true},
        {"POST", "/api/v1/agencies/cache-a/sync", "", 1, 202, true},
        {"GET", "/healthz", NULL, 0, 200, true},
        {"GET", "/readyz", NULL, 0, 200, true},
        {"GET", "/metrics", NULL, 0, 200, true},
        {"GET", "/api/v1/processing-activities", NULL, 2, 200, true},
        {"GET", "/api/v1/me/cases", NULL, 3, 200, true},
        {"GET", "/api/v1/me/access-log", NULL, 3, 200, true},
        {"GET", "/api/v1/openapi.json", NULL, 0, 200, false},
        {"GET", "/api/v1/openapi.yaml", NULL, 0, 200, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *tok = cases[i].who == 1   ? admin
                          : cases[i].who == 2 ? prof
                          : cases[i].who == 3 ? citizen
                                              : NULL;
        mzt_resp r;
        assert_true(mzt_http(&s, cases[i].method, cases[i].path, tok, cases[i].body ? json : NULL,
                             cases[i].body, &r));
        if (r.status != cases[i].status)
            fail_msg("%s %s: %ld %s", cases[i].method, cases[i].path, r.status, r.body);
        char cc[128] = "";
        bool has = mzt_header(&r, "cache-control", cc, sizeof cc);
        if (cases[i].no_store && (!has || strcmp(cc, "no-store") != 0))
            fail_msg("%s %s: Cache-Control \"%s\"", cases[i].method, cases[i].path, cc);
        if (!cases[i].no_store && strstr(cc, "no-store"))
            fail_msg("%s %s: the public contract is no-store", cases[i].method, cases[i].path);
        mzt_resp_free(&r);
    }
    free(admin);
    free(prof);
    free(citizen);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* The value of a header in a raw answer (exact name), or "". */
static void raw_header(const raw_reply *r, const char *name, char *out, size_t outlen)
{
    char key[80];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(r->data, key);
    out[0] = '\0';
    if (p)
        snprintf(out, outlen, "%.*s", (int)strcspn(p + strlen(key), "\r"), p + strlen(key));
}

/* HEAD on the health endpoints answers like GET, without a body (load
 * balancers probe with HEAD); other methods still list both in Allow. */
static void test_head_health(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    const char *paths[] = {"/healthz", "/readyz", "/metrics"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        raw_reply get, head;
        assert_int_equal(raw_get(s.port, "GET", paths[i], NULL, &get), 200);
        int st = raw_get(s.port, "HEAD", paths[i], NULL, &head);
        if (st != 200)
            fail_msg("HEAD %s: %.300s", paths[i], head.data);
        char ct_get[100], ct_head[100], cc[100], len[32];
        raw_header(&get, "Content-Type", ct_get, sizeof ct_get);
        raw_header(&head, "Content-Type", ct_head, sizeof ct_head);
        assert_string_equal(ct_head, ct_get);
        raw_header(&head, "Cache-Control", cc, sizeof cc);
        assert_string_equal(cc, "no-store");
        raw_header(&head, "Content-Length", len, sizeof len);
        assert_true(atoi(len) > 0);
        const char *end = strstr(head.data, "\r\n\r\n");
        assert_non_null(end);
        assert_string_equal(end, "\r\n\r\n"); /* no body */
        assert_true(head.closed);
        raw_reply post;
        assert_int_equal(raw_get(s.port, "POST", paths[i], NULL, &post), 405);
        char allow[64];
        raw_header(&post, "Allow", allow, sizeof allow);
        assert_string_equal(allow, "GET, HEAD");
    }
    /* HEAD is not a general alias: the API's own resources stay GET only */
    raw_reply r;
    assert_int_equal(raw_get(s.port, "HEAD", "/api/v1/me/cases", NULL, &r), 405);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* A GET with a target of `target_len` bytes and one header of
 * `header_len` bytes. */
static void raw_big(unsigned port, size_t target_len, size_t header_len, raw_reply *out)
{
    size_t cap = target_len + header_len + 200;
    char *req = malloc(cap);
    assert_non_null(req);
    size_t n = (size_t)snprintf(req, cap, "GET /healthz?");
    memset(req + n, 'a', target_len - 9);
    n += target_len - 9;
    n += (size_t)snprintf(req + n, cap - n, " HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'b', header_len);
    n += header_len;
    n += (size_t)snprintf(req + n, cap - n, "\r\nConnection: close\r\n\r\n");
    raw_exchange(port, req, n, out);
    free(req);
}

/* Errors answered before a request reaches us are problem+json wherever
 * this service sees the request first: a target over 8 KiB (414) and
 * headers over 16 KiB (431). What libmicrohttpd 0.9.75 answers itself —
 * a target or header block past its 64 KiB connection memory, a request
 * line it cannot parse, an HTTP version it does not speak — stays its own
 * small HTML page (docs/security.md, "Known limits"); those answers keep
 * their status, close the connection, and are logged with that status. */
static void test_protocol_errors(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    raw_reply r;
    /* ours */
    raw_big(s.port, 8 * 1024 + 1, 10, &r);
    expect_raw_problem(&r, 414, "8 KiB", true);
    raw_big(s.port, 40 * 1024, 10, &r);
    expect_raw_problem(&r, 414, "8 KiB", true);
    raw_big(s.port, 100, 20 * 1024, &r);
    expect_raw_problem(&r, 431, "16 KiB", true);
    raw_big(s.port, 100, 40 * 1024, &r);
    expect_raw_problem(&r, 431, "16 KiB", true);
    /* controls: just under the limits */
    raw_big(s.port, 8 * 1024, 10, &r);
    assert_int_equal(raw_count_responses(&r), 1);
    assert_non_null(strstr(r.data, "HTTP/1.1 400")); /* the unknown query parameter */
    raw_big(s.port, 100, 15 * 1024, &r);
    assert_non_null(strstr(r.data, "HTTP/1.1 400"));
    /* libmicrohttpd's own answers: status right, connection closed (its
     * HTML pages are outside the contract, so no contract check) */
    static const struct {
        const char *req;
        int status;
    } mhd[] = {
        {"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n", 505},
        {"GET /healthz HTTX/1.1\r\nHost: x\r\n\r\n", 400},
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400},
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\n", 400},
        {"POST /api/v1/cases/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "zz\r\n",
         400},
    };
    for (size_t i = 0; i < sizeof mhd / sizeof *mhd; i++) {
        raw_exchange(s.port, mhd[i].req, strlen(mhd[i].req), &r);
        int st = 0;
        sscanf(r.data, "HTTP/1.%*d %d", &st);
        if (st != mhd[i].status || !r.closed)
            fail_msg("case %zu: expected %d and a close: %.300s", i, mhd[i].status, r.data);
    }
    raw_big(s.port, 100 * 1024, 10, &r);
    assert_non_null(strstr(r.data, "HTTP/1.1 414"));
    assert_true(r.closed);
    raw_big(s.port, 100, 100 * 1024, &r);
    assert_non_null(strstr(r.data, "HTTP/1.1 431"));
    assert_true(r.closed);
    /* the service is fine */
    assert_int_equal(raw_get(s.port, "GET", "/healthz", NULL, &r), 200);
    assert_int_equal(mzt_server_stop(&s), 0);
    /* ... and logged them with the status sent, not 0 */
    size_t n;
    char *log = mzt_slurp(s.log, &n);
    assert_non_null(log);
    assert_null(strstr(log, "\"status\":0"));
    /* libmicrohttpd's 431 (it answered before our handler saw a method) */
    assert_non_null(strstr(log, "\"method\":\"\",\"route\":\"(unmatched)\",\"status\":431"));
    free(log);
}

/* Clients that sent a request line but never finish their headers are
 * not requests in flight: a graceful shutdown does not wait for them (the
 * request context now starts at the request line, in MHD's URI log
 * callback). */
static void test_shutdown_not_held_by_partial_requests(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    int fds[3];
    const char *part = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a";
    for (int i = 0; i < 3; i++) {
        fds[i] = dial(s.port);
        assert_true(fds[i] >= 0);
        assert_int_equal(send(fds[i], part, strlen(part), MSG_NOSIGNAL), (ssize_t)strlen(part));
    }
    usleep(300 * 1000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(mzt_server_stop(&s), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (ms > 3000) /* the drain waits up to 10 s for requests in flight */
        fail_msg("shutdown took %ld ms", ms);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}

static void test_slowloris(void **state)
{
    (void)state;
    mzt_server s;
    const char *env[] = {"MZ_PER_IP_CONNECTIONS=0", NULL};
    assert_true(mzt_server_start(&s, &g_env, env));
    enum { SLOW = 40 };
    pthread_t t[SLOW];
    slow a = {s.port, 8};
    for (int i = 0; i < SLOW; i++)
        pthread_create(&t[i], NULL, slowloris, &a);
    sleep(1);
    /* normal requests still succeed, promptly */
    for (int i = 0; i < 20; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        mzt_resp r;
        assert_true(mzt_http(&s, "GET", "/healthz", NULL, NULL, NULL, &r));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_int_equal(r.status, 200);
        mzt_resp_free(&r);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        assert_true(ms < 1000);
    }
    for (int i = 0; i < SLOW; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(mzt_server_stop(&s), 0);
}

static void test_per_ip_limit(void **state)
{
    (void)state;
    mzt_server s;
    const char *env[] = {"MZ_PER_IP_CONNECTIONS=4", NULL};
    assert_true(mzt_server_start(&s, &g_env, env));
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = dial(s.port);
        assert_true(fds[i] >= 0);
    }
    usleep(200 * 1000);
    /* the fifth from the same address is refused (closed without an answer) */
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(raw_status(s.port, req, strlen(req)), 0);
    close(fds[0]);
    usleep(300 * 1000);
    assert_int_equal(raw_status(s.port, req, strlen(req)), 200);
    for (int i = 1; i < 4; i++)
        close(fds[i]);
    assert_int_equal(mzt_server_stop(&s), 0);
}

static void write_agencies(const char *path, const char *ids[], int n, bool valid)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (!valid) {
        fputs("{\"agencies\": [ {\"id\": \"Broken!\"} ]}", f);
        fclose(f);
        return;
    }
    fputs("{\"agencies\":[", f);
    for (int i = 0; i < n; i++)
        fprintf(f,
                "%s{\"id\":\"%s\",\"name\":\"Agency %s\",\"adapter\":{\"kind\":\"rest-json\","
                "\"baseUrl\":\"http://127.0.0.1:9/api\",\"searchPath\":\"/s\",\"itemsPointer\":"
                "\"/items\",\"fields\":{\"externalId\":\"/id\",\"bsn\":\"/bsn\",\"title\":\"/t\","
                "\"status\":\"/s\",\"statusChangedAt\":\"/at\"}},\"pollIntervalSeconds\":86400}",
                i ? "," : "", ids[i], ids[i]);
    fputs("]}", f);
    fclose(f);
}

static bool admin_view_has(mzt_server *s, const char *admin, const char *needle)
{
    mzt_resp r;
    if (!mzt_http(s, "GET", "/api/v1/agencies", admin, NULL, NULL, &r))
        return false;
    bool has = strstr(r.body, needle) != NULL;
    mzt_resp_free(&r);
    return has;
}

static void test_sighup_reload(void **state)
{
    (void)state;
    char path[400], kv[500];
    snprintf(path, sizeof path, "%s/agencies-reload.json", g_env.dir);
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", path);
    const char *one[] = {"reload-a"}, *two[] = {"reload-a", "reload-b"};
    write_agencies(path, one, 1, true);
    const char *env[] = {kv, NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *admin = mzt_staff_token(&g_env, "[\"admin\"]");
    assert_true(admin_view_has(&s, admin, "\"id\":\"reload-a\""));
    assert_false(admin_view_has(&s, admin, "\"id\":\"reload-b\""));
    write_agencies(path, two, 2, true);
    kill(s.pid, SIGHUP);
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) {
        usleep(50 * 1000);
        seen = admin_view_has(&s, admin,
                              "\"id\":\"reload-b\",\"name\":\"Agency reload-b\","
                              "\"adapterKind\":\"rest-json\",\"enabled\":true,"
                              "\"configured\":true");
    }
    assert_true(seen);
    /* an invalid file changes nothing */
    write_agencies(path, NULL, 0, false);
    kill(s.pid, SIGHUP);
    usleep(500 * 1000);
    assert_true(admin_view_has(&s, admin, "\"configured\":true"));
    mzt_resp r;
    assert_true(mzt_http(&s, "GET", "/healthz", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    free(admin);
    assert_int_equal(mzt_server_stop(&s), 0);
    size_t n;
    char *log = mzt_slurp(s.log, &n);
    assert_non_null(log);
    assert_non_null(strstr(log, "agencies reloaded"));
    assert_non_null(strstr(log, "agencies file refused"));
    free(log);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_smuggling_refused),
        cmocka_unit_test(test_duplicate_authorization),
        cmocka_unit_test(test_raw_path_routing),
        cmocka_unit_test(test_no_store_everywhere),
        cmocka_unit_test(test_head_health),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_shutdown_not_held_by_partial_requests),
        cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_per_ip_limit),
        cmocka_unit_test(test_sighup_reload),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
