/*
 * The test set of `fewflow eval --openset`, rebuilt outside the CLI for
 * the ceiling benches (bench/openset_oracle.c, bench/openset_overlap.c):
 * the same data files, the same split of the known classes' rows, the
 * same class memory (detector_fit_memo with eval's options and seed),
 * the same test rows in the same order, and the connection links of
 * src/cli/eval_conn.c. A second class memory is fitted the same way on
 * the normalised inputs instead of the embeddings.
 *
 * Glossary: x = normalised input row (n_in floats), z = embedding (dim).
 */
#ifndef FEWFLOW_BENCH_ORACLE_H
#define FEWFLOW_BENCH_ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "cli/eval_conn.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/table.h"

struct oracle_set {
    struct detector *d;
    struct table *t;          /* raw rows, every class */
    struct memo *mx;          /* the class memory in input space */
    float *x, *z;             /* test rows: n × n_in, n × dim */
    int32_t *y;               /* table class ids */
    size_t *row;              /* table row of each test row */
    size_t n;
    int32_t *known_of;        /* class id → memory index, -1 novel */
    struct eval_conn conn;
    struct eval_conn_rows conn_rows;
};

/* Loads MODEL's data and rebuilds eval's test set with seed. 0 or ERR_*
 * (err_msg says why). */
int oracle_set_load(struct oracle_set *s, const char *model, uint64_t seed);
void oracle_set_fini(struct oracle_set *s);

/* Every table row normalised (*x, n_rows × n_in) and embedded (*z,
 * n_rows × dim), both malloc'd. 0 or ERR_*. */
int oracle_all_rows(const struct oracle_set *s, float **x, float **z);

#endif
