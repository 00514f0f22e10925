/*
 * test_api_cases.c — the citizen "my cases" API end to end: the real
 * `mijnzaken serve` over loopback against a real Postgres, data written
 * through the real store path, tokens signed with real keys. Every answer
 * is checked against the contract by mzt_http (tests/support/mzt.h).
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "bsn.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "mzt.h"
#include "store.h"

#define BSN_A     "999993653" /* 25 cases across two agencies */
#define BSN_B     "999990019" /* one case */
#define BSN_C     "999990032" /* no cases */
#define A_CASES   25
#define A_CLOSED  6
#define A_AGENCY2 10

static mzt_env g_env;
static mzt_server g_srv;

static char *g_tok_a, *g_tok_b, *g_tok_c;

static void put_case(mz_db *db, const char *bsn, const char *agency, int i, bool closed)
{
    char ext[32], at[40], title[64];
    snprintf(ext, sizeof ext, "ext-%s-%d", bsn + 6, i);
    /* Distinct minutes; two cases share a timestamp to exercise the id tie-break. */
    snprintf(at, sizeof at, "2026-03-01 %02d:%02d:00+00", 8 + i / 60, i == 3 ? 4 : i % 60);
    snprintf(title, sizeof title, "Zaak %d", i);
    mz_case_event ev[] = {{"received", "Ontvangen", "2026-02-01 09:00:00+00", NULL, false}};
    mz_case_record r = {
        .agency_id = agency,
        .external_id = ext,
        .title = title,
        .case_number = ext,
        .status_group = closed ? "closed" : "in_progress",
        .status_text = closed ? "Afgehandeld" : "In behandeling",
        .status_changed_at = at,
        .registered_on = "2026-02-01",
        .planned_end_on = closed ? NULL : "2026-04-01",
        .legal_deadline_on = "2026-05-01",
        .result_text = closed ? "Toegekend" : NULL,
        .source_updated_at = at,
        .source = "poll",
        .events = ev,
        .n_events = 1,
    };
    mz_pseudonym(bsn, 9, r.subject_key);
    char err[200];
    mz_upsert_result res = mz_store_upsert_case(db, &r, err, sizeof err);
    if (res != MZ_UPSERT_APPLIED)
        fail_msg("upsert failed: %s", err);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "api_cases"))
        return -1;
    char err[200];
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    mz_agency_row a1 = {
        "gemeente-test", "Gemeente Test", "zgw", "{}", "https://gemeente.test/contact",
        "14 000",        "000 111",       true};
    mz_agency_row a2 = {"uwv-test", "UWV Test", "rest-json", "{}", NULL, NULL, NULL, true};
    assert_true(mz_store_upsert_agency(db, &a1, err, sizeof err));
    assert_true(mz_store_upsert_agency(db, &a2, err, sizeof err));
    for (int i = 0; i < A_CASES; i++)
        put_case(db, BSN_A, i < A_AGENCY2 ? "uwv-test" : "gemeente-test", i, i % 4 == 1);
    put_case(db, BSN_B, "gemeente-test", 99, false);
    mz_db_close(db);
    if (!mzt_server_start(&g_srv, &g_env, NULL))
        return -1;
    g_tok_a = mzt_citizen_token(&g_env, BSN_A);
    g_tok_b = mzt_citizen_token(&g_env, BSN_B);
    g_tok_c = mzt_citizen_token(&g_env, BSN_C);
    return g_tok_a && g_tok_b && g_tok_c ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    free(g_tok_a);
    free(g_tok_b);
    free(g_tok_c);
    /* No BSN and no token may ever reach the log. */
    size_t n;
    char *log = mzt_slurp(g_srv.log, &n);
    int leak = log && (mz_contains_bsn_like(log, n) || strstr(log, "eyJ"));
    if (leak)
        fprintf(stderr, "personal data or token found in %s\n", g_srv.log);
    free(log);
    if (!mzt_env_teardown(&g_env))
        return -1; /* a plain BSN reached the database */
    if (rc != 0)
        fprintf(stderr, "server exited with status %d (see %s)\n", rc, g_srv.log);
    return rc == 0 && !leak ? 0 : -1;
}

/* GET with a token; parses a JSON body into *doc (caller frees). */
static long get(const char *path, const char *token, mz_json_doc **doc, mzt_resp *keep)
{
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", path, token, NULL, NULL, &r));
    if (doc) {
        char err[128];
        mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000};
        *doc = mz_json_parse(r.body, r.body_len, &lim, err, sizeof err);
        if (!*doc)
            fail_msg("response of %s is not JSON: %s", path, err);
    }
    long st = r.status;
    if (keep)
        *keep = r;
    else
        mzt_resp_free(&r);
    return st;
}

