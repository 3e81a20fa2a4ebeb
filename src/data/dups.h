/*
 * Internal: counting duplicate rows from per-row 64-bit hashes.
 */
#ifndef FEWFLOW_DATA_DUPS_H
#define FEWFLOW_DATA_DUPS_H

#include <stddef.h>
#include <stdint.h>

#include "data/bigbuf.h"
#include "fewflow/table.h"

/*
 * Counts rows whose hash (hashes[i * stride]) equals an earlier row's.
 * With t given, a hash match counts only when the table rows are equal
 * bytewise (exact); without it the count rests on the hash alone (a
 * 64-bit hash over n rows collides with probability about n^2 / 2^65).
 * hashes may be NULL with t given: rows are then hashed here. *conflicts
 * (may be NULL) gets how many duplicates carry another label than the
 * row they repeat. scratch (may be NULL) is working memory that can be
 * reused across calls. 0 or ERR_NOMEM.
 */
int dups_count(const uint64_t *hashes, size_t stride, size_t n,
               const struct table *t, struct bigbuf *scratch,
               uint64_t *dups, uint64_t *conflicts);

#endif
