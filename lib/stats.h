/*
 * Descriptive statistics as NumPy computes them, for figures that must match
 * Python tools to the digit (vLLM's serving benchmark, lm-eval).
 *
 * Sums are NumPy's pairwise summation (np.add.reduce on a contiguous float64
 * array), so mean and std agree with np.mean and np.std bit for bit, not
 * only to rounding. std is the population form (ddof = 0). Percentiles are
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
 * {1e308, 1e308} is 1e308. Every other figure is NumPy's, bit for bit.
 */
#ifndef VE_STATS_H
#define VE_STATS_H

#include <stdbool.h>
#include <stddef.h>

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

/* NumPy's pairwise sum of x[0..n). */
double ve_stats_sum(const double *x, size_t n);
double ve_stats_mean(const double *x, size_t n);
/* Population standard deviation: sqrt(sum((x - mean)^2) / n). */
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
 * Summarises s: mean and std over the values in the order added (the
 * order NumPy would sum them in), then sorts s for the median and the
 * percentiles pcts[0..npcts), written to out_pcts. An empty sample gives
 * zeros everywhere.
 */
void ve_sample_summary(struct ve_sample *s, const double *pcts, size_t npcts,
                       struct ve_summary *sum, double *out_pcts);

#endif
