/*
 * test_maintenance.c — the store maintenance commands against a real
 * Postgres: `mijnzaken purge` removes exactly what the retention periods
 * say (and nothing with --dry-run), `mijnzaken rekey` moves every row of a
 * citizen (cases, refresh state, processing log, inbox bodies) from the old
 * pseudonym to the new one, so the service running with the new key shows
 * the citizen their cases, and refuses what it must.
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
#include <sys/wait.h>
#include <time.h>

#include "bsn.h"
#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "events.h"
#include "inbox.h"
#include "json.h"
#include "mzt.h"
#include "store.h"

#define BSN_A   "999993653"
#define BSN_B   "999990019"
#define BSN_C   "999990032"
#define BSN_X   "123456782" /* outside the prefix 9999: never matched */
#define KVK_A   "68750110"  /* businesses (fictitious; tests/support/mzt.c) */
#define KVK_B   "69599084"  /* outside the KVK prefix 6875: never matched */
#define AGENCY  "gemeente-test"
#define AGENCY2 "uwv-test"
/* The sessions of the service run in UTC; the test's own may not. */
#define TODAY "((now() AT TIME ZONE 'UTC')::date)"

static mzt_env g_env;
static mz_db *g_db;
static char g_old_key[300], g_new_key[300], g_cmdlog[300];
static char g_new_secret[128]; /* the new key's bytes (longer than an HMAC block) */
static char g_srv_logs[4][300];
static int g_nsrv;

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "maintenance"))
        return -1;
    char err[256];
    snprintf(g_old_key, sizeof g_old_key, "%s/keys/pseudonym.key", g_env.dir);
    snprintf(g_new_key, sizeof g_new_key, "%s/keys/pseudonym-new.key", g_env.dir);
    snprintf(g_cmdlog, sizeof g_cmdlog, "%s/commands.log", g_env.dir);
    if (!mz_pseudonym_load_key(g_old_key, err, sizeof err))
        return -1;
    /* 100 bytes: longer than a SHA-256 block, so HMAC hashes it first. */
    mz_random_hex(g_new_secret, 50);
    FILE *f = fopen(g_new_key, "w");
    if (!f || fprintf(f, "%s\n", g_new_secret) < 0 || fclose(f) != 0)
        return -1;
    g_db = mz_db_connect(g_env.db_url, 0, err, sizeof err);
    if (!g_db)
        return -1;
    mz_agency_row a1 = {AGENCY, "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    mz_agency_row a2 = {AGENCY2, "UWV Test", "rest-json", "{}", NULL, NULL, NULL, true};
    return mz_store_upsert_agency(g_db, &a1, err, sizeof err) &&
                   mz_store_upsert_agency(g_db, &a2, err, sizeof err)
               ? 0
               : -1;
}

static bool log_leaks(const char *path)
{
    size_t n;
    char *log = mzt_slurp(path, &n);
    bool leak = log && (mz_contains_bsn_like(log, n) || strstr(log, "eyJ"));
    if (leak)
        fprintf(stderr, "personal data or a token found in %s\n", path);
    free(log);
    return leak;
}

static int teardown(void **state)
{
    (void)state;
    mz_db_close(g_db);
    /* No BSN (and no token) may reach a log, the commands' included. */
    bool leak = log_leaks(g_cmdlog);
    for (int i = 0; i < g_nsrv; i++)
        leak |= log_leaks(g_srv_logs[i]);
    mzt_env_teardown(&g_env);
    return leak ? -1 : 0;
}

/* --- helpers */

static long q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long q(const char *fmt, ...)
{
    char sql[2000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return mzt_query_long(&g_env, sql);
}

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
    char text[4000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!mzt_sql(&g_env, text))
        fail_msg("SQL failed: %s", text);
}

static void reset(void)
{
    sql("DELETE FROM cases; DELETE FROM subject_refresh; DELETE FROM processing_log; "
        "DELETE FROM audit_log; DELETE FROM inbox; DELETE FROM contact_moments");
}

static void to_hex(const unsigned char in[MZ_PSEUDONYM_LEN], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[64] = '\0';
}

static void old_hex(const char *bsn, char out[65])
{
    unsigned char k[MZ_PSEUDONYM_LEN];
    mz_pseudonym(bsn, 9, k);
    to_hex(k, out);
}

static void new_hex(const char *bsn, char out[65])
{
    unsigned char k[MZ_PSEUDONYM_LEN];
    mz_hmac_sha256(g_new_secret, strlen(g_new_secret), bsn, 9, k);
    to_hex(k, out);
}

/* A business's pseudonym under the old key (the service's) or the new. */
static void kvk_hex(const char *kvk, bool new_key, char out[65])
{
    mz_subject s;
    char err[100];
    assert_true(mz_subject_set(&s, "kvk", 3, kvk, strlen(kvk), NULL, 0, "", err, sizeof err));
    unsigned char k[MZ_PSEUDONYM_LEN];
    if (new_key) {
        char msg[16];
        size_t n = mz_pseudonym_message(s.kind, s.id, msg);
        mz_hmac_sha256(g_new_secret, strlen(g_new_secret), msg, n, k);
    } else {
        mz_pseudonym_subject(&s, k);
    }
    to_hex(k, out);
}

