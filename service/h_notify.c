/*
 * h_notify.c — the citizen's notification preferences
 * (GET|PUT|DELETE /api/v1/me/notification-preferences, POST .../verify)
 * and Notify's delivery-status callback (POST /api/v1/notify/callback).
 *
 * Preferences belong to the subject whose cases the token shows (its
 * pseudonym). Addresses are sealed (contact.h) before they reach the
 * database and shown masked; a changed address loses its verification and
 * gets a new 6-digit code through the outbox (sent at once, no digest, no
 * quiet hours: the citizen just asked for it). Only a verified address is
 * ever used for a change (notify_enqueue, and the sender checks again).
 * Every refusal is a 400 naming the field, with nothing stored (except a
 * wrong code's try, which is what limits guessing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contact.h"
#include "crypto.h"
#include "handlers.h"
#include "json.h"
#include "notify.h"

/* A 400 naming a body member (mz_reply_bad_param speaks of query parameters). */
static void bad_field(mz_req *r, const char *field, const char *detail)
{
    char msg[320];
    snprintf(msg, sizeof msg, "field '%s': %s", mz_safe_echo(field), detail);
    mz_reply_problem(r, MZ_P_BAD_REQUEST, msg);
}

typedef struct prefs {
    char *email, *phone; /* plaintext (wiped when freed), or NULL */
    bool ch_email, ch_sms, ev_status, ev_decision;
    bool v_email, v_sms;
    bool exists;
} prefs;

static void prefs_free(prefs *p)
{
    mz_contact_free_plain(p->email);
    mz_contact_free_plain(p->phone);
    p->email = p->phone = NULL;
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

static char *open_hex(const unsigned char key[32], const char *key_id, const char *hex,
                      const char *field)
{
    size_t len = strlen(hex);
    if (!len || len % 2 || len > 1200)
        return NULL;
    unsigned char sealed[600];
    for (size_t i = 0; i < len / 2; i++)
        sealed[i] = (unsigned char)(mz_hexval(hex[2 * i]) << 4 | mz_hexval(hex[2 * i + 1]));
    unsigned char aad[40];
    size_t alen = mz_contact_aad(key, field, aad);
    return mz_contact_open(key_id, sealed, len / 2, aad, alen);
}

/* Seals plain for key/field as hex (malloc'd). */
static char *seal_hex(const unsigned char key[32], const char *plain, const char *field)
{
    unsigned char aad[40];
    size_t alen = mz_contact_aad(key, field, aad), n = 0;
    unsigned char *s = mz_contact_seal(plain, strlen(plain), aad, alen, &n);
    if (!s)
        return NULL;
    char *hex = malloc(2 * n + 1);
    if (hex)
        to_hex(s, n, hex);
    free(s);
    return hex;
}

/* Reads the subject's row; false when the database is unavailable. */
static bool prefs_load(mz_db *db, const unsigned char key[32], prefs *p)
{
    memset(p, 0, sizeof *p);
    p->ev_status = p->ev_decision = true;
    const char *v[1] = {(const char *)key};
    const int lens[1] = {MZ_PSEUDONYM_LEN}, fmts[1] = {1};
    PGresult *r = db ? MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_PREFS_GET, v, lens, fmts) : NULL;
    if (!mz_db_ok(r)) {
        PQclear(r);
        return false;
    }
    if (PQntuples(r) == 1) {
#define COL(n)  PQgetvalue(r, 0, MZ_COL_NOTIFY_PREFS_GET_##n)
#define FLAG(n) (strcmp(COL(n), "t") == 0)
        p->exists = true;
        p->email = open_hex(key, COL(KEY_ID), COL(EMAIL_ENC), "email");
        p->phone = open_hex(key, COL(KEY_ID), COL(PHONE_ENC), "phone");
        p->v_email = FLAG(EMAIL_VERIFIED) && p->email;
        p->v_sms = FLAG(PHONE_VERIFIED) && p->phone;
        p->ch_email = FLAG(CHANNEL_EMAIL);
        p->ch_sms = FLAG(CHANNEL_SMS);
        p->ev_status = FLAG(EV_STATUS_CHANGE);
        p->ev_decision = FLAG(EV_DECISION);
#undef FLAG
#undef COL
    }
    PQclear(r);
    return true;
}

