/*
 * purge.c — `mijnzaken purge` (retention); see purge.h.
 *
 * The retention statements run in one transaction (the event count
 * first, because deleting a case cascades to its events); --dry-run rolls
 * back instead of committing.
 */
#include "purge.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"

/* Runs a statement answering one count; false (logged) on failure. */
static bool exec_count(mz_db *db, mz_stmt id, const char *days, long long *out)
{
    const char *v[1] = {days};
    PGresult *r = MZ_DB_EXEC(db, id, v);
    bool ok = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok)
        *out = strtoll(PQgetvalue(r, 0, MZ_COL_PURGE_COUNT_ROWS), NULL, 10);
    else
        mz_db_log_failure("purge failed", id, r);
    PQclear(r);
    return ok;
}

int mz_cmd_purge(int argc, char **argv)
{
    bool dry = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0) {
            dry = true;
        } else {
            fprintf(stderr, "unknown option %s\nusage: mijnzaken purge [--dry-run]\n", argv[i]);
            return 2;
        }
    }
    char closed_days[24], log_days[24], inbox_days[24], notify_days[24], contact_days[24];
    snprintf(closed_days, sizeof closed_days, "%ld", g_mz_config.retention_closed_days);
    snprintf(log_days, sizeof log_days, "%ld", g_mz_config.retention_log_days);
    snprintf(inbox_days, sizeof inbox_days, "%ld", g_mz_config.retention_inbox_days);
    snprintf(notify_days, sizeof notify_days, "%ld", g_mz_config.retention_notify_days);
    snprintf(contact_days, sizeof contact_days, "%ld", g_mz_config.retention_contact_days);

    mz_db *db = mz_db_connect_config();
    if (!db)
        return 1;
    if (!mz_db_begin(db)) {
        mz_log_msg_str(MZ_LOG_ERROR, "purge failed", "error", "cannot begin a transaction");
        mz_db_close(db);
        return 1;
    }
    /* Order matters: the events are counted before their cases go. */
    struct {
        mz_stmt id;
        const char *days;
        long long n;
    } step[] = {
        {MZ_STMT_PURGE_COUNT_EVENTS, closed_days, 0},
        {MZ_STMT_PURGE_CASES, closed_days, 0},
        {MZ_STMT_PURGE_PLOG, log_days, 0},
        {MZ_STMT_PURGE_AUDIT, log_days, 0},
        {MZ_STMT_PURGE_INBOX, inbox_days, 0},
        /* expired sessions and sign-in requests (009): no grace, they are dead */
        {MZ_STMT_PURGE_SESSIONS, "0", 0},
        {MZ_STMT_PURGE_OIDC_FLOWS, "0", 0},
        /* notification preferences (011) of subjects with no case left, untouched as long
         * as a closed case is kept: their outbox rows and verifications cascade */
        {MZ_STMT_NOTIFY_PURGE, closed_days, 0},
        /* sent and failed messages (and reminder keys past their due date, 013): the
         * delivery record is kept MZ_RETENTION_NOTIFY_DAYS */
        {MZ_STMT_NOTIFY_PURGE_OUTBOX, notify_days, 0},
        /* contact moments (015): personal data with their own retention; their hand-overs
         * cascade */
        {MZ_STMT_CONTACT_PURGE, contact_days, 0},
    };
    for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
        if (!exec_count(db, step[i].id, step[i].days, &step[i].n)) {
            mz_db_rollback(db);
            mz_db_close(db);
            return 1;
        }
    }
    if (dry) {
        mz_db_rollback(db);
    } else if (!mz_db_commit(db)) {
        mz_log_msg_str(MZ_LOG_ERROR, "purge failed", "error", "the commit failed");
        mz_db_close(db);
        return 1;
    }
    mz_db_close(db);

    /* The sessions run in UTC, so current_date - N is this date. */
    time_t cut = time(NULL) - (time_t)g_mz_config.retention_closed_days * 86400;
    struct tm tm;
    char date[16] = "?";
    if (gmtime_r(&cut, &tm))
        strftime(date, sizeof date, "%Y-%m-%d", &tm);
    long long events = step[0].n, cases = step[1].n, plog = step[2].n, audit = step[3].n,
              inbox = step[4].n, sessions = step[5].n, flows = step[6].n, prefs = step[7].n,
              msgs = step[8].n, contacts = step[9].n;
    if (dry)
        printf("purge: would remove %lld cases (%lld events) closed before %s, %lld "
               "processing-log records, %lld audit records, %lld inbox rows, %lld expired "
               "sessions, %lld expired sign-in requests, %lld notification preferences, %lld "
               "notification messages, %lld contact moments (dry run: nothing removed)\n",
               cases, events, date, plog, audit, inbox, sessions, flows, prefs, msgs, contacts);
    else
        printf("purge: %lld cases (%lld events) closed before %s, %lld processing-log records, "
               "%lld audit records, %lld inbox rows, %lld expired sessions, %lld expired sign-in "
               "requests, %lld notification preferences, %lld notification messages, %lld contact "
               "moments removed\n",
               cases, events, date, plog, audit, inbox, sessions, flows, prefs, msgs, contacts);
    fflush(stdout);

    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, dry ? "purge dry run finished" : "purge finished");
    mz_log_int(&l, "cases", cases);
    mz_log_int(&l, "events", events);
    mz_log_int(&l, "processing_log", plog);
    mz_log_int(&l, "audit_log", audit);
    mz_log_int(&l, "inbox", inbox);
    mz_log_int(&l, "sessions", sessions);
    mz_log_int(&l, "oidc_flows", flows);
    mz_log_int(&l, "notify_preferences", prefs);
    mz_log_int(&l, "notify_outbox", msgs);
    mz_log_int(&l, "contact_moments", contacts);
    mz_log_end(&l);
    return 0;
}
