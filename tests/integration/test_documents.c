/*
 * test_documents.c — documents and decisions of a case (issue 16), against
 * the fake_zgw fixture's Documenten, Besluiten and zaakinformatieobjecten
 * endpoints:
 *
 *   - a sync stores only the documents a citizen may see (openbaar unless
 *     the agency's documentConfidentiality says more, definitief or
 *     gearchiveerd), one metadata GET per document, several in flight at
 *     once, never with `expand`; a confidential one is never stored, never
 *     listed, never served; ids are ours and stay the same across syncs;
 *   - the case detail carries the decisions with their linked (listed)
 *     documents; professionals see the list (purpose logged), no content;
 *   - the download streams the content with the proven type, attachment
 *     and no-store, after the processing-log record; each bad input gives
 *     a clear answer: another citizen's case or another case's document
 *     (404), a content type that lies (502), a redirect to another host
 *     (502, not followed), an announced size over the cap (502), an agency
 *     that stops mid-stream or passes the cap mid-stream or the deadline
 *     (a failed download: the connection closes early, never a short
 *     complete-looking body), a reset (502);
 *   - purge removes a purged case's documents and decisions with it.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "mzt.h"

#define SECRET "fake-zgw-test-secret"
#define BSN_A  "111222333"
#define BSN_B  "123456782"
#define CAP    (1024 * 1024)

static mzt_env g_env;
static mzt_server g_fake, g_srv;
static char g_agencies[400];
static const char *const g_secret_env[] = {"MZ_TEST_ZGW_SECRET=" SECRET, NULL};

/* The zaak under test, its documents at the fake, our ids. */
static char *g_zaak_ident, *g_zaak_url, *g_case, *g_other_ident, *g_other_case;
static char g_doc[8][40];

static mz_json_doc *control(const char *method, const char *path, const char *body)
{
    mz_json_doc *d = mzt_fake_control(&g_fake, method, path, body);
    assert_non_null(d);
    return d;
}

static long q(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

static void add_zaak(const char *body, char **url, char **ident)
{
    mz_json_doc *z = control("POST", "/_control/add", body);
    *url = strdup(mz_json_string(mz_json_get(mz_json_root(z), "url"), NULL));
    *ident = strdup(mz_json_string(mz_json_get(mz_json_root(z), "identificatie"), NULL));
    mz_json_free(z);
}

/* Adds a document to the zaak `ident` (extra: more members, or ""); its
 * uuid at the fake into out. */
static void add_doc(const char *ident, const char *titel, const char *extra, char out[40])
{
    char body[600];
    snprintf(body, sizeof body, "{\"identificatie\":\"%s\",\"titel\":\"%s\"%s%s}", ident, titel,
             *extra ? "," : "", extra);
    mz_json_doc *d = control("POST", "/_control/documents", body);
    snprintf(out, 40, "%s", mz_json_string(mz_json_get(mz_json_root(d), "uuid"), NULL));
    mz_json_free(d);
}

static int sync_once(const char *agency)
{
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {kv, g_secret_env[0], NULL};
    const char *args[] = {"sync", "--agency", agency, "--once", NULL};
    return mzt_run(&g_env, env, args);
}

static char *case_id_of(const char *agency, const char *url)
{
    char sql[800];
    snprintf(sql, sizeof sql, "SELECT id FROM cases WHERE agency_id = '%s' AND external_id = '%s'",
             agency, url);
    return mzt_query_text(&g_env, sql);
}

/* Our id of the document the fake knows as uuid (in agency's case), or NULL. */
static char *our_doc_id(const char *uuid)
{
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT d.id FROM case_documents d JOIN cases c ON c.id = d.case_id "
             "WHERE c.agency_id = 'gem' AND d.source_url LIKE '%%/%s'",
             uuid);
    return mzt_query_text(&g_env, sql);
}

