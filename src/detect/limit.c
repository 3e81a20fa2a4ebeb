#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "fewflow/err.h"
#include "fewflow/limit.h"
#include "fewflow/suppress.h"

struct slot {
    struct limit_key key;
    double start_s;            /* the window's first alert */
    double last_s;             /* the key's latest alert, for eviction */
    double first_held_s, last_held_s;
    uint64_t alerts, held;     /* since the key came in */
    uint64_t win_held;         /* held in the window, not yet reported */
    double seconds;            /* the window's length */
    uint32_t win_count;        /* alerts counted in the window */
    uint8_t used;
    uint8_t reported;          /* the window's record was written */
};

struct limit {
    struct slot *s;
    size_t n;                  /* a power of two, LIMIT_WAYS at least */
    double disorder;           /* limit_set_disorder */
    uint64_t evicted, evicted_holding;
};

struct limit *limit_create(size_t keys)
{
    size_t n = LIMIT_KEYS_MIN;
    while (n < keys && n < LIMIT_KEYS_MAX)
        n *= 2;
    struct limit *l = calloc(1, sizeof(*l));
    if (l != NULL)
        l->s = calloc(n, sizeof(*l->s));
    if (l == NULL || l->s == NULL) {
        free(l);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    l->n = n;
    return l;
}

void limit_destroy(struct limit *l)
{
    if (l == NULL)
        return;
    free(l->s);
    free(l);
}

void limit_set_disorder(struct limit *l, double seconds)
{
    l->disorder = seconds > 0 ? seconds : 0;
}

double limit_disorder(const struct limit *l)
{
    return l->disorder;
}

void limit_key_make(struct limit_key *k, uint32_t entry, int32_t cls,
                    unsigned track, const uint8_t *src, int src_v6,
                    const uint8_t *dst, int dst_v6)
{
    memset(k, 0, sizeof(*k));
    k->entry = entry;
    k->cls = cls;
    k->track = (uint8_t)track;
    int by_src = track == SUPPRESS_BY_SRC || track == SUPPRESS_BY_BOTH;
    int by_dst = track == SUPPRESS_BY_DST || track == SUPPRESS_BY_BOTH;
    if (by_src && src != NULL) {
        k->has_src = 1;
        k->src_v6 = (uint8_t)(src_v6 != 0);
        memcpy(k->src, src, src_v6 ? 16 : 4);
    }
    if (by_dst && dst != NULL) {
        k->has_dst = 1;
        k->dst_v6 = (uint8_t)(dst_v6 != 0);
        memcpy(k->dst, dst, dst_v6 ? 16 : 4);
    }
}

static void closed_from(const struct slot *s, struct limit_closed *c)
{
    c->key = s->key;
    c->held = s->win_held;
    c->first_s = s->first_held_s;
    c->last_s = s->last_held_s;
}

/* The slot of k in its set: found (*found 1), else the free or oldest
 * slot it would take. */
static struct slot *find(struct limit *l, const struct limit_key *k,
                         int *found)
{
    uint64_t h = fmix64(fnv1a(FNV1A_OFFSET, k, sizeof(*k)));
    struct slot *set = l->s + (h & (l->n / LIMIT_WAYS - 1)) * LIMIT_WAYS;
    struct slot *take = NULL;
    for (size_t i = 0; i < LIMIT_WAYS; i++) {
        struct slot *s = &set[i];
        if (s->used && memcmp(&s->key, k, sizeof(*k)) == 0) {
            *found = 1;
            return s;
        }
        if (take == NULL || (take->used &&
                             (!s->used || s->last_s < take->last_s)))
            take = s;
    }
    *found = 0;
    return take;
}

int limit_check(struct limit *l, const struct limit_key *k, double t_s,
                uint32_t count, double seconds,
                struct limit_closed *closed, int *has_closed)
{
    int found;
    struct slot *s = find(l, k, &found);
    *has_closed = 0;
    double back = seconds > l->disorder ? seconds : l->disorder;
    int stepped = found && s->start_s - t_s > back;
    if (found && !s->reported && !stepped && t_s - s->start_s < seconds) {
        s->alerts++;
        s->last_s = t_s > s->last_s ? t_s : s->last_s;
        if (++s->win_count <= count)
            return 0;
        if (s->win_held++ == 0)
            s->first_held_s = t_s;
        s->last_held_s = t_s;
        s->held++;
        return 1;
    }
    if (s->used && s->win_held > 0) {
        closed_from(s, closed);
        *has_closed = 1;
    }
    /* After a clock set back, the key's latest time is this one again,
     * or a date ahead would keep it from ever being evicted. */
    double last = found && !stepped && s->last_s > t_s ? s->last_s : t_s;
    if (found) {
        s->alerts++;
    } else {
        if (s->used) {
            l->evicted++;
            l->evicted_holding += s->win_held > 0;
        }
        memset(s, 0, sizeof(*s));
        s->key = *k;
        s->used = 1;
        s->alerts = 1;
    }
    s->start_s = t_s;
    s->seconds = seconds;
    s->last_s = last;
    s->win_count = 1;
    s->win_held = 0;
    s->reported = 0;
    /* A count of 0 would be a suppression; the parser refuses it, and a
     * caller passing it still holds every alert back, as asked. */
    if (count > 0)
        return 0;
    s->win_held = 1;
    s->held++;
    s->first_held_s = s->last_held_s = t_s;
    return 1;
}

int limit_drain(struct limit *l, size_t *cursor, struct limit_closed *closed)
{
    for (; *cursor < l->n; (*cursor)++) {
        struct slot *s = &l->s[*cursor];
        if (s->used && s->win_held > 0) {
            closed_from(s, closed);
            s->win_held = 0;
            (*cursor)++;
            return 1;
        }
    }
    return 0;
}

int limit_sweep(struct limit *l, size_t *cursor, size_t steps,
                double now_s, struct limit_closed *closed)
{
    for (size_t k = 0; k < steps; k++) {
        struct slot *s = &l->s[*cursor];
        *cursor = (*cursor + 1) & (l->n - 1);
        if (s->used && s->win_held > 0 && now_s - s->start_s >= s->seconds) {
            closed_from(s, closed);
            s->win_held = 0;
            s->reported = 1;
            return 1;
        }
    }
    return 0;
}

size_t limit_slots(const struct limit *l)
{
    return l->n;
}

int limit_slot(const struct limit *l, size_t i, struct limit_slot_info *out)
{
    const struct slot *s = &l->s[i];
    if (!s->used)
        return 0;
    out->key = s->key;
    out->alerts = s->alerts;
    out->held = s->held;
    return 1;
}

uint64_t limit_evicted(const struct limit *l)
{
    return l->evicted;
}

uint64_t limit_evicted_holding(const struct limit *l)
{
    return l->evicted_holding;
}
