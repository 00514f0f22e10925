/*
 * test_notify_send.c — the Notify sender (issue 15) end to end: the real
 * service and Postgres against tests/fixtures/fake_notify, which checks
 * the JWT and the body the way GOV.UK Notify API v2 does. One change → one
 * message (template, personalisation without case content or BSN,
 * reference = the outbox row), the digest, retry on 500/429, giving up on
 * 400/403, quiet hours for SMS, the delivery callback, two instances
 * sending each message once, a sender killed mid-batch (nothing lost,
 * nothing sent twice), unverified addresses, a reminder sent once an
 * address is verified, deleted preferences, and the mz_notify_* metrics.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bsn.h"
#include "buf.h"
#include "contact.h"
#include "json.h"
#include "mzt.h"
#include "store.h"

#define BSN_A    "999993653"
#define SVC_ID   "26785a09-ab16-4eb0-8407-a37497a57506"
#define API_KEY  "mijnzaken_test-" SVC_ID "-3d844edf-8d35-48ac-975b-e847b4f122b0"
#define T_VER_E  "11111111-1111-4111-8111-111111111111"
#define T_VER_S  "22222222-2222-4222-8222-222222222222"
#define T_STAT_E "33333333-3333-4333-8333-333333333333"
#define T_STAT_S "44444444-4444-4444-8444-444444444444"
#define T_ACT_E  "55555555-5555-4555-8555-555555555555"
#define T_ACT_S  "66666666-6666-4666-8666-666666666666"
#define T_DEC_E  "77777777-7777-4777-8777-777777777777"
#define T_DEC_S  "88888888-8888-4888-8888-888888888888"
/* 2026-06-11 12:00 UTC (14:00 in Amsterdam) and 20:30 UTC (22:30: quiet) */
#define DAY   "MZ_NOTIFY_TEST_NOW=1781179200"
#define NIGHT "MZ_NOTIFY_TEST_NOW=1781209800"

static const char KEY_HEX[] = "8f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff";
static mzt_env g_env;
static mzt_server g_srv, g_fake;
static char *g_tok_a;
static char g_e[6][450];
static char g_url[100];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* Starts an instance with the common environment plus clock (DAY/NIGHT). */
static bool start(mzt_server *s, const char *clock)
{
    const char *env[] = {
        g_e[0], g_e[1], g_e[2], g_e[3], g_e[4], g_e[5], "MZ_NOTIFY_DIGEST_SECONDS=2", clock, NULL};
    return mzt_server_start(s, &g_env, env);
}

static long fake_stat(const char *name)
{
    return mzt_fake_stat(&g_fake, name);
}

static void fake_mode(const char *json)
{
    assert_true(mzt_fake_mode(&g_fake, json));
}

/* Waits up to ms for the SQL count to reach want; returns the last value. */
static long wait_for(const char *sql, long want, int ms)
{
    long v = q(sql);
    for (int i = 0; i < ms / 50 && v != want; i++) {
        usleep(50 * 1000);
        v = q(sql);
    }
    return v;
}

/* The messages the fake recorded for reference (parsed; free with mz_json_free). */
static mz_json_doc *messages(const char *reference)
{
    char path[120];
    if (reference)
        snprintf(path, sizeof path, "/_control/messages?reference=%s", reference);
    else
        snprintf(path, sizeof path, "/_control/messages");
    mz_json_doc *d = mzt_fake_control(&g_fake, "GET", path, NULL);
    assert_non_null(d);
    return d;
}

static int64_t msg_count(const char *reference)
{
    mz_json_doc *d = messages(reference);
    int64_t n = -1;
    mz_json_int64(mz_json_get(mz_json_root(d), "count"), &n);
    mz_json_free(d);
    return n;
}

