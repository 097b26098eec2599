/*
 * Descriptive statistics as NumPy computes them, for figures that must match
 * Python tools to the digit (vLLM's serving benchmark, lm-eval).
 *
 * Sums are exact and rounded once to the nearest double (Python's
 * math.fsum), so a figure does not depend on the order the values came in:
 * records read in any order, or split into shards and put together again,
 * give the same bytes. The terms are NumPy's, rounded as it rounds them:
 * mean is fsum(x) / n and std is sqrt(fsum((x - mean)^2) / n), with mean
 * that rounded mean. NumPy's pairwise sum is the same double wherever it
 * is itself exactly rounded, and a unit in the last place away elsewhere,
 * where it depends on the order. std is the population form (ddof = 0). Percentiles are
 * np.percentile's default "linear" method (R's type 7, Hyndman & Fan 7):
 * virtual index (n - 1) * p / 100, interpolated as NumPy's _lerp does. The
 * median is np.median's: the middle element, or the mean of the middle two.
 *
 * Every function takes an empty set (n = 0) and gives 0, the value vLLM
 * reports for an empty list (it passes `xs or 0` to NumPy).
 *
 * Finite values always give finite figures. Where NumPy's order of
 * operations overflows (a sum, a square or a middle pair near DBL_MAX, where
 * NumPy answers inf or nan), the figure is computed on the values scaled by
 * a power of two instead and kept within the values' bounds: the mean of
 * {1e308, 1e308} is 1e308.
 */
#ifndef VE_STATS_H
#define VE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable sample of doubles. Zero-initialise; ve_sample_free releases. */
struct ve_sample {
	double *v;
	size_t n;
	size_t cap;
	bool sorted; /* v is in ascending order (set by ve_sample_sort) */
};

void ve_sample_add(struct ve_sample *s, double x);
void ve_sample_add_n(struct ve_sample *s, const double *x, size_t n);
/* Sorts ascending once; percentiles and the median need it. */
void ve_sample_sort(struct ve_sample *s);
void ve_sample_reset(struct ve_sample *s);
void ve_sample_free(struct ve_sample *s);

/*
 * An exact sum: values added in any order, rounded once to the nearest
 * double (ties to even). 544 bytes, whatever the number of values; a
 * stream adds into one without keeping the values. Zero-initialise or
 * ve_xsum_init. An infinite or nan value makes the sum what IEEE addition
 * of those makes it (inf, or nan for inf and -inf).
 */
#define VE_XSUM_LIMBS 68
struct ve_xsum {
	int64_t limb[VE_XSUM_LIMBS]; /* 32-bit digits of the sum in units of 2^-1074 */
	uint32_t pending;            /* additions since the last carry */
	double special;              /* the sum of the values that are not finite */
};
void ve_xsum_init(struct ve_xsum *a);
void ve_xsum_add(struct ve_xsum *a, double x);
/* The sum times 2^scale, rounded to the nearest double once. */
double ve_xsum_round(const struct ve_xsum *a, int scale);
/* math.fsum(x[0..n)): the exact sum, rounded once. */
double ve_stats_fsum(const double *x, size_t n);

/* The exact sum of x[0..n), rounded once (ve_stats_fsum). */
double ve_stats_sum(const double *x, size_t n);
double ve_stats_mean(const double *x, size_t n);
/* math.fsum of (x - m)^2 over x[0..n), each square rounded: m is their rounded mean. */
double ve_stats_devsq(const double *x, size_t n, double m);
/* Population standard deviation: sqrt(devsq / n). */
double ve_stats_std(const double *x, size_t n);
/* The median of an ascending array. */
double ve_stats_median(const double *sorted, size_t n);
/* The p-th percentile (0 <= p <= 100) of an ascending array, R type 7. */
double ve_stats_percentile(const double *sorted, size_t n, double p);

/* Mean, median, std and chosen percentiles of a sample, in one call. */
struct ve_summary {
	size_t n;
	double mean;
	double median;
	double std;
	double min;
	double max;
};

/*
 * Summarises s: mean and std from exact sums (the same for any order of
 * the values), then sorts s for the median and the
 * percentiles pcts[0..npcts), written to out_pcts. An empty sample gives
 * zeros everywhere.
 */
void ve_sample_summary(struct ve_sample *s, const double *pcts, size_t npcts,
                       struct ve_summary *sum, double *out_pcts);

#endif
