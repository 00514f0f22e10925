/*
 * test_db_pipeline.c — mz_db_exec_pipeline (db.h), which the list builder
 * uses to send the freshness and the list of a subject in one round trip:
 * results in order and equal to running the statements one by one; an
 * error in one call leaves the others' results as errors (the caller
 * answers 503), not stale rows; a lost connection is reopened and the
 * pipeline re-run (retry-safe reads); a call with the wrong number of
 * values is refused before anything is sent; the connection is usable
 * afterwards in every case.
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
#include <unistd.h>

#include "db.h"
#include "mzt.h"
#include "store.h"

static mzt_env g_env;
static mz_db *g_db;

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "db_pipeline"))
        return -1;
    char err[200];
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    mz_agency_row a = {"gemeente-test", "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    bool ok = mz_store_upsert_agency(db, &a, err, sizeof err);
    mz_db_close(db);
    g_db = mz_db_connect(g_env.db_url, 0, err, sizeof err);
    return ok && g_db ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mz_db_close(g_db);
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static void test_results_in_order(void **state)
{
    (void)state;
    const char *known[1] = {"gemeente-test"}, *unknown[1] = {"nergens"};
    unsigned char key[32] = {1};
    const char *fv[1] = {(const char *)key};
    const int fl[1] = {32}, ff[1] = {1};
    mz_db_call calls[3] = {{MZ_STMT_AGENCY_EXISTS, 1, known, NULL, NULL},
                           {MZ_STMT_SUBJECT_FRESHNESS, 1, fv, fl, ff},
                           {MZ_STMT_AGENCY_EXISTS, 1, unknown, NULL, NULL}};
    PGresult *out[3];
    assert_true(mz_db_exec_pipeline(g_db, calls, 3, out));
    assert_int_equal(PQresultStatus(out[0]), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(out[0]), 1);
    assert_int_equal(PQresultStatus(out[1]), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(out[1]), 1); /* one enabled agency */
    assert_string_equal(PQgetvalue(out[1], 0, MZ_COL_SUBJECT_FRESHNESS_AGENCY_ID), "gemeente-test");
    assert_int_equal(PQresultStatus(out[2]), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(out[2]), 0);
    for (int i = 0; i < 3; i++)
        PQclear(out[i]);
    /* the same as one by one */
    PGresult *one = MZ_DB_EXEC_BIN(g_db, MZ_STMT_SUBJECT_FRESHNESS, fv, fl, ff);
    assert_int_equal(PQntuples(one), 1);
    PQclear(one);
}

static void test_error_aborts_the_rest(void **state)
{
    (void)state;
    unsigned char key[32] = {2};
    const char *bad[1] = {(const char *)key};
    const int bl[1] = {32}, bf[1] = {1};
    const char *known[1] = {"gemeente-test"};
    /* a binary text value with NUL bytes: the server refuses it (encoding) */
    mz_db_call calls[2] = {{MZ_STMT_AGENCY_EXISTS, 1, bad, bl, bf},
                           {MZ_STMT_AGENCY_EXISTS, 1, known, NULL, NULL}};
    PGresult *out[2];
    assert_true(mz_db_exec_pipeline(g_db, calls, 2, out));
    assert_false(mz_db_ok(out[0]));
    assert_false(mz_db_ok(out[1])); /* aborted with the pipeline, no rows */
    PQclear(out[0]);
    PQclear(out[1]);
    /* the connection is fine afterwards */
    PGresult *r = MZ_DB_EXEC(g_db, MZ_STMT_AGENCY_EXISTS, known);
    assert_true(mz_db_ok(r));
    assert_int_equal(PQntuples(r), 1);
    PQclear(r);
}

static void test_reconnects_once(void **state)
{
    (void)state;
    const char *known[1] = {"gemeente-test"};
    PGresult *r = MZ_DB_EXEC(g_db, MZ_STMT_AGENCY_EXISTS, known); /* connected */
    PQclear(r);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(mz_db_pg(g_db)));
    assert_true(mzt_sql(&g_env, sql));
    unsigned long before = mz_db_reconnects();
    mz_db_call calls[2] = {{MZ_STMT_AGENCY_EXISTS, 1, known, NULL, NULL},
                           {MZ_STMT_AGENCY_EXISTS, 1, known, NULL, NULL}};
    PGresult *out[2];
    /* the backend may take a moment to go: until it has, the first attempt
     * succeeds on the old connection; either way the answer is right */
    assert_true(mz_db_exec_pipeline(g_db, calls, 2, out));
    assert_int_equal(PQntuples(out[0]), 1);
    assert_int_equal(PQntuples(out[1]), 1);
    PQclear(out[0]);
    PQclear(out[1]);
    for (int i = 0; i < 50 && mz_db_reconnects() == before; i++) {
        assert_true(mz_db_exec_pipeline(g_db, calls, 2, out));
        assert_int_equal(PQntuples(out[1]), 1);
        PQclear(out[0]);
        PQclear(out[1]);
        usleep(20000);
    }
    assert_true(mz_db_reconnects() > before);
}

static void test_wrong_values_refused(void **state)
{
    (void)state;
    const char *two[2] = {"a", "b"};
    mz_db_call calls[1] = {{MZ_STMT_AGENCY_EXISTS, 2, two, NULL, NULL}};
    PGresult *out[1];
#ifdef NDEBUG
    assert_false(mz_db_exec_pipeline(g_db, calls, 1, out));
    assert_null(out[0]);
#else
    (void)calls;
    (void)out; /* debug builds assert in refuse_call (test_statements covers it) */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_in_order),
        cmocka_unit_test(test_error_aborts_the_rest),
        cmocka_unit_test(test_reconnects_once),
        cmocka_unit_test(test_wrong_values_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
