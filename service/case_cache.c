#include "case_cache.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "log.h"

#define NSHARDS  16
#define NSTRIPES 16384
/* A fence not seen within this long: the hit is read again from the
 * database rather than waited for longer. */
#define FENCE_WAIT_MS 2000

typedef struct entry {
    struct entry *hnext;       /* bucket chain */
    struct entry *prev, *next; /* LRU: head = most recent */
    unsigned char key[MZ_PSEUDONYM_LEN];
    char *variant;
    char *body; /* the answer as sent */
    size_t len; /* its size */
    uint64_t global, stripe;
    int64_t expires_ms;
} entry;

typedef struct shard {
    pthread_mutex_t mu;
    entry **buckets;
    size_t nbuckets; /* power of two */
    entry *head, *tail;
    size_t count, bytes;
} shard;

static shard g_shards[NSHARDS];
static size_t g_cap_entries, g_cap_bytes; /* per shard */
static atomic_bool g_enabled;

static _Atomic uint64_t g_stripes[NSTRIPES];
static _Atomic uint64_t g_global = 1;
static atomic_bool g_connected;
static atomic_ulong g_hits, g_misses, g_fills, g_invalidations, g_drops, g_evictions;
static atomic_ulong g_recheck_ok, g_recheck_stale;

/* the listener */
static pthread_t g_thread;
static atomic_bool g_stop;
static bool g_running;
static char g_instance[17]; /* random hex: whose fences are ours */

/* fence waiters, under g_wmu */
typedef struct waiter {
    struct waiter *next;
    uint64_t seq;
    int64_t deadline_ms;
    void (*fn)(void *, bool);
    void *ud;
} waiter;
static pthread_mutex_t g_wmu = PTHREAD_MUTEX_INITIALIZER;
static waiter *g_waiters;
static uint64_t g_fence_seen; /* under g_wmu */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t stripe_of(const unsigned char *key)
{
    return ((size_t)key[0] << 8 | key[1]) % NSTRIPES;
}

