#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (run from anywhere).

The seeds are checked in; this script documents where they come from and
regenerates them (it replaces only the files it writes, so inputs libFuzzer
found and someone added by hand stay). Two kinds of seed per target:
valid examples of what the parser is for (so fuzzing starts deep in the
code), and the yajl-CVE-style hostile inputs: deep nesting, surrogate
escapes, huge numbers, NUL escapes, overlong UTF-8, truncated documents.

Files under corpus/fuzz_zgw/fake_zgw_*.json are real responses of
tests/fixtures/fake_zgw (3 zaken, seed 1) and are kept as they are;
openapi.yaml there is a copy of openapi/openapi.yaml.
"""
import base64
import hashlib
import hmac
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

BSN = "999990019"       # the demo/test BSNs (11-proof valid test numbers)
BSN2 = "999993653"
UUID = "ae8673e1-43ff-4098-b801-3d34d62b0a18"


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def hostile(deep):
    """The yajl-CVE-style inputs, as raw JSON texts."""
    return {
        "deep_array": b"[" * deep,
        "deep_object": b'{"a":' * 40 + b"1" + b"}" * 40,
        "depth_16": b"[" * 16 + b"]" * 16,
        "depth_17": b"[" * 17 + b"]" * 17,
        "depth_33": b"[" * 33 + b"]" * 33,
        "surrogate_lone_high": b'["\\ud800"]',
        "surrogate_lone_low": b'["\\udc00"]',
        "surrogate_reversed": b'["\\udc00\\ud800"]',
        "surrogate_pair_ok": b'["\\ud83d\\ude00"]',
        "surrogate_high_then_ascii": b'["\\ud800\\u0041"]',
        "surrogate_high_at_end": b'"\\ud800',
        "surrogate_in_key": b'{"\\ud800":1}',
        "escape_malformed": b'["\\u12g4"]',
        "escape_truncated": b'["\\u12',
        "num_huge_exp": b"1e999999",
        "num_huge_exp_array": b"[1e999999,-1e999999,1E+400]",
        "num_400_digits": b"[" + b"9" * 400 + b"]",
        "num_400_digits_neg": b"-" + b"1" * 400,
        "num_neg_zero": b"-0",
        "num_tiny": b"[1.0e-400]",
        "num_int64_edges": b"[9223372036854775807,9223372036854775808,-9223372036854775808,"
                            b"-9223372036854775809]",
        "num_fraction": b"[0.5,-0.0,1.5e3,2E-2]",
        "nul_escape": b'["a\\u0000b"]',
        "nul_escape_key": b'{"a\\u0000":1}',
        "nul_raw_in_string": b'["a\x00b"]',
        "nul_raw_outside": b'[1]\x00',
        "overlong_slash_2": b'["\xc0\xaf"]',
        "overlong_slash_3": b'["\xe0\x80\xaf"]',
        "overlong_slash_4": b'["\xf0\x80\x80\xaf"]',
        "utf8_surrogate_raw": b'["\xed\xa0\x80"]',
        "utf8_above_max": b'["\xf4\x90\x80\x80"]',
        "utf8_ff": b'["\xff"]',
        "utf8_truncated": b'["\xe2\x82"]',
        "utf8_valid_mix": '["zaak \u00e9\u20ac\U0001f600"]'.encode(),
        "truncated_object": b'{"a":',
        "truncated_string": b'["abc',
        "truncated_escape": b'"\\',
        "truncated_true": b"[tru",
        "empty": b"",
        "whitespace": b" \n\t ",
        "two_values": b"{} {}",
        "trailing_comma": b"[1,2,]",
        "comment": b"/* c */ {}",
        "duplicate_small": b'{"a":1,"a":2}',
        "duplicate_large": b'{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"a":10}',
        "control_char_raw": b'["a\x01b"]',
        "escapes_all": b'["\\"\\\\\\/\\b\\f\\n\\r\\t\\u007f</x"]',
    }


def event(ref, group="in_progress", occurred="2026-03-01T10:00:00Z", bsn=BSN):
    return {
        "caseReference": ref,
        "bsn": bsn,
        "title": "Aanvraag " + ref,
        "caseNumber": ref,
        "status": {"group": group, "text": "Status " + group},
        "occurredAt": occurred,
        "dates": {"registered": "2026-03-01", "legalDeadline": "2026-05-01"},
        "actionRequired": {"text": "Stuur het formulier", "url": "https://agency.test/form",
                           "dueDate": "2026-04-01"},
        "link": "https://agency.test/cases/" + ref,
    }


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def corpus_events():
    t = "fuzz_events"
    write(t, "single_full.json", compact(event("ref-1")))
    write(t, "batch_two.json", compact([event("ref-1", "received"), event("ref-2", "decided")]))
    write(t, "batch_all_groups.json", compact([
        event("g-%d" % i, g, "2026-03-0%dT10:00:0%d.123+01:00" % (i + 1, i))
        for i, g in enumerate(["received", "in_progress", "action_required", "on_hold",
                               "decided", "closed", "withdrawn"])]))
    write(t, "minimal.json", compact({"caseReference": "r", "bsn": BSN, "title": "t",
                                      "status": {"group": "received", "text": "x"},
                                      "occurredAt": "2026-03-01T10:00:00Z"}))
    full = event("ref-9", "closed")
    full["caseType"] = {"code": "PARKEER", "label": "Parkeervergunning"}
    full["result"] = "Verleend"
    full["dates"]["plannedEnd"] = "2026-04-30"
    full["dates"]["closed"] = "2028-02-29"
    full["unknown"] = {"ignored": [1, 2, 3]}
    write(t, "every_field.json", compact(full))
    write(t, "batch_101.json", compact([event("r%d" % i) for i in range(101)]))
    write(t, "batch_empty.json", "[]")
    # the refusals of tests/integration/test_push.c
    write(t, "bad_ref_number.json", '{"caseReference":1}')
    write(t, "bad_bsn.json", '{"caseReference":"r","bsn":"999993654","title":"t"}')
    write(t, "bad_group.json", '{"caseReference":"r","bsn":"%s","title":"t","status":{"group":'
          '"pending","text":"x"},"occurredAt":"2026-03-01T10:00:00Z"}' % BSN)
    write(t, "bad_second.json", '[{"caseReference":"r","bsn":"%s","title":"t","status":{"group":'
          '"received","text":"x"},"occurredAt":"2026-03-01T10:00:00Z"},{"x":1}]' % BSN)
    write(t, "bad_occurred.json", '{"caseReference":"r","bsn":"%s","title":"t","status":{"group":'
          '"received","text":"x"},"occurredAt":"yesterday"}' % BSN)
    write(t, "bad_date.json", '{"caseReference":"r","bsn":"%s","title":"t","status":{"group":'
          '"received","text":"x"},"occurredAt":"2026-03-01T10:00:00Z","dates":'
          '{"closed":"2026-02-30"}}' % BSN)
    write(t, "bad_nul_ref.json", '{"caseReference":"a\\u0000b"}')
    write(t, "bad_overlong_ref.json", b'{"caseReference":"\xc0\xaf"}')
    write(t, "bad_surrogate_ref.json", '{"caseReference":"\\ud800"}')
    write(t, "emoji_title.json", compact({"caseReference": "r", "bsn": BSN,
                                          "title": "\\ud83d\\ude00", "status": {
                                              "group": "received", "text": "x"},
                                          "occurredAt": "2026-03-01T10:00:00Z"}).replace(
        "\\\\", "\\"))
    write(t, "null_optionals.json", compact({"caseReference": "r", "bsn": BSN, "title": "t",
                                             "caseNumber": None, "caseType": None, "dates": None,
                                             "actionRequired": None, "result": "", "link": None,
                                             "status": {"group": "received", "text": "x"},
                                             "occurredAt": "2026-03-01T10:00:00z"}))
    for name, data in hostile(30000).items():
        write(t, "hostile_" + name, data)


WH_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WH_NOW = 1767225600


def wh_sign(msg_id, ts, body):
    key = base64.b64decode(WH_SECRET[6:])
    mac = hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def corpus_webhook():
    t = "fuzz_webhook_sig"
    body = compact(event("ref-1")).encode()

    def msg(i, ts, sig, b):
        return i.encode() + b"\n" + ts.encode() + b"\n" + sig.encode() + b"\n" + b

    ts = str(WH_NOW)
    good = wh_sign("msg_1", ts, body)
    write(t, "valid.txt", msg("msg_1", ts, good, body))
    write(t, "valid_second_of_two.txt", msg("msg_1", ts, "v1,AAAA " + good, body))
    write(t, "valid_rotated_keys.txt", msg("msg_1", ts, "v1a,xyz " + good + " v2,abc", body))
    ts_old = str(WH_NOW - 300)
    write(t, "valid_edge_past.txt", msg("msg_2", ts_old, wh_sign("msg_2", ts_old, body), body))
    ts_new = str(WH_NOW + 300)
    write(t, "valid_edge_future.txt", msg("msg_3", ts_new, wh_sign("msg_3", ts_new, body), body))
    ts_stale = str(WH_NOW - 301)
    write(t, "stale.txt", msg("msg_4", ts_stale, wh_sign("msg_4", ts_stale, body), body))
    write(t, "mismatch.txt", msg("msg_1", ts, good, body + b" "))
    write(t, "bad_ts_sign.txt", msg("msg_1", "+" + ts, good, body))
    write(t, "bad_ts_huge.txt", msg("msg_1", "99999999999999999999", good, body))
    write(t, "bad_id_space.txt", msg("msg 1", ts, good, body))
    write(t, "no_v1.txt", msg("msg_1", ts, "v2,abc", body))
    write(t, "empty_sig.txt", msg("msg_1", ts, "", body))
    write(t, "many_sigs.txt", msg("msg_1", ts, " ".join(["v1,AAAA"] * 20) + " " + good, body))
    write(t, "body_binary.txt", msg("m", ts, wh_sign("m", ts, b"\x00\n\xff"), b"\x00\n\xff"))
    write(t, "body_secret_like.txt", msg("m", ts, "v1,x", b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    write(t, "body_secret_padded.txt", msg("m", ts, "v1,x", b"QUJDRA=="))
    write(t, "missing_parts.txt", b"msg_1\n" + ts.encode())


def corpus_notification():
    t = "fuzz_notification"
    base = "http://127.0.0.1:8091/zaken/api/v1/zaken/" + UUID
    write(t, "test_channel.json", '{"kanaal":"test","hoofdObject":"http://x/y","resource":"test",'
          '"resourceUrl":"http://x/y","actie":"test","aanmaakdatum":"2026-03-01T10:00:00Z"}')
    write(t, "status_create.json", compact({
        "kanaal": "zaken", "hoofdObject": base, "resource": "status",
        "resourceUrl": base.replace("zaken/" + UUID, "statussen/x"), "actie": "create",
        "aanmaakdatum": "2026-03-01T10:00:00Z", "kenmerken": {"bronorganisatie": "002220647"}}))
    write(t, "zaak_update.json", compact({
        "kanaal": "zaken", "hoofdObject": base, "resource": "zaak", "resourceUrl": base,
        "actie": "update", "aanmaakdatum": "2026-03-01T10:00:00Z",
        "kenmerken": {"bronorganisatie": "002220647", "zaaktype": "http://x/zt",
                      "vertrouwelijkheidaanduiding": "openbaar"}}))
    write(t, "resultaat_https.json", compact({
        "kanaal": "zaken", "hoofdObject": "https://zaken.example/api/v1/zaken/" + UUID,
        "resource": "resultaat", "resourceUrl": "https://zaken.example/api/v1/resultaten/1",
        "actie": "create", "aanmaakdatum": "2026-03-01T10:00:00.123456Z"}))
    write(t, "missing_members.json", '{"kanaal":"zaken"}')
    write(t, "not_http.json", compact({
        "kanaal": "zaken", "hoofdObject": "ftp://x/y", "resource": "zaak", "resourceUrl": "x",
        "actie": "create", "aanmaakdatum": "2026"}))
    write(t, "escapes_in_values.json", '{"kanaal":"zaken","hoofdObject":"http://x/<\\/a>\\u007f",'
          '"resource":"zaak","resourceUrl":"http://x/\\"q\\"","actie":"\\ud83d\\ude00",'
          '"aanmaakdatum":"\\t"}')
    write(t, "array_root.json", "[]")
    write(t, "many_kenmerken.json", compact({
        "kanaal": "zaken", "hoofdObject": base, "resource": "zaak", "resourceUrl": base,
        "actie": "update", "aanmaakdatum": "2026-03-01T10:00:00Z",
        "kenmerken": {"k%d" % i: i for i in range(1990)}}))
    for name, data in hostile(30000).items():
        write(t, "hostile_" + name, data)


def pad4(s):
    """Pads a JSON text with trailing spaces to a multiple of 4 bytes: such
    inputs also take fuzz_jwt_claims' really-signed path."""
    return s + " " * (-len(s) % 4)


