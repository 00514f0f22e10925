/*
 * rest_json.c — adapter for agencies with their own JSON API, driven
 * entirely by configuration: a new agency needs a mapping, not code.
 *
 * Settings (the agency's "adapter" object):
 *   baseUrl          every request stays under it (no SSRF through `next`)
 *   listPath         GET path of the full listing (scheduled sync); optional
 *   searchPath       POST path searching one subject's cases, with body
 *                    {"<searchBsnField>": "<bsn>"} for a person (default
 *                    field "bsn") or {"<searchKvkField>": "<kvk number>"}
 *                    for a business (default field "kvk"; only when
 *                    fields.kvk is mapped): the number travels in a body,
 *                    never in a URL; optional. The answer is not trusted:
 *                    only items naming the searched subject are kept (see
 *                    "whose case" below)
 *   itemsPointer     JSON pointer to the array of cases in a page ("" = root)
 *   nextPointer      JSON pointer to the next page's URL (absolute, or a
 *                    path under baseUrl); absent/null/empty ends paging
 *   tokenEnv|tokenFile  optional bearer token
 *   headers          optional extra request headers, sent on every request
 *                    (list, search, fetch): an object of name -> value, the
 *                    value either a string (not secret: it is kept in the
 *                    stored settings like everything else here) or
 *                    {"valueEnv": "NAME"} / {"valueFile": "PATH"} for a
 *                    secret such as an API key (resolved at load like the
 *                    token: never logged, never stored, wiped on free).
 *                    At most 16; names are RFC 9110 tokens of 1..64
 *                    characters, case-insensitively unique; values 0..1000
 *                    printable ASCII. An empty value sends no such header
 *                    (libcurl drops "Name:"; for Accept it drops even the
 *                    default). Authorization (use tokenEnv), Host,
 *                    Content-Length, Transfer-Encoding, Connection and
 *                    Content-Type are ours or the transport's and refused;
 *                    Accept replaces our default "application/json".
 *                    Why: real agency APIs want static extras (ZGW's
 *                    Accept-Crs/Content-Crs, an X-Api-Key, an OIN header,
 *                    Accept: application/hal+json) and a mapping, not code,
 *                    should be enough to connect one.
 *   timeoutMs        per request, default 10000
 *   fields           JSON pointers from one case object to our fields:
 *     externalId*, bsn+, kvk+, title*, status*, statusChangedAt*, statusText,
 *     caseNumber, caseTypeCode, caseTypeLabel, registeredOn, plannedEndOn,
 *     legalDeadlineOn, closedOn, result, actionText, actionUrl, actionDueOn,
 *     deepLink, updatedAt (default: statusChangedAt), sourceUrl,
 *     timeline (pointer to an array of events) with timelineFields
 *     {status*, at*, text}      (* required; + at least one of bsn and kvk),
 *     documents and decisions (issue 16, optional: see "documents and
 *     decisions" below)
 *
 * Whose case (the subject an item is stored under): `bsn` points at the
 * BSN of the person the case is for, `kvk` at the KVK number (8 digits) of
 * the business it is for; an agency serving both maps both. An item whose
 * bsn field holds a valid BSN is that person's; else one whose kvk field
 * holds a valid KVK number is that business's (stored under the kvk
 * pseudonym, subject_kind kvk); else it names no one and is skipped
 * (no_subject). A person before a business, as in the ZGW adapter: an item
 * naming both is the person's. In a search answer an item naming any
 * other subject than the searched one is skipped (not_subject). Without
 * fields.bsn (fields.kvk) there is no search for a person (a business):
 * refresh_subject answers unsupported.
 * The agency's `statusGroups` maps its status values to our groups; a value
 * that is itself a group name is taken as is; anything else becomes
 * in_progress with the agency's own text shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "adapter.h"
#include "agencies.h"
#include "alloc.h"
#include "bsn.h"
#include "buf.h"
#include "events.h" /* mz_valid_date */
#include "outbound.h"

enum {
    F_EXTERNAL_ID,
    F_BSN,
    F_KVK,
    F_TITLE,
    F_STATUS,
    F_STATUS_CHANGED_AT,
    F_STATUS_TEXT,
    F_CASE_NUMBER,
    F_TYPE_CODE,
    F_TYPE_LABEL,
    F_REGISTERED_ON,
    F_PLANNED_END_ON,
    F_LEGAL_DEADLINE_ON,
    F_CLOSED_ON,
    F_RESULT,
    F_ACTION_TEXT,
    F_ACTION_URL,
    F_ACTION_DUE_ON,
    F_DEEP_LINK,
    F_UPDATED_AT,
    F_SOURCE_URL,
    F_TIMELINE,
    F_DOCUMENTS,
    F_DECISIONS,
    F__COUNT
};

static const struct {
    const char *name;
    bool required;
} fields[F__COUNT] = {
    {"externalId", true},
    {"bsn", false},
    {"kvk", false},
    {"title", true},
    {"status", true},
    {"statusChangedAt", true},
    {"statusText", false},
    {"caseNumber", false},
    {"caseTypeCode", false},
    {"caseTypeLabel", false},
    {"registeredOn", false},
    {"plannedEndOn", false},
    {"legalDeadlineOn", false},
    {"closedOn", false},
    {"result", false},
    {"actionText", false},
    {"actionUrl", false},
    {"actionDueOn", false},
    {"deepLink", false},
    {"updatedAt", false},
    {"sourceUrl", false},
    {"timeline", false},
    {"documents", false},
    {"decisions", false},
};