static void prefs_json(mz_buf *b, const prefs *p)
{
    char masked[MZ_CONTACT_EMAIL_MAX + 8];
    mz_buf_puts(b, "{\"email\":");
    if (p->email) {
        mz_contact_mask_email(p->email, masked, sizeof masked);
        mz_json_cstr(b, masked);
    } else {
        mz_buf_puts(b, "null");
    }
    mz_buf_puts(b, ",\"phone\":");
    if (p->phone) {
        mz_contact_mask_phone(p->phone, masked, sizeof masked);
        mz_json_cstr(b, masked);
    } else {
        mz_buf_puts(b, "null");
    }
    mz_buf_printf(
        b,
        ",\"channels\":{\"email\":%s,\"sms\":%s},\"events\":{\"statusChange\":%s,"
        "\"actionRequired\":true,\"decision\":%s},\"verified\":{\"email\":%s,\"sms\":%s}}",
        p->ch_email ? "true" : "false", p->ch_sms ? "true" : "false",
        p->ev_status ? "true" : "false", p->ev_decision ? "true" : "false",
        p->v_email ? "true" : "false", p->v_sms ? "true" : "false");
}

/* Whose preferences these are (issue 15, docs/security.md "Notifications"):
 * a person's messages go to the addresses that person chose. A representative
 * (an `act` for a BSN subject) may read the represented person's cases but not
 * see, set or delete where that person's messages go: it would let a
 * machtiging redirect the citizen's messages, or learn their address. The
 * representative chooses their own messages when signed in as themselves.
 * A business (kvk) is always acted for by an employee, who manages the
 * organisation's preferences. */
static bool ready(mz_req *r)
{
    if (!mz_notify_prefs_enabled()) {
        mz_reply_unavailable(r, "notifications are not configured on this service");
        return false;
    }
    if (r->principal.has_actor && r->principal.has_bsn) {
        mz_reply_problem(r, MZ_P_FORBIDDEN,
                         "notification preferences belong to the person themselves: a "
                         "representative cannot see or change them (sign in as yourself to "
                         "choose your own messages)");
        return false;
    }
    return true;
}

static void reply_prefs(mz_req *r, mz_db *db, const unsigned char key[32])
{
    prefs p;
    if (!prefs_load(db, key, &p)) {
        mz_reply_unavailable(r, "the database is unavailable; try again shortly");
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    prefs_json(&b, &p);
    prefs_free(&p);
    mz_reply_json(r, 200, &b);
}

void mz_h_me_notify_get(mz_req *r)
{
    if (!ready(r))
        return;
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    reply_prefs(r, mz_db_thread(), key);
}

void mz_h_me_notify_delete(mz_req *r)
{
    if (!ready(r))
        return;
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    const char *v[1] = {(const char *)key};
    const int lens[1] = {MZ_PSEUDONYM_LEN}, fmts[1] = {1};
    mz_db *db = mz_db_thread();
    PGresult *res = db ? MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_PREFS_DELETE, v, lens, fmts) : NULL;
    bool ok = mz_db_ok(res);
    PQclear(res);
    if (!ok) {
        mz_reply_unavailable(r, "the database is unavailable; try again shortly");
        return;
    }
    mz_reply_static(r, 204, "application/json", "", 0);
}

/* A boolean member of obj; false with a 400 naming path when absent or not a boolean. */
static bool get_bool(mz_req *r, const mz_json *obj, const char *name, const char *path, bool *out)
{
    const mz_json *v = mz_json_get(obj, name);
    if (!v || v->type != MZ_JSON_BOOL) {
        bad_field(r, path, "must be true or false");
        return false;
    }
    *out = v->u.boolean;
    return true;
}

