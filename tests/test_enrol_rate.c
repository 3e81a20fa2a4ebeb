/*
 * enroll compares the benign false-alarm rate before and after the new
 * class on the same held-out benign flows, measured in the same run: the
 * rate stored in an older model may predate its later classes, and the
 * new class was blamed for their false alarms (qa5 §5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "testutil.h"

TESTUTIL_SSH_FIXTURE("rate")

/* A copy of the model whose stored rate and target say 0: a model
 * whose rate was stored before classes that take benign flows. */
static const char *stale_copy(float *now)
{
    const char *path = testutil_tmp("stale.model");
    struct detector *d = detector_load(model_path, 1);
    assert_non_null(d);
    *now = memo_benign_fpr(d->memo);
    d->memo->benign_fpr = 0;
    d->memo->benign_fpr_target = 0;
    assert_int_equal(detector_save(d, path), 0);
    detector_destroy(d);
    return path;
}

static void enrol_does_not_blame_the_new_class(void **state)
{
    (void)state;
    float now;
    const char *m = stale_copy(&now);
    const char *out = testutil_tmp("stale2.model");
    char hb[1024];
    snprintf(hb, sizeof(hb), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    /* The test needs a model whose classes take some benign flows. */
    assert_true(now > 0);
    assert_int_equal(run_ok("%s enroll --model %s --name hb --flows %s "
                            "-o %s 2>&1", testutil_bin(), m, hb, out), 0);
    assert_null(strstr(last_out, "'hb' raises the benign false-alarm"));
    assert_non_null(strstr(last_out, "stored a benign false-alarm rate of "
                           "0.00%"));
    char want[200];
    snprintf(want, sizeof(want), "the benign false-alarm rate is %.2f%% "
             "before and %.2f%% after enrolling 'hb' (target 0.00%%): "
             "classes already in the model take held-out benign flows",
             100.0 * now, 100.0 * now);
    assert_non_null(strstr(last_out, want));
}

/* A class that does take benign flows is still named, with both rates
 * measured on the same flows. */
static void enrol_names_a_class_that_takes_benign_flows(void **state)
{
    (void)state;
    float now;
    const char *m = stale_copy(&now);
    const char *out = testutil_tmp("stale3.model");
    const char *csv = testutil_tmp("benign20.csv");
    assert_int_equal(run_ok("xz -dc %s | head -201 > %s",
                            testutil_data_path("cic-ids2017-improved/"
                                               "BENIGN_4066_no-thursday.csv.xz"), csv),
                     0);
    assert_int_equal(run_ok("%s enroll --model %s --name wide --flows %s "
                            "-o %s 2>&1", testutil_bin(), m, csv, out), 0);
    char want[120];
    snprintf(want, sizeof(want), "'wide' raises the benign false-alarm rate "
             "from %.2f%% to ", 100.0 * now);
    assert_non_null(strstr(last_out, want));
    assert_non_null(strstr(last_out, "on the same "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enrol_does_not_blame_the_new_class),
        cmocka_unit_test(enrol_names_a_class_that_takes_benign_flows),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
