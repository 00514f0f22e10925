/*
 * test_oidc_jws.c — JWS verification (service/jws.c), JWKS parsing and the
 * rotating key cache (service/oidc_jwks.c), with keys generated here and
 * tokens signed here with OpenSSL (oidc_testkit.h).
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "oidc_testkit.h"

#include "buf.h"
#include "jws.h"
#include "oidc_jwks.h"

static EVP_PKEY *g_rsa, *g_rsa2, *g_ec, *g_rsa1024;

static int setup(void **state)
{
    (void)state;
    g_rsa = EVP_RSA_gen(2048);
    g_rsa2 = EVP_RSA_gen(2048);
    g_ec = EVP_EC_gen("P-256");
    g_rsa1024 = EVP_RSA_gen(1024);
    return g_rsa && g_rsa2 && g_ec && g_rsa1024 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(g_rsa);
    EVP_PKEY_free(g_rsa2);
    EVP_PKEY_free(g_ec);
    EVP_PKEY_free(g_rsa1024);
    return 0;
}

static const char *k_payload = "{\"sub\":\"x\"}";

/* Parses and verifies token with key and accepted algs; returns the reason
 * on failure, NULL on success. */
static const char *check(const char *token, unsigned accepted, EVP_PKEY *key)
{
    mz_jws j;
    const char *why = NULL;
    bool ok =
        mz_jws_parse(token, strlen(token), accepted, &j, &why) && mz_jws_verify(&j, key, &why);
    if (ok)
        assert_memory_equal(j.payload, k_payload, strlen(k_payload));
    mz_jws_clear(&j);
    return ok ? NULL : why;
}

static void test_valid_algorithms(void **state)
{
    (void)state;
    static const struct {
        const char *alg;
        EVP_PKEY **key;
    } cases[] = {{"RS256", &g_rsa}, {"PS256", &g_rsa}, {"ES256", &g_ec}};
    for (size_t i = 0; i < 3; i++) {
        char hdr[64];
        snprintf(hdr, sizeof hdr, "{\"alg\":\"%s\",\"kid\":\"k1\"}", cases[i].alg);
        char *t = tk_token(hdr, k_payload, *cases[i].key, cases[i].alg, TK_REAL);
        assert_null(check(t, MZ_JWS_ALLOWED, *cases[i].key));
        /* the same token is refused when its alg is not in the OP's set */
        assert_non_null(check(t, MZ_JWS_ALLOWED & ~mz_jws_alg_bit(cases[i].alg, 5), *cases[i].key));
        /* one flipped signature bit */
        t[strlen(t) - 3] = t[strlen(t) - 3] == 'A' ? 'B' : 'A';
        assert_string_equal(check(t, MZ_JWS_ALLOWED, *cases[i].key), "token signature invalid");
        free(t);
    }
    /* RS256 with a PSS signature and vice versa: refused */
    char *t = tk_token("{\"alg\":\"RS256\"}", k_payload, g_rsa, "PS256", TK_REAL);
    assert_non_null(check(t, MZ_JWS_ALLOWED, g_rsa));
    free(t);
    /* a key of the wrong type for the alg */
    t = tk_token("{\"alg\":\"RS256\"}", k_payload, g_rsa, "RS256", TK_REAL);
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_ec), "token key does not fit its algorithm");
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_rsa2), "token signature invalid");
    free(t);
}

static void test_our_signer_roundtrip(void **state)
{
    (void)state;
    unsigned algs[] = {MZ_JWS_RS256, MZ_JWS_PS256, MZ_JWS_ES256};
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *k = algs[i] == MZ_JWS_ES256 ? g_ec : g_rsa;
        char *t = mz_jws_sign(algs[i], k, "kid-1", "JWT", k_payload, strlen(k_payload));
        assert_non_null(t);
        assert_null(check(t, algs[i], k));
        mz_jws j;
        const char *why;
        assert_true(mz_jws_parse(t, strlen(t), algs[i], &j, &why));
        assert_string_equal(j.kid, "kid-1");
        assert_string_equal(j.typ, "JWT");
        if (algs[i] == MZ_JWS_ES256)
            assert_int_equal(j.sig_len, 64); /* raw r||s */
        mz_jws_clear(&j);
        free(t);
    }
    assert_null(mz_jws_sign(MZ_JWS_ES256, g_rsa, NULL, NULL, "{}", 2));
    assert_null(mz_jws_sign(MZ_JWS_RS256, g_rsa1024, NULL, NULL, "{}", 2));
}

