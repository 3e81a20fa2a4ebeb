/*
 * Where the K=5 enrolment figures of `fewflow eval --openset` are lost:
 * the eval's own draws and decision, with one stage at a time replaced by
 * an oracle that reads the test labels (a diagnostic, never a setting).
 *
 *   model   the decision as eval makes it (must equal eval's JSON);
 *   A       the enrolled class's radius chosen per draw by an oracle,
 *           either for the best P + R or for the best R at P >= 0.90
 *           (the best P where 0.90 cannot be reached);
 *   +nb     the same with benign's competition removed: the enrolled
 *           class takes every row it holds unless a known attack class
 *           holding it is nearer (benign rows it then takes are counted);
 *   B, C    A and A+nb with the class enrolled from ALL its test rows
 *           (memo_enroll's own path for >= 40 flows: k-means prototypes,
 *           calibrated radii) instead of five, scored on the same rows;
 *   L       every row of the class an exemplar (a row's distance is to
 *           the nearest OTHER class row): the dense limit of the
 *           per-flow exemplars eval enrols from five flows;
 *   joint   one trade-off lambda for all classes and draws (each draw
 *           takes the radius maximising R + lambda P), the lambda whose
 *           mean P and mean R have the largest minimum: whether the
 *           goal cell can reach 0.90 / 0.90 at all;
 *   K curve (alone) K = 5 .. 100 random rows as exemplars, oracle radius,
 *           the bench's own draws.
 * Each chain runs in the embedding and in the normalised input space
 * (a class memory fitted on the inputs exactly as on the embeddings).
 * Alone: each novel class enrolled by itself; together: all at once, the
 * oracle radii then found by two rounds of coordinate ascent.
 * A radius scale s multiplies every radius of the enrolled class; the
 * oracle tries s = 1 and up to ORACLE_CANDIDATES quantiles of the own
 * rows' distance ratios; each try runs the full decision with the
 * connection rule, as eval does.
 *
 * usage: openset_oracle MODEL alone|together [TRIALS [SEED]]
 * build (after a Release build of the library in build/):
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
 *      -Iinclude -Isrc bench/openset_oracle.c bench/oracle_report.c \
 *      bench/oracle_setup.c \
 *      src/cli/eval_conn.c build/libfewflow.a -lopenblas -llzma -lz \
 *      -lpcap -lm -o openset_oracle
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/oracle_run.h"
#include "core/vec.h"
#include "detect/memo_impl.h"
#include "fewflow/conn.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

const size_t oracle_curve_k[N_KS] = { 5, 10, 20, 50, 100 };
static int is_benign(const struct memo *m, int32_t c)
{
    return c >= 0 && (m->cls[c].flags & MEMO_CLASS_BENIGN);
}

/* The memory's decision; with nobenign an enrolled class that is the
 * nearest holder among the attack classes takes the row. */
static int32_t decide_row(const struct memo *m, const struct memo_eval *ext,
                          size_t c0, int nobenign)
{
    struct memo_decision d;
    memo_decide_from(m, ext, &d);
    if (!nobenign)
        return d.cls;
    int32_t best = -1;
    for (size_t c = 0; c < m->n_classes; c++) {
        if (ext[c].ratio <= 1 && !is_benign(m, (int32_t)c) &&
            (best < 0 || ext[c].dist < ext[best].dist))
            best = (int32_t)c;
    }
    return best >= (int32_t)c0 ? best : d.cls;
}

/* Row i's evaluations with the enrolled classes' radii scaled. */
static void fill_ext(const struct run *u, size_t i, const float *scale,
                     struct memo_eval *ext)
{
    size_t c0 = u->sp.c0;
    memcpy(ext, u->sp.ev + i * c0, c0 * sizeof(*ext));
    for (size_t e = 0; e < u->n_en; e++) {
        ext[c0 + e] = u->en[i * u->n_en + e];
        ext[c0 + e].ratio /= scale[e];
    }
}

/* For enrolled class e: each row's decision when e does not take it, and
 * whether e takes it once its ratio is within the scale (it is the
 * nearest holder, ties resolved in class order as memo_decide_from). */
