/*
 * store.h — the one write path into the case model.
 *
 * Every update, pulled by an adapter, pushed by webhook or seeded, becomes
 * an mz_case_record and goes through mz_store_upsert_case: validated
 * (status group, required fields, strict UTF-8 without NUL, lengths), then
 * written in one transaction — the case row only when the record is not
 * older than what is stored (source_updated_at; out-of-order safe), and its
 * timeline events always, deduplicated by event key (idempotent).
 *
 * Ownership of a case: a case belongs to the subject (pseudonym) it was
 * first stored for, for good. A record for a known case (agency, external
 * id) that names another subject is refused as a conflict: nothing of it
 * is written (no case change, no timeline entry), the conflict is counted
 * in case_conflicts (our case id, agency, source, when, how often) and
 * logged without any identifier but the agency and (the start of) our case
 * id. Why: the store is the last line of defence against an adapter or
 * agency that credits a case to the wrong person; moving a case to whoever
 * the last record named showed one citizen's case to another. A genuine
 * transfer at the agency is resolved by an operator (docs/security.md).
 *
 * Ownership: records and their strings belong to the caller; nothing is
 * retained after the call returns (a batch queues its own copies).
 */
#ifndef MZ_STORE_H
#define MZ_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"
#include "db.h"
#include "status.h"

typedef struct mz_case_event {
    const char *status_group;
    const char *status_text;
    const char *occurred_at; /* timestamptz text */
    const char *event_key;   /* unique per case; NULL derives one from the fields */
    bool silent;             /* the agency asked not to inform the citizen of this status
                              * (ZGW statustype informeren: false): it notifies no one */
} mz_case_event;

typedef struct mz_case_record {
    const char *agency_id;
    const char *external_id;
    unsigned char subject_key[MZ_PSEUDONYM_LEN];
    const char *case_number;
    const char *title;
    const char *case_type_code;
    const char *case_type_label;
    const char *status_group;
    const char *status_text;
    const char *status_changed_at; /* timestamptz text, required */
    const char *registered_on;     /* YYYY-MM-DD or NULL */
    const char *planned_end_on;
    const char *legal_deadline_on;
    const char *closed_on;
    const char *result_text;
    const char *action_text;
    const char *action_url;
    const char *action_due_on;
    const char *deep_link_url;
    const char *source_url;
    const char *source_updated_at; /* timestamptz text, required */
    const char *source;            /* "poll", "webhook" or "seed" */
    bool silent; /* the record's own status notifies no one (as mz_case_event.silent) */
    const mz_case_event *events;
    size_t n_events;
    /* The kind of subject subject_key is the pseudonym of: "bsn" or "kvk"
     * (subject.h); NULL means "bsn". Written with a new case, never
     * changed (a case never changes owner). */
    const char *subject_kind;
    /* The case's documents and decisions (issue 16, migration 014) as one
     * JSON object {"documents": [{"source_url", "content_url", "title",
     * "format", "file_name", "size", "date"}], "decisions": [{"source_url",
     * "date", "effective_from", "effective_until", "text", "documents":
     * [source URLs]}]}: only what the citizen may see (the adapter
     * filters). NULL: the record says nothing about them and what is stored
     * stays; otherwise each list present replaces the stored set of its
     * kind (a list absent from the object leaves that kind as stored; rows
     * kept by source_url keep their id). Written only for a case of the record's own subject
     * (never for a conflict). At most MZ_ATTACHMENTS_MAX bytes. */
    const char *attachments_json;
} mz_case_record;

#define MZ_ATTACHMENTS_MAX ((size_t)1024 * 1024)

/* The fields of a record, as one table (store.c): the column each is
 * stored in (in case_upsert's parameter order), the name validation
 * messages use, where it is in mz_case_record, its longest accepted value
 * in bytes, and how it is checked. */
typedef enum mz_case_field_kind {
    MZ_FIELD_TEXT,         /* optional text: strict UTF-8, no NUL, at most max bytes */
    MZ_FIELD_REQUIRED,     /* the same, required and not empty */
    MZ_FIELD_SUBJECT_KEY,  /* the pseudonym (binary, MZ_PSEUDONYM_LEN bytes) */
    MZ_FIELD_STATUS_GROUP, /* one of the status groups (status.h) */
    MZ_FIELD_SOURCE,       /* "poll", "webhook" or "seed" */
    MZ_FIELD_SUBJECT_KIND  /* "bsn", "kvk" or NULL (= "bsn") */
} mz_case_field_kind;

