/*
 * test_oidc.c — the relying party's protocol core (service/oidc.c,
 * service/oidc_client.c): discovery, ID token verification end to end
 * (keys and tokens made here), the table of bad claims, the claim mapping,
 * PKCE (RFC 7636 appendix B), the authorization URL, client
 * authentication, the token request and response, and logout tokens.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include "oidc_testkit.h"

#include <openssl/pem.h>

#include "auth.h"
#include "bsn.h"
#include "oidc.h"

#define ISS   "https://op.example"
#define CID   "mijnzaken-citizen"
#define NONCE "n-0S6_WzA2Mj"
#define NOW   1800000000LL

static EVP_PKEY *g_rsa, *g_ec;
static char *g_jwks;
static mz_oidc_rp g_cit, g_pro;
static mz_oidc_provider g_op;

static bool fetch(void *ctx, const char *uri, char **body, size_t *len)
{
    (void)ctx;
    (void)uri;
    *body = mz_xstrdup(g_jwks);
    *len = strlen(g_jwks);
    return true;
}

static const char *k_discovery =
    "{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/auth\","
    "\"token_endpoint\":\"" ISS "/token\",\"jwks_uri\":\"" ISS "/jwks\","
    "\"end_session_endpoint\":\"" ISS "/session/end\","
    "\"id_token_signing_alg_values_supported\":[\"PS256\",\"RS256\",\"ES256\",\"HS256\",\"none\"],"
    "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"],"
    "\"token_endpoint_auth_signing_alg_values_supported\":[\"PS256\",\"ES256\"],"
    "\"code_challenge_methods_supported\":[\"S256\"]}";

static int setup(void **state)
{
    (void)state;
    g_rsa = EVP_RSA_gen(2048);
    g_ec = EVP_EC_gen("P-256");
    char *a = tk_jwk(g_rsa, "rsa1", NULL), *b = tk_jwk(g_ec, "ec1", NULL);
    mz_buf s = MZ_BUF_INIT;
    mz_buf_printf(&s, "{\"keys\":[%s,%s]}", a, b);
    g_jwks = mz_buf_steal(&s, NULL);
    free(a);
    free(b);
    char err[256];
    mz_oidc_rp_config c = {MZ_OIDC_CITIZEN,
                           ISS,
                           CID,
                           "https://mijnzaken.example/",
                           NULL,
                           "urn:nl:digid:substantieel urn:nl:digid:hoog",
                           NULL};
    mz_oidc_rp_config p = {MZ_OIDC_PROFESSIONAL,
                           ISS,
                           CID,
                           "https://mijnzaken.example",
                           "openid profile",
                           "urn:staff:mfa",
                           "{\"roles\":\"groups\",\"org\":\"organisation\",\"roleMap\":"
                           "{\"kcc-medewerker\":\"professional\",\"beheer\":\"admin\"}}"};
    if (!mz_oidc_rp_init(&g_cit, &c, err, sizeof err) ||
        !mz_oidc_rp_init(&g_pro, &p, err, sizeof err) ||
        !mz_oidc_discovery_parse(k_discovery, strlen(k_discovery), ISS, &g_op, err, sizeof err)) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(g_rsa);
    EVP_PKEY_free(g_ec);
    free(g_jwks);
    mz_oidc_rp_clear(&g_cit);
    mz_oidc_rp_clear(&g_pro);
    mz_oidc_provider_clear(&g_op);
    return 0;
}

/* --- 1. discovery */

