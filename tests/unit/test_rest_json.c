/*
 * test_rest_json.c — what the rest-json adapter puts on the wire, against a
 * libmicrohttpd server in-process that records every request's headers.
 *
 * Why here and not only in the integration test: the fake ZGW proves that
 * configured headers reach an agency (it answers 412 without Accept-Crs),
 * but it cannot show what must *not* be sent: a second Accept next to the
 * agency's own, a header with an empty value, Content-Type on a GET. This
 * test sees every header line of the list (GET), the search (POST) and the
 * fetch of one case (GET), for an agency with `headers` (a plain value, one
 * from valueEnv, one from valueFile, its own Accept, an empty value) and one
 * without.
 *
 * Subjects: which subject an item is stored under (its bsn field: a
 * person; else its kvk field: a business, under the kvk pseudonym), items
 * naming no one or someone other than the searched subject skipped and
 * counted, and the search body for a business (searchKvkField).
 */
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
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agencies.h"
#include "buf.h"
#include "crypto.h"
#include "outbound.h"

#define BSN "999993653"
#define ITEM                                                                                       \
    "{\"id\":\"c1\",\"bsn\":\"" BSN "\",\"t\":\"T\",\"s\":\"received\",\"at\":\"2026-01-01\"}"
#define SECRET "hdr-secret-from-env"
#define FILESC "hdr-secret-from-file"
#define TOKEN  "rj-token-value"
#define KVK    "90000001"
/* The business agency's items: a person, a business, both (the person's),
 * nobody, an invalid KVK number (nobody). */
#define BIZ_ITEMS                                                                                  \
    "{\"items\":["                                                                                 \
    "{\"id\":\"p\",\"bsn\":\"" BSN "\",\"t\":\"P\",\"s\":\"received\",\"at\":\"2026-01-01\"},"     \
    "{\"id\":\"b\",\"kvk\":\"" KVK "\",\"t\":\"B\",\"s\":\"received\",\"at\":\"2026-01-01\"},"     \
    "{\"id\":\"pb\",\"bsn\":\"" BSN "\",\"kvk\":\"" KVK "\",\"t\":\"PB\",\"s\":\"received\","      \
    "\"at\":\"2026-01-01\"},"                                                                      \
    "{\"id\":\"n\",\"t\":\"N\",\"s\":\"received\",\"at\":\"2026-01-01\"},"                         \
    "{\"id\":\"x\",\"kvk\":\"1234\",\"t\":\"X\",\"s\":\"received\",\"at\":\"2026-01-01\"}]}"

/* An item with documents and decisions (issue 16): a duplicate reference
 * and one without a title are dropped; a date-time becomes its day. */
#define DOCS_ITEMS                                                                                 \
    "{\"items\":[{\"id\":\"d1\",\"bsn\":\"" BSN "\",\"t\":\"T\",\"s\":\"decided\",\"at\":"         \
    "\"2026-01-01\",\"docs\":[{\"ref\":\"L-1\",\"name\":\"Besluit\",\"mime\":"                     \
    "\"application/pdf\",\"bytes\":31,\"made\":\"2026-01-02T10:00:00Z\",\"file\":"                 \
    "\"/docs/content/1\"},{\"ref\":\"L-1\",\"name\":\"Twice\"},{\"ref\":\"L-2\"}],"                \
    "\"decs\":[{\"ref\":\"B-1\",\"on\":\"2026-01-02\",\"from\":\"2026-01-03\",\"why\":"            \
    "\"Toegekend\",\"letters\":[\"L-1\"]}]}]}"

static struct MHD_Daemon *g_daemon;
static unsigned g_port;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static mz_buf g_seen = MZ_BUF_INIT; /* "METHOD path\n" + "name: value\n" per header, per request */
static mz_buf g_body = MZ_BUF_INIT; /* the request bodies received, one after another */
static char g_dir[64];
static char g_agencies[4096];