static void put_case_of(const char *kind, const char *id, const char *agency, const char *ext,
                        bool closed, int n_events);

/* A person's case through the store, with n_events timeline events. */
static void put_case(const char *bsn, const char *agency, const char *ext, bool closed,
                     int n_events)
{
    put_case_of("bsn", bsn, agency, ext, closed, n_events);
}

/* A case of subject {kind, id} through the store. */
static void put_case_of(const char *kind, const char *id, const char *agency, const char *ext,
                        bool closed, int n_events)
{
    static const char *const at[] = {"2024-01-02 09:00:00+00", "2024-01-03 09:00:00+00",
                                     "2024-01-04 09:00:00+00"};
    /* The last event is the current status (else the store adds one). */
    const char *group = closed ? "closed" : "in_progress";
    const char *text = closed ? "Afgehandeld" : "In behandeling";
    mz_case_event ev[3];
    for (int i = 0; i < n_events && i < 3; i++)
        ev[i] = (mz_case_event){i == n_events - 1 ? group : "received",
                                i == n_events - 1 ? text : "Ontvangen", at[i], NULL, false};
    mz_case_record r = {
        .agency_id = agency,
        .external_id = ext,
        .title = "Aanvraag",
        .status_group = group,
        .status_text = text,
        .status_changed_at = at[n_events - 1],
        .registered_on = "2024-01-02",
        .closed_on = closed ? "2024-01-04" : NULL,
        .source_updated_at = at[n_events - 1],
        .source = "poll",
        .events = ev,
        .n_events = (size_t)n_events,
        .subject_kind = kind,
    };
    mz_subject s;
    char err[200];
    assert_true(mz_subject_set(&s, kind, 3, id, strlen(id), NULL, 0, "", err, sizeof err));
    mz_pseudonym_subject(&s, r.subject_key);
    if (mz_store_upsert_case(g_db, &r, err, sizeof err) != MZ_UPSERT_APPLIED)
        fail_msg("upsert failed: %s", err);
}

static void plog_row_of(const char *kind, const char *hex, const char *started_at)
{
    char trace[33], span[17];
    mz_random_hex(trace, 16);
    mz_random_hex(span, 8);
    sql("INSERT INTO processing_log (trace_id, span_id, activity_id, activity_name, "
        "organisation, subject_key, started_at, ended_at, outcome, subject_kind) VALUES ('%s', "
        "'%s', 'test', 'Test', 'Gemeente Test', decode('%s', 'hex'), %s, %s, 'success', '%s')",
        trace, span, hex, started_at, started_at, kind);
}

static void plog_row(const char *hex, const char *started_at)
{
    plog_row_of("bsn", hex, started_at);
}

/* Runs the binary with the test's configuration; stdout into out, stderr
 * into commands.log. db_url NULL = the test database. Returns the exit
 * status. */
