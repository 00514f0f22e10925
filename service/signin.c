/*
 * signin.c — the running relying party (see signin.h).
 */
#include "signin.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "outbound.h"

#define DISCOVERY_RETRY_SECONDS 5

typedef struct rp_state {
    bool enabled;
    mz_oidc_rp rp;
    EVP_PKEY *client_key; /* private_key_jwt, or NULL */
    char *client_secret;  /* client_secret_basic, or NULL */
    pthread_mutex_t mu;
    atomic_bool ready;   /* op and keys are set and read-only from then on */
    int64_t last_try;    /* under mu */
    mz_oidc_provider op; /* valid once ready */
    mz_jwks_cache *keys; /* valid once ready */
} rp_state;

static rp_state g_rp[2];
static char g_origin[300];
static atomic_ullong g_count[2][MZ_SIGNIN__COUNT];

static const char *const k_slugs[MZ_SIGNIN__COUNT] = {
    [MZ_SIGNIN_OK] = "ok",
    [MZ_SIGNIN_CANCELLED] = "cancelled",
    [MZ_SIGNIN_ACR_TOO_LOW] = "acr_too_low",
    [MZ_SIGNIN_NO_ACCESS] = "no_access",
    [MZ_SIGNIN_EXPIRED_STATE] = "expired_state",
    [MZ_SIGNIN_OP_UNAVAILABLE] = "op_unavailable",
    [MZ_SIGNIN_INVALID_RESPONSE] = "invalid_response",
    [MZ_SIGNIN_OP_ERROR] = "op_error",
    [MZ_SIGNIN_SERVICE_ERROR] = "service_error",
};

const char *mz_signin_outcome_slug(mz_signin_outcome o)
{
    return (unsigned)o < MZ_SIGNIN__COUNT ? k_slugs[o] : "service_error";
}

static const mz_config_oidc *cfg_of(mz_oidc_kind k)
{
    return k == MZ_OIDC_CITIZEN ? &g_mz_config.oidc_citizen : &g_mz_config.oidc_professional;
}

static const char *upper(mz_oidc_kind k)
{
    return k == MZ_OIDC_CITIZEN ? "CITIZEN" : "PROFESSIONAL";
}

bool mz_signin_enabled(mz_oidc_kind kind)
{
    return g_rp[kind].enabled;
}

bool mz_signin_any(void)
{
    return g_rp[0].enabled || g_rp[1].enabled;
}

bool mz_signin_kind_parse(const char *s, mz_oidc_kind *out)
{
    if (s && strcmp(s, "citizen") == 0)
        *out = MZ_OIDC_CITIZEN;
    else if (s && strcmp(s, "professional") == 0)
        *out = MZ_OIDC_PROFESSIONAL;
    else
        return false;
    return true;
}

static bool g_dev_sessions;

bool mz_signin_sessions(void)
{
    return mz_signin_any() || g_dev_sessions;
}

const char *mz_signin_origin(void)
{
    return g_origin;
}

const char *mz_signin_eherkenning_scope(void)
{
    const char *s = g_mz_config.oidc_eherkenning_scope;
    return g_rp[MZ_OIDC_CITIZEN].enabled && s && *s ? s : NULL;
}

/* One scope token (RFC 6749 3.3), kept to letters, digits and _.:/- */
static bool scope_token(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("_.:/-", s[i])))
            return false;
    return true;
}

/* MZ_PUBLIC_URL must be an origin: https://host[:port], or http on
 * localhost/127.0.0.1 (development), with at most a trailing '/'. */
static bool public_origin(const char *url, char *out, size_t outlen)
{
    size_t n = url ? strlen(url) : 0;
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n == 0 || n >= outlen)
        return false;
    bool https = strncmp(url, "https://", 8) == 0;
    const char *host = url + (https ? 8 : 7);
    if (!https && strncmp(url, "http://", 7) != 0)
        return false;
    if (memchr(host, '/', n - (size_t)(host - url)) || !mz_oidc_url_ok(url, true))
        return false;
    if (!https) {
        size_t hn = strcspn(host, ":/");
        bool dev = (hn == 9 && strncmp(host, "localhost", 9) == 0) ||
                   (hn == 9 && strncmp(host, "127.0.0.1", 9) == 0);
        if (!dev)
            return false;
    }
    snprintf(out, outlen, "%.*s", (int)n, url);
    return true;
}

