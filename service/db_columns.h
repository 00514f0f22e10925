/*
 * db_columns.h — the result columns of every statement in db_statements.c,
 * by name, in the order of the statement's select list (or RETURNING).
 *
 * Why (after the GNU Taler exchange's result specs): a reader that indexes
 * a result by a literal number silently reads the wrong column when a
 * statement gains or reorders one. Each statement that returns rows has an
 * X-macro list MZ_COLS_<STMT>(X, P) here, one X(P, NAME, sql_name) per
 * column; it yields both the enum the readers use (MZ_COL_<STMT>_<NAME>,
 * and MZ_COL_<STMT>__COUNT) and the column names the statement table
 * carries (sql_name is the column's name in the result: its SQL alias).
 * tests/integration/test_statements.c checks, for every statement, that
 * Postgres' description of the prepared statement has exactly these
 * columns, named so, in this order. A statement that returns no rows has
 * no list. Keep the lists in the order of the statement table.
 */
#ifndef MZ_DB_COLUMNS_H
#define MZ_DB_COLUMNS_H

/* The enum of a list: MZ_COL_<P>_<NAME>, ..., MZ_COL_<P>__COUNT. */
#define MZ_COL_ENUM_ITEM(P, NAME, sql_name) MZ_COL_##P##_##NAME,
#define MZ_COL_NAME_ITEM(P, NAME, sql_name) #sql_name,
#define MZ_DECLARE_COLS(P)                  enum { MZ_COLS_##P(MZ_COL_ENUM_ITEM, P) MZ_COL_##P##__COUNT }

#define MZ_COLS_MIGRATION_LOCK(X, P)   X(P, LOCKED, locked)
#define MZ_COLS_MIGRATION_UNLOCK(X, P) X(P, UNLOCKED, unlocked)
#define MZ_COLS_MIGRATIONS_APPLIED(X, P)                                                           \
    X(P, VERSION, version) X(P, NAME, name) X(P, CHECKSUM, checksum)
#define MZ_COLS_READY(X, P)                X(P, VERSION, version)
#define MZ_COLS_CASE_UPSERT(X, P)          X(P, ID, id)
#define MZ_COLS_CASE_CONFLICT_RECORD(X, P) X(P, CASE_ID, case_id)

/* A case as the citizen and professional views show it (CASE_COLUMNS in
 * db_statements.c; cases_json.c writes it): cases_list and case_get return
 * exactly these, case_get_any these and the subject key. */
#define MZ_COLS_CASE(X, P)                                                                         \
    X(P, ID, id)                                                                                   \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, AGENCY_NAME, agency_name)                                                                 \
    X(P, CONTACT_URL, contact_url)                                                                 \
    X(P, CONTACT_PHONE, contact_phone)                                                             \
    X(P, CASE_NUMBER, case_number)                                                                 \
    X(P, TITLE, title)                                                                             \
    X(P, TYPE_CODE, case_type_code)                                                                \
    X(P, TYPE_LABEL, case_type_label)                                                              \
    X(P, STATUS_GROUP, status_group)                                                               \
    X(P, STATUS_TEXT, status_text)                                                                 \
    X(P, STATUS_CHANGED_AT, status_changed_at)                                                     \
    X(P, REGISTERED_ON, registered_on)                                                             \
    X(P, PLANNED_END_ON, planned_end_on)                                                           \
    X(P, LEGAL_DEADLINE_ON, legal_deadline_on)                                                     \
    X(P, CLOSED_ON, closed_on)                                                                     \
    X(P, RESULT_TEXT, result_text)                                                                 \
    X(P, ACTION_TEXT, action_text)                                                                 \
    X(P, ACTION_URL, action_url)                                                                   \
    X(P, ACTION_DUE_ON, action_due_on)                                                             \
    X(P, DEEP_LINK_URL, deep_link_url)                                                             \
    X(P, LAST_SYNCED_AT, last_synced_at)                                                           \
    X(P, LAST_SOURCE, last_source)                                                                 \
    X(P, UPDATED_AT, updated_at)                                                                   \
    X(P, SORT_US, sort_us)                                                                         \
    X(P, CONTACT_PRO_PHONE, contact_professional_phone)                                            \
    X(P, EXTERNAL_ID, external_id)
