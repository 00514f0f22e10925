/* Unit tests for service/workpool.c: jobs run once each, results are
 * consumed in order, a failed job stops further starts, a worker without a
 * context runs nothing, end waits for the jobs running, stop joins the
 * workers (their contexts freed). Also run under ThreadSanitizer:
 * MZ_TSAN=1 scripts/test-some.sh test_workpool. */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workpool.h"

#define NJOBS 200

typedef struct ctx {
    int id; /* 0: the consumer; 1..: workers */
} ctx;

typedef struct job {
    int in;
    int out;
    int ran_on; /* ctx id */
    atomic_int runs;
    long sleep_us;
    bool fail;
} job;

static atomic_int g_ctx_made, g_ctx_freed, g_running, g_max_running;
static ctx g_consumer = {0};

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static bool run(void *c, void *batch, size_t i)
{
    job *j = (job *)batch + i;
    int now = atomic_fetch_add(&g_running, 1) + 1;
    int max = atomic_load(&g_max_running);
    while (now > max && !atomic_compare_exchange_weak(&g_max_running, &max, now))
        ;
    if (j->sleep_us)
        sleep_us(j->sleep_us);
    j->out = j->in * j->in;
    j->ran_on = ((ctx *)c)->id;
    atomic_fetch_add(&j->runs, 1);
    atomic_fetch_sub(&g_running, 1);
    return !j->fail;
}

static void *ctx_new(void *ud)
{
    (void)ud;
    ctx *c = malloc(sizeof *c);
    c->id = atomic_fetch_add(&g_ctx_made, 1) + 1;
    return c;
}

static void *ctx_none(void *ud)
{
    (void)ud;
    atomic_fetch_add(&g_ctx_made, 1);
    return NULL;
}

static void ctx_free(void *c)
{
    atomic_fetch_add(&g_ctx_freed, 1);
    free(c);
}

static int reset(void **state)
{
    (void)state;
    g_ctx_made = g_ctx_freed = g_running = g_max_running = 0;
    return 0;
}

static job *jobs_new(size_t n)
{
    job *j = calloc(n, sizeof *j);
    for (size_t i = 0; i < n; i++)
        j[i].in = (int)i;
    return j;
}

/* Every job runs exactly once, on a worker or on the consumer; take gives
 * each job's outcome in order, with its result in place; several run at
 * once; stop joins the workers, whose contexts are then freed. */
static void test_jobs_run_in_order(void **state)
{
    (void)state;
    mz_workpool_ops ops = {run, ctx_new, ctx_free, NULL};
    mz_workpool *p = mz_workpool_start(4, &ops);
    assert_non_null(p);
    for (int batch = 0; batch < 3; batch++) { /* the pool is reused page after page */
        job *j = jobs_new(NJOBS);
        for (size_t i = 0; i < NJOBS; i++)
            j[i].sleep_us = 200;
        mz_workpool_post(p, j, NJOBS);
        int on_workers = 0;
        for (size_t i = 0; i < NJOBS; i++) {
            assert_true(mz_workpool_take(p, i, &g_consumer));
            assert_int_equal(j[i].out, (int)(i * i)); /* done when take returns */
            assert_int_equal(atomic_load(&j[i].runs), 1);
            on_workers += j[i].ran_on != 0;
        }
        mz_workpool_end(p);
        for (size_t i = 0; i < NJOBS; i++)
            assert_int_equal(atomic_load(&j[i].runs), 1);
        assert_true(on_workers > 0); /* the workers did run ahead */
        free(j);
    }
    assert_true(atomic_load(&g_max_running) > 1);
    mz_workpool_stop(p);
    assert_int_equal(atomic_load(&g_ctx_made), 4);
    assert_int_equal(atomic_load(&g_ctx_freed), 4);
    assert_int_equal(atomic_load(&g_running), 0);
}

/* After a job fails, the workers start no further job: the consumer, which
 * takes the failure, runs any later job it takes itself. */
static void test_failure_stops_starts(void **state)
{
    (void)state;
    mz_workpool_ops ops = {run, ctx_new, ctx_free, NULL};
    mz_workpool *p = mz_workpool_start(1, &ops);
    assert_non_null(p);
    job *j = jobs_new(20);
    j[0].fail = true;
    mz_workpool_post(p, j, 20);
    /* Let the worker run the failing job: were the consumer to take job 0
     * itself (a loaded machine, the worker not yet awake), the worker could
     * rightly start job 1 before any failure existed. */
    for (int w = 0; w < 5000 && atomic_load(&j[0].runs) == 0; w++)
        sleep_us(1000);
    assert_int_equal(atomic_load(&j[0].runs), 1);
    assert_false(mz_workpool_take(p, 0, &g_consumer));
    sleep_us(50000); /* room for a worker that would wrongly go on */
    for (size_t i = 1; i < 20; i++)
        assert_int_equal(atomic_load(&j[i].runs), 0);
    for (size_t i = 1; i < 20; i++) {
        assert_true(mz_workpool_take(p, i, &g_consumer));
        assert_int_equal(j[i].ran_on, 0);
        assert_int_equal(j[i].out, (int)(i * i));
    }
    mz_workpool_end(p);
    /* a new batch starts afresh: the workers take its jobs again */
    job *k = jobs_new(20);
    for (size_t i = 0; i < 20; i++)
        k[i].sleep_us = 1000;
    mz_workpool_post(p, k, 20);
    sleep_us(50000);
    int on_worker = 0;
    for (size_t i = 0; i < 20; i++) {
        assert_true(mz_workpool_take(p, i, &g_consumer));
        on_worker += k[i].ran_on != 0;
    }
    mz_workpool_end(p);
    assert_true(on_worker > 0);
    mz_workpool_stop(p);
    free(j);
    free(k);
}

