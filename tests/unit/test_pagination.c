/* Unit tests for service/pagination.c (page size, keyset cursors) and the
 * small helpers of service/cases_json.c (UUID check, timestamp format). */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases_json.h"
#include "crypto.h"
#include "pagination.h"

#define UUID_LC "0f8fad5b-d9cb-469f-a165-70867728950e"

static void test_page_size_ok(void **state)
{
    (void)state;
    int v = -7;
    assert_true(mz_page_size_parse(NULL, &v));
    assert_int_equal(v, MZ_PAGE_DEFAULT);
    assert_int_equal(MZ_PAGE_DEFAULT, 20);
    struct {
        const char *s;
        int v;
    } ok[] = {{"1", 1}, {"9", 9}, {"10", 10}, {"20", 20}, {"99", 99}, {"100", 100}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        v = -7;
        if (!mz_page_size_parse(ok[i].s, &v))
            fail_msg("refused \"%s\"", ok[i].s);
        assert_int_equal(v, ok[i].v);
    }
}

static void test_page_size_refused(void **state)
{
    (void)state;
    const char *bad[] = {"0",   "00", "101", "999", "1000", "-1",          "+5",  "05",
                         "1e2", " 5", "5 ",  "",    "abc",  "99999999999", "5.0", "0x10",
                         "1,0", "５", "\t5", "5\n", "-0",   "2147483648",  "10a"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int v = -7;
        if (mz_page_size_parse(bad[i], &v))
            fail_msg("accepted \"%s\" as %d", bad[i], v);
    }
}

static void test_cursor_round_trip(void **state)
{
    (void)state;
    const int64_t values[] = {0,
                              1,
                              -1,
                              1767348000123456LL,   /* 2026-01-02 10:00:00.123456 */
                              -62135596800000000LL, /* 0001-01-01 00:00:00 */
                              253402300799999999LL, /* 9999-12-31 23:59:59.999999 */
                              MZ_CURSOR_MIN_US + 1,
                              MZ_CURSOR_MAX_US - 1};
    const char *ids[] = {UUID_LC, "00000000-0000-0000-0000-000000000000",
                         "ffffffff-ffff-ffff-ffff-ffffffffffff"};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        for (size_t j = 0; j < sizeof ids / sizeof *ids; j++) {
            mz_cursor c = {.sort_us = values[i]};
            memcpy(c.id, ids[j], 37);
            char enc[MZ_CURSOR_MAX + 1];
            memset(enc, '#', sizeof enc);
            mz_cursor_encode(&c, enc);
            size_t n = strlen(enc);
            assert_true(n > 0 && n <= MZ_CURSOR_MAX);
            /* opaque and URL-safe: base64url alphabet only, no padding */
            assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789-_"),
                             n);
            assert_null(strstr(enc, "v1:"));
            mz_cursor d;
            memset(&d, 0, sizeof d);
            if (!mz_cursor_decode(enc, &d))
                fail_msg("own cursor refused: %s", enc);
            assert_true(d.sort_us == values[i]);
            assert_string_equal(d.id, ids[j]);
        }
    }
}

/* The cursor is base64url of the raw text: check the exact encoding. */
static void test_cursor_format(void **state)
{
    (void)state;
    mz_cursor c = {.sort_us = 123};
    memcpy(c.id, UUID_LC, 37);
    char enc[MZ_CURSOR_MAX + 1];
    mz_cursor_encode(&c, enc);
    char raw[100];
    long m = mz_b64url_decode(enc, strlen(enc), raw, sizeof raw - 1);
    assert_true(m > 0);
    raw[m] = '\0';
    assert_string_equal(raw, "v1:123:" UUID_LC);
}

static bool decode_raw(const char *raw, size_t n, mz_cursor *out)
{
    char enc[1024];
    assert_true(4 * (n + 2) / 3 + 1 < sizeof enc);
    mz_b64url_encode(raw, n, enc);
    return mz_cursor_decode(enc, out);
}

#define DECODE_LIT(lit, out) decode_raw((lit), sizeof(lit) - 1, (out))

