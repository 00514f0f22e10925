/*
 * doctype.h — which document contents the service passes on to a citizen
 * (issue 16), decided by the content's first bytes, never by the name or
 * the media type an agency gives; and the file name a download is saved
 * under.
 *
 * Why magic bytes: an agency's `formaat` and file name are claims; a file
 * that says "PDF" but is an executable or an HTML page with script must not
 * reach a citizen's browser as a download from us. The allow-list: PDF,
 * PNG, JPEG, GIF, and office documents — OOXML/ODF (a zip) and the older
 * OLE2 formats — but those two only when the agency's formaat names an
 * office type (a bare zip or OLE2 file can hold anything). The content
 * type sent is the one the bytes prove (or, for office files, the agency's
 * office type), never another.
 *
 * Ownership: the strings returned are static.
 */
#ifndef MZ_DOCTYPE_H
#define MZ_DOCTYPE_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes needed to decide (fewer only when the whole content is shorter). */
#define MZ_DOCTYPE_SNIFF 8

typedef struct mz_doctype {
    const char *media_type; /* sent as Content-Type */
    const char *ext;        /* the file name's extension, without the dot */
} mz_doctype;

/* The type of content starting with head[0..n) (n: all of it when
 * shorter than MZ_DOCTYPE_SNIFF), given the agency's claimed media type
 * (may be NULL); false when it is not allowed. */
bool mz_doctype_sniff(const unsigned char *head, size_t n, const char *claimed, mz_doctype *out);

/* A file name safe in a Content-Disposition header and on any file
 * system, into out (at most outlen - 1 bytes): from name (else title, else
 * "document"), only ASCII letters, digits, '-', '_' and '.', no leading
 * dot, at most 80 characters before the extension, which is always ext. */
void mz_doctype_file_name(const char *name, const char *title, const char *ext, char *out,
                          size_t outlen);

#endif
