#include "notify.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "contact.h"
#include "crypto.h"
#include "json.h"
#include "log.h"
#include "outbound.h"
#include "worker.h"

/* --- quiet hours */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

/* The UTC moment 01:00 on the last Sunday of month m (31 days) of year y. */
static time_t last_sunday_0100(long y, unsigned m)
{
    long d = days_from_civil(y, m, 31);
    long wd = (d + 4) % 7; /* 1970-01-01 was a Thursday (4); 0 = Sunday */
    if (wd < 0)
        wd += 7;
    return (time_t)((d - wd) * 86400 + 3600);
}

int mz_notify_amsterdam_offset(time_t now)
{
    struct tm tm;
    gmtime_r(&now, &tm);
    long y = tm.tm_year + 1900L;
    return now >= last_sunday_0100(y, 3) && now < last_sunday_0100(y, 10) ? 7200 : 3600;
}

bool mz_notify_sms_allowed(time_t now)
{
    time_t local = now + mz_notify_amsterdam_offset(now);
    long sec = (long)(local % 86400);
    if (sec < 0)
        sec += 86400;
    return sec >= 8 * 3600 && sec < 21 * 3600;
}

/* --- the Notify key and JWT */

static bool is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : mz_hexval(s[i]) < 0)
            return false;
    }
    return true;
}

bool mz_notify_parse_key(const char *key, char service_id[37], char secret[37])
{
    size_t n = key ? strlen(key) : 0;
    if (n < 36 + 1 + 36 + 1 + 1)
        return false;
    const char *sec = key + n - 36, *svc = key + n - 73;
    if (sec[-1] != '-' || svc[-1] != '-' || !is_uuid(sec) || !is_uuid(svc))
        return false;
    memcpy(service_id, svc, 36);
    service_id[36] = '\0';
    memcpy(secret, sec, 36);
    secret[36] = '\0';
    return true;
}

void mz_notify_jwt(const char *service_id, const char *secret, long iat, char *out, size_t outlen)
{
    char claims[128];
    int cn = snprintf(claims, sizeof claims, "{\"iss\":\"%s\",\"iat\":%ld}", service_id, iat);
    static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"HS256\"}";
    char input[400];
    size_t n = mz_b64url_encode(header, sizeof header - 1, input);
    input[n++] = '.';
    n += mz_b64url_encode(claims, (size_t)cn, input + n);
    unsigned char mac[32];
    mz_hmac_sha256(secret, strlen(secret), input, n, mac);
    char sig[48];
    mz_b64url_encode(mac, sizeof mac, sig);
    snprintf(out, outlen, "%s.%s", input, sig);
}

/* --- templates */

static const char *const g_kinds[] = {"verification", "statusChange", "actionRequired", "decision"};
#define NKINDS 4
static char g_templates[NKINDS][2][37];

static int kind_index(const char *kind)
{
    for (int i = 0; i < NKINDS; i++)
        if (strcmp(kind, g_kinds[i]) == 0)
            return i;
    return -1;
}

bool mz_notify_templates_parse(const char *text, size_t len, char *err, size_t errlen)
{
    char perr[128];
    mz_json_doc *d = mz_json_parse(text, len, NULL, perr, sizeof perr);
    if (!d) {
        snprintf(err, errlen, "templates: %s", perr);
        return false;
    }
    char t[NKINDS][2][37];
    memset(t, 0, sizeof t);
    const mz_json *root = mz_json_root(d);
    bool ok = root->type == MZ_JSON_OBJECT;
    if (!ok)
        snprintf(err, errlen, "templates: must be a JSON object");
    for (const mz_json *m = ok ? root->u.kids.first : NULL; m && ok; m = m->next) {
        int k = kind_index(m->key);
        if (k < 0 || m->type != MZ_JSON_OBJECT) {
            snprintf(err, errlen,
                     "templates: members are verification, statusChange, actionRequired and "
                     "decision, each an object");
            ok = false;
            break;
        }
        for (const mz_json *c = m->u.kids.first; c && ok; c = c->next) {
            int ch = strcmp(c->key, "email") == 0 ? 0 : strcmp(c->key, "sms") == 0 ? 1 : -1;
            const char *id = mz_json_string(c, NULL);
            if (ch < 0 || !id || strlen(id) != 36 || !is_uuid(id)) {
                snprintf(err, errlen, "templates: %s.%s must be a template id (uuid)", m->key,
                         ch < 0 ? "email|sms" : c->key);
                ok = false;
                break;
            }
            memcpy(t[k][ch], id, 37);
        }
    }
    mz_json_free(d);
    if (ok)
        memcpy(g_templates, t, sizeof t);
    return ok;
}

