/*
 * test_notify.c — notification preferences and the outbox (issue 15), with
 * the real service and Postgres: validation (a 400 naming the field,
 * nothing stored), masking, verification (wrong code, too many tries, the
 * right code), the store writing outbox rows in the change's transaction
 * (one change one row, digest fold-in, first-import silence, informeren:
 * false, changes older than the subscription, unverified addresses never
 * used), DELETE removing pending messages, and the delivery callback.
 * The sender against a fake Notify: test_notify_send.c.
 */
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

#include "bsn.h"
#include "contact.h"
#include "crypto.h"
#include "json.h"
#include "mzt.h"
#include "store.h"

#define BSN_A "999993653"
#define BSN_B "999990019"
static const char KEY_HEX[] = "8f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff";
static mzt_env g_env;
static mzt_server g_srv;
static char *g_tok_a, *g_tok_b;
static char g_subj_a[65];

static const char PREFS_A[] =
    "{\"email\":\"jan.jansen@voorbeeld.nl\",\"phone\":\"06 12345678\","
    "\"channels\":{\"email\":true,\"sms\":true},"
    "\"events\":{\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "notify"))
        return -1;
    char kpath[400], tpath[400], cpath[400];
    snprintf(kpath, sizeof kpath, "%s/contact.key", g_env.dir);
    snprintf(tpath, sizeof tpath, "%s/templates.json", g_env.dir);
    snprintf(cpath, sizeof cpath, "%s/callback.token", g_env.dir);
    char key[80];
    snprintf(key, sizeof key, "%s\n", KEY_HEX);
    write_file(kpath, key);
    write_file(tpath, "{\"verification\":{\"email\":\"11111111-1111-4111-8111-111111111111\","
                      "\"sms\":\"22222222-2222-4222-8222-222222222222\"},"
                      "\"statusChange\":{\"email\":\"33333333-3333-4333-8333-333333333333\"}}");
    write_file(cpath, "callback-secret-token\n");
    unsigned char k[MZ_CONTACT_KEY_LEN];
    assert_true(mz_contact_key_parse(key, strlen(key), k));
    mz_contact_set_key(k);
    mz_db *db = mzt_store_open(&g_env);
    if (!db)
        return -1;
    char err[200];
    mz_agency_row a1 = {"gemeente-test", "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    mz_agency_row a2 = {"uwv-test", "UWV Test", "zgw", "{}", NULL, NULL, NULL, true};
    assert_true(mz_store_upsert_agency(db, &a1, err, sizeof err));
    assert_true(mz_store_upsert_agency(db, &a2, err, sizeof err));
    mz_db_close(db);
    unsigned char s[MZ_PSEUDONYM_LEN];
    mz_pseudonym(BSN_A, 9, s);
    for (int i = 0; i < 32; i++)
        snprintf(g_subj_a + 2 * i, 3, "%02x", s[i]);
    char e1[450], e2[450], e3[450];
    snprintf(e1, sizeof e1, "MZ_CONTACT_KEY_FILE=%s", kpath);
    snprintf(e2, sizeof e2, "MZ_NOTIFY_TEMPLATES=%s", tpath);
    snprintf(e3, sizeof e3, "MZ_NOTIFY_CALLBACK_TOKEN_FILE=%s", cpath);
    const char *env[] = {e1, e2, e3, NULL};
    if (!mzt_server_start(&g_srv, &g_env, env))
        return -1;
    g_tok_a = mzt_citizen_token(&g_env, BSN_A);
    g_tok_b = mzt_citizen_token(&g_env, BSN_B);
    return g_tok_a && g_tok_b ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    free(g_tok_a);
    free(g_tok_b);
    static const char *const mine[] = {"jansen", "12345678", NULL}; /* the tests' contacts */
    bool clean = mzt_log_clean(g_srv.log, mine);
    if (!mzt_env_teardown(&g_env))
        return -1;
    return rc == 0 && clean ? 0 : -1;
}

static long req(const char *method, const char *path, const char *tok, const char *body,
                mzt_resp *out)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    assert_true(mzt_http(&g_srv, method, path, tok, h, body, out));
    return out->status;
}

