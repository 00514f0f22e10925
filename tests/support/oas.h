/*
 * oas.h — test support: check the service's real responses against the
 * contract, openapi/openapi.yaml (OpenAPI 3.0.3).
 *
 * Why: the contract is what clients build against; an integration test that
 * only looks at a few fields lets the service drift from it unnoticed. With
 * this validator every response a test receives can be checked as a whole:
 * the operation (method + path), the status code, the media type and the body
 * against the documented schema.
 *
 * Loading also checks the document itself: every local "$ref" must resolve,
 * every schema must be an object with a known "type", and every "pattern"
 * must compile as a POSIX extended regular expression. A broken contract is
 * an error at load time, not a puzzling failure later.
 *
 * Paths: the first server url (top level, overridden by a path item's or an
 * operation's own "servers") is prefixed to each path key; only the url's path
 * part counts, a trailing '/' is dropped ("/" + "/healthz" is "/healthz").
 * Templated segments ("{caseId}", also "v{n}.json") match one non-empty path
 * segment; when several paths match, the one with the most literal segments
 * wins. Responses: the exact status code, else the range ("4XX"), else
 * "default". Media types are compared case-insensitively up to ';'
 * (a documented "text/plain; version=0.0.4" matches "text/plain"), then the
 * documented ranges "type/<any>" and "<any>/<any>" are tried. Bodies of JSON media types
 * (application/json, anything ending in "+json") are parsed as JSON and
 * validated; other bodies are validated as one string instance (they must be
 * UTF-8 text when the media type has a schema).
 *
 * Schema subset (OpenAPI 3.0 Schema Object): $ref (local "#/..." only; its
 * siblings are ignored, as 3.0 prescribes; $ref/allOf/oneOf/anyOf/not chains
 * that do not descend into the instance are cut off after 64 steps, so cycles
 * are reported instead of recursing forever), type, nullable (a null is
 * accepted by a nullable schema without further checks), enum (deep
 * equality), required, properties, additionalProperties (false, true or a
 * schema; absent allows extra properties), items, allOf, oneOf, anyOf, not,
 * minLength/maxLength (in code points), pattern (POSIX ERE, unanchored like
 * ECMA-262 search), minimum/maximum with 3.0's boolean
 * exclusiveMinimum/exclusiveMaximum, minItems/maxItems,
 * minProperties/maxProperties, and string formats date, date-time (RFC 3339,
 * upper-case 'T' and 'Z'), uuid, uri and uri-reference (non-empty, no
 * whitespace or control characters). "integer" is a JSON number written
 * without '.', 'e' or 'E'. Other keywords and formats are ignored.
 *
 * Error messages start with the JSON pointer of the failing instance location
 * ("(root)" for the whole body), then the rule:
 *   "/items/0/status/group: value not in enum"
 *   "/items/0: missing required property \"title\""
 * Problems of the document found while checking start with "document error".
 *
 * Ownership: oas_load_* return a document the caller frees with oas_free
 * (NULL is fine). Nothing else is retained: the strings passed to the
 * callbacks of oas_each_operation, oas_operation_params and
 * oas_operation_security live only during the call. A loaded
 * document is read-only; checking from several threads at once is safe.
 */
#ifndef MZ_OAS_H
#define MZ_OAS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct oas oas; /* a loaded OpenAPI document */

/* Loads the copy embedded in the binary (mz_openapi_yaml). On failure
 * returns NULL and writes why to err (if errlen > 0). */
oas *oas_load_embedded(char *err, size_t errlen);
/* Loads a document given as JSON text (for tests of the schema engine). */
oas *oas_load_json(const char *json, size_t len, char *err, size_t errlen);
void oas_free(oas *o);

/* Validates one response: the operation for method + full path (a query or
 * fragment left on it is ignored), the response for status, the media type
 * of content_type (may carry parameters; NULL when the response had none),
 * and the body (body[0..body_len), need not be NUL-terminated) against its
 * schema. A response documented without content must have an empty body.
 * Returns true when all of that holds; otherwise false with a message in err
 * (if errlen > 0). */
bool oas_check(const oas *o, const char *method, const char *path_without_query, int status,
               const char *content_type, const char *body, size_t body_len, char *err,
               size_t errlen);

/* Calls cb once per documented operation, in document order, with the
 * upper-case method ("GET") and the full path ("/api/v1/me/cases/{caseId}"). */
void oas_each_operation(const oas *o,
                        void (*cb)(const char *method, const char *full_path, void *ud), void *ud);

/* The parameters of the operation method + templated full path (as
 * oas_each_operation gives it) located in `in` ("query", "header", "path",
 * "cookie"): cb is called once per parameter name, the path item's first,
 * then the operation's own (a name given at both levels is reported once).
 * $refs are followed. Returns the number of names reported, or -1 when the
 * document has no such operation. */
int oas_operation_params(const oas *o, const char *method, const char *full_path, const char *in,
                         void (*cb)(const char *name, void *ud), void *ud);

/* The operation's effective security: its own "security", else the
 * document's. cb is called once per scheme of each alternative (security
 * requirement object; the alternatives are OR-ed, the schemes within one are
 * AND-ed) with the alternative's index, the scheme's name, and its "type" and
 * (for type http) "scheme" from components.securitySchemes — NULL when the
 * document does not define them. Returns the number of alternatives (0: the
 * operation needs no credentials, "security: []" or none declared anywhere),
 * or -1 when the document has no such operation. *declared (may be NULL) is
 * set when the operation states "security" itself. */
int oas_operation_security(const oas *o, const char *method, const char *full_path,
                           void (*cb)(size_t alternative, const char *scheme, const char *type,
                                      const char *http_scheme, void *ud),
                           void *ud, bool *declared);

#endif