static int run_cmd(const char *db_url, const char *args, char *out, size_t outlen)
{
    char cmd[4000];
    snprintf(cmd, sizeof cmd,
             "MZ_DATABASE_URL='%s' MZ_PSEUDONYM_KEY_FILE='%s' MZ_RETENTION_CLOSED_DAYS=400 "
             "MZ_RETENTION_LOG_DAYS=200 MZ_RETENTION_INBOX_DAYS=30 MZ_LOG_LEVEL=info "
             "'%s' %s 2>>'%s'",
             db_url ? db_url : g_env.db_url, g_old_key, getenv("MZ_BIN"), args, g_cmdlog);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    assert_false(mz_contains_bsn_like(out, n));
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool cmdlog_contains(const char *needle)
{
    size_t n;
    char *txt = mzt_slurp(g_cmdlog, &n);
    bool found = txt && strstr(txt, needle);
    free(txt);
    return found;
}

/* --- purge */

static void put_purge_data(void)
{
    reset();
    put_case(BSN_A, AGENCY, "old-1", true, 2);   /* closed 800 days ago: goes */
    put_case(BSN_A, AGENCY, "old-2", true, 3);   /* closed 401 days ago: goes */
    put_case(BSN_A, AGENCY, "edge", true, 1);    /* closed 400 days ago: stays */
    put_case(BSN_B, AGENCY2, "recent", true, 1); /* closed 10 days ago */
    put_case(BSN_B, AGENCY2, "open", false, 1);  /* open */
    sql("UPDATE cases SET closed_on = " TODAY " - 800 WHERE external_id = 'old-1'");
    sql("UPDATE cases SET closed_on = " TODAY " - 401 WHERE external_id = 'old-2'");
    sql("UPDATE cases SET closed_on = " TODAY " - 400 WHERE external_id = 'edge'");
    sql("UPDATE cases SET closed_on = " TODAY " - 10 WHERE external_id = 'recent'");
    sql("UPDATE cases SET registered_on = " TODAY " - 3000 WHERE external_id = 'open'");
    char h[65];
    old_hex(BSN_A, h);
    plog_row(h, "now() - interval '201 days'"); /* goes */
    plog_row(h, "now() - interval '199 days'");
    plog_row(h, "now()");
    /* each audit record points at a processing-log record (006) */
    sql("INSERT INTO audit_log (processing_log_id, trace_id, actor_kind, actor_id, organisation, "
        "endpoint, at) VALUES ((SELECT min(id) FROM processing_log), repeat('a', 32), "
        "'professional', 'emp-1', 'Gemeente Test', '/x', now() - interval '300 days'), "
        "((SELECT max(id) FROM processing_log), repeat('b', 32), 'professional', 'emp-1', "
        "'Gemeente Test', '/x', now() - interval '100 days')");
    sql("INSERT INTO inbox (agency_id, kind, event_id, body, received_at, processed_at) VALUES "
        "('" AGENCY "', 'notification', 'done-31', '{}', now() - interval '32 days', "
        "now() - interval '31 days'), "
        "('" AGENCY "', 'notification', 'done-29', '{}', now() - interval '30 days', "
        "now() - interval '29 days'), "
        "('" AGENCY "', 'notification', 'pending-100', '{}', now() - interval '100 days', NULL)");
    /* sessions (009): idle-expired, past the absolute maximum, live; a
     * sign-in request expired and one pending */
    sql("DELETE FROM sessions; DELETE FROM oidc_flows");
    sql("INSERT INTO sessions (id_hash, kind, acr, op_sub_hash, idle_expires_at, expires_at) "
        "VALUES (sha256('idle'), 'citizen', 'x', sha256('s'), now() - interval '1 second', "
        "now() + interval '1 hour'), (sha256('max'), 'citizen', 'x', sha256('s'), "
        "now() + interval '1 hour', now() - interval '1 second'), (sha256('live'), "
        "'professional', 'x', sha256('s'), now() + interval '1 hour', now() + interval '2 hours')");
    sql("INSERT INTO oidc_flows (state_hash, kind, nonce, code_verifier, return_to, expires_at) "
        "VALUES (sha256('old'), 'citizen', 'n', 'v', '/', now() - interval '1 second'), "
        "(sha256('new'), 'citizen', 'n', 'v', '/', now() + interval '10 minutes')");
    /* notification preferences (011): a subject without cases untouched for
     * 500 days goes (its outbox row with it); one touched 10 days ago and one
     * of a subject that still has cases stay */
    sql("DELETE FROM notify_preferences");
    sql("INSERT INTO notify_preferences (subject_key, key_id, updated_at) VALUES "
        "(decode(repeat('ab', 32), 'hex'), '0123456789abcdef', now() - interval '500 days'), "
        "(decode(repeat('cd', 32), 'hex'), '0123456789abcdef', now() - interval '10 days'), "
        "((SELECT subject_key FROM cases WHERE external_id = 'open'), '0123456789abcdef', "
        "now() - interval '500 days')");
    sql("INSERT INTO notify_outbox (subject_key, channel, kind) VALUES "
        "(decode(repeat('ab', 32), 'hex'), 'email', 'statusChange')");
    /* notification messages (MZ_RETENTION_NOTIFY_DAYS, 90 by default): a sent
     * and a failed one whose last outcome is 100 days old go; one sent 10
     * days ago and an old one still pending stay. Reminder keys (013): one
     * whose due date passed 200 days ago goes, today's stays. */
    sql("INSERT INTO notify_outbox (subject_key, channel, kind, state, updated_at) VALUES "
        "(decode(repeat('cd', 32), 'hex'), 'email', 'statusChange', 'sent', now() - interval "
        "'100 days'), (decode(repeat('cd', 32), 'hex'), 'sms', 'decision', 'failed', now() - "
        "interval '100 days'), (decode(repeat('cd', 32), 'hex'), 'email', 'decision', 'sent', "
        "now() - interval '10 days'), (decode(repeat('cd', 32), 'hex'), 'email', "
        "'actionRequired', 'pending', now() - interval '100 days')");
    sql("INSERT INTO notify_reminders (case_id, due_on, subject_key) SELECT id, current_date - "
        "200, subject_key FROM cases WHERE external_id = 'open' UNION ALL SELECT id, "
        "current_date, subject_key FROM cases WHERE external_id = 'open'");
    /* contact moments (015, MZ_RETENTION_CONTACT_DAYS 365): one of 400 days
     * ago goes with its hand-over; one of 10 days ago stays */
    sql("INSERT INTO contact_moments (id, subject_key, organisation, channel, topic, summary, "
        "answered, created_at) VALUES ('00000000-0000-4000-8000-000000000001', decode('%s', "
        "'hex'), 'Gemeente Test', 'phone', 't', 's', true, now() - interval '400 days'), "
        "('00000000-0000-4000-8000-000000000002', decode('%s', 'hex'), 'Gemeente Test', 'desk', "
        "'t', 's', false, now() - interval '10 days')",
        h, h);
    sql("INSERT INTO handovers (id, contact_moment_id, agency_id, question, callback, key_id, "
        "subject_enc) VALUES ('00000000-0000-4000-8000-0000000000a1', "
        "'00000000-0000-4000-8000-000000000001', '" AGENCY "', 'q', false, '0123456789abcdef', "
        "'\\x00')");
}

static long total_rows(void)
{
    return q("SELECT (SELECT count(*) FROM cases) * 1000000 + (SELECT count(*) FROM case_events) "
             "* 10000 + (SELECT count(*) FROM processing_log) * 100 + (SELECT count(*) FROM "
             "audit_log) * 10 + (SELECT count(*) FROM inbox)");
}

static void test_purge(void **state)
{
    (void)state;
    put_purge_data();
    assert_int_equal(q("SELECT count(*) FROM case_events"), 8);
    char *cut = mzt_query_text(&g_env, "SELECT (" TODAY " - 400)::text");
    assert_non_null(cut);
    char expect[600], out[1000];
    long before = total_rows();
    assert_int_equal(before, 5 * 1000000 + 8 * 10000 + 3 * 100 + 2 * 10 + 3);

    /* --dry-run: the same counts, nothing removed */
    assert_int_equal(run_cmd(NULL, "purge --dry-run", out, sizeof out), 0);
    snprintf(expect, sizeof expect,
             "purge: would remove 2 cases (5 events) closed before %s, 1 processing-log records, "
             "1 audit records, 1 inbox rows, 2 expired sessions, 1 expired sign-in requests, 1 "
             "notification preferences, 2 notification messages, 1 contact moments (dry run: "
             "nothing removed)\n",
             cut);
    assert_string_equal(out, expect);
    assert_int_equal(total_rows(), before);

    assert_int_equal(run_cmd(NULL, "purge", out, sizeof out), 0);
    snprintf(
        expect, sizeof expect,
        "purge: 2 cases (5 events) closed before %s, 1 processing-log records, 1 audit "
        "records, 1 inbox rows, 2 expired sessions, 1 expired sign-in requests, 1 notification "
        "preferences, 2 notification messages, 1 contact moments removed\n",
        cut);
    assert_string_equal(out, expect);
    char *left = mzt_query_text(&g_env, "SELECT string_agg(external_id, ',' ORDER BY external_id) "
                                        "FROM cases");
    assert_string_equal(left, "edge,open,recent");
    free(left);
    assert_int_equal(q("SELECT count(*) FROM case_events"), 3);
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id"), 3);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), 2);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE started_at < now() - interval "
                       "'200 days'"),
                     0);
    assert_int_equal(q("SELECT count(*) FROM audit_log WHERE trace_id = repeat('b', 32)"), 1);
    assert_int_equal(q("SELECT count(*) FROM audit_log"), 1);
    left = mzt_query_text(&g_env, "SELECT string_agg(event_id, ',' ORDER BY event_id) FROM inbox");
    assert_string_equal(left, "done-29,pending-100");
    free(left);
    assert_int_equal(q("SELECT count(*) FROM sessions WHERE id_hash = sha256('live')"), 1);
    assert_int_equal(q("SELECT count(*) FROM sessions"), 1);
    assert_int_equal(q("SELECT count(*) FROM oidc_flows WHERE state_hash = sha256('new')"), 1);
    assert_int_equal(q("SELECT count(*) FROM oidc_flows"), 1);
    assert_int_equal(q("SELECT count(*) FROM notify_preferences"), 2);
    assert_int_equal(q("SELECT count(*) FROM notify_preferences WHERE subject_key = "
                       "decode(repeat('ab', 32), 'hex')"),
                     0);
    assert_int_equal(q("SELECT count(*) FROM notify_outbox WHERE subject_key = "
                       "decode(repeat('ab', 32), 'hex')"),
                     0);
    left = mzt_query_text(&g_env, "SELECT string_agg(state || ':' || kind, ',' ORDER BY kind) "
                                  "FROM notify_outbox");
    assert_string_equal(left, "pending:actionRequired,sent:decision");
    free(left);
    assert_int_equal(q("SELECT count(*) FROM notify_reminders"), 1);
    assert_int_equal(q("SELECT count(*) FROM notify_reminders WHERE due_on = current_date"), 1);
    assert_int_equal(q("SELECT count(*) FROM contact_moments"), 1);
    assert_int_equal(q("SELECT count(*) FROM contact_moments WHERE channel = 'desk'"), 1);
    assert_int_equal(q("SELECT count(*) FROM handovers"), 0);

    /* a second run finds nothing */
    assert_int_equal(run_cmd(NULL, "purge", out, sizeof out), 0);
    snprintf(
        expect, sizeof expect,
        "purge: 0 cases (0 events) closed before %s, 0 processing-log records, 0 audit "
        "records, 0 inbox rows, 0 expired sessions, 0 expired sign-in requests, 0 notification "
        "preferences, 0 notification messages, 0 contact moments removed\n",
        cut);
    assert_string_equal(out, expect);
    free(cut);
}

