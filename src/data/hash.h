/*
 * Internal: a fast non-cryptographic 64-bit hash for duplicate counting and
 * the vocabulary tables. Not collision-resistant against chosen input; the
 * callers that need exactness compare the hashed bytes on a match. Finish
 * a hash_bytes value with fmix64 (core/fnv.h).
 */
#ifndef FEWFLOW_DATA_HASH_H
#define FEWFLOW_DATA_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/fnv.h"

#define HASH_SEED 0x243f6a8885a308d3ULL

/* Continues hash h over n bytes; word-at-a-time with a final byte tail. */
static inline uint64_t hash_bytes(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t w;

    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    w = n;
    for (size_t i = 0; i < n; i++)
        w = (w << 8) | p[i];
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 31);
}

#endif
