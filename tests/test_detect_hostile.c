/*
 * Hostile and odd input to the detection commands, end to end through
 * the fewflow binary (third QA pass): captures the meter cannot read or
 * must cut short, class names that would reach a terminal or a log line
 * raw, and the open-set report's text table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <math.h>

#include "fewflow/alert.h"
#include "fewflow/detect.h"
#include "fewflow/log.h"
#include "fewflow/progress.h"
#include "fewflow/rng.h"
#include "pktbuild.h"
#include "testutil.h"

TESTUTIL_MODEL_FIXTURE(testutil_train_small("hostile", "SSH-Patator_2961",
                                             "Botnet_736", "--shot 5 --query "
                                             "5 --episodes 20 --hidden 32 "
                                             "--emb 16", model_path,
                                             sizeof(model_path), &last_out))

/* n one-packet TCP flows (distinct source ports) in a capture of the
 * given link type; the frames are Ethernet whatever the type says. */
static const char *write_syns(const char *name, int linktype, int n)
{
    const char *path = testutil_tmp(name);
    struct pcap_out o;
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .dport = 80, .flags = 0x02,
                        .window = 1024 };

    assert_int_equal(pcap_out_open(&o, path, linktype, 0), 0);
    for (int i = 0; i < n; i++) {
        l.sport = (uint16_t)(20000 + i);
        pkt_eth(&p, -1, 0x0800);
        pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
        pcap_out_write(&o, 1700000000LL * 1000000000LL + i * 1000LL, &p, 0);
    }
    pcap_out_close(&o);
    return path;
}

/* 802.11 (link type 105) is not decoded: detect used to print "0 flows,
 * 0 alerts" and exit 0 with no word about the skipped packets, which
 * reads as a clean capture. */
static void detect_warns_of_an_unsupported_link_type(void **state)
{
    const char *cap = write_syns("wifi.pcap", 105, 3);
    const char *sum = testutil_tmp("wifi-summary.json");

    assert_int_equal(run_ok("%s detect --model %s -r %s --summary-json %s "
                            "2>&1 >/dev/null", testutil_bin(), model_path,
                            cap, sum), 0);
    assert_non_null(strstr(last_out, "warn: detect: 3 packets of "
                           "unsupported link type 105"));
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"unsupported_packets\":3,"));
    /* An Ethernet capture of the same frames gives no such warning. */
    cap = write_syns("eth.pcap", DLT_EN10MB, 3);
    assert_int_equal(run_ok("%s detect --model %s -r %s 2>&1 >/dev/null",
                            testutil_bin(), model_path, cap), 0);
    assert_null(strstr(last_out, "unsupported"));
}

/* enroll from a capture that gives no flow said only "no flows to enrol
 * from"; a wrong link type or an ARP-only capture is what a user needs
 * to hear. */
static void enrol_says_why_a_capture_gave_no_flow(void **state)
{
    const char *cap = write_syns("wifi-enrol.pcap", 105, 3);
    const char *arp = testutil_tmp("arp.pcap");
    const char *out = testutil_tmp("never.model");
    struct pcap_out o;
    struct pkt p;

    assert_int_equal(run_ok("%s -q enroll --model %s --name w --flows %s "
                            "-o %s 2>&1", testutil_bin(), model_path, cap,
                            out), 2);
    assert_non_null(strstr(last_out, "no flows to enrol from (3 packets "
                           "of unsupported link type 105)"));
    assert_int_equal(pcap_out_open(&o, arp, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 4; i++) {
        pkt_eth(&p, -1, 0x0806);
        memset(p.b + p.len, 0, 28);
        p.len += 28;
        pcap_out_write(&o, 1700000000LL * 1000000000LL + i, &p, 0);
    }
    pcap_out_close(&o);
    assert_int_equal(run_ok("%s -q enroll --model %s --name w --flows %s "
                            "-o %s 2>&1", testutil_bin(), model_path, arp,
                            out), 2);
    assert_non_null(strstr(last_out, "no flows to enrol from (4 packets, "
                           "none in an IP flow)"));
}

/* A flow CSV with a header and nothing else (blank lines after it) said
 * only "no flows to enrol from", as captures used to. */
static void enrol_says_why_a_csv_gave_no_flow(void **state)
{
    const char *csv = testutil_tmp("header_only.csv");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("a,b,label\n\n\n", f);
    fclose(f);
    assert_int_equal(run_ok("%s -q enroll --model %s --name z --flows %s "
                            "-o %s 2>&1", testutil_bin(), model_path, csv,
                            testutil_tmp("z.model")), 2);
    assert_non_null(strstr(last_out, "header_only.csv: no flows to enrol "
                           "from (0 rows read: a header line and no data "
                           "rows; blank lines are not rows)\n"));
}

/* n unanswered SYNs, each from its own source to its own target. */
static const char *write_lone_syns(const char *name, int n)
{
    const char *path = testutil_tmp(name);
    struct pcap_out o;
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .sport = 40000, .dport = 22,
                        .flags = 0x02, .window = 1024 };
    char src[32], dst[32];

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < n; i++) {
        snprintf(src, sizeof(src), "10.1.%d.%d", i / 200, i % 200 + 1);
        snprintf(dst, sizeof(dst), "172.16.%d.%d", i / 200, i % 200 + 1);
        pkt_eth(&p, -1, 0x0800);
        pkt_ipv4(&p, src, dst, &l, 1, 0, 0, 0);
        pcap_out_write(&o, 1700000000LL * 1000000000LL + i * 100000LL, &p,
                       0);
    }
    pcap_out_close(&o);
    return path;
}

