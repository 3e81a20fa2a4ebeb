/*
 * Context rules for detect: three kinds of flow whose alert the flow alone
 * cannot support, so that detect reports them as "unjudged" (severity 3,
 * printed, not an alert) with a reason instead. The rules only ever
 * withhold an alert; they never make a flow benign, and a benign verdict
 * is left as it is.
 *
 * Cut connection: a TCP connection whose handshake was answered (a SYN
 * each way, packets both ways) and that was still open when the input
 * ended. Its duration, gaps and counts are those of a prefix cut at an
 * arbitrary point. The training CSV's flows end by close or timeout over
 * day-long captures, so a prefix matches nothing it learnt, and a prefix
 * of an ordinary connection (open, few packets, no close) has exactly the
 * shape of the slow-HTTP DoS classes. A half-open SYN, a scan probe or a
 * flood packet is not such a prefix (the rules below are theirs).
 *
 * Lone refused connection: one SYN answered by a RST and nothing else.
 * It is what a scan probe looks like and also what any connection to a
 * closed port looks like; a scan shows only as one source refused by
 * several targets, a flood as one target refusing several sources. Such
 * a flow alerts when, within the window, its source was refused by
 * another target (address and port) or its target refused another
 * source; otherwise it is unjudged.
 *
 * Lone unanswered flow: a flow of any protocol with no packet back that
 * was still open when the input ended (a DNS query, a DHCP broadcast at
 * the end of a capture). Whether it would have been answered is not
 * known, and one unanswered flow alone is ordinary. It alerts when, within
 * the window, its source sent another unanswered flow to another target
 * (a scan) or its destination host received one from another source (a
 * flood or a reflection, which hit one host on many ports); otherwise it
 * is unjudged. Unanswered flows that timed out count as context too.
 *
 * The window reaches back from the flow, and forward to the flows that
 * end in the same output block of detect (context_recheck): the first flow of a
 * burst is judged with the rest, while the first probe of a scan spread
 * over time is reported unjudged and the next ones alert.
 *
 * Lone is only what is rare, counted per network: once more than
 * CONTEXT_LONE_MAX lone flows that would alert were seen in one window
 * from one source network, or to one destination network, the rest of
 * that window's lone flows from that source network or to that
 * destination network alert. Many sources each probing one target once,
 * or a burst of spoofed SYNs from one network or at one network, is
 * otherwise lone flow by flow and would all be withheld. Source networks
 * are /24 (IPv4) and /64 (IPv6): one attacker's network, or one subnet
 * of ours scanning out. Destination networks are wider, /16 and /48: a
 * sensor watches its own network, and a probe spread over it sends few
 * flows to each /24. context_set_lone_prefix changes them; IPv4 and IPv6
 * are counted apart; /0 on both sides is the one global count of before,
 * which let one noisy host lift the hold for every other and hid a
 * host's lone flow behind others'. A probe whose every flow comes from
 * its own source network and goes to its own destination network (random
 * spoofed sources at targets spread over many /16s) is lone network by
 * network: past CONTEXT_LONE_MAX_ALL lone alerts in a window from all
 * networks together, every lone flow of the window alerts. That bound is
 * 32 times the per-network one, so hiding a lone flow behind others
 * takes a storm of over a thousand lone alerts in two minutes. Lone
 * flows the model calls benign do not count: a busy LAN's unanswered
 * queries at the end of a capture say nothing about an
 * attack's lone flow in the same window. The benign captures shipped
 * with the data have at most eight lone flows each; the limit sits well
 * above that. The count is taken over a whole output block before any of
 * its lines is written, so the first flows of a burst are judged like
 * the rest (context_lone_note, context_lone_limit).
 *
 * Flows without both addresses (CSV rows without address columns, or
 * with text that is no address) are left out of the lone rules: they
 * cannot be told apart by source or target. So are flows without a time
 * (first_s <= 0: CSV rows without a readable Timestamp): no window can
 * be placed around them.
 *
 * Memory is fixed: the last refused connection and the last unanswered
 * flow per source and per target are kept in direct-mapped tables; a
 * colliding newer entry replaces an older one (it can only cost context,
 * never memory). The lone counts take 4,096 places in 4-way buckets; a
 * full bucket gives up its smallest count (counted: a network whose
 * count is lost withholds again, it never alerts more).
 */
#ifndef FEWFLOW_CONTEXT_H
#define FEWFLOW_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/alert.h"

#define CONTEXT_SLOTS 4096
#define CONTEXT_WINDOW_DEFAULT 120.0  /* seconds: the flow idle timeout */
#define CONTEXT_LONE_MAX 32      /* lone flows per network and window */
#define CONTEXT_LONE_MAX_ALL 1024 /* lone flows per window, all networks */
#define CONTEXT_LONE_SRC4 24     /* networks of the lone limit (above): */
#define CONTEXT_LONE_SRC6 64     /* source IPv4 and IPv6 prefix lengths, */
#define CONTEXT_LONE_DST4 16     /* destination ones */
#define CONTEXT_LONE_DST6 48

enum context_verdict {
    CONTEXT_OK,             /* judge the flow as usual */
    CONTEXT_CUT,            /* cut connection (above) */
    CONTEXT_LONE_REFUSED,   /* lone refused connection (above) */
    CONTEXT_LONE_UNANSWERED /* lone unanswered flow (above) */
};

struct context;

/* Whether col_names[0..n_in) has every column the rules read. */
int context_columns_present(const char *const *col_names, size_t n_in);

/* NULL when a column the rules read is missing (no error set) or out of
 * memory (ERR_NOMEM set). window_s: how far back refusals count. */
struct context *context_create(const char *const *col_names, size_t n_in,
                               double window_s);
void context_destroy(struct context *c);

/* Which rule applies to the flow with raw model row x; tcp says whether
 * it is a TCP flow. Call it for every flow in order, alert or not: the
 * refusals it sees are the context of later ones. */
enum context_verdict context_check(struct context *c, const float *x,
                                   const struct alert_flow *id, int tcp);

/* Verdict v of context_check looked at again with the flows noted since
 * (detect does so when it writes the flow out, after the rest of its
 * block has been noted): a lone flow that later ones keep company is no
 * longer lone, so the first packet of a flood is judged like the rest. */
enum context_verdict context_recheck(const struct context *c,
                                     const struct alert_flow *id,
                                     enum context_verdict v);

/* Counts a flow whose verdict v (of context_recheck) is lone and that
 * would alert; other verdicts are ignored. */
void context_lone_note(struct context *c, const struct alert_flow *id,
                       enum context_verdict v);

/* v, or CONTEXT_OK for a lone v once more than CONTEXT_LONE_MAX lone
 * alerts were noted in the flow's window from its source network or to
 * its destination network, or more than CONTEXT_LONE_MAX_ALL in all. */
enum context_verdict context_lone_limit(const struct context *c,
                                        const struct alert_flow *id,
                                        enum context_verdict v);

/* Sets the lone limit's source (dest 0) or destination networks: prefix
 * lengths v4 <= 32 and v6 <= 128 (ERR_INVALID otherwise). Call before
 * the first flow. */
int context_set_lone_prefix(struct context *c, int dest, unsigned v4,
                            unsigned v6);

/* Lone counts lost to a full bucket so far. */
uint64_t context_lone_evicted(const struct context *c);

/* Why verdict v (not CONTEXT_OK) withholds the alert; a static string. */
const char *context_reason(enum context_verdict v);

#endif