static mz_json_doc *get_json(const char *path, const char *token, long want)
{
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", path, token, NULL, NULL, &r));
    if (r.status != want)
        fail_msg("GET %s: %ld (want %ld): %.*s", path, r.status, want, (int)r.body_len, r.body);
    char err[200];
    mz_json_doc *d = mz_json_parse(r.body, r.body_len, NULL, err, sizeof err);
    mzt_resp_free(&r);
    assert_non_null(d);
    return d;
}

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "documents"))
        return -1;
    const char *args[] = {"--listen", "127.0.0.1:0", "--secret", SECRET, "--zaken", "0", NULL};
    if (!mzt_fixture_start(&g_fake, &g_env, "fake_zgw", args))
        return -1;
    char a[2][1400], extra[2][700];
    unsigned p = g_fake.port;
    snprintf(extra[0], sizeof extra[0],
             "\"timeoutMs\":2000,\"concurrency\":4,"
             "\"documentenUrl\":\"http://127.0.0.1:%u/documenten/api/v1\","
             "\"besluitenUrl\":\"http://127.0.0.1:%u/besluiten/api/v1\"",
             p, p);
    snprintf(extra[1], sizeof extra[1],
             "\"timeoutMs\":2000,\"concurrency\":1,"
             "\"documentenUrl\":\"http://127.0.0.1:%u/documenten/api/v1\","
             "\"documentConfidentiality\":[\"openbaar\",\"beperkt_openbaar\"]",
             p);
    snprintf(g_agencies, sizeof g_agencies, "%s/agencies.json", g_env.dir);
    FILE *f = fopen(g_agencies, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"agencies\":[\n%s,\n%s\n]}\n",
            mzt_zgw_agency_json(a[0], sizeof a[0], "gem", "Gemeente Documenten", p, extra[0], NULL),
            mzt_zgw_agency_json(a[1], sizeof a[1], "gem-ruim", "Gemeente Beperkt Openbaar", p,
                                extra[1], NULL));
    fclose(f);
    /* The zaak: closed with a resultaat (a decided case) for citizen A. */
    add_zaak("{\"bsn\":\"" BSN_A "\",\"zaaktype\":0,\"statussen\":4,\"resultaattype\":0,"
             "\"omschrijving\":\"Aanvraag parkeervergunning\"}",
             &g_zaak_url, &g_zaak_ident);
    char *other_url;
    add_zaak("{\"bsn\":\"" BSN_A "\",\"zaaktype\":1,\"statussen\":1}", &other_url, &g_other_ident);
    const char *slow = "\"metaDelayMs\":300";
    add_doc(g_zaak_ident, "Besluit parkeervergunning",
            "\"metaDelayMs\":300,\"bestandsnaam\":\"../Besluit \\\"parkeer\\\"<x>.pdf\"", g_doc[0]);
    add_doc(g_zaak_ident, "Plattegrond",
            "\"metaDelayMs\":300,\"status\":\"gearchiveerd\",\"content\":\"png\","
            "\"formaat\":\"image/png\",\"bestandsnaam\":\"plattegrond.png\"",
            g_doc[1]);
    add_doc(g_zaak_ident, "Vertrouwelijk advies",
            "\"metaDelayMs\":300,\"vertrouwelijkheidaanduiding\":\"vertrouwelijk\"", g_doc[2]);
    add_doc(g_zaak_ident, "Concept besluit", "\"metaDelayMs\":300,\"status\":\"concept\"",
            g_doc[3]);
    add_doc(g_zaak_ident, "Intern memo",
            "\"metaDelayMs\":300,\"vertrouwelijkheidaanduiding\":\"beperkt_openbaar\"", g_doc[4]);
    add_doc(g_zaak_ident, "Aanvraagformulier", slow, g_doc[5]);
    /* the faulty ones: listed (openbaar, definitief), each failing its own way */
    add_doc(g_zaak_ident, "Liegt over type", "\"content\":\"exe\"", g_doc[6]);
    add_doc(g_other_ident, "Ander document", "", g_doc[7]);
    char body[400];
    snprintf(body, sizeof body,
             "{\"identificatie\":\"%s\",\"datumDaysAgo\":2,\"ingangsdatumDaysAgo\":1,"
             "\"vervaldatumDaysAhead\":365,\"toelichting\":\"De vergunning is verleend.\","
             "\"documenten\":[\"%s\",\"%s\"]}",
             g_zaak_ident, g_doc[0], g_doc[2]);
    mz_json_free(control("POST", "/_control/besluiten", body));
    mz_json_free(control("POST", "/_control/stats/reset", "{}"));
    if (sync_once("gem") != 0 || sync_once("gem-ruim") != 0)
        return -1;
    g_case = case_id_of("gem", g_zaak_url);
    g_other_case = case_id_of("gem", other_url);
    free(other_url);
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {kv,
                         g_secret_env[0],
                         "MZ_DOCUMENT_MAX_BYTES=1048576",
                         "MZ_DOCUMENT_DEADLINE_SECONDS=3",
                         "MZ_REFRESH_AFTER=86400",
                         NULL};
    if (!g_case || !g_other_case || !mzt_server_start(&g_srv, &g_env, env))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = mzt_server_stop(&g_srv);
    mzt_server_stop(&g_fake);
    free(g_zaak_ident);
    free(g_zaak_url);
    free(g_case);
    free(g_other_ident);
    free(g_other_case);
    if (!mzt_env_teardown(&g_env) || rc != 0)
        return -1;
    return 0;
}

