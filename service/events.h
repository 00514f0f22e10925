/*
 * events.h — the webhook event format (our own, documented in the OpenAPI
 * document as CaseEvent) and its canonical inbox form.
 *
 * An agency pushes one event object, or an array of 1..100 of them:
 *   caseReference*, subject{kind*, id*, vestiging}* | bsn*, title*,
 *   status{group*, text*}, occurredAt*,
 *   caseNumber, caseType{code, label}, dates{registered, plannedEnd,
 *   legalDeadline, closed}, actionRequired{text*, url, dueDate}, result,
 *   link, documents[], decisions[]                           (* required)
 * (documents and decisions: see "documents and decisions" in events.c)
 * Everything is validated before we acknowledge (400 naming the field);
 * unknown members are ignored (tolerant reader). The subject is a person
 * (kind "bsn") or a business (kind "kvk", subject.h); "bsn" is the older
 * way to name a person and stays accepted; given both, they must agree.
 *
 * Why a canonical form: the inbox keeps what we acknowledged so that it
 * can be processed (and re-processed) later, but it must not keep the BSN.
 * mz_events_accept re-serialises the validated events with the subject
 * replaced by its pseudonym ("subjectKey", hex) and its kind
 * ("subjectKind"), unknown members dropped; the
 * processor replays that form with mz_events_replay.
 *
 * Ownership: out buffers are the caller's; records passed to the callback
 * live only during the call.
 */
#ifndef MZ_EVENTS_H
#define MZ_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "store.h"

#define MZ_EVENTS_MAX_BATCH 100

/* Validates a pushed body; on success appends the canonical form to out and
 * sets *count. On failure err names the field, e.g.
 * "events[2].status.group: must be one of received, ..." (never a value). */
bool mz_events_accept(const char *body, size_t len, mz_buf *out, size_t *count, char *err,
                      size_t errlen);

typedef bool (*mz_event_fn)(void *ud, const mz_case_record *rec);

/* Replays a canonical body: calls fn for each event as a record of
 * agency_id, with timeline event keys derived from event_id. false (with
 * err) when the body is not a canonical form or fn returned false. */
bool mz_events_replay(const char *agency_id, const char *event_id, const char *stored, size_t len,
                      mz_event_fn fn, void *ud, char *err, size_t errlen);

/* Strict formats: YYYY-MM-DD (a real calendar date) and RFC 3339 date-time. */
bool mz_valid_date(const char *s);
bool mz_valid_datetime(const char *s);

#endif
