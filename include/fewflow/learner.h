/*
 * Few-shot learners and their registry.
 *
 * Every learner trains one MLP encoder (struct model_arch) whose parameters
 * are the first n_enc_params floats of a flat vector; a learner may append
 * its own trainable parameters after them (a softmax head, a MAML head):
 *   params = [ encoder (n_enc_params) | learner extras (n_params - n_enc) ]
 * The shared training loop (meta_train in train.h) owns Adam, the
 * learning-rate schedule, validation and checkpoints; a learner only turns
 * one step of training data into a loss and a gradient over params.
 *
 * Adding a learner: write `const struct learner_ops learner_<name>_ops` in
 * src/meta/<name>.c and add one line for it to the table in
 * src/meta/registry.c. `fewflow train/eval --method <name>` then work.
 *
 * Decision rules (model_arch.rule) used when a learner has no classify op:
 *   "mean"    nearest class mean (prototype) in embedding space
 *   "nn"      nearest support row in embedding space
 *   other rules are listed by learner_rule_names().
 *
 * Ownership: a learner owns params and its state; it borrows the training
 * data (learner_data) for the duration of meta_train. Not thread-safe.
 */
#ifndef FEWFLOW_LEARNER_H
#define FEWFLOW_LEARNER_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/episode.h"
#include "fewflow/model.h"
#include "fewflow/nn.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"

/* The open-set term of protonet's open episodes (learner_opts.open_way). */
enum learner_open_loss {
    LEARNER_OPEN_ENTROPY = 0,     /* PEELER: maximise the open queries'
                                   * softmax entropy over the prototypes */
    LEARNER_OPEN_MARGIN = 1,      /* open queries beyond a ratio of the
                                   * closed queries' own distance */
};

enum learner_mining {
    LEARNER_MINE_BATCH_HARD = 0,
    LEARNER_MINE_SEMI_HARD = 1,
    LEARNER_MINE_ALL = 2,
};

/* Training options. learner_opts_default() fills sensible values. */
struct learner_opts {
    size_t way, shot, query;      /* training episode shape */
    size_t episodes;              /* meta-updates at most */
    float lr;                     /* Adam step size */
    float lr_decay;               /* multiply lr by this every lr_every */
    size_t lr_every;
    float weight_decay;           /* L2 on params, added to the gradient */
    size_t val_every;             /* validate every this many updates */
    size_t val_episodes;
    size_t patience;              /* validations without gain before stop */
    float margin;                 /* triplet and contrastive margin */
    enum learner_mining mining;
    size_t batch;                 /* rows per step for the supervised one */
    size_t inner_steps;           /* for adaptation-based learners */
    float inner_lr;
    size_t inner_steps_test;      /* MAML family: steps at test time */
    size_t meta_batch;            /* MAML family: episodes per update */
    int meta_sgd;                 /* MAML family: learn step sizes */
    int zero_head;                /* MAML family: head starts at zero */
    float init_scale;             /* encoder weights times this after the
                                   * draw (1: as drawn); finite, > 0 */
    size_t open_way;              /* protonet: classes per episode that
                                   * give only open queries (0: off) */
    float open_weight;            /* weight of the open-set term */
    enum learner_open_loss open_loss;
    uint64_t seed;
};

/* The weight variance of PyTorch's default Linear init, U(+-1/sqrt(fan_in)),
 * relative to Kaiming-normal's: 1/sqrt(6). */
#define LEARNER_INIT_SCALE_TORCH 0.40824829f

/* An init scale as `--init-scale` and a protocol's maml_init_scale write
 * it: "kaiming" (1), "torch" (LEARNER_INIT_SCALE_TORCH) or a finite
 * number above 0, the whole string. 0, or ERR_INVALID. */
int learner_init_scale_parse(const char *s, float *out);

/* What a learner trains on: rows already normalised. Borrowed. */
struct learner_data {
    const struct table *train;
    const struct episode_sampler *train_sampler;  /* meta-training classes */
};

struct learner;