static bool load_credentials(rp_state *s, const mz_config_oidc *c, mz_oidc_kind k, char *err,
                             size_t errlen)
{
    bool key = c->client_key_file && *c->client_key_file;
    bool secret = c->client_secret_file && *c->client_secret_file;
    if (key == secret) {
        snprintf(err, errlen,
                 "MZ_OIDC_%s: set exactly one of CLIENT_KEY_FILE (private_key_jwt) and "
                 "CLIENT_SECRET_FILE (client_secret_basic)",
                 upper(k));
        return false;
    }
    size_t len = 0;
    char *text = mz_read_file(key ? c->client_key_file : c->client_secret_file, &len, 64 * 1024);
    if (!text) {
        snprintf(err, errlen, "MZ_OIDC_%s_%s cannot be read", upper(k),
                 key ? "CLIENT_KEY_FILE" : "CLIENT_SECRET_FILE");
        return false;
    }
    if (key) {
        s->client_key = mz_oidc_client_key_load(text, len);
        OPENSSL_cleanse(text, len);
        free(text);
        if (!s->client_key) {
            snprintf(err, errlen,
                     "MZ_OIDC_%s_CLIENT_KEY_FILE is not a PEM private key (RSA >= 2048 bits or EC "
                     "P-256)",
                     upper(k));
            return false;
        }
        return true;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    if (len == 0) {
        free(text);
        snprintf(err, errlen, "MZ_OIDC_%s_CLIENT_SECRET_FILE is empty", upper(k));
        return false;
    }
    s->client_secret = text;
    return true;
}

/* GET the discovery document, parse it, make the key cache. Called with
 * s->mu held, only while !ready. */
static bool discover_locked(rp_state *s, mz_oidc_kind k)
{
    const char *iss = s->rp.issuer;
    size_t il = strlen(iss);
    char url[MZ_OIDC_MAX_URL + 64];
    snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration",
             (int)(il && iss[il - 1] == '/' ? il - 1 : il), iss);
    mz_outbound_opts o = {.bases = {iss, NULL},
                          .timeout_ms = g_mz_config.oidc_timeout_ms,
                          .max_response = MZ_OIDC_MAX_DISCOVERY,
                          .max_attempts = 1};
    mz_outbound *cli = mz_outbound_new(&o);
    mz_outbound_result r;
    memset(&r, 0, sizeof r);
    const char *hdrs[] = {"Accept: application/json", NULL};
    mz_outbound_status st =
        cli ? mz_outbound_request(cli, "GET", url, hdrs, NULL, 0, true,
                                  mz_outbound_now_ms() + g_mz_config.oidc_timeout_ms, &r)
            : MZ_OUT_REFUSED;
    char err[256] = "";
    bool ok = st == MZ_OUT_OK && r.status == 200 && r.body &&
              mz_oidc_discovery_parse(r.body, r.body_len, iss, &s->op, err, sizeof err);
    if (!ok && !err[0])
        snprintf(err, sizeof err, "%s", r.error[0] ? r.error : "the OP did not answer 200");
    mz_outbound_result_free(&r);
    mz_outbound_free(cli);
    if (!ok) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_WARN, "sign-in: OpenID provider metadata unavailable");
        mz_log_str(&l, "kind", mz_oidc_kind_name(k));
        mz_log_str(&l, "error", err);
        mz_log_end(&l);
        return false;
    }
    /* The OP's endpoints may resolve to internal addresses (a broker in
     * the same network, the local OP of tests and the demo): permit what
     * they resolve to now, as for an agency's configured bases. */
    mz_outbound_permit_base(s->op.token_endpoint);
    mz_outbound_permit_base(s->op.jwks_uri);
    s->keys = mz_jwks_cache_new(s->op.jwks_uri, NULL, NULL, g_mz_config.oidc_jwks_refetch_seconds);
    const char *why = NULL;
    /* warm the key cache (an unknown kid fetches anyway) */
    EVP_PKEY *warm = mz_jwks_cache_key(s->keys, "-", MZ_JWS_RS256, (int64_t)time(NULL), &why);
    EVP_PKEY_free(warm);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "sign-in: OpenID provider ready");
    mz_log_str(&l, "kind", mz_oidc_kind_name(k));
    mz_log_end(&l);
    atomic_store(&s->ready, true);
    return true;
}

bool mz_signin_provider(mz_oidc_kind kind, const mz_oidc_rp **rp, const mz_oidc_provider **op,
                        mz_jwks_cache **keys)
{
    rp_state *s = &g_rp[kind];
    if (!s->enabled)
        return false;
    *rp = &s->rp;
    if (!atomic_load(&s->ready)) {
        pthread_mutex_lock(&s->mu);
        int64_t now = (int64_t)time(NULL);
        if (!atomic_load(&s->ready) && now - s->last_try >= DISCOVERY_RETRY_SECONDS) {
            s->last_try = now;
            discover_locked(s, kind);
        }
        pthread_mutex_unlock(&s->mu);
        if (!atomic_load(&s->ready))
            return false;
    }
    *op = &s->op;
    *keys = s->keys;
    return true;
}

