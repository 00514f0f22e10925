/*
 * test_handover.c — contact moments and hand-over (issue 17) end to end: the
 * real service and Postgres, a fake ZGW agency for the agencies file, and
 * tests/fixtures/fake_agency, which takes hand-overs and checks their
 * Standard Webhooks signature. Recording (with the processing log and the
 * audit record, the employee only there), bad input (400 naming the field,
 * nothing stored), delivery, retry after a 500, an agency down for an hour
 * (nothing lost), acknowledgement and closing through the signed push
 * endpoint, two instances delivering each hand-over once, a SIGKILL
 * mid-delivery, and what the next professional and the citizen see.
 */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "mzt.h"
#include "store.h"
#include "webhook.h"

#define BSN_A       "999993653"
#define BSN_B       "999990019"
#define HO_SECRET   "whsec_aGFuZG92ZXItc2VjcmV0LWZvci10ZXN0cw=="
#define PUSH_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define ZGW_SECRET  "fake-zgw-contact-secret"
#define EMPLOYEE    "medewerker-4711"
#define KEY_HEX     "8f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff"
#define SUMMARY     "Vraagt naar de termijn van het bezwaar.\nUitgelegd; wil teruggebeld worden."

static mzt_env g_env;
static mzt_server g_srv, g_zgw, g_agency;
static char *g_prof, *g_cit_a;
static char g_case_a[40], g_case_b[40];
static char g_kv[3][500];
static const char *g_vars[8];

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

static long wait_for(const char *sql, long want, int ms)
{
    long v = q(sql);
    for (int i = 0; i < ms / 50 && v != want; i++) {
        usleep(50 * 1000);
        v = q(sql);
    }
    return v;
}

static long agency_stat(const char *name)
{
    return mzt_fake_stat(&g_agency, name);
}

static void agency_mode(const char *json)
{
    assert_true(mzt_fake_mode(&g_agency, json));
}

static void agency_reset(void)
{
    mz_json_free(mzt_fake_control(&g_agency, "POST", "/_control/reset", "{}"));
}

static char *prof_token(const char *sub)
{
    char claims[512];
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"https://login.test.example\",\"aud\":\"mijnzaken-test\",\"sub\":\"%s\","
             "\"iat\":%ld,\"exp\":%ld,\"roles\":[\"professional\"],\"org\":\"Gemeente Test\"}",
             sub, now, now + 3600);
    return mzt_token_raw(&g_env, "RS256", claims);
}

