#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/eval_conn.h"
#include "cli/eval_openset.h"
#include "cli/eval_openset_checks.h"
#include "cli/eval_openset_impl.h"
#include "cli/openset.h"
#include "fewflow/alert.h"
#include "fewflow/data.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/maml.h"
#include "fewflow/model.h"
#include "fewflow/paths.h"
#include "fewflow/progress.h"
#include "fewflow/protocol.h"
#include "fewflow/rng.h"

void openset_memory_opts_default(struct openset_memory_opts *o)
{
    memo_fit_opts_default(&o->fit);
    o->fit_fraction = 0.7;
}

static const char *rule_names[MEMO_RADIUS_RULES] = { "kshot", "rel", "geo",
                                                     "prior" };

const char *cli_radius_rule_name(enum memo_radius_rule r)
{
    return (unsigned)r < MEMO_RADIUS_RULES ? rule_names[r] : "?";
}

int cli_radius_rule(const char *cmd, const char *v,
                    enum memo_radius_rule *out)
{
    const char *const *names = rule_names;
    for (int i = 0; i < MEMO_RADIUS_RULES; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = (enum memo_radius_rule)i;
            return 0;
        }
    }
    return cli_usage_error(cmd, "--radius-rule wants kshot, rel, geo or "
                           "prior");
}

/* The data a model was trained on: the protocol's files under the data
 * directory (the record keeps the protocol's name or path). */
static int protocol_paths(const struct detector *d, char ***paths,
                          size_t *n)
{
    char dir[4096];
    const char *name = d->model->rec.protocol;
    if (name == NULL)
        return err_set(ERR_NOTFOUND, "%s: no protocol recorded; give "
                       "--data FILE...", d->path);
    struct protocol *p = protocol_load(name);
    if (p == NULL)
        return err_last();
    int rc = paths_data_dir(NULL, dir, sizeof(dir));
    if (rc != 0)
        rc = err_set(rc, "data directory %s not found (set FEWFLOW_DATA)",
                     dir);
    if (rc == 0)
        rc = protocol_data_paths(p, dir, paths, n);
    protocol_destroy(p);
    return rc;
}

/* rows (or NULL) keeps each row's identity for the connection rule. */
static int load_table(const struct detector *d, const char *const *paths,
                      size_t n, struct table **t,
                      struct eval_conn_rows *rows)
{
    struct data_options opt;
    struct conn_cols cols;
    data_options_init(&opt);
    if (rows != NULL && conn_cols_find(&cols, d->col_names, d->n_in))
        eval_conn_rows_hook(rows, d, &opt);
    return data_load_with(paths, n, d->schema, &opt, t, NULL);
}

