/*
 * db.h — Postgres access: connections, and every SQL statement by name.
 *
 * Why named statements in one table (after the GNU Taler exchange): all
 * SQL the service runs lives in db_statements.c, as prepared statements
 * with positional parameters — no SQL is ever built from input. Each
 * connection prepares a statement the first time it is used (so a
 * connection can exist before the schema does, as the migrator needs).
 *
 * Connections: each HTTP worker thread owns one (mz_db_thread), opened on
 * first use and reopened by itself after the server restarts; a failed
 * call is retried once on a fresh connection when the statement is marked
 * retry-safe. NULL from mz_db_exec means "database unavailable" (callers
 * answer 503); a PGresult with an error status means the statement failed.
 *
 * Ownership: mz_db_connect returns a handle the caller closes with
 * mz_db_close; mz_db_thread's handle belongs to the thread (closed when it
 * exits). PGresults returned are the caller's to PQclear.
 */
#ifndef MZ_DB_H
#define MZ_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "db_columns.h"

typedef enum mz_stmt {
    MZ_STMT_MIGRATION_LOCK,
    MZ_STMT_MIGRATION_UNLOCK,
    MZ_STMT_MIGRATIONS_APPLIED,
    MZ_STMT_MIGRATION_RECORD,
    MZ_STMT_READY,
    MZ_STMT_AGENCY_UPSERT,
    MZ_STMT_SYNC_STATE_ENSURE,
    MZ_STMT_CASE_UPSERT,
    MZ_STMT_CASE_EVENT_INSERT,
    MZ_STMT_CASES_LIST,
    MZ_STMT_CASE_GET,
    MZ_STMT_CASE_EVENTS,
    MZ_STMT_SYNC_CLAIM,
    MZ_STMT_SYNC_CLAIM_ONE,
    MZ_STMT_SYNC_FINISH_OK,
    MZ_STMT_SYNC_FINISH_FAIL,
    MZ_STMT_SYNC_TRIGGER,
    MZ_STMT_SYNC_RENEW,
    MZ_STMT_AGENCIES_ADMIN,
    MZ_STMT_AGENCY_EXISTS,
    MZ_STMT_SUBJECT_FRESHNESS,
    MZ_STMT_SUBJECT_REFRESH_RECORD,
    MZ_STMT_INBOX_INSERT,
    MZ_STMT_INBOX_INSERT_MANY,
    MZ_STMT_INBOX_CLAIM,
    MZ_STMT_INBOX_LOCK_EVENTS,
    MZ_STMT_INBOX_FAIL,
    MZ_STMT_INBOX_DONE_MANY,
    MZ_STMT_INBOX_RETRY_NOW,
    MZ_STMT_INBOX_STATS,
    MZ_STMT_INBOX_DEAD_RECENT,
    MZ_STMT_PLOG_INSERT,
    MZ_STMT_PLOG_AUDIT_INSERT,
    MZ_STMT_PLOG_INSERT_MANY,
    MZ_STMT_PLOG_INSERT_MANY_AGAIN,
    MZ_STMT_PLOG_PARTITIONS_ENSURE,
    MZ_STMT_ACCESS_LOG_LIST,
    MZ_STMT_CASE_GET_ANY,
    MZ_STMT_PURGE_COUNT_EVENTS,
    MZ_STMT_PURGE_CASES,
    MZ_STMT_PURGE_PLOG,
    MZ_STMT_PURGE_AUDIT,
    MZ_STMT_PURGE_INBOX,
    MZ_STMT_REKEY_SUBJECTS,
    MZ_STMT_REKEY_CASES,
    MZ_STMT_REKEY_REFRESH,
    MZ_STMT_REKEY_PLOG,
    MZ_STMT_REKEY_INBOX_PAGE,
    MZ_STMT_REKEY_INBOX_SET,
    MZ_STMT_CASE_UPSERT_MANY,
    MZ_STMT_CASE_EVENT_INSERT_MANY,
    MZ_STMT_CASE_CONFLICT_RECORD,
    MZ_STMT_CASE_CONFLICT_RECORD_MANY,
    MZ_STMT_SYNC_SKIPS_ADD,
    MZ_STMT_AGENCIES_TRUST,
    MZ_STMT_SEED_CLEAR,
    MZ_STMT_OIDC_FLOW_INSERT,
    MZ_STMT_OIDC_FLOW_TAKE,
    MZ_STMT_SESSION_INSERT,
    MZ_STMT_SESSION_GET,
    MZ_STMT_SESSION_REPRESENTS,
    MZ_STMT_SESSION_CHOOSE,
    MZ_STMT_AGENCY_NAMES,
    MZ_STMT_SESSION_TOUCH,
    MZ_STMT_SESSION_END,
    MZ_STMT_SESSION_END_OP,
    MZ_STMT_SESSIONS_ACTIVE,
    MZ_STMT_PURGE_SESSIONS,
    MZ_STMT_PURGE_OIDC_FLOWS,
    /* notifications (011, service/notify.h) */
    MZ_STMT_NOTIFY_PREFS_GET,
    MZ_STMT_NOTIFY_PREFS_UPSERT,
    MZ_STMT_NOTIFY_PREFS_DELETE,
    MZ_STMT_NOTIFY_VERIFY_SET,
    MZ_STMT_NOTIFY_VERIFY_CLEAR,
    MZ_STMT_NOTIFY_VERIFY_GET,
    MZ_STMT_NOTIFY_VERIFY_TRY,
    MZ_STMT_NOTIFY_VERIFY_DONE,
    MZ_STMT_NOTIFY_OUTBOX_VERIFICATION,
    MZ_STMT_NOTIFY_ENQUEUE,
    MZ_STMT_NOTIFY_CLAIM,
    MZ_STMT_NOTIFY_SENT,
    MZ_STMT_NOTIFY_RETRY,
    MZ_STMT_NOTIFY_FAIL,
    MZ_STMT_NOTIFY_CALLBACK,
    MZ_STMT_NOTIFY_STATS,
    MZ_STMT_NOTIFY_PURGE,
    MZ_STMT_NOTIFY_REMIND,
    MZ_STMT_NOTIFY_PURGE_OUTBOX,
    /* documents and decisions (014) */
    MZ_STMT_CASE_ATTACHMENTS_SET_MANY,
    MZ_STMT_CASE_DOCUMENTS,
    MZ_STMT_CASE_DECISIONS,
    MZ_STMT_CASE_DOCUMENT_GET,
    /* contact moments and hand-over (015, service/handover.h) */
    MZ_STMT_CONTACT_CASE_CHECK,
    MZ_STMT_CONTACT_MOMENT_INSERT,
    MZ_STMT_HANDOVER_INSERT,
    MZ_STMT_CONTACT_MOMENTS_RECENT,
    MZ_STMT_CONTACT_MOMENTS_MINE,
    MZ_STMT_HANDOVER_CLAIM,
    MZ_STMT_HANDOVER_DELIVERED,
    MZ_STMT_HANDOVER_RETRY,
    MZ_STMT_HANDOVER_FAIL,
    MZ_STMT_HANDOVER_EVENT,
    MZ_STMT_HANDOVER_STATS,
    MZ_STMT_CONTACT_PURGE,
    MZ_STMT_REKEY_CONTACT,
    MZ_STMT_SEED_CONTACT_CLEAR,
    MZ_STMT_SEED_CONTACT_MOMENT,
    MZ_STMT_SEED_HANDOVER,
    MZ_STMT_CASE_CACHE_FENCE,
    MZ_STMT__COUNT
} mz_stmt;

