/*
 * A pcapng reader (draft-ietf-opsawg-pcapng): section headers in either
 * byte order, any number of interfaces per section with their own link
 * type, if_tsresol (powers of 10 or 2) and if_tsoffset; enhanced, simple
 * and obsolete packet blocks. Other blocks are skipped. Internal to the
 * capture module; not thread-safe.
 */
#ifndef FEWFLOW_CAPTURE_PCAPNG_H
#define FEWFLOW_CAPTURE_PCAPNG_H

#include <stdint.h>

#include "capture/stream.h"
#include "fewflow/capture.h"

struct pcapng_reader;

/* Takes over nothing: the stream stays the caller's. NULL on ERR_NOMEM. */
struct pcapng_reader *pcapng_open(struct stream *s, const char *name);

/*
 * Returns 1 with a packet, 0 at the end (clean, truncated or damaged:
 * st->truncated or st->bad_records says which and damage holds a line
 * naming the byte offset), or ERR_NOMEM.
 */
int pcapng_next(struct pcapng_reader *r, struct capture_packet *pkt,
                struct capture_source_stats *st, char *damage,
                size_t damage_len);

void pcapng_close(struct pcapng_reader *r);

#endif
