/*
 * scripts/summary-counts, which the quickstart's capture table reads its
 * figures through: the top-level counts of a detect summary, not those of
 * the rule objects nested in it that have keys of the same name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* A summary as detect writes it (key order of main at d42cb55): the
 * beacon rule's object has an "alerts" of its own, after the top one. */
static const char summary[] =
    "{\"packets\":37841,\"flows\":37669,\"alerts\":37660,\"seconds\":16.1,"
    "\"withheld_lone\":0,\"interrupted\":false,"
    "\"decided\":{\"unknown\":37660,\"BENIGN\":7,\"DDoS\":2},"
    "\"repeated\":{\"runs\":0,\"escalated\":0,\"benign_before\":0},"
    "\"beacons\":{\"rule\":true,\"series\":1,\"alerts\":5,\"before\":15,"
    "\"evicted\":0},\"continued\":0,"
    "\"slow\":{\"rule\":true,\"slow_flows\":3,\"clients\":0,"
    "\"escalated\":0},\"by_label\":{}}\n";

static char *counts(const char *json)
{
    const char *path = testutil_tmp("summary.json");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(json, f);
    assert_int_equal(fclose(f), 0);
    char *out = NULL;
    assert_int_equal(testutil_runf(&out, "%s/scripts/summary-counts %s",
                                   FEWFLOW_SOURCE_DIR, path), 0);
    assert_non_null(out);
    return out;
}

static void test_top_level_counts(void **state)
{
    (void)state;
    char *out = counts(summary);
    assert_string_equal(out, "37669 37660 unknown:37660 BENIGN:7 DDoS:2 \n");
    free(out);
}

/* Without the rule objects (an older binary) the same figures. */
static void test_without_rule_objects(void **state)
{
    (void)state;
    char *out = counts("{\"flows\":3,\"alerts\":1,\"decided\":"
                       "{\"BENIGN\":2,\"unknown\":1}}\n");
    assert_string_equal(out, "3 1 BENIGN:2 unknown:1 \n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_level_counts),
        cmocka_unit_test(test_without_rule_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
