#include "activities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "auth.h"
#include "json.h"

static const mz_activity builtin[] = {
    {MZ_ACTIVITY_SELF, "Inzage door de burger in de eigen zaken (MijnZaken)"},
    {"klantvraag", "Beantwoorden van een vraag van de burger over de eigen zaken"},
    {"doorverwijzen", "Doorverwijzen van de burger naar de organisatie die de zaak behandelt"},
};

static mz_activity *g_list;
static size_t g_n;
static char **g_owned;
static size_t g_nowned;

static const mz_activity *all(size_t *n)
{
    if (g_list) {
        *n = g_n;
        return g_list;
    }
    *n = sizeof builtin / sizeof builtin[0];
    return builtin;
}

const mz_activity *mz_activities(size_t *n)
{
    return all(n);
}

static char *keep(const char *s)
{
    char *d = mz_xstrdup(s);
    g_owned = mz_xreallocarray(g_owned, g_nowned + 1, sizeof *g_owned);
    g_owned[g_nowned++] = d;
    return d;
}

void mz_activities_free(void)
{
    for (size_t i = 0; i < g_nowned; i++)
        free(g_owned[i]);
    free(g_owned);
    free(g_list);
    g_owned = NULL;
    g_list = NULL;
    g_n = g_nowned = 0;
}

bool mz_activities_load(const char *path, char *err, size_t errlen)
{
    mz_activities_free();
    if (!path || !*path)
        return true;
    size_t len;
    char *text = mz_read_file(path, &len, 1 << 20);
    if (!text) {
        snprintf(err, errlen, "cannot read processing activities file %s", path);
        return false;
    }
    char perr[128];
    mz_json_doc *d = mz_json_parse(text, len, NULL, perr, sizeof perr);
    free(text);
    const mz_json *list = d ? mz_json_get(mz_json_root(d), "activities") : NULL;
    if (!list || list->type != MZ_JSON_ARRAY || list->u.kids.count == 0 ||
        list->u.kids.count > 200) {
        snprintf(err, errlen, "%s: \"activities\" must be an array of 1 to 200 {id, name}", path);
        mz_json_free(d);
        return false;
    }
    g_list = mz_xcalloc(list->u.kids.count + 1, sizeof *g_list);
    g_list[g_n++] = builtin[0]; /* the self-view always exists */
    size_t i = 0;
    for (const mz_json *a = list->u.kids.first; a; a = a->next, i++) {
        size_t il, nl;
        const char *id = mz_json_string(mz_json_get(a, "id"), &il);
        const char *name = mz_json_string(mz_json_get(a, "name"), &nl);
        bool id_ok = id && il > 0 && il <= 63;
        for (size_t k = 0; id_ok && k < il; k++)
            id_ok =
                (id[k] >= 'a' && id[k] <= 'z') || (id[k] >= '0' && id[k] <= '9') || id[k] == '-';
        if (!id_ok || !name || nl == 0 || nl > 300) {
            snprintf(err, errlen, "%s: activities[%zu] needs an id (a-z, 0-9, '-') and a name",
                     path, i);
            mz_json_free(d);
            mz_activities_free();
            return false;
        }
        if (strcmp(id, MZ_ACTIVITY_SELF) == 0)
            continue;
        for (size_t k = 1; k < g_n; k++)
            if (strcmp(g_list[k].id, id) == 0) {
                snprintf(err, errlen, "%s: activities[%zu]: id \"%s\" is listed twice", path, i,
                         id);
                mz_json_free(d);
                mz_activities_free();
                return false;
            }
        g_list[g_n].id = keep(id);
        g_list[g_n].name = keep(name);
        g_n++;
    }
    mz_json_free(d);
    if (g_n < 2) { /* professionals could name no purpose at all */
        snprintf(err, errlen, "%s: lists no activity besides the self-view %s", path,
                 MZ_ACTIVITY_SELF);
        mz_activities_free();
        return false;
    }
    return true;
}

const mz_activity *mz_activity_for_purpose(const char *id)
{
    size_t n;
    const mz_activity *a = all(&n);
    if (!id || strcmp(id, MZ_ACTIVITY_SELF) == 0 || strcmp(id, MZ_ACTIVITY_REPRESENTATIVE) == 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].id, id) == 0)
            return &a[i];
    return NULL;
}

const mz_activity *mz_activity_representative(void)
{
    static const mz_activity a = {MZ_ACTIVITY_REPRESENTATIVE, "Inzage door een gemachtigde"};
    return &a;
}

const mz_activity *mz_activity_self(void)
{
    size_t n;
    return &all(&n)[0];
}
