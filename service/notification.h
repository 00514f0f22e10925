/*
 * notification.h — the VNG Notificaties API message an agency's
 * notification component sends us (POST .../notifications).
 *
 * Why a module of its own: the handler (h_push.c) and the fuzz target
 * (tests/fuzz/fuzz_notification.c) must run the same checks; before this
 * the fuzz target had to copy the handler's steps.
 *
 * What is accepted: a JSON object (depth <= 16, <= 2000 nodes, strings <=
 * 4096 bytes) whose kanaal, hoofdObject, resource, resourceUrl, actie and
 * aanmaakdatum are non-empty strings (hoofdObject and resourceUrl at most
 * 2000 bytes, the others at most 100), hoofdObject an http(s) URL. Only
 * kanaal "zaken" with resource zaak, status or resultaat is relevant to
 * us; anything else (the "test" kanaal included) is acknowledged and not
 * kept. What is kept is the canonical object of those six members only:
 * kenmerken may hold anything, personal data included.
 *
 * The agency's own URLs: a relevant notification's hoofdObject (the zaak
 * the processor fetches) and, for resource zaak, its resourceUrl (the same
 * zaak) must be under one of the agency's base URLs, by the rule of the
 * adapter's outbound client (mz_outbound_url_under). Why at intake: such a
 * row can never be applied (the client refuses to fetch it), so accepting
 * it only meant an acknowledged row retried forever; refused here, the
 * sender gets a 400 naming the field. bases is NULL-terminated; NULL or
 * empty lets nothing through (fail closed).
 *
 * Ownership: canon is the caller's buffer (appended to); err gets a detail
 * for the 400 answer, which never quotes the body.
 */
#ifndef MZ_NOTIFICATION_H
#define MZ_NOTIFICATION_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef enum mz_notification_result {
    MZ_NOTIFICATION_KEEP,       /* valid and relevant: canon holds what to store */
    MZ_NOTIFICATION_IRRELEVANT, /* valid, nothing we show: acknowledge, keep nothing */
    MZ_NOTIFICATION_INVALID     /* 400 with err */
} mz_notification_result;

/* The six members, in canonical order. */
extern const char *const mz_notification_members[6];

mz_notification_result mz_notification_accept(const char *body, size_t len,
                                              const char *const *bases, mz_buf *canon, char *err,
                                              size_t errlen);

#endif
