/*
 * test_auth_cache.c — the verified-token cache: a repeated token is served
 * from the cache with the same principal, and a new key empties it (a token
 * of the old key is then refused).
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cache)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
