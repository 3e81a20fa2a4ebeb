#include <assert.h>
#include <string.h>

#include "tensor/tensor_impl.h"

static struct tensor *alloc_tensor(struct tensor_arena *ar)
{
    return tensor_arena_alloc(ar, sizeof(struct tensor));
}

static struct tensor_node *alloc_node(struct tensor_arena *ar)
{
    struct tensor_node *n = tensor_arena_alloc(ar, sizeof(*n));

    if (n) {
        memset(n, 0, sizeof(*n));
        n->seq = ++ar->seq;
        n->owner = ar;
    }
    return n;
}

static int shape_ok(struct tensor_arena *ar, int rows, int cols)
{
    if (rows > 0 && cols > 0 && (size_t)rows * (size_t)cols < (1u << 30))
        return 1;
    tensor_fail(ar, ERR_INVALID, "bad shape %d x %d", rows, cols);
    return 0;
}

/* 1 when some source is in a graph; graph sources from another arena
 * are refused, since their creation order means nothing here. */
static int any_node(struct tensor_arena *ar, struct tensor *const *src,
                    int n)
{
    int any = 0;

    for (int k = 0; k < n; k++) {
        if (!src[k] || !src[k]->node)
            continue;
        if (src[k]->node->owner != ar)
            return -1;
        any = 1;
    }
    return any;
}

static int attach_node(struct tensor_arena *ar, struct tensor *t,
                       const struct tensor_op *op,
                       struct tensor *const *src, int n)
{
    t->node = NULL;
    int any = any_node(ar, src, n);
    if (any < 0) {
        tensor_fail(ar, ERR_INVALID, "operand's graph is in another arena");
        return ERR_INVALID;
    }
    if (!ar->grad_enabled || !any)
        return 0;
    struct tensor_node *node = alloc_node(ar);
    if (!node)
        return ERR_NOMEM;
    node->op = op;
    node->n_src = n;
    for (int k = 0; k < n; k++)
        node->src[k] = src[k];
    t->node = node;
    return 0;
}

struct tensor *tensor_result(struct tensor_arena *ar, int rows, int cols,
                             const struct tensor_op *op,
                             struct tensor *const *src, int n)
{
    if (ar->status || !shape_ok(ar, rows, cols))
        return NULL;
    struct tensor *t = alloc_tensor(ar);
    size_t bytes = (size_t)rows * cols * sizeof(float);
    float *data = ar->pool ? grad_pool_take(ar, bytes)
                           : tensor_arena_alloc(ar, bytes);
    if (!t || !data)
        return tensor_null(ar);
    *t = (struct tensor){ data, rows, cols, cols, 1, NULL };
    if (attach_node(ar, t, op, src, n))
        return NULL;
    return t;
}

struct tensor *tensor_view_result(struct tensor_arena *ar, float *data,
                                  int rows, int cols, int rs, int cs,
                                  const struct tensor_op *op,
                                  struct tensor *src)
{
    if (ar->status || !shape_ok(ar, rows, cols))
        return NULL;
    struct tensor *t = alloc_tensor(ar);
    if (!t)
        return tensor_null(ar);
    *t = (struct tensor){ data, rows, cols, rs, cs, NULL };
    if (attach_node(ar, t, op, &src, 1))
        return NULL;
    return t;
}

int node_wants(const struct tensor *out, int k)
{
    const struct tensor *s = out->node->src[k];

    /* A stale flag from an earlier tensor_grad call must not count. */
    return s && s->node && s->node->stamp == out->node->stamp &&
           s->node->relevant;
}

void tensor_init(struct tensor *t, float *data, int rows, int cols)
{
    *t = (struct tensor){ data, rows, cols, cols, 1, NULL };
}

struct tensor *tensor_empty(struct tensor_arena *ar, int rows, int cols)
{
    return tensor_result(ar, rows, cols, NULL, NULL, 0);
}

struct tensor *tensor_full(struct tensor_arena *ar, int rows, int cols,
                           float v)
{
    struct tensor *t = tensor_empty(ar, rows, cols);

    if (t)
        for (int i = 0; i < rows * cols; i++)
            t->data[i] = v;
    return t;
}

struct tensor *tensor_zeros(struct tensor_arena *ar, int rows, int cols)
{
    struct tensor *t = tensor_empty(ar, rows, cols);

    if (t)
        memset(t->data, 0, (size_t)rows * cols * sizeof(float));
    return t;
}

struct tensor *tensor_from(struct tensor_arena *ar, const float *data,
                           int rows, int cols)
{
    struct tensor *t = tensor_empty(ar, rows, cols);

    if (t)
        memcpy(t->data, data, (size_t)rows * cols * sizeof(float));
    return t;
}

struct tensor *tensor_leaf(struct tensor_arena *ar, float *data,
                           int rows, int cols)
{
    if (ar->status || !shape_ok(ar, rows, cols))
        return NULL;
    struct tensor *t = alloc_tensor(ar);
    struct tensor_node *node = alloc_node(ar);
    if (!t || !node)
        return tensor_null(ar);
    *t = (struct tensor){ data, rows, cols, cols, 1, node };
    return t;
}

struct tensor *tensor_detach(struct tensor_arena *ar, const struct tensor *t)
{
    if (!t || ar->status)
        return tensor_null(ar);
    struct tensor *d = alloc_tensor(ar);
    if (d) {
        *d = *t;
        d->node = NULL;
    }
    return d;
}

int tensor_requires_grad(const struct tensor *t)
{
    return t && t->node;
}

int tensor_is_contiguous(const struct tensor *t)
{
    return t->cs == 1 && (t->rs == t->cols || t->rows == 1);
}

float tensor_at(const struct tensor *t, int i, int j)
{
    assert(i >= 0 && i < t->rows && j >= 0 && j < t->cols);
    return *tensor_ptr(t, i, j);
}

void tensor_read(const struct tensor *t, float *dst)
{
    if (tensor_is_contiguous(t)) {
        memcpy(dst, t->data, (size_t)t->rows * t->cols * sizeof(float));
        return;
    }
    for (int i = 0; i < t->rows; i++)
        for (int j = 0; j < t->cols; j++)
            *dst++ = *tensor_ptr(t, i, j);
}

void tensor_acc_inplace(struct tensor *dst, const struct tensor *src)
{
    float *d = dst->data;

    if (tensor_is_contiguous(src)) {
        const float *s = src->data;
        int n = dst->rows * dst->cols;
        for (int i = 0; i < n; i++)
            d[i] += s[i];
        return;
    }
    for (int i = 0; i < src->rows; i++)
        for (int j = 0; j < src->cols; j++)
            *d++ += *tensor_ptr(src, i, j);
}
