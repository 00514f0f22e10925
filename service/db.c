#include "db.h"
#include "alloc.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsn.h"
#include "config.h"
#include "db_statements.h"
#include "log.h"

struct mz_db {
    PGconn *pg;
    char *url;
    int timeout_ms;
    bool in_tx;        /* never reconnect silently inside a transaction */
    bool custom_plans; /* mz_db_plan_each_time: kept across reconnects */
    uint8_t prepared[MZ_STMT__COUNT];
};

static atomic_ulong g_reconnects;
static atomic_int g_open, g_busy; /* connections held; running a statement */

void mz_db_stats(int *open, int *busy)
{
    *open = atomic_load(&g_open);
    *busy = atomic_load(&g_busy);
}

unsigned long mz_db_reconnects(void)
{
    return atomic_load(&g_reconnects);
}

const char *mz_db_stmt_name(mz_stmt id)
{
    assert(id >= 0 && id < MZ_STMT__COUNT);
    return mz_stmt_defs[id].name;
}

int mz_db_stmt_nparams(mz_stmt id)
{
    assert(id >= 0 && id < MZ_STMT__COUNT);
    return mz_stmt_defs[id].nparams;
}

/* jit=off: our statements are short OLTP queries; JIT compilation, which
 * kicks in on cost estimates alone, once cost a citizen's list ~450 ms. */
static PGconn *open_pg(const char *url, int timeout_ms, bool custom_plans)
{
    char options[256];
    snprintf(options, sizeof options,
             "-c TimeZone=UTC -c DateStyle=ISO -c synchronous_commit=on -c jit=off "
             "-c statement_timeout=%d "
             "-c lock_timeout=%d%s",
             timeout_ms, timeout_ms, custom_plans ? " -c plan_cache_mode=force_custom_plan" : "");
    const char *keys[] = {"dbname", "connect_timeout", "options", "application_name", NULL};
    const char *vals[] = {url && *url ? url : NULL, "3", options, "mijnzaken", NULL};
    if (!vals[0]) {
        /* Empty URL: libpq's PG* environment defaults for everything. */
        keys[0] = "connect_timeout", vals[0] = "3";
        keys[1] = "options", vals[1] = options;
        keys[2] = "application_name", vals[2] = "mijnzaken";
        keys[3] = NULL, vals[3] = NULL;
    }
    return PQconnectdbParams(keys, vals, 1);
}

/* libpq messages may carry host names but never passwords; we still keep
 * only the first line. */
static void first_line(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
    char *nl = strchr(dst, '\n');
    if (nl)
        *nl = '\0';
}

mz_db *mz_db_connect(const char *url, int statement_timeout_ms, char *err, size_t errlen)
{
    PGconn *pg = open_pg(url, statement_timeout_ms, false);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        first_line(err, errlen, pg ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return NULL;
    }
    mz_db *db = mz_xcalloc(1, sizeof *db);
    db->pg = pg;
    db->url = mz_xstrdup(url ? url : "");
    atomic_fetch_add(&g_open, 1);
    db->timeout_ms = statement_timeout_ms;
    return db;
}

void mz_db_close(mz_db *db)
{
    if (!db)
        return;
    atomic_fetch_sub(&g_open, 1);
    PQfinish(db->pg);
    free(db->url);
    free(db);
}

PGconn *mz_db_pg(mz_db *db)
{
    return db->pg;
}

static bool reconnect(mz_db *db)
{
    PQfinish(db->pg);
    memset(db->prepared, 0, sizeof db->prepared);
    db->pg = open_pg(db->url, db->timeout_ms, db->custom_plans);
    atomic_fetch_add(&g_reconnects, 1);
    return db->pg && PQstatus(db->pg) == CONNECTION_OK;
}

/* --- per-thread connection */

static pthread_key_t g_thread_key, g_read_key;
static pthread_once_t g_thread_once = PTHREAD_ONCE_INIT;

static void thread_db_free(void *p)
{
    mz_db_close(p);
}
static void thread_key_init(void)
{
    pthread_key_create(&g_thread_key, thread_db_free);
    pthread_key_create(&g_read_key, thread_db_free);
}

/* Takes the key by address: it exists only after pthread_once. */
static mz_db *thread_conn(const pthread_key_t *keyp, const char *url)
{
    pthread_once(&g_thread_once, thread_key_init);
    pthread_key_t key = *keyp;
    mz_db *db = pthread_getspecific(key);
    if (db) {
        if (PQstatus(db->pg) == CONNECTION_OK)
            return db;
        if (reconnect(db))
            return db;
        return NULL;
    }
    char err[256];
    db = mz_db_connect(url, 5000, err, sizeof err);
    if (!db) {
        mz_log_msg_str(MZ_LOG_WARN, "database connection failed", "error", err);
        return NULL;
    }
    pthread_setspecific(key, db);
    return db;
}

