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

#include <unistd.h>

#include "agencies.h"
#include "auth.h"
#include "buf.h"
#include "mzt.h"
#include "outbound.h"

static void set_secrets(void)
{
    setenv("VOORBEELD_ZGW_SECRET", "zgw-secret-value", 1);
    setenv("VOORBEELD_WEBHOOK_SECRET", "whsec_c2VjcmV0", 1);
    setenv("VOORBEELD_NRC_AUTH", "Token nrc-secret-value", 1);
    setenv("UWV_API_TOKEN", "uwv-token-value", 1);
    setenv("UWV_API_KEY", "uwv-api-key-value", 1);
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
    assert_non_null(u->state);
    /* its headers: the plain one stored as is, the secret one as a reference */
    assert_non_null(strstr(u->settings_json, "00000001234567890000"));
    assert_non_null(strstr(u->settings_json, "UWV_API_KEY"));
    assert_null(strstr(u->settings_json, "uwv-api-key-value"));
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
        "(r): adapter.fields.title: is required");
    /* whose case: a bsn or a kvk field (or both) */
    expect_refused(
        "{\"agencies\":[{\"id\":\"r\",\"name\":\"R\",\"adapter\":{\"kind\":\"rest-json\","
        "\"baseUrl\":\"http://x/api\",\"listPath\":\"/c\",\"itemsPointer\":\"/items\","
        "\"fields\":{\"externalId\":\"/id\",\"title\":\"/t\",\"status\":\"/s\","
        "\"statusChangedAt\":\"/at\"}}}]}",
        "(r): adapter.fields.bsn or fields.kvk: at least one is required");
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

/* A rest-json agency with the given `headers` member (JSON text). */
static char *rj_with_headers(const char *headers)
{
    static const char fmt[] =
        "{\"agencies\":[{\"id\":\"r\",\"name\":\"R\",\"adapter\":{\"kind\":\"rest-json\","
        "\"baseUrl\":\"http://x/api\",\"listPath\":\"/c\",\"itemsPointer\":\"/items\","
        "\"fields\":{\"externalId\":\"/id\",\"bsn\":\"/bsn\",\"title\":\"/t\","
        "\"status\":\"/s\",\"statusChangedAt\":\"/at\"},\"headers\":%s}}]}";
    size_t n = sizeof fmt + strlen(headers);
    char *json = malloc(n);
    snprintf(json, n, fmt, headers);
    return json;
}

static void expect_headers_refused(const char *headers, const char *needle)
{
    char *json = rj_with_headers(headers);
    expect_refused(json, needle);
    char err[512] = "";
    mz_agencies *a = mz_agencies_parse(json, strlen(json), true, err, sizeof err);
    assert_null(a);
    /* no value, secret or not, is ever echoed */
    assert_null(strstr(err, "hdr-secret-value"));
    assert_null(strstr(err, "plain-value-x"));
    free(json);
}

static mz_agencies *headers_accepted(const char *headers)
{
    char *json = rj_with_headers(headers);
    char err[512] = "";
    mz_agencies *a = mz_agencies_parse(json, strlen(json), true, err, sizeof err);
    if (!a)
        fail_msg("refused (%s): %s", err, json);
    free(json);
    return a;
}

