/*
 * outbound_policy.c — where the service may send a request: the URL rule
 * (allowed base URLs) and the address rule (no internal address after DNS,
 * unless the base itself points there). See outbound_policy.h for the
 * rules and why; outbound.c applies them to every request.
 *
 * How the URL rule is enforced: the candidate is parsed once with
 * libcurl's URL API (keeping the path as written, so dot segments are seen
 * and refused rather than silently resolved) and compared with the parsed
 * bases; outbound.c gives that same parsed handle to the transfer
 * (CURLOPT_CURLU), so no second parse can disagree with the first.
 *
 * The address rule is pure (mz_outbound_addr_internal,
 * mz_outbound_connect_allowed) plus one small table of the internal
 * addresses base host names resolved to at configuration time
 * (mz_outbound_permit_base), behind a mutex.
 */
#include "outbound_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "alloc.h"
#include "crypto.h"
#include "log.h"

/* ---- the URL rule ---- */

void mz_out_url_free(mz_out_url *p)
{
    curl_free(p->scheme);
    curl_free(p->host);
    curl_free(p->port);
    curl_free(p->path);
    if (p->u)
        curl_url_cleanup(p->u);
    memset(p, 0, sizeof *p);
}

static bool part_present(CURLU *u, CURLUPart what)
{
    char *s = NULL;
    CURLUcode rc = curl_url_get(u, what, &s, 0);
    curl_free(s);
    return rc == CURLUE_OK;
}

/* Parses url keeping its path as written. False when it does not parse, is
 * not http(s), or carries credentials. */
bool mz_out_url_parse(const char *url, mz_out_url *p)
{
    memset(p, 0, sizeof *p);
    if (!url)
        return false;
    p->u = curl_url();
    if (!p->u)
        mz_oom(); /* curl_url() fails only for memory */
    if (curl_url_set(p->u, CURLUPART_URL, url, CURLU_PATH_AS_IS) != CURLUE_OK)
        goto fail;
    if (curl_url_get(p->u, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
        curl_url_get(p->u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
        curl_url_get(p->u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(p->u, CURLUPART_PATH, &p->path, 0) != CURLUE_OK)
        goto fail;
    if (strcasecmp(p->scheme, "http") != 0 && strcasecmp(p->scheme, "https") != 0)
        goto fail;
    if (p->host[0] == '\0')
        goto fail;
    if (part_present(p->u, CURLUPART_USER) || part_present(p->u, CURLUPART_PASSWORD) ||
        part_present(p->u, CURLUPART_OPTIONS))
        goto fail;
    return true;
fail:
    mz_out_url_free(p);
    return false;
}

/* True when the segment [s, s+n) is "." or "..", written plainly or with
 * %2e, also before a ";parameter" (some servers treat "..;" as ".."). */
static bool is_dot_segment(const char *s, size_t n)
{
    size_t dots = 0;
    size_t i = 0;
    while (i < n && s[i] != ';') {
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '%' && i + 2 < n && mz_hexval(s[i + 1]) == 2 &&
                   (s[i + 2] == 'e' || s[i + 2] == 'E')) {
            i += 3;
        } else {
            return false;
        }
        dots++;
    }
    return dots == 1 || dots == 2;
}

/* A path is safe when no segment is a dot segment and nothing could be
 * turned into a separator by the server: no backslash, %2f or %5c. */
static bool path_is_safe(const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == '\\')
            return false;
        if (p[0] == '%' && p[1] && p[2]) {
            int hi = mz_hexval(p[1]), lo = mz_hexval(p[2]);
            int v = hi * 16 + lo;
            if (hi >= 0 && lo >= 0 && (v == '/' || v == '\\' || v == 0))
                return false;
        }
    }
    const char *seg = path;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (is_dot_segment(seg, n))
            return false;
        if (!end)
            return true;
        seg = end + 1;
    }
}

static bool matches_base(const mz_out_base *b, const mz_out_url *p)
{
    if (strcasecmp(b->scheme, p->scheme) != 0 || strcasecmp(b->host, p->host) != 0)
        return false;
    char *end = NULL;
    long port = strtol(p->port, &end, 10);
    if (end == p->port || *end != '\0' || port != b->port)
        return false;
    if (strncmp(p->path, b->path, b->path_len) != 0)
        return false;
    char next = p->path[b->path_len];
    return next == '\0' || next == '/';
}

void mz_out_base_free(mz_out_base *b)
{
    free(b->scheme);
    free(b->host);
    free(b->path);
    memset(b, 0, sizeof *b);
}

bool mz_out_url_allowed(const mz_out_base *bases, int nbases, const mz_out_url *p)
{
    if (!path_is_safe(p->path))
        return false;
    for (int i = 0; i < nbases; i++)
        if (matches_base(&bases[i], p))
            return true;
    return false;
}

/* A base must be a plain http(s) origin plus path: no credentials, query,
 * fragment or dot segments. */
