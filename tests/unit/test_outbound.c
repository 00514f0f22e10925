/* Unit tests for service/outbound.c: allowed URLs, size cap, timeouts,
 * deadline, retries, redirects, against a libmicrohttpd server in-process. */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "outbound.h"

#define BIG_SIZE ((uint64_t)3 * 1024 * 1024)

static struct MHD_Daemon *g_daemon;
static unsigned g_port;
static atomic_int g_requests;    /* requests seen by the server */
static atomic_int g_flaky;       /* /api/flaky calls */
static atomic_int g_connections; /* TCP connections accepted */
static atomic_bool g_stopping;

/* ---- the fake agency ---- */

typedef struct req_ctx {
    size_t body_len;
} req_ctx;

static ssize_t big_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= BIG_SIZE)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max;
    if (n > BIG_SIZE - pos)
        n = (size_t)(BIG_SIZE - pos);
    memset(buf, 'x', n);
    return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                             const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        req_ctx *rc = calloc(1, sizeof *rc);
        if (!rc)
            return MHD_NO;
        *con_cls = rc;
        atomic_fetch_add(&g_requests, 1);
        return MHD_YES;
    }
    req_ctx *rc = *con_cls;
    if (*upload_data_size) {
        rc->body_len += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (strcmp(url, "/api/ok") == 0)
        return reply(conn, 200, "application/json", "{\"ok\":true}");
    if (strcmp(url, "/api/big") == 0) {
        struct MHD_Response *r =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, big_reader, NULL, NULL);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
        enum MHD_Result ret = MHD_queue_response(conn, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/api/slow") == 0) {
        for (int i = 0; i < 150 && !atomic_load(&g_stopping); i++)
            usleep(20 * 1000);
        return reply(conn, 200, "text/plain", "slow");
    }
    if (strcmp(url, "/api/flaky") == 0) {
        int n = atomic_fetch_add(&g_flaky, 1);
        return n < 2 ? reply(conn, 503, "text/plain", "busy")
                     : reply(conn, 200, "text/plain", "ok");
    }
    if (strcmp(url, "/api/500") == 0)
        return reply(conn, 500, "text/plain", "broken");
    if (strcmp(url, "/api/redirect") == 0) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/api/ok");
        enum MHD_Result ret = MHD_queue_response(conn, 302, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/api/echo-method") == 0) {
        const char *x = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test");
        char text[128];
        snprintf(text, sizeof text, "%s %zu %s", method, rc->body_len, x ? x : "-");
        return reply(conn, 200, "text/plain", text);
    }
    return reply(conn, 404, "text/plain", "not found");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&g_connections, 1);
}

static int server_start(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    /* requests to 127.0.0.1 must not go through a proxy from the environment */
    const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    mz_outbound_global_init();

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL, MHD_OPTION_END);
    if (!g_daemon)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || info->port == 0)
        return -1;
    g_port = info->port;
    return 0;
}

static int server_stop(void **state)
{
    (void)state;
    atomic_store(&g_stopping, true);
    if (g_daemon)
        MHD_stop_daemon(g_daemon);
    g_daemon = NULL;
    return 0;
}

static int reset_counters(void **state)
{
    (void)state;
    atomic_store(&g_flaky, 0);
    return 0;
}

/* ---- helpers ---- */

static void url_for(char *buf, size_t len, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%u%s", g_port, path);
}

/* A client allowed to reach http://127.0.0.1:<port>/api; short backoff. */
static mz_outbound *client_for(unsigned port, size_t max_response, long timeout_ms, long backoff_ms)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/api", port);
    mz_outbound_opts o;
    memset(&o, 0, sizeof o);
    o.bases[0] = base;
    o.max_response = max_response;
    o.timeout_ms = timeout_ms;
    o.backoff_ms = backoff_ms;
    mz_outbound *c = mz_outbound_new(&o);
    assert_non_null(c);
    return c;
}

static mz_outbound *client(void)
{
    return client_for(g_port, 0, 0, 10);
}

static mz_outbound_status get(mz_outbound *c, const char *path, bool idempotent,
                              int64_t deadline_ms, mz_outbound_result *r)
{
    char url[256];
    url_for(url, sizeof url, path);
    return mz_outbound_request(c, "GET", url, NULL, NULL, 0, idempotent, deadline_ms, r);
}