const char *mz_notify_template(const char *kind, const char *channel)
{
    int k = kind_index(kind);
    int ch = strcmp(channel, "email") == 0 ? 0 : strcmp(channel, "sms") == 0 ? 1 : -1;
    if (k < 0 || ch < 0 || !g_templates[k][ch][0])
        return NULL;
    return g_templates[k][ch];
}

void mz_notify_body(mz_buf *b, const char *channel, const char *address, const char *template_id,
                    const char *kind, const char *organisations, int changes, const char *code,
                    const char *reference)
{
    bool email = strcmp(channel, "email") == 0;
    mz_buf_putc(b, '{');
    mz_json_key(b, email ? "email_address" : "phone_number");
    mz_json_cstr(b, address);
    mz_buf_putc(b, ',');
    mz_json_key(b, "template_id");
    mz_json_cstr(b, template_id);
    mz_buf_putc(b, ',');
    mz_json_key(b, "personalisation");
    mz_buf_putc(b, '{');
    if (strcmp(kind, "verification") == 0) {
        mz_json_key(b, "code");
        mz_json_cstr(b, code ? code : "");
    } else {
        /* "A, B en C" from "A|B|C" */
        mz_buf orgs = MZ_BUF_INIT;
        const char *p = organisations ? organisations : "";
        size_t count = *p ? 1 : 0;
        for (const char *q = p; *q; q++)
            count += *q == '|';
        size_t i = 0;
        while (*p) {
            const char *e = strchr(p, '|');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (i > 0)
                mz_buf_puts(&orgs, i + 1 == count ? " en " : ", ");
            mz_buf_append(&orgs, p, n);
            i++;
            p += n + (e ? 1 : 0);
        }
        mz_json_key(b, "organisatie");
        mz_json_str(b, orgs.data ? orgs.data : "", orgs.len);
        mz_buf_free(&orgs);
        mz_buf_putc(b, ',');
        mz_json_key(b, "aantal");
        mz_buf_printf(b, "\"%d\",", changes);
        mz_json_key(b, "meer");
        mz_json_cstr(b, changes > 1 ? "ja" : "nee");
    }
    mz_buf_puts(b, "},");
    mz_json_key(b, "reference");
    mz_json_cstr(b, reference);
    mz_buf_putc(b, '}');
}

/* --- the store's hook */

bool mz_notify_enqueue(mz_db *db, const char *events_json)
{
    const char *v[1] = {events_json};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_NOTIFY_ENQUEUE, v);
    bool ok = mz_db_ok(r);
    if (!ok)
        mz_db_log_failure("cannot write the notification outbox", MZ_STMT_NOTIFY_ENQUEUE, r);
    PQclear(r);
    if (ok)
        mz_notify_wake();
    return ok;
}

/* --- configuration */

static char g_service_id[37], g_secret[37];
static bool g_sender_ready;
static char g_callback_token[256];
static size_t g_callback_len;

/* The first line of a small secret file into out (no trailing newline). */
static bool read_secret(const char *path, char *out, size_t outlen, const char *what, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
        return false;
    }
    size_t n = fread(out, 1, outlen - 1, f);
    fclose(f);
    out[n] = '\0';
    char *nl = strpbrk(out, "\r\n");
    if (nl)
        *nl = '\0';
    if (!*out) {
        snprintf(err, errlen, "%s %s is empty", what, path);
        return false;
    }
    return true;
}

