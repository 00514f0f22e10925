/*
 * h_me_cases.c — GET /api/v1/me/cases and GET /api/v1/me/cases/{caseId}:
 * the citizen's own cases. The BSN comes only from the verified token and
 * is turned into its pseudonym before any query; another citizen's case id
 * answers 404, exactly like one that does not exist. Every read is written
 * to the processing log (activity: the citizen's self-view) before the
 * answer goes out.
 *
 * The subject is whoever the token or session names (bsn or kvk); when
 * someone acts for them (`act`), the read is logged as the
 * representative's (activity MZ_ACTIVITY_REPRESENTATIVE, the actor's
 * pseudonym beside the subject's), and an authorisation's scope limits
 * list and detail to its agencies (a case outside it is 404, as if absent).
 */
#include <stdio.h>
#include <string.h>

#include "activities.h"
#include "cases_json.h"
#include "cases_view.h"
#include "config.h"
#include "handlers.h"
#include "plog.h"
#include "plog_commit.h"

/* The record of the citizen's read of their own data, or their
 * representative's; the answer goes out once it is durable
 * (plog_commit.h). */
static mz_plog_entry self_entry(mz_req *r, const mz_trace *t, const unsigned char *key,
                                const char *outcome)
{
    const mz_principal *p = &r->principal;
    mz_plog_entry e = {.trace = t,
                       .activity = p->has_actor ? mz_activity_representative() : mz_activity_self(),
                       .organisation = g_mz_config.organisation,
                       .subject_key = key,
                       .subject_kind = p->has_kvk ? "kvk" : "bsn",
                       .actor_key = p->has_actor ? p->actor_key : NULL,
                       .started_at = r->started_at,
                       .outcome = outcome,
                       .actor_kind = NULL,
                       .actor_id = NULL,
                       .endpoint = r->route->pattern};
    return e;
}

/* The query of a list request; false when it replied 400. scope must
 * hold MZ_AUTH_MAX_SCOPE * 64 + 4 bytes. */
static bool list_query(mz_req *r, mz_list_query *q, char *scope, size_t scope_len)
{
    mz_list_query x = {mz_req_query(r, "status"),
                       mz_req_query(r, "agency"),
                       mz_req_query(r, "cursor"),
                       0,
                       {0, ""},
                       NULL,
                       NULL};
    *q = x;
    q->scope = mz_principal_scope_literal(&r->principal, scope, scope_len);
    if (!mz_page_size_parse(mz_req_query(r, "pageSize"), &q->size)) {
        mz_reply_bad_param(r, "pageSize", "must be an integer from 1 to 100");
        return false;
    }
    return mz_list_query_check(r, q, false);
}

/* Everything but the subject that shapes a list answer: the case cache's
 * key beside the pseudonym. */
static void list_variant(const mz_list_query *q, char *out, size_t len)
{
    snprintf(out, len, "%s|%s|%s|%d|%s", q->status ? q->status : "", q->agency ? q->agency : "",
             q->cursor ? q->cursor : "", q->size, q->scope ? q->scope : "-");
}

/* From the database (refreshing first when due), and into the case cache
 * when the answer may be kept; false when it replied (400/503). */
static bool list_from_db(mz_req *r, mz_list_query *q, const unsigned char *key, const char *variant,
                         mz_buf *out)
{
    /* The token or session names a person or a business (auth.c and
     * session.c check the number; http.c that there is one). */
    mz_subject who;
    (void)mz_principal_subject(&r->principal, &who);
    /* the generations before the read: a change notified after this kills
     * the entry (case_cache.h) */
    mz_case_cache_ticket t;
    mz_case_cache_begin(key, &t);
    long stable = 0;
    q->stable_s = &stable;
    mz_db *db = mz_db_thread(), *rdb = mz_db_thread_read();
    bool ok = mz_cases_list_build(r, rdb, db, &who, key, q, false, "/api/v1/me/cases", out);
    mz_subject_wipe(&who);
    if (ok)
        mz_case_cache_put(&t, key, variant, out->data, out->len, stable);
    return ok;
}

/* A cached answer that its fence showed may be stale: read it again. */
static bool list_rebuild(mz_req *r, mz_buf *out)
{
    mz_list_query q;
    char scope[MZ_AUTH_MAX_SCOPE * 64 + 4], variant[sizeof scope + MZ_CURSOR_MAX + 64];
    if (!list_query(r, &q, scope, sizeof scope))
        return false;
    list_variant(&q, variant, sizeof variant);
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    return list_from_db(r, &q, key, variant, out);
}

void mz_h_me_cases_list(mz_req *r)
{
    mz_list_query q;
    char scope[MZ_AUTH_MAX_SCOPE * 64 + 4], variant[sizeof scope + MZ_CURSOR_MAX + 64];
    if (!list_query(r, &q, scope, sizeof scope))
        return;
    list_variant(&q, variant, sizeof variant);
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    mz_buf b = MZ_BUF_INIT;
    mz_case_cache_ticket hit;
    if (mz_case_cache_get(key, variant, &b, &hit)) {
        /* logged like any read; answered once the fence shows it exact */
        mz_plog_entry e = self_entry(r, &t, key, "success");
        mz_plog_reply_cached(r, &e, &t, &b, &hit, list_rebuild);
        return;
    }
    if (!list_from_db(r, &q, key, variant, &b)) {
        mz_buf_free(&b);
        return;
    }
    mz_plog_entry e = self_entry(r, &t, key, "success");
    mz_plog_reply(r, &e, &t, 200, &b);
}

void mz_h_me_case_get(mz_req *r)
{
    const char *id = mz_req_param(r, "caseId");
    if (!mz_uuid_valid(id)) {
        mz_reply_problem(r, MZ_P_BAD_PARAMETER, "caseId must be a UUID");
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    char scope[MZ_AUTH_MAX_SCOPE * 64 + 4];
    const char *vals[3] = {id, (const char *)key,
                           mz_principal_scope_literal(&r->principal, scope, sizeof scope)};
    const int lens[3] = {0, MZ_PSEUDONYM_LEN, 0};
    const int fmts[3] = {0, 1, 0};
    mz_db *rdb = mz_db_thread_read();
    PGresult *res = rdb ? MZ_DB_EXEC_BIN(rdb, MZ_STMT_CASE_GET, vals, lens, fmts) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        mz_plog_entry e = self_entry(r, &t, key, "not_found");
        mz_plog_reply_problem(r, &e, MZ_P_NOT_FOUND, "no such case");
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    bool ok = mz_case_detail_build(r, rdb, res, false, &b);
    PQclear(res);
    if (!ok) {
        mz_buf_free(&b);
        return;
    }
    mz_plog_entry e = self_entry(r, &t, key, "success");
    mz_plog_reply(r, &e, &t, 200, &b);
}
