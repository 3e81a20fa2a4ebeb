#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fewflow/capture.h"
#include "fewflow/csv.h"
#include "fewflow/data.h"
#include "detect/source_impl.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/schema.h"

/*
 * Flows from captures go through the flow meter; the model asks for its
 * encoded columns by name among the meter's features. When every encoded
 * column is a meter feature (the CIC-IDS2017 profiles) the row is a plain
 * gather; otherwise the schema encodes the numeric vector, and a column
 * the meter lacks stops with an error naming it.
 */

struct cap_ctx {
    struct detector *d;
    detector_flow_fn fn;
    void *user;
    long *map;               /* encoded column → meter feature, or NULL */
    double *values;          /* meter features as doubles (slow path) */
    float *x;
    const char *origin;
    struct detector_input_stats *st;
    const struct capture_source *src;  /* the capture being read */
    long icmp_col[2];        /* meter features icmp_type, icmp_code */
    struct capture_filter *filter;     /* files' BPF filter, or NULL */
};

static long *feature_map(const struct detector *d)
{
    long *map = malloc((d->n_in + 1) * sizeof(long));
    for (size_t j = 0; map != NULL && j < d->n_in; j++) {
        map[j] = flow_feature_index(d->col_names[j]);
        if (map[j] < 0) {
            free(map);
            return NULL;
        }
    }
    return map;
}

static void neutralise(const struct detector *d, float *x)
{
    for (size_t j = 0; d->neutral != NULL && j < d->n_in; j++) {
        if (d->neutral[j])
            x[j] = d->neutral_value[j];
    }
}

static int encode_flow(struct cap_ctx *c, const struct flow_record *rec)
{
    if (c->map != NULL) {
        for (size_t j = 0; j < c->d->n_in; j++)
            c->x[j] = rec->features[c->map[j]];
        neutralise(c->d, c->x);
        return 0;
    }
    size_t n = flow_feature_count();
    for (size_t i = 0; i < n; i++)
        c->values[i] = rec->features[i];
    int rc = schema_encode_numeric(c->d->schema, n, flow_feature_names(),
                                   c->values, c->x);
    if (rc != 0)
        return err_set(rc, "%s: the model needs what the flow meter does "
                       "not give: %s", c->origin, err_msg());
    neutralise(c->d, c->x);
    return 0;
}

/* The meter keeps an ICMP flow's first type and code as features. */
static void icmp_of(const struct cap_ctx *cx, const struct flow_record *rec,
                    struct alert_flow *id)
{
    if ((rec->protocol != 1 && rec->protocol != 58) || cx->icmp_col[0] < 0 ||
        cx->icmp_col[1] < 0)
        return;
    float t = rec->features[cx->icmp_col[0]];
    float c = rec->features[cx->icmp_col[1]];
    if (!(t >= 0 && t <= 255 && c >= 0 && c <= 255))
        return;
    id->has_icmp = 1;
    id->icmp_type = (uint8_t)t;
    id->icmp_code = (uint8_t)c;
}

static int on_flow(const struct flow_record *rec, void *user)
{
    struct cap_ctx *c = user;
    struct detector_flow f;
    int rc = encode_flow(c, rec);
    if (rc != 0)
        return rc;
    memset(&f, 0, sizeof(f));
    f.x = c->x;
    f.origin = c->origin;
    f.id.flow_id = flow_record_flow_id(rec);
    flow_addr_format(rec, 0, f.id.src_ip, sizeof(f.id.src_ip));
    flow_addr_format(rec, 1, f.id.dest_ip, sizeof(f.id.dest_ip));
    f.id.src_port = rec->src_port;
    f.id.dest_port = rec->dst_port;
    f.id.proto = rec->protocol;
    icmp_of(c, rec, &f.id);
    f.id.first_s = (double)rec->first_ns / 1e9;
    f.id.last_s = (double)rec->last_ns / 1e9;
    f.id.open_at_end = rec->end_reason == FLOW_END_EOF;
    c->st->flows++;
    int rc2 = c->fn(&f, c->user);
    return rc2 == 0 && capture_idle(c->src) ? c->fn(NULL, c->user) : rc2;
}

static void note_damage(struct detector_input_stats *st,
                        const struct capture_source *src)
{
    const char *dmg = capture_damage(src);
    if (dmg == NULL || dmg[0] == '\0')
        return;
    if (st->damaged_inputs++ == 0)
        snprintf(st->damage, sizeof(st->damage), "%s", dmg);
}

static int pump(struct capture_source *src, struct flow_meter *fm,
                struct cap_ctx *c, volatile int *stop)
{
    struct capture_packet pkt;
    int rc;

