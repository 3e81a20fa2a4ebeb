/*
 * fewflow eval: few-shot evaluation of a model on its meta-test classes,
 * with 1-NN and logistic-regression baselines on the same episodes.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/eval_openset.h"
#include "cli/eval_print.h"
#include "cli/meta_setup.h"
#include "fewflow/data.h"
#include "fewflow/embedder.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: fewflow eval --model MODEL [--data FILE...] [options]\n"
        "Few-shot accuracy on the model's meta-test classes.\n\n"
        "  --data FILE...    data files (default: those the model was "
        "trained from)\n"
        "  --way N --shot K --query Q   episode shape (5, 5, 15)\n"
        "  --episodes E      test episodes (1000)\n"
        "  --seed S          episode seed (1)\n"
        "  --baselines       also 1-NN and logistic regression on the raw\n"
        "                    normalised features, on the same episodes\n"
        "  --rule R          override the model's decision rule\n"
        "  --json            one JSON object on stdout\n"
        "  --openset         open-set evaluation; its options:\n"
        "                    fewflow eval --openset --help\n");
}

static const struct option eval_opts[] = {
    { "model", required_argument, NULL, 'm' },
    { "data", required_argument, NULL, 'd' },
    { "way", required_argument, NULL, 'N' },
    { "shot", required_argument, NULL, 'K' },
    { "query", required_argument, NULL, 'Q' },
    { "episodes", required_argument, NULL, 'E' },
    { "seed", required_argument, NULL, 'S' },
    { "baselines", no_argument, NULL, 'b' },
    { "rule", required_argument, NULL, 'r' },
    { "json", no_argument, NULL, 'j' },
    { "openset", no_argument, NULL, 'O' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int parse_count(const char *s, size_t *out)
{
    unsigned long long v = 0;

    if (cli_whole(s, 100000000ULL, &v) != 0)
        return cli_usage_error("eval", "'%s' is not a whole number", s);
    *out = (size_t)v;
    return 0;
}

static int parse_one(int c, int argc, char **argv, struct eval_args *a)
{
    size_t v = 0;

    switch (c) {
    case 'm': a->model = optarg; return 0;
    case 'd': return meta_files_take(&a->files, argc, argv, optarg, "eval");
    case 'b': a->o.baselines = 1; return 0;
    case 'r': a->rule = optarg; return 0;
    case 'j': a->json = 1; return 0;
    default: break;
    }
    if (parse_count(optarg, &v) != 0)
        return 2;
    switch (c) {
    case 'N': a->o.way = v; a->way_set = 1; break;
    case 'K': a->o.shot = v; break;
    case 'Q': a->o.query = v; break;
    case 'E': a->o.episodes = v; break;
    default: a->o.seed = (uint64_t)v; break;
    }
    return 0;
}

static int has_openset(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--openset") == 0)
            return 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct eval_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    a->o.way = 5;
    a->o.shot = 5;
    a->o.query = 15;
    a->o.episodes = 1000;
    a->o.seed = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", eval_opts, NULL)) != -1) {
        int rc;

        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?')
            return cli_usage_error("eval", "unknown option");
        rc = parse_one(c, argc, argv, a);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("eval", "unexpected argument '%s'",
                               argv[optind]);
    if (!a->model)
        return cli_usage_error("eval", "--model MODEL is required");
    if (a->o.way < 2 || a->o.shot < 1 || a->o.query < 1 ||
        a->o.episodes < 1)
        return cli_usage_error("eval", "way >= 2, shot, query and episodes "
                               ">= 1");
    return 0;
}

/* Without --data: the files recorded at training time. */
static int eval_files(struct eval_args *a, const struct model *m)
{
    if (a->files.n > 0)
        return 0;
    if (m->rec.n_files == 0 || m->rec.n_files > META_MAX_FILES)
        return err_set(ERR_INVALID, "%s records no data files: give --data",
                       a->model);
    for (size_t i = 0; i < m->rec.n_files; i++)
        a->files.paths[i] = m->rec.files[i].path;
    a->files.n = m->rec.n_files;
    a->files_recorded = 1;
    return 0;
}

/* The test table: model's test classes, normalised with its normaliser. */
static int eval_table(struct eval_args *a, const struct model *m,
                      struct eval_run *r)
{
    struct data_options dopt;
    struct schema *schema = NULL;
    struct normalizer *nz = NULL;
    int rc = model_get_schema(m, &schema);

