#include "auth.h"
#include "alloc.h"

#include <errno.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agencies.h"
#include "bsn.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "subject.h"

static void cache_clear(void); /* the verified-token cache, below */

static char *g_key;
static EVP_PKEY *g_pkey; /* parsed once: verification never re-reads the PEM */
static size_t g_key_len;
static jwt_alg_t g_alg = JWT_ALG_INVAL;
static char *g_issuer, *g_audience;

char *mz_read_file(const char *path, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = mz_xmalloc(max + 1);
    size_t n = fread(buf, 1, max + 1, f);
    fclose(f);
    if (n > max) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

bool mz_auth_init(const char *public_key_file, const char *alg, const char *issuer,
                  const char *audience, char *err, size_t errlen)
{
    if (!public_key_file || !*public_key_file) {
        snprintf(err, errlen,
                 "MZ_JWT_PUBLIC_KEY_FILE is not set: refusing to start without a "
                 "token verification key");
        return false;
    }
    /* Validate before touching any global: a refused init must leave the
     * previous pinning intact, never half-changed. */
    jwt_alg_t a = alg ? jwt_str_alg(alg) : JWT_ALG_INVAL;
    if (a != JWT_ALG_RS256 && a != JWT_ALG_ES256) {
        snprintf(err, errlen, "MZ_JWT_ALG must be RS256 or ES256");
        return false;
    }
    size_t klen;
    char *key = mz_read_file(public_key_file, &klen, 64 * 1024);
    if (!key || !strstr(key, "-----BEGIN PUBLIC KEY-----")) {
        snprintf(err, errlen, "cannot read a PEM public key from %s", public_key_file);
        free(key);
        return false;
    }
    BIO *bio = BIO_new_mem_buf(key, (int)klen);
    EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    int type = pk ? EVP_PKEY_get_base_id(pk) : 0;
    if (!pk || (a == JWT_ALG_RS256 ? type != EVP_PKEY_RSA : type != EVP_PKEY_EC)) {
        snprintf(err, errlen, "the key in %s does not fit MZ_JWT_ALG %s", public_key_file, alg);
        EVP_PKEY_free(pk);
        free(key);
        return false;
    }
    EVP_PKEY_free(g_pkey);
    g_pkey = pk;
    free(g_key);
    g_key = key;
    g_key_len = klen;
    g_alg = a;
    cache_clear();
    free(g_issuer);
    free(g_audience);
    g_issuer = mz_xstrdup(issuer ? issuer : "");
    g_audience = mz_xstrdup(audience ? audience : "");
    return true;
}

void mz_auth_shutdown(void)
{
    cache_clear();
    EVP_PKEY_free(g_pkey);
    g_pkey = NULL;
    free(g_key);
    free(g_issuer);
    free(g_audience);
    g_key = g_issuer = g_audience = NULL;
}

static bool num_claim(const mz_json *root, const char *name, bool required, int64_t *out,
                      const char **reason, const char *missing, const char *bad)
{
    const mz_json *v = mz_json_get(root, name);
    if (!v) {
        if (required) {
            *reason = missing;
            return false;
        }
        *out = INT64_MIN;
        return true;
    }
    if (v->type != MZ_JSON_NUMBER) {
        *reason = bad;
        return false;
    }
    if (v->u.num.is_int) {
        *out = v->u.num.i;
        return true;
    }
    /* NumericDate may carry a fraction; anything non-finite or absurd is bad. */
    double d = v->u.num.d;
    if (!(d > -1e15 && d < 1e15)) {
        *reason = bad;
        return false;
    }
    *out = (int64_t)d;
    return true;
}

static bool aud_ok(const mz_json *aud, const char *ours)
{
    size_t n;
    const char *s = mz_json_string(aud, &n);
    if (s)
        return strcmp(s, ours) == 0 && strlen(ours) == n;
    if (!aud || aud->type != MZ_JSON_ARRAY)
        return false;
    for (const mz_json *e = aud->u.kids.first; e; e = e->next) {
        s = mz_json_string(e, &n);
        if (s && n == strlen(ours) && strcmp(s, ours) == 0)
            return true;
    }
    return false;
}

/* exp (required), nbf and iat, each within MZ_AUTH_LEEWAY of now. */
static bool check_times(const mz_json *root, int64_t now, int64_t *exp, const char **reason)
{
    int64_t nbf, iat;
    if (!num_claim(root, "exp", true, exp, reason, "token has no exp claim",
                   "token exp claim is not a number") ||
        !num_claim(root, "nbf", false, &nbf, reason, NULL, "token nbf claim is not a number") ||
        !num_claim(root, "iat", false, &iat, reason, NULL, "token iat claim is not a number"))
        return false;
    if (*exp <= now - MZ_AUTH_LEEWAY)
        *reason = "token expired";
    else if (nbf != INT64_MIN && nbf > now + MZ_AUTH_LEEWAY)
        *reason = "token not yet valid (nbf)";
    else if (iat != INT64_MIN && iat > now + MZ_AUTH_LEEWAY)
        *reason = "token issued in the future (iat)";
    else
        return true;
    return false;
}

/* iss equal to ours, and ours among aud. */
static bool check_issuer_audience(const mz_json *root, const mz_auth_settings *s,
                                  const char **reason)
{
    size_t n;
    const char *iss = mz_json_string(mz_json_get(root, "iss"), &n);
    if (!iss || n != strlen(s->issuer) || strcmp(iss, s->issuer) != 0)
        *reason = "token issuer not accepted";
    else if (!aud_ok(mz_json_get(root, "aud"), s->audience))
        *reason = "token audience not accepted";
    else
        return true;
    return false;
}

/* roles: an array of strings; unknown roles are ignored. */
static bool read_roles(const mz_json *root, mz_principal *out, const char **reason)
{
    const mz_json *roles = mz_json_get(root, "roles");
    if (!roles)
        return true;
    if (roles->type != MZ_JSON_ARRAY) {
        *reason = "token roles claim is not an array";
        return false;
    }
    for (const mz_json *e = roles->u.kids.first; e; e = e->next) {
        const char *r = mz_json_string(e, NULL);
        if (!r) {
            *reason = "token roles claim holds a non-string";
            return false;
        }
        if (strcmp(r, "professional") == 0)
            out->roles |= MZ_ROLE_PROFESSIONAL;
        else if (strcmp(r, "admin") == 0)
            out->roles |= MZ_ROLE_ADMIN;
    }
    return true;
}

/* sub (required), roles, org, and bsn (a citizen: never with staff roles). */
static bool read_identity(const mz_json *root, mz_principal *out, const char **reason)
{
    size_t n;
    const char *sub = mz_json_string(mz_json_get(root, "sub"), &n);
    if (!sub || n == 0 || n >= sizeof out->sub) {
        *reason = "token has no valid sub claim";
        return false;
    }
    memcpy(out->sub, sub, n + 1);
    if (!read_roles(root, out, reason))
        return false;
    const mz_json *org = mz_json_get(root, "org");
    if (org) {
        const char *o = mz_json_string(org, &n);
        if (!o || n == 0 || n >= sizeof out->org) {
            *reason = "token org claim is not a string of 1 to 200 characters";
            return false;
        }
        memcpy(out->org, o, n + 1);
    }
    const mz_json *bsn = mz_json_get(root, "bsn"), *kvk = mz_json_get(root, "kvk");
    if (!bsn && !kvk)
        return true;
    if (bsn && kvk) {
        *reason = "token carries both a bsn and a kvk claim";
        return false;
    }
    if (out->roles) {
        *reason = bsn ? "token carries both a bsn and staff roles"
                      : "token carries both a kvk and staff roles";
        return false;
    }
    const char *b = mz_json_string(bsn ? bsn : kvk, &n);
    if (bsn) {
        if (!b || !mz_bsn_valid(b, n)) {
            *reason = "token bsn claim is not a valid BSN";
            return false;
        }
        memcpy(out->bsn, b, 10);
        out->has_bsn = true;
    } else {
        if (!b || !mz_kvk_valid(b, n)) {
            *reason = "token kvk claim is not a valid KVK number (8 digits)";
            return false;
        }
        memcpy(out->kvk, b, 9);
        out->has_kvk = true;
    }
    return true;
}

/* authorization: {"agencies": [1..MZ_AUTH_MAX_SCOPE agency ids]}. */
static bool read_scope(const mz_json *az, mz_principal *out, const char **reason)
{
    const mz_json *ag = az->type == MZ_JSON_OBJECT ? mz_json_get(az, "agencies") : NULL;
    size_t members = 0;
    if (az->type == MZ_JSON_OBJECT)
        for (const mz_json *m = az->u.kids.first; m; m = m->next)
            members++;
    if (!ag || ag->type != MZ_JSON_ARRAY || members != 1) {
        *reason = "token authorization claim must be {\"agencies\": [agency ids]}";
        return false;
    }
    for (const mz_json *e = ag->u.kids.first; e; e = e->next) {
        size_t n;
        const char *id = mz_json_string(e, &n);
        if (!id || n >= sizeof out->scope[0] || strlen(id) != n || !mz_agency_id_valid(id)) {
            *reason = "token authorization.agencies holds something that is not an agency id";
            return false;
        }
        if (out->n_scope == MZ_AUTH_MAX_SCOPE) {
            *reason = "token authorization.agencies names too many agencies";
            return false;
        }
        memcpy(out->scope[out->n_scope++], id, n + 1);
    }
    if (out->n_scope == 0) {
        *reason = "token authorization.agencies is empty";
        return false;
    }
    out->has_scope = true;
    return true;
}

/* act (RFC 8693): {"bsn": valid BSN} — who acts for the subject, never
 * the subject themself; authorization only together with act. */
static bool read_actor(const mz_json *root, mz_principal *out, const char **reason)
{
    const mz_json *act = mz_json_get(root, "act"), *az = mz_json_get(root, "authorization");
    if (!act) {
        if (az) {
            *reason = "token authorization claim needs an act claim";
            return false;
        }
        return true;
    }
    if (!out->has_bsn && !out->has_kvk) {
        *reason = "token act claim without a bsn or kvk claim (whom the actor acts for)";
        return false;
    }
    size_t n;
    const char *ab =
        act->type == MZ_JSON_OBJECT ? mz_json_string(mz_json_get(act, "bsn"), &n) : NULL;
    if (!ab || !mz_bsn_valid(ab, n)) {
        *reason = "token act claim has no valid BSN (act.bsn)";
        return false;
    }
    if (out->has_bsn && strcmp(ab, out->bsn) == 0) {
        *reason = "token act claim names the subject itself (representation of oneself)";
        return false;
    }
    mz_pseudonym(ab, 9, out->actor_key);
    out->has_actor = true;
    return az ? read_scope(az, out, reason) : true;
}

bool mz_principal_subject(const mz_principal *p, mz_subject *out)
{
    if (p->has_bsn)
        return mz_subject_bsn(out, p->bsn, 9);
    memset(out, 0, sizeof *out);
    if (!p->has_kvk)
        return false;
    out->kind = MZ_SUBJECT_KVK;
    memcpy(out->id, p->kvk, 9);
    return true;
}

void mz_principal_key(const mz_principal *p, unsigned char key[32])
{
    mz_subject s;
    if (mz_principal_subject(p, &s))
        mz_pseudonym_subject(&s, key);
    else
        memset(key, 0, 32);
    mz_subject_wipe(&s);
}

const char *mz_principal_scope_literal(const mz_principal *p, char *out, size_t n)
{
    if (!p->has_scope)
        return NULL;
    size_t used = 0;
    out[used++] = '{';
    for (unsigned i = 0; i < p->n_scope; i++) {
        size_t l = strlen(p->scope[i]);
        if (used + l + 3 > n)
            return "{}"; /* cannot happen with a large enough buffer: show nothing */
        if (i)
            out[used++] = ',';
        memcpy(out + used, p->scope[i], l);
        used += l;
    }
    out[used++] = '}';
    out[used] = '\0';
    return out;
}

bool mz_auth_check_claims(const char *claims_json, size_t len, int64_t now,
                          const mz_auth_settings *s, mz_principal *out, const char **reason)
{
    memset(out, 0, sizeof *out);
    char err[128];
    mz_json_limits lim = {.max_depth = 4, .max_nodes = 256, .max_string = 2048};
    mz_json_doc *doc = mz_json_parse(claims_json, len, &lim, err, sizeof err);
    if (!doc) {
        *reason = "token claims are not valid JSON";
        return false;
    }
    const mz_json *root = mz_json_root(doc);
    int64_t exp = 0;
    bool ok = false;
    if (root->type != MZ_JSON_OBJECT)
        *reason = "token claims are not an object";
    else
        ok = check_times(root, now, &exp, reason) && check_issuer_audience(root, s, reason) &&
             read_identity(root, out, reason) && read_actor(root, out, reason);
    mz_json_free(doc);
    if (ok)
        out->exp = exp;
    else
        memset(out, 0, sizeof *out);
    return ok;
}

/* --- verified-token cache
 *
 * Why: an RSA/ECDSA signature check costs tens of microseconds, more than
 * the rest of a citizen's read; a portal sends the same token with every
 * request. A successful verification is remembered, keyed by the SHA-256
 * of the exact token text, until the token's own exp (no leeway): only
 * the identical token can hit, and failures are never cached. mz_auth_init
 * empties it (new key, new rules).
 *
 * Size and locking (issue 18): the working set is 10,000+ citizens with a
 * token each. 4,096 sets of 8 entries (32,768 tokens; with 12,000 tokens
 * spread at random over the sets, fewer than 1 % fall in a set that
 * overflows), one mutex per set: two workers contend only when their
 * tokens fall in the same set (1 in 4,096), never on a global lock; within
 * a set the least recently used entry makes room. An entry keeps the
 * principal packed (about 100 bytes for a citizen, instead of the 1.5 KB
 * struct with its scope array), so a full cache is ~5 MiB. */
#define CACHE_SETS 4096
#define CACHE_WAYS 8

static atomic_ulong g_cache_hits, g_cache_misses;

void mz_auth_cache_stats(unsigned long *hits, unsigned long *misses)
{
    *hits = atomic_load(&g_cache_hits);
    *misses = atomic_load(&g_cache_misses);
}

typedef struct cache_entry {
    unsigned char digest[32];
    int64_t exp;
    uint32_t stamp; /* last use, per set; 0 = empty */
    uint16_t len;
    unsigned char *packed; /* the principal (pack_principal) */
} cache_entry;

typedef struct cache_set {
    pthread_mutex_t mu;
    uint32_t clock;
    cache_entry e[CACHE_WAYS];
} cache_set;

static cache_set g_cache[CACHE_SETS];
static pthread_once_t g_cache_once = PTHREAD_ONCE_INIT;

static void cache_init(void)
{
    for (size_t i = 0; i < CACHE_SETS; i++)
        pthread_mutex_init(&g_cache[i].mu, NULL);
}

static cache_set *set_of(const unsigned char digest[32])
{
    pthread_once(&g_cache_once, cache_init);
    size_t i = ((size_t)digest[0] << 16 | (size_t)digest[1] << 8 | digest[2]) % CACHE_SETS;
    return &g_cache[i];
}

static void put_str(mz_buf *b, const char *s)
{
    size_t n = strlen(s);
    unsigned char len = (unsigned char)(n > 255 ? 255 : n);
    mz_buf_append(b, &len, 1);
    mz_buf_append(b, s, len);
}

static bool get_str(const unsigned char **p, const unsigned char *end, char *out, size_t cap)
{
    if (*p >= end)
        return false;
    size_t n = **p;
    (*p)++;
    if (n >= cap || (size_t)(end - *p) < n)
        return false;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return true;
}

/* The principal's set fields only, strings length-prefixed. */
static void pack_principal(const mz_principal *w, mz_buf *b)
{
    unsigned char flags =
        (unsigned char)(w->has_bsn | w->has_kvk << 1 | w->has_actor << 2 | w->has_scope << 3);
    unsigned char nscope = (unsigned char)(w->has_scope ? w->n_scope : 0);
    mz_buf_append(b, &flags, 1);
    mz_buf_append(b, &nscope, 1);
    mz_buf_append(b, &w->roles, sizeof w->roles);
    mz_buf_append(b, &w->exp, sizeof w->exp);
    if (w->has_actor)
        mz_buf_append(b, w->actor_key, sizeof w->actor_key);
    put_str(b, w->sub);
    put_str(b, w->org);
    put_str(b, w->has_bsn ? w->bsn : "");
    put_str(b, w->has_kvk ? w->kvk : "");
    for (unsigned i = 0; i < nscope; i++)
        put_str(b, w->scope[i]);
}

static bool unpack_principal(const unsigned char *p, size_t len, mz_principal *w)
{
    const unsigned char *end = p + len;
    memset(w, 0, sizeof *w);
    if (len < 2 + sizeof w->roles + sizeof w->exp)
        return false;
    unsigned char flags = p[0], nscope = p[1];
    p += 2;
    memcpy(&w->roles, p, sizeof w->roles);
    p += sizeof w->roles;
    memcpy(&w->exp, p, sizeof w->exp);
    p += sizeof w->exp;
    w->has_bsn = flags & 1;
    w->has_kvk = flags & 2;
    w->has_actor = flags & 4;
    w->has_scope = flags & 8;
    if (w->has_actor) {
        if ((size_t)(end - p) < sizeof w->actor_key)
            return false;
        memcpy(w->actor_key, p, sizeof w->actor_key);
        p += sizeof w->actor_key;
    }
    if (nscope > MZ_AUTH_MAX_SCOPE)
        return false;
    w->n_scope = nscope;
    bool ok = get_str(&p, end, w->sub, sizeof w->sub) && get_str(&p, end, w->org, sizeof w->org) &&
              get_str(&p, end, w->bsn, sizeof w->bsn) && get_str(&p, end, w->kvk, sizeof w->kvk);
    for (unsigned i = 0; ok && i < nscope; i++)
        ok = get_str(&p, end, w->scope[i], sizeof w->scope[i]);
    return ok && p == end;
}

static void entry_drop(cache_entry *e)
{
    if (e->packed) {
        OPENSSL_cleanse(e->packed, e->len);
        free(e->packed);
    }
    memset(e, 0, sizeof *e);
}

static bool cache_get(const unsigned char digest[32], mz_principal *out)
{
    cache_set *c = set_of(digest);
    bool hit = false;
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&c->mu);
    for (int k = 0; k < CACHE_WAYS; k++) {
        cache_entry *e = &c->e[k];
        if (!e->stamp || CRYPTO_memcmp(e->digest, digest, 32) != 0)
            continue;
        if (e->exp > now && unpack_principal(e->packed, e->len, out)) {
            e->stamp = ++c->clock ? c->clock : ++c->clock;
            hit = true;
        } else {
            entry_drop(e);
        }
        break;
    }
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add(hit ? &g_cache_hits : &g_cache_misses, 1);
    if (!hit)
        memset(out, 0, sizeof *out);
    return hit;
}