static void prep(struct run *u, size_t e, const float *scale, int nobenign)
{
    struct memo_eval ext[MAX_CLASSES];
    const struct memo *m = u->sp.m;
    size_t ce = u->sp.c0 + e;
    for (size_t i = 0; i < u->s->n; i++) {
        fill_ext(u, i, scale, ext);
        struct memo_eval own = ext[ce];
        ext[ce].ratio = INFINITY;
        u->out[i] = decide_row(m, ext, u->sp.c0, nobenign);
        int wins = 1;
        for (size_t c = 0; c < m->n_classes && wins; c++) {
            if (c == ce || ext[c].ratio > 1 ||
                (nobenign && is_benign(m, (int32_t)c)))
                continue;
            wins = c < ce ? own.dist < ext[c].dist : own.dist <= ext[c].dist;
        }
        u->elig[i] = (uint8_t)wins;
        u->score[i] = u->en[i * u->n_en + e].ratio;
    }
}

static void tally_class(const struct run *u, int32_t ci, int32_t yid,
                        struct tally *t)
{
    const struct memo *m = u->sp.m;
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < u->s->n; i++) {
        if (u->support[i])
            continue;
        int said = u->cls[i] == ci, is = u->s->y[i] == yid;
        int32_t k = u->s->known_of[u->s->y[i]];
        t->tp += said && is;
        t->fp += said && !is;
        t->fp_benign += said && !is && is_benign(m, k);
        t->fp_novel += said && !is && k < 0;
        t->fn += !said && is;
        t->fn_benign += !said && is && is_benign(m, u->cls[i]);
    }
}

static void follow(const struct run *u)
{
    if (u->s->conn.pred != NULL)
        conn_propagate(u->sp.m, u->s->conn.pred, u->s->conn.order, u->s->n,
                       u->cls);
}

/* P and R of enrolled class e at scale s, given prep's arrays. */
static void at_scale(struct run *u, size_t e, float s, struct tally *t)
{
    for (size_t i = 0; i < u->s->n; i++)
        u->cls[i] = u->elig[i] && u->score[i] <= s
                    ? (int32_t)(u->sp.c0 + e) : u->out[i];
    follow(u);
    tally_class(u, (int32_t)(u->sp.c0 + e), u->en_class[e], t);
}

static double prec(const struct tally *t)
{
    size_t said = t->tp + t->fp;
    return said ? (double)t->tp / (double)said : 0;
}

