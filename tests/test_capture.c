/*
 * Golden tests for the capture module: every capture here is written by
 * the test itself (libpcap's dump API; pcapng by hand), and every expected
 * value is worked out by hand in the comments from the packets' times and
 * sizes. A failing value prints both sides.
 */
#include "testutil.h"
#include "pktbuild.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>

#include "fewflow/capture.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"

/* Records kept for inspection; more are counted only. */
#define MAX_GOT 64
#define US 1000LL
#define MS 1000000LL
#define SEC 1000000000LL
#define T0 (1500000000LL * SEC)

struct got {
    size_t n;
    struct flow_record rec[MAX_GOT];
    float feat[MAX_GOT][128];
};

static struct got got;

static int collect(const struct flow_record *r, void *user)
{
    struct got *g = user;

    for (size_t i = 0; i < flow_feature_count(); i++)
        assert_true(isfinite(r->features[i]));
    assert_true(r->last_ns >= r->first_ns);
    assert_true(r->features[0] >= 0.0f);
    if (g->n < MAX_GOT) {
        g->rec[g->n] = *r;
        memcpy(g->feat[g->n], r->features,
               flow_feature_count() * sizeof(float));
        g->rec[g->n].features = g->feat[g->n];
    }
    g->n++;
    return 0;
}

/* Runs a capture file through a meter; returns its stats (static). */
static const struct flow_stats *run_cfg(const char *path,
                                        const struct flow_config *cfg,
                                        struct capture_source_stats *src_st)
{
    static struct flow_stats st;
    struct capture_packet pkt;

    memset(&got, 0, sizeof(got));
    struct capture_source *src = capture_open_file(path);
    assert_non_null(src);
    struct flow_meter *m = flow_meter_create(cfg, collect, &got);
    assert_non_null(m);
    int rc;
    while ((rc = capture_next(src, &pkt)) == 1)
        assert_int_equal(flow_meter_packet(m, &pkt), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(flow_meter_flush(m), 0);
    st = *flow_meter_stats(m);
    if (src_st)
        *src_st = *capture_stats(src);
    flow_meter_destroy(m);
    capture_close(src);
    return &st;
}

static const struct flow_stats *run(const char *path)
{
    return run_cfg(path, NULL, NULL);
}

static float feat(size_t flow, const char *name)
{
    long i = flow_feature_index(name);
    if (i < 0)
        fail_msg("no feature %s", name);
    return got.feat[flow][i];
}

#define assert_feat(flow, name, want) \
    assert_float_near(feat(flow, name), (want), \
                      1e-4 * fabs((double)(want)) + 1e-3)

static const char *tmp(const char *name)
{
    static char path[4][512];
    static int turn;
    char *p = path[turn++ % 4];

    snprintf(p, 512, "%s/%s", testutil_tmpdir(), name);
    return p;
}

static const uint8_t syn_opts_c[8] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
static const uint8_t syn_opts_s[8] = { 2, 4, 0x05, 0x78, 1, 3, 3, 8 };

/* Ethernet IPv4 TCP between 10.0.0.1:40000 (client) and 10.0.0.2:80. */
static void tcp_pkt(struct pcap_out *o, int64_t t, int from_client,
                    uint8_t flags, uint16_t win, uint32_t payload,
                    const uint8_t *opts)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .flags = flags, .window = win,
                        .payload = payload, .opts = opts,
                        .opt_len = opts ? 8 : 0 };
    l.sport = from_client ? 40000 : 80;
    l.dport = from_client ? 80 : 40000;
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, from_client ? "10.0.0.1" : "10.0.0.2",
             from_client ? "10.0.0.2" : "10.0.0.1", &l, 1, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/*
 * Handshake, one request, one response, FIN from both sides, last ACK.
 * Client (fwd) at 0, 2, 3, 6, 10, 12 ms; server (bwd) at 1, 5, 11 ms.
 */
