/*
 * test_sync_rest_json.c — pull sync from an agency with its own JSON API
 * (the declarative rest-json adapter), against the fake_zgw fixture read as
 * a plain JSON API: full sync over several pages with every mapped field and
 * the statusGroups mapping checked case by case, idempotent re-sync, records
 * missing a required field skipped, a `next` URL outside baseUrl refused,
 * every agency fault (error recorded, data kept), and fresh-on-read through
 * the body-based searchPath; a search answer (or listing) whose items carry
 * no BSN credits nobody (the item's bsn field is this kind's only proof of
 * whose case it is). Businesses (agency rj-biz, fields.kvk mapped to the
 * fake's niet_natuurlijk_persoon innNnpId): synced and searched under the
 * kvk pseudonym, an item naming no one skipped, another business's zaak
 * in an answer that ignored the filter credited to no one.
 *
 * The agency-specific headers go through the adapter's `headers` setting:
 * the fake speaks ZGW, whose zaken list, read and _zoek insist on
 * `Accept-Crs` (and `Content-Crs` on POST) and answer 412 without them, 406
 * with another CRS, so every successful sync and search here proves that
 * configured headers are sent. Agency `rj` takes them in the two secret
 * forms (a CRS is no secret, but these are the headers the fake checks
 * exactly, so a resolved value that went missing or wrong would show):
 * Accept-Crs from an environment variable (valueEnv, checked on every
 * request; a wrong value is shown to fail with 406) and Content-Crs from a
 * file (valueFile, checked by the fresh-on-read search). The other agencies
 * give them as plain strings.
 *
 * A `next` URL outside baseUrl: a second fake (agency `rj-alt`) runs with
 * --base-url = the first fake's origin, so its `next` links point at another
 * server that would answer them; that page must never be requested.
 *
 * Authentication is real: the token (tokenEnv) is a JWT minted by the fake,
 * which checks it on every request.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "mzt.h"
#include "oas.h"

#define SECRET    "fake-zgw-rj-secret"
#define ZAKEN     250
#define BSN_A     "999993653"
#define BSN_B     "999990019"
#define BAD_BSN   "123456789" /* 9 digits, fails the 11-proof */
#define KVK_A     "90000001"
#define KVK_B     "90000002"
#define TOKEN_ENV "MZ_TEST_RJ_TOKEN"
#define CRS_ENV   "MZ_TEST_RJ_ACCEPT_CRS" /* rj's Accept-Crs, through valueEnv */
#define CRS       "EPSG:4326"             /* the one CRS the fake accepts */
#define EXPAND    "zaaktype,status,status.statustype,resultaat,resultaat.resultaattype,rollen"

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static mzt_env g_env;
static mzt_server g_fake;
static mzt_server g_fake_alt; /* its links point at g_fake (rj-alt) */
static oas *g_oas;
static char g_agencies[400];
static char g_token_kv[2048]; /* TOKEN_ENV=<JWT minted by the fake> */
static char g_crs_kv[64];     /* CRS_ENV=EPSG:4326 */
static char g_crs_file[400];  /* rj's Content-Crs, through valueFile */

/* The fake's statustypen (omschrijving) per zaaktype, in volgnummer order,
 * and the groups this agency's statusGroups gives them (NULL: unmapped). */
static const struct {
    const char *omschrijving;
    const char *group;
} g_statustypen[3][4] = {
    {{"Ontvangen", "received"},
     {"In behandeling", NULL},
     {"Besluit genomen", "decided"},
     {"Afgehandeld", "closed"}},
    {{"Melding ontvangen", "received"},
     {"Doorgestuurd naar uitvoering", NULL},
     {"Afgehandeld", "closed"},
     {NULL, NULL}},
    {{"Aanvraag ontvangen", "received"},
     {"Aanvullende gegevens nodig", "action_required"},
     {"In behandeling", NULL},
     {"Besluit verzonden", "decided"}},
};

/* Fields of the zaak JSON, common to the agencies below. */
#define FIELDS_COMMON                                                                              \
    "\"externalId\":\"/url\","                                                                     \
    "\"bsn\":\"/_expand/rollen/0/betrokkeneIdentificatie/inpBsn\","                                \
    "\"caseNumber\":\"/identificatie\","

/* Every mapped field (rj and rj-loose), their timeline and status groups. */
#define FIELDS_FULL                                                                                \
    FIELDS_COMMON "\"title\":\"/omschrijving\","                                                   \
                  "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","                \
                  "\"statusText\":\"/_expand/status/_expand/statustype/statustekst\","             \
                  "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\","                      \
                  "\"caseTypeCode\":\"/_expand/zaaktype/identificatie\","                          \
                  "\"caseTypeLabel\":\"/_expand/zaaktype/omschrijving\","                          \
                  "\"registeredOn\":\"/registratiedatum\","                                        \
                  "\"plannedEndOn\":\"/einddatumGepland\","                                        \
                  "\"legalDeadlineOn\":\"/uiterlijkeEinddatumAfdoening\","                         \
                  "\"closedOn\":\"/einddatum\","                                                   \
                  "\"result\":\"/_expand/resultaat/_expand/resultaattype/omschrijving\","          \
                  "\"sourceUrl\":\"/url\","                                                        \
                  "\"timeline\":\"/_expand/rollen\""
