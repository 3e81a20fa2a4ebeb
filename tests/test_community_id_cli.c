/*
 * community_id on detect's lines, against an independent reference:
 * tests/fixtures/community_id_reference.txt, written by
 * make_community_id_reference.py from the packet bytes of shared
 * captures (and the rows of a flow CSV) with Python's hashlib and
 * base64. Every line of `detect --all` must carry the ID that the
 * reference gives its first packet's tuple (a CSV row's tuple, ICMP
 * rows with their type and code), for two seeds; a CSV row with an
 * empty port carries none.
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
#include "pktbuild.h"

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("cid", model_path,
                                           sizeof(model_path), &last_out))

static char *reference;

static void read_reference(void)
{
    const char *dir = getenv("FEWFLOW_SOURCE_DIR");
    char cmd[4200];
    char *out = NULL;
    if (reference != NULL)
        return;
    assert_non_null(dir);
    snprintf(cmd, sizeof(cmd), "cat '%s/tests/fixtures/"
             "community_id_reference.txt'", dir);
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);
    reference = out;
}

/* The text of "key":VALUE in line (a string's quotes dropped), or "". */
static void field(const char *line, const char *key, char *out, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *at = strstr(line, pat);
    out[0] = '\0';
    if (at == NULL)
        return;
    at += strlen(pat);
    at += *at == '"';
    size_t n = strcspn(at, "\",}");
    n = n < len - 1 ? n : len - 1;
    memcpy(out, at, n);
    out[n] = '\0';
}

static int proto_number(const char *name)
{
    static const char *const names[] = { "ICMP", "TCP", "UDP", "IPv6-ICMP",
                                         "SCTP" };
    static const int nums[] = { 1, 6, 17, 58, 132 };
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0)
            return nums[i];
    }
    return atoi(name);
}

/* The reference's ID of a line's tuple, "" when it lists none. */
static void expected(const char *input, int seed, const char *line,
                     char *out, size_t len)
{
    char src[64], dst[64], proto[16], a[16], b[16], key[400];
    field(line, "src_ip", src, sizeof(src));
    field(line, "dest_ip", dst, sizeof(dst));
    field(line, "proto", proto, sizeof(proto));
    int p = proto_number(proto);
    int icmp = p == 1 || p == 58;
    field(line, icmp ? "icmp_type" : "src_port", a, sizeof(a));
    field(line, icmp ? "icmp_code" : "dest_port", b, sizeof(b));
    if (p != 6 && p != 17 && p != 132 && !icmp) {
        snprintf(a, sizeof(a), "-");
        snprintf(b, sizeof(b), "-");
    }
    snprintf(key, sizeof(key), "%s %d %d %s %s %s %s ", input, seed, p, src,
             dst, a, b);
    const char *at = strstr(reference, key);
    out[0] = '\0';
    if (at == NULL)
        return;
    at += strlen(key);
    size_t n = strcspn(at, "\n");
    n = n < len - 1 ? n : len - 1;
    memcpy(out, at, n);
    out[n] = '\0';
}

/* Each line of detect's output on input against the reference; the
 * number of lines. */
static size_t compare_lines(const char *input, int seed)
{
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(last_out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char got[64], want[64];
        field(line, "community_id", got, sizeof(got));
        expected(input, seed, line, want, sizeof(want));
        if (want[0] == '\0' || strcmp(got, want) != 0)
            fail_msg("%s seed %d: '%s' where the reference has '%s': %s",
                     input, seed, got, want, line);
        n++;
    }
    return n;
}

static void captures_match_the_reference(void **state)
{
    (void)state;
    read_reference();
    size_t captures = 0;
    char name[300];
    for (const char *at = reference; *at != '\0';
         at = strchr(at, '\n') + 1) {
        size_t n = strcspn(at, " ");
        snprintf(name, sizeof(name), "%.*s ", (int)n, at);
        if (strstr(name, "pcap") == NULL ||
            strstr(reference, name) != at)
            continue;
        name[n] = '\0';
        char path[320];
        snprintf(path, sizeof(path), "pcaps/%s", name);
        for (int seed = 0; seed <= 4242; seed += 4242) {
            assert_int_equal(run_ok("%s -q detect --model %s --all "
                                    "--explain 0 --threads 1 "
                                    "--community-id-seed %d -r %s",
                                    testutil_bin(), model_path, seed,
                                    testutil_data_path(path)), 0);
            assert_true(compare_lines(name, seed) > 0);
        }
        captures++;
    }
    assert_int_equal(captures, 9);
}