/* The sync: what is stored, how it was fetched. */
static void test_sync_stores_only_visible(void **state)
{
    (void)state;
    /* 7 + 1 documents, each read once by each agency (gem, gem-ruim), never expanded */
    assert_int_equal(mzt_fake_stat(&g_fake, "docReads"), 16);
    assert_int_equal(mzt_fake_stat(&g_fake, "docExpand"), 0);
    /* gem's concurrency 4: the slowed-down reads overlapped */
    assert_true(mzt_fake_stat(&g_fake, "docReadsConcurrentMax") >= 2);
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_documents WHERE case_id = '%s'", g_case);
    assert_int_equal(q(sql), 4); /* besluit, plattegrond, aanvraagformulier, the lying one */
    char *id = our_doc_id(g_doc[2]);
    assert_null(id); /* the confidential one: never stored */
    assert_null(our_doc_id(g_doc[3]));
    assert_null(our_doc_id(g_doc[4])); /* beperkt_openbaar: not for gem */
    /* gem-ruim shows beperkt_openbaar too */
    assert_int_equal(q("SELECT count(*) FROM case_documents d JOIN cases c ON c.id = d.case_id "
                       "WHERE c.agency_id = 'gem-ruim' AND d.title = 'Intern memo'"),
                     1);
    assert_int_equal(q("SELECT count(*) FROM case_documents WHERE title = 'Vertrouwelijk advies' "
                       "OR title = 'Concept besluit'"),
                     0);
    /* a resync keeps our ids */
    char *before = our_doc_id(g_doc[0]);
    assert_non_null(before);
    assert_int_equal(sync_once("gem"), 0);
    char *after = our_doc_id(g_doc[0]);
    assert_non_null(after);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* A zaak of an internal zaaktype (indicatieInternOfExtern: intern) shows no
 * documents and no decisions, even public final ones. */
static void test_internal_zaaktype_lists_nothing(void **state)
{
    (void)state;
    char *url, *ident, uuid[40];
    add_zaak("{\"bsn\":\"" BSN_A "\",\"zaaktype\":2,\"statussen\":1}", &url, &ident);
    add_doc(ident, "Intern dossierstuk", "", uuid);
    char body[300];
    snprintf(
        body, sizeof body,
        "{\"identificatie\":\"%s\",\"toelichting\":\"Intern besluit\",\"documenten\":[\"%s\"]}",
        ident, uuid);
    mz_json_free(control("POST", "/_control/besluiten", body));
    mz_json_free(control("POST", "/_control/quirks", "{\"internZaaktype\":2}"));
    int rc = sync_once("gem"); /* a new process: no cached zaaktype */
    mz_json_free(control("POST", "/_control/quirks", "{\"internZaaktype\":-1}"));
    assert_int_equal(rc, 0);
    char *id = case_id_of("gem", url);
    assert_non_null(id); /* the case itself is listed */
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM case_documents WHERE case_id = '%s') + "
             "(SELECT count(*) FROM case_decisions WHERE case_id = '%s')",
             id, id);
    assert_int_equal(q(sql), 0);
    assert_null(our_doc_id(uuid));
    free(id);
    free(url);
    free(ident);
}

