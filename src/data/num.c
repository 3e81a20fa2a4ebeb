#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/num.h"

const double num_pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_special(const char *s, size_t len)
{
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        s++;
        len--;
    }
    if ((len == 3 && strncasecmp(s, "nan", 3) == 0) ||
        (len == 3 && strncasecmp(s, "inf", 3) == 0) ||
        (len == 8 && strncasecmp(s, "infinity", 8) == 0))
        return NUM_NONFINITE;
    return NUM_INVALID;
}

/* Everything strtod would accept that we do not take the fast path for;
 * the syntax was checked already, so only the value is computed here. */
static int parse_slow(const char *s, size_t len, double *out)
{
    char buf[512];

    if (len >= sizeof(buf))
        return NUM_INVALID;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    double v = strtod(buf, NULL);
    if (errno == ERANGE && fabs(v) > 1.0)
        v = v > 0 ? DBL_MAX : -DBL_MAX;
    *out = v;
    return NUM_FINITE;
}

struct num_parts {
    uint64_t mant;
    int digits;           /* significant digits held in mant */
    int exp10;            /* decimal exponent applied to mant */
    int overflow;         /* more digits than mant can hold */
};

/* Scans digits[.digits]; returns the index after them or -1. */
static long scan_mantissa(const char *s, size_t len, size_t i,
                          struct num_parts *np)
{
    size_t start = i;
    int seen = 0;

    for (int frac = 0; i < len; i++) {
        if (s[i] == '.' && !frac) {
            frac = 1;
            continue;
        }
        if (!is_digit(s[i]))
            break;
        seen = 1;
        if (np->mant == 0 && s[i] == '0') {
            np->exp10 -= frac;
            continue;
        }
        if (np->digits < 19) {
            np->mant = np->mant * 10 + (uint64_t)(s[i] - '0');
            np->digits++;
            np->exp10 -= frac;
        } else {
            np->overflow = 1;
            np->exp10 += !frac;
        }
    }
    if (!seen || (i - start == 1 && s[start] == '.'))
        return -1;
    return (long)i;
}

/* Scans an optional exponent; returns the index after it or -1. */
static long scan_exponent(const char *s, size_t len, size_t i, int *e)
{
    int sign = 1, val = 0, seen = 0;

    if (i >= len || (s[i] != 'e' && s[i] != 'E'))
        return (long)i;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        sign = s[i++] == '-' ? -1 : 1;
    for (; i < len && is_digit(s[i]); i++) {
        seen = 1;
        if (val < 100000)
            val = val * 10 + (s[i] - '0');
    }
    if (!seen)
        return -1;
    *e = sign * val;
    return (long)i;
}

int num_parse(const char *s, size_t len, double *out)
{
    struct num_parts np = { 0, 0, 0, 0 };
    int neg = 0, e = 0;

    if (num_parse_simple(s, len, out))
        return NUM_FINITE;
    while (len > 0 && is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len == 0)
        return NUM_EMPTY;
    size_t i = 0;
    if (s[0] == '+' || s[0] == '-')
        neg = s[i++] == '-';
    long m = scan_mantissa(s, len, i, &np);
    if (m < 0)
        return parse_special(s, len);
    long x = scan_exponent(s, len, (size_t)m, &e);
    if (x < 0 || (size_t)x != len)
        return NUM_INVALID;
    int p = np.exp10 + e;
    if (np.overflow || np.mant > (1ULL << 53) || p < -22 || p > 22)
        return parse_slow(s, len, out);
    double v = (double)np.mant;
    v = p < 0 ? v / num_pow10_exact[-p] : v * num_pow10_exact[p];
    *out = neg ? -v : v;
    return NUM_FINITE;
}