/* A probe spread over a few sources and targets is all lone flows: every
 * alert was withheld as unjudged and the summary read "0 alerts" with
 * nothing else said, under -q nothing at all. */
static void detect_warns_when_most_alerts_are_withheld(void **state)
{
    const char *cap = write_lone_syns("lone.pcap", 20);
    const char *sum = testutil_tmp("lone-summary.json");

    assert_int_equal(run_ok("%s -q detect --model %s -r %s --explain 0 "
                            "--summary-json %s 2>&1 >/dev/null",
                            testutil_bin(), model_path, cap, sum), 0);
    assert_non_null(strstr(last_out, "warn: detect: 20 alerts withheld as "
                           "unjudged: 20 lone flows (--judge-lone"));
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"alerts\":0,"));
    assert_non_null(strstr(last_out, "\"withheld_lone\":20,"));
    assert_int_equal(run_ok("%s -q detect --model %s -r %s --explain 0 "
                            "--judge-lone 2>&1 >/dev/null", testutil_bin(),
                            model_path, cap), 0);
    assert_null(strstr(last_out, "withheld"));
}

/* Many lone flows in one window are not lone: 20,000 spoofed SYNs, one
 * per source and target, were all withheld. Past CONTEXT_LONE_MAX in the
 * window they alert, the ones in the same output batch included. */
static void many_lone_flows_alert(void **state)
{
    const char *cap = write_lone_syns("many-lone.pcap", 200);
    const char *sum = testutil_tmp("many-lone-summary.json");

    assert_int_equal(run_ok("%s -q detect --model %s -r %s --explain 0 "
                            "--summary-json %s >/dev/null", testutil_bin(),
                            model_path, cap, sum), 0);
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"alerts\":200,"));
    assert_non_null(strstr(last_out, "\"withheld_lone\":0,"));
}

/* EVE gives ICMP flows no ports but the message type and code; fewflow
 * printed "src_port":0,"dest_port":0, which reads as a port-0 flow. */
static void icmp_lines_carry_type_and_code_not_ports(void **state)
{
    const char *path = testutil_tmp("icmp.pcap");
    struct pcap_out o;
    struct pkt p;
    struct pkt_l4 l = { .protocol = 1, .icmp_type = 3, .icmp_code = 1,
                        .payload = 28 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.2.0.1", "10.2.0.2", &l, 1, 0, 0, 0);
    pcap_out_write(&o, 1700000000LL * 1000000000LL, &p, 0);
    pcap_out_close(&o);
    assert_int_equal(run_ok("%s -q detect --model %s -r %s --all "
                            "--explain 0", testutil_bin(), model_path,
                            path), 0);
    assert_non_null(strstr(last_out, "\"proto\":\"ICMP\",\"icmp_type\":3,"
                           "\"icmp_code\":1,"));
    assert_null(strstr(last_out, "_port"));
}

/* A flood of small flows past --max-flows ends flows early; the alerts
 * on them are computed from partial features, so the summary says so. */
static void detect_warns_of_evicted_flows(void **state)
{
    const char *cap = write_syns("flood.pcap", DLT_EN10MB, 40);
    const char *sum = testutil_tmp("flood-summary.json");

    assert_int_equal(run_ok("%s detect --model %s -r %s --max-flows 16 "
                            "--explain 0 --summary-json %s 2>&1 >/dev/null",
                            testutil_bin(), model_path, cap, sum), 0);
    assert_non_null(strstr(last_out, "24 flows were ended early because "
                           "the flow table was full"));
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"evicted_flows\":24,"));
}

