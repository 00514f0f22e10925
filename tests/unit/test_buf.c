/* Unit tests for service/buf.c: the growable buffer and JSON string escaping. */
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

#include "buf.h"
#include "json.h"

/* Writes s[0..n) with mz_json_str and compares the result with expect. */
static void expect_str(const char *s, size_t n, const char *expect)
{
    mz_buf b = MZ_BUF_INIT;
    mz_json_str(&b, s, n);
    assert_non_null(b.data);
    assert_int_equal(b.len, strlen(expect));
    assert_string_equal(b.data, expect);
    mz_buf_free(&b);
}

#define EXPECT_LIT(lit, expect) expect_str((lit), sizeof(lit) - 1, (expect))

static void test_named_escapes(void **state)
{
    (void)state;
    EXPECT_LIT("", "\"\"");
    EXPECT_LIT("plain text 123", "\"plain text 123\"");
    EXPECT_LIT("a\"b", "\"a\\\"b\"");
    EXPECT_LIT("\"", "\"\\\"\"");
    EXPECT_LIT("a\\b", "\"a\\\\b\"");
    EXPECT_LIT("\\\\", "\"\\\\\\\\\"");
    EXPECT_LIT("line1\nline2", "\"line1\\nline2\"");
    EXPECT_LIT("\r\n\t", "\"\\r\\n\\t\"");
    EXPECT_LIT("\"\\\n", "\"\\\"\\\\\\n\"");
    /* other printable ASCII, including a lone '/', is written as is */
    EXPECT_LIT("/ ' ` ~ { } [ ] < > & %", "\"/ ' ` ~ { } [ ] < > & %\"");
}

static void test_control_bytes(void **state)
{
    (void)state;
    for (int c = 0; c < 0x20; c++) {
        char in[3] = {'a', (char)c, 'z'};
        char expect[16];
        switch (c) {
        case '\n':
            snprintf(expect, sizeof expect, "\"a\\nz\"");
            break;
        case '\r':
            snprintf(expect, sizeof expect, "\"a\\rz\"");
            break;
        case '\t':
            snprintf(expect, sizeof expect, "\"a\\tz\"");
            break;
        default:
            snprintf(expect, sizeof expect, "\"a\\u%04xz\"", (unsigned)c);
        }
        expect_str(in, sizeof in, expect);
    }
    EXPECT_LIT("\x7f", "\"\\u007f\"");
    EXPECT_LIT("\x1f", "\"\\u001f\"");
    EXPECT_LIT("\x1b[31m", "\"\\u001b[31m\"");
    /* lower-case hex digits */
    EXPECT_LIT("\x0b\x0c\x1a", "\"\\u000b\\u000c\\u001a\"");
    /* backspace and form feed use \u form too */
    EXPECT_LIT("\b\f", "\"\\u0008\\u000c\"");
    /* a NUL in the middle of a length-given string */
    EXPECT_LIT("ab\0cd", "\"ab\\u0000cd\"");
    EXPECT_LIT("\0", "\"\\u0000\"");
    EXPECT_LIT("\0\0", "\"\\u0000\\u0000\"");
}

static void test_script_close(void **state)
{
    (void)state;
    EXPECT_LIT("</script>", "\"<\\/script>\"");
    EXPECT_LIT("x</script><script>alert(1)</script>",
               "\"x<\\/script><script>alert(1)<\\/script>\"");
    EXPECT_LIT("<//", "\"<\\//\"");
    EXPECT_LIT("/<", "\"/<\"");
    EXPECT_LIT("a/b", "\"a/b\"");
    EXPECT_LIT("< /", "\"< /\"");
    /* '/' at the start has no '<' before it in this string */
    EXPECT_LIT("/script>", "\"/script>\"");
}

static void test_utf8_unchanged(void **state)
{
    (void)state;
    EXPECT_LIT("caf\xc3\xa9", "\"caf\xc3\xa9\"");                           /* é */
    EXPECT_LIT("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");                     /* € */
    EXPECT_LIT("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");                 /* U+1F600 */
    EXPECT_LIT("\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\""); /* U+2028/9 */
    EXPECT_LIT("\xc2\x80\xc2\x9f", "\"\xc2\x80\xc2\x9f\""); /* C1 controls as UTF-8 */
}

