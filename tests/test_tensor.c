/*
 * Tensor engine tests. Every operation's gradient is checked against
 * central finite differences, and so is its second-order behaviour: the
 * gradient of <grad L, v> (a Hessian-vector product built with
 * create_graph = 1) against finite differences of the gradient along v.
 *
 * Tolerances: forward passes run in float32, so a central difference with
 * step h = 1e-2 has rounding error near 1e-7 |L| / h plus truncation error
 * O(h^2 f'''); |analytic - numeric| <= ATOL + RTOL |numeric| with
 * ATOL = 2e-3 and RTOL = 2e-2 for first order, 1e-2 and 5e-2 for second.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"
#include "testutil.h"

enum { MAX_IN = 3, MAX_ELEMS = 512 };

typedef struct tensor *(*op_fn)(struct tensor_arena *ar, struct tensor **in);

struct case_ {
    const char *name;
    op_fn fn;
    int n_in;
    int shape[MAX_IN][2];
    float lo, hi;           /* input values drawn from [lo, hi] */
    int away_from_zero;     /* keep |x| >= 0.1 (kinks at 0) */
};

struct fixture {
    float in[MAX_IN][MAX_ELEMS];
    float v[MAX_IN][MAX_ELEMS];      /* HVP direction */
    float r[4096];                   /* random output weights */
};

static int numel(const struct case_ *c, int k)
{
    return c->shape[k][0] * c->shape[k][1];
}

static void fill(struct fixture *fx, const struct case_ *c, uint64_t seed)
{
    struct rng r;

    rng_seed(&r, seed);
    for (int k = 0; k < c->n_in; k++) {
        for (int i = 0; i < numel(c, k); i++) {
            float x = c->lo + (c->hi - c->lo) * rng_uniform(&r);
            if (c->away_from_zero && fabsf(x) < 0.1f)
                x = x < 0 ? x - 0.1f : x + 0.1f;
            fx->in[k][i] = x;
            fx->v[k][i] = 2.0f * rng_uniform(&r) - 1.0f;
        }
    }
    for (int i = 0; i < 4096; i++)
        fx->r[i] = 2.0f * rng_uniform(&r) - 1.0f;
}

/* L = sum_ij out_ij r_ij, built in the graph so it can be differentiated. */
static struct tensor *loss_of(struct tensor_arena *ar, struct tensor *out,
                              const float *r)
{
    if (!out)
        return NULL;
    struct tensor *w = tensor_from(ar, r, out->rows, out->cols);
    return tensor_sum(ar, tensor_mul(ar, out, w));
}

static void make_leaves(struct tensor_arena *ar, const struct case_ *c,
                        struct fixture *fx, struct tensor **in)
{
    for (int k = 0; k < c->n_in; k++)
        in[k] = tensor_leaf(ar, fx->in[k], c->shape[k][0], c->shape[k][1]);
}

/* Loss in double from the forward values, for finite differences. */
static double eval_loss(struct tensor_arena *ar, const struct case_ *c,
                        struct fixture *fx)
{
    struct tensor_mark m = tensor_arena_mark(ar);
    struct tensor *in[MAX_IN];

    make_leaves(ar, c, fx, in);
    struct tensor *out = c->fn(ar, in);
    assert_non_null(out);
    double s = 0;
    for (int i = 0; i < out->rows; i++)
        for (int j = 0; j < out->cols; j++)
            s += (double)tensor_at(out, i, j) * fx->r[i * out->cols + j];
    tensor_arena_rewind(ar, m);
    return s;
}

/* Gradients of L wrt every input, read out to g[k]. */
static void eval_grad(struct tensor_arena *ar, const struct case_ *c,
                      struct fixture *fx, int create_graph,
                      float g[][MAX_ELEMS])
{
    struct tensor_mark m = tensor_arena_mark(ar);
    struct tensor *in[MAX_IN], *gr[MAX_IN];

    make_leaves(ar, c, fx, in);
    struct tensor *l = loss_of(ar, c->fn(ar, in), fx->r);
    assert_int_equal(tensor_grad(ar, l, in, c->n_in, create_graph, gr), 0);
    for (int k = 0; k < c->n_in; k++) {
        assert_int_equal(gr[k]->rows, c->shape[k][0]);
        assert_int_equal(gr[k]->cols, c->shape[k][1]);
        tensor_read(gr[k], g[k]);
    }
    tensor_arena_rewind(ar, m);
}

