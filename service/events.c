#include "events.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsn.h"
#include "crypto.h"
#include "json.h"
#include "status.h"

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool date_prefix_ok(const char *s)
{
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

bool mz_valid_date(const char *s)
{
    return s && strlen(s) == 10 && date_prefix_ok(s);
}

bool mz_valid_datetime(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 20 || n > 40 || !date_prefix_ok(s) || (s[10] != 'T' && s[10] != 't'))
        return false;
    const char *t = s + 11;
    if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
        return false;
    /* No leap second: PostgreSQL refuses 23:59:60.5, and what we acknowledge
     * must be storable. */
    if (num(t, 2) > 23 || num(t + 3, 2) > 59 || num(t + 6, 2) > 59)
        return false;
    const char *z = t + 8;
    if (*z == '.') {
        z++;
        int f = 0;
        while (*z >= '0' && *z <= '9')
            z++, f++;
        if (f == 0 || f > 9)
            return false;
    }
    if ((*z == 'Z' || *z == 'z') && z[1] == '\0')
        return true;
    return (*z == '+' || *z == '-') && digits(z + 1, 2) && z[3] == ':' && digits(z + 4, 2) &&
           z[6] == '\0' && num(z + 1, 2) <= 15 && num(z + 4, 2) <= 59; /* PostgreSQL: ±15:59 */
}

/* --- field access with named errors */

typedef struct ctx {
    char *err;
    size_t errlen;
    char where[48]; /* "events[3]" or "event" */
} ctx;

static bool fail(ctx *c, const char *field, const char *why)
{
    snprintf(c->err, c->errlen, "%s.%s: %s", c->where, field, why);
    return false;
}

static bool str(ctx *c, const mz_json *o, const char *key, const char *path, bool required,
                size_t max, const char **out)
{
    const mz_json *v = mz_json_get(o, key);
    *out = NULL;
    if (!v || v->type == MZ_JSON_NULL)
        return required ? fail(c, path, "is required") : true;
    if (v->type != MZ_JSON_STRING)
        return fail(c, path, "must be a string");
    if (v->u.str.len == 0 && required)
        return fail(c, path, "must not be empty");
    if (v->u.str.len > max) {
        char why[64];
        snprintf(why, sizeof why, "is longer than %zu bytes", max);
        return fail(c, path, why);
    }
    *out = v->u.str.len ? v->u.str.s : NULL;
    return true;
}

static bool obj(ctx *c, const mz_json *o, const char *key, bool required, const mz_json **out)
{
    const mz_json *v = mz_json_get(o, key);
    *out = NULL;
    if (!v || v->type == MZ_JSON_NULL)
        return required ? fail(c, key, "is required") : true;
    if (v->type != MZ_JSON_OBJECT)
        return fail(c, key, "must be an object");
    *out = v;
    return true;
}

