#include "bsn.h"

bool mz_bsn_valid(const char *s, size_t n)
{
    if (!s || n != 9)
        return false;
    int sum = 0, nonzero = 0;
    for (size_t i = 0; i < 9; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        nonzero |= d;
        sum += (i < 8) ? d * (int)(9 - i) : -d;
    }
    return nonzero && sum % 11 == 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool mz_contains_bsn_like(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!is_digit(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_digit(s[j]))
            j++;
        if (j - i == 9 && mz_bsn_valid(s + i, 9))
            return true;
        i = j;
    }
    return false;
}
