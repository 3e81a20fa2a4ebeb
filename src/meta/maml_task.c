/*
 * The meta-gradient of one task for each method (see maml.h).
 */
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/maml.h"
#include "fewflow/tensor.h"
#include "meta/maml_impl.h"

struct tensor *maml_head_forward(const struct maml_model *m,
                                 struct tensor_arena *ar,
                                 struct tensor *const *w, struct tensor *z)
{
    return nn_linear_forward(ar, w[m->head_view], w[m->head_view + 1], z);
}

struct tensor *maml_forward(const struct maml_model *m,
                            struct tensor_arena *ar, struct tensor *const *w,
                            struct tensor *x)
{
    struct tensor *z = nn_mlp_forward(ar, &m->enc, w, x, NULL);
    return maml_head_forward(m, ar, w, z);
}

int maml_check_rows(const float *x, const int *y, int n, int n_classes,
                    const char *what)
{
    if (!x || !y || n < 1)
        return err_set(ERR_INVALID, "maml: %s set is empty", what);
    for (int i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= n_classes)
            return err_set(ERR_INVALID, "maml: %s row %d has label %d, "
                           "outside [0, %d)", what, i, y[i], n_classes);
    }
    return 0;
}

static int check_task(const struct maml_model *m, const struct maml_task *t,
                      int steps)
{
    if (steps < 1 || steps > 1000)
        return err_set(ERR_INVALID, "maml: %d inner steps outside "
                       "[1, 1000]", steps);
    int rc = maml_check_rows(t->xs, t->ys, t->n_support, m->cfg.way,
                             "support");
    if (rc < 0)
        return rc;
    return maml_check_rows(t->xq, t->yq, t->n_query, m->cfg.way, "query");
}

/*
 * One differentiable inner step on views [first, n_model_views) of phi:
 * phi_k <- phi_k - alpha_k * dL/dphi_k. With create_graph the update is a
 * graph function of everything phi depended on (second order).
 */
static int inner_step(const struct maml_model *m, struct tensor_arena *ar,
                      struct tensor **phi, struct tensor *const *lr,
                      int first, struct tensor *feat, const int *y,
                      int is_head_only)
{
    struct tensor *logits = is_head_only
        ? maml_head_forward(m, ar, phi, feat) : maml_forward(m, ar, phi, feat);
    struct tensor *loss = tensor_cross_entropy(ar, logits, y);
    if (!loss)
        return tensor_arena_status(ar);
    struct tensor *g[NN_MAX_VIEWS];
    int n = m->n_model_views - first;
    int rc = tensor_grad(ar, loss, phi + first, n, 1, g);
    if (rc < 0)
        return rc;
    for (int k = first; k < m->n_model_views; k++) {
        struct tensor *gk = g[k - first];
        phi[k] = lr ? tensor_sub(ar, phi[k], tensor_mul(ar, lr[k], gk))
                    : tensor_add_scaled(ar, phi[k], gk, -m->cfg.inner_lr);
    }
    return tensor_arena_status(ar);
}

/* Query loss at phi, its gradient with respect to the leaves of theta
 * written into grad, the loss value into *loss. */
static int outer_grad(const struct maml_model *m, struct tensor_arena *ar,
                      struct tensor *logits, const int *yq,
                      struct tensor **theta, float *grad, float *loss)
{
    struct tensor *lq = tensor_cross_entropy(ar, logits, yq);
    if (!lq)
        return tensor_arena_status(ar);
    struct tensor *g[NN_MAX_VIEWS];
    int rc = tensor_grad(ar, lq, theta, m->params.n_views, 0, g);
    if (rc < 0)
        return rc;
    *loss = tensor_at(lq, 0, 0);
    return nn_params_scatter(&m->params, 0, m->params.n_views, g, grad);
}

/* MAML and ANIL: the inner loop as a graph of theta, then one reverse
 * pass. ANIL runs the encoder once and adapts the head on its output. */
