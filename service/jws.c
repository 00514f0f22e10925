/*
 * jws.c — compact JWS verification and signing on OpenSSL EVP (see jws.h
 * for the rules and why).
 */
#include "jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"

static const struct {
    unsigned bit;
    const char *name;
} k_algs[] = {{MZ_JWS_RS256, "RS256"}, {MZ_JWS_PS256, "PS256"}, {MZ_JWS_ES256, "ES256"}};

unsigned mz_jws_alg_bit(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof k_algs / sizeof k_algs[0]; i++)
        if (name && strlen(k_algs[i].name) == len && memcmp(k_algs[i].name, name, len) == 0)
            return k_algs[i].bit;
    return 0;
}

const char *mz_jws_alg_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof k_algs / sizeof k_algs[0]; i++)
        if (k_algs[i].bit == bit)
            return k_algs[i].name;
    return NULL;
}

void mz_jws_clear(mz_jws *j)
{
    free(j->payload);
    free(j->sig);
    free(j->signing_input);
    memset(j, 0, sizeof *j);
}

/* Decodes a base64url part into a fresh buffer (NUL-terminated). */
static unsigned char *b64_part(const char *s, size_t n, size_t *outlen)
{
    size_t cap = n / 4 * 3 + 3;
    unsigned char *buf = mz_xmalloc(cap + 1);
    long got = mz_b64url_decode(s, n, buf, cap);
    if (got < 0) {
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *outlen = (size_t)got;
    return buf;
}

/* Reads the header's alg, kid and typ; refuses crit and wrong types. */
static bool read_header(const unsigned char *hdr, size_t n, unsigned accepted, mz_jws *out,
                        const char **reason)
{
    const mz_json_limits lim = {4, 256, 1024};
    char err[128];
    mz_json_doc *doc = mz_json_parse((const char *)hdr, n, &lim, err, sizeof err);
    const mz_json *root = doc ? mz_json_root(doc) : NULL;
    bool ok = false;
    size_t al = 0, kl = 0, tl = 0;
    const char *alg = NULL, *kid = NULL, *typ = NULL;
    if (!root || root->type != MZ_JSON_OBJECT) {
        *reason = "token header is not a JSON object";
        goto done;
    }
    alg = mz_json_string(mz_json_get(root, "alg"), &al);
    const mz_json *kidv = mz_json_get(root, "kid"), *typv = mz_json_get(root, "typ");
    kid = mz_json_string(kidv, &kl);
    typ = mz_json_string(typv, &tl);
    if (!alg)
        *reason = "token header has no alg";
    else if (!(out->alg = mz_jws_alg_bit(alg, al) & accepted))
        *reason = "token algorithm not accepted";
    else if (mz_json_get(root, "crit"))
        *reason = "token header has crit (no extensions are supported)";
    else if ((kidv && !kid) || kl > MZ_JWS_MAX_KID)
        *reason = "token header kid is not a short string";
    else if ((typv && !typ) || tl >= sizeof out->typ)
        *reason = "token header typ is not a short string";
    else
        ok = true;
    if (ok && kid) {
        out->has_kid = true;
        memcpy(out->kid, kid, kl + 1);
    }
    if (ok && typ)
        memcpy(out->typ, typ, tl + 1);
done:
    mz_json_free(doc);
    return ok;
}

bool mz_jws_parse(const char *token, size_t len, unsigned accepted, mz_jws *out,
                  const char **reason)
{
    memset(out, 0, sizeof *out);
    if (!token || len == 0) {
        *reason = "token missing";
        return false;
    }
    if (len > MZ_JWS_MAX_TOKEN) {
        *reason = "token too long";
        return false;
    }
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        *reason = "token is not a compact JWS (three parts)";
        return false;
    }
    size_t hl = (size_t)(d1 - token), pl = (size_t)(d2 - d1 - 1),
           sl = len - (size_t)(d2 + 1 - token);
    if (hl == 0 || pl == 0 || sl == 0) {
        *reason = "token has an empty part";
        return false;
    }
    size_t hn;
    unsigned char *hdr = b64_part(token, hl, &hn);
    if (!hdr || hn > MZ_JWS_MAX_HEADER) {
        free(hdr);
        *reason = "token header is not valid base64url";
        return false;
    }
    bool ok = read_header(hdr, hn, accepted, out, reason);
    free(hdr);
    if (!ok) {
        memset(out, 0, sizeof *out);
        return false;
    }
    out->payload = (char *)b64_part(d1 + 1, pl, &out->payload_len);
    out->sig = b64_part(d2 + 1, sl, &out->sig_len);
    if (!out->payload || !out->sig) {
        mz_jws_clear(out);
        *reason = "token payload or signature is not valid base64url";
        return false;
    }
    out->signing_len = hl + 1 + pl;
    out->signing_input = mz_xstrndup(token, out->signing_len);
    return true;
}