bool mz_notify_init(char *err, size_t errlen)
{
    const mz_config *c = &g_mz_config;
    if (c->contact_key_file && *c->contact_key_file &&
        !mz_contact_load_key(c->contact_key_file, err, errlen))
        return false;
    if (c->notify_callback_token_file && *c->notify_callback_token_file) {
        if (!read_secret(c->notify_callback_token_file, g_callback_token, sizeof g_callback_token,
                         "MZ_NOTIFY_CALLBACK_TOKEN_FILE", err, errlen))
            return false;
        g_callback_len = strlen(g_callback_token);
    }
    if (c->notify_templates && *c->notify_templates) {
        FILE *f = fopen(c->notify_templates, "rb");
        if (!f) {
            snprintf(err, errlen, "cannot open MZ_NOTIFY_TEMPLATES %s: %s", c->notify_templates,
                     strerror(errno));
            return false;
        }
        char text[8192];
        size_t n = fread(text, 1, sizeof text, f);
        fclose(f);
        if (!mz_notify_templates_parse(text, n, err, errlen))
            return false;
    }
    if (!c->notify_url || !*c->notify_url)
        return true;
    if (!c->notify_api_key_file || !*c->notify_api_key_file || !c->notify_templates ||
        !*c->notify_templates) {
        snprintf(err, errlen, "MZ_NOTIFY_URL needs MZ_NOTIFY_API_KEY_FILE and MZ_NOTIFY_TEMPLATES");
        return false;
    }
    char key[300];
    bool ok =
        read_secret(c->notify_api_key_file, key, sizeof key, "MZ_NOTIFY_API_KEY_FILE", err, errlen);
    if (ok && !mz_notify_parse_key(key, g_service_id, g_secret)) {
        snprintf(err, errlen,
                 "MZ_NOTIFY_API_KEY_FILE %s must hold a key {name}-{service id}-{secret}",
                 c->notify_api_key_file);
        ok = false;
    }
    OPENSSL_cleanse(key, sizeof key);
    if (!ok)
        return false;
    mz_out_base b;
    if (!mz_out_base_parse(c->notify_url, &b)) {
        snprintf(err, errlen, "MZ_NOTIFY_URL must be an http(s) base URL");
        return false;
    }
    mz_out_base_free(&b);
    mz_outbound_permit_base(c->notify_url);
    g_sender_ready = true;
    return true;
}

void mz_notify_shutdown(void)
{
    OPENSSL_cleanse(g_secret, sizeof g_secret);
    OPENSSL_cleanse(g_callback_token, sizeof g_callback_token);
    g_callback_len = 0;
    g_sender_ready = false;
    mz_contact_clear_key();
}

bool mz_notify_prefs_enabled(void)
{
    return mz_contact_ready();
}

