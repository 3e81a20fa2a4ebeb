/*
 * Context rules (context.h): which flows they pick out from raw columns,
 * the refusal context over sources and targets, and detect's output for a
 * cut connection and a lone refused one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

#include "fewflow/capture.h"
#include "fewflow/context.h"
#include "fewflow/err.h"

/* The columns the rules read, shuffled, with one they do not. */
enum { C_SYN, C_EXTRA, C_BWD, C_FIN, C_FWD, C_RST, N_C };
static const char *const cols[N_C] = {
    "syn_flag_count", "flow_duration", "total_bwd_packets",
    "fin_flag_count", "total_fwd_packet", "rst_flag_count",
};

static const float *row(float fwd, float bwd, float syn, float fin,
                        float rst)
{
    static float x[N_C];
    memset(x, 0, sizeof(x));
    x[C_FWD] = fwd;
    x[C_BWD] = bwd;
    x[C_SYN] = syn;
    x[C_FIN] = fin;
    x[C_RST] = rst;
    x[C_EXTRA] = 12345;
    return x;
}

static struct alert_flow flow(const char *src, const char *dst,
                              uint16_t port, double t, int open_at_end)
{
    struct alert_flow f;
    memset(&f, 0, sizeof(f));
    snprintf(f.src_ip, sizeof(f.src_ip), "%s", src);
    snprintf(f.dest_ip, sizeof(f.dest_ip), "%s", dst);
    f.dest_port = port;
    f.src_port = 40000;
    f.first_s = f.last_s = t;
    f.open_at_end = (uint8_t)open_at_end;
    return f;
}

static void test_columns(void **state)
{
    (void)state;
    assert_true(context_columns_present(cols, N_C));
    assert_false(context_columns_present(cols, N_C - 1));
    assert_null(context_create(cols + 1, N_C - 1, 120));
}

static void test_cut_connection(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    struct alert_flow open = flow("10.0.0.1", "10.0.0.2", 80, 1, 1);
    struct alert_flow closed = flow("10.0.0.1", "10.0.0.2", 80, 1, 0);
    /* Answered handshake, data, still open at the end: a prefix. */
    const float *est = row(4, 3, 2, 0, 0);
    assert_int_equal(context_check(c, est, &open, 1), CONTEXT_CUT);
    assert_int_equal(context_check(c, est, &closed, 1), CONTEXT_OK);
    assert_int_equal(context_check(c, est, &open, 0), CONTEXT_OK);
    /* A half-open SYN and SYN retries are not prefixes of a connection
     * (the unanswered-flow rule is theirs, when they are alone). */
    assert_int_equal(context_check(c, row(1, 0, 1, 0, 0), &open, 1),
                     CONTEXT_LONE_UNANSWERED);
    assert_int_equal(context_check(c, row(3, 0, 3, 0, 0), &closed, 1),
                     CONTEXT_OK);
    /* A SYN answered by SYN-ACK but never acknowledged: no data yet. */
    assert_int_equal(context_check(c, row(1, 1, 2, 0, 0), &open, 1),
                     CONTEXT_OK);
    assert_non_null(strstr(context_reason(CONTEXT_CUT), "still open"));
    context_destroy(c);
}

static enum context_verdict refusal(struct context *c, const char *src,
                                    const char *dst, uint16_t port,
                                    double t)
{
    struct alert_flow f = flow(src, dst, port, t, 0);
    return context_check(c, row(1, 1, 1, 0, 1), &f, 1);
}

static void test_refusals(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    /* One refusal, and its retries to the same target: lone. */
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 80, 10),
                     CONTEXT_LONE_REFUSED);
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 80, 10.5),
                     CONTEXT_LONE_REFUSED);
    /* The same source refused on another port: a scan. */
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 81, 11),
                     CONTEXT_OK);
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 80, 12),
                     CONTEXT_OK);
    /* Another host's first refusal is lone again; a third host refused
     * by the same target as the second: fan-in (a flood). */
    assert_int_equal(refusal(c, "192.0.2.1", "198.51.100.1", 443, 20),
                     CONTEXT_LONE_REFUSED);
    assert_int_equal(refusal(c, "192.0.2.2", "198.51.100.1", 443, 21),
                     CONTEXT_OK);
    /* Past the window the context is forgotten. */
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 80, 500),
                     CONTEXT_LONE_REFUSED);
    /* Not a refusal: a SYN, RST back, then more from the client. */
    struct alert_flow f = flow("10.0.0.7", "10.0.0.9", 80, 600, 0);
    assert_int_equal(context_check(c, row(2, 1, 1, 0, 1), &f, 1),
                     CONTEXT_OK);
    assert_int_equal(context_check(c, row(1, 1, 1, 0, 1), &f, 0),
                     CONTEXT_OK);
    context_destroy(c);
}

