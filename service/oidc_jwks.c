/*
 * oidc_jwks.c — JWKS parsing, key selection and the rotating key cache
 * (see oidc_jwks.h for the rules and why).
 */
#include "oidc_jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "crypto.h"
#include "json.h"
#include "outbound.h"

void mz_jwks_clear(mz_jwks *s)
{
    for (size_t i = 0; i < s->n; i++)
        EVP_PKEY_free(s->keys[i].pkey);
    memset(s, 0, sizeof *s);
}

/* A base64url member decoded into buf (cap bytes); -1 when absent/bad. */
static long b64_member(const mz_json *o, const char *name, unsigned char *buf, size_t cap)
{
    size_t n;
    const char *s = mz_json_string(mz_json_get(o, name), &n);
    return s && n > 0 ? mz_b64url_decode(s, n, buf, cap) : -1;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pk;
}

static EVP_PKEY *rsa_key(const mz_json *o)
{
    unsigned char n[1024], e[16];
    long nl = b64_member(o, "n", n, sizeof n), el = b64_member(o, "e", e, sizeof e);
    if (nl <= 0 || el <= 0)
        return NULL;
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pk = NULL;
    if (bn && be && bld && !BN_is_zero(be) && BN_is_odd(bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
        pk = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pk;
}

static EVP_PKEY *ec_key(const mz_json *o)
{
    unsigned char pt[65];
    pt[0] = 0x04; /* uncompressed point */
    if (b64_member(o, "x", pt + 1, 32) != 32 || b64_member(o, "y", pt + 33, 32) != 32)
        return NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pk = NULL;
    if (bld &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt) == 1)
        pk = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (pk) {
        /* fromdata does not check the point is on the curve: do it. */
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (!c || EVP_PKEY_public_check(c) != 1) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
        EVP_PKEY_CTX_free(c);
    }
    return pk;
}

/* 1: use the key (k filled), 0: skip the entry, -1: refuse the set. */
static int one_key(const mz_json *o, mz_jwk *k, const char **why)
{
    size_t tl = 0, ul = 0, al = 0, cl = 0, kl = 0;
    const char *kty = mz_json_string(mz_json_get(o, "kty"), &tl);
    const mz_json *usev = mz_json_get(o, "use"), *algv = mz_json_get(o, "alg");
    const mz_json *kidv = mz_json_get(o, "kid");
    const char *use = mz_json_string(usev, &ul), *alg = mz_json_string(algv, &al);
    const char *kid = mz_json_string(kidv, &kl);
    if (o->type != MZ_JSON_OBJECT || !kty)
        return (*why = "a key is not an object with kty"), -1;
    bool rsa = strcmp(kty, "RSA") == 0, ec = strcmp(kty, "EC") == 0;
    const char *crv = mz_json_string(mz_json_get(o, "crv"), &cl);
    if ((!rsa && !ec) || (ec && (!crv || strcmp(crv, "P-256") != 0)))
        return 0;
    if ((usev && (!use || strcmp(use, "sig") != 0)) || (algv && !alg))
        return 0;
    unsigned by_type = rsa ? (MZ_JWS_RS256 | MZ_JWS_PS256) : MZ_JWS_ES256;
    k->algs = alg ? mz_jws_alg_bit(alg, al) & by_type : by_type;
    if (!k->algs)
        return 0;
    if ((kidv && !kid) || kl > MZ_JWS_MAX_KID || (kid && kl == 0))
        return (*why = "a key's kid is not a short string"), -1;
    k->pkey = rsa ? rsa_key(o) : ec_key(o);
    if (!k->pkey)
        return (*why = "a key's parameters are malformed"), -1;
    if (rsa && EVP_PKEY_get_bits(k->pkey) < 2048) {
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        return (*why = "an RSA key is shorter than 2048 bits"), -1;
    }
    if (kid) {
        k->has_kid = true;
        memcpy(k->kid, kid, kl + 1);
    }
    return 1;
}

static bool kid_taken(const mz_jwks *s, const mz_jwk *k)
{
    for (size_t i = 0; k->has_kid && i < s->n; i++)
        if (s->keys[i].has_kid && strcmp(s->keys[i].kid, k->kid) == 0)
            return true;
    return false;
}

bool mz_jwks_parse(const char *json, size_t len, mz_jwks *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *why = NULL;
    char perr[128];
    const mz_json_limits lim = {8, 4096, 4096};
    mz_json_doc *doc =
        len <= MZ_JWKS_MAX_BYTES ? mz_json_parse(json, len, &lim, perr, sizeof perr) : NULL;
    const mz_json *keys = doc ? mz_json_get(mz_json_root(doc), "keys") : NULL;
    if (len > MZ_JWKS_MAX_BYTES)
        why = "JWKS document too large";
    else if (!keys || keys->type != MZ_JSON_ARRAY)
        why = "JWKS is not an object with a keys array";
    for (const mz_json *e = keys && !why ? keys->u.kids.first : NULL; e && !why; e = e->next) {
        mz_jwk k;
        memset(&k, 0, sizeof k);
        int r = one_key(e, &k, &why);
        if (r <= 0)
            continue;
        if (kid_taken(out, &k) || out->n == MZ_JWKS_MAX_KEYS) {
            why =
                out->n == MZ_JWKS_MAX_KEYS ? "JWKS has too many keys" : "JWKS has a duplicate kid";
            EVP_PKEY_free(k.pkey);
            break;
        }
        out->keys[out->n++] = k;
    }
    mz_json_free(doc);
    if (!why && out->n == 0)
        why = "JWKS has no usable signing key";
    if (why) {
        mz_jwks_clear(out);
        snprintf(err, errlen, "%s", why);
        return false;
    }
    return true;
}

EVP_PKEY *mz_jwks_select(const mz_jwks *s, const char *kid, unsigned alg, const char **reason)
{
    const mz_jwk *k = NULL;
    if (kid) {
        for (size_t i = 0; i < s->n && !k; i++)
            if (s->keys[i].has_kid && strcmp(s->keys[i].kid, kid) == 0)
                k = &s->keys[i];
        if (!k) {
            *reason = "token key id unknown";
            return NULL;
        }
    } else if (s->n == 1) {
        k = &s->keys[0];
    } else {
        *reason = s->n ? "token has no kid and the provider has several keys"
                       : "no provider keys available";
        return NULL;
    }
    if (!(k->algs & alg) || !mz_jws_key_fits(k->pkey, alg)) {
        *reason = "token algorithm does not fit its key";
        return NULL;
    }
    return k->pkey;
}

bool mz_jwks_fetch_outbound(void *ctx, const char *uri, char **body, size_t *len)
{
    (void)ctx;
    mz_outbound_opts o = {.bases = {uri, NULL},
                          .timeout_ms = 5000,
                          .max_response = MZ_JWKS_MAX_BYTES,
                          .max_attempts = 2};
    mz_outbound *cli = mz_outbound_new(&o);
    if (!cli)
        return false;
    mz_outbound_result r;
    const char *hdrs[] = {"Accept: application/jwk-set+json, application/json", NULL};
    mz_outbound_status st =
        mz_outbound_request(cli, "GET", uri, hdrs, NULL, 0, true, mz_outbound_now_ms() + 5000, &r);
    bool ok = st == MZ_OUT_OK && r.status == 200 && r.body;
    if (ok) {
        *body = r.body;
        *len = r.body_len;
        r.body = NULL;
    }
    mz_outbound_result_free(&r);
    mz_outbound_free(cli);
    return ok;
}

struct mz_jwks_cache {
    pthread_mutex_t mu;
    char *uri;
    mz_jwks_fetch_fn fetch;
    void *ctx;
    int64_t min_interval;
    bool fetched_once; /* a fetch was attempted at least once */
    bool fetching;     /* one is under way (without the lock) */
    int64_t last_fetch;
    unsigned fetches;
    mz_jwks *set; /* current keys, or NULL */
};

mz_jwks_cache *mz_jwks_cache_new(const char *jwks_uri, mz_jwks_fetch_fn fetch, void *ctx,
                                 int64_t min_interval)
{
    mz_jwks_cache *c = mz_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->uri = mz_xstrdup(jwks_uri);
    c->fetch = fetch ? fetch : mz_jwks_fetch_outbound;
    c->ctx = ctx;
    c->min_interval = min_interval > 0 ? min_interval : 60;
    return c;
}

void mz_jwks_cache_free(mz_jwks_cache *c)
{
    if (!c)
        return;
    if (c->set)
        mz_jwks_clear(c->set);
    free(c->set);
    free(c->uri);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

unsigned mz_jwks_cache_fetches(mz_jwks_cache *c)
{
    pthread_mutex_lock(&c->mu);
    unsigned n = c->fetches;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Called with the lock held; returns with it held. Fetches and installs a
 * new set when allowed now; the lock is released during the fetch. */
static void refetch_locked(mz_jwks_cache *c, int64_t now)
{
    if (c->fetching || (c->fetched_once && now - c->last_fetch < c->min_interval))
        return;
    c->fetching = true;
    c->fetched_once = true;
    c->last_fetch = now;
    c->fetches++;
    pthread_mutex_unlock(&c->mu);
    char *body = NULL, err[128];
    size_t len = 0;
    mz_jwks *fresh = mz_xcalloc(1, sizeof *fresh);
    bool ok = c->fetch(c->ctx, c->uri, &body, &len) && body &&
              mz_jwks_parse(body, len, fresh, err, sizeof err);
    free(body);
    pthread_mutex_lock(&c->mu);
    c->fetching = false;
    if (!ok) {
        /* A failed fetch keeps the keys we had: the OP being briefly down
         * must not also invalidate every current session's next check. */
        free(fresh);
        return;
    }
    if (c->set)
        mz_jwks_clear(c->set);
    free(c->set);
    c->set = fresh;
}

static bool set_has_kid(const mz_jwks *s, const char *kid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->keys[i].has_kid && strcmp(s->keys[i].kid, kid) == 0)
            return true;
    return false;
}

EVP_PKEY *mz_jwks_cache_key(mz_jwks_cache *c, const char *kid, unsigned alg, int64_t now,
                            const char **reason)
{
    pthread_mutex_lock(&c->mu);
    const char *why = "no provider keys available";
    EVP_PKEY *k = c->set ? mz_jwks_select(c->set, kid, alg, &why) : NULL;
    /* Only an unknown kid (or no set yet) is worth a fetch; a known key
     * that does not fit the alg will not fit after a refetch either. */
    if (!k && (!c->set || (kid && !set_has_kid(c->set, kid)))) {
        refetch_locked(c, now);
        if (c->set)
            k = mz_jwks_select(c->set, kid, alg, &why);
    }
    if (k && EVP_PKEY_up_ref(k) != 1)
        k = NULL;
    pthread_mutex_unlock(&c->mu);
    if (!k)
        *reason = why;
    return k;
}
