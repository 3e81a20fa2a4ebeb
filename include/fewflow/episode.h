/*
 * N-way K-shot episodes drawn from a feature table.
 *
 * A sampler indexes the rows of a chosen set of classes once; each episode
 * then picks `way` of those classes and, for each, `shot` support rows and
 * up to `query` query rows, all distinct. A class with fewer than
 * shot + query rows gives what it has left after its support (at least one
 * query) and the episode counts it in n_short_classes, so callers can say
 * so. Episode rows are copied, so learners see plain matrices:
 *   xs: n_support × n_cols, support rows grouped by class (class j holds
 *       rows j*shot .. j*shot+shot-1), ys[i] in 0..way-1;
 *   xq: n_query × n_cols, grouped by class in the same order, yq likewise.
 * classes[j] is the table class id behind episode label j.
 *
 * Ownership: the sampler borrows the table, which must outlive it; an
 * episode owns its buffers (episode_fini frees them) and may be reused for
 * the next sample without freeing. Not thread-safe; use one sampler and one
 * generator per thread.
 */
#ifndef FEWFLOW_EPISODE_H
#define FEWFLOW_EPISODE_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/rng.h"
#include "fewflow/table.h"

struct episode_sampler {
    const struct table *t;
    size_t n_classes;         /* eligible classes */
    int32_t *class_ids;       /* their table ids */
    size_t **rows;            /* rows[c]: row indices of class c */
    size_t *counts;           /* counts[c]: how many */
    size_t *scratch;          /* a permutation buffer */
    size_t max_count;
};

struct episode {
    size_t way, shot, query;  /* requested shape */
    size_t n_cols;
    size_t n_support, n_query;
    size_t n_short_classes;   /* classes that gave fewer than `query` */
    int32_t *classes;         /* way table class ids */
    float *xs;                /* n_support × n_cols */
    int32_t *ys;
    size_t *support_rows;     /* table row of each support row */
    float *xq;                /* n_query × n_cols */
    int32_t *yq;
    size_t *query_rows;
    size_t cap_support, cap_query, cap_way;
};

/*
 * Indexes the rows of classes[0..n) (table class ids). Every class needs at
 * least min_rows rows (shot + 1 for the largest shot to be drawn); fewer
 * gives ERR_RANGE naming the class. Returns 0, ERR_INVALID for an id out of
 * range, or ERR_NOMEM.
 */
int episode_sampler_init(struct episode_sampler *s, const struct table *t,
                         const int32_t *classes, size_t n, size_t min_rows);
void episode_sampler_fini(struct episode_sampler *s);

/* Rows available for class index c of the sampler (not the table id). */
size_t episode_sampler_count(const struct episode_sampler *s, size_t c);

void episode_init(struct episode *ep);
void episode_fini(struct episode *ep);

/*
 * Draws one episode. way must be ≤ the sampler's classes, shot ≥ 1,
 * query ≥ 1, and every class must have shot + 1 rows. Returns 0,
 * ERR_INVALID for an impossible shape, or ERR_NOMEM.
 */
int episode_sample(const struct episode_sampler *s, size_t way, size_t shot,
                   size_t query, struct rng *rng, struct episode *ep);

/*
 * Fills an episode from explicit rows (for tests and enrolment): support
 * rows sup[0..n_sup) with labels ysup in 0..way-1, query rows likewise.
 */
int episode_from_rows(struct episode *ep, const struct table *t, size_t way,
                      const size_t *sup, const int32_t *ysup, size_t n_sup,
                      const size_t *qry, const int32_t *yqry, size_t n_qry);

#endif
