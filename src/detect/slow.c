#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/names.h"
#include "fewflow/alert.h"
#include "fewflow/err.h"
#include "fewflow/slow.h"

enum { COL_FWD_BYTES, COL_BWD_BYTES, COL_BWD_PKTS, COL_FIN, COL_RST,
       COL_DURATION, N_COLS };

static const char *const col_name[N_COLS] = {
    "total_length_of_fwd_packet", "total_length_of_bwd_packet",
    "total_bwd_packets", "fin_flag_count", "rst_flag_count",
    "flow_duration",
};

/* What became of a kept interval's flow when it was written. */
enum { SPAN_WAITING, SPAN_WROTE_BENIGN, SPAN_COUNTED, SPAN_DONE };

struct span {
    double start_s, end_s;
    uint64_t flow_id;
    float rate;
    uint8_t state;
};

/* A stretch of time during which the group held at least min_open slow
 * connections at once, with the most seen and their median rate. */
struct hot {
    double lo, hi;
    uint32_t peak;
    float median;
};

/* The slow flows of one client to one service. */
struct group {
    uint64_t key;             /* 0: free */
    uint64_t gen;
    char src_ip[48];
    char dest_ip[48];
    uint16_t dest_port;
    uint8_t reached;
    uint32_t n, n_hot;
    struct span span[SLOW_KEEP];
    struct hot hot[SLOW_HOT];
};

struct slow {
    size_t col[N_COLS];
    uint32_t min_open;
    double min_duration_us;
    double max_rate;
    uint64_t next_gen;
    struct slow_totals total;
    struct group slot[SLOW_SLOTS];
};

int slow_columns_present(const char *const *col_names, size_t n_in)
{
    return names_have_all(col_name, N_COLS, col_names, n_in);
}

struct slow *slow_create(const char *const *col_names, size_t n_in,
                         uint32_t min_open)
{
    struct slow *s = names_block_create(sizeof(*s), offsetof(struct slow, col),
                                        col_name, N_COLS, col_names, n_in);
    if (s == NULL)
        return NULL;
    s->min_open = min_open < 2 ? 2
                  : min_open > SLOW_MIN_MAX ? SLOW_MIN_MAX : min_open;
    slow_set_limits(s, SLOW_MIN_DURATION_DEFAULT, SLOW_MAX_RATE_DEFAULT);
    s->next_gen = 1;
    return s;
}

void slow_destroy(struct slow *s)
{
    free(s);
}

size_t slow_bytes(void)
{
    return sizeof(struct slow);
}

void slow_set_limits(struct slow *s, double min_duration_s, double max_rate)
{
    s->min_duration_us = min_duration_s * 1e6;
    s->max_rate = max_rate;
}

/* Payload bytes per second of a slow flow, or -1 when it is not slow
 * (a NaN anywhere is not slow: it fails every comparison). */
static double slow_rate(const struct slow *s, const float *x,
                        const struct alert_flow *id, int tcp)
{
    double dur_us = x[s->col[COL_DURATION]];
    if (!tcp || id->src_ip[0] == '\0' || id->dest_ip[0] == '\0' ||
        !(id->first_s > 0) || !isfinite(id->first_s))
        return -1;
    if (!(x[s->col[COL_BWD_PKTS]] >= 1) || !(x[s->col[COL_FIN]] == 0) ||
        !(x[s->col[COL_RST]] == 0))
        return -1;
    if (!(dur_us >= s->min_duration_us) || !(dur_us <= 86400e6) ||
        !(dur_us > 0))
        return -1;
    double bytes = (double)x[s->col[COL_FWD_BYTES]] +
                   (double)x[s->col[COL_BWD_BYTES]];
    double rate = bytes / (dur_us / 1e6);
    return rate >= 0 && rate <= s->max_rate ? rate : -1;
}

static uint64_t group_key(const struct alert_flow *id)
{
    uint64_t h = fnv1a(FNV1A_OFFSET, id->src_ip, strlen(id->src_ip) + 1);
    h = fnv1a(h, id->dest_ip, strlen(id->dest_ip) + 1);
    h = fnv1a(h, &id->dest_port, sizeof(id->dest_port));
    return h + (h == 0);
}

static double group_last_end(const struct group *g)
{
    double last = -INFINITY;
    for (uint32_t k = 0; k < g->n; k++)
        last = fmax(last, g->span[k].end_s);
    return last;
}

/* Whether a group's flows all ended long before t. Judged at the
 * newcomer's own start, not at the latest start seen: one row dated years
 * ahead (or a later capture read first) would make every group look
 * stale, and their replacement would go uncounted. */
static int group_stale(const struct group *g, double t)
{
    return !(group_last_end(g) >= t - SLOW_STALE_S);
}

