/*
 * fuzz_zgw.c — ZGW API responses as the zgw adapter (adapters/zgw.c) sees
 * them, and YAML → JSON (service/yamljson.c).
 *
 * The adapter's own mapping (zaak → mz_case_record: emit_zaak, type_fill,
 * owner_consider, ...) is static in adapters/zgw.c and needs an outbound
 * client, so this target fuzzes what the adapter does with every response
 * body: mz_json_parse with its limits (depth 32, 4,000,000 nodes, strings
 * 64 KiB), then a walk over the whole tree checking the parser's promises
 * for every node type, and the lookups the adapter makes on a zaak list
 * page (results[], url, identificatie, omschrijving, zaaktype, dates,
 * _expand.status._expand.statustype, volgnummer, isEindstatus, opschorting,
 * rollen[].betrokkeneIdentificatie.inpBsn).
 *
 * Tree properties: strings and member names are strict UTF-8 without NUL
 * and of the stated length; a number's raw text is non-empty, and is_int
 * numbers agree with strtoll; a container's count equals its list length;
 * no object has two members of one name (mz_json_get finds each member
 * itself); mz_json_write of the tree parses again with the same limits.
 *
 * The same input then goes through mz_yaml_to_json: whatever it returns
 * must parse as JSON (yamljson.h: "the output always parses"); see
 * FZ_YAML_MAX_FLOW_OPENERS for the one input shape left out.
 */
#include "fuzz_util.h"

#include <errno.h>

#include "bsn.h"
#include "buf.h"
#include "json.h"
#include "yamljson.h"

static const mz_json_limits g_zgw_lim = {
    .max_depth = 32, .max_nodes = 4000000, .max_string = 65536};

static size_t walk(const mz_json *v, unsigned depth)
{
    FZ_CHECK(depth <= 32);
    size_t nodes = 1;
    switch (v->type) {
    case MZ_JSON_NULL:
        break;
    case MZ_JSON_BOOL:
        FZ_CHECK(v->u.boolean == true || v->u.boolean == false);
        break;
    case MZ_JSON_NUMBER: {
        const char *raw = v->u.num.raw;
        FZ_CHECK(raw && *raw);
        FZ_CHECK(strspn(raw, "-+0123456789.eE") == strlen(raw));
        if (v->u.num.is_int) {
            errno = 0;
            long long i = strtoll(raw, NULL, 10);
            FZ_CHECK(errno == 0 && (int64_t)i == v->u.num.i);
            int64_t out = 0;
            FZ_CHECK(mz_json_int64(v, &out) && out == v->u.num.i);
        } else {
            FZ_CHECK(!mz_json_int64(v, NULL));
        }
        break;
    }
    case MZ_JSON_STRING: {
        size_t n = 99;
        FZ_CHECK(mz_json_string(v, &n) == v->u.str.s && n == v->u.str.len);
        FZ_CHECK(strlen(v->u.str.s) == v->u.str.len);
        FZ_CHECK(v->u.str.len <= 65536);
        FZ_CHECK(mz_utf8_valid(v->u.str.s, v->u.str.len));
        break;
    }
    case MZ_JSON_ARRAY:
    case MZ_JSON_OBJECT: {
        size_t count = 0;
        for (const mz_json *k = v->u.kids.first; k; k = k->next) {
            count++;
            if (v->type == MZ_JSON_OBJECT) {
                FZ_CHECK(k->key != NULL);
                FZ_CHECK(strlen(k->key) == k->key_len);
                FZ_CHECK(mz_utf8_valid(k->key, k->key_len));
                FZ_CHECK(mz_json_get(v, k->key) == k); /* unique names */
            } else {
                FZ_CHECK(k->key == NULL);
            }
            nodes += walk(k, depth + 1);
        }
        FZ_CHECK(count == v->u.kids.count);
        break;
    }
    default:
        abort();
    }
    return nodes;
}

/* The adapter's jstr(): a non-empty string member, or NULL. */
static const char *jstr(const mz_json *o, const char *k)
{
    const char *s = mz_json_string(mz_json_get(o, k), NULL);
    return s && *s ? s : NULL;
}

static unsigned g_sink; /* keeps the lookups from being optimised away */

