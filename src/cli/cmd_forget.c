#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fewflow/detector.h"
#include "fewflow/support.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: fewflow forget --model MODEL --name NAME "
            "-o MODEL2\nRemoves class NAME from a model's class memory "
            "and writes the result.\n");
}

/* The class NAME means: its exact spelling, else the one class whose name
 * differs from it only in ASCII case. A model enrolled before names were
 * folded may hold several of those; taking the first would forget a class
 * the user did not name. */
static int find_target(const struct memo *m, const char *model,
                       const char *name, int32_t *at)
{
    *at = memo_class_find(m, name);
    if (*at < 0)
        return err_set(ERR_NOTFOUND, "%s: no class named '%s'", model, name);
    if (strcmp(m->cls[*at].name, name) == 0)
        return 0;
    for (size_t i = (size_t)*at + 1; i < m->n_classes; i++) {
        if (memo_names_collide(m->cls[i].name, name))
            return err_set(ERR_INVALID, "%s: '%s' could be class '%s' or "
                           "'%s' (they differ only in case): forget one by "
                           "its exact name", model, name, m->cls[*at].name,
                           m->cls[i].name);
    }
    return 0;
}

int cmd_forget(int argc, char **argv)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "name", required_argument, 0, 'n' },
        { "output", required_argument, 0, 'o' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *name = NULL, *out = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "m:n:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'n': name = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc)
        return cli_usage_error("forget", "unexpected argument '%s'",
                               argv[optind]);
    if (!model || !name || !out)
        return cli_usage_error("forget", "--model, --name and -o are "
                               "required");
    struct detector *d = detector_load(model, 1);
    if (d == NULL)
        return cli_fail(err_last());
    /* The stored spelling: the name may differ from it in ASCII case
     * (memo_names_collide), the flow-kind table keys on the stored one. */
    int32_t at = -1;
    int rc = find_target(d->memo, model, name, &at);
    char *stored = rc == 0 ? strdup(d->memo->cls[at].name) : NULL;
    if (rc == 0)
        rc = stored == NULL ? err_set(ERR_NOMEM, "out of memory")
                            : memo_class_forget(d->memo, stored);
    if (rc == 0 && d->support != NULL)
        support_forget(d->support, stored);
    if (rc == 0)
        rc = detector_save(d, out);
    if (rc == 0)
        printf("forgot %s; %zu classes left\n", stored, d->memo->n_classes);
    if (rc == 0)
        cli_warn_name_clash("forget", d->memo, out);
    /* Allowed (a deliberate choice), but said: without a benign class
     * nothing is decided benign; without any class detect judges nothing
     * and refuses the model. */
    if (rc == 0 && d->memo->n_classes == 0)
        log_warn("forget", "%s has no class left: detect refuses it until a "
                 "class is enrolled", out);
    else if (rc == 0 && memo_benign_count(d->memo) == 0)
        log_warn("forget", "%s has no benign class left: every flow of a "
                 "kind its classes learnt will alert, other flows are "
                 "unjudged", out);
    free(stored);
    detector_destroy(d);
    return rc == 0 ? 0 : cli_fail(rc);
}
