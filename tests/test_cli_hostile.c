/*
 * The commands fed what a careless user or a hostile network hands them:
 * each case must end with exit status 2, one line on stderr naming the
 * file and where it went wrong, and no output file left half-written.
 * One tiny model is trained once for all cases (a few seconds).
 */
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fewflow/detect.h"

static char model_path[512];
/* Runs a shell command; keeps its stdout in last_out. */
static char *last_out;
#define run(...) testutil_runf(&last_out, __VA_ARGS__)

static const char *tmp(const char *name)
{
    return testutil_tmp(name);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int setup_model(void **state)
{
    (void)state;
    if (testutil_train_small("hostile", "Botnet_736", "Heartbleed_11",
                             "--shot 2 --query 2 --episodes 5 --hidden 16 "
                             "--emb 8", model_path, sizeof(model_path),
                             &last_out) == 0)
        return 0;
    print_error("training the test model failed:\n%s\n",
                last_out ? last_out : "");
    return -1;
}

static int teardown_model(void **state)
{
    (void)state;
    free(last_out);
    last_out = NULL;
    return 0;
}

static void put_u32(FILE *f, uint32_t v)
{
    fwrite(&v, 4, 1, f);
}

/* A classic pcap (host byte order, which pcap allows) of `whole` TCP SYNs
 * from distinct ports, then the first half of one more record. */
static void write_cut_pcap(const char *path, int whole)
{
    static const uint8_t head[34] = {
        0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00,
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    };
    uint8_t tcp[20] = { 0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0,
                        0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0 };
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    put_u32(f, 0xa1b2c3d4);
    put_u32(f, 4u << 16 | 2u);
    put_u32(f, 0);
    put_u32(f, 0);
    put_u32(f, 65535);
    put_u32(f, 1);
    for (int i = 0; i <= whole; i++) {
        put_u32(f, 1500000000u + (uint32_t)i);
        put_u32(f, 0);
        put_u32(f, 54);
        put_u32(f, 54);
        tcp[1] = (uint8_t)i;
        fwrite(head, 1, sizeof(head), f);
        fwrite(tcp, 1, i < whole ? sizeof(tcp) : 5, f);
    }
    fclose(f);
}

static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl != NULL && nl[1] == '\0';
}

/* detect -r on a capture cut inside a record: the flows before the cut are
 * still classified, then the command fails naming the file and packet. */
static void detect_on_a_cut_capture_exits_2(void **state)
{
    const char *cap = tmp("cut.pcap");

    (void)state;
    write_cut_pcap(cap, 3);
    assert_int_equal(run("%s -q detect --model %s -r %s --all 2>&1 "
                         ">/dev/null", testutil_bin(), model_path, cap), 2);
    assert_non_null(strstr(last_out, "cut.pcap"));
    assert_non_null(strstr(last_out, "after packet 3"));
    assert_true(one_line(last_out));
    assert_int_equal(run("%s -q detect --model %s -r %s --all 2>/dev/null",
                         testutil_bin(), model_path, cap), 2);
    assert_non_null(strstr(last_out, "\"flow_id\""));
}

/* A class is not enrolled from a capture that turned out damaged. */
static void enroll_from_a_cut_capture_exits_2(void **state)
{
    const char *cap = tmp("cut2.pcap"), *out = tmp("cut2.model");

    (void)state;
    write_cut_pcap(cap, 2);
    assert_int_equal(run("%s -q enroll --model %s --name cut --flows %s "
                         "-o %s 2>&1", testutil_bin(), model_path, cap, out),
                     2);
    assert_non_null(strstr(last_out, "cut2.pcap"));
    assert_true(one_line(last_out));
    assert_false(exists(out));
}

/* Option values that cannot make a model are refused before any work,
 * naming the option; none of them leaves a model behind. */
