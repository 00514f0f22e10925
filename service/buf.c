#include "buf.h"
#include "alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mz_buf_reserve(mz_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            mz_oom();
        cap *= 2;
    }
    b->data = mz_xreallocarray(b->data, cap, 1);
    b->cap = cap;
}

void mz_buf_append(mz_buf *b, const void *p, size_t n)
{
    mz_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mz_buf_puts(mz_buf *b, const char *s)
{
    mz_buf_append(b, s, strlen(s));
}

void mz_buf_putc(mz_buf *b, char c)
{
    mz_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void mz_buf_vprintf(mz_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    mz_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void mz_buf_printf(mz_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mz_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void mz_buf_reset(mz_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void mz_buf_free(mz_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *mz_buf_steal(mz_buf *b, size_t *len)
{
    if (!b->data)
        mz_buf_reserve(b, 0), b->data[0] = '\0';
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void mz_json_str(mz_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    mz_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t run = 0; /* start of the current run of bytes needing no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == 0x7f) {
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
            u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
            esc = u;
        } else if (c == '/' && i > 0 && s[i - 1] == '<')
            esc = "\\/";
        if (!esc)
            continue;
        mz_buf_append(b, s + run, i - run);
        mz_buf_puts(b, esc);
        run = i + 1;
    }
    mz_buf_append(b, s + run, n - run);
    mz_buf_putc(b, '"');
}

void mz_json_cstr(mz_buf *b, const char *s)
{
    if (!s)
        mz_buf_append(b, "null", 4);
    else
        mz_json_str(b, s, strlen(s));
}

void mz_json_key(mz_buf *b, const char *key)
{
    mz_json_cstr(b, key);
    mz_buf_putc(b, ':');
}

void mz_json_int(mz_buf *b, int64_t v)
{
    mz_buf_printf(b, "%" PRId64, v);
}

void mz_json_bool(mz_buf *b, bool v)
{
    mz_buf_puts(b, v ? "true" : "false");
}