static void test_cursor_decode_refused(void **state)
{
    (void)state;
    mz_cursor d;
    /* control: the hand-built form of a good cursor decodes */
    assert_true(DECODE_LIT("v1:123:" UUID_LC, &d));
    assert_int_equal(d.sort_us, 123);
    assert_string_equal(d.id, UUID_LC);
    assert_true(DECODE_LIT("v1:-42:" UUID_LC, &d));
    assert_int_equal(d.sort_us, -42);

    assert_false(mz_cursor_decode(NULL, &d));
    assert_false(mz_cursor_decode("", &d));

    /* too long, even though every character is base64url */
    char longc[MZ_CURSOR_MAX + 6];
    memset(longc, 'A', MZ_CURSOR_MAX + 4);
    longc[MZ_CURSOR_MAX + 4] = '\0';
    assert_false(mz_cursor_decode(longc, &d));

    /* characters outside base64url */
    char enc[MZ_CURSOR_MAX + 1];
    mz_cursor c = {.sort_us = 5};
    memcpy(c.id, UUID_LC, 37);
    mz_cursor_encode(&c, enc);
    assert_true(mz_cursor_decode(enc, &d));
    const char bad_chars[] = {'+', '/', '=', ' ', '.', '%', '\x80'};
    for (size_t i = 0; i < sizeof bad_chars; i++) {
        char copy[MZ_CURSOR_MAX + 1];
        strcpy(copy, enc);
        copy[4] = bad_chars[i];
        if (mz_cursor_decode(copy, &d))
            fail_msg("accepted a cursor with character 0x%02x", (unsigned char)bad_chars[i]);
    }
    /* padding appended */
    char padded[MZ_CURSOR_MAX + 4];
    snprintf(padded, sizeof padded, "%s=", enc);
    assert_false(mz_cursor_decode(padded, &d));

    /* well-formed base64url of wrong contents */
    assert_false(DECODE_LIT("v2:123:" UUID_LC, &d));
    assert_false(DECODE_LIT("V1:123:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:abc:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1::" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:-:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:+5:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1: 5:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:5 :" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:12x:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:123:not-a-uuid", &d));
    assert_false(DECODE_LIT("v1:123:" UUID_LC "extra", &d));
    assert_false(DECODE_LIT("v1:123:" UUID_LC ":", &d));
    assert_false(DECODE_LIT("v1:123:0f8fad5b-d9cb-469f-a165-70867728950", &d)); /* 35 */
    assert_false(DECODE_LIT("v1:123", &d));
    assert_false(DECODE_LIT("v1:", &d));
    assert_false(DECODE_LIT("v1", &d));
    assert_false(DECODE_LIT("x", &d));
    assert_false(DECODE_LIT("v1:99999999999999999999:" UUID_LC, &d)); /* overflow */
    assert_false(DECODE_LIT("v1:9223372036854775808:" UUID_LC, &d));  /* INT64_MAX + 1 */
    assert_false(DECODE_LIT("v1:-9223372036854775809:" UUID_LC, &d)); /* INT64_MIN - 1 */
    /* not the canonical decimal our encoder writes */
    assert_false(DECODE_LIT("v1:0123:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:00:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:-0:" UUID_LC, &d));
    assert_false(DECODE_LIT("v1:--5:" UUID_LC, &d));
    assert_true(DECODE_LIT("v1:0:" UUID_LC, &d));
    assert_true(d.sort_us == 0);
    /* embedded NUL: raw bytes that a C-string reader would cut short */
    assert_false(DECODE_LIT("v1:123:" UUID_LC "\0", &d));
    assert_false(DECODE_LIT("v1:1\00023:" UUID_LC, &d));
    assert_false(DECODE_LIT("\0v1:123:" UUID_LC, &d));
}

static bool decode_sort_key(int64_t v)
{
    char raw[100];
    int n = snprintf(raw, sizeof raw, "v1:%" PRId64 ":" UUID_LC, v);
    mz_cursor d;
    memset(&d, 0, sizeof d);
    bool ok = decode_raw(raw, (size_t)n, &d);
    if (ok)
        assert_true(d.sort_us == v);
    return ok;
}

