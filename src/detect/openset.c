#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
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
}

void openset_report_fini(struct openset_report *r)
{
    free(r->precision);
    free(r->recall);
    free(r->novel_ids);
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
};

static int32_t known_id(const struct ctx *x, int32_t y)
{
    return y >= 0 && (size_t)y < x->n_ids ? x->known_of[y] : -2;
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
        int32_t kid = known_id(x, x->t->y[i]);
        if (kid == -2)
            continue;
        const struct memo_eval *row = x->ev + i * x->c0;
        memo_decide_from(x->m, row, &d);
        score[k] = memo_novelty(x->m, row);
        by_ratio[k] = d.score;
        pos[k++] = kid < 0;
        if (kid < 0) {
            r->n_novel_rows++;
            unk += d.cls < 0;
            continue;
        }
        r->n_known++;
        hit += d.cls == kid;
        if (x->m->cls[kid].flags & MEMO_CLASS_BENIGN) {
            r->n_benign++;
            fa += d.cls < 0 || !(x->m->cls[d.cls].flags & MEMO_CLASS_BENIGN);
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

/* Precision and recall of the class just enrolled (index c0) for class y
 * on every test row outside the support. */
static void score_enrolled(struct ctx *x, int32_t y, const uint8_t *support,
                           struct memo_eval *ext, double *prec, double *rec)
{
    size_t tp = 0, fp = 0, fn = 0;
    struct memo_decision d;
    for (size_t i = 0; i < x->t->n; i++) {
        if (support[i] || known_id(x, x->t->y[i]) == -2)
            continue;
        memcpy(ext, x->ev + i * x->c0, x->c0 * sizeof(*ext));
        memo_evaluate_one(x->m, x->c0, x->t->z + i * x->m->dim,
                          &ext[x->c0]);
        memo_decide_from(x->m, ext, &d);
        int said = d.cls == (int32_t)x->c0, is = x->t->y[i] == y;
        tp += said && is;
        fp += said && !is;
        fn += !said && is;
    }
    *prec = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    *rec = tp + fn ? (double)tp / (double)(tp + fn) : 0;
}

struct trial_buf {
    int *rows;
    uint8_t *support;
    float *zs;
    struct memo_eval *ext;
};

static int one_trial(struct ctx *x, int32_t y, size_t n_rows, uint32_t k,
                     struct rng *g, const struct openset_opts *o,
                     struct trial_buf *b, double *prec, double *rec)
{
    uint32_t d = x->m->dim;
    rng_shuffle_int(g, b->rows, n_rows);
    memset(b->support, 0, x->t->n);
    for (uint32_t s = 0; s < k; s++) {
        b->support[b->rows[s]] = 1;
        memcpy(b->zs + (size_t)s * d, x->t->z + (size_t)b->rows[s] * d,
               d * sizeof(float));
    }
    int rc = memo_enroll(x->m, ENROLLED_NAME, b->zs, k, NULL, &o->enroll);
    if (rc != 0)
        return rc;
    score_enrolled(x, y, b->support, b->ext, prec, rec);
    return memo_class_forget(x->m, ENROLLED_NAME);
}

static size_t rows_of(const struct ctx *x, int32_t y, int *rows)
{
    size_t n = 0;
    for (size_t i = 0; i < x->t->n; i++) {
        if (x->t->y[i] == y)
            rows[n++] = (int)i;
    }
    return n;
}

static int enrol_class(struct ctx *x, size_t j, const struct openset_opts *o,
                       struct trial_buf *b, struct openset_report *r)
{
    int32_t y = r->novel_ids[j];
    size_t n_rows = rows_of(x, y, b->rows);
    struct rng g;
    rng_seed(&g, o->seed * 1000003ULL + (uint64_t)y);
    for (uint32_t s = 0; s < o->n_shots; s++) {
        uint32_t k = o->shots[s];
        double sp = 0, sr = 0, p, q;
        size_t at = j * o->n_shots + s;
        r->precision[at] = r->recall[at] = NAN;
        if (k == 0 || n_rows <= k)
            continue;
        for (uint32_t t = 0; t < o->trials; t++) {
            int rc = one_trial(x, y, n_rows, k, &g, o, b, &p, &q);
            if (rc != 0)
                return rc;
            sp += p;
            sr += q;
        }
        r->precision[at] = sp / o->trials;
        r->recall[at] = sr / o->trials;
    }
    return 0;
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
        if (x->known_of[c] < 0 && present)
            r->novel_ids[r->n_novel++] = (int32_t)c;
    }
    size_t cells = r->n_novel * r->n_shots + 1;
    r->precision = malloc(cells * sizeof(double));
    r->recall = malloc(cells * sizeof(double));
    return r->precision && r->recall ? 0 : ERR_NOMEM;
}

static int run_enrolment(struct ctx *x, const struct openset_opts *o,
                         struct openset_report *r)
{
    uint32_t kmax = 0;
    for (uint32_t s = 0; s < o->n_shots; s++)
        kmax = o->shots[s] > kmax ? o->shots[s] : kmax;
    struct trial_buf b;
    b.rows = malloc((x->t->n + 1) * sizeof(int));
    b.support = malloc(x->t->n + 1);
    b.zs = malloc(((size_t)kmax + 1) * x->m->dim * sizeof(float));
    b.ext = malloc((x->c0 + 1) * sizeof(*b.ext));
    int rc = b.rows && b.support && b.zs && b.ext ? 0 : ERR_NOMEM;
    for (size_t j = 0; rc == 0 && j < r->n_novel; j++)
        rc = enrol_class(x, j, o, &b, r);
    free(b.rows);
    free(b.support);
    free(b.zs);
    free(b.ext);
    return rc;
}

int openset_eval(struct memo *base, const struct memo_labelled *test,
                 const int32_t *known_of, size_t n_ids,
                 const struct openset_opts *o, struct openset_report *out)
{
    struct ctx x = { base, test, known_of, n_ids, NULL, base->n_classes };

    memset(out, 0, sizeof(*out));
    if (base->n_classes == 0 || o->n_shots > OPENSET_MAX_SHOTS ||
        o->trials == 0)
        return err_set(ERR_INVALID, "open-set evaluation needs known "
                       "classes, at most %d shots and ≥ 1 trial",
                       OPENSET_MAX_SHOTS);
    out->n_shots = o->n_shots;
    memcpy(out->shots, o->shots, sizeof(out->shots));
    x.ev = malloc((test->n * x.c0 + 1) * sizeof(*x.ev));
    int rc = x.ev ? list_novel(&x, out) : ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < test->n; i++)
        memo_evaluate(base, test->z + i * base->dim, x.ev + i * x.c0);
    if (rc == 0) {
        base_metrics(&x, out);
        rc = run_enrolment(&x, o, out);
    }
    free(x.ev);
    if (rc == ERR_NOMEM)
        err_set(rc, "open-set evaluation: out of memory");
    return rc;
}
