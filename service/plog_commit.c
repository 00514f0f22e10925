#include "plog_commit.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "case_cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"

/* At most this many records per statement: more than the connections a
 * node serves at once, so a batch takes everything that waited. */
#define MZ_PLOG_BATCH 256
/* Reads waiting beyond this get 503 at once instead of queueing. */
#define MZ_PLOG_QUEUE_MAX 4096
#define NFIELDS           14

typedef struct item {
    struct item *next;
    char *f[NFIELDS]; /* the statement's fields as text; NULL = SQL NULL */
    bool audit;
    bool want_fence;     /* a cached answer waits for this batch's fence */
    uint64_t *fence_out; /* its number, 0 when none was committed */
    mz_plog_done done;
    void *ud;
} item;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static item *g_head, **g_tail = &g_head;
static int g_queued;
static bool g_running, g_stop;
static pthread_t g_thread;

/* Batch sizes: le 1, 2, 4, ..., 256 (MZ_PLOG_BATCH), then +Inf. */
#define NBUCKETS 9
static atomic_ulong g_hist[NBUCKETS + 1];
static atomic_ulong g_commits, g_records, g_failed, g_batched;
static uint64_t g_fence_no; /* committer thread only */

static char *dup_or_null(const char *s)
{
    return s ? mz_xstrdup(s) : NULL;
}

static char *hex_or_null(const unsigned char *k)
{
    if (!k)
        return NULL;
    static const char hex[] = "0123456789abcdef";
    char *s = mz_xmalloc(2 * MZ_PSEUDONYM_LEN + 1);
    for (size_t i = 0; i < MZ_PSEUDONYM_LEN; i++) {
        s[2 * i] = hex[k[i] >> 4];
        s[2 * i + 1] = hex[k[i] & 15];
    }
    s[2 * MZ_PSEUDONYM_LEN] = '\0';
    return s;
}

static item *item_new(const mz_plog_entry *e)
{
    item *it = mz_xcalloc(1, sizeof *it);
    const char *parent = e->trace->parent_span_id[0] ? e->trace->parent_span_id : NULL;
    it->f[0] = mz_xstrdup(e->trace->trace_id);
    it->f[1] = mz_xstrdup(e->trace->span_id);
    it->f[2] = dup_or_null(parent);
    it->f[3] = mz_xstrdup(e->activity->id);
    it->f[4] = mz_xstrdup(e->activity->name);
    it->f[5] = mz_xstrdup(e->organisation);
    it->f[6] = hex_or_null(e->subject_key);
    it->f[7] = mz_xstrdup(e->started_at);
    it->f[8] = mz_xstrdup(e->outcome);
    it->f[9] = mz_xstrdup(e->subject_kind ? e->subject_kind : "bsn");
    it->f[10] = hex_or_null(e->actor_key);
    it->audit = e->actor_kind != NULL;
    it->f[11] = it->audit ? mz_xstrdup(e->actor_kind) : NULL;
    it->f[12] = it->audit ? dup_or_null(e->actor_id) : NULL;
    it->f[13] = it->audit ? dup_or_null(e->endpoint) : NULL;
    return it;
}

static void item_free(item *it)
{
    for (int k = 0; k < NFIELDS; k++)
        free(it->f[k]);
    free(it);
}

/* Appends s (NULL = SQL NULL) as one element of a PostgreSQL array literal. */
static void array_elem(mz_buf *b, const char *s)
{
    mz_buf_putc(b, b->len ? ',' : '{');
    if (!s) {
        mz_buf_puts(b, "NULL");
        return;
    }
    mz_buf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            mz_buf_putc(b, '\\');
        mz_buf_putc(b, *p);
    }
    mz_buf_putc(b, '"');
}

static void observe(int n)
{
    int k = 0;
    while (k < NBUCKETS && n > (1 << k))
        k++;
    atomic_fetch_add(&g_hist[k], 1);
    atomic_fetch_add(&g_batched, (unsigned long)n);
}

/* One statement, one autocommit transaction: when it returns OK, every
 * record of the batch is durable; otherwise none is known to be, and every
 * request is refused. Records are built by the service itself (no client
 * value is stored unchecked), so a refusal is not one record's fault and
 * there is nothing to retry record by record. */
