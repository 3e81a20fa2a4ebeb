#include <stdlib.h>
#include <string.h>

#include "fewflow/episode.h"
#include "fewflow/err.h"

static int sampler_index_class(struct episode_sampler *s, size_t c,
                               size_t min_rows)
{
    const struct table *t = s->t;
    size_t n = 0;

    for (size_t i = 0; i < t->n_rows; i++)
        n += t->y[i] == s->class_ids[c];
    if (n < min_rows)
        return err_set(ERR_RANGE, "class '%s' has %zu rows, %zu needed",
                       t->class_names[s->class_ids[c]], n, min_rows);
    s->rows[c] = malloc((n ? n : 1) * sizeof(size_t));
    if (!s->rows[c])
        return err_set(ERR_NOMEM, "episode sampler: out of memory");
    s->counts[c] = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->y[i] == s->class_ids[c])
            s->rows[c][s->counts[c]++] = i;
    }
    if (n > s->max_count)
        s->max_count = n;
    return 0;
}

int episode_sampler_init(struct episode_sampler *s, const struct table *t,
                         const int32_t *classes, size_t n, size_t min_rows)
{
    int rc = 0;

    memset(s, 0, sizeof(*s));
    s->t = t;
    for (size_t c = 0; c < n; c++) {
        if (classes[c] < 0 || (size_t)classes[c] >= t->n_classes)
            return err_set(ERR_INVALID, "episode sampler: class id %d "
                           "out of range", (int)classes[c]);
    }
    s->class_ids = malloc((n ? n : 1) * sizeof(int32_t));
    s->rows = calloc(n ? n : 1, sizeof(size_t *));
    s->counts = calloc(n ? n : 1, sizeof(size_t));
    if (!s->class_ids || !s->rows || !s->counts) {
        episode_sampler_fini(s);
        return err_set(ERR_NOMEM, "episode sampler: out of memory");
    }
    memcpy(s->class_ids, classes, n * sizeof(int32_t));
    s->n_classes = n;
    for (size_t c = 0; c < n && rc == 0; c++)
        rc = sampler_index_class(s, c, min_rows);
    if (rc == 0) {
        s->scratch = malloc((s->max_count ? s->max_count : 1) *
                            sizeof(size_t));
        if (!s->scratch)
            rc = err_set(ERR_NOMEM, "episode sampler: out of memory");
    }
    if (rc != 0)
        episode_sampler_fini(s);
    return rc;
}

void episode_sampler_fini(struct episode_sampler *s)
{
    if (s->rows) {
        for (size_t c = 0; c < s->n_classes; c++)
            free(s->rows[c]);
    }
    free(s->rows);
    free(s->counts);
    free(s->class_ids);
    free(s->scratch);
    memset(s, 0, sizeof(*s));
}

size_t episode_sampler_count(const struct episode_sampler *s, size_t c)
{
    return c < s->n_classes ? s->counts[c] : 0;
}

void episode_init(struct episode *ep)
{
    memset(ep, 0, sizeof(*ep));
}

void episode_fini(struct episode *ep)
{
    free(ep->classes);
    free(ep->xs);
    free(ep->ys);
    free(ep->support_rows);
    free(ep->xq);
    free(ep->yq);
    free(ep->query_rows);
    memset(ep, 0, sizeof(*ep));
}

/* Grows the episode's buffers; contents need not survive. */
static int episode_reserve(struct episode *ep, size_t way, size_t n_sup,
                           size_t n_qry, size_t n_cols)
{
    if (way > ep->cap_way || !ep->classes) {
        free(ep->classes);
        ep->classes = malloc((way ? way : 1) * sizeof(int32_t));
        ep->cap_way = way;
    }
    if (n_sup > ep->cap_support || n_cols != ep->n_cols || !ep->xs) {
        free(ep->xs);
        free(ep->ys);
        free(ep->support_rows);
        ep->xs = malloc((n_sup ? n_sup : 1) * (n_cols ? n_cols : 1) *
                        sizeof(float));
        ep->ys = malloc((n_sup ? n_sup : 1) * sizeof(int32_t));
        ep->support_rows = malloc((n_sup ? n_sup : 1) * sizeof(size_t));
        ep->cap_support = n_sup;
    }
    if (n_qry > ep->cap_query || n_cols != ep->n_cols || !ep->xq) {
        free(ep->xq);
        free(ep->yq);
        free(ep->query_rows);
        ep->xq = malloc((n_qry ? n_qry : 1) * (n_cols ? n_cols : 1) *
                        sizeof(float));
        ep->yq = malloc((n_qry ? n_qry : 1) * sizeof(int32_t));
        ep->query_rows = malloc((n_qry ? n_qry : 1) * sizeof(size_t));
        ep->cap_query = n_qry;
    }
    ep->n_cols = n_cols;
    if (!ep->classes || !ep->xs || !ep->ys || !ep->support_rows ||
        !ep->xq || !ep->yq || !ep->query_rows) {
        episode_fini(ep);
        return err_set(ERR_NOMEM, "episode: out of memory");
    }
    return 0;
}

/* Picks k distinct values of [0, n) into out with a partial Fisher-Yates
 * over scratch (which must hold n). */
