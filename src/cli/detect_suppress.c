/*
 * detect's suppression list (suppress.h): read before any input, applied
 * to each alert after every rule has judged it, reported at the end.
 *
 * Suppression only holds a line back from the output. Every rule has
 * already seen the flow and its verdict by then, so a suppressed flow
 * still counts where it would have counted: a suppressed poller's
 * sessions stay in their beacon series (another server's series is its
 * own), a suppressed class alert still gives its class to the later
 * flows of its connection (and holds them back with it: match_part) and
 * still counts toward a client's slow connections and the lone limit.
 * An operator silences an alert; the evidence it carries for other
 * alerts stays.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect_run_impl.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/suppress.h"

/* Entries named in the stderr summary, each way. */
#define SHOW_MAX 20

static void warn_classes(const struct run *r, size_t from)
{
    char what[MEMO_NAME_MAX + 8], buf[256];
    for (size_t i = from; i < suppress_count(r->sup); i++) {
        const struct suppress_entry *e = suppress_entry_get(r->sup, i);
        if (e->what == SUPPRESS_CLASS &&
            memo_class_find(r->d->memo, e->cls) < 0)
            log_warn("detect", "%s:%u:%u: %s has no class %s: the entry "
                     "matches nothing until one is enrolled",
                     cli_printable(e->file, buf, sizeof(buf)), e->line,
                     e->col, r->o->model,
                     suppress_what_text(e, what, sizeof(what)));
    }
}

/* A quoted name no class can have (enroll refuses it) is a typo or a
 * trick, and its warning would carry the name's direction marks and
 * invisible characters to the terminal: refused like any bad entry. */
static int check_names(const struct run *r, size_t from)
{
    for (size_t i = from; i < suppress_count(r->sup); i++) {
        const struct suppress_entry *e = suppress_entry_get(r->sup, i);
        if (e->what == SUPPRESS_CLASS && !cli_name_is_text(e->cls))
            return err_set(ERR_PARSE, "%s:%u:%u: no class can be named so "
                           "(a name is UTF-8 text without control, "
                           "invisible or direction-changing characters or "
                           "spaces at its ends)",
                           e->file, e->line, e->col);
        /* Quoted, a verdict would be a class that can never be there:
         * the entry would hold nothing while the operator thinks it
         * holds the unknown flows. */
        if (e->what == SUPPRESS_CLASS &&
            (memo_names_collide(e->cls, "unknown") ||
             memo_names_collide(e->cls, "unjudged")))
            return err_set(ERR_PARSE, "%s:%u:%u: no class can be named so "
                           "(unknown and unjudged are verdicts: write "
                           "unknown without quotes; unjudged lines are "
                           "never held back)", e->file, e->line, e->col);
    }
    return 0;
}

int detect_suppress_load(struct run *r)
{
    char buf[256];
    if (r->o->n_suppress == 0)
        return 0;
    r->sup = suppress_create();
    if (r->sup == NULL)
        return err_last();
    for (size_t k = 0; k < r->o->n_suppress; k++) {
        size_t before = suppress_count(r->sup);
        int rc = suppress_load(r->sup, r->o->suppress[k]);
        if (rc == 0)
            rc = check_names(r, before);
        if (rc != 0)
            return rc;
        if (suppress_count(r->sup) == before)
            log_warn("detect", "%s holds no suppression entry (only "
                     "comments or blank lines)",
                     cli_printable(r->o->suppress[k], buf, sizeof(buf)));
        warn_classes(r, before);
    }
    return 0;
}

/* A later part of a connection is the connection's alert going on: it
 * is matched the way round that alert's flow ran (detect_suppress_alert),
 * and when no entry holds it so, it is held with the connection's alert
 * if that was held, by the same entry. So the first entry that holds
 * still takes it (a `conn` entry before a class entry keeps its count). */
static const struct suppress_entry *match_part(struct run *r, size_t i,
                                               struct suppress_alert *a)
{
    const struct conn_carry *c = r->conn != NULL ? &r->conn_carry[i] : NULL;
    const struct suppress_entry *e = suppress_match(r->sup, a);
    if (e == NULL && c != NULL && c->carried && c->tag > 0)
        e = suppress_take(r->sup, c->tag - 1);
    return e;
}

void detect_suppress_alert(const struct run *r, size_t i,
                           struct suppress_alert *a)
{
    const struct alert_flow *id = &r->ids[i];
    int32_t cls = r->dec[i].cls;
    a->cls = cls >= 0 ? r->d->memo->cls[cls].name : NULL;
    a->rules = r->made_by[i] |
               (id->beacon != NULL ? SUPPRESS_RULE_BEACON : 0u) |
               (id->slow ? SUPPRESS_RULE_SLOW : 0u) |
               (id->repeated ? SUPPRESS_RULE_REPEAT : 0u);
    a->src_ip = id->src_ip;
    a->dest_ip = id->dest_ip;
    a->dest_port = id->dest_port;
    a->proto = id->proto;
    /* The meter may start a later part from the server's side: `src
     * CLIENT` would miss it, an entry naming the server as source would
     * take it though not the connection, and a limit would count it
     * under the server's key. */
    const struct conn_carry *c = r->conn != NULL ? &r->conn_carry[i] : NULL;
    if (c != NULL && c->carried && c->turned) {
        a->src_ip = id->dest_ip;
        a->dest_ip = id->src_ip;
        a->dest_port = id->src_port;
    }
}

