/*
 * Internal: decimal number parsing for CSV fields. Faster than strtod for
 * the common case (at most 19 significant digits and a decimal exponent
 * within +-22, which Clinger's method converts exactly) and falling back to
 * strtod otherwise. Locale-independent: '.' is always the decimal point.
 */
#ifndef FEWFLOW_DATA_NUM_H
#define FEWFLOW_DATA_NUM_H

#include <stddef.h>

enum num_kind {
    NUM_FINITE = 0,       /* *out holds the value (overflow -> +-DBL_MAX) */
    NUM_NONFINITE = 1,    /* NaN, Inf, Infinity, either sign, any case */
    NUM_EMPTY = 2,        /* empty or only spaces */
    NUM_INVALID = -1,     /* anything else */
};

/* Parses s[0..len) with optional surrounding spaces. */
int num_parse(const char *s, size_t len, double *out);

#endif
