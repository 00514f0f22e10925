/* Unit tests for tests/support/oas.c: the OpenAPI response validator, against
 * the real contract (openapi/openapi.yaml, embedded) and small inline
 * documents for the schema engine. */
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

#include "buf.h"
#include "embedded.h"
#include "http.h"
#include "json.h"
#include "oas.h"
#include "yamljson.h"

#define LIST_PATH   "/api/v1/me/cases"
#define DETAIL_PATH "/api/v1/me/cases/7b2e1d0c-4a5f-4e3b-8c9d-0e1f2a3b4c5d"
#define JSON_CT     "application/json"
#define PROBLEM_CT  "application/problem+json"

/* A CaseList written by hand from the schema: a full case, and a case with
 * every nullable member null or minimal. */
static const char case_list[] =
    "{\"items\":["
    "{\"id\":\"3f9c2a4e-8b1d-4c7e-9a2f-5d6e7f8a9b0c\","
    "\"agency\":{\"id\":\"gemeente-voorbeeld\",\"name\":\"Gemeente Voorbeeld\","
    "\"contact\":{\"url\":\"https://www.voorbeeld.example/contact\",\"phone\":\"14 012\"}},"
    "\"caseNumber\":\"ZAAK-2024-000123\",\"title\":\"Aanvraag parkeervergunning\","
    "\"caseType\":{\"code\":\"PARKEERVERGUNNING\",\"label\":\"Parkeervergunning\"},"
    "\"status\":{\"group\":\"in_progress\",\"text\":\"In behandeling\","
    "\"since\":\"2024-03-04T09:15:00Z\"},"
    "\"isOpen\":true,"
    "\"dates\":{\"registered\":{\"date\":\"2024-03-01\",\"meaning\":\"registered\","
    "\"label\":\"Ontvangen op\"},"
    "\"plannedEnd\":{\"date\":\"2024-03-29\",\"meaning\":\"indicative\","
    "\"label\":\"Verwachte beslisdatum (indicatief)\"}},"
    "\"result\":null,\"action\":null,"
    "\"links\":{\"agencyPage\":\"https://www.voorbeeld.example/mijn/zaken/ZAAK-2024-000123\"},"
    "\"source\":{\"lastSyncedAt\":\"2024-03-05T10:00:00.123456+01:00\",\"via\":\"webhook\"},"
    "\"updatedAt\":\"2024-03-05T10:00:00Z\"},"
    "{\"id\":\"7b2e1d0c-4a5f-4e3b-8c9d-0e1f2a3b4c5d\","
    "\"agency\":{\"id\":\"uwv\",\"name\":\"UWV\",\"contact\":{\"url\":null,\"phone\":null}},"
    "\"caseNumber\":null,\"title\":\"Aanvraag WW-uitkering\","
    "\"caseType\":{\"code\":null,\"label\":null},"
    "\"status\":{\"group\":\"decided\",\"text\":\"Besluit genomen\","
    "\"since\":\"2024-02-29T23:59:60-05:30\"},"
    "\"isOpen\":false,\"dates\":{},"
    "\"result\":{\"text\":\"Toegekend\"},"
    "\"action\":{\"text\":\"Stuur uw loonstrook op.\",\"url\":null,\"dueDate\":\"2024-02-29\"},"
    "\"links\":{\"agencyPage\":null},"
    "\"source\":{\"lastSyncedAt\":\"2024-02-21T06:00:00Z\",\"via\":\"poll\"},"
    "\"updatedAt\":\"2024-02-21T06:00:00Z\"}"
    "],\"page\":{\"size\":20,\"next\":null},"
    "\"_links\":{\"self\":{\"href\":\"/api/v1/me/cases?pageSize=20\"}},"
    "\"sources\":[{\"agency\":{\"id\":\"uwv\",\"name\":\"UWV\"},\"freshness\":\"fresh\","
    "\"lastSyncedAt\":\"2026-03-01T10:00:00Z\"}]}";

/* A CaseDetail: a case plus its timeline. */
static const char case_detail[] =
    "{\"id\":\"7b2e1d0c-4a5f-4e3b-8c9d-0e1f2a3b4c5d\","
    "\"agency\":{\"id\":\"uwv\",\"name\":\"UWV\",\"contact\":{\"url\":null,\"phone\":null}},"
    "\"caseNumber\":null,\"title\":\"Aanvraag WW-uitkering\","
    "\"caseType\":{\"code\":null,\"label\":\"WW-uitkering\"},"
    "\"status\":{\"group\":\"action_required\",\"text\":\"Wacht op gegevens\","
    "\"since\":\"2024-02-20T13:30:00Z\"},"
    "\"isOpen\":true,\"dates\":{\"legalDeadline\":{\"date\":\"2024-03-25\","
    "\"meaning\":\"legal_deadline\",\"label\":\"Uiterste beslisdatum\"}},"
    "\"result\":null,\"action\":{\"text\":\"Stuur uw loonstrook op.\","
    "\"url\":\"https://www.uwv.example/upload\",\"dueDate\":null},"
    "\"links\":{\"agencyPage\":null},"
    "\"source\":{\"lastSyncedAt\":\"2024-02-21T06:00:00Z\",\"via\":\"poll\"},"
    "\"updatedAt\":\"2024-02-21T06:00:00Z\","
    "\"timeline\":["
    "{\"statusGroup\":\"received\",\"text\":\"Ontvangen\",\"occurredAt\":\"2024-02-12T08:02:11Z\","
    "\"source\":\"poll\"},"
    "{\"statusGroup\":\"action_required\",\"text\":\"Wacht op gegevens\","
    "\"occurredAt\":\"2024-02-20T13:30:00Z\",\"source\":\"seed\"}],"
    "\"decisions\":[{\"id\":\"2c9a7f3e-1b4d-4e6f-9a0b-3c5d7e9f1a2b\",\"date\":\"2024-03-01\","
    "\"effectiveFrom\":\"2024-03-01\",\"effectiveUntil\":null,\"text\":\"Toegekend\","
    "\"documents\":[\"3c9a7f3e-1b4d-4e6f-9a0b-3c5d7e9f1a2b\"]}]}";

static const char problem_400[] = "{\"type\":\"urn:mijnzaken:problem:bad-parameter\","
                                  "\"title\":\"Invalid parameter\",\"status\":400,"
                                  "\"detail\":\"pageSize must be an integer from 1 to 100\","
                                  "\"instance\":\"/api/v1/me/cases\"}";

/* ---- helpers ------------------------------------------------------------ */

static int setup(void **state)
{
    char err[512];
    oas *o = oas_load_embedded(err, sizeof err);
    if (!o) {
        fprintf(stderr, "oas_load_embedded: %s\n", err);
        return -1;
    }
    *state = o;
    return 0;
}

static int teardown(void **state)
{
    oas_free(*state);
    return 0;
}