static enum MHD_Result record_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    mz_buf_printf(cls, "%s: %s\n", key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
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
        *con_cls = conn;
        return MHD_YES;
    }
    if (*upload_data_size) {
        pthread_mutex_lock(&g_mu);
        mz_buf_append(&g_body, upload_data, *upload_data_size);
        pthread_mutex_unlock(&g_mu);
        *upload_data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&g_mu);
    mz_buf_printf(&g_seen, "%s %s\n", method, url);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, record_header, &g_seen);
    pthread_mutex_unlock(&g_mu);
    if (strcmp(url, "/api/list") == 0 || strcmp(url, "/api/search") == 0)
        return reply(conn, 200, "{\"items\":[" ITEM "]}");
    if (strcmp(url, "/api/case/c1") == 0)
        return reply(conn, 200, ITEM);
    if (strcmp(url, "/api/biz/list") == 0 || strcmp(url, "/api/biz/search") == 0)
        return reply(conn, 200, BIZ_ITEMS);
    if (strcmp(url, "/api/docs/list") == 0)
        return reply(conn, 200, DOCS_ITEMS);
    if (strcmp(url, "/api/docs/content/1") == 0)
        return reply(conn, 200, "%PDF-1.4\n% a document\n%%EOF\n");
    if (strcmp(url, "/api/docs/content/moved") == 0) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Location", "http://localhost/elsewhere");
        enum MHD_Result ret = MHD_queue_response(conn, 302, r);
        MHD_destroy_response(r);
        return ret;
    }
    return reply(conn, 404, "{}");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    *con_cls = NULL;
}

static const char *agency_json_at(const char *host, const char *id, const char *headers)
{
    static char buf[1500];
    snprintf(buf, sizeof buf,
             "{\"id\":\"%s\",\"name\":\"R\",\"adapter\":{\"kind\":\"rest-json\","
             "\"baseUrl\":\"http://%s:%u/api\",\"listPath\":\"/list\","
             "\"searchPath\":\"/search\",\"tokenEnv\":\"MZ_TEST_RJ_TOKEN\","
             "\"itemsPointer\":\"/items\",\"fields\":{\"externalId\":\"/id\",\"bsn\":\"/bsn\","
             "\"title\":\"/t\",\"status\":\"/s\",\"statusChangedAt\":\"/at\"}%s}}",
             id, host, g_port, headers);
    return buf;
}

static const char *agency_json(const char *id, const char *headers)
{
    return agency_json_at("127.0.0.1", id, headers);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    mz_outbound_global_init();
    unsigned char key[32] = {1};
    mz_pseudonym_set_key(key, sizeof key);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!g_daemon)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (!info || info->port == 0)
        return -1;
    g_port = info->port;

    snprintf(g_dir, sizeof g_dir, "/tmp/mz-test-rj-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/key", g_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(FILESC "\n", f);
    fclose(f);
    setenv("MZ_TEST_RJ_TOKEN", TOKEN, 1);
    setenv("MZ_TEST_RJ_KEY", SECRET, 1);
    char with[600];
    snprintf(with, sizeof with,
             ",\"headers\":{\"X-Api-Key\":{\"valueEnv\":\"MZ_TEST_RJ_KEY\"},"
             "\"X-File-Key\":{\"valueFile\":\"%s\"},\"Accept-Crs\":\"EPSG:4326\","
             "\"accept\":\"application/hal+json\",\"X-Empty\":\"\"}",
             path);
    size_t n = (size_t)snprintf(g_agencies, sizeof g_agencies, "{\"agencies\":[%s,",
                                agency_json("with", with));
    snprintf(g_agencies + n, sizeof g_agencies - n, "%s]}", agency_json("without", ""));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_daemon)
        MHD_stop_daemon(g_daemon);
    char path[128];
    snprintf(path, sizeof path, "%s/key", g_dir);
    unlink(path);
    rmdir(g_dir);
    mz_buf_free(&g_seen);
    mz_buf_free(&g_body);
    return 0;
}

static bool count_emit(mz_sink *s, const mz_case_record *rec)
{
    (void)rec;
    (*(int *)s->ud)++;
    return true;
}

/* Runs list, search and fetch on one agency; returns what the server saw
 * (caller frees). Each of the three must deliver the one case. */
