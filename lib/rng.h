/*
 * Seeded pseudo-random numbers for anything that takes --seed: xoshiro256**
 * seeded through splitmix64, so one seed gives one sequence on every
 * machine. Not for secrets. The caller owns the state; nothing allocates.
 */
#ifndef VE_RNG_H
#define VE_RNG_H

#include <stdint.h>

struct ve_rng {
	uint64_t s[4];
};

/*
 * The output of one step of splitmix64 (Steele, Lea and Flood; Vigna's
 * splitmix64.c) from state x: x plus the golden gamma, mixed. As a pure
 * function it is also a good 64-bit mixer for seeded hashes.
 */
uint64_t ve_splitmix64(uint64_t x);
void ve_rng_seed(struct ve_rng *r, uint64_t seed);
uint64_t ve_rng_next(struct ve_rng *r);
/* Uniform on the open interval (0, 1). */
double ve_rng_unit(struct ve_rng *r);
/* Uniform integer in [lo, hi] (lo <= hi). */
long ve_rng_range(struct ve_rng *r, long lo, long hi);
/* Gamma(shape, 1), Marsaglia and Tsang; shape 1 is the exponential distribution. */
double ve_rng_gamma(struct ve_rng *r, double shape);

#endif
