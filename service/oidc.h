/*
 * oidc.h — the relying party's protocol core for OpenID Connect sign-in
 * (issue 13; NL GOV Assurance profile for OAuth 2.0 / OIDC): provider
 * metadata, ID token and logout token validation, PKCE, state and nonce,
 * the authorization request URL, client authentication and the token
 * request and response. No HTTP routes and no sessions here: the callers
 * (routes, sessions) store state/nonce/verifier server-side and call these.
 *
 * Why each rule (the pitfalls of service/auth.c apply here too):
 *  - signatures are checked by jws.c with OpenSSL, never libjwt (its 1.10
 *    decoder lets the token choose its algorithm); the accepted algorithms
 *    are the OP's advertised `id_token_signing_alg_values_supported` ∩
 *    {RS256, PS256, ES256}: never `none`, never HS*;
 *  - keys come only from the OP's jwks_uri (oidc_jwks.c), never from the
 *    token (`jwk`, `jku`, `x5u` headers are ignored), and `crit` is refused;
 *  - every claim is validated here: `iss` exact, our client id in `aud` and
 *    `azp` == client id when there are several audiences or `azp` is
 *    present, `exp` with MZ_OIDC_LEEWAY, `iat` neither in the future beyond
 *    the leeway nor older than MZ_OIDC_MAX_AGE (a replayed old token), `nbf`
 *    if present, `nonce` compared in constant time, `acr` in the configured
 *    set. Claims are read with the bounded JSON parser (duplicates refused).
 *  - acr: the accepted set (MZ_OIDC_{KIND}_ACR_VALUES) must not be empty —
 *    an empty set is a configuration error, not "any": the DESIGN says
 *    anything else than the configured values is refused, and an OP that
 *    sends no `acr` cannot prove the assurance level, so it is refused too.
 *  - claim mapping (MZ_OIDC_{KIND}_CLAIMS):
 * {"bsn","kvk","act","represents","authorization","roles", "org"} name the OP's claims (defaults:
 * the same names). Citizens need a BSN that passes the 11-proof (or, when the OP sends no BSN, an
 *    8-digit KVK number: eHerkenning); a present but invalid BSN is refused
 *    even if a KVK number is there too. `act`, when present, must be an
 *    object with a valid "bsn" (who acts for the subject); with it, an
 *    `authorization` claim ({"agencies": [ids]}, as in bearer tokens)
 *    limits the representation to those agencies. `represents` (issue 14:
 *    several authorisations): an array of 1..MZ_OIDC_MAX_REPRESENTS
 *    objects {"bsn"|"kvk": id, "scope"?: {"agencies": [ids]}}, each
 *    validated like `act` (a valid BSN or 8-digit KVK number, never the
 *    signed-in person, no subject twice); it needs the person's own `bsn`
 *    (the actor) and excludes `act`. One bad entry refuses the sign-in.
 *    Professionals
 *    need at least one role mapped by "roleMap" ({"<OP value>":
 *    "professional"|"admin"}; default maps the values "professional" and
 *    "admin" to themselves) — an unmapped user gets no access — and an
 *    organisation (the "org" claim, 1..200 bytes). A professional token's
 *    BSN, if any, is never read.
 *  - URLs: the issuer must be https, or http on a loopback host (tests and
 *    the demo); endpoints must be https unless the issuer is such an http
 *    loopback issuer, in which case they may be http on a loopback host.
 *  - the redirect URI is exactly MZ_PUBLIC_URL + "/auth/{kind}/callback";
 *    every value in a URL or form body is percent-encoded.
 *
 * Reasons are static strings, safe to log and to map onto a page: they
 * never contain a token, a claim value, a code or a BSN.
 *
 * Ownership: every struct here is filled by the function that takes it
 * and released by its *_clear (safe on a zeroed or failed struct); char *
 * results are malloc'd and the caller's. mz_oidc_rp and mz_oidc_provider
 * are read-only after init and may be shared between threads; every
 * function is thread-safe (the key cache has its own lock).
 */
