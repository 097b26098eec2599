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

/* Builds the match masks of pattern a[0..m) in words of 64 bits. */
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
	if (m * words > w->peq_cap) {
		free(w->peq);
		w->peq_cap = m * words;
		w->peq = ve_xmalloc(w->peq_cap * sizeof *w->peq);
	}
	for (size_t i = 0; i < m; i++) {
		size_t mask = tcap - 1, s = hash_cp(a[i], mask);
		while (w->slots[s] && w->keys[s] != a[i])
			s = (s + 1) & mask;
		if (!w->slots[s]) {
			w->keys[s] = a[i];
			w->slots[s] = (uint32_t)++rows;
			memset(w->peq + (rows - 1) * words, 0, words * sizeof *w->peq);
		}
		w->peq[(size_t)(w->slots[s] - 1) * words + i / 64] |= 1ULL << (i % 64);
	}
}

/*
 * A lower bound on the final distance after column j, from the scores at the
 * bottom of each block: within a block a cell is at least its bottom score
 * minus its distance from the bottom, and a path from row i at column j to
 * (m, n) costs at least |(m - i) - (n - j)| more.
 */
static long
lower_bound(const struct ve_lev *w, size_t words, long m, long n, long j)
{
	long c = m - n + j;
	long best = j + labs(c); /* through row 0 */

	for (size_t b = 0; b < words; b++) {
		long top = (long)b * 64 + 1;
		long bottom = (long)(b + 1) * 64 < m ? (long)(b + 1) * 64 : m;
		long lb = w->score[b] - bottom + (top <= c ? c : 2 * top - c);
		if (lb < best)
			best = lb;
	}
	return best;
}

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

	size_t words = (m + 63) / 64;
	uint64_t last = 1ULL << ((m - 1) % 64);

	peq_build(w, a, m, words);
	if (words > w->wcap) {
		free(w->vp);
		free(w->vn);
		free(w->score);
		w->wcap = words;
		w->vp = ve_xmalloc(words * sizeof *w->vp);
		w->vn = ve_xmalloc(words * sizeof *w->vn);
		w->score = ve_xmalloc(words * sizeof *w->score);
	}
	for (size_t i = 0; i < words; i++) {
		w->vp[i] = ~0ULL;
		w->vn[i] = 0;
		w->score[i] = (long)((i + 1) * 64 < m ? (i + 1) * 64 : m);
	}
	for (size_t j = 0; j < n; j++) {
		const uint64_t *row = peq_row(w, b[j], words);
		uint64_t hp_carry = 1, hn_carry = 0;

		for (size_t i = 0; i < words; i++) {
			uint64_t pm = row ? row[i] : 0;
			uint64_t vp = w->vp[i], vn = w->vn[i];
			uint64_t x = pm | hn_carry;
			uint64_t d0 = (((x & vp) + vp) ^ vp) | x | vn;
			uint64_t hp = vn | ~(d0 | vp);
			uint64_t hn = d0 & vp;
			uint64_t hpc = hp_carry, hnc = hn_carry;

			if (i < words - 1) {
				hp_carry = hp >> 63;
				hn_carry = hn >> 63;
			} else {
				hp_carry = (hp & last) != 0;
				hn_carry = (hn & last) != 0;
			}
			w->score[i] += (long)hp_carry - (long)hn_carry;
			hp = (hp << 1) | hpc;
			hn = (hn << 1) | hnc;
			w->vp[i] = hn | ~(d0 | hp);
			w->vn[i] = hp & d0;
		}
		if ((j % 8 == 7 || j == n - 1) &&
		    lower_bound(w, words, (long)m, (long)n, (long)j + 1) > (long)k)
			return k + 1;
	}
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