/* Limits of the `headers` setting. The request's header array has room for
 * our own three (Accept, Authorization, Content-Type) plus these. */
#define RJ_MAX_HEADERS      16
#define RJ_MAX_HEADER_NAME  64
#define RJ_MAX_HEADER_VALUE 1000

typedef struct rj {
    const mz_agency *agency;
    char *base, *list_path, *search_path, *search_field, *search_kvk_field, *items_ptr, *next_ptr,
        *token;
    /* The configured headers as ready "Name: value" lines, built once at
     * init so no request makes another copy of a secret value; every line is
     * wiped on free (some hold secrets). */
    char *hdr_lines[RJ_MAX_HEADERS];
    size_t n_hdr;
    bool own_accept; /* the agency's Accept replaces ours */
    char *ptr[F__COUNT];
    char *tl_status, *tl_at, *tl_text;
    char *doc_ptr[7], *dec_ptr[6]; /* documentFields, decisionFields (issue 16) */
    long timeout_ms;
} rj;

/* RFC 6901 JSON pointer ("/a/0/b", "~0" = '~', "~1" = '/'); "" is the root. */
static const mz_json *pointer(const mz_json *v, const char *p)
{
    if (!p)
        return NULL;
    while (v && *p == '/') {
        p++;
        char tok[256];
        size_t n = 0;
        while (*p && *p != '/' && n < sizeof tok - 1) {
            if (p[0] == '~' && p[1] == '0')
                tok[n++] = '~', p += 2;
            else if (p[0] == '~' && p[1] == '1')
                tok[n++] = '/', p += 2;
            else
                tok[n++] = *p++;
        }
        tok[n] = '\0';
        if (v->type == MZ_JSON_OBJECT) {
            v = mz_json_get(v, tok);
        } else if (v->type == MZ_JSON_ARRAY) {
            char *end;
            long idx = strtol(tok, &end, 10);
            if (*end || n == 0 || idx < 0)
                return NULL;
            const mz_json *e = v->u.kids.first;
            while (e && idx-- > 0)
                e = e->next;
            v = e;
        } else {
            return NULL;
        }
    }
    return *p ? NULL : v;
}

/* A field's value as text (strings as is; numbers as written), or NULL. */
static const char *text_at(const mz_json *item, const char *ptr)
{
    const mz_json *v = ptr ? pointer(item, ptr) : NULL;
    if (!v)
        return NULL;
    if (v->type == MZ_JSON_STRING)
        return v->u.str.len ? v->u.str.s : NULL;
    if (v->type == MZ_JSON_NUMBER)
        return v->u.num.raw;
    return NULL;
}

static const char *group_of(const rj *r, const char *value)
{
    const char *g = mz_agency_map_status(r->agency, value);
    if (g)
        return g;
    if (mz_status_group_valid(value))
        return value;
    return "in_progress";
}

typedef struct run {
    rj *r;
    mz_outbound *cli;
    int64_t deadline;
    char *err;
    size_t errlen;
} run;

static mz_adapter_status fetch(run *x, const char *method, const char *url, const char *body,
                               mz_json_doc **doc)
{
    *doc = NULL;
    char auth[4200];
    /* Accept, Authorization, Content-Type, the configured ones, NULL: n_hdr
     * is at most RJ_MAX_HEADERS (checked at init), so this cannot overflow. */
    const char *hdrs[3 + RJ_MAX_HEADERS + 1] = {NULL};
    size_t h = 0;
    if (!x->r->own_accept)
        hdrs[h++] = "Accept: application/json";
    if (x->r->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", x->r->token);
        hdrs[h++] = auth;
    }
    if (body)
        hdrs[h++] = "Content-Type: application/json";
    for (size_t i = 0; i < x->r->n_hdr && i < RJ_MAX_HEADERS; i++)
        hdrs[h++] = x->r->hdr_lines[i];
    mz_outbound_result res;
    mz_outbound_status st = mz_outbound_request(x->cli, method, url, hdrs, body,
                                                body ? strlen(body) : 0, true, x->deadline, &res);
    OPENSSL_cleanse(auth, sizeof auth);
    mz_adapter_status out = MZ_ADAPTER_OK;
    if (st == MZ_OUT_REFUSED) {
        snprintf(x->err, x->errlen, "%s", res.error);
        out = MZ_ADAPTER_REFUSED;
    } else if (st != MZ_OUT_OK) {
        snprintf(x->err, x->errlen, "%s", res.error);
        out = MZ_ADAPTER_UNAVAILABLE;
    } else if (res.status == 401 || res.status == 403) {
        snprintf(x->err, x->errlen, "agency refused our credentials (HTTP %ld)", res.status);
        out = MZ_ADAPTER_REFUSED;
    } else if (res.status != 200) {
        snprintf(x->err, x->errlen, "agency answered HTTP %ld", res.status);
        out = MZ_ADAPTER_UNAVAILABLE;
    } else {
        char perr[128];
        mz_json_limits lim = {.max_depth = 32, .max_nodes = 4000000, .max_string = 65536};
        *doc = mz_json_parse(res.body ? res.body : "", res.body_len, &lim, perr, sizeof perr);
        if (!*doc) {
            snprintf(x->err, x->errlen, "agency answered with invalid JSON (%s)", perr);
            out = MZ_ADAPTER_UNAVAILABLE;
        }
    }
    /* The answer holds BSNs (every item names its person): wiped first. */
    if (res.body)
        OPENSSL_cleanse(res.body, res.body_len);
    mz_outbound_result_free(&res);
    return out;
}

