/*
 * Accuracy of fewflow's MAML on exactly the features the PyTorch peer
 * uses: `maml_torch.py dump --protocol P --out BASE` writes BASE.idx (one
 * line per class: split, name, rows, cols) and BASE.f32 (the rows); this
 * program meta-trains on the "train" classes and scores test episodes,
 * with the same shape and defaults as `maml_torch.py accuracy`. Prints one
 * JSON line. It separates the learner from feature preparation; the
 * end-to-end figure is `fewflow train/eval --method maml`.
 *
 * usage: maml_acc BASE [--method M] [--shot K] [--episodes E]
 *                      [--test-episodes T] [--seed S] [--meta-sgd 1]
 *                      [--trace TRACE] [--init I]
 *
 * --init overrides the model's initialisation for experiments: "torch"
 * draws every weight and bias from nn.Linear's default U(+-1/sqrt(fan_in)),
 * "zero-head" starts the head at zero (it still learns), "torch-zero-head"
 * does both; "torch-w" draws only the encoder's weights that way (biases
 * stay zero), "torch-b" only the encoder's biases (weights stay Kaiming).
 *
 * With --trace, the initial parameters and every training and test
 * episode come from `maml_torch.py accuracy --dump BASE --trace TRACE`
 * (TRACE.init, TRACE.eps) instead of fewflow's own draws, and the loss of
 * each update goes to TRACE.c.loss beside the peer's TRACE.loss: both
 * implementations then run the same computation, so any difference is
 * arithmetic, not sampling or initialisation. --init-from TRACE takes only
 * the initial parameters from TRACE.init and draws its own episodes;
 * --train-from TRACE replays the training episodes too but draws its own
 * test episodes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/maml.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"

enum { MAX_CLASSES = 64 };

struct split {
    int n;
    int rows[MAX_CLASSES];
    float *x[MAX_CLASSES];
};

struct data {
    int cols;
    struct split train, test;
};

static int data_load(struct data *d, const char *base)
{
    char path[4096], split[16], name[256];
    snprintf(path, sizeof(path), "%s.idx", base);
    FILE *idx = fopen(path, "r");
    snprintf(path, sizeof(path), "%s.f32", base);
    FILE *raw = fopen(path, "rb");
    if (!idx || !raw)
        return -1;
    memset(d, 0, sizeof(*d));
    int rows, cols;
    while (fscanf(idx, "%15[^\t]\t%255[^\t]\t%d\t%d\n", split, name, &rows,
                  &cols) == 4) {
        struct split *s = strcmp(split, "train") ? &d->test : &d->train;
        if (s->n == MAX_CLASSES || rows < 1)
            return -1;
        s->x[s->n] = malloc((size_t)rows * cols * sizeof(float));
        if (fread(s->x[s->n], sizeof(float), (size_t)rows * cols, raw) !=
            (size_t)rows * cols)
            return -1;
        s->rows[s->n++] = rows;
        d->cols = cols;
    }
    fclose(idx);
    fclose(raw);
    return 0;
}

struct shape {
    int way, shot, query;
};

/* One episode: way classes with > shot rows, shot support rows each and
 * up to query query rows each, labels in a fresh random order. */
static void episode_draw(const struct split *s, const struct shape *sh,
                         int cols, struct rng *r, float *xs, int *ys,
                         int *ns, float *xq, int *yq, int *nq)
{
    int eligible[MAX_CLASSES], n = 0;
    for (int c = 0; c < s->n; c++)
        if (s->rows[c] > sh->shot)
            eligible[n++] = c;
    rng_shuffle_int(r, eligible, n);
    *ns = *nq = 0;
    static int perm[1 << 17];
    for (int j = 0; j < sh->way; j++) {
        int c = eligible[j], rows = s->rows[c];
        int take = rows < (1 << 17) ? rows : (1 << 17);
        for (int i = 0; i < take; i++)
            perm[i] = i;
        int need = sh->shot + sh->query < take ? sh->shot + sh->query : take;
        for (int i = 0; i < need; i++) {
            int k = i + (int)rng_below(r, (uint64_t)(take - i));
            int t = perm[i]; perm[i] = perm[k]; perm[k] = t;
        }
        for (int i = 0; i < need; i++) {
            const float *row = s->x[c] + (size_t)perm[i] * cols;
            int is_sup = i < sh->shot;
            float *dst = is_sup ? xs + (size_t)(*ns) * cols
                                : xq + (size_t)(*nq) * cols;
            memcpy(dst, row, cols * sizeof(float));
            if (is_sup)
                ys[(*ns)++] = j;
            else
                yq[(*nq)++] = j;
        }
    }
}

