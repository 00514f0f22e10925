/*
 * session.h — server-side sessions after an OpenID Connect sign-in (issue
 * 13, the "backend for frontend" pattern): the session cookie, the
 * sessions table (migration 009), the pending sign-in requests
 * (oidc_flows), and the encryption of what a session keeps in plain.
 *
 * Why this shape:
 *  - the cookie holds a random 256-bit id (base64url, 43 characters); the
 *    database holds only its SHA-256, so a copy of the table cannot be
 *    replayed as a cookie;
 *  - the subject is stored as its pseudonym (crypto.c, the same HMAC as
 *    the cases), never the BSN. Two things must stay readable: the
 *    citizen's BSN (the agencies are asked by BSN when a read refreshes)
 *    and the ID token (id_token_hint for RP-initiated logout; it holds the
 *    BSN). Both are sealed with AES-256-GCM under a key derived from the
 *    session id itself (HKDF-SHA256, info "bsn" / "id_token_hint"): only a
 *    request bearing the cookie can open them, the database alone cannot;
 *  - idle expiry is renewed on use, but last_seen_at is written at most
 *    once per touch interval (a minute by default), so the read path stays
 *    one SELECT; the absolute expiry never moves;
 *  - the cookie is `__Host-mz_session; HttpOnly; Secure; SameSite=Lax;
 *    Path=/` — or `mz_session` without Secure when MZ_PUBLIC_URL is plain
 *    http on localhost/127.0.0.1 (development and tests: a browser does
 *    not store a Secure or __Host- cookie from http://127.0.0.1 reliably).
 *
 * Ownership: ids and cookie values are caller buffers; char * results are
 * malloc'd and the caller's (wipe secrets with OPENSSL_cleanse before
 * free). Functions taking a mz_db use that connection (the thread's).
 * Thread-safe.
 */
#ifndef MZ_SESSION_H
#define MZ_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "oidc.h"

#define MZ_SESSION_ID_BYTES         32
#define MZ_SESSION_ID_CHARS         43  /* base64url of 32 bytes */
#define MZ_SIGNIN_FLOW_TTL          600 /* seconds a sign-in request may take */
#define MZ_SESSION_FLOW_NAME_SECURE "__Host-mz_signin"
#define MZ_SESSION_FLOW_NAME_DEV    "mz_signin"

/* What a live session says (besides the principal). */
typedef struct mz_session_info {
    bool active;
    unsigned char id[MZ_SESSION_ID_BYTES];
    mz_oidc_kind kind;
    bool acting_for;    /* citizens: someone acts for the subject (`act`) */
    unsigned n_choices; /* citizens: authorisations to choose from (`represents`), 0 = none */
    int choice;         /* the index chosen, -1 = none yet (only with n_choices) */
    char acr[256];
    int64_t idle_expires; /* unix seconds */
    int64_t expires;      /* unix seconds, absolute */
} mz_session_info;

/* True when MZ_PUBLIC_URL is plain http on localhost/127.0.0.1 (the
 * development cookie names, no Secure). */
bool mz_session_dev_cookies(void);
/* "__Host-mz_session" or "mz_session". */
const char *mz_session_cookie_name(void);
/* The sign-in request cookie (binds the callback's state to the browser
 * that started it): "__Host-mz_signin" or "mz_signin". */
const char *mz_session_flow_cookie_name(void);
/* A Set-Cookie value for name=value with our flags, max_age seconds (0:
 * a deletion, Max-Age=0). malloc'd. */
char *mz_session_set_cookie(const char *name, const char *value, long max_age);

/* Decodes a cookie value into an id: false unless exactly 43 base64url
 * characters. */
bool mz_session_id_parse(const char *value, unsigned char id[MZ_SESSION_ID_BYTES]);

/* AES-256-GCM under HKDF-SHA256(id, purpose): hex of nonce || ciphertext
 * || tag (malloc'd). open: false when it does not authenticate. */
char *mz_session_seal(const unsigned char id[MZ_SESSION_ID_BYTES], const char *purpose,
                      const void *data, size_t len);
bool mz_session_open(const unsigned char id[MZ_SESSION_ID_BYTES], const char *purpose,
                     const char *hex, char **out, size_t *outlen);

/* Loads the live session with this id into *info and the principal the
 * bearer path would make (citizens: the BSN opened from the row; staff:
 * roles, organisation, sub), renewing its idle expiry when last seen
 * longer ago than the touch interval. 1 found, 0 none (unknown, ended or
 * expired), -1 database unavailable. */
int mz_session_load(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES], mz_session_info *info,
                    mz_principal *p);

/* A new session for a verified principal (citizens must have a BSN).
 * id_token: kept sealed for RP-initiated logout (NULL: none). Fills
 * cookie[44] with the new cookie value. false when the database failed. */
bool mz_session_create(mz_db *db, const mz_oidc_principal *pr, const char *id_token,
                       char cookie[MZ_SESSION_ID_CHARS + 1]);

/* Several authorisations (`represents`, migration 017). The session's
 * list, opened: up to MZ_OIDC_MAX_REPRESENTS entries into out, their count
 * into *n. 1 found, 0 none (no such session or no list), -1 database
 * unavailable. The caller wipes out (OPENSSL_cleanse): it holds numbers. */
int mz_session_choices(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES],
                       mz_oidc_represented *out, unsigned *n);
/* Makes entry `choice` the session's subject (pseudonym, sealed number,
 * kind, agencies). 1 done, 0 no such session or choice out of range, -1
 * database unavailable. */
int mz_session_choose(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES], unsigned choice);

/* Ends the session with this id. 1 ended (*id_token: the opened ID token
 * or NULL; *kind its kind), 0 none, -1 database unavailable. id_token
 * may be NULL. */
int mz_session_end(mz_db *db, const unsigned char id[MZ_SESSION_ID_BYTES], mz_oidc_kind *kind,
                   char **id_token);

/* Back-channel logout: ends the sessions of kind matching sid and/or sub
 * (either may be "" = not given, not both). Returns how many, -1 when the
 * database failed. */
long mz_session_end_op(mz_db *db, mz_oidc_kind kind, const char *sid, const char *sub);

/* Stores a pending sign-in request (state hashed). false on db failure. */
bool mz_session_flow_put(mz_db *db, mz_oidc_kind kind, const char *state, const char *nonce,
                         const char *verifier, const char *return_to);

typedef struct mz_session_flow {
    mz_oidc_kind kind;
    bool live; /* not expired */
    char nonce[MZ_OIDC_RANDOM_LEN + 1];
    char verifier[MZ_OIDC_RANDOM_LEN + 1];
    char return_to[513];
} mz_session_flow;

/* Takes (reads and deletes) the request for state: 1 found (check
 * out->live and out->kind), 0 none, -1 database unavailable. */
int mz_session_flow_take(mz_db *db, const char *state, mz_session_flow *out);

/* Removes expired sessions and sign-in requests now and then (at most
 * once every five minutes per process). */
void mz_session_purge_sometimes(mz_db *db);

#endif
