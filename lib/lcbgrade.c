#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "buf.h"
#include "lcbgrade.h"
#include "utf8.h"

bool
ve_lcb_extract(const char *reply, size_t n, size_t *off, size_t *len)
{
	/* The end of the next-to-last fence line, and the start of the last. */
	size_t prev_end = 0, last_start = 0, last_end = 0, fences = 0;

	for (size_t start = 0; start <= n;) {
		const char *nl = memchr(reply + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - reply) : n;
		if (memmem(reply + start, end - start, "```", 3)) {
			prev_end = last_end;
			last_start = start;
			last_end = end;
			fences++;
		}
		if (!nl)
			break;
		start = end + 1;
	}
	if (fences < 2)
		return false;
	/* The lines after the first fence line, up to the '\n' before the second. */
	*off = prev_end + 1;
	*len = last_start > *off ? last_start - 1 - *off : 0;
	return true;
}

/* The code point at s[0..n) and its length; -1 for a byte that starts none. */
static int32_t
cp_at(const char *s, size_t n, size_t *len)
{
	int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &c);

	*len = k > 0 ? (size_t)k : 1;
	return k > 0 ? c : -1;
}

/* The length of the white space that ends s[0..n). */
static size_t
trailing_space(const char *s, size_t n)
{
	size_t k = 0;

	while (k < n) {
		/* Step back to the start of the last code point, at most 4 bytes. */
		size_t end = n - k, i = end - 1, len;
		size_t first = end >= 4 ? end - 4 : 0;
		while (i > first && ((unsigned char)s[i] & 0xC0) == 0x80)
			i--;
		int32_t c = cp_at(s + i, end - i, &len);
		if (i + len != end || !ve_utf8_py_space(c))
			break;
		k += len;
	}
	return k;
}

/* s[0..*n) without white space at either end: the new start, and *n shortened. */
static const char *
strip(const char *s, size_t *n)
{
	size_t len;

	while (*n && ve_utf8_py_space(cp_at(s, *n, &len))) {
		s += len;
		*n -= len;
	}
	*n -= trailing_space(s, *n);
	return s;
}

/* The next token of s[*i..n) split at white space: false when none is left. */
static bool
next_token(const char *s, size_t n, size_t *i, size_t *start, size_t *end)
{
	size_t len;

	while (*i < n && ve_utf8_py_space(cp_at(s + *i, n - *i, &len)))
		*i += len;
	if (*i == n)
		return false;
	*start = *i;
	while (*i < n && !ve_utf8_py_space(cp_at(s + *i, n - *i, &len)))
		*i += len;
	*end = *i;
	return true;
}

/* libmpdec's limits for an exact conversion (Decimal(str) under its maxcontext). */
#define DEC_EMAX  999999999999999999LL
#define DEC_ETINY (-1999999999999999997LL)

enum dec_kind { DEC_BAD, DEC_NAN, DEC_INF, DEC_ZERO, DEC_FINITE };

/* A decimal number as Decimal's equality sees it: sign, digits without zeros at either end,
 * exponent. */
struct dec {
	enum dec_kind kind;
	bool neg;
	struct ve_buf digits;
	long long exp;
};

/*
 * What Python hands libmpdec for a token: underscores dropped, each
 * script's decimal digits as ASCII ones (a digit's value is its place in
 * its block of ten: Unicode puts each script's 0-9 at consecutive code
 * points), other ASCII as is. False for any other character.
 */
static bool
as_ascii(const char *s, size_t n, struct ve_buf *out)
{
	size_t len;

	ve_buf_reset(out);
	for (size_t i = 0; i < n; i += len) {
		int32_t c = cp_at(s + i, n - i, &len), k = 0;
		if (c == '_')
			continue;
		if (c > 0 && c < 0x80) {
			ve_buf_addc(out, (char)c);
			continue;
		}
		if (c <= 0 || utf8proc_category(c) != UTF8PROC_CATEGORY_ND)
			return false;
		while (utf8proc_category(c - k - 1) == UTF8PROC_CATEGORY_ND)
			k++;
		ve_buf_addc(out, (char)('0' + k % 10));
	}
	return true;
}

/* Whether s starts with word, case aside, and what follows is digits to its end. */
static bool
word_then_digits(const char *s, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(s, word, n))
		return false;
	return strspn(s + n, "0123456789") == strlen(s + n);
}

/* The exponent after 'e' at s: false unless it is a sign and digits to the end. */
static bool
exponent(const char *s, long long *e)
{
	bool neg = *s == '-';
	long long v = 0;

	if (*s == '+' || *s == '-')
		s++;
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	/* Past 4e18 any exponent is out of range: keep counting no further. */
	for (; *s; s++)
		v = v > 400000000000000000LL ? 4000000000000000000LL : v * 10 + (*s - '0');
	*e = neg ? -v : v;
	return true;
}

