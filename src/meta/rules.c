#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/fewshot.h"
#include "fewflow/learner.h"

/*
 * Decision rules on embeddings. "mean" is ProtoNet's nearest prototype;
 * "nn" the nearest support embedding (Siamese and triplet networks
 * classify so); "logreg" a logistic regression fitted on the support
 * embeddings; "logreg_xz" one fitted on [x, c·z], the normalised raw
 * features beside the embedding scaled to the same mean norm, so the
 * classifier can use whichever view separates the new classes;
 * "logreg_xz_st" the same, refitted twice with the confidently predicted
 * queries as extra support (transductive self-training); "ens" a product
 * of experts: the logistic regression on x times a soft nearest-neighbour
 * vote in the embedding, so a multi-modal class is matched by its nearest
 * mode rather than its mean; "ens_st" the same product with the
 * self-trained regression on [x, c·z] as the first expert. "auto" is
 * "ens_st" when some class has a single support row (a regression on one
 * point per class says little, the embedding's similarity more) and
 * "logreg_xz_st" otherwise.
 */
static const char *const rule_names[] = {
    "mean", "nn", "logreg", "logreg_xz", "logreg_xz_st", "ens", "ens_st",
    "auto",
};

int learner_rule_known(const char *rule)
{
    for (size_t i = 0; i < sizeof(rule_names) / sizeof(rule_names[0]); i++) {
        if (strcmp(rule, rule_names[i]) == 0)
            return 1;
    }
    return 0;
}

const char *learner_rule_names(void)
{
    return "mean nn logreg logreg_xz logreg_xz_st ens ens_st auto";
}

static double mean_norm(const float *v, size_t n, size_t d)
{
    double sum = 0.0;

    for (size_t i = 0; i < n; i++) {
        double s = 0.0;

        for (size_t k = 0; k < d; k++)
            s += (double)v[i * d + k] * (double)v[i * d + k];
        sum += sqrt(s);
    }
    return n ? sum / (double)n : 0.0;
}

static void normalize_rows(float *v, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        double s = 1e-12;

        for (size_t k = 0; k < d; k++)
            s += (double)v[i * d + k] * (double)v[i * d + k];
        for (size_t k = 0; k < d; k++)
            v[i * d + k] = (float)(v[i * d + k] / sqrt(s));
    }
}

/* [x, c·z] rows into out (n × (dx + dz)). */
static void concat_scaled(const float *x, size_t dx, const float *z,
                          size_t dz, size_t n, float c, float *out)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(out + i * (dx + dz), x + i * dx, dx * sizeof(float));
        for (size_t k = 0; k < dz; k++)
            out[i * (dx + dz) + dx + k] = c * z[i * dz + k];
    }
}

/* Support plus the queries whose top probability reaches min_p, labelled
 * with their prediction; returns the row count written. */
static size_t add_confident(const float *as, const int32_t *ys, size_t n_s,
                            const float *aq, const float *probs, size_t n_q,
                            size_t d, size_t way, float min_p, float *out,
                            int32_t *y_out)
{
    size_t n = n_s;

    memcpy(out, as, n_s * d * sizeof(float));
    memcpy(y_out, ys, n_s * sizeof(int32_t));
    for (size_t i = 0; i < n_q; i++) {
        size_t best = 0;

        for (size_t c = 1; c < way; c++)
            best = probs[i * way + c] > probs[i * way + best] ? c : best;
        if (probs[i * way + best] < min_p)
            continue;
        memcpy(out + n * d, aq + i * d, d * sizeof(float));
        y_out[n++] = (int32_t)best;
    }
    return n;
}

/* Self-training rounds on top of a first fit whose probs are given. */
static int self_train(const float *as, const int32_t *ys, size_t n_s,
                      const float *aq, size_t n_q, size_t d, size_t way,
                      float *probs, int32_t *pred)
{
    float *ext = malloc((n_s + n_q) * d * sizeof(float));
    int32_t *yext = malloc((n_s + n_q) * sizeof(int32_t));
    struct logreg_opts o;
    int rc = ext && yext ? 0 : err_set(ERR_NOMEM, "rule: out of memory");

    logreg_opts_default(&o);
    for (int round = 0; round < 2 && rc == 0; round++) {
        size_t n = add_confident(as, ys, n_s, aq, probs, n_q, d, way, 0.6f,
                                 ext, yext);

        rc = fewshot_logreg(ext, yext, n, aq, n_q, d, way, &o, probs, pred);
    }
    free(ext);
    free(yext);
    return rc;
}

