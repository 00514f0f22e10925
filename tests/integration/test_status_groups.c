/*
 * test_status_groups.c — one list per concept: the status groups
 * (status.h) and the fields of a case record (store.c's mz_case_fields).
 *
 * The status groups are the service's citizen-facing vocabulary, written
 * down in three places that must agree: status.h (every check in C), the
 * database's enum type status_group (migration 001), and the OpenAPI
 * document's StatusGroup enum (the contract). Checked here: the three are
 * the same list in the same order, and the text messages name them by is
 * that list.
 *
 * The case fields: one table drives validation, the single upsert's
 * parameters, the batch's JSON and a queued copy. Checked here: it covers
 * every string member of mz_case_record exactly once, names only columns
 * of the cases table, has as many entries as case_upsert has parameters,
 * and each text field's length limit is the one validation enforces, under
 * the field's name.
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

#include "db.h"
#include "embedded.h"
#include "json.h"
#include "mzt.h"
#include "status.h"
#include "store.h"
#include "yamljson.h"

static mzt_env g_env;

static int setup(void **state)
{
    (void)state;
    return mzt_env_setup(&g_env, "status_groups") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

static void test_groups_equal_the_database_enum(void **state)
{
    (void)state;
    char *got = mzt_query_text(&g_env, "SELECT array_to_string(enum_range(NULL::status_group), "
                                       "', ')");
    assert_non_null(got);
    assert_string_equal(got, MZ_STATUS_GROUPS_TEXT);
    free(got);
}

static void test_groups_equal_the_openapi_enum(void **state)
{
    (void)state;
    char err[200];
    char *json = mz_yaml_to_json(mz_openapi_yaml, mz_openapi_yaml_len, err, sizeof err);
    assert_non_null(json);
    mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000};
    mz_json_doc *d = mz_json_parse(json, strlen(json), &lim, err, sizeof err);
    assert_non_null(d);
    const mz_json *sg = mz_json_get(
        mz_json_get(mz_json_get(mz_json_root(d), "components"), "schemas"), "StatusGroup");
    const mz_json *en = mz_json_get(sg, "enum");
    assert_non_null(en);
    assert_int_equal(en->type, MZ_JSON_ARRAY);
    assert_int_equal(en->u.kids.count, MZ_STATUS_GROUP_COUNT);
    int i = 0;
    for (const mz_json *v = en->u.kids.first; v; v = v->next, i++)
        assert_string_equal(mz_json_string(v, NULL), mz_status_groups[i]);
    mz_json_free(d);
    free(json);
}

static void test_groups_text_and_check_follow_the_list(void **state)
{
    (void)state;
    char joined[200] = "";
    for (int i = 0; i < MZ_STATUS_GROUP_COUNT; i++) {
        assert_true(mz_status_group_valid(mz_status_groups[i]));
        if (i)
            strcat(joined, ", ");
        strcat(joined, mz_status_groups[i]);
    }
    assert_string_equal(joined, MZ_STATUS_GROUPS_TEXT);
    assert_false(mz_status_group_valid("open"));
    assert_false(mz_status_group_valid("Received"));
    assert_false(mz_status_group_valid(""));
    assert_false(mz_status_group_valid(NULL));
}

/* Every string member of a record gets its own sentinel; walking the table
 * must meet each exactly once (so a member added to mz_case_record and not
 * to the table, or listed twice, fails here). */
static void test_case_fields_cover_every_member_once(void **state)
{
    (void)state;
    static const char s[22][2] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
                                  "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v"};
    mz_case_record r = {.agency_id = s[0],
                        .external_id = s[1],
                        .case_number = s[2],
                        .title = s[3],
                        .case_type_code = s[4],
                        .case_type_label = s[5],
                        .status_group = s[6],
                        .status_text = s[7],
                        .status_changed_at = s[8],
                        .registered_on = s[9],
                        .planned_end_on = s[10],
                        .legal_deadline_on = s[11],
                        .closed_on = s[12],
                        .result_text = s[13],
                        .action_text = s[14],
                        .action_url = s[15],
                        .action_due_on = s[16],
                        .deep_link_url = s[17],
                        .source_url = s[18],
                        .source_updated_at = s[19],
                        .source = s[20],
                        .subject_kind = s[21]};
    int seen[22] = {0}, keys = 0;
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++) {
        const mz_case_field *f = &mz_case_fields[i];
        if (f->kind == MZ_FIELD_SUBJECT_KEY) {
            assert_int_equal(f->offset, offsetof(mz_case_record, subject_key));
            keys++;
            continue;
        }
        const char *v = *(const char *const *)((const char *)&r + f->offset);
        assert_non_null(v);
        seen[v[0] - 'a']++;
    }
    assert_int_equal(keys, 1);
    for (int i = 0; i < 22; i++)
        assert_int_equal(seen[i], 1);
    /* One entry per parameter of the single upsert (the batch sends the
     * same fields as JSON members). */
    assert_int_equal(MZ_CASE_NFIELDS, mz_db_stmt_nparams(MZ_STMT_CASE_UPSERT));
}

static void test_case_fields_name_columns_of_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++) {
        char sql[300];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM information_schema.columns WHERE table_name = 'cases' "
                 "AND column_name = '%s'",
                 mz_case_fields[i].column);
        long n = mzt_query_long(&g_env, sql);
        if (n != 1)
            fprintf(stderr, "field %s: no column cases.%s\n", mz_case_fields[i].field,
                    mz_case_fields[i].column);
        assert_int_equal(n, 1);
    }
}

/* A valid record; then each text field in turn one byte longer than its
 * limit is refused naming that field, and exactly at its limit is not
 * refused for it. Validation fails before any database work. */
static void test_case_field_limits_are_enforced_by_name(void **state)
{
    (void)state;
    char err[200];
    mz_db *db = mz_db_connect(g_env.db_url, 0, err, sizeof err);
    assert_non_null(db);
    for (size_t i = 0; i < MZ_CASE_NFIELDS; i++) {
        const mz_case_field *f = &mz_case_fields[i];
        if (f->kind != MZ_FIELD_TEXT && f->kind != MZ_FIELD_REQUIRED)
            continue;
        mz_case_record r = {.agency_id = "nosuch",
                            .external_id = "x",
                            .title = "t",
                            .status_group = "received",
                            .status_text = "s",
                            .status_changed_at = "2026-01-01T00:00:00Z",
                            .source_updated_at = "2026-01-01T00:00:00Z",
                            .source = "poll"};
        char *longer = malloc(f->max + 2);
        memset(longer, 'x', f->max + 1);
        longer[f->max + 1] = '\0';
        *(const char **)((char *)&r + f->offset) = longer;
        err[0] = '\0';
        assert_int_equal(mz_store_upsert_case(db, &r, err, sizeof err), MZ_UPSERT_INVALID);
        char want[200];
        snprintf(want, sizeof want, "%s is longer than %zu bytes", f->field, f->max);
        assert_string_equal(err, want);
        longer[f->max] = '\0';
        err[0] = '\0';
        (void)mz_store_upsert_case(db, &r, err, sizeof err);
        assert_null(strstr(err, "is longer than"));
        free(longer);
    }
    mz_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups_equal_the_database_enum),
        cmocka_unit_test(test_groups_equal_the_openapi_enum),
        cmocka_unit_test(test_groups_text_and_check_follow_the_list),
        cmocka_unit_test(test_case_fields_cover_every_member_once),
        cmocka_unit_test(test_case_fields_name_columns_of_cases),
        cmocka_unit_test(test_case_field_limits_are_enforced_by_name),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