static bool url_ok(ctx *c, const char *path, const char *u)
{
    if (u && strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
        return fail(c, path, "must be an http(s) URL");
    return true;
}

static bool date_ok(ctx *c, const char *path, const char *d)
{
    if (d && !mz_valid_date(d))
        return fail(c, path, "must be a date (YYYY-MM-DD)");
    return true;
}

/* --- documents and decisions (issue 16)
 *
 * An event may carry the case's documents and decisions; each list, when
 * present, replaces what is stored for the case (absent: unchanged; an
 * empty array: none). The agency pushes only what the citizen may see;
 * a download still goes through the agency's adapter, which checks again.
 *   documents[]: reference* (the agency's URL of the document), title*,
 *                format, fileName, size (bytes), date
 *   decisions[]: reference* (the agency's URL of the decision), date,
 *                effectiveFrom, effectiveUntil, text, documents: [references]
 * The stored form keeps these names; the replay turns them into the
 * store's attachments (store.h). */

#define MAX_DOCS      100
#define MAX_DECISIONS 20

typedef struct doc_in {
    const char *ref, *title, *format, *file_name, *date;
    int64_t size; /* -1: none */
} doc_in;

typedef struct dec_in {
    const char *ref, *date, *from, *until, *text;
    const mz_json *docs; /* array of references, or NULL */
} dec_in;

static bool array_of(ctx *c, const mz_json *e, const char *key, size_t max, const mz_json **out)
{
    const mz_json *v = mz_json_get(e, key);
    *out = NULL;
    if (!v || v->type == MZ_JSON_NULL)
        return true;
    if (v->type != MZ_JSON_ARRAY)
        return fail(c, key, "must be an array");
    if (v->u.kids.count > max) {
        char why[48];
        snprintf(why, sizeof why, "holds more than %zu entries", max);
        return fail(c, key, why);
    }
    *out = v;
    return true;
}

static bool read_doc(ctx *c, const mz_json *o, size_t i, doc_in *d)
{
    char p[6][48];
    const char *names[6] = {"reference", "title", "format", "fileName", "date", "size"};
    for (int k = 0; k < 6; k++)
        snprintf(p[k], sizeof p[k], "documents[%zu].%s", i, names[k]);
    if (o->type != MZ_JSON_OBJECT) {
        snprintf(p[0], sizeof p[0], "documents[%zu]", i);
        return fail(c, p[0], "must be an object");
    }
    d->size = -1;
    if (!str(c, o, "reference", p[0], true, 2000, &d->ref) || !url_ok(c, p[0], d->ref) ||
        !str(c, o, "title", p[1], true, 500, &d->title) ||
        !str(c, o, "format", p[2], false, 255, &d->format) ||
        !str(c, o, "fileName", p[3], false, 255, &d->file_name) ||
        !str(c, o, "date", p[4], false, 10, &d->date) || !date_ok(c, p[4], d->date))
        return false;
    const mz_json *s = mz_json_get(o, "size");
    if (s && s->type != MZ_JSON_NULL && (!mz_json_int64(s, &d->size) || d->size < 0))
        return fail(c, p[5], "must be a whole number of bytes");
    return true;
}

static bool read_dec(ctx *c, const mz_json *o, size_t i, dec_in *d)
{
    char p[6][48];
    const char *names[6] = {"reference",      "date", "effectiveFrom",
                            "effectiveUntil", "text", "documents"};
    for (int k = 0; k < 6; k++)
        snprintf(p[k], sizeof p[k], "decisions[%zu].%s", i, names[k]);
    if (o->type != MZ_JSON_OBJECT) {
        snprintf(p[0], sizeof p[0], "decisions[%zu]", i);
        return fail(c, p[0], "must be an object");
    }
    if (!str(c, o, "reference", p[0], true, 2000, &d->ref) || !url_ok(c, p[0], d->ref) ||
        !str(c, o, "date", p[1], false, 10, &d->date) || !date_ok(c, p[1], d->date) ||
        !str(c, o, "effectiveFrom", p[2], false, 10, &d->from) || !date_ok(c, p[2], d->from) ||
        !str(c, o, "effectiveUntil", p[3], false, 10, &d->until) || !date_ok(c, p[3], d->until) ||
        !str(c, o, "text", p[4], false, 2000, &d->text))
        return false;
    d->docs = mz_json_get(o, "documents");
    if (d->docs && d->docs->type == MZ_JSON_NULL)
        d->docs = NULL;
    if (d->docs && (d->docs->type != MZ_JSON_ARRAY || d->docs->u.kids.count > MAX_DOCS))
        return fail(c, p[5], "must be an array of at most 100 document references");
    for (const mz_json *r = d->docs ? d->docs->u.kids.first : NULL; r; r = r->next)
        if (r->type != MZ_JSON_STRING || r->u.str.len == 0 || r->u.str.len > 2000)
            return fail(c, p[5], "must hold document references (strings of 1 to 2000 bytes)");
    return true;
}

/* Both lists valid, no reference twice in a list. */
static bool read_attachments(ctx *c, const mz_json *e, const mz_json **docs, const mz_json **decs)
{
    if (!array_of(c, e, "documents", MAX_DOCS, docs) ||
        !array_of(c, e, "decisions", MAX_DECISIONS, decs))
        return false;
    size_t i = 0;
    for (const mz_json *o = *docs ? (*docs)->u.kids.first : NULL; o; o = o->next, i++) {
        doc_in d;
        if (!read_doc(c, o, i, &d))
            return false;
        size_t k = 0;
        for (const mz_json *q = (*docs)->u.kids.first; q != o; q = q->next, k++)
            if (strcmp(mz_json_string(mz_json_get(q, "reference"), NULL), d.ref) == 0) {
                char p[48];
                snprintf(p, sizeof p, "documents[%zu].reference", i);
                return fail(c, p, "names a document already in the list");
            }
    }
    i = 0;
    for (const mz_json *o = *decs ? (*decs)->u.kids.first : NULL; o; o = o->next, i++) {
        dec_in d;
        if (!read_dec(c, o, i, &d))
            return false;
        for (const mz_json *q = (*decs)->u.kids.first; q != o; q = q->next)
            if (strcmp(mz_json_string(mz_json_get(q, "reference"), NULL), d.ref) == 0) {
                char p[48];
                snprintf(p, sizeof p, "decisions[%zu].reference", i);
                return fail(c, p, "names a decision already in the list");
            }
    }
    return true;
}

static void put_date(mz_buf *b, const char *key, const char *v)
{
    mz_buf_putc(b, ',');
    mz_json_key(b, key);
    mz_json_cstr(b, v);
}

/* The validated lists in the stored form (names as pushed, absent fields
 * null) into b, each as `,"key":[...]` when present. */
static void write_attachments(mz_buf *b, const mz_json *docs, const mz_json *decs)
{
    ctx quiet = {NULL, 0, ""};
    char sink[8];
    quiet.err = sink;
    quiet.errlen = sizeof sink;
    if (docs) {
        mz_buf_puts(b, ",\"documents\":[");
        size_t i = 0;
        for (const mz_json *o = docs->u.kids.first; o; o = o->next, i++) {
            doc_in d;
            (void)read_doc(&quiet, o, i, &d);
            mz_buf_puts(b, i ? ",{\"reference\":" : "{\"reference\":");
            mz_json_cstr(b, d.ref);
            put_date(b, "title", d.title);
            put_date(b, "format", d.format);
            put_date(b, "fileName", d.file_name);
            put_date(b, "date", d.date);
            if (d.size >= 0)
                mz_buf_printf(b, ",\"size\":%lld", (long long)d.size);
            mz_buf_putc(b, '}');
        }
        mz_buf_putc(b, ']');
    }
    if (decs) {
        mz_buf_puts(b, ",\"decisions\":[");
        size_t i = 0;
        for (const mz_json *o = decs->u.kids.first; o; o = o->next, i++) {
            dec_in d;
            (void)read_dec(&quiet, o, i, &d);
            mz_buf_puts(b, i ? ",{\"reference\":" : "{\"reference\":");
            mz_json_cstr(b, d.ref);
            put_date(b, "date", d.date);
            put_date(b, "effectiveFrom", d.from);
            put_date(b, "effectiveUntil", d.until);
            put_date(b, "text", d.text);
            mz_buf_puts(b, ",\"documents\":[");
            size_t k = 0;
            for (const mz_json *r = d.docs ? d.docs->u.kids.first : NULL; r; r = r->next, k++) {
                if (k)
                    mz_buf_putc(b, ',');
                mz_json_cstr(b, r->u.str.s);
            }
            mz_buf_puts(b, "]}");
        }
        mz_buf_putc(b, ']');
    }
}

/* The store's attachments (store.h) from the stored lists; NULL when the
 * event carried neither (malloc'd). A list the event left out stays out:
 * the store leaves that kind as stored. */
static char *attachments_of(const mz_json *docs, const mz_json *decs)
{
    if (!docs && !decs)
        return NULL;
    ctx quiet = {NULL, 0, ""};
    char sink[8];
    quiet.err = sink;
    quiet.errlen = sizeof sink;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_putc(&b, '{');
    if (docs)
        mz_buf_puts(&b, "\"documents\":[");
    size_t i = 0;
    for (const mz_json *o = docs ? docs->u.kids.first : NULL; o; o = o->next, i++) {
        doc_in d;
        (void)read_doc(&quiet, o, i, &d);
        mz_buf_puts(&b, i ? ",{\"source_url\":" : "{\"source_url\":");
        mz_json_cstr(&b, d.ref);
        put_date(&b, "title", d.title);
        put_date(&b, "format", d.format);
        put_date(&b, "file_name", d.file_name);
        put_date(&b, "date", d.date);
        if (d.size >= 0)
            mz_buf_printf(&b, ",\"size\":%lld", (long long)d.size);
        mz_buf_putc(&b, '}');
    }
    if (docs)
        mz_buf_putc(&b, ']');
    if (decs)
        mz_buf_puts(&b, docs ? ",\"decisions\":[" : "\"decisions\":[");
    i = 0;
    for (const mz_json *o = decs ? decs->u.kids.first : NULL; o; o = o->next, i++) {
        dec_in d;
        (void)read_dec(&quiet, o, i, &d);
        mz_buf_puts(&b, i ? ",{\"source_url\":" : "{\"source_url\":");
        mz_json_cstr(&b, d.ref);
        put_date(&b, "date", d.date);
        put_date(&b, "effective_from", d.from);
        put_date(&b, "effective_until", d.until);
        put_date(&b, "text", d.text);
        mz_buf_puts(&b, ",\"documents\":[");
        size_t k = 0;
        for (const mz_json *r = d.docs ? d.docs->u.kids.first : NULL; r; r = r->next, k++) {
            if (k)
                mz_buf_putc(&b, ',');
            mz_json_cstr(&b, r->u.str.s);
        }
        mz_buf_puts(&b, "]}");
    }
    mz_buf_puts(&b, decs ? "]}" : "}");
    return mz_buf_steal(&b, NULL);
}

typedef struct fields {
    mz_subject subject;       /* as pushed (wiped after use) */
    const char *subject_kind; /* stored form: "bsn" or "kvk" */
    const char *ref, *subject_hex, *title, *case_number, *type_code, *type_label;
    const char *group, *text, *occurred, *registered, *planned, *deadline, *closed;
    const char *action_text, *action_url, *action_due, *result, *link;
    const mz_json *documents, *decisions; /* validated lists, or NULL (absent) */
} fields;

/* The pushed event's fields, in canonical order: one list that both reads
 * (read_event) and writes (write_canonical) follow, so the two cannot drift.
 * `in` names the enclosing object (NULL: the event itself); an object is
 * optional unless one of its fields is required with `in_required`. The
 * subject (bsn as received, subjectKey once stored) is handled apart: it
 * is the one field that changes form between the two. */
typedef enum check { C_TEXT, C_DATE, C_DATETIME, C_URL, C_GROUP } check;

typedef struct field_def {
    const char *in, *key, *path;
    bool required, in_required;
    size_t max;
    check check;
    size_t off;
} field_def;

#define F(in, key, path, req, in_req, max, chk, member)                                            \
    {                                                                                              \
        in, key, path, req, in_req, max, chk, offsetof(fields, member)                             \
    }
static const field_def k_fields[] = {
    F(NULL, "title", "title", true, false, 500, C_TEXT, title),
    F(NULL, "caseNumber", "caseNumber", false, false, 200, C_TEXT, case_number),
    F("caseType", "code", "caseType.code", false, false, 200, C_TEXT, type_code),
    F("caseType", "label", "caseType.label", false, false, 500, C_TEXT, type_label),
    F("status", "group", "status.group", true, true, 40, C_GROUP, group),
    F("status", "text", "status.text", true, true, 500, C_TEXT, text),
    F(NULL, "occurredAt", "occurredAt", true, false, 40, C_DATETIME, occurred),
    F("dates", "registered", "dates.registered", false, false, 10, C_DATE, registered),
    F("dates", "plannedEnd", "dates.plannedEnd", false, false, 10, C_DATE, planned),
    F("dates", "legalDeadline", "dates.legalDeadline", false, false, 10, C_DATE, deadline),
    F("dates", "closed", "dates.closed", false, false, 10, C_DATE, closed),
    F("actionRequired", "text", "actionRequired.text", true, false, 2000, C_TEXT, action_text),
    F("actionRequired", "url", "actionRequired.url", false, false, 2000, C_URL, action_url),
    F("actionRequired", "dueDate", "actionRequired.dueDate", false, false, 10, C_DATE, action_due),
    F(NULL, "result", "result", false, false, 2000, C_TEXT, result),
    F(NULL, "link", "link", false, false, 2000, C_URL, link),
};
#undef F
#define N_FIELDS (sizeof k_fields / sizeof k_fields[0])

static const char **field_at(fields *f, const field_def *d)
{
    return (const char **)(void *)((char *)f + d->off);
}

static const char *field_of(const fields *f, const field_def *d)
{
    return *(const char *const *)(const void *)((const char *)f + d->off);
}

static bool check_ok(ctx *c, const field_def *d, const char *v)
{
    if (!v)
        return true;
    switch (d->check) {
    case C_DATE:
        return date_ok(c, d->path, v);
    case C_DATETIME:
        return mz_valid_datetime(v) ? true : fail(c, d->path, "must be an RFC 3339 date-time");
    case C_URL:
        return url_ok(c, d->path, v);
    case C_GROUP:
        return mz_status_group_valid(v) ? true
                                        : fail(c, d->path, "must be one of " MZ_STATUS_GROUPS_TEXT);
    case C_TEXT:
        break;
    }
    return true;
}

/* The subject as pushed: "subject" {kind, id, vestiging?} or the older
 * "bsn" (11-proof); both at once must agree (subject.h, mz_subject_of).
 * Once stored: its pseudonym and kind ("subjectKind", absent in bodies
 * stored before subjects had kinds: "bsn"). */
static bool read_subject(ctx *c, const mz_json *e, bool stored, fields *f)
{
    if (stored) {
        if (!str(c, e, "subjectKey", "subjectKey", true, 64, &f->subject_hex) ||
            strlen(f->subject_hex) != 64)
            return fail(c, "subjectKey", "must be 64 hex digits");
        if (!str(c, e, "subjectKind", "subjectKind", false, 3, &f->subject_kind))
            return false;
        mz_subject_kind k;
        if (f->subject_kind && !mz_subject_kind_parse(f->subject_kind, strlen(f->subject_kind), &k))
            return fail(c, "subjectKind", "must be bsn or kvk");
        return true;
    }
    return mz_subject_of(e, &f->subject, c->where, c->err, c->errlen);
}

static bool read_event(ctx *c, const mz_json *e, bool stored, fields *f)
{
    memset(f, 0, sizeof *f);
    if (e->type != MZ_JSON_OBJECT) {
        snprintf(c->err, c->errlen, "%s: must be an object", c->where);
        return false;
    }
    if (!str(c, e, "caseReference", "caseReference", true, 1000, &f->ref) ||
        !read_subject(c, e, stored, f))
        return false;
    const char *in = NULL;
    const mz_json *o = e;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const field_def *d = &k_fields[i];
        if (d->in && (!in || strcmp(in, d->in) != 0)) { /* the first field of an object */
            in = d->in;
            if (!obj(c, e, d->in, d->in_required, &o))
                return false;
        } else if (!d->in) {
            in = NULL;
            o = e;
        }
        if (!o) /* an optional object that is absent */
            continue;
        if (!str(c, o, d->key, d->path, d->required, d->max, field_at(f, d)) ||
            !check_ok(c, d, *field_at(f, d)))
            return false;
    }
    return read_attachments(c, e, &f->documents, &f->decisions);
}