/* Only the named members; a 400 naming the first other one. */
static bool only_members(mz_req *r, const mz_json *obj, const char *const *names,
                         const char *prefix)
{
    for (const mz_json *m = obj->u.kids.first; m; m = m->next) {
        bool known = false;
        for (size_t i = 0; names[i]; i++)
            known = known || strcmp(m->key, names[i]) == 0;
        if (!known) {
            char path[80];
            snprintf(path, sizeof path, "%s%s", prefix, mz_safe_echo(m->key));
            bad_field(r, path, "is not a member of the preferences");
            return false;
        }
    }
    return true;
}

/* The body as an object; a 400 otherwise. The caller frees *doc. */
static const mz_json *body_object(mz_req *r, mz_json_doc **doc)
{
    char perr[128];
    *doc = r->body_len ? mz_json_parse(r->body, r->body_len, NULL, perr, sizeof perr) : NULL;
    const mz_json *root = *doc ? mz_json_root(*doc) : NULL;
    if (!root || root->type != MZ_JSON_OBJECT) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

/* A fresh code for channel: stored (hashed), and its message queued
 * (sealed). In the caller's transaction. */
static bool new_code(mz_db *db, const unsigned char key[32], const char *channel)
{
    char code[7], hash[65], ttl[16];
    mz_contact_new_code(code);
    mz_contact_code_hash(key, channel, code, hash);
    snprintf(ttl, sizeof ttl, "%d", MZ_NOTIFY_CODE_TTL);
    char *sealed = seal_hex(key, code, "code");
    memset(code, 0, sizeof code);
    if (!sealed)
        return false;
    const char *v1[4] = {(const char *)key, channel, hash, ttl};
    const int l1[4] = {MZ_PSEUDONYM_LEN, 0, 0, 0}, f1[4] = {1, 0, 0, 0};
    PGresult *res = MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_VERIFY_SET, v1, l1, f1);
    bool ok = mz_db_ok(res);
    PQclear(res);
    if (ok) {
        const char *v2[3] = {(const char *)key, channel, sealed};
        const int l2[3] = {MZ_PSEUDONYM_LEN, 0, 0}, f2[3] = {1, 0, 0};
        res = MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_OUTBOX_VERIFICATION, v2, l2, f2);
        ok = mz_db_ok(res);
        PQclear(res);
    }
    free(sealed);
    return ok;
}

static bool clear_channel(mz_db *db, const unsigned char key[32], const char *channel)
{
    const char *v[2] = {(const char *)key, channel};
    const int l[2] = {MZ_PSEUDONYM_LEN, 0}, f[2] = {1, 0};
    PGresult *res = MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_VERIFY_CLEAR, v, l, f);
    bool ok = mz_db_ok(res);
    PQclear(res);
    return ok;
}

/* Whether a new code may be sent for an unchanged, unverified address:
 * when none is pending or the last one expired, was used up, or is older
 * than a minute (so saving again is how a citizen asks for a new code,
 * at most once a minute). */
static int may_resend(mz_db *db, const unsigned char key[32], const char *channel)
{
    const char *v[2] = {(const char *)key, channel};
    const int l[2] = {MZ_PSEUDONYM_LEN, 0}, f[2] = {1, 0};
    PGresult *res = MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_VERIFY_GET, v, l, f);
    if (!mz_db_ok(res)) {
        PQclear(res);
        return -1;
    }
    int yes = PQntuples(res) == 0 ||
              strcmp(PQgetvalue(res, 0, MZ_COL_NOTIFY_VERIFY_GET_EXPIRED), "t") == 0 ||
              atoi(PQgetvalue(res, 0, MZ_COL_NOTIFY_VERIFY_GET_TRIES)) >= MZ_NOTIFY_CODE_TRIES ||
              atoi(PQgetvalue(res, 0, MZ_COL_NOTIFY_VERIFY_GET_AGE)) >= 60;
    PQclear(res);
    return yes;
}

