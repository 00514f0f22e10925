/*
 * h_documents.c — a case's documents (issue 16, migration 014):
 *   GET /api/v1/me/cases/{caseId}/documents                        (citizen)
 *   GET /api/v1/me/cases/{caseId}/documents/{documentId}/content   (citizen)
 *   GET /api/v1/cases/{caseId}/documents?purpose=                  (professional)
 *
 * Whose: a document is found only through its case, and the case only as
 * the case detail finds it (the caller's own, within a representative's
 * scope): another citizen's case, another case's document and a document
 * never listed (a confidential one is never stored) all answer 404 alike.
 * The ids are ours; the agency's URLs never leave the service.
 *
 * Professionals see the list (title, format, size, date: enough to tell a
 * citizen "the decision letter was sent on ..."), not the content: the
 * content is the citizen's correspondence, a professional who needs it
 * works in the agency's own system, and no purpose in the processing
 * activities covers reading it here (docs/security.md, "Documents").
 *
 * The download streams the agency's content through the service, never
 * redirecting the browser to the agency (whose URL, credentials and
 * network the citizen must not see). A thread of its own (the feeder) runs
 * the adapter's fetch_document, which re-reads the metadata (a document
 * made confidential since it was listed is not served) and streams the
 * inhoud into a bounded ring buffer (RING bytes: memory stays flat whatever
 * the size). The request waits (suspended, holding no HTTP thread) until
 * the first MZ_DOCTYPE_SNIFF bytes are in; then, on an HTTP thread:
 *   - the bytes decide the type (doctype.h: an allow-list by magic bytes;
 *     anything else is 502 and the transfer is stopped);
 *   - the processing-log record is written (committed) before the first
 *     byte goes out — no record, no content (503);
 *   - the answer starts: the proven Content-Type, Content-Disposition:
 *     attachment with a safe file name, Cache-Control: no-store, and the
 *     agency's Content-Length when it announced one (at most
 *     MZ_DOCUMENT_MAX_BYTES; more is refused before, or stopped during, the
 *     transfer).
 * MHD then pulls from the ring (reader); when it is empty the connection
 * is suspended until the feeder brings more. The whole transfer ends by
 * MZ_DOCUMENT_DEADLINE_SECONDS. When the agency stops early (a reset, a
 * shorter body than announced, the deadline, the size cap) the reader ends
 * the response with an error: MHD closes the connection before the
 * announced length or the last chunk, so the browser sees a failed
 * download, never a shorter file that looks whole.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "activities.h"
#include "agencies.h"
#include "alloc.h"
#include "cases_json.h"
#include "config.h"
#include "doctype.h"
#include "handlers.h"
#include "log.h"
#include "outbound.h"
#include "plog.h"

#define RING ((size_t)256 * 1024)

/* Feeder threads running, and whether the service is stopping (see
 * mz_documents_drain). */
static atomic_int g_feeders;
static atomic_bool g_stopping;

/* --- the processing log */

static bool log_citizen(mz_req *r, mz_db *db, const mz_trace *t, const unsigned char *key,
                        const char *outcome)
{
    const mz_principal *p = &r->principal;
    mz_plog_entry e = {.trace = t,
                       .activity = p->has_actor ? mz_activity_representative() : mz_activity_self(),
                       .organisation = g_mz_config.organisation,
                       .subject_key = key,
                       .subject_kind = p->has_kvk ? "kvk" : "bsn",
                       .actor_key = p->has_actor ? p->actor_key : NULL,
                       .started_at = r->started_at,
                       .outcome = outcome,
                       .actor_kind = NULL,
                       .actor_id = NULL,
                       .endpoint = r->route->pattern};
    if (mz_plog_write(db, &e))
        return true;
    mz_reply_unavailable(r, "the processing log cannot be written; no data is shown without it");
    return false;
}

/* The caller's case (as the case detail finds it): the CASE_GET row, or
 * NULL after an answer (400, 404 logged, 503). */