int openset_attach_memory(const char *path, const char *const *data_paths,
                          size_t n_paths,
                          const struct openset_memory_opts *o)
{
    struct detector *d = detector_load(path, 0);
    struct table *t = NULL;
    struct detector_split sp = { 0 };
    size_t n_known = 0;
    const char **known = NULL;
    int rc = d ? 0 : err_last();

    if (rc == 0)
        rc = load_table(d, data_paths, n_paths, &t, NULL);
    if (rc == 0 && (known = detector_known_classes(d, &n_known)) == NULL)
        rc = err_set(ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = detector_split_rows(t, known, n_known, o->fit_fraction,
                                 1.0 - o->fit_fraction, 0, o->fit.seed, &sp);
    if (rc == 0)
        rc = detector_fit_memo(d, t, sp.fit, sp.n_fit, sp.calib, sp.n_calib,
                               known, n_known, &o->fit);
    if (rc == 0)
        rc = detector_save(d, path);
    if (rc == 0)
        log_info("detect", "class memory: %zu classes, benign false-alarm "
                 "rate %.2f%% on %u held-out rows (target %.2f%%)",
                 d->memo->n_classes, 100.0 * d->memo->benign_fpr,
                 d->memo->n_reservoir, 100.0 * o->fit.benign_fpr);
    detector_split_fini(&sp);
    free(known);
    table_destroy(t);
    detector_destroy(d);
    return rc;
}

/* ---- eval --openset ---- */


/* Defaults are printed from the option structs, so help cannot drift
 * from what the code does. */
static void usage(FILE *out)
{
    struct openset_memory_opts m;
    struct openset_opts os;

    openset_memory_opts_default(&m);
    openset_opts_default(&os);
    fprintf(out,
        "usage: fewflow eval --openset --model MODEL [--data FILE...] "
        "[options]\n"
        "Open-set evaluation on the protocol's meta-test classes: AUROC of "
        "unknown versus\nknown flows, precision and recall of each novel "
        "class enrolled from K flows,\nand the benign false-alarm rate.\n\n"
        "      --data FILE       data files (default: the model's "
        "protocol's)\n"
        "      --shots LIST      K values, comma-separated (default "
        "1,5,10)\n");
    fprintf(out,
        "      --trials N        support draws per class and K "
        "(default %u)\n"
        "      --benign-fpr F    target benign false-alarm rate "
        "(default %g)\n"
        "      --coverage Q      own held-out rows inside a class radius "
        "(default %g)\n"
        "      --kshot-coverage Q  the same for a class enrolled from a few "
        "flows\n                        (default %g)\n"
        "      --protos N        prototypes per attack class (default %u)\n"
        "      --benign-protos N prototypes for benign classes (default %u)\n"
        "      --max-protos N    prototypes of an enrolled class "
        "(default %u)\n"
        "      --radius-rule R   enrolled class's radius: kshot, rel, geo or "
        "prior\n                        (default %s)\n"
        "      --prior-weight W  pseudo-count of the prior radius "
        "(default %g)\n"
        "      --memory-space S  build the class memory in z, x or xz "
        "(default: the\n                        model's; train's "
        "--memory-space)\n"
        "      --together        enrol all novel classes at once (default: "
        "each alone)\n"
        "      --no-head         MAML-family models: decide by the memory "
        "alone, without\n                        the adapted head\n"
        "      --no-connections  judge each row alone (default: a TCP row "
        "that continues\n                        an earlier row's "
        "connection keeps its alert,\n                        "
        "docs/detect.md)\n"
        "      --context-split   split the test rows once (by connection) "
        "into unlabelled\n                        context, where supports "
        "come from, and scored rows\n"
        "      --grow K          with --context-split: grow each enrolled "
        "class from the\n                        context (mutual K-NN "
        "chaining, an\n                        experiment: docs/detect.md)\n"
        "      --grow-links M    links to members a context row needs "
        "(default 1)\n"
        "      --grow-as A       exemplars, flows, local1, local2, cover1 "
        "or cover2\n                        (default exemplars)\n"
        "      --seed S          (default %llu)\n"
        "      --json            one JSON object on stdout\n"
        "  -o, --output MODEL2   write the model with the evaluated class "
        "memory\n", os.trials, (double)m.fit.benign_fpr,
        (double)m.fit.coverage, (double)m.fit.kshot_coverage,
        m.fit.n_protos, m.fit.benign_protos,
        os.enroll.max_protos, cli_radius_rule_name(os.enroll.rule),
        (double)os.enroll.prior_weight,
        (unsigned long long)os.seed);
}

/* Every comma separates two numbers: "1,5," was taken as 1,5, while the
 * other list and number options refuse what they cannot read whole. */
static int parse_shots(const char *s, struct openset_opts *o)
{
    o->n_shots = 0;
    if (*s == '\0')
        return cli_usage_error("eval", "--shots is empty");
    for (;;) {
        char tok[8];
        unsigned long long k = 0;
        size_t n = strcspn(s, ",");
        const char *end = s + n;
        if (n < sizeof(tok)) {
            memcpy(tok, s, n);
            tok[n] = '\0';
        }
        if (n >= sizeof(tok) || cli_whole(tok, 1000, &k) != 0 || k < 1 ||
            o->n_shots == OPENSET_MAX_SHOTS)
            return cli_usage_error("eval", "--shots wants up to %d numbers "
                                   "from 1 to 1000, like 1,5,10",
                                   OPENSET_MAX_SHOTS);
        /* A K twice would be one JSON key twice in the report. */
        for (uint32_t i = 0; i < o->n_shots; i++)
            if (o->shots[i] == (uint32_t)k)
                return cli_usage_error("eval", "--shots: K=%llu is listed "
                                       "twice", k);
        o->shots[o->n_shots++] = (uint32_t)k;
        if (*end == '\0')
            return 0;
        s = end + 1;
    }
}

static int num(const char *opt, const char *v, double lo, double hi,
               double *out)
{
    double x = 0;
    if (cli_decimal(v, &x) != 0 || !(x >= lo && x <= hi))
        return cli_usage_error("eval", "%s wants a number in [%g, %g]", opt,
                               lo, hi);
    *out = x;
    return 0;
}

enum { O_OPENSET = 256, O_DATA, O_SHOTS, O_TRIALS, O_FPR, O_COVER, O_KCOVER,
       O_PROTOS, O_BPROTOS, O_MAXP, O_PRIOR, O_SEED, O_JSON, O_PROTOCOL,
       O_TOGETHER, O_RULE, O_NOHEAD, O_NOCONN, O_SPACE, O_CSPLIT, O_GROW,
       O_GLINKS, O_GAS };

static int apply(struct os_args *a, int c, const char *v)
{
    double x = 0;
    int rc = 0;
    switch (c) {
    case 'm': a->model = v; return 0;
    case 'o': a->out = v; return 0;
    case O_OPENSET: return 0;
    case O_JSON: a->json = 1; return 0;
    case O_TOGETHER: a->os.together = 1; return 0;
    case O_NOHEAD: a->no_head = 1; return 0;
    case O_NOCONN: a->no_conn = 1; return 0;
    case O_RULE: return cli_radius_rule("eval", v, &a->os.enroll.rule);
    case O_PROTOCOL: a->protocol = v; return 0;
    case O_SPACE: a->space_given = 1;
                  return memo_space_parse(v, &a->mem.fit.space) == 0 ? 0
                         : cli_usage_error("eval", "--memory-space wants z, "
                                           "x or xz");
    case O_CSPLIT: a->context_split = 1; return 0;
    case O_GROW: rc = num("--grow", v, 1, MEMO_GROW_MAX_K, &x);
                 a->os.grow.k = (uint32_t)x; return rc;
    case O_GLINKS: rc = num("--grow-links", v, 1, MEMO_GROW_MAX_K, &x);
                   a->os.grow.links = (uint32_t)x; return rc;
    case O_GAS: return cli_grow_as("eval", v, &a->os.grow);
    case O_SHOTS: return parse_shots(v, &a->os);
    case O_TRIALS: rc = num("--trials", v, 1, 1000, &x);
                   a->os.trials = (uint32_t)x; return rc;
    case O_FPR: rc = num("--benign-fpr", v, 0, 0.5, &x);
                a->mem.fit.benign_fpr = (float)x; return rc;
    case O_COVER: rc = num("--coverage", v, 0.5, 1, &x);
                  a->mem.fit.coverage = (float)x; return rc;
    case O_KCOVER: rc = num("--kshot-coverage", v, 0.5, 1, &x);
                   a->mem.fit.kshot_coverage = (float)x; return rc;
    case O_PROTOS: rc = num("--protos", v, 1, MEMO_MAX_PROTOS, &x);
                   a->mem.fit.n_protos = (uint32_t)x; return rc;
    case O_BPROTOS: rc = num("--benign-protos", v, 1, MEMO_MAX_PROTOS, &x);
                    a->mem.fit.benign_protos = (uint32_t)x; return rc;
    case O_MAXP: rc = num("--max-protos", v, 1, MEMO_MAX_PROTOS, &x);
                 a->os.enroll.max_protos = (uint32_t)x; return rc;
    case O_PRIOR: rc = num("--prior-weight", v, 0, 1000, &x);
                  a->os.enroll.prior_weight = (float)x; return rc;
    case O_SEED: rc = num("--seed", v, 0, 4e18, &x);
                 a->os.seed = a->mem.fit.seed = (uint64_t)x; return rc;
    default: return 2;
    }
}

/* --data A B C, as train and eval take it (the usage says FILE...): the
 * plain words after the option's value are files too. */
static int take_data(struct os_args *a, int argc, char **argv)
{
    const char *file = optarg;
    for (;;) {
        const char **g = realloc(a->data, (a->n_data + 1) * sizeof(*g));
        if (g == NULL)
            return err_set(ERR_NOMEM, "out of memory");
        a->data = g;
        a->data[a->n_data++] = file;
        if (optind >= argc || argv[optind][0] == '-')
            return 0;
        file = argv[optind++];
    }
}

static int parse(int argc, char **argv, struct os_args *a)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "output", required_argument, 0, 'o' },
        { "openset", no_argument, 0, O_OPENSET },
        { "data", required_argument, 0, O_DATA },
        { "protocol", required_argument, 0, O_PROTOCOL },
        { "shots", required_argument, 0, O_SHOTS },
        { "trials", required_argument, 0, O_TRIALS },
        { "benign-fpr", required_argument, 0, O_FPR },
        { "coverage", required_argument, 0, O_COVER },
        { "kshot-coverage", required_argument, 0, O_KCOVER },
        { "protos", required_argument, 0, O_PROTOS },
        { "benign-protos", required_argument, 0, O_BPROTOS },
        { "max-protos", required_argument, 0, O_MAXP },
        { "prior-weight", required_argument, 0, O_PRIOR },
        { "seed", required_argument, 0, O_SEED },
        { "json", no_argument, 0, O_JSON },
        { "together", no_argument, 0, O_TOGETHER },
        { "no-head", no_argument, 0, O_NOHEAD },
        { "no-connections", no_argument, 0, O_NOCONN },
        { "radius-rule", required_argument, 0, O_RULE },
        { "memory-space", required_argument, 0, O_SPACE },
        { "context-split", no_argument, 0, O_CSPLIT },
        { "grow", required_argument, 0, O_GROW },
        { "grow-links", required_argument, 0, O_GLINKS },
        { "grow-as", required_argument, 0, O_GAS },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c, rc = 0;

    while (rc == 0 &&
           (c = getopt_long(argc, argv, "m:o:h", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == O_DATA) {
            if (take_data(a, argc, argv) != 0)
                return cli_fail(err_last());
            continue;
        }
        rc = apply(a, c, optarg);
    }
    if (rc == 0 && optind < argc)
        rc = cli_usage_error("eval", "unexpected argument '%s'",
                             argv[optind]);
    if (rc == 0 && a->model == NULL)
        rc = cli_usage_error("eval", "--model is required");
    if (rc == 0 && a->os.grow.k > 0 && !a->context_split)
        rc = cli_usage_error("eval", "--grow needs --context-split (the "
                             "context must be rows that are not scored)");
    return rc;
}

