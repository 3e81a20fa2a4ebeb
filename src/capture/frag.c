#include <stdlib.h>
#include <string.h>

#include "capture/frag.h"
#include "core/fnv.h"
#include "fewflow/rng.h"

#define PROBES 8

struct frag_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint8_t protocol;
    uint8_t ip_version;
    uint8_t pad[2];
};

struct frag_entry {
    struct frag_key key;
    int64_t seen_ns;         /* INT64_MIN when the slot is free */
    uint16_t sport;
    uint16_t dport;
};

struct frag_table {
    struct frag_entry *slots;
    uint64_t hash_key;        /* random per table, against crafted
                                 collisions that evict real fragments */
    size_t mask;
    int64_t timeout_ns;
};

struct frag_table *frag_table_create(size_t capacity, int64_t timeout_ns)
{
    size_t n = 16;
    while (n < capacity)
        n *= 2;
    struct frag_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->slots = calloc(n, sizeof(*t->slots));
    if (!t->slots) {
        free(t);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        t->slots[i].seen_ns = INT64_MIN;
    t->mask = n - 1;
    t->timeout_ns = timeout_ns;
    t->hash_key = rng_entropy_u64();
    return t;
}

void frag_table_destroy(struct frag_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t);
}

size_t frag_table_entry_bytes(void)
{
    return sizeof(struct frag_entry);
}

static void make_key(struct frag_key *k, const struct decoded *d)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->src, d->src, 16);
    memcpy(k->dst, d->dst, 16);
    k->id = d->frag_id;
    k->protocol = d->protocol;
    k->ip_version = d->ip_version;
}

static size_t key_hash(uint64_t key, const struct frag_key *k)
{
    uint64_t h = fnv1a(FNV1A_OFFSET ^ key, k, sizeof(*k));
    return (size_t)(h ^ (h >> 29));
}

static int is_live(const struct frag_table *t, const struct frag_entry *e,
                   int64_t now)
{
    return e->seen_ns != INT64_MIN && now - e->seen_ns <= t->timeout_ns &&
           e->seen_ns - now <= t->timeout_ns;
}

int frag_table_learn(struct frag_table *t, const struct decoded *d,
                     int64_t now_ns)
{
    struct frag_key k;
    make_key(&k, d);
    size_t h = key_hash(t->hash_key, &k);
    struct frag_entry *victim = NULL;

    for (size_t i = 0; i < PROBES; i++) {
        struct frag_entry *e = &t->slots[(h + i) & t->mask];
        if (!is_live(t, e, now_ns) || memcmp(&e->key, &k, sizeof(k)) == 0) {
            victim = e;
            break;
        }
        if (!victim || e->seen_ns < victim->seen_ns)
            victim = e;
    }
    int replaced = is_live(t, victim, now_ns) &&
                   memcmp(&victim->key, &k, sizeof(k)) != 0;
    victim->key = k;
    victim->seen_ns = now_ns == INT64_MIN ? INT64_MIN + 1 : now_ns;
    victim->sport = d->sport;
    victim->dport = d->dport;
    return replaced;
}

int frag_table_lookup(struct frag_table *t, struct decoded *d,
                      int64_t now_ns)
{
    struct frag_key k;
    make_key(&k, d);
    size_t h = key_hash(t->hash_key, &k);

    for (size_t i = 0; i < PROBES; i++) {
        struct frag_entry *e = &t->slots[(h + i) & t->mask];
        if (is_live(t, e, now_ns) && memcmp(&e->key, &k, sizeof(k)) == 0) {
            d->sport = e->sport;
            d->dport = e->dport;
            d->has_ports = 1;
            return 1;
        }
    }
    return 0;
}
