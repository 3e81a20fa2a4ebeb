#include <getopt.h>
#include <stdint.h>
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

/* Terminal columns of one character: combining marks take none, East
 * Asian wide characters and most emoji two (the common ranges of
 * Unicode's East Asian Width, enough to line up a table). */
static int char_columns(uint32_t cp)
{
    static const uint32_t zero[][2] = {
        { 0x300, 0x36f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff },
        { 0x200b, 0x200f }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
        { 0xfe20, 0xfe2f },
    };
    static const uint32_t wide[][2] = {
        { 0x1100, 0x115f }, { 0x2e80, 0xa4cf }, { 0xac00, 0xd7a3 },
        { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f }, { 0xff00, 0xff60 },
        { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff },
        { 0x20000, 0x3fffd },
    };
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        if (cp >= zero[i][0] && cp <= zero[i][1])
            return 0;
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* printf pads by bytes: a name with accents or CJK ran the columns after
 * it to the left. Names are valid UTF-8 here (cli_printable). */
static void print_name(const char *name, int width)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p;) {
        size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        uint32_t cp = n == 1 ? *p : *p & (0x7f >> n);
        for (size_t i = 1; i < n && p[i]; i++)
            cp = cp << 6 | (p[i] & 0x3f);
        cols += char_columns(cp);
        while (n-- > 0 && *p)
            p++;
    }
    printf("%s%*s", name, cols < width ? width - cols : 0, "");
}

static void print_table(const struct memo *m)
{
    printf("%-28s %-9s %7s %9s %9s %10s\n", "class", "kind", "protos",
           "support", "calib", "radius");
    for (size_t i = 0; i < m->n_classes; i++) {
        const struct memo_class *c = &m->cls[i];
        char name[256];
        print_name(cli_printable(c->name, name, sizeof(name)), 28);
        printf(" %-9s %7u %9llu %9llu %10.4g\n", kind(c),
               c->n_protos, (unsigned long long)c->n_support,
               (unsigned long long)c->n_calib, (double)c->radius);
    }
    printf("benign false-alarm rate %.2f%% (target %.2f%%) on %u held-out "
           "benign flows\n", 100.0 * m->benign_fpr,
           100.0 * m->benign_fpr_target, m->n_reservoir);
    if (m->space != MEMO_SPACE_Z)
        printf("memory space %s (%u wide, input weight %.4g): radii are "
               "in that space\n", memo_space_name((enum memo_space)m->space),
               m->dim, (double)m->x_scale);
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
    alert_buf_raw(&b, "]", 1);
    if (m->space != MEMO_SPACE_Z)
        alert_buf_printf(&b, ",\"memory_space\":\"%s\",\"x_scale\":%.6g",
                         memo_space_name((enum memo_space)m->space),
                         (double)m->x_scale);
    alert_buf_raw(&b, "}\n", 2);
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
    cli_warn_name_clash("classes", d->memo, model);
    if (json)
        print_json(d->memo);
    else
        print_table(d->memo);
    detector_destroy(d);
    return 0;
}