bool mz_notify_callback_authorized(const char *authorization)
{
    if (!g_callback_len || !authorization || strncmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *t = authorization + 7;
    return mz_consttime_eq(t, strlen(t), g_callback_token, g_callback_len);
}

/* --- metrics counters (this process) */

static atomic_ullong g_sent[2], g_failed[2], g_retried[2];

static int ch_index(const char *channel)
{
    return strcmp(channel, "sms") == 0 ? 1 : 0;
}

void mz_notify_metrics(mz_buf *b, mz_db *db)
{
    static const char *const chn[2] = {"email", "sms"};
    PGresult *r = db ? MZ_DB_EXEC0(db, MZ_STMT_NOTIFY_STATS) : NULL;
    if (mz_db_ok(r)) {
        mz_buf_puts(b, "# HELP mz_notify_outbox Notification messages in the outbox, by channel "
                       "and state (pending, sending, retry: the backlog; sent, failed).\n"
                       "# TYPE mz_notify_outbox gauge\n");
        for (int i = 0; i < PQntuples(r); i++)
            mz_buf_printf(b, "mz_notify_outbox{channel=\"%s\",state=\"%s\"} %s\n",
                          PQgetvalue(r, i, MZ_COL_NOTIFY_STATS_CHANNEL),
                          PQgetvalue(r, i, MZ_COL_NOTIFY_STATS_STATE),
                          PQgetvalue(r, i, MZ_COL_NOTIFY_STATS_N));
    }
    PQclear(r);
    struct {
        const char *name, *help;
        atomic_ullong *v;
    } c[3] = {
        {"mz_notify_sent_total", "Messages Notify accepted (this instance).", g_sent},
        {"mz_notify_failed_total", "Messages given up (this instance).", g_failed},
        {"mz_notify_retried_total", "Attempts that will be retried (this instance).", g_retried}};
    for (int k = 0; k < 3; k++) {
        mz_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", c[k].name, c[k].help, c[k].name);
        for (int i = 0; i < 2; i++)
            mz_buf_printf(b, "%s{channel=\"%s\"} %llu\n", c[k].name, chn[i],
                          (unsigned long long)atomic_load(&c[k].v[i]));
    }
}

/* --- the sender */

typedef struct sender {
    mz_worker w;
    mz_db *db;
    mz_outbound *out;
} sender;

#define NSENDERS    2
#define CLAIM_BATCH 50
#define LEASE_SECS  60
#define REMIND_SECS 600 /* the reminder step's period: due dates are days */

static sender g_senders[NSENDERS] = {{.w = MZ_WORKER_INIT}, {.w = MZ_WORKER_INIT}};
/* Set when an address was just verified: the reminder step runs at the
 * sender's next turn instead of waiting for its period. */
static atomic_bool g_remind_soon;

/* The clock the quiet-hours rule reads: MZ_NOTIFY_TEST_NOW (UTC seconds;
 * test-only, documented in README "Notifications") when set. */
static time_t rule_now(void)
{
    const char *t = getenv("MZ_NOTIFY_TEST_NOW");
    if (t && *t) {
        char *end;
        long long v = strtoll(t, &end, 10);
        if (!*end && v > 0)
            return (time_t)v;
    }
    return time(NULL);
}

/* Opens a sealed hex value of subject (hex) and field; NULL when it does not open. */
static char *open_field(const char *subject_hex, const char *key_id, const char *sealed_hex,
                        const char *field)
{
    unsigned char subj[32], sealed[600];
    size_t sn = 0, n = 0;
    if (!sealed_hex || !*sealed_hex || !mz_hex_decode(subject_hex, subj, sizeof subj, &sn) ||
        sn != 32 || !mz_hex_decode(sealed_hex, sealed, sizeof sealed, &n))
        return NULL;
    unsigned char aad[40];
    size_t alen = mz_contact_aad(subj, field, aad);
    return mz_contact_open(key_id, sealed, n, aad, alen);
}

static void record(mz_db *db, mz_stmt st, const char *id, const char *a, const char *b,
                   const char *c)
{
    PGresult *r = NULL;
    if (st == MZ_STMT_NOTIFY_SENT) {
        const char *v[3] = {id, a, b};
        r = MZ_DB_EXEC(db, st, v);
    } else if (st == MZ_STMT_NOTIFY_FAIL) {
        const char *v[3] = {id, a, b};
        r = MZ_DB_EXEC(db, st, v);
    } else {
        const char *v[4] = {id, a, b, c};
        r = MZ_DB_EXEC(db, st, v);
    }
    if (!mz_db_ok(r))
        mz_db_log_failure("cannot record a notification outcome", st, r);
    PQclear(r);
}

static void outcome_fail(mz_db *db, const char *id, int ch, long status, const char *why)
{
    char st[16];
    snprintf(st, sizeof st, "%ld", status);
    record(db, MZ_STMT_NOTIFY_FAIL, id, status ? st : NULL, why, NULL);
    atomic_fetch_add(&g_failed[ch], 1);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_WARN, "notification given up");
    mz_log_str(&l, "outbox_id", id);
    mz_log_int(&l, "http_status", status);
    mz_log_str(&l, "reason", why);
    mz_log_end(&l);
}

