/*
 * test_plog.c — W3C traceparent parsing and the processing activities
 * (built in, from a file, and what a professional may name as purpose).
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

#include "activities.h"
#include "plog.h"

static void test_traceparent(void **state)
{
    (void)state;
    char t[33], s[17];
    assert_true(
        mz_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t, s));
    assert_string_equal(t, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(s, "00f067aa0ba902b7");
    static const char *const bad[] = {
        NULL,
        "",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* unknown version */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* upper case */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span */
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  /* short */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mz_traceparent_parse(bad[i], t, s));
}

static void test_activities(void **state)
{
    (void)state;
    char err[256];
    assert_true(mz_activities_load(NULL, err, sizeof err));
    assert_non_null(mz_activity_for_purpose("klantvraag"));
    assert_null(mz_activity_for_purpose(MZ_ACTIVITY_SELF)); /* never a professional's purpose */
    assert_null(mz_activity_for_purpose("nieuwsgierigheid"));
    assert_null(mz_activity_for_purpose(NULL));
    assert_string_equal(mz_activity_self()->id, MZ_ACTIVITY_SELF);

    char path[1024];
    snprintf(path, sizeof path, "%s/config/activities.example.json", getenv("MZ_SOURCE_DIR"));
    assert_true(mz_activities_load(path, err, sizeof err));
    const mz_activity *a = mz_activity_for_purpose("schuldhulp-intake");
    assert_non_null(a);
    assert_non_null(strstr(a->name, "schuldhulp"));
    assert_string_equal(mz_activity_self()->id, MZ_ACTIVITY_SELF); /* always present */
    size_t n;
    mz_activities(&n);
    assert_int_equal(n, 4);

    char bad[256];
    snprintf(bad, sizeof bad, "%s/bad-activities.json",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"activities\":[{\"id\":\"Bad Id\",\"name\":\"x\"}]}", f);
    fclose(f);
    assert_false(mz_activities_load(bad, err, sizeof err));
    assert_non_null(strstr(err, "activities[0]"));
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"activities\":[{\"id\":\"a\",\"name\":\"x\"},{\"id\":\"a\",\"name\":\"y\"}]}", f);
    fclose(f);
    assert_false(mz_activities_load(bad, err, sizeof err));
    assert_non_null(strstr(err, "listed twice"));
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"activities\":[{\"id\":\"" MZ_ACTIVITY_SELF "\",\"name\":\"x\"}]}", f);
    fclose(f);
    assert_false(mz_activities_load(bad, err, sizeof err));
    assert_non_null(strstr(err, "no activity besides"));
    assert_false(mz_activities_load("/nonexistent/activities.json", err, sizeof err));
    remove(bad);
    mz_activities_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traceparent),
        cmocka_unit_test(test_activities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
