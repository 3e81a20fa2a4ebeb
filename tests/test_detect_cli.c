/*
 * The detect commands end to end: one small model trained once in the
 * group setup, then classes, enrol, detect, forget, explanations and bad
 * input through the fewflow binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "testutil.h"
#include "jsoncheck.h"

/* ---- the commands, end to end (small model, a few seconds) ---- */

TESTUTIL_MODEL_FIXTURE(testutil_train_small("e2e", "SSH-Patator_2961",
                                             "Botnet_736", "--shot 5 --query "
                                             "5 --episodes 30 --hidden 32 "
                                             "--emb 16", model_path,
                                             sizeof(model_path), &last_out))

static void cli_classes_and_openset(void **state)
{
    assert_int_equal(run_ok("%s classes --model %s --json", testutil_bin(),
                            model_path), 0);
    assert_non_null(strstr(last_out, "{\"name\":\"BENIGN\",\"kind\":"
                           "\"benign\""));
    assert_non_null(strstr(last_out, "\"name\":\"Portscan\",\"kind\":"
                           "\"attack\""));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1,5 "
                            "--trials 1 --json", testutil_bin(), model_path),
                     0);
    assert_true(json_value(last_out) != NULL);
    assert_non_null(strstr(last_out, "\"auroc\":"));
    assert_non_null(strstr(last_out, "\"benign_fpr\":"));
    assert_non_null(strstr(last_out, "\"enrolled\":{"));
    assert_non_null(strstr(last_out, "\"SSH-Patator\":{\"1\":{"
                           "\"precision\":"));
    assert_non_null(strstr(last_out, "\"5\":{\"precision\":"));
    assert_non_null(strstr(last_out, "\"sd\":{\"precision\":"));
    assert_non_null(strstr(last_out, "\"missed\":{\"unknown\":"));
    assert_non_null(strstr(last_out, "\"false_from\":{\"novel\":"));
    assert_non_null(strstr(last_out, "\"enrolment\":\"alone\""));
    assert_non_null(strstr(last_out, "\"head\":false"));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 5 "
                            "--trials 1 --together --radius-rule prior "
                            "--json", testutil_bin(), model_path), 0);
    assert_true(json_value(last_out) != NULL);
    assert_non_null(strstr(last_out, "\"enrolment\":\"together\""));
    assert_int_equal(run_ok("%s -q eval --openset --model %s "
                            "--radius-rule wide 2>&1", testutil_bin(),
                            model_path), 2);
}

static void cli_enrol_detect_forget(void **state)
{
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    const char *hb = "cic-ids2017-improved/Heartbleed_11.csv.xz";
    char hb_path[1024], m2[600];
    snprintf(hb_path, sizeof(hb_path), "%s", testutil_data_path(hb));
    snprintf(m2, sizeof(m2), "%s/e2e-hb.model", dir);

    assert_int_equal(run_ok("%s -q enroll --model %s --name Heartbleed "
                            "--shot 5 --flows %s -o %s", bin, model_path,
                            hb_path, m2), 0);
    assert_non_null(strstr(last_out, "enrolled Heartbleed from 5 flows"));
    assert_int_equal(run_ok("%s -q enroll --model %s --name Heartbleed "
                            "--flows %s -o %s 2>&1", bin, m2, hb_path, m2),
                     2);
    assert_non_null(strstr(last_out, "already exists"));
    /* The same flows under another name: the operator hears of it. */
    assert_int_equal(run_ok("%s enroll --model %s --name hb2 --shot 5 "
                            "--flows %s -o %s 2>&1 >/dev/null", bin, m2,
                            hb_path, testutil_tmp("e2e-hb2.model")), 0);
    assert_non_null(strstr(last_out, "of 5 flows of 'hb2' are already "
                           "decided 'Heartbleed'"));

    /* Alerts for the CSV's rows: every line is JSON with the EVE shape. */
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s", bin, m2,
                            hb_path), 0);
    size_t lines = 0, heartbleed = 0;
    for (char *l = last_out; l && *l; lines++) {
        char *nl = strchr(l, '\n');
        assert_non_null(nl);
        char save = nl[1];
        nl[1] = '\0';
        assert_true(json_line_ok(l));
        assert_non_null(strstr(l, "\"event_type\":\"alert\""));
        assert_non_null(strstr(l, "\"dest_port\":444"));
        heartbleed += strstr(l, "\"class\":\"Heartbleed\"") != NULL;
        nl[1] = save;
        l = nl + 1;
    }
    assert_true(lines >= 5);
    assert_true(heartbleed >= 5);   /* at least its own support flows */

    assert_int_equal(run_ok("%s -q detect --model %s -r %s", bin, m2,
                            testutil_data_path("pcaps/chrissanders-packets/"
                                               "http_google.pcapng")), 0);
    assert_int_equal(run_ok("%s forget --model %s --name Heartbleed -o %s",
                            bin, m2, m2), 0);
    assert_int_equal(run_ok("%s classes --model %s", bin, m2), 0);
    assert_null(strstr(last_out, "Heartbleed"));
    assert_int_equal(run_ok("%s forget --model %s --name Heartbleed -o %s "
                            "2>&1", bin, m2, m2), 2);
    assert_int_equal(run_ok("%s forget --model %s --name BENIGN -o %s/nb."
                            "model 2>&1", bin, m2, dir), 0);
    assert_non_null(strstr(last_out, "no benign class left"));
}

