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
 * their turn (see "history prefetch" below).
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

#include "adapter.h"
#include "agencies.h"
#include "auth.h"
#include "bsn.h"
#include "buf.h"
#include "crypto.h"
#include "events.h"
#include "outbound.h"

#define EXPAND    "zaaktype,status,status.statustype,resultaat,resultaat.resultaattype,rollen"
#define CACHE_TTL 3600
#define MAX_PAGES 10000

typedef struct type_info {
    char *url;
    time_t fetched;
    char *omschrijving;
    char *statustekst;   /* statustype */
    char *identificatie; /* zaaktype */
    long volgnummer;
    bool eind;
} type_info;

/* Rol.omschrijvingGeneriek (Zaken API 1.5.1, Rol_omschrijvingGeneriekEnum). */
static const char *const ROLE_NAMES[] = {"adviseur",        "behandelaar",   "belanghebbende",
                                         "beslisser",       "initiator",     "klantcontacter",
                                         "zaakcoordinator", "mede_initiator"};
#define N_ROLES ((int)(sizeof ROLE_NAMES / sizeof ROLE_NAMES[0]))

typedef struct zgw {
    const mz_agency *agency;
    char *zaken_url, *catalogi_url, *client_id, *secret, *user_id, *user_repr, *link_template;
    long timeout_ms;
    long concurrency; /* history requests in flight at once during a walk (1: one by one) */
    bool expand, history;
    int roles[N_ROLES]; /* subjectRoles: indices into ROLE_NAMES, in order of precedence */
    int nroles;
    pthread_mutex_t lock; /* guards cache and token */
    type_info *cache;
    size_t ncache, capcache;
    char *token;
    time_t token_at;
} zgw;

/* --- small helpers */

static const char *jstr(const mz_json *o, const char *k)
{
    const mz_json *v = mz_json_get(o, k);
    const char *s = mz_json_string(v, NULL);
    return s && *s ? s : NULL;
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* "2026-01-02" from a date or date-time text, into out[11]; NULL if absent. */
/* Only a real calendar date gets through: what the store would refuse
 * must not reach it (a notification's fetch would otherwise fail forever). */
static const char *date_part(const char *s, char out[11])
{
    if (!s || strlen(s) < 10)
        return NULL;
    memcpy(out, s, 10);
    out[10] = '\0';
    return mz_valid_date(out) ? out : NULL;
}

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
        out = malloc(n);
        snprintf(out, n, "Authorization: Bearer %s", z->token);
    }
    pthread_mutex_unlock(&z->lock);
    return out;
}

/* --- requests */

typedef struct prefetch prefetch;
typedef struct pf_job pf_job;

typedef struct call {
    zgw *z;
    mz_outbound *cli;
    int64_t deadline;
    long last_status; /* HTTP status of the last response, 0 if none */
    char *err;
    size_t errlen;
    prefetch *pf; /* history prefetch of a sync or search walk, or NULL */
    pf_job *job;  /* the prefetched history of the zaak being turned into a record, or NULL */
    bool outside; /* the last refusal was a URL outside the base URLs (a per-record problem) */
} call;

static mz_adapter_status request(call *c, const char *method, const char *url, const char *body,
                                 mz_json_doc **doc)
{
    *doc = NULL;
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
        if (!*doc || mz_json_root(*doc)->type != MZ_JSON_OBJECT) {
            snprintf(c->err, c->errlen, "agency answered with invalid JSON (%s)",
                     *doc ? "not an object" : perr);
            mz_json_free(*doc);
            *doc = NULL;
            out = MZ_ADAPTER_UNAVAILABLE;
        }
    }
    mz_outbound_result_free(&r);
    return out;
}

/* --- Catalogi cache */

static void type_fill(type_info *t, const mz_json *o)
{
    t->omschrijving = xstrdup(jstr(o, "omschrijving"));
    t->statustekst = xstrdup(jstr(o, "statustekst"));
    t->identificatie = xstrdup(jstr(o, "identificatie"));
    int64_t v = 0;
    t->volgnummer = mz_json_int64(mz_json_get(o, "volgnummer"), &v) ? (long)v : 0;
    const mz_json *e = mz_json_get(o, "isEindstatus");
    t->eind = e && e->type == MZ_JSON_BOOL && e->u.boolean;
}

static void type_clear(type_info *t)
{
    free(t->url);
    free(t->omschrijving);
    free(t->statustekst);
    free(t->identificatie);
    memset(t, 0, sizeof *t);
}