static void look_like_adapter(const mz_json *zaak)
{
    static const char *const keys[] = {"url",
                                       "uuid",
                                       "identificatie",
                                       "omschrijving",
                                       "zaaktype",
                                       "status",
                                       "resultaat",
                                       "registratiedatum",
                                       "startdatum",
                                       "einddatum",
                                       "einddatumGepland",
                                       "uiterlijkeEinddatumAfdoening",
                                       "statustekst",
                                       "datumStatusGezet"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const char *s = jstr(zaak, keys[i]);
        if (s && strlen(s) >= 10) {
            char day[11];
            memcpy(day, s, 10);
            day[10] = '\0';
            g_sink += (unsigned)day[9];
        }
    }
    const mz_json *ex = mz_json_get(zaak, "_expand");
    const mz_json *st = mz_json_get(ex, "status");
    const mz_json *stt = mz_json_get(mz_json_get(st, "_expand"), "statustype");
    int64_t volg = 0;
    if (mz_json_int64(mz_json_get(stt, "volgnummer"), &volg))
        g_sink += (unsigned)volg;
    const mz_json *eind = mz_json_get(stt, "isEindstatus");
    if (eind && eind->type == MZ_JSON_BOOL && eind->u.boolean)
        g_sink++;
    g_sink += jstr(stt, "statustekst") ? 1u : 0u;
    g_sink += jstr(mz_json_get(ex, "zaaktype"), "identificatie") ? 1u : 0u;
    const mz_json *rt =
        mz_json_get(mz_json_get(mz_json_get(ex, "resultaat"), "_expand"), "resultaattype");
    g_sink += jstr(rt, "omschrijving") ? 1u : 0u;
    const mz_json *ind = mz_json_get(mz_json_get(zaak, "opschorting"), "indicatie");
    if (ind && ind->type == MZ_JSON_BOOL && ind->u.boolean)
        g_sink++;
    const mz_json *rollen = mz_json_get(ex, "rollen");
    if (rollen && rollen->type == MZ_JSON_ARRAY) {
        for (const mz_json *r = rollen->u.kids.first; r; r = r->next) {
            size_t n = 0;
            const char *b = mz_json_string(
                mz_json_get(mz_json_get(r, "betrokkeneIdentificatie"), "inpBsn"), &n);
            if (b && mz_bsn_valid(b, n))
                g_sink++;
            g_sink += jstr(r, "omschrijvingGeneriek") ? 1u : 0u;
        }
    }
}

static void fuzz_json_part(const char *text, size_t len)
{
    char err[160] = "";
    mz_json_doc *d = mz_json_parse(text, len, &g_zgw_lim, err, sizeof err);
    if (!d) {
        FZ_CHECK(err[0] != '\0');
        FZ_CHECK(!mz_contains_bsn_like(err, strlen(err))); /* never quotes input */
        return;
    }
    const mz_json *root = mz_json_root(d);
    FZ_CHECK(root && root->key == NULL && root->next == NULL);
    walk(root, 1);

    const mz_json *results = mz_json_get(root, "results");
    if (results && results->type == MZ_JSON_ARRAY) {
        for (const mz_json *z = results->u.kids.first; z; z = z->next)
            look_like_adapter(z);
    } else {
        look_like_adapter(root);
    }
    g_sink += jstr(root, "next") ? 1u : 0u;

    mz_buf b = MZ_BUF_INIT;
    mz_json_write(&b, root);
    char err2[160] = "";
    mz_json_doc *d2 = mz_json_parse(b.data, b.len, &g_zgw_lim, err2, sizeof err2);
    if (!d2)
        fprintf(stderr, "written tree does not parse again: %s\n", err2);
    FZ_CHECK(d2 != NULL);
    mz_json_free(d2);
    mz_buf_free(&b);
    mz_json_free(d);
}

/* libyaml 0.2.5's scanner re-checks every open flow level's simple key on
 * each token (yaml_parser_stale_simple_keys), so time grows with tokens x
 * flow depth: 40,000 '[' take 6 s, 100,000 take 30 s (yaml/libyaml#227,
 * fixed upstream by PR #286, not in Debian 12). mz_yaml_to_json only ever
 * converts the embedded, reviewed openapi.yaml, so this is no attack
 * surface; inputs with more flow openers than this skip the YAML part so
 * the fuzzer does not spend itself (or time out) inside libyaml. */
#define FZ_YAML_MAX_FLOW_OPENERS 2048

static void fuzz_yaml_part(const char *text, size_t len)
{
    size_t openers = 0;
    for (size_t i = 0; i < len; i++)
        openers += text[i] == '[' || text[i] == '{';
    if (openers > FZ_YAML_MAX_FLOW_OPENERS)
        return;
    char err[300] = "";
    char *json = mz_yaml_to_json(text, len, err, sizeof err);
    if (!json) {
        FZ_CHECK(err[0] != '\0');
        return;
    }
    /* Limits wide enough for anything the converter can produce from this
     * input: the claim is that the output is JSON, not that it is small. */
    mz_json_limits lim = {
        .max_depth = 1u << 30, .max_nodes = (size_t)1 << 40, .max_string = (size_t)1 << 40};
    char perr[160] = "";
    mz_json_doc *d = mz_json_parse(json, strlen(json), &lim, perr, sizeof perr);
    if (!d)
        fprintf(stderr, "mz_yaml_to_json output does not parse: %s\n", perr);
    FZ_CHECK(d != NULL);
    mz_json_free(d);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_json_part((const char *)data, size);
    fuzz_yaml_part((const char *)data, size);
    return 0;
}
