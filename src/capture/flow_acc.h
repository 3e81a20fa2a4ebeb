/*
 * Per-flow statistics: updated once per packet in O(1) with no
 * allocation, turned into the feature vector when the flow ends.
 * docs/features.md defines every feature computed here. Internal to the
 * capture module.
 *
 * Glossary: acc = accumulator; run = running statistics (Welford);
 * dir 0 = forward (initiator), dir 1 = backward.
 */
#ifndef FEWFLOW_CAPTURE_FLOW_ACC_H
#define FEWFLOW_CAPTURE_FLOW_ACC_H

#include <stdint.h>

#include "capture/decode.h"

/* Running count, min, max and sums of (v - shift) and its square, where
 * shift is the first value: the shifted-data variance is as stable as
 * Welford's when values cluster, without a division per value. */
struct run_stat {
    uint64_t n;
    double shift;
    double sum;               /* of v - shift */
    double sq;                /* of (v - shift)^2 */
    double min;
    double max;
};

struct dir_acc {
    int64_t last_ns;          /* last packet in this direction */
    uint64_t packets;
    uint64_t ip_bytes;        /* sum of IP total lengths */
    uint64_t hdr_bytes;       /* sum of transport header lengths */
    uint32_t hdr_min;         /* smallest transport header */
    uint32_t psh, urg, rst;
    uint32_t act_data;        /* packets with payload */
    int32_t init_win;         /* forward: the flow's first packet's window
                                 if it is forward; backward: the latest
                                 backward packet's; -1 none */
    int32_t mss;              /* from a SYN, -1 none */
    int32_t wscale;
    uint8_t fin_seen;
    /* bulk detection (a run of >= 4 payload packets in this direction
     * with no payload from the other side and gaps <= bulk_gap) */
    uint32_t helper_pkts;
    uint64_t helper_bytes;
    int64_t helper_start_ns;
    int64_t helper_last_ns;
    uint32_t bulks;
    uint64_t bulk_pkts;
    uint64_t bulk_bytes;
    int64_t bulk_ns;
    struct run_stat len;      /* transport payload lengths */
    struct run_stat iat;      /* gaps between this direction's packets */
};

struct flow_acc {
    int64_t first_ns;
    int64_t last_ns;
    int64_t tcp_start_ns;     /* first packet of the TCP connection, kept
                                 across active-timeout splits */
    int64_t active_start_ns;
    uint32_t flags[8];        /* FIN SYN RST PSH ACK URG ECE CWR counts */
    uint32_t fragments;
    int32_t icmp_type;
    int32_t icmp_code;
    uint8_t protocol;
    uint8_t first_dir;        /* direction of the first packet */
    struct run_stat len;      /* both directions */
    struct run_stat iat;
    struct run_stat active;
    struct run_stat idle;
    struct dir_acc dir[2];
};

/* The gaps that shape the statistics, in ns. */
struct flow_gaps {
    int64_t activity_ns;
    int64_t bulk_ns;
};

/* Starts a flow at its first packet's time. tcp_start_ns is the original
 * connection's start for an active-timeout continuation, else ts_ns. */
void flow_acc_init(struct flow_acc *a, uint8_t protocol, int64_t ts_ns,
                   int64_t tcp_start_ns);

/* Adds one packet in direction dir (0 forward) at ts_ns, which the caller
 * has already clamped to be >= a->last_ns. */
void flow_acc_add(struct flow_acc *a, const struct flow_gaps *g, int dir,
                  int64_t ts_ns, const struct decoded *d);

/* Writes the flow_feature_count() features. */
void flow_acc_features(const struct flow_acc *a, float *out);

#endif
