/*
 * Training support by flow kind (support.h): the kind read from feature
 * columns, the two rules, the model section, the kinds our flow meter
 * gives hand-built packets, and detect's output for an unjudged flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

#include "fewflow/capture.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/support.h"

/* The columns the kind needs, shuffled, with one it does not. */
enum { C_FWD, C_EXTRA, C_BWD, C_SEG, C_ICMP, C_TIME, C_SYN, C_ACK, C_FIN,
       C_RST, C_FHDR, C_BHDR, N_C };
static const char *const cols[N_C] = {
    "total_fwd_packet", "flow_duration", "total_bwd_packets",
    "fwd_seg_size_min", "icmp_type", "total_tcp_flow_time",
    "syn_flag_count", "ack_flag_count", "fin_flag_count", "rst_flag_count",
    "fwd_header_length", "bwd_header_length",
};

static void row(float *x, float fwd, float bwd, float seg, float icmp,
                float ack)
{
    memset(x, 0, N_C * sizeof(float));
    x[C_FWD] = fwd;
    x[C_BWD] = bwd;
    x[C_SEG] = seg;
    x[C_ICMP] = icmp;
    x[C_ACK] = ack;
    x[C_FHDR] = seg * fwd;
    x[C_BHDR] = seg * bwd;
}

static int kind_of(const struct support *s, float fwd, float bwd, float seg,
                   float icmp, float ack)
{
    float x[N_C];
    row(x, fwd, bwd, seg, icmp, ack);
    return support_kind(s, x);
}

#define K(fam, shape) ((SUPPORT_##fam) * SUPPORT_SHAPES + SUPPORT_##shape)

static void test_kind_from_columns(void **state)
{
    (void)state;
    struct support *s = support_create(cols, N_C);
    assert_non_null(s);
    assert_int_equal(kind_of(s, 3, 2, 20, -1, 4), K(TCP, TWO_WAY));
    /* The CSV's header length of 0 on a TCP row: the flags say TCP. */
    assert_int_equal(kind_of(s, 3, 2, 0, -1, 4), K(TCP, TWO_WAY));
    assert_int_equal(kind_of(s, 1, 0, 32, -1, 0), K(TCP, SINGLE));
    assert_int_equal(kind_of(s, 1, 1, 8, -1, 0), K(UDP, TWO_WAY));
    assert_int_equal(kind_of(s, 13, 0, 8, -1, 0), K(UDP, ONE_WAY));
    assert_int_equal(kind_of(s, 1, 0, 8, -1, 0), K(UDP, SINGLE));
    assert_int_equal(kind_of(s, 1, 1, 8, 8, 0), K(ICMP, TWO_WAY));
    assert_int_equal(kind_of(s, 2, 0, 0, -1, 0), K(OTHER, ONE_WAY));
    /* A UDP flow part that starts with a backward packet: the CSV's rule
     * leaves the forward minimum at 0; 8-byte headers still say UDP. */
    float x[N_C];
    row(x, 3, 2, 8, -1, 0);
    x[C_SEG] = 0;
    assert_int_equal(support_kind(s, x), K(UDP, TWO_WAY));
    assert_string_equal(support_kind_name(K(UDP, SINGLE)),
                        "UDP single packet");
    support_destroy(s);
    assert_false(support_columns_present(cols + 1, N_C - 1));
    assert_null(support_create(cols + 1, N_C - 1));
}

static struct support *table_with(size_t n_udp2, size_t n_icmp)
{
    struct support *s = support_create(cols, N_C);
    float x[N_C];
    assert_non_null(s);
    row(x, 1, 1, 8, -1, 0);
    for (size_t i = 0; i < n_udp2; i++)
        assert_int_equal(support_add(s, "BENIGN", x), 0);
    row(x, 5, 4, 20, -1, 6);
    for (size_t i = 0; i < 40; i++)
        assert_int_equal(support_add(s, "DDoS", x), 0);
    row(x, 1, 1, 8, 8, 0);
    for (size_t i = 0; i < n_icmp; i++)
        assert_int_equal(support_add(s, "BENIGN", x), 0);
    return s;
}

static struct memo *two_classes(void)
{
    struct memo *m = memo_create(2, N_C);
    float p[2] = { 0, 0 }, xm[N_C] = { 0 };
    assert_non_null(m);
    assert_int_equal(memo_class_add(m, "BENIGN", MEMO_CLASS_BENIGN, p, 1,
                                    1, xm), 0);
    assert_int_equal(memo_class_add(m, "DDoS", 0, p, 1, 1, xm), 1);
    assert_int_equal(memo_class_add(m, "local", MEMO_CLASS_BENIGN |
                                    MEMO_CLASS_ENROLLED, p, 1, 1, xm), 2);
    assert_int_equal(memo_class_add(m, "icmp-tunnel", MEMO_CLASS_ENROLLED,
                                    p, 1, 1, xm), 3);
    return m;
}