static void test_list_and_decisions(void **state)
{
    (void)state;
    char *tok = mzt_citizen_token(&g_env, BSN_A), *other = mzt_citizen_token(&g_env, BSN_B);
    char path[300];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s/documents", g_case);
    mz_json_doc *d = get_json(path, tok, 200);
    const mz_json *items = mz_json_get(mz_json_root(d), "items");
    assert_int_equal(items->u.kids.count, 4);
    const mz_json *first = items->u.kids.first;
    assert_string_equal(mz_json_string(mz_json_get(first, "title"), NULL),
                        "Besluit parkeervergunning");
    assert_string_equal(mz_json_string(mz_json_get(first, "format"), NULL), "application/pdf");
    char *ours = our_doc_id(g_doc[0]);
    assert_string_equal(mz_json_string(mz_json_get(first, "id"), NULL), ours);
    for (const mz_json *it = items->u.kids.first; it; it = it->next) {
        const char *t = mz_json_string(mz_json_get(it, "title"), NULL);
        assert_true(strcmp(t, "Vertrouwelijk advies") && strcmp(t, "Concept besluit"));
        /* never the agency's id */
        for (int i = 0; i < 8; i++)
            assert_true(strcmp(mz_json_string(mz_json_get(it, "id"), NULL), g_doc[i]) != 0);
    }
    mz_json_free(d);
    /* another citizen: as if the case did not exist */
    mz_json_free(get_json(path, other, 404));

    /* the decision, its linked document that is listed (not the confidential one) */
    snprintf(path, sizeof path, "/api/v1/me/cases/%s", g_case);
    d = get_json(path, tok, 200);
    const mz_json *dec = mz_json_get(mz_json_root(d), "decisions");
    assert_int_equal(dec->u.kids.count, 1);
    const mz_json *b = dec->u.kids.first;
    assert_string_equal(mz_json_string(mz_json_get(b, "text"), NULL), "De vergunning is verleend.");
    assert_non_null(mz_json_string(mz_json_get(b, "date"), NULL));
    assert_non_null(mz_json_string(mz_json_get(b, "effectiveFrom"), NULL));
    assert_non_null(mz_json_string(mz_json_get(b, "effectiveUntil"), NULL));
    const mz_json *docs = mz_json_get(b, "documents");
    assert_int_equal(docs->u.kids.count, 1);
    assert_string_equal(mz_json_string(docs->u.kids.first, NULL), ours);
    mz_json_free(d);
    /* a case without decisions says so */
    snprintf(path, sizeof path, "/api/v1/me/cases/%s", g_other_case);
    d = get_json(path, tok, 200);
    assert_int_equal(mz_json_get(mz_json_root(d), "decisions")->u.kids.count, 0);
    mz_json_free(d);
    free(ours);
    free(tok);
    free(other);
}

