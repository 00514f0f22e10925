#include "sync.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "outbound.h"
#include "worker.h"

/* --- store sink */

static bool lease_due(const mz_store_sink *ss)
{
    int64_t every = g_mz_config.sync_lease_seconds * 1000 / 4;
    return ss->lease_agency && mz_outbound_now_ms() - ss->lease_renewed_ms >= every;
}

static void renew_lease(mz_store_sink *ss)
{
    if (!lease_due(ss))
        return;
    int64_t now = mz_outbound_now_ms();
    char lease[16];
    snprintf(lease, sizeof lease, "%ld", g_mz_config.sync_lease_seconds);
    /* A lease is renewed (and finished) only under its owner's name: a
     * NULL owner would match no row and let the lease lapse mid-run. */
    assert(ss->lease_owner && *ss->lease_owner);
    const char *v[3] = {ss->lease_agency, ss->lease_owner, lease};
    /* Between batches (records are queued, no transaction is open): it
     * commits at once. */
    PQclear(MZ_DB_EXEC(ss->batch.db, MZ_STMT_SYNC_RENEW, v));
    ss->lease_renewed_ms = now;
}

/* Moves the batch's outcome counters into the report. */
static void collect(mz_store_sink *ss)
{
    ss->rep->applied += ss->batch.applied;
    ss->rep->stale += ss->batch.stale;
    ss->rep->invalid += ss->batch.invalid;
    ss->rep->conflicts += ss->batch.conflicts;
    ss->batch.applied = ss->batch.stale = ss->batch.invalid = ss->batch.conflicts = 0;
}

/* The writer thread of a background sink (mz_store_sink_background). The
 * batch it writes is its own struct on the sink's connection; the caller
 * touches neither while `busy`. */
struct mz_sink_writer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mz_store_batch b; /* the batch being written (while busy), else an empty one */
    bool busy, stop, failed;
    char err[200];
};

static void *writer_main(void *arg)
{
    struct mz_sink_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->busy && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->busy)
            break;
        pthread_mutex_unlock(&w->mu);
        char err[200] = "";
        bool ok = mz_store_batch_flush(&w->b, err, sizeof err);
        if (!ok)
            mz_store_batch_abort(&w->b);
        pthread_mutex_lock(&w->mu);
        if (!ok && !w->failed) {
            w->failed = true;
            snprintf(w->err, sizeof w->err, "%s", err);
        }
        w->busy = false;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits until the writer is idle; then its batch and the connection are
 * the caller's until the next hand-over. false (err set) when a batch
 * failed. */
static bool writer_idle(mz_store_sink *ss, char *err, size_t errlen)
{
    struct mz_sink_writer *w = ss->writer;
    pthread_mutex_lock(&w->mu);
    while (w->busy)
        pthread_cond_wait(&w->cv, &w->mu);
    bool failed = w->failed;
    if (failed)
        snprintf(err, errlen, "%s", w->err);
    pthread_mutex_unlock(&w->mu);
    /* The outcomes of the batch it wrote. */
    ss->rep->applied += w->b.applied;
    ss->rep->stale += w->b.stale;
    ss->rep->invalid += w->b.invalid;
    ss->rep->conflicts += w->b.conflicts;
    w->b.applied = w->b.stale = w->b.invalid = w->b.conflicts = 0;
    return !failed;
}

static void writer_stop(mz_store_sink *ss)
{
    struct mz_sink_writer *w = ss->writer;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    mz_store_batch_abort(&w->b); /* empty unless stopped after a failure */
    free(w->b.queue);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    ss->writer = NULL;
}

bool mz_store_sink_background(mz_store_sink *s)
{
    assert(!s->writer && s->batch.pending == 0);
    struct mz_sink_writer *w = mz_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    /* Both batches only queue (the limit is never reached): a full one is
     * handed to the writer at MZ_STORE_BATCH records (store_emit). */
    mz_store_batch_init(&w->b, s->batch.db, MZ_STORE_BATCH + 1);
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return false;
    }
    s->batch.limit = MZ_STORE_BATCH + 1;
    s->writer = w;
    return true;
}

static bool writer_busy(struct mz_sink_writer *w)
{
    pthread_mutex_lock(&w->mu);
    bool busy = w->busy;
    pthread_mutex_unlock(&w->mu);
    return busy;
}

/* Hands the full batch to the writer once it is idle, and takes its empty
 * one. */