static char *exchange(const mz_agencies *set, const char *id)
{
    const mz_agency *a = mz_agencies_find(set, id);
    assert_non_null(a);
    pthread_mutex_lock(&g_mu);
    g_seen.len = 0;
    pthread_mutex_unlock(&g_mu);
    int emitted = 0;
    mz_sink sink = {.emit = count_emit, .ud = &emitted};
    char err[256] = "", *next = NULL;
    int64_t deadline = mz_outbound_now_ms() + 10000;
    assert_int_equal(a->ops->sync(a->state, &sink, NULL, &next, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    free(next);
    mz_subject who;
    assert_true(mz_subject_bsn(&who, BSN, 9));
    assert_int_equal(a->ops->refresh_subject(a->state, &sink, &who, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/case/c1", g_port);
    assert_int_equal(a->ops->fetch_case(a->state, &sink, url, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    assert_int_equal(emitted, 3);
    pthread_mutex_lock(&g_mu);
    char *seen = strndup(g_seen.data ? g_seen.data : "", g_seen.len);
    pthread_mutex_unlock(&g_mu);
    return seen;
}

/* How many header lines in block (up to the next request line) have this
 * name (case-insensitively); the value of the last in *value. */
static int header_count(const char *block, const char *name, char *value, size_t vlen)
{
    int n = 0;
    size_t nl = strlen(name);
    const char *line = strchr(block, '\n');
    while (line && line[1]) {
        line++;
        const char *eol = strchr(line, '\n');
        if (!eol)
            break;
        if (strncmp(line, "GET ", 4) == 0 || strncmp(line, "POST ", 5) == 0)
            break; /* the next request */
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            n++;
            if (value)
                snprintf(value, vlen, "%.*s", (int)(eol - line - nl - 2), line + nl + 2);
        }
        line = eol;
    }
    return n;
}

/* The block of the request whose request line is exactly `first`. */
static const char *block_of(const char *seen, const char *first)
{
    const char *p = strstr(seen, first);
    if (!p)
        fail_msg("no request '%s' in:\n%s", first, seen);
    return p;
}

static void expect_header(const char *block, const char *name, const char *value)
{
    char v[1100] = "";
    int n = header_count(block, name, v, sizeof v);
    if (n != 1 || strcmp(v, value) != 0)
        fail_msg("%s: %d times, last '%s'; want once '%s'", name, n, v, value);
}

static void test_configured_headers_on_every_request(void **state)
{
    (void)state;
    char err[512];
    mz_agencies *set = mz_agencies_parse(g_agencies, strlen(g_agencies), true, err, sizeof err);
    if (!set)
        fail_msg("refused: %s", err);
    char *seen = exchange(set, "with");
    static const char *const reqs[] = {"GET /api/list\n", "POST /api/search\n",
                                       "GET /api/case/c1\n"};
    for (size_t i = 0; i < 3; i++) {
        const char *b = block_of(seen, reqs[i]);
        expect_header(b, "X-Api-Key", SECRET);
        expect_header(b, "X-File-Key", FILESC); /* the file's newline stripped */
        expect_header(b, "Accept-Crs", "EPSG:4326");
        expect_header(b, "Accept", "application/hal+json"); /* replaces ours, not added */
        expect_header(b, "Authorization", "Bearer " TOKEN);
        assert_int_equal(header_count(b, "X-Empty", NULL, 0), 0); /* empty: not sent */
        if (i == 1)
            expect_header(b, "Content-Type", "application/json");
        else
            assert_int_equal(header_count(b, "Content-Type", NULL, 0), 0);
    }
    free(seen);

    /* Without the setting: our Accept, nothing else of the above. */
    seen = exchange(set, "without");
    for (size_t i = 0; i < 3; i++) {
        const char *b = block_of(seen, reqs[i]);
        expect_header(b, "Accept", "application/json");
        expect_header(b, "Authorization", "Bearer " TOKEN);
        assert_int_equal(header_count(b, "X-Api-Key", NULL, 0), 0);
        assert_int_equal(header_count(b, "Accept-Crs", NULL, 0), 0);
    }
    free(seen);
    mz_agencies_free(set);
}

/* The outbound address rule's exception is taken when the agencies file is
 * loaded (configuration time): a base whose host is a name resolving to
 * loopback then ("localhost", through /etc/hosts) may be reached; a client
 * made without that (test_outbound.c) is refused. */
static void test_base_name_resolved_at_load(void **state)
{
    (void)state;
    char text[1700], err[512];
    snprintf(text, sizeof text, "{\"agencies\":[%s]}", agency_json_at("localhost", "named", ""));
    mz_agencies *set = mz_agencies_parse(text, strlen(text), true, err, sizeof err);
    if (!set)
        fail_msg("refused: %s", err);
    const mz_agency *a = mz_agencies_find(set, "named");
    assert_non_null(a);
    int emitted = 0;
    mz_sink sink = {.emit = count_emit, .ud = &emitted};
    char *next = NULL;
    err[0] = '\0';
    mz_adapter_status st =
        a->ops->sync(a->state, &sink, NULL, &next, mz_outbound_now_ms() + 10000, err, sizeof err);
    free(next);
    if (st != MZ_ADAPTER_OK)
        fail_msg("sync: %s: %s", mz_adapter_status_name(st), err);
    assert_int_equal(emitted, 1);
    mz_agencies_free(set);
}

/* ------------------------------------------------------------------ */
/* Subjects                                                            */

/* What a sink got: per record its external id, subject kind and key. */
typedef struct got {
    int n;
    char ids[8][8];
    char kinds[8][4];
    unsigned char keys[8][MZ_PSEUDONYM_LEN];
} got;

static bool record_emit(mz_sink *s, const mz_case_record *rec)
{
    got *g = s->ud;
    if (g->n < 8) {
        snprintf(g->ids[g->n], sizeof g->ids[0], "%s", rec->external_id);
        snprintf(g->kinds[g->n], sizeof g->kinds[0], "%s",
                 rec->subject_kind ? rec->subject_kind : "bsn");
        memcpy(g->keys[g->n], rec->subject_key, MZ_PSEUDONYM_LEN);
    }
    g->n++;
    return true;
}

/* The agency "biz" (fields bsn and kvk) and others, parsed. */
static mz_agencies *biz_agencies(const char *biz_fields, const char *biz_extra, char *err,
                                 size_t errlen)
{
    char text[1500];
    snprintf(text, sizeof text,
             "{\"agencies\":[{\"id\":\"biz\",\"name\":\"B\",\"adapter\":{\"kind\":\"rest-json\","
             "\"baseUrl\":\"http://127.0.0.1:%u/api\",\"listPath\":\"/biz/list\","
             "\"searchPath\":\"/biz/search\",\"itemsPointer\":\"/items\",\"fields\":{"
             "\"externalId\":\"/id\",%s\"title\":\"/t\",\"status\":\"/s\","
             "\"statusChangedAt\":\"/at\"}%s}}]}",
             g_port, biz_fields, biz_extra);
    return mz_agencies_parse(text, strlen(text), true, err, errlen);
}

static void expect_record(const got *g, int i, const char *id, const mz_subject *who)
{
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym_subject(who, key);
    assert_string_equal(g->ids[i], id);
    assert_string_equal(g->kinds[i], mz_subject_kind_name(who->kind));
    assert_memory_equal(g->keys[i], key, MZ_PSEUDONYM_LEN);
}

/* The body of the last request (the search), malloc'd; clears it. */
static char *take_body(void)
{
    pthread_mutex_lock(&g_mu);
    char *b = strndup(g_body.data ? g_body.data : "", g_body.len);
    g_body.len = 0;
    pthread_mutex_unlock(&g_mu);
    return b;
}

/* An item naming a person is the person's, one naming a business (kvk
 * field) the business's under its kvk pseudonym, one naming both the
 * person's; one naming no one or an invalid KVK number is skipped
 * (no_subject). A search for the business sends {"kvk": ...} and keeps its
 * item only; a search for the person keeps the person's two. */
static void test_subject_of_items(void **state)
{
    (void)state;
    char err[512];
    mz_agencies *set = biz_agencies("\"bsn\":\"/bsn\",\"kvk\":\"/kvk\",", "", err, sizeof err);
    if (!set)
        fail_msg("refused: %s", err);
    const mz_agency *a = mz_agencies_find(set, "biz");
    mz_subject person, business;
    assert_true(mz_subject_bsn(&person, BSN, 9));
    assert_true(mz_subject_set(&business, "kvk", 3, KVK, 8, NULL, 0, "s", err, sizeof err));
    int64_t deadline = mz_outbound_now_ms() + 10000;

    got g = {0};
    mz_sink sink = {.emit = record_emit, .ud = &g};
    char *next = NULL;
    assert_int_equal(a->ops->sync(a->state, &sink, NULL, &next, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    free(next);
    assert_int_equal(g.n, 3);
    expect_record(&g, 0, "p", &person);
    expect_record(&g, 1, "b", &business);
    expect_record(&g, 2, "pb", &person); /* a person before a business */
    assert_int_equal(sink.skips[MZ_SKIP_NO_SUBJECT], 2);
    assert_int_equal(sink.skips[MZ_SKIP_NOT_SUBJECT], 0);
    free(take_body());

    memset(&g, 0, sizeof g);
    mz_sink s2 = {.emit = record_emit, .ud = &g};
    assert_int_equal(a->ops->refresh_subject(a->state, &s2, &business, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    char *body = take_body();
    assert_string_equal(body, "{\"kvk\":\"" KVK "\"}");
    free(body);
    assert_int_equal(g.n, 1);
    expect_record(&g, 0, "b", &business);
    assert_int_equal(s2.skips[MZ_SKIP_NOT_SUBJECT], 2); /* the person's two */
    assert_int_equal(s2.skips[MZ_SKIP_NO_SUBJECT], 2);

    memset(&g, 0, sizeof g);
    mz_sink s3 = {.emit = record_emit, .ud = &g};
    assert_int_equal(a->ops->refresh_subject(a->state, &s3, &person, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    body = take_body();
    assert_string_equal(body, "{\"bsn\":\"" BSN "\"}");
    free(body);
    assert_int_equal(g.n, 2);
    expect_record(&g, 0, "p", &person);
    expect_record(&g, 1, "pb", &person);
    assert_int_equal(s3.skips[MZ_SKIP_NOT_SUBJECT], 1); /* the business's */
    assert_int_equal(s3.skips[MZ_SKIP_NO_SUBJECT], 2);
    mz_agencies_free(set);
}

/* searchKvkField names the business search's body member; an agency
 * without fields.kvk is not searched for a business at all (nor one
 * without fields.bsn for a person); fields maps at least one of the two. */
static void test_subject_settings(void **state)
{
    (void)state;
    char err[512];
    int64_t deadline = mz_outbound_now_ms() + 10000;
    mz_subject person, business;
    assert_true(mz_subject_bsn(&person, BSN, 9));
    assert_true(mz_subject_set(&business, "kvk", 3, KVK, 8, NULL, 0, "s", err, sizeof err));

    mz_agencies *set = biz_agencies("\"kvk\":\"/kvk\",", ",\"searchKvkField\":\"rol__kvkNummer\"",
                                    err, sizeof err);
    if (!set)
        fail_msg("refused: %s", err);
    const mz_agency *a = mz_agencies_find(set, "biz");
    got g = {0};
    mz_sink sink = {.emit = record_emit, .ud = &g};
    free(take_body());
    assert_int_equal(a->ops->refresh_subject(a->state, &sink, &business, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    char *body = take_body();
    assert_string_equal(body, "{\"rol__kvkNummer\":\"" KVK "\"}");
    free(body);
    /* only kvk mapped: the item naming both is the business's here, the
     * person's names no one; and there is no search for a person */
    assert_int_equal(g.n, 2);
    expect_record(&g, 0, "b", &business);
    expect_record(&g, 1, "pb", &business);
    assert_int_equal(sink.skips[MZ_SKIP_NO_SUBJECT], 3);
    pthread_mutex_lock(&g_mu);
    g_seen.len = 0;
    pthread_mutex_unlock(&g_mu);
    assert_int_equal(a->ops->refresh_subject(a->state, &sink, &person, deadline, err, sizeof err),
                     MZ_ADAPTER_UNSUPPORTED);
    assert_non_null(strstr(err, "fields.bsn"));
    pthread_mutex_lock(&g_mu);
    assert_int_equal(g_seen.len, 0); /* nothing was asked */
    pthread_mutex_unlock(&g_mu);
    mz_agencies_free(set);

    set = biz_agencies("\"bsn\":\"/bsn\",", "", err, sizeof err);
    assert_non_null(set);
    a = mz_agencies_find(set, "biz");
    assert_int_equal(a->ops->refresh_subject(a->state, &sink, &business, deadline, err, sizeof err),
                     MZ_ADAPTER_UNSUPPORTED);
    assert_non_null(strstr(err, "fields.kvk"));
    pthread_mutex_lock(&g_mu);
    assert_int_equal(g_seen.len, 0);
    pthread_mutex_unlock(&g_mu);
    /* a person-only agency ignores a kvk member in its items */
    memset(&g, 0, sizeof g);
    mz_sink s2 = {.emit = record_emit, .ud = &g};
    char *next = NULL;
    assert_int_equal(a->ops->sync(a->state, &s2, NULL, &next, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    free(next);
    assert_int_equal(g.n, 2);
    assert_int_equal(s2.skips[MZ_SKIP_NO_SUBJECT], 3);
    mz_agencies_free(set);
    free(take_body());

    assert_null(biz_agencies("", "", err, sizeof err));
    assert_non_null(strstr(err, "fields.bsn or fields.kvk"));
    assert_null(biz_agencies("\"kvk\":\"kvk\",", "", err, sizeof err));
    assert_non_null(strstr(err, "fields.kvk"));
}

static bool keep_attachments(mz_sink *s, const mz_case_record *rec)
{
    char **out = s->ud;
    free(*out);
    *out = rec->attachments_json ? strdup(rec->attachments_json) : NULL;
    return true;
}

typedef struct got_doc {
    mz_buf bytes;
    int64_t length;
    bool started;
} got_doc;

static bool doc_start(void *ud, int64_t length)
{
    got_doc *g = ud;
    g->started = true;
    g->length = length;
    return true;
}

static bool doc_data(void *ud, const char *p, size_t n)
{
    mz_buf_append(&((got_doc *)ud)->bytes, p, n);
    return true;
}

/* The optional documents and decisions mapping (issue 16): what a record
 * carries, and a download of the content URL with the adapter's token,
 * never outside baseUrl, never following a redirect. */
static void test_documents_and_decisions(void **state)
{
    (void)state;
    char text[2000], err[512];
    const char *fields =
        "\"fields\":{\"externalId\":\"/id\",\"bsn\":\"/bsn\",\"title\":\"/t\",\"status\":\"/s\","
        "\"statusChangedAt\":\"/at\",\"documents\":\"/docs\",\"decisions\":\"/decs\"}";
    snprintf(text, sizeof text,
             "{\"agencies\":[{\"id\":\"docs\",\"name\":\"D\",\"adapter\":{\"kind\":\"rest-json\","
             "\"baseUrl\":\"http://127.0.0.1:%u/api\",\"listPath\":\"/docs/list\","
             "\"tokenEnv\":\"MZ_TEST_RJ_TOKEN\",\"itemsPointer\":\"/items\",%s,"
             "\"documentFields\":{\"reference\":\"/ref\",\"title\":\"/name\",\"format\":"
             "\"/mime\",\"size\":\"/bytes\",\"date\":\"/made\",\"content\":\"/file\"},"
             "\"decisionFields\":{\"reference\":\"/ref\",\"date\":\"/on\",\"effectiveFrom\":"
             "\"/from\",\"text\":\"/why\",\"documents\":\"/letters\"}}}]}",
             g_port, fields);
    mz_agencies *set = mz_agencies_parse(text, strlen(text), true, err, sizeof err);
    if (!set)
        fail_msg("refused: %s", err);
    const mz_agency *a = mz_agencies_find(set, "docs");
    char *att = NULL, *next = NULL;
    mz_sink sink = {.emit = keep_attachments, .ud = &att};
    int64_t deadline = mz_outbound_now_ms() + 10000;
    assert_int_equal(a->ops->sync(a->state, &sink, NULL, &next, deadline, err, sizeof err),
                     MZ_ADAPTER_OK);
    free(next);
    assert_non_null(att);
    char want[800];
    snprintf(want, sizeof want,
             "{\"documents\":[{\"source_url\":\"L-1\",\"content_url\":"
             "\"http://127.0.0.1:%u/api/docs/content/1\",\"title\":\"Besluit\",\"format\":"
             "\"application/pdf\",\"file_name\":null,\"size\":31,\"date\":\"2026-01-02\"}],"
             "\"decisions\":[{\"source_url\":\"B-1\",\"date\":\"2026-01-02\",\"effective_from\":"
             "\"2026-01-03\",\"effective_until\":null,\"text\":\"Toegekend\",\"documents\":"
             "[\"L-1\"]}]}",
             g_port);
    assert_string_equal(att, want);
    free(att);

    /* the content, with the token; a path is taken under baseUrl */
    char url[200];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/docs/content/1", g_port);
    got_doc g = {MZ_BUF_INIT, -1, false};
    mz_doc_sink ds = {doc_start, doc_data, NULL, &g, false};
    pthread_mutex_lock(&g_mu);
    g_seen.len = 0;
    pthread_mutex_unlock(&g_mu);
    assert_int_equal(
        a->ops->fetch_document(a->state, "L-1", url, &ds, 1 << 20, deadline, err, sizeof err),
        MZ_ADAPTER_OK);
    assert_true(g.started);
    assert_int_equal(g.bytes.len, 28);
    assert_memory_equal(g.bytes.data, "%PDF-1.4", 8);
    pthread_mutex_lock(&g_mu);
    assert_non_null(strstr(g_seen.data, "Authorization: Bearer " TOKEN));
    pthread_mutex_unlock(&g_mu);
    mz_buf_free(&g.bytes);
    /* a redirect is not followed */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/docs/content/moved", g_port);
    got_doc g2 = {MZ_BUF_INIT, -1, false};
    ds.ud = &g2;
    assert_int_equal(
        a->ops->fetch_document(a->state, "L-1", url, &ds, 1 << 20, deadline, err, sizeof err),
        MZ_ADAPTER_REFUSED);
    assert_non_null(strstr(err, "redirect"));
    assert_false(g2.started);
    /* outside baseUrl: nothing sent */
    assert_int_equal(a->ops->fetch_document(a->state, "L-1", "http://127.0.0.1:1/other", &ds,
                                            1 << 20, deadline, err, sizeof err),
                     MZ_ADAPTER_REFUSED);
    assert_int_equal(
        a->ops->fetch_document(a->state, "L-1", NULL, &ds, 1 << 20, deadline, err, sizeof err),
        MZ_ADAPTER_UNAVAILABLE);
    mz_buf_free(&g2.bytes);
    mz_agencies_free(set);

    /* documents mapped without documentFields: refused at load, naming it */
    snprintf(text, sizeof text,
             "{\"agencies\":[{\"id\":\"docs\",\"name\":\"D\",\"adapter\":{\"kind\":\"rest-json\","
             "\"baseUrl\":\"http://127.0.0.1:%u/api\",\"listPath\":\"/docs/list\","
             "\"itemsPointer\":\"/items\",%s}}]}",
             g_port, fields);
    assert_null(mz_agencies_parse(text, strlen(text), true, err, sizeof err));
    assert_non_null(strstr(err, "documentFields"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configured_headers_on_every_request),
        cmocka_unit_test(test_base_name_resolved_at_load),
        cmocka_unit_test(test_subject_of_items),
        cmocka_unit_test(test_subject_settings),
        cmocka_unit_test(test_documents_and_decisions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
