#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "bsn.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "session.h"
#include "signin.h"
#include "static_files.h"

/* Retry-After on every 503: a few seconds, the time a database restart
 * or a reconnect takes. */
#define MZ_RETRY_AFTER_SECONDS "5"

static struct MHD_Daemon *g_daemon;
static atomic_long g_in_flight; /* requests between arrival and completion */
static atomic_bool g_draining;  /* mz_http_drain: new connections are closed at once */

int64_t mz_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- router */

/* Matches one pattern against a path; captures {name} segments. */
static bool match(const char *pattern, const char *path, mz_req *r)
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            const char *se = strchr(s, '/');
            size_t slen = se ? (size_t)(se - s) : strlen(s);
            if (slen == 0 || slen > 200 || np >= MZ_MAX_PATH_PARAMS)
                return false;
            if (r) {
                r->param_name[np] = p + 1; /* name runs to '}' */
                r->param_value[np] = mz_xstrndup(s, slen);
                r->nparams = np + 1;
            }
            np++;
            p = pe + 1;
            s += slen;
            continue;
        }
        if (*p != *s)
            return false;
        p++, s++;
    }
    return *p == '\0' && *s == '\0';
}

static void clear_params(mz_req *r)
{
    for (int i = 0; i < r->nparams; i++) {
        free(r->param_value[i]);
        r->param_value[i] = NULL;
    }
    r->nparams = 0;
}

const mz_route *mz_route_find(const char *method, const char *path, bool *path_known, char *allow,
                              size_t allowlen, mz_req *r)
{
    size_t n;
    const mz_route *routes = mz_routes(&n);
    *path_known = false;
    if (allowlen)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((routes[i].flags & MZ_R_DEV) && !g_mz_config.dev_mode)
            continue; /* development-only routes do not exist outside that mode */
        if (!match(routes[i].pattern, path, NULL))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            if (r) {
                clear_params(r);
                match(routes[i].pattern, path, r);
            }
            return &routes[i];
        }
        *path_known = true;
        if (allowlen) {
            size_t used = strlen(allow);
            snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", routes[i].method);
        }
    }
    return NULL;
}

const char *mz_req_param(const mz_req *r, const char *name)
{
    size_t nl = strlen(name);
    for (int i = 0; i < r->nparams; i++)
        if (strncmp(r->param_name[i], name, nl) == 0 && r->param_name[i][nl] == '}')
            return r->param_value[i];
    return NULL;
}

const char *mz_req_query(const mz_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *mz_req_header(const mz_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *mz_req_cookie(const mz_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *mz_req_session_cookie(const mz_req *r)
{
    return mz_signin_sessions() ? mz_req_cookie(r, mz_session_cookie_name()) : NULL;
}

/* --- responses */

static void set_response(mz_req *r, unsigned status, struct MHD_Response *resp,
                         const char *content_type)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "API-Version", MZ_API_VERSION);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (status == 503) /* every 503, whoever builds it */
        MHD_add_response_header(resp, "Retry-After", MZ_RETRY_AFTER_SECONDS);
    /* no-store unless public (the portal's files, fn NULL, set their own) */
    bool portal = r->route && r->route->fn == NULL;
    if (!portal && (!r->route || !(r->route->flags & MZ_R_PUBLIC) || status >= 400))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
}

void mz_reply_json(mz_req *r, unsigned status, mz_buf *b)
{
    size_t len;
    char *data = mz_buf_steal(b, &len);
    set_response(r, status, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE),
                 "application/json");
}

void mz_reply_text(mz_req *r, unsigned status, const char *content_type, mz_buf *b)
{
    size_t len;
    char *data = mz_buf_steal(b, &len);
    set_response(r, status, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE),
                 content_type);
}

