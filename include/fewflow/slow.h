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
 * When a slow flow is written, the rule looks at the intervals of its
 * group still kept: the largest number of them open at one moment of
 * the flow's own interval, the flow included. When that is at least
 * `min_open`, a benign verdict becomes unknown with the reason
 * "slow connections: N open to S:P, median X B/s" (X over the flows
 * open at that moment). Non-benign verdicts, scores and distances are
 * never changed. The moment is searched among the flows' starts, where
 * the count can only go up; this works whether flows arrive in the
 * order they end (captures) or start (a sorted CSV).
 *
 * Defaults and where they come from:
 * - min_open 20 (SLOW_MIN_DEFAULT). Browsers open at most 6 persistent
 *   connections per host (Chromium's per-group socket limit, Firefox's
 *   network.http.max-persistent-connections-per-server; RFC 9112 §9.4
 *   asks clients to limit them). 20 leaves room for three browsers idle
 *   on one server behind one NAT address (18); the attack tools hold far
 *   more by default: slowhttptest 50 (-c), the Python slowloris 150
 *   sockets (-s), slowloris.pl 1000 (-num).
 * - min_duration_s 10: slowhttptest's default interval between follow-up
 *   data (-i 10); a connection held for less has not been held across
 *   one trickle. Slowloris waits 15 s between header lines.
 * - max_rate 100 B/s: slowhttptest's follow-up data is at most 24 bytes
 *   (-x) per 10 s, slowloris sends one short header line per 15 s; an
 *   opening flow carries the partial request too (a few hundred bytes
 *   over its duration). A keep-alive connection that carried a page is
 *   well above it; an idle one may not be, which is why the count, not
 *   one flow, decides.
 *
 * Memory is fixed: SLOW_SLOTS groups in buckets of SLOW_WAYS, each
 * keeping its SLOW_KEEP latest-ending intervals (an interval that ended
 * first is dropped for a newer one, counted). A newcomer group takes a
 * free place, else a group whose flows all ended over SLOW_STALE_S
 * before the latest start seen, else the one holding the fewest
 * intervals (counted as replaced): a flood of one-flow clients replaces
 * its own kind. Either can only cost alerts.
 *
 * Flows written before their group reached the count stay as decided
 * and are counted (written_before); detect's output batch lets flows
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
 * When the flow is written: 1 when it is slow, benign, and its group
 * held at least min_open slow connections at once during it; the reason
 * is then written to reason[SLOW_REASON_LEN]. 0 otherwise.
 */
int slow_judge(struct slow *s, const struct slow_mark *m, int benign,
               char *reason);

void slow_totals_get(const struct slow *s, struct slow_totals *t);

#endif
