#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "core/names.h"
#include "fewflow/beacon.h"
#include "fewflow/err.h"

static const char col_size[] = "total_length_of_fwd_packet";
static const char col_syn[] = "syn_flag_count";
static const char col_duration[] = "flow_duration";

/* One client's sessions to one service. Beats are kept sorted by time
 * (CSV rows need not be); sizes and ids in arrival order, as rings. */
struct series {
    uint64_t key;             /* 0: free */
    uint64_t gen;             /* which series held the slot */
    char src_ip[48];
    char dest_ip[48];
    uint16_t dest_port;
    uint16_t last_src_port;
    uint8_t proto;
    uint8_t decided;
    uint32_t n_beats, n_sizes, n_ids;
    double beat[BEACON_KEEP];
    float size[BEACON_KEEP];
    uint64_t id[ALERT_BEACON_IDS];
    double first_s, last_s;   /* first and latest session start */
    double last_end_s;        /* end of the latest session's last part */
    double period_s, jitter_s;  /* of the latest regular window */
    uint64_t sessions, alerts, before;
};

/* The distinct clients of one server (address, port, protocol), counted
 * up to BEACON_CLIENTS_MAX; direct-mapped, a newcomer replaces. */
struct server {
    uint64_t key;             /* 0: free */
    uint32_t n;
    uint64_t client[BEACON_CLIENTS_MAX];
};

struct beacon {
    size_t col_size;
    size_t col_syn;           /* SIZE_MAX: the model has none */
    size_t col_duration;      /* SIZE_MAX: the model has none */
    uint32_t min_beats;
    double idle_s;
    uint64_t next_gen;
    uint32_t max_clients;     /* 0: any number */
    int any_dest;
    struct beacon_nets local;
    struct beacon_totals total;
    struct series slot[BEACON_SLOTS];
    struct server server[BEACON_SLOTS];
};

static size_t col_find(const char *want, const char *const *names, size_t n)
{
    size_t col;
    const char *const w[1] = { want };
    return names_find_all(&col, w, 1, names, n) == 0 ? col : SIZE_MAX;
}

int beacon_columns_present(const char *const *col_names, size_t n_in)
{
    return col_find(col_size, col_names, n_in) != SIZE_MAX;
}

struct beacon *beacon_create(const char *const *col_names, size_t n_in,
                             uint32_t min_beats, double idle_s)
{
    size_t size = col_find(col_size, col_names, n_in);
    if (size == SIZE_MAX)
        return NULL;
    struct beacon *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    b->col_size = size;
    b->col_syn = col_find(col_syn, col_names, n_in);
    b->col_duration = col_find(col_duration, col_names, n_in);
    b->min_beats = min_beats < BEACON_MIN_LOWEST ? BEACON_MIN_LOWEST
                   : min_beats > BEACON_KEEP ? BEACON_KEEP : min_beats;
    b->idle_s = idle_s;
    beacon_nets_parse(BEACON_LOCAL_DEFAULT, &b->local);
    return b;
}

void beacon_destroy(struct beacon *b)
{
    free(b);
}

void beacon_set_max_clients(struct beacon *b, uint32_t max_clients)
{
    b->max_clients = max_clients < BEACON_CLIENTS_MAX ? max_clients
                                                      : BEACON_CLIENTS_MAX - 1;
}

void beacon_set_scope(struct beacon *b, const struct beacon_nets *local,
                      int any_dest)
{
    b->local = *local;
    b->any_dest = any_dest;
}

static uint64_t series_key(const struct alert_flow *id)
{
    uint64_t h = fnv1a(FNV1A_OFFSET, id->src_ip, strlen(id->src_ip) + 1);
    h = fnv1a(h, id->dest_ip, strlen(id->dest_ip) + 1);
    h = fnv1a(h, &id->dest_port, sizeof(id->dest_port));
    h = fmix64(fnv1a(h, &id->proto, 1));
    return h + (h == 0);
}

static int series_is(const struct series *s, uint64_t key,
                     const struct alert_flow *id)
{
    return s->key == key && s->dest_port == id->dest_port &&
           s->proto == id->proto && strcmp(s->src_ip, id->src_ip) == 0 &&
           strcmp(s->dest_ip, id->dest_ip) == 0;
}

/* Whether a newcomer at t should take a's place rather than b's: a free
 * place, then one idle for BEACON_STALE_S, then fewer sessions, then the
 * one idle longer. */
static int series_before(const struct series *a, const struct series *b,
                         double t)
{
    if ((a->key == 0) != (b->key == 0))
        return a->key == 0;
    int a_stale = !(fabs(t - a->last_s) <= BEACON_STALE_S);
    int b_stale = !(fabs(t - b->last_s) <= BEACON_STALE_S);
    if (a_stale != b_stale)
        return a_stale;
    if (a->sessions != b->sessions)
        return a->sessions < b->sessions;
    return a->last_s < b->last_s;
}

