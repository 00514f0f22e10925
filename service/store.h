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
 * Ownership: records and their strings belong to the caller; nothing is
 * retained after the call returns.
 */
#ifndef MZ_STORE_H
#define MZ_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"
#include "db.h"

typedef struct mz_case_event {
    const char *status_group;
    const char *status_text;
    const char *occurred_at; /* timestamptz text */
    const char *event_key;   /* unique per case; NULL derives one from the fields */
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
    const mz_case_event *events;
    size_t n_events;
} mz_case_record;

typedef enum mz_upsert_result {
    MZ_UPSERT_APPLIED, /* the case row was inserted or updated */
    MZ_UPSERT_STALE,   /* older than the stored row: case unchanged, events added */
    MZ_UPSERT_INVALID, /* the record failed validation: nothing written; err names the field */
    MZ_UPSERT_DB_ERROR /* database unavailable or statement failed: nothing written */
} mz_upsert_result;

/* True when s is one of the seven status groups. */
bool mz_status_group_valid(const char *s);

mz_upsert_result mz_store_upsert_case(mz_db *db, const mz_case_record *rec, char *err,
                                      size_t errlen);

/* Batches for bulk writers (syncs): records are written in one
 * transaction, committed every MZ_STORE_BATCH records and at flush. Why:
 * one commit (one disk flush) per record caps a sync at the disk's commit
 * rate; per batch it is two orders of magnitude cheaper. A refused record
 * (invalid value) is undone by a savepoint and does not spoil the batch. A
 * database error loses the uncommitted batch (the sync fails and is redone;
 * it is idempotent). Not for acknowledged pushes: those commit first. */
#define MZ_STORE_BATCH 200
typedef struct mz_store_batch {
    mz_db *db;
    size_t pending;
    size_t limit; /* commit every `limit` records; 0 = the caller's transaction and savepoint:
                   * no commit, no per-record savepoint, errors left to the caller */
} mz_store_batch;
mz_upsert_result mz_store_batch_add(mz_store_batch *b, const mz_case_record *rec, char *err,
                                    size_t errlen);
bool mz_store_batch_flush(mz_store_batch *b, char *err, size_t errlen);
void mz_store_batch_abort(mz_store_batch *b);

typedef struct mz_agency_row {
    const char *id, *name, *adapter_kind, *adapter_config_json;
    const char *contact_url, *contact_phone, *contact_professional_phone;
    bool enabled;
} mz_agency_row;

bool mz_store_upsert_agency(mz_db *db, const mz_agency_row *a, char *err, size_t errlen);

#endif