static const char *pers(const mz_json *m, const char *key)
{
    return mz_json_string(mz_json_get(mz_json_get(m, "personalisation"), key), NULL);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "notify_send"))
        return -1;
    char kpath[400], tpath[400], cpath[400], apath[400];
    snprintf(kpath, sizeof kpath, "%s/contact.key", g_env.dir);
    snprintf(tpath, sizeof tpath, "%s/templates.json", g_env.dir);
    snprintf(cpath, sizeof cpath, "%s/callback.token", g_env.dir);
    snprintf(apath, sizeof apath, "%s/notify.key", g_env.dir);
    char key[80];
    snprintf(key, sizeof key, "%s\n", KEY_HEX);
    write_file(kpath, key);
    write_file(tpath, "{\"verification\":{\"email\":\"" T_VER_E "\",\"sms\":\"" T_VER_S "\"},"
                      "\"statusChange\":{\"email\":\"" T_STAT_E "\",\"sms\":\"" T_STAT_S "\"},"
                      "\"actionRequired\":{\"email\":\"" T_ACT_E "\",\"sms\":\"" T_ACT_S "\"},"
                      "\"decision\":{\"email\":\"" T_DEC_E "\",\"sms\":\"" T_DEC_S "\"}}");
    write_file(cpath, "callback-secret-token\n");
    write_file(apath, API_KEY "\n");
    const char *fargs[] = {"--api-key-file", apath, NULL};
    if (!mzt_fixture_start(&g_fake, &g_env, "fake_notify", fargs))
        return -1;
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    char err[200];
    mz_agency_row a1 = {"gemeente-test", "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    mz_agency_row a2 = {"uwv-test", "UWV Test", "zgw", "{}", NULL, NULL, NULL, true};
    bool ok = mz_store_upsert_agency(db, &a1, err, sizeof err) &&
              mz_store_upsert_agency(db, &a2, err, sizeof err);
    mz_db_close(db);
    if (!ok || !mzt_sql(&g_env, "UPDATE sync_state SET last_success_at = now()"))
        return -1;
    snprintf(g_url, sizeof g_url, "http://127.0.0.1:%u", g_fake.port);
    snprintf(g_e[0], sizeof g_e[0], "MZ_CONTACT_KEY_FILE=%s", kpath);
    snprintf(g_e[1], sizeof g_e[1], "MZ_NOTIFY_TEMPLATES=%s", tpath);
    snprintf(g_e[2], sizeof g_e[2], "MZ_NOTIFY_CALLBACK_TOKEN_FILE=%s", cpath);
    snprintf(g_e[3], sizeof g_e[3], "MZ_NOTIFY_API_KEY_FILE=%s", apath);
    snprintf(g_e[4], sizeof g_e[4], "MZ_NOTIFY_URL=%s", g_url);
    snprintf(g_e[5], sizeof g_e[5], "MZ_NOTIFY_MAX_ATTEMPTS=5");
    if (!start(&g_srv, DAY))
        return -1;
    g_tok_a = mzt_citizen_token(&g_env, BSN_A);
    return g_tok_a ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    mzt_server_stop(&g_fake);
    free(g_tok_a);
    static const char *const mine[] = {"jansen", "12345678", NULL}; /* the tests' contacts */
    bool clean = mzt_log_clean(g_srv.log, mine);
    if (!mzt_env_teardown(&g_env))
        return -1;
    return rc == 0 && clean ? 0 : -1;
}

