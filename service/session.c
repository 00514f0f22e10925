/*
 * session.c — sessions, sign-in requests and their sealing (see session.h).
 */
#include "session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "subject.h"

#define GCM_NONCE 12
#define GCM_TAG   16

static bool loopback_http(const char *url)
{
    static const char *const dev[] = {"http://localhost", "http://127.0.0.1", NULL};
    for (const char *const *d = dev; url && *d; d++) {
        size_t n = strlen(*d);
        if (strncmp(url, *d, n) == 0 && (url[n] == '\0' || url[n] == ':' || url[n] == '/'))
            return true;
    }
    return false;
}

bool mz_session_dev_cookies(void)
{
    return loopback_http(g_mz_config.public_url);
}

const char *mz_session_cookie_name(void)
{
    return mz_session_dev_cookies() ? "mz_session" : "__Host-mz_session";
}

const char *mz_session_flow_cookie_name(void)
{
    return mz_session_dev_cookies() ? MZ_SESSION_FLOW_NAME_DEV : MZ_SESSION_FLOW_NAME_SECURE;
}

char *mz_session_set_cookie(const char *name, const char *value, long max_age)
{
    mz_buf b = MZ_BUF_INIT;
    mz_buf_printf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%ld%s", name, value,
                  max_age > 0 ? max_age : 0, mz_session_dev_cookies() ? "" : "; Secure");
    return mz_buf_steal(&b, NULL);
}

bool mz_session_id_parse(const char *value, unsigned char id[MZ_SESSION_ID_BYTES])
{
    if (!value || strlen(value) != MZ_SESSION_ID_CHARS)
        return false;
    return mz_b64url_decode(value, MZ_SESSION_ID_CHARS, id, MZ_SESSION_ID_BYTES) ==
           MZ_SESSION_ID_BYTES;
}

static void hash_hex(const void *data, size_t n, char out[65])
{
    mz_sha256_hex(data, n, out);
}

/* --- sealing */

static bool derive(const unsigned char id[MZ_SESSION_ID_BYTES], const char *purpose,
                   unsigned char key[32])
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t klen = 32;
    static const unsigned char salt[] = "mijnzaken session v1";
    bool ok =
        c && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_CTX_set_hkdf_md(c, EVP_sha256()) > 0 &&
        EVP_PKEY_CTX_set1_hkdf_salt(c, salt, (int)sizeof salt - 1) > 0 &&
        EVP_PKEY_CTX_set1_hkdf_key(c, id, MZ_SESSION_ID_BYTES) > 0 &&
        EVP_PKEY_CTX_add1_hkdf_info(c, (const unsigned char *)purpose, (int)strlen(purpose)) > 0 &&
        EVP_PKEY_derive(c, key, &klen) > 0 && klen == 32;
    EVP_PKEY_CTX_free(c);
    return ok;
}

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

char *mz_session_seal(const unsigned char id[MZ_SESSION_ID_BYTES], const char *purpose,
                      const void *data, size_t len)
{
    if (len > 64 * 1024)
        return NULL;
    unsigned char key[32];
    if (!derive(id, purpose, key))
        return NULL;
    size_t total = GCM_NONCE + len + GCM_TAG;
    unsigned char *buf = mz_xmalloc(total);
    mz_random_bytes(buf, GCM_NONCE);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, f = 0;
    bool ok =
        c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
        EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)purpose, (int)strlen(purpose)) == 1 &&
        EVP_EncryptUpdate(c, buf + GCM_NONCE, &n, data, (int)len) == 1 &&
        EVP_EncryptFinal_ex(c, buf + GCM_NONCE + n, &f) == 1 && (size_t)(n + f) == len &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, buf + GCM_NONCE + len) == 1;
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof key);
    char *hex = NULL;
    if (ok) {
        hex = mz_xmalloc(2 * total + 1);
        to_hex(buf, total, hex);
    }
    free(buf);
    return hex;
}

