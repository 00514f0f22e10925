/* Unit tests for service/json.c: limits, strict UTF-8, duplicates, numbers. */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Parses a literal including any embedded NUL (sizeof - 1, not strlen). */
#define PARSE_LIT(lit, lim, err) mz_json_parse((lit), sizeof(lit) - 1, (lim), (err), sizeof(err))

static mz_json_doc *parse_str(const char *s, const mz_json_limits *lim, char *err, size_t errlen)
{
    return mz_json_parse(s, strlen(s), lim, err, errlen);
}

/* Asserts that text is refused with a message that has an offset. */
static void refuse(const char *text, size_t len, const char *expect_in_msg)
{
    char err[256];
    memset(err, 'x', sizeof err);
    mz_json_doc *d = mz_json_parse(text, len, NULL, err, sizeof err);
    if (d) {
        mz_json_free(d);
        fail_msg("accepted input that should be refused: %s", expect_in_msg);
    }
    assert_non_null(memchr(err, '\0', sizeof err));
    assert_non_null(strstr(err, " at byte "));
    if (expect_in_msg && !strstr(err, expect_in_msg))
        fail_msg("error \"%s\" lacks \"%s\"", err, expect_in_msg);
}

#define REFUSE_LIT(lit, msg) refuse((lit), sizeof(lit) - 1, (msg))

static char *nested(size_t depth, const char *open, const char *close)
{
    size_t lo = strlen(open), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + 1);
    assert_non_null(s);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++, n += lo)
        memcpy(s + n, open, lo);
    for (size_t i = 0; i < depth; i++, n += lc)
        memcpy(s + n, close, lc);
    s[n] = '\0';
    return s;
}

