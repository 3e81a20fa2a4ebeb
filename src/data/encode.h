/*
 * Internal: turning one field into one raw value (see schema_impl.h for
 * the raw vector), shared by the loader and the pair encoders.
 */
#ifndef FEWFLOW_DATA_ENCODE_H
#define FEWFLOW_DATA_ENCODE_H

#include <float.h>
#include <math.h>
#include <stddef.h>

#include "data/schema_impl.h"

enum encode_status {
    ENCODE_OK = 0,
    ENCODE_NONFINITE = 1, /* NaN or infinite: raw value NaN */
    ENCODE_EMPTY = 2,     /* empty numeric field: raw value NaN */
    ENCODE_UNSEEN = 3,    /* categorical value not in the vocabulary: -1 */
    ENCODE_INVALID = -1,  /* text in a numeric column */
};

/* A double as a raw float: NaN stays NaN (non-finite), infinities become
 * NaN, finite values are clamped to +-FLT_MAX, and -0 becomes +0 so equal
 * rows compare equal bytewise. */
static inline float encode_number(double v)
{
    if (isnan(v) || isinf(v))
        return NAN;
    if (v > FLT_MAX)
        return FLT_MAX;
    if (v < -FLT_MAX)
        return -FLT_MAX;
    return (float)v + 0.0f;
}

/* Drops the blanks (spaces, tabs) around a categorical value, as the
 * number parser and the label do: " tcp " is the category "tcp". */
static inline void encode_trim(const char **f, size_t *len)
{
    while (*len > 0 && (**f == ' ' || **f == '\t')) {
        (*f)++;
        (*len)--;
    }
    while (*len > 0 && ((*f)[*len - 1] == ' ' || (*f)[*len - 1] == '\t'))
        (*len)--;
}

/* Encodes field f (len bytes) of raw column c into *out. */
int encode_field(const struct raw_col *c, const char *f, size_t len,
                 float *out);

#endif
