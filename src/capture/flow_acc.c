#include <math.h>
#include <string.h>

#include "capture/flow_acc.h"
#include "fewflow/flow.h"

/*
 * The feature list. The first 81 names are the cic-ids2017-improved CSV
 * columns 9-89 in their order, in snake_case (lower case, every run of
 * other characters one '_'); the rest are ours. The order is part of the
 * API: append, never reorder.
 */
#define FEATURES(X) \
    X(flow_duration) X(total_fwd_packet) X(total_bwd_packets) \
    X(total_length_of_fwd_packet) X(total_length_of_bwd_packet) \
    X(fwd_packet_length_max) X(fwd_packet_length_min) \
    X(fwd_packet_length_mean) X(fwd_packet_length_std) \
    X(bwd_packet_length_max) X(bwd_packet_length_min) \
    X(bwd_packet_length_mean) X(bwd_packet_length_std) \
    X(flow_bytes_s) X(flow_packets_s) \
    X(flow_iat_mean) X(flow_iat_std) X(flow_iat_max) X(flow_iat_min) \
    X(fwd_iat_total) X(fwd_iat_mean) X(fwd_iat_std) X(fwd_iat_max) \
    X(fwd_iat_min) \
    X(bwd_iat_total) X(bwd_iat_mean) X(bwd_iat_std) X(bwd_iat_max) \
    X(bwd_iat_min) \
    X(fwd_psh_flags) X(bwd_psh_flags) X(fwd_urg_flags) X(bwd_urg_flags) \
    X(fwd_rst_flags) X(bwd_rst_flags) \
    X(fwd_header_length) X(bwd_header_length) \
    X(fwd_packets_s) X(bwd_packets_s) \
    X(packet_length_min) X(packet_length_max) X(packet_length_mean) \
    X(packet_length_std) X(packet_length_variance) \
    X(fin_flag_count) X(syn_flag_count) X(rst_flag_count) \
    X(psh_flag_count) X(ack_flag_count) X(urg_flag_count) \
    X(cwr_flag_count) X(ece_flag_count) \
    X(down_up_ratio) X(average_packet_size) \
    X(fwd_segment_size_avg) X(bwd_segment_size_avg) \
    X(fwd_bytes_bulk_avg) X(fwd_packet_bulk_avg) X(fwd_bulk_rate_avg) \
    X(bwd_bytes_bulk_avg) X(bwd_packet_bulk_avg) X(bwd_bulk_rate_avg) \
    X(subflow_fwd_packets) X(subflow_fwd_bytes) \
    X(subflow_bwd_packets) X(subflow_bwd_bytes) \
    X(fwd_init_win_bytes) X(bwd_init_win_bytes) \
    X(fwd_act_data_pkts) X(fwd_seg_size_min) \
    X(active_mean) X(active_std) X(active_max) X(active_min) \
    X(idle_mean) X(idle_std) X(idle_max) X(idle_min) \
    X(icmp_code) X(icmp_type) X(total_tcp_flow_time) \
    X(fwd_tcp_mss) X(bwd_tcp_mss) \
    X(fwd_tcp_win_scale) X(bwd_tcp_win_scale) \
    X(fwd_ip_bytes) X(bwd_ip_bytes) X(fragment_packets)

#define AS_ENUM(name) F_##name,
#define AS_NAME(name) #name,

enum feature { FEATURES(AS_ENUM) N_FEATURES };

static const char *const feature_names[] = { FEATURES(AS_NAME) NULL };

size_t flow_feature_count(void)
{
    return N_FEATURES;
}

const char *const *flow_feature_names(void)
{
    return feature_names;
}

long flow_feature_index(const char *name)
{
    for (long i = 0; i < N_FEATURES; i++)
        if (strcmp(feature_names[i], name) == 0)
            return i;
    return -1;
}

static void run_init(struct run_stat *r)
{
    memset(r, 0, sizeof(*r));
}

static void run_add(struct run_stat *r, double v)
{
    if (r->n++ == 0) {
        r->shift = r->min = r->max = v;
        return;
    }
    double d = v - r->shift;
    r->sum += d;
    r->sq += d * d;
    r->min = v < r->min ? v : r->min;
    r->max = v > r->max ? v : r->max;
}

