/*
 * test_notify_rules.c — the pure parts of service/notify.c: the API key
 * split, the Notify JWT (checked independently: header, claims, HMAC),
 * the template file, the message body, and quiet hours across the DST
 * changes of Europe/Amsterdam.
 */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "json.h"
#include "notify.h"

#define SVC "26785a09-ab16-4eb0-8407-a37497a57506"
#define SEC "3d844edf-8d35-48ac-975b-e847b4f122b0"

static void test_parse_key(void **state)
{
    (void)state;
    char svc[37], sec[37];
    /* the documented example; a key name with hyphens */
    assert_true(mz_notify_parse_key("my_test_key-" SVC "-" SEC, svc, sec));
    assert_string_equal(svc, SVC);
    assert_string_equal(sec, SEC);
    assert_true(mz_notify_parse_key("a-b-c-" SVC "-" SEC, svc, sec));
    assert_string_equal(svc, SVC);
    assert_false(mz_notify_parse_key(SVC "-" SEC, svc, sec)); /* no name */
    assert_false(mz_notify_parse_key("k-" SVC SEC, svc, sec));
    assert_false(mz_notify_parse_key("k-" SVC "-3d844edf-8d35-48ac-975b-e847b4f122bz", svc, sec));
    assert_false(mz_notify_parse_key("", svc, sec));
    assert_false(mz_notify_parse_key(NULL, svc, sec));
}

static void test_jwt(void **state)
{
    (void)state;
    char jwt[512];
    mz_notify_jwt(SVC, SEC, 1568818578, jwt, sizeof jwt);
    const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
    assert_non_null(d1);
    assert_true(d2 > d1);
    char hdr[128], cl[128];
    long hn = mz_b64url_decode(jwt, (size_t)(d1 - jwt), hdr, sizeof hdr - 1);
    long cn = mz_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), cl, sizeof cl - 1);
    assert_true(hn > 0 && cn > 0);
    hdr[hn] = cl[cn] = '\0';
    assert_string_equal(hdr, "{\"typ\":\"JWT\",\"alg\":\"HS256\"}");
    assert_string_equal(cl, "{\"iss\":\"" SVC "\",\"iat\":1568818578}");
    unsigned char mac[32], sig[40];
    mz_hmac_sha256(SEC, strlen(SEC), jwt, (size_t)(d2 - jwt), mac);
    assert_int_equal(mz_b64url_decode(d2 + 1, strlen(d2 + 1), sig, sizeof sig), 32);
    assert_memory_equal(mac, sig, 32);
    /* another secret signs differently */
    char other[512];
    mz_notify_jwt(SVC, "00000000-8d35-48ac-975b-e847b4f122b0", 1568818578, other, sizeof other);
    assert_string_not_equal(jwt, other);
}

static void test_templates(void **state)
{
    (void)state;
    char err[200];
    const char *ok = "{\"verification\":{\"email\":\"11111111-1111-4111-8111-111111111111\"},"
                     "\"decision\":{\"sms\":\"22222222-2222-4222-8222-222222222222\"}}";
    assert_true(mz_notify_templates_parse(ok, strlen(ok), err, sizeof err));
    assert_string_equal(mz_notify_template("verification", "email"),
                        "11111111-1111-4111-8111-111111111111");
    assert_string_equal(mz_notify_template("decision", "sms"),
                        "22222222-2222-4222-8222-222222222222");
    assert_null(mz_notify_template("decision", "email"));
    assert_null(mz_notify_template("other", "email"));
    const char *bad[] = {"[]",
                         "{\"status\":{}}",
                         "{\"decision\":{\"fax\":\"x\"}}",
                         "{\"decision\":{\"sms\":\"not-a-uuid\"}}",
                         "{\"decision\":[]}",
                         "{"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_false(mz_notify_templates_parse(bad[i], strlen(bad[i]), err, sizeof err));
        assert_non_null(strstr(err, "templates"));
    }
    /* a refused file keeps the earlier ids */
    assert_string_equal(mz_notify_template("decision", "sms"),
                        "22222222-2222-4222-8222-222222222222");
}

