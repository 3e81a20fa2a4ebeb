/* Views, copies, placement and concatenation. */
#include <string.h>

#include "tensor/tensor_impl.h"

static void copy_bw(struct tensor_arena *ar, struct tensor *out,
                    struct tensor *g, struct tensor **gin)
{
    gin[0] = g;
}

static const struct tensor_op op_copy = { "copy", copy_bw, NULL };

static void copy_into(float *dst, const struct tensor *t)
{
    tensor_read(t, dst);
}

struct tensor *tensor_copy(struct tensor_arena *ar, struct tensor *t)
{
    if (!t)
        return tensor_null(ar);
    struct tensor *out = tensor_result(ar, t->rows, t->cols, &op_copy, &t, 1);
    if (out)
        copy_into(out->data, t);
    return out;
}

static void block_bw(struct tensor_arena *ar, struct tensor *out,
                     struct tensor *g, struct tensor **gin)
{
    const struct tensor *s = out->node->src[0];

    gin[0] = tensor_place(ar, g, s->rows, s->cols, out->node->i0,
                          out->node->i1);
}

static void block_acc(struct tensor *acc, const struct tensor *out,
                      const struct tensor *g)
{
    int r0 = out->node->i0, c0 = out->node->i1;

    for (int i = 0; i < g->rows; i++) {
        float *pa = acc->data + (size_t)(r0 + i) * acc->cols + c0;
        for (int j = 0; j < g->cols; j++)
            pa[j] += *tensor_ptr(g, i, j);
    }
}

static const struct tensor_op op_block = { "block", block_bw, block_acc };

struct tensor *tensor_block(struct tensor_arena *ar, struct tensor *t,
                            int r0, int c0, int nr, int nc)
{
    if (!t)
        return tensor_null(ar);
    if (r0 < 0 || c0 < 0 || nr <= 0 || nc <= 0 || r0 + nr > t->rows ||
        c0 + nc > t->cols)
        return tensor_fail(ar, ERR_RANGE, "slice [%d+%d, %d+%d] of %d x %d",
                           r0, nr, c0, nc, t->rows, t->cols);
    struct tensor *v = tensor_view_result(ar, tensor_ptr(t, r0, c0), nr, nc,
                                          t->rs, t->cs, &op_block, t);
    if (v && v->node) {
        v->node->i0 = r0;
        v->node->i1 = c0;
    }
    return v;
}

struct tensor *tensor_rows(struct tensor_arena *ar, struct tensor *t,
                           int r0, int n)
{
    return t ? tensor_block(ar, t, r0, 0, n, t->cols) : tensor_null(ar);
}

struct tensor *tensor_cols(struct tensor_arena *ar, struct tensor *t,
                           int c0, int n)
{
    return t ? tensor_block(ar, t, 0, c0, t->rows, n) : tensor_null(ar);
}

static void place_bw(struct tensor_arena *ar, struct tensor *out,
                     struct tensor *g, struct tensor **gin)
{
    const struct tensor *s = out->node->src[0];

    gin[0] = tensor_block(ar, g, out->node->i0, out->node->i1, s->rows,
                          s->cols);
}

static const struct tensor_op op_place = { "place", place_bw, NULL };

struct tensor *tensor_place(struct tensor_arena *ar, struct tensor *g,
                            int rows, int cols, int r0, int c0)
{
    if (!g)
        return tensor_null(ar);
    if (r0 < 0 || c0 < 0 || r0 + g->rows > rows || c0 + g->cols > cols)
        return tensor_fail(ar, ERR_RANGE, "place %d x %d at (%d, %d) in "
                           "%d x %d", g->rows, g->cols, r0, c0, rows, cols);
    struct tensor *out = tensor_result(ar, rows, cols, &op_place, &g, 1);
    if (!out)
        return tensor_null(ar);
    memset(out->data, 0, (size_t)rows * cols * sizeof(float));
    for (int i = 0; i < g->rows; i++)
        for (int j = 0; j < g->cols; j++)
            out->data[(size_t)(r0 + i) * cols + c0 + j] =
                *tensor_ptr(g, i, j);
    if (out->node) {
        out->node->i0 = r0;
        out->node->i1 = c0;
    }
    return out;
}

