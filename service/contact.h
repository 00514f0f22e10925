/*
 * contact.h — the citizen's contact details (e-mail address, mobile
 * number): validation, masking, and encryption at rest.
 *
 * Why encrypted (AES-256-GCM) and not pseudonymised like the BSN: we must
 * be able to read an address back to send to it. The key lives outside the
 * database (MZ_CONTACT_KEY_FILE, 64 hex characters), so a copy of the
 * database alone does not reveal anyone's address. Each ciphertext carries
 * the id of the key that sealed it (the first 16 hex characters of the
 * key's SHA-256), so a key can be rotated: rows sealed under another key
 * are refused (never decrypted with the wrong key), found by their key id,
 * and re-entered by the citizen or re-sealed by an operator holding both.
 *
 * The additional authenticated data binds a ciphertext to its subject and
 * field ("email" / "phone"): a ciphertext copied to another subject's row,
 * or from the e-mail to the phone column, fails to open.
 *
 * Sealed form: 12-byte random nonce || ciphertext || 16-byte tag.
 *
 * Ownership: the key is kept in a static buffer for the life of the
 * process (wiped by mz_contact_clear_key). mz_contact_seal and
 * mz_contact_open return malloc'd buffers the caller frees (the plaintext
 * with mz_contact_free_plain, which wipes it first). Everything else writes
 * to caller-provided buffers.
 */
#ifndef MZ_CONTACT_H
#define MZ_CONTACT_H

#include <stdbool.h>
#include <stddef.h>

#define MZ_CONTACT_KEY_LEN    32
#define MZ_CONTACT_KEY_ID_LEN 16 /* hex characters */
#define MZ_CONTACT_NONCE_LEN  12
#define MZ_CONTACT_TAG_LEN    16
#define MZ_CONTACT_EMAIL_MAX  254 /* RFC 5321 path limit */
#define MZ_CONTACT_PHONE_LEN  12  /* "+316" and 8 digits */

/* Parses 64 hex characters, optionally followed by one newline ("\n" or
 * "\r\n"), into key. False on anything else. */
bool mz_contact_key_parse(const char *text, size_t n, unsigned char key[MZ_CONTACT_KEY_LEN]);
/* Reads the key file as the process's key; false with a message naming
 * the file (never its content). */
bool mz_contact_load_key(const char *path, char *err, size_t errlen);
/* Sets the key directly (tests). */
void mz_contact_set_key(const unsigned char key[MZ_CONTACT_KEY_LEN]);
void mz_contact_clear_key(void);
bool mz_contact_ready(void);
/* The current key's id (MZ_CONTACT_KEY_ID_LEN hex characters), "" when none. */
const char *mz_contact_key_id(void);

/* Seals plain[0..n) under the current key with aad; malloc'd, length in
 * *outlen. NULL when no key is loaded. */
unsigned char *mz_contact_seal(const char *plain, size_t n, const void *aad, size_t aadlen,
                               size_t *outlen);
/* Opens a sealed value: NULL when key_id is not the current key's, or the
 * value or aad was altered (tag mismatch). Else a NUL-terminated malloc'd
 * copy of the plaintext (free with mz_contact_free_plain). */
char *mz_contact_open(const char *key_id, const unsigned char *sealed, size_t n, const void *aad,
                      size_t aadlen);
void mz_contact_free_plain(char *plain);

/* The aad for a subject's field: the 32-byte pseudonym followed by the
 * field name; out must hold 32 + 8 bytes. Returns its length. */
size_t mz_contact_aad(const unsigned char subject_key[32], const char *field, unsigned char *out);

/* A plausible e-mail address (what Notify itself accepts, roughly): one
 * '@', a local part of 1..64 printable ASCII characters without spaces,
 * a domain of dot-separated labels [A-Za-z0-9-] with at least one dot, the
 * last label alphabetic, at most MZ_CONTACT_EMAIL_MAX bytes. */
bool mz_contact_email_valid(const char *s);
/* A Dutch mobile number: "06" + 8 digits, "+316" + 8 digits or "00316" +
 * 8 digits, spaces and hyphens ignored. Normalised to "+316XXXXXXXX" into
 * out[MZ_CONTACT_PHONE_LEN + 1]. */
bool mz_contact_phone_normalise(const char *s, char out[MZ_CONTACT_PHONE_LEN + 1]);
/* Masked forms for display: "j***@voorbeeld.nl" keeps the first character of the local part and the
 * domain; "+316******78" keeps the last two digits. out must hold MZ_CONTACT_EMAIL_MAX + 8 bytes.
 */
void mz_contact_mask_email(const char *email, char *out, size_t outlen);
void mz_contact_mask_phone(const char *phone, char *out, size_t outlen);

/* The stored hash of a verification code: hex HMAC-SHA256 under the
 * contact key of subject_key || channel || code, into out[65]. Keyed: a
 * 6-digit code is found by enumeration from a plain hash in a moment. */
void mz_contact_code_hash(const unsigned char subject_key[32], const char *channel,
                          const char *code, char out[65]);
/* A random 6-digit code into out[7]. */
void mz_contact_new_code(char out[7]);

#endif
