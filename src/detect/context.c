#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/names.h"
#include "detect/lone_impl.h"
#include "fewflow/context.h"
#include "fewflow/err.h"

enum { COL_FWD_PKTS, COL_BWD_PKTS, COL_SYN, COL_RST, COL_FIN, N_COLS };

static const char *const col_name[N_COLS] = {
    "total_fwd_packet", "total_bwd_packets", "syn_flag_count",
    "rst_flag_count", "fin_flag_count",
};

/* The last flow of a kind seen for one key (a source, or a target): who
 * was on the other side, when, and whether two different ones were. */
struct fan_entry {
    uint64_t key;
    uint64_t other;
    double at_s;
    int several;
};

/* Who a kind of flow came from and went to lately. */
struct fan {
    struct fan_entry by_src[CONTEXT_SLOTS];
    struct fan_entry by_dst[CONTEXT_SLOTS];
};

struct context {
    size_t col[N_COLS];
    double window_s;
    struct fan refused;
    struct fan unanswered;
    struct lone_count lone;
};

static int find_cols(size_t *col, const char *const *names, size_t n)
{
    return names_find_all(col, col_name, N_COLS, names, n);
}

int context_columns_present(const char *const *col_names, size_t n_in)
{
    size_t col[N_COLS];
    return find_cols(col, col_names, n_in) == 0;
}

struct context *context_create(const char *const *col_names, size_t n_in,
                               double window_s)
{
    size_t col[N_COLS];
    if (find_cols(col, col_names, n_in) != 0)
        return NULL;
    struct context *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(c->col, col, sizeof(col));
    c->window_s = window_s;
    lone_count_init(&c->lone, window_s);
    return c;
}

void context_destroy(struct context *c)
{
    free(c);
}

static uint64_t hash_str(const char *s)
{
    return fnv1a(FNV1A_OFFSET, s, strlen(s));
}

/* The keys of a flow: its source, its destination host, and the
 * destination host and port (the target). */
static void flow_keys(const struct alert_flow *id, uint64_t k[3])
{
    k[0] = hash_str(id->src_ip);
    k[1] = hash_str(id->dest_ip);
    k[2] = fnv1a(k[1], &id->dest_port, sizeof(id->dest_port));
}

/* Records that `key` saw `other` at t; returns whether it has seen a
 * different one within the window. Key 0 marks a free slot, so it is
 * moved to 1. */
static int fan_entry_note(struct fan_entry *tab, double window_s,
                          uint64_t key, uint64_t other, double t)
{
    key += key == 0;
    struct fan_entry *e = &tab[key % CONTEXT_SLOTS];
    if (e->key != key || !(fabs(t - e->at_s) <= window_s)) {
        e->key = key;
        e->other = other;
        e->several = 0;
    } else if (e->other != other) {
        e->several = 1;
    }
    e->at_s = t;
    return e->several;
}

/* Whether key's entry shows two different partners within the window
 * of t, without changing it. */
static int fan_lookup(const struct fan_entry *tab, double window_s,
                      uint64_t key, double t)
{
    key += key == 0;
    const struct fan_entry *e = &tab[key % CONTEXT_SLOTS];
    return e->key == key && e->several && fabs(t - e->at_s) <= window_s;
}

static int answered_open(const struct context *c, const float *x)
{
    return x[c->col[COL_SYN]] >= 2 && x[c->col[COL_BWD_PKTS]] >= 1 &&
           x[c->col[COL_FWD_PKTS]] >= 2 && x[c->col[COL_RST]] == 0;
}

static int refused(const struct context *c, const float *x)
{
    return x[c->col[COL_FWD_PKTS]] == 1 && x[c->col[COL_BWD_PKTS]] == 1 &&
           x[c->col[COL_SYN]] >= 1 && x[c->col[COL_RST]] >= 1 &&
           x[c->col[COL_FIN]] == 0;
}

/* Notes the flow in f; whether its source saw another target (address
 * and port) or its destination (with the port when by_port) another
 * source within the window. */