    if (rc == 0)
        rc = model_get_normalizer(m, &nz);
    data_options_init(&dopt);
    if (rc == 0)
        rc = data_load_with((const char *const *)a->files.paths, a->files.n,
                            schema, &dopt, &r->all, NULL);
    /* The recorded paths are as train was given them: relative ones hold
     * only from the directory train ran in. */
    if ((rc == ERR_IO || rc == ERR_NOTFOUND) && a->files_recorded)
        rc = err_set(rc, "%s (a data file recorded in %s at training: run "
                     "from where train ran, or give the files with --data)",
                     err_msg(), a->model);
    for (size_t i = 0; rc == 0 && i < m->rec.n_test; i++) {
        if (table_class_id(r->all, m->rec.test_classes[i]) < 0)
            rc = err_set(ERR_NOTFOUND, "test class '%s' is not in the data",
                         m->rec.test_classes[i]);
    }
    if (rc == 0 && !(r->test = meta_table_classes(r->all,
                                                  m->rec.test_classes,
                                                  m->rec.n_test)))
        rc = err_last();
    if (rc == 0)
        rc = normalizer_apply_table(nz, r->test);
    schema_destroy(schema);
    normalizer_destroy(nz);
    return rc;
}

static int eval_prepare(struct eval_args *a, struct eval_run *r)
{
    int32_t ids[4096];
    size_t n;
    int rc;

    r->m = model_load(a->model);
    if (!r->m)
        return err_last();
    rc = eval_files(a, r->m);
    if (rc == 0)
        rc = eval_table(a, r->m, r);
    if (rc == 0 && r->test->n_classes > 4096)
        rc = err_set(ERR_RANGE, "over 4096 test classes");
    if (rc != 0)
        return rc;
    n = meta_classes_with_rows(r->test, a->o.shot + 1, ids, "test");
    /* A protocol with 3 test classes (train --way 5 shrinks its episodes
     * with a warning) was refused by eval's default 5-way. */
    if (n < a->o.way && n >= 2 && !a->way_set) {
        log_warn("eval", "only %zu test classes have the %zu rows a %zu-shot "
                 "episode needs: episodes are %zu-way", n, a->o.shot + 1,
                 a->o.shot, n);
        a->o.way = n;
    }
    if (n < a->o.way)
        return err_set(ERR_RANGE, "only %zu test classes have the %zu rows "
                       "a %zu-shot episode needs, %zu-way needs %zu (lower "
                       "--shot or --way)", n, a->o.shot + 1, a->o.shot,
                       a->o.way, a->o.way);
    rc = episode_sampler_init(&r->sampler, r->test, ids, n, a->o.shot + 1);
    r->has_sampler = rc == 0;
    return rc;
}

static int eval_learner(struct eval_args *a, struct eval_run *r)
{
    r->l = learner_from_model(r->m);
    if (!r->l)
        return err_last();
    if (a->rule) {
        if (!learner_rule_known(a->rule))
            return err_set(ERR_INVALID, "unknown --rule '%s' (%s)", a->rule,
                           learner_rule_names());
        snprintf(r->l->arch.rule, sizeof(r->l->arch.rule), "%s", a->rule);
    }
    return 0;
}

static void on_progress(void *ctx, size_t step, size_t total, float loss,
                        double val)
{
    (void)total;
    (void)loss;
    (void)val;
    progress_update(ctx, step, NULL);
}

static int eval_run_all(struct eval_args *a, struct eval_run *r)
{
    struct progress bar;
    int rc;

    progress_init(&bar, "episodes", a->o.episodes);
    rc = meta_eval(r->l, &r->sampler, &a->o, on_progress, &bar, &r->res);
    progress_finish(&bar);
    r->has_res = rc == 0;
    if (rc == 0 && r->res.short_episodes > 0)
        log_warn("eval", "%zu episode(s) had a class with fewer than %zu "
                 "query rows", r->res.short_episodes, a->o.query);
    return rc;
}

static void eval_run_fini(struct eval_run *r)
{
    if (r->has_res)
        meta_eval_result_fini(&r->res);
    if (r->has_sampler)
        episode_sampler_fini(&r->sampler);
    learner_destroy(r->l);
    table_destroy(r->test);
    table_destroy(r->all);
    model_destroy(r->m);
}

int cmd_eval(int argc, char **argv)
{
    struct eval_args a;
    struct eval_run r;
    int rc;

    if (has_openset(argc, argv))
        return cmd_eval_openset(argc, argv);
    rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    memset(&r, 0, sizeof(r));
    rc = eval_prepare(&a, &r);
    if (rc == 0)
        rc = eval_learner(&a, &r);
    if (rc == 0)
        rc = eval_run_all(&a, &r);
    if (rc == 0)
        rc = a.json ? eval_print_json(&a, &r) : eval_print_text(&a, &r);
    eval_run_fini(&r);
    return rc == 0 ? 0 : cli_fail(rc);
}
