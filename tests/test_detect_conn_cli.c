/*
 * Connection rule (conn.h) through the command line: detect --csv on a
 * DDoS connection whose later flow alone looks benign, detect on a
 * capture of a slow request the meter cuts in two, and eval --openset on
 * a small CSV whose Botnet class has such fragments. The CSVs are made
 * from the shared CIC-IDS2017 rows at run time (awk), not stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

static char *out;

/* Time-of-day arithmetic on the CSV's "YYYY-MM-DD HH:MM:SS.ffffff". */
static const char awk_time[] =
    "function secs(ts,    a, b) {\n"
    "    split(ts, a, \" \"); split(a[2], b, \":\"); day = a[1]\n"
    "    return b[1] * 3600 + b[2] * 60 + b[3]\n"
    "}\n"
    "function stamp(s) {\n"
    "    return sprintf(\"%s %02d:%02d:%09.6f\", day, int(s / 3600),\n"
    "                   int(s % 3600 / 60), s - 60 * int(s / 60))\n"
    "}\n"
    "function fragment() {\n"
    "    $c[\"SYN Flag Count\"] = 0; $c[\"FIN Flag Count\"] = 0\n"
    "    $c[\"RST Flag Count\"] = 0\n"
    "}\n"
    "BEGIN { OFS = \",\" }\n"
    "NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }\n";

/* Row 2 (a DDoS flow, left open) starts a connection; row 3 (a BENIGN
 * flow's features) continues it 60 s after it ended, and comes again
 * 700 s after that, too late to continue it. */
static const char awk_detect[] =
    "NR == 2 {\n"
    "    $c[\"FIN Flag Count\"] = 0; $c[\"RST Flag Count\"] = 0\n"
    "    for (i = 3; i <= 7; i++) t[i] = $i\n"
    "    e = secs($c[\"Timestamp\"]) + $c[\"Flow Duration\"] / 1e6\n"
    "    print; next\n"
    "}\n"
    "{\n"
    "    for (i = 3; i <= 7; i++) $i = t[i]\n"
    "    fragment(); s = e + 60\n"
    "    $c[\"Timestamp\"] = stamp(s); print\n"
    "    $c[\"Timestamp\"] = stamp(s + $c[\"Flow Duration\"] / 1e6 + 700)\n"
    "    print\n"
    "}\n";

/* 40 rows of each known class, Heartbleed, 30 Botnet rows; BENIGN rows
 * 41-50 become fragments of the first ten Botnet connections, 30 s
 * after each ended. */
static const char awk_eval[] =
    "$c[\"Label\"] == \"BENIGN\" && nb++ >= 40 {\n"
    "    if (nb <= 50) frag[nb - 40] = $0\n"
    "    next\n"
    "}\n"
    "$c[\"Label\"] == \"Botnet\" && nbot++ < 10 {\n"
    "    $c[\"FIN Flag Count\"] = 0; $c[\"RST Flag Count\"] = 0\n"
    "    for (i = 3; i <= 7; i++) t[nbot, i] = $i\n"
    "    end[nbot] = secs($c[\"Timestamp\"]) + $c[\"Flow Duration\"] / 1e6\n"
    "}\n"
    "{ print }\n"
    "END {\n"
    "    for (k = 1; k <= 10; k++) {\n"
    "        $0 = frag[k]\n"
    "        for (i = 3; i <= 7; i++) $i = t[k, i]\n"
    "        $c[\"Label\"] = \"Botnet\"; fragment()\n"
    "        $c[\"Timestamp\"] = stamp(end[k] + 30)\n"
    "        print\n"
    "    }\n"
    "}\n";

static const char *write_awk(const char *name, const char *body)
{
    const char *path = testutil_tmp(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(awk_time, f);
    fputs(body, f);
    fclose(f);
    return path;
}

static const char *data(const char *file)
{
    static char buf[8][1024];
    static int k;
    char rel[256];
    snprintf(rel, sizeof(rel), "cic-ids2017-improved/%s.csv.xz", file);
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof(buf[k]), "%s", testutil_data_path(rel));
    return buf[k];
}

static void small_model(char *model, size_t len)
{
    assert_int_equal(testutil_model_tiny("conn", model, len, &out), 0);
}

