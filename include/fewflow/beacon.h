/*
 * Beacon rule for detect: an implant calling home on a timer. Each of its
 * sessions is small and ordinary (the CIC-IDS2017 model calls most ARES
 * polls benign), but the series is not: one client, one server and
 * service, a session every P seconds with little jitter and the same
 * size each time.
 *
 * A series is keyed by client, server, server port and protocol. It
 * keeps the start times of its last BEACON_KEEP beats (sessions starting
 * within BEACON_BEAT_GAP of one another are one beat: a poll that opens
 * two connections at once, or a burst, is not two periods), the
 * originator bytes of its last BEACON_KEEP sessions and the ids of its
 * last BEACON_IDS flows. Once it has `min_beats` beats, it is regular
 * when
 *   - the median absolute deviation (MAD) of the intervals between beats
 *     is at most BEACON_JITTER times their median P, and
 *   - the MAD of the sizes is at most BEACON_SIZE_SPREAD times their
 *     median, or BEACON_SIZE_FLOOR bytes, whichever is larger.
 * Median and MAD are RITA's dispersion statistics for beacon timestamps
 * and data sizes (activecm/rita beacon analysis: MAD around the median of
 * the intervals and of the originator bytes); the thresholds are ours:
 *   - BEACON_JITTER 0.2: an implant that sleeps P·(1 - j·u), u uniform
 *     in [0, 1) (the usual jitter setting), has intervals with MAD/median
 *     j / (4 - 2j): 0.17 at 50% jitter. Poisson arrivals (people) have
 *     ln(2)-scaled exponential intervals, MAD/median 0.69. A missed beat
 *     is one interval of 2P among min_beats - 1: the median and the MAD
 *     barely move.
 *   - BEACON_MIN_DEFAULT 16 beats: with 15 intervals, Poisson arrivals
 *     pass the jitter test with probability 0.0017 per series (simulated,
 *     bench/RESULTS.md), 12 beats 0.008, 8 beats 0.04.
 *   - BEACON_SIZE_FLOOR 32 bytes: RITA scores the data-size MAD against
 *     32 bytes; a poll of a hundred bytes that carries a counter or a
 *     timestamp varies by more than 20% of nothing.
 *   - BEACON_BEAT_GAP 1 s: C2 sleeps are seconds to hours; sessions a
 *     second apart are one exchange (so P is at least a second).
 * Once regular, a series stays decided: its later sessions alert with the
 * period and jitter of the last regular window. Sessions noted before the
 * decision are counted (beacon_totals.before), not re-emitted, so the
 * output does not depend on where detect's output blocks end.
 *
 * A session is a new connection: a TCP flow with a SYN (when the model
 * has syn_flag_count); for other protocols (and TCP without that
 * column) a flow that is not from the same source port as the series'
 * previous session, starting within the idle timeout of the end of its
 * last part (that is a flow meter cutting a long flow at its active
 * timeout, which would be periodic by construction; a CSV row's end is
 * its start plus flow_duration).
 *
 * Benign pollers have the same shape (NTP, update checks, monitoring,
 * keep-alives). By default only series to a server outside the local
 * networks (beacon_nets_parse "private": RFC 1918, loopback, link-local,
 * CGNAT, multicast, ULA) count, and DNS (53) and NTP (123) are left
 * out: internal monitoring and resolvers are the bulk of a LAN's regular
 * traffic, and a C2 server is outside. A benign client polling an
 * outside server regularly (an update check every minute, a cloud agent's
 * heartbeat) still alerts: the rule cannot tell intent.
 *
 * Optionally (beacon_set_max_clients), a series is not reported while
 * its server has had more than max_clients distinct clients in this run:
 * an update or telemetry service is polled by most hosts of a network,
 * a C2 server by the few it infected. Off by default: one capture or
 * CSV often shows a single client, and the CIC-IDS2017 ARES server is
 * polled by five infected hosts, so the bound must sit above the number
 * of hosts an implant may reach; it suits a sensor that sees many hosts.
 *
 * Memory is fixed: BEACON_SLOTS series in buckets of BEACON_WAYS; a
 * newcomer takes a free place, else one idle for BEACON_STALE_S, else the
 * one with the fewest sessions (a flood of one-off pairs replaces its own
 * kind). Every series pushed out is counted (beacon_totals.evicted).
 * The server table (distinct clients) has BEACON_SLOTS entries,
 * direct-mapped; a newcomer replaces, which can only make a server look
 * rarer.
 */
#ifndef FEWFLOW_BEACON_H
#define FEWFLOW_BEACON_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/alert.h"

