/* Unit tests for service/config.c: defaults, strict parsing, listen split. */
/* cmocka needs these first, in this order */
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

#include "config.h"

static const char *const g_vars[] = {
    "MZ_DATABASE_URL",
    "MZ_DATABASE_READ_URL",
    "MZ_LISTEN",
    "MZ_JWT_PUBLIC_KEY_FILE",
    "MZ_JWT_PRIVATE_KEY_FILE",
    "MZ_JWT_ALG",
    "MZ_JWT_ISSUER",
    "MZ_JWT_AUDIENCE",
    "MZ_AGENCIES_FILE",
    "MZ_PSEUDONYM_KEY_FILE",
    "MZ_REFRESH_AFTER",
    "MZ_DEV_MODE",
    "MZ_THREADS",
    "MZ_MAX_CONNECTIONS",
    "MZ_PER_IP_CONNECTIONS",
    "MZ_CONNECTION_TIMEOUT",
    "MZ_MAX_BODY_BYTES",
    "MZ_LOG_LEVEL",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof g_vars / sizeof *g_vars; i++)
        unsetenv(g_vars[i]);
}

static int reset(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

/* Loads with one variable set; expects success. Caller frees. */
static void load_ok(mz_config *c, const char *name, const char *value)
{
    clear_env();
    if (name)
        setenv(name, value, 1);
    char err[256] = "";
    if (!mz_config_load(c, err, sizeof err))
        fail_msg("%s=\"%s\" refused: %s", name ? name : "(none)", value ? value : "", err);
}

/* Loads with one variable set; expects an error naming the variable. */
static void load_bad(const char *name, const char *value)
{
    clear_env();
    setenv(name, value, 1);
    char err[256];
    memset(err, 0, sizeof err);
    mz_config c;
    memset(&c, 0x5a, sizeof c);
    if (mz_config_load(&c, err, sizeof err)) {
        mz_config_free(&c);
        fail_msg("%s=\"%s\" accepted", name, value);
    }
    if (!strstr(err, name))
        fail_msg("%s=\"%s\": error \"%s\" does not name the variable", name, value, err);
    /* the error is safe to free again */
    mz_config_free(&c);
}

static void test_defaults(void **state)
{
    (void)state;
    mz_config c;
    load_ok(&c, NULL, NULL);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.jwt_alg, "RS256");
    assert_string_equal(c.jwt_issuer, "https://login.mijnzaken.example");
    assert_string_equal(c.jwt_audience, "mijnzaken");
    assert_string_equal(c.database_url, "");
    assert_null(c.database_read_url);
    assert_null(c.jwt_public_key_file);
    assert_null(c.jwt_private_key_file);
    assert_null(c.agencies_file);
    assert_null(c.pseudonym_key_file);
    assert_string_equal(c.log_level, "info");
    assert_int_equal(c.refresh_after, 300);
    assert_false(c.dev_mode);
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.max_connections, 1024);
    assert_int_equal(c.per_ip_connections, 128);
    assert_int_equal(c.connection_timeout, 15);
    assert_int_equal(c.max_body_bytes, 65536);
    char host[256];
    unsigned port = 1;
    assert_true(mz_config_listen(&c, host, &port));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    mz_config_free(&c);
    assert_null(c.listen);
    assert_null(c.jwt_alg);
    mz_config_free(&c); /* twice is fine */
}

static void test_values_taken(void **state)
{
    (void)state;
    mz_config c;
    load_ok(&c, "MZ_REFRESH_AFTER", "0");
    assert_int_equal(c.refresh_after, 0);
    mz_config_free(&c);
    load_ok(&c, "MZ_REFRESH_AFTER", "86400");
    assert_int_equal(c.refresh_after, 86400);
    mz_config_free(&c);
    load_ok(&c, "MZ_REFRESH_AFTER", ""); /* empty means default */
    assert_int_equal(c.refresh_after, 300);
    mz_config_free(&c);
    load_ok(&c, "MZ_JWT_ALG", "ES256");
    assert_string_equal(c.jwt_alg, "ES256");
    mz_config_free(&c);
    load_ok(&c, "MZ_JWT_ISSUER", "https://login.test.example");
    assert_string_equal(c.jwt_issuer, "https://login.test.example");
    mz_config_free(&c);
    load_ok(&c, "MZ_JWT_PUBLIC_KEY_FILE", "/tmp/x.pub");
    assert_string_equal(c.jwt_public_key_file, "/tmp/x.pub");
    mz_config_free(&c);
    load_ok(&c, "MZ_MAX_BODY_BYTES", "1024");
    assert_int_equal(c.max_body_bytes, 1024);
    mz_config_free(&c);
    load_ok(&c, "MZ_LISTEN", "127.0.0.1:0");
    assert_string_equal(c.listen, "127.0.0.1:0");
    mz_config_free(&c);
}