static int near(double a, double n, double atol, double rtol)
{
    return fabs(a - n) <= atol + rtol * fabs(n);
}

static void check_first_order(struct tensor_arena *ar, const struct case_ *c,
                              struct fixture *fx)
{
    float g[MAX_IN][MAX_ELEMS], g_fast[MAX_IN][MAX_ELEMS];
    const float h = 1e-2f;

    eval_grad(ar, c, fx, 1, g);
    eval_grad(ar, c, fx, 0, g_fast);
    for (int k = 0; k < c->n_in; k++) {
        for (int i = 0; i < numel(c, k); i++) {
            float x = fx->in[k][i];
            fx->in[k][i] = x + h;
            double lp = eval_loss(ar, c, fx);
            fx->in[k][i] = x - h;
            double lm = eval_loss(ar, c, fx);
            fx->in[k][i] = x;
            double num = (lp - lm) / (2.0 * h);
            if (!near(g[k][i], num, 2e-3, 2e-2))
                fail_msg("%s: d/din%d[%d] analytic %g numeric %g", c->name,
                         k, i, (double)g[k][i], num);
            if (!near(g_fast[k][i], g[k][i], 1e-5, 1e-4))
                fail_msg("%s: fast path %g vs graph %g", c->name,
                         (double)g_fast[k][i], (double)g[k][i]);
        }
    }
}

/* H v by double backward: d/dx <grad L(x), v>. */
static void eval_hvp(struct tensor_arena *ar, const struct case_ *c,
                     struct fixture *fx, float hv[][MAX_ELEMS])
{
    struct tensor_mark m = tensor_arena_mark(ar);
    struct tensor *in[MAX_IN], *gr[MAX_IN], *hvp[MAX_IN];

    make_leaves(ar, c, fx, in);
    struct tensor *l = loss_of(ar, c->fn(ar, in), fx->r);
    assert_int_equal(tensor_grad(ar, l, in, c->n_in, 1, gr), 0);
    struct tensor *dot = NULL;
    for (int k = 0; k < c->n_in; k++) {
        struct tensor *v = tensor_from(ar, fx->v[k], c->shape[k][0],
                                       c->shape[k][1]);
        struct tensor *t = tensor_sum(ar, tensor_mul(ar, gr[k], v));
        dot = dot ? tensor_add(ar, dot, t) : t;
    }
    assert_int_equal(tensor_grad(ar, dot, in, c->n_in, 0, hvp), 0);
    for (int k = 0; k < c->n_in; k++)
        tensor_read(hvp[k], hv[k]);
    tensor_arena_rewind(ar, m);
}

static void shift_inputs(const struct case_ *c, struct fixture *fx, float s)
{
    for (int k = 0; k < c->n_in; k++)
        for (int i = 0; i < numel(c, k); i++)
            fx->in[k][i] += s * fx->v[k][i];
}

static void check_second_order(struct tensor_arena *ar,
                               const struct case_ *c, struct fixture *fx)
{
    float hv[MAX_IN][MAX_ELEMS], gp[MAX_IN][MAX_ELEMS], gm[MAX_IN][MAX_ELEMS];
    float saved[MAX_IN][MAX_ELEMS];
    const float h = 1e-2f;

    eval_hvp(ar, c, fx, hv);
    memcpy(saved, fx->in, sizeof(saved));
    shift_inputs(c, fx, h);
    eval_grad(ar, c, fx, 0, gp);
    memcpy(fx->in, saved, sizeof(saved));
    shift_inputs(c, fx, -h);
    eval_grad(ar, c, fx, 0, gm);
    memcpy(fx->in, saved, sizeof(saved));
    for (int k = 0; k < c->n_in; k++) {
        for (int i = 0; i < numel(c, k); i++) {
            double num = ((double)gp[k][i] - gm[k][i]) / (2.0 * h);
            if (!near(hv[k][i], num, 1e-2, 5e-2))
                fail_msg("%s: Hv in%d[%d] analytic %g numeric %g", c->name,
                         k, i, (double)hv[k][i], num);
        }
    }
}

