/*
 * test_notify_remind.c — the notify worker's reminder step (issue 15:
 * "action required, with a reminder a configurable number of days before
 * the due date"; mz_notify_remind, statement notify_remind, migration 013)
 * against real Postgres: a case whose action is due within the window gets
 * one actionRequired outbox message; running the step again (on this or
 * another connection, as another instance would) writes nothing; a moved
 * due date is a new reminder, folded into the pending digest; no reminder
 * for a subject without preferences or without a verified address, for a
 * due date outside the window or passed, for a closed case, or with
 * MZ_NOTIFY_REMINDER_DAYS = 0. The preferences are written as stored rows
 * (the step never reads the sealed addresses); the API: test_notify.c.
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
#include "crypto.h"
#include "mzt.h"
#include "notify.h"
#include "store.h"

#define BSN_A "999993653" /* verified e-mail, SMS chosen but the number unverified */
#define BSN_B "999990019" /* preferences, the address not verified */
#define BSN_C "999990032" /* no preferences */

static mzt_env g_env;
static mz_db *g_db;

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "notify_remind"))
        return -1;
    g_db = mzt_store_open(&g_env);
    if (!g_db)
        return -1;
    char err[200];
    mz_agency_row a1 = {"gemeente-test", "Gemeente Test", "zgw", "{}", NULL, NULL, NULL, true};
    mz_agency_row a2 = {"uwv-test", "UWV Test", "zgw", "{}", NULL, NULL, NULL, true};
    if (!mz_store_upsert_agency(g_db, &a1, err, sizeof err) ||
        !mz_store_upsert_agency(g_db, &a2, err, sizeof err))
        return -1;
    char sql[900], a[65], b[65];
    unsigned char s[MZ_PSEUDONYM_LEN];
    mz_pseudonym(BSN_A, 9, s);
    for (int i = 0; i < 32; i++)
        snprintf(a + 2 * i, 3, "%02x", s[i]);
    mz_pseudonym(BSN_B, 9, s);
    for (int i = 0; i < 32; i++)
        snprintf(b + 2 * i, 3, "%02x", s[i]);
    snprintf(sql, sizeof sql,
             "INSERT INTO notify_preferences (subject_key, key_id, email_enc, phone_enc, "
             "email_verified_at, channel_email, channel_sms) VALUES "
             "(decode('%s', 'hex'), '0123456789abcdef', '\\x01', '\\x02', now(), true, true), "
             "(decode('%s', 'hex'), '0123456789abcdef', '\\x03', NULL, NULL, true, false)",
             a, b);
    return mzt_sql(&g_env, sql) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mz_db_close(g_db);
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static long count(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* Today in Europe/Amsterdam plus days, as YYYY-MM-DD (static buffer per call site). */
static void day(int days, char out[16])
{
    char sql[120];
    snprintf(sql, sizeof sql, "SELECT ((now() AT TIME ZONE 'Europe/Amsterdam')::date + %d)::text",
             days);
    char *d = mzt_query_text(&g_env, sql);
    assert_non_null(d);
    snprintf(out, 16, "%s", d);
    free(d);
}

/* A case of bsn waiting for an action due on `due` (NULL: none), as of `at`. */
static void put_case(const char *bsn, const char *agency, const char *ext, const char *group,
                     const char *due, const char *closed, const char *at)
{
    mz_case_record c = {.agency_id = agency,
                        .external_id = ext,
                        .title = "Aanvraag",
                        .status_group = group,
                        .status_text = "Actie nodig",
                        .status_changed_at = at,
                        .source_updated_at = at,
                        .action_text = due ? "Stuur het formulier op" : NULL,
                        .action_due_on = due,
                        .closed_on = closed,
                        .source = "poll"};
    mz_pseudonym(bsn, 9, c.subject_key);
    char err[200];
    mz_upsert_result res = mz_store_upsert_case(g_db, &c, err, sizeof err);
    if (res != MZ_UPSERT_APPLIED)
        fail_msg("store: %d %s", res, err);
}

static long reminders(void)
{
    return count("SELECT count(*) FROM notify_reminders");
}

/* The outbox's reminder messages: "channel:kind:organisations:changes;" each. */
static char *outbox(void)
{
    char *s = mzt_query_text(
        &g_env, "SELECT coalesce(string_agg(channel || ':' || kind || ':' || "
                "array_to_string(organisations, '|') || ':' || changes, ';' ORDER BY id), '') "
                "FROM notify_outbox WHERE kind <> 'verification'");
    assert_non_null(s);
    return s;
}

static void expect_outbox(const char *want)
{
    char *got = outbox();
    assert_string_equal(got, want);
    free(got);
}

static void test_reminder_once_per_case_and_due_date(void **state)
{
    (void)state;
    char d2[16], d3[16], d1[16];
    day(2, d2);
    day(3, d3);
    day(1, d1);
    put_case(BSN_A, "gemeente-test", "ra1", "action_required", d2, NULL, "2026-01-01 10:00:00+00");
    put_case(BSN_B, "gemeente-test", "rb1", "action_required", d1, NULL, "2026-01-01 10:00:00+00");
    put_case(BSN_C, "gemeente-test", "rc1", "action_required", d1, NULL, "2026-01-01 10:00:00+00");
    /* the store itself wrote nothing (an agency's first import): only reminders count here */
    expect_outbox("");

    /* due in 2 days, reminded 3 days ahead: one message, e-mail only (the
     * number is not verified); B (unverified) and C (no preferences): none */
    assert_int_equal(mz_notify_remind(g_db, 3), 1);
    assert_int_equal(reminders(), 1);
    expect_outbox("email:actionRequired:Gemeente Test:1");
    assert_int_equal(count("SELECT count(DISTINCT subject_key) FROM notify_reminders"), 1);

    /* again: nothing more (a restart, the next period) */
    assert_int_equal(mz_notify_remind(g_db, 3), 0);
    assert_int_equal(reminders(), 1);
    expect_outbox("email:actionRequired:Gemeente Test:1");

    /* another instance (its own connection): nothing more either */
    mz_db *other = mzt_store_open(&g_env);
    assert_non_null(other);
    assert_int_equal(mz_notify_remind(other, 3), 0);
    mz_db_close(other);
    expect_outbox("email:actionRequired:Gemeente Test:1");

    /* the due date moved: a new reminder, folded into the pending message (the digest) */
    put_case(BSN_A, "gemeente-test", "ra1", "action_required", d3, NULL, "2026-01-02 10:00:00+00");
    expect_outbox("email:actionRequired:Gemeente Test:1"); /* the store wrote nothing */
    assert_int_equal(mz_notify_remind(g_db, 3), 1);
    assert_int_equal(reminders(), 2);
    expect_outbox("email:actionRequired:Gemeente Test:2");
    assert_int_equal(mz_notify_remind(g_db, 3), 0);

    /* once that message is on its way, a reminder for another organisation is a new one */
    assert_true(mzt_sql(&g_env, "UPDATE notify_outbox SET state = 'sent'"));
    put_case(BSN_A, "uwv-test", "ra2", "action_required", d1, NULL, "2026-01-01 10:00:00+00");
    assert_int_equal(mz_notify_remind(g_db, 3), 1);
    expect_outbox("email:actionRequired:Gemeente Test:2;email:actionRequired:UWV Test:1");
}

static void test_no_reminder_outside_the_rules(void **state)
{
    (void)state;
    char d10[16], past[16], d1[16], d0[16];
    day(10, d10);
    day(-1, past);
    day(1, d1);
    day(0, d0);
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    long before = reminders();
    /* outside the window, passed, a closed case, not waiting for the citizen */
    put_case(BSN_A, "gemeente-test", "rx1", "action_required", d10, NULL, "2026-01-01 10:00:00+00");
    put_case(BSN_A, "gemeente-test", "rx2", "action_required", past, NULL,
             "2026-01-01 10:00:00+00");
    put_case(BSN_A, "gemeente-test", "rx3", "action_required", d1, d0, "2026-01-01 10:00:00+00");
    put_case(BSN_A, "gemeente-test", "rx4", "in_progress", d1, NULL, "2026-01-01 10:00:00+00");
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    assert_int_equal(mz_notify_remind(g_db, 3), 0);
    assert_int_equal(reminders(), before);
    expect_outbox("");
    /* 0 = off, even for a case inside any window */
    put_case(BSN_A, "gemeente-test", "rx5", "action_required", d0, NULL, "2026-01-01 10:00:00+00");
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_outbox"));
    assert_int_equal(mz_notify_remind(g_db, 0), 0);
    expect_outbox("");
    /* a wider window reaches the case due in 10 days; due today counts as within */
    assert_int_equal(mz_notify_remind(g_db, 10), 2);
    expect_outbox("email:actionRequired:Gemeente Test:2");
    /* the subject deletes its preferences: its pending reminder goes, and no new one */
    assert_true(mzt_sql(&g_env, "DELETE FROM notify_preferences"));
    expect_outbox("");
    put_case(BSN_A, "gemeente-test", "rx6", "action_required", d1, NULL, "2026-01-01 10:00:00+00");
    assert_int_equal(mz_notify_remind(g_db, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reminder_once_per_case_and_due_date),
        cmocka_unit_test(test_no_reminder_outside_the_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
