/*
 * registry.c — the one table of adapter kinds. Adding a kind: write
 * adapters/<kind>.c implementing adapter.h, declare its ops below, add a row.
 */
#include <string.h>

#include "adapter.h"

extern const mz_adapter_ops mz_adapter_zgw;
extern const mz_adapter_ops mz_adapter_rest_json;

static const mz_adapter_ops *const registry[] = {
    &mz_adapter_zgw,
    &mz_adapter_rest_json,
};

const mz_adapter_ops *mz_adapter_find(const char *kind)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (kind && strcmp(registry[i]->kind, kind) == 0)
            return registry[i];
    return NULL;
}

const char *mz_adapter_kinds(void)
{
    return "zgw, rest-json";
}

const char *mz_adapter_status_name(mz_adapter_status s)
{
    switch (s) {
    case MZ_ADAPTER_OK:
        return "ok";
    case MZ_ADAPTER_UNAVAILABLE:
        return "unavailable";
    case MZ_ADAPTER_REFUSED:
        return "refused";
    case MZ_ADAPTER_ABORTED:
        return "aborted";
    case MZ_ADAPTER_UNSUPPORTED:
        return "unsupported";
    }
    return "unknown";
}

const char *mz_skip_reason_name(mz_skip_reason r)
{
    switch (r) {
    case MZ_SKIP_NO_SUBJECT:
        return "no_subject";
    case MZ_SKIP_NOT_SUBJECT:
        return "not_subject";
    case MZ_SKIP_URL_OUTSIDE_BASE:
        return "url_outside_base";
    case MZ_SKIP_INCOMPLETE:
        return "incomplete";
    case MZ_SKIP__COUNT:
        break;
    }
    return "other";
}