/* s with the one occurrence of from replaced by to (malloc'd). */
static char *replace_once(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at)
        fail_msg("\"%s\" not in the body", from);
    if (strstr(at + 1, from))
        fail_msg("\"%s\" occurs more than once", from);
    size_t pre = (size_t)(at - s), fl = strlen(from), tl = strlen(to), rest = strlen(at + fl);
    char *out = malloc(pre + tl + rest + 1);
    assert_non_null(out);
    memcpy(out, s, pre);
    memcpy(out + pre, to, tl);
    memcpy(out + pre + tl, at + fl, rest + 1);
    return out;
}

static void expect_ok(const oas *o, const char *method, const char *path, int status,
                      const char *ct, const char *body)
{
    char err[1024];
    memset(err, 'x', sizeof err);
    if (!oas_check(o, method, path, status, ct, body, body ? strlen(body) : 0, err, sizeof err))
        fail_msg("%s %s %d refused: %s", method, path, status, err);
    assert_string_equal(err, "");
}

/* Fails unless the check fails with a message containing want (or, when
 * want starts with '=', equal to the rest of it). */
static void expect_fail(const oas *o, const char *method, const char *path, int status,
                        const char *ct, const char *body, const char *want)
{
    char err[1024];
    memset(err, 'x', sizeof err);
    if (oas_check(o, method, path, status, ct, body, body ? strlen(body) : 0, err, sizeof err))
        fail_msg("%s %s %d accepted, expected: %s", method, path, status, want);
    assert_non_null(memchr(err, '\0', sizeof err));
    bool match = want[0] == '=' ? strcmp(err, want + 1) == 0 : strstr(err, want) != NULL;
    if (!match)
        fail_msg("error \"%s\"\n expected \"%s\"", err, want);
}

/* Mutates the valid CaseList and expects exactly the message want. */
static void list_mutation(void **state, const char *from, const char *to, const char *want)
{
    char *body = replace_once(case_list, from, to);
    expect_fail(*state, "GET", LIST_PATH, 200, JSON_CT, body, want);
    free(body);
}

static void detail_mutation(void **state, const char *from, const char *to, const char *want)
{
    char *body = replace_once(case_detail, from, to);
    expect_fail(*state, "GET", DETAIL_PATH, 200, JSON_CT, body, want);
    free(body);
}

/* ---- the real document: valid responses --------------------------------- */

static void valid_case_list(void **state)
{
    expect_ok(*state, "GET", LIST_PATH, 200, JSON_CT, case_list);
    /* media type parameters and case are not significant; method case neither */
    expect_ok(*state, "get", LIST_PATH, 200, "Application/JSON; charset=utf-8", case_list);
    /* a query string is ignored */
    expect_ok(*state, "GET", LIST_PATH "?pageSize=20", 200, JSON_CT, case_list);
    expect_ok(*state, "GET", LIST_PATH, 200, JSON_CT,
              "{\"items\":[],\"page\":{\"size\":1,\"next\":\"abc\"},"
              "\"_links\":{\"self\":{\"href\":\"/api/v1/me/cases?pageSize=1\"},"
              "\"next\":{\"href\":\"/api/v1/me/cases?pageSize=1&cursor=abc\"}},"
              "\"sources\":[]}");
}

static void valid_case_detail(void **state)
{
    expect_ok(*state, "GET", DETAIL_PATH, 200, JSON_CT, case_detail);
}

static void valid_problem(void **state)
{
    expect_ok(*state, "GET", LIST_PATH, 400, PROBLEM_CT, problem_400);
    expect_ok(*state, "GET", DETAIL_PATH, 404, PROBLEM_CT,
              "{\"type\":\"urn:mijnzaken:problem:not-found\",\"title\":\"Not found\","
              "\"status\":404,\"detail\":\"No such case.\"}");
    expect_ok(*state, "GET", "/readyz", 503, "application/problem+json; charset=utf-8",
              "{\"type\":\"urn:mijnzaken:problem:service-unavailable\",\"title\":\"x\","
              "\"status\":503,\"detail\":\"y\"}");
}

static void valid_operational(void **state)
{
    expect_ok(*state, "GET", "/healthz", 200, JSON_CT, "{\"status\":\"ok\"}");
    expect_ok(*state, "GET", "/readyz", 200, JSON_CT, "{\"status\":\"ready\"}");
    expect_ok(*state, "GET", "/metrics", 200, "text/plain; version=0.0.4",
              "# TYPE mz_up gauge\nmz_up 1\n");
    expect_fail(*state, "GET", "/healthz", 200, JSON_CT, "{\"status\":\"fine\"}",
                "=/status: value not in enum");
    /* the operational endpoints are at the root, not under /api/v1 */
    expect_fail(*state, "GET", "/api/v1/healthz", 200, JSON_CT, "{\"status\":\"ok\"}",
                "=undocumented path: /api/v1/healthz");
}

/* The document served at /api/v1/openapi.json is itself an OpenApiDocument. */
static void valid_openapi_json(void **state)
{
    char err[256];
    char *json = mz_yaml_to_json(mz_openapi_yaml, mz_openapi_yaml_len, err, sizeof err);
    if (!json)
        fail_msg("%s", err);
    expect_ok(*state, "GET", "/api/v1/openapi.json", 200, JSON_CT, json);
    free(json);
    expect_fail(*state, "GET", "/api/v1/openapi.json", 200, JSON_CT, "{\"openapi\":\"3.0.3\"}",
                "=(root): missing required property \"info\"");
    expect_ok(*state, "GET", "/api/v1/openapi.yaml", 200, "application/yaml", mz_openapi_yaml);
}

/* ---- the real document: mutations ----------------------------------------- */

static void bad_enum(void **state)
{
    list_mutation(state, "\"group\":\"in_progress\"", "\"group\":\"busy\"",
                  "=/items/0/status/group: value not in enum");
}

static void missing_required(void **state)
{
    list_mutation(state, "\"title\":\"Aanvraag parkeervergunning\",", "",
                  "=/items/0: missing required property \"title\"");
}

static void string_for_integer(void **state)
{
    list_mutation(state, "\"size\":20", "\"size\":\"20\"",
                  "=/page/size: expected integer, got string");
}

static void number_for_integer(void **state)
{
    list_mutation(state, "\"size\":20", "\"size\":20.0",
                  "=/page/size: expected integer, got number");
}

static void out_of_range(void **state)
{
    list_mutation(state, "\"size\":20", "\"size\":0", "=/page/size: value below minimum 1");
    list_mutation(state, "\"size\":20", "\"size\":101", "=/page/size: value above maximum 100");
}

static void bad_date(void **state)
{
    list_mutation(state, "\"date\":\"2024-03-01\"", "\"date\":\"2026-13-01\"",
                  "=/items/0/dates/registered/date: not a valid date (format \"date\")");
    list_mutation(state, "\"dueDate\":\"2024-02-29\"", "\"dueDate\":\"2023-02-29\"",
                  "=/items/1/action/dueDate: not a valid date (format \"date\")");
}

