/*
 * Internal: the schema's layout, shared by the files of the data module
 * (schema.c accessors and vocabularies, profile.c, encode.c, schema_io.c,
 * load.c). Glossary: raw = a column as the CSV has it; enc = an encoded
 * (table) column; vocab = a categorical column's known values.
 */
#ifndef FEWFLOW_DATA_SCHEMA_IMPL_H
#define FEWFLOW_DATA_SCHEMA_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/schema.h"

enum schema_profile_id {
    PROFILE_GENERIC = 0,
    PROFILE_NSL_KDD = 1,
    PROFILE_UNSW_NB15 = 2,
    PROFILE_CIC_IMPROVED = 3,
    PROFILE_CIC_MLCVE = 4,
};

struct vocab {
    size_t max;           /* most words kept; 0 means SCHEMA_MAX_VOCAB */
    size_t n;
    char **words;
    uint32_t *lens;       /* strlen of each word */
    uint32_t *slots;      /* open addressing: word index + 1, 0 = empty */
    size_t n_slots;       /* a power of two, more than 2 * n */
};

struct raw_col {
    char *name;           /* snake_case, unique within the schema */
    enum schema_role role;
    int has_nonfinite;    /* numeric: an indicator column follows */
    struct vocab vocab;   /* categorical only */
    size_t enc;           /* first encoded column */
};

struct schema {
    int profile;
    int label_family;
    int has_header;       /* 0: positional columns (NSL-KDD files) */
    long label;           /* raw index of the label column, or -1 */
    size_t n_raw;
    struct raw_col *raw;
    struct vocab index;   /* raw names -> raw index, for wide headers */
    int is_frozen;        /* encoded layout computed, vocabularies fixed */
    size_t n_cols;
    char **col_names;
};

const char *schema_profile_name(int profile);
int schema_profile_parse(const char *name);

/* A schema with these raw snake_case names, all numeric. NULL on failure. */
struct schema *schema_new(int profile, size_t n_raw,
                          const char *const *names);

/* Builds s->index over the raw names: 0, ERR_NOMEM, or ERR_FORMAT when a
 * name repeats. */
int schema_index_names(struct schema *s);

/* Raw index of a snake_case name, or -1. */
long schema_raw_find(const struct schema *s, const char *snake);

/* Index of word in v, adding it (when add and room) : index, -1 when
 * absent and not added, or ERR_NOMEM. */
long vocab_lookup(struct vocab *v, const char *word, size_t len, int add);
long vocab_find(const struct vocab *v, const char *word, size_t len);
void vocab_fini(struct vocab *v);

/* Computes the encoded layout and names; the schema is then fixed. */
int schema_freeze(struct schema *s);

/* Encodes a raw vector (one float per raw column: the number, NaN for a
 * non-finite value, or the vocabulary index, -1 for <other>) into out. */
void schema_expand(const struct schema *s, const float *raw, float *out);

/* schema_expand for n raw rows (n_raw floats apart) into out, n rows of
 * n_cols floats that must all be zero on entry. */
void schema_expand_rows(const struct schema *s, const float *raw, size_t n,
                        float *out);

/* Applies the profile's roles to a fresh schema: label, drops,
 * categoricals. */
int profile_apply(struct schema *s);

/* Detects a profile from snake_case header names. */
int profile_detect(size_t n, const char *const *names);

/* Whether a headerless first record looks like NSL-KDD data. */
int profile_looks_nsl(size_t n, char **fields);

/* NSL-KDD's 43 positional column names. */
extern const char *const profile_nsl_names[43];

/* The NSL-KDD family of an attack name ("normal" stays "normal"). */
const char *profile_nsl_family(const char *attack);

#endif