static void put_case(mz_db *db, const char *bsn, const char *ext)
{
    char at[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S+00", &tm);
    mz_case_record c = {.agency_id = "uwv",
                        .external_id = ext,
                        .title = "Aanvraag WW-uitkering",
                        .status_group = "in_progress",
                        .status_text = "In behandeling",
                        .status_changed_at = at,
                        .source_updated_at = at,
                        .source = "poll"};
    mz_pseudonym(bsn, 9, c.subject_key);
    char err[200];
    if (mz_store_upsert_case(db, &c, err, sizeof err) != MZ_UPSERT_APPLIED)
        fail_msg("store: %s", err);
}

static bool start(mzt_server *s)
{
    return mzt_server_start(s, &g_env, g_vars);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "contact"))
        return -1;
    setenv("MZ_TEST_HANDOVER_SECRET", HO_SECRET, 1);
    const char *hargs[] = {"--secret-env", "MZ_TEST_HANDOVER_SECRET", NULL};
    if (!mzt_fixture_start(&g_agency, &g_env, "fake_agency", hargs))
        return -1;
    const char *zargs[] = {"--listen", "127.0.0.1:0", "--secret", ZGW_SECRET, "--zaken", "1", NULL};
    if (!mzt_fixture_start(&g_zgw, &g_env, "fake_zgw", zargs))
        return -1;
    char path[400], kpath[400];
    snprintf(path, sizeof path, "%s/agencies.json", g_env.dir);
    snprintf(kpath, sizeof kpath, "%s/contact.key", g_env.dir);
    FILE *f = fopen(kpath, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", KEY_HEX);
    fclose(f);
    f = fopen(path, "w");
    if (!f)
        return -1;
    char a1[1200], a2[1200], extra[400];
    snprintf(extra, sizeof extra,
             "\"pollIntervalSeconds\":86400,"
             "\"webhook\":{\"secretEnv\":\"MZ_TEST_WEBHOOK_SECRET\"},"
             "\"handover\":{\"url\":\"http://127.0.0.1:%u/handover\","
             "\"secretEnv\":\"MZ_TEST_HANDOVER_SECRET\"}",
             g_agency.port);
    fprintf(f, "{\"agencies\":[%s,%s]}\n",
            mzt_zgw_agency_json(a1, sizeof a1, "gem", "Gemeente Test", g_zgw.port, NULL,
                                "\"pollIntervalSeconds\":86400,"
                                "\"webhook\":{\"secretEnv\":\"MZ_TEST_WEBHOOK_SECRET\"}"),
            mzt_zgw_agency_json(a2, sizeof a2, "uwv", "UWV", g_zgw.port, NULL, extra));
    fclose(f);
    snprintf(g_kv[0], sizeof g_kv[0], "MZ_AGENCIES_FILE=%s", path);
    snprintf(g_kv[1], sizeof g_kv[1], "MZ_CONTACT_KEY_FILE=%s", kpath);
    g_vars[0] = g_kv[0];
    g_vars[1] = g_kv[1];
    g_vars[2] = "MZ_TEST_ZGW_SECRET=" ZGW_SECRET;
    g_vars[3] = "MZ_TEST_WEBHOOK_SECRET=" PUSH_SECRET;
    g_vars[4] = "MZ_TEST_HANDOVER_SECRET=" HO_SECRET;
    g_vars[5] = NULL;
    if (!start(&g_srv))
        return -1;
    /* the agencies exist now (serve mirrors the file): the cases */
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    put_case(db, BSN_A, "uwv-a-1");
    put_case(db, BSN_B, "uwv-b-1");
    mz_db_close(db);
    char *id = mzt_query_text(&g_env, "SELECT id FROM cases WHERE external_id = 'uwv-a-1'");
    snprintf(g_case_a, sizeof g_case_a, "%s", id ? id : "");
    free(id);
    id = mzt_query_text(&g_env, "SELECT id FROM cases WHERE external_id = 'uwv-b-1'");
    snprintf(g_case_b, sizeof g_case_b, "%s", id ? id : "");
    free(id);
    g_prof = prof_token(EMPLOYEE);
    g_cit_a = mzt_citizen_token(&g_env, BSN_A);
    return g_prof && g_cit_a && g_case_a[0] && g_case_b[0] ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    mzt_server_stop(&g_agency);
    mzt_server_stop(&g_zgw);
    free(g_prof);
    free(g_cit_a);
    /* the callback number, the summary and the secrets never in the log */
    static const char *const mine[] = {"612345678", "teruggebeld", "aGFuZG92ZXIt", NULL};
    bool clean = mzt_log_clean(g_srv.log, mine);
    if (!mzt_env_teardown(&g_env))
        return -1;
    return rc == 0 && clean ? 0 : -1;
}

/* POST /api/v1/contact-moments on s; the answer in out. */
static long post_contact(const mzt_server *s, const char *body, mzt_resp *out)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    assert_true(mzt_http(s, "POST", "/api/v1/contact-moments", g_prof, h, body, out));
    return out->status;
}

/* A contact moment of BSN_A about its case, handed over to uwv with a
 * call-back; the hand-over's id into hid. */
