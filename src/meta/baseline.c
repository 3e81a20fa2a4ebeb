/*
 * The supervised baseline: the same encoder trained with a softmax head
 * over all meta-training classes (class-balanced mini-batches), then
 * nearest class mean on its embedding for new classes. The head is the
 * learner's extra parameters: W [dim, C] then b [1, C].
 */
#include <stdlib.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

struct baseline_state {
    float *x;       /* batch × n_in */
    int *y;
};

static size_t baseline_extra(const struct learner *l, size_t n_classes)
{
    return (learner_embed_dim(l) + 1) * n_classes;
}

static int baseline_init(struct learner *l, struct rng *rng)
{
    struct baseline_state *s = calloc(1, sizeof(*s));
    size_t batch = l->opts.batch ? l->opts.batch : 1;

    if (s) {
        s->x = malloc(batch * l->arch.n_in * sizeof(float));
        s->y = malloc(batch * sizeof(int));
    }
    if (!s || !s->x || !s->y) {
        if (s) {
            free(s->x);
            free(s->y);
        }
        free(s);
        return err_set(ERR_NOMEM, "baseline: out of memory");
    }
    l->state = s;
    return 0;
}

static void baseline_fini(struct learner *l)
{
    struct baseline_state *s = l->state;

    if (s) {
        free(s->x);
        free(s->y);
    }
    free(s);
    l->state = NULL;
}

/* A class-balanced batch: a uniform class, then a uniform row of it. */
static int baseline_batch(struct learner *l, struct rng *rng)
{
    struct baseline_state *s = l->state;
    const struct episode_sampler *sm = l->data ? l->data->train_sampler
        : NULL;

    if (!sm || sm->n_classes != l->n_train_classes)
        return err_set(ERR_STATE, "baseline: training classes changed");
    for (size_t b = 0; b < l->opts.batch; b++) {
        size_t c = (size_t)rng_below(rng, sm->n_classes);
        size_t row = sm->rows[c][rng_below(rng, sm->counts[c])];

        s->y[b] = (int)c;
        for (size_t k = 0; k < l->arch.n_in; k++)
            s->x[b * l->arch.n_in + k] = table_row(sm->t, row)[k];
    }
    return 0;
}

static int baseline_step(struct learner *l, struct rng *rng, float *grad,
                         float *loss)
{
    struct baseline_state *s = l->state;
    struct tensor_arena *ar = l->ar;
    struct tensor *leaves[LEARNER_MAX_VIEWS], *z, *head, *w, *b, *logits;
    int n_leaves, dim = (int)learner_embed_dim(l);
    int c = (int)l->n_train_classes;
    int rc = baseline_batch(l, rng);

    if (rc != 0)
        return rc;
    tensor_arena_reset(ar);
    rc = learner_leaves(l, ar, leaves, &n_leaves);
    if (rc != 0)
        return rc;
    z = learner_forward(l, ar, leaves, s->x, l->opts.batch, rng);
    head = leaves[n_leaves - 1];
    w = tensor_reshape(ar, tensor_cols(ar, head, 0, dim * c), dim, c);
    b = tensor_cols(ar, head, dim * c, c);
    logits = nn_linear_forward(ar, w, b, z);
    return learner_step_finish(l, tensor_cross_entropy(ar, logits, s->y),
                               leaves, n_leaves, grad, loss);
}

const struct learner_ops learner_baseline_ops = {
    .name = "baseline",
    .summary = "supervised softmax over the training classes, then "
        "nearest class mean",
    .default_rule = "mean",
    .extra_params = baseline_extra,
    .init = baseline_init,
    .train_step = baseline_step,
    .fini = baseline_fini,
};
