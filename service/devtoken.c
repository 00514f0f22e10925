#include "devtoken.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"

char *mz_dev_token(const char *bsn, const char *role, const char *sub, const char *org,
                   long ttl_seconds, const char **why)
{
    size_t klen;
    const char *keyfile = g_mz_config.jwt_private_key_file;
    char *key = keyfile ? mz_read_file(keyfile, &klen, 64 * 1024) : NULL;
    if (!key) {
        *why = "the development key is not available (MZ_JWT_PRIVATE_KEY_FILE)";
        return NULL;
    }
    char subject[64];
    if (!sub) {
        /* A random subject: never derive it from the BSN. */
        char rnd[17];
        mz_random_id(rnd, 16);
        snprintf(subject, sizeof subject, "%s-%s", bsn ? "demo-burger" : role, rnd);
        sub = subject;
    }
    time_t now = time(NULL);
    mz_buf c = MZ_BUF_INIT;
    mz_buf_puts(&c, "{\"iss\":");
    mz_json_cstr(&c, g_mz_config.jwt_issuer);
    mz_buf_puts(&c, ",\"aud\":");
    mz_json_cstr(&c, g_mz_config.jwt_audience);
    mz_buf_puts(&c, ",\"sub\":");
    mz_json_cstr(&c, sub);
    mz_buf_printf(&c, ",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld", (long long)now, (long long)now,
                  (long long)(now + ttl_seconds));
    if (bsn) {
        mz_buf_puts(&c, ",\"bsn\":");
        mz_json_cstr(&c, bsn);
    } else {
        mz_buf_puts(&c, ",\"roles\":[");
        mz_json_cstr(&c, role);
        mz_buf_putc(&c, ']');
    }
    if (org) {
        mz_buf_puts(&c, ",\"org\":");
        mz_json_cstr(&c, org);
    }
    mz_buf_putc(&c, '}');
    char *tok = mz_auth_sign(g_mz_config.jwt_alg, key, klen, c.data);
    mz_buf_free(&c);
    free(key);
    if (!tok)
        *why = "cannot sign the token (does the key match MZ_JWT_ALG?)";
    return tok;
}
