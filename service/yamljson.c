/*
 * yamljson.c — YAML to JSON with libyaml's event parser.
 *
 * libyaml's parser keeps its own explicit stacks, and so does this
 * converter, so deep nesting costs memory but never C stack. Commas are
 * placed from a per-container count; mapping keys are remembered as spans
 * of the output and checked for duplicates when the mapping closes.
 */
#include "yamljson.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "json.h"

#define YAML_STR_TAG "tag:yaml.org,2002:str"
#define YAML_MAP_TAG "tag:yaml.org,2002:map"
#define YAML_SEQ_TAG "tag:yaml.org,2002:seq"

typedef struct mz_yj_frame {
    bool mapping;
    bool want_value;   /* mapping: a key has been written, its value is next */
    size_t count;      /* values (sequence) or complete pairs (mapping) */
    size_t keys_start; /* first of this mapping's entries in keys[] */
} mz_yj_frame;

typedef struct mz_yj_span {
    size_t off; /* an escaped key (with quotes) in out.data */
    size_t len;
    yaml_mark_t mark; /* where the key starts in the YAML text */
} mz_yj_span;

typedef struct mz_yj {
    mz_buf out;
    mz_yj_frame *stack;
    size_t depth, stack_cap;
    mz_yj_span *keys;
    size_t nkeys, keys_cap;
    bool have_root;
    char *err;
    size_t errlen;
    bool failed;
} mz_yj;

static void yj_fail(mz_yj *c, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void yj_fail(mz_yj *c, const yaml_mark_t *m, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    if (!c->err || c->errlen == 0)
        return;
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m)
        snprintf(c->err, c->errlen, "%s at line %zu column %zu", msg, m->line + 1, m->column + 1);
    else
        snprintf(c->err, c->errlen, "%s", msg);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = mz_xreallocarray(p, n, elem);
    *cap = n;
    return q;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static bool is_one_of(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0)
            return true;
    return false;
}

/* Places the comma before a value; refuses non-scalar mapping keys.
 * Sets *is_key when the value about to be written is a mapping key. */
static bool before_value(mz_yj *c, const yaml_event_t *ev, bool scalar, bool *is_key)
{
    *is_key = false;
    if (c->depth == 0) {
        if (c->have_root) {
            yj_fail(c, &ev->start_mark, "more than one top-level value");
            return false;
        }
        return true;
    }
    mz_yj_frame *f = &c->stack[c->depth - 1];
    if (f->mapping && !f->want_value) {
        if (!scalar) {
            yj_fail(c, &ev->start_mark, "mapping key is not a scalar");
            return false;
        }
        *is_key = true;
    }
    if (f->count > 0 && !(f->mapping && f->want_value))
        mz_buf_putc(&c->out, ',');
    return true;
}

static void after_value(mz_yj *c)
{
    if (c->depth == 0) {
        c->have_root = true;
        return;
    }
    mz_yj_frame *f = &c->stack[c->depth - 1];
    if (f->mapping && !f->want_value) {
        f->want_value = true;
        return;
    }
    f->want_value = false;
    f->count++;
}

static bool check_anchor_tag(mz_yj *c, const yaml_event_t *ev, const yaml_char_t *anchor,
                             const yaml_char_t *tag, const char *allowed)
{
    if (anchor) {
        yj_fail(c, &ev->start_mark, "anchors are not supported");
        return false;
    }
    if (tag && strcmp((const char *)tag, allowed) != 0 && strcmp((const char *)tag, "!") != 0) {
        yj_fail(c, &ev->start_mark, "explicit tags are not supported");
        return false;
    }
    return true;
}

static bool on_scalar(mz_yj *c, const yaml_event_t *ev)
{
    static const char *const nulls[] = {"null", "Null", "NULL", "~", "", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};

    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (!check_anchor_tag(c, ev, ev->data.scalar.anchor, ev->data.scalar.tag, YAML_STR_TAG))
        return false;
    if (!mz_utf8_valid(s, n)) {
        yj_fail(c, &ev->start_mark, "scalar is not valid UTF-8 or contains NUL");
        return false;
    }
    bool is_key;
    if (!before_value(c, ev, true, &is_key))
        return false;
    if (is_key) {
        c->keys = grow(c->keys, &c->keys_cap, c->nkeys + 1, sizeof *c->keys);
        size_t off = c->out.len;
        mz_json_str(&c->out, s, n);
        c->keys[c->nkeys].off = off;
        c->keys[c->nkeys].len = c->out.len - off;
        c->keys[c->nkeys].mark = ev->start_mark;
        c->nkeys++;
        mz_buf_putc(&c->out, ':');
    } else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || ev->data.scalar.tag) {
        mz_json_str(&c->out, s, n); /* quoted, block, or tagged !!str */
    } else if (is_one_of(s, n, nulls)) {
        mz_buf_puts(&c->out, "null");
    } else if (is_one_of(s, n, trues)) {
        mz_buf_puts(&c->out, "true");
    } else if (is_one_of(s, n, falses)) {
        mz_buf_puts(&c->out, "false");
    } else if (is_json_number(s, n)) {
        mz_buf_append(&c->out, s, n);
    } else {
        mz_json_str(&c->out, s, n);
    }
    after_value(c);
    return true;
}

