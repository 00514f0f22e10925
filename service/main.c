/*
 * main.c — the mijnzaken executable: subcommand dispatch.
 *
 * The subcommands are one table (k_commands, at the end of this file, after
 * redis's command table): the usage text, the dispatch and the test that
 * runs `mijnzaken --help` (test_cli) all read it, so a command cannot be
 * dispatched without being documented, or documented without existing.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "activities.h"
#include "agencies.h"
#include "auth.h"
#include "bsn.h"
#include "buf.h"
#include "case_cache.h"
#include "config.h"
#include "contact.h"
#include "crypto.h"
#include "db.h"
#include "devtoken.h"
#include "handlers.h"
#include "handover.h"
#include "http.h"
#include "inbox.h"
#include "ingest.h"
#include "log.h"
#include "migrate.h"
#include "notify.h"
#include "outbound.h"
#include "plog_commit.h"
#include "purge.h"
#include "refresh.h"
#include "rekey.h"
#include "seed.h"
#include "signin.h"
#include "static_files.h"
#include "sync.h"

static void usage(FILE *out);

static int fail(const char *msg, const char *detail)
{
    mz_log_msg_str(MZ_LOG_ERROR, msg, "error", detail);
    return 1;
}

static bool load_config(void)
{
    char err[256];
    if (!mz_config_load(&g_mz_config, err, sizeof err)) {
        fail("invalid configuration", err);
        return false;
    }
    int lvl = mz_log_parse_level(g_mz_config.log_level); /* one of the table's choices */
    assert(lvl >= 0);
    mz_log_set_level((mz_log_level)lvl);
    return true;
}

static mz_db *connect_or_fail(void)
{
    char err[256];
    mz_db *db = mz_db_connect(g_mz_config.database_url, 0, err, sizeof err);
    if (!db)
        fail("cannot connect to the database", err);
    else
        mz_db_plan_each_time(db); /* the commands write in batches (db.h) */
    return db;
}

/* Loads MZ_AGENCIES_FILE into g_mz_agencies (nothing when unset). */
static bool load_agencies(bool init_adapters)
{
    if (!g_mz_config.agencies_file)
        return true;
    char err[512];
    g_mz_agencies = mz_agencies_load(g_mz_config.agencies_file, init_adapters, err, sizeof err);
    if (!g_mz_agencies) {
        fail("invalid agencies configuration", err);
        return false;
    }
    return true;
}

static bool store_agencies(mz_db *db)
{
    char err[256];
    if (!g_mz_agencies || mz_agencies_store(g_mz_agencies, db, err, sizeof err))
        return true;
    fail("cannot store the agencies", err);
    return false;
}

static int cmd_check_config(void)
{
    if (!g_mz_config.agencies_file)
        return fail("nothing to check", "MZ_AGENCIES_FILE is not set");
    mz_outbound_global_init();
    if (!load_agencies(true))
        return 1;
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "agencies configuration is valid");
    mz_log_int(&l, "agencies", (int64_t)g_mz_agencies->n);
    mz_log_end(&l);
    mz_agencies_free(g_mz_agencies);
    return 0;
}

static int cmd_sync(int argc, char **argv)
{
    const char *id = NULL;
    bool once = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--agency") == 0 && i + 1 < argc)
            id = argv[++i];
        else if (strcmp(argv[i], "--once") == 0)
            once = true;
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!id || !once) {
        fprintf(stderr,
                "usage: mijnzaken sync --agency ID --once (scheduled syncs run in serve)\n");
        return 2;
    }
    char err[256];
    if (!mz_pseudonym_load_key(g_mz_config.pseudonym_key_file, err, sizeof err))
        return fail("cannot load the pseudonym key", err);
    mz_outbound_global_init();
    if (!g_mz_config.agencies_file)
        return fail("cannot sync", "MZ_AGENCIES_FILE is not set");
    if (!load_agencies(true))
        return 1;
    int rc = 1;
    const mz_agency *a = mz_agencies_find(g_mz_agencies, id);
    mz_db *db = a ? connect_or_fail() : NULL;
    if (!a)
        fail("cannot sync", "no such agency in MZ_AGENCIES_FILE");
    if (db && store_agencies(db)) {
        mz_sync_report rep;
        if (!mz_sync_agency_once(db, a, mz_instance_id(), &rep))
            fail("cannot sync", rep.error);
        else {
            printf("agency %s: %s, %zu seen, %zu applied, %zu stale, %zu invalid, %zu conflicts, "
                   "%zu skipped, %lld ms\n",
                   a->id, mz_adapter_status_name(rep.status), rep.seen, rep.applied, rep.stale,
                   rep.invalid, rep.conflicts, rep.skipped, (long long)rep.duration_ms);
            rc = rep.status == MZ_ADAPTER_OK ? 0 : 1;
        }
    }
    mz_db_close(db);
    mz_agencies_free(g_mz_agencies);
    g_mz_agencies = NULL;
    return rc;
}