/* Copies the cached entry for url into *out (caller clears); false if absent. */
static bool cache_get(zgw *z, const char *url, type_info *out)
{
    bool hit = false;
    time_t now = time(NULL);
    pthread_mutex_lock(&z->lock);
    for (size_t i = 0; i < z->ncache; i++)
        if (strcmp(z->cache[i].url, url) == 0 && now - z->cache[i].fetched < CACHE_TTL) {
            type_info *t = &z->cache[i];
            *out = (type_info){xstrdup(t->url),
                               t->fetched,
                               xstrdup(t->omschrijving),
                               xstrdup(t->statustekst),
                               xstrdup(t->identificatie),
                               t->volgnummer,
                               t->eind};
            hit = true;
            break;
        }
    pthread_mutex_unlock(&z->lock);
    return hit;
}

static void cache_put(zgw *z, const char *url, const mz_json *o)
{
    pthread_mutex_lock(&z->lock);
    type_info *slot = NULL;
    for (size_t i = 0; i < z->ncache; i++)
        if (strcmp(z->cache[i].url, url) == 0)
            slot = &z->cache[i];
    if (!slot && z->ncache < 10000) {
        if (z->ncache == z->capcache) {
            size_t cap = z->capcache ? z->capcache * 2 : 32;
            type_info *n = realloc(z->cache, cap * sizeof *n);
            if (n) {
                z->cache = n;
                z->capcache = cap;
            }
        }
        if (z->ncache < z->capcache)
            slot = &z->cache[z->ncache++];
        if (slot)
            memset(slot, 0, sizeof *slot);
    }
    if (slot) {
        type_clear(slot);
        slot->url = strdup(url);
        slot->fetched = time(NULL);
        type_fill(slot, o);
    }
    pthread_mutex_unlock(&z->lock);
}

/* Resolves a Catalogi object: from an expansion, the cache, or a request. */
static mz_adapter_status type_get(call *c, const char *url, const mz_json *expanded, type_info *out)
{
    memset(out, 0, sizeof *out);
    if (!url)
        return MZ_ADAPTER_OK;
    if (expanded && expanded->type == MZ_JSON_OBJECT) {
        cache_put(c->z, url, expanded);
        type_fill(out, expanded);
        out->url = strdup(url);
        return MZ_ADAPTER_OK;
    }
    if (cache_get(c->z, url, out))
        return MZ_ADAPTER_OK;
    mz_json_doc *d;
    mz_adapter_status st = request(c, "GET", url, NULL, &d);
    if (st != MZ_ADAPTER_OK && c->last_status == 404) {
        /* A type the Catalogi API does not know: show the case with an
         * unknown status rather than failing the whole sync. */
        out->url = strdup(url);
        return MZ_ADAPTER_OK;
    }
    if (st != MZ_ADAPTER_OK)
        return st;
    cache_put(c->z, url, mz_json_root(d));
    type_fill(out, mz_json_root(d));
    out->url = strdup(url);
    mz_json_free(d);
    return MZ_ADAPTER_OK;
}

/* --- mapping */

static const char *group_for(const zgw *z, const type_info *st, bool has_result, bool suspended)
{
    const char *m = mz_agency_map_status(z->agency, st->omschrijving);
    if (!m)
        m = mz_agency_map_status(z->agency, st->statustekst);
    if (m)
        return m;
    if (st->eind)
        return has_result ? "decided" : "closed";
    if (has_result)
        return "decided";
    if (suspended)
        return "on_hold";
    if (st->volgnummer == 1)
        return "received";
    return "in_progress";
}

static const char *text_for(const type_info *st)
{
    if (st->statustekst)
        return st->statustekst;
    if (st->omschrijving)
        return st->omschrijving;
    return "Onbekende status";
}

/* "<zakenUrl>/<resource_and_query>zaak=<zaak url, percent-encoded>", malloc'd. */
static char *zaak_query(const zgw *z, const char *resource_and_query, const char *zaak_url)
{
    mz_buf u = MZ_BUF_INIT;
    mz_buf_printf(&u, "%s/%szaak=", z->zaken_url, resource_and_query);
    for (const char *p = zaak_url; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            mz_buf_putc(&u, (char)ch);
        else
            mz_buf_printf(&u, "%%%02X", ch);
    }
    return mz_buf_steal(&u, NULL);
}

/* The owner of a zaak (see "entitlement" above), built up from its rollen. */
typedef struct owner {
    int rank; /* position in z->roles of the owner's role; z->nroles = no owner (yet) */
    char bsn[10];
} owner;

static void owner_init(const zgw *z, owner *o)
{
    o->rank = z->nroles;
    o->bsn[0] = '\0';
}

static bool owner_found(const zgw *z, const owner *o)
{
    return o->rank < z->nroles;
}

static void owner_clear(owner *o)
{
    memset(o, 0, sizeof *o);
}

/* Takes the entitled natural persons of a list of rollen into o: only
 * rollen of this zaak (their `zaak` field), natuurlijk_persoon with a
 * valid inpBsn, in one of the agency's subjectRoles. */
