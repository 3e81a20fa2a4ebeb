#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/flow_acc.h"
#include "capture/frag.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/rng.h"

#define NIL UINT32_MAX
#define US 1000LL
#define SEC 1000000000LL
#define MAX_TABLE_FLOWS (1u << 30)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* TCP teardown states of a flow entry. A finished connection lingers
 * (CLOSE_DONE) so that the packets trailing its FIN or RST join it, as the
 * CSV's meter does; it sits in the meter's `closed` list meanwhile. */
enum { CLOSE_OPEN, CLOSE_FINS, CLOSE_DONE };

struct lru_list {
    uint32_t head;            /* most recently used */
    uint32_t tail;            /* least recently used: expires first */
};

/* Endpoint a is the smaller (address, port) pair, so both directions of a
 * conversation make the same key. The VLAN is deliberately not part of it:
 * a tag seen on one direction only must not split the flow. */
struct flow_key {
    uint8_t a[16];
    uint8_t b[16];
    uint16_t port_a;
    uint16_t port_b;
    uint8_t protocol;
    uint8_t ip_version;
    uint8_t pad[2];
};

struct flow_entry {
    struct flow_key key;
    uint32_t hnext;           /* next entry in the hash chain, or free list */
    uint32_t lru_prev;        /* towards the most recently used */
    uint32_t lru_next;        /* towards the least recently used */
    uint32_t hash;
    uint64_t id;
    uint16_t vlan_id;
    uint16_t part;
    uint8_t fwd_is_a;
    uint8_t closing;          /* CLOSE_* */
    uint8_t end_why;          /* FLOW_END_FIN or _RST once CLOSE_DONE */
    int64_t lru_ns;           /* when the entry last moved to the head */
    struct flow_acc acc;
};

/* Packets are decoded and hashed PIPE_DEPTH - 1 packets before they are
 * counted, so the memory of their hash bucket and flow entry can be
 * prefetched meanwhile: in a table bigger than the cache, the two misses
 * per packet were most of the time spent. */
#define PIPE_DEPTH 4

struct pending {
    struct decoded d;
    struct flow_key k;
    int64_t ts;
    uint32_t hash;
    int sender_is_a;
};

struct flow_meter {
    struct flow_config cfg;
    struct flow_gaps gaps;
    int64_t idle_ns;
    int64_t active_ns;
    int64_t linger_ns;        /* 0: a finished connection ends at once */
    int64_t lru_step_ns;      /* an entry moves to the LRU head at most
                                 this often (see account) */
    flow_emit_fn emit;
    void *user;
    struct flow_entry *entries;
    uint32_t cap;
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint64_t hash_key;        /* random per table: crafted keys cannot
                                 aim at one bucket (hash flooding) */
    uint32_t free_head;       /* recycled entries */
    uint32_t n_touched;       /* entries [n_touched, cap) never used yet:
                                 memory is touched only as flows need it */
    struct lru_list lru;      /* open flows */
    struct lru_list closed;   /* finished TCP connections, lingering */
    uint32_t n_active;
    int64_t now_ns;           /* latest timestamp seen: time never runs
                                 backwards for expiry */
    uint64_t next_id;
    struct frag_table *frags;
    struct flow_stats stats;
    struct pending pipe[PIPE_DEPTH];
    uint32_t pipe_head;       /* oldest pending packet */
    uint32_t pipe_len;
    float features[128];
};

void flow_config_default(struct flow_config *cfg)
{
    cfg->idle_timeout_us = 120000000;
    cfg->active_timeout_us = 120000000;
    cfg->activity_gap_us = 5000000;
    cfg->bulk_gap_us = 1000000;
    cfg->frag_timeout_us = 30000000;
    cfg->close_linger_us = 1000000;
    cfg->max_flows = 262144;
    cfg->max_frags = 8192;
}

const char *flow_end_reason_str(enum flow_end_reason r)
{
    static const char *const names[] = { "idle", "active", "fin", "rst",
                                         "evicted", "eof" };

    return (unsigned)r < 6 ? names[r] : "unknown";
}

size_t flow_meter_entry_bytes(void)
{
    return sizeof(struct flow_entry) + 2 * sizeof(uint32_t);
}