bool mz_session_open(const unsigned char id[MZ_SESSION_ID_BYTES], const char *purpose,
                     const char *hex, char **out, size_t *outlen)
{
    *out = NULL;
    size_t hl = hex ? strlen(hex) : 0;
    if (hl % 2 || hl / 2 < GCM_NONCE + GCM_TAG || hl > 2 * (64 * 1024 + 64))
        return false;
    size_t total = hl / 2, len = total - GCM_NONCE - GCM_TAG;
    unsigned char *buf = mz_xmalloc(total);
    for (size_t i = 0; i < total; i++) {
        int hi = mz_hexval(hex[2 * i]), lo = mz_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(buf);
            return false;
        }
        buf[i] = (unsigned char)(hi << 4 | lo);
    }
    unsigned char key[32];
    char *pt = mz_xmalloc(len + 1);
    int n = 0, f = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    bool ok =
        derive(id, purpose, key) && c &&
        EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1 &&
        EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)purpose, (int)strlen(purpose)) == 1 &&
        EVP_DecryptUpdate(c, (unsigned char *)pt, &n, buf + GCM_NONCE, (int)len) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, buf + GCM_NONCE + len) == 1 &&
        EVP_DecryptFinal_ex(c, (unsigned char *)pt + n, &f) == 1;
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof key);
    free(buf);
    if (!ok) {
        OPENSSL_cleanse(pt, len + 1);
        free(pt);
        return false;
    }
    pt[len] = '\0';
    *out = pt;
    if (outlen)
        *outlen = len;
    return true;
}

/* --- sessions */

static mz_oidc_kind kind_of(const char *s)
{
    return strcmp(s, "professional") == 0 ? MZ_OIDC_PROFESSIONAL : MZ_OIDC_CITIZEN;
}

/* How stale last_seen_at may get before a request writes it: a minute, or
 * less for very short idle timeouts (tests), so renewal still works. */
static long touch_interval(void)
{
    long t = g_mz_config.session_idle_seconds / 15;
    return t < 60 ? t : 60;
}

