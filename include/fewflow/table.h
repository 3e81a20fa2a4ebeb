/*
 * The feature table: what every input (a flow CSV, a capture) becomes and
 * what every learner and detector reads.
 *
 * Rows are float32 features in named columns, row-major; each row has a
 * class id into class_names (-1 when unlabelled). Columns are already
 * encoded: categorical values are one-hot columns, identifiers are dropped.
 * How raw input became these columns is the data module's schema
 * (include/fewflow/schema.h), which a model stores to encode new rows the
 * same way later. Shapes: x is n_rows × n_cols.
 *
 * Ownership: a table owns x, y, col_names and class_names; table_destroy
 * frees them. Not thread-safe to modify; read-only sharing is safe.
 */
#ifndef FEWFLOW_TABLE_H
#define FEWFLOW_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct table {
    size_t n_rows;
    size_t n_cols;
    size_t cap_rows;      /* rows allocated in x and y */
    float *x;             /* n_rows × n_cols, row-major */
    int32_t *y;           /* n_rows class ids, -1 = no label */
    char **col_names;     /* n_cols snake_case names */
    char **class_names;   /* n_classes label strings */
    size_t n_classes;
};

/* An empty table with these columns (names are copied). NULL on failure. */
struct table *table_create(size_t n_cols, const char *const *col_names);
void table_destroy(struct table *t);

/* Appends one row of n_cols values with a label (NULL for none). The label
 * gets a class id, new labels a new id. Returns 0 or ERR_NOMEM. */
int table_append(struct table *t, const float *row, const char *label);

/* Room for n_rows rows without reallocation. 0 or ERR_NOMEM. */
int table_reserve(struct table *t, size_t n_rows);

/* The id of a class name, adding it when absent: the id, or ERR_NOMEM. */
int32_t table_class_add(struct table *t, const char *name);

/* The id of a class name, or -1 when absent. */
int32_t table_class_id(const struct table *t, const char *name);

/* The index of a column, or -1 when absent. */
long table_col_index(const struct table *t, const char *name);

/* Row i's features (borrowed, valid until the table changes). */
static inline const float *table_row(const struct table *t, size_t i)
{
    return t->x + i * t->n_cols;
}

/* Rows per class id: counts must hold n_classes entries. */
void table_class_counts(const struct table *t, size_t *counts);

/* A new table with the rows whose class is in keep[0..n_keep) (class names
 * keep their ids' order in `keep`). NULL on failure. */
struct table *table_select_classes(const struct table *t,
                                   const char *const *keep, size_t n_keep);

#endif
