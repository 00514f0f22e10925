/*
 * h_activities.c — GET /api/v1/processing-activities: the processing
 * activities (purposes) a professional may name in a look-up, in the
 * configured order, as {"activities": [{"id", "name"}]}.
 *
 * Why an endpoint: the register of processing activities is configuration
 * (MZ_PROCESSING_ACTIVITIES_FILE, see activities.h), so a client must not
 * hard-code it — the portal builds its purpose choice from this list. The
 * list is exactly what mz_activity_for_purpose() accepts: the citizen's
 * self-view is left out (ids are unique: the loader refuses duplicates).
 * Not personal data and no database read: nothing is logged in the
 * processing log, and the answer is the same for every professional.
 */
#include "activities.h"
#include "handlers.h"

void mz_h_processing_activities(mz_req *r)
{
    size_t n;
    const mz_activity *all = mz_activities(&n);
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, "{\"activities\":[");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        /* Only what a search accepts (not the self-view). */
        if (mz_activity_for_purpose(all[i].id) != &all[i])
            continue;
        if (!first)
            mz_buf_putc(&b, ',');
        first = false;
        mz_buf_puts(&b, "{\"id\":");
        mz_json_cstr(&b, all[i].id);
        mz_buf_puts(&b, ",\"name\":");
        mz_json_cstr(&b, all[i].name);
        mz_buf_putc(&b, '}');
    }
    mz_buf_puts(&b, "]}");
    mz_reply_json(r, 200, &b);
}
