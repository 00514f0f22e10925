/* Unit tests for the router of service/http.c against the real route table
 * (service/routes.c), and for mz_safe_echo. */
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
#include <strings.h>

#include "config.h"
#include "http.h"

static void req_clear(mz_req *r)
{
    for (int i = 0; i < r->nparams; i++) {
        free(r->param_value[i]);
        r->param_value[i] = NULL;
    }
    r->nparams = 0;
}

/* Looks up a path that must not resolve; returns path_known. */
static bool not_found(const char *method, const char *path)
{
    bool known = true;
    char allow[64];
    memset(allow, 'x', sizeof allow);
    mz_req r;
    memset(&r, 0, sizeof r);
    const mz_route *rt = mz_route_find(method, path, &known, allow, sizeof allow, &r);
    if (rt)
        fail_msg("%s %s: unexpectedly matched %s", method, path, rt->pattern);
    assert_int_equal(r.nparams, 0);
    assert_non_null(memchr(allow, '\0', sizeof allow));
    if (!known)
        assert_string_equal(allow, "");
    req_clear(&r);
    return known;
}

static void test_list_route(void **state)
{
    (void)state;
    bool known = true;
    char allow[64];
    mz_req r;
    memset(&r, 0, sizeof r);
    const mz_route *rt = mz_route_find("GET", "/api/v1/me/cases", &known, allow, sizeof allow, &r);
    assert_non_null(rt);
    assert_string_equal(rt->pattern, "/api/v1/me/cases");
    assert_string_equal(rt->method, "GET");
    assert_true(rt->flags & MZ_R_AUTH);
    assert_true(rt->flags & MZ_R_CITIZEN);
    assert_true(rt->flags & MZ_R_PERSONAL);
    assert_int_equal(r.nparams, 0);
    /* the list route allows exactly its query parameters */
    assert_non_null(rt->query);
    const char *want[] = {"status", "agency", "pageSize", "cursor"};
    size_t nq = 0;
    while (rt->query[nq])
        nq++;
    assert_int_equal(nq, sizeof want / sizeof *want);
    for (size_t i = 0; i < nq; i++)
        assert_string_equal(rt->query[i], want[i]);
    /* r may be NULL */
    assert_ptr_equal(mz_route_find("GET", "/api/v1/me/cases", &known, allow, sizeof allow, NULL),
                     rt);
}

static void test_public_routes(void **state)
{
    (void)state;
    const char *paths[] = {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json",
                           "/api/v1/openapi.yaml"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        bool known;
        char allow[64];
        const mz_route *rt = mz_route_find("GET", paths[i], &known, allow, sizeof allow, NULL);
        assert_non_null(rt);
        assert_string_equal(rt->pattern, paths[i]);
        assert_int_equal(rt->flags & MZ_R_AUTH, 0);
    }
}

/* HEAD exists exactly on the health endpoints, with GET's handler. */
static void test_head_routes(void **state)
{
    (void)state;
    const char *paths[] = {"/healthz", "/readyz", "/metrics"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        bool known;
        const mz_route *get = mz_route_find("GET", paths[i], &known, NULL, 0, NULL);
        const mz_route *head = mz_route_find("HEAD", paths[i], &known, NULL, 0, NULL);
        assert_non_null(get);
        assert_non_null(head);
        assert_ptr_equal(head->fn, get->fn);
        assert_int_equal(head->flags, get->flags);
        assert_null(head->query);
    }
    size_t n;
    const mz_route *routes = mz_routes(&n);
    size_t heads = 0;
    for (size_t i = 0; i < n; i++)
        heads += strcmp(routes[i].method, "HEAD") == 0;
    assert_int_equal(heads, 3);
}

