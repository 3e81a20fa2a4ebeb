#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/evalstats.h"

void eval_mean_ci95(const double *v, size_t n, double *mean, double *half)
{
    double sum = 0.0, ss = 0.0;

    *mean = 0.0;
    *half = 0.0;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    *mean = sum / (double)n;
    if (n < 2)
        return;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    *half = 1.96 * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
}

void eval_paired_ci95(const double *a, const double *b, size_t n,
                      double *mean, double *half)
{
    double *d = malloc((n ? n : 1) * sizeof(double));

    if (!d) {
        *mean = NAN;
        *half = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = a[i] - b[i];
    eval_mean_ci95(d, n, mean, half);
    free(d);
}

int eval_stats_init(struct eval_stats *s, size_t n_classes)
{
    size_t cells = n_classes * n_classes;

    memset(s, 0, sizeof(*s));
    s->n_classes = n_classes;
    s->confusion = calloc(cells > 0 ? cells : 1, sizeof(uint64_t));
    if (!s->confusion)
        return err_set(ERR_NOMEM, "evaluation: out of memory");
    return 0;
}

void eval_stats_fini(struct eval_stats *s)
{
    free(s->confusion);
    free(s->acc);
    memset(s, 0, sizeof(*s));
}

static int stats_grow(struct eval_stats *s)
{
    size_t cap = s->cap_episodes ? 2 * s->cap_episodes : 64;
    double *acc;

    if (s->n_episodes < s->cap_episodes)
        return 0;
    acc = realloc(s->acc, cap * sizeof(double));
    if (!acc)
        return err_set(ERR_NOMEM, "evaluation: out of memory");
    s->acc = acc;
    s->cap_episodes = cap;
    return 0;
}

int eval_stats_add(struct eval_stats *s, const int32_t *pred,
                   const int32_t *truth, size_t n, const int32_t *classes,
                   size_t way)
{
    size_t right = 0;
    int rc = stats_grow(s);

    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (pred[i] < 0 || (size_t)pred[i] >= way || truth[i] < 0 ||
            (size_t)truth[i] >= way)
            return err_set(ERR_INVALID, "evaluation: label out of range");
    }
    for (size_t i = 0; i < n; i++) {
        size_t t = (size_t)classes[truth[i]];
        size_t p = (size_t)classes[pred[i]];

        if (t >= s->n_classes || p >= s->n_classes)
            return err_set(ERR_INVALID, "evaluation: class out of range");
        s->confusion[t * s->n_classes + p]++;
        right += pred[i] == truth[i];
    }
    s->acc[s->n_episodes++] = n ? (double)right / (double)n : 0.0;
    return 0;
}

double eval_recall(const struct eval_stats *s, size_t c)
{
    uint64_t row = 0;

    for (size_t p = 0; p < s->n_classes; p++)
        row += s->confusion[c * s->n_classes + p];
    return row ? (double)s->confusion[c * s->n_classes + c] / (double)row
        : NAN;
}

double eval_precision(const struct eval_stats *s, size_t c)
{
    uint64_t col = 0;

    for (size_t t = 0; t < s->n_classes; t++)
        col += s->confusion[t * s->n_classes + c];
    return col ? (double)s->confusion[c * s->n_classes + c] / (double)col
        : NAN;
}

double eval_macro_f1(const struct eval_stats *s)
{
    double sum = 0.0;
    size_t n = 0;

    for (size_t c = 0; c < s->n_classes; c++) {
        double r = eval_recall(s, c), p = eval_precision(s, c);

        if (isnan(r))
            continue;
        n++;
        if (!isnan(p) && p + r > 0.0)
            sum += 2.0 * p * r / (p + r);
    }
    return n ? sum / (double)n : NAN;
}
