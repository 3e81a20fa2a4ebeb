/*
 * How far apart the test classes are in the features themselves, with
 * every label known (a diagnostic that reads the test classes; it
 * selects nothing):
 *   1. rows of each novel class whose normalised input (exactly what the
 *      encoder reads) equals, or lies within a tiny distance of, a row
 *      of BENIGN, of another novel class or of a training attack; and
 *      the precision/recall bound that identical rows put on any
 *      classifier (one label per distinct vector);
 *   2. leave-one-out k-nearest-neighbour classification with all labels
 *      (k = 1: majority of the rows at the smallest distance; k = 5:
 *      majority, ties to the nearer), per novel class, in the normalised
 *      input and in the model's embedding.
 * Row sets: "eval" = the rows eval --openset scores (known classes'
 * encoder-unseen rows and every novel row); "table" = every row of the
 * data, where the embedding of training rows is not a fair test.
 *
 * usage: openset_overlap MODEL [SEED]
 * build (after a Release build of the library in build/):
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. \
 *      -Iinclude -Isrc bench/openset_overlap.c bench/oracle_setup.c \
 *      src/cli/eval_conn.c build/libfewflow.a -lopenblas -llzma -lz \
 *      -lpcap -lm -o openset_overlap
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/oracle.h"
#include "core/vec.h"
#include "fewflow/err.h"

#define MAX_CLS 32
#define KNN 5

struct rows {
    const char *name;
    const float *v;
    size_t n, dim;
    const int32_t *y;
};

static const char *short_name(const char *name)
{
    return strncmp(name, "DoS ", 4) == 0 ? name + 4 : name;
}

/* Group of a class for the overlap counts: 0 BENIGN, 1 training attack,
 * 2 + j novel class j. */
static int group_of(const struct oracle_set *s, const int32_t *novel,
                    size_t n_novel, int32_t y)
{
    for (size_t j = 0; j < n_novel; j++)
        if (novel[j] == y)
            return 2 + (int)j;
    int32_t k = s->known_of[y];
    return k >= 0 && (s->d->memo->cls[k].flags & MEMO_CLASS_BENIGN) ? 0 : 1;
}

/* 1: each novel row's nearest row in every group. */
static void overlap(const struct oracle_set *s, const struct rows *r,
                    const int32_t *novel, size_t n_novel)
{
    static const double eps[3] = { 0, 1e-3, 1e-2 };
    size_t ng = 2 + n_novel;
    size_t cnt[MAX_CLS][MAX_CLS][3] = { { { 0 } } }, own[MAX_CLS] = { 0 };
    int *g = malloc(r->n * sizeof(int));
    for (size_t i = 0; i < r->n; i++)
        g[i] = group_of(s, novel, n_novel, r->y[i]);
    for (size_t i = 0; i < r->n; i++) {
        if (g[i] < 2)
            continue;
        double best[MAX_CLS];
        for (size_t k = 0; k < ng; k++)
            best[k] = INFINITY;
        for (size_t j = 0; j < r->n; j++) {
            if (j == i)
                continue;
            double q = vec_sqdist(r->v + i * r->dim, r->v + j * r->dim,
                                  r->dim);
            best[g[j]] = q < best[g[j]] ? q : best[g[j]];
        }
        own[g[i]]++;
        for (size_t k = 0; k < ng; k++)
            for (int e = 0; e < 3; e++)
                cnt[g[i]][k][e] += sqrt(best[k]) <= eps[e];
    }
    printf("\n%s rows, normalised input: rows of each novel class within "
           "0 / 1e-3 / 1e-2 of a row of ...\n\n| class (rows) | BENIGN | "
           "training attacks |", r->name);
    for (size_t j = 0; j < n_novel; j++)
        printf(" %s |", short_name(s->t->class_names[novel[j]]));
    printf("\n|---|---:|---:|");
    for (size_t j = 0; j < n_novel; j++)
        printf("---:|");
    printf("\n");
    for (size_t a = 2; a < ng; a++) {
        printf("| %s (%zu) |", short_name(s->t->class_names[novel[a - 2]]),
               own[a]);
        for (size_t k = 0; k < ng; k++)
            printf(" %zu / %zu / %zu |", cnt[a][k][0], cnt[a][k][1],
                   cnt[a][k][2]);
        printf("\n");
    }
    free(g);
}

struct vec_ref {
    const float *p;
    int32_t y;
};