static PGresult *own_case(mz_req *r, mz_db *db, mz_db *rdb, const mz_trace *t,
                          const unsigned char *key)
{
    const char *id = mz_req_param(r, "caseId");
    if (!mz_uuid_valid(id)) {
        mz_reply_problem(r, MZ_P_BAD_PARAMETER, "caseId must be a UUID");
        return NULL;
    }
    char scope[MZ_AUTH_MAX_SCOPE * 64 + 4];
    const char *vals[3] = {id, (const char *)key,
                           mz_principal_scope_literal(&r->principal, scope, sizeof scope)};
    const int lens[3] = {0, MZ_PSEUDONYM_LEN, 0};
    const int fmts[3] = {0, 1, 0};
    PGresult *res = rdb ? MZ_DB_EXEC_BIN(rdb, MZ_STMT_CASE_GET, vals, lens, fmts) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return NULL;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (log_citizen(r, db, t, key, "not_found"))
            mz_reply_problem(r, MZ_P_NOT_FOUND, "no such case");
        return NULL;
    }
    return res;
}

/* {"items": [...]} of a case's documents into b; false after a 503. */
static bool documents_json(mz_req *r, mz_db *rdb, const char *case_id, mz_buf *b)
{
    const char *v[1] = {case_id};
    PGresult *res = MZ_DB_EXEC(rdb, MZ_STMT_CASE_DOCUMENTS, v);
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return false;
    }
    mz_buf_puts(b, "{\"items\":[");
    for (int i = 0; i < PQntuples(res); i++) {
        mz_buf_puts(b, i ? ",{\"id\":" : "{\"id\":");
        mz_json_cstr(b, PQgetvalue(res, i, MZ_COL_CASE_DOCUMENTS_ID));
        mz_buf_puts(b, ",\"title\":");
        mz_json_cstr(b, PQgetvalue(res, i, MZ_COL_CASE_DOCUMENTS_TITLE));
        mz_buf_puts(b, ",\"format\":");
        mz_json_cstr(b, PQgetisnull(res, i, MZ_COL_CASE_DOCUMENTS_FORMAT)
                            ? NULL
                            : PQgetvalue(res, i, MZ_COL_CASE_DOCUMENTS_FORMAT));
        mz_buf_puts(b, ",\"size\":");
        mz_buf_puts(b, PQgetisnull(res, i, MZ_COL_CASE_DOCUMENTS_SIZE_BYTES)
                           ? "null"
                           : PQgetvalue(res, i, MZ_COL_CASE_DOCUMENTS_SIZE_BYTES));
        mz_buf_puts(b, ",\"date\":");
        mz_json_cstr(b, PQgetisnull(res, i, MZ_COL_CASE_DOCUMENTS_DOCUMENT_DATE)
                            ? NULL
                            : PQgetvalue(res, i, MZ_COL_CASE_DOCUMENTS_DOCUMENT_DATE));
        mz_buf_putc(b, '}');
    }
    mz_buf_puts(b, "]}");
    PQclear(res);
    return true;
}

void mz_h_me_case_documents(mz_req *r)
{
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    mz_db *db = mz_db_thread(), *rdb = mz_db_thread_read();
    PGresult *c = own_case(r, db, rdb, &t, key);
    if (!c)
        return;
    mz_buf b = MZ_BUF_INIT;
    bool ok = documents_json(r, rdb, PQgetvalue(c, 0, MZ_COL_CASE_GET_ID), &b) &&
              log_citizen(r, db, &t, key, "success");
    PQclear(c);
    if (!ok) {
        mz_buf_free(&b);
        return;
    }
    mz_reply_json(r, 200, &b);
    mz_trace_header(r, &t);
}

/* --- professionals: the list only */

