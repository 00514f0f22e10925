/*
 * h_health.c — liveness (/healthz), readiness (/readyz) and /metrics.
 * Readiness means: the database answers and its schema is exactly the one
 * this build expects; a load balancer stops sending traffic otherwise.
 */
#include "db.h"
#include "handlers.h"
#include "metrics.h"
#include "migrate.h"

static const char ok_body[] = "{\"status\":\"ok\"}";
static const char ready_body[] = "{\"status\":\"ready\"}";

void mz_h_healthz(mz_req *r)
{
    mz_reply_static(r, 200, "application/json", ok_body, sizeof ok_body - 1);
}

void mz_h_readyz(mz_req *r)
{
    mz_db *db = mz_db_thread();
    char err[256];
    if (!db) {
        mz_reply_unavailable(r, "database unavailable");
        return;
    }
    if (!mz_migrate_check(db, err, sizeof err)) {
        mz_reply_unavailable(r, err);
        return;
    }
    mz_reply_static(r, 200, "application/json", ready_body, sizeof ready_body - 1);
}

void mz_h_metrics(mz_req *r)
{
    mz_buf b = MZ_BUF_INIT;
    mz_metrics_render(&b);
    mz_reply_text(r, 200, "text/plain; version=0.0.4", &b);
}
