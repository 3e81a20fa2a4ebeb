#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/memo_impl.h"
#include "fewflow/conn.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/grow.h"
#include "fewflow/mhead.h"
#include "fewflow/rng.h"

#define ENROLLED_NAME "openset-enrolled"

void openset_opts_default(struct openset_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->shots[0] = 1;
    o->shots[1] = 5;
    o->shots[2] = 10;
    o->n_shots = 3;
    o->trials = 5;
    o->seed = 1;
    memo_enroll_opts_default(&o->enroll);
    memo_grow_opts_default(&o->grow);
}

void openset_report_fini(struct openset_report *r)
{
    free(r->precision);
    free(r->recall);
    free(r->novel_ids);
    free(r->cells);
    memset(r, 0, sizeof(*r));
}

struct rank_item {
    float s;
    uint8_t pos;
};

static int cmp_rank(const void *a, const void *b)
{
    float x = ((const struct rank_item *)a)->s;
    float y = ((const struct rank_item *)b)->s;
    return (x > y) - (x < y);
}

double openset_auroc(const float *score, const uint8_t *positive, size_t n)
{
    struct rank_item *it = malloc((n ? n : 1) * sizeof(*it));
    double n_pos = 0, rank_sum = 0;
    if (it == NULL)
        return NAN;
    for (size_t i = 0; i < n; i++) {
        it[i].s = score[i];
        it[i].pos = positive[i];
        n_pos += positive[i];
    }
    qsort(it, n, sizeof(*it), cmp_rank);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && it[j].s == it[i].s)
            j++;
        double avg = (double)(i + j + 1) / 2.0;  /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            rank_sum += it[k].pos ? avg : 0;
        i = j;
    }
    free(it);
    double n_neg = (double)n - n_pos;
    if (n_pos == 0 || n_neg == 0)
        return NAN;
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

struct ctx {
    struct memo *m;
    const struct memo_labelled *t;
    const int32_t *known_of;
    size_t n_ids;
    struct memo_eval *ev;     /* n × C base evaluations */
    size_t c0;                /* classes in the base memory */
    int32_t *cls;             /* n decisions of the current memory */
    const struct openset_opts *o;
};

static int32_t known_id(const struct ctx *x, int32_t y)
{
    return y >= 0 && (size_t)y < x->n_ids ? x->known_of[y] : -2;
}

/* Whether test row i counts in the figures (role array, else all). */
static int scored(const struct ctx *x, size_t i)
{
    return x->o->role == NULL || x->o->role[i] == OPENSET_ROLE_SCORED;
}

/* The connection rule over the decisions in x->cls; how many changed. */
static size_t follow_connections(struct ctx *x)
{
    if (x->o->conn_pred == NULL)
        return 0;
    return conn_propagate(x->m, x->o->conn_pred, x->o->conn_order,
                          x->t->n, x->cls);
}

/* (a) and (c): everything measured before enrolment. */
static void base_metrics(struct ctx *x, struct openset_report *r)
{
    size_t n = x->t->n, hit = 0, fa = 0, unk = 0;
    float *score = malloc((n + 1) * sizeof(float));
    float *by_ratio = malloc((n + 1) * sizeof(float));
    uint8_t *pos = malloc(n + 1);
    size_t k = 0;
    struct memo_decision d;

    for (size_t i = 0; score && by_ratio && pos && i < n; i++) {
        const struct memo_eval *row = x->ev + i * x->c0;
        memo_decide_from(x->m, row, &d);
        x->cls[i] = d.cls;
        if (known_id(x, x->t->y[i]) == -2 || !scored(x, i))
            continue;
        score[k] = memo_novelty(x->m, row);
        by_ratio[k] = d.score;
        pos[k++] = known_id(x, x->t->y[i]) < 0;
    }
    r->conn_base_changed = follow_connections(x);
    for (size_t i = 0; score && by_ratio && pos && i < n; i++) {
        int32_t kid = known_id(x, x->t->y[i]), c = x->cls[i];
        if (kid == -2 || !scored(x, i))
            continue;
        if (kid < 0) {
            r->n_novel_rows++;
            unk += c < 0;
            continue;
        }
        r->n_known++;
        hit += c == kid;
        if (x->m->cls[kid].flags & MEMO_CLASS_BENIGN) {
            r->n_benign++;
            fa += c < 0 || !(x->m->cls[c].flags & MEMO_CLASS_BENIGN);
        }
    }
    r->auroc = score && pos ? openset_auroc(score, pos, k) : NAN;
    r->auroc_ratio = by_ratio && pos ? openset_auroc(by_ratio, pos, k) : NAN;
    r->benign_fpr = r->n_benign ? (double)fa / (double)r->n_benign : NAN;
    r->unknown_recall = r->n_novel_rows ? (double)unk / r->n_novel_rows : NAN;
    r->known_accuracy = r->n_known ? (double)hit / (double)r->n_known : NAN;
    free(score);
    free(by_ratio);
    free(pos);
}

