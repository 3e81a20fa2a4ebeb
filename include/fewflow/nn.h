/*
 * Neural-network basics on top of tensor.h: parameters in one flat buffer
 * with named views, an MLP encoder and a linear head written as pure
 * functions of (parameter tensors, input), seeded initialisers, optimisers
 * over flat buffers and gradient clipping.
 *
 * Parameters. A model's parameters are one flat float buffer (struct
 * nn_params) cut into named views (a weight matrix, a bias row). Fast
 * weights, optimiser state, checkpoints and gradients are plain vectors of
 * the same length and layout. A step turns the views into leaf tensors with
 * nn_params_leaves() and the functions below take those tensors, so MAML
 * can pass fast weights (theta - alpha * g, graph tensors) instead.
 *
 * Layout conventions: a dense layer y = x W + b has W [in, out] and
 * b [1, out]; x holds one example per row. An MLP's views are, in order,
 * W0, b0, W1, b1, ...
 *
 * Memory: struct nn_params owns its data buffer (nn_params_alloc /
 * nn_params_fini); everything a forward pass returns lives in the arena
 * passed to it. Leaf modules do not log: failures return negative ERR_*.
 */
#ifndef FEWFLOW_NN_H
#define FEWFLOW_NN_H

#include <stddef.h>

#include "fewflow/tensor.h"

struct rng;

/* ------------------------------------------------------------------ */
/* Flat parameter buffer with named views                              */
/* ------------------------------------------------------------------ */

enum {
    NN_MAX_VIEWS = 64,
    NN_NAME_MAX = 48,
};

struct nn_view {
    char name[NN_NAME_MAX];
    size_t offset;        /* first float in the flat buffer */
    int rows, cols;       /* contiguous rows x cols */
};

struct nn_params {
    float *data;          /* size floats, owned; NULL before alloc */
    size_t size;
    int n_views;
    struct nn_view views[NN_MAX_VIEWS];
};

/* An empty layout; no allocation. */
void nn_params_init(struct nn_params *p);
/* Frees data; p can be initialised again. */
void nn_params_fini(struct nn_params *p);

/* Appends a view of rows x cols floats; returns its index, or ERR_RANGE when
 * the layout is full, ERR_INVALID for a bad shape or a name of
 * NN_NAME_MAX bytes or more, ERR_STATE after nn_params_alloc. */
int nn_params_add(struct nn_params *p, const char *name, int rows, int cols);

/* Allocates the zeroed flat buffer once the layout is complete; 0,
 * ERR_STATE (empty layout or allocated already) or ERR_NOMEM. */
int nn_params_alloc(struct nn_params *p);

/* Index of the view called name, or ERR_NOTFOUND. */
int nn_params_find(const struct nn_params *p, const char *name);

/* Pointer to view i inside data (borrowed). */
float *nn_params_view(const struct nn_params *p, int i);

/*
 * Leaf tensors (requiring gradients) over views [first, first + n) of
 * flat, a buffer with p's layout (p->data itself, or fast-weight storage).
 * out[k] for k < n; returns 0, ERR_RANGE for views outside the layout, or
 * the arena's error.
 */
int nn_params_leaves(struct tensor_arena *ar, const struct nn_params *p,
                     float *flat, int first, int n, struct tensor **out);

/* Writes tensors ts[k] (shaped like view first + k) into flat buffer
 * dst at their views' offsets; used to turn tensor_grad output into a
 * flat gradient. Returns ERR_INVALID on a shape mismatch. */
int nn_params_scatter(const struct nn_params *p, int first, int n,
                      struct tensor *const *ts, float *dst);

/* ------------------------------------------------------------------ */
/* Initialisers (seeded)                                               */
/* ------------------------------------------------------------------ */

/* Kaiming-He normal for ReLU layers: N(0, 2 / fan_in) (He et al., 2015). */
void nn_init_kaiming(float *w, int fan_in, int fan_out, struct rng *r);
/* Xavier-Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)). */
void nn_init_xavier(float *w, int fan_in, int fan_out, struct rng *r);

