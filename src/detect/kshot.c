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
 * support flow under weights w (0 for fewer than two flows). */
float memo_support_spread(const float *z, size_t k, uint32_t d,
                          const float *w)
{
    float nn[MEMO_ENROLL_CALIBRATE];
    if (k < 2 || k > MEMO_ENROLL_CALIBRATE)
        return 0;
    for (size_t i = 0; i < k; i++) {
        float best = INFINITY;
        for (size_t j = 0; j < k; j++) {
            float s = j == i ? INFINITY
                             : memo_wsqdist(z + i * d, z + j * d, w, d);
            best = s < best ? s : best;
        }
        nn[i] = sqrtf(best);
    }
    return 2 * memo_quantile(nn, k, 0.5f);
}

struct kshot_buf {
    const struct memo *m;     /* its metric applies; NULL: Euclidean */
    uint32_t d;               /* row width */
    int *idx;
    float *dist, *zs, *w;
};

/* One draw: the coverage quantile of the other rows' distance to the
 * nearest of the first k rows of idx, and the support's own spread, both
 * in the metric a class enrolled from those k rows would have. */
static float draw_quantile(const float *rows, const int *idx, size_t n,
                           size_t k, float coverage, struct kshot_buf *b,
                           float *spread)
{
    uint32_t d = b->d;
    size_t nq = n - k < KSHOT_QUERIES ? n - k : KSHOT_QUERIES;
    for (size_t s = 0; s < k; s++)
        memcpy(b->zs + s * d, rows + (size_t)idx[s] * d, d * sizeof(float));
    const float *w = b->m == NULL ||
                     memo_metric_weights(b->m, b->zs, k, b->w) ? NULL
                                                                : b->w;
    for (size_t i = 0; i < nq; i++) {
        const float *q = rows + (size_t)idx[k + i] * d;
        float best = INFINITY;
        for (size_t s = 0; s < k; s++) {
            float v = memo_wsqdist(q, b->zs + s * d, w, d);
            best = v < best ? v : best;
        }
        b->dist[i] = sqrtf(best);
    }
    *spread = memo_support_spread(b->zs, k, d, w);
    return memo_quantile(b->dist, nq, coverage);
}

/* Mean over draws of class rows' K-shot quantile (abs) and of that
 * quantile over the support's spread (rel, 0 when k < 2). */
static void class_kshot(const float *rows, size_t n, size_t k,
                        float coverage, struct rng *g, struct kshot_buf *b,
                        float *abs_q, float *rel_q)
{
    double sa = 0, sr = 0;
    size_t nr = 0;
    for (int t = 0; t < KSHOT_DRAWS; t++) {
        float spread = 0;
        rng_shuffle_int(g, b->idx, n);
        float q = draw_quantile(rows, b->idx, n, k, coverage, b, &spread);
        sa += q;
        if (spread > 0) {
            sr += q / spread;
            nr++;
        }
    }
    *abs_q = (float)(sa / KSHOT_DRAWS);
    *rel_q = nr ? (float)(sr / (double)nr) : 0;
}

/* Rows of class c (its held-out rows) copied out of v (n × d); the
 * count. */
static size_t class_rows(const struct memo_labelled *s, const float *v,
                         int32_t c, uint32_t d, float *out)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->y[i] == c)
            memcpy(out + k++ * d, v + i * d, d * sizeof(float));
    }
    return k;
}

/* Per-class figures for every K into a (n_names × MEMO_ENROLL_CALIBRATE)
 * and r; classes that are benign or too small stay 0. */
static int measure_classes(const struct memo *m, const float *v,
                           uint32_t d, const struct memo_labelled *calib,
                           const int *is_benign, size_t n_names,
                           float coverage, uint64_t seed, float *a,
                           float *r)
{
    struct kshot_buf b;
    float *rows = malloc((calib->n + 1) * d * sizeof(float));
    b.idx = malloc((calib->n + 1) * sizeof(int));
    b.dist = malloc((KSHOT_QUERIES + 1) * sizeof(float));
    b.zs = malloc(MEMO_ENROLL_CALIBRATE * d * sizeof(float));
    b.w = malloc(d * sizeof(float));
    b.m = m;
    b.d = d;
    int rc = rows && b.idx && b.dist && b.zs && b.w ? 0 : ERR_NOMEM;
    for (size_t c = 0; rc == 0 && c < n_names; c++) {
        size_t n = is_benign[c] ? 0 : class_rows(calib, v, (int32_t)c, d,
                                                 rows);
        struct rng g;
        rng_seed(&g, seed * 6151u + c);
        for (size_t i = 0; i < n; i++)
            b.idx[i] = (int)i;
        for (size_t k = 1; k < MEMO_ENROLL_CALIBRATE; k++) {
            size_t at = c * MEMO_ENROLL_CALIBRATE + k;
            if (n >= k + KSHOT_MIN_ROWS)
                class_kshot(rows, n, k, coverage, &g, &b,
                            &a[at], &r[at]);
        }
    }
    free(rows);
    free(b.idx);
    free(b.dist);
    free(b.zs);
    free(b.w);
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

/* The figures of rows v (n × d) into fa / fr; metric of m unless NULL. */
static int kshot_figures(const struct memo *m, const float *v, uint32_t d,
                         const struct memo_labelled *calib,
                         const int *is_benign, size_t n_names,
                         float coverage, uint64_t seed, float *fa,
                         float *fr)
{
    size_t cells = n_names * MEMO_ENROLL_CALIBRATE + 1;
    float *a = calloc(cells, sizeof(float));
    float *r = calloc(cells, sizeof(float));
    float *tmp = malloc((n_names + 1) * sizeof(float));
    int rc = a && r && tmp ? 0 : ERR_NOMEM;

    memset(fa, 0, MEMO_ENROLL_CALIBRATE * sizeof(float));
    memset(fr, 0, MEMO_ENROLL_CALIBRATE * sizeof(float));
    if (rc == 0 && calib != NULL && v != NULL)
        rc = measure_classes(m, v, d, calib, is_benign, n_names, coverage,
                             seed, a, r);
    for (size_t k = 1; rc == 0 && k < MEMO_ENROLL_CALIBRATE; k++) {
        fa[k] = median_over(a, n_names, k, tmp);
        fr[k] = median_over(r, n_names, k, tmp);
    }
    free(a);
    free(r);
    free(tmp);
    return rc;
}

int memo_kshot_fit(struct memo *m, const struct memo_labelled *calib,
                   const int *is_benign, size_t n_names, float coverage,
                   uint64_t seed)
{
    return kshot_figures(m, calib ? calib->z : NULL, m->dim, calib,
                         is_benign, n_names, coverage, seed, m->kshot_abs,
                         m->kshot_rel);
}

int memo_xkshot_fit(struct memo *m, const struct memo_labelled *calib,
                    const float *x, const int *is_benign, size_t n_names,
                    float coverage, uint64_t seed)
{
    m->xcheck = 0;
    if (calib == NULL || x == NULL || m->n_in == 0)
        return 0;
    int rc = kshot_figures(NULL, x, m->n_in, calib, is_benign,
                           n_names, coverage, seed, m->xkshot_abs,
                           m->xkshot_rel);
    m->xcheck = rc == 0 && m->xkshot_abs[1] > 0;
    return rc;
}