static void test_professional_list_only(void **state)
{
    (void)state;
    char *prof = mzt_staff_token(&g_env, "[\"professional\"]");
    char path[300];
    snprintf(path, sizeof path, "/api/v1/cases/%s/documents?purpose=klantvraag", g_case);
    long before = q("SELECT count(*) FROM audit_log WHERE actor_kind = 'professional'");
    mz_json_doc *d = get_json(path, prof, 200);
    assert_int_equal(mz_json_get(mz_json_root(d), "items")->u.kids.count, 4);
    mz_json_free(d);
    assert_int_equal(q("SELECT count(*) FROM audit_log WHERE actor_kind = 'professional'"),
                     before + 1);
    snprintf(path, sizeof path, "/api/v1/cases/%s/documents", g_case);
    mz_json_free(get_json(path, prof, 400)); /* no purpose */
    /* no content for professionals: there is no such route */
    char *ours = our_doc_id(g_doc[0]);
    snprintf(path, sizeof path, "/api/v1/cases/%s/documents/%s/content?purpose=klantvraag", g_case,
             ours);
    mzt_resp r;
    /* outside the contract on purpose: a path the API does not have */
    assert_true(mzt_http_unchecked(&g_srv, "GET", path, prof, NULL, NULL, &r));
    assert_int_equal(r.status, 404);
    mzt_resp_free(&r);
    /* and a professional's token on the citizen's route is refused */
    snprintf(path, sizeof path, "/api/v1/me/cases/%s/documents/%s/content", g_case, ours);
    assert_true(mzt_http(&g_srv, "GET", path, prof, NULL, NULL, &r));
    assert_int_equal(r.status, 403);
    mzt_resp_free(&r);
    free(ours);
    free(prof);
}

/* A raw download, to see exactly how it ends. */
typedef struct raw {
    long status;
    CURLcode rc;
    size_t len;
    char head[16];
    char ctype[128], disp[300], cache[64];
} raw;

static size_t raw_write(char *p, size_t s, size_t n, void *ud)
{
    raw *r = ud;
    for (size_t i = 0; i < s * n && r->len + i < sizeof r->head; i++)
        r->head[r->len + i] = p[i];
    r->len += s * n;
    return s * n;
}

static size_t raw_header(char *p, size_t s, size_t n, void *ud)
{
    raw *r = ud;
    size_t len = s * n;
    struct {
        const char *name;
        char *out;
        size_t cap;
    } h[] = {{"content-type:", r->ctype, sizeof r->ctype},
             {"content-disposition:", r->disp, sizeof r->disp},
             {"cache-control:", r->cache, sizeof r->cache}};
    for (size_t i = 0; i < 3; i++) {
        size_t nl = strlen(h[i].name);
        if (len > nl && strncasecmp(p, h[i].name, nl) == 0) {
            size_t v = len - nl;
            const char *val = p + nl;
            while (v && (*val == ' ')) {
                val++;
                v--;
            }
            while (v && (val[v - 1] == '\r' || val[v - 1] == '\n'))
                v--;
            snprintf(h[i].out, h[i].cap, "%.*s", (int)v, val);
        }
    }
    return len;
}

static raw download(const char *case_id, const char *doc_id, const char *token)
{
    raw r;
    memset(&r, 0, sizeof r);
    char url[400], auth[2200];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/me/cases/%s/documents/%s/content",
             g_srv.port, case_id, doc_id);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, raw_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, raw_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 20L);
    r.rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return r;
}

/* A document added now to the test zaak and synced: our id (malloc'd). */
static char *listed_doc(const char *titel, const char *extra)
{
    char uuid[40];
    add_doc(g_zaak_ident, titel, extra, uuid);
    assert_int_equal(sync_once("gem"), 0);
    char *id = our_doc_id(uuid);
    assert_non_null(id);
    return id;
}

