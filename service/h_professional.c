/*
 * h_professional.c — a professional (token roles contain "professional")
 * looks up a citizen's or a business's cases to answer their question in
 * one go:
 *   POST /api/v1/cases/search  {"subject": {"kind", "id"} | "bsn", "purpose",
 *                               [status, agency, pageSize, cursor]}
 *   GET  /api/v1/cases/{caseId}?purpose=...
 * The subject (a BSN or a KVK number, subject.h) only ever travels in the
 * POST body; `bsn` is the older form of {"kind": "bsn", "id": ...}. `purpose` must be one of the
 * configured processing activities. Every look-up writes a processing-log
 * record (the subject as pseudonym, the purpose) and an audit record (the
 * employee, `sub`), both before the answer goes out — or the answer is 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "bsn.h"
#include "cases_json.h"
#include "cases_view.h"
#include "config.h"
#include "crypto.h"
#include "handlers.h"
#include "json.h"
#include "plog.h"
#include "plog_commit.h"

/* The look-up's processing-log and audit record; the answer goes out once
 * they are durable (plog_commit.h). */
static mz_plog_entry pro_entry(mz_req *r, const mz_trace *t, const mz_activity *a,
                               const unsigned char *key, const char *kind, const char *outcome)
{
    mz_plog_entry e = {.trace = t,
                       .activity = a,
                       .organisation =
                           r->principal.org[0] ? r->principal.org : g_mz_config.organisation,
                       .subject_key = key,
                       .subject_kind = kind,
                       .started_at = r->started_at,
                       .outcome = outcome,
                       .actor_kind = "professional",
                       .actor_id = r->principal.sub,
                       .endpoint = r->route->pattern};
    return e;
}

static const mz_activity *purpose_of(mz_req *r, const char *purpose, bool body)
{
    const mz_activity *a = mz_activity_for_purpose(purpose);
    if (a)
        return a;
    const char *why = purpose ? "is not one of the configured processing activities"
                              : "is required: the processing activity this look-up serves";
    if (body) {
        char msg[160];
        snprintf(msg, sizeof msg, "purpose: %s", why);
        mz_reply_problem(r, MZ_P_BAD_REQUEST, msg);
    } else {
        mz_reply_bad_param(r, "purpose", why);
    }
    return NULL;
}

static void body_problem(mz_req *r, const char *msg)
{
    mz_reply_problem(r, MZ_P_BAD_REQUEST, msg);
}

/* The first page of a search also shows the subject's recent contact
 * moments and open hand-overs across organisations (issue 17), so the next
 * employee reads the previous one's note; they are part of the read the
 * processing-log record covers. b holds the list object: its closing brace
 * makes room for the member. */
static bool with_contact_moments(mz_req *r, mz_db *rdb, const unsigned char *key, bool first,
                                 mz_buf *b)
{
    if (!first)
        return true;
    if (b->len == 0 || b->data[b->len - 1] != '}')
        return true;
    b->len--;
    mz_buf_puts(b, ",\"contactMoments\":");
    if (!mz_contact_moments_professional(b, rdb, key)) {
        mz_reply_unavailable(r, "contact moments are unavailable; try again shortly");
        return false;
    }
    mz_buf_putc(b, '}');
    return true;
}

