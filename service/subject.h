/*
 * subject.h — whose cases: a data subject {kind, id}.
 *
 * Two kinds (docs/security.md, README "Subjects"):
 *   bsn  a natural person: 9 digits passing the 11-proof (bsn.h);
 *   kvk  a business: its KVK number, 8 digits, with an optional 12-digit
 *        vestiging (branch) number.
 *
 * Why the vestiging is not part of the subject's identity: a case belongs
 * to the business (the KVK number is what eHerkenning authenticates and
 * what the Handelsregister keys a business by); a vestiging number names
 * one of its branches and may be absent in one agency's data and present
 * in another's. Making it part of the id would split one business's cases
 * over several pseudonyms. It is validated where given (12 digits) and
 * otherwise not kept: the pseudonym is HMAC("kvk:" + KVK number).
 *
 * Validation messages name the field and never repeat the value (a KVK
 * number or BSN must not reach an error text or log line).
 *
 * Ownership: a mz_subject is a plain value holding personal data: the
 * caller wipes it (mz_subject_wipe) when done. Nothing here allocates.
 */
#ifndef MZ_SUBJECT_H
#define MZ_SUBJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"

typedef enum mz_subject_kind { MZ_SUBJECT_BSN, MZ_SUBJECT_KVK } mz_subject_kind;

typedef struct mz_subject {
    mz_subject_kind kind;
    char id[10];        /* 9 digits (bsn) or 8 (kvk), NUL-terminated */
    char vestiging[13]; /* kvk only: 12 digits, or "" */
} mz_subject;

/* "bsn" or "kvk" (the names stored in subject_kind columns and used in the
 * API). */
const char *mz_subject_kind_name(mz_subject_kind k);
/* The kind named s[0..n); false for anything else. */
bool mz_subject_kind_parse(const char *s, size_t n, mz_subject_kind *out);

/* Exactly 8 ASCII digits, not all zero. */
bool mz_kvk_valid(const char *s, size_t n);
/* Exactly 12 ASCII digits, not all zero. */
bool mz_vestiging_valid(const char *s, size_t n);

/* Fills out from its parts (vest may be NULL). On failure writes a message
 * naming the field relative to `path` (e.g. "subject.id: is not a valid
 * KVK number (8 digits)") and leaves out zeroed. */
bool mz_subject_set(mz_subject *out, const char *kind, size_t klen, const char *id, size_t idlen,
                    const char *vest, size_t vlen, const char *path, char *err, size_t errlen);
/* A BSN subject (already checked or to be checked: false when invalid). */
bool mz_subject_bsn(mz_subject *out, const char *bsn, size_t n);

/* Reads the object {"kind", "id", "vestiging"?} (members other than these
 * are refused). path names it in messages ("subject", "events[2].subject"). */
bool mz_subject_from_json(const mz_json *o, mz_subject *out, const char *path, char *err,
                          size_t errlen);

/* The subject of an object that names it by a member "subject" ({kind,
 * id, vestiging?}) or, as before subjects had kinds, by "bsn" (a string):
 * one of the two is required; both at once must name the same subject.
 * path prefixes the member names in messages ("" or "events[2]"). */
bool mz_subject_of(const mz_json *o, mz_subject *out, const char *path, char *err, size_t errlen);

/* True when both name the same subject (kind and id; the vestiging is not
 * part of the identity). */
bool mz_subject_same(const mz_subject *a, const mz_subject *b);

void mz_subject_wipe(mz_subject *s);

#endif