/* ------------------------------------------------------------------ */
/* MLP encoder and linear head                                         */
/* ------------------------------------------------------------------ */

enum nn_act {
    NN_ACT_RELU = 0,
    NN_ACT_TANH = 1,
    NN_ACT_LEAKY_RELU = 2,   /* slope 0.01 */
    NN_ACT_NONE = 3,
};

enum { NN_MLP_MAX_LAYERS = 8 };

struct nn_mlp_config {
    int n_layers;                           /* dense layers, >= 1 */
    int widths[NN_MLP_MAX_LAYERS + 1];      /* in, hidden..., out */
    enum nn_act act;                        /* between layers */
    int act_last;       /* also apply act after the last layer */
    float dropout;      /* on hidden activations in training, [0, 1) */
};

struct nn_mlp {
    struct nn_mlp_config cfg;
    int first_view;     /* index of W0 in the nn_params layout */
};

/*
 * Registers the MLP's views (prefix.W0, prefix.b0, ...) in p, which must
 * not be allocated yet. Returns 0, ERR_INVALID for a bad config or the
 * error of nn_params_add.
 */
int nn_mlp_init(struct nn_mlp *m, const struct nn_mlp_config *cfg,
                struct nn_params *p, const char *prefix);

/* Number of views the MLP uses (2 * n_layers). */
int nn_mlp_n_views(const struct nn_mlp *m);

/* Fills the MLP's weights with Kaiming (ReLU family) or Xavier (tanh,
 * none) and its biases with zeros, in flat buffer p->data. */
void nn_mlp_reset(const struct nn_mlp *m, struct nn_params *p,
                  struct rng *r);

/*
 * Forward pass: x [rows, widths[0]] -> [rows, widths[n_layers]].
 * w holds the MLP's 2 * n_layers parameter tensors in view order (leaves
 * from nn_params_leaves, or fast weights). dropout_rng NULL means
 * evaluation (no dropout); otherwise dropout at cfg.dropout draws from it.
 * Returns an arena tensor or NULL (see tensor.h, Errors).
 */
struct tensor *nn_mlp_forward(struct tensor_arena *ar, const struct nn_mlp *m,
                              struct tensor *const *w, struct tensor *x,
                              struct rng *dropout_rng);

/* x w + b, w [in, out], b [1, out]: a linear head (e.g. MAML's classifier). */
struct tensor *nn_linear_forward(struct tensor_arena *ar, struct tensor *w,
                                 struct tensor *b, struct tensor *x);

/* ------------------------------------------------------------------ */
/* Optimisers over flat buffers                                        */
/* ------------------------------------------------------------------ */

enum nn_optim_kind {
    NN_OPTIM_SGD = 0,      /* with optional (Nesterov) momentum */
    NN_OPTIM_ADAM = 1,     /* Kingma & Ba, 2015; L2 added to the gradient */
    NN_OPTIM_ADAMW = 2,    /* Loshchilov & Hutter, 2019; decoupled decay */
};

struct nn_optim_config {
    enum nn_optim_kind kind;
    float lr;
    float momentum;        /* SGD */
    int nesterov;          /* SGD */
    float beta1, beta2, eps; /* Adam(W); 0 means 0.9, 0.999, 1e-8 */
    float weight_decay;
};

struct nn_optim {
    struct nn_optim_config cfg;
    size_t n;
    long step;
    float *m, *v;          /* owned state, n floats each (v only Adam) */
};

/* State for n parameters; returns 0, ERR_INVALID or ERR_NOMEM. */
int nn_optim_init(struct nn_optim *o, const struct nn_optim_config *cfg,
                  size_t n);
void nn_optim_fini(struct nn_optim *o);

/* One update of params (n floats) with gradient grad (n floats). */
void nn_optim_step(struct nn_optim *o, float *params, const float *grad);

/* Scales grad (n floats) so its L2 norm is at most max_norm; returns the
 * norm before clipping. A non-finite norm leaves grad unchanged. */
float nn_clip_grad_norm(float *grad, size_t n, float max_norm);

#endif
