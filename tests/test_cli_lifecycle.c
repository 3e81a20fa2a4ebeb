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

/* Heartbleed has 11 rows: too few for K = 20. */
TESTUTIL_SSH_FIXTURE("life")

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

/* SIGINT or SIGTERM to `detect --csv` was ignored: the whole CSV was read
 * (a stream on a pipe until it closed), and a file cut short by a signal
 * read in the summary like the whole of it; SIGHUP (a closed terminal)
 * killed detect without its summary. The writer below blocks until
 * detect has read most of the first 1,000 rows, so detect is running with
 * its handler when the signal comes; the 200 rows after it are not read. */
/* Runs detect on a FIFO fed 1,000 rows, then the shell lines `signals`
 * (with $pid set), then 200 rows more; leaves the script's output. */
static void run_csv_fifo(const char *signals)
{
    const char *script = testutil_tmp("sig.sh");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "set -e\ncd '%s'\nxz -dc '%s' | head -1001 > part1\n"
            "xz -dc '%s' | sed -n 1002,1201p > part2\n"
            "rm -f fifo sig.json; mkfifo fifo\n"
            "'%s' detect --model '%s' --csv fifo --explain 0 "
            "--summary-json sig.json > sig.out 2> sig.err & pid=$!\n"
            "exec 3> fifo\ncat part1 >&3\n%s\n"
            "cat part2 >&3 || true\nexec 3>&-\nset +e\nwait $pid\n"
            "echo rc=$?\n",
            testutil_tmpdir(),
            testutil_data_path("cic-ids2017-improved/DDoS_5000.csv.xz"),
            testutil_data_path("cic-ids2017-improved/DDoS_5000.csv.xz"),
            testutil_bin(), model_path, signals);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
}

static void stop_csv_with(const char *sig)
{
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "kill -%s $pid\nsleep 0.3", sig);
    run_csv_fifo(cmd);
    assert_non_null(strstr(last_out, "rc=0"));
    assert_int_equal(run_ok("cat %s", testutil_tmp("sig.json")), 0);
    assert_non_null(strstr(last_out, "\"interrupted\":true"));
    const char *fl = strstr(last_out, "\"flows\":");
    assert_non_null(fl);
    long flows = strtol(fl + 8, NULL, 10);
    assert_true(flows >= 1 && flows < 1200);
    assert_int_equal(run_ok("cat %s", testutil_tmp("sig.err")), 0);
    assert_non_null(strstr(last_out, "stopped by a signal before the end "
                           "of the input"));
}

static void detect_csv_stops_on_a_signal_and_says_so(void **state)
{
    (void)state;
    stop_csv_with("INT");
    stop_csv_with("TERM");
    stop_csv_with("HUP");
}

/* Forgetting every class left a model that judged nothing: detect called
 * every flow 'unjudged' and reported 0 alerts, exit 0, while forget had
 * warned that "every flow will raise an alert". */
static void detect_refuses_a_memory_with_no_class(void **state)
{
    (void)state;
    static const char *classes[] = { "BENIGN", "DDoS", "Portscan" };
    const char *m = testutil_tmp("empty.model");
    char flows[1024];
    snprintf(flows, sizeof(flows), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));

    assert_int_equal(run_ok("cp %s %s", model_path, m), 0);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(run_ok("%s forget --model %s --name %s -o %s 2>&1",
                                testutil_bin(), m, classes[i], m), 0);
    assert_non_null(strstr(last_out, "has no class left: detect refuses "
                           "it until a class is enrolled"));
    assert_null(strstr(last_out, "every flow will raise an alert"));
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s 2>&1",
                            testutil_bin(), m, flows), 2);
    assert_non_null(strstr(last_out, "the class memory has no class, so no "
                           "flow can be judged"));
    /* One class enrolled again: judged, and said to have no benign. */
    assert_int_equal(run_ok("%s -q enroll --model %s --name hb --flows %s "
                            "-o %s", testutil_bin(), m, flows, m), 0);
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s 2>&1",
                            testutil_bin(), m, flows), 0);
    assert_non_null(strstr(last_out, "has no benign class"));
    assert_non_null(strstr(last_out, "\"class\":\"hb\""));
}

/* enroll takes every row of its CSV whatever the label column says: a
 * file mixing labels became one class without a word. */