static mz_adapter_status emit_record(run *x, const mz_json *it, const mz_subject *who,
                                     mz_sink *sink);

/* --- documents and decisions (issue 16, optional)
 *
 * fields.documents points at an array of the case's documents, read with
 * documentFields {reference*, title*, format, fileName, size, date,
 * content (the URL of the content, under baseUrl; default: reference)};
 * fields.decisions at an array of decisions, read with decisionFields
 * {reference*, date, effectiveFrom, effectiveUntil, text, documents (an
 * array of document references)}. When mapped, each list replaces what is
 * stored for the case (missing in an item: none). The agency's API is
 * expected to list only what the citizen may see (this kind knows no
 * confidentiality levels); a download streams `content` (a path is taken
 * under baseUrl, like `next`) with the adapter's credentials and headers. */

#define RJ_MAX_DOCS      100
#define RJ_MAX_DECISIONS 20

enum { D_REFERENCE, D_TITLE, D_FORMAT, D_FILE_NAME, D_SIZE, D_DATE, D_CONTENT, D__COUNT };
static const struct {
    const char *name;
    bool required;
} doc_fields[D__COUNT] = {{"reference", true}, {"title", true}, {"format", false},
                          {"fileName", false}, {"size", false}, {"date", false},
                          {"content", false}};

enum { B_REFERENCE, B_DATE, B_FROM, B_UNTIL, B_TEXT, B_DOCUMENTS, B__COUNT };
static const struct {
    const char *name;
    bool required;
} dec_fields[B__COUNT] = {{"reference", true},       {"date", false}, {"effectiveFrom", false},
                          {"effectiveUntil", false}, {"text", false}, {"documents", false}};

/* s as a JSON string cut to max bytes (on a character boundary), or null. */
static void json_text(mz_buf *b, const char *s, size_t max)
{
    if (!s) {
        mz_buf_puts(b, "null");
        return;
    }
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    char *t = mz_xstrndup(s, n);
    mz_json_cstr(b, t);
    free(t);
}

/* A YYYY-MM-DD date (the first 10 characters of a date or date-time), or null. */
static void json_day(mz_buf *b, const char *s)
{
    char d[11];
    bool ok = s && strlen(s) >= 10;
    for (int i = 0; ok && i < 10; i++)
        ok = (i == 4 || i == 7) ? s[i] == '-' : (s[i] >= '0' && s[i] <= '9');
    if (ok) {
        memcpy(d, s, 10);
        d[10] = '\0';
        ok = mz_valid_date(d);
    }
    mz_json_cstr(b, ok ? d : NULL);
}

static bool seen(const mz_json *list, const mz_json *upto, const char *ptr, const char *ref)
{
    for (const mz_json *q = list->u.kids.first; q && q != upto; q = q->next) {
        const char *r = text_at(q, ptr);
        if (r && strcmp(r, ref) == 0)
            return true;
    }
    return false;
}

static char *absolute(const rj *r, const char *next);

/* The item's attachments (store.h) when documents or decisions are mapped
 * (malloc'd), else NULL. */
