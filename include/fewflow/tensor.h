/*
 * Dense float32 matrices with reverse-mode automatic differentiation whose
 * backward pass is itself differentiable.
 *
 * Every tensor is 2-D and row-major: element (i, j) of t lives at
 * t->data[i * t->rs + j * t->cs]. A vector is a 1 x n (row) or n x 1
 * (column) tensor; a scalar is 1 x 1. Slices and transposes are views that
 * share storage with their source and only change the strides.
 *
 * The arena. Every tensor that an operation returns, and every graph node,
 * is carved from a struct tensor_arena. tensor_arena_reset() frees all of
 * them at once; after a reset every `struct tensor *` obtained from that
 * arena is dangling and must not be used again. One training step is meant
 * to be: reset, wrap the parameters as leaves, forward, loss, tensor_grad,
 * copy gradients out to flat buffers, optimiser update. Parameters,
 * gradients that outlive the step and optimiser state live in the caller's
 * own buffers outside the arena. The arena keeps its memory across resets,
 * so a loop that does the same work every step stops calling malloc after
 * its first step (reset merges the blocks a step needed into one).
 *
 * Errors. Operations never abort on bad input. A shape mismatch, a bad
 * index or an arena that hit its byte limit records the error in the arena
 * (sticky until the next reset, read with tensor_arena_status) and the
 * operation returns NULL; every operation given a NULL operand returns NULL
 * at once (recording ERR_INVALID if nothing failed before). So a NULL
 * result always comes with an error, and a caller may chain operations and
 * check once at the end.
 *
 * Autodiff. A tensor requires a gradient when it is a leaf made by
 * tensor_leaf() or when any operand of the operation that made it did (and
 * gradient recording is enabled). Such tensors carry a graph node (t->node
 * non-NULL); constants have t->node == NULL. tensor_grad() walks the graph
 * backwards. Every operation's backward rule is written with the operations
 * of this header, so with create_graph = 1 the gradients it returns are
 * graph tensors that can be differentiated again (Hessian-vector products,
 * second-order MAML). With create_graph = 0 the backward pass records no
 * graph and accumulates in place, which is faster, and it reuses the
 * buffers of gradients it has finished with, so it needs about what is
 * alive at once rather than a gradient for every node of the graph. All
 * graph tensors of one computation must come from one arena; constants
 * (tensor_init, or an evaluation arena with recording off) may come from
 * anywhere.
 *
 * Beyond the core list (matmul, broadcasting add/sub/mul, scale, relu,
 * tanh, exp, log, sqrt, square, sums and means, log-softmax,
 * cross-entropy, squared distances, cosine, gather, segment mean, hinge)
 * the learners get: div, affine, add_scaled, linear, leaky relu, sigmoid,
 * softplus, logsumexp, pick, expand, normalize_rows, concat of rows or
 * columns, reshape, copy, detach and dropout with an explicit generator.
 *
 * Threads: an arena and its tensors belong to one thread at a time.
 * Different arenas may be used from different threads.
 *
 * Glossary: ar = arena, rs/cs = row/column stride in floats, g = incoming
 * gradient, idx = integer indices, seg = segment (class) id per row.
 */
#ifndef FEWFLOW_TENSOR_H
#define FEWFLOW_TENSOR_H

#include <stddef.h>
#include <stdint.h>

struct rng;
struct tensor_arena;
struct tensor_node;     /* graph bookkeeping, private to src/tensor */

struct tensor {
    float *data;        /* element (0, 0); not owned by the tensor */
    int rows, cols;
    int rs, cs;         /* strides in floats; contiguous: rs == cols, cs == 1 */
    struct tensor_node *node; /* NULL for constants (no gradient) */
};

/* ------------------------------------------------------------------ */
/* Arena                                                               */
/* ------------------------------------------------------------------ */

