/*
 * Internals shared by the files of src/tensor: the arena, graph nodes and
 * the helpers every operation uses to make its result.
 */
#ifndef FEWFLOW_TENSOR_IMPL_H
#define FEWFLOW_TENSOR_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/err.h"
#include "fewflow/tensor.h"

struct arena_block {
    char *mem;
    size_t size;
};

struct tensor_arena {
    struct arena_block *blocks;
    size_t n_blocks, cap_blocks;
    size_t cur, off;          /* allocation point: block and offset in it */
    size_t used, high_water, capacity, max_bytes;
    int status;               /* sticky first error since reset */
    int grad_enabled;
    uint64_t seq;             /* nodes made since reset */
    uint32_t stamp;           /* tensor_grad call counter */
    struct grad_pool *pool;   /* set while a no-graph backward pass runs */
};

/*
 * backward(ar, out, g, gin): given g = dL/d(out), store dL/d(src[k]) in
 * gin[k] for every k with node_wants(out, k), using only public tensor
 * operations so the rule can itself be differentiated. gin[k] must have
 * src[k]'s shape; leaving it NULL means "no contribution".
 */
typedef void (*tensor_backward_fn)(struct tensor_arena *ar,
                                   struct tensor *out, struct tensor *g,
                                   struct tensor **gin);

/*
 * accumulate (optional): the create_graph = 0 shortcut for a view of one
 * source. It adds g into acc, the source's contiguous gradient buffer,
 * instead of building a full-size gradient to be added afterwards.
 */
struct tensor_op {
    const char *name;
    tensor_backward_fn backward;
    void (*accumulate)(struct tensor *acc, const struct tensor *out,
                       const struct tensor *g);
};

enum { NODE_MAX_SRC = 3 };

struct tensor_node {
    const struct tensor_op *op;     /* NULL for a leaf */
    struct tensor *src[NODE_MAX_SRC];
    int n_src;
    /* Operation attributes; their meaning is per operation. */
    float f0, f1;
    int i0, i1, i2, i3;
    const int *idx;
    const float *w;
    const struct tensor *aux;       /* a constant input, e.g. a mask source */
    uint64_t seq;                   /* creation order within the arena */
    const struct tensor_arena *owner;
    /* Scratch of the tensor_grad call whose stamp matches. */
    uint32_t stamp, input_stamp;
    int relevant, owned;
    struct tensor *gacc;
};

/* Records err (if none yet) and returns NULL, for `return fail(...)`. */
struct tensor *tensor_fail(struct tensor_arena *ar, int code,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void arena_set_error(struct tensor_arena *ar, int code);

/* NULL for an operation given a NULL operand: keeps the first error, or
 * records ERR_INVALID when the caller passed NULL itself. */
struct tensor *tensor_null(struct tensor_arena *ar);

/* A contiguous rows x cols result with uninitialised data. When grad
 * recording is on and any of the n sources has a node, the result gets a
 * node for op over those sources. NULL on failure. */
struct tensor *tensor_result(struct tensor_arena *ar, int rows, int cols,
                             const struct tensor_op *op,
                             struct tensor *const *src, int n);

/* A view sharing data with src[0] (strides given), with a node as above. */
struct tensor *tensor_view_result(struct tensor_arena *ar, float *data,
                                  int rows, int cols, int rs, int cs,
                                  const struct tensor_op *op,
                                  struct tensor *src);

/* 1 when the backward pass needs a gradient for out's k-th source. */
int node_wants(const struct tensor *out, int k);

/* Pointer to element (i, j). */
static inline float *tensor_ptr(const struct tensor *t, int i, int j)
{
    return t->data + (ptrdiff_t)i * t->rs + (ptrdiff_t)j * t->cs;
}

/* Copies idx (n ints) into the arena; NULL on failure. */
int *arena_copy_ints(struct tensor_arena *ar, const int *idx, int n);

/* Gradient helpers shared by backward rules. */
struct tensor *tensor_reduce_to(struct tensor_arena *ar, struct tensor *g,
                                int rows, int cols);
/* Zeros of rows x cols with g placed at (r0, c0), and the inverse. */
struct tensor *tensor_place(struct tensor_arena *ar, struct tensor *g,
                            int rows, int cols, int r0, int c0);
struct tensor *tensor_block(struct tensor_arena *ar, struct tensor *t,
                            int r0, int c0, int nr, int nc);
/* out[i, idx[i]] = g[i], zeros elsewhere: [m, 1] -> [m, n]. */
struct tensor *tensor_unpick(struct tensor_arena *ar, struct tensor *g,
                             const int *idx, int n);
/* Sum of g's rows into n_rows rows by idx: out[idx[i]] += g[i]. */
struct tensor *tensor_scatter_rows(struct tensor_arena *ar, struct tensor *g,
                                   const int *idx, int n_rows);
/* out[i] = g[seg[i]] * inv[seg[i]] for i < n_rows. */
struct tensor *tensor_segment_expand(struct tensor_arena *ar,
                                     struct tensor *g, const int *seg,
                                     const float *inv, int n_rows);
/* A constant multiplier mask from a's sign: 1 where a + shift > 0, else
 * low; multiplying g by it is the backward of relu/leaky/hinge. */
struct tensor *tensor_mask_mul(struct tensor_arena *ar, struct tensor *g,
                               const struct tensor *a, float shift,
                               float low);

/*
 * Buffer reuse during a create_graph = 0 backward pass (grad_pool.c).
 * begin sizes the pool for about n_nodes graph nodes and makes
 * tensor_result take its data from it until end; returns 0 or the arena's
 * error. hold and drop count a node gradient living in t's buffer (no-ops
 * without a pool or for memory the pool did not hand out); settle, called
 * when a node is done, frees the buffers touched since the last settle
 * that nothing holds, for later results of the same size.
 */
int grad_pool_begin(struct tensor_arena *ar, size_t n_nodes);
void grad_pool_end(struct tensor_arena *ar);
float *grad_pool_take(struct tensor_arena *ar, size_t bytes);
void grad_pool_hold(struct tensor_arena *ar, const struct tensor *t);
void grad_pool_drop(struct tensor_arena *ar, const struct tensor *t);
void grad_pool_settle(struct tensor_arena *ar);

/* In-place dst += src (same shape); dst must be contiguous and owned. */
void tensor_acc_inplace(struct tensor *dst, const struct tensor *src);

#endif
