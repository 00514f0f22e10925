/*
 * h_push.c — agencies pushing updates:
 *   POST /api/v1/agencies/{agencyId}/events         Standard Webhooks, our event format
 *   POST /api/v1/agencies/{agencyId}/notifications  VNG Notificaties API (ZGW)
 * Both authenticate the agency, validate completely, then write the body to
 * the inbox and commit before answering 2xx (inbox.h); duplicates answer 2xx
 * too and change nothing. The database down means 503, never a 2xx.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agencies.h"
#include "crypto.h"
#include "events.h"
#include "handlers.h"
#include "handover.h"
#include "inbox.h"
#include "ingest.h"
#include "json.h"
#include "notification.h"
#include "outbound.h"
#include "webhook.h"

static bool json_content(mz_req *r)
{
    const char *ct = mz_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && strncasecmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';'))
        return true;
    mz_reply_problem(r, MZ_P_UNSUPPORTED_MEDIA_TYPE, "the body must be application/json");
    return false;
}

static const mz_agency *agency_of(mz_req *r)
{
    const mz_agency *a = mz_agencies_find(mz_agencies_current(), mz_req_param(r, "agencyId"));
    return a && a->enabled ? a : NULL;
}

static void stored(mz_req *r, mz_inbox_result res, unsigned status, const char *json)
{
    if (res == MZ_INBOX_UNAVAILABLE) {
        mz_reply_unavailable(r, "the inbox is unavailable; nothing was accepted, try again");
        return;
    }
    if (res == MZ_INBOX_STORED)
        mz_inbox_wake(status == 204); /* 204: a notification, 202: events */
    if (json) {
        mz_buf b = MZ_BUF_INIT;
        mz_buf_puts(&b, json);
        mz_reply_json(r, status, &b);
    } else {
        mz_reply_static(r, status, "application/json", "", 0);
    }
}

/* Runs on the committer thread once the row is durable (ingest.h). */
static void row_done(void *ud, mz_inbox_result res)
{
    mz_req *r = ud;
    r->async_status = (int)res;
    mz_req_resume(r);
}

static void events_reply(mz_req *r)
{
    mz_inbox_result res = (mz_inbox_result)r->async_status;
    char body[80];
    snprintf(body, sizeof body, "{\"status\":\"%s\",\"events\":%zu}",
             res == MZ_INBOX_DUPLICATE ? "duplicate" : "accepted", r->async_count);
    stored(r, res, 202, body);
}

static void notification_reply(mz_req *r)
{
    stored(r, (mz_inbox_result)r->async_status, 204, NULL);
}

static void push_handover_event(mz_req *r, const mz_agency *a)
{
    char err[200];
    mz_handover_event_result res =
        mz_handover_event(mz_db_thread(), a->id, r->body, r->body_len, err, sizeof err);
    if (res == MZ_HO_EVENT_UNAVAILABLE) {
        mz_reply_unavailable(r, "the hand-over cannot be updated now; nothing changed, try again");
        return;
    }
    if (res == MZ_HO_EVENT_INVALID || res == MZ_HO_EVENT_UNKNOWN) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, err);
        return;
    }
    mz_buf b = MZ_BUF_INIT;
    mz_buf_printf(&b, "{\"status\":\"%s\",\"events\":1}",
                  res == MZ_HO_EVENT_DUPLICATE ? "duplicate" : "accepted");
    mz_reply_json(r, 202, &b);
}

void mz_h_push_events(mz_req *r)
{
    const mz_agency *a = agency_of(r);
    if (!a || !a->webhook_secret) {
        mz_reply_problem(r, MZ_P_NOT_FOUND, "no such agency accepting events");
        return;
    }
    if (!json_content(r))
        return;
    const char *id = mz_req_header(r, "webhook-id");
    mz_sig_result sig = mz_webhook_verify(
        a->webhook_secret, id, mz_req_header(r, "webhook-timestamp"),
        mz_req_header(r, "webhook-signature"), r->body ? r->body : "", r->body_len, time(NULL));
    if (sig == MZ_SIG_BAD_SECRET) {
        mz_reply_problem(r, MZ_P_SERVICE_UNAVAILABLE, mz_sig_result_text(sig));
        return;
    }
    if (sig != MZ_SIG_OK) {
        mz_reply_problem(r, MZ_P_UNAUTHORIZED, mz_sig_result_text(sig));
        return;
    }
    if (!r->body_len) {
        mz_reply_problem(r, MZ_P_BAD_REQUEST, "the body is empty");
        return;
    }
    /* A hand-over event (handover.h): the agency acknowledges or closes a
     * hand-over we delivered. Rare and idempotent by itself (setting a
     * state twice changes nothing), so it is applied here, not queued. */
    if (mz_handover_is_event(r->body, r->body_len)) {
        push_handover_event(r, a);
        return;
    }
    mz_buf canon = MZ_BUF_INIT;
    size_t n;
    char err[300];
    if (!mz_events_accept(r->body, r->body_len, &canon, &n, err, sizeof err)) {
        mz_buf_free(&canon);
        mz_reply_problem(r, MZ_P_BAD_REQUEST, err);
        return;
    }
    r->async_count = n;
    mz_req_suspend(r, events_reply);
    mz_ingest_submit(a->id, "event", id, canon.data, row_done, r);
    mz_buf_free(&canon);
}

void mz_h_push_notifications(mz_req *r)
{
    const mz_agency *a = agency_of(r);
    if (!a || !a->notifications_auth) {
        mz_reply_problem(r, MZ_P_NOT_FOUND, "no such agency accepting notifications");
        return;
    }
    const char *auth = mz_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || !mz_consttime_eq(auth, strlen(auth), a->notifications_auth,
                                  strlen(a->notifications_auth))) {
        mz_reply_problem(r, MZ_P_FORBIDDEN,
                         "the Authorization header does not match this agency's subscription");
        return;
    }
    if (!json_content(r))
        return;
    /* The zaak must be one the agency's adapter may fetch (notification.h). */
    const char *bases[MZ_OUTBOUND_MAX_BASES + 1];
    mz_agency_base_urls(a, bases);
    mz_buf canon = MZ_BUF_INIT;
    char err[240];
    mz_notification_result nr =
        mz_notification_accept(r->body, r->body_len, bases, &canon, err, sizeof err);
    if (nr == MZ_NOTIFICATION_INVALID) {
        mz_buf_free(&canon);
        mz_reply_problem(r, MZ_P_BAD_REQUEST, err);
        return;
    }
    if (nr == MZ_NOTIFICATION_IRRELEVANT) { /* "test", or nothing we show: nothing kept */
        mz_buf_free(&canon);
        stored(r, MZ_INBOX_DUPLICATE, 204, NULL);
        return;
    }
    char id[65];
    mz_sha256_hex(r->body, r->body_len, id);
    mz_req_suspend(r, notification_reply);
    mz_ingest_submit(a->id, "notification", id, canon.data, row_done, r);
    mz_buf_free(&canon);
}