static char *rj_attachments(const rj *r, const mz_json *it)
{
    if (!r->ptr[F_DOCUMENTS] && !r->ptr[F_DECISIONS])
        return NULL;
    mz_buf b = MZ_BUF_INIT;
    mz_buf_putc(&b, '{');
    if (r->ptr[F_DOCUMENTS]) {
        mz_buf_puts(&b, "\"documents\":[");
        const mz_json *list = pointer(it, r->ptr[F_DOCUMENTS]);
        size_t n = 0;
        for (const mz_json *o = list && list->type == MZ_JSON_ARRAY ? list->u.kids.first : NULL;
             o && n < RJ_MAX_DOCS; o = o->next) {
            const char *ref = text_at(o, r->doc_ptr[D_REFERENCE]);
            const char *title = text_at(o, r->doc_ptr[D_TITLE]);
            if (!ref || strlen(ref) > 2000 || !title || seen(list, o, r->doc_ptr[D_REFERENCE], ref))
                continue;
            const char *content = r->doc_ptr[D_CONTENT] ? text_at(o, r->doc_ptr[D_CONTENT]) : ref;
            /* a path is under baseUrl; a URL is taken as is (a download
             * refuses one outside baseUrl) */
            char *curl = content ? absolute(r, content) : NULL;
            mz_buf_puts(&b, n++ ? ",{\"source_url\":" : "{\"source_url\":");
            mz_json_cstr(&b, ref);
            mz_buf_puts(&b, ",\"content_url\":");
            json_text(&b, curl && strlen(curl) <= 2000 ? curl : NULL, 2000);
            free(curl);
            mz_buf_puts(&b, ",\"title\":");
            json_text(&b, title, 500);
            mz_buf_puts(&b, ",\"format\":");
            json_text(&b, text_at(o, r->doc_ptr[D_FORMAT]), 255);
            mz_buf_puts(&b, ",\"file_name\":");
            json_text(&b, text_at(o, r->doc_ptr[D_FILE_NAME]), 255);
            mz_buf_puts(&b, ",\"size\":");
            const mz_json *sz = r->doc_ptr[D_SIZE] ? pointer(o, r->doc_ptr[D_SIZE]) : NULL;
            int64_t size = -1;
            if (sz && mz_json_int64(sz, &size) && size >= 0)
                mz_buf_printf(&b, "%lld", (long long)size);
            else
                mz_buf_puts(&b, "null");
            mz_buf_puts(&b, ",\"date\":");
            json_day(&b, text_at(o, r->doc_ptr[D_DATE]));
            mz_buf_putc(&b, '}');
        }
        mz_buf_putc(&b, ']');
    }
    if (r->ptr[F_DECISIONS]) {
        mz_buf_puts(&b, r->ptr[F_DOCUMENTS] ? ",\"decisions\":[" : "\"decisions\":[");
        const mz_json *list = pointer(it, r->ptr[F_DECISIONS]);
        size_t n = 0;
        for (const mz_json *o = list && list->type == MZ_JSON_ARRAY ? list->u.kids.first : NULL;
             o && n < RJ_MAX_DECISIONS; o = o->next) {
            const char *ref = text_at(o, r->dec_ptr[B_REFERENCE]);
            if (!ref || strlen(ref) > 2000 || seen(list, o, r->dec_ptr[B_REFERENCE], ref))
                continue;
            mz_buf_puts(&b, n++ ? ",{\"source_url\":" : "{\"source_url\":");
            mz_json_cstr(&b, ref);
            mz_buf_puts(&b, ",\"date\":");
            json_day(&b, text_at(o, r->dec_ptr[B_DATE]));
            mz_buf_puts(&b, ",\"effective_from\":");
            json_day(&b, text_at(o, r->dec_ptr[B_FROM]));
            mz_buf_puts(&b, ",\"effective_until\":");
            json_day(&b, text_at(o, r->dec_ptr[B_UNTIL]));
            mz_buf_puts(&b, ",\"text\":");
            json_text(&b, text_at(o, r->dec_ptr[B_TEXT]), 2000);
            mz_buf_puts(&b, ",\"documents\":[");
            const mz_json *docs =
                r->dec_ptr[B_DOCUMENTS] ? pointer(o, r->dec_ptr[B_DOCUMENTS]) : NULL;
            size_t k = 0;
            for (const mz_json *d = docs && docs->type == MZ_JSON_ARRAY ? docs->u.kids.first : NULL;
                 d && k < RJ_MAX_DOCS; d = d->next)
                if (d->type == MZ_JSON_STRING && d->u.str.len && d->u.str.len <= 2000) {
                    if (k++)
                        mz_buf_putc(&b, ',');
                    mz_json_cstr(&b, d->u.str.s);
                }
            mz_buf_puts(&b, "]}");
        }
        mz_buf_putc(&b, ']');
    }
    mz_buf_putc(&b, '}');
    return mz_buf_steal(&b, NULL);
}

/* The subject an item names (see "whose case" above) into who; false when
 * it names none. */
static bool item_subject(const rj *r, const mz_json *it, mz_subject *who)
{
    const char *bsn = text_at(it, r->ptr[F_BSN]);
    if (bsn && mz_subject_bsn(who, bsn, strlen(bsn)))
        return true;
    const char *kvk = text_at(it, r->ptr[F_KVK]);
    char err[80];
    if (kvk && mz_subject_set(who, "kvk", 3, kvk, strlen(kvk), NULL, 0, "kvk", err, sizeof err))
        return true;
    mz_subject_wipe(who);
    return false;
}

