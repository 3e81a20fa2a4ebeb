/*
 * Building packets and writing captures for the capture tests: Ethernet
 * (with optional 802.1Q tag), IPv4 (with fragment fields), IPv6 (with an
 * optional hop-by-hop header), TCP (with options), UDP and ICMP, written
 * through libpcap's dump API; pcapng is written byte by byte because
 * libpcap cannot write it. Checksums are left zero: the decoder does not
 * check them, as flow meters do not.
 */
#ifndef FEWFLOW_TESTS_PKTBUILD_H
#define FEWFLOW_TESTS_PKTBUILD_H

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct pkt {
    uint8_t b[2048];
    uint32_t len;            /* bytes written so far */
    uint32_t ip_at;          /* where the IP header starts */
};

struct pkt_l4 {
    uint8_t protocol;        /* 6, 17, 1, 58, 132 or anything else */
    uint16_t sport, dport;
    uint8_t flags;           /* TCP flags */
    uint16_t window;
    const uint8_t *opts;     /* TCP options (multiple of 4 bytes) */
    uint32_t opt_len;
    uint8_t icmp_type, icmp_code;
    uint32_t payload;        /* payload bytes (filled with 'x') */
};

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void pkt_eth(struct pkt *p, int vlan, uint16_t ethertype)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
    p->len = 12;
    if (vlan >= 0) {
        put16(p->b + p->len, 0x8100);
        put16(p->b + p->len + 2, (uint16_t)vlan);
        p->len += 4;
    }
    put16(p->b + p->len, ethertype);
    p->len += 2;
    p->ip_at = p->len;
}

static inline uint32_t l4_hdr_len(const struct pkt_l4 *l)
{
    if (l->protocol == 6)
        return 20 + l->opt_len;
    if (l->protocol == 17 || l->protocol == 1 || l->protocol == 58)
        return 8;
    if (l->protocol == 132)
        return 12;
    return 0;
}

static inline void pkt_l4_write(struct pkt *p, const struct pkt_l4 *l)
{
    uint8_t *h = p->b + p->len;
    uint32_t hl = l4_hdr_len(l);

    memset(h, 0, hl);
    if (l->protocol == 6) {
        put16(h, l->sport);
        put16(h + 2, l->dport);
        h[12] = (uint8_t)((hl / 4) << 4);
        h[13] = l->flags;
        put16(h + 14, l->window);
        if (l->opt_len)
            memcpy(h + 20, l->opts, l->opt_len);
    } else if (l->protocol == 132) {
        put16(h, l->sport);
        put16(h + 2, l->dport);
    } else if (l->protocol == 17) {
        put16(h, l->sport);
        put16(h + 2, l->dport);
        put16(h + 4, (uint16_t)(8 + l->payload));
    } else if (hl == 8) {
        h[0] = l->icmp_type;
        h[1] = l->icmp_code;
    }
    memset(h + hl, 'x', l->payload);
    p->len += hl + l->payload;
}

/* IPv4 header with fragment id/offset (bytes) and MF, then l4 (NULL for
 * a bare fragment of `frag_bytes` payload). */
static inline void pkt_ipv4(struct pkt *p, const char *src, const char *dst,
                            const struct pkt_l4 *l, uint16_t id,
                            uint32_t frag_off, int mf, uint32_t frag_bytes)
{
    uint8_t *h = p->b + p->len;
    uint32_t body = l ? l4_hdr_len(l) + l->payload : frag_bytes;

    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, (uint16_t)(20 + body));
    put16(h + 4, id);
    put16(h + 6, (uint16_t)((mf ? 0x2000 : 0) | (frag_off / 8)));
    h[8] = 64;
    h[9] = l ? l->protocol : 17;
    inet_pton(AF_INET, src, h + 12);
    inet_pton(AF_INET, dst, h + 16);
    p->len += 20;
    if (l) {
        pkt_l4_write(p, l);
    } else {
        memset(p->b + p->len, 'f', frag_bytes);
        p->len += frag_bytes;
    }
}

/* IPv6 with an optional 8-byte hop-by-hop options header. */
static inline void pkt_ipv6(struct pkt *p, const char *src, const char *dst,
                            const struct pkt_l4 *l, int hop_by_hop)
{
    uint8_t *h = p->b + p->len;
    uint32_t ext = hop_by_hop ? 8 : 0;

    memset(h, 0, 40 + ext);
    h[0] = 0x60;
    put16(h + 4, (uint16_t)(ext + l4_hdr_len(l) + l->payload));
    h[6] = hop_by_hop ? 0 : l->protocol;
    h[7] = 64;
    inet_pton(AF_INET6, src, h + 8);
    inet_pton(AF_INET6, dst, h + 24);
    if (hop_by_hop) {
        h[40] = l->protocol;
        h[41] = 0;          /* 8 bytes: next, len, PadN of 6 */
        h[42] = 1;
        h[43] = 4;
    }
    p->len += 40 + ext;
    pkt_l4_write(p, l);
}

/* IPv6 with a fragment header (RFC 8200 4.5): the first fragment (l set,
 * offset 0) carries the transport header; later ones carry frag_bytes. */
