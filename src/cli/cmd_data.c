/*
 * fewflow data inspect FILE... : what a flow dataset holds, as the loader
 * sees it (profile, rows, kept and dropped columns, labels, non-finite
 * values, duplicates). Output is built completely before any of it is
 * printed, so a failing input leaves stdout empty.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data_report.h"
#include "fewflow/data.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/progress.h"

#define MAX_LIST 256

struct inspect_args {
    struct data_options opt;
    const char *drop[MAX_LIST];
    const char *categorical[MAX_LIST];
    char *lists[2];       /* strdup'd option values split in place */
    int json;
};

static void usage(FILE *out)
{
    fprintf(out,
        "usage: fewflow data inspect FILE... [options]\n"
        "Reads flow CSV files (plain, .gz or .xz) of one dataset together\n"
        "and reports profile, rows, columns, labels, non-finite values and\n"
        "duplicates.\n\n"
        "  --profile P        nsl-kdd, unsw-nb15, cic-ids2017-improved,\n"
        "                     cic-ids2017-mlcve, generic (default: detect)\n"
        "  --label COL        label column (default: the profile's)\n"
        "  --no-label         the files carry no label\n"
        "  --family           NSL-KDD: label rows by attack family\n"
        "  --drop A,B,...     further columns to drop\n"
        "  --categorical A,.. further columns to one-hot encode\n"
        "  --json             one JSON object on stdout\n");
}

/* Splits a comma list into out (borrowing from the strdup'd copy). */
static int split_list(char *s, const char **out, size_t *n, const char *opt)
{
    for (char *tok = strtok(s, ","); tok != NULL; tok = strtok(NULL, ",")) {
        if (*n >= MAX_LIST)
            return cli_usage_error("data", "%s: more than %d names", opt,
                                   MAX_LIST);
        out[(*n)++] = tok;
    }
    return 0;
}

static int take_list(struct inspect_args *a, int which, const char *arg)
{
    if (a->lists[which] != NULL)
        return cli_usage_error("data", "give --%s once, comma-separated",
                               which ? "categorical" : "drop");
    a->lists[which] = strdup(arg);
    if (a->lists[which] == NULL)
        return 1;
    if (which == 0)
        return split_list(a->lists[0], a->drop, &a->opt.n_drop, "--drop");
    return split_list(a->lists[1], a->categorical, &a->opt.n_categorical,
                      "--categorical");
}

static int parse_args(int argc, char **argv, struct inspect_args *a)
{
    static const struct option opts[] = {
        { "profile", required_argument, NULL, 'p' },
        { "label", required_argument, NULL, 'l' },
        { "no-label", no_argument, NULL, 'n' },
        { "family", no_argument, NULL, 'f' },
        { "drop", required_argument, NULL, 'd' },
        { "categorical", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc = 0;

    while (rc == 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': a->opt.profile = optarg; break;
        case 'l': a->opt.label = optarg; break;
        case 'n': a->opt.no_label = 1; break;
        case 'f': a->opt.label_family = 1; break;
        case 'd': rc = take_list(a, 0, optarg); break;
        case 'c': rc = take_list(a, 1, optarg); break;
        case 'j': a->json = 1; break;
        case 'h': usage(stdout); return -1;
        default: return cli_usage_error("data", "unknown option");
        }
    }
    a->opt.drop = a->drop;
    a->opt.categorical = a->categorical;
    return rc;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *bar = ctx;

    bar->total = total;
    progress_update(bar, done, NULL);
}

static int inspect(int argc, char **argv)
{
    struct inspect_args a;
    struct progress bar;

    memset(&a, 0, sizeof(a));
    data_options_init(&a.opt);
    optind = 1;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && optind >= argc)
        rc = cli_usage_error("data", "inspect needs at least one FILE");
    if (rc == 0 && cli_stdin_count((const char *const *)argv + optind,
                                   (size_t)(argc - optind)) > 1)
        rc = cli_usage_error("data", "standard input given more than once");
    if (rc == 0) {
        progress_init(&bar, "input bytes", 0);
        a.opt.progress = on_progress;
        a.opt.progress_ctx = &bar;
        rc = data_report_run((const char *const *)argv + optind,
                             (size_t)(argc - optind), &a.opt, a.json);
        if (bar.drawn)
            progress_finish(&bar);
    }
    free(a.lists[0]);
    free(a.lists[1]);
    return rc < 0 ? 0 : rc;
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "inspect") != 0)
        return cli_usage_error("data", "unknown subcommand '%s'", argv[1]);
    return inspect(argc - 1, argv + 1);
}
