#include <string.h>

#include "capture/decode.h"
#include "fewflow/capture.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define MAX_VLAN_TAGS 4

#define PROTO_HOPOPT 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_ICMPV6 58
#define PROTO_DSTOPTS 60
#define PROTO_SCTP 132
#define PROTO_MOBILITY 135

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* TCP options (RFC 9293 section 3.1): only MSS and window scale are kept.
 * A malformed option list ends the walk; the header itself stays valid. */
static void tcp_options(const uint8_t *p, uint32_t len, struct decoded *d)
{
    uint32_t i = 0;

    while (i < len) {
        uint8_t kind = p[i];
        if (kind == 0)
            return;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || p[i + 1] < 2 || i + p[i + 1] > len)
            return;
        if (kind == 2 && p[i + 1] == 4)
            d->mss = rd16(p + i + 2);
        else if (kind == 3 && p[i + 1] == 3)
            d->wscale = p[i + 2];
        i += p[i + 1];
    }
}

static enum decode_status decode_tcp(const uint8_t *p, uint32_t cap,
                                     uint32_t l4_len, struct decoded *d)
{
    if (l4_len < 20)
        return DECODE_MALFORMED;
    if (cap < 20)
        return DECODE_TRUNCATED;
    uint32_t hlen = (uint32_t)(p[12] >> 4) * 4;
    if (hlen < 20 || hlen > l4_len)
        return DECODE_MALFORMED;
    d->sport = rd16(p);
    d->dport = rd16(p + 2);
    d->has_ports = 1;
    d->tcp_flags = p[13];
    d->window = rd16(p + 14);
    d->l4_hdr_len = hlen;
    if (cap >= hlen)
        tcp_options(p + 20, hlen - 20, d);
    return DECODE_OK;
}

static enum decode_status decode_transport(const uint8_t *p, uint32_t cap,
                                           uint32_t l4_len,
                                           struct decoded *d)
{
    switch (d->protocol) {
    case PROTO_TCP:
        return decode_tcp(p, cap, l4_len, d);
    case PROTO_UDP:
        if (l4_len < 8)
            return DECODE_MALFORMED;
        if (cap < 8)
            return DECODE_TRUNCATED;
        d->sport = rd16(p);
        d->dport = rd16(p + 2);
        d->has_ports = 1;
        d->l4_hdr_len = 8;
        return DECODE_OK;
    case PROTO_SCTP:
        /* The common header (RFC 9260, 3.1): ports, verification tag,
         * checksum; the chunks after it are the payload. */
        if (l4_len < 12)
            return DECODE_MALFORMED;
        if (cap < 12)
            return DECODE_TRUNCATED;
        d->sport = rd16(p);
        d->dport = rd16(p + 2);
        d->has_ports = 1;
        d->l4_hdr_len = 12;
        return DECODE_OK;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        if (l4_len < 4)
            return DECODE_MALFORMED;
        if (cap < 2)
            return DECODE_TRUNCATED;
        d->icmp_type = p[0];
        d->icmp_code = p[1];
        d->l4_hdr_len = l4_len < 8 ? l4_len : 8;
        return DECODE_OK;
    default:
        d->l4_hdr_len = 0;
        return DECODE_OK;
    }
}

/* Fills in the transport part once the IP layer has set protocol, the
 * transport length and the fragment fields. */
static enum decode_status decode_l4(const uint8_t *p, uint32_t cap,
                                    uint32_t l4_len, struct decoded *d)
{
    if (d->frag_offset > 0) {
        d->payload_len = l4_len;
        return DECODE_LATER_FRAGMENT;
    }
    enum decode_status st = decode_transport(p, cap, l4_len, d);
    if (st != DECODE_OK)
        return st;
    d->payload_len = l4_len - d->l4_hdr_len;
    return DECODE_OK;
}