static void bad_date_time(void **state)
{
    list_mutation(state, "\"since\":\"2024-03-04T09:15:00Z\"", "\"since\":\"2024-03-04 09:15:00\"",
                  "=/items/0/status/since: not a valid date-time (format \"date-time\")");
    /* Postgres' short offset form is not RFC 3339 */
    list_mutation(state, "\"updatedAt\":\"2024-03-05T10:00:00Z\"",
                  "\"updatedAt\":\"2024-03-05T10:00:00+01\"",
                  "=/items/0/updatedAt: not a valid date-time (format \"date-time\")");
}

static void non_uuid_id(void **state)
{
    list_mutation(state, "\"id\":\"3f9c2a4e-8b1d-4c7e-9a2f-5d6e7f8a9b0c\"",
                  "\"id\":\"3f9c2a4e8b1d4c7e9a2f5d6e7f8a9b0c\"",
                  "=/items/0/id: not a valid uuid (format \"uuid\")");
}

static void null_not_nullable(void **state)
{
    list_mutation(state, "\"title\":\"Aanvraag WW-uitkering\"", "\"title\":null",
                  "=/items/1/title: expected string, got null");
    list_mutation(state, "\"status\":{\"group\":\"decided\"", "\"status\":{\"group\":null",
                  "=/items/1/status/group: expected string, got null");
}

static void nested_objects(void **state)
{
    list_mutation(state, "\"result\":{\"text\":\"Toegekend\"}", "\"result\":{}",
                  "=/items/1/result: missing required property \"text\"");
    list_mutation(state, "\"url\":null,\"dueDate\"", "\"dueDate\"",
                  "=/items/1/action: missing required property \"url\"");
    list_mutation(state, "\"isOpen\":false", "\"isOpen\":\"false\"",
                  "=/items/1/isOpen: expected boolean, got string");
    list_mutation(state, "\"id\":\"gemeente-voorbeeld\"", "\"id\":\"Gemeente Voorbeeld\"",
                  "=/items/0/agency/id: string does not match pattern "
                  "\"^[a-z0-9][a-z0-9-]{0,62}$\"");
    list_mutation(state, "\"via\":\"poll\"", "\"via\":\"push\"",
                  "=/items/1/source/via: value not in enum");
    list_mutation(state, "\"_links\":{\"self\":{\"href\":\"/api/v1/me/cases?pageSize=20\"}}",
                  "\"_links\":{}", "=/_links: missing required property \"self\"");
    list_mutation(state, "\"page\":{\"size\":20,\"next\":null}", "\"page\":[]",
                  "=/page: expected object, got array");
    list_mutation(state, "\"phone\":\"14 012\"", "\"phone\":14012",
                  "=/items/0/agency/contact/phone: expected string, got integer");
}

static void too_many_items(void **state)
{
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"items\":[");
    const char *start = strchr(case_list, '[') + 1;
    const char *end = strstr(start, "},{\"id\"") + 1; /* the first case */
    for (int i = 0; i < 101; i++) {
        if (i)
            mz_buf_putc(&b, ',');
        mz_buf_append(&b, start, (size_t)(end - start));
    }
    mz_buf_puts(&b, "],\"page\":{\"size\":100,\"next\":null},"
                    "\"_links\":{\"self\":{\"href\":\"/x\"}},\"sources\":[]}");
    expect_fail(*state, "GET", LIST_PATH, 200, JSON_CT, b.data,
                "=/items: array has 101 items, more than maxItems 100");
    mz_buf_free(&b);
}

static void detail_mutations(void **state)
{
    detail_mutation(state, ",\"timeline\":[", ",\"history\":[",
                    "=(root): missing required property \"timeline\"");
    detail_mutation(state, "{\"statusGroup\":\"action_required\"", "{\"statusGroup\":\"waiting\"",
                    "=/timeline/1/statusGroup: value not in enum");
    detail_mutation(state, "\"occurredAt\":\"2024-02-12T08:02:11Z\"",
                    "\"occurredAt\":\"2024-02-12T08:02:11\"",
                    "=/timeline/0/occurredAt: not a valid date-time (format \"date-time\")");
    /* the Case half of the allOf is checked as well */
    detail_mutation(state, "\"isOpen\":true", "\"isOpen\":1",
                    "=/isOpen: expected boolean, got integer");
}

static void bad_problem(void **state)
{
    char *body = replace_once(problem_400, "\"status\":400", "\"status\":200");
    expect_fail(*state, "GET", LIST_PATH, 400, PROBLEM_CT, body,
                "=/status: value below minimum 400");
    free(body);
    body =
        replace_once(problem_400, "\"detail\":\"pageSize must be an integer from 1 to 100\",", "");
    expect_fail(*state, "GET", LIST_PATH, 400, PROBLEM_CT, body,
                "=(root): missing required property \"detail\"");
    free(body);
    body = replace_once(problem_400, "\"instance\":\"/api/v1/me/cases\"",
                        "\"instance\":\"/api/v1/me cases\"");
    expect_fail(*state, "GET", LIST_PATH, 400, PROBLEM_CT, body,
                "=/instance: not a valid uri-reference (format \"uri-reference\")");
    free(body);
}

static void invalid_json_body(void **state)
{
    expect_fail(*state, "GET", LIST_PATH, 200, JSON_CT, "{\"items\":", "body is not valid JSON");
    expect_fail(*state, "GET", LIST_PATH, 200, JSON_CT, "", "body is not valid JSON");
}

/* ---- the real document: what is not documented --------------------------- */

static void undocumented_path(void **state)
{
    expect_fail(*state, "GET", "/api/v1/me/zaken", 200, JSON_CT, "{}",
                "=undocumented path: /api/v1/me/zaken");
    expect_fail(*state, "GET", "/api/v1/me/cases/", 200, JSON_CT, "{}", "undocumented path");
    expect_fail(*state, "GET", "/api/v1/me/cases/a/b", 200, JSON_CT, "{}", "undocumented path");
    expect_fail(*state, "GET", "/me/cases", 200, JSON_CT, "{}", "undocumented path");
}

static void undocumented_method(void **state)
{
    expect_fail(*state, "POST", LIST_PATH, 200, JSON_CT, case_list,
                "=undocumented operation: POST /api/v1/me/cases (the path has other methods)");
    expect_fail(*state, "DELETE", DETAIL_PATH, 204, NULL, "", "undocumented operation");
}

static void undocumented_status(void **state)
{
    expect_fail(*state, "GET", LIST_PATH, 404, PROBLEM_CT, problem_400,
                "=GET /api/v1/me/cases: status 404 not documented");
    expect_fail(*state, "GET", "/healthz", 418, JSON_CT, "{}",
                "=GET /healthz: status 418 not documented");
}

