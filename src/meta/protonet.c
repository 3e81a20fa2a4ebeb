/*
 * Prototypical networks (Snell, Swersky and Zemel, 2017): the prototype of
 * a class is the mean embedding of its support rows, and a query's logits
 * are its negative squared Euclidean distances to the prototypes (or,
 * with arch.cosine, ten times the cosine similarity). Loss: the mean
 * cross-entropy of the queries.
 */
#include <stdlib.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "meta/learner_impl.h"

#define COSINE_SCALE 10.0f

struct episodic_state {
    struct episode ep;
};

int learner_sample_episode(struct learner *l, struct rng *rng,
                           struct episode *ep)
{
    const struct episode_sampler *s = l->data ? l->data->train_sampler
        : NULL;
    size_t way = l->opts.way;

    if (!s)
        return err_set(ERR_STATE, "learner: no training data");
    if (way > s->n_classes)
        way = s->n_classes;
    return episode_sample(s, way, l->opts.shot, l->opts.query, rng, ep);
}

static int episodic_init(struct learner *l, struct rng *rng)
{
    struct episodic_state *s = calloc(1, sizeof(*s));

    if (!s)
        return err_set(ERR_NOMEM, "learner: out of memory");
    episode_init(&s->ep);
    l->state = s;
    return 0;
}

static void episodic_fini(struct learner *l)
{
    struct episodic_state *s = l->state;

    if (s)
        episode_fini(&s->ep);
    free(s);
    l->state = NULL;
}

/* Finishes a step: status check, loss value, gradient. */
int learner_step_finish(struct learner *l, struct tensor *loss,
                        struct tensor *const *leaves, int n_leaves,
                        float *grad, float *loss_out)
{
    int rc = tensor_arena_status(l->ar);

    if (rc != 0 || !loss)
        return rc ? rc : err_set(ERR_NOMEM, "learner: step failed");
    *loss_out = tensor_at(loss, 0, 0);
    return learner_backward(l, l->ar, loss, leaves, n_leaves, grad);
}

static int protonet_step(struct learner *l, struct rng *rng, float *grad,
                         float *loss)
{
    struct episode *ep = &((struct episodic_state *)l->state)->ep;
    struct tensor_arena *ar = l->ar;
    struct tensor *leaves[LEARNER_MAX_VIEWS], *zs, *zq, *protos, *logits;
    int n_leaves;
    int rc;

    if (l->opts.open_way > 0)
        return learner_open_step(l, rng, ep, grad, loss);
    rc = learner_sample_episode(l, rng, ep);
    if (rc != 0)
        return rc;
    tensor_arena_reset(ar);
    rc = learner_leaves(l, ar, leaves, &n_leaves);
    if (rc != 0)
        return rc;
    zs = learner_forward(l, ar, leaves, ep->xs, ep->n_support, rng);
    zq = learner_forward(l, ar, leaves, ep->xq, ep->n_query, rng);
    protos = tensor_segment_mean(ar, zs, (const int *)ep->ys, (int)ep->way);
    if (l->arch.cosine)
        logits = tensor_scale(ar, tensor_cosine(ar, zq, protos, 1e-8f),
                              COSINE_SCALE);
    else
        logits = tensor_scale(ar, tensor_sqdist(ar, zq, protos), -1.0f);
    return learner_step_finish(l, tensor_cross_entropy(ar, logits,
                                                       (const int *)ep->yq),
                               leaves, n_leaves, grad, loss);
}

const struct learner_ops learner_protonet_ops = {
    .name = "protonet",
    .summary = "prototypical network: nearest class mean in embedding space",
    .default_rule = "mean",
    .init = episodic_init,
    .train_step = protonet_step,
    .fini = episodic_fini,
};

/* Shared with the other episodic learners. */
int learner_episodic_init(struct learner *l, struct rng *rng)
{
    return episodic_init(l, rng);
}

void learner_episodic_fini(struct learner *l)
{
    episodic_fini(l);
}

struct episode *learner_episodic_episode(struct learner *l)
{
    return &((struct episodic_state *)l->state)->ep;
}
