/*
 * oidc_testkit.h — helpers for the OIDC unit tests (test_oidc*.c): keys
 * generated in the test, their JWKs, and tokens signed here directly with
 * OpenSSL EVP (independently of service/jws.c, so that a mistake shared by
 * our signer and our verifier cannot hide).
 */
#ifndef MZ_OIDC_TESTKIT_H
#define MZ_OIDC_TESTKIT_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "crypto.h"

static void tk_b64_bn(mz_buf *b, EVP_PKEY *k, const char *param)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
        abort();
    unsigned char raw[1024];
    int n = BN_bn2bin(bn, raw);
    char out[1400];
    mz_b64url_encode(raw, (size_t)n, out);
    mz_buf_puts(b, out);
    BN_free(bn);
}

/* A JWK (JSON object text) for k with kid (NULL: none) and extra members
 * (e.g. ",\"use\":\"sig\""); malloc'd. */
static char *tk_jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
    mz_buf b = MZ_BUF_INIT;
    if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
        mz_buf_puts(&b, "{\"kty\":\"RSA\",\"n\":\"");
        tk_b64_bn(&b, k, OSSL_PKEY_PARAM_RSA_N);
        mz_buf_puts(&b, "\",\"e\":\"");
        tk_b64_bn(&b, k, OSSL_PKEY_PARAM_RSA_E);
        mz_buf_puts(&b, "\"");
    } else {
        unsigned char pt[65];
        size_t pl = 0;
        if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &pl) != 1 ||
            pl != 65)
            abort();
        char x[64], y[64];
        mz_b64url_encode(pt + 1, 32, x);
        mz_b64url_encode(pt + 33, 32, y);
        mz_buf_printf(&b, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"", x, y);
    }
    if (kid)
        mz_buf_printf(&b, ",\"kid\":\"%s\"", kid);
    mz_buf_puts(&b, extra ? extra : "");
    mz_buf_putc(&b, '}');
    return mz_buf_steal(&b, NULL);
}

/* How the test signs: the JWS alg's real signature, or a forgery. */
enum tk_sig { TK_REAL, TK_ES_DER, TK_HS256_PUBKEY, TK_NONE };

/* header.payload.signature with header and payload as given (JSON text). */
static char *tk_token(const char *header, const char *payload, EVP_PKEY *k, const char *alg,
                      enum tk_sig how)
{
    mz_buf t = MZ_BUF_INIT;
    mz_buf_reserve(&t, (strlen(header) + strlen(payload)) * 2 + 2048);
    t.len = mz_b64url_encode(header, strlen(header), t.data);
    t.data[t.len++] = '.';
    t.len += mz_b64url_encode(payload, strlen(payload), t.data + t.len);
    unsigned char sig[1024];
    size_t sl = sizeof sig;
    if (how == TK_HS256_PUBKEY) {
        /* the classic confusion: HMAC keyed with the public key's PEM */
        unsigned char *der = NULL;
        int dl = i2d_PUBKEY(k, &der);
        mz_hmac_sha256(der, (size_t)dl, t.data, t.len, sig);
        OPENSSL_free(der);
        sl = 32;
    } else if (how == TK_NONE) {
        sl = 0;
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        if (EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, k) != 1)
            abort();
        if (strcmp(alg, "PS256") == 0 &&
            (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1))
            abort();
        if (EVP_DigestSign(ctx, sig, &sl, (unsigned char *)t.data, t.len) != 1)
            abort();
        EVP_MD_CTX_free(ctx);
        if (strcmp(alg, "ES256") == 0 && how == TK_REAL) {
            const unsigned char *p = sig;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);
            const BIGNUM *r, *s;
            ECDSA_SIG_get0(es, &r, &s);
            BN_bn2binpad(r, sig, 32);
            BN_bn2binpad(s, sig + 32, 32);
            ECDSA_SIG_free(es);
            sl = 64;
        }
    }
    mz_buf_putc(&t, '.');
    mz_buf_reserve(&t, sl * 2 + 8);
    t.len += mz_b64url_encode(sig, sl, t.data + t.len);
    return mz_buf_steal(&t, NULL);
}

#endif