static void create_handover(const mzt_server *s, char hid[37])
{
    char body[1200];
    snprintf(body, sizeof body,
             "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"caseId\":\"%s\","
             "\"channel\":\"phone\",\"topic\":\"Bezwaar WW\",\"summary\":\"Vraagt naar de "
             "termijn van het bezwaar.\\nUitgelegd; wil teruggebeld worden.\",\"answered\":false,"
             "\"handover\":{\"agencyId\":\"uwv\",\"question\":\"Graag terugbellen over de "
             "termijn.\",\"callback\":true,\"callbackNumber\":\"06 1234 5678\"}}",
             g_case_a);
    mzt_resp r;
    assert_int_equal(post_contact(s, body, &r), 201);
    char perr[64];
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, NULL, perr, sizeof perr);
    assert_non_null(d);
    const char *h =
        mz_json_string(mz_json_get(mz_json_get(mz_json_root(d), "handover"), "id"), NULL);
    assert_non_null(h);
    snprintf(hid, 37, "%s", h);
    mz_json_free(d);
    mzt_resp_free(&r);
}

static char g_first[37];

/* MZ_TEST_SHOW_HANDOVER=1: prints the first hand-over's outbox row (the
 * report's example; sealed values as their length and first bytes). */
static void show_row(const char *when)
{
    if (!getenv("MZ_TEST_SHOW_HANDOVER"))
        return;
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT jsonb_pretty(jsonb_build_object('id', id, 'contact_moment_id', "
             "contact_moment_id, 'agency_id', agency_id, 'question', question, 'callback', "
             "callback, 'key_id', key_id, 'callback_enc', left(encode(callback_enc, 'hex'), 24) || "
             "'… (' || length(callback_enc) || ' bytes)', 'subject_enc', left(encode(subject_enc, "
             "'hex'), 24) || '… (' || length(subject_enc) || ' bytes)', 'state', state, "
             "'attempts', attempts, 'next_attempt_at', next_attempt_at, 'claimed_until', "
             "claimed_until, 'last_http_status', last_http_status, 'last_error', last_error, "
             "'delivered_at', delivered_at, 'acknowledged_at', acknowledged_at, 'closed_at', "
             "closed_at, 'created_at', created_at)) FROM handovers WHERE id = '%s'",
             g_first);
    char *row = mzt_query_text(&g_env, sql);
    fprintf(stderr, "outbox row (%s):\n%s\n", when, row ? row : "?");
    free(row);
}

/* Recorded, handed over and delivered: the outbox row, the signed POST as
 * the agency received it (verified there and here again), its content. */
static void test_record_and_deliver(void **state)
{
    (void)state;
    long plog = q("SELECT count(*) FROM processing_log");
    create_handover(&g_srv, g_first);
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'delivered' AND "
             "attempts = 1 AND last_http_status = 200 AND delivered_at IS NOT NULL",
             g_first);
    assert_int_equal(wait_for(sql, 1, 8000), 1);
    show_row("delivered");
    /* stored under the pseudonym and the organisation; the employee only in the audit record */
    assert_int_equal(q("SELECT count(*) FROM contact_moments WHERE organisation = 'Gemeente Test' "
                       "AND channel = 'phone' AND answered = false AND case_id IS NOT NULL"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), plog + 1);
    assert_int_equal(q("SELECT count(*) FROM audit_log a JOIN processing_log p ON p.id = "
                       "a.processing_log_id WHERE a.actor_id = '" EMPLOYEE
                       "' AND p.activity_id = 'klantvraag' "
                       "AND a.endpoint = '/api/v1/contact-moments'"),
                     1);
    /* the number is sealed: not in the row */
    assert_int_equal(q("SELECT count(*) FROM handovers WHERE callback_enc IS NOT NULL AND "
                       "position(convert_to('612345678', 'UTF8') IN callback_enc) = 0"),
                     1);
    mz_json_doc *d = mzt_fake_control(&g_agency, "GET", "/_control/deliveries", NULL);
    assert_non_null(d);
    const mz_json *first = mz_json_get(mz_json_root(d), "deliveries")->u.kids.first;
    assert_non_null(first);
    const char *wid = mz_json_string(mz_json_get(first, "webhookId"), NULL);
    assert_string_equal(wid, g_first);
    const mz_json *body = mz_json_get(first, "body");
    mz_buf raw = MZ_BUF_INIT;
    mz_json_write(&raw, body);
    /* the signature verifies over the body as received (re-serialised
     * compactly it is byte-identical: the service writes compact JSON) */
    assert_int_equal(mz_webhook_verify(HO_SECRET, wid,
                                       mz_json_string(mz_json_get(first, "timestamp"), NULL),
                                       mz_json_string(mz_json_get(first, "signature"), NULL),
                                       raw.data, raw.len, (int64_t)time(NULL)),
                     MZ_SIG_OK);
    const mz_json *data = mz_json_get(body, "data");
    assert_string_equal(mz_json_string(mz_json_get(body, "type"), NULL), "handover.requested");
    assert_string_equal(mz_json_string(mz_json_get(data, "handoverId"), NULL), g_first);
    assert_string_equal(mz_json_string(mz_json_get(data, "organisation"), NULL), "Gemeente Test");
    const mz_json *cb = mz_json_get(data, "callback");
    assert_true(mz_json_get(cb, "wanted")->u.boolean);
    assert_string_equal(mz_json_string(mz_json_get(cb, "phoneNumber"), NULL), "+31612345678");
    const mz_json *subj = mz_json_get(data, "subject");
    assert_string_equal(mz_json_string(mz_json_get(subj, "kind"), NULL), "bsn");
    assert_string_equal(mz_json_string(mz_json_get(subj, "id"), NULL), BSN_A);
    const mz_json *kc = mz_json_get(data, "klantcontact");
    assert_string_equal(mz_json_string(mz_json_get(kc, "kanaal"), NULL), "phone");
    assert_string_equal(mz_json_string(mz_json_get(kc, "inhoud"), NULL), SUMMARY);
    const mz_json *zaak = mz_json_get(mz_json_get(data, "onderwerpobject"), "zaak");
    assert_string_equal(mz_json_string(mz_json_get(zaak, "id"), NULL), g_case_a);
    assert_string_equal(mz_json_string(mz_json_get(zaak, "caseReference"), NULL), "uwv-a-1");
    /* never the employee */
    assert_null(strstr(raw.data, EMPLOYEE));
    if (getenv("MZ_TEST_SHOW_HANDOVER")) /* the report's example */
        fprintf(stderr, "delivery: webhook-id %s\nwebhook-timestamp %s\nwebhook-signature %s\n%s\n",
                wid, mz_json_string(mz_json_get(first, "timestamp"), NULL),
                mz_json_string(mz_json_get(first, "signature"), NULL), raw.data);
    mz_buf_free(&raw);
    mz_json_free(d);
    assert_int_equal(agency_stat("badSignatures"), 0);
}