void mz_h_cases_documents(mz_req *r)
{
    const char *id = mz_req_param(r, "caseId");
    if (!mz_uuid_valid(id)) {
        mz_reply_problem(r, MZ_P_BAD_PARAMETER, "caseId must be a UUID");
        return;
    }
    const char *purpose = mz_req_query(r, "purpose");
    const mz_activity *a = mz_activity_for_purpose(purpose);
    if (!a) {
        mz_reply_bad_param(r, "purpose",
                           purpose ? "is not one of the configured processing activities"
                                   : "is required: the processing activity this look-up serves");
        return;
    }
    mz_trace t;
    mz_trace_begin(r, &t);
    const char *vals[1] = {id};
    mz_db *db = mz_db_thread(), *rdb = mz_db_thread_read();
    PGresult *res = rdb ? MZ_DB_EXEC(rdb, MZ_STMT_CASE_GET_ANY, vals) : NULL;
    if (!mz_db_ok(res)) {
        PQclear(res);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    if (PQntuples(res) == 0) { /* no case, no data subject: nothing read */
        PQclear(res);
        mz_reply_problem(r, MZ_P_NOT_FOUND, "no such case");
        return;
    }
    unsigned char key[MZ_PSEUDONYM_LEN];
    const char *hex = PQgetvalue(res, 0, MZ_COL_CASE_GET_ANY_SUBJECT_KEY_HEX);
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++)
        key[i] = (unsigned char)(mz_hexval(hex[2 * i]) << 4 | mz_hexval(hex[2 * i + 1]));
    mz_buf b = MZ_BUF_INIT;
    bool ok = documents_json(r, rdb, id, &b);
    if (ok) {
        mz_plog_entry e = {.trace = &t,
                           .activity = a,
                           .organisation =
                               r->principal.org[0] ? r->principal.org : g_mz_config.organisation,
                           .subject_key = key,
                           .subject_kind = PQgetvalue(res, 0, MZ_COL_CASE_GET_ANY_SUBJECT_KIND),
                           .started_at = r->started_at,
                           .outcome = "success",
                           .actor_kind = "professional",
                           .actor_id = r->principal.sub,
                           .endpoint = r->route->pattern};
        ok = mz_plog_write(db, &e);
        if (!ok)
            mz_reply_unavailable(
                r, "the processing log cannot be written; no data is shown without it");
    }
    PQclear(res);
    if (!ok) {
        mz_buf_free(&b);
        return;
    }
    mz_reply_json(r, 200, &b);
    mz_trace_header(r, &t);
}

/* --- the download */

typedef struct dl {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* space in the ring (feeder waits), or cancelled */
    int refs;          /* the feeder, and the request (then its response) */
    mz_req *r;         /* the suspended request, until it is resumed */
    struct MHD_Connection *conn;
    const mz_agency *agency; /* of the serving set: retired sets are never freed */
    char *source_url, *content_url;
    char *format;            /* the agency's claim, only for office types (doctype.h) */
    char *file_name, *title; /* for the name the citizen saves it under */
    size_t max;
    int64_t deadline_ms; /* CLOCK_MONOTONIC */
    char *buf;           /* the ring */
    size_t head, len;
    unsigned char sniff[MZ_DOCTYPE_SNIFF];
    size_t nsniff;
    int64_t length; /* announced by the agency, -1 none */
    bool started, finished, ok, gone, cancelled, resumed, conn_waiting;
    char err[256];
} dl;

static void dl_release(dl *d)
{
    pthread_mutex_lock(&d->mu);
    bool last = --d->refs == 0;
    pthread_mutex_unlock(&d->mu);
    if (!last)
        return;
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d->source_url);
    free(d->content_url);
    free(d->format);
    free(d->file_name);
    free(d->title);
    free(d->buf);
    free(d);
}

/* Under d->mu: the request learns that there is something to decide on. */
static void ready_locked(dl *d)
{
    if (!d->resumed) {
        d->resumed = true;
        mz_req_resume(d->r);
    }
}

