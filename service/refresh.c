#include "refresh.h"

#include <limits.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agencies.h"
#include "alloc.h"
#include "cases_json.h"
#include "config.h"
#include "log.h"
#include "outbound.h"
#include "sync.h"

#define BACKGROUND_BUDGET_MS 10000
/* A push channel with an unprocessed push older than this is not healthy:
 * the processor applies a push within a second or two, so an older one is
 * failing (retried with backoff) or stuck behind a backlog, and the
 * citizen's data may lack it. */
#define PUSH_BACKLOG_MAX_S 60

static atomic_long g_inflight;

const char *mz_freshness_name(mz_freshness f)
{
    switch (f) {
    case MZ_FRESH:
        return "fresh";
    case MZ_STALE:
        return "stale";
    case MZ_UNAVAILABLE:
        return "unavailable";
    }
    return "stale";
}

/* Shared between the reader and its jobs; freed by whoever leaves last. */
typedef struct group {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    int pending;
    bool reader_gone; /* jobs finishing after this free themselves */
} group;

typedef struct job {
    group *g;
    const mz_agency *agency;
    mz_subject subject; /* wiped when the job ends */
    unsigned char key[MZ_PSEUDONYM_LEN];
    int64_t deadline_ms;
    bool done, ok;    /* under g->mu */
    bool unsupported; /* the adapter cannot refresh one citizen: not a failure */
    int slot;         /* index into the reader's out[] */
} job;

static void group_release(group *g)
{
    pthread_mutex_lock(&g->mu);
    int left = --g->refs;
    pthread_mutex_unlock(&g->mu);
    if (left == 0) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
        free(g);
    }
}

static void *job_main(void *arg)
{
    job *j = arg;
    mz_sync_report rep;
    memset(&rep, 0, sizeof rep);
    bool ok = false;
    mz_adapter_status st = MZ_ADAPTER_UNAVAILABLE;
    mz_db *db = mz_db_thread(); /* this thread's own connection, closed at exit */
    if (db) {
        mz_store_sink sink;
        mz_store_sink_init(&sink, db, &rep);
        char err[256] = "";
        st = j->agency->ops->refresh_subject(j->agency->state, &sink.sink, &j->subject,
                                             j->deadline_ms, err, sizeof err);
        ok = mz_store_sink_finish(&sink, st == MZ_ADAPTER_OK) && st == MZ_ADAPTER_OK;
        mz_sync_record_skips(db, j->agency->id, &rep); /* e.g. other people's zaken refused */
        const char *v[4] = {j->agency->id, (const char *)j->key, ok ? "true" : "false",
                            mz_subject_kind_name(j->subject.kind)};
        const int lens[4] = {0, MZ_PSEUDONYM_LEN, 0, 0};
        const int fmts[4] = {0, 1, 0, 0};
        PQclear(MZ_DB_EXEC_BIN(db, MZ_STMT_SUBJECT_REFRESH_RECORD, v, lens, fmts));
        if (!ok) {
            mz_logline l;
            mz_log_begin(&l, MZ_LOG_WARN, "agency refresh failed");
            mz_log_str(&l, "agency", j->agency->id);
            mz_log_str(&l, "result", mz_adapter_status_name(st));
            mz_log_str(&l, "error", err);
            mz_log_end(&l);
        }
    }
    mz_subject_wipe(&j->subject);
    group *g = j->g;
    pthread_mutex_lock(&g->mu);
    j->ok = ok;
    j->unsupported = !ok && st == MZ_ADAPTER_UNSUPPORTED;
    j->done = true;
    g->pending--;
    bool self_free = g->reader_gone; /* else the reader frees j */
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    atomic_fetch_sub(&g_inflight, 1);
    if (self_free)
        free(j);
    group_release(g);
    return NULL;
}

/* Step 1: one agency's row of subject_freshness into s, and whether its
 * data is old enough to ask the agency again (*a: its configuration, NULL
 * when it has none). */