static void test_tcp_handshake_data_fin(void **state)
{
    struct pcap_out o;
    const char *path = tmp("tcp_fin.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    tcp_pkt(&o, T0 + 0 * MS, 1, 0x02, 64240, 0, syn_opts_c);
    tcp_pkt(&o, T0 + 1 * MS, 0, 0x12, 65160, 0, syn_opts_s);
    tcp_pkt(&o, T0 + 2 * MS, 1, 0x10, 502, 0, NULL);
    tcp_pkt(&o, T0 + 3 * MS, 1, 0x18, 502, 100, NULL);
    tcp_pkt(&o, T0 + 5 * MS, 0, 0x18, 509, 300, NULL);
    tcp_pkt(&o, T0 + 6 * MS, 1, 0x10, 502, 0, NULL);
    tcp_pkt(&o, T0 + 10 * MS, 1, 0x11, 502, 0, NULL);
    tcp_pkt(&o, T0 + 11 * MS, 0, 0x11, 509, 0, NULL);
    tcp_pkt(&o, T0 + 12 * MS, 1, 0x10, 502, 0, NULL);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->packets, 9);
    assert_int_equal(got.n, 1);
    const struct flow_record *r = &got.rec[0];
    assert_int_equal(r->end_reason, FLOW_END_FIN);
    assert_int_equal(r->src_port, 40000);
    assert_int_equal(r->dst_port, 80);
    assert_int_equal(r->protocol, 6);
    assert_memory_equal(r->src_addr, "\x0a\0\0\x01", 4);
    assert_true(r->first_ns == T0 && r->last_ns == T0 + 12 * MS);
    assert_feat(0, "flow_duration", 12000);
    assert_feat(0, "total_fwd_packet", 6);
    assert_feat(0, "total_bwd_packets", 3);
    assert_feat(0, "total_length_of_fwd_packet", 100);
    assert_feat(0, "total_length_of_bwd_packet", 300);
    /* fwd lengths 0 0 100 0 0 0: mean 100/6, sample std sqrt(8333.3/5) */
    assert_feat(0, "fwd_packet_length_max", 100);
    assert_feat(0, "fwd_packet_length_min", 0);
    assert_feat(0, "fwd_packet_length_mean", 100.0 / 6);
    assert_feat(0, "fwd_packet_length_std", 40.824829);
    /* bwd lengths 0 300 0: mean 100, std sqrt(60000/2) */
    assert_feat(0, "bwd_packet_length_mean", 100);
    assert_feat(0, "bwd_packet_length_std", 173.205081);
    /* 400 payload bytes and 9 packets over 0.012 s */
    assert_feat(0, "flow_bytes_s", 400 / 0.012);
    assert_feat(0, "flow_packets_s", 750);
    assert_feat(0, "fwd_packets_s", 500);
    assert_feat(0, "bwd_packets_s", 250);
    /* flow gaps 1 1 1 2 1 4 1 1 ms: sum of squared deviations 8e6 us^2 */
    assert_feat(0, "flow_iat_mean", 1500);
    assert_feat(0, "flow_iat_std", sqrt(8e6 / 7));
    assert_feat(0, "flow_iat_max", 4000);
    assert_feat(0, "flow_iat_min", 1000);
    /* fwd gaps 2 1 3 4 2 ms */
    assert_feat(0, "fwd_iat_total", 12000);
    assert_feat(0, "fwd_iat_mean", 2400);
    assert_feat(0, "fwd_iat_std", sqrt(5.2e6 / 4));
    assert_feat(0, "fwd_iat_max", 4000);
    assert_feat(0, "fwd_iat_min", 1000);
    /* bwd gaps 4 6 ms */
    assert_feat(0, "bwd_iat_total", 10000);
    assert_feat(0, "bwd_iat_mean", 5000);
    assert_feat(0, "bwd_iat_std", 1414.213562);
    assert_feat(0, "fwd_psh_flags", 1);
    assert_feat(0, "bwd_psh_flags", 1);
    assert_feat(0, "fin_flag_count", 2);
    assert_feat(0, "syn_flag_count", 2);
    assert_feat(0, "ack_flag_count", 8);
    assert_feat(0, "psh_flag_count", 2);
    assert_feat(0, "rst_flag_count", 0);
    /* TCP headers: SYNs 28 bytes with options, others 20 */
    assert_feat(0, "fwd_header_length", 28 + 5 * 20);
    assert_feat(0, "bwd_header_length", 28 + 2 * 20);
    assert_feat(0, "fwd_seg_size_min", 20);
    /* all nine lengths: 0 0 0 100 300 0 0 0 0 */
    assert_feat(0, "packet_length_max", 300);
    assert_feat(0, "packet_length_mean", 400.0 / 9);
    assert_feat(0, "packet_length_variance", (100000 - 400.0 * 400 / 9) / 8);
    assert_feat(0, "down_up_ratio", 0.5);
    assert_feat(0, "average_packet_size", 400.0 / 9);
    assert_feat(0, "subflow_fwd_packets", 6);
    assert_feat(0, "subflow_bwd_bytes", 300);
    assert_feat(0, "fwd_init_win_bytes", 64240);
    assert_feat(0, "bwd_init_win_bytes", 65160);
    assert_feat(0, "fwd_act_data_pkts", 1);
    assert_feat(0, "fwd_tcp_mss", 1460);
    assert_feat(0, "bwd_tcp_mss", 1400);
    assert_feat(0, "fwd_tcp_win_scale", 7);
    assert_feat(0, "bwd_tcp_win_scale", 8);
    assert_feat(0, "total_tcp_flow_time", 12000);
    assert_feat(0, "icmp_type", -1);
    assert_feat(0, "active_mean", 0);
    assert_feat(0, "idle_max", 0);
    /* IP bytes: 20-byte IP headers + TCP headers + payload */
    assert_feat(0, "fwd_ip_bytes", 6 * 20 + 128 + 100);
    assert_feat(0, "bwd_ip_bytes", 3 * 20 + 68 + 300);
}

/* FIN from both sides but no last ACK: a new SYN on the same ports ends
 * the old connection and starts a new flow. */
