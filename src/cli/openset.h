/*
 * The class memory from the command line: `fewflow eval --openset` and
 * the step after training that gives a new model its class memory.
 */
#ifndef FEWFLOW_CLI_OPENSET_H
#define FEWFLOW_CLI_OPENSET_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/detect.h"

struct openset_memory_opts {
    struct memo_fit_opts fit;
    double fit_fraction;      /* of each known class's rows: prototypes */
};

void openset_memory_opts_default(struct openset_memory_opts *o);

/*
 * Gives the model at path a class memory: reads data_paths with the
 * model's schema, keeps the model's training (and validation) classes,
 * splits each class into prototype and calibration rows, fits, and writes
 * the model back atomically. Returns 0 or ERR_* (err_msg() set).
 */
int openset_attach_memory(const char *path, const char *const *data_paths,
                          size_t n_paths,
                          const struct openset_memory_opts *o);

/* Parses an enrolment radius rule name (kshot, rel, geo, prior) for
 * command cmd; 0 or a usage error (2). */
int cli_radius_rule(const char *cmd, const char *v,
                    enum memo_radius_rule *out);

const char *cli_radius_rule_name(enum memo_radius_rule r);

#endif
