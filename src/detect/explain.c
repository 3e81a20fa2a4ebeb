#include <math.h>
#include <string.h>

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
    float d0, dj;
    memo_distances_one(m, (size_t)out->cls, z, &d0);
    for (uint32_t j = 0; j < n_in; j++) {
        memo_distances_one(m, (size_t)out->cls, z + (size_t)(j + 1) * m->dim,
                           &dj);
        float effect = dj - d0;
        if (out->toward ? effect > 0 : effect < 0)
            top_insert(out, top, j, effect);
    }
    const float *cm = m->cls[out->cls].x_mean;
    for (size_t i = 0; i < out->n_pulls; i++) {
        uint32_t col = out->pulls[i].col;
        out->pulls[i].value = original(enc, col, x[col]);
        out->pulls[i].class_value = original(enc, col, cm[col]);
    }
    return 0;
}
