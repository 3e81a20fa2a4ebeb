#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

#define KMEANS_ITERS 25

static void row_mean(const float *z, size_t n, uint32_t d, float *out)
{
    for (uint32_t j = 0; j < d; j++) {
        double acc = 0;
        for (size_t i = 0; i < n; i++)
            acc += z[i * d + j];
        out[j] = (float)(acc / (double)n);
    }
}

/* Picks the next centre with probability proportional to the squared
 * distance to the nearest chosen one (k-means++, Arthur and Vassilvitskii
 * 2007); returns -1 when every row already coincides with a centre. */
static long pick_next(const float *best, size_t n, struct rng *r)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += best[i];
    if (total <= 0)
        return -1;
    double u = rng_uniform(r) * total, acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += best[i];
        if (acc > u && best[i] > 0)
            return (long)i;
    }
    for (size_t i = n; i-- > 0;) {
        if (best[i] > 0)
            return (long)i;
    }
    return -1;
}

static uint32_t seed_centres(const float *z, size_t n, uint32_t d,
                             uint32_t k, struct rng *r, float *c, float *best)
{
    uint32_t made = 1;
    memcpy(c, z + rng_below(r, n) * d, d * sizeof(float));
    for (size_t i = 0; i < n; i++)
        best[i] = vec_sqdist(z + i * d, c, d);
    while (made < k) {
        long pick = pick_next(best, n, r);
        if (pick < 0)
            break;
        float *next = c + (size_t)made * d;
        memcpy(next, z + (size_t)pick * d, d * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            float s = vec_sqdist(z + i * d, next, d);
            if (s < best[i])
                best[i] = s;
        }
        made++;
    }
    return made;
}

static uint32_t nearest(const float *x, const float *c, uint32_t k,
                        uint32_t d)
{
    uint32_t arg = 0;
    float best = INFINITY;
    for (uint32_t j = 0; j < k; j++) {
        float s = vec_sqdist(x, c + (size_t)j * d, d);
        if (s < best) {
            best = s;
            arg = j;
        }
    }
    return arg;
}

/* One Lloyd step; returns how many rows changed cluster. A centre that
 * loses all its rows keeps its place. */
static size_t lloyd_step(const float *z, size_t n, uint32_t d, uint32_t k,
                         float *c, uint32_t *assign, double *acc,
                         size_t *count)
{
    size_t changed = 0;
    memset(acc, 0, (size_t)k * d * sizeof(double));
    memset(count, 0, k * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        uint32_t a = nearest(z + i * d, c, k, d);
        changed += a != assign[i];
        assign[i] = a;
        count[a]++;
        for (uint32_t j = 0; j < d; j++)
            acc[(size_t)a * d + j] += z[i * d + j];
    }
    for (uint32_t a = 0; a < k; a++) {
        for (uint32_t j = 0; count[a] && j < d; j++)
            c[(size_t)a * d + j] = (float)(acc[(size_t)a * d + j] /
                                           (double)count[a]);
    }
    return changed;
}

int memo_kmeans(const float *z, size_t n, uint32_t dim, uint32_t k,
                uint64_t seed, float *protos)
{
    if (n == 0 || k == 0)
        return err_set(ERR_INVALID, "k-means needs rows and k ≥ 1");
    if (k == 1 || n == 1) {
        row_mean(z, n, dim, protos);
        return 1;
    }
    struct rng r;
    float *best = malloc(n * sizeof(float));
    uint32_t *assign = malloc(n * sizeof(uint32_t));
    double *acc = malloc((size_t)k * dim * sizeof(double));
    size_t *count = malloc(k * sizeof(size_t));
    int made = ERR_NOMEM;

    if (best && assign && acc && count) {
        rng_seed(&r, seed);
        made = (int)seed_centres(z, n, dim, k, &r, protos, best);
        memset(assign, 0xff, n * sizeof(uint32_t));
        for (int it = 0; it < KMEANS_ITERS; it++) {
            if (lloyd_step(z, n, dim, (uint32_t)made, protos, assign, acc,
                           count) == 0)
                break;
        }
    } else {
        err_set(ERR_NOMEM, "k-means: out of memory");
    }
    free(best);
    free(assign);
    free(acc);
    free(count);
    return made;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

float memo_quantile(float *v, size_t n, float q)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(float), cmp_float);
    if (q <= 0)
        return v[0];
    if (q >= 1)
        return v[n - 1];
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo;
    if (lo + 1 >= n)
        return v[n - 1];
    return (float)(v[lo] + frac * (v[lo + 1] - v[lo]));
}
