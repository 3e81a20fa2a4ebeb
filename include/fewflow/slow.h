/*
 * Slow-connection rule for detect: one client holding many long,
 * near-silent, unclosed TCP connections to one service at once.
 *
 * Slow-HTTP denial of service (Slowloris, slowhttptest's slow headers,
 * slow body and slow read, R.U.D.Y.) exhausts a server's worker pool by
 * opening many connections and keeping each alive with a trickle of
 * bytes. One such connection's flow looks like an idle keep-alive, which
 * the class memory calls benign; the giveaway is the count held open at
 * once by one client, which is what per-client connection limits in web
 * servers and IDSs count.
 *
 * A SLOW flow: TCP with both addresses and a start time, answered (a
 * backward packet), not closed (no FIN, no RST: the meter cut it by a
 * timeout, or the input ended), lasting at least `min_duration_s` and
 * moving at most `max_rate` payload bytes per second both ways together.
 * Its interval is [start, start + flow_duration]. Slow flows are grouped
 * by (source address, destination address, destination port): the
 * source is the client, as the meter or the CSV saw who opened it.
 *
 * Each time a slow flow is noted (in arrival order), the rule counts the
 * kept intervals of its group open at each start that falls within the
 * new flow's interval; the count can only rise at a start, so the most
 * open at once is found there. When it reaches `min_open`, the stretch
 * from that moment until fewer than min_open of those flows are still
 * open is kept (SLOW_HOT per group, overlapping ones merged). When a
 * slow flow is written, a benign verdict becomes unknown if the flow was
 * open during a kept stretch of its group: at that moment the client
 * held at least min_open slow connections, this one among them. The
 * reason is "slow connections: N open to S:P, median X B/s" (N the most
 * seen at once, X the median rate of those flows). Non-benign verdicts,
 * scores and distances are never changed. This works whether flows
 * arrive in the order they end (captures) or start (a sorted CSV), and
 * survives intervals dropped from a full group after the count.
 *
 * Defaults and where they come from:
 * - min_open 20 (SLOW_MIN_DEFAULT). Browsers open at most 6 connections
 *   per host (Chromium's g_max_sockets_per_group in
 *   net/socket/client_socket_pool_manager.cc; Firefox's
 *   network.http.max-persistent-connections-per-server; RFC 9112 §9.4
 *   asks clients to limit them). 20 leaves room for three browsers idle
 *   on one server behind one NAT address (18); the attack tools hold far
 *   more by default: slowhttptest 50 (-c), the Python slowloris 150 or
 *   200 sockets depending on the version (-s), slowloris.pl 1000.
 *   Chromium allows 255 WebSockets per host, and a proxy or NAT gateway
 *   may hold many clients' idle connections to one server: those can
 *   reach the count (docs/limits.md).
 * - min_duration_s 10: slowhttptest's default interval between follow-up
 *   data (-i 10); a connection held for less has not been held across
 *   one trickle. Slowloris waits 15 s between header lines (--sleeptime).
 * - max_rate 100 B/s: slowhttptest's follow-up data is at most 32 bytes
 *   (-x) per 10 s, slowloris sends one short header line per 15 s; an
 *   opening flow carries the partial request too (a few hundred bytes
 *   over its duration). A keep-alive connection that carried a page is
 *   well above it over the meter's 120 s; an idle one may not be, which
 *   is why the count, not one flow, decides.
 *
 * Memory is fixed (slow_bytes(), 2.4 MB): SLOW_SLOTS groups in
 * buckets of SLOW_WAYS, each keeping its SLOW_KEEP latest-ending
 * intervals (the one that ended first gives way to a newer one, counted
 * as dropped) and SLOW_HOT stretches (likewise). A newcomer group takes a
 * free place, else a group whose flows all ended over SLOW_STALE_S
 * before the newcomer's start, else the one holding the fewest
 * intervals (counted as replaced): a flood of one-flow clients replaces
 * its own kind. Either can only cost alerts.
 *
 * Flows written before their group reached the count stay as decided
 * and are counted (written_before); detect's output block lets flows
 * that arrive together be judged together.
 */
#ifndef FEWFLOW_SLOW_H
#define FEWFLOW_SLOW_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/alert.h"

#define SLOW_SLOTS 1024
#define SLOW_WAYS 4
#define SLOW_KEEP 64                 /* intervals kept per group */
#define SLOW_HOT 8                   /* stretches kept per group */
#define SLOW_MIN_DEFAULT 20
#define SLOW_MIN_MAX SLOW_KEEP
#define SLOW_MIN_DURATION_DEFAULT 10.0  /* seconds */
#define SLOW_MAX_RATE_DEFAULT 100.0     /* payload bytes per second */
#define SLOW_STALE_S 600.0  /* Suricata's tcp established flow timeout */
#define SLOW_REASON_LEN 160

struct slow;

/* Where a slow flow was noted; slow 0: the flow is not slow. */
struct slow_mark {
    uint8_t slow;
    uint32_t slot;
    uint64_t gen;             /* the group's generation then */
    uint64_t flow_id;
    double start_s, end_s;
    float rate;               /* payload bytes per second */
    /* The stretch this flow's own arrival found (peak 0: none), kept here
     * in case the group's places are taken by the time it is written. */
    uint32_t peak;
    float median;
};

struct slow_totals {
    uint64_t slow_flows;      /* flows noted as slow */
    uint64_t clients;         /* groups that reached the count */
    uint64_t escalated;       /* benign verdicts reported as unknown */
    uint64_t written_before;  /* benign slow flows written before */
    uint64_t replaced;        /* groups pushed out with a flow left */
    uint64_t dropped;         /* intervals pushed out of a full group */
};

/* Whether col_names[0..n_in) has every column the rule reads. */
int slow_columns_present(const char *const *col_names, size_t n_in);

/* NULL when a column is missing (no error set) or out of memory
 * (ERR_NOMEM set). min_open is clamped to [2, SLOW_MIN_MAX]. */
struct slow *slow_create(const char *const *col_names, size_t n_in,
                         uint32_t min_open);
void slow_destroy(struct slow *s);
size_t slow_bytes(void);

/* A new rule uses SLOW_MIN_DURATION_DEFAULT and SLOW_MAX_RATE_DEFAULT. */
void slow_set_limits(struct slow *s, double min_duration_s, double max_rate);

/* Notes the flow with raw model row x, in arrival order (every flow);
 * tcp says whether it is TCP. */
struct slow_mark slow_note(struct slow *s, const float *x,
                           const struct alert_flow *id, int tcp);

/*
 * When the flow is written: 1 when it is slow, benign, and open during
 * a stretch in which its group held at least min_open slow connections
 * at once; the reason is then written to reason[SLOW_REASON_LEN]. 0
 * otherwise; a benign slow flow written then is counted if a stretch
 * that it was open in is found later (written_before).
 */
int slow_judge(struct slow *s, const struct slow_mark *m, int benign,
               char *reason);

void slow_totals_get(const struct slow *s, struct slow_totals *t);

#endif
