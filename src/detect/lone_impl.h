/*
 * The lone limit's counts (context.h), per source and per destination
 * network and window; used by context.c only, not a public API.
 */
#ifndef FEWFLOW_LONE_IMPL_H
#define FEWFLOW_LONE_IMPL_H

#include <stdint.h>

#include "fewflow/alert.h"

/* A batch is counted before it is written, so the count of every window
 * it spans is kept (with one window, a single lone flow from another time
 * at the end of a batch started a new one and withheld the burst before
 * it). The oldest window is dropped for a new one. */
#define LONE_WINDOWS 8

/* Network counts: 4-way buckets, fixed size whatever the traffic. */
#define LONE_NET_SLOTS 4096
#define LONE_NET_WAYS 4

struct lone_net {
    uint64_t key;   /* side, family, prefix and masked address */
    double epoch_s; /* its window's start; stale once that window went */
    uint32_t n;
};

struct lone_count {
    double window_s;
    double epoch_s[LONE_WINDOWS];
    uint64_t n[LONE_WINDOWS]; /* 0: no window there */
    size_t next;              /* where the next new window goes */
    unsigned prefix[2][2];    /* [source, destination][IPv4, IPv6] */
    struct lone_net net[LONE_NET_SLOTS];
    uint64_t evicted;         /* live counts pushed out of a full bucket */
};

void lone_count_init(struct lone_count *l, double window_s);

/* Counts one lone alert of flow id under its two networks. */
void lone_count_note(struct lone_count *l, const struct alert_flow *id);

/* Whether the source or the destination network of id had more than
 * `max` lone alerts in id's window. */
int lone_count_common(const struct lone_count *l,
                      const struct alert_flow *id, uint64_t max);

#endif
