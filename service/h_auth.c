/*
 * h_auth.c — sign-in routes (issue 13): /auth/{kind}/login, its callback,
 * /auth/logout, /auth/{kind}/backchannel-logout, /api/v1/session, and (issue
 * 14) PUT /api/v1/session/representation: a representative with several
 * authorisations chooses whose cases the session shows.
 *
 * The browser-facing routes answer with redirects, never with a page: a
 * failed sign-in ends with no session and a 303 to the portal's page
 * /inloggen/mislukt?reden=<slug>&soort=<kind> (slugs: signin.h, fixed
 * strings, never data). Nothing here logs a code, a token, a state, a nonce, a cookie or
 * a BSN: log lines carry the kind and the outcome slug.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "handlers.h"
#include "log.h"
#include "oidc.h"
#include "session.h"
#include "signin.h"

#define FAILURE_PAGE "/inloggen/mislukt?reden="

static void redirect(mz_req *r, unsigned status, const char *location)
{
    mz_reply_static(r, status, "text/plain; charset=utf-8", "", 0);
    mz_reply_header(r, "Location", location);
}

static void log_outcome(mz_oidc_kind kind, mz_signin_outcome o, const char *reason)
{
    mz_logline l;
    mz_log_begin(&l, o == MZ_SIGNIN_OK ? MZ_LOG_INFO : MZ_LOG_WARN,
                 o == MZ_SIGNIN_OK ? "sign-in" : "sign-in failed");
    mz_log_str(&l, "kind", mz_oidc_kind_name(kind));
    mz_log_str(&l, "outcome", mz_signin_outcome_slug(o));
    if (reason) /* oidc.c's reasons are static and hold no claim value */
        mz_log_str(&l, "reason", reason);
    mz_log_end(&l);
}

/* Ends a sign-in attempt without a session: the flow cookie goes, the
 * browser goes to the portal's failure page. */
static void fail(mz_req *r, mz_oidc_kind kind, mz_signin_outcome o, const char *reason)
{
    mz_signin_count(kind, o);
    log_outcome(kind, o, reason);
    char loc[128]; /* soort: the portal words the page for citizens or staff */
    snprintf(loc, sizeof loc, FAILURE_PAGE "%s&soort=%s", mz_signin_outcome_slug(o),
             mz_oidc_kind_name(kind));
    redirect(r, 303, loc);
    char *c = mz_session_set_cookie(mz_session_flow_cookie_name(), "", 0);
    mz_reply_header(r, "Set-Cookie", c);
    free(c);
}

/* returnTo: a path on our own origin, else "/". Refused: anything not
 * starting with one '/', "//" and "/\" (other hosts to a browser), control
 * bytes, backslashes, and anything over 512 bytes. */
static const char *safe_return_to(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n == 0 || n > 512 || v[0] != '/' || v[1] == '/' || v[1] == '\\')
        return "/";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] == 0x7f || v[i] == '\\')
            return "/";
    return v;
}

/* The {kind} of the path, answering 404 when it is none we serve. */
static bool route_kind(mz_req *r, mz_oidc_kind *kind)
{
    if (!mz_signin_kind_parse(mz_req_param(r, "kind"), kind)) {
        mz_reply_problem(r, MZ_P_NOT_FOUND, "no such sign-in kind (citizen or professional)");
        return false;
    }
    if (!mz_signin_enabled(*kind)) {
        mz_reply_problem(r, MZ_P_NOT_FOUND, "this kind of sign-in is not configured");
        return false;
    }
    return true;
}

