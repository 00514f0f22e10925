/*
 * seed.h — demo data for development: four agencies and three demo
 * citizens with cases in every status group, timelines, an action required
 * and closed cases with results. Written through the normal store path
 * (mz_store_upsert_case), so seeding exercises the same validation and
 * pseudonymisation as real updates. Idempotent: run it as often as you like;
 * each run replaces the demo cases it wrote before (their dates are
 * relative to today).
 *
 * Agencies in the agencies file (live sources, e.g. the run command's fake
 * ZGW municipality) are left out: their cases come from them; demo cases
 * written for them earlier are removed.
 */
#ifndef MZ_SEED_H
#define MZ_SEED_H

#include <stdbool.h>
#include <stddef.h>

#include "agencies.h"
#include "db.h"

/* The demo citizens' BSNs (fictional, 11-proof valid), NULL-terminated. */
extern const char *const mz_demo_bsns[];

/* Seeds agencies and cases, except those of agencies in live (may be
 * NULL); *ncases receives the number of cases written. */
bool mz_seed_demo(mz_db *db, const mz_agencies *live, int *ncases, char *err, size_t errlen);

#endif
