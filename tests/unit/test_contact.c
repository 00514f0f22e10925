/* Unit tests for service/contact.c: AES-256-GCM sealing of contact details
 * (round trip, tampering, wrong key id, aad binding), the key file format,
 * validation and masking of addresses, verification-code hashing. */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contact.h"
#include "crypto.h"

static const char KEY_HEX[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const unsigned char SUBJ_A[32] = {1, 2, 3};
static const unsigned char SUBJ_B[32] = {9, 9, 9};

static int setup(void **state)
{
    (void)state;
    unsigned char key[MZ_CONTACT_KEY_LEN];
    assert_true(mz_contact_key_parse(KEY_HEX, 64, key));
    mz_contact_set_key(key);
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    unsigned char aad[40];
    size_t alen = mz_contact_aad(SUBJ_A, "email", aad);
    size_t n = 0;
    const char *plain = "jan.jansen@voorbeeld.nl";
    unsigned char *sealed = mz_contact_seal(plain, strlen(plain), aad, alen, &n);
    assert_non_null(sealed);
    assert_int_equal(n, MZ_CONTACT_NONCE_LEN + strlen(plain) + MZ_CONTACT_TAG_LEN);
    /* the plaintext does not appear in the sealed form */
    for (size_t i = 0; i + 6 <= n; i++)
        assert_memory_not_equal(sealed + i, "jansen", 6);
    char *back = mz_contact_open(mz_contact_key_id(), sealed, n, aad, alen);
    assert_non_null(back);
    assert_string_equal(back, plain);
    mz_contact_free_plain(back);
    /* two seals of one value differ (random nonce) */
    size_t n2 = 0;
    unsigned char *again = mz_contact_seal(plain, strlen(plain), aad, alen, &n2);
    assert_int_equal(n, n2);
    assert_memory_not_equal(sealed, again, n);
    free(again);
    free(sealed);
}

static void test_tamper_detected(void **state)
{
    (void)state;
    unsigned char aad[40];
    size_t alen = mz_contact_aad(SUBJ_A, "phone", aad);
    size_t n = 0;
    unsigned char *sealed = mz_contact_seal("+31612345678", 12, aad, alen, &n);
    assert_non_null(sealed);
    for (size_t i = 0; i < n; i++) { /* every byte: nonce, ciphertext, tag */
        sealed[i] ^= 0x01;
        char *p = mz_contact_open(mz_contact_key_id(), sealed, n, aad, alen);
        if (p)
            fail_msg("a flipped bit at byte %zu was not detected", i);
        sealed[i] ^= 0x01;
    }
    /* truncated */
    assert_null(mz_contact_open(mz_contact_key_id(), sealed, n - 1, aad, alen));
    assert_null(mz_contact_open(mz_contact_key_id(), sealed, 10, aad, alen));
    /* another subject's or another field's aad */
    unsigned char other[40];
    size_t olen = mz_contact_aad(SUBJ_B, "phone", other);
    assert_null(mz_contact_open(mz_contact_key_id(), sealed, n, other, olen));
    olen = mz_contact_aad(SUBJ_A, "email", other);
    assert_null(mz_contact_open(mz_contact_key_id(), sealed, n, other, olen));
    char *ok = mz_contact_open(mz_contact_key_id(), sealed, n, aad, alen);
    assert_non_null(ok);
    mz_contact_free_plain(ok);
    free(sealed);
}

static void test_wrong_key_id(void **state)
{
    (void)state;
    unsigned char aad[40];
    size_t alen = mz_contact_aad(SUBJ_A, "email", aad);
    size_t n = 0;
    unsigned char *sealed = mz_contact_seal("a@b.nl", 6, aad, alen, &n);
    char old_id[MZ_CONTACT_KEY_ID_LEN + 1];
    snprintf(old_id, sizeof old_id, "%s", mz_contact_key_id());
    assert_int_equal(strlen(old_id), MZ_CONTACT_KEY_ID_LEN);
    /* a key id that is not the current key's is refused outright */
    assert_null(mz_contact_open("0000000000000000", sealed, n, aad, alen));
    assert_null(mz_contact_open(NULL, sealed, n, aad, alen));
    /* after rotation to another key, the old ciphertext is refused (by its id) */
    unsigned char key2[MZ_CONTACT_KEY_LEN];
    memset(key2, 0x42, sizeof key2);
    mz_contact_set_key(key2);
    assert_string_not_equal(mz_contact_key_id(), old_id);
    assert_null(mz_contact_open(old_id, sealed, n, aad, alen));
    /* and even when it claims the new id, the wrong key fails the tag */
    assert_null(mz_contact_open(mz_contact_key_id(), sealed, n, aad, alen));
    free(sealed);
    setup(NULL);
    assert_string_equal(mz_contact_key_id(), old_id);
    /* no key: nothing sealed or opened */
    mz_contact_clear_key();
    assert_false(mz_contact_ready());
    assert_null(mz_contact_seal("a@b.nl", 6, aad, alen, &n));
    setup(NULL);
}

static void test_key_file_format(void **state)
{
    (void)state;
    unsigned char k[MZ_CONTACT_KEY_LEN];
    char buf[80];
    snprintf(buf, sizeof buf, "%s\n", KEY_HEX);
    assert_true(mz_contact_key_parse(buf, 65, k));
    snprintf(buf, sizeof buf, "%s\r\n", KEY_HEX);
    assert_true(mz_contact_key_parse(buf, 66, k));
    assert_false(mz_contact_key_parse(KEY_HEX, 63, k));
    snprintf(buf, sizeof buf, "%s\n\n", KEY_HEX);
    assert_false(mz_contact_key_parse(buf, 66, k));
    snprintf(buf, sizeof buf, "%s", KEY_HEX);
    buf[10] = 'g';
    assert_false(mz_contact_key_parse(buf, 64, k));
    /* files: the message names the file, never its content */
    char path[] = "/tmp/mz_contact_keyXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not-a-key\n", 10), 10);
    close(fd);
    char err[300];
    assert_false(mz_contact_load_key(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_null(strstr(err, "not-a-key"));
    fd = open(path, O_WRONLY | O_TRUNC);
    snprintf(buf, sizeof buf, "%s\n", KEY_HEX);
    assert_int_equal(write(fd, buf, 65), 65);
    close(fd);
    assert_true(mz_contact_load_key(path, err, sizeof err));
    unlink(path);
    assert_false(mz_contact_load_key("/nonexistent/key", err, sizeof err));
    assert_false(mz_contact_load_key("", err, sizeof err));
}

static void test_email_validation(void **state)
{
    (void)state;
    const char *good[] = {"jan@voorbeeld.nl", "j.jansen+zaken@mail.gemeente-x.nl", "a@b.co"};
    const char *bad[] = {"",           "jan",       "jan@",       "@voorbeeld.nl", "jan@nl",
                         "jan@@x.nl",  "jan@x..nl", "jan @x.nl",  "jan@x.nl.",     "jan@-x.nl",
                         "jan@x.n1",   ".jan@x.nl", "j..an@x.nl", "jan@x_y.nl",    "jan\"@x.nl",
                         "jan@x.nl\n", "jé@x.nl",   "a@b.c",      "jan@x.nl@y.nl", NULL};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!mz_contact_email_valid(good[i]))
            fail_msg("refused %s", good[i]);
    for (size_t i = 0; bad[i]; i++)
        if (mz_contact_email_valid(bad[i]))
            fail_msg("accepted %s", bad[i]);
    assert_false(mz_contact_email_valid(NULL));
    char long_local[80];
    memset(long_local, 'a', 65);
    snprintf(long_local + 65, sizeof long_local - 65, "@x.nl");
    assert_false(mz_contact_email_valid(long_local));
}