#define TIMELINE_FIELDS                                                                            \
    "\"timelineFields\":{\"status\":\"/omschrijvingGeneriek\","                                    \
    "\"at\":\"/registratiedatum\",\"text\":\"/roltoelichting\"}"
#define STATUS_GROUPS                                                                              \
    "\"Ontvangen\":\"received\",\"Melding ontvangen\":\"received\","                               \
    "\"Aanvraag ontvangen\":\"received\","                                                         \
    "\"Aanvullende gegevens nodig\":\"action_required\","                                          \
    "\"Besluit genomen\":\"decided\",\"Besluit verzonden\":\"decided\","                           \
    "\"Afgehandeld\":\"closed\",\"initiator\":\"received\""

/* The CRS headers as plain strings (every agency but rj). */
#define CRS_PLAIN "{\"Accept-Crs\":\"" CRS "\",\"Content-Crs\":\"" CRS "\"}"

static void put_agency(FILE *f, const char *id, unsigned port, const char *headers,
                       const char *fields, const char *extra, const char *groups, bool last)
{
    fprintf(f,
            "{\"id\":\"%s\",\"name\":\"JSON %s\",\"pollIntervalSeconds\":3600,"
            "\"adapter\":{\"kind\":\"rest-json\","
            "\"baseUrl\":\"http://127.0.0.1:%u/zaken/api/v1\","
            "\"listPath\":\"/zaken?expand=" EXPAND "\","
            "\"tokenEnv\":\"" TOKEN_ENV "\",\"timeoutMs\":3000,\"headers\":%s,"
            "\"itemsPointer\":\"/results\",\"nextPointer\":\"/next\","
            "\"fields\":{%s}%s},"
            "\"statusGroups\":{%s}}%s\n",
            id, id, port, headers, fields, extra, groups, last ? "" : ",");
}

static void write_agencies(void)
{
    snprintf(g_agencies, sizeof g_agencies, "%s/agencies.json", g_env.dir);
    FILE *f = fopen(g_agencies, "w");
    assert_non_null(f);
    fprintf(f, "{\"agencies\":[\n");
    /* rj: everything mapped, with a search path and a timeline (the rol as
     * one event: "initiator", mapped to received); its CRS headers come from
     * an environment variable and a file. */
    char rj_headers[600];
    snprintf(rj_headers, sizeof rj_headers,
             "{\"Accept-Crs\":{\"valueEnv\":\"" CRS_ENV "\"},"
             "\"Content-Crs\":{\"valueFile\":\"%s\"}}",
             g_crs_file);
    put_agency(f, "rj", g_fake.port, rj_headers, FIELDS_FULL,
               ",\"searchPath\":\"/zaken/_zoek?expand=" EXPAND "\","
               "\"searchBsnField\":\"rol__betrokkeneIdentificatie__natuurlijkPersoon__"
               "inpBsn\"," TIMELINE_FIELDS,
               STATUS_GROUPS, false);
    /* rj-loose: the same, but its search field is one the agency ignores,
     * so its "search" answers everyone's zaken: only the searched citizen's
     * may end up under their pseudonym. */
    put_agency(f, "rj-loose", g_fake.port, CRS_PLAIN, FIELDS_FULL,
               ",\"searchPath\":\"/zaken/_zoek?expand=" EXPAND "\","
               "\"searchBsnField\":\"bsn\"," TIMELINE_FIELDS,
               STATUS_GROUPS, false);
    /* rj-partial: statusChangedAt points at einddatum, which only closed
     * zaken have (null otherwise); the status is the zaak's own omschrijving,
     * so a value that is itself a group name can be tested. */
    put_agency(f, "rj-partial", g_fake.port, CRS_PLAIN,
               FIELDS_COMMON "\"title\":\"/identificatie\",\"status\":\"/omschrijving\","
                             "\"statusChangedAt\":\"/einddatum\"",
               "", "\"Bewonersvergunning zone A\":\"decided\"", false);
    /* rj-nobsn: the agency names nobody in its items (the bsn pointer finds
     * nothing) and ignores the search field: its "search" answers every
     * zaak, none of which may be credited to the searching citizen. */
    put_agency(f, "rj-nobsn", g_fake.port, CRS_PLAIN,
               "\"externalId\":\"/url\",\"bsn\":\"/bsn\",\"title\":\"/omschrijving\","
               "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","
               "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\"",
               ",\"searchPath\":\"/zaken/_zoek?expand=" EXPAND "\",\"searchBsnField\":\"bsn\"", "",
               false);
    /* rj-alt: the second fake, whose next links point at the first. */
    put_agency(f, "rj-alt", g_fake_alt.port, CRS_PLAIN,
               FIELDS_COMMON "\"title\":\"/omschrijving\","
                             "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","
                             "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\"",
               "", "", true);
    fprintf(f, "]}\n");
    fclose(f);
}

/* Control API of a fake; the parsed response (caller frees). */
static mz_json_doc *control_of(mzt_server *fake, const char *method, const char *path,
                               const char *body)
{
    mz_json_doc *d = mzt_fake_control(fake, method, path, body);
    assert_non_null(d);
    return d;
}

