#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/normalizer.h"
#include "fewflow/rng.h"
#include "testutil.h"

/* Threaded classification (detector_pool) against the one-thread path,
 * on a small model trained here and a few thousand synthetic rows. */

#define N_ROWS 3001

static char model_path[512];

static int setup_model(void **state)
{
    char *out = NULL;
    int rc = testutil_train_small("threads", "SSH-Patator_2961",
                                  "Botnet_736", "--shot 5 --query 5 "
                                  "--episodes 20 --hidden 32 --emb 32",
                                  model_path, sizeof(model_path), &out);
    if (rc != 0)
        fprintf(stderr, "%s", out ? out : "");
    free(out);
    return rc == 0 ? 0 : -1;
}

/* Encoded rows whose normalised values are standard normal, plus a few
 * far outside the training range: a mix of classes and unknowns. */
static float *synthetic_rows(const struct detector *d, size_t n)
{
    struct rng r;
    float *x = malloc(n * d->n_in * sizeof(float));
    assert_non_null(x);
    rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        float scale = i % 10 == 0 ? 8.0f : 1.0f;
        for (size_t j = 0; j < d->n_in; j++)
            x[i * d->n_in + j] = (float)normalizer_inverse_value(
                d->norm, (uint32_t)j, scale * rng_normal(&r));
    }
    return x;
}

static void same_decision(const struct memo_decision *a,
                          const struct memo_decision *b)
{
    assert_int_equal(a->cls, b->cls);
    assert_memory_equal(&a->dist, &b->dist, sizeof(float));
    assert_memory_equal(&a->radius, &b->radius, sizeof(float));
    assert_memory_equal(&a->score, &b->score, sizeof(float));
    assert_int_equal(a->n_near, b->n_near);
    for (uint32_t k = 0; k < a->n_near; k++) {
        assert_int_equal(a->near[k].cls, b->near[k].cls);
        assert_memory_equal(&a->near[k].dist, &b->near[k].dist,
                            sizeof(float));
    }
}

/* Classifies x (copied) in batches of `batch` on `threads` threads. */
static void pool_run(struct detector *d, const float *x0, size_t n,
                     size_t threads, size_t batch, float *z,
                     struct memo_decision *out)
{
    float *x = malloc(n * d->n_in * sizeof(float));
    assert_non_null(x);
    memcpy(x, x0, n * d->n_in * sizeof(float));
    struct detector_pool *p = detector_pool_create(d, threads, batch);
    assert_non_null(p);
    assert_int_equal(detector_pool_threads(p), threads);
    for (size_t at = 0; at < n; at += batch) {
        size_t m = n - at < batch ? n - at : batch;
        assert_int_equal(detector_pool_classify(p, x + at * d->n_in, m,
                                                z + at * d->dim, out + at),
                         0);
    }
    detector_pool_destroy(p);
    free(x);
}

static void threads_decide_exactly_as_one(void **state)
{
    struct detector *d = detector_load(model_path, 1);
    assert_non_null(d);
    float *x = synthetic_rows(d, N_ROWS);
    float *x1 = malloc(N_ROWS * d->n_in * sizeof(float));
    float *z1 = malloc(N_ROWS * d->dim * sizeof(float));
    float *z2 = malloc(N_ROWS * d->dim * sizeof(float));
    float *s = malloc(memo_batch_scratch(d->memo, N_ROWS) * sizeof(float));
    struct memo_decision *ref = malloc(N_ROWS * sizeof(*ref));
    struct memo_decision *got = malloc(N_ROWS * sizeof(*got));
    assert_true(x1 && z1 && z2 && s && ref && got);

    /* The one-thread path: the whole batch at once. */
    memcpy(x1, x, N_ROWS * d->n_in * sizeof(float));
    assert_int_equal(detector_embed(d, x1, N_ROWS, z1), 0);
    memo_decide_batch(d->memo, z1, N_ROWS, s, ref);
    size_t unknown = 0, known = 0;
    for (size_t i = 0; i < N_ROWS; i++) {
        unknown += ref[i].cls < 0;
        known += ref[i].cls >= 0;
    }
    assert_true(unknown > 0 && known > 0);

    /* Batches of one and three too: BLAS takes other kernels for a
     * matrix of one or a few rows, which once moved a score's last digits
     * with --batch. */
    const size_t runs[][2] = { { 2, N_ROWS }, { 3, N_ROWS }, { 2, 256 },
                               { 4, 100 }, { 2, 33 }, { 1, 500 },
                               { 3, 1000 }, { 1, 1 }, { 2, 1 }, { 1, 3 },
                               { 2, 3 }, { 1, 256 } };
    for (size_t k = 0; k < sizeof(runs) / sizeof(*runs); k++) {
        memset(z2, 0, N_ROWS * d->dim * sizeof(float));
        memset(got, 0, N_ROWS * sizeof(*got));
        pool_run(d, x, N_ROWS, runs[k][0], runs[k][1], z2, got);
        assert_memory_equal(z1, z2, N_ROWS * d->dim * sizeof(float));
        for (size_t i = 0; i < N_ROWS; i++)
            same_decision(&ref[i], &got[i]);
    }
    free(x);
    free(x1);
    free(z1);
    free(z2);
    free(s);
    free(ref);
    free(got);
    detector_destroy(d);
}

