#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "fewflow/err.h"
#include "fewflow/fewshot.h"

void fewshot_nn1(const float *xs, const int32_t *ys, size_t n_s,
                 const float *xq, size_t n_q, size_t d, int32_t *pred)
{
    for (size_t i = 0; i < n_q; i++) {
        double best = DBL_MAX;

        pred[i] = 0;
        for (size_t j = 0; j < n_s; j++) {
            double dist = vec_sqdist_d(xq + i * d, xs + j * d, d);

            if (dist < best) {
                best = dist;
                pred[i] = ys[j];
            }
        }
    }
}

int fewshot_ncm(const float *xs, const int32_t *ys, size_t n_s,
                const float *xq, size_t n_q, size_t d, size_t way,
                int32_t *pred)
{
    float *mean = calloc(way * d + 1, sizeof(float));
    size_t *count = calloc(way ? way : 1, sizeof(size_t));
    int32_t *lab = malloc((way ? way : 1) * sizeof(int32_t));

    if (!mean || !count || !lab) {
        free(mean);
        free(count);
        free(lab);
        return err_set(ERR_NOMEM, "few-shot: out of memory");
    }
    for (size_t j = 0; j < n_s; j++) {
        count[ys[j]]++;
        for (size_t k = 0; k < d; k++)
            mean[(size_t)ys[j] * d + k] += xs[j * d + k];
    }
    for (size_t c = 0; c < way; c++) {
        lab[c] = (int32_t)c;
        for (size_t k = 0; k < d && count[c]; k++)
            mean[c * d + k] /= (float)count[c];
    }
    fewshot_nn1(mean, lab, way, xq, n_q, d, pred);
    free(mean);
    free(count);
    free(lab);
    return 0;
}

void logreg_opts_default(struct logreg_opts *o)
{
    o->l2 = 1.0;
    o->max_iter = 300;
    o->tol = 1e-3;
}

/* Largest eigenvalue of X̃X̃ᵀ (X̃ = [X, 1]) by power iteration. */
static double gram_top_eigen(const float *xs, size_t n, size_t d)
{
    double *g = malloc(n * n * sizeof(double));
    double *v = malloc(n * sizeof(double)), *w = malloc(n * sizeof(double));
    double lambda = 0.0;

    if (!g || !v || !w) {
        lambda = -1.0;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = 1.0;

            for (size_t k = 0; k < d; k++)
                s += (double)xs[i * d + k] * (double)xs[j * d + k];
            g[i * n + j] = s;
        }
        v[i] = 1.0 + 0.01 * (double)i;
    }
    for (int it = 0; it < 50; it++) {
        double norm = 0.0;

        for (size_t i = 0; i < n; i++) {
            w[i] = 0.0;
            for (size_t j = 0; j < n; j++)
                w[i] += g[i * n + j] * v[j];
            norm += w[i] * w[i];
        }
        norm = sqrt(norm);
        if (norm == 0.0)
            break;
        lambda = norm;
        for (size_t i = 0; i < n; i++)
            v[i] = w[i] / norm;
    }
out:
    free(g);
    free(v);
    free(w);
    return lambda;
}

/* Scores of one row: w is way × (d + 1), the last column the bias. */
static void logreg_scores(const double *w, const float *x, size_t d,
                          size_t way, double *z)
{
    for (size_t c = 0; c < way; c++) {
        const double *wc = w + c * (d + 1);
        double s = wc[d];

        for (size_t k = 0; k < d; k++)
            s += wc[k] * (double)x[k];
        z[c] = s;
    }
}

/* Gradient of the penalised loss at w into g; returns its squared norm. */
static double logreg_grad(const double *w, const float *xs,
                          const int32_t *ys, size_t n, size_t d, size_t way,
                          double l2, double *g, double *z)
{
    size_t dd = d + 1;
    double norm = 0.0;

    for (size_t c = 0; c < way; c++) {
        for (size_t k = 0; k < d; k++)
            g[c * dd + k] = l2 * w[c * dd + k];
        g[c * dd + d] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const float *x = xs + i * d;

        logreg_scores(w, x, d, way, z);
        vec_softmax_d(z, way);
        z[ys[i]] -= 1.0;
        for (size_t c = 0; c < way; c++) {
            for (size_t k = 0; k < d; k++)
                g[c * dd + k] += z[c] * (double)x[k];
            g[c * dd + d] += z[c];
        }
    }
    for (size_t k = 0; k < way * dd; k++)
        norm += g[k] * g[k];
    return norm;
}

/* Nesterov's method with gradient restart (O'Donoghue and Candès). */
static void logreg_fit(double *w, const float *xs, const int32_t *ys,
                       size_t n, size_t d, size_t way,
                       const struct logreg_opts *o, double step, double *buf)
{
    size_t m = way * (d + 1);
    double *y = buf, *g = buf + m, *prev = buf + 2 * m, *z = buf + 3 * m;
    double t = 1.0;

    memcpy(y, w, m * sizeof(double));
    for (size_t it = 0; it < o->max_iter; it++) {
        double gn = logreg_grad(y, xs, ys, n, d, way, o->l2, g, z);
        double t_next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * t * t));
        double dot = 0.0;

        if (sqrt(gn) < o->tol)
            break;
        memcpy(prev, w, m * sizeof(double));
        for (size_t k = 0; k < m; k++)
            w[k] = y[k] - step * g[k];
        for (size_t k = 0; k < m; k++)
            dot += g[k] * (w[k] - prev[k]);
        if (dot > 0.0)
            t_next = 1.0;
        for (size_t k = 0; k < m; k++)
            y[k] = w[k] + (t - 1.0) / t_next * (w[k] - prev[k]);
        t = dot > 0.0 ? 1.0 : t_next;
    }
}

int fewshot_logreg(const float *xs, const int32_t *ys, size_t n_s,
                   const float *xq, size_t n_q, size_t d, size_t way,
                   const struct logreg_opts *o, float *probs,
                   int32_t *pred)
{
    size_t m = way * (d + 1);
    double *w = calloc(m, sizeof(double));
    double *buf = malloc((3 * m + way) * sizeof(double));
    double lmax = gram_top_eigen(xs, n_s, d);
    double *z;

    if (!w || !buf || lmax < 0.0) {
        free(w);
        free(buf);
        return err_set(ERR_NOMEM, "logistic regression: out of memory");
    }
    /* The softmax loss Hessian is at most 0.5·X̃ᵀX̃ per class block. */
    logreg_fit(w, xs, ys, n_s, d, way, o, 1.0 / (0.5 * lmax + o->l2), buf);
    z = buf + 3 * m;
    for (size_t i = 0; i < n_q; i++) {
        logreg_scores(w, xq + i * d, d, way, z);
        vec_softmax_d(z, way);
        pred[i] = 0;
        for (size_t c = 0; c < way; c++) {
            if (probs)
                probs[i * way + c] = (float)z[c];
            if (z[c] > z[pred[i]])
                pred[i] = (int32_t)c;
        }
    }
    free(w);
    free(buf);
    return 0;
}