static void put_status(const char *agency, const char *ext, const char *group)
{
    mz_db *db = mzt_store_open(&g_env);
    assert_non_null(db);
    char at[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S+00", &tm);
    mz_case_record c = {.agency_id = agency,
                        .external_id = ext,
                        .title = "Aanvraag bijstandsuitkering geheim",
                        .status_group = group,
                        .status_text = "Besluit genomen: afgewezen",
                        .status_changed_at = at,
                        .source_updated_at = at,
                        .source = "poll"};
    mz_pseudonym(BSN_A, 9, c.subject_key);
    char err[200];
    mz_upsert_result res = mz_store_upsert_case(db, &c, err, sizeof err);
    if (res != MZ_UPSERT_APPLIED)
        fail_msg("store: %s", err);
    mz_db_close(db);
}

/* Rows of subject A straight into the outbox (due now): n per channel given. */
static void insert_rows(const char *channel, int n)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO notify_outbox (subject_key, channel, kind, organisations, changes, "
             "state, due_at, last_http_status) SELECT subject_key, '%s', 'statusChange', "
             "'{Gemeente Test}', 1, 'retry', now(), 429 FROM notify_preferences, "
             "generate_series(1, %d)",
             channel, n);
    assert_true(mzt_sql(&g_env, sql));
}

/* Subscribing: the verification codes go out through Notify (template
 * verification, personalisation code only); then both addresses are
 * marked verified. */
static void test_verification_code_sent(void **state)
{
    (void)state;
    const char *h[] = {"Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "PUT", "/api/v1/me/notification-preferences", g_tok_a, h,
                         "{\"email\":\"jan.jansen@voorbeeld.nl\",\"phone\":\"06 12345678\","
                         "\"channels\":{\"email\":true,\"sms\":true},\"events\":{"
                         "\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}",
                         &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE kind = 'verification' "
                              "AND state = 'sent' AND notify_id IS NOT NULL AND code_enc IS NULL",
                              2, 5000),
                     2);
    mz_json_doc *d = messages(NULL);
    const mz_json *list = mz_json_get(mz_json_root(d), "messages");
    assert_int_equal(list->u.kids.count, 2);
    for (const mz_json *m = list->u.kids.first; m; m = m->next) {
        const char *type = mz_json_string(mz_json_get(m, "type"), NULL);
        const char *to = mz_json_string(mz_json_get(m, "to"), NULL);
        const char *tid = mz_json_string(mz_json_get(m, "template_id"), NULL);
        bool sms = strcmp(type, "sms") == 0;
        assert_string_equal(to, sms ? "+31612345678" : "jan.jansen@voorbeeld.nl");
        assert_string_equal(tid, sms ? T_VER_S : T_VER_E);
        const char *code = pers(m, "code");
        assert_non_null(code);
        assert_int_equal(strlen(code), 6);
        assert_int_equal(strspn(code, "0123456789"), 6);
        assert_int_equal(mz_json_get(m, "personalisation")->u.kids.count, 1);
    }
    mz_json_free(d);
    assert_int_equal(fake_stat("authFailures"), 0);
    assert_int_equal(fake_stat("badRequests"), 0);
    /* verified; subscribed a minute ago (changes stamped to the second
     * must not predate the subscription) */
    assert_true(mzt_sql(&g_env, "UPDATE notify_preferences SET email_verified_at = now(), "
                                "phone_verified_at = now(), created_at = now() - interval "
                                "'1 minute'"));
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    mz_json_free(mzt_fake_control(&g_fake, "POST", "/_control/reset", "{}"));
}

/* One change → one message per channel: the statusChange template, the
 * organisation and the count, no case title, status text or BSN, and
 * reference = the outbox row id; Notify's id recorded in the row. */
