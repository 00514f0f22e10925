/*
 * zgw.c — adapter for agencies running a VNG "Zaakgerichte Werken" system:
 * Zaken API 1.x plus Catalogi API 1.x (specs in ../shared/specs/).
 *
 * How a zaak becomes a case record:
 *   zaak.identificatie          → case number      zaak.omschrijving → title
 *   zaaktype.identificatie/omschrijving → case type
 *   status → statustype: the agency's statusGroups mapping (by omschrijving
 *     or statustekst) when given; else isEindstatus → closed (decided when a
 *     resultaat exists); a resultaat before the end → decided; opschorting
 *     → on_hold; volgnummer 1 → received; otherwise in_progress. The text
 *     shown is statustekst when set, else omschrijving.
 *   registratiedatum/startdatum → registered; einddatumGepland → planned
 *     end (indicative); uiterlijkeEinddatumAfdoening → legal deadline;
 *     einddatum → closed; resultaat → resultaattype.omschrijving.
 *   The citizen (whose case it is): see "entitlement" below; the BSN
 *     only to compute the pseudonym, never stored or logged.
 *   Timeline: /statussen?zaak= (each status's URL is its event key).
 *
 * Requests: ZGW JWT client auth (HS256 with client_id and secret; iss,
 * iat, client_id, user_id, user_representation; re-signed every 60 s);
 * Accept-Crs: EPSG:4326 on every request (required by the Zaken API); a
 * citizen's zaken are searched with POST /zaken/_zoek so the BSN travels in
 * a body, never in a URL; `next` is followed through all pages, but only
 * while it stays under the configured base URLs (mz_outbound). Catalogi
 * objects are cached for an hour (they change rarely); with `expand`
 * (ZGW 1.5) one page brings status, types, resultaat and rollen along, and
 * missing expansions are fetched one by one. The status histories of a
 * page's zaken are fetched `concurrency` (default 4) at a time, ahead of
 * their turn (see "history prefetch" below), and in a sync (a GET walk,
 * concurrency > 1) the next list page is fetched on a worker of its own
 * while the current page is turned into records (pages_from: the same
 * requests, results and errors as one after another; a `next` outside the
 * base URLs is left to the request in its turn, which refuses it).
 *
 * Entitlement (whose case a zaak is): only the zaak's own rollen prove it,
 * never the question asked. The owner is the natural person (a valid
 * inpBsn, betrokkeneType natuurlijk_persoon) in a rol whose
 * omschrijvingGeneriek is one of the agency's `subjectRoles` (default
 * ["initiator"]; a witness or other belanghebbende matched by a BSN filter
 * is not entitled), and whose `zaak` is this zaak. Several: the earliest
 * role in subjectRoles wins, then the lowest BSN (one owner per case,
 * the same whoever asks). The rollen come from `_expand.rollen` when it
 * holds all of the zaak's rollen, else from every page of
 * /rollen?zaak=<url> (no other filter: a filter the server ignores must
 * not change the outcome). A zaak without an owner is skipped
 * (no_subject); in a search answer, so is a zaak whose owner is not the
 * searched citizen (not_subject): some systems ignore the BSN filter and
 * answer with every zaak. The same rule for a sync, a search and a
 * notification's fetch.
 *
 * The code: this file makes the requests and walks the pages; the rules
 * above (status group, dates, texts, entitlement) are pure functions in
 * zgw_map.c, the Catalogi cache is zgw_catalogi.c and the history
 * prefetch runs on a general worker pool (service/workpool.c).
 *
 * Per-record problems skip that zaak and the run goes on: a URL outside
 * the configured base URLs (the zaak's own, or one it makes us fetch:
 * status, resultaat, a type, a rollen page) is url_outside_base; a zaak
 * without a URL or without any date is incomplete. A failure of a request
 * (agency down, 5xx, 401/403) still fails the run: it is not the record's
 * fault, and the run is retried with backoff.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "adapter.h"
#include "agencies.h"
#include "alloc.h"
#include "auth.h"
#include "bsn.h"
#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "outbound.h"
#include "workpool.h"
#include "zgw_catalogi.h"
#include "zgw_map.h"

#define EXPAND          "zaaktype,status,status.statustype,resultaat,resultaat.resultaattype,rollen"
#define MAX_PAGES       10000
#define MAX_CONCURRENCY 16

typedef struct zgw {
    const mz_agency *agency;
    char *zaken_url, *catalogi_url, *client_id, *secret, *user_id, *user_repr, *link_template;
    char *documenten_url, *besluiten_url; /* NULL: no documents / no decisions from this agency */
    unsigned doc_levels;                  /* documentConfidentiality: bit i = CONFIDENTIALITY[i] */
    long timeout_ms;
    long concurrency; /* history requests in flight at once during a walk (1: one by one) */
    bool expand, history;
    mz_zgw_roles roles;        /* subjectRoles */
    mz_zgw_catalogi *catalogi; /* the type cache (its own lock) */
    pthread_mutex_t lock;      /* guards token */
    char *token;
    time_t token_at;
} zgw;

/* --- auth */

static char *bearer(zgw *z)
{
    pthread_mutex_lock(&z->lock);
    time_t now = time(NULL);
    if (!z->token || now - z->token_at >= 60) {
        mz_buf c = MZ_BUF_INIT;
        mz_buf_puts(&c, "{\"iss\":");
        mz_json_cstr(&c, z->client_id);
        mz_buf_printf(&c, ",\"iat\":%lld,\"client_id\":", (long long)now);
        mz_json_cstr(&c, z->client_id);
        mz_buf_puts(&c, ",\"user_id\":");
        mz_json_cstr(&c, z->user_id);
        mz_buf_puts(&c, ",\"user_representation\":");
        mz_json_cstr(&c, z->user_repr);
        mz_buf_putc(&c, '}');
        char *t = mz_auth_sign("HS256", z->secret, strlen(z->secret), c.data);
        mz_buf_free(&c);
        if (t) {
            free(z->token);
            z->token = t;
            z->token_at = now;
        }
    }
    char *out = NULL;
    if (z->token) {
        size_t n = strlen(z->token) + 32;
        out = mz_xmalloc(n);
        snprintf(out, n, "Authorization: Bearer %s", z->token);
    }
    pthread_mutex_unlock(&z->lock);
    return out;
}

/* --- requests */

typedef struct pf_job pf_job;

typedef struct call {
    zgw *z;
    mz_outbound *cli;
    int64_t deadline;
    long last_status; /* HTTP status of the last response, 0 if none */
    char *err;
    size_t errlen;
    mz_workpool *pool; /* history prefetch of a sync or search walk, or NULL */
    pf_job *jobs;      /* the current page's prefetch jobs (the pool's batch) */
    pf_job *job;       /* the prefetched history of the zaak being turned into a record, or NULL */
    mz_workpool *doc_pool; /* the document metadata requests of a walk or fetch, or NULL */
    bool outside; /* the last refusal was a URL outside the base URLs (a per-record problem) */
} call;

struct pf_job {
    char *url; /* the page: a zaak's first statussen page, or a list's next page */
    mz_adapter_status st;
    mz_json_doc *doc;
    long last_status;
    char err[256];
};

static call call_new(zgw *z, mz_outbound *cli, int64_t deadline, char *err, size_t errlen)
{
    return (call){.z = z, .cli = cli, .deadline = deadline, .err = err, .errlen = errlen};
}

/* A request whose answer must be JSON of type `want` (an object, or an
 * array for the few ZGW lists that are not paginated). */
