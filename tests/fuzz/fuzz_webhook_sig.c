/*
 * fuzz_webhook_sig.c — the Standard Webhooks signature check
 * (service/webhook.c, mz_webhook_verify).
 *
 * Input layout: "<webhook-id>\n<webhook-timestamp>\n<webhook-signature>\n<body>"
 * (the body is the rest and may hold newlines and NULs; header values stop
 * at an embedded NUL, as they would coming from libmicrohttpd). Verified
 * with a fixed secret and a fixed "now" (FZ_NOW, 2026-01-01T00:00:00Z).
 *
 * Properties checked:
 *   - the result is one of the enum values, never BAD_SECRET for our secret;
 *   - when the headers are well-formed and fresh (OK or MISMATCH), the
 *     signature mz_webhook_sign makes for the same message verifies, also
 *     when placed before the received values ("any one matching is
 *     enough"), and OK implies one of the received values is exactly it;
 *   - the body used as the secret ("whsec_" + body) never crashes the
 *     secret decoding (a malformed secret must be BAD_SECRET, not a crash).
 */
#include "fuzz_util.h"

#include "webhook.h"

#define FZ_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define FZ_NOW    1767225600

static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && memcmp(p, tok, n) == 0)
            return true;
        p = e;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *parts[4], *owned;
    size_t body_len;
    fz_split(data, size, '\n', parts, 4, &body_len, &owned);
    const char *id = parts[0], *ts = parts[1], *sigs = parts[2], *body = parts[3];

    mz_sig_result r = mz_webhook_verify(FZ_SECRET, id, ts, sigs, body, body_len, FZ_NOW);
    FZ_CHECK(r == MZ_SIG_OK || r == MZ_SIG_BAD_HEADERS || r == MZ_SIG_STALE ||
             r == MZ_SIG_MISMATCH);
    FZ_CHECK(mz_sig_result_text(r) != NULL);

    if (r == MZ_SIG_OK || r == MZ_SIG_MISMATCH) {
        char good[128];
        memset(good, 0, sizeof good);
        FZ_CHECK(mz_webhook_sign(FZ_SECRET, id, ts, body, body_len, good, sizeof good));
        FZ_CHECK(mz_webhook_verify(FZ_SECRET, id, ts, good, body, body_len, FZ_NOW) == MZ_SIG_OK);
        if (r == MZ_SIG_OK)
            FZ_CHECK(has_token(sigs, good));
        size_t gl = strlen(good), sl = strlen(sigs);
        if (gl + 1 + sl <= 2048) {
            char *both = malloc(gl + 1 + sl + 1);
            if (!both)
                abort();
            memcpy(both, good, gl);
            both[gl] = ' ';
            memcpy(both + gl + 1, sigs, sl + 1);
            FZ_CHECK(mz_webhook_verify(FZ_SECRET, id, ts, both, body, body_len, FZ_NOW) ==
                     MZ_SIG_OK);
            free(both);
        }
    }

    /* The secret decoder on hostile input: "whsec_" + the body (to 1 KiB). */
    size_t bl = strnlen(body, body_len < 1024 ? body_len : 1024);
    char *secret = malloc(6 + bl + 1);
    if (!secret)
        abort();
    memcpy(secret, "whsec_", 6);
    memcpy(secret + 6, body, bl);
    secret[6 + bl] = '\0';
    mz_sig_result r2 = mz_webhook_verify(secret, id, ts, sigs, body, body_len, FZ_NOW);
    FZ_CHECK(r2 >= MZ_SIG_OK && r2 <= MZ_SIG_MISMATCH);
    char out[128];
    (void)mz_webhook_sign(secret, id, ts, body, body_len, out, sizeof out);
    free(secret);

    free(owned);
    return 0;
}
