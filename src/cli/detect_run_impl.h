#ifndef FEWFLOW_CLI_DETECT_RUN_IMPL_H
#define FEWFLOW_CLI_DETECT_RUN_IMPL_H

/* The state of one detect run, shared by detect_run.c (reading and
 * judging flows) and detect_summary.c (what the run says at its end). */

#include <stdint.h>
#include <stdio.h>

#include "cli/detect_run.h"
#include "fewflow/alert.h"
#include "fewflow/conn.h"
#include "fewflow/limit.h"
#include "fewflow/progress.h"
#include "fewflow/repeat.h"
#include "fewflow/slow.h"
#include "fewflow/suppress.h"

#define MAX_LABELS 64

/* Flows wait here until a block (DETECT_BLOCK) is full, a live source is
 * idle, or the input ends; then they are classified, --batch at a time,
 * judged and their lines written. */
struct run {
    struct detector *d;
    struct detector_pool *pool;
    const struct detect_run_opts *o;
    FILE *out;
    size_t n, cap;
    size_t piece;                 /* rows per classification call */
    float *x, *z, *ex_scratch;
    struct alert_flow *ids;
    int *label_of;
    struct memo_decision *dec;
    int8_t *kind;                 /* flow kind per row (support.h), -1 */
    struct context *ctx;          /* context rules (context.h), or NULL */
    int8_t *ctx_verdict;          /* enum context_verdict per row */
    struct repeat *rep;           /* repeated-session rule, or NULL */
    struct repeat_mark *rep_mark; /* per row */
    char (*rep_reason)[REPEAT_REASON_LEN];  /* per row, until written */
    struct conn_table *conn;      /* connection rule (conn.h), or NULL */
    struct conn_cols conn_cols;
    struct conn_flow *conn_f;     /* per row, read before classifying */
    char (*conn_reason)[CONN_REASON_LEN];   /* per row, until written */
    struct conn_carry *conn_carry;  /* per row: what it took over */
    struct beacon *bcn;           /* beacon rule (beacon.h), or NULL */
    struct beacon_mark *bcn_mark; /* per row */
    char (*bcn_reason)[BEACON_REASON_LEN];  /* per row, until written */
    struct slow *slow;            /* slow-connection rule, or NULL */
    struct slow_mark *slow_mark;  /* per row */
    char (*slow_reason)[SLOW_REASON_LEN];   /* per row, until written */
    struct suppress *sup;         /* the operator's list, or NULL */
    uint8_t *made_by;             /* enum suppress_rule bits per row */
    uint64_t suppressed;          /* alerts an entry held back */
    /* "FILE:LINE" of the entry, for --all; room for any path open()
     * takes (4,095 bytes), so the line is never cut off. */
    char sup_at[4096 + 16];
    struct limit *lim;            /* rate limits (limit.h), or NULL */
    uint64_t *lim_held;           /* per entry; the last: --alert-limit */
    uint64_t limited;             /* alerts a limit held back */
    uint64_t lim_cli_seen;        /* alerts --alert-limit counted */
    uint64_t limit_records;       /* closing records written */
    size_t lim_cursor;            /* the sweep's place (limit_sweep) */
    double lim_now;               /* the latest alert's time */
    char lim_at[4096 + 16];       /* as sup_at, for fewflow.limited */
    struct alert_buf line;
    uint64_t *per_class;          /* n_classes + 2: unknown, unjudged */
    char *labels[MAX_LABELS];
    size_t n_labels;
    uint64_t *by_label;           /* MAX_LABELS × (n_classes + 2) */
    uint64_t flows, alerts;
    uint64_t unexplained;         /* alerts the explain budget skipped */
    double tokens, refill_s;      /* explain budget: a token bucket */
    double classify_s;
    uint64_t held_lone, held_cut; /* alerts the context rules withheld */
    struct progress bar;          /* files and CSVs; not a live capture */
    int show_bar;
    int stop_said;                /* the stop was logged */
    uint64_t label_overflow;      /* flows whose label found no room */
    uint64_t timeless;            /* flows with addresses, dated 0 */
};

/* The stderr summary: counts, per-class and per-label tables, and a
 * warning for anything that kept input from being judged. */
void detect_summary_text(const struct run *r,
                         const struct detector_input_stats *st, double secs);
/* Writes the --summary-json object; 0 or an error code. */
int detect_summary_json(const struct run *r,
                        const struct detector_input_stats *st, double secs);
/* Reads the run's suppression files, warning of an empty file and of a
 * class the model lacks; 0 or the error naming FILE:LINE:COLUMN. */
int detect_suppress_load(struct run *r);
/* Whether row i's alert is suppressed: counts it and marks its line. */
int detect_suppress_apply(struct run *r, size_t i);
/* The stderr lines and the summary JSON member (nothing without a
 * list). */
void detect_suppress_log(const struct run *r);
void detect_suppress_json(struct alert_buf *b, const struct run *r);
/* The entries of one kind (limit 0: suppression, 1: limits) that
 * matched alerts (hit 1) or none (hit 0), at most 20, on stderr. */
void detect_suppress_log_entries(const struct run *r, int limit, int hit);

/* The run's limit table when a list has limit entries or
 * --alert-limit is given; 0 or ERR_NOMEM. */
int detect_limit_init(struct run *r);
/* Whether row i's alert (not suppressed) is held back by a limit:
 * counts it and marks its line; writes the closing record of a window
 * that this ended first. 0 or an error code. */
int detect_limit_apply(struct run *r, size_t i, int *held);
/* After each batch: closing records of windows the latest alert's time
 * has ended, a bounded number of slots looked at per batch. */
int detect_limit_sweep(struct run *r);
/* At the end of the input: the closing records still due. */
int detect_limit_finish(struct run *r);
void detect_limit_log(const struct run *r);
void detect_limit_json(struct alert_buf *b, const struct run *r);
/* Row i's alert as the suppression and limit lists see it. */
void detect_suppress_alert(const struct run *r, size_t i,
                           struct suppress_alert *a);

/* Re-reads the --suppress files after a SIGHUP (detect_reload.c): the
 * old lists stay when the new ones do not parse; 0 or ERR_NOMEM. */
int detect_reload(struct run *r);
/* Opens the -o file again after a SIGHUP, between two lines, so that a
 * rotated file gets every line whole and the new one the lines after;
 * when it cannot be opened the lines go on to the old one (an error on
 * stderr). 0, or ERR_IO when the old file cannot be written. */
int detect_output_reopen(struct run *r);

/* ERR_PARSE naming the damage when an input was damaged, else 0. */
int detect_summary_damage(const struct detector_input_stats *st);

#endif