static void owner_consider(const zgw *z, owner *o, const mz_json *rollen, const char *zaak_url)
{
    if (!rollen || rollen->type != MZ_JSON_ARRAY)
        return;
    for (const mz_json *r = rollen->u.kids.first; r; r = r->next) {
        const char *type = jstr(r, "betrokkeneType"), *of = jstr(r, "zaak");
        const char *gen = jstr(r, "omschrijvingGeneriek");
        if (!type || strcmp(type, "natuurlijk_persoon") != 0 || !of || strcmp(of, zaak_url) != 0 ||
            !gen)
            continue;
        int rank = 0;
        while (rank < z->nroles && strcmp(ROLE_NAMES[z->roles[rank]], gen) != 0)
            rank++;
        if (rank == z->nroles || rank > o->rank)
            continue;
        size_t n;
        const char *b =
            mz_json_string(mz_json_get(mz_json_get(r, "betrokkeneIdentificatie"), "inpBsn"), &n);
        if (!b || !mz_bsn_valid(b, n))
            continue;
        if (rank < o->rank || memcmp(b, o->bsn, 9) < 0) {
            memcpy(o->bsn, b, 9);
            o->bsn[9] = '\0';
            o->rank = rank;
        }
    }
}

/* True when the zaak's `_expand.rollen` holds all of its rollen: as many
 * as its `rollen` URL list names (when it has that list). */
static const mz_json *expanded_rollen(const mz_json *zaak)
{
    const mz_json *ex = mz_json_get(mz_json_get(zaak, "_expand"), "rollen");
    if (!ex || ex->type != MZ_JSON_ARRAY)
        return NULL;
    const mz_json *urls = mz_json_get(zaak, "rollen");
    if (urls && (urls->type != MZ_JSON_ARRAY || urls->u.kids.count != ex->u.kids.count))
        return NULL;
    return ex;
}

/* Follows a paginated ZGW list from `first` (malloc'd; taken over), GET, or
 * POST with body for _zoek: hands each page's `results` (NULL when absent)
 * to fn until the last page, max_pages, an error, or fn setting *stop.
 * first_doc: the first page when it was fetched already (taken over;
 * `first` is then its URL), else NULL. */
typedef mz_adapter_status (*page_fn)(call *c, const mz_json *results, void *ud, bool *stop);

static mz_adapter_status pages_from(call *c, mz_json_doc *first_doc, char *first, const char *body,
                                    int max_pages, page_fn fn, void *ud)
{
    char *next = first;
    mz_adapter_status st = MZ_ADAPTER_OK;
    bool stop = false;
    for (int page = 0; next && page < max_pages && !stop; page++) {
        mz_json_doc *d = first_doc;
        first_doc = NULL;
        if (!d)
            st = request(c, body ? "POST" : "GET", next, body, &d);
        free(next);
        next = NULL;
        if (st != MZ_ADAPTER_OK)
            break;
        const mz_json *root = mz_json_root(d);
        st = fn(c, mz_json_get(root, "results"), ud, &stop);
        if (st == MZ_ADAPTER_OK && !stop)
            next = xstrdup(jstr(root, "next"));
        mz_json_free(d);
    }
    mz_json_free(first_doc);
    free(next);
    return st;
}

/* pages_from without a page fetched ahead. */
static mz_adapter_status each_page(call *c, char *first, const char *body, int max_pages,
                                   page_fn fn, void *ud)
{
    return pages_from(c, NULL, first, body, max_pages, fn, ud);
}

typedef struct rollen_ud {
    const char *zaak_url;
    owner *o;
} rollen_ud;

static mz_adapter_status rollen_page(call *c, const mz_json *res, void *ud, bool *stop)
{
    rollen_ud *r = ud;
    owner_consider(c->z, r->o, res, r->zaak_url);
    *stop = false; /* every page: a later one may hold a better-placed rol */
    return MZ_ADAPTER_OK;
}

/* The zaak's owner from its expanded rollen when complete, else from every
 * page of /rollen?zaak=<url>. */
static mz_adapter_status zaak_owner(call *c, const mz_json *zaak, const char *zaak_url, owner *o)
{
    owner_init(c->z, o);
    const mz_json *ex = expanded_rollen(zaak);
    if (ex) {
        owner_consider(c->z, o, ex, zaak_url);
        return MZ_ADAPTER_OK;
    }
    rollen_ud ud = {zaak_url, o};
    return each_page(c, zaak_query(c->z, "rollen?", zaak_url), NULL, 100, rollen_page, &ud);
}

typedef struct history {
    mz_case_event *ev;
    size_t n;
    char **owned; /* strings to free */
    size_t nowned;
} history;

