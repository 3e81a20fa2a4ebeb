/*
 * Reading flow datasets into feature tables.
 *
 * data_load() reads one or many CSV files (plain, .gz or .xz) of one
 * dataset into one table and fits a schema on them; data_load_with()
 * reads further files with an existing schema (evaluation, detection).
 * The dataset profile is detected from the header or named in the
 * options; see include/fewflow/schema.h for the encoding and
 * docs/data.md for the profiles.
 *
 * Errors name the file and line: "x.csv:17: expected 43 fields, found 41".
 * Nothing is returned on failure (no half-filled table): the output
 * pointers are set to NULL. The data module
 * does not log; long loads report through an optional callback.
 */
#ifndef FEWFLOW_DATA_H
#define FEWFLOW_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/schema.h"
#include "fewflow/table.h"

/*
 * The stable snake_case name of a column header, shared with the capture
 * module's flow features. The rule: drop a UTF-8 BOM, lower-case ASCII
 * letters, keep ASCII digits, turn every run of other bytes (spaces,
 * punctuation, '/', non-ASCII) into one '_', and strip '_' from both ends.
 * "Flow Bytes/s" -> "flow_bytes_s", " Fwd Packet Length Max" ->
 * "fwd_packet_length_max", "Init_Win_bytes_forward" ->
 * "init_win_bytes_forward". Returns 0, ERR_INVALID when the header has no
 * letter or digit, or ERR_RANGE when out (len bytes) is too small.
 */
int data_column_snake(const char *header, char *out, size_t len);

/* Called now and then while loading: bytes of input read so far. */
typedef void (*data_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct csv_record;

/*
 * Sees the records as the loader reads them, so that a caller keeps
 * columns the schema drops (addresses, ports, times) beside the table in
 * the same pass instead of reading the files again. on_header gets each
 * file's header record (NULL for a headerless file); on_row each data
 * record and the table row it becomes. A non-zero return stops the load
 * with that code. Either may be NULL.
 */
typedef int (*data_header_fn)(void *ctx, const struct csv_record *header,
                              const char *file);
typedef int (*data_row_fn)(void *ctx, size_t row,
                           const struct csv_record *rec, const char *file);

struct data_options {
    const char *profile;   /* NULL or "auto": detect from the header */
    const char *label;     /* label column; NULL: the profile's */
    const char *const *drop;        /* extra columns to drop */
    size_t n_drop;
    const char *const *categorical; /* extra categorical columns */
    size_t n_categorical;
    int label_family;      /* NSL-KDD: label by attack family */
    int no_label;          /* the data has no label column */
    data_progress_fn progress;
    void *progress_ctx;
    data_header_fn on_header;
    data_row_fn on_row;
    void *records_ctx;
};

void data_options_init(struct data_options *o);

/* What a load saw besides the table, for `fewflow data inspect`. */
struct data_stats {
    size_t n_files;
    size_t n_rows;
    size_t n_raw;             /* raw columns (the schema's) */
    uint64_t *nonfinite;      /* per raw column: NaN or infinite values */
    uint64_t *empty;          /* per raw column: empty fields */
    uint64_t *unseen;         /* per raw column: values mapped to <other> */
    uint64_t dup_lines;       /* rows whose fields equal an earlier row's */
    uint64_t dup_features;    /* rows whose encoded features do */
    uint64_t dup_conflicts;   /* of those, rows whose label differs */
};

/* Frees the arrays of stats (not stats itself). */
void data_stats_fini(struct data_stats *st);

/*
 * Loads files paths[0..n) into one table and fits a schema. `stats` may be
 * NULL; when given it is filled (free with data_stats_fini). On success
 * *schema_out and *table_out are owned by the caller. Returns 0 or an
 * ERR_* code (ERR_NOTFOUND for a missing file or column, ERR_PARSE for
 * malformed input, ERR_IO for read or decompression failures).
 */
int data_load(const char *const *paths, size_t n,
              const struct data_options *opt, struct schema **schema_out,
              struct table **table_out, struct data_stats *stats);

/*
 * Loads files with an existing schema: columns are matched by snake_case
 * name, in any order; a required column that is absent is an error naming
 * it. The label column may be absent (rows get class -1). Class names
 * follow first appearance in these files.
 */
int data_load_with(const char *const *paths, size_t n,
                   const struct schema *s, const struct data_options *opt,
                   struct table **table_out, struct data_stats *stats);

/*
 * Loads one in-memory buffer (plain, gzip or xz bytes) named `name` in
 * errors: with s == NULL it fits a schema into *schema_out, otherwise it
 * encodes with s and leaves *schema_out alone (it may then be NULL).
 */
int data_load_buffer(const void *data, size_t len, const char *name,
                     const struct schema *s, const struct data_options *opt,
                     struct schema **schema_out, struct table **table_out);

/* Rows of t whose features equal an earlier row's (exact comparison). */
uint64_t data_table_duplicates(const struct table *t, uint64_t *conflicts);

#endif
