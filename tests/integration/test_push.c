/*
 * test_push.c — agencies pushing: signed events (Standard Webhooks) and ZGW
 * notifications, acknowledged only once durable, idempotent, order-safe,
 * refusing bad input without changing anything, and surviving a SIGKILL in
 * the middle of a burst with every acknowledged event stored exactly once.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bsn.h"
#include "crypto.h"
#include "json.h"
#include "mzt.h"
#include "webhook.h"

#define SECRET     "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define NRC_AUTH   "Token nrc-test-subscription"
#define ZGW_SECRET "fake-zgw-push-secret"
#define BSN        "999990019"
#define KVK        "68750110" /* a business (fictitious; tests/support/mzt.c) */

static mzt_env g_env;
static mzt_server g_fake, g_srv;
static char g_agencies_kv[500];
static const char *g_env_vars[7];

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "push"))
        return -1;
    const char *args[] = {"--listen", "127.0.0.1:0", "--secret", ZGW_SECRET, "--zaken", "6", NULL};
    if (!mzt_fixture_start(&g_fake, &g_env, "fake_zgw", args))
        return -1;
    char path[400];
    snprintf(path, sizeof path, "%s/agencies.json", g_env.dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    char agency[1024];
    fprintf(f, "{\"agencies\":[%s]}\n",
            mzt_zgw_agency_json(agency, sizeof agency, "gem", "Gemeente Push", g_fake.port, NULL,
                                "\"pollIntervalSeconds\":86400,"
                                "\"webhook\":{\"secretEnv\":\"MZ_TEST_WEBHOOK_SECRET\"},"
                                "\"notifications\":{\"authorizationEnv\":\"MZ_TEST_NRC_AUTH\"}"));
    fclose(f);
    snprintf(g_agencies_kv, sizeof g_agencies_kv, "MZ_AGENCIES_FILE=%s", path);
    g_env_vars[0] = g_agencies_kv;
    g_env_vars[1] = "MZ_TEST_ZGW_SECRET=" ZGW_SECRET;
    g_env_vars[2] = "MZ_TEST_WEBHOOK_SECRET=" SECRET;
    g_env_vars[3] = "MZ_TEST_NRC_AUTH=" NRC_AUTH;
    g_env_vars[4] = "MZ_THREADS=4";
    g_env_vars[5] = "MZ_INBOX_MAX_ATTEMPTS=3"; /* test_inbox_gives_up */
    g_env_vars[6] = NULL;
    return mzt_server_start(&g_srv, &g_env, g_env_vars) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    mzt_server_stop(&g_fake);
    /* no BSN, no token in the service's logs */
    size_t n;
    char *log = mzt_slurp(g_srv.log, &n);
    int leak = log && (mz_contains_bsn_like(log, n) || strstr(log, "eyJ"));
    free(log);
    if (!mzt_env_teardown(&g_env))
        return -1; /* a plain BSN reached the database */
    return rc == 0 && !leak ? 0 : -1;
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* Sends a signed event body; returns the status. ts_offset shifts the
 * timestamp; sig_override replaces the signature header when non-NULL. */
static long send_event(mzt_server *srv, const char *id, long ts_offset, const char *body,
                       const char *sig_override, bool check_body)
{
    char ts[32], sig[128], h_id[300], h_ts[64], h_sig[400];
    snprintf(ts, sizeof ts, "%ld", (long)time(NULL) + ts_offset);
    assert_true(mz_webhook_sign(SECRET, id, ts, body, strlen(body), sig, sizeof sig));
    snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig_override ? sig_override : sig);
    const char *hdrs[] = {h_id, h_ts, h_sig, "Content-Type: application/json", NULL};
    mzt_resp r;
    if (!mzt_http(srv, "POST", "/api/v1/agencies/gem/events", NULL, hdrs, body, &r)) {
        mzt_resp_free(&r);
        return -1;
    }
    if (check_body) /* the contract is checked by mzt_http */
        assert_null(strstr(r.body, BSN));
    long st = r.status;
    mzt_resp_free(&r);
    return st;
}

static void event_body_for(char *out, size_t n, const char *bsn, const char *ref, const char *group,
                           const char *at)
{
    snprintf(out, n,
             "{\"caseReference\":\"%s\",\"bsn\":\"%s\",\"title\":\"Aanvraag %s\","
             "\"caseNumber\":\"%s\",\"status\":{\"group\":\"%s\",\"text\":\"Status %s\"},"
             "\"occurredAt\":\"%s\",\"dates\":{\"registered\":\"2026-03-01\","
             "\"legalDeadline\":\"2026-05-01\"},\"actionRequired\":{\"text\":\"Stuur het "
             "formulier\",\"url\":\"https://agency.test/form\",\"dueDate\":\"2026-04-01\"},"
             "\"link\":\"https://agency.test/cases/%s\"}",
             ref, bsn, ref, ref, group, group, at, ref);
}

static void event_body(char *out, size_t n, const char *ref, const char *group, const char *at)
{
    event_body_for(out, n, BSN, ref, group, at);
}

/* Waits until the SQL count reaches want (or `seconds`). */
static long wait_long(const char *sql, long want, int seconds)
{
    long v = -1;
    for (int i = 0; i < seconds * 20; i++) {
        v = q(sql);
        if (v == want)
            break;
        usleep(50 * 1000);
    }
    return v;
}

static long wait_for(const char *sql, long want)
{
    return wait_long(sql, want, 10);
}

static void test_event_stored(void **state)
{
    (void)state;
    char body[1200];
    event_body(body, sizeof body, "ref-1", "action_required", "2026-03-04T09:15:00Z");
    assert_int_equal(send_event(&g_srv, "msg-1", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM cases WHERE external_id = 'ref-1' AND "
                              "last_source = 'webhook' AND status_group = 'action_required' AND "
                              "action_text = 'Stuur het formulier' AND legal_deadline_on = "
                              "'2026-05-01'",
                              1),
                     1);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id = 'msg-1' AND "
                       "processed_at IS NOT NULL"),
                     1);
    /* the inbox keeps the pseudonym, never the BSN */
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE body LIKE '%" BSN "%'"), 0);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE body LIKE '%subjectKey%'"), 1);
    /* the citizen sees it */
    char *tok = mzt_citizen_token(&g_env, BSN);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"caseNumber\":\"ref-1\""));
    assert_non_null(strstr(r.body, "\"via\":\"webhook\""));
    mzt_resp_free(&r);
    free(tok);
}

/* Events may carry the case's documents and decisions (issue 16): each
 * list replaces the stored one, an absent list leaves it, bad ones are 400
 * naming the field; the citizen sees them with our ids. */
#define DOCS_EVENT                                                                                 \
    "{\"caseReference\":\"ref-docs\",\"bsn\":\"" BSN "\",\"title\":\"Aanvraag subsidie\","         \
    "\"status\":{\"group\":\"decided\",\"text\":\"Besluit genomen\"},\"occurredAt\":\"%s\"%s}"

