/*
 * The detect loop shared by `fewflow detect` and the quickstart: flows in,
 * decisions, alert lines out, a summary on stderr.
 */
#ifndef FEWFLOW_CLI_DETECT_RUN_H
#define FEWFLOW_CLI_DETECT_RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "fewflow/detector.h"
#include "fewflow/beacon.h"
#include "fewflow/repeat.h"

/* Flows judged together: the rules that look at other flows (lone,
 * repeat, slow) see every flow of the block before any of its lines is
 * written. A fixed count, not --batch, so that the output does not depend
 * on how many flows are classified at a time. */
#define DETECT_BLOCK 256

struct detect_run_opts {
    const char *model;
    const char **captures;
    size_t n_captures;
    const char **csvs;
    size_t n_csvs;
    struct detector_input in;
    int all;                  /* print benign flows too */
    size_t explain;           /* features per explanation */
    double explain_rate;      /* explanations per second at most, 0 = no
                                 limit; see detect_run_explain_rate */
    int explain_rate_set;     /* given by the user: keep it as it is */
    size_t batch;             /* flows classified at a time, a speed
                                 setting (at most DETECT_BLOCK are) */
    const char *summary_json; /* or NULL */
    const char *neutral;      /* see detector_set_neutral */
    size_t threads;           /* classification threads, 0 = online cores */
    uint32_t min_support;     /* flow-kind rules (support.h), 0 = off */
    int hold_cut;             /* context rules (context.h): withhold the */
    int hold_lone;            /* alert of a cut connection / lone flow */
    unsigned lone_prefix[4];  /* the lone limit's networks (context.h):
                                 source v4, v6, destination v4, v6 */
    int repeats;              /* repeated-session rule (repeat.h) */
    uint32_t repeat_sessions;
    uint64_t repeat_window_us;
    struct repeat_ports repeat_ports;  /* parsed once, from the CLI */
    double repeat_max_duration_s;  /* 0: sessions of any duration */
    int connections;          /* connection rule (conn.h) */
    int beacons;              /* beacon rule (beacon.h) */
    uint32_t beacon_min;      /* beats before a series is judged */
    int beacon_any_dest;      /* 0: only servers outside beacon_local */
    uint32_t beacon_max_clients;  /* 0: any number */
    struct beacon_nets beacon_local;
    int slow;                 /* slow-connection rule (slow.h) */
    uint32_t slow_min;        /* slow connections held at once */
    double slow_min_duration_s;
    double slow_max_rate;     /* payload bytes per second */
    const char **suppress;    /* suppression files (suppress.h) */
    size_t n_suppress;
    uint32_t alert_limit;     /* --alert-limit N/S: N, 0 = none */
    uint32_t alert_limit_s;   /* and S */
    size_t limit_keys;        /* slots of the limit table (limit.h) */
    uint16_t community_seed;  /* --community-id-seed (community_id.h) */
    /* -o FILE: the alert lines are appended there, the file opened again
     * on SIGHUP in a live run (log rotation); NULL: the FILE* given to
     * detect_run. */
    const char *output;
    /* Set by a signal handler: re-read the --suppress files before the
     * next batch is judged (detect_reload_wanted); NULL: never. */
    volatile sig_atomic_t *reload;
};

void detect_run_opts_default(struct detect_run_opts *o);

/*
 * Explaining an alert re-embeds the flow once per input feature, about
 * fifteen times the cost of classifying it, so a flood of alerts on a live
 * interface could stall capture. Live input therefore explains at most this
 * many alerts per second by default; alerts past the budget are written
 * without the `features` list and counted. Files and CSVs have no limit,
 * so their output does not depend on the machine's speed.
 */
#define DETECT_LIVE_EXPLAIN_RATE 1000.0

/* Parses a timeout in (fractional) seconds into microseconds; 0, or the
 * usage error's exit status. */
int cli_timeout(const char *cmd, const char *opt, const char *v,
                uint64_t *us);

/* --close-linger: "0" (no linger) or a timeout as above. */
int cli_linger(const char *cmd, const char *v, uint64_t *us);

/* The slow-connection rule for a run (detect_slow.c): *out stays NULL
 * when it is off or the model lacks its columns; 0 or ERR_NOMEM. */
struct slow;
struct slow_mark;
struct alert_buf;
int detect_slow_create(const struct detector *d,
                       const struct detect_run_opts *o, struct slow **out);
/* Judges a written flow (slow_judge); a benign one the rule reports
 * becomes unknown (*cls -1) with the reason. */
void detect_slow_apply(struct slow *s, const struct slow_mark *m, int alert,
                       char *reason, struct alert_flow *id, int32_t *cls);
/* Its stderr lines and its summary JSON member (",\"slow\":{...}"). */
void detect_slow_log(const struct slow *s, uint32_t min_open);
void detect_slow_json(struct alert_buf *b, const struct slow *s);

/* Whether SIGHUP should re-read the --suppress files and open the -o
 * file again rather than end the run: either was given and the input is
 * live (-i, or a capture or CSV from standard input or a FIFO). */
int detect_reload_wanted(const struct detect_run_opts *o);

/* The -o file opened for appending (created 0640, less the umask);
 * NULL with the error set naming it. */
FILE *detect_output_open(const char *path);

/* Runs detection; returns the exit status (0, 1 or 2). */
int detect_run(struct detect_run_opts *o, FILE *out);

#endif