static double run_total(const struct run_stat *r)
{
    return (double)r->n * r->shift + r->sum;
}

static double run_mean(const struct run_stat *r)
{
    return r->n ? r->shift + r->sum / (double)r->n : 0.0;
}

/* Sample variance (n - 1), as CICFlowMeter's Apache Commons statistics
 * report it; 0 for fewer than two values. */
static double run_var(const struct run_stat *r)
{
    if (r->n < 2)
        return 0.0;
    double v = (r->sq - r->sum * r->sum / (double)r->n) / (double)(r->n - 1);
    return v > 0.0 ? v : 0.0;
}

static void dir_init(struct dir_acc *d)
{
    memset(d, 0, sizeof(*d));
    d->init_win = -1;
    d->mss = -1;
    d->wscale = -1;
    d->hdr_min = UINT32_MAX;
    run_init(&d->len);
    run_init(&d->iat);
}

void flow_acc_init(struct flow_acc *a, uint8_t protocol, int64_t ts_ns,
                   int64_t tcp_start_ns)
{
    memset(a, 0, sizeof(*a));
    a->first_ns = ts_ns;
    a->last_ns = ts_ns;
    a->tcp_start_ns = tcp_start_ns;
    a->active_start_ns = ts_ns;
    a->icmp_type = -1;
    a->icmp_code = -1;
    a->protocol = protocol;
    dir_init(&a->dir[0]);
    dir_init(&a->dir[1]);
}

static double ns_to_us(int64_t ns)
{
    return (double)ns / 1000.0;
}

/* CICFlowMeter's bulk rule: the 4th payload packet in a row opens a bulk,
 * later ones extend it; a gap over bulk_gap or payload from the other side
 * (which resets helper_pkts) starts counting again. */
static void bulk_add(struct dir_acc *d, int64_t ts, uint32_t size,
                     int64_t gap_ns)
{
    if (d->helper_pkts == 0 || ts - d->helper_last_ns > gap_ns) {
        d->helper_pkts = 1;
        d->helper_bytes = size;
        d->helper_start_ns = ts;
        d->helper_last_ns = ts;
        return;
    }
    d->helper_pkts++;
    d->helper_bytes += size;
    if (d->helper_pkts == 4) {
        d->bulks++;
        d->bulk_pkts += 4;
        d->bulk_bytes += d->helper_bytes;
        d->bulk_ns += ts - d->helper_start_ns;
    } else if (d->helper_pkts > 4) {
        d->bulk_pkts++;
        d->bulk_bytes += size;
        d->bulk_ns += ts - d->helper_last_ns;
    }
    d->helper_last_ns = ts;
}

/* Gaps between consecutive packets of the flow: the flow IAT, and the
 * active/idle boundaries. As in the CSV's meter, an active period counts
 * when an idle gap ends it and it lasted more than 0 µs; the last one,
 * which no gap ends, does not. */
static void flow_gap(struct flow_acc *a, const struct flow_gaps *g,
                     int64_t ts)
{
    int64_t gap = ts - a->last_ns;

    run_add(&a->iat, ns_to_us(gap));
    if (gap > g->activity_ns) {
        if (a->last_ns > a->active_start_ns)
            run_add(&a->active, ns_to_us(a->last_ns - a->active_start_ns));
        run_add(&a->idle, ns_to_us(gap));
        a->active_start_ns = ts;
    }
}

/* The CSV's windows: forward, the window of the flow's first packet when
 * it is a forward one; backward, the window of the latest backward packet
 * (its meter overwrites the value with every backward packet). */
static void tcp_add(struct flow_acc *a, struct dir_acc *da,
                    const struct decoded *d, int dir, int first)
{
    for (int bit = 0; bit < 8; bit++)
        a->flags[bit] += (d->tcp_flags >> bit) & 1u;
    da->psh += (d->tcp_flags >> 3) & 1u;
    da->urg += (d->tcp_flags >> 5) & 1u;
    da->rst += (d->tcp_flags >> 2) & 1u;
    if (d->tcp_flags & 0x01)
        da->fin_seen = 1;
    if (dir == 1 || first)
        da->init_win = d->window;
    if (d->tcp_flags & 0x02) {
        if (d->mss >= 0)
            da->mss = d->mss;
        if (d->wscale >= 0)
            da->wscale = d->wscale;
    }
}

