#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fewflow/err.h"
#include "fewflow/fewshot.h"
#include "fewflow/metatrain.h"

void meta_eval_result_fini(struct meta_eval_result *res)
{
    for (int i = 0; i < 3; i++)
        eval_stats_fini(&res->stats[i]);
    memset(res, 0, sizeof(*res));
}

/* Episode labels 0..way-1 map to the sampler's class index. */
static void episode_class_index(const struct episode_sampler *s,
                                const struct episode *ep, int32_t *idx)
{
    for (size_t j = 0; j < ep->way; j++) {
        idx[j] = 0;
        for (size_t c = 0; c < s->n_classes; c++) {
            if (s->class_ids[c] == ep->classes[j])
                idx[j] = (int32_t)c;
        }
    }
}

static int eval_baselines(const struct episode *ep, int32_t *pred,
                          const int32_t *idx, struct meta_eval_result *res)
{
    struct logreg_opts lo;
    int rc;

    fewshot_nn1(ep->xs, ep->ys, ep->n_support, ep->xq, ep->n_query,
                ep->n_cols, pred);
    rc = eval_stats_add(&res->stats[META_EVAL_KNN1], pred, ep->yq,
                        ep->n_query, idx, ep->way);
    logreg_opts_default(&lo);
    if (rc == 0)
        rc = fewshot_logreg(ep->xs, ep->ys, ep->n_support, ep->xq,
                            ep->n_query, ep->n_cols, ep->way, &lo, NULL,
                            pred);
    if (rc == 0)
        rc = eval_stats_add(&res->stats[META_EVAL_LOGREG], pred, ep->yq,
                            ep->n_query, idx, ep->way);
    return rc;
}

static int eval_one(struct learner *l, const struct episode_sampler *s,
                    const struct episode *ep, int baselines,
                    struct meta_eval_result *res)
{
    int32_t *pred = malloc((ep->n_query ? ep->n_query : 1) *
                           sizeof(int32_t));
    int32_t idx[256];
    int rc = pred ? 0 : err_set(ERR_NOMEM, "evaluation: out of memory");

    if (ep->way > 256)
        rc = err_set(ERR_RANGE, "evaluation: way %zu over 256", ep->way);
    if (rc == 0) {
        episode_class_index(s, ep, idx);
        rc = learner_classify(l, ep, pred);
    }
    if (rc == 0)
        rc = eval_stats_add(&res->stats[META_EVAL_LEARNER], pred, ep->yq,
                            ep->n_query, idx, ep->way);
    if (rc == 0 && baselines)
        rc = eval_baselines(ep, pred, idx, res);
    free(pred);
    return rc;
}

int meta_eval(struct learner *l, const struct episode_sampler *test,
              const struct meta_eval_opts *o, meta_progress_fn progress,
              void *ctx, struct meta_eval_result *res)
{
    struct episode ep;
    struct rng rng;
    clock_t t0 = clock();
    int rc = 0;

    memset(res, 0, sizeof(*res));
    res->n_stats = o->baselines ? 3 : 1;
    for (int i = 0; i < res->n_stats && rc == 0; i++)
        rc = eval_stats_init(&res->stats[i], test->n_classes);
    episode_init(&ep);
    rng_seed(&rng, o->seed);
    for (size_t e = 0; e < o->episodes && rc == 0; e++) {
        rc = episode_sample(test, o->way, o->shot, o->query, &rng, &ep);
        if (rc == 0)
            rc = eval_one(l, test, &ep, o->baselines, res);
        res->short_episodes += rc == 0 && ep.n_short_classes > 0;
        if (rc == 0 && progress)
            progress(ctx, e + 1, o->episodes, 0.0f, NAN);
    }
    episode_fini(&ep);
    res->seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (rc != 0)
        meta_eval_result_fini(res);
    return rc;
}
