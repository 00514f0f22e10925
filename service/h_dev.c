/*
 * h_dev.c — POST /api/v1/dev/login: the demo login that stands in for DigiD
 * on the development portal. It exists only when MZ_DEV_MODE=1 (the route
 * is flagged MZ_R_DEV: 404 otherwise) and signs a short-lived token (15
 * minutes) with the development key (MZ_JWT_PRIVATE_KEY_FILE).
 * Body: {"bsn": "<demo citizen>"} or {"role": "professional" | "admin"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "bsn.h"
#include "config.h"
#include "crypto.h"
#include "handlers.h"
#include "json.h"

#define DEV_TTL 900

void mz_h_dev_login(mz_req *r)
{
    char perr[128];
    mz_json_limits lim = {.max_depth = 2, .max_nodes = 16, .max_string = 64};
    mz_json_doc *d =
        r->body_len ? mz_json_parse(r->body, r->body_len, &lim, perr, sizeof perr) : NULL;
    const mz_json *root = d ? mz_json_root(d) : NULL;
    size_t n = 0;
    const char *bsn = mz_json_string(mz_json_get(root, "bsn"), &n);
    const char *role = mz_json_string(mz_json_get(root, "role"), NULL);
    bool ok = root && root->type == MZ_JSON_OBJECT && (!bsn != !role) &&
              (!bsn || mz_bsn_valid(bsn, n)) &&
              (!role || strcmp(role, "professional") == 0 || strcmp(role, "admin") == 0);
    if (!ok) {
        mz_json_free(d);
        mz_reply_problem(r, 400, "bad-request", "Invalid request body",
                         "give either bsn (a valid BSN) or role (professional or admin)");
        return;
    }
    size_t klen;
    char *key = g_mz_config.jwt_private_key_file
                    ? mz_read_file(g_mz_config.jwt_private_key_file, &klen, 64 * 1024)
                    : NULL;
    if (!key) {
        mz_json_free(d);
        mz_reply_unavailable(r, "the development key is not available (MZ_JWT_PRIVATE_KEY_FILE)");
        return;
    }
    char sub[48], rnd[17];
    mz_random_id(rnd, 16);
    snprintf(sub, sizeof sub, "%s-%s", bsn ? "demo-burger" : role, rnd);
    time_t now = time(NULL);
    mz_buf c = MZ_BUF_INIT;
    mz_buf_puts(&c, "{\"iss\":");
    mz_json_cstr(&c, g_mz_config.jwt_issuer);
    mz_buf_puts(&c, ",\"aud\":");
    mz_json_cstr(&c, g_mz_config.jwt_audience);
    mz_buf_puts(&c, ",\"sub\":");
    mz_json_cstr(&c, sub);
    mz_buf_printf(&c, ",\"iat\":%lld,\"exp\":%lld", (long long)now, (long long)now + DEV_TTL);
    if (bsn) {
        mz_buf_puts(&c, ",\"bsn\":");
        mz_json_cstr(&c, bsn);
    } else {
        mz_buf_puts(&c, ",\"roles\":[");
        mz_json_cstr(&c, role);
        mz_buf_puts(&c, "],\"org\":\"Gemeente Voorbeeld (KCC, demo)\"");
    }
    mz_buf_putc(&c, '}');
    mz_json_free(d);
    char *tok = mz_auth_sign(g_mz_config.jwt_alg, key, klen, c.data);
    mz_buf_free(&c);
    free(key);
    if (!tok) {
        mz_reply_unavailable(r, "the development key cannot sign tokens");
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"token\":");
    mz_json_cstr(&b, tok);
    mz_buf_printf(&b, ",\"expiresIn\":%d}", DEV_TTL);
    free(tok);
    mz_reply_json(r, 200, &b);
}
