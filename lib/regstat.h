/*
 * The few statistics reg-check needs for its significance tests: two-sided
 * p-values of the normal and Student t distributions and McNemar's exact
 * test. Kept apart from the descriptive statistics of lib/stats.
 */
#ifndef VE_REGSTAT_H
#define VE_REGSTAT_H

/* Two-sided p-value of a standard normal statistic z: P(|Z| >= |z|). */
double ve_rs_normal_p2(double z);
/* Two-sided p-value of Student's t with df degrees of freedom (df > 0, not integral). */
double ve_rs_student_p2(double t, double df);
/* Regularised incomplete beta function I_x(a, b), 0 <= x <= 1. */
double ve_rs_betainc(double a, double b, double x);
/*
 * McNemar's exact test: b and c are the discordant pairs. The two-sided
 * p-value is min(1, 2 P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2);
 * 1 when there are none.
 */
double ve_rs_mcnemar_exact(unsigned long b, unsigned long c);
/* P(X <= k), X ~ Binomial(n, 1/2): McNemar's one-sided p-value with k the fewer flips. */
double ve_rs_binom_half_cdf(unsigned long k, unsigned long n);

/* Welch's two-sample t-test from each sample's mean, variance (ddof 1) and size. */
struct ve_rs_welch {
	double t, df, p;
};
int ve_rs_welch(double m1, double v1, double n1, double m2, double v2, double n2,
                struct ve_rs_welch *out);

#endif
