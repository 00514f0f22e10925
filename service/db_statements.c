/*
 * db_statements.c — every SQL statement the service runs, in one table.
 *
 * The result columns of each statement are declared by name in
 * db_columns.h (MZ_COLS_<STMT>), which its readers index by; give every
 * expression a column alias there names. test_statements.c checks the
 * two agree, column by column.
 */
#include "db_statements.h"

#define CASE_COLUMNS                                                                               \
    "c.id, c.agency_id, a.name AS agency_name, a.contact_url, a.contact_phone, c.case_number, "    \
    "c.title, "                                                                                    \
    "c.case_type_code, c.case_type_label, c.status_group, c.status_text, c.status_changed_at, "    \
    "c.registered_on, c.planned_end_on, c.legal_deadline_on, c.closed_on, c.result_text, "         \
    "c.action_text, c.action_url, c.action_due_on, c.deep_link_url, c.last_synced_at, "            \
    "c.last_source, c.updated_at, "                                                                \
    "(extract(epoch FROM c.status_changed_at) * 1000000)::bigint AS sort_us, "                     \
    "a.contact_professional_phone, c.external_id"

/* The case upsert, one record (case_upsert) or a batch (case_upsert_many):
 * the same columns and the same out-of-order rule, written once.
 * subject_key is never updated: a case belongs to the subject it was first
 * stored for, and a record naming another subject changes nothing (no row
 * returned, like a stale one; the store tells the two apart with
 * case_conflict_record(_many) and records the conflict). Why: an update
 * that moved the case to whoever the last record named let one citizen's
 * case move to another on a wrong or unfiltered agency answer. */
#define CASE_INSERT_INTO                                                                           \
    "INSERT INTO cases (agency_id, external_id, subject_key, case_number, title, "                 \
    "case_type_code, case_type_label, status_group, status_text, status_changed_at, "              \
    "registered_on, planned_end_on, legal_deadline_on, closed_on, result_text, action_text, "      \
    "action_url, action_due_on, deep_link_url, source_url, source_updated_at, last_source, "       \
    "subject_kind) "
#define CASE_ON_CONFLICT                                                                           \
    "ON CONFLICT (agency_id, external_id) DO UPDATE SET "                                          \
    "subject_key = EXCLUDED.subject_key, case_number = EXCLUDED.case_number, "                     \
    "title = EXCLUDED.title, case_type_code = EXCLUDED.case_type_code, "                           \
    "case_type_label = EXCLUDED.case_type_label, status_group = EXCLUDED.status_group, "           \
    "status_text = EXCLUDED.status_text, status_changed_at = EXCLUDED.status_changed_at, "         \
    "registered_on = EXCLUDED.registered_on, planned_end_on = EXCLUDED.planned_end_on, "           \
    "legal_deadline_on = EXCLUDED.legal_deadline_on, closed_on = EXCLUDED.closed_on, "             \
    "result_text = EXCLUDED.result_text, action_text = EXCLUDED.action_text, "                     \
    "action_url = EXCLUDED.action_url, action_due_on = EXCLUDED.action_due_on, "                   \
    "deep_link_url = EXCLUDED.deep_link_url, source_url = EXCLUDED.source_url, "                   \
    "source_updated_at = EXCLUDED.source_updated_at, last_source = EXCLUDED.last_source, "         \
    "last_synced_at = now(), updated_at = now() "                                                  \
    "WHERE cases.source_updated_at <= EXCLUDED.source_updated_at "                                 \
    "AND cases.subject_key = EXCLUDED.subject_key "                                                \
    "RETURNING id"

/* plog_insert_many with a filter on the records (x) it writes. */
#define PLOG_MANY(filter)                                                                          \
    "WITH v AS (SELECT nextval(pg_get_serial_sequence('processing_log', 'id')) AS id, x.* "        \
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "         \
    "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], "                  \
    "$13::text[], $14::text[]) AS x(trace_id, span_id, parent_span_id, activity_id, "              \
    "activity_name, organisation, subject_key, started_at, outcome, subject_kind, "                \
    "actor_key, actor_kind, actor_id, endpoint) " filter "), "                                     \
    "p AS (INSERT INTO processing_log (id, trace_id, span_id, parent_span_id, activity_id, "       \
    "activity_name, organisation, subject_key, started_at, ended_at, outcome, "                    \
    "subject_kind, actor_key) SELECT id, trace_id, span_id, parent_span_id, activity_id, "         \
    "activity_name, organisation, decode(subject_key, 'hex'), started_at::timestamptz, "           \
    "clock_timestamp(), outcome, subject_kind, decode(actor_key, 'hex') FROM v) "                  \
    "INSERT INTO audit_log (processing_log_id, trace_id, actor_kind, actor_id, "                   \
    "organisation, endpoint) SELECT id, trace_id, actor_kind, actor_id, organisation, "            \
    "endpoint FROM v WHERE actor_kind IS NOT NULL"