static void init_override(struct maml_model *m, const char *how,
                          struct rng *r)
{
    int torch_w = strncmp(how, "torch-w", 7) == 0;
    int torch_b = strncmp(how, "torch-b", 7) == 0;
    int torch = strncmp(how, "torch", 5) == 0 && !torch_w && !torch_b;
    int zero_head = strstr(how, "zero-head") != NULL;
    for (int k = 0; k < m->n_model_views; k++) {
        const struct nn_view *v = &m->params.views[k];
        float *p = m->params.data + v->offset;
        size_t n = (size_t)v->rows * v->cols;
        int is_head = k >= m->head_view;
        /* A bias view is one row; its fan-in is the weight view's rows. */
        float fan_in = (float)m->params.views[k & ~1].rows;
        int is_bias = k & 1;
        for (size_t i = 0; i < n; i++) {
            if (is_head && zero_head)
                p[i] = 0.0f;
            else if (torch || (!is_head && torch_w && !is_bias) ||
                     (!is_head && torch_b && is_bias))
                p[i] = (2.0f * rng_uniform(r) - 1.0f) / sqrtf(fan_in);
        }
    }
}

/* Trace replay (see the top of the file). */
struct trace {
    FILE *eps, *loss;
};

static int trace_open(struct trace *t, const char *base,
                      struct maml_model *m, int init_only)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s.init", base);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t got = fread(m->params.data, sizeof(float), m->n_model, f);
    fclose(f);
    if (init_only == 1)
        return got == m->n_model ? 0 : -1;
    snprintf(path, sizeof(path), "%s.eps", base);
    t->eps = fopen(path, "r");
    snprintf(path, sizeof(path), "%s.c.loss", base);
    t->loss = fopen(path, "w");
    return got == m->n_model && t->eps && t->loss ? 0 : -1;
}

/* The next traced episode of split s into xs/ys and xq/yq. */
static int trace_episode(struct trace *t, const struct split *s, int cols,
                         float *xs, int *ys, int *ns, float *xq, int *yq,
                         int *nq)
{
    char split[16];
    int n;
    if (fscanf(t->eps, "%15s %d", split, &n) != 2)
        return -1;
    *ns = *nq = 0;
    for (int i = 0; i < n; i++) {
        int c, r, label, is_q;
        if (fscanf(t->eps, "%d %d %d %d", &c, &r, &label, &is_q) != 4 ||
            c < 0 || c >= s->n || r < 0 || r >= s->rows[c])
            return -1;
        const float *row = s->x[c] + (size_t)r * cols;
        float *dst = is_q ? xq + (size_t)(*nq) * cols
                          : xs + (size_t)(*ns) * cols;
        memcpy(dst, row, cols * sizeof(float));
        if (is_q)
            yq[(*nq)++] = label;
        else
            ys[(*ns)++] = label;
    }
    return 0;
}

