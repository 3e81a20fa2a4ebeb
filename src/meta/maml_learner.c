/*
 * MAML, FOMAML and ANIL as learners of the shared training loop
 * (learner.h): `fewflow train/eval --method maml|fomaml|anil`.
 *
 * The learner's flat parameters are [encoder | head | step sizes]: the
 * encoder views the loop lays out, then head.W and head.b, then one step
 * size per float of encoder and head. The step sizes are always reserved,
 * so that the layout, and the parameter count a model file is checked
 * against, do not depend on options; without Meta-SGD they hold inner_lr,
 * get no gradient and are never read. The MAML model (maml.h) uses the
 * prefix it needs; each step copies the loop's current parameters into
 * it, since the loop's Adam updates them between steps.
 *
 * The configuration beyond learner_opts (method, test steps, Meta-SGD,
 * zero head, meta-batch) is kept in the model's "MAML" section.
 */
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/maml.h"
#include "fewflow/tensor.h"
#include "meta/learner_impl.h"

/* A MAML inner loop over many steps can need much more than one forward
 * pass; the bound still keeps a bad option from exhausting memory. */
#define MAML_ARENA_BYTES ((size_t)2 << 30)
#define MAML_MAX_BATCH 64

struct maml_state {
    struct maml_model *m;
    struct tensor_arena *ar;
    struct episode ep[MAML_MAX_BATCH];
    struct maml_task task[MAML_MAX_BATCH];
    int *labels;            /* int copies of episode labels */
    size_t cap_labels;
    float *g;               /* one task's meta-gradient */
    float *phi;             /* fast weights for classification */
    float *logits;
    size_t cap_logits;
};

static int method_of(const struct learner *l, enum maml_method *out)
{
    return maml_method_parse(l->ops->name, out);
}

/* Floats of encoder + head for an embedding of emb and a head of way. */
static size_t model_floats(const struct learner *l)
{
    return l->n_enc_params + (size_t)(l->arch.n_emb + 1) * l->opts.way;
}

static size_t maml_extra(const struct learner *l, size_t n_train_classes)
{
    size_t enc = 0;
    /* The layout is not built yet when this is asked: count the encoder
     * from the architecture. */
    size_t in = l->arch.n_in;
    for (uint32_t i = 0; i <= l->arch.n_hidden; i++) {
        size_t out = i < l->arch.n_hidden ? l->arch.hidden[i]
                                          : l->arch.n_emb;
        enc += in * out + out;
        in = out;
    }
    size_t head = (size_t)(l->arch.n_emb + 1) * l->opts.way;
    return head + enc + head;
}

static void config_from_opts(const struct learner *l, struct maml_config *c)
{
    maml_config_default(c);
    method_of(l, &c->method);
    c->way = (int)l->opts.way;
    c->inner_steps_train = (int)l->opts.inner_steps;
    c->inner_steps_test = (int)l->opts.inner_steps_test;
    c->inner_lr = l->opts.inner_lr;
    c->meta_batch = (int)l->opts.meta_batch;
    c->is_meta_sgd = l->opts.meta_sgd;
    c->is_zero_head = l->opts.zero_head;
    c->meta_lr = l->opts.lr;
}

static int state_build(struct learner *l, const struct maml_config *cfg,
                       struct rng *rng)
{
    struct maml_state *s = l->state;
    if (l->arch.raw_skip)
        return err_set(ERR_UNSUPPORTED, "%s: the raw-feature skip path is "
                       "not supported by MAML-family learners",
                       l->ops->name);
    if (cfg->meta_batch > MAML_MAX_BATCH)
        return err_set(ERR_INVALID, "%s: meta-batch %d above %d",
                       l->ops->name, cfg->meta_batch, MAML_MAX_BATCH);
    maml_model_destroy(s->m);
    s->m = maml_model_create(cfg, &l->mlp.cfg, rng);
    if (!s->m)
        return err_last();
    if (s->m->params.size > l->n_params ||
        s->m->n_model != model_floats(l))
        return err_set(ERR_FORMAT, "%s: %zu parameters, the layout has "
                       "%zu", l->ops->name, s->m->params.size, l->n_params);
    free(s->g);
    free(s->phi);
    s->g = malloc(s->m->params.size * sizeof(float));
    s->phi = malloc(s->m->params.size * sizeof(float));
    return s->g && s->phi ? 0 : err_set(ERR_NOMEM, "maml: out of memory");
}