/* Under d->mu: the reader, waiting for bytes, gets them. */
static void wake_reader_locked(dl *d)
{
    if (d->conn_waiting) {
        d->conn_waiting = false;
        MHD_resume_connection(d->conn);
    }
}

static bool dl_start(void *ud, int64_t length)
{
    dl *d = ud;
    pthread_mutex_lock(&d->mu);
    d->started = true;
    d->length = length;
    bool go = !d->cancelled;
    pthread_mutex_unlock(&d->mu);
    return go;
}

/* Waits (under d->mu) for space or the deadline; false when the transfer
 * must stop (cancelled, or the deadline passed: a reader that does not
 * read must not hold the agency's connection open). */
static bool wait_space_locked(dl *d)
{
    while (d->len == RING && !d->cancelled && !atomic_load(&g_stopping)) {
        int64_t left = d->deadline_ms - mz_outbound_now_ms();
        if (left <= 0)
            return false;
        if (left > 1000)
            left = 1000; /* a second at a time: a shutdown does not wait for the deadline */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)(left / 1000);
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cv, &d->mu, &ts);
    }
    return !d->cancelled && !atomic_load(&g_stopping);
}

static bool dl_data(void *ud, const char *p, size_t n)
{
    dl *d = ud;
    pthread_mutex_lock(&d->mu);
    while (n > 0) {
        if (atomic_load(&g_stopping) || !wait_space_locked(d)) {
            pthread_mutex_unlock(&d->mu);
            return false;
        }
        size_t tail = (d->head + d->len) % RING;
        size_t k = RING - d->len;
        if (k > RING - tail)
            k = RING - tail; /* up to the end of the buffer; the rest next round */
        if (k > n)
            k = n;
        memcpy(d->buf + tail, p, k);
        for (size_t i = 0; i < k && d->nsniff < MZ_DOCTYPE_SNIFF; i++)
            d->sniff[d->nsniff++] = (unsigned char)p[i];
        d->len += k;
        p += k;
        n -= k;
        if (d->nsniff == MZ_DOCTYPE_SNIFF)
            ready_locked(d);
        wake_reader_locked(d);
    }
    pthread_mutex_unlock(&d->mu);
    return true;
}

/* Asked while the agency sends (or keeps us waiting): the citizen has
 * gone away, or the service is stopping. */
static bool dl_keep_going(void *ud)
{
    dl *d = ud;
    pthread_mutex_lock(&d->mu);
    bool go = !d->cancelled;
    pthread_mutex_unlock(&d->mu);
    return go && !atomic_load(&g_stopping);
}

static void *feeder(void *arg)
{
    dl *d = arg;
    mz_doc_sink sink = {dl_start, dl_data, dl_keep_going, d, false};
    char err[256] = "";
    mz_adapter_status st =
        d->agency->ops->fetch_document(d->agency->state, d->source_url, d->content_url, &sink,
                                       d->max, d->deadline_ms, err, sizeof err);
    pthread_mutex_lock(&d->mu);
    d->finished = true;
    d->ok = st == MZ_ADAPTER_OK;
    d->gone = sink.gone;
    snprintf(d->err, sizeof d->err, "%s", err);
    ready_locked(d);
    wake_reader_locked(d);
    pthread_mutex_unlock(&d->mu);
    if (st != MZ_ADAPTER_OK) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_WARN, "document download failed");
        mz_log_str(&l, "agency", d->agency->id);
        mz_log_str(&l, "status", mz_adapter_status_name(st));
        mz_log_str(&l, "error", err);
        mz_log_end(&l);
    }
    dl_release(d);
    atomic_fetch_sub(&g_feeders, 1);
    return NULL;
}