/*
 * Rows of the training classes that the encoder never trained on: the
 * protocol's validation rows, drawn again exactly as training drew them
 * (meta_setup.c: one uniform draw per training-class row in table order,
 * seeded by the model's seed). NULL (and no error) when that cannot be
 * reproduced: named validation classes, no fraction, or data given
 * by the user rather than the model's own files.
 */
static uint8_t *unseen_rows(const struct table *t, const struct detector *d,
                            int user_data)
{
    const struct model_record *rec = &d->model->rec;
    struct protocol *p = rec->protocol ? protocol_load(rec->protocol) : NULL;
    double f = p && p->n_val == 0 ? p->val_fraction : 0;
    uint8_t *held = f > 0 && !user_data ? calloc(t->n_rows + 1, 1) : NULL;
    int32_t *train = calloc(t->n_classes + 1, sizeof(int32_t));
    struct rng rng;

    protocol_destroy(p);
    for (size_t i = 0; held && train && i < rec->n_train; i++) {
        int32_t id = table_class_id(t, rec->train_classes[i]);
        if (id >= 0)
            train[id] = 1;
    }
    rng_seed(&rng, rec->seed ^ 0x7a11dULL);
    for (size_t i = 0; held && train && i < t->n_rows; i++) {
        if (t->y[i] >= 0 && train[t->y[i]])
            held[i] = rng_uniform(&rng) < (float)f;
    }
    free(train);
    err_clear();
    return held;
}

