#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

/* Bounds the scratch memory of one forward or backward pass. */
#define LEARNER_ARENA_BYTES ((size_t)512 << 20)

void learner_opts_default(struct learner_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->way = 5;
    o->shot = 5;
    o->query = 15;
    o->episodes = 2000;
    o->lr = 1e-3f;
    o->lr_decay = 0.5f;
    o->lr_every = 1000;
    o->weight_decay = 0.0f;
    o->val_every = 100;
    o->val_episodes = 100;
    o->patience = 5;
    o->margin = 0.5f;
    o->mining = LEARNER_MINE_BATCH_HARD;
    o->batch = 128;
    o->inner_steps = 5;
    o->inner_lr = 0.1f;
    o->inner_steps_test = 10;
    o->meta_batch = 4;
    o->init_scale = 1.0f;
    o->open_weight = 1.0f;
    o->seed = 1;
}

int learner_init_scale_parse(const char *s, float *out)
{
    char *end;
    double v;

    if (strcmp(s, "kaiming") == 0)
        v = 1.0;
    else if (strcmp(s, "torch") == 0)
        v = LEARNER_INIT_SCALE_TORCH;
    else {
        v = strtod(s, &end);
        if (end == s || *end != '\0' || !isfinite(v) || !(v > 0.0))
            return ERR_INVALID;
    }
    *out = (float)v;
    return *out > 0.0f && isfinite(*out) ? 0 : ERR_INVALID;
}

void learner_arch_default(struct model_arch *a, uint32_t n_in)
{
    memset(a, 0, sizeof(*a));
    a->n_in = n_in;
    a->n_hidden = 2;
    a->hidden[0] = 128;
    a->hidden[1] = 128;
    a->n_emb = 64;
    strcpy(a->activation, "relu");
    a->skip_scale = 1.0f;
    strcpy(a->rule, "mean");
}

static int act_parse(const char *name, enum nn_act *out)
{
    static const struct { const char *name; enum nn_act act; } acts[] = {
        { "relu", NN_ACT_RELU }, { "tanh", NN_ACT_TANH },
        { "leaky_relu", NN_ACT_LEAKY_RELU }, { "none", NN_ACT_NONE },
    };

    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
        if (strcmp(name, acts[i].name) == 0) {
            *out = acts[i].act;
            return 0;
        }
    }
    return err_set(ERR_INVALID, "unknown activation '%s' (relu, tanh, "
                   "leaky_relu, none)", name);
}

static int arch_to_mlp(const struct model_arch *a, struct nn_mlp_config *c)
{
    memset(c, 0, sizeof(*c));
    if (a->n_hidden + 1 > NN_MLP_MAX_LAYERS || a->n_in < 1 || a->n_emb < 1)
        return err_set(ERR_INVALID, "encoder: %u hidden layers (at most %d),"
                       " %u inputs, %u outputs", a->n_hidden,
                       NN_MLP_MAX_LAYERS - 1, a->n_in, a->n_emb);
    if (!learner_rule_known(a->rule))
        return err_set(ERR_INVALID, "unknown decision rule '%s' (%s)",
                       a->rule, learner_rule_names());
    c->n_layers = (int)a->n_hidden + 1;
    c->widths[0] = (int)a->n_in;
    for (uint32_t i = 0; i < a->n_hidden; i++)
        c->widths[i + 1] = (int)a->hidden[i];
    c->widths[c->n_layers] = (int)a->n_emb;
    c->dropout = a->dropout;
    return act_parse(a->activation, &c->act);
}

/* Lays out encoder views then one "extra" view, and allocates. */
static int learner_layout(struct learner *l, size_t n_extra)
{
    struct nn_mlp_config cfg;
    int rc = arch_to_mlp(&l->arch, &cfg);

    nn_params_init(&l->layout);
    if (rc == 0)
        rc = nn_mlp_init(&l->mlp, &cfg, &l->layout, "enc");
    if (rc == 0 && n_extra > 0 && n_extra > (size_t)INT32_MAX)
        rc = err_set(ERR_RANGE, "learner: %zu extra parameters", n_extra);
    if (rc == 0)
        l->n_enc_params = 0;
    for (int v = 0; rc == 0 && v < l->layout.n_views; v++)
        l->n_enc_params += (size_t)l->layout.views[v].rows *
            (size_t)l->layout.views[v].cols;
    if (rc == 0 && n_extra > 0)
        rc = nn_params_add(&l->layout, "extra", 1, (int)n_extra);
    if (rc >= 0)
        rc = nn_params_alloc(&l->layout);
    if (rc < 0)
        return rc;
    l->params = l->layout.data;
    l->n_params = l->layout.size;
    return 0;
}

static struct learner *learner_alloc(const struct learner_ops *ops,
                                     const struct learner_opts *opts,
                                     const struct model_arch *arch,
                                     size_t n_train_classes)
{
    struct learner *l = calloc(1, sizeof(*l));

    if (!l) {
        err_set(ERR_NOMEM, "learner: out of memory");
        return NULL;
    }
    l->ops = ops;
    l->opts = *opts;
    l->arch = *arch;
    l->n_train_classes = n_train_classes;
    l->ar = tensor_arena_create(LEARNER_ARENA_BYTES);
    if (!l->ar) {
        free(l);
        err_set(ERR_NOMEM, "learner: out of memory");
        return NULL;
    }
    return l;
}