static void outcome_retry(mz_db *db, const char *id, int ch, int attempts, long status,
                          const char *why)
{
    if (attempts >= (g_mz_config.notify_max_attempts ? g_mz_config.notify_max_attempts : 10)) {
        outcome_fail(db, id, ch, status, why);
        return;
    }
    long delay = 1L << (attempts < 12 ? attempts - 1 : 11); /* 1, 2, 4, ... s */
    if (delay > 3600)
        delay = 3600;
    char st[16], d[16];
    snprintf(st, sizeof st, "%ld", status);
    snprintf(d, sizeof d, "%ld", delay);
    record(db, MZ_STMT_NOTIFY_RETRY, id, status ? st : NULL, why, d);
    atomic_fetch_add(&g_retried[ch], 1);
}

/* Notify's error code of a refusal ("BadRequestError", ...): its
 * messages may quote the address, so only the code is kept. */
static void error_code(const char *body, size_t len, char *out, size_t outlen)
{
    snprintf(out, outlen, "refused");
    char perr[64];
    mz_json_doc *d = body ? mz_json_parse(body, len, NULL, perr, sizeof perr) : NULL;
    const mz_json *errs = d ? mz_json_get(mz_json_root(d), "errors") : NULL;
    const char *e = errs && errs->type == MZ_JSON_ARRAY
                        ? mz_json_string(mz_json_get(errs->u.kids.first, "error"), NULL)
                        : NULL;
    if (e && strlen(e) < 64 &&
        strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == strlen(e))
        snprintf(out, outlen, "%s", e);
    mz_json_free(d);
}

/* A message with this reference Notify already has: its id into out. 1
 * found, 0 none, -1 could not ask. */
static int lookup_reference(mz_outbound *out, const char *auth, const char *id, const char *type,
                            char *notify_id, size_t idlen)
{
    char url[1200];
    snprintf(url, sizeof url, "%s/v2/notifications?reference=%s&template_type=%s",
             g_mz_config.notify_url, id, type);
    const char *headers[] = {auth, "Accept: application/json", NULL};
    mz_outbound_result res = {0};
    mz_outbound_status st = mz_outbound_request(out, "GET", url, headers, NULL, 0, false,
                                                mz_outbound_now_ms() + 15000, &res);
    int found = -1;
    if (st == MZ_OUT_OK && res.status == 200) {
        char perr[64];
        mz_json_doc *d = mz_json_parse(res.body, res.body_len, NULL, perr, sizeof perr);
        const mz_json *list = d ? mz_json_get(mz_json_root(d), "notifications") : NULL;
        if (list && list->type == MZ_JSON_ARRAY) {
            const char *nid = list->u.kids.first
                                  ? mz_json_string(mz_json_get(list->u.kids.first, "id"), NULL)
                                  : NULL;
            found = nid ? 1 : 0;
            if (nid)
                snprintf(notify_id, idlen, "%s", nid);
        }
        mz_json_free(d);
    }
    mz_outbound_result_free(&res);
    return found;
}

