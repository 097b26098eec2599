/*
 * Numbers written fast (fmtnum.h). ve_fmt_g9 works %.9g out exactly: a
 * double is m / 2^k, with m an integer below 2^53, so the nine significant
 * digits of |v| are m * 10^s / 2^k for the right power s, an integer
 * division in 128 bits that leaves the exact remainder to round on, half to
 * even on a tie as glibc's printf does in the default rounding mode.
 * tests/fmtnum.bats compares it with snprintf over millions of doubles.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmtnum.h"

typedef unsigned __int128 u128;

static const uint64_t pow10[] = {1ull,
                                 10ull,
                                 100ull,
                                 1000ull,
                                 10000ull,
                                 100000ull,
                                 1000000ull,
                                 10000000ull,
                                 100000000ull,
                                 1000000000ull,
                                 10000000000ull,
                                 100000000000ull,
                                 1000000000000ull,
                                 10000000000000ull,
                                 100000000000000ull,
                                 1000000000000000ull,
                                 10000000000000000ull,
                                 100000000000000000ull,
                                 1000000000000000000ull};

/*
 * The nine significant digits of a (1e-9 <= a < 1e9) as an integer in
 * [10^8, 10^9), rounded as printf rounds, and the decimal exponent *x of
 * the rounded value (a rounds to digits * 10^(*x - 8)).
 */
static uint32_t
digits9(double a, int *x)
{
	int e2;
	/* a = f * 2^e2 with f in [0.5, 1): m = f * 2^53 is exact, and a = m / 2^k. */
	double f = frexp(a, &e2);
	uint64_t m = (uint64_t)ldexp(f, 53);
	int k = 53 - e2; /* 23 to 82 over the range */
	/*
	 * a lies in [2^(e2-1), 2^e2), so its decimal exponent is this floor or
	 * one more: the loop below only ever raises it, and s stays in 0..18.
	 */
	int e = (int)floor((e2 - 1) * 0.30102999566398120);
	u128 num;
	uint64_t q;

	for (;;) {
		num = (u128)m * pow10[8 - e];
		q = (uint64_t)(num >> k);
		if (q < 1000000000ull)
			break;
		e++;
	}
	/* q < 10^8 cannot happen: the floor above is never past a's exponent. */
	u128 rem = num & (((u128)1 << k) - 1), half = (u128)1 << (k - 1);
	if (rem > half || (rem == half && (q & 1)))
		q++;
	if (q == 1000000000ull) {
		q = 100000000ull;
		e++;
	}
	*x = e;
	return (uint32_t)q;
}

size_t
ve_fmt_g9(char s[VE_FMT_G9_SIZE], double v)
{
	double a = fabs(v);
	char d[9];
	size_t n = 0;
	int x, nd = 9;

	/* NaN, infinities, zeros (-0 keeps its sign) and the rest of the range: printf's own. */
	if (!(a >= 1e-9 && a < 1e9))
		return (size_t)snprintf(s, VE_FMT_G9_SIZE, "%.9g", v);
	uint32_t q = digits9(a, &x);
	for (int i = 8; i >= 0; i--, q /= 10)
		d[i] = (char)('0' + q % 10);
	/* %g drops trailing zeros, and the point when no digit follows it. */
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	if (v < 0)
		s[n++] = '-';
	if (x >= 9 || x < -4) {
		/* %e's form: d.ddde+XX, at least two exponent digits. */
		s[n++] = d[0];
		if (nd > 1) {
			s[n++] = '.';
			memcpy(s + n, d + 1, (size_t)nd - 1);
			n += (size_t)nd - 1;
		}
		s[n++] = 'e';
		s[n++] = x < 0 ? '-' : '+';
		int ax = x < 0 ? -x : x;
		s[n++] = (char)('0' + ax / 10);
		s[n++] = (char)('0' + ax % 10);
	} else if (x >= 0) {
		memcpy(s + n, d, (size_t)x + 1);
		n += (size_t)x + 1;
		if (nd > x + 1) {
			s[n++] = '.';
			memcpy(s + n, d + x + 1, (size_t)(nd - x - 1));
			n += (size_t)(nd - x - 1);
		}
	} else {
		s[n++] = '0';
		s[n++] = '.';
		for (int i = 0; i < -x - 1; i++)
			s[n++] = '0';
		memcpy(s + n, d, (size_t)nd);
		n += (size_t)nd;
	}
	s[n] = '\0';
	return n;
}

size_t
ve_fmt_u64(char s[VE_FMT_U64_SIZE], uint64_t v)
{
	char t[VE_FMT_U64_SIZE];
	size_t n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		s[i] = t[n - 1 - i];
	s[n] = '\0';
	return n;
}