void mz_documents_drain(long max_ms)
{
    atomic_store(&g_stopping, true);
    for (long waited = 0; atomic_load(&g_feeders) > 0 && waited < max_ms; waited += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* MHD pulls the content (see the top of the file). */
static ssize_t dl_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    dl *d = cls;
    pthread_mutex_lock(&d->mu);
    if (d->len == 0) {
        ssize_t ret;
        if (d->cancelled || (d->finished && !d->ok)) {
            ret = MHD_CONTENT_READER_END_WITH_ERROR; /* a failed download, not a short file */
        } else if (d->finished) {
            ret = MHD_CONTENT_READER_END_OF_STREAM;
        } else {
            /* nothing yet: off the event loop until the feeder brings more */
            d->conn_waiting = true;
            MHD_suspend_connection(d->conn);
            ret = 0;
        }
        pthread_mutex_unlock(&d->mu);
        return ret;
    }
    size_t k = d->len < max ? d->len : max;
    if (k > RING - d->head)
        k = RING - d->head;
    memcpy(out, d->buf + d->head, k);
    d->head = (d->head + k) % RING;
    d->len -= k;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return (ssize_t)k;
}

/* The response is gone (sent, or the client went away): stop the feeder. */
static void dl_resp_free(void *cls)
{
    dl *d = cls;
    pthread_mutex_lock(&d->mu);
    d->cancelled = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    dl_release(d);
}

static void dl_cancel(dl *d)
{
    pthread_mutex_lock(&d->mu);
    d->cancelled = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Why the agency's answer cannot be passed on, for the citizen (no URL,
 * no agency detail). */
static const char *failure_detail(const char *err)
{
    if (strstr(err, "redirect"))
        return "the agency redirected the download elsewhere; this service does not follow "
               "redirects";
    if (strstr(err, "larger than"))
        return "the document is larger than this service passes on";
    if (strstr(err, "deadline"))
        return "the agency did not deliver the document in time";
    return "the agency did not deliver the document";
}

/* Runs on an HTTP thread once the first bytes are in or the feeder ended. */
static void dl_cont(mz_req *r)
{
    dl *d = r->async_data;
    r->async_data = NULL;
    pthread_mutex_lock(&d->mu);
    d->r = NULL;
    bool started = d->started, finished = d->finished, ok = d->ok, gone = d->gone;
    size_t nsniff = d->nsniff;
    unsigned char sniff[MZ_DOCTYPE_SNIFF];
    memcpy(sniff, d->sniff, sizeof sniff);
    int64_t length = d->length;
    char err[256];
    snprintf(err, sizeof err, "%s", d->err);
    pthread_mutex_unlock(&d->mu);

    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    mz_db *db = mz_db_thread();
    mz_doctype type;
    /* Nothing has gone out yet: a transfer that already failed is said so
     * plainly, whatever bytes came before. */
    if (!started || (finished && !ok)) {
        dl_cancel(d);
        if (log_citizen(r, db, &t, key, gone ? "not_found" : "error")) {
            if (gone)
                mz_reply_problem(r, MZ_P_NOT_FOUND, "no such document");
            else
                mz_reply_problem(r, MZ_P_BAD_GATEWAY, failure_detail(err));
        }
        dl_release(d);
        return;
    }
    if (!mz_doctype_sniff(sniff, nsniff, d->format, &type)) {
        dl_cancel(d);
        if (log_citizen(r, db, &t, key, "error"))
            mz_reply_problem(r, MZ_P_BAD_GATEWAY,
                             "the document's content is not of a type this service passes on "
                             "(PDF, PNG, JPEG, GIF or an office document)");
        dl_release(d);
        return;
    }
    /* The record first: no record, no content. */
    if (!log_citizen(r, db, &t, key, "success")) {
        dl_cancel(d);
        dl_release(d);
        return;
    }
    char name[128], disp[200];
    mz_doctype_file_name(d->file_name, d->title, type.ext, name, sizeof name);
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name);
    mz_reply_stream(r, 200, type.media_type, length >= 0 ? (uint64_t)length : MHD_SIZE_UNKNOWN,
                    dl_read, d, dl_resp_free);
    mz_reply_header(r, "Content-Disposition", disp);
    mz_reply_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
    mz_trace_header(r, &t);
}

