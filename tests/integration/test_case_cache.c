/*
 * test_case_cache.c — the in-memory "my cases" cache (issue 18 item 4,
 * service/case_cache.h), end to end: two real `mijnzaken serve` instances
 * on one real Postgres, writes committed by a third party (this process,
 * through the store, the way a sync or the inbox writes).
 *
 * - hits are real (/metrics) and answer the same as the database;
 * - a change committed before a read is in that read's answer, through
 *   either instance, while a writer thread keeps committing (never stale);
 * - purge (the real command) and a rekey's move of the cases invalidate;
 * - a killed LISTEN connection (pg_terminate_backend) drops the cache, a
 *   change committed meanwhile is still seen, and hits come back.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "mzt.h"
#include "store.h"

#define BSN_A  "999993653"
#define BSN_B  "999990019"
#define AGENCY "gemeente-test"

static mzt_env g_env;
static mzt_server g_a, g_b; /* two instances, one database */
static char *g_tok_a, *g_tok_b;
static mz_db *g_db; /* this process's store connection (main thread) */

/* Case ext of bsn with title "v<version>" (a newer source time each
 * version, so the store applies it). */
static void put_version(mz_db *db, const char *bsn, const char *ext, long version,
                        const char *closed_on)
{
    char title[32], ts[64];
    snprintf(title, sizeof title, "v%06ld", version);
    /* one second per version from a fixed start: always newer */
    time_t t = 1767225600 + version; /* 2026-01-01 */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S+00", &tm);
    mz_case_event ev[] = {{"received", "Ontvangen", "2025-12-01 09:00:00+00", NULL, false}};
    mz_case_record r = {
        .agency_id = AGENCY,
        .external_id = ext,
        .title = title,
        .case_number = ext,
        .status_group = closed_on ? "closed" : "in_progress",
        .status_text = closed_on ? "Afgerond" : "In behandeling",
        .status_changed_at = ts,
        .registered_on = "2025-12-01",
        .closed_on = closed_on,
        .source_updated_at = ts,
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
    if (!mzt_env_setup(&g_env, "case_cache"))
        return -1;
    char err[200];
    g_db = mzt_store_open(&g_env);
    if (!g_db)
        return -1;
    /* no live adapter: nothing to refresh, so answers may be kept */
    mz_agency_row a = {AGENCY, "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    if (!mz_store_upsert_agency(g_db, &a, err, sizeof err))
        return -1;
    put_version(g_db, BSN_A, "a-1", 1, NULL);
    put_version(g_db, BSN_B, "b-1", 1, NULL);
    if (!mzt_server_start(&g_a, &g_env, NULL) || !mzt_server_start(&g_b, &g_env, NULL))
        return -1;
    g_tok_a = mzt_citizen_token(&g_env, BSN_A);
    g_tok_b = mzt_citizen_token(&g_env, BSN_B);
    return g_tok_a && g_tok_b ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int ra = mzt_server_stop(&g_a), rb = mzt_server_stop(&g_b);
    free(g_tok_a);
    free(g_tok_b);
    mz_db_close(g_db);
    bool clean = mzt_log_clean(g_a.log, NULL) && mzt_log_clean(g_b.log, NULL);
    if (!mzt_env_teardown(&g_env))
        return -1;
    return ra == 0 && rb == 0 && clean ? 0 : -1;
}

static double metric(const mzt_server *s, const char *name)
{
    mzt_resp m;
    assert_true(mzt_http(s, "GET", "/metrics", NULL, NULL, NULL, &m));
    char key[160];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(m.body, key);
    if (!p)
        fail_msg("no metric %s", name);
    double v = strtod(p + strlen(key), NULL);
    mzt_resp_free(&m);
    return v;
}

/* The highest "v<n>" title in the answer, 0 for no case, -1 on failure. */
static long read_version(const mzt_server *s, const char *tok, long *ncases)
{
    mzt_resp r;
    if (!mzt_http(s, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r))
        return -1;
    long best = r.status == 200 ? 0 : -1, n = 0;
    for (const char *p = r.body; r.status == 200 && (p = strstr(p, "\"title\":\"v")) != NULL;
         p += 10) {
        long v = strtol(p + 10, NULL, 10);
        best = v > best ? v : best;
        n++;
    }
    mzt_resp_free(&r);
    if (ncases)
        *ncases = n;
    return best;
}

static void wait_listening(const mzt_server *s)
{
    for (int i = 0; i < 200 && metric(s, "mz_case_cache_listening") != 1; i++)
        usleep(20000);
    assert_true(metric(s, "mz_case_cache_listening") == 1);
}

/* --- hits are real and answer what the database holds */

static void test_hits_are_counted_and_exact(void **state)
{
    (void)state;
    wait_listening(&g_a);
    double h0 = metric(&g_a, "mz_case_cache_hits_total");
    double f0 = metric(&g_a, "mz_case_cache_fills_total");
    mzt_resp first, second;
    assert_true(mzt_http(&g_a, "GET", "/api/v1/me/cases", g_tok_a, NULL, NULL, &first));
    assert_true(mzt_http(&g_a, "GET", "/api/v1/me/cases", g_tok_a, NULL, NULL, &second));
    assert_int_equal(first.status, 200);
    assert_int_equal(second.status, 200);
    assert_string_equal(first.body, second.body); /* the same answer, from memory */
    mzt_resp_free(&first);
    mzt_resp_free(&second);
    assert_true(metric(&g_a, "mz_case_cache_fills_total") >= f0 + 1);
    assert_true(metric(&g_a, "mz_case_cache_hits_total") >= h0 + 1);
    /* every read still logged, the hit's too */
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM processing_log WHERE outcome = 'success'");
    assert_true(mzt_query_long(&g_env, sql) >= 2);
}

/* --- never stale: a writer commits versions; readers on both instances
 * must see at least the version committed before they asked */

#define READERS 4
#define ROUNDS  150

static atomic_long g_committed; /* the newest version whose commit returned */
static atomic_bool g_writing;

static void *writer_main(void *p)
{
    (void)p;
    mz_db *db = mzt_store_open(&g_env);
    assert_non_null(db);
    for (long v = 2; atomic_load(&g_writing); v++) {
        put_version(db, BSN_A, "a-1", v, NULL);
        atomic_store(&g_committed, v);
        usleep(v % 3 ? 300 : 3000); /* bursts and pauses: hits in between */
    }
    mz_db_close(db);
    return NULL;
}

typedef struct reader {
    const mzt_server *srv;
    int stale, failed, reads;
} reader;

static void *reader_main(void *p)
{
    reader *rd = p;
    for (int i = 0; i < ROUNDS; i++) {
        long before = atomic_load(&g_committed);
        long got = read_version(rd->srv, g_tok_a, NULL);
        rd->reads++;
        if (got < 0)
            rd->failed++;
        else if (got < before) {
            rd->stale++;
            fprintf(stderr, "stale: committed v%ld before the read, answer v%ld\n", before, got);
        }
    }
    return NULL;
}

static void test_change_committed_before_a_read_is_in_it(void **state)
{
    (void)state;
    wait_listening(&g_a);
    wait_listening(&g_b);
    double hits0 =
        metric(&g_a, "mz_case_cache_hits_total") + metric(&g_b, "mz_case_cache_hits_total");
    atomic_store(&g_committed, read_version(&g_a, g_tok_a, NULL));
    atomic_store(&g_writing, true);
    pthread_t w;
    pthread_create(&w, NULL, writer_main, NULL);
    pthread_t t[READERS];
    reader rd[READERS];
    for (int i = 0; i < READERS; i++) {
        rd[i] = (reader){i % 2 ? &g_b : &g_a, 0, 0, 0};
        pthread_create(&t[i], NULL, reader_main, &rd[i]);
    }
    int stale = 0, failed = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
        stale += rd[i].stale;
        failed += rd[i].failed;
    }
    atomic_store(&g_writing, false);
    pthread_join(w, NULL);
    assert_int_equal(failed, 0);
    assert_int_equal(stale, 0);
    /* and the cache was in play, not bypassed */
    double hits =
        metric(&g_a, "mz_case_cache_hits_total") + metric(&g_b, "mz_case_cache_hits_total") - hits0;
    fprintf(stderr, "hits during the race: %.0f of %d reads; rechecked stale: %.0f + %.0f\n", hits,
            READERS * ROUNDS, metric(&g_a, "mz_case_cache_rechecks_total{outcome=\"stale\"}"),
            metric(&g_b, "mz_case_cache_rechecks_total{outcome=\"stale\"}"));
    assert_true(hits > 0);
    /* the last version, read through both after the writer stopped */
    long last = atomic_load(&g_committed);
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), last);
    assert_int_equal(read_version(&g_b, g_tok_a, NULL), last);
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), last);
}

