/*
 * test_random_ids.c — random identifiers from the per-thread buffer
 * (crypto.h, issue 18): no repeats within a thread across many refills,
 * none between threads, none between a forked child and its parent (the
 * child's buffer is refilled), and the formats (hex, letters only).
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"

#define PER_THREAD 3000 /* 16 bytes each: ~12 refills of the 4 KiB buffer */

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void *make_ids(void *p)
{
    char(*ids)[33] = p;
    for (int i = 0; i < PER_THREAD; i++)
        mz_random_hex(ids[i], 16);
    return NULL;
}

static void test_no_repeats_within_and_between_threads(void **state)
{
    (void)state;
    char(*ids)[33] = calloc(4 * PER_THREAD, 33);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, make_ids, ids + i * PER_THREAD);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4 * PER_THREAD; i++) {
        assert_int_equal(strlen(ids[i]), 32);
        assert_int_equal(strspn(ids[i], "0123456789abcdef"), 32);
    }
    qsort(ids, 4 * PER_THREAD, 33, cmp);
    for (int i = 1; i < 4 * PER_THREAD; i++)
        assert_string_not_equal(ids[i - 1], ids[i]);
    free(ids);
}

static void test_fork_does_not_repeat(void **state)
{
    (void)state;
    char warm[17];
    mz_random_hex(warm, 8); /* the buffer is filled and partly used */
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char id[33];
        mz_random_hex(id, 16);
        ssize_t w = write(fd[1], id, 32);
        _exit(w == 32 ? 0 : 1);
    }
    char parent[33], child[33] = "";
    mz_random_hex(parent, 16);
    close(fd[1]);
    assert_int_equal(read(fd[0], child, 32), 32);
    child[32] = '\0';
    close(fd[0]);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_string_not_equal(parent, child); /* without the refill they are equal */
}

static void test_letters_only(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        char id[27];
        mz_random_id(id, 26);
        assert_int_equal(strlen(id), 26);
        for (int k = 0; k < 26; k++)
            assert_true((id[k] >= 'a' && id[k] <= 'z') || (id[k] >= 'A' && id[k] <= 'F'));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_repeats_within_and_between_threads),
        cmocka_unit_test(test_fork_does_not_repeat),
        cmocka_unit_test(test_letters_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
