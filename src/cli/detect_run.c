#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect_run.h"
#include "cli/detect_rules.h"
#include "fewflow/alert.h"
#include "fewflow/conn.h"
#include "fewflow/context.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/mhead.h"
#include "fewflow/log.h"
#include "fewflow/progress.h"
#include "fewflow/repeat.h"
#include "fewflow/slow.h"
#include "fewflow/support.h"

#define MAX_LABELS 64

void detect_run_opts_default(struct detect_run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->explain = 3;
    o->batch = 256;
    o->neutral = "default";
    o->min_support = SUPPORT_MIN_DEFAULT;
    o->hold_cut = 1;
    o->hold_lone = 1;
    o->lone_prefix[0] = CONTEXT_LONE_SRC4;
    o->lone_prefix[1] = CONTEXT_LONE_SRC6;
    o->lone_prefix[2] = CONTEXT_LONE_DST4;
    o->lone_prefix[3] = CONTEXT_LONE_DST6;
    o->repeats = 1;
    o->repeat_sessions = REPEAT_SESSIONS_DEFAULT;
    o->repeat_window_us = (uint64_t)(REPEAT_WINDOW_DEFAULT * 1e6);
    repeat_ports_parse(REPEAT_PORTS_DEFAULT, &o->repeat_ports);
    o->repeat_max_duration_s = REPEAT_MAX_DURATION_DEFAULT;
    o->connections = 1;
    o->beacons = 1;
    o->beacon_min = BEACON_MIN_DEFAULT;
    beacon_nets_parse(BEACON_LOCAL_DEFAULT, &o->beacon_local);
    o->slow = 1;
    o->slow_min = SLOW_MIN_DEFAULT;
    o->slow_min_duration_s = SLOW_MIN_DURATION_DEFAULT;
    o->slow_max_rate = SLOW_MAX_RATE_DEFAULT;
}

/* Flows wait here until a batch is full, a live source is idle, or the
 * input ends; then they are embedded together and their lines written. */
struct run {
    struct detector *d;
    struct detector_pool *pool;
    const struct detect_run_opts *o;
    FILE *out;
    size_t n, cap;
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
    struct beacon *bcn;           /* beacon rule (beacon.h), or NULL */
    struct beacon_mark *bcn_mark; /* per row */
    char (*bcn_reason)[BEACON_REASON_LEN];  /* per row, until written */
    struct slow *slow;            /* slow-connection rule, or NULL */
    struct slow_mark *slow_mark;  /* per row */
    char (*slow_reason)[SLOW_REASON_LEN];   /* per row, until written */
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
};

/* The context rules need the flow kind (TCP) and a few raw columns; a
 * model without them runs without the rules. */
static int run_init_context(struct run *r)
{
    const struct detector *d = r->d;
    const struct flow_config *fc = r->o->in.flow;
    double window = fc ? (double)fc->idle_timeout_us / 1e6
                       : CONTEXT_WINDOW_DEFAULT;
    if (d->support == NULL || !(r->o->hold_cut || r->o->hold_lone) ||
        !context_columns_present(d->col_names, d->n_in))
        return 0;
    r->ctx = context_create(d->col_names, d->n_in, window);
    if (r->ctx == NULL)
        return ERR_NOMEM;
    const unsigned *p = r->o->lone_prefix;
    int rc = context_set_lone_prefix(r->ctx, 0, p[0], p[1]);
    return rc ? rc : context_set_lone_prefix(r->ctx, 1, p[2], p[3]);
}

/* The repeated-session rule reads a few raw columns; a model without them
 * runs without it. */
static int run_init_repeat(struct run *r)
{
    const struct detector *d = r->d;
    if (!r->o->repeats || !repeat_columns_present(d->col_names, d->n_in))
        return 0;
    r->rep = repeat_create(d->col_names, d->n_in, r->o->repeat_sessions,
                           (double)r->o->repeat_window_us / 1e6);
    if (r->rep == NULL)
        return ERR_NOMEM;
    repeat_set_ports(r->rep, &r->o->repeat_ports);
    repeat_set_max_duration(r->rep, r->o->repeat_max_duration_s);
    return 0;
}

