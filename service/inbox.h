/*
 * inbox.h — pushed updates: durable first, processed after.
 *
 * Why: an agency that got a 2xx from us will not send again, so anything we
 * acknowledge must survive a crash. Handlers write the (pseudonymised) body
 * to `inbox` and commit (synchronous_commit=on) before answering (through
 * the group committer, ingest.h); a processor thread then turns rows into
 * cases through the same store as pulls. A row's effects commit in the
 * same transaction that marks it done, so they happen exactly once; event
 * rows go 200 to a transaction, set-based. A failing row keeps its error
 * and is retried with backoff, at most MZ_INBOX_MAX_ATTEMPTS times in all;
 * then it is given up (dead_at set, error kept, counted in the admin view
 * and /metrics) and no longer taken. `mijnzaken inbox reprocess` retries
 * every unprocessed row now, given-up ones included. Rows are taken with FOR UPDATE SKIP
 * LOCKED, so several instances share the inbox.
 *
 * Ownership: the processor owns its thread and connection.
 */
#ifndef MZ_INBOX_H
#define MZ_INBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "agencies.h"
#include "db.h"

typedef enum mz_inbox_put {
    MZ_INBOX_STORED,
    MZ_INBOX_DUPLICATE,
    MZ_INBOX_UNAVAILABLE /* database down: the caller answers 503 */
} mz_inbox_result;

mz_inbox_result mz_inbox_put(mz_db *db, const char *agency_id, const char *kind,
                             const char *event_id, const char *body);

/* Processes up to `limit` due event rows (one transaction) and then one
 * due notification row (its own transaction: it fetches from the agency,
 * up to 10 s, and the claim lease is 15 s); returns how many were processed
 * successfully (failed ones are counted in *failed when not NULL), or -1
 * when the database is unavailable. */
int mz_inbox_process(mz_db *db, const mz_agencies *set, int limit, int *failed);

bool mz_inbox_start(const mz_agencies *set);
/* There is a new row: wakes the thread for events, or those for
 * notifications. */
void mz_inbox_wake(bool notification);
void mz_inbox_stop(void);

#endif
