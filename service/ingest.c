#include "ingest.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "db.h"

/* At most this many rows per statement: enough to absorb every sender a
 * node has at once; bodies are at most MZ_MAX_BODY_BYTES each. */
#define MZ_INGEST_BATCH 128
/* Requests waiting beyond this get 503 at once instead of queueing. */
#define MZ_INGEST_QUEUE_MAX 4096

typedef struct item {
    struct item *next;
    char *agency_id, *kind, *event_id, *body;
    mz_ingest_done done;
    void *ud;
} item;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static item *g_head, **g_tail = &g_head;
static int g_queued;
static bool g_running, g_stop;
static pthread_t g_thread;
static atomic_ulong g_commits, g_rows;

static void item_free(item *it)
{
    free(it->agency_id);
    free(it->kind);
    free(it->event_id);
    free(it->body);
    free(it);
}

/* Appends s as one element of a PostgreSQL array literal. */
static void array_elem(mz_buf *b, const char *s)
{
    mz_buf_putc(b, b->len ? ',' : '{');
    mz_buf_putc(b, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            mz_buf_putc(b, '\\');
        mz_buf_putc(b, *p);
    }
    mz_buf_putc(b, '"');
}

/* Each row alone, as without the committer: one bad row must not fail the
 * others. The database gone makes the rest unavailable at once. */
static void commit_one_by_one(mz_db *db, item **v, int n)
{
    bool down = false;
    for (int i = 0; i < n; i++) {
        mz_inbox_result r =
            down ? MZ_INBOX_UNAVAILABLE
                 : mz_inbox_put(db, v[i]->agency_id, v[i]->kind, v[i]->event_id, v[i]->body);
        down = down || (r == MZ_INBOX_UNAVAILABLE && PQstatus(mz_db_pg(db)) != CONNECTION_OK);
        v[i]->done(v[i]->ud, r);
    }
}

/* One statement and one commit for the batch (autocommit). Rows of the
 * same agency and event id in one batch: the first answers "stored", the
 * others "duplicate", exactly as if they had come one after another. */
static void commit_batch(mz_db *db, item **v, int n)
{
    assert(n >= 1 && n <= MZ_INGEST_BATCH); /* taken[] below has that many */
    if (!db) {
        for (int i = 0; i < n; i++)
            v[i]->done(v[i]->ud, MZ_INBOX_UNAVAILABLE);
        return;
    }
    mz_buf arr[4] = {MZ_BUF_INIT, MZ_BUF_INIT, MZ_BUF_INIT, MZ_BUF_INIT};
    for (int i = 0; i < n; i++) {
        array_elem(&arr[0], v[i]->agency_id);
        array_elem(&arr[1], v[i]->kind);
        array_elem(&arr[2], v[i]->event_id);
        array_elem(&arr[3], v[i]->body);
    }
    for (int k = 0; k < 4; k++)
        mz_buf_putc(&arr[k], '}');
    const char *vals[4] = {arr[0].data, arr[1].data, arr[2].data, arr[3].data};
    PGresult *res = MZ_DB_EXEC(db, MZ_STMT_INBOX_INSERT_MANY, vals); /* n >= 1 */
    for (int k = 0; k < 4; k++)
        mz_buf_free(&arr[k]);
    if (!mz_db_ok(res)) {
        PQclear(res);
        if (PQstatus(mz_db_pg(db)) != CONNECTION_OK) {
            for (int i = 0; i < n; i++)
                v[i]->done(v[i]->ud, MZ_INBOX_UNAVAILABLE);
        } else {
            commit_one_by_one(db, v, n);
        }
        return;
    }
    atomic_fetch_add(&g_commits, 1);
    atomic_fetch_add(&g_rows, (unsigned long)n);
    int rows = PQntuples(res);
    assert(rows <= n);                     /* a row is returned only for one of ours inserted */
    bool taken[MZ_INGEST_BATCH] = {false}; /* returned row j answered already */
    for (int i = 0; i < n; i++) {
        mz_inbox_result r = MZ_INBOX_DUPLICATE;
        for (int j = 0; j < rows; j++)
            if (!taken[j] &&
                strcmp(PQgetvalue(res, j, MZ_COL_INBOX_INSERT_MANY_AGENCY_ID), v[i]->agency_id) ==
                    0 &&
                strcmp(PQgetvalue(res, j, MZ_COL_INBOX_INSERT_MANY_EVENT_ID), v[i]->event_id) ==
                    0) {
                taken[j] = true;
                r = MZ_INBOX_STORED;
                break;
            }
        v[i]->done(v[i]->ud, r);
    }
    PQclear(res);
}

static void *committer_main(void *arg)
{
    (void)arg;
    mz_db *db = NULL;
    item *batch[MZ_INGEST_BATCH];
    for (;;) {
        pthread_mutex_lock(&g_mu);
        while (!g_head && !g_stop)
            pthread_cond_wait(&g_cv, &g_mu);
        if (!g_head && g_stop) {
            pthread_mutex_unlock(&g_mu);
            break;
        }
        int n = 0;
        while (g_head && n < MZ_INGEST_BATCH) {
            item *it = g_head;
            g_head = it->next;
            batch[n++] = it;
        }
        if (!g_head)
            g_tail = &g_head;
        g_queued -= n;
        pthread_mutex_unlock(&g_mu);
        if (!db) {
            char err[256];
            db = mz_db_connect(g_mz_config.database_url, 5000, err, sizeof err);
        }
        commit_batch(db, batch, n);
        for (int i = 0; i < n; i++)
            item_free(batch[i]);
        if (db && PQstatus(mz_db_pg(db)) != CONNECTION_OK) {
            mz_db_close(db); /* reconnect on the next batch */
            db = NULL;
        }
    }
    mz_db_close(db);
    return NULL;
}

void mz_ingest_submit(const char *agency_id, const char *kind, const char *event_id,
                      const char *body, mz_ingest_done done, void *ud)
{
    assert(agency_id && kind && event_id && body);
    item *it = mz_xcalloc(1, sizeof *it);
    it->agency_id = mz_xstrdup(agency_id);
    it->kind = mz_xstrdup(kind);
    it->event_id = mz_xstrdup(event_id);
    it->body = mz_xstrdup(body);
    it->done = done;
    it->ud = ud;
    pthread_mutex_lock(&g_mu);
    bool queue = g_running && !g_stop && g_queued < MZ_INGEST_QUEUE_MAX;
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
    if (full) {
        item_free(it);
        done(ud, MZ_INBOX_UNAVAILABLE);
        return;
    }
    mz_db *db = mz_db_thread();
    mz_inbox_result r =
        db ? mz_inbox_put(db, agency_id, kind, event_id, body) : MZ_INBOX_UNAVAILABLE;
    item_free(it);
    done(ud, r);
}

bool mz_ingest_start(void)
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

void mz_ingest_stop(void)
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

void mz_ingest_stats(unsigned long *commits, unsigned long *rows)
{
    *commits = atomic_load(&g_commits);
    *rows = atomic_load(&g_rows);
}
