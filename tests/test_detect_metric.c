/*
 * The diagonal metric of enrolled classes (detect.h, enum memo_metric):
 * pooled and shrunk weights and the distance they give, against figures
 * computed independently with NumPy on a three-dimensional case; the
 * batched decision agrees with the one-row one; the model section keeps
 * the metric.
 *
 * Reference (NumPy, float64):
 *   A = [[0,0,0],[2,0,1],[0,1,0],[2,1,1]], B = [[5,5,5],[5,7,5],[5,5,8]]
 *   v = (A.var(0, ddof=1) + B.var(0, ddof=1)) / 2 = [2/3, 5/6, 5/3]
 *   w = 1 / (v + 1e-3 v.mean()), divided by its geometric mean
 *   S = [[1,1,1],[1,3,1],[2,1,1]] (the enrolled flows), q = [3, 2, 0.5]
 *   min over S of sqrt(sum w (q - s)^2)
 *   shrunk: v_S = 3/4 S.var(0, ddof=1) + 1/4 v, weights as above.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fewflow/bytes.h"
#include "fewflow/detect.h"
#include "testutil.h"

static const float rows_ab[7 * 3] = {
    0, 0, 0, 2, 0, 1, 0, 1, 0, 2, 1, 1,
    5, 5, 5, 5, 7, 5, 5, 5, 8,
};
static const float benign_rows[2 * 3] = { 9, 9, 9, -9, 0, 3 };
static const float support[3 * 3] = { 1, 1, 1, 1, 3, 1, 2, 1, 1 };
static const float query[3] = { 3, 2, 0.5f };

/* BENIGN, A and B as known classes, the metric measured on their rows. */
static struct memo *memory_with(enum memo_metric mode)
{
    float z[9 * 3];
    int32_t y[9] = { 1, 1, 1, 1, 2, 2, 2, 0, 0 };
    const float zero[3] = { 0, 0, 0 }, far[3] = { 50, 50, 50 };
    int benign[3] = { 1, 0, 0 };
    struct memo *m = memo_create(3, 0);

    memcpy(z, rows_ab, sizeof(rows_ab));
    memcpy(z + 7 * 3, benign_rows, sizeof(benign_rows));
    struct memo_labelled cal = { z, y, 9 };
    assert_non_null(m);
    assert_true(memo_class_add(m, "BENIGN", MEMO_CLASS_BENIGN, far, 1, 1,
                               NULL) >= 0);
    assert_true(memo_class_add(m, "A", 0, zero, 1, 1, NULL) >= 0);
    assert_true(memo_class_add(m, "B", 0, far, 1, 1, NULL) >= 0);
    assert_int_equal(memo_metric_fit(m, &cal, benign, 3, mode), 0);
    return m;
}

static float enrolled_distance(struct memo *m, const char *name)
{
    struct memo_enroll_opts o;
    struct memo_eval ev[8];

    memo_enroll_opts_default(&o);
    assert_int_equal(memo_enroll(m, name, support, 3, NULL, &o), 0);
    int32_t c = memo_class_find(m, name);
    assert_true(c >= 0 && m->n_classes <= 8);
    memo_evaluate(m, query, ev);
    return ev[c].dist;
}

static void pooled_metric_matches_numpy(void **state)
{
    (void)state;
    struct memo *m = memory_with(MEMO_METRIC_POOLED);
    float w[3];

    assert_int_equal(m->metric, MEMO_METRIC_POOLED);
    assert_float_near(m->metric_var[0], 2.0 / 3, 1e-6);
    assert_float_near(m->metric_var[1], 5.0 / 6, 1e-6);
    assert_float_near(m->metric_var[2], 5.0 / 3, 1e-6);
    assert_int_equal(memo_metric_weights(m, support, 3, w), 0);
    assert_float_near(w[0], 1.46139244, 1e-5);
    assert_float_near(w[1], 1.1694837, 1e-5);
    assert_float_near(w[2], 0.58511195, 1e-5);
    /* Euclidean, the nearest flow is 1.5 away; weighted, 1.66648 */
    assert_float_near(enrolled_distance(m, "new"), 1.66647956, 1e-5);
    assert_non_null(m->cls[3].w);
    assert_null(m->cls[0].w);
    assert_null(m->cls[1].w);
    memo_destroy(m);
}

static void shrunk_metric_matches_numpy(void **state)
{
    (void)state;
    struct memo *m = memory_with(MEMO_METRIC_SHRUNK);
    float w[3];

    assert_int_equal(memo_metric_weights(m, support, 3, w), 0);
    assert_float_near(w[0], 1.42525574, 1e-5);
    assert_float_near(w[1], 0.49228251, 1e-5);
    assert_float_near(w[2], 1.42525574, 1e-5);
    assert_float_near(enrolled_distance(m, "new"), 1.50792977, 1e-5);
    /* one flow has no spread of its own: the pooled weights */
    assert_int_equal(memo_metric_weights(m, support, 1, w), 0);
    assert_float_near(w[0], 1.46139244, 1e-5);
    memo_destroy(m);
}

static void no_metric_stays_euclidean(void **state)
{
    (void)state;
    struct memo *m = memory_with(MEMO_METRIC_NONE);
    float w[3] = { 7, 7, 7 };

    assert_int_equal(m->metric, MEMO_METRIC_NONE);
    assert_null(m->metric_var);
    assert_int_equal(memo_metric_weights(m, support, 3, w), 1);
    assert_float_near(w[0], 7, 0);
    assert_float_near(enrolled_distance(m, "new"), 1.5, 1e-6);
    assert_null(m->cls[3].w);
    memo_destroy(m);
}

/* A benign class enrolled from a few flows keeps the Euclidean distance:
 * the metric describes how attack classes spread. */
