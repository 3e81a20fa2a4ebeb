/*
 * Adaptation without a graph (inference, FOMAML's inner loop), scoring,
 * and the any-width head used for class memory (see maml.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/maml.h"
#include "fewflow/tensor.h"
#include "meta/maml_impl.h"

void maml_const_views(const struct maml_model *m, const float *phi,
                      struct tensor *cv, struct tensor **w)
{
    for (int k = 0; k < m->n_model_views; k++) {
        const struct nn_view *v = &m->params.views[k];
        /* Constants only read their data; the cast never leads to a
         * write into phi. */
        tensor_init(&cv[k], (float *)phi + v->offset, v->rows, v->cols);
        w[k] = &cv[k];
    }
}

static size_t largest_view(const struct maml_model *m)
{
    size_t n = 0;
    for (int k = 0; k < m->n_model_views; k++) {
        const struct nn_view *v = &m->params.views[k];
        size_t sz = (size_t)v->rows * v->cols;
        n = sz > n ? sz : n;
    }
    return n;
}

/* phi_k -= alpha_k * g for one view k, alpha from the Meta-SGD view of
 * phi or the configured scalar. */
static void view_update(const struct maml_model *m, float *phi, int k,
                        const float *g)
{
    const struct nn_view *v = &m->params.views[k];
    size_t n = (size_t)v->rows * v->cols;
    float *p = phi + v->offset;
    if (m->lr_view >= 0) {
        const float *lr = phi + m->params.views[m->lr_view + k].offset;
        for (size_t i = 0; i < n; i++)
            p[i] -= lr[i] * g[i];
        return;
    }
    for (size_t i = 0; i < n; i++)
        p[i] -= m->cfg.inner_lr * g[i];
}

int maml_sgd_flat(const struct maml_model *m, struct tensor_arena *ar,
                  struct tensor *feat, const int *y, int steps, int first,
                  int is_head_only, float *phi)
{
    float *gbuf = tensor_arena_alloc(ar, largest_view(m) * sizeof(float));
    if (!gbuf)
        return tensor_arena_status(ar);
    struct tensor_mark mark = tensor_arena_mark(ar);
    struct tensor *w[NN_MAX_VIEWS], *g[NN_MAX_VIEWS];
    int n = m->n_model_views - first;
    for (int s = 0; s < steps; s++) {
        int rc = nn_params_leaves(ar, &m->params, phi, first, n, w + first);
        struct tensor *logits = is_head_only
            ? maml_head_forward(m, ar, w, feat) : maml_forward(m, ar, w, feat);
        struct tensor *loss = tensor_cross_entropy(ar, logits, y);
        if (rc < 0 || !loss)
            return tensor_arena_status(ar);
        rc = tensor_grad(ar, loss, w + first, n, 0, g);
        if (rc < 0)
            return rc;
        for (int k = first; k < m->n_model_views; k++) {
            tensor_read(g[k - first], gbuf);
            view_update(m, phi, k, gbuf);
        }
        tensor_arena_rewind(ar, mark);
    }
    return 0;
}

/* Encoder features of rows x under theta, as a constant. */
static struct tensor *theta_features(const struct maml_model *m,
                                     struct tensor_arena *ar,
                                     struct tensor *x)
{
    struct tensor cv[NN_MAX_VIEWS], *w[NN_MAX_VIEWS];
    maml_const_views(m, m->params.data, cv, w);
    int prev = tensor_arena_set_grad_enabled(ar, 0);
    struct tensor *z = nn_mlp_forward(ar, &m->enc, w, x, NULL);
    tensor_arena_set_grad_enabled(ar, prev);
    return z;
}

int maml_adapt(const struct maml_model *m, struct tensor_arena *ar,
               const float *x, const int *y, int n, int steps, float *phi)
{
    int rc = maml_check_rows(x, y, n, m->cfg.way, "support");
    if (rc < 0)
        return rc;
    if (steps < 0 || steps > 1000)
        return err_set(ERR_INVALID, "maml: %d inner steps outside "
                       "[0, 1000]", steps);
    tensor_arena_reset(ar);
    memcpy(phi, m->params.data, m->params.size * sizeof(float));
    struct tensor xt;
    tensor_init(&xt, (float *)x, n, maml_model_inputs(m));
    int is_anil = m->cfg.method == MAML_ANIL;
    struct tensor *feat = is_anil ? theta_features(m, ar, &xt) : &xt;
    rc = feat ? maml_sgd_flat(m, ar, feat, y, steps,
                              is_anil ? m->head_view : 0, is_anil, phi)
              : tensor_arena_status(ar);
    tensor_arena_reset(ar);
    return rc;
}

int maml_logits(const struct maml_model *m, struct tensor_arena *ar,
                const float *phi, const float *x, int n, float *logits)
{
    if (!x || n < 1)
        return err_set(ERR_INVALID, "maml: no rows to score");
    tensor_arena_reset(ar);
    tensor_arena_set_grad_enabled(ar, 0);
    struct tensor cv[NN_MAX_VIEWS], *w[NN_MAX_VIEWS], xt;
    maml_const_views(m, phi, cv, w);
    tensor_init(&xt, (float *)x, n, maml_model_inputs(m));
    struct tensor *out = maml_forward(m, ar, w, &xt);
    int rc = tensor_arena_status(ar);
    if (out && rc == 0)
        tensor_read(out, logits);
    tensor_arena_reset(ar);
    return out ? rc : (rc < 0 ? rc : ERR_STATE);
}

static int argmax(const float *v, int n)
{
    int best = 0;
    for (int j = 1; j < n; j++)
        best = v[j] > v[best] ? j : best;
    return best;
}

int maml_accuracy(const struct maml_model *m, struct tensor_arena *ar,
                  const float *phi, const float *x, const int *y, int n,
                  double *acc)
{
    int way = m->cfg.way;
    int rc = maml_check_rows(x, y, n, way, "query");
    if (rc < 0)
        return rc;
    float *logits = malloc((size_t)n * way * sizeof(float));
    if (!logits)
        return err_set(ERR_NOMEM, "maml: out of memory");
    rc = maml_logits(m, ar, phi, x, n, logits);
    int hits = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        hits += argmax(logits + (size_t)i * way, way) == y[i];
    free(logits);
    *acc = rc == 0 ? (double)hits / n : 0.0;
    return rc;
}
