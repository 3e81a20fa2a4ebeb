#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/pcapng.h"
#include "capture/stream.h"
#include "fewflow/capture.h"
#include "fewflow/err.h"

#define LIVE_TIMEOUT_MS 250
#define DEFAULT_SNAPLEN 262144

enum source_kind { SOURCE_PCAP, SOURCE_PCAPNG, SOURCE_LIVE };

struct capture_source {
    enum source_kind kind;
    char *name;
    struct stream *stream;
    struct pcapng_reader *ng;
    pcap_t *pcap;
    int nano;                 /* pcap timestamps are in ns, not us */
    uint32_t linktype;
    volatile int stop;
    struct capture_source_stats stats;
    char damage[256];
};

static struct capture_source *source_new(const char *name)
{
    struct capture_source *src = calloc(1, sizeof(*src));
    if (!src) {
        err_set(ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    src->name = strdup(name);
    if (!src->name) {
        free(src);
        err_set(ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    return src;
}

static int is_pcap_magic(const uint8_t *m)
{
    static const uint8_t magics[4][4] = {
        { 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
        { 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
    };

    for (int i = 0; i < 4; i++)
        if (memcmp(m, magics[i], 4) == 0)
            return 1;
    return 0;
}

/* libpcap reports a failed cookie read with whatever errno held, so a
 * damaged .gz/.xz wrapper is named from the stream's own record. Returns
 * NULL when the stream itself read fine. */
static const char *stream_reason(const struct capture_source *src,
                                 char *buf, size_t size)
{
    const char *msg;

    if (!stream_error(src->stream, &msg))
        return NULL;
    snprintf(buf, size, "%s at decoded byte %llu", msg,
             (unsigned long long)stream_offset(src->stream));
    return buf;
}

/* Classic pcap through libpcap, reading the (maybe decompressed) stream
 * through a stdio cookie. Timestamps are asked for in ns: libpcap scales
 * microsecond files up. */
static int open_pcap(struct capture_source *src)
{
    FILE *fp = stream_as_file(src->stream);
    char errbuf[PCAP_ERRBUF_SIZE] = "";

    if (!fp)
        return err_set(ERR_NOMEM, "%s: out of memory", src->name);
    src->pcap = pcap_fopen_offline_with_tstamp_precision(
        fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!src->pcap) {
        char why[200];
        const char *reason = stream_reason(src, why, sizeof(why));
        fclose(fp);
        return err_set(ERR_PARSE, "%s: %s", src->name,
                       reason ? reason : errbuf);
    }
    src->nano = 1;
    src->linktype = (uint32_t)pcap_datalink(src->pcap);
    return 0;
}

static int open_detected(struct capture_source *src)
{
    uint8_t magic[4] = { 0 };
    size_t got = stream_peek(src->stream, magic, 4);

    if (got == 4 && memcmp(magic, "\x0a\x0d\x0d\x0a", 4) == 0) {
        src->kind = SOURCE_PCAPNG;
        src->ng = pcapng_open(src->stream, src->name);
        if (!src->ng)
            return err_set(ERR_NOMEM, "%s: out of memory", src->name);
        return 0;
    }
    if (got == 4 && is_pcap_magic(magic)) {
        src->kind = SOURCE_PCAP;
        return open_pcap(src);
    }
    if (got < 4)
        return err_set(ERR_FORMAT, "%s: too short for a capture (%zu bytes)",
                       src->name, got);
    return err_set(ERR_FORMAT, "%s: not a pcap or pcapng capture "
                   "(first bytes %02x %02x %02x %02x)", src->name,
                   magic[0], magic[1], magic[2], magic[3]);
}

static struct capture_source *open_stream(struct capture_source *src)
{
    if (!src->stream || open_detected(src) != 0) {
        capture_close(src);
        return NULL;
    }
    return src;
}

struct capture_source *capture_open_file(const char *path)
{
    int is_stdin = strcmp(path, "-") == 0;
    struct capture_source *src = source_new(is_stdin ? "stdin" : path);
    if (!src)
        return NULL;
    src->stream = stream_open_file(path);
    return open_stream(src);
}

struct capture_source *capture_open_memory(const void *data, size_t len,
                                           const char *name)
{
    struct capture_source *src = source_new(name ? name : "(memory)");
    if (!src)
        return NULL;
    src->stream = stream_open_memory(data, len);
    return open_stream(src);
}

static int live_setup(struct capture_source *src, const char *filter,
                      int snaplen, int promisc)
{
    pcap_t *p = src->pcap;

    pcap_set_snaplen(p, snaplen > 0 ? snaplen : DEFAULT_SNAPLEN);
    pcap_set_promisc(p, promisc != 0);
    pcap_set_timeout(p, LIVE_TIMEOUT_MS);
    src->nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int rc = pcap_activate(p);
    if (rc < 0)
        return err_set(ERR_IO, "%s: %s", src->name, pcap_geterr(p));
    src->linktype = (uint32_t)pcap_datalink(p);
    /* Non-blocking with our own poll: libpcap's blocking read on Linux
     * (TPACKET_V3) may wait forever on a quiet interface, so neither idle
     * expiry nor Ctrl-C would run. */
    char errbuf[PCAP_ERRBUF_SIZE];
    if (pcap_setnonblock(p, 1, errbuf) != 0 ||
        pcap_get_selectable_fd(p) < 0)
        return err_set(ERR_UNSUPPORTED, "%s: cannot poll this interface",
                       src->name);
    if (!filter || !*filter)
        return 0;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
        return err_set(ERR_INVALID, "%s: filter '%s': %s", src->name,
                       filter, pcap_geterr(p));
    rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0)
        return err_set(ERR_INVALID, "%s: filter '%s': %s", src->name,
                       filter, pcap_geterr(p));
    return 0;
}

struct capture_source *capture_open_live(const char *iface,
                                         const char *filter,
                                         int snaplen, int promisc)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct capture_source *src = source_new(iface);
    if (!src)
        return NULL;
    src->kind = SOURCE_LIVE;
    src->pcap = pcap_create(iface, errbuf);
    if (!src->pcap) {
        err_set(ERR_IO, "%s: %s", iface, errbuf);
        capture_close(src);
        return NULL;
    }
    if (live_setup(src, filter, snaplen, promisc) != 0) {
        capture_close(src);
        return NULL;
    }
    return src;
}

static int64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void count_damage(struct capture_source *src, const char *msg)
{
    if (strstr(msg, "truncated"))
        src->stats.truncated++;
    else
        src->stats.bad_records++;
    if (src->damage[0] == '\0')
        snprintf(src->damage, sizeof(src->damage), "%s: after packet %llu: %s",
             src->name, (unsigned long long)src->stats.packets, msg);
}

static void pcap_damage(struct capture_source *src)
{
    char why[200];
    const char *msg = stream_reason(src, why, sizeof(why));

    count_damage(src, msg ? msg : pcap_geterr(src->pcap));
}

static int next_pcap(struct capture_source *src, struct capture_packet *pkt)
{
    struct pcap_pkthdr *h;
    const u_char *data;

    if (src->stop)
        return 0;
    int rc = pcap_next_ex(src->pcap, &h, &data);
    if (rc == 0) {
        /* Live and nothing queued: wait a little, then report a tick. */
        struct pollfd pfd = { .fd = pcap_get_selectable_fd(src->pcap),
                              .events = POLLIN };
        if (poll(&pfd, 1, LIVE_TIMEOUT_MS) < 0 && errno != EINTR)
            return err_set(ERR_IO, "%s: poll: %s", src->name,
                           strerror(errno));
        pkt->ts_ns = wall_ns();
        return src->stop ? 0 : 2;
    }
    if (rc == PCAP_ERROR_BREAK)
        return 0;
    if (rc < 0) {
        if (src->kind == SOURCE_LIVE)
            return err_set(ERR_IO, "%s: %s", src->name,
                           pcap_geterr(src->pcap));
        pcap_damage(src);
        return 0;
    }
    int64_t frac = h->ts.tv_usec;
    /* A classic pcap's seconds are unsigned 32-bit, but libpcap reads them
     * signed: a capture after 2038-01-19 would come back before 1970. */
    int64_t sec = src->kind == SOURCE_LIVE ? (int64_t)h->ts.tv_sec
                                           : (int64_t)(uint32_t)h->ts.tv_sec;
    pkt->ts_ns = sec * 1000000000 + (src->nano ? frac : frac * 1000);
    pkt->caplen = h->caplen;
    pkt->wirelen = h->len < h->caplen ? h->caplen : h->len;
    pkt->linktype = src->linktype;
    pkt->if_index = 0;
    pkt->data = data;
    return 1;
}

/* A decoder can fail after the last whole record (junk after a gzip
 * member, a damaged xz index): the reader then sees a clean end, so the
 * stream's own verdict is checked once the records run out. */
static void check_stream_end(struct capture_source *src)
{
    char why[200];
    const char *msg = src->damage[0] == '\0' && src->stream ?
                      stream_reason(src, why, sizeof(why)) : NULL;

    if (msg)
        count_damage(src, msg);
}

int capture_idle(const struct capture_source *src)
{
    return src->stream != NULL && stream_idle(src->stream);
}

int capture_next(struct capture_source *src, struct capture_packet *pkt)
{
    int rc;

    if (src->kind == SOURCE_PCAPNG)
        rc = pcapng_next(src->ng, pkt, &src->stats, src->damage,
                         sizeof(src->damage));
    else
        rc = next_pcap(src, pkt);
    if (rc == 1)
        src->stats.packets++;
    else if (rc == 0)
        check_stream_end(src);
    return rc;
}

void capture_break(struct capture_source *src)
{
    src->stop = 1;
    if (src->pcap)
        pcap_breakloop(src->pcap);
}

const struct capture_source_stats *capture_stats(
    const struct capture_source *src)
{
    struct capture_source *s = (struct capture_source *)src;
    struct pcap_stat ps;

    if (s->kind == SOURCE_LIVE && pcap_stats(s->pcap, &ps) == 0)
        s->stats.dropped = ps.ps_drop;
    return &s->stats;
}

const char *capture_name(const struct capture_source *src)
{
    return src->name;
}

const char *capture_damage(const struct capture_source *src)
{
    return src->damage;
}

void capture_close(struct capture_source *src)
{
    if (!src)
        return;
    if (src->pcap)
        pcap_close(src->pcap);
    pcapng_close(src->ng);
    stream_close(src->stream);
    free(src->name);
    free(src);
}