static void wrong_content_type(void **state)
{
    expect_fail(*state, "GET", LIST_PATH, 200, "text/html", case_list,
                "=GET /api/v1/me/cases 200: content type \"text/html\" not documented "
                "(documented: application/json)");
    /* a problem must be application/problem+json, not application/json */
    expect_fail(*state, "GET", LIST_PATH, 400, JSON_CT, problem_400,
                "content type \"application/json\" not documented");
    expect_fail(*state, "GET", LIST_PATH, 200, NULL, case_list,
                "=GET /api/v1/me/cases 200: no Content-Type (documented: application/json)");
    expect_fail(*state, "GET", "/metrics", 200, "application/openmetrics-text", "x",
                "not documented (documented: text/plain; version=0.0.4)");
}

/* ---- the real document: operations and examples --------------------------- */

typedef struct op_list {
    size_t n;
    char ops[64][128];
} op_list;

static void collect(const char *method, const char *full_path, void *ud)
{
    op_list *l = ud;
    if (l->n < 64)
        snprintf(l->ops[l->n++], sizeof l->ops[0], "%s %s", method, full_path);
}

static bool has_op(const op_list *l, const char *op)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->ops[i], op) == 0)
            return true;
    return false;
}

/* The route table (service/routes.c) and the contract list exactly the
 * same operations: a route the spec lacks, or the reverse, fails here. */
static void each_operation(void **state)
{
    op_list l = {0};
    oas_each_operation(*state, collect, &l);
    size_t n;
    const mz_route *routes = mz_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char op[300];
        snprintf(op, sizeof op, "%s %s", routes[i].method, routes[i].pattern);
        if (!has_op(&l, op))
            fail_msg("route \"%s\" is missing from openapi/openapi.yaml", op);
    }
    for (size_t i = 0; i < l.n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++) {
            char op[300];
            snprintf(op, sizeof op, "%s %s", routes[j].method, routes[j].pattern);
            found = strcmp(op, l.ops[i]) == 0;
        }
        if (!found)
            fail_msg("openapi/openapi.yaml documents \"%s\" but no route serves it", l.ops[i]);
    }
    assert_int_equal(l.n, n);
    assert_true(has_op(&l, "GET /api/v1/me/cases/{caseId}"));
    assert_true(has_op(&l, "GET /healthz"));
}

typedef struct name_list {
    size_t n;
    char names[16][64];
} name_list;

static void collect_name(const char *name, void *ud)
{
    name_list *l = ud;
    if (l->n < 16)
        snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
}

static bool in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* Each route's whitelist of query parameters (routes.c; anything else is a
 * 400 from the router) is exactly the operation's parameters "in: query":
 * a documented parameter the router refuses, or an accepted one the
 * contract does not mention, fails here. */
static void route_query_parameters(void **state)
{
    size_t n;
    const mz_route *routes = mz_routes(&n);
    size_t with_query = 0;
    for (size_t i = 0; i < n; i++) {
        name_list l = {0};
        int got = oas_operation_params(*state, routes[i].method, routes[i].pattern, "query",
                                       collect_name, &l);
        if (got < 0)
            fail_msg("%s %s: no such operation in openapi/openapi.yaml", routes[i].method,
                     routes[i].pattern);
        for (size_t k = 0; k < l.n; k++)
            if (!in_list(routes[i].query, l.names[k]))
                fail_msg("%s %s: query parameter \"%s\" is documented but the route refuses it",
                         routes[i].method, routes[i].pattern, l.names[k]);
        size_t nq = 0;
        for (const char *const *q = routes[i].query; q && *q; q++, nq++) {
            bool documented = false;
            for (size_t k = 0; k < l.n && !documented; k++)
                documented = strcmp(l.names[k], *q) == 0;
            if (!documented)
                fail_msg("%s %s: query parameter \"%s\" is accepted but not documented",
                         routes[i].method, routes[i].pattern, *q);
        }
        assert_int_equal((size_t)got, nq);
        with_query += nq > 0;
    }
    assert_true(with_query >= 3); /* me/cases, me/access-log, cases/{caseId} */
    /* path parameters come from the path item too */
    name_list l = {0};
    assert_int_equal(
        oas_operation_params(*state, "GET", "/api/v1/me/cases/{caseId}", "path", collect_name, &l),
        1);
    assert_string_equal(l.names[0], "caseId");
    assert_int_equal(oas_operation_params(*state, "GET", "/api/v1/nope", "query", NULL, NULL), -1);
}

/* The security schemes a route's flags call for. */
static const char *route_scheme(unsigned flags)
{
    if (!(flags & MZ_R_AUTH))
        return NULL;
    if (flags & MZ_R_CITIZEN)
        return "citizenToken";
    if (flags & MZ_R_PROFESSIONAL)
        return "professionalToken";
    if (flags & MZ_R_ADMIN)
        return "adminToken";
    return "(any token: no scheme documents that)";
}

typedef struct sec_seen {
    size_t n;
    char scheme[8][64];
    char type[8][16];
    char http_scheme[8][16];
} sec_seen;

static void collect_scheme(size_t alt, const char *scheme, const char *type,
                           const char *http_scheme, void *ud)
{
    (void)alt;
    sec_seen *s = ud;
    if (s->n < 8) {
        snprintf(s->scheme[s->n], sizeof s->scheme[0], "%s", scheme);
        snprintf(s->type[s->n], sizeof s->type[0], "%s", type ? type : "(undefined)");
        snprintf(s->http_scheme[s->n], sizeof s->http_scheme[0], "%s",
                 http_scheme ? http_scheme : "(none)");
        s->n++;
    }
}

/* Each route's authentication (routes.c flags: MZ_R_AUTH and the citizen,
 * professional or admin requirement that http.c's dispatch enforces) is
 * what the operation's "security" says: no credentials ("security: []")
 * for routes without MZ_R_AUTH, else two alternatives: the one bearer
 * scheme of its kind of token (http bearer) and the session cookie
 * (sessionCookie, apiKey in a cookie); MZ_R_SESSION routes the cookie only.
 * Every operation states its security itself (the document has no
 * default, so none can be inherited by mistake). */
static void route_security(void **state)
{
    size_t n;
    const mz_route *routes = mz_routes(&n);
    size_t authed = 0;
    for (size_t i = 0; i < n; i++) {
        const mz_route *rt = &routes[i];
        sec_seen s = {0};
        bool declared = false;
        int alts =
            oas_operation_security(*state, rt->method, rt->pattern, collect_scheme, &s, &declared);
        if (alts < 0)
            fail_msg("%s %s: no such operation", rt->method, rt->pattern);
        if (!declared)
            fail_msg("%s %s: the operation states no \"security\"", rt->method, rt->pattern);
        if (rt->flags & MZ_R_SESSION) { /* the cookie only (GET /api/v1/session) */
            authed++;
            if (alts != 1 || s.n != 1 || strcmp(s.scheme[0], "sessionCookie") != 0)
                fail_msg("%s %s: the route needs the session cookie; the contract says %d "
                         "alternative(s), first \"%s\"",
                         rt->method, rt->pattern, alts, s.n ? s.scheme[0] : "(none)");
            assert_string_equal(s.type[0], "apiKey");
            continue;
        }
        const char *want = route_scheme(rt->flags);
        if (!want) {
            if (alts != 0)
                fail_msg("%s %s: the route takes no token but the contract asks for \"%s\"",
                         rt->method, rt->pattern, s.n ? s.scheme[0] : "?");
            continue;
        }
        authed++;
        /* its bearer scheme, or the session cookie (http.c accepts either) */
        if (alts != 2 || s.n != 2 || strcmp(s.scheme[0], want) != 0 ||
            strcmp(s.scheme[1], "sessionCookie") != 0)
            fail_msg("%s %s: the route requires %s or sessionCookie; the contract says %d "
                     "alternative(s), first \"%s\"",
                     rt->method, rt->pattern, want, alts, s.n ? s.scheme[0] : "(none)");
        assert_string_equal(s.type[0], "http");
        assert_string_equal(s.http_scheme[0], "bearer");
        assert_string_equal(s.type[1], "apiKey");
    }
    assert_true(authed >= 8);
}

