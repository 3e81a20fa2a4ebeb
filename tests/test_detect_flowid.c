/*
 * flow_id of capture flows in detect's alert lines: derived from the
 * flow (5-tuple and first packet's time), so that it is the same when a
 * capture is read again or with other captures before it, differs
 * between flows (the same 5-tuple later included), and stays within the
 * integers every JSON reader keeps exact; `fewflow flows` prints the
 * same ids, so a flow row joins its alert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

#include "fewflow/capture.h"

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)
#define MAX_IDS 16

static void put_udp(struct pcap_out *o, int64_t t, const char *src,
                    const char *dst, uint16_t sport, uint16_t dport)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = sport, .dport = dport,
                        .payload = 40 };
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, src, dst, &l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/* A DNS query at t from client:sport and its answer. */
static void query(struct pcap_out *o, int64_t t, const char *client,
                  uint16_t sport)
{
    put_udp(o, t, client, "10.0.0.53", sport, 53);
    put_udp(o, t + SEC / 100, "10.0.0.53", client, 53, sport);
}

/* a.pcap: four flows, two of them the same 5-tuple 300 s apart (after
 * the idle timeout); b.pcap: two others. */
static const char *write_capture(const char *name)
{
    static char path[2][512];
    int b = strcmp(name, "b") == 0;
    struct pcap_out o;
    snprintf(path[b], sizeof(path[b]), "%s/flowid_%s.pcap",
             testutil_tmpdir(), name);
    assert_int_equal(pcap_out_open(&o, path[b], DLT_EN10MB, 0), 0);
    if (b) {
        query(&o, T0 + 10 * SEC, "10.0.0.9", 6000);
        query(&o, T0 + 11 * SEC, "10.0.0.9", 6001);
    } else {
        query(&o, T0, "10.0.0.1", 5000);
        query(&o, T0 + SEC, "10.0.0.2", 5000);
        query(&o, T0 + 2 * SEC, "10.0.0.1", 5001);
        query(&o, T0 + 300 * SEC, "10.0.0.1", 5000);
    }
    pcap_out_close(&o);
    return path[b];
}

/* The flow_id of every line of text, in order; how many. */
static size_t ids_of(const char *text, unsigned long long *ids)
{
    size_t n = 0;
    const char *key = "\"flow_id\":";
    for (const char *p = text; (p = strstr(p, key)) != NULL; p++) {
        assert_true(n < MAX_IDS);
        ids[n++] = strtoull(p + strlen(key), NULL, 10);
    }
    return n;
}

static int has(const unsigned long long *ids, size_t n,
               unsigned long long id)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == id)
            return 1;
    }
    return 0;
}

static char *out;

/* Every flow's line (--all) for the captures in args. */
static size_t run(const char *model, const char *args,
                  unsigned long long *ids)
{
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s --all "
                                   "--explain 0 %s", testutil_bin(), model,
                                   args), 0);
    return ids_of(out, ids);
}

static void test_capture_flow_ids(void **state)
{
    (void)state;
    char model[512], args[1200];
    unsigned long long a[MAX_IDS], again[MAX_IDS], ba[MAX_IDS];
    assert_int_equal(testutil_model_tiny("flowid", model,
                                         sizeof(model), &out), 0);
    const char *cap_a = write_capture("a");
    const char *cap_b = write_capture("b");

    snprintf(args, sizeof(args), "-r %s", cap_a);
    size_t n = run(model, args, a);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        /* Not a counter from 1, within 2^53 - 1, distinct. */
        assert_true(a[i] > 1000000);
        assert_true(a[i] < (1ULL << 53));
        assert_false(has(a, i, a[i]));
    }
    /* Read again: the same ids. */
    assert_int_equal(run(model, args, again), n);
    assert_memory_equal(a, again, n * sizeof(a[0]));
    /* After another capture: the same ids for a's flows, b's differ. */
    snprintf(args, sizeof(args), "-r %s -r %s", cap_b, cap_a);
    assert_int_equal(run(model, args, ba), n + 2);
    for (size_t i = 0; i < n + 2; i++)
        assert_int_equal(has(a, n, ba[i]), i >= 2);
    assert_false(ba[0] == ba[1]);
    free(out);
    out = NULL;
}

/* `flows --json` and `flows` CSV give each flow the id detect gives it. */
static void test_flows_ids_join_alerts(void **state)
{
    (void)state;
    char model[512], args[600];
    unsigned long long a[MAX_IDS], f[MAX_IDS];
    assert_int_equal(testutil_model_tiny("flowid2", model,
                                         sizeof(model), &out), 0);
    const char *cap_a = write_capture("a");
    snprintf(args, sizeof(args), "-r %s", cap_a);
    size_t n = run(model, args, a);
    assert_int_equal(n, 4);

    assert_int_equal(testutil_runf(&out, "%s -q flows -r %s --json",
                                   testutil_bin(), cap_a), 0);
    assert_int_equal(ids_of(out, f), n);
    for (size_t i = 0; i < n; i++)
        assert_true(has(a, n, f[i]));

    assert_int_equal(testutil_runf(&out, "%s -q flows -r %s",
                                   testutil_bin(), cap_a), 0);
    const char *row = out;
    for (size_t i = 0; i < n; i++) {
        row = strchr(row, '\n');
        assert_non_null(row);
        assert_true(has(a, n, strtoull(++row, NULL, 10)));
    }

    /* Those rows read back by detect --csv keep their ids. */
    const char *csv = testutil_tmp("flowid_a.csv");
    assert_int_equal(testutil_runf(&out, "%s -q flows -r %s -o %s",
                                   testutil_bin(), cap_a, csv), 0);
    snprintf(args, sizeof(args), "--csv %s", csv);
    assert_int_equal(run(model, args, f), n);
    for (size_t i = 0; i < n; i++)
        assert_true(has(a, n, f[i]));
    free(out);
    out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_flow_ids),
        cmocka_unit_test(test_flows_ids_join_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