/* The connection rule reads the flag columns; a model without them runs
 * without it. */
static int run_init_conn(struct run *r)
{
    const struct detector *d = r->d;
    if (!r->o->connections ||
        !conn_cols_find(&r->conn_cols, d->col_names, d->n_in))
        return 0;
    r->conn_f = malloc(r->cap * sizeof(*r->conn_f));
    r->conn_reason = malloc(r->cap * sizeof(*r->conn_reason));
    if (r->conn_f == NULL || r->conn_reason == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    r->conn = conn_table_create(CONN_TIMEOUT_DEFAULT);
    return r->conn ? 0 : ERR_NOMEM;
}

static int run_init(struct run *r, struct detector *d,
                    const struct detect_run_opts *o, FILE *out)
{
    size_t b = o->batch, c = d->memo->n_classes + 2;
    memset(r, 0, sizeof(*r));
    r->d = d;
    r->o = o;
    r->out = out;
    r->cap = b;
    r->show_bar = o->in.iface == NULL;
    progress_init(&r->bar, "flows", 0);
    r->x = malloc(b * d->n_in * sizeof(float) + 1);
    r->z = malloc(b * d->dim * sizeof(float) + 1);
    r->ex_scratch = malloc(alert_explain_scratch(&d->enc) * sizeof(float));
    r->ids = malloc(b * sizeof(*r->ids));
    r->label_of = malloc(b * sizeof(int));
    r->dec = malloc(b * sizeof(*r->dec));
    r->kind = malloc(b);
    r->ctx_verdict = calloc(b, 1);
    r->rep_mark = calloc(b, sizeof(*r->rep_mark));
    r->rep_reason = malloc(b * sizeof(*r->rep_reason));
    r->bcn_mark = calloc(b, sizeof(*r->bcn_mark));
    r->bcn_reason = malloc(b * sizeof(*r->bcn_reason));
    r->slow_mark = calloc(b, sizeof(*r->slow_mark));
    r->slow_reason = malloc(b * sizeof(*r->slow_reason));
    r->per_class = calloc(c, sizeof(uint64_t));
    r->by_label = calloc(MAX_LABELS * c, sizeof(uint64_t));
    alert_buf_init(&r->line);
    if (!r->x || !r->z || !r->ex_scratch || !r->ids ||
        !r->label_of || !r->dec || !r->kind || !r->ctx_verdict ||
        !r->rep_mark || !r->rep_reason || !r->bcn_mark ||
        !r->bcn_reason || !r->slow_mark ||
        !r->slow_reason ||
        !r->per_class ||
        !r->by_label)
        return err_set(ERR_NOMEM, "out of memory");
    r->tokens = o->explain_rate;
    r->refill_s = progress_now_s();
    r->pool = detector_pool_create(d, o->threads ? o->threads
                                   : detector_threads_default(), b);
    if (r->pool == NULL)
        return err_last();
    int rc = run_init_context(r);
    if (rc == 0)
        rc = run_init_conn(r);
    if (rc == 0)
        rc = detect_rules_beacon_create(d, o, &r->bcn);
    if (rc == 0)
        rc = detect_slow_create(d, o, &r->slow);
    return rc == 0 ? run_init_repeat(r) : rc;
}

static void run_fini(struct run *r)
{
    free(r->x);
    free(r->z);
    free(r->ex_scratch);
    free(r->ids);
    free(r->label_of);
    free(r->dec);
    free(r->kind);
    free(r->ctx_verdict);
    context_destroy(r->ctx);
    free(r->rep_mark);
    free(r->rep_reason);
    repeat_destroy(r->rep);
    free(r->slow_mark);
    free(r->slow_reason);
    slow_destroy(r->slow);
    conn_table_destroy(r->conn);
    beacon_destroy(r->bcn);
    free(r->bcn_mark);
    free(r->bcn_reason);
    free(r->conn_f);
    free(r->conn_reason);
    free(r->per_class);
    free(r->by_label);
    detector_pool_destroy(r->pool);
    for (size_t i = 0; i < r->n_labels; i++)
        free(r->labels[i]);
    alert_buf_fini(&r->line);
}

static int label_index(struct run *r, const char *label)
{
    if (label == NULL)
        return -1;
    for (size_t i = 0; i < r->n_labels; i++) {
        if (strcmp(r->labels[i], label) == 0)
            return (int)i;
    }
    if (r->n_labels == MAX_LABELS) {
        r->label_overflow++;
        return -1;
    }
    r->labels[r->n_labels] = strdup(label);
    return r->labels[r->n_labels] ? (int)r->n_labels++ : -1;
}

static int is_alert(const struct memo *m, const struct memo_decision *d,
                    const struct alert_flow *id)
{
    if (id->unjudged)
        return 0;
    return d->cls < 0 || !(m->cls[d->cls].flags & MEMO_CLASS_BENIGN);
}

/* The flow-kind rules (support.h) over the memory's decision for row i. */
static void apply_support(struct run *r, size_t i)
{
    struct alert_flow *id = &r->ids[i];
    enum support_verdict v = support_check(r->d->support, r->d->memo,
                                           r->kind[i], &r->dec[i],
                                           r->o->min_support);
    if (v == SUPPORT_OK)
        return;
    id->reason = support_reason(v, r->kind[i]);
    if (v == SUPPORT_UNJUDGED)
        id->unjudged = 1;
    else
        r->dec[i].cls = -1;
}

/* The context rules (context.h), on the raw row in arrival order. */
static int8_t context_of(struct run *r, const float *x,
                         const struct alert_flow *id, int kind)
{
    if (r->ctx == NULL)
        return CONTEXT_OK;
    int tcp = kind >= 0 && kind / SUPPORT_SHAPES == SUPPORT_TCP;
    return (int8_t)context_check(r->ctx, x, id, tcp);
}

static int context_holds(const struct run *r, enum context_verdict v)
{
    return (v == CONTEXT_CUT && r->o->hold_cut) ||
           (v == CONTEXT_LONE_REFUSED && r->o->hold_lone) ||
           (v == CONTEXT_LONE_UNANSWERED && r->o->hold_lone);
}

/* Row i's context verdict with the whole batch noted; a lone flow that
 * would be withheld as an alert is counted (the lone limit, context.h)
 * before any line of the batch is written. */
static void context_note_batch(struct run *r, size_t i)
{
    struct alert_flow *id = &r->ids[i];
    enum context_verdict v = (enum context_verdict)r->ctx_verdict[i];
    if (r->ctx == NULL)
        return;
    v = context_recheck(r->ctx, id, v);
    r->ctx_verdict[i] = (int8_t)v;
    if (!id->unjudged && context_holds(r, v) &&
        is_alert(r->d->memo, &r->dec[i], id))
        context_lone_note(r->ctx, id, v);
}

/* An alert the flow alone cannot support becomes an unjudged line with
 * the reason. */
static void apply_context(struct run *r, size_t i)
{
    struct alert_flow *id = &r->ids[i];
    enum context_verdict v = (enum context_verdict)r->ctx_verdict[i];
    if (id->unjudged || r->ctx == NULL)
        return;
    v = context_lone_limit(r->ctx, id, v);
    if (!context_holds(r, v) || !is_alert(r->d->memo, &r->dec[i], id))
        return;
    id->unjudged = 1;
    id->reason = context_reason(v);
    if (v == CONTEXT_CUT)
        r->held_cut++;
    else
        r->held_lone++;
}

/* A benign verdict in a run of repeated sessions (repeat.h) becomes an
 * unknown alert with the reason. */
static void apply_repeat(struct run *r, size_t i)
{
    struct alert_flow *id = &r->ids[i];
    if (r->rep == NULL || id->unjudged)
        return;
    int benign = !is_alert(r->d->memo, &r->dec[i], id);
    if (!repeat_judge(r->rep, &r->rep_mark[i], benign, r->rep_reason[i]))
        return;
    r->dec[i].cls = -1;
    id->reason = r->rep_reason[i];
    id->repeated = 1;
}

/* A session of a beacon series (beacon.h). */
static void apply_beacon(struct run *r, size_t i)
{
    if (r->bcn != NULL && !r->ids[i].unjudged)
        detect_rules_beacon_apply(r->bcn, &r->bcn_mark[i],
                                  is_alert(r->d->memo, &r->dec[i], &r->ids[i]),
                                  r->bcn_reason[i], &r->ids[i],
                                  &r->dec[i].cls);
}

/* A benign slow flow of a client holding many slow connections to one
 * service (slow.h) becomes an unknown alert with the reason. */
static void apply_slow(struct run *r, size_t i)
{
    if (r->slow != NULL && !r->ids[i].unjudged)
        detect_slow_apply(r->slow, &r->slow_mark[i],
                          is_alert(r->d->memo, &r->dec[i], &r->ids[i]),
                          r->slow_reason[i], &r->ids[i], &r->dec[i].cls);
}

/* A flow that continues a TCP connection decided non-benign keeps that
 * verdict (conn.h); a withheld (unjudged) flow is left as it is. */
static void apply_conn(struct run *r, size_t i)
{
    struct alert_flow *id = &r->ids[i];
    if (r->conn == NULL || id->unjudged)
        return;
    if (conn_table_judge(r->conn, r->d->memo, &r->conn_f[i], id->flow_id,
                         &r->dec[i].cls, r->conn_reason[i]))
        id->reason = r->conn_reason[i];
}

/* One explanation's worth of budget, refilled at explain_rate per second
 * up to one second's worth. */
static int explain_budget_take(struct run *r)
{
    double rate = r->o->explain_rate;
    if (rate <= 0)
        return 1;
    double now = progress_now_s();
    r->tokens += (now - r->refill_s) * rate;
    r->tokens = r->tokens < rate ? r->tokens : rate;
    r->refill_s = now;
    if (r->tokens >= 1) {
        r->tokens -= 1;
        return 1;
    }
    r->unexplained++;
    return 0;
}

static int emit(struct run *r, size_t i)
{
    struct alert_explain ex;
    const float *x = r->x + i * r->d->n_in;
    int rc = 0;
    int explain = r->o->explain > 0 && !r->ids[i].unjudged &&
                  explain_budget_take(r);

    if (explain)
        rc = alert_explain(&r->d->enc, r->d->memo, x, &r->dec[i],
                           r->o->explain, r->ex_scratch, &ex);
    if (rc != 0)
        return rc;
    alert_buf_reset(&r->line);
    alert_format(&r->line, &r->ids[i], r->d->memo, &r->dec[i],
                 explain ? &ex : NULL, &r->d->enc);
    if (r->line.failed)
        return err_set(ERR_NOMEM, "out of memory");
    fwrite(r->line.data, 1, r->line.len, r->out);
    return 0;
}

static int flush(struct run *r)
{
    size_t c = r->d->memo->n_classes;
    double t0 = progress_now_s();
    int rc = detector_pool_classify(r->pool, r->x, r->n, r->z, r->dec);
    if (rc != 0)
        return rc;
    for (size_t i = 0; r->d->head != NULL && i < r->n; i++)
        mhead_choose(r->d->head, r->d->memo, r->z + i * r->d->dim,
                     &r->dec[i]);
    r->classify_s += progress_now_s() - t0;
    for (size_t i = 0; i < r->n; i++) {
        apply_support(r, i);
        context_note_batch(r, i);
    }
    for (size_t i = 0; rc == 0 && i < r->n; i++) {
        apply_context(r, i);
        apply_repeat(r, i);
        apply_beacon(r, i);
        apply_slow(r, i);
        apply_conn(r, i);
        size_t k = r->ids[i].unjudged ? c + 1
                   : r->dec[i].cls < 0 ? c : (size_t)r->dec[i].cls;
        int alert = is_alert(r->d->memo, &r->dec[i], &r->ids[i]);
        r->per_class[k]++;
        if (r->label_of[i] >= 0)
            r->by_label[(size_t)r->label_of[i] * (c + 2) + k]++;
        r->alerts += alert;
        if (alert || r->ids[i].unjudged || r->o->all)
            rc = emit(r, i);
    }
    r->flows += r->n;
    r->n = 0;
    if ((fflush(r->out) != 0 || ferror(r->out)) && rc == 0)
        rc = err_set(ERR_IO, "standard output: cannot write the alerts: %s",
                     strerror(errno));
    if (r->show_bar) {
        char extra[48];
        snprintf(extra, sizeof(extra), "%llu alerts",
                 (unsigned long long)r->alerts);
        progress_update(&r->bar, r->flows, extra);
    }
    return rc;
}

static int on_flow(const struct detector_flow *f, void *user)
{
    struct run *r = user;
    if (f == NULL)
        return flush(r);
    /* Classifying and explaining a full flow table can take a while after
     * Ctrl-C; the user should know why, and how to quit at once. */
    if (!r->stop_said && r->o->in.stop != NULL && *r->o->in.stop) {
        r->stop_said = 1;
        log_info("detect", "stopping: classifying the flows still open "
                 "(signal again to quit at once, without a summary)");
    }
    memcpy(r->x + r->n * r->d->n_in, f->x, r->d->n_in * sizeof(float));
    r->ids[r->n] = f->id;
    r->kind[r->n] = (int8_t)(r->d->support
                             ? support_kind(r->d->support, f->x) : -1);
    r->ctx_verdict[r->n] = context_of(r, f->x, &f->id, r->kind[r->n]);
    if (r->rep != NULL)
        r->rep_mark[r->n] = repeat_note(r->rep, f->x, &f->id,
                                        f->id.proto == 6);
    if (r->bcn != NULL)
        beacon_note(r->bcn, f->x, &f->id, &r->bcn_mark[r->n]);
    if (r->slow != NULL)
        r->slow_mark[r->n] = slow_note(r->slow, f->x, &f->id,
                                       f->id.proto == 6);
    if (r->conn != NULL)
        conn_flow_make(&r->conn_cols, f->x, &f->id, &r->conn_f[r->n]);
    r->label_of[r->n] = label_index(r, f->label);
    return ++r->n == r->cap ? flush(r) : 0;
}

static const char *class_name(const struct run *r, size_t k)
{
    size_t c = r->d->memo->n_classes;
    return k < c ? r->d->memo->cls[k].name : k == c ? "unknown" : "unjudged";
}

/* CSV rows with a field detect could not use, by count and first place. */
static void warn_rows(uint64_t n, const char *what, const char *first)
{
    char buf[256];
    if (n > 0)
        log_warn("detect", "%llu CSV row(s) %s (first: %s)",
                 (unsigned long long)n, what,
                 cli_printable(first, buf, sizeof(buf)));
}

/* Rows or packets detect could not fully use, or flows the meter had to
 * cut short, would otherwise leave "0 alerts" reading as clean traffic. */
static void input_warnings(const struct detector_input_stats *st)
{
    warn_rows(st->untimed_rows, "had no readable timestamp and are dated "
              "1970-01-01", st->untimed_first);
    warn_rows(st->unaddressed_rows, "had an address that is not IPv4/IPv6 "
              "text, left out of their alerts", st->unaddressed_first);
    if (st->unsupported > 0)
        log_warn("detect", "%llu packets of unsupported link type %u (first "
                 "seen) were skipped, not classified",
                 (unsigned long long)st->unsupported,
                 (unsigned)st->unsupported_linktype);
    if (st->evicted > 0)
        log_warn("detect", "%llu flows were ended early because the flow "
                 "table was full; their features may be partial (raise "
                 "--max-flows)", (unsigned long long)st->evicted);
    if (st->clock_steps > 0)
        log_warn("detect", "the capture clock went back by more than the "
                 "idle timeout %llu time(s): the flows open then were "
                 "ended there", (unsigned long long)st->clock_steps);
}

/* Withheld alerts are counted as unjudged; when lone flows are most of
 * the traffic and outnumber the alerts raised, "0 alerts" must not read
 * as a clean capture (a probe spread over many sources and targets is
 * all lone flows). Connections cut by the end of a capture are only
 * noted: that is where a capture stops, not what an attacker chooses.
 * A damaged input gets its one-line error instead. */
static void held_note(const struct run *r,
                      const struct detector_input_stats *st)
{
    uint64_t held = r->held_lone + r->held_cut;
    uint64_t ev = r->ctx ? context_lone_evicted(r->ctx) : 0;
    if (ev > 0)
        log_info("detect", "lone limit: %llu network counts pushed out of "
                 "its full table; their later lone flows were withheld "
                 "again", (unsigned long long)ev);
    if (held == 0)
        return;
    int warn = r->held_lone > r->alerts && 2 * r->held_lone >= r->flows &&
               st->damaged_inputs == 0;
    LOG_AT(warn ? LOG_WARN : LOG_INFO, "detect",
           "%llu alerts withheld as unjudged: %llu lone flows "
           "(--judge-lone to raise them), %llu connections cut by the end "
           "of the input (--judge-cut)", (unsigned long long)held,
           (unsigned long long)r->held_lone,
           (unsigned long long)r->held_cut);
}

static void conn_summary_text(const struct run *r)
{
    struct conn_totals t;
    if (r->conn == NULL)
        return;
    conn_table_totals(r->conn, &t);
    if (t.linked > 0)
        log_info("detect", "connections: %llu flows continue a connection "
                 "decided non-benign, %llu of them took its class "
                 "(--judge-continuations to judge them alone)",
                 (unsigned long long)t.linked,
                 (unsigned long long)t.continued);
    /* Input out of time order loses links without a word otherwise. */
    if (t.before_head > 0 || t.out_of_order > 0)
        log_warn("detect", "connections: %llu flows came before the flow "
                 "whose connection they continue and %llu were older than "
                 "their connection's last flow read (input not in time "
                 "order?): judged alone; sort a CSV by Timestamp to link "
                 "them", (unsigned long long)t.before_head,
                 (unsigned long long)t.out_of_order);
    /* A flood of alerting flows fills the table by design; most of them
     * have no later part, so this is a note, not a warning. */
    if (t.replaced > 0)
        log_info("detect", "connections: %llu tracked connections were "
                 "pushed out of the full table (%d entries) by newer ones; "
                 "a later flow of one of them is judged alone",
                 (unsigned long long)t.replaced, CONN_SLOTS);
}

static void summary_text(const struct run *r,
                         const struct detector_input_stats *st, double secs)
{
    size_t c = r->d->memo->n_classes;
    log_info("detect", "%llu packets, %llu flows, %llu alerts (%.1f%%) "
             "in %.2f s; classification %.0f flows/s",
             (unsigned long long)st->packets, (unsigned long long)r->flows,
             (unsigned long long)r->alerts,
             r->flows ? 100.0 * (double)r->alerts / (double)r->flows : 0.0,
             secs, r->classify_s > 0 ? (double)r->flows / r->classify_s : 0);
    input_warnings(st);
    /* Ctrl-C is how a live capture ends; a file or CSV cut short by a
     * signal must not read as the whole of it. */
    if (st->interrupted && r->o->in.iface == NULL)
        log_warn("detect", "stopped by a signal before the end of the "
                 "input: the flows up to there were classified, the rest "
                 "was not read");
    held_note(r, st);
    detect_rules_repeat_log(r->rep, r->o->repeat_sessions);
    detect_rules_beacon_log(r->bcn);
    conn_summary_text(r);
    detect_slow_log(r->slow, r->o->slow_min);
    /* The label table is fixed; a CSV with more labels must not read as
     * if its rows were all counted there. */
    if (r->label_overflow > 0)
        log_warn("detect", "%llu flows carry labels beyond the first %d and "
                 "are left out of the label table", (unsigned long long)
                 r->label_overflow, MAX_LABELS);
    if (r->unexplained > 0)
        log_warn("detect", "%llu alerts were written without an explanation "
                 "to keep up (--explain-rate %.0f/s)",
                 (unsigned long long)r->unexplained, r->o->explain_rate);
    char a[256], b[256];
    for (size_t k = 0; k <= c + 1; k++) {
        if (r->per_class[k])
            log_info("detect", "  %-24s %llu",
                     cli_printable(class_name(r, k), a, sizeof(a)),
                     (unsigned long long)r->per_class[k]);
    }
    for (size_t l = 0; l < r->n_labels; l++) {
        for (size_t k = 0; k <= c + 1; k++) {
            uint64_t v = r->by_label[l * (c + 2) + k];
            if (v)
                log_info("detect", "  label %s -> %s: %llu",
                         cli_printable(r->labels[l], a, sizeof(a)),
                         cli_printable(class_name(r, k), b, sizeof(b)),
                         (unsigned long long)v);
        }
    }
}

/* A damaged capture still had its flows up to the damage classified, but
 * the run did not see all the traffic: that is an error, not a warning. */
static int damage_error(const struct detector_input_stats *st)
{
    if (st->damaged_inputs == 0)
        return 0;
    if (st->damaged_inputs == 1)
        return err_set(ERR_PARSE, "%s (alerts up to there were written)",
                       st->damage);
    return err_set(ERR_PARSE, "%s (and %llu more damaged inputs; alerts up "
                   "to there were written)", st->damage,
                   (unsigned long long)st->damaged_inputs - 1);
}

static void json_counts(struct alert_buf *b, const struct run *r,
                        const uint64_t *v)
{
    size_t c = r->d->memo->n_classes;
    int first = 1;
    alert_buf_raw(b, "{", 1);
    for (size_t k = 0; k <= c + 1; k++) {
        if (v[k] == 0)
            continue;
        alert_buf_raw(b, first ? "" : ",", first ? 0 : 1);
        alert_buf_json_str(b, class_name(r, k));
        alert_buf_printf(b, ":%llu", (unsigned long long)v[k]);
        first = 0;
    }
    alert_buf_raw(b, "}", 1);
}

/* Written in place, not through a renamed temporary: the path may well
 * be /dev/stdout or a symlink, which a rename would replace. */
static int write_summary(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return err_set(ERR_IO, "%s: cannot create: %s", path,
                       strerror(errno));
    int ok = fwrite(data, 1, len, f) == len;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    return ok ? 0 : err_set(ERR_IO, "%s: cannot write the summary: %s",
                            path, strerror(e));
}

static int summary_json(const struct run *r,
                        const struct detector_input_stats *st, double secs)
{
    struct alert_buf b;
    size_t c = r->d->memo->n_classes;
    alert_buf_init(&b);
    alert_buf_printf(&b, "{\"packets\":%llu,\"flows\":%llu,\"alerts\":%llu,"
                     "\"seconds\":%.6f,\"classify_seconds\":%.6f,"
                     "\"max_active_flows\":%llu,\"unexplained\":%llu,"
                     "\"unsupported_packets\":%llu,\"evicted_flows\":%llu,"
                     "\"withheld_lone\":%llu,\"withheld_cut\":%llu,"
                     "\"lone_evicted\":%llu,"
                     "\"untimed_rows\":%llu,\"unaddressed_rows\":%llu,"
                     "\"clock_steps\":%llu,\"interrupted\":%s,"
                     "\"decided\":",
                     (unsigned long long)st->packets,
                     (unsigned long long)r->flows,
                     (unsigned long long)r->alerts, secs, r->classify_s,
                     (unsigned long long)st->max_active,
                     (unsigned long long)r->unexplained,
                     (unsigned long long)st->unsupported,
                     (unsigned long long)st->evicted,
                     (unsigned long long)r->held_lone,
                     (unsigned long long)r->held_cut,
                     (unsigned long long)(r->ctx ? context_lone_evicted(r->ctx)
                                                 : 0),
                     (unsigned long long)st->untimed_rows,
                     (unsigned long long)st->unaddressed_rows,
                     (unsigned long long)st->clock_steps,
                     st->interrupted ? "true" : "false");
    json_counts(&b, r, r->per_class);
    struct repeat_totals t = { 0, 0, 0 };
    if (r->rep != NULL)
        repeat_totals_get(r->rep, &t);
    alert_buf_printf(&b, ",\"repeated\":{\"runs\":%llu,\"escalated\":%llu,"
                     "\"benign_before\":%llu}", (unsigned long long)t.runs,
                     (unsigned long long)t.escalated,
                     (unsigned long long)t.benign_before);
    detect_rules_beacon_json(&b, r->bcn);
    struct conn_totals ct;
    memset(&ct, 0, sizeof(ct));
    if (r->conn != NULL)
        conn_table_totals(r->conn, &ct);
    alert_buf_printf(&b, ",\"continued\":%llu,\"connections\":{\"rule\":%s,"
                     "\"linked\":%llu,\"replaced\":%llu,\"out_of_order\":"
                     "%llu,\"before_head\":%llu}",
                     (unsigned long long)ct.continued,
                     r->conn ? "true" : "false",
                     (unsigned long long)ct.linked,
                     (unsigned long long)ct.replaced,
                     (unsigned long long)ct.out_of_order,
                     (unsigned long long)ct.before_head);
    detect_slow_json(&b, r->slow);
    alert_buf_raw(&b, ",\"by_label\":{", 13);
    for (size_t l = 0; l < r->n_labels; l++) {
        alert_buf_raw(&b, l ? "," : "", l ? 1 : 0);
        alert_buf_json_str(&b, r->labels[l]);
        alert_buf_raw(&b, ":", 1);
        json_counts(&b, r, r->by_label + l * (c + 2));
    }
    alert_buf_raw(&b, "}}\n", 3);
    int rc = b.failed ? err_set(ERR_NOMEM, "out of memory")
                      : write_summary(r->o->summary_json, b.data, b.len);
    alert_buf_fini(&b);
    return rc;
}

/* A class memory emptied by forget judges nothing: every flow came out
 * 'unjudged' and the run reported 0 alerts as if the traffic were clean.
 * Without a benign class only the kinds of flow the remaining classes
 * learnt are judged, and all of those alert. */
static int memory_check(const struct detector *d, const char *path)
{
    if (d->memo->n_classes == 0)
        return err_set(ERR_INVALID, "%s: the class memory has no class, so "
                       "no flow can be judged (enrol a class or train "
                       "again)", path);
    if (memo_benign_count(d->memo) == 0)
        log_warn("detect", "%s has no benign class: flows of the kinds its "
                 "classes learnt alert, other flows are unjudged", path);
    return 0;
}

/* A summary path that cannot be written was found only when the run
 * ended: after a day of live capture the summary was lost and the run
 * failed. Opened for append (no truncation) to fail before any work. */
static int summary_path_check(const char *path)
{
    FILE *f = path != NULL ? fopen(path, "a") : NULL;
    if (path != NULL && f == NULL)
        return err_set(ERR_IO, "%s: cannot create: %s", path,
                       strerror(errno));
    if (f != NULL)
        fclose(f);
    return 0;
}

int detect_run(struct detect_run_opts *o, FILE *out)
{
    struct detector_input_stats st;
    struct run r;
    struct detector *d = detector_load(o->model, 1);
    if (d == NULL)
        return cli_fail(err_last());

    memset(&r, 0, sizeof(r));
    o->in.captures = o->captures;
    o->in.n_captures = o->n_captures;
    o->in.csvs = o->csvs;
    o->in.n_csvs = o->n_csvs;
    double t0 = progress_now_s();
    size_t n_neutral = 0;
    int rc = summary_path_check(o->summary_json);
    if (rc == 0)
        rc = memory_check(d, o->model);
    if (rc == 0)
        rc = detector_set_neutral(d, o->neutral, &n_neutral);
    if (rc == 0 && n_neutral > 0 && (o->n_captures || o->in.iface))
        log_info("detect", "%zu model column(s) that the flow meter computes "
                 "differently from the training CSV are left at their "
                 "training mean (--neutral)", n_neutral);
    if (!o->explain_rate_set)
        o->explain_rate = o->in.iface ? DETECT_LIVE_EXPLAIN_RATE : 0;
    if (rc == 0)
        rc = run_init(&r, d, o, out);
    if (rc == 0)
        rc = detector_read_flows(d, &o->in, on_flow, &r, &st);
    if (rc == 0)
        rc = flush(&r);
    double secs = progress_now_s() - t0;
    if (r.show_bar)
        progress_finish(&r.bar);
    if (rc == 0)
        summary_text(&r, &st, secs);
    if (rc == 0 && o->summary_json != NULL)
        rc = summary_json(&r, &st, secs);
    if (rc == 0)
        rc = damage_error(&st);
    run_fini(&r);
    detector_destroy(d);
    return rc == 0 ? 0 : cli_fail(rc);
}
