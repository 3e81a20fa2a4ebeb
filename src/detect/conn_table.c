#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/conn_impl.h"
#include "fewflow/conn.h"
#include "fewflow/err.h"

/* A recently ended, unclosed TCP flow decided non-benign. */
struct entry {
    struct conn_flow f;       /* f.linkable 0: free */
    uint64_t flow_id;
    int32_t cls;              /* its final class, -1 = unknown */
    uint32_t tag;             /* conn_carry.tag */
    uint8_t turned;           /* conn_carry.turned */
};

/* A flow shaped like a continuation (no SYN) that continued nothing
 * when it came: if the flow it continues comes later (a CSV not sorted
 * by time), the link was missed, and that is counted. Kept by 5-tuple
 * hash only: a collision can only miscount, never change a verdict. */
struct orphan {
    uint64_t tuple;           /* 0: free */
    double start_s;
};

#define ORPHAN_SLOTS 4096

struct conn_table {
    double timeout_s;
    struct conn_totals total;
    struct entry slot[CONN_SLOTS];
    struct orphan orphan[ORPHAN_SLOTS];
};

struct conn_table *conn_table_create(double timeout_s)
{
    struct conn_table *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->timeout_s = timeout_s;
    return t;
}

void conn_table_destroy(struct conn_table *t)
{
    free(t);
}

size_t conn_table_bytes(void)
{
    return sizeof(struct conn_table);
}

static struct entry *bucket_of(struct conn_table *t,
                               const struct conn_flow *f)
{
    size_t b = (size_t)(conn_tuple_hash(f) % (CONN_SLOTS / CONN_WAYS));
    return &t->slot[b * CONN_WAYS];
}

/* The entry of f's 5-tuple in bucket b, or NULL. */
static struct entry *find(struct entry *b, const struct conn_flow *f)
{
    for (int w = 0; w < CONN_WAYS; w++) {
        if (b[w].f.linkable && conn_same_tuple(&b[w].f, f))
            return &b[w];
    }
    return NULL;
}

static int expired(const struct conn_table *t, const struct entry *e,
                   double now_s)
{
    return !e->f.linkable || now_s - e->f.end_s > t->timeout_s;
}

/*
 * Where a new entry that starts at now_s goes: a free place, else one
 * that a flow starting then could no longer continue, else that of the
 * entry that ended first (a flood replaces its own kind; it costs
 * context, never memory). The time is the new flow's own start, not the
 * latest time seen: one row with an absurd Flow Duration, or a capture
 * older than the one before it, would otherwise make every live entry
 * look expired and let it be overwritten without being counted.
 */
static struct entry *place_for(struct conn_table *t, struct entry *b,
                               double now_s)
{
    struct entry *oldest = &b[0];
    for (int w = 0; w < CONN_WAYS; w++) {
        if (!b[w].f.linkable)
            return &b[w];
    }
    for (int w = 0; w < CONN_WAYS; w++) {
        if (expired(t, &b[w], now_s))
            return &b[w];
        if (b[w].f.end_s < oldest->f.end_s)
            oldest = &b[w];
    }
    t->total.replaced++;
    return oldest;
}

static const char *class_name(const struct memo *m, int32_t c)
{
    return c >= 0 && (size_t)c < m->n_classes ? m->cls[c].name : "unknown";
}

static int is_alert(const struct memo *m, int32_t c)
{
    return c < 0 || (size_t)c >= m->n_classes ||
           !(m->cls[c].flags & MEMO_CLASS_BENIGN);
}

/* The verdict of f against entry e; 1 when it changed *cls. */
static int judge_link(struct conn_table *t, const struct memo *m,
                      const struct entry *e, int32_t *cls, char *reason)
{
    int32_t v = conn_verdict(m, e->cls, *cls);
    t->total.linked++;
    if (v == *cls)
        return 0;
    *cls = v;
    t->total.continued++;
    snprintf(reason, CONN_REASON_LEN, "continues the connection of "
             "flow_id %llu (decided %s)", (unsigned long long)e->flow_id,
             class_name(m, e->cls));
    return 1;
}

