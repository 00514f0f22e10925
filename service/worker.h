/*
 * worker.h — a background thread that can be woken early and stopped:
 * the scheduler and the inbox processor are both a loop of "do a step,
 * then nap until there may be work again".
 *
 * Ownership: the mz_worker is a static or caller-owned value; start/stop
 * own the thread. Initialise with MZ_WORKER_INIT.
 */
#ifndef MZ_WORKER_H
#define MZ_WORKER_H

#include <pthread.h>
#include <stdbool.h>

typedef struct mz_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, kicked, running;
} mz_worker;

#define MZ_WORKER_INIT                                                                             \
    {                                                                                              \
        .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER                            \
    }

/* Starts fn(arg) on a new thread; false if already running or on failure. */
bool mz_worker_start(mz_worker *w, void *(*fn)(void *), void *arg);
/* Ends a nap at once (there is work). */
void mz_worker_wake(mz_worker *w);
/* Asks the loop to end and joins the thread. */
void mz_worker_stop(mz_worker *w);
bool mz_worker_stopping(mz_worker *w);
/* Sleeps up to ms, less when woken or stopping. */
void mz_worker_nap(mz_worker *w, long ms);

#endif
