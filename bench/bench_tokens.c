/*
 * bench_tokens.c — the citizens of the benchmark dataset and their tokens.
 *
 *   bench_tokens keys|tokens OUTDIR [subjects=100000] [tokens=10000] [seed=42] [ttl=7200]
 *
 * Configuration comes from the environment exactly as for the service
 * (MZ_PSEUDONYM_KEY_FILE, MZ_JWT_PRIVATE_KEY_FILE, MZ_JWT_ALG, MZ_JWT_ISSUER,
 * MZ_JWT_AUDIENCE), and the service's own code computes everything: the
 * pseudonym with mz_pseudonym (so a case's subject_key is byte for byte what
 * the service looks up) and the tokens with mz_dev_token (the claims the
 * service expects: iss, aud, sub, iat, nbf, exp, bsn).
 *
 * BSNs: the first `subjects` numbers passing the 11-proof counting up from
 * 998000000 — deterministic, so every run has the same citizens. The plain
 * BSNs are never written anywhere (only inside the tokens, as in real life).
 *
 * `keys` writes, for COPY ... FROM STDIN (text format; bytea as \\x<hex>):
 *   OUTDIR/subjects.copy        idx <TAB> subject_key      (idx 1..subjects)
 *   OUTDIR/token_subjects.copy  n <TAB> idx <TAB> subject_key  (n 1..tokens)
 * `tokens` writes (same arguments, so the same draw):
 *   OUTDIR/tokens.txt           the token for line n of token_subjects, one per line
 * (two steps so that the slow signing can run while the database loads).
 * Token subjects are distinct, drawn at random (seeded) from all subjects.
 * Signing is spread over two threads (RS256 signing dominates the time).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsn.h"
#include "config.h"
#include "crypto.h"
#include "devtoken.h"

#define THREADS 2

typedef struct {
    char (*bsn)[10];
    const int *pick; /* token n → subject index (0-based) */
    char **tokens;
    int from, to;
    long ttl;
    int failed;
} signer;

static void *sign_range(void *arg)
{
    signer *s = arg;
    for (int n = s->from; n < s->to; n++) {
        const char *why = NULL;
        s->tokens[n] = mz_dev_token(s->bsn[s->pick[n]], NULL, NULL, NULL, s->ttl, &why);
        if (!s->tokens[n]) {
            fprintf(stderr, "bench_tokens: %s\n", why ? why : "cannot sign");
            s->failed = 1;
            return NULL;
        }
    }
    return NULL;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* xorshift64*: a small deterministic generator for the draw. */
static unsigned long long g_rng;
static unsigned long long rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 2685821657736338717ULL;
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "keys") != 0 && strcmp(argv[1], "tokens") != 0)) {
        fprintf(stderr,
                "usage: bench_tokens keys|tokens OUTDIR [subjects] [tokens] [seed] [ttl]\n");
        return 2;
    }
    bool keys_only = strcmp(argv[1], "keys") == 0;
    argc--;
    argv++;
    const char *dir = argv[1];
    int nsub = argc > 2 ? atoi(argv[2]) : 100000;
    int ntok = argc > 3 ? atoi(argv[3]) : 10000;
    unsigned long long seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 42;
    long ttl = argc > 5 ? atol(argv[5]) : 7200;
    if (nsub < 1 || nsub > 5000000 || ntok < 1 || ntok > nsub) {
        fprintf(stderr, "bench_tokens: need 1 <= tokens <= subjects <= 5000000\n");
        return 2;
    }
    char err[256];
    if (!mz_config_load(&g_mz_config, err, sizeof err)) {
        fprintf(stderr, "bench_tokens: %s\n", err);
        return 1;
    }
    if (!mz_pseudonym_load_key(g_mz_config.pseudonym_key_file, err, sizeof err)) {
        fprintf(stderr, "bench_tokens: %s\n", err);
        return 1;
    }
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);

    /* The citizens. */
    char(*bsn)[10] = malloc((size_t)nsub * sizeof *bsn);
    unsigned char(*key)[MZ_PSEUDONYM_LEN] = malloc((size_t)nsub * sizeof *key);
    int k = 0;
    for (long p = 99800000; k < nsub && p <= 99999999; p++) {
        int d[8];
        long q = p;
        for (int i = 7; i >= 0; i--, q /= 10)
            d[i] = (int)(q % 10);
        int s = 0;
        for (int i = 0; i < 8; i++)
            s += (9 - i) * d[i];
        int check = s % 11; /* sum(9..2 · d) - d9 ≡ 0 (mod 11) */
        if (check == 10)
            continue;
        for (int i = 0; i < 8; i++)
            bsn[k][i] = (char)('0' + d[i]);
        bsn[k][8] = (char)('0' + check);
        bsn[k][9] = '\0';
        if (!mz_bsn_valid(bsn[k], 9))
            continue;
        mz_pseudonym(bsn[k], 9, key[k]);
        k++;
    }
    if (k < nsub) {
        fprintf(stderr, "bench_tokens: only %d BSNs in range\n", k);
        return 1;
    }
    FILE *f;
    char hx[2 * MZ_PSEUDONYM_LEN + 1];
    if (keys_only) {
        if (!(f = open_out(dir, "subjects.copy")))
            return 1;
        for (int i = 0; i < nsub; i++) {
            hex(key[i], MZ_PSEUDONYM_LEN, hx);
            fprintf(f, "%d\t\\\\x%s\n", i + 1, hx);
        }
        if (fclose(f) != 0)
            return 1;
    }

    /* Distinct random token subjects: a partial Fisher-Yates shuffle. */
    g_rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    int *perm = malloc((size_t)nsub * sizeof *perm);
    for (int i = 0; i < nsub; i++)
        perm[i] = i;
    for (int i = 0; i < ntok; i++) {
        int j = i + (int)(rnd() % (unsigned long long)(nsub - i));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    if (keys_only) {
        if (!(f = open_out(dir, "token_subjects.copy")))
            return 1;
        for (int n = 0; n < ntok; n++) {
            hex(key[perm[n]], MZ_PSEUDONYM_LEN, hx);
            fprintf(f, "%d\t%d\t\\\\x%s\n", n + 1, perm[n] + 1, hx);
        }
        if (fclose(f) != 0)
            return 1;
        fprintf(stderr, "bench_tokens: %d subjects, %d token subjects\n", nsub, ntok);
        return 0;
    }

    char **tokens = calloc((size_t)ntok, sizeof *tokens);
    signer s[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        s[i] = (signer){.bsn = bsn,
                        .pick = perm,
                        .tokens = tokens,
                        .from = ntok * i / THREADS,
                        .to = ntok * (i + 1) / THREADS,
                        .ttl = ttl};
        pthread_create(&th[i], NULL, sign_range, &s[i]);
    }
    int failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        failed |= s[i].failed;
    }
    if (failed)
        return 1;
    f = open_out(dir, "tokens.txt");
    if (!f)
        return 1;
    for (int n = 0; n < ntok; n++) {
        fprintf(f, "%s\n", tokens[n]);
        free(tokens[n]);
    }
    if (fclose(f) != 0)
        return 1;
    memset(bsn, 0, (size_t)nsub * sizeof *bsn);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    fprintf(stderr, "bench_tokens: %d subjects, %d tokens in %.1f s (cpu %.1f s)\n", nsub, ntok,
            (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) / 1e9,
            (double)clock() / CLOCKS_PER_SEC - t0);
    free(tokens);
    free(perm);
    free(key);
    free(bsn);
    mz_config_free(&g_mz_config);
    return 0;
}
