/*
 * test_handover_rules.c — the pure rules of contact moments and hand-over
 * (handover.h): channels, the control-character rule, call-back numbers,
 * the backoff, which pushed bodies are hand-over events, and the agencies
 * file's `handover` block (url, secret by reference, refusals).
 */
/* cmocka needs these first, in this order */
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

#include "agencies.h"
#include "handover.h"

static void test_channels(void **state)
{
    (void)state;
    static const char *const ok[] = {"phone", "desk", "chat", "email", "letter"};
    for (size_t i = 0; i < 5; i++)
        assert_true(mz_contact_channel_valid(ok[i]));
    assert_false(mz_contact_channel_valid("fax"));
    assert_false(mz_contact_channel_valid("Phone"));
    assert_false(mz_contact_channel_valid(""));
    assert_false(mz_contact_channel_valid(NULL));
}

static void test_control_characters(void **state)
{
    (void)state;
    assert_true(mz_contact_text_ok("Bezwaar WW", 10, false));
    assert_true(mz_contact_text_ok("caf\xc3\xa9 \xe2\x82\xac", 9, false));
    assert_true(mz_contact_text_ok("a\nb\tc\r\nd", 8, true));
    assert_false(mz_contact_text_ok("a\nb", 3, false));
    assert_false(mz_contact_text_ok("a\rb", 3, true)); /* a lone CR */
    assert_false(mz_contact_text_ok("a\x1b[31mb", 7, true));
    assert_false(mz_contact_text_ok("a\x7f", 2, true));
    assert_false(mz_contact_text_ok("a\xc2\x85z", 4, true)); /* U+0085 NEL */
    assert_false(mz_contact_text_ok("a\xc2\x9bz", 4, true)); /* U+009B CSI */
    assert_true(mz_contact_text_ok("a\xc2\xa0z", 4, true));  /* U+00A0 is text */
}

