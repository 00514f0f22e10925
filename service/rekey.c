/*
 * rekey.c — `mijnzaken rekey` (re-keying the BSN pseudonyms after a key
 * rotation); see rekey.h.
 *
 * rekey enumerates candidate BSNs: for each 8-digit start there is at most
 * one check digit that passes the 11-proof, so the ~9.1 * 10^7 valid BSNs
 * are visited without testing 10^9 strings. Businesses (subject kind kvk,
 * 010) are enumerated apart, as the messages "kvk:" + 8 digits (10^8 - 1
 * of them, crypto.h mz_pseudonym_message), and only when a kvk pseudonym
 * is in use: each pseudonym's kind is stored beside it, so each is looked
 * for among its own kind's numbers only. HMAC-SHA256 is computed with
 * the key blocks absorbed once (RFC 2104: inner and outer digest states
 * after K0^ipad and K0^opad), so a candidate costs two SHA-256 compressions
 * and two state copies. The pseudonyms in use sit in an open-addressing
 * set keyed by their first 8 bytes (they are uniformly random). Workers
 * take chunks of the range from a shared counter and stop as soon as every
 * pseudonym in use has been found. The mapping old -> new is applied in one
 * transaction. A BSN exists only in a worker's stack buffer, for as long as
 * its HMACs take; keys and buffers are wiped with OPENSSL_cleanse. The key
 * files are read by crypto.c's loader (the service's own rules).
 *
 * Nothing here logs a BSN, a pseudonym or a key: hex can contain a 9-digit
 * run that looks like a BSN, so database error texts are checked first
 * (mz_db_log_failure).
 */
#include "rekey.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- rekey: keys and the precomputed HMAC */

#define SHA_BLOCK 64
#define SHA_LEN   32

typedef struct rk_key {
    unsigned char b[MZ_PSEUDONYM_KEY_MAX];
    size_t len;
} rk_key;

/* K0 of RFC 2104: the key, hashed first when longer than a block, padded
 * with zeros. Two keys with the same K0 give the same HMAC. */
static bool key_block(EVP_MD *md, const rk_key *k, unsigned char k0[SHA_BLOCK])
{
    memset(k0, 0, SHA_BLOCK);
    if (k->len <= SHA_BLOCK) {
        memcpy(k0, k->b, k->len);
        return true;
    }
    unsigned int n = 0;
    return EVP_Digest(k->b, k->len, k0, &n, md, NULL) == 1 && n == SHA_LEN;
}

typedef struct hmac_pre {
    EVP_MD_CTX *inner; /* after absorbing K0 ^ ipad */
    EVP_MD_CTX *outer; /* after absorbing K0 ^ opad */
} hmac_pre;

static void hmac_pre_free(hmac_pre *h)
{
    EVP_MD_CTX_free(h->inner); /* clears the digest state */
    EVP_MD_CTX_free(h->outer);
    h->inner = h->outer = NULL;
}

static bool hmac_pre_init(hmac_pre *h, EVP_MD *md, const unsigned char k0[SHA_BLOCK])
{
    unsigned char pad[SHA_BLOCK];
    h->inner = EVP_MD_CTX_new();
    h->outer = EVP_MD_CTX_new();
    bool ok = h->inner && h->outer && EVP_DigestInit_ex(h->inner, md, NULL) == 1 &&
              EVP_DigestInit_ex(h->outer, md, NULL) == 1;
    for (int i = 0; ok && i < SHA_BLOCK; i++)
        pad[i] = k0[i] ^ 0x36;
    ok = ok && EVP_DigestUpdate(h->inner, pad, SHA_BLOCK) == 1;
    for (int i = 0; ok && i < SHA_BLOCK; i++)
        pad[i] = k0[i] ^ 0x5c;
    ok = ok && EVP_DigestUpdate(h->outer, pad, SHA_BLOCK) == 1;
    OPENSSL_cleanse(pad, sizeof pad);
    if (!ok)
        hmac_pre_free(h);
    return ok;
}