def corpus_jwt():
    t = "fuzz_jwt_claims"
    iss, aud, exp = "https://login.mijnzaken.example", "mijnzaken", 1800000300
    citizen = {"iss": iss, "aud": aud, "sub": "citizen-1", "exp": exp, "iat": 1700000000,
               "nbf": 1700000000, "bsn": BSN2}
    write(t, "citizen.json", pad4(compact(citizen)))
    write(t, "citizen_aud_array.json", pad4(compact(dict(citizen, aud=["other", aud]))))
    write(t, "professional.json", pad4(compact({"iss": iss, "aud": aud, "sub": "staff-1",
                                                "exp": exp, "roles": ["professional"],
                                                "org": "Gemeente Voorbeeld"})))
    write(t, "admin.json", pad4(compact({"iss": iss, "aud": aud, "sub": "admin-1", "exp": exp,
                                         "roles": ["admin", "viewer"]})))
    write(t, "fractional_exp.json", pad4(compact(dict(citizen, exp=1800000300.5))))
    write(t, "unpadded_citizen.json", compact(citizen) + "  ")
    write(t, "expired.json", compact(dict(citizen, exp=1700000000)))
    write(t, "nbf_future.json", compact(dict(citizen, nbf=1900000000)))
    write(t, "exp_string.json", compact(dict(citizen, exp="1800000300")))
    write(t, "exp_huge.json", compact(citizen).replace("1800000300", "1e999"))
    write(t, "exp_int64_max.json", compact(citizen).replace("1800000300", "9223372036854775807"))
    write(t, "iat_int64_min.json", compact(citizen).replace('"iat":1700000000',
                                                            '"iat":-9223372036854775808'))
    write(t, "bsn_and_roles.json", compact(dict(citizen, roles=["professional"])))
    write(t, "bsn_invalid.json", compact(dict(citizen, bsn="999993654")))
    write(t, "bsn_number.json", compact(citizen).replace('"%s"' % BSN2, BSN2))
    write(t, "duplicate_bsn.json", compact(citizen)[:-1] + ',"bsn":"%s"}' % BSN)
    write(t, "sub_long.json", compact(dict(citizen, sub="s" * 129)))
    write(t, "org_empty.json", compact({"iss": iss, "aud": aud, "sub": "x", "exp": exp,
                                        "roles": ["professional"], "org": ""}))
    write(t, "roles_not_array.json", compact(dict(citizen, roles="admin")))
    write(t, "roles_non_string.json", compact({"iss": iss, "aud": aud, "sub": "x", "exp": exp,
                                               "roles": [1]}))
    write(t, "deep_claims.json", compact(dict(citizen, x={"a": {"b": {"c": {}}}})))

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=")

    payload = b64(compact(citizen).encode())
    write(t, "token_alg_none.txt", b64(b'{"alg":"none","typ":"JWT"}') + b"." + payload + b".")
    hs = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + payload
    write(t, "token_hs256.txt",
          hs + b"." + b64(hmac.new(b"not-our-key", hs, hashlib.sha256).digest()))
    write(t, "token_rs256_bad_sig.txt",
          b64(b'{"alg":"RS256","typ":"JWT"}') + b"." + payload + b"." + b64(b"\x01" * 256))
    write(t, "token_two_parts.txt", b64(b'{"alg":"RS256"}') + b"." + payload)
    write(t, "token_bad_chars.txt", b"abc.def+/.ghi")
    for name, data in hostile(30000).items():
        write(t, "hostile_" + name, data)