void mz_reply_stream(mz_req *r, unsigned status, const char *content_type, uint64_t size,
                     MHD_ContentReaderCallback reader, void *cls,
                     MHD_ContentReaderFreeCallback free_cb)
{
    /* 16 KiB pieces: the connection's buffer comes out of its 64 KiB pool */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(size, 16384, reader, cls, free_cb);
    if (!resp) {
        free_cb(cls);
        mz_reply_problem(r, MZ_P_SERVICE_UNAVAILABLE, "the download could not be started");
        return;
    }
    set_response(r, status, resp, content_type);
}

void mz_reply_static(mz_req *r, unsigned status, const char *content_type, const char *data,
                     size_t len)
{
    set_response(r, status,
                 MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT),
                 content_type);
}

/* One slug, one status, one title per problem type (tests/unit/
 * test_router.c test_problem_types; the contract's examples agree,
 * tests/unit/test_oas.c documented_problems_match_table). */
static const mz_problem_type problem_types[MZ_P_COUNT] = {
    {MZ_P_BAD_REQUEST, "bad-request", 400, "Bad request"},
    {MZ_P_BAD_PARAMETER, "bad-parameter", 400, "Invalid parameter"},
    {MZ_P_UNAUTHORIZED, "unauthorized", 401, "Authentication required"},
    {MZ_P_FORBIDDEN, "forbidden", 403, "Forbidden"},
    {MZ_P_NOT_FOUND, "not-found", 404, "Not found"},
    {MZ_P_METHOD_NOT_ALLOWED, "method-not-allowed", 405, "Method not allowed"},
    {MZ_P_CONFLICT, "conflict", 409, "Conflict"},
    {MZ_P_PAYLOAD_TOO_LARGE, "payload-too-large", 413, "Request body too large"},
    {MZ_P_URI_TOO_LONG, "uri-too-long", 414, "URI too long"},
    {MZ_P_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", 415, "Unsupported media type"},
    {MZ_P_HEADERS_TOO_LARGE, "headers-too-large", 431, "Request header fields too large"},
    {MZ_P_INTERNAL_ERROR, "internal-error", 500, "Internal error"},
    {MZ_P_BAD_GATEWAY, "bad-gateway", 502, "Bad gateway"},
    {MZ_P_SERVICE_UNAVAILABLE, "service-unavailable", 503, "Service unavailable"},
};

const mz_problem_type *mz_problem_types(size_t *n)
{
    *n = MZ_P_COUNT;
    return problem_types;
}

void mz_reply_problem(mz_req *r, mz_problem p, const char *detail)
{
    const mz_problem_type *t = &problem_types[(unsigned)p < MZ_P_COUNT ? p : MZ_P_INTERNAL_ERROR];
    unsigned status = t->status;
    const char *slug = t->slug, *title = t->title;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"type\":\"urn:mijnzaken:problem:");
    mz_buf_puts(&b, slug);
    mz_buf_puts(&b, "\",\"title\":");
    mz_json_cstr(&b, title);
    mz_buf_printf(&b, ",\"status\":%u,\"detail\":", status);
    mz_json_cstr(&b, detail ? detail : title);
    mz_buf_puts(&b, ",\"instance\":\"urn:mijnzaken:request:");
    mz_buf_puts(&b, r->request_id);
    mz_buf_puts(&b, "\"}");
    size_t len;
    char *data = mz_buf_steal(&b, &len);
    set_response(r, status, MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE),
                 "application/problem+json");
}

void mz_reply_header(mz_req *r, const char *name, const char *value)
{
    if (r->resp)
        MHD_add_response_header(r->resp, name, value);
}

const char *mz_safe_echo(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 40 || mz_contains_bsn_like(s, n))
        return "(redacted)";
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '[' || c == ']'))
            return "(redacted)";
    }
    return s;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

const char *mz_target_problem(const char *target)
{
    for (const char *p = target; (p = strchr(p, '%')) != NULL; p++) {
        if (!is_hex(p[1]) || !is_hex(p[2]))
            return "the request target has a '%' that starts no percent-escape";
        if (p[1] == '0' && p[2] == '0')
            return "the request target holds an encoded NUL (%00)";
    }
    return NULL;
}

