#include <math.h>

#include "rng.h"

uint64_t
ve_rng_next(struct ve_rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t res = (x << 7 | x >> 57) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return res;
}

uint64_t
ve_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The state is four successive outputs of splitmix64 started at seed. */
void
ve_rng_seed(struct ve_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++, seed += 0x9e3779b97f4a7c15ULL)
		r->s[i] = ve_splitmix64(seed);
}

double
ve_rng_unit(struct ve_rng *r)
{
	return ((double)(ve_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

long
ve_rng_range(struct ve_rng *r, long lo, long hi)
{
	uint64_t span = (uint64_t)(hi - lo) + 1;

	/* Rejection keeps every value equally likely. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % span;
	uint64_t x;
	do
		x = ve_rng_next(r);
	while (x >= limit);
	return lo + (long)(x % span);
}

static double
normal(struct ve_rng *r)
{
	double u = ve_rng_unit(r), v = ve_rng_unit(r);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

double
ve_rng_gamma(struct ve_rng *r, double shape)
{
	if (shape < 1)
		return ve_rng_gamma(r, shape + 1) * pow(ve_rng_unit(r), 1 / shape);
	if (shape == 1)
		return -log(ve_rng_unit(r));
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double x = normal(r), v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = ve_rng_unit(r);
		if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}