static void test_rest_json_headers(void **state)
{
    (void)state;
    setenv("MZ_TEST_HDR_SECRET", "hdr-secret-value", 1);
    setenv("MZ_TEST_HDR_CTRL", "bad\tvalue", 1);
    setenv("MZ_TEST_HDR_UTF8", "caf\xc3\xa9", 1);
    char dir[] = "/tmp/mz-test-hdr-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char good[300], bad[300], empty[300];
    snprintf(good, sizeof good, "%s/good", dir);
    snprintf(bad, sizeof bad, "%s/bad", dir);
    snprintf(empty, sizeof empty, "%s/empty", dir);
    FILE *f = fopen(good, "w");
    fputs("file-secret-value\n", f); /* the newline is stripped, as for a token file */
    fclose(f);
    f = fopen(bad, "w");
    fputs("two\r\nlines-hdr-secret-value\n", f);
    fclose(f);
    f = fopen(empty, "w");
    fclose(f);
    char nul[300];
    snprintf(nul, sizeof nul, "%s/nul", dir);
    f = fopen(nul, "w");
    fwrite("abc\0hdr-secret-value\n", 1, 21, f); /* not cut short at the NUL: refused */
    fclose(f);

    /* Accepted: both forms; an empty string; Accept may be given; 16 headers. */
    mz_agencies *a =
        headers_accepted("{\"X-Api-Key\":{\"valueEnv\":\"MZ_TEST_HDR_SECRET\"},"
                         "\"Accept-Crs\":\"EPSG:4326\",\"Accept\":\"application/hal+json\","
                         "\"X-Empty\":\"\",\"OIN\":\"00000001234567890000\"}");
    /* the stored settings keep the reference and the plain values, never the secret */
    const mz_agency *r = mz_agencies_find(a, "r");
    assert_non_null(strstr(r->settings_json, "MZ_TEST_HDR_SECRET"));
    assert_non_null(strstr(r->settings_json, "EPSG:4326"));
    assert_null(strstr(r->settings_json, "hdr-secret-value"));
    mz_agencies_free(a);
    char hdrs[2000];
    snprintf(hdrs, sizeof hdrs, "{\"X-Api-Key\":{\"valueFile\":\"%s\"}}", good);
    mz_agencies_free(headers_accepted(hdrs));
    mz_agencies_free(headers_accepted("{}"));
    mz_agencies_free(headers_accepted("{\"!#$%&'*+-.^_`|~09azAZ\":\" ~\"}"));
    char name64[65];
    memset(name64, 'n', 64);
    name64[64] = '\0';
    char value1000[1001];
    memset(value1000, 'v', 1000);
    value1000[1000] = '\0';
    snprintf(hdrs, sizeof hdrs, "{\"%s\":\"%s\"}", name64, value1000);
    mz_agencies_free(headers_accepted(hdrs));
    mz_buf b = MZ_BUF_INIT;
    mz_buf_putc(&b, '{');
    for (int i = 0; i < 16; i++)
        mz_buf_printf(&b, "%s\"X-H%d\":\"v\"", i ? "," : "", i);
    mz_buf_putc(&b, '}');
    mz_agencies_free(headers_accepted(b.data));

    /* Refused: shape and count */
    expect_headers_refused("[]", "(r): adapter.headers: must be an object of header name -> value");
    expect_headers_refused("\"X-A: b\"", "adapter.headers: must be an object");
    b.data[b.len - 1] = ',';
    mz_buf_puts(&b, "\"X-H16\":\"v\"}");
    expect_headers_refused(b.data, "adapter.headers: at most 16 headers");
    mz_buf_free(&b);
    /* names: RFC 9110 tokens of 1..64 characters */
    static const char *const bad_names[] = {"",      "X Api",     "X-Api:",   "X(1)",
                                            "X\\\"", "caf\u00e9", "X\\r\\nY", "X/Y"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        snprintf(hdrs, sizeof hdrs, "{\"%s\":\"plain-value-x\"}", bad_names[i]);
        expect_headers_refused(hdrs,
                               "adapter.headers: name 1 must be an RFC 9110 token of 1 to 64");
    }
    snprintf(hdrs, sizeof hdrs, "{\"X-Ok\":\"v\",\"%sn\":\"plain-value-x\"}", name64);
    expect_headers_refused(hdrs, "adapter.headers: name 2 must be an RFC 9110 token of 1 to 64");
    /* names the adapter or the transport owns, in any case */
    static const char *const owned[] = {"Authorization",  "authorization",     "Host",
                                        "Content-Length", "TRANSFER-ENCODING", "Connection",
                                        "content-type"};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
        char needle[200];
        snprintf(hdrs, sizeof hdrs, "{\"%s\":\"plain-value-x\"}", owned[i]);
        snprintf(needle, sizeof needle,
                 "adapter.headers.%s: is set by the adapter or the transport", owned[i]);
        expect_headers_refused(hdrs, needle);
    }
    expect_headers_refused("{\"Authorization\":\"Bearer plain-value-x\"}",
                           "use tokenEnv or tokenFile");
    expect_headers_refused("{\"Authorization\":{\"valueEnv\":\"MZ_TEST_HDR_SECRET\"}}",
                           "adapter.headers.Authorization: is set by the adapter");
    /* a name twice, differing only in case */
    expect_headers_refused(
        "{\"X-Api-Key\":\"a\",\"x-api-key\":\"plain-value-x\"}",
        "adapter.headers.x-api-key: duplicate (header names are case-insensitive)");
    /* plain values: 0..1000 printable ASCII */
    snprintf(hdrs, sizeof hdrs, "{\"X-Long\":\"%sv\"}", value1000);
    expect_headers_refused(hdrs,
                           "adapter.headers.X-Long: the value must be 0 to 1000 printable ASCII");
    static const char *const bad_values[] = {"plain-value-x\\r\\nX-Evil: 1", "plain-value-x\\n",
                                             "plain-value-x\\t", "plain-value-x\\u007f",
                                             "plain-value-x\\u00e9"};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        snprintf(hdrs, sizeof hdrs, "{\"X-V\":\"%s\"}", bad_values[i]);
        expect_headers_refused(hdrs, "adapter.headers.X-V: the value must be 0 to 1000 printable");
    }
    expect_headers_refused("{\"X-V\":42}",
                           "adapter.headers.X-V: must be a string or {\"valueEnv\"");
    expect_headers_refused("{\"X-V\":null}", "adapter.headers.X-V: must be a string or");
    /* secret values: referenced, resolvable, and valid once resolved */
    expect_headers_refused("{\"X-V\":{}}",
                           "adapter.headers.X-V.value: valueEnv or valueFile is required");
    expect_headers_refused("{\"X-V\":{\"value\":\"hdr-secret-value\"}}",
                           "adapter.headers.X-V.value: secrets must be referenced with valueEnv or "
                           "valueFile, never inline");
    expect_headers_refused("{\"X-V\":{\"valueEnv\":\"MZ_TEST_HDR_SECRET\",\"valueFile\":\"/x\"}}",
                           "adapter.headers.X-V.value: give valueEnv or valueFile, not both");
    expect_headers_refused("{\"X-V\":{\"valueEnv\":\"MZ_TEST_HDR_SECRET\",\"extra\":1}}",
                           "adapter.headers.X-V: an object takes only valueEnv or valueFile");
    expect_headers_refused("{\"X-V\":{\"valueEnv\":\"MZ_TEST_UNSET_VARIABLE\"}}",
                           "adapter.headers.X-V.valueEnv: environment variable "
                           "MZ_TEST_UNSET_VARIABLE is not set");
    expect_headers_refused("{\"X-V\":{\"valueFile\":\"/nonexistent/hdr\"}}",
                           "adapter.headers.X-V.valueFile: cannot read /nonexistent/hdr");
    snprintf(hdrs, sizeof hdrs, "{\"X-V\":{\"valueFile\":\"%s\"}}", empty);
    expect_headers_refused(hdrs, "adapter.headers.X-V.valueFile: ");
    expect_headers_refused("{\"X-V\":{\"valueEnv\":\"MZ_TEST_HDR_CTRL\"}}",
                           "adapter.headers.X-V: the value of valueEnv must be 1 to 1000 printable "
                           "ASCII characters");
    expect_headers_refused("{\"X-V\":{\"valueEnv\":\"MZ_TEST_HDR_UTF8\"}}",
                           "adapter.headers.X-V: the value of valueEnv must be");
    snprintf(hdrs, sizeof hdrs, "{\"X-V\":{\"valueFile\":\"%s\"}}", bad);
    expect_headers_refused(hdrs, "adapter.headers.X-V: the value of valueFile must be 1 to 1000");
    snprintf(hdrs, sizeof hdrs, "{\"X-V\":{\"valueFile\":\"%s\"}}", nul);
    expect_headers_refused(hdrs, "adapter.headers.X-V: the value of valueFile must be 1 to 1000");
    char *long_secret = malloc(1002);
    memset(long_secret, 's', 1001);
    long_secret[1001] = '\0';
    setenv("MZ_TEST_HDR_LONG", long_secret, 1);
    free(long_secret);
    expect_headers_refused("{\"X-V\":{\"valueEnv\":\"MZ_TEST_HDR_LONG\"}}",
                           "adapter.headers.X-V: the value of valueEnv must be 1 to 1000");
    unlink(good);
    unlink(bad);
    unlink(empty);
    unlink(nul);
    rmdir(dir);
}

