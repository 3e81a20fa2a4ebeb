/*
 * Optimisation-based meta-learning: MAML (Finn, Abbeel and Levine, 2017)
 * with exact second-order meta-gradients, its first-order approximation
 * FOMAML, ANIL (Raghu et al., 2020: only the head adapts) and, as an
 * option, Meta-SGD (Li et al., 2017: a learned step size per parameter).
 *
 * The model is the MLP encoder of nn.h followed by a ReLU and a linear
 * N-way head: logits = relu(f_enc(x)) W_h + b_h. All parameters theta live
 * in one flat buffer (struct nn_params) whose views are, in order, the
 * encoder's enc.W0, enc.b0, ..., then head.W [emb, way] and head.b
 * [1, way], then, with Meta-SGD only, one step-size view per parameter view
 * (lr.enc.W0, ...). Fast weights, gradients and optimiser state are flat
 * vectors of the same layout.
 *
 * Adaptation to a task (an episode's support set): S steps of
 *     phi_{s+1} = phi_s - alpha * grad L_support(phi_s),  phi_0 = theta,
 * on the cross-entropy of the support rows; alpha is a scalar or, with
 * Meta-SGD, the learned per-parameter vector. The meta-objective is the
 * query loss at phi_S averaged over a meta-batch of episodes.
 *   MAML_SECOND_ORDER  the gradient of that loss with respect to theta
 *                      through the inner loop (every phi_s is a graph
 *                      function of theta; memory grows with S);
 *   MAML_FIRST_ORDER   the query gradient at phi_S, used as the gradient
 *                      for theta (no second-order terms; memory flat in S);
 *   MAML_ANIL          only head.W and head.b adapt; the encoder is
 *                      shared and the meta-gradient is exact (second order
 *                      through the head's inner loop).
 *
 * Episodes give support and query rows with labels 0..way-1 that the
 * sampler assigns in a fresh random order per episode, so no output unit
 * is tied to a class: the head's starting point must serve any labelling.
 * With is_zero_head that starting point is fixed at zero and only the
 * encoder (and step sizes) are meta-learned: the "zeroing trick" of Kao et
 * al. (ICLR 2022), which removes the labelling-dependent part of the head's
 * initialisation that permuted labels can only average away.
 *
 * Threads: a model is read-only during adaptation and evaluation, so one
 * model may serve several threads, each with its own arena. Training
 * mutates it and needs exclusive use. Leaf module: no logging; fallible
 * functions return 0 or a negative ERR_* with err_msg() detail.
 *
 * Glossary: theta = meta-parameters, phi = fast weights, alpha = inner
 * step size, S = inner steps, emb = embedding width (the encoder's output).
 */
#ifndef FEWFLOW_MAML_H
#define FEWFLOW_MAML_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/nn.h"

struct rng;
struct tensor_arena;

enum maml_method {
    MAML_SECOND_ORDER = 0,
    MAML_FIRST_ORDER = 1,
    MAML_ANIL = 2,
};

struct maml_config {
    enum maml_method method;
    int way;                /* outputs of the head, N of N-way */
    int inner_steps_train;  /* S during meta-training (5) */
    int inner_steps_test;   /* S when adapting to a test task (10) */
    float inner_lr;         /* alpha, or Meta-SGD's starting value (0.1) */
    int is_meta_sgd;        /* learn alpha per parameter (Meta-SGD) */
    int is_zero_head;       /* every task's head starts at zero */
    int meta_batch;         /* episodes per outer update (4) */
    float meta_lr;          /* outer Adam step (1e-3) */
    float grad_clip;        /* outer global-norm clip, 0 = none */
};

/* The defaults above: second order, 5-way, 5/10 steps at 0.1, batch 4. */
void maml_config_default(struct maml_config *c);

/* Method from its command-line name ("maml", "fomaml", "anil"); returns
 * 0 or ERR_INVALID. maml_method_name() never returns NULL. */
int maml_method_parse(const char *name, enum maml_method *out);
const char *maml_method_name(enum maml_method m);
/* Whether name is one of the MAML family's methods (nothing recorded). */
int maml_method_known(const char *name);

struct maml_model {
    struct maml_config cfg;
    struct nn_mlp enc;          /* views [0, enc_views) */
    struct nn_params params;    /* theta (and Meta-SGD step sizes) */
    int enc_views;              /* 2 * encoder layers */
    int head_view;              /* index of head.W; head.b follows */
    int n_model_views;          /* enc_views + 2: views that fast-adapt */
    int lr_view;                /* first step-size view, -1 without */
    size_t n_model;             /* floats in views [0, n_model_views) */
};

/*
 * A model for inputs of enc->widths[0] features; enc->widths[n_layers] is
 * the embedding width. Weights are drawn from r (Kaiming for the encoder,
 * PyTorch's default uniform for the head); step sizes start at
 * cfg->inner_lr. Returns NULL on a bad configuration (ERR_INVALID) or
 * allocation failure (ERR_NOMEM). The model owns its buffers.
 */