static struct series *series_get(struct beacon *b,
                                 const struct alert_flow *id, uint32_t *slot)
{
    uint64_t key = series_key(id);
    uint32_t base = (uint32_t)(key % (BEACON_SLOTS / BEACON_WAYS)) *
                    BEACON_WAYS;
    uint32_t victim = base;
    for (uint32_t i = base; i < base + BEACON_WAYS; i++) {
        if (series_is(&b->slot[i], key, id)) {
            *slot = i;
            return &b->slot[i];
        }
        if (i != base && series_before(&b->slot[i], &b->slot[victim],
                                       id->first_s))
            victim = i;
    }
    struct series *s = &b->slot[victim];
    b->total.evicted += s->key != 0;
    memset(s, 0, sizeof(*s));
    s->key = key;
    s->gen = ++b->next_gen;
    snprintf(s->src_ip, sizeof(s->src_ip), "%s", id->src_ip);
    snprintf(s->dest_ip, sizeof(s->dest_ip), "%s", id->dest_ip);
    s->dest_port = id->dest_port;
    s->proto = id->proto;
    s->first_s = s->last_s = id->first_s;
    *slot = victim;
    return s;
}

/* Counts the flow's client for its server; how many distinct clients
 * the server has had (BEACON_CLIENTS_MAX: that many or more). A
 * replaced entry only makes a server look rarer. */
static uint32_t server_clients(struct beacon *b, const struct alert_flow *id)
{
    uint64_t h = fnv1a(FNV1A_OFFSET, id->dest_ip, strlen(id->dest_ip) + 1);
    h = fnv1a(h, &id->dest_port, sizeof(id->dest_port));
    h = fmix64(fnv1a(h, &id->proto, 1));
    h += h == 0;
    uint64_t c = fmix64(fnv1a(FNV1A_OFFSET, id->src_ip,
                              strlen(id->src_ip) + 1));
    struct server *v = &b->server[h % BEACON_SLOTS];
    if (v->key != h) {
        memset(v, 0, sizeof(*v));
        v->key = h;
    }
    for (uint32_t i = 0; i < v->n; i++) {
        if (v->client[i] == c)
            return v->n;
    }
    if (v->n < BEACON_CLIENTS_MAX)
        v->client[v->n++] = c;
    return v->n;
}

/* Adds a beat at t unless one lies within BEACON_BEAT_GAP; when full, the
 * oldest goes (a start older than all kept ones is dropped). */
