#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

void memo_fit_opts_default(struct memo_fit_opts *o)
{
    o->n_protos = 8;
    o->benign_protos = 256;
    o->coverage = 0.95f;
    /* Chosen on leave-two-out folds of cic-ids2017's training attacks
     * (bench/RESULTS.md, third open-set pass): a class enrolled from a
     * few flows keeps more of its outlying rows. Calibrated classes stay
     * at 0.95: at 0.99 the classes enrolled from whole CSVs grew until
     * SSH-Patator took a SYN flood capture. */
    o->kshot_coverage = 0.99f;
    o->benign_fpr = 0.01f;
    o->max_reservoir = 2048;
    o->seed = 1;
    o->space = MEMO_SPACE_Z;
}

/* Copies the rows of class c out of a labelled set; returns the count. */
static size_t gather(const struct memo_labelled *s, uint32_t dim, int32_t c,
                     float *out)
{
    size_t k = 0;
    for (size_t i = 0; s != NULL && i < s->n; i++) {
        if (s->y[i] == c)
            memcpy(out + k++ * dim, s->z + i * dim, dim * sizeof(float));
    }
    return k;
}

static void input_mean(const struct memo_labelled *fit, const float *x_fit,
                       uint32_t n_in, int32_t c, float *out)
{
    size_t k = 0;
    memset(out, 0, n_in * sizeof(float));
    for (size_t i = 0; x_fit != NULL && i < fit->n; i++) {
        if (fit->y[i] != c)
            continue;
        for (uint32_t j = 0; j < n_in; j++)
            out[j] += x_fit[i * n_in + j];
        k++;
    }
    for (uint32_t j = 0; k > 0 && j < n_in; j++)
        out[j] /= (float)k;
}

static size_t nearest_proto(const struct memo_class *c, uint32_t dim,
                            const float *z, float *dist)
{
    size_t best = 0;
    *dist = INFINITY;
    for (uint32_t p = 0; p < c->n_protos; p++) {
        const float *q = c->protos + (size_t)p * dim;
        float s = 0;
        for (uint32_t j = 0; j < dim; j++)
            s += (z[j] - q[j]) * (z[j] - q[j]);
        if (s < *dist) {
            *dist = s;
            best = p;
        }
    }
    *dist = sqrtf(*dist);
    return best;
}

/*
 * Prototype scales of class c: the median distance of the rows nearest to
 * each prototype (the class-wide median when a prototype has fewer than
 * MIN_ROWS_PER_PROTO rows). d and who give each row's distance and
 * prototype; tmp is scratch of n floats.
 */
void memo_proto_scales(const struct memo_class *c, const float *d,
                       const uint32_t *who, size_t n, float *tmp,
                       float *scale)
{
    memcpy(tmp, d, n * sizeof(float));
    float all = memo_quantile(tmp, n, 0.5f);
    for (uint32_t p = 0; p < c->n_protos; p++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (who[i] == p)
                tmp[k++] = d[i];
        }
        scale[p] = k >= MIN_ROWS_PER_PROTO ? memo_quantile(tmp, k, 0.5f)
                                           : all;
        if (!(scale[p] > 0))
            scale[p] = all > 0 ? all : 1e-6f;
    }
}

/*
 * Radii of class idx from held-out rows: each row goes to its nearest
 * prototype; distances are divided by that prototype's scale (its median
 * row distance), and every radius is the scale times the coverage
 * quantile of those normalised distances. Pooling the rows this way keeps
 * one tail estimate per class even when a prototype has only a few rows.
 */
