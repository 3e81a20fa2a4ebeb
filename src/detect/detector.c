#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fewflow/bytes.h"
#include "fewflow/detector.h"
#include "fewflow/embedder.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/maml.h"
#include "fewflow/mhead.h"
#include "fewflow/model.h"
#include "fewflow/normalizer.h"
#include "fewflow/schema.h"
#include "fewflow/support.h"

_Static_assert(MEMO_DIGEST_BYTES == MODEL_DIGEST_BYTES,
               "the memory keeps the model's encoder digest");

int detector_space_embed(const struct memo *m, struct learner *l,
                         const float *x, size_t n, float *zbuf, float *z)
{
    if (m == NULL || m->space == MEMO_SPACE_Z)
        return learner_embed(l, x, n, z);
    int rc = m->space == MEMO_SPACE_X ? 0 : learner_embed(l, x, n, zbuf);
    if (rc == 0)
        memo_space_map(m, x, zbuf, n, z);
    return rc;
}

/* Room for the encoder's output of n rows when the memory needs it. */
static int zbuf_reserve(struct detector *d, size_t n)
{
    if (d->memo == NULL || d->memo->space == MEMO_SPACE_Z ||
        n <= d->zbuf_rows)
        return 0;
    float *b = realloc(d->zbuf, (n * d->z_dim + 1) * sizeof(float));
    if (b == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    d->zbuf = b;
    d->zbuf_rows = n;
    return 0;
}

static int enc_embed(void *ctx, const float *x, size_t n, float *z)
{
    struct detector *d = ctx;
    int rc = zbuf_reserve(d, n);
    return rc ? rc : detector_space_embed(d->memo, d->learner, x, n,
                                          d->zbuf, z);
}

/* The memory's width becomes the detector's. */
static void sync_dim(struct detector *d)
{
    d->dim = d->memo != NULL ? d->memo->dim : d->z_dim;
    d->enc.dim = (uint32_t)d->dim;
}

static double enc_inverse(void *ctx, uint32_t col, float v)
{
    struct detector *d = ctx;
    return normalizer_inverse_value(d->norm, col, v);
}

/* The name a section's parser reports damage under: the path and where
 * the section starts, since the parser counts offsets from there. NULL
 * when out of memory; free with section_name_free. */
static char *section_name(const struct detector *d, const char *tag)
{
    size_t at = model_section_at(d->model, tag);
    if (at == 0)
        return d->path;
    size_t n = strlen(d->path) + 64;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s (%s section from byte %zu)", d->path, tag, at);
    return s;
}

static void section_name_free(const struct detector *d, char *name)
{
    if (name != d->path)
        free(name);
}

static int read_memo(struct detector *d, int need)
{
    const void *bytes;
    size_t len;

    if (model_section_get(d->model, "MEMO", &bytes, &len) != 0) {
        if (!need)
            return 0;
        return err_set(ERR_STATE, "%s: the model has no class memory "
                       "(train it with this fewflow, or run 'fewflow eval "
                       "--openset -o MODEL')", d->path);
    }
    char *name = section_name(d, "MEMO");
    if (name == NULL)
        return err_set(ERR_NOMEM, "%s: out of memory", d->path);
    d->memo = memo_read(bytes, len, name);
    section_name_free(d, name);
    if (d->memo == NULL)
        return err_last();
    const struct memo *m = d->memo;
    if (m->n_in != d->n_in ||
        (m->space != MEMO_SPACE_X && m->z_dim != d->z_dim))
        return err_set(ERR_FORMAT, "%s: class memory is for %u-wide "
                       "embeddings of %u columns, the model makes %zu of "
                       "%zu", d->path, m->z_dim, m->n_in, d->z_dim,
                       d->n_in);
    sync_dim(d);
    if (!d->memo->has_encoder)
        return 0;
    uint8_t enc[MODEL_DIGEST_BYTES];
    int rc = model_encoder_digest(d->model, enc);
    return rc ? rc : memo_check_encoder(d->memo, enc, d->path);
}

/* A file written before the head existed has none: its detections take
 * the nearest class, as they did. */
static int read_head(struct detector *d)
{
    const void *bytes;
    size_t len;

    if (d->memo == NULL ||
        model_section_get(d->model, "HEAD", &bytes, &len) != 0)
        return 0;
    char *name = section_name(d, "HEAD");
    if (name == NULL)
        return err_set(ERR_NOMEM, "%s: out of memory", d->path);
    d->head = mhead_read(bytes, len, d->memo, name);
    section_name_free(d, name);
    return d->head ? 0 : err_last();
}

/* A file written before the support table existed has none: no flow-kind
 * rule applies to it. */
static int read_support(struct detector *d)
{
    const void *bytes;
    size_t len;

    if (model_section_get(d->model, "KIND", &bytes, &len) != 0)
        return 0;
    char *name = section_name(d, "KIND");
    if (name == NULL)
        return err_set(ERR_NOMEM, "%s: out of memory", d->path);
    d->support = support_read(bytes, len, d->col_names, d->n_in, name);
    section_name_free(d, name);
    return d->support ? 0 : err_last();
}

static int write_support(struct detector *d)
{
    struct bytes_writer w;

    if (d->support == NULL)
        return 0;
    bytes_writer_init(&w);
    int rc = support_write(d->support, &w);
    if (rc == 0)
        rc = model_section_set(d->model, "KIND", w.data, w.len);
    bytes_writer_fini(&w);
    return rc;
}

static int write_head(struct detector *d)
{
    struct maml_model *mm = maml_learner_model(d->learner);
    struct bytes_writer w;

    mhead_destroy(d->head);
    d->head = NULL;
    if (mm == NULL || d->memo->n_classes == 0)
        return 0;
    d->head = mhead_fit(d->memo, mm->cfg.inner_lr, MHEAD_STEPS);
    if (d->head == NULL)
        return err_last();
    bytes_writer_init(&w);
    int rc = mhead_write(d->head, d->memo, &w);
    if (rc == 0)
        rc = model_section_set(d->model, "HEAD", w.data, w.len);
    bytes_writer_fini(&w);
    return rc;
}

static int check_shapes(struct detector *d)
{
    d->n_in = schema_n_cols(d->schema);
    d->col_names = malloc(d->n_in * sizeof(char *) + 1);
    if (d->col_names == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < d->n_in; j++)
        d->col_names[j] = schema_col_name(d->schema, j);
    d->dim = d->z_dim = learner_embed_dim(d->learner);
    d->enc = (struct detect_encoder){ d, (uint32_t)d->n_in,
                                      (uint32_t)d->dim, d->col_names,
                                      enc_embed, enc_inverse };
    return 0;
}

struct detector *detector_load(const char *path, int need_memo)
{
    struct detector *d = calloc(1, sizeof(*d));
    int rc = d ? 0 : err_set(ERR_NOMEM, "out of memory");

    if (rc == 0 && (d->path = strdup(path)) == NULL)
        rc = err_set(ERR_NOMEM, "out of memory");
    if (rc == 0 && (d->model = model_load(path)) == NULL)
        rc = err_last();
    if (rc == 0 && (d->emb = embedder_create(d->model)) == NULL)
        rc = err_set(err_last() ? err_last() : ERR_FORMAT, "%s: %s", path,
                     err_msg());
    if (rc == 0) {
        d->schema = embedder_schema(d->emb);
        d->norm = embedder_normalizer(d->emb);
        d->learner = embedder_learner(d->emb);
    }
    if (rc == 0)
        rc = check_shapes(d);
    if (rc == 0)
        rc = read_memo(d, need_memo);
    if (rc == 0)
        rc = read_head(d);
    if (rc == 0)
        rc = read_support(d);
    if (rc != 0) {
        detector_destroy(d);
        return NULL;
    }
    return d;
}

void detector_destroy(struct detector *d)
{
    if (d == NULL)
        return;
    memo_destroy(d->memo);
    mhead_destroy(d->head);
    support_destroy(d->support);
    embedder_destroy(d->emb);
    model_destroy(d->model);
    free(d->col_names);
    free(d->neutral);
    free(d->neutral_value);
    free(d->zbuf);
    free(d->path);
    free(d);
}

int detector_save(struct detector *d, const char *path)
{
    struct bytes_writer w;
    int rc = 0;

    if (d->memo != NULL) {
        /* Bound to the encoder as it is now: the memory's prototypes were
         * embedded by this model (loaded with it or fitted through it). */
        rc = model_encoder_digest(d->model, d->memo->encoder);
        d->memo->has_encoder = rc == 0;
    }
    if (rc == 0 && d->memo != NULL) {
        bytes_writer_init(&w);
        rc = memo_write(d->memo, &w);
        if (rc == 0)
            rc = model_section_set(d->model, "MEMO", w.data, w.len);
        bytes_writer_fini(&w);
        if (rc == 0)
            rc = write_head(d);
    }
    if (rc == 0)
        rc = write_support(d);
    return rc != 0 ? rc : model_save(d->model, path);
}

int detector_embed(struct detector *d, float *x, size_t n, float *z)
{
    normalizer_apply(d->norm, x, n);
    return enc_embed(d, x, n, z);
}

const char **detector_known_classes(const struct detector *d, size_t *n)
{
    const struct model_record *r = &d->model->rec;
    const char **names = malloc((r->n_train + r->n_val + 1) * sizeof(char *));

    *n = 0;
    if (names == NULL)
        return NULL;
    for (size_t i = 0; i < r->n_train; i++)
        names[(*n)++] = r->train_classes[i];
    for (size_t i = 0; i < r->n_val; i++)
        names[(*n)++] = r->val_classes[i];
    return names;
}

/* Columns the flow meter still computes differently from the CIC CSVs.
 * None since the meter follows the CSV's definitions of the subflow
 * columns and the windows (docs/features.md); the list stays so that a
 * difference found later is one line here. */
static const char *const cic_mismatch[] = { NULL };

static int mark(struct detector *d, const char *name, size_t *n)
{
    for (size_t j = 0; j < d->n_in; j++) {
        if (strcmp(d->col_names[j], name) == 0) {
            *n += !d->neutral[j];
            d->neutral[j] = 1;
            d->neutral_value[j] = (float)normalizer_inverse_value(d->norm, j,
                                                                  0.0f);
            return 0;
        }
    }
    return ERR_NOTFOUND;
}

static int mark_list(struct detector *d, const char *list, size_t *n)
{
    char *copy = strdup(list), *save = NULL;
    int rc = copy ? 0 : err_set(ERR_NOMEM, "out of memory");
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL;
         rc == 0 && t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (mark(d, t, n) != 0)
            rc = err_set(ERR_NOTFOUND, "%s: the model has no column '%s'",
                         d->path, t);
    }
    free(copy);
    return rc;
}

int detector_set_neutral(struct detector *d, const char *list,
                         size_t *n_set)
{
    size_t n = 0;
    int rc = 0;

    if (d->neutral == NULL) {
        d->neutral = calloc(d->n_in + 1, 1);
        d->neutral_value = calloc(d->n_in + 1, sizeof(float));
        if (d->neutral == NULL || d->neutral_value == NULL)
            return err_set(ERR_NOMEM, "out of memory");
    }
    memset(d->neutral, 0, d->n_in);
    if (strcmp(list, "default") == 0) {
        const char *prof = schema_profile(d->schema);
        for (size_t i = 0; strncmp(prof, "cic-ids2017", 11) == 0 &&
                           cic_mismatch[i] != NULL; i++)
            mark(d, cic_mismatch[i], &n);
    } else {
        rc = mark_list(d, list, &n);
    }
    if (n_set != NULL)
        *n_set = n;
    return rc;
}