static enum context_verdict unanswered(struct context *c, const char *src,
                                       const char *dst, uint16_t port,
                                       double t, int open_at_end)
{
    struct alert_flow f = flow(src, dst, port, t, open_at_end);
    return context_check(c, row(1, 0, 0, 0, 0), &f, 0);
}

static void test_unanswered(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    /* A query nobody answered before the end, alone. */
    assert_int_equal(unanswered(c, "10.0.0.5", "10.0.0.53", 53, 1, 1),
                     CONTEXT_LONE_UNANSWERED);
    /* One that timed out unanswered is judged, and is context: a second
     * source sending to the same host on another port (a reflection). */
    assert_int_equal(unanswered(c, "192.0.2.7", "10.0.0.6", 4000, 2, 0),
                     CONTEXT_OK);
    assert_int_equal(unanswered(c, "192.0.2.8", "10.0.0.6", 4001, 3, 1),
                     CONTEXT_OK);
    /* A lone flow that a later one keeps company: no longer lone when
     * looked at again; the query above still is. */
    struct alert_flow first = flow("198.51.100.1", "10.0.0.7", 9, 4, 1);
    assert_int_equal(context_check(c, row(1, 0, 0, 0, 0), &first, 0),
                     CONTEXT_LONE_UNANSWERED);
    assert_int_equal(unanswered(c, "198.51.100.2", "10.0.0.7", 9, 5, 1),
                     CONTEXT_OK);
    assert_int_equal(context_recheck(c, &first, CONTEXT_LONE_UNANSWERED),
                     CONTEXT_OK);
    struct alert_flow q = flow("10.0.0.5", "10.0.0.53", 53, 1, 1);
    assert_int_equal(context_recheck(c, &q, CONTEXT_LONE_UNANSWERED),
                     CONTEXT_LONE_UNANSWERED);
    assert_int_equal(context_recheck(c, &q, CONTEXT_CUT), CONTEXT_CUT);
    context_destroy(c);
}

/* A flow without both addresses (a CSV row without address columns) is
 * left out: every such row would otherwise share the source "" and the
 * target "", so the second lone refusal would find "context" in the
 * first. */
static void test_unaddressed_left_out(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    assert_int_equal(refusal(c, "", "", 80, 1), CONTEXT_OK);
    assert_int_equal(refusal(c, "", "", 81, 2), CONTEXT_OK);
    assert_int_equal(refusal(c, "10.0.0.8", "", 80, 3), CONTEXT_OK);
    assert_int_equal(unanswered(c, "", "10.0.0.53", 53, 4, 1), CONTEXT_OK);
    /* They gave no context to addressed flows either. */
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 80, 5),
                     CONTEXT_LONE_REFUSED);
    assert_int_equal(unanswered(c, "10.0.0.5", "10.0.0.53", 53, 6, 1),
                     CONTEXT_LONE_UNANSWERED);
    /* The cut rule needs no address. */
    struct alert_flow f = flow("", "", 80, 7, 1);
    assert_int_equal(context_check(c, row(4, 3, 2, 0, 0), &f, 1),
                     CONTEXT_CUT);
    context_destroy(c);
}

