/*
 * h_contact.c — contact moments and hand-over (issue 17, handover.h):
 *   POST /api/v1/contact-moments     a professional records a contact
 *        {"subject" | "bsn", "purpose", "caseId"?, "channel", "topic",
 *         "summary", "answered", "handover"?: {"agencyId", "question",
 *         "callback", "callbackNumber"?}}                  → 201 {id, handover?}
 *   GET  /api/v1/me/contact-moments  the citizen's "Uw contact met de overheid"
 * and the contact moments the professional search shows
 * (mz_contact_moments_professional, called from h_professional.c).
 *
 * Everything is validated before anything is stored (400 naming the field;
 * never a value): the moment, its hand-over and the processing-log and
 * audit records (the employee is in the audit record only) are written in
 * one transaction, so a failure stores nothing. The subject and the
 * callback number leave this file only sealed (contact.h).
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "agencies.h"
#include "cases_json.h"
#include "config.h"
#include "contact.h"
#include "crypto.h"
#include "handlers.h"
#include "handover.h"
#include "json.h"
#include "plog.h"

static void bad(mz_req *r, const char *field, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", field, why);
    mz_reply_problem(r, MZ_P_BAD_REQUEST, msg);
}

/* A required (or optional) string member with length cap and the control
 * character rule; false after replying. */
static bool text_member(mz_req *r, const mz_json *o, const char *key, const char *path,
                        bool required, size_t max, bool multiline, const char **out)
{
    const mz_json *v = mz_json_get(o, key);
    *out = NULL;
    if (!v || v->type == MZ_JSON_NULL) {
        if (required)
            bad(r, path, "is required");
        return !required;
    }
    if (v->type != MZ_JSON_STRING) {
        bad(r, path, "must be a string");
        return false;
    }
    size_t n = v->u.str.len;
    size_t lead = strspn(v->u.str.s, " \t\r\n");
    if (n == 0 || lead == n) {
        bad(r, path, "must not be empty");
        return false;
    }
    if (n > max) {
        char why[64];
        snprintf(why, sizeof why, "is longer than %zu bytes", max);
        bad(r, path, why);
        return false;
    }
    if (!mz_contact_text_ok(v->u.str.s, n, multiline) || strlen(v->u.str.s) != n) {
        bad(r, path,
            multiline ? "must not contain control characters (other than line breaks)"
                      : "must not contain control characters");
        return false;
    }
    *out = v->u.str.s;
    return true;
}

static bool members_known(mz_req *r, const mz_json *o, const char *const *allowed,
                          const char *prefix)
{
    for (const mz_json *m = o->u.kids.first; m; m = m->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok = ok || strcmp(m->key, allowed[i]) == 0;
        if (!ok) {
            char path[120];
            snprintf(path, sizeof path, "%s%s", prefix, mz_safe_echo(m->key));
            bad(r, path, "is not a member of a contact moment");
            return false;
        }
    }
    return true;
}

