#include "pagination.h"

#include <errno.h>
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

bool mz_cursor_decode(const char *s, mz_cursor *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MZ_CURSOR_MAX)
        return false;
    char raw[MZ_CURSOR_MAX];
    long m = mz_b64url_decode(s, n, raw, sizeof raw - 1);
    if (m < 0)
        return false;
    raw[m] = '\0';
    if ((size_t)m != strlen(raw) || strncmp(raw, "v1:", 3) != 0)
        return false;
    char *p = raw + 3;
    if (!((*p >= '0' && *p <= '9') || *p == '-'))
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, 10);
    if (errno || end == p || *end != ':')
        return false;
    if (!mz_uuid_valid(end + 1))
        return false;
    out->sort_us = v;
    memcpy(out->id, end + 1, 37);
    return true;
}
