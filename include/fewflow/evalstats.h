/*
 * Few-shot evaluation statistics.
 *
 * Accuracy is averaged over episodes with a 95% confidence interval from
 * the normal approximation: half-width = 1.96 · s / sqrt(n), s the sample
 * standard deviation (n - 1 in the denominator). Paired comparisons
 * (learner − baseline on the very same episodes) use the same interval on
 * the per-episode differences. Macro-F1 and per-class recall come from a
 * confusion matrix summed over all episodes, indexed by the evaluated
 * classes (not the episode's 0..way-1 labels).
 *
 * Ownership: caller-owned storage; eval_stats_fini frees the arrays.
 */
#ifndef FEWFLOW_EVALSTATS_H
#define FEWFLOW_EVALSTATS_H

#include <stddef.h>
#include <stdint.h>

struct eval_stats {
    size_t n_classes;        /* classes the confusion matrix covers */
    uint64_t *confusion;     /* n_classes × n_classes, [true][predicted] */
    double *acc;             /* per-episode accuracy */
    size_t n_episodes;
    size_t cap_episodes;
};

/* Mean and 95% half-width of v[0..n); half is 0 when n < 2. */
void eval_mean_ci95(const double *v, size_t n, double *mean, double *half);

/* Mean and half-width of a[i] − b[i]. */
void eval_paired_ci95(const double *a, const double *b, size_t n,
                      double *mean, double *half);

int eval_stats_init(struct eval_stats *s, size_t n_classes);
void eval_stats_fini(struct eval_stats *s);

/*
 * Adds one episode: pred and truth are 0..way-1 labels of n queries,
 * classes[j] maps label j to a confusion-matrix index. Returns 0,
 * ERR_INVALID for a label out of range, or ERR_NOMEM.
 */
int eval_stats_add(struct eval_stats *s, const int32_t *pred,
                   const int32_t *truth, size_t n, const int32_t *classes,
                   size_t way);

/* Recall of class c (NAN when it never occurred). */
double eval_recall(const struct eval_stats *s, size_t c);
/* Precision of class c (NAN when it was never predicted). */
double eval_precision(const struct eval_stats *s, size_t c);
/* Mean F1 over classes that occurred (a class never predicted has F1 0). */
double eval_macro_f1(const struct eval_stats *s);

#endif
