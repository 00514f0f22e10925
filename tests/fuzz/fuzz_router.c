/*
 * fuzz_router.c — the request router and the parsers of request values:
 * mz_route_find, mz_safe_echo, mz_target_problem (service/http.c), mz_page_size_parse,
 * mz_cursor_decode, mz_id_cursor_decode (service/pagination.c), mz_uuid_valid
 * (service/cases_json.c), mz_traceparent_parse (service/plog.c),
 * mz_valid_date / mz_valid_datetime (service/events.c).
 *
 * Input: "<METHOD> <path>[?<query>][\n<header value>]". An odd input
 * length also switches MZ_DEV_MODE on (the development-only route exists
 * only then); the path goes to the router as libmicrohttpd would pass it (the
 * query string already split off), every query value and the header value
 * to each value parser.
 *
 * Properties checked: a found route has the request's method and a
 * pattern the path matches, with one captured, non-empty, slash-free
 * value per {name} (freed afterwards, as http.c does); "path known" comes
 * with an Allow list; a route found without a mz_req gives the same route;
 * page sizes are canonical decimals 1..100; a decoded cursor encodes and
 * decodes to itself, with its sort key in range; an access-log cursor is
 * accepted only in the form we write; mz_safe_echo returns the input only when it holds no
 * BSN-like number; mz_target_problem refuses exactly a '%' that starts no
 * two-hex-digit escape, and %00; a valid date-time starts with a valid date; a valid
 * traceparent gives lower-case hex ids.
 */
#include "fuzz_util.h"

#include <ctype.h>

#include "bsn.h"
#include "cases_json.h"
#include "config.h"
#include "events.h"
#include "http.h"
#include "pagination.h"
#include "plog.h"

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

static void value_parsers(const char *v)
{
    int ps = -1;
    if (mz_page_size_parse(v, &ps)) {
        FZ_CHECK(ps >= 1 && ps <= MZ_PAGE_MAX);
        char back[8];
        snprintf(back, sizeof back, "%d", ps);
        FZ_CHECK(strcmp(back, v) == 0);
    }

    mz_cursor c;
    memset(&c, 0, sizeof c);
    if (mz_cursor_decode(v, &c)) {
        FZ_CHECK(mz_uuid_valid(c.id));
        char enc[MZ_CURSOR_MAX + 1];
        mz_cursor_encode(&c, enc);
        mz_cursor c2;
        memset(&c2, 0, sizeof c2);
        FZ_CHECK(mz_cursor_decode(enc, &c2));
        FZ_CHECK(c2.sort_us == c.sort_us && strcmp(c2.id, c.id) == 0);
        FZ_CHECK(c.sort_us >= MZ_CURSOR_MIN_US && c.sort_us <= MZ_CURSOR_MAX_US);
        FZ_CHECK(strcmp(enc, v) == 0); /* only the canonical form is accepted */
    }
    int64_t id = 0;
    if (mz_id_cursor_decode(v, &id)) {
        FZ_CHECK(id >= 1);
        char enc[MZ_CURSOR_MAX + 1];
        mz_id_cursor_encode(id, enc);
        FZ_CHECK(strcmp(enc, v) == 0); /* only the canonical form is accepted */
    }

    if (mz_uuid_valid(v))
        FZ_CHECK(strlen(v) == 36 && v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-' &&
                 strspn(v, "0123456789abcdefABCDEF-") == 36);

    /* a target is refused exactly when a '%' starts no escape or %00 */
    bool target_ok = true;
    for (const char *q = v; (q = strchr(q, '%')) != NULL; q++)
        if (!isxdigit((unsigned char)q[1]) || !isxdigit((unsigned char)q[2]) ||
            (q[1] == '0' && q[2] == '0'))
            target_ok = false;
    FZ_CHECK((mz_target_problem(v) == NULL) == target_ok);

    const char *e = mz_safe_echo(v);
    FZ_CHECK(e == v || strcmp(e, "(redacted)") == 0);
    if (e == v)
        FZ_CHECK(*v && strlen(v) <= 40 && !mz_contains_bsn_like(v, strlen(v)));

    char trace[33], span[17];
    if (mz_traceparent_parse(v, trace, span)) {
        FZ_CHECK(lower_hex(trace, 32) && lower_hex(span, 16));
        FZ_CHECK(memcmp(v + 3, trace, 32) == 0 && memcmp(v + 36, span, 16) == 0);
    }

    bool d = mz_valid_date(v);
    if (d)
        FZ_CHECK(strlen(v) == 10);
    if (mz_valid_datetime(v)) {
        char day[11];
        memcpy(day, v, 10);
        day[10] = '\0';
        FZ_CHECK(mz_valid_date(day));
    }
}