/* One channel's address after a PUT: clear or re-verify when it changed. */
static bool apply_address(mz_db *db, const unsigned char key[32], const char *channel,
                          const char *old, const char *neu, bool was_verified)
{
    bool same = old && neu && strcmp(old, neu) == 0;
    if (!same && !clear_channel(db, key, channel))
        return false;
    if (!neu || (same && was_verified))
        return true;
    if (same) {
        int m = may_resend(db, key, channel);
        if (m <= 0)
            return m == 0;
    }
    return new_code(db, key, channel);
}

void mz_h_me_notify_put(mz_req *r)
{
    if (!ready(r))
        return;
    mz_json_doc *doc = NULL;
    const mz_json *root = body_object(r, &doc);
    static const char *const top[] = {"email", "phone", "channels", "events", NULL};
    static const char *const chans[] = {"email", "sms", NULL};
    static const char *const evs[] = {"statusChange", "actionRequired", "decision", NULL};
    prefs p = {0};
    char phone[MZ_CONTACT_PHONE_LEN + 1];
    const char *email = NULL;
    bool has_phone = false, action = true;
    if (!root || !only_members(r, root, top, ""))
        goto done;
    /* email or phone absent: keep the stored one (the client only ever sees
     * it masked, so it cannot send it back; a masked address sent back
     * would be a valid, wrong one). */
    const mz_json *e = mz_json_get(root, "email"), *ph = mz_json_get(root, "phone");
    const mz_json *ch = mz_json_get(root, "channels"), *ev = mz_json_get(root, "events");
    if (e && e->type != MZ_JSON_NULL && !mz_contact_email_valid(mz_json_string(e, NULL))) {
        bad_field(r, "email", "must be an e-mail address (name@domain.nl) or null");
        goto done;
    }
    email = e ? mz_json_string(e, NULL) : NULL;
    if (ph && ph->type != MZ_JSON_NULL &&
        !(has_phone = mz_contact_phone_normalise(mz_json_string(ph, NULL), phone))) {
        bad_field(r, "phone",
                  "must be a Dutch mobile number (06 12345678 or +31 6 12345678) or null");
        goto done;
    }
    if (!ch || ch->type != MZ_JSON_OBJECT) {
        bad_field(r, "channels", "must be an object {\"email\": bool, \"sms\": bool}");
        goto done;
    }
    if (!ev || ev->type != MZ_JSON_OBJECT) {
        bad_field(r, "events",
                  "must be an object {\"statusChange\": bool, \"actionRequired\": true, "
                  "\"decision\": bool}");
        goto done;
    }
    if (!only_members(r, ch, chans, "channels.") || !only_members(r, ev, evs, "events.") ||
        !get_bool(r, ch, "email", "channels.email", &p.ch_email) ||
        !get_bool(r, ch, "sms", "channels.sms", &p.ch_sms) ||
        !get_bool(r, ev, "statusChange", "events.statusChange", &p.ev_status) ||
        !get_bool(r, ev, "actionRequired", "events.actionRequired", &action) ||
        !get_bool(r, ev, "decision", "events.decision", &p.ev_decision))
        goto done;
    if (!action) {
        bad_field(r, "events.actionRequired",
                  "cannot be switched off: a missed request for action can cost you a "
                  "right; choose its channel instead");
        goto done;
    }
    if (p.ch_email && e && !email) {
        bad_field(r, "channels.email", "needs an e-mail address");
        goto done;
    }
    if (p.ch_sms && ph && !has_phone) {
        bad_field(r, "channels.sms", "needs a mobile number");
        goto done;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_db *db = mz_db_thread();
    prefs old;
    if (!db || !mz_db_begin(db) || !prefs_load(db, key, &old)) {
        if (db && mz_db_in_tx(db))
            mz_db_rollback(db);
        mz_reply_unavailable(r, "the database is unavailable; try again shortly");
        goto done;
    }
    if (!e)
        email = old.email;
    if (!ph && old.phone && strlen(old.phone) < sizeof phone) {
        snprintf(phone, sizeof phone, "%s", old.phone);
        has_phone = true;
    }
    if ((p.ch_email && !email) || (p.ch_sms && !has_phone)) {
        mz_db_rollback(db);
        prefs_free(&old);
        bad_field(r, p.ch_email && !email ? "channels.email" : "channels.sms",
                  p.ch_email && !email ? "needs an e-mail address" : "needs a mobile number");
        goto done;
    }
    char *email_hex = email ? seal_hex(key, email, "email") : NULL;
    char *phone_hex = has_phone ? seal_hex(key, phone, "phone") : NULL;
    bool keep_e = old.email && email && strcmp(old.email, email) == 0;
    bool keep_p = old.phone && has_phone && strcmp(old.phone, phone) == 0;
    const char *v[10] = {(const char *)key,
                         mz_contact_key_id(),
                         email_hex,
                         phone_hex,
                         keep_e ? "true" : "false",
                         keep_p ? "true" : "false",
                         p.ch_email ? "true" : "false",
                         p.ch_sms ? "true" : "false",
                         p.ev_status ? "true" : "false",
                         p.ev_decision ? "true" : "false"};
    const int lens[10] = {MZ_PSEUDONYM_LEN}, fmts[10] = {1};
    PGresult *res = MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_PREFS_UPSERT, v, lens, fmts);
    bool ok = mz_db_ok(res) && (!email || email_hex) && (!has_phone || phone_hex);
    PQclear(res);
    /* An address left out is kept as it is: no new code for it either
     * (sending one is what saving the address again asks for). */
    ok = ok && (!e || apply_address(db, key, "email", old.email, email, old.v_email)) &&
         (!ph || apply_address(db, key, "sms", old.phone, has_phone ? phone : NULL, old.v_sms));
    free(email_hex);
    free(phone_hex);
    prefs_free(&old);
    if (!ok || !mz_db_commit(db)) {
        if (mz_db_in_tx(db))
            mz_db_rollback(db);
        mz_reply_unavailable(r, "the preferences could not be stored; try again shortly");
        goto done;
    }
    mz_notify_wake();
    reply_prefs(r, db, key);
done:
    memset(phone, 0, sizeof phone);
    mz_json_free_wiped(doc);
}