static mz_json_doc *control(const char *method, const char *path, const char *body)
{
    return control_of(&g_fake, method, path, body);
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "sync_rest_json"))
        return -1;
    char n[16], base[64];
    snprintf(n, sizeof n, "%d", ZAKEN);
    const char *args[] = {"--listen",    "127.0.0.1:0", "--secret", SECRET, "--zaken", n,
                          "--page-size", "100",         "--bsn",    BSN_A,  BSN_B,     NULL};
    if (!mzt_fixture_start(&g_fake, &g_env, "fake_zgw", args))
        return -1;
    /* The same zaken, the same secret (so the same token), other links. */
    snprintf(base, sizeof base, "http://127.0.0.1:%u", g_fake.port);
    const char *alt_args[] = {"--listen", "127.0.0.1:0", "--secret", SECRET,       "--zaken",
                              n,          "--page-size", "100",      "--base-url", base,
                              "--bsn",    BSN_A,         BSN_B,      NULL};
    if (!mzt_fixture_start(&g_fake_alt, &g_env, "fake_zgw", alt_args))
        return -1;
    snprintf(g_crs_kv, sizeof g_crs_kv, CRS_ENV "=" CRS);
    snprintf(g_crs_file, sizeof g_crs_file, "%s/content-crs", g_env.dir);
    FILE *f = fopen(g_crs_file, "w");
    if (!f)
        return -1;
    fputs(CRS "\n", f); /* a trailing newline, as editors leave it, is not part of the value */
    fclose(f);
    write_agencies();
    /* A JWT the fake accepts (iat = now, good for 300 s: the test is far
     * shorter). */
    mz_json_doc *d = control("GET", "/_control/token", NULL);
    const char *tok = mz_json_string(mz_json_get(mz_json_root(d), "token"), NULL);
    if (!tok)
        return -1;
    snprintf(g_token_kv, sizeof g_token_kv, TOKEN_ENV "=%s", tok);
    mz_json_free(d);
    char err[256];
    g_oas = oas_load_embedded(err, sizeof err);
    return g_oas ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mzt_server_stop(&g_fake);
    mzt_server_stop(&g_fake_alt);
    oas_free(g_oas);
    if (!mzt_env_teardown(&g_env))
        return -1; /* a plain BSN reached the database */
    return 0;
}