static void run_case(const struct case_ *c, uint64_t seed)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    struct fixture *fx = calloc(1, sizeof(*fx));

    assert_non_null(ar);
    assert_non_null(fx);
    fill(fx, c, seed);
    check_first_order(ar, c, fx);
    check_second_order(ar, c, fx);
    assert_int_equal(tensor_arena_status(ar), 0);
    free(fx);
    tensor_arena_destroy(ar);
}

/* ---- the operations under test ---- */

static struct tensor *f_add(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_add(ar, x[0], x[1]);
}

static struct tensor *f_add_mul(struct tensor_arena *ar, struct tensor **x)
{
    /* (a + b_row) * (a - c_col): broadcasting both ways with products. */
    return tensor_mul(ar, tensor_add(ar, x[0], x[1]),
                      tensor_sub(ar, x[0], x[2]));
}

static struct tensor *f_add_scaled(struct tensor_arena *ar,
                                   struct tensor **x)
{
    return tensor_mul(ar, tensor_add_scaled(ar, x[0], x[1], -0.7f), x[1]);
}

static struct tensor *f_div(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_div(ar, x[0], x[1]);
}

static struct tensor *f_affine(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_mul(ar, tensor_affine(ar, x[0], -1.5f, 0.25f), x[0]);
}

static struct tensor *f_relu(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_mul(ar, tensor_relu(ar, x[0]), x[0]);
}

static struct tensor *f_leaky(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_mul(ar, tensor_leaky_relu(ar, x[0], 0.1f), x[0]);
}

static struct tensor *f_hinge(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, tensor_hinge(ar, x[0], 0.0f));
}

static struct tensor *f_tanh(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_tanh(ar, x[0]);
}

static struct tensor *f_sigmoid(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_sigmoid(ar, x[0]);
}

static struct tensor *f_softplus(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_softplus(ar, x[0]);
}

static struct tensor *f_exp(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_exp(ar, x[0]);
}

static struct tensor *f_log(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_log(ar, x[0]);
}

static struct tensor *f_sqrt(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_sqrt(ar, x[0]);
}

static struct tensor *f_square(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, x[0]);
}

static struct tensor *f_matmul_nn(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_matmul(ar, x[0], x[1], 0, 0);
}

static struct tensor *f_matmul_tn(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_matmul(ar, x[0], x[1], 1, 0);
}

static struct tensor *f_matmul_nt(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_matmul(ar, x[0], x[1], 0, 1);
}

static struct tensor *f_matmul_tt(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_matmul(ar, x[0], x[1], 1, 1);
}

static struct tensor *f_matmul_self(struct tensor_arena *ar,
                                    struct tensor **x)
{
    /* a^T a: both operands the same tensor, one read transposed. */
    return tensor_matmul(ar, x[0], x[0], 1, 0);
}

static struct tensor *f_matmul_big(struct tensor_arena *ar,
                                   struct tensor **x)
{
    /* Large enough to take the BLAS path, with a transposed view. */
    return tensor_matmul(ar, tensor_transpose(ar, x[0]), x[1], 0, 1);
}

static struct tensor *f_linear(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_tanh(ar, tensor_linear(ar, x[0], x[1], x[2]));
}

static struct tensor *f_sums(struct tensor_arena *ar, struct tensor **x)
{
    struct tensor *a = tensor_square(ar, x[0]);
    struct tensor *r = tensor_mul(ar, tensor_sum_rows(ar, a),
                                  tensor_mean_rows(ar, x[0]));
    struct tensor *c = tensor_mul(ar, tensor_sum_cols(ar, a),
                                  tensor_mean_cols(ar, x[0]));
    struct tensor *s = tensor_mul(ar, tensor_sum(ar, a), tensor_mean(ar, a));
    return tensor_add(ar, tensor_add(ar, r, c), s);
}

static struct tensor *f_expand(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, tensor_expand(ar, x[0], 3, 4));
}

static struct tensor *f_log_softmax(struct tensor_arena *ar,
                                    struct tensor **x)
{
    return tensor_log_softmax(ar, x[0]);
}