static bool write_batch(mz_db *db, item **v, int n, const char *fence, bool *fenced)
{
    *fenced = false;
    if (!db)
        return false;
    mz_buf arr[NFIELDS];
    int audits = 0;
    for (int k = 0; k < NFIELDS; k++)
        arr[k] = (mz_buf)MZ_BUF_INIT;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < NFIELDS; k++)
            array_elem(&arr[k], v[i]->f[k]);
        audits += v[i]->audit;
    }
    const char *vals[NFIELDS];
    for (int k = 0; k < NFIELDS; k++) {
        mz_buf_putc(&arr[k], '}');
        vals[k] = arr[k].data;
    }
    PGresult *res = NULL;
    bool fence_failed = false;
    if (fence) {
        /* The case cache's fence in the same round trip, after the
         * records (case_cache.h): committed after every read of the batch
         * began. */
        const char *payload[2] = {"mz_subject", fence};
        const mz_db_call calls[2] = {{MZ_STMT_PLOG_INSERT_MANY, NFIELDS, vals, NULL, NULL},
                                     {MZ_STMT_CASE_CACHE_FENCE, 2, payload, NULL, NULL}};
        PGresult *out[2] = {NULL, NULL};
        (void)mz_db_exec_pipeline(db, calls, 2, out);
        res = out[0];
        *fenced = mz_db_ok(out[0]) && mz_db_ok(out[1]);
        /* the records and the fence share the pipeline's implicit
         * transaction: a failed fence may have taken the records with it,
         * so the batch counts as failed (fail-closed) */
        fence_failed = mz_db_ok(out[0]) && !*fenced;
        PQclear(out[1]);
    } else {
        res = MZ_DB_EXEC(db, MZ_STMT_PLOG_INSERT_MANY, vals);
    }
    /* The connection lost (NULL): the batch may or may not have committed.
     * Once more on a new connection, writing only the records not there:
     * the reads are answered either way, and no record is doubled. The
     * audit count is then not checked (some may have been there). */
    bool again =
        (!res || (fence && !*fenced && !mz_db_ok(res))) && PQstatus(mz_db_pg(db)) != CONNECTION_OK;
    if (again) {
        PQclear(res);
        *fenced = false;
        res = MZ_DB_EXEC(db, MZ_STMT_PLOG_INSERT_MANY_AGAIN, vals); /* reconnects */
    }
    for (int k = 0; k < NFIELDS; k++)
        mz_buf_free(&arr[k]);
    bool ok = mz_db_ok(res) && !fence_failed && (again || atoi(PQcmdTuples(res)) == audits);
    if (!ok)
        mz_db_log_failure("processing log batch refused; its reads answer 503",
                          MZ_STMT_PLOG_INSERT_MANY, res);
    PQclear(res);
    return ok;
}

/* The processing log's monthly partitions (016) are made ahead by the
 * service: at start and then hourly, this month and the next three (any
 * instance may; the function serialises them). A failure is logged and
 * retried at the next hour: inserts never depend on it (the default
 * partition takes what no month holds). */
#define MZ_PLOG_PARTITIONS_AHEAD "3"
#define MZ_PLOG_PARTITIONS_EVERY 3600

static mz_db *ensure_connected(mz_db *db)
{
    /* A connection the server closed while idle (a restart, a killed
     * backend) is noticed here, before anything is sent on it: sent on a
     * dead connection a batch would fail and its reads answer 503 although
     * nothing was wrong with them. */
    if (db && (!PQconsumeInput(mz_db_pg(db)) || PQstatus(mz_db_pg(db)) != CONNECTION_OK)) {
        mz_db_close(db);
        db = NULL;
    }
    if (!db) {
        char err[256];
        db = mz_db_connect(g_mz_config.database_url, 5000, err, sizeof err);
    }
    return db;
}

static bool ensure_partitions(mz_db *db)
{
    const char *v[1] = {MZ_PLOG_PARTITIONS_AHEAD};
    PGresult *r = db ? MZ_DB_EXEC(db, MZ_STMT_PLOG_PARTITIONS_ENSURE, v) : NULL;
    bool ok = mz_db_ok(r);
    if (!ok)
        mz_db_log_failure("processing-log partitions not made", MZ_STMT_PLOG_PARTITIONS_ENSURE, r);
    PQclear(r);
    return ok;
}

