#include "store.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "notify.h"

/* The fields of a case record, once: in the order of case_upsert's
 * parameters (and case_upsert_many's JSON members, named as the columns),
 * with the name a validation message gives and the longest value
 * accepted. Validation, the single upsert's values, the batch's JSON and
 * the copy a batch queues all walk this table. */
const mz_case_field mz_case_fields[MZ_CASE_NFIELDS] = {
#define F(member, column, field, max, kind)                                                        \
    {                                                                                              \
        column, field, offsetof(mz_case_record, member), max, kind                                 \
    }
    F(agency_id, "agency_id", "agencyId", 63, MZ_FIELD_REQUIRED),
    F(external_id, "external_id", "externalId", 1000, MZ_FIELD_REQUIRED),
    F(subject_key, "subject_key", "subject", MZ_PSEUDONYM_LEN, MZ_FIELD_SUBJECT_KEY),
    F(case_number, "case_number", "caseNumber", 200, MZ_FIELD_TEXT),
    F(title, "title", "title", 500, MZ_FIELD_REQUIRED),
    F(case_type_code, "case_type_code", "caseType.code", 200, MZ_FIELD_TEXT),
    F(case_type_label, "case_type_label", "caseType.label", 500, MZ_FIELD_TEXT),
    F(status_group, "status_group", "status.group", 0, MZ_FIELD_STATUS_GROUP),
    F(status_text, "status_text", "status.text", 500, MZ_FIELD_REQUIRED),
    F(status_changed_at, "status_changed_at", "status.since", 64, MZ_FIELD_REQUIRED),
    F(registered_on, "registered_on", "dates.registered", 32, MZ_FIELD_TEXT),
    F(planned_end_on, "planned_end_on", "dates.plannedEnd", 32, MZ_FIELD_TEXT),
    F(legal_deadline_on, "legal_deadline_on", "dates.legalDeadline", 32, MZ_FIELD_TEXT),
    F(closed_on, "closed_on", "dates.closed", 32, MZ_FIELD_TEXT),
    F(result_text, "result_text", "result", 2000, MZ_FIELD_TEXT),
    F(action_text, "action_text", "action.text", 2000, MZ_FIELD_TEXT),
    F(action_url, "action_url", "action.url", 2000, MZ_FIELD_TEXT),
    F(action_due_on, "action_due_on", "action.dueDate", 32, MZ_FIELD_TEXT),
    F(deep_link_url, "deep_link_url", "links.agencyPage", 2000, MZ_FIELD_TEXT),
    F(source_url, "source_url", "sourceUrl", 2000, MZ_FIELD_TEXT),
    F(source_updated_at, "source_updated_at", "sourceUpdatedAt", 64, MZ_FIELD_REQUIRED),
    F(source, "last_source", "source", 0, MZ_FIELD_SOURCE),
    F(subject_kind, "subject_kind", "subjectKind", 3, MZ_FIELD_SUBJECT_KIND),
#undef F
};

/* The string a field holds in c (NULL for the subject key, not a string). */
static const char *field_str(const mz_case_record *c, const mz_case_field *f)
{
    if (f->kind == MZ_FIELD_SUBJECT_KEY)
        return NULL;
    return *(const char *const *)((const char *)c + f->offset);
}

