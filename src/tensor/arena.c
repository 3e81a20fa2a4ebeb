#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/tensor_impl.h"

enum {
    ARENA_ALIGN = 64,
    ARENA_MIN_BLOCK = 1 << 20,
};

struct tensor_arena *tensor_arena_create(size_t max_bytes)
{
    struct tensor_arena *ar = calloc(1, sizeof(*ar));

    if (!ar) {
        err_set(ERR_NOMEM, "tensor arena: out of memory");
        return NULL;
    }
    ar->max_bytes = max_bytes;
    ar->grad_enabled = 1;
    return ar;
}

static void free_blocks(struct tensor_arena *ar)
{
    for (size_t i = 0; i < ar->n_blocks; i++)
        free(ar->blocks[i].mem);
    ar->n_blocks = 0;
    ar->capacity = 0;
}

void tensor_arena_destroy(struct tensor_arena *ar)
{
    if (!ar)
        return;
    free_blocks(ar);
    free(ar->blocks);
    free(ar);
}

static int add_block(struct tensor_arena *ar, size_t size)
{
    if (ar->max_bytes && ar->capacity + size > ar->max_bytes)
        return ERR_NOMEM;
    if (ar->n_blocks == ar->cap_blocks) {
        size_t cap = ar->cap_blocks ? 2 * ar->cap_blocks : 8;
        void *p = realloc(ar->blocks, cap * sizeof(*ar->blocks));
        if (!p)
            return ERR_NOMEM;
        ar->blocks = p;
        ar->cap_blocks = cap;
    }
    char *mem = aligned_alloc(ARENA_ALIGN, size);
    if (!mem)
        return ERR_NOMEM;
    ar->blocks[ar->n_blocks++] = (struct arena_block){ mem, size };
    ar->capacity += size;
    return 0;
}

/*
 * A step that needed several blocks gets one block of their total size at
 * the next reset, so later steps allocate nothing and never straddle blocks.
 */
void tensor_arena_reset(struct tensor_arena *ar)
{
    if (ar->n_blocks > 1) {
        size_t total = ar->capacity;
        free_blocks(ar);
        if (add_block(ar, total) != 0)
            ar->n_blocks = 0;
    }
    ar->cur = 0;
    ar->off = 0;
    ar->used = 0;
    ar->status = 0;
    ar->grad_enabled = 1;
    ar->seq = 0;
    ar->pool = NULL;
}

int tensor_arena_status(const struct tensor_arena *ar)
{
    return ar->status;
}

size_t tensor_arena_used(const struct tensor_arena *ar)
{
    return ar->used;
}

size_t tensor_arena_high_water(const struct tensor_arena *ar)
{
    return ar->high_water;
}

size_t tensor_arena_capacity(const struct tensor_arena *ar)
{
    return ar->capacity;
}

struct tensor_mark tensor_arena_mark(const struct tensor_arena *ar)
{
    return (struct tensor_mark){ ar->cur, ar->off, ar->used, ar->seq };
}

void tensor_arena_rewind(struct tensor_arena *ar, struct tensor_mark m)
{
    ar->cur = m.block;
    ar->off = m.offset;
    ar->used = m.used;
    ar->seq = m.seq;
}

void arena_set_error(struct tensor_arena *ar, int code)
{
    if (!ar->status)
        ar->status = code;
}

struct tensor *tensor_fail(struct tensor_arena *ar, int code,
                           const char *fmt, ...)
{
    if (!ar->status) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        err_set(code, "tensor: %s", msg);
        ar->status = code;
    }
    return NULL;
}

struct tensor *tensor_null(struct tensor_arena *ar)
{
    return tensor_fail(ar, ERR_INVALID, "NULL operand");
}

static size_t round_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* Moves the allocation point to a later block with room for n bytes,
 * making one when none fits. */
static int next_block(struct tensor_arena *ar, size_t n)
{
    for (size_t b = ar->cur + 1; b < ar->n_blocks; b++) {
        if (ar->blocks[b].size >= n) {
            ar->cur = b;
            ar->off = 0;
            return 0;
        }
    }
    size_t size = ar->capacity > ARENA_MIN_BLOCK ? ar->capacity
                                                 : ARENA_MIN_BLOCK;
    if (size < n)
        size = n;
    if (ar->max_bytes && ar->capacity + size > ar->max_bytes)
        size = n;
    int rc = add_block(ar, size);
    if (rc)
        return rc;
    ar->cur = ar->n_blocks - 1;
    ar->off = 0;
    return 0;
}

void *tensor_arena_alloc(struct tensor_arena *ar, size_t n)
{
    n = round_up(n ? n : 1);
    int fits = ar->n_blocks > 0 && ar->off + n <= ar->blocks[ar->cur].size;
    if (!fits && next_block(ar, n) != 0) {
        tensor_fail(ar, ERR_NOMEM, "arena full (%zu bytes held)",
                    ar->capacity);
        return NULL;
    }
    void *p = ar->blocks[ar->cur].mem + ar->off;
    ar->off += n;
    ar->used += n;
    if (ar->used > ar->high_water)
        ar->high_water = ar->used;
    return p;
}

int tensor_arena_set_grad_enabled(struct tensor_arena *ar, int enabled)
{
    int old = ar->grad_enabled;

    ar->grad_enabled = enabled != 0;
    return old;
}

int *arena_copy_ints(struct tensor_arena *ar, const int *idx, int n)
{
    int *p = tensor_arena_alloc(ar, (size_t)n * sizeof(int));

    if (p && n > 0)
        memcpy(p, idx, (size_t)n * sizeof(int));
    return p;
}