static void *committer_main(void *arg)
{
    (void)arg;
    mz_db *db = NULL;
    item *batch[MZ_PLOG_BATCH];
    struct timespec next_ensure = {0, 0}; /* at once */
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec >= next_ensure.tv_sec) {
            db = ensure_connected(db);
            (void)ensure_partitions(db);
            next_ensure.tv_sec = now.tv_sec + MZ_PLOG_PARTITIONS_EVERY;
        }
        pthread_mutex_lock(&g_mu);
        while (!g_head && !g_stop &&
               pthread_cond_timedwait(&g_cv, &g_mu, &next_ensure) != ETIMEDOUT)
            ;
        if (!g_head && g_stop) {
            pthread_mutex_unlock(&g_mu);
            break;
        }
        if (!g_head) { /* the hour is up: partitions first */
            pthread_mutex_unlock(&g_mu);
            continue;
        }
        int n = 0;
        while (g_head && n < MZ_PLOG_BATCH) {
            item *it = g_head;
            g_head = it->next;
            batch[n++] = it;
        }
        if (!g_head)
            g_tail = &g_head;
        g_queued -= n;
        pthread_mutex_unlock(&g_mu);
        db = ensure_connected(db);
        char fence[64] = "";
        for (int i = 0; i < n; i++)
            if (batch[i]->want_fence) {
                mz_case_cache_fence_payload(++g_fence_no, fence, sizeof fence);
                break;
            }
        bool fenced = false;
        bool ok = write_batch(db, batch, n, fence[0] ? fence : NULL, &fenced);
        for (int i = 0; i < n; i++)
            if (batch[i]->fence_out)
                *batch[i]->fence_out = ok && fenced ? g_fence_no : 0;
        observe(n);
        atomic_fetch_add(ok ? &g_commits : &g_failed, 1);
        if (ok)
            atomic_fetch_add(&g_records, (unsigned long)n);
        for (int i = 0; i < n; i++) {
            batch[i]->done(batch[i]->ud, ok);
            item_free(batch[i]);
        }
        if (db && PQstatus(mz_db_pg(db)) != CONNECTION_OK) {
            mz_db_close(db); /* reconnect on the next batch */
            db = NULL;
        }
    }
    mz_db_close(db);
    return NULL;
}

static void submit(const mz_plog_entry *e, mz_plog_done done, void *ud, uint64_t *fence_out)
{
    item *it = item_new(e);
    it->want_fence = fence_out != NULL;
    it->fence_out = fence_out;
    it->done = done;
    it->ud = ud;
    pthread_mutex_lock(&g_mu);
    bool queue = g_running && !g_stop && g_queued < MZ_PLOG_QUEUE_MAX;
    bool full = g_running && !g_stop && !queue;
    if (queue) {
        *g_tail = it;
        g_tail = &it->next;
        g_queued++;
        pthread_cond_signal(&g_cv);
    }
    pthread_mutex_unlock(&g_mu);
    if (queue)
        return;
    item_free(it);
    done(ud, full ? false : mz_plog_write(mz_db_thread(), e));
}

void mz_plog_submit(const mz_plog_entry *e, mz_plog_done done, void *ud)
{
    submit(e, done, ud, NULL);
}

/* --- the handler side: reply once the record is durable */

typedef struct pending {
    atomic_bool ok;
    unsigned status;
    mz_buf body;
    bool problem;
    mz_problem p;
    const char *detail;
    bool has_trace;
    mz_trace trace;
    /* a cached answer (mz_plog_reply_cached): checked after the fence */
    bool cached;
    mz_case_cache_ticket ticket;
    bool (*rebuild)(mz_req *r, mz_buf *out);
    uint64_t fence;     /* written by the committer before done */
    atomic_bool fenced; /* written before the resume */
} pending;

static void pending_free(void *p)
{
    pending *x = p;
    mz_buf_free(&x->body);
    free(x);
}

static void finish(mz_req *r, pending *x, bool ok)
{
    if (!ok)
        mz_reply_unavailable(r,
                             "the processing log cannot be written; no data is shown without it");
    else if (x->problem)
        mz_reply_problem(r, x->p, x->detail);
    else {
        mz_reply_json(r, x->status, &x->body);
        if (x->has_trace)
            mz_trace_header(r, &x->trace);
    }
}

/* A cached answer whose fence showed it may be stale is read again from
 * the database; its read is logged already. false: rebuild replied. */
static bool recheck(mz_req *r, pending *x, bool fenced)
{
    if (mz_case_cache_still_valid(&x->ticket, fenced))
        return true;
    mz_buf_free(&x->body);
    x->body = (mz_buf)MZ_BUF_INIT;
    return x->rebuild(r, &x->body);
}

static void resumed(mz_req *r)
{
    pending *x = r->async_data;
    r->async_data = NULL;
    r->async_free = NULL;
    bool ok = atomic_load(&x->ok);
    if (!ok || !x->cached || recheck(r, x, atomic_load(&x->fenced)))
        finish(r, x, ok);
    pending_free(x);
}

/* On the listener's (or committer's) thread: the fence was seen or not. */
static void fence_passed(void *ud, bool fenced)
{
    mz_req *r = ud;
    pending *x = r->async_data;
    atomic_store(&x->fenced, fenced);
    mz_req_resume(r);
}

/* On the committer thread: the request is suspended until this. */
static void committed(void *ud, bool ok)
{
    mz_req *r = ud;
    pending *x = r->async_data;
    atomic_store(&x->ok, ok);
    if (ok && x->cached) {
        mz_case_cache_after_fence(x->fence, fence_passed, r);
        return;
    }
    mz_req_resume(r);
}

