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

/* The range of a cursor's sort key (µs since 1970): the timestamps RFC 3339
 * can write, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z. Why a
 * range: the key goes into SQL as a timestamp, and a number Postgres cannot
 * turn into one would fail the query (an outage any client could fake);
 * outside this range it is simply not a cursor we issued (400). */
#define MZ_CURSOR_MIN_US (-62135596800000000LL)
#define MZ_CURSOR_MAX_US 253402300799999999LL

/* Encodes into out (at least MZ_CURSOR_MAX + 1 bytes). */
void mz_cursor_encode(const mz_cursor *c, char *out);
/* Accepts exactly what mz_cursor_encode writes for a sort key in range:
 * the canonical decimal (no sign but '-', no leading zeros) and a UUID. */
bool mz_cursor_decode(const char *s, mz_cursor *out);

/* The access log's cursor: base64url of "a1:<row id>", the id from 1 to
 * INT64_MAX in canonical decimal. out: at least MZ_CURSOR_MAX + 1 bytes. */
void mz_id_cursor_encode(int64_t id, char *out);
bool mz_id_cursor_decode(const char *s, int64_t *id);

#endif