/* Counts behind one class's precision, recall and where its errors went. */
struct tally {
    size_t tp, fp, fn;
    size_t miss[OPENSET_MISS_KINDS];   /* fn by where the row went */
    size_t fp_novel;                   /* fp from rows of novel classes */
    size_t fp_benign, n_benign;        /* benign rows taken, of all */
};

static int is_benign_row(const struct ctx *x, int32_t y)
{
    int32_t kid = known_id(x, y);
    return kid >= 0 && (x->m->cls[kid].flags & MEMO_CLASS_BENIGN);
}

/* Where a row of an enrolled class went instead. */
static int miss_kind(const struct ctx *x, int32_t cls)
{
    if (cls < 0)
        return OPENSET_MISS_UNKNOWN;
    if ((size_t)cls >= x->c0)
        return OPENSET_MISS_ENROLLED;
    return x->m->cls[cls].flags & MEMO_CLASS_BENIGN ? OPENSET_MISS_BENIGN
                                                    : OPENSET_MISS_KNOWN;
}

/* Counts one decided row for every enrolled class (memory index c0 + j
 * holds class ys[j]). */
static void tally_row(const struct ctx *x, int32_t y, int32_t cls,
                      const int32_t *ys, size_t n_en, struct tally *tl)
{
    for (size_t j = 0; j < n_en; j++) {
        int said = cls == (int32_t)(x->c0 + j), is = y == ys[j];
        tl[j].tp += said && is;
        tl[j].fp += said && !is;
        tl[j].fp_novel += said && !is && known_id(x, y) < 0;
        tl[j].fp_benign += said && is_benign_row(x, y);
        tl[j].n_benign += is_benign_row(x, y);
        if (!said && is) {
            tl[j].fn++;
            tl[j].miss[miss_kind(x, cls)]++;
        }
    }
}

/* Decides every test row (the support too, so that the rows that continue
 * its connections see its verdict), follows the connections, and tallies
 * the rows outside the support. */
static void score_enrolled(struct ctx *x, const int32_t *ys, size_t n_en,
                           const uint8_t *support, struct memo_eval *ext,
                           struct mhead *head, struct tally *tl)
{
    struct memo_decision d;
    memset(tl, 0, n_en * sizeof(*tl));
    for (size_t i = 0; i < x->t->n; i++) {
        memcpy(ext, x->ev + i * x->c0, x->c0 * sizeof(*ext));
        for (size_t j = 0; j < n_en; j++)
            memo_evaluate_one(x->m, x->c0 + j, x->t->z + i * x->m->dim,
                              &ext[x->c0 + j]);
        memo_decide_from(x->m, ext, &d);
        if (head != NULL)
            mhead_choose(head, x->m, x->t->z + i * x->m->dim, &d);
        x->cls[i] = d.cls;
    }
    follow_connections(x);
    for (size_t i = 0; i < x->t->n; i++) {
        if (support[i] || known_id(x, x->t->y[i]) == -2 || !scored(x, i))
            continue;
        tally_row(x, x->t->y[i], x->cls[i], ys, n_en, tl);
    }
}

/* Adds one trial's tally to a report cell (sums; divided at the end). */
static void cell_add(struct openset_cell *c, const struct tally *t)
{
    size_t said = t->tp + t->fp, is = t->tp + t->fn;
    double p = said ? (double)t->tp / (double)said : 0;
    double r = is ? (double)t->tp / (double)is : 0;
    c->precision += p;
    c->recall += r;
    c->precision_sd += p * p;   /* sums of squares until cell_finish */
    c->recall_sd += r * r;
    for (int k = 0; k < OPENSET_MISS_KINDS; k++)
        c->missed[k] += is ? (double)t->miss[k] / (double)is : 0;
    c->false_novel += said ? (double)t->fp_novel / (double)said : 0;
    c->false_known += said ? (double)(t->fp - t->fp_novel) / (double)said
                           : 0;
    c->benign_taken += t->n_benign ? (double)t->fp_benign /
                                     (double)t->n_benign : 0;
}

