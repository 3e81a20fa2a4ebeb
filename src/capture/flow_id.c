#include <stdint.h>

#include "core/fnv.h"
#include "fewflow/flow.h"

uint64_t flow_record_flow_id(const struct flow_record *rec)
{
    uint64_t h = FNV1A_OFFSET;
    h = fnv1a(h, &rec->ip_version, 1);
    h = fnv1a(h, &rec->protocol, 1);
    h = fnv1a(h, rec->src_addr, sizeof(rec->src_addr));
    h = fnv1a(h, rec->dst_addr, sizeof(rec->dst_addr));
    h = fnv1a(h, &rec->src_port, sizeof(rec->src_port));
    h = fnv1a(h, &rec->dst_port, sizeof(rec->dst_port));
    h = fnv1a(h, &rec->vlan_id, sizeof(rec->vlan_id));
    h = fnv1a(h, &rec->part, sizeof(rec->part));
    h = fnv1a(h, &rec->first_ns, sizeof(rec->first_ns));
    h = fmix64(h) & ((UINT64_C(1) << 53) - 1);
    return h + (h == 0);
}
