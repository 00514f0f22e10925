/*
 * zgw_catalogi.h — the ZGW adapter's cache of Catalogi objects (zaaktypen,
 * statustypen, resultaattypen), shared by every thread using one agency.
 *
 * Why a cache: every zaak and every status in a history names its type by
 * URL, and a sync would otherwise fetch the same few types thousands of
 * times. Types change rarely, so an entry is used for an hour (TTL) after
 * it was fetched or seen in an expansion; the cache holds at most 10,000
 * entries (a bound on memory whatever an agency answers; beyond it types
 * are simply fetched each time). A lock makes it safe for the scheduler
 * and every HTTP worker doing a fresh-on-read at once.
 *
 * Ownership: mz_zgw_catalogi_new's cache is freed with
 * mz_zgw_catalogi_free. A mz_zgw_type filled by mz_zgw_type_get is the
 * caller's copy (never a pointer into the cache): release its strings with
 * mz_zgw_type_clear.
 */
#ifndef MZ_ZGW_CATALOGI_H
#define MZ_ZGW_CATALOGI_H

#include "adapter.h"
#include "json.h"
#include "zgw_map.h"

typedef struct mz_zgw_catalogi mz_zgw_catalogi;

mz_zgw_catalogi *mz_zgw_catalogi_new(void);
void mz_zgw_catalogi_free(mz_zgw_catalogi *c); /* NULL is fine */

/* How a type not cached is fetched (zgw.c: a GET with the adapter's client
 * and credentials). Returns the adapter status; on MZ_ADAPTER_OK *doc is
 * the parsed object (taken over). *http_status: the HTTP status of the
 * answer, 0 if none. */
typedef mz_adapter_status (*mz_zgw_fetch_fn)(void *ud, const char *url, mz_json_doc **doc,
                                             long *http_status);

/* Resolves the Catalogi object at url into *out: from expanded (an object
 * the agency sent along, which also refreshes the cache), the cache, or
 * fetch. url NULL: an empty type, OK. A type the agency answers 404 for is
 * an empty type too (the case then shows an unknown status rather than
 * failing the whole sync). Any other failure of fetch is returned; *out is
 * then empty. */
mz_adapter_status mz_zgw_type_get(mz_zgw_catalogi *c, const char *url, const mz_json *expanded,
                                  mz_zgw_fetch_fn fetch, void *ud, mz_zgw_type *out);

/* The fields of a Catalogi object as JSON into *t (malloc'd copies). */
void mz_zgw_type_fill(mz_zgw_type *t, const mz_json *o);
/* Frees t's strings and empties it. */
void mz_zgw_type_clear(mz_zgw_type *t);

#endif