static void test_purge_errors(void **state)
{
    (void)state;
    char url[500], out[200];
    snprintf(url, sizeof url, "host=%s/no-such-socket-dir user=postgres", g_env.dir);
    assert_int_equal(run_cmd(url, "purge", out, sizeof out), 1);
    assert_string_equal(out, "");
    assert_true(cmdlog_contains("cannot connect to the database"));
    assert_int_equal(run_cmd(NULL, "purge --everything", out, sizeof out), 2);
    assert_string_equal(out, "");
}

/* Retention is the same for a business's data: its closed case and old
 * processing-log record go, its open case stays. */
static void test_purge_businesses(void **state)
{
    (void)state;
    reset();
    put_case_of("kvk", KVK_A, AGENCY, "kvk-old", true, 2);
    put_case_of("kvk", KVK_A, AGENCY, "kvk-open", false, 1);
    put_case(BSN_A, AGENCY, "bsn-old", true, 1);
    sql("UPDATE cases SET closed_on = " TODAY " - 800 WHERE external_id IN ('kvk-old', "
        "'bsn-old')");
    char h[65];
    kvk_hex(KVK_A, false, h);
    plog_row_of("kvk", h, "now() - interval '201 days'");
    plog_row_of("kvk", h, "now()");
    char out[400];
    assert_int_equal(run_cmd(NULL, "purge", out, sizeof out), 0);
    assert_non_null(strstr(out, "purge: 2 cases (3 events) closed before "));
    assert_non_null(strstr(out, ", 1 processing-log records, "));
    char *left = mzt_query_text(&g_env, "SELECT string_agg(external_id || ':' || subject_kind, "
                                        "',' ORDER BY external_id) FROM cases");
    assert_string_equal(left, "kvk-open:kvk");
    free(left);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE subject_kind = 'kvk' AND "
                       "subject_key = decode('%s', 'hex')",
                       h),
                     1);
}