/* subjectRoles (zgw): who is entitled to see a zaak. Strict: a typo must
 * not silently entitle no one (or anyone). */
#define ZGW_ROLES(roles)                                                                           \
    "{\"agencies\":[{\"id\":\"a\",\"name\":\"A\",\"adapter\":{\"kind\":\"zgw\","                   \
    "\"zakenUrl\":\"http://x/zaken\",\"catalogiUrl\":\"http://x/c\",\"clientId\":\"c\","           \
    "\"secretEnv\":\"VOORBEELD_ZGW_SECRET\",\"subjectRoles\":" roles "}}]}"

static void test_zgw_subject_roles(void **state)
{
    (void)state;
    set_secrets();
    static const char *const ok[] = {ZGW_ROLES("[\"initiator\"]"),
                                     ZGW_ROLES("[\"initiator\",\"mede_initiator\"]"),
                                     ZGW_ROLES("[\"belanghebbende\"]")};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char err[512] = "";
        mz_agencies *a = mz_agencies_parse(ok[i], strlen(ok[i]), true, err, sizeof err);
        if (!a)
            fail_msg("refused (%s): %s", err, ok[i]);
        mz_agencies_free(a);
    }
    expect_refused(ZGW_ROLES("[]"), "(a): adapter.subjectRoles: must be a non-empty array");
    expect_refused(ZGW_ROLES("\"initiator\""), "adapter.subjectRoles: must be a non-empty array");
    expect_refused(ZGW_ROLES("[\"Initiator\"]"), "adapter.subjectRoles[0]: must be one of");
    expect_refused(ZGW_ROLES("[\"initiator\",\"getuige\"]"),
                   "adapter.subjectRoles[1]: must be one of");
    expect_refused(ZGW_ROLES("[\"initiator\",1]"), "adapter.subjectRoles[1]: must be one of");
    expect_refused(ZGW_ROLES("[\"initiator\",\"initiator\"]"),
                   "adapter.subjectRoles[1]: initiator is listed twice");
}

