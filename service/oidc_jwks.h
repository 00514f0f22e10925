/*
 * oidc_jwks.h — an OpenID provider's JSON Web Key Set: parsing into OpenSSL
 * keys, key selection for a token, and a per-issuer cache that follows key
 * rotation.
 *
 * Parsing (RFC 7517/7518): `kty` RSA (n, e; at least 2048 bits) and EC
 * (crv P-256, x and y of 32 bytes each, a point on the curve) become
 * EVP_PKEYs. Entries are skipped, not refused, when they are of another
 * key type or curve, when `use` is present and not "sig", or when `alg` is
 * present and not one of ours (RS256, PS256, ES256): an OP may publish
 * encryption keys and algorithms we do not use. The whole set is refused
 * when a key we would use is weak (RSA < 2048 bits) or malformed, or when
 * two keys share a `kid` — an OP that publishes those is misconfigured,
 * and guessing which key it meant is exactly what an attacker would like.
 *
 * Selection: a token naming a `kid` gets that key (when it fits the
 * token's alg, and the key's own `alg`, if any, is the token's). A token
 * without `kid` is accepted only when the set holds exactly one signing
 * key: with two keys we would have to try each, which makes rotation
 * ambiguous.
 *
 * The cache: keys are fetched on first use and refetched when a token
 * names an unknown `kid` — at most once per min_interval seconds (counting
 * failed fetches too), so a stream of tokens with random kids cannot make
 * us hammer the OP, while a real rotation is picked up without a restart.
 * The fetch is a function pointer (tests inject documents; production uses
 * mz_jwks_fetch_outbound, i.e. mz_outbound limited to the jwks_uri) and
 * runs without the cache's lock held, so verifications with known keys
 * never wait for the network.
 *
 * Ownership and thread-safety: mz_jwks_parse fills a caller's mz_jwks,
 * released with mz_jwks_clear (not thread-safe itself; read-only use from
 * several threads is fine). mz_jwks_cache_* are thread-safe; the cache
 * copies the URI; mz_jwks_cache_key returns a key reference the caller
 * releases with EVP_PKEY_free (it stays valid after the set is replaced).
 */
#ifndef MZ_OIDC_JWKS_H
#define MZ_OIDC_JWKS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jws.h"

#define MZ_JWKS_MAX_BYTES (64 * 1024)
#define MZ_JWKS_MAX_KEYS  32

typedef struct mz_jwk {
    bool has_kid;
    char kid[MZ_JWS_MAX_KID + 1];
    unsigned algs; /* MZ_JWS_* this key may be used with (its `alg`, else by type) */
    EVP_PKEY *pkey;
} mz_jwk;

typedef struct mz_jwks {
    mz_jwk keys[MZ_JWKS_MAX_KEYS];
    size_t n;
} mz_jwks;

/* Parses a JWKS document; on failure *out is empty and err says why (never
 * quoting the document). */
bool mz_jwks_parse(const char *json, size_t len, mz_jwks *out, char *err, size_t errlen);
void mz_jwks_clear(mz_jwks *s);

/* The key for a token with alg (one MZ_JWS_* bit) and kid (NULL when the
 * token has none), or NULL with *reason. Borrowed from s. */
EVP_PKEY *mz_jwks_select(const mz_jwks *s, const char *kid, unsigned alg, const char **reason);

/* Fetches the document at uri into a malloc'd *body. Returns false (and
 * frees nothing it did not allocate) on any failure. */
typedef bool (*mz_jwks_fetch_fn)(void *ctx, const char *uri, char **body, size_t *len);

/* The production fetch: GET through mz_outbound with the uri itself as the
 * only allowed base, 64 KiB cap, 5 s deadline, 200 required. ctx unused. */
bool mz_jwks_fetch_outbound(void *ctx, const char *uri, char **body, size_t *len);

typedef struct mz_jwks_cache mz_jwks_cache;

/* min_interval: seconds between fetches (0 → 60). */
mz_jwks_cache *mz_jwks_cache_new(const char *jwks_uri, mz_jwks_fetch_fn fetch, void *ctx,
                                 int64_t min_interval);
void mz_jwks_cache_free(mz_jwks_cache *c);

/* A key for (kid, alg) at time now (seconds), fetching as described above;
 * NULL with *reason when there is none. The caller EVP_PKEY_free()s it. */
EVP_PKEY *mz_jwks_cache_key(mz_jwks_cache *c, const char *kid, unsigned alg, int64_t now,
                            const char **reason);

/* How many fetches were attempted (tests, metrics). */
unsigned mz_jwks_cache_fetches(mz_jwks_cache *c);

#endif