/* One sync run with the given token and Accept-Crs variables ("NAME=value"). */
static int sync_with(const char *agency, const char *token_kv, const char *crs_kv)
{
    char env_agencies[500];
    snprintf(env_agencies, sizeof env_agencies, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {env_agencies, token_kv, crs_kv, NULL};
    const char *args[] = {"sync", "--agency", agency, "--once", NULL};
    return mzt_run(&g_env, env, args);
}

static int sync_once(const char *agency)
{
    return sync_with(agency, g_token_kv, g_crs_kv);
}

static long stat_on(mzt_server *fake, const char *name)
{
    return mzt_fake_stat(fake, name);
}

static long stat_of(const char *name)
{
    return mzt_fake_stat(&g_fake, name);
}

static void mode(const char *json)
{
    assert_true(mzt_fake_mode(&g_fake, json));
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* A SQL string literal. */
static void sql_str(mz_buf *b, const char *s)
{
    mz_buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            mz_buf_putc(b, '\'');
        mz_buf_putc(b, *s);
    }
    mz_buf_putc(b, '\'');
}

static bool member_true(const mz_json *o, const char *name)
{
    const mz_json *v = mz_json_get(o, name);
    return v && v->type == MZ_JSON_BOOL && v->u.boolean;
}

static int64_t member_int(const mz_json *o, const char *name)
{
    int64_t v = -1;
    mz_json_int64(mz_json_get(o, name), &v);
    return v;
}

static const char *member_str(const mz_json *o, const char *name)
{
    const char *s = mz_json_string(mz_json_get(o, name), NULL);
    assert_non_null(s);
    return s;
}

/* Cases of agency `rj` that differ from what the fake has for them (or are
 * missing): status group via statusGroups (unmapped → in_progress), status
 * text (statustekst, falling back to the omschrijving), case number, closed
 * and result. */
static long mismatches_with_fake(void)
{
    mz_json_doc *d = control("GET", "/_control/zaken", NULL);
    const mz_json *res = mz_json_get(mz_json_root(d), "results");
    assert_non_null(res);
    mz_buf sql = MZ_BUF_INIT;
    mz_buf_puts(&sql, "SELECT count(*) FROM (VALUES ");
    size_t rows = 0;
    for (const mz_json *z = res->u.kids.first; z; z = z->next) {
        if (strcmp(member_str(z, "bsn"), BAD_BSN) == 0)
            continue;
        int64_t zt = member_int(z, "zaaktype"), ns = member_int(z, "statussen");
        assert_in_range(zt, 0, 2);
        assert_in_range(ns, 1, 4);
        const char *omschrijving = g_statustypen[zt][ns - 1].omschrijving;
        const char *group = g_statustypen[zt][ns - 1].group;
        const char *tekst = member_str(z, "statustekst");
        assert_non_null(omschrijving);
        mz_buf_puts(&sql, rows++ ? ",(" : "(");
        sql_str(&sql, member_str(z, "url"));
        mz_buf_putc(&sql, ',');
        sql_str(&sql, group ? group : "in_progress");
        mz_buf_putc(&sql, ',');
        sql_str(&sql, tekst[0] ? tekst : omschrijving);
        mz_buf_putc(&sql, ',');
        sql_str(&sql, member_str(z, "identificatie"));
        mz_buf_printf(&sql, ",%s,%s)", member_true(z, "eindstatus") ? "true" : "false",
                      member_true(z, "resultaat") ? "true" : "false");
    }
    mz_buf_puts(&sql,
                ") v(url, grp, txt, num, eind, res) "
                "LEFT JOIN cases c ON c.agency_id = 'rj' AND c.external_id = v.url "
                "WHERE c.id IS NULL OR c.status_group::text <> v.grp OR "
                "c.status_text <> v.txt OR c.case_number <> v.num OR "
                "(c.closed_on IS NOT NULL) <> v.eind OR (c.result_text IS NOT NULL) <> v.res");
    mz_json_free(d);
    assert_true(rows >= ZAKEN);
    long n = q(sql.data);
    mz_buf_free(&sql);
    return n;
}

static char *snapshot(const char *agency)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT count(*) || ':' || md5(string_agg(external_id || status_group || "
             "status_text || status_changed_at::text || coalesce(result_text, ''), ',' "
             "ORDER BY external_id)) FROM cases WHERE agency_id = '%s'",
             agency);
    char *s = mzt_query_text(&g_env, sql);
    assert_non_null(s);
    return s;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_full_sync(void **state)
{
    (void)state;
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    assert_int_equal(sync_once("rj"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), ZAKEN);
    assert_int_equal(q("SELECT count(DISTINCT subject_key) FROM cases WHERE agency_id = 'rj'"), 2);
    assert_int_equal(stat_of("list"), 3); /* 250 zaken at 100 per page: next followed twice */
    assert_int_equal(stat_of("authFailures"), 0); /* the bearer token was sent and valid */
    assert_int_equal(stat_of("bsnInQuery"), 0);
    assert_int_equal(q("SELECT runs FROM sync_state WHERE agency_id = 'rj'"), 1);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj'"), ZAKEN);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj'"), 0);
    /* every mapped field present and well-formed */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj' AND NOT ("
                       "case_number ~ '^ZAAK-2026-[0-9]{6}$' AND status_text <> '' AND "
                       "title <> '' AND title <> 'Zaak' AND registered_on IS NOT NULL AND "
                       "planned_end_on IS NOT NULL AND legal_deadline_on IS NOT NULL AND "
                       "registered_on <= planned_end_on AND "
                       "case_type_code IN ('PARKEERVERGUNNING', 'MELDING-OPENBARE-RUIMTE', "
                       "'BIJSTANDSUITKERING') AND case_type_label <> '' AND "
                       "source_url = external_id AND external_id LIKE 'http://127.0.0.1:%/"
                       "zaken/api/v1/zaken/%' AND last_source = 'poll' AND "
                       "source_updated_at = status_changed_at)"),
                     0);
    /* status group, text, number, closed, result: case by case against the fake */
    assert_int_equal(mismatches_with_fake(), 0);
    /* both mapped groups and unmapped values (→ in_progress, own text) occur */
    static const char *const groups[] = {"received", "action_required", "decided", "closed",
                                         "in_progress"};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM cases WHERE agency_id = 'rj' AND status_group = '%s'",
                 groups[i]);
        if (q(sql) <= 0)
            fail_msg("no rj case in group %s", groups[i]);
    }
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj' AND "
                       "status_group = 'in_progress' AND status_text NOT IN "
                       "('In behandeling', 'Doorgestuurd naar uitvoering')"),
                     0);
    /* the timeline mapping: the rol as an event, "initiator" mapped to received */
    assert_int_equal(q("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                       "WHERE c.agency_id = 'rj' AND e.status_text = 'Initiator van de zaak' "
                       "AND e.status_group = 'received'"),
                     ZAKEN);
    /* the case's current status is in its timeline */
    assert_int_equal(q("SELECT count(*) FROM cases c WHERE agency_id = 'rj' AND NOT EXISTS "
                       "(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND "
                       "e.occurred_at = c.status_changed_at AND e.status_group = c.status_group)"),
                     0);
}

static void test_resync_idempotent(void **state)
{
    (void)state;
    long events = q("SELECT count(*) FROM case_events");
    char *before = snapshot("rj");
    assert_int_equal(sync_once("rj"), 0);
    char *after = snapshot("rj");
    assert_string_equal(before, after);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), ZAKEN);
    assert_int_equal(q("SELECT count(*) FROM case_events"), events);
    assert_int_equal(q("SELECT runs FROM sync_state WHERE agency_id = 'rj'"), 2);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj'"), ZAKEN);
    free(before);
    free(after);
}

static char *add_zaak(const char *body)
{
    mz_json_doc *z = control("POST", "/_control/add", body);
    char *url = strdup(member_str(mz_json_root(z), "url"));
    mz_json_free(z);
    return url;
}