/* A loopback port nothing listens on. */
static unsigned closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* Errors may name the origin but never the path, query or headers. */
static void assert_error_clean(const mz_outbound_result *r)
{
    assert_non_null(memchr(r->error, '\0', sizeof r->error));
    assert_null(strstr(r->error, "/api"));
    assert_null(strstr(r->error, "?"));
}

/* ---- allowed URLs ---- */

typedef struct url_case {
    const char *url; /* "{P}" stands for ":<server port>" */
    bool allowed;
} url_case;

/* Checks each case with the client and, when bases is not NULL, with the
 * client-less form intake uses (mz_outbound_url_under): the same rule. */
static void check_cases(const mz_outbound *c, const char *const *bases, const url_case *cases,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char url[256];
        const char *mark = strstr(cases[i].url, "{P}");
        if (mark)
            snprintf(url, sizeof url, "%.*s:%u%s", (int)(mark - cases[i].url), cases[i].url, g_port,
                     mark + 3);
        else
            snprintf(url, sizeof url, "%s", cases[i].url);
        bool got = mz_outbound_allowed(c, url);
        if (got != cases[i].allowed)
            fail_msg("%s: expected %s", url, cases[i].allowed ? "allowed" : "refused");
        if (bases && mz_outbound_url_under(bases, url) != cases[i].allowed)
            fail_msg("%s: expected %s without a client", url,
                     cases[i].allowed ? "allowed" : "refused");
    }
}

static void test_allowed_table(void **state)
{
    (void)state;
    char b0[80], b1[80], b2[80];
    snprintf(b0, sizeof b0, "http://127.0.0.1:%u/zaken/api/v1", g_port);
    snprintf(b1, sizeof b1, "http://127.0.0.1:%u/docs/", g_port);
    snprintf(b2, sizeof b2, "https://Agency.Example/zaken");
    mz_outbound_opts o;
    memset(&o, 0, sizeof o);
    o.bases[0] = b0;
    o.bases[1] = b1;
    o.bases[2] = b2;
    mz_outbound *c = mz_outbound_new(&o);
    assert_non_null(c);

    static const url_case cases[] = {
        {"http://127.0.0.1{P}/zaken/api/v1/zaken?page=2", true},
        {"http://127.0.0.1{P}/zaken/api/v1", true},
        {"http://127.0.0.1{P}/zaken/api/v1/", true},
        {"http://127.0.0.1{P}/zaken/api/v1/zaken/123/status", true},
        {"http://127.0.0.1{P}/zaken/api/v1/zaken#top", true},
        {"HTTP://127.0.0.1{P}/zaken/api/v1/zaken", true},
        {"http://127.0.0.1{P}/zaken/api/v1/a..b/c.d", true}, /* dots inside names are fine */
        {"http://127.0.0.1{P}/zaken/api/v10/x", false},
        {"http://127.0.0.1{P}/zaken/api/v1x", false},
        {"http://127.0.0.1{P}/zaken/api", false},
        {"http://127.0.0.1{P}/zaken/api/", false},
        {"http://127.0.0.1{P}/", false},
        {"http://127.0.0.1{P}", false},
        {"http://127.0.0.1{P}/Zaken/api/v1/x", false},
        {"http://127.0.0.1{P}/zaken/api/v1/../../etc", false},
        {"http://127.0.0.1{P}/zaken/api/v1/..", false},
        {"http://127.0.0.1{P}/zaken/api/v1/./x", false},
        {"http://127.0.0.1{P}/zaken/api/v1/x/../y", false},
        {"http://127.0.0.1{P}/zaken/api/v1/%2e%2e/%2e%2e/etc", false},
        {"http://127.0.0.1{P}/zaken/api/v1/%2E%2E/x", false},
        {"http://127.0.0.1{P}/zaken/api/v1/.%2e/x", false},
        {"http://127.0.0.1{P}/zaken/api/v1/%2e/x", false},
        {"http://127.0.0.1{P}/zaken/api/v1/..;/x", false},
        {"http://127.0.0.1{P}/zaken/api/v1%2f..%2f..%2fetc", false},
        {"http://127.0.0.1{P}/zaken/api/v1/x%5c..%5cy", false},
        {"http://127.0.0.2{P}/zaken/api/v1/x", false},    /* other host */
        {"http://localhost{P}/zaken/api/v1/x", false},    /* other host name */
        {"https://127.0.0.1{P}/zaken/api/v1/x", false},   /* other scheme */
        {"http://user@127.0.0.1{P}/zaken/api/v1", false}, /* userinfo */
        {"http://user:pw@127.0.0.1{P}/zaken/api/v1", false},
        {"http://:pw@127.0.0.1{P}/zaken/api/v1", false},
        {"http://127.0.0.1{P}@evil.example/zaken/api/v1", false},
        {"http://evil.example/#@127.0.0.1{P}/zaken/api/v1", false},
        {"ftp://127.0.0.1{P}/zaken/api/v1/x", false},
        {"file:///zaken/api/v1/x", false},
        {"/zaken/api/v1/x", false},
        {"not a url", false},
        {"", false},
        /* base with a trailing slash */
        {"http://127.0.0.1{P}/docs/x", true},
        {"http://127.0.0.1{P}/docs", true},
        {"http://127.0.0.1{P}/docs/", true},
        {"http://127.0.0.1{P}/docsx", false},
        /* default port, host case */
        {"https://agency.example/zaken/x", true},
        {"https://AGENCY.EXAMPLE:443/zaken/x", true},
        {"https://agency.example:8443/zaken/x", false},
        {"http://agency.example:443/zaken/x", false},
        {"http://agency.example/zaken/x", false},
        {"https://agency.example.evil/zaken/x", false},
    };
    const char *const bases[] = {b0, b1, b2, NULL};
    check_cases(c, bases, cases, sizeof cases / sizeof cases[0]);

    /* other port */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/zaken/api/v1/x",
             g_port == 65535 ? 1 : g_port + 1);
    assert_false(mz_outbound_allowed(c, url));
    assert_false(mz_outbound_allowed(c, NULL));
    assert_false(mz_outbound_allowed(NULL, b0));
    assert_false(mz_outbound_url_under(bases, url));
    assert_false(mz_outbound_url_under(bases, NULL));
    /* no bases: nothing is under them (fail closed) */
    const char *const none[] = {NULL};
    assert_false(mz_outbound_url_under(none, b0));
    assert_false(mz_outbound_url_under(NULL, b0));
    mz_outbound_free(c);
}

