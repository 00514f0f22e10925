#define _GNU_SOURCE /* memmem */
#include "handover.h"

#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "contact.h"
#include "crypto.h"
#include "json.h"
#include "log.h"
#include "outbound.h"
#include "webhook.h"
#include "worker.h"

/* --- pure rules */

bool mz_contact_channel_valid(const char *s)
{
    static const char *const k[] = {"phone", "desk", "chat", "email", "letter"};
    for (size_t i = 0; s && i < sizeof k / sizeof k[0]; i++)
        if (strcmp(s, k[i]) == 0)
            return true;
    return false;
}

bool mz_contact_text_ok(const char *s, size_t n, bool multiline)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c < 0x20 || c == 0x7f) {
            if (multiline &&
                (c == '\n' || c == '\t' || (c == '\r' && i + 1 < n && p[i + 1] == '\n')))
                continue;
            return false;
        }
        /* C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8 */
        if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

bool mz_callback_number_normalise(const char *s, char out[13])
{
    char d[24];
    size_t n = 0;
    bool plus = false;
    int parens = 0;
    for (const char *p = s; p && *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (*p == '(' || *p == ')') {
            if (++parens > 2)
                return false;
            continue;
        }
        if (*p == '+' && n == 0 && !plus) {
            plus = true;
            continue;
        }
        if (*p < '0' || *p > '9' || n + 1 >= sizeof d)
            return false;
        d[n++] = *p;
    }
    d[n] = '\0';
    const char *nat = NULL; /* the 9 digits after the trunk prefix */
    if (plus && n == 11 && strncmp(d, "31", 2) == 0)
        nat = d + 2;
    else if (!plus && n == 13 && strncmp(d, "0031", 4) == 0)
        nat = d + 4;
    else if (!plus && n == 10 && d[0] == '0' && d[1] != '0')
        nat = d + 1;
    if (!nat || nat[0] == '0')
        return false;
    snprintf(out, 13, "+31%.9s", nat);
    return true;
}

size_t mz_handover_aad(const char *id, const char *field, char out[80])
{
    int n = snprintf(out, 80, "handover:%.36s:%.20s", id, field);
    return n > 0 ? (size_t)n : 0;
}

long mz_handover_backoff(int attempts)
{
    if (attempts < 1)
        return 1;
    if (attempts > 11)
        return 900;
    long d = 1L << (attempts - 1);
    return d > 900 ? 900 : d;
}

/* --- metrics (this process) */

static atomic_ullong g_delivered, g_failed, g_retried;

void mz_handover_metrics(mz_buf *b, mz_db *db)
{
    PGresult *r = db ? MZ_DB_EXEC0(db, MZ_STMT_HANDOVER_STATS) : NULL;
    if (mz_db_ok(r)) {
        mz_buf_puts(b, "# HELP mz_handovers Hand-overs of contact moments by state (pending, "
                       "delivering: the backlog).\n# TYPE mz_handovers gauge\n");
        for (int i = 0; i < PQntuples(r); i++)
            mz_buf_printf(b, "mz_handovers{state=\"%s\"} %s\n",
                          PQgetvalue(r, i, MZ_COL_HANDOVER_STATS_STATE),
                          PQgetvalue(r, i, MZ_COL_HANDOVER_STATS_N));
    }
    PQclear(r);
    mz_buf_printf(b,
                  "# HELP mz_handover_deliveries_total Hand-over deliveries by outcome (this "
                  "instance).\n# TYPE mz_handover_deliveries_total counter\n"
                  "mz_handover_deliveries_total{outcome=\"delivered\"} %llu\n"
                  "mz_handover_deliveries_total{outcome=\"retry\"} %llu\n"
                  "mz_handover_deliveries_total{outcome=\"failed\"} %llu\n",
                  (unsigned long long)atomic_load(&g_delivered),
                  (unsigned long long)atomic_load(&g_retried),
                  (unsigned long long)atomic_load(&g_failed));
}

/* --- delivery */

/* Opens a sealed hex value of hand-over id; NULL when it does not open. */
static char *open_field(const char *id, const char *key_id, const char *sealed_hex,
                        const char *field)
{
    unsigned char sealed[600];
    size_t n = 0;
    if (!sealed_hex || !*sealed_hex || !mz_hex_decode(sealed_hex, sealed, sizeof sealed, &n))
        return NULL;
    char aad[80];
    size_t alen = mz_handover_aad(id, field, aad);
    return mz_contact_open(key_id, sealed, n, aad, alen);
}

