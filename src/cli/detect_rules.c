#include <stdio.h>

#include "cli/cli.h"
#include "cli/detect_rules.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/log.h"

int detect_rules_beacon_create(const struct detector *d,
                               const struct detect_run_opts *o,
                               struct beacon **out)
{
    const struct flow_config *fc = o->in.flow;
    *out = NULL;
    if (!o->beacons || !beacon_columns_present(d->col_names, d->n_in))
        return 0;
    *out = beacon_create(d->col_names, d->n_in, o->beacon_min,
                         fc ? (double)fc->idle_timeout_us / 1e6 : 120);
    if (*out == NULL)
        return ERR_NOMEM;
    beacon_set_scope(*out, &o->beacon_local, o->beacon_any_dest);
    beacon_set_max_clients(*out, o->beacon_max_clients);
    return 0;
}

void detect_rules_beacon_apply(struct beacon *b, const struct beacon_mark *m,
                               int alert, char *reason, struct alert_flow *id,
                               int32_t *cls)
{
    if (!m->decided)
        return;
    beacon_judge(b, m, id, reason);
    id->beacon = &m->info;
    if (!alert)
        *cls = -1;
    if (!alert || id->reason == NULL)
        id->reason = reason;
}

/* Runs of repeated sessions and beacon series, for the stderr summary:
 * the first few still in the table by name, then the totals. */
#define RULES_LOG_MAX 8

static void repeat_log(const struct repeat_run *run, void *user)
{
    size_t *n = user;
    char a[64], to[80], b[80];
    alert_format_endpoint(run->dest_ip, run->dest_port, to, sizeof(to));
    if ((*n)++ < RULES_LOG_MAX)
        log_info("detect", "repeated sessions: %llu from %s to %s in %.0f s; "
                 "%llu reported unknown, %llu written as benign before the "
                 "count was reached", (unsigned long long)run->sessions,
                 cli_printable(run->src_ip, a, sizeof(a)),
                 cli_printable(to, b, sizeof(b)), run->span_s,
                 (unsigned long long)run->escalated,
                 (unsigned long long)run->benign_before);
}

void detect_rules_repeat_log(const struct repeat *rep, uint32_t sessions)
{
    size_t n = 0;
    struct repeat_totals all;
    if (rep == NULL)
        return;
    repeat_runs(rep, repeat_log, &n);
    repeat_totals_get(rep, &all);
    if (all.runs > n || n > RULES_LOG_MAX)
        log_info("detect", "repeated sessions: %llu runs in all, %llu "
                 "flows reported unknown", (unsigned long long)all.runs,
                 (unsigned long long)all.escalated);
    if (all.benign_before > 0)
        log_warn("detect", "%llu flow(s) of repeated runs were written as "
                 "benign before their run reached %u sessions",
                 (unsigned long long)all.benign_before, (unsigned)sessions);
}

static void beacon_log(const struct beacon_series *s, void *user)
{
    size_t *n = user;
    char a[64], to[80], b[80], proto[8];
    alert_format_endpoint(s->dest_ip, s->dest_port, to, sizeof(to));
    if ((*n)++ < RULES_LOG_MAX)
        log_info("detect", "beacon: %s to %s/%s, %llu sessions every %.3g s "
                 "\xc2\xb1 %.3g s; %llu alerts, %llu sessions before the "
                 "decision", cli_printable(s->src_ip, a, sizeof(a)),
                 cli_printable(to, b, sizeof(b)),
                 alert_proto_name(s->proto, proto, sizeof(proto)),
                 (unsigned long long)s->sessions, s->period_s, s->jitter_s,
                 (unsigned long long)s->alerts,
                 (unsigned long long)s->before);
}

void detect_rules_beacon_log(const struct beacon *b)
{
    size_t n = 0;
    struct beacon_totals t;
    if (b == NULL)
        return;
    beacon_series_each(b, beacon_log, &n);
    beacon_totals_get(b, &t);
    if (t.series > n || n > RULES_LOG_MAX)
        log_info("detect", "beacons: %llu series in all, %llu alerts, %llu "
                 "sessions before their decision",
                 (unsigned long long)t.series, (unsigned long long)t.alerts,
                 (unsigned long long)t.before);
    if (t.popular > 0)
        log_info("detect", "beacons: %llu sessions of regular series not "
                 "reported: their server had more clients than "
                 "--beacon-max-clients", (unsigned long long)t.popular);
    /* A full table loses context, never memory; a flood of one-off
     * pairs is what fills it, and the reader should know. */
    if (t.evicted > 0)
        log_info("detect", "beacons: %llu series pushed out of the full "
                 "table (%d series)", (unsigned long long)t.evicted,
                 BEACON_SLOTS);
}

void detect_rules_beacon_json(struct alert_buf *buf, const struct beacon *b)
{
    struct beacon_totals t = { 0, 0, 0, 0, 0 };
    if (b != NULL)
        beacon_totals_get(b, &t);
    alert_buf_printf(buf, ",\"beacons\":{\"rule\":%s,\"series\":%llu,"
                     "\"reported\":%llu,\"before\":%llu,\"evicted\":%llu,"
                     "\"popular\":%llu}",
                     b != NULL ? "true" : "false",
                     (unsigned long long)t.series,
                     (unsigned long long)t.alerts,
                     (unsigned long long)t.before,
                     (unsigned long long)t.evicted,
                     (unsigned long long)t.popular);
}
