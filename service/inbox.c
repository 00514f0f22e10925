#include "inbox.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "bsn.h"
#include "buf.h"
#include "config.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "outbound.h"
#include "sync.h"
#include "worker.h"

mz_inbox_result mz_inbox_put(mz_db *db, const char *agency_id, const char *kind,
                             const char *event_id, const char *body)
{
    const char *v[4] = {agency_id, kind, event_id, body};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_INBOX_INSERT, v);
    if (!mz_db_ok(r)) {
        PQclear(r);
        return MZ_INBOX_UNAVAILABLE;
    }
    mz_inbox_result res = PQntuples(r) == 1 ? MZ_INBOX_STORED : MZ_INBOX_DUPLICATE;
    PQclear(r);
    return res;
}

/* --- processing one row */

typedef struct replay_ud {
    mz_store_sink *sink;
} replay_ud;

static bool replay_emit(void *ud, const mz_case_record *rec)
{
    mz_store_sink *s = ((replay_ud *)ud)->sink;
    return s->sink.emit(&s->sink, rec);
}

/* Applies one row's effects through sink (whose report is *rep), inside
 * the caller's transaction (nothing here commits): exactly once with the
 * commit that also marks the row done. */
static bool apply_row(mz_store_sink *sink, mz_sync_report *rep, const mz_agencies *set,
                      PGresult *rows, int i, char *err, size_t errlen)
{
    const char *agency_id = PQgetvalue(rows, i, MZ_COL_INBOX_ROW_AGENCY_ID);
    const char *kind = PQgetvalue(rows, i, MZ_COL_INBOX_ROW_KIND),
               *event_id = PQgetvalue(rows, i, MZ_COL_INBOX_ROW_EVENT_ID);
    const char *body = PQgetvalue(rows, i, MZ_COL_INBOX_ROW_BODY);
    size_t len = (size_t)PQgetlength(rows, i, MZ_COL_INBOX_ROW_BODY);
    size_t invalid_before = rep->invalid;
    rep->error[0] = '\0';
    bool ok;
    if (strcmp(kind, "event") == 0) {
        replay_ud ud = {sink};
        ok = mz_events_replay(agency_id, event_id, body, len, replay_emit, &ud, err, errlen);
    } else {
        const mz_agency *a = mz_agencies_find(set, agency_id);
        char perr[128];
        mz_json_doc *d = mz_json_parse(body, len, NULL, perr, sizeof perr);
        const char *url =
            d ? mz_json_string(mz_json_get(mz_json_root(d), "hoofdObject"), NULL) : NULL;
        if (!a || !a->state || !a->ops->fetch_case) {
            snprintf(err, errlen, "the agency has no adapter to fetch the zaak with");
            ok = false;
        } else if (!url) {
            snprintf(err, errlen, "stored notification has no hoofdObject");
            ok = false;
        } else {
            mz_adapter_status st = a->ops->fetch_case(a->state, &sink->sink, url,
                                                      mz_outbound_now_ms() + 10000, err, errlen);
            ok = st == MZ_ADAPTER_OK;
        }
        mz_json_free(d);
    }
    if (ok && rep->invalid > invalid_before) {
        snprintf(err, errlen, "%zu event(s) were refused by the store",
                 rep->invalid - invalid_before);
        ok = false;
    }
    if (ok && rep->error[0]) {
        snprintf(err, errlen, "%s", rep->error);
        ok = false;
    }
    return ok;
}

/* Records a failed attempt: the error, and the next try with backoff — or,
 * when this was attempt MZ_INBOX_MAX_ATTEMPTS, gives the row up (dead_at):
 * a row that failed that often (over some 43 minutes of backoff at the
 * default 10) is taken to be wrong in itself, and retrying it hourly
 * forever only hid it. A notification given up while its agency was down
 * loses little: the next pull sync brings the zaak anyway. The error text is stored, logged and
 * shown in the admin view; the texts are the service's own, and one that holds a BSN-like number is
 * withheld anyway. */