static const char **field_str_slot(mz_case_record *c, const mz_case_field *f)
{
    assert(f->kind != MZ_FIELD_SUBJECT_KEY);
    return (const char **)((char *)c + f->offset);
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

/* The attachments are embedded as they are in the batch's JSON: they must
 * be one JSON object of bounded size, strictly valid (so that nothing can
 * break out of the element it is placed in). */
static bool attachments_ok(const char *json, char *err, size_t errlen)
{
    size_t n = strlen(json);
    char perr[128];
    mz_json_limits lim = {.max_depth = 6, .max_nodes = 100000, .max_string = 4096};
    mz_json_doc *d =
        n <= MZ_ATTACHMENTS_MAX ? mz_json_parse(json, n, &lim, perr, sizeof perr) : NULL;
    bool ok = d && mz_json_root(d)->type == MZ_JSON_OBJECT;
    mz_json_free(d);
    if (!ok)
        snprintf(err, errlen, "documents and decisions are not a bounded JSON object");
    return ok;
}

static bool validate(const mz_case_record *c, char *err, size_t errlen)
{
    /* Text fields first, then the status group and the source (the order
     * of the messages a record with several problems gets). */
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++) {
        const mz_case_field *f = &mz_case_fields[i];
        if ((f->kind == MZ_FIELD_TEXT || f->kind == MZ_FIELD_REQUIRED) &&
            !text_ok(f->field, field_str(c, f), f->max, f->kind == MZ_FIELD_REQUIRED, err, errlen))
            return false;
    }
    if (!mz_status_group_valid(c->status_group)) {
        snprintf(err, errlen, "status.group must be one of " MZ_STATUS_GROUPS_TEXT);
        return false;
    }
    if (!c->source ||
        (strcmp(c->source, "poll") && strcmp(c->source, "webhook") && strcmp(c->source, "seed"))) {
        snprintf(err, errlen, "source must be poll, webhook or seed");
        return false;
    }
    if (c->subject_kind && strcmp(c->subject_kind, "bsn") && strcmp(c->subject_kind, "kvk")) {
        snprintf(err, errlen, "subjectKind must be bsn or kvk");
        return false;
    }
    if (c->attachments_json && !attachments_ok(c->attachments_json, err, errlen))
        return false;
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

/* The record's own status is a timeline entry even when the record is
 * stale: it then lands in its chronological place, behind newer ones.
 * When the record's history already holds it (same moment and group),
 * that entry (with the agency's own event key) stands for it. */
static bool in_history(const mz_case_record *c)
{
    for (size_t i = 0; i < c->n_events; i++)
        if (strcmp(c->events[i].occurred_at, c->status_changed_at) == 0 &&
            strcmp(c->events[i].status_group, c->status_group) == 0)
            return true;
    return false;
}

static void derive_key(char *out, size_t n, const char *at, const char *group, const char *text)
{
    snprintf(out, n, "%s|%s|%.400s", at, group, text);
}

static bool insert_event(mz_db *db, const mz_case_record *c, const char *group, const char *text,
                         const char *at, const char *key)
{
    char derived[600];
    if (!key) {
        derive_key(derived, sizeof derived, at, group, text);
        key = derived;
    }
    const char *v[8] = {c->agency_id, c->external_id, group, text,
                        at,           c->source,      key,   (const char *)c->subject_key};
    const int lens[8] = {0, 0, 0, 0, 0, 0, 0, MZ_PSEUDONYM_LEN};
    const int fmts[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    PGresult *r = MZ_DB_EXEC_BIN(db, MZ_STMT_CASE_EVENT_INSERT, v, lens, fmts);
    bool ok = mz_db_ok(r);
    PQclear(r);
    return ok;
}

/* One line per refused record: the agency and the first group of our own
 * case id only (no subject, no external id: a zaak URL may carry personal
 * data). Why only 8 characters: a whole uuid can hold a run of nine digits
 * that log scans (scripts/check-logs.sh) rightly treat as a BSN; the first
 * group cannot, and it finds the case in the admin view's conflicts. */
static void log_conflict(const char *agency_id, const char *case_id, const char *source)
{
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%s", case_id);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_WARN, "case ownership conflict: record refused");
    mz_log_str(&l, "agency", agency_id);
    mz_log_str(&l, "case_id_prefix", prefix);
    mz_log_str(&l, "source", source);
    mz_log_end(&l);
}

/* A record that was not applied: a conflict (recorded; true) when the
 * stored case belongs to another subject, else stale (false). -1 on a
 * database error. */
static int record_conflict(mz_db *db, const mz_case_record *c)
{
    const char *v[4] = {c->agency_id, c->external_id, (const char *)c->subject_key, c->source};
    const int lens[4] = {0, 0, MZ_PSEUDONYM_LEN, 0};
    const int fmts[4] = {0, 0, 1, 0};
    PGresult *r = MZ_DB_EXEC_BIN(db, MZ_STMT_CASE_CONFLICT_RECORD, v, lens, fmts);
    if (!mz_db_ok(r)) {
        PQclear(r);
        return -1;
    }
    int conflict = PQntuples(r) > 0;
    if (conflict)
        log_conflict(c->agency_id, PQgetvalue(r, 0, MZ_COL_CASE_CONFLICT_RECORD_CASE_ID),
                     c->source);
    PQclear(r);
    return conflict;
}

/* Writes a validated record inside the caller's transaction. On any
 * failure the transaction is left aborted (the caller rolls back). */
static void record_events_json(mz_buf *events, const mz_case_record *c, const char *key, long *n);

/* One element of case_attachments_set_many's array for c (see store.h). */
static void attachments_element(mz_buf *j, const mz_case_record *c)
{
    char key[2 * MZ_PSEUDONYM_LEN + 1];
    for (size_t k = 0; k < MZ_PSEUDONYM_LEN; k++)
        snprintf(key + 2 * k, 3, "%02x", c->subject_key[k]);
    if (j->len > 1)
        mz_buf_putc(j, ',');
    mz_buf_puts(j, "{\"agency_id\":");
    mz_json_cstr(j, c->agency_id);
    mz_buf_puts(j, ",\"external_id\":");
    mz_json_cstr(j, c->external_id);
    mz_buf_puts(j, ",\"subject_key\":");
    mz_json_cstr(j, key);
    mz_buf_puts(j, ",\"a\":");
    mz_buf_puts(j, c->attachments_json); /* validated: one JSON object */
    mz_buf_putc(j, '}');
}

static bool exec_attachments(mz_db *db, const char *json)
{
    const char *v[1] = {json};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_CASE_ATTACHMENTS_SET_MANY, v);
    bool ok = mz_db_ok(r);
    PQclear(r);
    return ok;
}

static mz_upsert_result write_case(mz_db *db, const mz_case_record *c, char *err, size_t errlen)
{
    const char *v[MZ_CASE_NFIELDS];
    int lens[MZ_CASE_NFIELDS] = {0};
    int fmts[MZ_CASE_NFIELDS] = {0};
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++) {
        const mz_case_field *f = &mz_case_fields[i];
        bool key = f->kind == MZ_FIELD_SUBJECT_KEY;
        v[i] = key ? (const char *)c->subject_key : field_str(c, f);
        lens[i] = key ? MZ_PSEUDONYM_LEN : 0;
        fmts[i] = key ? 1 : 0;
    }
    PGresult *r = MZ_DB_EXEC_BIN(db, MZ_STMT_CASE_UPSERT, v, lens, fmts);
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
    if (!applied) {
        int conflict = record_conflict(db, c);
        if (conflict < 0) {
            snprintf(err, errlen, "database error while storing the case");
            return MZ_UPSERT_DB_ERROR;
        }
        if (conflict) {
            snprintf(err, errlen, "the case belongs to another subject");
            return MZ_UPSERT_CONFLICT;
        }
    }
    bool ok = in_history(c) ||
              insert_event(db, c, c->status_group, c->status_text, c->status_changed_at, NULL);
    for (size_t i = 0; ok && i < c->n_events; i++)
        ok = insert_event(db, c, c->events[i].status_group, c->events[i].status_text,
                          c->events[i].occurred_at, c->events[i].event_key);
    if (!ok) {
        snprintf(err, errlen, "a timeline entry could not be stored");
        return MZ_UPSERT_INVALID;
    }
    if (c->attachments_json) {
        mz_buf a = MZ_BUF_INIT;
        mz_buf_putc(&a, '[');
        attachments_element(&a, c);
        mz_buf_putc(&a, ']');
        ok = exec_attachments(db, a.data);
        mz_buf_free(&a);
        if (!ok) {
            snprintf(err, errlen, "the documents and decisions could not be stored");
            return MZ_UPSERT_INVALID;
        }
    }
    /* The outbox row of a change commits with the change (notify.h). */
    char key[2 * MZ_PSEUDONYM_LEN + 1];
    for (size_t k = 0; k < MZ_PSEUDONYM_LEN; k++)
        snprintf(key + 2 * k, 3, "%02x", c->subject_key[k]);
    mz_buf events = MZ_BUF_INIT;
    long n = 0;
    mz_buf_putc(&events, '[');
    record_events_json(&events, c, key, &n);
    mz_buf_putc(&events, ']');
    ok = mz_notify_enqueue(db, events.data);
    mz_buf_free(&events);
    if (!ok) {
        snprintf(err, errlen, "database error while writing the notification outbox");
        return MZ_UPSERT_DB_ERROR;
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

/* --- batches */

void mz_store_batch_init(mz_store_batch *b, mz_db *db, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->db = db;
    b->limit = limit;
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Copies s to *p and advances it; NULL stays NULL. */
static const char *str_put(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*p, s, n);
    *p += n;
    return d;
}

/* A copy of rec in one allocation (the record, its events, then every
 * string), so that a queued record is freed with one free(). */
static mz_case_record *record_copy(const mz_case_record *c)
{
    size_t size = sizeof(mz_case_record) + c->n_events * sizeof(mz_case_event);
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++)
        size += str_size(field_str(c, &mz_case_fields[i]));
    for (size_t i = 0; i < c->n_events; i++) {
        const mz_case_event *e = &c->events[i];
        size += str_size(e->status_group) + str_size(e->status_text) + str_size(e->occurred_at) +
                str_size(e->event_key);
    }
    size += str_size(c->attachments_json);
    char *block = mz_xmalloc(size);
    mz_case_record *d = (mz_case_record *)block;
    mz_case_event *ev = (mz_case_event *)(block + sizeof *d);
    char *p = (char *)(ev + c->n_events);
    *d = *c;
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++)
        if (mz_case_fields[i].kind != MZ_FIELD_SUBJECT_KEY)
            *field_str_slot(d, &mz_case_fields[i]) = str_put(&p, field_str(c, &mz_case_fields[i]));
    for (size_t i = 0; i < c->n_events; i++) {
        const mz_case_event *e = &c->events[i];
        ev[i].status_group = str_put(&p, e->status_group);
        ev[i].status_text = str_put(&p, e->status_text);
        ev[i].occurred_at = str_put(&p, e->occurred_at);
        ev[i].event_key = str_put(&p, e->event_key);
        ev[i].silent = e->silent;
    }
    d->events = c->n_events ? ev : NULL;
    d->attachments_json = str_put(&p, c->attachments_json);
    return d;
}