#define MZ_COLS_CASES_LIST(X, P) MZ_COLS_CASE(X, P)
#define MZ_COLS_CASE_GET(X, P)   MZ_COLS_CASE(X, P)
#define MZ_COLS_CASE_EVENTS(X, P)                                                                  \
    X(P, STATUS_GROUP, status_group)                                                               \
    X(P, STATUS_TEXT, status_text) X(P, OCCURRED_AT, occurred_at) X(P, SOURCE, source)

/* sync_claim and sync_claim_one: the claimed agency's state. */
#define MZ_COLS_SYNC_LEASE(X, P)                                                                   \
    X(P, AGENCY_ID, agency_id) X(P, CURSOR, cursor) X(P, FAILURES, consecutive_failures)
#define MZ_COLS_SYNC_CLAIM(X, P)     MZ_COLS_SYNC_LEASE(X, P)
#define MZ_COLS_SYNC_CLAIM_ONE(X, P) MZ_COLS_SYNC_LEASE(X, P)
#define MZ_COLS_SYNC_TRIGGER(X, P)   X(P, RUNNING, running)
#define MZ_COLS_AGENCIES_ADMIN(X, P)                                                               \
    X(P, ID, id)                                                                                   \
    X(P, NAME, name)                                                                               \
    X(P, ADAPTER_KIND, adapter_kind)                                                               \
    X(P, ENABLED, enabled)                                                                         \
    X(P, LAST_SUCCESS_AT, last_success_at)                                                         \
    X(P, LAST_ATTEMPT_AT, last_attempt_at)                                                         \
    X(P, LAST_ERROR, last_error)                                                                   \
    X(P, FAILURES, consecutive_failures)                                                           \
    X(P, NEXT_RUN_AT, next_run_at)                                                                 \
    X(P, RUNNING, running)                                                                         \
    X(P, CASES, cases)                                                                             \
    X(P, LAST_DURATION_MS, last_duration_ms)                                                       \
    X(P, LAST_SEEN, last_seen)                                                                     \
    X(P, LAST_APPLIED, last_applied)                                                               \
    X(P, RUNS, runs)
#define MZ_COLS_AGENCY_EXISTS(X, P) X(P, FOUND, found)
#define MZ_COLS_SUBJECT_FRESHNESS(X, P)                                                            \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, AGENCY_NAME, agency_name)                                                                 \
    X(P, REFRESHED_AT, refreshed_at)                                                               \
    X(P, REFRESHED_AGE_S, refreshed_age_s)                                                         \
    X(P, DEMO, demo)                                                                               \
    X(P, LAST_PUSH_AT, last_push_at)                                                               \
    X(P, LAST_PUSH_AGE_S, last_push_age_s) X(P, OLDEST_PENDING_AGE_S, oldest_pending_age_s)
#define MZ_COLS_INBOX_INSERT(X, P)      X(P, ID, id)
#define MZ_COLS_INBOX_INSERT_MANY(X, P) X(P, AGENCY_ID, agency_id) X(P, EVENT_ID, event_id)

/* inbox_claim and inbox_lock_events: a claimed row; attempts counts this
 * attempt. */
#define MZ_COLS_INBOX_ROW(X, P)                                                                    \
    X(P, ID, id)                                                                                   \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, KIND, kind) X(P, EVENT_ID, event_id) X(P, BODY, body) X(P, ATTEMPTS, attempts)
#define MZ_COLS_INBOX_CLAIM(X, P)       MZ_COLS_INBOX_ROW(X, P)
#define MZ_COLS_INBOX_LOCK_EVENTS(X, P) MZ_COLS_INBOX_ROW(X, P)
#define MZ_COLS_INBOX_FAIL(X, P)        X(P, DEAD, dead)
#define MZ_COLS_INBOX_RETRY_NOW(X, P)   X(P, ID, id)
#define MZ_COLS_INBOX_STATS(X, P)                                                                  \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, PENDING, pending)                                                                         \
    X(P, FAILING, failing) X(P, OLDEST_PENDING_AT, oldest_pending_at) X(P, DEAD, dead)