bool mz_jws_key_fits(EVP_PKEY *key, unsigned alg)
{
    if (!key)
        return false;
    if (alg == MZ_JWS_RS256 || alg == MZ_JWS_PS256)
        return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048;
    if (alg != MZ_JWS_ES256 || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        return false;
    char group[32];
    size_t gl = 0;
    return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                          &gl) == 1 &&
           (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0);
}

/* r||s (32 bytes each) → DER ECDSA-Sig-Value (malloc'd), or NULL. */
static unsigned char *raw_to_der(const unsigned char *raw, size_t n, size_t *derlen)
{
    if (n != 64)
        return NULL;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return NULL;
    }
    unsigned char *der = NULL;
    int dl = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (dl <= 0)
        return NULL;
    unsigned char *copy = mz_xmalloc((size_t)dl);
    memcpy(copy, der, (size_t)dl);
    OPENSSL_free(der);
    *derlen = (size_t)dl;
    return copy;
}

/* DER ECDSA-Sig-Value → r||s into raw[64]. */
static bool der_to_raw(const unsigned char *der, size_t n, unsigned char raw[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    if (!es)
        return false;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(es, &r, &s);
    bool ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(es);
    return ok;
}

/* The digest context for alg with key: PSS padding for PS256. */
static EVP_MD_CTX *md_ctx(unsigned alg, EVP_PKEY *key, bool sign)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (!ctx)
        mz_oom();
    int rc = sign ? EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key)
                  : EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, key);
    if (rc == 1 && alg == MZ_JWS_PS256)
        rc = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    if (rc != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

bool mz_jws_verify(const mz_jws *j, EVP_PKEY *key, const char **reason)
{
    if (!mz_jws_key_fits(key, j->alg)) {
        *reason = "token key does not fit its algorithm";
        return false;
    }
    const unsigned char *sig = j->sig;
    size_t siglen = j->sig_len;
    unsigned char *der = NULL;
    if (j->alg == MZ_JWS_ES256) {
        der = raw_to_der(j->sig, j->sig_len, &siglen);
        if (!der) {
            *reason = "token signature is not a raw ES256 signature";
            return false;
        }
        sig = der;
    }
    EVP_MD_CTX *ctx = md_ctx(j->alg, key, false);
    bool ok = ctx && EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)j->signing_input,
                                      j->signing_len) == 1;
    EVP_MD_CTX_free(ctx);
    free(der);
    if (!ok)
        *reason = "token signature invalid";
    return ok;
}

/* Signs input with key; writes the JWS signature (raw for ES256). */
static bool sign_bytes(unsigned alg, EVP_PKEY *key, const char *in, size_t n, unsigned char *sig,
                       size_t *siglen)
{
    EVP_MD_CTX *ctx = md_ctx(alg, key, true);
    unsigned char der[256];
    size_t dl = sizeof der;
    bool ok = false;
    if (!ctx)
        return false;
    if (alg == MZ_JWS_ES256) {
        ok = EVP_DigestSign(ctx, der, &dl, (const unsigned char *)in, n) == 1 &&
             der_to_raw(der, dl, sig);
        *siglen = 64;
    } else {
        ok = EVP_DigestSign(ctx, sig, siglen, (const unsigned char *)in, n) == 1;
    }
    EVP_MD_CTX_free(ctx);
    return ok;
}

char *mz_jws_sign(unsigned alg, EVP_PKEY *key, const char *kid, const char *typ,
                  const char *payload, size_t payload_len)
{
    const char *name = mz_jws_alg_name(alg);
    if (!name || !mz_jws_key_fits(key, alg))
        return NULL;
    mz_buf h = MZ_BUF_INIT, t = MZ_BUF_INIT;
    mz_buf_puts(&h, "{\"alg\":");
    mz_json_cstr(&h, name);
    if (typ) {
        mz_buf_puts(&h, ",\"typ\":");
        mz_json_cstr(&h, typ);
    }
    if (kid) {
        mz_buf_puts(&h, ",\"kid\":");
        mz_json_cstr(&h, kid);
    }
    mz_buf_putc(&h, '}');
    mz_buf_reserve(&t, (h.len + payload_len) / 3 * 4 + 1024);
    t.len = mz_b64url_encode(h.data, h.len, t.data);
    mz_buf_putc(&t, '.');
    mz_buf_reserve(&t, payload_len / 3 * 4 + 8);
    t.len += mz_b64url_encode(payload, payload_len, t.data + t.len);
    mz_buf_free(&h);
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    if (!sign_bytes(alg, key, t.data, t.len, sig, &siglen)) {
        mz_buf_free(&t);
        return NULL;
    }
    mz_buf_putc(&t, '.');
    mz_buf_reserve(&t, siglen / 3 * 4 + 8);
    t.len += mz_b64url_encode(sig, siglen, t.data + t.len);
    return mz_buf_steal(&t, NULL);
}
