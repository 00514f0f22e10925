/* Unit tests for service/yamljson.c: YAML -> JSON for the OpenAPI document. */
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

#include "embedded.h"
#include "json.h"
#include "yamljson.h"

static char *conv(const char *yaml, char *err, size_t errlen)
{
    return mz_yaml_to_json(yaml, strlen(yaml), err, errlen);
}

static void expect_json(const char *yaml, const char *json)
{
    char err[256];
    char *out = conv(yaml, err, sizeof err);
    if (!out)
        fail_msg("conversion failed: %s", err);
    if (strcmp(out, json) != 0)
        fail_msg("got      %s\nexpected %s", out, json);
    assert_string_equal(err, "");
    /* whatever we produce must be acceptable to our own strict parser */
    mz_json_limits lim = {.max_depth = 64};
    mz_json_doc *d = mz_json_parse(out, strlen(out), &lim, err, sizeof err);
    if (!d)
        fail_msg("output does not parse: %s", err);
    mz_json_free(d);
    free(out);
}

static void expect_error(const char *yaml, const char *msg_part)
{
    char err[256];
    char *out = conv(yaml, err, sizeof err);
    if (out) {
        fail_msg("accepted: %s", out);
    }
    if (msg_part && !strstr(err, msg_part))
        fail_msg("error \"%s\" lacks \"%s\"", err, msg_part);
}

static const char openapi_like[] = "openapi: 3.0.3\n"
                                   "info:\n"
                                   "  title: \"MijnZaken API\"\n"
                                   "  version: 1.0.0\n"
                                   "  description: |\n"
                                   "    Regel een.\n"
                                   "    Regel \"twee\".\n"
                                   "  summary: >\n"
                                   "    gevouwen\n"
                                   "    tekst\n"
                                   "paths:\n"
                                   "  /api/v1/zaken:\n"
                                   "    get:\n"
                                   "      operationId: listZaken\n"
                                   "      tags: [zaken, \"status\"]\n"
                                   "      parameters:\n"
                                   "        - name: limit\n"
                                   "          in: query\n"
                                   "          required: false\n"
                                   "          schema: {type: integer, maximum: 100, minimum: 1}\n"
                                   "      responses:\n"
                                   "        200:\n"
                                   "          description: OK\n"
                                   "        \"404\":\n"
                                   "          description: ~\n"
                                   "        default:\n"
                                   "          description: null\n"
                                   "  /api/v1/zaken/{id}: {}\n"
                                   "servers: []\n"
                                   "# a comment\n"
                                   "x-code: 200\n"
                                   "x-code-quoted: \"200\"\n"
                                   "x-code-single: '200'\n"
                                   "x-empty:\n";

static void test_openapi_like(void **state)
{
    (void)state;
    expect_json(openapi_like,
                "{\"openapi\":\"3.0.3\","
                "\"info\":{\"title\":\"MijnZaken API\",\"version\":\"1.0.0\","
                "\"description\":\"Regel een.\\nRegel \\\"twee\\\".\\n\","
                "\"summary\":\"gevouwen tekst\\n\"},"
                "\"paths\":{\"/api/v1/zaken\":{\"get\":{\"operationId\":\"listZaken\","
                "\"tags\":[\"zaken\",\"status\"],"
                "\"parameters\":[{\"name\":\"limit\",\"in\":\"query\",\"required\":false,"
                "\"schema\":{\"type\":\"integer\",\"maximum\":100,\"minimum\":1}}],"
                "\"responses\":{\"200\":{\"description\":\"OK\"},"
                "\"404\":{\"description\":null},"
                "\"default\":{\"description\":null}}}},"
                "\"/api/v1/zaken/{id}\":{}},"
                "\"servers\":[],"
                "\"x-code\":200,\"x-code-quoted\":\"200\",\"x-code-single\":\"200\","
                "\"x-empty\":null}");

    /* and read back through the JSON tree */
    char err[256];
    char *out = conv(openapi_like, err, sizeof err);
    assert_non_null(out);
    mz_json_doc *d = mz_json_parse(out, strlen(out), NULL, err, sizeof err);
    assert_non_null(d);
    const mz_json *r = mz_json_root(d);
    assert_int_equal(r->type, MZ_JSON_OBJECT);
    int64_t v;
    assert_true(mz_json_int64(mz_json_get(r, "x-code"), &v));
    assert_int_equal(v, 200);
    assert_string_equal(mz_json_string(mz_json_get(r, "x-code-quoted"), NULL), "200");
    assert_string_equal(mz_json_string(mz_json_get(mz_json_get(r, "info"), "version"), NULL),
                        "1.0.0");
    const mz_json *get = mz_json_get(mz_json_get(mz_json_get(r, "paths"), "/api/v1/zaken"), "get");
    assert_non_null(mz_json_get(mz_json_get(get, "responses"), "200"));
    assert_int_equal(mz_json_get(get, "parameters")->type, MZ_JSON_ARRAY);
    mz_json_free(d);
    free(out);
}

