/*
 * test_statements.c — the statement table checks itself (after the GNU
 * Taler exchange, whose result specs are checked against the schema): every
 * statement in db_statements.c is prepared against the fully migrated
 * schema, and Postgres' own description of it must agree with the table.
 *
 * Why: a statement is otherwise first prepared when its caller runs. A typo
 * in a rarely used one (purge, rekey) would fail at 3 a.m. in production,
 * not in CI. Checked here:
 *   - every slot of the table is filled, names are unique and are valid
 *     prepared-statement names (they are also used in logs and metrics);
 *   - the statement prepares (parses, names existing tables and columns,
 *     types check);
 *   - the number of parameters Postgres infers equals the table's nparams
 *     (the count mz_db_exec passes to libpq);
 *   - the result columns Postgres describes are the ones db_columns.h
 *     declares (the enums readers index results by): the same count, and
 *     each named as declared, in order; none for a statement without rows;
 *   - mz_db_exec refuses a call whose count of values differs from the
 *     table's nparams (and a debug build asserts).
 */
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
#include <unistd.h>

#include "db.h"
#include "db_statements.h"
#include "mzt.h"

static mzt_env g_env;
static mz_db *g_db;

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "statements"))
        return -1;
    char err[200];
    g_db = mz_db_connect(g_env.db_url, 0, err, sizeof err);
    return g_db ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mz_db_close(g_db);
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static void test_table_is_complete_and_names_unique(void **state)
{
    (void)state;
    for (int i = 0; i < MZ_STMT__COUNT; i++) {
        const mz_stmt_def *d = &mz_stmt_defs[i];
        assert_non_null(d->name);
        assert_non_null(d->sql);
        assert_true(d->nparams >= 0 && d->nparams <= 100);
        assert_string_equal(mz_db_stmt_name((mz_stmt)i), d->name);
        for (const char *p = d->name; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
        for (int j = 0; j < i; j++)
            assert_string_not_equal(mz_stmt_defs[j].name, d->name);
    }
}

/* 0 when the described result r has exactly the declared columns, else 1
 * (and says which differ). */
static int columns_differ(const char *stmt, const mz_stmt_result *want, const PGresult *r)
{
    int bad = 0;
    if (PQnfields(r) != want->count) {
        fprintf(stderr, "statement %s: db_columns.h declares %d result columns, Postgres has %d\n",
                stmt, want->count, PQnfields(r));
        bad = 1;
    }
    for (int c = 0; c < PQnfields(r) && c < want->count; c++) {
        if (strcmp(PQfname(r, c), want->names[c]) != 0) {
            fprintf(stderr, "statement %s: result column %d is \"%s\", declared \"%s\"\n", stmt, c,
                    PQfname(r, c), want->names[c]);
            bad = 1;
        }
    }
    return bad;
}

static void test_every_statement_prepares_with_its_parameters_and_columns(void **state)
{
    (void)state;
    PGconn *pg = mz_db_pg(g_db);
    int bad = 0;
    for (int i = 0; i < MZ_STMT__COUNT; i++) {
        const mz_stmt_def *d = &mz_stmt_defs[i];
        char name[100];
        snprintf(name, sizeof name, "check_%s", d->name);
        PGresult *r = PQprepare(pg, name, d->sql, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "statement %s does not prepare: %s", d->name, PQresultErrorMessage(r));
            bad++;
            PQclear(r);
            continue;
        }
        PQclear(r);
        r = PQdescribePrepared(pg, name);
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        if (PQnparams(r) != d->nparams) {
            fprintf(stderr, "statement %s: the table says %d parameters, Postgres sees %d\n",
                    d->name, d->nparams, PQnparams(r));
            bad++;
        }
        bad += columns_differ(d->name, &mz_stmt_results[i], r);
        PQclear(r);
    }
    assert_int_equal(bad, 0);
}

/* The column check above can fail: a declaration that misses a column,
 * names one differently or swaps two is reported. */
static void test_column_check_detects_differences(void **state)
{
    (void)state;
    PGconn *pg = mz_db_pg(g_db);
    PGresult *r = PQprepare(pg, "check_cols_probe", "SELECT 1 AS a, 2 AS b", 0, NULL);
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    r = PQdescribePrepared(pg, "check_cols_probe");
    static const char *const same[] = {"a", "b"}, *const swapped[] = {"b", "a"},
                             *const fewer[] = {"a"};
    assert_int_equal(columns_differ("probe", &(mz_stmt_result){same, 2}, r), 0);
    assert_int_equal(columns_differ("probe", &(mz_stmt_result){swapped, 2}, r), 1);
    assert_int_equal(columns_differ("probe", &(mz_stmt_result){fewer, 1}, r), 1);
    assert_int_equal(columns_differ("probe", &(mz_stmt_result){NULL, 0}, r), 1);
    PQclear(r);
}

/* The case row is declared once (MZ_COLS_CASE) and shared by the three
 * statements that return a case; case_get_any adds the subject key last,
 * so cases_json.c may index any of them by MZ_COL_CASE_*. */
