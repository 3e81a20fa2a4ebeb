/*
 * Shared by the capture test executables: a collector that checks and keeps
 * flow records, a runner that meters a capture file, and packet writers.
 * Everything is static: each test_capture_*.c is its own executable.
 */
#ifndef FEWFLOW_TESTS_CAPTURE_HELPERS_H
#define FEWFLOW_TESTS_CAPTURE_HELPERS_H

#include "testutil.h"
#include "pktbuild.h"

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
    return testutil_tmp(name);
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

/* The handshake, data and FIN exchange of test_tcp_handshake_data_fin;
 * the input tests damage and compress the same file. */
static int write_tcp_fin(const char *path)
{
    struct pcap_out o;

    if (pcap_out_open(&o, path, DLT_EN10MB, 0) != 0)
        return -1;
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
    return 0;
}

/* The fragmented datagram of test_fragments; the command reads it too. */
static int write_frag(const char *path)
{
    struct pcap_out o;
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 4444, .dport = 53,
                        .payload = 72 };

    if (pcap_out_open(&o, path, DLT_EN10MB, 0) != 0)
        return -1;
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
    return 0;
}

#endif
