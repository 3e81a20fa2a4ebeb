/*
 * `fewflow data inspect --json` on every shared flow CSV must report the
 * row and label counts its SOURCE.md states. The expected numbers below
 * are transcribed by hand from data/<folder>/SOURCE.md, independently of
 * the reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct expect {
    const char *file;
    const char *flags;
    unsigned long rows;
    const char *labels;   /* "name=count;..." the complete label set */
    long dup_lines;       /* -1 when SOURCE.md gives no figure */
    long dup_features;
};

static const struct expect files[] = {
    { "nsl-kdd/KDDTrain+.txt.xz", "", 125973,
      "normal=67343;neptune=41214;satan=3633;ipsweep=3599;portsweep=2931;"
      "smurf=2646;nmap=1493;back=956;teardrop=892;warezclient=890;pod=201;"
      "guess_passwd=53;buffer_overflow=30;warezmaster=20;land=18;imap=11;"
      "rootkit=10;loadmodule=9;ftp_write=8;multihop=7;phf=4;perl=3;spy=2",
      0, 16 },
    { "nsl-kdd/KDDTest+.txt.xz", "", 22544,
      "normal=9711;neptune=4657;guess_passwd=1231;mscan=996;"
      "warezmaster=944;apache2=737;satan=735;processtable=685;smurf=665;"
      "back=359;snmpguess=331;saint=319;mailbomb=293;snmpgetattack=178;"
      "portsweep=157;ipsweep=141;httptunnel=133;nmap=73;pod=41;"
      "buffer_overflow=20;multihop=18;named=17;ps=15;sendmail=14;xterm=13;"
      "rootkit=13;teardrop=12;xlock=9;land=7;xsnoop=4;ftp_write=3;"
      "loadmodule=2;worm=2;perl=2;sqlattack=2;udpstorm=2;phf=2;imap=1",
      0, 57 },
    { "nsl-kdd/KDDTrain+_20Percent.txt.xz", "", 25192,
      "normal=13449;neptune=8282;ipsweep=710;satan=691;portsweep=587;"
      "smurf=529;nmap=301;back=196;teardrop=188;warezclient=181;pod=38;"
      "guess_passwd=10;warezmaster=7;buffer_overflow=6;imap=5;rootkit=4;"
      "multihop=2;phf=2;ftp_write=1;land=1;loadmodule=1;spy=1", 0, -1 },
    { "nsl-kdd/KDDTrain+.txt.xz", "--family", 125973,
      "normal=67343;DoS=45927;Probe=11656;R2L=995;U2R=52", 0, -1 },
    { "nsl-kdd/KDDTest+.txt.xz", "--family", 22544,
      "normal=9711;DoS=7458;Probe=2421;R2L=2887;U2R=67", 0, -1 },
    { "nsl-kdd/KDDTrain+_20Percent.txt.xz", "--family", 25192,
      "normal=13449;DoS=9234;Probe=2289;R2L=209;U2R=11", 0, -1 },
    { "nsl-kdd/KDDTest-21.txt.xz", "--family", 11850,
      "normal=2152;DoS=4342;Probe=2402;R2L=2887;U2R=67", 0, -1 },
    { "unsw-nb15/UNSW_NB15_training-set.csv.xz", "", 82332,
      "Normal=37000;Generic=18871;Exploits=11132;Fuzzers=6062;DoS=4089;"
      "Reconnaissance=3496;Analysis=677;Backdoor=583;Shellcode=378;"
      "Worms=44", -1, 28386 },
    { "cic-ids2017-improved/BENIGN_4066_no-thursday.csv.xz", "", 4066,
      "BENIGN=4066", -1, -1 },
    { "cic-ids2017-improved/Botnet_736.csv.xz", "", 736, "Botnet=736", -1,
      -1 },
    { "cic-ids2017-improved/DDoS_5000.csv.xz", "", 5000, "DDoS=5000", -1,
      0 },
    { "cic-ids2017-improved/DoS_GoldenEye_5000.csv.xz", "", 5000,
      "DoS GoldenEye=5000", -1, 0 },
    { "cic-ids2017-improved/DoS_Hulk_5000.csv.xz", "", 5000,
      "DoS Hulk=5000", -1, 0 },
    { "cic-ids2017-improved/DoS_Slowhttptest_1740.csv.xz", "", 1740,
      "DoS Slowhttptest=1740", -1, 0 },
    { "cic-ids2017-improved/DoS_Slowloris_3859.csv.xz", "", 3859,
      "DoS Slowloris=3859", -1, 0 },
    { "cic-ids2017-improved/FTP-Patator_3972.csv.xz", "", 3972,
      "FTP-Patator=3972", -1, 0 },
    { "cic-ids2017-improved/Heartbleed_11.csv.xz", "", 11,
      "Heartbleed=11", -1, -1 },
    { "cic-ids2017-improved/Portscan_5000.csv.xz", "", 5000,
      "Portscan=5000", -1, 4718 },
    { "cic-ids2017-improved/SSH-Patator_2961.csv.xz", "", 2961,
      "SSH-Patator=2961", -1, 0 },
    { "cic-ids2017-mlcve-subset/Tuesday-WorkingHours_balanced.csv.xz", "",
      46117, "BENIGN=32282;FTP-Patator=7938;SSH-Patator=5897", 5128, -1 },
    { "cic-ids2017-mlcve-subset/"
      "Friday-WorkingHours-Morning_Bot_balanced.csv.xz", "", 6554,
      "BENIGN=4588;Bot=1966", 37, -1 },
};

