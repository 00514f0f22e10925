/*
 * h_me_cases.c — GET /api/v1/me/cases and GET /api/v1/me/cases/{caseId}:
 * the citizen's own cases. The BSN comes only from the verified token and
 * is turned into its pseudonym before any query; another citizen's case id
 * answers 404, exactly like one that does not exist.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases_json.h"
#include "crypto.h"
#include "db.h"
#include "handlers.h"
#include "pagination.h"
#include "refresh.h"

static bool agency_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
        if (!ok)
            return false;
    }
    return true;
}

static void self_link(mz_buf *b, const char *status, const char *agency, int size,
                      const char *cursor)
{
    mz_buf_puts(b, "/api/v1/me/cases?pageSize=");
    mz_buf_printf(b, "%d", size);
    if (status)
        mz_buf_printf(b, "&status=%s", status);
    if (agency)
        mz_buf_printf(b, "&agency=%s", agency);
    if (cursor)
        mz_buf_printf(b, "&cursor=%s", cursor);
}

void mz_h_me_cases_list(mz_req *r)
{
    const char *status = mz_req_query(r, "status");
    const char *agency = mz_req_query(r, "agency");
    const char *cursor_s = mz_req_query(r, "cursor");
    int size;
    if (status && strcmp(status, "open") != 0 && strcmp(status, "closed") != 0) {
        mz_reply_bad_param(r, "status", "must be 'open' or 'closed'");
        return;
    }
    if (agency && !agency_id_valid(agency)) {
        mz_reply_bad_param(r, "agency", "must be an agency id (a-z, 0-9, '-')");
        return;
    }
    if (!mz_page_size_parse(mz_req_query(r, "pageSize"), &size)) {
        mz_reply_bad_param(r, "pageSize", "must be an integer from 1 to 100");
        return;
    }
    mz_cursor cur;
    if (cursor_s && !mz_cursor_decode(cursor_s, &cur)) {
        mz_reply_bad_param(r, "cursor", "is not a cursor this service issued");
        return;
    }

    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym(r->principal.bsn, 9, key);
    char sort_us[24], limit[16];
    if (cursor_s)
        snprintf(sort_us, sizeof sort_us, "%" PRId64, cur.sort_us);
    snprintf(limit, sizeof limit, "%d", size + 1);
    const char *vals[6] = {(const char *)key,        agency, status, cursor_s ? sort_us : NULL,
                           cursor_s ? cur.id : NULL, limit};
    const int lens[6] = {MZ_PSEUDONYM_LEN, 0, 0, 0, 0, 0};
    const int fmts[6] = {1, 0, 0, 0, 0, 0};
    mz_db *db = mz_db_thread();
    /* Fresh on read: the first page asks stale agencies first (bounded by
     * MZ_REFRESH_DEADLINE_MS); every page reports per-agency freshness. */
    mz_source_state sources[MZ_MAX_SOURCES];
    int nsources = db ? mz_refresh_subject(db, r->principal.bsn, key, !cursor_s, sources) : -1;
    PGresult *res = nsources >= 0 ? mz_db_exec(db, MZ_STMT_CASES_LIST, vals, lens, fmts) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    int n = PQntuples(res);
    bool more = n > size;
    if (more)
        n = size;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_reserve(&b, 1024 + (size_t)n * 900);
    mz_buf_puts(&b, "{\"items\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            mz_buf_putc(&b, ',');
        mz_case_write(&b, res, i, false);
    }
    char next[MZ_CURSOR_MAX + 1] = "";
    if (more) {
        mz_cursor c;
        c.sort_us = strtoll(PQgetvalue(res, n - 1, MZ_CC_SORT_US), NULL, 10);
        snprintf(c.id, sizeof c.id, "%s", PQgetvalue(res, n - 1, MZ_CC_ID));
        mz_cursor_encode(&c, next);
    }
    PQclear(res);
    mz_buf_printf(&b, "],\"page\":{\"size\":%d,\"next\":", size);
    mz_json_cstr(&b, more ? next : NULL);
    mz_buf_puts(&b, "},\"_links\":{\"self\":{\"href\":\"");
    self_link(&b, status, agency, size, cursor_s);
    mz_buf_puts(&b, "\"}");
    if (more) {
        mz_buf_puts(&b, ",\"next\":{\"href\":\"");
        self_link(&b, status, agency, size, next);
        mz_buf_puts(&b, "\"}");
    }
    mz_buf_puts(&b, "},\"sources\":[");
    for (int i = 0; i < nsources; i++) {
        if (i)
            mz_buf_putc(&b, ',');
        mz_buf_puts(&b, "{\"agency\":{\"id\":");
        mz_json_cstr(&b, sources[i].agency_id);
        mz_buf_puts(&b, ",\"name\":");
        mz_json_cstr(&b, sources[i].agency_name);
        mz_buf_puts(&b, "},\"freshness\":");
        mz_json_cstr(&b, mz_freshness_name(sources[i].freshness));
        mz_buf_puts(&b, ",\"lastSyncedAt\":");
        mz_json_cstr(&b, sources[i].last_synced[0] ? sources[i].last_synced : NULL);
        mz_buf_putc(&b, '}');
    }
    mz_buf_puts(&b, "]}");
    mz_reply_json(r, 200, &b);
}

void mz_h_me_case_get(mz_req *r)
{
    const char *id = mz_req_param(r, "caseId");
    if (!mz_uuid_valid(id)) {
        mz_reply_problem(r, 400, "bad-parameter", "Invalid path parameter",
                         "caseId must be a UUID");
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym(r->principal.bsn, 9, key);
    const char *vals[2] = {id, (const char *)key};
    const int lens[2] = {0, MZ_PSEUDONYM_LEN};
    const int fmts[2] = {0, 1};
    mz_db *db = mz_db_thread();
    PGresult *res = db ? mz_db_exec(db, MZ_STMT_CASE_GET, vals, lens, fmts) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        {
            mz_reply_problem(r, 404, "not-found", "Not found", "no such case");
            return;
        }
    }
    PGresult *ev = mz_db_exec(db, MZ_STMT_CASE_EVENTS, vals, NULL, NULL);
    if (!mz_db_ok(ev)) {
        PQclear(res);
        PQclear(ev);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_case_write(&b, res, 0, true);
    mz_buf_puts(&b, ",\"timeline\":");
    mz_case_timeline_write(&b, ev);
    mz_buf_putc(&b, '}');
    PQclear(res);
    PQclear(ev);
    mz_reply_json(r, 200, &b);
}
