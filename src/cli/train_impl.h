/*
 * The state of one `fewflow train` run, shared by cmd_train.c (options,
 * training, the model file) and train_auto.c (--init-scale auto).
 */
#ifndef FEWFLOW_CLI_TRAIN_IMPL_H
#define FEWFLOW_CLI_TRAIN_IMPL_H

#include <stddef.h>

#include "cli/meta_setup.h"
#include "fewflow/detect.h"
#include "fewflow/learner.h"
#include "fewflow/metatrain.h"
#include "fewflow/model.h"

struct train_args {
    struct meta_files files;
    const char *protocol;
    const char *method;
    const char *rule;
    const char *out;
    const char *data_dir;
    struct learner_opts opts;
    struct model_arch arch;
    const char *hidden;
    int no_val;
    int init_auto;            /* --init-scale auto */
    int init_given;           /* --init-scale named: record it */
    size_t subclasses;
    float benign_fpr;         /* for the class memory (detect module) */
    enum memo_space memory_space;   /* where that memory lives */
};

struct train_run {
    struct schema *schema;
    struct table *all;
    struct meta_split split;
    struct episode_sampler train_s, val_s;
    int has_val;
    struct learner *l;
    struct meta_train_result res;
    double wall_s;            /* training with validation */
    struct meta_candidate cands[2];   /* --init-scale auto */
    size_t chosen;
    int val_classes;          /* the protocol names validation classes */
};
/* The candidates of --init-scale auto, in the order they are tried. */
extern const char *const train_init_names[2];

/* --init-scale auto (train_auto.c): 0 with r->l set, or with r->l NULL
 * and the chosen scale in a->opts when the final model is still to train. */
int train_fit_auto(struct train_args *a, struct train_run *r,
                   const struct learner_ops *ops,
                   const struct learner_data *data);

#endif