def corpus_bsn():
    t = "fuzz_bsn"
    write(t, "valid.txt", BSN2)
    write(t, "valid2.txt", BSN)
    write(t, "valid3.txt", "123456782")
    write(t, "invalid_proof.txt", "999993654")
    write(t, "all_zero.txt", "000000000")
    write(t, "in_text.txt", "bsn=%s&x=1" % BSN2)
    write(t, "in_json.txt", '{"bsn":"%s"}' % BSN)
    write(t, "ten_digits.txt", "9" + BSN2)
    write(t, "eight_digits.txt", BSN2[:8])
    write(t, "two_runs.txt", "%s %s0 %s" % (BSN, BSN2, BSN2))
    write(t, "nul_separated.txt", BSN2.encode() + b"\x00" + BSN.encode())
    write(t, "digits_then_letters.txt", "1234567890123456789abc" + BSN2)
    write(t, "high_bytes.txt", b"\xff" + BSN.encode() + b"\x80")


def corpus_zgw():
    t = "fuzz_zgw"
    # fake_zgw_*.json are real fixture responses (see the docstring).
    shutil.copyfile(os.path.join(ROOT, "openapi", "openapi.yaml"),
                    os.path.join(CORPUS, t, "openapi.yaml"))
    write(t, "yaml_small.yaml", "openapi: 3.0.3\ninfo:\n  title: x\n  version: '1.0.0'\n"
          "paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n"
          "list: [1, 2.5, -0, 1e999999, null, ~, true, False, '01', 2026-01-02]\n"
          "block: |\n  line one\n  line two\nfolded: >\n  a\n  b\n")
    write(t, "yaml_anchor.yaml", "a: &x 1\nb: *x\n")
    write(t, "yaml_tags.yaml", "a: !!str 1\nb: !!int 2\nc: !custom x\nd: !!map {e: f}\n")
    write(t, "yaml_duplicate.yaml", "a: 1\nb: 2\na: 3\n")
    write(t, "yaml_duplicate_quoted.yaml", "\"a\": 1\n'a': 2\n")
    write(t, "yaml_complex_key.yaml", "? [a, b]\n: c\n")
    write(t, "yaml_two_docs.yaml", "a: 1\n---\nb: 2\n")
    write(t, "yaml_deep_flow.yaml", b"[" * 2000)
    write(t, "yaml_deep_block.yaml", "".join("  " * i + "- \n" for i in range(200)))
    write(t, "yaml_escapes.yaml", 'a: "\\u0000"\nb: "\\ud800"\nc: "\\x41\\N\\_"\nd: "</x>"\n')
    write(t, "yaml_nul.yaml", b"a: b\x00c\n")
    write(t, "yaml_bom_utf16.yaml", "a: 1\n".encode("utf-16"))
    write(t, "yaml_merge.yaml", "<<: {a: 1}\nb: 2\n")
    write(t, "zaak_minimal.json", compact({
        "count": 1, "next": "http://127.0.0.1:8091/zaken/api/v1/zaken?page=2", "results": [{
            "url": "http://127.0.0.1:8091/zaken/api/v1/zaken/" + UUID, "identificatie": "Z-1",
            "omschrijving": "x", "zaaktype": "http://127.0.0.1:8091/catalogi/api/v1/zaaktypen/1",
            "registratiedatum": "2026-02-07", "einddatum": None,
            "opschorting": {"indicatie": True, "reden": "wacht"},
            "_expand": {"status": {"_expand": {"statustype": {
                "volgnummer": 1, "isEindstatus": False, "statustekst": ""}}},
                "rollen": [{"omschrijvingGeneriek": "initiator",
                            "betrokkeneIdentificatie": {"inpBsn": BSN2}}]}}]}))
    for name, data in hostile(100000).items():
        write(t, "hostile_" + name, data)


