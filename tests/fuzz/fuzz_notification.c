/*
 * fuzz_notification.c — the ZGW notification body as
 * mz_h_push_notifications (service/h_push.c) parses it.
 *
 * The handler's parsing is inline in the handler (which needs a live
 * request and database), so this target repeats its steps exactly:
 * mz_json_parse with the handler's limits (depth 16, 2000 nodes, strings
 * 4096), the root must be an object, the six required members must be
 * non-empty strings (hoofdObject and resourceUrl at most 2000 bytes, the
 * others at most 100), hoofdObject an http(s) URL, relevance by kanaal and
 * resource, then the canonical body the handler stores in the inbox.
 * KEEP IN SYNC with h_push.c (a separate parse function there would let
 * this target call the real code instead).
 *
 * Properties checked: the canonical body the handler would store parses
 * again with the limits the inbox processor uses (service/inbox.c: the
 * defaults) and gives back the same six values; the error detail the
 * handler would send never holds a BSN-like number.
 */
#include "fuzz_util.h"

#include "bsn.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"

static const char *const req[] = {"kanaal",      "hoofdObject", "resource",
                                  "resourceUrl", "actie",       "aanmaakdatum"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char perr[160] = "";
    mz_json_limits lim = {.max_depth = 16, .max_nodes = 2000, .max_string = 4096};
    mz_json_doc *d = size ? mz_json_parse(body, size, &lim, perr, sizeof perr) : NULL;
    if (!d || mz_json_root(d)->type != MZ_JSON_OBJECT) {
        char detail[220];
        snprintf(detail, sizeof detail, "the body is not a notification object%s%s", d ? "" : ": ",
                 d ? "" : (size ? perr : "empty body"));
        FZ_CHECK(!mz_contains_bsn_like(detail, strlen(detail)));
        if (!d && size)
            FZ_CHECK(perr[0] != '\0');
        mz_json_free(d);
        return 0;
    }
    const mz_json *root = mz_json_root(d);
    const char *v[6];
    size_t vl[6];
    for (int i = 0; i < 6; i++) {
        size_t n = 0;
        v[i] = mz_json_string(mz_json_get(root, req[i]), &n);
        if (!v[i] || n == 0 || n > (i == 1 || i == 3 ? 2000u : 100u)) {
            mz_json_free(d);
            return 0;
        }
        FZ_CHECK(strlen(v[i]) == n); /* no NUL inside: the C string is the value */
        vl[i] = n;
    }
    const char *kanaal = v[0], *hoofd = v[1], *resource = v[2];
    if (strncmp(hoofd, "http://", 7) != 0 && strncmp(hoofd, "https://", 8) != 0) {
        mz_json_free(d);
        return 0;
    }
    bool relevant = strcmp(kanaal, "zaken") == 0 &&
                    (strcmp(resource, "zaak") == 0 || strcmp(resource, "status") == 0 ||
                     strcmp(resource, "resultaat") == 0);
    if (!relevant) {
        mz_json_free(d);
        return 0;
    }
    mz_buf canon = MZ_BUF_INIT;
    mz_buf_putc(&canon, '{');
    for (int i = 0; i < 6; i++) {
        if (i)
            mz_buf_putc(&canon, ',');
        mz_json_key(&canon, req[i]);
        mz_json_cstr(&canon, v[i]);
    }
    mz_buf_putc(&canon, '}');
    char id[65];
    mz_sha256_hex(body, size, id);
    FZ_CHECK(strlen(id) == 64);

    /* What the inbox processor does with the stored row. */
    char err2[128] = "";
    mz_json_doc *d2 = mz_json_parse(canon.data, canon.len, NULL, err2, sizeof err2);
    if (!d2)
        fprintf(stderr, "canonical notification does not parse: %s\n", err2);
    FZ_CHECK(d2 != NULL);
    const mz_json *r2 = mz_json_root(d2);
    FZ_CHECK(r2->type == MZ_JSON_OBJECT && r2->u.kids.count == 6);
    for (int i = 0; i < 6; i++) {
        size_t n = 0;
        const char *s = mz_json_string(mz_json_get(r2, req[i]), &n);
        FZ_CHECK(s && n == vl[i] && memcmp(s, v[i], n) == 0);
    }
    mz_json_free(d2);
    mz_buf_free(&canon);
    mz_json_free(d);
    return 0;
}