/* Does pattern match path with each {x} one non-empty segment? */
static bool ref_match(const char *p, const char *s, int *nparams)
{
    *nparams = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *pe = strchr(p, '}');
            size_t n = strcspn(s, "/");
            if (n == 0 || n > 200)
                return false;
            (*nparams)++;
            p = pe + 1;
            s += n;
            continue;
        }
        if (*p != *s)
            return false;
        p++, s++;
    }
    return *p == '\0' && *s == '\0';
}

static void route(const char *method, const char *path)
{
    mz_req r;
    memset(&r, 0, sizeof r);
    bool known = true;
    char allow[64];
    const mz_route *rt = mz_route_find(method, path, &known, allow, sizeof allow, &r);
    bool known2 = true;
    const mz_route *rt2 = mz_route_find(method, path, &known2, NULL, 0, NULL);
    FZ_CHECK(rt == rt2);
    if (rt) {
        FZ_CHECK(strcmp(rt->method, method) == 0);
        int np = -1;
        FZ_CHECK(ref_match(rt->pattern, path, &np));
        FZ_CHECK(np == r.nparams && r.nparams <= MZ_MAX_PATH_PARAMS);
        for (int i = 0; i < r.nparams; i++) {
            const char *v = r.param_value[i];
            FZ_CHECK(v && *v && !strchr(v, '/') && strlen(v) <= 200);
            value_parsers(v);
        }
        const char *id = mz_req_param(&r, "caseId");
        const char *ag = mz_req_param(&r, "agencyId");
        FZ_CHECK(!id || strstr(rt->pattern, "{caseId}"));
        FZ_CHECK(!ag || strstr(rt->pattern, "{agencyId}"));
        if (id)
            (void)mz_uuid_valid(id);
    } else {
        FZ_CHECK(r.nparams == 0);
        if (known)
            FZ_CHECK(allow[0] != '\0');
        else
            FZ_CHECK(allow[0] == '\0');
    }
    for (int i = 0; i < r.nparams; i++)
        free(r.param_value[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0; /* libmicrohttpd refuses longer request lines anyway */
    g_mz_config.dev_mode = (size & 1) != 0;

    char *parts[2], *owned;
    size_t hlen;
    fz_split(data, size, '\n', parts, 2, &hlen, &owned);
    char *line = parts[0], *header = parts[1];

    /* "<METHOD> <target>" */
    char *sp = strchr(line, ' ');
    const char *method = line;
    char *target = sp ? sp + 1 : line + strlen(line);
    if (sp)
        *sp = '\0';
    char *q = strchr(target, '?');
    if (q)
        *q++ = '\0';
    route(method, target);

    /* Query values (and names), split like application/x-www-form-urlencoded
     * without decoding: each goes through every value parser. */
    for (char *p = q; p && *p;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (eq)
            *eq++ = '\0';
        value_parsers(p);
        if (eq)
            value_parsers(eq);
        p = amp ? amp + 1 : NULL;
    }
    value_parsers(header);
    value_parsers(target);
    (void)mz_page_size_parse(NULL, &(int){0});
    FZ_CHECK(!mz_cursor_decode(NULL, &(mz_cursor){0}));
    FZ_CHECK(strcmp(mz_safe_echo(NULL), "(redacted)") == 0);
    free(owned);
    g_mz_config.dev_mode = false;
    return 0;
}
