/*
 * A model's life through the commands, with the options a user gets
 * wrong (fifth QA pass): odd eval and eval --openset settings, class
 * names that read as something else, a class memory emptied by forget,
 * and a detect run stopped by a signal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char model_path[512];
static char *last_out;
#define run_ok(...) testutil_runf(&last_out, __VA_ARGS__)

/* Heartbleed has 11 rows: too few for K = 20. */
static int setup_model(void **state)
{
    (void)state;
    return testutil_train_small("life", "SSH-Patator_2961", "Heartbleed_11",
                                "--shot 5 --query 5 --episodes 20 "
                                "--hidden 32 --emb 16", model_path,
                                sizeof(model_path), &last_out) == 0 ? 0 : -1;
}

static int teardown_model(void **state)
{
    (void)state;
    free(last_out);
    last_out = NULL;
    return 0;
}

/* `--shots 5,5` ran K=5 twice and wrote the JSON key "5" twice in each
 * class's object, which parsers resolve differently (or refuse). */
static void openset_refuses_a_repeated_k(void **state)
{
    (void)state;
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 5,1,5 "
                            "--trials 1 --json 2>&1", testutil_bin(),
                            model_path), 2);
    assert_non_null(strstr(last_out, "K=5 is listed twice"));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 2000 "
                            "2>&1", testutil_bin(), model_path), 2);
    assert_non_null(strstr(last_out, "from 1 to 1000"));
}

/* A class with K rows or fewer gave "nan nan" in the table and null in
 * the JSON with no word why. */
static void openset_says_when_a_class_is_too_small(void **state)
{
    (void)state;
    assert_int_equal(run_ok("%s eval --openset --model %s --shots 1,20 "
                            "--trials 1 2>&1", testutil_bin(), model_path),
                     0);
    assert_non_null(strstr(last_out, "warn: eval: class 'Heartbleed' has "
                           "20 rows or fewer: too few to enrol from K=20"));
    assert_null(strstr(last_out, "'Heartbleed' has 1 rows"));
    const char *row = strstr(last_out, "\nHeartbleed ");
    assert_non_null(row);
    assert_null(strstr(row, "nan"));
    assert_non_null(strstr(row, "n/a   n/a"));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 20 "
                            "--trials 1 --json", testutil_bin(), model_path),
                     0);
    assert_non_null(strstr(last_out, "\"Heartbleed\":{\"20\":{\"precision\""
                           ":null,\"recall\":null}}"));
}

/* "2 test classes have 3001 rows, 5-way needs 5" read as if the classes
 * had exactly that many rows. */
static void eval_says_what_an_episode_needs(void **state)
{
    (void)state;
    assert_int_equal(run_ok("%s -q eval --model %s --way 2 --shot 20 "
                            "--episodes 1 2>&1", testutil_bin(), model_path),
                     2);
    assert_non_null(strstr(last_out, "only 1 test classes have the 21 rows "
                           "a 20-shot episode needs, 2-way needs 2 (lower "
                           "--shot or --way)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openset_refuses_a_repeated_k),
        cmocka_unit_test(openset_says_when_a_class_is_too_small),
        cmocka_unit_test(eval_says_what_an_episode_needs),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