static void test_discovery(void **state)
{
    (void)state;
    assert_string_equal(g_op.token_endpoint, ISS "/token");
    assert_string_equal(g_op.end_session_endpoint, ISS "/session/end");
    assert_null(g_op.userinfo_endpoint);
    assert_int_equal(g_op.id_token_algs, MZ_JWS_ALLOWED); /* HS256 and none dropped */
    assert_int_equal(g_op.token_auth_algs, MZ_JWS_PS256 | MZ_JWS_ES256);
    assert_int_equal(g_op.auth_methods, MZ_OIDC_AUTH_PRIVATE_KEY_JWT);
    mz_oidc_provider p;
    char err[256];
    /* issuer mismatch: trailing slash, other host, other case */
    const char *others[] = {ISS "/", "https://op.example.evil", "https://OP.example"};
    for (size_t i = 0; i < 3; i++) {
        assert_false(mz_oidc_discovery_parse(k_discovery, strlen(k_discovery), others[i], &p, err,
                                             sizeof err));
        assert_string_equal(err, "discovery issuer does not equal the configured issuer");
        assert_null(p.issuer);
    }
    /* edits of one member, each refused */
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"\"token_endpoint\":\"" ISS "/token\",", ""},
        {"\"jwks_uri\":\"" ISS "/jwks\"", "\"jwks_uri\":\"http://op.example/jwks\""},
        {"\"jwks_uri\":\"" ISS "/jwks\"", "\"jwks_uri\":\"https://u@op.example/jwks\""},
        {"[\"S256\"]", "[\"plain\"]"},
        {"[\"PS256\",\"RS256\",\"ES256\",\"HS256\",\"none\"]", "[\"HS256\",\"none\"]"},
        {"[\"PS256\",\"ES256\"]", "\"PS256\""},
        {"\"end_session_endpoint\":\"" ISS "/session/end\"", "\"end_session_endpoint\":7"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        mz_buf b = MZ_BUF_INIT;
        const char *at = strstr(k_discovery, edits[i].from);
        assert_non_null(at);
        mz_buf_append(&b, k_discovery, (size_t)(at - k_discovery));
        mz_buf_puts(&b, edits[i].to);
        mz_buf_puts(&b, at + strlen(edits[i].from));
        assert_false(mz_oidc_discovery_parse(b.data, b.len, ISS, &p, err, sizeof err));
        mz_buf_free(&b);
    }
    /* http is fine for a loopback issuer (tests, demo), not for another */
    const char *local = "{\"issuer\":\"http://127.0.0.1:9090\",\"authorization_endpoint\":"
                        "\"http://127.0.0.1:9090/auth\",\"token_endpoint\":\"http://localhost:9090/"
                        "token\",\"jwks_uri\":\"http://[::1]:9090/jwks\","
                        "\"id_token_signing_alg_values_supported\":[\"RS256\"],"
                        "\"code_challenge_methods_supported\":[\"S256\"]}";
    assert_true(mz_oidc_discovery_parse(local, strlen(local), "http://127.0.0.1:9090", &p, err,
                                        sizeof err));
    assert_int_equal(p.auth_methods, MZ_OIDC_AUTH_CLIENT_SECRET_BASIC); /* the spec's default */
    mz_oidc_provider_clear(&p);
    assert_false(mz_oidc_url_ok("http://op.example", true));
    assert_false(mz_oidc_url_ok("http://127.0.0.1.evil.example/", true));
    assert_false(mz_oidc_url_ok("http://localhost@evil.example/", true));
    assert_false(mz_oidc_url_ok("https://op.example/#x", false));
    assert_true(mz_oidc_url_ok("https://op.example:8443/x?y=1", false));
    /* oversized */
    char *big = mz_xmalloc(MZ_OIDC_MAX_DISCOVERY + 2);
    memset(big, ' ', MZ_OIDC_MAX_DISCOVERY + 1);
    big[MZ_OIDC_MAX_DISCOVERY + 1] = '\0';
    assert_false(mz_oidc_discovery_parse(big, strlen(big), ISS, &p, err, sizeof err));
    free(big);
}

/* --- 4. ID tokens */

/* Claims with one member replaced or removed: base has every member; edit
 * "name" → value (NULL removes it; value is raw JSON). */
static char *claims(const char *edit, const char *value, const char *extra)
{
    static const char *names[] = {"iss", "aud", "sub", "exp", "iat", "nonce", "acr", "bsn"};
    char defaults[8][64];
    snprintf(defaults[0], 64, "\"%s\"", ISS);
    snprintf(defaults[1], 64, "\"%s\"", CID);
    snprintf(defaults[2], 64, "\"subject-1\"");
    snprintf(defaults[3], 64, "%lld", NOW + 300);
    snprintf(defaults[4], 64, "%lld", NOW - 5);
    snprintf(defaults[5], 64, "\"%s\"", NONCE);
    snprintf(defaults[6], 64, "\"urn:nl:digid:substantieel\"");
    snprintf(defaults[7], 64, "\"999993653\"");
    mz_buf b = MZ_BUF_INIT;
    mz_buf_putc(&b, '{');
    bool first = true;
    for (size_t i = 0; i < 8; i++) {
        bool this = edit && strcmp(edit, names[i]) == 0;
        if (this && !value)
            continue;
        mz_buf_printf(&b, "%s\"%s\":%s", first ? "" : ",", names[i], this ? value : defaults[i]);
        first = false;
    }
    mz_buf_puts(&b, extra ? extra : "");
    mz_buf_putc(&b, '}');
    return mz_buf_steal(&b, NULL);
}

static const char *verify(const mz_oidc_rp *rp, const char *tok, mz_jwks_cache *c,
                          mz_oidc_principal *p)
{
    const char *why = NULL;
    bool ok = mz_oidc_verify_id_token(rp, &g_op, c, tok, strlen(tok), NONCE, NOW, p, &why);
    assert_true(ok == (why == NULL));
    return why;
}