int mz_session_load(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES], mz_session_info *info,
                    mz_principal *p)
{
    memset(info, 0, sizeof *info);
    memset(p, 0, sizeof *p);
    if (!db)
        return -1;
    char h[65];
    hash_hex(id, MZ_SESSION_ID_BYTES, h);
    const char *v[1] = {h};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SESSION_GET, v);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        mz_db_log_failure("session look-up failed", MZ_STMT_SESSION_GET, r);
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 0;
    }
    info->kind = kind_of(PQgetvalue(r, 0, MZ_COL_SESSION_GET_KIND));
    info->acting_for = PQgetvalue(r, 0, MZ_COL_SESSION_GET_ACTING_FOR)[0] == 't';
    snprintf(info->acr, sizeof info->acr, "%s", PQgetvalue(r, 0, MZ_COL_SESSION_GET_ACR));
    info->idle_expires = strtoll(PQgetvalue(r, 0, MZ_COL_SESSION_GET_IDLE_EXPIRES), NULL, 10);
    info->expires = strtoll(PQgetvalue(r, 0, MZ_COL_SESSION_GET_EXPIRES), NULL, 10);
    long age = strtol(PQgetvalue(r, 0, MZ_COL_SESSION_GET_SEEN_AGE_S), NULL, 10);
    bool ok = true;
    if (info->kind == MZ_OIDC_CITIZEN) {
        /* The sealed subject: a BSN (9 digits) or, for a 'kvk' session
         * (012), a KVK number (8); the purpose stays "bsn" so sessions from
         * before 012 still open. */
        bool kvk = strcmp(PQgetvalue(r, 0, MZ_COL_SESSION_GET_SUBJECT_KIND), "kvk") == 0;
        char *bsn = NULL;
        size_t n = 0;
        /* Several authorisations (017): the index chosen, if any; none
         * chosen yet = no subject (subject_enc NULL): a valid session
         * whose citizen routes answer 403 until a choice (http.c). */
        info->n_choices =
            (unsigned)strtoul(PQgetvalue(r, 0, MZ_COL_SESSION_GET_REPRESENTS_COUNT), NULL, 10);
        info->choice = PQgetisnull(r, 0, MZ_COL_SESSION_GET_REPRESENTS_CHOICE)
                           ? -1
                           : atoi(PQgetvalue(r, 0, MZ_COL_SESSION_GET_REPRESENTS_CHOICE));
        bool none = info->n_choices > 0 && info->choice < 0 &&
                    PQgetisnull(r, 0, MZ_COL_SESSION_GET_SUBJECT_ENC_HEX);
        ok = none ||
             (mz_session_open(id, "bsn", PQgetvalue(r, 0, MZ_COL_SESSION_GET_SUBJECT_ENC_HEX), &bsn,
                              &n) &&
              n == (kvk ? 8u : 9u));
        if (none) {
            /* no subject yet */
        } else if (ok && kvk) {
            memcpy(p->kvk, bsn, 9);
            p->has_kvk = true;
        } else if (ok) {
            memcpy(p->bsn, bsn, 10);
            p->has_bsn = true;
        }
        if (bsn) {
            OPENSSL_cleanse(bsn, n);
            free(bsn);
        }
        const char *ak = PQgetvalue(r, 0, MZ_COL_SESSION_GET_ACTOR_KEY_HEX);
        if (ok && strlen(ak) == 2 * MZ_PSEUDONYM_LEN) {
            for (size_t i = 0; i < MZ_PSEUDONYM_LEN; i++)
                p->actor_key[i] =
                    (unsigned char)(mz_hexval(ak[2 * i]) << 4 | mz_hexval(ak[2 * i + 1]));
            p->has_actor = true;
        }
        /* The agencies an authorisation covers, as stored ("a,b"). */
        const char *sc = PQgetvalue(r, 0, MZ_COL_SESSION_GET_SCOPE_AGENCIES);
        if (ok && p->has_actor && !PQgetisnull(r, 0, MZ_COL_SESSION_GET_SCOPE_AGENCIES)) {
            p->has_scope = true;
            while (*sc && p->n_scope < MZ_AUTH_MAX_SCOPE) {
                size_t l = strcspn(sc, ",");
                if (l > 0 && l < sizeof p->scope[0])
                    snprintf(p->scope[p->n_scope++], sizeof p->scope[0], "%.*s", (int)l, sc);
                sc += l + (sc[l] == ',');
            }
        }
        snprintf(p->sub, sizeof p->sub, "session");
    } else {
        p->roles = (unsigned)strtoul(PQgetvalue(r, 0, MZ_COL_SESSION_GET_ROLES), NULL, 10);
        snprintf(p->org, sizeof p->org, "%s", PQgetvalue(r, 0, MZ_COL_SESSION_GET_ORGANISATION));
        snprintf(p->sub, sizeof p->sub, "%s", PQgetvalue(r, 0, MZ_COL_SESSION_GET_ACTOR));
    }
    PQclear(r);
    if (!ok) { /* a row whose sealed BSN does not open with this id: not this session's */
        memset(p, 0, sizeof *p);
        return 0;
    }
    if (age >= touch_interval()) {
        char idle[24];
        snprintf(idle, sizeof idle, "%ld", g_mz_config.session_idle_seconds);
        const char *tv[2] = {h, idle};
        PGresult *t = MZ_DB_EXEC(db, MZ_STMT_SESSION_TOUCH, tv);
        if (t && PQresultStatus(t) == PGRES_TUPLES_OK && PQntuples(t) == 1)
            info->idle_expires =
                strtoll(PQgetvalue(t, 0, MZ_COL_SESSION_TOUCH_IDLE_EXPIRES), NULL, 10);
        else
            mz_db_log_failure("session renewal failed", MZ_STMT_SESSION_TOUCH, t);
        PQclear(t);
    }
    memcpy(info->id, id, MZ_SESSION_ID_BYTES);
    info->active = true;
    p->exp = info->idle_expires < info->expires ? info->idle_expires : info->expires;
    return 1;
}

/* The subject a session shows, sealed: the pseudonym as hex into
 * pseud_hex, the number sealed under the purpose "bsn" (malloc'd; NULL
 * when the number is not valid). */
static char *seal_subject(const unsigned char id[MZ_SESSION_ID_BYTES], bool kvk, const char *number,
                          char pseud_hex[2 * MZ_PSEUDONYM_LEN + 1])
{
    mz_subject who;
    char err[128];
    bool valid = kvk ? mz_subject_set(&who, "kvk", 3, number, strlen(number), NULL, 0, "kvk", err,
                                      sizeof err)
                     : mz_subject_bsn(&who, number, strlen(number));
    char *enc = NULL;
    if (valid) {
        unsigned char ps[MZ_PSEUDONYM_LEN];
        mz_pseudonym_subject(&who, ps);
        to_hex(ps, sizeof ps, pseud_hex);
        enc = mz_session_seal(id, "bsn", who.id, strlen(who.id));
    }
    mz_subject_wipe(&who);
    return enc;
}

/* "a,b" → the Postgres text[] literal "{a,b}" (agency ids need no
 * quoting: a-z, 0-9, '-'). */
static void scope_literal(const char *scope, char *out, size_t n)
{
    snprintf(out, n, "{%s}", scope);
}

