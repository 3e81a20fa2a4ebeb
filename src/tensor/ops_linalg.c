/* Matrix products and distances between row sets. */
#include <cblas.h>
#include <string.h>

#include "tensor/tensor_impl.h"

/*
 * Below this many multiply-adds a plain loop beats the fixed cost of a
 * BLAS call. OpenBLAS 0.3.21 has small-matrix kernels of its own, and
 * bench/tensor.sh ran the MAML step 20 % slower with this limit at 8192
 * (5-way head products), so the loop is kept for near-scalar products only.
 */
enum { GEMM_SMALL = 64 };

/* A matrix operand as BLAS sees it: row-major data, leading dimension and
 * whether it is to be read transposed. */
struct operand {
    const float *p;
    int ld;
    int trans;
};

/* Describes op(t) (t^T when trans) without copying when the strides allow
 * it, else copies t into the arena. Returns 0 or ERR_NOMEM. */
static int describe(struct tensor_arena *ar, const struct tensor *t,
                    int trans, struct operand *o)
{
    if (t->cs == 1 && (t->rows == 1 || t->rs >= t->cols)) {
        *o = (struct operand){ t->data, t->rows == 1 ? t->cols : t->rs,
                               trans };
        return 0;
    }
    if (t->rs == 1 && (t->cols == 1 || t->cs >= t->rows)) {
        *o = (struct operand){ t->data, t->cols == 1 ? t->rows : t->cs,
                               !trans };
        return 0;
    }
    float *copy = tensor_arena_alloc(ar, (size_t)t->rows * t->cols *
                                             sizeof(float));
    if (!copy)
        return ERR_NOMEM;
    tensor_read(t, copy);
    *o = (struct operand){ copy, t->cols, trans };
    return 0;
}

/* C[m, n] (+)= op(A)[m, k] op(B)[k, n] for tiny shapes. */
static void gemm_small(int m, int n, int k, const struct operand *a,
                       const struct operand *b, float alpha, float beta,
                       float *c)
{
    int ars = a->trans ? 1 : a->ld, acs = a->trans ? a->ld : 1;
    int brs = b->trans ? 1 : b->ld, bcs = b->trans ? b->ld : 1;

    for (int i = 0; i < m; i++) {
        float *ci = c + (size_t)i * n;
        if (beta == 0.0f)
            memset(ci, 0, (size_t)n * sizeof(float));
        for (int p = 0; p < k; p++) {
            float x = alpha * a->p[(ptrdiff_t)i * ars + (ptrdiff_t)p * acs];
            const float *bp = b->p + (ptrdiff_t)p * brs;
            if (bcs == 1)
                for (int j = 0; j < n; j++)
                    ci[j] += x * bp[j];
            else
                for (int j = 0; j < n; j++)
                    ci[j] += x * bp[(ptrdiff_t)j * bcs];
        }
    }
}

static void gemm(int m, int n, int k, const struct operand *a,
                 const struct operand *b, float alpha, float beta, float *c)
{
    if ((long)m * n * k <= GEMM_SMALL && (beta == 0.0f || beta == 1.0f)) {
        gemm_small(m, n, k, a, b, alpha, beta, c);
        return;
    }
    cblas_sgemm(CblasRowMajor, a->trans ? CblasTrans : CblasNoTrans,
                b->trans ? CblasTrans : CblasNoTrans, m, n, k, alpha, a->p,
                a->ld, b->p, b->ld, beta, c, n);
}

/* out = alpha op(a) op(b) + beta out, out contiguous [m, n]. */
static int product(struct tensor_arena *ar, struct tensor *out,
                   const struct tensor *a, int ta, const struct tensor *b,
                   int tb, float alpha, float beta)
{
    struct operand oa, ob;
    int k = ta ? a->rows : a->cols;

    if (describe(ar, a, ta, &oa) || describe(ar, b, tb, &ob))
        return ERR_NOMEM;
    gemm(out->rows, out->cols, k, &oa, &ob, alpha, beta, out->data);
    return 0;
}

/*
 * With A' = op(A), B' = op(B) and C = A' B': dA' = g B'^T, dB' = A'^T g,
 * then transposed back when the operand was read transposed.
 */
static void matmul_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    struct tensor *a = out->node->src[0], *b = out->node->src[1];
    int ta = out->node->i0, tb = out->node->i1;

    if (node_wants(out, 0))
        gin[0] = ta ? tensor_matmul(ar, b, g, tb, 1)
                    : tensor_matmul(ar, g, b, 0, !tb);
    if (node_wants(out, 1))
        gin[1] = tb ? tensor_matmul(ar, g, a, 1, ta)
                    : tensor_matmul(ar, a, g, !ta, 0);
}

static const struct tensor_op op_matmul = { "matmul", matmul_bw, NULL };

