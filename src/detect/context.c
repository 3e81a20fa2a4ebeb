#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/context.h"
#include "fewflow/err.h"

enum { COL_FWD_PKTS, COL_BWD_PKTS, COL_SYN, COL_RST, COL_FIN, N_COLS };

static const char *const col_name[N_COLS] = {
    "total_fwd_packet", "total_bwd_packets", "syn_flag_count",
    "rst_flag_count", "fin_flag_count",
};

/* The last refusal seen for one key (a source, or a target): who was on
 * the other side, when, and whether two different ones were seen. */
struct refusal {
    uint64_t key;
    uint64_t other;
    double at_s;
    int several;
};

struct context {
    size_t col[N_COLS];
    double window_s;
    struct refusal by_src[CONTEXT_SLOTS];
    struct refusal by_dst[CONTEXT_SLOTS];
};

static int find_cols(size_t *col, const char *const *names, size_t n)
{
    for (size_t k = 0; k < N_COLS; k++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], col_name[k]) != 0)
            j++;
        if (j == n)
            return -1;
        col[k] = j;
    }
    return 0;
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
    return c;
}

void context_destroy(struct context *c)
{
    free(c);
}

/* FNV-1a, continued from h. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t hash_str(const char *s)
{
    return hash_bytes(UINT64_C(0xcbf29ce484222325), s, strlen(s));
}

/* Records that `key` saw `other` at t; returns whether it has seen a
 * different one within the window. Key 0 marks a free slot, so it is
 * moved to 1. */
static int refusal_note(struct refusal *tab, double window_s, uint64_t key,
                        uint64_t other, double t)
{
    key += key == 0;
    struct refusal *e = &tab[key % CONTEXT_SLOTS];
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

enum context_verdict context_check(struct context *c, const float *x,
                                   const struct alert_flow *id, int tcp)
{
    if (!tcp)
        return CONTEXT_OK;
    if (id->open_at_end && answered_open(c, x))
        return CONTEXT_CUT;
    if (!refused(c, x))
        return CONTEXT_OK;
    uint64_t src = hash_str(id->src_ip);
    uint64_t dst = hash_bytes(hash_str(id->dest_ip), &id->dest_port,
                              sizeof(id->dest_port));
    int fan_out = refusal_note(c->by_src, c->window_s, src, dst,
                               id->first_s);
    int fan_in = refusal_note(c->by_dst, c->window_s, dst, src,
                              id->first_s);
    return fan_out || fan_in ? CONTEXT_OK : CONTEXT_LONE_REFUSED;
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
    default:
        return NULL;
    }
}