/* Explanations cost about fifteen classifications each; a budget keeps a
 * flood of alerts from stalling detection. With one explanation a second,
 * thousands of alerts in a run of a few seconds must mostly go without;
 * without a budget (files, by default) every alert is explained. */
static void cli_explain_rate_bounds_explanations(void **state)
{
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    const char *csv = testutil_data_path("cic-ids2017-improved/"
                                         "DDoS_5000.csv.xz");
    char sum[600], path[1024];
    snprintf(sum, sizeof(sum), "%s/rate-summary.json", dir);
    snprintf(path, sizeof(path), "%s", csv);

    assert_int_equal(run_ok("%s -q detect --model %s --csv %s "
                            "--explain-rate 1 --summary-json %s", bin,
                            model_path, path, sum), 0);
    size_t lines = 0, explained = 0;
    for (char *l = last_out; l && *l; lines++) {
        char *nl = strchr(l, '\n');
        assert_non_null(nl);
        *nl = '\0';
        explained += strstr(l, "\"features\":[{") != NULL;
        l = nl + 1;
    }
    assert_true(lines > 100);
    assert_true(explained >= 1);
    assert_true(explained < lines / 2);
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"unexplained\":"));
    assert_null(strstr(last_out, "\"unexplained\":0,"));

    assert_int_equal(run_ok("%s -q detect --model %s --csv %s "
                            "--summary-json %s >/dev/null && cat %s", bin,
                            model_path, path, sum, sum), 0);
    assert_non_null(strstr(last_out, "\"unexplained\":0,"));
}

/* A row whose time cannot be read is still classified, and the summary
 * says how many were dated at the epoch and where the first one is. */