static void test_download(void **state)
{
    (void)state;
    char *tok = mzt_citizen_token(&g_env, BSN_A);
    char *id = our_doc_id(g_doc[0]);
    const char *sql = "SELECT count(*) FROM processing_log WHERE outcome = 'success'";
    long logged = q(sql);
    raw r = download(g_case, id, tok);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/pdf");
    assert_string_equal(r.cache, "no-store");
    /* the agency's "../Besluit "parkeer"<x>.pdf", made safe */
    assert_string_equal(r.disp, "attachment; filename=\"Besluit_parkeer_x.pdf\"");
    assert_memory_equal(r.head, "%PDF-", 5);
    char *size = mzt_query_text(&g_env, "SELECT size_bytes::text FROM case_documents WHERE title "
                                        "= 'Besluit parkeervergunning' LIMIT 1");
    assert_int_equal((long)r.len, atol(size));
    free(size);
    assert_int_equal(q(sql), logged + 1); /* the record, before the first byte */
    char *rec = mzt_query_text(
        &g_env, "SELECT json_build_object('activity_id', activity_id, 'activity_name', "
                "activity_name, 'organisation', organisation, 'subject_kind', subject_kind, "
                "'subject_key', left(encode(subject_key, 'hex'), 12) || '…', 'started_at', "
                "started_at, 'ended_at', ended_at, 'outcome', outcome, 'trace_id', trace_id)::text "
                "FROM processing_log ORDER BY id DESC LIMIT 1");
    printf("processing-log record of the download: %s\n", rec ? rec : "(none)");
    free(rec);
    char ct[130], err[300];
    snprintf(ct, sizeof ct, "%s", r.ctype);
    char path[300];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s/documents/%s/content", g_case, id);
    if (!mzt_contract_check("GET", path, 200, ct, "", 0, err, sizeof err))
        fail_msg("contract: %s", err);

    /* a PNG is a PNG */
    char *png = our_doc_id(g_doc[1]);
    r = download(g_case, png, tok);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "image/png");
    assert_string_equal(r.disp, "attachment; filename=\"plattegrond.png\"");
    free(png);
    free(id);
    free(tok);
}

static void expect_problem(const char *case_id, const char *doc_id, const char *token, long status,
                           const char *detail_part)
{
    char path[300];
    snprintf(path, sizeof path, "/api/v1/me/cases/%s/documents/%s/content", case_id, doc_id);
    mzt_resp r;
    assert_true(mzt_http(&g_srv, "GET", path, token, NULL, NULL, &r));
    if (r.status != status || !strstr(r.body, detail_part))
        fail_msg("GET %s: %ld %.*s (want %ld with \"%s\")", path, r.status, (int)r.body_len, r.body,
                 status, detail_part);
    mzt_resp_free(&r);
}

static void test_download_refusals(void **state)
{
    (void)state;
    char *tok = mzt_citizen_token(&g_env, BSN_A), *other = mzt_citizen_token(&g_env, BSN_B);
    char *id = our_doc_id(g_doc[0]);
    char *other_doc = our_doc_id(g_doc[7]);
    assert_non_null(other_doc);
    /* another citizen's case */
    expect_problem(g_case, id, other, 404, "no such case");
    /* another case's document (the same citizen's) */
    expect_problem(g_case, other_doc, tok, 404, "no such document");
    expect_problem(g_other_case, id, tok, 404, "no such document");
    /* a confidential document has no id of ours; the agency's uuid is nothing here */
    expect_problem(g_case, g_doc[2], tok, 404, "no such document");
    expect_problem(g_case, "not-a-uuid", tok, 400, "documentId");
    /* a content type that lies: "application/pdf", an executable inside */
    char *liar = our_doc_id(g_doc[6]);
    long downloads = mzt_fake_stat(&g_fake, "downloads");
    expect_problem(g_case, liar, tok, 502, "not of a type this service passes on");
    free(liar);
    char *html = listed_doc("Webpagina", "\"content\":\"html\"");
    expect_problem(g_case, html, tok, 502, "not of a type this service passes on");
    free(html);
    /* a redirect to another host: refused, not followed (one download request only) */
    char *redir = listed_doc("Elders", "\"fault\":\"redirect\"");
    downloads = mzt_fake_stat(&g_fake, "downloads");
    expect_problem(g_case, redir, tok, 502, "does not follow redirects");
    assert_int_equal(mzt_fake_stat(&g_fake, "downloads"), downloads + 1);
    free(redir);
    /* an announced size over the cap (1 MiB here): refused before any byte */
    char *big = listed_doc("Te groot", "\"size\":2097152");
    expect_problem(g_case, big, tok, 502, "larger than this service passes on");
    free(big);
    /* the agency resets the connection */
    char *reset = listed_doc("Reset", "\"fault\":\"reset\"");
    expect_problem(g_case, reset, tok, 502, "did not deliver");
    free(reset);
    free(id);
    free(other_doc);
    free(tok);
    free(other);
}

