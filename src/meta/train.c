#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fewflow/err.h"
#include "fewflow/evalstats.h"
#include "fewflow/metatrain.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int meta_validate(struct learner *l, const struct episode_sampler *s,
                  size_t way, size_t shot, size_t query, size_t n,
                  uint64_t seed, double *acc, double *ci95)
{
    struct episode ep;
    struct rng rng;
    double *accs = malloc((n ? n : 1) * sizeof(double));
    int32_t *pred = NULL;
    int rc = accs ? 0 : err_set(ERR_NOMEM, "validation: out of memory");

    episode_init(&ep);
    rng_seed(&rng, seed);
    if (way > s->n_classes)
        way = s->n_classes;
    for (size_t e = 0; e < n && rc == 0; e++) {
        size_t right = 0;

        rc = episode_sample(s, way, shot, query, &rng, &ep);
        free(pred);
        pred = rc == 0 ? malloc(ep.n_query * sizeof(int32_t)) : NULL;
        if (rc == 0 && !pred)
            rc = err_set(ERR_NOMEM, "validation: out of memory");
        if (rc == 0)
            rc = learner_classify(l, &ep, pred);
        for (size_t i = 0; rc == 0 && i < ep.n_query; i++)
            right += pred[i] == ep.yq[i];
        if (rc == 0)
            accs[e] = (double)right / (double)ep.n_query;
    }
    if (rc == 0)
        eval_mean_ci95(accs, n, acc, ci95);
    free(pred);
    free(accs);
    episode_fini(&ep);
    return rc;
}

struct train_ctx {
    struct learner *l;
    const struct episode_sampler *val;
    struct nn_optim opt;
    float *grad;
    float *best;
    size_t since_best;
    struct meta_train_result *res;
};

/* Rules that fit a classifier per episode cost a hundred times more than
 * the nearest prototype; validation measures the embedding, so it uses the
 * nearest prototype for them. */
static int rule_is_fitted(const char *rule)
{
    return strncmp(rule, "logreg", 6) == 0 || strncmp(rule, "ens", 3) == 0 ||
        strcmp(rule, "auto") == 0;
}

/* Validates, keeps the best parameters; returns 1 when it is time to stop. */
static int train_validate(struct train_ctx *c, size_t step, double *acc,
                          int *rc)
{
    const struct learner_opts *o = &c->l->opts;
    char rule[sizeof(c->l->arch.rule)];
    double ci;

    memcpy(rule, c->l->arch.rule, sizeof(rule));
    if (rule_is_fitted(rule))
        strcpy(c->l->arch.rule, "mean");
    *rc = meta_validate(c->l, c->val, o->way, o->shot, o->query,
                        o->val_episodes, o->seed ^ 0x5eedULL, acc, &ci);
    memcpy(c->l->arch.rule, rule, sizeof(rule));
    if (*rc != 0)
        return 1;
    if (isnan(c->res->best_val) || *acc > c->res->best_val) {
        c->res->best_val = *acc;
        c->res->best_val_ci95 = ci;
        c->res->best_step = step;
        memcpy(c->best, c->l->params, c->l->n_params * sizeof(float));
        c->since_best = 0;
        return 0;
    }
    return ++c->since_best >= o->patience;
}

static int train_step(struct train_ctx *c, struct rng *rng, size_t step)
{
    struct learner *l = c->l;
    const struct learner_opts *o = &l->opts;
    float loss = 0.0f;
    int rc;

    memset(c->grad, 0, l->n_params * sizeof(float));
    rc = l->ops->train_step(l, rng, c->grad, &loss);
    if (rc != 0)
        return rc;
    if (!isfinite(loss))
        return err_set(ERR_RANGE, "training diverged at step %zu (loss %g):"
                       " lower --lr", step, (double)loss);
    if (o->lr_every && step > 0 && step % o->lr_every == 0)
        c->opt.cfg.lr *= o->lr_decay;
    nn_clip_grad_norm(c->grad, l->n_params, 10.0f);
    nn_optim_step(&c->opt, l->params, c->grad);
    c->res->last_loss = loss;
    /* A huge step can leave the loss finite but the parameters not; the
     * next failure would then surface far away (class memory, eval). */
    for (size_t i = 0; i < l->n_params; i++) {
        if (!isfinite(l->params[i]))
            return err_set(ERR_RANGE, "training diverged at step %zu "
                           "(parameters no longer finite): lower --lr",
                           step);
    }
    return 0;
}

static int train_ctx_init(struct train_ctx *c, struct learner *l,
                          const struct episode_sampler *val,
                          struct meta_train_result *res)
{
    struct nn_optim_config cfg = { 0 };

    memset(c, 0, sizeof(*c));
    c->l = l;
    c->val = val;
    c->res = res;
    cfg.kind = NN_OPTIM_ADAM;
    cfg.lr = l->opts.lr;
    cfg.weight_decay = l->opts.weight_decay;
    c->grad = malloc(l->n_params * sizeof(float));
    c->best = malloc(l->n_params * sizeof(float));
    if (!c->grad || !c->best)
        return err_set(ERR_NOMEM, "training: out of memory");
    return nn_optim_init(&c->opt, &cfg, l->n_params);
}

static void train_ctx_fini(struct train_ctx *c)
{
    nn_optim_fini(&c->opt);
    free(c->grad);
    free(c->best);
}

int meta_train(struct learner *l, const struct learner_data *data,
               const struct episode_sampler *val, meta_progress_fn progress,
               void *ctx, struct meta_train_result *res)
{
    struct train_ctx c;
    struct rng rng;
    double t_train = 0.0;
    int rc, stop = 0;

    memset(res, 0, sizeof(*res));
    res->best_val = NAN;
    res->best_val_ci95 = NAN;
    rc = train_ctx_init(&c, l, val, res);
    l->data = data;
    rng_seed(&rng, l->opts.seed);
    for (size_t step = 1; rc == 0 && !stop && step <= l->opts.episodes;
         step++) {
        double t0 = now_s(), acc = NAN;

        rc = train_step(&c, &rng, step);
        t_train += now_s() - t0;
        res->steps = step;
        if (rc == 0 && val && (step % l->opts.val_every == 0 ||
                               step == l->opts.episodes))
            stop = train_validate(&c, step, &acc, &rc);
        if (rc == 0 && progress)
            progress(ctx, step, l->opts.episodes, res->last_loss, acc);
    }
    if (rc == 0 && val && !isnan(res->best_val))
        memcpy(l->params, c.best, l->n_params * sizeof(float));
    if (rc == 0 && !val)
        res->best_step = res->steps;
    res->seconds = t_train;
    res->steps_per_s = t_train > 0.0 ? (double)res->steps / t_train : 0.0;
    l->data = NULL;
    train_ctx_fini(&c);
    return rc;
}
