#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"

/*
 * Benign calibration works on the benign reservoir, the held-out benign
 * embeddings kept in the memory. A reservoir row "alerts" when its
 * decision is anything but a benign class, unknown included. Attack radii
 * play no part: a row nearer to an attack class than to benign alerts
 * whatever the radii (see the decision rule in detect.h), so only the
 * benign radii are searched, and a rate the nearest-class structure
 * forces above the target is reported as it is.
 */

#define SEARCH_STEPS 30

static int is_benign(const struct memo *m, int32_t c)
{
    return c >= 0 && (m->cls[c].flags & MEMO_CLASS_BENIGN) != 0;
}

/*
 * Benign radii are t · scale[p]: scale[p] is the median distance of the
 * reservoir rows nearest to prototype p (see memo_proto_scales), and one
 * factor t, shared by every benign prototype, is searched for the target
 * rate. scale is flat over the benign classes' prototypes in order.
 */
struct benign_scales {
    float *scale;
    float t_max;              /* every reservoir row inside its prototype */
};

static void apply_factor(struct memo *m, const struct benign_scales *b,
                         float t, float *radii)
{
    size_t k = 0;
    for (size_t c = 0; c < m->n_classes; c++) {
        if (!is_benign(m, (int32_t)c))
            continue;
        for (uint32_t p = 0; p < m->cls[c].n_protos; p++)
            radii[p] = t * b->scale[k++];
        memo_class_set_radii(m, c, radii);
        m->cls[c].tail = t > 0 ? t : 1;
    }
}

/* Nearest benign class and prototype of z. */
static size_t nearest_benign(const struct memo *m, const float *z,
                             uint32_t *proto, float *dist)
{
    size_t best_c = 0;
    *dist = INFINITY;
    for (size_t c = 0; c < m->n_classes; c++) {
        const struct memo_class *cl = &m->cls[c];
        for (uint32_t p = 0; is_benign(m, (int32_t)c) && p < cl->n_protos;
             p++) {
            float s = 0;
            const float *q = cl->protos + (size_t)p * m->dim;
            for (uint32_t j = 0; j < m->dim; j++)
                s += (z[j] - q[j]) * (z[j] - q[j]);
            if (s < *dist) {
                *dist = s;
                best_c = c;
                *proto = p;
            }
        }
    }
    *dist = sqrtf(*dist);
    return best_c;
}

static void class_scales(const struct memo *m, size_t c, const size_t *cls,
                         const uint32_t *who, const float *dist, float *d,
                         uint32_t *w, float *tmp, float *scale)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n_reservoir; i++) {
        if (cls[i] == c) {
            d[k] = dist[i];
            w[k++] = who[i];
        }
    }
    memo_proto_scales(&m->cls[c], d, w, k, tmp, scale);
}

static int benign_scales(const struct memo *m, struct benign_scales *b)
{
    size_t n = m->n_reservoir + 1, np = 0;
    for (size_t c = 0; c < m->n_classes; c++)
        np += is_benign(m, (int32_t)c) ? m->cls[c].n_protos : 0;
    size_t *cls = malloc(n * sizeof(size_t));
    uint32_t *who = malloc(n * sizeof(uint32_t)), *w = malloc(n * 4);
    float *dist = malloc(n * 4), *d = malloc(n * 4), *tmp = malloc(n * 4);
    b->scale = malloc((np + 1) * sizeof(float));
    int rc = cls && who && w && dist && d && tmp && b->scale ? 0 : ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < m->n_reservoir; i++)
        cls[i] = nearest_benign(m, m->reservoir + i * m->dim, &who[i],
                                &dist[i]);
    size_t k = 0;
    for (size_t c = 0; rc == 0 && c < m->n_classes; c++) {
        if (!is_benign(m, (int32_t)c))
            continue;
        class_scales(m, c, cls, who, dist, d, w, tmp, b->scale + k);
        k += m->cls[c].n_protos;
    }
    b->t_max = 0;
    for (size_t i = 0; rc == 0 && i < m->n_reservoir; i++) {
        size_t base = 0;
        for (size_t c = 0; c < cls[i]; c++)
            base += is_benign(m, (int32_t)c) ? m->cls[c].n_protos : 0;
        float u = dist[i] / b->scale[base + who[i]];
        b->t_max = u > b->t_max ? u : b->t_max;
    }
    free(cls);
    free(who);
    free(w);
    free(dist);
    free(d);
    free(tmp);
    return rc;
}

/*
 * The rate on the reservoir is a sample of the rate on new benign flows,
 * and searching the radius until the sample meets the target exactly
 * leaves the new rate above it about half the time (cic-ids2017, five
 * training seeds: 0.96-0.99% on the reservoir, 0.77-1.60% on the test
 * rows). So the target bounds the one-sided 95% Wilson upper limit of
 * the rate, not the sample: on 1,220 rows and a 1% target the sample
 * rate becomes at most 0.49%.
 */
static int meets_target(const struct memo *m, float target)
{
    const double z = 1.6448536269514722;  /* one-sided 95% normal */
    double n = (double)m->n_reservoir;
    double p = memo_benign_fpr(m), zz = z * z / n;
    double upper = (p + zz / 2 + z * sqrt(p * (1 - p) / n + zz / (4 * n))) /
                   (1 + zz);
    return upper <= target;
}

/* The smallest common factor whose false-alarm rate meets target. */
static void search_factor(struct memo *m, const struct benign_scales *b,
                          float target, float *radii)
{
    float lo = 0, hi = nextafterf(b->t_max, INFINITY);
    apply_factor(m, b, hi, radii);
    if (!meets_target(m, target))
        return;
    for (int s = 0; s < SEARCH_STEPS; s++) {
        float mid = (lo + hi) / 2;
        apply_factor(m, b, mid, radii);
        if (meets_target(m, target))
            hi = mid;
        else
            lo = mid;
    }
    apply_factor(m, b, hi, radii);
}

int memo_calibrate_benign(struct memo *m, float target)
{
    if (memo_benign_count(m) == 0 || m->n_reservoir == 0)
        return err_set(ERR_STATE, "benign calibration needs a benign class "
                       "and held-out benign rows");
    if (!(target >= 0 && target < 1))
        return err_set(ERR_INVALID, "--benign-fpr must be in [0, 1)");
    struct benign_scales b = { 0 };
    float *v = malloc((m->n_reservoir + MEMO_MAX_PROTOS) * sizeof(float));
    int rc = v ? benign_scales(m, &b) : ERR_NOMEM;
    if (rc == 0) {
        search_factor(m, &b, target, v);
        m->benign_fpr_target = target;
        m->benign_fpr = memo_benign_fpr(m);
    }
    free(b.scale);
    free(v);
    return rc ? err_set(ERR_NOMEM, "class memory: out of memory") : 0;
}

float memo_benign_fpr(const struct memo *m)
{
    size_t alerts = 0;
    struct memo_decision dec;

    if (m->n_reservoir == 0)
        return 0;
    for (size_t i = 0; i < m->n_reservoir; i++) {
        memo_decide(m, m->reservoir + i * m->dim, &dec);
        alerts += !is_benign(m, dec.cls);
    }
    return (float)alerts / (float)m->n_reservoir;
}