/* The agency stops part-way: the citizen's download fails (the
 * connection closes before the announced length, or before the last
 * chunk), never a short body that looks complete. */
static void test_download_fails_mid_stream(void **state)
{
    (void)state;
    char *tok = mzt_citizen_token(&g_env, BSN_A);
    char *trunc = listed_doc("Afgebroken", "\"size\":600000,\"fault\":\"truncated\"");
    raw r = download(g_case, trunc, tok);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.head, "%PDF-", 5);
    assert_true(r.rc == CURLE_PARTIAL_FILE || r.rc == CURLE_RECV_ERROR);
    assert_true(r.len < 600000);
    free(trunc);
    /* no length announced, and more than the cap (1 MiB): stopped at the cap */
    char *chunked = listed_doc("Zonder lengte", "\"size\":3000000,\"fault\":\"chunked\"");
    r = download(g_case, chunked, tok);
    assert_int_equal(r.status, 200);
    assert_true(r.rc == CURLE_PARTIAL_FILE || r.rc == CURLE_RECV_ERROR);
    assert_true(r.len <= CAP);
    free(chunked);
    /* too slow for the deadline (3 s): 1.5 s per 64 KiB */
    char *slow = listed_doc("Traag", "\"size\":600000,\"fault\":\"slow\",\"delayMs\":1500");
    r = download(g_case, slow, tok);
    assert_int_equal(r.status, 200);
    assert_true(r.rc == CURLE_PARTIAL_FILE || r.rc == CURLE_RECV_ERROR);
    assert_true(r.len < 600000);
    free(slow);
    free(tok);
}

/* --- memory while streaming: 16 clients, a 50 MiB document each */

typedef struct dl_job {
    const char *case_id, *doc_id, *token;
    raw r;
} dl_job;

