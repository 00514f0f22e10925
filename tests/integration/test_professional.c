/*
 * test_professional.c — the professional's look-up and the processing log:
 * search by BSN in the body with a configured purpose, case detail, roles,
 * one processing-log record per read (trace context continued), the
 * employee only in the audit record, the citizen's access log, no data
 * without a log record (503 when the log cannot be written), the list
 * of purposes a professional may name (built in, and from a file), and the
 * access log's mark for look-ups recorded under this service's own name.
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

#include "bsn.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "mzt.h"
#include "store.h"

#define BSN_A    "999993653"
#define BSN_B    "999990019"
#define KVK_A    "68750110" /* a business (fictitious; tests/support/mzt.c) */
#define ORG      "Gemeente Test KCC"
#define EMPLOYEE "medewerker-4711"

static mzt_env g_env;
static mzt_server g_srv;
static char *g_prof, *g_citizen_a, *g_citizen_b, *g_admin;
static char g_case_b[40];

static const char *const g_env_vars[] = {"MZ_ORGANISATION=MijnZaken Test", NULL};

static void put_case_of(mz_db *db, const char *kind, const char *id, const char *ext,
                        const char *title)
{
    mz_case_record r = {.agency_id = "uwv-test",
                        .external_id = ext,
                        .title = title,
                        .case_number = ext,
                        .status_group = "in_progress",
                        .status_text = "In behandeling",
                        .status_changed_at = "2026-03-01 10:00:00+00",
                        .source_updated_at = "2026-03-01 10:00:00+00",
                        .source = "poll",
                        .subject_kind = kind};
    mz_subject s;
    char err[200];
    if (!mz_subject_set(&s, kind, strlen(kind), id, strlen(id), NULL, 0, "", err, sizeof err))
        fail_msg("subject: %s", err);
    mz_pseudonym_subject(&s, r.subject_key);
    if (mz_store_upsert_case(db, &r, err, sizeof err) != MZ_UPSERT_APPLIED)
        fail_msg("upsert: %s", err);
}

static void put_case(mz_db *db, const char *bsn, const char *ext, const char *title)
{
    put_case_of(db, "bsn", bsn, ext, title);
}

static char *prof_token_of(const char *sub, const char *roles)
{
    char claims[512];
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://login.test.example\",\"aud\":\"mijnzaken-test\",\"sub\":\"%s\","
             "\"iat\":%ld,\"exp\":%ld,\"roles\":%s,\"org\":\"" ORG "\"}",
             sub, now, now + 600, roles);
    return mzt_token_raw(&g_env, "RS256", claims);
}

static char *prof_token(const char *roles)
{
    return prof_token_of(EMPLOYEE, roles);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "professional"))
        return -1;
    char err[200];
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    mz_agency_row a = {"uwv-test",
                       "UWV Test",
                       "rest-json",
                       "{}",
                       "https://uwv.test/contact",
                       "088 000",
                       "088 999 (professionals)",
                       true};
    if (!mz_store_upsert_agency(db, &a, err, sizeof err))
        return -1;
    put_case(db, BSN_A, "a-1", "Aanvraag A1");
    put_case(db, BSN_A, "a-2", "Aanvraag A2");
    put_case(db, BSN_B, "b-1", "Aanvraag B1");
    put_case_of(db, "kvk", KVK_A, "k-1", "Vergunning K1");
    put_case_of(db, "kvk", KVK_A, "k-2", "Subsidie K2");
    mz_db_close(db);
    char *id = mzt_query_text(&g_env, "SELECT id FROM cases WHERE external_id = 'b-1'");
    snprintf(g_case_b, sizeof g_case_b, "%s", id ? id : "");
    free(id);
    if (!mzt_server_start(&g_srv, &g_env, g_env_vars))
        return -1;
    g_prof = prof_token("[\"professional\"]");
    g_admin = prof_token("[\"admin\"]");
    g_citizen_a = mzt_citizen_token(&g_env, BSN_A);
    g_citizen_b = mzt_citizen_token(&g_env, BSN_B);
    return g_prof && g_admin && g_citizen_a && g_citizen_b ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    free(g_prof);
    free(g_admin);
    free(g_citizen_a);
    free(g_citizen_b);
    size_t n;
    char *log = mzt_slurp(g_srv.log, &n);
    int leak = log && (mz_contains_bsn_like(log, n) || strstr(log, "eyJ"));
    free(log);
    if (!mzt_env_teardown(&g_env))
        return -1;
    return rc == 0 && !leak ? 0 : -1;
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* A request to server s, its answer checked against the OpenAPI document. */
static long call_at(const mzt_server *s, const char *method, const char *path, const char *token,
                    const char *body, const char *traceparent, mzt_resp *keep)
{
    char tp[120];
    const char *hdrs[3] = {"Content-Type: application/json", NULL, NULL};
    if (traceparent) {
        snprintf(tp, sizeof tp, "traceparent: %s", traceparent);
        hdrs[1] = tp;
    }
    mzt_resp r;
    assert_true(mzt_http(s, method, path, token, hdrs, body, &r)); /* checks the contract */
    assert_null(strstr(r.body, BSN_A));
    assert_null(strstr(r.body, BSN_B));
    long st = r.status;
    if (keep)
        *keep = r;
    else
        mzt_resp_free(&r);
    return st;
}