/* A capture whose clock is set back by an hour: the packets of one
 * connection after the step stay one flow (they were a flow each until
 * the clock caught up), and detect says the clock stepped. */
static void detect_warns_of_a_clock_set_back(void **state)
{
    const char *path = testutil_tmp("clockstep.pcap");
    const int64_t t0 = 1700000000LL * 1000000000LL, s = 1000000000LL;
    struct pcap_out o;
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 5353, .dport = 53,
                        .payload = 20 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 6; i++) {
        pkt_eth(&p, -1, 0x0800);
        pkt_ipv4(&p, "10.3.0.1", i < 2 ? "10.3.0.2" : "10.3.0.3", &l, 1,
                 0, 0, 0);
        pcap_out_write(&o, i < 2 ? t0 + i * s : t0 - 3600 * s + i * s, &p,
                       0);
    }
    pcap_out_close(&o);
    const char *sum = testutil_tmp("clockstep.json");
    assert_int_equal(run_ok("%s detect --model %s -r %s --all --explain 0 "
                            "--summary-json %s 2>&1 >/dev/null",
                            testutil_bin(), model_path, path, sum), 0);
    assert_non_null(strstr(last_out, "warn: detect: the capture clock went "
                           "back by more than the idle timeout 1 time(s)"));
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"flows\":2,"));
    assert_non_null(strstr(last_out, "\"clock_steps\":1,"));
}

/* Enrols a class NAME from two Heartbleed rows into named.model; the
 * exit code (2 for a refused name). */
static int enrol_named(const char *name)
{
    char flows[1024];

    snprintf(flows, sizeof(flows), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    return run_ok("%s -q enroll --model %s --name '%s' --shot 2 --flows %s "
                  "-o %s 2>&1", testutil_bin(), model_path, name, flows,
                  testutil_tmp("named.model"));
}

/* A class name goes into alerts, the enrol report on stdout, warnings and
 * `classes`: ESC, newline, DEL, C1 controls and invalid UTF-8 used to be
 * accepted and were printed raw to stdout ("enrolled a<ESC>[31m..."). */
static void enrol_refuses_control_bytes_in_a_name(void **state)
{
    static const char *bad[] = { "a\033[31mred", "two\nlines", "del\177",
                                 "c1\302\233x", "bad\377utf8",
                                 "cut\303" };
    const char *out = testutil_tmp("named.model");
    char flows[1024];
    snprintf(flows, sizeof(flows), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(enrol_named(bad[i]), 2);
        assert_non_null(strstr(last_out, "without control characters"));
    }
    /* Too long: the option is named, not the model file. */
    assert_int_equal(run_ok("%s -q enroll --model %s --name $(printf "
                            "'x%%.0s' $(seq 300)) --shot 2 --flows %s -o %s "
                            "2>&1", testutil_bin(), model_path, flows, out),
                     2);
    assert_non_null(strstr(last_out, "--name: a class name has 1 to 128 "
                           "bytes, not 300"));
    /* Printable UTF-8, quotes and JSON specials are fine. */
    assert_int_equal(run_ok("%s -q enroll --model %s --name "
                            "'h\303\251art\"{b}\\' --shot 2 --flows %s "
                            "-o %s", testutil_bin(), model_path, flows, out),
                     0);
    assert_non_null(strstr(last_out, "enrolled h\303\251art\"{b}\\ "));
}

/* Names that look like another name or like nothing: a trailing space
 * ("DDoS " beside "DDoS"), a zero-width space alone, a right-to-left
 * override ("x<U+202E>evil" shows as "xlive"), a line separator, a BOM,
 * a soft hyphen, a no-break space at an end. All were accepted. */
static void enrol_refuses_names_that_look_like_others(void **state)
{
    (void)state;
    static const char *bad[] = { "DDoS ", " x", " ", "\302\240x",
                                 "\342\200\213", "x\342\200\256evil",
                                 "a\342\200\250b", "\357\273\277x",
                                 "x\302\255y", "x\343\200\200" };
    static const char *good[] = { "two words", "\303\234n\303\257c "
                                  "\346\224\273\346\222\203 "
                                  "\360\237\231\202" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(enrol_named(bad[i]), 2);
        assert_non_null(strstr(last_out, "invisible or direction-changing "
                               "characters, or spaces at its ends"));
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(enrol_named(good[i]), 0);
}

/* The text table of eval --openset: its header had 19 columns per shot
 * over 16-column figures, so "P" and "R" drifted off their numbers. */
static void openset_table_header_stands_over_its_figures(void **state)
{
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 1,5 "
                            "--trials 1", testutil_bin(), model_path), 0);
    const char *h1 = strstr(last_out, "\nenrolled class");
    assert_non_null(h1);
    const char *h2 = strchr(h1 + 1, '\n');
    assert_non_null(h2);
    const char *row = strchr(h2 + 1, '\n');
    assert_non_null(row);
    h1++, h2++, row++;
    for (size_t at = 24; at < 24 + 2 * 16; at += 16) {
        assert_memory_equal(h1 + at + 3, "K=", 2);
        assert_int_equal(h2[at + 3], 'P');
        assert_int_equal(h2[at + 9], 'R');
        /* a figure such as 0.812, or nan for a class too small */
        assert_true(row[at + 3] == '0' || row[at + 3] == '1' ||
                    row[at + 5] == 'n');
        assert_true(row[at + 9] == '0' || row[at + 9] == '1' ||
                    row[at + 11] == 'n');
        assert_int_equal(row[at + 8], ' ');
    }
}

