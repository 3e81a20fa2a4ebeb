/*
 * Internals of the flow input (source.c, source_csv.c); not a public API.
 */
#ifndef FEWFLOW_SOURCE_IMPL_H
#define FEWFLOW_SOURCE_IMPL_H

#include "fewflow/detector.h"

/* Reads one flow CSV with the detector's schema; x holds n_in floats.
 * Stops after the row at which *stop (if not NULL) is found set. */
int detector_read_csv(struct detector *d, const char *path,
                      detector_flow_fn fn, void *user,
                      struct detector_input_stats *st, float *x,
                      volatile int *stop);

#endif