/*
 * A new arena. max_bytes bounds the memory it may hold (0 = no bound);
 * an allocation past the bound fails with ERR_NOMEM recorded in the arena.
 * Returns NULL on allocation failure. Destroy with tensor_arena_destroy().
 */
struct tensor_arena *tensor_arena_create(size_t max_bytes);
void tensor_arena_destroy(struct tensor_arena *ar);

/* Frees every tensor, node and scratch block handed out since creation,
 * clears the sticky error and re-enables gradient recording. */
void tensor_arena_reset(struct tensor_arena *ar);

/* 0, or the first error (negative ERR_*) since the last reset. The detail
 * is in err_msg() of the thread that caused it. */
int tensor_arena_status(const struct tensor_arena *ar);

/* Bytes handed out since the last reset, the most ever handed out between
 * two resets, and the bytes of memory the arena holds from the system. */
size_t tensor_arena_used(const struct tensor_arena *ar);
size_t tensor_arena_high_water(const struct tensor_arena *ar);
size_t tensor_arena_capacity(const struct tensor_arena *ar);

/* A position to come back to: tensor_arena_rewind() frees everything
 * allocated after the mark (e.g. an evaluation inside a training step).
 * Tensors made after the mark are dangling afterwards. */
struct tensor_mark {
    size_t block, offset, used;
    uint64_t seq;
};
struct tensor_mark tensor_arena_mark(const struct tensor_arena *ar);
void tensor_arena_rewind(struct tensor_arena *ar, struct tensor_mark m);

/* n bytes of scratch, 64-byte aligned, freed by the next reset; NULL (and
 * the sticky error set) on failure. */
void *tensor_arena_alloc(struct tensor_arena *ar, size_t n);

/* Switch graph recording off (0) or on (1); returns the previous setting.
 * With recording off, operations return constants: use it for evaluation
 * and inference. Reset turns recording back on. */
int tensor_arena_set_grad_enabled(struct tensor_arena *ar, int enabled);

/* ------------------------------------------------------------------ */
/* Making tensors                                                      */
/* ------------------------------------------------------------------ */

/* Caller-storage constant over data (rows x cols, contiguous). No arena
 * needed; data is borrowed and must outlive every use of *t. */
void tensor_init(struct tensor *t, float *data, int rows, int cols);

/* A rows x cols constant in the arena, zero-filled / uninitialised /
 * filled with v / copied from data (contiguous, rows * cols floats). */
struct tensor *tensor_zeros(struct tensor_arena *ar, int rows, int cols);
struct tensor *tensor_empty(struct tensor_arena *ar, int rows, int cols);
struct tensor *tensor_full(struct tensor_arena *ar, int rows, int cols,
                           float v);
struct tensor *tensor_from(struct tensor_arena *ar, const float *data,
                           int rows, int cols);

/*
 * A leaf that requires a gradient, viewing caller memory data (contiguous,
 * rows x cols) without copying: this is how parameters held in a flat
 * buffer enter a step. data is borrowed and must not change until the
 * step's last tensor_grad() (the backward pass reads it).
 */
struct tensor *tensor_leaf(struct tensor_arena *ar, float *data,
                           int rows, int cols);

/* A constant view of t sharing its data, cut from the graph: gradients do
 * not flow through it (first-order MAML, stop-gradient). */
struct tensor *tensor_detach(struct tensor_arena *ar, const struct tensor *t);

/* A contiguous copy (differentiable). */
struct tensor *tensor_copy(struct tensor_arena *ar, struct tensor *t);

/* Copies t's values into dst (rows * cols floats, row-major). */
void tensor_read(const struct tensor *t, float *dst);

/* Element (i, j); no bounds check beyond an assert. */
float tensor_at(const struct tensor *t, int i, int j);

/* 1 when t is row-major contiguous. */
int tensor_is_contiguous(const struct tensor *t);

/* ------------------------------------------------------------------ */
/* Views (no copy; differentiable)                                     */
/* ------------------------------------------------------------------ */

