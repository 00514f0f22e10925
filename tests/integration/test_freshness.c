/*
 * test_freshness.c — how fresh the citizen's list says each agency is, for
 * agencies we cannot ask: one that only pushes (its freshness follows its
 * push channel: a push accepted within MZ_PUSH_FRESH_WINDOW and no push
 * waiting unprocessed for over a minute) and the seeded demo agencies (no
 * adapter, no channel: fresh, their seed is all there is).
 *
 * The service runs with MZ_REFRESH_AFTER=0, so no agency is ever fresh by
 * the age of its data: what is fresh here is so by the push-channel or the
 * demo rule alone. The push window is 3 s, so "stale after the window" is
 * observed by waiting.
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
#include <unistd.h>

#include "bsn.h"
#include "json.h"
#include "mzt.h"
#include "webhook.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define BSN    "999990019"
#define WINDOW 3

static mzt_env g_env;
static mzt_server g_srv;
static char g_agencies_kv[500];
static const char *g_env_vars[8];

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "freshness"))
        return -1;
    /* The demo agencies come from the seed. */
    const char *seed[] = {"seed-demo", NULL};
    if (mzt_run(&g_env, NULL, seed) != 0)
        return -1;
    char path[400];
    snprintf(path, sizeof path, "%s/agencies.json", g_env.dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* An agency that only pushes: its adapter can list (a sync that finds
     * nobody listening on port 9) but cannot search one citizen's cases,
     * so a read cannot ask it. */
    fprintf(f, "{\"agencies\":[{\"id\":\"pusher\",\"name\":\"Pushing agency\","
               "\"pollIntervalSeconds\":86400,\"adapter\":{\"kind\":\"rest-json\","
               "\"baseUrl\":\"http://127.0.0.1:9\",\"listPath\":\"/cases\","
               "\"itemsPointer\":\"/items\",\"fields\":{\"externalId\":\"/id\","
               "\"bsn\":\"/bsn\",\"title\":\"/title\",\"status\":\"/status\","
               "\"statusChangedAt\":\"/at\"}},"
               "\"webhook\":{\"secretEnv\":\"MZ_TEST_WEBHOOK_SECRET\"}}]}\n");
    fclose(f);
    snprintf(g_agencies_kv, sizeof g_agencies_kv, "MZ_AGENCIES_FILE=%s", path);
    g_env_vars[0] = g_agencies_kv;
    g_env_vars[1] = "MZ_TEST_WEBHOOK_SECRET=" SECRET;
    g_env_vars[2] = "MZ_REFRESH_AFTER=0";
    g_env_vars[3] = "MZ_PUSH_FRESH_WINDOW=3";
    g_env_vars[4] = NULL;
    return mzt_server_start(&g_srv, &g_env, g_env_vars) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
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

static long wait_for(const char *sql, long want)
{
    long v = -1;
    for (int i = 0; i < 100; i++) {
        v = q(sql);
        if (v == want)
            break;
        usleep(100 * 1000);
    }
    return v;
}

static long push(const char *id, const char *ref)
{
    char body[800], ts[32], sig[128], h_id[200], h_ts[64], h_sig[300], at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof body,
             "{\"caseReference\":\"%s\",\"bsn\":\"" BSN "\",\"title\":\"Aanvraag %s\","
             "\"status\":{\"group\":\"in_progress\",\"text\":\"In behandeling\"},"
             "\"occurredAt\":\"%s\"}",
             ref, ref, at);
    snprintf(ts, sizeof ts, "%ld", (long)now);
    assert_true(mz_webhook_sign(SECRET, id, ts, body, strlen(body), sig, sizeof sig));
    snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *hdrs[] = {h_id, h_ts, h_sig, "Content-Type: application/json", NULL};
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/agencies/pusher/events", NULL, hdrs, body, &r));
    long st = r.status;
    mzt_resp_free(&r);
    return st;
}

/* The citizen's list (checked against the contract by mzt_http); fills the freshness
 * and lastPushAt ("" when null) of one agency's sources entry. */