void mz_h_auth_login(mz_req *r)
{
    mz_oidc_kind kind;
    if (!route_kind(r, &kind))
        return;
    /* middel=eherkenning: the same citizen OP, asked for eHerkenning by
     * one more scope (README, Sign-in); whose cases follow from the ID
     * token's claims (kvk) as for any citizen sign-in. */
    const char *means = mz_req_query(r, "middel");
    const char *extra = NULL;
    if (means && strcmp(means, "digid") != 0) {
        if (strcmp(means, "eherkenning") != 0 || kind != MZ_OIDC_CITIZEN) {
            mz_reply_bad_param(r, "middel", "must be digid or (for citizen) eherkenning");
            return;
        }
        if (!(extra = mz_signin_eherkenning_scope())) {
            mz_reply_problem(r, MZ_P_NOT_FOUND, "eHerkenning sign-in is not configured");
            return;
        }
    }
    const mz_oidc_rp *rp;
    const mz_oidc_provider *op;
    mz_jwks_cache *keys;
    if (!mz_signin_provider(kind, &rp, &op, &keys)) {
        fail(r, kind, MZ_SIGNIN_OP_UNAVAILABLE, "provider metadata unavailable");
        return;
    }
    char state[MZ_OIDC_RANDOM_LEN + 1], nonce[MZ_OIDC_RANDOM_LEN + 1];
    char verifier[MZ_OIDC_RANDOM_LEN + 1], challenge[MZ_OIDC_RANDOM_LEN + 1];
    mz_oidc_random(state);
    mz_oidc_random(nonce);
    mz_oidc_pkce_new(verifier, challenge);
    mz_db *db = mz_db_thread();
    mz_session_purge_sometimes(db);
    char *url = NULL;
    if (!mz_session_flow_put(db, kind, state, nonce, verifier,
                             safe_return_to(mz_req_query(r, "returnTo"))) ||
        !(url = mz_oidc_authorize_url_scope(rp, op, state, nonce, challenge, extra))) {
        fail(r, kind, MZ_SIGNIN_SERVICE_ERROR, "sign-in request not stored");
    } else {
        redirect(r, 302, url);
        /* The state also goes to this browser, so that a callback carrying
         * a state started elsewhere (login CSRF, an injected code) fails. */
        char *c = mz_session_set_cookie(mz_session_flow_cookie_name(), state, MZ_SIGNIN_FLOW_TTL);
        mz_reply_header(r, "Set-Cookie", c);
        free(c);
    }
    free(url);
    OPENSSL_cleanse(verifier, sizeof verifier);
    OPENSSL_cleanse(nonce, sizeof nonce);
}

/* Maps the OP's error parameter (RFC 6749 4.1.2.1). */
static mz_signin_outcome op_error(const char *e)
{
    return strcmp(e, "access_denied") == 0 ? MZ_SIGNIN_CANCELLED : MZ_SIGNIN_OP_ERROR;
}

/* Ends the session the browser came with, if any (rotation at sign-in). */
static void end_presented_session(mz_req *r, mz_db *db)
{
    const char *old = mz_req_session_cookie(r);
    unsigned char id[MZ_SESSION_ID_BYTES];
    if (old && mz_session_id_parse(old, id))
        mz_session_end(db, id, NULL, NULL);
    OPENSSL_cleanse(id, sizeof id);
}