/* --- rekey */

/* An event pushed for bsn (or two citizens), stored the way the push
 * handler stores it: pseudonymised. */
static void put_inbox_event(const char *event_id, const char *bsn1, const char *bsn2,
                            bool processed)
{
#define EVENT                                                                                      \
    "{\"caseReference\":\"inbox-%s\",\"bsn\":\"%s\",\"title\":\"Melding\",\"status\":{"            \
    "\"group\":\"received\",\"text\":\"Ontvangen\"},\"occurredAt\":\"2026-03-01T10:00:00Z\"}"
    char body[1200];
    char e1[400], e2[400] = "";
    snprintf(e1, sizeof e1, EVENT, event_id, bsn1);
    if (bsn2) {
        char ref[80];
        snprintf(ref, sizeof ref, "%s-2", event_id);
        snprintf(e2, sizeof e2, EVENT, ref, bsn2);
    }
    snprintf(body, sizeof body, "[%s%s%s]", e1, bsn2 ? "," : "", e2);
    mz_buf out = MZ_BUF_INIT;
    size_t count;
    char err[300];
    if (!mz_events_accept(body, strlen(body), &out, &count, err, sizeof err))
        fail_msg("event refused: %s", err);
    assert_int_equal(mz_inbox_put(g_db, AGENCY, "event", event_id, out.data), MZ_INBOX_STORED);
    mz_buf_free(&out);
    if (processed)
        sql("UPDATE inbox SET processed_at = now() WHERE event_id = '%s'", event_id);
}

/* How many rows of each place carry hex: cases, subject_refresh,
 * processing_log, inbox bodies. */
typedef struct where {
    long cases, refresh, plog, inbox;
} where;

static where rows_with(const char *hex)
{
    where w;
    w.cases = q("SELECT count(*) FROM cases WHERE subject_key = decode('%s', 'hex')", hex);
    w.refresh =
        q("SELECT count(*) FROM subject_refresh WHERE subject_key = decode('%s', 'hex')", hex);
    w.plog = q("SELECT count(*) FROM processing_log WHERE subject_key = decode('%s', 'hex')", hex);
    w.inbox = q("SELECT count(*) FROM inbox WHERE strpos(body, '%s') > 0", hex);
    return w;
}

static void assert_where(const char *bsn, const char *hex, long cases, long refresh, long plog,
                         long inbox)
{
    where w = rows_with(hex);
    if (w.cases != cases || w.refresh != refresh || w.plog != plog || w.inbox != inbox)
        fail_msg("citizen %c: cases %ld/%ld, refresh %ld/%ld, plog %ld/%ld, inbox %ld/%ld", bsn[7],
                 w.cases, cases, w.refresh, refresh, w.plog, plog, w.inbox, inbox);
}