static void record(mz_db *db, mz_stmt st, const char *id, long status, const char *why, long delay)
{
    char s[16], d[16];
    snprintf(s, sizeof s, "%ld", status);
    snprintf(d, sizeof d, "%ld", delay);
    const char *sv = status ? s : NULL;
    PGresult *r;
    if (st == MZ_STMT_HANDOVER_DELIVERED) {
        const char *v[2] = {id, sv};
        r = MZ_DB_EXEC(db, st, v);
    } else if (st == MZ_STMT_HANDOVER_FAIL) {
        const char *v[3] = {id, sv, why};
        r = MZ_DB_EXEC(db, st, v);
    } else {
        const char *v[4] = {id, sv, why, d};
        r = MZ_DB_EXEC(db, st, v);
    }
    if (!mz_db_ok(r))
        mz_db_log_failure("cannot record a hand-over outcome", st, r);
    PQclear(r);
}

static void outcome_fail(mz_db *db, const char *id, long status, const char *why)
{
    record(db, MZ_STMT_HANDOVER_FAIL, id, status, why, 0);
    atomic_fetch_add(&g_failed, 1);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_WARN, "hand-over given up");
    mz_log_str(&l, "handover_id", id);
    mz_log_int(&l, "http_status", status);
    mz_log_str(&l, "reason", why);
    mz_log_end(&l);
}

static void outcome_retry(mz_db *db, const char *id, int attempts, long status, const char *why)
{
    if (attempts >= MZ_HANDOVER_MAX_ATTEMPTS) {
        outcome_fail(db, id, status, why);
        return;
    }
    record(db, MZ_STMT_HANDOVER_RETRY, id, status, why, mz_handover_backoff(attempts));
    atomic_fetch_add(&g_retried, 1);
}

/* The delivery body (handover.h). subject_json is the sealed {kind, id}
 * object as stored. */
static void write_body(mz_buf *b, PGresult *rows, int i, const char *subject_json,
                       const char *callback_number, const char *now)
{
#define COL(name) PQgetvalue(rows, i, MZ_COL_HANDOVER_CLAIM_##name)
#define NUL(name) PQgetisnull(rows, i, MZ_COL_HANDOVER_CLAIM_##name)
    mz_buf_puts(b, "{\"type\":\"handover.requested\",\"timestamp\":");
    mz_json_cstr(b, now);
    mz_buf_puts(b, ",\"data\":{\"handoverId\":");
    mz_json_cstr(b, COL(ID));
    mz_buf_puts(b, ",\"organisation\":");
    mz_json_cstr(b, COL(ORGANISATION));
    mz_buf_puts(b, ",\"question\":");
    mz_json_cstr(b, COL(QUESTION));
    mz_buf_puts(b, ",\"callback\":{\"wanted\":");
    mz_json_bool(b, COL(CALLBACK)[0] == 't');
    if (callback_number) {
        mz_buf_puts(b, ",\"phoneNumber\":");
        mz_json_cstr(b, callback_number);
    }
    mz_buf_puts(b, "},\"subject\":");
    mz_buf_puts(b, subject_json); /* written by h_contact.c from a validated subject */
    mz_buf_puts(b, ",\"klantcontact\":{\"id\":");
    mz_json_cstr(b, COL(MOMENT_ID));
    mz_buf_puts(b, ",\"kanaal\":");
    mz_json_cstr(b, COL(CHANNEL));
    mz_buf_puts(b, ",\"onderwerp\":");
    mz_json_cstr(b, COL(TOPIC));
    mz_buf_puts(b, ",\"inhoud\":");
    mz_json_cstr(b, COL(SUMMARY));
    mz_buf_puts(b, ",\"vraagBeantwoord\":");
    mz_json_bool(b, COL(ANSWERED)[0] == 't');
    mz_buf_puts(b, ",\"plaatsgevondenOp\":");
    mz_json_cstr(b, COL(MOMENT_AT));
    mz_buf_putc(b, '}');
    if (!NUL(CASE_ID)) {
        mz_buf_puts(b, ",\"onderwerpobject\":{\"zaak\":{\"id\":");
        mz_json_cstr(b, COL(CASE_ID));
        if (!NUL(CASE_REFERENCE)) {
            mz_buf_puts(b, ",\"caseReference\":");
            mz_json_cstr(b, COL(CASE_REFERENCE));
        }
        mz_buf_puts(b, "}}");
    }
    mz_buf_puts(b, "}}");
#undef COL
#undef NUL
}

