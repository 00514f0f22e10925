/*
 * test_signin — sign-in through OpenID Connect end to end (issue 13): the
 * real service over loopback, a real Postgres, and the REAL local OpenID
 * provider (tests/oidc-op, oidc-provider on Node.js) started here with a
 * client configuration whose keys this test makes. The OP's login page is
 * driven over plain HTTP like tests/oidc-op/test/support.mjs does (GET
 * authorize, POST the choice, follow the redirects to our callback), with
 * a cookie jar per "browser" (a libcurl handle).
 *
 * Crafted ID and logout tokens (alg none, HS256 with the OP's public key,
 * wrong iss/aud, expired, nonce mismatch, unknown kid after a refetch) are
 * covered by tests/unit/test_oidc.c and test_oidc_jws.c; here: what only
 * the running system shows.
 */
#define _GNU_SOURCE /* strcasestr */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "mzt.h"

#define ACR_MIDDEN       "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
#define ACR_SUBSTANTIEEL "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"
#define ACR_HOOG         "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
#define ACR_STAFF        "http://eidas.europa.eu/LoA/substantial"

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static mzt_env g_env;
static mzt_op g_op;
static mzt_server g_srv;
static unsigned g_port;
static char g_base[64];

/* --- a browser stand-in */

typedef struct agent {
    CURL *c;
} agent;

typedef struct resp {
    long status;
    char *body;
    size_t len;
    char *headers;
    char location[8192];
} resp;

typedef struct sink {
    char *p;
    size_t n;
} sink;

static size_t put(char *d, size_t s, size_t n, void *ud)
{
    sink *k = ud;
    k->p = realloc(k->p, k->n + s * n + 1);
    memcpy(k->p + k->n, d, s * n);
    k->n += s * n;
    k->p[k->n] = '\0';
    return s * n;
}

static void agent_init(agent *a)
{
    a->c = curl_easy_init();
    curl_easy_setopt(a->c, CURLOPT_COOKIEFILE, ""); /* the cookie engine, in memory */
}

static void agent_free(agent *a)
{
    curl_easy_cleanup(a->c);
}