static bool hand_over(mz_store_sink *ss, char *err, size_t errlen)
{
    struct mz_sink_writer *w = ss->writer;
    if (!writer_idle(ss, err, errlen))
        return false;
    renew_lease(ss); /* the connection is free between the writer's batches */
    mz_store_batch full = ss->batch;
    ss->batch = w->b;
    pthread_mutex_lock(&w->mu);
    w->b = full;
    w->busy = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return true;
}

static bool store_emit(mz_sink *s, const mz_case_record *rec)
{
    mz_store_sink *ss = (mz_store_sink *)s;
    mz_sync_report *rep = ss->rep;
    char err[200];
    /* With a writer, only while it is idle: it cannot start again before
     * our next hand-over, so the connection is ours meanwhile (a slow
     * agency may take longer than a lease to fill a batch). */
    if (lease_due(ss) && (!ss->writer || !writer_busy(ss->writer)))
        renew_lease(ss);
    rep->seen++;
    mz_upsert_result res = mz_store_batch_add(&ss->batch, rec, err, sizeof err);
    collect(ss);
    if (res == MZ_UPSERT_QUEUED && ss->writer && ss->batch.pending >= MZ_STORE_BATCH &&
        !hand_over(ss, err, sizeof err))
        res = MZ_UPSERT_DB_ERROR;
    switch (res) {
    case MZ_UPSERT_APPLIED:
        rep->applied++;
        return true;
    case MZ_UPSERT_STALE:
        rep->stale++;
        return true;
    case MZ_UPSERT_INVALID:
        rep->invalid++;
        return true;
    case MZ_UPSERT_CONFLICT: /* refused and recorded by the store; the run goes on */
        rep->conflicts++;
        return true;
    case MZ_UPSERT_QUEUED:
        return true;
    case MZ_UPSERT_DB_ERROR:
        snprintf(rep->error, sizeof rep->error, "%s", err);
        return false;
    }
    return false;
}

void mz_store_sink_init(mz_store_sink *s, mz_db *db, mz_sync_report *rep)
{
    s->sink.emit = store_emit;
    s->sink.ud = NULL;
    s->sink.skipped = 0;
    memset(s->sink.skips, 0, sizeof s->sink.skips);
    mz_store_batch_init(&s->batch, db, MZ_STORE_BATCH);
    s->rep = rep;
    s->lease_agency = NULL;
    s->lease_owner = NULL;
    s->lease_renewed_ms = mz_outbound_now_ms();
    s->writer = NULL;
}

bool mz_store_sink_finish(mz_store_sink *s, bool ok)
{
    char err[200];
    bool flushed = true;
    if (s->writer) { /* its last batch first: batches are written in order */
        flushed = writer_idle(s, err, sizeof err);
        writer_stop(s);
    }
    if (flushed)
        flushed = mz_store_batch_flush(&s->batch, err, sizeof err);
    collect(s);
    s->rep->skipped = s->sink.skipped;
    memcpy(s->rep->skips, s->sink.skips, sizeof s->rep->skips);
    if (!flushed) {
        mz_store_batch_abort(&s->batch);
        /* On a failed run what it wrote so far is still a valid state of
         * each case and is kept; only the failed batch is dropped, and the
         * run's own error stays the one reported. */
        if (ok)
            snprintf(s->rep->error, sizeof s->rep->error, "%s", err);
        return false;
    }
    return true;
}

size_t mz_sync_skips_json(const mz_sync_report *rep, mz_buf *out)
{
    size_t total = 0;
    mz_buf_putc(out, '{');
    struct {
        const char *name;
        size_t n;
    } all[MZ_SKIP__COUNT + 2];
    for (int i = 0; i < MZ_SKIP__COUNT; i++)
        all[i].name = mz_skip_reason_name((mz_skip_reason)i), all[i].n = rep->skips[i];
    all[MZ_SKIP__COUNT].name = "invalid";
    all[MZ_SKIP__COUNT].n = rep->invalid;
    all[MZ_SKIP__COUNT + 1].name = "conflict";
    all[MZ_SKIP__COUNT + 1].n = rep->conflicts;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i].n)
            continue;
        if (total)
            mz_buf_putc(out, ',');
        mz_json_key(out, all[i].name);
        mz_buf_printf(out, "%zu", all[i].n);
        total += all[i].n;
    }
    mz_buf_putc(out, '}');
    return total;
}

void mz_sync_record_skips(mz_db *db, const char *agency_id, const mz_sync_report *rep)
{
    mz_buf j = MZ_BUF_INIT;
    if (mz_sync_skips_json(rep, &j) > 0) {
        const char *v[2] = {agency_id, j.data};
        PQclear(MZ_DB_EXEC(db, MZ_STMT_SYNC_SKIPS_ADD, v));
    }
    mz_buf_free(&j);
}

