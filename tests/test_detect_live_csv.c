/*
 * detect --csv on a live feed (a FIFO whose writer stays open): the rows
 * that arrived are judged and written when the feed has been quiet for a
 * second, as a capture on a pipe is, not held until a block of 256 fills
 * or the writer closes; and a signal on the quiet feed ends the run at
 * once, with the summary.
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

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("livecsv", model_path,
                                           sizeof(model_path), &last_out))

static void quiet_feed_is_written(void **state)
{
    (void)state;
    const char *script = testutil_tmp("live.sh");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    /* Two rows, then the writer waits (up to 20 s) for their lines
     * before it closes the feed. */
    fprintf(f, "set -e\ncd '%s'\nrm -f cfifo; mkfifo cfifo\n"
            "xz -dc '%s' | head -3 > rows.csv\n"
            "'%s' -q detect --model '%s' --csv cfifo --explain 0 --all "
            "> live.out 2> live.err & pid=$!\n"
            "exec 3> cfifo\ncat rows.csv >&3\n"
            "i=0; while [ \"$(wc -l < live.out)\" -lt 2 ] && [ $i -lt 200 ]; "
            "do sleep 0.1; i=$((i+1)); done\n"
            "echo before_close=$(wc -l < live.out)\n"
            "exec 3>&-\nset +e\nwait $pid\necho rc=$?\n",
            testutil_tmpdir(),
            testutil_data_path("cic-ids2017-improved/DDoS_5000.csv.xz"),
            testutil_bin(), model_path);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_non_null(strstr(last_out, "before_close=2\n"));
    assert_non_null(strstr(last_out, "rc=0"));
    /* A file is judged in blocks as before: same lines as the feed. */
    assert_int_equal(run_ok("'%s' -q detect --model '%s' --csv %s "
                            "--explain 0 --all | cmp - %s && echo same",
                            testutil_bin(), model_path,
                            testutil_tmp("rows.csv"),
                            testutil_tmp("live.out")), 0);
    assert_non_null(strstr(last_out, "same"));
}

/* A replay through a pipe is judged in the file's blocks: momentary
 * empty pipes (cat is slower than detect at times) cut no block, so the
 * lines are the file's (they differed from run to run when any empty
 * instant flushed). */
static void replay_is_the_file(void **state)
{
    (void)state;
    char csv[512], lines[512];
    snprintf(csv, sizeof(csv), "%s", testutil_tmp("replay.csv"));
    snprintf(lines, sizeof(lines), "%s", testutil_tmp("replay.file"));
    assert_int_equal(run_ok("(xz -dc %s; xz -dc %s | tail -n +2; "
                            "xz -dc %s | tail -n +2) > %s",
                            testutil_data_path("cic-ids2017-improved/"
                                               "Portscan_5000.csv.xz"),
                            testutil_data_path("cic-ids2017-improved/"
                                               "DDoS_5000.csv.xz"),
                            testutil_data_path("cic-ids2017-improved/"
                                               "SSH-Patator_2961.csv.xz"),
                            csv), 0);
    assert_int_equal(run_ok("'%s' -q detect --model '%s' --csv %s "
                            "--explain 0 --all > %s",
                            testutil_bin(), model_path, csv, lines), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(run_ok("cat %s | '%s' -q detect --model '%s' "
                                "--csv - --explain 0 --all | cmp - %s && "
                                "echo same", csv, testutil_bin(),
                                model_path, lines), 0);
        assert_non_null(strstr(last_out, "same"));
    }
}

/* Ctrl-C on a quiet feed whose writer stays open: detect stopped only at
 * the next row after the signal, which on a quiet network could be hours
 * away. It now ends at once: the rows read are judged and written, the
 * summary says the input was cut short, exit 0. */
static void signal_on_a_quiet_feed_ends_the_run(void **state)
{
    (void)state;
    const char *script = testutil_tmp("quiet.sh");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "set -e\ncd '%s'\nrm -f qfifo; mkfifo qfifo\n"
            "xz -dc '%s' | head -3 > qrows.csv\n"
            "'%s' detect --model '%s' --csv qfifo --explain 0 --all "
            "--summary-json q.json > q.out 2> q.err & pid=$!\n"
            "exec 3> qfifo\ncat qrows.csv >&3\n"
            "i=0; while [ \"$(wc -l < q.out)\" -lt 2 ] && [ $i -lt 200 ]; "
            "do sleep 0.1; i=$((i+1)); done\n"
            "kill -INT $pid\n"
            "i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; "
            "do sleep 0.1; i=$((i+1)); done\n"
            "if kill -0 $pid 2>/dev/null; then echo still_running; "
            "kill -KILL $pid; fi\n"
            "set +e\nwait $pid\necho rc=$?\nexec 3>&-\n",
            testutil_tmpdir(),
            testutil_data_path("cic-ids2017-improved/DDoS_5000.csv.xz"),
            testutil_bin(), model_path);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_null(strstr(last_out, "still_running"));
    assert_non_null(strstr(last_out, "rc=0"));
    assert_int_equal(run_ok("cat %s", testutil_tmp("q.json")), 0);
    assert_non_null(strstr(last_out, "\"interrupted\":true"));
    const char *fl = strstr(last_out, "\"flows\":");
    assert_non_null(fl);
    assert_int_equal(strtol(fl + 8, NULL, 10), 2);
    assert_int_equal(run_ok("cat %s", testutil_tmp("q.err")), 0);
    assert_non_null(strstr(last_out, "stopped by a signal before the end "
                           "of the input"));
    assert_int_equal(run_ok("wc -l < %s", testutil_tmp("q.out")), 0);
    assert_int_equal(strtol(last_out, NULL, 10), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quiet_feed_is_written),
        cmocka_unit_test(replay_is_the_file),
        cmocka_unit_test(signal_on_a_quiet_feed_ends_the_run),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