static void test_event_documents_and_decisions(void **state)
{
    (void)state;

    const char *lists =
        ",\"documents\":[{\"reference\":\"https://agency.test/docs/1\",\"title\":\"Besluit "
        "subsidie\",\"format\":\"application/pdf\",\"size\":1234,\"date\":\"2026-03-05\"},"
        "{\"reference\":\"https://agency.test/docs/2\",\"title\":\"Bijlage\"}],"
        "\"decisions\":[{\"reference\":\"https://agency.test/besluiten/1\",\"date\":"
        "\"2026-03-05\",\"effectiveFrom\":\"2026-04-01\",\"text\":\"Toegekend\","
        "\"documents\":[\"https://agency.test/docs/1\"]}]";
    char body[2000];
    snprintf(body, sizeof body, DOCS_EVENT, "2026-03-05T10:00:00Z", lists);
    assert_int_equal(send_event(&g_srv, "msg-docs-1", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM case_documents d JOIN cases c ON c.id = "
                              "d.case_id WHERE c.external_id = 'ref-docs'",
                              2),
                     2);
    char *case_id = mzt_query_text(&g_env, "SELECT id FROM cases WHERE external_id = 'ref-docs'");
    char *letter = mzt_query_text(&g_env, "SELECT id FROM case_documents WHERE source_url = "
                                          "'https://agency.test/docs/1'");
    char *tok = mzt_citizen_token(&g_env, BSN);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s", case_id);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", path, tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    char want[200];
    snprintf(want, sizeof want, "\"documents\":[\"%s\"]", letter);
    assert_non_null(strstr(r.body, want));
    assert_non_null(strstr(r.body, "\"effectiveFrom\":\"2026-04-01\""));
    assert_null(strstr(r.body, "agency.test/docs")); /* the agency's URLs stay inside */
    mzt_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/me/cases/%s/documents", case_id);
    assert_true(mzt_http(&g_srv, "GET", path, tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"title\":\"Besluit subsidie\""));
    assert_non_null(strstr(r.body, "\"size\":1234"));
    assert_null(strstr(r.body, "agency.test"));
    mzt_resp_free(&r);

    /* a later event without the lists leaves them; one with an empty list clears that list */
    snprintf(body, sizeof body, DOCS_EVENT, "2026-03-06T10:00:00Z", "");
    assert_int_equal(send_event(&g_srv, "msg-docs-2", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'msg-docs-2' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    assert_int_equal(q("SELECT count(*) FROM case_documents d JOIN cases c ON c.id = d.case_id "
                       "WHERE c.external_id = 'ref-docs'"),
                     2);
    snprintf(body, sizeof body, DOCS_EVENT, "2026-03-07T10:00:00Z", ",\"documents\":[]");
    assert_int_equal(send_event(&g_srv, "msg-docs-3", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM case_documents d JOIN cases c ON c.id = "
                              "d.case_id WHERE c.external_id = 'ref-docs'",
                              0),
                     0);
    assert_int_equal(q("SELECT count(*) FROM case_decisions x JOIN cases c ON c.id = x.case_id "
                       "WHERE c.external_id = 'ref-docs'"),
                     1);

    /* bad lists: 400 naming the field, nothing stored */
    static const struct {
        const char *lists, *field;
    } bad[] = {
        {",\"documents\":{}", "documents: must be an array"},
        {",\"documents\":[{\"title\":\"x\"}]", "documents[0].reference: is required"},
        {",\"documents\":[{\"reference\":\"ftp://x/1\",\"title\":\"x\"}]",
         "documents[0].reference: must be an http(s) URL"},
        {",\"documents\":[{\"reference\":\"https://a.test/1\",\"title\":\"x\",\"size\":-1}]",
         "documents[0].size"},
        {",\"documents\":[{\"reference\":\"https://a.test/1\",\"title\":\"x\"},"
         "{\"reference\":\"https://a.test/1\",\"title\":\"y\"}]",
         "documents[1].reference: names a document already in the list"},
        {",\"decisions\":[{\"reference\":\"https://a.test/b\",\"date\":\"2026-02-30\"}]",
         "decisions[0].date: must be a date"},
        {",\"decisions\":[{\"reference\":\"https://a.test/b\",\"documents\":[1]}]",
         "decisions[0].documents"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, DOCS_EVENT, "2026-03-08T10:00:00Z", bad[i].lists);
        char id[40], ts[32], sig[128], h_id[80], h_ts[64], h_sig[200];
        snprintf(id, sizeof id, "msg-docs-bad-%zu", i);
        snprintf(ts, sizeof ts, "%ld", (long)time(NULL));
        assert_true(mz_webhook_sign(SECRET, id, ts, body, strlen(body), sig, sizeof sig));
        snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
        snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
        const char *hdrs[] = {h_id, h_ts, h_sig, "Content-Type: application/json", NULL};
        assert_true(mzt_http(&g_srv, "POST", "/api/v1/agencies/gem/events", NULL, hdrs, body, &r));
        if (r.status != 400 || !strstr(r.body, bad[i].field))
            fail_msg("case %zu: %ld %s (want 400 naming %s)", i, r.status, r.body, bad[i].field);
        mzt_resp_free(&r);
    }
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id LIKE 'msg-docs-bad-%'"), 0);
    free(tok);
    free(case_id);
    free(letter);
}

static void test_timestamps_and_signatures(void **state)
{
    (void)state;
    char body[1200];
    event_body(body, sizeof body, "ref-ts", "received", "2026-03-04T09:15:00Z");
    assert_int_equal(send_event(&g_srv, "msg-ts-1", -301, body, NULL, true), 401);
    assert_int_equal(send_event(&g_srv, "msg-ts-2", 301, body, NULL, true), 401);
    assert_int_equal(send_event(&g_srv, "msg-ts-3", -299, body, NULL, true), 202);
    assert_int_equal(send_event(&g_srv, "msg-ts-4", 299, body, NULL, true), 202);
    /* one flipped body byte: the signature of the original no longer fits */
    char ts[32], sig[128], h_id[64], h_ts[64], h_sig[200];
    snprintf(ts, sizeof ts, "%ld", (long)time(NULL));
    assert_true(mz_webhook_sign(SECRET, "msg-flip", ts, body, strlen(body), sig, sizeof sig));
    char flipped[1200];
    snprintf(flipped, sizeof flipped, "%s", body);
    flipped[strlen(flipped) - 3] ^= 0x01;
    snprintf(h_id, sizeof h_id, "webhook-id: msg-flip");
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *hdrs[] = {h_id, h_ts, h_sig, "Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/agencies/gem/events", NULL, hdrs, flipped, &r));
    assert_int_equal(r.status, 401);
    mzt_resp_free(&r);
    /* a bad and a good signature together: accepted */
    char both[300];
    snprintf(ts, sizeof ts, "%ld", (long)time(NULL));
    assert_true(mz_webhook_sign(SECRET, "msg-both", ts, body, strlen(body), sig, sizeof sig));
    snprintf(both, sizeof both, "webhook-signature: v1,%s %s",
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", sig);
    snprintf(h_id, sizeof h_id, "webhook-id: msg-both");
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    const char *hdrs2[] = {h_id, h_ts, both, "Content-Type: application/json", NULL};
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/agencies/gem/events", NULL, hdrs2, body, &r));
    assert_int_equal(r.status, 202);
    mzt_resp_free(&r);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id IN ('msg-ts-1', 'msg-ts-2', "
                       "'msg-flip')"),
                     0);
}

typedef struct dup_arg {
    const char *body;
    long status;
} dup_arg;

static void *dup_thread(void *p)
{
    dup_arg *a = p;
    a->status = send_event(&g_srv, "msg-dup", 0, a->body, NULL, false);
    return NULL;
}

static void test_concurrent_duplicates(void **state)
{
    (void)state;
    char body[1200];
    event_body(body, sizeof body, "ref-dup", "in_progress", "2026-03-05T10:00:00Z");
    pthread_t t[20];
    dup_arg a[20];
    for (int i = 0; i < 20; i++) {
        a[i].body = body;
        pthread_create(&t[i], NULL, dup_thread, &a[i]);
    }
    for (int i = 0; i < 20; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].status, 202);
    }
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id = 'msg-dup'"), 1);
    assert_int_equal(wait_for("SELECT count(*) FROM cases WHERE external_id = 'ref-dup'", 1), 1);
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                       "WHERE c.external_id = 'ref-dup'"),
                     1);
}