static void test_body(void **state)
{
    (void)state;
    mz_buf b = MZ_BUF_INIT;
    mz_notify_body(&b, "email", "jan@voorbeeld.nl", "11111111-1111-4111-8111-111111111111",
                   "statusChange", "Gemeente Voorbeeld|UWV|SVB", 3, NULL, "42");
    assert_string_equal(b.data, "{\"email_address\":\"jan@voorbeeld.nl\",\"template_id\":"
                                "\"11111111-1111-4111-8111-111111111111\",\"personalisation\":{"
                                "\"organisatie\":\"Gemeente Voorbeeld, UWV en SVB\",\"aantal\":"
                                "\"3\",\"meer\":\"ja\"},\"reference\":\"42\"}");
    mz_buf_free(&b);
    mz_notify_body(&b, "sms", "+31612345678", "22222222-2222-4222-8222-222222222222",
                   "verification", NULL, 0, "123456", "7");
    assert_string_equal(b.data, "{\"phone_number\":\"+31612345678\",\"template_id\":"
                                "\"22222222-2222-4222-8222-222222222222\",\"personalisation\":{"
                                "\"code\":\"123456\"},\"reference\":\"7\"}");
    mz_buf_free(&b);
    /* one organisation, one change; quotes escaped */
    mz_notify_body(&b, "email", "a@b.nl", "11111111-1111-4111-8111-111111111111", "decision",
                   "Gemeente \"X\"", 1, NULL, "1");
    char perr[64];
    mz_json_doc *d = mz_json_parse(b.data, b.len, NULL, perr, sizeof perr);
    assert_non_null(d);
    const mz_json *p = mz_json_get(mz_json_root(d), "personalisation");
    assert_string_equal(mz_json_string(mz_json_get(p, "organisatie"), NULL), "Gemeente \"X\"");
    assert_string_equal(mz_json_string(mz_json_get(p, "meer"), NULL), "nee");
    mz_json_free(d);
    mz_buf_free(&b);
}

/* 2026: CEST from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC. */
static void test_quiet_hours_dst(void **state)
{
    (void)state;
    const time_t spring = 1774746000; /* 2026-03-29 01:00:00 UTC */
    const time_t autumn = 1792890000; /* 2026-10-25 01:00:00 UTC */
    assert_int_equal(mz_notify_amsterdam_offset(spring - 1), 3600);
    assert_int_equal(mz_notify_amsterdam_offset(spring), 7200);
    assert_int_equal(mz_notify_amsterdam_offset(autumn - 1), 7200);
    assert_int_equal(mz_notify_amsterdam_offset(autumn), 3600);
    /* winter: 08:00 local = 07:00 UTC; 21:00 local = 20:00 UTC */
    const time_t jan15 = 1768435200; /* 2026-01-15 00:00 UTC */
    assert_false(mz_notify_sms_allowed(jan15 + 7 * 3600 - 1));
    assert_true(mz_notify_sms_allowed(jan15 + 7 * 3600));
    assert_true(mz_notify_sms_allowed(jan15 + 20 * 3600 - 1));
    assert_false(mz_notify_sms_allowed(jan15 + 20 * 3600));
    /* summer: 08:00 local = 06:00 UTC; 21:00 local = 19:00 UTC */
    const time_t jul15 = 1784073600; /* 2026-07-15 00:00 UTC */
    assert_false(mz_notify_sms_allowed(jul15 + 6 * 3600 - 1));
    assert_true(mz_notify_sms_allowed(jul15 + 6 * 3600));
    assert_true(mz_notify_sms_allowed(jul15 + 19 * 3600 - 1));
    assert_false(mz_notify_sms_allowed(jul15 + 19 * 3600));
    /* the change days themselves: 08:00 local on 29 March is already CEST
     * (06:00 UTC); on 25 October already CET (07:00 UTC) */
    const time_t mar29 = spring - 3600; /* 00:00 UTC */
    assert_false(mz_notify_sms_allowed(mar29 + 6 * 3600 - 1));
    assert_true(mz_notify_sms_allowed(mar29 + 6 * 3600));
    const time_t oct25 = autumn - 3600;
    assert_false(mz_notify_sms_allowed(oct25 + 7 * 3600 - 1));
    assert_true(mz_notify_sms_allowed(oct25 + 7 * 3600));
    /* another year's rule (2027: 28 March, 31 October) */
    assert_int_equal(mz_notify_amsterdam_offset(1806195600 - 1), 3600); /* 2027-03-28 01:00 */
    assert_int_equal(mz_notify_amsterdam_offset(1806195600), 7200);
    assert_int_equal(mz_notify_amsterdam_offset(1824944400 - 1), 7200); /* 2027-10-31 01:00 */
    assert_int_equal(mz_notify_amsterdam_offset(1824944400), 3600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_key),       cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_templates),       cmocka_unit_test(test_body),
        cmocka_unit_test(test_quiet_hours_dst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
