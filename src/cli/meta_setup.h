/*
 * Shared by `fewflow train` and `fewflow eval`: loading a protocol's data,
 * splitting it into meta-training, validation and test tables, and the
 * training progress bar.
 */
#ifndef FEWFLOW_CLI_META_SETUP_H
#define FEWFLOW_CLI_META_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/normalizer.h"
#include "fewflow/progress.h"
#include "fewflow/protocol.h"
#include "fewflow/schema.h"
#include "fewflow/table.h"

#define META_MAX_FILES 256

/* Data files named on the command line (after --data) or by a protocol. */
struct meta_files {
    char *paths[META_MAX_FILES];
    size_t n;
    int owned;                 /* paths were malloc'd (from a protocol) */
};

/* Consumes `--data F1 F2 ...`: optarg and the non-option words after it.
 * Returns 0 or a usage error status. */
int meta_files_take(struct meta_files *f, int argc, char **argv,
                    const char *optarg_value, const char *cmd);
void meta_files_fini(struct meta_files *f);

/* The meta-training split of a table. Tables are owned. */
struct meta_split {
    struct table *train;       /* training classes, minus held-out rows */
    struct table *val;         /* validation rows, or NULL */
    struct table *test;        /* test classes */
    struct normalizer *nz;     /* fitted on `train` only */
};

/*
 * Splits t by the protocol: val rows are the val classes, or a
 * val_fraction of each training class's rows drawn with seed. Fits the
 * normaliser on the training rows and applies it to all three tables.
 * A class named by the protocol but absent from t is ERR_NOTFOUND.
 */
int meta_split_build(const struct table *t, const struct protocol *p,
                     uint64_t seed, struct meta_split *s);
void meta_split_fini(struct meta_split *s);

/* A table of the rows of t whose class is one of names (copied). */
struct table *meta_table_classes(const struct table *t, char *const *names,
                                 size_t n);

/* Class ids 0..n_classes-1 of t that have at least min_rows rows; logs a
 * warning for each one dropped. Returns the count kept in ids. */
size_t meta_classes_with_rows(const struct table *t, size_t min_rows,
                              int32_t *ids, const char *what);

/* Training progress: a bar with loss and validation accuracy. */
struct meta_bar {
    struct progress bar;
    double last_val;
};
void meta_bar_update(void *ctx, size_t step, size_t total, float loss,
                     double val_acc);

#endif