static size_t cmp_dim;      /* qsort has no context argument */

static int cmp_vec(const void *a, const void *b)
{
    return memcmp(((const struct vec_ref *)a)->p,
                  ((const struct vec_ref *)b)->p, cmp_dim * sizeof(float));
}

struct grp {
    size_t own, other;
};

static int cmp_purity(const void *a, const void *b)
{
    const struct grp *x = a, *y = b;
    double px = (double)x->own / (double)(x->own + x->other);
    double py = (double)y->own / (double)(y->own + y->other);
    if (px != py)
        return px < py ? 1 : -1;
    return (x->own < y->own) - (x->own > y->own);
}

/* Best classifier for class c that gives one label per distinct vector:
 * vectors taken purest first (exact up to one vector's rows). */
static void bound_class(const struct vec_ref *v, size_t n, int32_t c,
                        double *out)
{
    struct grp *g = malloc((n + 1) * sizeof(*g));
    size_t ng = 0, total = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, own = 0;
        for (; j < n && cmp_vec(&v[i], &v[j]) == 0; j++)
            own += v[j].y == c;
        if (own > 0)
            g[ng++] = (struct grp){ own, j - i - own };
        total += own;
        i = j;
    }
    qsort(g, ng, sizeof(*g), cmp_purity);
    size_t tp = 0, fp = 0;
    out[0] = out[1] = out[2] = out[3] = 0;
    for (size_t k = 0; k < ng; k++) {
        tp += g[k].own;
        fp += g[k].other;
        double p = (double)tp / (double)(tp + fp);
        double r = (double)tp / (double)total;
        out[0] = fp == 0 ? r : out[0];
        out[1] = p >= 0.9 && r > out[1] ? r : out[1];
        out[2] = p + r > out[2] ? p + r : out[2];
        out[3] = (p < r ? p : r) > out[3] ? (p < r ? p : r) : out[3];
    }
    free(g);
}

static void bound(const struct oracle_set *s, const struct rows *r,
                  const int32_t *novel, size_t n_novel)
{
    struct vec_ref *v = malloc((r->n + 1) * sizeof(*v));
    double m[4] = { 0 }, b[4];
    for (size_t i = 0; i < r->n; i++)
        v[i] = (struct vec_ref){ r->v + i * r->dim, r->y[i] };
    cmp_dim = r->dim;
    qsort(v, r->n, sizeof(*v), cmp_vec);
    printf("\n%s rows: bound from identical normalised inputs (one label "
           "per distinct vector, every other row a negative)\n\n| class | "
           "R at P = 1 | R at P >= 0.90 | best P + R | best min(P, R) |\n"
           "|---|---:|---:|---:|---:|\n", r->name);
    for (size_t j = 0; j < n_novel; j++) {
        bound_class(v, r->n, novel[j], b);
        printf("| %s | %.3f | %.3f | %.3f | %.3f |\n",
               short_name(s->t->class_names[novel[j]]), b[0], b[1], b[2],
               b[3]);
        for (int k = 0; k < 4; k++)
            m[k] += b[k] / (double)n_novel;
    }
    printf("| mean | %.3f | %.3f | %.3f | %.3f |\n", m[0], m[1], m[2], m[3]);
    free(v);
}

/* Leave-one-out predictions of row i: k = 1 (majority at the smallest
 * distance) and k = KNN (majority, ties to the nearer). */
static void knn_row(const struct rows *r, size_t i, int32_t *p1,
                    int32_t *pk)
{
    float dk[KNN];
    int32_t yk[KNN];
    size_t at_min[MAX_CLS] = { 0 }, nk = 0;
    float dmin = INFINITY;
    for (size_t j = 0; j < r->n; j++) {
        if (j == i)
            continue;
        float q = vec_sqdist(r->v + i * r->dim, r->v + j * r->dim, r->dim);
        if (q < dmin) {
            dmin = q;
            memset(at_min, 0, sizeof(at_min));
        }
        at_min[r->y[j]] += q == dmin;
        if (nk < KNN || q < dk[nk - 1]) {
            size_t k = nk < KNN ? nk++ : KNN - 1;
            for (; k > 0 && dk[k - 1] > q; k--) {
                dk[k] = dk[k - 1];
                yk[k] = yk[k - 1];
            }
            dk[k] = q;
            yk[k] = r->y[j];
        }
    }
    size_t best = 0, votes[MAX_CLS] = { 0 };
    for (size_t c = 1; c < MAX_CLS; c++)
        best = at_min[c] > at_min[best] ? c : best;
    *p1 = (int32_t)best;
    for (size_t k = 0; k < nk; k++)
        votes[yk[k]]++;
    *pk = yk[0];
    for (size_t k = 0; k < nk; k++)
        *pk = votes[yk[k]] > votes[*pk] ? yk[k] : *pk;
}

