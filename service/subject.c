/*
 * subject.c — data subjects {kind, id}; see subject.h.
 */
#include "subject.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "bsn.h"

const char *mz_subject_kind_name(mz_subject_kind k)
{
    return k == MZ_SUBJECT_KVK ? "kvk" : "bsn";
}

bool mz_subject_kind_parse(const char *s, size_t n, mz_subject_kind *out)
{
    if (s && n == 3 && memcmp(s, "bsn", 3) == 0) {
        *out = MZ_SUBJECT_BSN;
        return true;
    }
    if (s && n == 3 && memcmp(s, "kvk", 3) == 0) {
        *out = MZ_SUBJECT_KVK;
        return true;
    }
    return false;
}

static bool digits_only(const char *s, size_t n, size_t want)
{
    if (!s || n != want)
        return false;
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

bool mz_kvk_valid(const char *s, size_t n)
{
    return digits_only(s, n, 8);
}

bool mz_vestiging_valid(const char *s, size_t n)
{
    return digits_only(s, n, 12);
}

static bool fail(mz_subject *out, const char *path, const char *field, const char *why, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "%s%s%s: %s", path ? path : "", path && *path ? "." : "", field, why);
    return false;
}

bool mz_subject_set(mz_subject *out, const char *kind, size_t klen, const char *id, size_t idlen,
                    const char *vest, size_t vlen, const char *path, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!kind)
        return fail(out, path, "kind", "is required (\"bsn\" or \"kvk\")", err, errlen);
    if (!mz_subject_kind_parse(kind, klen, &out->kind))
        return fail(out, path, "kind", "is not a known subject kind (\"bsn\" or \"kvk\")", err,
                    errlen);
    if (!id)
        return fail(out, path, "id", "is required", err, errlen);
    if (out->kind == MZ_SUBJECT_BSN) {
        if (vest)
            return fail(out, path, "vestiging", "is only allowed for kind \"kvk\"", err, errlen);
        if (!mz_bsn_valid(id, idlen))
            return fail(out, path, "id", "is not a valid BSN (9 digits passing the 11-proof)", err,
                        errlen);
        memcpy(out->id, id, 9);
        return true;
    }
    if (!mz_kvk_valid(id, idlen))
        return fail(out, path, "id", "is not a valid KVK number (8 digits)", err, errlen);
    if (vest && !mz_vestiging_valid(vest, vlen))
        return fail(out, path, "vestiging", "is not a valid vestiging number (12 digits)", err,
                    errlen);
    out->kind = MZ_SUBJECT_KVK;
    memcpy(out->id, id, 8);
    if (vest)
        memcpy(out->vestiging, vest, 12);
    return true;
}

bool mz_subject_bsn(mz_subject *out, const char *bsn, size_t n)
{
    memset(out, 0, sizeof *out);
    if (!mz_bsn_valid(bsn, n))
        return false;
    out->kind = MZ_SUBJECT_BSN;
    memcpy(out->id, bsn, 9);
    return true;
}

bool mz_subject_from_json(const mz_json *o, mz_subject *out, const char *path, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!o || o->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "%s: must be an object {\"kind\", \"id\"}", path);
        return false;
    }
    const char *v[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0};
    static const char *const names[3] = {"kind", "id", "vestiging"};
    for (const mz_json *m = o->u.kids.first; m; m = m->next) {
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(m->key, names[i]) == 0)
                k = i;
        if (k < 0) {
            /* the member's name is the caller's text: not echoed */
            snprintf(err, errlen, "%s: has a member other than kind, id and vestiging", path);
            return false;
        }
        if (m->type == MZ_JSON_NULL)
            continue;
        if (m->type != MZ_JSON_STRING)
            return fail(out, path, names[k], "must be a string", err, errlen);
        v[k] = m->u.str.s;
        n[k] = m->u.str.len;
    }
    return mz_subject_set(out, v[0], n[0], v[1], n[1], v[2], n[2], path, err, errlen);
}

bool mz_subject_of(const mz_json *o, mz_subject *out, const char *path, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *dot = path && *path ? "." : "";
    if (!path)
        path = "";
    const mz_json *b = mz_json_get(o, "bsn"), *s = mz_json_get(o, "subject");
    if (b && b->type == MZ_JSON_NULL)
        b = NULL;
    if (s && s->type == MZ_JSON_NULL)
        s = NULL;
    if (!b && !s) {
        snprintf(err, errlen, "%s%ssubject: is required (or bsn)", path, dot);
        return false;
    }
    mz_subject from_bsn;
    memset(&from_bsn, 0, sizeof from_bsn);
    if (b) {
        if (b->type != MZ_JSON_STRING) {
            snprintf(err, errlen, "%s%sbsn: must be a string", path, dot);
            return false;
        }
        if (!mz_subject_bsn(&from_bsn, b->u.str.s, b->u.str.len)) {
            snprintf(err, errlen, "%s%sbsn: is not a valid BSN (9 digits passing the 11-proof)",
                     path, dot);
            return false;
        }
        if (!s) {
            *out = from_bsn;
            mz_subject_wipe(&from_bsn);
            return true;
        }
    }
    char where[64];
    snprintf(where, sizeof where, "%s%ssubject", path, dot);
    if (!mz_subject_from_json(s, out, where, err, errlen)) {
        mz_subject_wipe(&from_bsn);
        return false;
    }
    bool agree = !b || mz_subject_same(out, &from_bsn);
    mz_subject_wipe(&from_bsn);
    if (!agree) {
        mz_subject_wipe(out);
        snprintf(err, errlen, "%s%sbsn: does not name the same subject as subject", path, dot);
        return false;
    }
    return true;
}

bool mz_subject_same(const mz_subject *a, const mz_subject *b)
{
    return a->kind == b->kind && strcmp(a->id, b->id) == 0;
}

void mz_subject_wipe(mz_subject *s)
{
    OPENSSL_cleanse(s, sizeof *s);
}
