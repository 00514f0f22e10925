/*
 * bsn.h — the Dutch citizen service number (BSN) check.
 *
 * Why here and first: every BSN is checked with the 11-proof before it
 * reaches a query, a pseudonym or an adapter; a string that fails is
 * refused with an error that never repeats it.
 */
#ifndef MZ_BSN_H
#define MZ_BSN_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is exactly 9 ASCII digits, not all zero, and
 * 9*d1 + 8*d2 + ... + 2*d8 - d9 is divisible by 11. */
bool mz_bsn_valid(const char *s, size_t n);

/* True when s[0..n) contains a run of exactly 9 digits (not part of a longer
 * run) that passes the 11-proof: used to keep such numbers out of echoed
 * input and to scan logs in tests. */
bool mz_contains_bsn_like(const char *s, size_t n);

#endif
