#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void mz_oom(void)
{
    static const char msg[] = "{\"level\":\"fatal\",\"msg\":\"out of memory\"}\n";
    (void)!fwrite(msg, 1, sizeof msg - 1, stderr);
    abort();
}

void *mz_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        mz_oom();
    return p;
}

void *mz_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        mz_oom();
    return p;
}

void *mz_xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        mz_oom();
    size_t bytes = n * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        mz_oom();
    return q;
}

char *mz_xstrdup(const char *s)
{
    return s ? mz_xstrndup(s, strlen(s)) : NULL;
}

char *mz_xstrndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = mz_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
