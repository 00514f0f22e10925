/*
 * test_demo_data.c — the demo tells one believable story (service/seed.c,
 * and the demo municipality of `fake_zgw --demo` that the run command
 * syncs from). Checked in both set-ups, as a citizen would see them:
 *  - seed only (`mijnzaken seed-demo`: the browser tests, the Docker demo
 *    without the fake);
 *  - the run command's: the municipality a live ZGW source (fake_zgw --demo,
 *    config/agencies.demo.json), seed-demo leaving it out, then a sync.
 * Invariants: no citizen has two cases with the same title; a title names
 * its case type; one case-number format per agency, its year the year of
 * registration; open cases' planned end and legal deadline lie ahead except
 * exactly one overdue case; meldingen have no decision dates and a handled
 * melding is closed with a result; closed cases have a closing date; the
 * timeline ends in the current status; the data is dated relative to now.
 * And the municipality's cases are the same in both set-ups.
 */
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
#include <sys/stat.h>

#include "mzt.h"

#define ZGW_SECRET "demo-data-test-zgw-secret"

static mzt_env g_env;
static char *g_seeded_gemeente; /* the municipality's cases after seed-demo alone */

static int setup(void **state)
{
    (void)state;
    return mzt_env_setup(&g_env, "demodata") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(g_seeded_gemeente);
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* Every invariant, with the failing rows named. */
static void check_invariants(const char *setup_name)
{
    static const struct {
        const char *what, *sql; /* sql: the offending rows' titles */
    } checks[] = {
        {"two cases with the same title for one citizen",
         "SELECT title FROM cases GROUP BY subject_key, title HAVING count(*) > 1"},
        {"a title that does not name its case type",
         "SELECT title FROM cases c WHERE NOT EXISTS (SELECT 1 FROM "
         "regexp_split_to_table(lower(c.case_type_label), '[^a-z]+') w WHERE length(w) >= 3 AND "
         "w <> 'aanvraag' AND position(w IN lower(c.title)) > 0)"},
        {"an agency with two case-number formats",
         "SELECT agency_id FROM cases GROUP BY agency_id HAVING count(DISTINCT "
         "regexp_replace(regexp_replace(case_number, '[A-Z]+', 'A', 'g'), '[0-9]', '9', 'g')) "
         "> 1"},
        {"a case number without the year of registration",
         "SELECT title FROM cases WHERE case_number IS NULL OR strpos(case_number, '-' || "
         "extract(year FROM registered_on)::int || '-') = 0"},
        {"a melding with a planned end or legal deadline",
         "SELECT title FROM cases WHERE case_type_label ILIKE 'melding%' AND "
         "(planned_end_on IS NOT NULL OR legal_deadline_on IS NOT NULL)"},
        {"a handled melding that is not closed with a result",
         "SELECT title FROM cases WHERE case_type_label ILIKE 'melding%' AND (closed_on IS NOT "
         "NULL OR status_group IN ('decided', 'closed')) AND (status_group <> 'closed' OR "
         "result_text IS NULL OR closed_on IS NULL)"},
        {"a closed or withdrawn case without a closing date (or the reverse)",
         "SELECT title FROM cases WHERE (status_group IN ('closed', 'withdrawn')) <> (closed_on "
         "IS NOT NULL)"},
        {"an open case with a planned end in the past (besides the overdue one)",
         "SELECT title FROM cases WHERE closed_on IS NULL AND planned_end_on < current_date AND "
         "NOT (legal_deadline_on < current_date)"},
        {"a timeline that does not end in the current status",
         "SELECT title FROM cases c WHERE (SELECT status_text FROM case_events e WHERE "
         "e.case_id = c.id ORDER BY occurred_at DESC, id DESC LIMIT 1) IS DISTINCT FROM "
         "c.status_text"},
        {"a registration after the current status, or a case older than a year",
         "SELECT title FROM cases WHERE registered_on > status_changed_at::date OR registered_on "
         "< current_date - 365"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        char sql[1200];
        snprintf(sql, sizeof sql, "SELECT string_agg(t, ', ') FROM (%s) x(t)", checks[i].sql);
        char *bad = mzt_query_text(&g_env, sql);
        if (bad) {
            char msg[1000];
            snprintf(msg, sizeof msg, "%s", bad);
            free(bad);
            fail_msg("%s: %s: %s", setup_name, checks[i].what, msg);
        }
    }
    /* Exactly one open case is overdue: its legal deadline passed. */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE closed_on IS NULL AND legal_deadline_on "
                       "< current_date"),
                     1);
    /* Dated relative to now: recent activity, nothing in the future. */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE status_changed_at > now() OR "
                       "registered_on > current_date"),
                     0);
    assert_true(
        q("SELECT count(*) FROM cases WHERE status_changed_at > now() - interval '7 days'") >= 3);
    /* Every demo citizen has cases at three agencies or more. */
    assert_int_equal(q("SELECT count(*) FROM (SELECT subject_key FROM cases GROUP BY subject_key "
                       "HAVING count(DISTINCT agency_id) >= 3) x"),
                     3);
}

