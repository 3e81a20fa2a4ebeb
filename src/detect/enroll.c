#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"

void memo_enroll_opts_default(struct memo_enroll_opts *o)
{
    o->max_protos = 16;
    o->prior_weight = 20.0f;
    o->is_benign = 0;
    o->seed = 1;
    o->rule = MEMO_RADIUS_KSHOT_GEO;
}

/* Median over the attack classes calibrated on held-out rows of each
 * class's median prototype radius. */
static float prior_radius(const struct memo *m)
{
    float *r = malloc((m->n_classes + 1) * sizeof(float));
    float tmp[MEMO_MAX_PROTOS];
    size_t k = 0;
    float med = 0;
    for (size_t c = 0; r != NULL && c < m->n_classes; c++) {
        const struct memo_class *cl = &m->cls[c];
        if ((cl->flags & (MEMO_CLASS_BENIGN | MEMO_CLASS_ENROLLED)) ||
            cl->n_calib == 0)
            continue;
        memcpy(tmp, cl->radii, cl->n_protos * sizeof(float));
        float rc = memo_quantile(tmp, cl->n_protos, 0.5f);
        if (rc > 0)
            r[k++] = rc;
    }
    if (k > 0)
        med = memo_quantile(r, k, 0.5f);
    free(r);
    return med;
}

/* With nothing else to go on: half the way from the support mean to the
 * nearest prototype already in memory, so the new class cannot swallow its
 * neighbour. */
static float fallback_radius(const struct memo *m, const float *z, size_t k)
{
    float best = INFINITY;
    float *mean = calloc(m->dim, sizeof(float));
    if (mean == NULL)
        return 0;
    for (size_t i = 0; i < k; i++) {
        for (uint32_t j = 0; j < m->dim; j++)
            mean[j] += z[i * m->dim + j] / (float)k;
    }
    for (size_t c = 0; c < m->n_classes; c++) {
        float dc = 0;
        memo_distances_one(m, c, mean, &dc);
        best = dc < best ? dc : best;
    }
    free(mean);
    return isfinite(best) ? best / 2 : 0;
}

float memo_enroll_radius(const struct memo *m, const float *z, size_t k,
                         float prior_weight)
{
    float prior = prior_radius(m);
    float loo = memo_support_spread(z, k, m->dim);
    float w = prior_weight > 0 ? prior_weight : 0;

    if (loo > 0 && prior > 0)
        return ((float)k * loo + w * prior) / ((float)k + w);
    if (loo > 0)
        return loo;
    if (prior > 0)
        return prior;
    return fallback_radius(m, z, k);
}

/*
 * A benign class enrolled from few flows must not borrow the attack
 * classes' typical radius: a wide benign radius hides attacks (a class
 * from one SYN-only flow took a whole SYN flood). Its radius is at most
 * the local density of known benign traffic: twice the median distance
 * from a reservoir row to its nearest other reservoir row.
 */
static float benign_local_radius(const struct memo *m)
{
    size_t n = m->n_reservoir > 512 ? 512 : m->n_reservoir;
    if (n < 2)
        return 0;
    float *nn = malloc(n * sizeof(float));
    if (nn == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        float best = INFINITY;
        for (size_t j = 0; j < n; j++) {
            float s = j == i ? INFINITY
                             : vec_sqdist(m->reservoir + i * m->dim,
                                     m->reservoir + j * m->dim, m->dim);
            best = s < best ? s : best;
        }
        nn[i] = sqrtf(best);
    }
    float r = 2 * memo_quantile(nn, n, 0.5f);
    free(nn);
    return r;
}

float memo_enroll_radius_rule(const struct memo *m, const float *z,
                              size_t k, const struct memo_enroll_opts *o)
{
    int in = k > 0 && k < MEMO_ENROLL_CALIBRATE;
    float a = in ? m->kshot_abs[k] : 0, rel = in ? m->kshot_rel[k] : 0;
    float spread = memo_support_spread(z, k, m->dim);
    float r_rel = rel > 0 && spread > 0 ? rel * spread : 0;

    switch (o->rule) {
    case MEMO_RADIUS_KSHOT_REL:
        if (r_rel > 0)
            return r_rel;
        break;
    case MEMO_RADIUS_KSHOT_GEO:
        if (r_rel > 0 && a > 0)
            return sqrtf(r_rel * a);
        break;
    case MEMO_RADIUS_PRIOR:
        return memo_enroll_radius(m, z, k, o->prior_weight);
    default:
        break;
    }
    /* A memory from before K-shot figures existed keeps the prior rule. */
    return a > 0 ? a : memo_enroll_radius(m, z, k, o->prior_weight);
}

static float small_k_radius(const struct memo *m, const float *z, size_t k,
                            const struct memo_enroll_opts *o)
{
    if (!o->is_benign)
        return memo_enroll_radius_rule(m, z, k, o);
    float local = benign_local_radius(m);
    float loo = memo_support_spread(z, k, m->dim);
    if (local > 0 && loo > 0)
        return loo < local ? loo : local;
    return local > 0 ? local : loo;
}

static void mean_rows(const float *x, size_t k, uint32_t n, float *out)
{
    for (uint32_t j = 0; j < n; j++) {
        double acc = 0;
        for (size_t i = 0; i < k; i++)
            acc += x[i * n + j];
        out[j] = (float)(acc / (double)k);
    }
}