def cursor(sort_us, uuid):
    return base64.urlsafe_b64encode(("v1:%d:%s" % (sort_us, uuid)).encode()).rstrip(b"=").decode()


def corpus_router():
    t = "fuzz_router"
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    c = cursor(1767225600000000, UUID)
    seeds = {
        "me_cases.txt": "GET /api/v1/me/cases",
        "me_cases_open.txt": "GET /api/v1/me/cases?status=open",
        "me_cases_page.txt": "GET /api/v1/me/cases?status=closed&agency=gem&pageSize=2&cursor=" + c,
        "me_case.txt": "GET /api/v1/me/cases/" + UUID,
        "me_case_trace.txt": "GET /api/v1/me/cases/" + UUID + "\n" + tp,
        "access_log.txt": "GET /api/v1/me/access-log?pageSize=100&cursor=" + c,
        "search.txt": "POST /api/v1/cases/search",
        "pro_case.txt": "GET /api/v1/cases/" + UUID + "?purpose=klantvraag",
        "agencies.txt": "GET /api/v1/agencies",
        "agency_sync.txt": "POST /api/v1/agencies/gem/sync",
        "events.txt": "POST /api/v1/agencies/gem/events",
        "notifications.txt": "POST /api/v1/agencies/uwv/notifications",
        "dev_login.txt": "POST /api/v1/dev/login",
        "dev_login_odd.txt": "POST /api/v1/dev/login ",
        "health.txt": "GET /healthz",
        "ready.txt": "GET /readyz",
        "metrics.txt": "HEAD /metrics",
        "openapi.txt": "GET /api/v1/openapi.json",
        "openapi_yaml.txt": "GET /api/v1/openapi.yaml",
        "wrong_method.txt": "DELETE /api/v1/me/cases",
        "trailing_slash.txt": "GET /api/v1/me/cases/",
        "double_slash.txt": "GET /api/v1//cases/x",
        "long_segment.txt": "GET /api/v1/me/cases/" + "a" * 201,
        "bsn_in_path.txt": "GET /api/v1/me/cases/" + BSN2 + "?pageSize=0" + BSN,
        "page_sizes.txt": "GET /api/v1/me/cases?pageSize=100&pageSize=101&pageSize=01&pageSize=-1",
        "cursor_negative.txt": "GET /x?cursor=" + cursor(-5, UUID.upper()),
        "cursor_bad.txt": "GET /x?cursor=" + cursor(1, "not-a-uuid") + "&cursor=!!&cursor="
                          + base64.urlsafe_b64encode(b"v1:99999999999999999999:" + UUID.encode())
                          .rstrip(b"=").decode(),
        "dates.txt": "GET /x?d=2026-02-29&d=2028-02-29&d=2026-13-01&t=2026-03-01T10:00:00Z"
                     "&t=2026-03-01T23:59:60.123456789+14:00&t=2026-03-01t10:00:00.1234567890z",
        "traceparent_bad.txt": "GET /healthz\n00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "safe_echo.txt": "GET /x?status=" + "x" * 41 + "&agency=a[0].b-c_d",
        "empty.txt": "",
    }
    for name, s in seeds.items():
        write(t, name, s)