typedef struct mz_db mz_db;

/* Opens a connection (UTC, ISO dates, statement timeout given in ms; 0 =
 * none). NULL on failure with a message in err (no password in it). */
mz_db *mz_db_connect(const char *url, int statement_timeout_ms, char *err, size_t errlen);
void mz_db_close(mz_db *db);
PGconn *mz_db_pg(mz_db *db);

/* The calling thread's connection to g_mz_config.database_url, connecting if
 * needed; NULL when the database cannot be reached right now. */
mz_db *mz_db_thread(void);
/* The same for reads that may lag a little: a streaming replica when
 * MZ_DATABASE_READ_URL is set, else the primary. Never write through it. */
mz_db *mz_db_thread_read(void);

/* Runs a named statement. nvalues is the number of values the caller
 * gives; values/lengths/formats as for PQexecPrepared (lengths and formats
 * may be NULL for all-text). Text results.
 * Why the count: a caller that passes fewer values than the statement has
 * parameters makes libpq read past its array; one that passes more has
 * misread the statement. Either is refused with an error result (never
 * sent) and, in debug builds (CI's sanitizer runs), an assertion failure,
 * so a broken call in a rarely run path (purge, rekey) fails in CI. Prefer
 * the macros below, which count an array's elements at compile time. */
PGresult *mz_db_exec(mz_db *db, mz_stmt id, int nvalues, const char *const *values,
                     const int *lengths, const int *formats);

/* The number of elements of an array; a pointer does not compile (it has
 * no element count to take). */
#if defined(__GNUC__)
#define MZ_NVALUES(a)                                                                              \
    ((int)(sizeof(a) / sizeof((a)[0])) +                                                           \
     0 * (int)sizeof(struct {                                                                      \
         int mz_not_an_array : 1 -                                                                 \
             2 * __builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0]));                 \
     }))