static void source_of(const char *bsn, const char *agency, char *fresh, size_t fn, char *last_push,
                      size_t ln)
{
    char *tok = mzt_citizen_token(&g_env, bsn);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    free(tok);
    assert_int_equal(r.status, 200);
    char err[512];
    mz_json_doc *doc = mz_json_parse(r.body, r.body_len, NULL, err, sizeof err);
    assert_non_null(doc);
    const mz_json *sources = mz_json_get(mz_json_root(doc), "sources");
    assert_non_null(sources);
    bool found = false;
    for (const mz_json *s = sources->u.kids.first; s; s = s->next) {
        const mz_json *id = mz_json_get(mz_json_get(s, "agency"), "id");
        if (!id || id->type != MZ_JSON_STRING || strcmp(id->u.str.s, agency) != 0)
            continue;
        found = true;
        const mz_json *f = mz_json_get(s, "freshness");
        const mz_json *p = mz_json_get(s, "lastPushAt");
        assert_non_null(f);
        assert_non_null(p); /* always present, null when never */
        snprintf(fresh, fn, "%s", f->u.str.s);
        snprintf(last_push, ln, "%s", p->type == MZ_JSON_STRING ? p->u.str.s : "");
    }
    mz_json_free(doc);
    mzt_resp_free(&r);
    if (!found)
        fail_msg("no sources entry for %s", agency);
}

/* Demo agencies (seeded, no adapter, no channel) are fresh however old
 * their data; the same holds for a citizen with no case there. */
static void test_demo_agencies_fresh(void **state)
{
    (void)state;
    char f[32], p[64];
    const char *agencies[] = {"uwv", "duo", "toeslagen", "gemeente-voorbeeld"};
    for (size_t i = 0; i < 4; i++) {
        source_of("999993653", agencies[i], f, sizeof f, p, sizeof p);
        assert_string_equal(f, "fresh");
        assert_string_equal(p, "");
    }
    source_of("999990032", "toeslagen", f, sizeof f, p, sizeof p); /* has no case there */
    assert_string_equal(f, "fresh");
}

/* An agency that only pushes: stale before it ever pushed; fresh after a
 * push (for every citizen: the channel is alive), with lastPushAt; stale
 * again once the window passed without a push. */
static void test_push_only_follows_channel(void **state)
{
    (void)state;
    char f[32], p[64];
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "stale");
    assert_string_equal(p, "");

    assert_int_equal(push("fresh-1", "ref-fresh-1"), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'fresh-1' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "fresh");
    assert_true(strlen(p) >= 20 && p[10] == 'T'); /* an RFC 3339 time */
    source_of("999993653", "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "fresh");

    sleep(WINDOW + 2);
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "stale");
    assert_true(strlen(p) >= 20); /* still says when the last one came */

    /* A new push makes it fresh again. */
    assert_int_equal(push("fresh-2", "ref-fresh-2"), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'fresh-2' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "fresh");
}

/* A push waiting unprocessed for over a minute (failing, retried later)
 * makes the channel unhealthy despite a recent push; once it is done, the
 * agency is fresh again. */
static void test_backlog_makes_stale(void **state)
{
    (void)state;
    assert_int_equal(push("fresh-3", "ref-fresh-3"), 202);
    assert_int_equal(wait_for("SELECT count(*) FROM inbox WHERE event_id = 'fresh-3' AND "
                              "processed_at IS NOT NULL",
                              1),
                     1);
    char f[32], p[64];
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "fresh");
    /* A failed row as the processor leaves it: error set, retried later. */
    assert_true(mzt_sql(&g_env, "INSERT INTO inbox (agency_id, kind, event_id, body, received_at, "
                                "attempts, next_attempt_at, error) VALUES ('pusher', 'event', "
                                "'stuck-1', '[]', now() - interval '2 minutes', 3, "
                                "now() + interval '1 hour', 'invalid')"));
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "stale");
    /* A younger one (just failed once) does not count yet. */
    assert_true(mzt_sql(&g_env, "UPDATE inbox SET received_at = now() - interval '10 seconds' "
                                "WHERE event_id = 'stuck-1'"));
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "fresh");
    assert_true(mzt_sql(&g_env, "UPDATE inbox SET received_at = now() - interval '2 minutes', "
                                "processed_at = now(), error = NULL WHERE event_id = 'stuck-1'"));
    source_of(BSN, "pusher", f, sizeof f, p, sizeof p);
    assert_string_equal(f, "fresh");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_agencies_fresh),
        cmocka_unit_test(test_push_only_follows_channel),
        cmocka_unit_test(test_backlog_makes_stale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