/* IPv4 (RFC 791). The options are skipped: they count in the header. */
static enum decode_status decode_ipv4(const uint8_t *p, uint32_t cap,
                                      struct decoded *d)
{
    if (cap < 20)
        return DECODE_TRUNCATED;
    if (p[0] >> 4 != 4)
        return DECODE_MALFORMED;
    uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4;
    uint32_t total = rd16(p + 2);
    /* Total length 0: a segment captured before TCP segmentation offload
     * on the sending host; the frame is its only measure (as Wireshark
     * does). */
    if (total == 0)
        total = cap > 0xffff ? 0xffff : cap;
    if (hlen < 20 || total < hlen)
        return DECODE_MALFORMED;
    if (cap < hlen)
        return DECODE_TRUNCATED;
    d->ip_version = 4;
    d->protocol = p[9];
    memcpy(d->src, p + 12, 4);
    memcpy(d->dst, p + 16, 4);
    d->ip_len = total;
    d->ip_hdr_len = hlen;
    uint16_t frag = rd16(p + 6);
    d->more_fragments = (frag & 0x2000) != 0;
    d->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
    d->is_fragment = d->more_fragments || d->frag_offset > 0;
    d->frag_id = rd16(p + 4);
    /* RFC 791 caps a datagram at 65,535 bytes: a fragment reaching past
     * that cannot be part of one (the "ping of death" shape). */
    if (d->is_fragment && d->frag_offset + total > 0xffff)
        return DECODE_MALFORMED;
    uint32_t in_cap = cap < total ? cap : total;
    return decode_l4(p + hlen, in_cap - hlen, total - hlen, d);
}

/* One IPv6 extension header (RFC 8200 section 4): returns its length, or 0
 * when the header is not captured whole or contradicts the payload. */
static uint32_t ipv6_ext(const uint8_t *p, uint32_t cap, uint32_t left,
                         uint8_t type, struct decoded *d)
{
    if (cap < 8 || left < 8)
        return 0;
    if (type == PROTO_FRAGMENT) {
        uint16_t off = rd16(p + 2);
        d->frag_offset = (uint32_t)(off & 0xfff8);
        d->more_fragments = off & 1;
        d->is_fragment = 1;
        d->frag_id = rd32(p + 4);
        return 8;
    }
    uint32_t len = type == PROTO_AH ? ((uint32_t)p[1] + 2) * 4
                                    : ((uint32_t)p[1] + 1) * 8;
    return len <= left ? len : 0;
}

static int is_ipv6_ext(uint8_t t)
{
    return t == PROTO_HOPOPT || t == PROTO_ROUTING || t == PROTO_FRAGMENT ||
           t == PROTO_AH || t == PROTO_DSTOPTS || t == PROTO_MOBILITY;
}

static enum decode_status decode_ipv6(const uint8_t *p, uint32_t cap,
                                      struct decoded *d)
{
    if (cap < 40)
        return DECODE_TRUNCATED;
    if (p[0] >> 4 != 6)
        return DECODE_MALFORMED;
    uint32_t plen = rd16(p + 4);
    /* Length 0 is a jumbogram (RFC 2675) only behind a hop-by-hop header
     * (those are not decoded); otherwise it is an empty payload, valid
     * with Next Header 59 (RFC 8200 4.7) and judged by the transport. */
    if (plen == 0 && p[6] == PROTO_HOPOPT)
        return DECODE_MALFORMED;
    d->ip_version = 6;
    memcpy(d->src, p + 8, 16);
    memcpy(d->dst, p + 24, 16);
    d->ip_len = 40 + plen;
    uint32_t in_cap = cap < 40 + plen ? cap : 40 + plen;
    uint32_t off = 40, frag_hdr_at = 0;
    uint8_t next = p[6];
    while (is_ipv6_ext(next)) {
        if (d->frag_offset > 0)
            break; /* later fragments: what follows is payload */
        if (next == PROTO_FRAGMENT)
            frag_hdr_at = off;
        uint32_t len = ipv6_ext(p + off, in_cap - off, 40 + plen - off,
                                next, d);
        if (len == 0)
            return 40 + plen - off >= 8 && in_cap - off < 8
                       ? DECODE_TRUNCATED : DECODE_MALFORMED;
        next = p[off];
        off += len;
        if (off > in_cap)
            return DECODE_TRUNCATED;
    }
    /* RFC 8200 section 4.5: the reassembled payload (unfragmentable
     * headers, then offset plus this fragment's data) must fit 65,535. */
    if (d->is_fragment &&
        (frag_hdr_at - 40) + d->frag_offset + (40 + plen - off) > 0xffff)
        return DECODE_MALFORMED;
    d->protocol = next;
    d->ip_hdr_len = off;
    return decode_l4(p + off, in_cap - off, 40 + plen - off, d);
}

