#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/beacon.h"
#include "fewflow/err.h"

/* The ranges no C2 server of an outside attacker lives in: private
 * (RFC 1918), loopback, link-local, carrier-grade NAT (RFC 6598), "this
 * network", multicast and broadcast; for IPv6 loopback, unspecified,
 * link-local, unique local (RFC 4193) and multicast. */
static const char *const private_nets[] = {
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
    "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8", "224.0.0.0/4",
    "255.255.255.255/32", "::1/128", "::/128", "fe80::/10", "fc00::/7",
    "ff00::/8",
};

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as dual-stack sockets
 * log IPv4 peers) is also that IPv4 address: ::ffff:10.1.2.3 is
 * private. */
static int is_mapped(const uint8_t *a)
{
    static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0xff, 0xff };
    return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* A range inside ::ffff:0:0/96 is an IPv4 range: written as
 * ::ffff:192.0.2.0/120 it held ::ffff:192.0.2.7 but not 192.0.2.7, so
 * an operator's entry silently missed every IPv4 flow it named. */
static void mapped_to_v4(struct beacon_net *net)
{
    if (!net->v6 || net->prefix < 96 || !is_mapped(net->addr))
        return;
    memmove(net->addr, net->addr + 12, 4);
    memset(net->addr + 4, 0, 12);
    net->v6 = 0;
    net->prefix = (uint8_t)(net->prefix - 96);
}

int beacon_net_read(const char *item, struct beacon_net *net)
{
    char text[64];
    size_t len = strlen(item);
    if (len == 0 || len >= sizeof(text))
        return -1;
    memcpy(text, item, len + 1);
    char *slash = strchr(text, '/');
    if (slash != NULL)
        *slash = '\0';
    memset(net, 0, sizeof(*net));
    net->v6 = strchr(text, ':') != NULL;
    if (inet_pton(net->v6 ? AF_INET6 : AF_INET, text, net->addr) != 1)
        return -1;
    long max = net->v6 ? 128 : 32, prefix = max;
    if (slash != NULL) {
        char *end;
        prefix = strtol(slash + 1, &end, 10);
        if (strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
            slash[1] == '\0' || *end != '\0' || prefix > max)
            return -1;
    }
    net->prefix = (uint8_t)prefix;
    mapped_to_v4(net);
    return 0;
}

static int nets_add(struct beacon_nets *n, const char *item)
{
    if (n->n == BEACON_NETS_MAX)
        return err_set(ERR_INVALID, "more than %d ranges", BEACON_NETS_MAX);
    if (beacon_net_read(item, &n->net[n->n]) != 0)
        return err_set(ERR_INVALID, "'%s' is no address or CIDR range "
                       "(e.g. 10.0.0.0/8, 2001:db8::/32, private)", item);
    n->n++;
    return 0;
}

static int nets_add_item(struct beacon_nets *n, const char *item)
{
    if (strcmp(item, "private") != 0)
        return nets_add(n, item);
    for (size_t i = 0; i < sizeof(private_nets) / sizeof(*private_nets);
         i++) {
        int rc = nets_add(n, private_nets[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int beacon_nets_parse(const char *spec, struct beacon_nets *n)
{
    char item[64];
    memset(n, 0, sizeof(*n));
    if (spec == NULL || *spec == '\0')
        return err_set(ERR_INVALID, "empty list");
    for (const char *p = spec;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof(item))
            return err_set(ERR_INVALID, "'%.*s' is no address or CIDR "
                           "range", (int)(len < 40 ? len : 40), p);
        memcpy(item, p, len);
        item[len] = '\0';
        int rc = nets_add_item(n, item);
        if (rc != 0)
            return rc;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

static int net_has(const struct beacon_net *net, const uint8_t *a, int v6)
{
    if (net->v6 != v6)
        return 0;
    unsigned whole = net->prefix / 8u, rest = net->prefix % 8u;
    if (memcmp(net->addr, a, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (net->addr[whole] & mask) == (a[whole] & mask);
}


int beacon_ip_read(const char *ip, uint8_t *a, int *v6)
{
    *v6 = strchr(ip, ':') != NULL;
    return inet_pton(*v6 ? AF_INET6 : AF_INET, ip, a) == 1 ? 0 : -1;
}

int beacon_net_has_ip(const struct beacon_net *net, const uint8_t *a, int v6)
{
    return net_has(net, a, v6) ||
           (v6 && is_mapped(a) && net_has(net, a + 12, 0));
}

int beacon_nets_has(const struct beacon_nets *n, const char *ip)
{
    uint8_t a[16];
    int v6;
    if (beacon_ip_read(ip, a, &v6) != 0)
        return 1;
    for (size_t i = 0; i < n->n; i++) {
        if (beacon_net_has_ip(&n->net[i], a, v6))
            return 1;
    }
    return 0;
}
