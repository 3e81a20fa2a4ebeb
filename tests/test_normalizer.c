/*
 * The normaliser: fitted only on the rows given, safe for constant
 * columns, log1p only where the rule says, exact inverse and a bit-exact
 * save/load. Expected values are worked out by hand in the comments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/normalizer.h"
#include "testutil.h"

/* Column a: class "in" has 1,2,3,4, class "out" has 1000 (must not count).
 * Column b: constant 7 in "in". Column c: heavy tail 0,0,0,1000 in "in".
 * Column d: negative values -1,-2,-3,-50 (never log). */
static struct table *make_table(void)
{
    const char *names[] = { "a", "b", "c", "d" };
    static const float rows[5][4] = {
        { 1, 7, 0, -1 }, { 2, 7, 0, -2 }, { 3, 7, 0, -3 },
        { 4, 7, 1000, -50 }, { 1000, 9, 5, 100 },
    };
    struct table *t = table_create(4, names);

    assert_non_null(t);
    for (int i = 0; i < 4; i++)
        assert_int_equal(table_append(t, rows[i], "in"), 0);
    assert_int_equal(table_append(t, rows[4], "out"), 0);
    return t;
}

static void fits_only_the_given_classes(void **state)
{
    struct table *t = make_table();
    int32_t in = table_class_id(t, "in");
    struct normalizer *nz = normalizer_fit_classes(t, &in, 1, 1);

    assert_non_null(nz);
    /* Column a over 1..4: mean 2.5, population variance 1.25. */
    assert_float_near(nz->mean[0], 2.5, 1e-12);
    assert_float_near(nz->scale[0], sqrt(1.25), 1e-12);
    assert_int_equal(nz->use_log[0], 0);
    /* Column b is constant on the fitted rows: scale 1, maps to 0. */
    assert_float_near(nz->mean[1], 7.0, 0);
    assert_float_near(nz->scale[1], 1.0, 0);
    /* Column c: max 1000 > 1, but one spike among n = 4 values has
     * skewness (n-2)/sqrt(n-1) = 1.1547, below 2: no log. */
    assert_int_equal(nz->use_log[2], 0);
    assert_int_equal(nz->use_log[3], 0);

    size_t rows[3] = { 0, 1, 2 };
    struct normalizer *nz3 = normalizer_fit(t, rows, 3, 1);
    assert_float_near(nz3->mean[0], 2.0, 1e-12);
    normalizer_destroy(nz3);
    normalizer_destroy(nz);
    table_destroy(t);
}

static void log1p_is_chosen_for_heavy_tails(void **state)
{
    const char *names[] = { "bytes", "neg" };
    struct table *t = table_create(2, names);

    /* 99 zeros and one 1e6: skewness (n-2)/sqrt(n-1) = 98/sqrt(99) = 9.85. */
    for (int i = 0; i < 100; i++) {
        float row[2] = { i == 99 ? 1e6f : 0.0f, i == 99 ? -1e6f : 0.0f };
        assert_int_equal(table_append(t, row, "x"), 0);
    }
    struct normalizer *nz = normalizer_fit(t, NULL, 0, 1);
    assert_int_equal(nz->use_log[0], 1);
    assert_int_equal(nz->use_log[1], 0);
    /* Mean of log1p: log1p(1e6) / 100. */
    assert_float_near(nz->mean[0], log1p(1e6) / 100.0, 1e-12);
    normalizer_destroy(nz);
    nz = normalizer_fit(t, NULL, 0, 0);
    assert_int_equal(nz->use_log[0], 0);
    normalizer_destroy(nz);
    table_destroy(t);
}

static void apply_then_inverse_gives_back_the_input(void **state)
{
    struct table *t = make_table();
    struct normalizer *nz = normalizer_fit(t, NULL, 0, 1);
    float *x = malloc(t->n_rows * t->n_cols * sizeof(float));

    memcpy(x, t->x, t->n_rows * t->n_cols * sizeof(float));
    normalizer_apply(nz, x, t->n_rows);
    /* Column a over all five rows: mean 202, z of row 0 = (1-202)/sd. */
    double sd = sqrt((201.0 * 201 + 200 * 200 + 199 * 199 + 198 * 198 +
                      798.0 * 798) / 5.0);
    assert_float_near(x[0], (1.0 - 202.0) / sd, 1e-6);
    normalizer_inverse(nz, x, t->n_rows);
    for (size_t k = 0; k < t->n_rows * t->n_cols; k++)
        assert_float_near(x[k], t->x[k], 1e-3 * (1 + fabsf(t->x[k])));
    free(x);
    normalizer_destroy(nz);
    table_destroy(t);
}

static void odd_inputs_stay_finite(void **state)
{
    struct table *t = make_table();
    int32_t in = table_class_id(t, "in");
    struct normalizer *nz = normalizer_fit_classes(t, &in, 1, 1);
    float row[4] = { NAN, 3.4e38f, INFINITY, -3.4e38f };

    normalizer_apply(nz, row, 1);
    for (int j = 0; j < 4; j++)
        assert_true(isfinite(row[j]));
    assert_float_near(row[0], (0.0 - 2.5) / sqrt(1.25), 1e-6);
    assert_true(row[1] == NORMALIZER_CLAMP);
    assert_true(row[3] == -NORMALIZER_CLAMP);
    size_t bad_row = 99;
    assert_null(normalizer_fit(t, &bad_row, 1, 1));
    assert_int_equal(err_last(), ERR_RANGE);
    normalizer_destroy(nz);
    table_destroy(t);
}

static void save_and_load_are_bit_exact(void **state)
{
    struct table *t = make_table();
    struct normalizer *nz = normalizer_fit(t, NULL, 0, 1), *back = NULL;
    struct bytes_writer w;
    struct bytes_reader r;

    bytes_writer_init(&w);
    assert_int_equal(normalizer_write(nz, &w), 0);
    bytes_reader_init(&r, w.data, w.len);
    assert_int_equal(normalizer_read(&r, &back), 0);
    assert_int_equal(back->n_cols, nz->n_cols);
    assert_memory_equal(back->mean, nz->mean, 4 * sizeof(double));
    assert_memory_equal(back->scale, nz->scale, 4 * sizeof(double));
    assert_memory_equal(back->use_log, nz->use_log, 4);
    for (size_t n = 0; n < w.len; n++) {
        struct normalizer *bad = NULL;
        bytes_reader_init(&r, w.data, n);
        assert_int_equal(normalizer_read(&r, &bad), ERR_FORMAT);
        assert_null(bad);
    }
    /* A zero scale would divide by zero: rejected. */
    memset(w.data + w.len - 8, 0, 8);
    bytes_reader_init(&r, w.data, w.len);
    struct normalizer *bad = NULL;
    assert_int_equal(normalizer_read(&r, &bad), ERR_FORMAT);
    bytes_writer_fini(&w);
    normalizer_destroy(back);
    normalizer_destroy(nz);
    table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fits_only_the_given_classes),
        cmocka_unit_test(log1p_is_chosen_for_heavy_tails),
        cmocka_unit_test(apply_then_inverse_gives_back_the_input),
        cmocka_unit_test(odd_inputs_stay_finite),
        cmocka_unit_test(save_and_load_are_bit_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
