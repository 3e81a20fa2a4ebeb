/*
 * The adapted head of a MAML-family class memory (mhead.h): fitted on the
 * memory's prototypes, used to choose among the classes that hold a flow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "fewflow/err.h"
#include "fewflow/mhead.h"

struct mhead *mhead_create(size_t n_classes, uint32_t dim)
{
    struct mhead *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->n_classes = (uint32_t)n_classes;
    h->dim = dim;
    h->w = calloc((size_t)dim * n_classes, sizeof(float));
    h->b = calloc(n_classes, sizeof(float));
    h->logits = calloc(n_classes, sizeof(float));
    h->ev = calloc(n_classes, sizeof(*h->ev));
    if (!h->w || !h->b || !h->logits || !h->ev) {
        mhead_destroy(h);
        return NULL;
    }
    return h;
}

void mhead_destroy(struct mhead *h)
{
    if (h == NULL)
        return;
    free(h->w);
    free(h->b);
    free(h->logits);
    free(h->ev);
    free(h);
}

/* The model's head reads relu(z), as maml.h's logits do. */
static void logits_relu(const struct mhead *h, const float *z, float *out)
{
    memcpy(out, h->b, h->n_classes * sizeof(float));
    for (uint32_t r = 0; r < h->dim; r++) {
        float v = z[r] > 0 ? z[r] : 0;
        if (v == 0)
            continue;
        const float *wr = h->w + (size_t)r * h->n_classes;
        for (uint32_t c = 0; c < h->n_classes; c++)
            out[c] += v * wr[c];
    }
}

void mhead_logits(const struct mhead *h, const float *z, float *out)
{
    logits_relu(h, z, out);
}

/* Adds one prototype's gradient (weight wt) into gw, gb. */
static void grad_row(const struct mhead *h, const float *z, uint32_t y,
                     float wt, float *gw, float *gb)
{
    float *p = h->logits;
    logits_relu(h, z, p);
    vec_softmax(p, h->n_classes);
    p[y] -= 1.0f;
    for (uint32_t c = 0; c < h->n_classes; c++)
        gb[c] += wt * p[c];
    for (uint32_t r = 0; r < h->dim; r++) {
        float v = z[r] > 0 ? z[r] : 0;
        for (uint32_t c = 0; v != 0 && c < h->n_classes; c++)
            gw[(size_t)r * h->n_classes + c] += wt * v * p[c];
    }
}

/* One full-batch step; every class weighs the same whatever its number of
 * prototypes (benign keeps hundreds, an enrolled class a few). */
static void fit_step(struct mhead *h, const struct memo *m, float lr,
                     float *gw, float *gb)
{
    size_t nw = (size_t)h->dim * h->n_classes;
    memset(gw, 0, nw * sizeof(float));
    memset(gb, 0, h->n_classes * sizeof(float));
    for (uint32_t c = 0; c < h->n_classes; c++) {
        const struct memo_class *cl = &m->cls[c];
        float wt = 1.0f / ((float)cl->n_protos * (float)h->n_classes);
        for (uint32_t p = 0; p < cl->n_protos; p++)
            grad_row(h, cl->protos + (size_t)p * m->dim, c, wt, gw, gb);
    }
    for (size_t i = 0; i < nw; i++)
        h->w[i] -= lr * gw[i];
    for (uint32_t c = 0; c < h->n_classes; c++)
        h->b[c] -= lr * gb[c];
}

struct mhead *mhead_fit(const struct memo *m, float lr, int steps)
{
    if (m->n_classes == 0 || !(lr > 0) || !isfinite(lr) || steps < 0) {
        err_set(ERR_INVALID, "class memory head: nothing to fit (%zu "
                "classes, step %g)", m->n_classes, (double)lr);
        return NULL;
    }
    struct mhead *h = mhead_create(m->n_classes, m->dim);
    float *gw = malloc(((size_t)m->dim + 1) * m->n_classes * sizeof(float));
    if (h == NULL || gw == NULL) {
        mhead_destroy(h);
        free(gw);
        err_set(ERR_NOMEM, "class memory head: out of memory");
        return NULL;
    }
    for (int s = 0; s < steps; s++)
        fit_step(h, m, lr, gw, gw + (size_t)m->dim * m->n_classes);
    free(gw);
    return h;
}

static int candidate(const struct mhead *h, const struct memo *m,
                     const struct memo_decision *dec, uint32_t c)
{
    if (h->ev[c].ratio > 1)
        return 0;
    return !(m->cls[c].flags & MEMO_CLASS_BENIGN) || (int32_t)c == dec->cls;
}

void mhead_choose(struct mhead *h, const struct memo *m, const float *z,
                  struct memo_decision *dec)
{
    if (dec->cls < 0 || m->n_classes != h->n_classes)
        return;
    memo_evaluate(m, z, h->ev);
    logits_relu(h, z, h->logits);
    int32_t best = dec->cls;
    for (uint32_t c = 0; c < h->n_classes; c++) {
        if (candidate(h, m, dec, c) && h->logits[c] > h->logits[best])
            best = (int32_t)c;
    }
    vec_softmax(h->logits, h->n_classes);
    dec->head_prob = h->logits[best];
    if (best == dec->cls)
        return;
    dec->cls = best;
    dec->dist = h->ev[best].dist;
    dec->radius = h->ev[best].radius;
    dec->score = h->ev[best].ratio;
}