static enum support_verdict check(const struct support *s,
                                  const struct memo *m, int kind, int cls,
                                  uint32_t n_min)
{
    struct memo_decision d;
    memset(&d, 0, sizeof(d));
    d.cls = cls;
    return support_check(s, m, kind, &d, n_min);
}

static void test_rules(void **state)
{
    (void)state;
    struct support *s = table_with(20, 3);
    struct memo *m = two_classes();

    assert_int_equal(support_count(s, "BENIGN", K(UDP, TWO_WAY)), 20);
    assert_int_equal(support_count(s, NULL, K(TCP, TWO_WAY)), 40);
    assert_int_equal(support_count(s, "local", K(UDP, TWO_WAY)), -1);
    /* Benign keeps what it learnt; loses a shape it never saw. */
    assert_int_equal(check(s, m, K(UDP, TWO_WAY), 0, 10), SUPPORT_OK);
    assert_int_equal(check(s, m, K(UDP, SINGLE), 0, 10), SUPPORT_NO_BENIGN);
    assert_int_equal(check(s, m, K(TCP, TWO_WAY), 0, 10), SUPPORT_NO_BENIGN);
    assert_int_equal(check(s, m, K(UDP, TWO_WAY), 0, 20), SUPPORT_OK);
    assert_int_equal(check(s, m, K(UDP, TWO_WAY), 0, 21), SUPPORT_UNJUDGED);
    /* Attack and unknown verdicts, and enrolled classes, are untouched. */
    assert_int_equal(check(s, m, K(UDP, SINGLE), 1, 10), SUPPORT_OK);
    assert_int_equal(check(s, m, K(UDP, SINGLE), -1, 10), SUPPORT_OK);
    assert_int_equal(check(s, m, K(UDP, SINGLE), 2, 10), SUPPORT_OK);
    /* Three ICMP rows in all: the family is not judged, whatever the
     * memory said; with 3 as the minimum it is. */
    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 0, 10), SUPPORT_UNJUDGED);
    assert_int_equal(check(s, m, K(ICMP, SINGLE), 1, 10), SUPPORT_UNJUDGED);
    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 0, 3), SUPPORT_OK);
    assert_int_equal(check(s, m, K(OTHER, TWO_WAY), -1, 1),
                     SUPPORT_UNJUDGED);
    /* Off, or no table: no rule. */
    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 0, 0), SUPPORT_OK);
    assert_int_equal(check(NULL, m, K(ICMP, TWO_WAY), 0, 10), SUPPORT_OK);
    assert_non_null(strstr(support_reason(SUPPORT_UNJUDGED, K(ICMP, ONE_WAY)),
                           "ICMP"));
    assert_non_null(strstr(support_reason(SUPPORT_NO_BENIGN, K(UDP, SINGLE)),
                           "UDP single-packet"));
    assert_null(support_reason(SUPPORT_OK, K(UDP, SINGLE)));
    memo_destroy(m);
    support_destroy(s);
}

/* Enrolment adds its flows: a family an enrolled class has flows of is
 * judged however few they are, and a benign class enrolled from a few
 * flows vouches only for the kinds among them. */
static void test_enrolled_rows(void **state)
{
    (void)state;
    struct support *s = table_with(20, 3);
    struct memo *m = two_classes();
    float x[3 * N_C];

    row(x, 1, 1, 8, -1, 0);
    for (int i = 1; i < 3; i++)
        memcpy(x + i * N_C, x, sizeof(float) * N_C);
    assert_int_equal(support_add_rows(s, "local", x, 3, N_C), 0);
    assert_int_equal(support_add_rows(s, "local", x, 3, N_C), 0);
    assert_int_equal(support_count(s, "local", K(UDP, TWO_WAY)), 3);
    assert_int_equal(check(s, m, K(UDP, TWO_WAY), 2, 10), SUPPORT_OK);
    assert_int_equal(check(s, m, K(UDP, SINGLE), 2, 10), SUPPORT_NO_BENIGN);

    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 3, 10), SUPPORT_UNJUDGED);
    row(x, 1, 1, 8, 8, 0);
    assert_int_equal(support_add_rows(s, "icmp-tunnel", x, 1, N_C), 0);
    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 3, 10), SUPPORT_OK);
    assert_int_equal(check(s, m, K(ICMP, SINGLE), -1, 10), SUPPORT_OK);
    /* BENIGN's 3 ICMP rows are still under 10: it cannot take them. */
    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 0, 10),
                     SUPPORT_NO_BENIGN);
    /* Forgetting the tunnel class takes its vouching for ICMP with it. */
    assert_int_equal(support_forget(s, "icmp-tunnel"), 1);
    assert_int_equal(support_forget(s, "icmp-tunnel"), 0);
    assert_int_equal(support_count(s, "icmp-tunnel", K(ICMP, TWO_WAY)), -1);
    assert_int_equal(support_count(s, "local", K(UDP, TWO_WAY)), 3);
    assert_int_equal(check(s, m, K(ICMP, TWO_WAY), 3, 10), SUPPORT_UNJUDGED);
    memo_destroy(m);
    support_destroy(s);
}

