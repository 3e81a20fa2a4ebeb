/*
 * FNV-1a, 64-bit (Fowler, Noll, Vo): byte at a time, for short keys in
 * fixed-size tables and for flow ids; and MurmurHash3's 64-bit finaliser,
 * for hashes whose low bits must depend on the whole key. Not collision
 * resistant; callers either compare the keys on a match or accept that a
 * collision only costs them context.
 */
#ifndef FEWFLOW_CORE_FNV_H
#define FEWFLOW_CORE_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_OFFSET UINT64_C(0xcbf29ce484222325)

/* Continues hash h over n bytes. */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* MurmurHash3's fmix64: every input bit reaches every output bit. */
static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    return h ^ (h >> 33);
}

#endif
