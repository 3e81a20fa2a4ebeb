/*
 * Internals shared by conn.c and conn_table.c; not a public API.
 */
#ifndef FEWFLOW_CONN_IMPL_H
#define FEWFLOW_CONN_IMPL_H

#include <stdint.h>

#include "fewflow/conn.h"

/* Whether a and b have the same 5-tuple, in either direction (compared
 * in full). */
int conn_same_tuple(const struct conn_flow *a, const struct conn_flow *b);

/* A hash of the 5-tuple, the same for both directions. */
uint64_t conn_tuple_hash(const struct conn_flow *f);

#endif
