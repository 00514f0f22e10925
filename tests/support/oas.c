/*
 * oas.c — checks responses against the OpenAPI 3.0 contract (see oas.h).
 *
 * Structure: loading parses the document into one read-only mz_json tree
 * and lints it (refs resolve, schemas well-formed, patterns compile).
 * oas_check finds the operation, response and media type, then runs the
 * recursive schema validator over the parsed body. The validator keeps the
 * JSON pointer of the instance it is looking at in a fixed buffer, so every
 * message names the failing location. No state survives a call except the
 * loaded document.
 *
 * Ownership: struct oas owns its mz_json_doc; everything else is on the
 * stack or freed before the function that allocated it returns.
 */
#include "oas.h"

#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "embedded.h"
#include "json.h"
#include "yamljson.h"

#define OAS_MAX_HOPS 64   /* schema steps without descending into the instance */
#define OAS_PTR_MAX  1024 /* longest JSON pointer kept for messages */
#define OAS_PATH_MAX 1024 /* longest server url + path key */
#define OAS_BRANCH   512  /* message of one oneOf/anyOf branch */

struct oas {
    mz_json_doc *doc;
    const mz_json *root;
    const mz_json *paths;
};

static const mz_json_limits json_limits = {
    .max_depth = 64, .max_nodes = 1000000, .max_string = 1 << 20};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool is_true(const mz_json *v)
{
    return v && v->type == MZ_JSON_BOOL && v->u.boolean;
}

static const char *str_of(const mz_json *v)
{
    return mz_json_string(v, NULL);
}

static bool keyeq(const mz_json *m, const char *k)
{
    return m->key && strcmp(m->key, k) == 0;
}

/* ---- JSON pointers ------------------------------------------------------ */

typedef struct jptr {
    char s[OAS_PTR_MAX];
    size_t len;
} jptr;

/* Appends "/" + seg (escaped per RFC 6901); returns the mark for jp_pop.
 * Overlong pointers are cut short, never overrun. */
static size_t jp_push(jptr *p, const char *seg, size_t n)
{
    size_t mark = p->len;
    if (p->len + 1 < sizeof p->s)
        p->s[p->len++] = '/';
    for (size_t i = 0; i < n; i++) {
        char one[2] = {seg[i], '\0'};
        const char *t = seg[i] == '~' ? "~0" : seg[i] == '/' ? "~1" : one;
        size_t tl = strlen(t);
        if (p->len + tl >= sizeof p->s)
            break;
        memcpy(p->s + p->len, t, tl);
        p->len += tl;
    }
    p->s[p->len] = '\0';
    return mark;
}

static size_t jp_push_key(jptr *p, const mz_json *member)
{
    return jp_push(p, member->key, member->key_len);
}

static size_t jp_push_index(jptr *p, size_t i)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%zu", i);
    return jp_push(p, b, n > 0 ? (size_t)n : 0);
}

static void jp_pop(jptr *p, size_t mark)
{
    p->len = mark;
    p->s[mark] = '\0';
}

/* Resolves a local reference: "#" or "#/a/b~1c/0" (a JSON pointer in a URI
 * fragment, so percent-decoded first). NULL when it leads nowhere. */
static const mz_json *resolve_ref(const mz_json *root, const char *ref)
{
    if (!ref || ref[0] != '#')
        return NULL;
    const mz_json *cur = root;
    const char *p = ref + 1;
    char seg[512];
    while (*p) {
        if (*p != '/')
            return NULL;
        p++;
        size_t n = 0;
        while (*p && *p != '/') {
            char c = *p++;
            if (c == '%') {
                int hi = mz_hexval(p[0]), lo = hi >= 0 ? mz_hexval(p[1]) : -1;
                if (lo < 0 || (hi == 0 && lo == 0))
                    return NULL;
                c = (char)(hi * 16 + lo);
                p += 2;
            }
            if (n + 1 >= sizeof seg)
                return NULL;
            seg[n++] = c;
        }
        size_t w = 0;
        for (size_t r = 0; r < n; r++) {
            if (seg[r] != '~') {
                seg[w++] = seg[r];
            } else if (r + 1 < n && (seg[r + 1] == '0' || seg[r + 1] == '1')) {
                seg[w++] = seg[r + 1] == '0' ? '~' : '/';
                r++;
            } else {
                return NULL;
            }
        }
        seg[w] = '\0';
        if (cur->type == MZ_JSON_OBJECT) {
            cur = mz_json_get(cur, seg);
        } else if (cur->type == MZ_JSON_ARRAY) {
            if (w == 0 || w > 9 || strspn(seg, "0123456789") != w || (seg[0] == '0' && w > 1))
                return NULL;
            size_t idx = (size_t)strtoul(seg, NULL, 10);
            const mz_json *k = cur->u.kids.first;
            for (size_t i = 0; k && i < idx; i++)
                k = k->next;
            cur = k;
        } else {
            return NULL;
        }
        if (!cur)
            return NULL;
    }
    return cur;
}

/* Follows $ref on a non-schema object (path item, response). */
static const mz_json *deref(const oas *o, const mz_json *v)
{
    for (int i = 0; v && i < OAS_MAX_HOPS; i++) {
        const mz_json *r = mz_json_get(v, "$ref");
        if (!r)
            return v;
        v = resolve_ref(o->root, str_of(r));
    }
    return NULL;
}

/* ---- linting the document at load time --------------------------------- */

typedef struct lint {
    const mz_json *root;
    jptr at;
    char *err;
    size_t errlen;
} lint;