/* Bad input: 400 naming the field; nothing stored, nothing logged. */
static void test_bad_input(void **state)
{
    (void)state;
    long moments = q("SELECT count(*) FROM contact_moments");
    long handovers = q("SELECT count(*) FROM handovers");
    long plog = q("SELECT count(*) FROM processing_log");
    char big[2100];
    memset(big, 'x', 2001);
    big[2001] = '\0';
    char b_big[2400], b_case[600];
    snprintf(b_big, sizeof b_big,
             "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"channel\":\"phone\","
             "\"topic\":\"t\",\"summary\":\"%s\",\"answered\":true}",
             big);
    snprintf(b_case, sizeof b_case,
             "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\",\"caseId\":\"%s\","
             "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true}",
             g_case_b);
#define BASE "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\","
    static const char *const fixed[][2] = {
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"\",\"answered\":true}",
         "summary: must not be empty"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"  \\n \",\"answered\":true}",
         "summary: must not be empty"},
        {BASE "\"channel\":\"fax\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true}",
         "channel: must be one of"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\\u0007\",\"summary\":\"s\",\"answered\":true}",
         "topic: must not contain control characters"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"a\\u001bb\",\"answered\":true}",
         "summary: must not contain control characters"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"a\\u0085b\",\"answered\":true}",
         "summary: must not contain control characters"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\"}", "answered: is required"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true,"
              "\"handover\":{\"agencyId\":\"gem\",\"question\":\"q\",\"callback\":false}}",
         "handover.agencyId: this agency takes no hand-overs"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true,"
              "\"handover\":{\"agencyId\":\"nope\",\"question\":\"q\",\"callback\":false}}",
         "handover.agencyId: names no agency"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true,"
              "\"handover\":{\"agencyId\":\"uwv\",\"question\":\"q\",\"callback\":true}}",
         "handover.callbackNumber: is required"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true,"
              "\"handover\":{\"agencyId\":\"uwv\",\"question\":\"q\",\"callback\":true,"
              "\"callbackNumber\":\"12345\"}}",
         "handover.callbackNumber: must be a Dutch phone number"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true,"
              "\"employee\":\"x\"}",
         "employee: is not a member"},
        {BASE "\"channel\":\"phone\",\"topic\":\"t\",\"summary\":\"s\",\"answered\":true,"
              "\"caseId\":\"not-a-uuid\"}",
         "caseId: must be a UUID"},
        {"{\"bsn\":\"" BSN_A "\",\"purpose\":\"nope\",\"channel\":\"phone\",\"topic\":\"t\","
         "\"summary\":\"s\",\"answered\":true}",
         "purpose: is not one of"},
        {"{\"bsn\":\"123456789\",\"purpose\":\"klantvraag\",\"channel\":\"phone\",\"topic\":\"t\","
         "\"summary\":\"s\",\"answered\":true}",
         "bsn"},
    };