void flow_acc_add(struct flow_acc *a, const struct flow_gaps *g, int dir,
                  int64_t ts, const struct decoded *d)
{
    struct dir_acc *da = &a->dir[dir];
    int is_later_frag = d->frag_offset > 0;
    int first = a->dir[0].packets + a->dir[1].packets == 0;

    if (first)
        a->first_dir = (uint8_t)dir;
    else
        flow_gap(a, g, ts);
    if (da->packets > 0)
        run_add(&da->iat, ns_to_us(ts - da->last_ns));
    a->last_ns = ts;
    da->last_ns = ts;
    da->packets++;
    da->ip_bytes += d->ip_len;
    da->hdr_bytes += d->l4_hdr_len;
    if (!is_later_frag && d->l4_hdr_len < da->hdr_min)
        da->hdr_min = d->l4_hdr_len;
    run_add(&da->len, d->payload_len);
    run_add(&a->len, d->payload_len);
    a->fragments += d->is_fragment;
    if (d->payload_len > 0) {
        /* The CSV's meter counts data packets after the first one. */
        da->act_data += !first;
        bulk_add(da, ts, d->payload_len, g->bulk_ns);
        a->dir[!dir].helper_pkts = 0;
    }
    if (a->protocol == 6 && !is_later_frag)
        tcp_add(a, da, d, dir, first);
    if (d->icmp_type >= 0 && a->icmp_type < 0) {
        a->icmp_type = d->icmp_type;
        a->icmp_code = d->icmp_code;
    }
}

static double ratio(double num, double den)
{
    return den > 0.0 ? num / den : 0.0;
}

/* Mean, std, max, min of a run (all 0 when empty). */
static void put_run4(float *out, const struct run_stat *r)
{
    out[0] = (float)run_mean(r);
    out[1] = (float)sqrt(run_var(r));
    out[2] = (float)(r->n ? r->max : 0.0);
    out[3] = (float)(r->n ? r->min : 0.0);
}

/* Max, min, mean, std: the packet-length column order. */
static void put_len4(float *out, const struct run_stat *r)
{
    out[0] = (float)(r->n ? r->max : 0.0);
    out[1] = (float)(r->n ? r->min : 0.0);
    out[2] = (float)run_mean(r);
    out[3] = (float)sqrt(run_var(r));
}

static void put_dir_iat(float *out, const struct dir_acc *d)
{
    out[0] = (float)run_total(&d->iat);
    put_run4(out + 1, &d->iat);
}

static void put_bulk(float *out, const struct dir_acc *d)
{
    out[0] = (float)ratio((double)d->bulk_bytes, d->bulks);
    out[1] = (float)ratio((double)d->bulk_pkts, d->bulks);
    out[2] = (float)ratio((double)d->bulk_bytes, (double)d->bulk_ns / 1e9);
}

static void put_counts(float *out, const struct flow_acc *a, double dur_s)
{
    const struct dir_acc *f = &a->dir[0], *b = &a->dir[1];
    double pkts = (double)(f->packets + b->packets);

    out[F_total_fwd_packet] = (float)f->packets;
    out[F_total_bwd_packets] = (float)b->packets;
    out[F_total_length_of_fwd_packet] = (float)run_total(&f->len);
    out[F_total_length_of_bwd_packet] = (float)run_total(&b->len);
    out[F_flow_bytes_s] = (float)ratio(run_total(&a->len), dur_s);
    out[F_flow_packets_s] = (float)ratio(pkts, dur_s);
    out[F_fwd_packets_s] = (float)ratio((double)f->packets, dur_s);
    out[F_bwd_packets_s] = (float)ratio((double)b->packets, dur_s);
    out[F_down_up_ratio] = (float)ratio((double)b->packets,
                                        (double)f->packets);
    out[F_average_packet_size] = (float)ratio(run_total(&a->len), pkts);
    /* The CSV's subflow count is the packet count (its 1 s test compares
     * microseconds with seconds), and its divisions are integer ones. */
    uint64_t n = f->packets + b->packets ? f->packets + b->packets : 1;
    out[F_subflow_fwd_packets] = (float)(f->packets / n);
    out[F_subflow_fwd_bytes] = (float)((uint64_t)run_total(&f->len) / n);
    out[F_subflow_bwd_packets] = (float)(b->packets / n);
    out[F_subflow_bwd_bytes] = (float)((uint64_t)run_total(&b->len) / n);
}