/* Group commit: concurrent pushes share transactions, and each one is
 * still acknowledged only once stored, exactly once. */
typedef struct gc_arg {
    int thread;
    int accepted;
} gc_arg;

static void *gc_thread(void *p)
{
    gc_arg *a = p;
    for (int i = 0; i < 40; i++) {
        char id[40], ref[40], body[1200];
        snprintf(id, sizeof id, "gc-%d-%d", a->thread, i);
        snprintf(ref, sizeof ref, "gc-ref-%d-%d", a->thread, i);
        event_body(body, sizeof body, ref, "received", "2026-03-07T10:00:00Z");
        if (send_event(&g_srv, id, 0, body, NULL, false) == 202)
            a->accepted++;
    }
    return NULL;
}

static unsigned long metric(const char *body, const char *name)
{
    char key[80];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(body, key);
    assert_non_null(p);
    return strtoul(p + strlen(key), NULL, 10);
}

static void test_group_commit(void **state)
{
    (void)state;
    mzt_resp m;
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &m));
    unsigned long commits0 = metric(m.body, "mz_inbox_commits_total");
    unsigned long rows0 = metric(m.body, "mz_inbox_committed_rows_total");
    mzt_resp_free(&m);
    pthread_t t[8];
    gc_arg a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (gc_arg){.thread = i};
        pthread_create(&t[i], NULL, gc_thread, &a[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].accepted, 40);
    }
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id LIKE 'gc-%'"), 320);
    assert_int_equal(q("SELECT count(DISTINCT event_id) FROM inbox WHERE event_id LIKE 'gc-%'"),
                     320);
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &m));
    unsigned long commits = metric(m.body, "mz_inbox_commits_total") - commits0;
    unsigned long rows = metric(m.body, "mz_inbox_committed_rows_total") - rows0;
    mzt_resp_free(&m);
    assert_int_equal(rows, 320);
    assert_true(commits < rows); /* eight senders at once: rows shared commits */
    assert_int_equal(wait_for("SELECT count(*) FROM cases WHERE external_id LIKE 'gc-ref-%'", 320),
                     320);
}

/* A failing row in a claimed batch: the batch is redone with a savepoint
 * per row, so the others are applied and only that row keeps an error. */
static void test_failing_row_in_batch(void **state)
{
    (void)state;
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id = 'msg-dup' AND "
                       "processed_at IS NOT NULL"),
                     1);
    /* one statement: the five rows become due together */
    assert_int_equal(q("WITH i AS (INSERT INTO inbox (agency_id, kind, event_id, body) "
                       "SELECT agency_id, 'event', 'mix-' || g, CASE WHEN g = 3 THEN "
                       "'[{\"broken\":true}]' ELSE body END FROM inbox, generate_series(1, 5) g "
                       "WHERE event_id = 'msg-dup' RETURNING 1) SELECT count(*) FROM i"),
                     5);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id LIKE 'mix-%' AND "
                              "(processed_at IS NOT NULL OR error IS NOT NULL)",
                              5),
                     5);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id LIKE 'mix-%' AND "
                       "processed_at IS NOT NULL AND error IS NULL"),
                     4);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id = 'mix-3' AND "
                       "processed_at IS NULL AND error IS NOT NULL AND attempts = 1 AND "
                       "next_attempt_at > now()"),
                     1);
    /* each attempt counted once, with its outcome */
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id LIKE 'mix-%' AND "
                       "processed_at IS NOT NULL AND attempts = 1"),
                     4);
    q("DELETE FROM inbox WHERE event_id = 'mix-3'"); /* no retries during later tests */
}

/* One body naming a case twice: the processor's set-based write must not
 * put one case in one statement twice, and the newer state wins whatever
 * the order, with both entries in the timeline. */
static void test_case_twice_in_one_body(void **state)
{
    (void)state;
    char a[1200], b[1200], body[2600];
    event_body(a, sizeof a, "ref-twice-1", "decided", "2026-03-20T10:00:00Z");
    event_body(b, sizeof b, "ref-twice-1", "in_progress", "2026-03-19T10:00:00Z");
    snprintf(body, sizeof body, "[%s,%s]", a, b); /* newer first */
    assert_int_equal(send_event(&g_srv, "msg-twice-1", 0, body, NULL, true), 202);
    event_body(a, sizeof a, "ref-twice-2", "in_progress", "2026-03-19T10:00:00Z");
    event_body(b, sizeof b, "ref-twice-2", "decided", "2026-03-20T10:00:00Z");
    snprintf(body, sizeof body, "[%s,%s]", a, b); /* older first */
    assert_int_equal(send_event(&g_srv, "msg-twice-2", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id LIKE 'msg-twice-%' AND "
                              "processed_at IS NOT NULL AND error IS NULL",
                              2),
                     2);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE external_id LIKE 'ref-twice-%' AND "
                       "status_group = 'decided'"),
                     2);
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                       "WHERE c.external_id LIKE 'ref-twice-%'"),
                     4);
}