/* Head and step sizes of a fresh model into the loop's extras. */
static void extras_init(struct learner *l)
{
    struct maml_model *m = ((struct maml_state *)l->state)->m;
    size_t n = m->n_model, head = n - l->n_enc_params;
    memcpy(l->params + l->n_enc_params, m->params.data + l->n_enc_params,
           head * sizeof(float));
    for (size_t i = n; i < l->n_params; i++)
        l->params[i] = m->cfg.inner_lr;
}

static int maml_init(struct learner *l, struct rng *rng)
{
    struct maml_state *s = calloc(1, sizeof(*s));
    if (!s)
        return err_set(ERR_NOMEM, "maml: out of memory");
    l->state = s;
    for (int i = 0; i < MAML_MAX_BATCH; i++)
        episode_init(&s->ep[i]);
    s->ar = tensor_arena_create(MAML_ARENA_BYTES);
    if (!s->ar)
        return err_set(ERR_NOMEM, "maml: out of memory");
    struct maml_config cfg;
    config_from_opts(l, &cfg);
    int rc = state_build(l, &cfg, rng);
    if (rc == 0)
        extras_init(l);
    return rc;
}

static void maml_fini(struct learner *l)
{
    struct maml_state *s = l->state;
    if (!s)
        return;
    for (int i = 0; i < MAML_MAX_BATCH; i++)
        episode_fini(&s->ep[i]);
    maml_model_destroy(s->m);
    tensor_arena_destroy(s->ar);
    free(s->labels);
    free(s->g);
    free(s->phi);
    free(s->logits);
    free(s);
    l->state = NULL;
}

/* The loop's current parameters into the model (the prefix it uses). */
static void params_sync(struct learner *l)
{
    struct maml_model *m = ((struct maml_state *)l->state)->m;
    memcpy(m->params.data, l->params, m->params.size * sizeof(float));
}

static int labels_reserve(struct maml_state *s, size_t n)
{
    if (n <= s->cap_labels)
        return 0;
    int *p = realloc(s->labels, n * sizeof(int));
    if (!p)
        return err_set(ERR_NOMEM, "maml: out of memory");
    s->labels = p;
    s->cap_labels = n;
    return 0;
}

/* Tasks over the episodes ep[0..n): labels copied to int, back to back. */
static int tasks_make(struct maml_state *s, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += s->ep[i].n_support + s->ep[i].n_query;
    if (labels_reserve(s, total) < 0)
        return ERR_NOMEM;
    int *y = s->labels;
    for (int i = 0; i < n; i++) {
        const struct episode *e = &s->ep[i];
        int *ys = y, *yq = y + e->n_support;
        for (size_t j = 0; j < e->n_support; j++)
            ys[j] = e->ys[j];
        for (size_t j = 0; j < e->n_query; j++)
            yq[j] = e->yq[j];
        s->task[i] = (struct maml_task){e->xs, ys, (int)e->n_support,
                                        e->xq, yq, (int)e->n_query};
        y += e->n_support + e->n_query;
    }
    return 0;
}

static int maml_step(struct learner *l, struct rng *rng, float *grad,
                     float *loss)
{
    struct maml_state *s = l->state;
    struct maml_model *m = s->m;
    int b = m->cfg.meta_batch, rc = 0;
    for (int i = 0; i < b && rc == 0; i++)
        rc = learner_sample_episode(l, rng, &s->ep[i]);
    if (rc == 0)
        rc = tasks_make(s, b);
    params_sync(l);
    double total = 0.0;
    for (int i = 0; i < b && rc == 0; i++) {
        float li;
        rc = maml_task_grad(m, s->ar, &s->task[i],
                            m->cfg.inner_steps_train, s->g, &li);
        for (size_t j = 0; rc == 0 && j < m->params.size; j++)
            grad[j] += s->g[j] / (float)b;
        total += li;
    }
    *loss = (float)(total / b);
    return rc;
}

static int logits_reserve(struct maml_state *s, size_t n)
{
    if (n <= s->cap_logits)
        return 0;
    float *p = realloc(s->logits, n * sizeof(float));
    if (!p)
        return err_set(ERR_NOMEM, "maml: out of memory");
    s->logits = p;
    s->cap_logits = n;
    return 0;
}