/* A failure in the middle: take reports it for that job only. */
static void test_failure_reported_at_its_job(void **state)
{
    (void)state;
    mz_workpool_ops ops = {run, ctx_new, ctx_free, NULL};
    mz_workpool *p = mz_workpool_start(3, &ops);
    job *j = jobs_new(50);
    j[30].fail = true;
    mz_workpool_post(p, j, 50);
    for (size_t i = 0; i < 30; i++)
        assert_true(mz_workpool_take(p, i, &g_consumer));
    assert_false(mz_workpool_take(p, 30, &g_consumer));
    mz_workpool_end(p);
    for (size_t i = 0; i < 50; i++)
        assert_true(atomic_load(&j[i].runs) <= 1);
    mz_workpool_stop(p);
    free(j);
}

/* A worker whose context cannot be made runs nothing: the consumer does
 * every job itself. */
static void test_worker_without_context(void **state)
{
    (void)state;
    mz_workpool_ops ops = {run, ctx_none, ctx_free, NULL};
    mz_workpool *p = mz_workpool_start(2, &ops);
    assert_non_null(p);
    job *j = jobs_new(10);
    mz_workpool_post(p, j, 10);
    sleep_us(20000);
    for (size_t i = 0; i < 10; i++) {
        assert_true(mz_workpool_take(p, i, &g_consumer));
        assert_int_equal(j[i].ran_on, 0);
    }
    mz_workpool_end(p);
    mz_workpool_stop(p);
    assert_int_equal(atomic_load(&g_ctx_freed), 0); /* nothing to free */
    free(j);
}

/* end returns only when no job runs any more, and starts none after: the
 * batch may be freed right away. */
static void test_end_waits_for_running(void **state)
{
    (void)state;
    mz_workpool_ops ops = {run, ctx_new, ctx_free, NULL};
    mz_workpool *p = mz_workpool_start(4, &ops);
    job *j = jobs_new(40);
    for (size_t i = 0; i < 40; i++)
        j[i].sleep_us = 20000;
    mz_workpool_post(p, j, 40);
    assert_true(mz_workpool_take(p, 0, &g_consumer));
    mz_workpool_end(p);
    assert_int_equal(atomic_load(&g_running), 0);
    int ran = 0;
    for (size_t i = 0; i < 40; i++)
        ran += atomic_load(&j[i].runs);
    sleep_us(50000);
    int later = 0;
    for (size_t i = 0; i < 40; i++)
        later += atomic_load(&j[i].runs);
    assert_int_equal(ran, later); /* nothing started after end */
    assert_true(ran < 40);
    free(j);
    mz_workpool_stop(p);
}

/* ud as every worker's context when there is no ctx_new. */
static void test_shared_context(void **state)
{
    (void)state;
    ctx shared = {7};
    mz_workpool_ops ops = {run, NULL, ctx_free, &shared};
    mz_workpool *p = mz_workpool_start(2, &ops);
    job *j = jobs_new(30);
    for (size_t i = 0; i < 30; i++)
        j[i].sleep_us = 500;
    mz_workpool_post(p, j, 30);
    int on_workers = 0;
    for (size_t i = 0; i < 30; i++) {
        assert_true(mz_workpool_take(p, i, &g_consumer));
        assert_true(j[i].ran_on == 0 || j[i].ran_on == 7);
        on_workers += j[i].ran_on == 7;
    }
    mz_workpool_end(p);
    mz_workpool_stop(p);
    assert_true(on_workers > 0);
    assert_int_equal(atomic_load(&g_ctx_freed), 0);
    free(j);
    mz_workpool_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_jobs_run_in_order, reset),
        cmocka_unit_test_setup(test_failure_stops_starts, reset),
        cmocka_unit_test_setup(test_failure_reported_at_its_job, reset),
        cmocka_unit_test_setup(test_worker_without_context, reset),
        cmocka_unit_test_setup(test_end_waits_for_running, reset),
        cmocka_unit_test_setup(test_shared_context, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
