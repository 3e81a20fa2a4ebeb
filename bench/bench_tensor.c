/*
 * Tensor engine speed: one ProtoNet training step and one second-order
 * MAML meta-step on a 5-way 5-shot 15-query episode with 78 input
 * features and an MLP 78 -> 128 -> 128 -> 64, as bench/tensor.sh runs it
 * beside bench/bench_tensor_torch.py (the same computation in PyTorch).
 *
 * usage: bench_tensor protonet|maml STEPS
 * Prints "<mode> steps_per_s <wall> steps_per_cpu_s <cpu> final_loss <v>
 * arena_bytes <high water>" on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fewflow/nn.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"

enum {
    WAYS = 5, SHOTS = 5, QUERIES = 15, D_IN = 78, D_OUT = 64,
    N_SUP = WAYS * SHOTS, N_QRY = WAYS * QUERIES, INNER_STEPS = 5,
};

struct bench {
    struct nn_params p;
    struct nn_mlp enc;
    int head_w, head_b;
    struct nn_optim opt;
    struct tensor_arena *ar;
    float *grad;
    float x[(N_SUP + N_QRY) * D_IN];
    int y_sup[N_SUP], y_qry[N_QRY];
};

/* Wall time, or CPU time of this process: on a machine shared with
 * other jobs the CPU time is the steadier of the two. */
static double now_s(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void setup(struct bench *b, int with_head)
{
    struct nn_mlp_config cfg = { .n_layers = 3,
                                 .widths = { D_IN, 128, 128, D_OUT },
                                 .act = NN_ACT_RELU };
    struct nn_optim_config oc = { .kind = NN_OPTIM_ADAM, .lr = 1e-3f };
    struct rng r;

    nn_params_init(&b->p);
    if (nn_mlp_init(&b->enc, &cfg, &b->p, "enc") < 0)
        exit(2);
    if (with_head) {
        b->head_w = nn_params_add(&b->p, "head.W", D_OUT, WAYS);
        b->head_b = nn_params_add(&b->p, "head.b", 1, WAYS);
    }
    if (nn_params_alloc(&b->p) || nn_optim_init(&b->opt, &oc, b->p.size))
        exit(2);
    rng_seed(&r, 1);
    nn_mlp_reset(&b->enc, &b->p, &r);
    if (with_head)
        nn_init_xavier(nn_params_view(&b->p, b->head_w), D_OUT, WAYS, &r);
    for (size_t i = 0; i < sizeof(b->x) / sizeof(b->x[0]); i++)
        b->x[i] = rng_normal(&r);
    for (int i = 0; i < N_SUP; i++)
        b->y_sup[i] = i / SHOTS;
    for (int i = 0; i < N_QRY; i++)
        b->y_qry[i] = i / QUERIES;
    b->ar = tensor_arena_create(0);
    b->grad = malloc(b->p.size * sizeof(float));
}

static float protonet_step(struct bench *b)
{
    struct tensor_arena *ar = b->ar;
    struct tensor *w[6], *g[6];

    tensor_arena_reset(ar);
    nn_params_leaves(ar, &b->p, b->p.data, 0, 6, w);
    struct tensor x;     /* the episode, read in place as PyTorch does */

    tensor_init(&x, b->x, N_SUP + N_QRY, D_IN);
    struct tensor *z = nn_mlp_forward(ar, &b->enc, w, &x, NULL);
    struct tensor *protos = tensor_segment_mean(ar, tensor_rows(ar, z, 0,
                                                                N_SUP),
                                                b->y_sup, WAYS);
    struct tensor *d = tensor_sqdist(ar, tensor_rows(ar, z, N_SUP, N_QRY),
                                     protos);
    struct tensor *loss = tensor_cross_entropy(ar, tensor_scale(ar, d, -1),
                                               b->y_qry);
    if (tensor_grad(ar, loss, w, 6, 0, g) ||
        nn_params_scatter(&b->p, 0, 6, g, b->grad))
        exit(3);
    nn_optim_step(&b->opt, b->p.data, b->grad);
    return tensor_at(loss, 0, 0);
}

static struct tensor *maml_loss(struct bench *b, struct tensor **w,
                                struct tensor *x, const int *y)
{
    struct tensor *z = nn_mlp_forward(b->ar, &b->enc, w, x, NULL);
    struct tensor *logits = nn_linear_forward(b->ar, w[6], w[7], z);
    return tensor_cross_entropy(b->ar, logits, y);
}

static float maml_step(struct bench *b)
{
    struct tensor_arena *ar = b->ar;
    struct tensor *theta[8], *fast[8], *g[8];
    const float alpha = 0.01f;

    tensor_arena_reset(ar);
    nn_params_leaves(ar, &b->p, b->p.data, 0, 8, theta);
    struct tensor xs_, xq_, *xs = &xs_, *xq = &xq_;

    tensor_init(xs, b->x, N_SUP, D_IN);
    tensor_init(xq, b->x + N_SUP * D_IN, N_QRY, D_IN);
    memcpy(fast, theta, sizeof(fast));
    for (int s = 0; s < INNER_STEPS; s++) {
        struct tensor *l = maml_loss(b, fast, xs, b->y_sup);
        if (tensor_grad(ar, l, fast, 8, 1, g))
            exit(3);
        for (int k = 0; k < 8; k++)
            fast[k] = tensor_add_scaled(ar, fast[k], g[k], -alpha);
    }
    struct tensor *outer = maml_loss(b, fast, xq, b->y_qry);
    if (tensor_grad(ar, outer, theta, 8, 0, g) ||
        nn_params_scatter(&b->p, 0, 8, g, b->grad))
        exit(3);
    nn_optim_step(&b->opt, b->p.data, b->grad);
    return tensor_at(outer, 0, 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_tensor protonet|maml STEPS\n");
        return 2;
    }
    int maml = strcmp(argv[1], "maml") == 0, steps = atoi(argv[2]);
    struct bench *b = calloc(1, sizeof(*b));
    float (*step)(struct bench *) = maml ? maml_step : protonet_step;
    float loss = 0;

    setup(b, maml);
    for (int i = 0; i < 5; i++)        /* warm-up: arena and BLAS */
        step(b);
    double t0 = now_s(CLOCK_MONOTONIC);
    double c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < steps; i++)
        loss = step(b);
    double dt = now_s(CLOCK_MONOTONIC) - t0;
    double dc = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("%s steps_per_s %.1f steps_per_cpu_s %.1f final_loss %.5f "
           "arena_bytes %zu\n", argv[1], steps / dt, steps / dc,
           (double)loss, tensor_arena_high_water(b->ar));
    tensor_arena_destroy(b->ar);
    nn_optim_fini(&b->opt);
    nn_params_fini(&b->p);
    free(b->grad);
    free(b);
    return 0;
}