static bool on_start(mz_yj *c, const yaml_event_t *ev, bool mapping)
{
    const yaml_char_t *anchor =
        mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag = mapping ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    if (!check_anchor_tag(c, ev, anchor, tag, mapping ? YAML_MAP_TAG : YAML_SEQ_TAG))
        return false;
    bool is_key;
    if (!before_value(c, ev, false, &is_key))
        return false;
    mz_buf_putc(&c->out, mapping ? '{' : '[');
    c->stack = grow(c->stack, &c->stack_cap, c->depth + 1, sizeof *c->stack);
    mz_yj_frame *f = &c->stack[c->depth++];
    f->mapping = mapping;
    f->want_value = false;
    f->count = 0;
    f->keys_start = c->nkeys;
    return true;
}

typedef struct mz_yj_key {
    const char *p;
    size_t len;
    size_t index; /* position in the mapping: ties sort in document order */
} mz_yj_key;

static int key_cmp(const void *a, const void *b)
{
    const mz_yj_key *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    int r = memcmp(x->p, y->p, x->len);
    if (r != 0)
        return r;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Returns the span of the first repeated key found (the later occurrence),
 * or NULL when the mapping's keys are distinct. */
static const mz_yj_span *duplicate_key(mz_yj *c, size_t start)
{
    size_t n = c->nkeys - start;
    if (n < 2)
        return NULL;
    mz_yj_key *k = mz_xreallocarray(NULL, n, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].p = c->out.data + c->keys[start + i].off;
        k[i].len = c->keys[start + i].len;
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, key_cmp);
    const mz_yj_span *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (k[i - 1].len == k[i].len && memcmp(k[i - 1].p, k[i].p, k[i].len) == 0)
            dup = &c->keys[start + k[i].index];
    free(k);
    return dup;
}

static bool on_end(mz_yj *c)
{
    mz_yj_frame *f = &c->stack[c->depth - 1];
    if (f->mapping) {
        const mz_yj_span *dup = duplicate_key(c, f->keys_start);
        if (dup) {
            yj_fail(c, &dup->mark, "duplicate mapping key");
            return false;
        }
        c->nkeys = f->keys_start;
    }
    mz_buf_putc(&c->out, f->mapping ? '}' : ']');
    c->depth--;
    after_value(c);
    return true;
}

char *mz_yaml_to_json(const char *yaml, size_t len, char *err, size_t errlen)
{
    mz_yj c;
    memset(&c, 0, sizeof c);
    c.err = err;
    c.errlen = errlen;
    if (err && errlen > 0)
        err[0] = '\0';
    if (!yaml) {
        if (len > 0) {
            yj_fail(&c, NULL, "no input text");
            return NULL;
        }
        yaml = "";
    }

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        yj_fail(&c, NULL, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);

    size_t documents = 0;
    bool done = false;
    while (!done && !c.failed) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_READER_ERROR)
                /* encoding problems: libyaml reports a byte offset only */
                yj_fail(&c, NULL, "YAML error: %s at byte %zu",
                        parser.problem ? parser.problem : "unreadable input",
                        parser.problem_offset);
            else if (parser.context)
                yj_fail(&c, &parser.problem_mark, "YAML error: %s %s",
                        parser.problem ? parser.problem : "syntax error", parser.context);
            else
                yj_fail(&c, &parser.problem_mark, "YAML error: %s",
                        parser.problem ? parser.problem : "syntax error");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                yj_fail(&c, &ev.start_mark, "more than one YAML document");
            break;
        case YAML_ALIAS_EVENT:
            yj_fail(&c, &ev.start_mark, "aliases are not supported");
            break;
        case YAML_SCALAR_EVENT:
            on_scalar(&c, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            on_start(&c, &ev, false);
            break;
        case YAML_MAPPING_START_EVENT:
            on_start(&c, &ev, true);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            on_end(&c);
            break;
        default: /* stream start, document end */
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (!c.failed && !c.have_root)
        yj_fail(&c, NULL, "no YAML document");

    free(c.stack);
    free(c.keys);
    if (c.failed) {
        mz_buf_free(&c.out);
        return NULL;
    }
    return mz_buf_steal(&c.out, NULL);
}