static int cmd_inbox(int argc, char **argv)
{
    const char *agency = NULL;
    if (argc < 1 || strcmp(argv[0], "reprocess") != 0) {
        fprintf(stderr, "usage: mijnzaken inbox reprocess [--agency ID]\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--agency") == 0 && i + 1 < argc)
            agency = argv[++i];
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char err[256];
    if (!mz_pseudonym_load_key(g_mz_config.pseudonym_key_file, err, sizeof err))
        return fail("cannot load the pseudonym key", err);
    mz_outbound_global_init();
    if (!load_agencies(true))
        return 1;
    mz_db *db = connect_or_fail();
    if (!db) {
        mz_agencies_free(g_mz_agencies);
        return 1;
    }
    const char *v[1] = {agency};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_INBOX_RETRY_NOW, v);
    long due = mz_db_ok(r) ? PQntuples(r) : -1;
    PQclear(r);
    long done = 0, failed = 0;
    for (long round = 0; due > 0 && round < due; round++) {
        int f = 0;
        int n = mz_inbox_process(db, g_mz_agencies, 100, &f);
        if (n <= 0 && f == 0)
            break;
        done += n > 0 ? n : 0;
        failed += f;
        if (n <= 0)
            break;
    }
    printf("inbox: %ld due, %ld processed, %ld failed\n", due < 0 ? 0 : due, done, failed);
    mz_db_close(db);
    mz_agencies_free(g_mz_agencies);
    g_mz_agencies = NULL;
    return due < 0 || failed ? 1 : 0;
}

static int cmd_migrate(void)
{
    mz_db *db = connect_or_fail();
    if (!db)
        return 1;
    char err[512];
    int applied;
    bool ok = mz_migrate_run(db, &applied, err, sizeof err);
    mz_db_close(db);
    if (!ok)
        return fail("migration failed", err);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "migrations up to date");
    mz_log_int(&l, "applied", applied);
    mz_log_int(&l, "version", mz_migrate_latest());
    mz_log_end(&l);
    return 0;
}

static int cmd_seed(void)
{
    char err[256];
    if (!mz_pseudonym_load_key(g_mz_config.pseudonym_key_file, err, sizeof err))
        return fail("cannot load the pseudonym key", err);
    /* The demo's hand-over is sealed like the service seals one. */
    if (g_mz_config.contact_key_file && *g_mz_config.contact_key_file &&
        !mz_contact_load_key(g_mz_config.contact_key_file, err, sizeof err))
        return fail("cannot load the contact key", err);
    /* The agencies file's agencies are live sources: no demo cases for them. */
    if (!load_agencies(false))
        return 1;
    mz_db *db = connect_or_fail();
    if (!db) {
        mz_agencies_free(g_mz_agencies);
        return 1;
    }
    int n;
    bool ok = mz_seed_demo(db, g_mz_agencies, &n, err, sizeof err);
    mz_db_close(db);
    mz_agencies_free(g_mz_agencies);
    g_mz_agencies = NULL;
    if (!ok)
        return fail("seeding failed", err);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "demo data seeded");
    mz_log_int(&l, "cases", n);
    mz_log_end(&l);
    return 0;
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Creates path with mode 0600 from the start (no window in which others
 * could read it) holding line and a newline; false if it exists or fails. */
static bool write_private(const char *path, const char *line)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return false;
    size_t n = strlen(line);
    bool ok = write(fd, line, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    return close(fd) == 0 && ok;
}