bool mz_out_base_parse(const char *url, mz_out_base *b)
{
    memset(b, 0, sizeof *b);
    mz_out_url p;
    if (!mz_out_url_parse(url, &p))
        return false;
    bool ok = path_is_safe(p.path) && !part_present(p.u, CURLUPART_QUERY) &&
              !part_present(p.u, CURLUPART_FRAGMENT);
    char *end = NULL;
    long port = strtol(p.port, &end, 10);
    ok = ok && end != p.port && *end == '\0';
    if (ok) {
        b->scheme = mz_xstrdup(p.scheme);
        b->host = mz_xstrdup(p.host);
        b->path = mz_xstrdup(p.path);
        b->port = port;
    }
    mz_out_url_free(&p);
    if (!ok) {
        mz_out_base_free(b);
        return false;
    }
    for (char *s = b->scheme; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    b->path_len = strlen(b->path);
    while (b->path_len > 0 && b->path[b->path_len - 1] == '/')
        b->path[--b->path_len] = '\0';
    return true;
}

bool mz_outbound_url_under(const char *const *bases, const char *url)
{
    if (!bases)
        return false;
    mz_out_url p;
    if (!mz_out_url_parse(url, &p))
        return false;
    bool ok = false;
    for (int i = 0; !ok && i < MZ_OUTBOUND_MAX_BASES && bases[i]; i++) {
        mz_out_base b;
        if (mz_out_base_parse(bases[i], &b)) {
            ok = mz_out_url_allowed(&b, 1, &p);
            mz_out_base_free(&b);
        }
    }
    mz_out_url_free(&p);
    return ok;
}

/* ---- the address rule ---- */

/* An address reduced to what the policy looks at: IPv4 (also when written
 * as IPv4-mapped IPv6) in b[0..3], or the 16 bytes of IPv6. */
typedef struct net_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char b[16];
} net_addr;

static bool net_addr_of(const struct sockaddr *sa, size_t len, net_addr *out)
{
    memset(out, 0, sizeof *out);
    if (!sa || len < sizeof(sa_family_t))
        return false;
    /* copied, not cast: curl's address buffer need not be aligned for us */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, sa, len < sizeof ss ? len : sizeof ss);
    if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in v4;
        memcpy(&v4, &ss, sizeof v4);
        out->family = AF_INET;
        memcpy(out->b, &v4.sin_addr, 4);
        return true;
    }
    if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 v6;
        memcpy(&v6, &ss, sizeof v6);
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(v6.sin6_addr.s6_addr, mapped, 12) == 0) {
            out->family = AF_INET;
            memcpy(out->b, v6.sin6_addr.s6_addr + 12, 4);
        } else {
            out->family = AF_INET6;
            memcpy(out->b, v6.sin6_addr.s6_addr, 16);
        }
        return true;
    }
    return false;
}

static bool v4_internal(const unsigned char *b)
{
    static const struct {
        uint32_t net;
        int bits;
    } ranges[] = {
        {0x00000000u, 8},  /* 0/8: "this network", 0.0.0.0 */
        {0x0A000000u, 8},  /* 10/8 */
        {0x64400000u, 10}, /* 100.64/10: shared (carrier-grade NAT) */
        {0x7F000000u, 8},  /* 127/8: loopback */
        {0xA9FE0000u, 16}, /* 169.254/16: link-local, cloud metadata */
        {0xAC100000u, 12}, /* 172.16/12 */
        {0xC0000000u, 24}, /* 192.0.0/24: IETF protocol assignments */
        {0xC0A80000u, 16}, /* 192.168/16 */
        {0xC6120000u, 15}, /* 198.18/15: benchmarking */
        {0xE0000000u, 4},  /* 224/4: multicast */
        {0xF0000000u, 4},  /* 240/4: reserved, broadcast */
    };
    uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if ((a & (0xFFFFFFFFu << (32 - ranges[i].bits))) == ranges[i].net)
            return true;
    return false;
}

static bool all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static bool net_addr_internal(const net_addr *a)
{
    const unsigned char *b = a->b;
    if (a->family == AF_INET)
        return v4_internal(b);
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (all_zero(b, 12)) /* ::, ::1 and IPv4-compatible ::a.b.c.d */
        return all_zero(b, 15) || v4_internal(b + 12);
    if (memcmp(b, nat64, 12) == 0) /* 64:ff9b::/96 */
        return v4_internal(b + 12);
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 &&
        b[5] == 0x01) /* 64:ff9b:1::/48, local-use NAT64 */
        return true;
    if (b[0] == 0x20 && b[1] == 0x02) /* 2002::/16, 6to4 */
        return v4_internal(b + 2);
    return (b[0] & 0xfe) == 0xfc                      /* fc00::/7, unique local */
           || (b[0] == 0xfe && (b[1] & 0x80) == 0x80) /* fe80::/10, fec0::/10 */
           || b[0] == 0xff;                           /* ff00::/8, multicast */
}