static mz_adapter_status emit_item(run *x, const mz_json *it, const mz_subject *want, mz_sink *sink)
{
    rj *r = x->r;
    /* Whose case: the item's own bsn or kvk field is the proof (this kind
     * has no notion of roles: the agency's API is expected to name the
     * subject the case is for). An item without one, or naming another
     * subject than the searched one, is skipped: a search answer proves
     * nothing by itself (an API may ignore the search field and answer
     * with every case). */
    mz_subject who;
    if (!item_subject(r, it, &who)) {
        mz_sink_skip(sink, MZ_SKIP_NO_SUBJECT);
        return MZ_ADAPTER_OK;
    }
    if (want && !mz_subject_same(&who, want)) {
        mz_subject_wipe(&who);
        mz_sink_skip(sink, MZ_SKIP_NOT_SUBJECT);
        return MZ_ADAPTER_OK;
    }
    mz_adapter_status st = emit_record(x, it, &who, sink);
    mz_subject_wipe(&who);
    return st;
}
/* The record of an item whose subject is who. */
static mz_adapter_status emit_record(run *x, const mz_json *it, const mz_subject *who,
                                     mz_sink *sink)
{
    rj *r = x->r;
    const char *ext = text_at(it, r->ptr[F_EXTERNAL_ID]);
    const char *status = text_at(it, r->ptr[F_STATUS]);
    const char *at = text_at(it, r->ptr[F_STATUS_CHANGED_AT]);
    if (!ext || !status || !at) {
        mz_sink_skip(sink, MZ_SKIP_INCOMPLETE);
        return MZ_ADAPTER_OK;
    }
    mz_case_event ev[100];
    size_t nev = 0;
    const mz_json *tl = r->ptr[F_TIMELINE] ? pointer(it, r->ptr[F_TIMELINE]) : NULL;
    for (const mz_json *e = tl && tl->type == MZ_JSON_ARRAY ? tl->u.kids.first : NULL;
         e && nev < 100; e = e->next) {
        const char *es = text_at(e, r->tl_status), *ea = text_at(e, r->tl_at);
        const char *et = text_at(e, r->tl_text);
        if (!es || !ea)
            continue;
        ev[nev++] = (mz_case_event){group_of(r, es), et ? et : es, ea, NULL, false};
    }
    const char *updated = text_at(it, r->ptr[F_UPDATED_AT]);
    const char *stext = text_at(it, r->ptr[F_STATUS_TEXT]);
    mz_case_record rec = {
        .agency_id = r->agency->id,
        .external_id = ext,
        .case_number = text_at(it, r->ptr[F_CASE_NUMBER]),
        .title = text_at(it, r->ptr[F_TITLE]) ? text_at(it, r->ptr[F_TITLE]) : "Zaak",
        .case_type_code = text_at(it, r->ptr[F_TYPE_CODE]),
        .case_type_label = text_at(it, r->ptr[F_TYPE_LABEL]),
        .status_group = group_of(r, status),
        .status_text = stext ? stext : status,
        .status_changed_at = at,
        .registered_on = text_at(it, r->ptr[F_REGISTERED_ON]),
        .planned_end_on = text_at(it, r->ptr[F_PLANNED_END_ON]),
        .legal_deadline_on = text_at(it, r->ptr[F_LEGAL_DEADLINE_ON]),
        .closed_on = text_at(it, r->ptr[F_CLOSED_ON]),
        .result_text = text_at(it, r->ptr[F_RESULT]),
        .action_text = text_at(it, r->ptr[F_ACTION_TEXT]),
        .action_url = text_at(it, r->ptr[F_ACTION_URL]),
        .action_due_on = text_at(it, r->ptr[F_ACTION_DUE_ON]),
        .deep_link_url = text_at(it, r->ptr[F_DEEP_LINK]),
        .source_url = text_at(it, r->ptr[F_SOURCE_URL]),
        .source_updated_at = updated ? updated : at,
        .source = "poll",
        .events = ev,
        .n_events = nev,
    };
    mz_pseudonym_subject(who, rec.subject_key);
    rec.subject_kind = mz_subject_kind_name(who->kind);
    char *att = rj_attachments(r, it);
    rec.attachments_json = att;
    bool ok = sink->emit(sink, &rec);
    free(att);
    return ok ? MZ_ADAPTER_OK : MZ_ADAPTER_ABORTED;
}

static char *absolute(const rj *r, const char *next)
{
    size_t n = strlen(r->base) + strlen(next) + 2;
    char *u = mz_xmalloc(n);
    if (strncmp(next, "http://", 7) == 0 || strncmp(next, "https://", 8) == 0)
        snprintf(u, n, "%s", next);
    else
        snprintf(u, n, "%s%s%s", r->base, next[0] == '/' ? "" : "/", next);
    return u;
}

static mz_adapter_status walk(run *x, const char *path, const char *body, const mz_subject *want,
                              mz_sink *sink)
{
    char *url = absolute(x->r, path);
    mz_adapter_status st = MZ_ADAPTER_OK;
    for (int page = 0; url && page < 10000 && st == MZ_ADAPTER_OK; page++) {
        mz_json_doc *d;
        st = fetch(x, body ? "POST" : "GET", url, body, &d);
        free(url);
        url = NULL;
        if (st != MZ_ADAPTER_OK)
            break;
        const mz_json *items = pointer(mz_json_root(d), x->r->items_ptr);
        if (!items || items->type != MZ_JSON_ARRAY) {
            snprintf(x->err, x->errlen, "agency answered without an items array at %s",
                     x->r->items_ptr);
            st = MZ_ADAPTER_UNAVAILABLE;
        }
        for (const mz_json *it = items && st == MZ_ADAPTER_OK ? items->u.kids.first : NULL;
             it && st == MZ_ADAPTER_OK; it = it->next)
            st = emit_item(x, it, want, sink);
        const char *next = x->r->next_ptr ? text_at(mz_json_root(d), x->r->next_ptr) : NULL;
        if (st == MZ_ADAPTER_OK && next)
            url = absolute(x->r, next);
        mz_json_free_wiped(d);
    }
    free(url);
    return st;
}

/* The one list of what this adapter may request: its clients' allow-list,
 * and what intake checks a pushed case URL against. */
static size_t rj_base_urls(const void *state, const char **out, size_t max)
{
    const rj *r = state;
    if (max < 1)
        return 0;
    out[0] = r->base;
    return 1;
}

static mz_outbound *client(rj *r)
{
    mz_outbound_opts o = {.timeout_ms = r->timeout_ms};
    rj_base_urls(r, o.bases, MZ_OUTBOUND_MAX_BASES);
    return mz_outbound_new(&o);
}

static mz_adapter_status rj_sync(void *state, mz_sink *sink, const char *cursor, char **next_cursor,
                                 int64_t deadline_ms, char *err, size_t errlen)
{
    (void)cursor;
    *next_cursor = NULL;
    rj *r = state;
    if (!r->list_path) {
        snprintf(err, errlen, "no listPath configured");
        return MZ_ADAPTER_UNSUPPORTED;
    }
    run x = {r, client(r), deadline_ms, err, errlen};
    mz_adapter_status st = walk(&x, r->list_path, NULL, NULL, sink);
    mz_outbound_free(x.cli);
    return st;
}

