/* Reductions, broadcasting back, softmax family and per-row picks. */
#include <math.h>
#include <string.h>

#include "tensor/tensor_impl.h"

enum red_kind { RED_ALL, RED_ROWS, RED_COLS };

static void reduce_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    const struct tensor *a = out->node->src[0];
    struct tensor *e = tensor_expand(ar, g, a->rows, a->cols);

    gin[0] = out->node->f0 == 1.0f ? e : tensor_scale(ar, e, out->node->f0);
}

static const struct tensor_op op_reduce = { "reduce", reduce_bw, NULL };

/* Column sums go down the rows so the inner loop is a plain vector add. */
static void reduce_cols(struct tensor *out, const struct tensor *a,
                        float factor)
{
    float *restrict o = out->data;

    memset(o, 0, (size_t)a->cols * sizeof(float));
    for (int i = 0; i < a->rows; i++) {
        const float *p = a->data + (ptrdiff_t)i * a->rs;
        if (a->cs == 1)
            for (int j = 0; j < a->cols; j++)
                o[j] += p[j];
        else
            for (int j = 0; j < a->cols; j++)
                o[j] += p[(ptrdiff_t)j * a->cs];
    }
    if (factor != 1.0f)
        for (int j = 0; j < a->cols; j++)
            o[j] *= factor;
}

/* Row and total sums accumulate in double, so long rows keep float
 * precision against the references. */
static void reduce_run(struct tensor *out, const struct tensor *a, int kind,
                       float factor)
{
    if (kind == RED_COLS) {
        reduce_cols(out, a, factor);
        return;
    }
    double all = 0;
    for (int i = 0; i < a->rows; i++) {
        const float *p = a->data + (ptrdiff_t)i * a->rs;
        double row = 0;
        for (int j = 0; j < a->cols; j++)
            row += p[(ptrdiff_t)j * a->cs];
        if (kind == RED_ROWS)
            out->data[i] = (float)(row * factor);
        all += row;
    }
    if (kind == RED_ALL)
        out->data[0] = (float)(all * factor);
}

static struct tensor *reduce(struct tensor_arena *ar, struct tensor *a,
                             int kind, int mean)
{
    if (!a)
        return tensor_null(ar);
    int rows = kind == RED_ROWS ? a->rows : 1;
    int cols = kind == RED_COLS ? a->cols : 1;
    int count = kind == RED_ALL ? a->rows * a->cols
                                : kind == RED_ROWS ? a->cols : a->rows;
    float factor = mean ? 1.0f / (float)count : 1.0f;
    struct tensor *out = tensor_result(ar, rows, cols, &op_reduce, &a, 1);
    if (!out)
        return tensor_null(ar);
    reduce_run(out, a, kind, factor);
    if (out->node)
        out->node->f0 = factor;
    return out;
}

struct tensor *tensor_sum(struct tensor_arena *ar, struct tensor *a)
{
    return reduce(ar, a, RED_ALL, 0);
}

struct tensor *tensor_sum_rows(struct tensor_arena *ar, struct tensor *a)
{
    return reduce(ar, a, RED_ROWS, 0);
}

struct tensor *tensor_sum_cols(struct tensor_arena *ar, struct tensor *a)
{
    return reduce(ar, a, RED_COLS, 0);
}

struct tensor *tensor_mean(struct tensor_arena *ar, struct tensor *a)
{
    return reduce(ar, a, RED_ALL, 1);
}

struct tensor *tensor_mean_rows(struct tensor_arena *ar, struct tensor *a)
{
    return reduce(ar, a, RED_ROWS, 1);
}

struct tensor *tensor_mean_cols(struct tensor_arena *ar, struct tensor *a)
{
    return reduce(ar, a, RED_COLS, 1);
}

struct tensor *tensor_reduce_to(struct tensor_arena *ar, struct tensor *g,
                                int rows, int cols)
{
    if (!g)
        return tensor_null(ar);
    if (g->rows != rows && g->cols != cols)
        return tensor_sum(ar, g);
    if (g->rows != rows)
        return tensor_sum_cols(ar, g);
    if (g->cols != cols)
        return tensor_sum_rows(ar, g);
    return g;
}

static void expand_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    const struct tensor *a = out->node->src[0];

    gin[0] = tensor_reduce_to(ar, g, a->rows, a->cols);
}

static const struct tensor_op op_expand = { "expand", expand_bw, NULL };

struct tensor *tensor_expand(struct tensor_arena *ar, struct tensor *a,
                             int rows, int cols)
{
    if (!a)
        return tensor_null(ar);
    if ((a->rows != rows && a->rows != 1) || (a->cols != cols && a->cols != 1))
        return tensor_fail(ar, ERR_INVALID, "cannot expand %d x %d to "
                           "%d x %d", a->rows, a->cols, rows, cols);
    struct tensor *out = tensor_result(ar, rows, cols, &op_expand, &a, 1);
    if (!out)
        return tensor_null(ar);
    int rs = a->rows == 1 ? 0 : a->rs, cs = a->cols == 1 ? 0 : a->cs;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            out->data[(size_t)i * cols + j] =
                a->data[(ptrdiff_t)i * rs + (ptrdiff_t)j * cs];
    return out;
}