typedef struct mz_case_field {
    const char *column; /* case_upsert(_many)'s name for it */
    const char *field;  /* the name validation messages give */
    size_t offset;      /* in mz_case_record */
    size_t max;
    mz_case_field_kind kind;
} mz_case_field;

#define MZ_CASE_NFIELDS 23
extern const mz_case_field mz_case_fields[MZ_CASE_NFIELDS];

typedef enum mz_upsert_result {
    MZ_UPSERT_APPLIED,  /* the case row was inserted or updated */
    MZ_UPSERT_STALE,    /* older than the stored row: case unchanged, events added */
    MZ_UPSERT_INVALID,  /* the record failed validation: nothing written; err names the field */
    MZ_UPSERT_DB_ERROR, /* database unavailable or statement failed: nothing written */
    MZ_UPSERT_QUEUED,   /* batches only: valid, queued; the outcome comes with the batch */
    MZ_UPSERT_CONFLICT  /* the case belongs to another subject: refused, conflict recorded */
} mz_upsert_result;

mz_upsert_result mz_store_upsert_case(mz_db *db, const mz_case_record *rec, char *err,
                                      size_t errlen);

/* Batches for bulk writers (syncs, refreshes): validated records are
 * queued (copied) and written together, MZ_STORE_BATCH at a time and at
 * flush, in one transaction per batch. Why: one commit (one disk flush) per
 * record capped a sync at the disk's commit rate, and one statement per
 * record and per timeline entry (with a savepoint around each record) at
 * the database's round-trip rate; a batch is two set-based statements (all
 * its case rows, then all its timeline entries) and one commit. When a
 * batch statement fails (a value Postgres refuses, say), the batch is
 * rolled back and written again record by record with a savepoint each, so
 * one refused record costs that record only, as before. A database error
 * loses the uncommitted batch (the sync fails and is redone; it is
 * idempotent). Not for acknowledged pushes: those commit first.
 *
 * Outcomes are known only once a batch is written: mz_store_batch_add
 * answers MZ_UPSERT_QUEUED for a queued record, and the counters below
 * (applied, stale, invalid, conflicts) grow when batches are written; the
 * caller reads and resets them. */
#define MZ_STORE_BATCH 200
typedef struct mz_store_batch {
    mz_db *db;
    size_t pending;
    size_t limit; /* write every `limit` records; 0 = the caller's transaction and savepoint:
                   * each record written at once, no commit, no per-record savepoint,
                   * errors left to the caller */
    /* queued copies (limit > 0); owned by the batch, freed when written or aborted */
    mz_case_record **queue;
    size_t cap;
    /* outcomes of written records, for the caller to collect */
    size_t applied, stale, invalid, conflicts;
} mz_store_batch;
/* limit MZ_STORE_IN_TX: queue without ever writing on add (except that a
 * record for a case already queued writes the queue first); the caller,
 * inside its own open transaction, writes the queue with
 * mz_store_batch_write_in_tx (no commit). Why: the inbox processor applies
 * a claimed batch of pushes in one transaction that also marks them done;
 * this gives it the set-based statements too. On false the transaction is
 * aborted: the caller rolls back and writes row by row instead. */
#define MZ_STORE_IN_TX ((size_t)-1)
bool mz_store_batch_write_in_tx(mz_store_batch *b, char *err, size_t errlen);

/* Sets up an empty batch on db (limit: see above). */
void mz_store_batch_init(mz_store_batch *b, mz_db *db, size_t limit);
/* limit 0: the record's outcome. Otherwise MZ_UPSERT_INVALID (validation,
 * err names the field), MZ_UPSERT_QUEUED, or MZ_UPSERT_DB_ERROR when the
 * batch this record completed could not be written (err says why). */
mz_upsert_result mz_store_batch_add(mz_store_batch *b, const mz_case_record *rec, char *err,
                                    size_t errlen);
/* Writes and commits what is queued (and commits an open transaction). */
bool mz_store_batch_flush(mz_store_batch *b, char *err, size_t errlen);
/* Drops what is queued; the open transaction is the caller's to end. */
void mz_store_batch_discard(mz_store_batch *b);
/* Drops what is queued and rolls back an open transaction. */
void mz_store_batch_abort(mz_store_batch *b);

typedef struct mz_agency_row {
    const char *id, *name, *adapter_kind, *adapter_config_json;
    const char *contact_url, *contact_phone, *contact_professional_phone;
    bool enabled;
} mz_agency_row;

bool mz_store_upsert_agency(mz_db *db, const mz_agency_row *a, char *err, size_t errlen);

#endif