#define BEACON_SLOTS 4096
#define BEACON_WAYS 4
#define BEACON_KEEP 32
#define BEACON_MIN_DEFAULT 16
#define BEACON_MIN_LOWEST 4
#define BEACON_JITTER 0.2
#define BEACON_SIZE_SPREAD 0.2
#define BEACON_SIZE_FLOOR 32.0      /* bytes */
#define BEACON_BEAT_GAP 1.0         /* seconds */
#define BEACON_STALE_S 86400.0
#define BEACON_REASON_LEN 256
#define BEACON_NETS_MAX 64
#define BEACON_CLIENTS_MAX 16
#define BEACON_LOCAL_DEFAULT "private"

/* Address ranges: the local networks. */
struct beacon_net {
    uint8_t v6;
    uint8_t prefix;
    uint8_t addr[16];
};

struct beacon_nets {
    size_t n;
    struct beacon_net net[BEACON_NETS_MAX];
};

/*
 * Parses a comma-separated list of CIDR ranges or addresses ("10.0.0.0/8",
 * "2001:db8::/32", "192.0.2.7") and "private" (the ranges above) into n.
 * Returns 0, or ERR_INVALID with the bad item in the detail.
 */
int beacon_nets_parse(const char *spec, struct beacon_nets *n);

/* Whether ip (text) lies in one of the ranges; text that is no address
 * counts as inside (it cannot be shown to be outside). */
int beacon_nets_has(const struct beacon_nets *n, const char *ip);

/* One address with an optional /prefix of digits ("10.0.0.0/8",
 * "2001:db8::/32", "192.0.2.7") into net; 0, or -1 when it is none. A
 * range inside ::ffff:0:0/96 becomes the IPv4 range it maps
 * (::ffff:192.0.2.0/120 is 192.0.2.0/24). */
int beacon_net_read(const char *item, struct beacon_net *net);

/* Address text into a (16 bytes; IPv4 in the first 4) and *v6; 0 or -1. */
int beacon_ip_read(const char *ip, uint8_t *a, int *v6);

/* Whether the address a lies in net; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) also lies in its IPv4 address's ranges. */
int beacon_net_has_ip(const struct beacon_net *net, const uint8_t *a,
                      int v6);

/* A flow's place in its series when it was noted. */
struct beacon_mark {
    uint8_t decided;          /* the series is a beacon: alert */
    uint32_t slot;
    uint64_t gen;             /* the series then, for its own counts */
    struct alert_beacon info; /* for the alert line */
};

struct beacon_totals {
    uint64_t series;          /* series decided regular */
    uint64_t alerts;          /* flows reported as beacon sessions */
    uint64_t before;          /* sessions of those noted before the
                                 decision */
    uint64_t evicted;         /* series pushed out of the full table */
    uint64_t popular;         /* sessions of regular or decided series
                                 not reported: their server had too
                                 many clients */
};

/* A decided series still in the table, for the summary. */
struct beacon_series {
    const char *src_ip;
    const char *dest_ip;
    uint16_t dest_port;
    uint8_t proto;
    uint64_t sessions;
    double period_s, jitter_s;
    uint64_t alerts, before;
};

struct beacon;

/* Whether col_names has the size column the rule needs. */
int beacon_columns_present(const char *const *col_names, size_t n_in);

/* NULL when the size column is missing (no error set) or out of memory
 * (ERR_NOMEM). idle_s: the flow meter's idle timeout. By default only
 * series to a server outside BEACON_LOCAL_DEFAULT count. */
struct beacon *beacon_create(const char *const *col_names, size_t n_in,
                             uint32_t min_beats, double idle_s);
void beacon_destroy(struct beacon *b);

/* any_dest 1: every series counts, wherever its server and whatever its
 * service; else only those to a server outside local. */
void beacon_set_scope(struct beacon *b, const struct beacon_nets *local,
                      int any_dest);

/* 0 (the default): any number of clients; else at most
 * BEACON_CLIENTS_MAX - 1. */
void beacon_set_max_clients(struct beacon *b, uint32_t max_clients);

/* Counts the flow with raw model row x (arrival order, every flow). */
void beacon_note(struct beacon *b, const float *x,
                 const struct alert_flow *id, struct beacon_mark *m);

/* For a decided mark, when its flow is reported: counts the alert and
 * writes "beacon: N sessions every P s ± J s from SRC to DST:PORT" into
 * reason[BEACON_REASON_LEN]. */
void beacon_judge(struct beacon *b, const struct beacon_mark *m,
                  const struct alert_flow *id, char *reason);

void beacon_totals_get(const struct beacon *b, struct beacon_totals *t);

/* Calls fn for each decided series still in the table; returns how
 * many. */
size_t beacon_series_each(const struct beacon *b,
                          void (*fn)(const struct beacon_series *s,
                                     void *user), void *user);

#endif
