/*
 * Triplet loss with margin (Schroff, Kalenichenko and Philbin, 2015) on
 * the rows of an episode: every row is an anchor, L = mean of
 * max(0, d(a, p) − d(a, n) + margin) with Euclidean d. Mining per anchor:
 *   batch-hard (Hermans, Beyer and Leibe, 2017): the farthest positive
 *     and the nearest negative;
 *   semi-hard (FaceNet): a random positive and the nearest negative
 *     farther than it (within the margin band when one exists), else the
 *     hardest negative.
 * Indices are chosen on the forward values; the loss then picks those
 * distances from the graph, so gradients flow only through chosen pairs.
 * As FaceNet does, embeddings are L2-normalised before the loss.
 */
#include <float.h>
#include <stdlib.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

static int pick_positive(const struct tensor *d, const int *y, int n, int i,
                         int hardest, struct rng *rng)
{
    int best = -1, count = 0;

    for (int j = 0; j < n; j++) {
        if (j == i || y[j] != y[i])
            continue;
        count++;
        if (hardest && (best < 0 || tensor_at(d, i, j) > tensor_at(d, i,
                                                                    best)))
            best = j;
        /* Reservoir choice keeps the random pick uniform in one pass. */
        if (!hardest && rng_below(rng, (uint64_t)count) == 0)
            best = j;
    }
    return best;
}

static int pick_negative(const struct tensor *d, const int *y, int n, int i,
                         float d_ap, int semi_hard)
{
    int hard = -1, semi = -1;

    for (int k = 0; k < n; k++) {
        float dk;

        if (y[k] == y[i])
            continue;
        dk = tensor_at(d, i, k);
        if (hard < 0 || dk < tensor_at(d, i, hard))
            hard = k;
        if (semi_hard && dk > d_ap &&
            (semi < 0 || dk < tensor_at(d, i, semi)))
            semi = k;
    }
    return semi >= 0 ? semi : hard;
}

static int triplet_indices(const struct tensor *d, const int *y, int n,
                           enum learner_mining mining, struct rng *rng,
                           int *pi, int *ni)
{
    for (int i = 0; i < n; i++) {
        pi[i] = pick_positive(d, y, n, i,
                              mining != LEARNER_MINE_SEMI_HARD, rng);
        if (pi[i] < 0)
            return err_set(ERR_INVALID, "triplet: a class with one row");
        ni[i] = pick_negative(d, y, n, i, tensor_at(d, i, pi[i]),
                              mining == LEARNER_MINE_SEMI_HARD);
        if (ni[i] < 0)
            return err_set(ERR_INVALID, "triplet: an episode of one class");
    }
    return 0;
}

static int triplet_step(struct learner *l, struct rng *rng, float *grad,
                        float *loss)
{
    struct episode *ep = learner_episodic_episode(l);
    struct tensor_arena *ar = l->ar;
    struct tensor *leaves[LEARNER_MAX_VIEWS], *z, *d, *gap;
    int n_leaves, *y, *pi, *ni;
    int n = (int)(ep->n_support + ep->n_query);
    int rc = learner_sample_episode(l, rng, ep);

    if (rc != 0)
        return rc;
    n = (int)(ep->n_support + ep->n_query);
    tensor_arena_reset(ar);
    rc = learner_leaves(l, ar, leaves, &n_leaves);
    y = tensor_arena_alloc(ar, 3 * (size_t)n * sizeof(int));
    if (rc != 0 || !y)
        return rc ? rc : err_set(ERR_NOMEM, "triplet: out of memory");
    pi = y + n;
    ni = y + 2 * n;
    z = tensor_normalize_rows(ar, learner_episode_embed_all(l, ar, leaves,
                                                            ep, rng, y),
                              1e-8f);
    d = tensor_sqrt(ar, tensor_affine(ar, tensor_sqdist(ar, z, z), 1.0f,
                                      1e-6f));
    if (!d)
        return tensor_arena_status(ar);
    rc = triplet_indices(d, y, n, l->opts.mining, rng, pi, ni);
    if (rc != 0)
        return rc;
    gap = tensor_sub(ar, tensor_pick(ar, d, pi), tensor_pick(ar, d, ni));
    return learner_step_finish(l, tensor_mean(ar, tensor_hinge(ar, gap,
                                                               l->opts.margin)),
                               leaves, n_leaves, grad, loss);
}

const struct learner_ops learner_triplet_ops = {
    .name = "triplet",
    .summary = "triplet loss with margin, batch-hard or semi-hard mining",
    .default_rule = "nn",
    .init = learner_unit_sphere_init,
    .train_step = triplet_step,
    .fini = learner_episodic_fini,
};
