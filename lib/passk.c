/* pass@k by the product form of Chen et al. 2021 (passk.h). */
#include "passk.h"

double
ve_pass_at_k(unsigned n, unsigned c, unsigned k)
{
	double miss = 1;

	/* Fewer wrong samples than k: every draw of k holds a right one. */
	if (n - c < k)
		return 1;
	for (unsigned i = n - c + 1; i <= n; i++)
		miss *= 1 - (double)k / (double)i;
	return 1 - miss;
}
