/*
 * Small dense-vector helpers shared by modules that compare rows one at a
 * time (k-means, class memory, few-shot baselines). Batched distances go
 * through BLAS instead (see src/detect/decide.c).
 */
#ifndef FEWFLOW_CORE_VEC_H
#define FEWFLOW_CORE_VEC_H

#include <math.h>
#include <stddef.h>

/* Squared Euclidean distance of two d-vectors, accumulated in float. */
static inline float vec_sqdist(const float *a, const float *b, size_t d)
{
    float s = 0;
    for (size_t j = 0; j < d; j++) {
        float t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* The same, accumulated in double, for sums over many wide rows where
 * float rounding would decide ties. */
static inline double vec_sqdist_d(const float *a, const float *b, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = (double)a[j] - (double)b[j];
        s += t * t;
    }
    return s;
}

/* Softmax of n scores in place (the maximum is subtracted first, so no
 * score overflows exp); the result sums to 1. */
static inline void vec_softmax(float *p, size_t n)
{
    float mx = p[0], s = 0;
    for (size_t c = 1; c < n; c++)
        mx = p[c] > mx ? p[c] : mx;
    for (size_t c = 0; c < n; c++) {
        p[c] = expf(p[c] - mx);
        s += p[c];
    }
    for (size_t c = 0; c < n; c++)
        p[c] /= s;
}

/* The same in double. */
static inline void vec_softmax_d(double *z, size_t n)
{
    double mx = z[0], s = 0.0;
    for (size_t c = 1; c < n; c++)
        mx = z[c] > mx ? z[c] : mx;
    for (size_t c = 0; c < n; c++) {
        z[c] = exp(z[c] - mx);
        s += z[c];
    }
    for (size_t c = 0; c < n; c++)
        z[c] /= s;
}

#endif