const mz_stmt_def mz_stmt_defs[MZ_STMT__COUNT] = {
    /* One migrator at a time, across every instance (key: "mijnzaken"). */
    [MZ_STMT_MIGRATION_LOCK] = {"migration_lock", "SELECT pg_advisory_lock(7233610001) AS locked",
                                0, false},
    [MZ_STMT_MIGRATION_UNLOCK] = {"migration_unlock",
                                  "SELECT pg_advisory_unlock(7233610001) AS unlocked", 0, false},
    [MZ_STMT_MIGRATIONS_APPLIED] = {"migrations_applied",
                                    "SELECT version, name, checksum FROM schema_migrations "
                                    "ORDER BY version",
                                    0, true},
    [MZ_STMT_MIGRATION_RECORD] = {"migration_record",
                                  "INSERT INTO schema_migrations (version, name, checksum) "
                                  "VALUES ($1::int, $2, $3)",
                                  3, false},
    [MZ_STMT_READY] = {"ready",
                       "SELECT coalesce(max(version), 0) AS version FROM schema_migrations", 0,
                       true},
    [MZ_STMT_AGENCY_UPSERT] =
        {"agency_upsert",
         "INSERT INTO agencies (id, name, adapter_kind, adapter_config, contact_url, "
         "contact_phone, contact_professional_phone, enabled) "
         "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8::boolean) "
         "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "
         "adapter_kind = EXCLUDED.adapter_kind, adapter_config = EXCLUDED.adapter_config, "
         "contact_url = EXCLUDED.contact_url, contact_phone = EXCLUDED.contact_phone, "
         "contact_professional_phone = EXCLUDED.contact_professional_phone, "
         "enabled = EXCLUDED.enabled, updated_at = now()",
         8, true},
    [MZ_STMT_SYNC_STATE_ENSURE] = {"sync_state_ensure",
                                   "INSERT INTO sync_state (agency_id) VALUES ($1) "
                                   "ON CONFLICT (agency_id) DO NOTHING",
                                   1, true},
    /* Out-of-order safe: an update whose source timestamp is older than the
     * stored one changes nothing and returns no row. */
    [MZ_STMT_CASE_UPSERT] =
        {"case_upsert",
         CASE_INSERT_INTO
         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::status_group, $9, $10::timestamptz, $11::date, "
         "$12::date, $13::date, coalesce($14::date, CASE WHEN $8 IN ('closed', 'withdrawn') "
         "THEN ($10::timestamptz AT TIME ZONE 'Europe/Amsterdam')::date END), $15, $16, $17, "
         "$18::date, $19, $20, $21::timestamptz, $22, coalesce($23, 'bsn')) " CASE_ON_CONFLICT,
         23, true},
    /* Only into the case of the record's own subject ($8): a record refused
     * as a conflict adds nothing to the owner's timeline. */
    [MZ_STMT_CASE_EVENT_INSERT] =
        {"case_event_insert",
         "INSERT INTO case_events (case_id, status_group, status_text, occurred_at, source, "
         "event_key) SELECT id, $3::status_group, $4, $5::timestamptz, $6, $7 FROM cases "
         "WHERE agency_id = $1 AND external_id = $2 AND subject_key = $8 "
         "ON CONFLICT (case_id, event_key) DO NOTHING",
         8, true},
    /* A record that was not applied: when the stored case belongs to
     * another subject than the record's ($3), counts the conflict (one row
     * per case) and returns the case id; no row when it was merely stale.
     * $1 agency, $2 external id, $3 subject key (binary), $4 source. */
    [MZ_STMT_CASE_CONFLICT_RECORD] =
        {"case_conflict_record",
         "INSERT INTO case_conflicts (case_id, agency_id, last_source) "
         "SELECT id, agency_id, $4 FROM cases WHERE agency_id = $1 AND external_id = $2 "
         "AND subject_key <> $3 "
         "ON CONFLICT (case_id) DO UPDATE SET detections = case_conflicts.detections + 1, "
         "last_detected_at = now(), last_source = EXCLUDED.last_source RETURNING case_id",
         4, false},
    /* $1 subject key (binary), $2 agency or NULL, $3 'open'/'closed' or NULL,
     * $4/$5 keyset cursor (sort key in µs, id) or NULL, $6 limit. */
    [MZ_STMT_CASES_LIST] =
        {"cases_list",
         "SELECT " CASE_COLUMNS " FROM cases c JOIN agencies a ON a.id = c.agency_id "
         "WHERE c.subject_key = $1 "
         "AND ($2::text IS NULL OR c.agency_id = $2::text) "
         "AND ($3::text IS NULL OR ($3::text = 'open') = (c.closed_on IS NULL)) "
         "AND ($4::bigint IS NULL OR (c.status_changed_at, c.id) < "
         "('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5::uuid)) "
         "AND ($7::text[] IS NULL OR c.agency_id = ANY($7::text[])) "
         "ORDER BY c.status_changed_at DESC, c.id DESC LIMIT $6::int",
         7, true},
    /* $3: a representative's scope (agency ids) or NULL (every agency). */
    [MZ_STMT_CASE_GET] = {"case_get",
                          "SELECT " CASE_COLUMNS " FROM cases c JOIN agencies a ON "
                          "a.id = c.agency_id WHERE c.id = $1::uuid AND c.subject_key = $2 "
                          "AND ($3::text[] IS NULL OR c.agency_id = ANY($3::text[]))",
                          3, true},
    [MZ_STMT_CASE_EVENTS] = {"case_events",
                             "SELECT status_group, status_text, occurred_at, source "
                             "FROM case_events WHERE case_id = $1::uuid "
                             "ORDER BY occurred_at, id LIMIT 500",
                             1, true},
    /* Claims the agency most overdue whose lease is free; SKIP LOCKED lets
     * several instances claim different agencies at the same moment.
     * $1 owner, $2 lease seconds, $3 configured agency ids (text[]). */
    [MZ_STMT_SYNC_CLAIM] =
        {"sync_claim",
         "UPDATE sync_state s SET lease_owner = $1, "
         "lease_until = now() + $2::int * interval '1 second', last_attempt_at = now() "
         "WHERE s.agency_id = (SELECT agency_id FROM sync_state "
         "WHERE next_run_at <= now() AND (lease_until IS NULL OR lease_until < now()) "
         "AND agency_id = ANY ($3::text[]) ORDER BY next_run_at "
         "FOR UPDATE SKIP LOCKED LIMIT 1) "
         "RETURNING s.agency_id, s.cursor, s.consecutive_failures",
         3, false},
    /* The same for one named agency, due or not (CLI --once). */
    [MZ_STMT_SYNC_CLAIM_ONE] =
        {"sync_claim_one",
         "UPDATE sync_state SET lease_owner = $1, "
         "lease_until = now() + $2::int * interval '1 second', last_attempt_at = now() "
         "WHERE agency_id = $3 AND (lease_until IS NULL OR lease_until < now()) "
         "RETURNING agency_id, cursor, consecutive_failures",
         3, false},
    /* $1 agency, $2 owner, $3 cursor, $4 next run in s, $5 ms, $6 seen, $7 applied,
     * $8 records skipped, $9 their reasons (JSON object: reason -> count) */
    [MZ_STMT_SYNC_FINISH_OK] =
        {"sync_finish_ok",
         "UPDATE sync_state SET lease_owner = NULL, lease_until = NULL, cursor = $3, "
         "last_success_at = now(), last_error = NULL, consecutive_failures = 0, "
         "next_run_at = now() + $4::int * interval '1 second', last_duration_ms = $5::int, "
         "last_seen = $6::int, last_applied = $7::int, runs = runs + 1, "
         "last_skipped = $8::int, last_skip_reasons = $9::jsonb "
         "WHERE agency_id = $1 AND lease_owner = $2",
         9, true},
    /* $1 agency, $2 JSON object reason -> count (mz_sync_skips_json). */
    [MZ_STMT_SYNC_SKIPS_ADD] = {"sync_skips_add",
                                "INSERT INTO sync_skips (agency_id, reason, total) "
                                "SELECT $1, key, value::bigint FROM jsonb_each_text($2::jsonb) "
                                "WHERE value::bigint > 0 "
                                "ON CONFLICT (agency_id, reason) DO UPDATE SET "
                                "total = sync_skips.total + EXCLUDED.total, last_at = now()",
                                2, false},
    /* $1 agency, $2 owner, $3 error, $4 next run in s, $5 ms */
    [MZ_STMT_SYNC_FINISH_FAIL] =
        {"sync_finish_fail",
         "UPDATE sync_state SET lease_owner = NULL, lease_until = NULL, last_error = $3, "
         "consecutive_failures = consecutive_failures + 1, "
         "next_run_at = now() + $4::int * interval '1 second', last_duration_ms = $5::int, "
         "runs = runs + 1 WHERE agency_id = $1 AND lease_owner = $2",
         5, true},
    /* $1 agency, $2 owner, $3 lease seconds */
    [MZ_STMT_SYNC_RENEW] = {"sync_renew",
                            "UPDATE sync_state SET lease_until = now() + $3::int * "
                            "interval '1 second' WHERE agency_id = $1 AND lease_owner = $2",
                            3, true},
    [MZ_STMT_SYNC_TRIGGER] =
        {"sync_trigger",
         "UPDATE sync_state SET next_run_at = now() WHERE agency_id = $1 "
         "RETURNING lease_until IS NOT NULL AND lease_until > now() AS running",
         1, true},
    /* An agency filter must name an agency (400 otherwise, not an empty list). */
    [MZ_STMT_AGENCY_EXISTS] = {"agency_exists", "SELECT 1 AS found FROM agencies WHERE id = $1", 1,
                               true},
    [MZ_STMT_AGENCIES_ADMIN] =
        {"agencies_admin",
         "SELECT a.id, a.name, a.adapter_kind, a.enabled, s.last_success_at, s.last_attempt_at, "
         "s.last_error, coalesce(s.consecutive_failures, 0) AS consecutive_failures, "
         "s.next_run_at, coalesce(s.lease_until > now(), false) AS running, "
         "(SELECT count(*) FROM cases c WHERE c.agency_id = a.id) AS cases, s.last_duration_ms, "
         "s.last_seen, s.last_applied, coalesce(s.runs, 0) AS runs "
         "FROM agencies a LEFT JOIN sync_state s ON s.agency_id = a.id ORDER BY a.id",
         0, true},
    /* The admin view's (and /metrics') ownership and skip figures per
     * agency: the last successful sync's skipped records and reasons, the
     * running skip totals by reason (JSON object), the cases in conflict,
     * all detections, the latest, and the 10 most recent conflicts (JSON
     * array; our case ids only). */
    [MZ_STMT_AGENCIES_TRUST] =
        {"agencies_trust",
         "SELECT a.id AS agency_id, s.last_skipped, s.last_skip_reasons::text AS "
         "last_skip_reasons, "
         "(SELECT coalesce(jsonb_object_agg(k.reason, k.total), '{}'::jsonb) FROM sync_skips k "
         "WHERE k.agency_id = a.id)::text AS skip_totals, "
         "(SELECT count(*) FROM case_conflicts x WHERE x.agency_id = a.id) AS conflict_cases, "
         "(SELECT coalesce(sum(x.detections), 0) FROM case_conflicts x WHERE x.agency_id = a.id) "
         "AS conflict_detections, "
         "(SELECT max(x.last_detected_at) FROM case_conflicts x WHERE x.agency_id = a.id) "
         "AS last_detected_at, "
         "(SELECT coalesce(jsonb_agg(jsonb_build_object('caseId', x.case_id, 'source', "
         "x.last_source, 'detections', x.detections, 'firstDetectedAt', "
         "to_char(x.first_detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
         "'lastDetectedAt', to_char(x.last_detected_at AT TIME ZONE 'UTC', "
         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY x.last_detected_at DESC, x.case_id), "
         "'[]'::jsonb) FROM (SELECT * FROM case_conflicts y WHERE y.agency_id = a.id "
         "ORDER BY y.last_detected_at DESC, y.case_id LIMIT 10) x)::text AS recent_conflicts "
         "FROM agencies a LEFT JOIN sync_state s ON s.agency_id = a.id ORDER BY a.id",
         0, true},
    /* $1 subject key: per enabled agency, the citizen's last refresh and
     * the agency's last full sync. */
    /* Per enabled agency: when the citizen's data was last refreshed (and
     * how many seconds ago), whether it is a demo agency (seed-demo writes
     * adapter kind 'demo'; no agencies file can), and its push channel:
     * the last accepted push (and its age) and the age of the oldest push
     * still unprocessed. The two inbox look-ups are one index probe each
     * (migration 008). */
    [MZ_STMT_SUBJECT_FRESHNESS] =
        {"subject_freshness",
         "WITH c AS (SELECT agency_id, max(last_synced_at) AS synced FROM cases "
         "WHERE subject_key = $1 GROUP BY agency_id) "
         "SELECT a.id AS agency_id, a.name AS agency_name, "
         "greatest(r.refreshed_at, s.last_success_at, c.synced) AS refreshed_at, "
         "extract(epoch FROM now() - greatest(r.refreshed_at, s.last_success_at, c.synced))"
         "::bigint AS refreshed_age_s, a.adapter_kind = 'demo' AS demo, p.at AS last_push_at, "
         "extract(epoch FROM now() - p.at)::bigint AS last_push_age_s, "
         "extract(epoch FROM now() - w.at)::bigint AS oldest_pending_age_s "
         "FROM agencies a LEFT JOIN c ON c.agency_id = a.id "
         "LEFT JOIN subject_refresh r ON r.agency_id = a.id AND r.subject_key = $1 "
         "LEFT JOIN sync_state s ON s.agency_id = a.id "
         "LEFT JOIN LATERAL (SELECT max(received_at) AS at FROM inbox "
         "WHERE inbox.agency_id = a.id) p ON true "
         "LEFT JOIN LATERAL (SELECT min(received_at) AS at FROM inbox "
         "WHERE inbox.agency_id = a.id AND processed_at IS NULL) w ON true "
         "WHERE a.enabled ORDER BY a.id",
         1, true},
    [MZ_STMT_SUBJECT_REFRESH_RECORD] =
        {"subject_refresh_record",
         "INSERT INTO subject_refresh (agency_id, subject_key, refreshed_at, attempted_at, ok, "
         "subject_kind) "
         "VALUES ($1, $2, CASE WHEN $3::boolean THEN now() END, now(), $3::boolean, $4) "
         "ON CONFLICT (subject_key, agency_id) DO UPDATE SET attempted_at = now(), "
         "ok = EXCLUDED.ok, refreshed_at = coalesce(EXCLUDED.refreshed_at, "
         "subject_refresh.refreshed_at)",
         4, true},
    /* Acknowledged pushes. A duplicate (same agency and event id) changes
     * nothing and returns no row; the sender still gets its 2xx. */
    [MZ_STMT_INBOX_INSERT] = {"inbox_insert",
                              "INSERT INTO inbox (agency_id, kind, event_id, body) "
                              "VALUES ($1, $2, $3, $4) "
                              "ON CONFLICT (agency_id, event_id) DO NOTHING RETURNING id",
                              4, false},
    /* The group committer's form (ingest.c): many rows in one statement,
     * as four parallel text arrays. Returns the rows inserted; a duplicate,
     * also one repeated inside the arrays, returns none. */
    [MZ_STMT_INBOX_INSERT_MANY] = {"inbox_insert_many",
                                   "INSERT INTO inbox (agency_id, kind, event_id, body) "
                                   "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
                                   "$4::text[]) "
                                   "ON CONFLICT (agency_id, event_id) DO NOTHING "
                                   "RETURNING agency_id, event_id",
                                   4, false},
    /* Claims up to $1 due rows of kind $2; the claim itself pushes
     * next_attempt_at out (a lease), so a crashed processor's rows come back
     * after 15 s. An event row takes well under a millisecond; a
     * notification's fetch at most 10 s, so those are claimed one at a time
     * (inbox.c), never more than the lease can cover. */
    [MZ_STMT_INBOX_CLAIM] = {"inbox_claim",
                             "UPDATE inbox SET attempts = attempts + 1, "
                             "next_attempt_at = now() + interval '15 seconds' WHERE id IN ("
                             "SELECT id FROM inbox WHERE processed_at IS NULL AND dead_at IS NULL "
                             "AND next_attempt_at <= now() "
                             "AND kind = $2 ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED) "
                             "RETURNING id, agency_id, kind, event_id, body, attempts",
                             2, false},
    /* Event rows are claimed by locking them inside the transaction that
     * applies them (no lease write: one row version less per event; a
     * crashed processor's locks end with its connection). attempts + 1 is
     * this attempt's number, written with the outcome. */
    [MZ_STMT_INBOX_LOCK_EVENTS] =
        {"inbox_lock_events",
         "SELECT id, agency_id, kind, event_id, body, attempts + 1 AS attempts FROM inbox "
         "WHERE processed_at IS NULL AND dead_at IS NULL AND kind = 'event' "
         "AND next_attempt_at <= now() "
         "ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED",
         1, false},
    [MZ_STMT_INBOX_DONE_MANY] = {"inbox_done_many",
                                 "UPDATE inbox SET processed_at = now(), error = NULL, "
                                 "attempts = attempts + $2::int WHERE id = ANY ($1::bigint[])",
                                 2, false},
    /* $5 MZ_INBOX_MAX_ATTEMPTS: a row whose attempts reach it is given up
     * (006) — no claim takes it again until a reprocess. Decided on the
     * stored count, and a given-up row stays so, whatever order two
     * attempts' outcomes arrive in. Returns whether it is given up. */
    [MZ_STMT_INBOX_FAIL] = {"inbox_fail",
                            "UPDATE inbox SET error = $2, attempts = attempts + $4::int, "
                            "next_attempt_at = now() + $3::int * interval '1 second', "
                            "dead_at = coalesce(dead_at, CASE WHEN attempts + $4::int >= "
                            "$5::int THEN now() END) "
                            "WHERE id = $1::bigint AND processed_at IS NULL "
                            "RETURNING dead_at IS NOT NULL AS dead",
                            5, false},
    /* By hand (`inbox reprocess`): every unprocessed row now, given-up ones
     * too (one more attempt each; a failure gives them up again). */
    [MZ_STMT_INBOX_RETRY_NOW] = {"inbox_retry_now",
                                 "UPDATE inbox SET next_attempt_at = now(), dead_at = NULL "
                                 "WHERE processed_at IS NULL AND ($1::text IS NULL OR "
                                 "agency_id = $1::text) RETURNING id",
                                 1, true},
    [MZ_STMT_INBOX_STATS] =
        {"inbox_stats",
         "SELECT a.id AS agency_id, count(i.id) FILTER (WHERE i.processed_at IS NULL AND "
         "i.dead_at IS NULL) AS pending, "
         "count(i.id) FILTER (WHERE i.processed_at IS NULL AND i.dead_at IS NULL AND "
         "i.error IS NOT NULL) AS failing, "
         "min(i.received_at) FILTER (WHERE i.processed_at IS NULL AND i.dead_at IS NULL) "
         "AS oldest_pending_at, "
         "count(i.id) FILTER (WHERE i.processed_at IS NULL AND i.dead_at IS NOT NULL) AS dead "
         "FROM agencies a LEFT JOIN inbox i ON i.agency_id = a.id GROUP BY a.id ORDER BY a.id",
         0, true},
    /* The admin view's last given-up rows: per agency the newest $1, with
     * their kind, attempts, when and the last error (texts the service
     * wrote; inbox.c keeps BSN-like numbers out). */
    [MZ_STMT_INBOX_DEAD_RECENT] =
        {"inbox_dead_recent",
         "SELECT agency_id, kind, attempts, dead_at, error FROM (SELECT agency_id, kind, "
         "attempts, dead_at, error, row_number() OVER (PARTITION BY agency_id ORDER BY "
         "dead_at DESC, id DESC) AS n FROM inbox WHERE dead_at IS NOT NULL AND "
         "processed_at IS NULL) d WHERE n <= $1::int ORDER BY agency_id, dead_at DESC",
         1, true},
    /* Processing log (Logboek Dataverwerkingen): $1 trace, $2 span, $3 parent
     * span or NULL, $4 activity id, $5 activity name, $6 organisation, $7
     * subject key (binary), $8 started, $9 outcome, $10 subject kind, $11
     * the acting representative's pseudonym (binary) or NULL; ended now. */
    [MZ_STMT_PLOG_INSERT] = {"plog_insert",
                             "INSERT INTO processing_log (trace_id, span_id, parent_span_id, "
                             "activity_id, activity_name, organisation, subject_key, started_at, "
                             "ended_at, outcome, subject_kind, actor_key) VALUES ($1, $2, $3, $4, "
                             "$5, $6, $7, $8::timestamptz, clock_timestamp(), $9, $10, $11)",
                             11, false},
    /* The same plus the audit record, in one statement (atomic, one round
     * trip): $12 actor kind, $13 actor id, $14 endpoint. The audit record
     * points at its processing-log record by that record's own id (006):
     * the trace id is the caller's and need not be unique. */
    [MZ_STMT_PLOG_AUDIT_INSERT] = {"plog_audit_insert",
                                   "WITH p AS (INSERT INTO processing_log (trace_id, span_id, "
                                   "parent_span_id, activity_id, activity_name, organisation, "
                                   "subject_key, started_at, ended_at, outcome, subject_kind, "
                                   "actor_key) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                                   "$8::timestamptz, clock_timestamp(), $9, $10, $11) "
                                   "RETURNING id, trace_id) INSERT INTO audit_log ("
                                   "processing_log_id, trace_id, actor_kind, actor_id, "
                                   "organisation, endpoint) SELECT id, trace_id, $12, $13, $6, "
                                   "$14 FROM p",
                                   14, false},
    /* The group committer's form (plog_commit.c): many records in one
     * statement, as fourteen parallel text arrays in the order of
     * plog_audit_insert's parameters (keys as hex). Ids are drawn first so
     * each audit record can point at its own processing-log record
     * without relying on trace or span ids being unique. The command tag
     * counts the audit records (the caller checks it). */
    [MZ_STMT_PLOG_INSERT_MANY] = {"plog_insert_many", PLOG_MANY(""), 14, false},
    /* The same, sent again on a new connection after the first one was
     * lost with the outcome unknown: records already there (same trace and
     * span id, the span id being ours and random) are not written twice. */
    [MZ_STMT_PLOG_INSERT_MANY_AGAIN] =
        {"plog_insert_many_again",
         PLOG_MANY("WHERE NOT EXISTS (SELECT 1 FROM processing_log o WHERE o.trace_id = "
                   "x.trace_id AND o.span_id = x.span_id AND o.started_at = "
                   "x.started_at::timestamptz)"),
         14, false},
    /* The processing log's monthly partitions (016): this month and the
     * next $1, made when missing. */
    [MZ_STMT_PLOG_PARTITIONS_ENSURE] = {"plog_partitions_ensure",
                                        "SELECT mz_log_partitions_ensure($1::int) AS made", 1,
                                        false},
    /* The citizen's view of who looked: $1 subject key, $2 the self-view
     * activity (left out), $3 before this id or NULL, $4 limit. */
    [MZ_STMT_ACCESS_LOG_LIST] =
        {"access_log_list",
         "SELECT id, started_at, organisation, activity_id, "
         "activity_name, outcome, actor_key IS NOT NULL AS by_representative "
         "FROM processing_log "
         "WHERE subject_key = $1 AND activity_id <> $2 "
         "AND ($3::bigint IS NULL OR id < $3::bigint) "
         "ORDER BY id DESC LIMIT $4::int",
         4, true},
    /* A professional's case look-up: any case; the subject key comes along
     * (binary-compatible hex) for the processing log. */
    [MZ_STMT_CASE_GET_ANY] = {"case_get_any",
                              "SELECT " CASE_COLUMNS
                              ", encode(c.subject_key, 'hex') AS subject_key_hex, "
                              "c.subject_kind FROM cases c JOIN agencies a ON a.id = c.agency_id "
                              "WHERE c.id = $1::uuid",
                              1, true},
    /* Retention: $1 days. */
    [MZ_STMT_PURGE_COUNT_EVENTS] = {"purge_count_events",
                                    "SELECT count(*) AS rows FROM case_events e JOIN cases c ON "
                                    "c.id = e.case_id WHERE c.closed_on < current_date - $1::int",
                                    1, true},
    [MZ_STMT_PURGE_CASES] = {"purge_cases",
                             "WITH d AS (DELETE FROM cases WHERE closed_on < "
                             "current_date - $1::int RETURNING 1) SELECT count(*) AS rows FROM d",
                             1, false},
    [MZ_STMT_PURGE_PLOG] = {"purge_plog",
                            /* 016: drops the months wholly before the cut-off, deletes the rest */
                            "SELECT mz_log_purge(now() - $1::int * interval '1 day') AS rows", 1,
                            false},
    [MZ_STMT_PURGE_AUDIT] =
        {"purge_audit",
         "WITH d AS (DELETE FROM audit_log WHERE at < "
         "now() - $1::int * interval '1 day' RETURNING 1) SELECT count(*) AS rows FROM d",
         1, false},
    [MZ_STMT_PURGE_INBOX] =
        {"purge_inbox",
         "WITH d AS (DELETE FROM inbox WHERE processed_at < "
         "now() - $1::int * interval '1 day' RETURNING 1) SELECT count(*) AS rows FROM d",
         1, false},
    /* Re-keying the pseudonyms: every key in use with its subject kind
     * (010; an event body stored before it has no "subjectKind": a
     * person's), then old ($1) -> new ($2). */
    [MZ_STMT_REKEY_SUBJECTS] = {"rekey_subjects",
                                "SELECT DISTINCT encode(k, 'hex') AS subject_key_hex, "
                                "kind AS subject_kind FROM ("
                                "SELECT subject_key, subject_kind FROM cases UNION "
                                "SELECT subject_key, subject_kind FROM subject_refresh UNION "
                                "SELECT actor_key, 'bsn' FROM processing_log "
                                "WHERE actor_key IS NOT NULL UNION "
                                "SELECT subject_key, subject_kind FROM processing_log UNION "
                                "SELECT subject_key, subject_kind FROM contact_moments UNION "
                                "SELECT decode(m[1], 'hex'), coalesce(m[2], 'bsn') FROM inbox, "
                                "regexp_matches(body, '\"subjectKey\":\"([0-9a-f]{64})\""
                                "(?:,\"subjectKind\":\"(bsn|kvk)\")?', 'g') m "
                                "WHERE kind = 'event') s(k, kind)",
                                0, true},
    /* The mapping is applied in chunks: $1 old and $2 new pseudonyms as
     * parallel arrays of hex text (one round trip per chunk, not per
     * citizen). */
    [MZ_STMT_REKEY_CASES] = {"rekey_cases",
                             "UPDATE cases c SET subject_key = decode(m.n, 'hex') "
                             "FROM unnest($1::text[], $2::text[]) AS m(o, n) "
                             "WHERE c.subject_key = decode(m.o, 'hex')",
                             2, false},
    /* Refresh records only say how fresh a citizen's data is: drop the old
     * ones (a row under the new key may already exist), never collide. */
    [MZ_STMT_REKEY_REFRESH] = {"rekey_refresh",
                               "DELETE FROM subject_refresh WHERE subject_key IN "
                               "(SELECT decode(o, 'hex') FROM unnest($1::text[]) AS o) "
                               "AND $2::text[] IS NOT NULL",
                               2, false},
    /* Both pseudonyms of a record: the subject's and (012) the acting
     * representative's, which may be in the same chunk. */
    [MZ_STMT_REKEY_PLOG] = {"rekey_plog",
                            "WITH m AS (SELECT decode(o, 'hex') AS o, decode(n, 'hex') AS n "
                            "FROM unnest($1::text[], $2::text[]) AS x(o, n)) "
                            "UPDATE processing_log p SET "
                            "subject_key = coalesce((SELECT m.n FROM m WHERE m.o = p.subject_key), "
                            "p.subject_key), "
                            "actor_key = coalesce((SELECT m.n FROM m WHERE m.o = p.actor_key), "
                            "p.actor_key) "
                            "WHERE p.subject_key IN (SELECT o FROM m) "
                            "OR p.actor_key IN (SELECT o FROM m)",
                            2, false},
    /* Stored event bodies carry pseudonyms as "subjectKey" values: read them
     * a page at a time (keyset on id) and rewrite the ones that changed. */
    [MZ_STMT_REKEY_INBOX_PAGE] = {"rekey_inbox_page",
                                  "SELECT id, body FROM inbox WHERE kind = 'event' AND id > $1 "
                                  "ORDER BY id LIMIT 500",
                                  1, false},
    [MZ_STMT_REKEY_INBOX_SET] = {"rekey_inbox_set", "UPDATE inbox SET body = $2 WHERE id = $1", 2,
                                 false},

    /* Set-based writes for batches (store.c, sync runs): one execution per
     * batch instead of one per record and event. $1 is a JSON array the
     * store writes itself, one object per record with the same fields (and
     * casts) as case_upsert's parameters; subject_key in hex. The same
     * out-of-order rule: a stale record changes nothing and returns no row,
     * so the row count is the number applied. A batch must not name a case
     * twice (ON CONFLICT DO UPDATE refuses that; the store then writes the
     * batch record by record). */
    [MZ_STMT_CASE_UPSERT_MANY] =
        {"case_upsert_many",
         CASE_INSERT_INTO
         "SELECT r.agency_id, r.external_id, decode(r.subject_key, 'hex'), r.case_number, r.title, "
         "r.case_type_code, r.case_type_label, r.status_group::status_group, r.status_text, "
         "r.status_changed_at::timestamptz, r.registered_on::date, r.planned_end_on::date, "
         "r.legal_deadline_on::date, coalesce(r.closed_on::date, CASE WHEN r.status_group IN "
         "('closed', 'withdrawn') THEN (r.status_changed_at::timestamptz AT TIME ZONE "
         "'Europe/Amsterdam')::date END), r.result_text, r.action_text, r.action_url, "
         "r.action_due_on::date, r.deep_link_url, r.source_url, r.source_updated_at::timestamptz, "
         "r.last_source, coalesce(r.subject_kind, 'bsn') FROM jsonb_to_recordset($1::jsonb) AS "
         "r(agency_id text, external_id text, "
         "subject_key text, case_number text, title text, case_type_code text, "
         "case_type_label text, status_group text, status_text text, status_changed_at text, "
         "registered_on text, planned_end_on text, legal_deadline_on text, closed_on text, "
         "result_text text, action_text text, action_url text, action_due_on text, "
         "deep_link_url text, source_url text, source_updated_at text, last_source text, "
         "subject_kind text) " CASE_ON_CONFLICT,
         1, true},
    /* The batch's timeline entries (JSON array: agency_id, external_id and
     * case_event_insert's fields, plus n, their order), inserted in that
     * order so that ids break ties as one-by-one inserts did.
     * Why the LATERAL ... LIMIT 1 (the case key is unique anyway): it keeps
     * the look-up an index probe per entry whatever the statistics say. As
     * a plain join, the generic plan a connection cached while `cases` was
     * nearly empty (a new installation) was a hash join over a sequential
     * scan, kept as the table grew: every batch then read all cases. */
    [MZ_STMT_CASE_EVENT_INSERT_MANY] =
        {"case_event_insert_many",
         "INSERT INTO case_events (case_id, status_group, status_text, occurred_at, source, "
         "event_key) SELECT c.id, e.status_group::status_group, e.status_text, "
         "e.occurred_at::timestamptz, e.source, e.event_key "
         "FROM jsonb_to_recordset($1::jsonb) AS e(n int, agency_id text, external_id text, "
         "subject_key text, status_group text, status_text text, occurred_at text, source text, "
         "event_key text) "
         "CROSS JOIN LATERAL (SELECT id FROM cases WHERE cases.agency_id = e.agency_id AND "
         "cases.external_id = e.external_id AND cases.subject_key = decode(e.subject_key, 'hex') "
         "LIMIT 1) c "
         "ORDER BY e.n ON CONFLICT (case_id, event_key) DO NOTHING",
         1, true},
    /* case_conflict_record for a batch ($1: case_upsert_many's JSON array),
     * run when fewer rows were applied than sent: each record whose stored
     * case belongs to another subject is a conflict. A batch never names a
     * case twice, so no row is updated twice. */
    [MZ_STMT_CASE_CONFLICT_RECORD_MANY] =
        {"case_conflict_record_many",
         "INSERT INTO case_conflicts (case_id, agency_id, last_source) "
         "SELECT c.id, c.agency_id, r.last_source FROM jsonb_to_recordset($1::jsonb) AS "
         "r(agency_id text, external_id text, subject_key text, last_source text) "
         "CROSS JOIN LATERAL (SELECT id, agency_id FROM cases WHERE cases.agency_id = "
         "r.agency_id AND cases.external_id = r.external_id AND cases.subject_key <> "
         "decode(r.subject_key, 'hex') LIMIT 1) c "
         "ON CONFLICT (case_id) DO UPDATE SET detections = case_conflicts.detections + 1, "
         "last_detected_at = now(), last_source = EXCLUDED.last_source "
         "RETURNING case_id, agency_id, last_source",
         1, false},
    /* seed-demo: its earlier cases of one agency go before it writes the
     * current ones (dates move with today, so their timeline entries would
     * otherwise pile up), and all of them when the agency became a live
     * source. Cases anything else wrote stay. */
    [MZ_STMT_SEED_CLEAR] = {"seed_clear",
                            "DELETE FROM cases WHERE agency_id = $1 AND last_source = 'seed'", 1,
                            true},

    /* Sign-in (session.c). Hashes, pseudonyms and encrypted values travel
     * as lower-case hex text; decode(NULL, 'hex') is NULL. */
    [MZ_STMT_OIDC_FLOW_INSERT] = {"oidc_flow_insert",
                                  "INSERT INTO oidc_flows (state_hash, kind, nonce, code_verifier, "
                                  "return_to, expires_at) VALUES (decode($1, 'hex'), $2, $3, $4, "
                                  "$5, now() + $6::int * interval '1 second')",
                                  6, false},
    /* Single use: the row is gone once read, whether it is still live or not. */
    [MZ_STMT_OIDC_FLOW_TAKE] = {"oidc_flow_take",
                                "DELETE FROM oidc_flows WHERE state_hash = decode($1, 'hex') "
                                "RETURNING kind, nonce, code_verifier, return_to, "
                                "expires_at > now() AS live",
                                1, false},
    [MZ_STMT_SESSION_INSERT] =
        {"session_insert",
         "INSERT INTO sessions (id_hash, kind, subject_key, subject_enc, acting_for, roles, "
         "organisation, actor, acr, op_sid, op_sub_hash, id_token_enc, idle_expires_at, "
         "expires_at, subject_kind, actor_key, scope_agencies, represents_enc, represents_count, "
         "represents_choice) VALUES (decode($1, 'hex'), $2, "
         "decode($3, 'hex'), decode($4, 'hex'), "
         "$5::boolean, $6::int, $7, $8, $9, $10, decode($11, 'hex'), decode($12, 'hex'), "
         "now() + least($13::int, $14::int) * interval '1 second', "
         "now() + $14::int * interval '1 second', coalesce($15, 'bsn'), decode($16, 'hex'), "
         "$17::text[], decode($18, 'hex'), coalesce($19::int, 0), $20::int)",
         20, false},
    /* The read path of every cookie request: one index probe, no write
     * (session_touch runs only when last_seen_at is old enough). */
    [MZ_STMT_SESSION_GET] =
        {"session_get",
         "SELECT kind, encode(subject_key, 'hex') AS subject_key_hex, "
         "encode(subject_enc, 'hex') AS subject_enc_hex, acting_for, roles, organisation, actor, "
         "acr, extract(epoch FROM idle_expires_at)::bigint AS idle_expires, "
         "extract(epoch FROM expires_at)::bigint AS expires, "
         "extract(epoch FROM now() - last_seen_at)::bigint AS seen_age_s, subject_kind, "
         "encode(actor_key, 'hex') AS actor_key_hex, "
         "array_to_string(scope_agencies, ',') AS scope_agencies, represents_count, "
         "represents_choice "
         "FROM sessions WHERE id_hash = decode($1, 'hex') AND idle_expires_at > now() "
         "AND expires_at > now()",
         1, true},
    /* Several authorisations (017): the sealed list, read only by
     * GET /api/v1/session and the choice (not on every request). */
    [MZ_STMT_SESSION_REPRESENTS] = {"session_represents",
                                    "SELECT encode(represents_enc, 'hex') AS represents_enc_hex "
                                    "FROM sessions WHERE id_hash = decode($1, 'hex') AND "
                                    "idle_expires_at > now() AND expires_at > now()",
                                    1, true},
    /* The names of the agencies the session's authorisations cover ($1: text[]). */
    [MZ_STMT_AGENCY_NAMES] =
        {"agency_names", "SELECT id, name FROM agencies WHERE id = ANY($1::text[]) ORDER BY id", 1,
         true},
    /* The chosen authorisation becomes the session's subject: its
     * pseudonym, sealed number, kind and agencies ($5: NULL = all). */
    [MZ_STMT_SESSION_CHOOSE] =
        {"session_choose",
         "UPDATE sessions SET subject_key = decode($2, 'hex'), subject_enc = "
         "decode($3, 'hex'), subject_kind = $4, scope_agencies = "
         "$5::text[], represents_choice = $6::int WHERE id_hash = "
         "decode($1, 'hex') AND idle_expires_at > now() AND expires_at > "
         "now() AND represents_count > $6::int RETURNING represents_choice",
         6, false},
    [MZ_STMT_SESSION_TOUCH] = {"session_touch",
                               "UPDATE sessions SET last_seen_at = now(), idle_expires_at = "
                               "least(now() + $2::int * interval '1 second', expires_at) "
                               "WHERE id_hash = decode($1, 'hex') AND idle_expires_at > now() "
                               "RETURNING extract(epoch FROM idle_expires_at)::bigint AS "
                               "idle_expires",
                               2, true},
    [MZ_STMT_SESSION_END] = {"session_end",
                             "DELETE FROM sessions WHERE id_hash = decode($1, 'hex') RETURNING "
                             "kind, encode(id_token_enc, 'hex') AS id_token_enc_hex",
                             1, true},
    /* Back-channel logout: the sessions of one OP session (sid), or of
     * one OP user (sub hash), or of both when the token names both. */
    [MZ_STMT_SESSION_END_OP] = {"session_end_op",
                                "DELETE FROM sessions WHERE kind = $1 AND ($2::text IS NULL OR "
                                "op_sid = $2) AND ($3::text IS NULL OR op_sub_hash = "
                                "decode($3, 'hex')) AND ($2::text IS NOT NULL OR $3::text IS NOT "
                                "NULL)",
                                3, true},
    [MZ_STMT_SESSIONS_ACTIVE] = {"sessions_active",
                                 "SELECT kind, count(*) AS active FROM sessions WHERE "
                                 "idle_expires_at > now() AND expires_at > now() GROUP BY kind "
                                 "ORDER BY kind",
                                 0, true},
    /* Retention (purge, and now and then at sign-in): $1 seconds of grace. */
    [MZ_STMT_PURGE_SESSIONS] = {"purge_sessions",
                                "WITH d AS (DELETE FROM sessions WHERE least(idle_expires_at, "
                                "expires_at) < now() - $1::int * interval '1 second' RETURNING 1) "
                                "SELECT count(*) AS rows FROM d",
                                1, true},
    [MZ_STMT_PURGE_OIDC_FLOWS] = {"purge_oidc_flows",
                                  "WITH d AS (DELETE FROM oidc_flows WHERE expires_at < now() - "
                                  "$1::int * interval '1 second' RETURNING 1) SELECT count(*) AS "
                                  "rows FROM d",
                                  1, true},
    /* --- notifications (issue 15; service/notify.h, h_notify.c). Subject
     * keys binary ($1); sealed values as hex text (decode/encode). */
    [MZ_STMT_NOTIFY_PREFS_GET] =
        {"notify_prefs_get",
         "SELECT key_id, encode(email_enc, 'hex') AS email_enc, encode(phone_enc, 'hex') AS "
         "phone_enc, email_verified_at IS NOT NULL AS email_verified, phone_verified_at IS NOT "
         "NULL AS phone_verified, channel_email, channel_sms, ev_status_change, ev_decision "
         "FROM notify_preferences WHERE subject_key = $1",
         1, true},
    /* $2 key id, $3/$4 sealed e-mail/phone (hex) or NULL, $5/$6 keep the
     * channel's verification (the address did not change), $7..$10 flags. */
    [MZ_STMT_NOTIFY_PREFS_UPSERT] =
        {"notify_prefs_upsert",
         "INSERT INTO notify_preferences (subject_key, key_id, email_enc, phone_enc, "
         "channel_email, channel_sms, ev_status_change, ev_decision) VALUES ($1, $2, "
         "decode($3, 'hex'), decode($4, 'hex'), $7::boolean, $8::boolean, $9::boolean, "
         "$10::boolean) ON CONFLICT (subject_key) DO UPDATE SET key_id = EXCLUDED.key_id, "
         "email_enc = EXCLUDED.email_enc, phone_enc = EXCLUDED.phone_enc, "
         "email_verified_at = CASE WHEN $5::boolean AND EXCLUDED.email_enc IS NOT NULL THEN "
         "notify_preferences.email_verified_at END, "
         "phone_verified_at = CASE WHEN $6::boolean AND EXCLUDED.phone_enc IS NOT NULL THEN "
         "notify_preferences.phone_verified_at END, "
         "channel_email = EXCLUDED.channel_email, channel_sms = EXCLUDED.channel_sms, "
         "ev_status_change = EXCLUDED.ev_status_change, ev_decision = EXCLUDED.ev_decision, "
         "updated_at = now()",
         10, false},
    /* Everything of the subject: verifications and outbox rows cascade. */
    [MZ_STMT_NOTIFY_PREFS_DELETE] = {"notify_prefs_delete",
                                     "DELETE FROM notify_preferences WHERE subject_key = $1", 1,
                                     true},
    /* A new code for a channel ($3 keyed hash, $4 lifetime in seconds),
     * replacing an earlier one (tries start again). */
    [MZ_STMT_NOTIFY_VERIFY_SET] =
        {"notify_verify_set",
         "INSERT INTO notify_verifications (subject_key, channel, code_hash, expires_at) "
         "VALUES ($1, $2, $3, now() + $4::int * interval '1 second') "
         "ON CONFLICT (subject_key, channel) DO UPDATE SET code_hash = EXCLUDED.code_hash, "
         "tries = 0, expires_at = EXCLUDED.expires_at, created_at = now()",
         4, false},
    /* A channel's address went away or changed: its code and the pending
     * verification message go with it. */
    [MZ_STMT_NOTIFY_VERIFY_CLEAR] =
        {"notify_verify_clear",
         "WITH v AS (DELETE FROM notify_verifications WHERE subject_key = $1 AND channel = $2) "
         "DELETE FROM notify_outbox WHERE subject_key = $1 AND channel = $2 "
         "AND kind = 'verification' AND state IN ('pending', 'retry')",
         2, false},
    [MZ_STMT_NOTIFY_VERIFY_GET] = {"notify_verify_get",
                                   "SELECT code_hash, tries, expires_at < now() AS expired, "
                                   "extract(epoch FROM now() - created_at)::int AS age "
                                   "FROM notify_verifications "
                                   "WHERE subject_key = $1 AND channel = $2 FOR UPDATE",
                                   2, false},
    [MZ_STMT_NOTIFY_VERIFY_TRY] = {"notify_verify_try",
                                   "UPDATE notify_verifications SET tries = tries + 1 "
                                   "WHERE subject_key = $1 AND channel = $2",
                                   2, false},
    [MZ_STMT_NOTIFY_VERIFY_DONE] =
        {"notify_verify_done",
         "WITH d AS (DELETE FROM notify_verifications WHERE subject_key = $1 AND channel = $2 "
         "RETURNING 1) UPDATE notify_preferences SET "
         "email_verified_at = CASE WHEN $2 = 'email' THEN now() ELSE email_verified_at END, "
         "phone_verified_at = CASE WHEN $2 = 'sms' THEN now() ELSE phone_verified_at END, "
         "updated_at = now() WHERE subject_key = $1 AND EXISTS (SELECT 1 FROM d)",
         2, false},
    /* The verification message ($3: the code, sealed, hex), sent at once. */
    [MZ_STMT_NOTIFY_OUTBOX_VERIFICATION] =
        {"notify_outbox_verification",
         "INSERT INTO notify_outbox (subject_key, channel, kind, code_enc) "
         "VALUES ($1, $2, 'verification', decode($3, 'hex')) RETURNING id",
         3, false},
    /* The store, in the transaction that applied a batch ($1: the timeline
     * entries as case_event_insert_many's JSON, plus "silent"): for the
     * entries this transaction inserted (created_at = now(): the
     * transaction's start; a repeated delivery inserts nothing), of
     * subjects with preferences and a verified address on a chosen channel,
     * one outbox row per subject and channel, or the changes folded into
     * its pending one (the digest: due_at is the first change; the sender
     * sends it MZ_NOTIFY_DIGEST_SECONDS later, see notify_claim).
     * Not: entries older than the preferences (a change from before the
     * subscription), an agency's first import (a pull while its first
     * sync has not yet succeeded), seeded data, statuses the agency marked
     * informeren: false ("silent"), and events the citizen switched off
     * (action_required cannot be). The kind is the weightiest change:
     * actionRequired, then decision, then statusChange. */
    [MZ_STMT_NOTIFY_ENQUEUE] =
        {"notify_enqueue",
         "WITH ev AS (SELECT c.subject_key, a.name AS org, e.status_group, "
         "e.occurred_at::timestamptz AS at FROM jsonb_to_recordset($1::jsonb) AS e(agency_id "
         "text, external_id text, subject_key text, status_group text, occurred_at text, "
         "source text, event_key text, silent boolean) "
         "JOIN notify_preferences p0 ON p0.subject_key = decode(e.subject_key, 'hex') "
         "CROSS JOIN LATERAL (SELECT id, subject_key, agency_id FROM cases WHERE "
         "cases.agency_id = e.agency_id AND cases.external_id = e.external_id AND "
         "cases.subject_key = p0.subject_key LIMIT 1) c "
         "JOIN case_events ce ON ce.case_id = c.id AND ce.event_key = e.event_key "
         "AND ce.created_at = now() "
         "JOIN agencies a ON a.id = c.agency_id "
         "LEFT JOIN sync_state s ON s.agency_id = c.agency_id "
         "WHERE NOT coalesce(e.silent, false) AND e.source <> 'seed' "
         "AND (e.source <> 'poll' OR s.last_success_at IS NOT NULL)), "
         "msg AS (SELECT p.subject_key, ch.channel, CASE "
         "WHEN bool_or(ev.status_group = 'action_required') THEN 'actionRequired' "
         "WHEN bool_or(ev.status_group = 'decided') THEN 'decision' ELSE 'statusChange' END "
         "AS kind, array_agg(DISTINCT ev.org ORDER BY ev.org) AS orgs, count(*)::int AS n "
         "FROM ev JOIN notify_preferences p ON p.subject_key = ev.subject_key "
         "AND ev.at >= p.created_at CROSS JOIN LATERAL (VALUES ('email', p.channel_email AND "
         "p.email_verified_at IS NOT NULL), ('sms', p.channel_sms AND p.phone_verified_at IS "
         "NOT NULL)) AS ch(channel, active) WHERE ch.active AND (ev.status_group = "
         "'action_required' OR (ev.status_group = 'decided' AND p.ev_decision) OR "
         "(ev.status_group NOT IN ('action_required', 'decided') AND p.ev_status_change)) "
         "GROUP BY p.subject_key, ch.channel) "
         "INSERT INTO notify_outbox (subject_key, channel, kind, organisations, changes, due_at) "
         "SELECT subject_key, channel, kind, orgs, n, now() FROM msg ON CONFLICT (subject_key, "
         "channel) WHERE state = 'pending' AND kind <> "
         "'verification' DO UPDATE SET changes = notify_outbox.changes + EXCLUDED.changes, "
         "organisations = ARRAY(SELECT DISTINCT o FROM unnest(notify_outbox.organisations || "
         "EXCLUDED.organisations) AS o ORDER BY o), kind = CASE WHEN 'actionRequired' IN "
         "(notify_outbox.kind, EXCLUDED.kind) THEN 'actionRequired' WHEN 'decision' IN "
         "(notify_outbox.kind, EXCLUDED.kind) THEN 'decision' ELSE 'statusChange' END, "
         "updated_at = now()",
         1, false},
    /* The sender's claim: up to $1 due rows (pending or retry), and rows
     * whose lease expired (a sender died mid-send). reclaimed = true for
     * those and for retries whose last attempt may have reached Notify (no
     * answer, or a 5xx): Notify is asked by reference before sending again; SMS only when
     * $2 (not in quiet hours; verification codes always: the citizen just
     * asked for one). Lease $3 seconds. A pending digest is due $4 seconds
     * (MZ_NOTIFY_DIGEST_SECONDS) after its first change. With the row: the address of its
     * channel (sealed, hex), whether it is verified, and the key id. */
    [MZ_STMT_NOTIFY_CLAIM] =
        {"notify_claim",
         "WITH c AS (SELECT id, state AS prev_state FROM notify_outbox WHERE ((state = 'retry' "
         "AND due_at <= now()) OR (state = 'pending' AND due_at <= now() - CASE WHEN kind = "
         "'verification' THEN 0 ELSE $4::int END * interval '1 second') OR (state = 'sending' "
         "AND claimed_until < now())) AND ($2::boolean OR channel = 'email' OR kind = "
         "'verification') "
         "ORDER BY due_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED) "
         "UPDATE notify_outbox o SET state = 'sending', claimed_until = now() + $3::int * "
         "interval '1 second', attempts = o.attempts + 1, updated_at = now() "
         "FROM c, notify_preferences p WHERE o.id = c.id AND p.subject_key = o.subject_key "
         "RETURNING o.id, encode(o.subject_key, 'hex') AS subject_key, o.channel, o.kind, "
         "array_to_string(o.organisations, '|') AS organisations, o.changes, "
         "encode(o.code_enc, 'hex') AS code_enc, p.key_id, encode(CASE WHEN o.channel = "
         "'email' THEN p.email_enc ELSE p.phone_enc END, 'hex') AS address_enc, (CASE WHEN "
         "o.channel = 'email' THEN p.email_verified_at ELSE p.phone_verified_at END) IS NOT NULL "
         "AS verified, c.prev_state = 'sending' OR (c.prev_state = 'retry' AND "
         "coalesce(o.last_http_status, 599) >= 500) AS reclaimed, o.attempts",
         4, false},
    /* Outcomes. Only a row this sender still holds ('sending'): a row
     * deleted meanwhile (preferences deleted) is simply gone. */
    [MZ_STMT_NOTIFY_SENT] = {"notify_sent",
                             "UPDATE notify_outbox SET state = 'sent', sent_at = now(), "
                             "notify_id = $2, last_http_status = $3::int, last_error = NULL, "
                             "code_enc = NULL, claimed_until = NULL, updated_at = now() "
                             "WHERE id = $1::bigint AND state = 'sending'",
                             3, false},
    [MZ_STMT_NOTIFY_RETRY] = {"notify_retry",
                              "UPDATE notify_outbox SET state = 'retry', due_at = now() + "
                              "$4::int * interval '1 second', last_http_status = $2::int, "
                              "last_error = $3, claimed_until = NULL, updated_at = now() "
                              "WHERE id = $1::bigint AND state = 'sending'",
                              4, false},
    [MZ_STMT_NOTIFY_FAIL] = {"notify_fail",
                             "UPDATE notify_outbox SET state = 'failed', last_http_status = "
                             "$2::int, last_error = $3, code_enc = NULL, claimed_until = NULL, "
                             "updated_at = now() WHERE id = $1::bigint AND state = 'sending'",
                             3, false},
    /* Notify's delivery receipt: $1 our reference (the row id), $2 Notify's
     * id (must match the one recorded, when one is), $3 its status. */
    [MZ_STMT_NOTIFY_CALLBACK] =
        {"notify_callback",
         "UPDATE notify_outbox SET delivery_status = $3, delivered_at = CASE WHEN $3 = "
         "'delivered' THEN now() END, notify_id = coalesce(notify_id, $2), updated_at = now() "
         "WHERE id = $1::bigint AND (notify_id IS NULL OR notify_id = $2) RETURNING id",
         3, false},
    /* Metrics: the backlog (not yet sent) and totals, per channel and state. */
    [MZ_STMT_NOTIFY_STATS] = {"notify_stats",
                              "SELECT channel, state, count(*) AS n FROM notify_outbox "
                              "GROUP BY channel, state ORDER BY channel, state",
                              0, true},
    /* purge: preferences of subjects without any case, untouched for $1 days. */
    [MZ_STMT_NOTIFY_PURGE] = {"notify_purge",
                              "WITH d AS (DELETE FROM notify_preferences p WHERE p.updated_at < "
                              "now() - $1::int * interval '1 day' AND NOT EXISTS (SELECT 1 FROM "
                              "cases c WHERE c.subject_key = p.subject_key) RETURNING 1) "
                              "SELECT count(*) AS rows FROM d",
                              1, false},
    /* The notify worker's reminder step ($1: MZ_NOTIFY_REMINDER_DAYS): open
     * cases waiting for the citizen whose action is due within $1 days
     * (today and the due date as calendar days in Europe/Amsterdam), of
     * subjects with a verified address on a chosen channel. notify_reminders
     * (case, due date) is the unique key: only the pairs this statement
     * inserted get a message, so running it again, here or on another
     * instance (the second waits on the key, then skips), writes nothing;
     * a moved due date is a new pair (inserted in case order, so that two
     * instances never wait on each other's keys crosswise). The message is
     * an actionRequired one per subject and channel, folded into its
     * pending digest like any change (the sender applies the digest and
     * the SMS quiet hours).
     * Returns the number of (case, due date) pairs reminded of. */
    [MZ_STMT_NOTIFY_REMIND] =
        {"notify_remind",
         "WITH today AS (SELECT (now() AT TIME ZONE 'Europe/Amsterdam')::date AS d), "
         "due AS (SELECT c.id AS case_id, c.subject_key, c.action_due_on, a.name AS org "
         "FROM cases c CROSS JOIN today JOIN agencies a ON a.id = c.agency_id "
         "JOIN notify_preferences p ON p.subject_key = c.subject_key "
         "WHERE c.status_group = 'action_required' AND c.action_due_on IS NOT NULL AND "
         "c.closed_on IS NULL AND c.action_due_on >= today.d AND c.action_due_on <= today.d + "
         "$1::int AND ((p.channel_email AND p.email_verified_at IS NOT NULL) OR (p.channel_sms "
         "AND p.phone_verified_at IS NOT NULL))), "
         "ins AS (INSERT INTO notify_reminders (case_id, due_on, subject_key) SELECT case_id, "
         "action_due_on, subject_key FROM due ORDER BY case_id ON CONFLICT (case_id, due_on) DO "
         "NOTHING "
         "RETURNING case_id, due_on), "
         "msg AS (SELECT p.subject_key, ch.channel, array_agg(DISTINCT due.org ORDER BY due.org) "
         "AS orgs, count(*)::int AS n FROM ins JOIN due ON due.case_id = ins.case_id AND "
         "due.action_due_on = ins.due_on JOIN notify_preferences p ON p.subject_key = "
         "due.subject_key CROSS JOIN LATERAL (VALUES ('email', p.channel_email AND "
         "p.email_verified_at IS NOT NULL), ('sms', p.channel_sms AND p.phone_verified_at IS "
         "NOT NULL)) AS ch(channel, active) WHERE ch.active GROUP BY p.subject_key, ch.channel), "
         "o AS (INSERT INTO notify_outbox (subject_key, channel, kind, organisations, changes, "
         "due_at) SELECT subject_key, channel, 'actionRequired', orgs, n, now() FROM msg "
         "ON CONFLICT (subject_key, channel) WHERE state = 'pending' AND kind <> 'verification' "
         "DO UPDATE SET changes = notify_outbox.changes + EXCLUDED.changes, organisations = "
         "ARRAY(SELECT DISTINCT x FROM unnest(notify_outbox.organisations || "
         "EXCLUDED.organisations) AS x ORDER BY x), kind = 'actionRequired', updated_at = now() "
         "RETURNING 1) "
         "SELECT count(*) AS rows FROM ins",
         1, true},
    /* purge: outbox rows in a final state (sent, failed) whose last outcome
     * is older than $1 days (MZ_RETENTION_NOTIFY_DAYS), and reminder keys
     * whose due date passed that long ago (it can never match again). */
    [MZ_STMT_NOTIFY_PURGE_OUTBOX] =
        {"notify_purge_outbox",
         "WITH r AS (DELETE FROM notify_reminders WHERE due_on < current_date - $1::int), "
         "d AS (DELETE FROM notify_outbox WHERE state IN ('sent', 'failed') AND updated_at < "
         "now() - $1::int * interval '1 day' RETURNING 1) SELECT count(*) AS rows FROM d",
         1, false},
    /* Documents and decisions (014). $1: a JSON array of {agency_id,
     * external_id, subject_key (hex), a: {documents: [...], decisions:
     * [...]}}, one per case whose set the adapter fetched: each such case's
     * documents and decisions (each list only when present in `a`: an absent
     * list leaves that kind as stored) become exactly the given ones (kept rows keep
     * their id, so a link the portal shows stays valid across syncs).
     * Only a case of that subject is touched: a record refused as another
     * subject's (a conflict) writes nothing here either. */
    [MZ_STMT_CASE_ATTACHMENTS_SET_MANY] =
        {"case_attachments_set_many",
         "WITH input AS (SELECT c.id AS case_id, x.a, x.a ? 'documents' AS has_docs, "
         "x.a ? 'decisions' AS has_decs FROM jsonb_to_recordset($1::jsonb) AS "
         "x(agency_id text, external_id text, subject_key text, a jsonb) JOIN cases c ON "
         "c.agency_id = x.agency_id AND c.external_id = x.external_id AND c.subject_key = "
         "decode(x.subject_key, 'hex')), "
         "docs AS (SELECT i.case_id, d.n::int AS position, d.v FROM input i CROSS JOIN LATERAL "
         "jsonb_array_elements(coalesce(i.a->'documents', '[]'::jsonb)) WITH ORDINALITY AS d(v, "
         "n)), "
         "decs AS (SELECT i.case_id, d.n::int AS position, d.v FROM input i CROSS JOIN LATERAL "
         "jsonb_array_elements(coalesce(i.a->'decisions', '[]'::jsonb)) WITH ORDINALITY AS d(v, "
         "n)), "
         "gone_docs AS (DELETE FROM case_documents t USING input i WHERE t.case_id = i.case_id "
         "AND i.has_docs AND NOT EXISTS (SELECT 1 FROM docs WHERE docs.case_id = t.case_id AND "
         "docs.v->>'source_url' = t.source_url) RETURNING 1), "
         "put_docs AS (INSERT INTO case_documents (case_id, source_url, content_url, title, "
         "format, file_name, size_bytes, document_date, position) SELECT case_id, "
         "v->>'source_url', v->>'content_url', v->>'title', v->>'format', v->>'file_name', "
         "(v->>'size')::bigint, (v->>'date')::date, position FROM docs "
         "ON CONFLICT (case_id, source_url) DO UPDATE SET content_url = EXCLUDED.content_url, "
         "title = EXCLUDED.title, format = EXCLUDED.format, file_name = EXCLUDED.file_name, "
         "size_bytes = EXCLUDED.size_bytes, document_date = EXCLUDED.document_date, "
         "position = EXCLUDED.position, updated_at = now() RETURNING 1), "
         "gone_decs AS (DELETE FROM case_decisions t USING input i WHERE t.case_id = i.case_id "
         "AND i.has_decs AND NOT EXISTS (SELECT 1 FROM decs WHERE decs.case_id = t.case_id AND "
         "decs.v->>'source_url' = t.source_url) RETURNING 1), "
         "put_decs AS (INSERT INTO case_decisions (case_id, source_url, decided_on, "
         "effective_from, effective_until, explanation, document_urls, position) SELECT case_id, "
         "v->>'source_url', (v->>'date')::date, (v->>'effective_from')::date, "
         "(v->>'effective_until')::date, v->>'text', ARRAY(SELECT jsonb_array_elements_text("
         "coalesce(v->'documents', '[]'::jsonb))), position FROM decs "
         "ON CONFLICT (case_id, source_url) DO UPDATE SET decided_on = EXCLUDED.decided_on, "
         "effective_from = EXCLUDED.effective_from, effective_until = EXCLUDED.effective_until, "
         "explanation = EXCLUDED.explanation, document_urls = EXCLUDED.document_urls, "
         "position = EXCLUDED.position, updated_at = now() RETURNING 1) "
         "SELECT (SELECT count(*) FROM input) AS cases, (SELECT count(*) FROM put_docs) AS "
         "documents, (SELECT count(*) FROM put_decs) AS decisions",
         1, true},
    /* A case's documents ($1 our case id; the caller checked whose case it is). */
    [MZ_STMT_CASE_DOCUMENTS] = {"case_documents",
                                "SELECT id, title, format, size_bytes, document_date FROM "
                                "case_documents WHERE case_id = $1::uuid ORDER BY position, id "
                                "LIMIT 500",
                                1, true},
    /* A case's decisions, with our ids of the linked documents that are
     * listed (a linked document the citizen may not see stays unnamed). */
    [MZ_STMT_CASE_DECISIONS] =
        {"case_decisions",
         "SELECT x.id, x.decided_on, x.effective_from, x.effective_until, x.explanation, "
         "array_to_string(ARRAY(SELECT d.id::text FROM case_documents d WHERE d.case_id = "
         "x.case_id AND d.source_url = ANY (x.document_urls) ORDER BY d.position, d.id), ',') "
         "AS document_ids FROM case_decisions x WHERE x.case_id = $1::uuid "
         "ORDER BY x.decided_on DESC NULLS LAST, x.position, x.id LIMIT 100",
         1, true},
    /* One document of a case ($1 case id, $2 document id): what a download needs. */
    [MZ_STMT_CASE_DOCUMENT_GET] = {"case_document_get",
                                   "SELECT id, source_url, content_url, title, format, file_name, "
                                   "size_bytes FROM case_documents WHERE case_id = $1::uuid AND "
                                   "id = $2::uuid",
                                   2, true},
    /* --- contact moments and hand-over (015, service/handover.h) */
    /* The case named in a contact moment must be the subject's own. */
    [MZ_STMT_CONTACT_CASE_CHECK] = {"contact_case_check",
                                    "SELECT agency_id FROM cases WHERE id = $1::uuid AND "
                                    "subject_key = $2",
                                    2, true},
    [MZ_STMT_CONTACT_MOMENT_INSERT] = {"contact_moment_insert",
                                       "INSERT INTO contact_moments (id, subject_key, "
                                       "subject_kind, organisation, channel, topic, summary, "
                                       "answered, case_id) VALUES ($1::uuid, $2, $3, $4, $5, $6, "
                                       "$7, $8::boolean, $9::uuid)",
                                       9, false},
    [MZ_STMT_HANDOVER_INSERT] = {"handover_insert",
                                 "INSERT INTO handovers (id, contact_moment_id, agency_id, "
                                 "question, callback, key_id, callback_enc, subject_enc) VALUES "
                                 "($1::uuid, $2::uuid, $3, $4, $5::boolean, $6, $7, $8)",
                                 8, false},
    /* What the next professional sees: the subject's contact moments of the
     * last 90 days, and older ones whose hand-over is still open (not
     * closed), newest first, each with its hand-over (at most one). */
    [MZ_STMT_CONTACT_MOMENTS_RECENT] =
        {"contact_moments_recent",
         "SELECT m.id, m.created_at, m.organisation, m.channel, m.topic, m.summary, m.answered, "
         "m.case_id, h.agency_id AS handover_agency_id, a.name AS handover_agency_name, "
         "h.state AS handover_state, h.callback AS handover_callback "
         "FROM contact_moments m LEFT JOIN handovers h ON h.contact_moment_id = m.id "
         "LEFT JOIN agencies a ON a.id = h.agency_id WHERE m.subject_key = $1 AND "
         "(m.created_at > now() - interval '90 days' OR h.state <> 'closed') "
         "ORDER BY m.created_at DESC, m.id LIMIT $2::int",
         2, true},
    /* The citizen's own list: when, which organisation, the topic, and the
     * hand-over's organisation and state — no summary, no employee. */
    [MZ_STMT_CONTACT_MOMENTS_MINE] =
        {"contact_moments_mine",
         "SELECT m.id, m.created_at, m.organisation, m.channel, m.topic, "
         "a.name AS handover_agency_name, h.state AS handover_state, h.callback AS "
         "handover_callback FROM contact_moments m LEFT JOIN handovers h ON "
         "h.contact_moment_id = m.id LEFT JOIN agencies a ON a.id = h.agency_id "
         "WHERE m.subject_key = $1 ORDER BY m.created_at DESC, m.id LIMIT $2::int",
         2, true},
    /* The delivery worker's claim: due pending rows and expired leases,
     * locked with SKIP LOCKED (several workers, several instances), leased
     * for $2 s. "reclaimed": the last holder died mid-delivery. */
    [MZ_STMT_HANDOVER_CLAIM] =
        {"handover_claim",
         "WITH c AS (SELECT id, state AS prev_state FROM handovers WHERE (state = 'pending' AND "
         "next_attempt_at <= now()) OR (state = 'delivering' AND claimed_until < now()) "
         "ORDER BY next_attempt_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED) "
         "UPDATE handovers h SET state = 'delivering', claimed_until = now() + $2::int * "
         "interval '1 second', attempts = h.attempts + 1, updated_at = now() "
         "FROM c, contact_moments m WHERE h.id = c.id AND m.id = h.contact_moment_id "
         "RETURNING h.id, h.agency_id, h.question, h.callback, h.key_id, "
         "encode(h.callback_enc, 'hex') AS callback_enc, encode(h.subject_enc, 'hex') AS "
         "subject_enc, m.id AS moment_id, m.channel, m.topic, m.summary, m.answered, "
         "m.organisation, to_char(m.created_at AT TIME ZONE 'UTC', "
         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS moment_at, m.case_id, (SELECT external_id FROM "
         "cases k WHERE k.id = m.case_id) AS case_reference, h.attempts, "
         "c.prev_state = 'delivering' AS reclaimed",
         2, false},
    /* Outcomes: only a row this worker still holds. The agency may have
     * acknowledged it already (its answer raced our record): delivered_at
     * is still set, the later state kept. */
    [MZ_STMT_HANDOVER_DELIVERED] = {"handover_delivered",
                                    "UPDATE handovers SET state = CASE WHEN state = 'delivering' "
                                    "THEN 'delivered' ELSE state END, delivered_at = "
                                    "coalesce(delivered_at, now()), last_http_status = $2::int, "
                                    "last_error = NULL, claimed_until = NULL, updated_at = now() "
                                    "WHERE id = $1::uuid AND state IN ('delivering', "
                                    "'acknowledged', 'closed')",
                                    2, false},
    [MZ_STMT_HANDOVER_RETRY] = {"handover_retry",
                                "UPDATE handovers SET state = 'pending', next_attempt_at = now() "
                                "+ $4::int * interval '1 second', last_http_status = $2::int, "
                                "last_error = $3, claimed_until = NULL, updated_at = now() "
                                "WHERE id = $1::uuid AND state = 'delivering'",
                                4, false},
    [MZ_STMT_HANDOVER_FAIL] = {"handover_fail",
                               "UPDATE handovers SET state = 'failed', last_http_status = $2::int, "
                               "last_error = $3, claimed_until = NULL, updated_at = now() "
                               "WHERE id = $1::uuid AND state = 'delivering'",
                               3, false},
    /* The agency's signed event back ($3 'acknowledged' or 'closed'): only
     * its own hand-over; closed is final; either implies it arrived. */
    [MZ_STMT_HANDOVER_EVENT] =
        {"handover_event",
         "WITH o AS (SELECT id, state FROM handovers WHERE id = $1::uuid AND agency_id = $2 "
         "FOR UPDATE) UPDATE handovers h SET state = CASE WHEN o.state = 'closed' OR $3 = "
         "'closed' THEN 'closed' ELSE 'acknowledged' END, acknowledged_at = "
         "coalesce(h.acknowledged_at, now()), closed_at = CASE WHEN $3 = 'closed' THEN "
         "coalesce(h.closed_at, now()) ELSE h.closed_at END, delivered_at = "
         "coalesce(h.delivered_at, now()), claimed_until = NULL, updated_at = now() FROM o "
         "WHERE h.id = o.id RETURNING h.state, o.state AS previous",
         3, false},
    [MZ_STMT_HANDOVER_STATS] = {"handover_stats",
                                "SELECT state, count(*) AS n FROM handovers GROUP BY state "
                                "ORDER BY state",
                                0, true},
    /* purge: contact moments (and their hand-overs) older than $1 days. */
    [MZ_STMT_CONTACT_PURGE] = {"contact_purge",
                               "WITH d AS (DELETE FROM contact_moments WHERE created_at < now() "
                               "- $1::int * interval '1 day' RETURNING 1) "
                               "SELECT count(*) AS rows FROM d",
                               1, false},
    [MZ_STMT_REKEY_CONTACT] = {"rekey_contact",
                               "UPDATE contact_moments c SET subject_key = decode(m.n, 'hex') "
                               "FROM unnest($1::text[], $2::text[]) AS m(o, n) "
                               "WHERE c.subject_key = decode(m.o, 'hex')",
                               2, false},
    /* seed-demo (seed.c): the demo's contact moments, by their fixed ids,
     * dated $10 days ago; a hand-over the agency already took on. */
    [MZ_STMT_SEED_CONTACT_CLEAR] = {"seed_contact_clear",
                                    "DELETE FROM contact_moments WHERE id = ANY($1::uuid[])", 1,
                                    true},
    [MZ_STMT_SEED_CONTACT_MOMENT] = {"seed_contact_moment",
                                     "INSERT INTO contact_moments (id, subject_key, subject_kind, "
                                     "organisation, channel, topic, summary, answered, case_id, "
                                     "created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, "
                                     "$8::boolean, (SELECT id FROM cases WHERE agency_id = "
                                     "$9 AND external_id = $11), now() - $10::int * "
                                     "interval '1 day')",
                                     11, false},
    [MZ_STMT_SEED_HANDOVER] = {"seed_handover",
                               "INSERT INTO handovers (id, contact_moment_id, agency_id, question, "
                               "callback, key_id, callback_enc, subject_enc, state, attempts, "
                               "delivered_at, acknowledged_at, last_http_status, created_at) "
                               "SELECT $1::uuid, $2::uuid, $3, $4, true, $5, $6, $7, "
                               "'acknowledged', 1, m.created_at + interval '5 seconds', "
                               "m.created_at + interval '2 hours', 200, m.created_at "
                               "FROM contact_moments m WHERE m.id = $2::uuid",
                               7, false},
    /* The case cache's fence (case_cache.h): pipelined after a
     * processing-log batch, so it commits after every read of the batch
     * began and is delivered after every notification of a transaction
     * that committed before. $1 the channel (mz_subject), $2 the payload
     * (the instance and the fence's number). */
    [MZ_STMT_CASE_CACHE_FENCE] = {"case_cache_fence", "SELECT pg_notify($1, $2) AS sent", 2, false},
};

/* The declared result columns, by statement (db_columns.h). */
#define COL_NAMES(P) static const char *const cols_##P[] = {MZ_COLS_##P(MZ_COL_NAME_ITEM, P)};
MZ_STMTS_WITH_ROWS(COL_NAMES)
#undef COL_NAMES

const mz_stmt_result mz_stmt_results[MZ_STMT__COUNT] = {
#define RESULT(P) [MZ_STMT_##P] = {cols_##P, MZ_COL_##P##__COUNT},
    MZ_STMTS_WITH_ROWS(RESULT)
#undef RESULT
};