static void resp_free(resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

/* One request, no redirects followed; answers of our service are checked
 * against the contract. */
static void req(agent *a, const char *method, const char *url, const char *form,
                const char *const *hdrs, resp *out)
{
    memset(out, 0, sizeof *out);
    sink b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    for (size_t i = 0; hdrs && hdrs[i]; i++)
        hl = curl_slist_append(hl, hdrs[i]);
    curl_easy_setopt(a->c, CURLOPT_URL, url);
    curl_easy_setopt(a->c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(a->c, CURLOPT_HTTPGET, form ? 0L : 1L);
    if (form) {
        curl_easy_setopt(a->c, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(a->c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    }
    curl_easy_setopt(a->c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(a->c, CURLOPT_WRITEFUNCTION, put);
    curl_easy_setopt(a->c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(a->c, CURLOPT_HEADERFUNCTION, put);
    curl_easy_setopt(a->c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(a->c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(a->c, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode rc = curl_easy_perform(a->c);
    curl_slist_free_all(hl);
    curl_easy_setopt(a->c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(a->c, CURLOPT_CUSTOMREQUEST, NULL);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(a->c, CURLINFO_RESPONSE_CODE, &out->status);
    char *loc = NULL;
    curl_easy_getinfo(a->c, CURLINFO_REDIRECT_URL, &loc);
    if (loc)
        snprintf(out->location, sizeof out->location, "%s", loc);
    out->body = b.p ? b.p : calloc(1, 1);
    out->len = b.n;
    out->headers = h.p ? h.p : calloc(1, 1);
    if (strncmp(url, g_base, strlen(g_base)) == 0) {
        char *ct = NULL, err[1024];
        curl_easy_getinfo(a->c, CURLINFO_CONTENT_TYPE, &ct);
        if (!mzt_contract_check(method, url + strlen(g_base), out->status, ct, out->body, out->len,
                                err, sizeof err))
            fail_msg("%s %s -> %ld breaks the OpenAPI contract: %s", method, url, out->status, err);
    }
}

/* The value of a cookie in the jar, into out; false when absent. */
static bool jar_cookie(agent *a, const char *name, char *out, size_t outlen)
{
    struct curl_slist *l = NULL;
    curl_easy_getinfo(a->c, CURLINFO_COOKIELIST, &l);
    bool found = false;
    for (struct curl_slist *p = l; p && !found; p = p->next) {
        /* domain, flag, path, secure, expiry, name, value (tabs) */
        const char *f = p->data;
        for (int i = 0; i < 5 && f; i++) {
            f = strchr(f, '\t');
            f = f ? f + 1 : NULL;
        }
        size_t nl = strlen(name);
        if (f && strncmp(f, name, nl) == 0 && f[nl] == '\t') {
            snprintf(out, outlen, "%s", f + nl + 1);
            found = true;
        }
    }
    curl_slist_free_all(l);
    return found;
}

static void jar_set(agent *a, const char *name, const char *value)
{
    char line[512];
    snprintf(line, sizeof line, "127.0.0.1\tFALSE\t/\tFALSE\t0\t%s\t%s", name, value);
    curl_easy_setopt(a->c, CURLOPT_COOKIELIST, line);
}

/* The Set-Cookie header for name, into out. */
static bool set_cookie(const resp *r, const char *name, char *out, size_t outlen)
{
    char key[80];
    snprintf(key, sizeof key, "set-cookie: %s=", name);
    for (const char *p = r->headers; (p = strcasestr(p, "set-cookie: ")) != NULL; p++)
        if (strncasecmp(p, key, strlen(key)) == 0) {
            size_t n = strcspn(p, "\r\n");
            snprintf(out, outlen, "%.*s", (int)n, p);
            return true;
        }
    return false;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Follows redirects from r until one leads to our service (the callback:
 * its URL into cb) or a page answers. */
static void follow_to_us(agent *a, resp *r, char *cb, size_t cblen)
{
    cb[0] = '\0';
    for (int i = 0; i < 10 && r->status >= 300 && r->status < 400; i++) {
        char next[8192];
        snprintf(next, sizeof next, "%s", r->location);
        if (starts(next, g_base)) {
            snprintf(cb, cblen, "%s", next);
            return;
        }
        resp_free(r);
        req(a, "GET", next, NULL, NULL, r);
    }
}

/* Finds the login form's action ending in suffix ("/login", "/abort"). */
static bool form_action(const char *html, const char *suffix, char *out, size_t outlen)
{
    const char *key = "<form method=\"post\" action=\"";
    for (const char *p = html; (p = strstr(p, key)) != NULL; p++) {
        const char *v = p + strlen(key);
        size_t n = strcspn(v, "\"");
        size_t sl = strlen(suffix);
        if (n >= sl && strncmp(v + n - sl, suffix, sl) == 0 && n < outlen) {
            snprintf(out, outlen, "%.*s", (int)n, v);
            return true;
        }
    }
    return false;
}

typedef struct signin_opts {
    const char *kind;    /* "citizen" or "professional" */
    const char *account; /* the OP's demo account */
    const char *acr;     /* level chosen at the OP (citizen), or NULL */
    bool cancel;         /* "Annuleren" at the OP */
    const char *means;   /* middel=… (eherkenning), or NULL */
    const char *return_to;
} signin_opts;

/* Starts sign-in at our service, signs in at the OP, and stops at the
 * redirect to our callback: its URL into cb (not fetched). */
static void to_callback(agent *a, const signin_opts *o, char *cb, size_t cblen)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/auth/%s/login?returnTo=%s%s%s", g_base, o->kind,
             o->return_to ? o->return_to : "/zaken", o->means ? "&middel=" : "",
             o->means ? o->means : "");
    resp r;
    req(a, "GET", url, NULL, NULL, &r);
    assert_int_equal(r.status, 302);
    assert_true(strstr(r.location, "code_challenge_method=S256") != NULL);
    assert_true(strstr(r.location, "acr_values=") != NULL);
    follow_to_us(a, &r, cb, cblen);
    if (!cb[0]) { /* the login page */
        assert_int_equal(r.status, 200);
        if (o->means && strcmp(o->means, "eherkenning") == 0) /* the OP was asked for it */
            assert_non_null(strstr(r.body, "Kies een demo-bedrijf"));
        char action[512];
        assert_true(form_action(r.body, o->cancel ? "/abort" : "/login", action, sizeof action));
        char post[1200], form[600];
        snprintf(post, sizeof post, "http://127.0.0.1:%u%s", g_op.port, action);
        char *acr = o->acr ? curl_easy_escape(a->c, o->acr, 0) : NULL;
        snprintf(form, sizeof form, "account=%s%s%s", o->account, acr ? "&acr=" : "",
                 acr ? acr : "");
        curl_free(acr);
        resp_free(&r);
        req(a, "POST", post, form, NULL, &r);
        follow_to_us(a, &r, cb, cblen);
    }
    if (!cb[0])
        fail_msg("the OP did not send the browser back: %ld %.300s", r.status, r.body);
    resp_free(&r);
}

/* The whole sign-in: returns our callback's answer (status 303 expected). */
static void signin(agent *a, const signin_opts *o, resp *out)
{
    char cb[8192];
    to_callback(a, o, cb, sizeof cb);
    req(a, "GET", cb, NULL, NULL, out);
}

static void citizen(agent *a, const char *account, resp *out)
{
    signin_opts o = {.kind = "citizen", .account = account, .acr = ACR_SUBSTANTIEEL};
    signin(a, &o, out);
}

static void assert_failed(const resp *r, const char *reason)
{
    char want[128];
    snprintf(want, sizeof want, "/inloggen/mislukt?reden=%s", reason);
    assert_int_equal(r->status, 303);
    if (!strstr(r->location, want))
        fail_msg("expected a redirect to %s, got %s", want, r->location);
    char c[256];
    assert_false(set_cookie(r, "mz_session", c, sizeof c) && !strstr(c, "Max-Age=0"));
}

static long api(agent *a, const char *method, const char *path, const char *const *hdrs, resp *out)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", g_base, path);
    req(a, method, url, strcmp(method, "POST") == 0 ? "" : NULL, hdrs, out);
    return out->status;
}

static long session_status(agent *a)
{
    resp r;
    long s = api(a, "GET", "/api/v1/session", NULL, &r);
    resp_free(&r);
    return s;
}

/* --- set-up */

static char *op_config(void)
{
    static char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "{\"issuers\":{\"citizen\":{\"clients\":[{\"client_id\":\"mijnzaken\","
             "\"redirect_uris\":[\"%s/auth/citizen/callback\"],"
             "\"post_logout_redirect_uris\":[\"%s/\"],"
             "\"token_endpoint_auth_method\":\"private_key_jwt\",\"key_file\":\"keys/rp.pem\","
             "\"backchannel_logout_uri\":\"%s/auth/citizen/backchannel-logout\"}]},"
             "\"staff\":{\"clients\":[{\"client_id\":\"mijnzaken-staff\","
             "\"redirect_uris\":[\"%s/auth/professional/callback\"],"
             "\"post_logout_redirect_uris\":[\"%s/\"],"
             "\"token_endpoint_auth_method\":\"client_secret_basic\","
             "\"client_secret_file\":\"keys/staff.secret\","
             "\"id_token_signed_response_alg\":\"ES256\"}]}}}",
             g_base, g_base, g_base, g_base, g_base);
    return cfg;
}

/* The service's environment for sign-in against g_op; extra overrides. */
static const char *const *service_env(const char *const *extra)
{
    static char v[16][700];
    static const char *env[40];
    size_t n = 0;
    snprintf(v[0], 700, "MZ_LISTEN=127.0.0.1:%u", g_port);
    snprintf(v[1], 700, "MZ_PUBLIC_URL=%s", g_base);
    snprintf(v[2], 700, "MZ_OIDC_CITIZEN_ISSUER=%s", g_op.citizen);
    snprintf(v[3], 700, "MZ_OIDC_CITIZEN_CLIENT_ID=mijnzaken");
    snprintf(v[4], 700, "MZ_OIDC_CITIZEN_CLIENT_KEY_FILE=%s/keys/rp.pem", g_env.dir);
    snprintf(v[5], 700, "MZ_OIDC_CITIZEN_ACR_VALUES=%s %s", ACR_SUBSTANTIEEL, ACR_HOOG);
    snprintf(v[6], 700, "MZ_OIDC_PROFESSIONAL_ISSUER=%s", g_op.staff);
    snprintf(v[7], 700, "MZ_OIDC_PROFESSIONAL_CLIENT_ID=mijnzaken-staff");
    snprintf(v[8], 700, "MZ_OIDC_PROFESSIONAL_CLIENT_SECRET_FILE=%s/keys/staff.secret", g_env.dir);
    snprintf(v[9], 700, "MZ_OIDC_PROFESSIONAL_ACR_VALUES=%s", ACR_STAFF);
    snprintf(v[10], 700,
             "MZ_OIDC_PROFESSIONAL_CLAIMS={\"roleMap\":{\"kcc-medewerker\":\"professional\","
             "\"functioneel-beheerder\":\"admin\"}}");
    snprintf(v[11], 700, "MZ_OIDC_TIMEOUT_MS=1500");
    snprintf(v[12], 700, "MZ_OIDC_JWKS_REFETCH_SECONDS=1");
    for (int i = 0; i < 13; i++)
        env[n++] = v[i];
    for (size_t i = 0; extra && extra[i] && n < 38; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    return env;
}

static void start_service(const char *const *extra)
{
    assert_true(mzt_server_start(&g_srv, &g_env, service_env(extra)));
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    if (!mzt_env_setup(&g_env, "signin"))
        return -1;
    char priv[400], pub[400], err[256], secret[400];
    snprintf(priv, sizeof priv, "%s/keys/rp.pem", g_env.dir);
    snprintf(pub, sizeof pub, "%s/keys/rp.pub.pem", g_env.dir);
    if (!mz_generate_keypair("RS256", priv, pub, err, sizeof err))
        return -1;
    snprintf(secret, sizeof secret, "%s/keys/staff.secret", g_env.dir);
    char hex[49];
    mz_random_hex(hex, 24);
    FILE *f = fopen(secret, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", hex);
    fclose(f);
    chmod(secret, 0600);
    g_port = mzt_free_port();
    snprintf(g_base, sizeof g_base, "http://127.0.0.1:%u", g_port);
    if (!mzt_op_start(&g_op, &g_env, op_config()))
        return -1;
    const char *seed[] = {"seed-demo", NULL};
    if (mzt_run(&g_env, NULL, seed) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mzt_op_stop(&g_op);
    bool clean = mzt_env_teardown(&g_env);
    curl_global_cleanup();
    return clean ? 0 : -1;
}

static int each_setup(void **state)
{
    (void)state;
    mzt_sql(&g_env, "DELETE FROM sessions");
    start_service(NULL);
    return 0;
}

static int each_teardown(void **state)
{
    (void)state;
    mzt_op_control(&g_op, "reset", "{}");
    return mzt_server_stop(&g_srv) == 0 ? 0 : -1;
}

/* --- the tests */

/* A citizen signs in; the portal then uses only the cookie. */
static void test_citizen_signin(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    assert_int_equal(r.status, 303);
    assert_true(strcmp(r.location, g_base) > 0 &&
                strcmp(r.location + strlen(g_base), "/zaken") == 0);
    char sc[512];
    assert_true(set_cookie(&r, "mz_session", sc, sizeof sc));
    /* the flags (plain http on 127.0.0.1: the development name, no Secure) */
    assert_non_null(strstr(sc, "; Path=/"));
    assert_non_null(strstr(sc, "; HttpOnly"));
    assert_non_null(strstr(sc, "; SameSite=Lax"));
    assert_null(strstr(sc, "Secure"));
    char cookie[128];
    assert_true(jar_cookie(&a, "mz_session", cookie, sizeof cookie));
    assert_int_equal(strlen(cookie), 43);
    resp_free(&r);

    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"kind\":\"citizen\""));
    assert_non_null(strstr(r.body, "\"actingForSomeone\":false"));
    assert_non_null(strstr(r.body, ACR_SUBSTANTIEEL));
    assert_null(strstr(r.body, "999993653"));
    resp_free(&r);

    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"items\":[{")); /* the demo citizen's seeded cases */
    resp_free(&r);
    /* a citizen session is no staff member */
    assert_int_equal(api(&a, "GET", "/api/v1/processing-activities", NULL, &r), 403);
    resp_free(&r);
    /* cookie and bearer at once: refused */
    char *tok = mzt_citizen_token(&g_env, "999993653");
    char authz[4096];
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", tok);
    const char *both[] = {authz, NULL};
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", both, &r), 400);
    resp_free(&r);
    free(tok);
    /* the row holds no BSN, only the hash of the id and the pseudonym */
    char *h = mzt_query_text(&g_env, "SELECT count(*) FROM sessions WHERE subject_key IS NOT NULL "
                                     "AND subject_enc IS NOT NULL AND id_token_enc IS NOT NULL");
    assert_string_equal(h, "1");
    free(h);
    agent_free(&a);
    /* no session: 401 */
    agent_init(&a);
    assert_int_equal(session_status(&a), 401);
    agent_free(&a);
}

/* Staff through the staff IdP (client_secret_basic, ES256 ID tokens),
 * roles mapped by roleMap. */
static void test_professional_signin(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    signin_opts o = {.kind = "professional", .account = "demo-beheerder-1"};
    resp r;
    signin(&a, &o, &r);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"roles\":[\"professional\",\"admin\"]"));
    assert_non_null(strstr(r.body, "\"organisation\":\"gemeente-voorbeeld\""));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/processing-activities", NULL, &r), 200);
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/agencies", NULL, &r), 200);
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", NULL, &r), 403);
    resp_free(&r);
    agent_free(&a);
}

static void test_failures_at_the_op(void **state)
{
    (void)state;
    agent a;
    resp r;
    /* cancelled at DigiD */
    agent_init(&a);
    signin_opts cancel = {.kind = "citizen", .account = "demo-burger-1", .cancel = true};
    signin(&a, &cancel, &r);
    assert_failed(&r, "cancelled");
    resp_free(&r);
    agent_free(&a);
    /* assurance level too low */
    agent_init(&a);
    signin_opts low = {.kind = "citizen", .account = "demo-burger-1", .acr = ACR_MIDDEN};
    signin(&a, &low, &r);
    assert_failed(&r, "acr_too_low");
    resp_free(&r);
    agent_free(&a);
    /* an employee without a mapped role */
    agent_init(&a);
    signin_opts norole = {.kind = "professional", .account = "demo-zonder-rol-1"};
    signin(&a, &norole, &r);
    assert_failed(&r, "no_access");
    resp_free(&r);
    assert_int_equal(session_status(&a), 401);
    agent_free(&a);
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM sessions"), 0);
}

/* Every case id of the rows `sql` selects appears in body (want) or none
 * does (!want). */
static void assert_ids(const char *sql, const char *body, bool want)
{
    char *ids = mzt_query_text(&g_env, sql);
    assert_non_null(ids);
    assert_true(strlen(ids) >= 36); /* at least one case */
    for (const char *p = ids; strlen(p) >= 36; p += 37) {
        char id[37];
        memcpy(id, p, 36);
        id[36] = '\0';
        if ((strstr(body, id) != NULL) != want)
            fail_msg("case %s %s the list", id, want ? "missing from" : "shown in");
        if (!p[36])
            break;
    }
    free(ids);
}

/* eHerkenning (KVK only) signs in as the business (issue 14); a
 * representative (DigiD machtiging: `bsn` the represented person, `act`
 * who acts) sees the represented person's cases, not their own, and each
 * read is logged with both pseudonyms and the representative's activity;
 * the represented person's access log says so; their own access works. */
static void test_business_and_representative(void **state)
{
    (void)state;
    agent a;
    resp r;
    agent_init(&a);
    citizen(&a, "demo-bedrijf-1", &r);
    assert_int_equal(r.status, 303);
    assert_non_null(strstr(r.location, "/zaken"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"subjectKind\":\"kvk\""));
    assert_non_null(strstr(r.body, "\"actingForSomeone\":true"));
    assert_null(strstr(r.body, "90000001"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", NULL, &r), 200);
    resp_free(&r);
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM sessions WHERE subject_kind = "
                                            "'kvk' AND actor_key IS NOT NULL"),
                     1);
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM processing_log WHERE "
                                            "subject_kind = 'kvk' AND actor_key IS NOT NULL"),
                     1);
    agent_free(&a);

    mzt_sql(&g_env, "DELETE FROM processing_log");
    agent_init(&a);
    citizen(&a, "demo-machtiging-1", &r);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"subjectKind\":\"bsn\""));
    assert_non_null(strstr(r.body, "\"representation\":{\"actingForSomeone\":true,"
                                   "\"agencies\":null}"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases?pageSize=100", NULL, &r), 200);
    /* the represented person's cases (subject_key of the session), none of
     * the representative's own (their pseudonym is the session's actor_key) */
    assert_ids("SELECT string_agg(c.id::text, ' ') FROM cases c JOIN sessions s ON "
               "c.subject_key = s.subject_key",
               r.body, true);
    assert_ids("SELECT string_agg(c.id::text, ' ') FROM cases c JOIN sessions s ON "
               "c.subject_key = s.actor_key",
               r.body, false);
    resp_free(&r);
    assert_int_equal(
        mzt_query_long(&g_env,
                       "SELECT count(*) FROM processing_log p JOIN sessions s ON "
                       "p.subject_key = s.subject_key AND p.actor_key = s.actor_key WHERE "
                       "p.activity_id = 'mijnzaken-inzage-gemachtigde' AND p.subject_kind = 'bsn'"),
        1);
    agent_free(&a);
    /* the represented person (999990032), by their own token: their access
     * log shows the representative's read; their own reads still work */
    agent_init(&a);
    char *tok = mzt_citizen_token(&g_env, "999990032");
    char authz[4096];
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", tok);
    const char *h[] = {authz, NULL};
    assert_int_equal(api(&a, "GET", "/api/v1/me/access-log", h, &r), 200);
    assert_non_null(strstr(r.body, "\"viewedBy\":\"representative\""));
    assert_non_null(strstr(r.body, "bekeken door uw gemachtigde"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", h, &r), 200);
    assert_non_null(strstr(r.body, "\"items\":[{"));
    resp_free(&r);
    free(tok);
    agent_free(&a);
}

/* PUT /api/v1/session/representation with body, with or without the
 * portal's Origin. */
static long choose(agent *a, const char *body, bool origin, resp *out)
{
    char o[128], url[256];
    snprintf(o, sizeof o, "Origin: %s", g_base);
    const char *h[] = {"Content-Type: application/json", origin ? o : NULL, NULL};
    snprintf(url, sizeof url, "%s/api/v1/session/representation", g_base);
    req(a, "PUT", url, body, h, out);
    return out->status;
}

/* The case ids of the session's current subject (as the list answers them). */
#define SUBJECT_CASES                                                                              \
    "SELECT string_agg(c.id::text, ' ') FROM cases c JOIN sessions s ON "                          \
    "c.subject_key = s.subject_key"

/* Issue 14: a representative with several authorisations (the OP's
 * `represents`: demo-bewindvoerder-1 for 999990019 and, limited to two
 * agencies, 999990032) chooses whose cases to see; nothing shows before
 * the choice; switching changes the cases and nothing of the other
 * subject leaks; the scope of the chosen authorisation limits the cases
 * (list and detail); out-of-range or malformed choices are 400 problems;
 * a bearer token cannot use the route; the numbers are never stored in
 * plain nor answered. */
static void test_several_authorisations(void **state)
{
    (void)state;
    mzt_sql(&g_env, "DELETE FROM processing_log");
    agent a;
    resp r;
    agent_init(&a);
    citizen(&a, "demo-bewindvoerder-1", &r);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"subjectKind\":null"));
    assert_non_null(strstr(r.body, "\"actingForSomeone\":true"));
    assert_non_null(strstr(r.body, "\"choices\":[{\"index\":0,\"kind\":\"bsn\",\"label\":\"BSN "
                                   "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
                                   "\xe2\x80\xa2"
                                   "019\",\"agencies\":null,\"agencyNames\":null},{\"index\":1,"));
    assert_non_null(strstr(r.body, "032\",\"agencies\":[\"gemeente-voorbeeld\",\"uwv\"],"
                                   "\"agencyNames\":[\"Gemeente Voorbeeld\",\"UWV\"]}]"));
    assert_non_null(strstr(r.body, "\"chosen\":null"));
    assert_null(strstr(r.body, "999990019"));
    assert_null(strstr(r.body, "999990032"));
    assert_null(strstr(r.body, "999990044"));
    resp_free(&r);
    /* stored sealed: no subject yet, the list encrypted, no number in plain */
    assert_int_equal(
        mzt_query_long(&g_env,
                       "SELECT count(*) FROM sessions WHERE represents_count = 2 AND "
                       "represents_choice IS NULL AND subject_key IS NULL AND subject_enc IS NULL "
                       "AND represents_enc IS NOT NULL AND actor_key IS NOT NULL AND acting_for"),
        1);
    assert_int_equal(mzt_query_long(&g_env,
                                    "SELECT count(*) FROM sessions WHERE position(convert_to("
                                    "'99999', 'UTF8') IN represents_enc) > 0 OR "
                                    "position(convert_to('99999', 'UTF8') IN coalesce(subject_enc, "
                                    "'')) > 0"),
                     0);
    /* no case before a choice */
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", NULL, &r), 403);
    assert_non_null(strstr(r.body, "choose whose cases"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/access-log", NULL, &r), 403);
    resp_free(&r);
    /* bad choices */
    static const char *const bad[] = {"{\"choice\":2}",
                                      "{\"choice\":-1}",
                                      "{\"choice\":\"0\"}",
                                      "{\"choice\":0.5}",
                                      "{}",
                                      "[0]",
                                      "{\"choice\":0,\"x\":1}",
                                      "choice=0",
                                      "{\"choice\":99999999999999999999}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (choose(&a, bad[i], true, &r) != 400)
            fail_msg("%s -> %ld", bad[i], r.status);
        assert_non_null(strstr(r.body, "choice"));
        resp_free(&r);
    }
    assert_int_equal(choose(&a, "{\"choice\":0}", false, &r), 403); /* no Origin */
    resp_free(&r);
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM sessions WHERE "
                                            "represents_choice IS NOT NULL"),
                     0);
    /* choose the first: Daan's cases, all agencies */
    assert_int_equal(choose(&a, "{\"choice\":0}", true, &r), 200);
    assert_non_null(strstr(r.body, "\"subjectKind\":\"bsn\""));
    assert_non_null(strstr(r.body, "\"chosen\":0"));
    resp_free(&r);
    char *first = mzt_query_text(&g_env, SUBJECT_CASES);
    assert_non_null(first);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases?pageSize=100", NULL, &r), 200);
    assert_ids(SUBJECT_CASES, r.body, true);
    assert_ids("SELECT string_agg(c.id::text, ' ') FROM cases c JOIN sessions s ON "
               "c.subject_key = s.actor_key OR c.subject_key <> s.subject_key",
               r.body, false);
    resp_free(&r);
    /* switch to the second: Fenna's cases of the two agencies only */
    assert_int_equal(choose(&a, "{\"choice\":1}", true, &r), 200);
    assert_non_null(strstr(r.body, "\"chosen\":1"));
    assert_non_null(strstr(r.body, "\"agencies\":[\"gemeente-voorbeeld\",\"uwv\"],\"choices\""));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases?pageSize=100", NULL, &r), 200);
    assert_ids(SUBJECT_CASES " AND c.agency_id IN ('gemeente-voorbeeld', 'uwv')", r.body, true);
    assert_ids(SUBJECT_CASES " AND c.agency_id = 'duo'", r.body, false); /* outside the scope */
    assert_null(strstr(r.body, "{\"id\":\"duo\""));                      /* nor among the sources */
    assert_non_null(strstr(r.body, "{\"id\":\"uwv\""));
    for (const char *p = first; strlen(p) >= 36; p += 37) { /* nothing of Daan's */
        char id[37];
        memcpy(id, p, 36);
        id[36] = '\0';
        if (strstr(r.body, id))
            fail_msg("the first subject's case %s is shown after the switch", id);
        if (!p[36])
            break;
    }
    resp_free(&r);
    char *duo = mzt_query_text(&g_env, SUBJECT_CASES " AND c.agency_id = 'duo'");
    assert_non_null(duo);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/me/cases/%.36s", duo);
    assert_int_equal(api(&a, "GET", path, NULL, &r), 404);
    resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/me/cases/%.36s", first);
    assert_int_equal(api(&a, "GET", path, NULL, &r), 404); /* Daan's, by id */
    resp_free(&r);
    free(duo);
    free(first);
    /* every read: the chosen subject and the representative, as a
     * representative's read */
    assert_int_equal(
        mzt_query_long(&g_env, "SELECT count(*) FROM processing_log p JOIN sessions s ON "
                               "p.actor_key = s.actor_key WHERE p.activity_id <> "
                               "'mijnzaken-inzage-gemachtigde' OR p.subject_key = s.actor_key"),
        0);
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(DISTINCT p.subject_key) FROM "
                                            "processing_log p JOIN sessions s ON p.actor_key = "
                                            "s.actor_key"),
                     2);
    /* one machtiging limited to one agency (`act` + `authorization`,
     * demo-machtiging-2: Daan's cases at the municipality only) */
    agent m;
    agent_init(&m);
    mzt_sql(&g_env, "DELETE FROM sessions");
    citizen(&m, "demo-machtiging-2", &r);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(api(&m, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"agencies\":[\"gemeente-voorbeeld\"]"));
    assert_null(strstr(r.body, "\"choices\""));
    resp_free(&r);
    assert_int_equal(api(&m, "GET", "/api/v1/me/cases?pageSize=100", NULL, &r), 200);
    assert_ids(SUBJECT_CASES " AND c.agency_id = 'gemeente-voorbeeld'", r.body, true);
    assert_ids(SUBJECT_CASES " AND c.agency_id <> 'gemeente-voorbeeld'", r.body, false);
    assert_null(strstr(r.body, "{\"id\":\"uwv\""));
    resp_free(&r);
    char *uwv = mzt_query_text(&g_env, SUBJECT_CASES " AND c.agency_id = 'uwv'");
    assert_non_null(uwv);
    snprintf(path, sizeof path, "/api/v1/me/cases/%.36s", uwv);
    assert_int_equal(api(&m, "GET", path, NULL, &r), 404);
    resp_free(&r);
    free(uwv);
    agent_free(&m);
    /* a bearer token cannot choose (the route is the session's) */
    agent b;
    agent_init(&b);
    char *tok = mzt_citizen_token(&g_env, "999990044");
    char authz[4096];
    snprintf(authz, sizeof authz, "Authorization: Bearer %s", tok);
    const char *hb[] = {authz, "Content-Type: application/json", NULL};
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/session/representation", g_base);
    req(&b, "PUT", url, "{\"choice\":0}", hb, &r);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    free(tok);
    agent_free(&b);
    /* a session without authorisations to choose from: 403 */
    agent_init(&b);
    citizen(&b, "demo-burger-1", &r);
    resp_free(&r);
    assert_int_equal(choose(&b, "{\"choice\":0}", true, &r), 403);
    resp_free(&r);
    agent_free(&b);
    agent_free(&a);
}