static int cmd_init_dev(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
    if (!dir) {
        fprintf(stderr, "init-dev needs --dir DIR\n");
        return 2;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fail("cannot create the key directory", strerror(errno));
    char priv[4096], pub[4096], pk[4096], zs[4096], ck[4096], err[256];
    snprintf(ck, sizeof ck, "%s/contact.key", dir);
    snprintf(zs, sizeof zs, "%s/zgw-demo.secret", dir);
    snprintf(priv, sizeof priv, "%s/jwt-private.pem", dir);
    snprintf(pub, sizeof pub, "%s/jwt-public.pem", dir);
    snprintf(pk, sizeof pk, "%s/pseudonym.key", dir);
    if (!file_exists(priv) || !file_exists(pub)) {
        if (!mz_generate_keypair(g_mz_config.jwt_alg, priv, pub, err, sizeof err))
            return fail("cannot create the development key pair", err);
        mz_log_msg_str(MZ_LOG_INFO, "development key pair created", "dir", dir);
    }
    if (!file_exists(pk)) {
        char hex[65];
        mz_random_secret_hex(hex, 32);
        if (!write_private(pk, hex))
            return fail("cannot write the pseudonym key", pk);
        mz_log_msg_str(MZ_LOG_INFO, "pseudonym key created", "dir", dir);
    }
    /* The demo's shared secret with its fake ZGW municipality (the run
     * command's and the Docker demo's fake_zgw --secret-file, and
     * config/agencies.demo.json's secretFile): never on a command line. */
    if (!file_exists(zs)) {
        char hex[65];
        mz_random_secret_hex(hex, 24);
        if (!write_private(zs, hex))
            return fail("cannot write the demo ZGW secret", zs);
        mz_log_msg_str(MZ_LOG_INFO, "demo ZGW secret created", "dir", dir);
    }
    /* The contact key (MZ_CONTACT_KEY_FILE): contact details and hand-overs
     * sealed at rest (contact.h). */
    if (!file_exists(ck)) {
        char hex[65];
        mz_random_hex(hex, 32);
        if (!write_private(ck, hex))
            return fail("cannot write the contact key", ck);
        mz_log_msg_str(MZ_LOG_INFO, "contact key created", "dir", dir);
    }
    return 0;
}

static int cmd_dev_token(int argc, char **argv)
{
    const char *bsn = NULL, *role = NULL, *sub = NULL;
    long ttl = 3600;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc) {
            fprintf(stderr, "option %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--bsn") == 0)
            bsn = argv[++i];
        else if (strcmp(argv[i], "--role") == 0)
            role = argv[++i];
        else if (strcmp(argv[i], "--sub") == 0)
            sub = argv[++i];
        else if (strcmp(argv[i], "--ttl") == 0)
            ttl = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!bsn == !role) {
        fprintf(stderr, "dev-token needs exactly one of --bsn or --role\n");
        return 2;
    }
    if (bsn && !mz_bsn_valid(bsn, strlen(bsn))) {
        fprintf(stderr, "--bsn must be 9 digits passing the 11-proof\n");
        return 2;
    }
    if (role && strcmp(role, "professional") && strcmp(role, "admin")) {
        fprintf(stderr, "--role must be professional or admin\n");
        return 2;
    }
    if (ttl < 60 || ttl > 86400) {
        fprintf(stderr, "--ttl must be 60 to 86400 seconds\n");
        return 2;
    }
    const char *why = NULL;
    char *tok = mz_dev_token(bsn, role, sub, NULL, ttl, &why);
    if (!tok) {
        fprintf(stderr, "dev-token: %s (created by `mijnzaken init-dev`)\n", why);
        return 1;
    }
    printf("%s\n", tok);
    free(tok);
    return 0;
}

/* SIGHUP: read MZ_AGENCIES_FILE again. An invalid file changes nothing
 * (the error is logged); a valid one replaces the serving set: the
 * scheduler and the inbox processor restart on it, requests pick it up. */
static void reload_agencies(void)
{
    if (!g_mz_config.agencies_file) {
        mz_log_msg(MZ_LOG_WARN, "SIGHUP: no MZ_AGENCIES_FILE to reload");
        return;
    }
    char err[512];
    mz_agencies *next = mz_agencies_load(g_mz_config.agencies_file, true, err, sizeof err);
    if (!next) {
        mz_log_msg_str(MZ_LOG_ERROR, "SIGHUP: agencies file refused, keeping the current one",
                       "error", err);
        return;
    }
    mz_db *db = mz_db_connect(g_mz_config.database_url, 5000, err, sizeof err);
    bool stored = db && mz_agencies_store(next, db, err, sizeof err);
    mz_db_close(db);
    if (!stored) {
        mz_log_msg_str(MZ_LOG_ERROR, "SIGHUP: cannot store the agencies, keeping the current ones",
                       "error", err);
        mz_agencies_free(next);
        return;
    }
    mz_scheduler_stop();
    mz_inbox_stop();
    mz_agencies_publish(next);
    mz_case_cache_drop(); /* freshness rules depend on the agencies' configuration */
    mz_scheduler_start(next);
    mz_inbox_start(next);
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "agencies reloaded");
    mz_log_int(&l, "agencies", (int64_t)next->n);
    mz_log_end(&l);
}

