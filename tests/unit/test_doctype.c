/*
 * test_doctype.c — the allow-list of document contents by magic bytes and
 * the safe download file name (service/doctype.h): what a content proves
 * decides, never the agency's claim; office containers only with an
 * office claim; file names keep nothing that could break a header or a
 * path.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <string.h>

#include "doctype.h"

static bool sniff(const char *bytes, size_t n, const char *claimed, mz_doctype *t)
{
    return mz_doctype_sniff((const unsigned char *)bytes, n, claimed, t);
}

static void allowed_by_content(void **state)
{
    (void)state;
    mz_doctype t;
    assert_true(sniff("%PDF-1.7\n", 9, NULL, &t));
    assert_string_equal(t.media_type, "application/pdf");
    assert_string_equal(t.ext, "pdf");
    /* the claim does not matter for a PDF, a PNG, a JPEG, a GIF */
    assert_true(sniff("\x89PNG\r\n\x1a\n", 8, "application/pdf", &t));
    assert_string_equal(t.media_type, "image/png");
    assert_true(sniff("\xff\xd8\xff\xe0\0\x10JF", 8, NULL, &t));
    assert_string_equal(t.media_type, "image/jpeg");
    assert_true(sniff("GIF87a\1\0", 8, NULL, &t));
    assert_string_equal(t.ext, "gif");
}

static void refused_by_content(void **state)
{
    (void)state;
    mz_doctype t;
    /* a content type that lies: said PDF, is an executable, a page, a script */
    assert_false(sniff("MZ\x90\0\3\0\0\0", 8, "application/pdf", &t));
    assert_false(sniff("<!DOCTYP", 8, "application/pdf", &t));
    assert_false(sniff("#!/bin/s", 8, "application/pdf", &t));
    assert_false(sniff("%PDF", 4, "application/pdf", &t)); /* too short to be one */
    assert_false(sniff("", 0, "application/pdf", &t));
    /* a bare zip or OLE2 file can hold anything: only with an office claim */
    assert_false(sniff("PK\3\4\24\0\0\0", 8, NULL, &t));
    assert_false(sniff("PK\3\4\24\0\0\0", 8, "application/zip", &t));
    assert_false(sniff("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "application/octet-stream", &t));
    /* and an office claim on something else is still refused */
    assert_false(sniff("MZ\x90\0\3\0\0\0", 8, "application/msword", &t));
}

static void office_with_claim(void **state)
{
    (void)state;
    mz_doctype t;
    assert_true(sniff("PK\3\4\24\0\0\0", 8,
                      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      &t));
    assert_string_equal(t.ext, "docx");
    assert_true(sniff("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "application/vnd.ms-excel; x=1", &t));
    assert_string_equal(t.media_type, "application/vnd.ms-excel");
    assert_string_equal(t.ext, "xls");
}

static void file_names(void **state)
{
    (void)state;
    char out[128];
    mz_doctype_file_name("../Besluit \"parkeer\"<x>.pdf", "t", "pdf", out, sizeof out);
    assert_string_equal(out, "Besluit_parkeer_x.pdf");
    /* the extension is always the proven one */
    mz_doctype_file_name("factuur.exe", NULL, "pdf", out, sizeof out);
    assert_string_equal(out, "factuur.pdf");
    /* header and path breakers are gone */
    mz_doctype_file_name("a\r\nSet-Cookie: x=1;/..\\b", NULL, "png", out, sizeof out);
    assert_null(strpbrk(out, "\r\n\"\\/;: "));
    /* no name: the title; neither: "document"; nothing usable: "document" */
    mz_doctype_file_name(NULL, "Besluit op uw melding", "pdf", out, sizeof out);
    assert_string_equal(out, "Besluit_op_uw_melding.pdf");
    mz_doctype_file_name(NULL, NULL, "gif", out, sizeof out);
    assert_string_equal(out, "document.gif");
    mz_doctype_file_name("élève€.pdf", NULL, "pdf", out, sizeof out);
    assert_string_equal(out, "l_ve.pdf");
    mz_doctype_file_name("\xe2\x82\xac.pdf", NULL, "pdf", out, sizeof out);
    assert_string_equal(out, "document.pdf");
    /* long names are cut */
    char longname[400];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    mz_doctype_file_name(longname, NULL, "pdf", out, sizeof out);
    assert_true(strlen(out) <= 84);
    assert_string_equal(out + strlen(out) - 4, ".pdf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allowed_by_content),
        cmocka_unit_test(refused_by_content),
        cmocka_unit_test(office_with_claim),
        cmocka_unit_test(file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
