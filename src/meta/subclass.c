#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "fewflow/err.h"
#include "fewflow/metatrain.h"
#include "fewflow/rng.h"

#define KMEANS_ITERS 15

/* k-means++: each next centre drawn with probability ∝ squared distance
 * to the nearest centre so far (Arthur and Vassilvitskii, 2007). */
static void kmeans_seed(const struct table *t, const size_t *rows, size_t n,
                        size_t k, struct rng *rng, float *centres,
                        double *near)
{
    size_t d = t->n_cols;

    memcpy(centres, table_row(t, rows[rng_below(rng, n)]), d * sizeof(float));
    for (size_t i = 0; i < n; i++)
        near[i] = vec_sqdist_d(table_row(t, rows[i]), centres, d);
    for (size_t c = 1; c < k; c++) {
        double total = 0.0, pick;
        size_t at = 0;

        for (size_t i = 0; i < n; i++)
            total += near[i];
        pick = (double)rng_uniform(rng) * total;
        for (; at + 1 < n && pick > near[at]; at++)
            pick -= near[at];
        memcpy(centres + c * d, table_row(t, rows[at]), d * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            double dd = vec_sqdist_d(table_row(t, rows[i]), centres + c * d, d);

            near[i] = dd < near[i] ? dd : near[i];
        }
    }
}

static void kmeans_assign(const struct table *t, const size_t *rows,
                          size_t n, size_t k, const float *centres,
                          size_t *label)
{
    for (size_t i = 0; i < n; i++) {
        double best = DBL_MAX;

        for (size_t c = 0; c < k; c++) {
            double dd = vec_sqdist_d(table_row(t, rows[i]), centres +
                                 c * t->n_cols, t->n_cols);

            if (dd < best) {
                best = dd;
                label[i] = c;
            }
        }
    }
}

static void kmeans_update(const struct table *t, const size_t *rows,
                          size_t n, size_t k, const size_t *label,
                          float *centres, double *acc, size_t *count)
{
    size_t d = t->n_cols;

    memset(acc, 0, k * d * sizeof(double));
    memset(count, 0, k * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        count[label[i]]++;
        for (size_t j = 0; j < d; j++)
            acc[label[i] * d + j] += table_row(t, rows[i])[j];
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d && count[c]; j++)
            centres[c * d + j] = (float)(acc[c * d + j] / (double)count[c]);
}

struct km_work {
    size_t *rows, *label, *count;
    float *centres;
    double *near, *acc;
};

/* Clusters one class's rows and appends them, relabelled, to out. */
static int split_class(const struct table *t, int32_t cls, size_t k,
                       size_t min_rows, struct rng *rng, struct km_work *w,
                       struct table *out)
{
    size_t n = 0;
    char name[512];
    int rc = 0;

    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->y[i] == cls)
            w->rows[n++] = i;
    }
    if (n == 0)
        return 0;
    k = k < n ? k : n;
    kmeans_seed(t, w->rows, n, k, rng, w->centres, w->near);
    for (int it = 0; it < KMEANS_ITERS; it++) {
        kmeans_assign(t, w->rows, n, k, w->centres, w->label);
        kmeans_update(t, w->rows, n, k, w->label, w->centres, w->acc,
                      w->count);
    }
    kmeans_assign(t, w->rows, n, k, w->centres, w->label);
    kmeans_update(t, w->rows, n, k, w->label, w->centres, w->acc, w->count);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (w->count[w->label[i]] < min_rows)
            continue;
        snprintf(name, sizeof(name), "%s#%zu", t->class_names[cls],
                 w->label[i]);
        rc = table_append(out, table_row(t, w->rows[i]), name);
    }
    return rc;
}

struct table *meta_table_subclasses(const struct table *t, size_t k,
                                    size_t min_rows, uint64_t seed)
{
    struct table *out;
    struct km_work w;
    struct rng rng;
    int rc = 0;

    if (k < 1 || k > 1000) {
        err_set(ERR_INVALID, "sub-classes: k must be 1..1000");
        return NULL;
    }
    out = table_create(t->n_cols, (const char *const *)t->col_names);
    w.rows = malloc((t->n_rows + 1) * sizeof(size_t));
    w.label = malloc((t->n_rows + 1) * sizeof(size_t));
    w.count = malloc(k * sizeof(size_t));
    w.centres = malloc(k * t->n_cols * sizeof(float) + 1);
    w.near = malloc((t->n_rows + 1) * sizeof(double));
    w.acc = malloc(k * t->n_cols * sizeof(double) + 1);
    if (!out || !w.rows || !w.label || !w.count || !w.centres || !w.near ||
        !w.acc)
        rc = err_set(ERR_NOMEM, "sub-classes: out of memory");
    rng_seed(&rng, seed ^ 0xc1a55ULL);
    for (size_t c = 0; c < t->n_classes && rc == 0; c++)
        rc = split_class(t, (int32_t)c, k, min_rows, &rng, &w, out);
    free(w.rows);
    free(w.label);
    free(w.count);
    free(w.centres);
    free(w.near);
    free(w.acc);
    if (rc != 0) {
        table_destroy(out);
        return NULL;
    }
    return out;
}
