/*
 * A schema: how raw columns of a flow dataset became the encoded columns of
 * a feature table, kept so that new rows (more CSV files, flows from the
 * capture module) are encoded exactly the same way later. A model file
 * embeds it (schema_write/schema_read).
 *
 * What it records: the dataset profile, every raw column by its snake_case
 * name (data_column_snake) with its role (numeric feature, categorical
 * feature, label, dropped), the vocabulary of each categorical column, the
 * label column and label mapping, and the encoded column names. Encoding:
 *   - numeric column `x`: one column `x`; its value parsed as a double and
 *     clamped to the float range (+-3.4e38);
 *   - non-finite policy: an empty field, NaN, Inf/Infinity (either sign)
 *     encodes as 0, and when the fitting data held any such value in
 *     column `x` the schema adds an indicator column `x=<nonfinite>` that
 *     is 1 for those rows and 0 otherwise. The same rule applies when
 *     encoding later; a column without an indicator still encodes 0;
 *   - categorical column `c`: one-hot columns `c=VALUE` for each value seen
 *     when fitting (first-seen order, at most SCHEMA_MAX_VOCAB values) plus
 *     `c=<other>` for any value not in the vocabulary.
 * docs/data.md states the profiles and the naming rule in full.
 *
 * Ownership: schema_* constructors return an owned schema that
 * schema_destroy frees; names returned are borrowed until then. A schema is
 * read-only once built, so concurrent encoding with one schema is safe.
 */
#ifndef FEWFLOW_SCHEMA_H
#define FEWFLOW_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/bytes.h"

#define SCHEMA_MAX_VOCAB 1024

struct schema;

enum schema_role {
    SCHEMA_ROLE_NUMERIC = 0,
    SCHEMA_ROLE_CATEGORICAL = 1,
    SCHEMA_ROLE_LABEL = 2,
    SCHEMA_ROLE_DROPPED = 3,
};

void schema_destroy(struct schema *s);

/* A deep copy, or NULL (ERR_NOMEM). */
struct schema *schema_clone(const struct schema *s);

/* Profile name: "nsl-kdd", "unsw-nb15", "cic-ids2017-improved",
 * "cic-ids2017-mlcve" or "generic". */
const char *schema_profile(const struct schema *s);

/* Encoded columns: count and names (the table's col_names). */
size_t schema_n_cols(const struct schema *s);
const char *schema_col_name(const struct schema *s, size_t i);

/* Raw columns in the order the first fitted file had them. */
size_t schema_n_raw(const struct schema *s);
const char *schema_raw_name(const struct schema *s, size_t i);
enum schema_role schema_raw_role(const struct schema *s, size_t i);
/* Vocabulary size of a categorical raw column (0 for other roles). */
size_t schema_raw_vocab_size(const struct schema *s, size_t i);

/* The label column's snake_case name, or NULL when rows carry no label. */
const char *schema_label_column(const struct schema *s);

/* Whether NSL-KDD labels are mapped to their attack family. */
int schema_label_family(const struct schema *s);

/*
 * Maps a raw label field to the class name a table stores (trimmed; the
 * NSL-KDD family when the schema says so). Writes into out; 0, or ERR_RANGE
 * when out is too small, or ERR_INVALID for an empty label.
 */
int schema_label_map(const struct schema *s, const char *raw, char *out,
                     size_t len);

/*
 * Encodes one raw row given as (name, value) text pairs into out, which
 * holds schema_n_cols(s) floats. Names are matched through
 * data_column_snake, so "Flow Duration" and "flow_duration" both match.
 * Pairs for dropped, label or unknown columns are ignored. Returns 0,
 * ERR_NOTFOUND naming the first required column that is absent, or
 * ERR_PARSE naming the column whose value is not a number. Thread-safe.
 */
int schema_encode_pairs(const struct schema *s, size_t n,
                        const char *const *names, const char *const *values,
                        float *out);

/*
 * The same for numeric values (the capture module's flows): NaN and
 * infinities follow the non-finite policy. A categorical column among the
 * schema's features must then come as text: this returns ERR_INVALID
 * naming it. Returns 0, ERR_NOTFOUND or ERR_INVALID.
 */
int schema_encode_numeric(const struct schema *s, size_t n,
                          const char *const *names, const double *values,
                          float *out);

/* Serialises a schema (versioned; see docs/data.md). 0 or ERR_NOMEM. */
int schema_write(const struct schema *s, struct bytes_writer *w);

/* Reads what schema_write wrote. 0, or ERR_FORMAT with "offset N: ..."
 * recorded when the bytes are damaged or of another version. */
int schema_read(struct bytes_reader *r, struct schema **out);

#endif