static long call(const char *method, const char *path, const char *token, const char *body,
                 const char *traceparent, mzt_resp *keep)
{
    return call_at(&g_srv, method, path, token, body, traceparent, keep);
}

static void test_search_logged(void **state)
{
    (void)state;
    const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    mzt_resp r;
    assert_int_equal(call("POST", "/api/v1/cases/search", g_prof,
                          "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\"}", tp, &r),
                     200);
    assert_non_null(strstr(r.body, "\"professionalPhone\":\"088 999 (professionals)\""));
    assert_non_null(strstr(r.body, "\"title\":\"Aanvraag A1\""));
    assert_non_null(strstr(r.body, "\"title\":\"Aanvraag A2\""));
    assert_null(strstr(r.body, "Aanvraag B1"));
    char h[120];
    assert_true(mzt_header(&r, "traceparent", h, sizeof h));
    assert_true(strncmp(h, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36) == 0);
    mzt_resp_free(&r);
    /* one processing-log record, continuing the caller's trace */
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE trace_id = "
                       "'4bf92f3577b34da6a3ce929d0e0e4736' AND parent_span_id = "
                       "'00f067aa0ba902b7' AND activity_id = 'klantvraag' AND "
                       "organisation = '" ORG "' AND outcome = 'success' AND "
                       "ended_at >= started_at"),
                     1);
    /* its subject is the pseudonym of the BSN searched for */
    unsigned char key[32];
    mz_pseudonym(BSN_A, 9, key);
    char hex[65], sql[400];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM processing_log WHERE trace_id = "
             "'4bf92f3577b34da6a3ce929d0e0e4736' AND subject_key = decode('%s', 'hex')",
             hex);
    assert_int_equal(q(sql), 1);
    /* the employee only in the audit record, linked by the trace */
    assert_int_equal(q("SELECT count(*) FROM audit_log WHERE trace_id = "
                       "'4bf92f3577b34da6a3ce929d0e0e4736' AND actor_kind = 'professional' AND "
                       "actor_id = '" EMPLOYEE "' AND endpoint = '/api/v1/cases/search'"),
                     1);
    /* an invalid traceparent starts a new trace */
    assert_int_equal(call("POST", "/api/v1/cases/search", g_prof,
                          "{\"bsn\":\"" BSN_A "\",\"purpose\":\"doorverwijzen\"}",
                          "00-zzzz-00f067aa0ba902b7-01", NULL),
                     200);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE activity_id = 'doorverwijzen' "
                       "AND parent_span_id IS NULL AND trace_id ~ '^[0-9a-f]{32}$'"),
                     1);
}

/* Security review: the audit record was joined to its processing-log
 * record by trace id, which the caller supplies (traceparent) — two
 * employees sending the same one became indistinguishable. Each audit
 * record now points at its own processing-log record by the server's id;
 * the trace id is kept as data on both. */
