#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "embedded.h"
#include "log.h"

static const char bootstrap_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                    " version integer PRIMARY KEY,"
                                    " name text NOT NULL,"
                                    " checksum text NOT NULL,"
                                    " applied_at timestamptz NOT NULL DEFAULT now())";

static int version_of(const char *name)
{
    return atoi(name);
}

int mz_migrate_latest(void)
{
    return mz_migrations_count ? version_of(mz_migrations[mz_migrations_count - 1].name) : 0;
}

/* Compares applied rows with the embedded files. Sets *next to the index of
 * the first embedded migration not yet applied. */
static bool compare(PGresult *rows, size_t *next, char *err, size_t errlen)
{
    int n = PQntuples(rows);
    size_t i = 0;
    for (int r = 0; r < n; r++) {
        int v = atoi(PQgetvalue(rows, r, MZ_COL_MIGRATIONS_APPLIED_VERSION));
        if (i >= mz_migrations_count || version_of(mz_migrations[i].name) != v) {
            snprintf(err, errlen,
                     "database has migration %d (%s) that this build does not know: the "
                     "database is newer than this binary",
                     v, PQgetvalue(rows, r, MZ_COL_MIGRATIONS_APPLIED_NAME));
            return false;
        }
        char sum[65];
        mz_sha256_hex(mz_migrations[i].data, mz_migrations[i].len, sum);
        if (strcmp(sum, PQgetvalue(rows, r, MZ_COL_MIGRATIONS_APPLIED_CHECKSUM)) != 0) {
            snprintf(err, errlen,
                     "migration %s was edited after it was applied (checksum mismatch); "
                     "landed migrations must never change: add a new file instead",
                     mz_migrations[i].name);
            return false;
        }
        i++;
    }
    *next = i;
    return true;
}

bool mz_migrate_run(mz_db *db, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    PGresult *r = MZ_DB_EXEC0(db, MZ_STMT_MIGRATION_LOCK);
    bool locked = mz_db_ok(r);
    PQclear(r);
    if (!locked) {
        snprintf(err, errlen, "cannot take the migration lock: %s", PQerrorMessage(mz_db_pg(db)));
        return false;
    }
    bool ok = false;
    r = mz_db_exec_script(db, bootstrap_sql);
    if (!mz_db_ok(r)) {
        snprintf(err, errlen, "cannot create schema_migrations: %s", PQresultErrorMessage(r));
        PQclear(r);
        goto unlock;
    }
    PQclear(r);
    r = MZ_DB_EXEC0(db, MZ_STMT_MIGRATIONS_APPLIED);
    size_t next = 0;
    if (!mz_db_ok(r)) {
        snprintf(err, errlen, "cannot read schema_migrations");
        PQclear(r);
        goto unlock;
    }
    bool same = compare(r, &next, err, errlen);
    PQclear(r);
    if (!same)
        goto unlock;
    for (size_t i = next; i < mz_migrations_count; i++) {
        const mz_embedded_file *m = &mz_migrations[i];
        char version[16], sum[65];
        snprintf(version, sizeof version, "%d", version_of(m->name));
        mz_sha256_hex(m->data, m->len, sum);
        if (!mz_db_begin(db)) {
            snprintf(err, errlen, "cannot begin a transaction for %s", m->name);
            goto unlock;
        }
        r = mz_db_exec_script(db, m->data);
        if (!mz_db_ok(r)) {
            snprintf(err, errlen, "migration %s failed: %s", m->name, PQresultErrorMessage(r));
            PQclear(r);
            mz_db_rollback(db);
            goto unlock;
        }
        PQclear(r);
        const char *params[] = {version, m->name, sum};
        r = MZ_DB_EXEC(db, MZ_STMT_MIGRATION_RECORD, params);
        bool recorded = mz_db_ok(r);
        PQclear(r);
        if (!recorded || !mz_db_commit(db)) {
            snprintf(err, errlen, "cannot record migration %s", m->name);
            mz_db_rollback(db);
            goto unlock;
        }
        (*applied)++;
        mz_log_msg_str(MZ_LOG_INFO, "migration applied", "migration", m->name);
    }
    ok = true;
unlock:
    r = MZ_DB_EXEC0(db, MZ_STMT_MIGRATION_UNLOCK);
    PQclear(r);
    return ok;
}

bool mz_migrate_check(mz_db *db, char *err, size_t errlen)
{
    PGresult *r = MZ_DB_EXEC0(db, MZ_STMT_MIGRATIONS_APPLIED);
    if (!r) {
        snprintf(err, errlen, "database unavailable");
        return false;
    }
    if (!mz_db_ok(r)) {
        snprintf(err, errlen, "schema_migrations missing: run `mijnzaken migrate`");
        PQclear(r);
        return false;
    }
    size_t next = 0;
    bool ok = compare(r, &next, err, errlen);
    PQclear(r);
    if (ok && next < mz_migrations_count) {
        snprintf(err, errlen, "%zu migration(s) pending, first %s: run `mijnzaken migrate`",
                 mz_migrations_count - next, mz_migrations[next].name);
        ok = false;
    }
    return ok;
}
