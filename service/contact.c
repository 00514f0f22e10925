#include "contact.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "crypto.h"

static unsigned char g_key[MZ_CONTACT_KEY_LEN];
static char g_key_id[MZ_CONTACT_KEY_ID_LEN + 1];
static bool g_ready;

bool mz_contact_key_parse(const char *text, size_t n, unsigned char key[MZ_CONTACT_KEY_LEN])
{
    if (n == 66 && text[64] == '\r' && text[65] == '\n')
        n = 64;
    else if (n == 65 && text[64] == '\n')
        n = 64;
    if (n != 64)
        return false;
    for (size_t i = 0; i < MZ_CONTACT_KEY_LEN; i++) {
        int hi = mz_hexval(text[2 * i]), lo = mz_hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key, MZ_CONTACT_KEY_LEN);
            return false;
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

bool mz_contact_load_key(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        snprintf(err, errlen, "MZ_CONTACT_KEY_FILE is not set");
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open contact key file %s: %s", path, strerror(errno));
        return false;
    }
    char text[80];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    unsigned char key[MZ_CONTACT_KEY_LEN];
    bool ok = mz_contact_key_parse(text, n, key);
    if (ok)
        mz_contact_set_key(key);
    else
        snprintf(err, errlen,
                 "contact key file %s must hold 64 hex characters (an optional newline after)",
                 path);
    OPENSSL_cleanse(text, sizeof text);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

void mz_contact_set_key(const unsigned char key[MZ_CONTACT_KEY_LEN])
{
    memcpy(g_key, key, MZ_CONTACT_KEY_LEN);
    char hex[65];
    mz_sha256_hex(key, MZ_CONTACT_KEY_LEN, hex);
    memcpy(g_key_id, hex, MZ_CONTACT_KEY_ID_LEN);
    g_key_id[MZ_CONTACT_KEY_ID_LEN] = '\0';
    g_ready = true;
}

void mz_contact_clear_key(void)
{
    OPENSSL_cleanse(g_key, sizeof g_key);
    g_key_id[0] = '\0';
    g_ready = false;
}

bool mz_contact_ready(void)
{
    return g_ready;
}

const char *mz_contact_key_id(void)
{
    return g_ready ? g_key_id : "";
}

unsigned char *mz_contact_seal(const char *plain, size_t n, const void *aad, size_t aadlen,
                               size_t *outlen)
{
    if (!g_ready || n > 4096)
        return NULL;
    unsigned char *out = mz_xmalloc(MZ_CONTACT_NONCE_LEN + n + MZ_CONTACT_TAG_LEN);
    mz_random_bytes(out, MZ_CONTACT_NONCE_LEN);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, g_key, out) == 1 &&
              EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aadlen) == 1 &&
              EVP_EncryptUpdate(ctx, out + MZ_CONTACT_NONCE_LEN, &len, (const unsigned char *)plain,
                                (int)n) == 1 &&
              EVP_EncryptFinal_ex(ctx, out + MZ_CONTACT_NONCE_LEN + len, &fin) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MZ_CONTACT_TAG_LEN,
                                  out + MZ_CONTACT_NONCE_LEN + n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        free(out);
        return NULL;
    }
    *outlen = MZ_CONTACT_NONCE_LEN + n + MZ_CONTACT_TAG_LEN;
    return out;
}

char *mz_contact_open(const char *key_id, const unsigned char *sealed, size_t n, const void *aad,
                      size_t aadlen)
{
    if (!g_ready || !key_id || strcmp(key_id, g_key_id) != 0 ||
        n < MZ_CONTACT_NONCE_LEN + MZ_CONTACT_TAG_LEN || n > 4096 + 28)
        return NULL;
    size_t clen = n - MZ_CONTACT_NONCE_LEN - MZ_CONTACT_TAG_LEN;
    unsigned char *plain = mz_xmalloc(clen + 1);
    unsigned char tag[MZ_CONTACT_TAG_LEN];
    memcpy(tag, sealed + n - MZ_CONTACT_TAG_LEN, sizeof tag);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, g_key, sealed) == 1 &&
              EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aadlen) == 1 &&
              EVP_DecryptUpdate(ctx, plain, &len, sealed + MZ_CONTACT_NONCE_LEN, (int)clen) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MZ_CONTACT_TAG_LEN, tag) == 1 &&
              EVP_DecryptFinal_ex(ctx, plain + len, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok || memchr(plain, '\0', clen)) {
        OPENSSL_cleanse(plain, clen + 1);
        free(plain);
        return NULL;
    }
    plain[clen] = '\0';
    return (char *)plain;
}

