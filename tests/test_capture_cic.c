/*
 * Features whose definition follows the CSV's meter rather than the
 * obvious one (docs/features.md, "Defined as the CSV computes them"),
 * each pinned on a hand-built packet sequence.
 */
#include "capture_helpers.h"

/* A DNS question and its answer: one packet each way. */
static void test_one_question_one_answer(void **state)
{
    (void)state;
    struct pcap_out o;
    const char *path = tmp("cic_dns.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, T0, "10.0.0.1", "10.0.0.53", 5353, 53, 41, -1);
    udp_pkt(&o, T0 + 2 * MS, "10.0.0.53", "10.0.0.1", 53, 5353, 121, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    /* The first packet is never a "data packet" for the CSV's meter. */
    assert_feat(0, "fwd_act_data_pkts", 0);
    /* Every packet is a subflow there, with integer division. */
    assert_feat(0, "subflow_fwd_packets", 0);
    assert_feat(0, "subflow_fwd_bytes", 20);
    assert_feat(0, "subflow_bwd_packets", 0);
    assert_feat(0, "subflow_bwd_bytes", 60);
}

/* A connection longer than the active timeout: the second part starts
 * with a backward packet, so the CSV's meter never sets its forward
 * window or header minimum (both 0); the backward window is the last
 * backward packet's, not the first's. */
static void test_part_starting_backward(void **state)
{
    (void)state;
    struct pcap_out o;
    const char *path = tmp("cic_part.pcap");
    struct flow_config cfg;

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    tcp_pkt(&o, T0, 1, 0x02, 64240, 0, syn_opts_c);
    tcp_pkt(&o, T0 + 1 * MS, 0, 0x12, 65160, 0, syn_opts_s);
    tcp_pkt(&o, T0 + 2 * MS, 1, 0x18, 502, 10, NULL);
    tcp_pkt(&o, T0 + 3 * MS, 0, 0x18, 510, 20, NULL);
    tcp_pkt(&o, T0 + 3 * SEC, 0, 0x18, 511, 20, NULL);
    tcp_pkt(&o, T0 + 3 * SEC + 1 * MS, 1, 0x10, 503, 0, NULL);
    tcp_pkt(&o, T0 + 3 * SEC + 2 * MS, 0, 0x18, 512, 20, NULL);
    pcap_out_close(&o);

    flow_config_default(&cfg);
    cfg.active_timeout_us = 2000000;
    run_cfg(path, &cfg, NULL);
    assert_int_equal(got.n, 2);
    assert_feat(0, "fwd_init_win_bytes", 64240);
    assert_feat(0, "bwd_init_win_bytes", 510);
    assert_feat(0, "fwd_seg_size_min", 20);
    assert_feat(0, "fwd_act_data_pkts", 1);
    assert_int_equal(got.rec[1].src_port, 40000);
    assert_feat(1, "total_fwd_packet", 1);
    assert_feat(1, "fwd_init_win_bytes", 0);
    assert_feat(1, "fwd_seg_size_min", 0);
    assert_feat(1, "bwd_init_win_bytes", 512);
}

/* Packets at 0, 7, 8 and 20 s (5 s activity gap): the single packet at
 * 0 s is an active period of 0 µs, which the CSV's meter drops; the one
 * from 7 to 8 s counts; the last one (20 s) has no gap after it. */
static void test_active_periods(void **state)
{
    (void)state;
    struct pcap_out o;
    const char *path = tmp("cic_active.pcap");
    static const int at[] = { 0, 7, 8, 20 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 4; i++)
        udp_pkt(&o, T0 + at[i] * SEC, "10.0.0.1", "10.0.0.2", 1, 2, 6, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_feat(0, "active_mean", 1e6);
    assert_feat(0, "active_min", 1e6);
    assert_feat(0, "active_std", 0);
    assert_feat(0, "idle_mean", 9.5e6);
    assert_feat(0, "idle_min", 7e6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_question_one_answer),
        cmocka_unit_test(test_part_starting_backward),
        cmocka_unit_test(test_active_periods),
    };
    (void)write_tcp_fin;        /* the shared helpers' other captures */
    (void)write_frag;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