static double rec(const struct tally *t)
{
    size_t is = t->tp + t->fn;
    return is ? (double)t->tp / (double)is : 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Scales to try: 1 (the model's radius), then quantiles of the ratios of
 * the class's own rows that it could take. */
static size_t candidates(const struct run *u, size_t e, float *cand)
{
    float *q = malloc((u->s->n + 1) * sizeof(float));
    size_t m = 0, k = 0;
    for (size_t i = 0; q && i < u->s->n; i++) {
        if (!u->support[i] && u->s->y[i] == u->en_class[e] && u->elig[i] &&
            isfinite(u->score[i]))
            q[m++] = u->score[i];
    }
    cand[k++] = 1;
    if (q && m > 0) {
        qsort(q, m, sizeof(float), cmp_float);
        for (size_t c = 0; c < ORACLE_CANDIDATES; c++)
            cand[k++] = q[c * (m - 1) / (ORACLE_CANDIDATES - 1)];
    }
    free(q);
    return k;
}

struct pick {
    float s;
    struct tally t;
};

/* pk[0]: scale 1; pk[1]: the best P + R; pk[2]: the best R at P >= 0.90,
 * else the best P; pk[3]: the best R + u->lam * P. */
static void sweep(struct run *u, size_t e, struct pick *pk,
                  struct curve *cv)
{
    float cand[ORACLE_CANDIDATES + 1];
    size_t nc = candidates(u, e, cand);
    double best_sum = -1, best_r = -1, best_p = -1, best_lam = -1;
    int have90 = 0;
    for (size_t c = 0; c < nc; c++) {
        struct tally t;
        at_scale(u, e, cand[c], &t);
        double p = prec(&t), r = rec(&t);
        struct pick here = { cand[c], t };
        if (cv != NULL) {
            cv->p[c] = (float)p;
            cv->r[c] = (float)r;
            cv->n = c + 1;
        }
        if (c == 0)
            pk[0] = here;
        if (r + u->lam * p > best_lam) {
            best_lam = r + u->lam * p;
            pk[3] = here;
        }
        if (p + r > best_sum) {
            best_sum = p + r;
            pk[1] = here;
        }
        if (p >= 0.9 && (!have90 || r > best_r)) {
            have90 = 1;
            best_r = r;
            pk[2] = here;
        }
        if (!have90 && p > best_p) {
            best_p = p;
            pk[2] = here;
        }
    }
}

static void cell_add(struct cell *c, const struct tally *t)
{
    size_t is = t->tp + t->fn, said = t->tp + t->fp;
    c->p += prec(t);
    c->r += rec(t);
    c->fp_benign += (double)t->fp_benign;
    c->fn_benign += is ? (double)t->fn_benign / (double)is : 0;
    c->fp_novel += said ? (double)t->fp_novel / (double)said : 0;
    c->draws += 1;
}

/* Slot e as every row of the class, each an exemplar of radius 1: a
 * row's distance is to the nearest class row other than itself. */
static void loo_evals(struct run *u, size_t e, const int *rows, size_t k)
{
    size_t dim = u->sp.dim;
    for (size_t i = 0; i < u->s->n; i++) {
        float best = INFINITY;
        for (size_t r = 0; r < k; r++) {
            if ((size_t)rows[r] == i)
                continue;
            float q = vec_sqdist(u->sp.v + i * dim,
                                 u->sp.v + (size_t)rows[r] * dim, dim);
            best = q < best ? q : best;
        }
        struct memo_eval *ev = &u->en[i * u->n_en + e];
        ev->dist = sqrtf(best);
        ev->ratio = ev->dist;
        ev->radius = 1;
    }
}

/* Enrols slot e from the k test rows in rows, as eval does, and
 * evaluates every test row against it; loo: the slot is a placeholder
 * (enrolled from one row) whose evaluations loo_evals makes. */
static int enrol(struct run *u, size_t e, const int *rows, size_t k,
                 int loo)
{
    if (loo) {
        int rc = enrol(u, e, rows, 1, 0);
        if (rc == 0)
            loo_evals(u, e, rows, k);
        return rc;
    }
    struct memo_enroll_opts eo;
    char name[64];
    size_t dim = u->sp.dim;
    float *zs = malloc((k * dim + 1) * sizeof(float));
    if (zs == NULL)
        return ERR_NOMEM;
    for (size_t s = 0; s < k; s++)
        memcpy(zs + s * dim, u->sp.v + (size_t)rows[s] * dim,
               dim * sizeof(float));
    memo_enroll_opts_default(&eo);
    snprintf(name, sizeof(name), "oracle-enrolled-%zu", e);
    int rc = memo_enroll(u->sp.m, name, zs, k, NULL, &eo);
    free(zs);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < u->s->n; i++)
        memo_evaluate_one(u->sp.m, u->sp.c0 + e, u->sp.v + i * dim,
                   &u->en[i * u->n_en + e]);
    return 0;
}

static void forget_all(struct run *u)
{
    char name[64];
    for (size_t e = 0; e < u->n_en; e++) {
        snprintf(name, sizeof(name), "oracle-enrolled-%zu", e);
        memo_class_forget(u->sp.m, name);
    }
}

/* Rows of class slot e: the draw of trial t, or (t < 0) all its rows. */
static size_t class_rows(const struct run *u, size_t j, long t, int *rows)
{
    size_t k = 0;
    if (t >= 0) {
        memcpy(rows, u->sup + ((size_t)j * u->trials + (size_t)t) * SHOT,
               SHOT * sizeof(int));
        return SHOT;
    }
    for (size_t i = 0; i < u->s->n; i++)
        if (u->s->y[i] == u->novel[j])
            rows[k++] = (int)i;
    return k;
}

/* Enrols the classes in js[0..n) (slots 0..n) from trial t's draws or
 * all rows, marking the support. */
static int enrol_group(struct run *u, const size_t *js, size_t n, long t)
{
    int *rows = malloc((u->s->n + 1) * sizeof(int));
    int rc = rows ? 0 : ERR_NOMEM;
    memset(u->support, 0, u->s->n);
    u->n_en = n;
    for (size_t e = 0; rc == 0 && e < n; e++) {
        size_t k = class_rows(u, js[e], t, rows);
        u->en_class[e] = u->novel[js[e]];
        for (size_t s = 0; t >= 0 && s < k; s++)
            u->support[rows[s]] = 1;
        rc = enrol(u, e, rows, k, t == LOO_ROWS);
    }
    free(rows);
    return rc;
}

/* Every row decided with the enrolled radii scaled, connections
 * followed, and each enrolled class tallied into row[class]. */
static void decide_all(struct run *u, const float *scale, int nobenign,
                       struct cell *row, const size_t *js)
{
    struct memo_eval ext[MAX_CLASSES];
    struct tally t;
    for (size_t i = 0; i < u->s->n; i++) {
        fill_ext(u, i, scale, ext);
        u->cls[i] = decide_row(u->sp.m, ext, u->sp.c0, nobenign);
    }
    follow(u);
    for (size_t e = 0; e < u->n_en; e++) {
        tally_class(u, (int32_t)(u->sp.c0 + e), u->en_class[e], &t);
        cell_add(&row[js[e]], &t);
    }
}

/* Oracle radii for every enrolled class under criterion crit (1 to 3 of
 * sweep's picks): two rounds of coordinate ascent, then one decision. */
static void ascend(struct run *u, int crit, int nobenign, struct cell *row,
                   const size_t *js)
{
    float scale[MAX_EN];
    struct pick pk[4];
    for (size_t e = 0; e < u->n_en; e++)
        scale[e] = 1;
    for (int round = 0; round < 2; round++) {
        for (size_t e = 0; e < u->n_en; e++) {
            prep(u, e, scale, nobenign);
            sweep(u, e, pk, NULL);
            scale[e] = pk[crit].s;
        }
    }
    decide_all(u, scale, nobenign, row, js);
}

/* The stages of one chain pair (first = ST_MODEL, ST_B_MODEL or
 * ST_L_MODEL) for the classes enrolled now. Alone, one sweep gives all
 * picks and its curve; together, each pick is its own ascent, and the
 * joint oracle one ascent per trade-off. */
/* The five-shot draw at every multiplier of the grid (prep done for
 * the single class, alone). */
static void grid(struct run *u, int nb, const size_t *js)
{
    float sc[MAX_EN];
    struct tally t;
    for (int g = 0; g < N_GRID; g++) {
        float s = 0.5f + 0.1f * (float)g;
        if (u->n_en == 1) {
            at_scale(u, 0, s, &t);
            cell_add(&u->grid_cells[nb][g][js[0]], &t);
            continue;
        }
        for (size_t e = 0; e < u->n_en; e++)
            sc[e] = s;
        decide_all(u, sc, nb, u->grid_cells[nb][g], js);
    }
}

static void stages(struct run *u, int first, const size_t *js)
{
    float one[MAX_EN];
    struct pick pk[4];
    for (int nb = 0; nb < 2; nb++) {
        int st = first + 3 * nb;
        if (u->n_en == 1) {
            int chain = first / 3 + nb;
            size_t j = js[0], *nc = &u->n_cv[chain][j];
            one[0] = 1;
            prep(u, 0, one, nb);
            sweep(u, 0, pk, *nc < u->trials ? &u->cv[chain][j][(*nc)++]
                                            : NULL);
            for (int k = 0; k < 3; k++)
                cell_add(&u->cells[st + k][js[0]], &pk[k].t);
            if (first == ST_MODEL)
                grid(u, nb, js);
            continue;
        }
        for (size_t e = 0; e < u->n_en; e++)
            one[e] = 1;
        decide_all(u, one, nb, u->cells[st], js);
        if (first == ST_MODEL)
            grid(u, nb, js);
        ascend(u, 1, nb, u->cells[st + 1], js);
        ascend(u, 2, nb, u->cells[st + 2], js);
        for (int l = 0; l < N_LAMBDA; l++) {
            u->lam = ldexp(1, l - 3);
            ascend(u, 3, nb, u->lam_cells[first / 3 + nb][l], js);
        }
    }
}

/* One group of classes (one class alone, or all together): every trial's
 * five-shot draws, then all rows. */
static int run_group(struct run *u, const size_t *js, size_t n)
{
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < u->trials; t++) {
        rc = enrol_group(u, js, n, (long)t);
        if (rc == 0)
            stages(u, ST_MODEL, js);
        forget_all(u);
    }
    if (rc == 0)
        rc = enrol_group(u, js, n, -1);
    if (rc == 0)
        stages(u, ST_B_MODEL, js);
    forget_all(u);
    if (rc == 0)
        rc = enrol_group(u, js, n, LOO_ROWS);
    if (rc == 0)
        stages(u, ST_L_MODEL, js);
    forget_all(u);
    return rc;
}