/* The number of cases the service shows the citizen. */
static long my_cases(const mzt_server *s, const char *bsn)
{
    char *tok = mzt_citizen_token(&g_env, bsn);
    assert_non_null(tok);
    mzt_resp r;
    assert_true(mzt_http(s, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    free(tok);
    assert_int_equal(r.status, 200);
    char err[128];
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, NULL, err, sizeof err);
    assert_non_null(d);
    const mz_json *items = mz_json_get(mz_json_root(d), "items");
    assert_non_null(items);
    long n = (long)items->u.kids.count;
    mz_json_free(d);
    mzt_resp_free(&r);
    return n;
}

static void start_server(mzt_server *s, const char *keyfile)
{
    char kv[400];
    snprintf(kv, sizeof kv, "MZ_PSEUDONYM_KEY_FILE=%s", keyfile);
    const char *env[] = {kv, NULL};
    assert_true(mzt_server_start(s, &g_env, env));
    if (g_nsrv < 4)
        snprintf(g_srv_logs[g_nsrv++], sizeof g_srv_logs[0], "%s", s->log);
}

static void test_rekey(void **state)
{
    (void)state;
    reset();
    const char *bsns[4] = {BSN_A, BSN_B, BSN_C, BSN_X};
    char oh[4][65], nh[4][65];
    for (int i = 0; i < 4; i++) {
        old_hex(bsns[i], oh[i]);
        new_hex(bsns[i], nh[i]);
    }
    put_case(BSN_A, AGENCY, "a-1", false, 2);
    put_case(BSN_A, AGENCY, "a-2", true, 2);
    put_case(BSN_A, AGENCY2, "a-3", false, 1);
    put_case(BSN_B, AGENCY, "b-1", false, 1);
    put_case(BSN_C, AGENCY2, "c-1", false, 1);
    put_case(BSN_C, AGENCY2, "c-2", false, 3);
    put_case(BSN_X, AGENCY, "x-1", false, 1);
    for (int i = 0; i < 4; i++) {
        sql("INSERT INTO subject_refresh (agency_id, subject_key, refreshed_at, attempted_at, ok) "
            "VALUES ('" AGENCY "', decode('%s', 'hex'), now(), now(), true)",
            oh[i]);
        plog_row(oh[i], "now() - interval '1 day'");
    }
    sql("INSERT INTO subject_refresh (agency_id, subject_key, refreshed_at, attempted_at, ok) "
        "VALUES ('" AGENCY2 "', decode('%s', 'hex'), NULL, now(), false)",
        oh[0]);
    put_inbox_event("ev-a", BSN_A, NULL, true);
    put_inbox_event("ev-ac", BSN_A, BSN_C, true); /* two citizens in one body */
    put_inbox_event("ev-c", BSN_C, NULL, true);
    put_inbox_event("ev-b", BSN_B, NULL, false); /* not processed yet: the new key's service will */
    /* contact moments (015) of A (re-keyed) and X (not in the range) */
    sql("INSERT INTO contact_moments (id, subject_key, organisation, channel, topic, summary, "
        "answered) VALUES ('00000000-0000-4000-8000-00000000000a', decode('%s', 'hex'), 'G', "
        "'phone', 't', 's', true), ('00000000-0000-4000-8000-00000000000b', decode('%s', 'hex'), "
        "'G', 'phone', 't', 's', true)",
        oh[0], oh[3]);
    assert_where(BSN_A, oh[0], 3, 2, 1, 2);
    assert_where(BSN_B, oh[1], 1, 1, 1, 1);
    assert_where(BSN_C, oh[2], 2, 1, 1, 2);
    long all_cases = q("SELECT count(*) FROM cases");
    assert_int_equal(all_cases, 7);

    char args[1000], out[400];
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999",
             g_old_key, g_new_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 0);
    const char *want = "rekey: 3 pseudonyms re-keyed (4 in use, 1 not matched: left as they are), ";
    if (strncmp(out, want, strlen(want)) != 0 || !strstr(out, " s\n"))
        fail_msg("unexpected report: %s", out);

    /* every row of A, B and C moved to the new pseudonym, none left on the old */
    /* refresh records are dropped, not re-keyed: they only say how fresh a
     * citizen's data is, and the next read writes a new one */
    assert_where(BSN_A, nh[0], 3, 0, 1, 2);
    assert_where(BSN_B, nh[1], 1, 0, 1, 1);
    assert_where(BSN_C, nh[2], 2, 0, 1, 2);
    for (int i = 0; i < 3; i++)
        assert_where(bsns[i], oh[i], 0, 0, 0, 0);
    /* the inbox bodies still hold what was acknowledged, only re-keyed */
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE body LIKE '%%\"subjectKey\":\"%s\"%%' "
                       "AND body LIKE '%%\"subjectKey\":\"%s\"%%'",
                       nh[0], nh[2]),
                     1);
    /* contact moments move with their subject */
    assert_int_equal(q("SELECT count(*) FROM contact_moments WHERE subject_key = decode('%s', "
                       "'hex')",
                       nh[0]),
                     1);
    assert_int_equal(q("SELECT count(*) FROM contact_moments WHERE subject_key = decode('%s', "
                       "'hex')",
                       oh[3]),
                     1);
    /* X (not in the enumerated range) is left as it was */
    assert_where(BSN_X, oh[3], 1, 1, 1, 0);
    assert_where(BSN_X, nh[3], 0, 0, 0, 0);
    assert_int_equal(q("SELECT count(*) FROM cases"), all_cases);

    /* The service with the new key shows each citizen their cases, and
     * processes the pending push under the new pseudonym. */
    mzt_server s;
    start_server(&s, g_new_key);
    for (int i = 0; i < 200 && q("SELECT count(*) FROM inbox WHERE processed_at IS NULL") > 0;
         i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE processed_at IS NULL"), 0);
    assert_int_equal(my_cases(&s, BSN_A), 3);
    assert_int_equal(my_cases(&s, BSN_B), 2); /* b-1 and the pushed inbox-ev-b */
    assert_int_equal(my_cases(&s, BSN_C), 2);
    assert_int_equal(my_cases(&s, BSN_X), 0); /* still under the old key */
    assert_int_equal(mzt_server_stop(&s), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE external_id = 'inbox-ev-b' AND "
                       "subject_key = decode('%s', 'hex')",
                       nh[1]),
                     1);

    /* Again: nothing is keyed with the old key in the range any more (the
     * service's reads added processing-log rows under the new pseudonyms,
     * X's among them). */
    long in_use = q("SELECT count(*) FROM (SELECT subject_key FROM cases UNION SELECT subject_key "
                    "FROM subject_refresh UNION SELECT subject_key FROM processing_log) s");
    assert_true(in_use >= 4);
    char want2[200];
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 0);
    snprintf(want2, sizeof want2,
             "rekey: 0 pseudonyms re-keyed (%ld in use, %ld not matched: left as they are), ",
             in_use, in_use);
    if (strncmp(out, want2, strlen(want2)) != 0)
        fail_msg("unexpected report: %s", out);

    /* A full 9-digit prefix is exactly one candidate: X. */
    where x_new = rows_with(nh[3]);
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix %s",
             g_old_key, g_new_key, BSN_X);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 0);
    snprintf(want2, sizeof want2,
             "rekey: 1 pseudonyms re-keyed (%ld in use, %ld not matched: left as they are), ",
             in_use, in_use - 1);
    if (strncmp(out, want2, strlen(want2)) != 0)
        fail_msg("unexpected report: %s", out);
    assert_where(BSN_X, nh[3], 1, 0, x_new.plog + 1, 0);
    assert_where(BSN_X, oh[3], 0, 0, 0, 0);
}

