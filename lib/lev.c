#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "lev.h"

static size_t
hash_cp(uint32_t c, size_t mask)
{
	return (size_t)((c * 0x9E3779B1u) >> 7) & mask;
}

/* The row of peq for code point c, or NULL when the pattern lacks it. */
static const uint64_t *
peq_row(const struct ve_lev *w, uint32_t c, size_t words)
{
	size_t mask = w->tcap - 1;

	for (size_t i = hash_cp(c, mask);; i = (i + 1) & mask) {
		if (!w->slots[i])
			return NULL;
		if (w->keys[i] == c)
			return w->peq + (size_t)(w->slots[i] - 1) * words;
	}
}

/*
 * Builds the match masks of pattern a[0..m) in words of 64 bits: one row of
 * words per distinct code point, so the table is the alphabet times m/64,
 * never m times m/64.
 */
static void
peq_build(struct ve_lev *w, const uint32_t *a, size_t m, size_t words)
{
	size_t tcap = 16, rows = 0;

	while (tcap < 2 * m)
		tcap *= 2;
	if (tcap > w->tcap) {
		free(w->keys);
		free(w->slots);
		w->keys = ve_xmalloc(tcap * sizeof *w->keys);
		w->slots = ve_xmalloc(tcap * sizeof *w->slots);
	}
	w->tcap = tcap;
	memset(w->slots, 0, tcap * sizeof *w->slots);
	/* First the distinct code points, then a row for each. */
	for (size_t i = 0; i < m; i++) {
		size_t mask = tcap - 1, s = hash_cp(a[i], mask);
		while (w->slots[s] && w->keys[s] != a[i])
			s = (s + 1) & mask;
		if (!w->slots[s]) {
			w->keys[s] = a[i];
			w->slots[s] = (uint32_t)++rows;
		}
	}
	if (rows * words > w->peq_cap) {
		free(w->peq);
		w->peq_cap = rows * words;
		w->peq = ve_xmalloc(w->peq_cap * sizeof *w->peq);
	}
	memset(w->peq, 0, rows * words * sizeof *w->peq);
	for (size_t i = 0; i < m; i++) {
		const uint64_t *row = peq_row(w, a[i], words);
		w->peq[(size_t)(row - w->peq) + i / 64] |= 1ULL << (i % 64);
	}
}

/*
 * A lower bound on the final distance after column j, from the scores at the
 * bottom of the blocks computed so far (first..last): within a block a cell
 * is at least its bottom score minus its distance from the bottom, and a
 * path from row i at column j to (m, n) costs at least |(m - i) - (n - j)|
 * more. Rows past the last block are at least their row minus j.
 */
static long
lower_bound(const struct ve_lev *w, size_t first, size_t last, long m, long n, long j)
{
	long c = m - n + j;
	long top_rows = (long)first * 64; /* rows left above the band: each >= j - i */
	long best = c <= top_rows ? j - c : j + c - 2 * top_rows;

	for (size_t b = first; b <= last; b++) {
		long top = (long)b * 64 + 1;
		long bottom = (long)(b + 1) * 64 < m ? (long)(b + 1) * 64 : m;
		long lb = w->score[b] - bottom + (top <= c ? c : 2 * top - c);
		if (lb < best)
			best = lb;
	}
	if ((long)(last + 1) * 64 < m) {
		long top = (long)(last + 1) * 64 + 1;
		long lb = top - j + (top <= c ? c - top : top - c);
		if (lb < best)
			best = lb;
	}
	return best;
}

/* Grows the per-block state to words blocks. */
static void
blocks_reserve(struct ve_lev *w, size_t words)
{
	if (words <= w->wcap)
		return;
	free(w->vp);
	free(w->vn);
	free(w->score);
	w->wcap = words;
	w->vp = ve_xmalloc(words * sizeof *w->vp);
	w->vn = ve_xmalloc(words * sizeof *w->vn);
	w->score = ve_xmalloc(words * sizeof *w->score);
}

/*
 * One block of one column of Myers' recurrence; hp and hn carry the
 * horizontal difference into the block's top and out of its bottom.
 */
