#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/names.h"
#include "fewflow/alert.h"
#include "fewflow/err.h"
#include "fewflow/repeat.h"

enum { COL_FWD_PKTS, COL_BWD_PKTS, COL_FWD_BYTES, COL_BWD_BYTES, COL_SYN,
       COL_DURATION, N_COLS };
enum { N_SIZES = 4 };  /* the shape: the first four columns */

static const char *const col_name[N_COLS] = {
    "total_fwd_packet", "total_bwd_packets", "total_length_of_fwd_packet",
    "total_length_of_bwd_packet", "syn_flag_count", "flow_duration",
};

/* Sessions of one shape in one group. */
struct shape {
    uint64_t gen;             /* 0: free */
    float size[N_SIZES];      /* the first session's counts */
    double epoch_s;           /* start of the current epoch */
    double first_s, last_s;   /* the run's first and last session */
    uint32_t in_epoch;
    uint64_t sessions;
    int reached;
    uint64_t escalated, benign_before;
};

/* Sessions from one source to one destination host and port. */
struct group {
    uint64_t key;             /* 0: free */
    char src_ip[48];
    char dest_ip[48];
    uint16_t dest_port;
    struct shape shape[REPEAT_SHAPES];
};

struct repeat {
    size_t col[N_COLS];
    uint32_t sessions;
    double window_s;
    double max_duration_us;   /* 0: any */
    struct repeat_ports ports;
    uint64_t next_gen;
    struct repeat_totals total;
    struct group slot[REPEAT_SLOTS];
};

int repeat_columns_present(const char *const *col_names, size_t n_in)
{
    return names_have_all(col_name, N_COLS, col_names, n_in);
}

struct repeat *repeat_create(const char *const *col_names, size_t n_in,
                             uint32_t sessions, double window_s)
{
    struct repeat *r = names_block_create(sizeof(*r),
                                          offsetof(struct repeat, col),
                                          col_name, N_COLS, col_names, n_in);
    if (r == NULL)
        return NULL;
    r->sessions = sessions > 0 ? sessions : 1;
    r->window_s = window_s;
    r->max_duration_us = REPEAT_MAX_DURATION_DEFAULT * 1e6;
    repeat_ports_parse(REPEAT_PORTS_DEFAULT, &r->ports);
    r->next_gen = 1;
    return r;
}

void repeat_set_ports(struct repeat *r, const struct repeat_ports *p)
{
    r->ports = *p;
}

void repeat_set_max_duration(struct repeat *r, double max_duration_s)
{
    r->max_duration_us = max_duration_s > 0 ? max_duration_s * 1e6 : 0;
}

void repeat_destroy(struct repeat *r)
{
    free(r);
}

static uint64_t group_key(const struct alert_flow *id)
{
    uint64_t h = fnv1a(FNV1A_OFFSET, id->src_ip, strlen(id->src_ip) + 1);
    h = fnv1a(h, id->dest_ip, strlen(id->dest_ip) + 1);
    h = fnv1a(h, &id->dest_port, sizeof(id->dest_port));
    return h + (h == 0);
}

enum { WAYS = 4 };  /* groups per bucket */

/* When the group last had a session; -INFINITY when it has none. */
static double group_last(const struct group *g)
{
    double last = -INFINITY;
    for (int k = 0; k < REPEAT_SHAPES; k++) {
        if (g->shape[k].gen != 0)
            last = fmax(last, g->shape[k].last_s);
    }
    return last;
}

static uint64_t group_sessions(const struct group *g)
{
    uint64_t n = 0;
    for (int k = 0; k < REPEAT_SHAPES; k++)
        n += g->shape[k].gen != 0 ? g->shape[k].sessions : 0;
    return n;
}

/* Whether a newcomer at t should take a's place rather than b's: a free
 * place first, then a group with no session in the window, then the
 * one with fewer sessions, then the older. A flood of one-session groups
 * thus replaces its own kind, not a group adding up to a run. */
