#include <cblas.h>
#include <math.h>
#include <string.h>

#include "detect/memo_impl.h"
#include "fewflow/detect.h"

/*
 * Batched decisions: squared distances between n embeddings and all P
 * prototypes as |z|² + |p|² − 2·z·pᵀ, the product done by one sgemm, then
 * a minimum per class. Rounding can make a tiny squared distance negative;
 * it is clamped to zero.
 */

size_t memo_total_protos(const struct memo *m)
{
    size_t p = 0;
    for (size_t i = 0; i < m->n_classes; i++)
        p += m->cls[i].n_protos;
    return p;
}

size_t memo_batch_scratch(const struct memo *m, size_t n)
{
    size_t p = memo_total_protos(m);
    return n * p + 2 * p + 3 * m->n_classes + p * m->dim + p;
}

static float sq_norm(const float *v, size_t d)
{
    float s = 0;
    for (size_t j = 0; j < d; j++)
        s += v[j] * v[j];
    return s;
}

/* Copies every prototype into one P × dim matrix, with their squared
 * norms and 1 / radius² (infinite for a zero radius). */
static void gather_protos(const struct memo *m, float *all, float *norms,
                          float *inv_r2)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n_classes; i++) {
        const struct memo_class *c = &m->cls[i];
        for (uint32_t p = 0; p < c->n_protos; p++, k++) {
            const float *src = c->protos + (size_t)p * m->dim;
            memcpy(all + k * m->dim, src, m->dim * sizeof(float));
            norms[k] = sq_norm(src, m->dim);
            float r = c->radii[p];
            inv_r2[k] = r > 0 ? 1.0f / (r * r) : INFINITY;
        }
    }
}

/* Per-class evaluation of one row from its P squared distances; square
 * roots are taken once per class, not once per prototype. */
static void class_evals(const struct memo *m, const float *row_sq,
                        float zn, const float *pn, const float *inv_r2,
                        struct memo_eval *ev)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n_classes; i++) {
        const struct memo_class *c = &m->cls[i];
        float best = INFINITY, best_q = INFINITY;
        uint32_t at = 0;
        for (uint32_t p = 0; p < c->n_protos; p++, k++) {
            float s = zn + pn[k] + row_sq[k];
            s = s > 0 ? s : 0;
            float q = s > 0 ? s * inv_r2[k] : 0;
            if (s < best)
                best = s;
            if (q < best_q) {
                best_q = q;
                at = p;
            }
        }
        ev[i].dist = sqrtf(best);
        ev[i].ratio = sqrtf(best_q);
        ev[i].radius = c->radii[at];
    }
}

void memo_decide_batch(const struct memo *m, const float *z, size_t n,
                       float *scratch, struct memo_decision *out)
{
    size_t p = memo_total_protos(m), d = m->dim;
    float *dots = scratch, *pn = dots + n * p, *inv_r2 = pn + p;
    struct memo_eval *ev = (struct memo_eval *)(inv_r2 + p);
    float *all = (float *)(ev + m->n_classes);

    if (n == 0)
        return;
    if (p == 0) {
        for (size_t r = 0; r < n; r++)
            memo_decide_from(m, ev, &out[r]);
        return;
    }
    gather_protos(m, all, pn, inv_r2);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)p,
                (int)d, -2.0f, z, (int)d, all, (int)d, 0.0f, dots, (int)p);
    for (size_t r = 0; r < n; r++) {
        float zn = sq_norm(z + r * d, d);
        class_evals(m, dots + r * p, zn, pn, inv_r2, ev);
        memo_decide_from(m, ev, &out[r]);
    }
}