/* With many prototypes, BLAS computes the distance product of a single
 * row by another kernel than that of a full chunk, and a score once
 * changed in its last digits with --batch 1. The pool gives every product
 * one shape, so batches of 1, 3 and 256 on one or two threads agree to
 * the bit. */
static void batch_size_changes_no_bit(void **state)
{
    (void)state;
    enum { N = 400, PROTOS = 48 };
    struct detector *d = detector_load(model_path, 1);
    assert_non_null(d);
    float *x = synthetic_rows(d, N);
    float *z = malloc(N * d->dim * sizeof(float));
    float *z2 = malloc(N * d->dim * sizeof(float));
    struct memo_decision *ref = malloc(N * sizeof(*ref));
    struct memo_decision *got = malloc(N * sizeof(*got));
    assert_true(z && z2 && ref && got);
    /* Prototypes among the rows, so that distances are of every size. */
    memcpy(z2, x, PROTOS * d->n_in * sizeof(float));
    assert_int_equal(detector_embed(d, z2, PROTOS, z), 0);
    assert_true(memo_class_add(d->memo, "many", 0, z, PROTOS, 0.5f,
                               NULL) >= 0);

    pool_run(d, x, N, 1, 256, z, ref);
    const size_t runs[][2] = { { 1, 1 }, { 2, 1 }, { 1, 3 }, { 2, 3 },
                               { 2, 256 } };
    for (size_t k = 0; k < sizeof(runs) / sizeof(*runs); k++) {
        memset(z2, 0, N * d->dim * sizeof(float));
        pool_run(d, x, N, runs[k][0], runs[k][1], z2, got);
        assert_memory_equal(z, z2, N * d->dim * sizeof(float));
        for (size_t i = 0; i < N; i++)
            same_decision(&ref[i], &got[i]);
    }
    free(x);
    free(z);
    free(z2);
    free(ref);
    free(got);
    detector_destroy(d);
}

static void pool_limits(void **state)
{
    struct detector *d = detector_load(model_path, 1);
    assert_non_null(d);
    struct detector_pool *p = detector_pool_create(d, 2, 8);
    assert_non_null(p);
    float x[9 * 128], z[9 * 64];
    struct memo_decision out[9];
    assert_true(d->n_in <= 128 && d->dim <= 64);
    assert_int_equal(detector_pool_classify(p, x, 0, z, out), 0);
    assert_int_equal(detector_pool_classify(p, x, 9, z, out), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "9 rows"));
    detector_pool_destroy(p);
    assert_true(detector_threads_default() >= 1);
    assert_true(detector_threads_default() <= DETECTOR_THREADS_DEFAULT_MAX);
    detector_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_decide_exactly_as_one),
        cmocka_unit_test(batch_size_changes_no_bit),
        cmocka_unit_test(pool_limits),
    };
    return cmocka_run_group_tests(tests, setup_model, NULL);
}