/* A person by searchBsnField, a business by searchKvkField (the number in
 * the body); the answer is checked item by item (emit_item). */
static mz_adapter_status rj_refresh(void *state, mz_sink *sink, const mz_subject *subject,
                                    int64_t deadline_ms, char *err, size_t errlen)
{
    rj *r = state;
    bool person = subject->kind == MZ_SUBJECT_BSN;
    if (!r->search_path) {
        snprintf(err, errlen, "no searchPath configured");
        return MZ_ADAPTER_UNSUPPORTED;
    }
    if (!r->ptr[person ? F_BSN : F_KVK]) {
        /* no item could name such a subject: nothing a search could credit */
        snprintf(err, errlen, "no %s search (fields.%s is not mapped)",
                 person ? "person" : "business", person ? "bsn" : "kvk");
        return MZ_ADAPTER_UNSUPPORTED;
    }
    const char *id = subject->id;
    if (person ? !mz_bsn_valid(id, strlen(id)) : !mz_kvk_valid(id, strlen(id))) {
        snprintf(err, errlen, "invalid %s", person ? "BSN" : "KVK number");
        return MZ_ADAPTER_REFUSED;
    }
    mz_buf body = MZ_BUF_INIT;
    mz_buf_putc(&body, '{');
    mz_json_key(&body, person ? r->search_field : r->search_kvk_field);
    mz_json_cstr(&body, id);
    mz_buf_putc(&body, '}');
    run x = {r, client(r), deadline_ms, err, errlen};
    mz_adapter_status st = walk(&x, r->search_path, body.data, subject, sink);
    OPENSSL_cleanse(body.data, body.len);
    mz_buf_free(&body);
    mz_outbound_free(x.cli);
    return st;
}

static mz_adapter_status rj_fetch(void *state, mz_sink *sink, const char *url, int64_t deadline_ms,
                                  char *err, size_t errlen)
{
    rj *r = state;
    run x = {r, client(r), deadline_ms, err, errlen};
    mz_json_doc *d;
    mz_adapter_status st = fetch(&x, "GET", url, NULL, &d);
    if (st == MZ_ADAPTER_OK) {
        st = emit_item(&x, mz_json_root(d), NULL, sink);
        mz_json_free_wiped(d);
    }
    mz_outbound_free(x.cli);
    return st;
}

/* --- a document's content (adapter.h fetch_document) */

static bool rj_fd_start(void *ud, int64_t length)
{
    mz_doc_sink *s = ud;
    return s->start(s->ud, length);
}

static bool rj_fd_data(void *ud, const char *p, size_t n)
{
    mz_doc_sink *s = ud;
    return s->data(s->ud, p, n);
}

static bool rj_fd_keep_going(void *ud)
{
    mz_doc_sink *s = ud;
    return !s->keep_going || s->keep_going(s->ud);
}

/* The content URL as stored (under baseUrl: the client refuses anything
 * else), with the adapter's token and headers; never a redirect. */
static mz_adapter_status rj_fetch_document(void *state, const char *source_url,
                                           const char *content_url, mz_doc_sink *sink,
                                           size_t max_bytes, int64_t deadline_ms, char *err,
                                           size_t errlen)
{
    (void)source_url;
    rj *r = state;
    if (!content_url) {
        snprintf(err, errlen, "the document has no content URL");
        return MZ_ADAPTER_UNAVAILABLE;
    }
    mz_outbound *cli = client(r);
    char auth[4200];
    const char *hdrs[2 + RJ_MAX_HEADERS + 1] = {NULL};
    size_t h = 0;
    if (!r->own_accept)
        hdrs[h++] = "Accept: */*";
    if (r->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", r->token);
        hdrs[h++] = auth;
    }
    for (size_t i = 0; i < r->n_hdr && i < RJ_MAX_HEADERS; i++)
        hdrs[h++] = r->hdr_lines[i];
    mz_outbound_stream_cb cb = {rj_fd_start, rj_fd_data, rj_fd_keep_going, sink};
    mz_outbound_result res;
    mz_outbound_status os =
        mz_outbound_stream(cli, content_url, hdrs, max_bytes, deadline_ms, &cb, &res);
    OPENSSL_cleanse(auth, sizeof auth);
    mz_outbound_free(cli);
    if (os == MZ_OUT_OK && res.status == 200)
        return MZ_ADAPTER_OK;
    if (os == MZ_OUT_OK && res.status >= 300 && res.status < 400) {
        snprintf(err, errlen, "the agency redirected the download (HTTP %ld); not followed",
                 res.status);
        return MZ_ADAPTER_REFUSED;
    }
    if (os == MZ_OUT_OK) {
        sink->gone = res.status == 404 || res.status == 410;
        snprintf(err, errlen, "the agency answered the download with HTTP %ld", res.status);
        return res.status == 401 || res.status == 403 ? MZ_ADAPTER_REFUSED : MZ_ADAPTER_UNAVAILABLE;
    }
    snprintf(err, errlen, "%s", res.error);
    return os == MZ_OUT_REFUSED || os == MZ_OUT_TOO_LARGE ? MZ_ADAPTER_REFUSED
                                                          : MZ_ADAPTER_UNAVAILABLE;
}