static void test_dev_mode(void **state)
{
    (void)state;
    struct {
        const char *v;
        bool want;
    } ok[] = {{"1", true}, {"true", true}, {"0", false}, {"false", false}, {"", false}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        mz_config c;
        load_ok(&c, "MZ_DEV_MODE", ok[i].v);
        if (c.dev_mode != ok[i].want)
            fail_msg("MZ_DEV_MODE=\"%s\" gave %d", ok[i].v, c.dev_mode);
        mz_config_free(&c);
    }
    const char *bad[] = {"yes", "no", "2", "TRUE", "on", " 1", "1 ", "01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        load_bad("MZ_DEV_MODE", bad[i]);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    const char *bad[] = {"abc",   "-1",  "99999999", "86401",
                         "12abc", "1.5", "0x10",     "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        load_bad("MZ_REFRESH_AFTER", bad[i]);
    load_bad("MZ_THREADS", "257");
    load_bad("MZ_MAX_CONNECTIONS", "0");
    load_bad("MZ_CONNECTION_TIMEOUT", "0");
    load_bad("MZ_MAX_BODY_BYTES", "1023");
    load_bad("MZ_MAX_BODY_BYTES", "16777217");
    load_bad("MZ_PER_IP_CONNECTIONS", "-5");
}

static void test_bad_alg_and_listen(void **state)
{
    (void)state;
    const char *algs[] = {"HS256", "none", "rs256", "RS512", "RS256 "};
    for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
        load_bad("MZ_JWT_ALG", algs[i]);
    const char *listens[] = {"nohost",     ":8080",   "host:",    "host:70000",
                             "host:65536", "host:-1", "host:80x", "host:abc"};
    for (size_t i = 0; i < sizeof listens / sizeof *listens; i++)
        load_bad("MZ_LISTEN", listens[i]);
    /* enumerated settings are checked by the table when loaded, not later */
    const char *levels[] = {"loud", "INFO", "warning", "info "};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        load_bad("MZ_LOG_LEVEL", levels[i]);
    const char *good[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        mz_config c;
        load_ok(&c, "MZ_LOG_LEVEL", good[i]);
        assert_string_equal(c.log_level, good[i]);
        mz_config_free(&c);
    }
}

static void test_listen_split(void **state)
{
    (void)state;
    struct {
        const char *listen;
        bool ok;
        const char *host;
        unsigned port;
    } cases[] = {
        {"127.0.0.1:0", true, "127.0.0.1", 0},
        {"127.0.0.1:65535", true, "127.0.0.1", 65535},
        {"localhost:8080", true, "localhost", 8080},
        {"[::1]:9000", true, "[::1]", 9000}, /* split at the last ':' */
        {"a:1:2", true, "a:1", 2},
        {"host:70000", false, NULL, 0},
        {"host:65536", false, NULL, 0},
        {"host:", false, NULL, 0},
        {":80", false, NULL, 0},
        {"nohost", false, NULL, 0},
        {"", false, NULL, 0},
        {"host:-1", false, NULL, 0},
        {"host:99999999999999999999", false, NULL, 0},
        {"host:80 x", false, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_config c;
        memset(&c, 0, sizeof c);
        c.listen = (char *)cases[i].listen;
        char host[256];
        strcpy(host, "unchanged");
        unsigned port = 12345;
        bool ok = mz_config_listen(&c, host, &port);
        if (ok != cases[i].ok)
            fail_msg("\"%s\": expected %s", cases[i].listen, cases[i].ok ? "ok" : "refusal");
        if (!ok)
            continue;
        assert_string_equal(host, cases[i].host);
        assert_int_equal(port, cases[i].port);
    }
    mz_config c;
    memset(&c, 0, sizeof c);
    char host[256];
    unsigned port;
    assert_false(mz_config_listen(&c, host, &port)); /* listen NULL */

    /* host must fit in 256 bytes with its NUL */
    char buf[400];
    memset(buf, 'h', 255);
    strcpy(buf + 255, ":80");
    c.listen = buf;
    assert_true(mz_config_listen(&c, host, &port));
    assert_int_equal(strlen(host), 255);
    assert_int_equal(port, 80);
    memset(buf, 'h', 256);
    strcpy(buf + 256, ":80");
    assert_false(mz_config_listen(&c, host, &port));
}

static void test_help_lists_variables(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    mz_config_print_help(f);
    fclose(f);
    assert_non_null(text);
    for (size_t i = 0; i < sizeof g_vars / sizeof *g_vars; i++)
        if (!strstr(text, g_vars[i]))
            fail_msg("--help does not list %s", g_vars[i]);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, reset),
        cmocka_unit_test_setup(test_values_taken, reset),
        cmocka_unit_test_setup(test_dev_mode, reset),
        cmocka_unit_test_setup(test_bad_numbers, reset),
        cmocka_unit_test_setup(test_bad_alg_and_listen, reset),
        cmocka_unit_test_setup(test_listen_split, reset),
        cmocka_unit_test_setup(test_help_lists_variables, reset),
    };
    return cmocka_run_group_tests(tests, NULL, reset);
}
