/*
 * outbound.c — HTTP(S) client for agency systems (see outbound.h for the
 * rules and why). Where a request may go is decided in outbound_policy.c;
 * this file applies it: the URL rule before anything is sent (the parsed
 * URL that was checked is the one handed to libcurl, CURLOPT_CURLU), the
 * address rule in libcurl's open-socket callback, which receives each
 * address curl is about to connect to: we check that address
 * (mz_outbound_connect_allowed) and create the socket, or refuse
 * (CURL_SOCKET_BAD: curl tries the next address, if any). The check and
 * the connect see the same address: no window for a second, different DNS
 * answer.
 */
#include "outbound.h"

#include <curl/curl.h>
#include <errno.h>
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

#include "alloc.h"
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

struct mz_outbound {
    CURL *easy; /* one handle per client: its connection cache gives keep-alive */
    mz_out_base bases[MZ_OUTBOUND_MAX_BASES];
    int nbases;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
    int max_attempts;
    long backoff_ms;
    uint64_t rng; /* xorshift64 state for backoff jitter */
};

/* The response being received by one attempt. */
typedef struct sink {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
    bool too_large;
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

/* ---- the rules (outbound_policy.c) applied to this client ---- */

/* True, with the parsed candidate in *p (mz_out_url_free it), when url may
 * be requested. */
static bool check_url(const mz_outbound *c, const char *url, mz_out_url *p)
{
    if (!mz_out_url_parse(url, p))
        return false;
    if (mz_out_url_allowed(c->bases, c->nbases, p))
        return true;
    mz_out_url_free(p);
    return false;
}

bool mz_outbound_allowed(const mz_outbound *c, const char *url)
{
    if (!c)
        return false;
    mz_out_url p;
    bool ok = check_url(c, url, &p);
    if (ok)
        mz_out_url_free(&p);
    return ok;
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
    mz_outbound *c = mz_xcalloc(1, sizeof *c);
    for (int i = 0; i < MZ_OUTBOUND_MAX_BASES && opts->bases[i]; i++) {
        if (!mz_out_base_parse(opts->bases[i], &c->bases[c->nbases])) {
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
        mz_out_base_free(&c->bases[i]);
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
        s->data = mz_xreallocarray(s->data, want, 1);
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

static void run_attempt(mz_outbound *c, const mz_out_url *p, const char *method,
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

/* Appends one header line; like every allocation here, running out of
 * memory aborts (alloc.h). */
static struct curl_slist *slist_add(struct curl_slist *list, const char *line)
{
    struct curl_slist *n = curl_slist_append(list, line);
    if (!n)
        mz_oom();
    return n;
}

/* The caller's headers, plus an empty "Expect:" unless the caller set one
 * (no "Expect: 100-continue" round trip for bodies). False, with nothing
 * left allocated, when a header is malformed. */
static bool build_headers(const char *const *headers, struct curl_slist **out)
{
    struct curl_slist *hdrs = NULL;
    bool have_expect = false;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (!header_is_safe(headers[i])) {
            headers_free(hdrs);
            return false;
        }
        if (strncasecmp(headers[i], "Expect:", 7) == 0)
            have_expect = true;
        hdrs = slist_add(hdrs, headers[i]);
    }
    if (!have_expect)
        hdrs = slist_add(hdrs, "Expect:");
    *out = hdrs;
    return true;
}

/* This attempt's timeout: the client's, clipped to what is left before the
 * deadline (*clipped then). False when the deadline has passed. */
static bool attempt_timeout(const mz_outbound *c, int64_t deadline_ms, long *timeout, bool *clipped)
{
    *timeout = c->timeout_ms;
    *clipped = false;
    if (deadline_ms <= 0)
        return true;
    int64_t left = deadline_ms - mz_outbound_now_ms();
    if (left <= 0)
        return false;
    if (left <= *timeout) {
        *timeout = (long)left;
        *clipped = true;
    }
    return true;
}

/* A response arrived: it becomes the result (out owns the body); worth
 * another attempt when its status is a passing one (*retry). */
static mz_outbound_status take_response(one_attempt *a, const char *origin, mz_outbound_result *out,
                                        bool *retry)
{
    out->status = a->status;
    out->body = a->body.data ? a->body.data : mz_xcalloc(1, 1); /* empty is still a body */
    out->body_len = a->body.len;
    memcpy(out->content_type, a->content_type, sizeof out->content_type);
    if (retryable_status(a->status)) {
        set_error(out, "HTTP %ld from %s", a->status, origin);
        *retry = true;
    }
    return MZ_OUT_OK;
}

/* No response: why not, and whether another attempt could help (*retry). */
static mz_outbound_status classify_failure(const mz_outbound *c, one_attempt *a, bool clipped,
                                           const char *origin, mz_outbound_result *out, bool *retry)
{
    free(a->body.data);
    if (a->body.too_large || a->rc == CURLE_FILESIZE_EXCEEDED) {
        out->status = a->status;
        set_error(out, "response larger than %zu bytes from %s", c->max_response, origin);
        return MZ_OUT_TOO_LARGE;
    }
    if (a->rc == CURLE_COULDNT_CONNECT && a->guard.refused && !a->guard.allowed) {
        /* every address was internal and not permitted: nothing was sent,
         * and trying again changes nothing */
        set_error(out, "address not allowed: %s resolves to an internal address", origin);
        return MZ_OUT_REFUSED;
    }
    if (a->rc == CURLE_OPERATION_TIMEDOUT && clipped) {
        set_error(out, "deadline reached: %s (%s)", curl_easy_strerror(a->rc), origin);
        return MZ_OUT_DEADLINE;
    }
    set_error(out, "%s (%s)", curl_easy_strerror(a->rc), origin);
    *retry = retryable_code(a->rc);
    return MZ_OUT_TRANSPORT;
}

/* One attempt, its outcome in out (the previous attempt's is dropped). */
static mz_outbound_status attempt_once(mz_outbound *c, const mz_out_url *p, const char *method,
                                       struct curl_slist *hdrs, const char *body, size_t body_len,
                                       long timeout, bool clipped, const char *origin,
                                       mz_outbound_result *out, bool *retry)
{
    one_attempt a;
    run_attempt(c, p, method, hdrs, body, body_len, timeout, &a);
    mz_outbound_result_free(out);
    out->error[0] = '\0';
    out->content_type[0] = '\0';
    out->status = 0;
    *retry = false;
    if (a.rc == CURLE_OK)
        return take_response(&a, origin, out, retry);
    return classify_failure(c, &a, clipped, origin, out, retry);
}

/* The attempts of one request: retried (when allowed) after a backoff
 * that must end before the deadline. */
static mz_outbound_status attempt_all(mz_outbound *c, const mz_out_url *p, const char *method,
                                      struct curl_slist *hdrs, const char *body, size_t body_len,
                                      int max, int64_t deadline_ms, const char *origin,
                                      mz_outbound_result *out)
{
    mz_outbound_status st = MZ_OUT_TRANSPORT;
    for (int n = 1;; n++) {
        long timeout;
        bool clipped, retry;
        if (!attempt_timeout(c, deadline_ms, &timeout, &clipped)) {
            if (n == 1)
                set_error(out, "deadline passed before the request");
            return MZ_OUT_DEADLINE;
        }
        st =
            attempt_once(c, p, method, hdrs, body, body_len, timeout, clipped, origin, out, &retry);
        out->attempts = n;
        if (!retry || n >= max) {
            if (st == MZ_OUT_OK)
                out->error[0] = '\0';
            return st;
        }
        int64_t delay = backoff_delay(c, n);
        if (deadline_ms > 0 && mz_outbound_now_ms() + delay >= deadline_ms) {
            size_t len = strlen(out->error);
            snprintf(out->error + len, sizeof out->error - len, "; no time left to retry");
            return MZ_OUT_DEADLINE;
        }
        log_event(MZ_LOG_INFO, "outbound: retrying", origin, n, out);
        sleep_ms(delay);
    }
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
    mz_out_url p;
    if (!check_url(c, url, &p)) {
        set_error(out, "URL not under an allowed base");
        mz_log_msg(MZ_LOG_WARN, "outbound: URL not under an allowed base, nothing sent");
        return MZ_OUT_REFUSED;
    }
    struct curl_slist *hdrs;
    if (!build_headers(headers, &hdrs)) {
        mz_out_url_free(&p);
        set_error(out, "malformed request header");
        return MZ_OUT_REFUSED;
    }
    char origin[ORIGIN_MAX];
    snprintf(origin, sizeof origin, "%s://%s:%s", p.scheme, p.host, p.port);
    mz_outbound_status st = attempt_all(c, &p, method, hdrs, body, body_len,
                                        idempotent ? c->max_attempts : 1, deadline_ms, origin, out);
    if (st != MZ_OUT_OK)
        log_event(MZ_LOG_WARN, "outbound: request failed", origin, out->attempts, out);
    headers_free(hdrs);
    mz_out_url_free(&p);
    return st;
}

/* ---- streaming (see outbound.h) ---- */

typedef struct stream_state {
    CURL *e;
    const mz_outbound_stream_cb *cb;
    size_t max, got, other;
    long status;
    bool started, stopped, too_large;
} stream_state;

static bool stream_start(stream_state *s)
{
    curl_off_t len = -1;
    if (curl_easy_getinfo(s->e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) != CURLE_OK)
        len = -1;
    if (len >= 0 && (uint64_t)len > s->max) {
        s->too_large = true;
        return false;
    }
    s->started = true;
    if (!s->cb->on_start(s->cb->ud, len >= 0 ? (int64_t)len : -1)) {
        s->stopped = true;
        return false;
    }
    return true;
}

static size_t stream_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    stream_state *s = userdata;
    size_t n = size * nmemb;
    if (!s->status)
        curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status != 200) { /* not passed on; read up to 64 KiB, then cut */
        s->other += n;
        return s->other > 65536 ? 0 : n;
    }
    if (!s->started && !stream_start(s))
        return 0;
    if (n > s->max - s->got) {
        s->too_large = true;
        return 0;
    }
    s->got += n;
    if (n && !s->cb->on_data(s->cb->ud, ptr, n)) {
        s->stopped = true;
        return 0;
    }
    return n;
}

static int stream_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    stream_state *s = clientp;
    if (s->cb->keep_going && !s->cb->keep_going(s->cb->ud)) {
        s->stopped = true;
        return 1; /* aborts (CURLE_ABORTED_BY_CALLBACK) */
    }
    return 0;
}

mz_outbound_status mz_outbound_stream(mz_outbound *c, const char *url, const char *const *headers,
                                      size_t max_bytes, int64_t deadline_ms,
                                      const mz_outbound_stream_cb *cb, mz_outbound_result *out)
{
    if (!out)
        return MZ_OUT_REFUSED;
    memset(out, 0, sizeof *out);
    out->attempts = 1;
    if (!c || !cb) {
        set_error(out, "no client");
        return MZ_OUT_REFUSED;
    }
    mz_out_url p;
    if (!check_url(c, url, &p)) {
        set_error(out, "URL not under an allowed base");
        mz_log_msg(MZ_LOG_WARN, "outbound: URL not under an allowed base, nothing sent");
        return MZ_OUT_REFUSED;
    }
    struct curl_slist *hdrs;
    if (!build_headers(headers, &hdrs)) {
        mz_out_url_free(&p);
        set_error(out, "malformed request header");
        return MZ_OUT_REFUSED;
    }
    char origin[ORIGIN_MAX];
    snprintf(origin, sizeof origin, "%s://%s:%s", p.scheme, p.host, p.port);
    long timeout = 0;
    bool clipped = false;
    mz_outbound_status st = MZ_OUT_OK;
    if (!attempt_timeout(c, deadline_ms, &timeout, &clipped)) {
        set_error(out, "deadline passed before the request");
        st = MZ_OUT_DEADLINE;
    }
    /* The whole transfer must end by the deadline (not the client's
     * per-request timeout, which is for small answers). */
    if (st == MZ_OUT_OK && deadline_ms > 0) {
        timeout = (long)(deadline_ms - mz_outbound_now_ms());
        clipped = true;
    }
    if (st == MZ_OUT_OK) {
        CURL *e = c->easy;
        conn_guard guard = {.host = p.host};
        stream_state s = {.e = e, .cb = cb, .max = max_bytes};
        curl_easy_reset(e);
        curl_easy_setopt(e, CURLOPT_CURLU, p.u);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &guard);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout > 0 ? timeout : 0L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         timeout > 0 && timeout < c->connect_timeout_ms ? timeout
                                                                        : c->connect_timeout_ms);
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, stream_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "mijnzaken/" MZ_VERSION);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, stream_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, &s);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        CURLcode rc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
        char *ct = NULL;
        if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
            snprintf(out->content_type, sizeof out->content_type, "%s", ct);
        curl_easy_setopt(e, CURLOPT_CURLU, NULL);
        if (rc == CURLE_OK && out->status == 200 && !s.started && !stream_start(&s))
            rc = CURLE_WRITE_ERROR; /* an empty body: started at the end */
        if (out->status != 200 && out->status != 0 && (rc == CURLE_OK || s.other > 0)) {
            st = MZ_OUT_OK; /* an answer that is not the content: the caller reads status */
        } else if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            set_error(out, "response larger than %zu bytes from %s", max_bytes, origin);
            st = MZ_OUT_TOO_LARGE;
        } else if (s.stopped) {
            set_error(out, "stopped by the receiver (%s)", origin);
            st = MZ_OUT_TRANSPORT;
        } else if (rc == CURLE_COULDNT_CONNECT && guard.refused && !guard.allowed) {
            set_error(out, "address not allowed: %s resolves to an internal address", origin);
            st = MZ_OUT_REFUSED;
        } else if (rc == CURLE_OPERATION_TIMEDOUT && clipped) {
            set_error(out, "deadline reached: %s (%s)", curl_easy_strerror(rc), origin);
            st = MZ_OUT_DEADLINE;
        } else if (rc != CURLE_OK) {
            set_error(out, "%s (%s)", curl_easy_strerror(rc), origin);
            st = MZ_OUT_TRANSPORT;
        }
    }
    if (st != MZ_OUT_OK)
        log_event(MZ_LOG_WARN, "outbound: stream failed", origin, 1, out);
    headers_free(hdrs);
    mz_out_url_free(&p);
    return st;
}
