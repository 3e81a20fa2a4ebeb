#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "fewflow/alert.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: fewflow classes --model MODEL [--json]\n"
            "Lists the classes a model knows: kind, prototypes, flows "
            "they came from,\nheld-out rows behind the radius, and the "
            "radius.\n");
}

static const char *kind(const struct memo_class *c)
{
    if (c->flags & MEMO_CLASS_BENIGN)
        return c->flags & MEMO_CLASS_ENROLLED ? "benign*" : "benign";
    return c->flags & MEMO_CLASS_ENROLLED ? "enrolled" : "attack";
}

static void print_table(const struct memo *m)
{
    printf("%-28s %-9s %7s %9s %9s %10s\n", "class", "kind", "protos",
           "support", "calib", "radius");
    for (size_t i = 0; i < m->n_classes; i++) {
        const struct memo_class *c = &m->cls[i];
        char name[256];
        printf("%-28s %-9s %7u %9llu %9llu %10.4g\n",
               cli_printable(c->name, name, sizeof(name)), kind(c),
               c->n_protos, (unsigned long long)c->n_support,
               (unsigned long long)c->n_calib, (double)c->radius);
    }
    printf("benign false-alarm rate %.2f%% (target %.2f%%) on %u held-out "
           "benign flows\n", 100.0 * m->benign_fpr,
           100.0 * m->benign_fpr_target, m->n_reservoir);
}

static void print_json(const struct memo *m)
{
    struct alert_buf b;
    alert_buf_init(&b);
    alert_buf_printf(&b, "{\"benign_fpr\":%.6g,\"benign_fpr_target\":%.6g,"
                     "\"classes\":[", (double)m->benign_fpr,
                     (double)m->benign_fpr_target);
    for (size_t i = 0; i < m->n_classes; i++) {
        const struct memo_class *c = &m->cls[i];
        alert_buf_raw(&b, i ? ",{\"name\":" : "{\"name\":", i ? 9 : 8);
        alert_buf_json_str(&b, c->name);
        alert_buf_printf(&b, ",\"kind\":\"%s\",\"prototypes\":%u,"
                         "\"support\":%llu,\"calibration_rows\":%llu,"
                         "\"radius\":", kind(c), c->n_protos,
                         (unsigned long long)c->n_support,
                         (unsigned long long)c->n_calib);
        alert_buf_json_num(&b, c->radius);
        alert_buf_raw(&b, "}", 1);
    }
    alert_buf_raw(&b, "]}\n", 3);
    if (!b.failed)
        fwrite(b.data, 1, b.len, stdout);
    alert_buf_fini(&b);
}

int cmd_classes(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "json", no_argument, 0, 'j' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL;
    int c, json = 0;

    while ((c = getopt_long(argc, argv, "m:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc)
        return cli_usage_error("classes", "unexpected argument '%s'",
                               argv[optind]);
    if (model == NULL)
        return cli_usage_error("classes", "--model MODEL is required");
    struct detector *d = detector_load(model, 1);
    if (d == NULL)
        return cli_fail(err_last());
    if (json)
        print_json(d->memo);
    else
        print_table(d->memo);
    detector_destroy(d);
    return 0;
}
