/*
 * Internal: the loader's state, shared by load.c (reading files) and
 * load_rows.c (options, row storage, duplicate sets, finishing).
 */
#ifndef FEWFLOW_DATA_LOAD_IMPL_H
#define FEWFLOW_DATA_LOAD_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "data/bigbuf.h"
#include "data/schema_impl.h"
#include "fewflow/data.h"
#include "fewflow/table.h"

/* One feature field of a data record to encode: which field of the
 * current file, into which raw column, and whether it is numeric. */
struct field_job {
    uint32_t field;
    uint32_t raw;
    int numeric;
    long last;            /* categorical: the previous value's index */
};

struct loader {
    const struct data_options *opt;
    struct data_options defaults;
    struct schema *s;     /* owned when fitting, else the caller's */
    int fitting;
    int profile;          /* forced profile, or -1 to detect */
    int guessed;          /* generic categorical columns decided */
    int has_label;        /* the current file has the label column */
    struct table *t;
    struct bigbuf rows;   /* fitting: n_rows raw vectors (floats) */
    int32_t *ys;          /* fitting: class ids */
    size_t n_rows;
    size_t cap_rows;
    float *raw;           /* the current row's raw vector */
    long *field_of;       /* raw column -> field of the current file */
    struct field_job *jobs; /* the current file's feature fields */
    size_t n_jobs;        /* 0 until the first data record sets them */
    struct vocab labels;  /* class names in first-seen order */
    long last_label;      /* the previous record's class id, or -1 */
    struct data_stats *st;
    struct bigbuf hashes; /* per row: line hash, raw-vector hash */
    size_t n_hashes;
    uint64_t bytes_before;
    uint64_t bytes_total;
};

int loader_init(struct loader *ld, const struct data_options *opt,
                const struct schema *fixed, struct data_stats *st);
void loader_fini(struct loader *ld, int failed);
int loader_apply_options(struct loader *ld);
int loader_check_features(const struct schema *s);
int loader_push_row(struct loader *ld, int32_t id);
int loader_note_row(struct loader *ld, uint64_t line_hash);
int loader_count_duplicates(struct loader *ld);
int loader_finish_fit(struct loader *ld);
int loader_finish_fixed(struct loader *ld);
void loader_names_free(char **names, size_t n);

#endif