#define MZ_COLS_INBOX_DEAD_RECENT(X, P)                                                            \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, KIND, kind) X(P, ATTEMPTS, attempts) X(P, DEAD_AT, dead_at) X(P, ERROR, error)
#define MZ_COLS_ACCESS_LOG_LIST(X, P)                                                              \
    X(P, ID, id)                                                                                   \
    X(P, STARTED_AT, started_at)                                                                   \
    X(P, ORGANISATION, organisation)                                                               \
    X(P, ACTIVITY_ID, activity_id)                                                                 \
    X(P, ACTIVITY_NAME, activity_name)                                                             \
    X(P, OUTCOME, outcome) X(P, BY_REPRESENTATIVE, by_representative)
#define MZ_COLS_CASE_GET_ANY(X, P)                                                                 \
    MZ_COLS_CASE(X, P) X(P, SUBJECT_KEY_HEX, subject_key_hex) X(P, SUBJECT_KIND, subject_kind)

/* Retention: every purge statement returns one row, the number of rows it
 * counted or deleted (maintenance reads them alike). */
#define MZ_COLS_PURGE_COUNT(X, P)        X(P, ROWS, rows)
#define MZ_COLS_PURGE_COUNT_EVENTS(X, P) MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_PURGE_CASES(X, P)        MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_PURGE_PLOG(X, P)         MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_PURGE_AUDIT(X, P)        MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_PURGE_INBOX(X, P)        MZ_COLS_PURGE_COUNT(X, P)
/* 016: partitions of the processing log made ahead (plog_commit.c). */
#define MZ_COLS_PLOG_PARTITIONS_ENSURE(X, P) X(P, MADE, made)
/* 018: the case cache's fence (pg_notify returns void). */
#define MZ_COLS_CASE_CACHE_FENCE(X, P) X(P, SENT, sent)
#define MZ_COLS_REKEY_SUBJECTS(X, P)                                                               \
    X(P, SUBJECT_KEY_HEX, subject_key_hex) X(P, SUBJECT_KIND, subject_kind)
#define MZ_COLS_REKEY_INBOX_PAGE(X, P) X(P, ID, id) X(P, BODY, body)
#define MZ_COLS_CASE_UPSERT_MANY(X, P) X(P, ID, id)
#define MZ_COLS_CASE_CONFLICT_RECORD_MANY(X, P)                                                    \
    X(P, CASE_ID, case_id) X(P, AGENCY_ID, agency_id) X(P, LAST_SOURCE, last_source)
#define MZ_COLS_AGENCIES_TRUST(X, P)                                                               \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, LAST_SKIPPED, last_skipped)                                                               \
    X(P, LAST_SKIP_REASONS, last_skip_reasons)                                                     \
    X(P, SKIP_TOTALS, skip_totals)                                                                 \
    X(P, CONFLICT_CASES, conflict_cases)                                                           \
    X(P, CONFLICT_DETECTIONS, conflict_detections)                                                 \
    X(P, LAST_DETECTED_AT, last_detected_at) X(P, RECENT_CONFLICTS, recent_conflicts)
#define MZ_COLS_OIDC_FLOW_TAKE(X, P)                                                               \
    X(P, KIND, kind)                                                                               \
    X(P, NONCE, nonce)                                                                             \
    X(P, CODE_VERIFIER, code_verifier) X(P, RETURN_TO, return_to) X(P, LIVE, live)
#define MZ_COLS_SESSION_GET(X, P)                                                                  \
    X(P, KIND, kind)                                                                               \
    X(P, SUBJECT_KEY_HEX, subject_key_hex)                                                         \
    X(P, SUBJECT_ENC_HEX, subject_enc_hex)                                                         \
    X(P, ACTING_FOR, acting_for)                                                                   \
    X(P, ROLES, roles)                                                                             \
    X(P, ORGANISATION, organisation)                                                               \
    X(P, ACTOR, actor)                                                                             \
    X(P, ACR, acr)                                                                                 \
    X(P, IDLE_EXPIRES, idle_expires)                                                               \
    X(P, EXPIRES, expires)                                                                         \
    X(P, SEEN_AGE_S, seen_age_s)                                                                   \
    X(P, SUBJECT_KIND, subject_kind)                                                               \
    X(P, ACTOR_KEY_HEX, actor_key_hex)                                                             \
    X(P, SCOPE_AGENCIES, scope_agencies)                                                           \
    X(P, REPRESENTS_COUNT, represents_count) X(P, REPRESENTS_CHOICE, represents_choice)
