#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "case_cache.h"
#include "db.h"
#include "handover.h"
#include "ingest.h"
#include "json.h"
#include "notify.h"
#include "plog_commit.h"
#include "signin.h"

#define MAX_ROUTES 64
#define CLASSES    6 /* index 0 unused; 1xx..5xx */

/* Latency buckets (seconds), cumulative as Prometheus wants them. */
static const double g_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                  0.1,    0.25,  0.5,    1,     2.5,  5};
#define NBUCKETS (sizeof g_bounds / sizeof g_bounds[0])

static atomic_ullong g_count[MAX_ROUTES + 1][CLASSES];
static atomic_ullong g_bucket[MAX_ROUTES + 1][NBUCKETS + 1]; /* last: +Inf */
static atomic_ullong g_dur_us[MAX_ROUTES + 1];

static size_t route_index(const mz_route *route)
{
    size_t n;
    const mz_route *all = mz_routes(&n);
    if (!route || route < all || route >= all + n || n > MAX_ROUTES)
        return MAX_ROUTES; /* unmatched, or the portal's files */
    return (size_t)(route - all);
}

void mz_metrics_request(const mz_route *route, unsigned status, int64_t duration_us)
{
    size_t i = route_index(route);
    unsigned c = status / 100;
    if (c >= CLASSES || c == 0)
        c = 5;
    atomic_fetch_add_explicit(&g_count[i][c], 1, memory_order_relaxed);
    unsigned long long us = (unsigned long long)(duration_us > 0 ? duration_us : 0);
    atomic_fetch_add_explicit(&g_dur_us[i], us, memory_order_relaxed);
    size_t k = 0;
    while (k < NBUCKETS && (double)us / 1e6 > g_bounds[k])
        k++;
    atomic_fetch_add_explicit(&g_bucket[i][k], 1, memory_order_relaxed);
}

static void route_labels(mz_buf *b, const mz_route *all, size_t n, size_t i)
{
    mz_buf_printf(b, "method=\"%s\",route=\"%s\"", i < n ? all[i].method : "",
                  i < n ? all[i].pattern : "(other)");
}

/* Records not stored (by reason, running totals) and ownership conflicts,
 * per agency (agencies_trust). Reasons are fixed codes ([a-z_], checked by
 * the table), safe as label values. */
static void trust_metrics(mz_buf *b, const PGresult *t)
{
    mz_buf_puts(b, "# HELP mz_sync_skipped_records_total Records a sync or refresh did not store, "
                   "per agency and reason.\n# TYPE mz_sync_skipped_records_total counter\n");
    for (int r = 0; r < PQntuples(t); r++) {
        char err[64];
        const char *txt = PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_SKIP_TOTALS);
        mz_json_doc *d = mz_json_parse(txt, strlen(txt), NULL, err, sizeof err);
        const mz_json *o = d ? mz_json_root(d) : NULL;
        for (const mz_json *k = o && o->type == MZ_JSON_OBJECT ? o->u.kids.first : NULL; k;
             k = k->next) {
            int64_t v = 0;
            if (mz_json_int64(k, &v))
                mz_buf_printf(
                    b, "mz_sync_skipped_records_total{agency=\"%s\",reason=\"%s\"} %lld\n",
                    PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_AGENCY_ID), k->key, (long long)v);
        }
        mz_json_free(d);
    }
    mz_buf_puts(b, "# HELP mz_sync_last_run_skipped_records Records the last successful sync did "
                   "not store, per agency.\n# TYPE mz_sync_last_run_skipped_records gauge\n");
    for (int r = 0; r < PQntuples(t); r++)
        if (!PQgetisnull(t, r, MZ_COL_AGENCIES_TRUST_LAST_SKIPPED))
            mz_buf_printf(b, "mz_sync_last_run_skipped_records{agency=\"%s\"} %s\n",
                          PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_AGENCY_ID),
                          PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_LAST_SKIPPED));
    mz_buf_puts(b, "# HELP mz_case_conflicts_total Records refused because they named another "
                   "subject for a stored case, per agency (drops when such a case is deleted).\n"
                   "# TYPE mz_case_conflicts_total counter\n");
    for (int r = 0; r < PQntuples(t); r++)
        mz_buf_printf(b, "mz_case_conflicts_total{agency=\"%s\"} %s\n",
                      PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_AGENCY_ID),
                      PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_CONFLICT_DETECTIONS));
    mz_buf_puts(b, "# HELP mz_case_conflict_cases Stored cases some source named another subject "
                   "for, per agency.\n# TYPE mz_case_conflict_cases gauge\n");
    for (int r = 0; r < PQntuples(t); r++)
        mz_buf_printf(b, "mz_case_conflict_cases{agency=\"%s\"} %s\n",
                      PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_AGENCY_ID),
                      PQgetvalue(t, r, MZ_COL_AGENCIES_TRUST_CONFLICT_CASES));
}

/* Per-agency sync and inbox state, read from the database at scrape time
 * (so every instance reports the shared truth). */
/* Sign-ins by kind and outcome, and the live sessions per kind (a gauge
 * read from the table: every instance sees all sessions). */