static int config_check(const struct flow_config *c)
{
    if (c->max_flows == 0 || c->max_flows > MAX_TABLE_FLOWS)
        return err_set(ERR_INVALID, "max flows must be 1..%u, not %zu",
                       MAX_TABLE_FLOWS, c->max_flows);
    if (c->idle_timeout_us == 0 || c->active_timeout_us == 0)
        return err_set(ERR_INVALID, "timeouts must be positive");
    if (c->max_frags == 0)
        return err_set(ERR_INVALID, "max fragments must be positive");
    if (c->idle_timeout_us > INT64_MAX / US ||
        c->active_timeout_us > INT64_MAX / US ||
        c->close_linger_us > INT64_MAX / US)
        return err_set(ERR_INVALID, "timeout too large");
    return 0;
}

static int table_alloc(struct flow_meter *m)
{
    uint32_t nb = 16;
    while (nb < 2 * m->cap)
        nb *= 2;
    m->entries = malloc((size_t)m->cap * sizeof(*m->entries));
    m->buckets = malloc((size_t)nb * sizeof(*m->buckets));
    if (!m->entries || !m->buckets)
        return ERR_NOMEM;
    m->bucket_mask = nb - 1;
    memset(m->buckets, 0xff, (size_t)nb * sizeof(*m->buckets));
    m->free_head = NIL;
    m->lru.head = m->lru.tail = NIL;
    m->closed.head = m->closed.tail = NIL;
    return 0;
}

struct flow_meter *flow_meter_create(const struct flow_config *cfg,
                                     flow_emit_fn emit, void *user)
{
    struct flow_config def;
    if (!cfg) {
        flow_config_default(&def);
        cfg = &def;
    }
    if (config_check(cfg) != 0)
        return NULL;
    struct flow_meter *m = calloc(1, sizeof(*m));
    if (!m) {
        err_set(ERR_NOMEM, "out of memory for the flow table");
        return NULL;
    }
    m->cfg = *cfg;
    m->emit = emit;
    m->user = user;
    m->cap = (uint32_t)cfg->max_flows;
    m->idle_ns = (int64_t)cfg->idle_timeout_us * US;
    m->active_ns = (int64_t)cfg->active_timeout_us * US;
    m->linger_ns = (int64_t)cfg->close_linger_us * US;
    m->lru_step_ns = m->idle_ns / 8 < SEC ? m->idle_ns / 8 : SEC;
    m->gaps.activity_ns = (int64_t)cfg->activity_gap_us * US;
    m->gaps.bulk_ns = (int64_t)cfg->bulk_gap_us * US;
    m->now_ns = INT64_MIN;
    m->hash_key = rng_entropy_u64();
    m->frags = frag_table_create(cfg->max_frags,
                                 (int64_t)cfg->frag_timeout_us * US);
    if (!m->frags || table_alloc(m) != 0) {
        flow_meter_destroy(m);
        err_set(ERR_NOMEM, "out of memory for %zu flows", cfg->max_flows);
        return NULL;
    }
    return m;
}

void flow_meter_destroy(struct flow_meter *m)
{
    if (!m)
        return;
    free(m->entries);
    free(m->buckets);
    frag_table_destroy(m->frags);
    free(m);
}

const struct flow_stats *flow_meter_stats(const struct flow_meter *m)
{
    return &m->stats;
}