#undef BASE
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] + 2; i++) {
        const char *body = i < sizeof fixed / sizeof fixed[0]    ? fixed[i][0]
                           : i == sizeof fixed / sizeof fixed[0] ? b_big
                                                                 : b_case;
        const char *want = i < sizeof fixed / sizeof fixed[0] ? fixed[i][1]
                           : i == sizeof fixed / sizeof fixed[0]
                               ? "summary: is longer than 2000 bytes"
                               : "caseId: is not a case of this subject";
        mzt_resp r;
        long st = post_contact(&g_srv, body, &r);
        if (st != 400 || !strstr(r.body, want))
            fail_msg("case %zu: %ld %s (wanted %s)", i, st, r.body, want);
        assert_null(strstr(r.body, BSN_A));
        mzt_resp_free(&r);
    }
    assert_int_equal(q("SELECT count(*) FROM contact_moments"), moments);
    assert_int_equal(q("SELECT count(*) FROM handovers"), handovers);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), plog);
    /* a citizen may not record one */
    const char *h[] = {"Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/contact-moments", g_cit_a, h, "{}", &r));
    assert_int_equal(r.status, 403);
    mzt_resp_free(&r);
}

/* The agency answers 500 once: retried after the backoff, delivered once. */
static void test_retry_after_500(void **state)
{
    (void)state;
    agency_reset();
    agency_mode("{\"mode\":\"error\",\"status\":500,\"times\":1}");
    char hid[37], sql[300];
    create_handover(&g_srv, hid);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'pending' AND "
             "last_http_status = 500 AND attempts = 1",
             hid);
    assert_int_equal(wait_for(sql, 1, 5000), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'delivered' AND "
             "attempts = 2",
             hid);
    assert_int_equal(wait_for(sql, 1, 8000), 1);
    assert_int_equal(agency_stat("unique"), 1);
    assert_int_equal(agency_stat("duplicates"), 0);
}

/* The agency refuses it (a 4xx other than 408/429): failed for good, not
 * retried, the reason kept in the row. */
