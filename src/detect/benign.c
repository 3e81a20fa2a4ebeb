#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"

/*
 * Benign calibration works on the benign reservoir, the held-out benign
 * embeddings kept in the memory. A reservoir row "alerts" when its
 * decision is anything but a benign class, unknown included.
 */

static int is_benign(const struct memo *m, int32_t c)
{
    return c >= 0 && (m->cls[c].flags & MEMO_CLASS_BENIGN) != 0;
}

/* n_reservoir × n_classes distances, malloc'd; NULL on failure. */
static float *reservoir_distances(const struct memo *m)
{
    size_t n = m->n_reservoir, c = m->n_classes;
    float *d = malloc((n * c + 1) * sizeof(float));
    for (size_t i = 0; d != NULL && i < n; i++)
        memo_distances(m, m->reservoir + i * m->dim, d + i * c);
    return d;
}

/* Nearest benign class of a distance row, or -1. */
static int32_t nearest_benign(const struct memo *m, const float *row)
{
    int32_t best = -1;
    for (size_t c = 0; c < m->n_classes; c++) {
        if (is_benign(m, (int32_t)c) && (best < 0 || row[c] < row[best]))
            best = (int32_t)c;
    }
    return best;
}

/* An attack class inside its radius and nearer than the nearest benign
 * class takes the row whatever the benign radius is. */
static int is_forced(const struct memo *m, const float *row, float d_benign)
{
    for (size_t c = 0; c < m->n_classes; c++) {
        if (!is_benign(m, (int32_t)c) && row[c] <= m->cls[c].radius &&
            row[c] < d_benign)
            return 1;
    }
    return 0;
}

static size_t count_forced(const struct memo *m, const float *d)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_reservoir; i++) {
        const float *row = d + i * m->n_classes;
        n += is_forced(m, row, row[nearest_benign(m, row)]);
    }
    return n;
}

/* Shrinks class c so that at most `share` reservoir rows nearer to it than
 * to benign fall inside its radius. v is scratch of n_reservoir floats. */
static void cap_radius(struct memo *m, size_t c, const float *d, size_t share,
                       float *v)
{
    size_t k = 0, inside = 0;
    for (size_t i = 0; i < m->n_reservoir; i++) {
        const float *row = d + i * m->n_classes;
        if (row[c] < row[nearest_benign(m, row)]) {
            v[k++] = row[c];
            inside += row[c] <= m->cls[c].radius;
        }
    }
    if (inside <= share)
        return;
    memo_quantile(v, k, 0);  /* sorts */
    m->cls[c].radius = nextafterf(v[share], 0);
}

static void cap_attacks(struct memo *m, const float *d, size_t budget,
                        float *v)
{
    size_t n_att = m->n_classes - memo_benign_count(m);
    if (n_att == 0)
        return;
    size_t share = budget / 2 / n_att;
    for (size_t c = 0; c < m->n_classes; c++) {
        if (!is_benign(m, (int32_t)c))
            cap_radius(m, c, d, share, v);
    }
}

/* The smallest radius per benign class leaving `allowed` of its
 * non-forced rows outside, the allowance split in proportion to rows. */
static void set_benign_radii(struct memo *m, const float *d, size_t allowed,
                             size_t n_free, float *v)
{
    for (size_t b = 0; b < m->n_classes; b++) {
        size_t k = 0;
        if (!is_benign(m, (int32_t)b))
            continue;
        for (size_t i = 0; i < m->n_reservoir; i++) {
            const float *row = d + i * m->n_classes;
            float db = row[nearest_benign(m, row)];
            if (nearest_benign(m, row) == (int32_t)b &&
                !is_forced(m, row, db))
                v[k++] = row[b];
        }
        if (k == 0)
            continue;
        size_t out = (size_t)((double)allowed * (double)k / (double)n_free);
        out = out >= k ? k - 1 : out;
        memo_quantile(v, k, 0);
        m->cls[b].radius = v[k - 1 - out];
    }
}

int memo_calibrate_benign(struct memo *m, float target)
{
    if (memo_benign_count(m) == 0 || m->n_reservoir == 0)
        return err_set(ERR_STATE, "benign calibration needs a benign class "
                       "and held-out benign rows");
    if (!(target >= 0 && target < 1))
        return err_set(ERR_INVALID, "--benign-fpr must be in [0, 1)");
    float *d = reservoir_distances(m);
    float *v = malloc(m->n_reservoir * sizeof(float));
    if (d == NULL || v == NULL) {
        free(d);
        free(v);
        return err_set(ERR_NOMEM, "class memory: out of memory");
    }
    size_t n = m->n_reservoir;
    size_t budget = (size_t)floor((double)target * (double)n);
    if (count_forced(m, d) > budget / 2)
        cap_attacks(m, d, budget, v);
    size_t forced = count_forced(m, d);
    size_t allowed = budget > forced ? budget - forced : 0;
    set_benign_radii(m, d, allowed, n - forced, v);
    m->benign_fpr_target = target;
    m->benign_fpr = memo_benign_fpr(m);
    free(d);
    free(v);
    return 0;
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

/* Rows decided benign without class idx that idx would take (it is inside
 * their benign distance); their distances to idx go into v. */
static size_t stolen_rows(const struct memo *m, size_t idx, const float *d,
                          float *v, size_t *alerts_before)
{
    float *row = malloc(m->n_classes * sizeof(float));
    struct memo_decision dec;
    size_t k = 0;

    *alerts_before = 0;
    for (size_t i = 0; row != NULL && i < m->n_reservoir; i++) {
        memcpy(row, d + i * m->n_classes, m->n_classes * sizeof(float));
        float d_new = row[idx];
        row[idx] = INFINITY;
        memo_decide_from(m, row, &dec);
        if (!is_benign(m, dec.cls))
            (*alerts_before)++;
        else if (d_new < dec.dist)
            v[k++] = d_new;
    }
    free(row);
    return k;
}

void memo_guard_benign(struct memo *m, size_t idx)
{
    if (m->n_reservoir == 0 || memo_benign_count(m) == 0)
        return;
    float *d = reservoir_distances(m);
    float *v = malloc(m->n_reservoir * sizeof(float));
    size_t before = 0, k = 0;
    if (d != NULL && v != NULL)
        k = stolen_rows(m, idx, d, v, &before);
    size_t budget = (size_t)floor((double)m->benign_fpr_target *
                                  (double)m->n_reservoir);
    size_t extra = budget > before ? budget - before : 0;
    size_t inside = 0;
    for (size_t i = 0; i < k; i++)
        inside += v[i] <= m->cls[idx].radius;
    if (inside > extra) {
        memo_quantile(v, k, 0);
        m->cls[idx].radius = nextafterf(v[extra], 0);
    }
    free(d);
    free(v);
}