void mz_h_cases_search(mz_req *r)
{
    const char *ct = mz_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || strncmp(ct, "application/json", 16) != 0) {
        mz_reply_problem(r, MZ_P_UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
        return;
    }
    char perr[160];
    mz_json_limits lim = {.max_depth = 4, .max_nodes = 64, .max_string = 1024};
    mz_json_doc *d =
        r->body_len ? mz_json_parse(r->body, r->body_len, &lim, perr, sizeof perr) : NULL;
    if (!d || mz_json_root(d)->type != MZ_JSON_OBJECT) {
        mz_json_free(d);
        body_problem(r, "the body must be a JSON object {\"subject\": {\"kind\": ..., \"id\": "
                        "...}, \"purpose\": ...}");
        return;
    }
    const mz_json *root = mz_json_root(d);
    static const char *const allowed[] = {"bsn",    "subject",  "purpose", "status",
                                          "agency", "pageSize", "cursor"};
    for (const mz_json *m = root->u.kids.first; m; m = m->next) {
        bool ok = false;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok = ok || strcmp(m->key, allowed[i]) == 0;
        bool is_int = strcmp(m->key, "pageSize") == 0;
        bool is_obj = strcmp(m->key, "subject") == 0;
        mz_json_type want = is_int ? MZ_JSON_NUMBER : is_obj ? MZ_JSON_OBJECT : MZ_JSON_STRING;
        if (!ok || m->type != want) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s: %s", mz_safe_echo(m->key),
                     ok ? (is_int   ? "must be an integer"
                           : is_obj ? "must be an object {\"kind\", \"id\"}"
                                    : "must be a string")
                        : "is not a member of a search");
            mz_json_free(d);
            body_problem(r, msg);
            return;
        }
    }
    mz_subject who;
    char serr[160];
    if (!mz_subject_of(root, &who, "", serr, sizeof serr)) {
        mz_json_free(d);
        body_problem(r, serr);
        return;
    }
    const mz_activity *a = purpose_of(r, mz_json_string(mz_json_get(root, "purpose"), NULL), true);
    if (!a) {
        mz_subject_wipe(&who);
        mz_json_free(d);
        return;
    }
    int64_t size = MZ_PAGE_DEFAULT;
    const mz_json *ps = mz_json_get(root, "pageSize");
    if (ps && !mz_json_int64(ps, &size))
        size = 0;
    mz_list_query q = {mz_json_string(mz_json_get(root, "status"), NULL),
                       mz_json_string(mz_json_get(root, "agency"), NULL),
                       mz_json_string(mz_json_get(root, "cursor"), NULL),
                       size >= 1 && size <= MZ_PAGE_MAX ? (int)size : 0,
                       {0, ""},
                       NULL,
                       NULL};
    if (!mz_list_query_check(r, &q, true)) {
        mz_subject_wipe(&who);
        mz_json_free(d);
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym_subject(&who, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    mz_db *db = mz_db_thread(), *rdb = mz_db_thread_read();
    mz_buf b = MZ_BUF_INIT;
    bool ok = mz_cases_list_build(r, rdb, db, &who, key, &q, true, "/api/v1/cases/search", &b) &&
              with_contact_moments(r, db, key, q.cursor == NULL, &b);
    mz_plog_entry e = pro_entry(r, &t, a, key, mz_subject_kind_name(who.kind), "success");
    mz_subject_wipe(&who);
    mz_json_free(d);
    if (!ok) {
        mz_buf_free(&b);
        return;
    }
    mz_plog_reply(r, &e, &t, 200, &b);
}

void mz_h_cases_get(mz_req *r)
{
    const char *id = mz_req_param(r, "caseId");
    if (!mz_uuid_valid(id)) {
        mz_reply_problem(r, MZ_P_BAD_PARAMETER, "caseId must be a UUID");
        return;
    }
    const mz_activity *a = purpose_of(r, mz_req_query(r, "purpose"), false);
    if (!a)
        return;
    mz_trace t;
    mz_trace_begin(r, &t);
    const char *vals[1] = {id};
    mz_db *rdb = mz_db_thread_read();
    PGresult *res = rdb ? MZ_DB_EXEC(rdb, MZ_STMT_CASE_GET_ANY, vals) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    if (PQntuples(res) == 0) { /* no case, no data subject: nothing read */
        PQclear(res);
        mz_reply_problem(r, MZ_P_NOT_FOUND, "no such case");
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    const char *hex = PQgetvalue(res, 0, MZ_COL_CASE_GET_ANY_SUBJECT_KEY_HEX);
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++)
        key[i] = (unsigned char)(mz_hexval(hex[2 * i]) << 4 | mz_hexval(hex[2 * i + 1]));
    mz_buf b = MZ_BUF_INIT;
    if (!mz_case_detail_build(r, rdb, res, true, &b)) {
        PQclear(res);
        mz_buf_free(&b);
        return;
    }
    mz_plog_entry e =
        pro_entry(r, &t, a, key, PQgetvalue(res, 0, MZ_COL_CASE_GET_ANY_SUBJECT_KIND), "success");
    mz_plog_reply(r, &e, &t, 200, &b); /* copies the entry's values */
    PQclear(res);
}