void mz_h_me_case_document_content(mz_req *r)
{
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_principal_key(&r->principal, key);
    mz_trace t;
    mz_trace_begin(r, &t);
    const char *doc_id = mz_req_param(r, "documentId");
    if (!mz_uuid_valid(doc_id)) {
        mz_reply_problem(r, MZ_P_BAD_PARAMETER, "documentId must be a UUID");
        return;
    }
    mz_db *db = mz_db_thread(), *rdb = mz_db_thread_read();
    PGresult *c = own_case(r, db, rdb, &t, key);
    if (!c)
        return;
    const char *v[2] = {PQgetvalue(c, 0, MZ_COL_CASE_GET_ID), doc_id};
    PGresult *res = MZ_DB_EXEC(rdb, MZ_STMT_CASE_DOCUMENT_GET, v);
    if (!mz_db_ok(res)) {
        PQclear(res);
        PQclear(c);
        mz_reply_unavailable(r, "the case store is unavailable; try again shortly");
        return;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        PQclear(c);
        if (log_citizen(r, db, &t, key, "not_found"))
            mz_reply_problem(r, MZ_P_NOT_FOUND, "no such document");
        return;
    }
    const mz_agency *a =
        mz_agencies_find(mz_agencies_current(), PQgetvalue(c, 0, MZ_COL_CASE_GET_AGENCY_ID));
    PQclear(c);
    if (!a || !a->ops || !a->ops->fetch_document || !a->state) {
        PQclear(res);
        if (log_citizen(r, db, &t, key, "error"))
            mz_reply_problem(r, MZ_P_BAD_GATEWAY,
                             "this agency's documents cannot be downloaded at the moment");
        return;
    }
    dl *d = mz_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    d->refs = 2;
    d->r = r;
    d->conn = r->conn;
    d->agency = a;
    d->source_url = mz_xstrdup(PQgetvalue(res, 0, MZ_COL_CASE_DOCUMENT_GET_SOURCE_URL));
    d->content_url = PQgetisnull(res, 0, MZ_COL_CASE_DOCUMENT_GET_CONTENT_URL)
                         ? NULL
                         : mz_xstrdup(PQgetvalue(res, 0, MZ_COL_CASE_DOCUMENT_GET_CONTENT_URL));
    d->format = PQgetisnull(res, 0, MZ_COL_CASE_DOCUMENT_GET_FORMAT)
                    ? NULL
                    : mz_xstrdup(PQgetvalue(res, 0, MZ_COL_CASE_DOCUMENT_GET_FORMAT));
    d->max = (size_t)g_mz_config.document_max_bytes;
    d->deadline_ms = mz_outbound_now_ms() + g_mz_config.document_deadline_seconds * 1000;
    d->length = -1;
    d->buf = mz_xmalloc(RING);
    d->file_name = PQgetisnull(res, 0, MZ_COL_CASE_DOCUMENT_GET_FILE_NAME)
                       ? NULL
                       : mz_xstrdup(PQgetvalue(res, 0, MZ_COL_CASE_DOCUMENT_GET_FILE_NAME));
    d->title = mz_xstrdup(PQgetvalue(res, 0, MZ_COL_CASE_DOCUMENT_GET_TITLE));
    PQclear(res);
    r->async_data = d;
    mz_req_suspend(r, dl_cont);
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&g_feeders, 1);
    if (pthread_create(&th, &at, feeder, d) != 0) {
        atomic_fetch_sub(&g_feeders, 1);
        pthread_mutex_lock(&d->mu);
        d->finished = true;
        snprintf(d->err, sizeof d->err, "cannot start a download thread");
        d->refs--; /* the feeder's */
        ready_locked(d);
        pthread_mutex_unlock(&d->mu);
    }
    pthread_attr_destroy(&at);
}