static void queue_clear(mz_store_batch *b)
{
    for (size_t i = 0; i < b->pending; i++)
        free(b->queue[i]);
    free(b->queue);
    b->queue = NULL;
    b->cap = 0;
    b->pending = 0;
}

static void event_json(mz_buf *j, const mz_case_record *c, const char *subject_hex, long n,
                       const char *group, const char *text, const char *at, const char *key,
                       bool silent)
{
    char derived[600];
    if (!key) {
        derive_key(derived, sizeof derived, at, group, text);
        key = derived;
    }
    if (j->len > 1)
        mz_buf_putc(j, ',');
    mz_buf_printf(j, "{\"n\":%ld,\"agency_id\":", n);
    mz_json_cstr(j, c->agency_id);
    mz_buf_puts(j, ",\"external_id\":");
    mz_json_cstr(j, c->external_id);
    mz_buf_puts(j, ",\"subject_key\":");
    mz_json_cstr(j, subject_hex);
    mz_buf_puts(j, ",\"status_group\":");
    mz_json_cstr(j, group);
    mz_buf_puts(j, ",\"status_text\":");
    mz_json_cstr(j, text);
    mz_buf_puts(j, ",\"occurred_at\":");
    mz_json_cstr(j, at);
    mz_buf_puts(j, ",\"source\":");
    mz_json_cstr(j, c->source);
    mz_buf_puts(j, ",\"event_key\":");
    mz_json_cstr(j, key);
    if (silent) /* notifications: the agency asked not to inform the citizen (notify_enqueue) */
        mz_buf_puts(j, ",\"silent\":true");
    mz_buf_putc(j, '}');
}

