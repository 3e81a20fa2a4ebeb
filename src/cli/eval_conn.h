/*
 * The connection rule (conn.h) for `fewflow eval --openset`: which test
 * row continues which, from the data files' identity columns, kept beside
 * the table while it loads (the data loader's record hooks), so that each
 * file is read once.
 */
#ifndef FEWFLOW_CLI_EVAL_CONN_H
#define FEWFLOW_CLI_EVAL_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/conn.h"
#include "fewflow/data.h"
#include "fewflow/detector.h"
#include "fewflow/table.h"

struct eval_conn {
    int32_t *pred;            /* per test row, or NULL: rule inert */
    size_t *order;            /* test rows by start time */
    size_t n_linked;          /* test rows that continue another */
    size_t n_linkable;        /* test rows with addresses and a time */
};

/* Each table row's identity, collected while the table loads. */
struct eval_conn_rows {
    const struct detector *d;
    struct detector_csv_ident *ident;   /* the current file's columns */
    struct conn_flow *f;      /* per table row: identity until linked */
    size_t n, cap;
    int failed;               /* a row's identity could not be read */
    char why[320];            /* the first such row, for the warning */
};

/* Sets opt's record hooks so that loading with opt fills r. */
void eval_conn_rows_hook(struct eval_conn_rows *r, const struct detector *d,
                         struct data_options *opt);
void eval_conn_rows_fini(struct eval_conn_rows *r);

/*
 * Links the n test rows (rows[k]: the table row of test row k) of table
 * t, whose identities r collected as it loaded. Links are found over all
 * the table's rows, so a test row's predecessor is the most recent
 * earlier row of its 5-tuple; one outside the test rows breaks the
 * chain. Leaves c->pred NULL (and says why in the log) when the model
 * lacks the flag columns or a row's identity could not be read. Returns
 * 0 or ERR_*.
 */
int eval_conn_link(struct detector *d, const struct table *t,
                   struct eval_conn_rows *r, const size_t *rows, size_t n,
                   struct eval_conn *c);

void eval_conn_fini(struct eval_conn *c);

#endif