static void cache_put(const unsigned char digest[32], const mz_principal *who)
{
    mz_buf b = MZ_BUF_INIT;
    pack_principal(who, &b);
    cache_set *c = set_of(digest);
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&c->mu);
    cache_entry *victim = NULL;
    for (int k = 0; k < CACHE_WAYS && !victim; k++) {
        cache_entry *e = &c->e[k];
        if (!e->stamp || e->exp <= now || CRYPTO_memcmp(e->digest, digest, 32) == 0)
            victim = e; /* empty, expired, or this token again */
    }
    if (!victim) {
        victim = &c->e[0];
        for (int k = 1; k < CACHE_WAYS; k++)
            if ((uint32_t)(c->clock - c->e[k].stamp) > (uint32_t)(c->clock - victim->stamp))
                victim = &c->e[k];
    }
    entry_drop(victim);
    memcpy(victim->digest, digest, 32);
    victim->exp = who->exp;
    victim->len = (uint16_t)b.len;
    victim->packed = (unsigned char *)b.data; /* the buffer's data is ours now */
    victim->stamp = ++c->clock ? c->clock : ++c->clock;
    pthread_mutex_unlock(&c->mu);
}

static void cache_clear(void)
{
    pthread_once(&g_cache_once, cache_init);
    for (size_t i = 0; i < CACHE_SETS; i++) {
        pthread_mutex_lock(&g_cache[i].mu);
        for (int k = 0; k < CACHE_WAYS; k++)
            entry_drop(&g_cache[i].e[k]);
        pthread_mutex_unlock(&g_cache[i].mu);
    }
}

