#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/normalizer.h"
#include "fewflow/support.h"
#include "fewflow/rng.h"

int detector_is_benign_name(const char *name)
{
    return strcasecmp(name, "benign") == 0 ||
           strcasecmp(name, "normal") == 0 ||
           strncasecmp(name, "benign", 6) == 0;
}

void detector_split_fini(struct detector_split *s)
{
    free(s->fit);
    free(s->calib);
    free(s->test);
    memset(s, 0, sizeof(*s));
}

/* Deals one class's shuffled rows out to the three lists. */
static void deal(const int *rows, size_t n, double f_fit, double f_calib,
                 int want_test, struct detector_split *o)
{
    size_t nf = (size_t)(f_fit * (double)n + 0.5);
    size_t nc = (size_t)(f_calib * (double)n + 0.5);
    nf = nf == 0 && n > 0 ? 1 : nf > n ? n : nf;
    nc = nc == 0 && n > nf ? 1 : nc > n - nf ? n - nf : nc;
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)rows[i];
        if (i < nf)
            o->fit[o->n_fit++] = r;
        else if (i < nf + nc || !want_test)
            o->calib[o->n_calib++] = r;
        else
            o->test[o->n_test++] = r;
    }
}

int detector_split_rows(const struct table *t, const char *const *keep,
                        size_t n_keep, double f_fit, double f_calib,
                        int want_test, uint64_t seed,
                        struct detector_split *out)
{
    size_t n = t->n_rows + 1;
    int *rows = malloc(n * sizeof(int));

    memset(out, 0, sizeof(*out));
    out->fit = malloc(n * sizeof(size_t));
    out->calib = malloc(n * sizeof(size_t));
    out->test = malloc(n * sizeof(size_t));
    if (rows == NULL || !out->fit || !out->calib || !out->test) {
        free(rows);
        detector_split_fini(out);
        return err_set(ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < n_keep; k++) {
        int32_t id = table_class_id(t, keep[k]);
        size_t m = 0;
        for (size_t i = 0; id >= 0 && i < t->n_rows; i++) {
            if (t->y[i] == id)
                rows[m++] = (int)i;
        }
        struct rng g;
        rng_seed(&g, seed * 7919u + k);
        rng_shuffle_int(&g, rows, m);
        deal(rows, m, f_fit, f_calib, want_test, out);
    }
    free(rows);
    return 0;
}

int detector_split_rows_held(const struct table *t, const char *const *keep,
                             size_t n_keep, const uint8_t *held,
                             double f_fit, uint64_t seed,
                             struct detector_split *out)
{
    int rc = detector_split_rows(t, keep, n_keep, f_fit, 1.0 - f_fit, 0,
                                 seed, out);
    size_t nf = 0, nc = 0;
    /* Held rows leave the fit and calibration lists for the test list;
     * the shuffled order of the rest is kept. */
    for (size_t i = 0; rc == 0 && i < out->n_fit; i++) {
        if (held[out->fit[i]])
            out->test[out->n_test++] = out->fit[i];
        else
            out->fit[nf++] = out->fit[i];
    }
    for (size_t i = 0; rc == 0 && i < out->n_calib; i++) {
        if (held[out->calib[i]])
            out->test[out->n_test++] = out->calib[i];
        else
            out->calib[nc++] = out->calib[i];
    }
    if (rc == 0) {
        out->n_fit = nf;
        out->n_calib = nc;
    }
    return rc;
}

struct embedded {
    float *x;         /* n × n_in, normalised */
    float *z;         /* n × z_dim, the encoder's (NULL in space x) */
    float *v;         /* n × the memory's width, made by to_space */
    int32_t *y;       /* index into keep[] */
    size_t n;
};

static void embedded_fini(struct embedded *e)
{
    free(e->x);
    free(e->z);
    free(e->v);
    free(e->y);
}

/* Normalised inputs, and the encoder's embeddings when the space has
 * them (whatever space the detector's present memory is in). */
static int embed_rows(struct detector *d, const struct table *t,
                      const size_t *idx, size_t n, const int32_t *to_keep,
                      enum memo_space space, struct embedded *e)
{
    int with_z = space != MEMO_SPACE_X;
    e->n = n;
    e->x = malloc((n * d->n_in + 1) * sizeof(float));
    e->z = with_z ? malloc((n * d->z_dim + 1) * sizeof(float)) : NULL;
    e->y = malloc((n + 1) * sizeof(int32_t));
    if (!e->x || (with_z && !e->z) || !e->y)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        memcpy(e->x + i * d->n_in, table_row(t, idx[i]),
               d->n_in * sizeof(float));
        e->y[i] = to_keep[t->y[idx[i]]];
    }
    normalizer_apply(d->norm, e->x, n);
    return n && with_z ? learner_embed(d->learner, e->x, n, e->z) : 0;
}

