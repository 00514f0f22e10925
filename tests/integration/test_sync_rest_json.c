/*
 * test_sync_rest_json.c — pull sync from an agency with its own JSON API
 * (the declarative rest-json adapter), against the fake_zgw fixture read as
 * a plain JSON API: full sync over several pages with every mapped field and
 * the statusGroups mapping checked case by case, idempotent re-sync, records
 * missing a required field skipped, a `next` URL outside baseUrl refused,
 * every agency fault (error recorded, data kept), and fresh-on-read through
 * the body-based searchPath.
 *
 * Why a relay: the fake speaks ZGW, whose zaken list and _zoek insist on
 * `Accept-Crs` (and `Content-Crs` on POST) and answer 412 without them;
 * rest-json sends only Accept, Authorization and Content-Type, and has no
 * per-agency header setting. So the agency's baseUrl points at a small
 * HTTP relay inside this test that adds the two CRS headers and passes
 * everything else through byte for byte (faults included; a reset stays a
 * reset). The fake runs with --base-url = the relay, so its `url` and
 * `next` links point back through the relay. The relay also serves every
 * path under /alt/...: an agency whose baseUrl has that prefix gets `next`
 * links without it, i.e. outside its baseUrl.
 *
 * Authentication is real: the token (tokenEnv) is a JWT minted by the fake,
 * which checks it on every request.
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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "mzt.h"
#include "oas.h"

#define SECRET    "fake-zgw-rj-secret"
#define ZAKEN     250
#define BSN_A     "999993653"
#define BSN_B     "999990019"
#define BAD_BSN   "123456789" /* 9 digits, fails the 11-proof */
#define TOKEN_ENV "MZ_TEST_RJ_TOKEN"
#define EXPAND    "zaaktype,status,status.statustype,resultaat,resultaat.resultaattype,rollen"

/* ------------------------------------------------------------------ */
/* The CRS relay                                                       */

#define RELAY_REQ_MAX (64 * 1024)

typedef struct relay {
    int lfd;
    unsigned port;
    atomic_uint upstream; /* the fake's port, set once it listens */
    atomic_bool stopping;
    atomic_long requests;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active; /* connection threads still running */
} relay;

