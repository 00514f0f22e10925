/*
 * metrics.h — Prometheus counters (text exposition format 0.0.4).
 *
 * Why so small: counters are atomics indexed by route and status class,
 * so recording costs a few nanoseconds on the hot path and needs no lock.
 * Labels are route *patterns*, never raw paths (which could carry ids).
 */
#ifndef MZ_METRICS_H
#define MZ_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "http.h"

void mz_metrics_request(const mz_route *route, unsigned status, int64_t duration_us);
/* Appends the exposition text to b. */
void mz_metrics_render(mz_buf *b);

#endif
