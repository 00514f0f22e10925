/*
 * test_events.c — the pushed event format (events.c): every field of the
 * one field table is read with its limits and checks, errors name the
 * field's path, and the canonical form written to the inbox carries the
 * same fields in one fixed order (the BSN replaced by its pseudonym), so
 * a replay gives back exactly what was accepted.
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

#include "buf.h"
#include "crypto.h"
#include "events.h"

#define FULL                                                                                       \
    "{\"caseReference\":\"Z-1\",\"bsn\":\"999993653\",\"title\":\"Bijstand\","                     \
    "\"caseNumber\":\"2026-1\",\"caseType\":{\"code\":\"BIJ\",\"label\":\"Bijstand\"},"            \
    "\"status\":{\"group\":\"in_progress\",\"text\":\"In behandeling\"},"                          \
    "\"occurredAt\":\"2026-11-01T10:00:00Z\",\"dates\":{\"registered\":\"2026-10-01\","            \
    "\"plannedEnd\":\"2026-12-01\",\"legalDeadline\":\"2026-12-15\",\"closed\":null},"             \
    "\"actionRequired\":{\"text\":\"Stuur loonstroken\",\"url\":\"https://x.nl/a\","               \
    "\"dueDate\":\"2026-11-20\"},\"result\":\"Toegekend\",\"link\":\"https://x.nl/z\"}"

static int setup(void **state)
{
    (void)state;
    unsigned char key[32];
    memset(key, 7, sizeof key);
    mz_pseudonym_set_key(key, sizeof key);
    return 0;
}

static char *accept(const char *body, char *err, size_t errlen)
{
    mz_buf out = MZ_BUF_INIT;
    size_t n = 0;
    if (!mz_events_accept(body, strlen(body), &out, &n, err, errlen)) {
        mz_buf_free(&out);
        return NULL;
    }
    return mz_buf_steal(&out, NULL);
}

static bool collect(void *ud, const mz_case_record *r)
{
    mz_buf *b = ud;
    mz_buf_printf(
        b, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", r->external_id, r->title,
        r->case_number ? r->case_number : "-", r->case_type_code ? r->case_type_code : "-",
        r->case_type_label ? r->case_type_label : "-", r->status_group, r->status_text,
        r->status_changed_at, r->registered_on ? r->registered_on : "-",
        r->planned_end_on ? r->planned_end_on : "-",
        r->legal_deadline_on ? r->legal_deadline_on : "-", r->closed_on ? r->closed_on : "-",
        r->action_text ? r->action_text : "-", r->action_url ? r->action_url : "-",
        r->action_due_on ? r->action_due_on : "-", r->result_text ? r->result_text : "-",
        r->deep_link_url ? r->deep_link_url : "-", r->source);
    return true;
}

static void test_full_event_round_trip(void **state)
{
    (void)state;
    char err[200] = "";
    char *canon = accept(FULL, err, sizeof err);
    assert_non_null(canon);
    assert_null(strstr(canon, "999993653")); /* the BSN is gone */
    char *subj = strstr(canon, "\"subjectKey\":\"");
    assert_non_null(subj);
    /* fixed order, absent and null fields left out */
    char expect_head[] = "[{\"caseReference\":\"Z-1\",\"subjectKey\":\"";
    assert_memory_equal(canon, expect_head, strlen(expect_head));
    const char *tail = subj + strlen("\"subjectKey\":\"") + 64;
    assert_string_equal(
        tail, "\",\"subjectKind\":\"bsn\",\"title\":\"Bijstand\",\"caseNumber\":\"2026-1\","
              "\"caseType\":{\"code\":\"BIJ\","
              "\"label\":\"Bijstand\"},\"status\":{\"group\":\"in_progress\",\"text\":\"In "
              "behandeling\"},\"occurredAt\":\"2026-11-01T10:00:00Z\",\"dates\":{\"registered\":"
              "\"2026-10-01\",\"plannedEnd\":\"2026-12-01\",\"legalDeadline\":\"2026-12-15\"},"
              "\"actionRequired\":{\"text\":\"Stuur loonstroken\",\"url\":\"https://x.nl/a\","
              "\"dueDate\":\"2026-11-20\"},\"result\":\"Toegekend\",\"link\":\"https://x.nl/z\"}]");
    mz_buf got = MZ_BUF_INIT;
    assert_true(
        mz_events_replay("gem", "ev1", canon, strlen(canon), collect, &got, err, sizeof err));
    assert_string_equal(got.data, "Z-1|Bijstand|2026-1|BIJ|Bijstand|in_progress|In behandeling|"
                                  "2026-11-01T10:00:00Z|2026-10-01|2026-12-01|2026-12-15|-|"
                                  "Stuur loonstroken|https://x.nl/a|2026-11-20|Toegekend|"
                                  "https://x.nl/z|webhook");
    mz_buf_free(&got);
    free(canon);
}