#else
#define MZ_NVALUES(a) ((int)(sizeof(a) / sizeof((a)[0])))
#endif
/* A statement without parameters; with an array of text values; with
 * lengths and formats arrays too (binary parameters). */
#define MZ_DB_EXEC0(db, id)        mz_db_exec((db), (id), 0, NULL, NULL, NULL)
#define MZ_DB_EXEC(db, id, values) mz_db_exec((db), (id), MZ_NVALUES(values), (values), NULL, NULL)
#define MZ_DB_EXEC_BIN(db, id, values, lengths, formats)                                           \
    mz_db_exec((db), (id), MZ_NVALUES(values), (values), (lengths), (formats))

/* One call of a pipeline (mz_db_exec_pipeline). */
typedef struct mz_db_call {
    mz_stmt id;
    int nvalues;
    const char *const *values;
    const int *lengths; /* NULL: all text */
    const int *formats;
} mz_db_call;

/* Runs n (at most 8) calls in one round trip: libpq's pipeline mode, one
 * Sync, outside any transaction of ours: the statements share one implicit
 * transaction that commits at the Sync, and a failing one rolls back the
 * earlier ones and skips the rest (plog_commit.c relies on this: a failed
 * fence fails its batch; test_db_pipeline test_error_aborts_the_rest shows
 * the skipping).
 * Meant for reads. Why: the read path needs the freshness and the
 * list of a subject, and a round trip costs more than either on a loaded
 * machine. out[i] is each call's result (an error result when it failed or
 * an earlier one did); false (and every out[i] NULL) when the database is
 * unavailable or a call's values do not match its statement. Retried once
 * on a fresh connection when the connection was lost and every statement
 * is retry-safe. The caller PQclears each out[i]. */
bool mz_db_exec_pipeline(mz_db *db, const mz_db_call *calls, int n, PGresult **out);

/* The number of parameters statement id takes. */
int mz_db_stmt_nparams(mz_stmt id);

/* True when r completed (command or tuples). */
bool mz_db_ok(const PGresult *r);

/* Transaction control on constant SQL. false when the command failed. */
bool mz_db_begin(mz_db *db);
/* LISTEN on channel mz_subject (migration 018, case_cache.h). */
bool mz_db_listen_subjects(mz_db *db);
bool mz_db_commit(mz_db *db);
void mz_db_rollback(mz_db *db);

/* Savepoints inside a transaction: one per record (store batches) and one
 * per inbox row around them (constant names). */
bool mz_db_savepoint(mz_db *db);
bool mz_db_release(mz_db *db);
bool mz_db_rollback_to(mz_db *db);
bool mz_db_savepoint_row(mz_db *db);
bool mz_db_release_row(mz_db *db);
bool mz_db_rollback_to_row(mz_db *db);
bool mz_db_savepoint_batch(mz_db *db);
bool mz_db_rollback_to_batch(mz_db *db);
bool mz_db_in_tx(const mz_db *db);

/* Makes this connection plan every execution for the data at hand
 * (plan_cache_mode = force_custom_plan), also after a reconnect. For the
 * background writers (inbox processor, sync), whose tables change size by
 * orders of magnitude: a generic plan a connection cached while the inbox
 * was empty (a seq scan joined to the claim) took 1.5 s per claim once a
 * backlog of 20,000 rows had built up, and the foreign-key check of a
 * timeline entry cached as a seq scan of a then-empty cases table. They
 * plan once per batch, so planning costs little; the HTTP read path keeps
 * its cached plans. False when the setting could not be applied now. */
bool mz_db_plan_each_time(mz_db *db);

/* Runs a whole SQL script (migrations only: trusted, embedded text). */
PGresult *mz_db_exec_script(mz_db *db, const char *sql);

/* Opens a connection to g_mz_config.database_url without a statement
 * timeout, for the command-line tools (purge, rekey); logs and returns NULL
 * when it cannot. */
mz_db *mz_db_connect_config(void);

/* Logs that statement id failed (r NULL: the database was unavailable):
 * its name, SQLSTATE and primary message — the message only when it holds
 * no BSN-like number (an error text may quote a value). */
void mz_db_log_failure(const char *msg, mz_stmt id, const PGresult *r);

/* The name of a statement (for tests and errors). */
const char *mz_db_stmt_name(mz_stmt id);

/* Connections this process holds, and how many are running a statement
 * right now (metrics: the "pool" is one connection per worker thread). */
void mz_db_stats(int *open, int *busy);

/* Number of reconnects since start (metrics). */
unsigned long mz_db_reconnects(void);

#endif
