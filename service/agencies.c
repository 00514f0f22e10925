#include "agencies.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "auth.h" /* mz_read_file */
#include "buf.h"
#include "outbound.h"
#include "status.h"
#include "store.h"
#include "webhook.h"

mz_agencies *g_mz_agencies;

static mz_agencies *g_retired[64];
static size_t g_nretired;

mz_agencies *mz_agencies_current(void)
{
    return __atomic_load_n(&g_mz_agencies, __ATOMIC_ACQUIRE);
}

void mz_agencies_publish(mz_agencies *set)
{
    mz_agencies *old = __atomic_exchange_n(&g_mz_agencies, set, __ATOMIC_ACQ_REL);
    if (!old)
        return;
    if (g_nretired < sizeof g_retired / sizeof g_retired[0])
        g_retired[g_nretired++] = old;
    /* beyond 64 reloads the oldest sets are simply kept: never freed under a reader */
}

void mz_agencies_free_retired(void)
{
    for (size_t i = 0; i < g_nretired; i++)
        mz_agencies_free(g_retired[i]);
    g_nretired = 0;
}

bool mz_agency_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
            return false;
    }
    return true;
}

bool mz_cfg_string(const mz_json *obj, const char *field, bool required, size_t max,
                   const char **out, char *err, size_t errlen)
{
    const mz_json *v = mz_json_get(obj, field);
    *out = NULL;
    if (!v || v->type == MZ_JSON_NULL) {
        if (required)
            snprintf(err, errlen, "%s: is required", field);
        return !required;
    }
    size_t n;
    const char *s = mz_json_string(v, &n);
    if (!s) {
        snprintf(err, errlen, "%s: must be a string", field);
        return false;
    }
    if (n == 0 || n > max) {
        snprintf(err, errlen, "%s: must be 1 to %zu characters", field, max);
        return false;
    }
    *out = s;
    return true;
}

bool mz_cfg_url(const mz_json *obj, const char *field, bool required, const char **out, char *err,
                size_t errlen)
{
    if (!mz_cfg_string(obj, field, required, 2000, out, err, errlen))
        return false;
    if (*out && strncmp(*out, "https://", 8) != 0 && strncmp(*out, "http://", 7) != 0) {
        snprintf(err, errlen, "%s: must be an http(s) URL", field);
        return false;
    }
    return true;
}

bool mz_cfg_long(const mz_json *obj, const char *field, long min, long max, long def, long *out,
                 char *err, size_t errlen)
{
    const mz_json *v = mz_json_get(obj, field);
    *out = def;
    if (!v)
        return true;
    int64_t i;
    if (!mz_json_int64(v, &i) || i < min || i > max) {
        snprintf(err, errlen, "%s: must be an integer from %ld to %ld", field, min, max);
        return false;
    }
    *out = (long)i;
    return true;
}

char *mz_secret_resolve(const mz_json *obj, const char *name, bool required, char *err,
                        size_t errlen)
{
    return mz_secret_resolve_len(obj, name, required, NULL, err, errlen);
}

char *mz_secret_resolve_len(const mz_json *obj, const char *name, bool required, size_t *len,
                            char *err, size_t errlen)
{
    if (len)
        *len = 0;
    char envf[64], filef[64];
    snprintf(envf, sizeof envf, "%sEnv", name);
    snprintf(filef, sizeof filef, "%sFile", name);
    err[0] = '\0';
    if (mz_json_get(obj, name)) {
        snprintf(err, errlen, "%s: secrets must be referenced with %s or %s, never inline", name,
                 envf, filef);
        return NULL;
    }
    const char *env, *file;
    if (!mz_cfg_string(obj, envf, false, 200, &env, err, errlen) ||
        !mz_cfg_string(obj, filef, false, 4000, &file, err, errlen))
        return NULL;
    if (env && file) {
        snprintf(err, errlen, "%s: give %s or %s, not both", name, envf, filef);
        return NULL;
    }
    if (!env && !file) {
        if (required)
            snprintf(err, errlen, "%s: %s or %s is required", name, envf, filef);
        return NULL;
    }
    char *val = NULL;
    if (env) {
        const char *v = getenv(env);
        if (!v || !*v) {
            snprintf(err, errlen, "%s: environment variable %s is not set", envf, env);
            return NULL;
        }
        val = mz_xstrdup(v);
        if (len)
            *len = strlen(val);
    } else {
        size_t n;
        val = mz_read_file(file, &n, 64 * 1024);
        if (!val) {
            snprintf(err, errlen, "%s: cannot read %s", filef, file);
            return NULL;
        }
        while (n > 0 && (val[n - 1] == '\n' || val[n - 1] == '\r'))
            val[--n] = '\0';
        if (n == 0) {
            free(val);
            snprintf(err, errlen, "%s: %s is empty", filef, file);
            return NULL;
        }
        if (len)
            *len = n;
    }
    return val;
}

