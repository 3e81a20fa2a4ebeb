#include <stdlib.h>
#include <string.h>

#include "data/bigbuf.h"
#include "data/dups.h"
#include "data/hash.h"
#include "fewflow/data.h"
#include "fewflow/err.h"

struct slot {
    uint64_t hash;
    size_t row;           /* row index + 1; 0 = empty */
};

static int same_row(const struct table *t, size_t i, size_t j)
{
    if (t == NULL)
        return 1;
    return memcmp(table_row(t, i), table_row(t, j),
                  t->n_cols * sizeof(float)) == 0;
}

static uint64_t row_hash(const uint64_t *hashes, size_t stride,
                         const struct table *t, size_t i)
{
    if (hashes != NULL)
        return hashes[i * stride];
    return fmix64(hash_bytes(HASH_SEED, table_row(t, i),
                               t->n_cols * sizeof(float)));
}

int dups_count(const uint64_t *hashes, size_t stride, size_t n,
               const struct table *t, struct bigbuf *scratch,
               uint64_t *dups, uint64_t *conflicts)
{
    struct bigbuf own = { 0 };
    struct bigbuf *buf = scratch != NULL ? scratch : &own;
    size_t cap = 64;
    uint64_t n_conf = 0;

    *dups = 0;
    while (cap < 2 * n)
        cap *= 2;
    if (bigbuf_reserve(buf, cap * sizeof(struct slot)) != 0)
        return err_set(ERR_NOMEM, "out of memory counting duplicates");
    struct slot *slots = buf->p;
    memset(slots, 0, cap * sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        uint64_t h = row_hash(hashes, stride, t, i);
        size_t k = (size_t)h & (cap - 1);
        for (; slots[k].row != 0; k = (k + 1) & (cap - 1)) {
            if (slots[k].hash == h && same_row(t, slots[k].row - 1, i))
                break;
        }
        if (slots[k].row == 0) {
            slots[k].hash = h;
            slots[k].row = i + 1;
            continue;
        }
        (*dups)++;
        n_conf += t != NULL && t->y[slots[k].row - 1] != t->y[i];
    }
    bigbuf_free(&own);
    if (conflicts != NULL)
        *conflicts = n_conf;
    return 0;
}

uint64_t data_table_duplicates(const struct table *t, uint64_t *conflicts)
{
    uint64_t dups = 0;

    if (dups_count(NULL, 1, t->n_rows, t, NULL, &dups, conflicts) != 0)
        return 0;
    return dups;
}