static mz_adapter_status request_as(call *c, const char *method, const char *url, const char *body,
                                    mz_json_type want, mz_json_doc **doc)
{
    *doc = NULL;
    c->last_status = 0;
    if (!mz_outbound_allowed(c->cli, url)) {
        snprintf(c->err, c->errlen, "agency returned a URL outside its configured base URLs");
        c->outside = true;
        return MZ_ADAPTER_REFUSED;
    }
    char *auth = bearer(c->z);
    if (!auth) {
        snprintf(c->err, c->errlen, "cannot sign the ZGW client token");
        return MZ_ADAPTER_REFUSED;
    }
    const char *hdrs[] = {auth,
                          "Accept: application/json",
                          "Accept-Crs: EPSG:4326",
                          body ? "Content-Type: application/json" : NULL,
                          body ? "Content-Crs: EPSG:4326" : NULL,
                          NULL};
    mz_outbound_result r;
    mz_outbound_status st = mz_outbound_request(c->cli, method, url, hdrs, body,
                                                body ? strlen(body) : 0, true, c->deadline, &r);
    free(auth);
    c->last_status = r.status;
    mz_adapter_status out = MZ_ADAPTER_OK;
    if (st == MZ_OUT_REFUSED) {
        snprintf(c->err, c->errlen, "%s", r.error);
        out = MZ_ADAPTER_REFUSED;
    } else if (st != MZ_OUT_OK) {
        snprintf(c->err, c->errlen, "%s", r.error);
        out = MZ_ADAPTER_UNAVAILABLE;
    } else if (r.status == 401 || r.status == 403) {
        snprintf(c->err, c->errlen, "agency refused our credentials (HTTP %ld)", r.status);
        out = MZ_ADAPTER_REFUSED;
    } else if (r.status != 200) {
        snprintf(c->err, c->errlen, "agency answered HTTP %ld", r.status);
        out = MZ_ADAPTER_UNAVAILABLE;
    } else {
        char perr[128];
        mz_json_limits lim = {.max_depth = 32, .max_nodes = 4000000, .max_string = 65536};
        *doc = mz_json_parse(r.body ? r.body : "", r.body_len, &lim, perr, sizeof perr);
        if (!*doc || mz_json_root(*doc)->type != want) {
            snprintf(c->err, c->errlen, "agency answered with invalid JSON (%s)",
                     *doc ? (want == MZ_JSON_ARRAY ? "not an array" : "not an object") : perr);
            mz_json_free_wiped(*doc);
            *doc = NULL;
            out = MZ_ADAPTER_UNAVAILABLE;
        }
    }
    /* An answer may hold BSNs (rollen, expanded zaken): wiped before it is
     * freed, like every buffer that held one. */
    if (r.body)
        OPENSSL_cleanse(r.body, r.body_len);
    mz_outbound_result_free(&r);
    return out;
}

static mz_adapter_status request(call *c, const char *method, const char *url, const char *body,
                                 mz_json_doc **doc)
{
    return request_as(c, method, url, body, MZ_JSON_OBJECT, doc);
}

/* How the Catalogi cache fetches a type it does not hold. */
static mz_adapter_status fetch_type(void *ud, const char *url, mz_json_doc **doc, long *http_status)
{
    call *c = ud;
    mz_adapter_status st = request(c, "GET", url, NULL, doc);
    *http_status = c->last_status;
    return st;
}

static mz_adapter_status type_get(call *c, const char *url, const mz_json *expanded,
                                  mz_zgw_type *out)
{
    return mz_zgw_type_get(c->z->catalogi, url, expanded, fetch_type, c, out);
}

/* "<zakenUrl>/<resource_and_query>zaak=<zaak url, percent-encoded>", malloc'd. */
static char *query_url(const char *base, const char *resource_and_query, const char *value)
{
    mz_buf u = MZ_BUF_INIT;
    mz_buf_printf(&u, "%s/%s", base, resource_and_query);
    for (const char *p = value; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            mz_buf_putc(&u, (char)ch);
        else
            mz_buf_printf(&u, "%%%02X", ch);
    }
    return mz_buf_steal(&u, NULL);
}

static char *zaak_query(const zgw *z, const char *resource_and_query, const char *zaak_url)
{
    char rq[64];
    snprintf(rq, sizeof rq, "%szaak=", resource_and_query);
    return query_url(z->zaken_url, rq, zaak_url);
}

/* Follows a paginated ZGW list from `first` (malloc'd; taken over), GET, or
 * POST with body for _zoek: hands each page's `results` (NULL when absent)
 * to fn until the last page, max_pages, an error, or fn setting *stop.
 * first_doc: the first page when it was fetched already (taken over;
 * `first` is then its URL), else NULL. ahead (GET lists only): each page's
 * `next` is fetched on a worker of its own while fn works through the page
 * (see "the next page ahead" below). */
typedef mz_adapter_status (*page_fn)(call *c, const mz_json *results, void *ud, bool *stop);

static bool pf_run(void *ctx, void *batch, size_t i);
static void *pf_ctx_new(void *ud);
static void pf_ctx_free(void *ctx);

static mz_adapter_status pages_from(call *c, mz_json_doc *first_doc, char *first, const char *body,
                                    int max_pages, page_fn fn, void *ud, bool ahead)
{
    char *next = first;
    mz_adapter_status st = MZ_ADAPTER_OK;
    bool stop = false;
    mz_workpool *pp = NULL;
    pf_job job; /* the next page, fetched ahead while `posted` */
    bool posted = false;
    memset(&job, 0, sizeof job);
    for (int page = 0; next && page < max_pages && !stop; page++) {
        mz_json_doc *d = first_doc;
        first_doc = NULL;
        if (!d && posted && strcmp(job.url, next) == 0) {
            mz_workpool_take(pp, 0, c);
            mz_workpool_end(pp);
            posted = false;
            c->last_status = job.last_status;
            st = job.st;
            d = job.doc;
            job.doc = NULL;
            if (st != MZ_ADAPTER_OK)
                snprintf(c->err, c->errlen, "%s", job.err);
            free(job.url);
            job.url = NULL;
        } else if (!d) {
            st = request(c, body ? "POST" : "GET", next, body, &d);
        }
        free(next);
        next = NULL;
        if (st != MZ_ADAPTER_OK)
            break;
        const mz_json *root = mz_json_root(d);
        const char *nx = mz_zgw_str(root, "next");
        /* Only a URL the walk would request anyway (a refused one is left to
         * the request in turn, which reports it as before). */
        if (ahead && !body && nx && page + 1 < max_pages && mz_outbound_allowed(c->cli, nx)) {
            if (!pp) {
                mz_workpool_ops ops = {pf_run, pf_ctx_new, pf_ctx_free, c};
                pp = mz_workpool_start(1, &ops);
            }
            if (pp) {
                memset(&job, 0, sizeof job);
                job.url = mz_xstrdup(nx);
                mz_workpool_post(pp, &job, 1);
                posted = true;
            }
        }
        st = fn(c, mz_json_get(root, "results"), ud, &stop);
        if (st == MZ_ADAPTER_OK && !stop)
            next = mz_xstrdup(nx);
        mz_json_free_wiped(d);
    }
    if (posted) { /* not needed after all (an error, a stop, the page limit) */
        mz_workpool_end(pp);
        free(job.url);
        mz_json_free_wiped(job.doc);
    }
    mz_workpool_stop(pp);
    mz_json_free_wiped(first_doc);
    free(next);
    return st;
}

/* pages_from without a page fetched ahead. */
static mz_adapter_status each_page(call *c, char *first, const char *body, int max_pages,
                                   page_fn fn, void *ud)
{
    return pages_from(c, NULL, first, body, max_pages, fn, ud, false);
}

/* --- entitlement (the rule: mz_zgw_owner_consider) */

typedef struct rollen_ud {
    const char *zaak_url;
    mz_zgw_owner *o;
} rollen_ud;

