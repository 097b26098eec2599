/*
 * CPython 3.11's random module in C; see pyrand.h for what was read.
 */
#include "pyrand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "rng.h"

#define M          397
#define MATRIX_A   0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

/* init_genrand: the state from one 32-bit word, Knuth's multiplier. */
static void
init_genrand(struct ve_pyrand *r, uint32_t s)
{
	r->mt[0] = s;
	for (int i = 1; i < VE_PYRAND_N; i++)
		r->mt[i] = 1812433253U * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
	r->index = VE_PYRAND_N;
}

void
ve_pyrand_seed_words(struct ve_pyrand *r, const uint32_t *key, size_t nkey)
{
	uint32_t *mt = r->mt;
	size_t i = 1, j = 0;

	/* CPython's key has as many words as |n| has significant ones, and at least one. */
	while (nkey > 1 && key[nkey - 1] == 0)
		nkey--;
	init_genrand(r, 19650218U);
	for (size_t k = nkey > VE_PYRAND_N ? nkey : VE_PYRAND_N; k; k--) {
		mt[i] =
		    (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= VE_PYRAND_N) {
			mt[0] = mt[VE_PYRAND_N - 1];
			i = 1;
		}
		if (j >= nkey)
			j = 0;
	}
	for (size_t k = VE_PYRAND_N - 1; k; k--) {
		mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
		i++;
		if (i >= VE_PYRAND_N) {
			mt[0] = mt[VE_PYRAND_N - 1];
			i = 1;
		}
	}
	mt[0] = 0x80000000U; /* a state that is not all zeros */
	r->index = VE_PYRAND_N;
}

void
ve_pyrand_seed(struct ve_pyrand *r, uint64_t n)
{
	uint32_t key[2] = {(uint32_t)n, (uint32_t)(n >> 32)};

	ve_pyrand_seed_words(r, key, 2);
}

bool
ve_pyrand_seed_text(struct ve_pyrand *r, const char *s)
{
	size_t nd;

	if (*s == '-' || *s == '+')
		s++;
	nd = strspn(s, "0123456789");
	if (nd == 0 || s[nd] || nd > VE_PYRAND_SEED_DIGITS)
		return false;
	/* Base 10 into base 2^32: each digit multiplies what is there by 10 and adds itself. */
	size_t cap = nd / 9 + 2, used = 1;
	uint32_t *w = ve_xcalloc(cap, sizeof *w);
	for (size_t d = 0; d < nd; d++) {
		uint64_t carry = (uint64_t)(s[d] - '0');
		for (size_t i = 0; i < used; i++) {
			uint64_t v = (uint64_t)w[i] * 10 + carry;
			w[i] = (uint32_t)v;
			carry = v >> 32;
		}
		if (carry)
			w[used++] = (uint32_t)carry;
	}
	ve_pyrand_seed_words(r, w, used);
	free(w);
	return true;
}

