/*
 * fuzz_jwt_claims.c — bearer token verification (service/auth.c).
 *
 * Each input is used four ways:
 *   1. as the claims JSON for mz_auth_check_claims at a fixed time FZ_NOW
 *      with fixed issuer and audience (deterministic);
 *   2. as the token itself: mz_auth_verify("Bearer " + input) — it can
 *      never be signed with our key, so it must never be accepted;
 *   3. as the payload of tokens that must be refused whatever it says:
 *      alg "none" (empty signature) and alg HS256 "signed" with our public
 *      key as the HMAC secret (the classic algorithm-confusion forgery);
 *   4. as the payload of a token really signed with our RS256 private key
 *      (for inputs whose length is a multiple of 4 — RSA signing is ~100x
 *      the cost of everything else): whenever mz_auth_verify accepts it,
 *      mz_auth_check_claims must accept the same payload at the same time
 *      and yield the same principal (the verify path may refuse more:
 *      libjwt's jansson parse of the payload is stricter on some numbers).
 *      Path 4 uses the wall clock (mz_auth_verify does), checked only when
 *      the second did not change during the call.
 *
 * The key pair is generated once (mz_generate_keypair into a temporary
 * directory, removed right after mz_auth_init has read the public key).
 */
#include "fuzz_util.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "bsn.h"
#include "crypto.h"

#define FZ_ISS "https://login.mijnzaken.example"
#define FZ_AUD "mijnzaken"
#define FZ_NOW 1800000000

static EVP_PKEY *g_priv;
static char *g_pub_pem;
static size_t g_pub_len;