static mz_adapter_status rollen_page(call *c, const mz_json *res, void *ud, bool *stop)
{
    rollen_ud *r = ud;
    mz_zgw_owner_consider(r->o, &c->z->roles, res, r->zaak_url);
    *stop = false; /* every page: a later one may hold a better-placed rol */
    return MZ_ADAPTER_OK;
}

/* The zaak's owner from its expanded rollen when complete, else from every
 * page of /rollen?zaak=<url>. */
static mz_adapter_status zaak_owner(call *c, const mz_json *zaak, const char *zaak_url,
                                    mz_zgw_owner *o)
{
    mz_zgw_owner_init(o, &c->z->roles);
    const mz_json *ex = mz_zgw_expanded_rollen(zaak);
    if (ex) {
        mz_zgw_owner_consider(o, &c->z->roles, ex, zaak_url);
        return MZ_ADAPTER_OK;
    }
    rollen_ud ud = {zaak_url, o};
    return each_page(c, zaak_query(c->z, "rollen?", zaak_url), NULL, 100, rollen_page, &ud);
}

/* --- status history */

typedef struct history {
    mz_case_event *ev;
    size_t n;
    char **owned; /* strings to free */
    size_t nowned;
} history;

static char *own(history *h, const char *s)
{
    char *d = mz_xstrdup(s);
    h->owned = mz_xreallocarray(h->owned, h->nowned + 1, sizeof *h->owned);
    h->owned[h->nowned++] = d;
    return d;
}

static void history_free(history *h)
{
    for (size_t i = 0; i < h->nowned; i++)
        free(h->owned[i]);
    free(h->owned);
    free(h->ev);
    memset(h, 0, sizeof *h);
}

static mz_adapter_status history_page(call *c, const mz_json *res, void *ud, bool *stop)
{
    history *h = ud;
    mz_adapter_status st = MZ_ADAPTER_OK;
    for (const mz_json *s = res ? res->u.kids.first : NULL; s && h->n < 200; s = s->next) {
        const char *surl = mz_zgw_str(s, "url"), *at = mz_zgw_str(s, "datumStatusGezet");
        mz_zgw_type t;
        if (!surl || !at)
            continue;
        st = type_get(c, mz_zgw_str(s, "statustype"), NULL, &t);
        if (st != MZ_ADAPTER_OK)
            break;
        h->ev = mz_xreallocarray(h->ev, h->n + 1, sizeof *h->ev);
        h->ev[h->n++] = (mz_case_event){own(h, mz_zgw_status_group(c->z->agency, &t, false, false)),
                                        own(h, mz_zgw_status_text(&t)), own(h, at), own(h, surl),
                                        mz_zgw_status_silent(&t)};
        mz_zgw_type_clear(&t);
    }
    *stop = false;
    return st;
}

/* --- history prefetch
 *
 * Why: a sync asks for every zaak's status history (/statussen?zaak=), one
 * request per zaak after one request per page of 100 zaken. One after
 * another, their round trips were most of a sync's time. A page's history
 * requests are therefore posted to a worker pool (service/workpool.h; each
 * worker with its own outbound client: keep-alive, retries, timeouts and
 * the deadline as for any request) as soon as the page arrives, in page
 * order, while the calling thread turns the zaken into records in order
 * and takes each zaak's first statussen page when it gets there. The
 * requests are the same ones (only the first page of each history is
 * fetched ahead; later pages, rare, follow as before), the records and
 * their order are the same, and a failed history request fails the sync at
 * that zaak as before, with its error. After a failure no further requests
 * are started ahead: the calling thread makes the remaining ones itself,
 * if it gets that far. Only zaken whose history will be asked for are
 * fetched ahead: those with a URL and, from their complete expanded
 * rollen, an owner (for a search: the searched citizen). */

static mz_outbound *client(zgw *z);

/* A worker's call: its own client, the walk's agency and deadline. */
static void *pf_ctx_new(void *ud)
{
    const call *walker = ud;
    mz_outbound *cli = client(walker->z);
    if (!cli)
        return NULL;
    call *c = mz_xmalloc(sizeof *c);
    *c = call_new(walker->z, cli, walker->deadline, NULL, 0);
    return c;
}

static void pf_ctx_free(void *ctx)
{
    call *c = ctx;
    mz_outbound_free(c->cli);
    free(c);
}

/* Job i: the GET of its first statussen page, on ctx's client. */
static bool pf_run(void *ctx, void *batch, size_t i)
{
    pf_job *j = (pf_job *)batch + i;
    call wc = *(const call *)ctx;
    wc.err = j->err;
    wc.errlen = sizeof j->err;
    j->st = request(&wc, "GET", j->url, NULL, &j->doc);
    j->last_status = wc.last_status;
    return j->st == MZ_ADAPTER_OK;
}

/* True when the zaak's history will be asked for (see above). */
static bool history_wanted(const zgw *z, const mz_json *zaak, const mz_subject *want)
{
    const char *url = mz_zgw_str(zaak, "url");
    const mz_json *rollen = mz_zgw_expanded_rollen(zaak);
    if (!z->history || !url || !rollen)
        return false;
    mz_zgw_owner o;
    mz_zgw_owner_init(&o, &z->roles);
    mz_zgw_owner_consider(&o, &z->roles, rollen, url);
    bool wanted = mz_zgw_owner_found(&o, &z->roles) && (!want || mz_subject_same(&o.who, want));
    mz_zgw_owner_clear(&o);
    return wanted;
}

/* Posts the history requests of a page's zaken that will need one (see
 * above); returns the jobs (NULL: none, the histories are fetched one by
 * one) and in *of the zaak each job belongs to. */
static pf_job *prefetch_page(call *c, const mz_json *res, const mz_subject *want,
                             const mz_json ***of, size_t *njobs)
{
    *of = NULL;
    *njobs = 0;
    size_t n = res->u.kids.count;
    if (n <= 1 || c->z->concurrency <= 1)
        return NULL;
    pf_job *jobs = mz_xcalloc(n, sizeof *jobs);
    const mz_json **zaken = mz_xcalloc(n, sizeof *zaken);
    size_t k = 0;
    for (const mz_json *zaak = res->u.kids.first; zaak; zaak = zaak->next)
        if (history_wanted(c->z, zaak, want)) {
            jobs[k].url = zaak_query(c->z, "statussen?", mz_zgw_str(zaak, "url"));
            zaken[k++] = zaak;
        }
    if (k > 1 && !c->pool) {
        mz_workpool_ops ops = {pf_run, pf_ctx_new, pf_ctx_free, c};
        long workers = k < (size_t)c->z->concurrency ? (long)k : c->z->concurrency;
        c->pool = mz_workpool_start((int)workers, &ops);
    }
    if (k <= 1 || !c->pool) { /* nothing ahead: one by one */
        for (size_t i = 0; i < k; i++)
            free(jobs[i].url);
        free(jobs);
        free(zaken);
        return NULL;
    }
    mz_workpool_post(c->pool, jobs, k);
    c->jobs = jobs;
    *of = zaken;
    *njobs = k;
    return jobs;
}

/* The page is done (or failed): waits for the requests under way, then
 * frees what was fetched ahead. */
static void prefetch_page_end(call *c, pf_job *jobs, size_t njobs)
{
    mz_workpool_end(c->pool);
    for (size_t i = 0; i < njobs; i++) {
        free(jobs[i].url);
        mz_json_free_wiped(jobs[i].doc);
    }
    free(jobs);
    c->jobs = NULL;
    c->job = NULL;
}

