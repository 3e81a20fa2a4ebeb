/*
 * Speed and memory of one outer MAML update on a fixed synthetic episode
 * shape, for bench/maml_speed.sh (the PyTorch peer is bench/maml_torch.py
 * speed, same shape and defaults). Prints one JSON line.
 *
 * usage: maml_step [--method maml|fomaml|anil] [--steps S] [--dim D]
 *                  [--way N] [--shot K] [--query Q] [--meta-batch B]
 *                  [--iters I] [--repeats R] [--warmup W]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fewflow/err.h"
#include "fewflow/maml.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"

struct opts {
    const char *method;
    int steps, dim, way, shot, query, batch, iters, repeats, warmup;
};

static void opts_parse(struct opts *o, int argc, char **argv)
{
    *o = (struct opts){"maml", 5, 78, 5, 5, 15, 4, 20, 5, 5};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        int v = atoi(argv[i + 1]);
        if (!strcmp(k, "--method")) o->method = argv[i + 1];
        else if (!strcmp(k, "--steps")) o->steps = v;
        else if (!strcmp(k, "--dim")) o->dim = v;
        else if (!strcmp(k, "--way")) o->way = v;
        else if (!strcmp(k, "--shot")) o->shot = v;
        else if (!strcmp(k, "--query")) o->query = v;
        else if (!strcmp(k, "--meta-batch")) o->batch = v;
        else if (!strcmp(k, "--iters")) o->iters = v;
        else if (!strcmp(k, "--repeats")) o->repeats = v;
        else if (!strcmp(k, "--warmup")) o->warmup = v;
    }
}

/* CPU seconds of this process: on a machine shared with other jobs the
 * wall clock measures the neighbours as much as us. */
static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct maml_model *model_make(const struct opts *o, struct rng *r)
{
    struct maml_config c;
    maml_config_default(&c);
    if (maml_method_parse(o->method, &c.method) < 0)
        return NULL;
    c.way = o->way;
    c.inner_steps_train = o->steps;
    c.meta_batch = o->batch;
    struct nn_mlp_config e = {.n_layers = 3,
                              .widths = {o->dim, 128, 128, 64},
                              .act = NN_ACT_RELU};
    return maml_model_create(&c, &e, r);
}

static void rows_fill(float *x, int *y, int n_per, int way, int dim,
                      struct rng *r)
{
    for (int i = 0; i < n_per * way; i++) {
        y[i] = i / n_per;
        for (int j = 0; j < dim; j++)
            x[(size_t)i * dim + j] = rng_normal(r);
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    opts_parse(&o, argc, argv);
    struct rng r;
    rng_seed(&r, 1);
    struct maml_model *m = model_make(&o, &r);
    if (!m) {
        fprintf(stderr, "maml_step: %s\n", err_msg());
        return 2;
    }
    int ns = o.way * o.shot, nq = o.way * o.query;
    float *xs = malloc((size_t)ns * o.dim * sizeof(float));
    float *xq = malloc((size_t)nq * o.dim * sizeof(float));
    int *ys = malloc(ns * sizeof(int)), *yq = malloc(nq * sizeof(int));
    rows_fill(xs, ys, o.shot, o.way, o.dim, &r);
    rows_fill(xq, yq, o.query, o.way, o.dim, &r);
    struct maml_task *tasks = malloc(o.batch * sizeof(*tasks));
    for (int i = 0; i < o.batch; i++)
        tasks[i] = (struct maml_task){xs, ys, ns, xq, yq, nq};
    struct nn_optim opt;
    float *scratch = malloc(2 * m->params.size * sizeof(float));
    struct tensor_arena *ar = tensor_arena_create(0);
    if (!ar || !scratch || maml_optim_init(m, &opt) < 0) {
        fprintf(stderr, "maml_step: out of memory\n");
        return 1;
    }
    long rss0 = peak_rss_kib();
    for (int i = 0; i < o.warmup; i++)
        maml_train_step(m, &opt, ar, tasks, o.batch, scratch, NULL);
    double *times = malloc(o.repeats * sizeof(double));
    for (int k = 0; k < o.repeats; k++) {
        double t0 = cpu_now_s();
        for (int i = 0; i < o.iters; i++) {
            int rc = maml_train_step(m, &opt, ar, tasks, o.batch, scratch,
                                     NULL);
            if (rc < 0) {
                fprintf(stderr, "maml_step: %s\n", err_msg());
                return 1;
            }
        }
        times[k] = (cpu_now_s() - t0) / o.iters;
    }
    qsort(times, o.repeats, sizeof(double), cmp_double);
    double med = times[o.repeats / 2];
    long rss = peak_rss_kib();
    printf("{\"peer\": \"fewflow\", \"method\": \"%s\", \"inner_steps\": %d, "
           "\"meta_batch\": %d, \"median_step_ms\": %.3f, "
           "\"steps_per_s\": %.1f, \"peak_rss_kib\": %ld, "
           "\"step_rss_kib\": %ld, \"arena_high_water_kib\": %zu}\n",
           o.method, o.steps, o.batch, med * 1e3, 1.0 / med, rss, rss - rss0,
           tensor_arena_high_water(ar) / 1024);
    tensor_arena_destroy(ar);
    nn_optim_fini(&opt);
    maml_model_destroy(m);
    free(times); free(scratch); free(tasks);
    free(xs); free(xq); free(ys); free(yq);
    return 0;
}
