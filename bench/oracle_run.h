/*
 * The state shared by bench/openset_oracle.c (the oracle stages) and
 * bench/oracle_report.c (their tables).
 */
#ifndef FEWFLOW_BENCH_ORACLE_RUN_H
#define FEWFLOW_BENCH_ORACLE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bench/oracle.h"

#define SHOT 5
#define ORACLE_CANDIDATES 256
#define MAX_EN 16
#define MAX_CLASSES 64         /* known + enrolled */

/* Three chains (five-shot, k-means of all rows, every row an exemplar),
 * each with and without benign's competition, each with three picks. */
enum stage { ST_MODEL, ST_A_SUM, ST_A_P90, ST_NB_MODEL, ST_NB_SUM,
             ST_NB_P90, ST_B_MODEL, ST_B_SUM, ST_B_P90, ST_C_MODEL,
             ST_C_SUM, ST_C_P90, ST_L_MODEL, ST_L_SUM, ST_L_P90,
             ST_LNB_MODEL, ST_LNB_SUM, ST_LNB_P90, N_STAGES };
#define N_CHAINS 6
#define N_KS 5                /* the exemplar curve's K values */
#define N_CURVES (N_CHAINS + 2 * N_KS)
#define N_GRID 56             /* multipliers 0.5, 0.6, .. 6.0 */
#define N_LAMBDA 7            /* together's joint oracle: 2^-3 .. 2^3 */
#define LOO_ROWS (-2L)        /* class_rows: every row an exemplar */

extern const size_t oracle_curve_k[N_KS];

struct tally {
    size_t tp, fp, fn, fp_benign, fn_benign, fp_novel;
};

struct cell {
    double p, r, fp_benign, fn_benign, fp_novel, draws;
};

struct space {
    const char *name;
    struct memo *m;
    const float *v;           /* n × dim test rows in this space */
    size_t dim, c0;
    struct memo_eval *ev;     /* n × c0 before enrolment */
};

struct run {
    const struct oracle_set *s;
    struct space sp;
    size_t n_novel, trials;
    int32_t novel[MAX_EN];    /* class ids */
    int *sup;                 /* n_novel × trials × SHOT test rows */
    int together;
    /* per trial scratch */
    struct memo_eval *en;     /* n × n_en enrolled classes' evaluations */
    size_t n_en;
    int32_t en_class[MAX_EN]; /* class id held by enrolled slot e */
    int32_t *out, *cls;
    uint8_t *elig, *support;
    float *score;
    struct cell cells[N_STAGES][MAX_EN];
    /* alone: every candidate's P and R per chain (A, A+nb, B, C), class
     * and draw, for the joint oracle */
    struct curve *cv[N_CURVES][MAX_EN];
    size_t n_cv[N_CURVES][MAX_EN];
    /* together: the joint oracle's cells per chain and trade-off */
    struct cell lam_cells[N_CHAINS][N_LAMBDA][MAX_EN];
    double lam;               /* sweep's fourth pick: max R + lam * P */
    /* five-shot: one radius multiplier for every class and draw, without
     * and with benign's competition (a constant the rule could carry) */
    struct cell grid_cells[2][N_GRID][MAX_EN];
};

struct curve {
    size_t n;
    float p[ORACLE_CANDIDATES + 1], r[ORACLE_CANDIDATES + 1];
};

/* The stage table and the joint oracles of one space. */
void oracle_print_run(const struct run *u, const char *mode);

#endif