static mz_adapter_status fetch_history(call *c, const char *zaak_url, history *h)
{
    char *first = zaak_query(c->z, "statussen?", zaak_url);
    mz_json_doc *doc = NULL;
    pf_job *j = c->job;
    if (j && strcmp(j->url, first) == 0) {
        mz_workpool_take(c->pool, (size_t)(j - c->jobs), c);
        c->last_status = j->last_status;
        if (j->st != MZ_ADAPTER_OK) {
            snprintf(c->err, c->errlen, "%s", j->err);
            free(first);
            return j->st;
        }
        doc = j->doc;
        j->doc = NULL;
    }
    return pages_from(c, doc, first, NULL, 100, history_page, h, false);
}

/* --- documents and decisions (issue 16)
 *
 * With `documentenUrl` set, a zaak's documents are its
 * /zaakinformatieobjecten?zaak= (Zaken API), each read with one GET of its
 * enkelvoudiginformatieobject (never `expand`: Open Zaak may then inline the
 * content), `concurrency` at a time on a worker pool of the walk. A
 * document is listed only when its vertrouwelijkheidaanduiding is in the
 * agency's `documentConfidentiality` (default ["openbaar"]), its status is
 * definitief or gearchiveerd, it lives under documentenUrl, and the zaak's
 * type is not `intern` (then nothing of the zaak is listed). With
 * `besluitenUrl` set, the zaak's besluiten (/besluiten?zaak=) come along
 * with their dates, toelichting and linked documents
 * (/besluitinformatieobjecten?besluit=). Both go into the record as one
 * JSON object (store.h, attachments_json) that replaces what is stored.
 * When fetching them fails, the record goes without them (what is stored
 * stays): the case's status must not wait for a Documenten API. */

#define MAX_DOCS      100 /* per zaak */
#define MAX_BESLUITEN 20  /* per zaak */

static const char *const CONFIDENTIALITY[] = {
    "openbaar",      "beperkt_openbaar", "intern", "zaakvertrouwelijk",
    "vertrouwelijk", "confidentieel",    "geheim", "zeer_geheim"};
#define N_CONFIDENTIALITY (sizeof CONFIDENTIALITY / sizeof CONFIDENTIALITY[0])

/* url is base itself or below it. */
static bool under(const char *url, const char *base)
{
    size_t n = base ? strlen(base) : 0;
    return url && n && strncmp(url, base, n) == 0 && (url[n] == '/' || url[n] == '?');
}

/* The citizen may see this document (the rule above, but for the zaaktype). */
static bool doc_visible(const zgw *z, const mz_json *eio)
{
    const char *v = mz_zgw_str(eio, "vertrouwelijkheidaanduiding");
    const char *st = mz_zgw_str(eio, "status");
    bool level = false;
    for (size_t i = 0; v && i < N_CONFIDENTIALITY; i++)
        if (strcmp(v, CONFIDENTIALITY[i]) == 0)
            level = (z->doc_levels >> i) & 1u;
    return level && st && (strcmp(st, "definitief") == 0 || strcmp(st, "gearchiveerd") == 0);
}

/* s cut to at most max bytes on a UTF-8 character boundary, as a JSON
 * string (null when s is NULL). */
static void json_cut(mz_buf *j, const char *s, size_t max)
{
    if (!s) {
        mz_buf_puts(j, "null");
        return;
    }
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *t = mz_xstrndup(s, n);
    mz_json_cstr(j, t);
    free(t);
}

/* A date member as "YYYY-MM-DD" or null. */
static void json_date(mz_buf *j, const mz_json *o, const char *key)
{
    char d[11];
    const char *v = mz_zgw_date(mz_zgw_str(o, key), d);
    mz_json_cstr(j, v);
}

typedef struct doc_job {
    char *url;
    mz_adapter_status st;
    mz_json_doc *doc;
    long last_status;
    bool outside;
    char err[256];
} doc_job;

/* Job i: the GET of one document's metadata. A document that is gone (404)
 * or outside the base URLs is that document's problem only. */
static bool doc_run(void *ctx, void *batch, size_t i)
{
    doc_job *j = (doc_job *)batch + i;
    call wc = *(const call *)ctx;
    wc.err = j->err;
    wc.errlen = sizeof j->err;
    wc.outside = false;
    j->st = request(&wc, "GET", j->url, NULL, &j->doc);
    j->last_status = wc.last_status;
    j->outside = wc.outside;
    return j->st == MZ_ADAPTER_OK || j->outside || j->last_status == 404;
}

static void put_doc(mz_buf *j, const mz_json *eio, const char *url)
{
    if (j->data[j->len - 1] != '[')
        mz_buf_putc(j, ',');
    mz_buf_puts(j, "{\"source_url\":");
    mz_json_cstr(j, url);
    mz_buf_puts(j, ",\"content_url\":");
    json_cut(j, mz_zgw_str(eio, "inhoud"), 2000);
    mz_buf_puts(j, ",\"title\":");
    const char *t = mz_zgw_str(eio, "titel");
    json_cut(j, t ? t : "Document", 500);
    mz_buf_puts(j, ",\"format\":");
    json_cut(j, mz_zgw_str(eio, "formaat"), 255);
    mz_buf_puts(j, ",\"file_name\":");
    json_cut(j, mz_zgw_str(eio, "bestandsnaam"), 255);
    int64_t size = -1;
    mz_buf_puts(j, ",\"size\":");
    if (mz_json_int64(mz_json_get(eio, "bestandsomvang"), &size) && size >= 0)
        mz_buf_printf(j, "%lld", (long long)size);
    else
        mz_buf_puts(j, "null");
    mz_buf_puts(j, ",\"date\":");
    json_date(j, eio, "creatiedatum");
    mz_buf_putc(j, '}');
}

/* The zaak's visible documents as a JSON array into j. */
static mz_adapter_status fetch_documents(call *c, const char *zaak_url, mz_buf *j)
{
    zgw *z = c->z;
    mz_json_doc *list;
    char *url = zaak_query(z, "zaakinformatieobjecten?", zaak_url);
    mz_adapter_status st = request_as(c, "GET", url, NULL, MZ_JSON_ARRAY, &list);
    free(url);
    mz_buf_putc(j, '[');
    if (st != MZ_ADAPTER_OK) {
        mz_buf_putc(j, ']');
        return st;
    }
    const mz_json *res = mz_json_root(list);
    doc_job *jobs = mz_xcalloc(res->u.kids.count ? res->u.kids.count : 1, sizeof *jobs);
    size_t n = 0;
    for (const mz_json *zio = res->u.kids.first; zio && n < MAX_DOCS; zio = zio->next) {
        const char *io = mz_zgw_str(zio, "informatieobject");
        bool dup = false;
        for (size_t k = 0; io && k < n && !dup; k++)
            dup = strcmp(jobs[k].url, io) == 0;
        /* another DRC's document, or one named twice: not ours to list */
        if (io && !dup && under(io, z->documenten_url) && mz_outbound_allowed(c->cli, io))
            jobs[n++].url = mz_xstrdup(io);
    }
    mz_json_free_wiped(list);
    if (n > 1 && !c->doc_pool && z->concurrency > 1) {
        mz_workpool_ops ops = {doc_run, pf_ctx_new, pf_ctx_free, c};
        c->doc_pool = mz_workpool_start((int)z->concurrency, &ops);
    }
    if (n > 1 && c->doc_pool)
        mz_workpool_post(c->doc_pool, jobs, n);
    for (size_t i = 0; i < n; i++) {
        doc_job *d = &jobs[i];
        if (n > 1 && c->doc_pool)
            mz_workpool_take(c->doc_pool, i, c);
        else
            doc_run(c, jobs, i);
        if (st != MZ_ADAPTER_OK)
            continue;
        if (d->st == MZ_ADAPTER_OK && doc_visible(z, mz_json_root(d->doc))) {
            put_doc(j, mz_json_root(d->doc), d->url);
        } else if (d->st != MZ_ADAPTER_OK && !d->outside && d->last_status != 404) {
            snprintf(c->err, c->errlen, "%s", d->err);
            st = d->st;
        }
    }
    if (n > 1 && c->doc_pool)
        mz_workpool_end(c->doc_pool);
    for (size_t i = 0; i < n; i++) {
        free(jobs[i].url);
        mz_json_free_wiped(jobs[i].doc);
    }
    free(jobs);
    mz_buf_putc(j, ']');
    return st;
}

