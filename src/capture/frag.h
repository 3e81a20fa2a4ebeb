/*
 * Fragment state: which ports a fragmented datagram carries, learned from
 * its first fragment and keyed by (addresses, protocol, fragment id), so
 * that later fragments join the flow of the first. Fixed size, allocated
 * once; when a probe window is full the oldest entry is replaced (counted).
 * Internal to the capture module; not thread-safe.
 */
#ifndef FEWFLOW_CAPTURE_FRAG_H
#define FEWFLOW_CAPTURE_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "capture/decode.h"

struct frag_table;

/* capacity is rounded up to a power of two. NULL on ERR_NOMEM. */
struct frag_table *frag_table_create(size_t capacity, int64_t timeout_ns);
void frag_table_destroy(struct frag_table *t);

/* Remembers the ports of a first fragment (d->has_ports, offset 0).
 * Returns 1 when an older live entry had to be replaced, else 0. */
int frag_table_learn(struct frag_table *t, const struct decoded *d,
                     int64_t now_ns);

/* Fills d->sport/dport for a later fragment. Returns 1 when known, 0 when
 * the first fragment was never seen (or expired). */
int frag_table_lookup(struct frag_table *t, struct decoded *d,
                      int64_t now_ns);

size_t frag_table_entry_bytes(void);

#endif
