/*
 * http.h — the HTTP layer on libmicrohttpd: request context, router,
 * responses, problem+json errors.
 *
 * Why this shape: handlers are plain functions in a route table
 * (routes.c) that receive a fully read request and leave exactly one
 * response in it; everything protocol-level — body limits, method and
 * path matching, query-parameter whitelists, authentication, common
 * headers, logging — happens here once, so no handler can forget it.
 *
 * libmicrohttpd notes (0.9.75): a response queued during the *first* call
 * of the access handler makes MHD close the connection, so we always return
 * MHD_YES first and answer on a later call (except when refusing a body we
 * will not read). We never use MHD_PostProcessor. MHD percent-decodes the
 * path before the access handler sees it; we route on the path as sent,
 * which MHD gives only to its URI log callback (where the request context
 * is created), so /met%72ics is not /metrics.
 *
 * Ownership: mz_req belongs to the HTTP layer and lives until the response
 * is sent; strings obtained from it (params, query values, headers, body)
 * live as long as the request. mz_reply_* take ownership of what they are
 * given as documented per function.
 */
#ifndef MZ_HTTP_H
#define MZ_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "session.h"

#define MZ_API_VERSION "1.0.0"
/* Request target (path and query) limit: 414 problem+json above it. */
#define MZ_MAX_TARGET_BYTES 8192
#define MZ_MAX_PATH_PARAMS  4

typedef struct mz_req mz_req;
typedef void (*mz_handler)(mz_req *r);

/* Route flags. */
#define MZ_R_AUTH         1u  /* requires a valid bearer token */
#define MZ_R_CITIZEN      2u  /* requires a citizen token (bsn claim, no staff role) */
#define MZ_R_PERSONAL     4u  /* response holds personal data: Cache-Control no-store */
#define MZ_R_ADMIN        8u  /* requires roles to contain "admin" */
#define MZ_R_PROFESSIONAL 16u /* requires roles to contain "professional" */
#define MZ_R_DEV          32u /* exists only when MZ_DEV_MODE=1 (404 otherwise) */
/* Public and the same for everyone (the contract): the one kind of answer
 * without Cache-Control: no-store. Everything else carries it — personal
 * data, tokens, operational data, errors — so that no shared cache keeps it. */
#define MZ_R_PUBLIC 64u
/* Requires a signed-in session (the cookie; a bearer token has none). */
#define MZ_R_SESSION 128u

typedef struct mz_route {
    const char *method;
    const char *pattern; /* "/api/v1/me/cases/{caseId}"; {x} matches one segment */
    mz_handler fn;
    unsigned flags;
    const char *const *query; /* allowed query parameter names, NULL-terminated; NULL = none */
} mz_route;

struct mz_req {
    struct MHD_Connection *conn;
    const mz_route *route;
    const char *method;
    const char *param_name[MZ_MAX_PATH_PARAMS];
    char *param_value[MZ_MAX_PATH_PARAMS];
    int nparams;
    char *body;
    size_t body_len;
    bool body_too_large;
    bool refused_early;     /* answered before reading the body */
    bool started;           /* the access handler has seen this request */
    char *raw_path;         /* the path as sent, before percent-decoding: what we route on */
    const char *bad_target; /* why the request target is refused (400), or NULL */
    bool target_too_long;   /* over MZ_MAX_TARGET_BYTES (414) */
    char request_id[33];
    mz_principal principal;  /* valid when the route has MZ_R_AUTH */
    mz_session_info session; /* .active when authenticated by the session cookie */
    struct MHD_Response *resp;
    unsigned status;
    int64_t start_us;
    char started_at[40]; /* wall clock at arrival, timestamptz text (processing log) */
    mz_handler cont;     /* set while suspended: builds the response after resume */
    int async_status;    /* the other thread's result, for cont */
    size_t async_count;
    /* the handler's state across a suspension (plog_commit.c: the built
     * answer); async_free(async_data) runs if the request ends first */
    void *async_data;
    void (*async_free)(void *);
};

/* Deferred responses. A handler that hands its work to another thread
 * calls mz_req_suspend(r, cont) first and returns without a response; that
 * thread stores its result in r->async_* and calls mz_req_resume(r) once;
 * cont(r) then runs on an HTTP thread and replies. The HTTP thread is free
 * for other connections in between. */
void mz_req_suspend(mz_req *r, mz_handler cont);
void mz_req_resume(mz_req *r);

/* Router (pure, for tests): finds the route for method+path. Returns the
 * route, or NULL with *path_known set when the path exists under another
 * method (allow receives e.g. "GET, POST"). Captured parameters are copied
 * into r's param arrays when r is not NULL. */
