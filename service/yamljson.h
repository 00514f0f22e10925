/*
 * yamljson.h — convert a YAML document to compact JSON.
 *
 * Why: the OpenAPI document is written and reviewed as YAML
 * (openapi/openapi.yaml, embedded into the binary) but clients and our own
 * tests want JSON: the service serves the converted text at
 * /api/v1/openapi.json, and the tests parse it with mz_json_parse to compare
 * the routes the service has with the routes the spec promises. Converting
 * at run time from the one embedded copy means the served spec can never
 * differ from the reviewed one.
 *
 * Only the JSON-compatible subset of YAML is accepted, so the result never
 * depends on YAML features a reader of the spec could overlook: anchors,
 * aliases, non-scalar mapping keys, duplicate keys, explicit tags other than
 * !!str/!!map/!!seq, and more than one document are errors. Mappings become
 * objects (keys always strings), sequences arrays, quoted and block scalars
 * strings. Plain scalars: null|Null|NULL|~|empty -> null,
 * true|True|TRUE|false|False|FALSE -> booleans, text matching the JSON
 * number grammar -> that number unchanged (200 is a number, 1.0.0 and
 * 2026-01-02 are strings), anything else a string. Every scalar must be
 * strict UTF-8 without NUL (mz_utf8_valid), so the output always parses.
 *
 * Ownership: the result is malloc'd, NUL-terminated, and the caller frees
 * it. On error the result is NULL and err (if errlen > 0) holds a message
 * with the line and column.
 */
#ifndef MZ_YAMLJSON_H
#define MZ_YAMLJSON_H

#include <stddef.h>

char *mz_yaml_to_json(const char *yaml, size_t len, char *err, size_t errlen);

#endif
