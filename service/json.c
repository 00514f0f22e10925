/*
 * json.c — bounded JSON parsing on top of yajl's callback parser.
 *
 * How it works: yajl tokenizes and checks the grammar; our callbacks build
 * the tree in an arena and enforce the limits; a final pass over the raw
 * text checks \u escapes, because yajl 2.1 silently turns a lone high
 * surrogate into '?' and glues a high surrogate to any following \u escape
 * (neither is visible in the decoded string). The arena is a singly linked
 * list of malloc'd blocks, so mz_json_free is a loop no matter how the
 * document was shaped.
 *
 * Duplicate member names are found when an object closes by sorting its
 * members (O(k log k), no hash that crafted input could flood).
 *
 * "at byte N" in a message is how far the input had been read when the
 * problem was found (yajl_get_bytes_consumed): the end of the offending
 * token, the end of the object for a duplicate, the start of the escape for
 * a bad \u escape, and the input length for a premature end.
 */
#include "json.h"
#include "alloc.h"

#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yajl/yajl_parse.h>

#define MZ_JSON_DEFAULT_DEPTH  16u
#define MZ_JSON_DEFAULT_NODES  100000u
#define MZ_JSON_DEFAULT_STRING 65536u

/* --- Arena ------------------------------------------------------------- */

typedef struct mz_arena_block mz_arena_block;
struct mz_arena_block {
    mz_arena_block *next;
    size_t used;
    size_t cap;
    max_align_t data[]; /* aligned for any node or string */
};

#define MZ_ARENA_FIRST 8192u
#define MZ_ARENA_MAX   (256u * 1024u)

struct mz_json_doc {
    mz_arena_block *blocks; /* newest first */
    size_t next_cap;        /* size of the next ordinary block */
    mz_json *root;
};

static void *arena_alloc(mz_json_doc *doc, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    mz_arena_block *b = doc->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = doc->next_cap;
        if (n > cap) {
            /* A big string gets a block of its own, placed behind the
             * current block so the latter's free space stays in use. */
            if (n > SIZE_MAX - sizeof(mz_arena_block))
                return NULL;
            mz_arena_block *big = mz_xmalloc(sizeof(mz_arena_block) + n);
            big->used = n;
            big->cap = n;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                big->next = NULL;
                doc->blocks = big;
            }
            return (char *)big->data;
        }
        mz_arena_block *nb = mz_xmalloc(sizeof(mz_arena_block) + cap);
        nb->next = doc->blocks;
        nb->used = 0;
        nb->cap = cap;
        doc->blocks = nb;
        if (doc->next_cap < MZ_ARENA_MAX)
            doc->next_cap *= 2;
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void mz_json_free(mz_json_doc *doc)
{
    if (!doc)
        return;
    mz_arena_block *b = doc->blocks;
    while (b) {
        mz_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(doc);
}

void mz_json_free_wiped(mz_json_doc *doc)
{
    if (!doc)
        return;
    for (mz_arena_block *b = doc->blocks; b; b = b->next)
        OPENSSL_cleanse(b->data, b->used);
    mz_json_free(doc);
}

/* --- UTF-8 ------------------------------------------------------------- */

/* Unicode 15, table 3-7 ("well-formed UTF-8 byte sequences"), minus NUL. */
bool mz_utf8_valid(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (!s)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x01 && c <= 0x7f) {
            i++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c == 0xe0) {
            need = 2, lo = 0xa0;
        } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
            need = 2;
        } else if (c == 0xed) {
            need = 2, hi = 0x9f; /* excludes the surrogates D800..DFFF */
        } else if (c == 0xf0) {
            need = 3, lo = 0x90;
        } else if (c >= 0xf1 && c <= 0xf3) {
            need = 3;
        } else if (c == 0xf4) {
            need = 3, hi = 0x8f; /* nothing above U+10FFFF */
        } else {
            return false; /* NUL, continuation byte, C0, C1, F5..FF */
        }
        if (n - i - 1 < need)
            return false;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return false;
        i += need + 1;
    }
    return true;
}

/* --- Parser state ------------------------------------------------------ */

typedef struct mz_json_frame {
    mz_json *node;
    mz_json *last;   /* last child, for O(1) append */
    const char *key; /* pending member name (objects only) */
    size_t key_len;
} mz_json_frame;

typedef struct mz_json_parser {
    mz_json_doc *doc;
    yajl_handle h;
    unsigned max_depth;
    size_t max_nodes;
    size_t max_string;
    size_t nodes;
    mz_json_frame *stack;
    size_t depth; /* frames in use */
    size_t stack_cap;
    const mz_json **scratch; /* members of the object being closed */
    size_t scratch_cap;
    bool failed;
    char err[128];
} mz_json_parser;