static int rule_logreg_xz(const struct episode *ep, const float *zs,
                          const float *zq, size_t dim, int transductive,
                          int32_t *pred, float *probs_out)
{
    size_t d = ep->n_cols + dim, nq = ep->n_query ? ep->n_query : 1;
    float *as = malloc(ep->n_support * d * sizeof(float));
    float *aq = malloc(nq * d * sizeof(float));
    float *probs = malloc(nq * ep->way * sizeof(float));
    double nz = mean_norm(zs, ep->n_support, dim);
    float c = nz > 0.0 ?
        (float)(mean_norm(ep->xs, ep->n_support, ep->n_cols) / nz) : 1.0f;
    struct logreg_opts o;
    int rc = 0;

    if (!as || !aq || !probs) {
        rc = err_set(ERR_NOMEM, "rule: out of memory");
    } else {
        concat_scaled(ep->xs, ep->n_cols, zs, dim, ep->n_support, c, as);
        concat_scaled(ep->xq, ep->n_cols, zq, dim, ep->n_query, c, aq);
        logreg_opts_default(&o);
        rc = fewshot_logreg(as, ep->ys, ep->n_support, aq, ep->n_query, d,
                            ep->way, &o, probs, pred);
    }
    if (rc == 0 && transductive)
        rc = self_train(as, ep->ys, ep->n_support, aq, ep->n_query, d,
                        ep->way, probs, pred);
    if (rc == 0 && probs_out)
        memcpy(probs_out, probs, ep->n_query * ep->way * sizeof(float));
    free(as);
    free(aq);
    free(probs);
    return rc;
}

/* Soft nearest-neighbour class probabilities from squared distances
 * dist (n_q × n_s): weights exp(-(d - d_min) / (t · median d)). */
static void soft_nn(const float *dist, const int32_t *ys, size_t n_s,
                    size_t n_q, size_t way, double median, double t,
                    float *probs)
{
    for (size_t i = 0; i < n_q; i++) {
        const float *di = dist + i * n_s;
        double lo = di[0], sum = 0.0;

        for (size_t j = 1; j < n_s; j++)
            lo = di[j] < lo ? di[j] : lo;
        for (size_t c = 0; c < way; c++)
            probs[i * way + c] = 1e-12f;
        for (size_t j = 0; j < n_s; j++)
            probs[i * way + ys[j]] += (float)exp(-(di[j] - lo) /
                                                 (t * median));
        for (size_t c = 0; c < way; c++)
            sum += probs[i * way + c];
        for (size_t c = 0; c < way; c++)
            probs[i * way + c] = (float)(probs[i * way + c] / sum);
    }
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;

    return (x > y) - (x < y);
}