/* The sealed list of authorisations: one line "b|k:<number>:<a,b>" each. */
static char *seal_represents(const unsigned char id[MZ_SESSION_ID_BYTES],
                             const mz_oidc_principal *pr)
{
    mz_buf b = MZ_BUF_INIT;
    for (unsigned i = 0; i < pr->n_represents; i++) {
        const mz_oidc_represented *e = &pr->represents[i];
        mz_buf_printf(&b, "%c:%s:%s\n", e->kvk ? 'k' : 'b', e->id, e->has_scope ? e->scope : "");
    }
    size_t n = 0;
    char *text = mz_buf_steal(&b, &n);
    char *enc = text ? mz_session_seal(id, "represents", text, n) : NULL;
    if (text) {
        OPENSSL_cleanse(text, n);
        free(text);
    }
    return enc;
}

bool mz_session_create(mz_db *db, const mz_oidc_principal *pr, const char *id_token,
                       char cookie[MZ_SESSION_ID_CHARS + 1])
{
    if (!db || (pr->kind == MZ_OIDC_CITIZEN && !pr->has_bsn && !pr->has_kvk))
        return false;
    unsigned char id[MZ_SESSION_ID_BYTES];
    mz_random_bytes(id, sizeof id);
    char h[65], subh[65], pseud_hex[2 * MZ_PSEUDONYM_LEN + 1] = "";
    hash_hex(id, sizeof id, h);
    hash_hex(pr->sub, strlen(pr->sub), subh);
    char *bsn_enc = NULL, *rep_enc = NULL, actor_hex[2 * MZ_PSEUDONYM_LEN + 1] = "";
    char scope[MZ_OIDC_SCOPE_TEXT + 3] = "", count[16] = "0", choice[16] = "";
    bool kvk = false, subject_ok = true;
    if (pr->kind == MZ_OIDC_CITIZEN) {
        /* The subject: a person (BSN) or, signed in for a business, the
         * KVK number (sealed alike, under the purpose "bsn"). With several
         * authorisations (`represents`): the only one, or none until the
         * representative chooses (PUT /api/v1/session/representation). */
        const char *number = pr->has_bsn ? pr->bsn : pr->kvk;
        const char *sc = pr->has_scope ? pr->scope : NULL;
        kvk = !pr->has_bsn;
        if (pr->n_represents > 0) {
            rep_enc = seal_represents(id, pr);
            subject_ok = rep_enc != NULL;
            snprintf(count, sizeof count, "%u", pr->n_represents);
            number = NULL;
            if (pr->n_represents == 1) {
                number = pr->represents[0].id;
                kvk = pr->represents[0].kvk;
                sc = pr->represents[0].has_scope ? pr->represents[0].scope : NULL;
                snprintf(choice, sizeof choice, "0");
            }
        }
        if (number) {
            bsn_enc = seal_subject(id, kvk, number, pseud_hex);
            subject_ok = subject_ok && bsn_enc;
        }
        if (sc && number)
            scope_literal(sc, scope, sizeof scope);
        if (pr->has_actor) {
            unsigned char ak[MZ_PSEUDONYM_LEN];
            mz_pseudonym(pr->actor_bsn, 9, ak);
            to_hex(ak, sizeof ak, actor_hex);
        }
    }
    char *tok_enc =
        id_token ? mz_session_seal(id, "id_token_hint", id_token, strlen(id_token)) : NULL;
    char roles[16], idle[24], max[24];
    snprintf(roles, sizeof roles, "%u", pr->kind == MZ_OIDC_PROFESSIONAL ? pr->roles : 0u);
    snprintf(idle, sizeof idle, "%ld", g_mz_config.session_idle_seconds);
    snprintf(max, sizeof max, "%ld", g_mz_config.session_max_seconds);
    bool staff = pr->kind == MZ_OIDC_PROFESSIONAL;
    char actor[129];
    snprintf(actor, sizeof actor, "%.128s", pr->sub); /* mz_principal.sub holds 128 */
    const char *v[20] = {h,
                         mz_oidc_kind_name(pr->kind),
                         staff || !pseud_hex[0] ? NULL : pseud_hex,
                         bsn_enc,
                         !staff && pr->has_actor ? "true" : "false",
                         roles,
                         staff ? pr->org : NULL,
                         staff ? actor : NULL,
                         pr->acr,
                         pr->sid[0] ? pr->sid : NULL,
                         subh,
                         tok_enc,
                         idle,
                         max,
                         !staff && kvk ? "kvk" : "bsn",
                         actor_hex[0] ? actor_hex : NULL,
                         scope[0] ? scope : NULL,
                         rep_enc,
                         count,
                         choice[0] ? choice : NULL};
    bool ok = staff || subject_ok;
    PGresult *r = ok ? MZ_DB_EXEC(db, MZ_STMT_SESSION_INSERT, v) : NULL;
    ok = ok && r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        mz_db_log_failure("session insert failed", MZ_STMT_SESSION_INSERT, r);
    PQclear(r);
    free(bsn_enc);
    free(rep_enc);
    free(tok_enc);
    if (ok)
        mz_b64url_encode(id, sizeof id, cookie);
    OPENSSL_cleanse(id, sizeof id);
    return ok;
}

