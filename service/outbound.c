/*
 * outbound.c — HTTP(S) client for agency systems (see outbound.h for the
 * rules and why).
 *
 * How the allowed-URL rule is enforced: the candidate is parsed once with
 * libcurl's URL API (keeping the path as written, so dot segments are seen
 * and refused rather than silently resolved), compared with the parsed
 * bases, and that same parsed handle is given to the transfer
 * (CURLOPT_CURLU). What was checked is exactly what is requested: there is
 * no second parse that could disagree with the first.
 *
 * How the address rule is enforced: libcurl resolves the host itself and
 * calls our open-socket function with each address it is about to connect
 * to; we check that address (mz_outbound_connect_allowed) and create the
 * socket, or refuse (CURL_SOCKET_BAD: curl tries the next address, if
 * any). The check and the connect see the same address: no window for a
 * second, different DNS answer.
 */
#include "outbound.h"
#include "crypto.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define DEF_CONNECT_TIMEOUT_MS 2000L
#define DEF_TIMEOUT_MS         10000L
#define DEF_MAX_RESPONSE       ((size_t)8 * 1024 * 1024)
#define DEF_MAX_ATTEMPTS       3
#define DEF_BACKOFF_MS         200L
#define ORIGIN_MAX             300

#ifndef MZ_VERSION
#define MZ_VERSION "dev"
#endif

typedef struct base_url {
    char *scheme; /* lower case: "http" or "https" */
    char *host;
    long port;
    char *path; /* without trailing slashes; "" for the root */
    size_t path_len;
} base_url;

struct mz_outbound {
    CURL *easy; /* one handle per client: its connection cache gives keep-alive */
    base_url bases[MZ_OUTBOUND_MAX_BASES];
    int nbases;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
    int max_attempts;
    long backoff_ms;
    uint64_t rng; /* xorshift64 state for backoff jitter */
};

/* A parsed candidate URL. */
typedef struct parsed_url {
    CURLU *u;
    char *scheme;
    char *host;
    char *port;
    char *path;
} parsed_url;

/* The response being received by one attempt. */
typedef struct sink {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
    bool too_large;
    bool oom;
} sink;

/* ---- time and process-wide set-up ---- */

int64_t mz_outbound_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void mz_outbound_global_init(void)
{
    pthread_once(&g_once, global_init_once);
}

static void sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- URL parsing and the allowed-URL rule ---- */

