/*
 * jws.h — JSON Web Signature (compact serialization) verification and
 * signing, done by us with OpenSSL EVP, for OpenID Connect.
 *
 * Why not libjwt: its 1.10 decoder takes the algorithm from the token's own
 * header, so a token can choose how it is checked ("none", or HS256 keyed
 * with the provider's public key bytes). Here the caller passes the set of
 * algorithms it accepts (the OP's advertised set ∩ MZ_JWS_ALLOWED), the
 * header's `alg` must be in it, and the key's type must fit the algorithm:
 * an RSA key is never used for ES256 nor an EC key for RS256, and there is
 * no HMAC path at all.
 *
 * Parsing is strict: exactly three base64url parts without padding and
 * with canonical trailing bits (mz_b64url_decode), a header that is a JSON
 * object (bounded: MZ_JWS_MAX_HEADER) with a string `alg`, optional string
 * `kid` and `typ`, and no `crit` (we implement no extensions, RFC 7515
 * §4.1.11 says refuse them), a token no longer than MZ_JWS_MAX_TOKEN.
 * ES256 signatures are the raw r||s of RFC 7518 §3.4 (64 bytes; a DER
 * signature is refused) and are converted to DER for EVP; PS256 uses
 * MGF1-SHA256 with a salt as long as the digest (RFC 7518 §3.5).
 *
 * Reasons are static strings, safe to log: never token text or a claim.
 *
 * Ownership: mz_jws_parse fills a caller-provided mz_jws whose buffers are
 * released with mz_jws_clear; mz_jws_sign returns a malloc'd token. All
 * functions are thread-safe (no shared state).
 */
#ifndef MZ_JWS_H
#define MZ_JWS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

/* Algorithms as bits, so that sets (the OP's, ours) are masks. */
#define MZ_JWS_RS256   1u
#define MZ_JWS_PS256   2u
#define MZ_JWS_ES256   4u
#define MZ_JWS_ALLOWED (MZ_JWS_RS256 | MZ_JWS_PS256 | MZ_JWS_ES256)

#define MZ_JWS_MAX_TOKEN  16384 /* longer tokens are refused before any decoding */
#define MZ_JWS_MAX_HEADER 2048  /* decoded header bytes */
#define MZ_JWS_MAX_KID    128

/* The bit for an algorithm name (exact, case-sensitive), or 0 for any
 * other name ("none", "HS256", ...). */
unsigned mz_jws_alg_bit(const char *name, size_t len);
/* The name of one bit, or NULL. */
const char *mz_jws_alg_name(unsigned bit);

typedef struct mz_jws {
    unsigned alg;                 /* one MZ_JWS_* bit */
    bool has_kid;                 /* the header named a key */
    char kid[MZ_JWS_MAX_KID + 1]; /* NUL-terminated when has_kid */
    char typ[64];                 /* "" when absent */
    char *payload;                /* decoded, NUL-terminated (may hold NULs) */
    size_t payload_len;
    unsigned char *sig; /* decoded signature */
    size_t sig_len;
    char *signing_input; /* "header.payload" as in the token */
    size_t signing_len;
} mz_jws;

/* Parses token[0..len) and checks its header `alg` is in `accepted` (a
 * mask). Does not verify the signature. On failure *out is empty (safe to
 * clear) and *reason says why. */
bool mz_jws_parse(const char *token, size_t len, unsigned accepted, mz_jws *out,
                  const char **reason);
void mz_jws_clear(mz_jws *j);

/* True when key's type fits alg: RSA of at least 2048 bits for RS256 and
 * PS256, EC on P-256 for ES256. */
bool mz_jws_key_fits(EVP_PKEY *key, unsigned alg);

/* Verifies the parsed token's signature with key (which must fit j->alg). */
bool mz_jws_verify(const mz_jws *j, EVP_PKEY *key, const char **reason);

/* Signs payload (a JSON object text) as a compact JWS with header
 * {"alg":…,"typ":typ,"kid":kid} (typ and kid omitted when NULL). ES256
 * signatures are written raw (r||s). Returns a malloc'd token, or NULL when
 * the key does not fit alg or signing failed. */
char *mz_jws_sign(unsigned alg, EVP_PKEY *key, const char *kid, const char *typ,
                  const char *payload, size_t payload_len);

#endif
