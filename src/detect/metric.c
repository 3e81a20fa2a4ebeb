#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/detect.h"
#include "fewflow/err.h"

/*
 * The diagonal metric of enrolled classes (detect.h, enum memo_metric).
 * Embedding dimensions along which the known classes' own rows spread
 * widely say little about which class a row belongs to; weighing each
 * dimension by the inverse of that spread lets two new classes that
 * differ along quiet dimensions come apart.
 */

float memo_wsqdist(const float *a, const float *b, const float *w,
                   uint32_t dim)
{
    float s = 0;
    for (uint32_t j = 0; j < dim; j++) {
        float t = a[j] - b[j];
        s += (w ? w[j] : 1.0f) * t * t;
    }
    return s;
}

/* Adds the per-dimension variance (divisor n - 1) of n rows to acc. */
static void add_variance(const float *rows, size_t n, uint32_t d,
                         double *mean, double *acc)
{
    memset(mean, 0, d * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < d; j++)
            mean[j] += rows[i * d + j] / (double)n;
    }
    for (uint32_t j = 0; j < d; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            double t = rows[i * d + j] - mean[j];
            s += t * t;
        }
        acc[j] += s / (double)(n - 1);
    }
}

/* Copies the rows of class c; the count. */
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

static size_t pooled_variance(const struct memo_labelled *calib,
                              const int *is_benign, size_t n_names,
                              uint32_t d, float *rows, double *mean,
                              double *acc)
{
    size_t used = 0;
    for (size_t c = 0; c < n_names; c++) {
        size_t n = is_benign[c] ? 0 : class_rows(calib, (int32_t)c, d, rows);
        if (n >= 2) {
            add_variance(rows, n, d, mean, acc);
            used++;
        }
    }
    return used;
}

int memo_metric_fit(struct memo *m, const struct memo_labelled *calib,
                    const int *is_benign, size_t n_names,
                    enum memo_metric mode)
{
    uint32_t d = m->dim;
    free(m->metric_var);
    m->metric_var = NULL;
    m->metric = MEMO_METRIC_NONE;
    if (mode == MEMO_METRIC_NONE || calib == NULL || calib->n == 0)
        return 0;
    float *rows = malloc(calib->n * d * sizeof(float));
    double *mean = malloc(d * sizeof(double));
    double *acc = calloc(d, sizeof(double));
    float *v = malloc(d * sizeof(float));
    int rc = rows && mean && acc && v ? 0 : ERR_NOMEM;
    size_t used = rc ? 0 : pooled_variance(calib, is_benign, n_names, d,
                                           rows, mean, acc);
    for (uint32_t j = 0; used > 0 && j < d; j++)
        v[j] = (float)(acc[j] / (double)used);
    if (used > 0) {
        m->metric_var = v;
        m->metric = (uint32_t)mode;
        v = NULL;
    }
    free(rows);
    free(mean);
    free(acc);
    free(v);
    return rc;
}

/* w_j = 1 / (v_j + eps), scaled to a geometric mean of 1. */
static void weights_from(const float *v, float eps, uint32_t d, float *w)
{
    double logsum = 0;
    for (uint32_t j = 0; j < d; j++) {
        w[j] = 1.0f / (v[j] + eps);
        logsum += log((double)w[j]);
    }
    float g = (float)exp(logsum / (double)d);
    for (uint32_t j = 0; j < d; j++)
        w[j] /= g;
}

/* The class's shrunk variance into w (used as scratch for v). */
static void shrunk_variance(const struct memo *m, const float *z, size_t k,
                            float *v)
{
    uint32_t d = m->dim;
    float lambda = (float)k / (float)(k + 1);
    for (uint32_t j = 0; j < d; j++) {
        double mu = 0, s = 0;
        for (size_t i = 0; i < k; i++)
            mu += z[i * d + j] / (double)k;
        for (size_t i = 0; i < k; i++)
            s += (z[i * d + j] - mu) * (z[i * d + j] - mu);
        float s2 = (float)(s / (double)(k - 1));
        v[j] = lambda * s2 + (1 - lambda) * m->metric_var[j];
    }
}

int memo_metric_weights(const struct memo *m, const float *z, size_t k,
                        float *w)
{
    uint32_t d = m->dim;
    if (m->metric == MEMO_METRIC_NONE || m->metric_var == NULL)
        return 1;
    double mean = 0;
    for (uint32_t j = 0; j < d; j++)
        mean += m->metric_var[j] / (double)d;
    float eps = (float)(1e-3 * mean) + 1e-12f;
    if (m->metric == MEMO_METRIC_SHRUNK && z != NULL && k >= 2) {
        shrunk_variance(m, z, k, w);
        weights_from(w, eps, d, w);
    } else {
        weights_from(m->metric_var, eps, d, w);
    }
    return 0;
}

int memo_class_set_metric(struct memo *m, size_t c, const float *w)
{
    struct memo_class *cl = &m->cls[c];
    float *copy = NULL;
    if (w != NULL) {
        copy = malloc(m->dim * sizeof(float));
        if (copy == NULL)
            return ERR_NOMEM;
        memcpy(copy, w, m->dim * sizeof(float));
    }
    free(cl->w);
    cl->w = copy;
    return 0;
}

/* ---- the input check (detect.h, memo_xcheck_one) ---- */

void memo_xcheck_one(const struct memo *m, size_t c, const float *x,
                     struct memo_eval *ev)
{
    const struct memo_class *cl = &m->cls[c];
    if (cl->xs == NULL || x == NULL)
        return;
    float best = INFINITY;
    for (uint32_t i = 0; i < cl->n_xs; i++) {
        float s = memo_wsqdist(x, cl->xs + (size_t)i * m->n_in, NULL,
                               m->n_in);
        best = s < best ? s : best;
    }
    float d = sqrtf(best);
    float r = cl->x_radius > 0 ? d / cl->x_radius : d > 0 ? INFINITY : 0;
    if (r > ev->ratio)
        ev->ratio = r;
}

void memo_xcheck(const struct memo *m, const float *x, struct memo_eval *ev)
{
    for (size_t c = 0; x != NULL && c < m->n_classes; c++)
        memo_xcheck_one(m, c, x, &ev[c]);
}