static void fail(mz_json_parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error only; the message gets " at byte N" appended. */
static void fail(mz_json_parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err, sizeof ps->err, fmt, ap);
    va_end(ap);
}

static bool check_text(mz_json_parser *ps, const unsigned char *s, size_t n, const char *what)
{
    if (n > ps->max_string) {
        fail(ps, "%s longer than %zu bytes", what, ps->max_string);
        return false;
    }
    if (memchr(s, '\0', n)) {
        fail(ps, "%s contains a NUL character", what);
        return false;
    }
    if (!mz_utf8_valid((const char *)s, n)) {
        fail(ps, "%s is not valid UTF-8", what);
        return false;
    }
    return true;
}

static const char *copy_text(mz_json_parser *ps, const void *s, size_t n)
{
    char *c = arena_alloc(ps->doc, n + 1);
    if (!c) {
        fail(ps, "out of memory");
        return NULL;
    }
    if (n)
        memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Allocates a node and links it into the open container (or makes it the
 * root). */
static mz_json *add_node(mz_json_parser *ps, mz_json_type type)
{
    if (ps->nodes >= ps->max_nodes) {
        fail(ps, "more than %zu values", ps->max_nodes);
        return NULL;
    }
    mz_json *v = arena_alloc(ps->doc, sizeof *v);
    if (!v) {
        fail(ps, "out of memory");
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = type;
    ps->nodes++;
    if (ps->depth == 0) {
        if (ps->doc->root) {
            fail(ps, "more than one top-level value");
            return NULL;
        }
        ps->doc->root = v;
        return v;
    }
    mz_json_frame *f = &ps->stack[ps->depth - 1];
    if (f->node->type == MZ_JSON_OBJECT) {
        if (!f->key) {
            fail(ps, "object member without a name"); /* yajl prevents this */
            return NULL;
        }
        v->key = f->key;
        v->key_len = f->key_len;
        f->key = NULL;
        f->key_len = 0;
    }
    if (f->last)
        f->last->next = v;
    else
        f->node->u.kids.first = v;
    f->last = v;
    f->node->u.kids.count++;
    return v;
}

static int open_container(mz_json_parser *ps, mz_json_type type)
{
    if (ps->depth >= ps->max_depth) {
        fail(ps, "nesting deeper than %u levels", ps->max_depth);
        return 0;
    }
    mz_json *v = add_node(ps, type);
    if (!v)
        return 0;
    if (ps->depth == ps->stack_cap) {
        size_t cap = ps->stack_cap ? ps->stack_cap * 2 : 16;
        ps->stack = mz_xreallocarray(ps->stack, cap, sizeof *ps->stack);
        ps->stack_cap = cap;
    }
    mz_json_frame *f = &ps->stack[ps->depth++];
    f->node = v;
    f->last = NULL;
    f->key = NULL;
    f->key_len = 0;
    return 1;
}

static int member_cmp(const void *a, const void *b)
{
    const mz_json *x = *(const mz_json *const *)a;
    const mz_json *y = *(const mz_json *const *)b;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return memcmp(x->key, y->key, x->key_len);
}

static bool has_duplicate_names(mz_json_parser *ps, const mz_json *obj)
{
    size_t n = obj->u.kids.count;
    if (n < 2)
        return false;
    if (n <= 8) { /* small objects: pairwise is cheaper than sorting */
        for (const mz_json *a = obj->u.kids.first; a; a = a->next)
            for (const mz_json *b = a->next; b; b = b->next)
                if (a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0)
                    return true;
        return false;
    }
    if (n > ps->scratch_cap) {
        ps->scratch = mz_xreallocarray(ps->scratch, n, sizeof *ps->scratch);
        ps->scratch_cap = n;
    }
    size_t i = 0;
    for (const mz_json *m = obj->u.kids.first; m; m = m->next)
        ps->scratch[i++] = m;
    qsort(ps->scratch, n, sizeof *ps->scratch, member_cmp);
    for (i = 1; i < n; i++)
        if (member_cmp(&ps->scratch[i - 1], &ps->scratch[i]) == 0)
            return true;
    return false;
}

/* --- yajl callbacks ---------------------------------------------------- */

static int cb_null(void *ctx)
{
    return add_node(ctx, MZ_JSON_NULL) != NULL;
}

static int cb_boolean(void *ctx, int val)
{
    mz_json *v = add_node(ctx, MZ_JSON_BOOL);
    if (!v)
        return 0;
    v->u.boolean = val != 0;
    return 1;
}

static bool is_integer_literal(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    mz_json_parser *ps = ctx;
    /* The string limit bounds number text too: nothing legitimate needs
     * 64 KiB of digits, and strtod's cost grows with them. */
    if (n > ps->max_string) {
        fail(ps, "number longer than %zu bytes", ps->max_string);
        return 0;
    }
    mz_json *v = add_node(ps, MZ_JSON_NUMBER);
    if (!v)
        return 0;
    const char *raw = copy_text(ps, s, n);
    if (!raw)
        return 0;
    v->u.num.raw = raw;
    /* yajl has checked the JSON number grammar, so strtod/strtoll see no
     * hex, inf or nan; out-of-range values give +-HUGE_VAL or 0 with
     * ERANGE, never a crash. (The process never calls setlocale, so the
     * decimal point is '.'.) */
    v->u.num.d = strtod(raw, NULL);
    if (is_integer_literal(raw, n)) {
        errno = 0;
        long long i = strtoll(raw, NULL, 10);
        if (errno == 0) {
            v->u.num.is_int = true;
            v->u.num.i = (int64_t)i;
        }
    }
    return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    mz_json_parser *ps = ctx;
    if (!check_text(ps, s, n, "string"))
        return 0;
    mz_json *v = add_node(ps, MZ_JSON_STRING);
    if (!v)
        return 0;
    v->u.str.s = copy_text(ps, s, n);
    v->u.str.len = n;
    return v->u.str.s != NULL;
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, MZ_JSON_OBJECT);
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
    mz_json_parser *ps = ctx;
    if (!check_text(ps, s, n, "member name"))
        return 0;
    const char *k = copy_text(ps, s, n);
    if (!k)
        return 0;
    mz_json_frame *f = &ps->stack[ps->depth - 1];
    f->key = k;
    f->key_len = n;
    return 1;
}

static int cb_end_map(void *ctx)
{
    mz_json_parser *ps = ctx;
    const mz_json *obj = ps->stack[ps->depth - 1].node;
    if (has_duplicate_names(ps, obj)) {
        fail(ps, "duplicate member name in object");
        return 0;
    }
    ps->depth--;
    return 1;
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, MZ_JSON_ARRAY);
}

