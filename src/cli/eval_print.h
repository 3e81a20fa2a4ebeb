/* Results of `fewflow eval` as text or one JSON object. */
#ifndef FEWFLOW_CLI_EVAL_PRINT_H
#define FEWFLOW_CLI_EVAL_PRINT_H

#include "cli/meta_setup.h"
#include "fewflow/episode.h"
#include "fewflow/learner.h"
#include "fewflow/metatrain.h"
#include "fewflow/model.h"

struct eval_args {
    const char *model;
    struct meta_files files;
    struct meta_eval_opts o;
    const char *rule;
    int json;
    int way_set;                  /* --way given (else 5, or fewer) */
};

struct eval_run {
    struct model *m;
    struct table *all;
    struct table *test;
    struct episode_sampler sampler;
    int has_sampler;
    struct learner *l;
    struct meta_eval_result res;
    int has_res;
};

int eval_print_text(const struct eval_args *a, const struct eval_run *r);
int eval_print_json(const struct eval_args *a, const struct eval_run *r);

#endif