static void enrol_warns_of_a_csv_with_several_labels(void **state)
{
    (void)state;
    const char *mixed = testutil_tmp("mixed.csv");
    const char *out = testutil_tmp("mixed.model");
    char hb[1024];
    snprintf(hb, sizeof(hb), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    assert_int_equal(run_ok("(xz -dc %s; xz -dc %s | sed -n 2,6p) > %s", hb,
                            testutil_data_path("cic-ids2017-improved/"
                                               "SSH-Patator_2961.csv.xz"),
                            mixed), 0);
    assert_int_equal(run_ok("%s -q enroll --model %s --name mix --flows %s "
                            "-o %s 2>&1", testutil_bin(), model_path, mixed,
                            out), 0);
    assert_non_null(strstr(last_out, "holds rows of several labels "
                           "(Heartbleed 11, SSH-Patator 5): all 16 are "
                           "enrolled as 'mix'"));
    assert_int_equal(run_ok("%s -q enroll --model %s --name one --flows %s "
                            "-o %s 2>&1", testutil_bin(), model_path, hb,
                            out), 0);
    assert_null(strstr(last_out, "several labels"));
}

/* `--flows -` on a pipe is read as a capture; a CSV piped in failed with
 * only "not a pcap or pcapng capture", though a redirected one works. */
static void enrol_says_how_to_give_a_csv_on_stdin(void **state)
{
    (void)state;
    const char *out = testutil_tmp("stdin.model");
    char hb[1024];
    snprintf(hb, sizeof(hb), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    assert_int_equal(run_ok("xz -dc %s | %s -q enroll --model %s --name p "
                            "--flows - -o %s 2>&1", hb, testutil_bin(),
                            model_path, out), 2);
    assert_non_null(strstr(last_out, "not a pcap or pcapng capture"));
    assert_non_null(strstr(last_out, "'--flows - < flows.csv', not a "
                           "pipe"));
    assert_int_equal(run_ok("xz -dc %s > %s", hb, testutil_tmp("hb.csv")), 0);
    assert_int_equal(run_ok("%s -q enroll --model %s --name p --flows - "
                            "-o %s < %s", testutil_bin(), model_path, out,
                            testutil_tmp("hb.csv")), 0);
}

/* `classes` padded names by bytes, so a name with accents or CJK pulled
 * its row's columns left of the header's. */
static void classes_table_lines_up_utf8_names(void **state)
{
    (void)state;
    const char *out = testutil_tmp("utf8.model");
    const char *name = "\303\234n\303\257c\303\270d\303\251 "
                       "\346\224\273\346\222\203";    /* 12 columns */
    assert_int_equal(run_ok("%s -q enroll --model %s --name '%s' --shot 2 "
                            "--flows %s -o %s", testutil_bin(), model_path,
                            name, testutil_data_path("cic-ids2017-improved/"
                                                     "Heartbleed_11.csv.xz"),
                            out), 0);
    assert_int_equal(run_ok("%s classes --model %s", testutil_bin(), out),
                     0);
    const char *row = strstr(last_out, name);
    assert_non_null(row);
    row += strlen(name);
    for (int i = 0; i < 28 - 12 + 1; i++)
        assert_int_equal(row[i], ' ');
    assert_memory_equal(row + 28 - 12 + 1, "enrolled", 8);
}

/* A --summary-json path that cannot be written was found only at the end
 * of the run: every alert written, then exit 2 and no summary (after a
 * day of live capture). Now refused before any flow is read. */
static void detect_checks_the_summary_path_first(void **state)
{
    (void)state;
    char hb[1024];
    snprintf(hb, sizeof(hb), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all "
                            "--summary-json %s 2>/dev/null", testutil_bin(),
                            model_path, hb, testutil_tmp("no/dir/s.json")),
                     2);
    assert_string_equal(last_out, "");
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all "
                            "--summary-json %s 2>&1", testutil_bin(),
                            model_path, hb, testutil_tmpdir()), 2);
    assert_non_null(strstr(last_out, "cannot create: Is a directory"));
    assert_null(strstr(last_out, "\"event_type\""));
}

/* After the first Ctrl-C detect classifies the flows still open and
 * writes their lines, which can take a while (a full table, a slow
 * reader of the alerts); a second one was ignored like the first, so
 * nothing short of SIGKILL ended it. Here detect's output goes to a FIFO
 * that nobody reads past its first byte (so detect runs, with its
 * handlers), and the orderly stop the first signal asks for cannot
 * finish (detect is held writing); the first must leave it running, the
 * second must end it. */
static void detect_quits_at_a_second_signal(void **state)
{
    (void)state;
    const char *script = testutil_tmp("sig2.sh");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "set -e\ncd '%s'\nxz -dc '%s' | head -1001 > rows2\n"
            "rm -f ofifo; mkfifo ofifo\nexec 4<> ofifo\n"
            "'%s' detect --model '%s' --csv rows2 --explain 0 --all "
            "> ofifo 2> sig2.err & pid=$!\nhead -c 1 <&4 > /dev/null\n"
            "kill -INT $pid\nsleep 0.3\n"
            "kill -0 $pid 2>/dev/null && echo alive || echo ended\n"
            "kill -INT $pid || true\n"
            "i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; "
            "do sleep 0.1; i=$((i+1)); done\n"
            "kill -0 $pid 2>/dev/null && echo alive2 || echo gone\n"
            "kill -KILL $pid 2>/dev/null || true\n"
            "set +e\nwait $pid\necho rc=$?\nexec 4>&-\n",
            testutil_tmpdir(),
            testutil_data_path("cic-ids2017-improved/DDoS_5000.csv.xz"),
            testutil_bin(), model_path);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_non_null(strstr(last_out, "alive\n"));
    assert_non_null(strstr(last_out, "gone"));
    assert_non_null(strstr(last_out, "rc=130"));
}

