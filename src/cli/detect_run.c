#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect_run.h"
#include "cli/detect_rules.h"
#include "cli/detect_run_impl.h"
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
    o->limit_keys = LIMIT_KEYS_DEFAULT;
}


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
    r->conn_carry = calloc(r->cap, sizeof(*r->conn_carry));
    if (r->conn_f == NULL || r->conn_reason == NULL || r->conn_carry == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    r->conn = conn_table_create(CONN_TIMEOUT_DEFAULT);
    return r->conn ? 0 : ERR_NOMEM;
}

static int run_init(struct run *r, struct detector *d,
                    const struct detect_run_opts *o, FILE *out)
{
    size_t b = DETECT_BLOCK, c = d->memo->n_classes + 2;
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
    r->made_by = calloc(b, 1);
    r->per_class = calloc(c, sizeof(uint64_t));
    r->by_label = calloc(MAX_LABELS * c, sizeof(uint64_t));
    alert_buf_init(&r->line);
    if (!r->x || !r->z || !r->ex_scratch || !r->ids ||
        !r->label_of || !r->dec || !r->kind || !r->ctx_verdict ||
        !r->rep_mark || !r->rep_reason || !r->bcn_mark ||
        !r->bcn_reason || !r->slow_mark ||
        !r->slow_reason || !r->made_by ||
        !r->per_class ||
        !r->by_label)
        return err_set(ERR_NOMEM, "out of memory");
    r->tokens = o->explain_rate;
    r->refill_s = progress_now_s();
    r->piece = o->batch > 0 && o->batch < b ? o->batch : b;
    r->pool = detector_pool_create(d, o->threads ? o->threads
                                   : detector_threads_default(), r->piece);
    if (r->pool == NULL)
        return err_last();
    int rc = run_init_context(r);
    if (rc == 0)
        rc = run_init_conn(r);
    if (rc == 0)
        rc = detect_rules_beacon_create(d, o, &r->bcn);
    if (rc == 0)
        rc = detect_slow_create(d, o, &r->slow);
    if (rc == 0)
        rc = detect_suppress_load(r);
    if (rc == 0)
        rc = detect_limit_init(r);
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
    free(r->made_by);
    suppress_destroy(r->sup);
    limit_destroy(r->lim);
    free(r->lim_held);
    slow_destroy(r->slow);
    conn_table_destroy(r->conn);
    beacon_destroy(r->bcn);
    free(r->bcn_mark);
    free(r->bcn_reason);
    free(r->conn_f);
    free(r->conn_reason);
    free(r->conn_carry);
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
    enum context_verdict held = v;
    v = context_lone_limit(r->ctx, id, v);
    if (v != held && context_holds(r, held))
        r->made_by[i] |= SUPPRESS_RULE_LONE;
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
    if (r->conn == NULL)
        return;
    memset(&r->conn_carry[i], 0, sizeof(r->conn_carry[i]));
    if (id->unjudged)
        return;
    if (conn_table_judge_carry(r->conn, r->d->memo, &r->conn_f[i],
                               id->flow_id, &r->dec[i].cls,
                               r->conn_reason[i], &r->conn_carry[i])) {
        id->reason = r->conn_reason[i];
        r->made_by[i] |= SUPPRESS_RULE_CONN;
    }
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

static const char *out_name(const struct detect_run_opts *o)
{
    return o->output != NULL ? o->output : "standard output";
}

static int flush(struct run *r)
{
    size_t c = r->d->memo->n_classes;
    double t0 = progress_now_s();
    int rc = 0;
    if (r->o->reload != NULL && *r->o->reload) {
        *r->o->reload = 0;
        if (r->o->n_suppress > 0)
            rc = detect_reload(r);
        if (rc == 0 && r->o->output != NULL)
            rc = detect_output_reopen(r);
    }
    for (size_t at = 0; at < r->n && rc == 0; at += r->piece) {
        size_t k = r->n - at < r->piece ? r->n - at : r->piece;
        rc = detector_pool_classify(r->pool, r->x + at * r->d->n_in, k,
                                    r->z + at * r->d->dim, r->dec + at);
    }
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
        int held = alert && detect_suppress_apply(r, i);
        int limited = 0;
        r->ids[i].limited = NULL;
        if (alert && !held)
            rc = detect_limit_apply(r, i, &limited);
        r->per_class[k]++;
        if (r->label_of[i] >= 0)
            r->by_label[(size_t)r->label_of[i] * (c + 2) + k]++;
        r->alerts += alert && !held && !limited;
        if (rc == 0 && ((alert && !held && !limited) ||
                        r->ids[i].unjudged || r->o->all))
            rc = emit(r, i);
    }
    if (rc == 0)
        rc = detect_limit_sweep(r);
    r->flows += r->n;
    r->n = 0;
    if ((fflush(r->out) != 0 || ferror(r->out)) && rc == 0)
        rc = err_set(ERR_IO, "%s: cannot write the alerts: %s",
                     out_name(r->o), strerror(errno));
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
    r->ids[r->n].community_seed = r->o->community_seed;
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
    r->made_by[r->n] = 0;
    r->timeless += f->id.src_ip[0] != '\0' && f->id.dest_ip[0] != '\0' &&
                   !(f->id.first_s > 0);
    return ++r->n == r->cap ? flush(r) : 0;
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

/* -o or --summary-json naming the model, a capture, a CSV or a
 * suppression file would append alerts to what is being read, or replace
 * it with the summary; the two outputs must differ too. */
static int output_not_input(const struct detect_run_opts *o)
{
    const char *outs[2] = { o->output, o->summary_json };
    const char *model = o->model;
    int rc = cli_output_is_input(o->summary_json, &outs[0], 1);
    for (int k = 0; k < 2 && rc == 0; k++) {
        rc = cli_output_is_input(outs[k], &model, 1);
        if (rc == 0)
            rc = cli_output_is_input(outs[k], o->captures, o->n_captures);
        if (rc == 0)
            rc = cli_output_is_input(outs[k], o->csvs, o->n_csvs);
        if (rc == 0)
            rc = cli_output_is_input(outs[k], o->suppress, o->n_suppress);
    }
    return rc;
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
        rc = output_not_input(o);
    if (rc == 0 && o->output != NULL) {
        out = detect_output_open(o->output);
        rc = out != NULL ? 0 : ERR_IO;
    }
    if (rc == 0)
        rc = memory_check(d, o->model);
    if (rc == 0)
        cli_warn_name_clash("detect", d->memo, o->model);
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
    if (rc == 0)
        rc = detect_limit_finish(&r);
    if (r.out != NULL)
        out = r.out;
    if (rc == 0 && out != NULL && (fflush(out) != 0 || ferror(out)))
        rc = err_set(ERR_IO, "%s: cannot write the alerts: %s",
                     out_name(o), strerror(errno));
    if (o->output != NULL && out != NULL && fclose(out) != 0 && rc == 0)
        rc = err_set(ERR_IO, "%s: cannot write the alerts: %s", o->output,
                     strerror(errno));
    double secs = progress_now_s() - t0;
    if (r.show_bar)
        progress_finish(&r.bar);
    if (rc == 0)
        detect_summary_text(&r, &st, secs);
    if (rc == 0 && o->summary_json != NULL)
        rc = detect_summary_json(&r, &st, secs);
    if (rc == 0)
        rc = detect_summary_damage(&st);
    run_fini(&r);
    detector_destroy(d);
    return rc == 0 ? 0 : cli_fail(rc);
}