/* parse_agency's steps, in the order of the file's members; each false
 * with err set on a problem. */

static bool parse_identity(mz_agency *a, const mz_json *o, char *err, size_t errlen)
{
    const char *id, *name;
    if (!mz_cfg_string(o, "id", true, 63, &id, err, errlen))
        return false;
    if (!mz_agency_id_valid(id)) {
        snprintf(err, errlen, "id: must be 1-63 of a-z, 0-9 and '-' (not first)");
        return false;
    }
    a->id = mz_xstrdup(id);
    if (!mz_cfg_string(o, "name", true, 200, &name, err, errlen))
        return false;
    a->name = mz_xstrdup(name);
    return true;
}

static bool parse_contact(mz_agency *a, const mz_json *o, char *err, size_t errlen)
{
    const mz_json *contact = mz_json_get(o, "contact");
    if (!contact)
        return true;
    if (contact->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "contact: must be an object");
        return false;
    }
    const char *s;
    if (!mz_cfg_url(contact, "url", false, &s, err, errlen))
        return false;
    a->contact_url = mz_xstrdup(s);
    if (!mz_cfg_string(contact, "phone", false, 40, &s, err, errlen))
        return false;
    a->contact_phone = mz_xstrdup(s);
    if (!mz_cfg_string(contact, "professionalPhone", false, 40, &s, err, errlen))
        return false;
    a->contact_professional_phone = mz_xstrdup(s);
    return true;
}

static bool parse_schedule(mz_agency *a, const mz_json *o, char *err, size_t errlen)
{
    if (!mz_cfg_long(o, "pollIntervalSeconds", 10, 86400, 300, &a->poll_interval, err, errlen))
        return false;
    const mz_json *en = mz_json_get(o, "enabled");
    a->enabled = true;
    if (en) {
        if (en->type != MZ_JSON_BOOL) {
            snprintf(err, errlen, "enabled: must be true or false");
            return false;
        }
        a->enabled = en->u.boolean;
    }
    return true;
}

static bool parse_status_groups(mz_agency *a, const mz_json *o, char *err, size_t errlen)
{
    const mz_json *sg = mz_json_get(o, "statusGroups");
    if (!sg)
        return true;
    if (sg->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "statusGroups: must be an object of text -> status group");
        return false;
    }
    a->status_map = mz_xcalloc(sg->u.kids.count ? sg->u.kids.count : 1, sizeof *a->status_map);
    for (const mz_json *k = sg->u.kids.first; k; k = k->next) {
        const char *g = mz_json_string(k, NULL);
        if (!g || !mz_status_group_valid(g)) {
            snprintf(err, errlen, "statusGroups: values must be one of " MZ_STATUS_GROUPS_TEXT);
            return false;
        }
        assert(a->n_status_map < sg->u.kids.count);
        a->status_map[a->n_status_map].text = mz_xstrdup(k->key);
        a->status_map[a->n_status_map].group = mz_xstrdup(g);
        a->n_status_map++;
    }
    return true;
}

/* Hand-over (015): {"url": the endpoint that takes signed hand-overs,
 * "secretEnv" | "secretFile": its Standard Webhooks secret}. The secret is
 * checked by signing with it now, so a malformed one stops start-up rather
 * than every delivery. The URL is permitted for the outbound address rule
 * like an adapter's base (configuration time). */