/* The finite number at s ([digits][.digits][e[sign]digits]) into d. */
static void
parse_finite(const char *s, struct dec *d)
{
	long long frac = 0, e = 0;
	bool point = false, any = false;

	ve_buf_reset(&d->digits);
	for (; *s && *s != 'e' && *s != 'E'; s++) {
		if (*s == '.' && !point) {
			point = true;
		} else if (*s >= '0' && *s <= '9') {
			any = true;
			frac += point;
			if (d->digits.len || *s != '0')
				ve_buf_addc(&d->digits, *s);
		} else {
			return;
		}
	}
	if (!any || (*s && !exponent(s + 1, &e)))
		return;
	e -= frac;
	size_t n = d->digits.len;
	/* Within the exponents an exact conversion allows; a zero counts as one digit. */
	if (e < DEC_ETINY || e + (long long)(n ? n : 1) - 1 > DEC_EMAX)
		return;
	while (n && d->digits.p[n - 1] == '0') {
		n--;
		e++;
	}
	d->digits.len = n;
	d->kind = n ? DEC_FINITE : DEC_ZERO;
	d->exp = e;
}

/* Decimal(token) into d; d->kind DEC_BAD when Python would raise. */
static void
parse_dec(const char *s, size_t n, struct dec *d, struct ve_buf *scratch)
{
	d->kind = DEC_BAD;
	if (!as_ascii(s, n, scratch))
		return;
	const char *a = scratch->p ? scratch->p : "";
	d->neg = *a == '-';
	if (*a == '+' || *a == '-')
		a++;
	if (!strcasecmp(a, "inf") || !strcasecmp(a, "infinity"))
		d->kind = DEC_INF;
	else if (word_then_digits(a, "nan") || word_then_digits(a, "snan"))
		d->kind = DEC_NAN;
	else
		parse_finite(a, d);
}

/* Whether two parsed numbers are equal as Decimal's == has them. */
static bool
dec_equal(const struct dec *a, const struct dec *b)
{
	if (a->kind != b->kind || a->kind == DEC_BAD || a->kind == DEC_NAN)
		return false;
	if (a->kind == DEC_ZERO)
		return true;
	if (a->neg != b->neg)
		return false;
	return a->kind == DEC_INF || (a->exp == b->exp && a->digits.len == b->digits.len &&
	                              !memcmp(a->digits.p, b->digits.p, a->digits.len));
}

/*
 * grade_stdio's second chance for two stripped lines that differ: both
 * split into tokens, every one a Decimal, the lists equal.
 */
static bool
decimals_equal(const char *g, size_t gn, const char *w, size_t wn)
{
	struct dec a = {0}, b = {0};
	struct ve_buf scratch = {0};
	size_t gi = 0, wi = 0, gs, ge, ws, we;
	bool equal = true, more;

	while (equal) {
		more = next_token(g, gn, &gi, &gs, &ge);
		if (more != next_token(w, wn, &wi, &ws, &we)) {
			equal = false;
		} else if (more) {
			parse_dec(g + gs, ge - gs, &a, &scratch);
			parse_dec(w + ws, we - ws, &b, &scratch);
			equal = dec_equal(&a, &b);
		} else {
			break;
		}
	}
	ve_buf_free(&a.digits);
	ve_buf_free(&b.digits);
	ve_buf_free(&scratch);
	return equal;
}

/* The line of s[*i..n) up to '\n', stripped; false past the last one. */
static bool
next_line(const char *s, size_t n, size_t *i, const char **line, size_t *len)
{
	if (*i > n)
		return false;
	const char *nl = memchr(s + *i, '\n', n - *i);
	size_t end = nl ? (size_t)(nl - s) : n;
	*len = end - *i;
	*line = strip(s + *i, len);
	*i = end + 1;
	return true;
}

bool
ve_lcb_output_matches(const char *got, size_t gn, const char *want, size_t wn)
{
	/* an empty buffer may have no bytes at all */
	const char *g = strip(got ? got : "", &gn), *w = strip(want ? want : "", &wn), *gl, *wl;
	size_t gi = 0, wi = 0, gl_n, wl_n;
	bool more;

	for (;;) {
		more = next_line(g, gn, &gi, &gl, &gl_n);
		if (more != next_line(w, wn, &wi, &wl, &wl_n))
			return false;
		if (!more)
			return true;
		if ((gl_n != wl_n || memcmp(gl, wl, gl_n)) && !decimals_equal(gl, gl_n, wl, wl_n))
			return false;
	}
}
