/*
 * How a finished TCP connection takes the packets that trail its FIN or
 * RST (flow_config.close_linger_us): the CSV's meter keeps them in the
 * connection's flow, so we do too, for a bounded time.
 */
#include "capture_helpers.h"

/* Medusa's close, from the shared capture: the server's FIN, one more
 * client packet, the server's RST, the client's FIN, a second RST. */
static const char *write_medusa_close(void)
{
    struct pcap_out o;
    const char *path = tmp("close_rst.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    tcp_pkt(&o, T0, 1, 0x02, 64240, 0, syn_opts_c);
    tcp_pkt(&o, T0 + 1 * MS, 0, 0x12, 65160, 0, syn_opts_s);
    tcp_pkt(&o, T0 + 2 * MS, 1, 0x18, 502, 68, NULL);
    tcp_pkt(&o, T0 + 3 * MS, 0, 0x11, 509, 0, NULL);
    tcp_pkt(&o, T0 + 8 * MS, 1, 0x18, 502, 52, NULL);
    tcp_pkt(&o, T0 + 8 * MS + 46 * US, 0, 0x04, 0, 0, NULL);
    tcp_pkt(&o, T0 + 8 * MS + 104 * US, 1, 0x11, 502, 0, NULL);
    tcp_pkt(&o, T0 + 8 * MS + 119 * US, 0, 0x04, 0, 0, NULL);
    pcap_out_close(&o);
    return path;
}

static void test_trailing_packets_join_the_connection(void **state)
{
    (void)state;
    run(write_medusa_close());
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_RST);
    assert_feat(0, "total_fwd_packet", 4);
    assert_feat(0, "total_bwd_packets", 4);
    assert_feat(0, "fin_flag_count", 2);
    assert_feat(0, "rst_flag_count", 2);
    assert_feat(0, "bwd_rst_flags", 2);
    assert_feat(0, "flow_duration", 8119);
}

/* Without the linger the RST ends the flow and the rest is a flow of its
 * own, without a SYN: the shape the CSV never has. */
static void test_no_linger_splits_the_tail(void **state)
{
    (void)state;
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.close_linger_us = 0;
    run_cfg(write_medusa_close(), &cfg, NULL);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_RST);
    assert_feat(0, "total_fwd_packet", 3);
    assert_feat(0, "total_bwd_packets", 3);
    assert_feat(1, "syn_flag_count", 0);
    assert_feat(1, "total_fwd_packet", 1);
    assert_feat(1, "total_bwd_packets", 1);
}

/* After the four-way close, a late ACK within the linger joins; a packet
 * after the linger starts a new flow, and the closed one ends as "fin"
 * when the linger expires, not when the table is flushed. */
static void test_linger_bounds(void **state)
{
    (void)state;
    struct pcap_out o;
    const char *path = tmp("close_fin.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    tcp_pkt(&o, T0, 1, 0x02, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 1 * MS, 0, 0x12, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 2 * MS, 1, 0x11, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 3 * MS, 0, 0x11, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 4 * MS, 1, 0x10, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 204 * MS, 0, 0x11, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 1500 * MS, 1, 0x10, 1024, 0, NULL);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_FIN);
    assert_feat(0, "total_fwd_packet", 3);
    assert_feat(0, "total_bwd_packets", 3);
    assert_feat(0, "flow_duration", 204000);
    assert_int_equal(got.rec[1].end_reason, FLOW_END_EOF);
    assert_feat(1, "total_fwd_packet", 1);
}

/* A plain four-way close with nothing after it still ends as "fin". */
static void test_plain_close_ends_as_fin(void **state)
{
    (void)state;
    const char *path = tmp("close_plain.pcap");
    assert_int_equal(write_tcp_fin(path), 0);
    run(path);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_FIN);
    assert_feat(0, "total_fwd_packet", 6);
    assert_feat(0, "total_bwd_packets", 3);
}

/* A full table ends a lingering connection (as finished, not evicted)
 * before it evicts an open flow. */
static void test_full_table_takes_closed_first(void **state)
{
    (void)state;
    struct pcap_out o;
    const char *path = tmp("close_full.pcap");
    struct flow_config cfg;

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.1.0.1", "10.1.0.2", 1000, 53, 40, -1);
    tcp_pkt(&o, T0 + 1 * MS, 1, 0x02, 1024, 0, NULL);
    tcp_pkt(&o, T0 + 2 * MS, 0, 0x14, 0, 0, NULL);
    udp_pkt(&o, T0 + 3 * MS, "10.1.0.3", "10.1.0.4", 1000, 53, 40, -1);
    pcap_out_close(&o);

    flow_config_default(&cfg);
    cfg.max_flows = 2;
    const struct flow_stats *st = run_cfg(path, &cfg, NULL);
    assert_int_equal(got.n, 3);
    assert_int_equal(st->evicted, 0);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_RST);
    assert_int_equal(got.rec[0].protocol, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trailing_packets_join_the_connection),
        cmocka_unit_test(test_no_linger_splits_the_tail),
        cmocka_unit_test(test_linger_bounds),
        cmocka_unit_test(test_plain_close_ends_as_fin),
        cmocka_unit_test(test_full_table_takes_closed_first),
    };
    (void)write_frag;           /* the shared helpers' other capture */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
