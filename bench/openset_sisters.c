/*
 * How well two novel classes can be told apart from each other, in the
 * encoder's embedding and in the normalised input it was fed: a 2-way
 * nearest-neighbour test with K support flows per class, and the same
 * with every other row of the two classes as support (leave one out, the
 * dense limit); and, with only one of the two enrolled (as `eval
 * --openset` does by default), how well the distance to its K flows ranks
 * its own rows before the other class's (AUROC, 1 = every sister row is
 * farther than every own row; the mean over both directions). Used on
 * the leave-two-out folds (bench/openset_loco.sh models, whose left-out
 * pair the encoder never saw) to ask whether the encoder keeps what
 * separates two sister tools.
 *
 * usage: openset_sisters MODEL "CLASS A" "CLASS B" K TRIALS FILE...
 * build: cc -O2 -Iinclude -Isrc bench/openset_sisters.c \
 *        build/libfewflow.a -lopenblas -llzma -lz -lpcap -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "fewflow/data.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"
#include "fewflow/table.h"

#define LOO_QUERIES 1000

struct space {
    const char *name;
    const float *v;           /* n × d */
    size_t d;
};

/* Own-class share of the rows' nearest support row. */
static double nn_accuracy(const struct space *s, const int *y, size_t n,
                          const int *sup, size_t ns, const uint8_t *is_sup)
{
    size_t right = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_sup[i])
            continue;
        float best = INFINITY;
        int by = -1;
        for (size_t j = 0; j < ns; j++) {
            float q = vec_sqdist(s->v + i * s->d, s->v + sup[j] * s->d, s->d);
            if (q < best) {
                best = q;
                by = y[sup[j]];
            }
        }
        right += by == y[i];
        total++;
    }
    return total ? (double)right / (double)total : NAN;
}

/* AUROC of "not class c" by the distance to the support (rows of c in
 * sup[0..k)), over the rows outside the support. */
static double one_class_auroc(const struct space *s, const int *y, size_t n,
                              int c, const int *sup, size_t k,
                              const uint8_t *is_sup, float *score,
                              uint8_t *pos)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_sup[i])
            continue;
        float best = INFINITY;
        for (size_t j = 0; j < k; j++) {
            float q = vec_sqdist(s->v + i * s->d, s->v + sup[j] * s->d, s->d);
            best = q < best ? q : best;
        }
        score[m] = best;
        pos[m++] = y[i] != c;
    }
    return openset_auroc(score, pos, m);
}

static void kshot(const struct space *sp, size_t n_sp, const int *y,
                  size_t n, const int *ra, size_t na, const int *rb,
                  size_t nb, size_t k, int trials, double *acc,
                  double *one)
{
    float *score = malloc(n * sizeof(float));
    uint8_t *pos = malloc(n);
    struct rng g;
    int *a = malloc(na * sizeof(int)), *b = malloc(nb * sizeof(int));
    int *sup = malloc(2 * k * sizeof(int));
    uint8_t *is_sup = calloc(n, 1);
    memcpy(a, ra, na * sizeof(int));
    memcpy(b, rb, nb * sizeof(int));
    rng_seed(&g, 1);
    for (int t = 0; t < trials; t++) {
        rng_shuffle_int(&g, a, na);
        rng_shuffle_int(&g, b, nb);
        memset(is_sup, 0, n);
        for (size_t s = 0; s < k; s++) {
            sup[s] = a[s];
            sup[k + s] = b[s];
            is_sup[a[s]] = is_sup[b[s]] = 1;
        }
        for (size_t e = 0; e < n_sp; e++) {
            acc[e] += nn_accuracy(&sp[e], y, n, sup, 2 * k, is_sup) / trials;
            one[e] += (one_class_auroc(&sp[e], y, n, 0, sup, k, is_sup,
                                       score, pos) +
                       one_class_auroc(&sp[e], y, n, 1, sup + k, k, is_sup,
                                       score, pos)) / (2.0 * trials);
        }
    }
    free(score);
    free(pos);
    free(a);
    free(b);
    free(sup);
    free(is_sup);
}

/* Leave one out over LOO_QUERIES seeded rows, every other row support. */
static double loo(const struct space *s, const int *y, size_t n)
{
    struct rng g;
    int *q = malloc(n * sizeof(int));
    size_t right = 0, nq = n < LOO_QUERIES ? n : LOO_QUERIES;
    for (size_t i = 0; i < n; i++)
        q[i] = (int)i;
    rng_seed(&g, 2);
    rng_shuffle_int(&g, q, n);
    for (size_t k = 0; k < nq; k++) {
        size_t i = (size_t)q[k];
        float best = INFINITY;
        int by = -1;
        for (size_t j = 0; j < n; j++) {
            float d = j == i ? INFINITY
                             : vec_sqdist(s->v + i * s->d, s->v + j * s->d,
                                          s->d);
            if (d < best) {
                best = d;
                by = y[j];
            }
        }
        right += by == y[i];
    }
    free(q);
    return (double)right / (double)nq;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: openset_sisters MODEL A B K TRIALS FILE...\n");
        return 2;
    }
    struct detector *d = detector_load(argv[1], 0);
    struct table *t = NULL;
    struct data_options opt;
    data_options_init(&opt);
    if (d == NULL || data_load_with((const char *const *)argv + 6,
                                    (size_t)argc - 6, d->schema, &opt, &t,
                                    NULL) != 0) {
        fprintf(stderr, "%s\n", err_msg());
        return 2;
    }
    int32_t ca = table_class_id(t, argv[2]), cb = table_class_id(t, argv[3]);
    size_t k = (size_t)atoi(argv[4]), n = 0, na = 0, nb = 0;
    int trials = atoi(argv[5]);
    float *x = malloc(t->n_rows * d->n_in * sizeof(float));
    int *y = malloc(t->n_rows * sizeof(int));
    int *ra = malloc(t->n_rows * sizeof(int));
    int *rb = malloc(t->n_rows * sizeof(int));
    for (size_t r = 0; r < t->n_rows; r++) {
        if (t->y[r] != ca && t->y[r] != cb)
            continue;
        memcpy(x + n * d->n_in, table_row(t, r), d->n_in * sizeof(float));
        y[n] = t->y[r] == ca ? 0 : 1;
        if (y[n] == 0)
            ra[na++] = (int)n;
        else
            rb[nb++] = (int)n;
        n++;
    }
    float *z = malloc(n * d->dim * sizeof(float));
    if (ca < 0 || cb < 0 || detector_embed(d, x, n, z) != 0) {
        fprintf(stderr, "classes not found or embedding failed\n");
        return 2;
    }
    struct space sp[2] = { { "embedding", z, d->dim },
                           { "input", x, d->n_in } };
    double acc[2] = { 0, 0 }, one[2] = { 0, 0 };
    kshot(sp, 2, y, n, ra, na, rb, nb, k, trials, acc, one);
    for (int e = 0; e < 2; e++)
        printf("%-9s %s (%zu) vs %s (%zu): %zu-shot 2-way NN %.3f, "
               "one class enrolled AUROC %.3f, leave-one-out NN %.3f\n",
               sp[e].name, argv[2], na, argv[3], nb, k, acc[e], one[e],
               loo(&sp[e], y, n));
    return 0;
}
