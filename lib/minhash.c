#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "array.h"
#include "diag.h"
#include "minhash.h"
#include "num.h"
#include "rng.h"

bool
ve_minhash_parse_shingle(const char *spec, int *kind, int *n)
{
	long v;

	if (strncmp(spec, "char:", 5) == 0)
		*kind = VE_SHINGLE_CHAR;
	else if (strncmp(spec, "word:", 5) == 0)
		*kind = VE_SHINGLE_WORD;
	else
		return false;
	if (!ve_parse_long(spec + 5, 1, 64, &v))
		return false;
	*n = (int)v;
	return true;
}

void
ve_minhash_init(struct ve_minhash *mh, int kind, int n, int perm, uint64_t seed)
{
	memset(mh, 0, sizeof *mh);
	mh->kind = kind;
	mh->n = n;
	mh->perm = perm;
	mh->seed = seed;
	mh->filled = ve_xmalloc((size_t)perm);
}

void
ve_minhash_free(struct ve_minhash *mh)
{
	free(mh->scratch);
	free(mh->filled);
	memset(mh, 0, sizeof *mh);
}

/* Python's str.isspace: bidirectional class WS, B or S, or category Zs. */
static bool
is_space(utf8proc_int32_t c)
{
	if (c < 0x80)
		return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
	const utf8proc_property_t *p = utf8proc_get_property(c);
	return p->category == UTF8PROC_CATEGORY_ZS || p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
	       p->bidi_class == UTF8PROC_BIDI_CLASS_B || p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

static size_t
cp_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static void
bin_add(const struct ve_minhash *mh, uint32_t *sig, uint64_t h)
{
	uint32_t bin = (uint32_t)(((h >> 32) * (uint64_t)mh->perm) >> 32);
	uint32_t v = (uint32_t)h;

	if (!mh->filled[bin] || v < sig[bin]) {
		sig[bin] = v;
		mh->filled[bin] = 1;
	}
}

/* Shingles of n code points: the bytes from one code point's start to the n-th next. */
static size_t
sign_chars(struct ve_minhash *mh, const char *s, size_t len, uint32_t *sig)
{
	size_t start[65], count = 0, shingles = 0, i = 0;
	int n = mh->n;

	while (i < len) {
		start[count % (size_t)(n + 1)] = i;
		count++;
		i += cp_len((unsigned char)s[i]);
		if (i > len)
			i = len;
		if (count >= (size_t)n) {
			size_t from = start[(count - (size_t)n) % (size_t)(n + 1)];
			bin_add(mh, sig, XXH3_64bits_withSeed(s + from, i - from, mh->seed));
			shingles++;
		}
	}
	if (count && count < (size_t)n) {
		bin_add(mh, sig, XXH3_64bits_withSeed(s, len, mh->seed));
		shingles++;
	}
	return shingles;
}

/* Shingles of n words: each word hashed, then each run of n word hashes. */
static size_t
sign_words(struct ve_minhash *mh, const char *s, size_t len, uint32_t *sig)
{
	size_t nw = 0, i = 0, shingles = 0;

	while (i < len) {
		size_t from;
		utf8proc_int32_t c;
		utf8proc_ssize_t k;
		while (i < len &&
		       (k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                             (utf8proc_ssize_t)(len - i), &c)) > 0 &&
		       is_space(c))
			i += (size_t)k;
		if (i >= len)
			break;
		from = i;
		while (i < len &&
		       (k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		                             (utf8proc_ssize_t)(len - i), &c)) > 0 &&
		       !is_space(c))
			i += (size_t)k;
		mh->scratch = ve_grow(mh->scratch, &mh->scap, nw + 1, sizeof *mh->scratch);
		mh->scratch[nw++] = XXH3_64bits_withSeed(s + from, i - from, mh->seed);
	}
	if (nw == 0)
		return 0;
	size_t n = nw < (size_t)mh->n ? nw : (size_t)mh->n;
	for (size_t w = 0; w + n <= nw; w++) {
		bin_add(mh, sig,
		        XXH3_64bits_withSeed(mh->scratch + w, n * sizeof *mh->scratch, mh->seed));
		shingles++;
	}
	return shingles;
}

size_t
ve_minhash_sign(struct ve_minhash *mh, const char *s, size_t len, uint32_t *sig)
{
	size_t shingles;

	memset(mh->filled, 0, (size_t)mh->perm);
	shingles =
	    mh->kind == VE_SHINGLE_CHAR ? sign_chars(mh, s, len, sig) : sign_words(mh, s, len, sig);
	if (!shingles) {
		memset(sig, 0, (size_t)mh->perm * sizeof *sig);
		return 0;
	}
	/* Optimal densification: each empty bin probes its own seeded sequence. */
	for (int b = 0; b < mh->perm; b++) {
		if (mh->filled[b])
			continue;
		for (uint64_t t = 1;; t++) {
			uint64_t h = ve_splitmix64(mh->seed ^ ((uint64_t)b << 32 | t));
			uint32_t from = (uint32_t)(((h >> 32) * (uint64_t)mh->perm) >> 32);
			if (mh->filled[from] == 1) {
				sig[b] = sig[from];
				break;
			}
		}
	}
	return shingles;
}

double
ve_minhash_jaccard(const uint32_t *a, const uint32_t *b, int perm)
{
	int same = 0;

	for (int i = 0; i < perm; i++)
		same += a[i] == b[i];
	return (double)same / perm;
}

double
ve_lsh_candidate_prob(double s, int bands, int rows)
{
	return 1 - pow(1 - pow(s, rows), bands);
}

/* Simpson's rule over [a, b] of the candidate probability, or of its complement. */
static double
area(double a, double b, int bands, int rows, bool complement)
{
	const int steps = 200;
	double h = (b - a) / steps, sum = 0;

	for (int i = 0; i <= steps; i++) {
		double p = ve_lsh_candidate_prob(a + i * h, bands, rows);
		double f = complement ? 1 - p : p;
		sum += f * (i == 0 || i == steps ? 1 : i % 2 ? 4 : 2);
	}
	return sum * h / 3;
}

void
ve_lsh_choose(double threshold, int perm, double min_prob, int *bands, int *rows)
{
	double best = INFINITY, best_any = INFINITY;
	int bb = 1, br = 1, ab = 1, ar = 1;

	for (int b = 1; b <= perm; b++)
		for (int r = 1; r <= perm / b; r++) {
			double err = 0.5 * area(0, threshold, b, r, false) +
			             0.5 * area(threshold, 1, b, r, true);
			if (err < best_any)
				best_any = err, ab = b, ar = r;
			if (ve_lsh_candidate_prob(threshold, b, r) >= min_prob && err < best)
				best = err, bb = b, br = r;
		}
	if (best == INFINITY)
		bb = ab, br = ar;
	*bands = bb;
	*rows = br;
}