static int cb_end_array(void *ctx)
{
    mz_json_parser *ps = ctx;
    ps->depth--;
    return 1;
}

static const yajl_callbacks mz_json_callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end_map,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end_array,
};

/* --- Escape check ------------------------------------------------------ */

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Runs over text yajl has accepted, where every '"' outside a string opens
 * one and every '\\' inside a string starts an escape. Returns false with
 * *bad set to the escape's offset on \u0000 or an unpaired surrogate. */
static bool escapes_ok(const char *t, size_t len, size_t *bad, const char **why)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string) {
            in_string = t[i] == '"';
            continue;
        }
        if (t[i] == '"') {
            in_string = false;
            continue;
        }
        if (t[i] != '\\')
            continue;
        if (i + 1 >= len)
            break;
        if (t[i + 1] != 'u') {
            i++;
            continue;
        }
        *bad = i;
        int cp = i + 6 <= len ? hex4(t + i + 2) : -1;
        if (cp < 0) {
            *why = "malformed \\u escape";
            return false;
        }
        if (cp == 0) {
            *why = "string contains a NUL character";
            return false;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            *why = "unpaired UTF-16 surrogate escape";
            return false;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            int lo = -1;
            if (i + 12 <= len && t[i + 6] == '\\' && t[i + 7] == 'u')
                lo = hex4(t + i + 8);
            if (lo < 0xdc00 || lo > 0xdfff) {
                *why = "unpaired UTF-16 surrogate escape";
                return false;
            }
            i += 6;
        }
        i += 5;
    }
    return true;
}

/* --- Public API -------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *msg, size_t offset)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "%s at byte %zu", msg, offset);
}

/* yajl's non-verbose messages are fixed strings (never input text); drop
 * the "lexical error: " style prefix and the trailing period/newline. */
static void yajl_err(yajl_handle h, char *out, size_t outlen)
{
    unsigned char *e = yajl_get_error(h, 0, NULL, 0);
    const char *msg = e ? (const char *)e : "syntax error";
    const char *colon = strstr(msg, ": ");
    if (colon)
        msg = colon + 2;
    size_t n = strcspn(msg, "\n");
    while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == ' '))
        n--;
    snprintf(out, outlen, "invalid JSON: %.*s", (int)n, msg);
    if (e)
        yajl_free_error(h, e);
}