typedef struct besluit_ud {
    mz_buf *j;
    size_t n;
} besluit_ud;

/* One besluit's linked documents (their URLs) as a JSON array into j. */
static mz_adapter_status besluit_documents(call *c, const char *besluit_url, mz_buf *j)
{
    mz_json_doc *d;
    char *url = query_url(c->z->besluiten_url, "besluitinformatieobjecten?besluit=", besluit_url);
    mz_adapter_status st = request_as(c, "GET", url, NULL, MZ_JSON_ARRAY, &d);
    free(url);
    mz_buf_putc(j, '[');
    size_t n = 0;
    for (const mz_json *b = st == MZ_ADAPTER_OK ? mz_json_root(d)->u.kids.first : NULL;
         b && n < MAX_DOCS; b = b->next) {
        const char *io = mz_zgw_str(b, "informatieobject");
        if (!io || strlen(io) > 2000)
            continue;
        if (n++)
            mz_buf_putc(j, ',');
        mz_json_cstr(j, io);
    }
    mz_buf_putc(j, ']');
    if (st == MZ_ADAPTER_OK)
        mz_json_free_wiped(d);
    return st;
}

static mz_adapter_status besluit_page(call *c, const mz_json *res, void *ud, bool *stop)
{
    besluit_ud *b = ud;
    mz_adapter_status st = MZ_ADAPTER_OK;
    *stop = false;
    for (const mz_json *s = res ? res->u.kids.first : NULL; s && st == MZ_ADAPTER_OK; s = s->next) {
        const char *url = mz_zgw_str(s, "url");
        if (!url || strlen(url) > 2000 || !under(url, c->z->besluiten_url))
            continue;
        if (b->n >= MAX_BESLUITEN) {
            *stop = true;
            break;
        }
        if (b->n++)
            mz_buf_putc(b->j, ',');
        mz_buf_puts(b->j, "{\"source_url\":");
        mz_json_cstr(b->j, url);
        mz_buf_puts(b->j, ",\"date\":");
        json_date(b->j, s, "datum");
        mz_buf_puts(b->j, ",\"effective_from\":");
        json_date(b->j, s, "ingangsdatum");
        mz_buf_puts(b->j, ",\"effective_until\":");
        json_date(b->j, s, "vervaldatum");
        mz_buf_puts(b->j, ",\"text\":");
        json_cut(b->j, mz_zgw_str(s, "toelichting"), 2000);
        mz_buf_puts(b->j, ",\"documents\":");
        st = besluit_documents(c, url, b->j);
        mz_buf_putc(b->j, '}');
    }
    return st;
}

/* The record's attachments_json (malloc'd into *out; NULL when this
 * agency lists neither documents nor decisions, or when fetching them
 * failed: the status says why). */
static mz_adapter_status fetch_attachments(call *c, const char *zaak_url, const mz_zgw_type *zt,
                                           char **out)
{
    zgw *z = c->z;
    *out = NULL;
    if (!z->documenten_url && !z->besluiten_url)
        return MZ_ADAPTER_OK;
    mz_buf j = MZ_BUF_INIT;
    mz_adapter_status st = MZ_ADAPTER_OK;
    mz_buf_puts(&j, "{\"documents\":");
    if (z->documenten_url && !zt->intern)
        st = fetch_documents(c, zaak_url, &j);
    else
        mz_buf_puts(&j, "[]");
    mz_buf_puts(&j, ",\"decisions\":[");
    if (st == MZ_ADAPTER_OK && z->besluiten_url && !zt->intern) {
        besluit_ud ud = {&j, 0};
        st = each_page(c, query_url(z->besluiten_url, "besluiten?zaak=", zaak_url), NULL, 10,
                       besluit_page, &ud);
    }
    mz_buf_puts(&j, "]}");
    if (st == MZ_ADAPTER_OK)
        *out = mz_buf_steal(&j, NULL);
    mz_buf_free(&j);
    return st;
}

/* --- one zaak → one record */

/* Find the subject: the zaak's owner into who, who must be the searched
 * citizen when bsn is given. *skip: why the zaak is skipped, or
 * MZ_SKIP__COUNT when it is not (who is then set; the caller wipes it). */
static mz_adapter_status find_subject(call *c, const mz_json *zaak, const char *url,
                                      const mz_subject *want, mz_subject *who, mz_skip_reason *skip)
{
    mz_zgw_owner o;
    mz_adapter_status st = zaak_owner(c, zaak, url, &o);
    *skip = MZ_SKIP__COUNT;
    if (st == MZ_ADAPTER_REFUSED && c->outside) {
        *skip = MZ_SKIP_URL_OUTSIDE_BASE;
        st = MZ_ADAPTER_OK;
    } else if (st == MZ_ADAPTER_OK && !mz_zgw_owner_found(&o, &c->z->roles)) {
        *skip = MZ_SKIP_NO_SUBJECT;
    } else if (st == MZ_ADAPTER_OK && want && !mz_subject_same(&o.who, want)) {
        *skip = MZ_SKIP_NOT_SUBJECT;
    } else if (st == MZ_ADAPTER_OK) {
        *who = o.who;
    }
    mz_zgw_owner_clear(&o);
    return st;
}

/* What a record is made of besides the zaak itself. */
typedef struct related {
    mz_zgw_type zt, stt, rt;        /* zaaktype, statustype, resultaattype */
    const mz_json *status, *result; /* the zaak's status and resultaat, NULL when none */
    mz_json_doc *sdoc, *rdoc;       /* their documents when fetched */
    history h;
} related;

static void related_free(related *r)
{
    history_free(&r->h);
    mz_zgw_type_clear(&r->zt);
    mz_zgw_type_clear(&r->stt);
    mz_zgw_type_clear(&r->rt);
    mz_json_free_wiped(r->sdoc);
    mz_json_free_wiped(r->rdoc);
}

/* The zaak's `name` object (status or resultaat): expanded, else fetched
 * from its URL (into *doc) when it has one; *obj NULL when it has neither. */
static mz_adapter_status sub_object(call *c, const mz_json *zaak, const char *name,
                                    const mz_json **obj, mz_json_doc **doc)
{
    *obj = mz_json_get(mz_json_get(zaak, "_expand"), name);
    const char *url = mz_zgw_str(zaak, name);
    if (!url || (*obj && (*obj)->type == MZ_JSON_OBJECT))
        return MZ_ADAPTER_OK;
    mz_adapter_status st = request(c, "GET", url, NULL, doc);
    *obj = *doc ? mz_json_root(*doc) : NULL;
    return st;
}

/* The type an object names in `field`, from its own _expand or resolved. */
static mz_adapter_status sub_type(call *c, const mz_json *obj, const char *field, mz_zgw_type *out)
{
    if (!obj)
        return MZ_ADAPTER_OK;
    return type_get(c, mz_zgw_str(obj, field), mz_json_get(mz_json_get(obj, "_expand"), field),
                    out);
}

/* Fetch related objects: zaaktype, status and its type, resultaat and its
 * type, and the history (each from the expansion when there, else by a
 * request). On failure r holds what was fetched (related_free). */
