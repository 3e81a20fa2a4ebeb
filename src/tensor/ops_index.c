/* Row gathers and scatters, segment means and dropout. */
#include <string.h>

#include "fewflow/rng.h"
#include "tensor/tensor_impl.h"

static int check_rows(struct tensor_arena *ar, const int *idx, int n,
                      int bound, const char *what)
{
    if (!idx || n <= 0) {
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

static void copy_row(float *dst, const struct tensor *t, int i)
{
    for (int j = 0; j < t->cols; j++)
        dst[j] = *tensor_ptr(t, i, j);
}

static void gather_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    gin[0] = tensor_scatter_rows(ar, g, out->node->idx,
                                 out->node->src[0]->rows);
}

static const struct tensor_op op_gather = { "gather_rows", gather_bw, NULL };

/* idx (n entries, checked) must live as long as the arena's tensors. */
static struct tensor *gather_owned(struct tensor_arena *ar, struct tensor *a,
                                   const int *idx, int n)
{
    struct tensor *out = tensor_result(ar, n, a->cols, &op_gather, &a, 1);

    if (!out)
        return tensor_null(ar);
    for (int i = 0; i < n; i++)
        copy_row(out->data + (size_t)i * a->cols, a, idx[i]);
    if (out->node)
        out->node->idx = idx;
    return out;
}

struct tensor *tensor_gather_rows(struct tensor_arena *ar, struct tensor *a,
                                  const int *idx, int n)
{
    if (!a || !check_rows(ar, idx, n, a->rows, "gather_rows"))
        return tensor_null(ar);
    int *own = arena_copy_ints(ar, idx, n);
    return own ? gather_owned(ar, a, own, n) : NULL;
}

static void scatter_bw(struct tensor_arena *ar, struct tensor *out,
                       struct tensor *g, struct tensor **gin)
{
    gin[0] = gather_owned(ar, g, out->node->idx, out->node->src[0]->rows);
}

static const struct tensor_op op_scatter = { "scatter_rows", scatter_bw, NULL };

struct tensor *tensor_scatter_rows(struct tensor_arena *ar, struct tensor *g,
                                   const int *idx, int n_rows)
{
    if (!g)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, n_rows, g->cols, &op_scatter, &g,
                                       1);
    if (!out)
        return tensor_null(ar);
    memset(out->data, 0, (size_t)n_rows * g->cols * sizeof(float));
    for (int i = 0; i < g->rows; i++) {
        float *po = out->data + (size_t)idx[i] * g->cols;
        for (int j = 0; j < g->cols; j++)
            po[j] += *tensor_ptr(g, i, j);
    }
    if (out->node)
        out->node->idx = idx;
    return out;
}

/* out[c] = inv[c] * sum of rows of a in segment c; seg, inv in the arena. */
static void segment_sum_run(struct tensor *out, const struct tensor *a,
                            const int *seg, const float *inv)
{
    memset(out->data, 0, (size_t)out->rows * out->cols * sizeof(float));
    for (int i = 0; i < a->rows; i++) {
        float *po = out->data + (size_t)seg[i] * out->cols;
        for (int j = 0; j < a->cols; j++)
            po[j] += *tensor_ptr(a, i, j);
    }
    for (int c = 0; c < out->rows; c++)
        for (int j = 0; j < out->cols; j++)
            out->data[(size_t)c * out->cols + j] *= inv[c];
}

static void segment_mean_bw(struct tensor_arena *ar, struct tensor *out,
                            struct tensor *g, struct tensor **gin)
{
    gin[0] = tensor_segment_expand(ar, g, out->node->idx, out->node->w,
                                   out->node->src[0]->rows);
}

static const struct tensor_op op_segment_mean = { "segment_mean",
                                                  segment_mean_bw, NULL };

static struct tensor *segment_mean_owned(struct tensor_arena *ar,
                                         struct tensor *a, const int *seg,
                                         const float *inv, int n_seg)
{
    struct tensor *out = tensor_result(ar, n_seg, a->cols, &op_segment_mean,
                                       &a, 1);
    if (!out)
        return tensor_null(ar);
    segment_sum_run(out, a, seg, inv);
    if (out->node) {
        out->node->idx = seg;
        out->node->w = inv;
    }
    return out;
}

struct tensor *tensor_segment_mean(struct tensor_arena *ar, struct tensor *a,
                                   const int *seg, int n_seg)
{
    if (!a || !check_rows(ar, seg, a->rows, n_seg, "segment_mean"))
        return tensor_null(ar);
    int *own = arena_copy_ints(ar, seg, a->rows);
    float *inv = tensor_arena_alloc(ar, (size_t)n_seg * sizeof(float));
    if (!own || !inv)
        return tensor_null(ar);
    memset(inv, 0, (size_t)n_seg * sizeof(float));
    for (int i = 0; i < a->rows; i++)
        inv[own[i]] += 1.0f;
    for (int c = 0; c < n_seg; c++) {
        if (inv[c] == 0.0f)
            return tensor_fail(ar, ERR_INVALID, "segment_mean: segment %d "
                               "of %d has no rows", c, n_seg);
        inv[c] = 1.0f / inv[c];
    }
    return segment_mean_owned(ar, a, own, inv, n_seg);
}

/* The adjoint of segment_mean, and segment_mean is its adjoint. */
static void segment_expand_bw(struct tensor_arena *ar, struct tensor *out,
                              struct tensor *g, struct tensor **gin)
{
    gin[0] = segment_mean_owned(ar, g, out->node->idx, out->node->w,
                                out->node->src[0]->rows);
}

static const struct tensor_op op_segment_expand = { "segment_expand",
                                                    segment_expand_bw, NULL };

struct tensor *tensor_segment_expand(struct tensor_arena *ar,
                                     struct tensor *g, const int *seg,
                                     const float *inv, int n_rows)
{
    if (!g)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, n_rows, g->cols,
                                       &op_segment_expand, &g, 1);
    if (!out)
        return tensor_null(ar);
    for (int i = 0; i < n_rows; i++) {
        float *po = out->data + (size_t)i * g->cols;
        copy_row(po, g, seg[i]);
        for (int j = 0; j < g->cols; j++)
            po[j] *= inv[seg[i]];
    }
    if (out->node) {
        out->node->idx = seg;
        out->node->w = inv;
    }
    return out;
}

struct tensor *tensor_dropout(struct tensor_arena *ar, struct tensor *a,
                              float p, struct rng *r)
{
    if (!a)
        return tensor_null(ar);
    if (!(p >= 0.0f && p < 1.0f) || !r)
        return tensor_fail(ar, ERR_INVALID, "dropout p = %g", (double)p);
    if (p == 0.0f)
        return a;
    struct tensor *mask = tensor_empty(ar, a->rows, a->cols);
    if (!mask)
        return tensor_null(ar);
    float keep = 1.0f / (1.0f - p);
    for (int i = 0; i < a->rows * a->cols; i++)
        mask->data[i] = rng_uniform(r) < p ? 0.0f : keep;
    return tensor_mul(ar, a, mask);
}
