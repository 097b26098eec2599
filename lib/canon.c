#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "diag.h"
#include "json.h"
#include "norm.h"

/*
 * Deeper than libjq 1.6 parses (256 levels), so never reached by a record
 * it accepted; it bounds the recursion all the same.
 */
#define MAX_DEPTH 300

/* One record's walk: the text's end, the normalisation, the scratch space. */
struct walk {
	struct ve_canon *c;
	const char *end;
	unsigned norm;
};

/* A member of an object, as written to out. */
struct member {
	size_t key, klen;  /* its name's decoded bytes in c->keys */
	size_t start, len; /* "name":value in out */
	const char *value; /* the value's text */
	size_t n;          /* its place in the object */
};

static const char *value(struct walk *w, const char *p, struct ve_buf *out, int depth);

/* JSON's white space, as libjq reads it. */
static const char *
skip_ws(const struct walk *w, const char *p)
{
	while (p < w->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
hex(char h)
{
	return h >= '0' && h <= '9'   ? h - '0'
	       : h >= 'a' && h <= 'f' ? h - 'a' + 10
	       : h >= 'A' && h <= 'F' ? h - 'A' + 10
	                              : -1;
}

/* The four hex digits at p as a number, or -1. */
static long
hex4(const struct walk *w, const char *p)
{
	long v = 0;

	if (w->end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = hex(p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static void
add_utf8(struct ve_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	ve_buf_add(b, u, n);
}

/*
 * The code point of the \u escape at p (after "\u"), a surrogate pair taken
 * whole, and where it ends in *after; -1 if it is none. A lone low surrogate
 * is U+FFFD, as libjq 1.6 makes it.
 */
static long
unicode_escape(const struct walk *w, const char *p, const char **after)
{
	long cp = hex4(w, p), lo;

	*after = p + 4;
	if (cp < 0xd800 || cp > 0xdfff)
		return cp;
	if (cp >= 0xdc00)
		return 0xfffd;
	p += 4;
	if (w->end - p < 6 || p[0] != '\\' || p[1] != 'u' || (lo = hex4(w, p + 2)) < 0xdc00 ||
	    lo > 0xdfff)
		return -1;
	*after = p + 6;
	return 0x10000 + ((cp - 0xd800) << 10 | (lo - 0xdc00));
}

/* Decodes the string at p (its opening quote) into c->str; after its closing quote, or NULL. */
static const char *
string(struct walk *w, const char *p)
{
	struct ve_buf *s = &w->c->str;
	const char *run = ++p;

	ve_buf_reset(s);
	while (p < w->end && *p != '"') {
		if (*p != '\\') {
			p++;
			continue;
		}
		ve_buf_add(s, run, (size_t)(p - run));
		if (w->end - p < 2)
			return NULL;
		char e = p[1];
		p += 2;
		switch (e) {
		case '"':
		case '\\':
		case '/': ve_buf_addc(s, e); break;
		case 'b': ve_buf_addc(s, '\b'); break;
		case 'f': ve_buf_addc(s, '\f'); break;
		case 'n': ve_buf_addc(s, '\n'); break;
		case 'r': ve_buf_addc(s, '\r'); break;
		case 't': ve_buf_addc(s, '\t'); break;
		case 'u': {
			long cp = unicode_escape(w, p, &p);
			if (cp < 0)
				return NULL;
			add_utf8(s, (unsigned long)cp);
			break;
		}
		default: return NULL;
		}
		run = p;
	}
	if (p >= w->end)
		return NULL;
	ve_buf_add(s, run, (size_t)(p - run));
	return p + 1;
}

/* Appends the string just decoded, normalised, as JSON. */
static void
add_string(struct walk *w, struct ve_buf *out)
{
	struct ve_buf *s = &w->c->str, *t = &w->c->tmp;

	if (!w->norm) {
		ve_buf_add_json_str(out, s->p ? s->p : "", s->len);
		return;
	}
	ve_buf_reset(t);
	ve_norm(s->p ? s->p : "", s->len, w->norm, t);
	ve_buf_add_json_str(out, t->p ? t->p : "", t->len);
}

/* Whether the token t[0..n) is an integer in plain digits: -?(0|[1-9][0-9]*), not -0. */
static bool
plain_integer(const char *t, size_t n)
{
	size_t i = t[0] == '-';

	if (i == n || (t[i] == '0' && (n - i > 1 || i)))
		return false;
	for (; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return true;
}

/* After the literal at p: libjq's token ends at white space, a quote or punctuation. */
static const char *
literal_end(const struct walk *w, const char *p)
{
	while (p < w->end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '"' &&
	       *p != '[' && *p != ']' && *p != '{' && *p != '}' && *p != ',' && *p != ':')
		p++;
	return p;
}

/*
 * A literal (true, false, null or a number), which libjq reads as a token
 * ending at white space, a quote or punctuation. A plain integer keeps its
 * digits; any other number is written as jq prints the double it reads.
 */
static const char *
literal(struct walk *w, const char *p, struct ve_buf *out)
{
	const char *q = literal_end(w, p);
	struct ve_buf *t = &w->c->tmp;
	char *e;
	size_t n = (size_t)(q - p);

	if (n == 0)
		return NULL;
	if ((n == 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) ||
	    (n == 5 && !memcmp(p, "false", 5)) || plain_integer(p, n)) {
		ve_buf_add(out, p, n);
		return q;
	}
	ve_buf_reset(t);
	ve_buf_add(t, p, n);
	jv v = jv_number(strtod(t->p, &e));
	if (e == t->p + n)
		ve_json_canon(v, out);
	jv_free(v);
	return e == t->p + n ? q : NULL;
}

/* The order of keys: by their bytes, a prefix first (jq's, and ve_json_canon's). */
static int
key_cmp(const struct member *x, const struct member *y, const char *keys)
{
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(keys + x->key, keys + y->key, n);

	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* Members by key, and the same key by place, so the last of a repeated key is the last. */
static int
member_cmp(const void *a, const void *b, void *keys)
{
	const struct member *x = a, *y = b;
	int c = key_cmp(x, y, keys);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/*
 * Rewrites the n members written in out from offset body on in key order,
 * the last of a repeated key only (libjq keeps it); n becomes the number left.
 */
static void
sort_members(struct walk *w, struct member *m, size_t *n, struct ve_buf *out, size_t body)
{
	struct ve_buf *copy = &w->c->copy;
	size_t k = 0;

	ve_buf_reset(copy);
	ve_buf_add(copy, out->p + body, out->len - body);
	qsort_r(m, *n, sizeof *m, member_cmp, w->c->keys.p);
	out->len = body;
	for (size_t i = 0; i < *n; i++) {
		if (i + 1 < *n && key_cmp(&m[i], &m[i + 1], w->c->keys.p) == 0)
			continue;
		if (k)
			ve_buf_addc(out, ',');
		ve_buf_add(out, copy->p + (m[i].start - body), m[i].len);
		m[k++] = m[i];
	}
	*n = k;
}

/*
 * Copies the member at p ("name": value) to out, canonical, and where its
 * parts are into *m; after it, or NULL.
 */
static const char *
member(struct walk *w, const char *p, struct ve_buf *out, int depth, struct member *m)
{
	struct ve_buf *keys = &w->c->keys;

	if (p >= w->end || *p != '"' || !(p = string(w, p)))
		return NULL;
	m->key = keys->len;
	m->klen = w->c->str.len;
	ve_buf_add(keys, w->c->str.p ? w->c->str.p : "", m->klen);
	m->start = out->len;
	ve_buf_add_json_str(out, keys->p + m->key, m->klen);
	p = skip_ws(w, p);
	if (p >= w->end || *p != ':')
		return NULL;
	ve_buf_addc(out, ':');
	m->value = p = skip_ws(w, p + 1);
	if (!(p = value(w, p, out, depth + 1)))
		return NULL;
	m->len = out->len - m->start;
	return p;
}

/* An object: its members in turn, then in key order if they were not. */
static const char *
object(struct walk *w, const char *p, struct ve_buf *out, int depth)
{
	struct member small[16], *m = small;
	size_t n = 0, cap = 16, body, kbase = w->c->keys.len;
	bool sorted = true;
	const char *after = NULL;

	ve_buf_addc(out, '{');
	body = out->len;
	p = skip_ws(w, p + 1);
	while (p < w->end && *p != '}') {
		if (n == cap) {
			cap *= 2;
			m = m == small ? memcpy(ve_xmalloc(cap * sizeof *m), small, sizeof small)
			               : ve_xrealloc(m, cap * sizeof *m);
		}
		if (n)
			ve_buf_addc(out, ',');
		m[n].n = n;
		if (!(p = member(w, p, out, depth, &m[n])))
			goto out;
		/* Not after the one before: out of order, or a repeated key. */
		if (n && key_cmp(&m[n - 1], &m[n], w->c->keys.p) >= 0)
			sorted = false;
		n++;
		p = skip_ws(w, p);
		if (p < w->end && *p == ',')
			p = skip_ws(w, p + 1);
		else if (p >= w->end || *p != '}')
			goto out;
	}
	if (p >= w->end)
		goto out;
	if (!sorted)
		sort_members(w, m, &n, out, body);
	ve_buf_addc(out, '}');
	after = p + 1;
out:
	w->c->keys.len = kbase;
	if (m != small)
		free(m);
	return after;
}

static const char *
array(struct walk *w, const char *p, struct ve_buf *out, int depth)
{
	ve_buf_addc(out, '[');
	p = skip_ws(w, p + 1);
	if (p < w->end && *p == ']') {
		ve_buf_addc(out, ']');
		return p + 1;
	}
	for (;;) {
		if (!(p = value(w, p, out, depth + 1)))
			return NULL;
		p = skip_ws(w, p);
		if (p < w->end && *p == ',') {
			ve_buf_addc(out, ',');
			p = skip_ws(w, p + 1);
		} else if (p < w->end && *p == ']') {
			ve_buf_addc(out, ']');
			return p + 1;
		} else {
			return NULL;
		}
	}
}

/* Copies the value at p to out in canonical form; after it, or NULL. */
static const char *
value(struct walk *w, const char *p, struct ve_buf *out, int depth)
{
	if (p >= w->end || depth > MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '{': return object(w, p, out, depth);
	case '[': return array(w, p, out, depth);
	case '"':
		if (!(p = string(w, p)))
			return NULL;
		add_string(w, out);
		return p;
	default: return literal(w, p, out);
	}
}

/*
 * Whether the record ends at p: libjq takes white space after it, and the
 * record separator of JSON text sequences (RFC 7464, 0x1E) too.
 */
static bool
ends_at(const struct walk *w, const char *p)
{
	while (p < w->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\036'))
		p++;
	return p == w->end;
}

/* The start of the record's object in text[0..len), after a byte-order mark libjq skips. */
static const char *
record_start(const struct walk *w, const char *text, size_t len)
{
	const char *p = text;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	p = skip_ws(w, p);
	return p < w->end && *p == '{' ? p : NULL;
}

bool
ve_canon_record(struct ve_canon *c, const char *text, size_t len, unsigned norm, struct ve_buf *out)
{
	struct walk w = {c, text + len, norm};
	size_t start = out->len;
	const char *p = record_start(&w, text, len);

	if (p && (p = object(&w, p, out, 0)) && ends_at(&w, p))
		return true;
	out->len = start;
	if (out->p)
		out->p[start] = '\0';
	return false;
}

/*
 * After the string whose opening quote is at p, or NULL: the first quote
 * not escaped, found by memchr, then the backslashes before it counted.
 */
static const char *
skip_string(const struct walk *w, const char *p)
{
	const char *from = p + 1, *q;

	while ((q = memchr(from, '"', (size_t)(w->end - from)))) {
		size_t bs = 0;
		while (q - bs > p + 1 && q[-1 - (ptrdiff_t)bs] == '\\')
			bs++;
		if (bs % 2 == 0)
			return q + 1;
		from = q + 1;
	}
	return NULL;
}

/*
 * After the value at p, read over without a copy; NULL if it does not end.
 * Brackets are only counted: the text is one libjq has accepted.
 */
static const char *
skip_value(const struct walk *w, const char *p)
{
	size_t depth = 0;

	do {
		if (p >= w->end)
			return NULL;
		if (*p == '"') {
			if (!(p = skip_string(w, p)))
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++, p++;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return NULL;
			depth--, p++;
		} else if (depth) {
			p++;
		} else {
			p = literal_end(w, p);
		}
	} while (depth);
	return p;
}

/* Sets pick from the value at p: a string's bytes, normalised, or canonical JSON. */
static bool
pick_value(struct walk *w, const char *p, struct ve_canon_pick *pick)
{
	struct ve_buf *s = &w->c->str;

	pick->found = true;
	pick->string = *p == '"';
	ve_buf_reset(&pick->value);
	if (!pick->string)
		return value(w, p, &pick->value, 1) != NULL;
	if (!string(w, p))
		return false;
	if (w->norm)
		ve_norm(s->p ? s->p : "", s->len, w->norm, &pick->value);
	else
		ve_buf_add(&pick->value, s->p ? s->p : "", s->len);
	return true;
}

/*
 * Finds the member named key (klen bytes) of the record text[0..len): the
 * start of its value in *found (NULL when absent; the last of a repeated
 * name, which libjq keeps) and its end in *after. False where the text is
 * not an object as expected.
 */
static bool
find_member(struct walk *w, const char *text, size_t len, const char *key, size_t klen,
            const char **found, const char **after)
{
	const char *p = record_start(w, text, len);

	*found = *after = NULL;
	if (!p)
		return false;
	for (p = skip_ws(w, p + 1); p < w->end && *p != '}';) {
		if (*p != '"' || !(p = string(w, p)))
			return false;
		bool match = w->c->str.len == klen && !memcmp(w->c->str.p, key, klen);
		p = skip_ws(w, p);
		if (p >= w->end || *p != ':')
			return false;
		const char *v = skip_ws(w, p + 1);
		if (!(p = skip_value(w, v)))
			return false;
		if (match) {
			*found = v;
			*after = p;
		}
		p = skip_ws(w, p);
		if (p < w->end && *p == ',')
			p = skip_ws(w, p + 1);
		else if (p >= w->end || *p != '}')
			return false;
	}
	return p < w->end && ends_at(w, p + 1);
}

bool
ve_canon_pick(struct ve_canon *c, const char *text, size_t len, unsigned norm,
              struct ve_canon_pick *pick)
{
	struct walk w = {c, text + len, norm};
	const char *found, *after;

	pick->found = false;
	if (!find_member(&w, text, len, pick->key, pick->klen, &found, &after))
		return false;
	return !found || pick_value(&w, found, pick);
}

bool
ve_canon_member(struct ve_canon *c, const char *text, size_t len, const char *key, size_t klen,
                const char **value, size_t *vlen)
{
	struct walk w = {c, text + len, 0};
	const char *after;

	if (!find_member(&w, text, len, key, klen, value, &after))
		return false;
	*vlen = *value ? (size_t)(after - *value) : 0;
	return true;
}

const char *
ve_canon_line(struct ve_canon *c, const char *text, size_t len, unsigned norm, struct ve_buf *out,
              struct ve_buf *why)
{
	ve_buf_reset(out);
	if (!norm && ve_utf8_invalid_at(text, len) < 0 && ve_json_canon_text(text, len, out))
		return NULL;
	jv rec = ve_record_parse(text, len);
	if (!jv_is_valid(rec)) {
		ve_buf_reset(why);
		return ve_json_why(rec, "invalid JSON", why);
	}
	if (!ve_canon_record(c, text, len, norm, out))
		ve_json_canon_norm(rec, norm, out);
	jv_free(rec);
	return NULL;
}

int
ve_canon_element(const char *text, size_t len, size_t *at, const char **value, size_t *vlen)
{
	struct walk w = {NULL, text + len, 0};
	const char *p = skip_ws(&w, text + *at);

	if (*at == 0) {
		if (p >= w.end || *p != '[')
			return -1;
		p = skip_ws(&w, p + 1);
	} else if (p < w.end && *p == ',') {
		p = skip_ws(&w, p + 1);
	} else if (p < w.end && *p == ']') {
		return 0;
	} else {
		return -1;
	}
	if (p < w.end && *p == ']' && *at == 0)
		return 0;
	const char *end = skip_value(&w, p);
	if (!end)
		return -1;
	*value = p;
	*vlen = (size_t)(end - p);
	*at = (size_t)(end - text);
	return 1;
}

void
ve_canon_free(struct ve_canon *c)
{
	ve_buf_free(&c->keys);
	ve_buf_free(&c->str);
	ve_buf_free(&c->tmp);
	ve_buf_free(&c->copy);
}
