/*
 * Checks around `fewflow eval --openset` (fifth QA pass): what the report
 * and the -o output leave out, said rather than left to be found.
 */
#ifndef FEWFLOW_CLI_EVAL_OPENSET_CHECKS_H
#define FEWFLOW_CLI_EVAL_OPENSET_CHECKS_H

#include <stddef.h>

#include "fewflow/data.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"

/* Warns for each class and K whose cell is empty (K rows or fewer). */
void openset_warn_too_small(const struct table *t,
                            const struct openset_report *r);

/* The names of m's enrolled classes, quoted and comma-separated into
 * names; returns how many there are. m may be NULL. */
size_t openset_enrolled_names(const struct memo *m, char *names, size_t len);

/* Warns for each of the model's test classes missing from t; ERR_NOTFOUND
 * when none is there. */
int openset_check_test_classes(const struct detector *d,
                               const struct table *t);

#endif
