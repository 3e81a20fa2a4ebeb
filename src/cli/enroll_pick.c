#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/enroll_pick.h"
#include "fewflow/alert.h"
#include "fewflow/community_id.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/pick.h"

/* Flows sharing a picked flow_id (a hash collision, or one connection
 * read twice) are all taken, up to this many rows in all. */
#define PICK_ROWS_MAX 100000
#define PICK_SHOW 3

struct hit {
    uint32_t rank;           /* the pick's place in the file */
    uint32_t seq;            /* the flow's place in the input */
    struct alert_flow id;
};

struct cid_ref {
    uint64_t hash;
    uint32_t pick;           /* index in set.ids */
};

static int cid_cmp(const void *a, const void *b)
{
    const struct cid_ref *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

struct enroll_pick {
    struct pick_set set;
    const char *path;
    size_t n_in;
    uint16_t seed;
    uint8_t *found;          /* set.n flags */
    size_t n_found;
    /* Picks with a community_id, by its hash: a missing pick whose
     * 5-tuple the input holds under another flow_id points at other flow
     * timeouts; a found one whose community_id differs is a flow_id
     * collision or another --community-id-seed. */
    struct cid_ref *by_cid;  /* set.n_cid, ascending hash */
    uint8_t *cid_seen;       /* set.n flags: 5-tuple seen, id not */
    size_t cid_other;        /* flows taken whose community_id differs */
    float *x;                /* n_hits × n_in */
    struct hit *hits;
    size_t n_hits, cap;
};

struct enroll_pick *enroll_pick_create(const char *path, size_t n_in,
                                       uint16_t seed)
{
    struct enroll_pick *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    p->path = path;
    p->n_in = n_in;
    p->seed = seed;
    if (pick_read(path, &p->set) != 0) {
        free(p);
        return NULL;
    }
    p->found = calloc(p->set.n, 1);
    p->cid_seen = calloc(p->set.n, 1);
    p->by_cid = malloc((p->set.n_cid + 1) * sizeof(*p->by_cid));
    if (p->found == NULL || p->cid_seen == NULL || p->by_cid == NULL) {
        enroll_pick_destroy(p);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0, k = 0; i < p->set.n; i++) {
        if (p->set.cid[i] != 0)
            p->by_cid[k++] = (struct cid_ref){ p->set.cid[i], (uint32_t)i };
    }
    qsort(p->by_cid, p->set.n_cid, sizeof(*p->by_cid), cid_cmp);
    log_info("enroll", "%s: %zu flows picked (%zu alert lines, %zu "
             "flow_id numbers; %zu repeats)%s", strcmp(path, "-") ? path
             : "stdin", p->set.n, p->set.json, p->set.plain,
             p->set.lines - p->set.n, p->set.no_id ? "; lines naming no "
             "flow skipped (such as rate-limit records)" : "");
    return p;
}

void enroll_pick_destroy(struct enroll_pick *p)
{
    if (p == NULL)
        return;
    pick_fini(&p->set);
    free(p->found);
    free(p->cid_seen);
    free(p->by_cid);
    free(p->x);
    free(p->hits);
    free(p);
}

static int grow(struct enroll_pick *p)
{
    size_t cap = p->cap ? 2 * p->cap : 64;
    float *x = realloc(p->x, cap * p->n_in * sizeof(float));
    if (x == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    p->x = x;
    struct hit *h = realloc(p->hits, cap * sizeof(*h));
    if (h == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    p->hits = h;
    p->cap = cap;
    return 0;
}

/* The flow's community_id hash, or 0. */
static uint64_t flow_cid(const struct enroll_pick *p,
                         const struct detector_flow *f)
{
    char cid[COMMUNITY_ID_SIZE];
    if (community_id_of_flow(&f->id, p->seed, cid) != 0)
        return 0;
    return pick_cid_hash(cid, strlen(cid));
}

static void note_cid(struct enroll_pick *p, uint64_t h)
{
    struct cid_ref key = { h, 0 };
    struct cid_ref *r = bsearch(&key, p->by_cid, p->set.n_cid,
                                sizeof(key), cid_cmp);
    if (r == NULL)
        return;
    while (r > p->by_cid && r[-1].hash == h)
        r--;
    for (; r < p->by_cid + p->set.n_cid && r->hash == h; r++)
        p->cid_seen[r->pick] = 1;
}

int enroll_pick_flow(struct enroll_pick *p, const struct detector_flow *f)
{
    long k = pick_find(&p->set, f->id.flow_id);
    uint64_t cid = p->set.n_cid > 0 ? flow_cid(p, f) : 0;
    if (cid != 0)
        note_cid(p, cid);
    if (k < 0)
        return 0;
    if (p->set.cid[k] != 0 && cid != p->set.cid[k])
        p->cid_other++;
    if (p->n_hits == PICK_ROWS_MAX)
        return err_set(ERR_INVALID, "%s: more than %d flows carry the "
                       "picked flow_ids", f->origin, PICK_ROWS_MAX);
    if (p->n_hits == p->cap && grow(p) != 0)
        return err_last();
    memcpy(p->x + p->n_hits * p->n_in, f->x, p->n_in * sizeof(float));
    struct hit *h = &p->hits[p->n_hits];
    h->rank = p->set.order[k];
    h->seq = (uint32_t)p->n_hits++;
    h->id = f->id;
    h->id.reason = NULL;
    if (!p->found[k]) {
        p->found[k] = 1;
        p->n_found++;
    }
    return p->n_found == p->set.n ? 2 : 1;
}

/* The picks not found, the first few in the file's order. */
static int missing_error(const struct enroll_pick *p, const char *flows,
                         const struct flow_config *fc)
{
    uint64_t first[PICK_SHOW];
    uint32_t rank[PICK_SHOW];
    size_t shown = 0;
    char list[96] = "";
    for (size_t i = 0; i < p->set.n; i++) {
        if (p->found[i])
            continue;
        size_t j = shown < PICK_SHOW ? shown++ : PICK_SHOW;
        while (j > 0 && rank[j - 1] > p->set.order[i]) {
            if (j < PICK_SHOW) {
                first[j] = first[j - 1];
                rank[j] = rank[j - 1];
            }
            j--;
        }
        if (j < PICK_SHOW) {
            first[j] = p->set.ids[i];
            rank[j] = p->set.order[i];
        }
    }
    for (size_t i = 0, at = 0; i < shown; i++)
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%llu",
                               i ? ", " : "",
                               (unsigned long long)first[i]);
    size_t miss = p->set.n - p->n_found, moved = 0;
    char why[200] = "";
    for (size_t i = 0; i < p->set.n; i++)
        moved += !p->found[i] && p->cid_seen[i];
    if (moved > 0)
        snprintf(why, sizeof(why), " (%zu of them name a 5-tuple, by "
                 "community_id, that is here under another flow_id: its "
                 "flows start at other times, so the timeouts differ)",
                 moved);
    return err_set(ERR_NOTFOUND, "%s: %zu of %zu picked flows not found "
                   "(first: %s%s): from another capture, or detect read it "
                   "under other flow timeouts than these (--idle-timeout "
                   "%g --active-timeout %g --close-linger %g): flow_ids "
                   "depend on where flows start%s; no model written", flows,
                   miss, p->set.n, list, miss > shown ? ", ..." : "",
                   (double)fc->idle_timeout_us / 1e6,
                   (double)fc->active_timeout_us / 1e6,
                   (double)fc->close_linger_us / 1e6, why);
}

static int hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct key {
    char s[48];
};

/* Numbers (ports, protocols) in numeric order, addresses as text. */
static int key_cmp(const void *a, const void *b)
{
    const char *x = ((const struct key *)a)->s;
    const char *y = ((const struct key *)b)->s;
    size_t lx = strlen(x), ly = strlen(y);
    if (strspn(x, "0123456789") == lx && strspn(y, "0123456789") == ly &&
        lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x, y);
}

static void key_of(const struct alert_flow *f, int field, struct key *k)
{
    switch (field) {
    case 0: snprintf(k->s, sizeof(k->s), "%s", f->src_ip); break;
    case 1: snprintf(k->s, sizeof(k->s), "%s", f->dest_ip); break;
    case 2: snprintf(k->s, sizeof(k->s), "%u", f->dest_port); break;
    default: snprintf(k->s, sizeof(k->s), "%u", f->proto); break;
    }
    if (k->s[0] == '\0')
        snprintf(k->s, sizeof(k->s), "-");
}

/* "N (a, b, c, ...)": how many distinct values a field takes. */
static void distinct(const struct hit *h, size_t n, int field,
                     struct key *keys, char *out, size_t len)
{
    size_t d = 0, at;
    char shown[3][64];
    for (size_t i = 0; i < n; i++)
        key_of(&h[i].id, field, &keys[i]);
    qsort(keys, n, sizeof(*keys), key_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(keys[i].s, keys[i - 1].s) == 0)
            continue;
        if (d < PICK_SHOW)
            cli_printable(keys[i].s, shown[d], sizeof(shown[d]));
        d++;
    }
    at = (size_t)snprintf(out, len, "%zu (", d);
    for (size_t i = 0; i < d && i < PICK_SHOW && at < len; i++)
        at += (size_t)snprintf(out + at, len - at, "%s%s", i ? ", " : "",
                               shown[i]);
    if (at < len)
        snprintf(out + at, len - at, "%s)", d > PICK_SHOW ? ", ..." : "");
}

/* What was taken, for the analyst to check against the alerts. */
static void describe(const struct hit *h, size_t n, const char *flows)
{
    static const char *const names[4] = { "src_ip", "dest_ip",
                                          "dest_port", "proto" };
    char what[4][160], t0[40], t1[40];
    double first = h[0].id.first_s, last = h[0].id.last_s;
    struct key *keys = malloc(n * sizeof(*keys));
    for (size_t i = 1; i < n; i++) {
        first = h[i].id.first_s < first ? h[i].id.first_s : first;
        last = h[i].id.last_s > last ? h[i].id.last_s : last;
    }
    for (int f = 0; f < 4; f++) {
        if (keys != NULL)
            distinct(h, n, f, keys, what[f], sizeof(what[f]));
        else
            snprintf(what[f], sizeof(what[f]), "?");
    }
    alert_format_time(first, t0, sizeof(t0));
    alert_format_time(last, t1, sizeof(t1));
    log_info("enroll", "%s: taking %zu picked flows, %s to %s; %s %s, "
             "%s %s, %s %s, %s %s", flows, n, t0, t1, names[0], what[0],
             names[1], what[1], names[2], what[2], names[3], what[3]);
    free(keys);
}

int enroll_pick_finish(struct enroll_pick *p, const char *flows,
                       const struct flow_config *fc, size_t shot,
                       float **x, size_t *n)
{
    if (p->n_found < p->set.n)
        return missing_error(p, flows, fc);
    size_t take = shot > 0 && shot < p->n_hits ? shot : p->n_hits;
    float *rows = malloc((take + 1) * p->n_in * sizeof(float));
    if (rows == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    qsort(p->hits, p->n_hits, sizeof(*p->hits), hit_cmp);
    for (size_t i = 0; i < take; i++)
        memcpy(rows + i * p->n_in, p->x + p->hits[i].seq * p->n_in,
               p->n_in * sizeof(float));
    if (p->n_hits > p->set.n)
        log_warn("enroll", "%s: %zu flows carry the %zu picked flow_ids "
                 "(flows sharing an id are all taken)", flows, p->n_hits,
                 p->set.n);
    if (p->cid_other > 0)
        log_warn("enroll", "%s: %zu flows taken have another community_id "
                 "than their pick names (flow_ids shared by two flows, or "
                 "detect ran with another --community-id-seed than %u)",
                 flows, p->cid_other, (unsigned)p->seed);
    describe(p->hits, take, flows);
    *x = rows;
    *n = take;
    return 0;
}