static void test_wrong_method(void **state)
{
    (void)state;
    const char *methods[] = {"POST",    "PUT", "DELETE", "PATCH", "HEAD",
                             "OPTIONS", "get", "head",   ""};
    const char *paths[] = {"/api/v1/me/cases", "/api/v1/me/cases/abc", "/healthz"};
    for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
        bool health = strcmp(paths[p], "/healthz") == 0;
        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
            if (health && strcmp(methods[m], "HEAD") == 0)
                continue; /* served (test_head_routes) */
            bool known = false;
            char allow[64];
            memset(allow, 'x', sizeof allow);
            mz_req r;
            memset(&r, 0, sizeof r);
            assert_null(mz_route_find(methods[m], paths[p], &known, allow, sizeof allow, &r));
            assert_true(known);
            assert_string_equal(allow, health ? "GET, HEAD" : "GET");
            assert_int_equal(r.nparams, 0);
        }
    }
    /* a short allow buffer is truncated but terminated; no buffer at all is fine */
    bool known = false;
    char tiny[2] = {'x', 'x'};
    assert_null(mz_route_find("POST", "/healthz", &known, tiny, sizeof tiny, NULL));
    assert_true(known);
    assert_string_equal(tiny, "G");
    known = false;
    assert_null(mz_route_find("POST", "/healthz", &known, NULL, 0, NULL));
    assert_true(known);
}

static void test_case_route_captures(void **state)
{
    (void)state;
    bool known = true;
    char allow[64];
    mz_req r;
    memset(&r, 0, sizeof r);
    const mz_route *rt =
        mz_route_find("GET", "/api/v1/me/cases/abc", &known, allow, sizeof allow, &r);
    assert_non_null(rt);
    assert_string_equal(rt->pattern, "/api/v1/me/cases/{caseId}");
    assert_int_equal(r.nparams, 1);
    assert_string_equal(mz_req_param(&r, "caseId"), "abc");
    assert_null(mz_req_param(&r, "case"));
    assert_null(mz_req_param(&r, "caseIdX"));
    assert_null(mz_req_param(&r, "id"));

    /* a second lookup with the same request replaces (and frees) the capture */
    rt = mz_route_find("GET", "/api/v1/me/cases/0f8fad5b-d9cb-469f-a165-70867728950e", &known,
                       allow, sizeof allow, &r);
    assert_non_null(rt);
    assert_int_equal(r.nparams, 1);
    assert_string_equal(mz_req_param(&r, "caseId"), "0f8fad5b-d9cb-469f-a165-70867728950e");

    /* a segment of exactly 200 bytes is captured whole */
    char path[400];
    int n = snprintf(path, sizeof path, "/api/v1/me/cases/");
    memset(path + n, 'z', 200);
    path[n + 200] = '\0';
    rt = mz_route_find("GET", path, &known, allow, sizeof allow, &r);
    assert_non_null(rt);
    assert_int_equal(r.nparams, 1);
    assert_int_equal(strlen(mz_req_param(&r, "caseId")), 200);
    req_clear(&r);

    /* the segment is taken as is: no decoding, dots kept */
    rt = mz_route_find("GET", "/api/v1/me/cases/a%2Fb..", &known, allow, sizeof allow, &r);
    assert_non_null(rt);
    assert_string_equal(mz_req_param(&r, "caseId"), "a%2Fb..");
    req_clear(&r);
}

static void test_not_found(void **state)
{
    (void)state;
    assert_false(not_found("GET", "/api/v1/me/cases/"));
    assert_false(not_found("POST", "/api/v1/me/cases/"));
    assert_false(not_found("GET", "/api/v1/me/cases/abc/def"));
    assert_false(not_found("GET", "/api/v1/me/cases/abc/"));
    assert_false(not_found("GET", "//api/v1/me/cases"));
    assert_false(not_found("GET", "/api/v1/me//cases"));
    assert_false(not_found("GET", "/api/v1/me/cases//abc"));
    assert_false(not_found("GET", "/api/v1/me/casesX"));
    assert_false(not_found("GET", "/api/v1/me/case"));
    assert_false(not_found("GET", "/api/v1/me/cases?x=1"));
    assert_false(not_found("GET", "/API/v1/me/cases"));
    assert_false(not_found("GET", "/api/v1/me"));
    assert_false(not_found("GET", "/api/v1"));
    assert_false(not_found("GET", "api/v1/me/cases"));
    assert_false(not_found("GET", ""));
    assert_false(not_found("GET", "/"));
    assert_false(not_found("GET", "/healthz/"));
    assert_false(not_found("GET", "/healthzz"));
    assert_false(not_found("GET", "/api/v1/{caseId}"));

    /* segments longer than 200 bytes are refused */
    char path[600];
    int n = snprintf(path, sizeof path, "/api/v1/me/cases/");
    memset(path + n, 'a', 201);
    path[n + 201] = '\0';
    assert_false(not_found("GET", path));
    memset(path + n, 'a', 300);
    path[n + 300] = '\0';
    assert_false(not_found("GET", path));
    assert_false(not_found("POST", path));
}

