/*
 * outbound_policy.h — where the service may send a request (the SSRF
 * policy): the URL rule and the address rule, applied by outbound.c to
 * every request and by intake to URLs agencies push to us.
 *
 * Why each rule:
 *  - allowed origins: an agency's responses contain URLs (next pages,
 *    status, zaaktype); following one to another host would let a
 *    compromised or buggy agency make us fetch arbitrary URLs (SSRF). A
 *    request is made only when its URL starts with one of the client's
 *    allowed base URLs (scheme, host, port and path prefix). A URL with
 *    credentials, a scheme other than http(s), a dot segment (also encoded,
 *    also "..;"), a backslash or an encoded '/', '\\' or NUL is never
 *    under any base.
 *  - allowed addresses: a host name is only a name. Whatever it resolves to
 *    when we connect (DNS rebinding, a hijacked or careless zone) must not
 *    be our own machine, the internal network or a cloud metadata service.
 *    Every address libcurl is about to connect to is checked first (its
 *    open-socket callback in outbound.c: what is checked is what is
 *    connected to, no second resolution); an internal one
 *    (mz_outbound_addr_internal) is refused unless the base itself points
 *    there: a base whose host is that literal address (tests and the demo
 *    use 127.0.0.1), or a name that resolved to exactly that address at
 *    configuration time (mz_outbound_permit_base, called for each agency's
 *    bases when the agencies file is loaded).
 *
 * Ownership: mz_out_url_parse and mz_out_base_parse fill caller-provided
 * structs whose strings are released with mz_out_url_free and
 * mz_out_base_free. Nothing else is allocated for the caller.
 */
#ifndef MZ_OUTBOUND_POLICY_H
#define MZ_OUTBOUND_POLICY_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define MZ_OUTBOUND_MAX_BASES 4

/* An allowed base URL, parsed. */
typedef struct mz_out_base {
    char *scheme; /* lower case: "http" or "https" */
    char *host;
    long port;
    char *path; /* without trailing slashes; "" for the root */
    size_t path_len;
} mz_out_base;

/* A candidate URL, parsed once; u is what the transfer is given. */
typedef struct mz_out_url {
    CURLU *u;
    char *scheme;
    char *host;
    char *port;
    char *path;
} mz_out_url;

/* Parses url keeping its path as written. False (nothing to free) when it
 * does not parse, is not http(s), has no host or carries credentials. */
bool mz_out_url_parse(const char *url, mz_out_url *p);
void mz_out_url_free(mz_out_url *p);

/* A base must be a plain http(s) origin plus path: no credentials, query,
 * fragment or dot segments. False (nothing to free) otherwise. */
bool mz_out_base_parse(const char *url, mz_out_base *b);
void mz_out_base_free(mz_out_base *b);

/* The URL rule: true when p's path is safe and p is under one of
 * bases[0..nbases). */
bool mz_out_url_allowed(const mz_out_base *bases, int nbases, const mz_out_url *p);

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

#endif