/* Known classes: the rows the encoder never saw are the test rows, the
 * rest is split 75/25 into prototype and calibration rows; without such
 * rows, 60/20/20 of all rows (known test rows then include rows the
 * encoder trained on, which flatters AUROC and the benign rate). Every
 * row of a novel (meta-test) class is a test row. */
static int split_all(const struct table *t, const char *const *known,
                     size_t n_known, const struct model_record *rec,
                     const uint8_t *held, uint64_t seed,
                     struct detector_split *sp, struct detector_split *novel)
{
    int rc = held ? detector_split_rows_held(t, known, n_known, held, 0.75,
                                             seed, sp)
                  : detector_split_rows(t, known, n_known, 0.6, 0.2, 1, seed,
                                        sp);
    if (rc == 0)
        rc = detector_split_rows(t, (const char *const *)rec->test_classes,
                                 rec->n_test, 0, 0, 1, seed, novel);
    return rc;
}

struct test_set {
    float *x, *z;
    int32_t *y;
    size_t *row;              /* the table row of each test row */
    size_t n;
};

static int embed_test(struct detector *d, const struct table *t,
                      const struct detector_split *a,
                      const struct detector_split *b, struct test_set *ts)
{
    size_t n = a->n_test + b->n_test + b->n_fit + b->n_calib;
    ts->x = malloc((n * d->n_in + 1) * sizeof(float));
    ts->z = malloc((n * d->dim + 1) * sizeof(float));
    ts->y = malloc((n + 1) * sizeof(int32_t));
    ts->row = malloc((n + 1) * sizeof(size_t));
    if (!ts->x || !ts->z || !ts->y || !ts->row)
        return err_set(ERR_NOMEM, "out of memory");
    const size_t *lists[4] = { a->test, b->fit, b->calib, b->test };
    size_t counts[4] = { a->n_test, b->n_fit, b->n_calib, b->n_test };
    for (int l = 0; l < 4; l++) {
        for (size_t i = 0; i < counts[l]; i++, ts->n++) {
            size_t r = lists[l][i];
            memcpy(ts->x + ts->n * d->n_in, table_row(t, r),
                   d->n_in * sizeof(float));
            ts->y[ts->n] = t->y[r];
            ts->row[ts->n] = r;
        }
    }
    return detector_embed(d, ts->x, ts->n, ts->z);
}

