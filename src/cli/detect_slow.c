#include <stdio.h>

#include "cli/detect_run.h"
#include "fewflow/alert.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/slow.h"

int detect_slow_create(const struct detector *d,
                       const struct detect_run_opts *o, struct slow **out)
{
    *out = NULL;
    if (!o->slow || !slow_columns_present(d->col_names, d->n_in))
        return 0;
    *out = slow_create(d->col_names, d->n_in, o->slow_min);
    if (*out == NULL)
        return ERR_NOMEM;
    slow_set_limits(*out, o->slow_min_duration_s, o->slow_max_rate);
    return 0;
}

void detect_slow_apply(struct slow *s, const struct slow_mark *m, int alert,
                       char *reason, struct alert_flow *id, int32_t *cls)
{
    if (!slow_judge(s, m, !alert, reason))
        return;
    *cls = -1;
    id->reason = reason;
    id->slow = 1;
}

void detect_slow_log(const struct slow *s, uint32_t min_open)
{
    struct slow_totals t;
    if (s == NULL)
        return;
    slow_totals_get(s, &t);
    if (t.clients > 0)
        log_info("detect", "slow connections: %llu client(s) held %u or "
                 "more to one service at once; %llu flows reported unknown "
                 "(--judge-slow to judge them alone)",
                 (unsigned long long)t.clients, (unsigned)min_open,
                 (unsigned long long)t.escalated);
    if (t.written_before > 0)
        log_warn("detect", "%llu slow flow(s) were written as benign before "
                 "their client held %u at once", (unsigned long long)
                 t.written_before, (unsigned)min_open);
    /* Many clients each holding a few idle connections fill the table by
     * design; the counts say what it cost. */
    if (t.replaced > 0 || t.dropped > 0)
        log_info("detect", "slow connections: %llu clients pushed out of the "
                 "full table (%d), %llu intervals out of a full client (%d)",
                 (unsigned long long)t.replaced, SLOW_SLOTS,
                 (unsigned long long)t.dropped, SLOW_KEEP);
}

void detect_slow_json(struct alert_buf *b, const struct slow *s)
{
    struct slow_totals t = { 0, 0, 0, 0, 0, 0 };
    if (s != NULL)
        slow_totals_get(s, &t);
    alert_buf_printf(b, ",\"slow\":{\"rule\":%s,\"slow_flows\":%llu,"
                     "\"clients\":%llu,\"escalated\":%llu,"
                     "\"written_before\":%llu,\"replaced\":%llu,"
                     "\"dropped\":%llu}", s ? "true" : "false",
                     (unsigned long long)t.slow_flows,
                     (unsigned long long)t.clients,
                     (unsigned long long)t.escalated,
                     (unsigned long long)t.written_before,
                     (unsigned long long)t.replaced,
                     (unsigned long long)t.dropped);
}