/* README: bare CR line ends are refused. Only a CR file's first line
 * was told so; a CR later (mixed line ends, two rows joined) gave
 * "expected 3 fields, found 5" with no hint, through every command. */
static void a_bare_cr_later_in_a_csv_is_named(void **state)
{
    const char *csv = testutil_tmp("mixed.csv");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("a,b,label\n1,2,x\n3,4,y\r5,6,x\n7,8,y\n", f);
    fclose(f);
    assert_int_equal(run_ok("%s -q data inspect %s 2>&1", testutil_bin(),
                            csv), 2);
    assert_non_null(strstr(last_out, "mixed.csv:3: expected 3 fields, "
                           "found 5 (the line holds a bare CR"));
    /* A short line without a CR keeps the plain message. */
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs("a,b,label\n1,2,x\n3,4\n", f);
    fclose(f);
    assert_int_equal(run_ok("%s -q data inspect %s 2>&1", testutil_bin(),
                            csv), 2);
    assert_non_null(strstr(last_out, "mixed.csv:3: expected 3 fields, "
                           "found 2\n"));
}

/*
 * detect --csv copied any text into src_ip/dest_ip (cut at 47 bytes):
 * JSON-breaking text, 64 zeros. A log store typing the field as an IP
 * address refuses such an alert. The row is still classified and alerted
 * on (as a row with an unreadable time is), without the bad address, and
 * one warning counts such rows and names the first; a valid address with
 * spaces around it is written as inet_ntop writes it.
 */
static void detect_csv_writes_only_ip_addresses(void **state)
{
    const char *csv = testutil_tmp("addr.csv");
    const char *src = testutil_data_path("cic-ids2017-improved/"
                                         "Botnet_736.csv.xz");
    assert_int_equal(run_ok("xz -dc %s | head -5 | awk -F, -v OFS=, "
                            "'NR==3{$3=\"1.2.3.4\\\"x\"} "
                            "NR==4{$5=\"%064d\"} "
                            "NR==5{$3=\" 2001:DB8:0::1 \"} {print}' > %s",
                            src, 0, csv), 0);
    const char *sum = testutil_tmp("addr.json");
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all "
                            "--explain 0 --summary-json %s 2>&1",
                            testutil_bin(), model_path, csv, sum), 0);
    const char *o = last_out;
    assert_int_equal(testutil_count(o, "\"event_type\""), 4);
    assert_null(strstr(o, "_ip\":\"1.2.3.4"));
    assert_null(strstr(o, "_ip\":\"0000"));
    assert_null(strstr(o, "_ip\":\"\""));
    assert_non_null(strstr(o, "\"src_ip\":\"2001:db8::1\""));
    assert_non_null(strstr(o, "\"src_ip\":\"192.168.10.5\","
                           "\"src_port\":53709,"
                           "\"dest_ip\":\"205.174.165.73\""));
    assert_non_null(strstr(o, "warn: detect: 2 CSV row(s) had an address "
                           "that is not IPv4/IPv6 text, left out of their "
                           "alerts (first: "));
    assert_non_null(strstr(o, "addr.csv:3: '1.2.3.4\"x')"));
    assert_int_equal(run_ok("cat %s", sum), 0);
    assert_non_null(strstr(last_out, "\"untimed_rows\":0,"
                           "\"unaddressed_rows\":2,"));
}

