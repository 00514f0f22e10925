/*
 * test_plog_commit.c — group commit of the processing log (issue 18,
 * service/plog_commit.h), end to end: the real `mijnzaken serve` over
 * loopback against a real Postgres.
 *
 * - concurrent reads are all logged, exactly once each, sharing commits,
 *   and /metrics shows the batch sizes;
 * - a batch whose statement fails answers 503 (with Retry-After) to every
 *   read in it and shows none of them any data, while a batch before it
 *   that did commit answers normally.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "mzt.h"
#include "store.h"

#define BSN_A "999993653"
#define BSN_B "999990019"

static mzt_env g_env;
static mzt_server g_srv;
static char *g_tok_a, *g_tok_b;

static void put_case(mz_db *db, const char *bsn, const char *title)
{
    char ext[32];
    snprintf(ext, sizeof ext, "plog-%s", bsn + 6);
    mz_case_event ev[] = {{"received", "Ontvangen", "2026-02-01 09:00:00+00", NULL, false}};
    mz_case_record r = {
        .agency_id = "gemeente-test",
        .external_id = ext,
        .title = title,
        .case_number = ext,
        .status_group = "in_progress",
        .status_text = "In behandeling",
        .status_changed_at = "2026-03-01 08:00:00+00",
        .registered_on = "2026-02-01",
        .source_updated_at = "2026-03-01 08:00:00+00",
        .source = "poll",
        .events = ev,
        .n_events = 1,
    };
    mz_pseudonym(bsn, 9, r.subject_key);
    char err[200];
    if (mz_store_upsert_case(db, &r, err, sizeof err) != MZ_UPSERT_APPLIED)
        fail_msg("upsert failed: %s", err);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "plog_commit"))
        return -1;
    char err[200];
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    mz_agency_row a = {"gemeente-test", "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    if (!mz_store_upsert_agency(db, &a, err, sizeof err))
        return -1;
    put_case(db, BSN_A, "Zaak van A");
    put_case(db, BSN_B, "Zaak van B");
    mz_db_close(db);
    if (!mzt_server_start(&g_srv, &g_env, NULL))
        return -1;
    g_tok_a = mzt_citizen_token(&g_env, BSN_A);
    g_tok_b = mzt_citizen_token(&g_env, BSN_B);
    return g_tok_a && g_tok_b ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    free(g_tok_a);
    free(g_tok_b);
    bool clean = mzt_log_clean(g_srv.log, NULL);
    if (!mzt_env_teardown(&g_env))
        return -1;
    return rc == 0 && clean ? 0 : -1;
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

static unsigned long metric(const char *name)
{
    mzt_resp m;
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &m));
    char key[120];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(m.body, key);
    if (!p)
        fail_msg("no metric %s", name);
    unsigned long v = strtoul(p + strlen(key), NULL, 10);
    mzt_resp_free(&m);
    return v;
}

/* --- concurrent reads: every one logged once, commits shared */

#define READERS 16
#define READS   20

typedef struct reader {
    int n;
    int ok;
    int bad;
} reader;

static void *reader_main(void *p)
{
    reader *a = p;
    for (int i = 0; i < READS; i++) {
        char tp[80];
        /* a span id per read names its record (the trace's parent span) */
        snprintf(tp, sizeof tp, "traceparent: 00-%032x-%016x-01", 0xc0ffee, a->n * 1000 + i + 1);
        const char *hdr[] = {tp, NULL};
        mzt_resp r;
        if (mzt_http(&g_srv, "GET", "/api/v1/me/cases", a->n % 2 ? g_tok_a : g_tok_b, hdr, NULL,
                     &r) &&
            r.status == 200 && strstr(r.body, a->n % 2 ? "Zaak van A" : "Zaak van B"))
            a->ok++;
        else
            a->bad++;
        mzt_resp_free(&r);
    }
    return NULL;
}

static void test_concurrent_reads_logged(void **state)
{
    (void)state;
    unsigned long commits0 = metric("mz_plog_commits_total");
    unsigned long records0 = metric("mz_plog_records_total");
    unsigned long count0 = metric("mz_plog_batch_size_count");
    unsigned long sum0 = metric("mz_plog_batch_size_sum");
    pthread_t t[READERS];
    reader a[READERS];
    for (int i = 0; i < READERS; i++) {
        a[i] = (reader){.n = i};
        pthread_create(&t[i], NULL, reader_main, &a[i]);
    }
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].bad, 0);
        assert_int_equal(a[i].ok, READS);
    }
    /* each read exactly once, under the right subject */
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE trace_id = "
                       "lpad('c0ffee', 32, '0')"),
                     READERS * READS);
    assert_int_equal(q("SELECT count(DISTINCT parent_span_id) FROM processing_log WHERE "
                       "trace_id = lpad('c0ffee', 32, '0')"),
                     READERS * READS);
    assert_int_equal(q("SELECT count(DISTINCT subject_key) FROM processing_log WHERE "
                       "trace_id = lpad('c0ffee', 32, '0')"),
                     2);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE trace_id = "
                       "lpad('c0ffee', 32, '0') AND (outcome <> 'success' OR ended_at < "
                       "started_at OR activity_id IS NULL)"),
                     0);
    unsigned long commits = metric("mz_plog_commits_total") - commits0;
    unsigned long records = metric("mz_plog_records_total") - records0;
    /* the metrics scrapes are not reads of personal data: not logged */
    assert_int_equal(records, READERS * READS);
    assert_true(commits >= 1);
    assert_true(commits < records); /* sixteen readers at once shared commits */
    assert_int_equal(metric("mz_plog_batch_size_count") - count0, commits);
    assert_int_equal(metric("mz_plog_batch_size_sum") - sum0, records);
    assert_int_equal(metric("mz_plog_queued"), 0);
}