/* Every sort key outside years 0001..9999 is refused: such a number used
 * to reach SQL, fail there (timestamp or interval out of range) and answer
 * 503 (tests/integration/test_api_cases.c test_bad_parameters). */
static void test_cursor_sort_key_range(void **state)
{
    (void)state;
    assert_true(MZ_CURSOR_MIN_US == -62135596800LL * 1000000);          /* 0001-01-01T00:00:00Z */
    assert_true(MZ_CURSOR_MAX_US == 253402300799LL * 1000000 + 999999); /* 9999-12-31... */
    const int64_t ok[] = {MZ_CURSOR_MIN_US,     MZ_CURSOR_MIN_US + 1, -1, 0, 1, 1767348000123456LL,
                          MZ_CURSOR_MAX_US - 1, MZ_CURSOR_MAX_US};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!decode_sort_key(ok[i]))
            fail_msg("refused sort key %" PRId64, ok[i]);
    const int64_t bad[] = {INT64_MIN,
                           INT64_MIN + 1,
                           -210866803200000000LL, /* Postgres' own minimum, 4714 BC */
                           MZ_CURSOR_MIN_US - 1,
                           MZ_CURSOR_MAX_US + 1,
                           253402300800000000LL,      /* 10000-01-01 */
                           9007199254740993LL * 1000, /* past float8 precision */
                           INT64_MAX - 1,
                           INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (decode_sort_key(bad[i]))
            fail_msg("accepted sort key %" PRId64, bad[i]);
}

/* The access log's cursor "a1:<id>": ids 1..INT64_MAX, canonical only. */
static void test_id_cursor(void **state)
{
    (void)state;
    const int64_t ok[] = {1, 2, 42, 1000000, INT64_MAX - 1, INT64_MAX};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        char enc[MZ_CURSOR_MAX + 1];
        mz_id_cursor_encode(ok[i], enc);
        assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_"),
                         strlen(enc));
        int64_t v = 0;
        if (!mz_id_cursor_decode(enc, &v))
            fail_msg("own id cursor refused: %s", enc);
        assert_true(v == ok[i]);
        /* a list cursor is not an id cursor, nor the reverse */
        mz_cursor c;
        assert_false(mz_cursor_decode(enc, &c));
    }
    char exact[MZ_CURSOR_MAX + 1];
    mz_id_cursor_encode(123, exact);
    char raw[40];
    long m = mz_b64url_decode(exact, strlen(exact), raw, sizeof raw - 1);
    assert_true(m > 0);
    raw[m] = '\0';
    assert_string_equal(raw, "a1:123");

    static const struct {
        const char *raw;
        size_t len;
    } bad[] = {
#define B(lit) {lit, sizeof(lit) - 1}
        B("a1:0"),
        B("a1:-1"),
        B("a1:+1"),
        B("a1: 1"),
        B("a1:1 "),
        B("a1:01"),
        B("a1:"),
        B("a1:1x"),
        B("a1:0x10"),
        B("a1:9223372036854775808"), /* INT64_MAX + 1 */
        B("a1:99999999999999999999"),
        B("a1:-9223372036854775808"),
        B("A1:1"),
        B("a2:1"),
        B("v1:1"),
        B("a1:1\0"),
        B("a1:1\0002"),
        B("\0a1:1"),
#undef B
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char enc[200];
        mz_b64url_encode(bad[i].raw, bad[i].len, enc);
        int64_t v = -7;
        if (mz_id_cursor_decode(enc, &v))
            fail_msg("accepted id cursor %zu as %" PRId64, i, v);
    }
    int64_t v;
    assert_false(mz_id_cursor_decode(NULL, &v));
    assert_false(mz_id_cursor_decode("", &v));
    assert_false(mz_id_cursor_decode("YTE6MQ==", &v)); /* padded "a1:1" */
    assert_true(mz_id_cursor_decode("YTE6MQ", &v));    /* the same, unpadded */
    assert_true(v == 1);
}