void mz_h_me_notify_verify(mz_req *r)
{
    if (!ready(r))
        return;
    mz_json_doc *doc = NULL;
    const mz_json *root = body_object(r, &doc);
    static const char *const names[] = {"channel", "code", NULL};
    if (!root || !only_members(r, root, names, "")) {
        mz_json_free(doc);
        return;
    }
    const char *channel = mz_json_string(mz_json_get(root, "channel"), NULL);
    const char *code = mz_json_string(mz_json_get(root, "code"), NULL);
    if (!channel || (strcmp(channel, "email") && strcmp(channel, "sms"))) {
        bad_field(r, "channel", "must be \"email\" or \"sms\"");
        mz_json_free(doc);
        return;
    }
    if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6) {
        bad_field(r, "code", "must be the 6 digits we sent");
        mz_json_free(doc);
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    char hash[65], chan[8];
    mz_contact_code_hash(key, channel, code, hash);
    snprintf(chan, sizeof chan, "%s", channel); /* channel lives in doc */
    channel = chan;
    mz_json_free(doc);
    mz_db *db = mz_db_thread();
    const char *v[2] = {(const char *)key, channel};
    const int l[2] = {MZ_PSEUDONYM_LEN, 0}, f[2] = {1, 0};
    if (!db || !mz_db_begin(db)) {
        mz_reply_unavailable(r, "the database is unavailable; try again shortly");
        return;
    }
    PGresult *res = MZ_DB_EXEC_BIN(db, MZ_STMT_NOTIFY_VERIFY_GET, v, l, f);
    const char *problem = NULL;
    bool ok = mz_db_ok(res), count_try = false, done = false;
    if (!ok)
        mz_db_log_failure("cannot read a verification", MZ_STMT_NOTIFY_VERIFY_GET, res);
    if (ok && PQntuples(res) == 0)
        problem = "no code is waiting for this channel; save the address to receive one";
    else if (ok && strcmp(PQgetvalue(res, 0, MZ_COL_NOTIFY_VERIFY_GET_EXPIRED), "t") == 0)
        problem = "has expired; save the address again to receive a new code";
    else if (ok && atoi(PQgetvalue(res, 0, MZ_COL_NOTIFY_VERIFY_GET_TRIES)) >= MZ_NOTIFY_CODE_TRIES)
        problem = "too many tries; save the address again to receive a new code";
    else if (ok &&
             !mz_consttime_eq(hash, 64, PQgetvalue(res, 0, MZ_COL_NOTIFY_VERIFY_GET_CODE_HASH),
                              (size_t)PQgetlength(res, 0, MZ_COL_NOTIFY_VERIFY_GET_CODE_HASH)))
        problem = "is not the code we sent", count_try = true;
    else if (ok)
        done = true;
    PQclear(res);
    if (ok && (count_try || done)) {
        mz_stmt st = done ? MZ_STMT_NOTIFY_VERIFY_DONE : MZ_STMT_NOTIFY_VERIFY_TRY;
        res = MZ_DB_EXEC_BIN(db, st, v, l, f);
        ok = mz_db_ok(res);
        if (!ok)
            mz_db_log_failure("cannot record a verification", st, res);
        PQclear(res);
    }
    if (!ok || !mz_db_commit(db)) {
        if (mz_db_in_tx(db))
            mz_db_rollback(db);
        mz_reply_unavailable(r, "the database is unavailable; try again shortly");
        return;
    }
    if (problem) {
        bad_field(r, "code", problem);
        return;
    }
    mz_notify_remind_soon();
    reply_prefs(r, db, key);
}

