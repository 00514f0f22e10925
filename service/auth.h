/*
 * auth.h — bearer token (JWT) verification.
 *
 * Why we check claims ourselves: libjwt 1.10 verifies only the signature,
 * and takes the algorithm from the token itself. So: the algorithm is pinned
 * (MZ_JWT_ALG) and compared after decoding — otherwise an HS256 token
 * "signed" with our public key as HMAC secret would verify; and exp (with at
 * most 60 s leeway), nbf, iat, iss and aud are validated here, from the
 * claims re-parsed by our bounded JSON parser (duplicate claims refused).
 *
 * Reasons returned for a refusal are static strings, safe to show and log:
 * they never contain the token or a claim value.
 *
 * Ownership: mz_auth_init keeps a copy of the key for the process lifetime;
 * mz_principal is a plain value filled by the caller's struct.
 */
#ifndef MZ_AUTH_H
#define MZ_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MZ_ROLE_PROFESSIONAL 1u
#define MZ_ROLE_ADMIN        2u

#define MZ_AUTH_LEEWAY    60   /* seconds of clock skew accepted */
#define MZ_AUTH_MAX_TOKEN 8192 /* longer Authorization values are refused */

#define MZ_AUTH_MAX_SCOPE 16 /* agencies an authorisation may name */

/* Whose cases a citizen's principal shows: `bsn` (a person) or `kvk` (a
 * business, 8 digits) — exactly one of the two. `act` (RFC 8693 actor
 * claim, {"bsn": "..."}) names who acts for that subject: a representative
 * (machtiging, bewindvoerder) or a business's employee. Only the actor's
 * pseudonym is kept: the processing log needs it, nothing needs the BSN.
 * Acting for oneself is refused (it would log a read as a representative's
 * that was one's own). `authorization` ({"agencies": [ids]}, only with
 * act) limits what the representative may see to those agencies' cases. */
typedef struct mz_principal {
    char sub[129];
    bool has_bsn;
    char bsn[10]; /* NUL-terminated; only when has_bsn. Never log it. */
    bool has_kvk;
    char kvk[9]; /* NUL-terminated 8 digits; only when has_kvk. Never log it. */
    bool has_actor;
    unsigned char actor_key[32]; /* pseudonym of act.bsn (MZ_PSEUDONYM_LEN) */
    bool has_scope;              /* only with has_actor */
    unsigned n_scope;
    char scope[MZ_AUTH_MAX_SCOPE][64]; /* agency ids (agencies.h syntax) */
    unsigned roles;                    /* MZ_ROLE_* bits */
    char org[201];                     /* optional "org" claim: the employee's organisation */
    int64_t exp;
} mz_principal;

typedef struct mz_auth_settings {
    const char *issuer;
    const char *audience;
} mz_auth_settings;

/* Loads the PEM key and pins the algorithm ("RS256" or "ES256"). */
bool mz_auth_init(const char *public_key_file, const char *alg, const char *issuer,
                  const char *audience, char *err, size_t errlen);
void mz_auth_shutdown(void);

/* Verifies an Authorization header value ("Bearer <jwt>"). Returns true and
 * fills *out when valid; else false and *reason. NULL header → "missing
 * bearer token". */
bool mz_auth_verify(const char *authorization, mz_principal *out, const char **reason);
/* The verified-token cache's look-ups since start (metrics, tests). */
void mz_auth_cache_stats(unsigned long *hits, unsigned long *misses);

/* Validates decoded claims (a JSON object text) at time `now`: the part of
 * verification that does not need a signature, exposed for unit tests. */
bool mz_auth_check_claims(const char *claims_json, size_t len, int64_t now,
                          const mz_auth_settings *s, mz_principal *out, const char **reason);

/* A citizen principal's subject (bsn or kvk). false for staff. The caller
 * wipes *out (mz_subject_wipe). */
struct mz_subject;
bool mz_principal_subject(const mz_principal *p, struct mz_subject *out);

/* The pseudonym of that subject (mz_pseudonym_subject): the key every
 * citizen route reads and logs under. All zero for staff. */
void mz_principal_key(const mz_principal *p, unsigned char key[32]);

/* The scope as a Postgres text[] literal ("{a,b}") into out, or NULL when
 * the principal has no scope (every agency). Agency ids need no quoting
 * (a-z, 0-9, '-'). */
const char *mz_principal_scope_literal(const mz_principal *p, char *out, size_t n);

/* Signs a token with a private key (PEM) for dev-token and tests. claims_json
 * is a JSON object of the grants. Returns a malloc'd string or NULL. */
char *mz_auth_sign(const char *alg, const char *private_key_pem, size_t key_len,
                   const char *claims_json);

/* Reads a whole (small) file into a malloc'd NUL-terminated buffer, or NULL. */
char *mz_read_file(const char *path, size_t *len, size_t max);

#endif