/* One problem type, one slug, one status, one title (http.c's table). */
static void test_problem_types(void **state)
{
    (void)state;
    size_t n = 0;
    const mz_problem_type *t = mz_problem_types(&n);
    assert_int_equal(n, MZ_P_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].id, (mz_problem)i); /* indexed by its enum */
        assert_non_null(t[i].slug);
        assert_non_null(t[i].title);
        assert_true(t[i].title[0] != '\0');
        assert_true(t[i].status >= 400 && t[i].status <= 599);
        assert_int_equal(strspn(t[i].slug, "abcdefghijklmnopqrstuvwxyz-"), strlen(t[i].slug));
        for (size_t j = 0; j < i; j++) {
            if (strcmp(t[i].slug, t[j].slug) == 0)
                fail_msg("problem type \"%s\" is in the table twice", t[i].slug);
            if (strcmp(t[i].title, t[j].title) == 0)
                fail_msg("\"%s\" and \"%s\" share the title \"%s\"", t[i].slug, t[j].slug,
                         t[i].title);
        }
    }
}

typedef struct hdr_count {
    const char *name;
    unsigned n;
    const char *value;
} hdr_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    hdr_count *h = cls;
    if (strcasecmp(key, h->name) == 0) {
        h->n++;
        h->value = value;
    }
    return MHD_YES;
}

/* Every 503 — problem, JSON or text, through any reply function — carries
 * exactly one Retry-After, and no other status does; a problem's status is
 * its type's. */
static void test_reply_problem_and_retry_after(void **state)
{
    (void)state;
    for (int kind = 0; kind < 4; kind++) {
        for (int s503 = 0; s503 < 2; s503++) {
            mz_req r;
            memset(&r, 0, sizeof r);
            snprintf(r.request_id, sizeof r.request_id, "testid");
            mz_buf b = MZ_BUF_INIT;
            mz_buf_puts(&b, "{}");
            unsigned status = s503 ? 503 : 404;
            if (kind == 0)
                mz_reply_problem(&r, s503 ? MZ_P_SERVICE_UNAVAILABLE : MZ_P_NOT_FOUND, "x");
            else if (kind == 1)
                mz_reply_json(&r, status, &b);
            else if (kind == 2)
                mz_reply_text(&r, status, "text/plain", &b);
            else if (s503)
                mz_reply_unavailable(&r, "the database is not reachable");
            else
                mz_reply_static(&r, status, "text/plain", "x", 1);
            mz_buf_free(&b);
            assert_non_null(r.resp);
            assert_int_equal(r.status, status);
            hdr_count h = {.name = "Retry-After"};
            MHD_get_response_headers(r.resp, count_header, &h);
            if (h.n != (unsigned)s503)
                fail_msg("reply kind %d, status %u: %u Retry-After headers", kind, status, h.n);
            if (s503)
                assert_true(atoi(h.value) > 0);
            MHD_destroy_response(r.resp);
        }
    }
}

