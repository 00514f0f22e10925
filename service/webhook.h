/*
 * webhook.h — Standard Webhooks signatures (https://www.standardwebhooks.com).
 *
 * A sender signs "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256
 * under the shared secret ("whsec_" + base64 of the key bytes) and sends
 * "v1,<base64 signature>" values, space-separated, in webhook-signature;
 * any one matching is enough (senders rotate keys by sending two). The
 * timestamp bounds replay: more than 300 s off our clock is refused.
 * Comparison is constant-time.
 *
 * Ownership: nothing allocates; outputs go to caller buffers.
 */
#ifndef MZ_WEBHOOK_H
#define MZ_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MZ_WEBHOOK_TOLERANCE 300

typedef enum mz_sig_result {
    MZ_SIG_OK,
    MZ_SIG_BAD_SECRET,  /* our configured secret is malformed */
    MZ_SIG_BAD_HEADERS, /* missing or malformed webhook-id/-timestamp/-signature */
    MZ_SIG_STALE,       /* timestamp more than MZ_WEBHOOK_TOLERANCE s from now */
    MZ_SIG_MISMATCH     /* no v1 signature matches */
} mz_sig_result;

mz_sig_result mz_webhook_verify(const char *secret, const char *id, const char *timestamp,
                                const char *signatures, const void *body, size_t len, int64_t now);

/* Writes "v1,<base64>" for the given message into out (at least 64 bytes).
 * false when the secret is malformed. For tests, tools and benchmarks. */
bool mz_webhook_sign(const char *secret, const char *id, const char *timestamp, const void *body,
                     size_t len, char *out, size_t outlen);

const char *mz_sig_result_text(mz_sig_result r);

#endif