#ifndef MZ_OIDC_H
#define MZ_OIDC_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jws.h"
#include "oidc_jwks.h"

#define MZ_OIDC_LEEWAY         60  /* seconds of clock skew */
#define MZ_OIDC_MAX_AGE        600 /* an ID/logout token's iat may be this old */
#define MZ_OIDC_MAX_DISCOVERY  (64 * 1024)
#define MZ_OIDC_MAX_URL        2048
#define MZ_OIDC_MAX_TOKEN_RESP (64 * 1024)
#define MZ_OIDC_MAX_ACR        8
#define MZ_OIDC_MAX_ROLE_MAP   16
#define MZ_OIDC_ASSERTION_LIFE 120 /* seconds; the profile allows at most 5 min */
#define MZ_OIDC_RANDOM_LEN     43  /* b64url of 32 random bytes (state, nonce, verifier) */

#define MZ_OIDC_BACKCHANNEL_EVENT "http://schemas.openid.net/event/backchannel-logout"

/* token_endpoint_auth_methods_supported, as bits */
#define MZ_OIDC_AUTH_PRIVATE_KEY_JWT     1u
#define MZ_OIDC_AUTH_CLIENT_SECRET_BASIC 2u

typedef enum mz_oidc_kind { MZ_OIDC_CITIZEN, MZ_OIDC_PROFESSIONAL } mz_oidc_kind;

/* "citizen" / "professional" (the {kind} in routes and variables, lower case). */
const char *mz_oidc_kind_name(mz_oidc_kind k);

/* --- 1. Provider metadata (OpenID Connect Discovery 1.0 §3) */

typedef struct mz_oidc_provider {
    char *issuer;
    char *authorization_endpoint;
    char *token_endpoint;
    char *jwks_uri;
    char *end_session_endpoint; /* NULL when not advertised */
    char *userinfo_endpoint;    /* NULL when not advertised */
    unsigned id_token_algs;     /* advertised ∩ MZ_JWS_ALLOWED; never 0 after a parse */
    unsigned token_auth_algs;   /* token_endpoint_auth_signing_alg_values ∩ ours; may be 0 */
    unsigned auth_methods;      /* MZ_OIDC_AUTH_* (absent: client_secret_basic, per the spec) */
} mz_oidc_provider;

/* Parses and validates the document against the configured issuer
 * (exact string equality). On failure *out is empty and err says why. */
bool mz_oidc_discovery_parse(const char *json, size_t len, const char *issuer,
                             mz_oidc_provider *out, char *err, size_t errlen);
void mz_oidc_provider_clear(mz_oidc_provider *p);

/* True for https URLs, and for http URLs on a loopback host when
 * allow_http_loopback. Refuses fragments, userinfo and control bytes. */
bool mz_oidc_url_ok(const char *url, bool allow_http_loopback);

/* --- Relying-party configuration (one per kind) */

typedef struct mz_oidc_role_map {
    char *value;   /* the OP's role value */
    unsigned role; /* MZ_ROLE_* (auth.h) */
} mz_oidc_role_map;

typedef struct mz_oidc_rp {
    mz_oidc_kind kind;
    char *issuer;
    char *client_id;
    char *redirect_uri; /* public_url + "/auth/{kind}/callback" */
    char *scopes;       /* "openid" by default; always contains openid */
    char *acr_values;   /* the accepted set as configured (sent as acr_values) */
    char *acr[MZ_OIDC_MAX_ACR];
    size_t n_acr;
    char *claim_bsn, *claim_kvk, *claim_act, *claim_roles, *claim_org;
    char *claim_represents, *claim_authorization;
    mz_oidc_role_map roles[MZ_OIDC_MAX_ROLE_MAP];
    size_t n_roles;
} mz_oidc_rp;