static void rj_free(void *state)
{
    rj *r = state;
    if (!r)
        return;
    free(r->base);
    free(r->list_path);
    free(r->search_path);
    free(r->search_field);
    free(r->search_kvk_field);
    free(r->items_ptr);
    free(r->next_ptr);
    if (r->token)
        OPENSSL_cleanse(r->token, strlen(r->token));
    free(r->token);
    for (size_t i = 0; i < r->n_hdr; i++) {
        OPENSSL_cleanse(r->hdr_lines[i], strlen(r->hdr_lines[i]));
        free(r->hdr_lines[i]);
    }
    for (int i = 0; i < F__COUNT; i++)
        free(r->ptr[i]);
    for (int i = 0; i < D__COUNT; i++)
        free(r->doc_ptr[i]);
    for (int i = 0; i < B__COUNT; i++)
        free(r->dec_ptr[i]);
    free(r->tl_status);
    free(r->tl_at);
    free(r->tl_text);
    free(r);
}

static bool ptr_field(const mz_json *o, const char *name, bool required, char **out, char *err,
                      size_t errlen)
{
    const mz_json *v = mz_json_get(o, name);
    *out = NULL;
    if (!v) {
        if (required)
            snprintf(err, errlen, "%s: is required", name);
        return !required;
    }
    size_t n;
    const char *s = mz_json_string(v, &n);
    if (!s || n > 200 || (n > 0 && s[0] != '/')) {
        snprintf(err, errlen, "%s: must be a JSON pointer (\"\" or \"/a/b\")", name);
        return false;
    }
    *out = mz_xstrdup(s);
    return true;
}

/* An RFC 9110 token character (tchar). */
static bool tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool printable_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* Header names the adapter (Authorization, Content-Type) or the transport
 * (the rest) sets itself: a configured one would clash with or corrupt the
 * request framing. */
static const char *const owned_headers[] = {"Authorization",     "Host",       "Content-Length",
                                            "Transfer-Encoding", "Connection", "Content-Type"};

/* Validates the `headers` setting and builds r's header lines. Errors name
 * the header but never echo a value (it may be a secret) nor an invalid
 * name (it may hold control characters). */
static bool parse_headers(rj *r, const mz_json *s, char *err, size_t errlen)
{
    const mz_json *hs = mz_json_get(s, "headers");
    if (!hs)
        return true;
    if (hs->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "headers: must be an object of header name -> value");
        return false;
    }
    if (hs->u.kids.count > RJ_MAX_HEADERS) {
        snprintf(err, errlen, "headers: at most %d headers", RJ_MAX_HEADERS);
        return false;
    }
    size_t pos = 0;
    for (const mz_json *k = hs->u.kids.first; k; k = k->next) {
        pos++;
        const char *name = k->key;
        bool ok = k->key_len >= 1 && k->key_len <= RJ_MAX_HEADER_NAME;
        for (size_t i = 0; ok && i < k->key_len; i++)
            ok = tchar(name[i]);
        if (!ok) {
            snprintf(err, errlen,
                     "headers: name %zu must be an RFC 9110 token of 1 to %d characters (letters, "
                     "digits and !#$%%&'*+-.^_`|~)",
                     pos, RJ_MAX_HEADER_NAME);
            return false;
        }
        for (size_t i = 0; i < sizeof owned_headers / sizeof owned_headers[0]; i++)
            if (strcasecmp(name, owned_headers[i]) == 0) {
                snprintf(err, errlen, "headers.%s: is set by the adapter or the transport%s", name,
                         i == 0 ? "; use tokenEnv or tokenFile for a bearer token" : "");
                return false;
            }
        for (const mz_json *o = hs->u.kids.first; o != k; o = o->next)
            if (strcasecmp(o->key, name) == 0) {
                snprintf(err, errlen, "headers.%s: duplicate (header names are case-insensitive)",
                         name);
                return false;
            }
        char *val = NULL;
        size_t n = 0;
        bool secret = false;
        if (k->type == MZ_JSON_STRING) {
            const char *v = mz_json_string(k, &n);
            if (n > RJ_MAX_HEADER_VALUE || !printable_ascii(v, n)) {
                snprintf(err, errlen,
                         "headers.%s: the value must be 0 to %d printable ASCII characters", name,
                         RJ_MAX_HEADER_VALUE);
                return false;
            }
            val = mz_xstrdup(v);
        } else if (k->type == MZ_JSON_OBJECT) {
            for (const mz_json *m = k->u.kids.first; m; m = m->next)
                if (strcmp(m->key, "valueEnv") != 0 && strcmp(m->key, "valueFile") != 0 &&
                    strcmp(m->key, "value") != 0) {
                    snprintf(err, errlen, "headers.%s: an object takes only valueEnv or valueFile",
                             name);
                    return false;
                }
            char e2[200];
            val = mz_secret_resolve_len(k, "value", true, &n, e2, sizeof e2);
            if (!val) {
                snprintf(err, errlen, "headers.%s.%.120s", name, e2);
                return false;
            }
            secret = true;
            /* n, not strlen: a NUL in a file is refused, not cut at */
            if (n > RJ_MAX_HEADER_VALUE || !printable_ascii(val, n)) {
                OPENSSL_cleanse(val, n);
                free(val);
                snprintf(err, errlen,
                         "headers.%s: the value of %s must be 1 to %d printable ASCII characters",
                         name, mz_json_get(k, "valueEnv") ? "valueEnv" : "valueFile",
                         RJ_MAX_HEADER_VALUE);
                return false;
            }
        } else {
            snprintf(err, errlen,
                     "headers.%s: must be a string or {\"valueEnv\": ...} / {\"valueFile\": ...}",
                     name);
            return false;
        }
        size_t len = k->key_len + 2 + n + 1;
        char *line = mz_xmalloc(len);
        snprintf(line, len, "%s: %s", name, val);
        if (secret)
            OPENSSL_cleanse(val, n);
        free(val);
        r->hdr_lines[r->n_hdr++] = line;
        if (strcasecmp(name, "Accept") == 0)
            r->own_accept = true;
    }
    return true;
}

