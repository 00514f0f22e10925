/*
 * sync.h — running adapters into the store: scheduled syncs (a thread in
 * `serve`, or `mijnzaken sync --agency ID --once`) and per-citizen refreshes.
 *
 * Why leases: several service instances run the same scheduler. An agency
 * is claimed with UPDATE ... WHERE agency_id = (SELECT ... FOR UPDATE SKIP
 * LOCKED) which sets a lease (owner, until; MZ_SYNC_LEASE_SECONDS) and
 * commits at once, so no long transaction spans a sync; another instance
 * skips leased agencies. A running sync renews its lease every quarter of
 * it, so a crashed instance's agency is picked up again within one lease. Failures back off
 * exponentially (with jitter): 30 s * 2^(failures-1), at most an hour (or the poll interval if
 * longer).
 *
 * Ownership: reports are caller-owned values. The scheduler owns its thread
 * and database connection; mz_scheduler_stop joins the thread.
 */
#ifndef MZ_SYNC_H
#define MZ_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapter.h"
#include "agencies.h"
#include "buf.h"
#include "db.h"

/* A run may take at most this long (the adapter's deadline). */
#define MZ_SYNC_MAX_RUN_SECONDS 1800

typedef struct mz_sync_report {
    mz_adapter_status status;
    size_t seen, applied, stale, invalid;
    size_t conflicts;             /* refused by the store: the case belongs to another subject */
    size_t skipped;               /* items the adapter could not use (mz_skip_reason) */
    size_t skips[MZ_SKIP__COUNT]; /* the same by reason */
    int64_t duration_ms;
    char error[256];
} mz_sync_report;

/* The records a run did not store, by reason, as a JSON object of fixed
 * codes ("no_subject", "not_subject", "url_outside_base", "incomplete",
 * plus the store's "invalid" and "conflict") to counts, zero counts left
 * out; into out. Returns the total. */
size_t mz_sync_skips_json(const mz_sync_report *rep, mz_buf *out);

/* Adds a run's skips to the agency's running totals (sync_skips, for
 * /metrics); nothing when there were none. Syncs and fresh-on-read
 * refreshes both count. */
void mz_sync_record_skips(mz_db *db, const char *agency_id, const mz_sync_report *rep);

/* Claims (unless already claimed by owner), runs and finishes one agency.
 * false when it could not be claimed (leased elsewhere) or the database
 * failed; the report says how the run went. */
bool mz_sync_agency_once(mz_db *db, const mz_agency *a, const char *owner, mz_sync_report *rep);

/* Backoff delay in seconds after `failures` consecutive failures. */
long mz_sync_backoff(long interval, int failures);

/* A sink that writes each record through the store on db and counts into
 * rep. Pass &s->sink to adapters. */
typedef struct mz_store_sink {
    mz_sink sink; /* first: the emit callback receives this pointer */
    mz_store_batch batch;
    mz_sync_report *rep;
    /* lease renewal while a claimed sync runs (NULL agency: none) */
    const char *lease_agency;
    const char *lease_owner;
    int64_t lease_renewed_ms;
    struct mz_sink_writer *writer; /* NULL: batches are written on the caller's thread */
} mz_store_sink;
void mz_store_sink_init(mz_store_sink *s, mz_db *db, mz_sync_report *rep);
/* Writes each full batch on a writer thread (the sink's connection, one
 * batch at a time, in order) while the adapter goes on fetching and
 * filling the next. Why: a sync's time was mostly the adapter waiting for
 * its own batches' statements and commit; now the database works while
 * the adapter fetches. The connection is used by one thread at a time
 * (the lease is renewed between batches, when the writer is idle). A
 * failed batch is reported at the next full batch or at finish, and fails
 * the run as before. false: no thread (the sink then writes as before).
 * Call before the first record; mz_store_sink_finish stops the thread. */
bool mz_store_sink_background(mz_store_sink *s);
/* Commits what is pending (after the adapter returned OK); false on error,
 * with the reason in rep->error. On failure runs, call with ok = false to
 * roll back what is pending instead. Either way the adapter's skip counts
 * are copied into the report. */
bool mz_store_sink_finish(mz_store_sink *s, bool ok);

/* The scheduler thread (serve). */
bool mz_scheduler_start(const mz_agencies *set);
void mz_scheduler_wake(void); /* e.g. after an admin trigger */
void mz_scheduler_stop(void);

/* A unique owner name for leases: host-pid-random. */
const char *mz_instance_id(void);

#endif
