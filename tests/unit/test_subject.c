/* Unit tests for service/subject.c (subjects {kind, id}) and the pseudonym
 * per kind (service/crypto.c mz_pseudonym_subject). */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "json.h"
#include "subject.h"

#define KEY "0123456789abcdef0123456789abcdef-test-key"

static void set_key(void)
{
    mz_pseudonym_set_key((const unsigned char *)KEY, strlen(KEY));
}

static void test_kind_names(void **state)
{
    (void)state;
    mz_subject_kind k;
    assert_true(mz_subject_kind_parse("bsn", 3, &k));
    assert_int_equal(k, MZ_SUBJECT_BSN);
    assert_true(mz_subject_kind_parse("kvk", 3, &k));
    assert_int_equal(k, MZ_SUBJECT_KVK);
    assert_string_equal(mz_subject_kind_name(MZ_SUBJECT_BSN), "bsn");
    assert_string_equal(mz_subject_kind_name(MZ_SUBJECT_KVK), "kvk");
    const char *bad[] = {"KVK", "Bsn", "rsin", "kv", "kvkk", "", "vestiging"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(mz_subject_kind_parse(bad[i], strlen(bad[i]), &k));
    assert_false(mz_subject_kind_parse("kvk\0", 4, &k));
}

static void test_kvk_and_vestiging_numbers(void **state)
{
    (void)state;
    assert_true(mz_kvk_valid("68750110", 8));
    assert_true(mz_kvk_valid("00000001", 8));
    const char *bad[] = {"6875011",  "687501100", "00000000", "6875011a",
                         " 8750110", "",          "-8750110"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (mz_kvk_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted as a KVK number: \"%s\"", bad[i]);
    assert_true(mz_vestiging_valid("000012345678", 12));
    assert_false(mz_vestiging_valid("12345678901", 11));
    assert_false(mz_vestiging_valid("1234567890123", 13));
    assert_false(mz_vestiging_valid("000000000000", 12));
    assert_false(mz_vestiging_valid("12345678901x", 12));
}

/* Parses text and reads its root with mz_subject_of; the message into err. */
static bool subject_of(const char *text, mz_subject *out, char *err, size_t errlen)
{
    char perr[160];
    mz_json_limits lim = {.max_depth = 4, .max_nodes = 64, .max_string = 256};
    mz_json_doc *d = mz_json_parse(text, strlen(text), &lim, perr, sizeof perr);
    assert_non_null(d);
    bool ok = mz_subject_of(mz_json_root(d), out, "event", err, errlen);
    mz_json_free(d);
    return ok;
}

static void test_subject_of_accepts(void **state)
{
    (void)state;
    char err[200] = "";
    mz_subject s;
    assert_true(subject_of("{\"bsn\":\"999993653\"}", &s, err, sizeof err));
    assert_int_equal(s.kind, MZ_SUBJECT_BSN);
    assert_string_equal(s.id, "999993653");
    assert_true(
        subject_of("{\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\"}}", &s, err, sizeof err));
    assert_int_equal(s.kind, MZ_SUBJECT_KVK);
    assert_string_equal(s.id, "68750110");
    assert_string_equal(s.vestiging, "");
    assert_true(subject_of("{\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\",\"vestiging\":"
                           "\"000012345678\"}}",
                           &s, err, sizeof err));
    assert_string_equal(s.vestiging, "000012345678");
    /* both forms at once, naming the same person */
    assert_true(subject_of("{\"bsn\":\"999993653\",\"subject\":{\"kind\":\"bsn\",\"id\":"
                           "\"999993653\"}}",
                           &s, err, sizeof err));
    assert_int_equal(s.kind, MZ_SUBJECT_BSN);
    mz_subject_wipe(&s);
    for (size_t i = 0; i < sizeof s; i++)
        assert_int_equal(((unsigned char *)&s)[i], 0);
}

/* Each refused with a message naming the field and never the value. */
static void test_subject_of_refuses(void **state)
{
    (void)state;
    struct {
        const char *body, *want;
    } cases[] = {
        {"{}", "event.subject: is required (or bsn)"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"6875011\"}}",
         "event.subject.id: is not a valid KVK number (8 digits)"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"687501100\"}}",
         "event.subject.id: is not a valid KVK number (8 digits)"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\",\"vestiging\":\"12345678901\"}}",
         "event.subject.vestiging: is not a valid vestiging number (12 digits)"},
        {"{\"subject\":{\"kind\":\"rsin\",\"id\":\"68750110\"}}",
         "event.subject.kind: is not a known subject kind (\"bsn\" or \"kvk\")"},
        {"{\"subject\":{\"id\":\"68750110\"}}",
         "event.subject.kind: is required (\"bsn\" or \"kvk\")"},
        {"{\"subject\":{\"kind\":\"kvk\"}}", "event.subject.id: is required"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":68750110}}", "event.subject.id: must be a string"},
        {"{\"subject\":\"68750110\"}", "event.subject: must be an object {\"kind\", \"id\"}"},
        {"{\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\",\"x\":\"1\"}}",
         "event.subject: has a member other than kind, id and vestiging"},
        {"{\"subject\":{\"kind\":\"bsn\",\"id\":\"999993653\",\"vestiging\":\"000012345678\"}}",
         "event.subject.vestiging: is only allowed for kind \"kvk\""},
        {"{\"subject\":{\"kind\":\"bsn\",\"id\":\"999993654\"}}",
         "event.subject.id: is not a valid BSN (9 digits passing the 11-proof)"},
        {"{\"bsn\":\"999993653\",\"subject\":{\"kind\":\"bsn\",\"id\":\"999990019\"}}",
         "event.bsn: does not name the same subject as subject"},
        {"{\"bsn\":\"999993653\",\"subject\":{\"kind\":\"kvk\",\"id\":\"68750110\"}}",
         "event.bsn: does not name the same subject as subject"},
        {"{\"bsn\":\"999993654\",\"subject\":{\"kind\":\"bsn\",\"id\":\"999993654\"}}",
         "event.bsn: is not a valid BSN (9 digits passing the 11-proof)"},
        {"{\"bsn\":999993653}", "event.bsn: must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[200] = "";
        mz_subject s;
        if (subject_of(cases[i].body, &s, err, sizeof err))
            fail_msg("accepted: %s", cases[i].body);
        if (strcmp(err, cases[i].want) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].body, err, cases[i].want);
        assert_null(strstr(err, "68750110"));
        assert_null(strstr(err, "99999"));
        assert_int_equal(s.id[0], '\0'); /* nothing half-filled */
    }
}

/* bsn: exactly the pseudonym stored before subjects had kinds (no rekey);
 * kvk: HMAC of "kvk:" + number, unlike the HMAC of the bare number, the
 * same with or without a vestiging. */
static void test_pseudonym_per_kind(void **state)
{
    (void)state;
    set_key();
    unsigned char a[MZ_PSEUDONYM_LEN], b[MZ_PSEUDONYM_LEN], c[MZ_PSEUDONYM_LEN];
    mz_subject p;
    assert_true(mz_subject_bsn(&p, "999993653", 9));
    mz_pseudonym_subject(&p, a);
    mz_pseudonym("999993653", 9, b);
    assert_memory_equal(a, b, MZ_PSEUDONYM_LEN);

    char err[120];
    mz_subject k, kv;
    assert_true(mz_subject_set(&k, "kvk", 3, "68750110", 8, NULL, 0, "s", err, sizeof err));
    assert_true(
        mz_subject_set(&kv, "kvk", 3, "68750110", 8, "000012345678", 12, "s", err, sizeof err));
    mz_pseudonym_subject(&k, a);
    mz_hmac_sha256(KEY, strlen(KEY), "kvk:68750110", 12, b);
    assert_memory_equal(a, b, MZ_PSEUDONYM_LEN);
    mz_pseudonym("68750110", 8, c);
    assert_memory_not_equal(a, c, MZ_PSEUDONYM_LEN);
    mz_pseudonym_subject(&kv, c);
    assert_memory_equal(a, c, MZ_PSEUDONYM_LEN);
    /* a different number, a different pseudonym */
    assert_true(mz_subject_set(&k, "kvk", 3, "69599084", 8, NULL, 0, "s", err, sizeof err));
    mz_pseudonym_subject(&k, c);
    assert_memory_not_equal(a, c, MZ_PSEUDONYM_LEN);

    char msg[16];
    assert_int_equal(mz_pseudonym_message(MZ_SUBJECT_KVK, "68750110", msg), 12);
    assert_string_equal(msg, "kvk:68750110");
    assert_int_equal(mz_pseudonym_message(MZ_SUBJECT_BSN, "999993653", msg), 9);
    assert_string_equal(msg, "999993653");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),         cmocka_unit_test(test_kvk_and_vestiging_numbers),
        cmocka_unit_test(test_subject_of_accepts), cmocka_unit_test(test_subject_of_refuses),
        cmocka_unit_test(test_pseudonym_per_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