static void callback(mz_req *r, mz_oidc_kind kind, const mz_oidc_rp *rp, const mz_oidc_provider *op,
                     mz_jwks_cache *keys)
{
    const char *state = mz_req_query(r, "state");
    const char *flow_cookie = mz_req_cookie(r, mz_session_flow_cookie_name());
    mz_db *db = mz_db_thread();
    mz_session_flow flow;
    int found = 0;
    if (state && *state && strlen(state) <= 256) {
        /* taken (deleted) whatever follows: a state is good for one try */
        found = mz_session_flow_take(db, state, &flow);
    }
    if (found < 0) {
        fail(r, kind, MZ_SIGNIN_SERVICE_ERROR, "sign-in request look-up failed");
        return;
    }
    if (!found || !flow.live || flow.kind != kind || !flow_cookie ||
        !mz_consttime_eq(flow_cookie, strlen(flow_cookie), state, strlen(state))) {
        fail(r, kind, MZ_SIGNIN_EXPIRED_STATE,
             !found              ? "unknown or used state"
             : !flow.live        ? "sign-in request expired"
             : flow.kind != kind ? "state of another kind"
                                 : "state not started in this browser");
        return;
    }
    const char *err = mz_req_query(r, "error");
    if (err) {
        fail(r, kind, op_error(err), "the OP answered an error");
        return;
    }
    /* RFC 9207: when the OP names itself, it must be our OP (mix-up). */
    const char *iss = mz_req_query(r, "iss");
    if (iss && strcmp(iss, op->issuer) != 0) {
        fail(r, kind, MZ_SIGNIN_INVALID_RESPONSE, "iss parameter is not the issuer");
        return;
    }
    const char *code = mz_req_query(r, "code");
    if (!code || !*code || strlen(code) > 2048) {
        fail(r, kind, MZ_SIGNIN_INVALID_RESPONSE, "no code");
        return;
    }
    mz_oidc_tokens tok;
    mz_signin_outcome o = mz_signin_exchange(kind, code, flow.verifier, &tok);
    if (o != MZ_SIGNIN_OK) {
        fail(r, kind, o, "token request failed");
        return;
    }
    mz_oidc_principal pr;
    memset(&pr, 0, sizeof pr);
    const char *reason = NULL;
    bool ok = mz_oidc_verify_id_token(rp, op, keys, tok.id_token, strlen(tok.id_token), flow.nonce,
                                      (int64_t)time(NULL), &pr, &reason);
    if (!ok) {
        fail(r, kind, mz_signin_outcome_for(reason), reason);
    } else {
        end_presented_session(r, db);
        char cookie[MZ_SESSION_ID_CHARS + 1];
        if (!mz_session_create(db, &pr, tok.id_token, cookie)) {
            fail(r, kind, MZ_SIGNIN_SERVICE_ERROR, "session not stored");
        } else {
            mz_signin_count(kind, MZ_SIGNIN_OK);
            log_outcome(kind, MZ_SIGNIN_OK, NULL);
            redirect(r, 303, flow.return_to);
            long max = g_mz_config.session_max_seconds;
            char *c = mz_session_set_cookie(mz_session_cookie_name(), cookie, max);
            mz_reply_header(r, "Set-Cookie", c);
            free(c);
            c = mz_session_set_cookie(mz_session_flow_cookie_name(), "", 0);
            mz_reply_header(r, "Set-Cookie", c);
            free(c);
            OPENSSL_cleanse(cookie, sizeof cookie);
        }
    }
    OPENSSL_cleanse(&pr, sizeof pr);
    mz_oidc_tokens_clear(&tok);
}

void mz_h_auth_callback(mz_req *r)
{
    mz_oidc_kind kind;
    if (!route_kind(r, &kind))
        return;
    const mz_oidc_rp *rp;
    const mz_oidc_provider *op;
    mz_jwks_cache *keys;
    if (!mz_signin_provider(kind, &rp, &op, &keys)) {
        fail(r, kind, MZ_SIGNIN_OP_UNAVAILABLE, "provider metadata unavailable");
        return;
    }
    callback(r, kind, rp, op, keys);
}

/* Appends name=value (value percent-encoded) to a URL under construction. */
static void url_param(mz_buf *b, char *sep, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    mz_buf_putc(b, *sep);
    *sep = '&';
    mz_buf_puts(b, name);
    mz_buf_putc(b, '=');
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            mz_buf_putc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            mz_buf_append(b, e, 3);
        }
    }
}