static void test_detect_csv(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512], csv[512], rev[512];
    small_model(model, sizeof(model));
    const char *awk = write_awk("conn-detect.awk", awk_detect);
    snprintf(csv, sizeof(csv), "%s", testutil_tmp("conn.csv"));
    snprintf(rev, sizeof(rev), "%s", testutil_tmp("conn-rev.csv"));
    assert_int_equal(testutil_runf(&out, "(xz -dc %s | head -2; xz -dc %s "
                                   "| sed -n 2p) | awk -F, -f %s > %s",
                                   data("DDoS_5000"),
                                   data("BENIGN_4066_no-thursday"), awk,
                                   csv), 0);
    /* Alone: the DDoS flow alerts, both later flows are benign. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s --csv %s "
                                   "--all --explain 0 --judge-continuations",
                                   bin, model, csv), 0);
    assert_int_equal(testutil_count(out, "\"fewflow\":{\"class\":\"DDoS\""), 1);
    assert_int_equal(testutil_count(out, "\"fewflow\":{\"class\":"
                                         "\"BENIGN\""), 2);
    assert_null(strstr(out, "continues the connection"));
    /* With the rule the flow 60 s later keeps the connection's class,
     * the one 700 s later does not. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s --csv %s "
                                   "--all --explain 0 --summary-json "
                                   "/dev/stderr 2>&1", bin, model, csv), 0);
    assert_int_equal(testutil_count(out, "\"fewflow\":{\"class\":\"DDoS\""), 2);
    assert_int_equal(testutil_count(out, "\"fewflow\":{\"class\":"
                                         "\"BENIGN\""), 1);
    assert_int_equal(testutil_count(out, "\"reason\":\"continues the "
                                         "connection of flow_id "), 1);
    assert_non_null(strstr(out, "(decided DDoS)\""));
    assert_non_null(strstr(out, "\"continued\":1,"));
    /* A `conn` suppression entry holds back the continuation only, a
     * class entry the head (the summary counts each). */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s --csv %s "
                                   "--explain 0 --suppress %s --summary-json "
                                   "/dev/stderr 2>&1", bin, model, csv,
                                   testutil_write("conn.suppress",
                                                  "conn\n\"ddos\"\n")), 0);
    assert_null(strstr(out, "\"event_type\""));
    assert_non_null(strstr(out, "\"what\":\"conn\",\"alerts\":1}"));
    assert_non_null(strstr(out, "\"what\":\"\\\"ddos\\\"\",\"alerts\":1}"));
    /* Unsorted input: the later flow read first is judged alone. */
    assert_int_equal(testutil_runf(&out, "(head -1 %s; tail -n +2 %s | tac) "
                                   "> %s", csv, csv, rev), 0);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s --csv %s "
                                   "--all --explain 0", bin, model, rev), 0);
    assert_int_equal(testutil_count(out, "\"fewflow\":{\"class\":\"DDoS\""), 1);
    /* ... and counted, with one warning (the part 700 s later could not
     * continue it in any order). */
    assert_int_equal(testutil_runf(&out, "%s detect --model %s --csv %s "
                                   "--explain 0 --summary-json /dev/stderr "
                                   "2>&1 >/dev/null", bin, model, rev), 0);
    assert_non_null(strstr(out, "\"before_head\":1}"));
    assert_int_equal(testutil_count(out, "came before the flow whose "
                                         "connection they continue"), 1);
    assert_int_equal(testutil_runf(&out, "%s detect --model %s --csv %s "
                                   "--explain 0 --summary-json /dev/stderr "
                                   "2>&1 >/dev/null", bin, model, csv), 0);
    assert_non_null(strstr(out, "\"before_head\":0}"));
    assert_null(strstr(out, "came before the flow"));
    free(out);
    out = NULL;
}