static void put(mz_buf *b, const char *key, const char *v, bool *first)
{
    if (!v)
        return;
    if (!*first)
        mz_buf_putc(b, ',');
    *first = false;
    mz_json_key(b, key);
    mz_json_cstr(b, v);
}

/* Writes the fields of the object that starts at k_fields[i] (or the one
 * top-level field there) and returns the index after it. An object with no
 * field set is left out. */
static size_t put_entry(mz_buf *b, const fields *f, size_t i, bool *first)
{
    const field_def *d = &k_fields[i];
    if (!d->in) {
        put(b, d->key, field_of(f, d), first);
        return i + 1;
    }
    size_t end = i;
    bool any = false;
    while (end < N_FIELDS && k_fields[end].in && strcmp(k_fields[end].in, d->in) == 0)
        any |= field_of(f, &k_fields[end++]) != NULL;
    if (!any)
        return end;
    if (!*first)
        mz_buf_putc(b, ',');
    *first = false;
    mz_json_key(b, d->in);
    mz_buf_putc(b, '{');
    bool inner = true;
    for (size_t k = i; k < end; k++)
        put(b, k_fields[k].key, field_of(f, &k_fields[k]), &inner);
    mz_buf_putc(b, '}');
    return end;
}

static void write_canonical(mz_buf *b, const fields *f)
{
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym_subject(&f->subject, key);
    char hex[65];
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < MZ_PSEUDONYM_LEN; i++) {
        hex[2 * i] = hx[key[i] >> 4];
        hex[2 * i + 1] = hx[key[i] & 15];
    }
    hex[64] = '\0';
    bool first = true;
    mz_buf_putc(b, '{');
    put(b, "caseReference", f->ref, &first);
    put(b, "subjectKey", hex, &first);
    put(b, "subjectKind", mz_subject_kind_name(f->subject.kind), &first);
    for (size_t i = 0; i < N_FIELDS;)
        i = put_entry(b, f, i, &first);
    write_attachments(b, f->documents, f->decisions);
    mz_buf_putc(b, '}');
}