static void test_callback_numbers(void **state)
{
    (void)state;
    char out[13];
    static const char *const ok[][2] = {
        {"06 1234 5678", "+31612345678"},   {"0612345678", "+31612345678"},
        {"+31 6 12345678", "+31612345678"}, {"0031612345678", "+31612345678"},
        {"(020) 123-4567", "+31201234567"}, {"014 012 3456", "+31140123456"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_true(mz_callback_number_normalise(ok[i][0], out));
        assert_string_equal(out, ok[i][1]);
    }
    static const char *const bad[] = {
        "12345",        "06123456789",  "+32612345678",   "00612345678",
        "0012345678",   "06-1234-567x", "+31 0612345678", "",
        "++31612345678"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mz_callback_number_normalise(bad[i], out));
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(mz_handover_backoff(1), 1);
    assert_int_equal(mz_handover_backoff(2), 2);
    assert_int_equal(mz_handover_backoff(5), 16);
    assert_int_equal(mz_handover_backoff(10), 512);
    assert_int_equal(mz_handover_backoff(11), 900);
    assert_int_equal(mz_handover_backoff(200), 900);
    char aad[80];
    assert_int_equal(mz_handover_aad("00000000-0000-4000-8000-000000000001", "callback", aad),
                     strlen("handover:00000000-0000-4000-8000-000000000001:callback"));
    assert_string_equal(aad, "handover:00000000-0000-4000-8000-000000000001:callback");
}

static void test_is_event(void **state)
{
    (void)state;
    const char *ack = "{\"type\":\"handover.acknowledged\",\"handoverId\":\"x\"}";
    assert_true(mz_handover_is_event(ack, strlen(ack)));
    const char *ev = "{\"caseReference\":\"Z-1\",\"type\":\"zaak\",\"bsn\":\"999993653\"}";
    assert_false(mz_handover_is_event(ev, strlen(ev)));
    const char *arr = "[{\"type\":\"handover.closed\"}]";
    assert_false(mz_handover_is_event(arr, strlen(arr)));
    assert_false(mz_handover_is_event("{", 1));
    assert_false(mz_handover_is_event("", 0));
    char err[200];
    /* refused before any database is needed */
    const char *lost = "{\"type\":\"handover.lost\",\"handoverId\":\"x\"}";
    assert_int_equal(mz_handover_event(NULL, "a", lost, strlen(lost), err, sizeof err),
                     MZ_HO_EVENT_INVALID);
    assert_non_null(strstr(err, "type:"));
    const char *noid = "{\"type\":\"handover.closed\"}";
    assert_int_equal(mz_handover_event(NULL, "a", noid, strlen(noid), err, sizeof err),
                     MZ_HO_EVENT_INVALID);
    assert_non_null(strstr(err, "handoverId:"));
    const char *badid =
        "{\"type\":\"handover.closed\",\"handoverId\":\"zzzzzzzz-0000-4000-8000-000000000000\"}";
    assert_int_equal(mz_handover_event(NULL, "a", badid, strlen(badid), err, sizeof err),
                     MZ_HO_EVENT_INVALID);
    const char *good =
        "{\"type\":\"handover.closed\",\"handoverId\":\"00000000-0000-4000-8000-000000000000\"}";
    assert_int_equal(mz_handover_event(NULL, "a", good, strlen(good), err, sizeof err),
                     MZ_HO_EVENT_UNAVAILABLE);
}

static mz_agencies *parse(const char *handover, char *err, size_t errlen)
{
    char json[1200];
    snprintf(
        json, sizeof json,
        "{\"agencies\":[{\"id\":\"uwv\",\"name\":\"UWV\",\"adapter\":{\"kind\":\"zgw\"}%s%s}]}",
        handover ? ",\"handover\":" : "", handover ? handover : "");
    return mz_agencies_parse(json, strlen(json), false, err, errlen);
}

static void test_agency_config(void **state)
{
    (void)state;
    setenv("MZ_TEST_HO_SECRET", "whsec_c2VjcmV0LWZvci1oYW5kb3Zlcg==", 1);
    setenv("MZ_TEST_HO_BAD", "not-a-secret", 1);
    char err[300] = "";
    mz_agencies *a = parse(NULL, err, sizeof err);
    if (!a)
        fail_msg("%s", err);
    assert_null(a->items[0].handover_url);
    mz_agencies_free(a);
    a = parse("{\"url\":\"https://uwv.example/handover\",\"secretEnv\":\"MZ_TEST_HO_SECRET\"}", err,
              sizeof err);
    if (!a)
        fail_msg("%s", err);
    assert_string_equal(a->items[0].handover_url, "https://uwv.example/handover");
    assert_string_equal(a->items[0].handover_secret, "whsec_c2VjcmV0LWZvci1oYW5kb3Zlcg==");
    mz_agencies_free(a);
    static const char *const bad[][2] = {
        {"\"x\"", "handover: must be an object"},
        {"{\"secretEnv\":\"MZ_TEST_HO_SECRET\"}", "handover.url"},
        {"{\"url\":\"ftp://uwv.example/h\",\"secretEnv\":\"MZ_TEST_HO_SECRET\"}", "handover.url"},
        {"{\"url\":\"https://uwv.example/h\"}", "handover."},
        {"{\"url\":\"https://uwv.example/h\",\"secret\":\"whsec_c2VjcmV0\"}", "handover."},
        {"{\"url\":\"https://uwv.example/h\",\"secretEnv\":\"MZ_TEST_HO_BAD\"}",
         "handover.secret: must be a Standard Webhooks secret"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        a = parse(bad[i][0], err, sizeof err);
        if (a || !strstr(err, bad[i][1]))
            fail_msg("case %zu: %s (wanted %s)", i, err, bad[i][1]);
        /* the secret is never in the message */
        assert_null(strstr(err, "not-a-secret"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels),         cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_callback_numbers), cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_is_event),         cmocka_unit_test(test_agency_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
