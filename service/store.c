#include "store.h"

#include <stdio.h>
#include <string.h>

#include "json.h"

static const char *const groups[] = {"received", "in_progress", "action_required", "on_hold",
                                     "decided",  "closed",      "withdrawn"};

bool mz_status_group_valid(const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(s, groups[i]) == 0)
            return true;
    return false;
}

/* Checks one optional text field: strict UTF-8, no NUL, bounded length. */
static bool text_ok(const char *field, const char *v, size_t max, bool required, char *err,
                    size_t errlen)
{
    if (!v) {
        if (required)
            snprintf(err, errlen, "%s is required", field);
        return !required;
    }
    size_t n = strlen(v);
    if (required && n == 0) {
        snprintf(err, errlen, "%s must not be empty", field);
        return false;
    }
    if (n > max) {
        snprintf(err, errlen, "%s is longer than %zu bytes", field, max);
        return false;
    }
    if (!mz_utf8_valid(v, n)) {
        snprintf(err, errlen, "%s is not valid UTF-8", field);
        return false;
    }
    return true;
}

static bool validate(const mz_case_record *c, char *err, size_t errlen)
{
    struct {
        const char *name, *v;
        size_t max;
        bool required;
    } f[] = {
        {"agencyId", c->agency_id, 63, true},
        {"externalId", c->external_id, 1000, true},
        {"caseNumber", c->case_number, 200, false},
        {"title", c->title, 500, true},
        {"caseType.code", c->case_type_code, 200, false},
        {"caseType.label", c->case_type_label, 500, false},
        {"status.text", c->status_text, 500, true},
        {"status.since", c->status_changed_at, 64, true},
        {"dates.registered", c->registered_on, 32, false},
        {"dates.plannedEnd", c->planned_end_on, 32, false},
        {"dates.legalDeadline", c->legal_deadline_on, 32, false},
        {"dates.closed", c->closed_on, 32, false},
        {"result", c->result_text, 2000, false},
        {"action.text", c->action_text, 2000, false},
        {"action.url", c->action_url, 2000, false},
        {"action.dueDate", c->action_due_on, 32, false},
        {"links.agencyPage", c->deep_link_url, 2000, false},
        {"sourceUrl", c->source_url, 2000, false},
        {"sourceUpdatedAt", c->source_updated_at, 64, true},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!text_ok(f[i].name, f[i].v, f[i].max, f[i].required, err, errlen))
            return false;
    if (!mz_status_group_valid(c->status_group)) {
        snprintf(err, errlen,
                 "status.group must be one of received, in_progress, "
                 "action_required, on_hold, decided, closed, withdrawn");
        return false;
    }
    if (!c->source ||
        (strcmp(c->source, "poll") && strcmp(c->source, "webhook") && strcmp(c->source, "seed"))) {
        snprintf(err, errlen, "source must be poll, webhook or seed");
        return false;
    }
    for (size_t i = 0; i < c->n_events; i++) {
        const mz_case_event *e = &c->events[i];
        if (!mz_status_group_valid(e->status_group)) {
            snprintf(err, errlen, "timeline[%zu].statusGroup is not a status group", i);
            return false;
        }
        if (!text_ok("timeline.text", e->status_text, 500, true, err, errlen) ||
            !text_ok("timeline.occurredAt", e->occurred_at, 64, true, err, errlen) ||
            !text_ok("timeline.eventKey", e->event_key, 500, false, err, errlen))
            return false;
    }
    return true;
}

static bool insert_event(mz_db *db, const mz_case_record *c, const char *group, const char *text,
                         const char *at, const char *key)
{
    char derived[600];
    if (!key) {
        snprintf(derived, sizeof derived, "%s|%s|%.400s", at, group, text);
        key = derived;
    }
    const char *v[7] = {c->agency_id, c->external_id, group, text, at, c->source, key};
    PGresult *r = mz_db_exec(db, MZ_STMT_CASE_EVENT_INSERT, v, NULL, NULL);
    bool ok = mz_db_ok(r);
    PQclear(r);
    return ok;
}

/* Writes a validated record inside the caller's transaction. On any
 * failure the transaction is left aborted (the caller rolls back). */
