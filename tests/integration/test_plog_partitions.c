/*
 * test_plog_partitions.c — migration 016: the processing log partitioned by
 * month (issue 18).
 *
 * - the migration converts a table with records in it without losing or
 *   changing one (ids included), puts them in their months' partitions,
 *   and the id sequence carries on;
 * - purge (mz_log_purge, what `mijnzaken purge` runs) drops the months
 *   wholly before the cut-off and removes exactly the expired records of
 *   the month the cut-off falls in and of the default partition;
 * - the service makes the partitions ahead at start; a month made late
 *   takes its records out of the default partition.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mzt.h"

static mzt_env g_env;

static int setup(void **state)
{
    (void)state;
    return mzt_env_setup(&g_env, "plog_partitions") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

static void sql(const char *text)
{
    if (!mzt_sql(&g_env, text))
        fail_msg("SQL failed: %.200s", text);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Applies migrations/NNN_*.sql with from <= NNN < to, in order. */
static void apply_migrations(int from, int to)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/migrations", getenv("MZ_SOURCE_DIR"));
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        int v = atoi(names[i]->d_name);
        if (v >= from && v < to && strstr(names[i]->d_name, ".sql")) {
            char path[1200];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            size_t len;
            char *text = mzt_slurp(path, &len);
            assert_non_null(text);
            if (!mzt_sql(&g_env, text))
                fail_msg("migration %s failed", names[i]->d_name);
            free(text);
        }
        free(names[i]);
    }
    free(names);
}

#define ROWS_DIGEST                                                                                \
    "SELECT md5(string_agg(concat_ws('|', id, trace_id, span_id, parent_span_id, activity_id, "    \
    "activity_name, organisation, encode(subject_key, 'hex'), started_at, ended_at, outcome, "     \
    "subject_kind, encode(actor_key, 'hex')), ',' ORDER BY id)) FROM processing_log"

static void test_migration_keeps_every_record(void **state)
{
    (void)state;
    /* the schema as it was before 016 */
    sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    apply_migrations(1, 16);
    /* 2,000 records over the last 14 months (some with a representative),
     * and a few deleted ones: the ids have gaps */
    sql("INSERT INTO processing_log (trace_id, span_id, parent_span_id, activity_id, "
        "activity_name, organisation, subject_key, started_at, ended_at, outcome, subject_kind, "
        "actor_key) SELECT md5(i::text), left(md5('s' || i), 16), CASE WHEN i % 3 = 0 THEN "
        "left(md5('p' || i), 16) END, 'self', 'Eigen zaken', 'Gemeente Test', "
        "sha256(('k' || i % 50)::bytea), now() - (i * interval '5 hours'), now() - (i * "
        "interval '5 hours') + interval '3 ms', CASE WHEN i % 10 = 0 THEN 'not_found' ELSE "
        "'success' END, CASE WHEN i % 7 = 0 THEN 'kvk' ELSE 'bsn' END, CASE WHEN i % 11 = 0 "
        "THEN sha256(('a' || i)::bytea) END FROM generate_series(1, 2000) i");
    sql("DELETE FROM processing_log WHERE id % 97 = 0");
    long before = q("SELECT count(*) FROM processing_log");
    char *digest = mzt_query_text(&g_env, ROWS_DIGEST);
    long max_id = q("SELECT max(id) FROM processing_log");
    long months = q("SELECT count(DISTINCT date_trunc('month', started_at AT TIME ZONE 'UTC')) "
                    "FROM processing_log");
    assert_true(before > 1900 && months >= 14);

    apply_migrations(16, 17);
    assert_int_equal(q("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = "
                       "'processing_log'::regclass"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), before);
    char *after = mzt_query_text(&g_env, ROWS_DIGEST);
    assert_string_equal(after, digest); /* every record, every value, every id */
    free(after);
    free(digest);
    /* each in its month's partition; none left over in the default */
    assert_int_equal(q("SELECT count(*) FROM processing_log_default"), 0);
    assert_int_equal(q("SELECT count(DISTINCT tableoid) FROM processing_log"), months);
    assert_int_equal(q("SELECT count(*) FROM processing_log p WHERE tableoid <> "
                       "('processing_log_' || to_char(started_at AT TIME ZONE 'UTC', "
                       "'\"y\"YYYY\"m\"MM'))::regclass"),
                     0);
    /* this month and the next three are there */
    assert_int_equal(q("SELECT count(to_regclass('processing_log_' || to_char((now() + "
                       "make_interval(months => i)) AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM'))) "
                       "FROM generate_series(0, 3) i"),
                     4);
    /* new records carry on the ids */
    sql("INSERT INTO processing_log (trace_id, span_id, activity_id, activity_name, "
        "organisation, subject_key, started_at, ended_at, outcome) VALUES (repeat('a', 32), "
        "repeat('b', 16), 'self', 'Eigen zaken', 'Gemeente Test', sha256('x'), now(), now(), "
        "'success')");
    assert_true(q("SELECT max(id) FROM processing_log") > max_id);
    assert_int_equal(q("SELECT count(*) FROM processing_log_default"), 0);
    /* the rest of the schema as the migrator leaves it, for the next tests */
    sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    const char *args[] = {"migrate", NULL};
    assert_int_equal(mzt_run(&g_env, NULL, args), 0);
}