static struct tensor *f_logsumexp(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_logsumexp(ar, x[0]);
}

static const int targets[5] = { 2, 0, 3, 3, 1 };

static struct tensor *f_cross_entropy(struct tensor_arena *ar,
                                      struct tensor **x)
{
    return tensor_cross_entropy(ar, tensor_square(ar, x[0]), targets);
}

static struct tensor *f_pick(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, tensor_pick(ar, x[0], targets));
}

static struct tensor *f_sqdist(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_sqdist(ar, x[0], x[1]);
}

static struct tensor *f_sqdist_self(struct tensor_arena *ar,
                                    struct tensor **x)
{
    /* All pairs within one set, as Siamese and triplet losses use it. */
    return tensor_sqrt(ar, tensor_affine(ar, tensor_sqdist(ar, x[0], x[0]),
                                         1.0f, 0.5f));
}

static struct tensor *f_normalize(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_normalize_rows(ar, x[0], 1e-8f);
}

static struct tensor *f_cosine(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_cosine(ar, x[0], x[1], 1e-8f);
}

static const int gather_idx[6] = { 3, 0, 0, 2, 1, 3 };

static struct tensor *f_gather(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, tensor_gather_rows(ar, x[0], gather_idx, 6));
}

static const int seg[7] = { 1, 0, 2, 1, 0, 0, 2 };

static struct tensor *f_segment(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, tensor_segment_mean(ar, x[0], seg, 3));
}

static struct tensor *f_proto(struct tensor_arena *ar, struct tensor **x)
{
    /* ProtoNet logits: -|q - mean of class support|^2. */
    struct tensor *p = tensor_segment_mean(ar, x[0], seg, 3);
    return tensor_scale(ar, tensor_sqdist(ar, x[1], p), -1.0f);
}

static struct tensor *f_views(struct tensor_arena *ar, struct tensor **x)
{
    struct tensor *t = tensor_transpose(ar, x[0]);       /* 4 x 3 */
    struct tensor *r = tensor_rows(ar, t, 1, 2);         /* 2 x 3 */
    struct tensor *c = tensor_cols(ar, x[0], 1, 2);      /* 3 x 2 */
    struct tensor *rc = tensor_matmul(ar, r, c, 0, 0);   /* 2 x 2 */
    struct tensor *re = tensor_reshape(ar, t, 2, 6);
    return tensor_concat_cols(ar, tensor_square(ar, rc), re);
}

static struct tensor *f_concat(struct tensor_arena *ar, struct tensor **x)
{
    struct tensor *c = tensor_concat_cols(ar, x[0], x[1]);  /* 3 x 5 */
    struct tensor *r = tensor_concat_rows(ar, c, c);        /* 6 x 5 */
    return tensor_mul(ar, r, r);
}

static struct tensor *f_copy(struct tensor_arena *ar, struct tensor **x)
{
    return tensor_square(ar, tensor_copy(ar, tensor_transpose(ar, x[0])));
}

#define SH(a, b) { a, b }