/* An independent copy (each worker gets its own). */
static bool hmac_pre_copy(hmac_pre *dst, const hmac_pre *src)
{
    dst->inner = EVP_MD_CTX_new();
    dst->outer = EVP_MD_CTX_new();
    bool ok = dst->inner && dst->outer && EVP_MD_CTX_copy_ex(dst->inner, src->inner) == 1 &&
              EVP_MD_CTX_copy_ex(dst->outer, src->outer) == 1;
    if (!ok)
        hmac_pre_free(dst);
    return ok;
}

/* HMAC-SHA256(key, msg) from the precomputed states; tmp is scratch, mid
 * receives the inner hash (the caller wipes it). */
static bool hmac_fast(const hmac_pre *h, EVP_MD_CTX *tmp, const void *msg, size_t n,
                      unsigned char mid[SHA_LEN], unsigned char out[SHA_LEN])
{
    unsigned int len;
    return EVP_MD_CTX_copy_ex(tmp, h->inner) == 1 && EVP_DigestUpdate(tmp, msg, n) == 1 &&
           EVP_DigestFinal_ex(tmp, mid, &len) == 1 && EVP_MD_CTX_copy_ex(tmp, h->outer) == 1 &&
           EVP_DigestUpdate(tmp, mid, SHA_LEN) == 1 && EVP_DigestFinal_ex(tmp, out, &len) == 1;
}

/* --- rekey: the pseudonyms in use */

typedef struct rk_subject {
    unsigned char old_key[SHA_LEN];
    unsigned char new_key[SHA_LEN]; /* valid once matched */
    atomic_int matched;
    mz_subject_kind kind;
} rk_subject;

typedef struct rk_slot {
    uint64_t tag;  /* first 8 bytes of the pseudonym */
    uint32_t idx1; /* index + 1 into subjects; 0 = empty */
} rk_slot;

typedef struct rk_set {
    rk_subject *s;
    size_t n;
    size_t n_kind[2]; /* by mz_subject_kind */
    rk_slot *slots;
    size_t mask;
} rk_set;

static uint64_t tag_of(const unsigned char *p)
{
    uint64_t t;
    memcpy(&t, p, sizeof t);
    return t;
}

static bool unhex32(const char *h, unsigned char out[SHA_LEN])
{
    if (strlen(h) != 2 * SHA_LEN)
        return false;
    for (int i = 0; i < SHA_LEN; i++) {
        int a = mz_hexval(h[2 * i]), b = mz_hexval(h[2 * i + 1]);
        if (a < 0 || b < 0)
            return false;
        out[i] = (unsigned char)(a << 4 | b);
    }
    return true;
}

static void hex32(const unsigned char in[SHA_LEN], char out[2 * SHA_LEN + 1])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < SHA_LEN; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * SHA_LEN] = '\0';
}

static void set_free(rk_set *set)
{
    free(set->s);
    free(set->slots);
    memset(set, 0, sizeof *set);
}

static rk_subject *set_find(const rk_set *set, const unsigned char key[SHA_LEN])
{
    uint64_t tag = tag_of(key);
    for (size_t i = (size_t)tag & set->mask;; i = (i + 1) & set->mask) {
        const rk_slot *sl = &set->slots[i];
        if (!sl->idx1)
            return NULL;
        rk_subject *s = &set->s[sl->idx1 - 1];
        if (sl->tag == tag && memcmp(s->old_key, key, SHA_LEN) == 0)
            return s;
    }
}