static bool committer_running(void)
{
    pthread_mutex_lock(&g_mu);
    bool running = g_running && !g_stop;
    pthread_mutex_unlock(&g_mu);
    return running;
}

static void submit_reply(mz_req *r, const mz_plog_entry *e, pending *x)
{
    if (!committer_running()) {
        /* serve not running the committer (tests of single handlers,
         * shutdown); no fence: a cached answer is read again */
        bool ok = mz_plog_write(mz_db_thread(), e);
        if (!ok || !x->cached || recheck(r, x, false))
            finish(r, x, ok);
        pending_free(x);
        return;
    }
    r->async_data = x;
    r->async_free = pending_free;
    mz_req_suspend(r, resumed);
    submit(e, committed, r, x->cached ? &x->fence : NULL);
}

void mz_plog_reply(mz_req *r, const mz_plog_entry *e, const mz_trace *t, unsigned status, mz_buf *b)
{
    pending *x = mz_xcalloc(1, sizeof *x);
    x->status = status;
    x->body = *b;
    *b = (mz_buf)MZ_BUF_INIT;
    if (t) {
        x->has_trace = true;
        x->trace = *t;
    }
    submit_reply(r, e, x);
}

void mz_plog_reply_cached(mz_req *r, const mz_plog_entry *e, const mz_trace *t, mz_buf *b,
                          const mz_case_cache_ticket *ticket,
                          bool (*rebuild)(mz_req *r, mz_buf *out))
{
    pending *x = mz_xcalloc(1, sizeof *x);
    x->status = 200;
    x->body = *b;
    *b = (mz_buf)MZ_BUF_INIT;
    if (t) {
        x->has_trace = true;
        x->trace = *t;
    }
    x->cached = true;
    x->ticket = *ticket;
    x->rebuild = rebuild;
    submit_reply(r, e, x);
}

void mz_plog_reply_problem(mz_req *r, const mz_plog_entry *e, mz_problem p, const char *detail)
{
    pending *x = mz_xcalloc(1, sizeof *x);
    x->body = (mz_buf)MZ_BUF_INIT;
    x->problem = true;
    x->p = p;
    x->detail = detail;
    submit_reply(r, e, x);
}

bool mz_plog_commit_start(void)
{
    pthread_mutex_lock(&g_mu);
    bool ok = !g_running;
    if (ok) {
        g_stop = false;
        ok = pthread_create(&g_thread, NULL, committer_main, NULL) == 0;
        g_running = ok;
    }
    pthread_mutex_unlock(&g_mu);
    return ok;
}

void mz_plog_commit_stop(void)
{
    pthread_mutex_lock(&g_mu);
    bool running = g_running;
    g_stop = true;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    if (running)
        pthread_join(g_thread, NULL);
    pthread_mutex_lock(&g_mu);
    g_running = false;
    pthread_mutex_unlock(&g_mu);
}

void mz_plog_commit_metrics(mz_buf *b)
{
    pthread_mutex_lock(&g_mu);
    int queued = g_queued;
    pthread_mutex_unlock(&g_mu);
    mz_buf_printf(b,
                  "# HELP mz_plog_queued Reads waiting for their processing-log record's "
                  "commit (not yet in a batch).\n# TYPE mz_plog_queued gauge\nmz_plog_queued %d\n"
                  "# HELP mz_plog_commits_total Processing-log batches committed (group commit).\n"
                  "# TYPE mz_plog_commits_total counter\nmz_plog_commits_total %lu\n"
                  "# HELP mz_plog_records_total Processing-log records committed in them.\n"
                  "# TYPE mz_plog_records_total counter\nmz_plog_records_total %lu\n"
                  "# HELP mz_plog_failed_batches_total Batches refused (every read in them got "
                  "503).\n# TYPE mz_plog_failed_batches_total counter\n"
                  "mz_plog_failed_batches_total %lu\n"
                  "# HELP mz_plog_batch_size Records per processing-log batch.\n"
                  "# TYPE mz_plog_batch_size histogram\n",
                  queued, atomic_load(&g_commits), atomic_load(&g_records), atomic_load(&g_failed));
    unsigned long cum = 0;
    for (int k = 0; k <= NBUCKETS; k++) {
        cum += atomic_load(&g_hist[k]);
        if (k < NBUCKETS)
            mz_buf_printf(b, "mz_plog_batch_size_bucket{le=\"%d\"} %lu\n", 1 << k, cum);
        else
            mz_buf_printf(b, "mz_plog_batch_size_bucket{le=\"+Inf\"} %lu\n", cum);
    }
    mz_buf_printf(b, "mz_plog_batch_size_sum %lu\nmz_plog_batch_size_count %lu\n",
                  atomic_load(&g_batched), cum);
}
