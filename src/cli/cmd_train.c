/*
 * fewflow train: meta-trains an encoder on a protocol's training classes
 * and writes a model file (schema, normaliser, encoder, training record).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/openset.h"
#include "cli/meta_setup.h"
#include "cli/train_impl.h"
#include "fewflow/data.h"
#include "fewflow/embedder.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/log.h"
#include "fewflow/maml.h"
#include "fewflow/metatrain.h"
#include "fewflow/paths.h"


static void usage(FILE *out)
{
    fprintf(out,
        "usage: fewflow train --protocol NAME|FILE [--data FILE...] "
        "[options] -o MODEL\n"
        "Meta-trains an encoder on the protocol's training classes.\n\n"
        "  --method M        learner (default %s):", learner_default_name());
    for (size_t i = 0; learner_at(i); i++)
        fprintf(out, " %s", learner_at(i)->name);
    fprintf(out, "\n"
        "  --rule R          few-shot decision rule: %s\n"
        "                    (default: the method's own)\n"
        "  --way N --shot K --query Q   training episode shape (5, 5, 15)\n"
        "  --episodes E      training steps at most (2000)\n"
        "  --seed S          reproduces a run bit for bit (1)\n"
        "  --data-dir DIR    where protocol data files are (FEWFLOW_DATA)\n"
        "  --hidden W,W      hidden widths (128,128)  --emb D (64)\n"
        "  --activation A    relu, tanh, leaky_relu, none (relu)\n"
        "  --dropout P (0)   --cosine   --raw-skip (embedding keeps x)\n"
        "  --lr F (0.001)    --lr-decay F (0.5) every --lr-every N (1000)\n"
        "  --weight-decay F  --margin F (0.5) --mining batch-hard|semi-hard\n"
        "  --batch N         rows per step for the baseline (128)\n"
        "  --val-every N (100) --val-episodes N (100) --patience N (5)\n"
        "  --no-val          train all episodes, no early stopping\n"
        "  --subclasses K    meta-train on up to K k-means sub-classes of\n"
        "                    each training class (0: off)\n"
        "  --open-way M      protonet: M more classes per episode give\n"
        "                    open queries only, pushed away from the\n"
        "                    episode's prototypes (0: off)\n"
        "  --open-loss L     entropy (PEELER) or margin (entropy)\n"
        "  --open-weight F   weight of that term (1)\n"
        "  --benign-fpr F    class memory's benign false-alarm target "
        "(0.01)\n"
        "  --memory-space S  where the class memory lives: z (the "
        "embedding,\n"
        "                    default), x (the normalised features) or xz\n"
        "                    (both, the features weighted to match)\n"
        "  --init-scale S    encoder weights times S after the draw:\n"
        "                    kaiming (1, default), torch (1/sqrt(6), the\n"
        "                    variance of PyTorch's default), a number, or\n"
        "                    auto: train both named ones and keep the one\n"
        "                    with the better validation accuracy (on the\n"
        "                    protocol's val: classes, else on 2 of 5\n"
        "                    training classes held out for the choice);\n"
        "                    maml/fomaml/anil take the protocol's\n"
        "                    maml_init_scale when it has one\n"
        "  maml, fomaml, anil: --inner-steps N (5) --inner-lr F (0.1)\n"
        "    --test-inner-steps N (10)  --meta-batch N (4; --episodes "
        "counts updates)\n"
        "    --meta-sgd (learn step sizes)  --zero-head\n",
        learner_rule_names());
}

/* Each width whole: "12.5" or "128x" is refused, not read as 12 or 128,
 * and an empty item (",64", "64,,64") is refused, not skipped. */
static int parse_hidden(struct model_arch *a, const char *s)
{
    int ok = 1;

    a->n_hidden = 0;
    for (const char *p = s; ok; p++) {
        char tok[16];
        unsigned long long v = 0;
        size_t n = strcspn(p, ",");

        ok = n < sizeof(tok) && a->n_hidden < 7;
        if (ok) {
            memcpy(tok, p, n);
            tok[n] = '\0';
            ok = cli_whole(tok, 65536, &v) == 0 && v >= 1;
        }
        if (ok)
            a->hidden[a->n_hidden++] = (uint32_t)v;
        p += n;
        if (*p == '\0')
            break;
    }
    return ok ? 0 : cli_usage_error("train", "--hidden wants 1 to 7 widths "
                                    "like 128,128");
}