/* Whether a newcomer starting at t should take a's place rather than
 * b's: a free place, then a group whose flows all ended long before t,
 * then the one with fewer intervals, then the one whose flows ended
 * first. */
static int group_before(const struct group *a, const struct group *b,
                        double t)
{
    if ((a->key == 0) != (b->key == 0))
        return a->key == 0;
    int a_stale = group_stale(a, t);
    int b_stale = group_stale(b, t);
    if (a_stale != b_stale)
        return a_stale;
    if (a->n != b->n)
        return a->n < b->n;
    return group_last_end(a) < group_last_end(b);
}

static struct group *group_take(struct slow *s, struct group *g,
                                const struct alert_flow *id, uint64_t key)
{
    if (g->key != 0 && g->n > 0 && !group_stale(g, id->first_s))
        s->total.replaced++;
    memset(g, 0, sizeof(*g));
    g->key = key;
    g->gen = s->next_gen++;
    memcpy(g->src_ip, id->src_ip, sizeof(g->src_ip));
    memcpy(g->dest_ip, id->dest_ip, sizeof(g->dest_ip));
    g->src_ip[sizeof(g->src_ip) - 1] = '\0';
    g->dest_ip[sizeof(g->dest_ip) - 1] = '\0';
    g->dest_port = id->dest_port;
    return g;
}

/* The flow's group in its bucket (names compared, not just the hash),
 * or the place group_before picks for it. */
static struct group *group_get(struct slow *s, const struct alert_flow *id,
                               uint32_t *slot)
{
    uint64_t key = group_key(id);
    uint32_t base = (uint32_t)(key % (SLOW_SLOTS / SLOW_WAYS)) * SLOW_WAYS;
    uint32_t victim = base;
    for (uint32_t i = base; i < base + SLOW_WAYS; i++) {
        struct group *g = &s->slot[i];
        if (g->key == key && g->dest_port == id->dest_port &&
            strcmp(g->src_ip, id->src_ip) == 0 &&
            strcmp(g->dest_ip, id->dest_ip) == 0) {
            *slot = i;
            return g;
        }
        if (i != base && group_before(g, &s->slot[victim], id->first_s))
            victim = i;
    }
    *slot = victim;
    return group_take(s, &s->slot[victim], id, key);
}

static int span_is(const struct span *sp, const struct slow_mark *m)
{
    return sp->flow_id == m->flow_id && sp->start_s == m->start_s &&
           sp->end_s == m->end_s;
}

static int span_holds(const struct span *sp, double t)
{
    return sp->start_s <= t && t <= sp->end_s;
}

/* The most kept intervals open at one moment of the marked flow's
 * interval (the flow is kept: it was just noted); *at is that moment. */