/* Businesses are re-keyed as well: each pseudonym is looked for among its
 * own kind's numbers ("kvk:" + 8 digits for kind kvk), in every place
 * (cases, processing log, inbox bodies; refresh records dropped). */
static void test_rekey_businesses(void **state)
{
    (void)state;
    reset();
    char ka_old[65], ka_new[65], kb_old[65], kb_new[65], pa_old[65], pa_new[65];
    kvk_hex(KVK_A, false, ka_old);
    kvk_hex(KVK_A, true, ka_new);
    kvk_hex(KVK_B, false, kb_old);
    kvk_hex(KVK_B, true, kb_new);
    old_hex(BSN_A, pa_old);
    new_hex(BSN_A, pa_new);
    put_case_of("kvk", KVK_A, AGENCY, "k-1", false, 2);
    put_case_of("kvk", KVK_A, AGENCY2, "k-2", true, 1);
    put_case_of("kvk", KVK_B, AGENCY, "kb-1", false, 1);
    put_case(BSN_A, AGENCY, "p-1", false, 1);
    sql("INSERT INTO subject_refresh (agency_id, subject_key, refreshed_at, attempted_at, ok, "
        "subject_kind) VALUES ('" AGENCY "', decode('%s', 'hex'), now(), now(), true, 'kvk')",
        ka_old);
    plog_row_of("kvk", ka_old, "now()");
    plog_row_of("kvk", kb_old, "now()");
    /* a pushed event for the business, stored pseudonymised */
    const char *body = "{\"caseReference\":\"inbox-k\",\"subject\":{\"kind\":\"kvk\",\"id\":"
                       "\"" KVK_A "\"},\"title\":\"Vergunning\",\"status\":{\"group\":"
                       "\"received\",\"text\":\"Ontvangen\"},\"occurredAt\":"
                       "\"2026-03-01T10:00:00Z\"}";
    mz_buf canon = MZ_BUF_INIT;
    size_t count;
    char err[300];
    assert_true(mz_events_accept(body, strlen(body), &canon, &count, err, sizeof err));
    assert_int_equal(mz_inbox_put(g_db, AGENCY, "event", "ev-kvk", canon.data), MZ_INBOX_STORED);
    mz_buf_free(&canon);
    sql("UPDATE inbox SET processed_at = now() WHERE event_id = 'ev-kvk'");
    assert_where(KVK_A, ka_old, 2, 1, 1, 1);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE subject_kind = 'kvk'"), 3);

    char args[1000], out[400];
    snprintf(args, sizeof args,
             "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999 --kvk-prefix 12345678"
             "9",
             g_old_key, g_new_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 2); /* a KVK number has 8 digits */
    snprintf(args, sizeof args,
             "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999 --kvk-prefix 6875",
             g_old_key, g_new_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 0);
    const char *want = "rekey: 2 pseudonyms re-keyed (3 in use, 1 not matched: left as they are), ";
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("unexpected report: %s", out);
    assert_where(KVK_A, ka_new, 2, 0, 1, 1);
    assert_where(KVK_A, ka_old, 0, 0, 0, 0);
    assert_where(BSN_A, pa_new, 1, 0, 0, 0);
    assert_where(BSN_A, pa_old, 0, 0, 0, 0);
    /* outside the KVK prefix: left as it was */
    assert_where(KVK_B, kb_old, 1, 0, 1, 0);
    assert_where(KVK_B, kb_new, 0, 0, 0, 0);
    /* the kinds stay with their rows */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE subject_kind = 'kvk' AND subject_key = "
                       "decode('%s', 'hex')",
                       ka_new),
                     2);
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE body LIKE '%%\"subjectKey\":\"%s\","
                       "\"subjectKind\":\"kvk\"%%'",
                       ka_new),
                     1);
}