static void parsed_free(parsed_url *p)
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
static bool parse_url(const char *url, parsed_url *p)
{
    memset(p, 0, sizeof *p);
    if (!url)
        return false;
    p->u = curl_url();
    if (!p->u)
        return false;
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
    parsed_free(p);
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

static bool matches_base(const base_url *b, const parsed_url *p)
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

/* True, with the parsed candidate in *p (parsed_free it), when url may be
 * requested. */
static bool check_url(const mz_outbound *c, const char *url, parsed_url *p)
{
    if (!parse_url(url, p))
        return false;
    if (path_is_safe(p->path)) {
        for (int i = 0; i < c->nbases; i++)
            if (matches_base(&c->bases[i], p))
                return true;
    }
    parsed_free(p);
    return false;
}

bool mz_outbound_allowed(const mz_outbound *c, const char *url)
{
    if (!c)
        return false;
    parsed_url p;
    bool ok = check_url(c, url, &p);
    if (ok)
        parsed_free(&p);
    return ok;
}

static void base_free(base_url *b)
{
    free(b->scheme);
    free(b->host);
    free(b->path);
    memset(b, 0, sizeof *b);
}

/* A base must be a plain http(s) origin plus path: no credentials, query,
 * fragment or dot segments. */
static bool base_parse(const char *url, base_url *b)
{
    memset(b, 0, sizeof *b);
    parsed_url p;
    if (!parse_url(url, &p))
        return false;
    bool ok = path_is_safe(p.path) && !part_present(p.u, CURLUPART_QUERY) &&
              !part_present(p.u, CURLUPART_FRAGMENT);
    char *end = NULL;
    long port = strtol(p.port, &end, 10);
    ok = ok && end != p.port && *end == '\0';
    if (ok) {
        b->scheme = strdup(p.scheme);
        b->host = strdup(p.host);
        b->path = strdup(p.path);
        b->port = port;
        ok = b->scheme && b->host && b->path;
    }
    parsed_free(&p);
    if (!ok) {
        base_free(b);
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
    parsed_url p;
    if (!parse_url(url, &p))
        return false;
    bool ok = false;
    if (path_is_safe(p.path)) {
        for (int i = 0; !ok && i < MZ_OUTBOUND_MAX_BASES && bases[i]; i++) {
            base_url b;
            if (base_parse(bases[i], &b)) {
                ok = matches_base(&b, &p);
                base_free(&b);
            }
        }
    }
    parsed_free(&p);
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
    base_url b;
    if (!base_parse(url, &b))
        return -1;
    net_addr lit;
    bool literal = literal_of(b.host, &lit);
    if (literal || strlen(b.host) >= sizeof g_permits[0].host) {
        base_free(&b); /* a literal permits itself (mz_outbound_connect_allowed) */
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
    base_free(&b);
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

/* libcurl's open-socket callback: the one place a connection starts. */
typedef struct conn_guard {
    const char *host; /* the request's URL host */
    int refused;      /* addresses refused */
    int allowed;      /* addresses a socket was opened for */
} conn_guard;

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    conn_guard *g = clientp;
    if (purpose != CURLSOCKTYPE_IPCXN ||
        !mz_outbound_connect_allowed(g->host, &address->addr, address->addrlen)) {
        g->refused++;
        return CURL_SOCKET_BAD;
    }
    g->allowed++;
    int type = address->socktype;
#ifdef SOCK_CLOEXEC
    type |= SOCK_CLOEXEC; /* not inherited by anything the process starts */
#endif
    return socket(address->family, type, address->protocol);
}

/* ---- client ---- */

mz_outbound *mz_outbound_new(const mz_outbound_opts *opts)
{
    if (!opts)
        return NULL;
    mz_outbound_global_init();
    mz_outbound *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (int i = 0; i < MZ_OUTBOUND_MAX_BASES && opts->bases[i]; i++) {
        if (!base_parse(opts->bases[i], &c->bases[c->nbases])) {
            mz_log_msg(MZ_LOG_ERROR, "outbound: invalid base URL");
            mz_outbound_free(c);
            return NULL;
        }
        c->nbases++;
    }
    c->connect_timeout_ms =
        opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEF_CONNECT_TIMEOUT_MS;
    c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEF_TIMEOUT_MS;
    c->max_response = opts->max_response > 0 ? opts->max_response : DEF_MAX_RESPONSE;
    c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : DEF_MAX_ATTEMPTS;
    c->backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : DEF_BACKOFF_MS;
    c->rng = ((uint64_t)mz_outbound_now_ms() << 20) ^ (uint64_t)(uintptr_t)c ^
             ((uint64_t)getpid() << 40) ^ 0x9E3779B97F4A7C15ull;
    c->easy = curl_easy_init();
    if (!c->easy) {
        mz_outbound_free(c);
        return NULL;
    }
    return c;
}

void mz_outbound_free(mz_outbound *c)
{
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    for (int i = 0; i < c->nbases; i++)
        base_free(&c->bases[i]);
    free(c);
}

void mz_outbound_result_free(mz_outbound_result *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

/* ---- one attempt ---- */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    if (n > s->limit - s->len) {
        s->too_large = true;
        return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
    }
    if (s->len + n + 1 > s->cap) {
        size_t want = s->cap ? s->cap : 16384;
        while (want < s->len + n + 1)
            want *= 2;
        if (want > s->limit + 1)
            want = s->limit + 1;
        char *d = realloc(s->data, want);
        if (!d) {
            s->oom = true;
            return 0;
        }
        s->data = d;
        s->cap = want;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

static bool method_is_token(const char *m)
{
    if (!m || !*m || strlen(m) > 16)
        return false;
    for (const char *p = m; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return false;
    return true;
}

static bool header_is_safe(const char *h)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h)
        return false;
    return strpbrk(h, "\r\n") == NULL;
}

static void set_method(CURL *e, const char *method, const char *body, size_t body_len)
{
    if (body || strcmp(method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
}

typedef struct one_attempt {
    CURLcode rc;
    long status;
    sink body;
    char content_type[128];
    conn_guard guard;
} one_attempt;

static void run_attempt(mz_outbound *c, const parsed_url *p, const char *method,
                        struct curl_slist *hdrs, const char *body, size_t body_len, long timeout_ms,
                        one_attempt *a)
{
    CURL *e = c->easy;
    CURLU *u = p->u;
    memset(a, 0, sizeof *a);
    a->body.limit = c->max_response;
    a->guard.host = p->host;

    curl_easy_reset(e); /* keeps the connection cache: keep-alive */
    curl_easy_setopt(e, CURLOPT_CURLU, u);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, ""); /* direct: the address checked is the agency's */
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &a->guard);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     c->connect_timeout_ms < timeout_ms ? c->connect_timeout_ms : timeout_ms);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &a->body);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "mijnzaken/" MZ_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    set_method(e, method, body, body_len);

    a->rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a->status);
    char *ct = NULL;
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(a->content_type, sizeof a->content_type, "%s", ct);
    curl_easy_setopt(e, CURLOPT_CURLU, NULL); /* u is freed by the caller */
}

static bool retryable_code(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return true;
    default:
        return false;
    }
}

