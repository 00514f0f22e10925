#include "static_files.h"
#include "alloc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "crypto.h"
#include "log.h"

#define MAX_FILES 1000
#define MAX_TOTAL (32u << 20)

typedef struct sfile {
    char *path; /* "/index.html" */
    char *data;
    size_t len;
    const char *type;
    char etag[24];
} sfile;

static sfile *g_files;
static size_t g_n, g_total;

static const char *type_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL; /* not served: unknown kinds of file stay private */
}

static bool load_dir(const char *root, const char *rel, char *err, size_t errlen)
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s%s", root, rel);
    DIR *d = opendir(dirpath);
    if (!d)
        return true;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* also skips dotfiles */
        char relp[2048], full[4096];
        snprintf(relp, sizeof relp, "%s/%s", rel, e->d_name);
        snprintf(full, sizeof full, "%s%s", root, relp);
        struct stat st;
        if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode))
            continue;
        if (S_ISDIR(st.st_mode)) {
            ok = load_dir(root, relp, err, errlen);
            continue;
        }
        const char *type = type_of(e->d_name);
        if (!S_ISREG(st.st_mode) || !type)
            continue;
        if (g_n >= MAX_FILES || g_total + (size_t)st.st_size > MAX_TOTAL) {
            snprintf(err, errlen, "portal directory %s is larger than %d files / %u MiB", root,
                     MAX_FILES, MAX_TOTAL >> 20);
            ok = false;
            break;
        }
        size_t len;
        char *data = mz_read_file(full, &len, MAX_TOTAL);
        if (!data)
            continue;
        sfile *f = &g_files[g_n++];
        f->path = mz_xstrdup(relp);
        f->data = data;
        f->len = len;
        f->type = type;
        char hex[65];
        mz_sha256_hex(data, len, hex);
        snprintf(f->etag, sizeof f->etag, "\"%.16s\"", hex);
        g_total += len;
    }
    closedir(d);
    return ok;
}

bool mz_static_load(const char *dir, char *err, size_t errlen)
{
    mz_static_free();
    if (!dir || !*dir)
        return true;
    g_files = mz_xcalloc(MAX_FILES, sizeof *g_files);
    if (!load_dir(dir, "", err, errlen)) {
        mz_static_free();
        return false;
    }
    return true;
}

void mz_static_free(void)
{
    for (size_t i = 0; i < g_n; i++) {
        free(g_files[i].path);
        free(g_files[i].data);
    }
    free(g_files);
    g_files = NULL;
    g_n = g_total = 0;
}

size_t mz_static_count(void)
{
    return g_n;
}

static const sfile *find(const char *path)
{
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_files[i].path, path) == 0)
            return &g_files[i];
    return NULL;
}

static const mz_route static_route = {"GET", "(portal)", NULL, 0, NULL};

bool mz_static_serve(mz_req *r, const char *path)
{
    if (!g_n || (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0))
        return false;
    /* path is as sent (not percent-decoded): no file name holds a '%',
     * and an encoded path is no route of the portal either */
    if (strncmp(path, "/api/", 5) == 0 || strlen(path) > 512 || strchr(path, '%'))
        return false;
    const sfile *f = find(strcmp(path, "/") == 0 ? "/index.html" : path);
    const char *last = strrchr(path, '/');
    if (!f && last && !strchr(last, '.'))
        f = find("/index.html"); /* the portal's own routes */
    if (!f)
        return false;
    r->route = &static_route;
    const char *inm = mz_req_header(r, "If-None-Match");
    if (inm && strcmp(inm, f->etag) == 0) {
        mz_reply_static(r, 304, f->type, "", 0);
    } else {
        mz_reply_static(r, 200, f->type, f->data, f->len);
    }
    mz_reply_header(r, "ETag", f->etag);
    bool html = strncmp(f->type, "text/html", 9) == 0;
    mz_reply_header(r, "Cache-Control", html ? "no-cache" : "public, max-age=300");
    /* The sign-out form posts to /auth/logout, which redirects to the
     * OpenID provider's end_session_endpoint: a browser applies
     * form-action to that redirect too, so the configured issuers' origins
     * are allowed (nothing else). */
    char csp[1200];
    int n = snprintf(csp, sizeof csp,
                     "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                     "script-src 'self'; connect-src 'self'; font-src 'self'; "
                     "frame-ancestors 'none'; base-uri 'self'; form-action 'self'");
    const char *issuers[2] = {g_mz_config.oidc_citizen.issuer,
                              g_mz_config.oidc_professional.issuer};
    for (int i = 0; i < 2; i++) {
        const char *iss = issuers[i];
        const char *host = iss ? strstr(iss, "://") : NULL;
        if (!host || n < 0 || (size_t)n >= sizeof csp)
            continue;
        size_t len = (size_t)(host + 3 - iss) + strcspn(host + 3, "/?#");
        /* only plain origin characters (the issuer is configuration) */
        bool ok = len < 300;
        for (size_t k = 0; ok && k < len; k++)
            ok = iss[k] != ';' && iss[k] != ',' && iss[k] != ' ' && iss[k] != '\'' &&
                 (unsigned char)iss[k] > 0x20;
        char origin[310];
        snprintf(origin, sizeof origin, " %.*s", (int)len, iss);
        if (ok && !strstr(csp, origin)) /* both issuers on one origin: once */
            n += snprintf(csp + n, sizeof csp - (size_t)n, "%s", origin);
    }
    mz_reply_header(r, "Content-Security-Policy", csp);
    mz_reply_header(r, "X-Frame-Options", "DENY");
    /* same-origin, not no-referrer: other sites still get no referrer, but
     * under no-referrer a browser sends "Origin: null" with the sign-out
     * form's POST, which the CSRF check must refuse. */
    mz_reply_header(r, "Referrer-Policy", "same-origin");
    return true;
}