static void test_refused_for_good(void **state)
{
    (void)state;
    agency_reset();
    agency_mode("{\"mode\":\"error\",\"status\":422,\"times\":1}");
    char hid[37], sql[300];
    create_handover(&g_srv, hid);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'failed' AND "
             "last_http_status = 422 AND attempts = 1 AND last_error = 'the agency refused it'",
             hid);
    assert_int_equal(wait_for(sql, 1, 5000), 1);
    usleep(2500 * 1000); /* past the first backoff: still failed, not tried again */
    assert_int_equal(q(sql), 1);
    assert_int_equal(agency_stat("requests"), 1);
    assert_int_equal(agency_stat("unique"), 0);
}

/* The agency is down (connections reset) for an hour: the hand-over waits,
 * retrying with backoff, and nothing is lost; when it is back it gets it
 * once. The hour is simulated: the row is made an hour old with the
 * attempts it would have made, and its next attempt made due. */
static void test_agency_down_holds(void **state)
{
    (void)state;
    agency_reset();
    agency_mode("{\"mode\":\"reset\"}");
    char hid[37], sql[400];
    create_handover(&g_srv, hid);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'pending' AND attempts "
             ">= 2 AND last_error LIKE 'no answer%%'",
             hid);
    assert_int_equal(wait_for(sql, 1, 8000), 1);
    snprintf(sql, sizeof sql,
             "UPDATE handovers SET created_at = now() - interval '1 hour', attempts = 15, "
             "next_attempt_at = now() + interval '1 hour' WHERE id = '%s' AND state = 'pending'",
             hid);
    assert_true(mzt_sql(&g_env, sql));
    usleep(1200 * 1000); /* not due: not tried */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'pending' AND attempts "
             "= 15",
             hid);
    assert_int_equal(q(sql), 1);
    agency_mode("{\"mode\":\"ok\"}");
    snprintf(sql, sizeof sql, "UPDATE handovers SET next_attempt_at = now() WHERE id = '%s'", hid);
    assert_true(mzt_sql(&g_env, sql));
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'delivered' AND attempts "
             "= 16",
             hid);
    assert_int_equal(wait_for(sql, 1, 8000), 1);
    assert_int_equal(agency_stat("unique"), 1);
}

/* A signed hand-over event to the push endpoint; the status. */
static long push_event(const char *agency, const char *body, char *status, size_t slen)
{
    char id[64], ts[24], sig[128], h_id[100], h_ts[60], h_sig[200], path[100];
    static int seq;
    snprintf(id, sizeof id, "msg_handover_%d_%ld", ++seq, (long)time(NULL));
    snprintf(ts, sizeof ts, "%ld", (long)time(NULL));
    assert_true(mz_webhook_sign(PUSH_SECRET, id, ts, body, strlen(body), sig, sizeof sig));
    snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *h[] = {h_id, h_ts, h_sig, "Content-Type: application/json", NULL};
    snprintf(path, sizeof path, "/api/v1/agencies/%s/events", agency);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "POST", path, NULL, h, body, &r));
    long st = r.status;
    if (status) {
        char perr[64];
        mz_json_doc *d = mz_json_parse(r.body, r.body_len, NULL, perr, sizeof perr);
        const char *s = d ? mz_json_string(mz_json_get(mz_json_root(d), "status"), NULL) : NULL;
        snprintf(status, slen, "%s", s ? s : "");
        mz_json_free(d);
    }
    mzt_resp_free(&r);
    return st;
}

