/*
 * SIGHUP to a live detect with --suppress files re-reads them (the
 * stream a capture on a FIFO): the new lists take the flows after it,
 * the old limits' windows end with their closing records, and a file
 * that no longer parses leaves the old lists with one error line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("reload", model_path,
                                           sizeof(model_path), &last_out))

/* detect on a FIFO: p1, then (once 5 lines are out) the list becomes
 * `next` and detect gets SIGHUP, then p2. Leaves the script's output. */
static void run_hup(const char *next)
{
    const char *script = testutil_tmp("hup.sh");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "set -e\ncd '%s'\nrm -f hfifo hup.json; mkfifo hfifo\n"
            "printf 'limit unknown dst 10.10.10.10 track by_dst count 5 "
            "seconds 3600\\n' > hup.conf\n"
            "'%s' detect --model '%s' -r hfifo --explain 0 "
            "--threads 1 --idle-timeout 1 --judge-lone --suppress hup.conf "
            "--summary-json hup.json > hup.out 2> hup.err & pid=$!\n"
            "exec 3> hfifo\ncat p1 >&3\n"
            "i=0; while [ \"$(wc -l < hup.out)\" -lt 5 ] && [ $i -lt 600 ]; "
            "do sleep 0.1; i=$((i+1)); done\n"
            "printf '%s\\n' > hup.conf\nkill -HUP $pid\n"
            "cat p2 >&3 || true\nexec 3>&-\nset +e\nwait $pid\n"
            "echo rc=$?\n",
            testutil_tmpdir(), testutil_bin(), model_path, next);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_non_null(strstr(last_out, "rc=0"));
}

/* The number after key in the file name's text, or -1. */
static long number_in(const char *name, const char *key)
{
    assert_int_equal(run_ok("cat %s", testutil_tmp(name)), 0);
    const char *at = strstr(last_out, key);
    return at ? strtol(at + strlen(key), NULL, 10) : -1;
}

static void reload_takes_the_new_list(void **state)
{
    (void)state;
    testutil_synflood_parts();
    run_hup("unknown dst 10.10.10.10");
    /* The whole input was read: SIGHUP did not end the run. */
    assert_int_equal(number_in("hup.json", "\"flows\":"), 2872);
    assert_non_null(strstr(last_out, "\"interrupted\":false"));
    long suppressed = number_in("hup.json", "\"suppressed\":{\"alerts\":");
    long held = number_in("hup.json", "\"limited\":{\"alerts\":");
    assert_true(suppressed >= 700);
    assert_true(held >= 0);
    /* Five alerts, then the closing record of the old limit's window,
     * written when the lists changed; nothing after. */
    assert_int_equal(run_ok("cat %s", testutil_tmp("hup.out")), 0);
    assert_int_equal(testutil_count(last_out, "\n"), 6);
    assert_int_equal(testutil_count(last_out, "\"signature_id\":9100000"),
                     5);
    assert_int_equal(testutil_count(last_out, "\"signature_id\":9099998"),
                     1);
    assert_true(suppressed + held + 5 == 2744);
    assert_int_equal(run_ok("cat %s", testutil_tmp("hup.err")), 0);
    assert_int_equal(testutil_count(last_out, "re-read the --suppress "
                                    "files (SIGHUP): 1 entries"), 1);
}

static void reload_keeps_the_old_list_when_bad(void **state)
{
    (void)state;
    testutil_synflood_parts();
    run_hup("limit unknown dst 10.10.10.10 count 5");
    assert_int_equal(number_in("hup.json", "\"flows\":"), 2872);
    assert_int_equal(number_in("hup.json", "\"limited\":{\"alerts\":"),
                     2744 - 5);
    assert_non_null(strstr(last_out, "\"suppressed\":{\"alerts\":0,"
                           "\"entries\":[]}"));
    assert_int_equal(run_ok("cat %s", testutil_tmp("hup.out")), 0);
    assert_int_equal(testutil_count(last_out, "\n"), 6);
    assert_int_equal(testutil_count(last_out, "\"held\":2739,"), 1);
    assert_int_equal(run_ok("cat %s", testutil_tmp("hup.err")), 0);
    char want[300];
    snprintf(want, sizeof(want), "fewflow: error: detect: hup.conf:1:7: "
             "a limit wants count N and seconds S (at most N alerts per S "
             "seconds): not re-read (SIGHUP); the lists read before stay "
             "in force\n");
    assert_non_null(strstr(last_out, want));
    assert_null(strstr(last_out, "re-read the --suppress"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reload_takes_the_new_list),
        cmocka_unit_test(reload_keeps_the_old_list_when_bad),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