static bool verify_signature(const char *tok, size_t tlen, const char **reason)
{
    const char *p1 = memchr(tok, '.', tlen);
    const char *p2 = p1 ? memchr(p1 + 1, '.', tlen - (size_t)(p1 + 1 - tok)) : NULL;
    if (!p1 || !p2 || memchr(p2 + 1, '.', tlen - (size_t)(p2 + 1 - tok))) {
        *reason = "token signature or format invalid";
        return false;
    }
    char header[1024];
    long hlen = mz_b64url_decode(tok, (size_t)(p1 - tok), header, sizeof header);
    char err[64];
    mz_json_limits lim = {.max_depth = 2, .max_nodes = 32, .max_string = 256};
    mz_json_doc *h = hlen > 0 ? mz_json_parse(header, (size_t)hlen, &lim, err, sizeof err) : NULL;
    const char *alg = h ? mz_json_string(mz_json_get(mz_json_root(h), "alg"), NULL) : NULL;
    bool alg_ok = alg && strcmp(alg, g_alg == JWT_ALG_ES256 ? "ES256" : "RS256") == 0 &&
                  !mz_json_get(mz_json_root(h), "crit");
    mz_json_free(h);
    if (!alg_ok) {
        *reason = hlen > 0 ? "token algorithm not accepted" : "token signature or format invalid";
        return false;
    }
    unsigned char sig[1024];
    long slen = mz_b64url_decode(p2 + 1, tlen - (size_t)(p2 + 1 - tok), sig, sizeof sig);
    unsigned char der[160];
    const unsigned char *vsig = sig;
    size_t vlen = slen > 0 ? (size_t)slen : 0;
    if (g_alg == JWT_ALG_ES256) {
        /* JWS carries r || s (32 bytes each); OpenSSL verifies DER. */
        if (slen != 64) {
            *reason = "token signature or format invalid";
            return false;
        }
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
        if (!es || !r || !sv || ECDSA_SIG_set0(es, r, sv) != 1) {
            BN_free(r);
            BN_free(sv);
            ECDSA_SIG_free(es);
            *reason = "token signature or format invalid";
            return false;
        }
        unsigned char *dp = der;
        int dl = i2d_ECDSA_SIG(es, NULL) <= (int)sizeof der ? i2d_ECDSA_SIG(es, &dp) : -1;
        ECDSA_SIG_free(es);
        if (dl <= 0) {
            *reason = "token signature or format invalid";
            return false;
        }
        vsig = der;
        vlen = (size_t)dl;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok =
        slen > 0 && ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, g_pkey) == 1 &&
        EVP_DigestVerify(ctx, vsig, vlen, (const unsigned char *)tok, (size_t)(p2 - tok)) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        *reason = "token signature or format invalid";
    return ok;
}

