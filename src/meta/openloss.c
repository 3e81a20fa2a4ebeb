/*
 * Open-set episodes for prototypical training. Plain episodes only ever
 * ask a query which of the episode's classes it belongs to, so nothing
 * teaches the encoder to put a class it has not been shown far from the
 * ones it has; yet enrolling one new class at a time needs exactly that
 * (a sister tool's flows must fall outside the enrolled class's radius).
 * Here an episode draws way + open_way classes; the last open_way of them
 * (a random choice: episode_sample orders its classes at random) give
 * queries but no support, and a second term acts on those open queries:
 *
 *   entropy (PEELER; Liu et al., CVPR 2020): minus the mean entropy of
 *     their softmax over -d^2 to the prototypes, so no prototype claims
 *     them;
 *   margin: the mean over open queries o and prototypes j of
 *     max(0, 1 - d^2(o, p_j) / (R a)), a the closed queries' mean
 *     squared distance to their own prototype and R = OPEN_RATIO; a ratio,
 *     so the encoder cannot meet it by growing its scale.
 *
 * loss = cross-entropy of the closed queries + open_weight * term.
 */
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

/* Squared-distance ratio (a distance ratio of 2) beyond which an open
 * query costs nothing: the enrolled radius keeps nearly all of a class's
 * own rows, which lie well past the mean own distance. */
#define OPEN_RATIO 4.0f

static int open_sample(struct learner *l, struct rng *rng,
                       struct episode *ep, size_t *way_closed)
{
    const struct episode_sampler *s = l->data ? l->data->train_sampler
        : NULL;
    size_t m = l->opts.open_way, way = l->opts.way;

    if (!s)
        return err_set(ERR_STATE, "learner: no training data");
    if (l->arch.cosine)
        return err_set(ERR_INVALID, "open-set episodes use the Euclidean "
                       "distance: drop --cosine");
    if (s->n_classes < m + 2)
        return err_set(ERR_INVALID, "open-set episodes: --open-way %zu "
                       "needs at least %zu training classes, there are %zu",
                       m, m + 2, s->n_classes);
    if (way > s->n_classes - m)
        way = s->n_classes - m;
    *way_closed = way;
    return episode_sample(s, way + m, l->opts.shot, l->opts.query, rng, ep);
}

/* Mean over open queries of sum_j p_j log p_j: minus their entropy. */
static struct tensor *open_entropy(struct tensor_arena *ar,
                                   struct tensor *d_open)
{
    struct tensor *logp = tensor_log_softmax(ar, tensor_scale(ar, d_open,
                                                              -1.0f));
    struct tensor *plogp = tensor_mul(ar, tensor_exp(ar, logp), logp);

    return tensor_mean(ar, tensor_sum_rows(ar, plogp));
}

static struct tensor *open_margin(struct tensor_arena *ar,
                                  struct tensor *d_closed,
                                  struct tensor *d_open, const int *yq)
{
    struct tensor *own = tensor_mean(ar, tensor_pick(ar, d_closed, yq));
    struct tensor *ratio = tensor_div(ar, d_open,
                                      tensor_scale(ar, own, OPEN_RATIO));

    return tensor_mean(ar, tensor_hinge(ar, tensor_scale(ar, ratio, -1.0f),
                                        1.0f));
}

/* Closed queries come first: episode rows are grouped by label. */
static size_t closed_queries(const struct episode *ep, size_t way_closed)
{
    size_t n = 0;

    while (n < ep->n_query && (size_t)ep->yq[n] < way_closed)
        n++;
    return n;
}

int learner_open_step(struct learner *l, struct rng *rng,
                      struct episode *ep, float *grad, float *loss)
{
    struct tensor_arena *ar = l->ar;
    struct tensor *leaves[LEARNER_MAX_VIEWS], *zs, *zq, *d, *dc, *dq, *term;
    size_t way = 0, n_closed;
    int n_leaves, rc = open_sample(l, rng, ep, &way);

    if (rc != 0)
        return rc;
    n_closed = closed_queries(ep, way);
    tensor_arena_reset(ar);
    rc = learner_leaves(l, ar, leaves, &n_leaves);
    if (rc != 0)
        return rc;
    zs = learner_forward(l, ar, leaves, ep->xs, way * ep->shot, rng);
    zq = learner_forward(l, ar, leaves, ep->xq, ep->n_query, rng);
    d = tensor_sqdist(ar, zq, tensor_segment_mean(ar, zs, (const int *)ep->ys,
                                                  (int)way));
    dc = tensor_rows(ar, d, 0, (int)n_closed);
    dq = tensor_rows(ar, d, (int)n_closed, (int)(ep->n_query - n_closed));
    term = l->opts.open_loss == LEARNER_OPEN_MARGIN ?
        open_margin(ar, dc, dq, (const int *)ep->yq) : open_entropy(ar, dq);
    return learner_step_finish(
        l, tensor_add_scaled(ar, tensor_cross_entropy(
                                 ar, tensor_scale(ar, dc, -1.0f),
                                 (const int *)ep->yq),
                             term, l->opts.open_weight),
        leaves, n_leaves, grad, loss);
}