static void test_phone_normalise(void **state)
{
    (void)state;
    char out[MZ_CONTACT_PHONE_LEN + 1];
    assert_true(mz_contact_phone_normalise("0612345678", out));
    assert_string_equal(out, "+31612345678");
    assert_true(mz_contact_phone_normalise("+31 6 1234-5678", out));
    assert_string_equal(out, "+31612345678");
    assert_true(mz_contact_phone_normalise("0031612345678", out));
    assert_string_equal(out, "+31612345678");
    const char *bad[] = {"",
                         "061234567",
                         "06123456789",
                         "0201234567",
                         "+31201234567",
                         "+4915112345678",
                         "+3161234567a",
                         "++31612345678",
                         "31612345678",
                         "+316123456789",
                         "06+12345678",
                         NULL};
    for (size_t i = 0; bad[i]; i++)
        if (mz_contact_phone_normalise(bad[i], out))
            fail_msg("accepted %s", bad[i]);
}

static void test_masking(void **state)
{
    (void)state;
    char out[300];
    mz_contact_mask_email("jan.jansen@voorbeeld.nl", out, sizeof out);
    assert_string_equal(out, "j***@voorbeeld.nl");
    mz_contact_mask_phone("+31612345678", out, sizeof out);
    assert_string_equal(out, "+316******78");
    assert_null(strstr(out, "123456"));
}

static void test_code_hash(void **state)
{
    (void)state;
    char a[65], b[65], c[65], d[65];
    mz_contact_code_hash(SUBJ_A, "email", "123456", a);
    mz_contact_code_hash(SUBJ_A, "email", "123456", b);
    mz_contact_code_hash(SUBJ_A, "sms", "123456", c);
    mz_contact_code_hash(SUBJ_B, "email", "123456", d);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    char code[7];
    for (int i = 0; i < 100; i++) {
        mz_contact_new_code(code);
        assert_int_equal(strlen(code), 6);
        assert_int_equal(strspn(code, "0123456789"), 6);
    }
}

/* Sealed values travel as hex (notify.c, handover.c): mz_hex_decode takes
 * both cases and refuses odd lengths, non-hex digits and overlong input. */
static void test_hex_decode(void **state)
{
    (void)state;
    unsigned char out[4];
    size_t n = 99;
    assert_true(mz_hex_decode("00fFa1", out, sizeof out, &n));
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0xa1);
    assert_true(mz_hex_decode("", out, sizeof out, &n));
    assert_int_equal(n, 0);
    assert_false(mz_hex_decode("abc", out, sizeof out, &n));        /* odd */
    assert_false(mz_hex_decode("0g", out, sizeof out, &n));         /* not hex */
    assert_false(mz_hex_decode("0011223344", out, sizeof out, &n)); /* 5 > 4 bytes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_round_trip, setup),
        cmocka_unit_test_setup(test_tamper_detected, setup),
        cmocka_unit_test_setup(test_wrong_key_id, setup),
        cmocka_unit_test_setup(test_key_file_format, setup),
        cmocka_unit_test(test_email_validation),
        cmocka_unit_test(test_phone_normalise),
        cmocka_unit_test(test_masking),
        cmocka_unit_test(test_hex_decode),
        cmocka_unit_test_setup(test_code_hash, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