static void test_same_traceparent_distinct_links(void **state)
{
    (void)state;
    const char *tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    char *other = prof_token_of("medewerker-0815", "[\"professional\"]");
    assert_non_null(other);
    assert_int_equal(call("POST", "/api/v1/cases/search", g_prof,
                          "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\"}", tp, NULL),
                     200);
    assert_int_equal(call("POST", "/api/v1/cases/search", other,
                          "{\"bsn\":\"" BSN_B "\",\"purpose\":\"doorverwijzen\"}", tp, NULL),
                     200);
    free(other);
#define SAME_TRACE "'0af7651916cd43dd8448eb211c80319c'"
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE trace_id = " SAME_TRACE), 2);
    assert_int_equal(q("SELECT count(*) FROM audit_log WHERE trace_id = " SAME_TRACE), 2);
    /* two audit records, two different processing-log records, each the
     * one its own request wrote (same trace on both sides) */
    assert_int_equal(q("SELECT count(DISTINCT a.processing_log_id) FROM audit_log a JOIN "
                       "processing_log p ON p.id = a.processing_log_id AND p.trace_id = "
                       "a.trace_id WHERE a.trace_id = " SAME_TRACE),
                     2);
    unsigned char ka[32], kb[32];
    mz_pseudonym(BSN_A, 9, ka);
    mz_pseudonym(BSN_B, 9, kb);
    char ha[65], hb[65], sql[700];
    for (int i = 0; i < 32; i++) {
        snprintf(ha + 2 * i, 3, "%02x", ka[i]);
        snprintf(hb + 2 * i, 3, "%02x", kb[i]);
    }
    /* who looked at whom, for which purpose: unambiguous per employee */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_log a JOIN processing_log p ON p.id = "
             "a.processing_log_id WHERE a.trace_id = " SAME_TRACE " AND ("
             "(a.actor_id = '" EMPLOYEE "' AND p.subject_key = decode('%s', 'hex') AND "
             "p.activity_id = 'klantvraag') OR (a.actor_id = 'medewerker-0815' AND "
             "p.subject_key = decode('%s', 'hex') AND p.activity_id = 'doorverwijzen'))",
             ha, hb);
    assert_int_equal(q(sql), 2);
#undef SAME_TRACE
    /* every audit record is linked, and no two share a record */
    assert_int_equal(q("SELECT count(*) FROM audit_log WHERE processing_log_id IS NULL"), 0);
    assert_int_equal(q("SELECT count(*) - count(DISTINCT processing_log_id) FROM audit_log"), 0);
}

static void test_search_refusals(void **state)
{
    (void)state;
    long before = q("SELECT count(*) FROM processing_log");
    static const struct {
        const char *body, *detail;
    } bad[] = {
        {"{\"bsn\":\"" BSN_A "\"}", "purpose: is required"},
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"nieuwsgierigheid\"}",
         "purpose: is not one of the configured"},
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"mijnzaken-inzage\"}",
         "purpose: is not one of the configured"},
        {"{\"purpose\":\"klantvraag\"}", "subject: is required (or bsn)"},
        /* subjects of a kind (issue 14) */
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"6875011\"},\"purpose\":\"klantvraag\"}",
         "subject.id: is not a valid KVK number (8 digits)"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"687501100\"},\"purpose\":\"klantvraag\"}",
         "subject.id: is not a valid KVK number (8 digits)"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"" KVK_A "\",\"vestiging\":\"12345678901\"},"
         "\"purpose\":\"klantvraag\"}",
         "subject.vestiging: is not a valid vestiging number (12 digits)"},
        {"{\"subject\":{\"kind\":\"rsin\",\"id\":\"" KVK_A "\"},\"purpose\":\"klantvraag\"}",
         "subject.kind: is not a known subject kind"},
        {"{\"subject\":{\"id\":\"" KVK_A "\"},\"purpose\":\"klantvraag\"}",
         "subject.kind: is required"},
        {"{\"subject\":\"" KVK_A "\",\"purpose\":\"klantvraag\"}", "subject: must be an object"},
        {"{\"bsn\":\"" BSN_A "\",\"subject\":{\"kind\":\"kvk\",\"id\":\"" KVK_A "\"},"
         "\"purpose\":\"klantvraag\"}",
         "bsn: does not name the same subject as subject"},
        {"{\"bsn\":\"999993654\",\"purpose\":\"klantvraag\"}", "bsn: is not a valid BSN"},
        {"{\"bsn\":999993653,\"purpose\":\"klantvraag\"}", "bsn: must be a string"},
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"name\":\"x\"}",
         "name: is not a member"},
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"pageSize\":0}", "pageSize"},
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"status\":\"x\"}", "status"},
        /* an agency filter naming no agency (it once answered an empty list) */
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"agency\":\"nope\"}",
         "agency: is not a known agency"},
        {"not json", "JSON object"},
        {"[]", "JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mzt_resp r;
        assert_int_equal(call("POST", "/api/v1/cases/search", g_prof, bad[i].body, NULL, &r), 400);
        if (!strstr(r.body, bad[i].detail))
            fail_msg("case %zu: %s lacks '%s'", i, r.body, bad[i].detail);
        assert_null(strstr(r.body, "999993654"));
        assert_null(strstr(r.body, KVK_A));
        mzt_resp_free(&r);
    }
    assert_int_equal(q("SELECT count(*) FROM processing_log"), before);
}

