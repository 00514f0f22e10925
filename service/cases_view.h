/*
 * cases_view.h — building case lists and case details for one data subject,
 * shared by the citizen's view (/me/...) and the professional's look-up
 * (/cases/...), which differ only in who asks, how the subject is named
 * (token or POST body), and what the processing log records.
 *
 * The builders do not reply on success: the caller first writes the
 * processing log, and replies only when that worked (no unlogged access).
 * On failure they have replied (400/503) and return false.
 *
 * Ownership: *out belongs to the caller (mz_reply_json takes it).
 */
#ifndef MZ_CASES_VIEW_H
#define MZ_CASES_VIEW_H

#include <stdbool.h>

#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "pagination.h"

typedef struct mz_list_query {
    const char *status; /* "open", "closed" or NULL */
    const char *agency; /* agency id or NULL */
    const char *cursor; /* as given, or NULL */
    int size;
    mz_cursor cur;     /* decoded when cursor != NULL */
    const char *scope; /* a representative's agencies as a text[] literal, or NULL */
    long *stable_s;    /* out when not NULL: seconds the answer stays exact by time
                          alone (refresh.h: mz_refresh_subject_stable); 0 = not cacheable */
} mz_list_query;

/* Validates the fields (400 naming the field on a problem); `where` is
 * "query parameter" or "body member" for the message. */
bool mz_list_query_check(mz_req *r, mz_list_query *q, bool body);

/* The subject's cases (refreshing stale agencies first on the first page
 * when subject is given). An agency filter naming no agency is 400. self_href
 * is the path of the self link. Reads go to rdb (a replica, possibly),
 * except right after a refresh stored something: then to the primary wdb,
 * so the answer shows what was just fetched. */
bool mz_cases_list_build(mz_req *r, mz_db *rdb, mz_db *wdb, const mz_subject *subject,
                         const unsigned char key[MZ_PSEUDONYM_LEN], const mz_list_query *q,
                         bool professional, const char *self_path, mz_buf *out);

/* A case with its timeline from a CASE_GET/CASE_GET_ANY result row 0. */
bool mz_case_detail_build(mz_req *r, mz_db *db, const PGresult *res, bool professional,
                          mz_buf *out);

#endif