/* "precision" or "recall" of Botnet at K = 5 in eval's JSON. */
static double botnet_at5(const char *json, const char *what)
{
    const char *p = strstr(json, "\"Botnet\":{\"5\":{");
    assert_non_null(p);
    char key[32];
    snprintf(key, sizeof(key), "\"%s\":", what);
    p = strstr(p, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

static void test_eval_csv(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512], csv[512];
    small_model(model, sizeof(model));
    const char *awk = write_awk("conn-eval.awk", awk_eval);
    snprintf(csv, sizeof(csv), "%s", testutil_tmp("conn-eval.csv"));
    assert_int_equal(testutil_runf(&out, "(xz -dc %s | head -61; xz -dc %s "
                                   "| sed -n 2,41p; xz -dc %s | sed -n "
                                   "2,41p; xz -dc %s | tail -n +2; xz -dc %s "
                                   "| sed -n 2,31p) | awk -F, -f %s > %s",
                                   data("BENIGN_4066_no-thursday"),
                                   data("DDoS_5000"), data("Portscan_5000"),
                                   data("Heartbleed_11"), data("Botnet_736"),
                                   awk, csv), 0);
    const char *cmd = "%s -q eval --openset --model %s --data %s --shots 5 "
                      "--trials 3 --json %s 2>/dev/null";
    assert_int_equal(testutil_runf(&out, cmd, bin, model, csv,
                                   "--no-connections"), 0);
    assert_non_null(strstr(out, "\"connections\":{\"rule\":false,"));
    double r_off = botnet_at5(out, "recall");
    double p_off = botnet_at5(out, "precision");
    assert_int_equal(testutil_runf(&out, cmd, bin, model, csv, ""), 0);
    /* the ten fragments and Heartbleed's ten later rows (one connection
     * cut into eleven flows in the CSV) */
    assert_non_null(strstr(out, "\"linked_rows\":20,"));
    assert_true(botnet_at5(out, "recall") > r_off + 0.1);
    assert_true(botnet_at5(out, "precision") >= p_off - 1e-9);
    /* The identities are kept as the table loads, each file read once:
     * data on standard input (which cannot be read twice) links too. */
    char *on_file = strdup(out);
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--data - --shots 5 --trials 3 --json "
                                   "< %s 2>/dev/null", bin, model, csv), 0);
    assert_string_equal(out, on_file);
    free(on_file);
    /* A row whose port detect cannot read turns the rule off, with a
     * warning, and the evaluation still runs. */
    assert_int_equal(testutil_runf(&out, "awk -F, 'BEGIN { OFS = \",\" } "
                                   "NR == 5 { $4 = \"port\" } { print }' "
                                   "%s > %s.bad && %s -q eval --openset "
                                   "--model %s --data %s.bad --shots 5 "
                                   "--trials 1 --json 2>&1", csv, csv, bin,
                                   model, csv), 0);
    assert_non_null(strstr(out, "connection rule off: "));
    assert_non_null(strstr(out, "\"connections\":{\"rule\":false,"));
    free(out);
    out = NULL;
}

/* ---- detect on a capture: a connection the meter cuts at an idle gap */

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)

static void put(struct pcap_out *o, int64_t t, int fwd, uint16_t sport,
                uint8_t flags, uint32_t payload)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .sport = fwd ? sport : 80,
                        .dport = fwd ? 80 : sport, .flags = flags,
                        .window = 64240, .payload = payload };
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, fwd ? "10.0.0.1" : "10.0.0.2",
             fwd ? "10.0.0.2" : "10.0.0.1", &l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/* A slow request: handshake, a partial header, then one header line
 * every 2 s, never completed. */
static void slow_start(struct pcap_out *o, int64_t t, uint16_t sport)
{
    put(o, t, 1, sport, 0x02, 0);
    put(o, t + SEC / 100, 0, sport, 0x12, 0);
    put(o, t + SEC / 50, 1, sport, 0x10, 0);
    put(o, t + SEC / 20, 1, sport, 0x18, 230);
    put(o, t + SEC / 10, 0, sport, 0x10, 0);
    for (int k = 1; k <= 3; k++) {
        put(o, t + k * 2 * SEC, 1, sport, 0x18, 24);
        put(o, t + k * 2 * SEC + SEC / 10, 0, sport, 0x10, 0);
    }
}

/* After a pause: two more header lines and a close (no SYN). */
static void slow_rest(struct pcap_out *o, int64_t t, uint16_t sport)
{
    put(o, t, 1, sport, 0x18, 24);
    put(o, t + SEC / 10, 0, sport, 0x10, 0);
    put(o, t + 2 * SEC, 1, sport, 0x18, 24);
    put(o, t + 2 * SEC + SEC / 10, 0, sport, 0x10, 0);
    put(o, t + 3 * SEC, 1, sport, 0x11, 0);
    put(o, t + 3 * SEC + SEC / 10, 0, sport, 0x11, 0);
    put(o, t + 3 * SEC + SEC / 5, 1, sport, 0x10, 0);
}