static relay g_relay = {.lfd = -1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void set_timeout(int fd, int seconds)
{
    struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Header name of the line at p (ending at eol) equals name. */
static bool header_is(const char *p, const char *eol, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':';
}

/* One request per connection: read it, forward it with the CRS headers and
 * `Connection: close`, stream the answer back until the fake closes. */
static void relay_one(int cfd)
{
    set_timeout(cfd, 15);
    char *req = malloc(RELAY_REQ_MAX + 1);
    size_t len = 0;
    char *eoh = NULL;
    while (!eoh) {
        if (len == RELAY_REQ_MAX)
            goto done;
        ssize_t n = recv(cfd, req + len, RELAY_REQ_MAX - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto done;
        len += (size_t)n;
        req[len] = '\0';
        eoh = strstr(req, "\r\n\r\n");
    }
    size_t head = (size_t)(eoh - req) + 4;
    size_t body_len = 0;
    const char *line = strstr(req, "\r\n") + 2;
    for (const char *p = line; p < eoh + 2;) {
        const char *eol = strstr(p, "\r\n");
        if (header_is(p, eol, "Content-Length"))
            body_len = strtoul(strchr(p, ':') + 1, NULL, 10);
        p = eol + 2;
    }
    if (head + body_len > RELAY_REQ_MAX)
        goto done;
    while (len < head + body_len) {
        ssize_t n = recv(cfd, req + len, head + body_len - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto done;
        len += (size_t)n;
    }
    atomic_fetch_add(&g_relay.requests, 1);

    /* Request line: strip the /alt prefix. */
    mz_buf out = MZ_BUF_INIT;
    const char *sp = memchr(req, ' ', (size_t)(line - req));
    if (!sp)
        goto done;
    const char *target = sp + 1;
    bool post = strncmp(req, "POST ", 5) == 0;
    mz_buf_append(&out, req, (size_t)(target - req));
    if (strncmp(target, "/alt/", 5) == 0)
        target += 4;
    mz_buf_append(&out, target, (size_t)(line - target));
    for (const char *p = line; p < eoh + 2;) {
        const char *eol = strstr(p, "\r\n");
        if (!header_is(p, eol, "Connection") && !header_is(p, eol, "Keep-Alive") &&
            !header_is(p, eol, "Accept-Crs") && !header_is(p, eol, "Content-Crs"))
            mz_buf_append(&out, p, (size_t)(eol - p) + 2);
        p = eol + 2;
    }
    mz_buf_puts(&out, "Accept-Crs: EPSG:4326\r\n");
    if (post)
        mz_buf_puts(&out, "Content-Crs: EPSG:4326\r\n");
    mz_buf_puts(&out, "Connection: close\r\n\r\n");
    mz_buf_append(&out, req + head, body_len);

    int ufd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)atomic_load(&g_relay.upstream)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    size_t relayed = 0;
    if (ufd >= 0 && connect(ufd, (struct sockaddr *)&a, sizeof a) == 0 &&
        send_all(ufd, out.data, out.len)) {
        set_timeout(ufd, 15);
        char buf[65536];
        for (;;) {
            ssize_t n = recv(ufd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || !send_all(cfd, buf, (size_t)n))
                break;
            relayed += (size_t)n;
        }
    }
    if (ufd >= 0)
        close(ufd);
    mz_buf_free(&out);
    if (relayed == 0) {
        /* The fake said nothing (mode reset): reset the client too. */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
done:
    free(req);
}

static void *relay_conn(void *arg)
{
    int cfd = *(int *)arg;
    free(arg);
    relay_one(cfd);
    close(cfd);
    pthread_mutex_lock(&g_relay.mu);
    g_relay.active--;
    pthread_cond_broadcast(&g_relay.cv);
    pthread_mutex_unlock(&g_relay.mu);
    return NULL;
}

static void *relay_accept(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(g_relay.lfd, NULL, NULL);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED) && !atomic_load(&g_relay.stopping))
            continue;
        if (fd < 0)
            break;
        if (atomic_load(&g_relay.stopping)) {
            close(fd);
            break;
        }
        int *p = malloc(sizeof *p);
        *p = fd;
        pthread_mutex_lock(&g_relay.mu);
        g_relay.active++;
        pthread_mutex_unlock(&g_relay.mu);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        if (pthread_create(&t, &attr, relay_conn, p) != 0)
            relay_conn(p);
        pthread_attr_destroy(&attr);
    }
    return NULL;
}

static bool relay_start(void)
{
    g_relay.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (g_relay.lfd < 0)
        return false;
    int one = 1;
    setsockopt(g_relay.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(g_relay.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(g_relay.lfd, 64) != 0 ||
        getsockname(g_relay.lfd, (struct sockaddr *)&a, &al) != 0)
        return false;
    g_relay.port = ntohs(a.sin_port);
    return pthread_create(&g_relay.thread, NULL, relay_accept, NULL) == 0;
}

static void relay_stop(void)
{
    if (g_relay.lfd < 0)
        return;
    atomic_store(&g_relay.stopping, true);
    shutdown(g_relay.lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(g_relay.thread, NULL);
    close(g_relay.lfd);
    g_relay.lfd = -1;
    pthread_mutex_lock(&g_relay.mu);
    while (g_relay.active > 0)
        pthread_cond_wait(&g_relay.cv, &g_relay.mu);
    pthread_mutex_unlock(&g_relay.mu);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static mzt_env g_env;
static mzt_server g_fake;
static oas *g_oas;
static char g_agencies[400];
static char g_token_kv[2048]; /* TOKEN_ENV=<JWT minted by the fake> */

/* The fake's statustypen (omschrijving) per zaaktype, in volgnummer order,
 * and the groups this agency's statusGroups gives them (NULL: unmapped). */
static const struct {
    const char *omschrijving;
    const char *group;
} g_statustypen[3][4] = {
    {{"Ontvangen", "received"},
     {"In behandeling", NULL},
     {"Besluit genomen", "decided"},
     {"Afgehandeld", "closed"}},
    {{"Melding ontvangen", "received"},
     {"Doorgestuurd naar uitvoering", NULL},
     {"Afgehandeld", "closed"},
     {NULL, NULL}},
    {{"Aanvraag ontvangen", "received"},
     {"Aanvullende gegevens nodig", "action_required"},
     {"In behandeling", NULL},
     {"Besluit verzonden", "decided"}},
};

/* Fields of the zaak JSON, common to the agencies below. */
#define FIELDS_COMMON                                                                              \
    "\"externalId\":\"/url\","                                                                     \
    "\"bsn\":\"/_expand/rollen/0/betrokkeneIdentificatie/inpBsn\","                                \
    "\"caseNumber\":\"/identificatie\","

static void put_agency(FILE *f, const char *id, const char *base_path, const char *fields,
                       const char *extra, const char *groups, bool last)
{
    fprintf(f,
            "{\"id\":\"%s\",\"name\":\"JSON %s\",\"pollIntervalSeconds\":3600,"
            "\"adapter\":{\"kind\":\"rest-json\","
            "\"baseUrl\":\"http://127.0.0.1:%u%s/zaken/api/v1\","
            "\"listPath\":\"/zaken?expand=" EXPAND "\","
            "\"tokenEnv\":\"" TOKEN_ENV "\",\"timeoutMs\":3000,"
            "\"itemsPointer\":\"/results\",\"nextPointer\":\"/next\","
            "\"fields\":{%s}%s},"
            "\"statusGroups\":{%s}}%s\n",
            id, id, g_relay.port, base_path, fields, extra, groups, last ? "" : ",");
}

static void write_agencies(void)
{
    snprintf(g_agencies, sizeof g_agencies, "%s/agencies.json", g_env.dir);
    FILE *f = fopen(g_agencies, "w");
    assert_non_null(f);
    fprintf(f, "{\"agencies\":[\n");
    /* rj: everything mapped, with a search path and a timeline (the rol as
     * one event: "initiator", mapped to received). */
    put_agency(f, "rj", "",
               FIELDS_COMMON "\"title\":\"/omschrijving\","
                             "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","
                             "\"statusText\":\"/_expand/status/_expand/statustype/statustekst\","
                             "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\","
                             "\"caseTypeCode\":\"/_expand/zaaktype/identificatie\","
                             "\"caseTypeLabel\":\"/_expand/zaaktype/omschrijving\","
                             "\"registeredOn\":\"/registratiedatum\","
                             "\"plannedEndOn\":\"/einddatumGepland\","
                             "\"legalDeadlineOn\":\"/uiterlijkeEinddatumAfdoening\","
                             "\"closedOn\":\"/einddatum\","
                             "\"result\":\"/_expand/resultaat/_expand/resultaattype/omschrijving\","
                             "\"sourceUrl\":\"/url\","
                             "\"timeline\":\"/_expand/rollen\"",
               ",\"searchPath\":\"/zaken/_zoek?expand=" EXPAND "\","
               "\"searchBsnField\":\"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn\","
               "\"timelineFields\":{\"status\":\"/omschrijvingGeneriek\","
               "\"at\":\"/registratiedatum\",\"text\":\"/roltoelichting\"}",
               "\"Ontvangen\":\"received\",\"Melding ontvangen\":\"received\","
               "\"Aanvraag ontvangen\":\"received\","
               "\"Aanvullende gegevens nodig\":\"action_required\","
               "\"Besluit genomen\":\"decided\",\"Besluit verzonden\":\"decided\","
               "\"Afgehandeld\":\"closed\",\"initiator\":\"received\"",
               false);
    /* rj-loose: the same, but its search field is one the agency ignores,
     * so its "search" answers everyone's zaken: only the searched citizen's
     * may end up under their pseudonym. */
    put_agency(f, "rj-loose", "",
               FIELDS_COMMON "\"title\":\"/omschrijving\","
                             "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","
                             "\"statusText\":\"/_expand/status/_expand/statustype/statustekst\","
                             "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\","
                             "\"caseTypeCode\":\"/_expand/zaaktype/identificatie\","
                             "\"caseTypeLabel\":\"/_expand/zaaktype/omschrijving\","
                             "\"registeredOn\":\"/registratiedatum\","
                             "\"plannedEndOn\":\"/einddatumGepland\","
                             "\"legalDeadlineOn\":\"/uiterlijkeEinddatumAfdoening\","
                             "\"closedOn\":\"/einddatum\","
                             "\"result\":\"/_expand/resultaat/_expand/resultaattype/omschrijving\","
                             "\"sourceUrl\":\"/url\","
                             "\"timeline\":\"/_expand/rollen\"",
               ",\"searchPath\":\"/zaken/_zoek?expand=" EXPAND "\","
               "\"searchBsnField\":\"bsn\","
               "\"timelineFields\":{\"status\":\"/omschrijvingGeneriek\","
               "\"at\":\"/registratiedatum\",\"text\":\"/roltoelichting\"}",
               "\"Ontvangen\":\"received\",\"Melding ontvangen\":\"received\","
               "\"Aanvraag ontvangen\":\"received\","
               "\"Aanvullende gegevens nodig\":\"action_required\","
               "\"Besluit genomen\":\"decided\",\"Besluit verzonden\":\"decided\","
               "\"Afgehandeld\":\"closed\",\"initiator\":\"received\"",
               false);
    /* rj-partial: statusChangedAt points at einddatum, which only closed
     * zaken have (null otherwise); the status is the zaak's own omschrijving,
     * so a value that is itself a group name can be tested. */
    put_agency(f, "rj-partial", "",
               FIELDS_COMMON "\"title\":\"/identificatie\",\"status\":\"/omschrijving\","
                             "\"statusChangedAt\":\"/einddatum\"",
               "", "\"Bewonersvergunning zone A\":\"decided\"", false);
    /* rj-alt: baseUrl under /alt, but the fake's next links are not. */
    put_agency(f, "rj-alt", "/alt",
               FIELDS_COMMON "\"title\":\"/omschrijving\","
                             "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","
                             "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\"",
               "", "", true);
    fprintf(f, "]}\n");
    fclose(f);
}

/* Control API of the fake; returns the parsed response (caller frees). */
static mz_json_doc *control(const char *method, const char *path, const char *body)
{
    mzt_resp r;
    assert_true(mzt_http(&g_fake, method, path, NULL, NULL, body, &r));
    if (r.status >= 300)
        fail_msg("fake %s %s -> %ld: %s", method, path, r.status, r.body);
    char err[128];
    mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000};
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, &lim, err, sizeof err);
    mzt_resp_free(&r);
    assert_non_null(d);
    return d;
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "sync_rest_json"))
        return -1;
    if (!relay_start())
        return -1;
    char n[16], base[64];
    snprintf(n, sizeof n, "%d", ZAKEN);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", g_relay.port);
    const char *args[] = {"--listen", "127.0.0.1:0", "--secret", SECRET,       "--zaken",
                          n,          "--page-size", "100",      "--base-url", base,
                          "--bsn",    BSN_A,         BSN_B,      NULL};
    if (!mzt_fixture_start(&g_fake, &g_env, "fake_zgw", args))
        return -1;
    atomic_store(&g_relay.upstream, g_fake.port);
    write_agencies();
    /* A JWT the fake accepts (iat = now, good for 300 s: the test is far
     * shorter). */
    mz_json_doc *d = control("GET", "/_control/token", NULL);
    const char *tok = mz_json_string(mz_json_get(mz_json_root(d), "token"), NULL);
    if (!tok)
        return -1;
    snprintf(g_token_kv, sizeof g_token_kv, TOKEN_ENV "=%s", tok);
    mz_json_free(d);
    char err[256];
    g_oas = oas_load_embedded(err, sizeof err);
    return g_oas ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mzt_server_stop(&g_fake);
    relay_stop();
    oas_free(g_oas);
    if (!mzt_env_teardown(&g_env))
        return -1; /* a plain BSN reached the database */
    return 0;
}

