/*
 * workpool.h — a few worker threads that run a posted batch of jobs ahead
 * of a consumer that needs their results one by one, in order.
 *
 * Why: some work is a sequence of slow, independent requests whose
 * results are consumed in order (the ZGW adapter's status histories, one
 * request per zaak of a page). Running them one after another makes their
 * round trips most of the time; running them a few at a time, ahead of
 * the consumer, keeps the outcome and the order the same while the waits
 * overlap.
 *
 * How: mz_workpool_post hands the pool a batch of n jobs (job i is
 * run(ctx, batch, i)); idle workers take them in index order. The consumer
 * calls mz_workpool_take(i) for i = 0, 1, ...: it waits for a job that is
 * running, and runs a job nobody has started yet itself (on its own ctx),
 * so it never waits for work that is not under way. Once any job fails
 * (run returns false) the workers start no further job of the batch (the
 * consumer, which stops at that job's failure anyway, makes any it still
 * takes itself). mz_workpool_end closes the batch: nothing more is
 * started, and it returns once the jobs running have finished, so the
 * batch's memory may then be freed. A new batch may then be posted.
 *
 * Each worker has a context of its own (e.g. an outbound client, which is
 * not shareable between threads), made by ctx_new in the worker thread at
 * its start and freed by ctx_free when it stops; a worker whose ctx_new
 * returns NULL runs no job.
 *
 * Threads: post, take, end and stop are called by one consumer thread.
 *
 * Ownership: mz_workpool_start returns a pool the caller stops (and frees)
 * with mz_workpool_stop, which joins every worker. The batch stays the
 * caller's; the pool only keeps a pointer to it until mz_workpool_end.
 */
#ifndef MZ_WORKPOOL_H
#define MZ_WORKPOOL_H

#include <stdbool.h>
#include <stddef.h>

#define MZ_WORKPOOL_MAX_WORKERS 64

typedef struct mz_workpool mz_workpool;

typedef struct mz_workpool_ops {
    /* Runs job i of batch on ctx; false when it failed. Called without any
     * lock held, from a worker or from mz_workpool_take. */
    bool (*run)(void *ctx, void *batch, size_t i);
    /* A worker's context (NULL: the worker runs no job); NULL ctx_new: each
     * worker's context is ud itself (then ctx_free is not called). */
    void *(*ctx_new)(void *ud);
    void (*ctx_free)(void *ctx);
    void *ud;
} mz_workpool_ops;

/* Starts up to `workers` threads (at most MZ_WORKPOOL_MAX_WORKERS); NULL
 * when none could be started (the caller then does the work itself). */
mz_workpool *mz_workpool_start(int workers, const mz_workpool_ops *ops);
/* Posts a batch of n jobs; the previous one must have been ended. */
void mz_workpool_post(mz_workpool *p, void *batch, size_t n);
/* Job i's outcome (true: run succeeded): waits for it while a worker runs
 * it, or runs it here on ctx when no one has started it. Once per job. */
bool mz_workpool_take(mz_workpool *p, size_t i, void *ctx);
/* Ends the batch: no job is started any more; returns when none runs. */
void mz_workpool_end(mz_workpool *p);
/* Stops the workers, joins them and frees the pool; NULL is fine. */
void mz_workpool_stop(mz_workpool *p);

#endif