typedef struct mz_oidc_rp_config {
    mz_oidc_kind kind;
    const char *issuer;      /* MZ_OIDC_{KIND}_ISSUER */
    const char *client_id;   /* MZ_OIDC_{KIND}_CLIENT_ID */
    const char *public_url;  /* MZ_PUBLIC_URL (no trailing slash needed) */
    const char *scopes;      /* MZ_OIDC_{KIND}_SCOPES or NULL */
    const char *acr_values;  /* MZ_OIDC_{KIND}_ACR_VALUES */
    const char *claims_json; /* MZ_OIDC_{KIND}_CLAIMS or NULL */
} mz_oidc_rp_config;

bool mz_oidc_rp_init(mz_oidc_rp *rp, const mz_oidc_rp_config *cfg, char *err, size_t errlen);
void mz_oidc_rp_clear(mz_oidc_rp *rp);

/* --- 4. ID token */

#define MZ_OIDC_MAX_REPRESENTS 20        /* authorisations one sign-in may carry */
#define MZ_OIDC_SCOPE_TEXT     (16 * 64) /* "a,b,…": at most MZ_AUTH_MAX_SCOPE agency ids */

/* One authorisation: whom the signed-in person may act for, and the
 * agencies it covers ("" = all). */
typedef struct mz_oidc_represented {
    bool kvk;    /* a business (8-digit KVK number); else a person (BSN) */
    char id[10]; /* NUL-terminated. Never log it. */
    bool has_scope;
    char scope[MZ_OIDC_SCOPE_TEXT]; /* agency ids joined by ',' (only with has_scope) */
} mz_oidc_represented;

typedef struct mz_oidc_principal {
    mz_oidc_kind kind;
    bool has_bsn;
    char bsn[10]; /* citizens: NUL-terminated 9 digits. Never log it. */
    bool has_kvk;
    char kvk[9]; /* citizens without BSN (eHerkenning) */
    bool has_actor;
    char actor_bsn[10];             /* `act`: who acts for the subject. Never log it. */
    bool has_scope;                 /* with `act`: the `authorization` claim's agencies */
    char scope[MZ_OIDC_SCOPE_TEXT]; /* agency ids joined by ',' */
    /* `represents`: several authorisations; the subject (bsn) is then the
     * signed-in person, who acts (has_actor, actor_bsn = bsn) for the one
     * they choose; the session starts without a subject unless there is
     * exactly one. */
    unsigned n_represents;
    mz_oidc_represented represents[MZ_OIDC_MAX_REPRESENTS];
    unsigned roles; /* professionals: MZ_ROLE_* bits, never 0 */
    char org[201];  /* professionals */
    char sub[256];
    char sid[256]; /* "" when the OP sent none */
    char acr[256];
    int64_t exp;
    int64_t iat;
} mz_oidc_principal;

/* Claims only (no signature): payload is the decoded JSON. nonce is the
 * one stored with the state. */
bool mz_oidc_check_id_claims(const mz_oidc_rp *rp, const char *payload, size_t len,
                             const char *nonce, int64_t now, mz_oidc_principal *out,
                             const char **reason);

/* The whole check: JWS (alg in op->id_token_algs, key from keys by kid,
 * typ not "logout+jwt"), then the claims. */
bool mz_oidc_verify_id_token(const mz_oidc_rp *rp, const mz_oidc_provider *op, mz_jwks_cache *keys,
                             const char *token, size_t len, const char *nonce, int64_t now,
                             mz_oidc_principal *out, const char **reason);

/* --- 7. Logout token (Back-Channel Logout 1.0 §2.4, §2.6) */

typedef struct mz_oidc_logout {
    char sub[256]; /* "" when absent */
    char sid[256]; /* "" when absent; at least one of the two is set */
    char jti[256]; /* for the caller's replay check */
    int64_t iat;
} mz_oidc_logout;

