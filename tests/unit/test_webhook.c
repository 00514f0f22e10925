/*
 * test_webhook.c — Standard Webhooks signatures: the spec's known-answer
 * vector, the timestamp window, tampering, several signatures, bad input.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <string.h>

#include "webhook.h"

#define SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define ID     "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define TS     "1614265330"
#define BODY   "{\"test\": 2432232314}"
#define SIG    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define NOW    1614265330

static mz_sig_result verify(const char *sig, const char *body, int64_t now)
{
    return mz_webhook_verify(SECRET, ID, TS, sig, body, strlen(body), now);
}

static void test_known_answer(void **state)
{
    (void)state;
    char out[128];
    assert_true(mz_webhook_sign(SECRET, ID, TS, BODY, strlen(BODY), out, sizeof out));
    assert_string_equal(out, SIG);
    assert_int_equal(verify(SIG, BODY, NOW), MZ_SIG_OK);
}

static void test_timestamp_window(void **state)
{
    (void)state;
    assert_int_equal(verify(SIG, BODY, NOW + 299), MZ_SIG_OK);
    assert_int_equal(verify(SIG, BODY, NOW - 299), MZ_SIG_OK);
    assert_int_equal(verify(SIG, BODY, NOW + 300), MZ_SIG_OK);
    assert_int_equal(verify(SIG, BODY, NOW + 301), MZ_SIG_STALE);
    assert_int_equal(verify(SIG, BODY, NOW - 301), MZ_SIG_STALE);
}

static void test_tampering(void **state)
{
    (void)state;
    char body[] = BODY;
    body[3] ^= 1;
    assert_int_equal(verify(SIG, body, NOW), MZ_SIG_MISMATCH);
    assert_int_equal(mz_webhook_verify(SECRET, "msg_other", TS, SIG, BODY, strlen(BODY), NOW),
                     MZ_SIG_MISMATCH);
    /* another secret */
    assert_int_equal(mz_webhook_verify("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=", ID, TS, SIG, BODY,
                                       strlen(BODY), NOW),
                     MZ_SIG_MISMATCH);
    /* a signature one character off */
    assert_int_equal(verify("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", BODY, NOW),
                     MZ_SIG_MISMATCH);
}

static void test_several_signatures(void **state)
{
    (void)state;
    assert_int_equal(verify("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " SIG, BODY, NOW),
                     MZ_SIG_OK);
    assert_int_equal(verify(SIG " v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", BODY, NOW),
                     MZ_SIG_OK);
    /* other versions are ignored; a v1a is not v1 */
    assert_int_equal(verify("v2,abc " SIG, BODY, NOW), MZ_SIG_OK);
    assert_int_equal(verify("v1a," SIG + 3, BODY, NOW), MZ_SIG_BAD_HEADERS);
    assert_int_equal(verify("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", BODY, NOW),
                     MZ_SIG_MISMATCH);
}

static void test_bad_input(void **state)
{
    (void)state;
    const char *b = BODY;
    size_t n = strlen(b);
    assert_int_equal(mz_webhook_verify(SECRET, NULL, TS, SIG, b, n, NOW), MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, NULL, SIG, b, n, NOW), MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, TS, NULL, b, n, NOW), MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, "16142653xx", SIG, b, n, NOW),
                     MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, "-1614265330", SIG, b, n, NOW),
                     MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, "99999999999999999999", SIG, b, n, NOW),
                     MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, "id with space", TS, SIG, b, n, NOW),
                     MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, TS, "", b, n, NOW), MZ_SIG_BAD_HEADERS);
    assert_int_equal(mz_webhook_verify(SECRET, ID, TS, "v1,!!!!", b, n, NOW), MZ_SIG_MISMATCH);
    assert_int_equal(mz_webhook_verify("nosecret", ID, TS, SIG, b, n, NOW), MZ_SIG_BAD_SECRET);
    assert_int_equal(mz_webhook_verify("whsec_!!", ID, TS, SIG, b, n, NOW), MZ_SIG_BAD_SECRET);
    char many[4000];
    memset(many, 'a', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    assert_int_equal(mz_webhook_verify(SECRET, ID, TS, many, b, n, NOW), MZ_SIG_BAD_HEADERS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer), cmocka_unit_test(test_timestamp_window),
        cmocka_unit_test(test_tampering),    cmocka_unit_test(test_several_signatures),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
