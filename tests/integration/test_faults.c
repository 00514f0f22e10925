/*
 * test_faults.c — the database disappears under load: PostgreSQL is
 * stopped with `pg_ctl stop -m immediate` while clients keep reading. The
 * service must answer 503 (readyz fails, reads get problem+json with
 * Retry-After, never a hang or a crash), and recover by itself when the
 * database is back — no restart. This test runs its own cluster, so the
 * suite's shared one is never touched.
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "crypto.h"
#include "db.h"
#include "mzt.h"
#include "store.h"

static char g_dir[256];
static mzt_env g_env; /* its db_url points at the private cluster */

/* Runs a shell line built from the project's pg helpers and our dir. */
static int pg(const char *action)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "bash -c '. %s/scripts/lib/pg.sh && %s' >/dev/null 2>&1",
             getenv("MZ_SOURCE_DIR"), action);
    return system(cmd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/mzt-faults-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    chmod(g_dir, 0755);
    char start[700];
    snprintf(start, sizeof start, "pg_cluster_start %s/data %s/sock", g_dir, g_dir);
    if (pg(start) != 0)
        return -1;
    /* An env of our own: keys and a migrated database on the private cluster. */
    char url[400];
    snprintf(url, sizeof url, "host=%s/sock user=postgres dbname=postgres", g_dir);
    setenv("MZ_TEST_DATABASE_URL", url, 1);
    return mzt_env_setup(&g_env, "faults") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bool clean = mzt_env_teardown(&g_env);
    char stop[700];
    snprintf(stop, sizeof stop, "pg_cluster_stop %s/data; rm -rf %s/data", g_dir, g_dir);
    pg(stop);
    return clean ? 0 : -1;
}

typedef struct load {
    mzt_server *srv;
    const char *token;
    atomic_bool stop;
    atomic_long ok, unavailable, other, transport;
} load;

static void *reader(void *p)
{
    load *l = p;
    while (!atomic_load(&l->stop)) {
        mzt_resp r;
        bool sent = mzt_http(l->srv, "GET", "/api/v1/me/cases", l->token, NULL, NULL, &r);
        if (!sent)
            atomic_fetch_add(&l->transport, 1);
        else if (r.status == 200)
            atomic_fetch_add(&l->ok, 1);
        else if (r.status == 503 && strstr(r.headers, "etry-After"))
            atomic_fetch_add(&l->unavailable, 1);
        else
            atomic_fetch_add(&l->other, 1);
        mzt_resp_free(&r);
        usleep(5000);
    }
    return NULL;
}

static long status_of(mzt_server *s, const char *path)
{
    mzt_resp r;
    long st = mzt_http(s, "GET", path, NULL, NULL, NULL, &r) ? r.status : -1;
    mzt_resp_free(&r);
    return st;
}

static void test_database_stopped_under_load(void **state)
{
    (void)state;
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    char *tok = mzt_citizen_token(&g_env, "999993653");
    load l = {.srv = &s, .token = tok};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, reader, &l);
    sleep(1);
    assert_true(atomic_load(&l.ok) > 0);
    assert_int_equal(status_of(&s, "/readyz"), 200);

    /* The database goes away hard. */
    char crash[700];
    snprintf(crash, sizeof crash, "pg_as_owner $PG_BIN/pg_ctl -D %s/data -m immediate -w stop",
             g_dir);
    assert_int_equal(pg(crash), 0);
    long ok_before = atomic_load(&l.ok);
    sleep(2);
    assert_int_equal(status_of(&s, "/readyz"), 503);
    assert_int_equal(status_of(&s, "/healthz"), 200); /* alive */
    long unavailable = atomic_load(&l.unavailable);
    assert_true(unavailable > 0);
    assert_true(atomic_load(&l.ok) - ok_before <= 8); /* only requests already under way */

    /* It comes back: the service recovers by itself. */
    char start[700];
    snprintf(start, sizeof start, "pg_cluster_start %s/data %s/sock", g_dir, g_dir);
    assert_int_equal(pg(start), 0);
    long ok_after = atomic_load(&l.ok);
    bool recovered = false;
    for (int i = 0; i < 100 && !recovered; i++) {
        usleep(100 * 1000);
        recovered = atomic_load(&l.ok) > ok_after + 10 && status_of(&s, "/readyz") == 200;
    }
    atomic_store(&l.stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("database outage: %ld ok, %ld 503 with Retry-After, %ld other, %ld transport errors\n",
           atomic_load(&l.ok), atomic_load(&l.unavailable), atomic_load(&l.other),
           atomic_load(&l.transport));
    assert_true(recovered);
    assert_int_equal(atomic_load(&l.other), 0); /* never a 500 */
    /* never a dropped connection, nor an answer outside the contract
     * (mzt_http returns false for those on this test's reader threads) */
    assert_int_equal(atomic_load(&l.transport), 0);
    free(tok);
    assert_int_equal(mzt_server_stop(&s), 0); /* and it never crashed */
}