int detect_suppress_apply(struct run *r, size_t i)
{
    struct alert_flow *id = &r->ids[i];
    id->suppressed = NULL;
    if (r->sup == NULL)
        return 0;
    struct suppress_alert a;
    detect_suppress_alert(r, i, &a);
    const struct suppress_entry *e = match_part(r, i, &a);
    if (r->conn != NULL)
        conn_table_tag(r->conn, &r->conn_f[i], id->flow_id,
                       e != NULL ? (uint32_t)suppress_entry_index(r->sup, e)
                                   + 1 : 0);
    if (e == NULL)
        return 0;
    snprintf(r->sup_at, sizeof(r->sup_at), "%s:%u", e->file, e->line);
    id->suppressed = r->sup_at;
    r->suppressed++;
    return 1;
}

/* Entries that took alerts, then those that took none: an operator
 * sees which entries still earn their place. Suppression and limit
 * entries are listed apart. */
void detect_suppress_log_entries(const struct run *r, int limit, int hit)
{
    /* One buffer each: sharing one put a path of over 127 bytes where
     * the entry's what belongs. */
    char what[MEMO_NAME_MAX + 8], wbuf[MEMO_NAME_MAX + 8], fbuf[1024];
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < suppress_count(r->sup); i++) {
        const struct suppress_entry *e = suppress_entry_get(r->sup, i);
        if ((e->hits > 0) != hit || e->limit != limit)
            continue;
        if (shown++ >= SHOW_MAX) {
            more++;
            continue;
        }
        /* A limit's line says what it held, out of what it took: its
         * alerts alone read as held, past the total held. */
        char held[48] = "";
        if (limit && r->lim_held != NULL)
            snprintf(held, sizeof(held), "%llu of ",
                     (unsigned long long)r->lim_held[i]);
        log_info("detect", "  %s:%u %s: %s%llu%s",
                 cli_printable(e->file, fbuf, sizeof(fbuf)), e->line,
                 cli_printable(suppress_what_text(e, what, sizeof(what)),
                               wbuf, sizeof(wbuf)),
                 held, (unsigned long long)e->hits,
                 held[0] != '\0' ? " held" : "");
    }
    if (more > 0)
        log_info("detect", "  and %zu more", more);
}

void detect_suppress_log(const struct run *r)
{
    if (r->sup == NULL)
        return;
    size_t n = 0, idle = 0;
    for (size_t i = 0; i < suppress_count(r->sup); i++) {
        const struct suppress_entry *e = suppress_entry_get(r->sup, i);
        n += !e->limit;
        idle += !e->limit && e->hits == 0;
    }
    /* A list of limits only says nothing of suppression. */
    if (n == 0)
        return;
    if (r->suppressed > 0) {
        log_info("detect", "suppressed %llu alerts (not written; --all "
                 "writes them with fewflow.suppressed); by entry:",
                 (unsigned long long)r->suppressed);
        detect_suppress_log_entries(r, 0, 1);
    } else {
        log_info("detect", "suppressed no alerts");
    }
    if (idle > 0) {
        log_info("detect", "%zu of %zu suppression entries matched no "
                 "alert:", idle, n);
        detect_suppress_log_entries(r, 0, 0);
    }
}

void detect_suppress_json(struct alert_buf *b, const struct run *r)
{
    char what[MEMO_NAME_MAX + 8];
    if (r->sup == NULL)
        return;
    alert_buf_printf(b, ",\"suppressed\":{\"alerts\":%llu,\"entries\":[",
                     (unsigned long long)r->suppressed);
    int first = 1;
    for (size_t i = 0; i < suppress_count(r->sup); i++) {
        const struct suppress_entry *e = suppress_entry_get(r->sup, i);
        if (e->limit)
            continue;
        if (!first)
            alert_buf_raw(b, ",", 1);
        first = 0;
        alert_buf_raw(b, "{\"file\":", 8);
        alert_buf_json_str(b, e->file);
        alert_buf_printf(b, ",\"line\":%u,\"what\":", e->line);
        alert_buf_json_str(b, suppress_what_text(e, what, sizeof(what)));
        alert_buf_printf(b, ",\"alerts\":%llu}",
                         (unsigned long long)e->hits);
    }
    alert_buf_raw(b, "]}", 2);
}