static int group_before(const struct repeat *r, const struct group *a,
                        const struct group *b, double t)
{
    if ((a->key == 0) != (b->key == 0))
        return a->key == 0;
    int a_stale = !(fabs(t - group_last(a)) <= r->window_s);
    int b_stale = !(fabs(t - group_last(b)) <= r->window_s);
    if (a_stale != b_stale)
        return a_stale;
    uint64_t na = group_sessions(a), nb = group_sessions(b);
    if (na != nb)
        return na < nb;
    return group_last(a) < group_last(b);
}

/* The group of the flow, in its bucket of WAYS groups; when it is not
 * there (the names are compared: hash collisions), it takes the place
 * of the group group_before picks. */
static struct group *group_get(struct repeat *r, const struct alert_flow *id,
                               uint32_t *slot)
{
    uint64_t key = group_key(id);
    uint32_t base = (uint32_t)(key % (REPEAT_SLOTS / WAYS)) * WAYS;
    uint32_t victim = base;
    for (uint32_t i = base; i < base + WAYS; i++) {
        struct group *g = &r->slot[i];
        *slot = i;
        if (g->key == key && g->dest_port == id->dest_port &&
            strcmp(g->src_ip, id->src_ip) == 0 &&
            strcmp(g->dest_ip, id->dest_ip) == 0)
            return g;
        if (i != base && group_before(r, g, &r->slot[victim], id->first_s))
            victim = i;
    }
    *slot = victim;
    struct group *g = &r->slot[victim];
    memset(g, 0, sizeof(*g));
    g->key = key;
    memcpy(g->src_ip, id->src_ip, sizeof(g->src_ip));
    memcpy(g->dest_ip, id->dest_ip, sizeof(g->dest_ip));
    g->src_ip[sizeof(g->src_ip) - 1] = '\0';
    g->dest_ip[sizeof(g->dest_ip) - 1] = '\0';
    g->dest_port = id->dest_port;
    return g;
}

/* The largest relative difference between a session's counts and the
 * shape's; NaN counts never fit. */
static double shape_spread(const struct shape *s, const float *size)
{
    double worst = 0;
    for (int k = 0; k < N_SIZES; k++) {
        double ref = s->size[k];
        double d = fabs((double)size[k] - ref) / fmax(ref, 1);
        if (isnan(d))
            return INFINITY;
        worst = d <= worst ? worst : d;
    }
    return worst;
}

static void shape_start(struct repeat *r, struct shape *s,
                        const float *size, double t)
{
    memset(s, 0, sizeof(*s));
    s->gen = r->next_gen++;
    memcpy(s->size, size, sizeof(s->size));
    s->epoch_s = s->first_s = s->last_s = t;
}

/* The closest shape the session fits (shapes may overlap), or else the
 * one it starts: in a free place, or the one with the oldest session. */
static struct shape *shape_find(struct repeat *r, struct group *g,
                                const float *size, double t)
{
    struct shape *old = &g->shape[0], *best = NULL;
    double best_spread = REPEAT_SPREAD;
    for (int k = 0; k < REPEAT_SHAPES; k++) {
        struct shape *s = &g->shape[k];
        double d = s->gen != 0 ? shape_spread(s, size) : INFINITY;
        if (d <= best_spread) {
            best = s;
            best_spread = d;
        }
        if (s->gen == 0 || (old->gen != 0 && s->last_s < old->last_s))
            old = s;
    }
    if (best != NULL)
        return best;
    shape_start(r, old, size, t);
    return old;
}

/* Counts one session at t: a new epoch starts when the old one is over;
 * a run that reached the count in it carries on if it did not pause for
 * a whole window, any other starts again. Times are compared both ways
 * (CSV rows need not be sorted). */
static void shape_count(struct repeat *r, struct shape *s, const float *size,
                        double t)
{
    if (!(fabs(t - s->epoch_s) <= r->window_s)) {
        int goes_on = s->reached && s->in_epoch >= r->sessions &&
                      fabs(t - s->last_s) <= r->window_s;
        if (!goes_on)
            shape_start(r, s, size, t);
        s->epoch_s = t;
        s->in_epoch = 0;
    }
    s->in_epoch++;
    s->sessions++;
    s->first_s = fmin(s->first_s, t);
    s->last_s = fmax(s->last_s, t);
    if (s->in_epoch >= r->sessions && !s->reached) {
        s->reached = 1;
        r->total.runs++;
        r->total.benign_before += s->benign_before;
    }
}

