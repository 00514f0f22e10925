/*
 * pagination.h — page sizes and opaque keyset cursors.
 *
 * Why keyset cursors and not page numbers: a citizen's list changes while
 * they page through it (a status change moves a case to the top); a cursor
 * naming the last row seen (sort key, id) never skips or repeats rows, and
 * each page is one index range scan however deep. The cursor is base64url
 * of "v1:<sort key µs>:<uuid>": opaque to clients, validated strictly here
 * so that nothing malformed reaches SQL.
 */
#ifndef MZ_PAGINATION_H
#define MZ_PAGINATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MZ_PAGE_DEFAULT 20
#define MZ_PAGE_MAX     100
#define MZ_CURSOR_MAX   200

/* Parses pageSize: NULL → default; else a decimal integer 1..MZ_PAGE_MAX
 * without sign, spaces or leading zeros. */
bool mz_page_size_parse(const char *s, int *out);

typedef struct mz_cursor {
    int64_t sort_us;
    char id[37];
} mz_cursor;

/* Encodes into out (at least MZ_CURSOR_MAX + 1 bytes). */
void mz_cursor_encode(const mz_cursor *c, char *out);
bool mz_cursor_decode(const char *s, mz_cursor *out);

#endif