static char *own(history *h, const char *s)
{
    char *d = strdup(s);
    h->owned = realloc(h->owned, (h->nowned + 1) * sizeof *h->owned);
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
        const char *surl = jstr(s, "url"), *at = jstr(s, "datumStatusGezet");
        type_info t;
        if (!surl || !at)
            continue;
        st = type_get(c, jstr(s, "statustype"), NULL, &t);
        if (st != MZ_ADAPTER_OK)
            break;
        h->ev = realloc(h->ev, (h->n + 1) * sizeof *h->ev);
        h->ev[h->n++] = (mz_case_event){own(h, group_for(c->z, &t, false, false)),
                                        own(h, text_for(&t)), own(h, at), own(h, surl)};
        type_clear(&t);
    }
    *stop = false;
    return st;
}

/* --- history prefetch
 *
 * Why: a sync asks for every zaak's status history (/statussen?zaak=), one
 * request per zaak after one request per page of 100 zaken. One after
 * another, their round trips were most of a sync's time. A page's history
 * requests are therefore handed to a few worker threads (each with its own
 * outbound client: keep-alive, retries, timeouts and the deadline as for
 * any request) as soon as the page arrives, in page order, while the
 * calling thread turns the zaken into records in order and takes each
 * zaak's first statussen page when it gets there. The requests are the same
 * ones (only the first page of each history is fetched ahead; later pages,
 * rare, follow as before), the records and their order are the same, and a
 * failed history request fails the sync at that zaak as before, with its
 * error. After a failure no further requests are started ahead: the
 * calling thread makes the remaining ones itself, if it gets that far.
 * Only zaken whose history will be asked for are fetched ahead: those with
 * a URL and, from their complete expanded rollen, an owner (for a search:
 * the searched citizen). */
#define PREFETCH_MAX_WORKERS 16

typedef enum { JOB_PENDING, JOB_RUNNING, JOB_DONE } job_state;

struct pf_job {
    char *url; /* the first statussen page */
    job_state state;
    mz_adapter_status st;
    mz_json_doc *doc;
    long last_status;
    char err[256];
};

struct prefetch {
    zgw *z;
    int64_t deadline;
    pthread_mutex_t mu;
    pthread_cond_t work; /* a page's jobs were posted, or stop */
    pthread_cond_t done; /* a job finished */
    pf_job *jobs;        /* the current page's jobs (owned by the page walker) */
    size_t njobs, next;  /* next: the first job not yet taken */
    bool failed, stop;
    pthread_t th[PREFETCH_MAX_WORKERS];
    int nth;
};

static mz_outbound *client(zgw *z);

/* Runs one job on cli (outside the lock). */
static void job_run(prefetch *p, mz_outbound *cli, pf_job *j)
{
    call wc = {p->z, cli, p->deadline, 0, j->err, sizeof j->err, NULL, NULL, false};
    j->st = request(&wc, "GET", j->url, NULL, &j->doc);
    j->last_status = wc.last_status;
}

static void *prefetch_main(void *arg)
{
    prefetch *p = arg;
    mz_outbound *cli = client(p->z);
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        if (!cli || p->failed || p->next >= p->njobs) {
            pthread_cond_wait(&p->work, &p->mu);
            continue;
        }
        pf_job *j = &p->jobs[p->next++];
        if (j->state != JOB_PENDING)
            continue;
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&p->mu);
        job_run(p, cli, j);
        pthread_mutex_lock(&p->mu);
        j->state = JOB_DONE;
        if (j->st != MZ_ADAPTER_OK)
            p->failed = true;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    mz_outbound_free(cli);
    return NULL;
}

/* Starts up to `workers` threads; NULL (no prefetch: requests are made one
 * by one) when none could be started. */
static prefetch *prefetch_start(zgw *z, int64_t deadline, int workers)
{
    prefetch *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->z = z;
    p->deadline = deadline;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (workers > PREFETCH_MAX_WORKERS)
        workers = PREFETCH_MAX_WORKERS;
    while (p->nth < workers && pthread_create(&p->th[p->nth], NULL, prefetch_main, p) == 0)
        p->nth++;
    if (p->nth == 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->done);
        free(p);
        return NULL;
    }
    return p;
}

static void prefetch_stop(prefetch *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p);
}

/* Posts a page's jobs (owned by the caller until prefetch_end). */
static void prefetch_post(prefetch *p, pf_job *jobs, size_t n)
{
    pthread_mutex_lock(&p->mu);
    p->jobs = jobs;
    p->njobs = n;
    p->next = 0;
    p->failed = false;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

/* The page is done (or failed): no job is started any more; waits for
 * those running, then frees what they fetched. */
static void prefetch_end(prefetch *p, pf_job *jobs, size_t n)
{
    pthread_mutex_lock(&p->mu);
    p->next = p->njobs;
    for (size_t i = 0; i < n; i++)
        while (jobs[i].state == JOB_RUNNING)
            pthread_cond_wait(&p->done, &p->mu);
    p->jobs = NULL;
    p->njobs = p->next = 0;
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < n; i++) {
        free(jobs[i].url);
        mz_json_free(jobs[i].doc);
    }
}

/* Job j's outcome, waiting for it or (not taken yet) fetching it here on
 * c's own client. On success the first page's document is handed over. */