/* Quotes and backslashes survive the committer's array literal. */
static void test_escapes_survive(void **state)
{
    (void)state;
    const char *body = "{\"caseReference\":\"ref-esc\",\"bsn\":\"" BSN "\","
                       "\"title\":\"Aanvraag \\\"A\\\\B\\\" {x,y}\","
                       "\"status\":{\"group\":\"received\",\"text\":\"Ontvangen\"},"
                       "\"occurredAt\":\"2026-03-21T10:00:00Z\"}";
    assert_int_equal(send_event(&g_srv, "msg-esc", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM cases WHERE external_id = 'ref-esc'", 1), 1);
    char *title = mzt_query_text(&g_env, "SELECT title FROM cases WHERE external_id = 'ref-esc'");
    assert_non_null(title);
    assert_string_equal(title, "Aanvraag \"A\\B\" {x,y}");
    free(title);
}

static void test_newer_then_older(void **state)
{
    (void)state;
    char newer[1200], older[1200];
    event_body(newer, sizeof newer, "ref-order", "decided", "2026-03-10T10:00:00Z");
    event_body(older, sizeof older, "ref-order", "in_progress", "2026-03-09T10:00:00Z");
    assert_int_equal(send_event(&g_srv, "msg-order-new", 0, newer, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'msg-order-new' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    assert_int_equal(send_event(&g_srv, "msg-order-old", 0, older, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'msg-order-old' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE external_id = 'ref-order' AND "
                       "status_group = 'decided'"),
                     1);
    /* the older status still has its place in the timeline */
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                       "WHERE c.external_id = 'ref-order'"),
                     2);
}

/* A pushed event naming another subject for a case stored for someone
 * else goes through the same store: refused as a conflict (the case, its
 * subject and its timeline unchanged, the conflict recorded with our case
 * id), while the other event of the same body applies. A conflict is final:
 * the inbox row is done, not retried. */
static void test_other_subject_is_a_conflict(void **state)
{
    (void)state;
    char own[1200], other[1200], good[1200], body[2600];
    event_body(own, sizeof own, "ref-owner", "in_progress", "2026-03-11T10:00:00Z");
    assert_int_equal(send_event(&g_srv, "msg-owner-1", 0, own, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'msg-owner-1' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    const char *snap = "SELECT md5(c.subject_key || c.status_group::text || c.title || "
                       "(SELECT count(*) FROM case_events e WHERE e.case_id = c.id)::text) "
                       "FROM cases c WHERE external_id = 'ref-owner'";
    char *before = mzt_query_text(&g_env, snap);
    assert_non_null(before);
    /* newer, so only the subject stands in its way */
    event_body_for(other, sizeof other, "999993653", "ref-owner", "decided",
                   "2026-03-12T10:00:00Z");
    event_body(good, sizeof good, "ref-owner-next", "received", "2026-03-12T10:00:00Z");
    snprintf(body, sizeof body, "[%s,%s]", other, good);
    assert_int_equal(send_event(&g_srv, "msg-owner-2", 0, body, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'msg-owner-2' AND "
                              "processed_at IS NOT NULL AND error IS NULL",
                              1),
                     1);
    char *after = mzt_query_text(&g_env, snap);
    assert_non_null(after);
    assert_string_equal(before, after);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE external_id = 'ref-owner-next'"), 1);
    assert_int_equal(q("SELECT count(*) FROM case_conflicts x JOIN cases c ON c.id = x.case_id "
                       "WHERE c.external_id = 'ref-owner' AND x.last_source = 'webhook' AND "
                       "x.detections = 1 AND x.agency_id = 'gem'"),
                     1);
    /* the other citizen sees nothing of it; the owner still does */
    char *tok = mzt_citizen_token(&g_env, "999993653");
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "ref-owner"));
    mzt_resp_free(&r);
    free(tok);
    tok = mzt_citizen_token(&g_env, BSN);
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"caseNumber\":\"ref-owner\""));
    mzt_resp_free(&r);
    free(tok);
    free(before);
    free(after);
}

/* An event body for the business KVK (subject form). */
static void business_body(char *out, size_t n, const char *ref, const char *group, const char *at)
{
    snprintf(out, n,
             "{\"caseReference\":\"%s\",\"subject\":{\"kind\":\"kvk\",\"id\":\"" KVK "\","
             "\"vestiging\":\"000012345678\"},\"title\":\"Vergunning %s\",\"status\":{"
             "\"group\":\"%s\",\"text\":\"Status %s\"},\"occurredAt\":\"%s\"}",
             ref, ref, group, group, at);
}

/* The business's pseudonym in hex. */
static void kvk_key_hex(char out[65])
{
    mz_subject s;
    char err[100];
    assert_true(mz_subject_set(&s, "kvk", 3, KVK, 8, NULL, 0, "", err, sizeof err));
    unsigned char k[MZ_PSEUDONYM_LEN];
    mz_pseudonym_subject(&s, k);
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", k[i]);
}

/* A business's event is stored under the business's pseudonym with kind
 * kvk; the inbox holds neither the KVK number nor the vestiging; the older
 * bsn form and the subject form of a person store the same case owner. */
static void test_business_event(void **state)
{
    (void)state;
    char kerr[300], kfile[400];
    snprintf(kfile, sizeof kfile, "%s/keys/pseudonym.key", g_env.dir);
    assert_true(mz_pseudonym_load_key(kfile, kerr, sizeof kerr)); /* the service's key */
    char body[1200], hex[65], sql[400];
    business_body(body, sizeof body, "ref-kvk-1", "received", "2026-03-05T09:00:00Z");
    assert_int_equal(send_event(&g_srv, "msg-kvk-1", 0, body, NULL, true), 202);
    kvk_key_hex(hex);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE external_id = 'ref-kvk-1' AND subject_kind = "
             "'kvk' AND subject_key = decode('%s', 'hex')",
             hex);
    assert_int_equal(wait_for(sql, 1), 1);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE body LIKE '%" KVK "%' OR body LIKE "
                       "'%000012345678%'"),
                     0);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE event_id = 'msg-kvk-1' AND body LIKE "
                       "'%\"subjectKind\":\"kvk\"%'"),
                     1);
    /* a person named both ways at once (agreeing) */
    char both[1400];
    snprintf(both, sizeof both,
             "{\"caseReference\":\"ref-both\",\"bsn\":\"" BSN "\",\"subject\":{\"kind\":"
             "\"bsn\",\"id\":\"" BSN "\"},\"title\":\"t\",\"status\":{\"group\":"
             "\"received\",\"text\":\"x\"},\"occurredAt\":\"2026-03-05T09:00:00Z\"}");
    assert_int_equal(send_event(&g_srv, "msg-kvk-both", 0, both, NULL, true), 202);
    unsigned char pk[MZ_PSEUDONYM_LEN];
    mz_pseudonym(BSN, 9, pk);
    char phex[65];
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++)
        snprintf(phex + 2 * i, 3, "%02x", pk[i]);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE external_id = 'ref-both' AND subject_kind = 'bsn' "
             "AND subject_key = decode('%s', 'hex')",
             phex);
    assert_int_equal(wait_for(sql, 1), 1);
}

