#include <string.h>

#include "fewflow/alert.h"
#include "fewflow/beacon.h"
#include "fewflow/community_id.h"
#include "fewflow/sha1.h"

/* Request and response types that Zeek pairs into one "connection"
 * (its ICMP4_counterpart and ICMP6_counterpart), both ways. */
static const uint8_t icmp4_pairs[][2] = {
    { 8, 0 },       /* echo request, echo reply */
    { 13, 14 },     /* timestamp */
    { 15, 16 },     /* information */
    { 10, 9 },      /* router solicitation, advertisement */
    { 17, 18 },     /* address mask */
};

static const uint8_t icmp6_pairs[][2] = {
    { 128, 129 },   /* echo request, echo reply */
    { 130, 131 },   /* multicast listener query, report */
    { 133, 134 },   /* router solicitation, advertisement */
    { 135, 136 },   /* neighbour solicitation, advertisement */
    { 139, 140 },   /* node information query, response */
    { 144, 145 },   /* home agent address discovery request, reply */
};

static int counterpart(const uint8_t (*pairs)[2], size_t n, uint8_t type,
                       uint8_t *other)
{
    for (size_t i = 0; i < n; i++) {
        for (int side = 0; side < 2; side++) {
            if (pairs[i][side] == type) {
                *other = pairs[i][1 - side];
                return 1;
            }
        }
    }
    return 0;
}

int community_icmp_ports(uint8_t proto, uint8_t type, uint8_t code,
                         uint16_t *sport, uint16_t *dport)
{
    uint8_t other = 0;
    int paired = proto == 58
        ? counterpart(icmp6_pairs, sizeof(icmp6_pairs) /
                      sizeof(icmp6_pairs[0]), type, &other)
        : counterpart(icmp4_pairs, sizeof(icmp4_pairs) /
                      sizeof(icmp4_pairs[0]), type, &other);
    *sport = type;
    *dport = paired ? other : code;
    return !paired;
}

/* Whether the endpoints go into the hash as they are: the smaller
 * address first, the smaller port when the addresses are equal. */
static int in_order(const struct community_tuple *t, size_t alen)
{
    int c = memcmp(t->saddr, t->daddr, alen);
    if (t->is_one_way || c < 0)
        return 1;
    return c == 0 && t->has_ports && t->sport < t->dport;
}

void community_id_v1(const struct community_tuple *t, uint16_t seed,
                     char *out)
{
    size_t alen = t->is_v6 ? 16 : 4;
    int keep = in_order(t, alen);
    const uint8_t *a = keep ? t->saddr : t->daddr;
    const uint8_t *b = keep ? t->daddr : t->saddr;
    uint16_t pa = keep ? t->sport : t->dport;
    uint16_t pb = keep ? t->dport : t->sport;
    uint8_t head[4] = { (uint8_t)(seed >> 8), (uint8_t)seed, t->proto, 0 };
    uint8_t ports[4] = { (uint8_t)(pa >> 8), (uint8_t)pa,
                         (uint8_t)(pb >> 8), (uint8_t)pb };
    uint8_t digest[SHA1_DIGEST_LEN];
    struct sha1 s;

    sha1_init(&s);
    sha1_update(&s, head, 2);
    sha1_update(&s, a, alen);
    sha1_update(&s, b, alen);
    sha1_update(&s, head + 2, 2);
    if (t->has_ports)
        sha1_update(&s, ports, 4);
    sha1_final(&s, digest);
    memcpy(out, "1:", 2);
    base64_encode(digest, sizeof(digest), out + 2);
}

/* Both addresses as bytes, of one family; 0, else -1. */
static int read_addrs(const struct alert_flow *f, struct community_tuple *t)
{
    int s6, d6;
    if (beacon_ip_read(f->src_ip, t->saddr, &s6) != 0 ||
        beacon_ip_read(f->dest_ip, t->daddr, &d6) != 0 || s6 != d6)
        return -1;
    t->is_v6 = (uint8_t)s6;
    return 0;
}

int community_id_of_flow(const struct alert_flow *f, uint16_t seed,
                         char *out)
{
    struct community_tuple t;
    memset(&t, 0, sizeof(t));
    out[0] = '\0';
    t.proto = f->proto;
    /* A protocol no source could read is 0, which would name another. */
    if (f->proto == 0 || read_addrs(f, &t) != 0)
        return -1;
    switch (f->proto) {
    case 1:
    case 58:
        if (!f->has_icmp)
            return -1;
        t.has_ports = 1;
        t.is_one_way = (uint8_t)community_icmp_ports(
            f->proto, f->icmp_type, f->icmp_code, &t.sport, &t.dport);
        break;
    case 6:
    case 17:
    case 132:
        if (f->ports_unknown)
            return -1;
        t.has_ports = 1;
        t.sport = f->src_port;
        t.dport = f->dest_port;
        break;
    default:
        break;
    }
    community_id_v1(&t, seed, out);
    return 0;
}
