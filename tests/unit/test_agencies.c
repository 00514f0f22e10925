/*
 * test_agencies.c — the agencies configuration: the shipped example is
 * valid, and every invalid configuration is refused with a message that
 * names the agency and the field (and never echoes a secret).
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

#include "agencies.h"
#include "auth.h"
#include "outbound.h"

static void set_secrets(void)
{
    setenv("VOORBEELD_ZGW_SECRET", "zgw-secret-value", 1);
    setenv("VOORBEELD_WEBHOOK_SECRET", "whsec_c2VjcmV0", 1);
    setenv("VOORBEELD_NRC_AUTH", "Token nrc-secret-value", 1);
    setenv("UWV_API_TOKEN", "uwv-token-value", 1);
}

static void test_example_is_valid(void **state)
{
    (void)state;
    set_secrets();
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/config/agencies.example.json", getenv("MZ_SOURCE_DIR"));
    mz_agencies *a = mz_agencies_load(path, true, err, sizeof err);
    if (!a)
        fail_msg("example refused: %s", err);
    assert_int_equal(a->n, 2);
    const mz_agency *g = mz_agencies_find(a, "gemeente-voorbeeld");
    assert_non_null(g);
    assert_string_equal(g->kind, "zgw");
    assert_non_null(g->state);
    assert_int_equal(g->poll_interval, 300);
    assert_string_equal(g->webhook_secret, "whsec_c2VjcmV0");
    assert_string_equal(g->notifications_auth, "Token nrc-secret-value");
    assert_string_equal(mz_agency_map_status(g, "Ontvangen"), "received");
    assert_null(mz_agency_map_status(g, "Onbekend"));
    assert_string_equal(g->contact_professional_phone, "012 345 6789");
    /* the stored settings hold the reference, never the secret */
    assert_non_null(strstr(g->settings_json, "VOORBEELD_ZGW_SECRET"));
    assert_null(strstr(g->settings_json, "zgw-secret-value"));
    const mz_agency *u = mz_agencies_find(a, "uwv");
    assert_non_null(u);
    assert_string_equal(u->kind, "rest-json");
    assert_string_equal(mz_agency_map_status(u, "WAITING_FOR_CLIENT"), "action_required");
    assert_null(mz_agencies_find(a, "nope"));
    mz_agencies_free(a);
}

static void expect_refused(const char *json, const char *needle)
{
    char err[512] = "";
    mz_agencies *a = mz_agencies_parse(json, strlen(json), true, err, sizeof err);
    if (a) {
        mz_agencies_free(a);
        fail_msg("accepted: %s", json);
    }
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
    assert_null(strstr(err, "zgw-secret-value"));
}

#define ZGW_OK                                                                                     \
    "\"adapter\":{\"kind\":\"zgw\",\"zakenUrl\":\"http://127.0.0.1:1/zaken/api/v1\","              \
    "\"catalogiUrl\":\"http://127.0.0.1:1/catalogi/api/v1\",\"clientId\":\"c\","                   \
    "\"secretEnv\":\"VOORBEELD_ZGW_SECRET\"}"

static void test_refusals(void **state)
{
    (void)state;
    set_secrets();
    expect_refused("", "not valid JSON");
    expect_refused("{}", "\"agencies\" must be an array");
    expect_refused("{\"agencies\":[]}", "\"agencies\" must be an array");
    expect_refused("{\"agencies\":[1]}", "agencies[0] (?): must be an object");
    expect_refused("{\"agencies\":[{\"name\":\"X\"," ZGW_OK "}]}",
                   "agencies[0] (?): id: is required");
    expect_refused("{\"agencies\":[{\"id\":\"Bad_Id\",\"name\":\"X\"," ZGW_OK "}]}",
                   "id: must be 1-63");
    expect_refused("{\"agencies\":[{\"id\":\"a\"," ZGW_OK "}]}",
                   "agencies[0] (a): name: is required");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\"}]}", "(a): adapter: is required");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"soap\"}}]}",
                   "(a): adapter.kind: unknown kind; known: zgw, rest-json");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"zgw\"}}]}",
                   "(a): adapter.zakenUrl: is required");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"zgw\","
                   "\"zakenUrl\":\"ftp://x/zaken\",\"catalogiUrl\":\"http://x/c\","
                   "\"clientId\":\"c\",\"secretEnv\":\"VOORBEELD_ZGW_SECRET\"}}]}",
                   "adapter.zakenUrl: must be an http(s) URL");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"zgw\","
                   "\"zakenUrl\":\"http://x/zaken\",\"catalogiUrl\":\"http://x/c\","
                   "\"clientId\":\"c\",\"secret\":\"zgw-secret-value\"}}]}",
                   "adapter.secret: secrets must be referenced");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"zgw\","
                   "\"zakenUrl\":\"http://x/zaken\",\"catalogiUrl\":\"http://x/c\","
                   "\"clientId\":\"c\",\"secretEnv\":\"MZ_TEST_UNSET_VARIABLE\"}}]}",
                   "secretEnv: environment variable MZ_TEST_UNSET_VARIABLE is not set");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"zgw\","
                   "\"zakenUrl\":\"http://x/zaken\",\"catalogiUrl\":\"http://x/c\","
                   "\"clientId\":\"c\",\"secretFile\":\"/nonexistent/secret\"}}]}",
                   "secretFile: cannot read /nonexistent/secret");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\"," ZGW_OK
                   ",\"statusGroups\":{\"Ontvangen\":\"open\"}}]}",
                   "(a): statusGroups: values must be one of");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\"," ZGW_OK
                   ",\"pollIntervalSeconds\":1}]}",
                   "(a): pollIntervalSeconds: must be an integer from 10 to 86400");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\"," ZGW_OK ",\"webhook\":{}}]}",
                   "(a): webhook.secret: secretEnv or secretFile is required");
    expect_refused("{\"agencies\":[{\"id\":\"a\",\"name\":\"A\"," ZGW_OK "},"
                   "{\"id\":\"a\",\"name\":\"B\"," ZGW_OK "}]}",
                   "agencies[1] (a): id: duplicate");
    expect_refused(
        "{\"agencies\":[{\"id\":\"r\",\"name\":\"R\",\"adapter\":{\"kind\":\"rest-json\","
        "\"baseUrl\":\"http://x/api\",\"listPath\":\"/c\",\"itemsPointer\":\"/items\","
        "\"fields\":{\"externalId\":\"/id\"}}}]}",
        "(r): adapter.fields.bsn: is required");
    expect_refused(
        "{\"agencies\":[{\"id\":\"r\",\"name\":\"R\",\"adapter\":{\"kind\":\"rest-json\","
        "\"baseUrl\":\"http://x/api\",\"itemsPointer\":\"/items\",\"fields\":{}}}]}",
        "listPath or searchPath: at least one is required");
    expect_refused(
        "{\"agencies\":[{\"id\":\"r\",\"name\":\"R\",\"adapter\":{\"kind\":\"rest-json\","
        "\"baseUrl\":\"http://x/api\",\"listPath\":\"/c\",\"itemsPointer\":\"items\","
        "\"fields\":{}}}]}",
        "itemsPointer: must be a JSON pointer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_is_valid),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
