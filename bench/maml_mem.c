/*
 * Where the arena memory of one second-order MAML task goes: bytes added
 * by each phase of every inner step (forward and loss, the inner backward
 * with create_graph, the fast-weight update) and by the final query pass
 * and the outer reverse pass. Same shape as bench/maml_step.c: 78
 * features, 78-128-128-64 encoder, 5-way head, 5-shot 15-query.
 *
 * usage: maml_mem [STEPS]     (build like maml_acc.c, see RESULTS.md)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/maml.h"
#include "fewflow/nn.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"

enum { N_IN = 78, N_SUP = 25, N_QRY = 75 };

static struct tensor *loss_at(struct tensor_arena *ar,
                              const struct maml_model *m,
                              struct tensor **w, struct tensor *x,
                              const int *y)
{
    struct tensor *z = nn_mlp_forward(ar, &m->enc, w, x, NULL);
    struct tensor *lg = nn_linear_forward(ar, w[m->head_view],
                                          w[m->head_view + 1], z);
    return tensor_cross_entropy(ar, lg, y);
}

static void rows_fill(struct rng *r, float *x, int *y, int n, int per)
{
    for (int i = 0; i < n * N_IN; i++)
        x[i] = rng_normal(r);
    for (int i = 0; i < n; i++)
        y[i] = i / per;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 5;
    struct maml_config c;
    maml_config_default(&c);
    struct nn_mlp_config e = {.n_layers = 3, .widths = {N_IN, 128, 128, 64},
                              .act = NN_ACT_RELU};
    struct rng r;
    rng_seed(&r, 1);
    struct maml_model *m = maml_model_create(&c, &e, &r);
    static float xs[N_SUP * N_IN], xq[N_QRY * N_IN];
    static int ys[N_SUP], yq[N_QRY];
    rows_fill(&r, xs, ys, N_SUP, 5);
    rows_fill(&r, xq, yq, N_QRY, 15);
    struct tensor_arena *ar = tensor_arena_create(0);
    if (!m || !ar)
        return 1;
    struct tensor *theta[NN_MAX_VIEWS], *phi[NN_MAX_VIEWS], *g[NN_MAX_VIEWS];
    int nv = m->n_model_views;
    nn_params_leaves(ar, &m->params, m->params.data, 0, nv, theta);
    memcpy(phi, theta, sizeof(phi[0]) * (size_t)nv);
    struct tensor x, q;
    tensor_init(&x, xs, N_SUP, N_IN);
    tensor_init(&q, xq, N_QRY, N_IN);
    size_t prev = tensor_arena_used(ar), weights = 0;
    for (int k = 0; k < nv; k++)
        weights += (size_t)m->params.views[k].rows *
                   m->params.views[k].cols * sizeof(float);
    printf("one copy of the weights: %zu B\n", weights);
    for (int s = 0; s < steps; s++) {
        struct tensor *loss = loss_at(ar, m, phi, &x, ys);
        size_t a = tensor_arena_used(ar);
        tensor_grad(ar, loss, phi, nv, 1, g);
        size_t b = tensor_arena_used(ar);
        for (int k = 0; k < nv; k++)
            phi[k] = tensor_add_scaled(ar, phi[k], g[k], -c.inner_lr);
        size_t d = tensor_arena_used(ar);
        printf("inner step %d: forward+loss %zu B, backward (graph) %zu B, "
               "update %zu B\n", s + 1, a - prev, b - a, d - b);
        prev = d;
    }
    struct tensor *loss = loss_at(ar, m, phi, &q, yq);
    size_t a = tensor_arena_used(ar);
    tensor_grad(ar, loss, theta, nv, 0, g);
    size_t b = tensor_arena_used(ar);
    printf("query forward %zu B, outer reverse pass %zu B, high-water %zu B"
           "\n", a - prev, b - a, tensor_arena_high_water(ar));
    int rc = tensor_arena_status(ar);
    tensor_arena_destroy(ar);
    maml_model_destroy(m);
    return rc == 0 ? 0 : 1;
}