static void argmax_rows(const float *logits, size_t n, int width,
                        int32_t *pred)
{
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * (size_t)width;
        int best = 0;
        for (int j = 1; j < width; j++)
            best = z[j] > z[best] ? j : best;
        pred[i] = best;
    }
}

/*
 * Adapts to the episode's support set, then scores its queries. An
 * episode as wide as the head adapts the whole model (the head only for
 * ANIL); another width fits a fresh head on the encoder at theta.
 */
static int maml_classify(struct learner *l, const struct episode *ep,
                         int32_t *pred)
{
    struct maml_state *s = l->state;
    struct maml_model *m = s->m;
    int way = (int)ep->way, emb = maml_model_emb(m);
    size_t need = ep->n_query * (size_t)way + (size_t)(emb + 1) * way;
    int rc = logits_reserve(s, need);
    if (rc == 0)
        rc = labels_reserve(s, ep->n_support);
    if (rc < 0)
        return rc;
    for (size_t j = 0; j < ep->n_support; j++)
        s->labels[j] = ep->ys[j];
    params_sync(l);
    int n_s = (int)ep->n_support, n_q = (int)ep->n_query;
    int steps = m->cfg.inner_steps_test;
    if (way == m->cfg.way) {
        rc = maml_adapt(m, s->ar, ep->xs, s->labels, n_s, steps, s->phi);
        if (rc == 0)
            rc = maml_logits(m, s->ar, s->phi, ep->xq, n_q, s->logits);
    } else {
        float *hw = s->logits + ep->n_query * (size_t)way;
        float *hb = hw + (size_t)emb * way;
        rc = maml_head_fit(m, s->ar, ep->xs, s->labels, n_s, way, steps,
                           hw, hb);
        if (rc == 0)
            rc = maml_head_logits(m, s->ar, hw, hb, way, ep->xq, n_q,
                                  s->logits);
    }
    if (rc == 0)
        argmax_rows(s->logits, ep->n_query, way, pred);
    return rc;
}

static int maml_save(const struct learner *l, struct model *mod)
{
    const struct maml_state *s = l->state;
    struct bytes_writer w;
    bytes_writer_init(&w);
    maml_config_write(&s->m->cfg, &w);
    int rc = bytes_writer_status(&w);
    if (rc == 0)
        rc = model_section_set(mod, "MAML", w.data, w.len);
    bytes_writer_fini(&w);
    return rc;
}

static int maml_load(struct learner *l, const struct model *mod)
{
    const void *bytes;
    size_t len;
    if (model_section_get(mod, "MAML", &bytes, &len) != 0)
        return err_set(ERR_FORMAT, "model: no MAML section for method "
                       "'%s'", l->ops->name);
    struct bytes_reader r;
    bytes_reader_init(&r, bytes, len);
    struct maml_config cfg;
    enum maml_method want;
    int rc = maml_config_read(&r, &cfg);
    if (rc == 0 && method_of(l, &want) == 0 && want != cfg.method)
        rc = err_set(ERR_FORMAT, "model: MAML section says %s, the record "
                     "%s", maml_method_name(cfg.method), l->ops->name);
    struct rng unused;
    rng_seed(&unused, 0);
    l->opts.way = (size_t)cfg.way;
    if (rc == 0)
        rc = state_build(l, &cfg, &unused);
    return rc;
}

struct maml_model *maml_learner_model(struct learner *l)
{
    enum maml_method m;
    if (!l || !l->state || maml_method_parse(l->ops->name, &m) < 0) {
        err_set(ERR_INVALID, "not a MAML-family learner");
        return NULL;
    }
    params_sync(l);
    return ((struct maml_state *)l->state)->m;
}

#define MAML_OPS(id, label, text)                                          \
    const struct learner_ops learner_##id##_ops = {                        \
        .name = label,                                                     \
        .summary = text,                                                   \
        .default_rule = "mean",                                            \
        .extra_params = maml_extra,                                        \
        .init = maml_init,                                                 \
        .train_step = maml_step,                                           \
        .classify = maml_classify,                                         \
        .save = maml_save,                                                 \
        .load = maml_load,                                                 \
        .fini = maml_fini,                                                 \
    }

MAML_OPS(maml, "maml", "MAML: adapt by SGD on the support set; exact "
         "second-order meta-gradient");
MAML_OPS(fomaml, "fomaml", "first-order MAML: no second-order terms, "
         "memory flat in inner steps");
MAML_OPS(anil, "anil", "ANIL: only the head adapts in the inner loop");