static const struct case_ cases[] = {
    { "add", f_add, 2, { SH(3, 4), SH(1, 4) }, -1, 1, 0 },
    { "add_mul_bcast", f_add_mul, 3, { SH(3, 4), SH(1, 4), SH(3, 1) },
      -1, 1, 0 },
    { "add_scaled", f_add_scaled, 2, { SH(3, 4), SH(3, 4) }, -1, 1, 0 },
    { "div", f_div, 2, { SH(3, 4), SH(3, 1) }, 0.5f, 2, 0 },
    { "affine", f_affine, 1, { SH(2, 5) }, -1, 1, 0 },
    { "relu", f_relu, 1, { SH(3, 4) }, -1, 1, 1 },
    { "leaky_relu", f_leaky, 1, { SH(3, 4) }, -1, 1, 1 },
    { "hinge", f_hinge, 1, { SH(3, 4) }, -1, 1, 1 },
    { "tanh", f_tanh, 1, { SH(3, 4) }, -2, 2, 0 },
    { "sigmoid", f_sigmoid, 1, { SH(3, 4) }, -3, 3, 0 },
    { "softplus", f_softplus, 1, { SH(3, 4) }, -3, 3, 0 },
    { "exp", f_exp, 1, { SH(3, 4) }, -1, 1, 0 },
    { "log", f_log, 1, { SH(3, 4) }, 0.5f, 2, 0 },
    { "sqrt", f_sqrt, 1, { SH(3, 4) }, 0.5f, 2, 0 },
    { "square", f_square, 1, { SH(3, 4) }, -1, 1, 0 },
    { "matmul_nn", f_matmul_nn, 2, { SH(3, 4), SH(4, 2) }, -1, 1, 0 },
    { "matmul_tn", f_matmul_tn, 2, { SH(4, 3), SH(4, 2) }, -1, 1, 0 },
    { "matmul_nt", f_matmul_nt, 2, { SH(3, 4), SH(2, 4) }, -1, 1, 0 },
    { "matmul_tt", f_matmul_tt, 2, { SH(4, 3), SH(2, 4) }, -1, 1, 0 },
    { "matmul_self", f_matmul_self, 1, { SH(4, 3) }, -1, 1, 0 },
    { "matmul_blas", f_matmul_big, 2, { SH(16, 20), SH(30, 16) }, -1, 1, 0 },
    { "linear", f_linear, 3, { SH(5, 4), SH(4, 3), SH(1, 3) }, -1, 1, 0 },
    { "sum_mean", f_sums, 1, { SH(3, 4) }, -1, 1, 0 },
    { "expand", f_expand, 1, { SH(3, 1) }, -1, 1, 0 },
    { "log_softmax", f_log_softmax, 1, { SH(3, 5) }, -2, 2, 0 },
    { "logsumexp", f_logsumexp, 1, { SH(3, 5) }, -2, 2, 0 },
    { "cross_entropy", f_cross_entropy, 1, { SH(5, 4) }, -1.5f, 1.5f, 0 },
    { "pick", f_pick, 1, { SH(5, 4) }, -1, 1, 0 },
    { "sqdist", f_sqdist, 2, { SH(4, 3), SH(5, 3) }, -1, 1, 0 },
    { "sqdist_self", f_sqdist_self, 1, { SH(5, 3) }, -1, 1, 0 },
    { "normalize_rows", f_normalize, 1, { SH(3, 4) }, -1, 1, 1 },
    { "cosine", f_cosine, 2, { SH(3, 4), SH(2, 4) }, -1, 1, 1 },
    { "gather_rows", f_gather, 1, { SH(4, 3) }, -1, 1, 0 },
    { "segment_mean", f_segment, 1, { SH(7, 3) }, -1, 1, 0 },
    { "protonet_logits", f_proto, 2, { SH(7, 3), SH(4, 3) }, -1, 1, 0 },
    { "views", f_views, 1, { SH(3, 4) }, -1, 1, 0 },
    { "concat", f_concat, 2, { SH(3, 2), SH(3, 3) }, -1, 1, 0 },
    { "copy", f_copy, 1, { SH(3, 4) }, -1, 1, 0 },
};

static void every_op_matches_finite_differences(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i], 1000 + i);
}

static void forward_values_are_exact_on_known_inputs(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    float a[6] = { 1, 2, 3, 4, 5, 6 }, b[6] = { 1, 0, 0, 1, 1, 1 };
    struct tensor *ta = tensor_from(ar, a, 2, 3);
    struct tensor *tb = tensor_from(ar, b, 2, 3);

    struct tensor *mm = tensor_matmul(ar, ta, tb, 0, 1);  /* 2 x 2 */
    assert_float_near(tensor_at(mm, 0, 0), 1, 0);
    assert_float_near(tensor_at(mm, 0, 1), 6, 0);
    assert_float_near(tensor_at(mm, 1, 1), 15, 0);
    struct tensor *d = tensor_sqdist(ar, ta, tb);
    assert_float_near(tensor_at(d, 0, 0), 0 + 4 + 9, 1e-5);
    assert_float_near(tensor_at(d, 1, 1), 9 + 16 + 25, 1e-5);
    struct tensor *ls = tensor_log_softmax(ar, ta);
    double z = log(exp(1.0) + exp(2.0) + exp(3.0));
    assert_float_near(tensor_at(ls, 0, 2), 3 - z, 1e-6);
    int seg2[2] = { 0, 0 };
    struct tensor *sm = tensor_segment_mean(ar, ta, seg2, 1);
    assert_float_near(tensor_at(sm, 0, 1), 3.5, 0);
    assert_int_equal(tensor_arena_status(ar), 0);
    tensor_arena_destroy(ar);
}