static void knn(const struct oracle_set *s, const struct rows *r,
                const char *space, const int32_t *novel, size_t n_novel)
{
    int32_t *p1 = malloc(r->n * sizeof(int32_t));
    int32_t *pk = malloc(r->n * sizeof(int32_t));
    double m[4] = { 0 };
    for (size_t i = 0; i < r->n; i++)
        knn_row(r, i, &p1[i], &pk[i]);
    printf("\n%s rows, %s: leave-one-out k-NN with all labels, P / R\n\n"
           "| class | 1-NN | %d-NN |\n|---|---:|---:|\n", r->name, space,
           KNN);
    for (size_t j = 0; j < n_novel; j++) {
        size_t tp[2] = { 0 }, said[2] = { 0 }, is = 0;
        for (size_t i = 0; i < r->n; i++) {
            int own = r->y[i] == novel[j];
            is += own;
            said[0] += p1[i] == novel[j];
            said[1] += pk[i] == novel[j];
            tp[0] += own && p1[i] == novel[j];
            tp[1] += own && pk[i] == novel[j];
        }
        double v[4] = { said[0] ? (double)tp[0] / said[0] : 0,
                        (double)tp[0] / is,
                        said[1] ? (double)tp[1] / said[1] : 0,
                        (double)tp[1] / is };
        printf("| %s | %.3f / %.3f | %.3f / %.3f |\n",
               short_name(s->t->class_names[novel[j]]), v[0], v[1], v[2],
               v[3]);
        for (int k = 0; k < 4; k++)
            m[k] += v[k] / (double)n_novel;
    }
    printf("| mean | **%.3f / %.3f** | **%.3f / %.3f** |\n", m[0], m[1], m[2],
           m[3]);
    free(p1);
    free(pk);
}

static size_t novel_classes(const struct oracle_set *s, int32_t *novel)
{
    size_t n = 0;
    for (size_t c = 0; c < s->t->n_classes && n < MAX_CLS - 2; c++) {
        int present = 0;
        for (size_t i = 0; i < s->n && !present; i++)
            present = s->y[i] == (int32_t)c;
        if (s->known_of[c] < 0 && present)
            novel[n++] = (int32_t)c;
    }
    return n;
}

int main(int argc, char **argv)
{
    struct oracle_set s;
    float *ax = NULL, *az = NULL;
    int32_t novel[MAX_CLS];
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (argc < 2) {
        fprintf(stderr, "usage: openset_overlap MODEL [SEED]\n");
        return 2;
    }
    if (oracle_set_load(&s, argv[1], seed) != 0 ||
        s.t->n_classes > MAX_CLS || oracle_all_rows(&s, &ax, &az) != 0) {
        fprintf(stderr, "openset_overlap: %s\n", err_msg());
        return 2;
    }
    size_t n_novel = novel_classes(&s, novel);
    struct rows ex = { "eval", s.x, s.n, s.d->n_in, s.y };
    struct rows ez = { "eval", s.z, s.n, s.d->dim, s.y };
    struct rows tx = { "table", ax, s.t->n_rows, s.d->n_in, s.t->y };
    struct rows tz = { "table", az, s.t->n_rows, s.d->dim, s.t->y };
    printf("%s: %zu eval rows, %zu table rows, %zu inputs, embedding %zu\n",
           argv[1], s.n, s.t->n_rows, s.d->n_in, s.d->dim);
    overlap(&s, &tx, novel, n_novel);
    bound(&s, &ex, novel, n_novel);
    bound(&s, &tx, novel, n_novel);
    knn(&s, &ex, "normalised input", novel, n_novel);
    knn(&s, &ez, "embedding", novel, n_novel);
    knn(&s, &tx, "normalised input", novel, n_novel);
    knn(&s, &tz, "embedding (training rows included)", novel, n_novel);
    fflush(stdout);
    free(ax);
    free(az);
    oracle_set_fini(&s);
    return 0;
}
