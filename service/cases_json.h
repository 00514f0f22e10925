/*
 * cases_json.h — the one representation of a case, written from a row of
 * the case select (CASE_COLUMNS in db_statements.c; its columns are
 * MZ_COL_CASE_* in db_columns.h) straight into a JSON buffer.
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
#include "db.h"

/* Writes one case object (without the closing brace when `open` is true,
 * so the caller can append members such as "timeline"). The professional
 * view adds the agency's contact line for professionals. */
void mz_case_write(mz_buf *b, const PGresult *res, int row, bool open, bool professional);

/* Writes the timeline array from a CASE_EVENTS result. */
void mz_case_timeline_write(mz_buf *b, const PGresult *res);

/* Writes the decisions array from a CASE_DECISIONS result (issue 16):
 * [{"id", "date", "effectiveFrom", "effectiveUntil", "text", "documents":
 * [our document ids]}], newest decision first. */
void mz_case_decisions_write(mz_buf *b, const PGresult *res);

/* Converts Postgres' ISO timestamp text in UTC ("2026-01-02 10:00:00.5+00")
 * to RFC 3339 ("2026-01-02T10:00:00.5Z"). out must hold 40 bytes. */
void mz_ts_rfc3339(const char *pg, char out[40]);

/* Writes a JSON string of a timestamp column, or null. */
void mz_json_ts(mz_buf *b, const PGresult *res, int row, int col);

/* True when s is a canonical lower- or upper-case UUID text. */
bool mz_uuid_valid(const char *s);

#endif
