#include <math.h>
#include <string.h>

#include "core/vec.h"
#include "detect/memo_impl.h"
#include "fewflow/alert.h"
#include "fewflow/detect.h"

size_t alert_explain_scratch(const struct detect_encoder *enc)
{
    size_t rows = (size_t)enc->n_in + 1;
    return rows * enc->n_in + rows * enc->dim;
}

/* Float rounding in the inverse leaves values like -1.6e-08 where the
 * input was 0; those are shown as 0. */
static double original(const struct detect_encoder *enc, uint32_t col,
                       float v)
{
    double x = enc->inverse ? enc->inverse(enc->ctx, col, v) : (double)v;
    return fabs(x) < 1e-6 ? 0 : x;
}

/* Inserts feature j into the top list, ordered by |effect| descending. */
static void top_insert(struct alert_explain *out, size_t top, uint32_t col,
                       float effect)
{
    size_t n = out->n_pulls;
    float mag = fabsf(effect);
    if (n == top && mag <= fabsf(out->pulls[n - 1].effect))
        return;
    size_t i = n < top ? n : top - 1;
    while (i > 0 && fabsf(out->pulls[i - 1].effect) < mag) {
        out->pulls[i] = out->pulls[i - 1];
        i--;
    }
    memset(&out->pulls[i], 0, sizeof(out->pulls[i]));
    out->pulls[i].col = col;
    out->pulls[i].effect = effect;
    if (n < top)
        out->n_pulls = n + 1;
}

/* Row 0 is the flow; row j + 1 the flow with feature j at the mean. */
static void occlusion_rows(const float *x, uint32_t n_in, float *rows)
{
    for (uint32_t r = 0; r <= n_in; r++) {
        memcpy(rows + (size_t)r * n_in, x, n_in * sizeof(float));
        if (r > 0)
            rows[(size_t)r * n_in + r - 1] = 0;
    }
}

static float proto_dist(const struct memo *m, const struct memo_class *cl,
                        uint32_t p, const float *z)
{
    return sqrtf(vec_sqdist(z, cl->protos + (size_t)p * m->dim, m->dim));
}

/*
 * The nearest-prototype distance of an occluded row z, the value a full
 * scan gives (memo_distances_one), found with far fewer distances: with
 * d0[p] the flow's own distance to prototype p and shift = |z - z0|, the
 * triangle inequality puts p at least d0[p] - shift from z, so p cannot
 * beat the best so far when that bound exceeds it. An occlusion moves the
 * embedding little, so most of benign's hundreds of prototypes are
 * skipped. The slack covers float rounding in the three distances; the
 * winner's distance is computed as the full scan computes it.
 */
static float nearest_bounded(const struct memo *m, const struct memo_class *cl,
                             const float *z, const float *d0, uint32_t first,
                             float shift)
{
    float best = proto_dist(m, cl, first, z);
    for (uint32_t p = 0; p < cl->n_protos; p++) {
        float bound = d0[p] - shift;
        if (p == first ||
            bound > best + 1e-4f * (d0[p] + shift + best) + 1e-6f)
            continue;
        float d = proto_dist(m, cl, p, z);
        if (d < best)
            best = d;
    }
    return best;
}

/* d0[p] for every prototype of the class; the index of the nearest. */
static uint32_t flow_distances(const struct memo *m,
                               const struct memo_class *cl, const float *z0,
                               float *d0)
{
    uint32_t first = 0;
    for (uint32_t p = 0; p < cl->n_protos; p++) {
        d0[p] = proto_dist(m, cl, p, z0);
        if (d0[p] < d0[first])
            first = p;
    }
    return first;
}

/* Effect on the distance to class c of each occluded row of z. */
static void occlusion_effects(const struct memo *m, size_t c, const float *z,
                              uint32_t n_in, size_t top,
                              struct alert_explain *out)
{
    const struct memo_class *cl = &m->cls[c];
    float d0buf[MEMO_MAX_PROTOS], dnear, dj;
    int bounded = cl->n_protos > 0 && cl->n_protos <= MEMO_MAX_PROTOS;
    uint32_t first = bounded ? flow_distances(m, cl, z, d0buf) : 0;

    memo_distances_one(m, c, z, &dnear);
    bounded = bounded && isfinite(dnear) && d0buf[first] == dnear;
    for (uint32_t j = 0; j < n_in; j++) {
        const float *zj = z + (size_t)(j + 1) * m->dim;
        float shift = sqrtf(vec_sqdist(zj, z, m->dim));
        if (bounded && isfinite(shift))
            dj = nearest_bounded(m, cl, zj, d0buf, first, shift);
        else
            memo_distances_one(m, c, zj, &dj);
        float effect = dj - dnear;
        if (out->toward ? effect > 0 : effect < 0)
            top_insert(out, top, j, effect);
    }
}

int alert_explain(const struct detect_encoder *enc, const struct memo *m,
                  const float *x, const struct memo_decision *dec,
                  size_t top, float *scratch, struct alert_explain *out)
{
    uint32_t n_in = enc->n_in;
    float *rows = scratch, *z = scratch + ((size_t)n_in + 1) * n_in;

    memset(out, 0, sizeof(*out));
    out->cls = dec->cls >= 0 ? dec->cls
                             : dec->n_near ? dec->near[0].cls : -1;
    out->toward = dec->cls >= 0;
    top = top > ALERT_MAX_PULLS ? ALERT_MAX_PULLS : top;
    if (out->cls < 0 || n_in == 0 || top == 0)
        return 0;
    occlusion_rows(x, n_in, rows);
    int rc = enc->embed(enc->ctx, rows, (size_t)n_in + 1, z);
    if (rc != 0)
        return rc;
    occlusion_effects(m, (size_t)out->cls, z, n_in, top, out);
    const float *cm = m->cls[out->cls].x_mean;
    for (size_t i = 0; i < out->n_pulls; i++) {
        uint32_t col = out->pulls[i].col;
        out->pulls[i].value = original(enc, col, x[col]);
        out->pulls[i].class_value = original(enc, col, cm[col]);
    }
    return 0;
}