/* n slow connections 100 s apart (pause 0: only their starts, left
 * open; otherwise the rest follows after pause seconds). */
static const char *write_pcap(const char *name, int64_t pause, int n)
{
    static char path[2][512];
    static int k;
    struct pcap_out o;
    k = !k;
    snprintf(path[k], sizeof(path[k]), "%s/%s", testutil_tmpdir(), name);
    assert_int_equal(pcap_out_open(&o, path[k], DLT_EN10MB, 0), 0);
    for (int i = 0; i < n; i++) {
        int64_t t = T0 + (int64_t)i * 1000 * SEC;
        slow_start(&o, t, (uint16_t)(40000 + i));
        if (pause > 0)
            slow_rest(&o, t + pause * SEC, (uint16_t)(40000 + i));
    }
    pcap_out_close(&o);
    return path[k];
}

/* One slow connection whose rest, 60 s after its start, opens with a
 * packet from the server: the meter gives that part the reversed
 * 5-tuple. */
static const char *write_pcap_server_first(const char *name)
{
    static char path[512];
    struct pcap_out o;
    snprintf(path, sizeof(path), "%s/%s", testutil_tmpdir(), name);
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    slow_start(&o, T0, 40000);
    put(&o, T0 + 60 * SEC, 0, 40000, 0x18, 24);
    slow_rest(&o, T0 + 60 * SEC + SEC / 10, 40000);
    pcap_out_close(&o);
    return path;
}

/* The meter ends the slow connection at a 30 s idle gap; its rest, alone,
 * is benign to this model. Within 600 s it keeps the connection's class,
 * after 700 s it does not. */
static void test_detect_capture(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512];
    small_model(model, sizeof(model));
    const char *starts = write_pcap("conn-starts.pcap", 0, 6);
    assert_int_equal(testutil_runf(&out, "%s -q enroll --model %s --name "
                                   "slow --flows %s -o %s.s 2>&1", bin,
                                   model, starts, model), 0);
    const char *cap = write_pcap("conn-whole.pcap", 60, 1);
    const char *cmd = "%s -q detect --model %s.s -r %s --idle-timeout 30 "
                      "--all --explain 0 %s";
    const char *slow = "\"fewflow\":{\"class\":\"slow\"";
    assert_int_equal(testutil_runf(&out, cmd, bin, model, cap,
                                   "--judge-continuations"), 0);
    assert_int_equal(testutil_count(out, slow), 1);
    assert_int_equal(testutil_count(out, "\"fewflow\":{\"class\":"
                                         "\"BENIGN\""), 1);
    assert_int_equal(testutil_runf(&out, cmd, bin, model, cap,
                                   "--summary-json /dev/stderr 2>&1"), 0);
    assert_int_equal(testutil_count(out, slow), 2);
    assert_int_equal(testutil_count(out, "\"reason\":\"continues the "
                                         "connection of flow_id "), 1);
    assert_non_null(strstr(out, "\"continued\":1,"));
    cap = write_pcap("conn-late.pcap", 700, 1);
    assert_int_equal(testutil_runf(&out, cmd, bin, model, cap, ""), 0);
    assert_int_equal(testutil_count(out, slow), 1);
    assert_null(strstr(out, "continues the connection"));
    /* The server speaks first after the pause: the same connection. */
    cap = write_pcap_server_first("conn-rev.pcap");
    assert_int_equal(testutil_runf(&out, cmd, bin, model, cap,
                                   "--judge-continuations"), 0);
    assert_int_equal(testutil_count(out, slow), 1);
    assert_non_null(strstr(out, "\"src_port\":80,"));
    assert_int_equal(testutil_runf(&out, cmd, bin, model, cap, ""), 0);
    assert_int_equal(testutil_count(out, slow), 2);
    assert_int_equal(testutil_count(out, "\"reason\":\"continues the "
                                         "connection of flow_id "), 1);
    free(out);
    out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_csv),
        cmocka_unit_test(test_eval_csv),
        cmocka_unit_test(test_detect_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