static long count(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* A 400 whose detail or parameter names field, and nothing stored. */
static void expect_400(const char *body, const char *field)
{
    mzt_resp r;
    long before = count("SELECT count(*) FROM notify_preferences");
    assert_int_equal(req("PUT", "/api/v1/me/notification-preferences", g_tok_b, body, &r), 400);
    if (!strstr(r.body, field))
        fail_msg("400 does not name %s: %s", field, r.body);
    assert_non_null(strstr(r.body, "problem"));
    mzt_resp_free(&r);
    assert_int_equal(count("SELECT count(*) FROM notify_preferences"), before);
}

static void test_validation(void **state)
{
    (void)state;
    expect_400("{\"email\":\"jan@\",\"phone\":null,\"channels\":{\"email\":true,\"sms\":false},"
               "\"events\":{\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}",
               "email");
    expect_400("{\"email\":null,\"phone\":\"+4915112345678\",\"channels\":{\"email\":false,"
               "\"sms\":true},\"events\":{\"statusChange\":true,\"actionRequired\":true,"
               "\"decision\":true}}",
               "phone");
    expect_400("{\"email\":null,\"phone\":\"0201234567\",\"channels\":{\"email\":false,"
               "\"sms\":true},\"events\":{\"statusChange\":true,\"actionRequired\":true,"
               "\"decision\":true}}",
               "phone");
    expect_400("{\"email\":\"a@b.nl\",\"phone\":null,\"channels\":{\"email\":true,\"sms\":false},"
               "\"events\":{\"statusChange\":true,\"actionRequired\":false,\"decision\":true}}",
               "events.actionRequired");
    expect_400("{\"email\":null,\"phone\":null,\"channels\":{\"email\":true,\"sms\":false},"
               "\"events\":{\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}",
               "channels.email");
    expect_400("{\"email\":null,\"phone\":null,\"channels\":{\"email\":false},"
               "\"events\":{\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}",
               "channels.sms");
    expect_400("{\"email\":null,\"phone\":null,\"channels\":{\"email\":false,\"sms\":false},"
               "\"events\":{\"statusChange\":true,\"actionRequired\":true,\"decision\":true},"
               "\"extra\":1}",
               "extra");
    expect_400("[]", "JSON object");
}

/* The code of the latest verification message of subject A on channel, decrypted. */
static char *pending_code(const char *channel)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT encode(code_enc, 'hex') FROM notify_outbox WHERE kind = 'verification' AND "
             "channel = '%s' AND subject_key = decode('%s', 'hex') ORDER BY id DESC LIMIT 1",
             channel, g_subj_a);
    char *hex = mzt_query_text(&g_env, sql);
    assert_non_null(hex);
    size_t n = strlen(hex) / 2;
    unsigned char sealed[128];
    for (size_t i = 0; i < n; i++)
        sealed[i] = (unsigned char)(mz_hexval(hex[2 * i]) << 4 | mz_hexval(hex[2 * i + 1]));
    free(hex);
    unsigned char s[32], aad[40];
    mz_pseudonym(BSN_A, 9, s);
    size_t alen = mz_contact_aad(s, "code", aad);
    char *code = mz_contact_open(mz_contact_key_id(), sealed, n, aad, alen);
    assert_non_null(code);
    return code;
}