static bool lint_fail(lint *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool lint_fail(lint *l, const char *fmt, ...)
{
    if (!l->err || l->errlen == 0)
        return false;
    int n = snprintf(l->err, l->errlen, "document error at #%s: ", l->at.s);
    if (n >= 0 && (size_t)n < l->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool lint_ref(lint *l, const mz_json *r)
{
    const char *s = str_of(r);
    if (!s)
        return lint_fail(l, "$ref is not a string");
    if (s[0] != '#')
        return lint_fail(l, "$ref \"%s\" is not a local reference (only \"#/...\" is supported)",
                         s);
    if (!resolve_ref(l->root, s))
        return lint_fail(l, "$ref \"%s\" does not resolve", s);
    return true;
}

static bool lint_pattern(lint *l, const char *pat)
{
    regex_t re;
    int rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof msg);
        return lint_fail(l, "pattern \"%s\" does not compile: %s", pat, msg);
    }
    regfree(&re);
    return true;
}

static const char *const schema_types[] = {"object",  "array",  "string",
                                           "integer", "number", "boolean"};

static bool known_type(const char *t)
{
    for (size_t i = 0; i < sizeof schema_types / sizeof schema_types[0]; i++)
        if (strcmp(t, schema_types[i]) == 0)
            return true;
    return false;
}

static bool lint_schema(lint *l, const mz_json *s);

static bool lint_schema_array(lint *l, const mz_json *a)
{
    if (a->type != MZ_JSON_ARRAY || a->u.kids.count == 0)
        return lint_fail(l, "not a non-empty array of schemas");
    size_t i = 0;
    for (const mz_json *k = a->u.kids.first; k; k = k->next, i++) {
        size_t mark = jp_push_index(&l->at, i);
        bool ok = lint_schema(l, k);
        jp_pop(&l->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

static bool lint_schema_map(lint *l, const mz_json *m)
{
    if (m->type != MZ_JSON_OBJECT)
        return lint_fail(l, "not an object of schemas");
    for (const mz_json *k = m->u.kids.first; k; k = k->next) {
        size_t mark = jp_push_key(&l->at, k);
        bool ok = lint_schema(l, k);
        jp_pop(&l->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

static bool lint_count(lint *l, const mz_json *v)
{
    if (v->type != MZ_JSON_NUMBER || !v->u.num.is_int || v->u.num.i < 0)
        return lint_fail(l, "not a non-negative integer");
    return true;
}

static bool lint_keyword(lint *l, const mz_json *m)
{
    if (keyeq(m, "type")) {
        const char *t = str_of(m);
        if (!t || !known_type(t))
            return lint_fail(l, "unknown type (OpenAPI 3.0 allows one of object, array, "
                                "string, integer, number, boolean)");
    } else if (keyeq(m, "pattern")) {
        if (!str_of(m))
            return lint_fail(l, "pattern is not a string");
        return lint_pattern(l, str_of(m));
    } else if (keyeq(m, "properties")) {
        return lint_schema_map(l, m);
    } else if (keyeq(m, "items") || keyeq(m, "not")) {
        return lint_schema(l, m);
    } else if (keyeq(m, "additionalProperties")) {
        return m->type == MZ_JSON_BOOL || lint_schema(l, m);
    } else if (keyeq(m, "allOf") || keyeq(m, "oneOf") || keyeq(m, "anyOf")) {
        return lint_schema_array(l, m);
    } else if (keyeq(m, "required")) {
        if (m->type != MZ_JSON_ARRAY)
            return lint_fail(l, "required is not an array");
        for (const mz_json *k = m->u.kids.first; k; k = k->next)
            if (k->type != MZ_JSON_STRING)
                return lint_fail(l, "required holds a non-string");
    } else if (keyeq(m, "enum")) {
        if (m->type != MZ_JSON_ARRAY || m->u.kids.count == 0)
            return lint_fail(l, "enum is not a non-empty array");
    } else if (keyeq(m, "nullable") || keyeq(m, "exclusiveMinimum") ||
               keyeq(m, "exclusiveMaximum")) {
        if (m->type != MZ_JSON_BOOL)
            return lint_fail(l, "not a boolean");
    } else if (keyeq(m, "minimum") || keyeq(m, "maximum")) {
        if (m->type != MZ_JSON_NUMBER)
            return lint_fail(l, "not a number");
    } else if (keyeq(m, "minLength") || keyeq(m, "maxLength") || keyeq(m, "minItems") ||
               keyeq(m, "maxItems") || keyeq(m, "minProperties") || keyeq(m, "maxProperties")) {
        return lint_count(l, m);
    }
    return true;
}

static bool lint_schema(lint *l, const mz_json *s)
{
    if (s->type != MZ_JSON_OBJECT)
        return lint_fail(l, "schema is not an object");
    const mz_json *ref = mz_json_get(s, "$ref");
    if (ref) {
        size_t mark = jp_push_key(&l->at, ref);
        bool ok = lint_ref(l, ref);
        jp_pop(&l->at, mark);
        return ok;
    }
    for (const mz_json *m = s->u.kids.first; m; m = m->next) {
        size_t mark = jp_push_key(&l->at, m);
        bool ok = lint_keyword(l, m);
        jp_pop(&l->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

/* Walks everything but examples: resolves every $ref, lints every schema
 * (members named "schema", and the members of #/components/schemas). */
static bool lint_node(lint *l, const mz_json *v)
{
    if (v->type == MZ_JSON_ARRAY) {
        size_t i = 0;
        for (const mz_json *k = v->u.kids.first; k; k = k->next, i++) {
            size_t mark = jp_push_index(&l->at, i);
            bool ok = lint_node(l, k);
            jp_pop(&l->at, mark);
            if (!ok)
                return false;
        }
        return true;
    }
    if (v->type != MZ_JSON_OBJECT)
        return true;
    bool in_components = strcmp(l->at.s, "/components") == 0;
    for (const mz_json *m = v->u.kids.first; m; m = m->next) {
        if (keyeq(m, "example") || keyeq(m, "examples"))
            continue;
        size_t mark = jp_push_key(&l->at, m);
        bool ok;
        if (keyeq(m, "$ref"))
            ok = lint_ref(l, m);
        else if (keyeq(m, "schema"))
            ok = lint_schema(l, m);
        else if (in_components && keyeq(m, "schemas"))
            ok = lint_schema_map(l, m);
        else
            ok = lint_node(l, m);
        jp_pop(&l->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

static const char *const http_methods[] = {"get",     "put",  "post",  "delete",
                                           "options", "head", "patch", "trace"};

static bool is_method(const char *k)
{
    for (size_t i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++)
        if (strcmp(k, http_methods[i]) == 0)
            return true;
    return false;
}

/* The outline the rest of this file relies on. */
static bool lint_outline(lint *l, const oas *o)
{
    const char *ver = str_of(mz_json_get(o->root, "openapi"));
    if (!ver || strncmp(ver, "3.0.", 4) != 0)
        return lint_fail(l, "\"openapi\" is not a 3.0.x version");
    if (!o->paths || o->paths->type != MZ_JSON_OBJECT)
        return lint_fail(l, "\"paths\" is missing or not an object");
    for (const mz_json *p = o->paths->u.kids.first; p; p = p->next) {
        size_t mark = jp_push_key(&l->at, p);
        const mz_json *item = deref(o, p);
        bool ok = true;
        if (p->key[0] != '/')
            ok = lint_fail(l, "path does not start with '/'");
        else if (!item || item->type != MZ_JSON_OBJECT)
            ok = lint_fail(l, "path item is not an object");
        for (const mz_json *m = ok ? item->u.kids.first : NULL; ok && m; m = m->next) {
            if (!is_method(m->key))
                continue;
            const mz_json *r = mz_json_get(m, "responses");
            if (!r || r->type != MZ_JSON_OBJECT || r->u.kids.count == 0)
                ok = lint_fail(l, "operation \"%s\" has no responses", m->key);
        }
        jp_pop(&l->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- loading ------------------------------------------------------------ */

void oas_free(oas *o)
{
    if (!o)
        return;
    mz_json_free(o->doc);
    free(o);
}

oas *oas_load_json(const char *json, size_t len, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    char perr[256];
    mz_json_doc *doc = mz_json_parse(json, len, &json_limits, perr, sizeof perr);
    if (!doc) {
        set_err(err, errlen, "OpenAPI document is not valid JSON: %s", perr);
        return NULL;
    }
    oas *o = calloc(1, sizeof *o);
    if (!o) {
        mz_json_free(doc);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    o->doc = doc;
    o->root = mz_json_root(doc);
    if (!o->root || o->root->type != MZ_JSON_OBJECT) {
        set_err(err, errlen, "OpenAPI document is not an object");
        oas_free(o);
        return NULL;
    }
    o->paths = mz_json_get(o->root, "paths");
    lint l = {.root = o->root, .err = err, .errlen = errlen};
    if (!lint_outline(&l, o) || !lint_node(&l, o->root)) {
        oas_free(o);
        return NULL;
    }
    return o;
}

oas *oas_load_embedded(char *err, size_t errlen)
{
    char yerr[256];
    char *json = mz_yaml_to_json(mz_openapi_yaml, mz_openapi_yaml_len, yerr, sizeof yerr);
    if (!json) {
        set_err(err, errlen, "embedded OpenAPI document: %s", yerr);
        return NULL;
    }
    oas *o = oas_load_json(json, strlen(json), err, errlen);
    free(json);
    return o;
}

/* ---- operations and paths ----------------------------------------------- */

static bool nonempty_array(const mz_json *v)
{
    return v && v->type == MZ_JSON_ARRAY && v->u.kids.count > 0;
}

/* out = path part of the first server's url (no trailing '/') + key. */
static void full_path(const mz_json *servers, const char *key, char *out, size_t outlen)
{
    const char *url = NULL;
    if (nonempty_array(servers))
        url = str_of(mz_json_get(servers->u.kids.first, "url"));
    if (!url)
        url = "/"; /* the OpenAPI default */
    const char *path = url;
    const char *scheme = strstr(url, "://");
    if (scheme) {
        path = strchr(scheme + 3, '/');
        if (!path)
            path = "";
    }
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    snprintf(out, outlen, "%s%.*s%s", n > 0 && path[0] != '/' ? "/" : "", (int)n, path, key);
}

typedef void (*op_fn)(const char *method, const char *full, const mz_json *op, void *ud);

static void each_op(const oas *o, op_fn fn, void *ud)
{
    const mz_json *top = mz_json_get(o->root, "servers");
    for (const mz_json *p = o->paths->u.kids.first; p; p = p->next) {
        const mz_json *item = deref(o, p);
        if (!item || item->type != MZ_JSON_OBJECT)
            continue;
        const mz_json *psrv = mz_json_get(item, "servers");
        for (const mz_json *m = item->u.kids.first; m; m = m->next) {
            if (!is_method(m->key) || m->type != MZ_JSON_OBJECT)
                continue;
            const mz_json *osrv = mz_json_get(m, "servers");
            const mz_json *srv = nonempty_array(osrv) ? osrv : nonempty_array(psrv) ? psrv : top;
            char full[OAS_PATH_MAX];
            full_path(srv, p->key, full, sizeof full);
            fn(m->key, full, m, ud);
        }
    }
}

typedef struct each_ud {
    void (*cb)(const char *method, const char *full_path, void *ud);
    void *ud;
} each_ud;

static void each_upper(const char *method, const char *full, const mz_json *op, void *ud)
{
    (void)op;
    const each_ud *e = ud;
    char m[16];
    size_t i = 0;
    for (; method[i] && i + 1 < sizeof m; i++)
        m[i] = (char)(method[i] >= 'a' && method[i] <= 'z' ? method[i] - 'a' + 'A' : method[i]);
    m[i] = '\0';
    e->cb(m, full, e->ud);
}

void oas_each_operation(const oas *o,
                        void (*cb)(const char *method, const char *full_path, void *ud), void *ud)
{
    if (!o || !cb)
        return;
    each_ud e = {cb, ud};
    each_op(o, each_upper, &e);
}

/* The path item and operation documented for method + full path exactly
 * (a templated path as written, not a request path); false when none. */
static bool find_exact(const oas *o, const char *method, const char *templ,
                       const mz_json **item_out, const mz_json **op_out)
{
    if (!o || !method || !templ)
        return false;
    const mz_json *top = mz_json_get(o->root, "servers");
    for (const mz_json *p = o->paths->u.kids.first; p; p = p->next) {
        const mz_json *item = deref(o, p);
        if (!item || item->type != MZ_JSON_OBJECT)
            continue;
        const mz_json *psrv = mz_json_get(item, "servers");
        for (const mz_json *m = item->u.kids.first; m; m = m->next) {
            if (!is_method(m->key) || m->type != MZ_JSON_OBJECT || strcasecmp(m->key, method))
                continue;
            const mz_json *osrv = mz_json_get(m, "servers");
            const mz_json *srv = nonempty_array(osrv) ? osrv : nonempty_array(psrv) ? psrv : top;
            char full[OAS_PATH_MAX];
            full_path(srv, p->key, full, sizeof full);
            if (strcmp(full, templ) == 0) {
                *item_out = item;
                *op_out = m;
                return true;
            }
        }
    }
    return false;
}

/* Reports the names of one "parameters" list located in `in`, skipping the
 * names in seen[0..*nseen) and adding the reported ones to it. */
static int report_params(const oas *o, const mz_json *list, const char *in, const char **seen,
                         size_t *nseen, size_t maxseen, void (*cb)(const char *, void *), void *ud)
{
    int n = 0;
    if (!list || list->type != MZ_JSON_ARRAY)
        return 0;
    for (const mz_json *k = list->u.kids.first; k; k = k->next) {
        const mz_json *prm = deref(o, k);
        const char *name = str_of(mz_json_get(prm, "name"));
        const char *loc = str_of(mz_json_get(prm, "in"));
        if (!name || !loc || strcmp(loc, in) != 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < *nseen && !dup; i++)
            dup = strcmp(seen[i], name) == 0;
        if (dup)
            continue;
        if (*nseen < maxseen)
            seen[(*nseen)++] = name;
        if (cb)
            cb(name, ud);
        n++;
    }
    return n;
}

int oas_operation_params(const oas *o, const char *method, const char *templ, const char *in,
                         void (*cb)(const char *name, void *ud), void *ud)
{
    const mz_json *item, *op;
    if (!in || !find_exact(o, method, templ, &item, &op))
        return -1;
    const char *seen[64];
    size_t nseen = 0;
    int n = report_params(o, mz_json_get(item, "parameters"), in, seen, &nseen, 64, cb, ud);
    return n + report_params(o, mz_json_get(op, "parameters"), in, seen, &nseen, 64, cb, ud);
}

int oas_operation_security(const oas *o, const char *method, const char *templ,
                           void (*cb)(size_t alternative, const char *scheme, const char *type,
                                      const char *http_scheme, void *ud),
                           void *ud, bool *declared)
{
    const mz_json *item, *op;
    if (declared)
        *declared = false;
    if (!find_exact(o, method, templ, &item, &op))
        return -1;
    const mz_json *sec = mz_json_get(op, "security");
    if (sec && declared)
        *declared = true;
    if (!sec)
        sec = mz_json_get(o->root, "security");
    if (!sec || sec->type != MZ_JSON_ARRAY)
        return 0;
    const mz_json *schemes = mz_json_get(mz_json_get(o->root, "components"), "securitySchemes");
    size_t alt = 0;
    for (const mz_json *req = sec->u.kids.first; req; req = req->next, alt++) {
        if (req->type != MZ_JSON_OBJECT)
            continue;
        for (const mz_json *s = req->u.kids.first; s; s = s->next) {
            const mz_json *def = schemes ? deref(o, mz_json_get(schemes, s->key)) : NULL;
            if (cb)
                cb(alt, s->key, str_of(mz_json_get(def, "type")),
                   str_of(mz_json_get(def, "scheme")), ud);
        }
    }
    return (int)alt;
}

/* One templated segment ("{id}", "v{n}.json") against one path segment:
 * every variable matches one or more characters. */
static bool match_segment(const char *t, size_t tn, const char *s, size_t sn)
{
    while (tn > 0) {
        if (*t == '{') {
            const char *close = memchr(t, '}', tn);
            if (close) {
                size_t vl = (size_t)(close - t) + 1;
                for (size_t k = 1; k <= sn; k++)
                    if (match_segment(t + vl, tn - vl, s + k, sn - k))
                        return true;
                return false;
            }
        }
        if (sn == 0 || *t != *s)
            return false;
        t++, tn--, s++, sn--;
    }
    return sn == 0;
}

/* The number of literal segments when path matches the template, else -1. */
static int match_path(const char *templ, const char *path)
{
    int literal = 0;
    const char *t = templ, *p = path;
    for (;;) {
        size_t tn = strcspn(t, "/"), pn = strcspn(p, "/");
        if (memchr(t, '{', tn)) {
            if (pn == 0 || !match_segment(t, tn, p, pn))
                return -1;
        } else {
            if (tn != pn || memcmp(t, p, tn) != 0)
                return -1;
            literal++;
        }
        t += tn;
        p += pn;
        if (*t == '\0' || *p == '\0')
            return *t == '\0' && *p == '\0' ? literal : -1;
        t++;
        p++;
    }
}

typedef struct find_op {
    const char *method;
    const char *path;
    bool path_seen;
    int best;
    const mz_json *op;
    char full[OAS_PATH_MAX];
} find_op;

static void find_cb(const char *method, const char *full, const mz_json *op, void *ud)
{
    find_op *f = ud;
    int score = match_path(full, f->path);
    if (score < 0)
        return;
    f->path_seen = true;
    if (strcasecmp(method, f->method) != 0 || score <= f->best)
        return;
    f->best = score;
    f->op = op;
    snprintf(f->full, sizeof f->full, "%s", full);
}

/* ---- media types -------------------------------------------------------- */

/* The media type without parameters and surrounding blanks. */
static const char *media_base(const char *s, size_t *n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strcspn(s, ";");
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    *n = len;
    return s;
}

/* How well documented media type d matches the actual type a: 3 the same
 * type, 1 a documented "type/<any>" range, 0 the "<any>/<any>" range, -1 no
 * match. */
static int media_match(const char *d, size_t dn, const char *a, size_t an)
{
    if (dn == an && strncasecmp(d, a, dn) == 0)
        return 3;
    if (dn == 3 && memcmp(d, "*/*", 3) == 0)
        return 0;
    const char *slash = memchr(a, '/', an);
    if (slash && dn >= 2 && d[dn - 2] == '/' && d[dn - 1] == '*') {
        size_t tl = (size_t)(slash - a);
        if (dn - 2 == tl && strncasecmp(d, a, tl) == 0)
            return 1;
    }
    return -1;
}

static bool is_json_media(const char *a, size_t an)
{
    if (an == 16 && strncasecmp(a, "application/json", 16) == 0)
        return true;
    return an > 5 && strncasecmp(a + an - 5, "+json", 5) == 0;
}

/* ---- schema validation -------------------------------------------------- */

typedef struct vctx {
    const mz_json *root;
    jptr at;
    char *err;
    size_t errlen;
} vctx;

static bool vfail(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool vfail(vctx *c, const char *fmt, ...)
{
    if (!c->err || c->errlen == 0)
        return false;
    int n = snprintf(c->err, c->errlen, "%s: ", c->at.len ? c->at.s : "(root)");
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool is_integer(const mz_json *v)
{
    return v->type == MZ_JSON_NUMBER && !strpbrk(v->u.num.raw, ".eE");
}

static const char *type_name(const mz_json *v)
{
    switch (v->type) {
    case MZ_JSON_NULL:
        return "null";
    case MZ_JSON_BOOL:
        return "boolean";
    case MZ_JSON_NUMBER:
        return is_integer(v) ? "integer" : "number";
    case MZ_JSON_STRING:
        return "string";
    case MZ_JSON_ARRAY:
        return "array";
    case MZ_JSON_OBJECT:
        return "object";
    }
    return "?";
}

static bool type_matches(const char *t, const mz_json *v)
{
    if (strcmp(t, "integer") == 0)
        return is_integer(v);
    if (strcmp(t, "number") == 0)
        return v->type == MZ_JSON_NUMBER;
    return strcmp(t, type_name(v)) == 0;
}

static bool json_equal(const mz_json *a, const mz_json *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case MZ_JSON_NULL:
        return true;
    case MZ_JSON_BOOL:
        return a->u.boolean == b->u.boolean;
    case MZ_JSON_NUMBER:
        if (a->u.num.is_int && b->u.num.is_int)
            return a->u.num.i == b->u.num.i;
        return a->u.num.d == b->u.num.d;
    case MZ_JSON_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case MZ_JSON_ARRAY: {
        if (a->u.kids.count != b->u.kids.count)
            return false;
        for (const mz_json *x = a->u.kids.first, *y = b->u.kids.first; x && y;
             x = x->next, y = y->next)
            if (!json_equal(x, y))
                return false;
        return true;
    }
    case MZ_JSON_OBJECT: {
        if (a->u.kids.count != b->u.kids.count)
            return false;
        for (const mz_json *x = a->u.kids.first; x; x = x->next) {
            const mz_json *y = mz_json_get(b, x->key);
            if (!y || !json_equal(x, y))
                return false;
        }
        return true;
    }
    }
    return false;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* YYYY-MM-DD with a real month and day. */
static bool valid_date(const char *s, size_t n)
{
    if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return false;
    int y = num2(s) * 100 + num2(s + 2), m = num2(s + 5), d = num2(s + 8);
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap ? 1 : 0);
}

/* HH:MM with HH <= 23 and MM <= 59. */
static bool valid_hhmm(const char *s)
{
    return digits(s, 2) && s[2] == ':' && digits(s + 3, 2) && num2(s) <= 23 && num2(s + 3) <= 59;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static bool valid_date_time(const char *s, size_t n)
{
    if (n < 20 || !valid_date(s, 10) || s[10] != 'T' || !valid_hhmm(s + 11) || s[16] != ':' ||
        !digits(s + 17, 2) || num2(s + 17) > 60)
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    if (i < n && s[i] == 'Z')
        return i + 1 == n;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        return n - i == 6 && valid_hhmm(s + i + 1);
    return false;
}

static bool valid_uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (mz_hexval(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

/* Non-empty, no whitespace or control characters. */
static bool valid_uri(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch == 0x7f)
            return false;
    }
    return true;
}

static size_t utf8_length(const char *s, size_t n)
{
    size_t cps = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            cps++;
    return cps;
}

static bool check_string(vctx *c, const mz_json *s, const mz_json *v)
{
    const char *str = v->u.str.s;
    size_t n = v->u.str.len;
    const mz_json *k;
    if ((k = mz_json_get(s, "minLength")) && k->type == MZ_JSON_NUMBER &&
        (double)utf8_length(str, n) < k->u.num.d)
        return vfail(c, "string shorter than minLength %s", k->u.num.raw);
    if ((k = mz_json_get(s, "maxLength")) && k->type == MZ_JSON_NUMBER &&
        (double)utf8_length(str, n) > k->u.num.d)
        return vfail(c, "string longer than maxLength %s", k->u.num.raw);
    const char *pat = str_of(mz_json_get(s, "pattern"));
    if (pat) {
        regex_t re;
        int rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &re, msg, sizeof msg);
            return vfail(c, "document error: pattern \"%s\" does not compile: %s", pat, msg);
        }
        rc = regexec(&re, str, 0, NULL, 0);
        regfree(&re);
        if (rc != 0)
            return vfail(c, "string does not match pattern \"%s\"", pat);
    }
    const char *fmt = str_of(mz_json_get(s, "format"));
    if (!fmt)
        return true;
    bool ok = true;
    if (strcmp(fmt, "date") == 0)
        ok = valid_date(str, n);
    else if (strcmp(fmt, "date-time") == 0)
        ok = valid_date_time(str, n);
    else if (strcmp(fmt, "uuid") == 0)
        ok = valid_uuid(str, n);
    else if (strcmp(fmt, "uri") == 0 || strcmp(fmt, "uri-reference") == 0)
        ok = valid_uri(str, n);
    return ok || vfail(c, "not a valid %s (format \"%s\")", fmt, fmt);
}

static bool check_number(vctx *c, const mz_json *s, const mz_json *v)
{
    double d = v->u.num.d;
    const mz_json *k;
    if ((k = mz_json_get(s, "minimum")) && k->type == MZ_JSON_NUMBER) {
        bool excl = is_true(mz_json_get(s, "exclusiveMinimum"));
        if (excl ? d <= k->u.num.d : d < k->u.num.d)
            return vfail(c, "value below %s %s", excl ? "exclusive minimum" : "minimum",
                         k->u.num.raw);
    }
    if ((k = mz_json_get(s, "maximum")) && k->type == MZ_JSON_NUMBER) {
        bool excl = is_true(mz_json_get(s, "exclusiveMaximum"));
        if (excl ? d >= k->u.num.d : d > k->u.num.d)
            return vfail(c, "value above %s %s", excl ? "exclusive maximum" : "maximum",
                         k->u.num.raw);
    }
    return true;
}

static bool validate(vctx *c, const mz_json *s, const mz_json *v, unsigned hops);

static bool check_array(vctx *c, const mz_json *s, const mz_json *v)
{
    const mz_json *k;
    double count = (double)v->u.kids.count;
    if ((k = mz_json_get(s, "minItems")) && k->type == MZ_JSON_NUMBER && count < k->u.num.d)
        return vfail(c, "array has %zu items, fewer than minItems %s", v->u.kids.count,
                     k->u.num.raw);
    if ((k = mz_json_get(s, "maxItems")) && k->type == MZ_JSON_NUMBER && count > k->u.num.d)
        return vfail(c, "array has %zu items, more than maxItems %s", v->u.kids.count,
                     k->u.num.raw);
    const mz_json *items = mz_json_get(s, "items");
    if (!items)
        return true;
    size_t i = 0;
    for (const mz_json *e = v->u.kids.first; e; e = e->next, i++) {
        size_t mark = jp_push_index(&c->at, i);
        bool ok = validate(c, items, e, 0);
        jp_pop(&c->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

static bool check_object(vctx *c, const mz_json *s, const mz_json *v)
{
    const mz_json *k;
    double count = (double)v->u.kids.count;
    if ((k = mz_json_get(s, "minProperties")) && k->type == MZ_JSON_NUMBER && count < k->u.num.d)
        return vfail(c, "object has fewer properties than minProperties %s", k->u.num.raw);
    if ((k = mz_json_get(s, "maxProperties")) && k->type == MZ_JSON_NUMBER && count > k->u.num.d)
        return vfail(c, "object has more properties than maxProperties %s", k->u.num.raw);
    const mz_json *req = mz_json_get(s, "required");
    if (req && req->type == MZ_JSON_ARRAY)
        for (const mz_json *r = req->u.kids.first; r; r = r->next)
            if (r->type == MZ_JSON_STRING && !mz_json_get(v, r->u.str.s))
                return vfail(c, "missing required property \"%s\"", r->u.str.s);
    const mz_json *props = mz_json_get(s, "properties");
    const mz_json *addl = mz_json_get(s, "additionalProperties");
    bool closed = addl && addl->type == MZ_JSON_BOOL && !addl->u.boolean;
    const mz_json *extra = addl && addl->type == MZ_JSON_OBJECT ? addl : NULL;
    for (const mz_json *m = v->u.kids.first; m; m = m->next) {
        const mz_json *ps = mz_json_get(props, m->key);
        if (!ps && !closed && !extra)
            continue;
        size_t mark = jp_push_key(&c->at, m);
        bool ok;
        if (ps)
            ok = validate(c, ps, m, 0);
        else if (closed)
            ok = vfail(c, "property not allowed (additionalProperties is false)");
        else
            ok = validate(c, extra, m, 0);
        jp_pop(&c->at, mark);
        if (!ok)
            return false;
    }
    return true;
}

/* Validates v against s with errors going to buf instead of c->err. */
static bool try_branch(vctx *c, const mz_json *s, const mz_json *v, unsigned hops, char *buf,
                       size_t buflen)
{
    char *save = c->err;
    size_t savelen = c->errlen;
    c->err = buf;
    c->errlen = buflen;
    buf[0] = '\0';
    bool ok = validate(c, s, v, hops);
    c->err = save;
    c->errlen = savelen;
    return ok;
}

/* anyOf (need >= 1 match) and oneOf (need exactly 1). */
static bool check_choice(vctx *c, const char *kw, const mz_json *list, const mz_json *v,
                         unsigned hops)
{
    if (list->type != MZ_JSON_ARRAY)
        return vfail(c, "document error: %s is not an array", kw);
    bool one = strcmp(kw, "oneOf") == 0;
    char *buf = malloc(OAS_BRANCH);
    char *why = malloc(OAS_BRANCH * 2);
    if (!buf || !why) {
        free(buf);
        free(why);
        return vfail(c, "out of memory");
    }
    why[0] = '\0';
    size_t matched = 0, i = 0, wl = 0;
    for (const mz_json *b = list->u.kids.first; b; b = b->next, i++) {
        if (try_branch(c, b, v, hops + 1, buf, OAS_BRANCH)) {
            matched++;
            if (!one)
                break;
        } else if (strstr(buf, "document error")) {
            /* not a mismatch of this branch: the document is broken */
            set_err(c->err, c->errlen, "%s", buf);
            free(buf);
            free(why);
            return false;
        } else if (wl + 1 < OAS_BRANCH * 2) {
            int n = snprintf(why + wl, OAS_BRANCH * 2 - wl, "%s[%zu] %s", wl ? "; " : "", i, buf);
            if (n > 0)
                wl = wl + (size_t)n < OAS_BRANCH * 2 ? wl + (size_t)n : OAS_BRANCH * 2 - 1;
        }
    }
    bool ok = one ? matched == 1 : matched > 0;
    if (!ok && matched == 0)
        vfail(c, "matches none of the %zu %s schemas (%s)", list->u.kids.count, kw, why);
    else if (!ok)
        vfail(c, "matches %zu of the oneOf schemas, expected exactly one", matched);
    free(buf);
    free(why);
    return ok;
}

/* "not": v must fail neg (a document error inside counts as an error). */
static bool check_not(vctx *c, const mz_json *neg, const mz_json *v, unsigned hops)
{
    char *buf = malloc(OAS_BRANCH);
    if (!buf)
        return vfail(c, "out of memory");
    bool ok;
    if (try_branch(c, neg, v, hops + 1, buf, OAS_BRANCH))
        ok = vfail(c, "matches the schema in \"not\"");
    else if (strstr(buf, "document error"))
        ok = vfail(c, "in \"not\": %s", buf);
    else
        ok = true;
    free(buf);
    return ok;
}

/* hops counts schema steps ($ref, allOf, ...) since the last step into a
 * child of the instance: a cycle that never descends is cut off. */
static bool validate(vctx *c, const mz_json *s, const mz_json *v, unsigned hops)
{
    if (hops > OAS_MAX_HOPS)
        return vfail(c,
                     "document error: more than %d $ref/allOf/oneOf/anyOf/not steps without "
                     "descending into the instance (a $ref cycle)",
                     OAS_MAX_HOPS);
    if (s->type != MZ_JSON_OBJECT)
        return vfail(c, "document error: schema is not an object");
    const mz_json *ref = mz_json_get(s, "$ref");
    if (ref) {
        const char *r = str_of(ref);
        const mz_json *t = resolve_ref(c->root, r);
        if (!t)
            return vfail(c, "document error: $ref \"%s\" does not resolve", r ? r : "(non-string)");
        return validate(c, t, v, hops + 1);
    }
    if (v->type == MZ_JSON_NULL && is_true(mz_json_get(s, "nullable")))
        return true;
    const char *type = str_of(mz_json_get(s, "type"));
    if (type && !known_type(type))
        return vfail(c, "document error: unknown type \"%s\"", type);
    if (type && !type_matches(type, v))
        return vfail(c, "expected %s, got %s", type, type_name(v));
    const mz_json *en = mz_json_get(s, "enum");
    if (en && en->type == MZ_JSON_ARRAY) {
        bool found = false;
        for (const mz_json *e = en->u.kids.first; e && !found; e = e->next)
            found = json_equal(e, v);
        if (!found)
            return vfail(c, "value not in enum");
    }
    bool ok = true;
    if (v->type == MZ_JSON_STRING)
        ok = check_string(c, s, v);
    else if (v->type == MZ_JSON_NUMBER)
        ok = check_number(c, s, v);
    else if (v->type == MZ_JSON_ARRAY)
        ok = check_array(c, s, v);
    else if (v->type == MZ_JSON_OBJECT)
        ok = check_object(c, s, v);
    if (!ok)
        return false;
    const mz_json *all = mz_json_get(s, "allOf");
    if (all && all->type == MZ_JSON_ARRAY)
        for (const mz_json *b = all->u.kids.first; b; b = b->next)
            if (!validate(c, b, v, hops + 1))
                return false;
    const mz_json *any = mz_json_get(s, "anyOf");
    if (any && !check_choice(c, "anyOf", any, v, hops))
        return false;
    const mz_json *one = mz_json_get(s, "oneOf");
    if (one && !check_choice(c, "oneOf", one, v, hops))
        return false;
    const mz_json *neg = mz_json_get(s, "not");
    return !neg || check_not(c, neg, v, hops);
}

/* ---- checking a response ------------------------------------------------ */

/* The body as one string instance (non-JSON media types). */
static bool check_text_body(vctx *c, const mz_json *schema, const char *body, size_t body_len)
{
    if (!mz_utf8_valid(body, body_len))
        return vfail(c, "body is not UTF-8 text (without NUL)");
    char *copy = malloc(body_len + 1);
    if (!copy)
        return vfail(c, "out of memory");
    if (body_len)
        memcpy(copy, body, body_len);
    copy[body_len] = '\0';
    mz_json v = {.type = MZ_JSON_STRING};
    v.u.str.s = copy;
    v.u.str.len = body_len;
    bool ok = validate(c, schema, &v, 0);
    free(copy);
    return ok;
}

/* Comma-separated media type keys of content, for messages. */
static void list_media(const mz_json *content, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (const mz_json *m = content->u.kids.first; m && n + 1 < outlen; m = m->next) {
        int w = snprintf(out + n, outlen - n, "%s%s", n ? ", " : "", m->key);
        if (w < 0)
            break;
        n = n + (size_t)w < outlen ? n + (size_t)w : outlen - 1;
    }
}

bool oas_check(const oas *o, const char *method, const char *path_without_query, int status,
               const char *content_type, const char *body, size_t body_len, char *err,
               size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!o || !method || !path_without_query || (!body && body_len)) {
        set_err(err, errlen, "oas_check: missing argument");
        return false;
    }
    /* tolerate a query or fragment: it is not part of the path */
    char path[OAS_PATH_MAX];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(path_without_query, "?#"), path_without_query);
    find_op f = {.method = method, .path = path, .best = -1};
    each_op(o, find_cb, &f);
    if (!f.op) {
        if (f.path_seen)
            set_err(err, errlen, "undocumented operation: %s %s (the path has other methods)",
                    method, path);
        else
            set_err(err, errlen, "undocumented path: %s", path);
        return false;
    }
    const mz_json *responses = mz_json_get(f.op, "responses");
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    const mz_json *resp = mz_json_get(responses, code);
    if (!resp && status >= 100 && status <= 599) {
        snprintf(code, sizeof code, "%dXX", status / 100);
        resp = mz_json_get(responses, code);
    }
    if (!resp)
        resp = mz_json_get(responses, "default");
    if (!resp) {
        set_err(err, errlen, "%s %s: status %d not documented", method, f.full, status);
        return false;
    }
    resp = deref(o, resp);
    if (!resp || resp->type != MZ_JSON_OBJECT) {
        set_err(err, errlen, "%s %s %d: document error: response does not resolve", method, f.full,
                status);
        return false;
    }
    const mz_json *content = mz_json_get(resp, "content");
    if (!content || content->type != MZ_JSON_OBJECT || content->u.kids.count == 0) {
        if (body_len == 0)
            return true;
        set_err(err, errlen, "%s %s %d: documented without content, but the body has %zu bytes",
                method, f.full, status, body_len);
        return false;
    }
    char documented[256];
    list_media(content, documented, sizeof documented);
    size_t an = 0;
    const char *actual = content_type ? media_base(content_type, &an) : "";
    if (an == 0) {
        set_err(err, errlen, "%s %s %d: no Content-Type (documented: %s)", method, f.full, status,
                documented);
        return false;
    }
    const mz_json *media = NULL;
    int best = -1;
    for (const mz_json *m = content->u.kids.first; m; m = m->next) {
        size_t dn;
        const char *d = media_base(m->key, &dn);
        int score = media_match(d, dn, actual, an);
        if (score > best) {
            best = score;
            media = m;
        }
    }
    if (!media) {
        set_err(err, errlen, "%s %s %d: content type \"%.*s\" not documented (documented: %s)",
                method, f.full, status, (int)an, actual, documented);
        return false;
    }
    const mz_json *schema = mz_json_get(media, "schema");
    vctx c = {.root = o->root, .err = err, .errlen = errlen};
    if (!is_json_media(actual, an))
        return !schema || check_text_body(&c, schema, body, body_len);
    char perr[256];
    mz_json_doc *doc =
        mz_json_parse(body_len ? body : "", body_len, &json_limits, perr, sizeof perr);
    if (!doc) {
        set_err(err, errlen, "%s %s %d: body is not valid JSON: %s", method, f.full, status, perr);
        return false;
    }
    bool ok = !schema || validate(&c, schema, mz_json_root(doc), 0);
    mz_json_free(doc);
    return ok;
}
