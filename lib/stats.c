/*
 * NumPy's statistics in C, with sums taken exactly. The percentiles and the
 * median follow NumPy's own code (lib/_function_base_impl.py: _lerp,
 * _quantile, median), because the order of floating-point operations
 * decides the last digit; the sums are exact and rounded once (math.fsum's
 * figure), because a sum in reading order moves its last digit with the
 * order of the records.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diag.h"
#include "stats.h"

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
 * The exact accumulator. A finite double is an integer multiple of 2^-1074
 * below 2^1024, so the sum of any number of them is an integer I times
 * 2^-1074 of at most 2098 + 64 bits: it is kept in 32-bit digits held in
 * int64 limbs, whose 31 spare bits absorb 2^30 additions between carries.
 * Addition is then exact, and so commutative and associative: the rounded
 * result depends only on the values added, never on their order.
 */
#define XS_DIGIT 32
#define XS_BASE  4294967296.0

static void
xsum_carry(struct ve_xsum *a)
{
	for (int i = 0; i < VE_XSUM_LIMBS - 1; i++) {
		int64_t low = (int64_t)((uint64_t)a->limb[i] & 0xffffffffu);
		int64_t c = (a->limb[i] - low) / (int64_t)XS_BASE;
		a->limb[i] = low;
		a->limb[i + 1] += c;
	}
	a->pending = 0;
}

void
ve_xsum_init(struct ve_xsum *a)
{
	memset(a, 0, sizeof *a);
}

void
ve_xsum_add(struct ve_xsum *a, double x)
{
	uint64_t bits, m;
	int p;

	if (!isfinite(x)) {
		/* inf + -inf is nan, whatever the order; finite values do not count. */
		a->special += x;
		return;
	}
	memcpy(&bits, &x, sizeof bits);
	int e = (int)(bits >> 52 & 0x7ff);
	m = bits & (((uint64_t)1 << 52) - 1);
	if (e) {
		m |= (uint64_t)1 << 52;
		p = e - 1; /* x = m * 2^(e - 1075) = m * 2^(p - 1074) */
	} else {
		p = 0; /* subnormal: m * 2^-1074 */
	}
	if (!m)
		return;
	int i = p / XS_DIGIT, s = p % XS_DIGIT;
	uint64_t lo = (m << s) & 0xffffffffu, rest = m >> (XS_DIGIT - s);
	int64_t sign = bits >> 63 ? -1 : 1;
	a->limb[i] += sign * (int64_t)lo;
	a->limb[i + 1] += sign * (int64_t)(rest & 0xffffffffu);
	a->limb[i + 2] += sign * (int64_t)(rest >> XS_DIGIT);
	if (++a->pending == (1u << 30))
		xsum_carry(a);
}

/* Bit b of the digits d (each below 2^32). */
static unsigned
digit_bit(const int64_t *d, int b)
{
	return (unsigned)((uint64_t)d[b / XS_DIGIT] >> (b % XS_DIGIT) & 1);
}

/* Whether any bit of d below bit b is set. */
static bool
any_below(const int64_t *d, int b)
{
	int w = b / XS_DIGIT;

	for (int i = 0; i < w; i++)
		if (d[i])
			return true;
	return ((uint64_t)d[w] & (((uint64_t)1 << (b % XS_DIGIT)) - 1)) != 0;
}

double
ve_xsum_round(const struct ve_xsum *acc, int scale)
{
	struct ve_xsum a = *acc;
	bool neg;

	if (a.special != 0 || isnan(a.special))
		return a.special;
	xsum_carry(&a);
	neg = a.limb[VE_XSUM_LIMBS - 1] < 0;
	if (neg) {
		for (int i = 0; i < VE_XSUM_LIMBS; i++)
			a.limb[i] = -a.limb[i];
		xsum_carry(&a);
	}
	int top = VE_XSUM_LIMBS * XS_DIGIT - 1;
	while (top >= 0 && !digit_bit(a.limb, top))
		top--;
	if (top < 0)
		return 0.;
	/*
	 * Bit b weighs 2^(b - 1074 + scale); the result keeps 53 bits from the
	 * top, and none below 2^-1074 (a subnormal result keeps fewer).
	 */
	int keep = top - 52 > -scale ? top - 52 : -scale;
	if (keep < 0)
		keep = 0;
	uint64_t m = 0;
	for (int b = top; b >= keep; b--)
		m = m << 1 | digit_bit(a.limb, b);
	if (keep > 0 && digit_bit(a.limb, keep - 1) && (m & 1 || any_below(a.limb, keep - 1)))
		m++; /* to nearest, ties to even */
	double r = ldexp((double)m, keep - 1074 + scale);
	return neg ? -r : r;
}

double
ve_stats_fsum(const double *x, size_t n)
{
	struct ve_xsum a;

	ve_xsum_init(&a);
	for (size_t i = 0; i < n; i++)
		ve_xsum_add(&a, x[i]);
	return ve_xsum_round(&a, 0);
}

/* The exactly rounded sum of x[0..n) times 2^scale. */
static double
exact_sum(const double *x, size_t n, int scale)
{
	struct ve_xsum a;

	ve_xsum_init(&a);
	for (size_t i = 0; i < n; i++)
		ve_xsum_add(&a, x[i]);
	return ve_xsum_round(&a, scale);
}

double
ve_stats_devsq(const double *x, size_t n, double m)
{
	struct ve_xsum q;

	ve_xsum_init(&q);
	for (size_t i = 0; i < n; i++)
		ve_xsum_add(&q, (x[i] - m) * (x[i] - m));
	return ve_xsum_round(&q, 0);
}

double
ve_stats_sum(const double *x, size_t n)
{
	return exact_sum(x, n, 0);
}

/* Where a sum overflows: the bounds of x and the exponent of its largest magnitude. */
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
 * The mean of values whose sum is beyond a double (near DBL_MAX), from
 * their exact sum scaled by 2^-64; it lies between their bounds, so it is
 * kept there against the last rounding.
 */
static double
scaled_mean(const double *x, size_t n)
{
	struct range r = range_of(x, n);
	double m = ldexp(exact_sum(x, n, -64) / (double)n, 64);

	return m < r.min ? r.min : m > r.max ? r.max : m;
}

/* The standard deviation where the squares overflow, from the values scaled into [-1, 1]. */
static double
scaled_std(const double *x, size_t n)
{
	struct range r = range_of(x, n);
	double *y = scaled_copy(x, n, r.exp);
	double m = exact_sum(y, n, 0) / (double)n;
	double s = ldexp(sqrt(ve_stats_devsq(y, n, m) / (double)n), r.exp);
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
	double s = sqrt(ve_stats_devsq(x, n, m) / (double)n);
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
	/* Exact sums: mean and std are the same before or after sorting. */
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