static void transpose_bw(struct tensor_arena *ar, struct tensor *out,
                         struct tensor *g, struct tensor **gin)
{
    gin[0] = tensor_transpose(ar, g);
}

static const struct tensor_op op_transpose = { "transpose", transpose_bw,
                                               NULL };

struct tensor *tensor_transpose(struct tensor_arena *ar, struct tensor *t)
{
    if (!t)
        return tensor_null(ar);
    return tensor_view_result(ar, t->data, t->cols, t->rows, t->cs, t->rs,
                              &op_transpose, t);
}

static void reshape_bw(struct tensor_arena *ar, struct tensor *out,
                       struct tensor *g, struct tensor **gin)
{
    const struct tensor *s = out->node->src[0];

    gin[0] = tensor_reshape(ar, g, s->rows, s->cols);
}

static const struct tensor_op op_reshape = { "reshape", reshape_bw, NULL };

struct tensor *tensor_reshape(struct tensor_arena *ar, struct tensor *t,
                              int rows, int cols)
{
    if (!t)
        return tensor_null(ar);
    if ((long)rows * cols != (long)t->rows * t->cols)
        return tensor_fail(ar, ERR_INVALID, "reshape %d x %d to %d x %d",
                           t->rows, t->cols, rows, cols);
    if (!tensor_is_contiguous(t))
        t = tensor_copy(ar, t);
    if (!t)
        return tensor_null(ar);
    return tensor_view_result(ar, t->data, rows, cols, cols, 1, &op_reshape,
                              t);
}

static void concat_bw(struct tensor_arena *ar, struct tensor *out,
                      struct tensor *g, struct tensor **gin)
{
    struct tensor *a = out->node->src[0], *b = out->node->src[1];
    int by_cols = out->node->i0;

    if (node_wants(out, 0))
        gin[0] = tensor_block(ar, g, 0, 0, a->rows, a->cols);
    if (node_wants(out, 1))
        gin[1] = by_cols ? tensor_block(ar, g, 0, a->cols, b->rows, b->cols)
                         : tensor_block(ar, g, a->rows, 0, b->rows, b->cols);
}

static const struct tensor_op op_concat = { "concat", concat_bw, NULL };

static void write_block(struct tensor *out, const struct tensor *t,
                        int r0, int c0)
{
    for (int i = 0; i < t->rows; i++)
        for (int j = 0; j < t->cols; j++)
            out->data[(size_t)(r0 + i) * out->cols + c0 + j] =
                *tensor_ptr(t, i, j);
}

static struct tensor *concat(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b, int by_cols)
{
    if (!a || !b)
        return tensor_null(ar);
    if (by_cols ? a->rows != b->rows : a->cols != b->cols)
        return tensor_fail(ar, ERR_INVALID, "concat %d x %d with %d x %d",
                           a->rows, a->cols, b->rows, b->cols);
    struct tensor *src[2] = { a, b };
    int rows = by_cols ? a->rows : a->rows + b->rows;
    int cols = by_cols ? a->cols + b->cols : a->cols;
    struct tensor *out = tensor_result(ar, rows, cols, &op_concat, src, 2);
    if (!out)
        return tensor_null(ar);
    write_block(out, a, 0, 0);
    write_block(out, b, by_cols ? 0 : a->rows, by_cols ? a->cols : 0);
    if (out->node)
        out->node->i0 = by_cols;
    return out;
}

struct tensor *tensor_concat_cols(struct tensor_arena *ar, struct tensor *a,
                                  struct tensor *b)
{
    return concat(ar, a, b, 1);
}

struct tensor *tensor_concat_rows(struct tensor_arena *ar, struct tensor *a,
                                  struct tensor *b)
{
    return concat(ar, a, b, 0);
}