static void beat_add(struct series *s, double t)
{
    uint32_t i = 0;
    while (i < s->n_beats && s->beat[i] < t)
        i++;
    if ((i > 0 && t - s->beat[i - 1] < BEACON_BEAT_GAP) ||
        (i < s->n_beats && s->beat[i] - t < BEACON_BEAT_GAP))
        return;
    if (s->n_beats == BEACON_KEEP) {
        if (i == 0)
            return;
        memmove(s->beat, s->beat + 1, (i - 1) * sizeof(double));
        i--;
        s->n_beats--;
    }
    memmove(s->beat + i + 1, s->beat + i, (s->n_beats - i) * sizeof(double));
    s->beat[i] = t;
    s->n_beats++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median and median absolute deviation of v[0..n), n > 0; v is
 * reordered. */
static void median_mad(double *v, size_t n, double *med, double *mad)
{
    qsort(v, n, sizeof(*v), cmp_double);
    double m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - m);
    qsort(v, n, sizeof(*v), cmp_double);
    *med = m;
    *mad = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Whether the kept window is regular (beacon.h); sets the period and
 * jitter when it is. */
static int series_regular(const struct beacon *b, struct series *s)
{
    double v[BEACON_KEEP], p, j, size, spread;
    if (s->n_beats < b->min_beats)
        return 0;
    for (uint32_t i = 0; i + 1 < s->n_beats; i++)
        v[i] = s->beat[i + 1] - s->beat[i];
    median_mad(v, s->n_beats - 1, &p, &j);
    if (!(j <= BEACON_JITTER * p))
        return 0;
    for (uint32_t i = 0; i < s->n_sizes; i++)
        v[i] = s->size[i];
    median_mad(v, s->n_sizes, &size, &spread);
    if (!(spread <= fmax(BEACON_SIZE_SPREAD * size, BEACON_SIZE_FLOOR)))
        return 0;
    s->period_s = p;
    s->jitter_s = j;
    return 1;
}

/* A new connection of a series in scope (beacon.h). */
static int is_session(const struct beacon *b, const float *x,
                      const struct alert_flow *id)
{
    if (id->src_ip[0] == '\0' || id->dest_ip[0] == '\0')
        return 0;
    /* A CSV row without a readable time is dated 0: not a beat. */
    if (!(id->first_s > 0) || !isfinite(id->first_s))
        return 0;
    if (id->proto == 6 && b->col_syn != SIZE_MAX && !(x[b->col_syn] >= 1))
        return 0;
    if (b->any_dest)
        return 1;
    return id->dest_port != 53 && id->dest_port != 123 &&
           !beacon_nets_has(&b->local, id->dest_ip);
}

/* When the flow ended: a CSV row's identity has only its start, so its
 * duration column (microseconds) gives the end. */
static double flow_end(const struct beacon *b, const float *x,
                       const struct alert_flow *id)
{
    double end = id->last_s;
    if (b->col_duration != SIZE_MAX && x[b->col_duration] > 0 &&
        x[b->col_duration] <= 86400e6)
        end = fmax(end, id->first_s + (double)x[b->col_duration] / 1e6);
    return end;
}

/* The same source port again within the idle timeout of the last
 * part's end (the session's or a continuation's: every part of a long
 * flow starts where the one before it ended): a long flow cut by the
 * meter, not a new session. A TCP flow with a SYN is a new connection
 * whatever its port. */
static int is_continuation(const struct beacon *b, const struct series *s,
                           const struct alert_flow *id)
{
    if (id->proto == 6 && b->col_syn != SIZE_MAX)
        return 0;
    return s->sessions > 0 && id->src_port == s->last_src_port &&
           fabs(id->first_s - s->last_end_s) < b->idle_s;
}

static void series_count(const struct beacon *b, struct series *s,
                         const float *x, const struct alert_flow *id)
{
    s->size[s->sessions % BEACON_KEEP] = x[b->col_size];
    s->n_sizes += s->n_sizes < BEACON_KEEP;
    beat_add(s, id->first_s);
    s->sessions++;
    s->first_s = fmin(s->first_s, id->first_s);
    s->last_s = fmax(s->last_s, id->first_s);
    s->last_end_s = flow_end(b, x, id);
    s->last_src_port = id->src_port;
}

/* The mark's copy of the series for the alert line; the ids are those
 * of the earlier flows, newest first. */
static void mark_fill(const struct series *s, struct beacon_mark *m)
{
    struct alert_beacon *in = &m->info;
    in->sessions = s->sessions;
    in->period_s = s->period_s;
    in->jitter_s = s->jitter_s;
    in->since_s = s->first_s;
    in->n_ids = s->n_ids;
    for (uint32_t k = 0; k < s->n_ids; k++)
        in->ids[k] = s->id[(s->sessions - 2 - k) % ALERT_BEACON_IDS];
}

void beacon_note(struct beacon *b, const float *x,
                 const struct alert_flow *id, struct beacon_mark *m)
{
    memset(m, 0, sizeof(*m));
    if (!is_session(b, x, id))
        return;
    struct series *s = series_get(b, id, &m->slot);
    if (is_continuation(b, s, id)) {
        s->last_end_s = fmax(s->last_end_s, flow_end(b, x, id));
        return;
    }
    series_count(b, s, x, id);
    int popular = b->max_clients > 0 &&
                  server_clients(b, id) > b->max_clients;
    int regular = series_regular(b, s);
    if (regular && !s->decided && !popular) {
        s->decided = 1;
        s->before = s->sessions - 1;
        b->total.series++;
        b->total.before += s->before;
    }
    /* Held back: a series regular now, or decided before its server
     * turned popular; either would have been reported. */
    b->total.popular += popular && (regular || s->decided);
    if (s->decided && !popular) {
        m->decided = 1;
        m->gen = s->gen;
        mark_fill(s, m);
    }
    s->id[(s->sessions - 1) % ALERT_BEACON_IDS] = id->flow_id;
    s->n_ids += s->n_ids < ALERT_BEACON_IDS;
}

/* Seconds with three significant digits at most, so "every 10.1 s ±
 * 0.00756 s" reads as a period and a jitter. */
static void secs_text(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.3g", v);
}

void beacon_judge(struct beacon *b, const struct beacon_mark *m,
                  const struct alert_flow *id, char *reason)
{
    struct series *s = &b->slot[m->slot];
    char p[16], j[16], to[80];
    b->total.alerts++;
    /* The series may have been pushed out since the flow was noted. */
    if (s->gen == m->gen)
        s->alerts++;
    secs_text(m->info.period_s, p, sizeof(p));
    secs_text(m->info.jitter_s, j, sizeof(j));
    alert_format_endpoint(id->dest_ip, id->dest_port, to, sizeof(to));
    snprintf(reason, BEACON_REASON_LEN, "beacon: %llu sessions every %s s "
             "\xc2\xb1 %s s from %s to %s", (unsigned long long)
             m->info.sessions, p, j, id->src_ip, to);
}

void beacon_totals_get(const struct beacon *b, struct beacon_totals *t)
{
    *t = b->total;
}

size_t beacon_series_each(const struct beacon *b,
                          void (*fn)(const struct beacon_series *s,
                                     void *user), void *user)
{
    size_t n = 0;
    for (size_t i = 0; i < BEACON_SLOTS; i++) {
        const struct series *s = &b->slot[i];
        if (s->key == 0 || !s->decided)
            continue;
        struct beacon_series out = {
            s->src_ip, s->dest_ip, s->dest_port, s->proto, s->sessions,
            s->period_s, s->jitter_s, s->alerts, s->before,
        };
        if (fn != NULL)
            fn(&out, user);
        n++;
    }
    return n;
}