static size_t learner_n_extra(const struct learner *l)
{
    return l->ops->extra_params ?
        l->ops->extra_params(l, l->n_train_classes) : 0;
}

/* Scales the weight matrices only: with zero biases a ReLU encoder's
 * output then scales by s to the power of its depth. */
static void encoder_weights_scale(struct learner *l, float s)
{
    for (int k = 0; k < l->mlp.cfg.n_layers; k++) {
        int v = l->mlp.first_view + 2 * k;
        float *w = nn_params_view(&l->layout, v);
        size_t n = (size_t)l->layout.views[v].rows *
            (size_t)l->layout.views[v].cols;

        for (size_t i = 0; i < n; i++)
            w[i] *= s;
    }
}

struct learner *learner_create(const struct learner_ops *ops,
                               const struct learner_opts *opts,
                               const struct model_arch *arch,
                               size_t n_train_classes, uint64_t seed)
{
    struct learner *l;
    struct rng rng;

    if (!(opts->init_scale > 0.0f) || !isfinite(opts->init_scale)) {
        err_set(ERR_INVALID, "encoder init scale %g: wants a finite number "
                "above 0", (double)opts->init_scale);
        return NULL;
    }
    l = learner_alloc(ops, opts, arch, n_train_classes);
    if (!l)
        return NULL;
    if (learner_layout(l, learner_n_extra(l)) != 0) {
        learner_destroy(l);
        return NULL;
    }
    rng_seed(&rng, seed);
    nn_mlp_reset(&l->mlp, &l->layout, &rng);
    if (opts->init_scale != 1.0f)
        encoder_weights_scale(l, opts->init_scale);
    if (ops->init && ops->init(l, &rng) != 0) {
        learner_destroy(l);
        return NULL;
    }
    return l;
}

void learner_destroy(struct learner *l)
{
    if (!l)
        return;
    if (l->ops && l->ops->fini)
        l->ops->fini(l);
    nn_params_fini(&l->layout);
    tensor_arena_destroy(l->ar);
    free(l);
}

size_t learner_embed_dim(const struct learner *l)
{
    return l->arch.n_emb + (l->arch.raw_skip ? l->arch.n_in : 0);
}

int learner_leaves(struct learner *l, struct tensor_arena *ar,
                   struct tensor **leaves, int *n)
{
    *n = l->layout.n_views;
    return nn_params_leaves(ar, &l->layout, l->params, 0, *n, leaves);
}

struct tensor *learner_forward(struct learner *l, struct tensor_arena *ar,
                               struct tensor *const *leaves, const float *x,
                               size_t n, struct rng *dropout_rng)
{
    struct tensor *xt = tensor_from(ar, x, (int)n, (int)l->arch.n_in);
    struct tensor *z = nn_mlp_forward(ar, &l->mlp, leaves, xt, dropout_rng);

    if (l->arch.raw_skip)
        z = tensor_concat_cols(ar, z, tensor_scale(ar, xt,
                                                   l->arch.skip_scale));
    return z;
}

int learner_backward(struct learner *l, struct tensor_arena *ar,
                     struct tensor *loss, struct tensor *const *leaves,
                     int n_leaves, float *grad)
{
    struct tensor *grads[LEARNER_MAX_VIEWS];
    int rc = tensor_grad(ar, loss, leaves, n_leaves, 0, grads);

    if (rc != 0)
        return rc;
    for (int v = 0; v < n_leaves; v++) {
        const struct nn_view *view = &l->layout.views[v];
        size_t count = (size_t)view->rows * (size_t)view->cols;
        float *dst = grad + view->offset;

        for (size_t i = 0; i < count; i++) {
            int r = (int)(i / (size_t)view->cols);
            int c = (int)(i % (size_t)view->cols);

            dst[i] += tensor_at(grads[v], r, c);
        }
    }
    return 0;
}

/* Inference embedding in chunks, so the arena stays small. */
int learner_embed(struct learner *l, const float *x, size_t n, float *z)
{
    const size_t chunk = 2048;
    size_t dim = learner_embed_dim(l);
    struct tensor *leaves[LEARNER_MAX_VIEWS];
    int n_leaves, rc = 0;

    for (size_t at = 0; at < n && rc == 0; at += chunk) {
        size_t m = n - at < chunk ? n - at : chunk;
        struct tensor *out;

        tensor_arena_reset(l->ar);
        tensor_arena_set_grad_enabled(l->ar, 0);
        rc = learner_leaves(l, l->ar, leaves, &n_leaves);
        out = rc == 0 ? learner_forward(l, l->ar, leaves,
                                        x + at * l->arch.n_in, m, NULL)
            : NULL;
        if (!out)
            rc = tensor_arena_status(l->ar) ? tensor_arena_status(l->ar)
                : ERR_NOMEM;
        else
            tensor_read(out, z + at * dim);
    }
    tensor_arena_reset(l->ar);
    return rc;
}