/* A business is looked up by its KVK number like a person by BSN: its
 * cases only, the read logged under its pseudonym with kind kvk and the
 * employee in the audit record; a vestiging narrows nothing (it is not
 * part of whose case it is). */
static void test_search_business(void **state)
{
    (void)state;
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_subject s;
    char err[120], hex[65], sql[400];
    assert_true(mz_subject_set(&s, "kvk", 3, KVK_A, 8, NULL, 0, "", err, sizeof err));
    mz_pseudonym_subject(&s, key);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM processing_log p JOIN audit_log a ON a.processing_log_id = "
             "p.id WHERE p.subject_kind = 'kvk' AND p.subject_key = decode('%s', 'hex') AND "
             "p.activity_id = 'klantvraag' AND a.actor_id = '" EMPLOYEE "'",
             hex);
    long before = q(sql);
    const char *bodies[] = {
        "{\"subject\":{\"kind\":\"kvk\",\"id\":\"" KVK_A "\"},\"purpose\":\"klantvraag\"}",
        "{\"subject\":{\"kind\":\"kvk\",\"id\":\"" KVK_A "\",\"vestiging\":\"000012345678\"},"
        "\"purpose\":\"klantvraag\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        mzt_resp r;
        assert_int_equal(call("POST", "/api/v1/cases/search", g_prof, bodies[i], NULL, &r), 200);
        assert_non_null(strstr(r.body, "Vergunning K1"));
        assert_non_null(strstr(r.body, "Subsidie K2"));
        assert_null(strstr(r.body, "Aanvraag"));
        assert_null(strstr(r.body, KVK_A));
        mzt_resp_free(&r);
    }
    assert_int_equal(q(sql), before + 2);
    /* a person's search never shows the business's cases, and is logged
     * as a person's */
    mzt_resp r;
    assert_int_equal(call("POST", "/api/v1/cases/search", g_prof,
                          "{\"subject\":{\"kind\":\"bsn\",\"id\":\"" BSN_A "\"},"
                          "\"purpose\":\"klantvraag\"}",
                          NULL, &r),
                     200);
    assert_non_null(strstr(r.body, "Aanvraag A1"));
    assert_null(strstr(r.body, "Vergunning K1"));
    mzt_resp_free(&r);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE subject_kind NOT IN ('bsn', "
                       "'kvk')"),
                     0);
    /* a professional's read of one of the business's cases is logged with
     * the case's kind */
    char *id = mzt_query_text(&g_env, "SELECT id FROM cases WHERE external_id = 'k-1'");
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s?purpose=klantvraag", id);
    free(id);
    assert_int_equal(call("GET", path, g_prof, NULL, NULL, &r), 200);
    mzt_resp_free(&r);
    assert_int_equal(q(sql), before + 3);
}

