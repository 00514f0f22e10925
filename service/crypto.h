/*
 * crypto.h — small cryptographic helpers on OpenSSL: the keyed BSN
 * pseudonym, random identifiers, hashes and base64url.
 *
 * Why a keyed pseudonym (HMAC-SHA256) and not a plain hash: there are only
 * about 10^8 valid BSNs, so an unkeyed hash is reversed by enumeration in
 * minutes. With the key kept outside the database (MZ_PSEUDONYM_KEY_FILE),
 * a copy of the database alone does not reveal whose cases it holds.
 *
 * Ownership: all outputs go to caller-provided buffers; nothing allocates
 * except mz_pseudonym_load_key, which keeps the key in a static buffer for
 * the life of the process.
 */
#ifndef MZ_CRYPTO_H
#define MZ_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "subject.h"

#define MZ_PSEUDONYM_LEN 32

#define MZ_PSEUDONYM_KEY_MAX 1024

/* Reads a pseudonym key file into out (MZ_PSEUDONYM_KEY_MAX bytes): its
 * content without trailing newlines and spaces, which must be 32 to
 * MZ_PSEUDONYM_KEY_MAX bytes. Returns false with a message (naming the
 * file, not its content) on error. The caller wipes out when done. Used by
 * mz_pseudonym_load_key and by `rekey`, which holds two keys at once. */
bool mz_pseudonym_read_key_file(const char *path, unsigned char out[MZ_PSEUDONYM_KEY_MAX],
                                size_t *len, char *err, size_t errlen);
/* Loads the key file (mz_pseudonym_read_key_file) as the process's key. */
bool mz_pseudonym_load_key(const char *path, char *err, size_t errlen);
/* Sets the key directly (tests). */
void mz_pseudonym_set_key(const unsigned char *key, size_t len);
bool mz_pseudonym_ready(void);
/* HMAC-SHA256(key, bsn). The caller checks the BSN first. */
void mz_pseudonym(const char *bsn, size_t len, unsigned char out[MZ_PSEUDONYM_LEN]);
/* The pseudonym of a subject (subject.h): for kind bsn exactly
 * mz_pseudonym of the BSN (the pseudonyms stored before businesses existed
 * stay valid: no re-keying); for kvk HMAC-SHA256(key, "kvk:" + KVK number).
 * Why the prefix: the two kinds can never share a pseudonym, whatever the
 * digits, and an 8-digit KVK number is not hashed like a (shorter) BSN.
 * The vestiging is not part of it (subject.h). */
void mz_pseudonym_subject(const mz_subject *s, unsigned char out[MZ_PSEUDONYM_LEN]);
/* The message the pseudonym of kind k and id is the HMAC of, into
 * out[16] (NUL-terminated); its length. Shared with `rekey`, which
 * enumerates these messages. */
size_t mz_pseudonym_message(mz_subject_kind k, const char *id, char out[16]);

/* Cryptographically random bytes; aborts if the system has none. */
void mz_random_bytes(void *out, size_t n);
/* Lower-case hex of n random bytes into out (2n+1 bytes): for
 * identifiers (trace and span ids); from a per-thread buffer of CSPRNG
 * output, refilled 4 KiB at a time (no DRBG call per request). */
void mz_random_hex(char *out, size_t nbytes);
/* The same straight from RAND_bytes, for keys and secrets. */
void mz_random_secret_hex(char *out, size_t nbytes);
/* A random identifier of n letters (5 bits each) into out (n+1 bytes),
 * from the same per-thread buffer. Letters only, so that no identifier we
 * log can look like a BSN. */
void mz_random_id(char *out, size_t n);
/* Lower-case hex SHA-256 of data into out[65]. */
void mz_sha256_hex(const void *data, size_t n, char out[65]);
/* HMAC-SHA256 into out[32]. */
void mz_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[32]);
/* The value of one hex digit (either case), or -1. */
int mz_hexval(char c);
/* Decodes the whole hex string into out (at most cap bytes), *n = bytes
 * written; false for an odd length, a non-hex digit or more than cap. */
bool mz_hex_decode(const char *hex, unsigned char *out, size_t cap, size_t *n);

/* Constant-time comparison of two byte strings (false if lengths differ). */
bool mz_consttime_eq(const void *a, size_t alen, const void *b, size_t blen);

/* base64url without padding. Encode writes at most 4*ceil(n/3)+1 bytes
 * (NUL-terminated) and returns the length. Decode returns the number of
 * bytes written, or -1 on a bad character, bad length or overflow of cap. */
size_t mz_b64url_encode(const void *in, size_t n, char *out);
long mz_b64url_decode(const char *in, size_t n, void *out, size_t cap);

/* Generates a development key pair for alg "RS256" (RSA 2048) or "ES256"
 * (P-256) and writes PEM files (private key mode 0600). */
bool mz_generate_keypair(const char *alg, const char *private_path, const char *public_path,
                         char *err, size_t errlen);

#endif