static mz_adapter_status prefetch_take(call *c, pf_job *j, mz_json_doc **doc)
{
    prefetch *p = c->pf;
    pthread_mutex_lock(&p->mu);
    bool mine = j->state == JOB_PENDING;
    if (mine)
        j->state = JOB_RUNNING;
    while (!mine && j->state != JOB_DONE)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
    if (mine) {
        call wc = *c;
        wc.err = j->err;
        wc.errlen = sizeof j->err;
        j->st = request(&wc, "GET", j->url, NULL, &j->doc);
        j->last_status = wc.last_status;
        pthread_mutex_lock(&p->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&p->done);
        pthread_mutex_unlock(&p->mu);
    }
    c->last_status = j->last_status;
    if (j->st != MZ_ADAPTER_OK)
        snprintf(c->err, c->errlen, "%s", j->err);
    *doc = j->doc;
    j->doc = NULL;
    return j->st;
}

/* True when emit_zaak will ask for this zaak's history (see above). */
static bool history_wanted(const zgw *z, const mz_json *zaak, const char *bsn)
{
    const char *url = jstr(zaak, "url");
    const mz_json *rollen = expanded_rollen(zaak);
    if (!z->history || !url || !rollen)
        return false;
    owner o;
    owner_init(z, &o);
    owner_consider(z, &o, rollen, url);
    bool wanted = owner_found(z, &o) && (!bsn || strcmp(o.bsn, bsn) == 0);
    owner_clear(&o);
    return wanted;
}

static mz_adapter_status fetch_history(call *c, const char *zaak_url, history *h)
{
    char *first = zaak_query(c->z, "statussen?", zaak_url);
    mz_json_doc *doc = NULL;
    if (c->job && strcmp(c->job->url, first) == 0) {
        mz_adapter_status st = prefetch_take(c, c->job, &doc);
        if (st != MZ_ADAPTER_OK) {
            free(first);
            return st;
        }
    }
    return pages_from(c, doc, first, NULL, 100, history_page, h);
}

/* Turns one zaak (possibly with _expand) into a record and emits it, or
 * skips it (counted by reason). bsn: the searched citizen
 * (refresh_subject), who must be the zaak's owner; NULL otherwise. */