/* Rows [r0, r0 + n) of t, and columns [c0, c0 + n). */
struct tensor *tensor_rows(struct tensor_arena *ar, struct tensor *t,
                           int r0, int n);
struct tensor *tensor_cols(struct tensor_arena *ar, struct tensor *t,
                           int c0, int n);
/* t^T: [r, c] -> [c, r]. */
struct tensor *tensor_transpose(struct tensor_arena *ar, struct tensor *t);
/* Same elements in a new shape (rows * cols must match); copies first
 * when t is not contiguous. */
struct tensor *tensor_reshape(struct tensor_arena *ar, struct tensor *t,
                              int rows, int cols);

/* ------------------------------------------------------------------ */
/* Operations. All return a new arena tensor or NULL (see Errors).    */
/* ------------------------------------------------------------------ */

/*
 * Elementwise binary operations with broadcasting: each dimension of a and
 * b must be equal or 1, and the result has the larger one. So [m, n] + [1, n]
 * adds a row vector to every row, [m, n] * [m, 1] scales each row, and
 * [m, 1] - [1, n] makes an m x n table.
 */
struct tensor *tensor_add(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b);
struct tensor *tensor_sub(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b);
struct tensor *tensor_mul(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b);
struct tensor *tensor_div(struct tensor_arena *ar, struct tensor *a,
                          struct tensor *b);

/* a + alpha * b for a and b of one shape, in one pass: the fast-weight
 * update theta - lr * g of MAML's inner loop (alpha = -lr). */
struct tensor *tensor_add_scaled(struct tensor_arena *ar, struct tensor *a,
                                 struct tensor *b, float alpha);

/* alpha * a + beta, elementwise (scale: beta = 0; negate: alpha = -1). */
struct tensor *tensor_affine(struct tensor_arena *ar, struct tensor *a,
                             float alpha, float beta);
struct tensor *tensor_scale(struct tensor_arena *ar, struct tensor *a,
                            float alpha);

/* Elementwise functions. log and sqrt of values <= 0 give -inf/nan as C
 * does; callers add an epsilon where that matters. */
struct tensor *tensor_relu(struct tensor_arena *ar, struct tensor *a);
/* max(x, slope * x) for 0 <= slope < 1. */
struct tensor *tensor_leaky_relu(struct tensor_arena *ar, struct tensor *a,
                                 float slope);
/* max(0, x + margin): the hinge of margin losses (triplet, contrastive). */
struct tensor *tensor_hinge(struct tensor_arena *ar, struct tensor *a,
                            float margin);