static void test_section_round_trip_and_damage(void **state)
{
    (void)state;
    struct support *s = table_with(12, 3);
    struct bytes_writer w;
    bytes_writer_init(&w);
    assert_int_equal(support_write(s, &w), 0);

    struct support *r = support_read(w.data, w.len, cols, N_C, "m.model");
    assert_non_null(r);
    for (int k = 0; k < SUPPORT_KINDS; k++) {
        assert_int_equal(support_count(r, "BENIGN", k),
                         support_count(s, "BENIGN", k));
        assert_int_equal(support_count(r, NULL, k),
                         support_count(s, NULL, k));
    }
    support_destroy(r);

    assert_null(support_read(w.data, w.len, cols + 1, N_C - 1, "m.model"));
    assert_int_equal(err_last(), ERR_FORMAT);
    w.data[20] ^= 1;
    assert_null(support_read(w.data, w.len, cols, N_C, "m.model"));
    assert_int_equal(err_last(), ERR_CHECKSUM);
    assert_non_null(strstr(err_msg(), "m.model"));
    assert_null(support_read(w.data, 7, cols, N_C, "m.model"));
    bytes_writer_fini(&w);
    support_destroy(s);
}

/* A forged section (checksum recomputed) with counts no training set has:
 * summing them must not overflow; the reader refuses them with the
 * count's offset. */
static void test_section_refuses_huge_counts(void **state)
{
    (void)state;
    struct bytes_writer w;
    bytes_writer_init(&w);
    bytes_put(&w, "FFKIND", 6);
    bytes_put_u8(&w, 1);
    bytes_put_u8(&w, 0);
    bytes_put_u32(&w, 2);
    for (int c = 0; c < 2; c++) {
        bytes_put_str(&w, c ? "DDoS" : "BENIGN");
        for (int k = 0; k < SUPPORT_KINDS; k++)
            bytes_put_u64(&w, UINT64_C(1) << 62);
    }
    bytes_put_u32(&w, bytes_crc32(0, w.data, w.len));
    assert_int_equal(bytes_writer_status(&w), 0);

    struct support *r = support_read(w.data, w.len, cols, N_C, "m.model");
    if (r != NULL) {
        /* Without the bound these sums overflow int64_t. */
        struct memo *m = two_classes();
        (void)check(r, m, K(TCP, TWO_WAY), 0, 10);
        memo_destroy(m);
        support_destroy(r);
    }
    assert_null(r);
    assert_int_equal(err_last(), ERR_PARSE);
    assert_non_null(strstr(err_msg(), "m.model"));
    assert_non_null(strstr(err_msg(), "offset 22 of the KIND section"));
    bytes_writer_fini(&w);
}

/* ---- our flow meter's features give the kinds above ---- */

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)

