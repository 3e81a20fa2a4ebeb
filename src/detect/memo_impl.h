/*
 * Internals shared by the detect module's files; not a public API.
 */
#ifndef FEWFLOW_MEMO_IMPL_H
#define FEWFLOW_MEMO_IMPL_H

#include "fewflow/detect.h"

/* The open-set decision from per-class distances (n_classes floats). */
void memo_decide_from(const struct memo *m, const float *dist,
                      struct memo_decision *out);

/* Total prototypes over all classes. */
size_t memo_total_protos(const struct memo *m);

/* Distance from z to class c alone. */
void memo_distances_one(const struct memo *m, size_t c, const float *z,
                        float *dist);

/*
 * After a non-benign class idx was added: shrinks its radius so that the
 * reservoir rows it takes from benign classes do not push the false-alarm
 * rate over the target (or over what it already was, when higher).
 */
void memo_guard_benign(struct memo *m, size_t idx);

#endif