static void benign_enrolment_has_no_metric(void **state)
{
    (void)state;
    struct memo *m = memory_with(MEMO_METRIC_POOLED);
    struct memo_enroll_opts o;

    memo_enroll_opts_default(&o);
    o.is_benign = 1;
    assert_int_equal(memo_enroll(m, "lan", support, 3, NULL, &o), 0);
    assert_null(m->cls[memo_class_find(m, "lan")].w);
    memo_destroy(m);
}

static void batch_agrees_with_one_row(void **state)
{
    (void)state;
    struct memo *m = memory_with(MEMO_METRIC_SHRUNK);
    float z[4 * 3] = { 3, 2, 0.5f, 1, 1, 1.2f, 4, 4, 4, -1, 0, 2 };
    struct memo_decision one, many[4];

    (void)enrolled_distance(m, "new");
    float *scratch = malloc(memo_batch_scratch(m, 4) * sizeof(float));
    assert_non_null(scratch);
    memo_decide_batch(m, z, 4, scratch, many);
    for (int r = 0; r < 4; r++) {
        memo_decide(m, z + r * 3, &one);
        assert_int_equal(one.cls, many[r].cls);
        assert_int_equal(one.n_near, many[r].n_near);
        for (uint32_t i = 0; i < one.n_near; i++) {
            assert_int_equal(one.near[i].cls, many[r].near[i].cls);
            assert_float_near(one.near[i].dist, many[r].near[i].dist, 1e-4);
        }
        assert_float_near(one.score, many[r].score, 1e-4);
    }
    free(scratch);
    memo_destroy(m);
}

static void metric_is_stored(void **state)
{
    (void)state;
    struct memo *m = memory_with(MEMO_METRIC_SHRUNK);
    struct bytes_writer w;
    struct memo_eval a[4], b[4];

    (void)enrolled_distance(m, "new");
    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    struct memo *back = memo_read(w.data, w.len, "t.model");
    assert_non_null(back);
    assert_int_equal(back->metric, MEMO_METRIC_SHRUNK);
    for (int j = 0; j < 3; j++) {
        assert_float_near(back->metric_var[j], m->metric_var[j], 0);
        assert_float_near(back->cls[3].w[j], m->cls[3].w[j], 0);
    }
    assert_null(back->cls[1].w);
    memo_evaluate(m, query, a);
    memo_evaluate(back, query, b);
    assert_float_near(a[3].dist, b[3].dist, 0);
    /* a zero weight is not a metric: refused, with the section named */
    size_t at = 0;
    for (size_t i = 0; i + 4 <= w.len; i++) {
        float f;
        memcpy(&f, w.data + i, 4);
        if (f == m->cls[3].w[0]) {
            at = i;
            break;
        }
    }
    assert_true(at > 0);
    memset(w.data + at, 0, 4);
    size_t body = w.len - 4;
    uint32_t crc = bytes_crc32(0, w.data, body);
    for (int i = 0; i < 4; i++)
        w.data[body + (size_t)i] = (uint8_t)(crc >> (8 * i));
    assert_null(memo_read(w.data, w.len, "t.model"));
    memo_destroy(back);
    bytes_writer_fini(&w);
    memo_destroy(m);
}

/* The input check by hand: support inputs (0,0), (2,0); spread = 2 ×
 * median nearest distance = 4; radius = sqrt(xrel · spread · xabs) =
 * sqrt(1.5 · 4 · 3) = sqrt(18). */
static void input_check_by_hand(void **state)
{
    (void)state;
    struct memo *m = memo_create(3, 2);
    const float zs[2 * 3] = { 0, 0, 0, 0.1f, 0, 0 };
    const float xs[2 * 2] = { 0, 0, 2, 0 };
    const float z[3] = { 0.05f, 0, 0 };
    const float inside[2] = { 3, 4 }, outside[2] = { 5, 4 };
    struct memo_enroll_opts o;
    struct memo_eval ev[1];

    assert_non_null(m);
    m->xcheck = 1;
    m->kshot_abs[2] = 1;
    m->xkshot_abs[2] = 3;
    m->xkshot_rel[2] = 1.5f;
    memo_enroll_opts_default(&o);
    o.rule = MEMO_RADIUS_KSHOT;
    assert_int_equal(memo_enroll(m, "new", zs, 2, xs, &o), 0);
    assert_int_equal(m->cls[0].n_xs, 2);
    assert_float_near(m->cls[0].x_radius, sqrt(18.0), 1e-5);
    memo_evaluate(m, z, ev);
    assert_float_near(ev[0].ratio, 0.05, 1e-6);
    memo_xcheck(m, inside, ev);    /* held by both: the larger ratio */
    assert_float_near(ev[0].ratio, sqrt(17.0) / sqrt(18.0), 1e-5);
    assert_true(ev[0].ratio <= 1);
    memo_xcheck(m, outside, ev);
    assert_float_near(ev[0].ratio, 5 / sqrt(18.0), 1e-5);
    /* no check without inputs, or for a benign class */
    memo_evaluate(m, z, ev);
    memo_xcheck(m, NULL, ev);
    assert_float_near(ev[0].ratio, 0.05, 1e-6);
    o.is_benign = 1;
    assert_int_equal(memo_enroll(m, "lan", zs, 2, xs, &o), 0);
    assert_null(m->cls[1].xs);
    memo_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pooled_metric_matches_numpy),
        cmocka_unit_test(shrunk_metric_matches_numpy),
        cmocka_unit_test(no_metric_stays_euclidean),
        cmocka_unit_test(benign_enrolment_has_no_metric),
        cmocka_unit_test(batch_agrees_with_one_row),
        cmocka_unit_test(metric_is_stored),
        cmocka_unit_test(input_check_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