static void test_one_change_one_message(void **state)
{
    (void)state;
    put_status("gemeente-test", "z1", "in_progress");
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE state = 'pending'"), 2);
    /* the digest window (2 s) has not passed: nothing yet */
    usleep(700 * 1000);
    assert_int_equal(msg_count(NULL), 0);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'sent'", 2, 8000),
                     2);
    mz_json_doc *d = messages(NULL);
    const mz_json *list = mz_json_get(mz_json_root(d), "messages");
    assert_int_equal(list->u.kids.count, 2);
    mz_buf all = MZ_BUF_INIT;
    mz_json_write(&all, list);
    for (const mz_json *m = list->u.kids.first; m; m = m->next) {
        bool sms = strcmp(mz_json_string(mz_json_get(m, "type"), NULL), "sms") == 0;
        assert_string_equal(mz_json_string(mz_json_get(m, "template_id"), NULL),
                            sms ? T_STAT_S : T_STAT_E);
        assert_string_equal(pers(m, "organisatie"), "Gemeente Test");
        assert_string_equal(pers(m, "aantal"), "1");
        assert_string_equal(pers(m, "meer"), "nee");
        assert_int_equal(mz_json_get(m, "personalisation")->u.kids.count, 3);
        char sql[300];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM notify_outbox WHERE id = %s AND channel = '%s' AND "
                 "notify_id = '%s' AND last_http_status = 201",
                 mz_json_string(mz_json_get(m, "reference"), NULL), sms ? "sms" : "email",
                 mz_json_string(mz_json_get(m, "id"), NULL));
        assert_int_equal(q(sql), 1);
    }
    /* nothing of the case, nothing of the citizen but the address */
    assert_null(strstr(all.data, "bijstand"));
    assert_null(strstr(all.data, "afgewezen"));
    assert_null(strstr(all.data, BSN_A));
    assert_null(strstr(all.data, "z1"));
    mz_buf_free(&all);
    mz_json_free(d);
}

/* Two changes within the window → one message per channel saying two. */
static void test_digest(void **state)
{
    (void)state;
    long before = msg_count(NULL);
    put_status("gemeente-test", "z2", "in_progress");
    put_status("uwv-test", "u1", "decided");
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'sent' AND "
                              "kind = 'decision'",
                              2, 8000),
                     2);
    usleep(300 * 1000);
    assert_int_equal(msg_count(NULL), before + 2);
    mz_json_doc *d = messages(NULL);
    const mz_json *m = mz_json_get(mz_json_root(d), "messages")->u.kids.first;
    for (long i = 0; i < before; i++)
        m = m->next;
    for (; m; m = m->next) {
        bool sms = strcmp(mz_json_string(mz_json_get(m, "type"), NULL), "sms") == 0;
        assert_string_equal(mz_json_string(mz_json_get(m, "template_id"), NULL),
                            sms ? T_DEC_S : T_DEC_E);
        assert_string_equal(pers(m, "organisatie"), "Gemeente Test en UWV Test");
        assert_string_equal(pers(m, "aantal"), "2");
        assert_string_equal(pers(m, "meer"), "ja");
    }
    mz_json_free(d);
}

/* 500, then 429: retried with backoff, then sent once. */
static void test_retry_then_success(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    long before = msg_count(NULL);
    fake_mode("{\"mode\":\"error\",\"status\":500,\"times\":1,\"paths\":\"send\"}");
    insert_rows("email", 1);
    long id = q("SELECT max(id) FROM notify_outbox");
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'retry' AND "
                              "last_http_status = 500 AND last_error = 'Exception'",
                              1, 5000),
                     1);
    fake_mode("{\"mode\":\"error\",\"status\":429,\"times\":1,\"paths\":\"send\"}");
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'sent'", 1, 10000),
                     1);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT attempts FROM notify_outbox WHERE id = %ld AND state = 'sent'", id);
    assert_int_equal(q(sql), 3);
    char ref[24];
    snprintf(ref, sizeof ref, "%ld", id);
    assert_int_equal(msg_count(ref), 1);
    assert_int_equal(msg_count(NULL), before + 1);
    /* the attempt after the 500 asked Notify by reference first */
    assert_true(fake_stat("lookups") >= 1);
}

