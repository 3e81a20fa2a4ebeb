#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fewflow/paths.h"
#include "testutil.h"

const char *testutil_data_path(const char *relative)
{
    static char dir[4096];
    static char path[8192];

    if (paths_data_dir(NULL, dir, sizeof(dir)) != 0)
        fail_msg("shared data not found (set FEWFLOW_DATA): %s", dir);
    snprintf(path, sizeof(path), "%s/%s", dir, relative);
    return path;
}

const char *testutil_tmpdir(void)
{
    static char dir[256];

    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/tmp/fewflow-test-XXXXXX");
        if (mkdtemp(dir) == NULL)
            fail_msg("mkdtemp failed");
    }
    return dir;
}

int testutil_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 4096, len = 0;
    char *buf;

    if (p == NULL)
        return -1;
    buf = malloc(cap);
    for (;;) {
        if (len + 1024 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    buf[len] = '\0';
    int status = pclose(p);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int testutil_runf(char **out, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    free(*out);
    *out = NULL;
    return testutil_run(cmd, out);
}

const char *testutil_bin(void)
{
    const char *bin = getenv("FEWFLOW_BIN");
    if (bin == NULL)
        fail_msg("FEWFLOW_BIN is not set (run the tests through ctest)");
    return bin;
}

int testutil_near(double a, double b, double tol, const char *sa,
                  const char *sb, const char *file, int line)
{
    if (fabs(a - b) <= tol && !isnan(a) && !isnan(b))
        return 1;
    print_error("%s:%d: %s = %.9g, %s = %.9g, |diff| %.3g > %.3g\n", file,
                line, sa, a, sb, b, fabs(a - b), tol);
    return 0;
}