static void send_row(mz_db *db, mz_outbound *out, PGresult *rows, int i)
{
#define COL(name) PQgetvalue(rows, i, MZ_COL_NOTIFY_CLAIM_##name)
    const char *id = COL(ID), *channel = COL(CHANNEL), *kind = COL(KIND);
    int ch = ch_index(channel);
    int attempts = atoi(COL(ATTEMPTS));
    bool verification = strcmp(kind, "verification") == 0;
    if (!verification && strcmp(COL(VERIFIED), "t") != 0) {
        outcome_fail(db, id, ch, 0, "address not verified");
        return;
    }
    const char *tid = mz_notify_template(kind, channel);
    if (!tid) {
        outcome_fail(db, id, ch, 0, "no template for this kind and channel");
        return;
    }
    char *address =
        open_field(COL(SUBJECT_KEY), COL(KEY_ID), COL(ADDRESS_ENC), ch ? "phone" : "email");
    if (!address) {
        outcome_fail(db, id, ch, 0, "the address cannot be decrypted (key id)");
        return;
    }
    char *code = NULL;
    if (verification) {
        code = open_field(COL(SUBJECT_KEY), COL(KEY_ID), COL(CODE_ENC), "code");
        if (!code) {
            mz_contact_free_plain(address);
            outcome_fail(db, id, ch, 0, "the code cannot be decrypted");
            return;
        }
    }
    char jwt[512], auth[560];
    mz_notify_jwt(g_service_id, g_secret, (long)time(NULL), jwt, sizeof jwt);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", jwt);
    if (strcmp(COL(RECLAIMED), "t") == 0) {
        char nid[128];
        int f = lookup_reference(out, auth, id, channel, nid, sizeof nid);
        if (f != 0) {
            if (f > 0) {
                record(db, MZ_STMT_NOTIFY_SENT, id, nid, "200", NULL);
                atomic_fetch_add(&g_sent[ch], 1);
            } else {
                outcome_retry(db, id, ch, attempts, 0, "cannot ask Notify by reference");
            }
            mz_contact_free_plain(address);
            mz_contact_free_plain(code);
            OPENSSL_cleanse(auth, sizeof auth);
            return;
        }
    }
    mz_buf body = MZ_BUF_INIT;
    mz_notify_body(&body, channel, address, tid, kind, COL(ORGANISATIONS), atoi(COL(CHANGES)), code,
                   id);
    mz_contact_free_plain(address);
    mz_contact_free_plain(code);
    char url[1100];
    snprintf(url, sizeof url, "%s/v2/notifications/%s", g_mz_config.notify_url,
             ch ? "sms" : "email");
    const char *headers[] = {auth, "Content-Type: application/json", "Accept: application/json",
                             NULL};
    mz_outbound_result res = {0};
    mz_outbound_status st = mz_outbound_request(out, "POST", url, headers, body.data, body.len,
                                                false, mz_outbound_now_ms() + 15000, &res);
    OPENSSL_cleanse(body.data, body.len);
    mz_buf_free(&body);
    OPENSSL_cleanse(auth, sizeof auth);
    char why[80];
    if (st != MZ_OUT_OK) {
        outcome_retry(db, id, ch, attempts, 0,
                      st == MZ_OUT_REFUSED ? "refused by the outbound policy" : "transport error");
    } else if (res.status == 201 || res.status == 200) {
        char perr[64], st_s[16];
        mz_json_doc *d = mz_json_parse(res.body, res.body_len, NULL, perr, sizeof perr);
        const char *nid = d ? mz_json_string(mz_json_get(mz_json_root(d), "id"), NULL) : NULL;
        snprintf(st_s, sizeof st_s, "%ld", res.status);
        record(db, MZ_STMT_NOTIFY_SENT, id, nid, st_s, NULL);
        mz_json_free(d);
        atomic_fetch_add(&g_sent[ch], 1);
    } else if (res.status == 429 || res.status >= 500) {
        error_code(res.body, res.body_len, why, sizeof why);
        outcome_retry(db, id, ch, attempts, res.status, why);
    } else {
        error_code(res.body, res.body_len, why, sizeof why);
        outcome_fail(db, id, ch, res.status, why);
    }
    mz_outbound_result_free(&res);
#undef COL
}