/* Sample standard deviation from the sum of squares and the mean of n
 * values (0 for a single value). */
static double sample_sd(double sum_sq, double mean, uint32_t n)
{
    if (n < 2)
        return 0;
    double v = (sum_sq - (double)n * mean * mean) / (double)(n - 1);
    return v > 0 ? sqrt(v) : 0;
}

static void cell_finish(struct openset_cell *c, uint32_t trials)
{
    double *v[] = { &c->precision, &c->recall, &c->missed[0], &c->missed[1],
                    &c->missed[2], &c->missed[3], &c->false_novel,
                    &c->false_known, &c->benign_taken, &c->grown,
                    &c->grown_from[0], &c->grown_from[1],
                    &c->grown_from[2], &c->grown_from[3] };
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
        *v[k] /= trials;
    c->precision_sd = sample_sd(c->precision_sd, c->precision, trials);
    c->recall_sd = sample_sd(c->recall_sd, c->recall, trials);
}

struct novel_rows {
    int *rows;                /* this class's test-row indices */
    size_t n;
    struct rng g;             /* draws this class's supports */
};

struct trial_buf {
    struct novel_rows *nr;    /* one per novel class */
    int32_t *ys;              /* class ids enrolled this trial */
    uint8_t *support;
    float *zs;
    struct memo_eval *ext;
    struct tally *tl;
    int32_t *seeds, *grown;   /* growth: context rows */
    double *from;             /* per enrolled slot: grown rows by origin
                                 (OPENSET_FROM_KINDS) */
};

static const char *enrolled_name(size_t j, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%zu", ENROLLED_NAME, j);
    return buf;
}

/* Draws K support rows of class j (marked in support) and enrols them
 * as the next class of the memory. */
static int enrol_draw(struct ctx *x, size_t j, size_t slot, uint32_t k,
                      const struct openset_opts *o, struct trial_buf *b)
{
    uint32_t d = x->m->dim;
    struct novel_rows *nr = &b->nr[j];
    char name[64];
    rng_shuffle_int(&nr->g, nr->rows, nr->n);
    for (uint32_t s = 0; s < k; s++) {
        b->support[nr->rows[s]] = 1;
        memcpy(b->zs + (size_t)s * d, x->t->z + (size_t)nr->rows[s] * d,
               d * sizeof(float));
    }
    enrolled_name(slot, name, sizeof(name));
    if (o->context == NULL || o->grow.k == 0) {
        int rc = memo_enroll(x->m, name, b->zs, k, NULL, &o->enroll);
        return rc < 0 ? rc : 0;
    }
    size_t n_grown = 0;
    for (uint32_t s = 0; s < k; s++)
        b->seeds[s] = o->ctx_of[nr->rows[s]];
    int rc = memo_enroll_grown(x->m, name, b->zs, k, NULL, o->context, NULL,
                               b->seeds, k, &o->grow, &o->enroll, b->grown,
                               &n_grown);
    double *from = b->from + slot * OPENSET_FROM_KINDS;
    memset(from, 0, OPENSET_FROM_KINDS * sizeof(double));
    for (size_t g = 0; rc == 0 && g < n_grown; g++) {
        int32_t y = x->t->y[o->ctx_rows[b->grown[g]]];
        int kind = y == x->t->y[nr->rows[0]] ? OPENSET_FROM_OWN
                   : known_id(x, y) < 0      ? OPENSET_FROM_NOVEL
                   : is_benign_row(x, y)     ? OPENSET_FROM_BENIGN
                                             : OPENSET_FROM_KNOWN;
        from[kind]++;
    }
    return rc < 0 ? rc : 0;
}

/* The grown rows of enrolled slot e into a report cell (sums). */
static void cell_add_grown(struct openset_cell *c, const double *from)
{
    for (int k = 0; k < OPENSET_FROM_KINDS; k++) {
        c->grown_from[k] += from[k];
        c->grown += from[k];
    }
}

static int forget_enrolled(struct ctx *x, size_t n_en)
{
    char name[64];
    int rc = 0;
    for (size_t j = 0; j < n_en && rc == 0; j++)
        rc = memo_class_forget(x->m, enrolled_name(j, name, sizeof(name)));
    return rc;
}

