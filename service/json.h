/*
 * json.h — bounded JSON parsing into a read-only tree.
 *
 * Why not yajl_tree_parse: it has no depth limit and frees recursively (a
 * deeply nested body is a stack overflow), it stops at an embedded NUL, and
 * yajl's own UTF-8 check lets overlong forms and surrogates through, which
 * Postgres later refuses (the sender would then retry forever). This module
 * drives yajl's callback parser with an explicit length, enforces the limits
 * below, validates every string and member name as strict UTF-8 without
 * NUL, and rejects duplicate member names (two "bsn" members must never be
 * read differently by two readers).
 *
 * Error messages never quote input text (it may hold personal data): they
 * name the problem and the byte offset only.
 *
 * Ownership: mz_json_parse returns a document the caller frees with
 * mz_json_free; every node and string pointer obtained from it lives exactly
 * as long as the document. Strings are NUL-terminated copies.
 */
#ifndef MZ_JSON_H
#define MZ_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mz_json_type {
    MZ_JSON_NULL,
    MZ_JSON_BOOL,
    MZ_JSON_NUMBER,
    MZ_JSON_STRING,
    MZ_JSON_ARRAY,
    MZ_JSON_OBJECT
} mz_json_type;

typedef struct mz_json mz_json;
struct mz_json {
    mz_json_type type;
    const char *key; /* member name when the parent is an object, else NULL */
    size_t key_len;
    mz_json *next; /* next sibling (array element or object member) */
    union {
        bool boolean;
        struct {
            const char *s; /* NUL-terminated, strict UTF-8, no NUL inside */
            size_t len;
        } str;
        struct {
            const char *raw; /* the number's text as written, NUL-terminated */
            double d;
            bool is_int; /* integral and within int64 range */
            int64_t i;
        } num;
        struct {
            mz_json *first;
            size_t count;
        } kids; /* array elements or object members, in document order */
    } u;
};

typedef struct mz_json_limits {
    unsigned max_depth; /* default 16: "[[...]]" nested deeper is refused */
    size_t max_nodes;   /* default 100000 */
    size_t max_string;  /* longest string or member name in bytes, default 65536 */
} mz_json_limits;

typedef struct mz_json_doc mz_json_doc;

/* Parses exactly text[0..len) as one JSON value (trailing whitespace only).
 * lim may be NULL for the defaults; zero fields also take the default.
 * On failure returns NULL and writes a message like
 * "nesting deeper than 16 levels at byte 123" to err (if errlen > 0). */
mz_json_doc *mz_json_parse(const char *text, size_t len, const mz_json_limits *lim, char *err,
                           size_t errlen);
const mz_json *mz_json_root(const mz_json_doc *doc);
void mz_json_free(mz_json_doc *doc); /* NULL is fine */
/* mz_json_free, overwriting every node and string with zeros first: for a
 * document that may hold a BSN or a secret (an agency's answer). */
void mz_json_free_wiped(mz_json_doc *doc);

/* Member lookup; NULL when obj is NULL, not an object, or has no such member. */
const mz_json *mz_json_get(const mz_json *obj, const char *key);
/* The string value, or NULL when v is NULL or not a string. */
const char *mz_json_string(const mz_json *v, size_t *len);
/* true and *out set when v is an integral number within int64 range. */
bool mz_json_int64(const mz_json *v, int64_t *out);

/* Writes v back as compact JSON (numbers as written) into b (buf.h). */
struct mz_buf;
void mz_json_write(struct mz_buf *b, const mz_json *v);

/* Strict UTF-8: shortest forms only, no surrogates, nothing above U+10FFFF,
 * and no NUL byte. */
bool mz_utf8_valid(const char *s, size_t n);

#endif
