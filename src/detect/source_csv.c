#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/names.h"
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
             ID_TIME, ID_FLOW_ID, ID_ICMP_TYPE, ID_ICMP_CODE, ID_LABEL,
             ID_COUNT };

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

/* The identity columns of the header record rec. */
static int cols_from_header(const struct csv_record *rec,
                            const struct schema *s, struct csv_cols *c)
{
    static const char *const alts[ID_COUNT][4] = {
        { "src_ip", "srcip", "source_ip", NULL },
        { "src_port", "sport", "source_port", NULL },
        { "dst_ip", "dstip", "destination_ip", NULL },
        { "dst_port", "dsport", "destination_port", NULL },
        { "protocol", "proto", NULL, NULL },
        { "timestamp", "stime", NULL, NULL },
        { "flow_id", NULL, NULL, NULL },
        { "icmp_type", NULL, NULL, NULL },
        { "icmp_code", NULL, NULL, NULL },
        { NULL, NULL, NULL, NULL },
    };
    c->n = rec->n_fields;
    c->names = calloc(c->n + 1, sizeof(char *));
    for (size_t i = 0; c->names != NULL && i < c->n; i++) {
        char buf[256];
        if (data_column_snake(rec->fields[i], buf, sizeof(buf)) != 0)
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

static int read_header(struct csv_reader *r, const struct schema *s,
                       struct csv_cols *c)
{
    struct csv_record rec;
    int rc = csv_next(r, &rec);
    if (rc <= 0)
        return rc < 0 ? rc : err_set(ERR_PARSE, "%s:1: empty file",
                                     csv_name(r));
    return cols_from_header(&rec, s, c);
}

/* Seconds ("01" or "01.839467") after the minutes; the end, or NULL. */
static const char *parse_seconds(const char *p, double *sec)
{
    char *end;

    *sec = 0;
    if (*p != ':')
        return p;
    if (p[1] < '0' || p[1] > '9')
        return NULL;
    *sec = strtod(p + 1, &end);
    for (const char *c = p + 1; c < end; c++) {
        if ((*c < '0' || *c > '9') && *c != '.')
            return NULL;   /* strtod also reads exponents and hex */
    }
    return *sec < 61 ? end : NULL;
}

static int two_digits(const char *q, int *v)
{
    if (q[0] < '0' || q[0] > '9' || q[1] < '0' || q[1] > '9')
        return 0;
    *v = (q[0] - '0') * 10 + (q[1] - '0');
    return 1;
}

/* An offset "+02:00", "-0500" or "+02": seconds to add to reach UTC in
 * *to_utc; the end, or NULL. */
static const char *parse_offset(const char *p, long *to_utc)
{
    int oh = 0, om = 0;
    const char *q = p + 1;

    if (!two_digits(q, &oh))
        return NULL;
    q += 2;
    if (*q == ':' && !two_digits(q + 1, &om))
        return NULL;
    if (*q == ':' || two_digits(q, &om))
        q += *q == ':' ? 3 : 2;
    if (oh > 14 || om > 59)
        return NULL;
    *to_utc = (*p == '+' ? -1 : 1) * (oh * 3600L + om * 60L);
    return q;
}

/* What may follow the time: "Z", an offset or AM/PM, then only spaces.
 * PM adds twelve hours to *h. -1 for any other text, so that a time is
 * never read with part of it ignored. */
static int parse_zone(const char *p, int *h, long *to_utc)
{
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "AM", 2) == 0 || strncasecmp(p, "PM", 2) == 0) {
        if (*h < 1 || *h > 12)
            return -1;
        *h = *h % 12 + (toupper((unsigned char)*p) == 'P' ? 12 : 0);
        p += 2;
    } else if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        p = parse_offset(p, to_utc);
        if (p == NULL)
            return -1;
    }
    while (*p == ' ')
        p++;
    return *p == '\0' ? 0 : -1;
}

/* "2017-07-04 18:07:01.839467" (or 'T' between date and time) or the
 * original CIC "4/7/2017 9:02:01" (day first, seconds optional), each
 * optionally with a zone or AM/PM (parse_zone); -1 when none of these. */
static double parse_time(const char *s)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, n = 0;
    long to_utc = 0;
    double sec = 0;
    struct tm tm;

    if (sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi,
               &n) < 5 &&
        sscanf(s, "%2d/%2d/%4d %2d:%2d%n", &d, &mo, &y, &h, &mi, &n) < 5)
        return -1;
    const char *rest = parse_seconds(s + n, &sec);
    if (rest == NULL || parse_zone(rest, &h, &to_utc) != 0)
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || h < 0 || mi < 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    time_t t = timegm(&tm);
    /* timegm turns 30 February into 2 March: such a date is not read. */
    if (tm.tm_mday != d || tm.tm_mon != mo - 1)
        return -1;
    return (double)t + (double)to_utc + sec;
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
 * A value that is no port is refused: wrapping it would name another.
 * Leading zeros are decimal padding: strtoull's base 0 read "0443" as
 * octal 291. */
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
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
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
        const char *v = field(rec, at[i]) + strspn(field(rec, at[i]), " ");
        if (*v == '\0' || strcmp(v, "-") == 0)
            id->ports_unknown = 1;
        if (parse_port(field(rec, at[i]), ports[i]) != 0)
            return err_set(ERR_PARSE, "%s: '%s' is not a port (0 to 65535)",
                           names[i], field(rec, at[i]));
    }
    return 0;
}

