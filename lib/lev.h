/*
 * Levenshtein distance over code points, bounded: the work stops as soon as
 * the distance is known to exceed the bound. Myers' bit-parallel algorithm
 * (Hyyrö's multi-word form), 64 pattern code points to a machine word, with a
 * lower bound on the final distance checked as the columns go by.
 */
#ifndef VE_LEV_H
#define VE_LEV_H

#include <stddef.h>
#include <stdint.h>

/* Scratch space reused from call to call; zero-initialise it. */
struct ve_lev {
	uint32_t *keys;  /* hash table of the pattern's code points */
	uint32_t *slots; /* their rows in peq, + 1 (0: empty) */
	size_t tcap;
	uint64_t *peq; /* one row of words per distinct code point */
	size_t peq_cap;
	uint64_t *vp, *vn;
	long *score;
	size_t wcap;
};

/*
 * The edit distance between a[0..m) and b[0..n) if it is at most k,
 * else k + 1.
 */
size_t ve_lev_bounded(struct ve_lev *w, const uint32_t *a, size_t m, const uint32_t *b, size_t n,
                      size_t k);
void ve_lev_free(struct ve_lev *w);

/*
 * Decodes valid UTF-8 s[0..len) into code points at *cp (grown as needed,
 * *cap its capacity); returns their number.
 */
size_t ve_utf8_decode(const char *s, size_t len, uint32_t **cp, size_t *cap);

#endif