static void new_uuid(char out[37])
{
    unsigned char b[16];
    mz_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

typedef struct ho_in {
    const mz_agency *agency;
    const char *question;
    bool callback;
    char number[13];
} ho_in;

/* The "handover" member; false after replying. */
static bool read_handover(mz_req *r, const mz_json *h, ho_in *out)
{
    if (h->type != MZ_JSON_OBJECT) {
        bad(r, "handover", "must be an object {agencyId, question, callback}");
        return false;
    }
    static const char *const allowed[] = {"agencyId", "question", "callback", "callbackNumber",
                                          NULL};
    if (!members_known(r, h, allowed, "handover."))
        return false;
    const char *agency;
    if (!text_member(r, h, "agencyId", "handover.agencyId", true, 63, false, &agency))
        return false;
    const mz_agency *a = mz_agencies_find(mz_agencies_current(), agency);
    if (!a || !a->enabled) {
        bad(r, "handover.agencyId", "names no agency");
        return false;
    }
    if (!a->handover_url) {
        bad(r, "handover.agencyId", "this agency takes no hand-overs (no handover configuration)");
        return false;
    }
    out->agency = a;
    if (!text_member(r, h, "question", "handover.question", true, MZ_HANDOVER_QUESTION_MAX, true,
                     &out->question))
        return false;
    const mz_json *cb = mz_json_get(h, "callback");
    if (!cb || cb->type != MZ_JSON_BOOL) {
        bad(r, "handover.callback", "is required: true or false");
        return false;
    }
    out->callback = cb->u.boolean;
    const char *num;
    if (!text_member(r, h, "callbackNumber", "handover.callbackNumber", out->callback, 40, false,
                     &num))
        return false;
    if (num && !out->callback) {
        bad(r, "handover.callbackNumber", "is given only when callback is true");
        return false;
    }
    if (num && !mz_callback_number_normalise(num, out->number)) {
        bad(r, "handover.callbackNumber",
            "must be a Dutch phone number (0 and 9 digits, or +31 and 9 digits)");
        return false;
    }
    return true;
}

/* Seals plain for hand-over id and field into a bytea parameter. */
static unsigned char *seal(const char *id, const char *field, const char *plain, size_t *n)
{
    char aad[80];
    size_t alen = mz_handover_aad(id, field, aad);
    return mz_contact_seal(plain, strlen(plain), aad, alen, n);
}

void mz_h_contact_moment_create(mz_req *r)
{
    const char *ct = mz_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || strncmp(ct, "application/json", 16) != 0) {
        mz_reply_problem(r, MZ_P_UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
        return;
    }
    char perr[160];
    mz_json_limits lim = {.max_depth = 4, .max_nodes = 64, .max_string = 16384};
    mz_json_doc *d =
        r->body_len ? mz_json_parse(r->body, r->body_len, &lim, perr, sizeof perr) : NULL;
    if (!d || mz_json_root(d)->type != MZ_JSON_OBJECT) {
        mz_json_free_wiped(d);
        mz_reply_problem(r, MZ_P_BAD_REQUEST,
                         "the body must be a JSON object {\"subject\", \"purpose\", \"channel\", "
                         "\"topic\", \"summary\", \"answered\"}");
        return;
    }
    const mz_json *root = mz_json_root(d);
    static const char *const allowed[] = {"bsn",   "subject", "purpose",  "caseId",   "channel",
                                          "topic", "summary", "answered", "handover", NULL};
    mz_subject who;
    memset(&who, 0, sizeof who);
    char serr[160];
    const char *purpose, *case_id, *channel, *topic, *summary;
    const mz_activity *act = NULL;
    ho_in ho = {0};
    const mz_json *hj = NULL;
    bool ok = members_known(r, root, allowed, "");
    if (ok && !mz_subject_of(root, &who, "", serr, sizeof serr)) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, serr);
        ok = false;
    }
    if (ok && text_member(r, root, "purpose", "purpose", true, 100, false, &purpose)) {
        act = mz_activity_for_purpose(purpose);
        if (!act) {
            bad(r, "purpose", "is not one of the configured processing activities");
            ok = false;
        }
    } else {
        ok = false;
    }
    ok = ok && text_member(r, root, "caseId", "caseId", false, 36, false, &case_id);
    if (ok && case_id && !mz_uuid_valid(case_id)) {
        bad(r, "caseId", "must be a UUID");
        ok = false;
    }
    ok = ok && text_member(r, root, "channel", "channel", true, 10, false, &channel);
    if (ok && !mz_contact_channel_valid(channel)) {
        bad(r, "channel", "must be one of phone, desk, chat, email, letter");
        ok = false;
    }
    ok = ok && text_member(r, root, "topic", "topic", true, MZ_CONTACT_TOPIC_MAX, false, &topic) &&
         text_member(r, root, "summary", "summary", true, MZ_CONTACT_SUMMARY_MAX, true, &summary);
    const mz_json *ans = ok ? mz_json_get(root, "answered") : NULL;
    if (ok && (!ans || ans->type != MZ_JSON_BOOL)) {
        bad(r, "answered", "is required: true or false (was the question answered?)");
        ok = false;
    }
    hj = ok ? mz_json_get(root, "handover") : NULL;
    if (ok && hj && hj->type != MZ_JSON_NULL)
        ok = read_handover(r, hj, &ho);
    else
        hj = NULL;
    if (ok && hj && !mz_contact_ready()) {
        mz_reply_unavailable(r, "hand-overs need the contact key (MZ_CONTACT_KEY_FILE), which is "
                                "not configured; nothing was stored");
        ok = false;
    }
    if (!ok) {
        mz_subject_wipe(&who);
        mz_json_free_wiped(d);
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym_subject(&who, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    mz_db *db = mz_db_thread();
    const char *kind = mz_subject_kind_name(who.kind);
    /* the case must be the subject's own (and is not named otherwise) */
    if (case_id) {
        const char *cv[2] = {case_id, (const char *)key};
        const int cl[2] = {0, MZ_PSEUDONYM_LEN}, cf[2] = {0, 1};
        PGresult *cr = db ? MZ_DB_EXEC_BIN(db, MZ_STMT_CONTACT_CASE_CHECK, cv, cl, cf) : NULL;
        bool db_ok = mz_db_ok(cr), mine = db_ok && PQntuples(cr) == 1;
        PQclear(cr);
        if (!db_ok || !mine) {
            mz_subject_wipe(&who);
            mz_json_free_wiped(d);
            if (!db_ok)
                mz_reply_unavailable(r, "the case store is unavailable; nothing was stored");
            else
                bad(r, "caseId", "is not a case of this subject");
            return;
        }
    }
    char id[37], hid[37];
    new_uuid(id);
    new_uuid(hid);
    unsigned char *subj_enc = NULL, *cb_enc = NULL;
    size_t subj_n = 0, cb_n = 0;
    if (hj) {
        mz_buf sj = MZ_BUF_INIT;
        mz_buf_puts(&sj, "{\"kind\":");
        mz_json_cstr(&sj, kind);
        mz_buf_puts(&sj, ",\"id\":");
        mz_json_cstr(&sj, who.id);
        if (who.vestiging[0]) {
            mz_buf_puts(&sj, ",\"vestiging\":");
            mz_json_cstr(&sj, who.vestiging);
        }
        mz_buf_putc(&sj, '}');
        subj_enc = seal(hid, "subject", sj.data, &subj_n);
        OPENSSL_cleanse(sj.data, sj.len);
        mz_buf_free(&sj);
        if (ho.callback)
            cb_enc = seal(hid, "callback", ho.number, &cb_n);
    }
    mz_subject_wipe(&who);
    const char *org = r->principal.org[0] ? r->principal.org : g_mz_config.organisation;
    bool stored = db && mz_db_begin(db);
    if (stored) {
        const char *mv[9] = {id,      (const char *)key,
                             kind,    org,
                             channel, topic,
                             summary, ans->u.boolean ? "true" : "false",
                             case_id};
        const int ml[9] = {0, MZ_PSEUDONYM_LEN}, mf[9] = {0, 1};
        PGresult *mr = MZ_DB_EXEC_BIN(db, MZ_STMT_CONTACT_MOMENT_INSERT, mv, ml, mf);
        stored = mz_db_ok(mr);
        if (!stored)
            mz_db_log_failure("cannot store a contact moment", MZ_STMT_CONTACT_MOMENT_INSERT, mr);
        PQclear(mr);
    }
    if (stored && hj) {
        const char *hv[8] = {hid,
                             id,
                             ho.agency->id,
                             ho.question,
                             ho.callback ? "true" : "false",
                             mz_contact_key_id(),
                             (const char *)cb_enc,
                             (const char *)subj_enc};
        const int hl[8] = {0, 0, 0, 0, 0, 0, (int)cb_n, (int)subj_n};
        const int hf[8] = {0, 0, 0, 0, 0, 0, 1, 1};
        PGresult *hr = MZ_DB_EXEC_BIN(db, MZ_STMT_HANDOVER_INSERT, hv, hl, hf);
        stored = mz_db_ok(hr);
        if (!stored)
            mz_db_log_failure("cannot store a hand-over", MZ_STMT_HANDOVER_INSERT, hr);
        PQclear(hr);
    }
    free(subj_enc);
    free(cb_enc);
    mz_plog_entry e = {.trace = &t,
                       .activity = act,
                       .organisation = org,
                       .subject_key = key,
                       .subject_kind = kind,
                       .started_at = r->started_at,
                       .outcome = "success",
                       .actor_kind = "professional",
                       .actor_id = r->principal.sub,
                       .endpoint = r->route->pattern};
    stored = stored && mz_plog_write(db, &e) && mz_db_commit(db);
    mz_json_free_wiped(d);
    if (!stored) {
        if (db && mz_db_in_tx(db))
            mz_db_rollback(db);
        mz_reply_unavailable(r, "the contact moment cannot be stored now; nothing was stored, "
                                "try again");
        return;
    }
    if (hj)
        mz_handover_wake();
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"id\":");
    mz_json_cstr(&b, id);
    if (hj) {
        mz_buf_puts(&b, ",\"handover\":{\"id\":");
        mz_json_cstr(&b, hid);
        mz_buf_puts(&b, ",\"agencyId\":");
        mz_json_cstr(&b, ho.agency->id);
        mz_buf_puts(&b, ",\"state\":\"pending\"}");
    }
    mz_buf_putc(&b, '}');
    mz_reply_json(r, 201, &b);
    mz_trace_header(r, &t);
}