#define MZ_COLS_SESSION_REPRESENTS(X, P)  X(P, REPRESENTS_ENC_HEX, represents_enc_hex)
#define MZ_COLS_AGENCY_NAMES(X, P)        X(P, ID, id) X(P, NAME, name)
#define MZ_COLS_SESSION_CHOOSE(X, P)      X(P, REPRESENTS_CHOICE, represents_choice)
#define MZ_COLS_SESSION_TOUCH(X, P)       X(P, IDLE_EXPIRES, idle_expires)
#define MZ_COLS_SESSION_END(X, P)         X(P, KIND, kind) X(P, ID_TOKEN_ENC_HEX, id_token_enc_hex)
#define MZ_COLS_SESSIONS_ACTIVE(X, P)     X(P, KIND, kind) X(P, ACTIVE, active)
#define MZ_COLS_PURGE_SESSIONS(X, P)      MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_PURGE_OIDC_FLOWS(X, P)    MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_NOTIFY_PURGE(X, P)        MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_NOTIFY_PURGE_OUTBOX(X, P) MZ_COLS_PURGE_COUNT(X, P)
#define MZ_COLS_NOTIFY_REMIND(X, P)       MZ_COLS_PURGE_COUNT(X, P)

/* Every statement with a list, for db_statements.c and the enums below. */
/* notifications (011) */
#define MZ_COLS_NOTIFY_PREFS_GET(X, P)                                                             \
    X(P, KEY_ID, key_id)                                                                           \
    X(P, EMAIL_ENC, email_enc)                                                                     \
    X(P, PHONE_ENC, phone_enc)                                                                     \
    X(P, EMAIL_VERIFIED, email_verified)                                                           \
    X(P, PHONE_VERIFIED, phone_verified)                                                           \
    X(P, CHANNEL_EMAIL, channel_email)                                                             \
    X(P, CHANNEL_SMS, channel_sms)                                                                 \
    X(P, EV_STATUS_CHANGE, ev_status_change)                                                       \
    X(P, EV_DECISION, ev_decision)
#define MZ_COLS_NOTIFY_VERIFY_GET(X, P)                                                            \
    X(P, CODE_HASH, code_hash) X(P, TRIES, tries) X(P, EXPIRED, expired) X(P, AGE, age)
#define MZ_COLS_NOTIFY_OUTBOX_VERIFICATION(X, P) X(P, ID, id)
#define MZ_COLS_NOTIFY_CLAIM(X, P)                                                                 \
    X(P, ID, id)                                                                                   \
    X(P, SUBJECT_KEY, subject_key)                                                                 \
    X(P, CHANNEL, channel)                                                                         \
    X(P, KIND, kind)                                                                               \
    X(P, ORGANISATIONS, organisations)                                                             \
    X(P, CHANGES, changes)                                                                         \
    X(P, CODE_ENC, code_enc)                                                                       \
    X(P, KEY_ID, key_id)                                                                           \
    X(P, ADDRESS_ENC, address_enc)                                                                 \
    X(P, VERIFIED, verified)                                                                       \
    X(P, RECLAIMED, reclaimed)                                                                     \
    X(P, ATTEMPTS, attempts)
#define MZ_COLS_NOTIFY_CALLBACK(X, P) X(P, ID, id)
#define MZ_COLS_NOTIFY_STATS(X, P)    X(P, CHANNEL, channel) X(P, STATE, state) X(P, N, n)
/* contact moments and hand-over (015) */
#define MZ_COLS_CONTACT_CASE_CHECK(X, P) X(P, AGENCY_ID, agency_id)
#define MZ_COLS_CONTACT_MOMENTS_RECENT(X, P)                                                       \
    X(P, ID, id)                                                                                   \
    X(P, CREATED_AT, created_at)                                                                   \
    X(P, ORGANISATION, organisation)                                                               \
    X(P, CHANNEL, channel)                                                                         \
    X(P, TOPIC, topic)                                                                             \
    X(P, SUMMARY, summary)                                                                         \
    X(P, ANSWERED, answered)                                                                       \
    X(P, CASE_ID, case_id)                                                                         \
    X(P, HANDOVER_AGENCY_ID, handover_agency_id)                                                   \
    X(P, HANDOVER_AGENCY_NAME, handover_agency_name)                                               \
    X(P, HANDOVER_STATE, handover_state)                                                           \
    X(P, HANDOVER_CALLBACK, handover_callback)
