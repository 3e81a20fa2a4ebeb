/*
 * Reverse-mode differentiation over the graph recorded by the operations.
 *
 * A depth-first walk from y finds the nodes that lie on a path from some
 * input to y (the "relevant" ones); nodes made before the earliest input
 * cannot depend on it and are not walked. Their post-order is a topological
 * order, so walking it backwards visits each node after all its consumers
 * and its gradient is complete when its backward rule runs.
 */
#include <stdint.h>
#include <string.h>

#include "tensor/tensor_impl.h"

struct frame {
    struct tensor *t;
    int next;            /* next source to visit */
};

struct walk {
    struct tensor **order;
    size_t n_order;
    struct frame *stack;
    uint32_t stamp;
    uint64_t min_seq;
};

static void visit(struct walk *w, size_t *sp, struct tensor *t)
{
    struct tensor_node *nd = t->node;

    nd->stamp = w->stamp;
    nd->relevant = 0;
    nd->owned = 0;
    nd->gacc = NULL;
    w->stack[(*sp)++] = (struct frame){ t, 0 };
}

static int is_relevant(const struct walk *w, const struct tensor_node *nd)
{
    if (nd->input_stamp == w->stamp)
        return 1;
    for (int k = 0; k < nd->n_src; k++) {
        const struct tensor *s = nd->src[k];
        if (s && s->node && s->node->stamp == w->stamp && s->node->relevant)
            return 1;
    }
    return 0;
}

static void walk_graph(struct walk *w, struct tensor *y)
{
    size_t sp = 0;

    visit(w, &sp, y);
    while (sp > 0) {
        struct frame *f = &w->stack[sp - 1];
        struct tensor_node *nd = f->t->node;
        if (nd->op && f->next < nd->n_src) {
            struct tensor *s = nd->src[f->next++];
            if (s && s->node && s->node->seq >= w->min_seq &&
                s->node->stamp != w->stamp)
                visit(w, &sp, s);
            continue;
        }
        nd->relevant = is_relevant(w, nd);
        if (nd->relevant)
            w->order[w->n_order++] = f->t;
        sp--;
    }
}

/* The source's gradient as a contiguous buffer this walk owns. */
static struct tensor *owned_grad(struct tensor_arena *ar,
                                 struct tensor *src)
{
    struct tensor_node *nd = src->node;

    struct tensor *old = nd->gacc;

    if (!old)
        nd->gacc = tensor_zeros(ar, src->rows, src->cols);
    else if (!nd->owned)
        nd->gacc = tensor_copy(ar, old);
    if (nd->gacc != old) {
        grad_pool_hold(ar, nd->gacc);
        grad_pool_drop(ar, old);
    }
    nd->owned = nd->gacc != NULL;
    return nd->gacc;
}

/* The create_graph = 0 shortcut for views: add straight into the source. */
static int accumulate_view(struct tensor_arena *ar, struct tensor *t)
{
    if (!node_wants(t, 0))
        return 0;
    struct tensor *acc = owned_grad(ar, t->node->src[0]);
    if (!acc)
        return ar->status;
    t->node->op->accumulate(acc, t, t->node->gacc);
    return 0;
}

static int accumulate(struct tensor_arena *ar, struct tensor_node *nd,
                      struct tensor *src, struct tensor *g, int create_graph)
{
    if (g->rows != src->rows || g->cols != src->cols) {
        tensor_fail(ar, ERR_STATE, "gradient %d x %d for a %d x %d tensor",
                    g->rows, g->cols, src->rows, src->cols);
        return ERR_STATE;
    }
    if (!nd->gacc) {
        nd->gacc = g;
        grad_pool_hold(ar, g);
        return 0;
    }
    if (create_graph) {
        nd->gacc = tensor_add(ar, nd->gacc, g);
        return nd->gacc ? 0 : ar->status;
    }
    if (!owned_grad(ar, src))
        return ar->status;
    tensor_acc_inplace(nd->gacc, g);
    return 0;
}

static int backprop_node(struct tensor_arena *ar, struct tensor *t,
                         int create_graph)
{
    struct tensor_node *nd = t->node;

    if (!create_graph && nd->op->accumulate)
        return accumulate_view(ar, t);
    struct tensor *gin[NODE_MAX_SRC] = { NULL };
    nd->op->backward(ar, t, nd->gacc, gin);
    if (ar->status)
        return ar->status;
    for (int k = 0; k < nd->n_src; k++) {
        if (!gin[k] || !node_wants(t, k))
            continue;
        struct tensor *s = nd->src[k];
        int rc = accumulate(ar, s->node, s, gin[k], create_graph);
        if (rc)
            return rc;
    }
    return 0;
}

