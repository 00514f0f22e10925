/*
 * oidc_client.c — the client side of the authorization code flow: state,
 * nonce and PKCE, the authorization request URL, client authentication
 * (private_key_jwt, client_secret_basic), the token request body and the
 * token response (see oidc.h for the rules and why).
 */
#include "oidc.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "crypto.h"
#include "json.h"

void mz_oidc_random(char out[MZ_OIDC_RANDOM_LEN + 1])
{
    unsigned char r[32];
    mz_random_bytes(r, sizeof r);
    mz_b64url_encode(r, sizeof r, out);
    OPENSSL_cleanse(r, sizeof r);
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool mz_oidc_pkce_challenge(const char *verifier, size_t len, char out[MZ_OIDC_RANDOM_LEN + 1])
{
    if (!verifier || len < 43 || len > 128)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!unreserved((unsigned char)verifier[i]))
            return false;
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)verifier, len, d);
    mz_b64url_encode(d, sizeof d, out);
    return true;
}

void mz_oidc_pkce_new(char verifier[MZ_OIDC_RANDOM_LEN + 1], char challenge[MZ_OIDC_RANDOM_LEN + 1])
{
    mz_oidc_random(verifier);
    if (!mz_oidc_pkce_challenge(verifier, MZ_OIDC_RANDOM_LEN, challenge))
        abort(); /* a 43-character base64url string is always a verifier */
}

/* Percent-encodes s: every byte but the unreserved ones. form: a space is
 * '+' (application/x-www-form-urlencoded), else %20. */
static void pct(mz_buf *b, const char *s, bool form)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            mz_buf_putc(b, (char)*p);
        } else if (form && *p == ' ') {
            mz_buf_putc(b, '+');
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            mz_buf_append(b, e, 3);
        }
    }
}

static void param(mz_buf *b, bool *first, const char *name, const char *value, bool form)
{
    if (!*first)
        mz_buf_putc(b, '&');
    *first = false;
    mz_buf_puts(b, name);
    mz_buf_putc(b, '=');
    pct(b, value, form);
}

static bool nonempty(const char *s)
{
    return s && *s;
}

char *mz_oidc_authorize_url(const mz_oidc_rp *rp, const mz_oidc_provider *op, const char *state,
                            const char *nonce, const char *code_challenge)
{
    return mz_oidc_authorize_url_scope(rp, op, state, nonce, code_challenge, NULL);
}

char *mz_oidc_authorize_url_scope(const mz_oidc_rp *rp, const mz_oidc_provider *op,
                                  const char *state, const char *nonce, const char *code_challenge,
                                  const char *extra_scope)
{
    if (!op->authorization_endpoint || !nonempty(state) || !nonempty(nonce) ||
        !nonempty(code_challenge))
        return NULL;
    mz_buf b = MZ_BUF_INIT;
    bool first = false;
    mz_buf_puts(&b, op->authorization_endpoint);
    const char *q = strchr(op->authorization_endpoint, '?');
    if (!q) {
        mz_buf_putc(&b, '?');
        first = true;
    } else if (q[1] == '\0' || b.data[b.len - 1] == '&') {
        first = true; /* "…?" or "…&": nothing to separate */
    }
    param(&b, &first, "response_type", "code", false);
    param(&b, &first, "client_id", rp->client_id, false);
    param(&b, &first, "redirect_uri", rp->redirect_uri, false);
    char *scope = NULL;
    if (nonempty(extra_scope)) {
        mz_buf sb = MZ_BUF_INIT;
        mz_buf_printf(&sb, "%s %s", rp->scopes, extra_scope);
        scope = mz_buf_steal(&sb, NULL);
    }
    param(&b, &first, "scope", scope ? scope : rp->scopes, false);
    free(scope);
    param(&b, &first, "state", state, false);
    param(&b, &first, "nonce", nonce, false);
    param(&b, &first, "code_challenge", code_challenge, false);
    param(&b, &first, "code_challenge_method", "S256", false);
    if (nonempty(rp->acr_values))
        param(&b, &first, "acr_values", rp->acr_values, false);
    return mz_buf_steal(&b, NULL);
}

/* ------------------------------------------------- client authentication */

EVP_PKEY *mz_oidc_client_key_load(const char *pem, size_t len)
{
    if (!pem || len == 0 || len > 64 * 1024)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (k && !mz_jws_key_fits(k, MZ_JWS_RS256) && !mz_jws_key_fits(k, MZ_JWS_ES256)) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    return k;
}

unsigned mz_oidc_assertion_alg(EVP_PKEY *key, unsigned op_algs)
{
    static const unsigned prefer[] = {MZ_JWS_ES256, MZ_JWS_PS256, MZ_JWS_RS256};
    for (size_t i = 0; i < sizeof prefer / sizeof prefer[0]; i++)
        if ((op_algs & prefer[i]) && mz_jws_key_fits(key, prefer[i]))
            return prefer[i];
    return 0;
}

