/*
 * detect's rate limits (limit.h): `limit` entries of the suppression
 * files and --alert-limit N/S, applied to each alert that suppression
 * let through, reported as closing records and in the summary.
 *
 * Suppression comes first: a suppressed alert is not written whatever
 * the limits say, so it does not use up a limit's count either. A held
 * alert, like a suppressed one, has been seen by every rule already, so
 * the rules' evidence is the same with or without limits.
 *
 * A closing record is one alert-shaped line per window that held alerts
 * back: event_type "alert" so that a SIEM keeps it, signature_id
 * 9099998, the class's severity, the track's addresses, and
 * fewflow.limit with the entry, the held count and the first and last
 * held alert's times. Its timestamp is the last held alert's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect_run_impl.h"
#include "fewflow/beacon.h"
#include "fewflow/context.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/limit.h"
#include "fewflow/log.h"

#define SID_LIMIT 9099998u
/* Slots looked at by the sweep after each batch. */
#define SWEEP_STEPS 256
/* Keys named in the stderr summary and in the JSON one. */
#define SHOW_KEYS 20
#define JSON_KEYS 100

static int has_limits(const struct run *r)
{
    for (size_t i = 0; r->sup != NULL && i < suppress_count(r->sup); i++) {
        if (suppress_entry_get(r->sup, i)->limit)
            return 1;
    }
    return r->o->alert_limit > 0;
}

/* The --alert-limit default sits after every entry of the files. */
static size_t cli_entry(const struct run *r)
{
    return r->sup != NULL ? suppress_count(r->sup) : 0;
}

int detect_limit_init(struct run *r)
{
    if (!has_limits(r))
        return 0;
    r->lim = limit_create(r->o->limit_keys ? r->o->limit_keys
                                           : LIMIT_KEYS_DEFAULT);
    r->lim_held = calloc(cli_entry(r) + 1, sizeof(*r->lim_held));
    if (r->lim == NULL || r->lim_held == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    /* Flows end out of time order by up to the idle timeout (and the
     * close linger); a CSV's rows by anything within a day (the CIC-IDS
     * 2017 files are shuffled within theirs), the bound past which a
     * duration is taken for damage too. */
    const struct flow_config *fc = r->o->in.flow;
    double disorder = CONTEXT_WINDOW_DEFAULT;
    if (r->o->n_csvs > 0)
        disorder = 86400;
    else if (fc != NULL)
        disorder = (double)(fc->idle_timeout_us + fc->close_linger_us) / 1e6;
    limit_set_disorder(r->lim, disorder);
    return 0;
}

/* "FILE:LINE" of an entry, or "--alert-limit", in buf. */
static const char *entry_name(const struct run *r, size_t entry, char *buf,
                              size_t len)
{
    if (entry >= cli_entry(r)) {
        snprintf(buf, len, "--alert-limit");
    } else {
        const struct suppress_entry *e = suppress_entry_get(r->sup, entry);
        snprintf(buf, len, "%s:%u", e->file, e->line);
    }
    return buf;
}

static void entry_rule(const struct run *r, size_t entry, unsigned *track,
                       uint32_t *count, uint32_t *seconds)
{
    if (entry >= cli_entry(r)) {
        *track = SUPPRESS_BY_SRC;
        *count = r->o->alert_limit;
        *seconds = r->o->alert_limit_s;
        return;
    }
    const struct suppress_entry *e = suppress_entry_get(r->sup, entry);
    *track = e->track;
    *count = e->count;
    *seconds = e->seconds;
}

static void put_addr(struct alert_buf *b, const char *field, int v6,
                     const uint8_t *a)
{
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(v6 ? AF_INET6 : AF_INET, a, text, sizeof(text)) == NULL)
        return;
    alert_buf_printf(b, ",\"%s\":", field);
    alert_buf_json_str(b, text);
}

static const char *class_of(const struct run *r, int32_t cls)
{
    return cls >= 0 ? r->d->memo->cls[cls].name : "unknown";
}