static void test_forgeries(void **state)
{
    (void)state;
    char *t = tk_token("{\"alg\":\"none\"}", k_payload, g_rsa, "none", TK_NONE);
    assert_non_null(check(t, MZ_JWS_ALLOWED, g_rsa));
    free(t);
    /* "none" with a trailing-dot-less form (two parts) */
    t = tk_token("{\"alg\":\"none\"}", k_payload, g_rsa, "none", TK_NONE);
    t[strlen(t) - 1] = '\0';
    assert_non_null(check(t, MZ_JWS_ALLOWED, g_rsa));
    free(t);
    t = tk_token("{\"alg\":\"HS256\"}", k_payload, g_rsa, "HS256", TK_HS256_PUBKEY);
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_rsa), "token algorithm not accepted");
    free(t);
    /* ES256 with a DER signature instead of raw r||s */
    t = tk_token("{\"alg\":\"ES256\"}", k_payload, g_ec, "ES256", TK_ES_DER);
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_ec),
                        "token signature is not a raw ES256 signature");
    free(t);
    /* crit */
    t = tk_token("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", k_payload, g_rsa, "RS256",
                 TK_REAL);
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_rsa),
                        "token header has crit (no extensions are supported)");
    free(t);
    /* alg case and type variants */
    const char *hdrs[] = {"{\"alg\":\"rs256\"}",
                          "{\"alg\":[\"RS256\"]}",
                          "{}",
                          "[]",
                          "{\"alg\":\"RS256\",\"alg\":\"RS256\"}",
                          "{\"alg\":\"RS256\",\"kid\":7}"};
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        t = tk_token(hdrs[i], k_payload, g_rsa, "RS256", TK_REAL);
        assert_non_null(check(t, MZ_JWS_ALLOWED, g_rsa));
        free(t);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    char *good = tk_token("{\"alg\":\"RS256\"}", k_payload, g_rsa, "RS256", TK_REAL);
    assert_null(check(good, MZ_JWS_ALLOWED, g_rsa));
    size_t n = strlen(good);
    /* every truncation is refused */
    for (size_t cut = 0; cut < n; cut += 7) {
        char *t = mz_xstrndup(good, cut);
        assert_non_null(check(t, MZ_JWS_ALLOWED, g_rsa));
        free(t);
    }
    /* padding, a standard-base64 character, whitespace, a fourth part */
    const char *bad_suffix[] = {"=", "+", " ", ".x", "\n"};
    for (size_t i = 0; i < sizeof bad_suffix / sizeof bad_suffix[0]; i++) {
        mz_buf b = MZ_BUF_INIT;
        mz_buf_puts(&b, good);
        mz_buf_puts(&b, bad_suffix[i]);
        assert_non_null(check(b.data, MZ_JWS_ALLOWED, g_rsa));
        mz_buf_free(&b);
    }
    /* a '+' inside the payload part */
    char *t = mz_xstrdup(good);
    *(strchr(t, '.') + 2) = '+';
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_rsa),
                        "token payload or signature is not valid base64url");
    free(t);
    free(good);
    /* oversized: a payload of 20 kB */
    mz_buf p = MZ_BUF_INIT;
    mz_buf_puts(&p, "{\"sub\":\"");
    for (int i = 0; i < 20000; i++)
        mz_buf_putc(&p, 'a');
    mz_buf_puts(&p, "\"}");
    t = tk_token("{\"alg\":\"RS256\"}", p.data, g_rsa, "RS256", TK_REAL);
    assert_string_equal(check(t, MZ_JWS_ALLOWED, g_rsa), "token too long");
    free(t);
    mz_buf_free(&p);
    assert_string_equal(check("", MZ_JWS_ALLOWED, g_rsa), "token missing");
    assert_non_null(check("..", MZ_JWS_ALLOWED, g_rsa));
}

/* --- JWKS */

