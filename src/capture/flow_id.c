#include <stdint.h>

#include "core/fnv.h"
#include "fewflow/flow.h"

/* Mixes every input bit into every output bit (MurmurHash3's 64-bit
 * finaliser), so that the id's low 53 bits depend on the whole key. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    return h ^ (h >> 33);
}

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
    h = mix64(h) & ((UINT64_C(1) << 53) - 1);
    return h + (h == 0);
}