static int grad_exact(const struct maml_model *m, struct tensor_arena *ar,
                      const struct maml_task *t, int steps, float *grad,
                      float *loss)
{
    struct tensor *theta[NN_MAX_VIEWS], *phi[NN_MAX_VIEWS];
    int rc = nn_params_leaves(ar, &m->params, m->params.data, 0,
                              m->params.n_views, theta);
    if (rc < 0)
        return rc;
    memcpy(phi, theta, sizeof(phi[0]) * (size_t)m->n_model_views);
    struct tensor *const *lr = m->lr_view >= 0 ? theta + m->lr_view : NULL;
    struct tensor xs, xq;
    int n_in = maml_model_inputs(m);
    tensor_init(&xs, (float *)t->xs, t->n_support, n_in);
    tensor_init(&xq, (float *)t->xq, t->n_query, n_in);
    int is_anil = m->cfg.method == MAML_ANIL;
    struct tensor *fs = &xs, *fq = &xq;
    if (is_anil) {
        fs = nn_mlp_forward(ar, &m->enc, theta, &xs, NULL);
        fq = nn_mlp_forward(ar, &m->enc, theta, &xq, NULL);
    }
    int first = is_anil ? m->head_view : 0;
    for (int s = 0; s < steps && rc == 0; s++)
        rc = inner_step(m, ar, phi, lr, first, fs, t->ys, is_anil);
    if (rc < 0)
        return rc;
    struct tensor *logits = is_anil ? maml_head_forward(m, ar, phi, fq)
                                    : maml_forward(m, ar, phi, fq);
    return outer_grad(m, ar, logits, t->yq, theta, grad, loss);
}

/* FOMAML: adapt without a graph, then the query gradient at phi_S is the
 * gradient for theta (Finn et al., 2017, section 5.2). */
static int grad_first_order(const struct maml_model *m,
                            struct tensor_arena *ar,
                            const struct maml_task *t, int steps,
                            float *grad, float *loss)
{
    size_t size = m->params.size;
    float *phi = tensor_arena_alloc(ar, size * sizeof(float));
    if (!phi)
        return tensor_arena_status(ar);
    memcpy(phi, m->params.data, size * sizeof(float));
    struct tensor xs, xq;
    int n_in = maml_model_inputs(m);
    tensor_init(&xs, (float *)t->xs, t->n_support, n_in);
    tensor_init(&xq, (float *)t->xq, t->n_query, n_in);
    int rc = maml_sgd_flat(m, ar, &xs, t->ys, steps, 0, 0, phi);
    if (rc < 0)
        return rc;
    struct tensor *w[NN_MAX_VIEWS];
    rc = nn_params_leaves(ar, &m->params, phi, 0, m->n_model_views, w);
    if (rc < 0)
        return rc;
    memset(grad, 0, size * sizeof(float));
    struct tensor *lq = tensor_cross_entropy(ar, maml_forward(m, ar, w, &xq),
                                             t->yq);
    struct tensor *g[NN_MAX_VIEWS];
    if (!lq)
        return tensor_arena_status(ar);
    rc = tensor_grad(ar, lq, w, m->n_model_views, 0, g);
    if (rc < 0)
        return rc;
    *loss = tensor_at(lq, 0, 0);
    return nn_params_scatter(&m->params, 0, m->n_model_views, g, grad);
}

/* A fixed zero head gets no meta-gradient, so Adam never moves it. */
static void zero_head_grad(const struct maml_model *m, float *grad)
{
    const struct nn_view *w = &m->params.views[m->head_view];
    size_t n = (size_t)w->rows * w->cols + (size_t)w->cols;
    memset(grad + w->offset, 0, n * sizeof(float));
}

int maml_task_grad(const struct maml_model *m, struct tensor_arena *ar,
                   const struct maml_task *t, int steps, float *grad,
                   float *loss)
{
    int rc = check_task(m, t, steps);
    if (rc < 0)
        return rc;
    float l = 0.0f;
    tensor_arena_reset(ar);
    if (m->cfg.method == MAML_FIRST_ORDER)
        rc = grad_first_order(m, ar, t, steps, grad, &l);
    else
        rc = grad_exact(m, ar, t, steps, grad, &l);
    tensor_arena_reset(ar);
    if (rc == 0 && m->cfg.is_zero_head)
        zero_head_grad(m, grad);
    if (loss)
        *loss = l;
    return rc;
}
