#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fewflow/csv.h"
#include "fewflow/data.h"
#include "detect/source_impl.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/schema.h"

/*
 * Flows from a flow CSV: the schema encodes each row by column name, and
 * the identity columns (when the CSV has them, as CIC-IDS2017 does) give
 * the alert its addresses, ports and time. Timestamps without a zone are
 * taken as UTC.
 */

enum ident { ID_SRC_IP, ID_SRC_PORT, ID_DST_IP, ID_DST_PORT, ID_PROTO,
             ID_TIME, ID_LABEL, ID_COUNT };

struct csv_cols {
    char **names;            /* snake_case header names */
    size_t n;
    long at[ID_COUNT];       /* field index of each identity column */
};

static void cols_fini(struct csv_cols *c)
{
    for (size_t i = 0; c->names != NULL && i < c->n; i++)
        free(c->names[i]);
    free(c->names);
}

static long find_col(const struct csv_cols *c, const char *const *alts)
{
    for (; *alts != NULL; alts++) {
        for (size_t i = 0; i < c->n; i++) {
            if (strcmp(c->names[i], *alts) == 0)
                return (long)i;
        }
    }
    return -1;
}

static int read_header(struct csv_reader *r, const struct schema *s,
                       struct csv_cols *c)
{
    static const char *const alts[ID_COUNT][4] = {
        { "src_ip", "srcip", "source_ip", NULL },
        { "src_port", "sport", "source_port", NULL },
        { "dst_ip", "dstip", "destination_ip", NULL },
        { "dst_port", "dsport", "destination_port", NULL },
        { "protocol", "proto", NULL, NULL },
        { "timestamp", "stime", NULL, NULL },
        { NULL, NULL, NULL, NULL },
    };
    struct csv_record rec;
    int rc = csv_next(r, &rec);
    if (rc <= 0)
        return rc < 0 ? rc : err_set(ERR_PARSE, "%s:1: empty file",
                                     csv_name(r));
    c->n = rec.n_fields;
    c->names = calloc(c->n, sizeof(char *));
    for (size_t i = 0; c->names != NULL && i < c->n; i++) {
        char buf[256];
        if (data_column_snake(rec.fields[i], buf, sizeof(buf)) != 0)
            snprintf(buf, sizeof(buf), "column_%zu", i + 1);
        if ((c->names[i] = strdup(buf)) == NULL)
            return err_set(ERR_NOMEM, "out of memory");
    }
    if (c->names == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (int k = 0; k < ID_LABEL; k++)
        c->at[k] = find_col(c, alts[k]);
    const char *label = schema_label_column(s);
    const char *lab[2] = { label, NULL };
    c->at[ID_LABEL] = label ? find_col(c, lab) : -1;
    return 0;
}

/* "2017-07-04 18:07:01.839467" or the original CIC "4/7/2017 9:02:01"
 * (day first, seconds optional); -1 when neither. */
static double parse_time(const char *s)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0;
    double sec = 0;
    struct tm tm;

    if (sscanf(s, "%d-%d-%d %d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) < 5 &&
        sscanf(s, "%d/%d/%d %d:%d:%lf", &d, &mo, &y, &h, &mi, &sec) < 5)
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || sec < 0 ||
        sec >= 61)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (double)timegm(&tm) + sec;
}

static uint8_t parse_proto(const char *s)
{
    if (strcasecmp(s, "tcp") == 0)
        return 6;
    if (strcasecmp(s, "udp") == 0)
        return 17;
    if (strcasecmp(s, "icmp") == 0)
        return 1;
    long v = strtol(s, NULL, 10);
    return v > 0 && v < 256 ? (uint8_t)v : 0;
}

static const char *field(const struct csv_record *rec, long at)
{
    return at >= 0 && (size_t)at < rec->n_fields ? rec->fields[at] : "";
}

/* Empty or "-" (no port, e.g. ICMP) is 0; decimal or 0x hex otherwise.
 * A value that is no port is refused: wrapping it would name another. */
