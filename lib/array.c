#include <stdint.h>

#include "array.h"
#include "diag.h"

void *
ve_grow_to(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return p;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			ve_die(VE_EX_SOFTWARE, "out of memory (an array of %zu elements)", need);
		n *= 2;
	}
	if (size && n > SIZE_MAX / size)
		ve_die(VE_EX_SOFTWARE, "out of memory (an array of %zu elements)", need);
	p = ve_xrealloc(p, n * size);
	*cap = n;
	return p;
}