mz_db *mz_db_thread(void)
{
    return thread_conn(&g_thread_key, g_mz_config.database_url);
}

mz_db *mz_db_thread_read(void)
{
    const char *url = g_mz_config.database_read_url;
    if (!url || !*url)
        return mz_db_thread();
    return thread_conn(&g_read_key, url);
}

mz_db *mz_db_connect_config(void)
{
    char err[256];
    mz_db *db = mz_db_connect(g_mz_config.database_url, 0, err, sizeof err);
    if (!db)
        mz_log_msg_str(MZ_LOG_ERROR, "cannot connect to the database", "error", err);
    return db;
}

void mz_db_log_failure(const char *msg, mz_stmt id, const PGresult *r)
{
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_ERROR, msg);
    mz_log_str(&l, "statement", mz_db_stmt_name(id));
    if (!r) {
        mz_log_str(&l, "error", "database unavailable");
    } else {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        const char *text = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        mz_log_str(&l, "sqlstate", state);
        if (text && mz_contains_bsn_like(text, strlen(text)))
            text = "(message withheld: it contains a number)";
        mz_log_str(&l, "error", text ? text : "statement failed");
    }
    mz_log_end(&l);
}

/* --- statements */

static bool prepare(mz_db *db, mz_stmt id)
{
    if (db->prepared[id])
        return true;
    const mz_stmt_def *d = &mz_stmt_defs[id];
    PGresult *r = PQprepare(db->pg, d->name, d->sql, d->nparams, NULL);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok && PQstatus(db->pg) == CONNECTION_OK) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_ERROR, "prepare failed");
        mz_log_str(&l, "statement", d->name);
        mz_log_str(&l, "sqlstate", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL);
        mz_log_end(&l);
    }
    PQclear(r);
    db->prepared[id] = ok;
    return ok;
}

static bool connection_lost(mz_db *db)
{
    return PQstatus(db->pg) != CONNECTION_OK;
}

/* A call that does not match the statement's parameters: logged, refused
 * with an error result (nothing is sent), and fatal in debug builds. */
static PGresult *refuse_call(mz_db *db, const mz_stmt_def *d, int nvalues)
{
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_ERROR, "statement called with the wrong parameters");
    mz_log_str(&l, "statement", d->name);
    mz_log_int(&l, "expected", d->nparams);
    mz_log_int(&l, "given", nvalues);
    mz_log_end(&l);
    assert(!"mz_db_exec: parameter count differs from the statement table");
    return PQmakeEmptyPGresult(db ? db->pg : NULL, PGRES_FATAL_ERROR);
}

PGresult *mz_db_exec(mz_db *db, mz_stmt id, int nvalues, const char *const *values,
                     const int *lengths, const int *formats)
{
    assert(id >= 0 && id < MZ_STMT__COUNT);
    const mz_stmt_def *d = &mz_stmt_defs[id];
    /* Without values libpq would bind every parameter as NULL. */
    if (nvalues != d->nparams || (d->nparams > 0 && !values))
        return refuse_call(db, d, nvalues);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (connection_lost(db) && (db->in_tx || !reconnect(db)))
            return NULL;
        if (prepare(db, id)) {
            atomic_fetch_add(&g_busy, 1);
            PGresult *r = PQexecPrepared(db->pg, d->name, d->nparams, values, lengths, formats, 0);
            atomic_fetch_sub(&g_busy, 1);
            if (r && !connection_lost(db))
                return r;
            PQclear(r);
        } else if (!connection_lost(db)) {
            return PQmakeEmptyPGresult(db->pg, PGRES_FATAL_ERROR);
        }
        if (!d->retry_safe || db->in_tx)
            return NULL;
    }
    return NULL;
}

static void clear_all(PGresult **out, int n)
{
    for (int i = 0; i < n; i++) {
        PQclear(out[i]);
        out[i] = NULL;
    }
}