static void record_failure(mz_db *db, PGresult *rows, int i, const char *err, bool bump)
{
    int attempts = atoi(PQgetvalue(rows, i, MZ_COL_INBOX_ROW_ATTEMPTS));
    /* 5 s doubling per attempt, at most an hour. */
    long d = 5;
    for (int k = 1; k < attempts && d < 3600; k++)
        d *= 2;
    char delay[24];
    snprintf(delay, sizeof delay, "%ld", d < 3600 ? d : 3600);
    const char *text = !err[0] ? "processing failed"
                       : mz_contains_bsn_like(err, strlen(err))
                           ? "processing failed (detail withheld)"
                           : err;
    char max[24];
    snprintf(max, sizeof max, "%ld", g_mz_config.inbox_max_attempts);
    const char *fv[5] = {PQgetvalue(rows, i, MZ_COL_INBOX_ROW_ID), text, delay, bump ? "1" : "0",
                         max};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_INBOX_FAIL, fv);
    bool dead = mz_db_ok(r) && PQntuples(r) == 1 &&
                strcmp(PQgetvalue(r, 0, MZ_COL_INBOX_FAIL_DEAD), "t") == 0;
    PQclear(r);
    mz_logline l;
    mz_log_begin(&l, dead ? MZ_LOG_ERROR : MZ_LOG_WARN,
                 dead ? "inbox row given up" : "inbox row failed");
    mz_log_str(&l, "agency", PQgetvalue(rows, i, MZ_COL_INBOX_ROW_AGENCY_ID));
    mz_log_str(&l, "kind", PQgetvalue(rows, i, MZ_COL_INBOX_ROW_KIND));
    mz_log_int(&l, "attempts", attempts);
    mz_log_str(&l, "error", text);
    mz_log_end(&l);
}

/* The fast path, inside the open transaction: every row's records are
 * queued and written with the store's set-based statements at the end
 * (MZ_STORE_IN_TX), with no savepoints. False when any row failed or the
 * write was refused: the caller rolls back and takes the slow path. */
static bool apply_rows_fast(mz_db *db, const mz_agencies *set, PGresult *rows, int n, bool *ok)
{
    mz_sync_report rep;
    memset(&rep, 0, sizeof rep);
    mz_store_sink sink;
    mz_store_sink_init(&sink, db, &rep);
    sink.batch.limit = MZ_STORE_IN_TX;
    bool all = true;
    char err[256];
    for (int i = 0; i < n && all; i++)
        all = ok[i] = apply_row(&sink, &rep, set, rows, i, err, sizeof err);
    if (all)
        all = mz_store_batch_write_in_tx(&sink.batch, err, sizeof err); /* empties the queue */
    if (!all)
        mz_store_batch_discard(&sink.batch); /* the caller rolls back to its savepoint */
    return all;
}

/* The slow path, inside the open transaction: each row under a savepoint
 * and written at once, so a failing row is undone alone. False when the
 * database was lost. */
static bool apply_rows_savepointed(mz_db *db, const mz_agencies *set, PGresult *rows, int n,
                                   bool *ok, char (*errs)[256])
{
    for (int i = 0; i < n; i++) {
        if (!mz_db_savepoint_row(db))
            return false;
        mz_sync_report rep;
        memset(&rep, 0, sizeof rep);
        mz_store_sink sink;
        mz_store_sink_init(&sink, db, &rep);
        sink.batch.limit = 0; /* written at once; the caller commits */
        errs[i][0] = '\0';
        ok[i] = apply_row(&sink, &rep, set, rows, i, errs[i], sizeof errs[i]);
        if (!(ok[i] ? mz_db_release_row(db) : mz_db_rollback_to_row(db)))
            return false;
    }
    return true;
}

/* Why one transaction for a claimed batch: a commit (a disk flush) per row
 * capped processing near the disk's commit rate; with a savepoint per row
 * a failing row is undone alone and the rest commit together. Rows rarely
 * fail, so the batch first runs without savepoints, its records written
 * set-based, and only a batch with a failure is rolled back and run again
 * row by row with them. */
