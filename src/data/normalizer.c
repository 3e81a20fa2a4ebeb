/*
 * Standardisation with an optional log1p, fitted in double precision with
 * two passes (mean, then centred moments) so the result does not depend on
 * the magnitude of the data.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/normalizer.h"

#define NORMALIZER_MAGIC 0x4d524e46u /* "FNRM" */
#define NORMALIZER_VERSION 1u
#define NORMALIZER_MAX_COLS (1u << 24)

static struct normalizer *nz_alloc(size_t n_cols)
{
    struct normalizer *nz = calloc(1, sizeof(*nz));
    if (nz == NULL)
        return NULL;
    nz->n_cols = n_cols;
    nz->use_log = calloc(n_cols + 1, 1);
    nz->mean = calloc(n_cols + 1, sizeof(double));
    nz->scale = calloc(n_cols + 1, sizeof(double));
    if (nz->use_log == NULL || nz->mean == NULL || nz->scale == NULL) {
        normalizer_destroy(nz);
        return NULL;
    }
    return nz;
}

void normalizer_destroy(struct normalizer *nz)
{
    if (nz == NULL)
        return;
    free(nz->use_log);
    free(nz->mean);
    free(nz->scale);
    free(nz);
}

static double finite_or_zero(float v)
{
    return isfinite(v) ? (double)v : 0.0;
}

static double transform(int use_log, double x)
{
    return use_log ? log1p(x > 0.0 ? x : 0.0) : x;
}

struct moments {
    double mean, m2, m3, min, max;
};

/* Mean, centred second and third moments, min and max of g(x) over the
 * given rows of column j. */
static struct moments column_moments(const struct table *t, const size_t *rows,
                                     size_t n, size_t j, int use_log)
{
    struct moments m = { 0.0, 0.0, 0.0, INFINITY, -INFINITY };

    for (size_t k = 0; k < n; k++) {
        size_t i = rows != NULL ? rows[k] : k;
        double x = transform(use_log, finite_or_zero(table_row(t, i)[j]));
        m.mean += x;
        m.min = x < m.min ? x : m.min;
        m.max = x > m.max ? x : m.max;
    }
    m.mean /= (double)n;
    for (size_t k = 0; k < n; k++) {
        size_t i = rows != NULL ? rows[k] : k;
        double d = transform(use_log, finite_or_zero(table_row(t, i)[j]))
                   - m.mean;
        m.m2 += d * d;
        m.m3 += d * d * d;
    }
    m.m2 /= (double)n;
    m.m3 /= (double)n;
    return m;
}

static int wants_log(const struct moments *m)
{
    if (m->min < 0.0 || m->max <= 1.0 || m->m2 <= 0.0)
        return 0;
    return m->m3 / pow(m->m2, 1.5) > NORMALIZER_LOG_SKEW;
}

static void fit_column(struct normalizer *nz, const struct table *t,
                       const size_t *rows, size_t n, size_t j, int allow_log)
{
    struct moments m = column_moments(t, rows, n, j, 0);

    nz->use_log[j] = (uint8_t)(allow_log && wants_log(&m));
    if (nz->use_log[j])
        m = column_moments(t, rows, n, j, 1);
    double sd = sqrt(m.m2);
    nz->mean[j] = m.mean;
    nz->scale[j] = sd > 0.0 && isfinite(sd) ? sd : 1.0;
}

struct normalizer *normalizer_fit(const struct table *t, const size_t *rows,
                                  size_t n_rows, int allow_log)
{
    if (rows == NULL)
        n_rows = t->n_rows;
    if (n_rows == 0) {
        err_set(ERR_INVALID, "normaliser: no rows to fit on");
        return NULL;
    }
    for (size_t k = 0; rows != NULL && k < n_rows; k++) {
        if (rows[k] >= t->n_rows) {
            err_set(ERR_RANGE, "normaliser: row %zu out of range", rows[k]);
            return NULL;
        }
    }
    struct normalizer *nz = nz_alloc(t->n_cols);
    if (nz == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t j = 0; j < t->n_cols; j++)
        fit_column(nz, t, rows, n_rows, j, allow_log);
    return nz;
}