static void test_root_base(void **state)
{
    (void)state;
    mz_outbound_opts o;
    memset(&o, 0, sizeof o);
    o.bases[0] = "http://root.example";
    mz_outbound *c = mz_outbound_new(&o);
    assert_non_null(c);
    assert_true(mz_outbound_allowed(c, "http://root.example/"));
    assert_true(mz_outbound_allowed(c, "http://root.example/anything/at/all?x=1"));
    assert_false(mz_outbound_allowed(c, "http://root.example/a/../../b"));
    assert_false(mz_outbound_allowed(c, "http://root.example.org/"));
    mz_outbound_free(c);
}

static void test_invalid_bases(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "ftp://agency.example/x",
        "http://user@agency.example/x",
        "http://agency.example/x?y=1",
        "http://agency.example/a/../b",
        "garbage",
        "",
        "/relative/path",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mz_outbound_opts o;
        memset(&o, 0, sizeof o);
        o.bases[0] = "https://good.example/api";
        o.bases[1] = bad[i];
        mz_outbound *c = mz_outbound_new(&o);
        if (c) {
            mz_outbound_free(c);
            fail_msg("accepted base \"%s\"", bad[i]);
        }
    }
    assert_null(mz_outbound_new(NULL));

    /* no bases: everything is refused */
    mz_outbound_opts o;
    memset(&o, 0, sizeof o);
    mz_outbound *c = mz_outbound_new(&o);
    assert_non_null(c);
    assert_false(mz_outbound_allowed(c, "http://127.0.0.1/"));
    mz_outbound_free(c);
}

/* ---- requests ---- */

static void test_ok(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/ok", true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 11);
    assert_string_equal(r.body, "{\"ok\":true}");
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.error, "");
    assert_int_equal(r.attempts, 1);
    mz_outbound_result_free(&r);
    assert_null(r.body);
    mz_outbound_result_free(&r); /* twice is harmless */
    mz_outbound_free(c);
}

static void test_keep_alive(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/ok", true, 0, &r), MZ_OUT_OK);
    mz_outbound_result_free(&r);
    int before = atomic_load(&g_connections);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(c, "/api/ok", true, mz_outbound_now_ms() + 20000, &r), MZ_OUT_OK);
        assert_int_equal(r.status, 200);
        mz_outbound_result_free(&r);
    }
    assert_int_equal(atomic_load(&g_connections), before); /* the connection was reused */
    mz_outbound_free(c);
}

