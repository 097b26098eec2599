/*
 * CPython's random module, draw for draw, so that a prompt built from a
 * reference's random choices (Evalchemy's shuffled GPQA options, lm-eval's
 * few-shot examples) comes out byte for byte the same here.
 *
 * Followed: CPython 3.11 (Debian 12's python3.11), read in
 *   Modules/_randommodule.c  random_seed, init_genrand, init_by_array,
 *                            genrand_uint32, random (genrand_res53),
 *                            getrandbits
 *   Lib/random.py            Random.seed for int, _randbelow_with_getrandbits,
 *                            shuffle, sample (both algorithms and the
 *                            set-size rule choosing between them), choice
 * and reimplemented from that reading. The generator is MT19937 (Matsumoto
 * and Nishimura, 2002 initialisation). An integer seed n is used as
 * random.seed(n) and random.Random(n) use it: the 32-bit words of |n|, least
 * significant first (one word of 0 for n = 0), through init_by_array. The
 * other seed types (None, str, bytes, float) are not offered.
 *
 * Indices come back as uint64_t: shuffle and sample work on range(n), and a
 * caller applies the positions to its own sequence, as random.sample(
 * range(n), k) and random.shuffle(list(range(n))) show them. The caller owns
 * the state and every array; what ve_pyrand_seed_text and ve_pyrand_sample
 * allocate for their work is freed before they return.
 */
#ifndef VE_PYRAND_H
#define VE_PYRAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VE_PYRAND_N 624

struct ve_pyrand {
	uint32_t mt[VE_PYRAND_N];
	int index; /* the next word of mt to temper; VE_PYRAND_N: regenerate first */
};

/*
 * The largest seed, in decimal digits, ve_pyrand_seed_text takes (CPython
 * itself reads at most 4300 digits from a string by default).
 */
#define VE_PYRAND_SEED_DIGITS 4300

/*
 * random.seed(n) where |n| is the little-endian 32-bit words key[0..nkey),
 * nkey >= 1 (high zero words are allowed and dropped, as |n|'s bit count
 * decides the key's length in CPython).
 */
void ve_pyrand_seed_words(struct ve_pyrand *r, const uint32_t *key, size_t nkey);
/* random.seed(n) for an n that fits 64 bits. */
void ve_pyrand_seed(struct ve_pyrand *r, uint64_t n);
/*
 * random.seed(int(s)) for a decimal integer s: an optional sign ('-' seeds
 * as its absolute value, as CPython does) and 1 to VE_PYRAND_SEED_DIGITS
 * digits, nothing else. False, r untouched, when s is not such a number.
 */
bool ve_pyrand_seed_text(struct ve_pyrand *r, const char *s);

/* The next 32-bit output (genrand_uint32). */
uint32_t ve_pyrand_u32(struct ve_pyrand *r);
/* getrandbits(k) for 0 <= k <= 64 (k 0 draws nothing and gives 0). */
uint64_t ve_pyrand_getrandbits(struct ve_pyrand *r, int k);
/* _randbelow(n), n >= 1: getrandbits(n.bit_length()) until below n. */
uint64_t ve_pyrand_below(struct ve_pyrand *r, uint64_t n);
/* random(): 53 random bits over 2^53, in [0, 1). */
double ve_pyrand_random(struct ve_pyrand *r);
/* choice(seq) for len(seq) = n >= 1: the index it picks. */
uint64_t ve_pyrand_choice(struct ve_pyrand *r, uint64_t n);

/* shuffle(x) of the n elements x[0..n), in place. */
void ve_pyrand_shuffle(struct ve_pyrand *r, uint64_t *x, size_t n);
/*
 * True when sample(population, k) of a population of n (k <= n) takes the
 * pool (list) algorithm, false when it takes the set one: n <= 21, plus
 * 4^ceil(log(3k, 4)) when k > 5 (the table size of a set of k).
 */
bool ve_pyrand_sample_uses_pool(uint64_t n, uint64_t k);
/*
 * sample(range(n), k) into out[0..k), 0 <= k <= n, in selection order.
 * The pool algorithm needs n elements of memory; it is chosen only when n is
 * at most about 12k + 21, so either way the memory is O(k).
 */
void ve_pyrand_sample(struct ve_pyrand *r, uint64_t n, size_t k, uint64_t *out);

#endif
