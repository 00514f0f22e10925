/*
 * db_statements.h — the statement table (defined in db_statements.c).
 * Internal to db.c; tests/integration/test_statements.c prepares every
 * statement against the migrated schema and checks its parameter count
 * and result columns.
 */
#ifndef MZ_DB_STATEMENTS_H
#define MZ_DB_STATEMENTS_H

#include <stdbool.h>

#include "db.h"

typedef struct mz_stmt_def {
    const char *name;
    const char *sql;
    int nparams;
    bool retry_safe; /* may be re-run after a connection loss */
} mz_stmt_def;

extern const mz_stmt_def mz_stmt_defs[MZ_STMT__COUNT];

/* The result columns a statement is declared to return (db_columns.h):
 * names in order; none (NULL, 0) for a statement that returns no rows. */
typedef struct mz_stmt_result {
    const char *const *names;
    int count;
} mz_stmt_result;

extern const mz_stmt_result mz_stmt_results[MZ_STMT__COUNT];

#endif
