#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/meta_setup.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/rng.h"

int meta_files_take(struct meta_files *f, int argc, char **argv,
                    const char *optarg_value, const char *cmd)
{
    if (f->n >= META_MAX_FILES)
        return cli_usage_error(cmd, "more than %d data files",
                               META_MAX_FILES);
    f->paths[f->n++] = (char *)optarg_value;
    /* getopt leaves optind at the next word: take plain words as files. */
    while (optind < argc && argv[optind][0] != '-') {
        if (f->n >= META_MAX_FILES)
            return cli_usage_error(cmd, "more than %d data files",
                                   META_MAX_FILES);
        f->paths[f->n++] = argv[optind++];
    }
    return 0;
}

void meta_files_fini(struct meta_files *f)
{
    if (f->owned) {
        for (size_t i = 0; i < f->n; i++)
            free(f->paths[i]);
    }
    f->n = 0;
}

struct table *meta_table_classes(const struct table *t, char *const *names,
                                 size_t n)
{
    return table_select_classes(t, (const char *const *)names, n);
}

static int check_classes(const struct table *t, char *const *names,
                         size_t n, const char *role)
{
    for (size_t i = 0; i < n; i++) {
        if (table_class_id(t, names[i]) < 0)
            return err_set(ERR_NOTFOUND, "%s class '%s' is not in the data "
                           "(labels are matched exactly)", role, names[i]);
    }
    return 0;
}

/* Moves a val_fraction of each class's rows of train into a new table. */
static int split_rows(struct meta_split *s, double fraction, uint64_t seed)
{
    struct table *all = s->train;
    struct table *keep = table_create(all->n_cols,
                                      (const char *const *)all->col_names);
    struct rng rng;
    int rc = 0;

    s->val = table_create(all->n_cols, (const char *const *)all->col_names);
    if (!keep || !s->val) {
        table_destroy(keep);
        return err_set(ERR_NOMEM, "out of memory splitting");
    }
    rng_seed(&rng, seed ^ 0x7a11dULL);
    for (size_t i = 0; i < all->n_rows && rc == 0; i++) {
        const char *label = all->class_names[all->y[i]];
        int held = rng_uniform(&rng) < (float)fraction;

        rc = table_append(held ? s->val : keep, table_row(all, i), label);
    }
    table_destroy(all);
    s->train = keep;
    return rc;
}

int meta_split_build(const struct table *t, const struct protocol *p,
                     uint64_t seed, struct meta_split *s)
{
    int rc = check_classes(t, p->train, p->n_train, "training");

    memset(s, 0, sizeof(*s));
    if (rc == 0)
        rc = check_classes(t, p->val, p->n_val, "validation");
    if (rc == 0)
        rc = check_classes(t, p->test, p->n_test, "test");
    if (rc != 0)
        return rc;
    s->train = meta_table_classes(t, p->train, p->n_train);
    s->test = meta_table_classes(t, p->test, p->n_test);
    if (p->n_val)
        s->val = meta_table_classes(t, p->val, p->n_val);
    if (!s->train || !s->test || (p->n_val && !s->val))
        rc = err_last() ? err_last() : ERR_NOMEM;
    if (rc == 0 && !p->n_val && p->val_fraction > 0.0)
        rc = split_rows(s, p->val_fraction, seed);
    if (rc == 0 && !(s->nz = normalizer_fit(s->train, NULL, s->train->n_rows,
                                            1)))
        rc = err_last();
    if (rc == 0)
        rc = normalizer_apply_table(s->nz, s->train);
    if (rc == 0)
        rc = normalizer_apply_table(s->nz, s->test);
    if (rc == 0 && s->val)
        rc = normalizer_apply_table(s->nz, s->val);
    if (rc != 0)
        meta_split_fini(s);
    return rc;
}

void meta_split_fini(struct meta_split *s)
{
    table_destroy(s->train);
    table_destroy(s->val);
    table_destroy(s->test);
    normalizer_destroy(s->nz);
    memset(s, 0, sizeof(*s));
}

size_t meta_classes_with_rows(const struct table *t, size_t min_rows,
                              int32_t *ids, const char *what)
{
    size_t *counts = calloc(t->n_classes + 1, sizeof(size_t));
    size_t n = 0;

    if (!counts)
        return 0;
    table_class_counts(t, counts);
    for (size_t c = 0; c < t->n_classes; c++) {
        if (counts[c] >= min_rows)
            ids[n++] = (int32_t)c;
        else
            log_warn("meta", "%s class '%s' has %zu rows, fewer than %zu: "
                     "left out", what, t->class_names[c], counts[c],
                     min_rows);
    }
    free(counts);
    return n;
}

void meta_bar_update(void *ctx, size_t step, size_t total, float loss,
                     double val_acc)
{
    struct meta_bar *b = ctx;
    char extra[96];

    (void)total;
    if (!isnan(val_acc))
        b->last_val = val_acc;
    if (isnan(b->last_val))
        snprintf(extra, sizeof(extra), "loss %.4f", (double)loss);
    else
        snprintf(extra, sizeof(extra), "loss %.4f val %.3f", (double)loss,
                 b->last_val);
    progress_update(&b->bar, step, extra);
}
