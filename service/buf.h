/*
 * buf.h — growable byte buffer and a JSON writer on top of it.
 *
 * Why our own writer instead of yajl_gen: responses are built in one pass
 * from database rows, and the writer needs exactly three things yajl_gen
 * makes awkward: appending pre-rendered fragments, strict escaping of every
 * control character and of "</" (pages may embed JSON), and no allocation
 * per value. Allocation failure aborts the process (mz_buf_* never return
 * an error): a half-written response is worse than a restart.
 *
 * Ownership: a mz_buf owns `data`; mz_buf_free releases it; mz_buf_steal
 * hands it to the caller (free() it).
 */
#ifndef MZ_BUF_H
#define MZ_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mz_buf {
    char *data; /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
} mz_buf;

#define MZ_BUF_INIT                                                                                \
    {                                                                                              \
        0, 0, 0                                                                                    \
    }

void mz_buf_reserve(mz_buf *b, size_t extra);
void mz_buf_append(mz_buf *b, const void *p, size_t n);
void mz_buf_puts(mz_buf *b, const char *s);
void mz_buf_putc(mz_buf *b, char c);
void mz_buf_printf(mz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mz_buf_vprintf(mz_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void mz_buf_reset(mz_buf *b); /* len = 0, keeps the allocation */
void mz_buf_free(mz_buf *b);
/* Returns the data (malloc'd, NUL-terminated, caller frees) and empties b. */
char *mz_buf_steal(mz_buf *b, size_t *len);

/* --- JSON writing. The caller places commas; these write single values. */

/* Writes a JSON string literal for s[0..n): escapes '"', '\\', all bytes
 * below 0x20, DEL, and '/' after '<'. Bytes >= 0x80 are copied unchanged:
 * callers pass only validated UTF-8 (database text is always valid). */
void mz_json_str(mz_buf *b, const char *s, size_t n);
/* Same for a NUL-terminated string; NULL writes `null`. */
void mz_json_cstr(mz_buf *b, const char *s);
/* Writes `"key":` */
void mz_json_key(mz_buf *b, const char *key);
void mz_json_int(mz_buf *b, int64_t v);
void mz_json_bool(mz_buf *b, bool v);

#endif
