/*
 * routes.c — the route table: the one list of what the service answers.
 * tests/unit/test_oas.c fails when this table and openapi/openapi.yaml
 * disagree: on methods and paths (each_operation), on the allowed query
 * parameters (route_query_parameters) and on authentication, the
 * MZ_R_AUTH/CITIZEN/PROFESSIONAL/ADMIN flags against each operation's
 * `security` (route_security). Every answer is Cache-Control: no-store
 * unless its route is MZ_R_PUBLIC (tests/unit/test_router.c,
 * test_routes_table_shape).
 */
#include "handlers.h"

static const char *const q_me_cases[] = {"status", "agency", "pageSize", "cursor", NULL};
static const char *const q_page[] = {"pageSize", "cursor", NULL};
static const char *const q_purpose[] = {"purpose", NULL};
static const char *const q_login[] = {"returnTo", "middel", NULL};
/* What an OP sends to the redirect URI (RFC 6749 4.1.2, RFC 9207 iss,
 * OIDC session_state). */
static const char *const q_callback[] = {"code",      "state", "error",         "error_description",
                                         "error_uri", "iss",   "session_state", NULL};

static const mz_route routes[] = {
    /* HEAD: load balancers and probes; MHD sends the GET answer's
     * headers without its body. */
    {"GET", "/healthz", mz_h_healthz, 0, NULL},
    {"HEAD", "/healthz", mz_h_healthz, 0, NULL},
    {"GET", "/readyz", mz_h_readyz, 0, NULL},
    {"HEAD", "/readyz", mz_h_readyz, 0, NULL},
    {"GET", "/metrics", mz_h_metrics, 0, NULL},
    {"HEAD", "/metrics", mz_h_metrics, 0, NULL},
    {"GET", "/api/v1/openapi.json", mz_h_openapi_json, MZ_R_PUBLIC, NULL},
    {"GET", "/api/v1/openapi.yaml", mz_h_openapi_yaml, MZ_R_PUBLIC, NULL},
    {"GET", "/api/v1/me/cases", mz_h_me_cases_list, MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL,
     q_me_cases},
    {"GET", "/api/v1/me/cases/{caseId}", mz_h_me_case_get, MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL,
     NULL},
    {"GET", "/api/v1/me/cases/{caseId}/documents", mz_h_me_case_documents,
     MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    {"GET", "/api/v1/me/cases/{caseId}/documents/{documentId}/content",
     mz_h_me_case_document_content, MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    {"GET", "/api/v1/me/access-log", mz_h_me_access_log, MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL,
     q_page},
    {"GET", "/api/v1/me/notification-preferences", mz_h_me_notify_get,
     MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    {"PUT", "/api/v1/me/notification-preferences", mz_h_me_notify_put,
     MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    {"DELETE", "/api/v1/me/notification-preferences", mz_h_me_notify_delete,
     MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    {"POST", "/api/v1/me/notification-preferences/verify", mz_h_me_notify_verify,
     MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    /* Notify authenticates with its own bearer token (MZ_NOTIFY_CALLBACK_TOKEN_FILE). */
    {"POST", "/api/v1/notify/callback", mz_h_notify_callback, 0, NULL},
    {"POST", "/api/v1/cases/search", mz_h_cases_search,
     MZ_R_AUTH | MZ_R_PROFESSIONAL | MZ_R_PERSONAL, NULL},
    {"GET", "/api/v1/cases/{caseId}", mz_h_cases_get, MZ_R_AUTH | MZ_R_PROFESSIONAL | MZ_R_PERSONAL,
     q_purpose},
    {"GET", "/api/v1/cases/{caseId}/documents", mz_h_cases_documents,
     MZ_R_AUTH | MZ_R_PROFESSIONAL | MZ_R_PERSONAL, q_purpose},
    /* Contact moments and hand-over (issue 17, h_contact.c) */
    {"POST", "/api/v1/contact-moments", mz_h_contact_moment_create,
     MZ_R_AUTH | MZ_R_PROFESSIONAL | MZ_R_PERSONAL, NULL},
    {"GET", "/api/v1/me/contact-moments", mz_h_me_contact_moments,
     MZ_R_AUTH | MZ_R_CITIZEN | MZ_R_PERSONAL, NULL},
    {"GET", "/api/v1/processing-activities", mz_h_processing_activities,
     MZ_R_AUTH | MZ_R_PROFESSIONAL, NULL},
    {"POST", "/api/v1/dev/login", mz_h_dev_login, MZ_R_DEV, NULL},
    /* Sign-in (h_auth.c): browser redirects, no token; the callback's
     * state is checked against the browser's sign-in cookie. */
    {"GET", "/auth/{kind}/login", mz_h_auth_login, 0, q_login},
    {"GET", "/auth/{kind}/callback", mz_h_auth_callback, 0, q_callback},
    {"POST", "/auth/logout", mz_h_auth_logout, 0, NULL},
    /* The OP's signed logout token authenticates the request. */
    {"POST", "/auth/{kind}/backchannel-logout", mz_h_auth_backchannel_logout, 0, NULL},
    {"GET", "/api/v1/session", mz_h_session, MZ_R_SESSION, NULL},
    /* Cookie only: a representative chooses whose cases the session shows. */
    {"PUT", "/api/v1/session/representation", mz_h_session_representation, MZ_R_SESSION, NULL},
    /* Public: which sign-in kinds are configured (no personal data). */
    {"GET", "/api/v1/signin-options", mz_h_signin_options, 0, NULL},
    {"GET", "/api/v1/agencies", mz_h_agencies_list, MZ_R_AUTH | MZ_R_ADMIN, NULL},
    {"POST", "/api/v1/agencies/{agencyId}/sync", mz_h_agency_sync, MZ_R_AUTH | MZ_R_ADMIN, NULL},
    /* Agencies authenticate pushes themselves (signature, subscription). */
    {"POST", "/api/v1/agencies/{agencyId}/events", mz_h_push_events, 0, NULL},
    {"POST", "/api/v1/agencies/{agencyId}/notifications", mz_h_push_notifications, 0, NULL},
};

const mz_route *mz_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
