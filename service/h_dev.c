/*
 * h_dev.c — POST /api/v1/dev/login: the demo login that stands in for DigiD
 * on the development portal. It exists only when MZ_DEV_MODE=1 (the route
 * is flagged MZ_R_DEV: 404 otherwise) and needs MZ_PUBLIC_URL (the cookie's
 * name and the Origin check depend on it; 503 without).
 *
 * It makes a server-side session exactly as an OpenID Connect sign-in does
 * (session.c: the same table, cookie, idle and absolute expiry), so that
 * the portal never sees a token; API clients get a token from
 * `mijnzaken dev-token` (scripts/dev-token.sh) instead. acr is "dev", so a
 * development session is recognisable in GET /api/v1/session.
 * Body: {"bsn": "<demo citizen>"} or {"role": "professional" | "admin"}.
 * Answer: 200 {"kind": "citizen" | "professional"} with Set-Cookie.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "bsn.h"
#include "config.h"
#include "db.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "session.h"
#include "signin.h"

#define DEV_ORG "Gemeente Voorbeeld (KCC, demo)"

void mz_h_dev_login(mz_req *r)
{
    if (!mz_signin_sessions()) {
        mz_reply_unavailable(r, "the development login makes a session cookie: set MZ_PUBLIC_URL "
                                "to the portal's origin");
        return;
    }
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
    mz_oidc_principal pr;
    memset(&pr, 0, sizeof pr);
    snprintf(pr.acr, sizeof pr.acr, "dev");
    pr.iat = (int64_t)time(NULL);
    if (bsn) {
        pr.kind = MZ_OIDC_CITIZEN;
        pr.has_bsn = true;
        memcpy(pr.bsn, bsn, 9);
        snprintf(pr.sub, sizeof pr.sub, "dev-citizen");
    } else {
        pr.kind = MZ_OIDC_PROFESSIONAL;
        pr.roles = strcmp(role, "admin") == 0 ? MZ_ROLE_ADMIN : MZ_ROLE_PROFESSIONAL;
        snprintf(pr.org, sizeof pr.org, "%s", DEV_ORG);
        snprintf(pr.sub, sizeof pr.sub, "dev-%s", role);
    }
    mz_json_free(d);
    mz_db *db = mz_db_thread();
    /* Rotation as at sign-in: the session the browser came with ends. */
    const char *old = mz_req_session_cookie(r);
    unsigned char oid[MZ_SESSION_ID_BYTES];
    if (old && mz_session_id_parse(old, oid))
        mz_session_end(db, oid, NULL, NULL);
    OPENSSL_cleanse(oid, sizeof oid);
    char cookie[MZ_SESSION_ID_CHARS + 1];
    bool made = mz_session_create(db, &pr, NULL, cookie);
    OPENSSL_cleanse(&pr, sizeof pr);
    if (!made) {
        mz_reply_unavailable(r, "the session store is unavailable; try again");
        return;
    }
    mz_log_msg_str(MZ_LOG_INFO, "development sign-in", "kind", bsn ? "citizen" : "professional");
    mz_buf b = MZ_BUF_INIT;
    mz_buf_printf(&b, "{\"kind\":\"%s\"}", bsn ? "citizen" : "professional");
    mz_reply_json(r, 200, &b);
    char *c =
        mz_session_set_cookie(mz_session_cookie_name(), cookie, g_mz_config.session_max_seconds);
    mz_reply_header(r, "Set-Cookie", c);
    free(c);
    OPENSSL_cleanse(cookie, sizeof cookie);
}
