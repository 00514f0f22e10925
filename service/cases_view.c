#include "cases_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agencies.h"
#include "cases_json.h"
#include "refresh.h"

static void bad(mz_req *r, bool body, const char *field, const char *why)
{
    if (!body) {
        mz_reply_bad_param(r, field, why);
        return;
    }
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s", field, why);
    mz_reply_problem(r, MZ_P_BAD_REQUEST, msg);
}

bool mz_list_query_check(mz_req *r, mz_list_query *q, bool body)
{
    if (q->status && strcmp(q->status, "open") != 0 && strcmp(q->status, "closed") != 0) {
        bad(r, body, "status", "must be 'open' or 'closed'");
        return false;
    }
    if (q->agency && !mz_agency_id_valid(q->agency)) {
        bad(r, body, "agency", "must be an agency id (a-z, 0-9, '-')");
        return false;
    }
    if (q->size < 1 || q->size > MZ_PAGE_MAX) {
        bad(r, body, "pageSize", "must be an integer from 1 to 100");
        return false;
    }
    if (q->cursor && !mz_cursor_decode(q->cursor, &q->cur)) {
        bad(r, body, "cursor", "is not a cursor this service issued");
        return false;
    }
    return true;
}

/* An agency id in a text[] literal "{a,b}" (NULL: every agency). */
static bool in_scope(const char *scope, const char *id)
{
    if (!scope)
        return true;
    size_t n = strlen(id);
    for (const char *p = scope + (*scope == '{'); *p && *p != '}';) {
        size_t l = strcspn(p, ",}");
        if (l == n && strncmp(p, id, n) == 0)
            return true;
        p += l + (p[l] == ',');
    }
    return false;
}

static void write_link(mz_buf *b, const char *path, const mz_list_query *q, const char *cursor,
                       bool params)
{
    mz_buf_puts(b, path);
    if (!params)
        return;
    mz_buf_printf(b, "?pageSize=%d", q->size);
    if (q->status)
        mz_buf_printf(b, "&status=%s", q->status);
    if (q->agency)
        mz_buf_printf(b, "&agency=%s", q->agency);
    if (cursor)
        mz_buf_printf(b, "&cursor=%s", cursor);
}

