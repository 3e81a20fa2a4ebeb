#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "detect/conn_impl.h"
#include "fewflow/conn.h"
#include "fewflow/err.h"

static long col_of(const char *const *names, size_t n, const char *want)
{
    for (size_t j = 0; j < n; j++) {
        if (strcmp(names[j], want) == 0)
            return (long)j;
    }
    return -1;
}

int conn_cols_find(struct conn_cols *c, const char *const *col_names,
                   size_t n_in)
{
    c->syn = col_of(col_names, n_in, "syn_flag_count");
    c->fin = col_of(col_names, n_in, "fin_flag_count");
    c->rst = col_of(col_names, n_in, "rst_flag_count");
    c->duration = col_of(col_names, n_in, "flow_duration");
    c->bwd_packets = col_of(col_names, n_in, "total_bwd_packets");
    return c->syn >= 0 && c->fin >= 0 && c->rst >= 0;
}

/* A count column read as "some": NaN and negative values are none. */
static int some(const float *x, long col)
{
    return col >= 0 && x[col] > 0;
}

/* A NaN flag count says nothing about SYN, FIN or RST: reading it as
 * "none" would let a damaged row continue a connection. */
static int flags_known(const struct conn_cols *c, const float *x)
{
    const long col[3] = { c->syn, c->fin, c->rst };

    for (int i = 0; i < 3; i++) {
        if (col[i] >= 0 && isnan(x[col[i]]))
            return 0;
    }
    return 1;
}

void conn_flow_make(const struct conn_cols *c, const float *x,
                    const struct alert_flow *id, struct conn_flow *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->src_ip, id->src_ip, sizeof(out->src_ip));
    memcpy(out->dest_ip, id->dest_ip, sizeof(out->dest_ip));
    out->src_ip[sizeof(out->src_ip) - 1] = '\0';
    out->dest_ip[sizeof(out->dest_ip) - 1] = '\0';
    out->src_port = id->src_port;
    out->dest_port = id->dest_port;
    out->proto = id->proto;
    out->syn = (uint8_t)some(x, c->syn);
    out->closed = (uint8_t)(some(x, c->fin) || some(x, c->rst));
    out->answered = (uint8_t)(c->bwd_packets < 0 || some(x, c->bwd_packets));
    out->start_s = id->first_s;
    out->end_s = id->last_s > id->first_s ? id->last_s : id->first_s;
    if (c->duration >= 0 && isfinite(x[c->duration]) && x[c->duration] > 0)
        out->end_s = fmax(out->end_s, id->first_s + x[c->duration] / 1e6);
    out->linkable = c->syn >= 0 && c->fin >= 0 && c->rst >= 0 &&
                    id->proto == 6 && id->src_ip[0] != '\0' &&
                    id->dest_ip[0] != '\0' && id->first_s > 0 &&
                    isfinite(id->first_s) && flags_known(c, x) &&
                    out->end_s - out->start_s <= CONN_MAX_SPAN_S;
}

/* a's endpoints are b's, in the same or in the other direction: after a
 * pause the meter starts a new flow in the direction of its first
 * packet, which may be the server's. */
int conn_same_tuple(const struct conn_flow *a, const struct conn_flow *b)
{
    if (a->proto != b->proto)
        return 0;
    if (a->src_port == b->src_port && a->dest_port == b->dest_port &&
        strcmp(a->src_ip, b->src_ip) == 0 &&
        strcmp(a->dest_ip, b->dest_ip) == 0)
        return 1;
    return a->src_port == b->dest_port && a->dest_port == b->src_port &&
           strcmp(a->src_ip, b->dest_ip) == 0 &&
           strcmp(a->dest_ip, b->src_ip) == 0;
}

static uint64_t endpoint_hash(const char *ip, uint16_t port)
{
    uint64_t h = fnv1a(FNV1A_OFFSET, ip, strlen(ip) + 1);
    return fmix64(fnv1a(h, &port, sizeof(port)));
}

/* The same for both directions (conn_same_tuple). */
uint64_t conn_tuple_hash(const struct conn_flow *f)
{
    uint64_t a = endpoint_hash(f->src_ip, f->src_port);
    uint64_t b = endpoint_hash(f->dest_ip, f->dest_port);
    return fnv1a(a ^ b, &f->proto, 1);
}

int conn_continues(const struct conn_flow *a, const struct conn_flow *b,
                   double timeout_s)
{
    return a->linkable && b->linkable && !b->syn && a->answered &&
           !a->closed &&
           conn_same_tuple(a, b) && b->start_s >= a->start_s &&
           b->start_s - a->end_s <= timeout_s;
}

static int is_benign(const struct memo *m, int32_t c)
{
    return c >= 0 && (size_t)c < m->n_classes &&
           (m->cls[c].flags & MEMO_CLASS_BENIGN) != 0;
}

int32_t conn_verdict(const struct memo *m, int32_t prev, int32_t own)
{
    if (is_benign(m, prev))
        return own;
    if (is_benign(m, own) || (own < 0 && prev >= 0))
        return prev;
    return own;
}

/* ---- the whole-set form ---- */

struct start_key {
    double s;
    size_t i;
};

static int by_start(const void *pa, const void *pb)
{
    const struct start_key *a = pa, *b = pb;
    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Indices by start time (ties by index) into ord. */
static int sort_by_start(const struct conn_flow *f, size_t n, size_t *ord)
{
    struct start_key *k = malloc((n + 1) * sizeof(*k));
    if (k == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        k[i].s = f[i].start_s;
        k[i].i = i;
    }
    qsort(k, n, sizeof(*k), by_start);
    for (size_t i = 0; i < n; i++)
        ord[i] = k[i].i;
    free(k);
    return 0;
}

/* Open addressing: each slot holds the latest flow of one 5-tuple. */
struct last_map {
    int32_t *slot;            /* flow index + 1; 0 = free */
    size_t mask;
};

static int32_t *last_of(struct last_map *lm, const struct conn_flow *f,
                        const struct conn_flow *all)
{
    size_t i = (size_t)conn_tuple_hash(f) & lm->mask;
    while (lm->slot[i] != 0 && !conn_same_tuple(&all[lm->slot[i] - 1], f))
        i = (i + 1) & lm->mask;
    return &lm->slot[i];
}

long conn_link(const struct conn_flow *f, size_t n, double timeout_s,
               int32_t *pred, size_t *order)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    struct last_map lm = { calloc(cap, sizeof(int32_t)), cap - 1 };
    size_t *ord = order ? order : malloc((n + 1) * sizeof(size_t));
    long links = 0;
    if (lm.slot == NULL || ord == NULL || n >= INT32_MAX) {
        free(lm.slot);
        if (ord != order)
            free(ord);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        pred[i] = -1;
    if (sort_by_start(f, n, ord) != 0)
        links = ERR_NOMEM;
    for (size_t k = 0; links >= 0 && k < n; k++) {
        size_t i = ord[k];
        if (!f[i].linkable)
            continue;
        int32_t *last = last_of(&lm, &f[i], f);
        if (*last != 0 && conn_continues(&f[*last - 1], &f[i], timeout_s)) {
            pred[i] = *last - 1;
            links++;
        }
        *last = (int32_t)i + 1;
    }
    free(lm.slot);
    if (ord != order)
        free(ord);
    return links;
}

size_t conn_propagate(const struct memo *m, const int32_t *pred,
                      const size_t *order, size_t n, int32_t *cls)
{
    size_t changed = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        if (pred[i] < 0)
            continue;
        int32_t v = conn_verdict(m, cls[pred[i]], cls[i]);
        changed += v != cls[i];
        cls[i] = v;
    }
    return changed;
}