/* Alerts that cannot be written are lost: detect > /dev/full (a full
 * disk) and a closed stdout used to exit 0 with nothing said, as did
 * classes, enroll's report, eval and --version. */
static void detect_fails_when_alerts_cannot_be_written(void **state)
{
    const char *cap = write_syns("full.pcap", DLT_EN10MB, 40);

    assert_int_equal(run_ok("%s -q detect --model %s -r %s --all "
                            "--explain 0 2>&1 >/dev/full", testutil_bin(),
                            model_path, cap), 2);
    assert_non_null(strstr(last_out, "standard output: cannot write the "
                           "alerts: No space left on device"));
    assert_int_equal(run_ok("%s -q detect --model %s -r %s --all "
                            "--explain 0 2>&1 >&-", testutil_bin(),
                            model_path, cap), 2);
    assert_non_null(strstr(last_out, "cannot write the alerts"));
    /* Every command's report: classes, --version. */
    assert_int_equal(run_ok("%s classes --model %s 2>&1 >/dev/full",
                            testutil_bin(), model_path), 2);
    assert_non_null(strstr(last_out, "standard output: write failed: No "
                           "space left on device"));
    assert_int_equal(run_ok("%s --version 2>&1 >&-", testutil_bin()), 2);
    assert_non_null(strstr(last_out, "standard output: write failed"));
    /* One line, not one per layer. */
    assert_int_equal(run_ok("%s -q detect --model %s -r %s --all "
                            "--explain 0 2>&1 >/dev/full | wc -l",
                            testutil_bin(), model_path, cap), 0);
    assert_non_null(strstr(last_out, "1\n"));
}

/* ---- explanations: the pruned nearest-prototype search ---- */

#define TOY_IN 12
#define TOY_DIM 16

/* A fixed random linear map with a tanh, so occlusions move the
 * embedding by very different amounts. */
static float toy_w[TOY_IN * TOY_DIM];

static int toy_embed(void *ctx, const float *x, size_t n, float *z)
{
    (void)ctx;
    for (size_t r = 0; r < n; r++)
        for (size_t k = 0; k < TOY_DIM; k++) {
            float s = 0;
            for (size_t j = 0; j < TOY_IN; j++)
                s += x[r * TOY_IN + j] * toy_w[j * TOY_DIM + k];
            z[r * TOY_DIM + k] = tanhf(s);
        }
    return 0;
}

/* The nearest-prototype distance as a full scan computes it. */
static float full_scan(const struct memo_class *c, const float *z)
{
    float best = INFINITY;
    for (uint32_t p = 0; p < c->n_protos; p++) {
        float s = 0;
        for (size_t k = 0; k < TOY_DIM; k++) {
            float t = z[k] - c->protos[p * TOY_DIM + k];
            s += t * t;
        }
        if (sqrtf(s) < best)
            best = sqrtf(s);
    }
    return best;
}

/* Every reported pull has the reference effect, and no feature left out
 * had a larger one of the reported sign. */
static void check_pulls(const struct alert_explain *ex,
                        const struct memo_class *c, const float *z)
{
    float d0 = full_scan(c, z), want[TOY_IN], least = INFINITY;
    size_t qualify = 0;
    for (size_t j = 0; j < TOY_IN; j++) {
        want[j] = full_scan(c, z + (j + 1) * TOY_DIM) - d0;
        qualify += ex->toward ? want[j] > 0 : want[j] < 0;
    }
    assert_int_equal(ex->n_pulls, qualify < ALERT_MAX_PULLS
                                      ? qualify : ALERT_MAX_PULLS);
    int listed[TOY_IN] = { 0 };
    for (size_t i = 0; i < ex->n_pulls; i++) {
        assert_true(ex->pulls[i].effect == want[ex->pulls[i].col]);
        listed[ex->pulls[i].col] = 1;
        least = fminf(least, fabsf(ex->pulls[i].effect));
    }
    for (size_t j = 0; j < TOY_IN; j++)
        if (!listed[j] && (ex->toward ? want[j] > 0 : want[j] < 0))
            assert_true(fabsf(want[j]) <= least);
}

/* Explanations skip prototypes by the triangle inequality (6x faster on
 * a SYN flood); every effect must still be the one the full scan gives,
 * bit for bit: duplicated prototypes, prototypes packed round the flow
 * and far ones, small and large occlusion shifts. */