/* The same case never appears under two subjects: a person's case named
 * for a business in a newer event (and the other way round) is refused
 * as a conflict; the case, its owner and its kind stay. */
static void test_person_business_flip_is_a_conflict(void **state)
{
    (void)state;
    char person[1200], business[1200];
    event_body(person, sizeof person, "ref-flip", "in_progress", "2026-03-20T10:00:00Z");
    assert_int_equal(send_event(&g_srv, "msg-flip-1", 0, person, NULL, true), 202);
    business_body(business, sizeof business, "ref-flop", "in_progress", "2026-03-20T10:00:00Z");
    assert_int_equal(send_event(&g_srv, "msg-flop-1", 0, business, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM cases WHERE external_id IN ('ref-flip', "
                              "'ref-flop')",
                              2),
                     2);
    const char *snap = "SELECT string_agg(md5(c.subject_key || c.subject_kind || "
                       "c.status_group::text || c.title || (SELECT count(*) FROM case_events e "
                       "WHERE e.case_id = c.id)::text), ',' ORDER BY c.external_id) FROM cases c "
                       "WHERE external_id IN ('ref-flip', 'ref-flop')";
    char *before = mzt_query_text(&g_env, snap);
    assert_non_null(before);
    /* newer, so only the subject stands in the way */
    business_body(business, sizeof business, "ref-flip", "decided", "2026-03-21T10:00:00Z");
    event_body(person, sizeof person, "ref-flop", "decided", "2026-03-21T10:00:00Z");
    assert_int_equal(send_event(&g_srv, "msg-flip-2", 0, business, NULL, true), 202);
    assert_int_equal(send_event(&g_srv, "msg-flop-2", 0, person, NULL, true), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id IN ('msg-flip-2', "
                              "'msg-flop-2') AND processed_at IS NOT NULL",
                              2),
                     2);
    char *after = mzt_query_text(&g_env, snap);
    assert_non_null(after);
    assert_string_equal(before, after);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE (external_id = 'ref-flip' AND "
                       "subject_kind = 'bsn') OR (external_id = 'ref-flop' AND subject_kind = "
                       "'kvk')"),
                     2);
    assert_int_equal(q("SELECT count(*) FROM case_conflicts x JOIN cases c ON c.id = x.case_id "
                       "WHERE c.external_id IN ('ref-flip', 'ref-flop') AND x.detections = 1"),
                     2);
    free(before);
    free(after);
}