static bool parse_handover(mz_agency *a, const mz_json *o, bool init_adapters, char *err,
                           size_t errlen)
{
    const mz_json *ho = mz_json_get(o, "handover");
    if (!ho)
        return true;
    if (ho->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "handover: must be an object {url, secretEnv | secretFile}");
        return false;
    }
    char e2[200];
    const char *url;
    if (!mz_cfg_url(ho, "url", true, &url, e2, sizeof e2)) {
        snprintf(err, errlen, "handover.%s", e2);
        return false;
    }
    mz_out_base b;
    if (!mz_out_base_parse(url, &b)) {
        snprintf(err, errlen, "handover.url: must be an http(s) URL without query or fragment");
        return false;
    }
    mz_out_base_free(&b);
    a->handover_url = mz_xstrdup(url);
    a->handover_secret = mz_secret_resolve(ho, "secret", true, e2, sizeof e2);
    if (!a->handover_secret) {
        snprintf(err, errlen, "handover.%s", e2);
        return false;
    }
    char sig[128];
    if (!mz_webhook_sign(a->handover_secret, "check", "0", "", 0, sig, sizeof sig)) {
        snprintf(err, errlen,
                 "handover.secret: must be a Standard Webhooks secret (whsec_ and "
                 "base64)");
        return false;
    }
    if (init_adapters)
        mz_outbound_permit_base(a->handover_url);
    return true;
}

/* The push channels: the webhook secret and the notifications
 * authorization, each from a file or the environment. */
static bool parse_channels(mz_agency *a, const mz_json *o, char *err, size_t errlen)
{
    char e2[200];
    const mz_json *wh = mz_json_get(o, "webhook");
    if (wh) {
        a->webhook_secret = mz_secret_resolve(wh, "secret", true, e2, sizeof e2);
        if (!a->webhook_secret) {
            snprintf(err, errlen, "webhook.%s", e2);
            return false;
        }
    }
    const mz_json *nt = mz_json_get(o, "notifications");
    if (nt) {
        a->notifications_auth = mz_secret_resolve(nt, "authorization", true, e2, sizeof e2);
        if (!a->notifications_auth) {
            snprintf(err, errlen, "notifications.%s", e2);
            return false;
        }
    }
    return true;
}

/* The adapter: its kind, its settings (kept as JSON) and, when
 * init_adapters, its state and the outbound bases it may reach. */
static bool parse_adapter(mz_agency *a, const mz_json *o, bool init_adapters, char *err,
                          size_t errlen)
{
    const mz_json *ad = mz_json_get(o, "adapter");
    if (!ad || ad->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "adapter: is required (an object with a kind)");
        return false;
    }
    const char *kind;
    char e2[300];
    if (!mz_cfg_string(ad, "kind", true, 40, &kind, e2, sizeof e2)) {
        snprintf(err, errlen, "adapter.%.200s", e2);
        return false;
    }
    a->kind = mz_xstrdup(kind);
    a->ops = mz_adapter_find(kind);
    if (!a->ops) {
        snprintf(err, errlen, "adapter.kind: unknown kind; known: %s", mz_adapter_kinds());
        return false;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_json_write(&b, ad);
    a->settings_json = mz_buf_steal(&b, NULL);
    if (!init_adapters)
        return true;
    a->state = a->ops->init(a, ad, e2, sizeof e2);
    if (!a->state) {
        snprintf(err, errlen, "adapter.%.250s", e2);
        return false;
    }
    /* Configuration time for the outbound address rule (outbound.h): a
     * base whose name resolves to an internal address now permits exactly
     * that address later; any other internal one is refused. */
    const char *bases[MZ_OUTBOUND_MAX_BASES + 1];
    mz_agency_base_urls(a, bases);
    for (size_t i = 0; bases[i]; i++)
        mz_outbound_permit_base(bases[i]);
    return true;
}

static bool parse_agency(mz_agency *a, const mz_json *o, bool init_adapters, char *err,
                         size_t errlen)
{
    if (o->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "must be an object");
        return false;
    }
    return parse_identity(a, o, err, errlen) && parse_contact(a, o, err, errlen) &&
           parse_schedule(a, o, err, errlen) && parse_status_groups(a, o, err, errlen) &&
           parse_channels(a, o, err, errlen) && parse_handover(a, o, init_adapters, err, errlen) &&
           parse_adapter(a, o, init_adapters, err, errlen);
}

