/*
 * pass@k, the unbiased estimator of Chen et al. 2021 ("Evaluating Large
 * Language Models Trained on Code", section 2.1): of n samples of a
 * problem, c right, the chance that k drawn without replacement hold one
 * that is right, 1 - C(n-c, k) / C(n, k).
 */
#ifndef VE_PASSK_H
#define VE_PASSK_H

/*
 * pass@k for n samples, c right (0 <= c <= n, 1 <= k <= n), in the paper's
 * product form 1 - prod_{i=n-c+1..n} (1 - k/i): no binomial coefficient is
 * formed, so nothing overflows, and for n up to 64 it agrees with the exact
 * rational value to about 1e-15.
 */
double ve_pass_at_k(unsigned n, unsigned c, unsigned k);
#endif