static void test_id_token_valid(void **state)
{
    (void)state;
    mz_jwks_cache *c = mz_jwks_cache_new(ISS "/jwks", fetch, NULL, 60);
    char *cl = claims(NULL, NULL, ",\"sid\":\"s-1\"");
    mz_oidc_principal p;
    char *t = tk_token("{\"alg\":\"PS256\",\"kid\":\"rsa1\"}", cl, g_rsa, "PS256", TK_REAL);
    assert_null(verify(&g_cit, t, c, &p));
    assert_true(p.has_bsn);
    assert_string_equal(p.bsn, "999993653");
    assert_string_equal(p.sub, "subject-1");
    assert_string_equal(p.sid, "s-1");
    assert_string_equal(p.acr, "urn:nl:digid:substantieel");
    assert_int_equal(p.exp, NOW + 300);
    assert_int_equal(p.roles, 0);
    free(t);
    t = tk_token("{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":\"JWT\"}", cl, g_ec, "ES256", TK_REAL);
    assert_null(verify(&g_cit, t, c, &p));
    free(t);
    t = tk_token("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}", cl, g_rsa, "RS256", TK_REAL);
    assert_null(verify(&g_cit, t, c, &p));
    free(t);
    /* the bad-token table at the signature level */
    static const struct {
        const char *hdr, *alg;
        enum tk_sig how;
        const char *why;
    } bad[] = {
        {"{\"alg\":\"none\"}", "none", TK_NONE, "token has an empty part"},
        {"{\"alg\":\"none\",\"kid\":\"rsa1\"}", "RS256", TK_REAL, "token algorithm not accepted"},
        {"{\"alg\":\"HS256\",\"kid\":\"rsa1\"}", "HS256", TK_HS256_PUBKEY,
         "token algorithm not accepted"},
        {"{\"alg\":\"ES256\",\"kid\":\"ec1\"}", "ES256", TK_ES_DER,
         "token signature is not a raw ES256 signature"},
        {"{\"alg\":\"ES256\",\"kid\":\"rsa1\"}", "ES256", TK_REAL,
         "token algorithm does not fit its key"},
        {"{\"alg\":\"RS256\"}", "RS256", TK_REAL,
         "token has no kid and the provider has several keys"},
        {"{\"alg\":\"RS256\",\"kid\":\"nope\"}", "RS256", TK_REAL, "token key id unknown"},
        {"{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"typ\":\"logout+jwt\"}", "RS256", TK_REAL,
         "a logout token is not an ID token"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        EVP_PKEY *k = strcmp(bad[i].alg, "ES256") == 0 ? g_ec : g_rsa;
        t = tk_token(bad[i].hdr, cl, k, bad[i].alg, bad[i].how);
        const char *why = verify(&g_cit, t, c, &p);
        assert_non_null(why);
        assert_string_equal(why, bad[i].why);
        assert_false(p.has_bsn);
        free(t);
    }
    free(cl);
    mz_jwks_cache_free(c);
}

static void test_id_token_claims_table(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value, *extra, *why;
    } bad[] = {
        {"iss", NULL, NULL, "token issuer not accepted"},
        {"iss", "\"https://op.example/\"", NULL, "token issuer not accepted"},
        {"aud", NULL, NULL, "token audience not accepted"},
        {"aud", "\"someone-else\"", NULL, "token audience not accepted"},
        {"aud", "[\"someone-else\",7]", NULL, "token audience not accepted"},
        {"aud", "[\"" CID "\",\"other\"]", NULL, "token authorized party (azp) not accepted"},
        {"aud", "[\"" CID "\",\"other\"]", ",\"azp\":\"other\"",
         "token authorized party (azp) not accepted"},
        {NULL, NULL, ",\"azp\":\"other\"", "token authorized party (azp) not accepted"},
        {"exp", NULL, NULL, "token exp claim missing or not a number"},
        {"exp", "1799999940", NULL, "token expired"},
        {"exp", "\"1800000300\"", NULL, "token exp claim missing or not a number"},
        {"iat", "1800000061", NULL, "token issued in the future (iat)"},
        {"iat", "1799999399", NULL, "token issued too long ago (iat)"},
        {"iat", NULL, NULL, "token iat claim missing or not a number"},
        {NULL, NULL, ",\"nbf\":1800000061", "token not yet valid (nbf)"},
        {"nonce", NULL, NULL, "token nonce does not match"},
        {"nonce", "\"n-0S6_WzA2Mk\"", NULL, "token nonce does not match"},
        {"nonce", "\"n-0S6_WzA2Mj \"", NULL, "token nonce does not match"},
        {"sub", NULL, NULL, "token has no usable sub"},
        {"sub", "\"\"", NULL, "token has no usable sub"},
        {"acr", NULL, NULL, "assurance level (acr) not accepted"},
        {"acr", "\"urn:nl:digid:basis\"", NULL, "assurance level (acr) not accepted"},
        {"acr", "\"urn:nl:digid:Substantieel\"", NULL, "assurance level (acr) not accepted"},
        {"bsn", NULL, NULL, "token has no valid BSN"},
        {"bsn", "\"999993654\"", NULL, "token BSN claim is not a valid BSN"},
        {"bsn", "999993653", NULL, "token BSN claim is not a valid BSN"},
        {"bsn", "\"99999365\"", NULL, "token BSN claim is not a valid BSN"},
        {"bsn", "\"000000000\"", NULL, "token BSN claim is not a valid BSN"},
        {"bsn", "\"999993654\"", ",\"kvk\":\"12345678\"", "token BSN claim is not a valid BSN"},
        {NULL, NULL, ",\"act\":{\"bsn\":\"123\"}", "token act claim has no valid BSN"},
        {NULL, NULL, ",\"iss\":\"" ISS "\"", "token claims are not a JSON object"}, /* duplicate */
    };
    mz_oidc_principal p;
    const char *why;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *cl = claims(bad[i].name, bad[i].value, bad[i].extra);
        why = NULL;
        bool ok = mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why);
        if (ok || strcmp(why, bad[i].why) != 0)
            fail_msg("case %zu (%s): %s", i, cl, ok ? "accepted" : why);
        assert_false(p.has_bsn);
        assert_false(mz_contains_bsn_like(why, strlen(why)));
        free(cl);
    }
    /* the boundaries that pass */
    const char *good[][3] = {
        {"exp", "1799999941", NULL},
        {"iat", "1800000060", NULL},
        {"iat", "1799999400", NULL},
        {"aud", "[\"" CID "\",\"other\"]", ",\"azp\":\"" CID "\""},
        {"aud", "[\"" CID "\"]", NULL},
        {"bsn", NULL, ",\"kvk\":\"12345678\""},
        {NULL, NULL, ",\"act\":{\"bsn\":\"111222333\"},\"nbf\":1800000060"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char *cl = claims(good[i][0], good[i][1], good[i][2]);
        why = NULL;
        if (!mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why))
            fail_msg("good case %zu (%s): %s", i, cl, why);
        free(cl);
    }
    char *cl = claims("bsn", NULL, ",\"kvk\":\"12345678\"");
    assert_true(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_true(p.has_kvk && !p.has_bsn);
    assert_string_equal(p.kvk, "12345678");
    free(cl);
    /* no stored nonce is never a match */
    cl = claims(NULL, NULL, NULL);
    assert_false(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), "", NOW, &p, &why));
    assert_false(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NULL, NOW, &p, &why));
    free(cl);
}