/* 400 and 403: given up at once, for good, and counted. */
static void test_give_up(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    long before = msg_count(NULL);
    fake_mode("{\"mode\":\"error\",\"status\":400,\"times\":1,\"paths\":\"send\"}");
    insert_rows("email", 1);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'failed' AND "
                              "last_http_status = 400 AND last_error = 'BadRequestError' AND "
                              "attempts = 1",
                              1, 5000),
                     1);
    fake_mode("{\"mode\":\"error\",\"status\":403,\"times\":1,\"paths\":\"send\"}");
    insert_rows("sms", 1);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'failed' AND "
                              "last_http_status = 403 AND last_error = 'AuthError' AND "
                              "attempts = 1",
                              1, 5000),
                     1);
    usleep(1500 * 1000); /* and stays failed */
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE state = 'failed'"), 2);
    assert_int_equal(msg_count(NULL), before);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "mz_notify_failed_total{channel=\"email\"} 1\n"));
    assert_non_null(strstr(r.body, "mz_notify_failed_total{channel=\"sms\"} 1\n"));
    assert_non_null(strstr(r.body, "mz_notify_outbox{channel=\"email\",state=\"failed\"} 1\n"));
    assert_non_null(strstr(r.body, "# TYPE mz_notify_sent_total counter"));
    assert_non_null(strstr(r.body, "mz_notify_retried_total{channel=\"email\"} "));
    assert_null(strstr(r.body, "mz_notify_sent_total{channel=\"email\"} 0\n"));
    mzt_resp_free(&r);
}

/* Quiet hours: at 22:30 in Amsterdam e-mail goes out, SMS waits (not even
 * claimed); in the morning it goes. */
static void test_quiet_hours(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    assert_true(start(&g_srv, NIGHT));
    insert_rows("email", 1);
    insert_rows("sms", 1);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE channel = 'email' AND "
                              "state = 'sent'",
                              1, 5000),
                     1);
    usleep(1200 * 1000);
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE channel = 'sms' AND state = "
                       "'retry' AND attempts = 0"),
                     1);
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    assert_true(start(&g_srv, DAY));
    assert_int_equal(
        wait_for("SELECT count(*) FROM notify_outbox WHERE channel = 'sms' AND state = 'sent'", 1,
                 5000),
        1);
}

/* Notify's delivery receipt (its documented body) updates the row. */
static void test_callback_updates_row(void **state)
{
    (void)state;
    char *row = mzt_query_text(&g_env, "SELECT id || ' ' || notify_id FROM notify_outbox WHERE "
                                       "state = 'sent' ORDER BY id LIMIT 1");
    assert_non_null(row);
    char id[24], nid[64];
    assert_int_equal(sscanf(row, "%23s %63s", id, nid), 2);
    free(row);
    char body[600];
    snprintf(body, sizeof body,
             "{\"id\":\"%s\",\"reference\":\"%s\",\"to\":\"+31612345678\",\"status\":"
             "\"delivered\",\"created_at\":\"2026-06-11T12:00:00.000000Z\",\"completed_at\":"
             "\"2026-06-11T12:00:05.000000Z\",\"sent_at\":\"2026-06-11T12:00:01.000000Z\","
             "\"notification_type\":\"sms\"}",
             nid, id);
    const char *h[] = {"Content-Type: application/json",
                       "Authorization: Bearer callback-secret-token", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/notify/callback", NULL, h, body, &r));
    assert_int_equal(r.status, 204);
    mzt_resp_free(&r);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notify_outbox WHERE id = %s AND delivery_status = 'delivered' "
             "AND delivered_at IS NOT NULL",
             id);
    assert_int_equal(q(sql), 1);
    if (getenv("MZ_TEST_SHOW_OUTBOX")) { /* for the closing note: the rows as stored */
        char show[900];
        snprintf(show, sizeof show,
                 "SELECT jsonb_pretty(to_jsonb(o) - 'subject_key' || jsonb_build_object("
                 "'subject_key', left(encode(o.subject_key, 'hex'), 12) || '…', 'code_enc', "
                 "o.code_enc IS NOT NULL)) FROM notify_outbox o WHERE id = %s",
                 id);
        char *o = mzt_query_text(&g_env, show);
        char *p = mzt_query_text(
            &g_env, "SELECT jsonb_pretty(jsonb_build_object('subject_key', "
                    "left(encode(p.subject_key, 'hex'), 12) || '…', 'key_id', p.key_id, "
                    "'email_enc', encode(p.email_enc, 'hex'), 'phone_enc', encode(p.phone_enc, "
                    "'hex'), 'email_verified_at', p.email_verified_at, 'phone_verified_at', "
                    "p.phone_verified_at, 'channel_email', p.channel_email, 'channel_sms', "
                    "p.channel_sms)) FROM notify_preferences p JOIN notify_outbox o USING "
                    "(subject_key) WHERE o.state = 'sent' ORDER BY o.id LIMIT 1");
        printf("outbox and delivery record:\n%s\npreferences (sealed):\n%s\n", o ? o : "?",
               p ? p : "?");
        fflush(stdout);
        free(o);
        free(p);
    }
}