static void train_refuses_useless_option_values(void **state)
{
    static const char *const bad[][2] = {
        { "--episodes 0", "--episodes" }, { "--way 1", "--way" },
        { "--shot 0", "--shot" }, { "--query 0", "--query" },
        { "--shot -3", "--shot" }, { "--emb 0", "--emb" },
        { "--dropout 1.5", "--dropout" }, { "--meta-batch 0", "--meta-batch" },
    };
    const char *out = tmp("useless.model");

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(run("%s train --protocol cic-ids2017 %s -o %s 2>&1",
                             testutil_bin(), bad[i][0], out), 2);
        if (strstr(last_out, bad[i][1]) == NULL || !one_line(last_out))
            fail_msg("%s: %s", bad[i][0], last_out);
        assert_false(exists(out));
    }
}

/* The defaults eval --openset --help states are the ones it uses. */
static void openset_help_states_the_real_defaults(void **state)
{
    struct memo_fit_opts fit;
    struct memo_enroll_opts en;
    char want[4][96];

    (void)state;
    memo_fit_opts_default(&fit);
    memo_enroll_opts_default(&en);
    snprintf(want[0], sizeof(want[0]), "prototypes per attack class "
             "(default %u)", fit.n_protos);
    snprintf(want[1], sizeof(want[1]), "prototypes for benign classes "
             "(default %u)", fit.benign_protos);
    snprintf(want[2], sizeof(want[2]), "pseudo-count of the prior radius "
             "(default %g)", (double)en.prior_weight);
    snprintf(want[3], sizeof(want[3]), "prototypes of an enrolled class "
             "(default %u)", en.max_protos);
    assert_int_equal(run("%s eval --openset --help", testutil_bin()), 0);
    for (int i = 0; i < 4; i++)
        if (strstr(last_out, want[i]) == NULL)
            fail_msg("help lacks '%s':\n%s", want[i], last_out);
}

/* `cmake --install build --prefix P` (the README's way) must give a
 * pkg-config file that points into P, not into the prefix chosen when
 * the build was configured. Compile-only: the library may carry
 * sanitizers that a plain program could not link against. */
static void installed_pkg_config_points_into_the_prefix(void **state)
{
    char build[1024], cflags[1200];
    const char *prefix = tmp("prefix"), *src = tmp("uses_fewflow.c");
    FILE *f;

    (void)state;
    snprintf(build, sizeof(build), "%s", testutil_bin());
    *strrchr(build, '/') = '\0';
    assert_int_equal(run("cmake --install '%s' --prefix '%s' >/dev/null",
                         build, prefix), 0);
    assert_int_equal(run("PKG_CONFIG_PATH='%s/lib/pkgconfig' pkg-config "
                         "--variable=includedir fewflow", prefix), 0);
    if (strncmp(last_out, prefix, strlen(prefix)) != 0)
        fail_msg("includedir %s is outside %s", last_out, prefix);
    snprintf(cflags, sizeof(cflags), "%.*s/fewflow/err.h",
             (int)strcspn(last_out, "\n"), last_out);
    assert_true(exists(cflags));
    f = fopen(src, "w");
    assert_non_null(f);
    fputs("#include <fewflow/err.h>\n#include <fewflow/capture.h>\n"
          "int main(void) { return err_set(ERR_IO, \"x\") == 0; }\n", f);
    fclose(f);
    assert_int_equal(run("cc -std=c11 -c '%s' -o '%s.o' $(PKG_CONFIG_PATH="
                         "'%s/lib/pkgconfig' pkg-config --cflags fewflow) "
                         "2>&1", src, src, prefix), 0);
}

/* A port outside 0..65535 in a flow CSV is refused with file, line and
 * column, not wrapped into another port that the alert would then name. */
static void detect_csv_refuses_an_impossible_port(void **state)
{
    const char *csv = tmp("bad-port.csv");

    (void)state;
    assert_int_equal(run("xz -dc '%s' | head -3 | awk -F, -v OFS=, "
                         "'NR == 3 { $4 = \"99999999999\" } 1' > '%s'",
                         testutil_data_path("cic-ids2017-improved/"
                                            "Heartbleed_11.csv.xz"), csv), 0);
    assert_int_equal(run("%s -q detect --model %s --csv %s --all 2>&1 "
                         ">/dev/null", testutil_bin(), model_path, csv), 2);
    assert_non_null(strstr(last_out, "bad-port.csv:3"));
    assert_non_null(strstr(last_out, "src_port"));
    assert_true(one_line(last_out));
}