static uint32_t key_hash(uint64_t key, const struct flow_key *k)
{
    uint64_t w[5];
    uint64_t h = 0x9e3779b97f4a7c15ull ^ key;

    memcpy(w, k, sizeof(w));
    for (int i = 0; i < 5; i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

/* --- LRU list: head is the most recent, tail the next to expire. --- */

static struct lru_list *list_of(struct flow_meter *m,
                                const struct flow_entry *e)
{
    return e->closing == CLOSE_DONE ? &m->closed : &m->lru;
}

static void lru_unlink(struct flow_meter *m, struct flow_entry *e)
{
    struct lru_list *l = list_of(m, e);
    if (e->lru_prev != NIL)
        m->entries[e->lru_prev].lru_next = e->lru_next;
    else
        l->head = e->lru_next;
    if (e->lru_next != NIL)
        m->entries[e->lru_next].lru_prev = e->lru_prev;
    else
        l->tail = e->lru_prev;
}

static void lru_push(struct flow_meter *m, struct flow_entry *e)
{
    struct lru_list *l = list_of(m, e);
    uint32_t idx = (uint32_t)(e - m->entries);

    e->lru_prev = NIL;
    e->lru_next = l->head;
    if (l->head != NIL)
        m->entries[l->head].lru_prev = idx;
    l->head = idx;
    if (l->tail == NIL)
        l->tail = idx;
}

static struct flow_entry *lookup(struct flow_meter *m,
                                 const struct flow_key *k, uint32_t h)
{
    for (uint32_t i = m->buckets[h & m->bucket_mask]; i != NIL;
         i = m->entries[i].hnext) {
        struct flow_entry *e = &m->entries[i];
        if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
            return e;
    }
    return NULL;
}

static void unhash(struct flow_meter *m, struct flow_entry *e)
{
    uint32_t idx = (uint32_t)(e - m->entries);
    uint32_t *link = &m->buckets[e->hash & m->bucket_mask];

    while (*link != idx)
        link = &m->entries[*link].hnext;
    *link = e->hnext;
}

static void fill_record(const struct flow_entry *e, struct flow_record *r)
{
    const struct flow_key *k = &e->key;

    memset(r, 0, sizeof(*r));
    r->id = e->id;
    r->ip_version = k->ip_version;
    r->protocol = k->protocol;
    memcpy(r->src_addr, e->fwd_is_a ? k->a : k->b, 16);
    memcpy(r->dst_addr, e->fwd_is_a ? k->b : k->a, 16);
    r->src_port = e->fwd_is_a ? k->port_a : k->port_b;
    r->dst_port = e->fwd_is_a ? k->port_b : k->port_a;
    r->vlan_id = e->vlan_id;
    r->part = e->part;
    r->first_ns = e->acc.first_ns;
    r->last_ns = e->acc.last_ns;
}

static int emit(struct flow_meter *m, const struct flow_entry *e,
                enum flow_end_reason why)
{
    struct flow_record rec;

    fill_record(e, &rec);
    rec.end_reason = why;
    flow_acc_features(&e->acc, m->features);
    rec.features = m->features;
    m->stats.flows++;
    return m->emit ? m->emit(&rec, m->user) : 0;
}

/* Emits the flow and returns its entry to the free list. */
static int finish(struct flow_meter *m, struct flow_entry *e,
                  enum flow_end_reason why)
{
    int rc = emit(m, e, why);

    unhash(m, e);
    lru_unlink(m, e);
    e->hnext = m->free_head;
    m->free_head = (uint32_t)(e - m->entries);
    m->n_active--;
    return rc;
}

/* Lingering connections end linger_ns after their last packet; the list
 * is exact (every packet moves its entry to the head). */
static int expire_closed(struct flow_meter *m)
{
    while (m->closed.tail != NIL) {
        struct flow_entry *e = &m->entries[m->closed.tail];
        if (m->now_ns - e->acc.last_ns <= m->linger_ns)
            return 0;
        int rc = finish(m, e, (enum flow_end_reason)e->end_why);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int expire_idle(struct flow_meter *m)
{
    int rc = expire_closed(m);
    while (rc == 0 && m->lru.tail != NIL) {
        struct flow_entry *e = &m->entries[m->lru.tail];
        if (m->now_ns - e->acc.last_ns <= m->idle_ns)
            return 0;
        rc = finish(m, e, FLOW_END_IDLE);
    }
    return rc;
}

/* A free entry, evicting the least recently used flow when full. */
static struct flow_entry *entry_take(struct flow_meter *m, int *rc)
{
    struct flow_entry *e;

    if (m->free_head == NIL && m->n_touched < m->cap) {
        e = &m->entries[m->n_touched++];
    } else {
        if (m->free_head == NIL && m->closed.tail != NIL) {
            /* A finished connection goes first: it only lingers. */
            struct flow_entry *c = &m->entries[m->closed.tail];
            *rc = finish(m, c, (enum flow_end_reason)c->end_why);
        } else if (m->free_head == NIL) {
            m->stats.evicted++;
            *rc = finish(m, &m->entries[m->lru.tail], FLOW_END_EVICTED);
        }
        e = &m->entries[m->free_head];
        m->free_head = e->hnext;
    }
    m->n_active++;
    if (m->n_active > m->stats.max_active)
        m->stats.max_active = m->n_active;
    return e;
}

static int make_key(const struct decoded *d, struct flow_key *k)
{
    int cmp = memcmp(d->src, d->dst, 16);
    int sender_is_a = cmp < 0 || (cmp == 0 && d->sport <= d->dport);

    memset(k, 0, sizeof(*k));
    memcpy(k->a, sender_is_a ? d->src : d->dst, 16);
    memcpy(k->b, sender_is_a ? d->dst : d->src, 16);
    k->port_a = sender_is_a ? d->sport : d->dport;
    k->port_b = sender_is_a ? d->dport : d->sport;
    k->protocol = d->protocol;
    k->ip_version = d->ip_version;
    return sender_is_a;
}

/* The initiator sends forward; a SYN-ACK as first packet means we missed
 * the SYN, so its receiver initiated. */
static struct flow_entry *flow_new(struct flow_meter *m,
                                   const struct flow_key *k, uint32_t h,
                                   int sender_is_a, const struct decoded *d,
                                   int64_t ts, int *rc)
{
    struct flow_entry *e = entry_take(m, rc);
    uint32_t idx = (uint32_t)(e - m->entries);
    int synack = d->protocol == 6 &&
                 (d->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);

    e->key = *k;
    e->hash = h;
    e->hnext = m->buckets[h & m->bucket_mask];
    m->buckets[h & m->bucket_mask] = idx;
    e->id = ++m->next_id;
    e->vlan_id = d->vlan_id;
    e->part = 0;
    e->closing = CLOSE_OPEN;
    e->fwd_is_a = synack ? !sender_is_a : sender_is_a;
    flow_acc_init(&e->acc, d->protocol, ts, ts);
    e->lru_ns = ts;
    lru_push(m, e);
    return e;
}

/* Active timeout: emit the part so far and continue in the same entry,
 * keeping the direction and the TCP connection's start. */
static int split_active(struct flow_meter *m, struct flow_entry *e,
                        int64_t ts)
{
    int rc = emit(m, e, FLOW_END_ACTIVE);

    flow_acc_init(&e->acc, e->key.protocol, ts, e->acc.tcp_start_ns);
    e->id = ++m->next_id;
    e->part++;
    return rc;
}

/* The connection is over: it ends now without a linger, else it moves to
 * the closed list until its trailing packets have passed. */
static int tcp_done(struct flow_meter *m, struct flow_entry *e,
                    enum flow_end_reason why)
{
    if (m->linger_ns == 0)
        return finish(m, e, why);
    lru_unlink(m, e);
    e->closing = CLOSE_DONE;
    e->end_why = (uint8_t)why;
    lru_push(m, e);
    return 0;
}

/* TCP teardown: a RST ends the connection; after FIN from both sides, the
 * next bare ACK (the last of the four-way close) ends it. */
static int tcp_end(struct flow_meter *m, struct flow_entry *e,
                   const struct decoded *d)
{
    if (d->frag_offset > 0 || e->closing == CLOSE_DONE)
        return 0;
    if (d->tcp_flags & TCP_RST)
        return tcp_done(m, e, FLOW_END_RST);
    if (!e->acc.dir[0].fin_seen || !e->acc.dir[1].fin_seen)
        return 0;
    if (e->closing == CLOSE_OPEN) {
        e->closing = CLOSE_FINS;
        return 0;
    }
    if ((d->tcp_flags & (TCP_FIN | TCP_SYN | TCP_ACK)) == TCP_ACK &&
        d->payload_len == 0)
        return tcp_done(m, e, FLOW_END_FIN);
    return 0;
}

/*
 * Moving an entry to the LRU head touches its two neighbours, two cache
 * misses per packet in a big table; so an entry moves at most once per
 * lru_step_ns. The list is then ordered by move time, and a flow's last
 * packet is at most lru_step_ns after it: idle expiry may run up to that
 * late, which is why a packet also checks its own flow's idle time.
 */
static void touch(struct flow_meter *m, struct flow_entry *e, int64_t ts)
{
    if (ts - e->lru_ns < m->lru_step_ns && e->closing != CLOSE_DONE)
        return;
    e->lru_ns = ts;
    lru_unlink(m, e);
    lru_push(m, e);
}

static int is_new_syn(const struct decoded *d)
{
    return d->protocol == 6 && d->frag_offset == 0 &&
           (d->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

/* A lingering connection takes every later packet of its ports except a
 * SYN (a new connection), one after the linger, or one past the active
 * timeout (the CSV's meter would start a new flow there too). */
static int closed_ends(const struct flow_meter *m,
                       const struct flow_entry *e, const struct decoded *d,
                       int64_t ts)
{
    int syn = d->frag_offset == 0 && (d->tcp_flags & TCP_SYN);
    return syn || ts - e->acc.last_ns > m->linger_ns ||
           ts - e->acc.first_ns > m->active_ns;
}

static int account(struct flow_meter *m, const struct pending *p)
{
    const struct decoded *d = &p->d;
    int64_t ts = p->ts;
    int sender_is_a = p->sender_is_a;
    uint32_t h = p->hash;
    struct flow_entry *e = lookup(m, &p->k, h);
    int rc = 0;

    if (e && e->closing == CLOSE_DONE && closed_ends(m, e, d, ts)) {
        rc = finish(m, e, (enum flow_end_reason)e->end_why);
        e = NULL;
    } else if (e && ts - e->acc.last_ns > m->idle_ns) {
        rc = finish(m, e, FLOW_END_IDLE);
        e = NULL;
    } else if (e && e->closing == CLOSE_FINS && is_new_syn(d)) {
        /* The port pair is reused before the last ACK was seen. */
        rc = finish(m, e, FLOW_END_FIN);
        e = NULL;
    }
    if (!e) {
        e = flow_new(m, &p->k, h, sender_is_a, d, ts, &rc);
    } else {
        if (ts < e->acc.last_ns) {
            ts = e->acc.last_ns;
            m->stats.ts_backwards++;
        }
        if (ts - e->acc.first_ns > m->active_ns)
            rc = split_active(m, e, ts);
        touch(m, e, ts);
    }
    if (e->vlan_id == 0)
        e->vlan_id = d->vlan_id;
    flow_acc_add(&e->acc, &m->gaps, sender_is_a == e->fwd_is_a ? 0 : 1,
                 ts, d);
    m->stats.ip_packets++;
    if (rc == 0 && d->protocol == 6)
        rc = tcp_end(m, e, d);
    return rc;
}

static void count_damage(struct flow_meter *m, enum decode_status st,
                         uint32_t linktype)
{
    if (st == DECODE_NON_IP) {
        m->stats.non_ip++;
    } else if (st == DECODE_UNSUPPORTED_LINK) {
        if (m->stats.unsupported++ == 0)
            m->stats.unsupported_linktype = linktype;
    } else if (st == DECODE_TRUNCATED) {
        m->stats.truncated++;
    } else {
        m->stats.malformed++;
    }
}

/* Later fragments of port protocols take their ports from the first
 * fragment; without it they are counted and dropped, never given port 0. */
static int fragment_ports(struct flow_meter *m, enum decode_status st,
                          struct decoded *d, int64_t ts)
{
    int has_ports = d->protocol == 6 || d->protocol == 17 ||
                    d->protocol == 132;

    m->stats.fragments++;
    if (st == DECODE_OK && d->has_ports) {
        m->stats.frag_evicted += frag_table_learn(m->frags, d, ts);
        return 1;
    }
    if (st == DECODE_LATER_FRAGMENT && has_ports &&
        !frag_table_lookup(m->frags, d, ts)) {
        m->stats.orphan_fragments++;
        return 0;
    }
    return 1;
}

/* Timestamps are clamped to +-2^62 ns (1824..2116) so that the difference
 * of any two fits in int64: a damaged file's absurd time cannot overflow. */
static int64_t clamp_ts(int64_t ts)
{
    const int64_t lim = INT64_C(1) << 62;

    return ts > lim ? lim : ts < -lim ? -lim : ts;
}

static void prefetch_entry(const struct flow_meter *m,
                           const struct pending *p)
{
    uint32_t idx = m->buckets[p->hash & m->bucket_mask];

    if (idx == NIL)
        return;
    const char *e = (const char *)&m->entries[idx];
    for (size_t off = 0; off < sizeof(struct flow_entry); off += 64)
        __builtin_prefetch(e + off, 1);
}

/* Ends every flow in the table: closed ones for their reason, open ones
 * as `why`. */
static int finish_all(struct flow_meter *m, enum flow_end_reason why)
{
    while (m->closed.tail != NIL) {
        struct flow_entry *e = &m->entries[m->closed.tail];
        int rc = finish(m, e, (enum flow_end_reason)e->end_why);
        if (rc != 0)
            return rc;
    }
    while (m->lru.tail != NIL) {
        int rc = finish(m, &m->entries[m->lru.tail], why);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A packet older than the meter's clock by more than the idle timeout is
 * a step of the capture clock (a sensor's clock set back). Kept at the
 * newest time, the clock would expire each later flow at its next packet:
 * one flow per packet until the capture caught up. The open flows end at
 * the step, as at the end of an input (what follows is not known to
 * continue them), and the clock follows the packet. */
static int clock_step_back(struct flow_meter *m, int64_t ts)
{
    m->stats.clock_steps++;
    int rc = finish_all(m, FLOW_END_EOF);
    m->now_ns = ts;
    return rc;
}

static int process(struct flow_meter *m, const struct pending *p)
{
    /* Unsigned: two clamped times may differ by 2^63. */
    if (m->now_ns != INT64_MIN && p->ts < m->now_ns &&
        (uint64_t)m->now_ns - (uint64_t)p->ts > (uint64_t)m->idle_ns) {
        int rc = clock_step_back(m, p->ts);
        if (rc != 0)
            return rc;
    }
    if (p->ts > m->now_ns)
        m->now_ns = p->ts;
    int rc = expire_idle(m);
    if (rc != 0)
        return rc;
    return account(m, p);
}

/* Counts the oldest pending packet. */
static int pipe_pop(struct flow_meter *m)
{
    const struct pending *p = &m->pipe[m->pipe_head];

    m->pipe_head = (m->pipe_head + 1) % PIPE_DEPTH;
    m->pipe_len--;
    if (m->pipe_len > 0)
        prefetch_entry(m, &m->pipe[m->pipe_head]);
    return process(m, p);
}

static int pipe_drain(struct flow_meter *m)
{
    while (m->pipe_len > 0) {
        int rc = pipe_pop(m);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int flow_meter_packet(struct flow_meter *m, const struct capture_packet *pkt)
{
    struct pending *p = &m->pipe[(m->pipe_head + m->pipe_len) % PIPE_DEPTH];

    m->stats.packets++;
    m->stats.bytes += pkt->wirelen;
    enum decode_status st = decode_packet(pkt->linktype, pkt->data,
                                          pkt->caplen, &p->d);
    if (st != DECODE_OK && st != DECODE_LATER_FRAGMENT) {
        count_damage(m, st, pkt->linktype);
        return 0;
    }
    p->ts = clamp_ts(pkt->ts_ns);
    if (p->d.is_fragment && !fragment_ports(m, st, &p->d, p->ts))
        return 0;
    p->sender_is_a = make_key(&p->d, &p->k);
    p->hash = key_hash(m->hash_key, &p->k);
    __builtin_prefetch(&m->buckets[p->hash & m->bucket_mask]);
    if (++m->pipe_len < PIPE_DEPTH)
        return 0;
    return pipe_pop(m);
}

int flow_meter_advance(struct flow_meter *m, int64_t now_ns)
{
    int rc = pipe_drain(m);
    if (rc != 0)
        return rc;
    if (clamp_ts(now_ns) > m->now_ns)
        m->now_ns = clamp_ts(now_ns);
    return expire_idle(m);
}

int flow_meter_flush(struct flow_meter *m)
{
    int rc = pipe_drain(m);
    return rc != 0 ? rc : finish_all(m, FLOW_END_EOF);
}

char *flow_addr_format(const struct flow_record *rec, int dst, char *buf,
                       size_t len)
{
    const uint8_t *a = dst ? rec->dst_addr : rec->src_addr;

    if (!inet_ntop(rec->ip_version == 6 ? AF_INET6 : AF_INET, a, buf,
                   (socklen_t)len) && len > 0)
        buf[0] = '\0';
    return buf;
}
