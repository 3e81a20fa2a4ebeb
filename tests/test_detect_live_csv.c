/*
 * detect --csv on a live feed (a FIFO whose writer stays open): the rows
 * that arrived are judged and written when the feed goes quiet, as a
 * capture on a pipe is, not held until a block of 256 fills or the
 * writer closes.
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
    /* Three rows, then the writer waits (up to 20 s) for their lines
     * before it closes the feed. */
    fprintf(f, "set -e\ncd '%s'\nrm -f cfifo; mkfifo cfifo\n"
            "xz -dc '%s' | head -4 > rows.csv\n"
            "'%s' -q detect --model '%s' --csv cfifo --explain 0 --all "
            "> live.out 2> live.err & pid=$!\n"
            "exec 3> cfifo\ncat rows.csv >&3\n"
            "i=0; while [ \"$(wc -l < live.out)\" -lt 3 ] && [ $i -lt 200 ]; "
            "do sleep 0.1; i=$((i+1)); done\n"
            "echo before_close=$(wc -l < live.out)\n"
            "exec 3>&-\nset +e\nwait $pid\necho rc=$?\n",
            testutil_tmpdir(),
            testutil_data_path("cic-ids2017-improved/DDoS_5000.csv.xz"),
            testutil_bin(), model_path);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_non_null(strstr(last_out, "before_close=3\n"));
    assert_non_null(strstr(last_out, "rc=0"));
    /* A file is judged in blocks as before: same lines as the feed. */
    assert_int_equal(run_ok("'%s' -q detect --model '%s' --csv %s "
                            "--explain 0 --all | cmp - %s && echo same",
                            testutil_bin(), model_path,
                            testutil_tmp("rows.csv"),
                            testutil_tmp("live.out")), 0);
    assert_non_null(strstr(last_out, "same"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quiet_feed_is_written),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