static mz_json_doc *parse(const char *body, size_t len, char *err, size_t errlen)
{
    char perr[160];
    mz_json_limits lim = {.max_depth = 16, .max_nodes = 20000, .max_string = 8192};
    mz_json_doc *d = mz_json_parse(body, len, &lim, perr, sizeof perr);
    if (!d)
        snprintf(err, errlen, "body is not acceptable JSON: %s", perr);
    return d;
}

bool mz_events_accept(const char *body, size_t len, mz_buf *out, size_t *count, char *err,
                      size_t errlen)
{
    *count = 0;
    mz_json_doc *d = parse(body, len, err, errlen);
    if (!d)
        return false;
    const mz_json *root = mz_json_root(d);
    bool batch = root->type == MZ_JSON_ARRAY;
    if (!batch && root->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "body must be an event object or an array of events");
        mz_json_free(d);
        return false;
    }
    if (batch && (root->u.kids.count == 0 || root->u.kids.count > MZ_EVENTS_MAX_BATCH)) {
        snprintf(err, errlen, "a batch must hold 1 to %d events", MZ_EVENTS_MAX_BATCH);
        mz_json_free(d);
        return false;
    }
    ctx c = {err, errlen, ""};
    size_t start = out->len;
    mz_buf_putc(out, '[');
    size_t i = 0;
    bool ok = true;
    for (const mz_json *e = batch ? root->u.kids.first : root; e && ok;
         e = batch ? e->next : NULL, i++) {
        if (batch)
            snprintf(c.where, sizeof c.where, "events[%zu]", i);
        else
            snprintf(c.where, sizeof c.where, "event");
        fields f;
        ok = read_event(&c, e, false, &f);
        if (ok) {
            if (i)
                mz_buf_putc(out, ',');
            write_canonical(out, &f);
        }
        mz_subject_wipe(&f.subject);
    }
    mz_buf_putc(out, ']');
    mz_json_free(d);
    if (!ok) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        return false;
    }
    *count = i;
    return true;
}