void mz_h_notify_callback(mz_req *r)
{
    if (!mz_notify_callback_authorized(mz_req_header(r, "Authorization"))) {
        mz_reply_problem(r, MZ_P_UNAUTHORIZED, "the callback token is missing or wrong");
        mz_reply_header(r, "WWW-Authenticate", "Bearer");
        return;
    }
    mz_json_doc *doc = NULL;
    const mz_json *root = body_object(r, &doc);
    if (!root)
        return;
    const char *id = mz_json_string(mz_json_get(root, "id"), NULL);
    const char *ref = mz_json_string(mz_json_get(root, "reference"), NULL);
    const char *status = mz_json_string(mz_json_get(root, "status"), NULL);
    static const char *const statuses[] = {"delivered", "permanent-failure", "temporary-failure",
                                           "technical-failure", NULL};
    bool known = false;
    for (size_t i = 0; status && statuses[i]; i++)
        known = known || strcmp(status, statuses[i]) == 0;
    if (!id || strlen(id) > 64 || strspn(id, "0123456789abcdef-") != strlen(id)) {
        bad_field(r, "id", "must be Notify's notification id");
    } else if (!ref || !*ref || strlen(ref) > 18 || strspn(ref, "0123456789") != strlen(ref)) {
        bad_field(r, "reference", "must be the reference we sent (digits)");
    } else if (!known) {
        bad_field(r, "status",
                  "must be delivered, permanent-failure, temporary-failure or "
                  "technical-failure");
    } else {
        const char *v[3] = {ref, id, status};
        mz_db *db = mz_db_thread();
        PGresult *res = db ? MZ_DB_EXEC(db, MZ_STMT_NOTIFY_CALLBACK, v) : NULL;
        bool ok = mz_db_ok(res);
        PQclear(res);
        if (ok) /* also for a row gone (preferences deleted): Notify need not retry */
            mz_reply_static(r, 204, "application/json", "", 0);
        else
            mz_reply_unavailable(r, "the database is unavailable; try again shortly");
    }
    mz_json_free(doc);
}