static void test_acknowledge_and_close(void **state)
{
    (void)state;
    char body[200], st[32], sql[300];
    snprintf(body, sizeof body, "{\"type\":\"handover.acknowledged\",\"handoverId\":\"%s\"}",
             g_first);
    /* another agency cannot touch it */
    assert_int_equal(push_event("gem", body, NULL, 0), 400);
    assert_int_equal(push_event("uwv", body, st, sizeof st), 202);
    assert_string_equal(st, "accepted");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'acknowledged' AND "
             "acknowledged_at IS NOT NULL",
             g_first);
    assert_int_equal(q(sql), 1);
    if (getenv("MZ_TEST_SHOW_HANDOVER"))
        fprintf(stderr,
                "acknowledgement: signed push to /api/v1/agencies/uwv/events: %s -> 202 %s\n", body,
                st);
    show_row("acknowledged");
    assert_int_equal(push_event("uwv", body, st, sizeof st), 202);
    assert_string_equal(st, "duplicate");
    snprintf(body, sizeof body, "{\"type\":\"handover.closed\",\"handoverId\":\"%s\"}", g_first);
    assert_int_equal(push_event("uwv", body, st, sizeof st), 202);
    assert_string_equal(st, "accepted");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM handovers WHERE id = '%s' AND state = 'closed' AND closed_at "
             "IS NOT NULL",
             g_first);
    assert_int_equal(q(sql), 1);
    /* closed is final: a late acknowledgement changes nothing */
    snprintf(body, sizeof body, "{\"type\":\"handover.acknowledged\",\"handoverId\":\"%s\"}",
             g_first);
    assert_int_equal(push_event("uwv", body, st, sizeof st), 202);
    assert_string_equal(st, "duplicate");
    assert_int_equal(q(sql), 1);
    /* unknown ids and types: 400 */
    assert_int_equal(push_event("uwv",
                                "{\"type\":\"handover.closed\",\"handoverId\":"
                                "\"00000000-0000-4000-8000-000000000000\"}",
                                NULL, 0),
                     400);
    assert_int_equal(
        push_event("uwv", "{\"type\":\"handover.lost\",\"handoverId\":\"x\"}", NULL, 0), 400);
}

/* What the next professional sees (summary, state) and what the citizen
 * sees (no summary, no employee), each read logged. */
static void test_next_professional_and_citizen_see(void **state)
{
    (void)state;
    char *other = prof_token("medewerker-0815");
    const char *h[] = {"Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/cases/search", other, h,
                         "{\"bsn\":\"" BSN_A "\",\"purpose\":\"klantvraag\"}", &r));
    assert_int_equal(r.status, 200);
    char perr[64];
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, NULL, perr, sizeof perr);
    assert_non_null(d);
    const mz_json *cm = mz_json_get(mz_json_root(d), "contactMoments");
    assert_non_null(cm);
    assert_true(cm->u.kids.count >= 3);
    bool seen_closed = false, seen_open = false;
    for (const mz_json *m = cm->u.kids.first; m; m = m->next) {
        assert_string_equal(mz_json_string(mz_json_get(m, "summary"), NULL), SUMMARY);
        assert_string_equal(mz_json_string(mz_json_get(m, "organisation"), NULL), "Gemeente Test");
        const char *s = mz_json_string(mz_json_get(mz_json_get(m, "handover"), "state"), NULL);
        assert_non_null(s);
        seen_closed |= strcmp(s, "closed") == 0;
        seen_open |= strcmp(s, "delivered") == 0;
    }
    assert_true(seen_closed && seen_open);
    assert_null(strstr(r.body, EMPLOYEE));
    mz_json_free(d);
    mzt_resp_free(&r);
    free(other);
    long plog = q("SELECT count(*) FROM processing_log");
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/contact-moments", g_cit_a, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "teruggebeld"));
    assert_null(strstr(r.body, EMPLOYEE));
    assert_non_null(strstr(r.body, "\"topic\":\"Bezwaar WW\""));
    assert_non_null(strstr(r.body, "\"state\":\"afgerond\""));
    assert_non_null(strstr(r.body, "\"state\":\"aangevraagd\""));
    assert_non_null(strstr(r.body, "\"organisation\":\"UWV\""));
    mzt_resp_free(&r);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), plog + 1);
    /* another citizen sees none of it */
    char *cit_b = mzt_citizen_token(&g_env, BSN_B);
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/contact-moments", cit_b, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"items\":[]}");
    mzt_resp_free(&r);
    free(cit_b);
}