char *mz_oidc_client_assertion(const char *client_id, const char *token_endpoint, EVP_PKEY *key,
                               unsigned op_algs, const char *kid, int64_t now)
{
    unsigned alg = mz_oidc_assertion_alg(key, op_algs);
    if (!alg || !nonempty(client_id) || !nonempty(token_endpoint))
        return NULL;
    char jti[MZ_OIDC_RANDOM_LEN + 1];
    mz_oidc_random(jti);
    mz_buf p = MZ_BUF_INIT;
    mz_buf_puts(&p, "{\"iss\":");
    mz_json_cstr(&p, client_id);
    mz_buf_puts(&p, ",\"sub\":");
    mz_json_cstr(&p, client_id);
    mz_buf_puts(&p, ",\"aud\":");
    mz_json_cstr(&p, token_endpoint);
    mz_buf_puts(&p, ",\"jti\":");
    mz_json_cstr(&p, jti);
    mz_buf_printf(&p, ",\"iat\":%lld,\"exp\":%lld}", (long long)now,
                  (long long)(now + MZ_OIDC_ASSERTION_LIFE));
    char *t = mz_jws_sign(alg, key, kid, "JWT", p.data, p.len);
    mz_buf_free(&p);
    return t;
}

char *mz_oidc_client_secret_basic(const char *client_id, const char *secret)
{
    if (!client_id || !secret)
        return NULL;
    mz_buf raw = MZ_BUF_INIT;
    pct(&raw, client_id, true);
    mz_buf_putc(&raw, ':');
    pct(&raw, secret, true);
    /* standard base64 with padding (RFC 7617), not base64url */
    size_t cap = (raw.len + 2) / 3 * 4 + 1;
    char *out = mz_xmalloc(6 + cap);
    memcpy(out, "Basic ", 6);
    int n =
        EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)raw.data, (int)raw.len);
    out[6 + (n > 0 ? n : 0)] = '\0';
    OPENSSL_cleanse(raw.data, raw.len);
    mz_buf_free(&raw);
    return out;
}

char *mz_oidc_token_request_body(const mz_oidc_rp *rp, const char *code, const char *code_verifier,
                                 const char *assertion)
{
    if (!nonempty(code) || !nonempty(code_verifier))
        return NULL;
    mz_buf b = MZ_BUF_INIT;
    bool first = true;
    param(&b, &first, "grant_type", "authorization_code", true);
    param(&b, &first, "code", code, true);
    param(&b, &first, "redirect_uri", rp->redirect_uri, true);
    param(&b, &first, "code_verifier", code_verifier, true);
    if (assertion) {
        param(&b, &first, "client_id", rp->client_id, true);
        param(&b, &first, "client_assertion_type",
              "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", true);
        param(&b, &first, "client_assertion", assertion, true);
    }
    return mz_buf_steal(&b, NULL);
}

void mz_oidc_tokens_clear(mz_oidc_tokens *t)
{
    if (t->id_token)
        OPENSSL_cleanse(t->id_token, strlen(t->id_token));
    if (t->access_token)
        OPENSSL_cleanse(t->access_token, strlen(t->access_token));
    free(t->id_token);
    free(t->access_token);
    memset(t, 0, sizeof *t);
    t->expires_in = -1;
}

static bool token_fields(const mz_json *root, mz_oidc_tokens *out, const char **reason)
{
    size_t tl, il, al;
    const char *type = mz_json_string(mz_json_get(root, "token_type"), &tl);
    const char *id = mz_json_string(mz_json_get(root, "id_token"), &il);
    const char *at = mz_json_string(mz_json_get(root, "access_token"), &al);
    const mz_json *exp = mz_json_get(root, "expires_in");
    if (mz_json_get(root, "error"))
        *reason = "token endpoint answered an error";
    else if (!type || tl != 6 || strncasecmp(type, "Bearer", 6) != 0)
        *reason = "token response token_type is not Bearer";
    else if (!id || il == 0 || il > MZ_JWS_MAX_TOKEN)
        *reason = "token response has no usable id_token";
    else if (!at || al == 0)
        *reason = "token response has no access_token";
    else if (exp && (!mz_json_int64(exp, &out->expires_in) || out->expires_in < 0))
        *reason = "token response expires_in is not a number";
    else {
        out->id_token = mz_xstrndup(id, il);
        out->access_token = mz_xstrndup(at, al);
        return true;
    }
    return false;
}

bool mz_oidc_token_response_parse(const char *body, size_t len, mz_oidc_tokens *out,
                                  const char **reason)
{
    memset(out, 0, sizeof *out);
    out->expires_in = -1;
    if (!body || len > MZ_OIDC_MAX_TOKEN_RESP) {
        *reason = "token response missing or too large";
        return false;
    }
    const mz_json_limits lim = {8, 1000, MZ_JWS_MAX_TOKEN};
    char err[128];
    mz_json_doc *doc = mz_json_parse(body, len, &lim, err, sizeof err);
    const mz_json *root = doc ? mz_json_root(doc) : NULL;
    bool ok = false;
    if (!root || root->type != MZ_JSON_OBJECT)
        *reason = "token response is not a JSON object";
    else
        ok = token_fields(root, out, reason);
    mz_json_free(doc);
    if (!ok)
        mz_oidc_tokens_clear(out);
    return ok;
}