/* --- one agency */

long mz_sync_backoff(long interval, int failures)
{
    /* 30 s doubling per consecutive failure, at most an hour (or the poll
     * interval, when that is longer), with ±20 % jitter so that instances
     * and agencies do not retry in lockstep. */
    double cap = interval > 3600 ? (double)interval : 3600.0;
    double d = 30.0;
    for (int i = 1; i < failures && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    unsigned r;
    mz_random_bytes(&r, sizeof r);
    d *= 0.8 + 0.4 * ((double)(r % 1000) / 1000.0);
    return d < 1 ? 1 : (long)d;
}

static char g_instance[160];
static pthread_once_t g_instance_once = PTHREAD_ONCE_INIT;

static void instance_init(void)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    char rnd[9];
    mz_random_id(rnd, 8);
    snprintf(g_instance, sizeof g_instance, "%s-%ld-%s", host, (long)getpid(), rnd);
}

const char *mz_instance_id(void)
{
    pthread_once(&g_instance_once, instance_init);
    return g_instance;
}

static void log_run(const mz_agency *a, const mz_sync_report *rep)
{
    mz_logline l;
    mz_log_begin(&l, rep->status == MZ_ADAPTER_OK ? MZ_LOG_INFO : MZ_LOG_WARN, "sync finished");
    mz_log_str(&l, "agency", a->id);
    mz_log_str(&l, "result", mz_adapter_status_name(rep->status));
    mz_log_int(&l, "seen", (int64_t)rep->seen);
    mz_log_int(&l, "applied", (int64_t)rep->applied);
    mz_log_int(&l, "stale", (int64_t)rep->stale);
    mz_log_int(&l, "invalid", (int64_t)rep->invalid);
    mz_log_int(&l, "conflicts", (int64_t)rep->conflicts);
    mz_log_int(&l, "skipped", (int64_t)rep->skipped);
    mz_log_int(&l, "duration_ms", rep->duration_ms);
    if (rep->status != MZ_ADAPTER_OK)
        mz_log_str(&l, "error", rep->error);
    mz_log_end(&l);
}

/* Runs a claimed agency and records the outcome. */
static bool run_claimed(mz_db *db, const mz_agency *a, const char *owner, const char *cursor,
                        int failures, mz_sync_report *rep)
{
    /* Finishing needs the owner that claimed the lease (the statements
     * match on it): without one the lease would stay held until it ends. */
    assert(owner && *owner);
    int64_t t0 = mz_outbound_now_ms();
    mz_store_sink sink;
    mz_store_sink_init(&sink, db, rep);
    sink.lease_agency = a->id;
    sink.lease_owner = owner;
    mz_store_sink_background(&sink); /* without the thread: written inline, as before */
    char *next = NULL;
    int64_t deadline = t0 + (int64_t)MZ_SYNC_MAX_RUN_SECONDS * 1000;
    char err[256] = "";
    rep->status = a->ops->sync(a->state, &sink.sink, cursor, &next, deadline, err, sizeof err);
    if (!mz_store_sink_finish(&sink, rep->status == MZ_ADAPTER_OK) && rep->status == MZ_ADAPTER_OK)
        rep->status = MZ_ADAPTER_ABORTED;
    if (rep->status != MZ_ADAPTER_OK && !rep->error[0])
        snprintf(rep->error, sizeof rep->error, "%s", err[0] ? err : "sync failed");
    rep->duration_ms = mz_outbound_now_ms() - t0;
    char ms[24], seen[24], applied[24], delay[24], skipped[24];
    snprintf(ms, sizeof ms, "%lld", (long long)rep->duration_ms);
    snprintf(seen, sizeof seen, "%zu", rep->seen);
    snprintf(applied, sizeof applied, "%zu", rep->applied);
    /* Skipped records (adapter skips, refused and conflicting records) do
     * not fail a run: it succeeds "with skips", recorded with its reasons. */
    mz_buf reasons = MZ_BUF_INIT;
    snprintf(skipped, sizeof skipped, "%zu", mz_sync_skips_json(rep, &reasons));
    mz_sync_record_skips(db, a->id, rep);
    PGresult *r;
    if (rep->status == MZ_ADAPTER_OK) {
        snprintf(delay, sizeof delay, "%ld", a->poll_interval);
        const char *v[9] = {a->id,   owner,   next ? next : cursor, delay, ms, seen,
                            applied, skipped, reasons.data};
        r = MZ_DB_EXEC(db, MZ_STMT_SYNC_FINISH_OK, v);
    } else {
        snprintf(delay, sizeof delay, "%ld", mz_sync_backoff(a->poll_interval, failures + 1));
        const char *v[5] = {a->id, owner, rep->error, delay, ms};
        r = MZ_DB_EXEC(db, MZ_STMT_SYNC_FINISH_FAIL, v);
    }
    bool ok = mz_db_ok(r);
    PQclear(r);
    mz_buf_free(&reasons);
    free(next);
    log_run(a, rep);
    return ok;
}

