/*
 * oidc.c — provider metadata, relying-party configuration, ID token and
 * logout token validation (see oidc.h for the rules and why). The client
 * side of the flow (PKCE, URLs, client authentication, token request) is
 * in oidc_client.c.
 */
#include "oidc.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agencies.h"
#include "alloc.h"
#include "auth.h"
#include "bsn.h"
#include "crypto.h"
#include "json.h"
#include "subject.h"

const char *mz_oidc_kind_name(mz_oidc_kind k)
{
    return k == MZ_OIDC_CITIZEN ? "citizen" : "professional";
}

/* ------------------------------------------------------------------ URLs */

static bool loopback_host(const char *h, size_t n)
{
    if (n == 9 && memcmp(h, "localhost", 9) == 0)
        return true;
    if (n == 5 && memcmp(h, "[::1]", 5) == 0)
        return true;
    if (n < 7 || memcmp(h, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
            return false;
    return true;
}

bool mz_oidc_url_ok(const char *url, bool allow_http_loopback)
{
    size_t n = url ? strlen(url) : 0;
    if (n == 0 || n > MZ_OIDC_MAX_URL || strchr(url, '#'))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return false;
    bool https = strncmp(url, "https://", 8) == 0;
    if (!https && strncmp(url, "http://", 7) != 0)
        return false;
    const char *host = url + (https ? 8 : 7);
    size_t alen = strcspn(host, "/?");
    if (alen == 0 || memchr(host, '@', alen))
        return false;
    /* the host without its port ([::1]:8080 keeps its brackets) */
    size_t hlen = alen;
    const char *colon = NULL;
    for (size_t i = 0; i < alen; i++)
        if (host[i] == ':')
            colon = host + i;
    if (colon && !(host[0] == '[' && colon < (const char *)memchr(host, ']', alen)))
        hlen = (size_t)(colon - host);
    if (hlen == 0)
        return false;
    return https || (allow_http_loopback && loopback_host(host, hlen));
}

/* ------------------------------------------------------------- discovery */

void mz_oidc_provider_clear(mz_oidc_provider *p)
{
    free(p->issuer);
    free(p->authorization_endpoint);
    free(p->token_endpoint);
    free(p->jwks_uri);
    free(p->end_session_endpoint);
    free(p->userinfo_endpoint);
    memset(p, 0, sizeof *p);
}

/* A mask of our algorithms among a JSON array of names; -1 if not an
 * array of strings. */
static long alg_set(const mz_json *arr)
{
    if (!arr || arr->type != MZ_JSON_ARRAY)
        return -1;
    unsigned m = 0;
    for (const mz_json *e = arr->u.kids.first; e; e = e->next) {
        size_t n;
        const char *s = mz_json_string(e, &n);
        if (!s)
            return -1;
        m |= mz_jws_alg_bit(s, n);
    }
    return (long)m;
}

static bool array_has(const mz_json *arr, const char *want)
{
    for (const mz_json *e = arr && arr->type == MZ_JSON_ARRAY ? arr->u.kids.first : NULL; e;
         e = e->next) {
        const char *s = mz_json_string(e, NULL);
        if (s && strcmp(s, want) == 0)
            return true;
    }
    return false;
}

/* Copies an endpoint member; false with *why when required and absent or
 * when present and not an acceptable URL. */
static bool endpoint(const mz_json *root, const char *name, bool required, bool http_ok, char **out,
                     const char **why)
{
    const mz_json *v = mz_json_get(root, name);
    const char *s = mz_json_string(v, NULL);
    if (!v && !required)
        return true;
    if (!s || !mz_oidc_url_ok(s, http_ok)) {
        *why = name;
        return false;
    }
    *out = mz_xstrdup(s);
    return true;
}

static bool discovery_fields(const mz_json *root, const char *issuer, mz_oidc_provider *out,
                             char *err, size_t errlen)
{
    const char *why = NULL;
    size_t il;
    const char *iss = mz_json_string(mz_json_get(root, "issuer"), &il);
    bool http_ok = mz_oidc_url_ok(issuer, true) && strncmp(issuer, "http://", 7) == 0;
    if (!iss || il != strlen(issuer) || strcmp(iss, issuer) != 0) {
        snprintf(err, errlen, "discovery issuer does not equal the configured issuer");
        return false;
    }
    if (!endpoint(root, "authorization_endpoint", true, http_ok, &out->authorization_endpoint,
                  &why) ||
        !endpoint(root, "token_endpoint", true, http_ok, &out->token_endpoint, &why) ||
        !endpoint(root, "jwks_uri", true, http_ok, &out->jwks_uri, &why) ||
        !endpoint(root, "end_session_endpoint", false, http_ok, &out->end_session_endpoint, &why) ||
        !endpoint(root, "userinfo_endpoint", false, http_ok, &out->userinfo_endpoint, &why)) {
        snprintf(err, errlen, "discovery %s is missing or not an acceptable URL", why);
        return false;
    }
    long ida = alg_set(mz_json_get(root, "id_token_signing_alg_values_supported"));
    const mz_json *tav = mz_json_get(root, "token_endpoint_auth_signing_alg_values_supported");
    long ta = tav ? alg_set(tav) : 0;
    const mz_json *methods = mz_json_get(root, "token_endpoint_auth_methods_supported");
    if (ida <= 0) {
        snprintf(err, errlen,
                 "discovery id_token_signing_alg_values_supported has none of "
                 "RS256, PS256, ES256");
        return false;
    }
    if (ta < 0 || (methods && methods->type != MZ_JSON_ARRAY)) {
        snprintf(err, errlen, "discovery token endpoint authentication metadata malformed");
        return false;
    }
    if (!array_has(mz_json_get(root, "code_challenge_methods_supported"), "S256")) {
        snprintf(err, errlen, "discovery code_challenge_methods_supported lacks S256");
        return false;
    }
    out->id_token_algs = (unsigned)ida;
    out->token_auth_algs = (unsigned)ta;
    out->auth_methods = methods ? 0 : MZ_OIDC_AUTH_CLIENT_SECRET_BASIC;
    if (array_has(methods, "private_key_jwt"))
        out->auth_methods |= MZ_OIDC_AUTH_PRIVATE_KEY_JWT;
    if (array_has(methods, "client_secret_basic"))
        out->auth_methods |= MZ_OIDC_AUTH_CLIENT_SECRET_BASIC;
    out->issuer = mz_xstrdup(issuer);
    return true;
}

bool mz_oidc_discovery_parse(const char *json, size_t len, const char *issuer,
                             mz_oidc_provider *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!issuer || !mz_oidc_url_ok(issuer, true) || strchr(issuer, '?')) {
        snprintf(err, errlen, "configured issuer is not an https (or loopback http) URL");
        return false;
    }
    if (!json || len > MZ_OIDC_MAX_DISCOVERY) {
        snprintf(err, errlen, "discovery document missing or larger than %d bytes",
                 MZ_OIDC_MAX_DISCOVERY);
        return false;
    }
    const mz_json_limits lim = {8, 10000, MZ_OIDC_MAX_URL};
    char perr[128];
    mz_json_doc *doc = mz_json_parse(json, len, &lim, perr, sizeof perr);
    const mz_json *root = doc ? mz_json_root(doc) : NULL;
    bool ok = false;
    if (!root || root->type != MZ_JSON_OBJECT)
        snprintf(err, errlen, "discovery document is not a JSON object (%s)",
                 doc ? "not an object" : perr);
    else
        ok = discovery_fields(root, issuer, out, err, errlen);
    mz_json_free(doc);
    if (!ok)
        mz_oidc_provider_clear(out);
    return ok;
}

/* --------------------------------------------------------- RP configuration */

void mz_oidc_rp_clear(mz_oidc_rp *rp)
{
    free(rp->issuer);
    free(rp->client_id);
    free(rp->redirect_uri);
    free(rp->scopes);
    free(rp->acr_values);
    for (size_t i = 0; i < rp->n_acr; i++)
        free(rp->acr[i]);
    free(rp->claim_bsn);
    free(rp->claim_kvk);
    free(rp->claim_act);
    free(rp->claim_roles);
    free(rp->claim_org);
    free(rp->claim_represents);
    free(rp->claim_authorization);
    for (size_t i = 0; i < rp->n_roles; i++)
        free(rp->roles[i].value);
    memset(rp, 0, sizeof *rp);
}

/* Splits the space-separated accepted acr values. */
static bool acr_set(mz_oidc_rp *rp, const char *values, char *err, size_t errlen)
{
    const char *p = values ? values : "";
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n > 0) {
            if (rp->n_acr == MZ_OIDC_MAX_ACR || n > 255) {
                snprintf(err, errlen, "too many or too long acr values (at most %d)",
                         MZ_OIDC_MAX_ACR);
                return false;
            }
            rp->acr[rp->n_acr++] = mz_xstrndup(p, n);
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    if (rp->n_acr == 0) {
        snprintf(err, errlen,
                 "MZ_OIDC_%s_ACR_VALUES is empty: configure the accepted "
                 "assurance levels (an empty set would accept none)",
                 rp->kind == MZ_OIDC_CITIZEN ? "CITIZEN" : "PROFESSIONAL");
        return false;
    }
    rp->acr_values = mz_xstrdup(values);
    return true;
}

static bool role_map(mz_oidc_rp *rp, const mz_json *m, char *err, size_t errlen)
{
    if (!m) {
        rp->roles[0] = (mz_oidc_role_map){mz_xstrdup("professional"), MZ_ROLE_PROFESSIONAL};
        rp->roles[1] = (mz_oidc_role_map){mz_xstrdup("admin"), MZ_ROLE_ADMIN};
        rp->n_roles = 2;
        return true;
    }
    if (m->type != MZ_JSON_OBJECT || m->u.kids.count > MZ_OIDC_MAX_ROLE_MAP) {
        snprintf(err, errlen, "claims roleMap must be an object of at most %d members",
                 MZ_OIDC_MAX_ROLE_MAP);
        return false;
    }
    for (const mz_json *e = m->u.kids.first; e; e = e->next) {
        const char *to = mz_json_string(e, NULL);
        unsigned role = !to                               ? 0
                        : strcmp(to, "professional") == 0 ? MZ_ROLE_PROFESSIONAL
                        : strcmp(to, "admin") == 0        ? MZ_ROLE_ADMIN
                                                          : 0;
        if (!role || e->key_len == 0) {
            snprintf(err, errlen, "claims roleMap values must be \"professional\" or \"admin\"");
            return false;
        }
        rp->roles[rp->n_roles++] = (mz_oidc_role_map){mz_xstrndup(e->key, e->key_len), role};
    }
    return true;
}

/* One claim name from the mapping (a non-empty string), or the default. */
static bool claim_name(const mz_json *root, const char *ours, char **out, char *err, size_t errlen)
{
    const mz_json *v = mz_json_get(root, ours);
    size_t n = 0;
    const char *s = mz_json_string(v, &n);
    if (v && (!s || n == 0 || n > 255)) {
        snprintf(err, errlen, "claims mapping \"%s\" must be a claim name", ours);
        return false;
    }
    *out = mz_xstrdup(s ? s : ours);
    return true;
}

static bool claim_mapping(mz_oidc_rp *rp, const char *json, char *err, size_t errlen)
{
    const char *text = json && *json ? json : "{}";
    char perr[128];
    mz_json_doc *doc = mz_json_parse(text, strlen(text), NULL, perr, sizeof perr);
    const mz_json *root = doc ? mz_json_root(doc) : NULL;
    bool ok = root && root->type == MZ_JSON_OBJECT;
    if (!ok)
        snprintf(err, errlen, "MZ_OIDC_%s_CLAIMS is not a JSON object",
                 rp->kind == MZ_OIDC_CITIZEN ? "CITIZEN" : "PROFESSIONAL");
    ok = ok && claim_name(root, "bsn", &rp->claim_bsn, err, errlen) &&
         claim_name(root, "kvk", &rp->claim_kvk, err, errlen) &&
         claim_name(root, "act", &rp->claim_act, err, errlen) &&
         claim_name(root, "roles", &rp->claim_roles, err, errlen) &&
         claim_name(root, "org", &rp->claim_org, err, errlen) &&
         claim_name(root, "represents", &rp->claim_represents, err, errlen) &&
         claim_name(root, "authorization", &rp->claim_authorization, err, errlen) &&
         role_map(rp, mz_json_get(root, "roleMap"), err, errlen);
    mz_json_free(doc);
    return ok;
}

bool mz_oidc_rp_init(mz_oidc_rp *rp, const mz_oidc_rp_config *cfg, char *err, size_t errlen)
{
    memset(rp, 0, sizeof *rp);
    rp->kind = cfg->kind;
    const char *pub = cfg->public_url ? cfg->public_url : "";
    size_t pl = strlen(pub);
    while (pl > 0 && pub[pl - 1] == '/')
        pl--;
    const char *scopes = cfg->scopes && *cfg->scopes ? cfg->scopes : "openid";
    bool has_openid = false;
    for (const char *p = scopes; *p; p += strspn(p, " ")) {
        size_t n = strcspn(p, " ");
        has_openid |= n == 6 && memcmp(p, "openid", 6) == 0;
        p += n;
    }
    if (!cfg->issuer || !mz_oidc_url_ok(cfg->issuer, true) || strchr(cfg->issuer, '?'))
        snprintf(err, errlen, "issuer is not an https (or loopback http) URL");
    else if (!cfg->client_id || !*cfg->client_id || strlen(cfg->client_id) > 255)
        snprintf(err, errlen, "client id is missing");
    else if (pl == 0 || !mz_oidc_url_ok(pub, true) || memchr(pub, '?', pl))
        snprintf(err, errlen, "MZ_PUBLIC_URL is not an https (or loopback http) origin");
    else if (!has_openid)
        snprintf(err, errlen, "scopes must contain openid");
    else if (acr_set(rp, cfg->acr_values, err, errlen) &&
             claim_mapping(rp, cfg->claims_json, err, errlen)) {
        rp->issuer = mz_xstrdup(cfg->issuer);
        rp->client_id = mz_xstrdup(cfg->client_id);
        rp->scopes = mz_xstrdup(scopes);
        size_t rl = pl + 32;
        rp->redirect_uri = mz_xmalloc(rl);
        snprintf(rp->redirect_uri, rl, "%.*s/auth/%s/callback", (int)pl, pub,
                 mz_oidc_kind_name(cfg->kind));
        return true;
    }
    mz_oidc_rp_clear(rp);
    return false;
}

/* ------------------------------------------------------------ claim reading */

/* A NumericDate claim: *out = INT64_MIN when absent and not required. */
static bool time_claim(const mz_json *root, const char *name, bool required, int64_t *out)
{
    const mz_json *v = mz_json_get(root, name);
    *out = INT64_MIN;
    if (!v)
        return !required;
    if (v->type != MZ_JSON_NUMBER)
        return false;
    if (v->u.num.is_int) {
        *out = v->u.num.i;
        return true;
    }
    double d = v->u.num.d;
    if (!(d > -1e15 && d < 1e15))
        return false;
    *out = (int64_t)d;
    return true;
}

/* Copies an optional short string claim into out[cap]; false when present
 * and not a string of 1..cap-1 bytes. */
static bool str_claim(const mz_json *root, const char *name, char *out, size_t cap)
{
    const mz_json *v = mz_json_get(root, name);
    size_t n;
    const char *s = mz_json_string(v, &n);
    out[0] = '\0';
    if (!v)
        return true;
    if (!s || n == 0 || n >= cap)
        return false;
    memcpy(out, s, n + 1);
    return true;
}

static bool str_eq(const char *s, size_t n, const char *want)
{
    return s && n == strlen(want) && memcmp(s, want, n) == 0;
}

/* iss exact; client id in aud; azp == client id when several audiences
 * or when present. */
static bool check_iss_aud(const mz_json *root, const mz_oidc_rp *rp, const char **reason)
{
    size_t n;
    const char *iss = mz_json_string(mz_json_get(root, "iss"), &n);
    const mz_json *aud = mz_json_get(root, "aud"), *azpv = mz_json_get(root, "azp");
    if (!str_eq(iss, n, rp->issuer))
        return (*reason = "token issuer not accepted"), false;
    bool found = false;
    size_t count = 0;
    if (aud && aud->type == MZ_JSON_STRING) {
        found = str_eq(aud->u.str.s, aud->u.str.len, rp->client_id);
        count = 1;
    } else if (aud && aud->type == MZ_JSON_ARRAY) {
        for (const mz_json *e = aud->u.kids.first; e; e = e->next, count++) {
            const char *a = mz_json_string(e, &n);
            if (!a)
                return (*reason = "token audience not accepted"), false;
            found |= str_eq(a, n, rp->client_id);
        }
    }
    if (!found)
        return (*reason = "token audience not accepted"), false;
    const char *azp = mz_json_string(azpv, &n);
    if ((count > 1 || azpv) && !str_eq(azp, n, rp->client_id))
        return (*reason = "token authorized party (azp) not accepted"), false;
    return true;
}

/* exp (required), iat (required, not future, not too old), nbf. */
static bool check_times(const mz_json *root, int64_t now, bool need_exp, int64_t *exp, int64_t *iat,
                        const char **reason)
{
    int64_t nbf;
    if (!time_claim(root, "exp", need_exp, exp))
        *reason = "token exp claim missing or not a number";
    else if (!time_claim(root, "iat", true, iat))
        *reason = "token iat claim missing or not a number";
    else if (!time_claim(root, "nbf", false, &nbf))
        *reason = "token nbf claim is not a number";
    else if (*exp != INT64_MIN && *exp <= now - MZ_OIDC_LEEWAY)
        *reason = "token expired";
    else if (*iat > now + MZ_OIDC_LEEWAY)
        *reason = "token issued in the future (iat)";
    else if (*iat < now - MZ_OIDC_MAX_AGE)
        *reason = "token issued too long ago (iat)";
    else if (nbf != INT64_MIN && nbf > now + MZ_OIDC_LEEWAY)
        *reason = "token not yet valid (nbf)";
    else
        return true;
    return false;
}

static bool check_acr(const mz_json *root, const mz_oidc_rp *rp, mz_oidc_principal *out,
                      const char **reason)
{
    size_t n;
    const char *acr = mz_json_string(mz_json_get(root, "acr"), &n);
    for (size_t i = 0; acr && n < sizeof out->acr && i < rp->n_acr; i++)
        if (str_eq(acr, n, rp->acr[i])) {
            memcpy(out->acr, acr, n + 1);
            return true;
        }
    *reason = "assurance level (acr) not accepted";
    return false;
}

/* {"agencies": [1..MZ_AUTH_MAX_SCOPE agency ids]} (the `authorization`
 * claim of bearer tokens, auth.c) → "a,b" into out. */
static bool scope_of(const mz_json *az, char out[MZ_OIDC_SCOPE_TEXT], const char **reason)
{
    const mz_json *ag = az && az->type == MZ_JSON_OBJECT ? mz_json_get(az, "agencies") : NULL;
    size_t members = 0, used = 0, count = 0;
    if (az && az->type == MZ_JSON_OBJECT)
        for (const mz_json *m = az->u.kids.first; m; m = m->next)
            members++;
    if (!ag || ag->type != MZ_JSON_ARRAY || members != 1)
        return (*reason = "token authorisation scope must be {\"agencies\": [agency ids]}"), false;
    out[0] = '\0';
    for (const mz_json *e = ag->u.kids.first; e; e = e->next) {
        size_t n;
        const char *id = mz_json_string(e, &n);
        if (!id || n >= 64 || strlen(id) != n || !mz_agency_id_valid(id))
            return (*reason = "token authorisation scope holds something that is not an agency id"),
                   false;
        if (++count > MZ_AUTH_MAX_SCOPE)
            return (*reason = "token authorisation scope names too many agencies"), false;
        if (used)
            out[used++] = ',';
        memcpy(out + used, id, n + 1);
        used += n;
    }
    if (!count)
        return (*reason = "token authorisation scope is empty"), false;
    return true;
}

/* One `represents` entry: {"bsn"|"kvk": id, "scope"?: {...}}, nothing else. */
static bool represented(const mz_json *e, const mz_oidc_principal *who, mz_oidc_represented *out,
                        const char **reason)
{
    if (!e || e->type != MZ_JSON_OBJECT)
        return (*reason = "token represents claim holds something that is not an object"), false;
    const mz_json *bv = mz_json_get(e, "bsn"), *kv = mz_json_get(e, "kvk"),
                  *sv = mz_json_get(e, "scope");
    size_t members = 0, n = 0;
    for (const mz_json *m = e->u.kids.first; m; m = m->next)
        members++;
    if ((bv != NULL) == (kv != NULL) || members != 1u + (sv != NULL))
        return (*reason = "token represents claim: each entry names one bsn or kvk (and a scope)"),
               false;
    const char *id = mz_json_string(bv ? bv : kv, &n);
    if (bv && (!id || !mz_bsn_valid(id, n)))
        return (*reason = "token represents claim has an entry without a valid BSN"), false;
    if (kv && (!id || !mz_kvk_valid(id, n)))
        return (*reason = "token represents claim has an entry without a valid KVK number"), false;
    if (bv && strcmp(id, who->bsn) == 0)
        return (*reason = "token represents claim names the signed-in person (representation of "
                          "oneself)"),
               false;
    out->kvk = kv != NULL;
    memcpy(out->id, id, n + 1);
    for (unsigned i = 0; i < who->n_represents; i++)
        if (who->represents[i].kvk == out->kvk && strcmp(who->represents[i].id, out->id) == 0)
            return (*reason = "token represents claim names a subject twice"), false;
    out->has_scope = sv != NULL;
    return !sv || scope_of(sv, out->scope, reason);
}

/* represents: the signed-in person (bsn) holds several authorisations. */
static bool represents_claim(const mz_json *rv, mz_oidc_principal *out, const char **reason)
{
    if (rv->type != MZ_JSON_ARRAY || !rv->u.kids.first)
        return (*reason = "token represents claim is not a non-empty array"), false;
    if (!out->has_bsn)
        return (*reason = "token represents claim without the representative's own BSN"), false;
    for (const mz_json *e = rv->u.kids.first; e; e = e->next) {
        if (out->n_represents == MZ_OIDC_MAX_REPRESENTS)
            return (*reason = "token represents claim names too many subjects"), false;
        if (!represented(e, out, &out->represents[out->n_represents], reason))
            return false;
        out->n_represents++;
    }
    memcpy(out->actor_bsn, out->bsn, 10);
    out->has_actor = true;
    return true;
}

/* A citizen: a valid BSN, or without one an 8-digit KVK number; act (with
 * authorization) or represents. */
static bool citizen_claims(const mz_json *root, const mz_oidc_rp *rp, mz_oidc_principal *out,
                           const char **reason)
{
    size_t n;
    const mz_json *bv = mz_json_get(root, rp->claim_bsn);
    const char *bsn = mz_json_string(bv, &n);
    if (bv) {
        if (!bsn || !mz_bsn_valid(bsn, n))
            return (*reason = "token BSN claim is not a valid BSN"), false;
        memcpy(out->bsn, bsn, 10);
        out->has_bsn = true;
    } else {
        const char *kvk = mz_json_string(mz_json_get(root, rp->claim_kvk), &n);
        bool digits = kvk && mz_kvk_valid(kvk, n);
        if (!digits)
            return (*reason = "token has no valid BSN"), false;
        memcpy(out->kvk, kvk, 9);
        out->has_kvk = true;
    }
    const mz_json *act = mz_json_get(root, rp->claim_act);
    const mz_json *rep = mz_json_get(root, rp->claim_represents);
    const mz_json *az = mz_json_get(root, rp->claim_authorization);
    if (act && rep)
        return (*reason = "token has both an act and a represents claim"), false;
    if (az && !act)
        return (*reason = "token authorization claim needs an act claim"), false;
    if (rep)
        return represents_claim(rep, out, reason);
    if (act) {
        const char *ab = mz_json_string(mz_json_get(act, "bsn"), &n);
        if (act->type != MZ_JSON_OBJECT || !ab || !mz_bsn_valid(ab, n))
            return (*reason = "token act claim has no valid BSN"), false;
        if (out->has_bsn && strcmp(ab, out->bsn) == 0)
            return (*reason = "token act claim names the subject itself"), false;
        memcpy(out->actor_bsn, ab, 10);
        out->has_actor = true;
        if (az && !scope_of(az, out->scope, reason))
            return false;
        out->has_scope = az != NULL;
    }
    return true;
}

static unsigned map_role(const mz_oidc_rp *rp, const char *v, size_t n)
{
    for (size_t i = 0; i < rp->n_roles; i++)
        if (str_eq(v, n, rp->roles[i].value))
            return rp->roles[i].role;
    return 0;
}

/* A professional: at least one mapped role and an organisation. */
static bool professional_claims(const mz_json *root, const mz_oidc_rp *rp, mz_oidc_principal *out,
                                const char **reason)
{
    const mz_json *rv = mz_json_get(root, rp->claim_roles);
    size_t n;
    if (rv && rv->type == MZ_JSON_STRING) {
        out->roles = map_role(rp, rv->u.str.s, rv->u.str.len);
    } else if (rv && rv->type == MZ_JSON_ARRAY) {
        for (const mz_json *e = rv->u.kids.first; e; e = e->next) {
            const char *s = mz_json_string(e, &n);
            if (s)
                out->roles |= map_role(rp, s, n);
        }
    }
    if (!out->roles)
        return (*reason = "no role of the user is mapped to access"), false;
    if (!str_claim(root, rp->claim_org, out->org, sizeof out->org) || !out->org[0])
        return (*reason = "token has no organisation"), false;
    return true;
}

static mz_json_doc *parse_claims(const char *payload, size_t len, const char **reason)
{
    const mz_json_limits lim = {8, 2000, 8192};
    char err[128];
    mz_json_doc *doc = mz_json_parse(payload, len, &lim, err, sizeof err);
    if (!doc || mz_json_root(doc)->type != MZ_JSON_OBJECT) {
        mz_json_free(doc);
        *reason = "token claims are not a JSON object";
        return NULL;
    }
    return doc;
}

static bool id_claims(const mz_json *root, const mz_oidc_rp *rp, const char *nonce, int64_t now,
                      mz_oidc_principal *out, const char **reason)
{
    size_t n;
    const char *tn = mz_json_string(mz_json_get(root, "nonce"), &n);
    if (!check_iss_aud(root, rp, reason) ||
        !check_times(root, now, true, &out->exp, &out->iat, reason))
        return false;
    if (!nonce || !*nonce || !tn || !mz_consttime_eq(tn, n, nonce, strlen(nonce)))
        return (*reason = "token nonce does not match"), false;
    if (!str_claim(root, "sub", out->sub, sizeof out->sub) || !out->sub[0])
        return (*reason = "token has no usable sub"), false;
    if (!str_claim(root, "sid", out->sid, sizeof out->sid))
        return (*reason = "token sid claim is not a short string"), false;
    if (!check_acr(root, rp, out, reason))
        return false;
    out->kind = rp->kind;
    return rp->kind == MZ_OIDC_CITIZEN ? citizen_claims(root, rp, out, reason)
                                       : professional_claims(root, rp, out, reason);
}

bool mz_oidc_check_id_claims(const mz_oidc_rp *rp, const char *payload, size_t len,
                             const char *nonce, int64_t now, mz_oidc_principal *out,
                             const char **reason)
{
    memset(out, 0, sizeof *out);
    mz_json_doc *doc = parse_claims(payload, len, reason);
    bool ok = doc && id_claims(mz_json_root(doc), rp, nonce, now, out, reason);
    mz_json_free(doc);
    if (!ok) /* nothing of a refused token stays behind (no BSN in memory we hand out) */
        OPENSSL_cleanse(out, sizeof *out);
    return ok;
}

/* Parses and verifies a token's signature with the OP's key; the caller
 * clears *j. */
static bool verified_jws(const mz_oidc_provider *op, mz_jwks_cache *keys, const char *token,
                         size_t len, int64_t now, mz_jws *j, const char **reason)
{
    if (!mz_jws_parse(token, len, op->id_token_algs & MZ_JWS_ALLOWED, j, reason))
        return false;
    EVP_PKEY *k = mz_jwks_cache_key(keys, j->has_kid ? j->kid : NULL, j->alg, now, reason);
    bool ok = k && mz_jws_verify(j, k, reason);
    EVP_PKEY_free(k);
    return ok;
}

bool mz_oidc_verify_id_token(const mz_oidc_rp *rp, const mz_oidc_provider *op, mz_jwks_cache *keys,
                             const char *token, size_t len, const char *nonce, int64_t now,
                             mz_oidc_principal *out, const char **reason)
{
    memset(out, 0, sizeof *out);
    mz_jws j;
    bool ok = verified_jws(op, keys, token, len, now, &j, reason);
    if (ok && strcmp(j.typ, "logout+jwt") == 0) {
        *reason = "a logout token is not an ID token";
        ok = false;
    }
    ok = ok && mz_oidc_check_id_claims(rp, j.payload, j.payload_len, nonce, now, out, reason);
    mz_jws_clear(&j);
    return ok;
}

/* ----------------------------------------------------------- logout token */

static bool logout_claims(const mz_json *root, const mz_oidc_rp *rp, int64_t now,
                          mz_oidc_logout *out, const char **reason)
{
    int64_t exp;
    const mz_json *events = mz_json_get(root, "events");
    const mz_json *ev = mz_json_get(events, MZ_OIDC_BACKCHANNEL_EVENT);
    if (!check_iss_aud(root, rp, reason) || !check_times(root, now, false, &exp, &out->iat, reason))
        return false;
    if (!events || events->type != MZ_JSON_OBJECT || !ev || ev->type != MZ_JSON_OBJECT)
        return (*reason = "logout token has no back-channel logout event"), false;
    if (mz_json_get(root, "nonce"))
        return (*reason = "logout token must not carry a nonce"), false;
    if (!str_claim(root, "jti", out->jti, sizeof out->jti) || !out->jti[0])
        return (*reason = "logout token has no usable jti"), false;
    if (!str_claim(root, "sub", out->sub, sizeof out->sub) ||
        !str_claim(root, "sid", out->sid, sizeof out->sid))
        return (*reason = "logout token sub or sid is not a short string"), false;
    if (!out->sub[0] && !out->sid[0])
        return (*reason = "logout token has neither sub nor sid"), false;
    return true;
}

bool mz_oidc_check_logout_claims(const mz_oidc_rp *rp, const char *payload, size_t len, int64_t now,
                                 mz_oidc_logout *out, const char **reason)
{
    memset(out, 0, sizeof *out);
    mz_json_doc *doc = parse_claims(payload, len, reason);
    bool ok = doc && logout_claims(mz_json_root(doc), rp, now, out, reason);
    mz_json_free(doc);
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok;
}

bool mz_oidc_verify_logout_token(const mz_oidc_rp *rp, const mz_oidc_provider *op,
                                 mz_jwks_cache *keys, const char *token, size_t len, int64_t now,
                                 mz_oidc_logout *out, const char **reason)
{
    memset(out, 0, sizeof *out);
    mz_jws j;
    bool ok = verified_jws(op, keys, token, len, now, &j, reason);
    /* typ, when present, must say what this is (Back-Channel Logout §2.4):
     * an ID token must not be replayed as a logout token. */
    if (ok && j.typ[0] && strcmp(j.typ, "logout+jwt") != 0 && strcmp(j.typ, "JWT") != 0) {
        *reason = "logout token typ not accepted";
        ok = false;
    }
    ok = ok && mz_oidc_check_logout_claims(rp, j.payload, j.payload_len, now, out, reason);
    mz_jws_clear(&j);
    return ok;
}