static int sync_with_token(const char *agency, const char *token_kv)
{
    char env_agencies[500];
    snprintf(env_agencies, sizeof env_agencies, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {env_agencies, token_kv, NULL};
    const char *args[] = {"sync", "--agency", agency, "--once", NULL};
    return mzt_run(&g_env, env, args);
}

static int sync_once(const char *agency)
{
    return sync_with_token(agency, g_token_kv);
}

static long stat_of(const char *name)
{
    mz_json_doc *d = control("GET", "/_control/stats", NULL);
    int64_t v = -1;
    mz_json_int64(mz_json_get(mz_json_root(d), name), &v);
    mz_json_free(d);
    return (long)v;
}

static void mode(const char *json)
{
    mz_json_free(control("POST", "/_control/mode", json));
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* A SQL string literal. */
static void sql_str(mz_buf *b, const char *s)
{
    mz_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            mz_buf_putc(b, '\'');
        mz_buf_putc(b, *s);
    }
    mz_buf_putc(b, '\'');
}

static bool member_true(const mz_json *o, const char *name)
{
    const mz_json *v = mz_json_get(o, name);
    return v && v->type == MZ_JSON_BOOL && v->u.boolean;
}

static int64_t member_int(const mz_json *o, const char *name)
{
    int64_t v = -1;
    mz_json_int64(mz_json_get(o, name), &v);
    return v;
}

static const char *member_str(const mz_json *o, const char *name)
{
    const char *s = mz_json_string(mz_json_get(o, name), NULL);
    assert_non_null(s);
    return s;
}

/* Cases of agency `rj` that differ from what the fake has for them (or are
 * missing): status group via statusGroups (unmapped → in_progress), status
 * text (statustekst, falling back to the omschrijving), case number, closed
 * and result. */
static long mismatches_with_fake(void)
{
    mz_json_doc *d = control("GET", "/_control/zaken", NULL);
    const mz_json *res = mz_json_get(mz_json_root(d), "results");
    assert_non_null(res);
    mz_buf sql = MZ_BUF_INIT;
    mz_buf_puts(&sql, "SELECT count(*) FROM (VALUES ");
    size_t rows = 0;
    for (const mz_json *z = res->u.kids.first; z; z = z->next) {
        if (strcmp(member_str(z, "bsn"), BAD_BSN) == 0)
            continue;
        int64_t zt = member_int(z, "zaaktype"), ns = member_int(z, "statussen");
        assert_in_range(zt, 0, 2);
        assert_in_range(ns, 1, 4);
        const char *omschrijving = g_statustypen[zt][ns - 1].omschrijving;
        const char *group = g_statustypen[zt][ns - 1].group;
        const char *tekst = member_str(z, "statustekst");
        assert_non_null(omschrijving);
        mz_buf_puts(&sql, rows++ ? ",(" : "(");
        sql_str(&sql, member_str(z, "url"));
        mz_buf_putc(&sql, ',');
        sql_str(&sql, group ? group : "in_progress");
        mz_buf_putc(&sql, ',');
        sql_str(&sql, tekst[0] ? tekst : omschrijving);
        mz_buf_putc(&sql, ',');
        sql_str(&sql, member_str(z, "identificatie"));
        mz_buf_printf(&sql, ",%s,%s)", member_true(z, "eindstatus") ? "true" : "false",
                      member_true(z, "resultaat") ? "true" : "false");
    }
    mz_buf_puts(&sql,
                ") v(url, grp, txt, num, eind, res) "
                "LEFT JOIN cases c ON c.agency_id = 'rj' AND c.external_id = v.url "
                "WHERE c.id IS NULL OR c.status_group::text <> v.grp OR "
                "c.status_text <> v.txt OR c.case_number <> v.num OR "
                "(c.closed_on IS NOT NULL) <> v.eind OR (c.result_text IS NOT NULL) <> v.res");
    mz_json_free(d);
    assert_true(rows >= ZAKEN);
    long n = q(sql.data);
    mz_buf_free(&sql);
    return n;
}

static char *snapshot(const char *agency)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT count(*) || ':' || md5(string_agg(external_id || status_group || "
             "status_text || status_changed_at::text || coalesce(result_text, ''), ',' "
             "ORDER BY external_id)) FROM cases WHERE agency_id = '%s'",
             agency);
    char *s = mzt_query_text(&g_env, sql);
    assert_non_null(s);
    return s;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_full_sync(void **state)
{
    (void)state;
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    assert_int_equal(sync_once("rj"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), ZAKEN);
    assert_int_equal(q("SELECT count(DISTINCT subject_key) FROM cases WHERE agency_id = 'rj'"), 2);
    assert_int_equal(stat_of("list"), 3); /* 250 zaken at 100 per page: next followed twice */
    assert_int_equal(stat_of("authFailures"), 0); /* the bearer token was sent and valid */
    assert_int_equal(stat_of("bsnInQuery"), 0);
    assert_int_equal(q("SELECT runs FROM sync_state WHERE agency_id = 'rj'"), 1);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj'"), ZAKEN);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj'"), 0);
    /* every mapped field present and well-formed */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj' AND NOT ("
                       "case_number ~ '^ZAAK-2026-[0-9]{6}$' AND status_text <> '' AND "
                       "title <> '' AND title <> 'Zaak' AND registered_on IS NOT NULL AND "
                       "planned_end_on IS NOT NULL AND legal_deadline_on IS NOT NULL AND "
                       "registered_on <= planned_end_on AND "
                       "case_type_code IN ('PARKEERVERGUNNING', 'MELDING-OPENBARE-RUIMTE', "
                       "'BIJSTANDSUITKERING') AND case_type_label <> '' AND "
                       "source_url = external_id AND external_id LIKE 'http://127.0.0.1:%/"
                       "zaken/api/v1/zaken/%' AND last_source = 'poll' AND "
                       "source_updated_at = status_changed_at)"),
                     0);
    /* status group, text, number, closed, result: case by case against the fake */
    assert_int_equal(mismatches_with_fake(), 0);
    /* both mapped groups and unmapped values (→ in_progress, own text) occur */
    static const char *const groups[] = {"received", "action_required", "decided", "closed",
                                         "in_progress"};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM cases WHERE agency_id = 'rj' AND status_group = '%s'",
                 groups[i]);
        if (q(sql) <= 0)
            fail_msg("no rj case in group %s", groups[i]);
    }
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj' AND "
                       "status_group = 'in_progress' AND status_text NOT IN "
                       "('In behandeling', 'Doorgestuurd naar uitvoering')"),
                     0);
    /* the timeline mapping: the rol as an event, "initiator" mapped to received */
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                       "WHERE c.agency_id = 'rj' AND e.status_text = 'Initiator van de zaak' "
                       "AND e.status_group = 'received'"),
                     ZAKEN);
    /* the case's current status is in its timeline */
    assert_int_equal(q("SELECT count(*) FROM cases c WHERE agency_id = 'rj' AND NOT EXISTS "
                       "(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND "
                       "e.occurred_at = c.status_changed_at AND e.status_group = c.status_group)"),
                     0);
}