static int rule_ens(const struct episode *ep, const float *zs,
                    const float *zq, size_t dim, int self_trained,
                    int32_t *pred)
{
    size_t ns = ep->n_support, nq = ep->n_query ? ep->n_query : 1;
    float *dist = malloc(nq * ns * sizeof(float));
    float *sorted = malloc(nq * ns * sizeof(float));
    float *p_lr = malloc(nq * ep->way * sizeof(float));
    float *p_nn = malloc(nq * ep->way * sizeof(float));
    struct logreg_opts o;
    int rc = dist && sorted && p_lr && p_nn ? 0 :
        err_set(ERR_NOMEM, "rule: out of memory");

    for (size_t i = 0; rc == 0 && i < ep->n_query; i++)
        for (size_t j = 0; j < ns; j++) {
            double s = 0.0;

            for (size_t k = 0; k < dim; k++) {
                double t = (double)zq[i * dim + k] - (double)zs[j * dim + k];

                s += t * t;
            }
            dist[i * ns + j] = sorted[i * ns + j] = (float)s;
        }
    logreg_opts_default(&o);
    if (rc == 0 && self_trained)
        rc = rule_logreg_xz(ep, zs, zq, dim, 1, pred, p_lr);
    else if (rc == 0)
        rc = fewshot_logreg(ep->xs, ep->ys, ns, ep->xq, ep->n_query,
                            ep->n_cols, ep->way, &o, p_lr, pred);
    if (rc == 0) {
        qsort(sorted, ep->n_query * ns, sizeof(float), cmp_float);
        soft_nn(dist, ep->ys, ns, ep->n_query, ep->way,
                (double)sorted[ep->n_query * ns / 2] + 1e-12, 0.1, p_nn);
    }
    for (size_t i = 0; rc == 0 && i < ep->n_query; i++) {
        double best = -1e300;

        for (size_t c = 0; c < ep->way; c++) {
            double s = log((double)p_lr[i * ep->way + c] + 1e-9) +
                log((double)p_nn[i * ep->way + c] + 1e-9);

            if (s > best) {
                best = s;
                pred[i] = (int32_t)c;
            }
        }
    }
    free(dist);
    free(sorted);
    free(p_lr);
    free(p_nn);
    return rc;
}

static int rule_on_z(const char *rule, const struct episode *ep,
                     const float *zs, const float *zq, size_t dim,
                     int32_t *pred)
{
    struct logreg_opts o;

    if (strcmp(rule, "nn") == 0) {
        fewshot_nn1(zs, ep->ys, ep->n_support, zq, ep->n_query, dim, pred);
        return 0;
    }
    if (strcmp(rule, "logreg") == 0) {
        logreg_opts_default(&o);
        return fewshot_logreg(zs, ep->ys, ep->n_support, zq, ep->n_query,
                              dim, ep->way, &o, NULL, pred);
    }
    return fewshot_ncm(zs, ep->ys, ep->n_support, zq, ep->n_query, dim,
                       ep->way, pred);
}

static size_t min_class_support(const struct episode *ep)
{
    size_t least = (size_t)-1;

    for (size_t c = 0; c < ep->way; c++) {
        size_t n = 0;

        for (size_t i = 0; i < ep->n_support; i++)
            n += ep->ys[i] == (int32_t)c;
        least = n < least ? n : least;
    }
    return least;
}

int learner_rule_apply(const struct learner *l, const struct episode *ep,
                       const float *zs, const float *zq, size_t dim,
                       int32_t *pred)
{
    float *ns = NULL, *nq = NULL;
    int rc;

    if (strcmp(l->arch.rule, "logreg_xz") == 0)
        return rule_logreg_xz(ep, zs, zq, dim, 0, pred, NULL);
    if (strcmp(l->arch.rule, "logreg_xz_st") == 0)
        return rule_logreg_xz(ep, zs, zq, dim, 1, pred, NULL);
    if (strcmp(l->arch.rule, "ens") == 0)
        return rule_ens(ep, zs, zq, dim, 0, pred);
    if (strcmp(l->arch.rule, "ens_st") == 0)
        return rule_ens(ep, zs, zq, dim, 1, pred);
    if (strcmp(l->arch.rule, "auto") == 0)
        return min_class_support(ep) < 2 ?
            rule_ens(ep, zs, zq, dim, 1, pred) :
            rule_logreg_xz(ep, zs, zq, dim, 1, pred, NULL);
    if (!l->arch.cosine)
        return rule_on_z(l->arch.rule, ep, zs, zq, dim, pred);
    ns = malloc(ep->n_support * dim * sizeof(float));
    nq = malloc((ep->n_query ? ep->n_query : 1) * dim * sizeof(float));
    if (!ns || !nq) {
        free(ns);
        free(nq);
        return err_set(ERR_NOMEM, "rule: out of memory");
    }
    memcpy(ns, zs, ep->n_support * dim * sizeof(float));
    memcpy(nq, zq, ep->n_query * dim * sizeof(float));
    normalize_rows(ns, ep->n_support, dim);
    normalize_rows(nq, ep->n_query, dim);
    rc = rule_on_z(l->arch.rule, ep, ns, nq, dim, pred);
    free(ns);
    free(nq);
    return rc;
}