int mz_session_choices(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES],
                       mz_oidc_represented *out, unsigned *n)
{
    *n = 0;
    if (!db)
        return -1;
    char h[65];
    hash_hex(id, MZ_SESSION_ID_BYTES, h);
    const char *v[1] = {h};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SESSION_REPRESENTS, v);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        mz_db_log_failure("session authorisations look-up failed", MZ_STMT_SESSION_REPRESENTS, r);
        PQclear(r);
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    bool ok = PQntuples(r) == 1 &&
              !PQgetisnull(r, 0, MZ_COL_SESSION_REPRESENTS_REPRESENTS_ENC_HEX) &&
              mz_session_open(id, "represents",
                              PQgetvalue(r, 0, MZ_COL_SESSION_REPRESENTS_REPRESENTS_ENC_HEX), &text,
                              &len);
    PQclear(r);
    /* Lines as seal_represents wrote them; anything else: none. */
    for (const char *p = text; ok && p && *p && *n < MZ_OIDC_MAX_REPRESENTS;) {
        mz_oidc_represented *e = &out[*n];
        memset(e, 0, sizeof *e);
        size_t l = strcspn(p, "\n");
        const char *c1 = memchr(p, ':', l);
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(p + l - c1 - 1)) : NULL;
        size_t idl = c2 ? (size_t)(c2 - c1 - 1) : 0, scl = c2 ? (size_t)(p + l - c2 - 1) : 0;
        if (!c2 || c1 != p + 1 || (p[0] != 'b' && p[0] != 'k') || idl == 0 || idl >= sizeof e->id ||
            scl >= sizeof e->scope) {
            ok = false;
            break;
        }
        e->kvk = p[0] == 'k';
        memcpy(e->id, c1 + 1, idl);
        memcpy(e->scope, c2 + 1, scl);
        e->has_scope = scl > 0;
        (*n)++;
        p += l + (p[l] == '\n');
    }
    if (text) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    if (!ok) {
        OPENSSL_cleanse(out, sizeof *out * MZ_OIDC_MAX_REPRESENTS);
        *n = 0;
    }
    return ok && *n > 0;
}

int mz_session_choose(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES], unsigned choice)
{
    mz_oidc_represented *list = mz_xcalloc(MZ_OIDC_MAX_REPRESENTS, sizeof *list);
    unsigned n = 0;
    int found = mz_session_choices(db, id, list, &n);
    int rc = found < 0 ? -1 : 0;
    if (found > 0 && choice < n) {
        const mz_oidc_represented *e = &list[choice];
        char h[65], pseud_hex[2 * MZ_PSEUDONYM_LEN + 1] = "", idx[16];
        char scope[MZ_OIDC_SCOPE_TEXT + 3] = "";
        hash_hex(id, MZ_SESSION_ID_BYTES, h);
        char *enc = seal_subject(id, e->kvk, e->id, pseud_hex);
        if (e->has_scope)
            scope_literal(e->scope, scope, sizeof scope);
        snprintf(idx, sizeof idx, "%u", choice);
        const char *v[6] = {h,  pseud_hex, enc, e->kvk ? "kvk" : "bsn", scope[0] ? scope : NULL,
                            idx};
        PGresult *r = enc ? MZ_DB_EXEC(db, MZ_STMT_SESSION_CHOOSE, v) : NULL;
        if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
            rc = PQntuples(r) == 1;
        else
            mz_db_log_failure("session choice not stored", MZ_STMT_SESSION_CHOOSE, r);
        PQclear(r);
        free(enc);
    }
    OPENSSL_cleanse(list, sizeof *list * MZ_OIDC_MAX_REPRESENTS);
    free(list);
    return rc;
}

