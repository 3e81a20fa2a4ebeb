/*
 * Internals shared by the MAML files of src/meta: the model's forward pass
 * over a set of view tensors and the validation of a task.
 */
#ifndef FEWFLOW_META_MAML_IMPL_H
#define FEWFLOW_META_MAML_IMPL_H

#include "fewflow/maml.h"
#include "fewflow/tensor.h"

/* logits [rows, way] = act(enc(x)) W_h + b_h; w holds every model view in
 * layout order (leaves, fast weights or constants). */
struct tensor *maml_forward(const struct maml_model *m,
                            struct tensor_arena *ar, struct tensor *const *w,
                            struct tensor *x);

/* The head alone on features z [rows, emb]. */
struct tensor *maml_head_forward(const struct maml_model *m,
                                 struct tensor_arena *ar,
                                 struct tensor *const *w, struct tensor *z);

/* Constant tensors over the model views of flat buffer phi: cv is caller
 * storage for n_model_views tensors, w receives pointers to them. */
void maml_const_views(const struct maml_model *m, const float *phi,
                      struct tensor *cv, struct tensor **w);

/* Rows with labels in [0, n_classes): 0 or ERR_INVALID naming `what`. */
int maml_check_rows(const float *x, const int *y, int n, int n_classes,
                    const char *what);

/*
 * SGD on the support rows in flat buffer phi (which the caller fills with
 * the starting point), keeping no graph: the arena is rewound after every
 * step. Views [first, n_model_views) move. feat is the input of the
 * forward pass: rows of x for the whole model, encoder features when
 * is_head_only. Step sizes come from phi's Meta-SGD views when present.
 */
int maml_sgd_flat(const struct maml_model *m, struct tensor_arena *ar,
                  struct tensor *feat, const int *y, int steps, int first,
                  int is_head_only, float *phi);

#endif
