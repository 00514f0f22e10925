/*
 * static_files.h — the portal's static files (portal/dist), served at /.
 *
 * Why load everything at start-up: the portal is a few hundred KiB of
 * HTML, CSS and JavaScript. Holding it in memory means a request can only
 * ever reach a file that was in the directory at start-up — no path
 * resolution at request time, so no traversal, no symlink races — and each
 * answer is a memory copy with a precomputed ETag. Limits: 1,000 files,
 * 32 MiB in all.
 *
 * Every page gets a strict Content-Security-Policy (self only: the portal
 * bundles its NL Design System CSS, nothing is fetched from elsewhere).
 *
 * Ownership: the loaded set lives until mz_static_free.
 */
#ifndef MZ_STATIC_FILES_H
#define MZ_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Loads dir (recursively). A missing directory is not an error: the portal
 * is then simply not served. */
bool mz_static_load(const char *dir, char *err, size_t errlen);
void mz_static_free(void);
size_t mz_static_count(void);

/* Answers r from the loaded files when path names one ("/" is
 * /index.html; an extension-less path that is not a file falls back to
 * /index.html for the portal's own routing). false when not served. */
bool mz_static_serve(mz_req *r, const char *path);

#endif
