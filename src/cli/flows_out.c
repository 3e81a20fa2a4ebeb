#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli/flows_out.h"
#include "fewflow/err.h"

static const char *const id_columns[] = {
    "flow_id", "src_ip", "src_port", "dst_ip", "dst_port", "protocol",
    "timestamp", "end_timestamp", "vlan_id", "end_reason",
};
#define N_ID_COLUMNS (sizeof(id_columns) / sizeof(id_columns[0]))

void flows_out_csv_header(FILE *f, int with_label)
{
    const char *const *names = flow_feature_names();

    for (size_t i = 0; i < N_ID_COLUMNS; i++)
        fprintf(f, "%s,", id_columns[i]);
    for (size_t i = 0; i < flow_feature_count(); i++)
        fprintf(f, i ? ",%s" : "%s", names[i]);
    fputs(with_label ? ",label\n" : "\n", f);
}

static char *put_uint(char *p, uint64_t u)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Nine significant digits (enough for any float to read back bit for
 * bit), trailing zeros dropped, by integer arithmetic: printf's exact
 * float conversion was a fifth of the command's time. */
static char *put_sig9(char *p, double v)
{
    /* 10^-7 .. 10^9: put_num sends only 1e-6 <= v < 1e9 here. */
    static const double pow10[] = {
        1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3,
        1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    };
    int e = -6;
    while (e < 8 && v >= pow10[e + 8])
        e++;
    uint64_t m = (uint64_t)llround(v * pow10[8 - e + 7]);
    if (m >= 1000000000u) {
        m = (m + 5) / 10;
        e++;
    }
    char d[10];
    for (int i = 8; i >= 0; i--, m /= 10)
        d[i] = (char)('0' + m % 10);
    int last = 8;
    while (last > 0 && d[last] == '0')
        last--;
    if (e < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > e; i--)
            *p++ = '0';
        memcpy(p, d, (size_t)last + 1);
        return p + last + 1;
    }
    for (int i = 0; i <= last || i <= e; i++) {
        if (i == e + 1)
            *p++ = '.';
        *p++ = i <= last ? d[i] : '0';
    }
    return p;
}

static char *put_num(char *p, float v)
{
    if (!isfinite(v))
        v = 0.0f; /* never happens by construction; guard the contract */
    if (v < 0.0f) {
        *p++ = '-';
        v = -v;
    }
    if (v == truncf(v) && v < 1e15f)
        return put_uint(p, (uint64_t)v);
    if (v < 1e-6f || v >= 1e9f)
        return p + sprintf(p, "%.9g", (double)v);
    return put_sig9(p, (double)v);
}

/* "2017-07-05 18:12:15.650811123" in UTC, as CIC-IDS2017 writes times
 * (with nanoseconds). The date part is cached: consecutive flows mostly
 * end within the same second. Not thread-safe. */
static void format_time(int64_t ns, char *buf, size_t len)
{
    static int64_t cached_sec = INT64_MIN;
    static char cached[32];
    int64_t sec = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
    long frac = (long)(ns - sec * 1000000000);

    if (sec != cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm) ||
            strftime(cached, sizeof(cached), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
            snprintf(buf, len, "%" PRId64, ns);
            return;
        }
        cached_sec = sec;
    }
    size_t n = strlen(cached);
    memcpy(buf, cached, n);
    buf[n] = '.';
    for (int i = 9; i >= 1; i--, frac /= 10)
        buf[n + (size_t)i] = (char)('0' + frac % 10);
    buf[n + 10] = '\0';
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

static void identity(const struct flow_record *r, char *src, char *dst,
                     char *t0, char *t1)
{
    flow_addr_format(r, 0, src, 46);
    flow_addr_format(r, 1, dst, 46);
    format_time(r->first_ns, t0, 40);
    format_time(r->last_ns, t1, 40);
}

int flows_out_csv_row(FILE *f, const struct flow_record *r,
                      const char *label)
{
    char src[46], dst[46], t0[40], t1[40];
    char line[4096];
    const size_t n = flow_feature_count();

    identity(r, src, dst, t0, t1);
    const char *id_text[] = { src, dst, t0, t1 };
    const uint64_t id_num[] = { r->src_port, r->dst_port, r->protocol };
    char *p = put_uint(line, flow_record_flow_id(r));
    for (int i = 0; i < 2; i++) {
        *p++ = ',';
        p = put_str(p, id_text[i]);
        *p++ = ',';
        p = put_uint(p, id_num[i]);
    }
    *p++ = ',';
    p = put_uint(p, id_num[2]);
    for (int i = 2; i < 4; i++) {
        *p++ = ',';
        p = put_str(p, id_text[i]);
    }
    *p++ = ',';
    p = put_uint(p, r->vlan_id);
    *p++ = ',';
    p = put_str(p, flow_end_reason_str(r->end_reason));
    for (size_t i = 0; i < n && p < line + sizeof(line) - 64; i++) {
        *p++ = ',';
        p = put_num(p, r->features[i]);
    }
    if (label)
        p += snprintf(p, 256, ",%.200s", label);
    *p++ = '\n';
    return fwrite(line, 1, (size_t)(p - line), f) == (size_t)(p - line)
        ? 0 : err_set(ERR_IO, "cannot write flows");
}

int flows_out_json(FILE *f, const struct flow_record *r, const char *label)
{
    char src[46], dst[46], t0[40], t1[40], num[40];
    const char *const *names = flow_feature_names();

    identity(r, src, dst, t0, t1);
    fprintf(f, "{\"flow_id\":%" PRIu64 ",\"src_ip\":\"%s\",\"src_port\":%u,"
            "\"dst_ip\":\"%s\",\"dst_port\":%u,\"protocol\":%u,"
            "\"timestamp\":\"%s\",\"end_timestamp\":\"%s\",\"vlan_id\":%u,"
            "\"end_reason\":\"%s\"", flow_record_flow_id(r), src,
            r->src_port, dst, r->dst_port, r->protocol, t0, t1, r->vlan_id,
            flow_end_reason_str(r->end_reason));
    for (size_t i = 0; i < flow_feature_count(); i++) {
        *put_num(num, r->features[i]) = '\0';
        fprintf(f, ",\"%s\":%s", names[i], num);
    }
    if (label)
        fprintf(f, ",\"label\":\"%s\"", label);
    return fputs("}\n", f) == EOF ? err_set(ERR_IO, "cannot write flows")
                                  : 0;
}