static bool read_source(const PGresult *r, int i, mz_source_state *s, const mz_agency **a)
{
    snprintf(s->agency_id, sizeof s->agency_id, "%s",
             PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_AGENCY_ID));
    snprintf(s->agency_name, sizeof s->agency_name, "%s",
             PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_AGENCY_NAME));
    s->last_synced[0] = '\0';
    if (!PQgetisnull(r, i, MZ_COL_SUBJECT_FRESHNESS_REFRESHED_AT))
        mz_ts_rfc3339(PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_REFRESHED_AT), s->last_synced);
    s->last_push[0] = '\0';
    if (!PQgetisnull(r, i, MZ_COL_SUBJECT_FRESHNESS_LAST_PUSH_AT))
        mz_ts_rfc3339(PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_LAST_PUSH_AT), s->last_push);
    *a = mz_agencies_find(mz_agencies_current(), s->agency_id);
    /* The rule (README "Fresh on read"): a healthy push channel keeps an
     * agency fresh without asking it; else data refreshed within
     * MZ_REFRESH_AFTER is fresh; else an agency we can ask is asked now;
     * else a demo agency (seeded, no channel: the seed is all there is)
     * is fresh and anything else stale. A push waiting too long (failing
     * or backlogged) vetoes freshness: the citizen's data may lack it. */
    bool has_channel = *a && ((*a)->webhook_secret || (*a)->notifications_auth);
    bool backlog =
        !PQgetisnull(r, i, MZ_COL_SUBJECT_FRESHNESS_OLDEST_PENDING_AGE_S) &&
        atol(PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_OLDEST_PENDING_AGE_S)) > PUSH_BACKLOG_MAX_S;
    bool pushed = !PQgetisnull(r, i, MZ_COL_SUBJECT_FRESHNESS_LAST_PUSH_AGE_S) &&
                  atol(PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_LAST_PUSH_AGE_S)) <=
                      g_mz_config.push_fresh_window;
    bool old = PQgetisnull(r, i, MZ_COL_SUBJECT_FRESHNESS_REFRESHED_AGE_S) ||
               atol(PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_REFRESHED_AGE_S)) >=
                   g_mz_config.refresh_after;
    bool demo = !*a && !strcmp(PQgetvalue(r, i, MZ_COL_SUBJECT_FRESHNESS_DEMO), "t");
    if (has_channel && pushed && !backlog)
        old = false;
    else if (backlog)
        old = true;
    s->freshness = old && !demo ? MZ_STALE : MZ_FRESH;
    return old;
}

/* Step 2: asks agency a for the subject's cases in a background thread,
 * within the in-flight limit; the job reports to group *gp (created on
 * first use). NULL when no job was started. */
static job *start_job(group **gp, const mz_agency *a, const mz_subject *subject,
                      const unsigned char key[MZ_PSEUDONYM_LEN], int64_t now_ms, int slot)
{
    if (atomic_fetch_add(&g_inflight, 1) >= g_mz_config.refresh_max_inflight) {
        atomic_fetch_sub(&g_inflight, 1);
        return NULL;
    }
    if (!*gp) {
        group *g = mz_xcalloc(1, sizeof *g);
        pthread_mutex_init(&g->mu, NULL);
        pthread_cond_init(&g->cv, NULL);
        g->refs = 1;
        *gp = g;
    }
    group *g = *gp;
    job *j = mz_xcalloc(1, sizeof *j);
    j->g = g;
    j->agency = a;
    j->subject = *subject;
    memcpy(j->key, key, MZ_PSEUDONYM_LEN);
    j->deadline_ms = now_ms + BACKGROUND_BUDGET_MS;
    j->slot = slot;
    pthread_mutex_lock(&g->mu);
    g->refs++;
    g->pending++;
    pthread_mutex_unlock(&g->mu);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool started = pthread_create(&t, &attr, job_main, j) == 0;
    pthread_attr_destroy(&attr);
    if (started)
        return j;
    pthread_mutex_lock(&g->mu);
    g->refs--;
    g->pending--;
    pthread_mutex_unlock(&g->mu);
    atomic_fetch_sub(&g_inflight, 1);
    mz_subject_wipe(&j->subject);
    free(j);
    return NULL;
}

/* Step 3: waits for the started jobs, at most MZ_REFRESH_DEADLINE_MS, and
 * writes their outcomes into out; a job still running frees itself. */
static void collect_jobs(group *g, job *jobs[], int n, mz_source_state *out, bool *refreshed)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ms = g_mz_config.refresh_deadline_ms;
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->mu);
    while (g->pending > 0)
        if (pthread_cond_timedwait(&g->cv, &g->mu, &until) != 0)
            break;
    char now_ts[40];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now_ts, sizeof now_ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (int i = 0; i < n; i++) {
        job *j = jobs[i];
        if (!j)
            continue;
        if (j->done) {
            out[i].freshness = j->ok ? MZ_FRESH : j->unsupported ? MZ_STALE : MZ_UNAVAILABLE;
            *refreshed = *refreshed || j->ok;
            if (j->ok)
                snprintf(out[i].last_synced, sizeof out[i].last_synced, "%s", now_ts);
            free(j); /* finished jobs leave their memory to us */
        } else {
            out[i].freshness = MZ_UNAVAILABLE; /* still running: it frees itself */
        }
    }
    g->reader_gone = true;
    pthread_mutex_unlock(&g->mu);
    group_release(g);
}