def corpus_json():
    t = "fuzz_json"
    write(t, "event.json", compact(event("ref-1")))
    write(t, "nested.json", '{"a":[1,{"b":null,"c":true,"d":false},"x\\u00e9\\n"],"e":{},"f":[]}')
    write(t, "numbers.json", "[0,-1,1.5,1e10,-2.5E-3,123456789012345678901234567890]")
    write(t, "scalar_string.json", '"hello"')
    write(t, "scalar_true.json", "true")
    write(t, "html_slash.json", '["</script>","<\\/script>","a/b"]')
    write(t, "control_escapes.json", '["\\u0001\\u001f\\u007f\\b\\f"]')
    write(t, "agencies.json", open(os.path.join(ROOT, "config", "agencies.example.json"),
                                   "rb").read())
    write(t, "sort_path_keys.json", compact({"k%02d" % i: i for i in range(30)}))
    for name, data in hostile(100000).items():
        write(t, "hostile_" + name, data)


def corpus_handover():
    t = "fuzz_handover"
    hid = "00000000-0000-4000-8000-000000000001"
    write(t, "ack.json", compact({"type": "handover.acknowledged", "handoverId": hid}))
    write(t, "closed.json", compact({"type": "handover.closed", "handoverId": hid}))
    write(t, "unknown_type.json", compact({"type": "handover.lost", "handoverId": hid}))
    write(t, "no_id.json", compact({"type": "handover.closed"}))
    write(t, "bad_uuid.json", compact({"type": "handover.closed", "handoverId": "x" * 36}))
    write(t, "array.json", "[" + compact({"type": "handover.closed", "handoverId": hid}) + "]")
    write(t, "case_event.json", compact(event("ref-1")))
    write(t, "phone_mobile.txt", "06 1234 5678")
    write(t, "phone_intl.txt", "+31 (0)20 123 4567")
    write(t, "phone_0031.txt", "0031201234567")
    write(t, "channel.txt", "letter")
    write(t, "text_multiline.txt", "Eerste regel\r\nTweede regel\tmet tab")
    write(t, "text_c1.txt", "a\u0085b")
    write(t, "text_escape.txt", "a\x1b[31mb")


if __name__ == "__main__":
    corpus_events()
    corpus_webhook()
    corpus_notification()
    corpus_jwt()
    corpus_bsn()
    corpus_zgw()
    corpus_router()
    corpus_json()
    corpus_handover()
