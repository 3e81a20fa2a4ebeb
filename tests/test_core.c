#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/paths.h"
#include "fewflow/rng.h"
#include "testutil.h"

static void err_set_records_code_and_detail(void **state)
{
    int rc = err_set(ERR_PARSE, "%s:%d: bad field", "x.csv", 12);

    assert_int_equal(rc, ERR_PARSE);
    assert_int_equal(err_last(), ERR_PARSE);
    assert_string_equal(err_msg(), "x.csv:12: bad field");
    err_clear();
    assert_string_equal(err_msg(), "");
    assert_string_equal(err_str(ERR_CHECKSUM), "checksum mismatch");
    assert_string_equal(err_str(12345), "unknown error");
}

/* Callers wrap a lower-level error in context, passing err_msg() as an
 * argument: the new text must not be formatted over the old one while it
 * is still being read. */
static void err_set_may_quote_previous_message(void **state)
{
    (void)state;
    err_set(ERR_NOTFOUND, "required column '%s' is missing",
            "flow_duration");
    err_set(ERR_PARSE, "%s:%d: %s", "flows.csv", 2, err_msg());
    assert_string_equal(err_msg(), "flows.csv:2: required column "
                        "'flow_duration' is missing");
}

static void rng_same_seed_same_stream(void **state)
{
    struct rng a, b, c;

    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int differs = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_u64(&a);
        assert_true(x == rng_u64(&b));
        differs |= x != rng_u64(&c);
    }
    assert_true(differs);
}

static void rng_distributions_have_expected_moments(void **state)
{
    struct rng r;
    double sum = 0, sumsq = 0, usum = 0;
    int n = 200000, counts[7] = { 0 };

    rng_seed(&r, 7);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r);
        sum += z;
        sumsq += z * z;
        float u = rng_uniform(&r);
        assert_true(u >= 0.0f && u < 1.0f);
        usum += u;
        counts[rng_below(&r, 7)]++;
    }
    assert_float_near(sum / n, 0.0, 0.01);
    assert_float_near(sumsq / n, 1.0, 0.02);
    assert_float_near(usum / n, 0.5, 0.005);
    for (int k = 0; k < 7; k++)
        assert_float_near(counts[k] / (double)n, 1.0 / 7, 0.005);
}

static void entropy_differs_between_calls(void **state)
{
    uint64_t a = rng_entropy_u64(), b = rng_entropy_u64();
    uint64_t c = rng_entropy_u64();

    /* Three equal 64-bit draws would mean a constant source. */
    assert_false(a == b && b == c);
}

static void shuffle_is_a_permutation(void **state)
{
    struct rng r;
    int v[50], seen[50] = { 0 };

    rng_seed(&r, 1);
    for (int i = 0; i < 50; i++)
        v[i] = i;
    rng_shuffle_int(&r, v, 50);
    int moved = 0;
    for (int i = 0; i < 50; i++) {
        seen[v[i]]++;
        moved += v[i] != i;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > 25);
}

static void data_dir_prefers_explicit_then_env(void **state)
{
    char buf[4096];
    const char *tmp = testutil_tmpdir();

    assert_int_equal(paths_data_dir(tmp, buf, sizeof(buf)), 0);
    assert_string_equal(buf, tmp);
    setenv("FEWFLOW_DATA", tmp, 1);
    assert_int_equal(paths_data_dir(NULL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, tmp);
    assert_int_equal(paths_data_dir("/nonexistent/x", buf, sizeof(buf)), 0);
    assert_string_equal(buf, tmp);
    assert_int_equal(paths_join(buf, 8, "abcdef", "ghij"), ERR_RANGE);
}

static void log_level_from_env(void **state)
{
    setenv("FEWFLOW_LOG", "debug", 1);
    assert_int_equal(log_init_from_env(), 0);
    assert_int_equal(log_get_level(), LOG_DEBUG);
    setenv("FEWFLOW_LOG", "loud", 1);
    assert_int_equal(log_init_from_env(), ERR_INVALID);
    assert_int_equal(log_get_level(), LOG_DEBUG);
    unsetenv("FEWFLOW_LOG");
    log_set_level(LOG_INFO);
}

static void cli_rejects_unknown_command(void **state)
{
    char cmd[4200];
    char *out = NULL;

    snprintf(cmd, sizeof(cmd), "%s frobnicate 2>/dev/null", testutil_bin());
    assert_int_equal(testutil_run(cmd, &out), 2);
    free(out);
    snprintf(cmd, sizeof(cmd), "%s --version", testutil_bin());
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(strstr(out, "fewflow "));
    free(out);
}

/* One BLAS thread unless the user asks for more (see main.c). */
static void cli_blas_threads_default_to_one(void **state)
{
    char cmd[4200];
    char *out = NULL;

    snprintf(cmd, sizeof(cmd), "env -u OPENBLAS_NUM_THREADS -u "
             "OMP_NUM_THREADS -u GOTO_NUM_THREADS %s --version",
             testutil_bin());
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(strstr(out, "(OpenBLAS threads: 1)"));
    free(out);
    snprintf(cmd, sizeof(cmd), "env -u OMP_NUM_THREADS -u GOTO_NUM_THREADS "
             "OPENBLAS_NUM_THREADS=2 %s --version", testutil_bin());
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(strstr(out, "(OpenBLAS threads: 2)"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(err_set_records_code_and_detail),
        cmocka_unit_test(err_set_may_quote_previous_message),
        cmocka_unit_test(rng_same_seed_same_stream),
        cmocka_unit_test(rng_distributions_have_expected_moments),
        cmocka_unit_test(shuffle_is_a_permutation),
        cmocka_unit_test(entropy_differs_between_calls),
        cmocka_unit_test(data_dir_prefers_explicit_then_env),
        cmocka_unit_test(log_level_from_env),
        cmocka_unit_test(cli_rejects_unknown_command),
        cmocka_unit_test(cli_blas_threads_default_to_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