/* One class, K of its rows as exemplars (radius 1) drawn by g: both
 * sweeps' curves into the exemplar curve q. */
static int curve_draw(struct run *u, size_t j, size_t q, int *rows,
                      size_t m, struct rng *g)
{
    float one = 1;
    struct pick pk[4];
    size_t k = oracle_curve_k[q] < m ? oracle_curve_k[q] : m - 1;
    rng_shuffle_int(g, rows, m);
    memset(u->support, 0, u->s->n);
    for (size_t s = 0; s < k; s++)
        u->support[rows[s]] = 1;
    u->n_en = 1;
    u->en_class[0] = u->novel[j];
    int rc = enrol(u, 0, rows, k, 1);
    for (int nb = 0; rc == 0 && nb < 2; nb++) {
        size_t ch = N_CHAINS + 2 * q + (size_t)nb, *nc = &u->n_cv[ch][j];
        prep(u, 0, &one, nb);
        sweep(u, 0, pk, &u->cv[ch][j][(*nc)++]);
    }
    forget_all(u);
    return rc;
}

/* Alone: how the five-shot loss shrinks with K. The draws are this
 * bench's own (seeded per class), not eval's. */
static int run_curve(struct run *u)
{
    int *rows = malloc((u->s->n + 1) * sizeof(int));
    int rc = rows ? 0 : ERR_NOMEM;
    for (size_t q = 0; rc == 0 && q < N_KS; q++) {
        for (size_t j = 0; rc == 0 && j < u->n_novel; j++) {
            struct rng g;
            size_t m = class_rows(u, j, -1, rows);
            rng_seed(&g, 7 + j);
            for (size_t t = 0; rc == 0 && t < u->trials; t++)
                rc = curve_draw(u, j, q, rows, m, &g);
        }
    }
    free(rows);
    return rc;
}