static void errors_are_sticky_and_propagate_null(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    struct tensor *a = tensor_zeros(ar, 2, 3), *b = tensor_zeros(ar, 4, 5);

    assert_null(tensor_matmul(ar, a, b, 0, 0));
    assert_int_equal(tensor_arena_status(ar), ERR_INVALID);
    assert_null(tensor_relu(ar, a));             /* sticky */
    assert_null(tensor_relu(ar, NULL));
    tensor_arena_reset(ar);
    assert_int_equal(tensor_arena_status(ar), 0);
    a = tensor_zeros(ar, 2, 3);
    int bad[2] = { 0, 3 };
    assert_null(tensor_pick(ar, a, bad));
    assert_int_equal(tensor_arena_status(ar), ERR_RANGE);
    tensor_arena_reset(ar);
    int seg_gap[2] = { 0, 0 };
    assert_null(tensor_segment_mean(ar, tensor_zeros(ar, 2, 3), seg_gap, 2));
    assert_int_equal(tensor_arena_status(ar), ERR_INVALID);
    tensor_arena_destroy(ar);
}

static void graphs_from_two_arenas_do_not_mix(void **state)
{
    struct tensor_arena *a1 = tensor_arena_create(0);
    struct tensor_arena *a2 = tensor_arena_create(0);
    float x[2] = { 1, 2 };
    struct tensor *leaf = tensor_leaf(a1, x, 1, 2);

    assert_null(tensor_relu(a2, leaf));
    assert_int_equal(tensor_arena_status(a2), ERR_INVALID);
    tensor_arena_reset(a2);
    assert_non_null(tensor_relu(a2, tensor_detach(a2, leaf)));
    tensor_arena_destroy(a1);
    tensor_arena_destroy(a2);
}

static void arena_limit_fails_cleanly(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(1 << 20);

    assert_non_null(tensor_zeros(ar, 100, 100));
    assert_null(tensor_zeros(ar, 1000, 1000));
    assert_int_equal(tensor_arena_status(ar), ERR_NOMEM);
    tensor_arena_destroy(ar);
}

static void unused_and_constant_inputs_get_zero_gradients(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    float xa[2] = { 1, 2 }, xb[2] = { 3, 4 };
    struct tensor *a = tensor_leaf(ar, xa, 1, 2);
    struct tensor *b = tensor_leaf(ar, xb, 1, 2);
    struct tensor *y = tensor_sum(ar, tensor_square(ar, a));
    struct tensor *xs[2] = { a, b }, *g[2];

    assert_int_equal(tensor_grad(ar, y, xs, 2, 0, g), 0);
    assert_float_near(tensor_at(g[0], 0, 1), 4, 0);
    assert_float_near(tensor_at(g[1], 0, 0), 0, 0);
    /* Calling again on the same graph gives the same answer. */
    assert_int_equal(tensor_grad(ar, y, xs, 2, 1, g), 0);
    assert_float_near(tensor_at(g[0], 0, 0), 2, 0);
    /* A grad that needs a 1 x 1 output refuses anything else. */
    assert_int_equal(tensor_grad(ar, a, xs, 1, 0, g), ERR_INVALID);
    tensor_arena_reset(ar);
    a = tensor_leaf(ar, xa, 1, 2);
    y = tensor_sum(ar, a);
    xs[0] = a;
    xs[1] = NULL;
    assert_int_equal(tensor_grad(ar, y, xs, 2, 0, g), ERR_INVALID);
    assert_null(g[0]);
    tensor_arena_destroy(ar);
}