/* Issue 14: several authorisations (`represents`) and the scope of one
 * (`authorization` with `act`): each bad entry refuses the whole sign-in
 * with a reason that names no number. */
static void test_represents_claims(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value, *extra, *why;
    } bad[] = {
        {NULL, NULL, ",\"represents\":[]", "token represents claim is not a non-empty array"},
        {NULL, NULL, ",\"represents\":{\"bsn\":\"999990019\"}",
         "token represents claim is not a non-empty array"},
        {NULL, NULL, ",\"represents\":[\"999990019\"]",
         "token represents claim holds something that is not an object"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999990018\"}]",
         "token represents claim has an entry without a valid BSN"},
        {NULL, NULL, ",\"represents\":[{\"kvk\":\"1234567\"}]",
         "token represents claim has an entry without a valid KVK number"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999990019\",\"kvk\":\"12345678\"}]",
         "token represents claim: each entry names one bsn or kvk (and a scope)"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999990019\",\"name\":\"x\"}]",
         "token represents claim: each entry names one bsn or kvk (and a scope)"},
        {NULL, NULL, ",\"represents\":[{\"scope\":{\"agencies\":[\"uwv\"]}}]",
         "token represents claim: each entry names one bsn or kvk (and a scope)"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999993653\"}]",
         "token represents claim names the signed-in person (representation of oneself)"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999990019\"},{\"bsn\":\"999990019\"}]",
         "token represents claim names a subject twice"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999990019\",\"scope\":{\"agencies\":[]}}]",
         "token authorisation scope is empty"},
        {NULL, NULL,
         ",\"represents\":[{\"bsn\":\"999990019\",\"scope\":{\"agencies\":[\"Bad Id\"]}}]",
         "token authorisation scope holds something that is not an agency id"},
        {NULL, NULL, ",\"represents\":[{\"bsn\":\"999990019\",\"scope\":[\"uwv\"]}]",
         "token authorisation scope must be {\"agencies\": [agency ids]}"},
        {"bsn", NULL, ",\"kvk\":\"12345678\",\"represents\":[{\"bsn\":\"999990019\"}]",
         "token represents claim without the representative's own BSN"},
        {NULL, NULL, ",\"act\":{\"bsn\":\"999990019\"},\"represents\":[{\"bsn\":\"999990032\"}]",
         "token has both an act and a represents claim"},
        {NULL, NULL, ",\"authorization\":{\"agencies\":[\"uwv\"]}",
         "token authorization claim needs an act claim"},
        {NULL, NULL, ",\"act\":{\"bsn\":\"999990019\"},\"authorization\":{\"agencies\":\"uwv\"}",
         "token authorisation scope must be {\"agencies\": [agency ids]}"},
    };
    mz_oidc_principal p;
    const char *why;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *cl = claims(bad[i].name, bad[i].value, bad[i].extra);
        why = NULL;
        bool ok = mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why);
        if (ok || strcmp(why, bad[i].why) != 0)
            fail_msg("case %zu (%s): %s", i, cl, ok ? "accepted" : why);
        assert_false(p.has_bsn);
        assert_int_equal(p.n_represents, 0);
        assert_false(mz_contains_bsn_like(why, strlen(why)));
        free(cl);
    }
    /* 21 authorisations: too many; 20 pass */
    mz_buf b = MZ_BUF_INIT;
    mz_buf_puts(&b, ",\"represents\":[");
    for (int i = 0; i < 21; i++)
        mz_buf_printf(&b, "%s{\"kvk\":\"900000%02d\"}", i ? "," : "", i);
    mz_buf_putc(&b, ']');
    char *extra = mz_buf_steal(&b, NULL);
    char *cl = claims(NULL, NULL, extra);
    assert_false(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_string_equal(why, "token represents claim names too many subjects");
    free(cl);
    strcpy(strstr(extra, ",{\"kvk\":\"90000020\"}"), "]");
    cl = claims(NULL, NULL, extra);
    assert_true(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_int_equal(p.n_represents, 20);
    free(cl);
    free(extra);
    /* a good one: the signed-in person is the actor; kinds and scopes kept */
    cl = claims(NULL, NULL,
                ",\"represents\":[{\"bsn\":\"999990019\"},{\"kvk\":\"90000001\",\"scope\":"
                "{\"agencies\":[\"gemeente-voorbeeld\",\"uwv\"]}}]");
    assert_true(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_true(p.has_actor);
    assert_string_equal(p.actor_bsn, "999993653");
    assert_int_equal(p.n_represents, 2);
    assert_false(p.represents[0].kvk);
    assert_string_equal(p.represents[0].id, "999990019");
    assert_false(p.represents[0].has_scope);
    assert_true(p.represents[1].kvk);
    assert_string_equal(p.represents[1].id, "90000001");
    assert_true(p.represents[1].has_scope);
    assert_string_equal(p.represents[1].scope, "gemeente-voorbeeld,uwv");
    free(cl);
    /* act with its scope */
    cl = claims(NULL, NULL,
                ",\"act\":{\"bsn\":\"999990019\"},\"authorization\":{\"agencies\":[\"duo\"]}");
    assert_true(mz_oidc_check_id_claims(&g_cit, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_true(p.has_actor && p.has_scope);
    assert_string_equal(p.scope, "duo");
    assert_int_equal(p.n_represents, 0);
    free(cl);
}

static void test_professional_mapping(void **state)
{
    (void)state;
    mz_oidc_principal p;
    const char *why;
    char *cl = claims("acr", "\"urn:staff:mfa\"",
                      ",\"groups\":[\"x\",\"kcc-medewerker\"],\"organisation\":\"Gemeente A\"");
    assert_true(mz_oidc_check_id_claims(&g_pro, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_int_equal(p.roles, MZ_ROLE_PROFESSIONAL);
    assert_string_equal(p.org, "Gemeente A");
    assert_false(p.has_bsn); /* a professional's token BSN is never read */
    assert_int_equal(p.kind, MZ_OIDC_PROFESSIONAL);
    free(cl);
    cl = claims("acr", "\"urn:staff:mfa\"", ",\"groups\":\"beheer\",\"organisation\":\"G\"");
    assert_true(mz_oidc_check_id_claims(&g_pro, cl, strlen(cl), NONCE, NOW, &p, &why));
    assert_int_equal(p.roles, MZ_ROLE_ADMIN);
    free(cl);
    const char *bad[][2] = {
        {",\"groups\":[\"professional\",\"admin\"],\"organisation\":\"G\"",
         "no role of the user is mapped to access"},
        {",\"roles\":[\"kcc-medewerker\"],\"organisation\":\"G\"",
         "no role of the user is mapped to access"},
        {",\"organisation\":\"G\"", "no role of the user is mapped to access"},
        {",\"groups\":[\"beheer\"]", "token has no organisation"},
        {",\"groups\":[\"beheer\"],\"organisation\":\"\"", "token has no organisation"},
        {",\"groups\":[\"beheer\"],\"organisation\":[\"G\"]", "token has no organisation"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cl = claims("acr", "\"urn:staff:mfa\"", bad[i][0]);
        why = NULL;
        assert_false(mz_oidc_check_id_claims(&g_pro, cl, strlen(cl), NONCE, NOW, &p, &why));
        assert_string_equal(why, bad[i][1]);
        assert_int_equal(p.roles, 0);
        free(cl);
    }
}

static void test_rp_config(void **state)
{
    (void)state;
    assert_string_equal(g_cit.redirect_uri, "https://mijnzaken.example/auth/citizen/callback");
    assert_string_equal(g_pro.redirect_uri, "https://mijnzaken.example/auth/professional/callback");
    assert_string_equal(g_cit.scopes, "openid");
    assert_int_equal(g_cit.n_acr, 2);
    mz_oidc_rp rp;
    char err[256];
    const mz_oidc_rp_config bad[] = {
        {MZ_OIDC_CITIZEN, ISS, CID, "https://m.example", NULL, "", NULL}, /* empty acr set */
        {MZ_OIDC_CITIZEN, ISS, CID, "https://m.example", NULL, "  ", NULL},
        {MZ_OIDC_CITIZEN, ISS, CID, "https://m.example", "profile", "a", NULL}, /* no openid */
        {MZ_OIDC_CITIZEN, "http://op.example", CID, "https://m.example", NULL, "a", NULL},
        {MZ_OIDC_CITIZEN, ISS, "", "https://m.example", NULL, "a", NULL},
        {MZ_OIDC_CITIZEN, ISS, CID, "", NULL, "a", NULL},
        {MZ_OIDC_CITIZEN, ISS, CID, "https://m.example", NULL, "a", "[]"},
        {MZ_OIDC_CITIZEN, ISS, CID, "https://m.example", NULL, "a", "{\"bsn\":1}"},
        {MZ_OIDC_PROFESSIONAL, ISS, CID, "https://m.example", NULL, "a",
         "{\"roleMap\":{\"x\":\"root\"}}"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (mz_oidc_rp_init(&rp, &bad[i], err, sizeof err))
            fail_msg("bad config %zu accepted", i);
        assert_null(rp.client_id);
    }
    const mz_oidc_rp_config local = {MZ_OIDC_CITIZEN,           "http://127.0.0.1:9090", CID,
                                     "http://localhost:8080",   "openid profile",        "x",
                                     "{\"bsn\":\"urn:nl:bsn\"}"};
    assert_true(mz_oidc_rp_init(&rp, &local, err, sizeof err));
    assert_string_equal(rp.redirect_uri, "http://localhost:8080/auth/citizen/callback");
    assert_string_equal(rp.claim_bsn, "urn:nl:bsn");
    assert_string_equal(rp.claim_org, "org");
    mz_oidc_rp_clear(&rp);
}

/* --- 5. PKCE, state, nonce, the authorization URL */

static void test_pkce(void **state)
{
    (void)state;
    /* RFC 7636 appendix B */
    char ch[MZ_OIDC_RANDOM_LEN + 1];
    const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_true(mz_oidc_pkce_challenge(v, strlen(v), ch));
    assert_string_equal(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_false(mz_oidc_pkce_challenge(v, 42, ch));
    char longv[130];
    memset(longv, 'a', 129);
    longv[129] = '\0';
    assert_false(mz_oidc_pkce_challenge(longv, 129, ch));
    assert_true(mz_oidc_pkce_challenge(longv, 128, ch));
    assert_false(mz_oidc_pkce_challenge("dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 43, ch));
    char ver[MZ_OIDC_RANDOM_LEN + 1], ch2[MZ_OIDC_RANDOM_LEN + 1];
    mz_oidc_pkce_new(ver, ch);
    assert_int_equal(strlen(ver), 43);
    assert_true(mz_oidc_pkce_challenge(ver, 43, ch2));
    assert_string_equal(ch, ch2);
    char s1[MZ_OIDC_RANDOM_LEN + 1], s2[MZ_OIDC_RANDOM_LEN + 1];
    mz_oidc_random(s1);
    mz_oidc_random(s2);
    assert_int_equal(strlen(s1), 43); /* 256 bits */
    assert_string_not_equal(s1, s2);
}

static void test_authorize_url(void **state)
{
    (void)state;
    char *u = mz_oidc_authorize_url(&g_cit, &g_op, "st-1", "no+1", "E9Mel");
    assert_string_equal(u, ISS "/auth?response_type=code&client_id=mijnzaken-citizen"
                               "&redirect_uri=https%3A%2F%2Fmijnzaken.example%2Fauth%2Fcitizen%2F"
                               "callback&scope=openid&state=st-1&nonce=no%2B1"
                               "&code_challenge=E9Mel&code_challenge_method=S256"
                               "&acr_values=urn%3Anl%3Adigid%3Asubstantieel%20urn%3Anl%3Adigid%"
                               "3Ahoog");
    free(u);
    mz_oidc_provider q = g_op;
    q.authorization_endpoint = ISS "/auth?tenant=a";
    u = mz_oidc_authorize_url(&g_pro, &q, "s", "n", "c");
    assert_non_null(strstr(u, "/auth?tenant=a&response_type=code&"));
    assert_non_null(strstr(u, "&scope=openid%20profile&"));
    free(u);
    assert_null(mz_oidc_authorize_url(&g_cit, &g_op, "", "n", "c"));
    assert_null(mz_oidc_authorize_url(&g_cit, &g_op, "s", NULL, "c"));
}

/* --- 6. client authentication, token request and response */

static void test_client_assertion(void **state)
{
    (void)state;
    EVP_PKEY *keys[] = {g_rsa, g_ec};
    unsigned want[] = {MZ_JWS_PS256, MZ_JWS_ES256};
    for (size_t i = 0; i < 2; i++) {
        char *a =
            mz_oidc_client_assertion(CID, ISS "/token", keys[i], g_op.token_auth_algs, "ck", NOW);
        assert_non_null(a);
        mz_jws j;
        const char *why;
        assert_true(mz_jws_parse(a, strlen(a), want[i], &j, &why));
        assert_true(mz_jws_verify(&j, keys[i], &why)); /* with the public half */
        char *exp = NULL;
        mz_buf b = MZ_BUF_INIT;
        mz_buf_printf(&b, "\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":\"%s\",\"jti\":\"", CID, CID,
                      ISS "/token");
        exp = mz_buf_steal(&b, NULL);
        assert_non_null(strstr(j.payload, exp));
        char tail[64];
        snprintf(tail, sizeof tail, "\"iat\":%lld,\"exp\":%lld}", NOW, NOW + 120);
        assert_non_null(strstr(j.payload, tail));
        assert_string_equal(j.kid, "ck");
        free(exp);
        mz_jws_clear(&j);
        free(a);
    }
    /* RS256 when the OP does not take PS256; nothing when nothing fits */
    assert_int_equal(mz_oidc_assertion_alg(g_rsa, MZ_JWS_RS256 | MZ_JWS_ES256), MZ_JWS_RS256);
    assert_int_equal(mz_oidc_assertion_alg(g_ec, MZ_JWS_RS256 | MZ_JWS_PS256), 0);
    assert_null(mz_oidc_client_assertion(CID, ISS "/token", g_ec, MZ_JWS_RS256, NULL, NOW));
    /* the PEM loader */
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, g_ec, NULL, NULL, 0, NULL, NULL);
    char *pem;
    long pl = BIO_get_mem_data(bio, &pem);
    EVP_PKEY *k = mz_oidc_client_key_load(pem, (size_t)pl);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_eq(k, g_ec), 1);
    EVP_PKEY_free(k);
    BIO_free(bio);
    assert_null(mz_oidc_client_key_load("-----BEGIN PRIVATE KEY-----\n", 28));
}

static void test_secret_basic_and_body(void **state)
{
    (void)state;
    char *h = mz_oidc_client_secret_basic("my client", "s3:cr%t");
    /* base64("my+client:s3%3Acr%25t") */
    assert_string_equal(h, "Basic bXkrY2xpZW50OnMzJTNBY3IlMjV0");
    free(h);
    char *b = mz_oidc_token_request_body(&g_cit, "c/1 2", "ver", "a.b.c");
    assert_string_equal(b, "grant_type=authorization_code&code=c%2F1+2&redirect_uri="
                           "https%3A%2F%2Fmijnzaken.example%2Fauth%2Fcitizen%2Fcallback"
                           "&code_verifier=ver&client_id=mijnzaken-citizen&client_assertion_type="
                           "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                           "&client_assertion=a.b.c");
    free(b);
    b = mz_oidc_token_request_body(&g_cit, "c", "v", NULL);
    assert_null(strstr(b, "client_"));
    free(b);
    assert_null(mz_oidc_token_request_body(&g_cit, "", "v", NULL));
}

static void test_token_response(void **state)
{
    (void)state;
    mz_oidc_tokens t;
    const char *why;
    const char *ok = "{\"access_token\":\"at\",\"token_type\":\"bearer\",\"expires_in\":300,"
                     "\"id_token\":\"a.b.c\",\"scope\":\"openid\"}";
    assert_true(mz_oidc_token_response_parse(ok, strlen(ok), &t, &why));
    assert_string_equal(t.id_token, "a.b.c");
    assert_string_equal(t.access_token, "at");
    assert_int_equal(t.expires_in, 300);
    mz_oidc_tokens_clear(&t);
    const char *bad[] = {
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}",
        "{\"access_token\":\"at\",\"token_type\":\"MAC\",\"id_token\":\"a.b.c\"}",
        "{\"token_type\":\"Bearer\",\"id_token\":\"a.b.c\"}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":7}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":\"a\",\"expires_in\":"
        "\"x\"}",
        "{\"error\":\"invalid_grant\"}",
        "[]",
        "{\"access_token\":\"at\",",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(mz_oidc_token_response_parse(bad[i], strlen(bad[i]), &t, &why));
        assert_null(t.id_token);
    }
    char *big = mz_xmalloc(MZ_OIDC_MAX_TOKEN_RESP + 10);
    memset(big, ' ', MZ_OIDC_MAX_TOKEN_RESP + 9);
    memcpy(big, ok, strlen(ok));
    big[MZ_OIDC_MAX_TOKEN_RESP + 9] = '\0';
    assert_false(mz_oidc_token_response_parse(big, strlen(big), &t, &why));
    assert_string_equal(why, "token response missing or too large");
    free(big);
}

/* --- 7. logout tokens */

static char *logout_claims(const char *extra, bool events)
{
    mz_buf b = MZ_BUF_INIT;
    mz_buf_printf(
        &b, "{\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%lld,\"jti\":\"j1\"%s%s}", ISS, CID, NOW - 2,
        events ? ",\"events\":{\"http://schemas.openid.net/event/backchannel-logout\":{}}" : "",
        extra);
    return mz_buf_steal(&b, NULL);
}

static void test_logout_token(void **state)
{
    (void)state;
    mz_jwks_cache *c = mz_jwks_cache_new(ISS "/jwks", fetch, NULL, 60);
    mz_oidc_logout lo;
    const char *why;
    char *cl = logout_claims(",\"sid\":\"s-1\",\"sub\":\"subject-1\"", true);
    char *t = tk_token("{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":\"logout+jwt\"}", cl, g_ec,
                       "ES256", TK_REAL);
    assert_true(mz_oidc_verify_logout_token(&g_cit, &g_op, c, t, strlen(t), NOW, &lo, &why));
    assert_string_equal(lo.sid, "s-1");
    assert_string_equal(lo.sub, "subject-1");
    assert_string_equal(lo.jti, "j1");
    free(t);
    t = tk_token("{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":\"at+jwt\"}", cl, g_ec, "ES256",
                 TK_REAL);
    assert_false(mz_oidc_verify_logout_token(&g_cit, &g_op, c, t, strlen(t), NOW, &lo, &why));
    free(t);
    t = tk_token("{\"alg\":\"none\"}", cl, g_ec, "none", TK_NONE);
    assert_false(mz_oidc_verify_logout_token(&g_cit, &g_op, c, t, strlen(t), NOW, &lo, &why));
    free(t);
    free(cl);
    static const struct {
        const char *extra;
        bool events;
        const char *why;
    } bad[] = {
        {",\"sid\":\"s\"", false, "logout token has no back-channel logout event"},
        {",\"sid\":\"s\",\"events\":{\"other\":{}}", false,
         "logout token has no back-channel logout event"},
        {",\"sid\":\"s\",\"nonce\":\"" NONCE "\"", true, "logout token must not carry a nonce"},
        {"", true, "logout token has neither sub nor sid"},
        {",\"sid\":\"s\",\"exp\":1799999900", true, "token expired"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cl = logout_claims(bad[i].extra, bad[i].events);
        why = NULL;
        assert_false(mz_oidc_check_logout_claims(&g_cit, cl, strlen(cl), NOW, &lo, &why));
        assert_string_equal(why, bad[i].why);
        free(cl);
    }
    /* an ID token (with its nonce) replayed as a logout token */
    cl = claims(NULL, NULL,
                ",\"events\":{\"http://schemas.openid.net/event/backchannel-logout\""
                ":{}},\"jti\":\"j\"");
    assert_false(mz_oidc_check_logout_claims(&g_cit, cl, strlen(cl), NOW, &lo, &why));
    assert_string_equal(why, "logout token must not carry a nonce");
    free(cl);
    /* wrong audience / issuer / old */
    cl = logout_claims(",\"sid\":\"s\"", true);
    assert_false(mz_oidc_check_logout_claims(&g_cit, cl, strlen(cl), NOW + 601, &lo, &why));
    assert_string_equal(why, "token issued too long ago (iat)");
    free(cl);
    mz_jwks_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_id_token_valid),
        cmocka_unit_test(test_id_token_claims_table),
        cmocka_unit_test(test_represents_claims),
        cmocka_unit_test(test_professional_mapping),
        cmocka_unit_test(test_rp_config),
        cmocka_unit_test(test_pkce),
        cmocka_unit_test(test_authorize_url),
        cmocka_unit_test(test_client_assertion),
        cmocka_unit_test(test_secret_basic_and_body),
        cmocka_unit_test(test_token_response),
        cmocka_unit_test(test_logout_token),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