/* -o naming a --data file would replace the data with the model. */
static void train_refuses_its_data_as_output(void **state)
{
    const char *csv = tmp("data-out.csv");
    FILE *f = fopen(csv, "w");

    (void)state;
    assert_non_null(f);
    fputs("a,Label\n1,x\n", f);
    fclose(f);
    assert_int_equal(run("%s train --protocol cic-ids2017 --data %s -o %s "
                         "2>&1", testutil_bin(), csv, csv), 2);
    assert_true(one_line(last_out));
    assert_non_null(strstr(last_out, "the output file is also the input"));
    assert_int_equal(run("cat %s", csv), 0);
    assert_string_equal(last_out, "a,Label\n1,x\n");
}

/* Asking for more classes per episode than training has is said, not
 * silently shrunk while the log still claims the asked-for shape. */
static void train_says_when_episodes_have_fewer_classes(void **state)
{
    (void)state;
    assert_int_equal(run("%s train --protocol %s --way 5 --shot 2 --query 2 "
                         "--episodes 1 --no-val --hidden 8 --emb 4 -o %s "
                         "2>&1", testutil_bin(), tmp("hostile.proto"),
                         tmp("way.model")), 0);
    assert_non_null(strstr(last_out, "--way 5"));
    assert_non_null(strstr(last_out, "3-way"));
}

/* A learning rate that blows the parameters up is named as such, before
 * the class memory meets non-finite prototypes and reports that instead. */
static void train_names_divergence(void **state)
{
    (void)state;
    assert_int_equal(run("%s -q train --protocol %s --lr 1e30 --way 3 "
                         "--shot 2 --query 2 --episodes 5 --no-val --hidden 8 "
                         "--emb 4 -o %s 2>&1", testutil_bin(), tmp("hostile.proto"),
                         tmp("diverged.model")), 2);
    assert_non_null(strstr(last_out, "training diverged"));
    assert_non_null(strstr(last_out, "--lr"));
    assert_true(one_line(last_out));
    assert_false(exists(tmp("diverged.model")));
}

/* Names from hostile files reach a terminal: no escape sequence of
 * theirs may go through (an ESC can retitle or rewrite the screen). The
 * JSON forms escape them anyway. */
static void text_output_carries_no_terminal_escapes(void **state)
{
    const char *csv = tmp("esc.csv"), *m2 = tmp("esc.model");
    FILE *f = fopen(csv, "w");

    (void)state;
    assert_non_null(f);
    fputs("a,b,label\n1,2,x\033]0;owned\007y\n3,4,ok\n", f);
    fclose(f);
    assert_int_equal(run("%s -q data inspect %s", testutil_bin(), csv), 0);
    assert_non_null(strstr(last_out, "owned"));
    assert_null(strchr(last_out, '\033'));
    assert_null(strchr(last_out, '\007'));
    /* enroll refuses such a name outright, without echoing it. */
    assert_int_equal(run("%s -q enroll --model %s --name \"$(printf "
                         "'evil\\033[2J')\" --shot 2 --flows %s -o %s 2>&1",
                         testutil_bin(), model_path,
                         testutil_data_path("cic-ids2017-improved/"
                                            "Heartbleed_11.csv.xz"), m2), 2);
    assert_non_null(strstr(last_out, "control characters"));
    assert_null(strchr(last_out, '\033'));
    assert_false(exists(m2));

    /* An error that quotes the bad field quotes it printably too. */
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs("a,b,label\n1,2,x\n3,\033]0;owned\007,y\n", f);
    fclose(f);
    assert_int_equal(run("%s data inspect %s 2>&1", testutil_bin(), csv), 2);
    assert_non_null(strstr(last_out, "esc.csv:3"));
    assert_null(strchr(last_out, '\033'));
}