static void detach_and_no_grad_stop_the_graph(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    float xa[2] = { 1, 2 };
    struct tensor *a = tensor_leaf(ar, xa, 1, 2);
    struct tensor *d = tensor_detach(ar, a);
    struct tensor *y = tensor_sum(ar, tensor_mul(ar, a, d));
    struct tensor *g;

    assert_false(tensor_requires_grad(d));
    assert_int_equal(tensor_grad(ar, y, &a, 1, 0, &g), 0);
    assert_float_near(tensor_at(g, 0, 1), 2, 0);   /* d(a*const)/da */
    tensor_arena_set_grad_enabled(ar, 0);
    assert_false(tensor_requires_grad(tensor_square(ar, a)));
    tensor_arena_destroy(ar);
}

static void gradients_reach_intermediates_and_skip_later_tensors(void **s)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    float xa[3] = { 1, -2, 3 };
    struct tensor *a = tensor_leaf(ar, xa, 1, 3);
    struct tensor *h = tensor_scale(ar, a, 2.0f);         /* h = 2a */
    struct tensor *y = tensor_sum(ar, tensor_square(ar, h));
    struct tensor *later = tensor_exp(ar, a);             /* made after y */
    struct tensor *xs[3] = { h, a, later }, *g[3];

    assert_int_equal(tensor_grad(ar, y, xs, 3, 0, g), 0);
    assert_float_near(tensor_at(g[0], 0, 1), 2 * -4.0, 0);   /* 2h */
    assert_float_near(tensor_at(g[1], 0, 2), 8 * 3.0, 0);    /* 8a */
    assert_float_near(tensor_at(g[2], 0, 0), 0, 0);
    tensor_arena_destroy(ar);
}

static void rewind_frees_what_came_after_the_mark(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(0);

    assert_non_null(tensor_zeros(ar, 10, 10));
    size_t used = tensor_arena_used(ar);
    struct tensor_mark m = tensor_arena_mark(ar);
    assert_non_null(tensor_zeros(ar, 100, 100));
    assert_true(tensor_arena_used(ar) > used);
    tensor_arena_rewind(ar, m);
    assert_int_equal(tensor_arena_used(ar), used);
    size_t cap = tensor_arena_capacity(ar);
    tensor_arena_reset(ar);
    assert_int_equal(tensor_arena_used(ar), 0);
    assert_int_equal(tensor_arena_capacity(ar), cap);
    tensor_arena_destroy(ar);
}

/* A step that outgrows the first block: the next reset merges the blocks
 * into one, after which steps neither allocate nor grow. */
static void arena_merges_blocks_and_then_stays_put(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(0);
    size_t cap = 0, hw = 0;

    for (int step = 0; step < 5; step++) {
        tensor_arena_reset(ar);
        for (int k = 0; k < 6; k++)
            assert_non_null(tensor_zeros(ar, 400, 400));   /* 640 kB */
        if (step == 0)
            hw = tensor_arena_high_water(ar);
        if (step == 1)
            cap = tensor_arena_capacity(ar);
    }
    assert_true(cap >= 6 * 400 * 400 * sizeof(float));
    assert_int_equal(tensor_arena_capacity(ar), cap);
    assert_int_equal(tensor_arena_high_water(ar), hw);
    tensor_arena_destroy(ar);
}

/* ---- random misuse: every call either works or fails cleanly ---- */

static struct tensor *random_operand(struct rng *r, struct tensor **pool,
                                     int n)
{
    if (rng_below(r, 30) == 0)
        return NULL;
    return pool[rng_below(r, (uint64_t)n)];
}

/* Indices below bound, with one in ten of them wild (-7 or bound + 7). */
static void random_idx(struct rng *r, int *idx, int n, int bound)
{
    for (int i = 0; i < n; i++) {
        if (rng_below(r, 10) == 0)
            idx[i] = rng_below(r, 2) ? -7 : bound + 7;
        else
            idx[i] = (int)rng_below(r, (uint64_t)bound);
    }
}

static int random_dim(struct rng *r)
{
    return rng_below(r, 4) ? 3 : 1 + (int)rng_below(r, 4);
}

static struct tensor *random_op(struct tensor_arena *ar, struct rng *r,
                                struct tensor *a, struct tensor *b)
{
    int idx[8], m = 1 + (int)rng_below(r, 8);
    int rows = a ? a->rows : 3, cols = a ? a->cols : 3;