/* The pseudonym is an HMAC output: its bytes are already uniform. */
static uint64_t hash_of(const unsigned char *key, const char *variant)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < MZ_PSEUDONYM_LEN; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    for (const char *p = variant; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

bool mz_case_cache_enabled(void)
{
    return atomic_load(&g_enabled);
}

static void lru_unlink(shard *s, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        s->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        s->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(shard *s, entry *e)
{
    e->next = s->head;
    e->prev = NULL;
    if (s->head)
        s->head->prev = e;
    s->head = e;
    if (!s->tail)
        s->tail = e;
}

static void entry_remove(shard *s, entry *e, uint64_t h)
{
    entry **pp = &s->buckets[h & (s->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    lru_unlink(s, e);
    s->count--;
    s->bytes -= e->len + strlen(e->variant) + sizeof *e;
    free(e->variant);
    free(e->body);
    free(e);
}

static entry *find(shard *s, uint64_t h, const unsigned char *key, const char *variant)
{
    for (entry *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->hnext)
        if (!memcmp(e->key, key, MZ_PSEUDONYM_LEN) && !strcmp(e->variant, variant))
            return e;
    return NULL;
}

static bool current(const entry *e, const unsigned char *key, int64_t now)
{
    return e->global == atomic_load(&g_global) &&
           e->stripe == atomic_load(&g_stripes[stripe_of(key)]) && now < e->expires_ms;
}

void mz_case_cache_begin(const unsigned char key[MZ_PSEUDONYM_LEN], mz_case_cache_ticket *t)
{
    memset(t, 0, sizeof *t);
    if (!atomic_load(&g_enabled) || !atomic_load(&g_connected))
        return;
    /* Generations first, then the clock: the read comes after both. */
    t->global = atomic_load(&g_global);
    t->stripe_ix = (uint32_t)stripe_of(key);
    t->stripe = atomic_load(&g_stripes[t->stripe_ix]);
    t->taken_ms = now_ms();
    /* connected again after reading the generation: a reconnect bumps the
     * global generation before it sets connected, so a ticket taken across
     * it is already dead */
    t->valid = atomic_load(&g_connected);
}

void mz_case_cache_put(const mz_case_cache_ticket *t, const unsigned char key[MZ_PSEUDONYM_LEN],
                       const char *variant, const char *body, size_t len, long stable_s)
{
    if (!t->valid || stable_s <= 0)
        return;
    /* already invalidated since the read began: it would only take a
     * live entry's place (it could never be served) */
    if (t->global != atomic_load(&g_global) || t->stripe != atomic_load(&g_stripes[t->stripe_ix]))
        return;
    /* Kept as sent: a copy per entry, counted against the byte budget. */
    if (len > (1u << 30))
        return;
    char *z = mz_xmalloc(len);
    memcpy(z, body, len);
    size_t zlen = len;
    size_t cost = zlen + strlen(variant) + sizeof(entry);
    if (cost > g_cap_bytes) {
        free(z);
        return;
    }
    uint64_t h = hash_of(key, variant);
    shard *s = &g_shards[h % NSHARDS];
    entry *e = mz_xcalloc(1, sizeof *e);
    memcpy(e->key, key, MZ_PSEUDONYM_LEN);
    e->variant = mz_xstrdup(variant);
    e->body = z;
    e->len = zlen;
    e->global = t->global;
    e->stripe = t->stripe;
    e->expires_ms = t->taken_ms + stable_s * 1000;
    pthread_mutex_lock(&s->mu);
    entry *old = find(s, h, key, variant);
    if (old)
        entry_remove(s, old, h);
    while (s->tail && (s->count + 1 > g_cap_entries || s->bytes + cost > g_cap_bytes)) {
        entry *v = s->tail;
        entry_remove(s, v, hash_of(v->key, v->variant));
        atomic_fetch_add(&g_evictions, 1);
    }
    size_t b = h & (s->nbuckets - 1);
    e->hnext = s->buckets[b];
    s->buckets[b] = e;
    lru_front(s, e);
    s->count++;
    s->bytes += cost;
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(&g_fills, 1);
}

bool mz_case_cache_get(const unsigned char key[MZ_PSEUDONYM_LEN], const char *variant, mz_buf *out,
                       mz_case_cache_ticket *t)
{
    memset(t, 0, sizeof *t);
    if (!atomic_load(&g_enabled))
        return false;
    if (!atomic_load(&g_connected)) {
        atomic_fetch_add(&g_misses, 1);
        return false;
    }
    uint64_t h = hash_of(key, variant);
    shard *s = &g_shards[h % NSHARDS];
    bool hit = false;
    char *z = NULL;
    size_t zlen = 0;
    pthread_mutex_lock(&s->mu);
    entry *e = find(s, h, key, variant);
    if (e && current(e, key, now_ms())) {
        hit = true;
        lru_unlink(s, e);
        lru_front(s, e);
        z = mz_xmalloc(e->len); /* copied out under the lock, appended outside it */
        memcpy(z, e->body, e->len);
        zlen = e->len;
        t->global = e->global;
        t->stripe = e->stripe;
        t->stripe_ix = (uint32_t)stripe_of(key);
        t->taken_ms = now_ms();
        t->valid = true;
    } else if (e) {
        entry_remove(s, e, h); /* invalidated or expired: make room */
    }
    pthread_mutex_unlock(&s->mu);
    if (hit) {
        mz_buf_reserve(out, zlen + 1);
        memcpy(out->data + out->len, z, zlen);
        out->len += zlen;
        out->data[out->len] = '\0';
        free(z);
    }
    atomic_fetch_add(hit ? &g_hits : &g_misses, 1);
    return hit;
}

bool mz_case_cache_still_valid(const mz_case_cache_ticket *t, bool fenced)
{
    bool ok = fenced && t->valid && t->global == atomic_load(&g_global) &&
              t->stripe == atomic_load(&g_stripes[t->stripe_ix]) && atomic_load(&g_connected);
    atomic_fetch_add(ok ? &g_recheck_ok : &g_recheck_stale, 1);
    return ok;
}

void mz_case_cache_drop(void)
{
    atomic_fetch_add(&g_global, 1);
    atomic_fetch_add(&g_drops, 1);
}

/* --- fences */

void mz_case_cache_fence_payload(uint64_t seq, char *out, size_t len)
{
    if (!atomic_load(&g_enabled) || !atomic_load(&g_connected)) {
        if (len)
            out[0] = '\0';
        return;
    }
    snprintf(out, len, "f%s:%llu", g_instance, (unsigned long long)seq);
}

void mz_case_cache_after_fence(uint64_t seq, void (*fn)(void *ud, bool fenced), void *ud)
{
    if (seq == 0 || !atomic_load(&g_enabled)) {
        fn(ud, false);
        return;
    }
    pthread_mutex_lock(&g_wmu);
    if (g_fence_seen >= seq) {
        pthread_mutex_unlock(&g_wmu);
        fn(ud, true);
        return;
    }
    if (!atomic_load(&g_connected)) {
        pthread_mutex_unlock(&g_wmu);
        fn(ud, false);
        return;
    }
    waiter *w = mz_xcalloc(1, sizeof *w);
    w->seq = seq;
    w->deadline_ms = now_ms() + FENCE_WAIT_MS;
    w->fn = fn;
    w->ud = ud;
    w->next = g_waiters;
    g_waiters = w;
    pthread_mutex_unlock(&g_wmu);
}

/* Calls back every waiter whose fence was seen (fenced) or whose time is
 * up, or all (not fenced) when all is set. Outside the lock. */
static void release_waiters(bool all)
{
    int64_t now = now_ms();
    waiter *done = NULL;
    pthread_mutex_lock(&g_wmu);
    for (waiter **pp = &g_waiters; *pp;) {
        waiter *w = *pp;
        if (all || w->seq <= g_fence_seen || now >= w->deadline_ms) {
            *pp = w->next;
            w->seq = !all && w->seq <= g_fence_seen; /* reused: fenced or not */
            w->next = done;
            done = w;
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&g_wmu);
    while (done) {
        waiter *w = done;
        done = w->next;
        w->fn(w->ud, w->seq != 0);
        free(w);
    }
}

/* --- the listener */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void on_notify(const char *payload)
{
    if (payload[0] == 'f') { /* a fence: ours? */
        size_t n = strlen(g_instance);
        if (strncmp(payload + 1, g_instance, n) != 0 || payload[1 + n] != ':')
            return;
        uint64_t seq = strtoull(payload + 2 + n, NULL, 10);
        pthread_mutex_lock(&g_wmu);
        if (seq > g_fence_seen)
            g_fence_seen = seq;
        pthread_mutex_unlock(&g_wmu);
        return;
    }
    if (strlen(payload) == 2 * MZ_PSEUDONYM_LEN) {
        unsigned char key[2];
        int a = hexval(payload[0]), b = hexval(payload[1]), c = hexval(payload[2]),
            d = hexval(payload[3]);
        if (a >= 0 && b >= 0 && c >= 0 && d >= 0) {
            key[0] = (unsigned char)(a << 4 | b);
            key[1] = (unsigned char)(c << 4 | d);
            atomic_fetch_add(&g_stripes[stripe_of(key)], 1);
            atomic_fetch_add(&g_invalidations, 1);
            return;
        }
    }
    /* '*' or anything not understood: everything may have changed */
    mz_case_cache_drop();
    atomic_fetch_add(&g_invalidations, 1);
}

/* Connected and listening, or NULL. */
static mz_db *listen_connect(void)
{
    char err[256];
    mz_db *db = mz_db_connect(g_mz_config.database_url, 0, err, sizeof err);
    if (!db)
        return NULL;
    if (!mz_db_listen_subjects(db)) {
        mz_db_close(db);
        return NULL;
    }
    return db;
}

static void lost(void)
{
    /* Notifications may be missed from now on: nothing cached may be
     * served, and waiting hits are read again. */
    atomic_store(&g_connected, false);
    mz_case_cache_drop();
    release_waiters(true);
}

static void *listener_main(void *arg)
{
    (void)arg;
    mz_db *db = NULL;
    int backoff_ms = 100;
    while (!atomic_load(&g_stop)) {
        if (!db) {
            db = listen_connect();
            if (!db) {
                struct timespec ts = {backoff_ms / 1000, (backoff_ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
                backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
                continue;
            }
            backoff_ms = 100;
            /* listening now: whatever was cached before may have missed a
             * notification; drop it, then serve again */
            mz_case_cache_drop();
            atomic_store(&g_connected, true);
            mz_log_msg(MZ_LOG_INFO, "case cache listening");
        }
        PGconn *pg = mz_db_pg(db);
        struct pollfd p = {PQsocket(pg), POLLIN, 0};
        int rc = poll(&p, 1, 100);
        bool ok = rc >= 0 || errno == EINTR;
        if (rc > 0)
            ok = PQconsumeInput(pg) == 1;
        ok = ok && PQstatus(pg) == CONNECTION_OK;
        PGnotify *n;
        while ((n = PQnotifies(pg)) != NULL) {
            on_notify(n->extra ? n->extra : "*");
            PQfreemem(n);
        }
        if (!ok) {
            mz_log_msg(MZ_LOG_WARN, "case cache listener lost its connection; cache dropped");
            mz_db_close(db);
            db = NULL;
            lost();
            continue;
        }
        release_waiters(false);
    }
    atomic_store(&g_connected, false);
    release_waiters(true);
    mz_db_close(db);
    return NULL;
}

bool mz_case_cache_start(void)
{
    long entries = g_mz_config.case_cache_entries;
    if (entries <= 0 || g_mz_config.database_read_url || g_running)
        return true;
    g_cap_entries = (size_t)(entries + NSHARDS - 1) / NSHARDS;
    g_cap_bytes = (size_t)g_mz_config.case_cache_bytes / NSHARDS;
    size_t nb = 16;
    while (nb < g_cap_entries)
        nb <<= 1;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_init(&g_shards[i].mu, NULL);
        g_shards[i].buckets = mz_xcalloc(nb, sizeof(entry *));
        g_shards[i].nbuckets = nb;
    }
    mz_random_hex(g_instance, 8);
    atomic_store(&g_stop, false);
    g_running = pthread_create(&g_thread, NULL, listener_main, NULL) == 0;
    atomic_store(&g_enabled, g_running);
    return g_running;
}

void mz_case_cache_stop(void)
{
    if (!g_running)
        return;
    /* Stops serving and filling; the entries stay until exit (a request
     * still finishing may be putting one: nothing is freed under it). */
    atomic_store(&g_enabled, false);
    atomic_store(&g_stop, true);
    pthread_join(g_thread, NULL);
    g_running = false;
}

void mz_case_cache_metrics(mz_buf *b)
{
    size_t entries = 0, bytes = 0;
    if (g_shards[0].buckets)
        for (int i = 0; i < NSHARDS; i++) {
            pthread_mutex_lock(&g_shards[i].mu);
            entries += g_shards[i].count;
            bytes += g_shards[i].bytes;
            pthread_mutex_unlock(&g_shards[i].mu);
        }
    mz_buf_printf(
        b,
        "# HELP mz_case_cache_hits_total My-cases reads answered from memory (after the fence).\n"
        "# TYPE mz_case_cache_hits_total counter\nmz_case_cache_hits_total %lu\n"
        "# HELP mz_case_cache_misses_total My-cases reads that went to the database.\n"
        "# TYPE mz_case_cache_misses_total counter\nmz_case_cache_misses_total %lu\n"
        "# HELP mz_case_cache_fills_total Answers put into the cache.\n"
        "# TYPE mz_case_cache_fills_total counter\nmz_case_cache_fills_total %lu\n"
        "# HELP mz_case_cache_invalidations_total Change notifications received (a subject's "
        "stripe or everything).\n"
        "# TYPE mz_case_cache_invalidations_total counter\nmz_case_cache_invalidations_total %lu\n"
        "# HELP mz_case_cache_drops_total Whole-cache drops (listener (re)connected, global "
        "change, reload).\n"
        "# TYPE mz_case_cache_drops_total counter\nmz_case_cache_drops_total %lu\n"
        "# HELP mz_case_cache_evictions_total Entries evicted for room (least recently used).\n"
        "# TYPE mz_case_cache_evictions_total counter\nmz_case_cache_evictions_total %lu\n"
        "# HELP mz_case_cache_rechecks_total Hits checked after their fence: still valid, or "
        "stale and read again from the database.\n"
        "# TYPE mz_case_cache_rechecks_total counter\n"
        "mz_case_cache_rechecks_total{outcome=\"valid\"} %lu\n"
        "mz_case_cache_rechecks_total{outcome=\"stale\"} %lu\n"
        "# HELP mz_case_cache_entries Entries held.\n"
        "# TYPE mz_case_cache_entries gauge\nmz_case_cache_entries %zu\n"
        "# HELP mz_case_cache_bytes Bytes held by entries.\n"
        "# TYPE mz_case_cache_bytes gauge\nmz_case_cache_bytes %zu\n"
        "# HELP mz_case_cache_listening 1 while the invalidation listener is connected.\n"
        "# TYPE mz_case_cache_listening gauge\nmz_case_cache_listening %d\n",
        atomic_load(&g_hits), atomic_load(&g_misses), atomic_load(&g_fills),
        atomic_load(&g_invalidations), atomic_load(&g_drops), atomic_load(&g_evictions),
        atomic_load(&g_recheck_ok), atomic_load(&g_recheck_stale), entries, bytes,
        atomic_load(&g_connected) ? 1 : 0);
}