static mz_adapter_status emit_zaak(call *c, const mz_json *zaak, const char *bsn, mz_sink *sink)
{
    c->outside = false;
    const char *url = jstr(zaak, "url");
    if (!url) {
        mz_sink_skip(sink, MZ_SKIP_INCOMPLETE);
        return MZ_ADAPTER_OK;
    }
    if (!mz_outbound_allowed(c->cli, url)) { /* another system's zaak */
        mz_sink_skip(sink, MZ_SKIP_URL_OUTSIDE_BASE);
        return MZ_ADAPTER_OK;
    }
    const mz_json *ex = mz_json_get(zaak, "_expand");
    char who[10];
    {
        owner o;
        mz_adapter_status ost = zaak_owner(c, zaak, url, &o);
        if (ost == MZ_ADAPTER_REFUSED && c->outside) {
            owner_clear(&o);
            mz_sink_skip(sink, MZ_SKIP_URL_OUTSIDE_BASE);
            return MZ_ADAPTER_OK;
        }
        if (ost != MZ_ADAPTER_OK) {
            owner_clear(&o);
            return ost;
        }
        mz_skip_reason why = !owner_found(c->z, &o)           ? MZ_SKIP_NO_SUBJECT
                             : bsn && strcmp(o.bsn, bsn) != 0 ? MZ_SKIP_NOT_SUBJECT
                                                              : MZ_SKIP__COUNT;
        memcpy(who, o.bsn, sizeof who);
        owner_clear(&o);
        if (why != MZ_SKIP__COUNT) {
            memset(who, 0, sizeof who);
            mz_sink_skip(sink, why);
            return MZ_ADAPTER_OK;
        }
    }
    type_info zt, stt, rt;
    const mz_json *status_obj = mz_json_get(ex, "status");
    const mz_json *result_obj = mz_json_get(ex, "resultaat");
    const char *status_url = jstr(zaak, "status");
    const char *result_url = jstr(zaak, "resultaat");
    mz_json_doc *sdoc = NULL, *rdoc = NULL;
    mz_adapter_status st = type_get(c, jstr(zaak, "zaaktype"), mz_json_get(ex, "zaaktype"), &zt);
    memset(&stt, 0, sizeof stt);
    memset(&rt, 0, sizeof rt);
    if (st == MZ_ADAPTER_OK && status_url && (!status_obj || status_obj->type != MZ_JSON_OBJECT)) {
        st = request(c, "GET", status_url, NULL, &sdoc);
        status_obj = sdoc ? mz_json_root(sdoc) : NULL;
    }
    if (st == MZ_ADAPTER_OK && status_obj)
        st = type_get(c, jstr(status_obj, "statustype"),
                      mz_json_get(mz_json_get(status_obj, "_expand"), "statustype"), &stt);
    if (st == MZ_ADAPTER_OK && result_url && (!result_obj || result_obj->type != MZ_JSON_OBJECT)) {
        st = request(c, "GET", result_url, NULL, &rdoc);
        result_obj = rdoc ? mz_json_root(rdoc) : NULL;
    }
    if (st == MZ_ADAPTER_OK && result_obj)
        st = type_get(c, jstr(result_obj, "resultaattype"),
                      mz_json_get(mz_json_get(result_obj, "_expand"), "resultaattype"), &rt);
    history h = {0};
    if (st == MZ_ADAPTER_OK && c->z->history)
        st = fetch_history(c, url, &h);
    if (st == MZ_ADAPTER_OK) {
        const mz_json *ops = mz_json_get(zaak, "opschorting");
        const mz_json *ind = mz_json_get(ops, "indicatie");
        bool suspended = ind && ind->type == MZ_JSON_BOOL && ind->u.boolean;
        bool has_result = result_obj != NULL;
        char reg[11], planned[11], deadline[11], closed[11];
        const char *registered = jstr(zaak, "registratiedatum");
        if (!registered)
            registered = jstr(zaak, "startdatum");
        const char *changed = status_obj ? jstr(status_obj, "datumStatusGezet") : NULL;
        if (changed && !mz_valid_datetime(changed))
            changed = NULL; /* unusable: fall back to the registration date */
        char changed_buf[32];
        char reg_day[11];
        if (!changed && registered && date_part(registered, reg_day)) {
            snprintf(changed_buf, sizeof changed_buf, "%s 00:00:00+00", reg_day);
            changed = changed_buf;
        }
        char link[2100];
        const char *deep = NULL;
        const char *ident = jstr(zaak, "identificatie");
        if (c->z->link_template && ident) {
            const char *ph = strstr(c->z->link_template, "{identificatie}");
            if (ph)
                snprintf(link, sizeof link, "%.*s%s%s", (int)(ph - c->z->link_template),
                         c->z->link_template, ident, ph + 15);
            else
                snprintf(link, sizeof link, "%s", c->z->link_template);
            deep = link;
        }
        char result_text[600];
        const char *result = NULL;
        if (has_result) {
            const char *tl = jstr(result_obj, "toelichting");
            snprintf(result_text, sizeof result_text, "%s%s%s",
                     rt.omschrijving ? rt.omschrijving : "Resultaat vastgesteld", tl ? ": " : "",
                     tl ? tl : "");
            result = result_text;
        }
        mz_case_record rec = {
            .agency_id = c->z->agency->id,
            .external_id = url,
            .case_number = ident,
            .title = jstr(zaak, "omschrijving") ? jstr(zaak, "omschrijving")
                     : zt.omschrijving          ? zt.omschrijving
                                                : "Zaak",
            .case_type_code = zt.identificatie,
            .case_type_label = zt.omschrijving,
            .status_group = status_obj ? group_for(c->z, &stt, has_result, suspended)
                                       : (suspended ? "on_hold" : "received"),
            .status_text = status_obj ? text_for(&stt) : "Ontvangen",
            .status_changed_at = changed,
            .registered_on = date_part(registered, reg),
            .planned_end_on = date_part(jstr(zaak, "einddatumGepland"), planned),
            .legal_deadline_on = date_part(jstr(zaak, "uiterlijkeEinddatumAfdoening"), deadline),
            .closed_on = date_part(jstr(zaak, "einddatum"), closed),
            .result_text = result,
            .deep_link_url = deep,
            .source_url = url,
            .source_updated_at = changed,
            .source = "poll",
            .events = h.ev,
            .n_events = h.n,
        };
        /* The history's entry for the current status shows what the case
         * shows (e.g. decided rather than closed once a resultaat exists). */
        for (size_t i = 0; changed && i < h.n; i++)
            if (strcmp(h.ev[i].occurred_at, changed) == 0) {
                h.ev[i].status_group = rec.status_group;
                h.ev[i].status_text = rec.status_text;
            }
        if (!changed) {
            mz_sink_skip(sink, MZ_SKIP_INCOMPLETE); /* no date at all: nothing to order by */
        } else {
            mz_pseudonym(who, 9, rec.subject_key);
            if (!sink->emit(sink, &rec))
                st = MZ_ADAPTER_ABORTED;
        }
    }
    memset(who, 0, sizeof who);
    if (st == MZ_ADAPTER_REFUSED && c->outside) {
        /* This zaak made us fetch a URL outside the base URLs (its status,
         * resultaat, a type, ...): refused, and the zaak alone skipped. */
        mz_sink_skip(sink, MZ_SKIP_URL_OUTSIDE_BASE);
        st = MZ_ADAPTER_OK;
    }
    history_free(&h);
    type_clear(&zt);
    type_clear(&stt);
    type_clear(&rt);
    mz_json_free(sdoc);
    mz_json_free(rdoc);
    return st;
}

