/*
 * fuzz_oidc_token.c — the OIDC token parsers (service/jws.c, oidc.c,
 * oidc_jwks.c).
 *
 * Each input is used as:
 *   1. a compact JWS for mz_jws_parse with every algorithm accepted, and,
 *      when it parses, mz_jws_verify with a fixed RSA and EC key: it can
 *      never be signed by them, so it must never verify;
 *   2. an ID token for mz_oidc_verify_id_token (keys from an injected
 *      JWKS): never accepted, and a refusal leaves no principal behind;
 *   3. ID token claims for mz_oidc_check_id_claims at a fixed time: when
 *      accepted, the principal is sane (valid 9-digit BSN or 8-digit KVK,
 *      no roles for a citizen, NUL-terminated strings, exp not past);
 *   4. logout token claims, a JWKS document, a discovery document and a
 *      token response: no crash, no leak, refusals leave outputs empty.
 * A refusal reason never contains a BSN-like number.
 */
#include "fuzz_util.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "bsn.h"
#include "jws.h"
#include "oidc.h"
#include "oidc_jwks.h"

#define FZ_ISS "https://op.example"
#define FZ_NOW 1800000000

static EVP_PKEY *g_rsa, *g_ec;
static mz_oidc_rp g_rp;
static mz_oidc_provider g_op;
static mz_jwks_cache *g_cache;

static const char *k_jwks = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e\","
                            "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                            "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";

static bool fetch(void *ctx, const char *uri, char **body, size_t *len)
{
    (void)ctx;
    (void)uri;
    *body = fz_copy(k_jwks, strlen(k_jwks));
    *len = strlen(k_jwks);
    return true;
}

static void init(void)
{
    g_rsa = EVP_RSA_gen(2048);
    g_ec = EVP_EC_gen("P-256");
    char err[256];
    const mz_oidc_rp_config c = {MZ_OIDC_CITIZEN, FZ_ISS, "rp", "https://m.example", NULL,
                                 "urn:a urn:b",   NULL};
    const char *d = "{\"issuer\":\"" FZ_ISS "\",\"authorization_endpoint\":\"" FZ_ISS "/a\","
                    "\"token_endpoint\":\"" FZ_ISS "/t\",\"jwks_uri\":\"" FZ_ISS "/j\","
                    "\"id_token_signing_alg_values_supported\":[\"RS256\",\"PS256\",\"ES256\"],"
                    "\"code_challenge_methods_supported\":[\"S256\"]}";
    if (!g_rsa || !g_ec || !mz_oidc_rp_init(&g_rp, &c, err, sizeof err) ||
        !mz_oidc_discovery_parse(d, strlen(d), FZ_ISS, &g_op, err, sizeof err))
        abort();
    g_cache = mz_jwks_cache_new(g_op.jwks_uri, fetch, NULL, 60);
}

static void check_reason(const char *why)
{
    FZ_CHECK(why && *why);
    FZ_CHECK(!mz_contains_bsn_like(why, strlen(why)));
}

static void check_principal(const mz_oidc_principal *p)
{
    FZ_CHECK(p->has_bsn != p->has_kvk);
    if (p->has_bsn)
        FZ_CHECK(mz_bsn_valid(p->bsn, strnlen(p->bsn, sizeof p->bsn)));
    if (p->has_kvk)
        FZ_CHECK(strnlen(p->kvk, sizeof p->kvk) == 8);
    if (p->has_actor)
        FZ_CHECK(mz_bsn_valid(p->actor_bsn, strnlen(p->actor_bsn, sizeof p->actor_bsn)));
    FZ_CHECK(p->roles == 0);
    FZ_CHECK(strnlen(p->sub, sizeof p->sub) > 0 && strnlen(p->sub, sizeof p->sub) < sizeof p->sub);
    FZ_CHECK(strnlen(p->sid, sizeof p->sid) < sizeof p->sid);
    FZ_CHECK(p->exp > FZ_NOW - MZ_OIDC_LEEWAY);
}

static bool all_zero(const void *v, size_t n)
{
    const unsigned char *b = v;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool inited;
    if (!inited) {
        init();
        inited = true;
    }
    const char *s = (const char *)data;
    const char *why = NULL;

    /* 1. JWS */
    mz_jws j;
    if (mz_jws_parse(s, size, MZ_JWS_ALLOWED, &j, &why)) {
        FZ_CHECK(j.alg == MZ_JWS_RS256 || j.alg == MZ_JWS_PS256 || j.alg == MZ_JWS_ES256);
        FZ_CHECK(j.signing_len < size && memcmp(j.signing_input, s, j.signing_len) == 0);
        FZ_CHECK(!mz_jws_verify(&j, g_rsa, &why));
        FZ_CHECK(!mz_jws_verify(&j, g_ec, &why));
        check_reason(why);
    } else {
        check_reason(why);
        FZ_CHECK(j.payload == NULL && j.sig == NULL && j.signing_input == NULL);
    }
    mz_jws_clear(&j);

    /* 2. ID token: never accepted */
    mz_oidc_principal p;
    why = NULL;
    FZ_CHECK(!mz_oidc_verify_id_token(&g_rp, &g_op, g_cache, s, size, "n", FZ_NOW, &p, &why));
    check_reason(why);
    FZ_CHECK(all_zero(&p, sizeof p));

    /* 3. claims */
    why = NULL;
    if (mz_oidc_check_id_claims(&g_rp, s, size, "n", FZ_NOW, &p, &why))
        check_principal(&p);
    else {
        check_reason(why);
        FZ_CHECK(all_zero(&p, sizeof p));
    }

    /* 4. the other documents */
    mz_oidc_logout lo;
    why = NULL;
    if (!mz_oidc_check_logout_claims(&g_rp, s, size, FZ_NOW, &lo, &why)) {
        check_reason(why);
        FZ_CHECK(all_zero(&lo, sizeof lo));
    } else {
        FZ_CHECK(lo.jti[0] && (lo.sub[0] || lo.sid[0]));
    }
    mz_jwks ks;
    char err[256];
    if (mz_jwks_parse(s, size, &ks, err, sizeof err))
        FZ_CHECK(ks.n > 0 && ks.n <= MZ_JWKS_MAX_KEYS);
    mz_jwks_clear(&ks);
    mz_oidc_provider op;
    if (mz_oidc_discovery_parse(s, size, FZ_ISS, &op, err, sizeof err))
        FZ_CHECK(op.id_token_algs && strcmp(op.issuer, FZ_ISS) == 0);
    mz_oidc_provider_clear(&op);
    mz_oidc_tokens t;
    why = NULL;
    if (mz_oidc_token_response_parse(s, size, &t, &why))
        FZ_CHECK(t.id_token && t.access_token);
    else
        FZ_CHECK(t.id_token == NULL);
    mz_oidc_tokens_clear(&t);
    return 0;
}