/* Two instances share the outbox: every hand-over delivered exactly once. */
static void test_two_instances(void **state)
{
    (void)state;
    agency_reset();
    assert_true(mzt_sql(&g_env, "UPDATE handovers SET state = 'closed'"));
    mzt_server s2;
    assert_true(start(&s2));
    agency_mode("{\"mode\":\"slow\",\"delayMs\":40}");
    enum { N = 60 };
    for (int i = 0; i < N; i++) {
        char hid[37];
        create_handover(i % 2 ? &s2 : &g_srv, hid);
    }
    assert_int_equal(wait_for("SELECT count(*) FROM handovers WHERE state = 'delivered'", N, 30000),
                     N);
    agency_mode("{\"mode\":\"ok\"}");
    assert_int_equal(agency_stat("unique"), N);
    assert_int_equal(agency_stat("duplicates"), 0);
    assert_int_equal(agency_stat("badSignatures"), 0);
    mzt_resp r1, r2;
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &r1));
    assert_true(mzt_http(&s2, "GET", "/metrics", NULL, NULL, NULL, &r2));
    static const char k[] = "mz_handover_deliveries_total{outcome=\"delivered\"} ";
    const char *p1 = strstr(r1.body, k), *p2 = strstr(r2.body, k);
    assert_non_null(p1);
    assert_non_null(p2);
    long n1 = atol(p1 + sizeof k - 1), n2 = atol(p2 + sizeof k - 1);
    assert_true(n2 > 0);
    assert_true(n1 > 0);
    assert_non_null(strstr(r1.body, "mz_handovers{state=\"delivered\"} 60\n"));
    mzt_resp_free(&r1);
    mzt_resp_free(&r2);
    assert_int_equal(mzt_server_stop(&s2), 0);
}

/* An instance killed (SIGKILL) while the agency holds its answers: after
 * the lease runs out another instance delivers what was in flight again,
 * under the same webhook-id, and the rest: every hand-over delivered, the
 * agency has each once (a redelivery is recognised by its id). */
static void test_killed_mid_delivery(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "UPDATE handovers SET state = 'closed'"));
    agency_reset();
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    mzt_server victim;
    assert_true(start(&victim));
    agency_mode("{\"mode\":\"accept-slow\",\"delayMs\":5000}");
    enum { N = 10 };
    for (int i = 0; i < N; i++) {
        char hid[37];
        create_handover(&victim, hid);
    }
    for (int i = 0; i < 200 && agency_stat("accepted") < 1; i++)
        usleep(50 * 1000);
    usleep(200 * 1000);
    kill(victim.pid, SIGKILL);
    mzt_server_stop(&victim);
    /* what reached the agency before the kill (a request sent just before
     * it may be recorded a moment later) */
    usleep(300 * 1000);
    long accepted = agency_stat("accepted");
    assert_true(accepted >= 1 && accepted <= 2); /* one in flight per worker */
    long delivering = q("SELECT count(*) FROM handovers WHERE state = 'delivering'");
    assert_true(delivering >= 1);
    assert_int_equal(q("SELECT count(*) FROM handovers WHERE state = 'delivered'"), 0);
    /* the lease (60 s) runs out */
    assert_true(mzt_sql(&g_env, "UPDATE handovers SET claimed_until = now() - interval '1 second' "
                                "WHERE state = 'delivering'"));
    agency_mode("{\"mode\":\"ok\"}");
    assert_true(start(&g_srv));
    assert_int_equal(wait_for("SELECT count(*) FROM handovers WHERE state = 'delivered'", N, 15000),
                     N);
    assert_int_equal(agency_stat("unique"), N);
    assert_int_equal(agency_stat("duplicates"), accepted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_deliver),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_retry_after_500),
        cmocka_unit_test(test_refused_for_good),
        cmocka_unit_test(test_agency_down_holds),
        cmocka_unit_test(test_acknowledge_and_close),
        cmocka_unit_test(test_next_professional_and_citizen_see),
        cmocka_unit_test(test_two_instances),
        cmocka_unit_test(test_killed_mid_delivery),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