static void test_tcp_port_reuse(void **state)
{
    struct pcap_out o;
    const char *path = tmp("tcp_reuse.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    tcp_pkt(&o, T0, 1, 0x02, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 1 * MS, 0, 0x12, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 2 * MS, 1, 0x11, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 3 * MS, 0, 0x11, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 9 * MS, 1, 0x02, 2048, 0, NULL);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_FIN);
    assert_feat(0, "total_fwd_packet", 2);
    assert_feat(0, "total_bwd_packets", 2);
    assert_feat(0, "flow_duration", 3000);
    assert_int_equal(got.rec[1].end_reason, FLOW_END_EOF);
    assert_feat(1, "fwd_init_win_bytes", 2048);
}

/* A SYN answered by RST-ACK ends at once; the next SYN is a new flow. */
static void test_tcp_rst(void **state)
{
    struct pcap_out o;
    const char *path = tmp("tcp_rst.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    tcp_pkt(&o, T0, 1, 0x02, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 500 * US, 0, 0x14, 0, 0, NULL);
    tcp_pkt(&o, T0 + 900 * US, 1, 0x02, 1024, 0, NULL);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_RST);
    assert_int_equal(got.rec[0].id, 1);
    assert_feat(0, "total_fwd_packet", 1);
    assert_feat(0, "total_bwd_packets", 1);
    assert_feat(0, "bwd_rst_flags", 1);
    assert_feat(0, "fwd_rst_flags", 0);
    assert_feat(0, "rst_flag_count", 1);
    assert_feat(0, "flow_duration", 500);
    assert_feat(0, "bwd_init_win_bytes", 0);
    assert_int_equal(got.rec[1].end_reason, FLOW_END_EOF);
    assert_int_equal(got.rec[1].src_port, 40000);
    assert_feat(1, "total_fwd_packet", 1);
    assert_feat(1, "flow_duration", 0);
}

static void udp_pkt(struct pcap_out *o, int64_t t, const char *src,
                    const char *dst, uint16_t sport, uint16_t dport,
                    uint32_t payload, int vlan)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = sport, .dport = dport,
                        .payload = payload };

    pkt_eth(&p, vlan, 0x0800);
    pkt_ipv4(&p, src, dst, &l, 7, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

/* Three packets one way 100 ms apart; then a lone packet elsewhere. */
static void test_udp_one_way(void **state)
{
    struct pcap_out o;
    const char *path = tmp("udp.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.1.1.1", "10.2.2.2", 5000, 53, 10, -1);
    udp_pkt(&o, T0 + 100 * MS, "10.1.1.1", "10.2.2.2", 5000, 53, 20, -1);
    udp_pkt(&o, T0 + 200 * MS, "10.1.1.1", "10.2.2.2", 5000, 53, 30, -1);
    udp_pkt(&o, T0 + 250 * MS, "10.9.9.9", "10.2.2.2", 6000, 53, 40, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.rec[0].protocol, 17);
    assert_feat(0, "flow_duration", 200000);
    assert_feat(0, "total_fwd_packet", 3);
    assert_feat(0, "total_bwd_packets", 0);
    assert_feat(0, "fwd_packet_length_mean", 20);
    assert_feat(0, "fwd_packet_length_std", 10);
    assert_feat(0, "bwd_packet_length_max", 0);
    assert_feat(0, "bwd_iat_total", 0);
    assert_feat(0, "flow_bytes_s", 60 / 0.2);
    assert_feat(0, "bwd_packets_s", 0);
    assert_feat(0, "down_up_ratio", 0);
    assert_feat(0, "fwd_header_length", 24);
    assert_feat(0, "fwd_seg_size_min", 8);
    assert_feat(0, "fwd_init_win_bytes", 0);
    assert_feat(0, "bwd_init_win_bytes", 0);
    assert_feat(0, "fwd_tcp_mss", -1);
    assert_feat(0, "syn_flag_count", 0);
    assert_feat(0, "total_tcp_flow_time", 0);
    assert_feat(0, "fwd_ip_bytes", 3 * 28 + 60);
    /* A single packet: zero duration gives zero rates, not a division. */
    assert_feat(1, "flow_duration", 0);
    assert_feat(1, "flow_bytes_s", 0);
    assert_feat(1, "flow_packets_s", 0);
    assert_feat(1, "flow_iat_mean", 0);
    assert_feat(1, "total_length_of_fwd_packet", 40);
}

/* Echo request and reply: one flow, type and code of the first packet. */
static void test_icmp_echo(void **state)
{
    struct pcap_out o;
    const char *path = tmp("icmp.pcap");
    struct pkt p;
    struct pkt_l4 req = { .protocol = 1, .icmp_type = 8, .payload = 56 };
    struct pkt_l4 rep = { .protocol = 1, .icmp_type = 0, .payload = 56 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "192.168.1.1", "8.8.8.8", &req, 1, 0, 0, 0);
    pcap_out_write(&o, T0, &p, 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "8.8.8.8", "192.168.1.1", &rep, 1, 0, 0, 0);
    pcap_out_write(&o, T0 + 20 * MS, &p, 0);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].protocol, 1);
    assert_int_equal(got.rec[0].src_port, 0);
    assert_memory_equal(got.rec[0].src_addr, "\xc0\xa8\x01\x01", 4);
    assert_feat(0, "icmp_type", 8);
    assert_feat(0, "icmp_code", 0);
    assert_feat(0, "total_fwd_packet", 1);
    assert_feat(0, "total_bwd_packets", 1);
    assert_feat(0, "total_length_of_bwd_packet", 56);
    assert_feat(0, "fwd_header_length", 8);
    assert_feat(0, "flow_duration", 20000);
}

/* IPv6 with a hop-by-hop header before UDP: the extension counts in the
 * IP header, not in the payload. */
static void test_ipv6_extension_header(void **state)
{
    struct pcap_out o;
    const char *path = tmp("ipv6.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 5353, .dport = 53,
                        .payload = 20 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::1", "2001:db8::2", &l, 1);
    pcap_out_write(&o, T0, &p, 0);
    l.sport = 53;
    l.dport = 5353;
    l.payload = 100;
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::2", "2001:db8::1", &l, 0);
    pcap_out_write(&o, T0 + 3 * MS, &p, 0);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].ip_version, 6);
    assert_int_equal(got.rec[0].protocol, 17);
    assert_int_equal(got.rec[0].src_port, 5353);
    char buf[64];
    assert_string_equal(flow_addr_format(&got.rec[0], 0, buf, sizeof(buf)),
                        "2001:db8::1");
    assert_feat(0, "total_length_of_fwd_packet", 20);
    assert_feat(0, "total_length_of_bwd_packet", 100);
    assert_feat(0, "fwd_header_length", 8);
    assert_feat(0, "fwd_ip_bytes", 40 + 8 + 8 + 20);
    assert_feat(0, "bwd_ip_bytes", 40 + 8 + 100);
}