/* --- purge and a rekey's move of the cases invalidate */

static void test_purge_and_rekey_invalidate(void **state)
{
    (void)state;
    /* B's case closed long ago: purge removes it */
    put_version(g_db, BSN_B, "b-old", 5, "2020-01-01");
    long n = 0;
    assert_int_equal(read_version(&g_a, g_tok_b, &n), 5);
    assert_int_equal(n, 2);
    assert_int_equal(read_version(&g_a, g_tok_b, &n), 5); /* a hit now */
    const char *env[] = {"MZ_RETENTION_CLOSED_DAYS=400", NULL};
    const char *args[] = {"purge", NULL};
    assert_int_equal(mzt_run(&g_env, env, args), 0);
    assert_int_equal(read_version(&g_a, g_tok_b, &n), 1);
    assert_int_equal(n, 1);

    /* rekey moves a subject's rows to its new pseudonym (rekey.c:
     * UPDATE cases SET subject_key); the old key's answer must empty */
    unsigned char kb[MZ_PSEUDONYM_LEN];
    mz_pseudonym(BSN_B, 9, kb);
    char hex[2 * MZ_PSEUDONYM_LEN + 1];
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", kb[i]);
    assert_int_equal(read_version(&g_b, g_tok_b, &n), 1);
    assert_int_equal(read_version(&g_b, g_tok_b, &n), 1); /* a hit now */
    char sql[400];
    snprintf(sql, sizeof sql,
             "UPDATE cases SET subject_key = decode(md5('moved') || md5('moved'), 'hex') "
             "WHERE subject_key = decode('%s', 'hex')",
             hex);
    assert_true(mzt_sql(&g_env, sql));
    assert_int_equal(read_version(&g_b, g_tok_b, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(read_version(&g_a, g_tok_b, &n), 0);
}

/* --- a killed LISTEN connection drops the cache; it recovers */

static void test_killed_listener_drops_and_recovers(void **state)
{
    (void)state;
    wait_listening(&g_a);
    long v = read_version(&g_a, g_tok_a, NULL);
    assert_true(v > 0);
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), v); /* cached */
    double drops0 = metric(&g_a, "mz_case_cache_drops_total");
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '%s' "
             "AND query = 'LISTEN mz_subject'",
             g_env.dbname);
    assert_true(mzt_query_long(&g_env, sql) >= 2); /* both instances' listeners */
    /* a change while the listeners are gone: its notification is lost */
    put_version(g_db, BSN_A, "a-1", v + 1, NULL);
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), v + 1);
    assert_int_equal(read_version(&g_b, g_tok_a, NULL), v + 1);
    wait_listening(&g_a);
    wait_listening(&g_b);
    assert_true(metric(&g_a, "mz_case_cache_drops_total") > drops0);
    /* recovered: filled and hit again, and still exact */
    double h0 = metric(&g_a, "mz_case_cache_hits_total");
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), v + 1);
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), v + 1);
    assert_true(metric(&g_a, "mz_case_cache_hits_total") > h0);
    put_version(g_db, BSN_A, "a-1", v + 2, NULL);
    assert_int_equal(read_version(&g_a, g_tok_a, NULL), v + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_are_counted_and_exact),
        cmocka_unit_test(test_change_committed_before_a_read_is_in_it),
        cmocka_unit_test(test_purge_and_rekey_invalidate),
        cmocka_unit_test(test_killed_listener_drops_and_recovers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
