/*
 * h_access_log.c — GET /api/v1/me/access-log: the citizen sees when their
 * data was looked at, by which organisation and for which purpose — never
 * who (the employee is only in the audit record). Their own views are left
 * out. Newest first, paginated with an opaque cursor. Reading it is itself
 * a read of their data, and logged as such. Each entry says whether it was
 * recorded under this service's own organisation ("operator").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activities.h"
#include "cases_json.h"
#include "config.h"
#include "crypto.h"
#include "handlers.h"
#include "pagination.h"
#include "plog.h"
#include "plog_commit.h"

void mz_h_me_access_log(mz_req *r)
{
    int size;
    if (!mz_page_size_parse(mz_req_query(r, "pageSize"), &size)) {
        mz_reply_bad_param(r, "pageSize", "must be an integer from 1 to 100");
        return;
    }
    const char *cursor = mz_req_query(r, "cursor");
    int64_t before = 0;
    if (cursor && !mz_id_cursor_decode(cursor, &before)) {
        mz_reply_bad_param(r, "cursor", "is not a cursor this service issued");
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    char before_s[24], limit[16];
    snprintf(before_s, sizeof before_s, "%" PRId64, before);
    snprintf(limit, sizeof limit, "%d", size + 1);
    const char *v[4] = {(const char *)key, MZ_ACTIVITY_SELF, cursor ? before_s : NULL, limit};
    const int lens[4] = {MZ_PSEUDONYM_LEN, 0, 0, 0};
    const int fmts[4] = {1, 0, 0, 0};
    mz_db *rdb = mz_db_thread_read();
    PGresult *res = rdb ? MZ_DB_EXEC_BIN(rdb, MZ_STMT_ACCESS_LOG_LIST, v, lens, fmts) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the processing log is unavailable; try again shortly");
        return;
    }
    int n = PQntuples(res);
    bool more = n > size;
    if (more)
        n = size;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"items\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            mz_buf_putc(&b, ',');
        mz_buf_puts(&b, "{\"at\":");
        mz_json_ts(&b, res, i, MZ_COL_ACCESS_LOG_LIST_STARTED_AT);
        const char *org = PQgetvalue(res, i, MZ_COL_ACCESS_LOG_LIST_ORGANISATION);
        mz_buf_puts(&b, ",\"organisation\":");
        mz_json_cstr(&b, org);
        /* Recorded under this service's own organisation (MZ_ORGANISATION;
         * e.g. a professional whose token named none): the portal then
         * points the citizen at whoever runs MijnZaken, since the name alone
         * (by default "MijnZaken") says nothing about whom to ask. */
        const char *own = g_mz_config.organisation;
        bool by_rep = PQgetvalue(res, i, MZ_COL_ACCESS_LOG_LIST_BY_REPRESENTATIVE)[0] == 't';
        /* A representative's read is recorded under the service's name too,
         * but it was not the operator who looked: never say so. */
        mz_buf_puts(&b, !by_rep && own && *own && strcmp(org, own) == 0 ? ",\"operator\":true"
                                                                        : ",\"operator\":false");
        mz_buf_puts(&b, ",\"purpose\":{\"id\":");
        mz_json_cstr(&b, PQgetvalue(res, i, MZ_COL_ACCESS_LOG_LIST_ACTIVITY_ID));
        mz_buf_puts(&b, ",\"name\":");
        mz_json_cstr(&b, PQgetvalue(res, i, MZ_COL_ACCESS_LOG_LIST_ACTIVITY_NAME));
        mz_buf_puts(&b, "},\"outcome\":");
        mz_json_cstr(&b, PQgetvalue(res, i, MZ_COL_ACCESS_LOG_LIST_OUTCOME));
        /* Someone acted for the citizen (`act`): said so, without naming
         * them (docs/security.md, "Representation": the citizen knows whom
         * they authorised; the operator can name the actor from the
         * pseudonym on an access request). */
        if (by_rep)
            mz_buf_puts(&b, ",\"viewedBy\":\"representative\","
                            "\"description\":\"bekeken door uw gemachtigde\"");
        mz_buf_putc(&b, '}');
    }
    char next[MZ_CURSOR_MAX + 1] = "";
    if (more)
        mz_id_cursor_encode(strtoll(PQgetvalue(res, n - 1, MZ_COL_ACCESS_LOG_LIST_ID), NULL, 10),
                            next);
    PQclear(res);
    mz_buf_printf(&b, "],\"page\":{\"size\":%d,\"next\":", size);
    mz_json_cstr(&b, more ? next : NULL);
    mz_buf_printf(&b, "},\"_links\":{\"self\":{\"href\":\"/api/v1/me/access-log?pageSize=%d%s%s\"}",
                  size, cursor ? "&cursor=" : "", cursor ? cursor : "");
    if (more)
        mz_buf_printf(&b, ",\"next\":{\"href\":\"/api/v1/me/access-log?pageSize=%d&cursor=%s\"}",
                      size, next);
    mz_buf_puts(&b, "}}");
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
    mz_plog_reply(r, &e, &t, 200, &b);
}