static void cli_untimed_rows_are_counted(void **state)
{
    const char *csv = testutil_tmp("untimed.csv");

    assert_int_equal(run_ok("xz -dc %s | head -4 | sed '3s/2017-07-0[0-9] "
                            "[0-9:.]*/yesterday/' > %s", testutil_data_path(
                            "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            csv), 0);
    assert_int_equal(run_ok("%s detect --model %s --csv %s --all 2>&1 "
                            ">/dev/null", testutil_bin(), model_path, csv), 0);
    assert_non_null(strstr(last_out, "1 CSV row(s) had no readable "
                           "timestamp"));
    assert_non_null(strstr(last_out, "untimed.csv:3: 'yesterday'"));
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all",
                            testutil_bin(), model_path, csv), 0);
    assert_non_null(strstr(last_out, "\"timestamp\":\"1970-01-01T"));
    assert_non_null(strstr(last_out, "\"timestamp\":\"2017-07-05T"));
}

/* Text after a time is not ignored: a zone moves the time to UTC, PM adds
 * twelve hours, 'T' may separate date and time, and anything else makes
 * the row untimed. The warning quoting a field shows no control bytes. */
static void cli_timestamp_zones_and_hostile_text(void **state)
{
    const char *csv = testutil_tmp("zones.csv");

    assert_int_equal(run_ok("xz -dc %s | head -7 | sed "
                            "-e '2s/2017-07-0[0-9] [0-9:.]*/\\x1b]0;x\\x07/' "
                            "-e '3s/2017-07-0[0-9] [0-9:.]*/2017-07-05 "
                            "10:00:01-05:00/' "
                            "-e '4s/2017-07-0[0-9] [0-9:.]*/2017-07-05T"
                            "10:00:02Z/' "
                            "-e '5s/2017-07-0[0-9] [0-9:.]*/5\\/7\\/2017 "
                            "10:00:03 PM/' "
                            "-e '6s/2017-07-0[0-9] [0-9:.]*/2017-07-05 "
                            "10:00:04 tomorrow/' > %s",
                            testutil_data_path(
                            "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            csv), 0);
    assert_int_equal(run_ok("%s detect --model %s --csv %s --all 2>&1 "
                            ">/dev/null", testutil_bin(), model_path, csv), 0);
    assert_non_null(strstr(last_out, "2 CSV row(s) had no readable "
                           "timestamp"));
    assert_null(strchr(last_out, '\x1b'));
    assert_null(strchr(last_out, '\x07'));
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all",
                            testutil_bin(), model_path, csv), 0);
    assert_non_null(strstr(last_out, "\"flow_start\":\"2017-07-05T15:00:01"));
    assert_non_null(strstr(last_out, "\"flow_start\":\"2017-07-05T10:00:02"));
    assert_non_null(strstr(last_out, "\"flow_start\":\"2017-07-05T22:00:03"));
    assert_null(strstr(last_out, "T10:00:04"));
}

/* A CSV row's alert spans the flow as a capture flow's does: dated at its
 * end, with its start and its Flow Duration (it said duration 0 and was
 * dated at the start). The duration is read here with awk. */
static void cli_csv_alert_spans_the_flow(void **state)
{
    const char *csv = testutil_tmp("span.csv");
    char want[64];

    (void)state;
    assert_int_equal(run_ok("xz -dc %s | head -2 > %s", testutil_data_path(
                            "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            csv), 0);
    assert_int_equal(run_ok("awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) "
                            "if ($i ~ /^ *Flow Duration *$/) c = i } "
                            "NR == 2 { printf \"%%.3f\", $c / 1e6 }' %s",
                            csv), 0);
    assert_true(strlen(last_out) > 4);
    snprintf(want, sizeof(want), "\"duration_s\":%s", last_out);
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all",
                            testutil_bin(), model_path, csv), 0);
    assert_non_null(strstr(last_out, want));
    const char *ts = strstr(last_out, "\"timestamp\":\"");
    const char *start = strstr(last_out, "\"flow_start\":\"");
    assert_non_null(ts);
    assert_non_null(start);
    assert_memory_not_equal(ts + 13, start + 14, 19);
}

/* detect --csv --all on rows made from the first Heartbleed row: its
 * fields named a and b are awk's $a and $b in `rows` (awk statements
 * printing the rows); the alert lines are left in last_out. */
static void detect_heartbleed(const char *a, const char *b, const char *rows)
{
    const char *csv = testutil_tmp("heartbleed-rows.csv");
    assert_int_equal(run_ok("xz -dc %s | head -2 | awk -F, -v OFS=, "
                            "'NR == 1 { for (i = 1; i <= NF; i++) { "
                            "if ($i ~ /^ *%s *$/) a = i; "
                            "if ($i ~ /^ *%s *$/) b = i } print; next } "
                            "{ %s }' > %s", testutil_data_path(
                                "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            a, b, rows, csv), 0);
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all "
                            "--explain 0", testutil_bin(), model_path, csv),
                     0);
}

/* Flow Duration is in microseconds; read as a float32 model column it
 * lost whole microseconds past 2^24 (16.8 s) and up to 4,096 past 2^36
 * (19 h), so the alert's end moved. The ends below were computed with
 * Python's datetime from the start and the duration. */
static void cli_csv_alert_end_to_the_microsecond(void **state)
{
    (void)state;
    detect_heartbleed("Timestamp", "Flow Duration",
                      "$a = \"2017-07-07 13:39:36.267908\"; "
                      "$b = 119999999; print; $b = \"86396004097\"; print");
    assert_non_null(strstr(last_out, "\"timestamp\":\"2017-07-07T13:41:36."
                                     "267907+0000\""));
    assert_non_null(strstr(last_out, "\"timestamp\":\"2017-07-08T13:39:32."
                                     "272005+0000\""));
}

/* A port padded with zeros is decimal: "0443" was read as octal (291)
 * and "0022" as 18, naming another service; 0x hex still reads. */
static void cli_csv_padded_ports_are_decimal(void **state)
{
    (void)state;
    detect_heartbleed("Src Port", "Dst Port",
                      "$a = \"0443\"; $b = \"0022\"; print; "
                      "$a = \"0x1bb\"; $b = \"00080\"; print");
    assert_non_null(strstr(last_out, "\"src_port\":443,"));
    assert_non_null(strstr(last_out, "\"dest_port\":22,"));
    assert_non_null(strstr(last_out, "\"dest_port\":80,"));
    assert_null(strstr(last_out, "\"src_port\":291,"));
}

/* enroll --flows - reads standard input once: a capture through a pipe,
 * or a CSV or capture redirected from a file. */
static void cli_enrol_from_standard_input(void **state)
{
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    char csv[600];

    snprintf(csv, sizeof(csv), "%s/stdin-hb.csv", dir);
    assert_int_equal(run_ok("xz -dc %s > %s", testutil_data_path(
                            "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            csv), 0);
    assert_int_equal(run_ok("cat %s | %s -q enroll --model %s --name g "
                            "--flows - -o %s/stdin1.model 2>&1",
                            testutil_data_path("pcaps/chrissanders-packets/"
                                               "http_google.pcapng"),
                            bin, model_path, dir), 0);
    assert_non_null(strstr(last_out, "enrolled g from "));
    assert_int_equal(run_ok("%s -q enroll --model %s --name hb --flows - "
                            "-o %s/stdin2.model < %s 2>&1", bin, model_path,
                            dir, csv), 0);
    assert_non_null(strstr(last_out, "enrolled hb from 11 flows"));
}

/* Standard input can be read once: naming it twice is a usage error, not
 * "empty file" or "too short for a capture" from the second reader. */
static void cli_standard_input_given_twice(void **state)
{
    const char *bin = testutil_bin();
    static const char *const args[] = {
        "-q detect --model %s --csv - --csv -",
        "-q detect --model %s -r - --csv -",
        "-q detect --model %s -r - -r -",
    };

    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), args[i], model_path);
        assert_int_equal(run_ok("%s %s < /dev/null 2>&1", bin, cmd), 2);
        if (strstr(last_out, "standard input given more than once") == NULL)
            fail_msg("%s: %s", cmd, last_out);
    }
    assert_int_equal(run_ok("%s data inspect - - < /dev/null 2>&1", bin), 2);
    assert_non_null(strstr(last_out, "standard input given more than once"));
}

/* tcpdump -w - | fewflow detect -r -: a line per flow as it ends, while
 * the pipe stays open (the writer waits up to 30 s for the first line;
 * with lines held for a full batch or the pipe's end, no marker). The
 * lines equal those of the file read directly. */
static void cli_detect_from_a_pipe_writes_as_flows_end(void **state)
{
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    const char *cap = testutil_data_path("pcaps/trace-share-ssh-"
                                         "bruteforce/SSH-Hydra/"
                                         "hydra-1_tasks.pcap");
    char *want = NULL;

    assert_int_equal(testutil_runf(&want, "%s -q detect --model %s -r %s "
                                   "--all --close-linger 0", bin, model_path,
                                   cap), 0);
    assert_int_equal(run_ok("rm -f %s/pipe.early; (cat %s; i=0; n=0; "
                            "while [ $i -lt 300 ] && [ $n -lt 1 ]; do "
                            "sleep 0.1; i=$((i+1)); "
                            "n=$(cat %s/pipe.json 2>/dev/null | wc -l); "
                            "done; [ $n -ge 1 ] && touch %s/pipe.early) | "
                            "%s -q detect --model %s -r - --all "
                            "--close-linger 0 > %s/pipe.json; "
                            "cat %s/pipe.early %s/pipe.json", dir, cap, dir,
                            dir, bin, model_path, dir, dir, dir), 0);
    assert_string_equal(last_out, want);
    free(want);
}

/* The same with the default close linger: every flow that ended while
 * the writer was busy is written once the pipe falls quiet, not held in
 * the output batch until a later flow happens to end then (with the last
 * connection lingering, none did: nothing until the pipe closed). */
static void cli_detect_from_a_quiet_pipe_writes_the_batch(void **state)
{
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    const char *cap = testutil_data_path("pcaps/trace-share-ssh-"
                                         "bruteforce/SSH-Hydra/"
                                         "hydra-1_tasks.pcap");
    assert_int_equal(run_ok("rm -f %s/quiet.early; (cat %s; i=0; n=0; "
                            "while [ $i -lt 300 ] && [ $n -lt 2 ]; do "
                            "sleep 0.1; i=$((i+1)); "
                            "n=$(cat %s/quiet.json 2>/dev/null | wc -l); "
                            "done; [ $n -ge 2 ] && touch %s/quiet.early) | "
                            "%s -q detect --model %s -r - --all "
                            "> %s/quiet.json; ls %s/quiet.early", dir, cap,
                            dir, dir, bin, model_path, dir, dir), 0);
    assert_non_null(strstr(last_out, "quiet.early"));
}

/* eval --openset -o into a missing directory fails before the evaluation,
 * not after minutes of it with the report already printed. */
static void cli_openset_output_checked_first(void **state)
{
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1 "
                            "--trials 1 -o /nonexistent-dir/x.model "
                            "2>/dev/null", testutil_bin(), model_path), 2);
    assert_string_equal(last_out, "");
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1 "
                            "--trials 1 -o /nonexistent-dir/x.model 2>&1",
                            testutil_bin(), model_path), 2);
    assert_non_null(strstr(last_out, "/nonexistent-dir/x.model: cannot "
                           "create"));
}