/* Every problem example in the document (any object whose "type" is
 * urn:mijnzaken:problem:<slug>) has its type's status and title from the
 * service's table (http.c); counts the examples. */
static size_t check_problem_examples(const mz_json *v)
{
    size_t n = 0;
    if (!v || (v->type != MZ_JSON_OBJECT && v->type != MZ_JSON_ARRAY))
        return 0;
    const char *type = mz_json_string(mz_json_get(v, "type"), NULL);
    static const char urn[] = "urn:mijnzaken:problem:";
    if (v->type == MZ_JSON_OBJECT && type && strncmp(type, urn, sizeof urn - 1) == 0) {
        size_t nt;
        const mz_problem_type *t = mz_problem_types(&nt);
        const mz_problem_type *found = NULL;
        for (size_t i = 0; i < nt; i++)
            if (strcmp(t[i].slug, type + sizeof urn - 1) == 0)
                found = &t[i];
        if (!found)
            fail_msg("example of unknown problem type %s", type);
        const char *title = mz_json_string(mz_json_get(v, "title"), NULL);
        int64_t status = 0;
        if (!title || strcmp(title, found->title) != 0)
            fail_msg("example of %s has title \"%s\", the service's is \"%s\"", type,
                     title ? title : "(none)", found->title);
        if (!mz_json_int64(mz_json_get(v, "status"), &status) || status != found->status)
            fail_msg("example of %s has status %lld, the service's is %u", type, (long long)status,
                     found->status);
        n++;
    }
    for (const mz_json *k = v->u.kids.first; k; k = k->next)
        n += check_problem_examples(k);
    return n;
}

/* The problem types the contract documents (the table in info.description
 * and every example) are the service's table, both ways. */
static void documented_problems_match_table(void **state)
{
    (void)state;
    char err[1024];
    char *json = mz_yaml_to_json(mz_openapi_yaml, mz_openapi_yaml_len, err, sizeof err);
    assert_non_null(json);
    mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000, .max_string = 1 << 20};
    mz_json_doc *doc = mz_json_parse(json, strlen(json), &lim, err, sizeof err);
    assert_non_null(doc);
    assert_true(check_problem_examples(mz_json_root(doc)) >= 10);
    const char *desc =
        mz_json_string(mz_json_get(mz_json_get(mz_json_root(doc), "info"), "description"), NULL);
    assert_non_null(desc);
    size_t nt;
    const mz_problem_type *t = mz_problem_types(&nt);
    for (size_t i = 0; i < nt; i++) {
        char row[200];
        snprintf(row, sizeof row, "| `%s` | %u | %s |", t[i].slug, t[i].status, t[i].title);
        if (!strstr(desc, row))
            fail_msg("the contract's table of problem types lacks the row \"%s\"", row);
    }
    size_t rows = 0;
    for (const char *p = strchr(desc, '\n'); p; p = strchr(p + 1, '\n')) {
        const char *line = p + 1 + strspn(p + 1, " ");
        if (strncmp(line, "| `", 3) == 0) /* a row naming a slug */
            rows++;
    }
    assert_int_equal(rows, nt); /* and documents no other */
    mz_json_free(doc);
    free(json);
}

/* Every example the document gives for a response must pass the check for
 * that very response: the examples are what client developers copy. */
static void documented_examples_validate(void **state)
{
    char err[1024];
    char *json = mz_yaml_to_json(mz_openapi_yaml, mz_openapi_yaml_len, err, sizeof err);
    assert_non_null(json);
    mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000, .max_string = 1 << 20};
    mz_json_doc *doc = mz_json_parse(json, strlen(json), &lim, err, sizeof err);
    assert_non_null(doc);
    const mz_json *root = mz_json_root(doc);
    const mz_json *top_servers = mz_json_get(root, "servers");
    const mz_json *comp_resp = mz_json_get(mz_json_get(root, "components"), "responses");
    size_t checked = 0;
    for (const mz_json *p = mz_json_get(root, "paths")->u.kids.first; p; p = p->next) {
        const mz_json *srv = mz_json_get(p, "servers") ? mz_json_get(p, "servers") : top_servers;
        const char *url = mz_json_string(mz_json_get(srv->u.kids.first, "url"), NULL);
        size_t ul = strlen(url);
        while (ul > 0 && url[ul - 1] == '/')
            ul--;
        char path[512];
        size_t n = (size_t)snprintf(path, sizeof path, "%.*s", (int)ul, url);
        for (const char *k = p->key; *k && n + 40 < sizeof path;) {
            if (*k == '{') {
                n += (size_t)snprintf(path + n, sizeof path - n, "%s",
                                      "7b2e1d0c-4a5f-4e3b-8c9d-0e1f2a3b4c5d");
                k = strchr(k, '}') + 1;
            } else {
                path[n++] = *k++;
                path[n] = '\0';
            }
        }
        static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
        for (size_t mi = 0; mi < 5; mi++) {
            const mz_json *op = mz_json_get(p, methods[mi]);
            if (!op)
                continue;
            char method[8];
            for (size_t c = 0; c <= strlen(methods[mi]); c++)
                method[c] = (char)(methods[mi][c] >= 'a' ? methods[mi][c] - 32 : methods[mi][c]);
            for (const mz_json *r = mz_json_get(op, "responses")->u.kids.first; r; r = r->next) {
                const char *ref = mz_json_string(mz_json_get(r, "$ref"), NULL);
                const mz_json *resp =
                    ref ? mz_json_get(comp_resp, ref + strlen("#/components/responses/")) : r;
                assert_non_null(resp);
                const mz_json *content = mz_json_get(resp, "content");
                for (const mz_json *m = content ? content->u.kids.first : NULL; m; m = m->next) {
                    const mz_json *ex = mz_json_get(m, "example");
                    if (!ex)
                        continue;
                    mz_buf b = MZ_BUF_INIT;
                    if (ex->type == MZ_JSON_STRING && !strstr(m->key, "json"))
                        mz_buf_puts(&b, ex->u.str.s);
                    else
                        mz_json_write(&b, ex);
                    if (!oas_check(*state, method, path, atoi(r->key), m->key, b.data, b.len, err,
                                   sizeof err))
                        fail_msg("example of %s %s %s %s: %s", method, path, r->key, m->key, err);
                    mz_buf_free(&b);
                    checked++;
                }
            }
        }
    }
    mz_json_free(doc);
    free(json);
    /* 5 success examples + 17 uses of the 5 shared problem responses */
    assert_true(checked >= 22);
}