static long cases_with_url(const char *agency, const char *url)
{
    char sql[800];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases WHERE agency_id = '%s' AND external_id = '%s'", agency,
             url);
    return q(sql);
}

static void test_missing_required_field_skipped(void **state)
{
    (void)state;
    /* Two zaken of a citizen whose BSN fails the 11-proof (one of them
     * closed, so it also has the einddatum rj-partial needs), and a valid
     * closed one whose omschrijving is a group name. */
    char *bad1 = add_zaak("{\"bsn\":\"" BAD_BSN "\"}");
    char *bad2 = add_zaak("{\"bsn\":\"" BAD_BSN "\",\"zaaktype\":1,\"statussen\":3}");
    char *good = add_zaak("{\"bsn\":\"" BSN_B "\",\"zaaktype\":1,\"statussen\":3,"
                          "\"omschrijving\":\"withdrawn\",\"resultaattype\":0}");
    assert_int_equal(sync_once("rj"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), ZAKEN + 1);
    assert_int_equal(cases_with_url("rj", bad1), 0);
    assert_int_equal(cases_with_url("rj", bad2), 0);
    assert_int_equal(cases_with_url("rj", good), 1);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj'"), ZAKEN + 1);
    assert_int_equal(mismatches_with_fake(), 0);

    /* A pointer that resolves for some items only (einddatum: null until a
     * zaak is closed): those are stored, the rest skipped. */
    mz_json_doc *d = control("GET", "/_control/zaken", NULL);
    long closed = 0, zone_a = 0;
    for (const mz_json *z = mz_json_get(mz_json_root(d), "results")->u.kids.first; z; z = z->next)
        if (member_true(z, "eindstatus") && strcmp(member_str(z, "bsn"), BAD_BSN) != 0)
            closed++;
    mz_json_free(d);
    assert_true(closed > 10 && closed < ZAKEN);
    assert_int_equal(sync_once("rj-partial"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial'"), closed);
    assert_int_equal(q("SELECT last_seen FROM sync_state WHERE agency_id = 'rj-partial'"), closed);
    assert_int_equal(cases_with_url("rj-partial", bad2), 0);
    assert_int_equal(cases_with_url("rj-partial", good), 1);
    /* the same set as the closed cases of rj */
    assert_int_equal(q("SELECT count(*) FROM cases p WHERE agency_id = 'rj-partial' AND NOT EXISTS "
                       "(SELECT 1 FROM cases c WHERE c.agency_id = 'rj' AND "
                       "c.external_id = p.external_id AND c.closed_on IS NOT NULL)"),
                     0);
    /* statusGroups mapping, a value that is a group name, and the rest */
    zone_a = q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
               "status_text = 'Bewonersvergunning zone A'");
    assert_true(zone_a > 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
                       "status_group = 'decided'"),
                     zone_a);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
                       "status_group = 'withdrawn' AND status_text = 'withdrawn'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-partial' AND "
                       "status_group = 'in_progress'"),
                     closed - zone_a - 1);
    free(bad1);
    free(bad2);
    free(good);
}

static void test_next_outside_base_refused(void **state)
{
    (void)state;
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    mz_json_free(control_of(&g_fake_alt, "POST", "/_control/stats/reset", "{}"));
    assert_int_not_equal(sync_once("rj-alt"), 0);
    assert_int_equal(stat_on(&g_fake_alt, "list"), 1); /* the first page, from its baseUrl */
    assert_int_equal(stat_of("requests"), 0);          /* page 2, elsewhere, never requested */
    assert_int_equal(q("SELECT count(*) FROM sync_state WHERE agency_id = 'rj-alt' AND "
                       "last_error LIKE '%not under an allowed base%'"),
                     1);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj-alt'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM sync_state WHERE agency_id = 'rj-alt' AND "
                       "last_success_at IS NULL"),
                     1);
    /* what the first page brought is kept; nothing beyond it */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-alt'"), 100);
    char *max = mzt_query_text(&g_env, "SELECT max(case_number) FROM cases WHERE agency_id = "
                                       "'rj-alt'");
    assert_non_null(max);
    assert_string_equal(max, "ZAAK-2026-000100");
    free(max);
}

