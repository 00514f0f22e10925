/*
 * fuzz_util.h — small helpers shared by the libFuzzer targets
 * (tests/fuzz/fuzz_*.c; built with -DMZ_FUZZ=ON, run by scripts/fuzz.sh).
 *
 * Every target is deterministic for a given input, frees everything it
 * allocates (LeakSanitizer runs), and calls abort() when a property the
 * code promises does not hold, so libFuzzer records the input as a crash.
 */
#ifndef MZ_FUZZ_UTIL_H
#define MZ_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() with a message naming the broken property. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A malloc'd NUL-terminated copy of data[0..n) (it may hold NULs inside). */
static inline char *fz_copy(const void *data, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* Splits a copy of data at the first (nparts - 1) occurrences of sep:
 * parts[i] point into *owned (free it), each NUL-terminated. When all
 * separators are there, parts[nparts - 1] is the rest of the input, with
 * its length in *last_len (it may hold sep and NULs); otherwise the text
 * after the last separator found is parts[found] and the parts after it
 * are "" (*last_len = 0). Returns how many separators were found. */
static inline size_t fz_split(const uint8_t *data, size_t size, char sep, char **parts,
                              size_t nparts, size_t *last_len, char **owned)
{
    char *c = fz_copy(data, size);
    *owned = c;
    size_t found = 0, start = 0;
    for (size_t i = 0; i < nparts; i++)
        parts[i] = c + size; /* "" */
    for (size_t i = 0; i < size && found + 1 < nparts; i++) {
        if (c[i] == sep) {
            c[i] = '\0';
            parts[found++] = c + start;
            start = i + 1;
        }
    }
    parts[found] = c + start;
    *last_len = found + 1 == nparts ? size - start : 0;
    return found;
}

#endif
