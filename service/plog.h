/*
 * plog.h — writing the processing log (after the Dutch standard "Logboek
 * Dataverwerkingen") and the audit record, and the W3C trace context.
 *
 * Every read of a person's data writes one processing_log record per data
 * subject (trace id, span id, activity, subject pseudonym, start, end,
 * outcome, organisation) and, when an employee did it, one audit_log record
 * (who), which points at its processing-log record by that record's own id
 * (the server's, unique) — not by trace id, which the caller may choose and
 * two callers may share. The handler writes them after it has built the
 * response and before it sends it; if writing fails the response is
 * dropped and the caller gets 503: there is no unlogged access. In the
 * server the write goes through the group committer (plog_commit.h);
 * mz_plog_write is the single-record form it falls back to.
 *
 * The trace: an incoming `traceparent` (W3C Trace Context, version 00) is
 * continued (its trace id kept, its span id recorded as parent); otherwise
 * a new trace starts. Our span id is new per request. Trace ids are never
 * written to log lines (hex can look like a BSN to the leak check) — they
 * are in the processing log and the `traceparent` response header.
 */
#ifndef MZ_PLOG_H
#define MZ_PLOG_H

#include <stdbool.h>

#include "activities.h"
#include "crypto.h"
#include "db.h"
#include "http.h"

typedef struct mz_trace {
    char trace_id[33];
    char span_id[17];
    char parent_span_id[17]; /* "" when the trace starts here */
} mz_trace;

/* Parses r's traceparent or starts a new trace; adds our traceparent to
 * the response later via mz_trace_header. */
void mz_trace_begin(const mz_req *r, mz_trace *t);
/* Adds "traceparent: 00-<trace>-<our span>-01" to r's response. */
void mz_trace_header(mz_req *r, const mz_trace *t);
/* Validates a traceparent value (exposed for tests). */
bool mz_traceparent_parse(const char *v, char trace_id[33], char span_id[17]);

typedef struct mz_plog_entry {
    const mz_trace *trace;
    const mz_activity *activity;
    const char *organisation;
    const unsigned char *subject_key; /* MZ_PSEUDONYM_LEN bytes */
    const char *subject_kind;         /* "bsn" or "kvk"; NULL = "bsn" */
    const char *started_at;           /* timestamptz text */
    const char *outcome;              /* success, not_found, error */
    /* who acted for the subject (a representative: the `act` claim), as
     * their pseudonym (MZ_PSEUDONYM_LEN bytes); NULL = nobody acted for
     * them. Stored in processing_log.actor_key (012). */
    const unsigned char *actor_key;
    /* the actor, for the audit record; NULL kind = the citizen themself
     * (no audit record: the subject is the actor) */
    const char *actor_kind;
    const char *actor_id;
    const char *endpoint; /* route pattern */
} mz_plog_entry;

/* Writes the record (and the audit record) in one transaction. */
bool mz_plog_write(mz_db *db, const mz_plog_entry *e);

#endif