static char *keys_digest(void)
{
    return mzt_query_text(&g_env,
                          "SELECT md5(coalesce(string_agg(encode(subject_key, 'hex'), ',' ORDER "
                          "BY subject_key), '') || (SELECT coalesce(string_agg(body, ',' ORDER BY "
                          "id), '') FROM inbox)) FROM (SELECT subject_key FROM cases UNION ALL "
                          "SELECT subject_key FROM subject_refresh UNION ALL SELECT subject_key "
                          "FROM processing_log) s");
}

static void test_rekey_refusals(void **state)
{
    (void)state;
    reset();
    put_case(BSN_A, AGENCY, "a-1", false, 1);
    char h[65];
    old_hex(BSN_A, h);
    plog_row(h, "now()");
    put_inbox_event("ev-a", BSN_A, NULL, true);
    char *before = keys_digest();
    assert_non_null(before);

    char copy[320], shortkey[320], args[1200], out[400];
    snprintf(copy, sizeof copy, "%s/keys/pseudonym-copy.key", g_env.dir);
    snprintf(shortkey, sizeof shortkey, "%s/keys/short.key", g_env.dir);
    size_t n;
    char *content = mzt_slurp(g_old_key, &n);
    assert_non_null(content);
    content[strcspn(content, "\r\n ")] = '\0';
    FILE *f = fopen(copy, "w");
    assert_non_null(f);
    fprintf(f, "%s \r\n\n", content); /* other trailing whitespace: the same key */
    fclose(f);
    free(content);
    f = fopen(shortkey, "w");
    assert_non_null(f);
    fprintf(f, "0123456789\n");
    fclose(f);

    /* the same key: refused, whether the same file, a copy or the default */
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999",
             g_old_key, g_old_key);
    assert_int_not_equal(run_cmd(NULL, args, out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_true(cmdlog_contains("the old and the new key are the same key"));
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999",
             copy, g_old_key);
    assert_int_not_equal(run_cmd(NULL, args, out, sizeof out), 0);
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --bsn-prefix 9999", copy);
    assert_int_not_equal(run_cmd(NULL, args, out, sizeof out), 0); /* new = MZ_PSEUDONYM_KEY_FILE */

    /* a missing or unusable key file */
    snprintf(args, sizeof args,
             "rekey --old-key-file '%s/keys/no-such.key' --new-key-file '%s' --bsn-prefix 9999",
             g_env.dir, g_new_key);
    assert_int_not_equal(run_cmd(NULL, args, out, sizeof out), 0);
    assert_true(cmdlog_contains("cannot open pseudonym key file"));
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999",
             shortkey, g_new_key);
    assert_int_not_equal(run_cmd(NULL, args, out, sizeof out), 0);
    assert_true(cmdlog_contains("must hold 32 to 1024 bytes"));
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999",
             g_old_key, shortkey);
    assert_int_not_equal(run_cmd(NULL, args, out, sizeof out), 0);

    /* usage errors */
    snprintf(args, sizeof args, "rekey --new-key-file '%s'", g_new_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 2);
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 99x9",
             g_old_key, g_new_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 2);
    snprintf(args, sizeof args,
             "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999999999", g_old_key,
             g_new_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 2);
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file", g_old_key);
    assert_int_equal(run_cmd(NULL, args, out, sizeof out), 2);

    /* the database unreachable */
    char url[500];
    snprintf(url, sizeof url, "host=%s/no-such-socket-dir user=postgres", g_env.dir);
    snprintf(args, sizeof args, "rekey --old-key-file '%s' --new-key-file '%s' --bsn-prefix 9999",
             g_old_key, g_new_key);
    assert_int_equal(run_cmd(url, args, out, sizeof out), 1);

    char *after = keys_digest();
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge),
        cmocka_unit_test(test_purge_errors),
        cmocka_unit_test(test_rekey),
        cmocka_unit_test(test_rekey_refusals),
        cmocka_unit_test(test_purge_businesses),
        cmocka_unit_test(test_rekey_businesses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