static void put_tcp(float *out, const struct flow_acc *a)
{
    const struct dir_acc *f = &a->dir[0], *b = &a->dir[1];
    /* CSV order FIN SYN RST PSH ACK URG CWR ECE; header bit order
     * FIN SYN RST PSH ACK URG ECE CWR. */
    static const int bit_of[8] = { 0, 1, 2, 3, 4, 5, 7, 6 };

    for (int i = 0; i < 8; i++)
        out[F_fin_flag_count + i] = (float)a->flags[bit_of[i]];
    out[F_fwd_psh_flags] = (float)f->psh;
    out[F_bwd_psh_flags] = (float)b->psh;
    out[F_fwd_urg_flags] = (float)f->urg;
    out[F_bwd_urg_flags] = (float)b->urg;
    out[F_fwd_rst_flags] = (float)f->rst;
    out[F_bwd_rst_flags] = (float)b->rst;
    /* No TCP packet in a direction: 0, as the published CSV writes it. */
    out[F_fwd_init_win_bytes] = f->init_win < 0 ? 0.0f : (float)f->init_win;
    out[F_bwd_init_win_bytes] = b->init_win < 0 ? 0.0f : (float)b->init_win;
    out[F_fwd_tcp_mss] = (float)f->mss;
    out[F_bwd_tcp_mss] = (float)b->mss;
    out[F_fwd_tcp_win_scale] = (float)f->wscale;
    out[F_bwd_tcp_win_scale] = (float)b->wscale;
    out[F_total_tcp_flow_time] = a->protocol == 6
        ? (float)ns_to_us(a->last_ns - a->tcp_start_ns) : 0.0f;
}

static void put_active_idle(float *out, const struct flow_acc *a)
{
    put_run4(out + F_active_mean, &a->active);
    put_run4(out + F_idle_mean, &a->idle);
}

void flow_acc_features(const struct flow_acc *a, float *out)
{
    const struct dir_acc *f = &a->dir[0], *b = &a->dir[1];
    double dur_us = ns_to_us(a->last_ns - a->first_ns);

    out[F_flow_duration] = (float)dur_us;
    put_counts(out, a, dur_us / 1e6);
    put_len4(out + F_fwd_packet_length_max, &f->len);
    put_len4(out + F_bwd_packet_length_max, &b->len);
    put_run4(out + F_flow_iat_mean, &a->iat);
    put_dir_iat(out + F_fwd_iat_total, f);
    put_dir_iat(out + F_bwd_iat_total, b);
    out[F_fwd_header_length] = (float)f->hdr_bytes;
    out[F_bwd_header_length] = (float)b->hdr_bytes;
    out[F_packet_length_min] = (float)(a->len.n ? a->len.min : 0.0);
    out[F_packet_length_max] = (float)(a->len.n ? a->len.max : 0.0);
    out[F_packet_length_mean] = (float)run_mean(&a->len);
    out[F_packet_length_std] = (float)sqrt(run_var(&a->len));
    out[F_packet_length_variance] = (float)run_var(&a->len);
    out[F_fwd_segment_size_avg] = (float)run_mean(&f->len);
    out[F_bwd_segment_size_avg] = (float)run_mean(&b->len);
    put_bulk(out + F_fwd_bytes_bulk_avg, f);
    put_bulk(out + F_bwd_bytes_bulk_avg, b);
    out[F_fwd_act_data_pkts] = (float)f->act_data;
    /* The CSV's meter starts the minimum at the first packet only when
     * that packet is a forward one; otherwise it stays 0. */
    out[F_fwd_seg_size_min] = f->hdr_min == UINT32_MAX || a->first_dir
                              ? 0.0f : (float)f->hdr_min;
    put_tcp(out, a);
    put_active_idle(out, a);
    out[F_icmp_code] = (float)a->icmp_code;
    out[F_icmp_type] = (float)a->icmp_type;
    out[F_fwd_ip_bytes] = (float)f->ip_bytes;
    out[F_bwd_ip_bytes] = (float)b->ip_bytes;
    out[F_fragment_packets] = (float)a->fragments;
}
