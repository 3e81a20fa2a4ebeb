/*
 * The test helpers themselves: a test process's temporary directory goes
 * away with it (thousands were left in /tmp before), but not when a
 * forked child exits, and not when FEWFLOW_TEST_KEEP asks to keep it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* Runs a child that makes its own temporary directory with a file and a
 * subdirectory in it, then exits normally; returns the directory's path. */
static void child_tmpdir(char *path, size_t len, int keep)
{
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        if (keep)
            setenv("FEWFLOW_TEST_KEEP", "1", 1);
        const char *dir = testutil_tmpdir();
        FILE *f = fopen(testutil_tmp("x.csv"), "w");
        int ok = f != NULL && mkdir(testutil_tmp("sub"), 0700) == 0;
        if (f != NULL)
            fclose(f);
        f = fopen(testutil_tmp("sub/y"), "w");
        ok = ok && f != NULL;
        if (f != NULL)
            fclose(f);
        ok = ok && write(fd[1], dir, strlen(dir)) == (ssize_t)strlen(dir);
        exit(ok ? 0 : 1);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], path, len - 1);
    close(fd[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(n > 0);
    path[n] = '\0';
}

static void tmpdir_goes_away_with_its_process(void **state)
{
    (void)state;
    char path[512];
    struct stat sb;

    child_tmpdir(path, sizeof(path), 0);
    assert_int_equal(strncmp(path, "/tmp/fewflow-test-", 18), 0);
    errno = 0;
    assert_int_not_equal(stat(path, &sb), 0);
    assert_int_equal(errno, ENOENT);
}

static void tmpdir_is_kept_when_asked(void **state)
{
    (void)state;
    char path[512], cmd[600];
    struct stat sb;

    child_tmpdir(path, sizeof(path), 1);
    assert_int_equal(stat(path, &sb), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* Runs after the tests above: from here on this process owns a directory,
 * and a forked child that exits must leave it in place. */
static void tmpdir_survives_a_forked_child(void **state)
{
    (void)state;
    struct stat sb;
    const char *dir = testutil_tmpdir();

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        exit(0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tmpdir_goes_away_with_its_process),
        cmocka_unit_test(tmpdir_is_kept_when_asked),
        cmocka_unit_test(tmpdir_survives_a_forked_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