static void put(struct pcap_out *o, int64_t t, const char *src,
                const char *dst, const struct pkt_l4 *l)
{
    struct pkt p;
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, src, dst, l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/* An ICMP echo and its reply, one UDP datagram nobody answers, and a TCP
 * handshake with a request and its answer. */
static const char *write_kinds(void)
{
    static char path[512];
    struct pcap_out o;
    struct pkt_l4 echo = { .protocol = 1, .icmp_type = 8, .payload = 56 };
    struct pkt_l4 reply = { .protocol = 1, .icmp_type = 0, .payload = 56 };
    struct pkt_l4 udp = { .protocol = 17, .sport = 4500, .dport = 31337,
                          .payload = 204 };
    struct pkt_l4 c = { .protocol = 6, .sport = 40000, .dport = 80,
                        .window = 64240 };
    struct pkt_l4 sv = { .protocol = 6, .sport = 80, .dport = 40000,
                         .window = 65160 };

    snprintf(path, sizeof(path), "%s/kinds.pcap", testutil_tmpdir());
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    put(&o, T0, "10.0.0.1", "10.0.0.2", &echo);
    put(&o, T0 + SEC / 100, "10.0.0.2", "10.0.0.1", &reply);
    put(&o, T0 + SEC / 50, "198.51.100.7", "10.0.0.1", &udp);
    c.flags = 0x02;
    put(&o, T0 + SEC / 10, "10.0.0.1", "10.0.0.3", &c);
    sv.flags = 0x12;
    put(&o, T0 + SEC / 10 + 1000000, "10.0.0.3", "10.0.0.1", &sv);
    c.flags = 0x18;
    c.payload = 120;
    put(&o, T0 + SEC / 10 + 2000000, "10.0.0.1", "10.0.0.3", &c);
    sv.flags = 0x18;
    sv.payload = 900;
    put(&o, T0 + SEC / 10 + 9000000, "10.0.0.3", "10.0.0.1", &sv);
    pcap_out_close(&o);
    return path;
}

static int kinds_seen;

static int on_kind(const struct flow_record *r, void *user)
{
    const struct support *s = user;
    int want = r->protocol == 1 ? K(ICMP, TWO_WAY)
               : r->protocol == 17 ? K(UDP, SINGLE) : K(TCP, TWO_WAY);
    assert_int_equal(support_kind(s, r->features), want);
    kinds_seen |= 1 << (want / SUPPORT_SHAPES);
    return 0;
}

static void test_meter_flows_have_their_kind(void **state)
{
    (void)state;
    struct capture_packet pkt;
    struct support *s = support_create(flow_feature_names(),
                                       flow_feature_count());
    assert_non_null(s);
    struct capture_source *src = capture_open_file(write_kinds());
    assert_non_null(src);
    struct flow_meter *fm = flow_meter_create(NULL, on_kind, s);
    assert_non_null(fm);
    while (capture_next(src, &pkt) == 1)
        assert_int_equal(flow_meter_packet(fm, &pkt), 0);
    assert_int_equal(flow_meter_flush(fm), 0);
    assert_int_equal(kinds_seen, 1 << SUPPORT_ICMP | 1 << SUPPORT_UDP |
                                 1 << SUPPORT_TCP);
    flow_meter_destroy(fm);
    capture_close(src);
    support_destroy(s);
}

/* ---- detect: a small model trained on CIC rows (BENIGN, DDoS,
 * Portscan: 3 ICMP rows, no single-packet UDP row; the test classes only
 * complete the protocol) ---- */

static char *out;

static void test_detect_reports_unjudged_and_unsupported(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512];
    assert_int_equal(testutil_model_tiny("kinds", model,
                                         sizeof(model), &out), 0);
    const char *cap = write_kinds();
    /* The TCP connection is still open at the end of the capture and the
     * UDP datagram unanswered: judged here (--judge-cut, --judge-lone),
     * so that only the kind rules are seen. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --judge-cut "
                                   "--judge-lone --model %s -r %s "
                                   "--summary-json /dev/stdout", bin, model,
                                   cap), 0);
    /* The ICMP flow is printed without --all, at severity 3, not counted
     * as an alert, with the reason. */
    char *icmp = strstr(out, "\"proto\":\"ICMP\"");
    assert_non_null(icmp);
    assert_non_null(strstr(icmp, "\"severity\":3"));
    assert_non_null(strstr(icmp, "\"class\":\"unjudged\",\"reason\":"
                                 "\"too few ICMP flows"));
    assert_non_null(strstr(out, "\"unjudged\":1"));
    /* The single UDP datagram is never benign. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --judge-cut "
                                   "--judge-lone --model %s -r %s "
                                   "--all", bin, model, cap), 0);
    char *udp = strstr(out, "\"proto\":\"UDP\"");
    assert_non_null(udp);
    char *end = strchr(udp, '\n');
    assert_non_null(end);
    *end = '\0';
    assert_null(strstr(udp, "\"fewflow\":{\"class\":\"BENIGN\""));
    /* Rules off: the memory's verdicts, nothing unjudged. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --judge-cut "
                                   "--judge-lone --model %s -r %s "
                                   "--all --min-support 0", bin, model, cap),
                     0);
    assert_null(strstr(out, "unjudged"));
    /* Enrolling a class from these flows makes ICMP judged. */
    assert_int_equal(testutil_runf(&out, "%s -q enroll --model %s --name "
                                   "mixed --flows %s -o %s.e 2>&1", bin,
                                   model, cap, model), 0);
    assert_int_equal(testutil_runf(&out, "%s -q detect --judge-cut "
                                   "--judge-lone --model %s.e "
                                   "-r %s "
                                   "--all", bin, model, cap), 0);
    icmp = strstr(out, "\"proto\":\"ICMP\"");
    assert_non_null(icmp);
    assert_null(strstr(out, "unjudged"));
    free(out);
    out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_from_columns),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_enrolled_rows),
        cmocka_unit_test(test_section_round_trip_and_damage),
        cmocka_unit_test(test_section_refuses_huge_counts),
        cmocka_unit_test(test_meter_flows_have_their_kind),
        cmocka_unit_test(test_detect_reports_unjudged_and_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
