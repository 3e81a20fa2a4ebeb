/*
 * Internal: a growable block for the loader's row stores (raw rows, row
 * hashes), which reach tens of MiB. Page faults, not copying, are then
 * the cost of filling them (on the 2-core VM first-touching 64 MiB took
 * 36-55 ms in 4 KiB pages and 10 ms in 2 MiB pages), so the block is one
 * anonymous mapping advised for transparent huge pages as a whole, and
 * grows by moving the mapping (mremap), never by copying its bytes.
 * Under AddressSanitizer it is plain malloc memory, so overflows stay
 * detectable.
 */
#ifndef FEWFLOW_DATA_BIGBUF_H
#define FEWFLOW_DATA_BIGBUF_H

#include <stddef.h>

struct bigbuf {
    void *p;              /* NULL until the first reserve */
    size_t cap;           /* usable bytes */
};

/* Room for at least `bytes` bytes, keeping the contents (capacity
 * doubles). 0, or ERR_NOMEM with b unchanged. */
int bigbuf_reserve(struct bigbuf *b, size_t bytes);

/* Returns the whole huge pages within bytes [from, to) of the block to
 * the kernel (their contents become zero). For handing memory back while
 * a block is consumed in order; returns where the next call for the same
 * stretch may start. Safe from several threads on disjoint ranges. */
size_t bigbuf_drop(struct bigbuf *b, size_t from, size_t to);

void bigbuf_free(struct bigbuf *b);

/* Asks for transparent huge pages over the whole pages inside a large
 * malloc'd block that nothing has touched yet. A hint only. */
void bigbuf_advise(void *p, size_t bytes);

#endif