#define MZ_COLS_CONTACT_MOMENTS_MINE(X, P)                                                         \
    X(P, ID, id)                                                                                   \
    X(P, CREATED_AT, created_at)                                                                   \
    X(P, ORGANISATION, organisation)                                                               \
    X(P, CHANNEL, channel)                                                                         \
    X(P, TOPIC, topic)                                                                             \
    X(P, HANDOVER_AGENCY_NAME, handover_agency_name)                                               \
    X(P, HANDOVER_STATE, handover_state)                                                           \
    X(P, HANDOVER_CALLBACK, handover_callback)
#define MZ_COLS_HANDOVER_CLAIM(X, P)                                                               \
    X(P, ID, id)                                                                                   \
    X(P, AGENCY_ID, agency_id)                                                                     \
    X(P, QUESTION, question)                                                                       \
    X(P, CALLBACK, callback)                                                                       \
    X(P, KEY_ID, key_id)                                                                           \
    X(P, CALLBACK_ENC, callback_enc)                                                               \
    X(P, SUBJECT_ENC, subject_enc)                                                                 \
    X(P, MOMENT_ID, moment_id)                                                                     \
    X(P, CHANNEL, channel)                                                                         \
    X(P, TOPIC, topic)                                                                             \
    X(P, SUMMARY, summary)                                                                         \
    X(P, ANSWERED, answered)                                                                       \
    X(P, ORGANISATION, organisation)                                                               \
    X(P, MOMENT_AT, moment_at)                                                                     \
    X(P, CASE_ID, case_id)                                                                         \
    X(P, CASE_REFERENCE, case_reference)                                                           \
    X(P, ATTEMPTS, attempts)                                                                       \
    X(P, RECLAIMED, reclaimed)
#define MZ_COLS_HANDOVER_EVENT(X, P) X(P, STATE, state) X(P, PREVIOUS, previous)
#define MZ_COLS_HANDOVER_STATS(X, P) X(P, STATE, state) X(P, N, n)
#define MZ_COLS_CONTACT_PURGE(X, P)  MZ_COLS_PURGE_COUNT(X, P)

/* documents and decisions (014) */
#define MZ_COLS_CASE_ATTACHMENTS_SET_MANY(X, P)                                                    \
    X(P, CASES, cases) X(P, DOCUMENTS, documents) X(P, DECISIONS, decisions)
#define MZ_COLS_CASE_DOCUMENTS(X, P)                                                               \
    X(P, ID, id)                                                                                   \
    X(P, TITLE, title)                                                                             \
    X(P, FORMAT, format) X(P, SIZE_BYTES, size_bytes) X(P, DOCUMENT_DATE, document_date)
#define MZ_COLS_CASE_DECISIONS(X, P)                                                               \
    X(P, ID, id)                                                                                   \
    X(P, DECIDED_ON, decided_on)                                                                   \
    X(P, EFFECTIVE_FROM, effective_from)                                                           \
    X(P, EFFECTIVE_UNTIL, effective_until)                                                         \
    X(P, EXPLANATION, explanation) X(P, DOCUMENT_IDS, document_ids)
#define MZ_COLS_CASE_DOCUMENT_GET(X, P)                                                            \
    X(P, ID, id)                                                                                   \
    X(P, SOURCE_URL, source_url)                                                                   \
    X(P, CONTENT_URL, content_url)                                                                 \
    X(P, TITLE, title)                                                                             \
    X(P, FORMAT, format) X(P, FILE_NAME, file_name) X(P, SIZE_BYTES, size_bytes)

