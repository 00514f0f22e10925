/* Unit tests for service/auth.c: claim validation, header checks, and a
 * sign/verify round trip with freshly generated keys (algorithm pinning,
 * alg none, foreign keys, tampered payloads, duplicate claims). */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "crypto.h"

#define T_ISS "https://login.test.example"
#define T_AUD "mijnzaken-test"
#define T_NOW 1800000000

/* Claim fragments (T_NOW = 1800000000). */
#define C_ISS   "\"iss\":\"" T_ISS "\""
#define C_AUD   "\"aud\":\"" T_AUD "\""
#define C_SUB   "\"sub\":\"citizen-1\""
#define C_EXP   "\"exp\":1800000300"
#define C_BASE  C_ISS "," C_AUD "," C_SUB "," C_EXP
#define C_NOEXP C_ISS "," C_AUD "," C_SUB
#define C_NOAUD C_ISS "," C_SUB "," C_EXP
#define C_NOISS C_AUD "," C_SUB "," C_EXP
#define C_NOSUB C_ISS "," C_AUD "," C_EXP

static const mz_auth_settings g_settings = {T_ISS, T_AUD};

/* Fragments of claim values that a refusal reason must never repeat. */
static const char *const g_secrets[] = {
    "999993653", "99999", "12345", "000000000", "citizen", "login.test", "mijnzaken-test",
    "viewer",    "18000", "17999", "evil",      "1e300",   "xxxxxxxx",   "staff-",
};

static void assert_reason_clean(const char *reason, const char *what)
{
    if (!reason)
        fail_msg("%s: refused without a reason", what);
    if (!*reason)
        fail_msg("%s: empty reason", what);
    for (size_t i = 0; i < sizeof g_secrets / sizeof *g_secrets; i++) {
        if (strstr(reason, g_secrets[i]))
            fail_msg("%s: reason \"%s\" repeats claim text \"%s\"", what, reason, g_secrets[i]);
    }
}

static bool check(const char *json, mz_principal *p, const char **reason)
{
    *reason = NULL;
    memset(p, 0x5a, sizeof *p); /* stale garbage must not survive */
    return mz_auth_check_claims(json, strlen(json), T_NOW, &g_settings, p, reason);
}

/* --- accepted tokens */

static void test_accept_citizen(void **state)
{
    (void)state;
    mz_principal p;
    const char *reason;
    assert_true(check("{" C_BASE ",\"iat\":1800000000,\"bsn\":\"999993653\"}", &p, &reason));
    assert_true(p.has_bsn);
    assert_string_equal(p.bsn, "999993653");
    assert_int_equal(p.roles, 0);
    assert_string_equal(p.sub, "citizen-1");
    assert_int_equal(p.exp, 1800000300);
}