static bool retryable_status(long status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

/* Next backoff delay: base * 2^(retry-1), ±25% jitter. */
static int64_t backoff_delay(mz_outbound *c, int retry)
{
    int64_t d = c->backoff_ms;
    for (int i = 1; i < retry && d < 3600 * 1000; i++)
        d *= 2;
    uint64_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c->rng = x;
    double f = 0.75 + 0.5 * ((double)(x >> 11) / (double)(1ull << 53)); /* [0.75, 1.25) */
    int64_t j = (int64_t)((double)d * f);
    return j > 0 ? j : 1;
}

/* Sets out->error (truncated to fit). */
__attribute__((format(printf, 2, 3))) static void set_error(mz_outbound_result *out,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof out->error, fmt, ap);
    va_end(ap);
}

static void log_event(mz_log_level lvl, const char *msg, const char *origin, int attempt,
                      const mz_outbound_result *r)
{
    mz_logline l;
    mz_log_begin(&l, lvl, msg);
    mz_log_str(&l, "origin", origin);
    mz_log_int(&l, "attempt", attempt);
    if (r->status)
        mz_log_int(&l, "status", r->status);
    if (r->error[0])
        mz_log_str(&l, "error", r->error);
    mz_log_end(&l);
}

/* Frees a header list after wiping it: it holds Authorization and any
 * secret header values the adapter was configured with. */
static void headers_free(struct curl_slist *h)
{
    for (struct curl_slist *n = h; n; n = n->next)
        if (n->data)
            OPENSSL_cleanse(n->data, strlen(n->data));
    curl_slist_free_all(h);
}

