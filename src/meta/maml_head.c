/*
 * A head of any width on theta's encoder, for class memory (maml.h,
 * maml_head_fit). Enrolment adds classes one at a time, so the number of
 * classes rarely equals the meta-trained way: the head starts from the
 * part of theta's head that no labelling favours, the mean of its columns.
 */
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/maml.h"
#include "fewflow/tensor.h"
#include "meta/maml_impl.h"

static void head_start(const struct maml_model *m, int n_classes,
                       float *w, float *b)
{
    int emb = maml_model_emb(m), way = m->cfg.way;
    const float *tw = m->params.data + m->params.views[m->head_view].offset;
    const float *tb = tw + (size_t)emb * way;
    if (n_classes == way) {
        memcpy(w, tw, (size_t)emb * way * sizeof(float));
        memcpy(b, tb, (size_t)way * sizeof(float));
        return;
    }
    float mb = 0.0f;
    for (int j = 0; j < way; j++)
        mb += tb[j] / (float)way;
    for (int r = 0; r < emb; r++) {
        float mean = 0.0f;
        for (int j = 0; j < way; j++)
            mean += tw[(size_t)r * way + j] / (float)way;
        for (int c = 0; c < n_classes; c++)
            w[(size_t)r * n_classes + c] = mean;
    }
    for (int c = 0; c < n_classes; c++)
        b[c] = mb;
}

/* The step size for the head: Meta-SGD's learned values averaged over a
 * view (a head of another width has no per-element match), else alpha. */
static float head_lr(const struct maml_model *m, int k)
{
    if (m->lr_view < 0)
        return m->cfg.inner_lr;
    const struct nn_view *v = &m->params.views[m->lr_view + k];
    const float *lr = m->params.data + v->offset;
    size_t n = (size_t)v->rows * v->cols;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += lr[i];
    return (float)(s / (double)n);
}

static int check_classes(const int *y, int n, int n_classes)
{
    char seen[4096] = {0};
    for (int i = 0; i < n; i++)
        seen[y[i]] = 1;
    for (int c = 0; c < n_classes; c++) {
        if (!seen[c])
            return err_set(ERR_INVALID, "maml: class %d has no support "
                           "row", c);
    }
    return 0;
}

static struct tensor *features(const struct maml_model *m,
                               struct tensor_arena *ar, const float *x,
                               int n)
{
    struct tensor cv[NN_MAX_VIEWS], *w[NN_MAX_VIEWS], xt;
    maml_const_views(m, m->params.data, cv, w);
    tensor_init(&xt, (float *)x, n, maml_model_inputs(m));
    int prev = tensor_arena_set_grad_enabled(ar, 0);
    struct tensor *z = nn_mlp_forward(ar, &m->enc, w, &xt, NULL);
    tensor_arena_set_grad_enabled(ar, prev);
    return z;
}

static int head_sgd(const struct maml_model *m, struct tensor_arena *ar,
                    struct tensor *z, const int *y, int n_classes,
                    int steps, float *hw, float *hb)
{
    int emb = maml_model_emb(m);
    float lr_w = head_lr(m, m->head_view), lr_b = head_lr(m, m->head_view + 1);
    struct tensor_mark mark = tensor_arena_mark(ar);
    for (int s = 0; s < steps; s++) {
        struct tensor *w = tensor_leaf(ar, hw, emb, n_classes);
        struct tensor *b = tensor_leaf(ar, hb, 1, n_classes);
        struct tensor *ps[2] = {w, b}, *g[2];
        struct tensor *loss = tensor_cross_entropy(
            ar, nn_linear_forward(ar, w, b, z), y);
        if (!loss)
            return tensor_arena_status(ar);
        int rc = tensor_grad(ar, loss, ps, 2, 0, g);
        if (rc < 0)
            return rc;
        for (int i = 0; i < emb * n_classes; i++)
            hw[i] -= lr_w * tensor_at(g[0], i / n_classes, i % n_classes);
        for (int c = 0; c < n_classes; c++)
            hb[c] -= lr_b * tensor_at(g[1], 0, c);
        tensor_arena_rewind(ar, mark);
    }
    return 0;
}

int maml_head_fit(const struct maml_model *m, struct tensor_arena *ar,
                  const float *x, const int *y, int n, int n_classes,
                  int steps, float *head_w, float *head_b)
{
    if (n_classes < 1 || n_classes > 4096 || steps < 0 || steps > 100000)
        return err_set(ERR_INVALID, "maml: head of %d classes with %d "
                       "steps is out of range", n_classes, steps);
    int rc = maml_check_rows(x, y, n, n_classes, "support");
    if (rc == 0)
        rc = check_classes(y, n, n_classes);
    if (rc < 0)
        return rc;
    head_start(m, n_classes, head_w, head_b);
    tensor_arena_reset(ar);
    struct tensor *z = features(m, ar, x, n);
    rc = z ? head_sgd(m, ar, z, y, n_classes, steps, head_w, head_b)
           : tensor_arena_status(ar);
    tensor_arena_reset(ar);
    return rc;
}

int maml_head_logits(const struct maml_model *m, struct tensor_arena *ar,
                     const float *head_w, const float *head_b,
                     int n_classes, const float *x, int n, float *logits)
{
    if (!x || n < 1 || n_classes < 1)
        return err_set(ERR_INVALID, "maml: no rows or classes to score");
    tensor_arena_reset(ar);
    struct tensor *z = features(m, ar, x, n);
    struct tensor w, b;
    tensor_init(&w, (float *)head_w, maml_model_emb(m), n_classes);
    tensor_init(&b, (float *)head_b, 1, n_classes);
    tensor_arena_set_grad_enabled(ar, 0);
    struct tensor *out = nn_linear_forward(ar, &w, &b, z);
    int rc = tensor_arena_status(ar);
    if (out && rc == 0)
        tensor_read(out, logits);
    tensor_arena_reset(ar);
    return out ? rc : (rc < 0 ? rc : ERR_STATE);
}