/* A row's ID from its fields; none where a port is left empty. */
static void csv_rows_match_the_reference(void **state)
{
    const char *name = "cic-ids2017-improved/Heartbleed_11.csv.xz";
    const char *csv = testutil_tmp("cid.csv");
    (void)state;
    read_reference();
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "--community-id-seed 4242 --csv %s",
                            testutil_bin(), model_path,
                            testutil_data_path(name)), 0);
    assert_int_equal(compare_lines(name, 4242), 11);
    assert_int_equal(run_ok("xz -dc %s | head -4 | sed '3s/,45022,/,,/' "
                            "> %s", testutil_data_path(name), csv), 0);
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "--csv %s", testutil_bin(), model_path, csv), 0);
    assert_int_equal(testutil_count(last_out, "\n"), 3);
    assert_int_equal(testutil_count(last_out, "\"community_id\":\"1:JSnBrq"
                                    "s4BAat6nUldQFdps6oL98=\""), 2);
}

/* ICMP rows take their type and code from the ICMP Type and ICMP Code
 * columns: printed as EVE does, and hashed. */
static void csv_icmp_rows_match_the_reference(void **state)
{
    static const char *const names[2] = {
        "cic-ids2017-improved/BENIGN_4066_no-thursday.csv.xz",
        "cic-ids2017-improved/Portscan_5000.csv.xz",
    };
    static const size_t rows[2] = { 2, 1 };
    const char *csv = testutil_tmp("icmp.csv");
    (void)state;
    read_reference();
    for (int i = 0; i < 2; i++) {
        assert_int_equal(run_ok("xz -dc %s | awk -F, 'NR == 1 || $7 == 1' "
                                "> %s", testutil_data_path(names[i]), csv),
                         0);
        for (int seed = 0; seed <= 4242; seed += 4242) {
            assert_int_equal(run_ok("%s -q detect --model %s --all "
                                    "--explain 0 --community-id-seed %d "
                                    "--csv %s", testutil_bin(), model_path,
                                    seed, csv), 0);
            assert_non_null(strstr(last_out, "\"proto\":\"ICMP\","
                                   "\"icmp_type\":"));
            assert_int_equal(compare_lines(names[i], seed), rows[i]);
        }
    }
}

/* An SCTP association from a capture has its ports, so its ID: the
 * specification's SCTP vector, both ways (baseline_deflt.json). */
static void sctp_from_a_capture(void **state)
{
    struct pcap_out o;
    const char *path = testutil_tmp("sctp.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 132, .sport = 7, .dport = 7,
                        .payload = 16 };
    (void)state;
    assert_int_equal(pcap_out_open(&o, path, 1, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "192.168.170.56", "192.168.170.8", &l, 1, 0, 0, 0);
    pcap_out_write(&o, 1500000000LL * 1000000000LL, &p, 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "192.168.170.8", "192.168.170.56", &l, 2, 0, 0, 0);
    pcap_out_write(&o, 1500000000LL * 1000000000LL + 1000000, &p, 0);
    pcap_out_close(&o);
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "-r %s", testutil_bin(), model_path, path), 0);
    assert_int_equal(testutil_count(last_out, "\n"), 1);
    assert_non_null(strstr(last_out, "\"src_port\":7,\"dest_ip\":"
                           "\"192.168.170.8\",\"dest_port\":7,\"proto\":"
                           "\"SCTP\",\"community_id\":\"1:MP2EtRCAUIZvTw6"
                           "MxJHLV7N7JDs=\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(captures_match_the_reference),
        cmocka_unit_test(csv_rows_match_the_reference),
        cmocka_unit_test(csv_icmp_rows_match_the_reference),
        cmocka_unit_test(sctp_from_a_capture),
    };
    int rc = cmocka_run_group_tests(tests, setup_model, teardown_model);
    free(reference);
    return rc;
}
