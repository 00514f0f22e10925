/*
 * fuzz_notification.c — the ZGW notification body through
 * mz_notification_accept (service/notification.c), the same function the
 * handler (h_push.c) calls.
 *
 * Properties checked: an invalid body always has an error detail, which
 * never holds a BSN-like number and never the body; a kept body is the
 * canonical object of exactly the six members, it parses again with the
 * limits the inbox processor uses (service/inbox.c: the defaults), and each
 * value equals the input's; hoofdObject is an http(s) URL; only the zaken
 * kanaal with resource zaak, status or resultaat is kept; a kept
 * notification's hoofdObject (and for resource zaak its resourceUrl) is
 * under the agency's base URLs (the corpus's two), and with no base URLs
 * nothing is kept (fail closed).
 */
#include "fuzz_util.h"

#include "bsn.h"
#include "buf.h"
#include "json.h"
#include "notification.h"
#include "outbound.h"

/* The bases the corpus's zaak URLs are under (make_corpus.py). */
static const char *const g_bases[] = {"http://127.0.0.1:8091/zaken/api/v1",
                                      "https://zaken.example/api/v1", NULL};
static const char *const g_no_bases[] = {NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    mz_buf canon = MZ_BUF_INIT;
    char err[240] = "";
    {
        mz_buf none = MZ_BUF_INIT;
        char e0[240] = "";
        FZ_CHECK(mz_notification_accept(body, size, g_no_bases, &none, e0, sizeof e0) !=
                 MZ_NOTIFICATION_KEEP);
        FZ_CHECK(none.len == 0);
        mz_buf_free(&none);
    }
    mz_notification_result r = mz_notification_accept(body, size, g_bases, &canon, err, sizeof err);
    if (r == MZ_NOTIFICATION_INVALID) {
        FZ_CHECK(err[0] != '\0');
        FZ_CHECK(!mz_contains_bsn_like(err, strlen(err)));
        FZ_CHECK(canon.len == 0);
        mz_buf_free(&canon);
        return 0;
    }
    if (r == MZ_NOTIFICATION_IRRELEVANT) {
        FZ_CHECK(canon.len == 0);
        mz_buf_free(&canon);
        return 0;
    }
    FZ_CHECK(r == MZ_NOTIFICATION_KEEP && canon.len > 0);
    /* The input's values (it parsed, with at most the handler's limits). */
    mz_json_doc *d = mz_json_parse(body, size, NULL, NULL, 0);
    FZ_CHECK(d != NULL);
    /* What the inbox processor does with the stored row. */
    char err2[128] = "";
    mz_json_doc *d2 = mz_json_parse(canon.data, canon.len, NULL, err2, sizeof err2);
    if (!d2)
        fprintf(stderr, "canonical notification does not parse: %s\n", err2);
    FZ_CHECK(d2 != NULL);
    const mz_json *r2 = mz_json_root(d2);
    FZ_CHECK(r2->type == MZ_JSON_OBJECT && r2->u.kids.count == 6);
    for (int i = 0; i < 6; i++) {
        size_t n = 0, n2 = 0;
        const char *in =
            mz_json_string(mz_json_get(mz_json_root(d), mz_notification_members[i]), &n);
        const char *s = mz_json_string(mz_json_get(r2, mz_notification_members[i]), &n2);
        FZ_CHECK(in && s && n == n2 && n > 0 && memcmp(s, in, n) == 0);
    }
    const char *hoofd = mz_json_string(mz_json_get(r2, "hoofdObject"), NULL);
    FZ_CHECK(strncmp(hoofd, "http://", 7) == 0 || strncmp(hoofd, "https://", 8) == 0);
    FZ_CHECK(strcmp(mz_json_string(mz_json_get(r2, "kanaal"), NULL), "zaken") == 0);
    FZ_CHECK(mz_outbound_url_under(g_bases, hoofd));
    if (strcmp(mz_json_string(mz_json_get(r2, "resource"), NULL), "zaak") == 0)
        FZ_CHECK(
            mz_outbound_url_under(g_bases, mz_json_string(mz_json_get(r2, "resourceUrl"), NULL)));
    mz_json_free(d2);
    mz_json_free(d);
    mz_buf_free(&canon);
    return 0;
}