static int parse_size(const char *s, size_t *out, const char *opt)
{
    unsigned long long v = 0;

    if (cli_whole(s, 100000000ULL, &v) != 0)
        return cli_usage_error("train", "%s wants a whole number", opt);
    *out = (size_t)v;
    return 0;
}

static int parse_float(const char *s, float *out, const char *opt)
{
    double v = 0;

    if (cli_decimal(s, &v) != 0 || !isfinite(v) || v < 0.0)
        return cli_usage_error("train", "%s wants a number >= 0", opt);
    *out = (float)v;
    return 0;
}

static int parse_dropout(const char *s, float *out)
{
    if (parse_float(s, out, "--dropout") != 0)
        return 2;
    if (*out >= 1.0f)
        return cli_usage_error("train", "--dropout wants a probability "
                               "below 1");
    return 0;
}

static const struct option train_opts[] = {
    { "data", required_argument, NULL, 'd' },
    { "protocol", required_argument, NULL, 'p' },
    { "method", required_argument, NULL, 'm' },
    { "rule", required_argument, NULL, 'r' },
    { "way", required_argument, NULL, 'N' },
    { "shot", required_argument, NULL, 'K' },
    { "query", required_argument, NULL, 'Q' },
    { "episodes", required_argument, NULL, 'E' },
    { "seed", required_argument, NULL, 'S' },
    { "output", required_argument, NULL, 'o' },
    { "data-dir", required_argument, NULL, 'D' },
    { "hidden", required_argument, NULL, 'H' },
    { "emb", required_argument, NULL, 'e' },
    { "activation", required_argument, NULL, 'a' },
    { "dropout", required_argument, NULL, 'P' },
    { "cosine", no_argument, NULL, 'c' },
    { "raw-skip", no_argument, NULL, 'k' },
    { "lr", required_argument, NULL, 'l' },
    { "lr-decay", required_argument, NULL, 'y' },
    { "lr-every", required_argument, NULL, 'Y' },
    { "weight-decay", required_argument, NULL, 'w' },
    { "margin", required_argument, NULL, 'M' },
    { "mining", required_argument, NULL, 'g' },
    { "batch", required_argument, NULL, 'b' },
    { "val-every", required_argument, NULL, 'v' },
    { "val-episodes", required_argument, NULL, 'V' },
    { "patience", required_argument, NULL, 't' },
    { "no-val", no_argument, NULL, 'n' },
    { "subclasses", required_argument, NULL, 'u' },
    { "open-way", required_argument, NULL, 'O' },
    { "open-weight", required_argument, NULL, 'W' },
    { "open-loss", required_argument, NULL, 'L' },
    { "benign-fpr", required_argument, NULL, 'F' },
    { "memory-space", required_argument, NULL, 'Z' },
    { "inner-steps", required_argument, NULL, 'i' },
    { "inner-lr", required_argument, NULL, 'I' },
    { "test-inner-steps", required_argument, NULL, 'T' },
    { "meta-batch", required_argument, NULL, 'B' },
    { "meta-sgd", no_argument, NULL, 'G' },
    { "zero-head", no_argument, NULL, 'z' },
    { "init-scale", required_argument, NULL, 'x' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* A number must be a plain decimal: the learner's parser (shared with
 * protocol files) takes what strtod takes, "0x10" and " 2" included. */
static int parse_init_scale(const char *s, struct train_args *a)
{
    double plain = 0;
    int word = strcmp(s, "kaiming") == 0 || strcmp(s, "torch") == 0;

    a->init_given = 1;
    a->init_auto = strcmp(s, "auto") == 0;
    if (a->init_auto)
        a->opts.init_scale = 1.0f;
    else if ((!word && cli_decimal(s, &plain) != 0) ||
             learner_init_scale_parse(s, &a->opts.init_scale) != 0)
        return cli_usage_error("train", "--init-scale wants auto, kaiming, "
                               "torch or a number above 0");
    return 0;
}

static int parse_mining(const char *s, enum learner_mining *m)
{
    if (strcmp(s, "batch-hard") == 0)
        *m = LEARNER_MINE_BATCH_HARD;
    else if (strcmp(s, "semi-hard") == 0)
        *m = LEARNER_MINE_SEMI_HARD;
    else
        return cli_usage_error("train", "--mining: batch-hard or semi-hard");
    return 0;
}

static int parse_open_loss(const char *s, enum learner_open_loss *o)
{
    if (strcmp(s, "entropy") == 0)
        *o = LEARNER_OPEN_ENTROPY;
    else if (strcmp(s, "margin") == 0)
        *o = LEARNER_OPEN_MARGIN;
    else
        return cli_usage_error("train", "--open-loss: entropy or margin");
    return 0;
}

static const char *opt_name(int c)
{
    return cli_opt_name(train_opts, c);
}

/* The smallest value that still trains something: an episode needs two
 * classes, and a zero count would write an untrained model or none. */
static size_t size_opt_min(int c)
{
    if (c == 'N')
        return 2;
    return strchr("KQEebvVB", c) ? 1 : 0;
}

static int parse_size_opt(int c, const char *v, struct train_args *a)
{
    size_t n = 0;
    int rc = parse_size(v, &n, opt_name(c));
    uint64_t seed;

    if (rc != 0)
        return rc;
    if (n < size_opt_min(c))
        return cli_usage_error("train", "%s wants at least %zu",
                               opt_name(c), size_opt_min(c));
    switch (c) {
    case 'N': a->opts.way = n; break;
    case 'K': a->opts.shot = n; break;
    case 'Q': a->opts.query = n; break;
    case 'E': a->opts.episodes = n; break;
    case 'S': seed = (uint64_t)n; a->opts.seed = seed; break;
    case 'e': a->arch.n_emb = (uint32_t)n; break;
    case 'Y': a->opts.lr_every = n; break;
    case 'b': a->opts.batch = n; break;
    case 'u': a->subclasses = n; break;
    case 'O': a->opts.open_way = n; break;
    case 'v': a->opts.val_every = n; break;
    case 'V': a->opts.val_episodes = n; break;
    case 'i': a->opts.inner_steps = n; break;
    case 'T': a->opts.inner_steps_test = n; break;
    case 'B': a->opts.meta_batch = n; break;
    default: a->opts.patience = n; break;
    }
    return 0;
}

static int parse_one(int c, int argc, char **argv, struct train_args *a)
{
    switch (c) {
    case 'd': return meta_files_take(&a->files, argc, argv, optarg, "train");
    case 'p': a->protocol = optarg; return 0;
    case 'm': a->method = optarg; return 0;
    case 'r': a->rule = optarg; return 0;
    case 'o': a->out = optarg; return 0;
    case 'D': a->data_dir = optarg; return 0;
    case 'H': a->hidden = optarg; return 0;
    case 'a': snprintf(a->arch.activation, sizeof(a->arch.activation), "%s",
                       optarg); return 0;
    case 'P': return parse_dropout(optarg, &a->arch.dropout);
    case 'c': a->arch.cosine = 1; return 0;
    case 'k': a->arch.raw_skip = 1; return 0;
    case 'l': return parse_float(optarg, &a->opts.lr, "--lr");
    case 'y': return parse_float(optarg, &a->opts.lr_decay, "--lr-decay");
    case 'w': return parse_float(optarg, &a->opts.weight_decay,
                                 "--weight-decay");
    case 'M': return parse_float(optarg, &a->opts.margin, "--margin");
    case 'g': return parse_mining(optarg, &a->opts.mining);
    case 'W': return parse_float(optarg, &a->opts.open_weight,
                                 "--open-weight");
    case 'L': return parse_open_loss(optarg, &a->opts.open_loss);
    case 'n': a->no_val = 1; return 0;
    case 'F': return parse_float(optarg, &a->benign_fpr, "--benign-fpr");
    case 'Z': return memo_space_parse(optarg, &a->memory_space) == 0 ? 0
                     : cli_usage_error("train", "--memory-space wants z, x "
                                       "or xz");
    case 'I': return parse_float(optarg, &a->opts.inner_lr, "--inner-lr");
    case 'G': a->opts.meta_sgd = 1; return 0;
    case 'z': a->opts.zero_head = 1; return 0;
    case 'x': return parse_init_scale(optarg, a);
    default: return parse_size_opt(c, optarg, a);
    }
}

static int parse_args(int argc, char **argv, struct train_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    learner_opts_default(&a->opts);
    learner_arch_default(&a->arch, 1);
    a->arch.rule[0] = '\0';
    a->benign_fpr = 0.01f;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", train_opts, NULL)) != -1) {
        int rc;

        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?')
            return cli_usage_error("train", "unknown option");
        rc = parse_one(c, argc, argv, a);
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("train", "unexpected argument '%s'",
                               argv[optind]);
    if (!a->protocol || !a->out)
        return cli_usage_error("train", "--protocol and -o MODEL are "
                               "required");
    if (a->init_auto && a->no_val)
        return cli_usage_error("train", "--init-scale auto chooses on "
                               "validation data: drop --no-val");
    return a->hidden ? parse_hidden(&a->arch, a->hidden) : 0;
}

static int resolve_files(struct train_args *a, const struct protocol *p)
{
    char dir[4096];
    char **paths;
    size_t n;
    int rc;

    if (a->files.n > 0)
        return 0;
    rc = paths_data_dir(a->data_dir, dir, sizeof(dir));
    if (rc != 0)
        return err_set(rc, "data directory not found (tried %s): give "
                       "--data-dir or FEWFLOW_DATA", dir);
    rc = protocol_data_paths(p, dir, &paths, &n);
    if (rc != 0)
        return rc;
    if (n > META_MAX_FILES) {
        protocol_paths_free(paths, n);
        return err_set(ERR_RANGE, "protocol names over %d files",
                       META_MAX_FILES);
    }
    /* Absolute paths, so `eval` finds the files from any directory. */
    for (size_t i = 0; i < n; i++) {
        char *full = realpath(paths[i], NULL);

        if (full) {
            free(paths[i]);
            paths[i] = full;
        }
        a->files.paths[i] = paths[i];
    }
    free(paths);
    a->files.n = n;
    a->files.owned = 1;
    return 0;
}

/* Method, rule and input width, once the data is known. */
static const struct learner_ops *resolve_method(struct train_args *a,
                                                uint32_t n_in)
{
    const struct learner_ops *ops = learner_find(a->method ? a->method :
                                                 learner_default_name());
    const char *rule;

    if (!ops) {
        err_set(ERR_INVALID, "unknown --method '%s'", a->method);
        return NULL;
    }
    rule = a->rule ? a->rule : a->method ? ops->default_rule
        : learner_default_rule();
    snprintf(a->arch.rule, sizeof(a->arch.rule), "%s", rule ? rule : "mean");
    if (!learner_rule_known(a->arch.rule)) {
        err_set(ERR_INVALID, "unknown --rule '%s' (%s)", a->arch.rule,
                learner_rule_names());
        return NULL;
    }
    if (a->opts.open_way > 0 && ops != learner_find("protonet")) {
        err_set(ERR_INVALID, "--open-way trains protonet only, not '%s'",
                ops->name);
        return NULL;
    }
    a->arch.n_in = n_in;
    return ops;
}


static int build_samplers(struct train_args *a, struct train_run *r)
{
    int32_t ids[4096];
    size_t n;
    int rc;

    if (r->split.train->n_classes > 4096 || (r->split.val &&
                                             r->split.val->n_classes > 4096))
        return err_set(ERR_RANGE, "over 4096 classes");
    n = meta_classes_with_rows(r->split.train, a->opts.shot + 1, ids,
                               "training");
    if (n < 2)
        return err_set(ERR_RANGE, "fewer than 2 training classes have %zu "
                       "rows", a->opts.shot + 1);
    rc = episode_sampler_init(&r->train_s, r->split.train, ids, n,
                              a->opts.shot + 1);
    if (rc != 0 || a->no_val || !r->split.val)
        return rc;
    n = meta_classes_with_rows(r->split.val, a->opts.shot + 1, ids,
                               "validation");
    if (n < 2) {
        log_warn("train", "fewer than 2 validation classes: no early "
                 "stopping");
        return 0;
    }
    r->has_val = 1;
    return episode_sampler_init(&r->val_s, r->split.val, ids, n,
                                a->opts.shot + 1);
}

/* Replaces the training table by its k-means sub-classes. */
static int use_subclasses(struct train_args *a, struct train_run *r)
{
    size_t min_rows = a->opts.shot + a->opts.query;
    struct table *sub = meta_table_subclasses(r->split.train, a->subclasses,
                                              min_rows, a->opts.seed);

    if (!sub)
        return err_last();
    log_info("train", "%zu training classes split into %zu sub-classes",
             r->split.train->n_classes, sub->n_classes);
    table_destroy(r->split.train);
    r->split.train = sub;
    return 0;
}

static int train_prepare(struct train_args *a, const struct protocol *p,
                         struct train_run *r)
{
    struct data_options dopt;
    int rc;

    data_options_init(&dopt);
    log_info("train", "loading %zu file(s)", a->files.n);
    rc = data_load((const char *const *)a->files.paths, a->files.n, &dopt,
                   &r->schema, &r->all, NULL);
    if (rc == 0)
        rc = meta_split_build(r->all, p, a->opts.seed, &r->split);
    if (rc == 0 && a->subclasses > 0)
        rc = use_subclasses(a, r);
    if (rc == 0)
        rc = build_samplers(a, r);
    r->val_classes = p->n_val > 0;
    if (rc == 0)
        log_info("train", "%zu training rows in %zu classes, %zu validation "
                 "rows, %zu test rows, %zu features",
                 r->split.train->n_rows, r->train_s.n_classes,
                 r->split.val ? r->split.val->n_rows : 0,
                 r->split.test->n_rows, r->all->n_cols);
    return rc;
}

static int train_fit(struct train_args *a, struct train_run *r)
{
    const struct learner_ops *ops = resolve_method(a,
                                                   (uint32_t)r->all->n_cols);
    struct learner_data data = { r->split.train, &r->train_s };
    struct meta_bar bar;
    int rc;

    if (!ops)
        return err_last();
    if (a->opts.way > r->train_s.n_classes)
        log_warn("train", "--way %zu is more than the %zu training classes: "
                 "episodes use all of them", a->opts.way,
                 r->train_s.n_classes);
    double t0 = progress_now_s();
    if (a->init_auto) {
        rc = train_fit_auto(a, r, ops, &data);
        r->wall_s = progress_now_s() - t0;
        if (rc != 0 || r->l)
            return rc;
    }
    r->l = learner_create(ops, &a->opts, &a->arch, r->train_s.n_classes,
                          a->opts.seed);
    if (!r->l)
        return err_last();
    size_t way = a->opts.way;
    if (way > r->train_s.n_classes)
        way = r->train_s.n_classes;
    log_info("train", "%s, rule %s, %zu parameters, %zu-way %zu-shot",
             ops->name, a->arch.rule, r->l->n_params, way, a->opts.shot);
    progress_init(&bar.bar, "episodes", a->opts.episodes);
    bar.last_val = NAN;
    rc = meta_train(r->l, &data, r->has_val ? &r->val_s : NULL,
                    meta_bar_update, &bar, &r->res);
    r->wall_s = progress_now_s() - t0;
    progress_finish(&bar.bar);
    return rc;
}

/* Only what the seed determines goes in: a measured speed would make two
 * runs with one seed differ, and a model's checksum is how an operator
 * checks that it is the one trained. */
static int record_metrics(struct model *m, const struct meta_train_result *s)
{
    int rc = model_record_set_metric(m, "train_steps", (double)s->steps);

    if (rc == 0)
        rc = model_record_set_metric(m, "best_step", (double)s->best_step);
    if (rc == 0)
        rc = model_record_set_metric(m, "final_loss", (double)s->last_loss);
    if (rc == 0 && !isnan(s->best_val))
        rc = model_record_set_metric(m, "val_accuracy", s->best_val);
    if (rc == 0 && !isnan(s->best_val))
        rc = model_record_set_metric(m, "val_ci95", s->best_val_ci95);
    return rc;
}

/* Open-set training is recorded only when used, so a model trained
 * without it keeps the bytes it always had. */
static int record_open(struct model *m, const struct learner_opts *o)
{
    int rc = model_record_set_metric(m, "open_way", (double)o->open_way);

    if (rc == 0)
        rc = model_record_set_metric(m, "open_weight",
                                     (double)o->open_weight);
    if (rc == 0)
        rc = model_record_set_metric(m, "open_loss_margin",
                                     o->open_loss == LEARNER_OPEN_MARGIN);
    return rc;
}

static int record_fill(struct model *m, const struct train_args *a,
                       const struct protocol *p)
{
    struct model_record *rec = &m->rec;
    int rc = model_record_set_protocol(m, p->name);

    rec->seed = a->opts.seed;
    rec->way = (uint32_t)a->opts.way;
    rec->shot = (uint32_t)a->opts.shot;
    rec->query = (uint32_t)a->opts.query;
    rec->episodes = (uint32_t)a->opts.episodes;
    if (rc == 0)
        rc = model_record_set_classes(m, (const char *const *)p->train,
                                      p->n_train,
                                      (const char *const *)p->val, p->n_val,
                                      (const char *const *)p->test,
                                      p->n_test);
    free(rec->version);
    rec->version = strdup(FEWFLOW_VERSION);
    if (!rec->version)
        rc = err_set(ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < a->files.n; i++)
        rc = model_record_add_file(m, a->files.paths[i]);
    return rc;
}

static int train_save(const struct train_args *a, const struct protocol *p,
                      struct train_run *r)
{
    struct model *m = model_create();
    int rc = m ? learner_to_model(r->l, m) : err_last();

    if (rc == 0)
        rc = record_fill(m, a, p);
    if (rc == 0)
        rc = record_metrics(m, &r->res);
    if (rc == 0 && a->init_auto)
        rc = meta_record_init_choice(m, r->cands, train_init_names, 2,
                                     r->chosen);
    else if (rc == 0 && a->init_given)
        rc = model_record_set_metric(m, "init_scale",
                                     (double)a->opts.init_scale);
    if (rc == 0 && a->opts.open_way > 0)
        rc = record_open(m, &a->opts);
    if (rc == 0)
        rc = model_set_schema(m, r->schema);
    if (rc == 0)
        rc = model_set_normalizer(m, r->split.nz);
    if (rc == 0)
        rc = model_save(m, a->out);
    model_destroy(m);
    return rc;
}

/* The detect module's class memory: prototypes and calibrated radii of
 * the training classes, stored in the model just written. */
static int train_attach_memory(const struct train_args *a)
{
    struct openset_memory_opts o;

    openset_memory_opts_default(&o);
    o.fit.benign_fpr = a->benign_fpr;
    o.fit.space = a->memory_space;
    o.fit.seed = a->opts.seed;
    return openset_attach_memory(a->out, (const char *const *)a->files.paths,
                                 a->files.n, &o);
}

static void train_run_fini(struct train_run *r)
{
    learner_destroy(r->l);
    episode_sampler_fini(&r->train_s);
    if (r->has_val)
        episode_sampler_fini(&r->val_s);
    meta_split_fini(&r->split);
    table_destroy(r->all);
    schema_destroy(r->schema);
}

static void train_report(const struct train_args *a,
                         const struct train_run *r)
{
    const struct meta_train_result *s = &r->res;

    /* steps_per_s leaves validation out; the wall time keeps it in, so
     * the two together match what the progress bar showed. */
    log_info("train", "%zu steps in %.1f s (training steps alone %.1f "
             "episodes/s)", s->steps, r->wall_s, s->steps_per_s);
    if (isnan(s->best_val))
        log_info("train", "final loss %.4f", (double)s->last_loss);
    else
        log_info("train", "kept step %zu, validation accuracy %.4f ± %.4f",
                 s->best_step, s->best_val, s->best_val_ci95);
    log_info("train", "wrote %s", a->out);
}

/* A protocol may name the MAML-family encoder's starting scale, chosen
 * on validation data for that dataset (each protocol file says how);
 * --init-scale still wins. */
static void apply_protocol_init(struct train_args *a,
                                const struct protocol *p)
{
    if (a->init_given || !(p->maml_init_scale > 0.0f) || !a->method ||
        !maml_method_known(a->method))
        return;
    a->opts.init_scale = p->maml_init_scale;
    a->init_given = 1;
    log_info("train", "encoder init scale %g (protocol %s)",
             (double)p->maml_init_scale, p->name);
}

int cmd_train(int argc, char **argv)
{
    struct train_args a;
    struct train_run r;
    struct protocol *p = NULL;
    int rc = parse_args(argc, argv, &a);

    if (rc != 0)
        return rc < 0 ? 0 : rc;
    memset(&r, 0, sizeof(r));
    p = protocol_load(a.protocol);
    rc = p ? resolve_files(&a, p) : err_last();
    if (rc == 0)
        rc = cli_output_is_input(a.out, (const char *const *)a.files.paths,
                                 a.files.n);
    if (rc == 0)
        apply_protocol_init(&a, p);
    if (rc == 0)
        rc = train_prepare(&a, p, &r);
    if (rc == 0)
        rc = train_fit(&a, &r);
    if (rc == 0)
        rc = train_save(&a, p, &r);
    if (rc == 0)
        rc = train_attach_memory(&a);
    if (rc == 0)
        train_report(&a, &r);
    train_run_fini(&r);
    protocol_destroy(p);
    meta_files_fini(&a.files);
    return rc == 0 ? 0 : cli_fail(rc);
}