static mz_adapter_status fetch_related(call *c, const mz_json *zaak, const char *url, related *r)
{
    memset(r, 0, sizeof *r);
    const mz_json *ex = mz_json_get(zaak, "_expand");
    mz_adapter_status st =
        type_get(c, mz_zgw_str(zaak, "zaaktype"), mz_json_get(ex, "zaaktype"), &r->zt);
    if (st == MZ_ADAPTER_OK)
        st = sub_object(c, zaak, "status", &r->status, &r->sdoc);
    if (st == MZ_ADAPTER_OK)
        st = sub_type(c, r->status, "statustype", &r->stt);
    if (st == MZ_ADAPTER_OK)
        st = sub_object(c, zaak, "resultaat", &r->result, &r->rdoc);
    if (st == MZ_ADAPTER_OK)
        st = sub_type(c, r->result, "resultaattype", &r->rt);
    if (st == MZ_ADAPTER_OK && c->z->history)
        st = fetch_history(c, url, &r->h);
    return st;
}

/* Buffers a record's derived texts live in. */
typedef struct record_bufs {
    char reg[11], planned[11], deadline[11], closed[11];
    char changed[32];
    char link[2100];
    char result[600];
} record_bufs;

/* Build the record from the zaak and its related objects (the rules:
 * zgw_map.h). The history's entry for the current status is made to show
 * what the case shows (e.g. decided rather than closed once a resultaat
 * exists). rec->status_changed_at is NULL when the zaak has no usable date. */
static void build_record(const zgw *z, const mz_json *zaak, const char *url, related *r,
                         record_bufs *b, mz_case_record *rec)
{
    bool suspended = mz_zgw_suspended(zaak);
    bool has_result = r->result != NULL;
    const mz_zgw_type *stt = r->status ? &r->stt : NULL;
    const char *registered = mz_zgw_registered(zaak);
    const char *changed = mz_zgw_changed_at(
        r->status ? mz_zgw_str(r->status, "datumStatusGezet") : NULL, registered, b->changed);
    const char *ident = mz_zgw_str(zaak, "identificatie");
    *rec = (mz_case_record){
        .agency_id = z->agency->id,
        .external_id = url,
        .case_number = ident,
        .title = mz_zgw_title(zaak, &r->zt),
        .case_type_code = r->zt.identificatie,
        .case_type_label = r->zt.omschrijving,
        .status_group = mz_zgw_status_group(z->agency, stt, has_result, suspended),
        .status_text = mz_zgw_status_text(stt),
        .silent = mz_zgw_status_silent(stt),
        .status_changed_at = changed,
        .registered_on = mz_zgw_date(registered, b->reg),
        .planned_end_on = mz_zgw_date(mz_zgw_str(zaak, "einddatumGepland"), b->planned),
        .legal_deadline_on =
            mz_zgw_date(mz_zgw_str(zaak, "uiterlijkeEinddatumAfdoening"), b->deadline),
        .closed_on = mz_zgw_date(mz_zgw_str(zaak, "einddatum"), b->closed),
        .result_text =
            mz_zgw_result_text(has_result, r->rt.omschrijving, mz_zgw_str(r->result, "toelichting"),
                               b->result, sizeof b->result),
        .deep_link_url = mz_zgw_deep_link(z->link_template, ident, b->link, sizeof b->link),
        .source_url = url,
        .source_updated_at = changed,
        .source = "poll",
        .events = r->h.ev,
        .n_events = r->h.n,
    };
    for (size_t i = 0; changed && i < r->h.n; i++)
        if (strcmp(r->h.ev[i].occurred_at, changed) == 0) {
            r->h.ev[i].status_group = rec->status_group;
            r->h.ev[i].status_text = rec->status_text;
        }
}

/* Turns one zaak (possibly with _expand) into a record and emits it, or
 * skips it (counted by reason). bsn: the searched citizen
 * (refresh_subject), who must be the zaak's owner; NULL otherwise. */
static mz_adapter_status emit_zaak(call *c, const mz_json *zaak, const mz_subject *want,
                                   mz_sink *sink)
{
    c->outside = false;
    const char *url = mz_zgw_str(zaak, "url");
    if (!url) {
        mz_sink_skip(sink, MZ_SKIP_INCOMPLETE);
        return MZ_ADAPTER_OK;
    }
    if (!mz_outbound_allowed(c->cli, url)) { /* another system's zaak */
        mz_sink_skip(sink, MZ_SKIP_URL_OUTSIDE_BASE);
        return MZ_ADAPTER_OK;
    }
    mz_subject who;
    memset(&who, 0, sizeof who);
    mz_skip_reason skip;
    mz_adapter_status st = find_subject(c, zaak, url, want, &who, &skip);
    if (st != MZ_ADAPTER_OK || skip != MZ_SKIP__COUNT) {
        if (skip != MZ_SKIP__COUNT)
            mz_sink_skip(sink, skip);
        return st;
    }
    related r;
    st = fetch_related(c, zaak, url, &r);
    if (st == MZ_ADAPTER_OK) {
        record_bufs b;
        mz_case_record rec;
        build_record(c->z, zaak, url, &r, &b, &rec);
        if (!rec.status_changed_at) {
            mz_sink_skip(sink, MZ_SKIP_INCOMPLETE); /* no date at all: nothing to order by */
        } else {
            mz_pseudonym_subject(&who, rec.subject_key);
            rec.subject_kind = mz_subject_kind_name(who.kind);
            char *att = NULL;
            if (fetch_attachments(c, url, &r.zt, &att) != MZ_ADAPTER_OK) {
                /* the case goes on without them (see above) */
                mz_logline l;
                mz_log_begin(&l, MZ_LOG_WARN, "zgw: documents and decisions not fetched");
                mz_log_str(&l, "agency", c->z->agency->id);
                mz_log_str(&l, "error", c->err);
                mz_log_end(&l);
                c->outside = false;
            }
            rec.attachments_json = att;
            if (!sink->emit(sink, &rec))
                st = MZ_ADAPTER_ABORTED;
            free(att);
        }
    }
    mz_subject_wipe(&who);
    if (st == MZ_ADAPTER_REFUSED && c->outside) {
        /* This zaak made us fetch a URL outside the base URLs (its status,
         * resultaat, a type, ...): refused, and the zaak alone skipped. */
        mz_sink_skip(sink, MZ_SKIP_URL_OUTSIDE_BASE);
        st = MZ_ADAPTER_OK;
    }
    related_free(&r);
    return st;
}

/* --- walking the zaken */

typedef struct zaken_ud {
    const mz_subject *want; /* the searched subject, or NULL (sync, fetch) */
    mz_sink *sink;
} zaken_ud;

static mz_adapter_status zaken_page(call *c, const mz_json *res, void *ud, bool *stop)
{
    zaken_ud *z = ud;
    *stop = false;
    if (!res || res->type != MZ_JSON_ARRAY) {
        snprintf(c->err, c->errlen, "agency answered without a results array");
        return MZ_ADAPTER_UNAVAILABLE;
    }
    /* The page's history requests go ahead (see "history prefetch"). */
    const mz_json **of;
    size_t njobs;
    pf_job *jobs = prefetch_page(c, res, z->want, &of, &njobs);
    mz_adapter_status st = MZ_ADAPTER_OK;
    size_t k = 0;
    for (const mz_json *zaak = res->u.kids.first; zaak && st == MZ_ADAPTER_OK; zaak = zaak->next) {
        c->job = k < njobs && of[k] == zaak ? &jobs[k++] : NULL;
        st = emit_zaak(c, zaak, z->want, z->sink);
    }
    c->job = NULL;
    if (jobs)
        prefetch_page_end(c, jobs, njobs);
    free(of);
    return st;
}

