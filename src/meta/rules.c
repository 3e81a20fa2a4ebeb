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
 * classifier can use whichever view separates the new classes.
 */
static const char *const rule_names[] = {
    "mean", "nn", "logreg", "logreg_xz",
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
    return "mean nn logreg logreg_xz";
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

static int rule_logreg_xz(const struct episode *ep, const float *zs,
                          const float *zq, size_t dim, int32_t *pred)
{
    size_t d = ep->n_cols + dim;
    float *as = malloc(ep->n_support * d * sizeof(float));
    float *aq = malloc((ep->n_query ? ep->n_query : 1) * d * sizeof(float));
    double nz = mean_norm(zs, ep->n_support, dim);
    float c = nz > 0.0 ?
        (float)(mean_norm(ep->xs, ep->n_support, ep->n_cols) / nz) : 1.0f;
    struct logreg_opts o;
    int rc = 0;

    if (!as || !aq) {
        rc = err_set(ERR_NOMEM, "rule: out of memory");
    } else {
        concat_scaled(ep->xs, ep->n_cols, zs, dim, ep->n_support, c, as);
        concat_scaled(ep->xq, ep->n_cols, zq, dim, ep->n_query, c, aq);
        logreg_opts_default(&o);
        rc = fewshot_logreg(as, ep->ys, ep->n_support, aq, ep->n_query, d,
                            ep->way, &o, NULL, pred);
    }
    free(as);
    free(aq);
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

int learner_rule_apply(const struct learner *l, const struct episode *ep,
                       const float *zs, const float *zq, size_t dim,
                       int32_t *pred)
{
    float *ns = NULL, *nq = NULL;
    int rc;

    if (strcmp(l->arch.rule, "logreg_xz") == 0)
        return rule_logreg_xz(ep, zs, zq, dim, pred);
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
