/* Elementwise operations: broadcasting binary ones and unary functions. */
#include <math.h>

#include "tensor/tensor_impl.h"

enum bin_kind { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };

static void binary_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin);
static const struct tensor_op op_binary = { "binary", binary_bw, NULL };

static int bcast_dim(int x, int y, int *out)
{
    if (x != y && x != 1 && y != 1)
        return 0;
    *out = x > y ? x : y;
    return 1;
}

/*
 * Runs EXPR over every (x, y) pair, with broadcasting as stride 0. The
 * inner loop is specialised for the layouts that dominate training (both
 * operands contiguous along the row, or one a broadcast scalar per row) so
 * the compiler can vectorise them.
 */
#define BIN_LOOP(EXPR)                                                   \
    for (int i = 0; i < R; i++) {                                        \
        const float *pa = a->data + (ptrdiff_t)i * ars;                  \
        const float *pb = b->data + (ptrdiff_t)i * brs;                  \
        float *restrict po = out->data + (ptrdiff_t)i * C;               \
        if (acs == 1 && bcs == 1) {                                      \
            for (int j = 0; j < C; j++) {                                \
                float x = pa[j], y = pb[j];                              \
                po[j] = (EXPR);                                          \
            }                                                            \
        } else if (acs == 1 && bcs == 0) {                               \
            float y = pb[0];                                             \
            for (int j = 0; j < C; j++) {                                \
                float x = pa[j];                                         \
                po[j] = (EXPR);                                          \
            }                                                            \
        } else {                                                         \
            for (int j = 0; j < C; j++) {                                \
                float x = pa[(ptrdiff_t)j * acs];                        \
                float y = pb[(ptrdiff_t)j * bcs];                        \
                po[j] = (EXPR);                                          \
            }                                                            \
        }                                                                \
    }

static void binary_run(struct tensor *out, const struct tensor *a,
                       const struct tensor *b, int kind)
{
    int R = out->rows, C = out->cols;
    int ars = a->rows == 1 ? 0 : a->rs, acs = a->cols == 1 ? 0 : a->cs;
    int brs = b->rows == 1 ? 0 : b->rs, bcs = b->cols == 1 ? 0 : b->cs;

    if (C == 1 && R > 1)
        acs = bcs = 1;      /* one column: nothing to stride over */
    switch (kind) {
    case BIN_ADD: BIN_LOOP(x + y); break;
    case BIN_SUB: BIN_LOOP(x - y); break;
    case BIN_MUL: BIN_LOOP(x * y); break;
    default:      BIN_LOOP(x / y); break;
    }
}

static struct tensor *binary(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b, int kind)
{
    int rows, cols;

    if (!a || !b)
        return tensor_null(ar);
    if (!bcast_dim(a->rows, b->rows, &rows) ||
        !bcast_dim(a->cols, b->cols, &cols))
        return tensor_fail(ar, ERR_INVALID, "cannot broadcast %d x %d "
                           "with %d x %d", a->rows, a->cols, b->rows,
                           b->cols);
    struct tensor *src[2] = { a, b };
    struct tensor *out = tensor_result(ar, rows, cols, &op_binary, src, 2);
    if (!out)
        return tensor_null(ar);
    binary_run(out, a, b, kind);
    if (out->node)
        out->node->i0 = kind;
    return out;
}

struct tensor *tensor_add(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b)
{
    return binary(ar, a, b, BIN_ADD);
}

struct tensor *tensor_sub(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b)
{
    return binary(ar, a, b, BIN_SUB);
}

struct tensor *tensor_mul(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b)
{
    return binary(ar, a, b, BIN_MUL);
}

struct tensor *tensor_div(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b)
{
    return binary(ar, a, b, BIN_DIV);
}

/* d(a op b): each side's share is reduced back to its own shape. */
static void binary_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    struct tensor *a = out->node->src[0], *b = out->node->src[1];
    struct tensor *ga = NULL, *gb = NULL;

    switch (out->node->i0) {
    case BIN_ADD:
        ga = g;
        gb = g;
        break;
    case BIN_SUB:
        ga = g;
        gb = node_wants(out, 1) ? tensor_scale(ar, g, -1.0f) : NULL;
        break;
    case BIN_MUL:
        ga = node_wants(out, 0) ? tensor_mul(ar, g, b) : NULL;
        gb = node_wants(out, 1) ? tensor_mul(ar, g, a) : NULL;
        break;
    default:
        ga = node_wants(out, 0) ? tensor_div(ar, g, b) : NULL;
        gb = node_wants(out, 1)
                 ? tensor_scale(ar, tensor_div(ar, tensor_mul(ar, g, out), b),
                                -1.0f)
                 : NULL;
        break;
    }
    if (node_wants(out, 0))
        gin[0] = tensor_reduce_to(ar, ga, a->rows, a->cols);
    if (node_wants(out, 1))
        gin[1] = tensor_reduce_to(ar, gb, b->rows, b->cols);
}