void mz_h_auth_logout(mz_req *r)
{
    const char *cookie = mz_req_session_cookie(r);
    unsigned char id[MZ_SESSION_ID_BYTES];
    mz_oidc_kind kind = MZ_OIDC_CITIZEN;
    char *id_token = NULL;
    int ended = 0;
    if (cookie && mz_session_id_parse(cookie, id))
        ended = mz_session_end(mz_db_thread(), id, &kind, &id_token);
    OPENSSL_cleanse(id, sizeof id);
    if (ended < 0) {
        mz_reply_unavailable(r, "the session store is unavailable; try again");
        return;
    }
    const mz_oidc_rp *rp;
    const mz_oidc_provider *op;
    mz_jwks_cache *keys;
    mz_buf loc = MZ_BUF_INIT;
    /* A development-login session has no ID token and no OP session. */
    if (ended && id_token && mz_signin_provider(kind, &rp, &op, &keys) &&
        op->end_session_endpoint) {
        /* RP-initiated logout 1.0: the OP ends its session too */
        char sep = strchr(op->end_session_endpoint, '?') ? '&' : '?';
        char post[320];
        snprintf(post, sizeof post, "%s/", mz_signin_origin());
        mz_buf_puts(&loc, op->end_session_endpoint);
        if (id_token)
            url_param(&loc, &sep, "id_token_hint", id_token);
        url_param(&loc, &sep, "post_logout_redirect_uri", post);
        url_param(&loc, &sep, "client_id", rp->client_id);
    } else {
        mz_buf_puts(&loc, "/");
    }
    if (id_token) {
        OPENSSL_cleanse(id_token, strlen(id_token));
        free(id_token);
    }
    if (ended) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_INFO, "signed out");
        mz_log_str(&l, "kind", mz_oidc_kind_name(kind));
        mz_log_end(&l);
    }
    char *where = mz_buf_steal(&loc, NULL);
    redirect(r, 303, where);
    free(where);
    char *c = mz_session_set_cookie(mz_session_cookie_name(), "", 0);
    mz_reply_header(r, "Set-Cookie", c);
    free(c);
}

/* The value of name in an application/x-www-form-urlencoded body,
 * decoded (malloc'd), or NULL when absent, repeated or badly encoded. */
static char *form_value(const char *body, size_t len, const char *name)
{
    size_t nl = strlen(name);
    char *found = NULL;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end - i > nl && memcmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
            if (found) { /* twice: ambiguous */
                free(found);
                return NULL;
            }
            found = mz_xmalloc(end - i - nl);
            size_t o = 0;
            for (size_t k = i + nl + 1; k < end; k++) {
                char ch = body[k];
                if (ch == '+') {
                    ch = ' ';
                } else if (ch == '%') {
                    int hi = k + 2 < end ? mz_hexval(body[k + 1]) : -1;
                    int lo = k + 2 < end ? mz_hexval(body[k + 2]) : -1;
                    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                        free(found);
                        return NULL;
                    }
                    ch = (char)(hi << 4 | lo);
                    k += 2;
                }
                found[o++] = ch;
            }
            found[o] = '\0';
        }
        i = end + 1;
    }
    return found;
}

void mz_h_auth_backchannel_logout(mz_req *r)
{
    mz_oidc_kind kind;
    if (!route_kind(r, &kind))
        return;
    const char *ct = mz_req_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        mz_reply_problem(r, MZ_P_UNSUPPORTED_MEDIA_TYPE,
                         "the logout token is sent as application/x-www-form-urlencoded");
        return;
    }
    char *token = r->body ? form_value(r->body, r->body_len, "logout_token") : NULL;
    if (!token || !*token) {
        free(token);
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "the form has no (single) logout_token");
        return;
    }
    const mz_oidc_rp *rp;
    const mz_oidc_provider *op;
    mz_jwks_cache *keys;
    if (!mz_signin_provider(kind, &rp, &op, &keys)) {
        free(token);
        mz_reply_unavailable(r, "the OpenID provider's metadata is not available yet");
        return;
    }
    mz_oidc_logout lo;
    const char *reason = NULL;
    bool ok = mz_oidc_verify_logout_token(rp, op, keys, token, strlen(token), (int64_t)time(NULL),
                                          &lo, &reason);
    free(token);
    if (!ok) {
        mz_log_msg_str(MZ_LOG_WARN, "back-channel logout refused", "reason", reason);
        char detail[200];
        snprintf(detail, sizeof detail, "logout token refused: %s", reason);
        mz_reply_problem(r, MZ_P_BAD_REQUEST, detail);
        return;
    }
    long n = mz_session_end_op(mz_db_thread(), kind, lo.sid, lo.sub);
    if (n < 0) {
        mz_reply_unavailable(r, "the session store is unavailable");
        return;
    }
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "back-channel logout");
    mz_log_str(&l, "kind", mz_oidc_kind_name(kind));
    mz_log_int(&l, "sessions", n);
    mz_log_end(&l);
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{}");
    mz_reply_json(r, 200, &b);
}