static int make_protos(const struct memo *m, const float *z, size_t k,
                       const struct memo_enroll_opts *o, float **protos)
{
    uint32_t cap = o->max_protos ? o->max_protos : 1;
    cap = cap > MEMO_MAX_PROTOS ? MEMO_MAX_PROTOS : cap;
    size_t n = k <= cap ? k : cap;
    *protos = malloc(n * m->dim * sizeof(float));
    if (*protos == NULL)
        return err_set(ERR_NOMEM, "enrolment: out of memory");
    if (k <= cap) {
        memcpy(*protos, z, k * m->dim * sizeof(float));
        return (int)k;
    }
    return memo_kmeans(z, k, m->dim, cap, o->seed, *protos);
}

/*
 * Calibrated radii are floored at the radius the K-shot rule gives
 * MEMO_ENROLL_CALIBRATE - 1 of the same flows, taken evenly through the
 * support. The held-out half only shows how far this sample spreads: 40
 * copies of one flow (a flood of one packet shape) put every held-out row
 * on its prototype and gave radius 0, a class only exact copies could
 * match, while 39 copies got the K-shot radius. The K-shot figures were
 * measured on how far unseen rows of known classes lie from K of their
 * own flows, and more flows that add no new shape cannot make the class
 * tighter than that evidence; a class whose flows do spread out is
 * calibrated wider than the floor and keeps its radii. Returns ERR_NOMEM
 * or 0.
 */
static int floor_radii(struct memo *m, size_t c, const float *z, size_t k,
                       const struct memo_enroll_opts *o)
{
    const size_t ks = MEMO_ENROLL_CALIBRATE - 1, d = m->dim;
    struct memo_class *cl = &m->cls[c];
    float r[MEMO_MAX_PROTOS];
    float *sub = malloc(ks * d * sizeof(float));
    if (sub == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < ks; i++)
        memcpy(sub + i * d, z + (i * k / ks) * d, d * sizeof(float));
    float f = small_k_radius(m, sub, ks, o);
    for (uint32_t p = 0; p < cl->n_protos; p++)
        r[p] = cl->radii[p] > f ? cl->radii[p] : f;
    memo_class_set_radii(m, c, r);
    free(sub);
    return 0;
}

/*
 * With many flows a class is built as training classes are: prototypes
 * from every other flow (k-means), radii from the rest (floored, see
 * floor_radii). Returns the class index or a negative ERR_*.
 */
static int enrol_many(struct memo *m, const char *name, uint32_t flags,
                      const float *z, size_t k, const float *xm,
                      const struct memo_enroll_opts *o)
{
    size_t d = m->dim, nf = (k + 1) / 2, nc = k / 2;
    float *fit = malloc(nf * d * sizeof(float));
    float *cal = malloc(nc * d * sizeof(float));
    uint32_t np = o->max_protos ? o->max_protos : 1;
    float *protos = malloc((size_t)np * d * sizeof(float));
    int rc = fit && cal && protos ? 0 : ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < k; i++)
        memcpy((i % 2 ? cal : fit) + (i / 2) * d, z + i * d,
               d * sizeof(float));
    int made = rc == 0 ? memo_kmeans(fit, nf, m->dim, np, o->seed, protos)
                       : rc;
    rc = made < 0 ? made : memo_class_add(m, name, flags, protos,
                                          (uint32_t)made, 0, xm);
    if (rc >= 0 && (memo_fit_radii(m, (size_t)rc, cal, nc, m->coverage) ||
                    floor_radii(m, (size_t)rc, z, k, o)))
        rc = ERR_NOMEM;
    if (rc >= 0)
        m->cls[rc].n_calib = nc;
    free(fit);
    free(cal);
    free(protos);
    return rc;
}

int memo_enroll(struct memo *m, const char *name, const float *z, size_t k,
                const float *x, const struct memo_enroll_opts *o)
{
    float *protos = NULL, *xm = NULL;

    if (k == 0)
        return err_set(ERR_INVALID, "enrolment of '%s' needs at least one "
                       "flow", name);
    xm = calloc(m->n_in + 1, sizeof(float));
    int rc = xm ? 0 : ERR_NOMEM;
    if (rc == 0 && x != NULL)
        mean_rows(x, k, m->n_in, xm);
    uint32_t flags = MEMO_CLASS_ENROLLED |
                     (o->is_benign ? MEMO_CLASS_BENIGN : 0);
    if (rc == 0 && k >= MEMO_ENROLL_CALIBRATE) {
        rc = enrol_many(m, name, flags, z, k, xm, o);
    } else if (rc == 0) {
        int n_protos = make_protos(m, z, k, o, &protos);
        float radius = small_k_radius(m, z, k, o);
        rc = n_protos < 0 ? n_protos
                          : memo_class_add(m, name, flags, protos,
                                           (uint32_t)n_protos, radius, xm);
    }
    if (rc >= 0) {
        m->cls[rc].n_support = k;
        m->benign_fpr = memo_benign_fpr(m);
        rc = 0;
    }
    free(protos);
    free(xm);
    if (rc == ERR_NOMEM)
        err_set(ERR_NOMEM, "enrolment: out of memory");
    return rc;
}