bool mz_sync_agency_once(mz_db *db, const mz_agency *a, const char *owner, mz_sync_report *rep)
{
    memset(rep, 0, sizeof *rep);
    char lease[16];
    snprintf(lease, sizeof lease, "%ld", g_mz_config.sync_lease_seconds);
    const char *v[3] = {owner, lease, a->id};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SYNC_CLAIM_ONE, v);
    if (!mz_db_ok(r) || PQntuples(r) != 1) {
        snprintf(rep->error, sizeof rep->error,
                 r && mz_db_ok(r) ? "agency is being synced by another instance"
                                  : "database unavailable");
        PQclear(r);
        return false;
    }
    char *cursor = PQgetisnull(r, 0, MZ_COL_SYNC_LEASE_CURSOR)
                       ? NULL
                       : mz_xstrdup(PQgetvalue(r, 0, MZ_COL_SYNC_LEASE_CURSOR));
    int failures = atoi(PQgetvalue(r, 0, MZ_COL_SYNC_LEASE_FAILURES));
    PQclear(r);
    bool ok = run_claimed(db, a, owner, cursor, failures, rep);
    free(cursor);
    return ok;
}

/* --- the scheduler thread */

static mz_worker g_worker = MZ_WORKER_INIT;
static const mz_agencies *g_set;

static void *scheduler_main(void *arg)
{
    (void)arg;
    mz_buf ids = MZ_BUF_INIT; /* a text[] literal of the enabled agencies with an adapter */
    mz_buf_putc(&ids, '{');
    for (size_t i = 0; i < g_set->n; i++)
        if (g_set->items[i].enabled && g_set->items[i].state) {
            if (ids.len > 1)
                mz_buf_putc(&ids, ',');
            mz_buf_puts(&ids, g_set->items[i].id); /* ids are [a-z0-9-]: no quoting needed */
        }
    mz_buf_putc(&ids, '}');
    char lease[16];
    snprintf(lease, sizeof lease, "%ld", g_mz_config.sync_lease_seconds);
    const char *owner = mz_instance_id();
    mz_db *db = NULL;
    while (!mz_worker_stopping(&g_worker)) {
        if (!db) {
            char err[256];
            db = mz_db_connect(g_mz_config.database_url, 30000, err, sizeof err);
            if (!db) {
                mz_worker_nap(&g_worker, 2000);
                continue;
            }
            mz_db_plan_each_time(db);
        }
        const char *v[3] = {owner, lease, ids.data};
        PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SYNC_CLAIM, v);
        if (!r) {
            mz_db_close(db);
            db = NULL;
            mz_worker_nap(&g_worker, 2000);
            continue;
        }
        if (!mz_db_ok(r) || PQntuples(r) == 0) {
            PQclear(r);
            mz_worker_nap(&g_worker, 1000);
            continue;
        }
        const mz_agency *a = mz_agencies_find(g_set, PQgetvalue(r, 0, MZ_COL_SYNC_LEASE_AGENCY_ID));
        char *cursor = PQgetisnull(r, 0, MZ_COL_SYNC_LEASE_CURSOR)
                           ? NULL
                           : mz_xstrdup(PQgetvalue(r, 0, MZ_COL_SYNC_LEASE_CURSOR));
        int failures = atoi(PQgetvalue(r, 0, MZ_COL_SYNC_LEASE_FAILURES));
        PQclear(r);
        if (a) {
            mz_sync_report rep;
            memset(&rep, 0, sizeof rep);
            run_claimed(db, a, owner, cursor, failures, &rep);
        }
        free(cursor);
    }
    mz_db_close(db);
    mz_buf_free(&ids);
    return NULL;
}

bool mz_scheduler_start(const mz_agencies *set)
{
    if (!set)
        return false;
    g_set = set;
    return mz_worker_start(&g_worker, scheduler_main, NULL);
}

void mz_scheduler_wake(void)
{
    mz_worker_wake(&g_worker);
}

void mz_scheduler_stop(void)
{
    mz_worker_stop(&g_worker);
}