void mz_reply_bad_param(mz_req *r, const char *param, const char *detail)
{
    char msg[256];
    snprintf(msg, sizeof msg, "query parameter '%s': %s", mz_safe_echo(param), detail);
    mz_reply_problem(r, MZ_P_BAD_PARAMETER, msg);
}

void mz_reply_unavailable(mz_req *r, const char *detail)
{
    mz_reply_problem(r, MZ_P_SERVICE_UNAVAILABLE, detail); /* Retry-After: set_response */
}

void mz_req_suspend(mz_req *r, mz_handler cont)
{
    r->cont = cont;
    MHD_suspend_connection(r->conn);
}

void mz_req_resume(mz_req *r)
{
    MHD_resume_connection(r->conn);
}

/* --- request processing */

typedef struct query_check {
    const char *const *allowed;
    const char *bad;
    const char *why;
    const char *seen[16];
    int nseen;
} query_check;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    (void)value;
    query_check *q = cls;
    bool ok = false;
    for (const char *const *a = q->allowed; a && *a; a++)
        if (strcmp(*a, key) == 0)
            ok = true;
    if (!ok) {
        q->bad = key, q->why = "unknown parameter";
        return MHD_NO;
    }
    for (int i = 0; i < q->nseen; i++)
        if (strcmp(q->seen[i], key) == 0) {
            q->bad = key, q->why = "given more than once";
            return MHD_NO;
        }
    if (q->nseen < 16)
        q->seen[q->nseen++] = key;
    return MHD_YES;
}

static void unauthorized(mz_req *r, const char *why)
{
    mz_reply_problem(r, MZ_P_UNAUTHORIZED, why);
    mz_reply_header(r, "WWW-Authenticate", "Bearer realm=\"mijnzaken\", error=\"invalid_token\"");
}

static bool safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

