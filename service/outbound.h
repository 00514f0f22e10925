/*
 * outbound.h — the only way the service talks to agency systems: HTTP(S)
 * through libcurl, with every safety the open internet needs.
 *
 * Why each rule:
 *  - allowed origins and allowed addresses: outbound_policy.h (the SSRF
 *    policy, its own file so it can be reviewed alone). Redirects are never
 *    followed, only http/https are enabled, and proxies from the
 *    environment are not used, so the address checked is the agency's.
 *  - timeouts: connect and total, and an absolute deadline across retries,
 *    so a hanging agency can never hold a citizen's request or a sync.
 *  - a response size cap: a hostile or broken agency cannot exhaust memory.
 *  - retries with exponential backoff (and jitter) only for requests the
 *    caller marks idempotent, and only on transport errors, 429, 502, 503
 *    and 504.
 *  - TLS verification always on (curl's defaults, never disabled).
 *  - nothing secret is logged: headers and bodies are never logged; URLs
 *    are logged only as their origin (they may carry query parameters).
 *
 * Ownership: mz_outbound_new returns a client (one reusable connection
 * cache; NOT thread-safe: one per thread or job) freed with
 * mz_outbound_free. It copies the base URLs. mz_outbound_request fills a
 * caller-provided result whose body the caller releases with
 * mz_outbound_result_free.
 */
#ifndef MZ_OUTBOUND_H
#define MZ_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbound_policy.h" /* the URL and address rules, MZ_OUTBOUND_MAX_BASES */

typedef struct mz_outbound_opts {
    const char *bases[MZ_OUTBOUND_MAX_BASES]; /* allowed base URLs, NULL-terminated if fewer */
    long connect_timeout_ms;                  /* default 2000 */
    long timeout_ms;                          /* per attempt, default 10000 */
    size_t max_response;                      /* default 8 MiB */
    int max_attempts;                         /* default 3 (idempotent requests only) */
    long backoff_ms;                          /* first retry delay, default 200, doubling */
} mz_outbound_opts;

typedef struct mz_outbound mz_outbound;

typedef struct mz_outbound_result {
    long status; /* HTTP status, 0 when no response */
    char *body;  /* NUL-terminated, may be NULL when no response */
    size_t body_len;
    char content_type[128];
    char error[256]; /* why it failed (no URL query, no secrets) */
    int attempts;
} mz_outbound_result;

typedef enum mz_outbound_status {
    MZ_OUT_OK,        /* a response arrived (any HTTP status: check result.status) */
    MZ_OUT_REFUSED,   /* URL not under an allowed base, or its host's address is internal and
                         not permitted: nothing was sent */
    MZ_OUT_TRANSPORT, /* connect failure, reset, timeout, TLS error */
    MZ_OUT_TOO_LARGE, /* response exceeded max_response */
    MZ_OUT_DEADLINE   /* the absolute deadline passed (before or between attempts) */
} mz_outbound_status;

mz_outbound *mz_outbound_new(const mz_outbound_opts *opts);
void mz_outbound_free(mz_outbound *c);

/* True when url may be requested by this client (see the rules above). */
bool mz_outbound_allowed(const mz_outbound *c, const char *url);

/* Performs one logical request (with retries when idempotent).
 * headers: NULL-terminated "Name: value" strings, or NULL. body may be NULL.
 * deadline_ms: absolute CLOCK_MONOTONIC milliseconds (mz_outbound_now_ms()
 * + budget), or 0 for none; each attempt's timeout is clipped to it. */
mz_outbound_status mz_outbound_request(mz_outbound *c, const char *method, const char *url,
                                       const char *const *headers, const char *body,
                                       size_t body_len, bool idempotent, int64_t deadline_ms,
                                       mz_outbound_result *out);
void mz_outbound_result_free(mz_outbound_result *r);

/* Streaming a large body (a document's content, issue 16) without holding
 * it: one GET, one attempt (a retry could repeat what was already passed
 * on), the same URL and address rules, never following a redirect (a 3xx
 * is answered as its status, like any other). on_start is called once, when
 * the first bytes of a 200 arrive (or, for an empty body, at the end) with
 * the announced length (-1: none); on_data with each piece in order. Either
 * returning false stops the transfer (MZ_OUT_TRANSPORT, error "stopped by
 * the receiver"). A non-200 answer's body is not passed on (out->status
 * tells it, MZ_OUT_OK). More than max_bytes: MZ_OUT_TOO_LARGE (an announced
 * length over it stops before any byte). A transfer that ends early (the
 * agency closed, reset, or sent fewer bytes than it announced) is
 * MZ_OUT_TRANSPORT even after bytes were passed on: the receiver must treat
 * what it got as incomplete. out->body stays NULL. */
typedef struct mz_outbound_stream_cb {
    bool (*on_start)(void *ud, int64_t length);
    bool (*on_data)(void *ud, const char *p, size_t n);
    /* Optional: asked about once a second, also while nothing arrives;
     * false stops the transfer (a receiver gone, a shutdown). */
    bool (*keep_going)(void *ud);
    void *ud;
} mz_outbound_stream_cb;

mz_outbound_status mz_outbound_stream(mz_outbound *c, const char *url, const char *const *headers,
                                      size_t max_bytes, int64_t deadline_ms,
                                      const mz_outbound_stream_cb *cb, mz_outbound_result *out);

int64_t mz_outbound_now_ms(void);

/* Must be called once before any thread uses libcurl (curl_global_init). */
void mz_outbound_global_init(void);

#endif
