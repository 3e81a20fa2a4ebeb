#include <arpa/inet.h>
#include <math.h>
#include <string.h>

#include "core/fnv.h"
#include "detect/lone_impl.h"
#include "fewflow/context.h"

void lone_count_init(struct lone_count *l, double window_s)
{
    memset(l, 0, sizeof(*l));
    l->window_s = window_s;
    l->prefix[0][0] = CONTEXT_LONE_SRC4;
    l->prefix[0][1] = CONTEXT_LONE_SRC6;
    l->prefix[1][0] = CONTEXT_LONE_DST4;
    l->prefix[1][1] = CONTEXT_LONE_DST6;
}

/* Keeps the first `bits` bits of the n-byte address a. */
static void mask_bits(unsigned char *a, size_t n, unsigned bits)
{
    for (size_t i = 0; i < n; i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8
                        : bits > 8 * i ? bits - 8 * (unsigned)i : 0;
        a[i] &= (unsigned char)(0xff00u >> keep);
    }
}

/* The network of address text ip on one side (0 source, 1 destination).
 * Text that is no address is its own network: it cannot be grouped. */
static uint64_t net_key(const struct lone_count *l, const char *ip,
                        unsigned char side)
{
    unsigned char a[16];
    unsigned char tag[3] = { side, 0, 0 };
    size_t n = 0;
    if (inet_pton(AF_INET, ip, a) == 1) {
        n = 4;
        tag[1] = 4;
        tag[2] = (unsigned char)l->prefix[side][0];
        mask_bits(a, n, l->prefix[side][0]);
    } else if (inet_pton(AF_INET6, ip, a) == 1) {
        n = 16;
        tag[1] = 6;
        tag[2] = (unsigned char)l->prefix[side][1];
        mask_bits(a, n, l->prefix[side][1]);
    }
    uint64_t h = fnv1a(FNV1A_OFFSET, tag, sizeof(tag));
    h = n > 0 ? fnv1a(h, a, n) : fnv1a(h, ip, strlen(ip));
    h = fmix64(h);
    return h + (h == 0);
}

/* The window of time t (the first that holds it) into *at: 1, or 0. */
static int lone_window(const struct lone_count *l, double t, size_t *at)
{
    for (size_t w = 0; w < LONE_WINDOWS; w++) {
        if (l->n[w] > 0 && fabs(t - l->epoch_s[w]) <= l->window_s) {
            *at = w;
            return 1;
        }
    }
    return 0;
}

/* Whether e counts for a window still kept. */
static int net_live(const struct lone_count *l, const struct lone_net *e)
{
    if (e->n == 0)
        return 0;
    for (size_t w = 0; w < LONE_WINDOWS; w++)
        if (l->n[w] > 0 && l->epoch_s[w] == e->epoch_s)
            return 1;
    return 0;
}

static struct lone_net *net_bucket(struct lone_count *l, uint64_t key)
{
    return &l->net[(key % (LONE_NET_SLOTS / LONE_NET_WAYS)) * LONE_NET_WAYS];
}

static const struct lone_net *net_find(const struct lone_count *l,
                                       uint64_t key, double epoch_s)
{
    const struct lone_net *b = net_bucket((struct lone_count *)l, key);
    for (size_t i = 0; i < LONE_NET_WAYS; i++)
        if (b[i].n > 0 && b[i].key == key && b[i].epoch_s == epoch_s)
            return &b[i];
    return NULL;
}

/* A free or stale place in key's bucket, else the smallest live count
 * (a noisy network keeps its count; the loss is counted). */
static struct lone_net *net_place(struct lone_count *l, uint64_t key)
{
    struct lone_net *b = net_bucket(l, key);
    struct lone_net *e = &b[0];
    for (size_t i = 0; i < LONE_NET_WAYS; i++)
        if (!net_live(l, &b[i]))
            return &b[i];
    for (size_t i = 1; i < LONE_NET_WAYS; i++)
        if (b[i].n < e->n)
            e = &b[i];
    l->evicted++;
    return e;
}

static void net_add(struct lone_count *l, uint64_t key, double epoch_s)
{
    struct lone_net *e = (struct lone_net *)net_find(l, key, epoch_s);
    if (e == NULL) {
        e = net_place(l, key);
        e->key = key;
        e->epoch_s = epoch_s;
        e->n = 0;
    }
    e->n += e->n < UINT32_MAX;
}

void lone_count_note(struct lone_count *l, const struct alert_flow *id)
{
    double t = id->first_s;
    size_t w;
    if (!lone_window(l, t, &w)) {
        w = l->next;
        l->next = (l->next + 1) % LONE_WINDOWS;
        l->epoch_s[w] = t;
        l->n[w] = 0;
    }
    l->n[w]++;
    net_add(l, net_key(l, id->src_ip, 0), l->epoch_s[w]);
    net_add(l, net_key(l, id->dest_ip, 1), l->epoch_s[w]);
}

int lone_count_common(const struct lone_count *l,
                      const struct alert_flow *id, uint64_t max)
{
    size_t w;
    if (!lone_window(l, id->first_s, &w))
        return 0;
    if (l->n[w] > CONTEXT_LONE_MAX_ALL)
        return 1;
    double ep = l->epoch_s[w];
    const struct lone_net *s = net_find(l, net_key(l, id->src_ip, 0), ep);
    const struct lone_net *d = net_find(l, net_key(l, id->dest_ip, 1), ep);
    return (s != NULL && s->n > max) || (d != NULL && d->n > max);
}