int mz_refresh_subject(mz_db *db, const mz_subject *subject,
                       const unsigned char key[MZ_PSEUDONYM_LEN], bool refresh,
                       mz_source_state *out, bool *refreshed)
{
    const char *v[1] = {(const char *)key};
    const int lens[1] = {MZ_PSEUDONYM_LEN};
    const int fmts[1] = {1};
    PGresult *r = MZ_DB_EXEC_BIN(db, MZ_STMT_SUBJECT_FRESHNESS, v, lens, fmts);
    return mz_refresh_subject_with(r, subject, key, refresh, out, refreshed);
}

int mz_refresh_subject_with(PGresult *r, const mz_subject *subject,
                            const unsigned char key[MZ_PSEUDONYM_LEN], bool refresh,
                            mz_source_state *out, bool *refreshed)
{
    return mz_refresh_subject_stable(r, subject, key, refresh, out, refreshed, NULL);
}

/* Seconds from now until an age column (NULL: never changes by time alone)
 * crosses limit (age > limit or age >= limit alike, within the margin);
 * LONG_MAX when it has crossed already (it stays). */
static long until_crossed(const PGresult *r, int i, int col, long limit)
{
    if (PQgetisnull(r, i, col))
        return LONG_MAX;
    long age = atol(PQgetvalue(r, i, col));
    return age > limit ? LONG_MAX : limit - age;
}

/* How long row i's class stays what read_source found, by time alone
 * (the rest changes only with a notified write: case_cache.h); 0 when an
 * agency we can ask is due (a refresh decision cannot come from memory). */
static long row_stable_s(const PGresult *r, int i, bool old, const mz_agency *a)
{
    if (old && a && a->state && a->ops->refresh_subject)
        return 0;
    long s =
        until_crossed(r, i, MZ_COL_SUBJECT_FRESHNESS_REFRESHED_AGE_S, g_mz_config.refresh_after);
    long p = until_crossed(r, i, MZ_COL_SUBJECT_FRESHNESS_LAST_PUSH_AGE_S,
                           g_mz_config.push_fresh_window);
    long w = until_crossed(r, i, MZ_COL_SUBJECT_FRESHNESS_OLDEST_PENDING_AGE_S, PUSH_BACKLOG_MAX_S);
    s = p < s ? p : s;
    s = w < s ? w : s;
    /* ages are whole seconds, rounded by Postgres: keep a margin */
    return s == LONG_MAX ? LONG_MAX : (s > 2 ? s - 2 : 0);
}

int mz_refresh_subject_stable(PGresult *r, const mz_subject *subject,
                              const unsigned char key[MZ_PSEUDONYM_LEN], bool refresh,
                              mz_source_state *out, bool *refreshed, long *stable_s)
{
    *refreshed = false;
    if (stable_s)
        *stable_s = 0;
    if (!mz_db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r);
    if (n > MZ_MAX_SOURCES)
        n = MZ_MAX_SOURCES;
    job *jobs[MZ_MAX_SOURCES] = {0};
    group *g = NULL;
    long stable = LONG_MAX;
    bool truncated = PQntuples(r) > MZ_MAX_SOURCES;
    int64_t now_ms = mz_outbound_now_ms();
    for (int i = 0; i < n; i++) {
        const mz_agency *a = NULL;
        bool old = read_source(r, i, &out[i], &a);
        if (refresh && subject && old && a && a->state && a->ops->refresh_subject)
            jobs[i] = start_job(&g, a, subject, key, now_ms, i);
        long s = row_stable_s(r, i, old, a);
        stable = s < stable ? s : stable;
    }
    PQclear(r);
    if (stable_s)
        *stable_s = truncated ? 0 : (stable < 300 ? stable : 300); /* at most 5 min */
    if (g)
        collect_jobs(g, jobs, n, out, refreshed);
    return n;
}

void mz_refresh_drain(long max_ms)
{
    for (long waited = 0; atomic_load(&g_inflight) > 0 && waited < max_ms; waited += 20) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