static long count_on(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, sql);
    long n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    return n;
}

/* Reads go to a streaming replica (MZ_DATABASE_READ_URL), writes — the
 * processing log among them — to the primary. The replica is a real one,
 * made with pg_basebackup from the test's own cluster. */
static void test_read_replica(void **state)
{
    (void)state;
    char action[1200];
    snprintf(action, sizeof action,
             "pg_replica_create %s/sock %s/replica && pg_cluster_start %s/replica %s/rsock", g_dir,
             g_dir, g_dir, g_dir);
    assert_int_equal(pg(action), 0);
    char read_url[600];
    snprintf(read_url, sizeof read_url, "host=%s/rsock user=postgres dbname=%s", g_dir,
             g_env.dbname);
    assert_int_equal(count_on(read_url, "SELECT pg_is_in_recovery()::int"), 1);
    /* a case written on the primary reaches the replica */
    assert_true(mzt_sql(&g_env, "INSERT INTO agencies (id, name, adapter_kind) VALUES "
                                "('replica-test', 'Replica Test', 'rest-json')"));
    char err[200];
    mz_db *db = mzt_store_open(&g_env);
    assert_non_null(db);
    mz_case_record rec = {.agency_id = "replica-test",
                          .external_id = "r-1",
                          .title = "Van de replica gelezen",
                          .status_group = "received",
                          .status_text = "Ontvangen",
                          .status_changed_at = "2026-03-01 10:00:00+00",
                          .source_updated_at = "2026-03-01 10:00:00+00",
                          .source = "poll"};
    mz_pseudonym("999990019", 9, rec.subject_key);
    assert_int_equal(mz_store_upsert_case(db, &rec, err, sizeof err), MZ_UPSERT_APPLIED);
    mz_db_close(db);
    for (int i = 0; i < 100 && count_on(read_url, "SELECT count(*) FROM cases") < 1; i++)
        usleep(50 * 1000);
    char kv[700];
    snprintf(kv, sizeof kv, "MZ_DATABASE_READ_URL=%s", read_url);
    const char *env[] = {kv, NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_citizen_token(&g_env, "999990019");
    long plog_before = mzt_query_long(&g_env, "SELECT count(*) FROM processing_log");
    mzt_resp r;
    assert_true(mzt_http(&s, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "Van de replica gelezen"));
    mzt_resp_free(&r);
    /* the read came from the replica, the processing log went to the primary */
    assert_true(count_on(read_url, "SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name = 'mijnzaken'") >= 1);
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM processing_log"),
                     plog_before + 1);
    free(tok);
    assert_int_equal(mzt_server_stop(&s), 0);
    snprintf(action, sizeof action, "pg_cluster_stop %s/replica; rm -rf %s/replica", g_dir, g_dir);
    pg(action);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_database_stopped_under_load),
        cmocka_unit_test(test_read_replica),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