static int parse_port(const char *s, uint16_t *port)
{
    char *end;

    *port = 0;
    while (*s == ' ')
        s++;
    if (*s == '\0' || strcmp(s, "-") == 0)
        return 0;
    if (*s < '0' || *s > '9')
        return ERR_PARSE;
    unsigned long long v = strtoull(s, &end, 0);
    while (*end == ' ')
        end++;
    if (*end != '\0' || v > 65535)
        return ERR_PARSE;
    *port = (uint16_t)v;
    return 0;
}

static int fill_ports(const struct csv_cols *c, const struct csv_record *rec,
                      struct alert_flow *id)
{
    static const char *const names[2] = { "src_port", "dst_port" };
    uint16_t *ports[2] = { &id->src_port, &id->dest_port };
    long at[2] = { c->at[ID_SRC_PORT], c->at[ID_DST_PORT] };

    for (int i = 0; i < 2; i++) {
        if (parse_port(field(rec, at[i]), ports[i]) != 0)
            return err_set(ERR_PARSE, "%s: '%s' is not a port (0 to 65535)",
                           names[i], field(rec, at[i]));
    }
    return 0;
}

static int fill_identity(const struct csv_cols *c,
                         const struct csv_record *rec, struct alert_flow *id)
{
    memset(id, 0, sizeof(*id));
    if (fill_ports(c, rec, id) != 0)
        return ERR_PARSE;
    snprintf(id->src_ip, sizeof(id->src_ip), "%s",
             field(rec, c->at[ID_SRC_IP]));
    snprintf(id->dest_ip, sizeof(id->dest_ip), "%s",
             field(rec, c->at[ID_DST_IP]));
    id->proto = parse_proto(field(rec, c->at[ID_PROTO]));
    id->first_s = parse_time(field(rec, c->at[ID_TIME]));
    id->last_s = id->first_s;
    id->flow_id = alert_flow_hash(id) ^ (rec->line & 0xfffff);
    return 0;
}

static int one_row(struct detector *d, const struct csv_cols *c,
                   const struct csv_record *rec, const char *path, float *x,
                   struct detector_flow *f, char *label, size_t len)
{
    int rc = schema_encode_pairs(d->schema, rec->n_fields,
                                 (const char *const *)c->names,
                                 (const char *const *)rec->fields, x);
    if (rc != 0)
        return err_set(rc, "%s:%zu: %s", path, rec->line, err_msg());
    if (fill_identity(c, rec, &f->id) != 0)
        return err_set(ERR_PARSE, "%s:%zu: %s", path, rec->line, err_msg());
    f->x = x;
    f->origin = path;
    f->label = NULL;
    if (c->at[ID_LABEL] >= 0 &&
        schema_label_map(d->schema, field(rec, c->at[ID_LABEL]), label,
                         len) == 0)
        f->label = label;
    return 0;
}

/* A row without a readable time still gets its alert, at the epoch (a
 * file without a timestamp column is not worth a warning per row); the
 * count and the first case reach the summary. */
static void note_untimed(struct detector_input_stats *st,
                         const struct csv_cols *c,
                         const struct csv_record *rec, const char *path,
                         struct alert_flow *id)
{
    id->first_s = 0;
    id->last_s = 0;
    if (c->at[ID_TIME] < 0)
        return;
    if (st->untimed_rows++ == 0)
        snprintf(st->untimed_first, sizeof(st->untimed_first),
                 "%s:%zu: '%.64s'", path, rec->line,
                 field(rec, c->at[ID_TIME]));
}

int detector_read_csv(struct detector *d, const char *path,
                      detector_flow_fn fn, void *user,
                      struct detector_input_stats *st, float *x)
{
    struct csv_cols c = { 0 };
    struct csv_record rec;
    struct detector_flow f;
    char label[256];
    struct csv_reader *r = csv_open(path);
    int rc = r ? read_header(r, d->schema, &c) : err_last();

    while (rc == 0 && (rc = csv_next(r, &rec)) == 1) {
        rc = one_row(d, &c, &rec, path, x, &f, label, sizeof(label));
        if (rc == 0 && f.id.first_s < 0)
            note_untimed(st, &c, &rec, path, &f.id);
        st->rows++;
        st->flows++;
        if (rc == 0)
            rc = fn(&f, user);
    }
    cols_fini(&c);
    csv_close(r);
    return rc;
}