static uint32_t group_peak(const struct group *g, const struct slow_mark *m,
                           double *at)
{
    uint32_t best = 0;
    *at = m->start_s;
    for (uint32_t c = 0; c < g->n; c++) {
        double t = g->span[c].start_s;
        if (t < m->start_s || t > m->end_s)
            continue;
        uint32_t open = 0;
        for (uint32_t k = 0; k < g->n; k++)
            open += span_holds(&g->span[k], t);
        if (open > best) {
            best = open;
            *at = t;
        }
    }
    return best;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int cmp_double_down(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The hot stretch from t: as long as min_open of the flows open at t are
 * still open (the min_open-th latest end), and their median rate. */
static struct hot hot_at(const struct slow *s, const struct group *g,
                         double t, uint32_t peak)
{
    float r[SLOW_KEEP];
    double end[SLOW_KEEP];
    size_t n = 0;
    for (uint32_t k = 0; k < g->n; k++) {
        if (span_holds(&g->span[k], t)) {
            r[n] = g->span[k].rate;
            end[n++] = g->span[k].end_s;
        }
    }
    qsort(r, n, sizeof(float), cmp_float);
    qsort(end, n, sizeof(double), cmp_double_down);
    struct hot h = { t, end[s->min_open - 1], peak, r[n / 2] };
    if (n % 2 == 0)
        h.median = 0.5f * (r[n / 2 - 1] + r[n / 2]);
    return h;
}

/* Adds h to the group's stretches, merged with those it overlaps; when
 * all places are taken, the stretch that ended first gives way. */
static void hot_add(struct group *g, struct hot h)
{
    uint32_t k = 0;
    while (k < g->n_hot) {
        struct hot *o = &g->hot[k];
        if (o->lo > h.hi || h.lo > o->hi) {
            k++;
            continue;
        }
        h.lo = fmin(h.lo, o->lo);
        h.hi = fmax(h.hi, o->hi);
        if (o->peak > h.peak) {
            h.peak = o->peak;
            h.median = o->median;
        }
        *o = g->hot[--g->n_hot];
    }
    if (g->n_hot == SLOW_HOT) {
        uint32_t first = 0;
        for (k = 1; k < g->n_hot; k++)
            first = g->hot[k].hi < g->hot[first].hi ? k : first;
        g->hot[first] = g->hot[--g->n_hot];
    }
    g->hot[g->n_hot++] = h;
}

/* Benign slow flows of the group written before the stretch was found
 * and open during it: counted once each. */
static void count_written_before(struct slow *s, struct group *g,
                                 const struct hot *h)
{
    for (uint32_t k = 0; k < g->n; k++) {
        struct span *sp = &g->span[k];
        if (sp->state == SPAN_WROTE_BENIGN && sp->start_s <= h->hi &&
            h->lo <= sp->end_s) {
            sp->state = SPAN_COUNTED;
            s->total.written_before++;
        }
    }
}

/* After a new interval: when it makes min_open open at once, the
 * stretch is kept for the flows written later. */
static void group_heat(struct slow *s, struct group *g, struct slow_mark *m)
{
    double t;
    uint32_t peak = group_peak(g, m, &t);
    if (peak < s->min_open)
        return;
    struct hot h = hot_at(s, g, t, peak);
    m->peak = h.peak;
    m->median = h.median;
    count_written_before(s, g, &h);
    hot_add(g, h);
    if (!g->reached) {
        g->reached = 1;
        s->total.clients++;
    }
}

/* A place for a new interval: a free one, else that of the interval that
 * ended first (the least likely to overlap flows still to come). */
static struct span *span_place(struct slow *s, struct group *g)
{
    if (g->n < SLOW_KEEP)
        return &g->span[g->n++];
    struct span *first = &g->span[0];
    for (uint32_t k = 1; k < g->n; k++) {
        if (g->span[k].end_s < first->end_s)
            first = &g->span[k];
    }
    s->total.dropped++;
    return first;
}

struct slow_mark slow_note(struct slow *s, const float *x,
                           const struct alert_flow *id, int tcp)
{
    struct slow_mark m;
    memset(&m, 0, sizeof(m));
    double rate = slow_rate(s, x, id, tcp);
    if (rate < 0)
        return m;
    s->total.slow_flows++;
    struct group *g = group_get(s, id, &m.slot);
    struct span *sp = span_place(s, g);
    sp->start_s = id->first_s;
    sp->end_s = id->first_s + (double)x[s->col[COL_DURATION]] / 1e6;
    sp->flow_id = id->flow_id;
    sp->rate = (float)rate;
    sp->state = SPAN_WAITING;
    m.slow = 1;
    m.gen = g->gen;
    m.flow_id = id->flow_id;
    m.start_s = sp->start_s;
    m.end_s = sp->end_s;
    m.rate = sp->rate;
    group_heat(s, g, &m);
    return m;
}

static struct span *span_find(struct group *g, const struct slow_mark *m)
{
    for (uint32_t k = 0; k < g->n; k++) {
        if (span_is(&g->span[k], m))
            return &g->span[k];
    }
    return NULL;
}

/* The stretch with the most connections that the flow was open in. */
static const struct hot *hot_find(const struct group *g,
                                  const struct slow_mark *m)
{
    const struct hot *best = NULL;
    for (uint32_t k = 0; k < g->n_hot; k++) {
        const struct hot *h = &g->hot[k];
        if (h->lo <= m->end_s && m->start_s <= h->hi &&
            (best == NULL || h->peak > best->peak))
            best = h;
    }
    return best;
}

int slow_judge(struct slow *s, const struct slow_mark *m, int benign,
               char *reason)
{
    if (!m->slow)
        return 0;
    struct group *g = &s->slot[m->slot];
    if (g->key == 0 || g->gen != m->gen)
        return 0;
    struct hot mine = { m->start_s, m->end_s, m->peak, m->median };
    const struct hot *h = hot_find(g, m);
    if (m->peak > 0 && (h == NULL || h->peak < m->peak))
        h = &mine;
    struct span *own = span_find(g, m);
    if (own != NULL)
        own->state = benign && h == NULL ? SPAN_WROTE_BENIGN : SPAN_DONE;
    if (h == NULL || !benign)
        return 0;
    s->total.escalated++;
    char to[80];
    snprintf(reason, SLOW_REASON_LEN, "slow connections: %u open to %s, "
             "median %.3g B/s", (unsigned)h->peak,
             alert_format_endpoint(g->dest_ip, g->dest_port, to, sizeof(to)),
             (double)h->median);
    return 1;
}

void slow_totals_get(const struct slow *s, struct slow_totals *t)
{
    *t = s->total;
}
