/*
 * Alert rate limits: the table of windows behind `limit` entries
 * (suppress.h) and detect --alert-limit.
 *
 * A key is what shares a window: the entry, the alert's class and, by
 * the entry's track, its source, destination, both or neither. The
 * first alert of a key opens a window of S seconds at its own time; the
 * first N alerts of the key in the window are written, the rest held
 * back, and the first alert at or after the window's start plus S opens
 * the next one. Times are the flows' own (capture or CSV timestamps),
 * so a replay decides the same; an alert dated before its window's
 * start (input out of time order) counts in that window, unless it is
 * dated more than the window's length and more than the input's
 * disorder (limit_set_disorder) before it: then the clock was set back,
 * and it opens a new window. Otherwise one alert dated years ahead (a
 * sensor clock set wrong, then corrected) would hold every later alert
 * of its key back until that time came.
 *
 * When a window that held alerts back is over (a later alert of its key
 * came, or a sweep found it ended by the latest alert's time), or its
 * key is pushed out of the full table, or the input ends, the caller
 * gets the window's held count and the times of its first and last held
 * alert, to report. A window is reported once: an alert of its key
 * dated inside it that comes after a sweep reported it opens a new
 * window at its own time.
 *
 * The table has a fixed number of slots, set at creation, in sets of
 * LIMIT_WAYS: a key lives in the set its hash picks. A new key takes a
 * free slot of its set or else the slot there whose last alert is the
 * oldest (ties: the first slot); that key is evicted, and a later alert
 * of it opens a new window. So memory never grows with the traffic, and
 * a flood of new keys can at worst let more alerts through, not fewer.
 * The hash is fixed (no random seed) so that runs are reproducible.
 *
 * Not thread-safe; no global state.
 */
#ifndef FEWFLOW_LIMIT_H
#define FEWFLOW_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#define LIMIT_WAYS 8
#define LIMIT_KEYS_DEFAULT 65536
#define LIMIT_KEYS_MIN 64
#define LIMIT_KEYS_MAX (1u << 22)

/* Build one with limit_key_make; compared bytewise. */
struct limit_key {
    uint32_t entry;            /* the entry's index in its list */
    int32_t cls;               /* the alert's class, -1 for unknown */
    uint8_t track;             /* enum suppress_track */
    uint8_t has_src, has_dst;  /* 0: not tracked, or no address */
    uint8_t src_v6, dst_v6;
    uint8_t untimed;           /* a CSV row without a time: a window of
                                  its own, apart from the dated ones */
    uint8_t pad[2];
    uint8_t src[16], dst[16];
};

/* A window that ended with alerts held back. */
struct limit_closed {
    struct limit_key key;
    uint64_t held;             /* alerts of the window held back */
    double first_s, last_s;    /* the first and last of them */
};

/* A key still in the table, for the summary. */
struct limit_slot_info {
    struct limit_key key;
    uint64_t alerts;           /* seen since the key came in */
    uint64_t held;             /* of them held back */
};

struct limit;

/* A table of about `keys` slots (rounded up to a power of two, at least
 * LIMIT_KEYS_MIN, at most LIMIT_KEYS_MAX); NULL (err_set) when out of
 * memory. */
struct limit *limit_create(size_t keys);
void limit_destroy(struct limit *l);

/* How far out of time order alerts may come (seconds, default 0): the
 * flow meter's idle timeout, since a flow's alert is dated at its last
 * packet and flows end up to that long after it. */
void limit_set_disorder(struct limit *l, double seconds);
double limit_disorder(const struct limit *l);

/* The key of an alert: src and dst are 16-byte addresses (an IPv4 one
 * in the first 4 bytes) or NULL when unknown; only those the track
 * keeps go in. */
void limit_key_make(struct limit_key *k, uint32_t entry, int32_t cls,
                    unsigned track, const uint8_t *src, int src_v6,
                    const uint8_t *dst, int dst_v6);

/* Counts an alert of key k at time t_s against at most count alerts per
 * seconds. Returns 1 to hold it back, 0 to write it. When that closed a
 * window with alerts held back (the key's own, or an evicted key's),
 * *closed gets it and *has_closed is 1; else *has_closed is 0. */
int limit_check(struct limit *l, const struct limit_key *k, double t_s,
                uint32_t count, double seconds,
                struct limit_closed *closed, int *has_closed);

/* The windows still holding alerts back, in slot order, each once:
 * returns the next one into *closed (1) or 0 when none is left. For
 * the end of the input; the slots stay for the summary. */
int limit_drain(struct limit *l, size_t *cursor,
                struct limit_closed *closed);

/* Looks at up to `steps` slots from *cursor on (wrapping, *cursor
 * moved past them) for a window that holds alerts back and has ended
 * by now_s: 1 with it in *closed (reported once), or 0. Spread over
 * the run, so that a storm that stopped is reported before the input
 * ends without a pass over the whole table per alert. */
int limit_sweep(struct limit *l, size_t *cursor, size_t steps,
                double now_s, struct limit_closed *closed);

size_t limit_slots(const struct limit *l);
/* Slot i (< limit_slots): 1 with *out filled when a key is there. */
int limit_slot(const struct limit *l, size_t i, struct limit_slot_info *out);
/* Keys pushed out of the full table, and how many of them still had
 * alerts held back in their window. */
uint64_t limit_evicted(const struct limit *l);
uint64_t limit_evicted_holding(const struct limit *l);

#endif