/* An answered TCP session to a counted port, short enough (repeat.h);
 * a duration that is not a number is not short. */
static int is_session(const struct repeat *r, const float *x,
                      const struct alert_flow *id, int tcp)
{
    uint16_t port = id->dest_port;
    if (!tcp || !(r->ports.bit[port / 64] >> (port % 64) & 1))
        return 0;
    if (r->max_duration_us > 0 &&
        !(x[r->col[COL_DURATION]] <= r->max_duration_us))
        return 0;
    return x[r->col[COL_SYN]] >= 2 && x[r->col[COL_BWD_PKTS]] >= 1;
}

struct repeat_mark repeat_note(struct repeat *r, const float *x,
                               const struct alert_flow *id, int tcp)
{
    struct repeat_mark m = { 0, 0, 0 };
    if (!is_session(r, x, id, tcp))
        return m;
    /* Without both addresses, many hosts' sessions would share a group;
     * rows without a readable time (dated 0) would share one instant. */
    if (id->src_ip[0] == '\0' || id->dest_ip[0] == '\0' ||
        !(id->first_s > 0) || !isfinite(id->first_s))
        return m;
    float size[N_SIZES];
    for (int k = 0; k < N_SIZES; k++)
        size[k] = x[r->col[k]];
    struct group *g = group_get(r, id, &m.slot);
    struct shape *s = shape_find(r, g, size, id->first_s);
    shape_count(r, s, size, id->first_s);
    m.shape = (uint32_t)(s - g->shape);
    m.gen = s->gen;
    return m;
}

/* Spans under 10 s get a decimal, so a burst does not read "in 0 s". */
static int span_digits(const struct shape *s)
{
    return s->last_s - s->first_s < 9.95 ? 1 : 0;
}

int repeat_judge(struct repeat *r, const struct repeat_mark *m,
                 int benign, char *reason)
{
    if (m->gen == 0 || !benign)
        return 0;
    struct group *g = &r->slot[m->slot];
    struct shape *s = &g->shape[m->shape];
    if (s->gen != m->gen)
        return 0;
    if (!s->reached) {
        s->benign_before++;
        return 0;
    }
    s->escalated++;
    r->total.escalated++;
    char to[64];
    int n = snprintf(reason, REPEAT_REASON_LEN, "repeated session: %llu "
                     "sessions from %s to %s in %.*f s",
                     (unsigned long long)s->sessions, g->src_ip,
                     alert_format_endpoint(g->dest_ip, g->dest_port, to,
                                           sizeof(to)),
                     span_digits(s), s->last_s - s->first_s);
    if (s->benign_before > 0 && n > 0 && n < REPEAT_REASON_LEN)
        snprintf(reason + n, REPEAT_REASON_LEN - (size_t)n, "; %llu written "
                 "as benign before", (unsigned long long)s->benign_before);
    return 1;
}

void repeat_totals_get(const struct repeat *r, struct repeat_totals *t)
{
    *t = r->total;
}

size_t repeat_runs(const struct repeat *r,
                   void (*fn)(const struct repeat_run *run, void *user),
                   void *user)
{
    size_t n = 0;
    for (size_t i = 0; i < REPEAT_SLOTS; i++) {
        const struct group *g = &r->slot[i];
        for (int k = 0; g->key != 0 && k < REPEAT_SHAPES; k++) {
            const struct shape *s = &g->shape[k];
            if (s->gen == 0 || !s->reached)
                continue;
            struct repeat_run run = {
                g->src_ip, g->dest_ip, g->dest_port, s->sessions,
                s->last_s - s->first_s, s->escalated, s->benign_before,
            };
            if (fn != NULL)
                fn(&run, user);
            n++;
        }
    }
    return n;
}