/* A node's gradient is dead once its rule has run, unless it is asked for. */
static void release_node(struct tensor_arena *ar, const struct walk *w,
                         struct tensor_node *nd)
{
    if (nd->input_stamp != w->stamp) {
        grad_pool_drop(ar, nd->gacc);
        nd->gacc = NULL;
    }
    grad_pool_settle(ar);
}

static int run_backward(struct tensor_arena *ar, struct walk *w,
                        int create_graph)
{
    for (size_t i = w->n_order; i-- > 0;) {
        struct tensor *t = w->order[i];
        struct tensor_node *nd = t->node;
        if (!nd->op || !nd->gacc)
            continue;
        int rc = backprop_node(ar, t, create_graph);
        if (rc)
            return rc;
        if (ar->pool)
            release_node(ar, w, nd);
    }
    return 0;
}

static int start_walk(struct tensor_arena *ar, struct walk *w,
                      struct tensor *const *xs, int n)
{
    if (++ar->stamp == 0)
        ar->stamp = 1;
    w->stamp = ar->stamp;
    w->min_seq = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        if (xs[i] && xs[i]->node) {
            xs[i]->node->input_stamp = w->stamp;
            if (xs[i]->node->seq < w->min_seq)
                w->min_seq = xs[i]->node->seq;
        }
    }
    if (w->min_seq == UINT64_MAX)
        return 0;
    size_t cap = (size_t)(ar->seq - w->min_seq + 2);
    w->order = tensor_arena_alloc(ar, cap * sizeof(*w->order));
    w->stack = tensor_arena_alloc(ar, cap * sizeof(*w->stack));
    w->n_order = 0;
    return w->order && w->stack ? 1 : -1;
}

static int collect(struct tensor_arena *ar, const struct walk *w,
                   struct tensor *const *xs, int n, struct tensor **grads)
{
    for (int i = 0; i < n; i++) {
        struct tensor_node *nd = xs[i] ? xs[i]->node : NULL;
        if (nd && nd->stamp == w->stamp && nd->gacc)
            grads[i] = nd->gacc;
        else
            grads[i] = tensor_zeros(ar, xs[i]->rows, xs[i]->cols);
        if (!grads[i])
            return ar->status;
    }
    return 0;
}

/* Without create_graph the pass reuses dead gradient buffers (grad_pool.c),
 * so its memory is what is alive at once rather than all it ever made. */
static int backward_from(struct tensor_arena *ar, struct walk *w,
                         struct tensor *y, int create_graph)
{
    walk_graph(w, y);
    if (!create_graph && grad_pool_begin(ar, w->n_order) != 0)
        return ar->status;
    y->node->gacc = tensor_full(ar, 1, 1, 1.0f);
    grad_pool_hold(ar, y->node->gacc);
    int prev = tensor_arena_set_grad_enabled(ar, create_graph &&
                                                 ar->grad_enabled);
    int rc = y->node->gacc ? run_backward(ar, w, create_graph) : ar->status;
    tensor_arena_set_grad_enabled(ar, prev);
    grad_pool_end(ar);
    return rc;
}

int tensor_grad(struct tensor_arena *ar, struct tensor *y,
                struct tensor *const *xs, int n, int create_graph,
                struct tensor **grads)
{
    struct walk w = { 0 };

    for (int i = 0; i < n; i++)
        grads[i] = NULL;
    if (ar->status)
        return ar->status;
    if (!y || y->rows != 1 || y->cols != 1) {
        tensor_fail(ar, ERR_INVALID, "grad of a %d x %d tensor; need 1 x 1",
                    y ? y->rows : 0, y ? y->cols : 0);
        return ERR_INVALID;
    }
    for (int i = 0; i < n; i++) {
        if (!xs[i]) {
            tensor_fail(ar, ERR_INVALID, "grad input %d is NULL", i);
            return ERR_INVALID;
        }
    }
    int started = start_walk(ar, &w, xs, n);
    if (started < 0)
        return ar->status;
    if (started && y->node && y->node->seq >= w.min_seq) {
        int rc = backward_from(ar, &w, y, create_graph);
        if (rc)
            return rc;
    }
    return collect(ar, &w, xs, n, grads);
}