static void test_bad_input_changes_nothing(void **state)
{
    (void)state;
    long before = q("SELECT count(*) FROM inbox");
    char deep[200] = "";
    for (int i = 0; i < 17; i++)
        strcat(deep, "[");
    for (int i = 0; i < 17; i++)
        strcat(deep, "]");
    static char big[70000];
    memset(big, 'x', sizeof big - 1);
    big[0] = '"';
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';
    struct {
        const char *body;
        long status;
        const char *detail;
    } cases[] = {
        {"{not json", 400, "not acceptable JSON"},
        {"", 400, "empty"},
        {"42", 400, "event object or an array"},
        {"[]", 400, "1 to 100"},
        {deep, 400, "nesting"},
        {"{\"caseReference\":1}", 400, "event.caseReference: must be a string"},
        {"{\"caseReference\":\"r\",\"bsn\":\"999993654\",\"title\":\"t\"}", 400,
         "event.bsn: is not a valid BSN"},
        {"{\"caseReference\":\"r\",\"bsn\":\"" BSN "\",\"title\":\"t\",\"status\":{\"group\":"
         "\"pending\",\"text\":\"x\"},\"occurredAt\":\"2026-03-01T10:00:00Z\"}",
         400, "event.status.group: must be one of"},
        {"[{\"caseReference\":\"r\",\"bsn\":\"" BSN "\",\"title\":\"t\",\"status\":{\"group\":"
         "\"received\",\"text\":\"x\"},\"occurredAt\":\"2026-03-01T10:00:00Z\"},{\"x\":1}]",
         400, "events[1].caseReference: is required"},
        {"{\"caseReference\":\"r\",\"bsn\":\"" BSN "\",\"title\":\"t\",\"status\":{\"group\":"
         "\"received\",\"text\":\"x\"},\"occurredAt\":\"yesterday\"}",
         400, "event.occurredAt: must be an RFC 3339 date-time"},
        {"{\"caseReference\":\"r\",\"bsn\":\"" BSN "\",\"title\":\"t\",\"status\":{\"group\":"
         "\"received\",\"text\":\"x\"},\"occurredAt\":\"2026-03-01T10:00:00Z\",\"dates\":"
         "{\"closed\":\"2026-02-30\"}}",
         400, "event.dates.closed: must be a date"},
        /* subjects of a kind (issue 14): refused whole, nothing stored */
        {"{\"caseReference\":\"r\",\"subject\":{\"kind\":\"kvk\",\"id\":\"6875011\"},"
         "\"title\":\"t\"}",
         400, "event.subject.id: is not a valid KVK number (8 digits)"},
        {"{\"caseReference\":\"r\",\"subject\":{\"kind\":\"kvk\",\"id\":\"" KVK "\","
         "\"vestiging\":\"12345678901\"},\"title\":\"t\"}",
         400, "event.subject.vestiging: is not a valid vestiging number (12 digits)"},
        {"{\"caseReference\":\"r\",\"subject\":{\"kind\":\"rsin\",\"id\":\"" KVK "\"},"
         "\"title\":\"t\"}",
         400, "event.subject.kind: is not a known subject kind"},
        {"{\"caseReference\":\"r\",\"bsn\":\"" BSN "\",\"subject\":{\"kind\":\"kvk\",\"id\":"
         "\"" KVK "\"},\"title\":\"t\",\"status\":{\"group\":\"received\",\"text\":\"x\"},"
         "\"occurredAt\":\"2026-03-01T10:00:00Z\"}",
         400, "event.bsn: does not name the same subject as subject"},
        {"{\"caseReference\":\"r\",\"title\":\"t\",\"status\":{\"group\":\"received\","
         "\"text\":\"x\"},\"occurredAt\":\"2026-03-01T10:00:00Z\"}",
         400, "event.subject: is required (or bsn)"},
        {"{\"caseReference\":\"a\\u0000b\"}", 400, "not acceptable JSON"},
        {"{\"caseReference\":\"\xc0\xaf\"}", 400, "not acceptable JSON"},
        {"{\"caseReference\":\"\\ud800\"}", 400, "not acceptable JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[32];
        snprintf(id, sizeof id, "msg-bad-%zu", i);
        char ts[32], sig[128], h_id[64], h_ts[64], h_sig[200];
        snprintf(ts, sizeof ts, "%ld", (long)time(NULL));
        assert_true(
            mz_webhook_sign(SECRET, id, ts, cases[i].body, strlen(cases[i].body), sig, sizeof sig));
        snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
        snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
        const char *hdrs[] = {h_id, h_ts, h_sig, "Content-Type: application/json", NULL};
        mzt_resp r;
        assert_true(
            mzt_http(&g_srv, "POST", "/api/v1/agencies/gem/events", NULL, hdrs, cases[i].body, &r));
        if (r.status != cases[i].status || !strstr(r.body, cases[i].detail))
            fail_msg("case %zu: %ld %s (want %ld, '%s')", i, r.status, r.body, cases[i].status,
                     cases[i].detail);
        assert_null(strstr(r.body, "999993654"));
        assert_null(strstr(r.body, BSN));
        assert_null(strstr(r.body, KVK));
        char ct[64] = "";
        mzt_header(&r, "content-type", ct, sizeof ct);
        assert_string_equal(ct, "application/problem+json");
        mzt_resp_free(&r);
    }
    /* too large: 413, refused before reading when Content-Length says so */
    assert_int_equal(send_event(&g_srv, "msg-big", 0, big, NULL, false), 413);
    /* unknown agency, wrong content type */
    mzt_resp r;
    const char *hdrs[] = {"webhook-id: x", "webhook-timestamp: 1", "webhook-signature: v1,x",
                          "Content-Type: application/json", NULL};
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/agencies/nope/events", NULL, hdrs, "{}", &r));
    assert_int_equal(r.status, 404);
    mzt_resp_free(&r);
    const char *text[] = {"Content-Type: text/plain", NULL};
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/agencies/gem/events", NULL, text, "{}", &r));
    assert_int_equal(r.status, 415);
    mzt_resp_free(&r);
    assert_int_equal(q("SELECT count(*) FROM inbox"), before);
}

/* Sends a notification; the answer is checked against the contract and
 * kept in *keep when not NULL. */
static long notify_resp(const char *auth, const char *body, mzt_resp *keep)
{
    char h[300];
    snprintf(h, sizeof h, "Authorization: %s", auth);
    const char *hdrs[] = {h, "Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(
        mzt_http(&g_srv, "POST", "/api/v1/agencies/gem/notifications", NULL, hdrs, body, &r));
    long st = r.status;
    if (keep)
        *keep = r;
    else
        mzt_resp_free(&r);
    return st;
}

static long notify(const char *auth, const char *body)
{
    return notify_resp(auth, body, NULL);
}

/* Copies t into out with "{P}" replaced by ":<port>". */
static void with_port(char *out, size_t n, const char *t, unsigned port)
{
    const char *m = strstr(t, "{P}");
    if (m)
        snprintf(out, n, "%.*s:%u%s", (int)(m - t), t, port, m + 3);
    else
        snprintf(out, n, "%s", t);
}

static void test_zgw_notifications(void **state)
{
    (void)state;
    long before = q("SELECT count(*) FROM inbox");
    assert_int_equal(notify(NRC_AUTH, "{\"kanaal\":\"test\",\"hoofdObject\":\"http://x/y\","
                                      "\"resource\":\"test\",\"resourceUrl\":\"http://x/y\","
                                      "\"actie\":\"test\",\"aanmaakdatum\":"
                                      "\"2026-03-01T10:00:00Z\"}"),
                     204);
    assert_int_equal(q("SELECT count(*) FROM inbox"), before);
    assert_int_equal(notify("Token wrong", "{}"), 403);
    assert_int_equal(notify(NRC_AUTH, "{\"kanaal\":\"zaken\"}"), 400);
    /* a real zaak of the fake agency: fetched and stored */
    mzt_resp r;
    assert_true(mzt_http(&g_fake, "GET", "/_control/zaken", NULL, NULL, NULL, &r));
    const char *u = strstr(r.body, "\"url\":\"");
    assert_non_null(u);
    char url[300];
    snprintf(url, sizeof url, "%.*s", (int)(strchr(u + 7, '"') - (u + 7)), u + 7);
    mzt_resp_free(&r);
    char body[1200];
    snprintf(body, sizeof body,
             "{\"kanaal\":\"zaken\",\"hoofdObject\":\"%s\",\"resource\":\"status\","
             "\"resourceUrl\":\"%s/statussen/x\",\"actie\":\"create\","
             "\"aanmaakdatum\":\"2026-03-01T10:00:00Z\",\"kenmerken\":{\"bronorganisatie\":"
             "\"002220647\"}}",
             url, url);
    assert_int_equal(notify(NRC_AUTH, body), 204);
    assert_int_equal(notify(NRC_AUTH, body), 204); /* redelivery: nothing new */
    char sql[600];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE external_id = '%s'", url);
    assert_int_equal(wait_for(sql, 1), 1);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE kind = 'notification'"), 1);
    /* A zaak outside the agency's base URLs could never be fetched (the
     * adapter's client refuses it): refused at intake with 400 naming the
     * field, nothing kept — not acknowledged and retried forever. */
    long kept = q("SELECT count(*) FROM inbox");
    static const struct {
        const char *hoofd, *resource, *res_url, *field;
    } outside[] = {
        {"http://127.0.0.2{P}/zaken/api/v1/zaken/00000000-0000-4000-8000-000000000000", "zaak",
         "http://127.0.0.2{P}/zaken/api/v1/zaken/00000000-0000-4000-8000-000000000000",
         "hoofdObject"},
        {"http://127.0.0.1{P}/zaken/api/v2/zaken/1", "status", "http://127.0.0.1{P}/x",
         "hoofdObject"},
        {"http://127.0.0.1{P}/zaken/api/v1/../../admin/zaken/1", "resultaat",
         "http://127.0.0.1{P}/zaken/api/v1/resultaten/1", "hoofdObject"},
        {"https://127.0.0.1{P}/zaken/api/v1/zaken/1", "zaak",
         "https://127.0.0.1{P}/zaken/api/v1/zaken/1", "hoofdObject"},
        /* for resource zaak, resourceUrl is the zaak too */
        {"http://127.0.0.1{P}/zaken/api/v1/zaken/1", "zaak", "http://evil.test{P}/zaken/1",
         "resourceUrl"},
    };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        char hoofd[300], res_url[300];
        with_port(hoofd, sizeof hoofd, outside[i].hoofd, g_fake.port);
        with_port(res_url, sizeof res_url, outside[i].res_url, g_fake.port);
        snprintf(body, sizeof body,
                 "{\"kanaal\":\"zaken\",\"hoofdObject\":\"%s\",\"resource\":\"%s\","
                 "\"resourceUrl\":\"%s\",\"actie\":\"update\",\"aanmaakdatum\":"
                 "\"2026-03-01T10:00:00Z\"}",
                 hoofd, outside[i].resource, res_url);
        assert_int_equal(notify_resp(NRC_AUTH, body, &r), 400);
        char want[120];
        snprintf(want, sizeof want, "%s: is not under this agency's configured base URLs",
                 outside[i].field);
        if (!strstr(r.body, want))
            fail_msg("case %zu: %s lacks '%s'", i, r.body, want);
        assert_null(strstr(r.body, "127.0.0.2")); /* the detail never quotes the body */
        mzt_resp_free(&r);
    }
    assert_int_equal(q("SELECT count(*) FROM inbox"), kept);
    /* A row such a notification left before intake checked (stored
     * directly): the processor's fetch is refused, and it keeps its error. */
    snprintf(sql, sizeof sql,
             "INSERT INTO inbox (agency_id, kind, event_id, body) VALUES ('gem', "
             "'notification', 'legacy-outside', '{\"kanaal\":\"zaken\",\"hoofdObject\":"
             "\"http://127.0.0.2:%u/zaken/api/v1/zaken/00000000-0000-4000-8000-000000000000\","
             "\"resource\":\"zaak\",\"resourceUrl\":\"http://127.0.0.2/x\",\"actie\":"
             "\"update\",\"aanmaakdatum\":\"2026-03-01T10:00:00Z\"}')",
             g_fake.port);
    assert_true(mzt_sql(&g_env, sql));
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE kind = 'notification' AND "
                              "error LIKE '%outside%'",
                              1),
                     1);
    /* the admin view shows the failing row */
    char *admin = mzt_staff_token(&g_env, "[\"admin\"]");
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/agencies", admin, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"failing\":1"));
    mzt_resp_free(&r);
    free(admin);
    /* reprocessing by hand retries it (and it still fails: exit 1) */
    const char *args[] = {"inbox", "reprocess", NULL};
    assert_int_equal(mzt_run(&g_env, g_env_vars, args), 1);
    assert_true(q("SELECT attempts FROM inbox WHERE error LIKE '%outside%'") >= 2);
    q("DELETE FROM inbox WHERE event_id = 'legacy-outside'"); /* no retries later */
}