#define MZ_STMTS_WITH_ROWS(S)                                                                      \
    S(MIGRATION_LOCK)                                                                              \
    S(MIGRATION_UNLOCK)                                                                            \
    S(MIGRATIONS_APPLIED)                                                                          \
    S(READY)                                                                                       \
    S(CASE_UPSERT)                                                                                 \
    S(CASE_CONFLICT_RECORD)                                                                        \
    S(CASES_LIST)                                                                                  \
    S(CASE_GET)                                                                                    \
    S(CASE_EVENTS)                                                                                 \
    S(SYNC_CLAIM)                                                                                  \
    S(SYNC_CLAIM_ONE)                                                                              \
    S(SYNC_TRIGGER)                                                                                \
    S(AGENCIES_ADMIN)                                                                              \
    S(AGENCY_EXISTS)                                                                               \
    S(SUBJECT_FRESHNESS)                                                                           \
    S(INBOX_INSERT)                                                                                \
    S(INBOX_INSERT_MANY)                                                                           \
    S(INBOX_CLAIM)                                                                                 \
    S(INBOX_LOCK_EVENTS)                                                                           \
    S(INBOX_FAIL)                                                                                  \
    S(INBOX_RETRY_NOW)                                                                             \
    S(INBOX_STATS)                                                                                 \
    S(INBOX_DEAD_RECENT)                                                                           \
    S(ACCESS_LOG_LIST)                                                                             \
    S(CASE_GET_ANY)                                                                                \
    S(PURGE_COUNT_EVENTS)                                                                          \
    S(PURGE_CASES)                                                                                 \
    S(PURGE_PLOG)                                                                                  \
    S(PURGE_AUDIT)                                                                                 \
    S(PURGE_INBOX)                                                                                 \
    S(REKEY_SUBJECTS)                                                                              \
    S(REKEY_INBOX_PAGE)                                                                            \
    S(CASE_UPSERT_MANY)                                                                            \
    S(CASE_CONFLICT_RECORD_MANY)                                                                   \
    S(AGENCIES_TRUST)                                                                              \
    S(OIDC_FLOW_TAKE)                                                                              \
    S(SESSION_GET)                                                                                 \
    S(SESSION_REPRESENTS)                                                                          \
    S(SESSION_CHOOSE)                                                                              \
    S(AGENCY_NAMES)                                                                                \
    S(SESSION_TOUCH)                                                                               \
    S(SESSION_END)                                                                                 \
    S(SESSIONS_ACTIVE)                                                                             \
    S(PURGE_SESSIONS)                                                                              \
    S(PURGE_OIDC_FLOWS)                                                                            \
    S(NOTIFY_PREFS_GET)                                                                            \
    S(NOTIFY_VERIFY_GET)                                                                           \
    S(NOTIFY_OUTBOX_VERIFICATION)                                                                  \
    S(NOTIFY_CLAIM)                                                                                \
    S(NOTIFY_CALLBACK)                                                                             \
    S(NOTIFY_STATS)                                                                                \
    S(NOTIFY_PURGE)                                                                                \
    S(NOTIFY_REMIND)                                                                               \
    S(NOTIFY_PURGE_OUTBOX)                                                                         \
    S(CASE_ATTACHMENTS_SET_MANY)                                                                   \
    S(CASE_DOCUMENTS)                                                                              \
    S(CASE_DECISIONS)                                                                              \
    S(CASE_DOCUMENT_GET)                                                                           \
    S(PLOG_PARTITIONS_ENSURE)                                                                      \
    S(CASE_CACHE_FENCE)                                                                            \
    S(CONTACT_CASE_CHECK)                                                                          \
    S(CONTACT_MOMENTS_RECENT)                                                                      \
    S(CONTACT_MOMENTS_MINE)                                                                        \
    S(HANDOVER_CLAIM)                                                                              \
    S(HANDOVER_EVENT)                                                                              \
    S(HANDOVER_STATS)                                                                              \
    S(CONTACT_PURGE)

#define MZ_DECLARE_COLS_STMT(P) MZ_DECLARE_COLS(P);
MZ_STMTS_WITH_ROWS(MZ_DECLARE_COLS_STMT)
/* The shared rows on their own, for readers of results of several
 * statements: a case (MZ_COL_CASE_ID, ...: cases_json.c writes one from
 * any of the three statements that return one), a claimed inbox row, a
 * claimed sync lease, a purge count. */
MZ_DECLARE_COLS(CASE);
MZ_DECLARE_COLS(INBOX_ROW);
MZ_DECLARE_COLS(SYNC_LEASE);
MZ_DECLARE_COLS(PURGE_COUNT);
#undef MZ_DECLARE_COLS_STMT

#endif