const mz_route *mz_route_find(const char *method, const char *path, bool *path_known, char *allow,
                              size_t allowlen, mz_req *r);
/* The route table (routes.c). */
const mz_route *mz_routes(size_t *n);

/* Accessors; NULL when absent. */
const char *mz_req_param(const mz_req *r, const char *name);
const char *mz_req_query(const mz_req *r, const char *name);
const char *mz_req_header(const mz_req *r, const char *name);
/* The value of a request cookie, or NULL. */
const char *mz_req_cookie(const mz_req *r, const char *name);
/* The session cookie's value when sign-in is configured and the request
 * carries one, else NULL. */
const char *mz_req_session_cookie(const mz_req *r);

/* Responses. Every 503, of whatever kind, carries Retry-After (added by
 * the HTTP layer): clients and load balancers need to know when to come
 * back. mz_reply_json takes the buffer's data (b is left empty). */
void mz_reply_json(mz_req *r, unsigned status, mz_buf *b);
/* Static data is not copied; it must outlive the response. */
void mz_reply_static(mz_req *r, unsigned status, const char *content_type, const char *data,
                     size_t len);
void mz_reply_text(mz_req *r, unsigned status, const char *content_type, mz_buf *b);
/* A streamed body (a document's content): MHD calls reader for each piece
 * (see MHD_ContentReaderCallback; size MHD_SIZE_UNKNOWN sends it chunked)
 * and free_cb(cls) once the response is gone. The common headers are added
 * as for any reply. */
void mz_reply_stream(mz_req *r, unsigned status, const char *content_type, uint64_t size,
                     MHD_ContentReaderCallback reader, void *cls,
                     MHD_ContentReaderFreeCallback free_cb);
/* Problem types (RFC 9457). Each has one slug (type
 * "urn:mijnzaken:problem:<slug>"), one HTTP status and one title, from the
 * table in http.c (mz_problem_types; the contract documents the same table
 * in its description). What differs between two answers of one type goes
 * in the detail, never in the title: clients may key on type and title. */
typedef enum mz_problem {
    MZ_P_BAD_REQUEST,
    MZ_P_BAD_PARAMETER,
    MZ_P_UNAUTHORIZED,
    MZ_P_FORBIDDEN,
    MZ_P_NOT_FOUND,
    MZ_P_METHOD_NOT_ALLOWED,
    MZ_P_CONFLICT,
    MZ_P_PAYLOAD_TOO_LARGE,
    MZ_P_URI_TOO_LONG,
    MZ_P_UNSUPPORTED_MEDIA_TYPE,
    MZ_P_HEADERS_TOO_LARGE,
    MZ_P_INTERNAL_ERROR,
    MZ_P_BAD_GATEWAY,
    MZ_P_SERVICE_UNAVAILABLE,
    MZ_P_COUNT
} mz_problem;

typedef struct mz_problem_type {
    mz_problem id; /* its index in the table */
    const char *slug;
    unsigned status;
    const char *title;
} mz_problem_type;

/* The table, indexed by mz_problem; *n = MZ_P_COUNT. Static data. */
const mz_problem_type *mz_problem_types(size_t *n);

/* problem+json of type p (status and title from the table). detail (NULL:
 * the title) must not contain personal data or token material. */
void mz_reply_problem(mz_req *r, mz_problem p, const char *detail);
/* Convenience problems. */
void mz_reply_bad_param(mz_req *r, const char *param, const char *detail);
void mz_reply_unavailable(mz_req *r, const char *detail); /* 503 */
/* Adds a header to the response already set. */
void mz_reply_header(mz_req *r, const char *name, const char *value);

/* Why a request target (path and query, as sent) is refused, or NULL: a
 * '%' must start an escape of two hex digits, and never one of NUL (%00),
 * which the decoded C strings would silently cut short. */
const char *mz_target_problem(const char *target);

/* A copy of s safe to echo in an error: s itself when it is a short
 * identifier-like string holding no BSN-like number, else "(redacted)". */
const char *mz_safe_echo(const char *s);

/* Server. Returns false with a message; the port actually bound (useful
 * with port 0) goes to *bound_port. */
bool mz_http_start(unsigned *bound_port, char *err, size_t errlen);
void mz_http_stop(void);
/* Closes new connections at once and waits (at most max_ms) until no request
 * is in flight. Call before mz_http_stop for a graceful shutdown. */
void mz_http_drain(long max_ms);

int64_t mz_now_us(void);

#endif