mz_json_doc *mz_json_parse(const char *text, size_t len, const mz_json_limits *lim, char *err,
                           size_t errlen)
{
    if (err && errlen > 0)
        err[0] = '\0';
    if (!text) {
        if (len > 0) {
            set_err(err, errlen, "no input text", 0);
            return NULL;
        }
        text = "";
    }
    mz_json_parser ps;
    memset(&ps, 0, sizeof ps);
    ps.max_depth = lim && lim->max_depth ? lim->max_depth : MZ_JSON_DEFAULT_DEPTH;
    ps.max_nodes = lim && lim->max_nodes ? lim->max_nodes : MZ_JSON_DEFAULT_NODES;
    ps.max_string = lim && lim->max_string ? lim->max_string : MZ_JSON_DEFAULT_STRING;

    ps.doc = mz_xcalloc(1, sizeof *ps.doc);
    ps.doc->next_cap = MZ_ARENA_FIRST;
    ps.h = yajl_alloc(&mz_json_callbacks, NULL, &ps);
    if (!ps.h) {
        mz_json_free(ps.doc);
        set_err(err, errlen, "out of memory", 0);
        return NULL;
    }
    /* All of these default to off in yajl 2.1; set them anyway so the
     * contract does not hang on a library default. */
    yajl_config(ps.h, yajl_allow_comments, 0);
    yajl_config(ps.h, yajl_dont_validate_strings, 0);
    yajl_config(ps.h, yajl_allow_trailing_garbage, 0);
    yajl_config(ps.h, yajl_allow_multiple_values, 0);
    yajl_config(ps.h, yajl_allow_partial_values, 0);

    char msg[160];
    size_t offset = 0;
    bool ok = false;
    yajl_status st = yajl_parse(ps.h, (const unsigned char *)text, len);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(ps.h);
        /* yajl finishes by parsing a single blank of its own, so an error
         * found here sits at the end of the input. */
        offset = len;
    } else {
        offset = yajl_get_bytes_consumed(ps.h);
    }
    if (ps.failed) {
        snprintf(msg, sizeof msg, "%s", ps.err);
    } else if (st != yajl_status_ok) {
        yajl_err(ps.h, msg, sizeof msg);
    } else if (!ps.doc->root || ps.depth != 0) {
        snprintf(msg, sizeof msg, "invalid JSON: incomplete value");
    } else {
        const char *why = NULL;
        if (escapes_ok(text, len, &offset, &why))
            ok = true;
        else
            snprintf(msg, sizeof msg, "%s", why);
    }
    yajl_free(ps.h);
    free(ps.stack);
    free(ps.scratch);
    if (!ok) {
        set_err(err, errlen, msg, offset);
        mz_json_free(ps.doc);
        return NULL;
    }
    return ps.doc;
}

const mz_json *mz_json_root(const mz_json_doc *doc)
{
    return doc ? doc->root : NULL;
}

const mz_json *mz_json_get(const mz_json *obj, const char *key)
{
    if (!obj || obj->type != MZ_JSON_OBJECT || !key)
        return NULL;
    size_t n = strlen(key);
    for (const mz_json *m = obj->u.kids.first; m; m = m->next)
        if (m->key_len == n && memcmp(m->key, key, n) == 0)
            return m;
    return NULL;
}

const char *mz_json_string(const mz_json *v, size_t *len)
{
    if (!v || v->type != MZ_JSON_STRING)
        return NULL;
    if (len)
        *len = v->u.str.len;
    return v->u.str.s;
}

bool mz_json_int64(const mz_json *v, int64_t *out)
{
    if (!v || v->type != MZ_JSON_NUMBER || !v->u.num.is_int)
        return false;
    if (out)
        *out = v->u.num.i;
    return true;
}

void mz_json_write(mz_buf *b, const mz_json *v)
{
    switch (v->type) {
    case MZ_JSON_NULL:
        mz_buf_puts(b, "null");
        break;
    case MZ_JSON_BOOL:
        mz_json_bool(b, v->u.boolean);
        break;
    case MZ_JSON_NUMBER:
        mz_buf_puts(b, v->u.num.raw);
        break;
    case MZ_JSON_STRING:
        mz_json_str(b, v->u.str.s, v->u.str.len);
        break;
    case MZ_JSON_ARRAY:
    case MZ_JSON_OBJECT:
        mz_buf_putc(b, v->type == MZ_JSON_ARRAY ? '[' : '{');
        for (const mz_json *k = v->u.kids.first; k; k = k->next) {
            if (k != v->u.kids.first)
                mz_buf_putc(b, ',');
            if (v->type == MZ_JSON_OBJECT) {
                mz_json_str(b, k->key, k->key_len);
                mz_buf_putc(b, ':');
            }
            mz_json_write(b, k);
        }
        mz_buf_putc(b, v->type == MZ_JSON_ARRAY ? ']' : '}');
        break;
    }
}
