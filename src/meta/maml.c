/*
 * MAML, FOMAML, ANIL and Meta-SGD on the tensor engine (see maml.h).
 *
 * The second-order meta-gradient is not derived by hand: the inner loop
 * asks tensor_grad() for the support gradient with create_graph set, so
 * each fast weight phi_{s+1} = phi_s - alpha * g_s is a graph tensor of
 * theta, and one reverse pass from the query loss back to the leaves of
 * theta yields d L_query(phi_S) / d theta exactly, Hessian terms included.
 * The price is that the graph of all S steps stays alive until that pass:
 * memory grows linearly with S. Inference-time adaptation keeps no graph.
 */
#include "fewflow/maml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"
#include "meta/maml_impl.h"

void maml_config_default(struct maml_config *c)
{
    memset(c, 0, sizeof(*c));
    c->method = MAML_SECOND_ORDER;
    c->way = 5;
    c->inner_steps_train = 5;
    c->inner_steps_test = 10;
    c->inner_lr = 0.1f;
    c->meta_batch = 4;
    c->meta_lr = 1e-3f;
}

static const char *const method_names[] = {"maml", "fomaml", "anil"};

static int method_index(const char *name)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, method_names[i]) == 0)
            return i;
    }
    return -1;
}

int maml_method_parse(const char *name, enum maml_method *out)
{
    int i = method_index(name);
    if (i < 0)
        return err_set(ERR_INVALID, "unknown MAML method '%s' "
                       "(maml, fomaml or anil)", name);
    *out = (enum maml_method)i;
    return 0;
}

int maml_method_known(const char *name)
{
    return method_index(name) >= 0;
}

const char *maml_method_name(enum maml_method m)
{
    return (unsigned)m < 3 ? method_names[m] : "unknown";
}

static int config_check(const struct maml_config *c,
                        const struct nn_mlp_config *enc)
{
    if (c->way < 2 || c->way > 4096)
        return err_set(ERR_INVALID, "maml: way %d outside [2, 4096]",
                       c->way);
    if (c->inner_steps_train < 1 || c->inner_steps_test < 0 ||
        c->inner_steps_train > 1000 || c->inner_steps_test > 1000)
        return err_set(ERR_INVALID, "maml: inner steps %d/%d outside "
                       "[1, 1000]", c->inner_steps_train,
                       c->inner_steps_test);
    if (!(c->inner_lr > 0.0f) || !isfinite(c->inner_lr))
        return err_set(ERR_INVALID, "maml: inner step size must be > 0");
    if (c->meta_batch < 1 || !(c->meta_lr > 0.0f))
        return err_set(ERR_INVALID, "maml: meta-batch and meta step size "
                       "must be positive");
    if (c->is_meta_sgd && c->method == MAML_FIRST_ORDER)
        return err_set(ERR_UNSUPPORTED, "maml: Meta-SGD step sizes need "
                       "the second-order gradient (maml or anil)");
    if (enc->n_layers < 1 || enc->n_layers > NN_MLP_MAX_LAYERS)
        return err_set(ERR_INVALID, "maml: encoder needs 1 to %d layers",
                       NN_MLP_MAX_LAYERS);
    return 0;
}