/* Reads every pseudonym in use into set; false (logged) on failure. */
static bool load_subjects(mz_db *db, rk_set *set)
{
    memset(set, 0, sizeof *set);
    PGresult *r = MZ_DB_EXEC0(db, MZ_STMT_REKEY_SUBJECTS);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        mz_db_log_failure("rekey failed", MZ_STMT_REKEY_SUBJECTS, r);
        PQclear(r);
        return false;
    }
    size_t rows = (size_t)PQntuples(r);
    if (rows >= UINT32_MAX / 4) {
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "too many pseudonyms in use");
        PQclear(r);
        return false;
    }
    size_t cap = 16;
    while (cap < 2 * rows)
        cap *= 2;
    set->s = mz_xcalloc(rows ? rows : 1, sizeof *set->s);
    set->slots = mz_xcalloc(cap, sizeof *set->slots);
    set->mask = cap - 1;
    size_t bad = 0;
    for (size_t i = 0; i < rows; i++) {
        rk_subject *s = &set->s[set->n];
        if (!unhex32(PQgetvalue(r, (int)i, MZ_COL_REKEY_SUBJECTS_SUBJECT_KEY_HEX), s->old_key)) {
            bad++;
            continue;
        }
        if (set_find(set, s->old_key)) /* DISTINCT already; be safe */
            continue;
        const char *kind = PQgetvalue(r, (int)i, MZ_COL_REKEY_SUBJECTS_SUBJECT_KIND);
        if (!mz_subject_kind_parse(kind, strlen(kind), &s->kind)) {
            bad++;
            continue;
        }
        set->n_kind[s->kind]++;
        atomic_init(&s->matched, 0);
        size_t j = (size_t)tag_of(s->old_key) & set->mask;
        while (set->slots[j].idx1)
            j = (j + 1) & set->mask;
        set->slots[j].tag = tag_of(s->old_key);
        set->slots[j].idx1 = (uint32_t)(set->n + 1);
        set->n++;
    }
    PQclear(r);
    if (bad) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_WARN, "pseudonyms of unexpected form skipped");
        mz_log_int(&l, "count", (int64_t)bad);
        mz_log_end(&l);
    }
    return true;
}

/* --- rekey: the enumeration */

#define RK_CHUNK          4096 /* 8-digit starts a worker takes at a time */
#define RK_PROGRESS_EVERY 5    /* seconds between progress lines */

typedef struct rk_job {
    rk_set *set;
    mz_subject_kind kind; /* whose numbers: BSNs or KVK numbers */
    uint64_t first;       /* the first 8-digit start (a KVK number: all of it) */
    uint64_t count;       /* how many 8-digit starts */
    int check;            /* the required check digit (a 9-digit prefix), or -1 */
    atomic_ullong next;   /* offset of the next chunk to take */
    atomic_ullong done;   /* starts finished */
    atomic_ullong hashed; /* candidates that passed the 11-proof */
    atomic_size_t matched;
    atomic_bool stop;
    atomic_bool failed;
    pthread_mutex_t mu; /* guards running; cv signals its change */
    pthread_cond_t cv;
    int running;
} rk_job;

typedef struct rk_worker {
    rk_job *job;
    hmac_pre old_k, new_k;
    EVP_MD_CTX *tmp;
    pthread_t thread;
    bool started;
} rk_worker;