static void test_cstr_and_others(void **state)
{
    (void)state;
    mz_buf b = MZ_BUF_INIT;
    mz_json_cstr(&b, NULL);
    assert_string_equal(b.data, "null");
    assert_int_equal(b.len, 4);
    mz_buf_putc(&b, ',');
    mz_json_cstr(&b, "a\"b");
    mz_buf_putc(&b, ',');
    mz_json_cstr(&b, "");
    assert_string_equal(b.data, "null,\"a\\\"b\",\"\"");
    mz_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    mz_buf_putc(&b, '{');
    mz_json_key(&b, "k</");
    mz_json_int(&b, INT64_MIN);
    mz_buf_putc(&b, ',');
    mz_json_key(&b, "m");
    mz_json_int(&b, INT64_MAX);
    mz_buf_putc(&b, ',');
    mz_json_key(&b, "t");
    mz_json_bool(&b, true);
    mz_buf_putc(&b, ',');
    mz_json_key(&b, "f");
    mz_json_bool(&b, false);
    mz_buf_putc(&b, '}');
    assert_string_equal(b.data, "{\"k<\\/\":-9223372036854775808,\"m\":9223372036854775807,"
                                "\"t\":true,\"f\":false}");
    assert_int_equal(b.len, strlen(b.data));
    mz_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void test_printf_growth(void **state)
{
    (void)state;
    mz_buf b = MZ_BUF_INIT;
    char chunk[301];
    memset(chunk, 'q', 300);
    chunk[300] = '\0';
    mz_buf_printf(&b, "<%s>", chunk);
    assert_int_equal(b.len, 302);
    assert_true(b.cap >= b.len + 1);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[301], '>');
    assert_int_equal(b.data[302], '\0');
    assert_int_equal(strlen(b.data), 302);
    /* keep appending across several doublings */
    for (int i = 0; i < 100; i++)
        mz_buf_printf(&b, "[%d:%s]", i, chunk);
    size_t expect = 302;
    for (int i = 0; i < 100; i++)
        expect += (size_t)snprintf(NULL, 0, "[%d:%s]", i, chunk);
    assert_int_equal(b.len, expect);
    assert_int_equal(strlen(b.data), expect);
    assert_true(b.cap > b.len);
    assert_non_null(strstr(b.data, "[99:qqq"));
    assert_int_equal(b.data[b.len - 1], ']');
    /* an empty printf still leaves a terminated buffer */
    mz_buf e = MZ_BUF_INIT;
    mz_buf_printf(&e, "%s", "");
    assert_non_null(e.data);
    assert_int_equal(e.len, 0);
    assert_string_equal(e.data, "");
    mz_buf_free(&e);
    mz_buf_free(&b);
}

static void test_append_and_reserve(void **state)
{
    (void)state;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_append(&b, "ab\0cd", 5);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "ab\0cd", 6);
    mz_buf_append(&b, NULL, 0);
    assert_int_equal(b.len, 5);
    mz_buf_reserve(&b, 5000);
    assert_true(b.cap >= 5006);
    size_t cap = b.cap;
    char *data = b.data;
    mz_buf_append(&b, "x", 1);
    assert_ptr_equal(b.data, data); /* no reallocation within the reservation */
    assert_int_equal(b.cap, cap);
    mz_buf_puts(&b, "yz");
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "ab\0cdxyz", 9);
    mz_buf_free(&b);
}

static void test_steal(void **state)
{
    (void)state;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "hello");
    size_t len = 0;
    char *d = mz_buf_steal(&b, &len);
    assert_non_null(d);
    assert_int_equal(len, 5);
    assert_string_equal(d, "hello");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    /* the buffer is usable again and independent of the stolen data */
    mz_buf_puts(&b, "again");
    assert_string_equal(b.data, "again");
    assert_string_equal(d, "hello");
    free(d);
    mz_buf_free(&b);
    /* stealing an empty buffer gives an empty string, not NULL */
    mz_buf e = MZ_BUF_INIT;
    d = mz_buf_steal(&e, &len);
    assert_non_null(d);
    assert_int_equal(len, 0);
    assert_string_equal(d, "");
    assert_null(e.data);
    free(d);
    /* len may be NULL */
    mz_buf_puts(&e, "x");
    d = mz_buf_steal(&e, NULL);
    assert_string_equal(d, "x");
    free(d);
}

static void test_parse_back(void **state)
{
    (void)state;
    const char *inputs[] = {
        "",
        "simple",
        "quote \" backslash \\ slash / end",
        "\\u0041 is not an escape here",
        "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f",
        "</script><!-- --></SCRIPT>",
        "<<//</",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8",
        "\"\"\"\\\\\\",
        "trailing backslash \\",
        "{\"json\":[\"inside\"]}",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        mz_buf b = MZ_BUF_INIT;
        size_t n = strlen(inputs[i]);
        mz_json_str(&b, inputs[i], n);
        /* the output itself holds no raw control byte */
        for (size_t k = 0; k < b.len; k++)
            assert_true((unsigned char)b.data[k] >= 0x20 && b.data[k] != 0x7f);
        assert_null(strstr(b.data, "</"));
        char err[128];
        mz_json_doc *d = mz_json_parse(b.data, b.len, NULL, err, sizeof err);
        if (!d)
            fail_msg("input %zu: output does not parse: %s", i, err);
        size_t got_len = 0;
        const char *got = mz_json_string(mz_json_root(d), &got_len);
        assert_non_null(got);
        assert_int_equal(got_len, n);
        assert_memory_equal(got, inputs[i], n);
        mz_json_free(d);
        mz_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_escapes),      cmocka_unit_test(test_control_bytes),
        cmocka_unit_test(test_script_close),       cmocka_unit_test(test_utf8_unchanged),
        cmocka_unit_test(test_cstr_and_others),    cmocka_unit_test(test_printf_growth),
        cmocka_unit_test(test_append_and_reserve), cmocka_unit_test(test_steal),
        cmocka_unit_test(test_parse_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
