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

/* "00" to "99": digits are written two at a time. */
static const char pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes the n decimal digits of v (v < 10^n, leading zeros kept) ending at end. */
static void
put_digits(char *end, uint64_t v, int n)
{
	for (; n >= 2; n -= 2, v /= 100) {
		end -= 2;
		memcpy(end, pairs + 2 * (v % 100), 2);
	}
	if (n)
		end[-1] = (char)('0' + v);
}

/*
 * The nine significant digits of a (1e-9 <= a < 1e9) as an integer in
 * [10^8, 10^9), rounded as printf rounds, and the decimal exponent *x of
 * the rounded value (a rounds to digits * 10^(*x - 8)).
 */
static uint32_t
digits9(double a, int *x)
{
	uint64_t bits;

	memcpy(&bits, &a, sizeof bits);
	/* a is normal over the range: a = m / 2^k with the implicit bit set in m. */
	int be = (int)(bits >> 52 & 0x7ff);
	uint64_t m = (bits & ((1ull << 52) - 1)) | 1ull << 52;
	int k = 1075 - be; /* 23 to 82 over the range */
	/*
	 * a lies in [2^(be-1023), 2^(be-1022)), so its decimal exponent is
	 * floor((be - 1023) * log10(2)) or one more (1233 / 4096 is log10(2)
	 * closely enough over the range); the loop settles which, with s =
	 * 8 - e in 0..18.
	 */
	int e = ((be - 1023) * 1233) >> 12;
	u128 num;
	uint64_t q;

	for (;;) {
		num = (u128)m * pow10[8 - e];
		q = (uint64_t)(num >> k);
		if (q >= 1000000000ull)
			e++;
		else if (q < 100000000ull)
			e--;
		else
			break;
	}
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
	/* In 32 bits, where dividing by 100 is cheaper. */
	uint32_t q = digits9(a, &x);
	for (int i = 7; i >= 1; i -= 2, q /= 100)
		memcpy(d + i, pairs + 2 * (q % 100), 2);
	d[0] = (char)('0' + q);
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
	int n = 1;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	put_digits(s + n, v, n);
	s[n] = '\0';
	return (size_t)n;
}