static int draw(struct trace *t, const struct split *s,
                const struct shape *sh, int cols, struct rng *r, float *xs,
                int *ys, int *ns, float *xq, int *yq, int *nq)
{
    if (t->eps)
        return trace_episode(t, s, cols, xs, ys, ns, xq, yq, nq);
    episode_draw(s, sh, cols, r, xs, ys, ns, xq, yq, nq);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    struct maml_config c;
    maml_config_default(&c);
    struct shape sh = {5, 5, 15};
    int episodes = 2000, test_eps = 1000;
    uint64_t seed = 1;
    const char *trace_base = NULL, *init = NULL;
    int init_only = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--method"))
            maml_method_parse(argv[i + 1], &c.method);
        else if (!strcmp(argv[i], "--shot")) sh.shot = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--episodes"))
            episodes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--test-episodes"))
            test_eps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--zero-head"))
            c.is_zero_head = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--meta-sgd"))
            c.is_meta_sgd = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--init"))
            init = argv[i + 1];
        else if (!strcmp(argv[i], "--trace"))
            trace_base = argv[i + 1];
        else if (!strcmp(argv[i], "--train-from")) {
            trace_base = argv[i + 1];
            init_only = 2;
        }
        else if (!strcmp(argv[i], "--init-from")) {
            trace_base = argv[i + 1];
            init_only = 1;
        }
        else if (!strcmp(argv[i], "--meta-lr"))
            c.meta_lr = strtof(argv[i + 1], NULL);
    }
    struct data d;
    if (data_load(&d, argv[1]) < 0) {
        fprintf(stderr, "maml_acc: cannot read %s.idx/.f32\n", argv[1]);
        return 2;
    }
    struct rng r;
    rng_seed(&r, seed);
    struct nn_mlp_config e = {.n_layers = 3,
                              .widths = {d.cols, 128, 128, 64},
                              .act = NN_ACT_RELU};
    struct maml_model *m = maml_model_create(&c, &e, &r);
    if (!m) {
        fprintf(stderr, "maml_acc: %s\n", err_msg());
        return 2;
    }
    if (init)
        init_override(m, init, &r);
    struct trace tr = {NULL, NULL};
    if (trace_base && trace_open(&tr, trace_base, m, init_only) < 0) {
        fprintf(stderr, "maml_acc: cannot read trace %s\n", trace_base);
        return 2;
    }
    int b = c.meta_batch, per = sh.shot + sh.query;
    size_t cap = (size_t)sh.way * per * d.cols;
    float *xs = malloc(b * cap * sizeof(float));
    float *xq = malloc(b * cap * sizeof(float));
    int *ys = malloc(b * sh.way * per * sizeof(int));
    int *yq = malloc(b * sh.way * per * sizeof(int));
    struct maml_task *tasks = malloc(b * sizeof(*tasks));
    float *scratch = malloc(2 * m->params.size * sizeof(float));
    float *phi = malloc(m->params.size * sizeof(float));
    struct tensor_arena *ar = tensor_arena_create(0);
    struct nn_optim o;
    maml_optim_init(m, &o);
    for (int u = 0; u < episodes / b; u++) {
        for (int k = 0; k < b; k++) {
            size_t off = (size_t)k * sh.way * per;
            int ns, nq;
            if (draw(&tr, &d.train, &sh, d.cols, &r, xs + off * d.cols,
                     ys + off, &ns, xq + off * d.cols, yq + off, &nq) < 0) {
                fprintf(stderr, "maml_acc: bad trace episode\n");
                return 2;
            }
            tasks[k] = (struct maml_task){xs + off * d.cols, ys + off, ns,
                                          xq + off * d.cols, yq + off, nq};
        }
        float loss;
        if (maml_train_step(m, &o, ar, tasks, b, scratch, &loss) < 0) {
            fprintf(stderr, "maml_acc: %s\n", err_msg());
            return 1;
        }
        if (tr.loss)
            fprintf(tr.loss, "%.7g\n", loss);
    }
    if (init_only == 2) {
        fclose(tr.eps);
        tr.eps = NULL;
    }
    double sum = 0.0, sumsq = 0.0;
    for (int t = 0; t < test_eps; t++) {
        int ns, nq;
        double acc;
        if (draw(&tr, &d.test, &sh, d.cols, &r, xs, ys, &ns, xq, yq,
                 &nq) < 0) {
            fprintf(stderr, "maml_acc: bad trace episode\n");
            return 2;
        }
        if (maml_adapt(m, ar, xs, ys, ns, c.inner_steps_test, phi) < 0 ||
            maml_accuracy(m, ar, phi, xq, yq, nq, &acc) < 0) {
            fprintf(stderr, "maml_acc: %s\n", err_msg());
            return 1;
        }
        sum += acc;
        sumsq += acc * acc;
    }
    double mean = sum / test_eps;
    double sd = sqrt((sumsq - test_eps * mean * mean) / (test_eps - 1));
    printf("{\"peer\": \"fewflow\", \"method\": \"%s\", \"shot\": %d, "
           "\"accuracy\": %.4f, \"ci95\": %.4f}\n", maml_method_name(c.method),
           sh.shot, mean, 1.96 * sd / sqrt(test_eps));
    return 0;
}