/* ---- the schema engine on small inline documents --------------------------- */

/* A document with one operation, GET /t -> 200 application/json with the
 * given schema, and the given components/schemas (or none). */
static oas *inline_doc(const char *schema, const char *components)
{
    char doc[8192];
    snprintf(doc, sizeof doc,
             "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"t\",\"version\":\"1\"},"
             "\"paths\":{\"/t\":{\"get\":{\"responses\":{\"200\":{\"description\":\"ok\","
             "\"content\":{\"application/json\":{\"schema\":%s}}}}}}},"
             "\"components\":{\"schemas\":%s}}",
             schema, components ? components : "{}");
    char err[512];
    oas *o = oas_load_json(doc, strlen(doc), err, sizeof err);
    if (!o)
        fail_msg("inline document refused: %s", err);
    return o;
}

static void schema_ok(const char *schema, const char *components, const char *body)
{
    oas *o = inline_doc(schema, components);
    expect_ok(o, "GET", "/t", 200, JSON_CT, body);
    oas_free(o);
}

static void schema_fail(const char *schema, const char *components, const char *body,
                        const char *want)
{
    oas *o = inline_doc(schema, components);
    expect_fail(o, "GET", "/t", 200, JSON_CT, body, want);
    oas_free(o);
}

/* Expects oas_load_json to refuse the document, with want in the message. */
static void load_fails(const char *doc, const char *want)
{
    char err[512];
    memset(err, 'x', sizeof err);
    oas *o = oas_load_json(doc, strlen(doc), err, sizeof err);
    if (o) {
        oas_free(o);
        fail_msg("document accepted, expected: %s", want);
    }
    if (!strstr(err, want))
        fail_msg("error \"%s\"\n expected \"%s\"", err, want);
}

static void engine_all_of(void **state)
{
    (void)state;
    const char *s = "{\"allOf\":[{\"type\":\"object\",\"required\":[\"a\"]},"
                    "{\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":1}}}]}";
    schema_ok(s, NULL, "{\"a\":1,\"b\":true}");
    schema_fail(s, NULL, "{}", "=(root): missing required property \"a\"");
    schema_fail(s, NULL, "{\"a\":0}", "=/a: value below minimum 1");
    schema_fail(s, NULL, "[]", "=(root): expected object, got array");
}

static void engine_one_of_any_of(void **state)
{
    (void)state;
    const char *one = "{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}";
    schema_ok(one, NULL, "\"x\"");
    schema_ok(one, NULL, "7");
    schema_fail(one, NULL, "true",
                "=(root): matches none of the 2 oneOf schemas ([0] (root): expected string, "
                "got boolean; [1] (root): expected integer, got boolean)");
    const char *overlap = "{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}";
    schema_ok(overlap, NULL, "2.5");
    schema_fail(overlap, NULL, "2",
                "=(root): matches 2 of the oneOf schemas, expected exactly one");
    const char *any = "{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"number\"},"
                      "{\"type\":\"string\",\"minLength\":2}]}}";
    schema_ok(any, NULL, "[1,\"ab\",2.5]");
    schema_fail(any, NULL, "[1,\"a\"]", "/1: matches none of the 2 anyOf schemas");
    schema_fail(any, NULL, "[1,\"a\"]", "string shorter than minLength 2");
    const char *neg = "{\"not\":{\"type\":\"string\"}}";
    schema_ok(neg, NULL, "1");
    schema_fail(neg, NULL, "\"s\"", "=(root): matches the schema in \"not\"");
}

static void engine_additional_properties(void **state)
{
    (void)state;
    const char *closed = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                         "\"additionalProperties\":false}";
    schema_ok(closed, NULL, "{\"a\":\"x\"}");
    schema_ok(closed, NULL, "{}");
    schema_fail(closed, NULL, "{\"a\":\"x\",\"b/c~\":1}",
                "=/b~1c~0: property not allowed (additionalProperties is false)");
    const char *typed = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                        "\"additionalProperties\":{\"type\":\"integer\"}}";
    schema_ok(typed, NULL, "{\"a\":\"x\",\"n\":1,\"m\":2}");
    schema_fail(typed, NULL, "{\"a\":\"x\",\"n\":\"1\"}", "=/n: expected integer, got string");
    /* absent (and true) allow anything */
    schema_ok("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}", NULL,
              "{\"a\":\"x\",\"zz\":[null]}");
    schema_ok("{\"type\":\"object\",\"additionalProperties\":true}", NULL, "{\"q\":1}");
    schema_fail("{\"type\":\"object\",\"minProperties\":1,\"maxProperties\":2}", NULL, "{}",
                "=(root): object has fewer properties than minProperties 1");
}

static void engine_pattern(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-[0-9]+$\"}";
    schema_ok(s, NULL, "\"AB-12\"");
    schema_fail(s, NULL, "\"ab-12\"",
                "=(root): string does not match pattern \"^[A-Z]{2}-[0-9]+$\"");
    /* unanchored patterns search, like ECMA-262 */
    schema_ok("{\"type\":\"string\",\"pattern\":\"[0-9]\"}", NULL, "\"abc1def\"");
    /* a pattern that does not compile is an error of the document */
    load_fails("{\"openapi\":\"3.0.3\",\"paths\":{},\"components\":{\"schemas\":"
               "{\"X\":{\"type\":\"string\",\"pattern\":\"([a-z\"}}}}",
               "document error at #/components/schemas/X/pattern: pattern \"([a-z\" does not "
               "compile");
}

static void engine_numbers(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"integer\",\"minimum\":1,\"maximum\":10}";
    schema_ok(s, NULL, "1");
    schema_ok(s, NULL, "10");
    schema_fail(s, NULL, "0", "=(root): value below minimum 1");
    schema_fail(s, NULL, "11", "=(root): value above maximum 10");
    schema_fail(s, NULL, "5.0", "=(root): expected integer, got number");
    schema_fail(s, NULL, "5e0", "=(root): expected integer, got number");
    schema_fail(s, NULL, "-0.5", "=(root): expected integer, got number");
    const char *x = "{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true,"
                    "\"maximum\":1.5,\"exclusiveMaximum\":true}";
    schema_ok(x, NULL, "0.001");
    schema_ok(x, NULL, "1");
    schema_fail(x, NULL, "0", "=(root): value below exclusive minimum 0");
    schema_fail(x, NULL, "1.5", "=(root): value above exclusive maximum 1.5");
    schema_fail(x, NULL, "\"1\"", "=(root): expected number, got string");
}