static void *dl_thread(void *arg)
{
    dl_job *j = arg;
    j->r = download(j->case_id, j->doc_id, j->token);
    return NULL;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

typedef struct sampler {
    pid_t pid;
    atomic_int stop;
    long peak;
} sampler;

static void *sample_thread(void *arg)
{
    sampler *s = arg;
    while (!atomic_load(&s->stop)) {
        long k = rss_kib(s->pid);
        if (k > s->peak)
            s->peak = k;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Memory stays flat while streaming: each download holds a bounded ring
 * (256 KiB), never the document. The figure is printed (README,
 * "Documents"); the bound asserted is loose (a service that buffered the
 * documents would need 800 MiB), and skipped under sanitizers, which keep
 * freed memory in quarantine. */
/* Under sanitizers the figure means nothing and 800 MiB through
 * instrumented code takes minutes: fewer, smaller downloads there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FLAT_CLIENTS 4
#define FLAT_SIZE    "8388608"
#else
#define FLAT_CLIENTS 16
#define FLAT_SIZE    "52428800"
#endif

static void test_download_memory_flat(void **state)
{
    (void)state;
    char *id = listed_doc("Groot bestand", "\"size\":" FLAT_SIZE);
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {kv, g_secret_env[0], "MZ_REFRESH_AFTER=86400", NULL};
    mzt_server big;
    assert_true(mzt_server_start(&big, &g_env, env));
    mzt_server saved = g_srv;
    g_srv = big; /* download() asks g_srv */
    char *tok = mzt_citizen_token(&g_env, BSN_A);
    /* warm: one download first, so that the baseline holds the threads'
     * and connections' steady state */
    raw warm = download(g_case, id, tok);
    assert_int_equal(warm.status, 200);
    long base = rss_kib(big.pid);
    sampler s = {.pid = big.pid, .peak = base};
    atomic_init(&s.stop, 0);
    pthread_t st, th[FLAT_CLIENTS];
    dl_job jobs[FLAT_CLIENTS];
    pthread_create(&st, NULL, sample_thread, &s);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < FLAT_CLIENTS; i++) {
        jobs[i] = (dl_job){g_case, id, tok, {0}};
        pthread_create(&th[i], NULL, dl_thread, &jobs[i]);
    }
    for (int i = 0; i < FLAT_CLIENTS; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    atomic_store(&s.stop, 1);
    pthread_join(st, NULL);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("RSS while %d clients download a %s-byte document: baseline %.1f MiB, peak %.1f MiB "
           "(+%.1f MiB) in %.1f s\n",
           FLAT_CLIENTS, FLAT_SIZE, (double)base / 1024, (double)s.peak / 1024,
           (double)(s.peak - base) / 1024, secs);
    fflush(stdout);
    for (int i = 0; i < FLAT_CLIENTS; i++) {
        assert_int_equal(jobs[i].r.rc, CURLE_OK);
        assert_int_equal(jobs[i].r.status, 200);
        assert_int_equal((long)jobs[i].r.len, atol(FLAT_SIZE));
    }
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    assert_true(s.peak - base < 200 * 1024);
#endif
    g_srv = saved;
    assert_int_equal(mzt_server_stop(&big), 0);
    free(tok);
    free(id);
}

/* A shutdown while a download streams: the download fails (not a short
 * file that looks whole), the service stops cleanly and in time. */
static void test_shutdown_during_download(void **state)
{
    (void)state;
    char *id =
        listed_doc("Traag bij afsluiten", "\"size\":3000000,\"fault\":\"slow\",\"delayMs\":400");
    char kv[500];
    snprintf(kv, sizeof kv, "MZ_AGENCIES_FILE=%s", g_agencies);
    const char *env[] = {kv, g_secret_env[0], "MZ_REFRESH_AFTER=86400", NULL};
    mzt_server other;
    assert_true(mzt_server_start(&other, &g_env, env));
    mzt_server saved = g_srv;
    g_srv = other;
    char *tok = mzt_citizen_token(&g_env, BSN_A);
    dl_job job = {g_case, id, tok, {0}};
    pthread_t th;
    pthread_create(&th, NULL, dl_thread, &job);
    struct timespec ts = {1, 500 * 1000000L}; /* under way: a few pieces sent */
    nanosleep(&ts, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = mzt_server_stop(&other);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(th, NULL);
    g_srv = saved;
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("shutdown with a download streaming: %ld ms; the client got %zu bytes (rc %d)\n", ms,
           job.r.len, (int)job.r.rc);
    assert_int_equal(rc, 0);
    assert_int_equal(job.r.status, 200);
    assert_true(job.r.rc == CURLE_PARTIAL_FILE || job.r.rc == CURLE_RECV_ERROR);
    assert_true(job.r.len < 3000000);
    free(tok);
    free(id);
}

/* Retention: the case goes, and its documents and decisions with it. */
static void test_purge_takes_documents(void **state)
{
    (void)state;
    char sql[400];
    snprintf(sql, sizeof sql, "UPDATE cases SET closed_on = current_date - 100000 WHERE id = '%s'",
             g_case);
    assert_true(mzt_sql(&g_env, sql));
    const char *args[] = {"purge", NULL};
    assert_int_equal(mzt_run(&g_env, NULL, args), 0);
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM case_documents WHERE case_id = '%s') + "
             "(SELECT count(*) FROM case_decisions WHERE case_id = '%s')",
             g_case, g_case);
    assert_int_equal(q(sql), 0);
    assert_true(q("SELECT count(*) FROM case_documents") > 0); /* others' stay */
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_stores_only_visible),
        cmocka_unit_test(test_internal_zaaktype_lists_nothing),
        cmocka_unit_test(test_list_and_decisions),
        cmocka_unit_test(test_professional_list_only),
        cmocka_unit_test(test_download),
        cmocka_unit_test(test_download_refusals),
        cmocka_unit_test(test_download_fails_mid_stream),
        cmocka_unit_test(test_download_memory_flat),
        cmocka_unit_test(test_shutdown_during_download),
        cmocka_unit_test(test_purge_takes_documents),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
