/*
 * h_openapi.c — serves the contract, openapi/openapi.yaml, as embedded in
 * the binary: verbatim at /api/v1/openapi.yaml and converted once at
 * start-up to JSON at /api/v1/openapi.json.
 */
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "handlers.h"
#include "yamljson.h"

static char *g_json;
static size_t g_json_len;

bool mz_openapi_init(char *err, size_t errlen)
{
    if (g_json)
        return true;
    g_json = mz_yaml_to_json(mz_openapi_yaml, mz_openapi_yaml_len, err, errlen);
    if (!g_json)
        return false;
    g_json_len = strlen(g_json);
    return true;
}

void mz_openapi_shutdown(void)
{
    free(g_json);
    g_json = NULL;
}

void mz_h_openapi_json(mz_req *r)
{
    if (!g_json) {
        mz_reply_unavailable(r, "the API description is not loaded");
        return;
    }
    mz_reply_static(r, 200, "application/json", g_json, g_json_len);
    mz_reply_header(r, "Access-Control-Allow-Origin", "*");
}

void mz_h_openapi_yaml(mz_req *r)
{
    mz_reply_static(r, 200, "application/yaml", mz_openapi_yaml, mz_openapi_yaml_len);
    mz_reply_header(r, "Access-Control-Allow-Origin", "*");
}