/* The client's packets carry VLAN 100, the server's none: one flow. */
static void test_vlan_one_side(void **state)
{
    struct pcap_out o;
    const char *path = tmp("vlan.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.1.1.1", "10.2.2.2", 5000, 53, 10, 100);
    udp_pkt(&o, T0 + MS, "10.2.2.2", "10.1.1.1", 53, 5000, 50, -1);
    udp_pkt(&o, T0 + 2 * MS, "10.1.1.1", "10.2.2.2", 5000, 53, 10, 100);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].vlan_id, 100);
    assert_feat(0, "total_fwd_packet", 2);
    assert_feat(0, "total_bwd_packets", 1);
}

/*
 * A UDP datagram in three IPv4 fragments (offsets 0, 80, 160: 72 + 80 +
 * 40 payload bytes after the 8-byte UDP header), then a stray later
 * fragment whose first never came: counted, no port-0 flow.
 */
static void test_fragments(void **state)
{
    struct pcap_out o;
    const char *path = tmp("frag.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 4444, .dport = 53,
                        .payload = 72 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.5", "10.0.0.6", &l, 0x1234, 0, 1, 0);
    pcap_out_write(&o, T0, &p, 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.5", "10.0.0.6", NULL, 0x1234, 80, 1, 80);
    pcap_out_write(&o, T0 + 10 * US, &p, 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.5", "10.0.0.6", NULL, 0x1234, 160, 0, 40);
    pcap_out_write(&o, T0 + 20 * US, &p, 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.5", "10.0.0.6", NULL, 0x9999, 80, 0, 40);
    pcap_out_write(&o, T0 + 30 * US, &p, 0);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->fragments, 4);
    assert_int_equal(st->orphan_fragments, 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].src_port, 4444);
    assert_int_equal(got.rec[0].dst_port, 53);
    assert_feat(0, "total_fwd_packet", 3);
    assert_feat(0, "fragment_packets", 3);
    assert_feat(0, "total_length_of_fwd_packet", 72 + 80 + 40);
    assert_feat(0, "fwd_header_length", 8);
    assert_feat(0, "fwd_seg_size_min", 8);
    assert_feat(0, "fwd_ip_bytes", 100 + 100 + 60);
    assert_feat(0, "flow_duration", 20);
}

/* The same over IPv6: a fragment header after the fixed header; the
 * first fragment carries UDP (8 + 32 bytes), the second 40 more bytes. The
 * reply is unfragmented. The fragment header counts in neither payload
 * nor transport header. */
static void test_ipv6_fragments(void **state)
{
    struct pcap_out o;
    const char *path = tmp("frag6.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 7000, .dport = 53,
                        .payload = 32 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6_frag(&p, "2001:db8::a", "2001:db8::b", &l, 0xabcdef, 0, 1, 0);
    pcap_out_write(&o, T0, &p, 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6_frag(&p, "2001:db8::a", "2001:db8::b", NULL, 0xabcdef, 40, 0,
                  40);
    pcap_out_write(&o, T0 + 5 * US, &p, 0);
    l.sport = 53;
    l.dport = 7000;
    l.payload = 12;
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::b", "2001:db8::a", &l, 0);
    pcap_out_write(&o, T0 + 1 * MS, &p, 0);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->fragments, 2);
    assert_int_equal(st->orphan_fragments, 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].src_port, 7000);
    assert_feat(0, "total_fwd_packet", 2);
    assert_feat(0, "total_bwd_packets", 1);
    assert_feat(0, "total_length_of_fwd_packet", 72);
    assert_feat(0, "fwd_header_length", 8);
    assert_feat(0, "fwd_ip_bytes", (48 + 40) + (48 + 40));
    assert_feat(0, "fragment_packets", 2);
}

/* A fragment whose offset and length reach past the 65,535-byte datagram
 * limit (RFC 791; RFC 8200 4.5 for IPv6) cannot belong to any datagram:
 * it is malformed, not an orphan. One that ends just inside the limit is
 * an ordinary orphan. */
static void test_oversized_fragments(void **state)
{
    struct pcap_out o;
    const char *path = tmp("frag-big.pcap");
    struct pkt p;

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.5", "10.0.0.6", NULL, 0x4242, 65528, 0, 100);
    pcap_out_write(&o, T0, &p, 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.5", "10.0.0.6", NULL, 0x4243, 65400, 0, 100);
    pcap_out_write(&o, T0 + 10 * US, &p, 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6_frag(&p, "2001:db8::a", "2001:db8::b", NULL, 7, 65528, 0, 100);
    pcap_out_write(&o, T0 + 20 * US, &p, 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6_frag(&p, "2001:db8::a", "2001:db8::b", NULL, 8, 65400, 0, 100);
    pcap_out_write(&o, T0 + 30 * US, &p, 0);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->malformed, 2);
    assert_int_equal(st->orphan_fragments, 2);
    assert_int_equal(got.n, 0);
}

/* Times 1, 3, 2, 4 ms: the late packet counts at 3 ms, so no gap is
 * negative and the duration is 3 ms. */
static void test_reordered_timestamps(void **state)
{
    struct pcap_out o;
    const char *path = tmp("reorder.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0 + 1 * MS, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 3 * MS, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 2 * MS, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 4 * MS, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->ts_backwards, 1);
    assert_int_equal(got.n, 1);
    assert_true(got.rec[0].first_ns == T0 + MS);
    assert_true(got.rec[0].last_ns == T0 + 4 * MS);
    assert_feat(0, "flow_duration", 3000);
    assert_feat(0, "flow_iat_min", 0);
    assert_feat(0, "flow_iat_max", 2000);
    assert_feat(0, "fwd_iat_total", 3000);
}

/* Nanosecond pcap: 1.25 us between the packets survives. */
static void test_nanosecond_pcap(void **state)
{
    struct pcap_out o;
    const char *path = tmp("nano.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 1), 0);
    udp_pkt(&o, T0 + 100, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 1350, "10.2.2.2", "10.1.1.1", 2, 1, 5, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_true(got.rec[0].first_ns == T0 + 100);
    assert_feat(0, "flow_duration", 1.25);
    assert_feat(0, "flow_iat_mean", 1.25);
}

/*
 * pcapng with three interfaces: Ethernet at microseconds (default),
 * raw IP at nanoseconds (if_tsresol 9) and Linux cooked v1 at 2^-20 s
 * (if_tsresol 0x94). Packets at 1 s, 1.0005 s and 1.25 s of one flow.
 */
static void test_pcapng_interfaces(void **state)
{
    const char *path = tmp("multi.pcapng");
    FILE *f = fopen(path, "wb");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 1000, .dport = 2000,
                        .payload = 10 };

    assert_non_null(f);
    ng_shb(f);
    ng_idb(f, 1, -1);
    ng_idb(f, 101, 9);
    ng_idb(f, 113, 0x94);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    ng_epb(f, 0, 1000000, p.b, p.len);
    l.sport = 2000;
    l.dport = 1000;
    l.payload = 30;
    memset(&p, 0, sizeof(p));
    pkt_ipv4(&p, "10.0.0.2", "10.0.0.1", &l, 1, 0, 0, 0);
    ng_epb(f, 1, 1000500000ull, p.b, p.len);
    /* Linux cooked v1: 16-byte header, protocol at offset 14 */
    memset(&p, 0, sizeof(p));
    p.b[14] = 0x08;
    p.len = 16;
    l.sport = 1000;
    l.dport = 2000;
    l.payload = 20;
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    ng_epb(f, 2, 1310720, p.b, p.len); /* 1.25 * 2^20 */
    fclose(f);

    run(path);
    assert_int_equal(got.n, 1);
    assert_true(got.rec[0].first_ns == SEC);
    assert_true(got.rec[0].last_ns == SEC + 250 * MS);
    assert_feat(0, "total_fwd_packet", 2);
    assert_feat(0, "total_bwd_packets", 1);
    assert_feat(0, "flow_iat_min", 500);
    assert_feat(0, "flow_iat_max", 249500);
    assert_feat(0, "total_length_of_fwd_packet", 30);
    assert_feat(0, "total_length_of_bwd_packet", 30);
}

/* Snap length 54 keeps Ethernet+IP+TCP: lengths still come from the IP
 * header. A 40-byte capture cuts the TCP header: counted, no flow. */
static void test_truncated_snaplen(void **state)
{
    struct pcap_out o;
    const char *path = tmp("snap.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .sport = 1, .dport = 2,
                        .flags = 0x18, .window = 100, .payload = 1000 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    pcap_out_write(&o, T0, &p, 54);
    pcap_out_write(&o, T0 + MS, &p, 40);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->truncated, 1);
    assert_int_equal(st->bytes, 2 * (14 + 20 + 20 + 1000));
    assert_int_equal(got.n, 1);
    assert_feat(0, "total_length_of_fwd_packet", 1000);
    assert_feat(0, "fwd_header_length", 20);
    assert_feat(0, "fwd_ip_bytes", 1040);
}

/* Idle 5 s ends the first flow; active 1.5 s splits the second into parts
 * that keep the initiator's direction even when the server speaks first
 * in the second part. */
static void test_timeouts(void **state)
{
    struct pcap_out o;
    const char *path = tmp("timeouts.pcap");
    struct flow_config cfg;

    flow_config_default(&cfg);
    cfg.idle_timeout_us = 5000000;
    cfg.active_timeout_us = 1500000;
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.0.0.1", "10.0.0.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 10 * SEC, "10.0.0.3", "10.0.0.4", 3, 4, 5, -1);
    udp_pkt(&o, T0 + 11 * SEC, "10.0.0.3", "10.0.0.4", 3, 4, 5, -1);
    udp_pkt(&o, T0 + 12 * SEC, "10.0.0.4", "10.0.0.3", 4, 3, 7, -1);
    pcap_out_close(&o);

    run_cfg(path, &cfg, NULL);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_IDLE);
    assert_int_equal(got.rec[1].end_reason, FLOW_END_ACTIVE);
    assert_int_equal(got.rec[1].part, 0);
    assert_feat(1, "total_fwd_packet", 2);
    assert_int_equal(got.rec[2].end_reason, FLOW_END_EOF);
    assert_int_equal(got.rec[2].part, 1);
    assert_int_equal(got.rec[2].src_port, 3);
    assert_feat(2, "total_fwd_packet", 0);
    assert_feat(2, "total_bwd_packets", 1);
    assert_feat(2, "total_length_of_bwd_packet", 7);
}

/* Active and idle periods: packets at 0, 1, 8, 9, 20 s with a 5 s
 * activity gap: active 1, 1, 0 s; idle 7, 11 s. Subflows (1 s gaps):
 * three, so 5 packets / 3. */
static void test_active_idle_subflows(void **state)
{
    struct pcap_out o;
    const char *path = tmp("active.pcap");
    static const int at[] = { 0, 1, 8, 9, 20 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 5; i++)
        udp_pkt(&o, T0 + at[i] * SEC, "10.0.0.1", "10.0.0.2", 1, 2, 6, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_feat(0, "active_mean", 2e6 / 3);
    assert_feat(0, "active_max", 1e6);
    assert_feat(0, "active_min", 0);
    assert_feat(0, "idle_mean", 9e6);
    assert_feat(0, "idle_max", 11e6);
    assert_feat(0, "idle_min", 7e6);
    assert_feat(0, "idle_std", sqrt(8e12));
    assert_feat(0, "subflow_fwd_packets", 5.0 / 3);
    assert_feat(0, "subflow_fwd_bytes", 30.0 / 3);
}

/* Gaps of 1 s and 1 s + 2 us: the spread (std of 0 2 0 2 0 us is
 * sqrt(1.2)) survives beside a mean a million times larger. */
static void test_iat_precision(void **state)
{
    struct pcap_out o;
    const char *path = tmp("iat.pcap");
    int64_t t = T0;

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 6; i++) {
        udp_pkt(&o, t, "10.0.0.1", "10.0.0.2", 1, 2, 6, -1);
        t += SEC + (i % 2 ? 2 * US : 0);
    }
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_feat(0, "flow_iat_mean", 1000000.8);
    assert_float_near(feat(0, "flow_iat_std"), sqrt(1.2), 1e-4);
    assert_feat(0, "flow_iat_min", 1000000);
    assert_feat(0, "flow_iat_max", 1000002);
}

/* Bulk: four payload packets one way within 1 s open a bulk (0..300 ms,
 * 400 bytes), a fifth extends it; the reply resets the count. */
static void test_bulk(void **state)
{
    struct pcap_out o;
    const char *path = tmp("bulk.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 5; i++)
        udp_pkt(&o, T0 + i * 100 * MS, "10.0.0.1", "10.0.0.2", 1, 2, 100,
                -1);
    udp_pkt(&o, T0 + 500 * MS, "10.0.0.2", "10.0.0.1", 2, 1, 10, -1);
    for (int i = 0; i < 3; i++)
        udp_pkt(&o, T0 + (600 + i * 100) * MS, "10.0.0.1", "10.0.0.2", 1,
                2, 100, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_feat(0, "fwd_bytes_bulk_avg", 500);
    assert_feat(0, "fwd_packet_bulk_avg", 5);
    assert_feat(0, "fwd_bulk_rate_avg", 500 / 0.4);
    assert_feat(0, "bwd_bytes_bulk_avg", 0);
}

/* A table of two flows meets three: the least recently active one is
 * evicted (recency is kept to one second: packets are 2 s apart). */
static void test_eviction(void **state)
{
    struct pcap_out o;
    const char *path = tmp("evict.pcap");
    struct flow_config cfg;

    flow_config_default(&cfg);
    cfg.max_flows = 2;
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.0.0.1", "10.0.0.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 2 * SEC, "10.0.0.1", "10.0.0.2", 3, 4, 5, -1);
    udp_pkt(&o, T0 + 4 * SEC, "10.0.0.1", "10.0.0.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 6 * SEC, "10.0.0.1", "10.0.0.2", 5, 6, 5, -1);
    pcap_out_close(&o);

    const struct flow_stats *st = run_cfg(path, &cfg, NULL);
    assert_int_equal(st->evicted, 1);
    assert_int_equal(st->max_active, 2);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_EVICTED);
    assert_int_equal(got.rec[0].src_port, 3);
}

/* A flood of 50,000 spoofed SYNs and 20,000 first fragments against a
 * 1,000-flow, 64-fragment meter: the table never grows, every flow is
 * still emitted, and the overflow is counted. Packets are fed from memory
 * (no capture file needed). */
static void test_flood_bounded(void **state)
{
    struct flow_config cfg;
    struct capture_packet pkt = { .linktype = 1 };
    struct pkt p;
    struct pkt_l4 syn = { .protocol = 6, .dport = 80, .flags = 0x02,
                          .window = 512 };
    struct pkt_l4 frag = { .protocol = 17, .sport = 53, .dport = 9,
                           .payload = 64 };
    char src[32];

    flow_config_default(&cfg);
    cfg.max_flows = 1000;
    cfg.max_frags = 64;
    memset(&got, 0, sizeof(got));
    struct flow_meter *m = flow_meter_create(&cfg, collect, &got);
    assert_non_null(m);
    for (int i = 0; i < 70000; i++) {
        snprintf(src, sizeof(src), "10.%d.%d.%d", (i >> 16) & 255,
                 (i >> 8) & 255, i & 255);
        pkt_eth(&p, -1, 0x0800);
        syn.sport = (uint16_t)(1024 + i % 50000);
        if (i < 50000)
            pkt_ipv4(&p, src, "10.10.10.10", &syn, 1, 0, 0, 0);
        else
            pkt_ipv4(&p, src, "10.10.10.10", &frag, (uint16_t)i, 0, 1, 0);
        pkt.ts_ns = T0 + i * US;
        pkt.caplen = pkt.wirelen = p.len;
        pkt.data = p.b;
        assert_int_equal(flow_meter_packet(m, &pkt), 0);
    }
    assert_int_equal(flow_meter_flush(m), 0);
    const struct flow_stats *st = flow_meter_stats(m);
    assert_int_equal(st->max_active, 1000);
    assert_int_equal(st->flows, 70000);
    assert_int_equal(got.n, 70000);
    assert_int_equal(st->evicted, 69000);
    assert_true(st->frag_evicted >= 20000 - 64);
    flow_meter_destroy(m);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void copy_prefix(const char *from, const char *to, long n,
                        const char *append)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char *buf = malloc((size_t)n + 1);

    assert_true(in && out && buf);
    assert_int_equal(fread(buf, 1, (size_t)n, in), (size_t)n);
    fwrite(buf, 1, (size_t)n, out);
    if (append)
        fputs(append, out);
    free(buf);
    fclose(in);
    fclose(out);
}

/* A pcap cut inside its last record and a pcapng with garbage after the
 * valid blocks: the packets before are kept, the damage is counted. */
static void test_damaged_files(void **state)
{
    struct capture_source_stats sst;
    const char *cut = tmp("cut.pcap");
    copy_prefix(tmp("tcp_fin.pcap"), cut, file_size(tmp("tcp_fin.pcap")) - 7,
                NULL);
    run_cfg(cut, NULL, &sst);
    assert_int_equal(sst.truncated, 1);
    assert_int_equal(sst.packets, 8);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_EOF);

    const char *junk = tmp("junk.pcapng");
    copy_prefix(tmp("multi.pcapng"), junk, file_size(tmp("multi.pcapng")),
                "garbage follows the last block!!");
    run_cfg(junk, NULL, &sst);
    assert_int_equal(sst.packets, 3);
    assert_int_equal(sst.bad_records, 1);
    assert_int_equal(got.n, 1);

    /* The second record claims 2 GB: libpcap refuses it, we count it. */
    const char *huge = tmp("huge.pcap");
    copy_prefix(tmp("tcp_fin.pcap"), huge, file_size(tmp("tcp_fin.pcap")),
                NULL);
    FILE *f = fopen(huge, "r+b");
    assert_non_null(f);
    fseek(f, 24 + 16 + 62 + 8, SEEK_SET);
    fwrite("\0\0\0\x7f", 1, 4, f);
    fclose(f);
    run_cfg(huge, NULL, &sst);
    assert_int_equal(sst.packets, 1);
    assert_int_equal(sst.bad_records + sst.truncated, 1);
    assert_int_equal(got.n, 1);

    const char *cutng = tmp("cut.pcapng");
    copy_prefix(tmp("multi.pcapng"), cutng,
                file_size(tmp("multi.pcapng")) - 3, NULL);
    run_cfg(cutng, NULL, &sst);
    assert_int_equal(sst.packets, 2);
    assert_int_equal(sst.truncated, 1);
}

/* More interfaces than the reader keeps is damage in the file, not an
 * internal failure: the capture's packets before it still count, and
 * the error is not "out of memory" (which would exit 1). */
static void test_pcapng_interface_flood(void **state)
{
    const char *path = tmp("ifs.pcapng");
    FILE *f = fopen(path, "wb");
    struct capture_source_stats sst;
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 1, .dport = 2 };

    assert_non_null(f);
    ng_shb(f);
    ng_idb(f, 1, -1);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    ng_epb(f, 0, 1000000, p.b, p.len);
    for (int i = 0; i < 5000; i++)
        ng_idb(f, 1, -1);
    fclose(f);
    struct capture_source *src = capture_open_file(path);
    struct capture_packet pkt;
    int rc, n = 0;
    assert_non_null(src);
    while ((rc = capture_next(src, &pkt)) == 1)
        n++;
    assert_int_equal(rc, 0);
    assert_int_equal(n, 1);
    sst = *capture_stats(src);
    assert_true(sst.bad_records > 0);
    assert_non_null(strstr(capture_damage(src), "interface"));
    capture_close(src);
}

static void test_not_a_capture(void **state)
{
    const char *path = tmp("text.pcap");
    FILE *f = fopen(path, "w");
    fputs("hello, this is not a capture\n", f);
    fclose(f);
    assert_null(capture_open_file(path));
    assert_int_equal(err_last(), ERR_FORMAT);
    assert_non_null(strstr(err_msg(), "text.pcap"));
    assert_null(capture_open_file(tmp("does-not-exist.pcap")));
    assert_int_equal(err_last(), ERR_IO);
    /* A directory opens with fopen on Linux; say what it is. */
    assert_null(capture_open_file(testutil_tmpdir()));
    assert_non_null(strstr(err_msg(), "is a directory"));
}

/* gzip and xz copies read the same as the original. */
static void test_compressed(void **state)
{
    char cmd[2048];
    const char *src = tmp("tcp_fin.pcap");

    snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s.gz' && xz -c '%s' > "
             "'%s.xz'", src, src, src, src);
    assert_int_equal(testutil_run(cmd, NULL), 0);
    for (int i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof(path), "%s%s", src, i ? ".xz" : ".gz");
        run(path);
        assert_int_equal(got.n, 1);
        assert_feat(0, "total_fwd_packet", 6);
        assert_int_equal(got.rec[0].end_reason, FLOW_END_FIN);
    }
}

/* A pcap whose xz wrapper is cut short, in its header or among its
 * records: the error names the xz damage and the decoded offset, not a
 * stale errno passed on by libpcap ("Success", "Bad file descriptor"). */
static void check_xz_cut_reason(const char *why)
{
    assert_non_null(strstr(why, "xz"));
    assert_non_null(strstr(why, "byte"));
    assert_null(strstr(why, "Success"));
    assert_null(strstr(why, "descriptor"));
}

static void test_truncated_xz(void **state)
{
    char cmd[2048];
    const char *src = tmp("tcp_fin.pcap"), *xz = tmp("whole.pcap.xz");
    const char *cut = tmp("cut.pcap.xz");

    snprintf(cmd, sizeof(cmd), "xz -0 -c '%s' > '%s'", src, xz);
    assert_int_equal(testutil_run(cmd, NULL), 0);
    long n = file_size(xz);
    for (long keep = 20; keep < n - 12; keep += 24) {
        copy_prefix(xz, cut, keep, NULL);
        struct capture_source *s = capture_open_file(cut);
        if (!s) {
            check_xz_cut_reason(err_msg());
            continue;
        }
        struct capture_packet pkt;
        int rc;
        while ((rc = capture_next(s, &pkt)) == 1)
            ;
        assert_int_equal(rc, 0);
        check_xz_cut_reason(capture_damage(s));
        capture_close(s);
    }
}

/* Our names are the cic-ids2017-improved header, columns 9-89, put
 * through the snake_case rule, in the same order. */
static void test_feature_names_match_csv(void **state)
{
    char cmd[1024];
    char *out = NULL;
    snprintf(cmd, sizeof(cmd), "xz -dc '%s' | head -1", testutil_data_path(
             "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);

    const char *const *names = flow_feature_names();
    int col = 0;
    size_t feat_i = 0;
    for (char *tok = strtok(out, ",\n"); tok; tok = strtok(NULL, ",\n")) {
        if (++col < 9 || col > 89)
            continue;
        char snake[128];
        size_t n = 0;
        for (const char *c = tok; *c && n < sizeof(snake) - 1; c++) {
            if (isalnum((unsigned char)*c))
                snake[n++] = (char)tolower((unsigned char)*c);
            else if (n > 0 && snake[n - 1] != '_')
                snake[n++] = '_';
        }
        while (n > 0 && snake[n - 1] == '_')
            n--;
        snake[n] = '\0';
        assert_string_equal(names[feat_i], snake);
        feat_i++;
    }
    assert_int_equal(feat_i, 81);
    assert_true(flow_feature_count() > 81);
    assert_null(names[flow_feature_count()]);
    free(out);
}

/* The command writes a header and one row per flow, and a damaged input
 * makes it exit 2 with the file named. */
static void test_cli(void **state)
{
    char cmd[2048];
    char *out = NULL;

    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' --label web 2>/dev/null",
             testutil_bin(), tmp("tcp_fin.pcap"));
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);
    assert_true(strncmp(out, "flow_id,src_ip,src_port,dst_ip,", 31) == 0);
    assert_non_null(strstr(out, "\n1,10.0.0.1,40000,10.0.0.2,80,6,"
                                "2017-07-14 02:40:00.000000000,"));
    assert_non_null(strstr(out, ",fin,12000,6,3,100,300,"));
    /* fwd_packet_length_max, min, mean (float 100/6, nine digits) */
    assert_non_null(strstr(out, ",100,0,16.666666,"));
    assert_non_null(strstr(out, ",web\n"));
    free(out);

    /* The data loader reads a labelled flows CSV and drops the ten
     * identity columns: the 88 features remain. */
    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' --label web -o '%s' "
             "2>/dev/null && '%s' data inspect '%s' 2>&1", testutil_bin(),
             tmp("frag.pcap"), tmp("flows.csv"), testutil_bin(),
             tmp("flows.csv"));
    out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(strstr(out, "88 kept"));
    assert_non_null(strstr(out, "end_timestamp vlan_id end_reason"));
    free(out);

    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' --json 2>&1 >/dev/null",
             testutil_bin(), tmp("cut.pcap"));
    out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 2);
    assert_non_null(strstr(out, "cut.pcap"));
    assert_non_null(strstr(out, "8 packets"));
    free(out);

    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' 2>&1", testutil_bin(),
             tmp("text.pcap"));
    out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 2);
    assert_non_null(strstr(out, "not a pcap or pcapng"));
    free(out);
}

