/*
 * migrate.h — applies the embedded migrations/ files in order.
 *
 * Why this shape: each file runs in its own transaction together with its
 * row in schema_migrations, so a failure leaves the schema at the previous
 * version, never half-way. A session-level advisory lock serialises
 * migrators, so two instances starting together are safe. Each applied
 * file's SHA-256 is recorded; if a landed file was edited afterwards the
 * migrator (and serve) refuse to run: fix forward with a new file.
 */
#ifndef MZ_MIGRATE_H
#define MZ_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* Applies all pending migrations. *applied receives how many were applied
 * now. false with a message on any error. */
bool mz_migrate_run(mz_db *db, int *applied, char *err, size_t errlen);

/* Verifies that every embedded migration is applied with a matching
 * checksum and none unknown is present. false with a message otherwise
 * (also when the database is unreachable). */
bool mz_migrate_check(mz_db *db, char *err, size_t errlen);

/* The highest embedded migration version. */
int mz_migrate_latest(void);

#endif