/* The memory's vectors of e's rows (e->z itself in space z). */
static int to_space(const struct memo *m, struct embedded *e)
{
    if (m->space == MEMO_SPACE_Z) {
        e->v = e->z;
        e->z = NULL;
        return 0;
    }
    e->v = malloc((e->n * m->dim + 1) * sizeof(float));
    if (e->v == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    memo_space_map(m, e->x, e->z, e->n, e->v);
    return 0;
}

/* An empty memory of space s; in space xz its input weight comes from
 * the calibration rows c. */
static struct memo *space_memo(const struct detector *d, enum memo_space s,
                               const struct embedded *c)
{
    uint32_t n_in = (uint32_t)d->n_in, zd = (uint32_t)d->z_dim;
    uint32_t dim = memo_space_dim(s, n_in, zd);
    struct memo *m = dim ? memo_create(dim, n_in) : NULL;
    float a = s == MEMO_SPACE_XZ
              ? memo_space_scale(c->x, n_in, c->z, zd, c->n) : 1;
    if (dim == 0)
        err_set(ERR_INVALID, "class memory: no space %d", (int)s);
    if (m != NULL && memo_space_set(m, s, a, zd) != 0) {
        memo_destroy(m);
        m = NULL;
    }
    return m;
}

/* Table class id → index into keep[], or -1. */
static int32_t *keep_map(const struct table *t, const char *const *keep,
                         size_t n_keep)
{
    int32_t *map = malloc((t->n_classes + 1) * sizeof(int32_t));
    for (size_t c = 0; map != NULL && c < t->n_classes; c++) {
        map[c] = -1;
        for (size_t k = 0; k < n_keep; k++) {
            if (strcmp(t->class_names[c], keep[k]) == 0)
                map[c] = (int32_t)k;
        }
    }
    return map;
}

/* Counts the flow kinds of the rows behind the memory (support.h). */
static int fit_support(struct detector *d, const struct table *t,
                       const size_t *idx, size_t n, const int32_t *map)
{
    if (!support_columns_present(d->col_names, d->n_in))
        return 0;
    if (d->support == NULL)
        d->support = support_create(d->col_names, d->n_in);
    if (d->support == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int32_t y = t->y[idx[i]];
        if (y < 0 || map[y] < 0)
            continue;
        int rc = support_add(d->support, t->class_names[y],
                             table_row(t, idx[i]));
        if (rc != 0)
            return rc;
    }
    return 0;
}

int detector_fit_memo(struct detector *d, const struct table *t,
                      const size_t *fit, size_t n_fit, const size_t *calib,
                      size_t n_calib, const char *const *keep, size_t n_keep,
                      const struct memo_fit_opts *o)
{
    struct embedded ef = { 0 }, ec = { 0 };
    int32_t *map = keep_map(t, keep, n_keep);
    int *benign = calloc(n_keep + 1, sizeof(int));
    struct memo *m = NULL;
    int rc = map && benign ? 0 : ERR_NOMEM;

    for (size_t k = 0; k < n_keep && benign; k++)
        benign[k] = detector_is_benign_name(keep[k]);
    support_destroy(d->support);
    d->support = NULL;
    if (rc == 0)
        rc = fit_support(d, t, fit, n_fit, map);
    if (rc == 0)
        rc = fit_support(d, t, calib, n_calib, map);
    if (rc == 0)
        rc = embed_rows(d, t, fit, n_fit, map, o->space, &ef);
    if (rc == 0)
        rc = embed_rows(d, t, calib, n_calib, map, o->space, &ec);
    if (rc == 0 && (m = space_memo(d, o->space, &ec)) == NULL)
        rc = err_last();
    if (rc == 0 && (rc = to_space(m, &ef)) == 0)
        rc = to_space(m, &ec);
    struct memo_labelled lf = { ef.v, ef.y, ef.n }, lc = { ec.v, ec.y, ec.n };
    if (rc == 0)
        rc = memo_fit(m, keep, n_keep, benign, &lf, &lc, ef.x, o);
    if (rc == 0) {
        memo_destroy(d->memo);
        d->memo = m;
        d->dim = m->dim;
        d->enc.dim = m->dim;
        m = NULL;
    }
    if (rc == ERR_NOMEM)
        err_set(rc, "class memory: out of memory");
    memo_destroy(m);
    embedded_fini(&ef);
    embedded_fini(&ec);
    free(map);
    free(benign);
    return rc;
}
