/*
 * ingest.h — group commit for acknowledged pushes.
 *
 * Why: a push may be acknowledged only after its inbox row is committed
 * (inbox.h), and a commit waits for a WAL flush. With one commit per
 * request and a small HTTP thread pool, ingest ran at the disk's flush
 * rate times the number of threads. Here HTTP threads hand each row to one
 * committer thread and suspend the request; the committer writes everything
 * that queued up meanwhile with one multi-row INSERT (inbox_insert_many:
 * one round trip, one flush) and then completes every request in it. An
 * acknowledgement still means the row is durable: done() runs only after
 * the commit returned.
 *
 * Ownership: mz_ingest_submit copies the strings it is given; done(ud, ...)
 * is called exactly once per submit, from the committer thread or, when the
 * committer is not running or the queue is full, before submit returns.
 */
#ifndef MZ_INGEST_H
#define MZ_INGEST_H

#include <stdbool.h>

#include "inbox.h"

typedef void (*mz_ingest_done)(void *ud, mz_inbox_result res);

void mz_ingest_submit(const char *agency_id, const char *kind, const char *event_id,
                      const char *body, mz_ingest_done done, void *ud);

/* Starts / stops the committer. Stop completes what is queued first; stop
 * it after the HTTP server has drained. Without a running committer,
 * submit writes synchronously on the calling thread's connection. */
bool mz_ingest_start(void);
void mz_ingest_stop(void);

/* Commits and rows written by the committer since start (metrics). */
void mz_ingest_stats(unsigned long *commits, unsigned long *rows);

#endif