static void test_set_verify_and_mask(void **state)
{
    (void)state;
    mzt_resp r;
    assert_int_equal(req("PUT", "/api/v1/me/notification-preferences", g_tok_a, PREFS_A, &r), 200);
    assert_non_null(strstr(r.body, "\"email\":\"j***@voorbeeld.nl\""));
    assert_non_null(strstr(r.body, "\"phone\":\"+316******78\""));
    assert_non_null(strstr(r.body, "\"verified\":{\"email\":false,\"sms\":false}"));
    assert_null(strstr(r.body, "jansen"));
    mzt_resp_free(&r);
    /* stored sealed: neither the address nor the number in the row */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notify_preferences WHERE subject_key = decode('%s','hex') AND "
             "position('jansen'::bytea in email_enc) = 0 AND key_id <> ''",
             g_subj_a);
    assert_int_equal(count(sql), 1);
    assert_int_equal(count("SELECT count(*) FROM notify_outbox WHERE kind = 'verification'"), 2);
    /* a wrong code counts a try; five wrong codes use the code up */
    char *code = pending_code("email");
    char wrong[12];
    snprintf(wrong, sizeof wrong, "%06d", (atoi(code) + 1) % 1000000);
    char body[80];
    snprintf(body, sizeof body, "{\"channel\":\"email\",\"code\":\"%s\"}", wrong);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(
            req("POST", "/api/v1/me/notification-preferences/verify", g_tok_a, body, &r), 400);
        if (!strstr(r.body, "field 'code'") || !strstr(r.body, "not the code"))
            fail_msg("try %d: %s", i, r.body);
        mzt_resp_free(&r);
    }
    snprintf(body, sizeof body, "{\"channel\":\"email\",\"code\":\"%s\"}", code);
    assert_int_equal(req("POST", "/api/v1/me/notification-preferences/verify", g_tok_a, body, &r),
                     400);
    assert_non_null(strstr(r.body, "too many tries"));
    mzt_resp_free(&r);
    mz_contact_free_plain(code);
    /* saving the same address again within a minute sends no new code; clear the
     * code's age to ask for a new one */
    assert_true(mzt_sql(&g_env, "UPDATE notify_verifications SET created_at = now() - interval "
                                "'2 minutes'"));
    assert_int_equal(req("PUT", "/api/v1/me/notification-preferences", g_tok_a, PREFS_A, &r), 200);
    mzt_resp_free(&r);
    code = pending_code("email");
    snprintf(body, sizeof body, "{\"channel\":\"email\",\"code\":\"%s\"}", code);
    mz_contact_free_plain(code);
    assert_int_equal(req("POST", "/api/v1/me/notification-preferences/verify", g_tok_a, body, &r),
                     200);
    assert_non_null(strstr(r.body, "\"verified\":{\"email\":true,\"sms\":false}"));
    mzt_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/me/notification-preferences/verify", g_tok_a,
                         "{\"channel\":\"sms\",\"code\":\"12345\"}", &r),
                     400);
    mzt_resp_free(&r);
    /* GET says the same */
    assert_int_equal(req("GET", "/api/v1/me/notification-preferences", g_tok_a, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"verified\":{\"email\":true,\"sms\":false}"));
    mzt_resp_free(&r);
}

/* email/phone left out keep the stored addresses (the portal sees them only
 * masked): channels and events change, the verified address stays verified,
 * no new code is sent; a channel without any stored address is still a 400. */
static void test_put_keeps_omitted_address(void **state)
{
    (void)state;
    mzt_resp r;
    /* the unverified number's code is old enough for a new one: saving the
     * number again would send one; leaving it out must not */
    assert_true(mzt_sql(&g_env, "UPDATE notify_verifications SET created_at = now() - interval "
                                "'2 minutes'"));
    long codes = count("SELECT count(*) FROM notify_outbox WHERE kind = 'verification'");
    assert_int_equal(req("PUT", "/api/v1/me/notification-preferences", g_tok_a,
                         "{\"channels\":{\"email\":true,\"sms\":false},\"events\":"
                         "{\"statusChange\":false,\"actionRequired\":true,\"decision\":true}}",
                         &r),
                     200);
    if (!strstr(r.body, "\"email\":\"j***@voorbeeld.nl\"") ||
        !strstr(r.body, "\"phone\":\"+316******78\"") ||
        !strstr(r.body, "\"verified\":{\"email\":true,\"sms\":false}") ||
        !strstr(r.body, "\"channels\":{\"email\":true,\"sms\":false}") ||
        !strstr(r.body, "\"statusChange\":false"))
        fail_msg("%s", r.body);
    mzt_resp_free(&r);
    assert_int_equal(count("SELECT count(*) FROM notify_outbox WHERE kind = 'verification'"),
                     codes);
    /* the stored address is the real one, not a masked copy */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notify_preferences WHERE subject_key = decode('%s','hex') AND "
             "email_verified_at IS NOT NULL AND channel_email AND NOT ev_status_change",
             g_subj_a);
    assert_int_equal(count(sql), 1);
    /* subject B has no stored address: a channel without one is refused */
    expect_400("{\"channels\":{\"email\":false,\"sms\":true},\"events\":{\"statusChange\":true,"
               "\"actionRequired\":true,\"decision\":true}}",
               "channels.sms");
    /* back to everything on, the addresses still left out */
    assert_int_equal(req("PUT", "/api/v1/me/notification-preferences", g_tok_a,
                         "{\"channels\":{\"email\":true,\"sms\":true},\"events\":"
                         "{\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}",
                         &r),
                     200);
    assert_non_null(strstr(r.body, "\"verified\":{\"email\":true,\"sms\":false}"));
    mzt_resp_free(&r);
}