static const mz_json *items_of(mz_json_doc *d)
{
    return mz_json_get(mz_json_root(d), "items");
}

static const char *str_at(const mz_json *o, const char *a, const char *b)
{
    const mz_json *v = mz_json_get(o, a);
    if (b)
        v = mz_json_get(v, b);
    return mz_json_string(v, NULL);
}

static void assert_problem(const mzt_resp *r, long status, const char *detail_part)
{
    char ct[128];
    assert_int_equal(r->status, status);
    assert_true(mzt_header(r, "content-type", ct, sizeof ct));
    assert_string_equal(ct, "application/problem+json");
    char err[128];
    mz_json_doc *d = mz_json_parse(r->body, r->body_len, NULL, err, sizeof err);
    assert_non_null(d);
    const mz_json *root = mz_json_root(d);
    int64_t st;
    assert_true(mz_json_int64(mz_json_get(root, "status"), &st));
    assert_int_equal(st, status);
    assert_non_null(str_at(root, "type", NULL));
    assert_non_null(str_at(root, "title", NULL));
    const char *detail = str_at(root, "detail", NULL);
    assert_non_null(detail);
    if (detail_part && !strstr(detail, detail_part))
        fail_msg("detail '%s' lacks '%s'", detail, detail_part);
    mz_json_free(d);
}

static void test_list_first_page(void **state)
{
    (void)state;
    mz_json_doc *d;
    mzt_resp r;
    assert_int_equal(get("/api/v1/me/cases", g_tok_a, &d, &r), 200);
    char h[128];
    assert_true(mzt_header(&r, "api-version", h, sizeof h));
    assert_string_equal(h, "1.0.0");
    assert_true(mzt_header(&r, "cache-control", h, sizeof h));
    assert_string_equal(h, "no-store");
    assert_true(mzt_header(&r, "content-type", h, sizeof h));
    assert_string_equal(h, "application/json");
    mzt_resp_free(&r);
    const mz_json *items = items_of(d);
    assert_int_equal(items->u.kids.count, 20);
    const mz_json *first = items->u.kids.first;
    /* Newest change first: case 24 changed at 08:24. */
    assert_string_equal(str_at(first, "title", NULL), "Zaak 24");
    assert_string_equal(str_at(first, "status", "since"), "2026-03-01T08:24:00Z");
    assert_string_equal(str_at(first, "agency", "id"), "gemeente-test");
    assert_string_equal(str_at(first, "agency", "name"), "Gemeente Test");
    assert_string_equal(str_at(mz_json_get(first, "agency"), "contact", "phone"), "14 000");
    assert_string_equal(str_at(first, "status", "group"), "in_progress");
    assert_string_equal(str_at(first, "status", "text"), "In behandeling");
    const mz_json *dates = mz_json_get(first, "dates");
    assert_string_equal(str_at(dates, "plannedEnd", "meaning"), "indicative");
    assert_string_equal(str_at(dates, "legalDeadline", "date"), "2026-05-01");
    assert_string_equal(str_at(dates, "registered", "meaning"), "registered");
    assert_null(mz_json_get(dates, "closed"));
    assert_string_equal(str_at(first, "source", "via"), "poll");
    assert_non_null(str_at(mz_json_get(mz_json_root(d), "page"), "next", NULL));
    assert_non_null(mz_json_get(mz_json_get(mz_json_root(d), "_links"), "next"));
    mz_json_free(d);
}

/* Walks all pages with a given size; checks count, uniqueness and order,
 * and that the walk takes exactly ceil(total / size) pages: a `next` on
 * the last full page would cost one more (empty) page. */