static void init(void)
{
    char dir[] = "/tmp/mz-fuzz-jwt.XXXXXX";
    if (!mkdtemp(dir))
        abort();
    char priv[64], pub[64], err[256];
    snprintf(priv, sizeof priv, "%s/private.pem", dir);
    snprintf(pub, sizeof pub, "%s/public.pem", dir);
    if (!mz_generate_keypair("RS256", priv, pub, err, sizeof err)) {
        fprintf(stderr, "fuzz_jwt_claims: %s\n", err);
        abort();
    }
    if (!mz_auth_init(pub, "RS256", FZ_ISS, FZ_AUD, err, sizeof err)) {
        fprintf(stderr, "fuzz_jwt_claims: %s\n", err);
        abort();
    }
    size_t plen;
    char *pem = mz_read_file(priv, &plen, 64 * 1024);
    g_pub_pem = mz_read_file(pub, &g_pub_len, 64 * 1024);
    BIO *bio = pem ? BIO_new_mem_buf(pem, (int)plen) : NULL;
    g_priv = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(pem);
    unlink(priv);
    unlink(pub);
    rmdir(dir);
    if (!g_priv || !g_pub_pem)
        abort();
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void check_principal(bool ok, const mz_principal *p, const char *reason)
{
    if (!ok) {
        FZ_CHECK(reason && *reason);
        FZ_CHECK(!mz_contains_bsn_like(reason, strlen(reason)));
        FZ_CHECK(all_zero(p, sizeof *p));
        return;
    }
    size_t sl = strnlen(p->sub, sizeof p->sub);
    FZ_CHECK(sl > 0 && sl < sizeof p->sub);
    FZ_CHECK(strnlen(p->org, sizeof p->org) < sizeof p->org);
    FZ_CHECK((p->roles & ~(unsigned)(MZ_ROLE_PROFESSIONAL | MZ_ROLE_ADMIN)) == 0);
    if (p->has_bsn) {
        FZ_CHECK(strnlen(p->bsn, sizeof p->bsn) == 9 && mz_bsn_valid(p->bsn, 9));
        FZ_CHECK(p->roles == 0);
    } else {
        FZ_CHECK(p->bsn[0] == '\0');
    }
}

/* "Bearer " + b64url(header) "." b64url(payload) "." sig (malloc'd). */
static char *token(const char *header, const uint8_t *payload, size_t n, const char *alg_kind)
{
    size_t hl = strlen(header);
    size_t cap = 7 + (hl / 3 + 1) * 4 + 1 + (n / 3 + 1) * 4 + 1 + 1024;
    char *t = malloc(cap);
    if (!t)
        abort();
    memcpy(t, "Bearer ", 7);
    size_t o = 7;
    o += mz_b64url_encode(header, hl, t + o);
    t[o++] = '.';
    o += mz_b64url_encode(payload, n, t + o);
    size_t signing_start = 7, signing_len = o - 7;
    t[o++] = '.';
    unsigned char sig[512];
    size_t siglen = 0;
    if (strcmp(alg_kind, "HS256") == 0) {
        mz_hmac_sha256(g_pub_pem, g_pub_len, t + signing_start, signing_len, sig);
        siglen = 32;
    } else if (strcmp(alg_kind, "RS256") == 0) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        siglen = sizeof sig;
        if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, g_priv) != 1 ||
            EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)t + signing_start,
                           signing_len) != 1)
            abort();
        EVP_MD_CTX_free(ctx);
    }
    o += mz_b64url_encode(sig, siglen, t + o);
    t[o] = '\0';
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool inited;
    if (!inited) {
        init();
        inited = true;
    }
    const mz_auth_settings s = {FZ_ISS, FZ_AUD};
    mz_principal p;
    const char *reason = NULL;

    /* 1. claims at a fixed time */
    bool ok = mz_auth_check_claims((const char *)data, size, FZ_NOW, &s, &p, &reason);
    check_principal(ok, &p, reason);
    if (ok) {
        FZ_CHECK(p.exp > FZ_NOW - MZ_AUTH_LEEWAY);
        /* Validation is a pure function of (claims, now). */
        mz_principal p2;
        const char *r2 = NULL;
        FZ_CHECK(mz_auth_check_claims((const char *)data, size, FZ_NOW, &s, &p2, &r2));
        FZ_CHECK(memcmp(&p, &p2, sizeof p) == 0);
    }

    /* 2. the input as the bearer token: never accepted */
    char *hdr = malloc(7 + size + 1);
    if (!hdr)
        abort();
    memcpy(hdr, "Bearer ", 7);
    memcpy(hdr + 7, data, size);
    hdr[7 + size] = '\0';
    reason = NULL;
    FZ_CHECK(!mz_auth_verify(hdr, &p, &reason));
    check_principal(false, &p, reason);
    reason = NULL;
    FZ_CHECK(!mz_auth_verify((const char *)hdr + 7, &p, &reason)); /* no scheme */
    check_principal(false, &p, reason);
    free(hdr);

    if (size > 6000) /* the token would exceed MZ_AUTH_MAX_TOKEN anyway */
        return 0;

    /* 3. forgeries carrying the input as claims */
    static const char *const forged[][2] = {
        {"{\"alg\":\"none\",\"typ\":\"JWT\"}", "none"},
        {"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "HS256"},
        {"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "none"}, /* right alg, no signature */
    };
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        char *t = token(forged[i][0], data, size, forged[i][1]);
        reason = NULL;
        FZ_CHECK(!mz_auth_verify(t, &p, &reason));
        check_principal(false, &p, reason);
        free(t);
    }

    /* 4. really signed: verify ⇒ check_claims, same principal */
    if (size % 4 == 0) {
        char *t = token("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", data, size, "RS256");
        time_t before = time(NULL);
        reason = NULL;
        bool vok = mz_auth_verify(t, &p, &reason);
        time_t after = time(NULL);
        check_principal(vok, &p, reason);
        if (vok && before == after) {
            mz_principal pc;
            const char *rc = NULL;
            FZ_CHECK(mz_auth_check_claims((const char *)data, size, (int64_t)before, &s, &pc, &rc));
            FZ_CHECK(memcmp(&p, &pc, sizeof p) == 0);
        }
        free(t);
    }
    return 0;
}
