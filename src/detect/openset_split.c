#include <stdlib.h>

#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

/* A 64-bit mix of one value (SplitMix64's finaliser): each connection's
 * side depends on its first row's key and the seed alone. */
static uint64_t mix(uint64_t v)
{
    v += 0x9e3779b97f4a7c15ULL;
    v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
    v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
    return v ^ (v >> 31);
}

/* Keeps a seeded sample of cap context rows; the others become idle. */
static int cap_context(uint8_t *role, size_t n, size_t cap, uint64_t seed)
{
    size_t n_ctx = 0;
    for (size_t i = 0; i < n; i++)
        n_ctx += role[i] == OPENSET_ROLE_CONTEXT;
    if (n_ctx <= cap)
        return 0;
    int *idx = malloc(n_ctx * sizeof(int));
    struct rng g;
    if (idx == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    n_ctx = 0;
    for (size_t i = 0; i < n; i++) {
        if (role[i] == OPENSET_ROLE_CONTEXT)
            idx[n_ctx++] = (int)i;
    }
    rng_seed(&g, seed ^ 0xca9ULL);
    rng_shuffle_int(&g, idx, n_ctx);
    for (size_t k = cap; k < n_ctx; k++)
        role[idx[k]] = OPENSET_ROLE_IDLE;
    free(idx);
    return 0;
}

int openset_split(const int32_t *pred, const size_t *order,
                  const size_t *keys, size_t n, uint64_t seed, size_t cap,
                  uint8_t *role)
{
    uint64_t key = mix(seed ^ 0x5e3170c0417e47ULL);
    for (size_t i = 0; i < n; i++)
        role[i] = mix(key ^ (uint64_t)keys[i]) >> 63
                      ? OPENSET_ROLE_CONTEXT : OPENSET_ROLE_SCORED;
    for (size_t k = 0; pred != NULL && k < n; k++) {
        size_t i = order[k];
        if (pred[i] >= 0)
            role[i] = role[pred[i]];
    }
    return cap_context(role, n, cap, seed);
}