static void test_accept_staff(void **state)
{
    (void)state;
    struct {
        const char *json;
        unsigned roles;
        const char *sub;
    } cases[] = {
        {"{" C_ISS "," C_AUD "," C_EXP ",\"sub\":\"staff-1\",\"roles\":[\"professional\"]}",
         MZ_ROLE_PROFESSIONAL, "staff-1"},
        {"{" C_ISS "," C_AUD "," C_EXP ",\"sub\":\"staff-2\",\"roles\":[\"admin\"]}", MZ_ROLE_ADMIN,
         "staff-2"},
        {"{" C_ISS "," C_AUD "," C_EXP ",\"sub\":\"s\",\"roles\":[\"admin\",\"professional\"]}",
         MZ_ROLE_ADMIN | MZ_ROLE_PROFESSIONAL, "s"},
        {"{" C_ISS "," C_AUD "," C_EXP ",\"sub\":\"s\",\"roles\":[\"viewer\",\"admin\"]}",
         MZ_ROLE_ADMIN, "s"},
        /* an unknown role alone grants nothing, and there is no bsn */
        {"{" C_BASE ",\"roles\":[\"viewer\"]}", 0, "citizen-1"},
        {"{" C_BASE ",\"roles\":[]}", 0, "citizen-1"},
        {"{" C_BASE "}", 0, "citizen-1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_principal p;
        const char *reason;
        if (!check(cases[i].json, &p, &reason))
            fail_msg("case %zu refused: %s", i, reason ? reason : "(null)");
        assert_int_equal(p.roles, cases[i].roles);
        assert_false(p.has_bsn);
        assert_string_equal(p.bsn, "");
        assert_string_equal(p.sub, cases[i].sub);
    }
}

/* --- the table: claims JSON → accept / refuse */

typedef struct claim_case {
    const char *name;
    const char *json;
    bool ok;
} claim_case;

static const claim_case g_cases[] = {
    /* subjects and representation (issue 14) */
    {"kvk 8 digits", "{" C_BASE ",\"kvk\":\"90000001\"}", true},
    {"kvk 7 digits", "{" C_BASE ",\"kvk\":\"9000001\"}", false},
    {"kvk a number", "{" C_BASE ",\"kvk\":90000001}", false},
    {"kvk all zero", "{" C_BASE ",\"kvk\":\"00000000\"}", false},
    {"kvk and bsn", "{" C_BASE ",\"kvk\":\"90000001\",\"bsn\":\"999993653\"}", false},
    {"kvk with roles", "{" C_BASE ",\"kvk\":\"90000001\",\"roles\":[\"admin\"]}", false},
    {"act for a person", "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999990019\"}}",
     true},
    {"act for a business", "{" C_BASE ",\"kvk\":\"90000001\",\"act\":{\"bsn\":\"999990019\"}}",
     true},
    {"act for oneself", "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999993653\"}}",
     false},
    {"act without subject", "{" C_BASE ",\"act\":{\"bsn\":\"999990019\"}}", false},
    {"act empty", "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{}}", false},
    {"act bad bsn", "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"123456789\"}}", false},
    {"act a string", "{" C_BASE ",\"bsn\":\"999993653\",\"act\":\"999990019\"}", false},
    {"scope",
     "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999990019\"},"
     "\"authorization\":{\"agencies\":[\"gemeente-a\",\"uwv\"]}}",
     true},
    {"scope without act",
     "{" C_BASE ",\"bsn\":\"999993653\","
     "\"authorization\":{\"agencies\":[\"uwv\"]}}",
     false},
    {"scope empty",
     "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999990019\"},"
     "\"authorization\":{\"agencies\":[]}}",
     false},
    {"scope bad id",
     "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999990019\"},"
     "\"authorization\":{\"agencies\":[\"Evil Agency\"]}}",
     false},
    {"scope extra member",
     "{" C_BASE ",\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999990019\"},"
     "\"authorization\":{\"agencies\":[\"uwv\"],\"x\":1}}",
     false},
    /* audience */
    {"aud array with ours", "{" C_NOAUD ",\"aud\":[\"other\",\"" T_AUD "\",\"x\"]}", true},
    {"aud array with ours only", "{" C_NOAUD ",\"aud\":[\"" T_AUD "\"]}", true},
    {"aud array without ours", "{" C_NOAUD ",\"aud\":[\"other\",\"mijnzaken\"]}", false},
    {"aud empty array", "{" C_NOAUD ",\"aud\":[]}", false},
    {"aud missing", "{" C_NOAUD "}", false},
    {"aud a number", "{" C_NOAUD ",\"aud\":42}", false},
    {"aud null", "{" C_NOAUD ",\"aud\":null}", false},
    {"aud an object", "{" C_NOAUD ",\"aud\":{\"" T_AUD "\":true}}", false},
    {"aud array of arrays", "{" C_NOAUD ",\"aud\":[[\"" T_AUD "\"]]}", false},
    {"aud prefix of ours", "{" C_NOAUD ",\"aud\":\"mijnzaken-tes\"}", false},
    {"aud ours as prefix", "{" C_NOAUD ",\"aud\":\"mijnzaken-test2\"}", false},
    {"aud case differs", "{" C_NOAUD ",\"aud\":\"MIJNZAKEN-TEST\"}", false},
    {"aud empty string", "{" C_NOAUD ",\"aud\":\"\"}", false},
    /* issuer */
    {"iss wrong", "{" C_NOISS ",\"iss\":\"https://evil.example\"}", false},
    {"iss missing", "{" C_NOISS "}", false},
    {"iss prefix of ours", "{" C_NOISS ",\"iss\":\"https://login.test.exampl\"}", false},
    {"iss ours plus slash", "{" C_NOISS ",\"iss\":\"https://login.test.example/\"}", false},
    {"iss a number", "{" C_NOISS ",\"iss\":1}", false},
    {"iss an array", "{" C_NOISS ",\"iss\":[\"" T_ISS "\"]}", false},
    {"iss empty", "{" C_NOISS ",\"iss\":\"\"}", false},
    /* exp */
    {"exp missing", "{" C_NOEXP "}", false},
    {"exp a string", "{" C_NOEXP ",\"exp\":\"1800000100\"}", false},
    {"exp null", "{" C_NOEXP ",\"exp\":null}", false},
    {"exp true", "{" C_NOEXP ",\"exp\":true}", false},
    {"exp past beyond leeway", "{" C_NOEXP ",\"exp\":1799999939}", false},
    {"exp long past", "{" C_NOEXP ",\"exp\":1000}", false},
    {"exp zero", "{" C_NOEXP ",\"exp\":0}", false},
    {"exp negative", "{" C_NOEXP ",\"exp\":-5}", false},
    {"exp past within leeway", "{" C_NOEXP ",\"exp\":1799999941}", true},
    {"exp float", "{" C_NOEXP ",\"exp\":1800000100.5}", true},
    {"exp float in the past", "{" C_NOEXP ",\"exp\":1799999900.5}", false},
    {"exp exponent form", "{" C_NOEXP ",\"exp\":1.8000001e9}", true},
    {"exp -1e300", "{" C_NOEXP ",\"exp\":-1e300}", false},
    /* nbf / iat */
    {"nbf future beyond leeway", "{" C_BASE ",\"nbf\":1800000061}", false},
    {"nbf future within leeway", "{" C_BASE ",\"nbf\":1800000059}", true},
    {"nbf past", "{" C_BASE ",\"nbf\":1799990000}", true},
    {"nbf a string", "{" C_BASE ",\"nbf\":\"0\"}", false},
    {"iat future beyond leeway", "{" C_BASE ",\"iat\":1800000061}", false},
    {"iat future within leeway", "{" C_BASE ",\"iat\":1800000059}", true},
    {"iat a string", "{" C_BASE ",\"iat\":\"1800000000\"}", false},
    {"iat far future float", "{" C_BASE ",\"iat\":1e300}", false},
    /* bsn */
    {"bsn invalid checksum", "{" C_BASE ",\"bsn\":\"123456789\"}", false},
    {"bsn all zero", "{" C_BASE ",\"bsn\":\"000000000\"}", false},
    {"bsn a number", "{" C_BASE ",\"bsn\":999993653}", false},
    {"bsn 10 digits", "{" C_BASE ",\"bsn\":\"9999936530\"}", false},
    {"bsn 8 digits", "{" C_BASE ",\"bsn\":\"99999365\"}", false},
    {"bsn empty", "{" C_BASE ",\"bsn\":\"\"}", false},
    {"bsn null", "{" C_BASE ",\"bsn\":null}", false},
    {"bsn in array", "{" C_BASE ",\"bsn\":[\"999993653\"]}", false},
    {"bsn with space", "{" C_BASE ",\"bsn\":\" 999993653\"}", false},
    {"bsn and professional", "{" C_BASE ",\"bsn\":\"999993653\",\"roles\":[\"professional\"]}",
     false},
    {"bsn and admin (roles first)", "{" C_BASE ",\"roles\":[\"admin\"],\"bsn\":\"999993653\"}",
     false},
    {"duplicate bsn", "{" C_BASE ",\"bsn\":\"999993653\",\"bsn\":\"999990019\"}", false},
    {"duplicate bsn, same value", "{" C_BASE ",\"bsn\":\"999993653\",\"bsn\":\"999993653\"}",
     false},
    {"duplicate exp", "{" C_BASE ",\"exp\":1800000300}", false},
    {"duplicate sub", "{" C_BASE ",\"sub\":\"other\"}", false},
    /* roles */
    {"roles a string", "{" C_BASE ",\"roles\":\"professional\"}", false},
    {"roles an object", "{" C_BASE ",\"roles\":{\"professional\":true}}", false},
    {"roles with a number", "{" C_BASE ",\"roles\":[\"professional\",1]}", false},
    {"roles with null", "{" C_BASE ",\"roles\":[null]}", false},
    {"roles nested array", "{" C_BASE ",\"roles\":[[\"admin\"]]}", false},
    /* sub */
    {"sub missing", "{" C_NOSUB "}", false},
    {"sub empty", "{" C_NOSUB ",\"sub\":\"\"}", false},
    {"sub a number", "{" C_NOSUB ",\"sub\":42}", false},
    {"sub 128 chars",
     "{" C_NOSUB ",\"sub\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
     true},
    {"sub 129 chars",
     "{" C_NOSUB ",\"sub\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
     false},
    {"sub 200 chars",
     "{" C_NOSUB ",\"sub\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
     false},
    /* shape */
    {"not JSON", "{" C_BASE, false},
    {"garbage", "hello", false},
    {"empty text", "", false},
    {"JSON array", "[{" C_BASE "}]", false},
    {"JSON string", "\"" T_AUD "\"", false},
    {"JSON null", "null", false},
    {"trailing garbage", "{" C_BASE "}x", false},
    {"two objects", "{" C_BASE "}{" C_BASE "}", false},
    {"invalid UTF-8 in a claim", "{" C_BASE ",\"name\":\"\xc0\xaf\"}", false},
    {"extra claims are fine", "{" C_BASE ",\"name\":\"Jan\",\"x\":{\"y\":[1,2]}}", true},
};

static void test_claims_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof g_cases / sizeof *g_cases; i++) {
        mz_principal p;
        const char *reason;
        bool ok = check(g_cases[i].json, &p, &reason);
        if (ok != g_cases[i].ok)
            fail_msg("case \"%s\": expected %s, got %s (%s)", g_cases[i].name,
                     g_cases[i].ok ? "accept" : "refuse", ok ? "accept" : "refuse",
                     reason ? reason : "no reason");
        if (ok)
            continue;
        assert_reason_clean(reason, g_cases[i].name);
        /* a refused principal carries nothing */
        assert_false(p.has_bsn);
        assert_int_equal(p.roles, 0);
        assert_null(memchr(p.bsn, '9', sizeof p.bsn));
        assert_string_equal(p.sub, "");
    }
}