/* One attempt: true when every result (and the Sync) came back. */
static bool pipeline_once(mz_db *db, const mz_db_call *calls, int n, PGresult **out)
{
    for (int i = 0; i < n; i++)
        if (!prepare(db, calls[i].id))
            return false;
    if (PQenterPipelineMode(db->pg) != 1)
        return false;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        const mz_stmt_def *d = &mz_stmt_defs[calls[i].id];
        ok = PQsendQueryPrepared(db->pg, d->name, d->nparams, calls[i].values, calls[i].lengths,
                                 calls[i].formats, 0) == 1;
    }
    ok = ok && PQpipelineSync(db->pg) == 1;
    atomic_fetch_add(&g_busy, 1);
    for (int i = 0; i < n && ok; i++) {
        out[i] = PQgetResult(db->pg);
        PGresult *end = out[i] ? PQgetResult(db->pg) : NULL; /* NULL ends each query's results */
        ok = out[i] && !end;
        PQclear(end);
    }
    if (ok) {
        PGresult *s = PQgetResult(db->pg);
        ok = s && PQresultStatus(s) == PGRES_PIPELINE_SYNC;
        PQclear(s);
    }
    atomic_fetch_sub(&g_busy, 1);
    if (PQexitPipelineMode(db->pg) != 1)
        ok = false;
    return ok;
}

bool mz_db_exec_pipeline(mz_db *db, const mz_db_call *calls, int n, PGresult **out)
{
    assert(n >= 1 && n <= 8);
    bool retry_safe = !db->in_tx;
    for (int i = 0; i < n; i++) {
        out[i] = NULL;
        const mz_stmt_def *d = &mz_stmt_defs[calls[i].id];
        if (calls[i].nvalues != d->nparams || (d->nparams > 0 && !calls[i].values)) {
            PQclear(refuse_call(db, d, calls[i].nvalues));
            return false;
        }
        retry_safe = retry_safe && d->retry_safe;
    }
    if (db->in_tx)
        return false; /* a pipeline's Sync would end the transaction */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (connection_lost(db) && !reconnect(db))
            return false;
        if (pipeline_once(db, calls, n, out))
            return true;
        clear_all(out, n);
        if (!connection_lost(db)) {
            /* out of step with the server without having lost it: start
             * over on a new connection rather than read stale results */
            if (!reconnect(db))
                return false;
        }
        if (!retry_safe)
            return false;
    }
    return false;
}

bool mz_db_ok(const PGresult *r)
{
    if (!r)
        return false;
    ExecStatusType s = PQresultStatus(r);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static bool simple(mz_db *db, const char *sql)
{
    PGresult *r = PQexec(db->pg, sql);
    bool ok = mz_db_ok(r);
    PQclear(r);
    return ok;
}

bool mz_db_begin(mz_db *db)
{
    if (connection_lost(db) && !reconnect(db))
        return false;
    db->in_tx = simple(db, "BEGIN");
    return db->in_tx;
}

bool mz_db_commit(mz_db *db)
{
    /* A COMMIT of an aborted transaction "succeeds" with tag ROLLBACK. */
    PGresult *r = PQexec(db->pg, "COMMIT");
    bool ok = mz_db_ok(r) && strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    db->in_tx = false;
    return ok;
}

void mz_db_rollback(mz_db *db)
{
    if (!connection_lost(db))
        (void)simple(db, "ROLLBACK");
    db->in_tx = false;
}

bool mz_db_savepoint(mz_db *db)
{
    return simple(db, "SAVEPOINT mz_rec");
}
bool mz_db_release(mz_db *db)
{
    return simple(db, "RELEASE SAVEPOINT mz_rec");
}
bool mz_db_rollback_to(mz_db *db)
{
    return simple(db, "ROLLBACK TO SAVEPOINT mz_rec");
}
bool mz_db_savepoint_row(mz_db *db)
{
    return simple(db, "SAVEPOINT mz_row");
}

bool mz_db_release_row(mz_db *db)
{
    return simple(db, "RELEASE SAVEPOINT mz_row");
}

bool mz_db_rollback_to_row(mz_db *db)
{
    return simple(db, "ROLLBACK TO SAVEPOINT mz_row");
}

bool mz_db_savepoint_batch(mz_db *db)
{
    return simple(db, "SAVEPOINT mz_batch");
}

bool mz_db_rollback_to_batch(mz_db *db)
{
    return simple(db, "ROLLBACK TO SAVEPOINT mz_batch");
}

bool mz_db_listen_subjects(mz_db *db)
{
    /* a utility statement: it cannot be prepared; the text is constant */
    return simple(db, "LISTEN mz_subject");
}

bool mz_db_in_tx(const mz_db *db)
{
    return db->in_tx;
}

bool mz_db_plan_each_time(mz_db *db)
{
    db->custom_plans = true;
    PGresult *r = PQexec(db->pg, "SET plan_cache_mode = force_custom_plan");
    bool ok = mz_db_ok(r);
    PQclear(r);
    return ok;
}

PGresult *mz_db_exec_script(mz_db *db, const char *sql)
{
    return PQexec(db->pg, sql);
}
