/*
 * cases_json.h — the one representation of a case, written from a row of
 * the CASE_COLUMNS select (db_statements.c) straight into a JSON buffer.
 *
 * Why one writer: the citizen list, the citizen detail and (later) the
 * professional view must show the same case the same way; building JSON in
 * C from plain rows is also about twice as cheap for Postgres as json_agg.
 */
#ifndef MZ_CASES_JSON_H
#define MZ_CASES_JSON_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "buf.h"

/* Column indexes of CASE_COLUMNS. */
enum {
    MZ_CC_ID,
    MZ_CC_AGENCY_ID,
    MZ_CC_AGENCY_NAME,
    MZ_CC_CONTACT_URL,
    MZ_CC_CONTACT_PHONE,
    MZ_CC_CASE_NUMBER,
    MZ_CC_TITLE,
    MZ_CC_TYPE_CODE,
    MZ_CC_TYPE_LABEL,
    MZ_CC_STATUS_GROUP,
    MZ_CC_STATUS_TEXT,
    MZ_CC_STATUS_CHANGED_AT,
    MZ_CC_REGISTERED_ON,
    MZ_CC_PLANNED_END_ON,
    MZ_CC_LEGAL_DEADLINE_ON,
    MZ_CC_CLOSED_ON,
    MZ_CC_RESULT_TEXT,
    MZ_CC_ACTION_TEXT,
    MZ_CC_ACTION_URL,
    MZ_CC_ACTION_DUE_ON,
    MZ_CC_DEEP_LINK_URL,
    MZ_CC_LAST_SYNCED_AT,
    MZ_CC_LAST_SOURCE,
    MZ_CC_UPDATED_AT,
    MZ_CC_SORT_US,
    MZ_CC_CONTACT_PRO_PHONE,
    MZ_CC_EXTERNAL_ID,
    MZ_CC__COUNT
};

/* Writes one case object (without the closing brace when `open` is true,
 * so the caller can append members such as "timeline"). The professional
 * view adds the agency's contact line for professionals. */
void mz_case_write(mz_buf *b, const PGresult *res, int row, bool open, bool professional);

/* Writes the timeline array from a CASE_EVENTS result. */
void mz_case_timeline_write(mz_buf *b, const PGresult *res);

/* Converts Postgres' ISO timestamp text in UTC ("2026-01-02 10:00:00.5+00")
 * to RFC 3339 ("2026-01-02T10:00:00.5Z"). out must hold 40 bytes. */
void mz_ts_rfc3339(const char *pg, char out[40]);

/* Writes a JSON string of a timestamp column, or null. */
void mz_json_ts(mz_buf *b, const PGresult *res, int row, int col);

/* True when s is a canonical lower- or upper-case UUID text. */
bool mz_uuid_valid(const char *s);

#endif
