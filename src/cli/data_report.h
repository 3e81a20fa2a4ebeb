/*
 * The report of `fewflow data inspect`, as text or one JSON object.
 */
#ifndef FEWFLOW_CLI_DATA_REPORT_H
#define FEWFLOW_CLI_DATA_REPORT_H

#include <stdio.h>

#include "fewflow/data.h"

/* Loads the files and prints the report to stdout; returns the exit
 * status (0, 1 out of memory, 2 bad input with the error on stderr). */
int data_report_run(const char *const *paths, size_t n,
                    const struct data_options *opt, int json);

/* Writes s as a JSON string literal; bytes that are not valid UTF-8 become
 * U+FFFD so the output always parses. */
void data_report_json_str(FILE *out, const char *s);

#endif
