/*
 * workpool.c — worker threads running a batch of jobs ahead of an
 * in-order consumer; see workpool.h.
 */
#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>

#include "alloc.h"

enum { JOB_PENDING, JOB_RUNNING, JOB_OK, JOB_FAILED };

struct mz_workpool {
    mz_workpool_ops ops;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a batch was posted, or stop */
    pthread_cond_t done; /* a job finished */
    void *batch;
    unsigned char *state; /* per job of the batch */
    size_t n, next;       /* next: the first job no worker has looked at */
    bool failed, stop;
    pthread_t th[MZ_WORKPOOL_MAX_WORKERS];
    int nth;
};

static void finish(mz_workpool *p, size_t i, bool ok)
{
    p->state[i] = ok ? JOB_OK : JOB_FAILED;
    if (!ok)
        p->failed = true;
    pthread_cond_broadcast(&p->done);
}

static void *worker(void *arg)
{
    mz_workpool *p = arg;
    void *ctx = p->ops.ctx_new ? p->ops.ctx_new(p->ops.ud) : p->ops.ud;
    bool usable = ctx || !p->ops.ctx_new;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        if (!usable || p->failed || p->next >= p->n) {
            pthread_cond_wait(&p->work, &p->mu);
            continue;
        }
        size_t i = p->next++;
        if (p->state[i] != JOB_PENDING) /* the consumer took it first */
            continue;
        p->state[i] = JOB_RUNNING;
        void *batch = p->batch;
        pthread_mutex_unlock(&p->mu);
        bool ok = p->ops.run(ctx, batch, i);
        pthread_mutex_lock(&p->mu);
        finish(p, i, ok);
    }
    pthread_mutex_unlock(&p->mu);
    if (p->ops.ctx_new && ctx && p->ops.ctx_free)
        p->ops.ctx_free(ctx);
    return NULL;
}

static void destroy(mz_workpool *p)
{
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->state);
    free(p);
}

mz_workpool *mz_workpool_start(int workers, const mz_workpool_ops *ops)
{
    mz_workpool *p = mz_xcalloc(1, sizeof *p);
    p->ops = *ops;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (workers > MZ_WORKPOOL_MAX_WORKERS)
        workers = MZ_WORKPOOL_MAX_WORKERS;
    while (p->nth < workers && pthread_create(&p->th[p->nth], NULL, worker, p) == 0)
        p->nth++;
    if (p->nth == 0) {
        destroy(p);
        return NULL;
    }
    return p;
}

void mz_workpool_post(mz_workpool *p, void *batch, size_t n)
{
    unsigned char *state = mz_xcalloc(n ? n : 1, 1); /* JOB_PENDING == 0 */
    pthread_mutex_lock(&p->mu);
    free(p->state);
    p->state = state;
    p->batch = batch;
    p->n = n;
    p->next = 0;
    p->failed = false;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

bool mz_workpool_take(mz_workpool *p, size_t i, void *ctx)
{
    pthread_mutex_lock(&p->mu);
    bool mine = p->state[i] == JOB_PENDING;
    if (mine)
        p->state[i] = JOB_RUNNING;
    while (!mine && p->state[i] == JOB_RUNNING)
        pthread_cond_wait(&p->done, &p->mu);
    void *batch = p->batch;
    pthread_mutex_unlock(&p->mu);
    if (mine) {
        bool ok = p->ops.run(ctx, batch, i);
        pthread_mutex_lock(&p->mu);
        finish(p, i, ok);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_lock(&p->mu);
    bool ok = p->state[i] == JOB_OK;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void mz_workpool_end(mz_workpool *p)
{
    pthread_mutex_lock(&p->mu);
    p->next = p->n;
    for (size_t i = 0; i < p->n; i++)
        while (p->state[i] == JOB_RUNNING)
            pthread_cond_wait(&p->done, &p->mu);
    p->batch = NULL;
    p->n = p->next = 0;
    pthread_mutex_unlock(&p->mu);
}

void mz_workpool_stop(mz_workpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    destroy(p);
}
