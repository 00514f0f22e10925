/*
 * refresh.h — fresh on read: when a citizen asks for their cases and an
 * agency's data for them is older than MZ_REFRESH_AFTER, ask that agency
 * now — all such agencies in parallel — and wait at most
 * MZ_REFRESH_DEADLINE_MS. Whatever does not answer in time is served from
 * the store, and the response says per agency how fresh it is.
 *
 * Why threads that outlive the request: a slow agency's answer is still
 * worth storing for the next read, so each refresh runs in its own detached
 * thread with a longer budget (10 s) and writes through the store on its
 * own connection; the reader only waits for the short deadline. A global
 * cap (MZ_REFRESH_MAX_INFLIGHT) keeps a hanging agency from piling up
 * threads: beyond it, reads are served from the store and marked stale.
 *
 * Agencies that push: while an agency's push channel is healthy (a push
 * accepted within MZ_PUSH_FRESH_WINDOW, none waiting unprocessed for more
 * than a minute) its data is fresh without asking it: pushes bring every
 * change. Demo agencies (written by seed-demo, no adapter, no channel) are
 * fresh: their seeded cases are all the data there is.
 *
 * The BSN is copied into the job for the adapter call and wiped after; it
 * is never stored or logged.
 *
 * Ownership: mz_refresh_subject fills a caller-provided array.
 */
#ifndef MZ_REFRESH_H
#define MZ_REFRESH_H

#include <stddef.h>

#include "crypto.h"
#include "db.h"

typedef enum mz_freshness { MZ_FRESH, MZ_STALE, MZ_UNAVAILABLE } mz_freshness;

typedef struct mz_source_state {
    char agency_id[64];
    char agency_name[201];
    mz_freshness freshness;
    char last_synced[40]; /* RFC 3339, or "" when never */
    char last_push[40];   /* the agency's last accepted push (any citizen), or "" */
} mz_source_state;

#define MZ_MAX_SOURCES 64

/* Refreshes what is stale for this subject (when `refresh` is true and
 * subject, whose pseudonym key is, is given: a person or a business), then
 * reports each enabled agency's freshness into out (up to MZ_MAX_SOURCES).
 * Returns the number of entries, or -1 when the database is unavailable;
 * *refreshed says whether an agency's answer was stored just now (a reader
 * on a replica should then read from the primary). */
int mz_refresh_subject(mz_db *db, const mz_subject *subject,
                       const unsigned char key[MZ_PSEUDONYM_LEN], bool refresh,
                       mz_source_state *out, bool *refreshed);

/* The same from a subject_freshness result the caller ran itself (the
 * list builder pipelines it with the list: one round trip); takes r (NULL
 * or an error result: -1). */
int mz_refresh_subject_with(PGresult *r, const mz_subject *subject,
                            const unsigned char key[MZ_PSEUDONYM_LEN], bool refresh,
                            mz_source_state *out, bool *refreshed);

/* The same, and *stable_s (when not NULL): how many seconds every agency's
 * freshness stays as reported by time alone, and no refresh would start
 * (0: not so; at most 300). The case cache keeps an answer that long. */
int mz_refresh_subject_stable(PGresult *r, const mz_subject *subject,
                              const unsigned char key[MZ_PSEUDONYM_LEN], bool refresh,
                              mz_source_state *out, bool *refreshed, long *stable_s);

const char *mz_freshness_name(mz_freshness f);

/* Waits (at most max_ms) until no background refresh is running: call
 * before freeing the agencies at shutdown. */
void mz_refresh_drain(long max_ms);

#endif