/* README: `tcpdump -w - | fewflow flows -r -`. Stopped by Ctrl-C or
 * SIGTERM, flows died with every flow still open unwritten (here all 39
 * of a web browsing capture: only the header line came out). */
static void flows_from_a_pipe_writes_open_flows_on_a_signal(void **state)
{
    (void)state;
    const char *script = testutil_tmp("flowsig.sh");
    const char *out = testutil_tmp("flowsig.csv");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "(cat '%s'; sleep 2) | '%s' flows -r - > '%s' 2> '%s.err' &"
            "\npid=$!\nsleep 1\nkill -TERM $pid\nwait $pid\n"
            "echo rc=$?\n", testutil_data_path("pcaps/chrissanders-packets/"
                                               "http_espn.pcapng"),
            testutil_bin(), out, out);
    fclose(f);
    assert_int_equal(run_ok("bash %s", script), 0);
    assert_non_null(strstr(last_out, "rc=0"));
    assert_int_equal(run_ok("wc -l < %s", out), 0);
    assert_true(atoi(last_out) > 1);
    assert_int_equal(run_ok("cat %s.err", out), 0);
    assert_non_null(strstr(last_out, "stopped by a signal before the end "
                           "of the input"));
}

/* --way above the number of training classes was warned about twice, in
 * two wordings, as if there were two problems. */
static void train_warns_once_of_a_way_too_wide(void **state)
{
    (void)state;
    char m[512];
    assert_int_equal(testutil_train_small("wide", "SSH-Patator_2961",
                                          "Heartbleed_11", "--way 5 --shot 2 "
                                          "--query 2 --episodes 3 --hidden "
                                          "8 --emb 4", m, sizeof(m),
                                          &last_out), 0);
    const char *w = strstr(last_out, "--way 5");
    assert_non_null(w);
    assert_null(strstr(w + 1, "--way 5"));
    assert_non_null(strstr(w, "episodes use all of them"));
}

/* eval --openset -o rebuilds the class memory from the protocol's data:
 * classes enrolled into the model vanished from the output without a word
 * (with -o naming the model itself, from the model). */
static void openset_output_names_the_enrolled_classes_it_drops(void **state)
{
    (void)state;
    const char *m = testutil_tmp("withhb.model");
    assert_int_equal(run_ok("%s -q enroll --model %s --name hb --flows %s "
                            "-o %s", testutil_bin(), model_path,
                            testutil_data_path("cic-ids2017-improved/"
                                               "Heartbleed_11.csv.xz"), m),
                     0);
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1 "
                            "--trials 1 -o %s 2>&1 >/dev/null",
                            testutil_bin(), m, m), 0);
    assert_non_null(strstr(last_out, "the 1 class(es) enrolled into"));
    assert_non_null(strstr(last_out, "are not in it ('hb'); enrol them "
                           "again"));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1 "
                            "--trials 1 -o %s 2>&1 >/dev/null",
                            testutil_bin(), m, m), 0);
    assert_null(strstr(last_out, "enrol them again"));
}

/* A protocol with fewer than 5 test classes: train shrinks its episodes
 * with a warning, but eval's default 5-way refused the model outright. */
static void eval_narrows_its_default_way_to_the_test_classes(void **state)
{
    (void)state;
    assert_int_equal(run_ok("%s -q eval --model %s --shot 1 --query 2 "
                            "--episodes 2 2>&1", testutil_bin(), model_path),
                     0);
    assert_non_null(strstr(last_out, "only 2 test classes have the 2 rows a "
                           "1-shot episode needs: episodes are 2-way"));
    assert_non_null(strstr(last_out, "2-way 1-shot"));
}

/* `eval --openset --data FILE...` (its usage) took one file per --data:
 * "unexpected argument" for the second. Data without the model's test
 * classes gave "AUROC nan" and an empty table, exit 0. */