/* --- a failed commit: 503 to every read of the batch, no data */

typedef struct one_read {
    const char *token;
    const char *traceparent;
    long status;
    char retry_after[16];
    bool has_data;
} one_read;

static void *one_read_main(void *p)
{
    one_read *o = p;
    char tp[100];
    snprintf(tp, sizeof tp, "traceparent: %s", o->traceparent);
    const char *hdr[] = {tp, NULL};
    mzt_resp r;
    if (!mzt_http(&g_srv, "GET", "/api/v1/me/cases", o->token, hdr, NULL, &r)) {
        o->status = -1;
        return NULL;
    }
    o->status = r.status;
    o->has_data = strstr(r.body, "Zaak van") || strstr(r.body, "\"items\"");
    if (!mzt_header(&r, "retry-after", o->retry_after, sizeof o->retry_after))
        o->retry_after[0] = '\0';
    mzt_resp_free(&r);
    return NULL;
}

static void wait_queued(unsigned long n)
{
    for (int i = 0; i < 1000 && metric("mz_plog_queued") != n; i++)
        usleep(5000);
    assert_int_equal(metric("mz_plog_queued"), n);
}

static void wait_lock_waiter(void)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND "
             "wait_event_type = 'Lock' AND query LIKE 'WITH v AS%%'",
             g_env.dbname);
    for (int i = 0; i < 1000 && q(sql) != 1; i++)
        usleep(5000);
    assert_int_equal(q(sql), 1);
}

#define POISON "00-0000000000000000000000000000dead-00000000000000aa-01"
#define BATCH  7

static void test_failed_commit_answers_503_to_the_batch(void **state)
{
    (void)state;
    /* A record whose parent span is ...aa is refused by the database; a
     * statement carrying it fails whole, with every other record in it. */
    assert_true(mzt_sql(&g_env,
                        "CREATE FUNCTION plog_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                        "BEGIN IF NEW.parent_span_id = '00000000000000aa' THEN "
                        "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$; "
                        "CREATE TRIGGER plog_poison BEFORE INSERT ON processing_log "
                        "FOR EACH ROW EXECUTE FUNCTION plog_poison()"));
    unsigned long failed0 = metric("mz_plog_failed_batches_total");
    long rows0 = q("SELECT count(*) FROM processing_log");
    /* Hold the committer on its first batch: our SHARE lock blocks its
     * insert until we end our transaction. */
    mz_db *lock = mzt_store_open(&g_env);
    assert_non_null(lock);
    PGresult *res = PQexec(mz_db_pg(lock), "BEGIN; LOCK TABLE processing_log IN SHARE MODE");
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    /* batch 1: one good read, taken by the committer, blocked on the lock */
    one_read first = {.token = g_tok_a,
                      .traceparent = "00-0000000000000000000000000000beef-0000000000000001-01"};
    pthread_t t0;
    pthread_create(&t0, NULL, one_read_main, &first);
    wait_lock_waiter(); /* the committer's insert of batch 1 waits for our lock */
    /* batch 2: the poisoned read and six good ones, queued meanwhile */
    char tps[BATCH][60];
    one_read o[BATCH];
    pthread_t t[BATCH];
    for (int i = 0; i < BATCH; i++) {
        if (i == 3)
            snprintf(tps[i], sizeof tps[i], "%s", POISON);
        else
            snprintf(tps[i], sizeof tps[i],
                     "00-0000000000000000000000000000beef-00000000000001%02x-01", i);
        o[i] = (one_read){.token = i % 2 ? g_tok_a : g_tok_b, .traceparent = tps[i]};
        pthread_create(&t[i], NULL, one_read_main, &o[i]);
    }
    wait_queued(BATCH);
    res = PQexec(mz_db_pg(lock), "COMMIT");
    PQclear(res);
    mz_db_close(lock);
    pthread_join(t0, NULL);
    for (int i = 0; i < BATCH; i++)
        pthread_join(t[i], NULL);
    /* batch 1 committed: its read answered with its data */
    assert_int_equal(first.status, 200);
    assert_true(first.has_data);
    /* batch 2 failed: every read in it 503, Retry-After, no data */
    for (int i = 0; i < BATCH; i++) {
        assert_int_equal(o[i].status, 503);
        assert_true(o[i].retry_after[0] != '\0');
        assert_false(o[i].has_data);
    }
    assert_int_equal(metric("mz_plog_failed_batches_total") - failed0, 1);
    assert_int_equal(q("SELECT count(*) FROM processing_log") - rows0, 1);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE trace_id = lpad('beef', 32, "
                       "'0') AND parent_span_id = '0000000000000001'"),
                     1);
    /* the database accepting records again, reads are answered again */
    assert_true(mzt_sql(&g_env, "DROP TRIGGER plog_poison ON processing_log"));
    one_read after = {.token = g_tok_b,
                      .traceparent = "00-0000000000000000000000000000beef-0000000000000002-01"};
    one_read_main(&after);
    assert_int_equal(after.status, 200);
    assert_true(after.has_data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_reads_logged),
        cmocka_unit_test(test_failed_commit_answers_503_to_the_batch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