/*
 * An IPv4 or IPv6 address (spaces around it allowed) rewritten as inet_ntop
 * writes it, into out (48 bytes). Anything else is -1 and leaves out "":
 * the alert's address fields are typed as addresses by log stores, which
 * refuse the whole alert for text that is not one. An empty field is 0.
 */
static int parse_addr(const char *s, char *out, size_t len)
{
    char buf[64];
    unsigned char a[16];

    out[0] = '\0';
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    if (n == 0)
        return 0;
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int af = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
    if (inet_pton(af, buf, a) != 1 || inet_ntop(af, a, out, len) == NULL) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

/* Addresses that are not IP text are left out (bad_at: the field index
 * of the first, else -1). */
static void fill_addrs(const struct csv_cols *c, const struct csv_record *rec,
                       struct alert_flow *id, long *bad_at)
{
    *bad_at = -1;
    if (parse_addr(field(rec, c->at[ID_SRC_IP]), id->src_ip,
                   sizeof(id->src_ip)) != 0)
        *bad_at = c->at[ID_SRC_IP];
    if (parse_addr(field(rec, c->at[ID_DST_IP]), id->dest_ip,
                   sizeof(id->dest_ip)) != 0 && *bad_at < 0)
        *bad_at = c->at[ID_DST_IP];
}

/*
 * The row's own flow_id when it has one that an alert can carry: a
 * decimal integer from 1 to 2^53 - 1 (what `fewflow flows` writes, so
 * that a flow row and its alert join). The CIC-IDS2017 "Flow ID" is the
 * 5-tuple as text, the same for every flow of a connection: not an id.
 */
static int given_flow_id(const char *s, uint64_t *id)
{
    char *end;
    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    while (*end == ' ')
        end++;
    if (*end != '\0' || v == 0 || v >= (1ULL << 53))
        return -1;
    *id = v;
    return 0;
}

/* A whole number from 0 to 255 (spaces around it allowed), or -1: the
 * CIC-IDS2017 CSVs write -1 where a flow has no ICMP message. */
static int icmp_value(const char *s)
{
    char *end;
    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    long v = strtol(s, &end, 10);
    while (*end == ' ')
        end++;
    return *end == '\0' && v <= 255 ? (int)v : -1;
}

/* An ICMP or ICMPv6 row's first message type and code, where the CSV
 * has them (CIC-IDS2017's ICMP Type and ICMP Code): printed as EVE
 * does, and what the row's community_id needs. */
static void fill_icmp(const struct csv_cols *c, const struct csv_record *rec,
                      struct alert_flow *id)
{
    int type = icmp_value(field(rec, c->at[ID_ICMP_TYPE]));
    int code = icmp_value(field(rec, c->at[ID_ICMP_CODE]));
    if ((id->proto != 1 && id->proto != 58) || type < 0 || code < 0)
        return;
    id->has_icmp = 1;
    id->icmp_type = (uint8_t)type;
    id->icmp_code = (uint8_t)code;
}

static int fill_identity(const struct csv_cols *c,
                         const struct csv_record *rec, struct alert_flow *id,
                         long *bad_at)
{
    memset(id, 0, sizeof(*id));
    if (fill_ports(c, rec, id) != 0)
        return ERR_PARSE;
    fill_addrs(c, rec, id, bad_at);
    id->proto = parse_proto(field(rec, c->at[ID_PROTO]));
    fill_icmp(c, rec, id);
    id->first_s = parse_time(field(rec, c->at[ID_TIME]));
    id->last_s = id->first_s;
    if (given_flow_id(field(rec, c->at[ID_FLOW_ID]), &id->flow_id) != 0)
        id->flow_id = alert_flow_hash(id) ^ (rec->line & 0xfffff);
    return 0;
}

static int one_row(struct detector *d, const struct csv_cols *c,
                   const struct csv_record *rec, const char *path, float *x,
                   struct detector_flow *f, char *label, size_t len,
                   long *bad_at)
{
    int rc = schema_encode_pairs(d->schema, rec->n_fields,
                                 (const char *const *)c->names,
                                 (const char *const *)rec->fields, x);
    if (rc != 0)
        return err_set(rc, "%s:%zu: %s", path, rec->line, err_msg());
    if (fill_identity(c, rec, &f->id, bad_at) != 0)
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

/* Counts a row with an unusable field; the first one's place and text go
 * to first (STATS_FIRST_LEN bytes) for the summary. */
static void note_row(uint64_t *count, char *first, const char *path,
                     const struct csv_record *rec, long at)
{
    if ((*count)++ == 0)
        snprintf(first, STATS_FIRST_LEN, "%s:%zu: '%.64s'", path, rec->line,
                 field(rec, at));
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
    if (c->at[ID_TIME] >= 0)
        note_row(&st->untimed_rows, st->untimed_first, path, rec,
                 c->at[ID_TIME]);
}

/* A row whose address is no IP text is still classified and alerted on,
 * as an untimed row is, with that address left out; the count and the
 * first case reach the summary. */
static void note_unaddressed(struct detector_input_stats *st,
                             const struct csv_record *rec, const char *path,
                             long bad_at)
{
    note_row(&st->unaddressed_rows, st->unaddressed_first, path, rec,
             bad_at);
}

struct detector_csv_ident {
    struct csv_cols cols;
};

struct detector_csv_ident *detector_csv_ident_create(
    const struct detector *d, const struct csv_record *header)
{
    struct detector_csv_ident *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (cols_from_header(header, d->schema, &c->cols) != 0) {
        detector_csv_ident_destroy(c);
        return NULL;
    }
    return c;
}

void detector_csv_ident_destroy(struct detector_csv_ident *c)
{
    if (c == NULL)
        return;
    cols_fini(&c->cols);
    free(c);
}

int detector_csv_ident_read(const struct detector_csv_ident *c,
                            const struct csv_record *rec,
                            struct alert_flow *id)
{
    long bad_at;
    int rc = fill_identity(&c->cols, rec, id, &bad_at);
    if (rc == 0 && id->first_s < 0)
        id->first_s = id->last_s = 0;
    return rc;
}

/* The model column holding Flow Duration (microseconds), or -1. */
static long duration_col(const struct detector *d)
{
    static const char *const want[1] = { "flow_duration" };
    size_t col;
    return names_find_all(&col, want, 1, d->col_names, d->n_in) == 0
               ? (long)col : -1;
}

/* The duration's own text read as a double: the float32 model column
 * drops whole microseconds past 2^24 (16.8 s; up to 4,096 past 2^36),
 * which moved the alert's end. Text the column read otherwise (the two
 * disagree beyond float rounding) is left to the column. */
static double duration_us(const struct csv_record *rec, long at, float v)
{
    const char *s = field(rec, at);
    char *end;
    double d = strtod(s, &end);
    return end != s && *end == '\0' && (float)d == v ? d : (double)v;
}

/* A row names its start; its end is the start plus its Flow Duration, so
 * that its alert is dated and timed as a capture flow's is (at the end,
 * with flow_start and duration_s). A duration over a day is taken for
 * damage and left out, as the connection and beacon rules do. */
static void csv_flow_end(long col, long at, const struct csv_record *rec,
                         const float *x, struct alert_flow *id)
{
    double us = col >= 0 ? duration_us(rec, at, x[col]) : NAN;
    if (id->first_s > 0 && isfinite(us) && us > 0 && us <= 86400e6)
        id->last_s = id->first_s + us / 1e6;
}

/* How long a live CSV feed is quiet before its rows are written. */
#define CSV_QUIET_MS 1000

int detector_read_csv(struct detector *d, const char *path,
                      detector_flow_fn fn, void *user,
                      struct detector_input_stats *st, float *x,
                      volatile int *stop)
{
    struct csv_cols c = { 0 };
    struct csv_record rec;
    struct detector_flow f;
    char label[256];
    long bad_at = -1, dur = duration_col(d);
    static const char *const dur_name[] = { "flow_duration", NULL };
    struct csv_reader *r = csv_open(path);
    int rc = r ? read_header(r, d->schema, &c) : err_last();
    long dur_at = rc == 0 ? find_col(&c, dur_name) : -1;

    while (rc == 0) {
        /* A live feed quiet for a second: the rows held are judged and
         * written now, not when the block of 256 fills, as a capture
         * pipe's are (a replay through a pipe keeps the file's blocks
         * unless its writer pauses that long). A signal during the wait
         * is seen at once: a stop ends the run, a SIGHUP re-read is done
         * now. */
        int w = csv_wait(r, CSV_QUIET_MS);
        if (w <= 0) {
            rc = fn(NULL, user);
            if (rc == 0 && stop != NULL && *stop) {
                st->interrupted = 1;
                break;
            }
            continue;
        }
        if ((rc = csv_next(r, &rec)) != 1)
            break;
        rc = one_row(d, &c, &rec, path, x, &f, label, sizeof(label),
                     &bad_at);
        if (rc == 0 && f.id.first_s < 0)
            note_untimed(st, &c, &rec, path, &f.id);
        if (rc == 0)
            csv_flow_end(dur, dur_at, &rec, x, &f.id);
        if (rc == 0 && bad_at >= 0)
            note_unaddressed(st, &rec, path, bad_at);
        st->rows++;
        st->flows++;
        if (rc == 0)
            rc = fn(&f, user);
        if (rc == 0 && stop != NULL && *stop) {
            st->interrupted = 1;
            break;
        }
    }
    cols_fini(&c);
    csv_close(r);
    return rc;
}