/* Two instances share the outbox: every message sent exactly once. */
static void test_two_instances(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    mz_json_free(mzt_fake_control(&g_fake, "POST", "/_control/reset", "{}"));
    mzt_server s2;
    assert_true(start(&s2, DAY));
    /* 40 ms per send: one claim of 50 keeps a sender busy for 2 s, far
     * longer than an idle sender's 500 ms nap, so the other instance's
     * senders wake while work is left, also on a slow (TSan) build. */
    fake_mode("{\"mode\":\"slow\",\"delayMs\":40,\"paths\":\"send\"}");
    insert_rows("email", 300);
    assert_int_equal(
        wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'sent'", 300, 30000), 300);
    fake_mode("{\"mode\":\"ok\"}");
    assert_int_equal(msg_count(NULL), 300);
    assert_int_equal(fake_stat("accepted"), 300);
    assert_int_equal(q("SELECT count(DISTINCT notify_id) FROM notify_outbox"), 300);
    /* both took part */
    mzt_resp r1, r2;
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &r1));
    assert_true(mzt_http(&s2, "GET", "/metrics", NULL, NULL, NULL, &r2));
    const char *p1 = strstr(r1.body, "mz_notify_sent_total{channel=\"email\"} ");
    const char *p2 = strstr(r2.body, "mz_notify_sent_total{channel=\"email\"} ");
    assert_non_null(p1);
    assert_non_null(p2);
    long n1 = atol(p1 + 38), n2 = atol(p2 + 38);
    assert_true(n2 > 0);
    assert_true(n1 > 0);
    mzt_resp_free(&r1);
    mzt_resp_free(&r2);
    assert_int_equal(mzt_server_stop(&s2), 0);
}

/* A sender killed (SIGKILL) mid-batch while Notify holds its answers:
 * after the lease runs out a restarted instance asks Notify by reference
 * for what was in flight and sends the rest: every row sent, each
 * exactly once at Notify. */
static void test_killed_mid_batch(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    mz_json_free(mzt_fake_control(&g_fake, "POST", "/_control/reset", "{}"));
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    fake_mode("{\"mode\":\"accept-slow\",\"delayMs\":4000,\"paths\":\"send\"}");
    insert_rows("email", 30);
    mzt_server victim;
    assert_true(start(&victim, DAY));
    for (int i = 0; i < 200 && fake_stat("accepted") < 1; i++)
        usleep(50 * 1000);
    usleep(200 * 1000);
    /* one in flight per sender thread (two), their answers held back: which
     * of them got there first is timing */
    long accepted = fake_stat("accepted");
    assert_true(accepted >= 1 && accepted <= 2);
    kill(victim.pid, SIGKILL);
    mzt_server_stop(&victim);
    long sending = q("SELECT count(*) FROM notify_outbox WHERE state = 'sending'");
    assert_true(sending >= 1);
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE state = 'sent'"), 0);
    /* the lease (60 s) runs out */
    assert_true(mzt_sql(&g_env, "UPDATE notify_outbox SET claimed_until = now() - interval '1 "
                                "second' WHERE state = 'sending'"));
    fake_mode("{\"mode\":\"ok\"}");
    assert_true(start(&g_srv, DAY));
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'sent'", 30, 15000),
                     30);
    assert_int_equal(fake_stat("accepted"), 30);
    assert_int_equal(msg_count(NULL), 30);
    assert_true(fake_stat("lookups") >= sending);
    /* the one Notify accepted before the kill is recorded with Notify's id */
    assert_int_equal(q("SELECT count(DISTINCT notify_id) FROM notify_outbox"), 30);
}