/* The files the model was trained from, when they are all still there. */
static int record_paths(struct os_args *a, const struct detector *d)
{
    const struct model_record *r = &d->model->rec;
    for (size_t i = 0; i < r->n_files; i++) {
        if (access(r->files[i].path, R_OK) != 0)
            return 0;
    }
    a->data = malloc((r->n_files + 1) * sizeof(char *));
    if (a->data == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_files; i++)
        a->data[a->n_data++] = r->files[i].path;
    return 0;
}

static int data_paths(struct os_args *a, struct detector *d, char ***own,
                      size_t *n_own)
{
    if (a->n_data > 0)
        return 0;
    int rc = record_paths(a, d);
    if (rc != 0 || a->n_data > 0)
        return rc;
    const struct model_record *r = &d->model->rec;
    free(a->data);
    a->data = NULL;
    rc = protocol_paths(d, own, n_own);
    /* Files given to train by relative path are found only from the
     * directory train ran in; "protocol 'my' not found" alone hid that. */
    if (rc != 0 && r->n_files > 0)
        return err_set(rc, "%s; the data files recorded at training (%s%s) "
                       "cannot be read from here: give them with --data",
                       err_msg(), r->files[0].path,
                       r->n_files > 1 ? ", ..." : "");
    if (rc == 0) {
        a->data = malloc((*n_own + 1) * sizeof(char *));
        if (a->data == NULL)
            return err_set(ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < *n_own; i++)
            a->data[a->n_data++] = (*own)[i];
    }
    return rc;
}