static void test_resync_idempotent(void **state)
{
    (void)state;
    long events = q("SELECT count(*) FROM case_events");
    char *before = snapshot("rj");
    assert_int_equal(sync_once("rj"), 0);
    char *after = snapshot("rj");
    assert_string_equal(before, after);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), ZAKEN);
    assert_int_equal(q("SELECT count(*) FROM case_events"), events);
    assert_int_equal(q("SELECT runs FROM sync_state WHERE agency_id = 'rj'"), 2);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj'"), ZAKEN);
    free(before);
    free(after);
}

static char *add_zaak(const char *body)
{
    mz_json_doc *z = control("POST", "/_control/add", body);
    char *url = strdup(member_str(mz_json_root(z), "url"));
    mz_json_free(z);
    return url;
}

static long cases_with_url(const char *agency, const char *url)
{
    char sql[800];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE agency_id = '%s' AND external_id = '%s'", agency,
             url);
    return q(sql);
}

static void test_missing_required_field_skipped(void **state)
{
    (void)state;
    /* Two zaken of a citizen whose BSN fails the 11-proof (one of them
     * closed, so it also has the einddatum rj-partial needs), and a valid
     * closed one whose omschrijving is a group name. */
    char *bad1 = add_zaak("{\"bsn\":\"" BAD_BSN "\"}");
    char *bad2 = add_zaak("{\"bsn\":\"" BAD_BSN "\",\"zaaktype\":1,\"statussen\":3}");
    char *good = add_zaak("{\"bsn\":\"" BSN_B "\",\"zaaktype\":1,\"statussen\":3,"
                          "\"omschrijving\":\"withdrawn\",\"resultaattype\":0}");
    assert_int_equal(sync_once("rj"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), ZAKEN + 1);
    assert_int_equal(cases_with_url("rj", bad1), 0);
    assert_int_equal(cases_with_url("rj", bad2), 0);
    assert_int_equal(cases_with_url("rj", good), 1);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj'"), ZAKEN + 1);
    assert_int_equal(mismatches_with_fake(), 0);

    /* A pointer that resolves for some items only (einddatum: null until a
     * zaak is closed): those are stored, the rest skipped. */
    mz_json_doc *d = control("GET", "/_control/zaken", NULL);
    long closed = 0, zone_a = 0;
    for (const mz_json *z = mz_json_get(mz_json_root(d), "results")->u.kids.first; z; z = z->next)
        if (member_true(z, "eindstatus") && strcmp(member_str(z, "bsn"), BAD_BSN) != 0)
            closed++;
    mz_json_free(d);
    assert_true(closed > 10 && closed < ZAKEN);
    assert_int_equal(sync_once("rj-partial"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial'"), closed);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj-partial'"), closed);
    assert_int_equal(cases_with_url("rj-partial", bad2), 0);
    assert_int_equal(cases_with_url("rj-partial", good), 1);
    /* the same set as the closed cases of rj */
    assert_int_equal(q("SELECT count(*) FROM cases p WHERE agency_id = 'rj-partial' AND NOT EXISTS "
                       "(SELECT 1 FROM cases c WHERE c.agency_id = 'rj' AND "
                       "c.external_id = p.external_id AND c.closed_on IS NOT NULL)"),
                     0);
    /* statusGroups mapping, a value that is a group name, and the rest */
    zone_a = q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
               "status_text = 'Bewonersvergunning zone A'");
    assert_true(zone_a > 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
                       "status_group = 'decided'"),
                     zone_a);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
                       "status_group = 'withdrawn' AND status_text = 'withdrawn'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
                       "status_group = 'in_progress'"),
                     closed - zone_a - 1);
    free(bad1);
    free(bad2);
    free(good);
}

