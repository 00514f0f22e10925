#include "pagination.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases_json.h"
#include "crypto.h"

bool mz_page_size_parse(const char *s, int *out)
{
    if (!s) {
        *out = MZ_PAGE_DEFAULT;
        return true;
    }
    size_t n = strlen(s);
    if (n == 0 || n > 3 || s[0] == '0')
        return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > MZ_PAGE_MAX)
        return false;
    *out = v;
    return true;
}

void mz_cursor_encode(const mz_cursor *c, char *out)
{
    char raw[80];
    int n = snprintf(raw, sizeof raw, "v1:%" PRId64 ":%s", c->sort_us, c->id);
    mz_b64url_encode(raw, (size_t)n, out);
}

/* Reads a canonical decimal int64 at p: an optional '-', then "0" or
 * digits without a leading zero, no overflow. Returns the end, or NULL. */
static const char *canonical_i64(const char *p, bool allow_negative, int64_t *out)
{
    bool neg = false;
    if (*p == '-') {
        if (!allow_negative)
            return NULL;
        neg = true;
        p++;
    }
    if (*p < '0' || *p > '9' || (*p == '0' && ((p[1] >= '0' && p[1] <= '9') || neg)))
        return NULL; /* no digits, a leading zero, or "-0" */
    /* accumulate negatively: INT64_MIN has no positive counterpart */
    int64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (v < (INT64_MIN + d) / 10)
            return NULL;
        v = v * 10 - d;
    }
    if (!neg) {
        if (v == INT64_MIN)
            return NULL;
        v = -v;
    }
    *out = v;
    return p;
}

/* Decodes base64url s into raw (NUL-terminated; an embedded NUL refused)
 * and checks the version prefix; returns the text after it, or NULL. */
static const char *open_cursor(const char *s, const char *prefix, char *raw, size_t rawlen)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MZ_CURSOR_MAX)
        return NULL;
    long m = mz_b64url_decode(s, n, raw, rawlen - 1);
    if (m < 0)
        return NULL;
    raw[m] = '\0';
    size_t pl = strlen(prefix);
    if ((size_t)m != strlen(raw) || strncmp(raw, prefix, pl) != 0)
        return NULL;
    return raw + pl;
}

bool mz_cursor_decode(const char *s, mz_cursor *out)
{
    char raw[MZ_CURSOR_MAX];
    const char *p = open_cursor(s, "v1:", raw, sizeof raw);
    int64_t v;
    const char *end = p ? canonical_i64(p, true, &v) : NULL;
    if (!end || *end != ':' || v < MZ_CURSOR_MIN_US || v > MZ_CURSOR_MAX_US)
        return false;
    if (!mz_uuid_valid(end + 1))
        return false;
    out->sort_us = v;
    memcpy(out->id, end + 1, 37);
    return true;
}

void mz_id_cursor_encode(int64_t id, char *out)
{
    char raw[40];
    int n = snprintf(raw, sizeof raw, "a1:%" PRId64, id);
    mz_b64url_encode(raw, (size_t)n, out);
}

bool mz_id_cursor_decode(const char *s, int64_t *id)
{
    char raw[MZ_CURSOR_MAX];
    const char *p = open_cursor(s, "a1:", raw, sizeof raw);
    int64_t v;
    const char *end = p ? canonical_i64(p, false, &v) : NULL;
    if (!end || *end != '\0' || v < 1)
        return false;
    *id = v;
    return true;
}