/* Every shared capture reads to its end with the packet count capinfos
 * gave (LABELS.csv), no damage, and at least one flow when it has IP. */
static void test_shared_pcaps(void **state)
{
    char labels[1024], line[1024];
    snprintf(labels, sizeof(labels), "%s",
             testutil_data_path("pcaps/LABELS.csv"));
    FILE *f = fopen(labels, "r");
    assert_non_null(f);
    int files = 0;
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = 65536; /* more than any file has open at once */
    assert_non_null(fgets(line, sizeof(line), f));
    while (fgets(line, sizeof(line), f)) {
        char rel[512];
        unsigned long packets = 0;
        int field = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, ",", &save); t;
             t = strtok_r(NULL, ",", &save), field++) {
            if (field == 0)
                snprintf(rel, sizeof(rel), "pcaps/%s", t);
            else if (field == 6)
                packets = strtoul(t, NULL, 10);
        }
        struct capture_source_stats sst;
        const struct flow_stats *st = run_cfg(testutil_data_path(rel), &cfg,
                                              &sst);
        assert_int_equal(st->evicted, 0);
        if (sst.packets != packets || sst.truncated || sst.bad_records)
            fail_msg("%s: %llu of %lu packets, damage %llu/%llu", rel,
                     (unsigned long long)sst.packets, packets,
                     (unsigned long long)sst.truncated,
                     (unsigned long long)sst.bad_records);
        assert_int_equal(st->malformed, 0);
        assert_true(got.n > 0 || st->non_ip == st->packets);
        files++;
    }
    fclose(f);
    assert_int_equal(files, 109);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_handshake_data_fin),
        cmocka_unit_test(test_tcp_rst),
        cmocka_unit_test(test_tcp_port_reuse),
        cmocka_unit_test(test_udp_one_way),
        cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_ipv6_extension_header),
        cmocka_unit_test(test_vlan_one_side),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_oversized_fragments),
        cmocka_unit_test(test_reordered_timestamps),
        cmocka_unit_test(test_nanosecond_pcap),
        cmocka_unit_test(test_pcapng_interfaces),
        cmocka_unit_test(test_truncated_snaplen),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_active_idle_subflows),
        cmocka_unit_test(test_iat_precision),
        cmocka_unit_test(test_bulk),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_flood_bounded),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_pcapng_interface_flood),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_truncated_xz),
        cmocka_unit_test(test_feature_names_match_csv),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_shared_pcaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
