#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int main(int argc, char **argv)
{
    int i = 1;

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
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("fewflow %s\n", FEWFLOW_VERSION);
            return 0;
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
            return commands[c].run(argc - i, argv + i);
    }
    fprintf(stderr, "fewflow: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return 2;
}