/* Only lone flows that would alert count toward the lone limit. */
static void test_lone_limit_counts_alerts(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    char src[48], dst[48];
    struct alert_flow f;
    enum context_verdict v = CONTEXT_OK;
    /* Many benign lone flows (checked, never noted as alerts). */
    for (int i = 0; i < 3 * CONTEXT_LONE_MAX; i++) {
        snprintf(src, sizeof(src), "10.1.0.%d", i);
        snprintf(dst, sizeof(dst), "10.2.0.%d", i);
        v = unanswered(c, src, dst, 53, 1 + i * 0.1, 1);
        assert_int_equal(v, CONTEXT_LONE_UNANSWERED);
    }
    /* An attack's lone flow in the same window is still lone. */
    f = flow("10.3.0.1", "10.4.0.1", 4444, 20, 1);
    v = context_recheck(c, &f, context_check(c, row(1, 0, 1, 0, 0), &f, 1));
    assert_int_equal(v, CONTEXT_LONE_UNANSWERED);
    context_lone_note(c, &f, v);
    assert_int_equal(context_lone_limit(c, &f, v), CONTEXT_LONE_UNANSWERED);
    /* Past CONTEXT_LONE_MAX lone alerts they are no longer rare; other
     * verdicts are neither counted nor changed. */
    for (int i = 0; i < CONTEXT_LONE_MAX - 1; i++)
        context_lone_note(c, &f, CONTEXT_LONE_REFUSED);
    context_lone_note(c, &f, CONTEXT_CUT);
    context_lone_note(c, &f, CONTEXT_OK);
    assert_int_equal(context_lone_limit(c, &f, v), CONTEXT_LONE_UNANSWERED);
    context_lone_note(c, &f, CONTEXT_LONE_REFUSED);
    assert_int_equal(context_lone_limit(c, &f, v), CONTEXT_OK);
    assert_int_equal(context_lone_limit(c, &f, CONTEXT_CUT), CONTEXT_CUT);
    /* In a later window lone is rare again. */
    f.first_s = 1000;
    assert_int_equal(context_lone_limit(c, &f, v), CONTEXT_LONE_UNANSWERED);
    context_destroy(c);
}

/* A row without a time is left out of the lone rules, as one without
 * addresses is: judged alone, and no company for others. Dated at the
 * epoch, it was withheld as lone, and kept a flow 50 s after the epoch
 * company. */
static void test_untimed_rows(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 80, 0),
                     CONTEXT_OK);
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 81, 0),
                     CONTEXT_OK);
    assert_int_equal(refusal(c, "10.0.0.8", "10.0.0.9", 82, 50),
                     CONTEXT_LONE_REFUSED);
    struct alert_flow f = flow("10.0.0.1", "10.0.0.2", 53, 0, 1);
    assert_int_equal(context_check(c, row(1, 0, 0, 0, 0), &f, 0),
                     CONTEXT_OK);
    f.first_s = 30;
    assert_int_equal(context_check(c, row(1, 0, 0, 0, 0), &f, 0),
                     CONTEXT_LONE_UNANSWERED);
    context_destroy(c);
}

/* A batch is noted whole before it is written: one lone flow from another
 * time at its end (a quiet network, an unsorted CSV) must not make the
 * burst before it rare again. */
static void test_lone_limit_keeps_windows(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    struct alert_flow f = flow("10.3.0.1", "10.4.0.1", 4444, 20, 1);
    enum context_verdict v = CONTEXT_LONE_REFUSED;
    for (int i = 0; i <= CONTEXT_LONE_MAX; i++)
        context_lone_note(c, &f, v);
    struct alert_flow late = f, early = f;
    late.first_s = 1020;
    early.first_s = -980;
    context_lone_note(c, &late, v);
    context_lone_note(c, &early, v);
    assert_int_equal(context_lone_limit(c, &f, v), CONTEXT_OK);
    assert_int_equal(context_lone_limit(c, &late, v), CONTEXT_LONE_REFUSED);
    assert_int_equal(context_lone_limit(c, &early, v), CONTEXT_LONE_REFUSED);
    context_destroy(c);
}

/* Notes one lone alert from src to dst at t. */
static void note_lone(struct context *c, const char *src, const char *dst,
                      double t)
{
    struct alert_flow f = flow(src, dst, 22, t, 1);
    context_lone_note(c, &f, CONTEXT_LONE_REFUSED);
}