static void engine_arrays(void **state)
{
    (void)state;
    const char *s = "{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,"
                    "\"items\":{\"type\":\"string\"}}";
    schema_ok(s, NULL, "[\"a\"]");
    schema_ok(s, NULL, "[\"a\",\"b\"]");
    schema_fail(s, NULL, "[]", "=(root): array has 0 items, fewer than minItems 1");
    schema_fail(s, NULL, "[\"a\",\"b\",\"c\"]", "=(root): array has 3 items, more than maxItems 2");
    schema_fail(s, NULL, "[\"a\",1]", "=/1: expected string, got integer");
}

static void engine_ref_cycles(void **state)
{
    (void)state;
    /* a legitimately recursive schema: every $ref step descends */
    const char *tree = "{\"Node\":{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{"
                       "\"name\":{\"type\":\"string\"},\"children\":{\"type\":\"array\","
                       "\"items\":{\"$ref\":\"#/components/schemas/Node\"}}}}}";
    const char *node = "{\"$ref\":\"#/components/schemas/Node\"}";
    schema_ok(node, tree, "{\"name\":\"r\",\"children\":[{\"name\":\"a\",\"children\":[]}]}");
    schema_fail(node, tree,
                "{\"name\":\"r\",\"children\":[{\"name\":\"a\",\"children\":[{\"name\":3}]}]}",
                "=/children/0/children/0/name: expected string, got integer");
    /* cycles that never descend are cut off, not followed forever */
    const char *ab = "{\"A\":{\"$ref\":\"#/components/schemas/B\"},"
                     "\"B\":{\"$ref\":\"#/components/schemas/A\"}}";
    schema_fail("{\"$ref\":\"#/components/schemas/A\"}", ab, "{}", "(a $ref cycle)");
    const char *self =
        "{\"S\":{\"type\":\"object\",\"allOf\":[{\"$ref\":\"#/components/schemas/S\"}]}}";
    schema_fail("{\"$ref\":\"#/components/schemas/S\"}", self, "{}",
                "document error: more than 64");
    const char *one = "{\"O\":{\"oneOf\":[{\"$ref\":\"#/components/schemas/O\"}]}}";
    schema_fail("{\"$ref\":\"#/components/schemas/O\"}", one, "1", "(a $ref cycle)");
}

static void engine_bad_documents(void **state)
{
    (void)state;
    load_fails("{\"openapi\":\"3.0.3\",\"paths\":{\"/t\":{\"get\":{\"responses\":{\"200\":"
               "{\"$ref\":\"#/components/responses/Missing\"}}}}}}",
               "document error at #/paths/~1t/get/responses/200/$ref: $ref "
               "\"#/components/responses/Missing\" does not resolve");
    load_fails("{\"openapi\":\"3.0.3\",\"paths\":{},\"components\":{\"schemas\":"
               "{\"X\":{\"properties\":{\"y\":{\"$ref\":\"other.yaml#/Y\"}}}}}}",
               "not a local reference");
    load_fails("{\"openapi\":\"3.0.3\",\"paths\":{},\"components\":{\"schemas\":"
               "{\"X\":{\"type\":\"int\"}}}}",
               "document error at #/components/schemas/X/type: unknown type");
    load_fails("{\"openapi\":\"3.1.0\",\"paths\":{}}", "not a 3.0.x version");
    load_fails("{\"openapi\":\"3.0.3\"}", "\"paths\" is missing");
    load_fails("{\"openapi\":\"3.0.3\",\"paths\":{\"/t\":{\"get\":{}}}}", "has no responses");
    load_fails("[1]", "not an object");
    load_fails("{", "not valid JSON");
    /* refs with escapes resolve */
    schema_ok("{\"$ref\":\"#/components/schemas/a~1b%20c\"}", "{\"a/b c\":{\"type\":\"string\"}}",
              "\"s\"");
}

static void engine_nullable_enum_length(void **state)
{
    (void)state;
    schema_ok("{\"type\":\"string\",\"nullable\":true}", NULL, "null");
    schema_fail("{\"type\":\"string\"}", NULL, "null", "=(root): expected string, got null");
    /* enum compares values deeply */
    const char *e = "{\"enum\":[1,\"a\",[1,{\"k\":null}],{\"x\":true,\"y\":[]}]}";
    schema_ok(e, NULL, "1");
    schema_ok(e, NULL, "1.0");
    schema_ok(e, NULL, "[1,{\"k\":null}]");
    schema_ok(e, NULL, "{\"y\":[],\"x\":true}");
    schema_fail(e, NULL, "[1,{\"k\":0}]", "=(root): value not in enum");
    schema_fail(e, NULL, "{\"x\":true}", "=(root): value not in enum");
    /* lengths count code points, not bytes */
    const char *len = "{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}";
    schema_ok(len, NULL, "\"\xc3\xa9\xc3\xa9\xc3\xa9\"");
    schema_fail(len, NULL, "\"\xc3\xa9\"", "=(root): string shorter than minLength 2");
    schema_fail(len, NULL, "\"abcd\"", "=(root): string longer than maxLength 3");
}