static void test_minimal_event_leaves_optional_objects_out(void **state)
{
    (void)state;
    char err[200] = "";
    char *canon =
        accept("{\"caseReference\":\"Z-2\",\"bsn\":\"999993653\",\"title\":\"T\",\"status\":{"
               "\"group\":\"received\",\"text\":\"Ontvangen\"},\"occurredAt\":"
               "\"2026-11-01T10:00:00+01:00\",\"dates\":{},\"caseType\":null}",
               err, sizeof err);
    assert_non_null(canon);
    assert_null(strstr(canon, "dates"));
    assert_null(strstr(canon, "caseType"));
    assert_null(strstr(canon, "actionRequired"));
    free(canon);
}

/* Each row: a change to the full event, and the error it must give. */
static void test_errors_name_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *from, *to, *err;
    } cases[] = {
        {"\"title\":\"Bijstand\",", "", "event.title: is required"},
        {"\"bsn\":\"999993653\"", "\"bsn\":\"123456789\"", "event.bsn: is not a valid BSN"},
        /* subjects of a kind (issue 14): each refused, naming the field */
        {"\"bsn\":\"999993653\"", "\"subject\":{\"kind\":\"kvk\",\"id\":\"6875011\"}",
         "event.subject.id: is not a valid KVK number (8 digits)"},
        {"\"bsn\":\"999993653\"",
         "\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\",\"vestiging\":\"1234\"}",
         "event.subject.vestiging: is not a valid vestiging number (12 digits)"},
        {"\"bsn\":\"999993653\"", "\"subject\":{\"kind\":\"person\",\"id\":\"999993653\"}",
         "event.subject.kind: is not a known subject kind"},
        {"\"bsn\":\"999993653\"",
         "\"bsn\":\"999993653\",\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\"}",
         "event.bsn: does not name the same subject as subject"},
        {"\"bsn\":\"999993653\"",
         "\"bsn\":\"999993653\",\"subject\":{\"kind\":\"bsn\",\"id\":\"999990019\"}",
         "event.bsn: does not name the same subject as subject"},
        {"\"status\":{\"group\":\"in_progress\",\"text\":\"In behandeling\"},", "",
         "event.status: is required"},
        {"\"group\":\"in_progress\"", "\"group\":\"busy\"", "event.status.group: must be one of"},
        {"\"text\":\"In behandeling\"", "\"text\":\"\"", "event.status.text: must not be empty"},
        {"\"occurredAt\":\"2026-11-01T10:00:00Z\"", "\"occurredAt\":\"gisteren\"",
         "event.occurredAt: must be an RFC 3339 date-time"},
        {"\"plannedEnd\":\"2026-12-01\"", "\"plannedEnd\":\"2026-02-30\"",
         "event.dates.plannedEnd: must be a date"},
        {"\"dates\":{", "\"dates\":[],\"x\":{", "event.dates: must be an object"},
        {"\"text\":\"Stuur loonstroken\",", "", "event.actionRequired.text: is required"},
        {"\"url\":\"https://x.nl/a\"", "\"url\":\"javascript:x\"",
         "event.actionRequired.url: must be an http(s) URL"},
        {"\"link\":\"https://x.nl/z\"", "\"link\":\"ftp://x\"", "event.link: must be an http(s)"},
        {"\"label\":\"Bijstand\"", "\"label\":7", "event.caseType.label: must be a string"},
        {"\"caseNumber\":\"2026-1\"",
         "\"caseNumber\":\"123456789012345678901234567890123456789012345678901234567890123456789"
         "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
         "8901234567890123456789012345678901234567890123456789\"",
         "event.caseNumber: is longer than 200 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[2000];
        const char *at = strstr(FULL, cases[i].from);
        assert_non_null(at);
        snprintf(body, sizeof body, "%.*s%s%s", (int)(at - FULL), FULL, cases[i].to,
                 at + strlen(cases[i].from));
        char err[200] = "";
        char *canon = accept(body, err, sizeof err);
        if (canon || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].err);
        free(canon);
    }
}

/* Replays FULL with its "bsn" member replaced by `subject`; the record's
 * pseudonym and kind into key/kind. */
typedef struct seen_subject {
    unsigned char key[MZ_PSEUDONYM_LEN];
    char kind[8];
} seen_subject;

