#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diag.h"
#include "scan.h"

/* The check's cursor. */
struct chk {
	const unsigned char *p, *end;
	int depth;
	struct ve_scan *doc;
};

enum {
	MAX_DEPTH = 200, /* libjq 1.6 stops at 256 */
	BIG = 64,        /* a container this long or longer goes into the table */
	MARK_EVERY = 32, /* an array's elements K, 2K, ... are marked for ve_scan_begin_at */
};

static bool chk_value(struct chk *c);

/*
 * The loops over bytes keep their place in a local: a byte read through an
 * unsigned char pointer may alias c->p, which the compiler would otherwise
 * store and load again at every byte.
 */
static void
chk_space(struct chk *c)
{
	const unsigned char *p = c->p, *end = c->end;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	c->p = p;
}

static int
hex4(const unsigned char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = p[i] >= '0' && p[i] <= '9'   ? p[i] - '0'
		        : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
		        : p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10
		                                     : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The length of the UTF-8 sequence at p, 0 when it is invalid (overlong,
 * a surrogate, above U+10FFFF, cut short): RFC 3629, as libjq judges.
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * An escape after its backslash. A \u of a high surrogate must be followed
 * by one of a low surrogate (libjq refuses it otherwise), and a lone low
 * one libjq turns into U+FFFD: the scanner leaves both to it.
 */
static bool
chk_escape(struct chk *c)
{
	if (c->p >= c->end)
		return false;
	unsigned char e = *c->p++;
	if (e != 'u')
		return e && strchr("\"\\/bfnrt", e);
	if (c->end - c->p < 4)
		return false;
	int u = hex4(c->p);
	c->p += 4;
	if (u < 0 || (u >= 0xdc00 && u <= 0xdfff))
		return false;
	if (u < 0xd800 || u > 0xdbff)
		return true;
	if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
		return false;
	u = hex4(c->p + 2);
	c->p += 6;
	return u >= 0xdc00 && u <= 0xdfff;
}

/* A string from its opening quote: no raw control byte, valid UTF-8, escapes as above. */
static bool
chk_string(struct chk *c)
{
	for (c->p++; c->p < c->end;) {
		const unsigned char *p = c->p, *end = c->end;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		c->p = p;
		if (p == end)
			return false;
		unsigned char b = *p;
		if (b == '"') {
			c->p++;
			return true;
		} else if (b == '\\') {
			c->p++;
			if (!chk_escape(c))
				return false;
		} else {
			size_t n = b < 0x20 ? 0 : utf8_len(c->p, c->end);
			if (!n)
				return false;
			c->p += n;
		}
	}
	return false;
}

/*
 * Past the digits at p. The logprobs of an echoed answer are most of its
 * bytes, ten digits each, and a byte loop mispredicts its exit at every
 * number: eight bytes are tested at once where there are eight, a byte
 * being a digit when its high nibble is 3 before and after adding 6. A
 * carry out of a byte comes only from a non-digit, and lands after it.
 */
static const unsigned char *
skip_digits(const unsigned char *p, const unsigned char *end)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t hi = 0xf0f0f0f0f0f0f0f0u, three = 0x3030303030303030u,
	               six = 0x0606060606060606u;

	while (end - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		uint64_t bad = ((x ^ three) | ((x + six) ^ three)) & hi;
		if (bad)
			return p + (__builtin_ctzll(bad) >> 3);
		p += 8;
	}
#endif
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

static bool
chk_word(struct chk *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, or NaN, Infinity, -Infinity. */
static bool
chk_number(struct chk *c)
{
	const unsigned char *p = c->p, *end = c->end, *d;

	/* Looked for only where one may start: most numbers of an answer are negative logprobs. */
	if (*p == 'N')
		return chk_word(c, "NaN");
	if (*p == 'I')
		return chk_word(c, "Infinity");
	if (*p == '-' && end - p > 1 && p[1] == 'I')
		return chk_word(c, "-Infinity");
	if (*p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((d = skip_digits(p, end)) == p)
		return false;
	else
		p = d;
	if (p < end && *p == '.') {
		if ((d = skip_digits(p + 1, end)) == p + 1)
			return false;
		p = d;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((d = skip_digits(p, end)) == p)
			return false;
		p = d;
	}
	c->p = p;
	return true;
}

/*
 * Marks where element n of the array at from starts (p is at or before it),
 * every MARK_EVERY elements, so that a walk to the end of a long array need
 * not step over each element before it.
 */
static void
note_mark(struct chk *c, const unsigned char *from, long n)
{
	struct ve_scan *d = c->doc;

	if (n == 0 || n % MARK_EVERY)
		return;
	d->marks = ve_grow(d->marks, &d->cmarks, d->nmarks + 1, sizeof *d->marks);
	d->marks[d->nmarks++] = (struct ve_scan_mark){(const char *)from, (const char *)c->p};
}

/* An object or an array from its opening bracket. */
/* Notes a container from..c->p of n values in the table when it is large. */
static void
note_big(struct chk *c, const unsigned char *from, long n)
{
	struct ve_scan *d = c->doc;

	if (c->p - from < BIG)
		return;
	d->big = ve_grow(d->big, &d->cap, d->nbig + 1, sizeof *d->big);
	d->big[d->nbig++] = (struct ve_scan_big){(const char *)from, (const char *)c->p, n};
}

static bool
chk_container(struct chk *c, unsigned char close)
{
	const unsigned char *from = c->p;

	if (++c->depth > MAX_DEPTH)
		return false;
	c->p++;
	chk_space(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return true;
	}
	for (long n = 1;; n++) {
		if (close == '}') {
			chk_space(c);
			if (c->p >= c->end || *c->p != '"' || !chk_string(c))
				return false;
			chk_space(c);
			if (c->p >= c->end || *c->p++ != ':')
				return false;
		}
		if (close == ']')
			note_mark(c, from, n - 1);
		if (!chk_value(c) || c->p >= c->end)
			return false;
		unsigned char b = *c->p++;
		if (b == close) {
			c->depth--;
			note_big(c, from, n);
			return true;
		}
		if (b != ',')
			return false;
	}
}

/* A value and the space around it. */
static bool
chk_value(struct chk *c)
{
	bool ok;

	chk_space(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{': ok = chk_container(c, '}'); break;
	case '[': ok = chk_container(c, ']'); break;
	case '"': ok = chk_string(c); break;
	case 't': ok = chk_word(c, "true"); break;
	case 'f': ok = chk_word(c, "false"); break;
	case 'n': ok = chk_word(c, "null"); break;
	default: ok = chk_number(c);
	}
	chk_space(c);
	return ok;
}

/* Marks by their array, then by where they are: an array's marks in a row, in order. */
static int
mark_cmp(const void *a, const void *b)
{
	const struct ve_scan_mark *x = a, *y = b;

	if (x->arr != y->arr)
		return (x->arr > y->arr) - (x->arr < y->arr);
	return (x->at > y->at) - (x->at < y->at);
}

static int
big_cmp(const void *a, const void *b)
{
	const struct ve_scan_big *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

bool
ve_scan_check(struct ve_scan *doc, const char *text, size_t len, struct ve_span *root)
{
	struct chk c = {(const unsigned char *)text, (const unsigned char *)text + len, 0, doc};

	doc->nbig = doc->nmarks = 0;
	chk_space(&c);
	root->p = (const char *)c.p;
	if (!chk_value(&c) || c.p != c.end)
		return false;
	/* Noted as they closed, inner ones first: sorted by where they open, for lookups. */
	if (doc->nbig > 1)
		qsort(doc->big, doc->nbig, sizeof *doc->big, big_cmp);
	/* Arrays' marks interleave only where arrays nest: sorted unless in order already. */
	for (size_t i = 1; i < doc->nmarks; i++)
		if (mark_cmp(&doc->marks[i - 1], &doc->marks[i]) > 0) {
			qsort(doc->marks, doc->nmarks, sizeof *doc->marks, mark_cmp);
			break;
		}
	/* The root's own length: the text less the space after it. */
	while (c.p > (const unsigned char *)root->p &&
	       (c.p[-1] == ' ' || c.p[-1] == '\t' || c.p[-1] == '\r' || c.p[-1] == '\n'))
		c.p--;
	root->len = (size_t)((const char *)c.p - root->p);
	return true;
}

void
ve_scan_free(struct ve_scan *doc)
{
	free(doc->big);
	free(doc->marks);
	*doc = (struct ve_scan){0};
}

/* From here on the text has passed the check. */

/* The table's entry of the container that opens at p, or NULL. */
static const struct ve_scan_big *
find_big(const struct ve_scan *doc, const char *p)
{
	size_t lo = 0, hi = doc->nbig;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (doc->big[mid].p == p)
			return &doc->big[mid];
		if (doc->big[mid].p < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *
space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/*
 * The first quote in [p, end), or end. Eight bytes are tested at once,
 * inline: most strings of an answer are a few bytes long, where a call of
 * memchr costs more than the search.
 */
static const char *
find_quote(const char *p, const char *end)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;

	while (end - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		x ^= ones * '"';
		/* Exact at the lowest zero byte; borrows land only above it. */
		uint64_t zero = (x - ones) & ~x & high;
		if (zero)
			return p + (__builtin_ctzll(zero) >> 3);
		p += 8;
	}
#endif
	while (p < end && *p != '"')
		p++;
	return p;
}

/*
 * The end of the string whose opening quote is at p: a quote is the
 * closing one when an even number of backslashes stands before it.
 */
static const char *
str_end(const char *p, const char *end)
{
	for (const char *q = p + 1; q < end;) {
		const char *e = find_quote(q, end);
		if (e == end)
			break;
		size_t n = 0;
		while (e - n - 1 > p && e[-(ptrdiff_t)n - 1] == '\\')
			n++;
		if (n % 2 == 0)
			return e + 1;
		q = e + 1;
	}
	return end + 1;
}

/* The end of the value at p. */
static const char *
skip(const struct ve_scan *doc, const char *p, const char *end)
{
	const struct ve_scan_big *big;
	int depth = 0;

	switch (*p) {
	case '"': return str_end(p, end);
	case '{':
	case '[':
		if ((big = find_big(doc, p)))
			return big->end;
		for (; p < end; p++) {
			if (*p == '"')
				p = str_end(p, end) - 1;
			else if (*p == '{' || *p == '[')
				depth++;
			else if ((*p == '}' || *p == ']') && --depth == 0)
				return p + 1;
		}
		return end;
	default:
		/* A number or a literal, checked: its digits at word speed, then the rest. */
		p = (const char *)skip_digits((const unsigned char *)p + (*p == '-'),
		                              (const unsigned char *)end);
		while (p < end && (unsigned char)*p > ' ' && *p != ',' && *p != ']' && *p != '}')
			p++;
		return p;
	}
}

void
ve_scan_begin(const struct ve_scan *doc, struct ve_span v, struct ve_scan_it *it)
{
	it->doc = doc;
	it->p = v.p + 1;
	it->end = v.p + v.len - 1;
	it->obj = *v.p == '{';
}

/* The k-th mark (from 1) of the array that opens at p: element k * MARK_EVERY; or NULL. */
static const struct ve_scan_mark *
find_mark(const struct ve_scan *doc, const char *p, long k)
{
	size_t lo = 0, hi = doc->nmarks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (doc->marks[mid].arr < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	lo += (size_t)k - 1;
	return lo < doc->nmarks && doc->marks[lo].arr == p ? &doc->marks[lo] : NULL;
}

void
ve_scan_begin_at(const struct ve_scan *doc, struct ve_span v, long i, struct ve_scan_it *it)
{
	const struct ve_scan_mark *m = i >= MARK_EVERY ? find_mark(doc, v.p, i / MARK_EVERY) : NULL;
	struct ve_span e;

	ve_scan_begin(doc, v, it);
	if (m) {
		it->p = m->at;
		i %= MARK_EVERY;
	}
	while (i-- > 0 && ve_scan_next(it, NULL, &e))
		;
}

bool
ve_scan_next(struct ve_scan_it *it, struct ve_span *key, struct ve_span *val)
{
	const char *p = space(it->p, it->end);

	if (p < it->end && *p == ',')
		p = space(p + 1, it->end);
	if (p >= it->end)
		return false;
	if (it->obj) {
		const char *e = str_end(p, it->end);
		key->p = p;
		key->len = (size_t)(e - p);
		p = space(space(e, it->end) + 1, it->end);
	}
	val->p = p;
	it->p = skip(it->doc, p, it->end);
	val->len = (size_t)(it->p - p);
	return true;
}

/*
 * Whether key decodes to k[0..n). An escape is longer than the byte it
 * stands for: a key whose text is shorter than k's is not k, one of the
 * same length is k exactly when the bytes are the same and no backslash
 * (k's, then) is among them, and only a longer one is decoded. A stream's
 * events are read by picking keys: most keys are told apart by length.
 */
static bool
key_eq(struct ve_span key, const char *k, size_t n)
{
	if (key.len < n + 2)
		return false;
	if (key.len == n + 2)
		return memcmp(key.p + 1, k, n) == 0 && !memchr(k, '\\', n);
	if (!memchr(key.p, '\\', key.len))
		return false;
	struct ve_buf b = {0};
	ve_scan_str(key, &b);
	bool same = b.len == n && memcmp(b.p, k, n) == 0;
	ve_buf_free(&b);
	return same;
}

bool
ve_scan_key_is(struct ve_span key, const char *k)
{
	return key_eq(key, k, strlen(k));
}

/*
 * Most keys are told apart by their length: a key of the same length as a
 * wanted one is compared byte for byte, and only a longer one that holds
 * a backslash (looked for once per key) is decoded.
 */
void
ve_scan_pick(const struct ve_scan *doc, struct ve_span obj, const char *const *keys, size_t n,
             struct ve_span *out)
{
	enum { MAX = 8 };
	struct ve_scan_it it;
	struct ve_span k, v;
	size_t len[MAX];
	bool esc[MAX];

	if (n > MAX)
		ve_die(VE_EX_SOFTWARE, "ve_scan_pick: more than %d keys", MAX);
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct ve_span){NULL, 0};
		len[i] = strlen(keys[i]);
		esc[i] = memchr(keys[i], '\\', len[i]) != NULL;
	}
	if (!obj.p || *obj.p != '{')
		return;
	ve_scan_begin(doc, obj, &it);
	while (ve_scan_next(&it, &k, &v)) {
		int kesc = -1;
		for (size_t i = 0; i < n; i++) {
			if (k.len < len[i] + 2)
				continue;
			if (k.len == len[i] + 2) {
				if (!esc[i] && memcmp(k.p + 1, keys[i], len[i]) == 0)
					out[i] = v;
				continue;
			}
			if (kesc < 0)
				kesc = memchr(k.p, '\\', k.len) != NULL;
			if (kesc && key_eq(k, keys[i], len[i]))
				out[i] = v;
		}
	}
}

bool
ve_scan_is_num(struct ve_span v)
{
	return v.p && (*v.p == '-' || (*v.p >= '0' && *v.p <= '9') || *v.p == 'N' || *v.p == 'I');
}

bool
ve_scan_is_str(struct ve_span v)
{
	return v.p && *v.p == '"';
}

double
ve_scan_num(struct ve_span v)
{
	if (*v.p == 'N')
		return NAN;
	if (*v.p == 'I' || (v.len > 1 && v.p[1] == 'I'))
		return *v.p == '-' ? -INFINITY : INFINITY;
	/* Integers of up to 15 digits are exact in a double: no strtod for token ids. */
	const char *dg = v.p + (*v.p == '-');
	size_t nd = (size_t)(v.p + v.len - dg), i = 0;
	long long n = 0;
	while (i < nd && i < 16 && dg[i] >= '0' && dg[i] <= '9')
		n = n * 10 + (dg[i++] - '0');
	if (i == nd && nd <= 15)
		return *v.p == '-' ? -(double)n : (double)n;
	/* A copy, NUL-terminated: the span may end the caller's text. */
	char small[64], *s = v.len < sizeof small ? small : ve_xmalloc(v.len + 1);
	memcpy(s, v.p, v.len);
	s[v.len] = '\0';
	double d = strtod(s, NULL);
	if (s != small)
		free(s);
	return d;
}

/* Appends code point u as UTF-8. */
static void
add_utf8(struct ve_buf *out, unsigned u)
{
	char b[4];
	size_t n;

	if (u < 0x80)
		b[0] = (char)u, n = 1;
	else if (u < 0x800)
		b[0] = (char)(0xc0 | u >> 6), b[1] = (char)(0x80 | (u & 0x3f)), n = 2;
	else if (u < 0x10000)
		b[0] = (char)(0xe0 | u >> 12), b[1] = (char)(0x80 | (u >> 6 & 0x3f)),
		b[2] = (char)(0x80 | (u & 0x3f)), n = 3;
	else
		b[0] = (char)(0xf0 | u >> 18), b[1] = (char)(0x80 | (u >> 12 & 0x3f)),
		b[2] = (char)(0x80 | (u >> 6 & 0x3f)), b[3] = (char)(0x80 | (u & 0x3f)), n = 4;
	ve_buf_add(out, b, n);
}

void
ve_scan_str(struct ve_span v, struct ve_buf *out)
{
	const char *p = v.p + 1, *end = v.p + v.len - 1;

	ve_buf_grow(out, v.len);
	while (p < end) {
		const char *q = memchr(p, '\\', (size_t)(end - p));
		if (!q) {
			ve_buf_add(out, p, (size_t)(end - p));
			break;
		}
		ve_buf_add(out, p, (size_t)(q - p));
		char e = q[1];
		p = q + 2;
		if (e != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			ve_buf_addc(out, to[strchr(from, e) - from]);
			continue;
		}
		unsigned u = (unsigned)hex4((const unsigned char *)p);
		p += 4;
		if (u >= 0xd800 && u <= 0xdbff) {
			u = 0x10000 + ((u - 0xd800) << 10) +
			    ((unsigned)hex4((const unsigned char *)p + 2) - 0xdc00);
			p += 6;
		}
		add_utf8(out, u);
	}
}

bool
ve_scan_str_eq(struct ve_span a, struct ve_span b)
{
	if (!memchr(a.p, '\\', a.len) && !memchr(b.p, '\\', b.len))
		return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
	struct ve_buf x = {0}, y = {0};
	ve_scan_str(a, &x);
	ve_scan_str(b, &y);
	bool same = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
	ve_buf_free(&x);
	ve_buf_free(&y);
	return same;
}

/* A string value as libjq holds it. */
static jv
str_jv(struct ve_span v)
{
	if (!memchr(v.p, '\\', v.len))
		return jv_string_sized(v.p + 1, (int)v.len - 2);
	struct ve_buf b = {0};
	ve_scan_str(v, &b);
	jv s = jv_string_sized(b.p ? b.p : "", (int)b.len);
	ve_buf_free(&b);
	return s;
}

long
ve_scan_length(const struct ve_scan *doc, struct ve_span v)
{
	struct ve_scan_it it;
	struct ve_span e;
	const struct ve_scan_big *big;
	long n = 0;

	if (!v.p || *v.p != '[')
		return -1;
	if ((big = find_big(doc, v.p)))
		return big->n;
	ve_scan_begin(doc, v, &it);
	while (ve_scan_next(&it, NULL, &e))
		n++;
	return n;
}

jv
ve_scan_jv(const struct ve_scan *doc, struct ve_span v)
{
	struct ve_scan_it it;
	struct ve_span k, e;

	if (!v.p)
		return jv_invalid();
	switch (*v.p) {
	case '"': return str_jv(v);
	case 't': return jv_true();
	case 'f': return jv_false();
	case 'n': return jv_null();
	case '[': {
		/* Appended one by one, as libjq's parser builds an array. */
		jv a = jv_array();
		ve_scan_begin(doc, v, &it);
		while (ve_scan_next(&it, NULL, &e))
			a = jv_array_append(a, ve_scan_jv(doc, e));
		return a;
	}
	case '{': {
		/* jv_object_set, as libjq's parser: a repeated key keeps its place, takes the last
		 * value. */
		jv o = jv_object();
		ve_scan_begin(doc, v, &it);
		while (ve_scan_next(&it, &k, &e))
			o = jv_object_set(o, str_jv(k), ve_scan_jv(doc, e));
		return o;
	}
	default: return jv_number(ve_scan_num(v));
	}
}
