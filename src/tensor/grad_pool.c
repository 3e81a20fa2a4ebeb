/*
 * Buffer reuse for a backward pass that records no graph.
 *
 * The arena is a bump allocator, so without help every gradient and every
 * temporary of a reverse pass stays allocated until the next reset, although
 * a node's gradient is dead once its backward rule has run. Over an unrolled
 * MAML inner loop that made the outer pass hold about twice the memory of
 * the graph it walks. The pool counts, for every data buffer handed out
 * during the pass, how many node gradients live in it (directly or through
 * a view); when a node is done, buffers that no gradient holds go on a free
 * list by exact size and the next result of that size takes one. Arithmetic
 * and memory layout of every tensor are unchanged, only addresses differ,
 * so gradients stay bit-identical.
 *
 * Every table is sized once from the node count; when one is full the pass
 * falls back to plain arena allocations, which are never reused (correct,
 * only less frugal).
 */
#include <stdint.h>
#include <string.h>

#include "tensor/tensor_impl.h"

enum { POOL_BUFS_PER_NODE = 4, POOL_MIN_BUFS = 64, POOL_SIZES = 64 };

struct pool_buf {
    float *data;
    size_t bytes;
    int refs;               /* node gradients living in the buffer */
    int next;               /* next free buffer of its size, or -1 */
    unsigned char is_free, is_pending;
};

struct pool_size {
    size_t bytes;
    int head;               /* first free buffer of this size, or -1 */
};

struct grad_pool {
    struct pool_buf *buf;
    int n_buf, cap_buf;
    int *slot;              /* open-addressing index of buf by data */
    size_t mask;
    struct pool_size size[POOL_SIZES];
    int n_size;
    int *pending;           /* touched since the last settle */
    int n_pending;
};

static size_t slot_of(const struct grad_pool *gp, const float *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p >> 6;

    return (size_t)(h * 0x9e3779b97f4a7c15ull >> 32) & gp->mask;
}

static void slot_insert(struct grad_pool *gp, int i)
{
    size_t s = slot_of(gp, gp->buf[i].data);

    while (gp->slot[s] >= 0)
        s = (s + 1) & gp->mask;
    gp->slot[s] = i;
}

/* The buffer holding p: by its start, else (a view into it) by range. */
static int buf_find(const struct grad_pool *gp, const float *p)
{
    for (size_t s = slot_of(gp, p); gp->slot[s] >= 0;
         s = (s + 1) & gp->mask) {
        if (gp->buf[gp->slot[s]].data == p)
            return gp->slot[s];
    }
    for (int i = 0; i < gp->n_buf; i++) {
        const struct pool_buf *b = &gp->buf[i];
        if ((const char *)p > (const char *)b->data &&
            (const char *)p < (const char *)b->data + b->bytes)
            return i;
    }
    return -1;
}

static struct pool_size *size_find(struct grad_pool *gp, size_t bytes,
                                   int may_add)
{
    for (int i = 0; i < gp->n_size; i++)
        if (gp->size[i].bytes == bytes)
            return &gp->size[i];
    if (!may_add || gp->n_size == POOL_SIZES)
        return NULL;
    gp->size[gp->n_size] = (struct pool_size){ bytes, -1 };
    return &gp->size[gp->n_size++];
}

static void pend(struct grad_pool *gp, int i)
{
    if (!gp->buf[i].is_pending) {
        gp->buf[i].is_pending = 1;
        gp->pending[gp->n_pending++] = i;
    }
}

int grad_pool_begin(struct tensor_arena *ar, size_t n_nodes)
{
    size_t cap = POOL_BUFS_PER_NODE * n_nodes + POOL_MIN_BUFS;
    size_t n_slot = 1;

    while (n_slot < 2 * cap)
        n_slot <<= 1;
    if (cap > INT32_MAX / 2)
        return 0;
    struct grad_pool *gp = tensor_arena_alloc(ar, sizeof(*gp));
    struct pool_buf *buf = tensor_arena_alloc(ar, cap * sizeof(*buf));
    int *slot = tensor_arena_alloc(ar, n_slot * sizeof(int));
    int *pending = tensor_arena_alloc(ar, cap * sizeof(int));
    if (!gp || !buf || !slot || !pending)
        return ar->status;
    *gp = (struct grad_pool){ .buf = buf, .cap_buf = (int)cap,
                              .slot = slot, .mask = n_slot - 1,
                              .pending = pending };
    memset(slot, 0xff, n_slot * sizeof(int));
    ar->pool = gp;
    return 0;
}

void grad_pool_end(struct tensor_arena *ar)
{
    ar->pool = NULL;
}

/* A free buffer of exactly this size, else a new one from the arena. */
float *grad_pool_take(struct tensor_arena *ar, size_t bytes)
{
    struct grad_pool *gp = ar->pool;
    struct pool_size *sz = size_find(gp, bytes, 0);

    if (sz && sz->head >= 0) {
        int i = sz->head;
        sz->head = gp->buf[i].next;
        gp->buf[i].is_free = 0;
        pend(gp, i);
        return gp->buf[i].data;
    }
    float *p = tensor_arena_alloc(ar, bytes);
    if (!p || gp->n_buf == gp->cap_buf)
        return p;
    int i = gp->n_buf++;
    gp->buf[i] = (struct pool_buf){ p, bytes, 0, -1, 0, 0 };
    slot_insert(gp, i);
    pend(gp, i);
    return p;
}

void grad_pool_hold(struct tensor_arena *ar, const struct tensor *t)
{
    int i = ar->pool && t ? buf_find(ar->pool, t->data) : -1;

    if (i >= 0)
        ar->pool->buf[i].refs++;
}

void grad_pool_drop(struct tensor_arena *ar, const struct tensor *t)
{
    int i = ar->pool && t ? buf_find(ar->pool, t->data) : -1;

    if (i >= 0 && --ar->pool->buf[i].refs == 0)
        pend(ar->pool, i);
}

/* Buffers touched since the last call that no gradient holds are free. */
void grad_pool_settle(struct tensor_arena *ar)
{
    struct grad_pool *gp = ar->pool;

    for (int k = 0; k < gp->n_pending; k++) {
        struct pool_buf *b = &gp->buf[gp->pending[k]];
        b->is_pending = 0;
        if (b->refs > 0 || b->is_free)
            continue;
        struct pool_size *sz = size_find(gp, b->bytes, 1);
        if (!sz)
            continue;
        b->next = sz->head;
        b->is_free = 1;
        sz->head = gp->pending[k];
    }
    gp->n_pending = 0;
}