static void walk(const char *query, const char *token, int page_size, int expect_total)
{
    char path[600];
    char seen[200][40];
    int nseen = 0;
    char last_since[40] = "9999";
    char cursor[260] = "";
    int pages = 0;
    for (;;) {
        snprintf(path, sizeof path, "/api/v1/me/cases?pageSize=%d%s%s%s", page_size, query,
                 cursor[0] ? "&cursor=" : "", cursor);
        mz_json_doc *d;
        assert_int_equal(get(path, token, &d, NULL), 200);
        pages++;
        for (const mz_json *it = items_of(d)->u.kids.first; it; it = it->next) {
            const char *id = str_at(it, "id", NULL);
            const char *since = str_at(it, "status", "since");
            for (int i = 0; i < nseen; i++)
                assert_string_not_equal(seen[i], id);
            assert_true(strcmp(since, last_since) <= 0);
            snprintf(last_since, sizeof last_since, "%s", since);
            assert_true(nseen < 200);
            snprintf(seen[nseen++], 40, "%s", id);
        }
        assert_true(items_of(d)->u.kids.count <= (size_t)page_size);
        const char *next = str_at(mz_json_get(mz_json_root(d), "page"), "next", NULL);
        if (!next) {
            mz_json_free(d);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", next);
        mz_json_free(d);
        assert_true(pages < 100);
    }
    assert_int_equal(nseen, expect_total);
    int want_pages = expect_total == 0 ? 1 : (expect_total + page_size - 1) / page_size;
    if (pages != want_pages)
        fail_msg("pageSize=%d%s: %d pages for %d cases, expected %d", page_size, query, pages,
                 expect_total, want_pages);
}

static void test_pagination_walk(void **state)
{
    (void)state;
    walk("", g_tok_a, 7, A_CASES);
    walk("", g_tok_a, 1, A_CASES);
    walk("", g_tok_a, 25, A_CASES); /* exactly one full page: no next (test_exactly_full_page) */
    walk("", g_tok_a, 5, A_CASES);  /* five full pages */
    walk("", g_tok_a, 100, A_CASES);
    walk("&status=closed", g_tok_a, 2, A_CLOSED);
    walk("&agency=uwv-test&status=open", g_tok_a, 3, A_AGENCY2 - 3);
}

static void test_filters(void **state)
{
    (void)state;
    mz_json_doc *d;
    assert_int_equal(get("/api/v1/me/cases?status=open&pageSize=100", g_tok_a, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, A_CASES - A_CLOSED);
    for (const mz_json *it = items_of(d)->u.kids.first; it; it = it->next)
        assert_true(mz_json_get(it, "isOpen")->u.boolean);
    mz_json_free(d);
    assert_int_equal(get("/api/v1/me/cases?status=closed&pageSize=100", g_tok_a, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, A_CLOSED);
    for (const mz_json *it = items_of(d)->u.kids.first; it; it = it->next) {
        assert_false(mz_json_get(it, "isOpen")->u.boolean);
        assert_string_equal(str_at(it, "result", "text"), "Toegekend");
        /* closed cases get their closing date from the status change */
        assert_string_equal(str_at(mz_json_get(it, "dates"), "closed", "meaning"), "closed");
    }
    mz_json_free(d);
    assert_int_equal(get("/api/v1/me/cases?agency=uwv-test&pageSize=100", g_tok_a, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, A_AGENCY2);
    for (const mz_json *it = items_of(d)->u.kids.first; it; it = it->next)
        assert_string_equal(str_at(it, "agency", "id"), "uwv-test");
    mz_json_free(d);
    /* a known agency without cases for this citizen: an empty list */
    assert_int_equal(get("/api/v1/me/cases?agency=uwv-test", g_tok_b, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, 0);
    mz_json_free(d);
    /* an agency that does not exist is a mistake, not an empty list */
    const char *unknown[] = {"/api/v1/me/cases?agency=nope",
                             "/api/v1/me/cases?agency=no-such-agency&status=open",
                             "/api/v1/me/cases?agency=uwv-tes"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        mzt_resp r;
        assert_true(mzt_http(&g_srv, "GET", unknown[i], g_tok_a, NULL, NULL, &r));
        assert_problem(&r, 400, "query parameter 'agency': is not a known agency");
        mzt_resp_free(&r);
    }
}

static void test_empty_list(void **state)
{
    (void)state;
    mz_json_doc *d;
    assert_int_equal(get("/api/v1/me/cases", g_tok_c, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, 0);
    assert_int_equal(mz_json_get(mz_json_get(mz_json_root(d), "page"), "next")->type, MZ_JSON_NULL);
    assert_null(mz_json_get(mz_json_get(mz_json_root(d), "_links"), "next"));
    mz_json_free(d);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    static const struct {
        const char *query, *param;
    } cases[] = {
        {"pageSize=0", "pageSize"},
        {"pageSize=101", "pageSize"},
        {"pageSize=abc", "pageSize"},
        {"pageSize=", "pageSize"},
        {"pageSize=-1", "pageSize"},
        {"status=pending", "status"},
        {"status=", "status"},
        {"agency=Bad_Agency", "agency"},
        {"agency=-x", "agency"},
        {"cursor=not-a-cursor", "cursor"},
        {"cursor=djE6MTIzOm5vdC1hLXV1aWQ", "cursor"}, /* "v1:123:not-a-uuid" */
        /* sort keys Postgres cannot turn into a timestamp once answered 503 */
        {"cursor=djE6OTIyMzM3MjAzNjg1NDc3NTgwNzowZjhmYWQ1Yi1kOWNiLTQ2OWYtYTE2NS03MDg2NzcyODk1MGU",
         "cursor"}, /* "v1:9223372036854775807:<uuid>" */
        {"cursor=djE6LTkyMjMzNzIwMzY4NTQ3NzU4MDg6MGY4ZmFkNWItZDljYi00NjlmLWExNjUtNzA4Njc3Mjg5NTBl",
         "cursor"}, /* "v1:-9223372036854775808:<uuid>" */
        {"cursor=djE6MjUzNDAyMzAwODAwMDAwMDAwOjBmOGZhZDViLWQ5Y2ItNDY5Zi1hMTY1LTcwODY3NzI4OTUwZQ",
         "cursor"}, /* "v1:253402300800000000:<uuid>": year 10000 */
        {"sort=title", "sort"},
        {"status=open&status=closed", "status"},
        {"bsn=999993653", "'bsn'"}, /* the name, never the value */
        {"999993653=1", "(redacted)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[300];
        snprintf(path, sizeof path, "/api/v1/me/cases?%s", cases[i].query);
        mzt_resp r;
        assert_true(mzt_http(&g_srv, "GET", path, g_tok_a, NULL, NULL, &r));
        assert_problem(&r, 400, cases[i].param);
        assert_null(strstr(r.body, "999993653"));
        mzt_resp_free(&r);
    }
    /* the access log's cursor: "a1:99999999999999999999" (overflow) and
     * "a1:9223372036854775808" (INT64_MAX + 1) */
    const char *log_cursors[] = {"YTE6OTk5OTk5OTk5OTk5OTk5OTk5OTk",
                                 "YTE6OTIyMzM3MjAzNjg1NDc3NTgwOA"};
    for (size_t i = 0; i < sizeof log_cursors / sizeof *log_cursors; i++) {
        char path[300];
        snprintf(path, sizeof path, "/api/v1/me/access-log?cursor=%s", log_cursors[i]);
        mzt_resp r;
        assert_true(mzt_http(&g_srv, "GET", path, g_tok_a, NULL, NULL, &r));
        assert_problem(&r, 400, "cursor");
        mzt_resp_free(&r);
    }
}

static void test_case_detail_and_isolation(void **state)
{
    (void)state;
    mz_json_doc *d;
    assert_int_equal(get("/api/v1/me/cases", g_tok_b, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, 1);
    char id_b[40];
    snprintf(id_b, sizeof id_b, "%s", str_at(items_of(d)->u.kids.first, "id", NULL));
    mz_json_free(d);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s", id_b);
    assert_int_equal(get(path, g_tok_b, &d, NULL), 200);
    const mz_json *tl = mz_json_get(mz_json_root(d), "timeline");
    assert_non_null(tl);
    assert_int_equal(tl->u.kids.count, 2); /* received (history) + in_progress (current) */
    assert_string_equal(str_at(tl->u.kids.first, "statusGroup", NULL), "received");
    assert_string_equal(str_at(tl->u.kids.first->next, "statusGroup", NULL), "in_progress");
    assert_string_equal(str_at(tl->u.kids.first, "occurredAt", NULL), "2026-02-01T09:00:00Z");
    mz_json_free(d);
    /* Another citizen's case is indistinguishable from a missing one. */
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", path, g_tok_a, NULL, NULL, &r));
    assert_problem(&r, 404, NULL);
    char missing_body[4096];
    snprintf(missing_body, sizeof missing_body, "%s", strstr(r.body, "\"detail\""));
    mzt_resp_free(&r);
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases/00000000-0000-4000-8000-000000000000",
                         g_tok_a, NULL, NULL, &r));
    assert_problem(&r, 404, NULL);
    /* same detail text (the instance differs per request) */
    assert_int_equal(
        strncmp(strstr(r.body, "\"detail\""), missing_body, strcspn(missing_body, ",")), 0);
    mzt_resp_free(&r);
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases/not-a-uuid", g_tok_a, NULL, NULL, &r));
    assert_problem(&r, 400, "caseId");
    mzt_resp_free(&r);
}

/* Representation by bearer token (issue 14): `bsn` names whose cases,
 * `act.bsn` who acts, `authorization.agencies` limits them. */
static void test_representation(void **state)
{
    (void)state;
    mzt_sql(&g_env, "DELETE FROM processing_log");
    /* B acts for A, limited to gemeente-test: A's cases there only */
    char *tok = mzt_token_with(&g_env, "\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"" BSN_B
                                       "\"},\"authorization\":{\"agencies\":[\"gemeente-test\"]}");
    mz_json_doc *d;
    assert_int_equal(get("/api/v1/me/cases?pageSize=100", tok, &d, NULL), 200);
    const mz_json *items = items_of(d);
    assert_int_equal(items->u.kids.count, A_CASES - A_AGENCY2);
    char id_a[40] = "", id_b_own[40] = "";
    for (const mz_json *c = items->u.kids.first; c; c = c->next)
        assert_string_equal(str_at(c, "agency", "id"), "gemeente-test");
    mz_json_free(d);
    /* unscoped, B acting for A sees all of A's cases and not B's own */
    char *all = mzt_token_with(&g_env, "\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"" BSN_B "\"}");
    assert_int_equal(get("/api/v1/me/cases?pageSize=100", all, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, A_CASES);
    for (const mz_json *c = items_of(d)->u.kids.first; c; c = c->next)
        if (strcmp(str_at(c, "agency", "id"), "uwv-test") == 0)
            snprintf(id_a, sizeof id_a, "%s", str_at(c, "id", NULL));
    mz_json_free(d);
    assert_int_equal(get("/api/v1/me/cases", g_tok_b, &d, NULL), 200);
    snprintf(id_b_own, sizeof id_b_own, "%s", str_at(items_of(d)->u.kids.first, "id", NULL));
    mz_json_free(d);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s", id_b_own);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", path, all, NULL, NULL, &r));
    assert_problem(&r, 404, NULL); /* the representative's own case: not here */
    mzt_resp_free(&r);
    /* detail outside the scope: 404; inside without scope: 200 */
    snprintf(path, sizeof path, "/api/v1/me/cases/%s", id_a);
    assert_true(mzt_http(&g_srv, "GET", path, tok, NULL, NULL, &r));
    assert_problem(&r, 404, NULL);
    mzt_resp_free(&r);
    assert_int_equal(get(path, all, NULL, NULL), 200);
    /* every read stored with subject A, actor B, the representative's
     * activity (pseudonyms computed here with the same key) */
    unsigned char ka[MZ_PSEUDONYM_LEN], kb[MZ_PSEUDONYM_LEN];
    mz_pseudonym(BSN_A, 9, ka);
    mz_pseudonym(BSN_B, 9, kb);
    char sql[512], ha[65], hb[65];
    for (int i = 0; i < 32; i++) {
        snprintf(ha + 2 * i, 3, "%02x", ka[i]);
        snprintf(hb + 2 * i, 3, "%02x", kb[i]);
    }
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM processing_log WHERE subject_key = '\\x%s' AND actor_key = "
             "'\\x%s' AND activity_id = 'mijnzaken-inzage-gemachtigde' AND subject_kind = 'bsn'",
             ha, hb);
    assert_int_equal(mzt_query_long(&g_env, sql), 5);
    /* A's access log says a representative looked (A's own token) */
    mzt_resp keep;
    assert_int_equal(get("/api/v1/me/access-log", g_tok_a, NULL, &keep), 200);
    assert_non_null(strstr(keep.body, "\"description\":\"bekeken door uw gemachtigde\""));
    /* recorded under the service's own name, but not the operator's look-up */
    const char *rep = strstr(keep.body, "\"viewedBy\":\"representative\"");
    assert_non_null(rep);
    const char *entry = rep;
    while (entry > keep.body && strncmp(entry, "{\"at\":", 6) != 0)
        entry--;
    assert_true(strstr(entry, "\"operator\":false") != NULL &&
                strstr(entry, "\"operator\":false") < rep);
    mzt_resp_free(&keep);
    free(tok);
    free(all);

    /* refused, nothing logged: act without a valid BSN, acting for oneself,
     * a scope without act, a malformed scope, bsn and kvk at once, a bad kvk */
    static const char *const bad[][2] = {
        {"\"bsn\":\"" BSN_A "\",\"act\":{}", "act.bsn"},
        {"\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"123456789\"}", "act.bsn"},
        {"\"bsn\":\"" BSN_A "\",\"act\":\"" BSN_B "\"", "act.bsn"},
        {"\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"" BSN_A "\"}", "oneself"},
        {"\"bsn\":\"" BSN_A "\",\"authorization\":{\"agencies\":[\"uwv-test\"]}", "act claim"},
        {"\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"" BSN_B
         "\"},\"authorization\":{\"agencies\":[]}",
         "empty"},
        {"\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"" BSN_B
         "\"},\"authorization\":{\"agencies\":[\"UWV test\"]}",
         "agency id"},
        {"\"bsn\":\"" BSN_A "\",\"kvk\":\"90000001\"", "both"},
        {"\"kvk\":\"9000001\"", "KVK"},
    };
    long before = mzt_query_long(&g_env, "SELECT count(*) FROM processing_log");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *t = mzt_token_with(&g_env, bad[i][0]);
        assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", t, NULL, NULL, &r));
        assert_problem(&r, 401, bad[i][1]);
        mzt_resp_free(&r);
        free(t);
    }
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM processing_log"), before);
}

/* A business (kvk claim) reads its own cases, under its own pseudonym,
 * never a person's: none stored for it here, so an empty list. */
static void test_business_token(void **state)
{
    (void)state;
    char *tok = mzt_token_with(&g_env, "\"kvk\":\"90000001\"");
    mz_json_doc *d;
    assert_int_equal(get("/api/v1/me/cases", tok, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, 0);
    mz_json_free(d);
    assert_int_equal(
        mzt_query_long(&g_env, "SELECT count(*) FROM processing_log WHERE subject_kind = 'kvk' "
                               "AND actor_key IS NULL AND activity_id = 'mijnzaken-inzage'"),
        1);
    free(tok);
}

static void test_bad_tokens(void **state)
{
    (void)state;
    /* A second key pair (not trusted by the server) and an EC key. */
    char dir[300], priv[400], pub[400], ecpriv[400], ecpub[400], err[200];
    snprintf(dir, sizeof dir, "%s/keys", g_env.dir);
    snprintf(priv, sizeof priv, "%s/other-private.pem", dir);
    snprintf(pub, sizeof pub, "%s/other-public.pem", dir);
    snprintf(ecpriv, sizeof ecpriv, "%s/ec-private.pem", dir);
    snprintf(ecpub, sizeof ecpub, "%s/ec-public.pem", dir);
    assert_true(mz_generate_keypair("RS256", priv, pub, err, sizeof err));
    assert_true(mz_generate_keypair("ES256", ecpriv, ecpub, err, sizeof err));
    size_t n;
    char pubpath[400];
    snprintf(pubpath, sizeof pubpath, "%s/jwt-public.pem", dir);
    char *server_pub = mzt_slurp(pubpath, &n);
    size_t on, en;
    char *other = mzt_slurp(priv, &on);
    char *ec = mzt_slurp(ecpriv, &en);
    assert_non_null(server_pub);

    long now = (long)time(NULL);
    char good[512], claims[16][512];
    snprintf(good, sizeof good,
             "{\"iss\":\"https://login.test.example\",\"aud\":\"mijnzaken-test\",\"sub\":\"s\","
             "\"iat\":%ld,\"exp\":%ld,\"bsn\":\"" BSN_A "\"}",
             now, now + 600);
#define BASE "\"iss\":\"https://login.test.example\",\"aud\":\"mijnzaken-test\",\"sub\":\"s\""
    snprintf(claims[0], 512, "{" BASE ",\"iat\":%ld,\"exp\":%ld,\"bsn\":\"" BSN_A "\"}", now - 7200,
             now - 3600);                                                          /* expired */
    snprintf(claims[1], 512, "{" BASE ",\"iat\":%ld,\"bsn\":\"" BSN_A "\"}", now); /* no exp */
    snprintf(claims[2], 512,
             "{\"iss\":\"https://evil.example\",\"aud\":\"mijnzaken-test\",\"sub\":\"s\","
             "\"exp\":%ld,\"bsn\":\"" BSN_A "\"}",
             now + 600);
    snprintf(claims[3], 512,
             "{\"iss\":\"https://login.test.example\",\"aud\":\"other-app\",\"sub\":\"s\","
             "\"exp\":%ld,\"bsn\":\"" BSN_A "\"}",
             now + 600);
    snprintf(claims[4], 512, "{" BASE ",\"exp\":%ld}", now + 600); /* no bsn */
    snprintf(claims[5], 512, "{" BASE ",\"exp\":%ld,\"bsn\":\"999993654\"}", now + 600);
    snprintf(claims[6], 512, "{" BASE ",\"exp\":%ld,\"bsn\":\"000000000\"}", now + 600);
    snprintf(claims[7], 512, "{" BASE ",\"exp\":%ld,\"bsn\":999993653}", now + 600);
    snprintf(claims[8], 512, "{" BASE ",\"exp\":%ld,\"nbf\":%ld,\"bsn\":\"" BSN_A "\"}", now + 7200,
             now + 3600); /* not yet valid */
#undef BASE
    struct {
        const char *what;
        char *token;
    } bad[] = {
        {"alg none", mz_auth_sign("none", NULL, 0, good)},
        {"HS256 with the public key as secret", mz_auth_sign("HS256", server_pub, n, good)},
        {"ES256 (other algorithm)", mz_auth_sign("ES256", ec, en, good)},
        {"RS256 by an untrusted key", mz_auth_sign("RS256", other, on, good)},
        {"expired", mzt_token_raw(&g_env, "RS256", claims[0])},
        {"missing exp", mzt_token_raw(&g_env, "RS256", claims[1])},
        {"wrong iss", mzt_token_raw(&g_env, "RS256", claims[2])},
        {"wrong aud", mzt_token_raw(&g_env, "RS256", claims[3])},
        {"missing bsn", mzt_token_raw(&g_env, "RS256", claims[4])},
        {"bsn fails 11-proof", mzt_token_raw(&g_env, "RS256", claims[5])},
        {"bsn all zeros", mzt_token_raw(&g_env, "RS256", claims[6])},
        {"bsn as number", mzt_token_raw(&g_env, "RS256", claims[7])},
        {"nbf in the future", mzt_token_raw(&g_env, "RS256", claims[8])},
        {"garbage", strdup("abc.def.ghi")},
        {"not a JWT", strdup("hello")},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!bad[i].token)
            fail_msg("could not mint token for case '%s'", bad[i].what);
        mzt_resp r;
        assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", bad[i].token, NULL, NULL, &r));
        if (r.status != 401)
            fail_msg("case '%s': status %ld, want 401", bad[i].what, r.status);
        assert_problem(&r, 401, NULL);
        char h[200];
        assert_true(mzt_header(&r, "www-authenticate", h, sizeof h));
        assert_true(strncmp(h, "Bearer", 6) == 0);
        assert_null(strstr(r.body, "eyJ"));
        assert_null(strstr(r.body, BSN_A));
        mzt_resp_free(&r);
        free(bad[i].token);
    }
    /* No Authorization header, another scheme. */
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", NULL, NULL, NULL, &r));
    assert_problem(&r, 401, "missing");
    mzt_resp_free(&r);
    const char *basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", NULL, basic, NULL, &r));
    assert_problem(&r, 401, "Bearer");
    mzt_resp_free(&r);
    /* The good claims do verify: the table above fails for its stated reason. */
    char *ok = mzt_token_raw(&g_env, "RS256", good);
    assert_int_equal(get("/api/v1/me/cases", ok, NULL, NULL), 200);
    free(ok);
    free(server_pub);
    free(other);
    free(ec);
}

static void test_staff_token_forbidden(void **state)
{
    (void)state;
    char *t = mzt_staff_token(&g_env, "[\"professional\"]");
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", t, NULL, NULL, &r));
    assert_problem(&r, 403, NULL);
    mzt_resp_free(&r);
    free(t);
}

static void test_http_behaviour(void **state)
{
    (void)state;
    /* The first three are, by design, not in the contract (a path or a
     * method the API does not have): unchecked. */
    mzt_resp r;
    assert_true(mzt_http_unchecked(&g_srv, "GET", "/api/v1/me/cases/", g_tok_a, NULL, NULL, &r));
    assert_problem(&r, 404, NULL); /* trailing slash: 404, not a redirect */
    mzt_resp_free(&r);
    assert_true(mzt_http_unchecked(&g_srv, "DELETE", "/api/v1/me/cases", g_tok_a, NULL, NULL, &r));
    assert_problem(&r, 405, NULL);
    char h[64];
    assert_true(mzt_header(&r, "allow", h, sizeof h));
    assert_string_equal(h, "GET");
    mzt_resp_free(&r);
    assert_true(mzt_http_unchecked(&g_srv, "GET", "/api/v2/me/cases", g_tok_a, NULL, NULL, &r));
    assert_problem(&r, 404, NULL);
    assert_true(mzt_header(&r, "api-version", h, sizeof h));
    mzt_resp_free(&r);
    mz_json_doc *d;
    assert_int_equal(get("/healthz", NULL, &d, NULL), 200);
    mz_json_free(d);
    assert_int_equal(get("/readyz", NULL, &d, NULL), 200);
    assert_string_equal(str_at(mz_json_root(d), "status", NULL), "ready");
    mz_json_free(d);
    assert_int_equal(get("/metrics", NULL, NULL, &r), 200);
    assert_non_null(
        strstr(r.body, "mz_http_requests_total{method=\"GET\",route=\"/api/v1/me/cases\""));
    assert_non_null(strstr(r.body, "mz_http_request_duration_seconds_bucket{method=\"GET\","
                                   "route=\"/api/v1/me/cases\",le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "mz_database_up 1"));
    /* this scrape's own thread holds a connection (mz_database_up) */
    const char *conns = strstr(r.body, "\nmz_db_connections ");
    assert_non_null(conns);
    assert_true(atoi(conns + strlen("\nmz_db_connections ")) >= 1);
    assert_non_null(strstr(r.body, "\nmz_db_connections_busy "));
    assert_non_null(strstr(r.body, "mz_cases{agency=\"uwv-test\"} 10"));
    assert_non_null(strstr(r.body, "mz_inbox_pending{agency=\"gemeente-test\"} 0"));
    mzt_resp_free(&r);
    assert_int_equal(get("/api/v1/openapi.json", NULL, &d, NULL), 200);
    assert_string_equal(str_at(mz_json_get(mz_json_root(d), "info"), "title", NULL),
                        "MijnZaken API");
    mz_json_free(d);
}

/* The page's next (page.next, _links.next) is there exactly when another
 * case follows: a list exactly as long as the page size has none, and one
 * case more makes it appear, leading to a page with that one case. Runs
 * after the tests that count BSN_A's cases, as it adds one. */
static void test_exactly_full_page(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "/api/v1/me/cases?pageSize=%d", A_CASES);
    mz_json_doc *d;
    assert_int_equal(get(path, g_tok_a, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, A_CASES);
    const mz_json *next = mz_json_get(mz_json_get(mz_json_root(d), "page"), "next");
    assert_non_null(next);
    assert_int_equal(next->type, MZ_JSON_NULL);
    assert_null(mz_json_get(mz_json_get(mz_json_root(d), "_links"), "next"));
    mz_json_free(d);

    mz_db *db = mzt_store_open(&g_env);
    assert_non_null(db);
    put_case(db, BSN_A, "gemeente-test", A_CASES, false); /* the newest: first in the list */
    mz_db_close(db);

    assert_int_equal(get(path, g_tok_a, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, A_CASES);
    assert_string_equal(str_at(items_of(d)->u.kids.first, "title", NULL), "Zaak 25");
    const char *cursor = str_at(mz_json_get(mz_json_root(d), "page"), "next", NULL);
    assert_non_null(cursor);
    assert_non_null(mz_json_get(mz_json_get(mz_json_root(d), "_links"), "next"));
    char path2[600];
    snprintf(path2, sizeof path2, "%s&cursor=%s", path, cursor);
    mz_json_free(d);
    assert_int_equal(get(path2, g_tok_a, &d, NULL), 200);
    assert_int_equal(items_of(d)->u.kids.count, 1);
    assert_string_equal(str_at(items_of(d)->u.kids.first, "title", NULL), "Zaak 0"); /* oldest */
    assert_int_equal(mz_json_get(mz_json_get(mz_json_root(d), "page"), "next")->type, MZ_JSON_NULL);
    mz_json_free(d);
}

/* Every worker's database connection is killed (as by a database restart):
 * the next requests reconnect by themselves, with no service restart. */
static void test_reconnects_after_connection_loss(void **state)
{
    (void)state;
    assert_int_equal(get("/api/v1/me/cases", g_tok_a, NULL, NULL), 200);
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = '%s' AND application_name = 'mijnzaken'",
             g_env.dbname);
    assert_true(mzt_query_long(&g_env, sql) >= 1);
    for (int i = 0; i < 6; i++) /* both workers, several times */
        assert_int_equal(get("/api/v1/me/cases", g_tok_a, NULL, NULL), 200);
    mzt_resp r;
    assert_int_equal(get("/metrics", NULL, NULL, &r), 200);
    assert_null(strstr(r.body, "mz_db_reconnects_total 0\n"));
    mzt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_first_page),
        cmocka_unit_test(test_pagination_walk),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_case_detail_and_isolation),
        cmocka_unit_test(test_bad_tokens),
        cmocka_unit_test(test_representation),
        cmocka_unit_test(test_business_token),
        cmocka_unit_test(test_staff_token_forbidden),
        cmocka_unit_test(test_http_behaviour),
        cmocka_unit_test(test_reconnects_after_connection_loss),
        cmocka_unit_test(test_exactly_full_page), /* last: adds a case */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