struct learner_ops {
    const char *name;             /* the --method value */
    const char *summary;          /* one line for --help */
    const char *default_rule;     /* arch.rule unless --rule is given */
    /* Optional: trainable floats appended after the encoder's. */
    size_t (*extra_params)(const struct learner *l, size_t n_train_classes);
    /* Optional: allocate state; params are already initialised. */
    int (*init)(struct learner *l, struct rng *rng);
    /* One training step: draws its own data from l->data, adds the gradient
     * of its loss into grad (n_params, zeroed by the caller) and sets
     * *loss. Returns 0 or an ERR_* code. */
    int (*train_step)(struct learner *l, struct rng *rng, float *grad,
                      float *loss);
    /* Optional: predicted labels (0..way-1) for ep's queries, adapting to
     * its support set. NULL means: embed, then apply arch.rule. */
    int (*classify)(struct learner *l, const struct episode *ep,
                    int32_t *pred);
    /* Optional: store and restore state beyond params (own sections). */
    int (*save)(const struct learner *l, struct model *m);
    int (*load)(struct learner *l, const struct model *m);
    void (*fini)(struct learner *l);
};

/* Largest number of parameter views (encoder layers' W and b, extras). */
#define LEARNER_MAX_VIEWS (2 * MODEL_MAX_LAYERS + 2)

struct learner {
    const struct learner_ops *ops;
    struct learner_opts opts;
    struct model_arch arch;
    size_t n_train_classes;
    struct nn_params layout;      /* views enc.W0, enc.b0, ..., "extra" */
    struct nn_mlp mlp;
    float *params;                /* layout.data: n_params floats */
    size_t n_params;
    size_t n_enc_params;          /* floats of the encoder views */
    const struct learner_data *data;   /* set during meta_train only */
    void *state;                  /* owned by ops */
    struct tensor_arena *ar;      /* scratch for forward and backward */
};

/* The registered learner called name, or NULL. */
const struct learner_ops *learner_find(const char *name);
/* Registered learners in order, for --help: NULL past the end. */
const struct learner_ops *learner_at(size_t i);
/* The learner `train` uses when no --method is given, and the decision
 * rule it then uses (which may differ from that learner's own). */
const char *learner_default_name(void);
const char *learner_default_rule(void);

void learner_opts_default(struct learner_opts *o);
/* Default encoder shape for n_in features: n_in → 128 → 128 → 64, relu. */
void learner_arch_default(struct model_arch *a, uint32_t n_in);
/* Whether rule is a known decision rule name. */
int learner_rule_known(const char *rule);
/* Space-separated list of rule names (static string). */
const char *learner_rule_names(void);

/*
 * A learner with freshly initialised parameters (seeded): the encoder's
 * weight matrices drawn, then multiplied by opts->init_scale (its biases
 * are zero), so every scale sees the same random draws. Returns NULL with
 * ERR_INVALID (bad architecture or scale) or ERR_NOMEM recorded.
 */
struct learner *learner_create(const struct learner_ops *ops,
                               const struct learner_opts *opts,
                               const struct model_arch *arch,
                               size_t n_train_classes, uint64_t seed);

/* Rebuilds a learner from a model (method from its record). NULL with
 * ERR_NOTFOUND (unknown method) or ERR_FORMAT (parameter count mismatch). */
struct learner *learner_from_model(const struct model *m);

/* Writes arch, params and the learner's own sections into m. */
int learner_to_model(const struct learner *l, struct model *m);

void learner_destroy(struct learner *l);

/* Width of the embedding (n_emb, plus n_in with raw_skip). */
size_t learner_embed_dim(const struct learner *l);

/* Embeds n normalised rows (n × arch.n_in) into z (n × embed_dim), in
 * inference mode (no dropout). Returns 0 or ERR_NOMEM. */
int learner_embed(struct learner *l, const float *x, size_t n, float *z);

/* Predicted query labels for an episode whose rows are normalised. */
int learner_classify(struct learner *l, const struct episode *ep,
                     int32_t *pred);

/* The decision rule arch.rule applied to support and query embeddings
 * (and, for rules that use them, the normalised rows of ep). */
int learner_rule_apply(const struct learner *l, const struct episode *ep,
                       const float *zs, const float *zq, size_t dim,
                       int32_t *pred);

/* For training steps: leaf tensors over every parameter view, in layout
 * order (at most LEARNER_MAX_VIEWS), returned count in *n. */
int learner_leaves(struct learner *l, struct tensor_arena *ar,
                   struct tensor **leaves, int *n);

/* The embedding of rows x (n × n_in) as a graph tensor over leaves;
 * dropout_rng NULL for inference. NULL on failure (arena status). */
struct tensor *learner_forward(struct learner *l, struct tensor_arena *ar,
                               struct tensor *const *leaves, const float *x,
                               size_t n, struct rng *dropout_rng);

/* Backward pass of loss into grad (n_params floats, added to). */
int learner_backward(struct learner *l, struct tensor_arena *ar,
                     struct tensor *loss, struct tensor *const *leaves,
                     int n_leaves, float *grad);

#endif