/* A record's timeline entries (its own status unless in its history, then
 * the history) as JSON array members, numbered from *n. */
static void record_events_json(mz_buf *events, const mz_case_record *c, const char *key, long *n)
{
    if (!in_history(c))
        event_json(events, c, key, (*n)++, c->status_group, c->status_text, c->status_changed_at,
                   NULL, c->silent);
    for (size_t k = 0; k < c->n_events; k++)
        event_json(events, c, key, (*n)++, c->events[k].status_group, c->events[k].status_text,
                   c->events[k].occurred_at, c->events[k].event_key, c->events[k].silent);
}

/* The queued records as the two JSON arrays the set-based statements
 * read. False when the batch names a case twice (see case_upsert_many). */
static bool batch_json(const mz_store_batch *b, mz_buf *cases, mz_buf *events)
{
    mz_buf_putc(cases, '[');
    mz_buf_putc(events, '[');
    long n = 0;
    for (size_t i = 0; i < b->pending; i++) {
        const mz_case_record *c = b->queue[i];
        for (size_t k = 0; k < i; k++)
            if (strcmp(b->queue[k]->external_id, c->external_id) == 0 &&
                strcmp(b->queue[k]->agency_id, c->agency_id) == 0)
                return false;
        char key[2 * MZ_PSEUDONYM_LEN + 1];
        for (size_t k = 0; k < MZ_PSEUDONYM_LEN; k++)
            snprintf(key + 2 * k, 3, "%02x", c->subject_key[k]);
        mz_buf_putc(cases, i ? ',' : '{');
        if (i)
            mz_buf_putc(cases, '{');
        for (size_t k = 0; k < MZ_CASE_NFIELDS; k++) {
            const mz_case_field *f = &mz_case_fields[k];
            if (k)
                mz_buf_putc(cases, ',');
            mz_json_key(cases, f->column);
            mz_json_cstr(cases, f->kind == MZ_FIELD_SUBJECT_KEY ? key : field_str(c, f));
        }
        mz_buf_putc(cases, '}');
        record_events_json(events, c, key, &n);
    }
    mz_buf_putc(cases, ']');
    mz_buf_putc(events, ']');
    return true;
}