static void
block_step(struct ve_lev *w, size_t i, uint64_t pm, uint64_t bottom, uint64_t *hp_carry,
           uint64_t *hn_carry)
{
	uint64_t vp = w->vp[i], vn = w->vn[i];
	uint64_t x = pm | *hn_carry;
	uint64_t d0 = (((x & vp) + vp) ^ vp) | x | vn;
	uint64_t hp = vn | ~(d0 | vp);
	uint64_t hn = d0 & vp;
	uint64_t hpc = *hp_carry, hnc = *hn_carry;

	*hp_carry = (hp & bottom) != 0;
	*hn_carry = (hn & bottom) != 0;
	w->score[i] += (long)*hp_carry - (long)*hn_carry;
	hp = (hp << 1) | hpc;
	hn = (hn << 1) | hnc;
	w->vp[i] = hn | ~(d0 | hp);
	w->vn[i] = hp & d0;
}

/*
 * The band: a cell of row i at column j is at least |i - j|, so only the
 * blocks holding rows j - k .. j + k can be within k. Blocks below the band
 * join it fresh, each cell one more than the last cell above (at least
 * k + 1, so no path within k runs through them); blocks above it are left,
 * their top fed +1 as row 0 is. Paths within k never touch a cell outside
 * the band, so the distances within k are exact (as in Edlib).
 */
size_t
ve_lev_bounded(struct ve_lev *w, const uint32_t *a, size_t m, const uint32_t *b, size_t n, size_t k)
{
	if (m > n) {
		const uint32_t *t = a;
		a = b, b = t;
		size_t tn = m;
		m = n, n = tn;
	}
	if (n - m > k)
		return k + 1;
	/* Common ends cost nothing. */
	while (m && a[0] == b[0])
		a++, b++, m--, n--;
	while (m && a[m - 1] == b[n - 1])
		m--, n--;
	if (m == 0)
		return n <= k ? n : k + 1;

	size_t words = (m + 63) / 64, first = 0, last = 0;
	uint64_t end_bit = 1ULL << ((m - 1) % 64);

	peq_build(w, a, m, words);
	blocks_reserve(w, words);
	w->vp[0] = ~0ULL;
	w->vn[0] = 0;
	w->score[0] = (long)(m < 64 ? m : 64);
	for (size_t j = 0; j < n; j++) {
		const uint64_t *row = peq_row(w, b[j], words);
		size_t want = (j + 1 + k) / 64 < words ? (j + 1 + k) / 64 : words - 1;
		while (last < want) {
			last++;
			w->vp[last] = ~0ULL;
			w->vn[last] = 0;
			w->score[last] =
			    w->score[last - 1] + (long)((last + 1) * 64 < m ? 64 : m - last * 64);
		}
		while (first < last && (first + 1) * 64 + k < j + 1)
			first++;
		uint64_t hp_carry = 1, hn_carry = 0;
		for (size_t i = first; i <= last; i++)
			block_step(w, i, row ? row[i] : 0, i == words - 1 ? end_bit : 1ULL << 63,
			           &hp_carry, &hn_carry);
		if ((j % 8 == 7 || j == n - 1) &&
		    lower_bound(w, first, last, (long)m, (long)n, (long)j + 1) > (long)k)
			return k + 1;
	}
	if (last != words - 1)
		return k + 1;
	size_t d = (size_t)w->score[words - 1];
	return d <= k ? d : k + 1;
}

void
ve_lev_free(struct ve_lev *w)
{
	free(w->keys);
	free(w->slots);
	free(w->peq);
	free(w->vp);
	free(w->vn);
	free(w->score);
	memset(w, 0, sizeof *w);
}

size_t
ve_utf8_decode(const char *s, size_t len, uint32_t **cp, size_t *cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, i = 0;

	if (len + 1 > *cap) {
		*cap = len + 1;
		free(*cp);
		*cp = ve_xmalloc(*cap * sizeof **cp);
	}
	while (i < len) {
		unsigned c = p[i];
		uint32_t v;
		size_t k;
		if (c < 0x80)
			v = c, k = 1;
		else if (c < 0xE0)
			v = c & 0x1F, k = 2;
		else if (c < 0xF0)
			v = c & 0x0F, k = 3;
		else
			v = c & 0x07, k = 4;
		if (i + k > len)
			k = len - i;
		for (size_t t = 1; t < k; t++)
			v = v << 6 | (p[i + t] & 0x3F);
		(*cp)[n++] = v;
		i += k;
	}
	return n;
}