    switch (rng_below(r, 14)) {
    case 0:  return tensor_add(ar, a, b);
    case 1:  return tensor_mul(ar, a, tensor_tanh(ar, b));
    case 2:  return tensor_matmul(ar, a, b, (int)rng_below(r, 2),
                                  (int)rng_below(r, 2));
    case 3:  return tensor_sqdist(ar, a, b);
    case 4:  return tensor_cosine(ar, a, b, 1e-8f);
    case 5:  return tensor_linear(ar, a, b, NULL);
    case 6:  random_idx(r, idx, m, rows);
             return tensor_gather_rows(ar, a, idx, m);
    case 7:  random_idx(r, idx, rows, 1);
             return tensor_segment_mean(ar, a, idx, 1);
    case 8:  random_idx(r, idx, rows, cols);
             return tensor_pick(ar, a, idx);
    case 9:  random_idx(r, idx, 2, rows);
             return tensor_rows(ar, a, idx[0], idx[1]);
    case 10: return tensor_concat_cols(ar, a, b);
    case 11: random_idx(r, idx, rows, cols);
             return tensor_cross_entropy(ar, a, idx);
    case 12: return tensor_reshape(ar, a, cols, rows);
    default: return tensor_log_softmax(ar, tensor_transpose(ar, a));
    }
}

/*
 * 2,000 rounds of 1 to 12 random calls with random shapes, NULL operands
 * and wild indices (fixed seed): none may crash or touch memory it should
 * not (the test runs under ASan in CI), a NULL result always comes with an
 * error, and when a round ends without one, the gradients of its last
 * result have the leaves' shapes. The counts check that both kinds of
 * round happen often.
 */
static void random_misuse_fails_cleanly(void **state)
{
    struct tensor_arena *ar = tensor_arena_create(1 << 22);
    struct rng r;
    float data[64];
    struct tensor *pool[16], *leaves[4], *g[4];
    int clean_rounds = 0, failed_rounds = 0;

    rng_seed(&r, 31337);
    for (int i = 0; i < 64; i++)
        data[i] = rng_normal(&r);
    for (int round = 0; round < 2000; round++) {
        tensor_arena_reset(ar);
        int n = 0;
        for (; n < 4; n++)
            pool[n] = leaves[n] = tensor_leaf(ar, data + n * 16,
                                              random_dim(&r), random_dim(&r));
        int steps = 1 + (int)rng_below(&r, 12);
        for (int step = 0; step < steps && !tensor_arena_status(ar); step++) {
            struct tensor *t = random_op(ar, &r, random_operand(&r, pool, n),
                                         random_operand(&r, pool, n));
            assert_true((t == NULL) == (tensor_arena_status(ar) != 0));
            if (t)
                pool[n < 16 ? n++ : 4 + (int)rng_below(&r, 12)] = t;
        }
        if (tensor_arena_status(ar)) {
            failed_rounds++;
            continue;
        }
        clean_rounds++;
        struct tensor *y = tensor_sum(ar, pool[n - 1]);
        assert_int_equal(tensor_grad(ar, y, leaves, 4, round & 1, g), 0);
        for (int k = 0; k < 4; k++)
            assert_true(g[k]->rows == leaves[k]->rows &&
                        g[k]->cols == leaves[k]->cols);
    }
    assert_true(clean_rounds >= 200 && failed_rounds >= 200);
    tensor_arena_destroy(ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_matches_finite_differences),
        cmocka_unit_test(forward_values_are_exact_on_known_inputs),
        cmocka_unit_test(errors_are_sticky_and_propagate_null),
        cmocka_unit_test(arena_limit_fails_cleanly),
        cmocka_unit_test(graphs_from_two_arenas_do_not_mix),
        cmocka_unit_test(unused_and_constant_inputs_get_zero_gradients),
        cmocka_unit_test(detach_and_no_grad_stop_the_graph),
        cmocka_unit_test(gradients_reach_intermediates_and_skip_later_tensors),
        cmocka_unit_test(rewind_frees_what_came_after_the_mark),
        cmocka_unit_test(arena_merges_blocks_and_then_stays_put),
        cmocka_unit_test(random_misuse_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
