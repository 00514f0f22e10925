/*
 * outbound.h — the only way the service talks to agency systems: HTTP(S)
 * through libcurl, with every safety the open internet needs.
 *
 * Why each rule:
 *  - allowed origins: an agency's responses contain URLs (next pages,
 *    status, zaaktype); following one to another host would let a
 *    compromised or buggy agency make us fetch arbitrary URLs (SSRF). A
 *    request is made only when its URL starts with one of the client's
 *    allowed base URLs (scheme, host, port and path prefix), redirects are
 *    never followed, and only http/https are enabled.
 *  - allowed addresses: a host name is only a name. Whatever it resolves to
 *    when we connect (DNS rebinding, a hijacked or careless zone) must not
 *    be our own machine, the internal network or a cloud metadata service.
 *    Every address libcurl is about to connect to is checked first (its
 *    open-socket callback: what is checked is what is connected to, no
 *    second resolution); an internal one (mz_outbound_addr_internal) is
 *    refused unless the base itself points there: a base whose host is
 *    that literal address (tests and the demo use 127.0.0.1), or a name
 *    that resolved to exactly that address at configuration time
 *    (mz_outbound_permit_base, called for each agency's bases when the
 *    agencies file is loaded). Proxies from the environment are not used,
 *    so the address checked is the agency's, not a proxy's.
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

#define MZ_OUTBOUND_MAX_BASES 4

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

/* The same rule without a client: true when url is under one of bases
 * (NULL-terminated, at most MZ_OUTBOUND_MAX_BASES; a base that does not
 * parse matches nothing). For checks at intake, before any request is made
 * (a pushed notification's zaak URL): what passes here is what a client
 * with these bases would request. */
bool mz_outbound_url_under(const char *const *bases, const char *url);

struct sockaddr;

/* The address policy (exposed for tests). True when sa (AF_INET or
 * AF_INET6; len its size) is not a public unicast address: loopback
 * (127/8, ::1), unspecified (0/8, ::), private (10/8, 172.16/12,
 * 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16 — the
 * cloud metadata address 169.254.169.254 among them — fe80::/10, the old
 * site-local fec0::/10), IETF and benchmarking ranges (192.0.0/24,
 * 198.18/15), multicast and reserved (224/4, 240/4, ff00::/8), and those
 * IPv4 ranges inside IPv6 (mapped ::ffff:0:0/96, compatible ::/96, NAT64
 * 64:ff9b::/96, 6to4 2002::/16; local NAT64 64:ff9b:1::/48). Anything else,
 * an unknown family included, is not internal. */
bool mz_outbound_addr_internal(const struct sockaddr *sa, size_t len);

/* Whether a connection for a request to host (as in its URL, which the
 * URL rule has matched to a base) may go to sa: always when sa is not
 * internal; when it is, only when host is that very address written
 * literally, or a name mz_outbound_permit_base resolved to it. Unknown
 * address families are refused. */
bool mz_outbound_connect_allowed(const char *host, const struct sockaddr *sa, size_t len);

/* Configuration time: resolves base_url's host now and permits, from then
 * on, connections to the internal addresses it resolved to — exactly
 * those, for that host name — replacing what an earlier call recorded for
 * the name (a reload). A literal address needs no call. Returns how many
 * internal addresses were permitted, or -1 when base_url is not a valid
 * base (or the table of names is full: nothing permitted). Thread-safe. */
int mz_outbound_permit_base(const char *base_url);

/* Performs one logical request (with retries when idempotent).
 * headers: NULL-terminated "Name: value" strings, or NULL. body may be NULL.
 * deadline_ms: absolute CLOCK_MONOTONIC milliseconds (mz_outbound_now_ms()
 * + budget), or 0 for none; each attempt's timeout is clipped to it. */
mz_outbound_status mz_outbound_request(mz_outbound *c, const char *method, const char *url,
                                       const char *const *headers, const char *body,
                                       size_t body_len, bool idempotent, int64_t deadline_ms,
                                       mz_outbound_result *out);
void mz_outbound_result_free(mz_outbound_result *r);

int64_t mz_outbound_now_ms(void);

/* Must be called once before any thread uses libcurl (curl_global_init). */
void mz_outbound_global_init(void);

#endif