static void test_plain_scalars(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *json;
    } t[] = {
        {"200", "200"},
        {"-3", "-3"},
        {"-0", "-0"},
        {"0", "0"},
        {"1.5", "1.5"},
        {"1e3", "1e3"},
        {"-2.5E-3", "-2.5E-3"},
        {"1e400", "1e400"},
        {"1.0.0", "\"1.0.0\""},
        {"2026-01-02", "\"2026-01-02\""},
        {"0x1F", "\"0x1F\""},
        {".5", "\".5\""},
        {"5.", "\"5.\""},
        {"01", "\"01\""},
        {"+1", "\"+1\""},
        {"1_000", "\"1_000\""},
        {"1e", "\"1e\""},
        {".inf", "\".inf\""},
        {"null", "null"},
        {"Null", "null"},
        {"NULL", "null"},
        {"~", "null"},
        {"", "null"},
        {"nil", "\"nil\""},
        {"true", "true"},
        {"True", "true"},
        {"false", "false"},
        {"FALSE", "false"},
        {"yes", "\"yes\""},
        {"no", "\"no\""},
        {"on", "\"on\""},
        {"\"true\"", "\"true\""},
        {"'null'", "\"null\""},
        {"\"200\"", "\"200\""},
        {"'~'", "\"~\""},
        {"\"\"", "\"\""},
        {"!!str 200", "\"200\""},
        {"!!str true", "\"true\""},
        {"hello world", "\"hello world\""},
        {"application/json", "\"application/json\""},
        {"'it''s'", "\"it's\""},
        {"\"tab\\there\"", "\"tab\\there\""},
        {"\"\\u00e9 \\\" \\\\\"", "\"\xc3\xa9 \\\" \\\\\""},
        {"\"</script>\"", "\"<\\/script>\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char yaml[128], json[128];
        snprintf(yaml, sizeof yaml, "x: %s\n", t[i].yaml);
        snprintf(json, sizeof json, "{\"x\":%s}", t[i].json);
        expect_json(yaml, json);
        /* as the document root too */
        if (t[i].yaml[0] != '\0')
            expect_json(t[i].yaml, t[i].json);
    }
}

static void test_block_scalars(void **state)
{
    (void)state;
    expect_json("text: |\n  line one\n    indented\n\n  after blank\n",
                "{\"text\":\"line one\\n  indented\\n\\nafter blank\\n\"}");
    expect_json("text: |-\n  no final newline\n", "{\"text\":\"no final newline\"}");
    expect_json("text: >\n  folded\n  lines\n\n  para\n", "{\"text\":\"folded lines\\npara\\n\"}");
    /* a block scalar that looks like a number stays a string */
    expect_json("n: |-\n  200\n", "{\"n\":\"200\"}");
}

static void test_keys_are_strings(void **state)
{
    (void)state;
    expect_json("200: ok\ntrue: x\nnull: y\n1.5: z\n\"\": e\n",
                "{\"200\":\"ok\",\"true\":\"x\",\"null\":\"y\",\"1.5\":\"z\",\"\":\"e\"}");
    expect_json("a: {a: {a: 1}}\nb: {a: 2}\n", "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}");
    expect_error("? [a, b]\n: c\n", "mapping key is not a scalar");
    expect_error("? {a: 1}\n: c\n", "mapping key is not a scalar");
}

static void test_sequences(void **state)
{
    (void)state;
    expect_json("- 1\n- [2, [3, []]]\n- {a: [x, {b: ~}]}\n- - nested\n  - seq\n",
                "[1,[2,[3,[]]],{\"a\":[\"x\",{\"b\":null}]},[\"nested\",\"seq\"]]");
    expect_json("[]", "[]");
    expect_json("{}", "{}");
    expect_json("- a: 1\n  b: 2\n- a: 3\n", "[{\"a\":1,\"b\":2},{\"a\":3}]");
}

static void test_duplicate_keys_refused(void **state)
{
    (void)state;
    expect_error("a: 1\na: 2\n", "duplicate mapping key");
    expect_error("a: 1\n\"a\": 2\n",
                 "duplicate mapping key at line 2 column 1"); /* same key, other style */
    expect_error("x:\n  k: 1\n  j: 2\n  k: 3\n", "duplicate mapping key at line 4 column 3");
    expect_error("200: a\n'200': b\n", "duplicate mapping key");
}

static void test_anchors_aliases_refused(void **state)
{
    (void)state;
    expect_error("a: &x 1\nb: *x\n", "anchors are not supported at line 1 column 4");
    expect_error("a: &m {b: 1}\n", "anchors are not supported");
    expect_error("- &s [1]\n", "anchors are not supported");
    expect_error("base: &b {x: 1}\nderived:\n  <<: *b\n", "anchors");
}

