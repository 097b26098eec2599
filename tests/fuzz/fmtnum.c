/*
 * Fuzz target: lib/fmtnum.h (tests/fuzz/README.md). Each 8 bytes of the
 * input are a double's bits: ve_fmt_g9 must write what snprintf's "%.9g"
 * writes, and ve_fmt_u64 what "%llu" writes for the same bits as an
 * integer. A disagreement aborts with a message, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmtnum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char got[VE_FMT_G9_SIZE], want[VE_FMT_G9_SIZE];

	for (size_t i = 0; i + 8 <= size; i += 8) {
		uint64_t u;
		double v;
		memcpy(&u, data + i, 8);
		memcpy(&v, data + i, 8);
		size_t n = ve_fmt_g9(got, v);
		snprintf(want, sizeof want, "%.9g", v);
		if (n != strlen(got) || strcmp(got, want) != 0) {
			fprintf(stderr, "fmtnum: %a as %s, not %s\n", v, got, want);
			abort();
		}
		n = ve_fmt_u64(got, u);
		snprintf(want, sizeof want, "%llu", (unsigned long long)u);
		if (n != strlen(got) || strcmp(got, want) != 0) {
			fprintf(stderr, "fmtnum: %llu as %s\n", (unsigned long long)u, got);
			abort();
		}
	}
	return 0;
}