static int write_record(struct run *r, const struct limit_closed *c)
{
    struct alert_buf *b = &r->line;
    const struct limit_key *k = &c->key;
    char ts[40], name[4096 + 16], sig[MEMO_NAME_MAX + 96];
    unsigned track;
    uint32_t count, seconds;
    entry_rule(r, k->entry, &track, &count, &seconds);
    alert_buf_reset(b);
    alert_format_time(c->last_s, ts, sizeof(ts));
    alert_buf_printf(b, "{\"timestamp\":\"%s\",\"event_type\":\"alert\"",
                     ts);
    if (k->has_src)
        put_addr(b, "src_ip", k->src_v6, k->src);
    if (k->has_dst)
        put_addr(b, "dest_ip", k->dst_v6, k->dst);
    snprintf(sig, sizeof(sig), "FEWFLOW rate limit: %llu alerts of class "
             "%s held back", (unsigned long long)c->held,
             class_of(r, k->cls));
    alert_buf_alert_head(b, SID_LIMIT, sig);
    alert_buf_printf(b, ",\"category\":\"fewflow: rate limit\","
                     "\"severity\":%d},\"fewflow\":{\"class\":",
                     k->cls < 0 ? 2 : 1);
    alert_buf_json_str(b, class_of(r, k->cls));
    alert_buf_raw(b, ",\"limit\":{\"entry\":", 18);
    alert_buf_json_str(b, entry_name(r, k->entry, name, sizeof(name)));
    alert_buf_printf(b, ",\"track\":\"%s\",\"count\":%u,\"seconds\":%u,"
                     "\"held\":%llu,\"first_held\":",
                     suppress_track_name(track), count, seconds,
                     (unsigned long long)c->held);
    alert_format_time(c->first_s, ts, sizeof(ts));
    alert_buf_json_str(b, ts);
    alert_format_time(c->last_s, ts, sizeof(ts));
    alert_buf_raw(b, ",\"last_held\":", 13);
    alert_buf_json_str(b, ts);
    alert_buf_raw(b, "}}}\n", 4);
    if (b->failed)
        return err_set(ERR_NOMEM, "out of memory");
    fwrite(b->data, 1, b->len, r->out);
    r->limit_records++;
    return 0;
}

/* The address of a line's text, or NULL when it has none. */
static const uint8_t *read_addr(const char *ip, uint8_t *a, int *v6)
{
    memset(a, 0, 16);
    return ip[0] != '\0' && beacon_ip_read(ip, a, v6) == 0 ? a : NULL;
}

int detect_limit_apply(struct run *r, size_t i, int *held)
{
    struct alert_flow *id = &r->ids[i];
    const struct suppress_entry *e = NULL;
    size_t entry = cli_entry(r);
    *held = 0;
    if (r->lim == NULL)
        return 0;
    /* Matched and keyed the way round the connection's alert ran, as
     * suppression matches it. */
    struct suppress_alert a;
    detect_suppress_alert(r, i, &a);
    if (r->sup != NULL)
        e = suppress_limit_match(r->sup, &a, &entry);
    if (e == NULL && r->o->alert_limit == 0)
        return 0;
    r->lim_cli_seen += e == NULL;
    unsigned track;
    uint32_t count, seconds;
    entry_rule(r, entry, &track, &count, &seconds);
    uint8_t sa[16], da[16];
    int s6 = 0, d6 = 0;
    const uint8_t *src = read_addr(a.src_ip, sa, &s6);
    const uint8_t *dst = read_addr(a.dest_ip, da, &d6);
    struct limit_key k;
    struct limit_closed c;
    int closed;
    limit_key_make(&k, (uint32_t)entry, r->dec[i].cls, track, src, s6, dst,
                   d6);
    /* Dated at the epoch, such a row would count in a dated window (or,
     * as a clock set back, open one between every two dated rows). */
    k.untimed = !(id->first_s > 0);
    /* The sweep's clock: the latest alert's time, but it follows a clock
     * set back past the disorder, or one alert dated ahead would end
     * every window the sweep passes from then on. */
    if (id->last_s > r->lim_now ||
        r->lim_now - id->last_s > limit_disorder(r->lim))
        r->lim_now = id->last_s;
    *held = limit_check(r->lim, &k, id->last_s, count, seconds, &c, &closed);
    if (*held) {
        r->limited++;
        r->lim_held[entry]++;
        id->limited = entry_name(r, entry, r->lim_at, sizeof(r->lim_at));
    }
    return closed ? write_record(r, &c) : 0;
}