/* An address no longer verified is never used. */
static void test_unverified_never_used(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    long before = fake_stat("sends");
    assert_true(mzt_sql(&g_env, "UPDATE notify_preferences SET email_verified_at = NULL"));
    insert_rows("email", 1);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'failed' AND "
                              "last_error = 'address not verified'",
                              1, 5000),
                     1);
    /* and no new change is queued for it */
    put_status("gemeente-test", "z3", "in_progress");
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE channel = 'email' AND state = "
                       "'pending'"),
                     0);
    assert_int_equal(fake_stat("sends"), before);
    assert_true(mzt_sql(&g_env, "UPDATE notify_preferences SET email_verified_at = now()"));
}

/* The reminder of an action due tomorrow (MZ_NOTIFY_REMINDER_DAYS, default
 * 3) goes out as soon as an address is verified, not at the reminder
 * step's next period (10 minutes): saving a new address (the number left
 * out: kept), entering the code, and the actionRequired message reaches
 * Notify at the new address, once. */
static void test_reminder_after_verification(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    mz_json_free(mzt_fake_control(&g_fake, "POST", "/_control/reset", "{}"));
    /* the case straight into the table: no change for the store to report */
    assert_true(mzt_sql(
        &g_env, "INSERT INTO cases (agency_id, external_id, subject_key, title, status_group, "
                "status_text, status_changed_at, source_updated_at, last_source, action_text, "
                "action_due_on) SELECT 'gemeente-test', 'remind-1', subject_key, 'Aanvraag', "
                "'action_required', 'Actie nodig', now(), now(), 'poll', 'Stuur het formulier', "
                "(now() AT TIME ZONE 'Europe/Amsterdam')::date + 1 FROM notify_preferences"));
    const char *h[] = {"Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "PUT", "/api/v1/me/notification-preferences", g_tok_a, h,
                         "{\"email\":\"jan.nieuw@voorbeeld.nl\",\"channels\":{\"email\":true,"
                         "\"sms\":false},\"events\":{\"statusChange\":true,\"actionRequired\":"
                         "true,\"decision\":true}}",
                         &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE kind = 'verification' "
                              "AND state = 'sent'",
                              1, 5000),
                     1);
    assert_int_equal(q("SELECT count(*) FROM notify_reminders"), 0); /* not verified yet */
    mz_json_doc *d = messages(NULL);
    const mz_json *m = mz_json_get(mz_json_root(d), "messages")->u.kids.first;
    assert_non_null(m);
    assert_string_equal(mz_json_string(mz_json_get(m, "to"), NULL), "jan.nieuw@voorbeeld.nl");
    char body[80];
    snprintf(body, sizeof body, "{\"channel\":\"email\",\"code\":\"%s\"}", pers(m, "code"));
    mz_json_free(d);
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/me/notification-preferences/verify", g_tok_a, h,
                         body, &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    assert_int_equal(wait_for("SELECT count(*) FROM notify_outbox WHERE kind = 'actionRequired' "
                              "AND state = 'sent'",
                              1, 8000),
                     1);
    assert_int_equal(q("SELECT count(*) FROM notify_reminders"), 1);
    d = messages(NULL);
    const mz_json *list = mz_json_get(mz_json_root(d), "messages");
    assert_int_equal(list->u.kids.count, 2);
    m = list->u.kids.first->next;
    assert_string_equal(mz_json_string(mz_json_get(m, "template_id"), NULL), T_ACT_E);
    assert_string_equal(mz_json_string(mz_json_get(m, "to"), NULL), "jan.nieuw@voorbeeld.nl");
    assert_string_equal(pers(m, "organisatie"), "Gemeente Test");
    mz_json_free(d);
    /* back to both channels, the addresses left out (kept, still verified) */
    assert_true(mzt_http(&g_srv, "PUT", "/api/v1/me/notification-preferences", g_tok_a, h,
                         "{\"channels\":{\"email\":true,\"sms\":true},\"events\":{"
                         "\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}",
                         &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"verified\":{\"email\":true,\"sms\":true}"));
    mzt_resp_free(&r);
    assert_true(mzt_sql(&g_env, "DELETE FROM cases WHERE external_id = 'remind-1'"));
}

