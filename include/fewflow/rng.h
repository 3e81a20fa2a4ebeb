/*
 * Seeded pseudo-random numbers: xoshiro256** (Blackman and Vigna, 2018)
 * seeded through splitmix64. Every random choice in fewflow takes an explicit
 * generator; there is no global state, so a seed reproduces a run bit for bit.
 * Caller-owned storage; one generator per thread.
 */
#ifndef FEWFLOW_RNG_H
#define FEWFLOW_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, n) without modulo bias; n must be > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform float in [0, 1) with 24 random bits. */
float rng_uniform(struct rng *r);
/* Standard normal (Box-Muller; one draw per call, no cached pair). */
float rng_normal(struct rng *r);
/* Fisher-Yates shuffle of n ints in place. */
void rng_shuffle_int(struct rng *r, int *v, size_t n);
/* 64 bits from the operating system's entropy source (getrandom), for
 * keys that must not be predictable, such as hash-table seeds facing
 * hostile traffic. Never used for anything a training seed reproduces. */
uint64_t rng_entropy_u64(void);

/* An independent stream derived from this one (for per-episode generators). */
void rng_split(struct rng *r, struct rng *child);

#endif
