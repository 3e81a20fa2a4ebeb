#include <stdlib.h>
#include <string.h>

#include "cli/eval_conn.h"
#include "fewflow/conn.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

/* The identity of every table row, in the order the loader read them. */
struct reread {
    const struct table *t;
    struct conn_cols cols;
    struct conn_flow *f;
    size_t n;
    size_t mismatch;          /* rows whose label is not the table's */
};

static int on_row(const struct detector_flow *fl, void *user)
{
    struct reread *r = user;
    if (fl == NULL)
        return 0;
    if (r->n == r->t->n_rows)
        return ERR_RANGE;
    int32_t y = r->t->y[r->n];
    const char *want = y >= 0 ? r->t->class_names[y] : NULL;
    if ((want == NULL) != (fl->label == NULL) ||
        (want != NULL && strcmp(want, fl->label) != 0))
        r->mismatch++;
    conn_flow_make(&r->cols, fl->x, &fl->id, &r->f[r->n++]);
    return 0;
}

static int reread_rows(struct detector *d, const char *const *paths,
                       size_t n_paths, struct reread *r)
{
    struct detector_input in;
    struct detector_input_stats st;
    memset(&in, 0, sizeof(in));
    in.csvs = paths;
    in.n_csvs = n_paths;
    r->f = calloc(r->t->n_rows + 1, sizeof(*r->f));
    if (r->f == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    int rc = detector_read_flows(d, &in, on_row, r, &st);
    if (rc == ERR_RANGE || (rc == 0 && r->n != r->t->n_rows))
        r->mismatch++;
    return rc == ERR_RANGE ? 0 : rc;
}

/* Table-row links restricted to the test rows. */
static int to_test_rows(const int32_t *tpred, const size_t *torder,
                        size_t n_rows, const size_t *rows, size_t n,
                        struct eval_conn *c)
{
    int32_t *at = malloc((n_rows + 1) * sizeof(int32_t));
    c->pred = malloc((n + 1) * sizeof(int32_t));
    c->order = malloc((n + 1) * sizeof(size_t));
    if (at == NULL || c->pred == NULL || c->order == NULL) {
        free(at);
        return err_set(ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_rows; i++)
        at[i] = -1;
    for (size_t k = 0; k < n; k++)
        at[rows[k]] = (int32_t)k;
    for (size_t k = 0; k < n; k++) {
        int32_t p = tpred[rows[k]];
        c->pred[k] = p >= 0 ? at[p] : -1;
        c->n_linked += c->pred[k] >= 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < n_rows; i++) {
        if (at[torder[i]] >= 0)
            c->order[m++] = (size_t)at[torder[i]];
    }
    free(at);
    return 0;
}

static int link_rows(const struct reread *r, const size_t *rows, size_t n,
                     struct eval_conn *c)
{
    size_t nr = r->t->n_rows;
    int32_t *tpred = malloc((nr + 1) * sizeof(int32_t));
    size_t *torder = malloc((nr + 1) * sizeof(size_t));
    long links = tpred && torder
                     ? conn_link(r->f, nr, CONN_TIMEOUT_DEFAULT, tpred, torder)
                     : ERR_NOMEM;
    int rc = links < 0 ? err_set(ERR_NOMEM, "out of memory")
                       : to_test_rows(tpred, torder, nr, rows, n, c);
    for (size_t k = 0; rc == 0 && k < n; k++)
        c->n_linkable += r->f[rows[k]].linkable;
    free(tpred);
    free(torder);
    return rc;
}

int eval_conn_link(struct detector *d, const struct table *t,
                   const char *const *paths, size_t n_paths,
                   const size_t *rows, size_t n, struct eval_conn *c)
{
    struct reread r = { t, { 0 }, NULL, 0, 0 };
    memset(c, 0, sizeof(*c));
    if (!conn_cols_find(&r.cols, d->col_names, d->n_in)) {
        log_info("eval", "connection rule off: the model has no SYN, FIN "
                 "and RST flag columns");
        return 0;
    }
    int rc = reread_rows(d, paths, n_paths, &r);
    if (rc == 0 && r.mismatch > 0)
        log_warn("eval", "connection rule off: the data files did not read "
                 "the same rows again (%zu rows differ)", r.mismatch);
    else if (rc == 0)
        rc = link_rows(&r, rows, n, c);
    free(r.f);
    return rc;
}

void eval_conn_fini(struct eval_conn *c)
{
    free(c->pred);
    free(c->order);
    memset(c, 0, sizeof(*c));
}