static void *worker_main(void *arg)
{
    rk_worker *w = arg;
    rk_job *job = w->job;
    /* The message: 9 BSN digits, or "kvk:" and 8 digits (crypto.h). */
    char msg[16] = "kvk:";
    const bool kvk = job->kind == MZ_SUBJECT_KVK;
    char *digits = kvk ? msg + 4 : msg;
    const size_t msg_len = kvk ? 12 : 9;
    unsigned char mid[SHA_LEN], mac[SHA_LEN];
    unsigned long long hashed = 0;
    while (!atomic_load_explicit(&job->stop, memory_order_relaxed)) {
        uint64_t s = atomic_fetch_add(&job->next, RK_CHUNK);
        if (s >= job->count)
            break;
        uint64_t e = s + RK_CHUNK < job->count ? s + RK_CHUNK : job->count;
        for (uint64_t v = job->first + s; v < job->first + e; v++) {
            uint64_t x = v;
            int sum = 0;
            for (int i = 7; i >= 0; i--) {
                int d = (int)(x % 10);
                x /= 10;
                digits[i] = (char)('0' + d);
                sum += d * (9 - i);
            }
            if (kvk) {
                if (v == 0) /* 00000000 is no KVK number (subject.h) */
                    continue;
            } else {
                int c = sum % 11; /* 9*d1 + ... + 2*d8 - d9 divisible by 11 */
                if (c == 10 || (job->check >= 0 && c != job->check) || (v == 0 && c == 0))
                    continue;
                digits[8] = (char)('0' + c);
            }
            hashed++;
            if (!hmac_fast(&w->old_k, w->tmp, msg, msg_len, mid, mac)) {
                atomic_store(&job->failed, true);
                atomic_store(&job->stop, true);
                break;
            }
            rk_subject *sub = set_find(job->set, mac);
            int expected = 0;
            if (!sub || sub->kind != job->kind ||
                !atomic_compare_exchange_strong(&sub->matched, &expected, 1))
                continue;
            if (!hmac_fast(&w->new_k, w->tmp, msg, msg_len, mid, sub->new_key)) {
                atomic_store(&sub->matched, 0);
                atomic_store(&job->failed, true);
                atomic_store(&job->stop, true);
                break;
            }
            if (atomic_fetch_add(&job->matched, 1) + 1 == job->set->n_kind[job->kind])
                atomic_store(&job->stop, true); /* every pseudonym of the kind found */
        }
        atomic_fetch_add(&job->done, e - s);
    }
    atomic_fetch_add(&job->hashed, hashed);
    OPENSSL_cleanse(msg, sizeof msg);
    OPENSSL_cleanse(mid, sizeof mid);
    OPENSSL_cleanse(mac, sizeof mac);
    pthread_mutex_lock(&job->mu);
    job->running--;
    pthread_cond_signal(&job->cv);
    pthread_mutex_unlock(&job->mu);
    return NULL;
}

/* Waits until no worker runs or `seconds` have passed; true when done. */
static bool wait_workers(rk_job *job, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)seconds;
    pthread_mutex_lock(&job->mu);
    int rc = 0;
    while (job->running > 0 && rc == 0)
        rc = pthread_cond_timedwait(&job->cv, &job->mu, &until);
    bool done = job->running == 0;
    pthread_mutex_unlock(&job->mu);
    return done;
}

/* Runs the enumeration on all cores; false when it could not run. */
static bool enumerate(rk_job *job, const hmac_pre *old_k, const hmac_pre *new_k, double t0)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = cpus > 0 ? (size_t)cpus : 1;
    if (nthreads > 256)
        nthreads = 256;
    uint64_t chunks = (job->count + RK_CHUNK - 1) / RK_CHUNK;
    if (nthreads > chunks)
        nthreads = chunks ? (size_t)chunks : 1;
    rk_worker *w = mz_xcalloc(nthreads, sizeof *w);
    bool ok = true;
    for (size_t i = 0; ok && i < nthreads; i++) {
        w[i].job = job;
        w[i].tmp = EVP_MD_CTX_new();
        ok = w[i].tmp && hmac_pre_copy(&w[i].old_k, old_k) && hmac_pre_copy(&w[i].new_k, new_k);
    }

    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "rekey enumeration started");
    mz_log_str(&l, "kind", mz_subject_kind_name(job->kind));
    mz_log_int(&l, "in_use", (int64_t)job->set->n_kind[job->kind]);
    mz_log_int(&l, "threads", (int64_t)nthreads);
    mz_log_end(&l);

    for (size_t i = 0; ok && i < nthreads; i++) {
        pthread_mutex_lock(&job->mu);
        job->running++;
        pthread_mutex_unlock(&job->mu);
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            pthread_mutex_lock(&job->mu);
            job->running--;
            pthread_mutex_unlock(&job->mu);
            atomic_store(&job->stop, true);
            ok = false;
        } else {
            w[i].started = true;
        }
    }
    while (!wait_workers(job, RK_PROGRESS_EVERY)) {
        uint64_t done = atomic_load(&job->done);
        mz_log_begin(&l, MZ_LOG_INFO, "rekey progress");
        mz_log_int(&l, "percent", (int64_t)(job->count ? done * 100 / job->count : 100));
        mz_log_int(&l, "matched", (int64_t)atomic_load(&job->matched));
        mz_log_int(&l, "in_use", (int64_t)job->set->n_kind[job->kind]);
        mz_log_int(&l, "elapsed_s", (int64_t)(now_s() - t0));
        mz_log_end(&l);
    }
    for (size_t i = 0; i < nthreads; i++) {
        if (w[i].started)
            pthread_join(w[i].thread, NULL);
        hmac_pre_free(&w[i].old_k);
        hmac_pre_free(&w[i].new_k);
        EVP_MD_CTX_free(w[i].tmp);
    }
    free(w);
    if (!ok)
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "cannot start the workers");
    else if (atomic_load(&job->failed))
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "HMAC computation failed");
    return ok && !atomic_load(&job->failed);
}

