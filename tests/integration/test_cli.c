/*
 * test_cli.c — the subcommand table (main.c) checks itself: every command
 * `mijnzaken --help` lists is dispatched (it refuses an unknown option with
 * exit code 2, instead of "unknown command"), an unknown command is refused,
 * and the README's "Commands" block names exactly the commands of --help.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mzt.h"

#define MAX_CMDS 32

/* Runs MZ_BIN with args; stderr into err (cut), stdout into out when given. */
static int run(const char *const *args, char *out, size_t outlen, char *err, size_t errlen)
{
    int po[2], pe[2];
    if (pipe(po) != 0 || pipe(pe) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        const char *argv[16] = {getenv("MZ_BIN")};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    size_t no = 0, ne = 0;
    ssize_t r;
    char tmp[4096];
    while ((r = read(po[0], tmp, sizeof tmp)) > 0)
        for (ssize_t i = 0; i < r; i++)
            if (out && no + 1 < outlen)
                out[no++] = tmp[i];
    while ((r = read(pe[0], tmp, sizeof tmp)) > 0)
        for (ssize_t i = 0; i < r; i++)
            if (err && ne + 1 < errlen)
                err[ne++] = tmp[i];
    if (out)
        out[no] = '\0';
    if (err)
        err[ne] = '\0';
    close(po[0]);
    close(pe[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The command names of --help's "Commands:" section. */
static size_t help_commands(char names[MAX_CMDS][32])
{
    static char out[65536];
    const char *args[] = {"--help", NULL};
    assert_int_equal(run(args, out, sizeof out, NULL, 0), 0);
    const char *p = strstr(out, "\nCommands:\n");
    assert_non_null(p);
    p += strlen("\nCommands:\n");
    size_t n = 0;
    while (*p && *p != '\n') { /* the section ends at a blank line */
        const char *eol = strchr(p, '\n');
        if (strncmp(p, "  ", 2) == 0 && p[2] != ' ' && p[2] != '-') {
            size_t len = strcspn(p + 2, " \n");
            assert_true(len < 32 && n < MAX_CMDS);
            memcpy(names[n], p + 2, len);
            names[n++][len] = '\0';
        }
        p = eol ? eol + 1 : p + strlen(p);
    }
    return n;
}

static void test_every_listed_command_is_dispatched(void **state)
{
    (void)state;
    char names[MAX_CMDS][32];
    size_t n = help_commands(names);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        char err[2048];
        const char *args[] = {names[i], "--no-such-option", NULL};
        int rc = run(args, NULL, 0, err, sizeof err);
        if (rc != 2 || strstr(err, "unknown command"))
            fail_msg("%s --no-such-option: exit %d, %s", names[i], rc, err);
    }
}

static void test_unknown_command_is_refused(void **state)
{
    (void)state;
    char err[2048];
    const char *args[] = {"serv", NULL};
    assert_int_equal(run(args, NULL, 0, err, sizeof err), 2);
    assert_non_null(strstr(err, "unknown command 'serv'"));
}

static void test_readme_lists_the_same_commands(void **state)
{
    (void)state;
    char names[MAX_CMDS][32];
    size_t n = help_commands(names);
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", getenv("MZ_SOURCE_DIR"));
    char *readme = mzt_slurp(path, NULL);
    assert_non_null(readme);
    const char *block = strstr(readme, "## Commands\n\n```\n");
    assert_non_null(block);
    block += strlen("## Commands\n\n```\n");
    const char *end = strstr(block, "```");
    assert_non_null(end);
    /* every README line's command is in --help */
    size_t seen[MAX_CMDS] = {0};
    for (const char *p = block; p < end;) {
        const char *eol = strchr(p, '\n');
        if (strncmp(p, "mijnzaken ", 10) == 0 && p[10] != '-') {
            size_t len = strcspn(p + 10, " \n");
            size_t k = 0;
            while (k < n && (strlen(names[k]) != len || strncmp(names[k], p + 10, len) != 0))
                k++;
            if (k == n)
                fail_msg("README names a command --help does not: %.*s", (int)len, p + 10);
            seen[k]++;
        }
        p = eol + 1;
    }
    for (size_t k = 0; k < n; k++)
        if (!seen[k])
            fail_msg("README's Commands block does not name %s", names[k]);
    free(readme);
}

int main(void)
{
    if (!getenv("MZ_BIN") || !getenv("MZ_SOURCE_DIR")) {
        fprintf(stderr, "test_cli: MZ_BIN and MZ_SOURCE_DIR must be set (run through ctest)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_listed_command_is_dispatched),
        cmocka_unit_test(test_unknown_command_is_refused),
        cmocka_unit_test(test_readme_lists_the_same_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
