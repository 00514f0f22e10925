/*
 * alloc.h — the one rule for allocation failure: it aborts the process.
 *
 * Why abort instead of returning an error: every allocation here is small
 * and bounded by a configured limit (body size, page size, JSON nodes), so
 * running out of memory means the process is broken, not that one request
 * was too big. An error path per allocation would be code that never runs in
 * tests and would report out-of-memory as something else (a database error,
 * a bad request). A restart by the supervisor is the honest answer; every
 * write that was acknowledged is already durable.
 *
 * The message written before abort() is a fixed JSON log line (no data).
 *
 * Ownership: every pointer returned is the caller's, released with free().
 * mz_xstrdup(NULL) and mz_xstrndup(NULL, n) return NULL (absent stays
 * absent); every other function never returns NULL.
 */
#ifndef MZ_ALLOC_H
#define MZ_ALLOC_H

#include <stddef.h>

/* Writes a fatal log line and aborts. */
_Noreturn void mz_oom(void);

void *mz_xmalloc(size_t n);
/* Zeroed; n * size is checked for overflow. */
void *mz_xcalloc(size_t n, size_t size);
/* n * size is checked for overflow; p may be NULL. */
void *mz_xreallocarray(void *p, size_t n, size_t size);
char *mz_xstrdup(const char *s);
/* At most n bytes of s, NUL-terminated. */
char *mz_xstrndup(const char *s, size_t n);

#endif