/* Follows pages from `first` (GET, or POST with body for _zoek). */
static mz_adapter_status walk(call *c, const char *first, const char *body, const mz_subject *want,
                              mz_sink *sink)
{
    zaken_ud ud = {want, sink};
    mz_adapter_status st = pages_from(c, NULL, mz_xstrdup(first), body, MAX_PAGES, zaken_page, &ud,
                                      c->z->concurrency > 1);
    mz_workpool_stop(c->pool);
    c->pool = NULL;
    mz_workpool_stop(c->doc_pool);
    c->doc_pool = NULL;
    return st;
}

/* --- the operations */

/* The one list of what this adapter may request: its clients' allow-list,
 * and what intake checks a notification's zaak URL against. */
static size_t zgw_base_urls(const void *state, const char **out, size_t max)
{
    const zgw *z = state;
    const char *b[4] = {z->zaken_url, z->catalogi_url, z->documenten_url, z->besluiten_url};
    size_t n = 0;
    for (size_t i = 0; i < 4 && n < max; i++)
        if (b[i])
            out[n++] = b[i];
    return n;
}

static mz_outbound *client(zgw *z)
{
    mz_outbound_opts o = {.timeout_ms = z->timeout_ms};
    zgw_base_urls(z, o.bases, MZ_OUTBOUND_MAX_BASES);
    return mz_outbound_new(&o);
}

static mz_adapter_status zgw_sync(void *state, mz_sink *sink, const char *cursor,
                                  char **next_cursor, int64_t deadline_ms, char *err, size_t errlen)
{
    (void)cursor;
    *next_cursor = NULL;
    zgw *z = state;
    call c = call_new(z, client(z), deadline_ms, err, errlen);
    char url[2200];
    snprintf(url, sizeof url, "%s/zaken%s", z->zaken_url, z->expand ? "?expand=" EXPAND : "");
    mz_adapter_status st = walk(&c, url, NULL, NULL, sink);
    mz_outbound_free(c.cli);
    return st;
}

/* One _zoek for the subject by one rol filter ({"<filter>": "<value>"}). */
static mz_adapter_status search_by(zgw *z, mz_sink *sink, const mz_subject *subject,
                                   const char *filter, const char *value, int64_t deadline_ms,
                                   char *err, size_t errlen)
{
    call c = call_new(z, client(z), deadline_ms, err, errlen);
    char url[2200], body[300];
    snprintf(url, sizeof url, "%s/zaken/_zoek", z->zaken_url);
    snprintf(body, sizeof body, "{\"%s\":\"%s\"%s}", filter, value,
             z->expand ? ",\"expand\":\"" EXPAND "\"" : "");
    mz_adapter_status st = walk(&c, url, body, subject, sink);
    OPENSSL_cleanse(body, sizeof body);
    mz_outbound_free(c.cli);
    return st;
}

/* A person: by rol natuurlijkPersoon.inpBsn. A business (only with the
 * agency's businessIdentifier set): Zaken API 1.5.1's _zoek has no filter
 * on vestiging.kvkNummer, so by nietNatuurlijkPersoon.innNnpId when the
 * agency fills that with the KVK number ("kvk"), and by
 * vestiging.vestigingsNummer when the subject names a vestiging. The
 * filters are never trusted: every zaak's owner is checked on our side
 * (find_subject). */
static mz_adapter_status zgw_refresh(void *state, mz_sink *sink, const mz_subject *subject,
                                     int64_t deadline_ms, char *err, size_t errlen)
{
    zgw *z = state;
    if (subject->kind == MZ_SUBJECT_BSN) {
        if (!mz_bsn_valid(subject->id, strlen(subject->id))) {
            snprintf(err, errlen, "invalid BSN");
            return MZ_ADAPTER_REFUSED;
        }
        return search_by(z, sink, subject,
                         "rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn", subject->id,
                         deadline_ms, err, errlen);
    }
    if (!mz_kvk_valid(subject->id, strlen(subject->id))) {
        snprintf(err, errlen, "invalid KVK number");
        return MZ_ADAPTER_REFUSED;
    }
    bool by_nnp = z->roles.business == MZ_ZGW_BUSINESS_KVK;
    bool by_vestiging = z->roles.business != MZ_ZGW_BUSINESS_NONE && subject->vestiging[0];
    if (!by_nnp && !by_vestiging) {
        snprintf(err, errlen, "this agency offers no search for a business");
        return MZ_ADAPTER_UNSUPPORTED;
    }
    mz_adapter_status st = MZ_ADAPTER_OK;
    if (by_nnp)
        st = search_by(z, sink, subject,
                       "rol__betrokkeneIdentificatie__nietNatuurlijkPersoon__innNnpId", subject->id,
                       deadline_ms, err, errlen);
    if (st == MZ_ADAPTER_OK && by_vestiging)
        st =
            search_by(z, sink, subject, "rol__betrokkeneIdentificatie__vestiging__vestigingsNummer",
                      subject->vestiging, deadline_ms, err, errlen);
    return st;
}

static mz_adapter_status zgw_fetch(void *state, mz_sink *sink, const char *url, int64_t deadline_ms,
                                   char *err, size_t errlen)
{
    zgw *z = state;
    call c = call_new(z, client(z), deadline_ms, err, errlen);
    char full[2200];
    snprintf(full, sizeof full, "%s%s", url, z->expand ? "?expand=" EXPAND : "");
    mz_json_doc *d;
    mz_adapter_status st = request(&c, "GET", strchr(url, '?') ? url : full, NULL, &d);
    if (st == MZ_ADAPTER_OK) {
        st = emit_zaak(&c, mz_json_root(d), NULL, sink);
        mz_json_free_wiped(d);
    }
    mz_workpool_stop(c.doc_pool);
    mz_outbound_free(c.cli);
    return st;
}

/* --- a document's content (adapter.h fetch_document) */

static bool fd_start(void *ud, int64_t length)
{
    mz_doc_sink *s = ud;
    return s->start(s->ud, length);
}

static bool fd_data(void *ud, const char *p, size_t n)
{
    mz_doc_sink *s = ud;
    return s->data(s->ud, p, n);
}

static bool fd_keep_going(void *ud)
{
    mz_doc_sink *s = ud;
    return !s->keep_going || s->keep_going(s->ud);
}

/* The metadata is read again first: a document whose confidentiality or
 * status changed since it was listed is not served (sink->gone), and the
 * inhoud URL is the current one (it must be under documentenUrl). Then the
 * inhoud is streamed (mz_outbound_stream: never a redirect, the same URL
 * and address rules). */