#define RECENT_MAX 20

bool mz_contact_moments_professional(mz_buf *b, mz_db *rdb, const unsigned char *key)
{
    char lim[8];
    snprintf(lim, sizeof lim, "%d", RECENT_MAX);
    const char *v[2] = {(const char *)key, lim};
    const int l[2] = {MZ_PSEUDONYM_LEN, 0}, f[2] = {1, 0};
    PGresult *res = rdb ? MZ_DB_EXEC_BIN(rdb, MZ_STMT_CONTACT_MOMENTS_RECENT, v, l, f) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        return false;
    }
    mz_buf_putc(b, '[');
    for (int i = 0; i < PQntuples(res); i++) {
#define COL(name) PQgetvalue(res, i, MZ_COL_CONTACT_MOMENTS_RECENT_##name)
        if (i)
            mz_buf_putc(b, ',');
        mz_buf_puts(b, "{\"id\":");
        mz_json_cstr(b, COL(ID));
        mz_buf_puts(b, ",\"at\":");
        mz_json_ts(b, res, i, MZ_COL_CONTACT_MOMENTS_RECENT_CREATED_AT);
        mz_buf_puts(b, ",\"organisation\":");
        mz_json_cstr(b, COL(ORGANISATION));
        mz_buf_puts(b, ",\"channel\":");
        mz_json_cstr(b, COL(CHANNEL));
        mz_buf_puts(b, ",\"topic\":");
        mz_json_cstr(b, COL(TOPIC));
        mz_buf_puts(b, ",\"summary\":");
        mz_json_cstr(b, COL(SUMMARY));
        mz_buf_puts(b, ",\"answered\":");
        mz_json_bool(b, COL(ANSWERED)[0] == 't');
        if (!PQgetisnull(res, i, MZ_COL_CONTACT_MOMENTS_RECENT_CASE_ID)) {
            mz_buf_puts(b, ",\"caseId\":");
            mz_json_cstr(b, COL(CASE_ID));
        }
        if (!PQgetisnull(res, i, MZ_COL_CONTACT_MOMENTS_RECENT_HANDOVER_STATE)) {
            mz_buf_puts(b, ",\"handover\":{\"agencyId\":");
            mz_json_cstr(b, COL(HANDOVER_AGENCY_ID));
            mz_buf_puts(b, ",\"organisation\":");
            mz_json_cstr(b, COL(HANDOVER_AGENCY_NAME));
            mz_buf_puts(b, ",\"state\":");
            mz_json_cstr(b, COL(HANDOVER_STATE));
            mz_buf_puts(b, ",\"callback\":");
            mz_json_bool(b, COL(HANDOVER_CALLBACK)[0] == 't');
            mz_buf_putc(b, '}');
        }
        mz_buf_putc(b, '}');
#undef COL
    }
    mz_buf_putc(b, ']');
    PQclear(res);
    return true;
}

