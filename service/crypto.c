#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char g_key[MZ_PSEUDONYM_KEY_MAX];
static size_t g_key_len;

bool mz_pseudonym_read_key_file(const char *path, unsigned char out[MZ_PSEUDONYM_KEY_MAX],
                                size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open pseudonym key file %s: %s", path, strerror(errno));
        return false;
    }
    unsigned char tmp[MZ_PSEUDONYM_KEY_MAX + 1]; /* one more: a longer file is refused */
    size_t n = fread(tmp, 1, sizeof tmp, f);
    fclose(f);
    while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r' || tmp[n - 1] == ' '))
        n--;
    bool ok = n >= 32 && n <= MZ_PSEUDONYM_KEY_MAX;
    if (ok) {
        memcpy(out, tmp, n);
        *len = n;
    } else {
        snprintf(err, errlen, "pseudonym key file %s must hold 32 to %d bytes", path,
                 MZ_PSEUDONYM_KEY_MAX);
    }
    OPENSSL_cleanse(tmp, sizeof tmp);
    return ok;
}

bool mz_pseudonym_load_key(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "MZ_PSEUDONYM_KEY_FILE is not set");
        return false;
    }
    unsigned char key[MZ_PSEUDONYM_KEY_MAX];
    size_t n = 0;
    bool ok = mz_pseudonym_read_key_file(path, key, &n, err, errlen);
    if (ok)
        mz_pseudonym_set_key(key, n);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

void mz_pseudonym_set_key(const unsigned char *key, size_t len)
{
    if (len > sizeof g_key)
        len = sizeof g_key;
    memcpy(g_key, key, len);
    g_key_len = len;
}

bool mz_pseudonym_ready(void)
{
    return g_key_len >= 32;
}

void mz_pseudonym(const char *bsn, size_t len, unsigned char out[MZ_PSEUDONYM_LEN])
{
    mz_hmac_sha256(g_key, g_key_len, bsn, len, out);
}

size_t mz_pseudonym_message(mz_subject_kind k, const char *id, char out[16])
{
    int n = snprintf(out, 16, "%s%s", k == MZ_SUBJECT_KVK ? "kvk:" : "", id);
    return n > 0 && n < 16 ? (size_t)n : 0;
}

void mz_pseudonym_subject(const mz_subject *s, unsigned char out[MZ_PSEUDONYM_LEN])
{
    char msg[16];
    size_t n = mz_pseudonym_message(s->kind, s->id, msg);
    mz_hmac_sha256(g_key, g_key_len, msg, n, out);
    OPENSSL_cleanse(msg, sizeof msg);
}

void mz_random_bytes(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1)
        abort();
}

/* Random ids (trace and span ids, request ids) come from a per-thread
 * buffer filled by RAND_bytes 4 KiB at a time (issue 18): one call into
 * the DRBG per ~200 requests instead of several per request, and no shared
 * state between threads. Bytes are used once and wiped as they are taken.
 * A forked child must not repeat its parent's bytes: the atfork handler
 * bumps a generation that makes every thread's buffer refill. Keys and
 * secrets do not use it (mz_random_bytes, mz_random_secret_hex). */
#define RANDBUF 4096
static _Thread_local unsigned char t_rand[RANDBUF];
static _Thread_local size_t t_rand_left;
static _Thread_local unsigned t_rand_gen;
static atomic_uint g_rand_gen = 1;
static pthread_once_t g_rand_once = PTHREAD_ONCE_INIT;

static void rand_after_fork(void)
{
    atomic_fetch_add(&g_rand_gen, 1);
}

static void rand_once(void)
{
    pthread_atfork(NULL, NULL, rand_after_fork);
}

static void random_id_bytes(unsigned char *out, size_t n)
{
    pthread_once(&g_rand_once, rand_once);
    unsigned gen = atomic_load_explicit(&g_rand_gen, memory_order_relaxed);
    if (n > RANDBUF / 4) {
        mz_random_bytes(out, n);
        return;
    }
    if (t_rand_gen != gen || t_rand_left < n) {
        mz_random_bytes(t_rand, RANDBUF);
        t_rand_left = RANDBUF;
        t_rand_gen = gen;
    }
    unsigned char *p = t_rand + (RANDBUF - t_rand_left);
    memcpy(out, p, n);
    OPENSSL_cleanse(p, n);
    t_rand_left -= n;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void mz_random_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    if (nbytes > sizeof b)
        nbytes = sizeof b;
    random_id_bytes(b, nbytes);
    to_hex(b, nbytes, out);
}

void mz_random_secret_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    if (nbytes > sizeof b)
        nbytes = sizeof b;
    mz_random_bytes(b, nbytes);
    to_hex(b, nbytes, out);
    OPENSSL_cleanse(b, sizeof b);
}

void mz_random_id(char *out, size_t n)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEF";
    unsigned char b[64];
    if (n > sizeof b)
        n = sizeof b;
    random_id_bytes(b, n);
    for (size_t i = 0; i < n; i++)
        out[i] = alpha[b[i] & 31];
    out[n] = '\0';
}

void mz_sha256_hex(const void *data, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, n, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

void mz_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[32])
{
    unsigned int outlen = 32;
    if (!HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &outlen))
        abort();
}

int mz_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool mz_hex_decode(const char *hex, unsigned char *out, size_t cap, size_t *n)
{
    size_t len = strlen(hex);
    if (len % 2 || len / 2 > cap)
        return false;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = mz_hexval(hex[2 * i]), lo = mz_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *n = len / 2;
    return true;
}

bool mz_consttime_eq(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t mz_b64url_encode(const void *in, size_t n, char *out)
{
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long mz_b64url_decode(const char *in, size_t n, void *outv, size_t cap)
{
    unsigned char *out = outv;
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits && (acc & ((1u << bits) - 1)))
        return -1; /* non-canonical trailing bits */
    return (long)o;
}

bool mz_generate_keypair(const char *alg, const char *private_path, const char *public_path,
                         char *err, size_t errlen)
{
    EVP_PKEY *pkey = NULL;
    if (strcmp(alg, "RS256") == 0)
        pkey = EVP_RSA_gen(2048);
    else if (strcmp(alg, "ES256") == 0)
        pkey = EVP_EC_gen("P-256");
    if (!pkey) {
        snprintf(err, errlen, "cannot generate a key pair for %s", alg);
        return false;
    }
    bool ok = false;
    int fd = open(private_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *fpriv = fd >= 0 ? fdopen(fd, "w") : NULL;
    FILE *fpub = fpriv ? fopen(public_path, "w") : NULL;
    if (fpriv && fpub && PEM_write_PrivateKey(fpriv, pkey, NULL, NULL, 0, NULL, NULL) == 1 &&
        PEM_write_PUBKEY(fpub, pkey) == 1)
        ok = true;
    else
        snprintf(err, errlen, "cannot write key files %s / %s", private_path, public_path);
    if (fpriv)
        fclose(fpriv);
    else if (fd >= 0)
        close(fd);
    if (fpub)
        fclose(fpub);
    EVP_PKEY_free(pkey);
    return ok;
}
