/*
 * case_cache.h — hot subjects' "my cases" answers from memory (issue 18,
 * item 4), kept exact by invalidation.
 *
 * What is cached: the built JSON answer of GET /api/v1/me/cases for one
 * subject (pseudonym) and one query (status, agency, cursor, page size,
 * representative's scope). Every read is still written durably to the
 * processing log (plog_commit.h); the cache only replaces the data query.
 *
 * Invalidation: triggers (migration 018) NOTIFY channel mz_subject with the
 * hex pseudonym whose cases or freshness changed, or '*' when something
 * every answer shows changed (agencies, sync state, inbox). One listener
 * thread per instance, on its own connection, turns them into generation
 * bumps: one per stripe of subjects (16384 stripes, by the pseudonym's
 * first bytes) and one global. An entry records both generations as they
 * were BEFORE its database read; it is served only while both are
 * unchanged, so a notification that arrives at any time after that read
 * began kills it (no stale fill: the read-commit-notify race is closed by
 * taking the generations first). A lost or new listener connection bumps
 * the global generation (the whole cache is dropped: notifications may
 * have been missed), and nothing is filled or served while it is down.
 *
 * Exactness for a hit: a notification arrives some time after its commit.
 * A hit is therefore only provisional. The processing-log batch that logs
 * the read also sends a fence (pg_notify of this instance's fence number,
 * committed after the hit); NOTIFYs are delivered in commit order, so when
 * the listener sees the fence it has seen every notification of every
 * change committed before the read. Only then is the hit checked again
 * (generations unchanged); otherwise the answer is read from the database
 * instead (counted as mz_case_cache_rechecks_total{outcome="stale"}).
 *
 * Freshness: an entry lives only as long as its per-agency freshness is
 * provably the same (the builder gives the seconds until the first agency
 * could change class, less a margin) and no refresh would start (answers
 * with an agency due for a refresh are not cached).
 *
 * Off when MZ_CASE_CACHE_ENTRIES is 0, and when reads go to a replica
 * (MZ_DATABASE_READ_URL: its lag is not covered by the primary's
 * notifications). Bounded: MZ_CASE_CACHE_ENTRIES and MZ_CASE_CACHE_BYTES,
 * least recently used evicted first, in 16 shards with a lock each.
 *
 * Ownership: get copies the body into the caller's buffer; put copies it.
 */
#ifndef MZ_CASE_CACHE_H
#define MZ_CASE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"

typedef struct mz_case_cache_ticket {
    uint64_t global;    /* the global generation */
    uint64_t stripe;    /* the subject's stripe generation */
    uint32_t stripe_ix; /* which stripe */
    int64_t taken_ms;   /* monotonic, before the database read */
    bool valid;         /* false: cache off or listener down */
} mz_case_cache_ticket;

/* Starts the listener (no-op when the cache is off). */
bool mz_case_cache_start(void);
void mz_case_cache_stop(void);
bool mz_case_cache_enabled(void);

/* Before the database read whose answer may be put. */
void mz_case_cache_begin(const unsigned char key[MZ_PSEUDONYM_LEN], mz_case_cache_ticket *t);
/* After it: keeps body for at most stable_s seconds from the ticket. */
void mz_case_cache_put(const mz_case_cache_ticket *t, const unsigned char key[MZ_PSEUDONYM_LEN],
                       const char *variant, const char *body, size_t len, long stable_s);
/* A hit: body appended to out, *t the generations it was filled under. */
bool mz_case_cache_get(const unsigned char key[MZ_PSEUDONYM_LEN], const char *variant, mz_buf *out,
                       mz_case_cache_ticket *t);
/* True while nothing invalidated what t was filled under (after a fence). */
bool mz_case_cache_still_valid(const mz_case_cache_ticket *t, bool fenced);

/* Drops everything (SIGHUP's new agencies). */
void mz_case_cache_drop(void);

/* Fences (plog_commit.c): the payload for fence number seq, "" when the
 * listener is down (no fence can be seen then). */
void mz_case_cache_fence_payload(uint64_t seq, char *out, size_t len);
/* Calls fn(ud, true) once the listener has seen fence seq, or fn(ud,
 * false) when it cannot (seq 0, listener lost, 2 s passed), on the
 * listener's thread or this one. */
void mz_case_cache_after_fence(uint64_t seq, void (*fn)(void *ud, bool fenced), void *ud);

/* Prometheus text: hits, misses, fills, invalidations, drops, rechecks. */
void mz_case_cache_metrics(mz_buf *b);

#endif