/* k objects {"a": ... } around inner. */
static char *wrap_objects(size_t k, const char *inner)
{
    size_t li = strlen(inner);
    char *s = malloc(k * 6 + li + 1);
    assert_non_null(s);
    size_t n = 0;
    for (size_t i = 0; i < k; i++, n += 5)
        memcpy(s + n, "{\"a\":", 5);
    memcpy(s + n, inner, li);
    n += li;
    for (size_t i = 0; i < k; i++)
        s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_structure_and_accessors(void **state)
{
    (void)state;
    char err[128];
    const char *text = " {\"naam\": \"Zaak\", \"n\": 42, \"ok\": true, \"no\": false, \"x\": null,"
                       " \"lijst\": [1, \"twee\", {}], \"leeg\": []} \n\t";
    mz_json_doc *d = parse_str(text, NULL, err, sizeof err);
    assert_non_null(d);
    const mz_json *r = mz_json_root(d);
    assert_non_null(r);
    assert_int_equal(r->type, MZ_JSON_OBJECT);
    assert_int_equal(r->u.kids.count, 7);
    assert_null(r->key);

    /* document order and keys */
    const char *names[] = {"naam", "n", "ok", "no", "x", "lijst", "leeg"};
    size_t i = 0;
    for (const mz_json *m = r->u.kids.first; m; m = m->next, i++) {
        assert_true(i < 7);
        assert_string_equal(m->key, names[i]);
        assert_int_equal(m->key_len, strlen(names[i]));
    }
    assert_int_equal(i, 7);

    size_t len = 0;
    assert_string_equal(mz_json_string(mz_json_get(r, "naam"), &len), "Zaak");
    assert_int_equal(len, 4);
    assert_string_equal(mz_json_string(mz_json_get(r, "naam"), NULL), "Zaak");

    int64_t v = 0;
    assert_true(mz_json_int64(mz_json_get(r, "n"), &v));
    assert_int_equal(v, 42);
    assert_true(mz_json_int64(mz_json_get(r, "n"), NULL));
    assert_string_equal(mz_json_get(r, "n")->u.num.raw, "42");
    assert_true(mz_json_get(r, "n")->u.num.d == 42.0);

    assert_int_equal(mz_json_get(r, "ok")->type, MZ_JSON_BOOL);
    assert_true(mz_json_get(r, "ok")->u.boolean);
    assert_false(mz_json_get(r, "no")->u.boolean);
    assert_int_equal(mz_json_get(r, "x")->type, MZ_JSON_NULL);

    const mz_json *l = mz_json_get(r, "lijst");
    assert_int_equal(l->type, MZ_JSON_ARRAY);
    assert_int_equal(l->u.kids.count, 3);
    assert_null(l->u.kids.first->key);
    assert_string_equal(mz_json_string(l->u.kids.first->next, NULL), "twee");
    assert_int_equal(l->u.kids.first->next->next->type, MZ_JSON_OBJECT);
    assert_null(l->u.kids.first->next->next->u.kids.first);
    assert_null(l->u.kids.first->next->next->next);
    assert_int_equal(mz_json_get(r, "leeg")->u.kids.count, 0);

    /* accessors on the wrong things */
    assert_null(mz_json_get(r, "ontbreekt"));
    assert_null(mz_json_get(r, "Naam"));
    assert_null(mz_json_get(r, "naa"));
    assert_null(mz_json_get(NULL, "naam"));
    assert_null(mz_json_get(l, "naam"));
    assert_null(mz_json_get(mz_json_get(r, "naam"), "naam"));
    assert_null(mz_json_string(NULL, &len));
    assert_null(mz_json_string(mz_json_get(r, "n"), &len));
    assert_false(mz_json_int64(NULL, &v));
    assert_false(mz_json_int64(mz_json_get(r, "naam"), &v));
    assert_false(mz_json_int64(mz_json_get(r, "ok"), &v));
    assert_null(mz_json_root(NULL));
    mz_json_free(d);
    mz_json_free(NULL);
}

static void test_scalar_roots(void **state)
{
    (void)state;
    char err[128];
    mz_json_doc *d = parse_str("\"abc\"", NULL, err, sizeof err);
    assert_non_null(d);
    assert_string_equal(mz_json_string(mz_json_root(d), NULL), "abc");
    mz_json_free(d);

    d = parse_str("  7  ", NULL, err, sizeof err);
    assert_non_null(d);
    int64_t v;
    assert_true(mz_json_int64(mz_json_root(d), &v));
    assert_int_equal(v, 7);
    mz_json_free(d);

    d = parse_str("null", NULL, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(mz_json_root(d)->type, MZ_JSON_NULL);
    mz_json_free(d);
}

static void test_depth_limit(void **state)
{
    (void)state;
    char err[128];
    char *ok = nested(16, "[", "]");
    mz_json_doc *d = parse_str(ok, NULL, err, sizeof err);
    assert_non_null(d);
    /* walk down: 16 arrays, the innermost empty */
    const mz_json *n = mz_json_root(d);
    for (int i = 1; i < 16; i++) {
        assert_int_equal(n->type, MZ_JSON_ARRAY);
        n = n->u.kids.first;
    }
    assert_int_equal(n->type, MZ_JSON_ARRAY);
    assert_null(n->u.kids.first);
    mz_json_free(d);
    free(ok);

    char *bad = nested(17, "[", "]");
    d = parse_str(bad, NULL, err, sizeof err);
    assert_null(d);
    assert_non_null(strstr(err, "nesting deeper than 16 levels at byte "));
    free(bad);

    /* objects count the same; scalars at the deepest level add no depth */
    char *objs = wrap_objects(15, "[1,\"x\",null,true]");
    d = parse_str(objs, NULL, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);
    free(objs);
    objs = wrap_objects(16, "{}");
    d = parse_str(objs, NULL, err, sizeof err);
    assert_null(d);
    assert_non_null(strstr(err, "nesting deeper than 16 levels"));
    free(objs);

    /* custom limit */
    mz_json_limits lim = {.max_depth = 2};
    d = parse_str("[[1]]", &lim, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);
    d = parse_str("[[[1]]]", &lim, err, sizeof err);
    assert_null(d);
    assert_non_null(strstr(err, "nesting deeper than 2 levels at byte 3"));
}

static void test_very_deep_input(void **state)
{
    (void)state;
    char err[128];
    size_t n = 100000;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, '[', n);
    s[n] = '\0';
    assert_null(mz_json_parse(s, n, NULL, err, sizeof err));
    assert_non_null(strstr(err, "nesting deeper than 16 levels"));
    /* a huge depth limit must still not recurse: closed properly, 100000 deep */
    char *t = nested(n, "[", "]");
    mz_json_limits lim = {.max_depth = 200000, .max_nodes = 200000};
    mz_json_doc *d = mz_json_parse(t, 2 * n, &lim, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);
    /* and unclosed with a huge limit is an error, not a crash */
    assert_null(mz_json_parse(s, n, &lim, err, sizeof err));
    assert_non_null(strstr(err, "at byte"));
    free(t);
    free(s);
}

static void test_nul_refused(void **state)
{
    (void)state;
    REFUSE_LIT("\"a\\u0000b\"", "NUL");
    REFUSE_LIT("{\"a\\u0000\":1}", "NUL");
    REFUSE_LIT("\"a\0b\"", NULL); /* raw NUL inside a string */
    REFUSE_LIT("{}\0", NULL);     /* raw NUL after the value */
    REFUSE_LIT("\0{}", NULL);
}

static void test_surrogates(void **state)
{
    (void)state;
    REFUSE_LIT("\"\\ud800\"", "surrogate");
    REFUSE_LIT("\"\\uD800x\"", "surrogate");
    REFUSE_LIT("\"\\udc00\"", NULL);
    REFUSE_LIT("\"\\ud800\\u0041\"", "surrogate");
    REFUSE_LIT("\"\\ud800\\ud800\"", "surrogate");
    REFUSE_LIT("[\"ok\", {\"\\udfff\": 1}]", NULL);
    REFUSE_LIT("\"\xed\xa0\x80\"", "UTF-8"); /* raw CESU-style surrogate */

    char err[128];
    mz_json_doc *d = PARSE_LIT("\"\\ud83d\\ude00 \\u00e9\\\\u0000\"", NULL, err);
    assert_non_null(d);
    size_t len;
    const char *s = mz_json_string(mz_json_root(d), &len);
    assert_int_equal(len, 4 + 1 + 2 + 6);
    assert_memory_equal(s, "\xf0\x9f\x98\x80 \xc3\xa9\\u0000", len);
    mz_json_free(d);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    REFUSE_LIT("\"\xc0\xaf\"", "not valid UTF-8");         /* overlong '/' */
    REFUSE_LIT("\"\xe0\x80\xaf\"", "not valid UTF-8");     /* overlong, 3 bytes */
    REFUSE_LIT("\"\xf4\x90\x80\x80\"", "not valid UTF-8"); /* above U+10FFFF */
    REFUSE_LIT("{\"\xc0\xaf\":1}", "member name is not valid UTF-8");
    REFUSE_LIT("\"\xff\"", NULL); /* raw invalid byte */
    REFUSE_LIT("\"\x80\"", NULL);
    REFUSE_LIT("\"abc\xc3\"", NULL); /* truncated */
    REFUSE_LIT("[1, \xfe]", NULL);

    char err[128];
    mz_json_doc *d = PARSE_LIT("\"h\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf\"", NULL, err);
    assert_non_null(d);
    mz_json_free(d);
}

static void test_duplicates(void **state)
{
    (void)state;
    REFUSE_LIT("{\"bsn\":\"1\",\"bsn\":\"2\"}", "duplicate member name");
    REFUSE_LIT("{\"a\":{\"x\":1,\"x\":1}}", "duplicate");
    /* escapes are compared after decoding */
    REFUSE_LIT("{\"bsn\":1,\"\\u0062sn\":2}", "duplicate");

    char err[128];
    mz_json_doc *d =
        parse_str("{\"a\":{\"a\":1},\"b\":{\"a\":2},\"ab\":3,\"\":4}", NULL, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);

    /* a large object (sorted path) with the duplicate far apart */
    size_t n = 2000;
    char *s = malloc(n * 16 + 32);
    assert_non_null(s);
    size_t pos = 0;
    s[pos++] = '{';
    for (size_t i = 0; i < n; i++)
        pos += (size_t)sprintf(s + pos, "%s\"k%zu\":%zu", i ? "," : "", i, i);
    strcpy(s + pos, "}");
    d = parse_str(s, NULL, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(mz_json_root(d)->u.kids.count, n);
    int64_t v;
    assert_true(mz_json_int64(mz_json_get(mz_json_root(d), "k1999"), &v));
    assert_int_equal(v, 1999);
    mz_json_free(d);
    strcpy(s + pos, ",\"k7\":0}");
    refuse(s, strlen(s), "duplicate member name");
    free(s);
}

static void test_trailing_and_empty(void **state)
{
    (void)state;
    REFUSE_LIT("{} x", NULL);
    REFUSE_LIT("{}{}", NULL);
    REFUSE_LIT("1 2", NULL);
    REFUSE_LIT("[] ]", NULL);
    REFUSE_LIT("\"a\" \"b\"", NULL);
    REFUSE_LIT("", NULL);
    REFUSE_LIT("   \n ", NULL);
    REFUSE_LIT("[1,]", NULL);
    REFUSE_LIT("{\"a\" 1}", NULL);
    REFUSE_LIT("{'a':1}", NULL);
    REFUSE_LIT("[1] // comment", NULL);
    REFUSE_LIT("/* c */ [1]", NULL);
    REFUSE_LIT("NaN", NULL);
    REFUSE_LIT("01", NULL);
    REFUSE_LIT("[", NULL);
    REFUSE_LIT("{\"a\":", NULL);

    char err[64];
    assert_null(mz_json_parse(NULL, 3, NULL, err, sizeof err));
    assert_null(mz_json_parse(NULL, 0, NULL, err, sizeof err));
    /* explicit length: text after len is not looked at */
    mz_json_doc *d = mz_json_parse("[1]garbage", 3, NULL, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);
    /* NULL err / zero errlen are fine */
    assert_null(mz_json_parse("[", 1, NULL, NULL, 0));
    err[0] = 'z';
    assert_null(mz_json_parse("[", 1, NULL, err, 0));
    assert_int_equal(err[0], 'z');
    /* a short buffer is truncated, still terminated */
    char tiny[8];
    assert_null(mz_json_parse("[", 1, NULL, tiny, sizeof tiny));
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void test_error_messages_do_not_quote_input(void **state)
{
    (void)state;
    const char *inputs[] = {
        "{\"bsn\":\"123456782\",\"bsn\":\"secretvalue\"}",
        "{\"secretvalue\": tru}",
        "[\"secretvalue\" \"x\"]",
        "{\"secretvalue\":\"\xc0\xaf\"}",
        "\"secretvalue\\ud800\"",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        char err[256];
        assert_null(parse_str(inputs[i], NULL, err, sizeof err));
        assert_null(strstr(err, "secret"));
        assert_null(strstr(err, "12345"));
        assert_non_null(strstr(err, " at byte "));
    }
}

static void test_numbers(void **state)
{
    (void)state;
    char err[128];
    struct {
        const char *text;
        bool is_int;
        int64_t i;
        double d;
    } cases[] = {
        {"0", true, 0, 0.0},
        {"-0", true, 0, 0.0},
        {"1.0", false, 0, 1.0},
        {"1e2", false, 0, 100.0},
        {"-12.5E-1", false, 0, -1.25},
        {"9223372036854775807", true, INT64_MAX, 9223372036854775807.0},
        {"-9223372036854775808", true, INT64_MIN, -9223372036854775808.0},
        {"9223372036854775808", false, 0, 9223372036854775808.0},
        {"-9223372036854775809", false, 0, -9223372036854775809.0},
        {"123456789012345678901234567890", false, 0, 123456789012345678901234567890.0},
        {"1e-400", false, 0, 0.0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mz_json_doc *d = parse_str(cases[k].text, NULL, err, sizeof err);
        assert_non_null(d);
        const mz_json *r = mz_json_root(d);
        assert_int_equal(r->type, MZ_JSON_NUMBER);
        assert_string_equal(r->u.num.raw, cases[k].text);
        assert_int_equal(r->u.num.is_int, cases[k].is_int);
        int64_t v = 12345;
        assert_int_equal(mz_json_int64(r, &v), cases[k].is_int);
        if (cases[k].is_int)
            assert_true(v == cases[k].i);
        else
            assert_true(v == 12345);
        assert_true(r->u.num.d == cases[k].d);
        mz_json_free(d);
    }

    mz_json_doc *d = parse_str("[1e400, -1e400]", NULL, err, sizeof err);
    assert_non_null(d);
    const mz_json *a = mz_json_root(d)->u.kids.first;
    assert_int_equal(a->type, MZ_JSON_NUMBER);
    assert_string_equal(a->u.num.raw, "1e400");
    assert_false(a->u.num.is_int);
    assert_true(isinf(a->u.num.d) && a->u.num.d > 0);
    assert_true(isinf(a->next->u.num.d) && a->next->u.num.d < 0);
    mz_json_free(d);
}

static void test_string_limit(void **state)
{
    (void)state;
    char err[128];
    mz_json_limits lim = {.max_string = 5};
    mz_json_doc *d = parse_str("{\"abcde\":\"vwxyz\"}", &lim, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);
    assert_null(parse_str("[\"abcdef\"]", &lim, err, sizeof err));
    assert_non_null(strstr(err, "string longer than 5 bytes at byte "));
    assert_null(parse_str("{\"abcdef\":1}", &lim, err, sizeof err));
    assert_non_null(strstr(err, "member name longer than 5 bytes"));
    /* the limit counts decoded bytes: 3 x 2-byte e-acute = 6 bytes */
    assert_null(parse_str("\"\\u00e9\\u00e9\\u00e9\"", &lim, err, sizeof err));
    assert_null(parse_str("1234567", &lim, err, sizeof err));
    assert_non_null(strstr(err, "number longer than 5 bytes"));

    /* default: 65536 ok, 65537 refused */
    size_t n = 65536;
    char *s = malloc(n + 4);
    assert_non_null(s);
    s[0] = '"';
    memset(s + 1, 'a', n);
    s[n + 1] = '"';
    d = mz_json_parse(s, n + 2, NULL, err, sizeof err);
    assert_non_null(d);
    size_t len;
    assert_non_null(mz_json_string(mz_json_root(d), &len));
    assert_int_equal(len, n);
    mz_json_free(d);
    s[n + 1] = 'a';
    s[n + 2] = '"';
    assert_null(mz_json_parse(s, n + 3, NULL, err, sizeof err));
    assert_non_null(strstr(err, "string longer than 65536 bytes"));
    free(s);
}

static void test_node_limit(void **state)
{
    (void)state;
    char err[128];
    mz_json_limits lim = {.max_nodes = 3};
    mz_json_doc *d = parse_str("[1,2]", &lim, err, sizeof err);
    assert_non_null(d);
    mz_json_free(d);
    assert_null(parse_str("[1,2,3]", &lim, err, sizeof err));
    assert_non_null(strstr(err, "more than 3 values at byte "));
    assert_null(parse_str("{\"a\":{\"b\":{\"c\":1}}}", &lim, err, sizeof err));

    /* default 100000: an array of 99999 zeros is 100000 values */
    size_t n = 99999;
    char *s = malloc(2 * n + 8);
    assert_non_null(s);
    size_t pos = 0;
    s[pos++] = '[';
    for (size_t i = 0; i < n; i++) {
        s[pos++] = '0';
        s[pos++] = ',';
    }
    s[pos - 1] = ']';
    d = mz_json_parse(s, pos, NULL, err, sizeof err);
    assert_non_null(d);
    assert_int_equal(mz_json_root(d)->u.kids.count, n);
    mz_json_free(d);
    s[pos - 1] = ',';
    s[pos++] = '0';
    s[pos++] = ']';
    assert_null(mz_json_parse(s, pos, NULL, err, sizeof err));
    assert_non_null(strstr(err, "more than 100000 values"));
    free(s);
}

static void test_utf8_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        bool ok;
    } t[] = {
#define U(lit, ok) {lit, sizeof(lit) - 1, ok}
        U("", true),
        U("plain ascii ~\x7f", true),
        U("\xc2\x80", true),          /* U+0080, smallest 2-byte */
        U("\xdf\xbf", true),          /* U+07FF */
        U("\xe0\xa0\x80", true),      /* U+0800, smallest 3-byte */
        U("\xed\x9f\xbf", true),      /* U+D7FF */
        U("\xee\x80\x80", true),      /* U+E000 */
        U("\xef\xbf\xbf", true),      /* U+FFFF */
        U("\xf0\x90\x80\x80", true),  /* U+10000, smallest 4-byte */
        U("\xf4\x8f\xbf\xbf", true),  /* U+10FFFF */
        U("\xf4\x90\x80\x80", false), /* U+110000 */
        U("\xed\xa0\x80", false),     /* U+D800 */
        U("\xed\xbf\xbf", false),     /* U+DFFF */
        U("\xc0\xaf", false),         /* overlong '/' */
        U("\xc1\xbf", false),         /* overlong */
        U("\xe0\x9f\xbf", false),     /* overlong 3-byte */
        U("\xf0\x8f\xbf\xbf", false), /* overlong 4-byte */
        U("\xf5\x80\x80\x80", false), /* lead byte above F4 */
        U("\xff", false),
        U("\x80", false),         /* lone continuation */
        U("\xc2", false),         /* truncated 2-byte */
        U("\xe2\x82", false),     /* truncated 3-byte */
        U("\xf0\x9f\x98", false), /* truncated 4-byte */
        U("a\xe2\x82"
          "b",
          false), /* bad continuation */
        U("\xc2\xc2\x80", false),
        U("a\0b", false), /* NUL */
        U("\0", false),
#undef U
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (mz_utf8_valid(t[i].s, t[i].n) != t[i].ok)
            fail_msg("mz_utf8_valid case %zu: expected %d", i, t[i].ok);
    assert_true(mz_utf8_valid(NULL, 0));
    assert_false(mz_utf8_valid(NULL, 1));
    /* length is explicit: a truncated view of a valid string is refused */
    assert_false(mz_utf8_valid("\xe2\x82\xac", 2));
    assert_true(mz_utf8_valid("\xe2\x82\xac", 3));
}

/* mz_json_free_wiped frees like mz_json_free (LSan in the sanitizer build
 * proves nothing leaks), big strings in blocks of their own included, and
 * takes NULL. */
static void test_free_wiped(void **state)
{
    (void)state;
    char big[70000];
    memset(big, 'x', sizeof big);
    static const char head[] = "{\"bsn\":\"123456782\",\"s\":\"";
    memcpy(big, head, sizeof head - 1);
    memcpy(big + sizeof big - 2, "\"}", 2);
    mz_json_limits lim = {.max_string = 100000};
    char err[128];
    mz_json_doc *d = mz_json_parse(big, sizeof big, &lim, err, sizeof err);
    assert_non_null(d);
    assert_string_equal(mz_json_string(mz_json_get(mz_json_root(d), "bsn"), NULL), "123456782");
    mz_json_free_wiped(d);
    mz_json_free_wiped(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_accessors),
        cmocka_unit_test(test_scalar_roots),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_very_deep_input),
        cmocka_unit_test(test_nul_refused),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_trailing_and_empty),
        cmocka_unit_test(test_error_messages_do_not_quote_input),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_string_limit),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_utf8_table),
        cmocka_unit_test(test_free_wiped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