/* The municipality's cases as a citizen sees them, for comparing set-ups. */
static char *gemeente_cases(void)
{
    return mzt_query_text(
        &g_env,
        "SELECT string_agg(concat_ws(' | ', encode(subject_key, 'hex'), case_number, title, "
        "case_type_code, case_type_label, status_group, status_text, status_changed_at, "
        "registered_on, planned_end_on, legal_deadline_on, closed_on, result_text, "
        "deep_link_url, (SELECT string_agg(concat_ws(' ', status_group, status_text, "
        "occurred_at), '; ' ORDER BY occurred_at) FROM case_events e WHERE e.case_id = c.id)), "
        "E'\\n' ORDER BY case_number) FROM cases c WHERE agency_id = 'gemeente-voorbeeld'");
}

static void test_seed_only(void **state)
{
    (void)state;
    const char *seed[] = {"seed-demo", NULL};
    /* the contact key (init-dev made it): the demo's hand-over is sealed */
    char ck[400];
    snprintf(ck, sizeof ck, "MZ_CONTACT_KEY_FILE=%s/keys/contact.key", g_env.dir);
    const char *env[] = {ck, NULL};
    assert_int_equal(mzt_run(&g_env, env, seed), 0);
    assert_int_equal(q("SELECT count(*) FROM cases"), 11);
    long events = q("SELECT count(*) FROM case_events");
    check_invariants("seed-demo");
    /* Idempotent: again, the same cases and timelines, no entry twice. */
    assert_int_equal(mzt_run(&g_env, env, seed), 0);
    assert_int_equal(q("SELECT count(*) FROM cases"), 11);
    assert_int_equal(q("SELECT count(*) FROM case_events"), events);
    /* Contact moments (issue 17): citizen 0 phoned the municipality about
     * the WW case and has an open call-back at UWV (taken on, not done),
     * and came to the desk a week earlier; once, also when seeded again. */
    assert_int_equal(q("SELECT count(*) FROM contact_moments"), 2);
    assert_int_equal(q("SELECT count(*) FROM contact_moments m JOIN cases c ON c.id = m.case_id "
                       "AND c.subject_key = m.subject_key"),
                     2);
    assert_int_equal(q("SELECT count(*) FROM handovers h JOIN contact_moments m ON m.id = "
                       "h.contact_moment_id WHERE h.agency_id = 'uwv' AND m.organisation = "
                       "'Gemeente Voorbeeld' AND h.state = 'acknowledged' AND h.callback AND "
                       "h.callback_enc IS NOT NULL"),
                     1);
    /* without the contact key: the moments, no hand-over */
    assert_int_equal(mzt_run(&g_env, NULL, seed), 0);
    assert_int_equal(q("SELECT count(*) FROM contact_moments"), 2);
    assert_int_equal(q("SELECT count(*) FROM handovers"), 0);
    assert_int_equal(mzt_run(&g_env, env, seed), 0);
    assert_int_equal(q("SELECT count(*) FROM handovers"), 1);
    check_invariants("seed-demo, run twice");
    g_seeded_gemeente = gemeente_cases();
    assert_non_null(g_seeded_gemeente);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'gemeente-voorbeeld'"), 4);
}

/* The run command's set-up: the municipality live from fake_zgw --demo. */
static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

/* The decided melding has its besluit and a real PDF decision letter,
 * listed and downloadable through the service (issue 16). */