int detect_limit_sweep(struct run *r)
{
    struct limit_closed c;
    int rc = 0;
    if (r->lim == NULL)
        return 0;
    while (rc == 0 && limit_sweep(r->lim, &r->lim_cursor, SWEEP_STEPS,
                                  r->lim_now, &c))
        rc = write_record(r, &c);
    return rc;
}

int detect_limit_finish(struct run *r)
{
    struct limit_closed c;
    size_t cursor = 0;
    int rc = 0;
    if (r->lim == NULL)
        return 0;
    while (rc == 0 && limit_drain(r->lim, &cursor, &c))
        rc = write_record(r, &c);
    return rc;
}

struct ranked {
    uint64_t held;
    size_t slot;
};

/* Most held first; ties in slot order, so the summary is the same each
 * run. */
static int by_held(const void *pa, const void *pb)
{
    const struct ranked *x = pa, *y = pb;
    if (x->held != y->held)
        return x->held > y->held ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* The keys still tracked that held alerts back, ranked; NULL when none
 * (or out of memory, when the summary lists none). */
static struct ranked *held_keys(const struct run *r, size_t *n)
{
    size_t slots = r->lim != NULL ? limit_slots(r->lim) : 0;
    struct ranked *k = malloc((slots + 1) * sizeof(*k));
    struct limit_slot_info a;
    *n = 0;
    for (size_t i = 0; k != NULL && i < slots; i++) {
        if (limit_slot(r->lim, i, &a) && a.held > 0) {
            k[*n].held = a.held;
            k[(*n)++].slot = i;
        }
    }
    if (k != NULL)
        qsort(k, *n, sizeof(*k), by_held);
    return k;
}

/* A key as text: "CLASS by_dst 10.10.10.10" (by_both: SRC -> DST). */
static const char *key_text(const struct run *r, const struct limit_key *k,
                            char *buf, size_t len)
{
    char s[INET6_ADDRSTRLEN] = "-", d[INET6_ADDRSTRLEN] = "-", cls[256];
    if (k->has_src)
        inet_ntop(k->src_v6 ? AF_INET6 : AF_INET, k->src, s, sizeof(s));
    if (k->has_dst)
        inet_ntop(k->dst_v6 ? AF_INET6 : AF_INET, k->dst, d, sizeof(d));
    const char *when = k->untimed ? " (rows without a time)" : "";
    cli_printable(class_of(r, k->cls), cls, sizeof(cls));
    if (k->track == SUPPRESS_BY_BOTH)
        snprintf(buf, len, "%s by_both %s -> %s%s", cls, s, d, when);
    else if (k->track == SUPPRESS_BY_RULE)
        snprintf(buf, len, "%s by_rule%s", cls, when);
    else
        snprintf(buf, len, "%s %s %s%s", cls, suppress_track_name(k->track),
                 k->track == SUPPRESS_BY_SRC ? s : d, when);
    return buf;
}

/* Whether the run had limits: now, or before a SIGHUP re-read. */
static int had_limits(const struct run *r)
{
    return r->lim != NULL || r->limited > 0 || r->limit_records > 0;
}

void detect_limit_log(const struct run *r)
{
    /* One buffer each, as in detect_suppress_log. */
    char name[1024], what[1024], ename[4096 + 16];
    if (!had_limits(r))
        return;
    if (r->limited == 0) {
        log_info("detect", "rate limits held back no alerts");
    } else {
        log_info("detect", "rate limits held back %llu alerts (not "
                 "written; --all writes them with fewflow.limited) in %llu "
                 "closing records; by entry:",
                 (unsigned long long)r->limited,
                 (unsigned long long)r->limit_records);
        if (r->sup != NULL)
            detect_suppress_log_entries(r, 1, 1);
        if (r->lim_held != NULL && r->lim_held[cli_entry(r)] > 0)
            log_info("detect", "  --alert-limit %u/%u: %llu of %llu "
                     "held", r->o->alert_limit, r->o->alert_limit_s,
                     (unsigned long long)r->lim_held[cli_entry(r)],
                     (unsigned long long)r->lim_cli_seen);
        size_t n = 0;
        struct ranked *idx = held_keys(r, &n);
        struct limit_slot_info a;
        log_info("detect", "by key (%zu still tracked held alerts back):",
                 n);
        for (size_t i = 0; idx != NULL && i < n && i < SHOW_KEYS; i++) {
            limit_slot(r->lim, idx[i].slot, &a);
            log_info("detect", "  %s %s: %llu of %llu held",
                     cli_printable(entry_name(r, a.key.entry, ename,
                                              sizeof(ename)),
                                   name, sizeof(name)),
                     key_text(r, &a.key, what, sizeof(what)),
                     (unsigned long long)a.held,
                     (unsigned long long)a.alerts);
        }
        free(idx);
    }
    if (r->lim != NULL && limit_evicted(r->lim) > 0)
        log_warn("detect", "rate limits: %llu keys pushed out of the full "
                 "table (--limit-keys %zu), %llu of them holding alerts "
                 "back (their closing records were written); a later "
                 "alert of one opens a new window",
                 (unsigned long long)limit_evicted(r->lim),
                 limit_slots(r->lim),
                 (unsigned long long)limit_evicted_holding(r->lim));
}

void detect_limit_json(struct alert_buf *b, const struct run *r)
{
    char name[4096 + 16], what[1024];
    if (!had_limits(r))
        return;
    alert_buf_printf(b, ",\"limited\":{\"alerts\":%llu,\"records\":%llu,"
                     "\"evicted_keys\":%llu,\"key_slots\":%zu,\"entries\":[",
                     (unsigned long long)r->limited,
                     (unsigned long long)r->limit_records,
                     (unsigned long long)(r->lim ? limit_evicted(r->lim)
                                                 : 0),
                     r->lim ? limit_slots(r->lim) : 0);
    int first = 1;
    for (size_t i = 0; r->lim != NULL && i <= cli_entry(r); i++) {
        const struct suppress_entry *e = i < cli_entry(r)
            ? suppress_entry_get(r->sup, i) : NULL;
        if ((e != NULL && !e->limit) || (e == NULL && !r->o->alert_limit))
            continue;
        alert_buf_raw(b, first ? "{\"entry\":" : ",{\"entry\":",
                      first ? 9 : 10);
        first = 0;
        alert_buf_json_str(b, entry_name(r, i, name, sizeof(name)));
        alert_buf_raw(b, ",\"what\":", 8);
        alert_buf_json_str(b, e != NULL ? suppress_what_text(e, what,
                                                             sizeof(what))
                                        : "*");
        alert_buf_printf(b, ",\"alerts\":%llu,\"held\":%llu}",
                         (unsigned long long)(e ? e->hits : r->lim_cli_seen),
                         (unsigned long long)r->lim_held[i]);
    }
    size_t n = 0;
    struct ranked *idx = held_keys(r, &n);
    struct limit_slot_info a;
    alert_buf_printf(b, "],\"held_keys\":%zu,\"keys\":[", n);
    for (size_t i = 0; idx != NULL && i < n && i < JSON_KEYS; i++) {
        limit_slot(r->lim, idx[i].slot, &a);
        alert_buf_raw(b, i ? ",{\"entry\":" : "{\"entry\":", i ? 10 : 9);
        alert_buf_json_str(b, entry_name(r, a.key.entry, name,
                                         sizeof(name)));
        alert_buf_raw(b, ",\"class\":", 9);
        alert_buf_json_str(b, class_of(r, a.key.cls));
        alert_buf_printf(b, ",\"track\":\"%s\"",
                         suppress_track_name(a.key.track));
        if (a.key.has_src)
            put_addr(b, "src_ip", a.key.src_v6, a.key.src);
        if (a.key.has_dst)
            put_addr(b, "dest_ip", a.key.dst_v6, a.key.dst);
        alert_buf_printf(b, ",\"alerts\":%llu,\"held\":%llu}",
                         (unsigned long long)a.alerts,
                         (unsigned long long)a.held);
    }
    free(idx);
    alert_buf_raw(b, "]}", 2);
}