bool mz_oidc_check_logout_claims(const mz_oidc_rp *rp, const char *payload, size_t len, int64_t now,
                                 mz_oidc_logout *out, const char **reason);
bool mz_oidc_verify_logout_token(const mz_oidc_rp *rp, const mz_oidc_provider *op,
                                 mz_jwks_cache *keys, const char *token, size_t len, int64_t now,
                                 mz_oidc_logout *out, const char **reason);

/* --- 5. PKCE, state, nonce, the authorization request */

/* 32 random bytes as base64url (43 characters) into out[44]: state, nonce. */
void mz_oidc_random(char out[MZ_OIDC_RANDOM_LEN + 1]);
/* S256 challenge of a verifier (RFC 7636 §4.2): false when the verifier is
 * not 43..128 unreserved characters. */
bool mz_oidc_pkce_challenge(const char *verifier, size_t len, char out[MZ_OIDC_RANDOM_LEN + 1]);
/* A new verifier (32 random bytes, 43 characters) and its challenge. */
void mz_oidc_pkce_new(char verifier[MZ_OIDC_RANDOM_LEN + 1],
                      char challenge[MZ_OIDC_RANDOM_LEN + 1]);

/* The authorization endpoint URL with response_type=code, client_id,
 * redirect_uri, scope, state, nonce, code_challenge,
 * code_challenge_method=S256 and acr_values (when configured), appended
 * with '&' when the endpoint already has a query. NULL when an argument is
 * empty. */
char *mz_oidc_authorize_url(const mz_oidc_rp *rp, const mz_oidc_provider *op, const char *state,
                            const char *nonce, const char *code_challenge);

/* The same with extra_scope (NULL or "": none) appended to the scopes:
 * the citizen OP's eHerkenning sign-in (MZ_OIDC_CITIZEN_EHERKENNING_SCOPE). */
char *mz_oidc_authorize_url_scope(const mz_oidc_rp *rp, const mz_oidc_provider *op,
                                  const char *state, const char *nonce, const char *code_challenge,
                                  const char *extra_scope);

/* --- 6. Client authentication and the token request */

/* Loads a PEM private key (RSA >= 2048 or EC P-256), or NULL. */
EVP_PKEY *mz_oidc_client_key_load(const char *pem, size_t len);
/* The algorithm for key among op_algs: EC → ES256; RSA → PS256 (the
 * profile's preference) else RS256. 0 when none fits. */
unsigned mz_oidc_assertion_alg(EVP_PKEY *key, unsigned op_algs);
/* A private_key_jwt client assertion (RFC 7523): iss = sub = client_id,
 * aud = token_endpoint, jti random, iat = now, exp = now +
 * MZ_OIDC_ASSERTION_LIFE. NULL when no algorithm fits. */
char *mz_oidc_client_assertion(const char *client_id, const char *token_endpoint, EVP_PKEY *key,
                               unsigned op_algs, const char *kid, int64_t now);
/* "Basic " + base64(form-urlencode(id) ":" form-urlencode(secret)) as RFC
 * 6749 §2.3.1 requires. */
char *mz_oidc_client_secret_basic(const char *client_id, const char *secret);
/* The form body: grant_type=authorization_code, code, redirect_uri,
 * code_verifier, and client_id + client_assertion_type + client_assertion
 * when assertion is not NULL. */
char *mz_oidc_token_request_body(const mz_oidc_rp *rp, const char *code, const char *code_verifier,
                                 const char *assertion);

typedef struct mz_oidc_tokens {
    char *id_token;     /* required */
    char *access_token; /* required by RFC 6749 */
    int64_t expires_in; /* -1 when absent */
} mz_oidc_tokens;

/* Parses a token endpoint response body (at most MZ_OIDC_MAX_TOKEN_RESP). */
bool mz_oidc_token_response_parse(const char *body, size_t len, mz_oidc_tokens *out,
                                  const char **reason);
void mz_oidc_tokens_clear(mz_oidc_tokens *t);

#endif
