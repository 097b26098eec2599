/*
 * MinHash signatures of text shingles, and the banding of LSH.
 *
 * Shingles are N consecutive code points (char:N) or N consecutive words
 * (word:N, words split on Unicode white space as Python's str.split does)
 * of text the caller has normalised; a text shorter than N is one shingle.
 * Each shingle is hashed once with xxHash (XXH3, seeded), and the signature
 * is one-permutation MinHash with optimal densification (Shrivastava, 2017):
 * the hash picks one of the PERM bins and the bin keeps the least value; an
 * empty bin borrows the value of the first non-empty bin on its own seeded
 * probe sequence. Two texts agree in a bin with probability their Jaccard
 * similarity, as with PERM independent permutations, at the cost of one hash
 * per shingle instead of PERM.
 */
#ifndef VE_MINHASH_H
#define VE_MINHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { VE_SHINGLE_CHAR, VE_SHINGLE_WORD };

struct ve_minhash {
	int kind; /* VE_SHINGLE_CHAR or VE_SHINGLE_WORD */
	int n;    /* code points or words per shingle */
	int perm; /* bins in a signature */
	uint64_t seed;
	uint64_t *scratch; /* word hashes (word shingles) */
	size_t scap;
	unsigned char *filled;
};

/* Parses "char:N" or "word:N" (1 <= N <= 64); false if it is neither. */
bool ve_minhash_parse_shingle(const char *spec, int *kind, int *n);
void ve_minhash_init(struct ve_minhash *mh, int kind, int n, int perm, uint64_t seed);
void ve_minhash_free(struct ve_minhash *mh);
/*
 * Writes the signature of valid UTF-8 s[0..len) to sig[0..perm). Returns the
 * number of shingles (0 for an empty text, whose signature means nothing).
 */
size_t ve_minhash_sign(struct ve_minhash *mh, const char *s, size_t len, uint32_t *sig);
/* The fraction of bins in which two signatures agree. */
double ve_minhash_jaccard(const uint32_t *a, const uint32_t *b, int perm);

/* The probability that a pair of Jaccard similarity s shares a band. */
double ve_lsh_candidate_prob(double s, int bands, int rows);
/*
 * Chooses bands x rows <= perm as datasketch's MinHashLSH does, minimising
 * the false-positive area below threshold plus the false-negative area above
 * it (equal weights), but only among the choices under which a pair at the
 * threshold becomes a candidate with probability >= min_prob (when some
 * choice reaches it).
 */
void ve_lsh_choose(double threshold, int perm, double min_prob, int *bands, int *rows);

#endif