/* --- rekey: applying the mapping */

/* v: the old and the new pseudonyms (text[] literals), the two
 * parameters of every rekey_* update. */
static bool exec_update(mz_db *db, mz_stmt id, const char *const v[2], long long *rows)
{
    PGresult *r = mz_db_exec(db, id, 2, v, NULL, NULL);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (ok)
        *rows += strtoll(PQcmdTuples(r), NULL, 10);
    else
        mz_db_log_failure("rekey failed", id, r);
    PQclear(r);
    return ok;
}

#define RK_PAIRS 5000 /* pairs per statement */

/* Rewrites the pseudonyms inside stored event bodies, in place (old and
 * new are both 64 hex digits). Returns rows changed, or -1 (logged). */
static long long rekey_inbox(mz_db *db, const rk_set *set)
{
    static const char marker[] = "\"subjectKey\":\"";
    const size_t ml = sizeof marker - 1;
    long long changed = 0;
    char after[24] = "0";
    for (;;) {
        const char *pv[1] = {after};
        PGresult *page = MZ_DB_EXEC(db, MZ_STMT_REKEY_INBOX_PAGE, pv);
        if (!page || PQresultStatus(page) != PGRES_TUPLES_OK) {
            mz_db_log_failure("rekey failed", MZ_STMT_REKEY_INBOX_PAGE, page);
            PQclear(page);
            return -1;
        }
        int n = PQntuples(page);
        for (int i = 0; i < n; i++) {
            size_t len = (size_t)PQgetlength(page, i, MZ_COL_REKEY_INBOX_PAGE_BODY);
            char *body = mz_xmalloc(len + 1); /* a copy: PGresult storage is read-only */
            memcpy(body, PQgetvalue(page, i, MZ_COL_REKEY_INBOX_PAGE_BODY), len + 1);
            const char *end = body + len;
            bool dirty = false;
            for (char *p = strstr(body, marker); p; p = strstr(p, marker)) {
                p += ml;
                unsigned char key[SHA_LEN];
                char hex[2 * SHA_LEN + 1];
                if ((size_t)(end - p) < 2 * SHA_LEN)
                    break;
                memcpy(hex, p, 2 * SHA_LEN);
                hex[2 * SHA_LEN] = '\0';
                const rk_subject *s = unhex32(hex, key) ? set_find(set, key) : NULL;
                if (s && atomic_load(&s->matched)) {
                    hex32(s->new_key, hex);
                    memcpy(p, hex, 2 * SHA_LEN);
                    dirty = true;
                }
                p += 2 * SHA_LEN;
            }
            if (!dirty) {
                free(body);
                continue;
            }
            const char *uv[2] = {PQgetvalue(page, i, MZ_COL_REKEY_INBOX_PAGE_ID), body};
            PGresult *u = MZ_DB_EXEC(db, MZ_STMT_REKEY_INBOX_SET, uv);
            free(body);
            bool ok = u && PQresultStatus(u) == PGRES_COMMAND_OK;
            if (!ok) {
                mz_db_log_failure("rekey failed", MZ_STMT_REKEY_INBOX_SET, u);
                PQclear(u);
                PQclear(page);
                return -1;
            }
            PQclear(u);
            changed++;
        }
        if (n > 0)
            snprintf(after, sizeof after, "%s",
                     PQgetvalue(page, n - 1, MZ_COL_REKEY_INBOX_PAGE_ID));
        PQclear(page);
        if (n < 500)
            return changed;
    }
}