/* eval's draws: each class's rows in test order, shuffled by its own
 * stream once per trial at K = 1, then at K = 5 (the first five). */
static int make_draws(struct run *u, uint64_t seed)
{
    int *rows = malloc((u->s->n + 1) * sizeof(int));
    u->sup = malloc((u->n_novel * u->trials * SHOT + 1) * sizeof(int));
    if (rows == NULL || u->sup == NULL) {
        free(rows);
        return ERR_NOMEM;
    }
    for (size_t j = 0; j < u->n_novel; j++) {
        struct rng g;
        size_t m = 0;
        for (size_t i = 0; i < u->s->n; i++)
            if (u->s->y[i] == u->novel[j])
                rows[m++] = (int)i;
        rng_seed(&g, seed * 1000003ULL + (uint64_t)u->novel[j]);
        for (size_t t = 0; t < u->trials; t++)
            rng_shuffle_int(&g, rows, m);
        for (size_t t = 0; t < u->trials; t++) {
            rng_shuffle_int(&g, rows, m);
            memcpy(u->sup + (j * u->trials + t) * SHOT, rows,
                   SHOT * sizeof(int));
        }
    }
    free(rows);
    return 0;
}

static void list_novel(struct run *u)
{
    const struct oracle_set *s = u->s;
    for (size_t c = 0; c < s->t->n_classes && u->n_novel < MAX_EN; c++) {
        int present = 0;
        for (size_t i = 0; i < s->n && !present; i++)
            present = s->y[i] == (int32_t)c;
        if (s->known_of[c] < 0 && present)
            u->novel[u->n_novel++] = (int32_t)c;
    }
}