static void test_float_exp_truncates(void **state)
{
    (void)state;
    mz_principal p;
    const char *reason;
    assert_true(check("{" C_NOEXP ",\"exp\":1800000100.5}", &p, &reason));
    assert_int_equal(p.exp, 1800000100);
}

/* Absurd floats must be handled without UB (the sanitizer build checks the
 * conversion); accepting or refusing are both fine, crashing is not. */
static void test_huge_float_exp(void **state)
{
    (void)state;
    const char *inputs[] = {
        "{" C_NOEXP ",\"exp\":1e300}",  "{" C_NOEXP ",\"exp\":1e19}",
        "{" C_NOEXP ",\"exp\":9.3e18}", "{" C_NOEXP ",\"exp\":-9.3e18}",
        "{" C_NOEXP ",\"exp\":1e999}",  "{" C_BASE ",\"nbf\":-1e300}",
        "{" C_BASE ",\"iat\":-1e300}",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        mz_principal p;
        const char *reason;
        if (!check(inputs[i], &p, &reason))
            assert_reason_clean(reason, inputs[i]);
    }
}

/* Integer claims at the ends of the int64 range. Accept or refuse are both
 * acceptable for most, but the arithmetic with the leeway must not overflow
 * (signed overflow is UB; the sanitizer build aborts on it). A far-future
 * exp is a valid token; a nbf at the far past is no restriction. */
