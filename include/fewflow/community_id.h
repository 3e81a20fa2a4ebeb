/*
 * The Community ID flow hash, version 1 (Corelight's community-id-spec),
 * as Suricata writes it with `community-id: yes` and Zeek's package
 * does, so that a SIEM joins a fewflow alert to the same flow's records
 * from other sensors by one string:
 *
 *   "1:" + base64(SHA-1(seed . addr_a . addr_b . proto . 0 . port_a .
 *                       port_b))
 *
 * seed is 2 bytes, addresses 4 (IPv4) or 16 (IPv6) bytes, ports 2 bytes,
 * all in network byte order. The endpoints are ordered so that the
 * smaller address (bytewise), then the smaller port, comes first, which
 * gives both directions of a flow one ID. TCP, UDP and SCTP hash their
 * ports; ICMP and ICMPv6 hash the message type and, for a type with a
 * counterpart (echo request and reply, and the like), that counterpart
 * as the second "port", else the code, and such a one-way type keeps
 * its direction; other protocols hash no ports.
 *
 * Thread-safe: no global state.
 */
#ifndef FEWFLOW_COMMUNITY_ID_H
#define FEWFLOW_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

/* "1:" and 28 base64 characters, and the NUL. */
#define COMMUNITY_ID_SIZE 31

struct community_tuple {
    uint8_t is_v6;            /* 16-byte addresses, else 4 */
    uint8_t proto;            /* IP protocol number */
    uint8_t has_ports;        /* sport, dport are hashed */
    uint8_t is_one_way;       /* keep the direction (ICMP without pair) */
    uint8_t saddr[16], daddr[16];
    uint16_t sport, dport;
};

/* ICMP (proto 1) and ICMPv6 (58): the ports of a message type and code,
 * Zeek's mapping as the specification takes it. Returns 1 when the type
 * has no counterpart (one-way: the ports are type and code), else 0. */
int community_icmp_ports(uint8_t proto, uint8_t type, uint8_t code,
                         uint16_t *sport, uint16_t *dport);

/* The ID of t with the seed into out (COMMUNITY_ID_SIZE bytes). */
void community_id_v1(const struct community_tuple *t, uint16_t seed,
                     char *out);

struct alert_flow;

/* The ID of an alert's flow into out, or -1 (out "") when the flow
 * lacks what the hash needs: both addresses of one family, a known
 * protocol, a port protocol's ports, an ICMP message's type. */
int community_id_of_flow(const struct alert_flow *f, uint16_t seed,
                         char *out);

#endif