static int run_init(struct run *u, const struct oracle_set *s,
                    const struct space *sp, size_t trials, uint64_t seed)
{
    size_t n = s->n;
    memset(u, 0, sizeof(*u));
    u->s = s;
    u->sp = *sp;
    u->trials = trials;
    u->sp.c0 = sp->m->n_classes;
    u->sp.ev = malloc((n * u->sp.c0 + 1) * sizeof(struct memo_eval));
    u->en = malloc((n * MAX_EN + 1) * sizeof(struct memo_eval));
    u->out = malloc((n + 1) * sizeof(int32_t));
    u->cls = malloc((n + 1) * sizeof(int32_t));
    u->elig = malloc(n + 1);
    u->support = calloc(n + 1, 1);
    u->score = malloc((n + 1) * sizeof(float));
    if (!u->sp.ev || !u->en || !u->out || !u->cls || !u->elig ||
        !u->support || !u->score)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        memo_evaluate(u->sp.m, u->sp.v + i * u->sp.dim,
                      u->sp.ev + i * u->sp.c0);
    list_novel(u);
    for (int ch = 0; ch < N_CURVES; ch++) {
        for (size_t j = 0; j < u->n_novel; j++) {
            u->cv[ch][j] = calloc(trials, sizeof(struct curve));
            if (u->cv[ch][j] == NULL)
                return ERR_NOMEM;
        }
    }
    return make_draws(u, seed);
}

static void run_fini(struct run *u)
{
    free(u->sp.ev);
    free(u->en);
    free(u->out);
    free(u->cls);
    free(u->elig);
    free(u->support);
    free(u->score);
    free(u->sup);
    for (int ch = 0; ch < N_CURVES; ch++)
        for (size_t j = 0; j < MAX_EN; j++)
            free(u->cv[ch][j]);
}

static int run_space(const struct oracle_set *s, const struct space *sp,
                     int together, size_t trials, uint64_t seed)
{
    struct run *u = calloc(1, sizeof(*u));
    int rc = u ? run_init(u, s, sp, trials, seed) : ERR_NOMEM;
    size_t js[MAX_EN];
    for (size_t j = 0; u && j < u->n_novel; j++)
        js[j] = j;
    if (rc == 0 && together)
        rc = run_group(u, js, u->n_novel);
    for (size_t j = 0; rc == 0 && !together && j < u->n_novel; j++)
        rc = run_group(u, &js[j], 1);
    if (rc == 0 && !together)
        rc = run_curve(u);
    if (rc == 0)
        oracle_print_run(u, together ? "together" : "alone");
    if (u)
        run_fini(u);
    free(u);
    return rc;
}

static int same_classes(const struct memo *a, const struct memo *b)
{
    int same = a->n_classes == b->n_classes &&
               a->n_classes + MAX_EN <= MAX_CLASSES;
    for (size_t c = 0; same && c < a->n_classes; c++)
        same = strcmp(a->cls[c].name, b->cls[c].name) == 0 &&
               a->cls[c].flags == b->cls[c].flags;
    return same;
}

int main(int argc, char **argv)
{
    struct oracle_set s;
    if (argc < 3 || (strcmp(argv[2], "alone") && strcmp(argv[2], "together"))) {
        fprintf(stderr, "usage: openset_oracle MODEL alone|together "
                "[TRIALS [SEED]]\n");
        return 2;
    }
    int together = strcmp(argv[2], "together") == 0;
    size_t trials = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 20;
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    if (trials < 1 || oracle_set_load(&s, argv[1], seed) != 0) {
        fprintf(stderr, "openset_oracle: %s\n", err_msg());
        return 2;
    }
    if (!same_classes(s.d->memo, s.mx)) {
        fprintf(stderr, "openset_oracle: the two memories differ\n");
        return 2;
    }
    struct space sp[2] = {
        { "embedding", s.d->memo, s.z, s.d->dim, 0, NULL },
        { "normalised input", s.mx, s.x, s.d->n_in, 0, NULL },
    };
    printf("%s: %zu test rows, connection rule %s\n", argv[1], s.n,
           s.conn.pred ? "on" : "off");
    int rc = 0;
    for (int k = 0; rc == 0 && k < 2; k++)
        rc = run_space(&s, &sp[k], together, trials, seed);
    if (rc != 0)
        fprintf(stderr, "openset_oracle: %s\n", err_msg());
    oracle_set_fini(&s);
    return rc ? 1 : 0;
}