static void test_tags(void **state)
{
    (void)state;
    expect_error("a: !!int 5\n", "tags are not supported");
    expect_error("a: !custom x\n", "tags are not supported");
    expect_error("a: !!set {x: ~}\n", "tags are not supported");
    expect_json("a: !!map {x: 1}\nb: !!seq [1]\n", "{\"a\":{\"x\":1},\"b\":[1]}");
}

static void test_documents(void **state)
{
    (void)state;
    expect_error("a: 1\n---\nb: 2\n", "more than one YAML document");
    expect_error("--- 1\n--- 2\n", "more than one YAML document");
    expect_json("---\na: 1\n...\n", "{\"a\":1}");
    expect_json("# comment only before\n---\n[1]\n", "[1]");
    expect_error("", "no YAML document");
    expect_error("# just a comment\n", "no YAML document");
    /* an explicit empty document is a null */
    expect_json("---\n", "null");
}

static void test_invalid_yaml(void **state)
{
    (void)state;
    expect_error("a: [1, 2\n", "line ");
    expect_error("a: b: c\n", "YAML error");
    expect_error("a:\n  - 1\n b: 2\n", "YAML error");
    expect_error("a: \"unterminated\n", "YAML error");
    expect_error("\"\\xZZ\"", "YAML error");
    /* escapes that decode to NUL or surrogates never reach the output */
    expect_error("a: \"x\\0y\"\n", "NUL");
    expect_error("a: \"\\ud800\"\n", NULL);
    /* raw invalid UTF-8 */
    expect_error("a: \"\xc0\xaf\"\n", NULL);
    expect_error("a: \xff\n", "at byte 3");

    char err[64];
    assert_null(mz_yaml_to_json(NULL, 4, err, sizeof err));
    assert_null(mz_yaml_to_json("a: [", 4, NULL, 0));
    char tiny[6];
    assert_null(mz_yaml_to_json("a: [", 4, tiny, sizeof tiny));
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    /* the length is explicit: bytes after len are ignored */
    char *out = mz_yaml_to_json("a: 1\nb: [", 5, err, sizeof err);
    assert_non_null(out);
    assert_string_equal(out, "{\"a\":1}");
    free(out);
}

static void test_deep_nesting_is_iterative(void **state)
{
    (void)state;
    size_t n = 5000;
    char *s = malloc(2 * n + 1);
    assert_non_null(s);
    memset(s, '[', n);
    memset(s + n, ']', n);
    s[2 * n] = '\0';
    char err[256];
    char *out = mz_yaml_to_json(s, 2 * n, err, sizeof err);
    /* libyaml may impose its own nesting limit; either way, no crash and
     * if it converts, the output is the same nesting */
    if (out) {
        assert_memory_equal(out, s, 2 * n + 1);
        free(out);
    } else {
        assert_true(err[0] != '\0');
    }
    free(s);
}

static void check_openapi_text(const char *yaml, size_t len)
{
    char err[256];
    char *json = mz_yaml_to_json(yaml, len, err, sizeof err);
    if (!json)
        fail_msg("openapi.yaml does not convert: %s", err);
    /* OpenAPI schemas nest deeper than request bodies may: raise the depth */
    mz_json_limits lim = {.max_depth = 64};
    mz_json_doc *d = mz_json_parse(json, strlen(json), &lim, err, sizeof err);
    if (!d)
        fail_msg("converted openapi.yaml does not parse: %s", err);
    assert_int_equal(mz_json_root(d)->type, MZ_JSON_OBJECT);
    assert_non_null(mz_json_get(mz_json_root(d), "openapi"));
    mz_json_free(d);
    free(json);
}

static void test_real_openapi_file(void **state)
{
    (void)state;
    const char *dir = getenv("MZ_SOURCE_DIR");
    if (!dir || !*dir)
        skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/openapi/openapi.yaml", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        skip();
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(text, cap);
            assert_non_null(p);
            text = p;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    assert_false(ferror(f));
    fclose(f);
    text[len] = '\0';
    check_openapi_text(text, len);
    free(text);
}

/* The copy compiled into the binary is what /api/v1/openapi.json serves. */
static void test_embedded_openapi(void **state)
{
    (void)state;
    check_openapi_text(mz_openapi_yaml, mz_openapi_yaml_len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openapi_like),
        cmocka_unit_test(test_plain_scalars),
        cmocka_unit_test(test_block_scalars),
        cmocka_unit_test(test_keys_are_strings),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_duplicate_keys_refused),
        cmocka_unit_test(test_anchors_aliases_refused),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_invalid_yaml),
        cmocka_unit_test(test_deep_nesting_is_iterative),
        cmocka_unit_test(test_real_openapi_file),
        cmocka_unit_test(test_embedded_openapi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