static void dispatch(mz_req *r, const char *url)
{
    bool path_known;
    char allow[64];
    const mz_route *route = mz_route_find(r->method, url, &path_known, allow, sizeof allow, r);
    if (!route && !path_known && mz_static_serve(r, url))
        return;
    if (!route) {
        if (path_known) {
            mz_reply_problem(r, MZ_P_METHOD_NOT_ALLOWED,
                             "this resource does not support the request method");
            mz_reply_header(r, "Allow", allow);
        } else {
            mz_reply_problem(r, MZ_P_NOT_FOUND, "no such resource");
        }
        return;
    }
    r->route = route;
    if (r->body_too_large) {
        mz_reply_problem(r, MZ_P_PAYLOAD_TOO_LARGE,
                         "the request body exceeds the configured limit");
        return;
    }
    query_check q = {.allowed = route->query};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &q);
    if (q.bad) {
        mz_reply_bad_param(r, q.bad, q.why);
        return;
    }
    const char *cookie = mz_req_session_cookie(r);
    /* CSRF: a browser attaches the cookie to requests other sites make
     * it send; for anything but a safe method the request must come from
     * the portal's own pages (SameSite=Lax already keeps the cookie off
     * cross-site POSTs in current browsers; this does not rely on it). */
    if (cookie && !safe_method(r->method)) {
        const char *origin = mz_req_header(r, "Origin");
        if (!origin || strcmp(origin, mz_signin_origin()) != 0) {
            mz_reply_problem(r, MZ_P_FORBIDDEN,
                             "a request with the session cookie and an unsafe method must carry "
                             "the portal's Origin header");
            return;
        }
    }
    if (route->flags & (MZ_R_AUTH | MZ_R_SESSION)) {
        const char *authz = mz_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
        if (cookie && authz) {
            mz_reply_problem(r, MZ_P_BAD_REQUEST,
                             "send either the session cookie or a bearer token, not both");
            return;
        }
        if (!cookie && (route->flags & MZ_R_SESSION)) {
            unauthorized(r, "not signed in (no session cookie)");
            return;
        }
        if (cookie) {
            unsigned char id[MZ_SESSION_ID_BYTES];
            int found = mz_session_id_parse(cookie, id)
                            ? mz_session_load(mz_db_thread(), id, &r->session, &r->principal)
                            : 0;
            OPENSSL_cleanse(id, sizeof id);
            if (found < 0) {
                mz_reply_unavailable(r, "the session store is unavailable");
                return;
            }
            if (found == 0) {
                unauthorized(r, "the session has ended or expired; sign in again");
                return;
            }
        }
    }
    if ((route->flags & MZ_R_AUTH) && !r->session.active) {
        const char *why = NULL;
        if (!mz_auth_verify(mz_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION), &r->principal, &why)) {
            unauthorized(r, why);
            return;
        }
    }
    if (route->flags & MZ_R_AUTH) {
        if (route->flags & MZ_R_CITIZEN) {
            if (r->principal.roles) {
                mz_reply_problem(r, MZ_P_FORBIDDEN, "this endpoint is for citizens");
                return;
            }
            if (!r->principal.has_bsn && !r->principal.has_kvk && r->session.n_choices > 0) {
                /* several authorisations, none chosen yet (session.h) */
                mz_reply_problem(r, MZ_P_FORBIDDEN,
                                 "this sign-in holds several authorisations: choose whose cases "
                                 "to see first (PUT /api/v1/session/representation)");
                return;
            }
            if (!r->principal.has_bsn && !r->principal.has_kvk) {
                unauthorized(r, "token has no bsn or kvk claim");
                return;
            }
        }
        if ((route->flags & MZ_R_PROFESSIONAL) && !(r->principal.roles & MZ_ROLE_PROFESSIONAL)) {
            mz_reply_problem(r, MZ_P_FORBIDDEN, "this endpoint is for professionals");
            return;
        }
        if ((route->flags & MZ_R_ADMIN) && !(r->principal.roles & MZ_ROLE_ADMIN)) {
            mz_reply_problem(r, MZ_P_FORBIDDEN, "this endpoint is for administrators");
            return;
        }
    }
    route->fn(r);
    if (!r->resp && !r->cont)
        mz_reply_problem(r, MZ_P_INTERNAL_ERROR, "the request could not be completed");
}

#define MZ_MAX_HEADER_BYTES 16384

/* What the first look at the request headers needs: their total size and
 * how often the headers that must occur at most once occur (MHD keeps
 * every occurrence, and its lookups return only the first). */
typedef struct header_scan {
    size_t bytes;
    int content_length, transfer_encoding, host, authorization;
} header_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    header_scan *h = cls;
    h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        h->content_length++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        h->transfer_encoding++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        h->host++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0)
        h->authorization++;
    return MHD_YES;
}

/* Answers what we refuse before reading any body; false when the request
 * may proceed. The caller queues the answer in the first call, which makes
 * MHD close the connection: for ambiguous framing that is the point, as
 * the bytes that follow must never be read as another request. */
static bool refuse_early(mz_req *r)
{
    header_scan h = {0};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_header, &h);
    if (h.bytes > MZ_MAX_HEADER_BYTES) {
        mz_reply_problem(r, MZ_P_HEADERS_TOO_LARGE, "the request headers exceed 16 KiB");
        return true;
    }
    /* Request smuggling: when a proxy in front of us and MHD (which reads
     * the first Content-Length, and ignores Content-Length when
     * Transfer-Encoding is present) could disagree on where this request
     * ends, refuse it (RFC 9112 6.3). */
    const char *framing = NULL;
    if (h.content_length > 1)
        framing = "the request has more than one Content-Length header";
    else if (h.transfer_encoding > 1)
        framing = "the request has more than one Transfer-Encoding header";
    else if (h.transfer_encoding && h.content_length)
        framing = "the request has both Transfer-Encoding and Content-Length headers";
    if (framing) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, framing);
        return true;
    }
    const char *te =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te && strcasecmp(te, "chunked") != 0) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "only chunked transfer encoding is accepted");
        return true;
    }
    if (h.host > 1) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "the request has more than one Host header");
        return true;
    }
    /* Two credentials: which one counts would depend on who reads them
     * (MHD returns the first; a proxy or a log may use the last). */
    if (h.authorization > 1) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "the Authorization header is given more than once");
        return true;
    }
    /* Refuse an announced oversized body before reading any of it. */
    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > (unsigned long long)g_mz_config.max_body_bytes) {
        mz_reply_problem(r, MZ_P_PAYLOAD_TOO_LARGE,
                         "the request body exceeds the configured limit");
        return true;
    }
    return false;
}

