/*
 * Evalchemy's boxed-answer extraction and the Hendrycks MATH normalisation
 * (mathans.h says which upstream files, at which commits, and what they do).
 * Each function here mirrors one Python function, in its order of steps; a
 * step where the Python raises returns false, and the caller does what the
 * Python's except clause does.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "mathans.h"

/* The bytes of the UTF-8 character starting at p (1 at a stray byte). */
static size_t
u8len(const char *p)
{
	unsigned char c = (unsigned char)*p;

	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* Python's len(): the code points of s[0..n). */
static size_t
u8count(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Occurrences of pat in s, without overlap, as Python's str.count. */
static size_t
count(const char *s, const char *pat)
{
	size_t k = 0, pl = strlen(pat);

	for (const char *q = s; (q = strstr(q, pat)); q += pl)
		k++;
	return k;
}

/* Python's s.replace(from, to) on b: every occurrence, left to right. */
static void
replace(struct ve_buf *b, const char *from, const char *to)
{
	struct ve_buf out = {0};
	size_t fl = strlen(from);
	const char *p = b->p, *q;

	if (!b->len || !strstr(b->p, from))
		return;
	while ((q = strstr(p, from))) {
		ve_buf_add(&out, p, (size_t)(q - p));
		ve_buf_adds(&out, to);
		p = q + fl;
	}
	ve_buf_adds(&out, p);
	ve_buf_addc(&out, 0); /* out.p is never NULL, even when the text is now empty */
	out.len--;
	ve_buf_free(b);
	*b = out;
}

/* Replaces b's text with s[0..n). */
static void
set(struct ve_buf *b, const char *s, size_t n)
{
	struct ve_buf out = {0};

	ve_buf_add(&out, s, n);
	ve_buf_addc(&out, 0);
	out.len--;
	ve_buf_free(b);
	*b = out;
}

/* remove_right_units: the text before "\text{ "; false when there are two or more. */
static bool
remove_right_units(struct ve_buf *b)
{
	size_t k = count(b->p, "\\text{ ");

	if (k == 0)
		return true;
	if (k > 1)
		return false;
	set(b, b->p, (size_t)(strstr(b->p, "\\text{ ") - b->p));
	return true;
}

/*
 * fix_sqrt: each "\sqrt" not followed by "{" wraps the one character after
 * it in braces; false when "\sqrt" ends the text (the Python's IndexError).
 */
static bool
fix_sqrt(struct ve_buf *b)
{
	struct ve_buf out = {0};
	const char *p = b->p, *q = strstr(p, "\\sqrt");

	if (!q)
		return true;
	ve_buf_add(&out, p, (size_t)(q - p));
	while (q) {
		p = q + 5;
		q = strstr(p, "\\sqrt");
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n == 0) {
			ve_buf_free(&out);
			return false;
		}
		ve_buf_adds(&out, "\\sqrt");
		if (*p != '{') {
			size_t c = u8len(p);
			ve_buf_addc(&out, '{');
			ve_buf_add(&out, p, c);
			ve_buf_addc(&out, '}');
			ve_buf_add(&out, p + c, n - c);
		} else {
			ve_buf_add(&out, p, n);
		}
	}
	ve_buf_free(b);
	*b = out;
	return true;
}

/*
 * fix_fracs: "\fracXY" to "\frac{X}{Y}" and "\fracX{" to "\frac{X}{";
 * the text unchanged when a "\frac" not followed by "{" has fewer than two
 * characters after it; false when "\frac" ends the text.
 */
static bool
fix_fracs(struct ve_buf *b)
{
	struct ve_buf out = {0};
	const char *p = b->p, *q = strstr(p, "\\frac");

	if (!q)
		return true;
	ve_buf_add(&out, p, (size_t)(q - p));
	while (q) {
		p = q + 5;
		q = strstr(p, "\\frac");
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n == 0) {
			ve_buf_free(&out);
			return false;
		}
		ve_buf_adds(&out, "\\frac");
		if (*p == '{') {
			ve_buf_add(&out, p, n);
			continue;
		}
		if (u8count(p, n) < 2) {
			ve_buf_free(&out);
			return true;
		}
		size_t a = u8len(p), bl = u8len(p + a);
		ve_buf_addc(&out, '{');
		ve_buf_add(&out, p, a);
		ve_buf_addc(&out, '}');
		if (p[a] != '{') {
			ve_buf_addc(&out, '{');
			ve_buf_add(&out, p + a, bl);
			ve_buf_addc(&out, '}');
		} else {
			ve_buf_add(&out, p + a, bl);
		}
		ve_buf_add(&out, p + a + bl, n - a - bl);
	}
	ve_buf_free(b);
	*b = out;
	return true;
}

/* Python's str.isspace for an ASCII byte. */
static bool
py_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/*
 * Whether Python's int() reads s[0..n) (white space around, a sign, digits
 * with single underscores between them), and whether str(int(s)) gives the
 * text back (no sign but a minus on a nonzero number, no leading zero, no
 * underscore, no white space).
 */