/* Security review: a row that always fails was retried hourly forever. It
 * is given up after MZ_INBOX_MAX_ATTEMPTS attempts (3 in this program): not
 * taken again even when due, counted in the admin view (with its last
 * error) and in /metrics; `inbox reprocess` gives it one more attempt. One
 * row of each kind: their attempts are counted differently (a notification
 * when claimed, an event with its outcome). */
static void test_inbox_gives_up(void **state)
{
    (void)state;
    char sql[900];
    snprintf(sql, sizeof sql,
             "INSERT INTO inbox (agency_id, kind, event_id, body) VALUES "
             "('gem', 'event', 'dead-ev', '[{\"broken\":true}]'), "
             "('gem', 'notification', 'dead-nt', '{\"kanaal\":\"zaken\",\"hoofdObject\":"
             "\"http://127.0.0.2:%u/zaken/api/v1/zaken/00000000-0000-4000-8000-000000000001\","
             "\"resource\":\"zaak\",\"resourceUrl\":\"http://127.0.0.2/x\",\"actie\":"
             "\"update\",\"aanmaakdatum\":\"2026-03-01T10:00:00Z\"}')",
             g_fake.port);
    assert_true(mzt_sql(&g_env, sql));
#define DEAD_ROWS "event_id IN ('dead-ev', 'dead-nt')"
    /* Let time pass: a failed row waiting out its backoff (5 s, 10 s) is
     * made due now. A notification's claim lease (15 s) is left alone, so
     * no row is ever taken twice at once. */
    long dead = 0;
    for (int i = 0; i < 600 && dead < 2; i++) {
        mzt_sql(&g_env, "UPDATE inbox SET next_attempt_at = now() WHERE " DEAD_ROWS
                        " AND dead_at IS NULL AND error IS NOT NULL AND next_attempt_at > now() "
                        "AND next_attempt_at < now() + interval '12 seconds'");
        usleep(50 * 1000);
        dead = q("SELECT count(*) FROM inbox WHERE " DEAD_ROWS " AND dead_at IS NOT NULL");
    }
    assert_int_equal(dead, 2);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE " DEAD_ROWS " AND attempts = 3 AND "
                       "processed_at IS NULL AND error IS NOT NULL"),
                     2);
    /* given up: not taken again, however long it waits */
    mzt_sql(&g_env, "UPDATE inbox SET next_attempt_at = now() WHERE " DEAD_ROWS);
    usleep(2500 * 1000);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE " DEAD_ROWS " AND attempts = 3"), 2);

    /* the admin view: counted, with the last errors; no longer pending */
    char *admin = mzt_staff_token(&g_env, "[\"admin\"]");
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/agencies", admin, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, NULL, NULL, 0);
    assert_non_null(d);
    const mz_json *gem = mz_json_get(mz_json_root(d), "items")->u.kids.first; /* the one agency */
    assert_string_equal(mz_json_string(mz_json_get(gem, "id"), NULL), "gem");
    const mz_json *in = mz_json_get(gem, "inbox");
    int64_t v = -1;
    assert_true(mz_json_int64(mz_json_get(in, "dead"), &v));
    assert_int_equal(v, 2);
    assert_true(mz_json_int64(mz_json_get(in, "pending"), &v));
    assert_int_equal(v, 0);
    const mz_json *recent = mz_json_get(in, "recentDead");
    assert_non_null(recent);
    assert_int_equal(recent->type, MZ_JSON_ARRAY);
    assert_int_equal(recent->u.kids.count, 2);
    bool saw_outside = false;
    for (const mz_json *e = recent->u.kids.first; e; e = e->next) {
        assert_true(mz_json_int64(mz_json_get(e, "attempts"), &v));
        assert_int_equal(v, 3);
        const char *kind = mz_json_string(mz_json_get(e, "kind"), NULL);
        const char *msg = mz_json_string(mz_json_get(e, "error"), NULL);
        assert_non_null(kind);
        assert_non_null(msg);
        assert_non_null(mz_json_string(mz_json_get(e, "deadAt"), NULL));
        if (strcmp(kind, "notification") == 0)
            saw_outside = strstr(msg, "outside") != NULL;
    }
    assert_true(saw_outside);
    mz_json_free(d);
    mzt_resp_free(&r);
    free(admin);
    /* /metrics */
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &r));
    assert_non_null(strstr(r.body, "mz_inbox_dead{agency=\"gem\"} 2\n"));
    assert_non_null(strstr(r.body, "mz_inbox_pending{agency=\"gem\"} 0\n"));
    mzt_resp_free(&r);
    /* the log says so, once per row */
    size_t n;
    char *log = mzt_slurp(g_srv.log, &n);
    assert_non_null(log);
    int given_up = 0;
    for (const char *p = log; (p = strstr(p, "inbox row given up")); p++)
        given_up++;
    free(log);
    assert_int_equal(given_up, 2);

    /* reprocess by hand: one more attempt each, given up again (exit 1) */
    const char *args[] = {"inbox", "reprocess", NULL};
    assert_int_equal(mzt_run(&g_env, g_env_vars, args), 1);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE " DEAD_ROWS " AND attempts = 4 AND "
                       "dead_at IS NOT NULL"),
                     2);
