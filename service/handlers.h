/*
 * handlers.h — every endpoint handler, one file per resource (h_*.c),
 * wired to paths and methods in the route table (routes.c).
 * A handler leaves exactly one response in the request (mz_reply_*).
 */
#ifndef MZ_HANDLERS_H
#define MZ_HANDLERS_H

#include "buf.h"
#include "db.h"
#include "http.h"

/* h_health.c */
void mz_h_healthz(mz_req *r);
void mz_h_readyz(mz_req *r);
void mz_h_metrics(mz_req *r);
/* h_openapi.c */
void mz_h_openapi_json(mz_req *r);
void mz_h_openapi_yaml(mz_req *r);
/* h_me_cases.c */
void mz_h_me_cases_list(mz_req *r);
void mz_h_me_case_get(mz_req *r);

/* h_documents.c: a case's documents and their content (issue 16) */
void mz_h_me_case_documents(mz_req *r);
void mz_h_me_case_document_content(mz_req *r);
void mz_h_cases_documents(mz_req *r);
/* At shutdown: stops the download threads still talking to agencies and
 * waits (at most max_ms) until they end (their responses then end with an
 * error, and no connection stays suspended), so that the HTTP server can
 * stop and the agencies they use can be freed. */
void mz_documents_drain(long max_ms);

/* h_professional.c */
void mz_h_cases_search(mz_req *r);
void mz_h_cases_get(mz_req *r);
/* h_activities.c: the purposes a professional may name */
void mz_h_processing_activities(mz_req *r);
/* h_access_log.c */
void mz_h_me_access_log(mz_req *r);

/* h_auth.c: sign-in (OpenID Connect) and sessions */
void mz_h_auth_login(mz_req *r);
void mz_h_auth_callback(mz_req *r);
void mz_h_auth_logout(mz_req *r);
void mz_h_auth_backchannel_logout(mz_req *r);
void mz_h_session(mz_req *r);
void mz_h_session_representation(mz_req *r);
/* GET /api/v1/signin-options: which sign-in buttons the portal shows. */
void mz_h_signin_options(mz_req *r);

/* h_dev.c (MZ_DEV_MODE only) */
void mz_h_dev_login(mz_req *r);

/* h_agencies.c (admin) */
void mz_h_agencies_list(mz_req *r);
void mz_h_agency_sync(mz_req *r);

/* h_push.c (agencies pushing) */
void mz_h_push_events(mz_req *r);
void mz_h_push_notifications(mz_req *r);

/* h_notify.c: the citizen's notification preferences; Notify's delivery callback */
void mz_h_me_notify_get(mz_req *r);
void mz_h_me_notify_put(mz_req *r);
void mz_h_me_notify_delete(mz_req *r);
void mz_h_me_notify_verify(mz_req *r);
void mz_h_notify_callback(mz_req *r);

/* h_contact.c: contact moments and hand-over (issue 17) */
void mz_h_contact_moment_create(mz_req *r);
void mz_h_me_contact_moments(mz_req *r);
/* The subject's recent contact moments and open hand-overs as a JSON array
 * into b (the professional search); false when the store is unavailable. */
bool mz_contact_moments_professional(mz_buf *b, mz_db *rdb, const unsigned char *key);

/* Converts the embedded OpenAPI YAML to JSON once at start-up. */
bool mz_openapi_init(char *err, size_t errlen);
void mz_openapi_shutdown(void);

#endif