bool mz_auth_verify(const char *authorization, mz_principal *out, const char **reason)
{
    memset(out, 0, sizeof *out);
    if (!authorization || !*authorization) {
        *reason = "missing bearer token";
        return false;
    }
    if (strncasecmp(authorization, "Bearer ", 7) != 0) {
        *reason = "Authorization must use the Bearer scheme";
        return false;
    }
    const char *tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    size_t tlen = strlen(tok);
    if (tlen == 0 || tlen > MZ_AUTH_MAX_TOKEN) {
        *reason = "bearer token empty or too long";
        return false;
    }
    for (size_t i = 0; i < tlen; i++) {
        char c = tok[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.')) {
            *reason = "bearer token is not a compact JWT";
            return false;
        }
    }
    if (!g_key) {
        *reason = "token verification is not configured";
        return false;
    }
    unsigned char digest[32];
    SHA256((const unsigned char *)tok, tlen, digest);
    if (cache_get(digest, out))
        return true;
    bool ok = verify_signature(tok, tlen, reason);
    if (!ok)
        return false;
    /* Read the signed payload ourselves: our bounded parser refuses what a
     * lenient one would merge (duplicate members). */
    const char *p1 = strchr(tok, '.');
    const char *p2 = p1 ? strchr(p1 + 1, '.') : NULL;
    char claims[MZ_AUTH_MAX_TOKEN];
    long clen = p2 ? mz_b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), claims, sizeof claims) : -1;
    if (clen <= 0) {
        *reason = "token payload is not base64url";
        return false;
    }
    mz_auth_settings s = {g_issuer, g_audience};
    ok = mz_auth_check_claims(claims, (size_t)clen, (int64_t)time(NULL), &s, out, reason);
    if (ok)
        cache_put(digest, out);
    return ok;
}

char *mz_auth_sign(const char *alg, const char *private_key_pem, size_t key_len,
                   const char *claims_json)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    char *out = NULL;
    jwt_alg_t a = jwt_str_alg(alg);
    if (jwt_add_grants_json(jwt, claims_json) != 0)
        goto done;
    if (a == JWT_ALG_NONE) {
        if (jwt_set_alg(jwt, a, NULL, 0) != 0)
            goto done;
    } else if (jwt_set_alg(jwt, a, (const unsigned char *)private_key_pem, (int)key_len) != 0)
        goto done;
    out = jwt_encode_str(jwt);
done:
    jwt_free(jwt);
    return out;
}
