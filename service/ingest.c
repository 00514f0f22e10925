#include "ingest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"

/* At most this many rows per transaction: enough to absorb every sender a
 * node has at once, small enough for mz_db_exec_many's pipeline. */
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

/* One transaction for the batch. Rows of the same agency and event id in
 * one batch: the first inserted answers "stored", the others "duplicate",
 * exactly as if they had come one after another. */
static void commit_batch(mz_db *db, item **v, int n)
{
    const char *params[MZ_INGEST_BATCH][4];
    const char *const *vals[MZ_INGEST_BATCH];
    PGresult *res[MZ_INGEST_BATCH];
    for (int i = 0; i < n; i++) {
        params[i][0] = v[i]->agency_id;
        params[i][1] = v[i]->kind;
        params[i][2] = v[i]->event_id;
        params[i][3] = v[i]->body;
        vals[i] = params[i];
    }
    bool ok = db && mz_db_exec_many(db, MZ_STMT_INBOX_INSERT, n, vals, res);
    if (!ok && db && n > 1) {
        /* One bad row must not fail the others: fall back to one
         * transaction per row (mz_inbox_put), as without the committer. */
        bool down = false;
        for (int i = 0; i < n; i++) {
            mz_inbox_result r =
                down ? MZ_INBOX_UNAVAILABLE
                     : mz_inbox_put(db, v[i]->agency_id, v[i]->kind, v[i]->event_id, v[i]->body);
            down = down || (r == MZ_INBOX_UNAVAILABLE && PQstatus(mz_db_pg(db)) != CONNECTION_OK);
            v[i]->done(v[i]->ud, r);
        }
        return;
    }
    if (!ok) {
        for (int i = 0; i < n; i++)
            v[i]->done(v[i]->ud, MZ_INBOX_UNAVAILABLE);
        return;
    }
    atomic_fetch_add(&g_commits, 1);
    atomic_fetch_add(&g_rows, (unsigned long)n);
    for (int i = 0; i < n; i++) {
        mz_inbox_result r = PQntuples(res[i]) == 1 ? MZ_INBOX_STORED : MZ_INBOX_DUPLICATE;
        PQclear(res[i]);
        v[i]->done(v[i]->ud, r);
    }
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

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void mz_ingest_submit(const char *agency_id, const char *kind, const char *event_id,
                      const char *body, mz_ingest_done done, void *ud)
{
    item *it = calloc(1, sizeof *it);
    if (it) {
        it->agency_id = dup(agency_id);
        it->kind = dup(kind);
        it->event_id = dup(event_id);
        it->body = dup(body);
        it->done = done;
        it->ud = ud;
    }
    if (!it || !it->agency_id || !it->kind || !it->event_id || !it->body) {
        if (it)
            item_free(it);
        done(ud, MZ_INBOX_UNAVAILABLE);
        return;
    }
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
