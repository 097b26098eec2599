/*
 * fmtnum-check: lib/fmtnum.h against snprintf, for tests/fmtnum.bats. It is
 * built beside the tools, so that every tier (plain, ASan, valgrind) runs
 * it, and never installed.
 *
 *   fmtnum-check            reads numbers (strtod's forms, one a line) and
 *                           writes ve_fmt_g9 of each, a line each
 *   fmtnum-check N SEED     draws N doubles of each kind below from SEED
 *                           and compares ve_fmt_g9 with snprintf's "%.9g",
 *                           and ve_fmt_u64 with "%llu" over N integers;
 *                           writes a line per kind, "KIND: N values, D
 *                           differ" (the first that differs after it), and
 *                           how many of the ties drawn were exact ties
 *
 * Exit status: 0, 1 when a value differs, 64 on a usage error, 74 when
 * stdout could not be written.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fmtnum.h"
#include "num.h"
#include "rng.h"

enum { BITS, RANGE, LOGPROB, TIES, POW10, INTS, NKINDS };
static const char *const kind_name[NKINDS] = {"random bits", "random in 1e-9..1e9", "logprobs",
                                              "near ties",   "powers of ten",       "integers"};

/* A double of kind k. */
static double
draw(struct ve_rng *r, int k)
{
	uint64_t u = ve_rng_next(r);
	double v, sign = (u & 1) ? -1 : 1;

	switch (k) {
	case BITS: memcpy(&v, &u, sizeof v); return v;
	case RANGE:
		/* Uniform in the exponent, so every decade of the range is hit alike. */
		return sign * pow(10, -9.5 + 19 * ve_rng_unit(r));
	case LOGPROB: {
		/* As vllm-sim draws them (lib/simreq.c), then scaled and shifted as its lists are.
		 */
		double x = ve_rng_unit(r);
		switch ((u >> 1) % 5) {
		case 0: return -(0.05 + 6.0 * x * x);
		case 1: return -(0.01 + 1.5 * x * x) * 0.3;
		case 2: return -(0.05 + 6.0 * x * x) - 1.0 - 0.5 * (double)((u >> 8) % 22);
		case 3: return -0.02 * (double)((u >> 8) % 40 + 1) / (double)((u >> 16) % 300 + 1);
		default: return -(2.0 + 0.5 * (double)((u >> 8) % 26) + x);
		}
	}
	case TIES: {
		/*
		 * Ten significant digits ending in 5, at a random decimal
		 * exponent: the double nearest, or a few ulps off it, or an odd
		 * multiple of a power of two (whose decimal form ends in 5, and
		 * is an exact tie when it has ten digits).
		 */
		long long dg = 100000000 + (long long)((u >> 1) % 900000000);
		int e = (int)((u >> 40) % 19) - 9;
		switch ((u >> 32) % 3) {
		case 0: v = (double)(dg * 10 + 5) * pow(10, e - 9); break;
		case 1:
			v = (double)(dg * 10 + 5) * pow(10, e - 9);
			for (int i = (int)((u >> 50) % 4); i > 0; i--)
				v = nextafter(v, (u >> 55) & 1 ? 0 : INFINITY);
			break;
		default:
			/* dg.5 or dg/4 + .25 or .75 ... scaled by 2^-j: ends in 5 below the point.
			 */
			v = ldexp((double)(2 * (dg >> (u >> 56) % 20) + 1),
			          -(int)((u >> 60) % 16 + 1));
			break;
		}
		return sign * v;
	}
	case POW10: {
		/* 10^e and 9.999999995 * 10^e (where the rounding carries), a few ulps about. */
		int e = (int)((u >> 1) % 21) - 10;
		v = (u >> 8) & 1 ? pow(10, e) : 9.999999995 * pow(10, e);
		for (int i = (int)((u >> 9) % 9); i > 0; i--)
			v = nextafter(v, (u >> 13) & 1 ? 0 : INFINITY);
		return sign * v;
	}
	default: return sign * (double)((u >> 1) % ((u >> 40) % 2 ? 1000 : 2000000000));
	}
}

/* Whether a is an exact tie at nine digits: exactly ten significant digits, the last a 5. */
static int
exact_tie(double a)
{
	char e[64];
	int n = snprintf(e, sizeof e, "%.40e", fabs(a)), d = 0;
	char *x = strchr(e, 'e');

	for (char *p = x - 1; p > e && *p == '0'; p--)
		x = p;
	for (char *p = e; p < x && n > 0; p++)
		d += *p >= '0' && *p <= '9';
	return d == 10 && x[-1] == '5';
}

static int
compare(long n, uint64_t seed)
{
	struct ve_rng r;
	char got[VE_FMT_G9_SIZE], want[VE_FMT_G9_SIZE];
	int bad_all = 0;

	ve_rng_seed(&r, seed);
	for (int k = 0; k < NKINDS; k++) {
		long bad = 0, ties = 0;
		char first[128] = "";
		for (long i = 0; i < n; i++) {
			double v = draw(&r, k);
			size_t g = ve_fmt_g9(got, v);
			snprintf(want, sizeof want, "%.9g", v);
			if (k == TIES)
				ties += exact_tie(v);
			if (g == strlen(got) && strcmp(got, want) == 0)
				continue;
			if (!bad++)
				snprintf(first, sizeof first, " (first: %a as %s, not %s)", v, got,
				         want);
		}
		printf("%s: %ld values, %ld differ%s\n", kind_name[k], n, bad, first);
		if (k == TIES)
			printf("exact ties among them: %s\n",
			       ties > n / 100 ? "over 1%" : "too few");
		bad_all |= bad > 0;
	}
	long bad = 0;
	for (long i = 0; i < n; i++) {
		uint64_t u = ve_rng_next(&r) >> (ve_rng_next(&r) % 64);
		size_t g = ve_fmt_u64(got, u);
		snprintf(want, sizeof want, "%llu", (unsigned long long)u);
		bad += g != strlen(got) || strcmp(got, want) != 0;
	}
	printf("integers as %%llu: %ld values, %ld differ\n", n, bad);
	return bad_all || bad > 0;
}

static int
filter(void)
{
	char *line = NULL, *end, s[VE_FMT_G9_SIZE];
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		errno = 0;
		double v = strtod(line, &end);
		if (end == line || (*end && *end != '\n')) {
			fprintf(stderr, "fmtnum-check: not a number: %s", line);
			free(line);
			return 64;
		}
		ve_fmt_g9(s, v);
		puts(s);
	}
	free(line);
	return 0;
}

int
main(int argc, char **argv)
{
	long n, seed;
	int rc;

	if (argc == 1)
		rc = filter();
	else if (argc == 3 && ve_parse_long(argv[1], 1, 1000000000L, &n) &&
	         ve_parse_long(argv[2], 0, 1000000000L, &seed))
		rc = compare(n, (uint64_t)seed);
	else {
		fprintf(stderr, "usage: fmtnum-check [N SEED]\n");
		return 64;
	}
	if (fflush(stdout) || ferror(stdout) || fclose(stdout))
		return 74;
	return rc;
}
