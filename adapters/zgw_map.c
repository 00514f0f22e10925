/*
 * zgw_map.c — the pure rules of the ZGW adapter; see zgw_map.h and the
 * header comment of zgw.c.
 */
#include "zgw_map.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "agencies.h"
#include "bsn.h"
#include "events.h"

const char *mz_zgw_str(const mz_json *o, const char *key)
{
    const char *s = mz_json_string(mz_json_get(o, key), NULL);
    return s && *s ? s : NULL;
}

/* --- status */

const char *mz_zgw_status_group(const mz_agency *agency, const mz_zgw_type *st, bool has_result,
                                bool suspended)
{
    if (!st)
        return suspended ? "on_hold" : "received";
    const char *m = mz_agency_map_status(agency, st->omschrijving);
    if (!m)
        m = mz_agency_map_status(agency, st->statustekst);
    if (m)
        return m;
    if (st->eind)
        return has_result ? "decided" : "closed";
    if (has_result)
        return "decided";
    if (suspended)
        return "on_hold";
    if (st->volgnummer == 1)
        return "received";
    return "in_progress";
}

const char *mz_zgw_status_text(const mz_zgw_type *st)
{
    if (!st)
        return "Ontvangen";
    if (st->statustekst)
        return st->statustekst;
    if (st->omschrijving)
        return st->omschrijving;
    return "Onbekende status";
}

bool mz_zgw_suspended(const mz_json *zaak)
{
    const mz_json *ind = mz_json_get(mz_json_get(zaak, "opschorting"), "indicatie");
    return ind && ind->type == MZ_JSON_BOOL && ind->u.boolean;
}

/* --- dates */

const char *mz_zgw_date(const char *s, char out[11])
{
    if (!s || strlen(s) < 10)
        return NULL;
    memcpy(out, s, 10);
    out[10] = '\0';
    return mz_valid_date(out) ? out : NULL;
}

const char *mz_zgw_registered(const mz_json *zaak)
{
    const char *r = mz_zgw_str(zaak, "registratiedatum");
    return r ? r : mz_zgw_str(zaak, "startdatum");
}

const char *mz_zgw_changed_at(const char *datum_status_gezet, const char *registered, char out[32])
{
    if (datum_status_gezet && mz_valid_datetime(datum_status_gezet))
        return datum_status_gezet;
    /* Unusable or absent: fall back to the registration date. */
    char day[11];
    if (!mz_zgw_date(registered, day))
        return NULL;
    snprintf(out, 32, "%s 00:00:00+00", day);
    return out;
}

/* --- texts and links */

const char *mz_zgw_deep_link(const char *tmpl, const char *ident, char *out, size_t outlen)
{
    static const char PH[] = "{identificatie}";
    if (!tmpl || !ident)
        return NULL;
    const char *ph = strstr(tmpl, PH);
    if (ph)
        snprintf(out, outlen, "%.*s%s%s", (int)(ph - tmpl), tmpl, ident, ph + sizeof PH - 1);
    else
        snprintf(out, outlen, "%s", tmpl);
    return out;
}

const char *mz_zgw_result_text(bool has_result, const char *rt_omschrijving,
                               const char *toelichting, char *out, size_t outlen)
{
    if (!has_result)
        return NULL;
    snprintf(out, outlen, "%s%s%s", rt_omschrijving ? rt_omschrijving : "Resultaat vastgesteld",
             toelichting ? ": " : "", toelichting ? toelichting : "");
    return out;
}

const char *mz_zgw_title(const mz_json *zaak, const mz_zgw_type *zaaktype)
{
    const char *t = mz_zgw_str(zaak, "omschrijving");
    if (t)
        return t;
    return zaaktype->omschrijving ? zaaktype->omschrijving : "Zaak";
}

/* --- entitlement */

const char *const mz_zgw_role_names[MZ_ZGW_N_ROLES] = {
    "adviseur",  "behandelaar",    "belanghebbende",  "beslisser",
    "initiator", "klantcontacter", "zaakcoordinator", "mede_initiator"};

static bool roles_only(const mz_json *s, mz_zgw_roles *out, char *err, size_t errlen);

bool mz_zgw_subject_roles(const mz_json *s, mz_zgw_roles *out, char *err, size_t errlen)
{
    out->business = MZ_ZGW_BUSINESS_NONE;
    const mz_json *b = mz_json_get(s, "businessIdentifier");
    if (b) {
        const char *v = mz_json_string(b, NULL);
        if (v && strcmp(v, "kvk") == 0) {
            out->business = MZ_ZGW_BUSINESS_KVK;
        } else if (v && strcmp(v, "rsin") == 0) {
            out->business = MZ_ZGW_BUSINESS_RSIN;
        } else {
            snprintf(err, errlen,
                     "businessIdentifier: must be \"kvk\" or \"rsin\" (what "
                     "niet_natuurlijk_persoon.innNnpId holds)");
            return false;
        }
    }
    return roles_only(s, out, err, errlen);
}

