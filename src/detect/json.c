#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fnv.h"
#include "fewflow/alert.h"

void alert_buf_init(struct alert_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void alert_buf_fini(struct alert_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void alert_buf_reset(struct alert_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int reserve(struct alert_buf *b, size_t n)
{
    if (b->failed)
        return 0;
    if (b->len + n + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 512;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (d == NULL) {
        b->failed = 1;
        return 0;
    }
    b->data = d;
    b->cap = cap;
    return 1;
}

void alert_buf_raw(struct alert_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void alert_buf_printf(struct alert_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        alert_buf_raw(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* RFC 3629. */
size_t alert_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = c & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void put_escape(struct alert_buf *b, unsigned char c)
{
    switch (c) {
    case '"': alert_buf_raw(b, "\\\"", 2); break;
    case '\\': alert_buf_raw(b, "\\\\", 2); break;
    case '\n': alert_buf_raw(b, "\\n", 2); break;
    case '\r': alert_buf_raw(b, "\\r", 2); break;
    case '\t': alert_buf_raw(b, "\\t", 2); break;
    case '\b': alert_buf_raw(b, "\\b", 2); break;
    case '\f': alert_buf_raw(b, "\\f", 2); break;
    default: alert_buf_printf(b, "\\u%04x", c); break;
    }
}

void alert_buf_json_str(struct alert_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    alert_buf_raw(b, "\"", 1);
    while (*p) {
        if (*p == '"' || *p == '\\' || *p < 0x20 || *p == 0x7f) {
            put_escape(b, *p++);
            continue;
        }
        size_t n = alert_utf8_len(p);
        if (n == 0) {
            alert_buf_raw(b, "\\ufffd", 6);
            p++;
            continue;
        }
        alert_buf_raw(b, (const char *)p, n);
        p += n;
    }
    alert_buf_raw(b, "\"", 1);
}

void alert_buf_json_num(struct alert_buf *b, double v)
{
    if (!isfinite(v)) {
        alert_buf_raw(b, "null", 4);
        return;
    }
    alert_buf_printf(b, "%.6g", v);
}

void alert_buf_alert_head(struct alert_buf *b, unsigned sid,
                          const char *sig)
{
    alert_buf_printf(b, ",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
                     "\"signature_id\":%u,\"rev\":1,\"signature\":", sid);
    alert_buf_json_str(b, sig);
}

void alert_format_time(double t_s, char *buf, size_t len)
{
    if (!isfinite(t_s) || t_s < 0 || t_s > 253402300799.0)
        t_s = 0;
    time_t sec = (time_t)floor(t_s);
    long usec = (long)llround((t_s - (double)sec) * 1e6);
    if (usec >= 1000000) {
        sec++;
        usec -= 1000000;
    }
    struct tm tm;
    gmtime_r(&sec, &tm);
    char day[24];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06ld+0000", day, usec);
}

const char *alert_format_endpoint(const char *ip, unsigned port, char *buf,
                                  size_t len)
{
    int v6 = strchr(ip, ':') != NULL;
    snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, port);
    return buf;
}

const char *alert_proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case 1: return "ICMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default:
        snprintf(buf, len, "%u", proto);
        return buf;
    }
}

uint64_t alert_flow_hash(const struct alert_flow *f)
{
    uint64_t h = FNV1A_OFFSET;
    h = fnv1a(h, f->src_ip, strlen(f->src_ip));
    h = fnv1a(h, f->dest_ip, strlen(f->dest_ip));
    h = fnv1a(h, &f->src_port, sizeof(f->src_port));
    h = fnv1a(h, &f->dest_port, sizeof(f->dest_port));
    h = fnv1a(h, &f->proto, 1);
    h = fnv1a(h, &f->first_s, sizeof(f->first_s));
    return h & ((1ULL << 52) - 1);
}
