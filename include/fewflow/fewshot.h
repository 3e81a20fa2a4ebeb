/*
 * Few-shot decision rules over plain matrices: they serve both as the
 * baselines on normalised raw features and as the rules a learner applies
 * on its embedding. Support rows xs are n_s × d with labels ys in
 * 0..way-1 (every label present); queries xq are n_q × d; pred receives
 * n_q labels. Distances are squared Euclidean; ties go to the lowest index.
 * All functions are deterministic and thread-safe (no shared state).
 */
#ifndef FEWFLOW_FEWSHOT_H
#define FEWFLOW_FEWSHOT_H

#include <stddef.h>
#include <stdint.h>

/* Label of the nearest support row. */
void fewshot_nn1(const float *xs, const int32_t *ys, size_t n_s,
                 const float *xq, size_t n_q, size_t d, int32_t *pred);

/* Label of the nearest class mean. Returns 0 or ERR_NOMEM. */
int fewshot_ncm(const float *xs, const int32_t *ys, size_t n_s,
                const float *xq, size_t n_q, size_t d, size_t way,
                int32_t *pred);

struct logreg_opts {
    double l2;               /* penalty 0.5·l2·|W|² on the summed loss */
    size_t max_iter;
    double tol;              /* stop when the gradient norm falls below */
};

void logreg_opts_default(struct logreg_opts *o);

/*
 * Multinomial logistic regression fitted on the support set (weights and
 * bias; the bias is not penalised), by Nesterov-accelerated gradient
 * descent with step 1/L from the largest eigenvalue of the Gram matrix.
 * probs (n_q × way) may be NULL. Returns 0 or ERR_NOMEM.
 */
int fewshot_logreg(const float *xs, const int32_t *ys, size_t n_s,
                   const float *xq, size_t n_q, size_t d, size_t way,
                   const struct logreg_opts *o, float *probs,
                   int32_t *pred);

#endif