typedef struct zaken_ud {
    const char *bsn;
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
    size_t n = 0;
    for (const mz_json *zaak = res->u.kids.first; zaak; zaak = zaak->next)
        n++;
    pf_job *jobs = NULL;
    const mz_json **of = NULL; /* the zaak each job belongs to */
    size_t njobs = 0;
    if (n > 1 && c->z->concurrency > 1 && (jobs = calloc(n, sizeof *jobs)) &&
        (of = calloc(n, sizeof *of))) {
        for (const mz_json *zaak = res->u.kids.first; zaak; zaak = zaak->next)
            if (history_wanted(c->z, zaak, z->bsn)) {
                jobs[njobs].url = zaak_query(c->z, "statussen?", jstr(zaak, "url"));
                of[njobs++] = zaak;
            }
        if (njobs > 1 && !c->pf)
            c->pf = prefetch_start(c->z, c->deadline,
                                   njobs < (size_t)c->z->concurrency ? (int)njobs
                                                                     : (int)c->z->concurrency);
        if (njobs > 1 && c->pf)
            prefetch_post(c->pf, jobs, njobs);
        else
            njobs = 0; /* nothing ahead: one by one */
    }
    mz_adapter_status st = MZ_ADAPTER_OK;
    size_t k = 0;
    for (const mz_json *zaak = res->u.kids.first; zaak && st == MZ_ADAPTER_OK; zaak = zaak->next) {
        c->job = k < njobs && of[k] == zaak ? &jobs[k++] : NULL;
        st = emit_zaak(c, zaak, z->bsn, z->sink);
    }
    c->job = NULL;
    if (njobs)
        prefetch_end(c->pf, jobs, njobs);
    else
        for (size_t i = 0; jobs && i < n; i++)
            free(jobs[i].url);
    free(jobs);
    free(of);
    return st;
}

/* Follows pages from `first` (GET, or POST with body for _zoek). */
static mz_adapter_status walk(call *c, const char *first, const char *body, const char *bsn,
                              mz_sink *sink)
{
    zaken_ud ud = {bsn, sink};
    mz_adapter_status st = each_page(c, strdup(first), body, MAX_PAGES, zaken_page, &ud);
    prefetch_stop(c->pf);
    c->pf = NULL;
    return st;
}

/* The one list of what this adapter may request: its clients' allow-list,
 * and what intake checks a notification's zaak URL against. */
static size_t zgw_base_urls(const void *state, const char **out, size_t max)
{
    const zgw *z = state;
    const char *b[2] = {z->zaken_url, z->catalogi_url};
    size_t n = 0;
    for (; n < 2 && n < max; n++)
        out[n] = b[n];
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
    call c = {z, client(z), deadline_ms, 0, err, errlen, NULL, NULL, false};
    char url[2200];
    snprintf(url, sizeof url, "%s/zaken%s", z->zaken_url, z->expand ? "?expand=" EXPAND : "");
    mz_adapter_status st = walk(&c, url, NULL, NULL, sink);
    mz_outbound_free(c.cli);
    return st;
}

static mz_adapter_status zgw_refresh(void *state, mz_sink *sink, const char *bsn,
                                     int64_t deadline_ms, char *err, size_t errlen)
{
    zgw *z = state;
    if (!mz_bsn_valid(bsn, strlen(bsn))) {
        snprintf(err, errlen, "invalid BSN");
        return MZ_ADAPTER_REFUSED;
    }
    call c = {z, client(z), deadline_ms, 0, err, errlen, NULL, NULL, false};
    char url[2200], body[300];
    snprintf(url, sizeof url, "%s/zaken/_zoek", z->zaken_url);
    snprintf(body, sizeof body,
             "{\"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn\":\"%s\"%s}", bsn,
             z->expand ? ",\"expand\":\"" EXPAND "\"" : "");
    mz_adapter_status st = walk(&c, url, body, bsn, sink);
    memset(body, 0, sizeof body);
    mz_outbound_free(c.cli);
    return st;
}

static mz_adapter_status zgw_fetch(void *state, mz_sink *sink, const char *url, int64_t deadline_ms,
                                   char *err, size_t errlen)
{
    zgw *z = state;
    call c = {z, client(z), deadline_ms, 0, err, errlen, NULL, NULL, false};
    char full[2200];
    snprintf(full, sizeof full, "%s%s", url, z->expand ? "?expand=" EXPAND : "");
    mz_json_doc *d;
    mz_adapter_status st = request(&c, "GET", strchr(url, '?') ? url : full, NULL, &d);
    if (st == MZ_ADAPTER_OK) {
        st = emit_zaak(&c, mz_json_root(d), NULL, sink);
        mz_json_free(d);
    }
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
        memset(z->secret, 0, strlen(z->secret));
    free(z->secret);
    free(z->user_id);
    free(z->user_repr);
    free(z->link_template);
    free(z->token);
    for (size_t i = 0; i < z->ncache; i++)
        type_clear(&z->cache[i]);
    free(z->cache);
    pthread_mutex_destroy(&z->lock);
    free(z);
}