/* Issue 14: "Inloggen met eHerkenning" — the same citizen OP, asked for
 * eHerkenning by one more scope (MZ_OIDC_CITIZEN_EHERKENNING_SCOPE). */
static void test_eherkenning(void **state)
{
    (void)state;
    agent a;
    resp r;
    agent_init(&a);
    /* not configured: not offered, and the route says so */
    assert_int_equal(api(&a, "GET", "/api/v1/signin-options", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"eherkenning\":false"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/auth/citizen/login?middel=eherkenning", NULL, &r), 404);
    resp_free(&r);
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    const char *eh[] = {"MZ_OIDC_CITIZEN_EHERKENNING_SCOPE=eherkenning", NULL};
    start_service(eh);
    assert_int_equal(api(&a, "GET", "/api/v1/signin-options", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"eherkenning\":true"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/auth/citizen/login?middel=kvk", NULL, &r), 400);
    assert_non_null(strstr(r.body, "middel"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/auth/professional/login?middel=eherkenning", NULL, &r), 400);
    resp_free(&r);
    /* DigiD still asks for openid only */
    assert_int_equal(api(&a, "GET", "/auth/citizen/login?middel=digid", NULL, &r), 302);
    assert_non_null(strstr(r.location, "scope=openid&"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/auth/citizen/login?middel=eherkenning", NULL, &r), 302);
    assert_non_null(strstr(r.location, "scope=openid%20eherkenning&"));
    resp_free(&r);
    agent_free(&a);
    agent_init(&a);
    signin_opts o = {.kind = "citizen",
                     .account = "demo-bedrijf-1",
                     .acr = ACR_SUBSTANTIEEL,
                     .means = "eherkenning"};
    signin(&a, &o, &r);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"subjectKind\":\"kvk\""));
    assert_null(strstr(r.body, "90000001"));
    resp_free(&r);
    agent_free(&a);
}

static void test_state_and_code(void **state)
{
    (void)state;
    agent a, other;
    agent_init(&a);
    resp r;
    char cb[8192];
    signin_opts o = {.kind = "citizen", .account = "demo-burger-2", .acr = ACR_HOOG};
    to_callback(&a, &o, cb, sizeof cb);
    /* another browser presenting this callback (login CSRF): no session,
     * and the state is used up */
    agent_init(&other);
    req(&other, "GET", cb, NULL, NULL, &r);
    assert_failed(&r, "expired_state");
    resp_free(&r);
    agent_free(&other);
    req(&a, "GET", cb, NULL, NULL, &r);
    assert_failed(&r, "expired_state");
    resp_free(&r);
    /* a state nobody issued */
    char url[512];
    snprintf(url, sizeof url, "%s/auth/citizen/callback?code=x&state=nonsense", g_base);
    req(&a, "GET", url, NULL, NULL, &r);
    assert_failed(&r, "expired_state");
    resp_free(&r);
    /* replay: a sign-in's callback a second time */
    to_callback(&a, &o, cb, sizeof cb);
    req(&a, "GET", cb, NULL, NULL, &r);
    assert_int_equal(r.status, 303);
    assert_null(strstr(r.location, "mislukt"));
    resp_free(&r);
    req(&a, "GET", cb, NULL, NULL, &r);
    assert_failed(&r, "expired_state");
    resp_free(&r);
    /* a used code with a fresh state of this browser: the OP refuses it */
    char code[512];
    const char *c = strstr(cb, "code=");
    assert_non_null(c);
    snprintf(code, sizeof code, "%.*s", (int)strcspn(c + 5, "&"), c + 5);
    snprintf(url, sizeof url, "%s/auth/citizen/login", g_base);
    req(&a, "GET", url, NULL, NULL, &r);
    assert_int_equal(r.status, 302);
    const char *s = strstr(r.location, "state=");
    char st[128];
    snprintf(st, sizeof st, "%.*s", (int)strcspn(s + 6, "&"), s + 6);
    resp_free(&r);
    char cburl[1024];
    snprintf(cburl, sizeof cburl, "%s/auth/citizen/callback?code=%s&state=%s", g_base, code, st);
    req(&a, "GET", cburl, NULL, NULL, &r);
    assert_failed(&r, "invalid_response");
    resp_free(&r);
    agent_free(&a);
}

/* The OP down or slow at the token request, or answering garbage. */
static void test_op_faults(void **state)
{
    (void)state;
    struct {
        const char *control, *body, *reason;
    } cases[] = {
        {"slow", "{\"ms\":3000}", "op_unavailable"},
        {"down", "{\"mode\":\"503\"}", "op_unavailable"},
        {"token-response", "{\"mode\":\"oversized\"}", "invalid_response"},
        {"token-response", "{\"mode\":\"malformed\"}", "invalid_response"},
        {"token-response", "{\"mode\":\"no-id-token\"}", "invalid_response"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        agent a;
        agent_init(&a);
        char cb[8192];
        signin_opts o = {.kind = "citizen", .account = "demo-burger-1", .acr = ACR_SUBSTANTIEEL};
        to_callback(&a, &o, cb, sizeof cb);
        assert_true(mzt_op_control(&g_op, cases[i].control, cases[i].body));
        int64_t t0 = now_us();
        resp r;
        req(&a, "GET", cb, NULL, NULL, &r);
        assert_failed(&r, cases[i].reason);
        assert_true(now_us() - t0 < 2900000); /* the deadline, not the OP's 3 s */
        resp_free(&r);
        assert_true(mzt_op_control(&g_op, "reset", "{}"));
        agent_free(&a);
    }
    assert_int_equal(mzt_query_long(&g_env, "SELECT count(*) FROM sessions"), 0);
}

/* New signing keys at the OP: the next sign-in still works (unknown kid →
 * one refetch). */
static void test_key_rotation(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_true(mzt_op_control(&g_op, "rotate-keys", "{\"keepOld\":false}"));
    sleep(2); /* MZ_OIDC_JWKS_REFETCH_SECONDS=1 */
    agent_free(&a);
    agent_init(&a);
    citizen(&a, "demo-burger-3", &r);
    assert_int_equal(r.status, 303);
    assert_null(strstr(r.location, "mislukt"));
    resp_free(&r);
    assert_int_equal(session_status(&a), 200);
    agent_free(&a);
}

/* A cookie request with an unsafe method must come from the portal. */
static void test_csrf(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    assert_int_equal(api(&a, "POST", "/auth/logout", NULL, &r), 403);
    resp_free(&r);
    const char *evil[] = {"Origin: https://evil.example", NULL};
    assert_int_equal(api(&a, "POST", "/auth/logout", evil, &r), 403);
    resp_free(&r);
    char o[128];
    snprintf(o, sizeof o, "Origin: %s", g_base);
    const char *portal[] = {o, NULL};
    assert_int_equal(session_status(&a), 200); /* still signed in */
    assert_int_equal(api(&a, "POST", "/api/v1/cases/search", evil, &r), 403);
    resp_free(&r);
    assert_int_equal(api(&a, "POST", "/auth/logout", portal, &r), 303);
    resp_free(&r);
    agent_free(&a);
}

/* A new sign-in never keeps the session the browser had. */
static void test_fixation(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    char planted[44];
    unsigned char raw[32];
    mz_random_bytes(raw, sizeof raw);
    mz_b64url_encode(raw, sizeof raw, planted);
    jar_set(&a, "mz_session", planted);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    char first[128], second[128];
    assert_true(jar_cookie(&a, "mz_session", first, sizeof first));
    assert_string_not_equal(first, planted);
    assert_int_equal(session_status(&a), 200);
    /* signing in again ends the first session */
    citizen(&a, "demo-burger-2", &r);
    resp_free(&r);
    assert_true(jar_cookie(&a, "mz_session", second, sizeof second));
    assert_string_not_equal(first, second);
    agent b;
    agent_init(&b);
    jar_set(&b, "mz_session", first);
    assert_int_equal(session_status(&b), 401);
    agent_free(&b);
    assert_int_equal(session_status(&a), 200);
    agent_free(&a);
}

static void test_logout(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    char cookie[128];
    assert_true(jar_cookie(&a, "mz_session", cookie, sizeof cookie));
    char o[128];
    snprintf(o, sizeof o, "Origin: %s", g_base);
    const char *portal[] = {o, NULL};
    assert_int_equal(api(&a, "POST", "/auth/logout", portal, &r), 303);
    char end[400];
    snprintf(end, sizeof end, "%s/session/end?", g_op.citizen);
    if (!starts(r.location, end))
        fail_msg("logout went to %s", r.location);
    assert_non_null(strstr(r.location, "id_token_hint=ey"));
    char post[200];
    snprintf(post, sizeof post, "post_logout_redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A%u%%2F",
             g_port);
    assert_non_null(strstr(r.location, post));
    char sc[256];
    assert_true(set_cookie(&r, "mz_session", sc, sizeof sc));
    assert_non_null(strstr(sc, "Max-Age=0"));
    resp_free(&r);
    /* the session is gone, also for whoever kept the cookie */
    agent b;
    agent_init(&b);
    jar_set(&b, "mz_session", cookie);
    assert_int_equal(session_status(&b), 401);
    agent_free(&b);
    /* without a session: to / */
    assert_int_equal(api(&a, "POST", "/auth/logout", portal, &r), 303);
    assert_true(starts(r.location, g_base) && strcmp(r.location + strlen(g_base), "/") == 0);
    resp_free(&r);
    agent_free(&a);
}

static void test_backchannel_logout(void **state)
{
    (void)state;
    agent a, b;
    agent_init(&a);
    agent_init(&b);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    citizen(&b, "demo-burger-2", &r);
    resp_free(&r);
    assert_int_equal(session_status(&a), 200);
    assert_true(mzt_op_control(&g_op, "backchannel-logout",
                               "{\"issuer\":\"citizen\",\"account\":\"demo-burger-1\"}"));
    long s = 0;
    for (int i = 0; i < 50 && (s = session_status(&a)) == 200; i++)
        usleep(100000);
    assert_int_equal(s, 401);
    assert_int_equal(session_status(&b), 200); /* someone else's session stays */
    /* a token that is not one: 400 */
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    char url[256];
    snprintf(url, sizeof url, "%s/auth/citizen/backchannel-logout", g_base);
    agent c;
    agent_init(&c);
    req(&c, "POST", url, "logout_token=eyJhbGciOiJub25lIn0.e30.", form, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    req(&c, "POST", url, "nothing=here", form, &r);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    agent_free(&c);
    agent_free(&a);
    agent_free(&b);
}

/* Idle expiry (renewed on use) and the absolute maximum. */
static void test_expiry(void **state)
{
    (void)state;
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    /* Times are whole seconds: an idle timeout of 4 s leaves room for a
     * loaded machine (CI) between one-second uses; 2 s did not. */
    const char *shortly[] = {"MZ_SESSION_IDLE_SECONDS=4", "MZ_SESSION_MAX_SECONDS=9", NULL};
    start_service(shortly);
    agent a;
    agent_init(&a);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    /* used every second: alive past the idle timeout, until the maximum */
    for (int i = 0; i < 5; i++) {
        sleep(1);
        assert_int_equal(session_status(&a), 200);
    }
    sleep(5); /* 10 s or more after sign-in */
    assert_int_equal(session_status(&a), 401);
    /* idle: unused for longer than 4 s */
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    assert_int_equal(session_status(&a), 200);
    sleep(6);
    assert_int_equal(session_status(&a), 401);
    agent_free(&a);
}

/* The development login (MZ_DEV_MODE) makes a cookie session like a
 * sign-in does: no token in the answer, the same cookie and the same
 * session look-up; signing out of it does not go to the OP. Also the
 * public sign-in options the portal reads. */
static void test_dev_login_session(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    resp r;
    char url[200];
    snprintf(url, sizeof url, "%s/api/v1/signin-options", g_base);
    req(&a, "GET", url, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(
        r.body,
        "{\"citizen\":true,\"eherkenning\":false,\"professional\":true,\"devLogin\":false}");
    resp_free(&r);
    /* without MZ_DEV_MODE the development login does not exist */
    const char *json[] = {"Content-Type: application/json", NULL};
    snprintf(url, sizeof url, "%s/api/v1/dev/login", g_base);
    req(&a, "POST", url, "{\"bsn\":\"999993653\"}", json, &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);

    assert_int_equal(mzt_server_stop(&g_srv), 0);
    const char *dev[] = {"MZ_DEV_MODE=1", NULL};
    start_service(dev);
    snprintf(url, sizeof url, "%s/api/v1/signin-options", g_base);
    req(&a, "GET", url, NULL, NULL, &r);
    assert_string_equal(
        r.body, "{\"citizen\":true,\"eherkenning\":false,\"professional\":true,\"devLogin\":true}");
    resp_free(&r);
    snprintf(url, sizeof url, "%s/api/v1/dev/login", g_base);
    req(&a, "POST", url, "{\"bsn\":\"999993653\"}", json, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"kind\":\"citizen\"}");
    char sc[512];
    assert_true(set_cookie(&r, "mz_session", sc, sizeof sc));
    assert_non_null(strstr(sc, "; HttpOnly"));
    assert_non_null(strstr(sc, "; SameSite=Lax"));
    resp_free(&r);
    char first[128];
    assert_true(jar_cookie(&a, "mz_session", first, sizeof first));
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"kind\":\"citizen\""));
    assert_non_null(strstr(r.body, "\"assuranceLevel\":\"dev\""));
    assert_null(strstr(r.body, "999993653"));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/me/cases", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"items\":[{"));
    resp_free(&r);

    /* with the cookie, an unsafe request needs the portal's Origin (CSRF) */
    req(&a, "POST", url, "{\"role\":\"professional\"}", json, &r);
    assert_int_equal(r.status, 403);
    resp_free(&r);
    /* a staff member through the same route: the earlier session ends */
    char origin[128];
    snprintf(origin, sizeof origin, "Origin: %s", g_base);
    const char *json_origin[] = {"Content-Type: application/json", origin, NULL};
    req(&a, "POST", url, "{\"role\":\"professional\"}", json_origin, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"kind\":\"professional\"}");
    resp_free(&r);
    agent b;
    agent_init(&b);
    jar_set(&b, "mz_session", first);
    assert_int_equal(session_status(&b), 401);
    agent_free(&b);
    assert_int_equal(api(&a, "GET", "/api/v1/session", NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"roles\":[\"professional\"]"));
    assert_non_null(strstr(r.body, "\"organisation\":\"Gemeente Voorbeeld (KCC, demo)\""));
    resp_free(&r);
    assert_int_equal(api(&a, "GET", "/api/v1/processing-activities", NULL, &r), 200);
    resp_free(&r);

    /* bad bodies: 400, no session */
    agent c;
    agent_init(&c);
    req(&c, "POST", url, "{\"bsn\":\"123456789\"}", json, &r);
    assert_int_equal(r.status, 400);
    assert_false(set_cookie(&r, "mz_session", sc, sizeof sc));
    resp_free(&r);
    agent_free(&c);

    /* sign-out: local only (no ID token, no OP session), to / */
    char o[128];
    snprintf(o, sizeof o, "Origin: %s", g_base);
    const char *portal[] = {o, NULL};
    assert_int_equal(api(&a, "POST", "/auth/logout", portal, &r), 303);
    assert_true(starts(r.location, g_base) && strcmp(r.location + strlen(g_base), "/") == 0);
    resp_free(&r);
    assert_int_equal(session_status(&a), 401);
    agent_free(&a);
}

/* The OP unreachable at start: the service starts, sign-in says so. */
static void test_op_unreachable_at_start(void **state)
{
    (void)state;
    assert_int_equal(mzt_server_stop(&g_srv), 0);
    char iss[200];
    snprintf(iss, sizeof iss, "MZ_OIDC_CITIZEN_ISSUER=http://127.0.0.1:%u/citizen",
             mzt_free_port());
    const char *down[] = {iss, NULL};
    start_service(down);
    agent a;
    agent_init(&a);
    resp r;
    char url[256];
    snprintf(url, sizeof url, "%s/auth/citizen/login", g_base);
    req(&a, "GET", url, NULL, NULL, &r);
    assert_failed(&r, "op_unavailable");
    resp_free(&r);
    /* the other kind and the API are unaffected */
    snprintf(url, sizeof url, "%s/auth/professional/login", g_base);
    req(&a, "GET", url, NULL, NULL, &r);
    assert_int_equal(r.status, 302);
    resp_free(&r);
    agent_free(&a);
}

/* Invalid combinations refuse to start, naming the variable. */
static void test_config_refused(void **state)
{
    (void)state;
    const char *serve[] = {"serve", NULL};
    const char *no_public[] = {"MZ_PUBLIC_URL=", NULL};
    const char *both[] = {"MZ_OIDC_CITIZEN_CLIENT_SECRET_FILE=/etc/hostname", NULL};
    const char *no_acr[] = {"MZ_OIDC_CITIZEN_ACR_VALUES=", NULL};
    const char *plain[] = {"MZ_PUBLIC_URL=http://portal.example", NULL};
    const char *eh_scope[] = {"MZ_OIDC_CITIZEN_EHERKENNING_SCOPE=openid eherkenning", NULL};
    const char *const *bad[] = {no_public, both, no_acr, plain, eh_scope};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(mzt_run(&g_env, service_env(bad[i]), serve), 1);
    char log[400];
    snprintf(log, sizeof log, "%s/commands.log", g_env.dir);
    size_t n;
    char *txt = mzt_slurp(log, &n);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "MZ_PUBLIC_URL must be set"));
    assert_non_null(strstr(txt, "set exactly one of CLIENT_KEY_FILE"));
    assert_non_null(strstr(txt, "MZ_OIDC_CITIZEN_EHERKENNING_SCOPE must be one scope"));
    free(txt);
}

static void test_metrics(void **state)
{
    (void)state;
    agent a;
    agent_init(&a);
    resp r;
    citizen(&a, "demo-burger-1", &r);
    resp_free(&r);
    agent_free(&a);
    agent_init(&a); /* a new browser: no session at the OP, so its login page */
    signin_opts cancel = {.kind = "citizen", .account = "demo-burger-1", .cancel = true};
    signin(&a, &cancel, &r);
    resp_free(&r);
    mzt_resp m;
    assert_true(mzt_http(&g_srv, "GET", "/metrics", NULL, NULL, NULL, &m));
    assert_non_null(strstr(m.body, "mz_signins_total{kind=\"citizen\",outcome=\"ok\"} 1\n"));
    assert_non_null(strstr(m.body, "mz_signins_total{kind=\"citizen\",outcome=\"cancelled\"} 1\n"));
    assert_non_null(strstr(m.body, "mz_sessions_active{kind=\"citizen\"} "));
    mzt_resp_free(&m);
    agent_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_citizen_signin, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_professional_signin, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_failures_at_the_op, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_business_and_representative, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(test_several_authorisations, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_eherkenning, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_state_and_code, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_op_faults, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_csrf, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_fixation, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_logout, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_backchannel_logout, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_metrics, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_key_rotation, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_expiry, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_dev_login_session, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_op_unreachable_at_start, each_setup, each_teardown),
        cmocka_unit_test(test_config_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