/* Whether a lone flow from src to dst at t is past the lone limit. */
static int common(const struct context *c, const char *src,
                  const char *dst, double t)
{
    struct alert_flow f = flow(src, dst, 22, t, 1);
    return context_lone_limit(c, &f, CONTEXT_LONE_REFUSED) == CONTEXT_OK;
}

/* The lone limit counts per source network (/24, /64) and destination
 * network (/16, /48): one noisy network lifts the hold for its own flows
 * only. */
static void test_lone_limit_per_network(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    char src[48], dst[48];
    /* 40 lone alerts from hosts of 10.1.1.0/24 to 40 other networks. */
    for (int i = 0; i < 40; i++) {
        snprintf(src, sizeof(src), "10.1.1.%d", i + 1);
        snprintf(dst, sizeof(dst), "172.%d.0.1", 100 + i);
        note_lone(c, src, dst, 10 + i * 0.1);
    }
    assert_true(common(c, "10.1.1.250", "198.51.100.7", 15));
    /* Another host's lone flow stays lone: it hides behind nobody. */
    assert_false(common(c, "192.168.5.5", "198.51.100.7", 15));
    assert_false(common(c, "10.1.2.1", "198.51.100.7", 15));
    /* Many source networks, one target network: a distributed probe. */
    for (int i = 0; i < 40; i++) {
        snprintf(src, sizeof(src), "10.%d.0.1", 100 + i);
        snprintf(dst, sizeof(dst), "172.20.0.%d", i + 1);
        note_lone(c, src, dst, 20 + i * 0.1);
    }
    assert_true(common(c, "203.0.113.9", "172.20.0.200", 25));
    assert_true(common(c, "203.0.113.9", "172.20.99.1", 25));
    assert_false(common(c, "203.0.113.9", "172.21.0.200", 25));
    /* IPv6: /64 sources. */
    for (int i = 0; i < 40; i++) {
        snprintf(src, sizeof(src), "2001:db8:0:1::%x", i + 1);
        snprintf(dst, sizeof(dst), "2001:db8:%x::1", 100 + i);
        note_lone(c, src, dst, 30 + i * 0.1);
    }
    assert_true(common(c, "2001:db8:0:1:ffff::1", "2001:db8:ff::1", 35));
    assert_false(common(c, "2001:db8:0:2::1", "2001:db8:ff::1", 35));
    /* In a later window every network is rare again. */
    assert_false(common(c, "10.1.1.250", "172.20.0.200", 1000));
    assert_int_equal(context_lone_evicted(c), 0);
    context_destroy(c);
}

/* /0 counts every lone alert together (the old global count); prefixes
 * past the address length are refused. */
static void test_lone_limit_prefix(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    assert_int_equal(context_set_lone_prefix(c, 0, 33, 64), ERR_INVALID);
    assert_int_equal(context_set_lone_prefix(c, 1, 24, 129), ERR_INVALID);
    assert_int_equal(context_set_lone_prefix(c, 0, 0, 0), 0);
    assert_int_equal(context_set_lone_prefix(c, 1, 0, 0), 0);
    char src[48];
    for (int i = 0; i <= CONTEXT_LONE_MAX; i++) {
        snprintf(src, sizeof(src), "10.%d.0.1", i);
        note_lone(c, src, "172.16.0.1", 10);
    }
    assert_true(common(c, "192.168.5.5", "198.51.100.7", 15));
    /* IPv4 and IPv6 are counted apart. */
    assert_false(common(c, "2001:db8::1", "2001:db8::2", 15));
    context_destroy(c);
    /* /32: per host. */
    c = context_create(cols, N_C, 120);
    assert_int_equal(context_set_lone_prefix(c, 0, 32, 128), 0);
    assert_int_equal(context_set_lone_prefix(c, 1, 32, 128), 0);
    for (int i = 0; i <= CONTEXT_LONE_MAX; i++)
        note_lone(c, "10.0.0.1", "172.16.0.1", 10);
    assert_true(common(c, "10.0.0.1", "198.51.100.7", 15));
    assert_false(common(c, "10.0.0.2", "198.51.100.8", 15));
    context_destroy(c);
}

/* Memory is fixed: once the table is full, the smallest counts give way
 * (counted) and a noisy network keeps its count. */