static mz_req *req_new(struct MHD_Connection *conn)
{
    mz_req *r = mz_xcalloc(1, sizeof *r);
    r->conn = conn;
    r->method = "";
    r->start_us = mz_now_us();
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    struct tm tm;
    gmtime_r(&wall.tv_sec, &tm);
    size_t n = strftime(r->started_at, sizeof r->started_at, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(r->started_at + n, sizeof r->started_at - n, ".%06ld+00", (long)(wall.tv_nsec / 1000));
    mz_random_id(r->request_id, 26);
    return r;
}

/* MHD's URI log callback: called once per request with the target exactly
 * as sent, before MHD splits off the query and percent-decodes the path.
 * The request context starts here (MHD hands it to the access handler and
 * to completed()), so routing can use the raw path. */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    mz_req *r = req_new(conn);
    const char *u = uri ? uri : "";
    r->target_too_long = strlen(u) > MZ_MAX_TARGET_BYTES;
    r->raw_path = mz_xstrndup(u, r->target_too_long ? 0 : strcspn(u, "?"));
    if (!r->target_too_long)
        r->bad_target = mz_target_problem(u);
    return r;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)cls;
    (void)url; /* percent-decoded: we route on r->raw_path */
    (void)version;
    mz_req *r = *con_cls;
    if (!r->started) { /* r: from uri_logged, which MHD calls first */
        r->started = true;
        r->method = method;
        /* in flight from here: a client still sending its headers does
         * not hold up a graceful shutdown (mz_http_drain) */
        atomic_fetch_add(&g_in_flight, 1);
        /* Refuse what we will not read, at once (MHD then closes the
         * connection, which is what we want for these). */
        if (r->target_too_long)
            mz_reply_problem(r, MZ_P_URI_TOO_LONG, "the request target exceeds 8 KiB");
        else if (r->bad_target)
            mz_reply_problem(r, MZ_P_BAD_REQUEST, r->bad_target);
        if (r->resp || refuse_early(r)) {
            r->refused_early = true;
            mz_reply_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
            return MHD_queue_response(conn, r->status, r->resp);
        }
        return MHD_YES;
    }
    if (r->refused_early)
        return MHD_NO;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        if (!r->body_too_large && r->body_len + n <= (size_t)g_mz_config.max_body_bytes) {
            r->body = mz_xreallocarray(r->body, r->body_len + n + 1, 1);
            memcpy(r->body + r->body_len, upload_data, n);
            r->body_len += n;
            r->body[r->body_len] = '\0';
        } else {
            r->body_too_large = true;
            free(r->body);
            r->body = NULL;
            r->body_len = 0;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->cont) { /* resumed: the deferred work is done */
        mz_handler cont = r->cont;
        r->cont = NULL;
        cont(r);
        if (!r->resp)
            mz_reply_problem(r, MZ_P_INTERNAL_ERROR, "the request could not be completed");
        return MHD_queue_response(conn, r->status, r->resp);
    }
    if (r->resp) /* already answered */
        return MHD_YES;
    dispatch(r, r->raw_path);
    if (r->cont && !r->resp) /* suspended by the handler */
        return MHD_YES;
    return MHD_queue_response(conn, r->status, r->resp);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    mz_req *r = *con_cls;
    if (!r)
        return;
    int64_t dur = mz_now_us() - r->start_us;
    if (!r->status) {
        /* libmicrohttpd answered by itself (its own error page: a request
         * line or header block it could not read); log what it sent. */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        if (ci)
            r->status = ci->http_status;
    }
    mz_metrics_request(r->route, r->status, dur);
    mz_logline l;
    mz_log_begin(&l, r->status >= 500 ? MZ_LOG_ERROR : MZ_LOG_INFO, "request");
    mz_log_str(&l, "request_id", r->request_id);
    mz_log_str(&l, "method", r->method);
    mz_log_str(&l, "route", r->route ? r->route->pattern : "(unmatched)");
    mz_log_int(&l, "status", r->status);
    mz_log_int(&l, "duration_us", dur);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        mz_log_int(&l, "terminated", toe);
    mz_log_end(&l);
    clear_params(r);
    if (r->async_free && r->async_data)
        r->async_free(r->async_data);
    if (r->resp)
        MHD_destroy_response(r->resp);
    bool started = r->started;
    free(r->raw_path);
    free(r->body);
    free(r);
    *con_cls = NULL;
    if (started)
        atomic_fetch_sub(&g_in_flight, 1);
}

