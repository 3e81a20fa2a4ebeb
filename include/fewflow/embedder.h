/*
 * Embedding raw encoded rows through a trained model, for detection and
 * enrolment, without knowing how the encoder was trained:
 *   encoded row (schema columns) → normaliser → encoder → z.
 * z is the space the model's learner classifies in (with raw_skip it
 * includes the scaled normalised features), embedder_dim() floats.
 *
 * Also the typed access to the data module's sections of a model file:
 * "SCHM" (schema) and "NORM" (normaliser).
 *
 * Ownership: an embedder copies what it needs from the model (the model
 * may be destroyed afterwards) and owns it; embedder_destroy frees it.
 * One embedder per thread (it keeps scratch memory).
 */
#ifndef FEWFLOW_EMBEDDER_H
#define FEWFLOW_EMBEDDER_H

#include <stddef.h>

#include "fewflow/learner.h"
#include "fewflow/model.h"
#include "fewflow/normalizer.h"
#include "fewflow/schema.h"

struct embedder;

/* NULL on failure: ERR_FORMAT (section missing or damaged, or column
 * counts that disagree), ERR_NOTFOUND (unknown method), ERR_NOMEM. */
struct embedder *embedder_create(const struct model *m);
void embedder_destroy(struct embedder *e);

/* Encoded input columns expected (the schema's column count). */
size_t embedder_n_in(const struct embedder *e);
/* Floats per embedding. */
size_t embedder_dim(const struct embedder *e);
/* Borrowed until embedder_destroy. */
const struct normalizer *embedder_normalizer(const struct embedder *e);
const struct schema *embedder_schema(const struct embedder *e);
struct learner *embedder_learner(struct embedder *e);

/* Embeds n encoded rows x (n × n_in, left unchanged) into z (n × dim).
 * Returns 0 or ERR_NOMEM. */
int embedder_run(struct embedder *e, const float *x, size_t n, float *z);

/* Stores a schema or normaliser in its section. 0 or ERR_NOMEM. */
int model_set_schema(struct model *m, const struct schema *s);
int model_set_normalizer(struct model *m, const struct normalizer *nz);

/* Reads them back (owned by the caller). 0, ERR_FORMAT naming the
 * section when it is absent or damaged, or ERR_NOMEM. */
int model_get_schema(const struct model *m, struct schema **out);
int model_get_normalizer(const struct model *m, struct normalizer **out);

#endif