/* Runs the set-based updates for one chunk of pairs (rows[3] is the inbox's,
 * counted apart). */
static bool apply_chunk(mz_db *db, mz_buf *olds, mz_buf *news, long long rows[5])
{
    static const mz_stmt stmts[4] = {MZ_STMT_REKEY_CASES, MZ_STMT_REKEY_REFRESH, MZ_STMT_REKEY_PLOG,
                                     MZ_STMT_REKEY_CONTACT};
    static const int slot[4] = {0, 1, 2, 4};
    mz_buf_putc(olds, '}');
    mz_buf_putc(news, '}');
    const char *v[2] = {olds->data, news->data};
    bool ok = true;
    for (int k = 0; k < 4 && ok; k++)
        ok = exec_update(db, stmts[k], v, &rows[slot[k]]);
    olds->len = news->len = 0;
    return ok;
}

/* Rewrites every matched pseudonym in one transaction. */
static bool apply_mapping(mz_db *db, const rk_set *set, double t0)
{
    long long rows[5] = {0, 0, 0, 0, 0};
    if (!mz_db_begin(db)) {
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "cannot begin a transaction");
        return false;
    }
    double last = now_s();
    size_t applied = 0, in_chunk = 0;
    mz_buf olds = MZ_BUF_INIT, news = MZ_BUF_INIT;
    bool ok = true;
    for (size_t i = 0; i < set->n && ok; i++) {
        const rk_subject *s = &set->s[i];
        if (!atomic_load(&s->matched))
            continue;
        char old_hex[2 * SHA_LEN + 1], new_hex[2 * SHA_LEN + 1];
        hex32(s->old_key, old_hex);
        hex32(s->new_key, new_hex);
        mz_buf_putc(&olds, in_chunk ? ',' : '{');
        mz_buf_putc(&news, in_chunk ? ',' : '{');
        mz_buf_puts(&olds, old_hex);
        mz_buf_puts(&news, new_hex);
        applied++;
        if (++in_chunk == RK_PAIRS) {
            ok = apply_chunk(db, &olds, &news, rows);
            in_chunk = 0;
        }
        double t = now_s();
        if (t - last >= RK_PROGRESS_EVERY) {
            last = t;
            mz_logline l;
            mz_log_begin(&l, MZ_LOG_INFO, "rekey applying");
            mz_log_int(&l, "applied", (int64_t)applied);
            mz_log_int(&l, "elapsed_s", (int64_t)(t - t0));
            mz_log_end(&l);
        }
    }
    if (ok && in_chunk)
        ok = apply_chunk(db, &olds, &news, rows);
    mz_buf_free(&olds);
    mz_buf_free(&news);
    if (ok && applied)
        ok = (rows[3] = rekey_inbox(db, set)) >= 0;
    if (!ok) {
        mz_db_rollback(db);
        return false;
    }
    if (!mz_db_commit(db)) {
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "the commit failed");
        return false;
    }
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "rekey applied");
    mz_log_int(&l, "pseudonyms", (int64_t)applied);
    mz_log_int(&l, "cases", rows[0]);
    mz_log_int(&l, "subject_refresh", rows[1]);
    mz_log_int(&l, "processing_log", rows[2]);
    mz_log_int(&l, "inbox", rows[3]);
    mz_log_int(&l, "contact_moments", rows[4]);
    mz_log_end(&l);
    return true;
}

/* --- rekey: the command */

static int rekey_usage(const char *why)
{
    if (why)
        fprintf(stderr, "%s\n", why);
    fprintf(stderr, "usage: mijnzaken rekey --old-key-file FILE [--new-key-file FILE] "
                    "[--bsn-prefix DIGITS] [--kvk-prefix DIGITS]\n");
    return 2;
}

typedef struct rk_options {
    const char *old_file, *new_file, *prefix, *kvk_prefix;
} rk_options;