static void test_big_under_cap(void **state)
{
    (void)state;
    mz_outbound *c = client_for(g_port, 4 * 1024 * 1024, 0, 10);
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/big", true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, BIG_SIZE);
    assert_int_equal(r.body[0], 'x');
    assert_int_equal(r.body[BIG_SIZE - 1], 'x');
    assert_int_equal(r.body[BIG_SIZE], '\0');
    assert_string_equal(r.content_type, "application/octet-stream");
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_too_large_chunked(void **state)
{
    (void)state;
    mz_outbound *c = client_for(g_port, 1024 * 1024, 0, 10);
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/big", true, 0, &r), MZ_OUT_TOO_LARGE);
    assert_null(r.body);
    assert_int_equal(r.body_len, 0);
    assert_int_equal(r.attempts, 1); /* not retried */
    assert_non_null(strstr(r.error, "response larger than 1048576 bytes"));
    assert_error_clean(&r);
    mz_outbound_result_free(&r);

    /* the client is still usable afterwards */
    assert_int_equal(get(c, "/api/ok", true, 0, &r), MZ_OUT_OK);
    assert_string_equal(r.body, "{\"ok\":true}");
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_too_large_content_length(void **state)
{
    (void)state;
    mz_outbound *c = client_for(g_port, 4, 0, 10);
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/ok", true, 0, &r), MZ_OUT_TOO_LARGE);
    assert_null(r.body);
    assert_non_null(strstr(r.error, "response larger than 4 bytes"));
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_slow_timeout(void **state)
{
    (void)state;
    mz_outbound *c = client_for(g_port, 0, 500, 10);
    mz_outbound_result r;
    int64_t t0 = mz_outbound_now_ms();
    assert_int_equal(get(c, "/api/slow", false, 0, &r), MZ_OUT_TRANSPORT);
    int64_t elapsed = mz_outbound_now_ms() - t0;
    if (elapsed < 400 || elapsed > 2800)
        fail_msg("timed out after %lld ms", (long long)elapsed);
    assert_int_equal(r.status, 0);
    assert_null(r.body);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "Timeout"));
    assert_non_null(strstr(r.error, "http://127.0.0.1:"));
    assert_error_clean(&r);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_deadline_shorter_than_timeout(void **state)
{
    (void)state;
    mz_outbound *c = client_for(g_port, 0, 10000, 10);
    mz_outbound_result r;
    int64_t t0 = mz_outbound_now_ms();
    assert_int_equal(get(c, "/api/slow", true, t0 + 700, &r), MZ_OUT_DEADLINE);
    int64_t elapsed = mz_outbound_now_ms() - t0;
    if (elapsed < 500 || elapsed > 2800)
        fail_msg("stopped after %lld ms", (long long)elapsed);
    assert_int_equal(r.attempts, 1); /* no time was left for a retry */
    assert_null(r.body);
    assert_error_clean(&r);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_deadline_already_passed(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    int before = atomic_load(&g_requests);
    assert_int_equal(get(c, "/api/ok", true, mz_outbound_now_ms() - 1, &r), MZ_OUT_DEADLINE);
    assert_int_equal(r.attempts, 0);
    assert_int_equal(r.status, 0);
    assert_null(r.body);
    assert_int_equal(atomic_load(&g_requests), before);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_flaky_idempotent(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/flaky", true, mz_outbound_now_ms() + 30000, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 3);
    assert_string_equal(r.body, "ok");
    assert_string_equal(r.error, "");
    assert_int_equal(atomic_load(&g_flaky), 3);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_flaky_not_idempotent(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/flaky", false, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.body, "busy");
    assert_int_equal(atomic_load(&g_flaky), 1);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_flaky_attempts_exhausted(void **state)
{
    (void)state;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/api", g_port);
    mz_outbound_opts o;
    memset(&o, 0, sizeof o);
    o.bases[0] = base;
    o.max_attempts = 2;
    o.backoff_ms = 10;
    mz_outbound *c = mz_outbound_new(&o);
    assert_non_null(c);
    mz_outbound_result r;
    assert_int_equal(get(c, "/api/flaky", true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(atomic_load(&g_flaky), 2);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

/* A backoff longer than the time left: stop at once with the last result. */
static void test_backoff_past_deadline(void **state)
{
    (void)state;
    mz_outbound *c = client_for(g_port, 0, 0, 5000);
    mz_outbound_result r;
    int64_t t0 = mz_outbound_now_ms();
    assert_int_equal(get(c, "/api/flaky", true, t0 + 2000, &r), MZ_OUT_DEADLINE);
    int64_t elapsed = mz_outbound_now_ms() - t0;
    if (elapsed > 1900)
        fail_msg("slept: returned after %lld ms", (long long)elapsed);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "503"));
    assert_error_clean(&r);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_500_not_retried(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    int before = atomic_load(&g_requests);
    assert_int_equal(get(c, "/api/500", true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 500);
    assert_int_equal(r.attempts, 1);
    assert_string_equal(r.body, "broken");
    assert_int_equal(atomic_load(&g_requests) - before, 1);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_redirect_not_followed(void **state)
{
    (void)state;
    mz_outbound *c = client();
    mz_outbound_result r;
    int before = atomic_load(&g_requests);
    assert_int_equal(get(c, "/api/redirect", true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 302);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(atomic_load(&g_requests) - before, 1);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_methods(void **state)
{
    (void)state;
    mz_outbound *c = client();
    char url[256];
    url_for(url, sizeof url, "/api/echo-method");
    const char *const hdrs[] = {"X-Test: abc", "Content-Type: application/json", NULL};
    mz_outbound_result r;

    assert_int_equal(mz_outbound_request(c, "POST", url, hdrs, "hello", 5, false, 0, &r),
                     MZ_OUT_OK);
    assert_string_equal(r.body, "POST 5 abc");
    mz_outbound_result_free(&r);

    assert_int_equal(mz_outbound_request(c, "PUT", url, NULL, "{\"a\":1}", 7, true, 0, &r),
                     MZ_OUT_OK);
    assert_string_equal(r.body, "PUT 7 -");
    mz_outbound_result_free(&r);

    assert_int_equal(mz_outbound_request(c, "POST", url, NULL, NULL, 0, false, 0, &r), MZ_OUT_OK);
    assert_string_equal(r.body, "POST 0 -");
    mz_outbound_result_free(&r);

    assert_int_equal(mz_outbound_request(c, "DELETE", url, NULL, NULL, 0, true, 0, &r), MZ_OUT_OK);
    assert_string_equal(r.body, "DELETE 0 -");
    mz_outbound_result_free(&r);

    /* after a body-carrying request, GET is a plain GET again */
    assert_int_equal(mz_outbound_request(c, "GET", url, hdrs, NULL, 0, true, 0, &r), MZ_OUT_OK);
    assert_string_equal(r.body, "GET 0 abc");
    mz_outbound_result_free(&r);

    assert_int_equal(mz_outbound_request(c, "HEAD", url, NULL, NULL, 0, true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_connect_refused(void **state)
{
    (void)state;
    unsigned port = closed_port();
    mz_outbound *c = client_for(port, 0, 0, 10);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/ok?bsn=1", port);
    mz_outbound_result r;

    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, true, 0, &r),
                     MZ_OUT_TRANSPORT);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.status, 0);
    assert_null(r.body);
    assert_non_null(strstr(r.error, "127.0.0.1"));
    assert_error_clean(&r);
    assert_null(strstr(r.error, "bsn"));
    mz_outbound_result_free(&r);

    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, false, 0, &r),
                     MZ_OUT_TRANSPORT);
    assert_int_equal(r.attempts, 1);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_refused_sends_nothing(void **state)
{
    (void)state;
    mz_outbound *c = client();
    int before = atomic_load(&g_requests);
    int conns = atomic_load(&g_connections);
    mz_outbound_result r;
    char url[256];

    url_for(url, sizeof url, "/other/ok");
    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, true, 0, &r),
                     MZ_OUT_REFUSED);
    assert_int_equal(r.attempts, 0);
    assert_int_equal(r.status, 0);
    assert_null(r.body);
    assert_string_equal(r.error, "URL not under an allowed base");
    mz_outbound_result_free(&r);

    url_for(url, sizeof url, "/api/../other");
    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, true, 0, &r),
                     MZ_OUT_REFUSED);
    mz_outbound_result_free(&r);

    /* a header with a line break could smuggle another header */
    url_for(url, sizeof url, "/api/ok");
    const char *const evil[] = {"X-Test: a\r\nX-Evil: b", NULL};
    assert_int_equal(mz_outbound_request(c, "GET", url, evil, NULL, 0, true, 0, &r),
                     MZ_OUT_REFUSED);
    mz_outbound_result_free(&r);
    assert_int_equal(mz_outbound_request(c, "GET /x", url, NULL, NULL, 0, true, 0, &r),
                     MZ_OUT_REFUSED);
    mz_outbound_result_free(&r);

    assert_int_equal(atomic_load(&g_requests), before);
    assert_int_equal(atomic_load(&g_connections), conns);
    mz_outbound_free(c);
}

/* ---- the address rule (security review: no loopback, private, link-local
 * or metadata addresses after DNS resolution unless the base itself is
 * such an address) ---- */

static size_t sockaddr_of(const char *text, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(443);
        memcpy(ss, &v4, sizeof v4);
        return sizeof v4;
    }
    if (inet_pton(AF_INET6, text, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(443);
        memcpy(ss, &v6, sizeof v6);
        return sizeof v6;
    }
    fail_msg("bad address in the test table: %s", text);
    return 0;
}

static void test_address_policy_table(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        bool internal;
    } cases[] = {
        /* IPv4: loopback, private, link-local and metadata, shared, unspecified */
        {"127.0.0.1", true},
        {"127.255.255.254", true},
        {"127.1.2.3", true},
        {"10.0.0.1", true},
        {"10.255.255.255", true},
        {"172.16.0.1", true},
        {"172.31.255.255", true},
        {"192.168.0.1", true},
        {"192.168.255.255", true},
        {"169.254.169.254", true}, /* cloud metadata */
        {"169.254.0.1", true},
        {"100.64.0.1", true},
        {"100.127.255.255", true},
        {"100.100.100.200", true}, /* a cloud's metadata address inside 100.64/10 */
        {"0.0.0.0", true},
        {"0.1.2.3", true},
        {"192.0.0.1", true},
        {"198.18.0.1", true},
        {"198.19.255.255", true},
        {"224.0.0.1", true},
        {"239.255.255.250", true},
        {"240.0.0.1", true},
        {"255.255.255.255", true},
        /* IPv4: public, including the neighbours of every range */
        {"8.8.8.8", false},
        {"1.1.1.1", false},
        {"1.0.0.0", false},
        {"9.255.255.255", false},
        {"11.0.0.0", false},
        {"126.255.255.255", false},
        {"128.0.0.0", false},
        {"172.15.255.255", false},
        {"172.32.0.0", false},
        {"192.167.255.255", false},
        {"192.169.0.0", false},
        {"169.253.255.255", false},
        {"169.255.0.0", false},
        {"100.63.255.255", false},
        {"100.128.0.0", false},
        {"192.0.1.1", false},
        {"198.17.255.255", false},
        {"198.20.0.0", false},
        {"223.255.255.255", false},
        {"145.7.8.9", false},
        /* IPv6: loopback, unspecified, unique local, link-local, site-local,
         * multicast */
        {"::1", true},
        {"::", true},
        {"fc00::1", true},
        {"fd00:ec2::254", true}, /* a cloud's IPv6 metadata address */
        {"fdff:ffff::1", true},
        {"fe80::1", true},
        {"febf:ffff::1", true},
        {"fec0::1", true},
        {"ff02::1", true},
        /* IPv4 inside IPv6: mapped, compatible, NAT64, 6to4 */
        {"::ffff:127.0.0.1", true},
        {"::ffff:10.1.2.3", true},
        {"::ffff:169.254.169.254", true},
        {"::ffff:192.168.1.1", true},
        {"::ffff:0.0.0.0", true},
        {"::127.0.0.1", true},
        {"::10.0.0.1", true},
        {"64:ff9b::7f00:1", true},
        {"64:ff9b::a9fe:a9fe", true},
        {"64:ff9b:1::1", true},
        {"2002:7f00:1::1", true},
        {"2002:a00:1::", true},
        {"2002:a9fe:a9fe::", true},
        /* IPv6: public */
        {"2001:4860:4860::8888", false},
        {"2a00:1450:400e::1", false},
        {"2606:4700::1111", false},
        {"::ffff:8.8.8.8", false},
        {"::8.8.8.8", false},
        {"64:ff9b::808:808", false},
        {"2002:808:808::1", false},
        {"fbff::1", false},
        {"fe7f::1", false},
        {"2001:db9::1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        size_t len = sockaddr_of(cases[i].addr, &ss);
        bool got = mz_outbound_addr_internal((const struct sockaddr *)&ss, len);
        if (got != cases[i].internal)
            fail_msg("%s: expected %s", cases[i].addr, cases[i].internal ? "internal" : "public");
        /* for a host that is only a name nobody permitted, internal means refused */
        if (mz_outbound_connect_allowed("agency.example", (const struct sockaddr *)&ss, len) ==
            cases[i].internal)
            fail_msg("%s: connect from a public name %s", cases[i].addr,
                     cases[i].internal ? "allowed" : "refused");
    }
    /* not an internet address at all, or cut short: refused */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_false(mz_outbound_addr_internal((const struct sockaddr *)&ss, sizeof ss));
    assert_false(
        mz_outbound_connect_allowed("agency.example", (const struct sockaddr *)&ss, sizeof ss));
    size_t len = sockaddr_of("8.8.8.8", &ss);
    assert_false(mz_outbound_connect_allowed("agency.example", (const struct sockaddr *)&ss, 2));
    assert_true(mz_outbound_connect_allowed("agency.example", (const struct sockaddr *)&ss, len));
    assert_false(mz_outbound_connect_allowed("agency.example", NULL, 0));
}

/* The exception: a base whose host is such an address itself (literally,
 * or a name that resolved there at configuration time) permits exactly
 * that address, for that host. */
static void test_address_policy_permits(void **state)
{
    (void)state;
    static const struct {
        const char *host, *addr;
        bool allowed;
    } cases[] = {
        {"127.0.0.1", "127.0.0.1", true},
        {"127.0.0.1", "::ffff:127.0.0.1", true},
        {"127.0.0.1", "127.0.0.2", false},
        {"127.0.0.1", "10.0.0.1", false},
        {"127.0.0.1", "::1", false},
        {"127.0.0.1", "8.8.8.8", true},
        {"10.1.2.3", "10.1.2.3", true},
        {"10.1.2.3", "10.1.2.4", false},
        {"10.1.2.3", "169.254.169.254", false},
        {"[::1]", "::1", true},
        {"[::1]", "127.0.0.1", false},
        {"[::ffff:127.0.0.1]", "127.0.0.1", true},
        {"[fd00::5]", "fd00::5", true},
        {"[fd00::5]", "fd00::6", false},
        /* names: nothing internal unless permitted */
        {"agency.example", "127.0.0.1", false},
        {"agency.example", "169.254.169.254", false},
        {"agency.example", "::ffff:127.0.0.1", false},
        {"localhost.", "127.0.0.1", false},
        {"agency.localhost", "127.0.0.1", false},
        {"", "127.0.0.1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sockaddr_storage ss;
        size_t len = sockaddr_of(cases[i].addr, &ss);
        if (mz_outbound_connect_allowed(cases[i].host, (const struct sockaddr *)&ss, len) !=
            cases[i].allowed)
            fail_msg("%s -> %s: expected %s", cases[i].host, cases[i].addr,
                     cases[i].allowed ? "allowed" : "refused");
    }
    struct sockaddr_storage ss;
    size_t len = sockaddr_of("127.0.0.1", &ss);
    assert_false(mz_outbound_connect_allowed(NULL, (const struct sockaddr *)&ss, len));

    /* a name resolving (here through /etc/hosts) to loopback at configuration
     * time: exactly that address, for that name only */
    assert_true(mz_outbound_permit_base("http://LocalHost:8080/zaken") >= 1);
    assert_true(mz_outbound_connect_allowed("localhost", (const struct sockaddr *)&ss, len));
    assert_true(mz_outbound_connect_allowed("LOCALHOST", (const struct sockaddr *)&ss, len));
    assert_false(mz_outbound_connect_allowed("localhost.", (const struct sockaddr *)&ss, len));
    assert_false(
        mz_outbound_connect_allowed("agency.localhost", (const struct sockaddr *)&ss, len));
    len = sockaddr_of("10.0.0.1", &ss);
    assert_false(mz_outbound_connect_allowed("localhost", (const struct sockaddr *)&ss, len));
    len = sockaddr_of("169.254.169.254", &ss);
    assert_false(mz_outbound_connect_allowed("localhost", (const struct sockaddr *)&ss, len));
    /* literal bases need nothing; invalid bases are refused */
    assert_int_equal(mz_outbound_permit_base("http://127.0.0.1:8080/zaken"), 0);
    assert_int_equal(mz_outbound_permit_base("http://[::1]/zaken"), 0);
    assert_int_equal(mz_outbound_permit_base("ftp://localhost/x"), -1);
    assert_int_equal(mz_outbound_permit_base(NULL), -1);
}

/* Over loopback: the rule is applied to the address libcurl connects to.
 * A base of http://127.0.0.1:port reaches the server; a base whose host is
 * a name that was never permitted — standing for a public name whose DNS
 * now answers 127.0.0.1 or ::1 (curl resolves *.localhost there itself, no
 * DNS) — is refused before any connection; the same for "localhost" until
 * its configuration-time resolution permits it. No traffic leaves this
 * machine. */
static void test_internal_address_refused(void **state)
{
    (void)state;
    int conns = atomic_load(&g_connections);
    int before = atomic_load(&g_requests);
    mz_outbound_result r;
    char base[96], url[160];

    snprintf(base, sizeof base, "http://agency.localhost:%u/api", g_port);
    mz_outbound_opts o;
    memset(&o, 0, sizeof o);
    o.bases[0] = base;
    o.backoff_ms = 10;
    mz_outbound *c = mz_outbound_new(&o);
    assert_non_null(c);
    snprintf(url, sizeof url, "%s/ok", base);
    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, true, 0, &r),
                     MZ_OUT_REFUSED);
    assert_int_equal(r.attempts, 1); /* not retried */
    assert_int_equal(r.status, 0);
    assert_null(r.body);
    assert_non_null(strstr(r.error, "internal address"));
    mz_outbound_result_free(&r);
    /* a next link or redirect target elsewhere never gets that far */
    snprintf(url, sizeof url, "http://[::1]:%u/api/ok", g_port);
    assert_false(mz_outbound_allowed(c, url));
    snprintf(url, sizeof url, "http://localhost.:%u/api/ok", g_port);
    assert_false(mz_outbound_allowed(c, url));
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/ok", g_port);
    assert_false(mz_outbound_allowed(c, url));
    mz_outbound_free(c);

    snprintf(base, sizeof base, "http://localhost:%u/api", g_port);
    o.bases[0] = base;
    c = mz_outbound_new(&o);
    assert_non_null(c);
    snprintf(url, sizeof url, "%s/ok", base);
    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, true, 0, &r),
                     MZ_OUT_REFUSED);
    mz_outbound_result_free(&r);
    assert_int_equal(atomic_load(&g_connections), conns); /* nothing connected */
    assert_int_equal(atomic_load(&g_requests), before);

    /* configuration time: "localhost" resolves to 127.0.0.1 here */
    assert_true(mz_outbound_permit_base(base) >= 1);
    assert_int_equal(mz_outbound_request(c, "GET", url, NULL, NULL, 0, true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 200);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);

    /* a literal loopback base needs nothing */
    c = client();
    assert_int_equal(get(c, "/api/ok", true, 0, &r), MZ_OUT_OK);
    assert_int_equal(r.status, 200);
    mz_outbound_result_free(&r);
    mz_outbound_free(c);
}

static void test_now_monotonic(void **state)
{
    (void)state;
    int64_t a = mz_outbound_now_ms();
    usleep(20 * 1000);
    int64_t b = mz_outbound_now_ms();
    assert_true(a > 0);
    assert_true(b - a >= 15);
    mz_outbound_global_init(); /* idempotent */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allowed_table),
        cmocka_unit_test(test_root_base),
        cmocka_unit_test(test_invalid_bases),
        cmocka_unit_test(test_address_policy_table),
        cmocka_unit_test_setup(test_internal_address_refused, reset_counters),
        cmocka_unit_test(test_address_policy_permits),
        cmocka_unit_test_setup(test_ok, reset_counters),
        cmocka_unit_test_setup(test_keep_alive, reset_counters),
        cmocka_unit_test_setup(test_big_under_cap, reset_counters),
        cmocka_unit_test_setup(test_too_large_chunked, reset_counters),
        cmocka_unit_test_setup(test_too_large_content_length, reset_counters),
        cmocka_unit_test_setup(test_slow_timeout, reset_counters),
        cmocka_unit_test_setup(test_deadline_shorter_than_timeout, reset_counters),
        cmocka_unit_test_setup(test_deadline_already_passed, reset_counters),
        cmocka_unit_test_setup(test_flaky_idempotent, reset_counters),
        cmocka_unit_test_setup(test_flaky_not_idempotent, reset_counters),
        cmocka_unit_test_setup(test_flaky_attempts_exhausted, reset_counters),
        cmocka_unit_test_setup(test_backoff_past_deadline, reset_counters),
        cmocka_unit_test_setup(test_500_not_retried, reset_counters),
        cmocka_unit_test_setup(test_redirect_not_followed, reset_counters),
        cmocka_unit_test_setup(test_methods, reset_counters),
        cmocka_unit_test_setup(test_connect_refused, reset_counters),
        cmocka_unit_test_setup(test_refused_sends_nothing, reset_counters),
        cmocka_unit_test(test_now_monotonic),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