static void engine_formats(void **state)
{
    (void)state;
    static const struct {
        const char *format;
        const char *value;
        bool ok;
    } cases[] = {
        {"date", "2024-02-29", true},
        {"date", "2000-02-29", true},
        {"date", "1900-02-29", false},
        {"date", "2023-02-29", false},
        {"date", "2026-04-31", false},
        {"date", "2026-13-01", false},
        {"date", "2026-00-10", false},
        {"date", "2026-01-00", false},
        {"date", "2026-1-01", false},
        {"date", "2026-01-01T00:00:00Z", false},
        {"date-time", "2024-03-04T09:15:00Z", true},
        {"date-time", "2024-03-04T09:15:00.5+01:00", true},
        {"date-time", "2024-03-04T23:59:60-12:30", true},
        {"date-time", "2024-03-04T09:15:00", false},
        {"date-time", "2024-03-04T09:15:00z", false},
        {"date-time", "2024-03-04t09:15:00Z", false},
        {"date-time", "2024-03-04T24:00:00Z", false},
        {"date-time", "2024-03-04T09:60:00Z", false},
        {"date-time", "2024-03-04T09:15:00.Z", false},
        {"date-time", "2024-03-04T09:15:00+0100", false},
        {"date-time", "2024-03-04T09:15:00+01:00x", false},
        {"date-time", "2024-02-30T09:15:00Z", false},
        {"uuid", "3f9c2a4e-8b1d-4c7e-9a2f-5d6e7f8a9b0c", true},
        {"uuid", "3F9C2A4E-8B1D-4C7E-9A2F-5D6E7F8A9B0C", true},
        {"uuid", "3f9c2a4e-8b1d-4c7e-9a2f-5d6e7f8a9b0", false},
        {"uuid", "3f9c2a4e-8b1d-4c7e-9a2f-5d6e7f8a9b0g", false},
        {"uuid", "3f9c2a4e_8b1d-4c7e-9a2f-5d6e7f8a9b0c", false},
        {"uri", "https://example.org/a?b=c", true},
        {"uri", "", false},
        {"uri", "https://example.org/a b", false},
        {"uri-reference", "/api/v1/me/cases", true},
        {"uri-reference", "urn:mijnzaken:problem:not-found", true},
        {"uri-reference", "a\tb", false},
        {"email", "anything goes for unknown formats", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char schema[128], body[128], want[128];
        snprintf(schema, sizeof schema, "{\"type\":\"string\",\"format\":\"%s\"}", cases[i].format);
        mz_buf b = MZ_BUF_INIT;
        mz_json_cstr(&b, cases[i].value);
        snprintf(body, sizeof body, "%s", b.data);
        mz_buf_free(&b);
        if (cases[i].ok) {
            schema_ok(schema, NULL, body);
        } else {
            snprintf(want, sizeof want, "=(root): not a valid %s (format \"%s\")", cases[i].format,
                     cases[i].format);
            schema_fail(schema, NULL, body, want);
        }
    }
}

/* Servers, templates, status ranges, no-content responses, non-JSON bodies. */
static void engine_routing(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"openapi\":\"3.0.3\",\"servers\":[{\"url\":\"https://api.example.org/base/\"}],"
        "\"paths\":{"
        "\"/a/{id}\":{\"get\":{\"responses\":{\"200\":{\"description\":\"d\",\"content\":"
        "{\"application/json\":{\"schema\":{\"type\":\"string\"}}}}}}},"
        "\"/a/special\":{\"get\":{\"responses\":{"
        "\"200\":{\"description\":\"d\",\"content\":{\"application/json\":{\"schema\":"
        "{\"type\":\"integer\"}}}},"
        "\"4XX\":{\"description\":\"d\",\"content\":{\"application/*\":{\"schema\":"
        "{\"type\":\"boolean\"}}}},"
        "\"default\":{\"description\":\"d\",\"content\":{\"*/*\":{}}}}},"
        "\"delete\":{\"responses\":{\"204\":{\"description\":\"gone\"}}}},"
        "\"/files/v{major}.{minor}.json\":{\"servers\":[{\"url\":\"/\"}],"
        "\"get\":{\"responses\":{\"200\":{\"description\":\"d\",\"content\":{\"text/plain\":"
        "{\"schema\":{\"type\":\"string\",\"maxLength\":5}}}}}},"
        "\"put\":{\"servers\":[{\"url\":\"/"
        "ops\"}],\"responses\":{\"204\":{\"description\":\"d\"}}}}"
        "}}";
    char err[512];
    oas *o = oas_load_json(doc, strlen(doc), err, sizeof err);
    if (!o)
        fail_msg("%s", err);
    /* the literal path wins over the template */
    expect_ok(o, "GET", "/base/a/special", 200, JSON_CT, "3");
    expect_ok(o, "GET", "/base/a/other", 200, JSON_CT, "\"s\"");
    expect_fail(o, "GET", "/base/a/other", 200, JSON_CT, "3",
                "=(root): expected string, got integer");
    expect_fail(o, "GET", "/a/special", 200, JSON_CT, "3", "undocumented path");
    /* exact code, then range, then default */
    expect_ok(o, "GET", "/base/a/special", 404, "application/problem+json", "true");
    expect_fail(o, "GET", "/base/a/special", 404, "text/plain", "true", "not documented");
    expect_ok(o, "GET", "/base/a/special", 500, "text/html", "<p>anything</p>");
    expect_fail(o, "GET", "/base/a/other", 500, JSON_CT, "\"s\"", "status 500 not documented");
    /* documented without content: the body must be empty */
    expect_ok(o, "DELETE", "/base/a/special", 204, NULL, "");
    expect_fail(o, "DELETE", "/base/a/special", 204, NULL, "{}",
                "=DELETE /base/a/special 204: documented without content, but the body has 2 "
                "bytes");
    /* path- and operation-level servers; several variables in one segment */
    expect_ok(o, "GET", "/files/v1.2.json", 200, "text/plain; charset=utf-8", "hello");
    expect_fail(o, "GET", "/files/v1.2.json", 200, "text/plain", "hello!",
                "=(root): string longer than maxLength 5");
    expect_fail(o, "GET", "/files/v1.2.json", 200, "text/plain", "\xff", "not UTF-8");
    expect_fail(o, "GET", "/files/v.2.json", 200, "text/plain", "x", "undocumented path");
    expect_ok(o, "PUT", "/ops/files/v1.2.json", 204, NULL, "");
    expect_fail(o, "PUT", "/files/v1.2.json", 204, NULL, "", "undocumented operation");
    op_list l = {0};
    oas_each_operation(o, collect, &l);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.ops[0], "GET /base/a/{id}");
    assert_string_equal(l.ops[1], "GET /base/a/special");
    assert_string_equal(l.ops[2], "DELETE /base/a/special");
    assert_string_equal(l.ops[3], "GET /files/v{major}.{minor}.json");
    assert_string_equal(l.ops[4], "PUT /ops/files/v{major}.{minor}.json");
    oas_free(o);
    oas_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_case_list),
        cmocka_unit_test(valid_case_detail),
        cmocka_unit_test(valid_problem),
        cmocka_unit_test(valid_operational),
        cmocka_unit_test(valid_openapi_json),
        cmocka_unit_test(bad_enum),
        cmocka_unit_test(missing_required),
        cmocka_unit_test(string_for_integer),
        cmocka_unit_test(number_for_integer),
        cmocka_unit_test(out_of_range),
        cmocka_unit_test(bad_date),
        cmocka_unit_test(bad_date_time),
        cmocka_unit_test(non_uuid_id),
        cmocka_unit_test(null_not_nullable),
        cmocka_unit_test(nested_objects),
        cmocka_unit_test(too_many_items),
        cmocka_unit_test(detail_mutations),
        cmocka_unit_test(bad_problem),
        cmocka_unit_test(invalid_json_body),
        cmocka_unit_test(undocumented_path),
        cmocka_unit_test(undocumented_method),
        cmocka_unit_test(undocumented_status),
        cmocka_unit_test(wrong_content_type),
        cmocka_unit_test(each_operation),
        cmocka_unit_test(route_query_parameters),
        cmocka_unit_test(route_security),
        cmocka_unit_test(documented_problems_match_table),
        cmocka_unit_test(documented_examples_validate),
        cmocka_unit_test(engine_all_of),
        cmocka_unit_test(engine_one_of_any_of),
        cmocka_unit_test(engine_additional_properties),
        cmocka_unit_test(engine_pattern),
        cmocka_unit_test(engine_numbers),
        cmocka_unit_test(engine_arrays),
        cmocka_unit_test(engine_ref_cycles),
        cmocka_unit_test(engine_bad_documents),
        cmocka_unit_test(engine_nullable_enum_length),
        cmocka_unit_test(engine_formats),
        cmocka_unit_test(engine_routing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