static bool roles_only(const mz_json *s, mz_zgw_roles *out, char *err, size_t errlen)
{
    const mz_json *v = mz_json_get(s, "subjectRoles");
    out->n = 0;
    if (!v) {
        for (int i = 0; i < MZ_ZGW_N_ROLES; i++)
            if (strcmp(mz_zgw_role_names[i], "initiator") == 0)
                out->idx[out->n++] = i;
        return true;
    }
    if (v->type != MZ_JSON_ARRAY || v->u.kids.count == 0 || v->u.kids.count > MZ_ZGW_N_ROLES) {
        snprintf(err, errlen,
                 "subjectRoles: must be a non-empty array of Rol.omschrijvingGeneriek values");
        return false;
    }
    for (const mz_json *e = v->u.kids.first; e; e = e->next) {
        const char *name = mz_json_string(e, NULL);
        int k = 0;
        while (name && k < MZ_ZGW_N_ROLES && strcmp(mz_zgw_role_names[k], name) != 0)
            k++;
        if (!name || k == MZ_ZGW_N_ROLES) {
            snprintf(err, errlen,
                     "subjectRoles[%d]: must be one of adviseur, behandelaar, belanghebbende, "
                     "beslisser, initiator, klantcontacter, zaakcoordinator, mede_initiator",
                     out->n);
            return false;
        }
        for (int i = 0; i < out->n; i++)
            if (out->idx[i] == k) {
                snprintf(err, errlen, "subjectRoles[%d]: %s is listed twice", out->n,
                         mz_zgw_role_names[k]);
                return false;
            }
        out->idx[out->n++] = k;
    }
    return true;
}

void mz_zgw_owner_init(mz_zgw_owner *o, const mz_zgw_roles *roles)
{
    memset(o, 0, sizeof *o);
    o->rank = roles->n;
}

bool mz_zgw_owner_found(const mz_zgw_owner *o, const mz_zgw_roles *roles)
{
    return o->rank < roles->n;
}

void mz_zgw_owner_clear(mz_zgw_owner *o)
{
    OPENSSL_cleanse(o, sizeof *o); /* not a plain memset: a dead store may be dropped */
}

void mz_zgw_owner_consider(mz_zgw_owner *o, const mz_zgw_roles *roles, const mz_json *rollen,
                           const char *zaak_url)
{
    if (!rollen || rollen->type != MZ_JSON_ARRAY)
        return;
    for (const mz_json *r = rollen->u.kids.first; r; r = r->next) {
        const char *type = mz_zgw_str(r, "betrokkeneType"), *of = mz_zgw_str(r, "zaak");
        const char *gen = mz_zgw_str(r, "omschrijvingGeneriek");
        if (!type || !of || strcmp(of, zaak_url) != 0 || !gen)
            continue;
        /* which member of betrokkeneIdentificatie names whom */
        const char *member = NULL;
        mz_subject_kind kind = MZ_SUBJECT_BSN;
        if (strcmp(type, "natuurlijk_persoon") == 0) {
            member = "inpBsn";
        } else if (roles->business != MZ_ZGW_BUSINESS_NONE && strcmp(type, "vestiging") == 0) {
            member = "kvkNummer";
            kind = MZ_SUBJECT_KVK;
        } else if (roles->business == MZ_ZGW_BUSINESS_KVK &&
                   strcmp(type, "niet_natuurlijk_persoon") == 0) {
            member = "innNnpId";
            kind = MZ_SUBJECT_KVK;
        }
        if (!member)
            continue;
        int rank = 0;
        while (rank < roles->n && strcmp(mz_zgw_role_names[roles->idx[rank]], gen) != 0)
            rank++;
        if (rank == roles->n || rank > o->rank)
            continue;
        size_t n;
        const char *b =
            mz_json_string(mz_json_get(mz_json_get(r, "betrokkeneIdentificatie"), member), &n);
        if (!b || (kind == MZ_SUBJECT_BSN ? !mz_bsn_valid(b, n) : !mz_kvk_valid(b, n)))
            continue;
        bool better = rank < o->rank || (kind == MZ_SUBJECT_BSN && o->who.kind == MZ_SUBJECT_KVK);
        if (!better && kind == o->who.kind)
            better = strcmp(b, o->who.id) < 0;
        if (better) {
            memset(&o->who, 0, sizeof o->who);
            o->who.kind = kind;
            memcpy(o->who.id, b, n);
            o->rank = rank;
        }
    }
}

const mz_json *mz_zgw_expanded_rollen(const mz_json *zaak)
{
    const mz_json *ex = mz_json_get(mz_json_get(zaak, "_expand"), "rollen");
    if (!ex || ex->type != MZ_JSON_ARRAY)
        return NULL;
    const mz_json *urls = mz_json_get(zaak, "rollen");
    if (urls && (urls->type != MZ_JSON_ARRAY || urls->u.kids.count != ex->u.kids.count))
        return NULL;
    return ex;
}

bool mz_zgw_status_silent(const mz_zgw_type *st)
{
    return st && st->no_inform;
}