/* The test helper that writes a fake ZGW agency (tests/support/mzt.c)
 * gives an agency the loader accepts, with the extra settings applied. */
static void test_zgw_agency_helper(void **state)
{
    (void)state;
    setenv("MZ_TEST_ZGW_SECRET", "helper-secret", 1);
    char a[1024], b[1024], json[2200], err[512] = "";
    snprintf(json, sizeof json, "{\"agencies\":[%s,%s]}",
             mzt_zgw_agency_json(a, sizeof a, "gem", "Gemeente", 5123, "\"expand\":false", NULL),
             mzt_zgw_agency_json(b, sizeof b, "push", "Push", 5124, NULL,
                                 "\"pollIntervalSeconds\":86400,"
                                 "\"webhook\":{\"secretEnv\":\"MZ_TEST_ZGW_SECRET\"}"));
    mz_agencies *set = mz_agencies_parse(json, strlen(json), true, err, sizeof err);
    if (!set)
        fail_msg("refused: %s", err);
    assert_int_equal(set->n, 2);
    const mz_agency *g = mz_agencies_find(set, "gem"), *p = mz_agencies_find(set, "push");
    assert_non_null(g);
    assert_non_null(p);
    assert_string_equal(g->kind, "zgw");
    assert_int_equal(g->poll_interval, 3600);
    assert_non_null(strstr(g->settings_json, "http://127.0.0.1:5123/zaken/api/v1"));
    assert_non_null(strstr(g->settings_json, "http://127.0.0.1:5123/catalogi/api/v1"));
    assert_non_null(strstr(g->settings_json, "\"expand\":false"));
    assert_null(g->webhook_secret);
    assert_int_equal(p->poll_interval, 86400);
    assert_non_null(p->webhook_secret);
    assert_non_null(strstr(p->settings_json, ":5124/zaken/api/v1"));
    mz_agencies_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_is_valid),  cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_rest_json_headers), cmocka_unit_test(test_zgw_subject_roles),
        cmocka_unit_test(test_zgw_agency_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
