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

#include "auth.h"
#include "bsn.h"
#include "config.h"
#include "devtoken.h"
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
        mz_reply_problem(r, MZ_P_BAD_REQUEST,
                         "give either bsn (a valid BSN) or role (professional or admin)");
        return;
    }
    const char *why = NULL;
    char *tok = mz_dev_token(bsn, role, NULL, role ? "Gemeente Voorbeeld (KCC, demo)" : NULL,
                             DEV_TTL, &why);
    mz_json_free(d);
    if (!tok) {
        mz_reply_unavailable(r, why);
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"token\":");
    mz_json_cstr(&b, tok);
    mz_buf_printf(&b, ",\"expiresIn\":%d}", DEV_TTL);
    free(tok);
    mz_reply_json(r, 200, &b);
}