/* A capture that cannot be opened at all is found before the output is
 * created: no header-only CSV is left behind for a later step to trust.
 * (A capture damaged midway still keeps the rows before the damage.) */
static void flows_leaves_no_output_for_a_missing_capture(void **state)
{
    const char *out = tmp("none.csv");

    (void)state;
    assert_int_equal(run("%s -q flows -r %s -o %s 2>&1", testutil_bin(),
                         tmp("no-such.pcap"), out), 2);
    assert_non_null(strstr(last_out, "no-such.pcap"));
    assert_true(one_line(last_out));
    assert_false(exists(out));
}

/* A bad value for one of flows' many numeric options names the option:
 * "bad value '0'" alone leaves the user guessing which one. */
static void flows_names_the_option_with_a_bad_value(void **state)
{
    (void)state;
    assert_int_equal(run("%s -q flows -r x.pcap --idle-timeout 5 "
                         "--close-linger nan 2>&1", testutil_bin()), 2);
    assert_non_null(strstr(last_out, "--close-linger"));
    assert_int_equal(run("%s -q flows -r x.pcap -c -3 2>&1",
                         testutil_bin()), 2);
    assert_non_null(strstr(last_out, "--count"));
}

/* strtod reads hexadecimal, "inf" and a leading space: "0x10" was taken
 * as 16 seconds. Numeric option values are plain decimals. */
static void options_take_plain_decimals_only(void **state)
{
    static const char *const bad[] = { "0x10", " 5", "inf", "1e", "5s" };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(run("%s -q detect --model %s --csv x.csv "
                             "--slow-min-duration '%s' 2>&1", testutil_bin(),
                             model_path, bad[i]), 2);
        assert_non_null(strstr(last_out, "--slow-min-duration"));
        assert_int_equal(run("%s -q flows -r x.pcap --idle-timeout '%s' "
                             "2>&1", testutil_bin(), bad[i]), 2);
        assert_non_null(strstr(last_out, "--idle-timeout"));
        assert_int_equal(run("%s -q eval --openset --model %s "
                             "--benign-fpr '%s' 2>&1", testutil_bin(),
                             model_path, bad[i]), 2);
        assert_non_null(strstr(last_out, "--benign-fpr"));
    }
    assert_int_equal(run("%s -q flows -r no-such.pcap --idle-timeout 1e1 "
                         "2>&1", testutil_bin()), 2);
    assert_null(strstr(last_out, "--idle-timeout"));
}

/* strtol and strtoul take a sign and leading spaces and stop at the first
 * other character: --hidden 12.5 trained 12 wide, --max-protos
 * -4294967294 kept 2 prototypes, -c ' -1' read no limit. Each command
 * runs on inputs that do not exist, so a value wrongly taken shows as
 * some other error without the option's name. */
