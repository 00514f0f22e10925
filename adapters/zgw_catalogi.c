/*
 * zgw_catalogi.c — the Catalogi type cache of the ZGW adapter; see
 * zgw_catalogi.h.
 */
#include "zgw_catalogi.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

#define CACHE_TTL 3600
#define CACHE_MAX 10000

typedef struct entry {
    char *url;
    time_t fetched;
    mz_zgw_type t;
} entry;

struct mz_zgw_catalogi {
    pthread_mutex_t lock; /* guards everything below */
    entry *e;
    size_t n, cap;
};

mz_zgw_catalogi *mz_zgw_catalogi_new(void)
{
    mz_zgw_catalogi *c = mz_xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void mz_zgw_catalogi_free(mz_zgw_catalogi *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].url);
        mz_zgw_type_clear(&c->e[i].t);
    }
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void mz_zgw_type_fill(mz_zgw_type *t, const mz_json *o)
{
    t->omschrijving = mz_xstrdup(mz_zgw_str(o, "omschrijving"));
    t->statustekst = mz_xstrdup(mz_zgw_str(o, "statustekst"));
    t->identificatie = mz_xstrdup(mz_zgw_str(o, "identificatie"));
    int64_t v = 0;
    t->volgnummer = mz_json_int64(mz_json_get(o, "volgnummer"), &v) ? (long)v : 0;
    const mz_json *e = mz_json_get(o, "isEindstatus");
    t->eind = e && e->type == MZ_JSON_BOOL && e->u.boolean;
    const mz_json *inf = mz_json_get(o, "informeren");
    t->no_inform = inf && inf->type == MZ_JSON_BOOL && !inf->u.boolean;
    const char *ie = mz_zgw_str(o, "indicatieInternOfExtern");
    t->intern = ie && strcmp(ie, "intern") == 0;
}

void mz_zgw_type_clear(mz_zgw_type *t)
{
    free(t->omschrijving);
    free(t->statustekst);
    free(t->identificatie);
    memset(t, 0, sizeof *t);
}

static void type_copy(mz_zgw_type *dst, const mz_zgw_type *src)
{
    *dst = (mz_zgw_type){mz_xstrdup(src->omschrijving),
                         mz_xstrdup(src->statustekst),
                         mz_xstrdup(src->identificatie),
                         src->volgnummer,
                         src->eind,
                         src->no_inform,
                         src->intern};
}

/* Copies the fresh entry for url into *out; false if absent or stale. */
static bool cache_get(mz_zgw_catalogi *c, const char *url, mz_zgw_type *out)
{
    bool hit = false;
    time_t now = time(NULL);
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].url, url) == 0 && now - c->e[i].fetched < CACHE_TTL) {
            type_copy(out, &c->e[i].t);
            hit = true;
            break;
        }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void cache_put(mz_zgw_catalogi *c, const char *url, const mz_json *o)
{
    pthread_mutex_lock(&c->lock);
    entry *slot = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].url, url) == 0)
            slot = &c->e[i];
    if (!slot && c->n < CACHE_MAX) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 32;
            c->e = mz_xreallocarray(c->e, c->cap, sizeof *c->e);
        }
        slot = &c->e[c->n++];
        memset(slot, 0, sizeof *slot);
    }
    if (slot) {
        free(slot->url);
        mz_zgw_type_clear(&slot->t);
        slot->url = mz_xstrdup(url);
        slot->fetched = time(NULL);
        mz_zgw_type_fill(&slot->t, o);
    }
    pthread_mutex_unlock(&c->lock);
}

mz_adapter_status mz_zgw_type_get(mz_zgw_catalogi *c, const char *url, const mz_json *expanded,
                                  mz_zgw_fetch_fn fetch, void *ud, mz_zgw_type *out)
{
    memset(out, 0, sizeof *out);
    if (!url)
        return MZ_ADAPTER_OK;
    if (expanded && expanded->type == MZ_JSON_OBJECT) {
        cache_put(c, url, expanded);
        mz_zgw_type_fill(out, expanded);
        return MZ_ADAPTER_OK;
    }
    if (cache_get(c, url, out))
        return MZ_ADAPTER_OK;
    mz_json_doc *d = NULL;
    long http_status = 0;
    mz_adapter_status st = fetch(ud, url, &d, &http_status);
    if (st != MZ_ADAPTER_OK)
        return http_status == 404 ? MZ_ADAPTER_OK : st; /* 404: a type unknown to the agency */
    cache_put(c, url, mz_json_root(d));
    mz_zgw_type_fill(out, mz_json_root(d));
    mz_json_free(d);
    return MZ_ADAPTER_OK;
}