bool mz_signin_init(char *err, size_t errlen)
{
    g_dev_sessions = false;
    g_origin[0] = '\0';
    /* Development login sessions need the origin (Origin check, cookie
     * name) even when no OP is configured. */
    if (g_mz_config.dev_mode && g_mz_config.public_url && *g_mz_config.public_url) {
        if (!public_origin(g_mz_config.public_url, g_origin, sizeof g_origin)) {
            snprintf(err, errlen,
                     "MZ_PUBLIC_URL must be the portal's origin (https://host, or "
                     "http://localhost or http://127.0.0.1 with a port)");
            return false;
        }
        g_dev_sessions = true;
    }
    const char *eh = g_mz_config.oidc_eherkenning_scope;
    if (eh && *eh && (!scope_token(eh) || strcmp(eh, "openid") == 0)) {
        snprintf(err, errlen,
                 "MZ_OIDC_CITIZEN_EHERKENNING_SCOPE must be one scope (letters, "
                 "digits, _.:/-; not openid)");
        return false;
    }
    if (eh && *eh && !(g_mz_config.oidc_citizen.issuer && *g_mz_config.oidc_citizen.issuer)) {
        snprintf(err, errlen,
                 "MZ_OIDC_CITIZEN_EHERKENNING_SCOPE needs MZ_OIDC_CITIZEN_ISSUER "
                 "(eHerkenning goes through the citizens' OpenID provider)");
        return false;
    }
    for (int k = 0; k < 2; k++) {
        rp_state *s = &g_rp[k];
        memset(s, 0, sizeof *s);
        pthread_mutex_init(&s->mu, NULL);
        const mz_config_oidc *c = cfg_of((mz_oidc_kind)k);
        s->enabled = c->issuer && *c->issuer;
        if (!s->enabled)
            continue;
        if (!public_origin(g_mz_config.public_url, g_origin, sizeof g_origin)) {
            snprintf(err, errlen,
                     "MZ_PUBLIC_URL must be set to the portal's origin (https://host, or "
                     "http://localhost or http://127.0.0.1 with a port) when MZ_OIDC_%s_ISSUER "
                     "is set",
                     upper((mz_oidc_kind)k));
            return false;
        }
        mz_oidc_rp_config rc = {.kind = (mz_oidc_kind)k,
                                .issuer = c->issuer,
                                .client_id = c->client_id,
                                .public_url = g_origin,
                                .scopes = c->scopes,
                                .acr_values = c->acr_values,
                                .claims_json = c->claims};
        char why[200];
        if (!mz_oidc_rp_init(&s->rp, &rc, why, sizeof why)) {
            snprintf(err, errlen, "MZ_OIDC_%s_*: %s", upper((mz_oidc_kind)k), why);
            return false;
        }
        if (!load_credentials(s, c, (mz_oidc_kind)k, err, errlen))
            return false;
        mz_outbound_permit_base(s->rp.issuer);
        pthread_mutex_lock(&s->mu);
        s->last_try = (int64_t)time(NULL);
        discover_locked(s, (mz_oidc_kind)k);
        pthread_mutex_unlock(&s->mu);
    }
    return true;
}

void mz_signin_shutdown(void)
{
    for (int k = 0; k < 2; k++) {
        rp_state *s = &g_rp[k];
        if (!s->enabled)
            continue;
        mz_jwks_cache_free(s->keys);
        mz_oidc_provider_clear(&s->op);
        mz_oidc_rp_clear(&s->rp);
        EVP_PKEY_free(s->client_key);
        if (s->client_secret) {
            OPENSSL_cleanse(s->client_secret, strlen(s->client_secret));
            free(s->client_secret);
        }
        pthread_mutex_destroy(&s->mu);
        memset(s, 0, sizeof *s);
    }
}