static void session_metrics(mz_buf *b)
{
    mz_signin_metrics(b);
    mz_db *db = mz_db_thread_read();
    PGresult *r = db ? MZ_DB_EXEC0(db, MZ_STMT_SESSIONS_ACTIVE) : NULL;
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
        long n[2] = {0, 0};
        for (int i = 0; i < PQntuples(r); i++)
            n[strcmp(PQgetvalue(r, i, MZ_COL_SESSIONS_ACTIVE_KIND), "citizen") ? 1 : 0] =
                strtol(PQgetvalue(r, i, MZ_COL_SESSIONS_ACTIVE_ACTIVE), NULL, 10);
        mz_buf_printf(b,
                      "# HELP mz_sessions_active Signed-in sessions not yet expired, by kind.\n"
                      "# TYPE mz_sessions_active gauge\nmz_sessions_active{kind=\"citizen\"} %ld\n"
                      "mz_sessions_active{kind=\"professional\"} %ld\n",
                      n[0], n[1]);
    }
    PQclear(r);
}

static void agency_metrics(mz_buf *b)
{
    mz_db *db = mz_db_thread_read();
    PGresult *s = db ? MZ_DB_EXEC0(db, MZ_STMT_AGENCIES_ADMIN) : NULL;
    PGresult *in = db ? MZ_DB_EXEC0(db, MZ_STMT_INBOX_STATS) : NULL;
    PGresult *trust = db ? MZ_DB_EXEC0(db, MZ_STMT_AGENCIES_TRUST) : NULL;
    mz_buf_printf(b,
                  "# HELP mz_database_up Whether the database answered this scrape.\n"
                  "# TYPE mz_database_up gauge\nmz_database_up %d\n",
                  mz_db_ok(s) ? 1 : 0);
    if (mz_db_ok(s)) {
        mz_buf_puts(b, "# HELP mz_sync_runs_total Pull syncs run, per agency.\n"
                       "# TYPE mz_sync_runs_total counter\n");
        for (int r = 0; r < PQntuples(s); r++)
            mz_buf_printf(b, "mz_sync_runs_total{agency=\"%s\"} %s\n",
                          PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_ID),
                          PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_RUNS));
        mz_buf_puts(b, "# HELP mz_sync_consecutive_failures Failed syncs in a row, per agency.\n"
                       "# TYPE mz_sync_consecutive_failures gauge\n");
        for (int r = 0; r < PQntuples(s); r++)
            mz_buf_printf(b, "mz_sync_consecutive_failures{agency=\"%s\"} %s\n",
                          PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_ID),
                          PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_FAILURES));
        mz_buf_puts(b, "# HELP mz_sync_last_success_timestamp_seconds Last successful sync.\n"
                       "# TYPE mz_sync_last_success_timestamp_seconds gauge\n");
        for (int r = 0; r < PQntuples(s); r++) {
            if (PQgetisnull(s, r, MZ_COL_AGENCIES_ADMIN_LAST_SUCCESS_AT))
                continue;
            struct tm tm;
            memset(&tm, 0, sizeof tm);
            const char *ts = PQgetvalue(
                s, r, MZ_COL_AGENCIES_ADMIN_LAST_SUCCESS_AT); /* "YYYY-MM-DD HH:MM:SS[.f]+00" */
            if (sscanf(ts, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                       &tm.tm_min, &tm.tm_sec) == 6) {
                tm.tm_year -= 1900;
                tm.tm_mon -= 1;
                mz_buf_printf(b, "mz_sync_last_success_timestamp_seconds{agency=\"%s\"} %lld\n",
                              PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_ID), (long long)timegm(&tm));
            }
        }
        mz_buf_puts(b, "# HELP mz_cases Cases stored, per agency.\n# TYPE mz_cases gauge\n");
        for (int r = 0; r < PQntuples(s); r++)
            mz_buf_printf(b, "mz_cases{agency=\"%s\"} %s\n",
                          PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_ID),
                          PQgetvalue(s, r, MZ_COL_AGENCIES_ADMIN_CASES));
    }
    if (mz_db_ok(in)) {
        mz_buf_puts(b, "# HELP mz_inbox_pending Pushed updates not yet processed, per agency.\n"
                       "# TYPE mz_inbox_pending gauge\n");
        for (int r = 0; r < PQntuples(in); r++)
            mz_buf_printf(b, "mz_inbox_pending{agency=\"%s\"} %s\n",
                          PQgetvalue(in, r, MZ_COL_INBOX_STATS_AGENCY_ID),
                          PQgetvalue(in, r, MZ_COL_INBOX_STATS_PENDING));
        mz_buf_puts(b, "# HELP mz_inbox_failing Pushed updates whose processing failed, per "
                       "agency.\n# TYPE mz_inbox_failing gauge\n");
        for (int r = 0; r < PQntuples(in); r++)
            mz_buf_printf(b, "mz_inbox_failing{agency=\"%s\"} %s\n",
                          PQgetvalue(in, r, MZ_COL_INBOX_STATS_AGENCY_ID),
                          PQgetvalue(in, r, MZ_COL_INBOX_STATS_FAILING));
        mz_buf_puts(b, "# HELP mz_inbox_dead Pushed updates given up after MZ_INBOX_MAX_ATTEMPTS "
                       "failed attempts, per agency.\n# TYPE mz_inbox_dead gauge\n");
        for (int r = 0; r < PQntuples(in); r++)
            mz_buf_printf(b, "mz_inbox_dead{agency=\"%s\"} %s\n",
                          PQgetvalue(in, r, MZ_COL_INBOX_STATS_AGENCY_ID),
                          PQgetvalue(in, r, MZ_COL_INBOX_STATS_DEAD));
    }
    if (mz_db_ok(trust))
        trust_metrics(b, trust);
    PQclear(s);
    PQclear(in);
    PQclear(trust);
}

