/* Internals of the meta module shared between its files. */
#ifndef FEWFLOW_LEARNER_IMPL_H
#define FEWFLOW_LEARNER_IMPL_H

#include "fewflow/learner.h"

extern const struct learner_ops learner_protonet_ops;
extern const struct learner_ops learner_siamese_ops;
extern const struct learner_ops learner_triplet_ops;
extern const struct learner_ops learner_baseline_ops;
extern const struct learner_ops learner_maml_ops, learner_fomaml_ops,
    learner_anil_ops;

/* A balanced sample of rows of the training sampler's classes. */
int learner_sample_episode(struct learner *l, struct rng *rng,
                           struct episode *ep);

/* The episode-holding state protonet, siamese and triplet share. */
int learner_episodic_init(struct learner *l, struct rng *rng);
void learner_episodic_fini(struct learner *l);
struct episode *learner_episodic_episode(struct learner *l);

/* Episodic state, and arch.cosine set: siamese and triplet. */
int learner_unit_sphere_init(struct learner *l, struct rng *rng);

/* Ends a training step: checks the arena, reads the loss, adds the
 * gradient into grad. */
int learner_step_finish(struct learner *l, struct tensor *loss,
                        struct tensor *const *leaves, int n_leaves,
                        float *grad, float *loss_out);

/* Embeds an episode's support and query rows stacked: [n_s + n_q, dim],
 * labels into y (n_s + n_q ints). */
struct tensor *learner_episode_embed_all(struct learner *l,
                                         struct tensor_arena *ar,
                                         struct tensor *const *leaves,
                                         const struct episode *ep,
                                         struct rng *rng, int *y);

/* Protonet's step on an open-set episode (opts.open_way > 0): see
 * openloss.c. */
int learner_open_step(struct learner *l, struct rng *rng,
                      struct episode *ep, float *grad, float *loss);

#endif