static void test_lone_limit_bounded(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    char src[48], dst[48];
    for (int i = 0; i < 40; i++)
        note_lone(c, "10.1.1.1", "172.16.0.1", 10);
    for (int i = 0; i < 5000; i++) {
        snprintf(src, sizeof(src), "10.%d.%d.1", 100 + i / 256, i % 256);
        snprintf(dst, sizeof(dst), "172.%d.%d.1", 100 + i / 256, i % 256);
        note_lone(c, src, dst, 11);
    }
    assert_true(context_lone_evicted(c) > 0);
    assert_true(context_lone_evicted(c) <= 2 * 5000);
    assert_true(common(c, "10.1.1.9", "198.51.100.7", 15));
    assert_true(common(c, "203.0.113.9", "172.16.0.9", 15));
    context_destroy(c);
}

/* Lone alerts from as many networks as flows are lone network by network;
 * past CONTEXT_LONE_MAX_ALL in a window they all alert. */
static void test_lone_limit_all_networks(void **state)
{
    (void)state;
    struct context *c = context_create(cols, N_C, 120);
    assert_non_null(c);
    char src[48], dst[48];
    for (int i = 0; i < CONTEXT_LONE_MAX_ALL; i++) {
        snprintf(src, sizeof(src), "10.%d.%d.1", i / 256, i % 256);
        snprintf(dst, sizeof(dst), "%d.%d.0.1", 100 + i / 256, i % 256);
        note_lone(c, src, dst, 10);
    }
    assert_false(common(c, "192.168.5.5", "198.51.100.7", 15));
    note_lone(c, "10.200.0.1", "99.0.0.1", 10);
    assert_true(common(c, "192.168.5.5", "198.51.100.7", 15));
    assert_false(common(c, "192.168.5.5", "198.51.100.7", 1000));
    context_destroy(c);
}

/* ---- detect on hand-built packets ---- */

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)

static void put(struct pcap_out *o, int64_t t, const char *src,
                const char *dst, uint16_t sport, uint16_t dport,
                uint8_t flags, uint32_t payload)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .sport = sport, .dport = dport,
                        .flags = flags, .window = 64240,
                        .payload = payload };
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, src, dst, &l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

static void put_udp(struct pcap_out *o, int64_t t, const char *src)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 5353, .dport = 53,
                        .payload = 40 };
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, src, "10.0.0.53", &l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/* A refused connection (SYN, RST-ACK), a connection that sends a
 * request and is still open when the capture ends, and a DNS query with
 * no answer. With `scan`, a second refusal on another port and a second
 * query from another host. */
static const char *write_capture(int scan)
{
    static char path[512];
    struct pcap_out o;
    snprintf(path, sizeof(path), "%s/context%d.pcap", testutil_tmpdir(),
             scan);
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    put(&o, T0, "10.0.0.8", "10.0.0.9", 1074, 80, 0x02, 0);
    put(&o, T0 + 100000, "10.0.0.9", "10.0.0.8", 80, 1074, 0x14, 0);
    if (scan) {
        put(&o, T0 + SEC, "10.0.0.8", "10.0.0.9", 1075, 81, 0x02, 0);
        put(&o, T0 + SEC + 100000, "10.0.0.9", "10.0.0.8", 81, 1075,
            0x14, 0);
    }
    int64_t t = T0 + 2 * SEC;
    put(&o, t, "10.0.0.1", "10.0.0.3", 40000, 80, 0x02, 0);
    put(&o, t + 1000000, "10.0.0.3", "10.0.0.1", 80, 40000, 0x12, 0);
    put(&o, t + 2000000, "10.0.0.1", "10.0.0.3", 40000, 80, 0x10, 0);
    put(&o, t + 3000000, "10.0.0.1", "10.0.0.3", 40000, 80, 0x18, 300);
    put(&o, t + 900000000, "10.0.0.3", "10.0.0.1", 80, 40000, 0x10, 0);
    put_udp(&o, t + 950000000, "10.0.0.5");
    if (scan)
        put_udp(&o, t + 960000000, "10.0.0.4");
    pcap_out_close(&o);
    return path;
}

static char *out;

