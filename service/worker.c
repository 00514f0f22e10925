#include "worker.h"

#include <time.h>

bool mz_worker_start(mz_worker *w, void *(*fn)(void *), void *arg)
{
    if (w->running)
        return false;
    w->stop = false;
    w->kicked = false;
    if (pthread_create(&w->thread, NULL, fn, arg) != 0)
        return false;
    w->running = true;
    return true;
}

void mz_worker_wake(mz_worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->kicked = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void mz_worker_stop(mz_worker *w)
{
    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = false;
}

bool mz_worker_stopping(mz_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool s = w->stop;
    pthread_mutex_unlock(&w->mu);
    return s;
}

void mz_worker_nap(mz_worker *w, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    if (!w->stop && !w->kicked)
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    w->kicked = false;
    pthread_mutex_unlock(&w->mu);
}
