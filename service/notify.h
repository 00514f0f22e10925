/*
 * notify.h — proactive notifications through NotifyNL (GOV.UK Notify API
 * v2, docs/standards/notify-api-v2.md): the rules, the outbox hook the
 * store calls, the message content, the Notify JWT, and the sender worker.
 *
 * The flow: the store applies a change and, in the same transaction,
 * calls mz_notify_enqueue (statement notify_enqueue: which changes notify
 * whom is decided there, set-based — see db_statements.c), so a message
 * exists exactly when its change was committed. The sender threads
 * (mz_notify_start) claim due outbox rows with FOR UPDATE SKIP LOCKED and a
 * lease (several instances share the outbox), send each through
 * mz_outbound with a fresh HS256 JWT, `reference` = the row id, and record
 * the outcome in the row: sent (Notify's id), retry (5xx, 429, timeouts:
 * backoff), failed (400, 403, other 4xx, or MZ_NOTIFY_MAX_ATTEMPTS).
 *
 * At-least-once, and the window left: a sender that dies after Notify
 * accepted a message but before it recorded "sent" leaves the row
 * 'sending' with a lease; when the lease expires, the next claim marks it
 * reclaimed, and the sender first asks Notify for a message with that
 * reference (GET /v2/notifications?reference=) and records that one
 * instead of sending again. The same holds for a retry whose last attempt
 * got no answer (a timeout, a reset connection) or a 5xx: Notify may have
 * accepted it, so it is asked first; a 429 or other 4xx is a refusal and
 * is simply sent again. A duplicate remains possible only when Notify
 * accepted the first request but does not (yet) list it when asked — its
 * own consistency window — and never when the lookup fails (then the row
 * waits and is asked about again).
 *
 * Content (Dutch, language level B1): the templates live in Notify and
 * are chosen by id (MZ_NOTIFY_TEMPLATES); we send only the organisation(s)
 * and the number of changes — never a case title, status text, BSN or a
 * link that signs in. Personalisation, per template:
 *   verification:                            code (6 digits)
 *   statusChange, actionRequired, decision:  organisatie ("Gemeente
 *     Voorbeeld" or "Gemeente Voorbeeld en UWV"), aantal (number of
 *     changes, as text), meer ("ja" when more than one change, else "nee")
 *
 * Ownership: everything loaded by mz_notify_init is the module's, freed by
 * mz_notify_shutdown. Outputs go to caller buffers unless stated.
 */
#ifndef MZ_NOTIFY_H
#define MZ_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "db.h"

#define MZ_NOTIFY_CODE_TTL   900 /* seconds a verification code is valid */
#define MZ_NOTIFY_CODE_TRIES 5   /* wrong codes before a new one is needed */

/* --- pure rules (unit-tested) */

/* SMS may be sent at `now` (UTC seconds): 08:00 up to 21:00 Europe/Amsterdam
 * (CET/CEST by the EU rule: summer time from the last Sunday of March to the
 * last Sunday of October, 01:00 UTC). */
bool mz_notify_sms_allowed(time_t now);
/* Europe/Amsterdam's offset from UTC at `now`, in seconds (3600 or 7200). */
int mz_notify_amsterdam_offset(time_t now);

/* Splits a Notify API key "{name}-{service id}-{secret}" (both uuids, 36
 * characters) into its parts. */
bool mz_notify_parse_key(const char *key, char service_id[37], char secret[37]);
/* The HS256 JWT Notify wants: header {"typ":"JWT","alg":"HS256"}, claims
 * {"iss": service id, "iat": iat}, signed with the secret. out holds 512. */
void mz_notify_jwt(const char *service_id, const char *secret, long iat, char *out, size_t outlen);

/* The template file: {"verification"|"statusChange"|"actionRequired"|
 * "decision": {"email": id, "sms": id}}; every id a uuid. Unknown members
 * are refused. On success the ids are kept. */
bool mz_notify_templates_parse(const char *text, size_t len, char *err, size_t errlen);
/* The template id for kind and channel ("email"/"sms"), or NULL. */
const char *mz_notify_template(const char *kind, const char *channel);

/* The JSON body of one message into b. channel "email" or "sms"; kind as
 * in the outbox; organisations separated by '|'; code for verification. */
void mz_notify_body(mz_buf *b, const char *channel, const char *address, const char *template_id,
                    const char *kind, const char *organisations, int changes, const char *code,
                    const char *reference);

/* --- the store's hook */

/* In the caller's open transaction: outbox rows for the timeline entries
 * just inserted (events_json as case_event_insert_many reads it). False
 * on a database error (the caller's transaction is then aborted). */
bool mz_notify_enqueue(mz_db *db, const char *events_json);

/* --- the service */

/* Loads what serve needs: the contact key (MZ_CONTACT_KEY_FILE: without it
 * the preferences API answers 503), and, when MZ_NOTIFY_URL is set, the API
 * key and the templates; the callback token when configured. False with a
 * message on a broken configuration. */
bool mz_notify_init(char *err, size_t errlen);
void mz_notify_shutdown(void);
/* Whether the preferences API can work (a contact key is loaded) and the
 * templates needed to send a verification code exist. */
bool mz_notify_prefs_enabled(void);
/* True when authorization is "Bearer <the callback token>" (constant time). */
bool mz_notify_callback_authorized(const char *authorization);

/* The sender threads (2 per instance); no-ops when MZ_NOTIFY_URL is unset. */
bool mz_notify_start(void);
void mz_notify_wake(void);
/* An address was just verified: wakes the senders and has the first run
 * the reminder step at once (its due actions need not wait 10 minutes). */
void mz_notify_remind_soon(void);
void mz_notify_stop(void);

/* Sends what is due now on db (one pass, up to limit rows): for tests and
 * `bench`. Returns the number of rows handled, -1 on a database error. */
int mz_notify_send_due(mz_db *db, int limit);

/* The reminder step (the first sender thread runs it every 10 minutes, and
 * at once after an address is verified):
 * one "actionRequired" outbox message per (case, due date) of an open case
 * waiting for the citizen whose action is due within `days` days
 * (MZ_NOTIFY_REMINDER_DAYS; <= 0: nothing), for subjects with a verified
 * address on a chosen channel; folded into the subject's pending digest,
 * sent by the usual rules (digest, SMS quiet hours). Exactly once per
 * (case, due date): table notify_reminders is the unique key, across
 * instances and restarts. Returns the number of (case, due date) pairs
 * written, -1 on a database error. */
int mz_notify_remind(mz_db *db, long days);

/* Prometheus text: backlog by channel and state (from db, may be NULL)
 * and this process's sent/failed/retried counters by channel. */
void mz_notify_metrics(mz_buf *b, mz_db *db);

#endif