/* At most max ASCII digits. */
static bool digits_upto(const char *s, size_t max)
{
    size_t n = strlen(s);
    bool ok = n <= max;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    return ok;
}

/* Step 1: the command line. 0, or the exit status of a usage error. */
static int parse_options(int argc, char **argv, rk_options *o)
{
    o->old_file = NULL;
    o->new_file = g_mz_config.pseudonym_key_file;
    o->prefix = "";
    o->kvk_prefix = "";
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i];
        bool known = strcmp(opt, "--old-key-file") == 0 || strcmp(opt, "--new-key-file") == 0 ||
                     strcmp(opt, "--bsn-prefix") == 0 || strcmp(opt, "--kvk-prefix") == 0;
        if (!known) {
            fprintf(stderr, "unknown option %s\n", opt);
            return rekey_usage(NULL);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "option %s needs a value\n", opt);
            return rekey_usage(NULL);
        }
        const char *v = argv[++i];
        if (strcmp(opt, "--old-key-file") == 0)
            o->old_file = v;
        else if (strcmp(opt, "--new-key-file") == 0)
            o->new_file = v;
        else if (strcmp(opt, "--kvk-prefix") == 0)
            o->kvk_prefix = v;
        else
            o->prefix = v;
    }
    if (!o->old_file || !*o->old_file)
        return rekey_usage("rekey needs --old-key-file");
    if (!o->new_file || !*o->new_file)
        return rekey_usage("rekey needs --new-key-file (or MZ_PSEUDONYM_KEY_FILE)");
    if (!digits_upto(o->prefix, 9))
        return rekey_usage("--bsn-prefix must be at most 9 digits");
    if (!digits_upto(o->kvk_prefix, 8))
        return rekey_usage("--kvk-prefix must be at most 8 digits");
    return 0;
}

/* Step 2: the two keys, read by crypto.c's loader, as precomputed HMAC
 * states; refuses two files that hold the same key. The key bytes are
 * wiped before returning. False (logged) on failure. */
static bool prepare_keys(EVP_MD *md, const rk_options *o, hmac_pre *old_k, hmac_pre *new_k)
{
    char err[600];
    rk_key *keys = mz_xcalloc(2, sizeof *keys); /* old, new: off the stack, wiped */
    unsigned char k0_old[SHA_BLOCK], k0_new[SHA_BLOCK];
    memset(k0_old, 0, sizeof k0_old);
    memset(k0_new, 0, sizeof k0_new);
    bool ok = false;
    if (!mz_pseudonym_read_key_file(o->old_file, keys[0].b, &keys[0].len, err, sizeof err) ||
        !mz_pseudonym_read_key_file(o->new_file, keys[1].b, &keys[1].len, err, sizeof err))
        mz_log_msg_str(MZ_LOG_ERROR, "cannot load a pseudonym key", "error", err);
    else if (!key_block(md, &keys[0], k0_old) || !key_block(md, &keys[1], k0_new))
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "cannot prepare the keys");
    else if (CRYPTO_memcmp(k0_old, k0_new, SHA_BLOCK) == 0)
        mz_log_msg_str(MZ_LOG_ERROR, "refusing to rekey", "error",
                       "the old and the new key are the same key");
    else if (!hmac_pre_init(old_k, md, k0_old) || !hmac_pre_init(new_k, md, k0_new))
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "cannot prepare the keys");
    else
        ok = true;
    OPENSSL_cleanse(keys, 2 * sizeof *keys);
    free(keys);
    OPENSSL_cleanse(k0_old, sizeof k0_old);
    OPENSSL_cleanse(k0_new, sizeof k0_new);
    return ok;
}

/* The range of 8-digit starts a BSN prefix allows, [first, first + count),
 * and the check digit a 9-digit prefix fixes (else -1). */
