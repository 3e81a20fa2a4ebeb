/*
 * fewflow train --init-scale auto: trains each candidate scale with its
 * own progress bar and keeps the one that validates better.
 */
#include <math.h>

#include "cli/train_impl.h"
#include "fewflow/log.h"
#include "fewflow/progress.h"

/* The candidates of --init-scale auto, in the order they are tried (a
 * tie keeps the earlier, today's default). */
const char *const train_init_names[2] = { "kaiming", "torch" };

/* Progress of one candidate at a time: a bar each. */
struct auto_bar {
    struct meta_bar bar;      /* first: meta_bar_update's ctx */
    size_t total;
};

static void auto_begin(void *ctx, size_t i, const struct meta_candidate *c)
{
    struct auto_bar *b = ctx;

    log_info("train", "init scale %s (x%.4f): training", train_init_names[i],
             (double)c->init_scale);
    progress_init(&b->bar.bar, "episodes", b->total);
    b->bar.last_val = NAN;
}

static void auto_end(void *ctx, size_t i, const struct meta_candidate *c)
{
    struct auto_bar *b = ctx;

    progress_finish(&b->bar.bar);
    log_info("train", "init scale %s: validation accuracy %.4f ± %.4f at "
             "step %zu of %zu (first check %.4f)", train_init_names[i],
             c->res.best_val, c->res.best_val_ci95, c->res.best_step,
             c->res.steps, c->first_val);
}

static void auto_report(const struct train_run *r, const char *on)
{
    const struct meta_candidate *kept = &r->cands[r->chosen];
    const struct meta_candidate *other = &r->cands[1 - r->chosen];

    log_info("train", "init scale auto: kept %s (validation on %s %.4f, "
             "%s %.4f)", train_init_names[r->chosen], on, kept->res.best_val,
             train_init_names[1 - r->chosen], other->res.best_val);
}

/*
 * --init-scale auto. With validation classes, the candidates are trained
 * in full and the better validated one is kept (returns 0 with r->l set).
 * Without, held-out rows of the training classes cannot show what a
 * scale does to new classes, so the scale is chosen on held-out training
 * classes and the final model still has to be trained: returns 0 with
 * r->l NULL and the chosen scale in a->opts.
 */
int train_fit_auto(struct train_args *a, struct train_run *r,
                   const struct learner_ops *ops,
                   const struct learner_data *data)
{
    struct auto_bar bar = { .total = a->opts.episodes };
    struct meta_select sel = {
        .ops = ops, .opts = a->opts, .arch = a->arch,
        .n_train_classes = r->train_s.n_classes, .begin = auto_begin,
        .end = auto_end, .progress = meta_bar_update, .ctx = &bar,
    };
    int rc;

    r->cands[0].init_scale = 1.0f;
    r->cands[1].init_scale = LEARNER_INIT_SCALE_TORCH;
    if (!r->val_classes) {
        int32_t held[4096];
        size_t n_held = 0;

        log_info("train", "init scale auto: choosing on held-out training "
                 "classes");
        rc = meta_select_on_classes(&sel, data, r->cands, 2, &r->chosen,
                                    held, &n_held);
        for (size_t i = 0; rc == 0 && i < n_held; i++)
            log_info("train", "init scale auto: held out '%s'",
                     r->split.train->class_names[held[i]]);
        if (rc == 0)
            auto_report(r, "held-out classes");
        a->opts.init_scale = r->cands[r->chosen].init_scale;
        return rc;
    }
    rc = meta_train_select(&sel, data, r->has_val ? &r->val_s : NULL,
                           r->cands, 2, &r->l, &r->chosen);
    if (rc != 0)
        return rc;
    r->res = r->cands[r->chosen].res;
    auto_report(r, "validation classes");
    return 0;
}