static void test_cursor_noncanonical_bits(void **state)
{
    (void)state;
    /* "v1:5:<uuid>" is 41 bytes: 41 % 3 == 2, so the 55-character encoding
     * ends in a character whose low 2 bits are padding and must be zero. */
    mz_cursor c = {.sort_us = 5};
    memcpy(c.id, UUID_LC, 37);
    char enc[MZ_CURSOR_MAX + 1];
    mz_cursor_encode(&c, enc);
    size_t n = strlen(enc);
    assert_int_equal(n, 55);
    mz_cursor d;
    assert_true(mz_cursor_decode(enc, &d));
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *pos = strchr(alpha, enc[n - 1]);
    assert_non_null(pos);
    int v = (int)(pos - alpha);
    assert_int_equal(v & 3, 0);
    for (int low = 1; low < 4; low++) {
        enc[n - 1] = alpha[v | low];
        if (mz_cursor_decode(enc, &d))
            fail_msg("accepted non-canonical final character '%c'", enc[n - 1]);
    }
    /* "v1:42:<uuid>" is 42 bytes, a 56-character encoding; one more
     * character makes a length of 4k+1, which no byte string encodes to. */
    c.sort_us = 42;
    mz_cursor_encode(&c, enc);
    n = strlen(enc);
    assert_int_equal(n % 4, 0);
    strcat(enc, "A");
    assert_false(mz_cursor_decode(enc, &d));
}

static void test_uuid_valid(void **state)
{
    (void)state;
    const char *ok[] = {UUID_LC, "0F8FAD5B-D9CB-469F-A165-70867728950E",
                        "00000000-0000-0000-0000-000000000000",
                        "abcdef01-2345-6789-abcd-ef0123456789"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!mz_uuid_valid(ok[i]))
            fail_msg("refused %s", ok[i]);
    const char *bad[] = {
        NULL,
        "",
        "0f8fad5b-d9cb-469f-a165-70867728950",   /* 35 */
        "0f8fad5b-d9cb-469f-a165-70867728950e0", /* 37 */
        "0f8fad5bd9cb469fa16570867728950e",      /* no hyphens */
        "0f8fad5b-d9cb-469f-a165_70867728950e",
        "0f8fad5bd-9cb-469f-a165-70867728950e", /* hyphen moved */
        "0f8fad5g-d9cb-469f-a165-70867728950e", /* 'g' */
        "{0f8fad5b-d9cb-469f-a165-70867728950}",
        " 0f8fad5b-d9cb-469f-a165-70867728950",
        "0f8fad5b-d9cb-469f-a165-70867728950 ",
        "------------------------------------",
        "0f8fad5b-d9cb-469f-a165-70867728950\xc3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (mz_uuid_valid(bad[i]))
            fail_msg("accepted bad uuid %zu", i);
}

static void test_ts_rfc3339(void **state)
{
    (void)state;
    struct {
        const char *pg, *want;
    } cases[] = {
        {"2026-01-02 10:00:00+00", "2026-01-02T10:00:00Z"},
        {"2026-01-02 10:00:00.123456+00", "2026-01-02T10:00:00.123456Z"},
        {"2026-01-02 10:00:00.5+00", "2026-01-02T10:00:00.5Z"},
        {"1999-12-31 23:59:59.999999+00", "1999-12-31T23:59:59.999999Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[40];
        memset(out, '#', sizeof out);
        mz_ts_rfc3339(cases[i].pg, out);
        assert_string_equal(out, cases[i].want);
    }
    /* an over-long input is cut, never written past out[39] */
    char guard[48];
    memset(guard, '#', sizeof guard);
    mz_ts_rfc3339("2026-01-02 10:00:00.123456+00 and a lot of trailing text here", guard);
    assert_true(strlen(guard) < 40);
    for (size_t k = 40; k < sizeof guard; k++)
        assert_int_equal(guard[k], '#');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_size_ok),
        cmocka_unit_test(test_page_size_refused),
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_cursor_format),
        cmocka_unit_test(test_cursor_decode_refused),
        cmocka_unit_test(test_cursor_sort_key_range),
        cmocka_unit_test(test_id_cursor),
        cmocka_unit_test(test_cursor_noncanonical_bits),
        cmocka_unit_test(test_uuid_valid),
        cmocka_unit_test(test_ts_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
