/*
 * h_agencies.c — the admin view of agencies: GET /api/v1/agencies (sync
 * health per agency, inbox backlog and given-up rows) and POST
 * /api/v1/agencies/{agencyId}/sync (run a sync now). Both for tokens whose
 * roles contain "admin".
 *
 * Per agency, besides sync health and the inbox: "skips" (records the last
 * successful sync did not store, by reason, and running totals) and
 * "conflicts" (cases a source named another subject for: refused, the case
 * kept by its owner; our case ids only, to resolve them by).
 */
#include <stdio.h>
#include <string.h>

#include "agencies.h"
#include "bsn.h"
#include "cases_json.h"
#include "db.h"
#include "handlers.h"
#include "sync.h"

static const char *col(const PGresult *r, int row, int c)
{
    return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static void int_or_null(mz_buf *b, const char *v)
{
    mz_buf_puts(b, v ? v : "null");
}

/* `,"skips":{...},"conflicts":{...}` for agency id from the agencies_trust
 * rows (JSON members built by Postgres: valid JSON by construction). */
static void trust_json(mz_buf *b, const PGresult *t, const char *id)
{
    int k = 0;
    while (k < PQntuples(t) && strcmp(PQgetvalue(t, k, MZ_COL_AGENCIES_TRUST_AGENCY_ID), id) != 0)
        k++;
    bool have = k < PQntuples(t);
    mz_buf_puts(b, ",\"skips\":{\"lastRun\":");
    int_or_null(b, have ? col(t, k, MZ_COL_AGENCIES_TRUST_LAST_SKIPPED) : NULL);
    mz_buf_puts(b, ",\"lastRunReasons\":");
    mz_buf_puts(b, have && col(t, k, MZ_COL_AGENCIES_TRUST_LAST_SKIP_REASONS)
                       ? col(t, k, MZ_COL_AGENCIES_TRUST_LAST_SKIP_REASONS)
                       : "{}");
    mz_buf_puts(b, ",\"totals\":");
    mz_buf_puts(b, have ? PQgetvalue(t, k, MZ_COL_AGENCIES_TRUST_SKIP_TOTALS) : "{}");
    mz_buf_puts(b, "},\"conflicts\":{\"cases\":");
    mz_buf_puts(b, have ? PQgetvalue(t, k, MZ_COL_AGENCIES_TRUST_CONFLICT_CASES) : "0");
    mz_buf_puts(b, ",\"detections\":");
    mz_buf_puts(b, have ? PQgetvalue(t, k, MZ_COL_AGENCIES_TRUST_CONFLICT_DETECTIONS) : "0");
    mz_buf_puts(b, ",\"lastDetectedAt\":");
    if (have)
        mz_json_ts(b, t, k, MZ_COL_AGENCIES_TRUST_LAST_DETECTED_AT);
    else
        mz_buf_puts(b, "null");
    mz_buf_puts(b, ",\"recent\":");
    mz_buf_puts(b, have ? PQgetvalue(t, k, MZ_COL_AGENCIES_TRUST_RECENT_CONFLICTS) : "[]");
    mz_buf_putc(b, '}');
}

/* How many of the agency's inbox rows were given up, and the newest few
 * (kind, attempts, when, the last error) from `recent` (inbox_dead_recent,
 * ordered by agency). The error texts are the service's own; one holding a
 * BSN-like number is withheld here too, whatever wrote it. */
#define RECENT_DEAD 3
static void inbox_dead_json(mz_buf *b, const char *dead, const PGresult *recent, const char *id)
{
    mz_buf_puts(b, ",\"dead\":");
    mz_buf_puts(b, dead ? dead : "0");
    mz_buf_puts(b, ",\"recentDead\":[");
    bool first = true;
    for (int i = 0; recent && i < PQntuples(recent); i++) {
        if (strcmp(PQgetvalue(recent, i, MZ_COL_INBOX_DEAD_RECENT_AGENCY_ID), id) != 0)
            continue;
        const char *err = col(recent, i, MZ_COL_INBOX_DEAD_RECENT_ERROR);
        if (err && mz_contains_bsn_like(err, strlen(err)))
            err = "processing failed (detail withheld)";
        mz_buf_puts(b, first ? "{\"kind\":" : ",{\"kind\":");
        first = false;
        mz_json_cstr(b, PQgetvalue(recent, i, MZ_COL_INBOX_DEAD_RECENT_KIND));
        mz_buf_puts(b, ",\"attempts\":");
        mz_buf_puts(b, PQgetvalue(recent, i, MZ_COL_INBOX_DEAD_RECENT_ATTEMPTS));
        mz_buf_puts(b, ",\"deadAt\":");
        mz_json_ts(b, recent, i, MZ_COL_INBOX_DEAD_RECENT_DEAD_AT);
        mz_buf_puts(b, ",\"error\":");
        mz_json_cstr(b, err);
        mz_buf_putc(b, '}');
    }
    mz_buf_putc(b, ']');
}

void mz_h_agencies_list(mz_req *r)
{
    mz_db *db = mz_db_thread_read();
    PGresult *res = db ? MZ_DB_EXEC0(db, MZ_STMT_AGENCIES_ADMIN) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    PGresult *inbox = MZ_DB_EXEC0(db, MZ_STMT_INBOX_STATS);
    char nrecent[8];
    snprintf(nrecent, sizeof nrecent, "%d", RECENT_DEAD);
    const char *dv[1] = {nrecent};
    PGresult *dead = mz_db_ok(inbox) ? MZ_DB_EXEC(db, MZ_STMT_INBOX_DEAD_RECENT, dv) : NULL;
    if (!mz_db_ok(inbox) || !mz_db_ok(dead)) {
        PQclear(res);
        PQclear(inbox);
        PQclear(dead);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    PGresult *trust = MZ_DB_EXEC0(db, MZ_STMT_AGENCIES_TRUST);
    if (!mz_db_ok(trust)) {
        PQclear(res);
        PQclear(inbox);
        PQclear(dead);
        PQclear(trust);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"items\":[");
    for (int i = 0; i < PQntuples(res); i++) {
        const char *id = col(res, i, MZ_COL_AGENCIES_ADMIN_ID);
        const mz_agency *cfg = mz_agencies_find(mz_agencies_current(), id);
        if (i)
            mz_buf_putc(&b, ',');
        mz_buf_puts(&b, "{\"id\":");
        mz_json_cstr(&b, id);
        mz_buf_puts(&b, ",\"name\":");
        mz_json_cstr(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_NAME));
        mz_buf_puts(&b, ",\"adapterKind\":");
        mz_json_cstr(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_ADAPTER_KIND));
        mz_buf_puts(&b, ",\"enabled\":");
        mz_json_bool(&b, strcmp(col(res, i, MZ_COL_AGENCIES_ADMIN_ENABLED), "t") == 0);
        mz_buf_puts(&b, ",\"configured\":");
        mz_json_bool(&b, cfg && cfg->state);
        mz_buf_puts(&b, ",\"cases\":");
        mz_buf_puts(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_CASES));
        mz_buf_puts(&b, ",\"sync\":{\"lastSuccessAt\":");
        mz_json_ts(&b, res, i, MZ_COL_AGENCIES_ADMIN_LAST_SUCCESS_AT);
        mz_buf_puts(&b, ",\"lastAttemptAt\":");
        mz_json_ts(&b, res, i, MZ_COL_AGENCIES_ADMIN_LAST_ATTEMPT_AT);
        mz_buf_puts(&b, ",\"lastError\":");
        mz_json_cstr(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_LAST_ERROR));
        mz_buf_puts(&b, ",\"consecutiveFailures\":");
        mz_buf_puts(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_FAILURES));
        mz_buf_puts(&b, ",\"nextRunAt\":");
        mz_json_ts(&b, res, i, MZ_COL_AGENCIES_ADMIN_NEXT_RUN_AT);
        mz_buf_puts(&b, ",\"running\":");
        mz_json_bool(&b, strcmp(col(res, i, MZ_COL_AGENCIES_ADMIN_RUNNING), "t") == 0);
        mz_buf_puts(&b, ",\"lastDurationMs\":");
        int_or_null(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_LAST_DURATION_MS));
        mz_buf_puts(&b, ",\"lastSeen\":");
        int_or_null(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_LAST_SEEN));
        mz_buf_puts(&b, ",\"lastApplied\":");
        int_or_null(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_LAST_APPLIED));
        mz_buf_puts(&b, ",\"runs\":");
        mz_buf_puts(&b, col(res, i, MZ_COL_AGENCIES_ADMIN_RUNS));
        mz_buf_puts(&b, "},\"inbox\":{");
        int k = 0;
        while (k < PQntuples(inbox) &&
               strcmp(PQgetvalue(inbox, k, MZ_COL_INBOX_STATS_AGENCY_ID), id) != 0)
            k++;
        bool have = k < PQntuples(inbox);
        mz_buf_puts(&b, "\"pending\":");
        mz_buf_puts(&b, have ? PQgetvalue(inbox, k, MZ_COL_INBOX_STATS_PENDING) : "0");
        mz_buf_puts(&b, ",\"failing\":");
        mz_buf_puts(&b, have ? PQgetvalue(inbox, k, MZ_COL_INBOX_STATS_FAILING) : "0");
        mz_buf_puts(&b, ",\"oldestPendingAt\":");
        if (have)
            mz_json_ts(&b, inbox, k, MZ_COL_INBOX_STATS_OLDEST_PENDING_AT);
        else
            mz_buf_puts(&b, "null");
        inbox_dead_json(&b, have ? PQgetvalue(inbox, k, MZ_COL_INBOX_STATS_DEAD) : NULL, dead, id);
        mz_buf_putc(&b, '}');
        trust_json(&b, trust, id);
        mz_buf_putc(&b, '}');
    }
    mz_buf_puts(&b, "]}");
    PQclear(res);
    PQclear(inbox);
    PQclear(trust);
    PQclear(dead);
    mz_reply_json(r, 200, &b);
}

void mz_h_agency_sync(mz_req *r)
{
    const char *id = mz_req_param(r, "agencyId");
    const mz_agency *a = mz_agencies_find(mz_agencies_current(), id);
    if (!a) {
        mz_reply_problem(r, MZ_P_NOT_FOUND, "no such agency");
        return;
    }
    if (!a->state || !a->enabled) {
        mz_reply_problem(r, MZ_P_CONFLICT, "this agency has no enabled adapter to sync from");
        return;
    }
    mz_db *db = mz_db_thread();
    const char *v[1] = {a->id};
    PGresult *res = db ? MZ_DB_EXEC(db, MZ_STMT_SYNC_TRIGGER, v) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    bool running =
        PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, MZ_COL_SYNC_TRIGGER_RUNNING), "t") == 0;
    PQclear(res);
    mz_scheduler_wake();
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"agencyId\":");
    mz_json_cstr(&b, a->id);
    mz_buf_puts(&b, running ? ",\"status\":\"running\"}" : ",\"status\":\"scheduled\"}");
    mz_reply_json(r, 202, &b);
}