/* The queued records' documents and decisions (those that carry them), in
 * one statement. */
static bool batch_attachments(const mz_store_batch *b)
{
    mz_buf a = MZ_BUF_INIT;
    mz_buf_putc(&a, '[');
    for (size_t i = 0; i < b->pending; i++)
        if (b->queue[i]->attachments_json)
            attachments_element(&a, b->queue[i]);
    mz_buf_putc(&a, ']');
    bool ok = a.len == 2 || exec_attachments(b->db, a.data);
    mz_buf_free(&a);
    return ok;
}

typedef enum { SET_OK, SET_REFUSED, SET_DB_ERROR } set_result;

/* Runs the set-based statements for the queue inside the open
 * transaction: the cases, then (only when fewer were applied than sent)
 * the conflict check, then the timeline entries. SET_REFUSED: a statement
 * failed on a live connection (a refused value, a case named twice); the
 * transaction is then aborted. */
static set_result exec_set(mz_store_batch *b, size_t *applied, size_t *conflicts)
{
    mz_buf cases = MZ_BUF_INIT, events = MZ_BUF_INIT;
    if (!batch_json(b, &cases, &events)) {
        mz_buf_free(&cases);
        mz_buf_free(&events);
        return SET_REFUSED;
    }
    set_result res = SET_DB_ERROR;
    const char *v1[1] = {cases.data};
    PGresult *r = MZ_DB_EXEC(b->db, MZ_STMT_CASE_UPSERT_MANY, v1);
    bool ok = mz_db_ok(r);
    *conflicts = 0;
    if (ok) {
        *applied = (size_t)PQntuples(r);
        assert(*applied <= b->pending); /* one row per case applied, each case once */
        if (*applied < b->pending) {    /* stale or another subject's case */
            PQclear(r);
            r = MZ_DB_EXEC(b->db, MZ_STMT_CASE_CONFLICT_RECORD_MANY, v1);
            ok = mz_db_ok(r);
            *conflicts = ok ? (size_t)PQntuples(r) : 0;
            for (size_t i = 0; i < *conflicts; i++)
                log_conflict(PQgetvalue(r, (int)i, MZ_COL_CASE_CONFLICT_RECORD_MANY_AGENCY_ID),
                             PQgetvalue(r, (int)i, MZ_COL_CASE_CONFLICT_RECORD_MANY_CASE_ID),
                             PQgetvalue(r, (int)i, MZ_COL_CASE_CONFLICT_RECORD_MANY_LAST_SOURCE));
        }
    }
    if (ok) {
        PQclear(r);
        const char *v2[1] = {events.data};
        r = MZ_DB_EXEC(b->db, MZ_STMT_CASE_EVENT_INSERT_MANY, v2);
        /* The outbox row of a change commits with the change (notify.h). */
        if (mz_db_ok(r) && mz_notify_enqueue(b->db, events.data) && batch_attachments(b))
            res = SET_OK;
    }
    if (res != SET_OK && r && PQstatus(mz_db_pg(b->db)) == CONNECTION_OK)
        res = SET_REFUSED;
    PQclear(r);
    mz_buf_free(&cases);
    mz_buf_free(&events);
    return res;
}