static void insert_at(const char *when)
{
    char text[800];
    snprintf(
        text, sizeof text,
        "INSERT INTO processing_log (trace_id, span_id, activity_id, activity_name, "
        "organisation, subject_key, started_at, ended_at, outcome) VALUES (md5(random()::text), "
        "left(md5(random()::text), 16), 'self', 'Eigen zaken', 'Gemeente Test', sha256('x'), "
        "%s, %s, 'success')",
        when, when);
    sql(text);
}

static void test_purge_drops_whole_months(void **state)
{
    (void)state;
    sql("DELETE FROM processing_log");
    /* months 8, 7 and 6 back get partitions (as if the service had run
     * then); older records sit in the default partition */
    sql("SELECT mz_log_partition_for(now() - make_interval(months => i)) FROM generate_series(6, "
        "8) i");
    for (int i = 0; i < 3; i++) {
        insert_at("now() - interval '400 days'"); /* default: goes */
        insert_at("date_trunc('month', now() - interval '8 months') + interval '1 day'");
        insert_at("date_trunc('month', now() - interval '7 months') + interval '1 day'");
    }
    /* the cut-off inside month 6 back: records on both sides of it */
    insert_at("date_trunc('month', now() - interval '6 months') + interval '1 day'"); /* goes */
    insert_at("date_trunc('month', now() - interval '6 months') + interval '20 days'");
    insert_at("now()");
    long m8 = q("SELECT to_regclass('processing_log_' || to_char((now() - interval '8 months') "
                "AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM'))::oid");
    assert_true(m8 > 0);
    assert_int_equal(q("SELECT count(*) FROM processing_log_default"), 3);
    /* cut-off: the 10th of month 6 back */
    assert_int_equal(q("SELECT mz_log_purge(date_trunc('month', now() - interval '6 months') + "
                       "interval '10 days')"),
                     3 + 3 + 3 + 1);
    /* months 8 and 7 are gone as tables, month 6 stays with its later record */
    assert_int_equal(q("SELECT count(to_regclass('processing_log_' || to_char((now() - "
                       "make_interval(months => i)) AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM'))) "
                       "FROM generate_series(7, 8) i"),
                     0);
    assert_int_equal(q("SELECT count(to_regclass('processing_log_' || to_char((now() - interval "
                       "'6 months') AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM')))"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM processing_log"), 2);
    assert_int_equal(q("SELECT count(*) FROM processing_log_default"), 0);
}

static void test_made_ahead_and_late(void **state)
{
    (void)state;
    /* the service makes the coming months at start */
    sql("DROP TABLE IF EXISTS processing_log_future_probe");
    char drop[300];
    char *name = mzt_query_text(&g_env, "SELECT 'processing_log_' || to_char((now() + interval "
                                        "'3 months') AT TIME ZONE 'UTC', '\"y\"YYYY\"m\"MM')");
    assert_non_null(name);
    snprintf(drop, sizeof drop, "DROP TABLE %s", name);
    sql(drop);
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    char probe[300];
    snprintf(probe, sizeof probe, "SELECT count(to_regclass('%s'))", name);
    long made = 0;
    for (int i = 0; i < 200 && (made = q(probe)) != 1; i++)
        usleep(10000);
    assert_int_equal(made, 1);
    assert_int_equal(mzt_server_stop(&s), 0);
    free(name);
    /* a record for a month that has no partition yet lands in the default;
     * making that month moves it there */
    insert_at("now() + interval '10 months'");
    assert_int_equal(q("SELECT count(*) FROM processing_log_default"), 1);
    assert_int_equal(q("SELECT mz_log_partition_for(now() + interval '10 months')::int"), 1);
    assert_int_equal(q("SELECT count(*) FROM processing_log_default"), 0);
    assert_int_equal(q("SELECT count(*) FROM processing_log WHERE started_at > now() + interval "
                       "'9 months'"),
                     1);
    assert_int_equal(q("SELECT mz_log_partition_for(now() + interval '10 months')::int"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_keeps_every_record),
        cmocka_unit_test(test_purge_drops_whole_months),
        cmocka_unit_test(test_made_ahead_and_late),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
