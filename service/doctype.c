/*
 * doctype.c — the allow-list of document contents by magic bytes and the
 * safe download file name (see doctype.h).
 */
#include "doctype.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool starts(const unsigned char *h, size_t n, const char *magic, size_t m)
{
    return n >= m && memcmp(h, magic, m) == 0;
}

/* The agency's claimed type when it is one of the office types (parameters
 * such as "; charset" ignored), else NULL. */
static const char *office_claim(const char *claimed, bool zip)
{
    static const char *const ZIP_TYPES[] = {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    };
    static const char *const OLE_TYPES[] = {
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    };
    if (!claimed)
        return NULL;
    size_t len = strcspn(claimed, "; ");
    const char *const *t = zip ? ZIP_TYPES : OLE_TYPES;
    size_t nt = zip ? sizeof ZIP_TYPES / sizeof *ZIP_TYPES : sizeof OLE_TYPES / sizeof *OLE_TYPES;
    for (size_t i = 0; i < nt; i++)
        if (strlen(t[i]) == len && strncasecmp(claimed, t[i], len) == 0)
            return t[i];
    return NULL;
}

static const char *office_ext(const char *type)
{
    static const struct {
        const char *type, *ext;
    } E[] = {
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
        {"application/vnd.oasis.opendocument.text", "odt"},
        {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
        {"application/vnd.oasis.opendocument.presentation", "odp"},
        {"application/msword", "doc"},
        {"application/vnd.ms-excel", "xls"},
        {"application/vnd.ms-powerpoint", "ppt"},
    };
    for (size_t i = 0; i < sizeof E / sizeof *E; i++)
        if (strcmp(E[i].type, type) == 0)
            return E[i].ext;
    return "bin";
}

bool mz_doctype_sniff(const unsigned char *h, size_t n, const char *claimed, mz_doctype *out)
{
    if (starts(h, n, "%PDF-", 5)) {
        *out = (mz_doctype){"application/pdf", "pdf"};
        return true;
    }
    if (starts(h, n, "\x89PNG\r\n\x1a\n", 8)) {
        *out = (mz_doctype){"image/png", "png"};
        return true;
    }
    if (starts(h, n, "\xff\xd8\xff", 3)) {
        *out = (mz_doctype){"image/jpeg", "jpg"};
        return true;
    }
    if (starts(h, n, "GIF87a", 6) || starts(h, n, "GIF89a", 6)) {
        *out = (mz_doctype){"image/gif", "gif"};
        return true;
    }
    bool zip = starts(h, n, "PK\x03\x04", 4);
    bool ole = starts(h, n, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    const char *office = zip || ole ? office_claim(claimed, zip) : NULL;
    if (office) {
        *out = (mz_doctype){office, office_ext(office)};
        return true;
    }
    return false;
}

void mz_doctype_file_name(const char *name, const char *title, const char *ext, char *out,
                          size_t outlen)
{
    const char *src = name && *name ? name : title && *title ? title : "document";
    char base[81];
    size_t n = 0;
    /* the source without its own extension (ours is added) */
    const char *dot = strrchr(src, '.');
    size_t srclen = dot && dot != src ? (size_t)(dot - src) : strlen(src);
    bool gap = false;
    for (size_t i = 0; i < srclen && n < sizeof base - 1; i++) {
        unsigned char c = (unsigned char)src[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (c == '.' && n > 0);
        if (ok) {
            if (gap && n > 0 && n < sizeof base - 1)
                base[n++] = '_';
            gap = false;
            if (n < sizeof base - 1)
                base[n++] = (char)c;
        } else {
            gap = true; /* a run of anything else becomes one '_' */
        }
    }
    base[n] = '\0';
    snprintf(out, outlen, "%s.%s", n ? base : "document", ext);
}
