#include "metrics.h"

#include <stdatomic.h>
#include <time.h>

#include "db.h"

#define MAX_ROUTES 64
#define CLASSES    6 /* index 0 unused; 1xx..5xx */

static atomic_ullong g_count[MAX_ROUTES + 1][CLASSES];
static atomic_ullong g_dur_us[MAX_ROUTES + 1];
static time_t g_start;

static size_t route_index(const mz_route *route)
{
    size_t n;
    const mz_route *all = mz_routes(&n);
    if (!route || route < all || route >= all + n || n > MAX_ROUTES)
        return MAX_ROUTES; /* unmatched */
    return (size_t)(route - all);
}

void mz_metrics_request(const mz_route *route, unsigned status, int64_t duration_us)
{
    if (!g_start)
        g_start = time(NULL);
    size_t i = route_index(route);
    unsigned c = status / 100;
    if (c >= CLASSES)
        c = 5;
    atomic_fetch_add_explicit(&g_count[i][c], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_dur_us[i], (unsigned long long)(duration_us > 0 ? duration_us : 0),
                              memory_order_relaxed);
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
            mz_buf_printf(b,
                          "mz_http_requests_total{method=\"%s\",route=\"%s\",code=\"%uxx\"} %llu\n",
                          i < n ? all[i].method : "", i < n ? all[i].pattern : "(unmatched)", c, v);
        }
    }
    mz_buf_puts(b, "# HELP mz_http_request_duration_seconds_sum Time spent answering, by route.\n"
                   "# TYPE mz_http_request_duration_seconds_sum counter\n");
    for (size_t i = 0; i < n && i < MAX_ROUTES; i++) {
        unsigned long long v = atomic_load(&g_dur_us[i]);
        if (v)
            mz_buf_printf(b,
                          "mz_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n",
                          all[i].method, all[i].pattern, (double)v / 1e6);
    }
    mz_buf_printf(b,
                  "# HELP mz_db_reconnects_total Database reconnections.\n"
                  "# TYPE mz_db_reconnects_total counter\nmz_db_reconnects_total %lu\n",
                  mz_db_reconnects());
    mz_buf_printf(b,
                  "# HELP mz_build_info Build information.\n# TYPE mz_build_info gauge\n"
                  "mz_build_info{version=\"%s\"} 1\n",
                  MZ_VERSION);
}
