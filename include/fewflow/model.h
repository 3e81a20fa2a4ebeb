/*
 * The model file: everything needed to embed and classify flows later.
 *
 * A model holds the encoder architecture and its flat parameter vector, the
 * training record (data file hashes, protocol classes, method, seed, final
 * metrics) and any number of tagged byte sections that other modules own:
 *   "SCHM"  the data module's schema (feature names, categorical vocabularies)
 *   "NORM"  the data module's fitted normaliser
 *   "MEMO"  the detect module's class memory (bound to the encoder by
 *           model_encoder_digest)
 *   "LRNR"  learner-specific state (a MAML head, decision-rule settings)
 * A section's owner writes and parses its bytes; this module only stores
 * them. Tags are exactly four printable ASCII characters.
 *
 * File layout (little-endian throughout):
 *   offset 0   magic "FEWFLOWM" (8 bytes)
 *   offset 8   u32 format version (MODEL_FORMAT_VERSION)
 *   offset 12  u32 byte-order mark 0x01020304 (reads 0x04030201 when the
 *              writer was big-endian: such files are refused)
 *   offset 16  u64 total file length in bytes
 *   offset 24  u32 section count, then per section: 4-byte tag, u64 length,
 *              the bytes. The core sections come first: "ARCH", "PARM",
 *              "RECD".
 *   end - 32   SHA-256 of every byte before it.
 * A truncated, damaged or foreign file is refused with a message naming
 * the file and the byte offset. Writing goes to "<path>.tmp.<pid>" and is
 * renamed over path, so readers never see half a file.
 *
 * Ownership: a model owns its arrays, strings and section copies;
 * model_destroy frees all. Not thread-safe to modify; reading from several
 * threads is safe.
 */
#ifndef FEWFLOW_MODEL_H
#define FEWFLOW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define MODEL_FORMAT_VERSION 1u
#define MODEL_MAX_LAYERS 8
#define MODEL_MAX_SECTION_BYTES (1ull << 32)

/* The encoder: an MLP n_in → hidden[0] → … → n_emb. With raw_skip set the
 * embedding a model exposes is [encoder(x), skip_scale · x], so distances
 * keep a path from the normalised raw features. */
struct model_arch {
    uint32_t n_in;
    uint32_t n_hidden;
    uint32_t hidden[MODEL_MAX_LAYERS];
    uint32_t n_emb;
    char activation[16];      /* "relu", "tanh", "gelu", ... */
    float dropout;            /* training only; 0 at inference */
    uint32_t raw_skip;
    float skip_scale;
    uint32_t cosine;          /* 1: cosine distance, 0: squared Euclidean */
    char rule[16];            /* few-shot decision rule, see learner.h */
};

struct model_data_file {
    char *path;               /* as given at training time */
    uint8_t sha256[32];       /* of the file's bytes as read from disk */
    uint64_t size;
};

struct model_metric {
    char *name;               /* e.g. "val_accuracy", "test_accuracy_5shot" */
    double value;
};

struct model_record {
    char *method;             /* learner name, e.g. "protonet" */
    char *protocol;           /* protocol name or file */
    uint64_t seed;
    uint32_t way, shot, query, episodes;
    char **train_classes;
    size_t n_train;
    char **val_classes;       /* may be empty: validation on held-out rows */
    size_t n_val;
    char **test_classes;
    size_t n_test;
    struct model_data_file *files;
    size_t n_files;
    struct model_metric *metrics;
    size_t n_metrics;
    char *version;            /* fewflow version that wrote the model */
};

struct model_section;

struct model {
    struct model_arch arch;
    float *params;
    size_t n_params;
    struct model_record rec;
    struct model_section *sections;   /* extra sections, in insertion order */
    size_t n_sections;
};

/* An empty model (zeroed arch, no params, no sections). NULL on failure. */
struct model *model_create(void);
void model_destroy(struct model *m);

/* Copies n parameters in. Returns 0 or ERR_NOMEM. */
int model_params_set(struct model *m, const float *p, size_t n);

/*
 * Stores a copy of bytes under tag, replacing an earlier section with the
 * same tag. The core tags ("ARCH", "PARM", "RECD") are refused. Returns 0,
 * ERR_INVALID for a bad tag, ERR_RANGE for a section of 4 GiB or more, or
 * ERR_NOMEM.
 */
int model_section_set(struct model *m, const char *tag, const void *bytes,
                      size_t len);

/* Borrows a section's bytes (valid until the section is replaced, removed
 * or the model destroyed). Returns 0 or ERR_NOTFOUND. */
int model_section_get(const struct model *m, const char *tag,
                      const void **bytes, size_t *len);

/* Where a section's bytes start in the file the model was read from, so
 * that a section's own parser can point a user at the damage; 0 for a
 * section set in memory or absent. */
size_t model_section_at(const struct model *m, const char *tag);

/* Removes a section. Returns 0 or ERR_NOTFOUND. */
int model_section_remove(struct model *m, const char *tag);

/* Record helpers: each copies its strings. Return 0 or ERR_NOMEM. */
int model_record_set_method(struct model *m, const char *method);
int model_record_set_protocol(struct model *m, const char *protocol);
int model_record_set_classes(struct model *m, const char *const *train,
                             size_t n_train, const char *const *val,
                             size_t n_val, const char *const *test,
                             size_t n_test);
/* Reads the file to hash it: returns 0, ERR_IO naming the path, or
 * ERR_NOMEM. */
int model_record_add_file(struct model *m, const char *path);
/* Sets (or replaces) a named metric. */
int model_record_set_metric(struct model *m, const char *name, double value);
/* A metric's value, or ERR_NOTFOUND. */
int model_record_get_metric(const struct model *m, const char *name,
                            double *value);

/*
 * The SHA-256 of what turns an encoded row into an embedding: the
 * architecture, the parameter vector and the "SCHM" and "NORM" sections
 * (each part length-prefixed, an absent section as length 0). Sections
 * holding embeddings (the class memory) record it so that a section copied
 * from another model whose widths happen to match is refused rather than
 * compared in the wrong space. Returns 0 or ERR_NOMEM.
 */
#define MODEL_DIGEST_BYTES 32
int model_encoder_digest(const struct model *m,
                         uint8_t out[MODEL_DIGEST_BYTES]);

/* Serialises to a buffer (malloc'd into *out). Returns 0 or ERR_NOMEM. */
int model_to_bytes(const struct model *m, uint8_t **out, size_t *len);

/*
 * Parses a buffer; `name` (a path) is used in error messages only. NULL on
 * failure with ERR_FORMAT (not a model file, other version or byte order),
 * ERR_PARSE (truncated or malformed, with the offset), ERR_CHECKSUM
 * (damaged) or ERR_NOMEM recorded.
 */
struct model *model_from_bytes(const uint8_t *buf, size_t len,
                               const char *name);

/* Writes atomically (temporary file, fsync, rename). Returns 0, ERR_IO
 * naming the path, or ERR_NOMEM. */
int model_save(const struct model *m, const char *path);

/* Reads and validates a model file. NULL on failure (see
 * model_from_bytes; ERR_IO when the file cannot be read). */
struct model *model_load(const char *path);

#endif
