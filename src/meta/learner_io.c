#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

#define LRNR_VERSION 1u

int learner_to_model(const struct learner *l, struct model *m)
{
    struct bytes_writer w;
    int rc;

    m->arch = l->arch;
    rc = model_params_set(m, l->params, l->n_params);
    if (rc == 0)
        rc = model_record_set_method(m, l->ops->name);
    if (rc != 0)
        return rc;
    bytes_writer_init(&w);
    bytes_put_u32(&w, LRNR_VERSION);
    bytes_put_u64(&w, (uint64_t)l->n_train_classes);
    bytes_put_u64(&w, (uint64_t)(l->n_params - l->n_enc_params));
    rc = bytes_writer_status(&w);
    if (rc == 0)
        rc = model_section_set(m, "LRNR", w.data, w.len);
    bytes_writer_fini(&w);
    if (rc == 0 && l->ops->save)
        rc = l->ops->save(l, m);
    return rc;
}

/* Reads the LRNR section: training class count and extra floats. */
static int lrnr_read(const struct model *m, size_t *n_classes,
                     size_t *n_extra)
{
    const void *bytes;
    size_t len;
    struct bytes_reader r;

    if (model_section_get(m, "LRNR", &bytes, &len) != 0)
        return err_set(ERR_FORMAT, "model has no learner section (LRNR): "
                       "not written by fewflow train");
    bytes_reader_init(&r, bytes, len);
    if (bytes_get_u32(&r) != LRNR_VERSION)
        bytes_reader_fail(&r);
    *n_classes = (size_t)bytes_get_u64(&r);
    *n_extra = (size_t)bytes_get_u64(&r);
    if (r.failed || *n_classes > 1000000 || *n_extra > m->n_params)
        return err_set(ERR_FORMAT, "model: learner section (LRNR) damaged at "
                       "its offset %zu", r.fail_pos);
    return 0;
}

struct learner *learner_from_model(const struct model *m)
{
    const struct learner_ops *ops = m->rec.method ?
        learner_find(m->rec.method) : NULL;
    struct learner_opts opts;
    struct learner *l;
    size_t n_classes = 0, n_extra = 0;

    if (!ops) {
        err_set(ERR_NOTFOUND, "model method '%s' is not a learner this "
                "fewflow knows", m->rec.method ? m->rec.method : "");
        return NULL;
    }
    if (lrnr_read(m, &n_classes, &n_extra) != 0)
        return NULL;
    learner_opts_default(&opts);
    opts.seed = m->rec.seed;
    if (m->rec.way)
        opts.way = m->rec.way;
    l = learner_create(ops, &opts, &m->arch, n_classes, m->rec.seed);
    if (l && (l->n_params != m->n_params ||
              l->n_params - l->n_enc_params != n_extra)) {
        err_set(ERR_FORMAT, "model: %zu parameters, the architecture needs "
                "%zu", m->n_params, l->n_params);
        learner_destroy(l);
        return NULL;
    }
    if (l)
        memcpy(l->params, m->params, m->n_params * sizeof(float));
    if (l && ops->load && ops->load(l, m) != 0) {
        learner_destroy(l);
        return NULL;
    }
    return l;
}

int learner_classify(struct learner *l, const struct episode *ep,
                     int32_t *pred)
{
    size_t dim = learner_embed_dim(l);
    float *zs, *zq;
    int rc;

    if (ep->n_cols != l->arch.n_in)
        return err_set(ERR_INVALID, "episode has %zu columns, the encoder "
                       "takes %u", ep->n_cols, l->arch.n_in);
    if (l->ops->classify)
        return l->ops->classify(l, ep, pred);
    zs = malloc((ep->n_support ? ep->n_support : 1) * dim * sizeof(float));
    zq = malloc((ep->n_query ? ep->n_query : 1) * dim * sizeof(float));
    rc = zs && zq ? 0 : err_set(ERR_NOMEM, "learner: out of memory");
    if (rc == 0)
        rc = learner_embed(l, ep->xs, ep->n_support, zs);
    if (rc == 0)
        rc = learner_embed(l, ep->xq, ep->n_query, zq);
    if (rc == 0)
        rc = learner_rule_apply(l, ep, zs, zq, dim, pred);
    free(zs);
    free(zq);
    return rc;
}
