#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

/*
 * How far a class's rows lie from the nearest of K of its own flows, in
 * this embedding space, measured on the known attack classes by drawing
 * K-flow supports from their held-out rows: exactly the situation of a
 * class enrolled from K flows. A radius built from class-mean prototypes
 * (the known classes' own) is too tight for exemplars: a random member of
 * a class is farther from the other members than the class's centre is.
 */

#define KSHOT_DRAWS 8       /* support draws per class and K */
#define KSHOT_QUERIES 256   /* held-out rows measured per draw */
#define KSHOT_MIN_ROWS 16   /* held-out rows a class needs beyond K */

/* Twice the median distance from a support flow to its nearest other
 * support flow (0 for fewer than two flows). */
float memo_support_spread(const float *z, size_t k, uint32_t d)
{
    float nn[MEMO_ENROLL_CALIBRATE];
    if (k < 2 || k > MEMO_ENROLL_CALIBRATE)
        return 0;
    for (size_t i = 0; i < k; i++) {
        float best = INFINITY;
        for (size_t j = 0; j < k; j++) {
            float s = j == i ? INFINITY : vec_sqdist(z + i * d, z + j * d, d);
            best = s < best ? s : best;
        }
        nn[i] = sqrtf(best);
    }
    return 2 * memo_quantile(nn, k, 0.5f);
}

/* One draw: the coverage quantile of the other rows' distance to the
 * nearest of the first k rows of idx, and the support's own spread. */
static float draw_quantile(const float *rows, const int *idx, size_t n,
                           size_t k, uint32_t d, float coverage,
                           float *dist, float *zs, float *spread)
{
    size_t nq = n - k < KSHOT_QUERIES ? n - k : KSHOT_QUERIES;
    for (size_t s = 0; s < k; s++)
        memcpy(zs + s * d, rows + (size_t)idx[s] * d, d * sizeof(float));
    for (size_t i = 0; i < nq; i++) {
        const float *q = rows + (size_t)idx[k + i] * d;
        float best = INFINITY;
        for (size_t s = 0; s < k; s++) {
            float v = vec_sqdist(q, zs + s * d, d);
            best = v < best ? v : best;
        }
        dist[i] = sqrtf(best);
    }
    *spread = memo_support_spread(zs, k, d);
    return memo_quantile(dist, nq, coverage);
}

struct kshot_buf {
    int *idx;
    float *dist, *zs;
};

/* Mean over draws of class rows' K-shot quantile (abs) and of that
 * quantile over the support's spread (rel, 0 when k < 2). */
static void class_kshot(const float *rows, size_t n, size_t k, uint32_t d,
                        float coverage, struct rng *g, struct kshot_buf *b,
                        float *abs_q, float *rel_q)
{
    double sa = 0, sr = 0;
    size_t nr = 0;
    for (int t = 0; t < KSHOT_DRAWS; t++) {
        float spread = 0;
        rng_shuffle_int(g, b->idx, n);
        float q = draw_quantile(rows, b->idx, n, k, d, coverage, b->dist,
                                b->zs, &spread);
        sa += q;
        if (spread > 0) {
            sr += q / spread;
            nr++;
        }
    }
    *abs_q = (float)(sa / KSHOT_DRAWS);
    *rel_q = nr ? (float)(sr / (double)nr) : 0;
}

/* Rows of class c (its held-out rows) copied out; the count. */
static size_t class_rows(const struct memo_labelled *s, int32_t c,
                         uint32_t d, float *out)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->y[i] == c)
            memcpy(out + k++ * d, s->z + i * d, d * sizeof(float));
    }
    return k;
}

/* Per-class figures for every K into a (n_names × MEMO_ENROLL_CALIBRATE)
 * and r; classes that are benign or too small stay 0. */
static int measure_classes(const struct memo *m,
                           const struct memo_labelled *calib,
                           const int *is_benign, size_t n_names,
                           float coverage, uint64_t seed, float *a,
                           float *r)
{
    struct kshot_buf b;
    float *rows = malloc((calib->n + 1) * m->dim * sizeof(float));
    b.idx = malloc((calib->n + 1) * sizeof(int));
    b.dist = malloc((KSHOT_QUERIES + 1) * sizeof(float));
    b.zs = malloc(MEMO_ENROLL_CALIBRATE * m->dim * sizeof(float));
    int rc = rows && b.idx && b.dist && b.zs ? 0 : ERR_NOMEM;
    for (size_t c = 0; rc == 0 && c < n_names; c++) {
        size_t n = is_benign[c] ? 0 : class_rows(calib, (int32_t)c,
                                                 m->dim, rows);
        struct rng g;
        rng_seed(&g, seed * 6151u + c);
        for (size_t i = 0; i < n; i++)
            b.idx[i] = (int)i;
        for (size_t k = 1; k < MEMO_ENROLL_CALIBRATE; k++) {
            size_t at = c * MEMO_ENROLL_CALIBRATE + k;
            if (n >= k + KSHOT_MIN_ROWS)
                class_kshot(rows, n, k, m->dim, coverage, &g, &b,
                            &a[at], &r[at]);
        }
    }
    free(rows);
    free(b.idx);
    free(b.dist);
    free(b.zs);
    return rc;
}

/* The median over classes of the non-zero figures at one K. */
static float median_over(const float *v, size_t n_names, size_t k,
                         float *tmp)
{
    size_t n = 0;
    for (size_t c = 0; c < n_names; c++) {
        float x = v[c * MEMO_ENROLL_CALIBRATE + k];
        if (x > 0)
            tmp[n++] = x;
    }
    return n ? memo_quantile(tmp, n, 0.5f) : 0;
}

int memo_kshot_fit(struct memo *m, const struct memo_labelled *calib,
                   const int *is_benign, size_t n_names, float coverage,
                   uint64_t seed)
{
    size_t cells = n_names * MEMO_ENROLL_CALIBRATE + 1;
    float *a = calloc(cells, sizeof(float));
    float *r = calloc(cells, sizeof(float));
    float *tmp = malloc((n_names + 1) * sizeof(float));
    int rc = a && r && tmp ? 0 : ERR_NOMEM;

    memset(m->kshot_abs, 0, sizeof(m->kshot_abs));
    memset(m->kshot_rel, 0, sizeof(m->kshot_rel));
    if (rc == 0 && calib != NULL)
        rc = measure_classes(m, calib, is_benign, n_names, coverage, seed,
                             a, r);
    for (size_t k = 1; rc == 0 && k < MEMO_ENROLL_CALIBRATE; k++) {
        m->kshot_abs[k] = median_over(a, n_names, k, tmp);
        m->kshot_rel[k] = median_over(r, n_names, k, tmp);
    }
    free(a);
    free(r);
    free(tmp);
    return rc;
}