static int send_due(mz_db *db, mz_outbound *out, int limit)
{
    char lim[16], lease[16], digest[24];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(lease, sizeof lease, "%d", LEASE_SECS);
    snprintf(digest, sizeof digest, "%ld", g_mz_config.notify_digest_seconds);
    const char *v[4] = {lim, mz_notify_sms_allowed(rule_now()) ? "true" : "false", lease, digest};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_NOTIFY_CLAIM, v);
    if (!mz_db_ok(r)) {
        mz_db_log_failure("cannot claim notifications", MZ_STMT_NOTIFY_CLAIM, r);
        PQclear(r);
        return -1;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        send_row(db, out, r, i);
    PQclear(r);
    return n;
}

static mz_outbound *new_client(void)
{
    mz_outbound_opts o = {.bases = {g_mz_config.notify_url},
                          .timeout_ms = 10000,
                          .max_attempts = 1,
                          .max_response = 1 << 20};
    return mz_outbound_new(&o);
}

int mz_notify_send_due(mz_db *db, int limit)
{
    if (!g_sender_ready)
        return 0;
    mz_outbound *out = new_client();
    int n = send_due(db, out, limit);
    mz_outbound_free(out);
    return n;
}

int mz_notify_remind(mz_db *db, long days)
{
    if (days <= 0)
        return 0;
    char d[24];
    snprintf(d, sizeof d, "%ld", days);
    const char *v[1] = {d};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_NOTIFY_REMIND, v);
    if (!mz_db_ok(r)) {
        mz_db_log_failure("cannot write reminders", MZ_STMT_NOTIFY_REMIND, r);
        PQclear(r);
        return -1;
    }
    int n = atoi(PQgetvalue(r, 0, MZ_COL_NOTIFY_REMIND_ROWS));
    PQclear(r);
    if (n > 0) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_INFO, "notification reminders written");
        mz_log_int(&l, "reminders", n);
        mz_log_end(&l);
    }
    return n;
}

static void *sender_main(void *arg)
{
    sender *s = arg;
    char err[256];
    s->out = new_client();
    time_t next_remind = 0;
    while (!mz_worker_stopping(&s->w)) {
        if (!s->db) {
            s->db = mz_db_connect(g_mz_config.database_url, 30000, err, sizeof err);
            if (s->db)
                mz_db_plan_each_time(s->db);
        }
        /* The reminder step: the first sender only, at start and then every
         * REMIND_SECS (the statement is idempotent, so other instances
         * doing the same is harmless). */
        if (s == &g_senders[0] && s->db &&
            (time(NULL) >= next_remind || atomic_exchange(&g_remind_soon, false))) {
            int m = mz_notify_remind(s->db, g_mz_config.notify_reminder_days);
            next_remind = time(NULL) + (m < 0 ? 60 : REMIND_SECS);
        }
        int n = s->db ? send_due(s->db, s->out, CLAIM_BATCH) : -1;
        if (n < 0 && s->db && PQstatus(mz_db_pg(s->db)) != CONNECTION_OK) {
            mz_db_close(s->db);
            s->db = NULL;
        }
        if (n < CLAIM_BATCH)
            mz_worker_nap(&s->w, n < 0 ? 2000 : 500);
    }
    mz_db_close(s->db);
    s->db = NULL;
    mz_outbound_free(s->out);
    s->out = NULL;
    return NULL;
}

bool mz_notify_start(void)
{
    if (!g_sender_ready)
        return true;
    bool ok = true;
    for (int i = 0; i < NSENDERS; i++)
        ok = mz_worker_start(&g_senders[i].w, sender_main, &g_senders[i]) && ok;
    return ok;
}

void mz_notify_remind_soon(void)
{
    atomic_store(&g_remind_soon, true);
    mz_notify_wake();
}

void mz_notify_wake(void)
{
    if (!g_sender_ready)
        return;
    for (int i = 0; i < NSENDERS; i++)
        mz_worker_wake(&g_senders[i].w);
}

void mz_notify_stop(void)
{
    for (int i = 0; i < NSENDERS; i++)
        mz_worker_stop(&g_senders[i].w);
}