static mz_upsert_result write_case(mz_db *db, const mz_case_record *c, char *err, size_t errlen)
{
    const char *v[22] = {c->agency_id,
                         c->external_id,
                         (const char *)c->subject_key,
                         c->case_number,
                         c->title,
                         c->case_type_code,
                         c->case_type_label,
                         c->status_group,
                         c->status_text,
                         c->status_changed_at,
                         c->registered_on,
                         c->planned_end_on,
                         c->legal_deadline_on,
                         c->closed_on,
                         c->result_text,
                         c->action_text,
                         c->action_url,
                         c->action_due_on,
                         c->deep_link_url,
                         c->source_url,
                         c->source_updated_at,
                         c->source};
    int lens[22] = {0};
    int fmts[22] = {0};
    lens[2] = MZ_PSEUDONYM_LEN;
    fmts[2] = 1;
    PGresult *r = mz_db_exec(db, MZ_STMT_CASE_UPSERT, v, lens, fmts);
    if (!mz_db_ok(r)) {
        /* A value Postgres refuses (a malformed date, say) is the sender's
         * error, not ours: report the SQLSTATE class 22 as invalid. */
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        bool invalid = state && strncmp(state, "22", 2) == 0;
        snprintf(err, errlen,
                 invalid ? "a date or timestamp field is malformed"
                         : "database error while storing the case");
        PQclear(r);
        return invalid ? MZ_UPSERT_INVALID : MZ_UPSERT_DB_ERROR;
    }
    bool applied = PQntuples(r) > 0;
    PQclear(r);
    /* The record's own status is a timeline entry even when the record is
     * stale: it then lands in its chronological place, behind newer ones.
     * When the record's history already holds it (same moment and group),
     * that entry (with the agency's own event key) stands for it. */
    bool in_history = false;
    for (size_t i = 0; i < c->n_events && !in_history; i++)
        in_history = strcmp(c->events[i].occurred_at, c->status_changed_at) == 0 &&
                     strcmp(c->events[i].status_group, c->status_group) == 0;
    bool ok = in_history ||
              insert_event(db, c, c->status_group, c->status_text, c->status_changed_at, NULL);
    for (size_t i = 0; ok && i < c->n_events; i++)
        ok = insert_event(db, c, c->events[i].status_group, c->events[i].status_text,
                          c->events[i].occurred_at, c->events[i].event_key);
    if (!ok) {
        snprintf(err, errlen, "a timeline entry could not be stored");
        return MZ_UPSERT_INVALID;
    }
    return applied ? MZ_UPSERT_APPLIED : MZ_UPSERT_STALE;
}

mz_upsert_result mz_store_upsert_case(mz_db *db, const mz_case_record *c, char *err, size_t errlen)
{
    if (!validate(c, err, errlen))
        return MZ_UPSERT_INVALID;
    if (!mz_db_begin(db)) {
        snprintf(err, errlen, "database unavailable");
        return MZ_UPSERT_DB_ERROR;
    }
    mz_upsert_result res = write_case(db, c, err, errlen);
    if (res == MZ_UPSERT_INVALID || res == MZ_UPSERT_DB_ERROR) {
        mz_db_rollback(db);
        return res;
    }
    if (!mz_db_commit(db)) {
        snprintf(err, errlen, "database error while committing the case");
        return MZ_UPSERT_DB_ERROR;
    }
    return res;
}

mz_upsert_result mz_store_batch_add(mz_store_batch *b, const mz_case_record *c, char *err,
                                    size_t errlen)
{
    if (!validate(c, err, errlen))
        return MZ_UPSERT_INVALID;
    if (b->limit == 0) {
        /* Inside the caller's transaction and savepoint: on any error the
         * caller rolls back to its savepoint (the whole inbox row). */
        mz_upsert_result res = write_case(b->db, c, err, errlen);
        if (res == MZ_UPSERT_APPLIED || res == MZ_UPSERT_STALE)
            b->pending++;
        return res;
    }
    if (!mz_db_in_tx(b->db) && !mz_db_begin(b->db)) {
        snprintf(err, errlen, "database unavailable");
        return MZ_UPSERT_DB_ERROR;
    }
    /* A savepoint per record: one refused value (a malformed date) costs
     * that record only, not the batch. */
    if (!mz_db_savepoint(b->db)) {
        snprintf(err, errlen, "database unavailable");
        mz_db_rollback(b->db);
        b->pending = 0;
        return MZ_UPSERT_DB_ERROR;
    }
    mz_upsert_result res = write_case(b->db, c, err, errlen);
    bool undo = res == MZ_UPSERT_INVALID || res == MZ_UPSERT_DB_ERROR;
    if (undo ? !mz_db_rollback_to(b->db) : !mz_db_release(b->db)) {
        snprintf(err, errlen, "database unavailable");
        mz_db_rollback(b->db);
        b->pending = 0;
        return MZ_UPSERT_DB_ERROR;
    }
    if (res == MZ_UPSERT_DB_ERROR) {
        mz_db_rollback(b->db);
        b->pending = 0;
        return res;
    }
    if (!undo && ++b->pending >= b->limit && b->limit && !mz_store_batch_flush(b, err, errlen))
        return MZ_UPSERT_DB_ERROR;
    return res;
}

bool mz_store_batch_flush(mz_store_batch *b, char *err, size_t errlen)
{
    if (!mz_db_in_tx(b->db))
        return true;
    b->pending = 0;
    if (!mz_db_commit(b->db)) {
        snprintf(err, errlen, "database error while committing a batch");
        return false;
    }
    return true;
}

void mz_store_batch_abort(mz_store_batch *b)
{
    if (mz_db_in_tx(b->db))
        mz_db_rollback(b->db);
    b->pending = 0;
}

bool mz_store_upsert_agency(mz_db *db, const mz_agency_row *a, char *err, size_t errlen)
{
    const char *v[8] = {a->id,
                        a->name,
                        a->adapter_kind,
                        a->adapter_config_json ? a->adapter_config_json : "{}",
                        a->contact_url,
                        a->contact_phone,
                        a->contact_professional_phone,
                        a->enabled ? "true" : "false"};
    PGresult *r = mz_db_exec(db, MZ_STMT_AGENCY_UPSERT, v, NULL, NULL);
    bool ok = mz_db_ok(r);
    if (!ok)
        snprintf(err, errlen, "cannot store agency %s", a->id);
    PQclear(r);
    if (ok) {
        const char *s[1] = {a->id};
        r = mz_db_exec(db, MZ_STMT_SYNC_STATE_ENSURE, s, NULL, NULL);
        ok = mz_db_ok(r);
        PQclear(r);
    }
    return ok;
}
