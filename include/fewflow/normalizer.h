/*
 * Per-feature standardisation, fitted on the rows it is given (usually the
 * training classes only) and stored in the model.
 *
 * For column j: z = (g(x) - mean[j]) / scale[j], where g is log1p(max(x, 0))
 * when use_log[j] is set and the identity otherwise. use_log is decided at
 * fit time for heavy-tailed non-negative columns: every fitted value >= 0,
 * the maximum above 1, and sample skewness above NORMALIZER_LOG_SKEW.
 * scale is the population standard deviation of g(x) over the fitted rows,
 * or 1 for a constant column (so its fitted rows map to 0). Outputs are
 * clamped to +-NORMALIZER_CLAMP so an absurd value in new traffic cannot
 * overflow the encoder; statistics are accumulated in double.
 *
 * Ownership: normalizer_fit/normalizer_read return an owned normalizer
 * freed by normalizer_destroy. Applying is read-only and thread-safe.
 */
#ifndef FEWFLOW_NORMALIZER_H
#define FEWFLOW_NORMALIZER_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/bytes.h"
#include "fewflow/table.h"

#define NORMALIZER_LOG_SKEW 2.0
#define NORMALIZER_CLAMP 1e4f

struct normalizer {
    size_t n_cols;
    uint8_t *use_log;     /* n_cols flags */
    double *mean;         /* n_cols, of g(x) */
    double *scale;        /* n_cols, > 0 */
};

/*
 * Fits on rows[0..n_rows) of t (all rows when rows is NULL). With
 * allow_log == 0 no column gets log1p. NULL on failure (ERR_NOMEM, or
 * ERR_INVALID when no row is given).
 */
struct normalizer *normalizer_fit(const struct table *t, const size_t *rows,
                                  size_t n_rows, int allow_log);

/* Fits on the rows whose class id is one of ids[0..n_ids). */
struct normalizer *normalizer_fit_classes(const struct table *t,
                                          const int32_t *ids, size_t n_ids,
                                          int allow_log);

void normalizer_destroy(struct normalizer *nz);

/* Standardises n_rows rows of n_cols values in place (row-major). Non-finite
 * inputs are treated as 0. */
void normalizer_apply(const struct normalizer *nz, float *x, size_t n_rows);

/* The same on a whole table; ERR_INVALID when the column counts differ. */
int normalizer_apply_table(const struct normalizer *nz, struct table *t);

/* One standardised value back to original units (for explanations). Exact
 * up to float rounding unless the value was clamped or, for a log column,
 * negative before the transform. */
float normalizer_inverse_value(const struct normalizer *nz, size_t col,
                               float z);

/* normalizer_inverse_value over n_rows rows in place. */
void normalizer_inverse(const struct normalizer *nz, float *x, size_t n_rows);

/* Serialises (bit-exact doubles). 0 or ERR_NOMEM. */
int normalizer_write(const struct normalizer *nz, struct bytes_writer *w);

/* 0, or ERR_FORMAT with "offset N: ..." recorded. */
int normalizer_read(struct bytes_reader *r, struct normalizer **out);

#endif
