/*
 * handover.h — contact moments and hand-over between organisations
 * (issue 17; migration 015), in the vocabulary of VNG Klantinteracties:
 * a contact moment is a klantcontact, the case it is about its
 * onderwerpobject, a hand-over an interne taak for another organisation.
 *
 * The flow: POST /api/v1/contact-moments (h_contact.c) stores the contact
 * moment and, when asked, a hand-over row in one transaction with the
 * processing-log and audit records. The hand-over row is an outbox: the
 * delivery threads (mz_handover_start; two per instance, several instances
 * share the table) claim due rows with FOR UPDATE SKIP LOCKED and a lease,
 * and POST each to the agency's configured `handover.url`, signed after
 * Standard Webhooks (webhook.h) with the agency's `handover` secret and
 * the row's id as `webhook-id` — the same on every attempt, so the agency
 * can drop a redelivery. Outcomes are recorded in the row: delivered (2xx),
 * pending again with backoff (408, 429, 5xx, no answer: the agency may be
 * down for hours; nothing is lost), failed (another 4xx, no configuration,
 * a value that cannot be decrypted, or MZ_HANDOVER_MAX_ATTEMPTS).
 *
 * At-least-once: a worker that dies mid-delivery leaves the row
 * 'delivering' with a lease; when the lease runs out another worker
 * delivers it again under the same webhook-id.
 *
 * The agency answers through the existing signed push endpoint
 * (POST /api/v1/agencies/{id}/events) with a hand-over event,
 * {"type": "handover.acknowledged" | "handover.closed", "handoverId"},
 * which sets the row's state (mz_handover_event).
 *
 * Delivery body (JSON, Standard Webhooks' {type, timestamp, data}):
 *   type "handover.requested", timestamp (RFC 3339), data: {handoverId,
 *   organisation (who hands over), question, callback {wanted,
 *   phoneNumber?}, subject {kind, id}, klantcontact {id, kanaal, onderwerp,
 *   inhoud, vraagBeantwoord, plaatsgevondenOp}, onderwerpobject? {zaak
 *   {id, caseReference?}}}.
 * The subject's identifier and the callback number are sealed in the row
 * (contact.h, AES-256-GCM under MZ_CONTACT_KEY_FILE, aad "handover:<row
 * id>:<field>"), opened only to build this body.
 *
 * Ownership: nothing returned is owned by the caller unless stated.
 */
#ifndef MZ_HANDOVER_H
#define MZ_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "agencies.h"
#include "buf.h"
#include "db.h"

#define MZ_CONTACT_SUMMARY_MAX   2000 /* bytes */
#define MZ_CONTACT_TOPIC_MAX     200
#define MZ_HANDOVER_QUESTION_MAX 2000
#define MZ_HANDOVER_MAX_ATTEMPTS 200 /* ~2 days at the 15-minute backoff cap */

/* --- pure rules (unit-tested) */

/* A channel of a contact moment: phone, desk, chat, email, letter. */
bool mz_contact_channel_valid(const char *s);
/* Text an employee typed: no control characters (C0, DEL, C1), except
 * newlines (and tabs) where multiline is true. s is valid UTF-8. */
bool mz_contact_text_ok(const char *s, size_t n, bool multiline);
/* A Dutch phone number to call back: "0" + 9 digits, "+31" + 9 digits or
 * "0031" + 9 digits; spaces, hyphens and one pair of parentheses ignored.
 * Normalised to "+31XXXXXXXXX" into out[13]. */
bool mz_callback_number_normalise(const char *s, char out[13]);
/* The aad of a hand-over's sealed field: "handover:<id>:<field>"; out
 * holds 80. Returns its length. */
size_t mz_handover_aad(const char *id, const char *field, char out[80]);
/* Seconds to wait before attempt `attempts` + 1: 1, 2, 4, ... up to 900. */
long mz_handover_backoff(int attempts);

/* --- the delivery worker */

bool mz_handover_start(void);
void mz_handover_wake(void);
void mz_handover_stop(void);
/* One pass over what is due on db (up to limit rows), for tests: the
 * number handled, -1 on a database error. */
int mz_handover_deliver_due(mz_db *db, int limit);
/* Prometheus text: hand-overs by state (from db, may be NULL) and this
 * process's delivery counters. */
void mz_handover_metrics(mz_buf *b, mz_db *db);

/* --- the agency's answer */

typedef enum mz_handover_event_result {
    MZ_HO_EVENT_APPLIED,   /* the state changed */
    MZ_HO_EVENT_DUPLICATE, /* it was in that state (or closed) already */
    MZ_HO_EVENT_UNKNOWN,   /* no hand-over of this agency has that id */
    MZ_HO_EVENT_INVALID,   /* the body is not a hand-over event (err says why) */
    MZ_HO_EVENT_UNAVAILABLE
} mz_handover_event_result;

/* True when a pushed body is a hand-over event (an object whose "type"
 * starts with "handover."), which mz_handover_event handles instead of
 * the case-event path. */
bool mz_handover_is_event(const char *body, size_t len);
/* Applies a hand-over event of agency_id on db. */
mz_handover_event_result mz_handover_event(mz_db *db, const char *agency_id, const char *body,
                                           size_t len, char *err, size_t errlen);

#endif