struct tensor *tensor_tanh(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_sigmoid(struct tensor_arena *ar, struct tensor *a);
/* log(1 + exp(x)), computed without overflow. */
struct tensor *tensor_softplus(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_exp(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_log(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_sqrt(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_square(struct tensor_arena *ar, struct tensor *a);

/*
 * op(a) op(b) with op(x) = x^T when the flag is set: [m, k] x [k, n] ->
 * [m, n] after the transposes. BLAS sgemm for large shapes, a plain loop
 * for tiny ones.
 */
struct tensor *tensor_matmul(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b, int trans_a, int trans_b);

/* x w + b: x [m, k], w [k, n], b [1, n] or NULL -> [m, n]; one node. */
struct tensor *tensor_linear(struct tensor_arena *ar, struct tensor *x,
                             struct tensor *w, struct tensor *b);

/* Reductions: all elements -> [1, 1]; each row -> [m, 1]; each column ->
 * [1, n]. Means divide by the count reduced. */
struct tensor *tensor_sum(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_sum_rows(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_sum_cols(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_mean(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_mean_rows(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_mean_cols(struct tensor_arena *ar, struct tensor *a);

/* a repeated to [rows, cols]; each dimension of a must be 1 or equal. */
struct tensor *tensor_expand(struct tensor_arena *ar, struct tensor *a,
                             int rows, int cols);

/* Row-wise log-softmax and log-sum-exp ([m, n] -> [m, n] and [m, 1]),
 * both shifted by the row maximum so large logits do not overflow. */
struct tensor *tensor_log_softmax(struct tensor_arena *ar, struct tensor *a);
struct tensor *tensor_logsumexp(struct tensor_arena *ar, struct tensor *a);

/*
 * Mean cross-entropy of logits [m, n] against targets[m] in [0, n):
 * -(1/m) sum_i log_softmax(logits)[i, targets[i]] -> [1, 1]. targets is
 * copied; it need not outlive the call.
 */
struct tensor *tensor_cross_entropy(struct tensor_arena *ar,
                                    struct tensor *logits,
                                    const int *targets);

/* Per-row pick: out[i] = a[i, idx[i]] -> [m, 1]; idx is copied. */
struct tensor *tensor_pick(struct tensor_arena *ar, struct tensor *a,
                           const int *idx);

/*
 * Squared Euclidean distances between the rows of a [m, d] and b [n, d]:
 * out[i, j] = |a_i - b_j|^2 -> [m, n], clamped at 0 against rounding.
 */
struct tensor *tensor_sqdist(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b);

/* Each row divided by its L2 norm: a_i / sqrt(|a_i|^2 + eps). */
struct tensor *tensor_normalize_rows(struct tensor_arena *ar,
                                     struct tensor *a, float eps);

/* Cosine similarity of every row pair: [m, d], [n, d] -> [m, n], with
 * eps inside each norm as in tensor_normalize_rows. */
struct tensor *tensor_cosine(struct tensor_arena *ar, struct tensor *a,
                             struct tensor *b, float eps);

/* Rows of a picked by index: out[i] = a[idx[i]] for i < n -> [n, cols];
 * idx is copied. */
struct tensor *tensor_gather_rows(struct tensor_arena *ar, struct tensor *a,
                                  const int *idx, int n);

/*
 * Segment mean, e.g. ProtoNet prototypes: out[c] = mean of the rows i of a
 * with seg[i] == c, for c < n_seg -> [n_seg, cols]. seg has a->rows
 * entries in [0, n_seg) and is copied. A segment with no rows is an error
 * (ERR_INVALID), never a silent zero prototype.
 */
struct tensor *tensor_segment_mean(struct tensor_arena *ar, struct tensor *a,
                                   const int *seg, int n_seg);

/* Columns of a then b side by side ([m, p], [m, q] -> [m, p + q]) and rows
 * of a then b ([p, n], [q, n] -> [p + q, n]). */
struct tensor *tensor_concat_cols(struct tensor_arena *ar, struct tensor *a,
                                  struct tensor *b);
struct tensor *tensor_concat_rows(struct tensor_arena *ar, struct tensor *a,
                                  struct tensor *b);

/*
 * Inverted dropout: each element is zeroed with probability p and the rest
 * are scaled by 1 / (1 - p), drawing from r; p == 0 returns a unchanged.
 */
struct tensor *tensor_dropout(struct tensor_arena *ar, struct tensor *a,
                              float p, struct rng *r);

/* ------------------------------------------------------------------ */
/* Gradients                                                           */
/* ------------------------------------------------------------------ */

/*
 * Gradients of the scalar y ([1, 1]) with respect to each xs[i]:
 * grads[i] gets a tensor of xs[i]'s shape in the arena. An input that y
 * does not depend on (or that is a constant) gets zeros. With create_graph
 * the gradients are graph tensors that can be differentiated again; without
 * it they are constants and no graph is recorded. The graph of y stays
 * valid, so tensor_grad may be called again on the same y.
 * Returns 0, or a negative ERR_* (bad shapes, arena full).
 */
int tensor_grad(struct tensor_arena *ar, struct tensor *y,
                struct tensor *const *xs, int n, int create_graph,
                struct tensor **grads);

/* 1 when t requires a gradient (has a graph node). */
int tensor_requires_grad(const struct tensor *t);

#endif
