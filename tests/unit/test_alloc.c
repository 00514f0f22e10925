/*
 * test_alloc.c — the allocation rule (alloc.h): absent stays absent,
 * lengths are honoured, and a size that cannot be allocated aborts with the
 * fixed log line instead of returning NULL to a caller that never checks.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"

static void test_strdup_and_strndup(void **state)
{
    (void)state;
    assert_null(mz_xstrdup(NULL));
    assert_null(mz_xstrndup(NULL, 3));
    char *a = mz_xstrdup("zaak");
    assert_string_equal(a, "zaak");
    free(a);
    char *b = mz_xstrndup("zaaktype", 4);
    assert_string_equal(b, "zaak");
    free(b);
    char *c = mz_xstrndup("ab", 10); /* shorter than n: the whole string */
    assert_string_equal(c, "ab");
    free(c);
}

static void test_calloc_zeroes_and_zero_sizes_are_valid(void **state)
{
    (void)state;
    unsigned char *p = mz_xcalloc(64, 1);
    for (int i = 0; i < 64; i++)
        assert_int_equal(p[i], 0);
    free(p);
    free(mz_xmalloc(0)); /* a real pointer, never NULL */
    void *q = mz_xreallocarray(NULL, 0, 8);
    assert_non_null(q);
    q = mz_xreallocarray(q, 4, 8);
    memset(q, 1, 32);
    free(q);
}

/* Runs fn in a child and reports how it ended. */
static int child_signal(void (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        fn();
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void overflow(void)
{
    void *p = mz_xreallocarray(NULL, SIZE_MAX / 2, 4); /* n * size overflows */
    free(p);
}

static void test_overflow_aborts(void **state)
{
    (void)state;
    assert_int_equal(child_signal(overflow), SIGABRT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strdup_and_strndup),
        cmocka_unit_test(test_calloc_zeroes_and_zero_sizes_are_valid),
        cmocka_unit_test(test_overflow_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