/* Deleting the preferences stops the pending messages. */
static void test_delete_stops_pending(void **state)
{
    (void)state;
    assert_int_equal(
        wait_for("SELECT count(*) FROM notify_outbox WHERE state = 'pending'", 0, 8000), 0);
    long before = fake_stat("sends");
    put_status("gemeente-test", "z4", "in_progress");
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE state = 'pending'"), 2);
    mzt_resp r;
    assert_true(
        mzt_http(&g_srv, "DELETE", "/api/v1/me/notification-preferences", g_tok_a, NULL, NULL, &r));
    assert_int_equal(r.status, 204);
    mzt_resp_free(&r);
    usleep(3000 * 1000); /* past the digest window */
    assert_int_equal(q("SELECT count(*) FROM notify_outbox"), 0);
    assert_int_equal(fake_stat("sends"), before);
}

/* The send rate of a backlog (bench/README.md): only with MZ_NOTIFY_BENCH=N. */
static void test_bench_backlog(void **state)
{
    (void)state;
    const char *n_s = getenv("MZ_NOTIFY_BENCH");
    long n = n_s ? atol(n_s) : 0;
    if (n <= 0)
        skip();
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    mz_json_free(mzt_fake_control(&g_fake, "POST", "/_control/reset", "{}"));
    char sql[500];
    snprintf(sql, sizeof sql,
             "INSERT INTO notify_outbox (subject_key, channel, kind, organisations, state, due_at, "
             "last_http_status) SELECT subject_key, 'email', 'statusChange', '{Gemeente "
             "Test}', 'retry', now(), 429 FROM notify_preferences, generate_series(1, %ld)",
             n);
    assert_true(mzt_sql(&g_env, sql));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_true(start(&g_srv, DAY));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM notify_outbox WHERE state = 'sent'");
    assert_int_equal(wait_for(sql, n, 600000), n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_int_equal(fake_stat("accepted"), n);
    /* ctest shows a passing test's output only with -V: MZ_NOTIFY_BENCH_OUT names a file */
    const char *outp = getenv("MZ_NOTIFY_BENCH_OUT");
    FILE *out = outp ? fopen(outp, "a") : NULL;
    fprintf(out ? out : stdout,
            "notify bench: %ld messages sent in %.2f s (%.0f/s, one instance, start-up "
            "included)\n",
            n, secs, (double)n / secs);
    if (out)
        fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verification_code_sent),
        cmocka_unit_test(test_one_change_one_message),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_retry_then_success),
        cmocka_unit_test(test_give_up),
        cmocka_unit_test(test_quiet_hours),
        cmocka_unit_test(test_callback_updates_row),
        cmocka_unit_test(test_two_instances),
        cmocka_unit_test(test_killed_mid_batch),
        cmocka_unit_test(test_unverified_never_used),
        cmocka_unit_test(test_reminder_after_verification),
        cmocka_unit_test(test_bench_backlog), /* before the preferences go */
        cmocka_unit_test(test_delete_stops_pending),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
