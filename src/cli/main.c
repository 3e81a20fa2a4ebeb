#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "data", cmd_data, "inspect flow datasets (data inspect FILE...)" },
    { "train", cmd_train, "meta-train an encoder on a protocol's classes" },
    { "eval", cmd_eval, "few-shot and open-set evaluation of a model" },
    { "flows", cmd_flows, "turn captures or an interface into flow features" },
    { "detect", cmd_detect, "classify flows and write alerts as JSON lines" },
    { "enroll", cmd_enroll, "add a class to a model from a few flows" },
    { "classes", cmd_classes, "list a model's classes" },
    { "forget", cmd_forget, "remove a class from a model" },
};

int cli_fail(int code)
{
    char msg[512];

    /* Messages may quote a field of a hostile file. */
    fprintf(stderr, "fewflow: error: %s\n",
            cli_printable(err_msg(), msg, sizeof(msg)));
    return code == ERR_NOMEM ? 1 : 2;
}

size_t cli_stdin_count(const char *const *paths, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += strcmp(paths[i], "-") == 0;
    return k;
}

int cli_output_is_input(const char *out, const char *const *paths,
                        size_t n)
{
    struct stat o, i;

    /* Only an existing regular file can be both: a new path is no input,
     * and devices or pipes (/dev/stdout) are not overwritten. */
    if (out == NULL || strcmp(out, "-") == 0 || stat(out, &o) != 0 ||
        !S_ISREG(o.st_mode))
        return 0;
    for (size_t k = 0; k < n; k++) {
        if (paths[k] != NULL && strcmp(paths[k], "-") != 0 &&
            stat(paths[k], &i) == 0 &&
            i.st_dev == o.st_dev && i.st_ino == o.st_ino)
            return err_set(ERR_INVALID, "%s: the output file is also the "
                           "input %s: writing would destroy what is read",
                           out, paths[k]);
    }
    return 0;
}

const char *cli_opt_name(const struct option *opts, int c)
{
    static char name[40];

    for (const struct option *o = opts; o->name != NULL; o++) {
        if (o->val == c) {
            snprintf(name, sizeof(name), "--%s", o->name);
            return name;
        }
    }
    return "this option";
}

int cli_decimal(const char *v, double *out)
{
    const char *p = v + (*v == '-' || *v == '+');
    size_t digits = strspn(p, "0123456789");
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        digits += frac;
        p += 1 + frac;
    }
    if (digits > 0 && (*p == 'e' || *p == 'E')) {
        const char *e = p + 1 + (p[1] == '-' || p[1] == '+');
        size_t n = strspn(e, "0123456789");
        p = n > 0 ? e + n : p;
    }
    if (digits == 0 || *p != '\0')
        return -1;
    *out = strtod(v, NULL);
    return 0;
}

int cli_whole(const char *v, unsigned long long max, unsigned long long *out)
{
    size_t n = strspn(v, "0123456789");
    if (n == 0 || v[n] != '\0')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, NULL, 10);
    if (errno == ERANGE || x > max)
        return -1;
    *out = x;
    return 0;
}

const char *cli_printable(const char *s, char *buf, size_t size)
{
    size_t n = 0;

    for (; s[n] != '\0' && n + 1 < size; n++) {
        unsigned char c = (unsigned char)s[n];
        buf[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[n] = '\0';
    return buf;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "fewflow %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'fewflow %s --help')\n", cmd);
    return 2;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: fewflow [-q|-v] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'fewflow COMMAND --help' shows a command's options. "
            "FEWFLOW_LOG=debug|info|warn|error sets the log level.\n");
}

/*
 * OpenBLAS starts its worker threads when the library loads and lets them
 * spin for about 0.1 s after start and after every threaded call. Our
 * products are small (128-wide layers): a second BLAS thread bought no
 * training speed here (2.32 s against 2.34 s for 300 episodes) but cost
 * 0.5 s of a core in sched_yield, and 0.1-0.3 s of a core on every
 * command; detection threads itself. So unless the user chose a count,
 * the command re-executes itself once with one BLAS thread, the only way
 * to reach OpenBLAS before its constructor runs.
 */
static void blas_single_thread_by_default(char **argv)
{
    if (getenv("OPENBLAS_NUM_THREADS") || getenv("OMP_NUM_THREADS") ||
        getenv("GOTO_NUM_THREADS"))
        return;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* No /proc: carry on with OpenBLAS's own default. */
}

/* A full disk or a closed stdout must not pass for success: the report
 * or alerts would be lost without a word. A command that failed has said
 * why already. */
static int finish_stdout(int rc)
{
    int e = fflush(stdout) != 0 ? errno : 0;
    if (e == 0 && !ferror(stdout))
        return rc;
    if (rc == 0)
        fprintf(stderr, "fewflow: error: standard output: write failed: "
                "%s\n", e ? strerror(e) : "an earlier write failed");
    return rc != 0 ? rc : 2;
}

int main(int argc, char **argv)
{
    int i = 1;

    blas_single_thread_by_default(argv);

    if (log_init_from_env() != 0) {
        fprintf(stderr, "fewflow: error: %s\n", err_msg());
        return 2;
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-q") == 0) {
            log_set_level(LOG_WARN);
        } else if (strcmp(argv[i], "-v") == 0) {
            log_set_level(LOG_DEBUG);
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return finish_stdout(0);
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("fewflow %s (OpenBLAS threads: %d)\n", FEWFLOW_VERSION,
                   openblas_get_num_threads());
            return finish_stdout(0);
        } else {
            fprintf(stderr, "fewflow: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
        if (strcmp(argv[i], commands[c].name) == 0)
            return finish_stdout(commands[c].run(argc - i, argv + i));
    }
    fprintf(stderr, "fewflow: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return 2;
}