static char *strip_slash(const char *s)
{
    char *d = strdup(s);
    size_t n = strlen(d);
    while (n > 0 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

/* `subjectRoles`: the roles (Rol.omschrijvingGeneriek) that make a natural
 * person entitled to see a zaak, in order of precedence; default
 * ["initiator"]. A non-empty array of distinct values of the Zaken API's
 * enum; anything else is refused (a typo must not silently entitle no one,
 * or everyone). */
static bool subject_roles(const mz_json *s, int *roles, int *n, char *err, size_t errlen)
{
    const mz_json *v = mz_json_get(s, "subjectRoles");
    *n = 0;
    if (!v) {
        for (int i = 0; i < N_ROLES; i++)
            if (strcmp(ROLE_NAMES[i], "initiator") == 0)
                roles[(*n)++] = i;
        return true;
    }
    if (v->type != MZ_JSON_ARRAY || v->u.kids.count == 0 || v->u.kids.count > N_ROLES) {
        snprintf(err, errlen,
                 "subjectRoles: must be a non-empty array of Rol.omschrijvingGeneriek values");
        return false;
    }
    for (const mz_json *e = v->u.kids.first; e; e = e->next) {
        const char *name = mz_json_string(e, NULL);
        int k = 0;
        while (name && k < N_ROLES && strcmp(ROLE_NAMES[k], name) != 0)
            k++;
        if (!name || k == N_ROLES) {
            snprintf(err, errlen,
                     "subjectRoles[%d]: must be one of adviseur, behandelaar, belanghebbende, "
                     "beslisser, initiator, klantcontacter, zaakcoordinator, mede_initiator",
                     *n);
            return false;
        }
        for (int i = 0; i < *n; i++)
            if (roles[i] == k) {
                snprintf(err, errlen, "subjectRoles[%d]: %s is listed twice", *n, ROLE_NAMES[k]);
                return false;
            }
        roles[(*n)++] = k;
    }
    return true;
}

static void *zgw_init(const mz_agency *agency, const mz_json *s, char *err, size_t errlen)
{
    const char *zaken, *catalogi, *client_id, *user_id, *user_repr, *tmpl;
    long timeout, concurrency;
    if (!mz_cfg_url(s, "zakenUrl", true, &zaken, err, errlen) ||
        !mz_cfg_url(s, "catalogiUrl", true, &catalogi, err, errlen) ||
        !mz_cfg_string(s, "clientId", true, 200, &client_id, err, errlen) ||
        !mz_cfg_string(s, "userId", false, 200, &user_id, err, errlen) ||
        !mz_cfg_string(s, "userRepresentation", false, 200, &user_repr, err, errlen) ||
        !mz_cfg_url(s, "caseLinkTemplate", false, &tmpl, err, errlen) ||
        !mz_cfg_long(s, "timeoutMs", 100, 120000, 10000, &timeout, err, errlen) ||
        !mz_cfg_long(s, "concurrency", 1, PREFETCH_MAX_WORKERS, 4, &concurrency, err, errlen))
        return NULL;
    bool flags[2] = {true, true};
    const char *names[2] = {"expand", "fetchHistory"};
    for (int i = 0; i < 2; i++) {
        const mz_json *v = mz_json_get(s, names[i]);
        if (v && v->type != MZ_JSON_BOOL) {
            snprintf(err, errlen, "%s: must be true or false", names[i]);
            return NULL;
        }
        if (v)
            flags[i] = v->u.boolean;
    }
    int roles[N_ROLES], nroles;
    if (!subject_roles(s, roles, &nroles, err, errlen))
        return NULL;
    char *secret = mz_secret_resolve(s, "secret", true, err, errlen);
    if (!secret)
        return NULL;
    zgw *z = calloc(1, sizeof *z);
    memcpy(z->roles, roles, sizeof roles);
    z->nroles = nroles;
    z->agency = agency;
    z->zaken_url = strip_slash(zaken);
    z->catalogi_url = strip_slash(catalogi);
    z->client_id = strdup(client_id);
    z->secret = secret;
    z->user_id = strdup(user_id ? user_id : "mijnzaken");
    z->user_repr = strdup(user_repr ? user_repr : "MijnZaken");
    z->link_template = xstrdup(tmpl);
    z->timeout_ms = timeout;
    z->concurrency = concurrency;
    z->expand = flags[0];
    z->history = flags[1];
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
    .free = zgw_free,
};