struct maml_model *maml_model_create(const struct maml_config *cfg,
                                     const struct nn_mlp_config *enc,
                                     struct rng *r);
void maml_model_destroy(struct maml_model *m);

/* A task: rows of x (n x n_in, row-major, borrowed) labelled 0..way-1. */
struct maml_task {
    const float *xs;
    const int *ys;
    int n_support;
    const float *xq;
    const int *yq;
    int n_query;
};

/*
 * Meta-gradient of one task's post-adaptation query loss with respect to
 * every float of theta (params.size floats, overwritten in grad), with
 * `steps` inner steps and the model's method. *loss gets the query loss
 * (may be NULL). Uses ar and resets it before returning (scratch only).
 * Returns 0, ERR_INVALID (labels out of range, empty sets) or the arena's
 * error (ERR_NOMEM when its byte bound is reached).
 */
int maml_task_grad(const struct maml_model *m, struct tensor_arena *ar,
                   const struct maml_task *t, int steps, float *grad,
                   float *loss);

/*
 * One outer update: the mean meta-gradient of n tasks (inner_steps_train
 * each), clipped, then an Adam step on theta through o (initialised for
 * params.size floats by maml_optim_init). scratch holds 2 * params.size
 * floats. *loss gets the mean query loss (may be NULL).
 */
int maml_optim_init(const struct maml_model *m, struct nn_optim *o);
int maml_train_step(struct maml_model *m, struct nn_optim *o,
                    struct tensor_arena *ar, const struct maml_task *tasks,
                    int n, float *scratch, float *loss);

/*
 * Adaptation for inference: phi after `steps` plain SGD steps (no graph
 * kept; memory does not grow with steps) on the support rows x (n x n_in)
 * with labels y in [0, way). phi holds params.size floats; its step-size
 * views, if any, are copied from theta. With ANIL only the head moves.
 * Resets ar. Returns 0 or a negative ERR_*.
 */
int maml_adapt(const struct maml_model *m, struct tensor_arena *ar,
               const float *x, const int *y, int n, int steps, float *phi);

/*
 * Logits (n x way, row-major) of rows x under fast weights phi (a flat
 * vector from maml_adapt, or params.data for theta itself). Resets ar.
 */
int maml_logits(const struct maml_model *m, struct tensor_arena *ar,
                const float *phi, const float *x, int n, float *logits);

/* Accuracy (0..1) of phi on rows x with labels y, via maml_logits. */
int maml_accuracy(const struct maml_model *m, struct tensor_arena *ar,
                  const float *phi, const float *x, const int *y, int n,
                  double *acc);

/*
 * For class memory (detect): a head for any number of classes. The
 * encoder stays at theta; the head starts from theta's head (for
 * n_classes == way) or from the mean of its columns (otherwise, the part
 * of the head that does not depend on the labelling) and takes `steps`
 * SGD steps at inner_lr on the support rows. head_w gets emb x n_classes
 * floats, head_b n_classes. Classes with no support row are ERR_INVALID.
 * maml_head_logits scores rows with such a head (n x n_classes logits).
 * Both reset ar.
 */
int maml_head_fit(const struct maml_model *m, struct tensor_arena *ar,
                  const float *x, const int *y, int n, int n_classes,
                  int steps, float *head_w, float *head_b);
int maml_head_logits(const struct maml_model *m, struct tensor_arena *ar,
                     const float *head_w, const float *head_b,
                     int n_classes, const float *x, int n, float *logits);

/*
 * The model as a self-contained byte section (config, encoder shape and
 * theta) for the model file. maml_model_read validates every field and
 * returns NULL with ERR_FORMAT/ERR_PARSE detail naming the byte offset on
 * a damaged or foreign section; the reader is left failed.
 */
struct bytes_writer;
struct bytes_reader;
void maml_model_write(const struct maml_model *m, struct bytes_writer *w);
struct maml_model *maml_model_read(struct bytes_reader *r);

/* The configuration alone (the learner's "MAML" model section): magic,
 * version and the fields of struct maml_config. Reading validates ranges
 * and returns 0 or ERR_FORMAT/ERR_PARSE with the byte offset. */
void maml_config_write(const struct maml_config *c, struct bytes_writer *w);
int maml_config_read(struct bytes_reader *r, struct maml_config *c);

/*
 * The MAML model behind a learner of method maml, fomaml or anil (see
 * learner.h), with the learner's current parameters copied in: for
 * detect's class memory, call maml_head_fit / maml_head_logits on it, or
 * maml_adapt / maml_logits. Borrowed: valid until the learner is
 * destroyed, or its parameters change (call again then). NULL with
 * ERR_INVALID for other learners.
 */
struct learner;
struct maml_model *maml_learner_model(struct learner *l);

/* Embedding width and input width of the model. */
int maml_model_emb(const struct maml_model *m);
int maml_model_inputs(const struct maml_model *m);

#endif