#undef DEAD_ROWS
    q("DELETE FROM inbox WHERE event_id IN ('dead-ev', 'dead-nt')");
}

/* --- crash test: SIGKILL mid-burst */

/* Notifications are applied side by side: each means fetching the zaak, so
 * with the agency slow, several fetches must be waiting at once. Each fetch
 * is slowed to 800 ms per request so that the four notifications, posted
 * one after another, are still being fetched together on a loaded machine
 * (at 300 ms this failed once with the two cores busy elsewhere). */
static void test_notifications_side_by_side(void **state)
{
    (void)state;
    mzt_resp r;
    assert_true(mzt_http(&g_fake, "GET", "/_control/zaken", NULL, NULL, NULL, &r));
    char urls[4][300];
    const char *u = strstr(r.body, "\"url\":\"");
    for (int i = 0; i < 5; i++) { /* zaken 2..5: the first one is test_zgw_notifications' */
        assert_non_null(u);
        if (i > 0)
            snprintf(urls[i - 1], sizeof urls[i - 1], "%.*s", (int)(strchr(u + 7, '"') - (u + 7)),
                     u + 7);
        u = strstr(u + 7, "\"url\":\"");
    }
    mzt_resp_free(&r);
    mz_json_free(mzt_fake_control(&g_fake, "POST", "/_control/stats/reset", NULL));
    assert_true(mzt_fake_mode(&g_fake, "{\"mode\":\"slow\",\"paths\":\"zaken\",\"delayMs\":800}"));
    for (int i = 0; i < 4; i++) {
        char body[2600];
        snprintf(body, sizeof body,
                 "{\"kanaal\":\"zaken\",\"hoofdObject\":\"%s\",\"resource\":\"zaak\","
                 "\"resourceUrl\":\"%s\",\"actie\":\"partial_update\","
                 "\"aanmaakdatum\":\"2026-03-02T10:00:00Z\"}",
                 urls[i], urls[i]);
        assert_int_equal(notify(NRC_AUTH, body), 204);
    }
    char sql[1600];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE external_id IN ('%s', '%s', '%s', '%s')", urls[0],
             urls[1], urls[2], urls[3]);
    long got = wait_long(sql, 4, 60);
    assert_true(mzt_fake_mode(&g_fake, "{\"mode\":\"ok\"}"));
    assert_int_equal(got, 4);
    assert_true(mzt_fake_stat(&g_fake, "slowConcurrentMax") >= 2);
}

typedef struct burst {
    mzt_server *srv;
    int thread, n;
    char acked[200][40];
    int nacked;
} burst;

static void *burst_thread(void *p)
{
    burst *b = p;
    for (int i = 0; i < b->n; i++) {
        char id[40], ref[40], body[1200];
        snprintf(id, sizeof id, "crash-%d-%d", b->thread, i);
        snprintf(ref, sizeof ref, "crash-ref-%d-%d", b->thread, i);
        event_body(body, sizeof body, ref, "received", "2026-03-06T10:00:00Z");
        long st = send_event(b->srv, id, 0, body, NULL, false);
        if (st == 202)
            snprintf(b->acked[b->nacked++], 40, "%s", id);
        else if (st <= 0)
            break; /* the service is gone */
    }
    return NULL;
}

static void test_crash_mid_burst(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, g_env_vars));
    enum { THREADS = 8, PER = 150 };
    static burst b[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        b[i] = (burst){.srv = &s, .thread = i, .n = PER};
        pthread_create(&t[i], NULL, burst_thread, &b[i]);
    }
    /* kill once some events are in */
    for (int i = 0; i < 400 && q("SELECT count(*) FROM inbox WHERE event_id LIKE 'crash-%'") < 100;
         i++)
        usleep(10 * 1000);
    kill(s.pid, SIGKILL);
    waitpid(s.pid, NULL, 0);
    s.pid = 0;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    int acked = 0;
    for (int i = 0; i < THREADS; i++)
        acked += b[i].nacked;
    long stored = q("SELECT count(*) FROM inbox WHERE event_id LIKE 'crash-%'");
    printf("crash test: %d acknowledged before SIGKILL, %ld rows in the inbox\n", acked, stored);
    assert_true(acked > 0);
    assert_true(acked < THREADS * PER); /* the kill really came mid-burst */
    /* every acknowledged event is stored exactly once */
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < b[i].nacked; j++) {
            char sql[200];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM inbox WHERE event_id = '%s'",
                     b[i].acked[j]);
            assert_int_equal(q(sql), 1);
        }
    /* after a restart everything in the inbox reaches the store, once (rows
     * the killed instance had claimed come back when their 15 s lease ends) */
    assert_true(mzt_server_start(&s, &g_env, g_env_vars));
    assert_int_equal(wait_long("SELECT count(*) FROM inbox WHERE event_id LIKE 'crash-%' AND "
                               "processed_at IS NULL",
                               0, 40),
                     0);
    /* A statement the killed service had already sent may still have
     * committed after our first count: recount (unacknowledged but stored is
     * fine; acknowledged but lost is not). */
    stored = q("SELECT count(*) FROM inbox WHERE event_id LIKE 'crash-%'");
    assert_true(stored >= acked);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE external_id LIKE 'crash-ref-%'"), stored);
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                       "WHERE c.external_id LIKE 'crash-ref-%'"),
                     stored);
    assert_int_equal(mzt_server_stop(&s), 0);
}

static void test_database_down_is_503(void **state)
{
    (void)state;
    char url[400];
    snprintf(url, sizeof url, "MZ_DATABASE_URL=host=%s/no-such-dir user=postgres", g_env.dir);
    const char *env[8];
    for (int i = 0; i < 6; i++)
        env[i] = g_env_vars[i];
    env[6] = url;
    env[7] = NULL;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char body[1200];
    event_body(body, sizeof body, "ref-down", "received", "2026-03-06T10:00:00Z");
    assert_int_equal(send_event(&s, "msg-down", 0, body, NULL, true), 503);
    assert_int_equal(mzt_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_stored),
        cmocka_unit_test(test_event_documents_and_decisions),
        cmocka_unit_test(test_timestamps_and_signatures),
        cmocka_unit_test(test_concurrent_duplicates),
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_failing_row_in_batch),
        cmocka_unit_test(test_case_twice_in_one_body),
        cmocka_unit_test(test_escapes_survive),
        cmocka_unit_test(test_newer_then_older),
        cmocka_unit_test(test_other_subject_is_a_conflict),
        cmocka_unit_test(test_business_event),
        cmocka_unit_test(test_person_business_flip_is_a_conflict),
        cmocka_unit_test(test_bad_input_changes_nothing),
        cmocka_unit_test(test_zgw_notifications),
        cmocka_unit_test(test_notifications_side_by_side),
        cmocka_unit_test(test_inbox_gives_up),
        cmocka_unit_test(test_crash_mid_burst),
        cmocka_unit_test(test_database_down_is_503),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
