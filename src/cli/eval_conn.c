#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/eval_conn.h"
#include "fewflow/conn.h"
#include "fewflow/csv.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

static int on_header(void *ctx, const struct csv_record *header,
                     const char *file)
{
    struct eval_conn_rows *r = ctx;
    detector_csv_ident_destroy(r->ident);
    r->ident = NULL;
    if (header == NULL) {
        if (!r->failed)
            snprintf(r->why, sizeof(r->why), "%s has no header: its rows "
                     "have no addresses", file);
        r->failed = 1;
        return 0;
    }
    r->ident = detector_csv_ident_create(r->d, header);
    return r->ident != NULL ? 0 : err_last();
}

static int grow(struct eval_conn_rows *r, size_t row)
{
    if (row < r->cap)
        return 0;
    size_t cap = r->cap ? 2 * r->cap : 4096;
    while (cap <= row)
        cap *= 2;
    struct conn_flow *f = realloc(r->f, cap * sizeof(*f));
    if (f == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    r->f = f;
    r->cap = cap;
    return 0;
}

/* Keeps the record's identity in the row's conn_flow; the flags and the
 * end come from the table row once it is built. */
static int on_row(void *ctx, size_t row, const struct csv_record *rec,
                  const char *file)
{
    struct eval_conn_rows *r = ctx;
    struct alert_flow id;
    int rc = grow(r, row);
    if (rc != 0)
        return rc;
    memset(&id, 0, sizeof(id));
    /* A row detect could not read (a port that is no port, say) costs
     * the rule, not the evaluation. */
    if (r->ident != NULL && !r->failed &&
        detector_csv_ident_read(r->ident, rec, &id) != 0) {
        snprintf(r->why, sizeof(r->why), "%s:%zu: %s", file, rec->line,
                 err_msg());
        r->failed = 1;
    }
    struct conn_flow *f = &r->f[row];
    memset(f, 0, sizeof(*f));
    memcpy(f->src_ip, id.src_ip, sizeof(f->src_ip));
    memcpy(f->dest_ip, id.dest_ip, sizeof(f->dest_ip));
    f->src_port = id.src_port;
    f->dest_port = id.dest_port;
    f->proto = id.proto;
    f->start_s = id.first_s;
    r->n = row + 1 > r->n ? row + 1 : r->n;
    return 0;
}

void eval_conn_rows_hook(struct eval_conn_rows *r, const struct detector *d,
                         struct data_options *opt)
{
    memset(r, 0, sizeof(*r));
    r->d = d;
    opt->on_header = on_header;
    opt->on_row = on_row;
    opt->records_ctx = r;
}

void eval_conn_rows_fini(struct eval_conn_rows *r)
{
    detector_csv_ident_destroy(r->ident);
    free(r->f);
    memset(r, 0, sizeof(*r));
}

/* The rule's view of every row: the kept identity and the table row's
 * flags and duration (CSV rows have one time: first = last). */
static void make_flows(const struct conn_cols *cols, const struct table *t,
                       struct conn_flow *f)
{
    struct alert_flow id;
    for (size_t i = 0; i < t->n_rows; i++) {
        memset(&id, 0, sizeof(id));
        memcpy(id.src_ip, f[i].src_ip, sizeof(id.src_ip));
        memcpy(id.dest_ip, f[i].dest_ip, sizeof(id.dest_ip));
        id.src_port = f[i].src_port;
        id.dest_port = f[i].dest_port;
        id.proto = f[i].proto;
        id.first_s = id.last_s = f[i].start_s;
        conn_flow_make(cols, table_row(t, i), &id, &f[i]);
    }
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

static int link_rows(const struct eval_conn_rows *r, const struct table *t,
                     const size_t *rows, size_t n, struct eval_conn *c)
{
    size_t nr = t->n_rows;
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
                   struct eval_conn_rows *r, const size_t *rows, size_t n,
                   struct eval_conn *c)
{
    struct conn_cols cols;
    memset(c, 0, sizeof(*c));
    if (!conn_cols_find(&cols, d->col_names, d->n_in)) {
        log_info("eval", "connection rule off: the model has no SYN, FIN "
                 "and RST flag columns");
        return 0;
    }
    if (r->failed) {
        log_warn("eval", "connection rule off: %s", r->why);
        return 0;
    }
    if (r->n != t->n_rows || r->f == NULL) {
        log_warn("eval", "connection rule off: the data gave %zu rows "
                 "with addresses for %zu table rows", r->n, t->n_rows);
        return 0;
    }
    make_flows(&cols, t, r->f);
    return link_rows(r, t, rows, n, c);
}

void eval_conn_fini(struct eval_conn *c)
{
    free(c->pred);
    free(c->order);
    memset(c, 0, sizeof(*c));
}