bool mz_events_replay(const char *agency_id, const char *event_id, const char *stored, size_t len,
                      mz_event_fn fn, void *ud, char *err, size_t errlen)
{
    mz_json_doc *d = parse(stored, len, err, errlen);
    if (!d)
        return false;
    const mz_json *root = mz_json_root(d);
    bool ok = root->type == MZ_JSON_ARRAY;
    if (!ok)
        snprintf(err, errlen, "stored body is not a canonical event array");
    size_t i = 0;
    for (const mz_json *e = ok ? root->u.kids.first : NULL; e && ok; e = e->next, i++) {
        ctx c = {err, errlen, ""};
        snprintf(c.where, sizeof c.where, "events[%zu]", i);
        fields f;
        ok = read_event(&c, e, true, &f);
        if (!ok)
            break;
        char key[600];
        snprintf(key, sizeof key, "webhook:%.256s:%zu", event_id, i);
        mz_case_event ev = {f.group, f.text, f.occurred, key, false};
        mz_case_record r = {
            .agency_id = agency_id,
            .external_id = f.ref,
            .case_number = f.case_number,
            .title = f.title,
            .case_type_code = f.type_code,
            .case_type_label = f.type_label,
            .status_group = f.group,
            .status_text = f.text,
            .status_changed_at = f.occurred,
            .registered_on = f.registered,
            .planned_end_on = f.planned,
            .legal_deadline_on = f.deadline,
            .closed_on = f.closed,
            .result_text = f.result,
            .action_text = f.action_text,
            .action_url = f.action_url,
            .action_due_on = f.action_due,
            .deep_link_url = f.link,
            .source_updated_at = f.occurred,
            .source = "webhook",
            .events = &ev,
            .n_events = 1,
            .subject_kind = f.subject_kind ? f.subject_kind : "bsn",
        };
        char *att = attachments_of(f.documents, f.decisions);
        r.attachments_json = att;
        for (int k = 0; k < MZ_PSEUDONYM_LEN; k++) {
            int hi = mz_hexval(f.subject_hex[2 * k]), lo = mz_hexval(f.subject_hex[2 * k + 1]);
            if (hi < 0 || lo < 0) {
                snprintf(err, errlen, "events[%zu].subjectKey: must be 64 hex digits", i);
                ok = false;
                break;
            }
            r.subject_key[k] = (unsigned char)(hi << 4 | lo);
        }
        if (ok && !fn(ud, &r)) {
            snprintf(err, errlen, "events[%zu]: could not be stored", i);
            ok = false;
        }
        free(att);
    }
    mz_json_free(d);
    return ok;
}