static void iso_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A number as a choice shows it: its kind and only its last digits
 * ("BSN ••••••653", "KVK ••••0001") — enough to tell authorisations apart,
 * too little to be the number. */
static void masked_label(mz_buf *b, const mz_oidc_represented *e)
{
    size_t n = strlen(e->id), keep = e->kvk ? 4 : 3;
    mz_buf_puts(b, e->kvk ? "\"KVK " : "\"BSN ");
    for (size_t i = keep; i < n; i++)
        mz_buf_puts(b, "\xe2\x80\xa2"); /* U+2022 BULLET */
    mz_buf_printf(b, "%s\"", n > keep ? e->id + n - keep : "");
}

static void json_scope(mz_buf *b, bool has, const char *csv)
{
    if (!has) {
        mz_buf_puts(b, "null");
        return;
    }
    mz_buf_putc(b, '[');
    for (const char *p = csv; *p;) {
        size_t l = strcspn(p, ",");
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(l < 63 ? l : 63), p);
        if (p != csv)
            mz_buf_putc(b, ',');
        mz_json_cstr(b, id);
        p += l + (p[l] == ',');
    }
    mz_buf_putc(b, ']');
}

/* The display names of the agencies in the choices' scopes (one query);
 * NULL when none has a scope or the database failed (the names are then
 * left out: the ids still say it). PQclear the result. */
static PGresult *agency_names(const mz_oidc_represented *list, unsigned n)
{
    mz_buf lit = MZ_BUF_INIT;
    mz_buf_putc(&lit, '{');
    bool any = false;
    for (unsigned i = 0; i < n; i++)
        if (list[i].has_scope) {
            if (any)
                mz_buf_putc(&lit, ',');
            mz_buf_puts(&lit, list[i].scope); /* agency ids: a-z, 0-9, '-' */
            any = true;
        }
    mz_buf_putc(&lit, '}');
    char *text = mz_buf_steal(&lit, NULL);
    const char *v[1] = {text};
    PGresult *r = any ? MZ_DB_EXEC(mz_db_thread(), MZ_STMT_AGENCY_NAMES, v) : NULL;
    free(text);
    if (r && PQresultStatus(r) != PGRES_TUPLES_OK) {
        mz_db_log_failure("agency names look-up failed", MZ_STMT_AGENCY_NAMES, r);
        PQclear(r);
        r = NULL;
    }
    return r;
}

/* Each agency of a scope by its name (its id when unknown). */
static void json_scope_names(mz_buf *b, const char *csv, const PGresult *names)
{
    mz_buf_putc(b, '[');
    for (const char *p = csv; *p;) {
        size_t l = strcspn(p, ",");
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(l < 63 ? l : 63), p);
        const char *name = id;
        for (int i = 0; names && i < PQntuples(names); i++)
            if (strcmp(PQgetvalue(names, i, MZ_COL_AGENCY_NAMES_ID), id) == 0)
                name = PQgetvalue(names, i, MZ_COL_AGENCY_NAMES_NAME);
        if (p != csv)
            mz_buf_putc(b, ',');
        mz_json_cstr(b, name);
        p += l + (p[l] == ',');
    }
    mz_buf_putc(b, ']');
}

