/*
 * plog_commit.h — group commit for the processing log (issue 18).
 *
 * Why: every read of a person's data must be in the processing log before
 * its answer goes out (plog.h), and a durable commit waits for a WAL
 * flush. One commit per read made the flush the read path's wall (2,478
 * req/s against a 122,000 req/s HTTP ceiling). Here the handler builds its
 * answer, suspends the request (mz_req_suspend) and hands the record to one
 * committer thread with its own connection; the committer writes every
 * record that queued up meanwhile with one statement (plog_insert_many:
 * arrays + unnest, the audit records in the same statement) in one
 * autocommit transaction, and only then resumes each request. The answer
 * is still sent only after its record is durable; when the statement or
 * its commit fails, every request of that batch gets 503 (with Retry-After)
 * and none of them any data: fail-closed, as before.
 *
 * Ownership: mz_plog_submit copies what the entry points at; done(ud, ok)
 * runs exactly once per submit, on the committer thread or (committer not
 * running, queue full) before submit returns. mz_plog_reply* take the
 * body buffer.
 */
#ifndef MZ_PLOG_COMMIT_H
#define MZ_PLOG_COMMIT_H

#include <stdbool.h>

#include "buf.h"
#include "case_cache.h"
#include "http.h"
#include "plog.h"

typedef void (*mz_plog_done)(void *ud, bool ok);

void mz_plog_submit(const mz_plog_entry *e, mz_plog_done done, void *ud);

/* Answers r with status and the JSON body b (plus the traceparent of t
 * when t is not NULL) once e is durable; 503 when it could not be written.
 * Without a running committer the record is written on this thread first. */
void mz_plog_reply(mz_req *r, const mz_plog_entry *e, const mz_trace *t, unsigned status,
                   mz_buf *b);
/* The same for an answer from the case cache (case_cache.h): the batch
 * also sends a fence; once the listener has seen it, the hit is checked
 * again and, when something it was built from may have changed meanwhile,
 * rebuild(r, out) reads it from the database (its read is logged already);
 * rebuild returns false when it replied itself (503). Status 200. */
void mz_plog_reply_cached(mz_req *r, const mz_plog_entry *e, const mz_trace *t, mz_buf *b,
                          const mz_case_cache_ticket *ticket,
                          bool (*rebuild)(mz_req *r, mz_buf *out));
/* The same with a problem answer (e.g. 404 for a case that is not there:
 * that look-up is logged too). detail must be a static string. */
void mz_plog_reply_problem(mz_req *r, const mz_plog_entry *e, mz_problem p, const char *detail);

/* Starts / stops the committer. Stop completes what is queued first; stop
 * it after the HTTP server has drained. */
bool mz_plog_commit_start(void);
void mz_plog_commit_stop(void);

/* Prometheus text: commits, records, failed batches and the batch-size
 * histogram (mz_plog_batch_size). */
void mz_plog_commit_metrics(mz_buf *b);

#endif
