/*
 * Repeated-session rule for detect: a password guesser is one source
 * opening many near-identical sessions to one service in a short time.
 * Each of its sessions alone may sit nearest a benign class (medusa's,
 * which end with a server RST, do in the CIC-IDS2017 model), but the run
 * of them does not look like benign use.
 *
 * A session: a TCP flow whose handshake was answered (two SYN flags, a
 * packet back). Sessions are grouped by source, destination host and
 * port, and within that by shape: packets and bytes each way. A session
 * joins a shape when each of its four counts lies within REPEAT_SPREAD
 * (relative) of the shape's first session; up to REPEAT_SHAPES shapes
 * per group, so a successful login or a retry does not hide the rest.
 * When a shape reaches `sessions` sessions within `window_s` (an epoch
 * starting at its first session; a run that reached the count goes on
 * into the next epoch unless it paused for a whole window), its flows
 * that the class memory called benign are reported as unknown with the
 * reason "repeated session: n sessions from SRC to DST:PORT in W s"
 * (and how many of the run were written as benign before).
 *
 * Only sessions to a service with a password login count, by default
 * (repeat_ports_parse, "auth": the table in repeat_ports.c gives each
 * port and why it is there), and only short ones: at most
 * REPEAT_MAX_DURATION_DEFAULT seconds. Monitoring checks, API pollers
 * and health probes open the same session again and again too; they
 * mostly talk HTTP(S) or a service's own port, and a guess is a short
 * exchange (login prompt, one or a few tries, close), while a poller's
 * keep-alive connection is not. 30 s: the CIC-IDS2017 improved CSV's
 * answered SSH-Patator sessions last at most 19.6 s in 99.9% of rows
 * (median 12.1 s) and its FTP-Patator ones at most 10.8 s; the seven
 * SSH guessing captures at most 14.7 s; its BENIGN TCP sessions are
 * that short in 63% of rows (a filter on long sessions, not a test of
 * guessing).
 *
 * Defaults: 30 sessions in 30 minutes, the defaults of Zeek's
 * SSH::password_guesses_limit and SSH::guessing_timeout
 * (policy/protocols/ssh/detect-bruteforcing.zeek). REPEAT_SPREAD 0.2
 * from the training CSV: 97.4% of the CIC-IDS2017 improved SSH-Patator
 * rows and 99.5% of its FTP-Patator rows have all four counts within 20%
 * of their campaign's median (benign rows of that CSV against theirs:
 * 1.3%); 10% keeps 95.2% / 95.9%, 30% gains little (97.8% / 99.7%).
 *
 * Flows noted before the count was reached are escalated only if they
 * are still waiting in detect's output block (repeat_judge looks at the
 * table when the flow is written); those already written stay benign
 * and are counted per run (benign_before) for the summary. Memory is
 * fixed: REPEAT_SLOTS groups in buckets of four; a newcomer takes the
 * place of a group with no session in the window, else of the one with
 * the fewest sessions (a flood of one-session groups replaces its own
 * kind, not a run in the making). It can only cost context.
 */
#ifndef FEWFLOW_REPEAT_H
#define FEWFLOW_REPEAT_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/alert.h"

#define REPEAT_SLOTS 4096
#define REPEAT_SHAPES 4
#define REPEAT_SESSIONS_DEFAULT 30
#define REPEAT_WINDOW_DEFAULT 1800.0  /* seconds */
#define REPEAT_SPREAD 0.2
#define REPEAT_REASON_LEN 192
#define REPEAT_MAX_DURATION_DEFAULT 30.0  /* seconds (above) */
#define REPEAT_PORTS_DEFAULT "auth"

/* The destination ports whose sessions count, one bit each. */
struct repeat_ports {
    uint64_t bit[65536 / 64];
};

struct repeat;

/* Where a flow was counted: its group slot and shape, and the shape's
 * generation then (a replaced shape no longer speaks for the flow).
 * gen 0: the flow is not a session. */
struct repeat_mark {
    uint32_t slot;
    uint32_t shape;
    uint64_t gen;
};

/* A run that reached the count, for the summary. */
struct repeat_run {
    const char *src_ip;
    const char *dest_ip;
    uint16_t dest_port;
    uint64_t sessions;        /* counted since the run began */
    double span_s;            /* first to last session */
    uint64_t escalated;       /* benign verdicts reported as unknown */
    uint64_t benign_before;   /* benign verdicts written before */
};

/* Totals over the whole input, runs since replaced in the table
 * included. */
struct repeat_totals {
    uint64_t runs;            /* runs that reached the count */
    uint64_t escalated;
    uint64_t benign_before;
};

/* Whether col_names[0..n_in) has every column the rule reads. */
int repeat_columns_present(const char *const *col_names, size_t n_in);

/* NULL when a column is missing (no error set) or out of memory
 * (ERR_NOMEM set). */
struct repeat *repeat_create(const char *const *col_names, size_t n_in,
                             uint32_t sessions, double window_s);
void repeat_destroy(struct repeat *r);

/*
 * Parses a port list into p: comma-separated items, each a port number,
 * a range LO-HI, "auth" (the password-login services, repeat_ports.c) or
 * "all". Returns 0, or ERR_INVALID with the bad item in the detail.
 */
int repeat_ports_parse(const char *spec, struct repeat_ports *p);

/* The "auth" ports as text ("21,22,23,..."); at most len bytes. */
void repeat_ports_auth_text(char *buf, size_t len);

/* A new rule counts sessions to the "auth" ports that last at most
 * REPEAT_MAX_DURATION_DEFAULT s; these change that (max_duration_s 0:
 * any duration). */
void repeat_set_ports(struct repeat *r, const struct repeat_ports *p);
void repeat_set_max_duration(struct repeat *r, double max_duration_s);

/* Counts the flow with raw model row x (in arrival order, every flow);
 * tcp says whether it is TCP. */
struct repeat_mark repeat_note(struct repeat *r, const float *x,
                               const struct alert_flow *id, int tcp);

/*
 * When the flow is written: whether its run has reached the count. If so
 * and benign, writes the reason into reason[REPEAT_REASON_LEN] and
 * returns 1 (the caller reports the flow as unknown); a benign flow of a
 * run not (yet) there is counted as benign_before. Returns 0 otherwise.
 */
int repeat_judge(struct repeat *r, const struct repeat_mark *m,
                 int benign, char *reason);

void repeat_totals_get(const struct repeat *r, struct repeat_totals *t);

/* Calls fn for each run still in the table that reached the count, in
 * slot order; returns how many. */
size_t repeat_runs(const struct repeat *r,
                   void (*fn)(const struct repeat_run *run, void *user),
                   void *user);

#endif
