/*
 * Siamese network with the contrastive loss (Hadsell, Chopra and LeCun,
 * 2006) on every pair of rows of an episode (support and queries
 * together): L = mean over positive pairs of d² + mean over negative pairs
 * of max(0, m − d)², d the Euclidean distance, m = opts.margin. Positives
 * and negatives are averaged separately so the many negative pairs do not
 * drown the few positive ones. Embeddings are L2-normalised first, so
 * the margin has a fixed meaning (distances lie in [0, 2]) and the loss
 * cannot be lowered by shrinking the whole space. At test time it
 * classifies by the nearest support row (rule "nn", cosine geometry).
 */
#include <math.h>
#include <stdlib.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

struct tensor *learner_episode_embed_all(struct learner *l,
                                         struct tensor_arena *ar,
                                         struct tensor *const *leaves,
                                         const struct episode *ep,
                                         struct rng *rng, int *y)
{
    struct tensor *zs = learner_forward(l, ar, leaves, ep->xs,
                                        ep->n_support, rng);
    struct tensor *zq = learner_forward(l, ar, leaves, ep->xq,
                                        ep->n_query, rng);

    for (size_t i = 0; i < ep->n_support; i++)
        y[i] = ep->ys[i];
    for (size_t i = 0; i < ep->n_query; i++)
        y[ep->n_support + i] = ep->yq[i];
    return tensor_concat_rows(ar, zs, zq);
}

/* Pair masks: pos[i,j] = same class (i ≠ j), neg[i,j] = other class. */
static int pair_masks(struct tensor_arena *ar, const int *y, int n,
                      struct tensor **pos, struct tensor **neg,
                      float *n_pos, float *n_neg)
{
    float *p = tensor_arena_alloc(ar, (size_t)n * (size_t)n * sizeof(float));
    float *q = tensor_arena_alloc(ar, (size_t)n * (size_t)n * sizeof(float));

    if (!p || !q)
        return ERR_NOMEM;
    *n_pos = *n_neg = 0.0f;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            p[i * n + j] = (i != j && y[i] == y[j]) ? 1.0f : 0.0f;
            q[i * n + j] = y[i] != y[j] ? 1.0f : 0.0f;
            *n_pos += p[i * n + j];
            *n_neg += q[i * n + j];
        }
    }
    *pos = tensor_from(ar, p, n, n);
    *neg = tensor_from(ar, q, n, n);
    return 0;
}

static int siamese_step(struct learner *l, struct rng *rng, float *grad,
                        float *loss)
{
    struct episode *ep = learner_episodic_episode(l);
    struct tensor_arena *ar = l->ar;
    struct tensor *leaves[LEARNER_MAX_VIEWS], *z, *d2, *d, *pos, *neg, *lp,
        *ln;
    float n_pos, n_neg;
    int n_leaves, *y;
    int rc = learner_sample_episode(l, rng, ep);

    if (rc != 0)
        return rc;
    tensor_arena_reset(ar);
    rc = learner_leaves(l, ar, leaves, &n_leaves);
    y = tensor_arena_alloc(ar, (ep->n_support + ep->n_query) * sizeof(int));
    if (rc != 0 || !y)
        return rc ? rc : err_set(ERR_NOMEM, "siamese: out of memory");
    z = tensor_normalize_rows(ar, learner_episode_embed_all(l, ar, leaves,
                                                            ep, rng, y),
                              1e-8f);
    rc = pair_masks(ar, y, (int)(ep->n_support + ep->n_query), &pos, &neg,
                    &n_pos, &n_neg);
    if (rc != 0 || n_pos == 0.0f || n_neg == 0.0f)
        return rc ? err_set(rc, "siamese: out of memory")
            : err_set(ERR_INVALID, "siamese: an episode needs two rows of "
                      "a class and two classes");
    d2 = tensor_sqdist(ar, z, z);
    d = tensor_sqrt(ar, tensor_affine(ar, d2, 1.0f, 1e-6f));
    lp = tensor_scale(ar, tensor_sum(ar, tensor_mul(ar, pos, d2)),
                      1.0f / n_pos);
    ln = tensor_square(ar, tensor_hinge(ar, tensor_scale(ar, d, -1.0f),
                                        l->opts.margin));
    ln = tensor_scale(ar, tensor_sum(ar, tensor_mul(ar, neg, ln)),
                      1.0f / n_neg);
    return learner_step_finish(l, tensor_add(ar, lp, ln), leaves, n_leaves,
                               grad, loss);
}

/* Training and test both see unit-length embeddings. */
int learner_unit_sphere_init(struct learner *l, struct rng *rng)
{
    l->arch.cosine = 1;
    return learner_episodic_init(l, rng);
}

const struct learner_ops learner_siamese_ops = {
    .name = "siamese",
    .summary = "Siamese network, contrastive loss on episode pairs",
    .default_rule = "nn",
    .init = learner_unit_sphere_init,
    .train_step = siamese_step,
    .fini = learner_episodic_fini,
};