static void put_status(mz_db *db, const char *agency, const char *ext, const char *group,
                       const char *at, bool silent)
{
    mz_case_record c = {.agency_id = agency,
                        .external_id = ext,
                        .title = "Aanvraag",
                        .status_group = group,
                        .status_text = "Status",
                        .status_changed_at = at,
                        .source_updated_at = at,
                        .source = "poll",
                        .silent = silent};
    mz_pseudonym(BSN_A, 9, c.subject_key);
    char err[200];
    mz_upsert_result res = mz_store_upsert_case(db, &c, err, sizeof err);
    if (res != MZ_UPSERT_APPLIED && res != MZ_UPSERT_STALE)
        fail_msg("store: %s", err);
}

static long digests(const char *channel)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(sum(changes), 0) FROM notify_outbox WHERE kind <> 'verification' "
             "AND channel = '%s'",
             channel);
    return count(sql);
}

static void test_outbox_rules(void **state)
{
    (void)state;
    mz_db *db = mzt_store_open(&g_env);
    assert_non_null(db);
    /* first import (no successful sync yet): silence */
    put_status(db, "gemeente-test", "z1", "received", "2099-01-01 10:00:00+00", false);
    assert_int_equal(digests("email"), 0);
    assert_true(mzt_sql(&g_env, "UPDATE sync_state SET last_success_at = now()"));
    /* one change, one message (e-mail only: the number is not verified) */
    put_status(db, "gemeente-test", "z1", "in_progress", "2099-01-02 10:00:00+00", false);
    assert_int_equal(digests("email"), 1);
    assert_int_equal(digests("sms"), 0);
    assert_int_equal(count("SELECT count(*) FROM notify_outbox WHERE kind <> 'verification'"), 1);
    /* the same change again (a repeated delivery): nothing more */
    put_status(db, "gemeente-test", "z1", "in_progress", "2099-01-02 10:00:00+00", false);
    assert_int_equal(digests("email"), 1);
    /* the digest: another change folds into the pending message, another agency too */
    put_status(db, "uwv-test", "u1", "action_required", "2099-01-03 10:00:00+00", false);
    assert_int_equal(count("SELECT count(*) FROM notify_outbox WHERE kind <> 'verification'"), 1);
    char *kind = mzt_query_text(&g_env, "SELECT kind || ':' || array_to_string(organisations, "
                                        "'|') FROM notify_outbox WHERE kind <> 'verification'");
    assert_string_equal(kind, "actionRequired:Gemeente Test|UWV Test");
    free(kind);
    assert_int_equal(digests("email"), 2);
    /* informeren: false notifies no one */
    put_status(db, "gemeente-test", "z1", "on_hold", "2099-01-04 10:00:00+00", true);
    assert_int_equal(digests("email"), 2);
    /* a change older than the subscription notifies no one */
    put_status(db, "gemeente-test", "z2", "in_progress", "2001-01-01 10:00:00+00", false);
    assert_int_equal(digests("email"), 2);
    /* another citizen without preferences: nothing */
    assert_int_equal(count("SELECT count(DISTINCT subject_key) FROM notify_outbox"), 1);
    mz_db_close(db);
}

