#include "cases_json.h"

#include <stdio.h>
#include <string.h>

void mz_ts_rfc3339(const char *pg, char out[40])
{
    size_t n = strlen(pg);
    if (n >= 39)
        n = 39;
    memcpy(out, pg, n);
    out[n] = '\0';
    char *sp = strchr(out, ' ');
    if (sp)
        *sp = 'T';
    char *tz = strstr(out, "+00");
    if (tz && (tz[3] == '\0' || (tz[3] == ':' && strcmp(tz + 3, ":00") == 0))) {
        tz[0] = 'Z';
        tz[1] = '\0';
    }
}

static const char *col(const PGresult *res, int row, int c)
{
    return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

void mz_json_ts(mz_buf *b, const PGresult *res, int row, int c)
{
    const char *v = col(res, row, c);
    if (!v) {
        mz_buf_puts(b, "null");
        return;
    }
    char ts[40];
    mz_ts_rfc3339(v, ts);
    mz_json_cstr(b, ts);
}

static void member(mz_buf *b, const char *key, const char *val)
{
    mz_json_key(b, key);
    mz_json_cstr(b, val);
}

static bool date_info(mz_buf *b, bool first, const char *key, const char *date, const char *meaning,
                      const char *label)
{
    if (!date)
        return first;
    if (!first)
        mz_buf_putc(b, ',');
    mz_json_key(b, key);
    mz_buf_putc(b, '{');
    member(b, "date", date);
    mz_buf_putc(b, ',');
    member(b, "meaning", meaning);
    mz_buf_putc(b, ',');
    member(b, "label", label);
    mz_buf_putc(b, '}');
    return false;
}

void mz_case_write(mz_buf *b, const PGresult *res, int row, bool open, bool professional)
{
    mz_buf_putc(b, '{');
    member(b, "id", col(res, row, MZ_COL_CASE_ID));
    mz_buf_puts(b, ",\"agency\":{");
    member(b, "id", col(res, row, MZ_COL_CASE_AGENCY_ID));
    mz_buf_putc(b, ',');
    member(b, "name", col(res, row, MZ_COL_CASE_AGENCY_NAME));
    mz_buf_puts(b, ",\"contact\":{");
    member(b, "url", col(res, row, MZ_COL_CASE_CONTACT_URL));
    mz_buf_putc(b, ',');
    member(b, "phone", col(res, row, MZ_COL_CASE_CONTACT_PHONE));
    if (professional) {
        mz_buf_putc(b, ',');
        member(b, "professionalPhone", col(res, row, MZ_COL_CASE_CONTACT_PRO_PHONE));
    }
    mz_buf_puts(b, "}},");
    member(b, "caseNumber", col(res, row, MZ_COL_CASE_CASE_NUMBER));
    mz_buf_putc(b, ',');
    member(b, "title", col(res, row, MZ_COL_CASE_TITLE));
    mz_buf_puts(b, ",\"caseType\":{");
    member(b, "code", col(res, row, MZ_COL_CASE_TYPE_CODE));
    mz_buf_putc(b, ',');
    member(b, "label", col(res, row, MZ_COL_CASE_TYPE_LABEL));
    mz_buf_puts(b, "},\"status\":{");
    member(b, "group", col(res, row, MZ_COL_CASE_STATUS_GROUP));
    mz_buf_putc(b, ',');
    member(b, "text", col(res, row, MZ_COL_CASE_STATUS_TEXT));
    mz_buf_puts(b, ",\"since\":");
    mz_json_ts(b, res, row, MZ_COL_CASE_STATUS_CHANGED_AT);
    const char *closed = col(res, row, MZ_COL_CASE_CLOSED_ON);
    mz_buf_puts(b, "},\"isOpen\":");
    mz_json_bool(b, closed == NULL);
    mz_buf_puts(b, ",\"dates\":{");
    bool first = true;
    first = date_info(b, first, "registered", col(res, row, MZ_COL_CASE_REGISTERED_ON),
                      "registered", "Ontvangen op");
    first = date_info(b, first, "plannedEnd", col(res, row, MZ_COL_CASE_PLANNED_END_ON),
                      "indicative", "Verwachte beslisdatum (indicatief)");
    first = date_info(b, first, "legalDeadline", col(res, row, MZ_COL_CASE_LEGAL_DEADLINE_ON),
                      "legal_deadline", "Uiterste beslisdatum (wettelijke termijn)");
    (void)date_info(b, first, "closed", closed, "closed", "Afgerond op");
    mz_buf_puts(b, "},\"result\":");
    const char *result = col(res, row, MZ_COL_CASE_RESULT_TEXT);
    if (result) {
        mz_buf_putc(b, '{');
        member(b, "text", result);
        mz_buf_putc(b, '}');
    } else {
        mz_buf_puts(b, "null");
    }
    mz_buf_puts(b, ",\"action\":");
    const char *action = col(res, row, MZ_COL_CASE_ACTION_TEXT);
    if (action) {
        mz_buf_putc(b, '{');
        member(b, "text", action);
        mz_buf_putc(b, ',');
        member(b, "url", col(res, row, MZ_COL_CASE_ACTION_URL));
        mz_buf_putc(b, ',');
        member(b, "dueDate", col(res, row, MZ_COL_CASE_ACTION_DUE_ON));
        mz_buf_putc(b, '}');
    } else {
        mz_buf_puts(b, "null");
    }
    mz_buf_puts(b, ",\"links\":{");
    member(b, "agencyPage", col(res, row, MZ_COL_CASE_DEEP_LINK_URL));
    mz_buf_puts(b, "},\"source\":{\"lastSyncedAt\":");
    mz_json_ts(b, res, row, MZ_COL_CASE_LAST_SYNCED_AT);
    mz_buf_putc(b, ',');
    member(b, "via", col(res, row, MZ_COL_CASE_LAST_SOURCE));
    mz_buf_puts(b, "},\"updatedAt\":");
    mz_json_ts(b, res, row, MZ_COL_CASE_UPDATED_AT);
    if (!open)
        mz_buf_putc(b, '}');
}

void mz_case_timeline_write(mz_buf *b, const PGresult *res)
{
    mz_buf_putc(b, '[');
    for (int i = 0; i < PQntuples(res); i++) {
        if (i)
            mz_buf_putc(b, ',');
        mz_buf_putc(b, '{');
        member(b, "statusGroup", col(res, i, MZ_COL_CASE_EVENTS_STATUS_GROUP));
        mz_buf_putc(b, ',');
        member(b, "text", col(res, i, MZ_COL_CASE_EVENTS_STATUS_TEXT));
        mz_buf_puts(b, ",\"occurredAt\":");
        mz_json_ts(b, res, i, MZ_COL_CASE_EVENTS_OCCURRED_AT);
        mz_buf_putc(b, ',');
        member(b, "source", col(res, i, MZ_COL_CASE_EVENTS_SOURCE));
        mz_buf_putc(b, '}');
    }
    mz_buf_putc(b, ']');
}

void mz_case_decisions_write(mz_buf *b, const PGresult *res)
{
    mz_buf_putc(b, '[');
    for (int i = 0; i < PQntuples(res); i++) {
        mz_buf_puts(b, i ? ",{" : "{");
        member(b, "id", col(res, i, MZ_COL_CASE_DECISIONS_ID));
        mz_buf_putc(b, ',');
        member(b, "date", col(res, i, MZ_COL_CASE_DECISIONS_DECIDED_ON));
        mz_buf_putc(b, ',');
        member(b, "effectiveFrom", col(res, i, MZ_COL_CASE_DECISIONS_EFFECTIVE_FROM));
        mz_buf_putc(b, ',');
        member(b, "effectiveUntil", col(res, i, MZ_COL_CASE_DECISIONS_EFFECTIVE_UNTIL));
        mz_buf_putc(b, ',');
        member(b, "text", col(res, i, MZ_COL_CASE_DECISIONS_EXPLANATION));
        mz_buf_puts(b, ",\"documents\":[");
        /* our ids, comma-separated (uuids hold no comma) */
        const char *ids = col(res, i, MZ_COL_CASE_DECISIONS_DOCUMENT_IDS);
        for (const char *p = ids; p && *p;) {
            size_t n = strcspn(p, ",");
            if (p != ids)
                mz_buf_putc(b, ',');
            mz_buf_putc(b, '"');
            mz_buf_append(b, p, n);
            mz_buf_putc(b, '"');
            p += n + (p[n] == ',');
        }
        mz_buf_puts(b, "]}");
    }
    mz_buf_putc(b, ']');
}

bool mz_uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}