bool mz_outbound_addr_internal(const struct sockaddr *sa, size_t len)
{
    net_addr a;
    return net_addr_of(sa, len, &a) && net_addr_internal(&a);
}

static bool net_addr_eq(const net_addr *x, const net_addr *y)
{
    return x->family == y->family && memcmp(x->b, y->b, x->family == AF_INET ? 4 : 16) == 0;
}

/* A host written as an address ("127.0.0.1", "[::1]"), as a net_addr. */
static bool literal_of(const char *host, net_addr *out)
{
    char h[INET6_ADDRSTRLEN + 2];
    size_t n = host ? strlen(host) : 0;
    if (n == 0 || n >= sizeof h)
        return false;
    if (host[0] == '[' && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = '\0';
    } else {
        memcpy(h, host, n + 1);
    }
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, h, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        return net_addr_of((const struct sockaddr *)&v4, sizeof v4, out);
    }
    if (inet_pton(AF_INET6, h, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        return net_addr_of((const struct sockaddr *)&v6, sizeof v6, out);
    }
    return false;
}

/* The names whose configuration-time resolution permits internal
 * addresses (mz_outbound_permit_base): a small table, written at start-up
 * and reload, read at every connect. */
#define PERMIT_MAX_NAMES 256
#define PERMIT_MAX_ADDRS 8

typedef struct permit {
    char host[256]; /* lower case */
    net_addr addr[PERMIT_MAX_ADDRS];
    int n;
} permit;

static permit g_permits[PERMIT_MAX_NAMES];
static int g_npermits;
static pthread_mutex_t g_permit_lock = PTHREAD_MUTEX_INITIALIZER;

static bool permitted(const char *host, const net_addr *a)
{
    bool ok = false;
    pthread_mutex_lock(&g_permit_lock);
    for (int i = 0; i < g_npermits && !ok; i++)
        if (strcasecmp(g_permits[i].host, host) == 0)
            for (int k = 0; k < g_permits[i].n && !ok; k++)
                ok = net_addr_eq(&g_permits[i].addr[k], a);
    pthread_mutex_unlock(&g_permit_lock);
    return ok;
}

bool mz_outbound_connect_allowed(const char *host, const struct sockaddr *sa, size_t len)
{
    net_addr a, lit;
    if (!net_addr_of(sa, len, &a))
        return false;
    if (!net_addr_internal(&a))
        return true;
    if (!host)
        return false;
    if (literal_of(host, &lit))
        return net_addr_eq(&lit, &a);
    return permitted(host, &a);
}

int mz_outbound_permit_base(const char *url)
{
    mz_out_base b;
    if (!mz_out_base_parse(url, &b))
        return -1;
    net_addr lit;
    bool literal = literal_of(b.host, &lit);
    if (literal || strlen(b.host) >= sizeof g_permits[0].host) {
        mz_out_base_free(&b); /* a literal permits itself (mz_outbound_connect_allowed) */
        return literal ? 0 : -1;
    }
    permit p;
    memset(&p, 0, sizeof p);
    for (size_t i = 0; b.host[i]; i++)
        p.host[i] =
            (char)(b.host[i] >= 'A' && b.host[i] <= 'Z' ? b.host[i] - 'A' + 'a' : b.host[i]);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(b.host, NULL, &hints, &res);
    for (struct addrinfo *ai = rc == 0 ? res : NULL; ai && p.n < PERMIT_MAX_ADDRS;
         ai = ai->ai_next) {
        net_addr a;
        if (!net_addr_of(ai->ai_addr, ai->ai_addrlen, &a) || !net_addr_internal(&a))
            continue;
        bool dup = false;
        for (int k = 0; k < p.n && !dup; k++)
            dup = net_addr_eq(&p.addr[k], &a);
        if (!dup)
            p.addr[p.n++] = a;
    }
    if (res)
        freeaddrinfo(res);
    mz_out_base_free(&b);
    bool stored = false;
    pthread_mutex_lock(&g_permit_lock);
    int i = 0;
    while (i < g_npermits && strcmp(g_permits[i].host, p.host) != 0)
        i++;
    if (i < PERMIT_MAX_NAMES) {
        g_permits[i] = p;
        if (i == g_npermits)
            g_npermits++;
        stored = true;
    }
    pthread_mutex_unlock(&g_permit_lock);
    /* Host names of agencies are configuration, not personal data. */
    if (!stored) {
        mz_log_msg_str(MZ_LOG_ERROR,
                       "outbound: too many base host names; no internal address "
                       "permitted for this one",
                       "host", p.host);
        return -1;
    }
    if (rc != 0)
        mz_log_msg_str(MZ_LOG_WARN,
                       "outbound: base host did not resolve now; only public "
                       "addresses will be allowed for it",
                       "host", p.host);
    else if (p.n > 0)
        mz_log_msg_str(MZ_LOG_INFO,
                       "outbound: base host resolves to an internal address; "
                       "connections to exactly that address are permitted",
                       "host", p.host);
    return p.n;
}
