#include <math.h>
#include <string.h>

#include "fewflow/detect.h"
#include "fewflow/err.h"

/*
 * Where the class memory lives. The encoder was meta-learnt to separate
 * the training classes, which is not the same as keeping apart classes it
 * never saw; the normalised input keeps what the encoder dropped. A
 * memory in [a·x, z] lets distances use both, with a chosen so that
 * neither part outweighs the other on the rows the memory was fitted on.
 */

static const char *const names[MEMO_SPACES] = { "z", "x", "xz" };

const char *memo_space_name(enum memo_space s)
{
    return (unsigned)s < MEMO_SPACES ? names[s] : "?";
}

int memo_space_parse(const char *v, enum memo_space *out)
{
    for (int s = 0; s < MEMO_SPACES; s++) {
        if (strcmp(v, names[s]) == 0) {
            *out = (enum memo_space)s;
            return 0;
        }
    }
    return ERR_INVALID;
}

uint32_t memo_space_dim(enum memo_space s, uint32_t n_in, uint32_t z_dim)
{
    switch (s) {
    case MEMO_SPACE_Z: return z_dim;
    case MEMO_SPACE_X: return n_in;
    case MEMO_SPACE_XZ: return n_in + z_dim;
    default: return 0;
    }
}

/* Σ_j of the population variance of column j of n rows w wide. */
static double total_variance(const float *v, uint32_t w, size_t n)
{
    double sum = 0;
    for (uint32_t j = 0; j < w; j++) {
        double mean = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            mean += v[i * w + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = v[i * w + j] - mean;
            ss += e * e;
        }
        sum += ss / (double)n;
    }
    return sum;
}

float memo_space_scale(const float *x, uint32_t n_in, const float *z,
                       uint32_t z_dim, size_t n)
{
    if (n < 2)
        return 1;
    double vx = total_variance(x, n_in, n), vz = total_variance(z, z_dim, n);
    double a = sqrt(vz / vx);
    return vx > 0 && vz > 0 && isfinite(a) && a > 0 ? (float)a : 1;
}

int memo_space_set(struct memo *m, enum memo_space s, float x_scale,
                   uint32_t z_dim)
{
    if (s != MEMO_SPACE_XZ)
        x_scale = 1;
    if (s == MEMO_SPACE_X)
        z_dim = 0;
    if ((unsigned)s >= MEMO_SPACES || !isfinite(x_scale) || !(x_scale > 0) ||
        memo_space_dim(s, m->n_in, z_dim) != m->dim)
        return err_set(ERR_INVALID, "class memory: a %s space of %u inputs "
                       "and %u encoder outputs is not %u wide",
                       memo_space_name(s), m->n_in, z_dim, m->dim);
    m->space = s;
    m->x_scale = x_scale;
    m->z_dim = z_dim;
    return 0;
}

void memo_space_map(const struct memo *m, const float *x, const float *z,
                    size_t n, float *out)
{
    uint32_t xw = m->space == MEMO_SPACE_Z ? 0 : m->n_in;
    float a = m->x_scale;

    for (size_t i = 0; i < n; i++) {
        float *o = out + i * m->dim;
        for (uint32_t j = 0; j < xw; j++)
            o[j] = a * x[i * m->n_in + j];
        if (m->z_dim > 0)
            memcpy(o + xw, z + i * m->z_dim, m->z_dim * sizeof(float));
    }
}