/* "unknown" and "unjudged" are verdicts in every alert and summary: a
 * class under either name could not be told from them. */
static void cli_enrol_refuses_verdict_names(void **state)
{
    static const char *const names[] = { "unknown", "unjudged" };

    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(run_ok("%s -q enroll --model %s --name %s --flows "
                                "%s -o %s/verdict.model 2>&1",
                                testutil_bin(), model_path, names[i],
                                testutil_data_path("cic-ids2017-improved/"
                                                   "Heartbleed_11.csv.xz"),
                                testutil_tmpdir()), 2);
        assert_non_null(strstr(last_out, "reserved"));
    }
}

/* A class enrolled from benign rows takes held-out benign flows: the
 * operator is warned; an enrolment that costs nothing is not. */
static void cli_enrol_warns_of_benign_cost(void **state)
{
    const char *bin = testutil_bin(), *out = testutil_tmp("e2e-cost.model");
    assert_int_equal(run_ok("%s enroll --model %s --name lookalike --shot 300 "
                            "--flows %s -o %s 2>&1 >/dev/null", bin,
                            model_path, testutil_data_path(
                            "cic-ids2017-improved/BENIGN_4066_no-thursday"
                            ".csv.xz"), out), 0);
    assert_non_null(strstr(last_out, "warn: enroll: 'lookalike' raises the "
                           "benign false-alarm rate"));
    assert_int_equal(run_ok("%s enroll --model %s --name Heartbleed --shot 5 "
                            "--flows %s -o %s 2>&1 >/dev/null", bin,
                            model_path, testutil_data_path(
                            "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            out), 0);
    assert_null(strstr(last_out, "raises the benign"));
}

/* A memory whose stored K-shot radii are absurd (a forged section that
 * passes its checksum) fails the enrolment, and the error names the
 * model the memory came from. */
static void cli_enrol_failure_names_the_model(void **state)
{
    const char *forged = testutil_tmp("e2e-forged.model");
    struct detector *d = detector_load(model_path, 1);

    assert_non_null(d);
    for (int k = 0; k < MEMO_ENROLL_CALIBRATE; k++) {
        d->memo->kshot_abs[k] = 1e38f;
        d->memo->kshot_rel[k] = 1e38f;
    }
    assert_int_equal(detector_save(d, forged), 0);
    detector_destroy(d);
    assert_int_equal(run_ok("%s -q enroll --model %s --name hb --shot 5 "
                            "--flows %s -o %s.out 2>&1", testutil_bin(),
                            forged, testutil_data_path(
                            "cic-ids2017-improved/Heartbleed_11.csv.xz"),
                            forged), 2);
    assert_non_null(strstr(last_out, "e2e-forged.model: class 'hb'"));
}

static void cli_bad_input_is_one_line_and_exit_2(void **state)
{
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    char bad[600], csv[600];

    /* A damaged model: one byte flipped in the middle. */
    snprintf(bad, sizeof(bad), "%s/damaged.model", dir);
    assert_int_equal(run_ok("cp %s %s && printf 'X' | dd of=%s bs=1 "
                            "seek=2000 conv=notrunc 2>/dev/null", model_path,
                            bad, bad), 0);
    assert_int_equal(run_ok("%s detect --model %s --csv /dev/null 2>&1",
                            bin, bad), 2);
    assert_non_null(strstr(last_out, "damaged.model"));
    assert_int_equal(strchr(last_out, '\n') - last_out + 1,
                     (long)strlen(last_out));

    /* A CSV row with a word where a number belongs: file and line. */
    snprintf(csv, sizeof(csv), "%s/bad.csv", dir);
    assert_int_equal(run_ok("xz -dc %s | head -3 > %s && xz -dc %s | "
                            "sed -n 4p | sed 's/,443,6,/,443,6,x/' | "
                            "sed 's/,[0-9]*,[0-9]*,[0-9]*,/,abc,1,2,/' >> %s",
                            testutil_data_path("cic-ids2017-improved/"
                                               "Heartbleed_11.csv.xz"),
                            csv, testutil_data_path("cic-ids2017-improved/"
                                                    "Heartbleed_11.csv.xz"),
                            csv), 0);
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s 2>&1 >/dev/null",
                            bin, model_path, csv), 2);
    assert_non_null(strstr(last_out, "bad.csv:4"));
    assert_int_equal(run_ok("%s detect --model %s 2>&1", bin, model_path),
                     2);
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows "
                            "/nonexistent.csv -o /tmp/x.model 2>&1", bin,
                            model_path), 2);
    assert_non_null(strstr(last_out, "/nonexistent.csv"));
}