int memo_fit_radii(struct memo *m, size_t idx, const float *rows, size_t n,
                   float coverage)
{
    struct memo_class *c = &m->cls[idx];
    float *d = calloc(n + 1, sizeof(float));
    float *tmp = malloc((n + 1) * sizeof(float));
    uint32_t *who = calloc(n + 1, sizeof(uint32_t));
    float scale[MEMO_MAX_PROTOS];
    if (!d || !tmp || !who) {
        free(d);
        free(tmp);
        free(who);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        who[i] = (uint32_t)nearest_proto(c, m->dim, rows + i * m->dim, &d[i]);
    memo_proto_scales(c, d, who, n, tmp, scale);
    for (size_t i = 0; i < n; i++)
        tmp[i] = d[i] / scale[who[i]];
    float t = memo_quantile(tmp, n, coverage);
    for (uint32_t p = 0; p < c->n_protos; p++)
        scale[p] *= t;
    memo_class_set_radii(m, idx, scale);
    c->tail = t > 0 ? t : 1;
    free(d);
    free(tmp);
    free(who);
    return 0;
}

struct fit_buf {
    float *fit, *calib, *protos, *xm;
};

static int fit_class(struct memo *m, const char *name, int benign, int32_t c,
                     const struct memo_labelled *fit,
                     const struct memo_labelled *calib, const float *x_fit,
                     const struct memo_fit_opts *o, struct fit_buf *b)
{
    size_t nf = gather(fit, m->dim, c, b->fit);
    size_t nc = gather(calib, m->dim, c, b->calib);
    if (nf == 0)
        return 0;
    uint32_t k = benign ? o->benign_protos : o->n_protos;
    k = k > nf ? (uint32_t)nf : k;
    int made = memo_kmeans(b->fit, nf, m->dim, k, o->seed + (uint64_t)c,
                           b->protos);
    if (made < 0)
        return made;
    input_mean(fit, x_fit, m->n_in, c, b->xm);
    int idx = memo_class_add(m, name, benign ? MEMO_CLASS_BENIGN : 0,
                             b->protos, (uint32_t)made, 0, b->xm);
    if (idx < 0)
        return idx;
    int rc = nc ? memo_fit_radii(m, (size_t)idx, b->calib, nc, o->coverage)
                : memo_fit_radii(m, (size_t)idx, b->fit, nf, o->coverage);
    if (rc != 0)
        return rc;
    m->cls[idx].n_support = nf;
    m->cls[idx].n_calib = nc;
    return 0;
}

/* Keeps up to max benign calibration rows, chosen uniformly with a seeded
 * generator so a training run stays reproducible. */
static int fill_reservoir(struct memo *m, const struct memo_labelled *s,
                          const int *is_benign, size_t n_names,
                          const struct memo_fit_opts *o)
{
    size_t n = 0, d = m->dim;
    int *idx = malloc((s->n ? s->n : 1) * sizeof(int));
    if (idx == NULL)
        return err_set(ERR_NOMEM, "class memory: out of memory");
    for (size_t i = 0; i < s->n; i++) {
        int32_t y = s->y[i];
        if (y >= 0 && (size_t)y < n_names && is_benign[y])
            idx[n++] = (int)i;
    }
    struct rng r;
    rng_seed(&r, o->seed ^ 0x5eedULL);
    rng_shuffle_int(&r, idx, n);
    n = n > o->max_reservoir ? o->max_reservoir : n;
    float *z = malloc((n ? n : 1) * d * sizeof(float));
    int rc = z ? 0 : err_set(ERR_NOMEM, "class memory: out of memory");
    for (size_t i = 0; z && i < n; i++)
        memcpy(z + i * d, s->z + (size_t)idx[i] * d, d * sizeof(float));
    if (rc == 0)
        rc = memo_reservoir_set(m, z, n);
    free(z);
    free(idx);
    return rc;
}

int memo_fit(struct memo *m, const char *const *names, size_t n_names,
             const int *is_benign, const struct memo_labelled *fit,
             const struct memo_labelled *calib, const float *x_fit,
             const struct memo_fit_opts *o)
{
    size_t n_calib = calib ? calib->n : 0;
    size_t most = fit->n > n_calib ? fit->n : n_calib;
    struct fit_buf b;
    b.fit = malloc((most + 1) * m->dim * sizeof(float));
    b.calib = malloc((most + 1) * m->dim * sizeof(float));
    b.protos = malloc((size_t)(o->n_protos > o->benign_protos ?
                               o->n_protos : o->benign_protos) *
                      m->dim * sizeof(float) + sizeof(float));
    b.xm = malloc((m->n_in + 1) * sizeof(float));
    int rc = b.fit && b.calib && b.protos && b.xm ? 0 : ERR_NOMEM;

    m->coverage = o->coverage;
    for (size_t c = 0; rc == 0 && c < n_names; c++)
        rc = fit_class(m, names[c], is_benign[c], (int32_t)c, fit, calib,
                       x_fit, o, &b);
    if (rc == 0)
        rc = fill_reservoir(m, n_calib ? calib : fit, is_benign,
                            n_names, o);
    if (rc == 0)
        rc = memo_kshot_fit(m, n_calib ? calib : fit, is_benign, n_names,
                            o->kshot_coverage, o->seed);
    if (rc == 0 && memo_benign_count(m) > 0 && m->n_reservoir > 0)
        rc = memo_calibrate_benign(m, o->benign_fpr);
    free(b.fit);
    free(b.calib);
    free(b.protos);
    free(b.xm);
    if (rc == ERR_NOMEM)
        err_set(ERR_NOMEM, "class memory: out of memory");
    return rc;
}