static int process_kind(mz_db *db, const mz_agencies *set, const char *kind, int limit, int *failed)
{
    /* Events: locked in this transaction. Notifications: leased first,
     * committed, then applied (their fetch may take seconds). */
    bool locked = strcmp(kind, "event") == 0;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *v[2] = {lim, kind}, *v1[1] = {lim};
    if (locked && !mz_db_begin(db))
        return -1;
    PGresult *rows = locked ? MZ_DB_EXEC(db, MZ_STMT_INBOX_LOCK_EVENTS, v1)
                            : MZ_DB_EXEC(db, MZ_STMT_INBOX_CLAIM, v);
    if (!mz_db_ok(rows) || PQntuples(rows) == 0) {
        bool ok = mz_db_ok(rows);
        PQclear(rows);
        if (locked)
            mz_db_rollback(db);
        if (failed)
            *failed = 0;
        return ok ? 0 : -1;
    }
    int n = PQntuples(rows), done = 0, bad = 0;
    assert(n <= limit); /* the claim's LIMIT */
    typedef char errbuf[256];
    errbuf *errs = mz_xcalloc((size_t)n, sizeof *errs);
    bool *ok = mz_xcalloc((size_t)n, sizeof *ok);
    bool db_lost = (!locked && !mz_db_begin(db)) || !mz_db_savepoint_batch(db);
    if (!db_lost && !apply_rows_fast(db, set, rows, n, ok))
        db_lost =
            !mz_db_rollback_to_batch(db) || !apply_rows_savepointed(db, set, rows, n, ok, errs);
    if (!db_lost) {
        /* Every successful row is marked done in the same transaction as
         * its effects: exactly once. */
        mz_buf ids = MZ_BUF_INIT;
        mz_buf_putc(&ids, '{');
        for (int i = 0; i < n; i++)
            if (ok[i]) {
                if (ids.len > 1)
                    mz_buf_putc(&ids, ',');
                mz_buf_puts(&ids, PQgetvalue(rows, i, MZ_COL_INBOX_ROW_ID));
            }
        mz_buf_putc(&ids, '}');
        const char *dv[2] = {ids.data, locked ? "1" : "0"};
        PGresult *r = MZ_DB_EXEC(db, MZ_STMT_INBOX_DONE_MANY, dv);
        db_lost = !mz_db_ok(r) || !mz_db_commit(db);
        PQclear(r);
        mz_buf_free(&ids);
    }
    if (db_lost) {
        /* Nothing of this batch is committed; the rows come back (locks
         * end with the transaction, a lease after 15 s). */
        mz_db_rollback(db);
        free(errs);
        free(ok);
        PQclear(rows);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (ok[i]) {
            done++;
            continue;
        }
        bad++;
        record_failure(db, rows, i, errs[i], locked);
    }
    free(errs);
    free(ok);
    PQclear(rows);
    if (failed)
        *failed = bad;
    return done;
}

int mz_inbox_process(mz_db *db, const mz_agencies *set, int limit, int *failed)
{
    int fe = 0, fn = 0;
    int ne = process_kind(db, set, "event", limit, &fe);
    int nn = ne < 0 ? -1 : process_kind(db, set, "notification", 1, &fn);
    if (failed)
        *failed = fe + fn;
    return ne < 0 || nn < 0 ? -1 : ne + nn;
}

/* --- the processor threads */

/* Event rows are pure CPU and go 200 to a transaction on one thread. A
 * notification row means fetching the zaak from the agency (up to 10 s),
 * so a few threads take those one at a time side by side: a burst of
 * notifications is not N fetches in a row. Adapters are thread-safe
 * (adapter.h); SKIP LOCKED keeps two threads off one row. */
#define MZ_INBOX_NOTIFICATION_THREADS 4

typedef struct loop {
    mz_worker w;
    bool events;
} loop;

static loop g_loops[1 + MZ_INBOX_NOTIFICATION_THREADS] = {
    {MZ_WORKER_INIT, true},  {MZ_WORKER_INIT, false}, {MZ_WORKER_INIT, false},
    {MZ_WORKER_INIT, false}, {MZ_WORKER_INIT, false},
};
#define NLOOPS ((int)(sizeof g_loops / sizeof g_loops[0]))
static const mz_agencies *g_set;

static void *loop_main(void *arg)
{
    loop *l = arg;
    mz_db *db = NULL;
    while (!mz_worker_stopping(&l->w)) {
        if (!db) {
            char err[256];
            db = mz_db_connect(g_mz_config.database_url, 30000, err, sizeof err);
            if (db)
                mz_db_plan_each_time(db);
        }
        int n = !db         ? -1
                : l->events ? process_kind(db, g_set, "event", 200, NULL)
                            : process_kind(db, g_set, "notification", 1, NULL);
        if (n < 0 && db) {
            mz_db_close(db);
            db = NULL;
        }
        if (n <= 0) /* else more may be waiting */
            mz_worker_nap(&l->w, n < 0 ? 2000 : 1000);
    }
    mz_db_close(db);
    return NULL;
}

bool mz_inbox_start(const mz_agencies *set)
{
    g_set = set;
    bool ok = true;
    for (int i = 0; i < NLOOPS; i++)
        ok = mz_worker_start(&g_loops[i].w, loop_main, &g_loops[i]) && ok;
    return ok;
}

void mz_inbox_wake(bool notification)
{
    for (int i = 0; i < NLOOPS; i++)
        if (g_loops[i].events != notification)
            mz_worker_wake(&g_loops[i].w);
}

void mz_inbox_stop(void)
{
    for (int i = 0; i < NLOOPS; i++)
        mz_worker_stop(&g_loops[i].w);
}