static void prefix_range(const char *prefix, uint64_t *first, uint64_t *count, int *check)
{
    size_t plen = strlen(prefix);
    size_t body = plen < 8 ? plen : 8;
    *first = 0;
    *count = 1;
    for (size_t i = 0; i < body; i++)
        *first = *first * 10 + (uint64_t)(prefix[i] - '0');
    for (size_t i = body; i < 8; i++) {
        *first *= 10;
        *count *= 10;
    }
    *check = plen == 9 ? prefix[8] - '0' : -1;
}

/* Step 4: enumerates the candidates of the prefix (BSNs or KVK numbers,
 * by kind) on all cores, matching the pseudonyms of that kind in set.
 * *matched: how many were found. False (logged) when the enumeration
 * failed. */
static bool find_matches(rk_set *set, mz_subject_kind kind, const char *prefix,
                         const hmac_pre *old_k, const hmac_pre *new_k, double t0, size_t *matched)
{
    rk_job *job = mz_xcalloc(1, sizeof *job);
    pthread_mutex_init(&job->mu, NULL);
    pthread_cond_init(&job->cv, NULL);
    job->set = set;
    job->kind = kind;
    /* A KVK number is 8 digits: its prefix range is that of a BSN's first
     * eight, without a check digit. */
    char kvk_prefix[9];
    if (kind == MZ_SUBJECT_KVK)
        snprintf(kvk_prefix, sizeof kvk_prefix, "%.8s", prefix);
    prefix_range(kind == MZ_SUBJECT_KVK ? kvk_prefix : prefix, &job->first, &job->count,
                 &job->check);
    bool ok = enumerate(job, old_k, new_k, t0);
    *matched = atomic_load(&job->matched);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "rekey enumeration finished");
    mz_log_str(&l, "kind", mz_subject_kind_name(kind));
    mz_log_int(&l, "candidates", (int64_t)atomic_load(&job->hashed));
    mz_log_int(&l, "matched", (int64_t)*matched);
    mz_log_int(&l, "in_use", (int64_t)set->n_kind[kind]);
    mz_log_int(&l, "elapsed_ms", (int64_t)((now_s() - t0) * 1000));
    mz_log_end(&l);
    pthread_cond_destroy(&job->cv);
    pthread_mutex_destroy(&job->mu);
    free(job);
    return ok;
}

/* The steps: options, keys, the pseudonyms in use (step 3), the
 * enumeration, then the mapping applied in one transaction (step 5). */
int mz_cmd_rekey(int argc, char **argv)
{
    rk_options o;
    int usage = parse_options(argc, argv, &o);
    if (usage)
        return usage;
    double t0 = now_s();
    int rc = 1;
    hmac_pre old_k = {0}, new_k = {0};
    rk_set set = {0};
    mz_db *db = NULL;
    size_t matched = 0;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!md) {
        mz_log_msg_str(MZ_LOG_ERROR, "rekey failed", "error", "cannot initialise SHA-256");
        goto out;
    }
    if (!prepare_keys(md, &o, &old_k, &new_k))
        goto out;
    db = mz_db_connect_config();
    if (!db || !load_subjects(db, &set))
        goto out;
    for (int k = MZ_SUBJECT_BSN; k <= MZ_SUBJECT_KVK; k++) {
        size_t m = 0;
        if (set.n_kind[k] > 0 &&
            !find_matches(&set, (mz_subject_kind)k, k == MZ_SUBJECT_KVK ? o.kvk_prefix : o.prefix,
                          &old_k, &new_k, t0, &m))
            goto out;
        matched += m;
    }
    if (matched > 0 && !apply_mapping(db, &set, t0))
        goto out;
    printf("rekey: %zu pseudonyms re-keyed (%zu in use, %zu not matched: left as they are), "
           "%.1f s\n",
           matched, set.n, set.n - matched, now_s() - t0);
    fflush(stdout);
    rc = 0;

out:
    mz_db_close(db);
    if (set.s)
        OPENSSL_cleanse(set.s, set.n * sizeof *set.s);
    set_free(&set);
    hmac_pre_free(&old_k);
    hmac_pre_free(&new_k);
    EVP_MD_free(md);
    return rc;
}
