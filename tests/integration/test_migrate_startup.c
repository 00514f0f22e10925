/*
 * test_migrate_startup.c — the migrator (idempotent, concurrent-safe,
 * refuses edited or unknown migrations) and the service's start-up rules
 * (no key → refuse; database down or schema behind → start, but not ready).
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "mzt.h"

static mzt_env g_env;

static int setup(void **state)
{
    (void)state;
    return mzt_env_setup(&g_env, "migrate") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (!mzt_env_teardown(&g_env))
        return -1; /* a plain BSN reached the database */
    return 0;
}

static long count(const char *sql)
{
    PGconn *c = PQconnectdb(g_env.db_url);
    PGresult *r = PQexec(c, sql);
    long n = PQresultStatus(r) == PGRES_TUPLES_OK ? atol(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    return n;
}

static const char *const migrate_args[] = {"migrate", NULL};

static void test_idempotent(void **state)
{
    (void)state;
    assert_int_equal(count("SELECT count(*) FROM schema_migrations"), (long)mz_migrations_count);
    assert_int_equal(mzt_run(&g_env, NULL, migrate_args), 0);
    assert_int_equal(mzt_run(&g_env, NULL, migrate_args), 0);
    assert_int_equal(count("SELECT count(*) FROM schema_migrations"), (long)mz_migrations_count);
    assert_int_equal(count("SELECT count(*) FROM schema_migrations WHERE length(checksum) = 64"),
                     (long)mz_migrations_count);
}

static void test_concurrent_migrators(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    assert_int_equal(count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);
    pid_t pids[4];
    for (int i = 0; i < 4; i++)
        pids[i] = mzt_start(&g_env, NULL, migrate_args, NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(mzt_wait(pids[i]), 0);
    assert_int_equal(count("SELECT count(*) FROM schema_migrations"), (long)mz_migrations_count);
    assert_true(count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename "
                      "IN ('agencies','cases','case_events','sync_state','inbox','processing_log',"
                      "'audit_log','subject_refresh')") == 8);
}

static bool log_contains(const char *path, const char *needle)
{
    size_t n;
    char *txt = mzt_slurp(path, &n);
    bool found = txt && strstr(txt, needle);
    free(txt);
    return found;
}

static void test_edited_migration_refused(void **state)
{
    (void)state;
    char log[300];
    snprintf(log, sizeof log, "%s/commands.log", g_env.dir);
    assert_true(mzt_sql(&g_env, "UPDATE schema_migrations SET checksum = repeat('0', 64) "
                                "WHERE version = 1"));
    assert_int_not_equal(mzt_run(&g_env, NULL, migrate_args), 0);
    assert_true(log_contains(log, "was edited after it was applied"));
    /* serve refuses too */
    mzt_server s;
    assert_false(mzt_server_start(&s, &g_env, NULL));
    assert_true(log_contains(s.log, "refusing to start"));
    /* restore the true checksum by re-recording it */
    assert_true(mzt_sql(&g_env, "DELETE FROM schema_migrations"));
    assert_true(mzt_sql(&g_env, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    assert_int_equal(mzt_run(&g_env, NULL, migrate_args), 0);
}

static void test_newer_database_refused(void **state)
{
    (void)state;
    assert_true(mzt_sql(&g_env, "INSERT INTO schema_migrations (version, name, checksum) "
                                "VALUES (9999, '9999_future.sql', repeat('a', 64))"));
    assert_int_not_equal(mzt_run(&g_env, NULL, migrate_args), 0);
    char log[300];
    snprintf(log, sizeof log, "%s/commands.log", g_env.dir);
    assert_true(log_contains(log, "newer than this binary"));
    assert_true(mzt_sql(&g_env, "DELETE FROM schema_migrations WHERE version = 9999"));
    assert_int_equal(mzt_run(&g_env, NULL, migrate_args), 0);
}

static void test_refuses_without_keys(void **state)
{
    (void)state;
    mzt_server s;
    const char *nokey[] = {"MZ_JWT_PUBLIC_KEY_FILE=", NULL};
    assert_false(mzt_server_start(&s, &g_env, nokey));
    assert_true(log_contains(s.log, "MZ_JWT_PUBLIC_KEY_FILE is not set"));
    const char *badkey[] = {"MZ_JWT_PUBLIC_KEY_FILE=/nonexistent/key.pem", NULL};
    assert_false(mzt_server_start(&s, &g_env, badkey));
    const char *nopseudo[] = {"MZ_PSEUDONYM_KEY_FILE=/nonexistent/pseudonym.key", NULL};
    assert_false(mzt_server_start(&s, &g_env, nopseudo));
    assert_true(log_contains(s.log, "pseudonym key"));
    const char *badalg[] = {"MZ_JWT_ALG=HS256", NULL};
    assert_false(mzt_server_start(&s, &g_env, badalg));
}

static void test_not_ready_when_behind_or_down(void **state)
{
    (void)state;
    /* Schema behind this build: starts, readyz 503 with Retry-After. */
    assert_true(mzt_sql(&g_env, "DELETE FROM schema_migrations WHERE version = "
                                "(SELECT max(version) FROM schema_migrations)"));
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, NULL));
    mzt_resp r;
    assert_true(mzt_http(&s, "GET", "/readyz", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    char h[64];
    assert_true(mzt_header(&r, "retry-after", h, sizeof h));
    assert_non_null(strstr(r.body, "pending"));
    mzt_resp_free(&r);
    assert_true(mzt_http(&s, "GET", "/healthz", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    mzt_resp_free(&r);
    assert_int_equal(mzt_server_stop(&s), 0);
    assert_true(mzt_sql(&g_env, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"));
    assert_int_equal(mzt_run(&g_env, NULL, migrate_args), 0);

    /* Database unreachable: starts, answers 503 (never 500), stays alive. */
    char url[400];
    snprintf(url, sizeof url, "MZ_DATABASE_URL=host=%s/no-such-socket-dir user=postgres",
             g_env.dir);
    const char *down[] = {url, NULL};
    assert_true(mzt_server_start(&s, &g_env, down));
    assert_true(mzt_http(&s, "GET", "/readyz", NULL, NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    mzt_resp_free(&r);
    char *tok = mzt_citizen_token(&g_env, "999993653");
    assert_true(mzt_http(&s, "GET", "/api/v1/me/cases", tok, NULL, NULL, &r));
    assert_int_equal(r.status, 503);
    assert_true(mzt_header(&r, "retry-after", h, sizeof h));
    assert_true(mzt_header(&r, "content-type", h, sizeof h));
    assert_string_equal(h, "application/problem+json");
    mzt_resp_free(&r);
    free(tok);
    assert_int_equal(mzt_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_concurrent_migrators),
        cmocka_unit_test(test_edited_migration_refused),
        cmocka_unit_test(test_newer_database_refused),
        cmocka_unit_test(test_refuses_without_keys),
        cmocka_unit_test(test_not_ready_when_behind_or_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