/* The citizen's view of a hand-over's state: whether the call-back is
 * still to come, taken on, or done. */
static const char *citizen_state(const char *s)
{
    if (strcmp(s, "acknowledged") == 0)
        return "inBehandeling";
    if (strcmp(s, "closed") == 0)
        return "afgerond";
    return "aangevraagd"; /* pending, delivering, delivered, failed: asked, not yet taken on */
}

void mz_h_me_contact_moments(mz_req *r)
{
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    /* A representative whose authorisation is limited to some agencies
     * (auth.h) sees none: a contact moment belongs to no one agency's
     * cases (the organisation that recorded it, the one it went to). */
    const char *v[2] = {(const char *)key, r->principal.has_scope ? "0" : "100"};
    const int l[2] = {MZ_PSEUDONYM_LEN, 0}, f[2] = {1, 0};
    mz_db *db = mz_db_thread(), *rdb = mz_db_thread_read();
    PGresult *res = rdb ? MZ_DB_EXEC_BIN(rdb, MZ_STMT_CONTACT_MOMENTS_MINE, v, l, f) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "contact moments are unavailable; try again shortly");
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"items\":[");
    for (int i = 0; i < PQntuples(res); i++) {
#define COL(name) PQgetvalue(res, i, MZ_COL_CONTACT_MOMENTS_MINE_##name)
        if (i)
            mz_buf_putc(&b, ',');
        mz_buf_puts(&b, "{\"id\":");
        mz_json_cstr(&b, COL(ID));
        mz_buf_puts(&b, ",\"at\":");
        mz_json_ts(&b, res, i, MZ_COL_CONTACT_MOMENTS_MINE_CREATED_AT);
        mz_buf_puts(&b, ",\"organisation\":");
        mz_json_cstr(&b, COL(ORGANISATION));
        mz_buf_puts(&b, ",\"channel\":");
        mz_json_cstr(&b, COL(CHANNEL));
        mz_buf_puts(&b, ",\"topic\":");
        mz_json_cstr(&b, COL(TOPIC));
        if (!PQgetisnull(res, i, MZ_COL_CONTACT_MOMENTS_MINE_HANDOVER_STATE)) {
            mz_buf_puts(&b, ",\"handover\":{\"organisation\":");
            mz_json_cstr(&b, COL(HANDOVER_AGENCY_NAME));
            mz_buf_puts(&b, ",\"callback\":");
            mz_json_bool(&b, COL(HANDOVER_CALLBACK)[0] == 't');
            mz_buf_puts(&b, ",\"state\":");
            mz_json_cstr(&b, citizen_state(COL(HANDOVER_STATE)));
            mz_buf_putc(&b, '}');
        }
        mz_buf_putc(&b, '}');
#undef COL
    }
    PQclear(res);
    mz_buf_puts(&b, "]}");
    const mz_principal *p = &r->principal;
    mz_plog_entry e = {.trace = &t,
                       .activity = p->has_actor ? mz_activity_representative() : mz_activity_self(),
                       .organisation = g_mz_config.organisation,
                       .subject_key = key,
                       .subject_kind = p->has_kvk ? "kvk" : "bsn",
                       .actor_key = p->has_actor ? p->actor_key : NULL,
                       .started_at = r->started_at,
                       .outcome = "success",
                       .endpoint = r->route->pattern};
    if (!mz_plog_write(db, &e)) {
        mz_buf_free(&b);
        mz_reply_unavailable(r,
                             "the processing log cannot be written; no data is shown without it");
        return;
    }
    mz_reply_json(r, 200, &b);
    mz_trace_header(r, &t);
}
