#include <string.h>

#include "jsoncheck.h"
#include "utf8.h"

/* A cursor over one line. */
struct scan {
	const char *p, *end;
	int depth;
};

enum {
	MAX_DEPTH = 200,  /* jq 1.6 stops at 256 */
	MAX_DIGITS = 200, /* with at most 99 in the exponent, under DBL_MAX */
};

static bool scan_value(struct scan *s);

static void
skip_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * A string from its opening quote: no raw control byte, only JSON's
 * escapes. A surrogate escape (\uD800 to \uDFFF) is libjq's to judge: jq
 * 1.6 refuses a high one that no low one follows.
 */
static bool
scan_string(struct scan *s)
{
	for (s->p++; s->p < s->end;) {
		unsigned char c = (unsigned char)*s->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return false;
		c = (unsigned char)*s->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, s->p++)
				if (s->p >= s->end || !is_hex(*s->p))
					return false;
			if ((s->p[-4] == 'd' || s->p[-4] == 'D') && !strchr("01234567", s->p[-3]))
				return false;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
	return false;
}

/* Digits: how many (0 when none). */
static size_t
scan_digits(struct scan *s)
{
	const char *from = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return (size_t)(s->p - from);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, small enough to stay finite. */
static bool
scan_number(struct scan *s)
{
	size_t n;

	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!(n = scan_digits(s)) || n > MAX_DIGITS)
		return false;
	if (s->p < s->end && *s->p == '.' && (s->p++, !scan_digits(s)))
		return false;
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		n = scan_digits(s);
		return n >= 1 && n <= 2;
	}
	return true;
}

static bool
scan_word(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* An object or an array from its opening bracket: members or values between commas. */
static bool
scan_container(struct scan *s, char close)
{
	if (++s->depth > MAX_DEPTH)
		return false;
	s->p++;
	skip_space(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (close == '}') {
			skip_space(s);
			if (s->p >= s->end || *s->p != '"' || !scan_string(s))
				return false;
			skip_space(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!scan_value(s) || s->p >= s->end)
			return false;
		char c = *s->p++;
		if (c == close) {
			s->depth--;
			return true;
		}
		if (c != ',')
			return false;
	}
}

/* A value and the space around it. */
static bool
scan_value(struct scan *s)
{
	bool ok;

	skip_space(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{': ok = scan_container(s, '}'); break;
	case '[': ok = scan_container(s, ']'); break;
	case '"': ok = scan_string(s); break;
	case 't': ok = scan_word(s, "true"); break;
	case 'f': ok = scan_word(s, "false"); break;
	case 'n': ok = scan_word(s, "null"); break;
	default: ok = scan_number(s);
	}
	skip_space(s);
	return ok;
}

bool
ve_json_object_fast(const char *text, size_t len)
{
	struct scan s = {text, text + len, 0};

	skip_space(&s);
	return s.p < s.end && *s.p == '{' && scan_value(&s) && s.p == s.end &&
	       ve_utf8_invalid_at(text, len) < 0;
}