/* The choices of a session with several authorisations: index, kind,
 * masked label, agencies (ids and names). false when the database failed. */
static bool write_choices(mz_buf *b, const mz_session_info *s)
{
    mz_oidc_represented *list = mz_xcalloc(MZ_OIDC_MAX_REPRESENTS, sizeof *list);
    unsigned n = 0;
    int found = mz_session_choices(mz_db_thread(), s->id, list, &n);
    PGresult *names = found > 0 ? agency_names(list, n) : NULL;
    mz_buf_puts(b, ",\"choices\":[");
    for (unsigned i = 0; found > 0 && i < n; i++) {
        mz_buf_printf(b, "%s{\"index\":%u,\"kind\":\"%s\",\"label\":", i ? "," : "", i,
                      list[i].kvk ? "kvk" : "bsn");
        masked_label(b, &list[i]);
        mz_buf_puts(b, ",\"agencies\":");
        json_scope(b, list[i].has_scope, list[i].scope);
        mz_buf_puts(b, ",\"agencyNames\":");
        if (list[i].has_scope)
            json_scope_names(b, list[i].scope, names);
        else
            mz_buf_puts(b, "null");
        mz_buf_putc(b, '}');
    }
    mz_buf_putc(b, ']');
    PQclear(names);
    if (s->choice >= 0)
        mz_buf_printf(b, ",\"chosen\":%d", s->choice);
    else
        mz_buf_puts(b, ",\"chosen\":null");
    OPENSSL_cleanse(list, sizeof *list * MZ_OIDC_MAX_REPRESENTS);
    free(list);
    return found >= 0;
}

/* The Session representation of r's session (GET /api/v1/session and the
 * answer to a choice). */
static void reply_session(mz_req *r)
{
    const mz_session_info *s = &r->session;
    const mz_principal *p = &r->principal;
    char idle[32], max[32];
    iso_time(s->idle_expires, idle);
    iso_time(s->expires, max);
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"kind\":");
    mz_json_cstr(&b, mz_oidc_kind_name(s->kind));
    mz_buf_puts(&b, ",\"roles\":[");
    bool first = true;
    if (p->roles & MZ_ROLE_PROFESSIONAL) {
        mz_buf_puts(&b, "\"professional\"");
        first = false;
    }
    if (p->roles & MZ_ROLE_ADMIN)
        mz_buf_puts(&b, first ? "\"admin\"" : ",\"admin\"");
    mz_buf_puts(&b, "],\"organisation\":");
    if (s->kind == MZ_OIDC_PROFESSIONAL && p->org[0])
        mz_json_cstr(&b, p->org);
    else
        mz_buf_puts(&b, "null");
    /* Whose cases this session shows (the kind only: the number stays out
     * of the browser's reach; null while a representative has not chosen)
     * and, when someone acts for them, that it is a representation, its
     * scope and, with several authorisations, the choices (masked). */
    mz_buf_puts(&b, ",\"subjectKind\":");
    if (s->kind == MZ_OIDC_CITIZEN && (p->has_bsn || p->has_kvk))
        mz_json_cstr(&b, p->has_kvk ? "kvk" : "bsn");
    else
        mz_buf_puts(&b, "null");
    mz_buf_printf(&b, ",\"representation\":{\"actingForSomeone\":%s",
                  s->acting_for || p->has_actor ? "true" : "false");
    if (p->has_actor) {
        mz_buf_puts(&b, ",\"agencies\":");
        if (p->has_scope) {
            mz_buf_putc(&b, '[');
            for (unsigned i = 0; i < p->n_scope; i++) {
                if (i)
                    mz_buf_putc(&b, ',');
                mz_json_cstr(&b, p->scope[i]);
            }
            mz_buf_putc(&b, ']');
        } else {
            mz_buf_puts(&b, "null");
        }
    }
    if (s->kind == MZ_OIDC_CITIZEN && s->n_choices > 0 && !write_choices(&b, s)) {
        mz_buf_free(&b);
        mz_reply_unavailable(r, "the session store is unavailable");
        return;
    }
    mz_buf_putc(&b, '}');
    mz_buf_puts(&b, ",\"assuranceLevel\":");
    mz_json_cstr(&b, s->acr);
    mz_buf_puts(&b, ",\"idleExpiresAt\":");
    mz_json_cstr(&b, idle);
    mz_buf_puts(&b, ",\"expiresAt\":");
    mz_json_cstr(&b, max);
    mz_buf_printf(&b, ",\"idleTimeoutSeconds\":%ld}", g_mz_config.session_idle_seconds);
    mz_reply_json(r, 200, &b);
}