static void add_scaled_bw(struct tensor_arena *ar, struct tensor *out,
                          struct tensor *g, struct tensor **gin)
{
    if (node_wants(out, 0))
        gin[0] = g;
    if (node_wants(out, 1))
        gin[1] = tensor_scale(ar, g, out->node->f0);
}

static const struct tensor_op op_add_scaled = { "add_scaled",
                                                add_scaled_bw, NULL };

struct tensor *tensor_add_scaled(struct tensor_arena *ar, struct tensor *a,
                                 struct tensor *b, float alpha)
{
    if (!a || !b)
        return tensor_null(ar);
    if (a->rows != b->rows || a->cols != b->cols)
        return tensor_fail(ar, ERR_INVALID, "add_scaled: %d x %d and "
                           "%d x %d", a->rows, a->cols, b->rows, b->cols);
    struct tensor *src[2] = { a, b };
    struct tensor *out = tensor_result(ar, a->rows, a->cols, &op_add_scaled,
                                       src, 2);
    if (!out)
        return tensor_null(ar);
    int R = out->rows, C = out->cols;
    int ars = a->rs, acs = a->cs, brs = b->rs, bcs = b->cs;
    BIN_LOOP(x + alpha * y);
    if (out->node)
        out->node->f0 = alpha;
    return out;
}

enum un_kind {
    UN_AFFINE, UN_RELU, UN_LEAKY, UN_HINGE, UN_TANH, UN_SIGMOID,
    UN_SOFTPLUS, UN_EXP, UN_LOG, UN_SQRT, UN_SQUARE,
};

static void unary_bw(struct tensor_arena *ar, struct tensor *out,
                     struct tensor *g, struct tensor **gin);
static const struct tensor_op op_unary = { "unary", unary_bw, NULL };

static float softplus(float x)
{
    return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

static float sigmoid(float x)
{
    if (x >= 0)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* Runs EXPR over every element x of a into the contiguous out; a flat
 * loop when a is contiguous too. */
#define UN_LOOP(EXPR)                                                    \
    if (tensor_is_contiguous(a)) {                                       \
        const float *pa = a->data;                                       \
        float *restrict po = out->data;                                  \
        for (int i = 0; i < out->rows * out->cols; i++) {                \
            float x = pa[i];                                             \
            po[i] = (EXPR);                                              \
        }                                                                \
    } else {                                                             \
        for (int i = 0; i < out->rows; i++) {                            \
            const float *pa = a->data + (ptrdiff_t)i * a->rs;            \
            float *po = out->data + (ptrdiff_t)i * out->cols;            \
            for (int j = 0; j < out->cols; j++) {                        \
                float x = pa[(ptrdiff_t)j * a->cs];                      \
                po[j] = (EXPR);                                          \
            }                                                            \
        }                                                                \
    }

static void unary_run(struct tensor *out, const struct tensor *a, int kind,
                      float p0, float p1)
{
    switch (kind) {
    case UN_AFFINE:   UN_LOOP(p0 * x + p1); break;
    case UN_RELU:     UN_LOOP(x > 0 ? x : 0.0f); break;
    case UN_LEAKY:    UN_LOOP(x > 0 ? x : p0 * x); break;
    case UN_HINGE:    UN_LOOP(x + p0 > 0 ? x + p0 : 0.0f); break;
    case UN_TANH:     UN_LOOP(tanhf(x)); break;
    case UN_SIGMOID:  UN_LOOP(sigmoid(x)); break;
    case UN_SOFTPLUS: UN_LOOP(softplus(x)); break;
    case UN_EXP:      UN_LOOP(expf(x)); break;
    case UN_LOG:      UN_LOOP(logf(x)); break;
    case UN_SQRT:     UN_LOOP(sqrtf(x)); break;
    default:          UN_LOOP(x * x); break;
    }
}

static struct tensor *unary(struct tensor_arena *ar, struct tensor *a,
                            int kind, float p0, float p1)
{
    if (!a)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, a->rows, a->cols, &op_unary, &a, 1);
    if (!out)
        return tensor_null(ar);
    unary_run(out, a, kind, p0, p1);
    if (out->node) {
        out->node->i0 = kind;
        out->node->f0 = p0;
    }
    return out;
}

struct tensor *tensor_affine(struct tensor_arena *ar, struct tensor *a,
                             float alpha, float beta)
{
    return unary(ar, a, UN_AFFINE, alpha, beta);
}

struct tensor *tensor_scale(struct tensor_arena *ar, struct tensor *a,
                            float alpha)
{
    return unary(ar, a, UN_AFFINE, alpha, 0.0f);
}

struct tensor *tensor_relu(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_RELU, 0.0f, 0.0f);
}