static bool
py_int(const char *s, size_t n, bool *canonical)
{
	size_t i = 0, e = n;

	while (i < e && py_space(s[i]))
		i++;
	while (e > i && py_space(s[e - 1]))
		e--;
	size_t d = i + (i < e && (s[i] == '+' || s[i] == '-'));
	if (d >= e || s[d] < '0' || s[d] > '9')
		return false;
	for (size_t k = d + 1; k < e; k++) {
		bool digit = s[k] >= '0' && s[k] <= '9';
		if (!digit && !(s[k] == '_' && k + 1 < e && s[k + 1] >= '0' && s[k + 1] <= '9'))
			return false;
	}
	bool zero = strspn(s + d, "0_") >= e - d;
	*canonical = i == 0 && e == n && s[0] != '+' && memchr(s, '_', n) == NULL &&
	             (zero ? d == 0 && e - d == 1 : s[d] != '0');
	return true;
}

/*
 * fix_a_slash_b: "A/B" of two integers written as Python writes them to
 * "\frac{A}{B}"; other texts with one "/" unchanged when int() reads both
 * sides, false (the Python's ValueError) when it cannot.
 */
static bool
fix_a_slash_b(struct ve_buf *b)
{
	const char *slash = strchr(b->p, '/');
	bool ca, cb;

	if (!slash || count(b->p, "/") != 1)
		return true;
	size_t an = (size_t)(slash - b->p), bn = b->len - an - 1;
	if (!py_int(b->p, an, &ca) || !py_int(slash + 1, bn, &cb))
		return false;
	if (ca && cb) {
		struct ve_buf out = {0};
		ve_buf_adds(&out, "\\frac{");
		ve_buf_add(&out, b->p, an);
		ve_buf_adds(&out, "}{");
		ve_buf_add(&out, slash + 1, bn);
		ve_buf_addc(&out, '}');
		ve_buf_free(b);
		*b = out;
	}
	return true;
}

/* strip_string's replacements before the units are cut: newlines, spacing, \left, degrees. */
static void
strip_marks(struct ve_buf *b)
{
	replace(b, "\n", "");
	replace(b, "\\!", "");
	replace(b, "\\\\", "\\");
	replace(b, "tfrac", "frac");
	replace(b, "dfrac", "frac");
	replace(b, "\\left", "");
	replace(b, "\\right", "");
	replace(b, "^{\\circ}", "");
	replace(b, "^\\circ", "");
	replace(b, "\\$", "");
}

/* strip_string on b; false where the Python raises. */
static bool
strip(struct ve_buf *b)
{
	strip_marks(b);
	if (!remove_right_units(b))
		return false;
	replace(b, "\\%", "");
	replace(b, " .", " 0.");
	replace(b, "{.", "{0.");
	if (b->len == 0)
		return true;
	if (b->p[0] == '.') {
		struct ve_buf out = {0};
		ve_buf_addc(&out, '0');
		ve_buf_add(&out, b->p, b->len);
		ve_buf_free(b);
		*b = out;
	}
	const char *eq = strchr(b->p, '=');
	if (eq && count(b->p, "=") == 1 && u8count(b->p, (size_t)(eq - b->p)) <= 2)
		set(b, eq + 1, strlen(eq + 1));
	if (!fix_sqrt(b))
		return false;
	replace(b, " ", "");
	if (!fix_fracs(b))
		return false;
	if (!strcmp(b->p, "0.5"))
		set(b, "\\frac{1}{2}", 11);
	return fix_a_slash_b(b);
}

char *
ve_math_strip(const char *s)
{
	struct ve_buf b = {0};

	ve_buf_adds(&b, s);
	ve_buf_addc(&b, 0);
	b.len--;
	if (!strip(&b)) {
		ve_buf_free(&b);
		return NULL;
	}
	return b.p;
}

bool
ve_math_equiv(const char *a, const char *b)
{
	char *sa = ve_math_strip(a), *sb = sa ? ve_math_strip(b) : NULL;
	bool eq = sa && sb ? !strcmp(sa, sb) : !strcmp(a, b);

	free(sa);
	free(sb);
	return eq;
}

/* The last occurrence of pat in s, or NULL (Python's rfind). */
static const char *
rfind(const char *s, const char *pat)
{
	const char *last = NULL;

	for (const char *q = s; (q = strstr(q, pat)); q++)
		last = q;
	return last;
}

/*
 * last_boxed_only_string then remove_boxed: the answer of s without its
 * box, or NULL where the first returns None or the second's assertions fail.
 */
char *
ve_math_boxed(const char *s)
{
	const char *spaced = rfind(s, "\\boxed ");

	if (spaced) {
		spaced += 7;
		struct ve_buf b = {0};
		ve_buf_add(&b, spaced, strcspn(spaced, "$"));
		ve_buf_addc(&b, 0);
		return b.p;
	}
	const char *at = rfind(s, "\\boxed");
	if (!at)
		at = rfind(s, "\\fbox");
	if (!at || strncmp(at, "\\boxed{", 7) != 0)
		return NULL; /* none, or remove_boxed's assertion fails ("\fbox{3}") */
	long open = 0;
	for (const char *q = at; *q; q++) {
		if (*q == '{')
			open++;
		if (*q == '}' && --open == 0) {
			size_t n = (size_t)(q - at) - 7;
			char *r = ve_xmalloc(n + 1);
			memcpy(r, at + 7, n);
			r[n] = 0;
			return r;
		}
	}
	return NULL;
}