static int cmd_serve(void)
{
    char err[512];
    if (!mz_pseudonym_load_key(g_mz_config.pseudonym_key_file, err, sizeof err))
        return fail("cannot load the pseudonym key", err);
    if (!mz_auth_init(g_mz_config.jwt_public_key_file, g_mz_config.jwt_alg, g_mz_config.jwt_issuer,
                      g_mz_config.jwt_audience, err, sizeof err))
        return fail("cannot start", err);
    if (!mz_openapi_init(err, sizeof err))
        return fail("cannot load the OpenAPI document", err);
    mz_outbound_global_init();
    if (!mz_notify_init(err, sizeof err))
        return fail("invalid notification settings", err);
    if (!load_agencies(true))
        return 1;
    mz_agencies *initial = g_mz_agencies;
    g_mz_agencies = NULL;
    mz_agencies_publish(initial);
    if (!mz_activities_load(g_mz_config.activities_file, err, sizeof err))
        return fail("invalid processing activities", err);
    if (!mz_static_load(g_mz_config.portal_dir, err, sizeof err))
        return fail("cannot load the portal", err);
    /* Sign-in: a configuration error refuses to start; an OP that cannot
     * be reached now is retried when someone signs in. */
    if (!mz_signin_init(err, sizeof err))
        return fail("invalid sign-in configuration", err);
    if (g_mz_config.dev_mode)
        mz_log_msg(MZ_LOG_WARN, "development mode: the demo login is enabled; never in production");
    /* A schema that differs from this build's migrations is fatal; a
     * database that is merely down is not: readyz reports it until it is
     * back, and requests answer 503 meanwhile. */
    mz_db *db = mz_db_connect(g_mz_config.database_url, 5000, err, sizeof err);
    if (db) {
        bool ok = mz_migrate_check(db, err, sizeof err);
        if (ok)
            ok = store_agencies(db);
        mz_db_close(db);
        if (!ok && strstr(err, "edited"))
            return fail("refusing to start", err);
        if (!ok)
            mz_log_msg_str(MZ_LOG_WARN, "database not ready", "error", err);
    } else {
        mz_log_msg_str(MZ_LOG_WARN, "database unavailable at start-up", "error", err);
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* worker threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);

    if (!mz_case_cache_start())
        return fail("cannot start the case cache's listener", "pthread_create failed");
    unsigned port;
    if (!mz_http_start(&port, err, sizeof err))
        return fail("cannot start the HTTP server", err);
    if (g_mz_agencies && !mz_scheduler_start(g_mz_agencies))
        return fail("cannot start the scheduler", "pthread_create failed");
    if (!mz_inbox_start(g_mz_agencies))
        return fail("cannot start the inbox processor", "pthread_create failed");
    if (!mz_plog_commit_start())
        return fail("cannot start the processing-log committer", "pthread_create failed");
    if (!mz_ingest_start())
        return fail("cannot start the inbox committer", "pthread_create failed");
    if (!mz_notify_start())
        return fail("cannot start the notification sender", "pthread_create failed");
    if (!mz_handover_start())
        return fail("cannot start the hand-over delivery", "pthread_create failed");
    mz_logline l;
    mz_log_begin(&l, MZ_LOG_INFO, "listening");
    mz_log_str(&l, "listen", g_mz_config.listen);
    mz_log_int(&l, "port", port);
    mz_log_str(&l, "version", MZ_VERSION);
    mz_log_end(&l);

    int sig = 0;
    for (;;) {
        sigwait(&set, &sig);
        if (sig != SIGHUP)
            break;
        reload_agencies();
    }
    mz_log_msg_str(MZ_LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* Graceful: stop accepting, let requests in flight finish (bounded),
     * let the scheduler and the inbox finish their current step. */
    mz_http_drain(10000);
    /* downloads still streaming end now (a failed download, not a short
     * file), and their suspended connections are resumed before the server
     * stops */
    mz_documents_drain(3000);
    mz_ingest_stop();      /* completes suspended pushes before the server stops */
    mz_plog_commit_stop(); /* and suspended reads */
    mz_case_cache_stop();  /* reads waiting for a fence: read again, answered */
    mz_http_stop();
    mz_scheduler_stop();
    mz_inbox_stop();
    mz_notify_stop();
    mz_handover_stop();
    mz_refresh_drain(15000);
    mz_documents_drain(5000);
    mz_agencies_free(g_mz_agencies);
    g_mz_agencies = NULL;
    mz_agencies_free_retired();
    mz_openapi_shutdown();
    mz_activities_free();
    mz_static_free();
    mz_signin_shutdown();
    mz_auth_shutdown();
    mz_notify_shutdown();
    return 0;
}

/* Commands that take no options refuse any. */
static int no_options(const char *name, int argc, char **argv)
{
    if (argc == 0)
        return 0;
    fprintf(stderr, "unknown option %s for %s; see mijnzaken --help\n", argv[0], name);
    return 2;
}

static int run_serve(int argc, char **argv)
{
    int rc = no_options("serve", argc, argv);
    return rc ? rc : cmd_serve();
}

static int run_migrate(int argc, char **argv)
{
    int rc = no_options("migrate", argc, argv);
    return rc ? rc : cmd_migrate();
}

static int run_seed(int argc, char **argv)
{
    int rc = no_options("seed-demo", argc, argv);
    return rc ? rc : cmd_seed();
}

static int run_check_config(int argc, char **argv)
{
    int rc = no_options("check-config", argc, argv);
    return rc ? rc : cmd_check_config();
}

typedef struct command {
    const char *name;
    const char *args; /* shown after the name in the usage text */
    const char *help;
    int (*run)(int argc, char **argv); /* the arguments after the command's name */
} command;

static const command k_commands[] = {
    {"serve", "", "run the HTTP service (MZ_LISTEN)", run_serve},
    {"migrate", "", "apply pending database migrations", run_migrate},
    {"seed-demo", "", "load demo agencies and cases (idempotent)", run_seed},
    {"sync", "--agency ID --once", "sync one agency now (MZ_AGENCIES_FILE)", cmd_sync},
    {"check-config", "", "validate MZ_AGENCIES_FILE and exit", run_check_config},
    {"inbox", "reprocess [--agency ID]",
     "retry every unprocessed inbox row now (given-up rows too)", cmd_inbox},
    {"purge", "[--dry-run]", "apply the retention periods (MZ_RETENTION_*)", mz_cmd_purge},
    {"rekey", "--old-key-file F [--new-key-file F] [--bsn-prefix DIGITS]",
     "re-key the BSN pseudonyms after a key rotation", mz_cmd_rekey},
    {"init-dev", "--dir DIR", "create development keys in DIR if missing", cmd_init_dev},
    {"dev-token", "(--bsn BSN | --role professional|admin) [--sub ID] [--ttl SECONDS]",
     "print a token signed with MZ_JWT_PRIVATE_KEY_FILE", cmd_dev_token},
};

static void usage(FILE *out)
{
    fprintf(out,
            "mijnzaken %s — case-status aggregation for Dutch public services\n\n"
            "Usage: mijnzaken <command> [options]\n\n"
            "Commands:\n",
            MZ_VERSION);
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++) {
        const command *c = &k_commands[i];
        int w = fprintf(out, "  %s%s%s", c->name, *c->args ? " " : "", c->args);
        if (w > 30)
            fprintf(out, "\n%30s", "");
        else
            fprintf(out, "%*s", 30 - w, "");
        fprintf(out, "%s\n", c->help);
    }
    fprintf(out, "  --help, --version\n\n");
    mz_config_print_help(out);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mijnzaken %s\n", MZ_VERSION);
        return 0;
    }
    const command *c = NULL;
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0] && !c; i++)
        if (strcmp(argv[1], k_commands[i].name) == 0)
            c = &k_commands[i];
    if (!c) {
        fprintf(stderr, "unknown command '%s'; see mijnzaken --help\n", argv[1]);
        return 2;
    }
    if (!load_config())
        return 1;
    int rc = c->run(argc - 2, argv + 2);
    mz_config_free(&g_mz_config);
    return rc;
}