static void test_routes_table_shape(void **state)
{
    (void)state;
    size_t n = 0;
    const mz_route *routes = mz_routes(&n);
    assert_non_null(routes);
    assert_true(n >= 7);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(routes[i].method);
        assert_non_null(routes[i].pattern);
        assert_non_null(routes[i].fn);
        assert_int_equal(routes[i].pattern[0], '/');
        /* personal data is only ever served behind authentication */
        if (routes[i].flags & (MZ_R_PERSONAL | MZ_R_CITIZEN))
            assert_true(routes[i].flags & MZ_R_AUTH);
        /* only the contract may be kept by caches (no Cache-Control:
         * no-store): nothing authenticated, personal, development-only or
         * written to */
        if (routes[i].flags & MZ_R_PUBLIC) {
            assert_int_equal(routes[i].flags & (MZ_R_AUTH | MZ_R_PERSONAL | MZ_R_DEV), 0);
            assert_string_equal(routes[i].method, "GET");
            if (strncmp(routes[i].pattern, "/api/v1/openapi.", 16) != 0)
                fail_msg("%s may be cached", routes[i].pattern);
        }
        /* every route is reachable through the router (development-only
         * routes in development mode only, and invisible otherwise) */
        if (!strchr(routes[i].pattern, '{')) {
            bool known;
            g_mz_config.dev_mode = true;
            assert_ptr_equal(
                mz_route_find(routes[i].method, routes[i].pattern, &known, NULL, 0, NULL),
                &routes[i]);
            g_mz_config.dev_mode = false;
            if (routes[i].flags & MZ_R_DEV) {
                assert_null(
                    mz_route_find(routes[i].method, routes[i].pattern, &known, NULL, 0, NULL));
                assert_false(known);
                assert_null(mz_route_find("GET", routes[i].pattern, &known, NULL, 0, NULL));
                assert_false(known); /* no 405 that would reveal it */
            }
        }
    }
}

/* The raw request target: escapes must be two hex digits, never %00
 * (tests/integration/test_hardening.c test_raw_path_routing sends them). */
static void test_target_problem(void **state)
{
    (void)state;
    const char *ok[] = {"",
                        "/",
                        "/metrics",
                        "/met%72ics",
                        "/a%2Fb",
                        "/a%2fb",
                        "/api/v1/me/cases?status=%6Fpen&cursor=abc",
                        "/x?q=%C3%A9",
                        "/%01",
                        "/%FF",
                        "/%0A",
                        "/%10%20"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (mz_target_problem(ok[i]))
            fail_msg("refused %s: %s", ok[i], mz_target_problem(ok[i]));
    const char *nul[] = {"/metrics%00.css", "/%00", "/x?a=open%00x", "/x?a%00=1", "/%01%00"};
    for (size_t i = 0; i < sizeof nul / sizeof *nul; i++) {
        const char *why = mz_target_problem(nul[i]);
        if (!why || !strstr(why, "%00"))
            fail_msg("accepted %s", nul[i]);
    }
    const char *broken[] = {"%",    "/%",     "/%4",   "/%zz", "/%4g", "/%g4",
                            "/a%%", "/x?a=%", "/x?%2", "/%-1", "/% 1", "/%\x80\x80"};
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
        const char *why = mz_target_problem(broken[i]);
        if (!why || !strstr(why, "percent-escape"))
            fail_msg("accepted %s", broken[i]);
    }
}

static void test_safe_echo(void **state)
{
    (void)state;
    const char *echoed[] = {"status",
                            "pageSize",
                            "cursor",
                            "a",
                            "x_y-z.w",
                            "filter[status]",
                            "123456789",  /* 9 digits failing the 11-proof */
                            "1999993653", /* 10 digits */
                            "abcdefghijabcdefghijabcdefghijabcdefghij" /* 40 */};
    for (size_t i = 0; i < sizeof echoed / sizeof *echoed; i++)
        assert_ptr_equal(mz_safe_echo(echoed[i]), echoed[i]);

    const char *redacted[] = {
        NULL,
        "",
        "999993653",
        "x999993653",
        "999993653x",
        "a_999990019_b",
        "has space",
        "quote\"d",
        "single'quote",
        "<script>",
        "a/b",
        "a=b",
        "a&b",
        "tab\there",
        "new\nline",
        "caf\xc3\xa9",
        "abcdefghijabcdefghijabcdefghijabcdefghijk", /* 41 */
    };
    for (size_t i = 0; i < sizeof redacted / sizeof *redacted; i++) {
        const char *got = mz_safe_echo(redacted[i]);
        assert_non_null(got);
        if (strcmp(got, "(redacted)") != 0)
            fail_msg("case %zu echoed \"%s\"", i, got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_route),
        cmocka_unit_test(test_public_routes),
        cmocka_unit_test(test_head_routes),
        cmocka_unit_test(test_wrong_method),
        cmocka_unit_test(test_case_route_captures),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_routes_table_shape),
        cmocka_unit_test(test_target_problem),
        cmocka_unit_test(test_safe_echo),
        cmocka_unit_test(test_problem_types),
        cmocka_unit_test(test_reply_problem_and_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
