/*
 * fuzz_events.c — the signed-webhook event body (service/events.c).
 *
 * The input is a pushed body as h_push.c hands it to mz_events_accept.
 * Properties checked:
 *   - a refusal leaves the output buffer empty and names the problem in
 *     err, and err never carries a BSN-like number (it must not quote input);
 *   - an accepted body holds 1..MZ_EVENTS_MAX_BATCH events, and its
 *     canonical (pseudonymised) form replays with mz_events_replay: exactly
 *     `count` records, each with a valid status group (mz_status_group_valid),
 *     its single timeline event in the same group, and an RFC 3339
 *     status_changed_at — what the inbox processor needs to never get stuck
 *     on a body we acknowledged;
 *   - every date-time an accepted event carries is one PostgreSQL accepts
 *     as timestamptz (the store casts it with $n::timestamptz): an event
 *     we answer 202 for but the store can never write fails in the inbox
 *     forever (see pg_timestamptz_accepts).
 */
#include "fuzz_util.h"

#include <math.h>

#include "bsn.h"
#include "buf.h"
#include "crypto.h"
#include "events.h"
#include "store.h"

/* PostgreSQL 15's timestamptz input on the RFC 3339 texts mz_valid_datetime
 * accepts (checked with psql against the server scripts/lib/pg.sh runs):
 *   - a UTC offset's hour above 15 is "time zone displacement out of range"
 *     (MAX_TZDISP_HOUR; +15:59 is fine, +16:00 is not);
 *   - a time of day beyond 24:00:00 is "date/time field value out of range":
 *     23:59:60 is fine (it rolls over), 23:59:60.5 is not; the fraction is
 *     rounded to microseconds first, as PostgreSQL does (rint(frac * 1e6)),
 *     so 23:59:60.0000004 is fine.
 * The rest of what mz_valid_datetime's format allows is accepted: years
 * 1900..2999, 't'/'z' in lower case, up to 9 fraction digits, :60 at any
 * other time of day (it rolls over). Regression inputs for both refusals:
 * tests/fuzz/regressions/fuzz_events/ (fixed in events.c by 9f02108). */
static bool pg_timestamptz_accepts(const char *s)
{
    int h = (s[11] - '0') * 10 + (s[12] - '0');
    int m = (s[14] - '0') * 10 + (s[15] - '0');
    int sec = (s[17] - '0') * 10 + (s[18] - '0');
    const char *z = s + 19;
    double fsec = 0;
    if (*z == '.') {
        fsec = rint(strtod(z, NULL) * 1000000.0);
        z++;
        while (*z >= '0' && *z <= '9')
            z++;
    }
    if (*z == '+' || *z == '-') {
        int tzh = (z[1] - '0') * 10 + (z[2] - '0');
        if (tzh > 15)
            return false;
    }
    if (h == 23 && m == 59 && sec == 60 && fsec > 0)
        return false;
    return true;
}

static void check_storable(const char *what, const char *ts)
{
    FZ_CHECK(mz_valid_datetime(ts));
    if (!pg_timestamptz_accepts(ts)) {
        fprintf(stderr,
                "accepted event carries %s \"%s\", which PostgreSQL refuses as timestamptz:\n"
                "mz_events_accept answered 202 for an event the store can never write\n",
                what, ts);
        abort();
    }
}

typedef struct replay_ctx {
    size_t n;
} replay_ctx;

static bool on_record(void *ud, const mz_case_record *rec)
{
    replay_ctx *c = ud;
    if (!mz_status_group_valid(rec->status_group))
        abort();
    FZ_CHECK(rec->n_events == 1 && rec->events);
    FZ_CHECK(mz_status_group_valid(rec->events[0].status_group));
    FZ_CHECK(rec->external_id && *rec->external_id);
    FZ_CHECK(rec->title && *rec->title);
    FZ_CHECK(rec->status_text && *rec->status_text);
    check_storable("occurredAt", rec->status_changed_at);
    check_storable("occurredAt (source_updated_at)", rec->source_updated_at);
    check_storable("occurredAt (timeline)", rec->events[0].occurred_at);
    FZ_CHECK(strcmp(rec->agency_id, "fuzz-agency") == 0);
    c->n++;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool inited;
    if (!inited) {
        unsigned char key[32];
        for (size_t i = 0; i < sizeof key; i++)
            key[i] = (unsigned char)(0xa5 ^ (i * 7));
        mz_pseudonym_set_key(key, sizeof key);
        inited = true;
    }

    mz_buf out = MZ_BUF_INIT;
    size_t count = 99999;
    char err[300] = "";
    bool ok = mz_events_accept((const char *)data, size, &out, &count, err, sizeof err);
    if (!ok) {
        FZ_CHECK(out.len == 0);
        FZ_CHECK(count == 0);
        FZ_CHECK(err[0] != '\0');
        FZ_CHECK(!mz_contains_bsn_like(err, strlen(err)));
        mz_buf_free(&out);
        return 0;
    }
    FZ_CHECK(count >= 1 && count <= MZ_EVENTS_MAX_BATCH);
    FZ_CHECK(out.len > 2 && out.data[0] == '[' && out.data[out.len - 1] == ']');

    replay_ctx c = {0};
    char rerr[300] = "";
    bool rok = mz_events_replay("fuzz-agency", "fuzz-event-id", out.data, out.len, on_record, &c,
                                rerr, sizeof rerr);
    if (!rok)
        fprintf(stderr, "replay of an accepted body failed: %s\n", rerr);
    FZ_CHECK(rok);
    FZ_CHECK(c.n == count);
    mz_buf_free(&out);
    return 0;
}
