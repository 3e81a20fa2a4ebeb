/*
 * meta_train_select: the encoder's starting scale chosen on validation
 * data, and its record in the model (metatrain.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/metatrain.h"
#include "fewflow/rng.h"

/* Forwards progress and keeps the accuracy of the first validation. */
struct first_val {
    const struct meta_select *sel;
    double acc;
};

static void first_val_progress(void *ctx, size_t step, size_t total,
                               float loss, double val_acc)
{
    struct first_val *f = ctx;

    if (isnan(f->acc) && !isnan(val_acc))
        f->acc = val_acc;
    if (f->sel->progress)
        f->sel->progress(f->sel->ctx, step, total, loss, val_acc);
}

static int candidate_train(const struct meta_select *sel,
                           const struct learner_data *data,
                           const struct episode_sampler *val,
                           struct meta_candidate *c, struct learner **l)
{
    struct learner_opts o = sel->opts;
    struct first_val f = { sel, NAN };
    int rc;

    o.init_scale = c->init_scale;
    *l = learner_create(sel->ops, &o, &sel->arch, sel->n_train_classes,
                        o.seed);
    if (!*l)
        return err_last();
    rc = meta_train(*l, data, val, first_val_progress, &f, &c->res);
    c->first_val = f.acc;
    if (rc == 0 && isnan(c->res.best_val))
        rc = err_set(ERR_INVALID, "init scale %g: no validation accuracy",
                     (double)c->init_scale);
    if (rc != 0) {
        learner_destroy(*l);
        *l = NULL;
    }
    return rc;
}

int meta_train_select(const struct meta_select *sel,
                      const struct learner_data *data,
                      const struct episode_sampler *val,
                      struct meta_candidate *cands, size_t n,
                      struct learner **out, size_t *chosen)
{
    struct learner *best = NULL;
    int rc = 0;

    *out = NULL;
    if (!val || n == 0)
        return err_set(ERR_INVALID, "choosing the init scale needs "
                       "validation data and at least one candidate");
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct learner *l = NULL;

        if (sel->begin)
            sel->begin(sel->ctx, i, &cands[i]);
        rc = candidate_train(sel, data, val, &cands[i], &l);
        if (rc == 0 && sel->end)
            sel->end(sel->ctx, i, &cands[i]);
        if (rc == 0 && (!best ||
                        cands[i].res.best_val > cands[*chosen].res.best_val)) {
            learner_destroy(best);
            best = l;
            *chosen = i;
        } else {
            learner_destroy(l);
        }
    }
    if (rc != 0)
        learner_destroy(best);
    else
        *out = best;
    return rc;
}

/* Class ids of s in a seeded order: the first h are held out. */
static int32_t *classes_shuffled(const struct episode_sampler *s,
                                 uint64_t seed)
{
    int32_t *ids = malloc(s->n_classes * sizeof(int32_t));
    struct rng r;

    if (!ids)
        return NULL;
    memcpy(ids, s->class_ids, s->n_classes * sizeof(int32_t));
    rng_seed(&r, seed ^ 0xc1a55e5ULL);
    for (size_t i = s->n_classes; i > 1; i--) {
        size_t j = (size_t)rng_below(&r, i);
        int32_t t = ids[i - 1];

        ids[i - 1] = ids[j];
        ids[j] = t;
    }
    return ids;
}

static size_t held_out_count(size_t n)
{
    size_t h = (size_t)lround(0.4 * (double)n);

    return h < 2 ? 2 : h;
}

int meta_select_on_classes(const struct meta_select *sel,
                           const struct learner_data *data,
                           struct meta_candidate *cands, size_t n,
                           size_t *chosen, int32_t *held_ids,
                           size_t *n_held)
{
    const struct episode_sampler *all = data->train_sampler;
    struct episode_sampler keep, held;
    struct meta_select s = *sel;
    struct learner_data d = { data->train, &keep };
    struct learner *l = NULL;
    size_t h, rows = sel->opts.shot + 1;
    int32_t *ids;
    int rc;

    if (!all || all->n_classes < 4)
        return err_set(ERR_INVALID, "choosing the init scale on held-out "
                       "classes needs 4 training classes, not %zu",
                       all ? all->n_classes : 0);
    h = held_out_count(all->n_classes);
    ids = classes_shuffled(all, sel->opts.seed);
    if (!ids)
        return err_set(ERR_NOMEM, "init scale: out of memory");
    if (held_ids)
        memcpy(held_ids, ids, h * sizeof(int32_t));
    if (n_held)
        *n_held = h;
    memset(&keep, 0, sizeof(keep));
    memset(&held, 0, sizeof(held));
    rc = episode_sampler_init(&held, all->t, ids, h, rows);
    if (rc == 0)
        rc = episode_sampler_init(&keep, all->t, ids + h,
                                  all->n_classes - h, rows);
    s.n_train_classes = all->n_classes - h;
    if (s.opts.way > s.n_train_classes)
        s.opts.way = s.n_train_classes;
    if (rc == 0)
        rc = meta_train_select(&s, &d, &held, cands, n, &l, chosen);
    learner_destroy(l);
    episode_sampler_fini(&keep);
    episode_sampler_fini(&held);
    free(ids);
    return rc;
}

int meta_record_init_choice(struct model *m,
                            const struct meta_candidate *cands,
                            const char *const *names, size_t n,
                            size_t chosen)
{
    int rc = chosen < n ? 0 : err_set(ERR_INVALID, "init choice %zu of %zu",
                                      chosen, n);

    if (rc == 0)
        rc = model_record_set_metric(m, "init_scale",
                                     (double)cands[chosen].init_scale);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char key[64];

        snprintf(key, sizeof(key), "val_accuracy_%s", names[i]);
        rc = model_record_set_metric(m, key, cands[i].res.best_val);
    }
    return rc;
}

float meta_record_init_scale(const struct model *m)
{
    double v;

    if (model_record_get_metric(m, "init_scale", &v) != 0 ||
        !(v > 0.0) || !isfinite(v))
        return 1.0f;
    return (float)v;
}