static void pick_distinct(struct rng *rng, size_t *scratch, size_t n,
                          size_t k, const size_t *values, size_t *out)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = values ? values[i] : i;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)rng_below(rng, n - i);
        size_t tmp = scratch[i];

        scratch[i] = scratch[j];
        scratch[j] = tmp;
        out[i] = scratch[i];
    }
}

static void copy_row(const struct table *t, size_t row, float *dst)
{
    memcpy(dst, table_row(t, row), t->n_cols * sizeof(float));
}

static int episode_check(const struct episode_sampler *s, size_t way,
                         size_t shot, size_t query)
{
    if (way < 2 || way > s->n_classes)
        return err_set(ERR_INVALID, "episode: way %zu needs 2..%zu classes",
                       way, s->n_classes);
    if (shot < 1 || query < 1)
        return err_set(ERR_INVALID, "episode: shot and query must be >= 1");
    for (size_t c = 0; c < s->n_classes; c++) {
        if (s->counts[c] < shot + 1)
            return err_set(ERR_INVALID, "episode: class '%s' has %zu rows, "
                           "%zu-shot needs %zu",
                           s->t->class_names[s->class_ids[c]], s->counts[c],
                           shot, shot + 1);
    }
    return 0;
}

/* Draws class c's support and queries into the episode. */
static void episode_fill_class(const struct episode_sampler *s,
                               struct episode *ep, size_t c, size_t j,
                               struct rng *rng)
{
    size_t n_take = ep->shot + ep->query;
    size_t *sel = s->scratch;

    if (n_take > s->counts[c])
        n_take = s->counts[c];
    /* The first n_take entries of the permuted scratch are the picks. */
    pick_distinct(rng, sel, s->counts[c], n_take, s->rows[c], sel);
    for (size_t i = 0; i < ep->shot; i++) {
        size_t k = ep->n_support++;

        ep->support_rows[k] = sel[i];
        ep->ys[k] = (int32_t)j;
        copy_row(s->t, sel[i], ep->xs + k * ep->n_cols);
    }
    for (size_t i = ep->shot; i < n_take; i++) {
        size_t k = ep->n_query++;

        ep->query_rows[k] = sel[i];
        ep->yq[k] = (int32_t)j;
        copy_row(s->t, sel[i], ep->xq + k * ep->n_cols);
    }
    if (n_take < ep->shot + ep->query)
        ep->n_short_classes++;
}

int episode_sample(const struct episode_sampler *s, size_t way, size_t shot,
                   size_t query, struct rng *rng, struct episode *ep)
{
    size_t picked[64];
    size_t *cls = way <= 64 ? picked : malloc(way * sizeof(size_t));
    int rc = episode_check(s, way, shot, query);

    if (!cls)
        return err_set(ERR_NOMEM, "episode: out of memory");
    if (rc == 0)
        rc = episode_reserve(ep, way, way * shot, way * query, s->t->n_cols);
    if (rc == 0) {
        size_t tmp[64];
        size_t *scr = s->n_classes <= 64 ? tmp :
            malloc(s->n_classes * sizeof(size_t));

        if (!scr) {
            rc = err_set(ERR_NOMEM, "episode: out of memory");
        } else {
            pick_distinct(rng, scr, s->n_classes, way, NULL, cls);
            if (scr != tmp)
                free(scr);
        }
    }
    if (rc == 0) {
        ep->way = way;
        ep->shot = shot;
        ep->query = query;
        ep->n_support = ep->n_query = ep->n_short_classes = 0;
        for (size_t j = 0; j < way; j++) {
            ep->classes[j] = s->class_ids[cls[j]];
            episode_fill_class(s, ep, cls[j], j, rng);
        }
    }
    if (cls != picked)
        free(cls);
    return rc;
}

int episode_from_rows(struct episode *ep, const struct table *t, size_t way,
                      const size_t *sup, const int32_t *ysup, size_t n_sup,
                      const size_t *qry, const int32_t *yqry, size_t n_qry)
{
    int rc = episode_reserve(ep, way, n_sup, n_qry, t->n_cols);

    if (rc != 0)
        return rc;
    ep->way = way;
    ep->shot = way ? n_sup / way : 0;
    ep->query = way ? n_qry / way : 0;
    ep->n_support = n_sup;
    ep->n_query = n_qry;
    ep->n_short_classes = 0;
    for (size_t j = 0; j < way; j++)
        ep->classes[j] = (int32_t)j;
    for (size_t i = 0; i < n_sup; i++) {
        if (sup[i] >= t->n_rows || ysup[i] < 0 || (size_t)ysup[i] >= way)
            return err_set(ERR_INVALID, "episode: support row %zu invalid", i);
        ep->support_rows[i] = sup[i];
        ep->ys[i] = ysup[i];
        copy_row(t, sup[i], ep->xs + i * t->n_cols);
    }
    for (size_t i = 0; i < n_qry; i++) {
        if (qry[i] >= t->n_rows || yqry[i] < 0 || (size_t)yqry[i] >= way)
            return err_set(ERR_INVALID, "episode: query row %zu invalid", i);
        ep->query_rows[i] = qry[i];
        ep->yq[i] = yqry[i];
        copy_row(t, qry[i], ep->xq + i * t->n_cols);
    }
    return 0;
}