/* The line of the flow to dest_port `port` (the buffer is cut there). */
static char *line_to(char *text, int port)
{
    char key[32];
    snprintf(key, sizeof(key), "\"dest_port\":%d,", port);
    char *p = strstr(text, key);
    if (p == NULL)
        return NULL;
    char *end = strchr(p, '\n');
    if (end != NULL)
        *end = '\0';
    return p;
}

static void test_detect_withholds_alerts(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512];
    assert_int_equal(testutil_model_tiny("context", model,
                                         sizeof(model), &out), 0);
    const char *cap = write_capture(0);

    /* Judged, both flows alert with this model (checked: the rest of the
     * test would show nothing otherwise). */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s -r %s "
                                   "--judge-cut --judge-lone --explain 0",
                                   bin, model, cap), 0);
    assert_non_null(strstr(out, "\"src_port\":1074,"));
    assert_non_null(strstr(out, "\"src_port\":40000,"));
    assert_non_null(strstr(out, "\"src_port\":5353,"));
    assert_null(strstr(out, "unjudged"));

    /* By default both are unjudged lines with their reasons. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s -r %s "
                                   "--explain 0", bin, model, cap), 0);
    char *copy = strdup(out);
    assert_non_null(copy);
    char *r = line_to(out, 80);
    assert_non_null(r);
    assert_non_null(strstr(r, "\"severity\":3"));
    assert_non_null(strstr(r, "\"class\":\"unjudged\",\"reason\":"
                              "\"a lone refused connection"));
    char *c = strstr(copy, "\"src_port\":40000");
    assert_non_null(c);
    assert_non_null(strstr(c, "\"reason\":\"connection still open"));
    c = strstr(copy, "\"src_port\":5353,");
    assert_non_null(c);
    assert_non_null(strstr(c, "\"reason\":\"unanswered when the input "
                              "ended"));
    free(copy);

    /* A second port refused to the same source: a scan, so the second
     * refusal alerts. */
    cap = write_capture(1);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s -r %s "
                                   "--explain 0", bin, model, cap), 0);
    char *q = strstr(out, "\"src_ip\":\"10.0.0.5\"");
    assert_non_null(q);
    r = line_to(out, 81);
    assert_non_null(r);
    assert_null(strstr(r, "unjudged"));
    /* The first query is kept company by the second (same host): both
     * alert, none is unjudged. */
    assert_null(strstr(q, "unanswered when"));
    free(out);
    out = NULL;
}

static void put_query(struct pcap_out *o, int64_t t, const char *src,
                      const char *dst)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 5353, .dport = 53,
                        .payload = 40 };
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, src, dst, &l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/* n_queries unanswered DNS queries, each from its own host to its own
 * server, then n_syn unanswered SYNs likewise: every flow is lone. */
static const char *write_lone(const char *name, int n_queries, int n_syn)
{
    static char path[512];
    struct pcap_out o;
    char src[48], dst[48];
    snprintf(path, sizeof(path), "%s/%s.pcap", testutil_tmpdir(), name);
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < n_queries; i++) {
        snprintf(src, sizeof(src), "10.1.%d.%d", i / 200, i % 200 + 1);
        snprintf(dst, sizeof(dst), "10.2.%d.%d", i / 200, i % 200 + 1);
        put_query(&o, T0 + i * (SEC / 10), src, dst);
    }
    for (int i = 0; i < n_syn; i++) {
        snprintf(src, sizeof(src), "10.3.%d.%d", i / 200, i % 200 + 1);
        snprintf(dst, sizeof(dst), "10.4.%d.%d", i / 200, i % 200 + 1);
        put(&o, T0 + 5 * SEC + i * (SEC / 100), src, dst, 40000, 4444, 0x02,
            0);
    }
    pcap_out_close(&o);
    return path;
}

/* 40 lone queries of this network's benign kind do not lift the hold on
 * an attack's lone flow; a burst of 100 lone SYNs alerts, first included. */