static void deliver_row(mz_db *db, PGresult *rows, int i)
{
#define COL(name) PQgetvalue(rows, i, MZ_COL_HANDOVER_CLAIM_##name)
    const char *id = COL(ID);
    int attempts = atoi(COL(ATTEMPTS));
    const mz_agency *a = mz_agencies_find(mz_agencies_current(), COL(AGENCY_ID));
    if (!a || !a->handover_url || !a->handover_secret) {
        outcome_fail(db, id, 0, "the agency takes no hand-overs (no handover configuration)");
        return;
    }
    char *subject = open_field(id, COL(KEY_ID), COL(SUBJECT_ENC), "subject");
    char *number = NULL;
    bool cb = COL(CALLBACK)[0] == 't';
    if (cb)
        number = open_field(id, COL(KEY_ID), COL(CALLBACK_ENC), "callback");
    if (!subject || (cb && !number)) {
        mz_contact_free_plain(subject);
        mz_contact_free_plain(number);
        outcome_fail(db, id, 0, "a sealed value cannot be decrypted (key id)");
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char iso[32], ts[24];
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(ts, sizeof ts, "%lld", (long long)now);
    mz_buf body = MZ_BUF_INIT;
    write_body(&body, rows, i, subject, number, iso);
    mz_contact_free_plain(subject);
    mz_contact_free_plain(number);
    char sig[128], h_id[80], h_ts[64], h_sig[160];
    if (!mz_webhook_sign(a->handover_secret, id, ts, body.data, body.len, sig, sizeof sig)) {
        OPENSSL_cleanse(body.data, body.len);
        mz_buf_free(&body);
        outcome_fail(db, id, 0, "the agency's handover secret is malformed");
        return;
    }
    snprintf(h_id, sizeof h_id, "webhook-id: %s", id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %s", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
    const char *headers[] = {
        h_id, h_ts, h_sig, "Content-Type: application/json", "Accept: application/json", NULL};
    mz_outbound_opts o = {.bases = {a->handover_url},
                          .timeout_ms = 10000,
                          .max_attempts = 1,
                          .max_response = 64 * 1024};
    mz_outbound *out = mz_outbound_new(&o);
    mz_outbound_result res = {0};
    mz_outbound_status st =
        mz_outbound_request(out, "POST", a->handover_url, headers, body.data, body.len, false,
                            mz_outbound_now_ms() + 15000, &res);
    OPENSSL_cleanse(body.data, body.len);
    mz_buf_free(&body);
    if (st == MZ_OUT_REFUSED) {
        outcome_fail(db, id, 0, "refused by the outbound policy");
    } else if (st != MZ_OUT_OK && st != MZ_OUT_TOO_LARGE) {
        outcome_retry(db, id, attempts, 0, "no answer (transport error or timeout)");
    } else if (res.status >= 200 && res.status < 300) {
        record(db, MZ_STMT_HANDOVER_DELIVERED, id, res.status, NULL, 0);
        atomic_fetch_add(&g_delivered, 1);
    } else if (res.status == 408 || res.status == 429 || res.status >= 500) {
        outcome_retry(db, id, attempts, res.status, "the agency answered an error");
    } else {
        outcome_fail(db, id, res.status, "the agency refused it");
    }
    mz_outbound_result_free(&res);
    mz_outbound_free(out);
#undef COL
}

#define NWORKERS    2
#define CLAIM_BATCH 20
#define LEASE_SECS  60

int mz_handover_deliver_due(mz_db *db, int limit)
{
    char lim[16], lease[16];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(lease, sizeof lease, "%d", LEASE_SECS);
    const char *v[2] = {lim, lease};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_HANDOVER_CLAIM, v);
    if (!mz_db_ok(r)) {
        mz_db_log_failure("cannot claim hand-overs", MZ_STMT_HANDOVER_CLAIM, r);
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        deliver_row(db, r, i);
    PQclear(r);
    return n;
}

typedef struct deliverer {
    mz_worker w;
    mz_db *db;
} deliverer;

static deliverer g_workers[NWORKERS] = {{.w = MZ_WORKER_INIT}, {.w = MZ_WORKER_INIT}};
/* Read by HTTP threads (wake) while the main thread starts and stops the
 * workers: atomic. */
static atomic_bool g_started;

static void *worker_main(void *arg)
{
    deliverer *s = arg;
    char err[256];
    while (!mz_worker_stopping(&s->w)) {
        if (!s->db) {
            s->db = mz_db_connect(g_mz_config.database_url, 30000, err, sizeof err);
            if (s->db)
                mz_db_plan_each_time(s->db);
        }
        int n = s->db ? mz_handover_deliver_due(s->db, CLAIM_BATCH) : -1;
        if (n < 0 && s->db && PQstatus(mz_db_pg(s->db)) != CONNECTION_OK) {
            mz_db_close(s->db);
            s->db = NULL;
        }
        if (n < CLAIM_BATCH)
            mz_worker_nap(&s->w, n < 0 ? 2000 : 500);
    }
    mz_db_close(s->db);
    s->db = NULL;
    return NULL;
}

bool mz_handover_start(void)
{
    bool ok = true;
    for (int i = 0; i < NWORKERS; i++)
        ok = mz_worker_start(&g_workers[i].w, worker_main, &g_workers[i]) && ok;
    atomic_store(&g_started, true);
    return ok;
}

void mz_handover_wake(void)
{
    if (!atomic_load(&g_started))
        return;
    for (int i = 0; i < NWORKERS; i++)
        mz_worker_wake(&g_workers[i].w);
}

void mz_handover_stop(void)
{
    if (!atomic_exchange(&g_started, false))
        return;
    for (int i = 0; i < NWORKERS; i++)
        mz_worker_stop(&g_workers[i].w);
}

/* --- the agency's answer */

bool mz_handover_is_event(const char *body, size_t len)
{
    /* Cheap first: every case-event push passes here, and most are not
     * hand-over events (an object naming "handover." somewhere). */
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (!body || i >= len || body[i] != '{' || !memmem(body, len, "\"handover.", 10))
        return false;
    char perr[64];
    mz_json_limits lim = {.max_depth = 4, .max_nodes = 64, .max_string = 4096};
    mz_json_doc *d = body && len ? mz_json_parse(body, len, &lim, perr, sizeof perr) : NULL;
    const mz_json *root = d ? mz_json_root(d) : NULL;
    const char *type = root && root->type == MZ_JSON_OBJECT
                           ? mz_json_string(mz_json_get(root, "type"), NULL)
                           : NULL;
    bool is = type && strncmp(type, "handover.", 9) == 0;
    mz_json_free(d);
    return is;
}

mz_handover_event_result mz_handover_event(mz_db *db, const char *agency_id, const char *body,
                                           size_t len, char *err, size_t errlen)
{
    char perr[64];
    mz_json_limits lim = {.max_depth = 4, .max_nodes = 64, .max_string = 4096};
    mz_json_doc *d = mz_json_parse(body, len, &lim, perr, sizeof perr);
    const mz_json *root = d ? mz_json_root(d) : NULL;
    const char *type = root ? mz_json_string(mz_json_get(root, "type"), NULL) : NULL;
    const char *hid = root ? mz_json_string(mz_json_get(root, "handoverId"), NULL) : NULL;
    const char *state = NULL;
    if (type && strcmp(type, "handover.acknowledged") == 0)
        state = "acknowledged";
    else if (type && strcmp(type, "handover.closed") == 0)
        state = "closed";
    mz_handover_event_result res = MZ_HO_EVENT_INVALID;
    if (!state)
        snprintf(err, errlen, "type: must be handover.acknowledged or handover.closed");
    else if (!hid || strlen(hid) != 36)
        snprintf(err, errlen, "handoverId: is required (the id of the hand-over, a UUID)");
    else
        res = MZ_HO_EVENT_APPLIED;
    bool uuid = true;
    for (int i = 0; hid && res == MZ_HO_EVENT_APPLIED && i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        uuid = uuid && (dash ? hid[i] == '-' : mz_hexval(hid[i]) >= 0);
    }
    if (res == MZ_HO_EVENT_APPLIED && !uuid) {
        snprintf(err, errlen, "handoverId: must be a UUID");
        res = MZ_HO_EVENT_INVALID;
    }
    if (res != MZ_HO_EVENT_APPLIED) {
        mz_json_free(d);
        return res;
    }
    const char *v[3] = {hid, agency_id, state};
    PGresult *r = db ? MZ_DB_EXEC(db, MZ_STMT_HANDOVER_EVENT, v) : NULL;
    mz_json_free(d);
    if (!mz_db_ok(r)) {
        if (r)
            mz_db_log_failure("cannot record a hand-over event", MZ_STMT_HANDOVER_EVENT, r);
        PQclear(r);
        return MZ_HO_EVENT_UNAVAILABLE;
    }
    if (PQntuples(r) == 0) {
        snprintf(err, errlen, "handoverId: no hand-over to this agency has this id");
        res = MZ_HO_EVENT_UNKNOWN;
    } else {
        const char *now = PQgetvalue(r, 0, MZ_COL_HANDOVER_EVENT_STATE);
        const char *before = PQgetvalue(r, 0, MZ_COL_HANDOVER_EVENT_PREVIOUS);
        res = strcmp(now, before) == 0 ? MZ_HO_EVENT_DUPLICATE : MZ_HO_EVENT_APPLIED;
    }
    PQclear(r);
    return res;
}