struct tensor *tensor_leaky_relu(struct tensor_arena *ar, struct tensor *a,
                                 float slope)
{
    return unary(ar, a, UN_LEAKY, slope, 0.0f);
}

struct tensor *tensor_hinge(struct tensor_arena *ar, struct tensor *a,
                            float margin)
{
    return unary(ar, a, UN_HINGE, margin, 0.0f);
}

struct tensor *tensor_tanh(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_TANH, 0.0f, 0.0f);
}

struct tensor *tensor_sigmoid(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_SIGMOID, 0.0f, 0.0f);
}

struct tensor *tensor_softplus(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_SOFTPLUS, 0.0f, 0.0f);
}

struct tensor *tensor_exp(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_EXP, 0.0f, 0.0f);
}

struct tensor *tensor_log(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_LOG, 0.0f, 0.0f);
}

struct tensor *tensor_sqrt(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_SQRT, 0.0f, 0.0f);
}

struct tensor *tensor_square(struct tensor_arena *ar, struct tensor *a)
{
    return unary(ar, a, UN_SQUARE, 0.0f, 0.0f);
}

/* Each rule uses the forward output y where that is cheaper than x. */
static void unary_bw(struct tensor_arena *ar, struct tensor *out,
                     struct tensor *g, struct tensor **gin)
{
    struct tensor *a = out->node->src[0];
    float p0 = out->node->f0;

    switch (out->node->i0) {
    case UN_AFFINE:   gin[0] = tensor_scale(ar, g, p0); break;
    case UN_RELU:     gin[0] = tensor_mask_mul(ar, g, a, 0.0f, 0.0f); break;
    case UN_LEAKY:    gin[0] = tensor_mask_mul(ar, g, a, 0.0f, p0); break;
    case UN_HINGE:    gin[0] = tensor_mask_mul(ar, g, a, p0, 0.0f); break;
    case UN_TANH:     /* 1 - y^2 */
        gin[0] = tensor_mul(ar, g, tensor_affine(ar, tensor_square(ar, out),
                                                 -1.0f, 1.0f));
        break;
    case UN_SIGMOID:  /* y (1 - y) */
        gin[0] = tensor_mul(ar, g, tensor_mul(ar, out,
                            tensor_affine(ar, out, -1.0f, 1.0f)));
        break;
    case UN_SOFTPLUS: gin[0] = tensor_mul(ar, g, tensor_sigmoid(ar, a)); break;
    case UN_EXP:      gin[0] = tensor_mul(ar, g, out); break;
    case UN_LOG:      gin[0] = tensor_div(ar, g, a); break;
    case UN_SQRT:     /* 1 / (2 y) */
        gin[0] = tensor_div(ar, tensor_scale(ar, g, 0.5f), out);
        break;
    default:          gin[0] = tensor_mul(ar, g, tensor_scale(ar, a, 2.0f));
    }
}

static void mask_mul_bw(struct tensor_arena *ar, struct tensor *out,
                        struct tensor *g, struct tensor **gin)
{
    gin[0] = tensor_mask_mul(ar, g, out->node->aux, out->node->f0,
                             out->node->f1);
}

static const struct tensor_op op_mask_mul = { "mask_mul", mask_mul_bw, NULL };

/* The mask is a constant (piecewise-linear functions have zero second
 * derivative almost everywhere), so this is linear in g alone. */
struct tensor *tensor_mask_mul(struct tensor_arena *ar, struct tensor *g,
                               const struct tensor *a, float shift,
                               float low)
{
    if (!g)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, g->rows, g->cols, &op_mask_mul,
                                       &g, 1);
    if (!out)
        return tensor_null(ar);
    if (tensor_is_contiguous(g) && tensor_is_contiguous(a)) {
        const float *restrict pg = g->data, *restrict pa = a->data;
        float *restrict po = out->data;
        float rise = 1.0f - low;
        /* Arithmetic select, so the loop has no branch to mispredict. */
        for (int i = 0; i < g->rows * g->cols; i++)
            po[i] = pg[i] * (low + rise * (float)(pa[i] + shift > 0));
    } else {
        for (int i = 0; i < g->rows; i++) {
            float *po = out->data + (ptrdiff_t)i * out->cols;
            for (int j = 0; j < g->cols; j++) {
                float m = *tensor_ptr(a, i, j) + shift > 0 ? 1.0f : low;
                po[j] = *tensor_ptr(g, i, j) * m;
            }
        }
    }
    if (out->node) {
        out->node->aux = a;
        out->node->f0 = shift;
        out->node->f1 = low;
    }
    return out;
}
