/*
 * Writing flow records as CSV rows or JSON lines (the flows command and
 * anything else in the CLI that prints flows). Numbers are written so
 * that a float reads back bit for bit: integers plainly, others with nine
 * significant digits. Not thread-safe (one FILE per writer).
 */
#ifndef FEWFLOW_CLI_FLOWS_OUT_H
#define FEWFLOW_CLI_FLOWS_OUT_H

#include <stdio.h>

#include "fewflow/flow.h"

/* The CSV header line: identity columns, features, then "label" when
 * with_label. */
void flows_out_csv_header(FILE *f, int with_label);

/* One flow; label may be NULL. Returns 0 or ERR_IO on a write error. */
int flows_out_csv_row(FILE *f, const struct flow_record *r,
                      const char *label);
int flows_out_json(FILE *f, const struct flow_record *r, const char *label);

#endif
