/* mremap is a GNU/Linux call. */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "data/bigbuf.h"
#include "fewflow/err.h"

#define HUGE_BYTES ((size_t)2 << 20)
#define FIRST_BYTES ((size_t)4 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define BIGBUF_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIGBUF_MALLOC 1
#endif
#endif
#if !defined(BIGBUF_MALLOC) && !defined(MREMAP_MAYMOVE)
#define BIGBUF_MALLOC 1
#endif

#ifdef BIGBUF_MALLOC
static void *block_grow(void *p, size_t old, size_t cap)
{
    (void)old;
    return realloc(p, cap);
}

static void block_free(void *p, size_t cap)
{
    (void)cap;
    free(p);
}
#else
static void *block_grow(void *p, size_t old, size_t cap)
{
    void *q = p == NULL
              ? mmap(NULL, cap, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
              : mremap(p, old, cap, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        return NULL;
    /* The advice covers the whole mapping: a part would split it, and
     * mremap cannot move a range that spans several mappings. */
    madvise(q, cap, MADV_HUGEPAGE);
    return q;
}

static void block_free(void *p, size_t cap)
{
    if (p != NULL)
        munmap(p, cap);
}
#endif

int bigbuf_reserve(struct bigbuf *b, size_t bytes)
{
    if (bytes <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : FIRST_BYTES;
    while (cap < bytes) {
        if (cap > SIZE_MAX / 2)
            return err_set(ERR_NOMEM, "out of memory");
        cap *= 2;
    }
    void *p = block_grow(b->p, b->cap, cap);
    if (p == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    b->p = p;
    b->cap = cap;
    return 0;
}

size_t bigbuf_drop(struct bigbuf *b, size_t from, size_t to)
{
#ifndef BIGBUF_MALLOC
    uintptr_t base = (uintptr_t)b->p, mask = HUGE_BYTES - 1;
    uintptr_t start = (base + from + mask) & ~mask;
    uintptr_t end = (base + (to < b->cap ? to : b->cap)) & ~mask;
    if (end > start && madvise((void *)start, end - start,
                               MADV_DONTNEED) == 0)
        return end - base;
#else
    (void)b;
    (void)to;
#endif
    return from;
}

void bigbuf_free(struct bigbuf *b)
{
    block_free(b->p, b->cap);
    b->p = NULL;
    b->cap = 0;
}

void bigbuf_advise(void *p, size_t bytes)
{
    uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);

    if (bytes >= 2 * HUGE_BYTES && end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
}