/* Row maximum and log of the sum of exp(x - max), per row. */
static void row_lse(const struct tensor *a, int i, float *max, float *lse)
{
    const float *p = a->data + (ptrdiff_t)i * a->rs;
    float m = p[0];

    for (int j = 1; j < a->cols; j++)
        if (p[(ptrdiff_t)j * a->cs] > m)
            m = p[(ptrdiff_t)j * a->cs];
    double s = 0;
    for (int j = 0; j < a->cols; j++)
        s += exp((double)(p[(ptrdiff_t)j * a->cs] - m));
    *max = m;
    *lse = (float)log(s);
}

/* d log_softmax: g - softmax * rowsum(g), softmax = exp(y). */
static void log_softmax_bw(struct tensor_arena *ar, struct tensor *out,
                           struct tensor *g, struct tensor **gin)
{
    gin[0] = tensor_sub(ar, g, tensor_mul(ar, tensor_exp(ar, out),
                                          tensor_sum_rows(ar, g)));
}

static const struct tensor_op op_log_softmax = { "log_softmax",
                                                 log_softmax_bw, NULL };

struct tensor *tensor_log_softmax(struct tensor_arena *ar, struct tensor *a)
{
    if (!a)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, a->rows, a->cols, &op_log_softmax,
                                       &a, 1);
    if (!out)
        return tensor_null(ar);
    for (int i = 0; i < a->rows; i++) {
        float m, lse;
        row_lse(a, i, &m, &lse);
        const float *p = a->data + (ptrdiff_t)i * a->rs;
        float *po = out->data + (size_t)i * a->cols;
        for (int j = 0; j < a->cols; j++)
            po[j] = p[(ptrdiff_t)j * a->cs] - m - lse;
    }
    return out;
}

/* d logsumexp: g * softmax(a) = g * exp(a - y). */
static void logsumexp_bw(struct tensor_arena *ar, struct tensor *out,
                         struct tensor *g, struct tensor **gin)
{
    struct tensor *a = out->node->src[0];

    gin[0] = tensor_mul(ar, g, tensor_exp(ar, tensor_sub(ar, a, out)));
}

static const struct tensor_op op_logsumexp = { "logsumexp", logsumexp_bw,
                                               NULL };

struct tensor *tensor_logsumexp(struct tensor_arena *ar, struct tensor *a)
{
    if (!a)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, a->rows, 1, &op_logsumexp, &a, 1);
    if (!out)
        return tensor_null(ar);
    for (int i = 0; i < a->rows; i++) {
        float m, lse;
        row_lse(a, i, &m, &lse);
        out->data[i] = m + lse;
    }
    return out;
}

static int check_idx(struct tensor_arena *ar, const int *idx, int n,
                     int bound, const char *what)
{
    if (!idx) {
        tensor_fail(ar, ERR_INVALID, "%s: no indices", what);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= bound) {
            tensor_fail(ar, ERR_RANGE, "%s: index %d at %d outside [0, %d)",
                        what, idx[i], i, bound);
            return 0;
        }
    }
    return 1;
}

static void pick_bw(struct tensor_arena *ar, struct tensor *out,
                    struct tensor *g, struct tensor **gin)
{
    gin[0] = tensor_unpick(ar, g, out->node->idx, out->node->i0);
}

static const struct tensor_op op_pick = { "pick", pick_bw, NULL };

static struct tensor *pick_owned(struct tensor_arena *ar, struct tensor *a,
                                 const int *idx)
{
    struct tensor *out = tensor_result(ar, a->rows, 1, &op_pick, &a, 1);

    if (!out)
        return tensor_null(ar);
    for (int i = 0; i < a->rows; i++)
        out->data[i] = *tensor_ptr(a, i, idx[i]);
    if (out->node) {
        out->node->idx = idx;
        out->node->i0 = a->cols;
    }
    return out;
}

struct tensor *tensor_pick(struct tensor_arena *ar, struct tensor *a,
                           const int *idx)
{
    if (!a || !check_idx(ar, idx, a->rows, a->cols, "pick"))
        return tensor_null(ar);
    int *own = arena_copy_ints(ar, idx, a->rows);
    return own ? pick_owned(ar, a, own) : NULL;
}

static void unpick_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    gin[0] = pick_owned(ar, g, out->node->idx);
}

static const struct tensor_op op_unpick = { "unpick", unpick_bw, NULL };

/* idx must already live in the arena (it is kept, not copied). */
struct tensor *tensor_unpick(struct tensor_arena *ar, struct tensor *g,
                             const int *idx, int n)
{
    if (!g)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, g->rows, n, &op_unpick, &g, 1);
    if (!out)
        return tensor_null(ar);
    memset(out->data, 0, (size_t)g->rows * n * sizeof(float));
    for (int i = 0; i < g->rows; i++)
        out->data[(size_t)i * n + idx[i]] = *tensor_ptr(g, i, 0);
    if (out->node)
        out->node->idx = idx;
    return out;
}

struct tensor *tensor_cross_entropy(struct tensor_arena *ar,
                                    struct tensor *logits,
                                    const int *targets)
{
    if (!logits)
        return tensor_null(ar);
    struct tensor *picked = tensor_pick(ar, tensor_log_softmax(ar, logits),
                                        targets);
    return tensor_scale(ar, tensor_mean(ar, picked), -1.0f);
}
