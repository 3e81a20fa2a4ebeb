/*
 * Golden tests for the capture module's flow meter, protocol by protocol:
 * every capture here is written by the test itself (libpcap's dump API),
 * and every expected value is worked out by hand in the comments from the
 * packets' times and sizes. A failing value prints both sides.
 */
#include "capture_helpers.h"

/*
 * Handshake, one request, one response, FIN from both sides, last ACK.
 * Client (fwd) at 0, 2, 3, 6, 10, 12 ms; server (bwd) at 1, 5, 11 ms.
 */
static void test_tcp_handshake_data_fin(void **state)
{
    const char *path = tmp("tcp_fin.pcap");

    assert_int_equal(write_tcp_fin(path), 0);

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
    /* The CSV's definitions (docs/features.md): every packet is a
     * subflow, integer division; the backward window is the latest
     * backward packet's; data packets count after the first packet. */
    assert_feat(0, "subflow_fwd_packets", 0);
    assert_feat(0, "subflow_bwd_bytes", 33);
    assert_feat(0, "fwd_init_win_bytes", 64240);
    assert_feat(0, "bwd_init_win_bytes", 509);
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

/*
 * Next Header 59 (RFC 8200 4.7): nothing follows, not even with payload
 * length 0. Such packets form a flow without ports (both directions, and
 * after a hop-by-hop header too); payload length 0 behind a hop-by-hop
 * header is a jumbogram, still refused as malformed.
 */
static void test_ipv6_no_next_header(void **state)
{
    struct pcap_out o;
    const char *path = tmp("v6none.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 59 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::1", "2001:db8::2", &l, 0);
    pcap_out_write(&o, T0, &p, 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::2", "2001:db8::1", &l, 0);
    pcap_out_write(&o, T0 + MS, &p, 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::1", "2001:db8::2", &l, 1);
    pcap_out_write(&o, T0 + 2 * MS, &p, 0);
    pkt_eth(&p, -1, 0x86dd);
    pkt_ipv6(&p, "2001:db8::1", "2001:db8::2", &l, 1);
    put16(p.b + p.ip_at + 4, 0);
    pcap_out_write(&o, T0 + 3 * MS, &p, 0);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->malformed, 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].ip_version, 6);
    assert_int_equal(got.rec[0].protocol, 59);
    assert_int_equal(got.rec[0].src_port, 0);
    assert_feat(0, "total_fwd_packet", 2);
    assert_feat(0, "total_bwd_packets", 1);
    assert_feat(0, "total_length_of_fwd_packet", 0);
    assert_feat(0, "fwd_ip_bytes", 40 + 48);
}

/* SCTP (RFC 9260, 3.1) is keyed by its ports as TCP and UDP are: two
 * associations between the same hosts are two flows, and the 12-byte
 * common header is header, not payload. */
static void test_sctp_ports(void **state)
{
    struct pcap_out o;
    const char *path = tmp("sctp.pcap");
    struct pkt p;
    struct pkt_l4 a = { .protocol = 132, .sport = 2905, .dport = 2905,
                        .payload = 40 };
    struct pkt_l4 b = { .protocol = 132, .sport = 36412, .dport = 38412,
                        .payload = 20 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 4; i++) {
        pkt_eth(&p, -1, 0x0800);
        pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", i % 2 ? &b : &a, 1, 0, 0, 0);
        pcap_out_write(&o, T0 + i * MS, &p, 0);
    }
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct pkt_l4 *l = got.rec[i].src_port == 2905 ? &a : &b;
        assert_int_equal(got.rec[i].protocol, 132);
        assert_int_equal(got.rec[i].dst_port, l->dport);
        assert_feat(i, "total_fwd_packet", 2);
        assert_feat(i, "fwd_header_length", 24);
        assert_feat(i, "total_length_of_fwd_packet", 2 * l->payload);
    }
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
    const char *path = tmp("frag.pcap");

    assert_int_equal(write_frag(path), 0);

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

/* The capture clock set back by an hour (a sensor's clock stepped): the
 * flows after the step keep their packets together, with their own
 * times, instead of one flow per packet until the clock caught up; the
 * flow open at the step ends there, as at the end of an input. */
static void test_clock_stepped_back(void **state)
{
    struct pcap_out o;
    const char *path = tmp("clockstep.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.0.0.1", "10.0.0.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 1 * SEC, "10.0.0.1", "10.0.0.2", 1, 2, 5, -1);
    for (int i = 0; i < 4; i++)
        udp_pkt(&o, T0 - 3600 * SEC + i * SEC, "10.0.0.3", "10.0.0.4",
                3, 4, 5, -1);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->clock_steps, 1);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_EOF);
    assert_feat(0, "total_fwd_packet", 2);
    assert_int_equal(got.rec[1].end_reason, FLOW_END_EOF);
    assert_feat(1, "total_fwd_packet", 4);
    assert_true(got.rec[1].first_ns == T0 - 3600 * SEC);
    assert_feat(1, "flow_duration", 3000000);
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
 * activity gap: idle 7, 11 s; active 1, 1 s (the CSV's meter counts the
 * periods an idle gap ends, not the last one at 20 s). Subflows as the
 * CSV counts them: one per packet, so 5 packets / 5 and 30 bytes / 5. */
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
    assert_feat(0, "active_mean", 1e6);
    assert_feat(0, "active_std", 0);
    assert_feat(0, "active_max", 1e6);
    assert_feat(0, "active_min", 1e6);
    assert_feat(0, "idle_mean", 9e6);
    assert_feat(0, "idle_max", 11e6);
    assert_feat(0, "idle_min", 7e6);
    assert_feat(0, "idle_std", sqrt(8e12));
    assert_feat(0, "subflow_fwd_packets", 1);
    assert_feat(0, "subflow_fwd_bytes", 6);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_handshake_data_fin),
        cmocka_unit_test(test_tcp_rst),
        cmocka_unit_test(test_tcp_port_reuse),
        cmocka_unit_test(test_udp_one_way),
        cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_ipv6_extension_header),
        cmocka_unit_test(test_ipv6_no_next_header),
        cmocka_unit_test(test_sctp_ports),
        cmocka_unit_test(test_vlan_one_side),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_oversized_fragments),
        cmocka_unit_test(test_reordered_timestamps),
        cmocka_unit_test(test_clock_stepped_back),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_active_idle_subflows),
        cmocka_unit_test(test_iat_precision),
        cmocka_unit_test(test_bulk),
        cmocka_unit_test(test_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