/* The number after "key": in json, or -1. */
static long json_number(const char *json, const char *key)
{
    char pat[64];

    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p != NULL ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* Checks that the "labels" object holds exactly the expected entries. */
static void check_labels(const char *json, const char *expected,
                         const char *file)
{
    const char *lab = strstr(json, "\"labels\":{");
    assert_non_null(lab);
    const char *end = strchr(lab, '}');
    size_t n_found = 0, n_expected = 0;

    for (const char *p = lab; p < end; p++)
        n_found += *p == ':';
    n_found--;            /* the colon after "labels" */
    char *copy = strdup(expected);
    for (char *tok = strtok(copy, ";"); tok; tok = strtok(NULL, ";")) {
        char want[128];
        char *eq = strchr(tok, '=');
        *eq = '\0';
        snprintf(want, sizeof(want), "\"%s\":%s%c", tok, eq + 1, ',');
        const char *hit = strstr(lab, want);
        if (hit == NULL || hit > end) {
            want[strlen(want) - 1] = '}';
            hit = strstr(lab, want);
        }
        if (hit == NULL || hit > end)
            fail_msg("%s: label %s=%s not in %.*s", file, tok, eq + 1,
                     (int)(end - lab + 1), lab);
        n_expected++;
    }
    free(copy);
    assert_int_equal(n_found, n_expected);
}

static void inspect_matches_every_source_md(void **state)
{
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        const struct expect *e = &files[i];
        char cmd[2048], *out = NULL;

        snprintf(cmd, sizeof(cmd), "'%s' -q data inspect --json %s '%s'",
                 testutil_bin(), e->flags, testutil_data_path(e->file));
        assert_int_equal(testutil_run(cmd, &out), 0);
        assert_int_equal(json_number(out, "rows"), (long)e->rows);
        check_labels(out, e->labels, e->file);
        if (e->dup_lines >= 0)
            assert_int_equal(json_number(out, "lines"), e->dup_lines);
        if (e->dup_features >= 0) {
            const char *d = strstr(out, "\"duplicates\":");
            assert_non_null(d);
            assert_int_equal(json_number(d, "features"), e->dup_features);
        }
        free(out);
    }
}

static void improved_folder_reads_as_one_dataset(void **state)
{
    char cmd[4096], *out = NULL;

    snprintf(cmd, sizeof(cmd), "'%s' -q data inspect --json %s/*.csv.xz",
             testutil_bin(), testutil_data_path("cic-ids2017-improved"));
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_int_equal(json_number(out, "rows"), 37345);
    check_labels(out, "BENIGN=4066;Botnet=736;DDoS=5000;DoS GoldenEye=5000;"
                 "DoS Hulk=5000;DoS Slowhttptest=1740;DoS Slowloris=3859;"
                 "FTP-Patator=3972;Heartbleed=11;Portscan=5000;"
                 "SSH-Patator=2961", "cic-ids2017-improved");
    assert_non_null(strstr(out, "\"profile\":\"cic-ids2017-improved\""));
    /* 91 columns less 8 identifiers, Attempted Category and the label. */
    assert_int_equal(json_number(out, "raw"), 81);
    free(out);
}

/* The two other CSVs in the shared data are not flow tables; they still
 * read as generic CSVs with the row counts their SOURCE.md and INDEX.md
 * give (49 feature descriptions; 109 capture files). */
static void other_shared_csvs_read_as_generic(void **state)
{
    static const struct { const char *file; long rows; } others[] = {
        { "unsw-nb15/NUSW-NB15_features.csv", 49 },
        { "pcaps/LABELS.csv", 109 },
    };

    for (size_t i = 0; i < 2; i++) {
        char cmd[2048], *out = NULL;
        snprintf(cmd, sizeof(cmd), "'%s' -q data inspect --json '%s'",
                 testutil_bin(), testutil_data_path(others[i].file));
        assert_int_equal(testutil_run(cmd, &out), 0);
        assert_int_equal(json_number(out, "rows"), others[i].rows);
        assert_non_null(strstr(out, "\"profile\":\"generic\""));
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inspect_matches_every_source_md),
        cmocka_unit_test(improved_folder_reads_as_one_dataset),
        cmocka_unit_test(other_shared_csvs_read_as_generic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
