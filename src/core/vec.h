/*
 * Small dense-vector helpers shared by modules that compare rows one at a
 * time (k-means, class memory, few-shot baselines). Batched distances go
 * through BLAS instead (see src/detect/decide.c).
 */
#ifndef FEWFLOW_CORE_VEC_H
#define FEWFLOW_CORE_VEC_H

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

#endif