void mz_contact_free_plain(char *plain)
{
    if (!plain)
        return;
    OPENSSL_cleanse(plain, strlen(plain));
    free(plain);
}

size_t mz_contact_aad(const unsigned char subject_key[32], const char *field, unsigned char *out)
{
    size_t f = strlen(field);
    if (f > 8)
        f = 8;
    memcpy(out, subject_key, 32);
    memcpy(out + 32, field, f);
    return 32 + f;
}

static bool label_char(char c)
{
    return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '-');
}

bool mz_contact_email_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n == 0 || n > MZ_CONTACT_EMAIL_MAX || !at || strchr(at + 1, '@'))
        return false;
    size_t local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || at[-1] == '.')
        return false;
    for (const char *p = s; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 127 || strchr("()<>[]\\,;:\"", c) || (c == '.' && p[1] == '.'))
            return false;
    }
    /* domain: labels of 1..63 [A-Za-z0-9-], not starting or ending in '-',
     * at least two, the last alphabetic and at least two letters */
    const char *d = at + 1;
    int labels = 0;
    const char *last = d;
    while (*d) {
        const char *start = d;
        while (*d && *d != '.') {
            if (!label_char(*d))
                return false;
            d++;
        }
        size_t len = (size_t)(d - start);
        if (len == 0 || len > 63 || start[0] == '-' || d[-1] == '-')
            return false;
        labels++;
        last = start;
        if (*d == '.') {
            d++;
            if (!*d)
                return false;
        }
    }
    if (labels < 2)
        return false;
    size_t tld = 0;
    for (const char *p = last; *p; p++, tld++)
        if (!isalpha((unsigned char)*p))
            return false;
    return tld >= 2;
}

bool mz_contact_phone_normalise(const char *s, char out[MZ_CONTACT_PHONE_LEN + 1])
{
    if (!s)
        return false;
    char digits[24];
    size_t n = 0;
    bool plus = false;
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (*p == '+' && n == 0 && !plus) {
            plus = true;
            continue;
        }
        if (*p < '0' || *p > '9' || n + 1 >= sizeof digits)
            return false;
        digits[n++] = *p;
    }
    digits[n] = '\0';
    const char *rest;
    if (plus && n == 11 && strncmp(digits, "316", 3) == 0)
        rest = digits + 3;
    else if (!plus && n == 13 && strncmp(digits, "00316", 5) == 0)
        rest = digits + 5;
    else if (!plus && n == 10 && strncmp(digits, "06", 2) == 0)
        rest = digits + 2;
    else
        return false;
    memcpy(out, "+316", 4);
    memcpy(out + 4, rest, 8);
    out[MZ_CONTACT_PHONE_LEN] = '\0';
    return true;
}

void mz_contact_mask_email(const char *email, char *out, size_t outlen)
{
    const char *at = email ? strchr(email, '@') : NULL;
    if (!at || at == email) {
        snprintf(out, outlen, "***");
        return;
    }
    snprintf(out, outlen, "%c***%s", email[0], at);
}

void mz_contact_mask_phone(const char *phone, char *out, size_t outlen)
{
    size_t n = phone ? strlen(phone) : 0;
    if (n < 6) {
        snprintf(out, outlen, "***");
        return;
    }
    snprintf(out, outlen, "%.4s******%s", phone, phone + n - 2);
}

void mz_contact_code_hash(const unsigned char subject_key[32], const char *channel,
                          const char *code, char out[65])
{
    unsigned char msg[32 + 8 + 1 + 16];
    size_t n = mz_contact_aad(subject_key, channel, msg);
    msg[n++] = ':';
    size_t c = strnlen(code, 16);
    memcpy(msg + n, code, c);
    n += c;
    unsigned char mac[32];
    mz_hmac_sha256(g_key, sizeof g_key, msg, n, mac);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
}

void mz_contact_new_code(char out[7])
{
    /* Rejection sampling: uniform over 000000..999999. */
    uint32_t v;
    do
        mz_random_bytes(&v, sizeof v);
    while (v >= 4294000000u);
    snprintf(out, 7, "%06u", (unsigned)(v % 1000000u));
}
