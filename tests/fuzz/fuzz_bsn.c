/*
 * fuzz_bsn.c — the 11-proof and BSN-like detection (service/bsn.c).
 *
 * Properties checked, against a straightforward reference written here:
 *   - mz_bsn_valid(s, n) is exactly "9 ASCII digits, not all zero,
 *     9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11";
 *   - mz_contains_bsn_like finds a run of exactly 9 digits passing it;
 *   - consistency: when the first 9 bytes are a valid BSN, the detector
 *     finds them surrounded by non-digits (and alone), and does not find
 *     them when they are glued to a longer run of digits;
 *   - the same for every 9-byte window of the input that is a valid BSN.
 */
#include "fuzz_util.h"

#include "bsn.h"

static bool ref_valid(const char *s, size_t n)
{
    if (n != 9)
        return false;
    long sum = 0;
    bool nonzero = false;
    for (size_t i = 0; i < 9; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        long d = s[i] - '0';
        if (d)
            nonzero = true;
        sum += i < 8 ? d * (long)(9 - i) : -d;
    }
    return nonzero && ((sum % 11) + 11) % 11 == 0;
}

static bool isdig(char c)
{
    return c >= '0' && c <= '9';
}

static bool ref_contains(const char *s, size_t n)
{
    for (size_t i = 0; i + 9 <= n; i++) {
        if (i > 0 && isdig(s[i - 1]))
            continue; /* not the start of a run */
        if (i + 9 < n && isdig(s[i + 9]))
            continue; /* the run is longer than 9 */
        if (ref_valid(s + i, 9))
            return true;
    }
    return false;
}

static void surround_check(const char *nine)
{
    char buf[16];
    static const char seps[] = {'x', ' ', '/', '\0', '-', ':'};
    for (size_t k = 0; k < sizeof seps; k++) {
        buf[0] = seps[k];
        memcpy(buf + 1, nine, 9);
        buf[10] = seps[(k + 1) % sizeof seps];
        FZ_CHECK(mz_contains_bsn_like(buf, 11));
        FZ_CHECK(mz_contains_bsn_like(buf + 1, 9));
        FZ_CHECK(mz_contains_bsn_like(buf, 10));
        FZ_CHECK(mz_contains_bsn_like(buf + 1, 10));
    }
    /* glued to more digits: a 10-digit run is not BSN-like */
    buf[0] = '7';
    memcpy(buf + 1, nine, 9);
    FZ_CHECK(!mz_contains_bsn_like(buf, 10));
    memcpy(buf, nine, 9);
    buf[9] = '0';
    FZ_CHECK(!mz_contains_bsn_like(buf, 10));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool v = mz_bsn_valid(s, size);
    FZ_CHECK(v == ref_valid(s, size));
    bool c = mz_contains_bsn_like(s, size);
    FZ_CHECK(c == ref_contains(s, size));
    if (v)
        FZ_CHECK(c);
    FZ_CHECK(!mz_bsn_valid(NULL, size));

    if (size >= 9 && mz_bsn_valid(s, 9))
        surround_check(s);
    for (size_t i = 0; i + 9 <= size && i < 4096; i++)
        if (mz_bsn_valid(s + i, 9))
            surround_check(s + i);
    return 0;
}