int main(void)
{
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(cli_classes_and_openset),
        cmocka_unit_test(cli_enrol_detect_forget),
        cmocka_unit_test(cli_explain_rate_bounds_explanations),
        cmocka_unit_test(cli_untimed_rows_are_counted),
        cmocka_unit_test(cli_timestamp_zones_and_hostile_text),
        cmocka_unit_test(cli_csv_alert_spans_the_flow),
        cmocka_unit_test(cli_csv_padded_ports_are_decimal),
        cmocka_unit_test(cli_csv_alert_end_to_the_microsecond),
        cmocka_unit_test(cli_enrol_from_standard_input),
        cmocka_unit_test(cli_standard_input_given_twice),
        cmocka_unit_test(cli_detect_from_a_pipe_writes_as_flows_end),
        cmocka_unit_test(cli_detect_from_a_quiet_pipe_writes_the_batch),
        cmocka_unit_test(cli_openset_output_checked_first),
        cmocka_unit_test(cli_enrol_refuses_verdict_names),
        cmocka_unit_test(cli_enrol_warns_of_benign_cost),
        cmocka_unit_test(cli_enrol_failure_names_the_model),
        cmocka_unit_test(cli_bad_input_is_one_line_and_exit_2),
    };
    return cmocka_run_group_tests(cli, setup_model, teardown_model);
}