static void test_roles(void **state)
{
    (void)state;
    const char *body = "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\"}";
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s?purpose=klantvraag", g_case_b);
    assert_int_equal(call("POST", "/api/v1/cases/search", g_citizen_a, body, NULL, NULL), 403);
    assert_int_equal(call("POST", "/api/v1/cases/search", g_admin, body, NULL, NULL), 403);
    assert_int_equal(call("POST", "/api/v1/cases/search", NULL, body, NULL, NULL), 401);
    assert_int_equal(call("GET", path, g_citizen_a, NULL, NULL, NULL), 403);
    assert_int_equal(call("GET", "/api/v1/me/cases", g_prof, NULL, NULL, NULL), 403);
    assert_int_equal(call("GET", "/api/v1/me/access-log", g_prof, NULL, NULL, NULL), 403);
}

static void test_case_detail(void **state)
{
    (void)state;
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s?purpose=klantvraag", g_case_b);
    mzt_resp r;
    assert_int_equal(call("GET", path, g_prof, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"timeline\":["));
    assert_non_null(strstr(r.body, "\"professionalPhone\""));
    mzt_resp_free(&r);
    unsigned char key[32];
    mz_pseudonym(BSN_B, 9, key);
    char hex[65], sql[400];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM processing_log p JOIN audit_log a ON a.processing_log_id = p.id "
             "WHERE p.subject_key = decode('%s', 'hex') AND p.activity_id = 'klantvraag' AND "
             "a.endpoint = '/api/v1/cases/{caseId}'",
             hex);
    assert_int_equal(q(sql), 1);
    snprintf(path, sizeof path, "/api/v1/cases/%s", g_case_b);
    assert_int_equal(call("GET", path, g_prof, NULL, NULL, NULL), 400);
    snprintf(path, sizeof path, "/api/v1/cases/%s?purpose=x", g_case_b);
    assert_int_equal(call("GET", path, g_prof, NULL, NULL, NULL), 400);
    assert_int_equal(call("GET",
                          "/api/v1/cases/00000000-0000-4000-8000-000000000000?purpose="
                          "klantvraag",
                          g_prof, NULL, NULL, NULL),
                     404);
}

static void test_citizen_reads_logged_and_access_log(void **state)
{
    (void)state;
    long audits = q("SELECT count(*) FROM audit_log");
    assert_int_equal(call("GET", "/api/v1/me/cases", g_citizen_b, NULL, NULL, NULL), 200);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE activity_id = "
                       "'mijnzaken-inzage' AND organisation = 'MijnZaken Test'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM audit_log"), audits); /* the citizen is the subject */
    /* B was looked at once by the professional (case detail): B sees that */
    mzt_resp r;
    assert_int_equal(call("GET", "/api/v1/me/access-log", g_citizen_b, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"organisation\":\"" ORG "\""));
    assert_non_null(strstr(r.body, "\"id\":\"klantvraag\""));
    assert_null(strstr(r.body, EMPLOYEE));
    assert_null(strstr(r.body, "mijnzaken-inzage")); /* own views left out */
    mzt_resp_free(&r);
    /* A was searched twice: page through one at a time */
    assert_int_equal(call("GET", "/api/v1/me/access-log?pageSize=1", g_citizen_a, NULL, NULL, &r),
                     200);
    const char *nx = strstr(r.body, "\"next\":\"");
    assert_non_null(nx);
    char cursor[80];
    snprintf(cursor, sizeof cursor, "%.*s", (int)strcspn(nx + 8, "\""), nx + 8);
    assert_non_null(strstr(r.body, "doorverwijzen")); /* newest first */
    mzt_resp_free(&r);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/me/access-log?pageSize=1&cursor=%s", cursor);
    assert_int_equal(call("GET", path, g_citizen_a, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "klantvraag"));
    assert_non_null(strstr(r.body, "\"next\":null"));
    mzt_resp_free(&r);
    assert_int_equal(
        call("GET", "/api/v1/me/access-log?cursor=bogus", g_citizen_a, NULL, NULL, NULL), 400);
}

