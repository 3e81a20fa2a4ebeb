/*
 * Enrolment grown from unlabelled context: a class known from K labelled
 * flows takes, as more prototypes, the flows of an unlabelled capture
 * that chain to them under a conservative rule. Detection is unchanged:
 * the grown rows become ordinary prototypes of the class.
 *
 * The rule (bench/RESULTS.md, "Enrolment with unlabelled context"): the
 * context rows are linked when each is among the other's k nearest
 * (mutual k-NN, memory space, Euclidean). Members start as the labelled
 * flows; a context row joins when at least `links` of its links no
 * longer than the class's radius r lead to members, and it is nearer to
 * a member than to every prototype the memory held before the class was
 * added. Rows join first come first served, up to a cap. A dense
 * cluster of another class joins only through mutual neighbours inside
 * the class's own radius, and rows that a class already in memory
 * claims more closely never join: unlike label propagation, a row that
 * chains to nothing stays outside.
 */
#ifndef FEWFLOW_GROW_H
#define FEWFLOW_GROW_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/detect.h"

#define MEMO_CONTEXT_MAX 16384  /* rows of one context graph */
#define MEMO_GROW_MAX_K 64      /* neighbours per row */

/* The graph over one context; read-only once built. */
struct memo_context {
    uint32_t dim;
    uint32_t k;
    size_t n;
    float *z;                 /* n × dim, copied */
    int32_t *nbr;             /* n × k nearest others, ascending; -1 pad */
    float *nd;                /* their distances */
    uint8_t *mutual;          /* n × k: the neighbour has this row too */
    float *d_known;           /* distance to the memory's nearest proto */
};

/*
 * Builds the graph over n rows z (n × m->dim; 1 ≤ n ≤ MEMO_CONTEXT_MAX)
 * with k neighbours (1 .. MEMO_GROW_MAX_K; fewer rows than k + 1 give
 * fewer) and each row's distance to m's nearest prototype (infinite in
 * an empty memory). Ties go to the lower index. 0 or ERR_INVALID /
 * ERR_NOMEM (err_set).
 */
int memo_context_build(struct memo_context *c, const struct memo *m,
                       const float *z, size_t n, uint32_t k);
void memo_context_fini(struct memo_context *c);

/*
 * The growth walk: seeds are context rows that are members from the
 * start (the labelled flows). Writes up to max_add joined rows, in the
 * order they joined, to added and returns their number. A seed listed
 * twice counts once; links must be ≥ 1. Returns a negative ERR_NOMEM on
 * failure.
 */
long memo_grow(const struct memo_context *c, const int32_t *seeds,
               size_t n_seeds, float r, uint32_t links, size_t max_add,
               int32_t *added);

void memo_grow_opts_default(struct memo_grow_opts *o);

/*
 * memo_enroll of `name` from k labelled flows z (k × dim) whose rows in
 * the context c are seeds (n_seeds of them; the labelled flows must be
 * among c's rows). An attack class from fewer than MEMO_ENROLL_CALIBRATE
 * flows grows (memo_grow with r = the radius o's rule gives the k flows,
 * at most MEMO_MAX_PROTOS − k rows unless g->cover); otherwise, or for a
 * benign class,
 * this is memo_enroll. x (k × n_in) and cx (c->n × n_in), either may be
 * NULL, give the class's mean input. The grown rows' context indices go
 * to grown (room for c->n) and their number to *n_grown.
 * Returns 0 or ERR_*.
 */
int memo_enroll_grown(struct memo *m, const char *name, const float *z,
                      size_t k, const float *x, const struct memo_context *c,
                      const float *cx, const int32_t *seeds, size_t n_seeds,
                      const struct memo_grow_opts *g,
                      const struct memo_enroll_opts *o, int32_t *grown,
                      size_t *n_grown);

#endif
