/*
 * The flow meter: packets in, finished bidirectional flows out.
 *
 * Feed it packets from a capture source (or any link-layer bytes) with
 * flow_meter_packet. It decodes link, IP and transport headers, keys the
 * packet to a flow (both directions are one flow; the VLAN tag is not part
 * of the key), updates that flow's statistics, and calls the emit callback
 * once for every flow that ends: idle timeout, active timeout (the flow is
 * split; the next part keeps the direction), TCP teardown (FIN from both
 * sides and the last ACK, or RST), eviction when the table is full, or
 * flow_meter_flush at the end of input.
 *
 * Each emitted flow carries its identity and a feature vector of
 * flow_feature_count() floats aligned with flow_feature_names(); the names
 * are stable snake_case and include the CIC-IDS2017 flow-meter features
 * under the names of the cic-ids2017-improved CSV columns
 * (docs/features.md defines every one). No value is NaN or infinite.
 *
 * Memory: all flow state is allocated by flow_meter_create (max_flows
 * entries of flow_meter_entry_bytes() plus a fixed fragment table), and
 * pages are touched only as flows need them; no allocation per packet.
 * Idle expiry and eviction order are exact to min(1 s, idle timeout / 8):
 * an entry is moved in the recency list at most that often.
 *
 * Glossary: fwd = the initiator's direction (the TCP SYN sender when the
 * handshake was seen, else the first packet's sender); bwd = the other.
 *
 * Not thread-safe: one meter per thread.
 */
#ifndef FEWFLOW_FLOW_H
#define FEWFLOW_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/capture.h"

enum flow_end_reason {
    FLOW_END_IDLE = 0,      /* no packet for idle_timeout_us */
    FLOW_END_ACTIVE = 1,    /* lasted active_timeout_us; split */
    FLOW_END_FIN = 2,       /* FIN seen from both sides */
    FLOW_END_RST = 3,       /* a RST was seen */
    FLOW_END_EVICTED = 4,   /* the table was full; oldest idle flow */
    FLOW_END_EOF = 5,       /* still open at the end of input */
};

/* "idle", "active", "fin", "rst", "evicted", "eof". */
const char *flow_end_reason_str(enum flow_end_reason r);

struct flow_config {
    uint64_t idle_timeout_us;    /* default 120 s */
    uint64_t active_timeout_us;  /* default 120 s (CICFlowMeter's value) */
    uint64_t activity_gap_us;    /* gap that separates active and idle
                                    periods; default 5 s */
    uint64_t bulk_gap_us;        /* max gap inside a bulk; default 1 s */
    uint64_t frag_timeout_us;    /* fragment state lifetime; default 30 s */
    uint64_t close_linger_us;    /* a TCP connection ended by FIN or RST
                                    keeps taking its trailing packets this
                                    long after its last one; default 1 s,
                                    0 = it ends at once */
    size_t max_flows;            /* default 262144 */
    size_t max_frags;            /* fragment table entries; default 8192 */
};

/* Fills in the documented defaults. */
void flow_config_default(struct flow_config *cfg);

/* One finished flow, borrowed by the callback for the call's duration. */
struct flow_record {
    uint64_t id;             /* 1, 2, ... in order of creation (a part
                                after an active timeout gets a new id) */
    uint8_t ip_version;      /* 4 or 6 */
    uint8_t protocol;        /* IP protocol number */
    uint8_t src_addr[16];    /* fwd sender; IPv4 in the first 4 bytes */
    uint8_t dst_addr[16];
    uint16_t src_port;       /* host order; 0 for protocols without ports */
    uint16_t dst_port;
    uint16_t vlan_id;        /* outermost 802.1Q VLAN seen, 0 when none */
    uint16_t part;           /* 0, or 1, 2, ... for active-timeout splits */
    int64_t first_ns;        /* first packet, ns since the epoch */
    int64_t last_ns;         /* last packet; never before first_ns */
    enum flow_end_reason end_reason;
    const float *features;   /* flow_feature_count() values */
};

/*
 * The flow's id as detect's alerts and `flows` print it: a hash of its
 * 5-tuple, VLAN, part and first packet's time, the same whenever and with
 * whatever else a capture is read, so alerts and flow rows of one flow
 * join, and runs or sensors do not share ids 1, 2, 3 ... (Suricata's
 * flow_id is likewise a hash-like 64-bit number). Never 0, below 2^53:
 * every JSON reader keeps it exact. Two flows may share an id by a hash
 * collision (about one pair in 10^4 among a million flows).
 */
uint64_t flow_record_flow_id(const struct flow_record *rec);

/* Called for each finished flow; a non-zero return stops the meter, and
 * the function that was running returns that value. */
typedef int (*flow_emit_fn)(const struct flow_record *rec, void *user);

/* Counters over everything the meter saw. */
struct flow_stats {
    uint64_t packets;        /* packets given to the meter */
    uint64_t bytes;          /* their wire lengths */
    uint64_t ip_packets;     /* packets counted in a flow */
    uint64_t flows;          /* flows emitted */
    uint64_t fragments;      /* IP fragments (first ones included) */
    uint64_t orphan_fragments; /* later fragments with no known first */
    uint64_t non_ip;         /* ARP, LLDP, ...: not IPv4/IPv6 */
    uint64_t unsupported;    /* link types we do not decode */
    uint64_t truncated;      /* headers cut by the snap length */
    uint64_t malformed;      /* headers contradicting themselves */
    uint64_t evicted;        /* flows ended early: table full */
    uint64_t frag_evicted;   /* fragment entries dropped: table full */
    uint64_t ts_backwards;   /* packets older than the flow's last one */
    uint64_t clock_steps;    /* packets older than the newest by more than
                                the idle timeout: open flows ended there */
    uint64_t max_active;     /* peak number of flows in the table */
    uint32_t unsupported_linktype; /* the first such link type seen */
};

struct flow_meter;

/* NULL on failure (ERR_NOMEM, or ERR_INVALID for a zero max_flows or
 * timeout). cfg NULL means the defaults. */
struct flow_meter *flow_meter_create(const struct flow_config *cfg,
                                     flow_emit_fn emit, void *user);
void flow_meter_destroy(struct flow_meter *m);

/* Accounts one packet. Returns 0, or the emit callback's non-zero value.
 * Damaged packets are counted in the stats, never an error. A packet is
 * decoded at once but counted in its flow up to three calls later (its
 * table memory is prefetched meanwhile), so flows may be emitted that
 * much later; flow_meter_advance and flow_meter_flush count every pending
 * packet first. Timestamps are clamped to +-2^62 ns (years 1824..2116). */
int flow_meter_packet(struct flow_meter *m, const struct capture_packet *pkt);

/* Counts pending packets, then expires flows idle for longer than the
 * idle timeout at now_ns (live capture when no packet arrives). */
int flow_meter_advance(struct flow_meter *m, int64_t now_ns);

/* Emits every open flow with FLOW_END_EOF and empties the table. */
int flow_meter_flush(struct flow_meter *m);

const struct flow_stats *flow_meter_stats(const struct flow_meter *m);

/* Bytes of state per table entry (for the documentation and --max-flows). */
size_t flow_meter_entry_bytes(void);

/* The feature vector's length and names (static, never freed). */
size_t flow_feature_count(void);
const char *const *flow_feature_names(void);

/* Index of a feature name, or -1. */
long flow_feature_index(const char *name);

/* Formats an address of a record ("10.0.0.1", "2001:db8::1") into buf
 * (at least 46 bytes). Returns buf. */
char *flow_addr_format(const struct flow_record *rec, int dst, char *buf,
                       size_t len);

#endif