mz_signin_outcome mz_signin_exchange(mz_oidc_kind kind, const char *code, const char *verifier,
                                     mz_oidc_tokens *tokens)
{
    memset(tokens, 0, sizeof *tokens);
    const mz_oidc_rp *rp;
    const mz_oidc_provider *op;
    mz_jwks_cache *keys;
    if (!mz_signin_provider(kind, &rp, &op, &keys))
        return MZ_SIGNIN_OP_UNAVAILABLE;
    rp_state *s = &g_rp[kind];
    char *assertion = NULL, *basic = NULL;
    if (s->client_key) {
        unsigned algs = op->token_auth_algs ? op->token_auth_algs : MZ_JWS_ALLOWED;
        assertion = mz_oidc_client_assertion(rp->client_id, op->token_endpoint, s->client_key, algs,
                                             NULL, (int64_t)time(NULL));
        if (!assertion || !(op->auth_methods & MZ_OIDC_AUTH_PRIVATE_KEY_JWT)) {
            free(assertion);
            mz_log_msg_str(MZ_LOG_WARN, "sign-in: the OP does not accept our private_key_jwt",
                           "kind", mz_oidc_kind_name(kind));
            return MZ_SIGNIN_INVALID_RESPONSE;
        }
    } else {
        basic = mz_oidc_client_secret_basic(rp->client_id, s->client_secret);
    }
    char *body = mz_oidc_token_request_body(rp, code, verifier, assertion);
    char authz[2048] = "";
    if (basic)
        snprintf(authz, sizeof authz, "Authorization: %s", basic);
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
                          "Accept: application/json", basic ? authz : NULL, NULL};
    mz_outbound_opts o = {.bases = {op->token_endpoint, NULL},
                          .timeout_ms = g_mz_config.oidc_timeout_ms,
                          .max_response = MZ_OIDC_MAX_TOKEN_RESP,
                          .max_attempts = 1};
    mz_outbound *cli = mz_outbound_new(&o);
    mz_outbound_result r;
    memset(&r, 0, sizeof r);
    mz_outbound_status st =
        cli && body
            ? mz_outbound_request(cli, "POST", op->token_endpoint, hdrs, body, strlen(body), false,
                                  mz_outbound_now_ms() + g_mz_config.oidc_timeout_ms, &r)
            : MZ_OUT_REFUSED;
    mz_signin_outcome out = MZ_SIGNIN_OK;
    const char *reason = NULL;
    if (st == MZ_OUT_TRANSPORT || st == MZ_OUT_DEADLINE || (st == MZ_OUT_OK && r.status >= 500))
        out = MZ_SIGNIN_OP_UNAVAILABLE, reason = "token endpoint unavailable or too slow";
    else if (st != MZ_OUT_OK)
        out = MZ_SIGNIN_INVALID_RESPONSE, reason = "token response refused (size or address)";
    else if (r.status != 200)
        out = MZ_SIGNIN_INVALID_RESPONSE, reason = "token endpoint refused the code";
    else if (!mz_oidc_token_response_parse(r.body, r.body_len, tokens, &reason))
        out = MZ_SIGNIN_INVALID_RESPONSE;
    if (out != MZ_SIGNIN_OK) {
        mz_logline l;
        mz_log_begin(&l, MZ_LOG_WARN, "sign-in: token request failed");
        mz_log_str(&l, "kind", mz_oidc_kind_name(kind));
        mz_log_str(&l, "reason", reason);
        mz_log_int(&l, "status", r.status);
        mz_log_end(&l);
    }
    if (r.body)
        OPENSSL_cleanse(r.body, r.body_len);
    mz_outbound_result_free(&r);
    mz_outbound_free(cli);
    if (body) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
    }
    free(assertion);
    if (basic) {
        OPENSSL_cleanse(basic, strlen(basic));
        OPENSSL_cleanse(authz, sizeof authz);
        free(basic);
    }
    return out;
}

mz_signin_outcome mz_signin_outcome_for(const char *reason)
{
    if (!reason)
        return MZ_SIGNIN_INVALID_RESPONSE;
    if (strstr(reason, "(acr)"))
        return MZ_SIGNIN_ACR_TOO_LOW;
    static const char *const no_access[] = {"BSN",        "no role",    "organisation",
                                            "act claim",  "represents", "authorisation",
                                            "KVK number", NULL};
    for (const char *const *p = no_access; *p; p++)
        if (strstr(reason, *p))
            return MZ_SIGNIN_NO_ACCESS;
    return MZ_SIGNIN_INVALID_RESPONSE;
}

void mz_signin_count(mz_oidc_kind kind, mz_signin_outcome o)
{
    if ((unsigned)kind < 2 && (unsigned)o < MZ_SIGNIN__COUNT)
        atomic_fetch_add_explicit(&g_count[kind][o], 1, memory_order_relaxed);
}

void mz_signin_metrics(mz_buf *b)
{
    mz_buf_puts(b, "# HELP mz_signins_total Sign-in attempts that reached the callback (and "
                   "refusals at the start), by kind and outcome.\n"
                   "# TYPE mz_signins_total counter\n");
    for (int k = 0; k < 2; k++)
        for (int o = 0; o < MZ_SIGNIN__COUNT; o++)
            mz_buf_printf(b, "mz_signins_total{kind=\"%s\",outcome=\"%s\"} %llu\n",
                          mz_oidc_kind_name((mz_oidc_kind)k), k_slugs[o],
                          (unsigned long long)atomic_load(&g_count[k][o]));
}
