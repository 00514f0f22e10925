#include "webhook.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* Standard base64 (with padding), as the spec uses. */
static int b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    if (n == 0 || n % 4 != 0 || (n / 4) * 3 > cap + 2)
        return -1;
    unsigned char tmp[512];
    if ((n / 4) * 3 > sizeof tmp)
        return -1;
    int m = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
    if (m < 0)
        return -1;
    if (n >= 1 && in[n - 1] == '=')
        m--;
    if (n >= 2 && in[n - 2] == '=')
        m--;
    if ((size_t)m > cap)
        return -1;
    memcpy(out, tmp, (size_t)m);
    return m;
}

static int secret_key(const char *secret, unsigned char *key, size_t cap)
{
    if (!secret || strncmp(secret, "whsec_", 6) != 0)
        return -1;
    return b64_decode(secret + 6, strlen(secret + 6), key, cap);
}

/* The HMAC implementation, fetched once: EVP_MAC_fetch looks it up in
 * OpenSSL's provider store under a global lock, and did so for every
 * pushed request. A fetched EVP_MAC may be shared by threads (each request
 * makes its own context from it). */
static EVP_MAC *g_hmac;
static pthread_once_t g_hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    g_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static bool mac(const unsigned char *key, int klen, const char *id, const char *ts,
                const void *body, size_t len, unsigned char out[32])
{
    /* HMAC over id "." ts "." body without building the concatenation. */
    pthread_once(&g_hmac_once, hmac_fetch);
    EVP_MAC_CTX *ctx = g_hmac ? EVP_MAC_CTX_new(g_hmac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    bool ok = ctx && EVP_MAC_init(ctx, key, (size_t)klen, params) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)id, strlen(id)) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) == 1 &&
              EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
              EVP_MAC_update(ctx, body, len) == 1 && EVP_MAC_final(ctx, out, &outl, 32) == 1 &&
              outl == 32;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

static bool header_ok(const char *s, size_t max)
{
    if (!s || !*s || strlen(s) > max)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return false;
    return true;
}

mz_sig_result mz_webhook_verify(const char *secret, const char *id, const char *timestamp,
                                const char *signatures, const void *body, size_t len, int64_t now)
{
    unsigned char key[256];
    int klen = secret_key(secret, key, sizeof key);
    if (klen <= 0)
        return MZ_SIG_BAD_SECRET;
    if (!header_ok(id, 256) || !header_ok(timestamp, 20) || !signatures ||
        strlen(signatures) > 2048)
        return MZ_SIG_BAD_HEADERS;
    char *end;
    errno = 0;
    long long ts = strtoll(timestamp, &end, 10);
    if (errno || *end || end == timestamp || timestamp[0] == '-' || timestamp[0] == '+')
        return MZ_SIG_BAD_HEADERS;
    if (ts > now + MZ_WEBHOOK_TOLERANCE || ts < now - MZ_WEBHOOK_TOLERANCE)
        return MZ_SIG_STALE;
    unsigned char want[32];
    if (!mac(key, klen, id, timestamp, body, len, want))
        return MZ_SIG_BAD_SECRET;
    OPENSSL_cleanse(key, sizeof key);
    char want_b64[48];
    EVP_EncodeBlock((unsigned char *)want_b64, want, 32);
    bool match = false;
    int seen = 0;
    const char *p = signatures;
    while (*p && seen < 16) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        size_t n = (size_t)(e - p);
        if (n > 3 && strncmp(p, "v1,", 3) == 0) {
            /* Compare canonical base64 text in constant time: an encoding
             * that decodes to the same bytes but is spelled otherwise is not
             * what the spec's signers produce. Keep scanning regardless. */
            if (mz_consttime_eq(p + 3, n - 3, want_b64, 44))
                match = true;
            seen++;
        }
        p = e;
    }
    if (seen == 0)
        return MZ_SIG_BAD_HEADERS;
    return match ? MZ_SIG_OK : MZ_SIG_MISMATCH;
}

bool mz_webhook_sign(const char *secret, const char *id, const char *timestamp, const void *body,
                     size_t len, char *out, size_t outlen)
{
    unsigned char key[256], sig[32];
    int klen = secret_key(secret, key, sizeof key);
    if (klen <= 0 || outlen < 64 || !mac(key, klen, id, timestamp, body, len, sig))
        return false;
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, sig, 32);
    return true;
}

const char *mz_sig_result_text(mz_sig_result r)
{
    switch (r) {
    case MZ_SIG_OK:
        return "signature valid";
    case MZ_SIG_BAD_SECRET:
        return "the webhook secret configured for this agency is not usable";
    case MZ_SIG_BAD_HEADERS:
        return "webhook-id, webhook-timestamp and webhook-signature (v1,<base64>) are required";
    case MZ_SIG_STALE:
        return "webhook-timestamp is more than 300 seconds from the current time";
    case MZ_SIG_MISMATCH:
        return "no webhook-signature matches the body";
    }
    return "invalid signature";
}
