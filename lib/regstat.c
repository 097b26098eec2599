#include <math.h>

#include "regstat.h"

double
ve_rs_normal_p2(double z)
{
	return erfc(fabs(z) / sqrt(2.0));
}

/* Lentz's continued fraction for the incomplete beta (Numerical Recipes §6.4). */
static double
betacf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d = 1.0 - qab * x / qap;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	double h = d;
	for (int m = 1; m <= 1000; m++) {
		int m2 = 2 * m;
		double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1.0 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1.0) < eps)
			break;
	}
	return h;
}

double
ve_rs_betainc(double a, double b, double x)
{
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	/* The fraction converges fast only on this side of the mean. */
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lbt) * betacf(a, b, x) / a;
	return 1.0 - exp(lbt) * betacf(b, a, 1.0 - x) / b;
}

double
ve_rs_student_p2(double t, double df)
{
	if (isinf(t))
		return 0.0;
	return ve_rs_betainc(df / 2.0, 0.5, df / (df + t * t));
}

double
ve_rs_binom_half_cdf(unsigned long k, unsigned long n)
{
	double sum = 0.0;

	if (k >= n)
		return 1.0;
	/* Terms in log space: C(n, i) / 2^n overflows long before n is large. */
	for (unsigned long i = 0; i <= k; i++)
		sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
		           lgamma((double)(n - i) + 1) - (double)n * log(2.0));
	return sum > 1.0 ? 1.0 : sum;
}

double
ve_rs_mcnemar_exact(unsigned long b, unsigned long c)
{
	double p = 2.0 * ve_rs_binom_half_cdf(b < c ? b : c, b + c);

	return b + c == 0 || p > 1.0 ? 1.0 : p;
}

int
ve_rs_welch(double m1, double v1, double n1, double m2, double v2, double n2,
            struct ve_rs_welch *out)
{
	if (n1 < 2 || n2 < 2)
		return -1;
	double s1 = v1 / n1, s2 = v2 / n2, se = sqrt(s1 + s2);
	if (se == 0.0) {
		out->t = m1 == m2 ? 0.0 : copysign(INFINITY, m2 - m1);
		out->df = n1 + n2 - 2;
		out->p = m1 == m2 ? 1.0 : 0.0;
		return 0;
	}
	out->t = (m2 - m1) / se;
	out->df = (s1 + s2) * (s1 + s2) / (s1 * s1 / (n1 - 1) + s2 * s2 / (n2 - 1));
	out->p = ve_rs_student_p2(out->t, out->df);
	return 0;
}