static void test_faults_keep_data(void **state)
{
    (void)state;
    static const struct {
        const char *mode;
        const char *token_kv; /* NULL: the valid one */
        const char *crs_kv;   /* NULL: the valid one */
        const char *error;    /* part of sync_state.last_error */
    } faults[] = {
        {"{\"mode\":\"error500\"}", NULL, NULL, "HTTP 500"},
        {"{\"mode\":\"error500\",\"status\":503}", NULL, NULL, "HTTP 503"},
        {"{\"mode\":\"garbage\"}", NULL, NULL, "invalid JSON"},
        {"{\"mode\":\"oversized\"}", NULL, NULL, ""},
        {"{\"mode\":\"reset\"}", NULL, NULL, ""},
        {"{\"mode\":\"error500\",\"times\":1,\"status\":502}", NULL, NULL, ""},
        {"{\"mode\":\"ok\"}", TOKEN_ENV "=not-a-jwt", NULL, "credentials (HTTP 403)"},
        {"{\"mode\":\"ok\"}", TOKEN_ENV "=", NULL, ""},
        /* the header value from valueEnv is what the agency gets: another
         * CRS is refused by the fake (406) */
        {"{\"mode\":\"ok\"}", NULL, CRS_ENV "=EPSG:28992", "HTTP 406"},
        /* an unset header variable, like an unset token, stops the load */
        {"{\"mode\":\"ok\"}", NULL, CRS_ENV "=", ""},
    };
    char *before = snapshot("rj");
    long events = q("SELECT count(*) FROM case_events");
    long runs = q("SELECT runs FROM sync_state WHERE agency_id = 'rj'");
    long failures = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        mode(faults[i].mode);
        int rc = sync_with("rj", faults[i].token_kv ? faults[i].token_kv : g_token_kv,
                           faults[i].crs_kv ? faults[i].crs_kv : g_crs_kv);
        mode("{\"mode\":\"ok\"}");
        if (i == 5) {
            /* one 502, then fine: retried within the run, which succeeds */
            assert_int_equal(rc, 0);
            assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE "
                               "agency_id = 'rj'"),
                             0);
            failures = 0;
            continue;
        }
        if (i == 7 || i == 9) {
            /* an empty token or header variable: the agencies file is
             * refused before any run starts (nothing recorded) */
            assert_int_not_equal(rc, 0);
            assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE "
                               "agency_id = 'rj'"),
                             failures);
            continue;
        }
        if (rc == 0)
            fail_msg("sync succeeded under fault %s", faults[i].mode);
        failures++;
        assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj'"),
                         failures);
        char sql[400];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sync_state WHERE agency_id = 'rj' AND last_error <> '' "
                 "AND strpos(last_error, '%s') > 0",
                 faults[i].error);
        if (q(sql) != 1) {
            char *e =
                mzt_query_text(&g_env, "SELECT last_error FROM sync_state WHERE agency_id = 'rj'");
            fail_msg("fault %s: last_error %s", faults[i].mode, e ? e : "(null)");
        }
        /* stored data untouched */
        char *now = snapshot("rj");
        assert_string_equal(before, now);
        free(now);
        assert_int_equal(q("SELECT count(*) FROM case_events"), events);
    }
    assert_true(q("SELECT runs FROM sync_state WHERE agency_id = 'rj'") > runs);
    /* recovery resets the failure count */
    assert_int_equal(sync_once("rj"), 0);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj'"), 0);
    assert_int_equal(q("SELECT count(*) FROM sync_state WHERE agency_id = 'rj' AND "
                       "last_error IS NULL"),
                     1);
    char *after = snapshot("rj");
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static const char *freshness_of(const mz_json *root, const char *agency)
{
    for (const mz_json *s = mz_json_get(root, "sources")->u.kids.first; s; s = s->next)
        if (strcmp(mz_json_string(mz_json_get(mz_json_get(s, "agency"), "id"), NULL), agency) == 0)
            return mz_json_string(mz_json_get(s, "freshness"), NULL);
    return NULL;
}

static mz_json_doc *get_cases(mzt_server *s, const char *token, char **body)
{
    mzt_resp r;
    assert_true(mzt_http(s, "GET", "/api/v1/me/cases", token, NULL, NULL, &r));
    assert_int_equal(r.status, 200);
    char ct[64] = "", err[512];
    mzt_header(&r, "content-type", ct, sizeof ct);
    if (!oas_check(g_oas, "GET", "/api/v1/me/cases", 200, ct, r.body, r.body_len, err, sizeof err))
        fail_msg("contract: %s", err);
    mz_json_limits lim = {.max_depth = 64, .max_nodes = 1000000};
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, &lim, err, sizeof err);
    assert_non_null(d);
    *body = r.body;
    r.body = NULL;
    mzt_resp_free(&r);
    return d;
}

