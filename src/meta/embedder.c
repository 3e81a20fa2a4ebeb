#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/embedder.h"
#include "fewflow/err.h"

struct embedder {
    struct schema *schema;
    struct normalizer *nz;
    struct learner *l;
    float *buf;              /* normalised rows of one chunk */
};

#define EMBEDDER_CHUNK 1024

int model_set_schema(struct model *m, const struct schema *s)
{
    struct bytes_writer w;
    int rc;

    bytes_writer_init(&w);
    rc = schema_write(s, &w);
    if (rc == 0)
        rc = bytes_writer_status(&w);
    if (rc == 0)
        rc = model_section_set(m, "SCHM", w.data, w.len);
    bytes_writer_fini(&w);
    return rc;
}

int model_set_normalizer(struct model *m, const struct normalizer *nz)
{
    struct bytes_writer w;
    int rc;

    bytes_writer_init(&w);
    rc = normalizer_write(nz, &w);
    if (rc == 0)
        rc = bytes_writer_status(&w);
    if (rc == 0)
        rc = model_section_set(m, "NORM", w.data, w.len);
    bytes_writer_fini(&w);
    return rc;
}

static int section_reader(const struct model *m, const char *tag,
                          struct bytes_reader *r)
{
    const void *bytes;
    size_t len;

    if (model_section_get(m, tag, &bytes, &len) != 0)
        return err_set(ERR_FORMAT, "model has no '%s' section", tag);
    bytes_reader_init(r, bytes, len);
    return 0;
}

int model_get_schema(const struct model *m, struct schema **out)
{
    struct bytes_reader r;
    int rc = section_reader(m, "SCHM", &r);

    if (rc == 0 && schema_read(&r, out) != 0)
        rc = err_set(ERR_FORMAT, "model: schema section (SCHM): %s",
                     err_msg());
    return rc;
}

int model_get_normalizer(const struct model *m, struct normalizer **out)
{
    struct bytes_reader r;
    int rc = section_reader(m, "NORM", &r);

    if (rc == 0 && normalizer_read(&r, out) != 0)
        rc = err_set(ERR_FORMAT, "model: normaliser section (NORM): %s",
                     err_msg());
    return rc;
}

struct embedder *embedder_create(const struct model *m)
{
    struct embedder *e = calloc(1, sizeof(*e));
    int rc = e ? 0 : err_set(ERR_NOMEM, "embedder: out of memory");

    if (rc == 0)
        rc = model_get_schema(m, &e->schema);
    if (rc == 0)
        rc = model_get_normalizer(m, &e->nz);
    if (rc == 0 && (e->nz->n_cols != schema_n_cols(e->schema) ||
                    e->nz->n_cols != m->arch.n_in))
        rc = err_set(ERR_FORMAT, "model: schema has %zu columns, normaliser "
                     "%zu, encoder %u", schema_n_cols(e->schema),
                     e->nz->n_cols, m->arch.n_in);
    if (rc == 0 && !(e->l = learner_from_model(m)))
        rc = err_last();
    if (rc == 0 && !(e->buf = malloc(EMBEDDER_CHUNK * e->nz->n_cols *
                                     sizeof(float))))
        rc = err_set(ERR_NOMEM, "embedder: out of memory");
    if (rc != 0) {
        embedder_destroy(e);
        return NULL;
    }
    return e;
}

void embedder_destroy(struct embedder *e)
{
    if (!e)
        return;
    schema_destroy(e->schema);
    normalizer_destroy(e->nz);
    learner_destroy(e->l);
    free(e->buf);
    free(e);
}

size_t embedder_n_in(const struct embedder *e)
{
    return e->nz->n_cols;
}

size_t embedder_dim(const struct embedder *e)
{
    return learner_embed_dim(e->l);
}

const struct normalizer *embedder_normalizer(const struct embedder *e)
{
    return e->nz;
}

const struct schema *embedder_schema(const struct embedder *e)
{
    return e->schema;
}

struct learner *embedder_learner(struct embedder *e)
{
    return e->l;
}

int embedder_run(struct embedder *e, const float *x, size_t n, float *z)
{
    size_t d = e->nz->n_cols, dim = embedder_dim(e);
    int rc = 0;

    for (size_t at = 0; at < n && rc == 0; at += EMBEDDER_CHUNK) {
        size_t m = n - at < EMBEDDER_CHUNK ? n - at : EMBEDDER_CHUNK;

        memcpy(e->buf, x + at * d, m * d * sizeof(float));
        normalizer_apply(e->nz, e->buf, m);
        rc = learner_embed(e->l, e->buf, m, z + at * dim);
    }
    return rc;
}