static mz_adapter_status zgw_fetch_document(void *state, const char *source_url,
                                            const char *content_url, mz_doc_sink *sink,
                                            size_t max_bytes, int64_t deadline_ms, char *err,
                                            size_t errlen)
{
    (void)content_url; /* the current one comes with the metadata read again */
    zgw *z = state;
    if (!z->documenten_url || !under(source_url, z->documenten_url)) {
        sink->gone = true;
        snprintf(err, errlen, "the document is not under this agency's documentenUrl");
        return MZ_ADAPTER_REFUSED;
    }
    call c = call_new(z, client(z), deadline_ms, err, errlen);
    mz_json_doc *d = NULL;
    mz_adapter_status st = request(&c, "GET", source_url, NULL, &d);
    char *inhoud = NULL;
    if (st != MZ_ADAPTER_OK) {
        sink->gone = c.last_status == 404 || c.last_status == 410;
    } else if (!doc_visible(z, mz_json_root(d))) {
        sink->gone = true;
        snprintf(err, errlen, "the document is no longer one the citizen may see");
        st = MZ_ADAPTER_REFUSED;
    } else {
        inhoud = mz_xstrdup(mz_zgw_str(mz_json_root(d), "inhoud"));
        if (!inhoud || !under(inhoud, z->documenten_url)) {
            snprintf(err, errlen, "the document has no content under documentenUrl");
            st = MZ_ADAPTER_UNAVAILABLE;
        }
    }
    mz_json_free_wiped(d);
    char *auth = st == MZ_ADAPTER_OK ? bearer(z) : NULL;
    if (st == MZ_ADAPTER_OK && !auth) {
        snprintf(err, errlen, "cannot sign the ZGW client token");
        st = MZ_ADAPTER_REFUSED;
    }
    if (st == MZ_ADAPTER_OK) {
        const char *hdrs[] = {auth, "Accept: */*", NULL};
        mz_outbound_stream_cb cb = {fd_start, fd_data, fd_keep_going, sink};
        mz_outbound_result r;
        mz_outbound_status os =
            mz_outbound_stream(c.cli, inhoud, hdrs, max_bytes, deadline_ms, &cb, &r);
        if (os == MZ_OUT_OK && r.status == 200) {
            st = MZ_ADAPTER_OK;
        } else if (os == MZ_OUT_OK && r.status >= 300 && r.status < 400) {
            snprintf(err, errlen, "the agency redirected the download (HTTP %ld); not followed",
                     r.status);
            st = MZ_ADAPTER_REFUSED;
        } else if (os == MZ_OUT_OK) {
            sink->gone = r.status == 404 || r.status == 410;
            snprintf(err, errlen, "the agency answered the download with HTTP %ld", r.status);
            st = r.status == 401 || r.status == 403 ? MZ_ADAPTER_REFUSED : MZ_ADAPTER_UNAVAILABLE;
        } else {
            snprintf(err, errlen, "%s", r.error);
            st = os == MZ_OUT_REFUSED || os == MZ_OUT_TOO_LARGE ? MZ_ADAPTER_REFUSED
                                                                : MZ_ADAPTER_UNAVAILABLE;
        }
        OPENSSL_cleanse(auth, strlen(auth));
    }
    free(auth);
    free(inhoud);
    mz_outbound_free(c.cli);
    return st;
}

static void zgw_free(void *state)
{
    zgw *z = state;
    if (!z)
        return;
    free(z->zaken_url);
    free(z->catalogi_url);
    free(z->client_id);
    if (z->secret)
        OPENSSL_cleanse(z->secret, strlen(z->secret));
    free(z->secret);
    free(z->user_id);
    free(z->user_repr);
    free(z->link_template);
    free(z->documenten_url);
    free(z->besluiten_url);
    free(z->token);
    mz_zgw_catalogi_free(z->catalogi);
    pthread_mutex_destroy(&z->lock);
    free(z);
}

static char *strip_slash(const char *s)
{
    char *d = mz_xstrdup(s);
    size_t n = strlen(d);
    while (n > 0 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

/* `expand` and `fetchHistory`: optional booleans, default true. */
static bool flags(const mz_json *s, bool *expand, bool *fetch_hist, char *err, size_t errlen)
{
    const char *names[2] = {"expand", "fetchHistory"};
    bool *out[2] = {expand, fetch_hist};
    for (int i = 0; i < 2; i++) {
        const mz_json *v = mz_json_get(s, names[i]);
        if (v && v->type != MZ_JSON_BOOL) {
            snprintf(err, errlen, "%s: must be true or false", names[i]);
            return false;
        }
        *out[i] = v ? v->u.boolean : true;
    }
    return true;
}

/* documentConfidentiality: a non-empty array of vertrouwelijkheidaanduidingen
 * whose documents the citizen may see (default ["openbaar"]). */
static bool doc_levels(const mz_json *s, unsigned *out, char *err, size_t errlen)
{
    const mz_json *v = mz_json_get(s, "documentConfidentiality");
    *out = 1u; /* openbaar */
    if (!v)
        return true;
    if (v->type != MZ_JSON_ARRAY || v->u.kids.count == 0) {
        snprintf(err, errlen,
                 "documentConfidentiality: must be a non-empty array of "
                 "vertrouwelijkheidaanduidingen");
        return false;
    }
    *out = 0;
    for (const mz_json *e = v->u.kids.first; e; e = e->next) {
        size_t i = 0;
        while (i < N_CONFIDENTIALITY &&
               (e->type != MZ_JSON_STRING || strcmp(e->u.str.s, CONFIDENTIALITY[i]) != 0))
            i++;
        if (i == N_CONFIDENTIALITY) {
            snprintf(err, errlen,
                     "documentConfidentiality: each must be one of openbaar, beperkt_openbaar, "
                     "intern, zaakvertrouwelijk, vertrouwelijk, confidentieel, geheim, "
                     "zeer_geheim");
            return false;
        }
        *out |= 1u << i;
    }
    return true;
}

static void *zgw_init(const mz_agency *agency, const mz_json *s, char *err, size_t errlen)
{
    const char *zaken, *catalogi, *client_id, *user_id, *user_repr, *tmpl, *documenten, *besluiten;
    unsigned levels;
    long timeout, concurrency;
    bool expand, fetch_hist;
    mz_zgw_roles roles;
    if (!mz_cfg_url(s, "zakenUrl", true, &zaken, err, errlen) ||
        !mz_cfg_url(s, "catalogiUrl", true, &catalogi, err, errlen) ||
        !mz_cfg_url(s, "documentenUrl", false, &documenten, err, errlen) ||
        !mz_cfg_url(s, "besluitenUrl", false, &besluiten, err, errlen) ||
        !doc_levels(s, &levels, err, errlen) ||
        !mz_cfg_string(s, "clientId", true, 200, &client_id, err, errlen) ||
        !mz_cfg_string(s, "userId", false, 200, &user_id, err, errlen) ||
        !mz_cfg_string(s, "userRepresentation", false, 200, &user_repr, err, errlen) ||
        !mz_cfg_url(s, "caseLinkTemplate", false, &tmpl, err, errlen) ||
        !mz_cfg_long(s, "timeoutMs", 100, 120000, 10000, &timeout, err, errlen) ||
        !mz_cfg_long(s, "concurrency", 1, MAX_CONCURRENCY, 4, &concurrency, err, errlen) ||
        !flags(s, &expand, &fetch_hist, err, errlen) ||
        !mz_zgw_subject_roles(s, &roles, err, errlen))
        return NULL;
    char *secret = mz_secret_resolve(s, "secret", true, err, errlen);
    if (!secret)
        return NULL;
    zgw *z = mz_xcalloc(1, sizeof *z);
    z->roles = roles;
    z->agency = agency;
    z->zaken_url = strip_slash(zaken);
    z->catalogi_url = strip_slash(catalogi);
    z->documenten_url = documenten ? strip_slash(documenten) : NULL;
    z->besluiten_url = besluiten ? strip_slash(besluiten) : NULL;
    z->doc_levels = levels;
    z->client_id = mz_xstrdup(client_id);
    z->secret = secret;
    z->user_id = mz_xstrdup(user_id ? user_id : "mijnzaken");
    z->user_repr = mz_xstrdup(user_repr ? user_repr : "MijnZaken");
    z->link_template = mz_xstrdup(tmpl);
    z->timeout_ms = timeout;
    z->concurrency = concurrency;
    z->expand = expand;
    z->history = fetch_hist;
    z->catalogi = mz_zgw_catalogi_new();
    pthread_mutex_init(&z->lock, NULL);
    return z;
}

const mz_adapter_ops mz_adapter_zgw = {
    .kind = "zgw",
    .init = zgw_init,
    .sync = zgw_sync,
    .refresh_subject = zgw_refresh,
    .fetch_case = zgw_fetch,
    .base_urls = zgw_base_urls,
    .fetch_document = zgw_fetch_document,
    .free = zgw_free,
};