static void test_callback(void **state)
{
    (void)state;
    long id = count("SELECT min(id) FROM notify_outbox");
    char body[300];
    snprintf(body, sizeof body,
             "{\"id\":\"740e5834-3a29-46b4-9a6f-16142fde533a\",\"reference\":\"%ld\","
             "\"to\":\"x\",\"status\":\"delivered\",\"created_at\":\"2099-01-01T10:00:00Z\","
             "\"completed_at\":null,\"sent_at\":null,\"notification_type\":\"email\"}",
             id);
    mzt_resp r;
    assert_int_equal(req("POST", "/api/v1/notify/callback", NULL, body, &r), 401);
    mzt_resp_free(&r);
    const char *h[] = {"Content-Type: application/json", "Authorization: Bearer wrong-token", NULL};
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/notify/callback", NULL, h, body, &r));
    assert_int_equal(r.status, 401);
    mzt_resp_free(&r);
    const char *ok[] = {"Content-Type: application/json",
                        "Authorization: Bearer callback-secret-token", NULL};
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/notify/callback", NULL, ok, body, &r));
    assert_int_equal(r.status, 204);
    mzt_resp_free(&r);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notify_outbox WHERE id = %ld AND delivery_status = "
             "'delivered' AND delivered_at IS NOT NULL",
             id);
    assert_int_equal(count(sql), 1);
    assert_true(mzt_http(&g_srv, "POST", "/api/v1/notify/callback", NULL, ok,
                         "{\"id\":\"x\",\"reference\":\"1\",\"status\":\"weird\"}", &r));
    assert_int_equal(r.status, 400);
    mzt_resp_free(&r);
}

/* A representative reads the represented person's cases but never sees or
 * changes where that person's messages go (h_notify.c ready()). */
static void test_representative_refused(void **state)
{
    (void)state;
    char *rep = mzt_token_with(&g_env, "\"bsn\":\"" BSN_A "\",\"act\":{\"bsn\":\"" BSN_B "\"}");
    assert_non_null(rep);
    long before = count("SELECT count(*) FROM notify_preferences");
    static const char *const methods[] = {"GET", "PUT", "DELETE"};
    for (int i = 0; i < 3; i++) {
        mzt_resp r;
        long st = req(methods[i], "/api/v1/me/notification-preferences", rep,
                      i == 1 ? "{\"email\":\"iemand@voorbeeld.nl\",\"phone\":null,"
                               "\"channels\":{\"email\":true,\"sms\":false},\"events\":"
                               "{\"statusChange\":true,\"actionRequired\":true,\"decision\":true}}"
                             : NULL,
                      &r);
        assert_int_equal(st, 403);
        assert_non_null(strstr(r.body, "representative"));
        assert_null(strstr(r.body, "@"));
        mzt_resp_free(&r);
    }
    mzt_resp r;
    assert_int_equal(req("POST", "/api/v1/me/notification-preferences/verify", rep,
                         "{\"channel\":\"email\",\"code\":\"123456\"}", &r),
                     403);
    mzt_resp_free(&r);
    assert_int_equal(count("SELECT count(*) FROM notify_preferences"), before);
    free(rep);
    /* The person's own token still works. */
    assert_int_equal(req("GET", "/api/v1/me/notification-preferences", g_tok_a, NULL, &r), 200);
    mzt_resp_free(&r);
}

static void test_delete_stops_pending(void **state)
{
    (void)state;
    assert_true(count("SELECT count(*) FROM notify_outbox WHERE state = 'pending'") > 0);
    mzt_resp r;
    assert_int_equal(req("DELETE", "/api/v1/me/notification-preferences", g_tok_a, NULL, &r), 204);
    mzt_resp_free(&r);
    assert_int_equal(count("SELECT count(*) FROM notify_outbox"), 0);
    assert_int_equal(count("SELECT count(*) FROM notify_verifications"), 0);
    assert_int_equal(count("SELECT count(*) FROM notify_preferences"), 0);
    assert_int_equal(req("GET", "/api/v1/me/notification-preferences", g_tok_a, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"email\":null"));
    mzt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_set_verify_and_mask),
        cmocka_unit_test(test_put_keeps_omitted_address),
        cmocka_unit_test(test_outbox_rules),
        cmocka_unit_test(test_callback),
        cmocka_unit_test(test_delete_stops_pending),
        cmocka_unit_test(test_representative_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
