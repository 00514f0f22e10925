/*
 * devtoken.h — development tokens, signed with MZ_JWT_PRIVATE_KEY_FILE, for
 * `mijnzaken dev-token` and the demo login (MZ_DEV_MODE). Production tokens
 * come from the real identity provider; this exists so that a newcomer can
 * try the service without one.
 *
 * Ownership: returns a malloc'd token (caller frees) or NULL, with the
 * reason (static text) in *why.
 */
#ifndef MZ_DEVTOKEN_H
#define MZ_DEVTOKEN_H

/* Exactly one of bsn (a valid BSN) and role ("professional" or "admin").
 * sub NULL = a random subject; org NULL = none. */
char *mz_dev_token(const char *bsn, const char *role, const char *sub, const char *org,
                   long ttl_seconds, const char **why);

#endif
