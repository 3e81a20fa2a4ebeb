/*
 * Meta-training and few-shot evaluation loops over a learner.
 *
 * meta_train runs opts.episodes training steps with Adam (L2 weight decay
 * added to the gradient, learning rate times lr_decay every lr_every
 * steps), validates every val_every steps on fixed validation episodes
 * (the same episodes each time, drawn from a generator seeded once), keeps
 * the parameters of the best validation accuracy and stops after
 * `patience` validations without gain; the best parameters are restored
 * at the end (rules that fit a classifier per episode are validated with
 * the nearest prototype instead, which measures the same embedding at a
 * hundredth of the cost). Without a validation sampler it trains all
 * episodes and keeps the last parameters. With the same seed the result
 * is bit for bit the same on the same machine.
 *
 * meta_eval draws `episodes` test episodes from a seeded generator and
 * scores the learner and, on the very same episodes, 1-NN and logistic
 * regression on the normalised raw features.
 *
 * Leaf module: no logging; progress goes through the callback.
 */
#ifndef FEWFLOW_METATRAIN_H
#define FEWFLOW_METATRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/episode.h"
#include "fewflow/evalstats.h"
#include "fewflow/learner.h"
#include "fewflow/model.h"

/* Called after each step; val_acc is NAN between validations. */
typedef void (*meta_progress_fn)(void *ctx, size_t step, size_t total,
                                 float loss, double val_acc);

struct meta_train_result {
    size_t steps;            /* steps run */
    size_t best_step;        /* step of the kept parameters */
    double best_val;         /* its validation accuracy (NAN without) */
    double best_val_ci95;
    double seconds;          /* wall time of the training steps */
    double steps_per_s;      /* training steps only, validation excluded */
    float last_loss;
};

int meta_train(struct learner *l, const struct learner_data *data,
               const struct episode_sampler *val, meta_progress_fn progress,
               void *ctx, struct meta_train_result *res);

/*
 * Choosing the encoder's starting scale on validation data (`fewflow train
 * --init-scale auto`). Which scale trains best depends on the data (for
 * MAML on unsw-nb15 a small one, on cic-ids2017 Kaiming's), so each
 * candidate is trained in full from the same seed and options, with
 * validation and early stopping as meta_train, and the learner whose best
 * validation accuracy is highest is kept (the earliest candidate on a
 * tie). The validation episodes are the same for every candidate.
 */
struct meta_candidate {
    float init_scale;               /* in: learner_opts.init_scale */
    double first_val;               /* out: accuracy at the first check */
    struct meta_train_result res;   /* out: res.best_val decides */
};

struct meta_select {
    const struct learner_ops *ops;
    struct learner_opts opts;       /* init_scale is each candidate's */
    struct model_arch arch;
    size_t n_train_classes;
    /* Optional: called before and after each candidate trains. */
    void (*begin)(void *ctx, size_t i, const struct meta_candidate *c);
    void (*end)(void *ctx, size_t i, const struct meta_candidate *c);
    meta_progress_fn progress;      /* optional, as for meta_train */
    void *ctx;
};

/*
 * Trains cands[0..n) on data, validating on val (required: ERR_INVALID
 * without), and sets *out to the kept learner (the caller destroys it) and
 * *chosen to its index; a losing learner is destroyed as soon as it loses,
 * so at most two live at once. Returns 0 or the first error (no learner
 * then). With the same seed the kept learner is bit for bit the one
 * meta_train gives at that candidate's scale.
 */
int meta_train_select(const struct meta_select *sel,
                      const struct learner_data *data,
                      const struct episode_sampler *val,
                      struct meta_candidate *cands, size_t n,
                      struct learner **out, size_t *chosen);

/*
 * For training data without validation classes, whose held-out rows show
 * how a scale serves known classes but not new ones: holds out
 * h = max(2, round(0.4 n)) of the n classes of data->train_sampler (a draw
 * seeded from sel->opts.seed), runs meta_train_select on the others with
 * validation on episodes of the held-out ones (way capped at each side's
 * class count) and sets *chosen; the learners it trains are not kept, the
 * caller trains the final one at the chosen scale. held (room for the
 * sampler's class count, or NULL) gets the held-out table class ids and
 * *n_held their count. Needs n >= 4 (ERR_INVALID); rows per class as for
 * training (shot + 1).
 */
int meta_select_on_classes(const struct meta_select *sel,
                           const struct learner_data *data,
                           struct meta_candidate *cands, size_t n,
                           size_t *chosen, int32_t *held, size_t *n_held);

/*
 * The choice in a model's record: metrics "init_scale" (the kept scale)
 * and, for each candidate, "val_accuracy_<name>" where names[i] names
 * cands[i]. meta_record_init_scale reads the scale back: 1 (the encoder
 * as drawn) for a model trained before the option existed.
 */
int meta_record_init_choice(struct model *m,
                            const struct meta_candidate *cands,
                            const char *const *names, size_t n,
                            size_t chosen);
float meta_record_init_scale(const struct model *m);

/* Accuracy of l on n seeded episodes of the given shape. */
int meta_validate(struct learner *l, const struct episode_sampler *s,
                  size_t way, size_t shot, size_t query, size_t n,
                  uint64_t seed, double *acc, double *ci95);

struct meta_eval_opts {
    size_t way, shot, query, episodes;
    uint64_t seed;
    int baselines;           /* also score knn1 and logreg */
};

enum { META_EVAL_LEARNER = 0, META_EVAL_KNN1 = 1, META_EVAL_LOGREG = 2 };

struct meta_eval_result {
    struct eval_stats stats[3];    /* indexed by META_EVAL_* */
    int n_stats;                   /* 1, or 3 with baselines */
    size_t short_episodes;         /* episodes with a short class */
    double seconds;
};

/* Confusion matrices are indexed by the sampler's class index. */
int meta_eval(struct learner *l, const struct episode_sampler *test,
              const struct meta_eval_opts *o, meta_progress_fn progress,
              void *ctx, struct meta_eval_result *res);
void meta_eval_result_fini(struct meta_eval_result *res);

/*
 * Pseudo sub-classes for meta-training: each class of t is split by
 * k-means (k-means++ seeding from `seed`, Lloyd iterations) into up to k
 * clusters of at least min_rows rows, named "<class>#<i>"; rows of smaller
 * clusters are left out. Finer, more numerous training classes give the
 * episodes more variety than the few classes of a protocol. Returns a new
 * table, or NULL (ERR_NOMEM, ERR_INVALID for k < 1).
 */
struct table *meta_table_subclasses(const struct table *t, size_t k,
                                    size_t min_rows, uint64_t seed);

#endif
