/*
 * Classification throughput: flows per second through the normaliser,
 * the encoder and the open-set decision, on rows of a flow CSV encoded
 * with the model's schema (repeated to fill `total` flows), in batches.
 * Prints one line per thread count and batch size: median of `reps` runs.
 * Threads go through detector_pool (threads = 1 is the same pool with the
 * caller's thread only).
 *
 * usage: detect_speed MODEL CSV [TOTAL] [REPS] [THREADS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/progress.h"

struct rows {
    float *x;
    size_t n, cap, n_in;
};

static int keep(const struct detector_flow *f, void *user)
{
    struct rows *r = user;
    if (f == NULL || r->n == r->cap)
        return 0;
    memcpy(r->x + r->n++ * r->n_in, f->x, r->n_in * sizeof(float));
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double t_cpu;

/* CPU seconds of the whole process (all threads): on a shared machine
 * this, not wall time, says what the work costs. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double run(struct detector *d, struct detector_pool *p,
                  const struct rows *r, size_t total, size_t batch, float *x,
                  float *z, struct memo_decision *dec)
{
    double t0 = progress_now_s(), c0 = cpu_now();
    for (size_t done = 0; done < total; done += batch) {
        size_t n = total - done < batch ? total - done : batch;
        for (size_t i = 0; i < n; i++)
            memcpy(x + i * d->n_in, r->x + ((done + i) % r->n) * d->n_in,
                   d->n_in * sizeof(float));
        if (detector_pool_classify(p, x, n, z, dec) != 0)
            exit(2);
    }
    t_cpu = cpu_now() - c0;
    return (double)total / (progress_now_s() - t0);
}

static void measure(struct detector *d, const struct rows *r, size_t total,
                    int reps, size_t threads, size_t batch)
{
    float *x = malloc(batch * d->n_in * sizeof(float));
    float *z = malloc(batch * d->dim * sizeof(float));
    struct memo_decision *dec = malloc(batch * sizeof(*dec));
    struct detector_pool *p = detector_pool_create(d, threads, batch);
    double v[16], cpu[16];
    size_t n_protos = 0;

    for (size_t c = 0; c < d->memo->n_classes; c++)
        n_protos += d->memo->cls[c].n_protos;
    if (!x || !z || !dec || !p) {
        fprintf(stderr, "%s\n", err_msg());
        exit(2);
    }
    for (int k = 0; k < reps; k++) {
        v[k] = run(d, p, r, total, batch, x, z, dec);
        cpu[k] = (double)total / t_cpu;
    }
    qsort(v, (size_t)reps, sizeof(double), cmp);
    qsort(cpu, (size_t)reps, sizeof(double), cmp);
    printf("threads %zu batch %5zu: %.0f flows/s wall, %.0f flows per CPU s "
           "(medians of %d, %zu flows, %zu inputs -> %zu-d, %zu classes, "
           "%zu prototypes)\n", threads, batch, v[reps / 2],
           cpu[reps / 2], reps, total, d->n_in, d->dim,
           d->memo->n_classes, n_protos);
    fflush(stdout);
    detector_pool_destroy(p);
    free(x);
    free(z);
    free(dec);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL CSV [TOTAL] [REPS]\n", argv[0]);
        return 2;
    }
    size_t total = argc > 3 ? (size_t)atol(argv[3]) : 1000000;
    int reps = argc > 4 ? atoi(argv[4]) : 5;
    reps = reps < 1 ? 1 : reps > 16 ? 16 : reps;
    struct detector *d = detector_load(argv[1], 1);
    if (d == NULL) {
        fprintf(stderr, "%s\n", err_msg());
        return 2;
    }
    struct rows r = { malloc(20000 * d->n_in * sizeof(float)), 0, 20000,
                      d->n_in };
    struct detector_input in = { 0 };
    struct detector_input_stats st;
    const char *csv = argv[2];
    in.csvs = &csv;
    in.n_csvs = 1;
    if (detector_read_flows(d, &in, keep, &r, &st) != 0 || r.n == 0) {
        fprintf(stderr, "%s\n", err_msg());
        return 2;
    }
    size_t batches[3] = { 256, 1024, 4096 };
    for (int a = 5; a < argc || a == 5; a++) {
        size_t threads = a < argc ? (size_t)atol(argv[a]) : 1;
        for (int b = 0; b < 3; b++)
            measure(d, &r, total, reps, threads, batches[b]);
    }
    free(r.x);
    detector_destroy(d);
    return 0;
}