static char *jwks_of(const char *a, const char *b)
{
    mz_buf s = MZ_BUF_INIT;
    mz_buf_printf(&s, "{\"keys\":[%s%s%s]}", a, b ? "," : "", b ? b : "");
    return mz_buf_steal(&s, NULL);
}

static void test_jwks_parse(void **state)
{
    (void)state;
    char *r = tk_jwk(g_rsa, "r1", ",\"use\":\"sig\",\"alg\":\"PS256\"");
    char *e = tk_jwk(g_ec, "e1", NULL);
    char *doc = jwks_of(r, e);
    mz_jwks s;
    char err[128];
    const char *why;
    assert_true(mz_jwks_parse(doc, strlen(doc), &s, err, sizeof err));
    assert_int_equal(s.n, 2);
    assert_int_equal(s.keys[0].algs, MZ_JWS_PS256);
    assert_int_equal(EVP_PKEY_eq(mz_jwks_select(&s, "r1", MZ_JWS_PS256, &why), g_rsa), 1);
    assert_null(mz_jwks_select(&s, "r1", MZ_JWS_RS256, &why)); /* the key's alg is PS256 */
    assert_int_equal(EVP_PKEY_eq(mz_jwks_select(&s, "e1", MZ_JWS_ES256, &why), g_ec), 1);
    assert_null(mz_jwks_select(&s, "e1", MZ_JWS_RS256, &why));
    assert_null(mz_jwks_select(&s, "zz", MZ_JWS_ES256, &why));
    assert_string_equal(why, "token key id unknown");
    /* no kid with two keys: refused */
    assert_null(mz_jwks_select(&s, NULL, MZ_JWS_ES256, &why));
    mz_jwks_clear(&s);
    free(doc);

    /* one key without kid: selected for a token without kid */
    char *nokid = tk_jwk(g_ec, NULL, NULL);
    doc = jwks_of(nokid, "{\"kty\":\"oct\",\"k\":\"AAAA\"}"); /* oct is ignored */
    assert_true(mz_jwks_parse(doc, strlen(doc), &s, err, sizeof err));
    assert_int_equal(s.n, 1);
    assert_non_null(mz_jwks_select(&s, NULL, MZ_JWS_ES256, &why));
    mz_jwks_clear(&s);
    free(doc);

    /* skipped: an encryption key; refused: duplicate kid, 1024-bit RSA */
    char *enc = tk_jwk(g_rsa2, "r1", ",\"use\":\"enc\"");
    doc = jwks_of(r, enc);
    assert_true(mz_jwks_parse(doc, strlen(doc), &s, err, sizeof err));
    assert_int_equal(s.n, 1);
    mz_jwks_clear(&s);
    free(doc);
    char *dup = tk_jwk(g_rsa2, "r1", NULL);
    doc = jwks_of(r, dup);
    assert_false(mz_jwks_parse(doc, strlen(doc), &s, err, sizeof err));
    assert_string_equal(err, "JWKS has a duplicate kid");
    assert_int_equal(s.n, 0);
    free(doc);
    char *weak = tk_jwk(g_rsa1024, "w", NULL);
    doc = jwks_of(weak, e);
    assert_false(mz_jwks_parse(doc, strlen(doc), &s, err, sizeof err));
    assert_string_equal(err, "an RSA key is shorter than 2048 bits");
    free(doc);
    /* an EC point not on the curve */
    char *bent = mz_xstrdup(e);
    char *x = strstr(bent, "\"x\":\"") + 5;
    x[3] = x[3] == 'A' ? 'B' : 'A';
    doc = jwks_of(bent, NULL);
    assert_false(mz_jwks_parse(doc, strlen(doc), &s, err, sizeof err));
    free(doc);
    const char *bad[] = {"{}", "[]", "{\"keys\":{}}", "{\"keys\":[]}", "{\"keys\":[1]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mz_jwks_parse(bad[i], strlen(bad[i]), &s, err, sizeof err));
    free(bent);
    free(weak);
    free(dup);
    free(enc);
    free(nokid);
    free(r);
    free(e);
}

/* --- the cache: an injected fetch serving whichever document is current */

typedef struct fake_op {
    char *doc;
    int calls;
    bool down;
} fake_op;

static bool fake_fetch(void *ctx, const char *uri, char **body, size_t *len)
{
    fake_op *op = ctx;
    assert_string_equal(uri, "https://op.example/jwks");
    op->calls++;
    if (op->down)
        return false;
    *body = mz_xstrdup(op->doc);
    *len = strlen(op->doc);
    return true;
}

static void test_cache_rotation(void **state)
{
    (void)state;
    char *k1 = tk_jwk(g_rsa, "k1", NULL), *k2 = tk_jwk(g_rsa2, "k2", NULL);
    fake_op op = {jwks_of(k1, NULL), 0, false};
    mz_jwks_cache *c = mz_jwks_cache_new("https://op.example/jwks", fake_fetch, &op, 60);
    const char *why;
    int64_t t0 = 1000000;
    EVP_PKEY *k = mz_jwks_cache_key(c, "k1", MZ_JWS_RS256, t0, &why);
    assert_non_null(k);
    EVP_PKEY_free(k);
    assert_int_equal(op.calls, 1);
    k = mz_jwks_cache_key(c, "k1", MZ_JWS_RS256, t0 + 1, &why); /* cached */
    EVP_PKEY_free(k);
    assert_int_equal(op.calls, 1);

    /* the OP rotates to k2: the first token with k2 triggers one refetch */
    free(op.doc);
    op.doc = jwks_of(k2, NULL);
    k = mz_jwks_cache_key(c, "k2", MZ_JWS_RS256, t0 + 100, &why);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_eq(k, g_rsa2), 1);
    assert_int_equal(op.calls, 2);
    /* the key reference stays valid after the next swap */
    free(op.doc);
    op.doc = jwks_of(k1, k2);
    /* an unknown kid within the rate limit: refused without a fetch */
    assert_null(mz_jwks_cache_key(c, "k3", MZ_JWS_RS256, t0 + 110, &why));
    assert_string_equal(why, "token key id unknown");
    assert_int_equal(op.calls, 2);
    assert_int_equal(mz_jwks_cache_fetches(c), 2);
    /* k1 was rotated out: refused until the interval has passed */
    assert_null(mz_jwks_cache_key(c, "k1", MZ_JWS_RS256, t0 + 159, &why));
    assert_int_equal(op.calls, 2);
    EVP_PKEY *again = mz_jwks_cache_key(c, "k1", MZ_JWS_RS256, t0 + 161, &why);
    assert_non_null(again);
    assert_int_equal(op.calls, 3);
    assert_int_equal(EVP_PKEY_eq(k, g_rsa2), 1); /* old reference still usable */
    EVP_PKEY_free(k);
    EVP_PKEY_free(again);
    /* an OP that is down: the keys we had stay */
    op.down = true;
    assert_null(mz_jwks_cache_key(c, "k9", MZ_JWS_RS256, t0 + 300, &why));
    assert_int_equal(op.calls, 4);
    k = mz_jwks_cache_key(c, "k2", MZ_JWS_RS256, t0 + 301, &why);
    assert_non_null(k);
    EVP_PKEY_free(k);
    /* a known kid with the wrong alg never triggers a fetch */
    assert_null(mz_jwks_cache_key(c, "k2", MZ_JWS_ES256, t0 + 1000, &why));
    assert_int_equal(op.calls, 4);
    mz_jwks_cache_free(c);
    free(op.doc);
    free(k1);
    free(k2);
}

static void test_cache_bad_document(void **state)
{
    (void)state;
    char *w = tk_jwk(g_rsa1024, "w", NULL);
    fake_op op = {jwks_of(w, NULL), 0, false};
    mz_jwks_cache *c = mz_jwks_cache_new("https://op.example/jwks", fake_fetch, &op, 0);
    const char *why;
    assert_null(mz_jwks_cache_key(c, "w", MZ_JWS_RS256, 5000, &why));
    assert_string_equal(why, "no provider keys available");
    assert_null(mz_jwks_cache_key(c, NULL, MZ_JWS_RS256, 5001, &why)); /* rate-limited */
    assert_int_equal(op.calls, 1);
    mz_jwks_cache_free(c);
    free(op.doc);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_algorithms),   cmocka_unit_test(test_our_signer_roundtrip),
        cmocka_unit_test(test_forgeries),          cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_jwks_parse),         cmocka_unit_test(test_cache_rotation),
        cmocka_unit_test(test_cache_bad_document),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
