#include "notification.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "outbound.h"

const char *const mz_notification_members[6] = {"kanaal",      "hoofdObject", "resource",
                                                "resourceUrl", "actie",       "aanmaakdatum"};

mz_notification_result mz_notification_accept(const char *body, size_t len,
                                              const char *const *bases, mz_buf *canon, char *err,
                                              size_t errlen)
{
    char perr[160];
    mz_json_limits lim = {.max_depth = 16, .max_nodes = 2000, .max_string = 4096};
    mz_json_doc *d = len ? mz_json_parse(body, len, &lim, perr, sizeof perr) : NULL;
    if (!d || mz_json_root(d)->type != MZ_JSON_OBJECT) {
        snprintf(err, errlen, "the body is not a notification object%s%s", d ? "" : ": ",
                 d ? "" : (len ? perr : "empty body"));
        mz_json_free(d);
        return MZ_NOTIFICATION_INVALID;
    }
    const mz_json *root = mz_json_root(d);
    const char *v[6];
    for (int i = 0; i < 6; i++) {
        size_t n;
        v[i] = mz_json_string(mz_json_get(root, mz_notification_members[i]), &n);
        if (!v[i] || n == 0 || n > (i == 1 || i == 3 ? 2000u : 100u) || strlen(v[i]) != n) {
            snprintf(err, errlen, "%s: is required (a non-empty string)",
                     mz_notification_members[i]);
            mz_json_free(d);
            return MZ_NOTIFICATION_INVALID;
        }
    }
    const char *kanaal = v[0], *hoofd = v[1], *resource = v[2];
    if (strncmp(hoofd, "http://", 7) != 0 && strncmp(hoofd, "https://", 8) != 0) {
        snprintf(err, errlen, "hoofdObject: must be an http(s) URL");
        mz_json_free(d);
        return MZ_NOTIFICATION_INVALID;
    }
    bool relevant = strcmp(kanaal, "zaken") == 0 &&
                    (strcmp(resource, "zaak") == 0 || strcmp(resource, "status") == 0 ||
                     strcmp(resource, "resultaat") == 0);
    /* Only what we keep is checked: other kanalen name other APIs. */
    const char *outside = NULL;
    if (relevant && !mz_outbound_url_under(bases, hoofd))
        outside = "hoofdObject";
    else if (relevant && strcmp(resource, "zaak") == 0 && !mz_outbound_url_under(bases, v[3]))
        outside = "resourceUrl";
    if (outside) {
        snprintf(err, errlen, "%s: is not under this agency's configured base URLs", outside);
        mz_json_free(d);
        return MZ_NOTIFICATION_INVALID;
    }
    if (relevant) {
        mz_buf_putc(canon, '{');
        for (int i = 0; i < 6; i++) {
            if (i)
                mz_buf_putc(canon, ',');
            mz_json_key(canon, mz_notification_members[i]);
            mz_json_cstr(canon, v[i]);
        }
        mz_buf_putc(canon, '}');
    }
    mz_json_free(d);
    return relevant ? MZ_NOTIFICATION_KEEP : MZ_NOTIFICATION_IRRELEVANT;
}