/* One trial at shot index s: the novel classes are enrolled one at a time
 * (alone) or all together, and each class's cell gets the tally. */
static int one_trial(struct ctx *x, uint32_t s, const struct openset_opts *o,
                     struct trial_buf *b, struct openset_report *r)
{
    uint32_t k = r->shots[s];
    size_t group = o->together ? r->n_novel : 1;
    for (size_t j0 = 0; j0 < r->n_novel; j0 += group) {
        size_t n_en = 0;
        int32_t at[OPENSET_MAX_NOVEL];
        memset(b->support, 0, x->t->n);
        for (size_t j = j0; j < j0 + group && j < r->n_novel; j++) {
            if (b->nr[j].n <= k)
                continue;
            int rc = enrol_draw(x, j, n_en, k, o, b);
            if (rc != 0)
                return rc;
            b->ys[n_en] = r->novel_ids[j];
            at[n_en++] = (int32_t)j;
        }
        /* A MAML-family model chooses among the classes holding a flow
         * with its head, refitted over the memory as enrol does. */
        struct mhead *head = o->head_lr > 0
                                 ? mhead_fit(x->m, o->head_lr, MHEAD_STEPS)
                                 : NULL;
        if (o->head_lr > 0 && head == NULL)
            return err_last();
        score_enrolled(x, b->ys, n_en, b->support, b->ext, head, b->tl);
        mhead_destroy(head);
        for (size_t e = 0; e < n_en; e++) {
            struct openset_cell *c = &r->cells[(size_t)at[e] * r->n_shots +
                                               s];
            cell_add(c, &b->tl[e]);
            cell_add_grown(c, b->from + e * OPENSET_FROM_KINDS);
        }
        int rc = forget_enrolled(x, n_en);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A class's rows that supports are drawn from. */
static size_t rows_of(const struct ctx *x, int32_t y, int *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < x->t->n; i++) {
        if (x->t->y[i] == y && (x->o->role == NULL ||
                                x->o->role[i] == OPENSET_ROLE_CONTEXT))
            rows[n++] = (int)i;
    }
    return n;
}

static int list_novel(struct ctx *x, struct openset_report *r)
{
    r->novel_ids = malloc((x->n_ids + 1) * sizeof(int32_t));
    if (r->novel_ids == NULL)
        return ERR_NOMEM;
    for (size_t c = 0; c < x->n_ids; c++) {
        int present = 0;
        for (size_t i = 0; i < x->t->n && !present; i++)
            present = x->t->y[i] == (int32_t)c;
        if (x->known_of[c] < 0 && present &&
            r->n_novel < OPENSET_MAX_NOVEL)
            r->novel_ids[r->n_novel++] = (int32_t)c;
    }
    size_t cells = r->n_novel * r->n_shots + 1;
    r->precision = malloc(cells * sizeof(double));
    r->recall = malloc(cells * sizeof(double));
    r->cells = calloc(cells, sizeof(*r->cells));
    return r->precision && r->recall && r->cells ? 0 : ERR_NOMEM;
}

/* Per-class rows and random streams; a class's supports are the same
 * draws whether it is enrolled alone or with the others. */
static int novel_rows_init(struct ctx *x, const struct openset_opts *o,
                           const struct openset_report *r,
                           struct trial_buf *b)
{
    b->nr = calloc(r->n_novel + 1, sizeof(*b->nr));
    if (b->nr == NULL)
        return ERR_NOMEM;
    for (size_t j = 0; j < r->n_novel; j++) {
        int32_t y = r->novel_ids[j];
        b->nr[j].rows = malloc((x->t->n + 1) * sizeof(int));
        if (b->nr[j].rows == NULL)
            return ERR_NOMEM;
        b->nr[j].n = rows_of(x, y, b->nr[j].rows);
        rng_seed(&b->nr[j].g, o->seed * 1000003ULL + (uint64_t)y);
    }
    return 0;
}

static void trial_buf_fini(struct trial_buf *b, size_t n_novel)
{
    for (size_t j = 0; b->nr != NULL && j < n_novel; j++)
        free(b->nr[j].rows);
    free(b->nr);
    free(b->ys);
    free(b->support);
    free(b->zs);
    free(b->ext);
    free(b->tl);
    free(b->seeds);
    free(b->grown);
    free(b->from);
}

static int trial_buf_init(struct ctx *x, const struct openset_opts *o,
                          const struct openset_report *r,
                          struct trial_buf *b)
{
    uint32_t kmax = 0;
    size_t n_en = r->n_novel + 1;
    for (uint32_t s = 0; s < o->n_shots; s++)
        kmax = o->shots[s] > kmax ? o->shots[s] : kmax;
    memset(b, 0, sizeof(*b));
    b->ys = malloc(n_en * sizeof(int32_t));
    b->support = malloc(x->t->n + 1);
    b->zs = malloc(((size_t)kmax + 1) * x->m->dim * sizeof(float));
    b->ext = malloc((x->c0 + n_en) * sizeof(*b->ext));
    b->tl = malloc(n_en * sizeof(*b->tl));
    b->seeds = malloc(((size_t)kmax + 1) * sizeof(int32_t));
    b->grown = malloc((MEMO_CONTEXT_MAX + 1) * sizeof(int32_t));
    b->from = calloc(n_en * OPENSET_FROM_KINDS, sizeof(double));
    if (!b->ys || !b->support || !b->zs || !b->ext || !b->tl || !b->seeds ||
        !b->grown || !b->from)
        return ERR_NOMEM;
    return novel_rows_init(x, o, r, b);
}

/* Cells of classes too small for a shot stay NAN. */
static void finish_cells(const struct ctx *x, const struct trial_buf *b,
                         const struct openset_opts *o,
                         struct openset_report *r)
{
    (void)x;
    for (size_t j = 0; j < r->n_novel; j++) {
        for (uint32_t s = 0; s < r->n_shots; s++) {
            size_t at = j * r->n_shots + s;
            cell_finish(&r->cells[at], o->trials);
            int small = b->nr[j].n <= r->shots[s];
            r->precision[at] = small ? NAN : r->cells[at].precision;
            r->recall[at] = small ? NAN : r->cells[at].recall;
        }
    }
}

static int run_enrolment(struct ctx *x, const struct openset_opts *o,
                         struct openset_report *r)
{
    struct trial_buf b;
    int rc = trial_buf_init(x, o, r, &b);
    /* Alone: class by class, shot by shot, trial by trial, as before the
     * together mode existed, so one seed still gives the same draws. */
    for (size_t j = 0; rc == 0 && !o->together && j < r->n_novel; j++) {
        struct trial_buf one = b;
        one.nr = &b.nr[j];
        struct openset_report sub = *r;
        sub.novel_ids = &r->novel_ids[j];
        sub.cells = &r->cells[j * r->n_shots];
        sub.n_novel = 1;
        for (uint32_t s = 0; rc == 0 && s < o->n_shots; s++) {
            for (uint32_t t = 0; rc == 0 && t < o->trials; t++)
                rc = one_trial(x, s, o, &one, &sub);
        }
    }
    for (uint32_t s = 0; rc == 0 && o->together && s < o->n_shots; s++) {
        for (uint32_t t = 0; rc == 0 && t < o->trials; t++)
            rc = one_trial(x, s, o, &b, r);
    }
    if (rc == 0)
        finish_cells(x, &b, o, r);
    trial_buf_fini(&b, r->n_novel);
    return rc;
}

int openset_eval(struct memo *base, const struct memo_labelled *test,
                 const int32_t *known_of, size_t n_ids,
                 const struct openset_opts *o, struct openset_report *out)
{
    struct ctx x = { base, test, known_of, n_ids, NULL, base->n_classes,
                     NULL, o };

    memset(out, 0, sizeof(*out));
    if (base->n_classes == 0 || o->n_shots > OPENSET_MAX_SHOTS ||
        o->trials == 0)
        return err_set(ERR_INVALID, "open-set evaluation needs known "
                       "classes, at most %d shots and ≥ 1 trial",
                       OPENSET_MAX_SHOTS);
    out->n_shots = o->n_shots;
    memcpy(out->shots, o->shots, sizeof(out->shots));
    x.ev = malloc((test->n * x.c0 + 1) * sizeof(*x.ev));
    x.cls = malloc((test->n + 1) * sizeof(int32_t));
    int rc = x.ev && x.cls ? list_novel(&x, out) : ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < test->n; i++)
        memo_evaluate(base, test->z + i * base->dim, x.ev + i * x.c0);
    if (rc == 0) {
        base_metrics(&x, out);
        rc = run_enrolment(&x, o, out);
    }
    free(x.ev);
    free(x.cls);
    if (rc == ERR_NOMEM)
        err_set(rc, "open-set evaluation: out of memory");
    return rc;
}