static void explanation_pruning_changes_no_effect(void **state)
{
    static const char *cols[TOY_IN] = { "a", "b", "c", "d", "e", "f", "g",
                                        "h", "i", "j", "k", "l" };
    struct detect_encoder e = { NULL, TOY_IN, TOY_DIM, cols, toy_embed,
                                NULL };
    enum { NP = MEMO_MAX_PROTOS };
    float *protos = malloc(sizeof(float) * NP * TOY_DIM);
    float xm[TOY_IN] = { 0 }, x[TOY_IN], z[(TOY_IN + 1) * TOY_DIM];
    float *scratch = malloc(alert_explain_scratch(&e) * sizeof(float));
    struct rng r;
    rng_seed(&r, 11);
    for (size_t i = 0; i < TOY_IN * TOY_DIM; i++)
        toy_w[i] = rng_normal(&r) * (i % 5 == 0 ? 3.0f : 0.3f);

    for (int trial = 0; trial < 40; trial++) {
        for (size_t j = 0; j < TOY_IN; j++)
            x[j] = rng_normal(&r) * (trial % 3 ? 1.0f : 0.05f);
        toy_embed(NULL, x, 1, z);
        for (size_t p = 0; p < NP; p++)
            for (size_t k = 0; k < TOY_DIM; k++)
                protos[p * TOY_DIM + k] = p % 7 == 0 ? protos[k]
                    : z[k] + rng_normal(&r) * (p % 2 ? 0.02f : 0.6f);
        struct memo *m = memo_create(TOY_DIM, TOY_IN);
        assert_int_equal(memo_class_add(m, "B", MEMO_CLASS_BENIGN, protos,
                                        NP, trial % 2 ? 100.0f : 0.01f,
                                        xm), 0);
        struct memo_decision d;
        struct alert_explain ex;
        memo_decide(m, z, &d);
        assert_int_equal(alert_explain(&e, m, x, &d, ALERT_MAX_PULLS,
                                       scratch, &ex), 0);
        /* The reference: every occluded row against every prototype. */
        float rows[(TOY_IN + 1) * TOY_IN];
        for (size_t q = 0; q <= TOY_IN; q++) {
            memcpy(rows + q * TOY_IN, x, sizeof(x));
            if (q > 0)
                rows[q * TOY_IN + q - 1] = 0;
        }
        toy_embed(NULL, rows, TOY_IN + 1, z);
        check_pulls(&ex, &m->cls[0], z);
        memo_destroy(m);
    }
    free(scratch);
    free(protos);
}

/* detect now shows progress over files (flows, no total known); with no
 * total the plain line read "flows 40/0", a count that looks broken. */
static void progress_without_a_total_shows_the_count_alone(void **state)
{
    const char *path = testutil_tmp("progress.txt");
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    dup2(fileno(f), STDERR_FILENO);

    struct progress p;
    log_set_level(LOG_INFO);
    progress_init(&p, "flows", 0);
    p.plain_interval_s = 0;
    progress_update(&p, 40, "3 alerts");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);

    char line[256] = "";
    rewind(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_true(strncmp(line, "fewflow: info: progress: flows 40 ", 34) == 0);
    assert_null(strstr(line, "/0"));
    assert_non_null(strstr(line, "/s 3 alerts\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(detect_warns_of_an_unsupported_link_type),
        cmocka_unit_test(detect_warns_of_evicted_flows),
        cmocka_unit_test(detect_warns_of_a_clock_set_back),
        cmocka_unit_test(detect_warns_when_most_alerts_are_withheld),
        cmocka_unit_test(many_lone_flows_alert),
        cmocka_unit_test(icmp_lines_carry_type_and_code_not_ports),
        cmocka_unit_test(enrol_says_why_a_capture_gave_no_flow),
        cmocka_unit_test(enrol_says_why_a_csv_gave_no_flow),
        cmocka_unit_test(enrol_refuses_control_bytes_in_a_name),
        cmocka_unit_test(enrol_refuses_names_that_look_like_others),
        cmocka_unit_test(openset_table_header_stands_over_its_figures),
        cmocka_unit_test(a_bare_cr_later_in_a_csv_is_named),
        cmocka_unit_test(detect_csv_writes_only_ip_addresses),
        cmocka_unit_test(detect_fails_when_alerts_cannot_be_written),
        cmocka_unit_test(explanation_pruning_changes_no_effect),
        cmocka_unit_test(progress_without_a_total_shows_the_count_alone),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