static void test_extreme_integer_times(void **state)
{
    (void)state;
    struct {
        const char *json;
        int expect; /* 1 accept, 0 refuse, -1 either */
    } cases[] = {
        {"{" C_NOEXP ",\"exp\":-9223372036854775808}", 0},
        {"{" C_NOEXP ",\"exp\":-9223372036854775807}", 0},
        {"{" C_BASE ",\"iat\":9223372036854775807}", 0},
        {"{" C_BASE ",\"nbf\":9223372036854775807}", 0},
        {"{" C_NOEXP ",\"exp\":9223372036854775807}", -1},
        {"{" C_NOEXP ",\"exp\":9223372036854775800}", -1},
        {"{" C_BASE ",\"nbf\":-9223372036854775807}", -1},
        {"{" C_BASE ",\"iat\":-9223372036854775807}", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_principal p;
        const char *reason;
        bool ok = check(cases[i].json, &p, &reason);
        if (cases[i].expect >= 0 && ok != (cases[i].expect == 1))
            fail_msg("case %zu: unexpected %s", i, ok ? "accept" : "refuse");
        if (!ok)
            assert_reason_clean(reason, cases[i].json);
    }
}

static char *nested_claims(size_t depth)
{
    const char *head = "{" C_BASE ",\"deep\":";
    size_t hl = strlen(head);
    char *s = malloc(hl + 2 * depth + 2);
    assert_non_null(s);
    memcpy(s, head, hl);
    size_t n = hl;
    for (size_t i = 0; i < depth; i++)
        s[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_deep_nesting_refused(void **state)
{
    (void)state;
    const size_t depths[] = {10, 100, 100000};
    for (size_t i = 0; i < sizeof depths / sizeof *depths; i++) {
        char *s = nested_claims(depths[i]);
        mz_principal p;
        const char *reason;
        assert_false(check(s, &p, &reason));
        assert_reason_clean(reason, "deep nesting");
        free(s);
    }
}

static void test_explicit_length(void **state)
{
    (void)state;
    mz_principal p;
    const char *reason = NULL;
    /* bytes after len are not read */
    static const char text[] = "{" C_BASE "}garbage";
    assert_true(mz_auth_check_claims(text, sizeof text - 1 - strlen("garbage"), T_NOW, &g_settings,
                                     &p, &reason));
    /* a NUL inside len is refused, not a silent end of input */
    static const char withnul[] = "{" C_BASE "}\0{";
    reason = NULL;
    assert_false(
        mz_auth_check_claims(withnul, sizeof withnul - 1, T_NOW, &g_settings, &p, &reason));
    assert_reason_clean(reason, "embedded NUL");
    /* the same claims are judged against the settings given */
    mz_auth_settings other = {T_ISS, "someone-else"};
    reason = NULL;
    assert_false(mz_auth_check_claims(text, sizeof text - 1 - strlen("garbage"), T_NOW, &other, &p,
                                      &reason));
    assert_reason_clean(reason, "other audience");
    /* and at the time given */
    reason = NULL;
    assert_false(mz_auth_check_claims(text, sizeof text - 1 - strlen("garbage"), 1800000361,
                                      &g_settings, &p, &reason));
    assert_reason_clean(reason, "later now");
}

/* --- mz_auth_verify header handling (no key needed) */

static void expect_header_refused(const char *header, const char *what)
{
    mz_principal p;
    const char *reason = NULL;
    memset(&p, 0x5a, sizeof p);
    if (mz_auth_verify(header, &p, &reason))
        fail_msg("%s: accepted", what);
    if (!reason || !*reason)
        fail_msg("%s: no reason", what);
    assert_false(p.has_bsn);
    assert_int_equal(p.roles, 0);
}

static void test_verify_header_refusals(void **state)
{
    (void)state;
    expect_header_refused(NULL, "NULL header");
    expect_header_refused("", "empty header");
    expect_header_refused("Basic abc", "Basic scheme");
    expect_header_refused("Bearer", "scheme only");
    expect_header_refused("Bearer ", "empty token");
    expect_header_refused("Bearer    ", "spaces only");
    expect_header_refused("Bearerabc.def.ghi", "no space after scheme");
    expect_header_refused("Bearer abc def", "token with a space");
    expect_header_refused("Bearer abc.def.ghi=", "token with '='");
    expect_header_refused("Bearer abc.d+f.ghi", "token with '+'");
    expect_header_refused("Bearer abc.def.ghi\n", "token with newline");
    expect_header_refused("Bearer a.b.c", "not a JWT");

    const char *reason = NULL;
    mz_principal p;
    assert_false(mz_auth_verify(NULL, &p, &reason));
    assert_string_equal(reason, "missing bearer token");

    char *big = malloc(9000 + 8);
    assert_non_null(big);
    memcpy(big, "Bearer ", 7);
    memset(big + 7, 'a', 9000);
    big[7 + 9000] = '\0';
    expect_header_refused(big, "9000-char token");
    /* just over the limit, still made of token characters */
    big[7 + MZ_AUTH_MAX_TOKEN + 1] = '\0';
    expect_header_refused(big, "MAX+1 token");
    free(big);
}

/* --- sign and verify with real keys */

typedef struct keys {
    char dir[64];
    char rs_priv[128], rs_pub[128];
    char rs2_priv[128], rs2_pub[128];
    char es_priv[128], es_pub[128];
    char notpem[128];
} keys;

static void path_in(char *out, size_t n, const char *dir, const char *name)
{
    int w = snprintf(out, n, "%s/%s", dir, name);
    assert_true(w > 0 && (size_t)w < n);
}

static int keys_setup(void **state)
{
    keys *k = calloc(1, sizeof *k);
    if (!k)
        return -1;
    snprintf(k->dir, sizeof k->dir, "/tmp/mz-auth-test-XXXXXX");
    if (!mkdtemp(k->dir)) {
        free(k);
        return -1;
    }
    snprintf(k->rs_priv, sizeof k->rs_priv, "%s/rs.key", k->dir);
    snprintf(k->rs_pub, sizeof k->rs_pub, "%s/rs.pub", k->dir);
    snprintf(k->rs2_priv, sizeof k->rs2_priv, "%s/rs2.key", k->dir);
    snprintf(k->rs2_pub, sizeof k->rs2_pub, "%s/rs2.pub", k->dir);
    snprintf(k->es_priv, sizeof k->es_priv, "%s/es.key", k->dir);
    snprintf(k->es_pub, sizeof k->es_pub, "%s/es.pub", k->dir);
    snprintf(k->notpem, sizeof k->notpem, "%s/notpem.txt", k->dir);
    char err[256];
    *state = k; /* the teardown removes whatever was made */
    if (!mz_generate_keypair("RS256", k->rs_priv, k->rs_pub, err, sizeof err) ||
        !mz_generate_keypair("RS256", k->rs2_priv, k->rs2_pub, err, sizeof err) ||
        !mz_generate_keypair("ES256", k->es_priv, k->es_pub, err, sizeof err)) {
        fprintf(stderr, "keygen: %s\n", err);
        return -1;
    }
    FILE *f = fopen(k->notpem, "w");
    if (!f)
        return -1;
    fputs("not a key\n", f);
    fclose(f);
    return 0;
}

static int keys_teardown(void **state)
{
    keys *k = *state;
    mz_auth_shutdown();
    if (!k)
        return 0;
    const char *files[] = {k->rs_priv, k->rs_pub, k->rs2_priv, k->rs2_pub,
                           k->es_priv, k->es_pub, k->notpem};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    rmdir(k->dir);
    free(k);
    return 0;
}

static char *read_pem(const char *path, size_t *len)
{
    char *pem = mz_read_file(path, len, 64 * 1024);
    assert_non_null(pem);
    return pem;
}

/* Claims valid now, with the given extra members (starting with ','). */
static void claims_now(char *out, size_t n, const char *extra)
{
    long long now = (long long)time(NULL);
    int w = snprintf(out, n,
                     "{\"iss\":\"" T_ISS "\",\"aud\":\"" T_AUD "\",\"sub\":\"citizen-1\","
                     "\"iat\":%lld,\"exp\":%lld%s}",
                     now, now + 300, extra ? extra : "");
    assert_true(w > 0 && (size_t)w < n);
}

static char *sign_with(const char *alg, const char *key_path, const char *claims)
{
    size_t len = 0;
    char *pem = key_path ? read_pem(key_path, &len) : NULL;
    char *tok = mz_auth_sign(alg, pem, len, claims);
    free(pem);
    return tok;
}

static bool verify_token(const char *tok, mz_principal *p, const char **reason)
{
    size_t n = strlen(tok) + 8;
    char *h = malloc(n);
    assert_non_null(h);
    snprintf(h, n, "Bearer %s", tok);
    *reason = NULL;
    bool ok = mz_auth_verify(h, p, reason);
    free(h);
    return ok;
}

static void expect_token_refused(const char *tok, const char *must_contain, const char *what)
{
    mz_principal p;
    const char *reason;
    if (verify_token(tok, &p, &reason))
        fail_msg("%s: accepted", what);
    assert_reason_clean(reason, what);
    if (must_contain && !strstr(reason, must_contain))
        fail_msg("%s: reason \"%s\" lacks \"%s\"", what, reason, must_contain);
    assert_false(p.has_bsn);
}

static void test_init_refusals(void **state)
{
    keys *k = *state;
    char err[256];
    err[0] = '\0';
    assert_false(mz_auth_init(NULL, "RS256", T_ISS, T_AUD, err, sizeof err));
    assert_non_null(strstr(err, "MZ_JWT_PUBLIC_KEY_FILE"));
    assert_false(mz_auth_init("", "RS256", T_ISS, T_AUD, err, sizeof err));
    err[0] = '\0';
    assert_false(mz_auth_init(k->rs_pub, "HS256", T_ISS, T_AUD, err, sizeof err));
    assert_non_null(strstr(err, "MZ_JWT_ALG"));
    assert_false(mz_auth_init(k->rs_pub, "none", T_ISS, T_AUD, err, sizeof err));
    assert_false(mz_auth_init(k->rs_pub, "rs256x", T_ISS, T_AUD, err, sizeof err));
    err[0] = '\0';
    char missing[200];
    path_in(missing, sizeof missing, k->dir, "missing.pub");
    assert_false(mz_auth_init(missing, "RS256", T_ISS, T_AUD, err, sizeof err));
    assert_true(err[0] != '\0');
    assert_false(mz_auth_init(k->notpem, "RS256", T_ISS, T_AUD, err, sizeof err));
    /* a private key is not accepted as the verification key */
    assert_false(mz_auth_init(k->rs_priv, "RS256", T_ISS, T_AUD, err, sizeof err));
    /* without a configured key nothing verifies */
    char claims[512];
    claims_now(claims, sizeof claims, ",\"bsn\":\"999993653\"");
    char *tok = sign_with("RS256", k->rs_priv, claims);
    assert_non_null(tok);
    mz_auth_shutdown();
    expect_token_refused(tok, NULL, "no key configured");
    free(tok);
}

static void test_round_trip_rs256(void **state)
{
    keys *k = *state;
    char err[256];
    assert_true(mz_auth_init(k->rs_pub, "RS256", T_ISS, T_AUD, err, sizeof err));

    char claims[512];
    claims_now(claims, sizeof claims, ",\"bsn\":\"999993653\"");
    char *tok = sign_with("RS256", k->rs_priv, claims);
    assert_non_null(tok);

    mz_principal p;
    const char *reason;
    if (!verify_token(tok, &p, &reason))
        fail_msg("valid RS256 token refused: %s", reason ? reason : "(null)");
    assert_true(p.has_bsn);
    assert_string_equal(p.bsn, "999993653");
    assert_string_equal(p.sub, "citizen-1");
    assert_int_equal(p.roles, 0);
    assert_true(p.exp > (int64_t)time(NULL));

    /* scheme is case-insensitive; extra spaces before the token are skipped */
    size_t hn = strlen(tok) + 16;
    char *h = malloc(hn);
    assert_non_null(h);
    snprintf(h, hn, "bearer   %s", tok);
    assert_true(mz_auth_verify(h, &p, &reason));
    free(h);

    /* a staff token */
    claims_now(claims, sizeof claims, ",\"roles\":[\"professional\"]");
    char *staff = sign_with("RS256", k->rs_priv, claims);
    assert_non_null(staff);
    assert_true(verify_token(staff, &p, &reason));
    assert_int_equal(p.roles, MZ_ROLE_PROFESSIONAL);
    assert_false(p.has_bsn);
    free(staff);

    /* properly signed but the claims are wrong */
    long long now = (long long)time(NULL);
    char bad[512];
    snprintf(bad, sizeof bad,
             "{\"iss\":\"" T_ISS "\",\"aud\":\"" T_AUD "\",\"sub\":\"citizen-1\","
             "\"exp\":%lld,\"bsn\":\"999993653\"}",
             now - 3600);
    char *expired = sign_with("RS256", k->rs_priv, bad);
    assert_non_null(expired);
    expect_token_refused(expired, "expired", "expired token");
    free(expired);
    snprintf(bad, sizeof bad,
             "{\"iss\":\"https://evil.example\",\"aud\":\"" T_AUD "\",\"sub\":\"citizen-1\","
             "\"exp\":%lld,\"bsn\":\"999993653\"}",
             now + 300);
    char *wrongiss = sign_with("RS256", k->rs_priv, bad);
    assert_non_null(wrongiss);
    expect_token_refused(wrongiss, "issuer", "wrong issuer");
    free(wrongiss);
    claims_now(claims, sizeof claims, ",\"bsn\":\"123456789\"");
    char *badbsn = sign_with("RS256", k->rs_priv, claims);
    assert_non_null(badbsn);
    expect_token_refused(badbsn, "bsn", "invalid bsn");
    free(badbsn);

    free(tok);
}

static void test_forged_tokens_refused(void **state)
{
    keys *k = *state;
    char err[256];
    assert_true(mz_auth_init(k->rs_pub, "RS256", T_ISS, T_AUD, err, sizeof err));
    char claims[512];
    claims_now(claims, sizeof claims, ",\"bsn\":\"999993653\"");

    /* HS256 with our public key PEM as the HMAC secret */
    size_t publen;
    char *pubpem = read_pem(k->rs_pub, &publen);
    char *hs = mz_auth_sign("HS256", pubpem, publen, claims);
    assert_non_null(hs);
    expect_token_refused(hs, "algorithm", "HS256 with public key");
    free(hs);
    /* same with the terminating NUL counted into the secret */
    hs = mz_auth_sign("HS256", pubpem, publen + 1, claims);
    assert_non_null(hs);
    expect_token_refused(hs, NULL, "HS256 with public key + NUL");
    free(hs);
    free(pubpem);

    /* alg none */
    char *none = mz_auth_sign("none", NULL, 0, claims);
    assert_non_null(none);
    expect_token_refused(none, NULL, "alg none");
    /* alg none with a made-up signature segment */
    size_t nl = strlen(none);
    char *none_sig = malloc(nl + 8);
    assert_non_null(none_sig);
    snprintf(none_sig, nl + 8, "%s%sAAAA", none, none[nl - 1] == '.' ? "" : ".");
    expect_token_refused(none_sig, NULL, "alg none with signature");
    free(none_sig);
    free(none);

    /* signed by another RSA key */
    char *other = sign_with("RS256", k->rs2_priv, claims);
    assert_non_null(other);
    expect_token_refused(other, NULL, "other RS256 key");
    free(other);

    /* ES256 when RS256 is pinned */
    char *es = sign_with("ES256", k->es_priv, claims);
    assert_non_null(es);
    expect_token_refused(es, NULL, "ES256 token, RS256 pinned");

    /* A key that does not fit the pinned algorithm is refused at start
     * (an EC key with RS256 pinned); the previous pinning stays, and the
     * ES256 token is refused for its algorithm. */
    assert_false(mz_auth_init(k->es_pub, "RS256", T_ISS, T_AUD, err, sizeof err));
    assert_non_null(strstr(err, "does not fit"));
    expect_token_refused(es, "algorithm", "ES256 token, RS256 pinned");
    /* and with ES256 pinned the same token is fine */
    assert_true(mz_auth_init(k->es_pub, "ES256", T_ISS, T_AUD, err, sizeof err));
    mz_principal p;
    const char *reason;
    if (!verify_token(es, &p, &reason))
        fail_msg("ES256 token refused with ES256 pinned: %s", reason ? reason : "(null)");
    assert_string_equal(p.bsn, "999993653");
    free(es);

    /* back to RS256 for the tampering checks */
    assert_true(mz_auth_init(k->rs_pub, "RS256", T_ISS, T_AUD, err, sizeof err));
    char *good = sign_with("RS256", k->rs_priv, claims);
    assert_non_null(good);
    assert_true(verify_token(good, &p, &reason));

    /* payload segment replaced by another (also valid-looking) payload */
    char claims2[512];
    claims_now(claims2, sizeof claims2, ",\"bsn\":\"999990019\"");
    char *good2 = sign_with("RS256", k->rs_priv, claims2);
    assert_non_null(good2);
    const char *a1 = strchr(good, '.'), *a2 = strrchr(good, '.');
    const char *b1 = strchr(good2, '.'), *b2 = strrchr(good2, '.');
    assert_non_null(a1);
    assert_true(a2 > a1);
    size_t sz = strlen(good) + strlen(good2) + 1;
    char *spliced = malloc(sz);
    assert_non_null(spliced);
    snprintf(spliced, sz, "%.*s%.*s%s", (int)(a1 - good), good, (int)(b2 - b1), b1, a2);
    expect_token_refused(spliced, NULL, "spliced payload");
    free(spliced);
    free(good2);

    /* one character of the payload changed */
    char *tampered = strdup(good);
    assert_non_null(tampered);
    size_t mid = (size_t)(a1 - good) + (size_t)(a2 - a1) / 2;
    tampered[mid] = tampered[mid] == 'A' ? 'B' : 'A';
    expect_token_refused(tampered, NULL, "altered payload byte");
    /* signature truncated / removed */
    strcpy(tampered, good);
    tampered[a2 - good + 1] = '\0';
    expect_token_refused(tampered, NULL, "empty signature");
    strcpy(tampered, good);
    tampered[strlen(tampered) - 2] = '\0';
    expect_token_refused(tampered, NULL, "truncated signature");
    free(tampered);
    free(good);
}

/* Builds header.payload.signature by hand with OpenSSL (RS256 = PKCS#1 v1.5
 * with SHA-256), so the payload can hold what libjwt would not write. */
static char *craft_rs256(const char *priv_path, const char *header, const char *payload)
{
    size_t keylen;
    char *pem = read_pem(priv_path, &keylen);
    BIO *bio = BIO_new_mem_buf(pem, (int)keylen);
    assert_non_null(bio);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    free(pem);
    assert_non_null(pkey);

    size_t hl = strlen(header), pl = strlen(payload);
    size_t cap = 4 * (hl + pl + 600) / 3 + 16;
    char *tok = malloc(cap);
    assert_non_null(tok);
    size_t n = mz_b64url_encode(header, hl, tok);
    tok[n++] = '.';
    n += mz_b64url_encode(payload, pl, tok + n);

    unsigned char sig[512];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)tok, n), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    tok[n++] = '.';
    mz_b64url_encode(sig, siglen, tok + n);
    return tok;
}

static void test_crafted_payloads(void **state)
{
    keys *k = *state;
    char err[256];
    assert_true(mz_auth_init(k->rs_pub, "RS256", T_ISS, T_AUD, err, sizeof err));
    const char *hdr = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    long long now = (long long)time(NULL);
    char payload[512];

    /* control: the hand-made token verifies, so refusals below are meaningful */
    snprintf(payload, sizeof payload,
             "{\"iss\":\"" T_ISS "\",\"aud\":\"" T_AUD "\",\"sub\":\"citizen-1\","
             "\"exp\":%lld,\"bsn\":\"999993653\"}",
             now + 300);
    char *tok = craft_rs256(k->rs_priv, hdr, payload);
    mz_principal p;
    const char *reason;
    if (!verify_token(tok, &p, &reason))
        fail_msg("crafted control token refused: %s", reason ? reason : "(null)");
    assert_string_equal(p.bsn, "999993653");
    free(tok);

    /* two bsn members: libjwt's JSON reader keeps one; we must refuse */
    snprintf(payload, sizeof payload,
             "{\"iss\":\"" T_ISS "\",\"aud\":\"" T_AUD "\",\"sub\":\"citizen-1\","
             "\"exp\":%lld,\"bsn\":\"999993653\",\"bsn\":\"999990019\"}",
             now + 300);
    tok = craft_rs256(k->rs_priv, hdr, payload);
    expect_token_refused(tok, NULL, "duplicate bsn in signed payload");
    free(tok);

    /* two exp members, the second one expired */
    snprintf(payload, sizeof payload,
             "{\"iss\":\"" T_ISS "\",\"aud\":\"" T_AUD "\",\"sub\":\"citizen-1\","
             "\"exp\":%lld,\"exp\":%lld,\"bsn\":\"999993653\"}",
             now + 300, now - 3600);
    tok = craft_rs256(k->rs_priv, hdr, payload);
    expect_token_refused(tok, NULL, "duplicate exp in signed payload");
    free(tok);

    /* header claims RS256 but the payload is an array */
    tok = craft_rs256(k->rs_priv, hdr, "[1,2,3]");
    expect_token_refused(tok, NULL, "array payload");
    free(tok);
}

/* A failed mz_auth_init must not weaken the configuration that was in
 * place: the pinned algorithm may not become one that init refused. */
static void test_failed_init_keeps_pinning(void **state)
{
    keys *k = *state;
    char err[256];
    assert_true(mz_auth_init(k->rs_pub, "RS256", T_ISS, T_AUD, err, sizeof err));
    assert_false(mz_auth_init(k->rs_pub, "HS256", T_ISS, T_AUD, err, sizeof err));
    char claims[512];
    claims_now(claims, sizeof claims, ",\"bsn\":\"999993653\"");
    size_t publen;
    char *pubpem = read_pem(k->rs_pub, &publen);
    char *hs = mz_auth_sign("HS256", pubpem, publen, claims);
    free(pubpem);
    assert_non_null(hs);
    mz_principal p;
    const char *reason;
    bool accepted = verify_token(hs, &p, &reason);
    free(hs);
    if (accepted)
        fail_msg("after a refused mz_auth_init(\"HS256\"), an HS256 token signed with the "
                 "public key was accepted");
    assert_reason_clean(reason, "HS256 after failed init");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_citizen),
        cmocka_unit_test(test_accept_staff),
        cmocka_unit_test(test_claims_table),
        cmocka_unit_test(test_float_exp_truncates),
        cmocka_unit_test(test_huge_float_exp),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_explicit_length),
        cmocka_unit_test(test_verify_header_refusals),
        cmocka_unit_test(test_init_refusals),
        cmocka_unit_test(test_round_trip_rs256),
        cmocka_unit_test(test_forged_tokens_refused),
        cmocka_unit_test(test_crafted_payloads),
        cmocka_unit_test(test_failed_init_keeps_pinning),
        /* last: under the sanitizer a signed overflow aborts the program */
        cmocka_unit_test(test_extreme_integer_times),
    };
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