int mz_session_end(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES], mz_oidc_kind *kind,
                   char **id_token)
{
    if (id_token)
        *id_token = NULL;
    if (!db)
        return -1;
    char h[65];
    hash_hex(id, MZ_SESSION_ID_BYTES, h);
    const char *v[1] = {h};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SESSION_END, v);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        mz_db_log_failure("session end failed", MZ_STMT_SESSION_END, r);
        PQclear(r);
        return -1;
    }
    int found = PQntuples(r) > 0;
    if (found) {
        if (kind)
            *kind = kind_of(PQgetvalue(r, 0, MZ_COL_SESSION_END_KIND));
        if (id_token && !PQgetisnull(r, 0, MZ_COL_SESSION_END_ID_TOKEN_ENC_HEX))
            mz_session_open(id, "id_token_hint",
                            PQgetvalue(r, 0, MZ_COL_SESSION_END_ID_TOKEN_ENC_HEX), id_token, NULL);
    }
    PQclear(r);
    return found;
}

long mz_session_end_op(mz_db *db, mz_oidc_kind kind, const char *sid, const char *sub)
{
    if (!db)
        return -1;
    char subh[65];
    if (sub && *sub)
        hash_hex(sub, strlen(sub), subh);
    const char *v[3] = {mz_oidc_kind_name(kind), sid && *sid ? sid : NULL,
                        sub && *sub ? subh : NULL};
    if (!v[1] && !v[2])
        return 0;
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SESSION_END_OP, v);
    long n = -1;
    if (r && PQresultStatus(r) == PGRES_COMMAND_OK)
        n = strtol(PQcmdTuples(r), NULL, 10);
    else
        mz_db_log_failure("back-channel logout failed", MZ_STMT_SESSION_END_OP, r);
    PQclear(r);
    return n;
}

/* --- sign-in requests */

bool mz_session_flow_put(mz_db *db, mz_oidc_kind kind, const char *state, const char *nonce,
                         const char *verifier, const char *return_to)
{
    if (!db)
        return false;
    char h[65], ttl[16];
    hash_hex(state, strlen(state), h);
    snprintf(ttl, sizeof ttl, "%d", MZ_SIGNIN_FLOW_TTL);
    const char *v[6] = {h, mz_oidc_kind_name(kind), nonce, verifier, return_to, ttl};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_OIDC_FLOW_INSERT, v);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        mz_db_log_failure("sign-in request not stored", MZ_STMT_OIDC_FLOW_INSERT, r);
    PQclear(r);
    return ok;
}

int mz_session_flow_take(mz_db *db, const char *state, mz_session_flow *out)
{
    memset(out, 0, sizeof *out);
    if (!db)
        return -1;
    char h[65];
    hash_hex(state, strlen(state), h);
    const char *v[1] = {h};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_OIDC_FLOW_TAKE, v);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        mz_db_log_failure("sign-in request look-up failed", MZ_STMT_OIDC_FLOW_TAKE, r);
        PQclear(r);
        return -1;
    }
    int found = PQntuples(r) == 1;
    if (found) {
        out->kind = kind_of(PQgetvalue(r, 0, MZ_COL_OIDC_FLOW_TAKE_KIND));
        out->live = PQgetvalue(r, 0, MZ_COL_OIDC_FLOW_TAKE_LIVE)[0] == 't';
        snprintf(out->nonce, sizeof out->nonce, "%s",
                 PQgetvalue(r, 0, MZ_COL_OIDC_FLOW_TAKE_NONCE));
        snprintf(out->verifier, sizeof out->verifier, "%s",
                 PQgetvalue(r, 0, MZ_COL_OIDC_FLOW_TAKE_CODE_VERIFIER));
        snprintf(out->return_to, sizeof out->return_to, "%s",
                 PQgetvalue(r, 0, MZ_COL_OIDC_FLOW_TAKE_RETURN_TO));
    }
    PQclear(r);
    return found;
}

void mz_session_purge_sometimes(mz_db *db)
{
    static atomic_llong last;
    long long now = (long long)time(NULL), prev = atomic_load(&last);
    if (!db || now - prev < 300 || !atomic_compare_exchange_strong(&last, &prev, now))
        return;
    const char *v[1] = {"0"};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_PURGE_SESSIONS, v);
    PQclear(r);
    r = MZ_DB_EXEC(db, MZ_STMT_PURGE_OIDC_FLOWS, v);
    PQclear(r);
}