static void test_next_outside_base_refused(void **state)
{
    (void)state;
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    assert_int_not_equal(sync_once("rj-alt"), 0);
    assert_int_equal(stat_of("list"), 1); /* page 2 was never requested */
    assert_int_equal(q("SELECT count(*) FROM sync_state WHERE agency_id = 'rj-alt' AND "
                       "last_error LIKE '%not under an allowed base%'"),
                     1);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj-alt'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM sync_state WHERE agency_id = 'rj-alt' AND "
                       "last_success_at IS NULL"),
                     1);
    /* what the first page brought is kept; nothing beyond it */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-alt'"), 100);
    char *max = mzt_query_text(&g_env, "SELECT max(case_number) FROM cases WHERE agency_id = "
                                       "'rj-alt'");
    assert_non_null(max);
    assert_string_equal(max, "ZAAK-2026-000100");
    free(max);
}

static void test_faults_keep_data(void **state)
{
    (void)state;
    static const struct {
        const char *mode;
        const char *token_kv; /* NULL: the valid one */
        const char *error;    /* part of sync_state.last_error */
    } faults[] = {
        {"{\"mode\":\"error500\"}", NULL, "HTTP 500"},
        {"{\"mode\":\"error500\",\"status\":503}", NULL, "HTTP 503"},
        {"{\"mode\":\"garbage\"}", NULL, "invalid JSON"},
        {"{\"mode\":\"oversized\"}", NULL, ""},
        {"{\"mode\":\"reset\"}", NULL, ""},
        {"{\"mode\":\"error500\",\"times\":1,\"status\":502}", NULL, ""},
        {"{\"mode\":\"ok\"}", TOKEN_ENV "=not-a-jwt", "credentials (HTTP 403)"},
        {"{\"mode\":\"ok\"}", TOKEN_ENV "=", ""},
    };
    char *before = snapshot("rj");
    long events = q("SELECT count(*) FROM case_events");
    long runs = q("SELECT runs FROM sync_state WHERE agency_id = 'rj'");
    long failures = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        mode(faults[i].mode);
        int rc = sync_with_token("rj", faults[i].token_kv ? faults[i].token_kv : g_token_kv);
        mode("{\"mode\":\"ok\"}");
        if (i == 5) {
            /* one 502, then fine: retried within the run, which succeeds */
            assert_int_equal(rc, 0);
            assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE "
                               "agency_id = 'rj'"),
                             0);
            failures = 0;
            continue;
        }
        if (i == 7) {
            /* an empty token variable: the agencies file is refused before
             * any run starts (nothing recorded) */
            assert_int_not_equal(rc, 0);
            assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE "
                               "agency_id = 'rj'"),
                             failures);
            continue;
        }
        if (rc == 0)
            fail_msg("sync succeeded under fault %s", faults[i].mode);
        failures++;
        assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj'"),
                         failures);
        char sql[400];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sync_state WHERE agency_id = 'rj' AND last_error <> '' "
                 "AND strpos(last_error, '%s') > 0",
                 faults[i].error);
        if (q(sql) != 1) {
            char *e =
                mzt_query_text(&g_env, "SELECT last_error FROM sync_state WHERE agency_id = 'rj'");
            fail_msg("fault %s: last_error %s", faults[i].mode, e ? e : "(null)");
        }
        /* stored data untouched */
        char *now = snapshot("rj");
        assert_string_equal(before, now);
        free(now);
        assert_int_equal(q("SELECT count(*) FROM case_events"), events);
    }
    assert_true(q("SELECT runs FROM sync_state WHERE agency_id = 'rj'") > runs);
    /* recovery resets the failure count */
    assert_int_equal(sync_once("rj"), 0);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj'"), 0);
    assert_int_equal(q("SELECT count(*) FROM sync_state WHERE agency_id = 'rj' AND "
                       "last_error IS NULL"),
                     1);
    char *after = snapshot("rj");
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static const char *freshness_of(const mz_json *root, const char *agency)
{
    for (const mz_json *s = mz_json_get(root, "sources")->u.kids.first; s; s = s->next)
        if (strcmp(mz_json_string(mz_json_get(mz_json_get(s, "agency"), "id"), NULL), agency) == 0)
            return mz_json_string(mz_json_get(s, "freshness"), NULL);
    return NULL;
}