static void test_fresh_on_read_search(void **state)
{
    (void)state;
    /* A zaak the scheduled sync has not seen: only the search can bring it. */
    char *fresh = add_zaak("{\"bsn\":\"" BSN_B "\",\"omschrijving\":\"Vers via zoeken\"}");
    char *other = add_zaak("{\"bsn\":\"" BSN_A "\",\"omschrijving\":\"Niet van B\"}");
    assert_int_equal(cases_with_url("rj", fresh), 0);
    long stored = q("SELECT count(*) FROM cases WHERE agency_id = 'rj'");
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {
        kv, g_token_kv, g_crs_kv, "MZ_REFRESH_AFTER=0", "MZ_REFRESH_DEADLINE_MS=4000", NULL};
    /* rj-loose is only read through its search here, not synced (nor is
     * rj-nobsn, whose first sync is a test of its own) */
    assert_true(mzt_sql(&g_env, "UPDATE sync_state SET next_run_at = now() + interval '1 day' "
                                "WHERE agency_id IN ('rj-loose', 'rj-nobsn')"));
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_citizen_token(&g_env, BSN_B);
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    char *body;
    mz_json_doc *d = get_cases(&s, tok, &body);
    const char *fr = freshness_of(mz_json_root(d), "rj");
    assert_non_null(fr);
    assert_string_equal(fr, "fresh");
    assert_non_null(strstr(body, "Vers via zoeken"));
    assert_null(strstr(body, "Niet van B"));
    mz_json_free(d);
    free(body);
    assert_true(stat_of("zoek") >= 1); /* POST searchPath, the BSN in the body */
    assert_int_equal(stat_of("list"), 0);
    assert_int_equal(stat_of("bsnInQuery"), 0);
    assert_int_equal(stat_of("authFailures"), 0);
    assert_int_equal(cases_with_url("rj", fresh), 1);
    assert_int_equal(cases_with_url("rj", other), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj'"), stored + 1);
    assert_int_equal(q("SELECT count(DISTINCT subject_key) FROM cases WHERE agency_id = 'rj'"), 2);
    /* the searched zaak went to the citizen's own pseudonym */
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM cases f JOIN cases g ON g.subject_key = f.subject_key "
             "WHERE f.agency_id = 'rj' AND f.external_id = '%s' AND g.agency_id = 'rj' AND "
             "g.title = 'withdrawn'",
             fresh);
    assert_int_equal(q(sql), 1);

    /* rj-loose answered the search with everyone's zaken: none of another
     * citizen's was put under this citizen (each zaak's key as in rj). */
    assert_true(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-loose'") > 0);
    assert_int_equal(q("SELECT count(*) FROM cases l JOIN cases r ON r.external_id = "
                       "l.external_id AND r.agency_id = 'rj' WHERE l.agency_id = 'rj-loose' "
                       "AND l.subject_key <> r.subject_key"),
                     0);

    /* The agency fails: the stored cases are still served, marked unavailable. */
    mode("{\"mode\":\"error500\"}");
    d = get_cases(&s, tok, &body);
    mode("{\"mode\":\"ok\"}");
    fr = freshness_of(mz_json_root(d), "rj");
    assert_non_null(fr);
    assert_string_equal(fr, "unavailable");
    assert_non_null(strstr(body, "Vers via zoeken"));
    mz_json_free(d);
    free(body);
    free(tok);
    free(fresh);
    free(other);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* Items without a subject: the listing skips them all (no_subject) and
 * succeeds; the search (which the agency ignores, answering every zaak)
 * credits none of them to the searching citizen. */
static void test_items_without_bsn_credit_nobody(void **state)
{
    (void)state;
    assert_int_equal(sync_once("rj-nobsn"), 0);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-nobsn'"), 0);
    assert_true(q("SELECT (last_skip_reasons->>'no_subject')::int FROM sync_state WHERE "
                  "agency_id = 'rj-nobsn'") >= ZAKEN);
    assert_int_equal(q("SELECT consecutive_failures FROM sync_state WHERE agency_id = 'rj-nobsn'"),
                     0);
    long skipped = q("SELECT total FROM sync_skips WHERE agency_id = 'rj-nobsn' AND "
                     "reason = 'no_subject'");
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {
        kv, g_token_kv, g_crs_kv, "MZ_REFRESH_AFTER=0", "MZ_REFRESH_DEADLINE_MS=4000", NULL};
    assert_true(mzt_sql(&g_env, "UPDATE sync_state SET next_run_at = now() + interval '1 day'"));
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_citizen_token(&g_env, BSN_B);
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    char *body;
    mz_json_doc *d = get_cases(&s, tok, &body);
    const char *fr = freshness_of(mz_json_root(d), "rj-nobsn");
    assert_non_null(fr);
    assert_string_equal(fr, "fresh"); /* the search ran and succeeded */
    mz_json_free(d);
    free(body);
    assert_true(stat_of("zoek") >= 1);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-nobsn'"), 0);
    assert_true(q("SELECT total FROM sync_skips WHERE agency_id = 'rj-nobsn' AND "
                  "reason = 'no_subject'") >= skipped + ZAKEN);
    free(tok);
    assert_int_equal(mzt_server_stop(&s), 0);
}

/* ------------------------------------------------------------------ */
/* Businesses                                                          */

/* The pseudonym of a subject as the service computes it, in hex. */
static void subject_key_hex(mz_subject_kind kind, const char *id, char out[65])
{
    mz_db *db = mzt_store_open(&g_env); /* loads the env's pseudonym key */
    assert_non_null(db);
    mz_db_close(db);
    mz_subject who = {.kind = kind};
    snprintf(who.id, sizeof who.id, "%s", id);
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym_subject(&who, key);
    for (size_t i = 0; i < MZ_PSEUDONYM_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", key[i]);
}

/* 1 when the zaak is stored at rj-biz under that business, 0 under
 * another subject, -1 not stored. */
static long stored_for_business(const char *url, const char *kvk)
{
    char hex[65], sql[1000];
    subject_key_hex(MZ_SUBJECT_KVK, kvk, hex);
    snprintf(sql, sizeof sql,
             "SELECT (subject_kind = 'kvk' AND subject_key = '\\x%s'::bytea)::int FROM cases "
             "WHERE agency_id = 'rj-biz' AND external_id = '%s'",
             hex, url);
    return q(sql);
}

/* An item names a business through fields.kvk (here the first rol's
 * innNnpId): the listing stores it under the kvk pseudonym, an item naming
 * no one (a vestiging rol: neither inpBsn nor innNnpId) is skipped; a kvk
 * token's fresh-on-read searches with searchKvkField in the body, and when
 * the agency ignores it, no other business's zaak is credited. */
static void test_business_items(void **state)
{
    (void)state;
    char biz_file[400];
    snprintf(biz_file, sizeof biz_file, "%s/agencies-biz.json", g_env.dir);
    FILE *f = fopen(biz_file, "w");
    assert_non_null(f);
    fprintf(f, "{\"agencies\":[\n");
    put_agency(f, "rj-biz", g_fake.port, CRS_PLAIN,
               FIELDS_COMMON "\"kvk\":\"/_expand/rollen/0/betrokkeneIdentificatie/innNnpId\","
                             "\"title\":\"/omschrijving\","
                             "\"status\":\"/_expand/status/_expand/statustype/omschrijving\","
                             "\"statusChangedAt\":\"/_expand/status/datumStatusGezet\"",
               ",\"searchPath\":\"/zaken/_zoek?expand=" EXPAND "\","
               "\"searchBsnField\":\"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn\","
               "\"searchKvkField\":\"rol__betrokkeneIdentificatie__nietNatuurlijkPersoon__"
               "innNnpId\"",
               "", true);
    fprintf(f, "]}\n");
    fclose(f);
    char *mine = add_zaak("{\"innNnpId\":\"" KVK_A "\",\"omschrijving\":\"Bedrijfszaak rj\"}");
    char *nobody =
        add_zaak("{\"kvkNummer\":\"" KVK_A "\",\"omschrijving\":\"Alleen een vestiging rj\"}");
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", biz_file);
    const char *senv[] = {kv, g_token_kv, g_crs_kv, NULL};
    const char *args[] = {"sync", "--agency", "rj-biz", "--once", NULL};
    assert_int_equal(mzt_run(&g_env, senv, args), 0);
    assert_int_equal(stored_for_business(mine, KVK_A), 1);
    assert_int_equal(cases_with_url("rj-biz", nobody), 0);
    assert_true(q("SELECT (last_skip_reasons->>'no_subject')::int FROM sync_state WHERE "
                  "agency_id = 'rj-biz'") >= 1);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-biz' AND "
                       "subject_kind = 'kvk'"),
                     1);
    assert_true(q("SELECT count(*) FROM cases WHERE agency_id = 'rj-biz' AND "
                  "subject_kind = 'bsn'") >= ZAKEN);

    /* Fresh on read, the agency ignoring the search field: A's new zaak
     * arrives, B's is in the answer but credited to no one. */
    char *later = add_zaak("{\"innNnpId\":\"" KVK_A "\",\"omschrijving\":\"Later bedrijf rj\"}");
    char *theirs = add_zaak("{\"innNnpId\":\"" KVK_B "\",\"omschrijving\":\"Ander bedrijf rj\"}");
    assert_true(mzt_sql(&g_env, "UPDATE sync_state SET next_run_at = now() + interval '1 day'"));
    mz_json_free(control("POST", "/_control/quirks", "{\"ignoreBsnFilter\":true}"));
    long not_subject = q("SELECT coalesce(sum(total), 0) FROM sync_skips WHERE agency_id = "
                         "'rj-biz' AND reason = 'not_subject'");
    const char *env[] = {
        kv, g_token_kv, g_crs_kv, "MZ_REFRESH_AFTER=0", "MZ_REFRESH_DEADLINE_MS=4000", NULL};
    mzt_server s;
    assert_true(mzt_server_start(&s, &g_env, env));
    char *tok = mzt_token_with(&g_env, "\"kvk\":\"" KVK_A "\"");
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    char *body;
    mz_json_doc *d = get_cases(&s, tok, &body);
    mz_json_free(control("POST", "/_control/quirks", "{\"ignoreBsnFilter\":false}"));
    const char *fr = freshness_of(mz_json_root(d), "rj-biz");
    assert_non_null(fr);
    assert_string_equal(fr, "fresh");
    assert_true(stat_of("zoek") >= 1);
    assert_non_null(strstr(body, "Bedrijfszaak rj"));
    assert_non_null(strstr(body, "Later bedrijf rj"));
    assert_null(strstr(body, "Ander bedrijf rj"));
    assert_null(strstr(body, "Alleen een vestiging rj"));
    mz_json_free(d);
    free(body);
    assert_int_equal(stored_for_business(later, KVK_A), 1);
    assert_int_equal(cases_with_url("rj-biz", theirs), 0);
    assert_true(q("SELECT coalesce(sum(total), 0) FROM sync_skips WHERE agency_id = 'rj-biz' "
                  "AND reason = 'not_subject'") >= not_subject + ZAKEN);
    free(tok);
    assert_int_equal(mzt_server_stop(&s), 0);
    free(mine);
    free(nobody);
    free(later);
    free(theirs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_sync),
        cmocka_unit_test(test_resync_idempotent),
        cmocka_unit_test(test_missing_required_field_skipped),
        cmocka_unit_test(test_next_outside_base_refused),
        cmocka_unit_test(test_faults_keep_data),
        cmocka_unit_test(test_fresh_on_read_search),
        cmocka_unit_test(test_items_without_bsn_credit_nobody),
        cmocka_unit_test(test_business_items),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