static void *rj_init(const mz_agency *agency, const mz_json *s, char *err, size_t errlen)
{
    const char *base, *list, *search, *field, *kvk_field;
    long timeout;
    if (!mz_cfg_url(s, "baseUrl", true, &base, err, errlen) ||
        !mz_cfg_string(s, "listPath", false, 500, &list, err, errlen) ||
        !mz_cfg_string(s, "searchPath", false, 500, &search, err, errlen) ||
        !mz_cfg_string(s, "searchBsnField", false, 100, &field, err, errlen) ||
        !mz_cfg_string(s, "searchKvkField", false, 100, &kvk_field, err, errlen) ||
        !mz_cfg_long(s, "timeoutMs", 100, 120000, 10000, &timeout, err, errlen))
        return NULL;
    if (!list && !search) {
        snprintf(err, errlen, "listPath or searchPath: at least one is required");
        return NULL;
    }
    const mz_json *f = mz_json_get(s, "fields");
    if (!f || f->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "fields: is required (an object of JSON pointers)");
        return NULL;
    }
    rj *r = mz_xcalloc(1, sizeof *r);
    r->agency = agency;
    r->base = mz_xstrdup(base);
    size_t bl = strlen(r->base);
    while (bl > 0 && r->base[bl - 1] == '/')
        r->base[--bl] = '\0';
    r->list_path = mz_xstrdup(list);
    r->search_path = mz_xstrdup(search);
    r->search_field = mz_xstrdup(field ? field : "bsn");
    r->search_kvk_field = mz_xstrdup(kvk_field ? kvk_field : "kvk");
    r->timeout_ms = timeout;
    char e2[200];
    if (!ptr_field(s, "itemsPointer", true, &r->items_ptr, e2, sizeof e2) ||
        !ptr_field(s, "nextPointer", false, &r->next_ptr, e2, sizeof e2)) {
        snprintf(err, errlen, "%s", e2);
        rj_free(r);
        return NULL;
    }
    for (int i = 0; i < F__COUNT; i++)
        if (!ptr_field(f, fields[i].name, fields[i].required, &r->ptr[i], e2, sizeof e2)) {
            snprintf(err, errlen, "fields.%s", e2);
            rj_free(r);
            return NULL;
        }
    if (!r->ptr[F_BSN] && !r->ptr[F_KVK]) {
        snprintf(err, errlen, "fields.bsn or fields.kvk: at least one is required (whose case)");
        rj_free(r);
        return NULL;
    }
    if (r->ptr[F_DOCUMENTS]) {
        const mz_json *df = mz_json_get(s, "documentFields");
        for (int i = 0; i < D__COUNT; i++)
            if (!df || !ptr_field(df, doc_fields[i].name, doc_fields[i].required, &r->doc_ptr[i],
                                  e2, sizeof e2)) {
                snprintf(err, errlen, "documentFields.%s", df ? e2 : "reference: is required");
                rj_free(r);
                return NULL;
            }
    }
    if (r->ptr[F_DECISIONS]) {
        const mz_json *bf = mz_json_get(s, "decisionFields");
        for (int i = 0; i < B__COUNT; i++)
            if (!bf || !ptr_field(bf, dec_fields[i].name, dec_fields[i].required, &r->dec_ptr[i],
                                  e2, sizeof e2)) {
                snprintf(err, errlen, "decisionFields.%s", bf ? e2 : "reference: is required");
                rj_free(r);
                return NULL;
            }
    }
    if (r->ptr[F_TIMELINE]) {
        const mz_json *tf = mz_json_get(s, "timelineFields");
        if (!tf || !ptr_field(tf, "status", true, &r->tl_status, e2, sizeof e2) ||
            !ptr_field(tf, "at", true, &r->tl_at, e2, sizeof e2) ||
            !ptr_field(tf, "text", false, &r->tl_text, e2, sizeof e2)) {
            snprintf(err, errlen, "timelineFields.%s", tf ? e2 : "status: is required");
            rj_free(r);
            return NULL;
        }
    }
    r->token = mz_secret_resolve(s, "token", false, e2, sizeof e2);
    if (!r->token && e2[0]) {
        snprintf(err, errlen, "%s", e2);
        rj_free(r);
        return NULL;
    }
    if (!parse_headers(r, s, e2, sizeof e2)) {
        snprintf(err, errlen, "%s", e2);
        rj_free(r);
        return NULL;
    }
    return r;
}

const mz_adapter_ops mz_adapter_rest_json = {
    .kind = "rest-json",
    .init = rj_init,
    .sync = rj_sync,
    .refresh_subject = rj_refresh,
    .fetch_case = rj_fetch,
    .base_urls = rj_base_urls,
    .fetch_document = rj_fetch_document,
    .free = rj_free,
};