static inline void pkt_ipv6_frag(struct pkt *p, const char *src,
                                 const char *dst, const struct pkt_l4 *l,
                                 uint32_t id, uint32_t off, int mf,
                                 uint32_t frag_bytes)
{
    uint8_t *h = p->b + p->len;
    uint32_t body = l ? l4_hdr_len(l) + l->payload : frag_bytes;

    memset(h, 0, 48);
    h[0] = 0x60;
    put16(h + 4, (uint16_t)(8 + body));
    h[6] = 44;
    h[7] = 64;
    inet_pton(AF_INET6, src, h + 8);
    inet_pton(AF_INET6, dst, h + 24);
    h[40] = l ? l->protocol : 17;
    put16(h + 42, (uint16_t)(off | (mf ? 1 : 0)));
    h[44] = (uint8_t)(id >> 24);
    h[45] = (uint8_t)(id >> 16);
    h[46] = (uint8_t)(id >> 8);
    h[47] = (uint8_t)id;
    p->len += 48;
    if (l) {
        pkt_l4_write(p, l);
    } else {
        memset(p->b + p->len, 'f', frag_bytes);
        p->len += frag_bytes;
    }
}

/* A classic pcap written by libpcap. */
struct pcap_out {
    pcap_t *dead;
    pcap_dumper_t *dump;
    int nano;
};

static inline int pcap_out_open(struct pcap_out *o, const char *path,
                                int linktype, int nano)
{
    o->nano = nano;
    o->dead = pcap_open_dead_with_tstamp_precision(
        linktype, 65535,
        nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    o->dump = o->dead ? pcap_dump_open(o->dead, path) : NULL;
    return o->dump ? 0 : -1;
}

/* t_ns is written at the file's resolution; caplen 0 = whole packet. */
static inline void pcap_out_write(struct pcap_out *o, int64_t t_ns,
                                  const struct pkt *p, uint32_t caplen)
{
    struct pcap_pkthdr h;

    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(t_ns / 1000000000);
    h.ts.tv_usec = (suseconds_t)(o->nano ? t_ns % 1000000000
                                         : t_ns % 1000000000 / 1000);
    h.len = p->len;
    h.caplen = caplen && caplen < p->len ? caplen : p->len;
    pcap_dump((u_char *)o->dump, &h, p->b);
}

static inline void pcap_out_close(struct pcap_out *o)
{
    pcap_dump_close(o->dump);
    pcap_close(o->dead);
}

/* One whole TCP session over IPv4 from t_ns on, a packet a millisecond:
 * handshake, a 100-byte request, a 200-byte reply, FIN both ways and the
 * last ACK. */
static inline void pcap_out_session(struct pcap_out *o, int64_t t_ns,
                                    const char *client, uint16_t sport,
                                    const char *server, uint16_t dport)
{
    static const struct { int fwd; uint8_t flags; uint32_t len; } s[] = {
        { 1, 0x02, 0 }, { 0, 0x12, 0 }, { 1, 0x10, 0 }, { 1, 0x18, 100 },
        { 0, 0x18, 200 }, { 1, 0x11, 0 }, { 0, 0x11, 0 }, { 1, 0x10, 0 },
    };
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
        struct pkt p;
        struct pkt_l4 l = { .protocol = 6,
                            .sport = s[i].fwd ? sport : dport,
                            .dport = s[i].fwd ? dport : sport,
                            .flags = s[i].flags, .window = 64240,
                            .payload = s[i].len };
        pkt_eth(&p, -1, 0x0800);
        pkt_ipv4(&p, s[i].fwd ? client : server, s[i].fwd ? server : client,
                 &l, 9, 0, 0, 0);
        pcap_out_write(o, t_ns + (int64_t)i * 1000000, &p, 0);
    }
}

/* pcapng, little-endian, written by hand. */
static inline void ng_u32(FILE *f, uint32_t v)
{
    fwrite(&v, 4, 1, f);
}

static inline void ng_u16(FILE *f, uint16_t v)
{
    fwrite(&v, 2, 1, f);
}

static inline void ng_shb(FILE *f)
{
    ng_u32(f, 0x0a0d0d0a);
    ng_u32(f, 28);
    ng_u32(f, 0x1a2b3c4d);
    ng_u16(f, 1);
    ng_u16(f, 0);
    ng_u32(f, 0xffffffff);  /* section length unknown: -1 */
    ng_u32(f, 0xffffffff);
    ng_u32(f, 28);
}

/* An interface with if_tsresol (tsresol < 0: the default, microseconds). */
static inline void ng_idb(FILE *f, uint16_t linktype, int tsresol)
{
    uint32_t len = tsresol < 0 ? 20 : 32;

    ng_u32(f, 1);
    ng_u32(f, len);
    ng_u16(f, linktype);
    ng_u16(f, 0);
    ng_u32(f, 0);           /* snaplen: no limit */
    if (tsresol >= 0) {
        ng_u16(f, 9);
        ng_u16(f, 1);
        uint8_t opt[4] = { (uint8_t)tsresol, 0, 0, 0 };
        fwrite(opt, 1, 4, f);
        ng_u32(f, 0);       /* opt_endofopt */
    }
    ng_u32(f, len);
}

static inline void ng_epb(FILE *f, uint32_t if_id, uint64_t units,
                          const uint8_t *data, uint32_t len)
{
    uint32_t pad = (4 - len % 4) % 4;
    uint32_t total = 32 + len + pad;
    static const uint8_t zero[4];

    ng_u32(f, 6);
    ng_u32(f, total);
    ng_u32(f, if_id);
    ng_u32(f, (uint32_t)(units >> 32));
    ng_u32(f, (uint32_t)units);
    ng_u32(f, len);
    ng_u32(f, len);
    fwrite(data, 1, len, f);
    fwrite(zero, 1, pad, f);
    ng_u32(f, total);
}

#endif