mz_outbound_status mz_outbound_request(mz_outbound *c, const char *method, const char *url,
                                       const char *const *headers, const char *body,
                                       size_t body_len, bool idempotent, int64_t deadline_ms,
                                       mz_outbound_result *out)
{
    if (!out)
        return MZ_OUT_REFUSED;
    memset(out, 0, sizeof *out);
    if (!c || !method_is_token(method)) {
        set_error(out, c ? "invalid request method" : "no client");
        return MZ_OUT_REFUSED;
    }
    parsed_url p;
    if (!check_url(c, url, &p)) {
        set_error(out, "URL not under an allowed base");
        mz_log_msg(MZ_LOG_WARN, "outbound: URL not under an allowed base, nothing sent");
        return MZ_OUT_REFUSED;
    }
    char origin[ORIGIN_MAX];
    snprintf(origin, sizeof origin, "%s://%s:%s", p.scheme, p.host, p.port);

    struct curl_slist *hdrs = NULL;
    bool have_expect = false;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (!header_is_safe(headers[i])) {
            headers_free(hdrs);
            parsed_free(&p);
            set_error(out, "malformed request header");
            return MZ_OUT_REFUSED;
        }
        if (strncasecmp(headers[i], "Expect:", 7) == 0)
            have_expect = true;
        struct curl_slist *n = curl_slist_append(hdrs, headers[i]);
        if (!n)
            goto oom;
        hdrs = n;
    }
    if (!have_expect) { /* no "Expect: 100-continue" round trip for bodies */
        struct curl_slist *n = curl_slist_append(hdrs, "Expect:");
        if (!n)
            goto oom;
        hdrs = n;
    }

    int max = idempotent ? c->max_attempts : 1;
    mz_outbound_status st = MZ_OUT_TRANSPORT;
    for (int n = 1;; n++) {
        long timeout = c->timeout_ms;
        bool clipped = false;
        if (deadline_ms > 0) {
            int64_t left = deadline_ms - mz_outbound_now_ms();
            if (left <= 0) {
                if (n == 1)
                    set_error(out, "deadline passed before the request");
                st = MZ_OUT_DEADLINE;
                break;
            }
            if (left <= timeout) {
                timeout = (long)left;
                clipped = true;
            }
        }

        one_attempt a;
        run_attempt(c, &p, method, hdrs, body, body_len, timeout, &a);
        out->attempts = n;
        mz_outbound_result_free(out);
        out->error[0] = '\0';
        out->content_type[0] = '\0';
        out->status = 0;

        bool retry = false;
        if (a.rc == CURLE_OK) {
            out->status = a.status;
            out->body = a.body.data;
            out->body_len = a.body.len;
            if (!out->body) { /* an empty body is still a body */
                out->body = calloc(1, 1);
                if (!out->body) {
                    headers_free(hdrs);
                    parsed_free(&p);
                    set_error(out, "out of memory");
                    return MZ_OUT_TRANSPORT;
                }
            }
            memcpy(out->content_type, a.content_type, sizeof out->content_type);
            st = MZ_OUT_OK;
            if (retryable_status(a.status)) {
                set_error(out, "HTTP %ld from %s", a.status, origin);
                retry = true;
            }
        } else {
            free(a.body.data);
            if (a.body.too_large || a.rc == CURLE_FILESIZE_EXCEEDED) {
                out->status = a.status;
                set_error(out, "response larger than %zu bytes from %s", c->max_response, origin);
                st = MZ_OUT_TOO_LARGE;
            } else if (a.body.oom) {
                set_error(out, "out of memory receiving from %s", origin);
                st = MZ_OUT_TRANSPORT;
            } else if (a.rc == CURLE_COULDNT_CONNECT && a.guard.refused && !a.guard.allowed) {
                /* every address was internal and not permitted: nothing
                 * was sent, and trying again changes nothing */
                set_error(out, "address not allowed: %s resolves to an internal address", origin);
                st = MZ_OUT_REFUSED;
            } else if (a.rc == CURLE_OPERATION_TIMEDOUT && clipped) {
                set_error(out, "deadline reached: %s (%s)", curl_easy_strerror(a.rc), origin);
                st = MZ_OUT_DEADLINE;
            } else {
                set_error(out, "%s (%s)", curl_easy_strerror(a.rc), origin);
                st = MZ_OUT_TRANSPORT;
                retry = retryable_code(a.rc);
            }
        }
        if (!retry || n >= max) {
            if (st == MZ_OUT_OK)
                out->error[0] = '\0';
            break;
        }

        int64_t delay = backoff_delay(c, n);
        if (deadline_ms > 0 && mz_outbound_now_ms() + delay >= deadline_ms) {
            size_t len = strlen(out->error);
            snprintf(out->error + len, sizeof out->error - len, "; no time left to retry");
            st = MZ_OUT_DEADLINE;
            break;
        }
        log_event(MZ_LOG_INFO, "outbound: retrying", origin, n, out);
        sleep_ms(delay);
    }
    if (st != MZ_OUT_OK)
        log_event(MZ_LOG_WARN, "outbound: request failed", origin, out->attempts, out);

    headers_free(hdrs);
    parsed_free(&p);
    return st;

oom:
    headers_free(hdrs);
    parsed_free(&p);
    set_error(out, "out of memory");
    return MZ_OUT_TRANSPORT;
}
