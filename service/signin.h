/*
 * signin.h — the running relying party: one configuration per kind
 * (citizen, professional) built from MZ_OIDC_{KIND}_* at start, the OP's
 * metadata and key cache, the client credentials, the token request, and
 * the sign-in counters. The protocol rules themselves are in oidc.h; the
 * routes in h_auth.c; sessions in session.h.
 *
 * Why lazily: the OP may be down when the service starts. Start-up fetches
 * the discovery document; when that fails the service still starts (the
 * API keeps working for bearer tokens and existing sessions) and sign-in
 * answers "not available" (op_unavailable) while each later sign-in
 * retries discovery, at most once per 5 s. A configuration error (a
 * missing client id, both or neither of key file and secret file, an
 * invalid MZ_PUBLIC_URL, acr values, claim mapping) refuses to start.
 *
 * Ownership: the state is process-wide, built by mz_signin_init and freed
 * by mz_signin_shutdown; everything mz_signin_provider returns is
 * read-only and lives until shutdown. Thread-safe.
 */
#ifndef MZ_SIGNIN_H
#define MZ_SIGNIN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "oidc.h"

/* Why a sign-in ended, as the fixed slug of the portal's page
 * /inloggen/mislukt?reden=<slug> and the `outcome` label of
 * mz_signins_total ("ok" for a success). */
typedef enum mz_signin_outcome {
    MZ_SIGNIN_OK,
    MZ_SIGNIN_CANCELLED,        /* the user cancelled at the OP (access_denied) */
    MZ_SIGNIN_ACR_TOO_LOW,      /* acr not in MZ_OIDC_{KIND}_ACR_VALUES */
    MZ_SIGNIN_NO_ACCESS,        /* no (valid) BSN, no mapped role, no organisation */
    MZ_SIGNIN_EXPIRED_STATE,    /* unknown, replayed, expired or foreign state */
    MZ_SIGNIN_OP_UNAVAILABLE,   /* OP down, slow past the deadline, no metadata */
    MZ_SIGNIN_INVALID_RESPONSE, /* token response or ID token refused, code refused */
    MZ_SIGNIN_OP_ERROR,         /* the OP answered another error to the authorization request */
    MZ_SIGNIN_SERVICE_ERROR,    /* our database failed */
    MZ_SIGNIN__COUNT
} mz_signin_outcome;

const char *mz_signin_outcome_slug(mz_signin_outcome o);

/* Validates the configuration and fetches each enabled kind's metadata
 * and keys (failure to reach the OP is logged, not fatal). false with a
 * message on a configuration error. */
bool mz_signin_init(char *err, size_t errlen);
void mz_signin_shutdown(void);

/* Whether sign-in of this kind is configured. */
bool mz_signin_enabled(mz_oidc_kind kind);
/* Whether any kind is configured. */
bool mz_signin_any(void);
/* Whether sessions can exist: a kind is configured, or MZ_DEV_MODE with
 * MZ_PUBLIC_URL set (the development login makes cookie sessions too, so
 * the portal never holds a token). */
bool mz_signin_sessions(void);
/* "citizen"/"professional" → kind; false for anything else. */
bool mz_signin_kind_parse(const char *s, mz_oidc_kind *out);

/* MZ_PUBLIC_URL's origin (scheme://host[:port]), for the Origin check. */
const char *mz_signin_origin(void);
/* The scope that asks the citizens' OP for eHerkenning instead of DigiD
 * (MZ_OIDC_CITIZEN_EHERKENNING_SCOPE), or NULL when there is no
 * eHerkenning sign-in (unset, or no citizen sign-in). */
const char *mz_signin_eherkenning_scope(void);

/* The RP configuration, and the OP's metadata and key cache when known
 * (fetching them now if not, rate-limited); false → op_unavailable. */
bool mz_signin_provider(mz_oidc_kind kind, const mz_oidc_rp **rp, const mz_oidc_provider **op,
                        mz_jwks_cache **keys);

/* The token request for code (client authentication as configured), to
 * the token endpoint with MZ_OIDC_TIMEOUT_MS as the deadline. On success
 * *tokens is filled; else the outcome says why (op_unavailable or
 * invalid_response). */
mz_signin_outcome mz_signin_exchange(mz_oidc_kind kind, const char *code, const char *verifier,
                                     mz_oidc_tokens *tokens);

/* The outcome a refused ID token maps to (oidc.c's reason strings). */
mz_signin_outcome mz_signin_outcome_for(const char *reason);

/* Counts one sign-in attempt's outcome; renders mz_signins_total. */
void mz_signin_count(mz_oidc_kind kind, mz_signin_outcome o);
void mz_signin_metrics(mz_buf *b);

#endif