static void free_agency(mz_agency *a)
{
    if (a->state && a->ops)
        a->ops->free(a->state);
    free(a->id);
    free(a->name);
    free(a->contact_url);
    free(a->contact_phone);
    free(a->contact_professional_phone);
    free(a->kind);
    free(a->settings_json);
    for (size_t i = 0; i < a->n_status_map; i++) {
        free(a->status_map[i].text);
        free(a->status_map[i].group);
    }
    free(a->status_map);
    free(a->webhook_secret);
    free(a->notifications_auth);
    free(a->handover_url);
    free(a->handover_secret);
}

void mz_agencies_free(mz_agencies *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        free_agency(&set->items[i]);
    free(set->items);
    free(set);
}

mz_agencies *mz_agencies_parse(const char *text, size_t len, bool init_adapters, char *err,
                               size_t errlen)
{
    char perr[160];
    mz_json_doc *doc = mz_json_parse(text, len, NULL, perr, sizeof perr);
    if (!doc) {
        snprintf(err, errlen, "agencies file is not valid JSON: %s", perr);
        return NULL;
    }
    const mz_json *list = mz_json_get(mz_json_root(doc), "agencies");
    if (!list || list->type != MZ_JSON_ARRAY || list->u.kids.count == 0 ||
        list->u.kids.count > 500) {
        snprintf(err, errlen, "agencies file: \"agencies\" must be an array of 1 to 500 agencies");
        mz_json_free(doc);
        return NULL;
    }
    mz_agencies *set = mz_xcalloc(1, sizeof *set);
    set->items = mz_xcalloc(list->u.kids.count, sizeof *set->items);
    size_t i = 0;
    for (const mz_json *o = list->u.kids.first; o; o = o->next, i++) {
        char e2[300];
        mz_agency *a = &set->items[i];
        set->n = i + 1;
        if (!parse_agency(a, o, init_adapters, e2, sizeof e2)) {
            snprintf(err, errlen, "agencies[%zu] (%s): %s", i, a->id ? a->id : "?", e2);
            goto fail;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(set->items[j].id, a->id) == 0) {
                snprintf(err, errlen, "agencies[%zu] (%s): id: duplicate", i, a->id);
                goto fail;
            }
    }
    mz_json_free(doc);
    return set;
fail:
    mz_json_free(doc);
    mz_agencies_free(set);
    return NULL;
}

mz_agencies *mz_agencies_load(const char *path, bool init_adapters, char *err, size_t errlen)
{
    size_t n;
    char *text = mz_read_file(path, &n, 4 << 20);
    if (!text) {
        snprintf(err, errlen, "cannot read agencies file %s: %s", path,
                 errno ? strerror(errno) : "too large");
        return NULL;
    }
    mz_agencies *a = mz_agencies_parse(text, n, init_adapters, err, errlen);
    free(text);
    return a;
}

const mz_agency *mz_agencies_find(const mz_agencies *set, const char *id)
{
    if (!set || !id)
        return NULL;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->items[i].id, id) == 0)
            return &set->items[i];
    return NULL;
}

bool mz_agencies_store(const mz_agencies *set, mz_db *db, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++) {
        const mz_agency *a = &set->items[i];
        mz_agency_row row = {a->id,
                             a->name,
                             a->kind,
                             a->settings_json,
                             a->contact_url,
                             a->contact_phone,
                             a->contact_professional_phone,
                             a->enabled};
        if (!mz_store_upsert_agency(db, &row, err, errlen))
            return false;
    }
    return true;
}

size_t mz_agency_base_urls(const mz_agency *a, const char **out)
{
    size_t n = 0;
    if (a && a->state && a->ops && a->ops->base_urls)
        n = a->ops->base_urls(a->state, out, MZ_OUTBOUND_MAX_BASES);
    if (n > MZ_OUTBOUND_MAX_BASES)
        n = MZ_OUTBOUND_MAX_BASES;
    out[n] = NULL;
    return n;
}

const char *mz_agency_map_status(const mz_agency *a, const char *text)
{
    if (!a || !text)
        return NULL;
    for (size_t i = 0; i < a->n_status_map; i++)
        if (strcmp(a->status_map[i].text, text) == 0)
            return a->status_map[i].group;
    return NULL;
}