void mz_h_session(mz_req *r)
{
    reply_session(r);
}

/* PUT /api/v1/session/representation {"choice": n}: whose cases a
 * representative with several authorisations sees. Cookie only (a bearer
 * token names its subject itself); the Origin check of every unsafe
 * cookie request applies (http.c). */
void mz_h_session_representation(mz_req *r)
{
    if (r->session.kind != MZ_OIDC_CITIZEN || r->session.n_choices == 0) {
        mz_reply_problem(r, MZ_P_FORBIDDEN,
                         "this session holds no authorisations to choose from (only a "
                         "representative's sign-in with several authorisations does)");
        return;
    }
    char perr[128];
    mz_json_doc *doc =
        r->body_len ? mz_json_parse(r->body, r->body_len, NULL, perr, sizeof perr) : NULL;
    const mz_json *root = doc ? mz_json_root(doc) : NULL;
    size_t members = 0;
    if (root && root->type == MZ_JSON_OBJECT)
        for (const mz_json *m = root->u.kids.first; m; m = m->next)
            members++;
    int64_t choice = -1;
    bool shape = root && root->type == MZ_JSON_OBJECT && members == 1;
    bool number = shape && mz_json_int64(mz_json_get(root, "choice"), &choice);
    mz_json_free(doc);
    if (!shape) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST,
                         "the body must be the JSON object {\"choice\": <index>} and nothing else");
        return;
    }
    if (!number || choice < 0 || choice >= (int64_t)r->session.n_choices) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "choice must be the index of one of the session's authorisations (0 to %u)",
                 r->session.n_choices - 1);
        mz_reply_problem(r, MZ_P_BAD_REQUEST, detail);
        return;
    }
    mz_db *db = mz_db_thread();
    unsigned char id[MZ_SESSION_ID_BYTES];
    memcpy(id, r->session.id, sizeof id);
    int done = mz_session_choose(db, id, (unsigned)choice);
    int found = done > 0 ? mz_session_load(db, id, &r->session, &r->principal) : done;
    OPENSSL_cleanse(id, sizeof id);
    if (found < 0) {
        mz_reply_unavailable(r, "the session store is unavailable; try again");
        return;
    }
    if (found == 0) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "the session has no such authorisation");
        return;
    }
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "representation chosen");
    mz_log_int(&l, "choice", choice);
    mz_log_end(&l);
    reply_session(r);
}

void mz_h_signin_options(mz_req *r)
{
    mz_buf b = MZ_BUF_INIT;
    mz_buf_printf(&b, "{\"citizen\":%s,\"eherkenning\":%s,\"professional\":%s,\"devLogin\":%s}",
                  mz_signin_enabled(MZ_OIDC_CITIZEN) ? "true" : "false",
                  mz_signin_eherkenning_scope() ? "true" : "false",
                  mz_signin_enabled(MZ_OIDC_PROFESSIONAL) ? "true" : "false",
                  g_mz_config.dev_mode && mz_signin_sessions() ? "true" : "false");
    mz_reply_json(r, 200, &b);
}