/* Writes the queue with the set-based statements, in a transaction
 * left open on SET_OK (the caller commits), rolled back otherwise.
 * SET_REFUSED: the caller writes record by record instead. */
static set_result write_set(mz_store_batch *b, size_t *applied, size_t *conflicts)
{
    if (!mz_db_begin(b->db))
        return SET_DB_ERROR;
    set_result res = exec_set(b, applied, conflicts);
    if (res != SET_OK)
        mz_db_rollback(b->db);
    return res;
}

/* One record inside the open transaction, with a savepoint: a refused
 * value undoes that record only. */
static mz_upsert_result write_savepointed(mz_db *db, const mz_case_record *c, char *err,
                                          size_t errlen)
{
    if (!mz_db_savepoint(db)) {
        snprintf(err, errlen, "database unavailable");
        return MZ_UPSERT_DB_ERROR;
    }
    mz_upsert_result res = write_case(db, c, err, errlen);
    bool undo = res == MZ_UPSERT_INVALID || res == MZ_UPSERT_DB_ERROR; /* a conflict is kept */
    if (undo ? !mz_db_rollback_to(db) : !mz_db_release(db)) {
        snprintf(err, errlen, "database unavailable");
        return MZ_UPSERT_DB_ERROR;
    }
    return res;
}

/* The slow path: the queue record by record, in the open transaction. */
static bool write_one_by_one(mz_store_batch *b, char *err, size_t errlen)
{
    if (!mz_db_begin(b->db)) {
        snprintf(err, errlen, "database unavailable");
        return false;
    }
    size_t applied = 0, stale = 0, invalid = 0, conflicts = 0;
    for (size_t i = 0; i < b->pending; i++) {
        char rerr[200];
        switch (write_savepointed(b->db, b->queue[i], rerr, sizeof rerr)) {
        case MZ_UPSERT_APPLIED:
            applied++;
            break;
        case MZ_UPSERT_CONFLICT:
            conflicts++;
            break;
        case MZ_UPSERT_STALE:
            stale++;
            break;
        case MZ_UPSERT_INVALID:
            invalid++;
            break;
        case MZ_UPSERT_DB_ERROR:
        case MZ_UPSERT_QUEUED:
            snprintf(err, errlen, "%s", rerr);
            mz_db_rollback(b->db);
            return false;
        }
    }
    if (!mz_db_commit(b->db)) {
        snprintf(err, errlen, "database error while committing a batch");
        return false;
    }
    b->applied += applied;
    b->stale += stale;
    b->invalid += invalid;
    b->conflicts += conflicts;
    return true;
}

