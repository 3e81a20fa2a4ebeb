/*
 * detect -o FILE: alert lines appended to a file created 0640, a bad
 * path refused before any input is read, and on a live run SIGHUP opens
 * the file again, so that logrotate's rename and `kill -HUP` split the
 * lines between the two files with none lost and none cut.
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
#include "jsoncheck.h"

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("output", model_path,
                                           sizeof(model_path), &last_out))

/* The lines of a file: each whole (ends in a newline) and valid JSON. */
static long valid_lines(const char *name)
{
    assert_int_equal(run_ok("cat %s", testutil_tmp(name)), 0);
    assert_non_null(last_out);
    size_t len = strlen(last_out);
    assert_true(len > 0 && last_out[len - 1] == '\n');
    long n = 0;
    char *save = NULL;
    for (char *line = strtok_r(last_out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char whole[8192];
        snprintf(whole, sizeof(whole), "%s\n", line);
        if (!json_line_ok(whole))
            fail_msg("%s: line %ld is not JSON: %s", name, n + 1, line);
        n++;
    }
    return n;
}

static void output_is_appended_to_a_0640_file(void **state)
{
    const char *caps = testutil_data_path("pcaps/chrissanders-packets/"
                                          "icmp_traceroute.pcapng");
    (void)state;
    for (int i = 0; i < 2; i++)
        assert_int_equal(run_ok("umask 022; %s -q detect --model %s --all "
                                "--explain 0 -r %s -o %s", testutil_bin(),
                                model_path, caps,
                                testutil_tmp("a.json")), 0);
    assert_string_equal(last_out, "");
    long twice = valid_lines("a.json");
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "-r %s", testutil_bin(), model_path, caps), 0);
    assert_true(twice > 0);
    assert_int_equal(testutil_count(last_out, "\n") * 2, twice);
    assert_int_equal(run_ok("stat -c %%a %s", testutil_tmp("a.json")), 0);
    assert_string_equal(last_out, "640\n");
}

/* Refused before the input: the capture named is not read (it does not
 * exist, and its error would come first otherwise). */
static void bad_output_is_one_line_before_input(void **state)
{
    (void)state;
    int rc = run_ok("%s detect --model %s -r %s -o %s 2>&1",
                    testutil_bin(), model_path, testutil_tmp("none.pcap"),
                    testutil_tmp("no/such/dir/a.json"));
    assert_int_equal(rc, 2);
    assert_int_equal(testutil_count(last_out, "\n"), 1);
    assert_non_null(strstr(last_out, "fewflow: error: "));
    assert_non_null(strstr(last_out, "no/such/dir/a.json: cannot open for "
                           "the alerts: No such file or directory"));
}

/* -o naming an input (by another spelling, or a link) is refused before
 * anything is written: detect appended alerts to the capture, CSV or
 * model it read, and flows -o truncated the capture it was to read. */
static void output_that_is_an_input_is_refused(void **state)
{
    (void)state;
    const char *cap = testutil_tmp("in.pcapng");
    const char *csv = testutil_tmp("in.csv");
    assert_int_equal(run_ok("cp %s %s && ln -sf %s %s",
                            testutil_data_path("pcaps/chrissanders-packets/"
                                               "icmp_traceroute.pcapng"),
                            cap, cap, testutil_tmp("in.link")), 0);
    assert_int_equal(run_ok("%s -q flows -r %s -o %s", testutil_bin(),
                            cap, csv), 0);
    assert_int_equal(run_ok("cat %s %s %s | md5sum", cap, csv, model_path),
                     0);
    char before[64];
    snprintf(before, sizeof(before), "%s", last_out);

    const char *cmds[][2] = {
        { "detect --model %s --all -r %s -o %s", "in.pcapng" },
        { "detect --model %s --all -r %s -o %s", "in.link" },
        { "detect --model %s --all --csv %s -o %s", "in.csv" },
        { "detect --model %s --all --csv %s -o %s", "model" },
    };
    for (size_t i = 0; i < 4; i++) {
        char fmt[160];
        const char *out = strcmp(cmds[i][1], "model") == 0 ? model_path
                          : testutil_tmp(cmds[i][1]);
        const char *in = strcmp(cmds[i][1], "in.csv") == 0 ||
                         strcmp(cmds[i][1], "model") == 0 ? csv : cap;
        snprintf(fmt, sizeof(fmt), "%%s -q %s 2>&1", cmds[i][0]);
        assert_int_equal(run_ok(fmt, testutil_bin(), model_path, in, out),
                         2);
        assert_int_equal(testutil_count(last_out, "\n"), 1);
        assert_non_null(strstr(last_out, "the output file is also the "
                               "input"));
    }
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s "
                            "--summary-json %s 2>&1", testutil_bin(),
                            model_path, csv, csv), 2);
    assert_non_null(strstr(last_out, "the output file is also the input"));
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s -o %s "
                            "--summary-json %s 2>&1", testutil_bin(),
                            model_path, csv, testutil_tmp("in.link"),
                            testutil_tmp("in.pcapng")), 2);
    assert_non_null(strstr(last_out, "the output file is also the input"));
    assert_int_equal(run_ok("%s -q flows -r %s -o %s 2>&1", testutil_bin(),
                            cap, testutil_tmp("in.link")), 2);
    assert_non_null(strstr(last_out, "the output file is also the input"));
    assert_int_equal(run_ok("cat %s %s %s | md5sum", cap, csv, model_path),
                     0);
    assert_string_equal(last_out, before);
}

/* A capture on a FIFO; once 5 lines are in the file it is renamed, as
 * logrotate does, and detect gets SIGHUP; then the rest of the input. */
static void sighup_reopens_the_output(void **state)
{
    const char *script = testutil_tmp("rot.sh");
    FILE *f = fopen(script, "w");
    (void)state;
    testutil_synflood_parts();
    assert_non_null(f);
    fprintf(f, "set -e\ncd '%s'\nrm -f rfifo rot.json*; mkfifo rfifo\n"
            "'%s' detect --model '%s' -r rfifo --explain 0 --all "
            "--threads 1 --idle-timeout 1 -o rot.json "
            "--summary-json rot.sum 2> rot.err & pid=$!\n"
            "exec 3> rfifo\ncat p1 >&3\n"
            "i=0; while [ \"$(cat rot.json 2>/dev/null | wc -l)\" -lt 5 ] "
            "&& [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n"
            "mv rot.json rot.json.1\nkill -HUP $pid\n"
            "cat p2 >&3 || true\nexec 3>&-\nset +e\nwait $pid\n"
            "echo rc=$?\n", testutil_tmpdir(), testutil_bin(), model_path);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_non_null(strstr(last_out, "rc=0"));

    long old = valid_lines("rot.json.1");
    long fresh = valid_lines("rot.json");
    assert_true(old >= 5);
    assert_true(fresh > 0);
    /* Every flow has its line (--all), in one file or the other. */
    assert_int_equal(run_ok("cat %s", testutil_tmp("rot.sum")), 0);
    assert_non_null(strstr(last_out, "\"flows\":2872,"));
    assert_int_equal(old + fresh, 2872);
    assert_int_equal(run_ok("cat %s", testutil_tmp("rot.err")), 0);
    assert_int_equal(testutil_count(last_out, "rot.json again (SIGHUP)"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(output_is_appended_to_a_0640_file),
        cmocka_unit_test(bad_output_is_one_line_before_input),
        cmocka_unit_test(output_that_is_an_input_is_refused),
        cmocka_unit_test(sighup_reopens_the_output),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
