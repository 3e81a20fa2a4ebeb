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

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    struct maml_config c;
    maml_config_default(&c);
    struct shape sh = {5, 5, 15};
    int episodes = 2000, test_eps = 1000;
    uint64_t seed = 1;
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
            episode_draw(&d.train, &sh, d.cols, &r, xs + off * d.cols,
                         ys + off, &ns, xq + off * d.cols, yq + off, &nq);
            tasks[k] = (struct maml_task){xs + off * d.cols, ys + off, ns,
                                          xq + off * d.cols, yq + off, nq};
        }
        if (maml_train_step(m, &o, ar, tasks, b, scratch, NULL) < 0) {
            fprintf(stderr, "maml_acc: %s\n", err_msg());
            return 1;
        }
    }
    double sum = 0.0, sumsq = 0.0;
    for (int t = 0; t < test_eps; t++) {
        int ns, nq;
        double acc;
        episode_draw(&d.test, &sh, d.cols, &r, xs, ys, &ns, xq, yq, &nq);
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