bool mz_store_batch_write_in_tx(mz_store_batch *b, char *err, size_t errlen)
{
    if (b->pending == 0)
        return true;
    size_t applied = 0, conflicts = 0;
    set_result res = exec_set(b, &applied, &conflicts);
    if (res == SET_OK) {
        b->applied += applied;
        b->conflicts += conflicts;
        b->stale += b->pending - applied - conflicts;
    } else {
        snprintf(err, errlen, "%s",
                 res == SET_REFUSED ? "a batch statement was refused" : "database unavailable");
    }
    queue_clear(b);
    return res == SET_OK;
}

static bool queued(const mz_store_batch *b, const mz_case_record *c)
{
    for (size_t i = 0; i < b->pending; i++)
        if (strcmp(b->queue[i]->external_id, c->external_id) == 0 &&
            strcmp(b->queue[i]->agency_id, c->agency_id) == 0)
            return true;
    return false;
}

mz_upsert_result mz_store_batch_add(mz_store_batch *b, const mz_case_record *c, char *err,
                                    size_t errlen)
{
    if (!validate(c, err, errlen))
        return MZ_UPSERT_INVALID;
    /* In the caller's transaction, set-based: a case already queued is
     * written first (one statement must not name a case twice). */
    if (b->limit == MZ_STORE_IN_TX && queued(b, c) && !mz_store_batch_write_in_tx(b, err, errlen))
        return MZ_UPSERT_DB_ERROR;
    if (b->limit == 0) {
        /* Inside the caller's transaction and savepoint: on any error the
         * caller rolls back to its savepoint (the whole inbox row). */
        mz_upsert_result res = write_case(b->db, c, err, errlen);
        if (res == MZ_UPSERT_APPLIED || res == MZ_UPSERT_STALE)
            b->pending++;
        return res;
    }
    if (b->pending == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : (b->limit < 64 ? b->limit : 64);
        b->queue = mz_xreallocarray(b->queue, cap, sizeof *b->queue);
        b->cap = cap;
    }
    assert(b->pending < b->cap);
    b->queue[b->pending++] = record_copy(c);
    if (b->pending >= b->limit && !mz_store_batch_flush(b, err, errlen))
        return MZ_UPSERT_DB_ERROR;
    return MZ_UPSERT_QUEUED;
}

bool mz_store_batch_flush(mz_store_batch *b, char *err, size_t errlen)
{
    if (b->limit == MZ_STORE_IN_TX)
        return mz_store_batch_write_in_tx(b, err, errlen);
    if (b->limit == 0 || b->pending == 0) {
        b->pending = 0;
        if (!mz_db_in_tx(b->db))
            return true;
        if (!mz_db_commit(b->db)) {
            snprintf(err, errlen, "database error while committing a batch");
            return false;
        }
        return true;
    }
    size_t applied = 0, conflicts = 0;
    bool ok = false;
    switch (write_set(b, &applied, &conflicts)) {
    case SET_OK:
        ok = mz_db_commit(b->db);
        if (ok) {
            b->applied += applied;
            b->conflicts += conflicts;
            b->stale += b->pending - applied - conflicts;
        } else {
            snprintf(err, errlen, "database error while committing a batch");
        }
        break;
    case SET_REFUSED:
        ok = write_one_by_one(b, err, errlen);
        break;
    case SET_DB_ERROR:
        snprintf(err, errlen, "database unavailable");
        break;
    }
    queue_clear(b);
    return ok;
}

void mz_store_batch_discard(mz_store_batch *b)
{
    queue_clear(b);
}

void mz_store_batch_abort(mz_store_batch *b)
{
    if (mz_db_in_tx(b->db))
        mz_db_rollback(b->db);
    queue_clear(b);
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
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_AGENCY_UPSERT, v);
    bool ok = mz_db_ok(r);
    if (!ok)
        snprintf(err, errlen, "cannot store agency %s", a->id);
    PQclear(r);
    if (ok) {
        const char *s[1] = {a->id};
        r = MZ_DB_EXEC(db, MZ_STMT_SYNC_STATE_ENSURE, s);
        ok = mz_db_ok(r);
        PQclear(r);
    }
    return ok;
}