    while ((rc = capture_next(src, &pkt)) > 0) {
        if (stop != NULL && *stop) {
            capture_break(src);
            c->st->interrupted = 1;
        }
        if (rc == 1 && c->filter != NULL && c->src != NULL &&
            (rc = capture_filter_match(c->filter, &pkt)) != 1) {
            if (rc < 0)
                return err_set(rc, "%s: %s", c->origin, err_msg());
            c->st->filtered++;
            continue;
        }
        if (rc == 2) {
            rc = flow_meter_advance(fm, pkt.ts_ns);
            if (rc == 0)
                rc = c->fn(NULL, c->user);
        } else {
            rc = flow_meter_packet(fm, &pkt);
            /* A quiet pipe writes out what ended while it was busy too,
             * not only what ends now. */
            if (rc == 0 && capture_idle(src))
                rc = flow_meter_advance(fm, pkt.ts_ns);
            if (rc == 0 && capture_idle(src))
                rc = c->fn(NULL, c->user);
        }
        if (rc != 0)
            return rc;
    }
    return rc < 0 ? rc : flow_meter_flush(fm);
}

static int read_capture(struct cap_ctx *c, struct capture_source *src,
                        const struct detector_input *in)
{
    struct flow_meter *fm = flow_meter_create(in->flow, on_flow, c);
    if (fm == NULL)
        return err_last();
    c->origin = capture_name(src);
    c->src = src;
    int rc = pump(src, fm, c, in->stop);
    const struct flow_stats *fs = flow_meter_stats(fm);
    c->st->packets += fs->packets;
    c->st->bytes += fs->bytes;
    if (fs->max_active > c->st->max_active)
        c->st->max_active = fs->max_active;
    if (fs->unsupported > 0 && c->st->unsupported == 0)
        c->st->unsupported_linktype = fs->unsupported_linktype;
    c->st->unsupported += fs->unsupported;
    c->st->evicted += fs->evicted;
    c->st->clock_steps += fs->clock_steps;
    note_damage(c->st, src);
    flow_meter_destroy(fm);
    return rc;
}

/* Inputs left unread because a signal asked to stop are noted. */
static int stopped(const struct detector_input *in,
                   struct detector_input_stats *st)
{
    if (in->stop == NULL || !*in->stop)
        return 0;
    st->interrupted = 1;
    return 1;
}

static int read_captures(struct detector *d, const struct detector_input *in,
                         struct cap_ctx *c)
{
    int rc = 0;
    if (in->file_filter != NULL && in->n_captures > 0 &&
        (c->filter = capture_filter_create(in->file_filter)) == NULL)
        return err_last();
    for (size_t i = 0;
         rc == 0 && i < in->n_captures && !stopped(in, c->st); i++) {
        struct capture_source *src = capture_open_file(in->captures[i]);
        if (src == NULL) {
            rc = err_last();
            break;
        }
        rc = read_capture(c, src, in);
        capture_close(src);
    }
    capture_filter_destroy(c->filter);
    c->filter = NULL;
    if (rc == 0 && in->iface != NULL && !stopped(in, c->st)) {
        struct capture_source *src = capture_open_live(in->iface, in->filter,
                                                       0, 1);
        if (src == NULL)
            return err_last();
        rc = read_capture(c, src, in);
        capture_close(src);
    }
    return rc;
}

int detector_read_flows(struct detector *d, const struct detector_input *in,
                        detector_flow_fn fn, void *user,
                        struct detector_input_stats *st)
{
    struct cap_ctx c = { d, fn, user, NULL, NULL, NULL, NULL, st, 0,
                         { flow_feature_index("icmp_type"),
                           flow_feature_index("icmp_code") }, NULL };
    int rc = 0;

    memset(st, 0, sizeof(*st));
    c.x = malloc((d->n_in + 1) * sizeof(float));
    c.values = malloc((flow_feature_count() + 1) * sizeof(double));
    if (c.x == NULL || c.values == NULL)
        rc = err_set(ERR_NOMEM, "out of memory");
    if (rc == 0 && (in->n_captures > 0 || in->iface != NULL)) {
        c.map = feature_map(d);
        rc = read_captures(d, in, &c);
    }
    for (size_t i = 0; rc == 0 && i < in->n_csvs && !stopped(in, st); i++)
        rc = detector_read_csv(d, in->csvs[i], fn, user, st, c.x, in->stop);
    free(c.map);
    free(c.values);
    free(c.x);
    return rc;
}

int detector_is_capture(const char *path)
{
    struct capture_source *src = capture_open_file(path);
    if (src == NULL)
        return 0;
    capture_close(src);
    return 1;
}
