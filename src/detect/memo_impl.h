/*
 * Internals shared by the detect module's files; not a public API.
 */
#ifndef FEWFLOW_MEMO_IMPL_H
#define FEWFLOW_MEMO_IMPL_H

#include "fewflow/detect.h"

/* Total prototypes over all classes. */
size_t memo_total_protos(const struct memo *m);

/* Distance from z to class c alone. */
void memo_distances_one(const struct memo *m, size_t c, const float *z,
                        float *dist);

/* Distance, ratio and radius of z for class c alone. */
void memo_evaluate_one(const struct memo *m, size_t c, const float *z,
                       struct memo_eval *ev);

/* Below this many held-out rows a prototype takes its class's scale. */
#define MIN_ROWS_PER_PROTO 8

/* Per-prototype scales (median row distance), see calibrate.c. */
void memo_proto_scales(const struct memo_class *c, const float *d,
                       const uint32_t *who, size_t n, float *tmp,
                       float *scale);

/* Per-prototype radii of class idx from n held-out rows (calibrate.c). */
int memo_fit_radii(struct memo *m, size_t idx, const float *rows, size_t n,
                   float coverage);

/* Twice the median distance from each of k (2 .. MEMO_ENROLL_CALIBRATE)
 * support embeddings to its nearest other one; 0 otherwise (kshot.c). */
float memo_support_spread(const float *z, size_t k, uint32_t d);

/* memo_class_add for a class read from a model file: a name that
 * collides with another's (memo_names_collide) but is not the same is
 * kept, as older fewflow versions wrote such memories. */
int memo_class_add_stored(struct memo *m, const char *name, uint32_t flags,
                          const float *protos, uint32_t n_protos,
                          float radius, const float *x_mean);

#endif