struct normalizer *normalizer_fit_classes(const struct table *t,
                                          const int32_t *ids, size_t n_ids,
                                          int allow_log)
{
    size_t *rows = malloc((t->n_rows + 1) * sizeof(size_t));
    size_t n = 0;

    if (rows == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        for (size_t k = 0; k < n_ids; k++) {
            if (t->y[i] == ids[k]) {
                rows[n++] = i;
                break;
            }
        }
    }
    struct normalizer *nz = n > 0 ? normalizer_fit(t, rows, n, allow_log)
                                  : NULL;
    if (n == 0)
        err_set(ERR_INVALID, "normaliser: no rows in the given classes");
    free(rows);
    return nz;
}

static float clamp_z(double z)
{
    if (z > NORMALIZER_CLAMP)
        return NORMALIZER_CLAMP;
    if (z < -NORMALIZER_CLAMP)
        return -NORMALIZER_CLAMP;
    return (float)z;
}

void normalizer_apply(const struct normalizer *nz, float *x, size_t n_rows)
{
    size_t n = nz->n_cols;

    for (size_t i = 0; i < n_rows; i++) {
        float *row = x + i * n;
        for (size_t j = 0; j < n; j++) {
            double g = transform(nz->use_log[j], finite_or_zero(row[j]));
            row[j] = clamp_z((g - nz->mean[j]) / nz->scale[j]);
        }
    }
}

int normalizer_apply_table(const struct normalizer *nz, struct table *t)
{
    if (t->n_cols != nz->n_cols)
        return err_set(ERR_INVALID, "normaliser has %zu columns, table %zu",
                       nz->n_cols, t->n_cols);
    normalizer_apply(nz, t->x, t->n_rows);
    return 0;
}

float normalizer_inverse_value(const struct normalizer *nz, size_t col,
                               float z)
{
    double g = (double)z * nz->scale[col] + nz->mean[col];
    return (float)(nz->use_log[col] ? expm1(g) : g);
}

void normalizer_inverse(const struct normalizer *nz, float *x, size_t n_rows)
{
    for (size_t i = 0; i < n_rows; i++) {
        for (size_t j = 0; j < nz->n_cols; j++) {
            float *v = x + i * nz->n_cols + j;
            *v = normalizer_inverse_value(nz, j, *v);
        }
    }
}

int normalizer_write(const struct normalizer *nz, struct bytes_writer *w)
{
    bytes_put_u32(w, NORMALIZER_MAGIC);
    bytes_put_u32(w, NORMALIZER_VERSION);
    bytes_put_u64(w, nz->n_cols);
    for (size_t j = 0; j < nz->n_cols; j++) {
        bytes_put_u8(w, nz->use_log[j]);
        bytes_put_f64(w, nz->mean[j]);
        bytes_put_f64(w, nz->scale[j]);
    }
    if (bytes_writer_status(w) != 0)
        return err_set(ERR_NOMEM, "out of memory writing a normaliser");
    return 0;
}

static int nz_bad(struct bytes_reader *r, const char *what)
{
    if (!r->failed)
        bytes_reader_fail(r);
    return err_set(ERR_FORMAT, "offset %zu: normaliser: %s", r->fail_pos,
                   what);
}

static int read_column(struct bytes_reader *r, struct normalizer *nz,
                       size_t j)
{
    uint8_t lg = bytes_get_u8(r);
    double mean = bytes_get_f64(r);
    double scale = bytes_get_f64(r);

    if (r->failed)
        return nz_bad(r, "truncated");
    if (lg > 1 || !isfinite(mean) || !isfinite(scale) || !(scale > 0.0))
        return nz_bad(r, "bad column parameters");
    nz->use_log[j] = lg;
    nz->mean[j] = mean;
    nz->scale[j] = scale;
    return 0;
}

int normalizer_read(struct bytes_reader *r, struct normalizer **out)
{
    *out = NULL;
    if (bytes_get_u32(r) != NORMALIZER_MAGIC)
        return nz_bad(r, "not a normaliser");
    if (bytes_get_u32(r) != NORMALIZER_VERSION)
        return nz_bad(r, "unsupported version");
    uint64_t n = bytes_get_u64(r);
    if (r->failed || n == 0 || n > NORMALIZER_MAX_COLS ||
        n * 17 > r->len - r->pos)
        return nz_bad(r, "bad column count");
    struct normalizer *nz = nz_alloc((size_t)n);
    if (nz == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < n; j++) {
        int rc = read_column(r, nz, j);
        if (rc != 0) {
            normalizer_destroy(nz);
            return rc;
        }
    }
    *out = nz;
    return 0;
}