struct tensor *tensor_matmul(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b, int trans_a, int trans_b)
{
    if (!a || !b)
        return tensor_null(ar);
    int m = trans_a ? a->cols : a->rows, ka = trans_a ? a->rows : a->cols;
    int kb = trans_b ? b->cols : b->rows, n = trans_b ? b->rows : b->cols;
    if (ka != kb)
        return tensor_fail(ar, ERR_INVALID, "matmul %d x %d%s by %d x %d%s",
                           a->rows, a->cols, trans_a ? "^T" : "", b->rows,
                           b->cols, trans_b ? "^T" : "");
    struct tensor *src[2] = { a, b };
    struct tensor *out = tensor_result(ar, m, n, &op_matmul, src, 2);
    if (!out || product(ar, out, a, trans_a, b, trans_b, 1.0f, 0.0f))
        return tensor_null(ar);
    if (out->node) {
        out->node->i0 = trans_a != 0;
        out->node->i1 = trans_b != 0;
    }
    return out;
}

static void linear_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    struct tensor *x = out->node->src[0], *w = out->node->src[1];

    if (node_wants(out, 0))
        gin[0] = tensor_matmul(ar, g, w, 0, 1);
    if (node_wants(out, 1))
        gin[1] = tensor_matmul(ar, x, g, 1, 0);
    if (out->node->n_src > 2 && node_wants(out, 2))
        gin[2] = tensor_sum_cols(ar, g);
}

static const struct tensor_op op_linear = { "linear", linear_bw, NULL };

struct tensor *tensor_linear(struct tensor_arena *ar, struct tensor *x,
                             struct tensor *w, struct tensor *b)
{
    if (!x || !w)
        return tensor_null(ar);
    if (x->cols != w->rows || (b && (b->rows != 1 || b->cols != w->cols)))
        return tensor_fail(ar, ERR_INVALID, "linear: x %d x %d, w %d x %d, "
                           "b %d x %d", x->rows, x->cols, w->rows, w->cols,
                           b ? b->rows : 0, b ? b->cols : 0);
    struct tensor *src[3] = { x, w, b };
    struct tensor *out = tensor_result(ar, x->rows, w->cols, &op_linear, src,
                                       b ? 3 : 2);
    if (!out)
        return tensor_null(ar);
    if (b) {
        float *row = out->data;
        tensor_read(b, row);
        for (int i = 1; i < x->rows; i++)
            memcpy(row + (size_t)i * w->cols, row, w->cols * sizeof(float));
    }
    if (product(ar, out, x, 0, w, 0, 1.0f, b ? 1.0f : 0.0f))
        return NULL;
    return out;
}

/*
 * D[i, j] = |a_i - b_j|^2, so dA_i = 2 sum_j g_ij (a_i - b_j)
 * = 2 (a_i rowsum(g)_i - (g B)_i), and symmetrically for B.
 */
static void sqdist_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    struct tensor *a = out->node->src[0], *b = out->node->src[1];

    if (node_wants(out, 0)) {
        struct tensor *t = tensor_sub(ar, tensor_mul(ar, a,
                                                     tensor_sum_rows(ar, g)),
                                      tensor_matmul(ar, g, b, 0, 0));
        gin[0] = tensor_scale(ar, t, 2.0f);
    }
    if (node_wants(out, 1)) {
        struct tensor *cs = tensor_transpose(ar, tensor_sum_cols(ar, g));
        struct tensor *t = tensor_sub(ar, tensor_mul(ar, b, cs),
                                      tensor_matmul(ar, g, a, 1, 0));
        gin[1] = tensor_scale(ar, t, 2.0f);
    }
}

static const struct tensor_op op_sqdist = { "sqdist", sqdist_bw, NULL };

static float row_sqnorm(const struct tensor *t, int i)
{
    float s = 0;

    for (int j = 0; j < t->cols; j++) {
        float x = *tensor_ptr(t, i, j);
        s += x * x;
    }
    return s;
}

struct tensor *tensor_sqdist(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b)
{
    if (!a || !b)
        return tensor_null(ar);
    if (a->cols != b->cols)
        return tensor_fail(ar, ERR_INVALID, "sqdist: %d x %d vs %d x %d",
                           a->rows, a->cols, b->rows, b->cols);
    struct tensor *src[2] = { a, b };
    struct tensor *out = tensor_result(ar, a->rows, b->rows, &op_sqdist, src,
                                       2);
    float *bn = tensor_arena_alloc(ar, (size_t)b->rows * sizeof(float));
    if (!out || !bn || product(ar, out, a, 0, b, 1, -2.0f, 0.0f))
        return tensor_null(ar);
    for (int j = 0; j < b->rows; j++)
        bn[j] = row_sqnorm(b, j);
    for (int i = 0; i < a->rows; i++) {
        float an = row_sqnorm(a, i);
        float *po = out->data + (size_t)i * b->rows;
        for (int j = 0; j < b->rows; j++) {
            float d = po[j] + an + bn[j];
            po[j] = d > 0 ? d : 0.0f;
        }
    }
    return out;
}

struct tensor *tensor_normalize_rows(struct tensor_arena *ar,
                                     struct tensor *a, float eps)
{
    struct tensor *n2 = tensor_sum_rows(ar, tensor_square(ar, a));

    return tensor_div(ar, a, tensor_sqrt(ar, tensor_affine(ar, n2, 1.0f,
                                                           eps)));
}

struct tensor *tensor_cosine(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b, float eps)
{
    return tensor_matmul(ar, tensor_normalize_rows(ar, a, eps),
                         tensor_normalize_rows(ar, b, eps), 0, 1);
}