static int fan_note(struct fan *f, double window_s,
                    const struct alert_flow *id, int by_port)
{
    uint64_t k[3];
    flow_keys(id, k);
    double t = id->first_s;
    int out = fan_entry_note(f->by_src, window_s, k[0], k[2], t);
    int in = fan_entry_note(f->by_dst, window_s, by_port ? k[2] : k[1],
                            k[0], t);
    return out || in;
}

static int is_lone(enum context_verdict v)
{
    return v == CONTEXT_LONE_REFUSED || v == CONTEXT_LONE_UNANSWERED;
}

/* Without both addresses a flow cannot be told from other hosts' flows:
 * all of a CSV's unaddressed rows would share one source and one target. */
static int addressed(const struct alert_flow *id)
{
    return id->src_ip[0] != '\0' && id->dest_ip[0] != '\0';
}

/* A CSV row without a readable time is dated at the epoch: within the
 * window of every other such row, however far apart they really were, so
 * they kept one another company and a lone one counted toward the lone
 * limit of a window that never was. (The cut rule reads no time, and
 * only capture flows, which always have one, end open.) */
static int timed(const struct alert_flow *id)
{
    return id->first_s > 0;
}

enum context_verdict context_check(struct context *c, const float *x,
                                   const struct alert_flow *id, int tcp)
{
    if (tcp && id->open_at_end && answered_open(c, x))
        return CONTEXT_CUT;
    if (!addressed(id) || !timed(id))
        return CONTEXT_OK;
    if (tcp && refused(c, x))
        return fan_note(&c->refused, c->window_s, id, 1)
               ? CONTEXT_OK : CONTEXT_LONE_REFUSED;
    if (!(x[c->col[COL_BWD_PKTS]] == 0))
        return CONTEXT_OK;
    /* Reflected and spoofed floods hit one host on many ports. */
    int seen = fan_note(&c->unanswered, c->window_s, id, 0);
    return seen || !id->open_at_end ? CONTEXT_OK : CONTEXT_LONE_UNANSWERED;
}

enum context_verdict context_recheck(const struct context *c,
                                     const struct alert_flow *id,
                                     enum context_verdict v)
{
    if (!is_lone(v))
        return v;
    const struct fan *f = v == CONTEXT_LONE_REFUSED ? &c->refused
                                                    : &c->unanswered;
    uint64_t k[3];
    flow_keys(id, k);
    uint64_t dst = v == CONTEXT_LONE_REFUSED ? k[2] : k[1];
    int seen = fan_lookup(f->by_src, c->window_s, k[0], id->first_s) ||
               fan_lookup(f->by_dst, c->window_s, dst, id->first_s);
    return seen ? CONTEXT_OK : v;
}

void context_lone_note(struct context *c, const struct alert_flow *id,
                       enum context_verdict v)
{
    if (is_lone(v))
        lone_count_note(&c->lone, id);
}

enum context_verdict context_lone_limit(const struct context *c,
                                        const struct alert_flow *id,
                                        enum context_verdict v)
{
    if (!is_lone(v))
        return v;
    return lone_count_common(&c->lone, id, CONTEXT_LONE_MAX) ? CONTEXT_OK
                                                              : v;
}

int context_set_lone_prefix(struct context *c, int dest, unsigned v4,
                            unsigned v6)
{
    if (v4 > 32 || v6 > 128)
        return err_set(ERR_INVALID, "lone prefix /%u,/%u: wants at most /32 "
                       "for IPv4 and /128 for IPv6", v4, v6);
    c->lone.prefix[dest != 0][0] = v4;
    c->lone.prefix[dest != 0][1] = v6;
    return 0;
}

uint64_t context_lone_evicted(const struct context *c)
{
    return c->lone.evicted;
}

const char *context_reason(enum context_verdict v)
{
    switch (v) {
    case CONTEXT_CUT:
        return "connection still open when the input ended: its duration "
               "and counts are those of a prefix";
    case CONTEXT_LONE_REFUSED:
        return "a lone refused connection: no other target refused this "
               "source and this target refused no other source";
    case CONTEXT_LONE_UNANSWERED:
        return "unanswered when the input ended, and alone: no other "
               "unanswered flow from its source or to its host";
    default:
        return NULL;
    }
}