static void demo_decision_letter(const char *const *env)
{
    assert_int_equal(q("SELECT count(*) FROM case_decisions x JOIN cases c ON c.id = x.case_id "
                       "WHERE c.agency_id = 'gemeente-voorbeeld' AND c.case_number LIKE "
                       "'%-000988'"),
                     1);
    char *case_id = mzt_query_text(&g_env, "SELECT id FROM cases WHERE agency_id = "
                                           "'gemeente-voorbeeld' AND case_number LIKE '%-000988'");
    char *doc_id = mzt_query_text(&g_env, "SELECT id FROM case_documents WHERE title = 'Besluit "
                                          "op uw melding'");
    assert_non_null(case_id);
    assert_non_null(doc_id);
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_citizen_token(&g_env, "999993653"); /* the demo's first citizen */
    char path[300];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s/documents/%s/content", case_id, doc_id);
    mzt_resp r;
    /* binary content: checked against the contract below without its bytes */
    assert_true(mzt_http_unchecked(&s, "GET", path, tok, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    char ct[64] = "", err[300];
    assert_true(mzt_header(&r, "content-type", ct, sizeof ct));
    assert_string_equal(ct, "application/pdf");
    if (!mzt_contract_check("GET", path, 200, ct, "", 0, err, sizeof err))
        fail_msg("contract: %s", err);
    /* a real PDF: header, one page, a cross-reference table, the end marker */
    assert_true(r.body_len > 500 && r.body_len < 10000);
    assert_memory_equal(r.body, "%PDF-1.4", 8);
    assert_true(contains(r.body, r.body_len, "/Type /Page "));
    assert_true(contains(r.body, r.body_len, "\nxref\n"));
    assert_memory_equal(r.body + r.body_len - 6, "%%EOF\n", 6);
    mzt_resp_free(&r);
    free(tok);
    free(case_id);
    free(doc_id);
    assert_int_equal(mzt_server_stop(&s), 0);
}

static void test_live_municipality(void **state)
{
    (void)state;
    char secret[400], agencies[400], cmd[1200];
    snprintf(secret, sizeof secret, "%s/zgw-demo.secret", g_env.dir);
    FILE *f = fopen(secret, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", ZGW_SECRET);
    fclose(f);
    chmod(secret, 0600);
    const char *args[] = {"--listen", "127.0.0.1:0", "--demo", "--secret-file", secret, NULL};
    mzt_server fake;
    assert_true(mzt_fixture_start(&fake, &g_env, "fake_zgw", args));
    const char *src = getenv("MZ_SOURCE_DIR");
    assert_non_null(src);
    snprintf(agencies, sizeof agencies, "%s/agencies.json", g_env.dir);
    /* The run command's agencies file, pointed at this fake's port and at
     * this test's secret file (as scripts/run.sh does). */
    snprintf(cmd, sizeof cmd,
             "sed -e 's/127\\.0\\.0\\.1:8091/127.0.0.1:%u/g' -e 's|/run/mijnzaken/keys|%s|g' "
             "%s/config/agencies.demo.json > %s",
             fake.port, g_env.dir, src, agencies);
    assert_int_equal(system(cmd), 0);
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", agencies);
    const char *env[] = {kv, NULL};

    const char *seed[] = {"seed-demo", NULL};
    assert_int_equal(mzt_run(&g_env, env, seed), 0);
    /* The seeded municipality made way for the live one. */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'gemeente-voorbeeld'"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases"), 7);
    const char *sync[] = {"sync", "--agency", "gemeente-voorbeeld", "--once", NULL};
    assert_int_equal(mzt_run(&g_env, env, sync), 0);
    demo_decision_letter(env);
    mzt_server_stop(&fake);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'gemeente-voorbeeld' AND "
                       "last_source = 'poll'"),
                     4);
    check_invariants("seed-demo with the live municipality");
    /* The same four cases as the seed's, field for field. */
    char *live = gemeente_cases();
    assert_non_null(live);
    assert_non_null(g_seeded_gemeente);
    if (strcmp(live, g_seeded_gemeente) != 0)
        fail_msg("the municipality differs between set-ups:\nseed:\n%s\nlive:\n%s",
                 g_seeded_gemeente, live);
    free(live);
}

/* The fake refuses a secret file others can read. */
static void test_fake_secret_file_private(void **state)
{
    (void)state;
    char secret[400], cmd[1200];
    snprintf(secret, sizeof secret, "%s/open.secret", g_env.dir);
    FILE *f = fopen(secret, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", ZGW_SECRET);
    fclose(f);
    chmod(secret, 0644);
    const char *dir = getenv("MZ_FIXTURE_DIR");
    assert_non_null(dir);
    snprintf(cmd, sizeof cmd,
             "%s/fake_zgw --listen 127.0.0.1:0 --secret-file %s 2>&1 | grep -q 'owner only'", dir,
             secret);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_only),
        cmocka_unit_test(test_live_municipality),
        cmocka_unit_test(test_fake_secret_file_private),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