static void counts_take_plain_whole_numbers_only(void **state)
{
    static const char *const bad[][2] = {
        { "train --protocol no-such -o no.model --hidden 12.5", "--hidden" },
        { "train --protocol no-such -o no.model --hidden 128x,64", "--hidden" },
        { "train --protocol no-such -o no.model --hidden 64,,64", "--hidden" },
        { "train --protocol no-such -o no.model --init-scale 0x10", "--init-scale" },
        { "train --protocol no-such -o no.model --episodes ' 5'", "--episodes" },
        { "enroll --model no.model --name a --flows no.csv -o no2.model "
          "--max-protos -4294967294", "--max-protos" },
        { "enroll --model no.model --name a --flows no.csv -o no2.model "
          "--shot +3", "--shot" },
        { "detect --model no.model --csv no.csv --batch ' 8'", "--batch" },
        { "eval --openset --model no.model --shots ' 5,10'", "--shots" },
        { "eval --openset --model no.model --shots 1,5,", "--shots" },
        { "eval --openset --model no.model --shots 5,,", "--shots" },
        { "eval --openset --model no.model --shots ,5", "--shots" },
        { "eval --model no.model --episodes +5", "whole number" },
        { "flows -r no.pcap -c ' -1'", "--count" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = run("%s -q %s 2>&1", testutil_bin(), bad[i][0]);
        if (rc != 2 || strstr(last_out, bad[i][1]) == NULL)
            fail_msg("%s: exit %d: %s", bad[i][0], rc, last_out);
    }
}

/* --close-linger 0 turns lingering off; "0.0" was refused as not
 * seconds while --repeat-max-duration took it for its 0. */
static void linger_takes_zero_in_any_spelling(void **state)
{
    static const char *const zero[] = { "0", "0.0", "00", "0e0" };
    (void)state;
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
        run("%s -q detect --model no.model --csv no.csv --close-linger %s "
            "2>&1", testutil_bin(), zero[i]);
        if (strstr(last_out, "--close-linger") != NULL)
            fail_msg("detect --close-linger %s: %s", zero[i], last_out);
        run("%s -q flows -r no.pcap --close-linger %s 2>&1", testutil_bin(),
            zero[i]);
        if (strstr(last_out, "--close-linger") != NULL)
            fail_msg("flows --close-linger %s: %s", zero[i], last_out);
    }
    assert_int_equal(run("%s -q flows -r no.pcap --close-linger 0x0 2>&1",
                         testutil_bin()), 2);
    assert_non_null(strstr(last_out, "--close-linger"));
}

/* The summary file's error gives the reason, as other outputs do. */
static void summary_json_error_gives_the_reason(void **state)
{
    (void)state;
    assert_int_equal(run("%s -q detect --model %s --csv %s --summary-json "
                         "/nonexistent-dir/s.json 2>&1 >/dev/null",
                         testutil_bin(), model_path,
                         testutil_data_path("cic-ids2017-improved/"
                                            "Heartbleed_11.csv.xz")), 2);
    assert_non_null(strstr(last_out, "/nonexistent-dir/s.json"));
    assert_non_null(strstr(last_out, "No such file or directory"));
}

/* A stray argument is named, not reported as a missing option. */
static void stray_arguments_are_named(void **state)
{
    (void)state;
    assert_int_equal(run("%s classes --model %s stray 2>&1", testutil_bin(),
                         model_path), 2);
    assert_non_null(strstr(last_out, "'stray'"));
    assert_int_equal(run("%s forget --model %s --name x -o %s stray 2>&1",
                         testutil_bin(), model_path, tmp("f.model")), 2);
    assert_non_null(strstr(last_out, "'stray'"));
}

int main(void)
{
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(detect_on_a_cut_capture_exits_2),
        cmocka_unit_test(enroll_from_a_cut_capture_exits_2),
        cmocka_unit_test(train_refuses_useless_option_values),
        cmocka_unit_test(openset_help_states_the_real_defaults),
        cmocka_unit_test(detect_csv_refuses_an_impossible_port),
        cmocka_unit_test(train_refuses_its_data_as_output),
        cmocka_unit_test(train_says_when_episodes_have_fewer_classes),
        cmocka_unit_test(train_names_divergence),
        cmocka_unit_test(text_output_carries_no_terminal_escapes),
        cmocka_unit_test(flows_leaves_no_output_for_a_missing_capture),
        cmocka_unit_test(flows_names_the_option_with_a_bad_value),
        cmocka_unit_test(summary_json_error_gives_the_reason),
        cmocka_unit_test(options_take_plain_decimals_only),
        cmocka_unit_test(counts_take_plain_whole_numbers_only),
        cmocka_unit_test(linger_takes_zero_in_any_spelling),
        cmocka_unit_test(stray_arguments_are_named),
        cmocka_unit_test(installed_pkg_config_points_into_the_prefix),
    };
    return cmocka_run_group_tests(cli, setup_model, teardown_model);
}