static int evaluate(struct os_args *a, struct detector *d,
                    const struct table *t, int user_data)
{
    uint8_t *held = unseen_rows(t, d, user_data);
    struct detector_split sp = { 0 }, nv = { 0 };
    struct test_set ts = { 0 };
    struct openset_report rep = { 0 };
    size_t n_known = 0;
    const char **known = detector_known_classes(d, &n_known);
    int32_t *known_of = malloc((t->n_classes + 1) * sizeof(int32_t));
    int rc = known && known_of ? 0 : err_set(ERR_NOMEM, "out of memory");

    if (rc == 0)
        rc = split_all(t, known, n_known, &d->model->rec, held,
                       a->mem.fit.seed, &sp, &nv);
    if (rc == 0 && held == NULL)
        log_warn("eval", "known-class test rows include rows the encoder "
                 "was trained on (no held-out validation rows to use)");
    a->known_unseen = held != NULL;
    if (rc == 0)
        rc = detector_fit_memo(d, t, sp.fit, sp.n_fit, sp.calib, sp.n_calib,
                               known, n_known, &a->mem.fit);
    if (rc == 0)
        rc = embed_test(d, t, &sp, &nv, &ts);
    if (rc == 0 && !a->no_conn)
        rc = eval_conn_link(d, t, &a->conn_rows, ts.row, ts.n, &a->conn);
    a->os.conn_pred = a->conn.pred;
    a->os.conn_order = a->conn.order;
    if (rc == 0 && a->context_split)
        rc = eval_context_setup(a, d->memo, ts.z, ts.row, ts.n,
                                a->os.seed);
    struct maml_model *mm = maml_learner_model(d->learner);
    a->os.head_lr = mm != NULL && !a->no_head ? mm->cfg.inner_lr : 0;
    for (size_t c = 0; rc == 0 && c < t->n_classes; c++)
        known_of[c] = memo_class_find(d->memo, t->class_names[c]);
    struct memo_labelled test = { ts.z, ts.y, ts.n };
    if (rc == 0)
        rc = openset_eval(d->memo, &test, known_of, t->n_classes, &a->os,
                          &rep);
    if (rc == 0)
        openset_warn_too_small(t, &rep);
    if (rc == 0 && a->json)
        openset_print_json(t, &rep, d->memo, a);
    else if (rc == 0)
        openset_print_text(t, &rep, d->memo, a);
    openset_report_fini(&rep);
    detector_split_fini(&sp);
    detector_split_fini(&nv);
    free(ts.x);
    free(ts.z);
    free(ts.y);
    free(ts.row);
    eval_conn_fini(&a->conn);
    eval_context_fini(&a->ctx);
    free(known);
    free(known_of);
    free(held);
    return rc;
}

/* The evaluation takes minutes: a model that could not be written at its
 * end is said before it starts (the same words as model_save's). */
static int out_writable(const char *path)
{
    char dir[4096];
    struct stat st;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return err_set(ERR_INVALID, "%.64s...: path too long", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';      /* "/x.model": the root */
    else
        *slash = '\0';
    if (access(dir, W_OK) != 0)
        return err_set(ERR_IO, "%s: cannot create: %s", path,
                       strerror(errno));
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(ERR_IO, "%s: not a regular file", path);
    return 0;
}

int cmd_eval_openset(int argc, char **argv)
{
    struct os_args a = { 0 };
    char **own = NULL;
    int user_data;
    size_t n_own = 0;
    struct table *t = NULL;

    openset_memory_opts_default(&a.mem);
    openset_opts_default(&a.os);
    int rc = parse(argc, argv, &a);
    if (rc != 0) {
        free(a.data);
        return rc < 0 ? 0 : rc;
    }
    if (a.out != NULL && out_writable(a.out) != 0) {
        free(a.data);
        return cli_fail(err_last());
    }
    struct detector *d = detector_load(a.model, 0);
    char dropped[512] = "";
    size_t n_dropped = d != NULL && a.out != NULL
                       ? openset_enrolled_names(d->memo, dropped,
                                                sizeof(dropped))
                       : 0;
    user_data = a.n_data > 0;
    if (d != NULL && d->memo != NULL && !a.space_given)
        a.mem.fit.space = (enum memo_space)d->memo->space;
    rc = d ? data_paths(&a, d, &own, &n_own) : err_last();
    if (rc == 0)
        rc = load_table(d, a.data, a.n_data, &t,
                        a.no_conn ? NULL : &a.conn_rows);
    if (rc == 0)
        rc = openset_check_test_classes(d, t);
    if (rc == 0)
        rc = evaluate(&a, d, t, user_data);
    if (rc == 0 && a.out != NULL)
        rc = detector_save(d, a.out);
    if (rc == 0 && n_dropped > 0)
        log_warn("eval", "%s holds a class memory rebuilt from the data: "
                 "the %zu class(es) enrolled into %s are not in it (%s); "
                 "enrol them again", a.out, n_dropped, a.model, dropped);
    eval_conn_rows_fini(&a.conn_rows);
    table_destroy(t);
    detector_destroy(d);
    if (own != NULL)
        protocol_paths_free(own, n_own);
    free(a.data);
    return rc == 0 ? 0 : cli_fail(rc);
}