static void test_no_unlogged_access(void **state)
{
    (void)state;
    /* The service connects as a role that may read everything but not
     * write the processing log. */
    assert_true(mzt_sql(&g_env, "DO $$ BEGIN CREATE ROLE mzt_no_log LOGIN; EXCEPTION WHEN "
                                "duplicate_object THEN NULL; END $$; "
                                "GRANT ALL ON ALL TABLES IN SCHEMA public TO mzt_no_log; "
                                "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO mzt_no_log; "
                                "REVOKE INSERT ON processing_log FROM mzt_no_log"));
    char url[700];
    snprintf(url, sizeof url, "MZ_DATABASE_URL=%s user=mzt_no_log",
             strstr(g_env.db_url, "host=") ? g_env.db_url : g_env.db_url);
    /* replace the user: the URL is "host=... user=postgres dbname=..." */
    char *u = strstr(url, "user=postgres");
    if (u)
        memcpy(u, "user=mzt_no_log", 15), memmove(u + 15, u + 13, strlen(u + 13) + 1);
    const char *env[] = {url, NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    const char *tokens[] = {g_citizen_a, g_prof};
    mzt_resp r;
    /* the database itself is fine for this role: only the log is not */
    assert_true(mzt_http(&s, "GET", "/readyz", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    assert_true(mzt_http(&s, "GET", "/api/v1/me/cases", tokens[0], NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    assert_null(strstr(r.body, "Aanvraag"));
    mzt_resp_free(&r);
    assert_true(mzt_http(&s, "GET", "/api/v1/me/access-log", tokens[0], NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    mzt_resp_free(&r);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    assert_true(mzt_http(&s, "POST", "/api/v1/cases/search", tokens[1], hdrs,
                         "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\"}", &r));
    assert_int_equal(r.status, 503);
    assert_null(strstr(r.body, "Aanvraag"));
    mzt_resp_free(&r);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/cases/%s?purpose=klantvraag", g_case_b);
    assert_true(mzt_http(&s, "GET", path, tokens[1], NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    mzt_resp_free(&r);
    assert_int_equal(mzt_server_stop(&s), 0);
}

#define BUILTIN_ACTIVITIES                                                                         \
    "{\"activities\":[{\"id\":\"klantvraag\",\"name\":\"Beantwoorden van een vraag van de "        \
    "burger over de eigen zaken\"},{\"id\":\"doorverwijzen\",\"name\":\"Doorverwijzen van de "     \
    "burger naar de organisatie die de zaak behandelt\"}]}"

/* GET /api/v1/processing-activities: the purposes a professional may name
 * (the built-in list here), never the citizen's self-view; for
 * professionals only; reading it is not a read of personal data. */
static void test_processing_activities(void **state)
{
    (void)state;
    long logged = q("SELECT count(*) FROM processing_log");
    mzt_resp r;
    assert_int_equal(call("GET", "/api/v1/processing-activities", g_prof, NULL, NULL, &r), 200);
    assert_string_equal(r.body, BUILTIN_ACTIVITIES);
    assert_null(strstr(r.body, "mijnzaken-inzage"));
    char h[64];
    assert_true(mzt_header(&r, "api-version", h, sizeof h));
    assert_string_equal(h, "1.0.0");
    mzt_resp_free(&r);
    assert_int_equal(call("GET", "/api/v1/processing-activities", g_citizen_a, NULL, NULL, &r),
                     403);
    assert_non_null(strstr(r.body, "urn:mijnzaken:problem:forbidden"));
    mzt_resp_free(&r);
    assert_int_equal(call("GET", "/api/v1/processing-activities", g_admin, NULL, NULL, NULL), 403);
    assert_int_equal(call("GET", "/api/v1/processing-activities", NULL, NULL, NULL, &r), 401);
    assert_true(mzt_header(&r, "www-authenticate", h, sizeof h));
    mzt_resp_free(&r);
    assert_int_equal(
        call("GET", "/api/v1/processing-activities?purpose=x", g_prof, NULL, NULL, NULL), 400);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), logged);
}

/* With MZ_PROCESSING_ACTIVITIES_FILE the list is the organisation's, in its
 * order (a listed self-view left out), and it is exactly what a search
 * accepts. */
static void test_processing_activities_configured(void **state)
{
    (void)state;
    char path[300], env[360];
    snprintf(path, sizeof path, "%s/activities.json", g_env.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"activities\":["
          "{\"id\":\"schuldhulp\",\"name\":\"Doorverwijzen naar schuldhulpverlening \u2014 "
          "\\\"Geldzaken\\\"\"},"
          "{\"id\":\"mijnzaken-inzage\",\"name\":\"Niet te kiezen\"},"
          "{\"id\":\"klantvraag\",\"name\":\"Vraag van de burger\"}]}",
          f);
    assert_int_equal(fclose(f), 0);
    snprintf(env, sizeof env, "MZ_PROCESSING_ACTIVITIES_FILE=%s", path);
    const char *vars[] = {env, NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, vars));
    mzt_resp r;
    assert_int_equal(call_at(&s, "GET", "/api/v1/processing-activities", g_prof, NULL, NULL, &r),
                     200);
    assert_string_equal(r.body, "{\"activities\":["
                                "{\"id\":\"schuldhulp\",\"name\":\"Doorverwijzen naar "
                                "schuldhulpverlening \u2014 \\\"Geldzaken\\\"\"},"
                                "{\"id\":\"klantvraag\",\"name\":\"Vraag van de burger\"}]}");
    mzt_resp_free(&r);
    assert_int_equal(
        call_at(&s, "GET", "/api/v1/processing-activities", g_citizen_a, NULL, NULL, NULL), 403);
    /* what is listed is accepted; a built-in purpose the file leaves out is not */
    assert_int_equal(call_at(&s, "POST", "/api/v1/cases/search", g_prof,
                             "{\"bsn\":\"" BSN_B "\",\"purpose\":\"schuldhulp\"}", NULL, NULL),
                     200);
    assert_int_equal(call_at(&s, "POST", "/api/v1/cases/search", g_prof,
                             "{\"bsn\":\"" BSN_B "\",\"purpose\":\"doorverwijzen\"}", NULL, NULL),
                     400);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* A professional token without an org claim is recorded under this
 * service's organisation (MZ_ORGANISATION); the citizen's access log marks
 * such entries "operator", by comparing with the configuration of the
 * server that answers. */
static void test_access_log_operator(void **state)
{
    (void)state;
    char claims[512];
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://login.test.example\",\"aud\":\"mijnzaken-test\",\"sub\":"
             "\"" EMPLOYEE "\",\"iat\":%ld,\"exp\":%ld,\"roles\":[\"professional\"]}",
             now, now + 600);
    char *no_org = mzt_token_raw(&g_env, "RS256", claims);
    assert_non_null(no_org);
    assert_int_equal(call("POST", "/api/v1/cases/search", no_org,
                          "{\"bsn\":\"" BSN_B "\",\"purpose\":\"doorverwijzen\"}", NULL, NULL),
                     200);
    free(no_org);
    mzt_resp r;
    assert_int_equal(call("GET", "/api/v1/me/access-log", g_citizen_b, NULL, NULL, &r), 200);
    /* newest first: the look-up without org, then the one by ORG */
    const char *own = strstr(r.body, "\"organisation\":\"MijnZaken Test\",\"operator\":true");
    const char *other = strstr(r.body, "\"organisation\":\"" ORG "\",\"operator\":false");
    assert_non_null(own);
    assert_non_null(other);
    assert_true(own < other);
    assert_null(strstr(r.body, "\"operator\":true,\"purpose\":{\"id\":\"klantvraag\""));
    mzt_resp_free(&r);

    /* The same records, read from a service run by ORG itself */
    const char *vars[] = {"MZ_ORGANISATION=" ORG, NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, vars));
    assert_int_equal(call_at(&s, "GET", "/api/v1/me/access-log", g_citizen_b, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"organisation\":\"MijnZaken Test\",\"operator\":false"));
    assert_non_null(strstr(r.body, "\"organisation\":\"" ORG "\",\"operator\":true"));
    mzt_resp_free(&r);
    assert_int_equal(mzt_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_logged),
        cmocka_unit_test(test_search_refusals),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_case_detail),
        cmocka_unit_test(test_citizen_reads_logged_and_access_log),
        cmocka_unit_test(test_no_unlogged_access),
        cmocka_unit_test(test_processing_activities),
        cmocka_unit_test(test_processing_activities_configured),
        cmocka_unit_test(test_access_log_operator),
        /* last: it adds look-ups the access-log test would count */
        cmocka_unit_test(test_same_traceparent_distinct_links),
        /* after the access-log test too: it adds reads of A */
        cmocka_unit_test(test_search_business),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
