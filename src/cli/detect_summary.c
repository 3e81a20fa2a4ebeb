#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect_rules.h"
#include "cli/detect_run_impl.h"
#include "fewflow/context.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

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
              "1970-01-01; the beacon, slow, repeated-session, "
              "connection and lone rules leave them out",
              st->untimed_first);
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

/* An alert's distance and radius are in the memory's space; read beside
 * those of a model whose memory is in the embedding they mislead. The
 * default space is not named, so that output stays as it was. */
static void space_note(const struct memo *m)
{
    if (m->space != MEMO_SPACE_Z)
        log_info("detect", "class memory in space %s (%u wide): the alerts' "
                 "distances and radii are in that space",
                 memo_space_name((enum memo_space)m->space), m->dim);
}

void detect_summary_text(const struct run *r,
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
    /* A CSV without a Timestamp column has no row to count above, and
     * its rows are kept out of the time-based rules too. */
    if (r->timeless > st->untimed_rows)
        log_warn("detect", "%llu flows with addresses but no time (a CSV "
                 "without a Timestamp column?) are left out of the beacon, "
                 "slow, repeated-session, connection and lone rules",
                 (unsigned long long)(r->timeless - st->untimed_rows));
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
    detect_suppress_log(r);
    detect_limit_log(r);
    space_note(r->d->memo);
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
int detect_summary_damage(const struct detector_input_stats *st)
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

int detect_summary_json(const struct run *r,
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
    detect_suppress_json(&b, r);
    detect_limit_json(&b, r);
    if (r->d->memo->space != MEMO_SPACE_Z)
        alert_buf_printf(&b, ",\"memory_space\":\"%s\"",
                         memo_space_name((enum memo_space)r->d->memo->space));
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