void mz_metrics_render(mz_buf *b)
{
    size_t n;
    const mz_route *all = mz_routes(&n);
    mz_buf_puts(b, "# HELP mz_http_requests_total HTTP requests by route and status class.\n"
                   "# TYPE mz_http_requests_total counter\n");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        if (i >= n && i != MAX_ROUTES)
            continue;
        for (unsigned c = 1; c < CLASSES; c++) {
            unsigned long long v = atomic_load(&g_count[i][c]);
            if (!v)
                continue;
            mz_buf_puts(b, "mz_http_requests_total{");
            route_labels(b, all, n, i);
            mz_buf_printf(b, ",code=\"%uxx\"} %llu\n", c, v);
        }
    }
    mz_buf_puts(b, "# HELP mz_http_request_duration_seconds Time to answer, by route.\n"
                   "# TYPE mz_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        if (i >= n && i != MAX_ROUTES)
            continue;
        unsigned long long total = 0;
        for (size_t k = 0; k <= NBUCKETS; k++)
            total += atomic_load(&g_bucket[i][k]);
        if (!total)
            continue;
        unsigned long long cum = 0;
        for (size_t k = 0; k <= NBUCKETS; k++) {
            cum += atomic_load(&g_bucket[i][k]);
            mz_buf_puts(b, "mz_http_request_duration_seconds_bucket{");
            route_labels(b, all, n, i);
            if (k < NBUCKETS)
                mz_buf_printf(b, ",le=\"%g\"} %llu\n", g_bounds[k], cum);
            else
                mz_buf_printf(b, ",le=\"+Inf\"} %llu\n", cum);
        }
        mz_buf_puts(b, "mz_http_request_duration_seconds_sum{");
        route_labels(b, all, n, i);
        mz_buf_printf(b, "} %.6f\n", (double)atomic_load(&g_dur_us[i]) / 1e6);
        mz_buf_puts(b, "mz_http_request_duration_seconds_count{");
        route_labels(b, all, n, i);
        mz_buf_printf(b, "} %llu\n", total);
    }
    mz_buf_printf(b,
                  "# HELP mz_db_reconnects_total Database reconnections.\n"
                  "# TYPE mz_db_reconnects_total counter\nmz_db_reconnects_total %lu\n",
                  mz_db_reconnects());
    int open, busy;
    mz_db_stats(&open, &busy);
    mz_buf_printf(b,
                  "# HELP mz_db_connections Database connections this process holds (one per "
                  "worker thread and background task).\n# TYPE mz_db_connections gauge\n"
                  "mz_db_connections %d\n"
                  "# HELP mz_db_connections_busy Of those, running a statement at the scrape.\n"
                  "# TYPE mz_db_connections_busy gauge\nmz_db_connections_busy %d\n",
                  open, busy);
    unsigned long commits, rows;
    mz_ingest_stats(&commits, &rows);
    mz_buf_printf(b,
                  "# HELP mz_inbox_commits_total Transactions the push committer made (group "
                  "commit).\n# TYPE mz_inbox_commits_total counter\nmz_inbox_commits_total %lu\n"
                  "# HELP mz_inbox_committed_rows_total Pushes the committer wrote in them.\n"
                  "# TYPE mz_inbox_committed_rows_total counter\n"
                  "mz_inbox_committed_rows_total %lu\n",
                  commits, rows);
    mz_plog_commit_metrics(b);
    mz_case_cache_metrics(b);
    unsigned long hits, misses;
    mz_auth_cache_stats(&hits, &misses);
    mz_buf_printf(b,
                  "# HELP mz_token_cache_hits_total Bearer tokens found verified in the cache.\n"
                  "# TYPE mz_token_cache_hits_total counter\nmz_token_cache_hits_total %lu\n"
                  "# HELP mz_token_cache_misses_total Bearer tokens verified anew.\n"
                  "# TYPE mz_token_cache_misses_total counter\nmz_token_cache_misses_total %lu\n",
                  hits, misses);
    agency_metrics(b);
    session_metrics(b);
    mz_notify_metrics(b, mz_db_thread_read());   /* outbox backlog; sent/failed/retried */
    mz_handover_metrics(b, mz_db_thread_read()); /* hand-overs by state; deliveries */
    mz_buf_printf(b,
                  "# HELP mz_build_info Build information.\n# TYPE mz_build_info gauge\n"
                  "mz_build_info{version=\"%s\"} 1\n",
                  MZ_VERSION);
}