static int add_step_size_views(struct maml_model *m)
{
    m->lr_view = m->params.n_views;
    for (int k = 0; k < m->n_model_views; k++) {
        const struct nn_view *v = &m->params.views[k];
        char name[NN_NAME_MAX];
        snprintf(name, sizeof(name), "lr.%.40s", v->name);
        int rc = nn_params_add(&m->params, name, v->rows, v->cols);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int build_layout(struct maml_model *m, const struct nn_mlp_config *e)
{
    struct nn_mlp_config ec = *e;
    /* The head reads activated features; dropout would make the inner
     * loop's loss surface random, so MAML runs the encoder without it. */
    ec.act_last = 1;
    ec.dropout = 0.0f;
    int rc = nn_mlp_init(&m->enc, &ec, &m->params, "enc");
    if (rc < 0)
        return rc;
    m->enc_views = nn_mlp_n_views(&m->enc);
    int emb = ec.widths[ec.n_layers];
    m->head_view = nn_params_add(&m->params, "head.W", emb, m->cfg.way);
    if (m->head_view < 0)
        return m->head_view;
    rc = nn_params_add(&m->params, "head.b", 1, m->cfg.way);
    if (rc < 0)
        return rc;
    m->n_model_views = m->params.n_views;
    m->lr_view = -1;
    if (m->cfg.is_meta_sgd && (rc = add_step_size_views(m)) < 0)
        return rc;
    return nn_params_alloc(&m->params);
}

static void init_weights(struct maml_model *m, struct rng *r)
{
    nn_mlp_reset(&m->enc, &m->params, r);
    /* PyTorch's nn.Linear default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
     * for the head, as in the reference implementation. */
    const struct nn_view *w = &m->params.views[m->head_view];
    float bound = 1.0f / sqrtf((float)w->rows);
    size_t n = (size_t)w->rows * w->cols + (size_t)w->cols;
    float *p = m->params.data + w->offset;
    for (size_t i = 0; i < n; i++)
        p[i] = (2.0f * rng_uniform(r) - 1.0f) * bound;
    if (m->cfg.is_zero_head)
        memset(p, 0, n * sizeof(float));
    const struct nn_view *last = &m->params.views[m->n_model_views - 1];
    m->n_model = last->offset + (size_t)last->rows * last->cols;
    for (size_t i = m->n_model; m->lr_view >= 0 && i < m->params.size; i++)
        m->params.data[i] = m->cfg.inner_lr;
}

struct maml_model *maml_model_create(const struct maml_config *cfg,
                                     const struct nn_mlp_config *enc,
                                     struct rng *r)
{
    if (config_check(cfg, enc) < 0)
        return NULL;
    struct maml_model *m = calloc(1, sizeof(*m));
    if (!m) {
        err_set(ERR_NOMEM, "maml: out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    nn_params_init(&m->params);
    if (build_layout(m, enc) < 0) {
        maml_model_destroy(m);
        return NULL;
    }
    init_weights(m, r);
    return m;
}

void maml_model_destroy(struct maml_model *m)
{
    if (!m)
        return;
    nn_params_fini(&m->params);
    free(m);
}

int maml_model_emb(const struct maml_model *m)
{
    return m->enc.cfg.widths[m->enc.cfg.n_layers];
}

int maml_model_inputs(const struct maml_model *m)
{
    return m->enc.cfg.widths[0];
}

int maml_optim_init(const struct maml_model *m, struct nn_optim *o)
{
    struct nn_optim_config oc = {.kind = NN_OPTIM_ADAM,
                                 .lr = m->cfg.meta_lr};
    return nn_optim_init(o, &oc, m->params.size);
}

int maml_train_step(struct maml_model *m, struct nn_optim *o,
                    struct tensor_arena *ar, const struct maml_task *tasks,
                    int n, float *scratch, float *loss)
{
    size_t size = m->params.size;
    float *mean = scratch, *one = scratch + size;
    double total = 0.0;
    if (n < 1)
        return err_set(ERR_INVALID, "maml: empty meta-batch");
    memset(mean, 0, size * sizeof(*mean));
    for (int i = 0; i < n; i++) {
        float l;
        int rc = maml_task_grad(m, ar, &tasks[i],
                                m->cfg.inner_steps_train, one, &l);
        if (rc < 0)
            return rc;
        for (size_t j = 0; j < size; j++)
            mean[j] += one[j] / (float)n;
        total += l;
    }
    if (m->cfg.grad_clip > 0.0f)
        nn_clip_grad_norm(mean, size, m->cfg.grad_clip);
    nn_optim_step(o, m->params.data, mean);
    if (loss)
        *loss = (float)(total / n);
    return 0;
}
