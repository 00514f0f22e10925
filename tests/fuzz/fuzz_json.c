/*
 * fuzz_json.c — the bounded JSON parser and writer (service/json.c).
 *
 * Properties checked:
 *   - round trip: whatever mz_json_parse (default limits) accepts,
 *     mz_json_write writes as text that parses again, and writing that
 *     second tree gives the identical bytes (abort() otherwise);
 *   - a refusal always comes with a message, which never holds a BSN-like
 *     number (messages must not quote input);
 *   - mz_utf8_valid agrees with a reference decoder (shortest forms only,
 *     no surrogates, nothing above U+10FFFF, no NUL) on the raw input;
 *   - parsing is deterministic: the same input gives the same written text.
 */
#include "fuzz_util.h"

#include "bsn.h"
#include "buf.h"
#include "json.h"

static bool ref_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        unsigned cp;
        size_t len;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FZ_CHECK(mz_utf8_valid((const char *)data, size) == ref_utf8(data, size));

    char err[200] = "";
    mz_json_doc *d = mz_json_parse((const char *)data, size, NULL, err, sizeof err);
    if (!d) {
        FZ_CHECK(err[0] != '\0');
        FZ_CHECK(!mz_contains_bsn_like(err, strlen(err)));
        return 0;
    }
    mz_buf w1 = MZ_BUF_INIT;
    mz_json_write(&w1, mz_json_root(d));
    FZ_CHECK(w1.len > 0 && strlen(w1.data) == w1.len);

    char err2[200] = "";
    mz_json_doc *d2 = mz_json_parse(w1.data, w1.len, NULL, err2, sizeof err2);
    if (!d2)
        fprintf(stderr, "written JSON does not parse again: %s\n", err2);
    FZ_CHECK(d2 != NULL);
    mz_buf w2 = MZ_BUF_INIT;
    mz_json_write(&w2, mz_json_root(d2));
    if (w1.len != w2.len || memcmp(w1.data, w2.data, w1.len) != 0) {
        fprintf(stderr, "round trip differs:\n1: %.*s\n2: %.*s\n",
                (int)(w1.len < 400 ? w1.len : 400), w1.data, (int)(w2.len < 400 ? w2.len : 400),
                w2.data);
        abort();
    }

    /* Deterministic: the same input again writes the same text. */
    mz_json_doc *d3 = mz_json_parse((const char *)data, size, NULL, NULL, 0);
    FZ_CHECK(d3 != NULL);
    mz_buf w3 = MZ_BUF_INIT;
    mz_json_write(&w3, mz_json_root(d3));
    FZ_CHECK(w3.len == w1.len && memcmp(w3.data, w1.data, w1.len) == 0);

    mz_buf_free(&w3);
    mz_json_free(d3);
    mz_buf_free(&w2);
    mz_json_free(d2);
    mz_buf_free(&w1);
    mz_json_free(d);
    return 0;
}