static void openset_takes_data_files_as_eval_does(void **state)
{
    (void)state;
    static const char *stems[] = { "BENIGN_4066_no-thursday", "DDoS_5000",
                                   "Portscan_5000", "SSH-Patator_2961",
                                   "Heartbleed_11" };
    char files[5][1024], all[5200] = "";
    for (size_t i = 0; i < 5; i++) {
        snprintf(files[i], sizeof(files[i]), "%s", testutil_data_path(""));
        snprintf(files[i] + strlen(files[i]),
                 sizeof(files[i]) - strlen(files[i]),
                 "cic-ids2017-improved/%s.csv.xz", stems[i]);
        strcat(all, " ");
        strcat(all, files[i]);
    }
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1 "
                            "--trials 1 --data%s 2>&1", testutil_bin(),
                            model_path, all), 0);
    assert_non_null(strstr(last_out, "\nHeartbleed "));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1 "
                            "--trials 1 --data %s %s %s 2>&1",
                            testutil_bin(), model_path, files[0], files[1],
                            files[2]), 2);
    assert_non_null(strstr(last_out, "test class 'Heartbleed' is not in "
                           "the data"));
    assert_non_null(strstr(last_out, "none of the model's 2 test classes "
                           "is in the data"));
}

/* A model trained on files given by relative path, evaluated from another
 * directory: eval said only "B.csv.xz: cannot open", eval --openset only
 * "protocol 'relproto' not found". */
static void eval_says_where_recorded_data_files_are_looked_for(void **state)
{
    (void)state;
    const char *dir = testutil_tmp("rel");
    FILE *f = fopen(testutil_tmp("rel.proto"), "w");
    assert_non_null(f);
    fprintf(f, "name: relproto\ntrain: BENIGN, DDoS, Portscan\n"
            "test: SSH-Patator, Heartbleed\n");
    fclose(f);
    assert_int_equal(run_ok("mkdir -p %s && cd %s && for s in "
                            "BENIGN_4066_no-thursday DDoS_5000 Portscan_5000 "
                            "SSH-Patator_2961 Heartbleed_11; do ln -sf "
                            "%s/$s.csv.xz .; done && %s -q train --data "
                            "*.csv.xz --protocol ../rel.proto --way 3 "
                            "--no-val --shot 2 --query 2 --episodes 3 "
                            "--hidden 8 --emb 4 -o ../rel.model 2>&1", dir,
                            dir, testutil_data_path("cic-ids2017-improved"),
                            testutil_bin()), 0);
    assert_int_equal(run_ok("cd %s && %s -q eval --model rel.model "
                            "--episodes 1 --shot 1 2>&1", testutil_tmpdir(),
                            testutil_bin()), 2);
    assert_non_null(strstr(last_out, "run from where train ran, or give "
                           "the files with --data"));
    assert_int_equal(run_ok("cd %s && %s -q eval --openset --model "
                            "rel.model --trials 1 --shots 1 2>&1",
                            testutil_tmpdir(), testutil_bin()), 2);
    assert_non_null(strstr(last_out, "cannot be read from here: give them "
                           "with --data"));
}

/* detect --csv keeps a table of at most 64 labels; the rows of any
 * further label were left out of it without a word. */
static void detect_says_when_labels_overflow_its_table(void **state)
{
    (void)state;
    const char *csv = testutil_tmp("labels.csv");
    assert_int_equal(run_ok("xz -dc %s | head -71 | awk -F, 'BEGIN{OFS=\",\"}"
                            " NR==1{for(i=1;i<=NF;i++) if($i==\"Label\") "
                            "c=i; print; next} {$c=\"L\" NR; print}' > %s",
                            testutil_data_path("cic-ids2017-improved/"
                                               "DDoS_5000.csv.xz"), csv), 0);
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s 2>&1 "
                            ">/dev/null", testutil_bin(), model_path, csv),
                     0);
    assert_non_null(strstr(last_out, "6 flows carry labels beyond the first "
                           "64 and are left out of the label table"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openset_refuses_a_repeated_k),
        cmocka_unit_test(openset_says_when_a_class_is_too_small),
        cmocka_unit_test(eval_says_what_an_episode_needs),
        cmocka_unit_test(eval_narrows_its_default_way_to_the_test_classes),
        cmocka_unit_test(detect_csv_stops_on_a_signal_and_says_so),
        cmocka_unit_test(detect_quits_at_a_second_signal),
        cmocka_unit_test(detect_refuses_a_memory_with_no_class),
        cmocka_unit_test(enrol_warns_of_a_csv_with_several_labels),
        cmocka_unit_test(enrol_says_how_to_give_a_csv_on_stdin),
        cmocka_unit_test(classes_table_lines_up_utf8_names),
        cmocka_unit_test(detect_checks_the_summary_path_first),
        cmocka_unit_test(flows_from_a_pipe_writes_open_flows_on_a_signal),
        cmocka_unit_test(train_warns_once_of_a_way_too_wide),
        cmocka_unit_test(openset_output_names_the_enrolled_classes_it_drops),
        cmocka_unit_test(openset_takes_data_files_as_eval_does),
        cmocka_unit_test(eval_says_where_recorded_data_files_are_looked_for),
        cmocka_unit_test(detect_says_when_labels_overflow_its_table),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
