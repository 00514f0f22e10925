/* Unit tests for service/bsn.c: the 11-proof and the BSN-like scanner. */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include "bsn.h"

/* Length of a literal including any embedded NUL (written "\000": a
 * three-digit octal escape cannot swallow the digits that follow). */
#define LIT(s) (s), (sizeof(s) - 1)

static void test_valid_numbers(void **state)
{
    (void)state;
    /* Each checked by hand: 9*d1+8*d2+7*d3+6*d4+5*d5+4*d6+3*d7+2*d8-d9.
     * 999993653: 81+72+63+54+45+12+18+10-3 = 352 = 11*32
     * 999990019: 81+72+63+54+45+0+0+2-9   = 308 = 11*28
     * 999990032: 81+72+63+54+45+0+0+6-2   = 319 = 11*29
     * 111222333: 9+8+7+12+10+8+9+6-3      = 66  = 11*6
     * 123456782: 9+16+21+24+25+24+21+16-2 = 154 = 11*14
     * 012345672: 0+8+14+18+20+20+18+14-2  = 110 = 11*10 (leading zero)
     * 100000009: 9-9                      = 0   (sum zero, not all digits zero)
     * 999999990: 81+72+63+54+45+36+27+18-0 = 396 = 11*36 */
    const char *valid[] = {"999993653", "999990019", "999990032", "111222333",
                           "123456782", "012345672", "100000009", "999999990"};
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        if (!mz_bsn_valid(valid[i], 9))
            fail_msg("valid BSN refused: %s", valid[i]);
    }
}

static void test_invalid_numbers(void **state)
{
    (void)state;
    struct {
        const char *s;
        size_t n;
        const char *why;
    } cases[] = {
        {LIT("123456789"), "checksum 147"},
        {LIT("999993654"), "checksum 351"},
        {LIT("999993652"), "checksum 353"},
        {LIT("000000000"), "all zero"},
        {LIT("99999365"), "8 digits"},
        {LIT("9999936530"), "10 digits"},
        {LIT("0999993653"), "10 digits, leading zero"},
        {LIT(""), "empty"},
        {LIT("99999365a"), "letter"},
        {LIT("a99999365"), "leading letter"},
        {LIT(" 99999365"), "leading space"},
        {LIT("99999365 "), "trailing space"},
        {LIT("-99999365"), "sign"},
        {LIT("+99999365"), "plus sign"},
        {LIT("9999.3653"), "dot"},
        {LIT("\37799999365"), "high byte"},
        {LIT("9999\0003653"), "embedded NUL"},
        {LIT("99999365\0"), "trailing NUL inside length"},
        {LIT("\00099999365"), "leading NUL inside length"},
        {"999993653", 8, "valid number cut to 8"},
        {"9999936530", 10, "valid prefix with extra digit"},
        {"999993653x", 10, "valid prefix with extra letter"},
    };
    /* the NUL cases really are 9 bytes long */
    assert_int_equal(cases[16].n, 9);
    assert_int_equal(cases[17].n, 9);
    assert_int_equal(cases[18].n, 9);
    assert_int_equal(cases[16].s[4], '\0');
    assert_int_equal(cases[16].s[5], '3');
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (mz_bsn_valid(cases[i].s, cases[i].n))
            fail_msg("accepted invalid BSN (%s), case %zu", cases[i].why, i);
    }
    assert_false(mz_bsn_valid(NULL, 9));
    assert_false(mz_bsn_valid(NULL, 0));
}

/* Independent property: for any 8-digit prefix the weighted sum S fixes the
 * only possible check digit d9 = S mod 11, which exists when it is < 10. */
static void test_exactly_one_check_digit_per_prefix(void **state)
{
    (void)state;
    static const int w[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    unsigned long seed = 12345;
    size_t with_digit = 0, without = 0;
    for (int k = 0; k < 20000; k++) {
        char s[10];
        seed = seed * 6364136223846793005UL + 1442695040888963407UL;
        unsigned long v = (seed >> 20) % 100000000UL;
        snprintf(s, sizeof s, "%08lu", v);
        int sum = 0;
        for (int i = 0; i < 8; i++)
            sum += w[i] * (s[i] - '0');
        int expect = sum % 11; /* -d9 ≡ -S  ⇔ d9 ≡ S (mod 11) */
        int found = -1, count = 0;
        for (int d = 0; d <= 9; d++) {
            s[8] = (char)('0' + d);
            s[9] = '\0';
            if (mz_bsn_valid(s, 9)) {
                found = d;
                count++;
            }
        }
        bool all_zero_prefix = v == 0;
        if (expect == 10 || (all_zero_prefix && expect == 0)) {
            assert_int_equal(count, 0);
            without++;
        } else {
            assert_int_equal(count, 1);
            assert_int_equal(found, expect);
            with_digit++;
        }
    }
    /* about 1 in 11 prefixes has no check digit */
    assert_true(without > 1000 && without < 2700);
    assert_true(with_digit > 17000);
}

static void test_contains_bsn_like(void **state)
{
    (void)state;
    struct {
        const char *s;
        size_t n;
        bool expect;
    } cases[] = {
        {LIT("bsn=999993653&x"), true},
        {LIT("999993653"), true},
        {LIT("x999993653"), true},
        {LIT("999993653x"), true},
        {LIT("a 123456789 b 111222333 c"), true}, /* second run is valid */
        {LIT("/api/v1/me/cases/999990019"), true},
        {LIT("1999993653"), false}, /* 10-digit run containing a valid one */
        {LIT("9999936531"), false}, /* same, other side */
        {LIT("99999365399999365"), false},
        {LIT("123456789"), false}, /* 9 digits, bad checksum */
        {LIT("bsn=999993654&x"), false},
        {LIT("000000000"), false},
        {LIT("99999365"), false}, /* 8 digits */
        {LIT(""), false},
        {LIT("no digits at all"), false},
        {LIT("99999\0003653"), false}, /* NUL splits the run */
        {LIT("x\000999993653"), true}, /* scanning continues past a NUL */
        {"999993653", 8, false},       /* length bounds the scan */
        {"x999993653", 9, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (mz_contains_bsn_like(cases[i].s, cases[i].n) != cases[i].expect)
            fail_msg("case %zu: expected %s", i, cases[i].expect ? "found" : "not found");
    }
    assert_false(mz_contains_bsn_like("", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_numbers),
        cmocka_unit_test(test_invalid_numbers),
        cmocka_unit_test(test_exactly_one_check_digit_per_prefix),
        cmocka_unit_test(test_contains_bsn_like),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