static enum decode_status decode_ip(const uint8_t *p, uint32_t cap,
                                    struct decoded *d)
{
    if (cap < 1)
        return DECODE_TRUNCATED;
    switch (p[0] >> 4) {
    case 4:
        return decode_ipv4(p, cap, d);
    case 6:
        return decode_ipv6(p, cap, d);
    default:
        return DECODE_NON_IP;
    }
}

static enum decode_status decode_ethertype(uint16_t type, const uint8_t *p,
                                           uint32_t cap, struct decoded *d)
{
    if (type == ETHERTYPE_IPV4)
        return cap >= 1 && p[0] >> 4 == 4 ? decode_ipv4(p, cap, d)
                                          : DECODE_MALFORMED;
    if (type == ETHERTYPE_IPV6)
        return cap >= 1 && p[0] >> 4 == 6 ? decode_ipv6(p, cap, d)
                                          : DECODE_MALFORMED;
    return cap >= 1 ? DECODE_NON_IP : DECODE_TRUNCATED;
}

/* Ethernet II with up to four 802.1Q/802.1ad tags; the outermost VLAN id
 * is kept. 802.3 length frames (LLC) are not IP. */
static enum decode_status decode_ethernet(const uint8_t *p, uint32_t cap,
                                          struct decoded *d)
{
    if (cap < 14)
        return DECODE_TRUNCATED;
    uint32_t off = 12;
    uint16_t type = rd16(p + off);
    for (int tags = 0; type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
                       type == ETHERTYPE_QINQ_OLD; tags++) {
        if (tags == MAX_VLAN_TAGS)
            return DECODE_MALFORMED;
        if (cap < off + 6)
            return DECODE_TRUNCATED;
        if (tags == 0)
            d->vlan_id = rd16(p + off + 2) & 0x0fff;
        off += 4;
        type = rd16(p + off);
    }
    return decode_ethertype(type, p + off + 2, cap - off - 2, d);
}

/* BSD loopback: a 4-byte address family in the capturing host's byte
 * order (LINKTYPE_NULL) or network order (LINKTYPE_LOOP). AF_INET is 2
 * everywhere; AF_INET6 is 10 (Linux), 24, 28 or 30 (the BSDs, macOS). */
static enum decode_status decode_null(const uint8_t *p, uint32_t cap,
                                      struct decoded *d)
{
    if (cap < 4)
        return DECODE_TRUNCATED;
    uint32_t af = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                  (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (af > 0xffff)
        af = rd32(p);
    if (af == 2)
        return decode_ethertype(ETHERTYPE_IPV4, p + 4, cap - 4, d);
    if (af == 10 || af == 24 || af == 28 || af == 30)
        return decode_ethertype(ETHERTYPE_IPV6, p + 4, cap - 4, d);
    return DECODE_NON_IP;
}

static enum decode_status decode_link(uint32_t linktype, const uint8_t *p,
                                      uint32_t cap, struct decoded *d)
{
    switch (linktype) {
    case CAPTURE_LINK_ETHERNET:
        return decode_ethernet(p, cap, d);
    case CAPTURE_LINK_NULL:
    case CAPTURE_LINK_LOOP:
        return decode_null(p, cap, d);
    case CAPTURE_LINK_RAW:
    case 12: /* DLT_RAW as some writers store it */
    case 14: /* DLT_RAW on OpenBSD */
        return decode_ip(p, cap, d);
    case CAPTURE_LINK_IPV4:
        return decode_ethertype(ETHERTYPE_IPV4, p, cap, d);
    case CAPTURE_LINK_IPV6:
        return decode_ethertype(ETHERTYPE_IPV6, p, cap, d);
    case CAPTURE_LINK_LINUX_SLL:
        if (cap < 16)
            return DECODE_TRUNCATED;
        return decode_ethertype(rd16(p + 14), p + 16, cap - 16, d);
    case CAPTURE_LINK_LINUX_SLL2:
        if (cap < 20)
            return DECODE_TRUNCATED;
        return decode_ethertype(rd16(p), p + 20, cap - 20, d);
    default:
        return DECODE_UNSUPPORTED_LINK;
    }
}

enum decode_status decode_packet(uint32_t linktype, const uint8_t *p,
                                 uint32_t caplen, struct decoded *d)
{
    memset(d, 0, sizeof(*d));
    d->mss = -1;
    d->wscale = -1;
    d->icmp_type = -1;
    d->icmp_code = -1;
    return decode_link(linktype, p, caplen, d);
}