static struct orphan *orphans_of(struct conn_table *t, uint64_t h)
{
    return &t->orphan[(h % (ORPHAN_SLOTS / CONN_WAYS)) * CONN_WAYS];
}

/* Notes f, which continued nothing; the oldest note gives way. */
static void orphan_note(struct conn_table *t, const struct conn_flow *f)
{
    uint64_t h = conn_tuple_hash(f);
    h += h == 0;
    struct orphan *b = orphans_of(t, h), *o = &b[0];
    for (int w = 0; w < CONN_WAYS && o->tuple != 0; w++) {
        if (b[w].tuple == 0 || b[w].start_s < o->start_s)
            o = &b[w];
    }
    o->tuple = h;
    o->start_s = f->start_s;
}

/* Counts (and forgets) the noted flows that head f, kept as a
 * non-benign connection now, would have been continued by. */
static void orphans_claim(struct conn_table *t, const struct conn_flow *f)
{
    uint64_t h = conn_tuple_hash(f);
    h += h == 0;
    struct orphan *b = orphans_of(t, h);
    for (int w = 0; w < CONN_WAYS; w++) {
        if (b[w].tuple == h && b[w].start_s >= f->start_s &&
            b[w].start_s - f->end_s <= t->timeout_s) {
            t->total.before_head++;
            b[w].tuple = 0;
        }
    }
}

/* Whether b runs the other way than a (same 5-tuple). */
static int reversed(const struct conn_flow *a, const struct conn_flow *b)
{
    return a->src_port != b->src_port || strcmp(a->src_ip, b->src_ip) != 0;
}

int conn_table_judge(struct conn_table *t, const struct memo *m,
                     const struct conn_flow *f, uint64_t id, int32_t *cls,
                     char *reason)
{
    return conn_table_judge_carry(t, m, f, id, cls, reason, NULL);
}

int conn_table_judge_carry(struct conn_table *t, const struct memo *m,
                           const struct conn_flow *f, uint64_t id,
                           int32_t *cls, char *reason,
                           struct conn_carry *carry)
{
    struct conn_carry took = { 0, 0, 0 };
    if (carry != NULL)
        *carry = took;
    if (!f->linkable)
        return 0;
    struct entry *b = bucket_of(t, f);
    struct entry *e = find(b, f);
    int changed = 0;
    if (e != NULL && f->start_s < e->f.start_s) {
        t->total.out_of_order++;
        return 0;
    }
    int linked = e != NULL && conn_continues(&e->f, f, t->timeout_s);
    if (linked)
        changed = judge_link(t, m, e, cls, reason);
    if (linked && *cls == e->cls) {
        took.carried = 1;
        took.turned = (uint8_t)(e->turned ^ reversed(&e->f, f));
        took.tag = e->tag;
    }
    if (carry != NULL)
        *carry = took;
    int keep = is_alert(m, *cls) && !f->closed && f->answered;
    if (keep)
        orphans_claim(t, f);
    if (!linked && !f->syn)
        orphan_note(t, f);
    if (!keep) {
        if (e != NULL)
            e->f.linkable = 0;
        return changed;
    }
    if (e == NULL)
        e = place_for(t, b, f->start_s);
    e->f = *f;
    e->flow_id = id;
    e->cls = *cls;
    e->tag = took.tag;
    e->turned = took.turned;
    return changed;
}

void conn_table_tag(struct conn_table *t, const struct conn_flow *f,
                    uint64_t id, uint32_t tag)
{
    if (!f->linkable)
        return;
    struct entry *e = find(bucket_of(t, f), f);
    if (e != NULL && e->flow_id == id && e->f.start_s == f->start_s)
        e->tag = tag;
}

size_t conn_table_live(const struct conn_table *t, double now_s)
{
    size_t n = 0;
    for (size_t i = 0; i < CONN_SLOTS; i++)
        n += !expired(t, &t->slot[i], now_s);
    return n;
}

void conn_table_totals(const struct conn_table *t, struct conn_totals *out)
{
    *out = t->total;
}
