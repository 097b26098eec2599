/*
 * NumPy's statistics in C. The shapes of the loops below are NumPy's own
 * (numpy/_core/src/umath/loops_utils.h.src: pairwise_sum; lib/_function_base
 * _impl.py: _lerp, _quantile, median), because the order of floating-point
 * operations decides the last digit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diag.h"
#include "stats.h"

/* NumPy sums blocks of up to 128 with eight accumulators, halving above. */
#define PW_BLOCKSIZE 128

void
ve_sample_add(struct ve_sample *s, double x)
{
	s->v = ve_grow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = x;
	s->sorted = false;
}

void
ve_sample_add_n(struct ve_sample *s, const double *x, size_t n)
{
	if (!n)
		return;
	s->v = ve_grow(s->v, &s->cap, s->n + n, sizeof *s->v);
	memcpy(s->v + s->n, x, n * sizeof *x);
	s->n += n;
	s->sorted = false;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The bits of x as an unsigned key that sorts in x's order (no NaNs here). */
static uint64_t
order_key(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof u);
	return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

/*
 * Sorts large samples by LSD radix on 16-bit digits of order_key, skipping
 * digits every value shares: a million ITL gaps sort in a few passes, where
 * qsort's comparator calls cost seconds.
 */
static void
radix_sort(double *v, size_t n)
{
	double *tmp = ve_xmalloc(n * sizeof *v), *src = v, *dst = tmp;
	size_t *count = ve_xmalloc(65536 * sizeof *count);

	for (int shift = 0; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[order_key(src[i]) >> shift & 0xffff]++;
		if (count[order_key(src[0]) >> shift & 0xffff] == n)
			continue;
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[order_key(src[i]) >> shift & 0xffff]++] = src[i];
		double *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
	free(tmp);
	free(count);
}

void
ve_sample_sort(struct ve_sample *s)
{
	if (!s->sorted && s->n > 1) {
		if (s->n < 4096)
			qsort(s->v, s->n, sizeof *s->v, cmp_double);
		else
			radix_sort(s->v, s->n);
	}
	s->sorted = true;
}

void
ve_sample_reset(struct ve_sample *s)
{
	s->n = 0;
	s->sorted = false;
}

void
ve_sample_free(struct ve_sample *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/*
 * The pairwise sum of f(x[i]) where f is the identity (center unused) or,
 * with sq, the squared deviation (x[i] - center)^2 that np.var sums.
 */
static double
pairwise(const double *x, size_t n, bool sq, double center)
{
#define TERM(i) (sq ? (x[i] - center) * (x[i] - center) : x[i])
	if (n < 8) {
		double res = 0.;
		for (size_t i = 0; i < n; i++)
			res += TERM(i);
		return res;
	}
	if (n <= PW_BLOCKSIZE) {
		double r[8], res;
		size_t i;
		for (int j = 0; j < 8; j++)
			r[j] = TERM(j);
		for (i = 8; i < n - (n % 8); i += 8)
			for (int j = 0; j < 8; j++)
				r[j] += TERM(i + (size_t)j);
		res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			res += TERM(i);
		return res;
	}
	size_t n2 = n / 2;
	n2 -= n2 % 8;
	return pairwise(x, n2, sq, center) + pairwise(x + n2, n - n2, sq, center);
#undef TERM
}

double
ve_stats_sum(const double *x, size_t n)
{
	/* np.add.reduce starts from the identity 0.0, then adds the pairwise sum. */
	return 0. + pairwise(x, n, false, 0.);
}

/* Where NumPy's sums overflow: the bounds of x and the exponent of its largest magnitude. */
struct range {
	double min, max;
	int exp; /* max |x| < 2^exp */
};

static struct range
range_of(const double *x, size_t n)
{
	struct range r = {x[0], x[0], 0};

	for (size_t i = 1; i < n; i++) {
		if (x[i] < r.min)
			r.min = x[i];
		if (x[i] > r.max)
			r.max = x[i];
	}
	frexp(fabs(r.min) > fabs(r.max) ? r.min : r.max, &r.exp);
	return r;
}

/* x scaled by 2^-exp into [-1, 1]: exact but for values far below the largest. */
static double *
scaled_copy(const double *x, size_t n, int exp)
{
	double *y = ve_xmalloc(n * sizeof *y);

	for (size_t i = 0; i < n; i++)
		y[i] = ldexp(x[i], -exp);
	return y;
}

/*
 * The mean of values whose sum overflows (near DBL_MAX), from the values
 * scaled into [-1, 1]; it lies between their bounds, so it is kept there
 * against the last rounding.
 */
static double
scaled_mean(const double *x, size_t n)
{
	struct range r = range_of(x, n);
	double *y = scaled_copy(x, n, r.exp);
	double m = ldexp((0. + pairwise(y, n, false, 0.)) / (double)n, r.exp);

	free(y);
	return m < r.min ? r.min : m > r.max ? r.max : m;
}

/* The standard deviation where the squares overflow, as scaled_mean does the mean. */
static double
scaled_std(const double *x, size_t n)
{
	struct range r = range_of(x, n);
	double *y = scaled_copy(x, n, r.exp);
	double m = (0. + pairwise(y, n, false, 0.)) / (double)n;
	double s = ldexp(sqrt((0. + pairwise(y, n, true, m)) / (double)n), r.exp);
	double bound = r.max / 2 - r.min / 2; /* no deviation is larger */

	free(y);
	return s > bound ? bound : s;
}

double
ve_stats_mean(const double *x, size_t n)
{
	if (!n)
		return 0.;
	double m = ve_stats_sum(x, n) / (double)n;
	return isfinite(m) ? m : scaled_mean(x, n);
}

double
ve_stats_std(const double *x, size_t n)
{
	if (!n)
		return 0.;
	double m = ve_stats_mean(x, n);
	double s = sqrt((0. + pairwise(x, n, true, m)) / (double)n);
	return isfinite(s) ? s : scaled_std(x, n);
}

double
ve_stats_median(const double *sorted, size_t n)
{
	if (!n)
		return 0.;
	if (n % 2)
		return sorted[n / 2];
	/* np.mean of the middle pair: (0 + a + b) / 2, or halves first where a + b overflows. */
	double a = sorted[n / 2 - 1], b = sorted[n / 2], m = (0. + a + b) / 2.;
	return isfinite(m) ? m : a / 2. + b / 2.;
}

double
ve_stats_percentile(const double *sorted, size_t n, double p)
{
	if (!n)
		return 0.;
	/* np.percentile divides by 100 first, then the linear method's (n - 1) * q. */
	double q = p / 100.;
	double vi = (double)(n - 1) * q;
	if (vi >= (double)(n - 1))
		return sorted[n - 1];
	if (vi < 0)
		return sorted[0];
	double fl = floor(vi);
	size_t i = (size_t)fl;
	double a = sorted[i], b = sorted[i + 1];
	double t = vi - fl;
	/* NumPy's _lerp: from below under one half, from above at or over it. */
	double diff = b - a;
	double r = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
	if (isfinite(r))
		return r;
	/* b - a overflowed (values of both signs near DBL_MAX): weigh the two instead. */
	r = a * (1 - t) + b * t;
	return r < a ? a : r > b ? b : r;
}

void
ve_sample_summary(struct ve_sample *s, const double *pcts, size_t npcts, struct ve_summary *sum,
                  double *out_pcts)
{
	/* Mean and std before sorting: NumPy sums in the order the values came. */
	sum->n = s->n;
	sum->mean = ve_stats_mean(s->v, s->n);
	sum->std = ve_stats_std(s->v, s->n);
	ve_sample_sort(s);
	sum->median = ve_stats_median(s->v, s->n);
	sum->min = s->n ? s->v[0] : 0.;
	sum->max = s->n ? s->v[s->n - 1] : 0.;
	for (size_t i = 0; i < npcts; i++)
		out_pcts[i] = ve_stats_percentile(s->v, s->n, pcts[i]);
}
