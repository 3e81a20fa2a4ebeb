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

extern const double num_pow10_exact[23];

/* Most fields are short unsigned decimals ("0", "12983", "0.06"): 1 when
 * s[0..len) is one with at most 15 digits, with the value in *out. The
 * digits form an integer exact in a double and 10^k is exact for k <= 22,
 * so one division rounds correctly (Clinger's fast path). */
static inline int num_parse_simple(const char *s, size_t len, double *out)
{
    const char *p = s, *e = s + len, *dot;
    unsigned long long v = 0;
    unsigned d;

    if (len == 1 && (d = (unsigned)(s[0] - '0')) <= 9) {
        *out = (double)d;
        return 1;
    }
    if (len == 0 || len > 16)
        return 0;
    while (p < e && (d = (unsigned)(*p - '0')) <= 9) {
        v = v * 10 + d;
        p++;
    }
    if (p == e) {
        if (len > 15)
            return 0;
        *out = (double)v;
        return 1;
    }
    if (*p != '.' || p == s || p + 1 == e)
        return 0;
    dot = ++p;
    while (p < e && (d = (unsigned)(*p - '0')) <= 9) {
        v = v * 10 + d;
        p++;
    }
    if (p != e)
        return 0;
    *out = (double)v / num_pow10_exact[e - dot];
    return 1;
}

/* Parses s[0..len) with optional surrounding spaces. */
int num_parse(const char *s, size_t len, double *out);

#endif