static void test_case_statements_share_the_case_row(void **state)
{
    (void)state;
    assert_int_equal(mz_stmt_results[MZ_STMT_CASES_LIST].count, MZ_COL_CASE__COUNT);
    assert_int_equal(mz_stmt_results[MZ_STMT_CASE_GET].count, MZ_COL_CASE__COUNT);
    assert_int_equal(MZ_COL_CASE_GET_ANY_SUBJECT_KEY_HEX, MZ_COL_CASE__COUNT);
    for (int c = 0; c < MZ_COL_CASE__COUNT; c++)
        assert_string_equal(mz_stmt_results[MZ_STMT_CASE_GET_ANY].names[c],
                            mz_stmt_results[MZ_STMT_CASES_LIST].names[c]);
}

/* Makes a call that must be refused, mz_db_exec(stmt, nvalues, values), in
 * a child process (a debug build aborts there) and tells how it ended:
 * REFUSED (an error result, nothing sent), ABORTED (the debug assertion),
 * or RAN (the check let it through). */
enum call_end { RAN, REFUSED, ABORTED };
static enum call_end call_in_child(mz_stmt id, int nvalues, const char *const *values)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The parent's connection is shared: only calls that must be
         * refused (sending nothing) are made here. */
        PGresult *r = mz_db_exec(g_db, id, nvalues, values, NULL, NULL);
        _exit(r && !mz_db_ok(r) ? REFUSED : RAN);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT)
        return ABORTED;
    assert_true(WIFEXITED(st));
    return (enum call_end)WEXITSTATUS(st);
}

#ifdef NDEBUG
#define WRONG_CALL_ENDS REFUSED
#else
#define WRONG_CALL_ENDS ABORTED
#endif

/* mz_db_exec checks the number of values its caller gives against the
 * table's nparams: too few (libpq would read past the array), too many (the
 * caller misread the statement), or none for a statement with parameters
 * (libpq would bind them all as NULL) are refused with an error result, and
 * are an assertion failure in a debug build (the sanitizer runs in CI). */
static void test_exec_refuses_a_wrong_parameter_count(void **state)
{
    (void)state;
    const char *one[1] = {"00000000-0000-0000-0000-000000000000"};
    const char *two[2] = {"7", "8"};
    assert_int_equal(call_in_child(MZ_STMT_CASE_GET_ANY, 0, NULL), WRONG_CALL_ENDS);
    assert_int_equal(call_in_child(MZ_STMT_CASE_GET_ANY, 1, NULL), WRONG_CALL_ENDS);
    assert_int_equal(call_in_child(MZ_STMT_CASE_GET_ANY, 2, two), WRONG_CALL_ENDS);
    assert_int_equal(call_in_child(MZ_STMT_REKEY_CASES, 1, one), WRONG_CALL_ENDS);
    assert_int_equal(call_in_child(MZ_STMT_PURGE_CASES, 2, two), WRONG_CALL_ENDS);
    assert_int_equal(call_in_child(MZ_STMT_MIGRATIONS_APPLIED, 1, one), WRONG_CALL_ENDS);
    /* A right call runs, through the counting macros. */
    PGresult *r = MZ_DB_EXEC(g_db, MZ_STMT_CASE_GET_ANY, one);
    assert_true(mz_db_ok(r));
    assert_int_equal(PQntuples(r), 0);
    PQclear(r);
    r = MZ_DB_EXEC0(g_db, MZ_STMT_MIGRATIONS_APPLIED);
    assert_true(mz_db_ok(r));
    assert_true(PQntuples(r) > 0);
    PQclear(r);
}

/* Every purge and rekey statement (run rarely, by hand or by cron) is
 * called with the count its caller passes in maintenance: one value (the
 * days) for a purge, two (old and new keys) for a rekey update. */
static void test_maintenance_statements_take_what_their_callers_give(void **state)
{
    (void)state;
    const mz_stmt purge[] = {MZ_STMT_PURGE_COUNT_EVENTS, MZ_STMT_PURGE_CASES, MZ_STMT_PURGE_PLOG,
                             MZ_STMT_PURGE_AUDIT, MZ_STMT_PURGE_INBOX};
    for (size_t i = 0; i < sizeof purge / sizeof purge[0]; i++)
        assert_int_equal(mz_db_stmt_nparams(purge[i]), 1);
    const mz_stmt rekey[] = {MZ_STMT_REKEY_CASES, MZ_STMT_REKEY_REFRESH, MZ_STMT_REKEY_PLOG};
    for (size_t i = 0; i < sizeof rekey / sizeof rekey[0]; i++)
        assert_int_equal(mz_db_stmt_nparams(rekey[i]), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_complete_and_names_unique),
        cmocka_unit_test(test_every_statement_prepares_with_its_parameters_and_columns),
        cmocka_unit_test(test_column_check_detects_differences),
        cmocka_unit_test(test_case_statements_share_the_case_row),
        cmocka_unit_test(test_exec_refuses_a_wrong_parameter_count),
        cmocka_unit_test(test_maintenance_statements_take_what_their_callers_give),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