static void test_detect_lone_limit(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512];
    const char *cap = write_lone("lone_q", 40, 0);
    assert_int_equal(testutil_model_local("lone", cap, model, sizeof(model),
                                          &out), 0);
    cap = write_lone("lone_q_syn", 40, 1);
    /* Judged, the SYN alerts and the queries are benign. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0 --judge-lone", bin, model,
                                   cap), 0);
    assert_int_equal(testutil_count(out, "\n"), 1);
    assert_non_null(strstr(out, "\"dest_port\":4444,"));
    assert_null(strstr(out, "unjudged"));
    /* By default the lone SYN is withheld: the benign queries do not
     * make lone flows common. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0", bin, model, cap), 0);
    assert_int_equal(testutil_count(out, "\n"), 1);
    assert_non_null(strstr(out, "\"reason\":\"unanswered when the input "
                                "ended"));
    /* A spoofed burst: past the limit every one alerts. */
    cap = write_lone("lone_syn", 0, 100);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0", bin, model, cap), 0);
    assert_int_equal(testutil_count(out, "\n"), 100);
    assert_null(strstr(out, "unjudged"));
    /* A `lone` suppression entry holds back what the limit let out; with
     * the rule off (--judge-lone) they are the model's own alerts. */
    const char *list = testutil_write("lone.suppress",
                                      "lone proto tcp port 4444\n");
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0 --suppress %s --summary-json "
                                   "/dev/stderr 2>&1", bin, model, cap, list),
                     0);
    assert_null(strstr(out, "\"event_type\""));
    assert_non_null(strstr(out, "\"suppressed\":{\"alerts\":100,"));
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0 --suppress %s --judge-lone",
                                   bin, model, cap, list), 0);
    assert_int_equal(testutil_count(out, "\n"), 100);
    free(out);
    out = NULL;
}

/* 40 lone SYNs from 40 hosts of one network to 40 other networks, then
 * one from elsewhere:
 * by default only the noisy network's flows alert; --lone-prefix 0,0
 * (one count for all) lets the stranger's alert out too. */
static void test_detect_lone_per_network(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512], path[512], src[48], dst[48];
    struct pcap_out o;
    assert_int_equal(testutil_model_tiny("lone", model,
                                         sizeof(model), &out), 0);
    snprintf(path, sizeof(path), "%s/lone_net.pcap", testutil_tmpdir());
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(src, sizeof(src), "10.5.0.%d", i + 1);
        snprintf(dst, sizeof(dst), "172.%d.0.1", 100 + i);
        put(&o, T0 + i * (SEC / 100), src, dst, 40000, 4444, 0x02, 0);
    }
    put(&o, T0 + SEC, "192.168.9.9", "198.51.100.1", 40000, 4444, 0x02, 0);
    pcap_out_close(&o);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s -r %s "
                                   "--explain 0", bin, model, path), 0);
    assert_int_equal(testutil_count(out, "\n"), 41);
    assert_int_equal(testutil_count(out, "unjudged"), 1);
    const char *odd = strstr(out, "\"src_ip\":\"192.168.9.9\"");
    assert_non_null(odd);
    const char *why = strstr(odd, "\"reason\":\"unanswered when");
    assert_non_null(why);
    assert_true(why < strchr(odd, '\n'));
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s -r %s "
                                   "--explain 0 --lone-prefix 0,0", bin,
                                   model, path), 0);
    assert_int_equal(testutil_count(out, "\n"), 41);
    assert_int_equal(testutil_count(out, "unjudged"), 0);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s -r %s "
                                   "--lone-prefix 33,64 2>&1", bin, model,
                                   path), 2);
    assert_non_null(strstr(out, "--lone-prefix"));
    free(out);
    out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_cut_connection),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_untimed_rows),
        cmocka_unit_test(test_unanswered),
        cmocka_unit_test(test_unaddressed_left_out),
        cmocka_unit_test(test_lone_limit_counts_alerts),
        cmocka_unit_test(test_lone_limit_keeps_windows),
        cmocka_unit_test(test_lone_limit_per_network),
        cmocka_unit_test(test_lone_limit_prefix),
        cmocka_unit_test(test_lone_limit_bounded),
        cmocka_unit_test(test_lone_limit_all_networks),
        cmocka_unit_test(test_detect_lone_per_network),
        cmocka_unit_test(test_detect_lone_limit),
        cmocka_unit_test(test_detect_withholds_alerts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