static mz_json_doc *get_cases(mzt_server *s, const char *token, char **body)
{
    mzt_resp r;
    assert_true(mzt_http(s, "GET", "/api/v1/me/cases", token, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    char ct[64] = "", err[512];
    mzt_header(&r, "content-type", ct, sizeof ct);
    if (!oas_check(g_oas, "GET", "/api/v1/me/cases", 200, ct, r.body, r.body_len, err, sizeof err))
        fail_msg("contract: %s", err);
    mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000};
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, &lim, err, sizeof err);
    assert_non_null(d);
    *body = r.body;
    r.body = NULL;
    mzt_resp_free(&r);
    return d;
}

static void test_fresh_on_read_search(void **state)
{
    (void)state;
    /* A zaak the scheduled sync has not seen: only the search can bring it. */
    char *fresh = add_zaak("{\"bsn\":\"" BSN_B "\",\"omschrijving\":\"Vers via zoeken\"}");
    char *other = add_zaak("{\"bsn\":\"" BSN_A "\",\"omschrijving\":\"Niet van B\"}");
    assert_int_equal(cases_with_url("rj", fresh), 0);
    long stored = q("SELECT count(*) FROM cases WHERE agency_id = 'rj'");
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {kv, g_token_kv, "MZ_REFRESH_AFTER=0", "MZ_REFRESH_DEADLINE_MS=4000", NULL};
    /* rj-loose is only read through its search here, not synced */
    assert_true(mzt_sql(&g_env, "UPDATE sync_state SET next_run_at = now() + interval '1 day' "
                                "WHERE agency_id = 'rj-loose'"));
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_citizen_token(&g_env, BSN_B);
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    char *body;
    mz_json_doc *d = get_cases(&s, tok, &body);
    const char *fr = freshness_of(mz_json_root(d), "rj");
    assert_non_null(fr);
    assert_string_equal(fr, "fresh");
    assert_non_null(strstr(body, "Vers via zoeken"));
    assert_null(strstr(body, "Niet van B"));
    mz_json_free(d);
    free(body);
    assert_true(stat_of("zoek") >= 1); /* POST searchPath, the BSN in the body */
    assert_int_equal(stat_of("list"), 0);
    assert_int_equal(stat_of("bsnInQuery"), 0);
    assert_int_equal(stat_of("authFailures"), 0);
    assert_int_equal(cases_with_url("rj", fresh), 1);
    assert_int_equal(cases_with_url("rj", other), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), stored + 1);
    assert_int_equal(q("SELECT count(DISTINCT subject_key) FROM cases WHERE agency_id = 'rj'"), 2);
    /* the searched zaak went to the citizen's own pseudonym */
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases f JOIN cases g ON g.subject_key = f.subject_key "
             "WHERE f.agency_id = 'rj' AND f.external_id = '%s' AND g.agency_id = 'rj' AND "
             "g.title = 'withdrawn'",
             fresh);
    assert_int_equal(q(sql), 1);

    /* rj-loose answered the search with everyone's zaken: none of another
     * citizen's was put under this citizen (each zaak's key as in rj). */
    assert_true(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-loose'") > 0);
    assert_int_equal(q("SELECT count(*) FROM cases l JOIN cases r ON r.external_id = "
                       "l.external_id AND r.agency_id = 'rj' WHERE l.agency_id = 'rj-loose' "
                       "AND l.subject_key <> r.subject_key"),
                     0);

    /* The agency fails: the stored cases are still served, marked unavailable. */
    mode("{\"mode\":\"error500\"}");
    d = get_cases(&s, tok, &body);
    mode("{\"mode\":\"ok\"}");
    fr = freshness_of(mz_json_root(d), "rj");
    assert_non_null(fr);
    assert_string_equal(fr, "unavailable");
    assert_non_null(strstr(body, "Vers via zoeken"));
    mz_json_free(d);
    free(body);
    free(tok);
    free(fresh);
    free(other);
    assert_int_equal(mzt_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_sync),
        cmocka_unit_test(test_resync_idempotent),
        cmocka_unit_test(test_missing_required_field_skipped),
        cmocka_unit_test(test_next_outside_base_refused),
        cmocka_unit_test(test_faults_keep_data),
        cmocka_unit_test(test_fresh_on_read_search),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