bool mz_cases_list_build(mz_req *r, mz_db *rdb, mz_db *wdb, const mz_subject *subject,
                         const unsigned char key[MZ_PSEUDONYM_LEN], const mz_list_query *q,
                         bool professional, const char *self_path, mz_buf *out)
{
    char sort_us[24], limit[16];
    if (q->cursor)
        snprintf(sort_us, sizeof sort_us, "%" PRId64, q->cur.sort_us);
    snprintf(limit, sizeof limit, "%d", q->size + 1);
    const char *vals[7] = {(const char *)key,
                           q->agency,
                           q->status,
                           q->cursor ? sort_us : NULL,
                           q->cursor ? q->cur.id : NULL,
                           limit,
                           q->scope};
    const int lens[7] = {MZ_PSEUDONYM_LEN, 0, 0, 0, 0, 0, 0};
    const int fmts[7] = {1, 0, 0, 0, 0, 0, 0};
    /* A filter on an agency that does not exist is the client's mistake
     * (a typo would otherwise read as "no cases there"): 400 naming it,
     * before anything is refreshed or logged. */
    if (q->agency) {
        const char *av[1] = {q->agency};
        PGresult *ar = rdb ? MZ_DB_EXEC(rdb, MZ_STMT_AGENCY_EXISTS, av) : NULL;
        if (!mz_db_ok(ar)) {
            PQclear(ar);
            mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
            return false;
        }
        bool known = PQntuples(ar) == 1;
        PQclear(ar);
        if (!known) {
            bad(r, professional, "agency", "is not a known agency");
            return false;
        }
    }
    /* Fresh on read: the first page asks stale agencies first (bounded by
     * MZ_REFRESH_DEADLINE_MS); every page reports per-agency freshness.
     * The freshness and the list go in one round trip (pipelined); only
     * when a refresh stored something is the list read again, from the
     * primary, so the answer shows what was just fetched. */
    mz_source_state sources[MZ_MAX_SOURCES];
    bool refreshed = false;
    const mz_db_call calls[2] = {{MZ_STMT_SUBJECT_FRESHNESS, 1, vals, lens, fmts},
                                 {MZ_STMT_CASES_LIST, MZ_NVALUES(vals), vals, lens, fmts}};
    PGresult *both[2] = {NULL, NULL};
    if (rdb)
        (void)mz_db_exec_pipeline(rdb, calls, 2, both);
    long stable = 0;
    int nsources = mz_refresh_subject_stable(both[0], subject, key, subject && !q->cursor, sources,
                                             &refreshed, &stable);
    if (q->stable_s)
        *q->stable_s = refreshed ? 0 : stable;
    PGresult *res = both[1];
    if (nsources >= 0 && refreshed) {
        PQclear(res);
        res = MZ_DB_EXEC_BIN(wdb ? wdb : rdb, MZ_STMT_CASES_LIST, vals, lens, fmts);
    }
    if (nsources < 0) {
        PQclear(res);
        res = NULL;
    }
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return false;
    }
    int n = PQntuples(res);
    bool more = n > q->size;
    if (more)
        n = q->size;
    mz_buf *b = out;
    mz_buf_reserve(b, 1024 + (size_t)n * 900);
    mz_buf_puts(b, "{\"items\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            mz_buf_putc(b, ',');
        mz_case_write(b, res, i, false, professional);
    }
    char next[MZ_CURSOR_MAX + 1] = "";
    if (more) {
        mz_cursor c;
        c.sort_us = strtoll(PQgetvalue(res, n - 1, MZ_COL_CASE_SORT_US), NULL, 10);
        snprintf(c.id, sizeof c.id, "%s", PQgetvalue(res, n - 1, MZ_COL_CASE_ID));
        mz_cursor_encode(&c, next);
    }
    PQclear(res);
    /* GET lists link with their query; a POST search links only its path
     * (its cursor travels in the body). */
    bool params = !professional;
    mz_buf_printf(b, "],\"page\":{\"size\":%d,\"next\":", q->size);
    mz_json_cstr(b, more ? next : NULL);
    mz_buf_puts(b, "},\"_links\":{\"self\":{\"href\":\"");
    write_link(b, self_path, q, q->cursor, params);
    mz_buf_puts(b, "\"}");
    if (more && params) {
        mz_buf_puts(b, ",\"next\":{\"href\":\"");
        write_link(b, self_path, q, next, params);
        mz_buf_puts(b, "\"}");
    }
    mz_buf_puts(b, "},\"sources\":[");
    bool first_source = true;
    for (int i = 0; i < nsources; i++) {
        /* a representative's scope: only the agencies it covers */
        if (!in_scope(q->scope, sources[i].agency_id))
            continue;
        if (!first_source)
            mz_buf_putc(b, ',');
        first_source = false;
        mz_buf_puts(b, "{\"agency\":{\"id\":");
        mz_json_cstr(b, sources[i].agency_id);
        mz_buf_puts(b, ",\"name\":");
        mz_json_cstr(b, sources[i].agency_name);
        mz_buf_puts(b, "},\"freshness\":");
        mz_json_cstr(b, mz_freshness_name(sources[i].freshness));
        mz_buf_puts(b, ",\"lastSyncedAt\":");
        mz_json_cstr(b, sources[i].last_synced[0] ? sources[i].last_synced : NULL);
        mz_buf_puts(b, ",\"lastPushAt\":");
        mz_json_cstr(b, sources[i].last_push[0] ? sources[i].last_push : NULL);
        mz_buf_putc(b, '}');
    }
    mz_buf_puts(b, "]}");
    return true;
}

bool mz_case_detail_build(mz_req *r, mz_db *db, const PGresult *res, bool professional, mz_buf *out)
{
    const char *v[1] = {PQgetvalue(res, 0, MZ_COL_CASE_ID)};
    PGresult *ev = MZ_DB_EXEC(db, MZ_STMT_CASE_EVENTS, v);
    if (!mz_db_ok(ev)) {
        PQclear(ev);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return false;
    }
    /* The decisions (issue 16): a second small query, by the case's id. */
    PGresult *dec = MZ_DB_EXEC(db, MZ_STMT_CASE_DECISIONS, v);
    if (!mz_db_ok(dec)) {
        PQclear(ev);
        PQclear(dec);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return false;
    }
    mz_case_write(out, res, 0, true, professional);
    mz_buf_puts(out, ",\"timeline\":");
    mz_case_timeline_write(out, ev);
    mz_buf_puts(out, ",\"decisions\":");
    mz_case_decisions_write(out, dec);
    mz_buf_putc(out, '}');
    PQclear(ev);
    PQclear(dec);
    return true;
}
