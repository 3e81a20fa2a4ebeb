/*
 * Packet decoding: link layer, IPv4/IPv6 (options, extension headers,
 * fragments) and the transport header (TCP with MSS and window-scale
 * options, UDP, ICMP, ICMPv6). Internal to the capture module; the fuzz
 * target calls it directly.
 *
 * Lengths follow the IP header, not the captured bytes, so a packet cut by
 * the snap length still counts its real size; only the headers we read
 * must have been captured. Pure function of its input: thread-safe.
 */
#ifndef FEWFLOW_CAPTURE_DECODE_H
#define FEWFLOW_CAPTURE_DECODE_H

#include <stdint.h>

enum decode_status {
    DECODE_OK = 0,           /* transport header read (or none exists) */
    DECODE_LATER_FRAGMENT,   /* a fragment with offset > 0: no ports */
    DECODE_NON_IP,           /* a link frame carrying something else */
    DECODE_UNSUPPORTED_LINK, /* a link type we do not decode */
    DECODE_TRUNCATED,        /* a header we need was not captured */
    DECODE_MALFORMED,        /* a header contradicts itself */
};

struct decoded {
    uint8_t ip_version;      /* 4 or 6 */
    uint8_t protocol;        /* transport protocol after extensions */
    uint8_t tcp_flags;       /* FIN 0x01 ... CWR 0x80 */
    uint8_t has_ports;       /* TCP, UDP, SCTP (sport/dport valid) */
    uint8_t src[16];         /* IPv4 in the first 4 bytes, rest zero */
    uint8_t dst[16];
    uint16_t sport;
    uint16_t dport;
    uint16_t vlan_id;        /* outermost tag's VLAN id, 0 when untagged */
    uint16_t window;         /* TCP window field, unscaled */
    int32_t mss;             /* TCP MSS option, -1 when absent */
    int32_t wscale;          /* TCP window-scale shift, -1 when absent */
    int32_t icmp_type;       /* -1 when not ICMP/ICMPv6 */
    int32_t icmp_code;
    uint32_t ip_len;         /* IP header + payload, per the IP header */
    uint32_t ip_hdr_len;     /* IPv4 header with options; IPv6 40 + ext */
    uint32_t l4_hdr_len;     /* transport header (TCP with options) */
    uint32_t payload_len;    /* bytes after the transport header */
    uint8_t is_fragment;     /* MF set or offset > 0 */
    uint8_t more_fragments;
    uint32_t frag_id;        /* IPv4 16-bit id or IPv6 32-bit id */
    uint32_t frag_offset;    /* bytes */
};

/* Decodes one packet of the given LINKTYPE. The result fields are valid
 * for DECODE_OK and DECODE_LATER_FRAGMENT. */
enum decode_status decode_packet(uint32_t linktype, const uint8_t *p,
                                 uint32_t caplen, struct decoded *d);

#endif
