/*
 * push_load.c — load generator for webhook ingest: N threads, each with one
 * keep-alive connection, sending signed events (Standard Webhooks) with
 * unique ids for a fixed time; prints requests/s and latency percentiles.
 *
 *   push_load URL SECRET [threads=16] [seconds=10]
 * URL is e.g. http://127.0.0.1:8080/api/v1/agencies/gem/events
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook.h"

typedef struct worker {
    int id;
    const char *url, *secret;
    double seconds;
    double *lat;
    size_t n, cap;
    long errors;
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

static void *run(void *arg)
{
    worker *w = arg;
    CURL *c = curl_easy_init();
    double end = now_s() + w->seconds;
    char body[1024], id[64], ts[32], sig[128], h1[128], h2[64], h3[200];
    for (long i = 0; now_s() < end; i++) {
        snprintf(id, sizeof id, "bench-%d-%ld-%ld", w->id, (long)time(NULL), i);
        snprintf(body, sizeof body,
                 "{\"caseReference\":\"bench-%d-%ld\",\"bsn\":\"999990019\",\"title\":\"Bench\","
                 "\"status\":{\"group\":\"in_progress\",\"text\":\"In behandeling\"},"
                 "\"occurredAt\":\"2026-03-01T10:00:00Z\"}",
                 w->id, i % 1000);
        snprintf(ts, sizeof ts, "%ld", (long)time(NULL));
        mz_webhook_sign(w->secret, id, ts, body, strlen(body), sig, sizeof sig);
        snprintf(h1, sizeof h1, "webhook-id: %s", id);
        snprintf(h2, sizeof h2, "webhook-timestamp: %s", ts);
        snprintf(h3, sizeof h3, "webhook-signature: %s", sig);
        struct curl_slist *h = curl_slist_append(NULL, h1);
        h = curl_slist_append(h, h2);
        h = curl_slist_append(h, h3);
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, w->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        double t0 = now_s();
        CURLcode rc = curl_easy_perform(c);
        long st = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
        double dt = now_s() - t0;
        curl_slist_free_all(h);
        if (rc != CURLE_OK || st != 202) {
            w->errors++;
            continue;
        }
        if (w->n == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 4096;
            w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
        }
        w->lat[w->n++] = dt;
    }
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: push_load URL SECRET [threads] [seconds]\n");
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 16;
    double seconds = argc > 4 ? atof(argv[4]) : 10;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){.id = i, .url = argv[1], .secret = argv[2], .seconds = seconds};
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    size_t total = 0;
    long errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += w[i].n;
        errors += w[i].errors;
    }
    double elapsed = now_s() - t0;
    double *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, w[i].lat, w[i].n * sizeof *all);
        k += w[i].n;
        free(w[i].lat);
    }
    qsort(all, total, sizeof *all, cmp);
    printf("push_load: %d senders, %.1f s: %zu accepted (%.0f events/s), %ld errors, "
           "p50 %.2f ms, p99 %.2f ms\n",
           threads, elapsed, total, (double)total / elapsed, errors,
           total ? all[total / 2] * 1000 : 0,
           total ? all[(size_t)((double)total * 0.99)] * 1000 : 0);
    free(all);
    free(w);
    free(t);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