static bool collect_subject(void *ud, const mz_case_record *r)
{
    seen_subject *s = ud;
    memcpy(s->key, r->subject_key, MZ_PSEUDONYM_LEN);
    snprintf(s->kind, sizeof s->kind, "%s", r->subject_kind ? r->subject_kind : "(null)");
    return true;
}

static void replay_with(const char *subject, seen_subject *out)
{
    char body[2000], err[200] = "";
    const char *at = strstr(FULL, "\"bsn\":\"999993653\"");
    snprintf(body, sizeof body, "%.*s%s%s", (int)(at - FULL), FULL, subject,
             at + strlen("\"bsn\":\"999993653\""));
    char *canon = accept(body, err, sizeof err);
    if (!canon)
        fail_msg("refused: %s", err);
    assert_null(strstr(canon, "68750110"));
    assert_null(strstr(canon, "999993653"));
    assert_true(mz_events_replay("gem", "ev1", canon, strlen(canon), collect_subject, out, err,
                                 sizeof err));
    free(canon);
}

/* A business's event: stored as the kvk pseudonym with its kind; the older
 * bsn form and the subject form of the same person store the same. */
static void test_subject_kinds_round_trip(void **state)
{
    (void)state;
    seen_subject a, b;
    mz_subject k;
    char err[100];
    unsigned char want[MZ_PSEUDONYM_LEN];

    replay_with("\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\"}", &a);
    assert_string_equal(a.kind, "kvk");
    assert_true(mz_subject_set(&k, "kvk", 3, "68750110", 8, NULL, 0, "", err, sizeof err));
    mz_pseudonym_subject(&k, want);
    assert_memory_equal(a.key, want, MZ_PSEUDONYM_LEN);
    /* the vestiging is validated, not part of whose case it is */
    replay_with("\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\",\"vestiging\":"
                "\"000012345678\"}",
                &b);
    assert_memory_equal(a.key, b.key, MZ_PSEUDONYM_LEN);

    replay_with("\"bsn\":\"999993653\"", &a);
    replay_with("\"subject\":{\"kind\":\"bsn\",\"id\":\"999993653\"}", &b);
    assert_string_equal(a.kind, "bsn");
    assert_string_equal(b.kind, "bsn");
    assert_memory_equal(a.key, b.key, MZ_PSEUDONYM_LEN);
    mz_pseudonym("999993653", 9, want);
    assert_memory_equal(a.key, want, MZ_PSEUDONYM_LEN);
}

/* An inbox body stored before subjects had kinds (no subjectKind) is a
 * person's; an unknown stored kind is refused. */
static void test_stored_body_without_kind(void **state)
{
    (void)state;
    char err[200] = "";
    const char *old = "[{\"caseReference\":\"Z-1\",\"subjectKey\":\""
                      "0000000000000000000000000000000000000000000000000000000000000000\","
                      "\"title\":\"T\",\"status\":{\"group\":\"received\",\"text\":\"O\"},"
                      "\"occurredAt\":\"2026-11-01T10:00:00Z\"}]";
    seen_subject s;
    assert_true(
        mz_events_replay("gem", "ev1", old, strlen(old), collect_subject, &s, err, sizeof err));
    assert_string_equal(s.kind, "bsn");
    const char *bad = "[{\"caseReference\":\"Z-1\",\"subjectKey\":\""
                      "0000000000000000000000000000000000000000000000000000000000000000\","
                      "\"subjectKind\":\"xyz\",\"title\":\"T\",\"status\":{\"group\":"
                      "\"received\",\"text\":\"O\"},\"occurredAt\":\"2026-11-01T10:00:00Z\"}]";
    assert_false(
        mz_events_replay("gem", "ev1", bad, strlen(bad), collect_subject, &s, err, sizeof err));
    assert_string_equal(err, "events[0].subjectKind: must be bsn or kvk");
}

static void test_batch_errors_name_the_index(void **state)
{
    (void)state;
    char body[3000], err[200] = "";
    snprintf(body, sizeof body, "[%s,{\"caseReference\":\"Z-9\"}]", FULL);
    assert_null(accept(body, err, sizeof err));
    assert_string_equal(err, "events[1].subject: is required (or bsn)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_event_round_trip),
        cmocka_unit_test(test_minimal_event_leaves_optional_objects_out),
        cmocka_unit_test(test_errors_name_the_field),
        cmocka_unit_test(test_batch_errors_name_the_index),
        cmocka_unit_test(test_subject_kinds_round_trip),
        cmocka_unit_test(test_stored_body_without_kind),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
