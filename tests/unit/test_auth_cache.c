/*
 * test_auth_cache.c — the verified-token cache: a repeated token is served
 * from the cache with the same principal, and a new key empties it (a token
 * of the old key is then refused); the cache holds a working set of 12,000
 * citizens' tokens (issue 18), packed principals unpacked exactly.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "crypto.h"

static void test_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/mz-authcache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char priv1[256], pub1[256], priv2[256], pub2[256], err[256];
    snprintf(priv1, sizeof priv1, "%s/p1.pem", dir);
    snprintf(pub1, sizeof pub1, "%s/k1.pem", dir);
    snprintf(priv2, sizeof priv2, "%s/p2.pem", dir);
    snprintf(pub2, sizeof pub2, "%s/k2.pem", dir);
    assert_true(mz_generate_keypair("RS256", priv1, pub1, err, sizeof err));
    assert_true(mz_generate_keypair("RS256", priv2, pub2, err, sizeof err));
    assert_true(mz_auth_init(pub1, "RS256", "iss", "aud", err, sizeof err));
    size_t n;
    char *key = mz_read_file(priv1, &n, 1 << 16);
    char claims[256];
    long now = (long)time(NULL);
    snprintf(claims, sizeof claims,
             "{\"iss\":\"iss\",\"aud\":\"aud\",\"sub\":\"s\",\"exp\":%ld,\"bsn\":\"999993653\"}",
             now + 600);
    char *tok = mz_auth_sign("RS256", key, n, claims);
    assert_non_null(tok);
    char hdr[4096];
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    mz_principal a, b;
    const char *why = NULL;
    assert_true(mz_auth_verify(hdr, &a, &why));
    assert_true(mz_auth_verify(hdr, &b, &why)); /* from the cache */
    assert_memory_equal(&a, &b, sizeof a);
    assert_string_equal(b.bsn, "999993653");
    /* one changed character is another token: verified (and refused) anew */
    hdr[strlen(hdr) - 2] ^= 1;
    assert_false(mz_auth_verify(hdr, &b, &why));
    hdr[strlen(hdr) - 2] ^= 1;
    /* a new key: the old key's token is refused, cached or not */
    assert_true(mz_auth_init(pub2, "RS256", "iss", "aud", err, sizeof err));
    assert_false(mz_auth_verify(hdr, &b, &why));
    mz_auth_shutdown();
    free(tok);
    free(key);
    unlink(priv1);
    unlink(pub1);
    unlink(priv2);
    unlink(pub2);
    rmdir(dir);
}

#define WORKING_SET 12000

/* 12,000 distinct tokens verified once each; the second round is served
 * from the cache (at most 2 % verified again: sets that overflow), with
 * principals equal to the first round's. A representative's token (act,
 * scope) comes back whole from its packed form. */
static void test_working_set(void **state)
{
    (void)state;
    char dir[] = "/tmp/mz-authcache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char priv[256], pub[256], err[256];
    snprintf(priv, sizeof priv, "%s/p.pem", dir);
    snprintf(pub, sizeof pub, "%s/k.pem", dir);
    assert_true(mz_generate_keypair("ES256", priv, pub, err, sizeof err));
    assert_true(mz_auth_init(pub, "ES256", "iss", "aud", err, sizeof err));
    size_t n;
    char *key = mz_read_file(priv, &n, 1 << 16);
    long now = (long)time(NULL);
    char **hdr = calloc(WORKING_SET, sizeof *hdr);
    for (int i = 0; i < WORKING_SET; i++) {
        char claims[512];
        if (i == 7)
            snprintf(claims, sizeof claims,
                     "{\"iss\":\"iss\",\"aud\":\"aud\",\"sub\":\"rep\",\"exp\":%ld,"
                     "\"bsn\":\"999993653\",\"act\":{\"bsn\":\"999990019\"},"
                     "\"authorization\":{\"agencies\":[\"uwv\",\"gemeente-test\"]}}",
                     now + 600);
        else
            snprintf(claims, sizeof claims,
                     "{\"iss\":\"iss\",\"aud\":\"aud\",\"sub\":\"c%d\",\"exp\":%ld,"
                     "\"bsn\":\"999993653\"}",
                     i, now + 600);
        char *tok = mz_auth_sign("ES256", key, n, claims);
        assert_non_null(tok);
        hdr[i] = malloc(strlen(tok) + 8);
        sprintf(hdr[i], "Bearer %s", tok);
        free(tok);
    }
    mz_principal *first = calloc(WORKING_SET, sizeof *first);
    const char *why = NULL;
    unsigned long h0, m0, h1, m1, h2, m2;
    mz_auth_cache_stats(&h0, &m0);
    for (int i = 0; i < WORKING_SET; i++)
        assert_true(mz_auth_verify(hdr[i], &first[i], &why));
    mz_auth_cache_stats(&h1, &m1);
    assert_int_equal(m1 - m0, WORKING_SET); /* all new */
    for (int i = 0; i < WORKING_SET; i++) {
        mz_principal again;
        assert_true(mz_auth_verify(hdr[i], &again, &why));
        assert_memory_equal(&again, &first[i], sizeof again);
    }
    mz_auth_cache_stats(&h2, &m2);
    assert_int_equal((h2 - h1) + (m2 - m1), WORKING_SET);
    assert_true(m2 - m1 <= WORKING_SET / 50);
    assert_true(first[7].has_actor && first[7].has_scope && first[7].n_scope == 2);
    assert_string_equal(first[7].scope[1], "gemeente-test");
    for (int i = 0; i < WORKING_SET; i++)
        free(hdr[i]);
    free(hdr);
    free(first);
    free(key);
    mz_auth_shutdown();
    unlink(priv);
    unlink(pub);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cache),
                                       cmocka_unit_test(test_working_set)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
