/* Unit tests for adapters/zgw_map.c: the ZGW adapter's pure rules (status
 * group and text, dates, deep link, result text, entitlement), each rule of
 * zgw.c's header comment as a table of cases. */
/* cmocka needs these first, in this order */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <string.h>

#include "agencies.h"
#include "json.h"
#include "zgw_map.h"

static mz_json_doc *parse(const char *text)
{
    char err[128];
    mz_json_doc *d = mz_json_parse(text, strlen(text), NULL, err, sizeof err);
    if (!d)
        fail_msg("bad test JSON (%s): %s", err, text);
    return d;
}

static void expect_str(const char *what, const char *got, const char *want)
{
    if (!want && !got)
        return;
    if (!want || !got || strcmp(got, want) != 0)
        fail_msg("%s: got %s%s%s, want %s%s%s", what, got ? "'" : "", got ? got : "NULL",
                 got ? "'" : "", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
}

/* --- status group and text */

static void test_status_group(void **state)
{
    (void)state;
    /* The agency's statusGroups mapping (agencies.h). */
    mz_status_map map[] = {{"Besluit genomen", "decided"},
                           {"Wacht op aanvulling", "action_required"},
                           {"Intake", "in_progress"}};
    mz_agency agency = {.id = "gem", .status_map = map, .n_status_map = 3};
    struct {
        const char *name;
        bool mapped; /* use the agency's mapping */
        bool no_status;
        const char *omschrijving, *statustekst;
        long volgnummer;
        bool eind, has_result, suspended;
        const char *want;
    } cases[] = {
        {"end status without resultaat", false, false, "Afgehandeld", NULL, 4, true, false, false,
         "closed"},
        {"end status with resultaat", false, false, "Afgehandeld", NULL, 4, true, true, false,
         "decided"},
        {"resultaat before the end", false, false, "In behandeling", NULL, 2, false, true, false,
         "decided"},
        {"resultaat wins over opschorting", false, false, "In behandeling", NULL, 2, false, true,
         true, "decided"},
        {"end status wins over opschorting", false, false, "Afgehandeld", NULL, 4, true, false,
         true, "closed"},
        {"opschorting", false, false, "In behandeling", NULL, 2, false, false, true, "on_hold"},
        {"opschorting at volgnummer 1", false, false, "Ontvangen", NULL, 1, false, false, true,
         "on_hold"},
        {"volgnummer 1", false, false, "Ontvangen", NULL, 1, false, false, false, "received"},
        {"volgnummer 2", false, false, "In behandeling", NULL, 2, false, false, false,
         "in_progress"},
        {"no volgnummer", false, false, "In behandeling", NULL, 0, false, false, false,
         "in_progress"},
        {"no status", false, true, NULL, NULL, 0, false, false, false, "received"},
        {"no status, opschorting", false, true, NULL, NULL, 0, false, false, true, "on_hold"},
        {"no status, resultaat", false, true, NULL, NULL, 0, false, true, false, "received"},
        {"mapped by omschrijving", true, false, "Besluit genomen", "Uw besluit is er", 3, false,
         false, false, "decided"},
        {"mapped by statustekst", true, false, "Onbekend hier", "Wacht op aanvulling", 2, false,
         false, false, "action_required"},
        {"omschrijving mapping before statustekst's", true, false, "Intake", "Wacht op aanvulling",
         2, false, false, false, "in_progress"},
        {"mapping wins over isEindstatus", true, false, "Intake", NULL, 4, true, true, false,
         "in_progress"},
        {"mapping wins over opschorting", true, false, "Besluit genomen", NULL, 2, false, false,
         true, "decided"},
        {"unmapped text: the rules", true, false, "Iets anders", "Nog iets", 1, false, false, false,
         "received"},
        {"mapping is exact (case)", true, false, "besluit genomen", NULL, 2, false, false, false,
         "in_progress"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_zgw_type t = {(char *)cases[i].omschrijving,
                         (char *)cases[i].statustekst,
                         NULL,
                         cases[i].volgnummer,
                         cases[i].eind,
                         false,
                         false};
        const char *got =
            mz_zgw_status_group(cases[i].mapped ? &agency : NULL, cases[i].no_status ? NULL : &t,
                                cases[i].has_result, cases[i].suspended);
        expect_str(cases[i].name, got, cases[i].want);
    }
}

static void test_status_text(void **state)
{
    (void)state;
    struct {
        bool no_status;
        const char *omschrijving, *statustekst, *want;
    } cases[] = {
        {false, "In behandeling", "Wij bekijken uw aanvraag", "Wij bekijken uw aanvraag"},
        {false, "In behandeling", NULL, "In behandeling"},
        {false, NULL, "Wij bekijken uw aanvraag", "Wij bekijken uw aanvraag"},
        {false, NULL, NULL, "Onbekende status"},
        {true, NULL, NULL, "Ontvangen"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_zgw_type t = {(char *)cases[i].omschrijving,
                         (char *)cases[i].statustekst,
                         NULL,
                         2,
                         false,
                         false,
                         false};
        char name[32];
        snprintf(name, sizeof name, "case %zu", i);
        expect_str(name, mz_zgw_status_text(cases[i].no_status ? NULL : &t), cases[i].want);
    }
}

static void test_suspended_and_title(void **state)
{
    (void)state;
    struct {
        const char *zaak;
        bool suspended;
        const char *title;
    } cases[] = {
        {"{\"opschorting\":{\"indicatie\":true,\"reden\":\"x\"},\"omschrijving\":\"Kap\"}", true,
         "Kap"},
        {"{\"opschorting\":{\"indicatie\":false}}", false, "Kapvergunning"},
        {"{\"opschorting\":{\"indicatie\":\"true\"}}", false, "Kapvergunning"},
        {"{\"opschorting\":null,\"omschrijving\":\"\"}", false, "Kapvergunning"},
        {"{}", false, "Kapvergunning"},
    };
    mz_zgw_type zt = {"Kapvergunning", NULL, "ZT1", 0, false, false, false}, none = {0};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_json_doc *d = parse(cases[i].zaak);
        if (mz_zgw_suspended(mz_json_root(d)) != cases[i].suspended)
            fail_msg("suspended wrong for %s", cases[i].zaak);
        expect_str(cases[i].zaak, mz_zgw_title(mz_json_root(d), &zt), cases[i].title);
        if (strcmp(cases[i].title, "Kapvergunning") == 0)
            expect_str("no zaaktype", mz_zgw_title(mz_json_root(d), &none), "Zaak");
        mz_json_free(d);
    }
}

/* --- dates */

static void test_date(void **state)
{
    (void)state;
    struct {
        const char *in, *want;
    } cases[] = {
        {"2026-01-02", "2026-01-02"},
        {"2026-01-02T10:11:12Z", "2026-01-02"},
        {"2026-01-02T10:11:12+01:00", "2026-01-02"},
        {"2024-02-29", "2024-02-29"},
        {"2026-02-29", NULL}, /* not a leap year */
        {"2026-02-30", NULL},
        {"2026-13-01", NULL},
        {"2026-00-10", NULL},
        {"2026-1-2", NULL},
        {"02-01-2026", NULL},
        {"garbage!!!", NULL},
        {"", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[11];
        expect_str(cases[i].in ? cases[i].in : "(null)", mz_zgw_date(cases[i].in, out),
                   cases[i].want);
    }
}

static void test_registered(void **state)
{
    (void)state;
    struct {
        const char *zaak, *want;
    } cases[] = {
        {"{\"registratiedatum\":\"2026-01-05\",\"startdatum\":\"2026-01-02\"}", "2026-01-05"},
        {"{\"startdatum\":\"2026-01-02\"}", "2026-01-02"},
        {"{\"registratiedatum\":\"\",\"startdatum\":\"2026-01-02\"}", "2026-01-02"},
        {"{\"registratiedatum\":null,\"startdatum\":\"2026-01-02\"}", "2026-01-02"},
        {"{\"registratiedatum\":\"2026-01-05\"}", "2026-01-05"},
        {"{}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_json_doc *d = parse(cases[i].zaak);
        expect_str(cases[i].zaak, mz_zgw_registered(mz_json_root(d)), cases[i].want);
        mz_json_free(d);
    }
}

static void test_changed_at(void **state)
{
    (void)state;
    struct {
        const char *gezet, *registered, *want;
    } cases[] = {
        {"2026-03-04T05:06:07Z", "2026-01-02", "2026-03-04T05:06:07Z"},
        {"2026-03-04T05:06:07.123+01:00", NULL, "2026-03-04T05:06:07.123+01:00"},
        /* unusable: the registration date at midnight */
        {"2026-03-04", "2026-01-02", "2026-01-02 00:00:00+00"},
        {"2026-03-04T25:00:00Z", "2026-01-02", "2026-01-02 00:00:00+00"},
        {"gisteren", "2026-01-02T12:00:00Z", "2026-01-02 00:00:00+00"},
        {NULL, "2026-01-02", "2026-01-02 00:00:00+00"},
        /* nothing usable at all */
        {NULL, "2026-02-30", NULL},
        {"gisteren", NULL, NULL},
        {NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[32], name[64];
        snprintf(name, sizeof name, "case %zu", i);
        expect_str(name, mz_zgw_changed_at(cases[i].gezet, cases[i].registered, out),
                   cases[i].want);
    }
}

/* --- texts and links */

static void test_deep_link(void **state)
{
    (void)state;
    struct {
        const char *tmpl, *ident, *want;
    } cases[] = {
        {"https://gemeente.test/zaken/{identificatie}", "ZAAK-2026-1",
         "https://gemeente.test/zaken/ZAAK-2026-1"},
        {"https://gemeente.test/zaak?id={identificatie}&x=1", "Z1",
         "https://gemeente.test/zaak?id=Z1&x=1"},
        {"https://gemeente.test/{identificatie}/{identificatie}", "Z1",
         "https://gemeente.test/Z1/{identificatie}"}, /* the first only */
        {"https://gemeente.test/mijn-zaken", "Z1", "https://gemeente.test/mijn-zaken"},
        {"https://gemeente.test/zaken/{identificatie}", NULL, NULL},
        {NULL, "Z1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[256], name[32];
        snprintf(name, sizeof name, "case %zu", i);
        expect_str(name, mz_zgw_deep_link(cases[i].tmpl, cases[i].ident, out, sizeof out),
                   cases[i].want);
    }
    /* Bounded by the buffer (a long identificatie cannot overflow it). */
    char small[16];
    expect_str(
        "truncated",
        mz_zgw_deep_link("https://x/{identificatie}", "ABCDEFGHIJKLMNOP", small, sizeof small),
        "https://x/ABCDE");
}

static void test_result_text(void **state)
{
    (void)state;
    struct {
        bool has;
        const char *omschrijving, *toelichting, *want;
    } cases[] = {
        {true, "Vergunning verleend", NULL, "Vergunning verleend"},
        {true, "Vergunning verleend", "met voorwaarden", "Vergunning verleend: met voorwaarden"},
        {true, NULL, NULL, "Resultaat vastgesteld"},
        {true, NULL, "zie brief", "Resultaat vastgesteld: zie brief"},
        {false, "Vergunning verleend", "met voorwaarden", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[600], name[32];
        snprintf(name, sizeof name, "case %zu", i);
        expect_str(name,
                   mz_zgw_result_text(cases[i].has, cases[i].omschrijving, cases[i].toelichting,
                                      out, sizeof out),
                   cases[i].want);
    }
}

/* --- entitlement */

#define ZAAK  "http://zgw.test/zaken/api/v1/zaken/1"
#define OTHER "http://zgw.test/zaken/api/v1/zaken/2"
/* A rol of zaak `of` for a natural person with bsn in role gen. */
#define ROL(of, gen, bsn)                                                                          \
    "{\"zaak\":\"" of                                                                              \
    "\",\"betrokkeneType\":\"natuurlijk_persoon\",\"omschrijvingGeneriek\":\"" gen                 \
    "\",\"betrokkeneIdentificatie\":{\"inpBsn\":\"" bsn "\"}}"

static mz_zgw_roles roles_of(const char *settings)
{
    mz_json_doc *d = parse(settings);
    mz_zgw_roles r;
    char err[256] = "";
    if (!mz_zgw_subject_roles(mz_json_root(d), &r, err, sizeof err))
        fail_msg("roles refused: %s", err);
    mz_json_free(d);
    return r;
}

static void test_owner(void **state)
{
    (void)state;
    const char *dflt = "{}";
    const char *both = "{\"subjectRoles\":[\"initiator\",\"belanghebbende\"]}";
    const char *belfirst = "{\"subjectRoles\":[\"belanghebbende\",\"initiator\"]}";
    struct {
        const char *name, *settings, *rollen, *want; /* want NULL: no owner */
    } cases[] = {
        {"one initiator", dflt, "[" ROL(ZAAK, "initiator", "123456782") "]", "123456782"},
        {"belanghebbende is not entitled by default", dflt,
         "[" ROL(ZAAK, "belanghebbende", "123456782") "]", NULL},
        {"initiator wins (listed after)", both,
         "[" ROL(ZAAK, "belanghebbende", "111222333") "," ROL(ZAAK, "initiator", "123456782") "]",
         "123456782"},
        {"initiator wins (listed before)", both,
         "[" ROL(ZAAK, "initiator", "123456782") "," ROL(ZAAK, "belanghebbende", "111222333") "]",
         "123456782"},
        {"role order of subjectRoles decides", belfirst,
         "[" ROL(ZAAK, "initiator", "111222333") "," ROL(ZAAK, "belanghebbende", "123456782") "]",
         "123456782"},
        {"second role when the first is absent", both,
         "[" ROL(ZAAK, "belanghebbende", "123456782") "]", "123456782"},
        {"lowest BSN of one role (higher first)", dflt,
         "[" ROL(ZAAK, "initiator", "123456782") "," ROL(ZAAK, "initiator", "111222333") "]",
         "111222333"},
        {"lowest BSN of one role (lower first)", dflt,
         "[" ROL(ZAAK, "initiator", "111222333") "," ROL(ZAAK, "initiator", "123456782") "]",
         "111222333"},
        {"rol of another zaak ignored", dflt,
         "[" ROL(OTHER, "initiator", "111222333") "," ROL(ZAAK, "initiator", "123456782") "]",
         "123456782"},
        {"only a rol of another zaak", dflt, "[" ROL(OTHER, "initiator", "111222333") "]", NULL},
        {"invalid BSN ignored", dflt,
         "[" ROL(ZAAK, "initiator", "111222334") "," ROL(ZAAK, "initiator", "123456782") "]",
         "123456782"},
        {"invalid BSN alone", dflt, "[" ROL(ZAAK, "initiator", "12345678") "]", NULL},
        {"invalid BSN of a better role ignored", both,
         "[" ROL(ZAAK, "initiator", "000000000") "," ROL(ZAAK, "belanghebbende", "123456782") "]",
         "123456782"},
        {"not a natural person", dflt,
         "[{\"zaak\":\"" ZAAK "\",\"betrokkeneType\":\"niet_natuurlijk_persoon\","
         "\"omschrijvingGeneriek\":\"initiator\","
         "\"betrokkeneIdentificatie\":{\"inpBsn\":\"123456782\"}}]",
         NULL},
        {"no zaak field", dflt,
         "[{\"betrokkeneType\":\"natuurlijk_persoon\",\"omschrijvingGeneriek\":\"initiator\","
         "\"betrokkeneIdentificatie\":{\"inpBsn\":\"123456782\"}}]",
         NULL},
        {"BSN not a string", dflt,
         "[{\"zaak\":\"" ZAAK "\",\"betrokkeneType\":\"natuurlijk_persoon\","
         "\"omschrijvingGeneriek\":\"initiator\","
         "\"betrokkeneIdentificatie\":{\"inpBsn\":123456782}}]",
         NULL},
        {"not an array", dflt, "{\"results\":[]}", NULL},
        {"empty", dflt, "[]", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_zgw_roles roles = roles_of(cases[i].settings);
        mz_json_doc *d = parse(cases[i].rollen);
        mz_zgw_owner o;
        mz_zgw_owner_init(&o, &roles);
        mz_zgw_owner_consider(&o, &roles, mz_json_root(d), ZAAK);
        expect_str(cases[i].name, mz_zgw_owner_found(&o, &roles) ? o.who.id : NULL, cases[i].want);
        mz_zgw_owner_clear(&o);
        mz_json_free(d);
    }
}

/* Rollen of businesses (Zaken API 1.5.1 RolVestiging.kvkNummer,
 * RolNietNatuurlijkPersoon.innNnpId), per the agency's businessIdentifier.
 * want: "kind:id", or NULL for no owner. */
#define VEST(zaak, role, kvk)                                                                      \
    "{\"zaak\":\"" zaak "\",\"betrokkeneType\":\"vestiging\",\"omschrijvingGeneriek\":\"" role     \
    "\",\"betrokkeneIdentificatie\":{\"vestigingsNummer\":\"000012345678\",\"kvkNummer\":\"" kvk   \
    "\",\"handelsnaam\":[\"Bakkerij\"]}}"
#define NNP(zaak, role, id)                                                                        \
    "{\"zaak\":\"" zaak "\",\"betrokkeneType\":\"niet_natuurlijk_persoon\","                       \
    "\"omschrijvingGeneriek\":\"" role "\",\"betrokkeneIdentificatie\":{\"innNnpId\":\"" id        \
    "\",\"statutaireNaam\":\"Bakkerij BV\"}}"

static void test_owner_business(void **state)
{
    (void)state;
    const char *none = "{}";
    const char *kvk = "{\"businessIdentifier\":\"kvk\"}";
    const char *rsin = "{\"businessIdentifier\":\"rsin\"}";
    const char *kvk_both =
        "{\"businessIdentifier\":\"kvk\",\"subjectRoles\":[\"initiator\",\"belanghebbende\"]}";
    struct {
        const char *name, *settings, *rollen, *want;
    } cases[] = {
        {"vestiging ignored without businessIdentifier", none,
         "[" VEST(ZAAK, "initiator", "68750110") "]", NULL},
        {"nnp ignored without businessIdentifier", none, "[" NNP(ZAAK, "initiator", "68750110") "]",
         NULL},
        {"vestiging kvkNummer (kvk)", kvk, "[" VEST(ZAAK, "initiator", "68750110") "]",
         "kvk:68750110"},
        {"vestiging kvkNummer (rsin)", rsin, "[" VEST(ZAAK, "initiator", "68750110") "]",
         "kvk:68750110"},
        {"nnp innNnpId holding the KVK number (kvk)", kvk,
         "[" NNP(ZAAK, "initiator", "68750110") "]", "kvk:68750110"},
        {"nnp innNnpId is an RSIN (rsin): no one", rsin,
         "[" NNP(ZAAK, "initiator", "123456782") "]", NULL},
        {"nnp with a 9-digit RSIN under kvk: no one", kvk,
         "[" NNP(ZAAK, "initiator", "123456782") "]", NULL},
        {"kvk rol without a number: no one", kvk,
         "[{\"zaak\":\"" ZAAK "\",\"betrokkeneType\":\"vestiging\",\"omschrijvingGeneriek\":"
         "\"initiator\",\"betrokkeneIdentificatie\":{\"vestigingsNummer\":\"000012345678\"}}]",
         NULL},
        {"kvk rol with an empty number: no one", kvk, "[" VEST(ZAAK, "initiator", "") "]", NULL},
        {"kvkNummer of 7 digits: no one", kvk, "[" VEST(ZAAK, "initiator", "6875011") "]", NULL},
        {"kvkNummer not digits: no one", kvk, "[" VEST(ZAAK, "initiator", "6875011x") "]", NULL},
        {"business rol of another zaak ignored", kvk, "[" VEST(OTHER, "initiator", "68750110") "]",
         NULL},
        {"business not in subjectRoles", kvk, "[" VEST(ZAAK, "belanghebbende", "68750110") "]",
         NULL},
        {"a person before a business in the same role", kvk,
         "[" VEST(ZAAK, "initiator", "68750110") "," ROL(ZAAK, "initiator", "123456782") "]",
         "bsn:123456782"},
        {"the better role wins over kind", kvk_both,
         "[" ROL(ZAAK, "belanghebbende", "123456782") "," VEST(ZAAK, "initiator", "68750110") "]",
         "kvk:68750110"},
        {"lowest KVK number of one role", kvk,
         "[" VEST(ZAAK, "initiator", "69599084") "," NNP(ZAAK, "initiator", "68750110") "]",
         "kvk:68750110"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_zgw_roles roles = roles_of(cases[i].settings);
        mz_json_doc *d = parse(cases[i].rollen);
        mz_zgw_owner o;
        mz_zgw_owner_init(&o, &roles);
        mz_zgw_owner_consider(&o, &roles, mz_json_root(d), ZAAK);
        char got[24];
        snprintf(got, sizeof got, "%s:%s", mz_subject_kind_name(o.who.kind), o.who.id);
        expect_str(cases[i].name, mz_zgw_owner_found(&o, &roles) ? got : NULL, cases[i].want);
        mz_zgw_owner_clear(&o);
        mz_json_free(d);
    }
    /* the setting is checked */
    mz_zgw_roles r;
    char err[200];
    mz_json_doc *d = parse("{\"businessIdentifier\":\"KVK\"}");
    assert_false(mz_zgw_subject_roles(mz_json_root(d), &r, err, sizeof err));
    assert_non_null(strstr(err, "businessIdentifier: must be"));
    mz_json_free(d);
}

/* The rollen of one zaak over several pages give the same owner as one
 * page; the owner is wiped by mz_zgw_owner_clear. */
static void test_owner_over_pages(void **state)
{
    (void)state;
    mz_zgw_roles roles = roles_of("{\"subjectRoles\":[\"initiator\",\"belanghebbende\"]}");
    mz_json_doc *p1 = parse("[" ROL(ZAAK, "belanghebbende", "111222333") "]");
    mz_json_doc *p2 = parse("[" ROL(ZAAK, "initiator", "123456782") "]");
    mz_json_doc *p3 = parse("[" ROL(ZAAK, "belanghebbende", "100000009") "]");
    mz_zgw_owner o;
    mz_zgw_owner_init(&o, &roles);
    assert_false(mz_zgw_owner_found(&o, &roles));
    mz_zgw_owner_consider(&o, &roles, mz_json_root(p1), ZAAK);
    assert_string_equal(o.who.id, "111222333");
    mz_zgw_owner_consider(&o, &roles, mz_json_root(p2), ZAAK);
    assert_string_equal(o.who.id, "123456782");
    mz_zgw_owner_consider(&o, &roles, mz_json_root(p3), ZAAK); /* a worse role, lower BSN */
    assert_string_equal(o.who.id, "123456782");
    mz_zgw_owner_clear(&o);
    for (size_t i = 0; i < sizeof o.who.id; i++)
        assert_int_equal(o.who.id[i], 0);
    mz_json_free(p1);
    mz_json_free(p2);
    mz_json_free(p3);
}

static void test_subject_roles(void **state)
{
    (void)state;
    mz_zgw_roles r = roles_of("{}");
    assert_int_equal(r.n, 1);
    assert_string_equal(mz_zgw_role_names[r.idx[0]], "initiator");
    r = roles_of("{\"subjectRoles\":[\"mede_initiator\",\"initiator\"]}");
    assert_int_equal(r.n, 2);
    assert_string_equal(mz_zgw_role_names[r.idx[0]], "mede_initiator");
    assert_string_equal(mz_zgw_role_names[r.idx[1]], "initiator");
    struct {
        const char *settings, *err;
    } bad[] = {
        {"{\"subjectRoles\":[]}", "subjectRoles: must be a non-empty array"},
        {"{\"subjectRoles\":\"initiator\"}", "subjectRoles: must be a non-empty array"},
        {"{\"subjectRoles\":[\"initator\"]}", "subjectRoles[0]: must be one of"},
        {"{\"subjectRoles\":[\"initiator\",1]}", "subjectRoles[1]: must be one of"},
        {"{\"subjectRoles\":[\"initiator\",\"initiator\"]}",
         "subjectRoles[1]: initiator is listed twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mz_json_doc *d = parse(bad[i].settings);
        char err[256] = "";
        if (mz_zgw_subject_roles(mz_json_root(d), &r, err, sizeof err))
            fail_msg("accepted: %s", bad[i].settings);
        if (!strstr(err, bad[i].err))
            fail_msg("'%s' lacks '%s'", err, bad[i].err);
        mz_json_free(d);
    }
}

static void test_expanded_rollen(void **state)
{
    (void)state;
    struct {
        const char *zaak;
        bool complete;
    } cases[] = {
        {"{\"rollen\":[\"r1\"],\"_expand\":{\"rollen\":[" ROL(ZAAK, "initiator", "123456782") "]}}",
         true},
        {"{\"_expand\":{\"rollen\":[]}}", true}, /* no URL list to compare with */
        {"{\"rollen\":[\"r1\",\"r2\"],\"_expand\":{\"rollen\":[" ROL(ZAAK, "initiator",
                                                                     "123456782") "]}}",
         false},
        {"{\"rollen\":\"r1\",\"_expand\":{\"rollen\":[]}}", false},
        {"{\"rollen\":[\"r1\"]}", false},
        {"{\"rollen\":[],\"_expand\":{\"rollen\":{}}}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mz_json_doc *d = parse(cases[i].zaak);
        if ((mz_zgw_expanded_rollen(mz_json_root(d)) != NULL) != cases[i].complete)
            fail_msg("expanded_rollen wrong for %s", cases[i].zaak);
        mz_json_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_group),
        cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_suspended_and_title),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_changed_at),
        cmocka_unit_test(test_deep_link),
        cmocka_unit_test(test_result_text),
        cmocka_unit_test(test_owner),
        cmocka_unit_test(test_owner_over_pages),
        cmocka_unit_test(test_owner_business),
        cmocka_unit_test(test_subject_roles),
        cmocka_unit_test(test_expanded_rollen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