/* Refills the state: the next 624 words of the recurrence. */
static void
generate(uint32_t *mt)
{
	static const uint32_t mag01[2] = {0, MATRIX_A};
	uint32_t y;
	int k;

	for (k = 0; k < VE_PYRAND_N - M; k++) {
		y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
		mt[k] = mt[k + M] ^ (y >> 1) ^ mag01[y & 1];
	}
	for (; k < VE_PYRAND_N - 1; k++) {
		y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
		mt[k] = mt[k + (M - VE_PYRAND_N)] ^ (y >> 1) ^ mag01[y & 1];
	}
	y = (mt[VE_PYRAND_N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
	mt[VE_PYRAND_N - 1] = mt[M - 1] ^ (y >> 1) ^ mag01[y & 1];
}

uint32_t
ve_pyrand_u32(struct ve_pyrand *r)
{
	if (r->index >= VE_PYRAND_N) {
		generate(r->mt);
		r->index = 0;
	}
	uint32_t y = r->mt[r->index++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

/*
 * getrandbits fills its number 32 bits at a time from the least significant
 * word up; the last word keeps the high bits of its draw.
 */
uint64_t
ve_pyrand_getrandbits(struct ve_pyrand *r, int k)
{
	if (k <= 0)
		return 0;
	if (k <= 32)
		return ve_pyrand_u32(r) >> (32 - k);
	uint64_t lo = ve_pyrand_u32(r);
	uint64_t hi = ve_pyrand_u32(r) >> (64 - k);
	return lo | hi << 32;
}

/* n.bit_length() */
static int
bit_length(uint64_t n)
{
	return n ? 64 - __builtin_clzll(n) : 0;
}

uint64_t
ve_pyrand_below(struct ve_pyrand *r, uint64_t n)
{
	int k = bit_length(n);
	uint64_t x = ve_pyrand_getrandbits(r, k);

	while (x >= n)
		x = ve_pyrand_getrandbits(r, k);
	return x;
}

double
ve_pyrand_random(struct ve_pyrand *r)
{
	uint32_t a = ve_pyrand_u32(r) >> 5, b = ve_pyrand_u32(r) >> 6;

	return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t
ve_pyrand_choice(struct ve_pyrand *r, uint64_t n)
{
	return ve_pyrand_below(r, n);
}

void
ve_pyrand_shuffle(struct ve_pyrand *r, uint64_t *x, size_t n)
{
	for (size_t i = n ? n - 1 : 0; i >= 1; i--) {
		size_t j = (size_t)ve_pyrand_below(r, (uint64_t)i + 1);
		uint64_t t = x[i];
		x[i] = x[j];
		x[j] = t;
	}
}

/*
 * CPython computes _log(k * 3, 4) as math.log does for an int: log of the
 * int as a double over log(4.0), then ceil, then an exact power of 4. A
 * power past 2^64 means no population of 64-bit size is larger.
 */
bool
ve_pyrand_sample_uses_pool(uint64_t n, uint64_t k)
{
	uint64_t setsize = 21;

	if (k > 5) {
		double e = ceil(log((double)(k * 3)) / log(4.0));
		if (e >= 32)
			return true;
		setsize += (uint64_t)1 << (2 * (int)e);
	}
	return n <= setsize;
}

/* The pool algorithm: the unchosen at pool[0..n-i), the last one moved into each vacancy. */
static void
sample_pool(struct ve_pyrand *r, uint64_t n, size_t k, uint64_t *out)
{
	uint64_t *pool = ve_xmalloc((size_t)n * sizeof *pool);

	for (uint64_t i = 0; i < n; i++)
		pool[i] = i;
	for (size_t i = 0; i < k; i++) {
		uint64_t j = ve_pyrand_below(r, n - i);
		out[i] = pool[j];
		pool[j] = pool[n - i - 1];
	}
	free(pool);
}

/*
 * The set algorithm: draw below n until the index is new. The set is an
 * open-addressed table of index + 1 (0 marks a free slot) at most half full.
 */
static void
sample_set(struct ve_pyrand *r, uint64_t n, size_t k, uint64_t *out)
{
	size_t cap = 16;
	while (cap < 2 * k)
		cap *= 2;
	uint64_t *slot = ve_xcalloc(cap, sizeof *slot);

	for (size_t i = 0; i < k; i++) {
		for (;;) {
			uint64_t j = ve_pyrand_below(r, n);
			size_t h = (size_t)ve_splitmix64(j) & (cap - 1);
			while (slot[h] && slot[h] != j + 1)
				h = (h + 1) & (cap - 1);
			if (slot[h])
				continue;
			slot[h] = j + 1;
			out[i] = j;
			break;
		}
	}
	free(slot);
}

void
ve_pyrand_sample(struct ve_pyrand *r, uint64_t n, size_t k, uint64_t *out)
{
	if (ve_pyrand_sample_uses_pool(n, k))
		sample_pool(r, n, k, out);
	else
		sample_set(r, n, k, out);
}
