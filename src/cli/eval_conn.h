/*
 * The connection rule (conn.h) for `fewflow eval --openset`: which test
 * row continues which, read again from the data files' identity columns.
 */
#ifndef FEWFLOW_CLI_EVAL_CONN_H
#define FEWFLOW_CLI_EVAL_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/detector.h"
#include "fewflow/table.h"

struct eval_conn {
    int32_t *pred;            /* per test row, or NULL: rule inert */
    size_t *order;            /* test rows by start time */
    size_t n_linked;          /* test rows that continue another */
    size_t n_linkable;        /* test rows with addresses and a time */
};

/*
 * Links the n test rows (rows[k]: the table row of test row k) of table
 * t, loaded from paths[0..n_paths) with d's schema. Links are found over
 * all the table's rows, so a test row's predecessor is the most recent
 * earlier row of its 5-tuple; one outside the test rows breaks the
 * chain. Leaves c->pred NULL (and says why in the log) when the model
 * lacks the flag columns or the files cannot be matched row for row.
 * Returns 0 or ERR_*.
 */
int eval_conn_link(struct detector *d, const struct table *t,
                   const char *const *paths, size_t n_paths,
                   const size_t *rows, size_t n, struct eval_conn *c);

void eval_conn_fini(struct eval_conn *c);

#endif