/* MHD's own messages may quote request data; log only the format string. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)ap;
    char msg[200];
    snprintf(msg, sizeof msg, "%s", fmt);
    char *nl = strchr(msg, '\n');
    if (nl)
        *nl = '\0';
    mz_log_msg_str(MZ_LOG_WARN, "http server", "detail", msg);
}

/* MHD's accept policy: every connection is welcome until a drain starts.
 * Why not MHD_quiesce_daemon: in 0.9.75 with epoll and a thread pool it
 * races with the workers removing the listen socket from their epoll sets,
 * and the loser aborts the process ("Failed to remove listen FD from epoll
 * set", an open MHD defect, seen here in CI). Closing new connections at
 * accept gives the same outward behaviour without touching MHD's sets. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)cls;
    (void)addr;
    (void)addrlen;
    return atomic_load(&g_draining) ? MHD_NO : MHD_YES;
}

bool mz_http_start(unsigned *bound_port, char *err, size_t errlen)
{
    char host[256];
    unsigned port;
    if (!mz_config_listen(&g_mz_config, host, &port)) {
        snprintf(err, errlen, "MZ_LISTEN must be host:port");
        return false;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    const char *h = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
    } else {
        char h6[256];
        snprintf(h6, sizeof h6, "%s", h);
        if (h6[0] == '[') {
            memmove(h6, h6 + 1, strlen(h6));
            char *e = strchr(h6, ']');
            if (e)
                *e = '\0';
        }
        if (inet_pton(AF_INET6, h6, &v6->sin6_addr) != 1) {
            snprintf(err, errlen, "MZ_LISTEN host must be an IP address");
            return false;
        }
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    }
    long threads = g_mz_config.threads;
    if (threads <= 0) {
        long nproc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nproc > 0 ? nproc : 2;
    }
    g_daemon = MHD_start_daemon(
        flags, (uint16_t)port, accept_policy, NULL, access_handler, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)g_mz_config.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)g_mz_config.per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)g_mz_config.connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logged, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_END);
    if (!g_daemon) {
        snprintf(err, errlen, "cannot listen on %s", g_mz_config.listen);
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g_daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : port;
    return true;
}

void mz_http_drain(long max_ms)
{
    if (!g_daemon)
        return;
    atomic_store(&g_draining, true); /* new connections are closed (accept_policy) */
    for (long waited = 0; atomic_load(&g_in_flight) > 0 && waited < max_ms; waited += 20) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void mz_http_stop(void)
{
    if (g_daemon) {
        MHD_stop_daemon(g_daemon);
        g_daemon = NULL;
    }
    atomic_store(&g_draining, false);
}
