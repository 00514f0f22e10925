/*
 * adapter.h — the interface every kind of agency system implements.
 *
 * Why a table of function pointers (after the GNU Taler KYC plugins): the
 * scheduler, fresh-on-read and the push path call adapters without knowing
 * what they talk to; a new kind of system is one new file plus one line in
 * adapters/registry.c. Adapters only *produce* normalised records
 * (mz_case_record, store.h) and hand them to a sink; they never write to the
 * database. The one write path (store.c) decides what is applied.
 *
 * Threads: an adapter's state is shared by the scheduler thread and every
 * HTTP worker doing a fresh-on-read at once; operations must be thread-safe
 * (each call makes its own outbound client; shared caches take a lock).
 *
 * Whose case: a record carries the subject the agency's own data proves
 * entitled to see the case, never merely the subject searched for. A
 * search answer (refresh_subject) is evidence of nothing: some systems
 * ignore filter parameters they do not support and answer with everyone's
 * cases. An item whose entitled subject is not the searched one, or that
 * names none, is skipped (mz_sink_skip), never credited to the searcher.
 * Each kind documents what it takes as proof (zgw.c: a rol in one of the
 * agency's subjectRoles; rest_json.c: the item's bsn field, else its kvk
 * field).
 *
 * The subject: refresh_subject receives the plain subject {kind, id}
 * (subject.h: a BSN or a KVK number) from the request at hand (the
 * citizen's token or the professional's POST body). Adapters may send it
 * to the agency (in a request body, never in a URL when the agency offers
 * a body-based search) and must not keep, log or return it.
 *
 * Ownership: init returns state owned by the caller (free it with
 * ops->free). Records passed to a sink are only valid during the emit call:
 * a sink that keeps them copies them (mz_record_list does).
 */
#ifndef MZ_ADAPTER_H
#define MZ_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "store.h"
#include "subject.h"

typedef struct mz_agency mz_agency; /* agencies.h */

/* Why an adapter did not turn an item into a record. The names are fixed
 * codes (shown in the admin view and /metrics), never data from the item.
 * Why skip rather than fail: one bad record must not fail the run for
 * every citizen of the agency (a whole-request failure still fails it). */
typedef enum mz_skip_reason {
    MZ_SKIP_NO_SUBJECT,       /* no_subject: no natural person in an entitling role (or no BSN) */
    MZ_SKIP_NOT_SUBJECT,      /* not_subject: a search answer holding a case that is not provably
                               * the searched person's */
    MZ_SKIP_URL_OUTSIDE_BASE, /* url_outside_base: it points outside the agency's base URLs */
    MZ_SKIP_INCOMPLETE, /* incomplete: a required field missing or unusable (no URL, no date) */
    MZ_SKIP__COUNT
} mz_skip_reason;

const char *mz_skip_reason_name(mz_skip_reason r);

/* Where an adapter delivers records. emit returns false to stop the run
 * (e.g. the database went away); the adapter then returns MZ_ADAPTER_ABORTED. */
typedef struct mz_sink mz_sink;
struct mz_sink {
    bool (*emit)(mz_sink *s, const mz_case_record *rec);
    void *ud;
    size_t skipped;               /* items the adapter could not turn into a record */
    size_t skips[MZ_SKIP__COUNT]; /* the same by reason */
};

/* Counts an item the adapter skips. */
static inline void mz_sink_skip(mz_sink *s, mz_skip_reason r)
{
    s->skipped++;
    if (r < MZ_SKIP__COUNT)
        s->skips[r]++;
}

typedef enum mz_adapter_status {
    MZ_ADAPTER_OK,
    MZ_ADAPTER_UNAVAILABLE, /* the agency did not answer usefully (down, slow, 5xx, garbage) */
    MZ_ADAPTER_REFUSED,     /* the agency refused us (401/403) or a URL was not allowed */
    MZ_ADAPTER_ABORTED,     /* the sink asked to stop */
    MZ_ADAPTER_UNSUPPORTED  /* this adapter cannot do this operation */
} mz_adapter_status;

/* Where fetch_document delivers a document's content (issue 16): start
 * once, when the agency's 200 begins (length: as announced, -1 none), then
 * data in order. Either returning false stops the transfer. The adapter
 * sets `gone` when the document no longer exists or is no longer one the
 * citizen may see (its confidentiality or status changed since it was
 * listed): the caller answers as if it had never been listed. */
typedef struct mz_doc_sink {
    bool (*start)(void *ud, int64_t length);
    bool (*data)(void *ud, const char *p, size_t n);
    bool (*keep_going)(void *ud); /* optional: false stops the transfer, also while idle */
    void *ud;
    bool gone;
} mz_doc_sink;

typedef struct mz_adapter_ops {
    const char *kind;
    /* Builds the adapter's state from the agency's "adapter" settings
     * object. On error returns NULL and writes a message naming the field
     * (e.g. "adapter.zakenUrl: must be an http(s) URL"). */
    void *(*init)(const mz_agency *agency, const mz_json *settings, char *err, size_t errlen);
    /* A scheduled sync: every case the agency has for any citizen. cursor
     * is what the previous successful run returned (NULL at first); a new
     * one may be returned in *next_cursor (malloc'd). */
    mz_adapter_status (*sync)(void *state, mz_sink *sink, const char *cursor, char **next_cursor,
                              int64_t deadline_ms, char *err, size_t errlen);
    /* One subject's cases, now (fresh-on-read, professional look-up): a
     * person (bsn) or a business (kvk). An adapter that cannot search for
     * that kind answers MZ_ADAPTER_UNSUPPORTED. */
    mz_adapter_status (*refresh_subject)(void *state, mz_sink *sink, const mz_subject *subject,
                                         int64_t deadline_ms, char *err, size_t errlen);
    /* One case by the URL the agency knows it by (notifications). */
    mz_adapter_status (*fetch_case)(void *state, mz_sink *sink, const char *url,
                                    int64_t deadline_ms, char *err, size_t errlen);
    /* The base URLs this adapter's outbound clients may request (their
     * allow-list, outbound.h): up to max into out, returns how many. The
     * strings belong to the state. Lets intake refuse a pushed URL that
     * fetch_case would refuse anyway (agencies.h, mz_agency_base_urls);
     * an adapter without it has every such URL refused. */
    size_t (*base_urls)(const void *state, const char **out, size_t max);
    /* Streams one document's content (NULL: this kind serves no content).
     * source_url and content_url: the document's reference and content URL
     * as stored (never from a client; content_url may be NULL). Checks again
     * where the kind can that the citizen may see it, then passes its
     * content to the sink, at most max_bytes, by the deadline. Blocks for
     * the whole transfer: call it on a thread of its own. MZ_ADAPTER_OK:
     * every byte was delivered and the transfer ended cleanly; anything
     * else after start means the content is incomplete. */
    mz_adapter_status (*fetch_document)(void *state, const char *source_url,
                                        const char *content_url, mz_doc_sink *sink,
                                        size_t max_bytes, int64_t deadline_ms, char *err,
                                        size_t errlen);
    void (*free)(void *state);
} mz_adapter_ops;

/* The registry (adapters/registry.c). NULL when unknown. */
const mz_adapter_ops *mz_adapter_find(const char *kind);
/* Comma-separated list of kinds, for error messages. */
const char *mz_adapter_kinds(void);

const char *mz_adapter_status_name(mz_adapter_status s);

#endif
