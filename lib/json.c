#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jq.h>

#include "diag.h"
#include "json.h"
#include "norm.h"

/*
 * libjq's parse errors end in "(while parsing '<the whole line>')": a record's
 * text, personal data and all, must not reach messages and logs. The line is
 * always line 1 of what was parsed, so "at line 1, column N" says no more
 * than "at column N". Consumes msg.
 */
static jv
parse_message(jv msg)
{
	const char *s = jv_string_value(msg);
	const char *cut = strstr(s, " (while parsing");
	const char *at = strstr(s, " at line 1, column ");
	struct ve_buf b = {0};

	if (at && (!cut || at < cut)) {
		ve_buf_add(&b, s, (size_t)(at - s));
		ve_buf_adds(&b, " at column ");
		s = at + strlen(" at line 1, column ");
	}
	ve_buf_add(&b, s, cut ? (size_t)(cut - s) : strlen(s));
	jv out = jv_string(b.p ? b.p : "");
	ve_buf_free(&b);
	jv_free(msg);
	return out;
}

/*
 * The first number of v that is not finite, as a reason, or NULL: jq 1.6
 * reads the literal nan as a number (JSON has none) and a number beyond a
 * double's range (1e400) as infinity, which no figure may be. Borrows v.
 */
static const char *
nonfinite(jv v)
{
	const char *why = NULL;

	switch (jv_get_kind(v)) {
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		return isnan(d)   ? "nan is not a number"
		       : isinf(d) ? "a number beyond a double's range"
		                  : NULL;
	}
	case JV_KIND_ARRAY:
		for (int i = 0, n = jv_array_length(jv_copy(v)); i < n && !why; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			why = nonfinite(e);
			jv_free(e);
		}
		return why;
	case JV_KIND_OBJECT:
		for (int it = jv_object_iter(v); jv_object_iter_valid(v, it) && !why;
		     it = jv_object_iter_next(v, it)) {
			jv e = jv_object_iter_value(v, it);
			why = nonfinite(e);
			jv_free(e);
		}
		return why;
	default: return NULL;
	}
}

/* The end of the string whose opening quote is just before p: its closing quote, or end. */
static const char *
string_end(const char *p, const char *end)
{
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q)
			return end;
		const char *b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if ((q - b) % 2 == 0)
			return q;
		p = q + 1;
	}
}

/*
 * Whether the text, outside its strings, holds what might be a number that
 * is not finite, so that the walk over the parsed values is worth its cost:
 * an n that does not start null, an N or an i (jq 1.6 reads nan, NaN, inf
 * and infinity in any case, signed or not), an exponent of three digits or
 * more, or a run of 200 digits (with an exponent of at most 99, a double
 * overflows only past 308 digits of mantissa). Other letters make no JSON
 * that libjq takes. Most records hold none of these, and skip the walk.
 */
/* may_be_nonfinite's classes: 1 quote, 2 digit, 3 e or E, 4 n, 5 N, i or I; 0 the rest. */
static const unsigned char literal_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static bool
may_be_nonfinite(const char *p, const char *end)
{
	const unsigned char *c = (const unsigned char *)p, *e = (const unsigned char *)end;

	while (c < e) {
		unsigned char k = literal_class[*c++];
		if (k == 0)
			continue;
		if (k == 1) {
			c = (const unsigned char *)string_end((const char *)c, end);
			c += c < e;
		} else if (k == 2) {
			const unsigned char *run = c - 1;
			while (c < e && literal_class[*c] == 2)
				c++;
			if (c - run >= 200)
				return true;
		} else if (k == 3) {
			c += c < e && (*c == '+' || *c == '-');
			if (e - c >= 3 && literal_class[c[0]] == 2 && literal_class[c[1]] == 2 &&
			    literal_class[c[2]] == 2)
				return true;
		} else if (k == 5 || c == e || *c != 'u')
			return true;
	}
	return false;
}

jv
ve_record_parse(const char *text, size_t len)
{
	long bad = ve_utf8_invalid_at(text, len);
	jv v;

	if (bad >= 0)
		return jv_invalid_with_msg(jv_string_fmt("invalid UTF-8 at byte %ld", bad + 1));
	/* jq 1.6 takes a raw NUL inside a string, though JSON allows no raw control byte. */
	const char *nul = memchr(text, '\0', len);
	if (nul)
		return jv_invalid_with_msg(jv_string_fmt("invalid JSON: a NUL byte at byte %zu",
		                                         (size_t)(nul - text) + 1));
	/* ... and takes 0x1E as RFC 7464's record separator, after which it reads no more. */
	const char *rs = memchr(text, 0x1e, len);
	if (rs)
		return jv_invalid_with_msg(
		    jv_string_fmt("invalid JSON: a record separator (0x1E) at byte %zu",
		                  (size_t)(rs - text) + 1));
	/* libjq takes an int length: a longer line must not be cut to a shorter one. */
	if (len > INT_MAX)
		return jv_invalid_with_msg(jv_string("invalid JSON: a line of 2 GiB or more"));
	v = jv_parse_sized(text, (int)len);
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		jv out = jv_string_fmt("invalid JSON: %s", jv_get_kind(msg) == JV_KIND_STRING
		                                               ? jv_string_value(msg)
		                                               : "empty line");
		jv_free(msg);
		return jv_invalid_with_msg(parse_message(out));
	}
	/* The walk over the values decides; a look at the literals says when to walk. */
	const char *why = may_be_nonfinite(text, text + len) ? nonfinite(v) : NULL;
	if (why) {
		jv_free(v);
		return jv_invalid_with_msg(jv_string_fmt("invalid JSON: %s", why));
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv out = jv_string_fmt("expected object, got %s", jv_kind_name(jv_get_kind(v)));
		jv_free(v);
		return jv_invalid_with_msg(out);
	}
	return v;
}

/*
 * jq 1.6 prints numbers with its own dtoa: integers below 1e15 come out as
 * plain digits, which is the common case and cheap to write here; anything
 * else goes through jq's own printer so the bytes stay identical.
 */
static void
add_number(jv v, struct ve_buf *out)
{
	double d = jv_number_value(v);

	if (d == trunc(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
		char digits[24], *p = digits + sizeof digits;
		long long n = (long long)d;
		unsigned long long u = n < 0 ? -(unsigned long long)n : (unsigned long long)n;
		do
			*--p = (char)('0' + u % 10);
		while (u /= 10);
		if (n < 0)
			*--p = '-';
		ve_buf_add(out, p, (size_t)(digits + sizeof digits - p));
		return;
	}
	jv s = jv_dump_string(jv_copy(v), 0);
	ve_buf_add(out, jv_string_value(s), ve_json_strlen(s));
	jv_free(s);
}

struct kv {
	const char *k;
	int klen;
	jv key;
	jv val;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->k, y->k, (size_t)n);

	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static void
add_value(jv v, struct ve_buf *out, bool sorted, unsigned norm)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL: ve_buf_add(out, "null", 4); break;
	case JV_KIND_TRUE: ve_buf_add(out, "true", 4); break;
	case JV_KIND_FALSE: ve_buf_add(out, "false", 5); break;
	case JV_KIND_NUMBER: add_number(v, out); break;
	case JV_KIND_STRING:
		if (norm) {
			struct ve_buf t = {0};
			ve_norm(jv_string_value(v), ve_json_strlen(v), norm, &t);
			ve_buf_add_json_str(out, t.p ? t.p : "", t.len);
			ve_buf_free(&t);
		} else {
			ve_buf_add_json_str(out, jv_string_value(v), ve_json_strlen(v));
		}
		break;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		ve_buf_addc(out, '[');
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			if (i)
				ve_buf_addc(out, ',');
			add_value(e, out, sorted, norm);
			jv_free(e);
		}
		ve_buf_addc(out, ']');
		break;
	}
	case JV_KIND_OBJECT: {
		/*
		 * The iterator calls borrow the object; jv_object_foreach would
		 * evaluate (and so copy) its argument on every step.
		 */
		int n = jv_object_length(jv_copy(v)), i = 0;
		struct kv small[16];
		struct kv *kvs = n <= 16 ? small : ve_xmalloc(sizeof *kvs * (size_t)n);
		for (int it = jv_object_iter(v); jv_object_iter_valid(v, it);
		     it = jv_object_iter_next(v, it)) {
			kvs[i].key = jv_object_iter_key(v, it);
			kvs[i].val = jv_object_iter_value(v, it);
			kvs[i].k = jv_string_value(kvs[i].key);
			kvs[i].klen = jv_string_length_bytes(jv_copy(kvs[i].key));
			i++;
		}
		if (sorted)
			qsort(kvs, (size_t)n, sizeof *kvs, kv_cmp);
		ve_buf_addc(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				ve_buf_addc(out, ',');
			ve_buf_add_json_str(out, kvs[i].k, (size_t)kvs[i].klen);
			ve_buf_addc(out, ':');
			add_value(kvs[i].val, out, sorted, norm);
			jv_free(kvs[i].val);
			jv_free(kvs[i].key);
		}
		ve_buf_addc(out, '}');
		if (kvs != small)
			free(kvs);
		break;
	}
	default: ve_buf_add(out, "null", 4); break;
	}
}

/*
 * The fast path of canonical JSON. It recognises a strict subset of JSON —
 * objects, arrays, strings without escapes, DEL or control bytes, integers,
 * true, false, null — and copies it in canonical form (keys
 * sorted). Anything else, valid or not, makes it give up (NULL), and the
 * caller asks libjq, which has the last word on what is JSON. Text in the
 * subset is JSON, so a record accepted here needs no libjq parse at all.
 * UTF-8 is checked by the caller.
 */
struct member {
	size_t key, klen;  /* the key's bytes (inside its quotes) in out */
	size_t start, len; /* the whole "key":value in out */
};

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *canon_text(const char *p, const char *end, struct ve_buf *out, int depth,
                              struct ve_json_pick *pick);

static const char *
canon_string(const char *p, const char *end, struct ve_buf *out)
{
	const char *q = p + 1;

	/*
	 * Eight bytes at a time while none is '"', '\\', below 0x20 or DEL
	 * (the bit tricks of "Bit Twiddling Hacks": haszero and hasless).
	 */
	while (q + 8 <= end) {
		uint64_t w, x, y;
		memcpy(&w, q, 8);
		const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
		x = w ^ (ones * '"');
		y = w ^ (ones * '\\');
		uint64_t hit = ((x - ones) & ~x) | ((y - ones) & ~y) | (w - ones * 0x20) |
		               (((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f)));
		if ((hit & ~w & highs) != 0)
			break;
		q += 8;
	}
	while (q < end && *q != '"') {
		unsigned char c = (unsigned char)*q;
		if (c == '\\' || c < 0x20 || c == 0x7f)
			return NULL;
		q++;
	}
	if (q >= end)
		return NULL;
	ve_buf_add(out, p, (size_t)(q + 1 - p));
	return q + 1;
}

static int
member_cmp(const void *a, const void *b, void *base)
{
	const struct member *x = a, *y = b;
	const char *o = base;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(o + x->key, o + y->key, n);

	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/*
 * Copies the "key":value member at p to out in canonical form, recording
 * where its parts went in *m. When its key is pick's, the value's canonical
 * text goes to pick too. NULL outside the subset.
 */
static const char *
canon_member(const char *p, const char *end, struct ve_buf *out, int depth, struct member *m,
             struct ve_json_pick *pick)
{
	m->start = out->len;
	m->key = out->len + 1;
	if (p >= end || *p != '"' || !(p = canon_string(p, end, out)))
		return NULL;
	m->klen = out->len - m->key - 1;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return NULL;
	ve_buf_addc(out, ':');
	if (!(p = canon_text(skip_ws(p + 1, end), end, out, depth + 1, NULL)))
		return NULL;
	m->len = out->len - m->start;
	if (pick && m->klen == pick->klen && memcmp(out->p + m->key, pick->key, pick->klen) == 0) {
		/* The value's canonical text follows "key": in out. */
		size_t v = m->key + m->klen + 2;
		ve_buf_reset(&pick->value);
		ve_buf_add(&pick->value, out->p + v, out->len - v);
		pick->found = true;
	}
	return p;
}

/*
 * Rewrites the n members m written in out from offset body on in key order,
 * from a copy of what was written. False on a repeated key: jq keeps the
 * last one, and libjq decides that.
 */
static bool
sort_members(struct member *m, size_t n, struct ve_buf *out, size_t body)
{
	size_t blen = out->len - body;
	char *copy = memcpy(ve_xmalloc(blen), out->p + body, blen);
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		m[i].key -= body, m[i].start -= body;
	qsort_r(m, n, sizeof *m, member_cmp, copy);
	out->len = body;
	for (size_t i = 0; i < n; i++) {
		if (i && m[i - 1].klen == m[i].klen &&
		    memcmp(copy + m[i - 1].key, copy + m[i].key, m[i].klen) == 0) {
			ok = false;
			break;
		}
		if (i)
			ve_buf_addc(out, ',');
		ve_buf_add(out, copy + m[i].start, m[i].len);
	}
	free(copy);
	return ok;
}

/* Doubles the members' room *cap, moving them off the stack (small) the first time. */
static struct member *
more_members(struct member *m, const struct member *small, size_t *cap)
{
	size_t n = *cap;

	*cap *= 2;
	if (m == small)
		return memcpy(ve_xmalloc(*cap * sizeof *m), small, n * sizeof *m);
	return ve_xrealloc(m, *cap * sizeof *m);
}

/* An object: its members copied in turn, then sorted by key if they were not. */
static const char *
canon_object(const char *p, const char *end, struct ve_buf *out, int depth,
             struct ve_json_pick *pick)
{
	struct member small[16], *m = small;
	size_t n = 0, cap = 16, start = out->len;
	bool sorted = true;
	const char *after = NULL;

	ve_buf_addc(out, '{');
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		goto close;
	for (;;) {
		if (n == cap)
			m = more_members(m, small, &cap);
		if (n)
			ve_buf_addc(out, ',');
		if (!(p = canon_member(p, end, out, depth, &m[n], pick)))
			goto out;
		if (n && sorted && member_cmp(&m[n - 1], &m[n], out->p) >= 0)
			sorted = false;
		n++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		goto out;
	}
	if (!sorted && !sort_members(m, n, out, start + 1))
		goto out;
close:
	ve_buf_addc(out, '}');
	after = p + 1;
out:
	if (m != small)
		free(m);
	return after;
}

static const char *
canon_text(const char *p, const char *end, struct ve_buf *out, int depth, struct ve_json_pick *pick)
{
	if (p >= end || depth >= 256)
		return NULL;
	switch (*p) {
	case '{': return canon_object(p, end, out, depth, pick);
	case '[':
		ve_buf_addc(out, '[');
		p = skip_ws(p + 1, end);
		if (p < end && *p == ']') {
			ve_buf_addc(out, ']');
			return p + 1;
		}
		for (;;) {
			if (!(p = canon_text(p, end, out, depth + 1, NULL)))
				return NULL;
			p = skip_ws(p, end);
			if (p < end && *p == ',') {
				ve_buf_addc(out, ',');
				p = skip_ws(p + 1, end);
				continue;
			}
			if (p < end && *p == ']') {
				ve_buf_addc(out, ']');
				return p + 1;
			}
			return NULL;
		}
	case '"': return canon_string(p, end, out);
	case 't':
	case 'n':
	case 'f': {
		const char *lit = *p == 't' ? "true" : *p == 'n' ? "null" : "false";
		size_t n = strlen(lit);
		if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
			return NULL;
		ve_buf_add(out, p, n);
		return p + n;
	}
	default: {
		/*
		 * -?(0|[1-9][0-9]*), and not -0, copied as it is. jq prints the
		 * same digits below 2^53; above, jq 1.6 would round (it holds
		 * doubles), and two distinct ids must not become one key. From
		 * 309 digits a double may overflow: libjq's path decides.
		 */
		const char *q = p + (*p == '-');
		const char *d = q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		size_t nd = (size_t)(q - d);
		if (nd == 0 || nd >= 309 || (nd > 1 && *d == '0') || (*p == '-' && *d == '0'))
			return NULL;
		if (q < end && *q != ',' && *q != ']' && *q != '}' && *q != ' ' && *q != '\t' &&
		    *q != '\n' && *q != '\r')
			return NULL;
		ve_buf_add(out, p, (size_t)(q - p));
		return q;
	}
	}
}

bool
ve_json_canon_pick(const char *text, size_t len, struct ve_buf *out, struct ve_json_pick *pick)
{
	const char *end = text + len;
	size_t start = out->len;
	const char *p = skip_ws(text, end);

	if (pick)
		pick->found = false;
	p = p < end && *p == '{' ? canon_text(p, end, out, 0, pick) : NULL;
	if (!p || skip_ws(p, end) != end) {
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
		return false;
	}
	return true;
}

bool
ve_json_canon_text(const char *text, size_t len, struct ve_buf *out)
{
	return ve_json_canon_pick(text, len, out, NULL);
}

void
ve_json_canon(jv v, struct ve_buf *out)
{
	add_value(v, out, true, 0);
}

void
ve_json_canon_norm(jv v, unsigned norm, struct ve_buf *out)
{
	add_value(v, out, true, norm);
}

void
ve_json_dump(jv v, struct ve_buf *out)
{
	add_value(v, out, false, 0);
}

jv
ve_json_get(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(key));
}

char *
ve_json_get_str(jv obj, const char *key)
{
	jv v = ve_json_get(obj, key);
	char *s = jv_get_kind(v) == JV_KIND_STRING ? ve_json_strdup(v, NULL) : NULL;

	jv_free(v);
	return s;
}

bool
ve_json_get_num(jv obj, const char *key, double *out)
{
	jv v = ve_json_get(obj, key);
	bool ok = jv_get_kind(v) == JV_KIND_NUMBER;

	if (ok)
		*out = jv_number_value(v);
	jv_free(v);
	return ok;
}

void
ve_json_fields(jv obj, const char *const *names, size_t n, jv *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = jv_invalid();
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return;
	for (int it = jv_object_iter(obj); jv_object_iter_valid(obj, it);
	     it = jv_object_iter_next(obj, it)) {
		jv k = jv_object_iter_key(obj, it);
		const char *key = jv_string_value(k);
		size_t klen = ve_json_strlen(k);
		for (size_t i = 0; i < n; i++)
			if (strlen(names[i]) == klen && !memcmp(names[i], key, klen)) {
				jv_free(out[i]);
				out[i] = jv_object_iter_value(obj, it);
				break;
			}
		jv_free(k);
	}
}

char *
ve_json_strdup(jv s, size_t *len)
{
	size_t n = ve_json_strlen(s);
	char *p = memcpy(ve_xmalloc(n + 1), jv_string_value(s), n);

	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

size_t
ve_json_strlen(jv s)
{
	return (size_t)jv_string_length_bytes(jv_copy(s));
}

struct ve_jq {
	jq_state *jq;
	const char *opt;
	struct ve_buf err;
};

static void
collect_error(void *data, jv msg)
{
	struct ve_jq *q = data;

	if (q->err.len)
		ve_buf_addc(&q->err, '\n');
	if (jv_get_kind(msg) == JV_KIND_STRING) {
		ve_buf_adds(&q->err, jv_string_value(msg));
	} else {
		jv s = jv_dump_string(jv_copy(msg), 0);
		ve_buf_adds(&q->err, jv_string_value(s));
		jv_free(s);
	}
	jv_free(msg);
}

/*
 * Builtins a record expression must not use: modules (libjq 1.6 aborts on
 * include and import without a library path), reading other input (input
 * crashes libjq without an input callback), and writing to stderr or
 * stopping the program (a record's text would reach the logs).
 */
static const char *const refused[] = {
    "include",           "import",   "input",        "inputs",     "input_filename",
    "input_line_number", "debug",    "stderr",       "halt",       "halt_error",
    "get_search_list",   "$__loc__", "$__prog_args", "modulemeta", NULL,
};

/* Whether the identifier at p (n bytes) is one of refused[]. */
static const char *
refused_word(const char *p, size_t n)
{
	for (const char *const *w = refused; *w; w++)
		if (strlen(*w) == n && !memcmp(p, *w, n))
			return *w;
	return NULL;
}

static bool
ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Skips what jq's lexer skips between tokens: whitespace and # comments. */
static const char *
skip_blank(const char *p)
{
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (*p != '#')
			return p;
		p += strcspn(p, "\n");
	}
}

/*
 * The refused variable the '$' at p names, or NULL; *end is set past the
 * name. jq's lexer reads '$' and the name as two tokens, so "$ __loc__"
 * (or a comment between them) is $__loc__ too.
 */
static const char *
refused_var(const char *p, const char **end)
{
	const char *name = skip_blank(p + 1), *q = name;

	while (ident_char(*q))
		q++;
	*end = q > name ? q : p + 1;
	for (const char *const *w = refused; *w; w++)
		if (**w == '$' && strlen(*w + 1) == (size_t)(q - name) &&
		    !memcmp(name, *w + 1, (size_t)(q - name)))
			return *w;
	return NULL;
}

/*
 * Whether the identifier from start to end is data, not a call: a field
 * (.name), the name a def defines, or an object key. A key is followed by
 * ':' directly inside braces, after '{' or ','; a name before ':' inside
 * brackets starts a slice (.[input:]) and is a call.
 */
static bool
ident_is_data(const char *e, const char *start, const char *end, char open, char prev,
              bool after_def)
{
	if ((start > e && start[-1] == '.') || after_def)
		return true;
	return *skip_blank(end) == ':' && open == '{' && (prev == '{' || prev == ',');
}

/*
 * The first refused builtin the program names, or NULL. A lexical scan
 * that follows jq's tokens: string literals are skipped but their
 * \(...) interpolations are code, comments are skipped, brackets are
 * tracked so that an object key is told from a slice, and fields, keys,
 * defined names and other variables are data.
 */
static const char *
refused_builtin(const char *e)
{
	char *open = ve_xmalloc(strlen(e) + 1); /* open brackets, innermost last; 'i': \( */
	size_t n = 0;
	const char *found = NULL, *p = e;
	char prev = 0; /* the last token outside strings: its character, or 'w' a word */
	bool in_str = false, after_def = false;

	while (*p && !found) {
		if (in_str) {
			if (*p == '\\' && p[1] == '(') {
				open[n++] = 'i', prev = '(', in_str = false, p += 2;
			} else if (*p == '\\' && p[1]) {
				p += 2;
			} else {
				in_str = *p++ != '"';
			}
			continue;
		}
		if (!*(p = skip_blank(p)))
			break;
		if (*p == '$') {
			found = refused_var(p, &p);
			prev = 'w', after_def = false;
		} else if (ident_char(*p)) {
			const char *start = p;
			while (ident_char(*p))
				p++;
			const char *w = refused_word(start, (size_t)(p - start));
			if (w && !ident_is_data(e, start, p, n ? open[n - 1] : 0, prev, after_def))
				found = w;
			after_def = p - start == 3 && !memcmp(start, "def", 3);
			prev = 'w';
		} else {
			if (*p == '"')
				in_str = true;
			else if (*p == '(' || *p == '[' || *p == '{')
				open[n++] = *p;
			else if ((*p == ')' || *p == ']' || *p == '}') && n)
				in_str = open[--n] == 'i' && *p == ')';
			prev = *p++;
			after_def = false;
		}
	}
	free(open);
	return found;
}

struct ve_jq *
ve_jq_compile(const char *opt, const char *expr)
{
	const char *bad = refused_builtin(expr);

	if (bad)
		ve_usage_error("%s: jq: %s is not allowed in an expression run on records", opt,
		               bad);
	struct ve_jq *q = ve_xcalloc(1, sizeof *q);

	q->opt = opt;
	if (!(q->jq = jq_init()))
		ve_die(VE_EX_SOFTWARE, "cannot initialise libjq");
	jq_set_error_cb(q->jq, collect_error, q);
	if (!jq_compile(q->jq, expr)) {
		/* jq reports each error and then "jq: N compile error(s)"; keep the first line. */
		char *nl = q->err.p ? strchr(q->err.p, '\n') : NULL;
		if (nl)
			*nl = '\0';
		ve_usage_error("%s: %s", opt, q->err.len ? q->err.p : "jq: cannot compile");
	}
	return q;
}

jv
ve_jq_first(struct ve_jq *q, jv input)
{
	jv r;

	jq_start(q->jq, input, 0);
	r = jq_next(q->jq);
	if (jv_is_valid(r))
		return r;
	if (jv_invalid_has_msg(jv_copy(r))) {
		jv msg = jv_invalid_get_msg(r);
		jv text = jv_get_kind(msg) == JV_KIND_STRING ? msg : jv_dump_string(msg, 0);
		jv out =
		    jv_invalid_with_msg(jv_string_fmt("%s: %s", q->opt, jv_string_value(text)));
		jv_free(text);
		return out;
	}
	jv_free(r);
	return jv_invalid();
}

void
ve_jq_free(struct ve_jq *q)
{
	if (!q)
		return;
	jq_teardown(&q->jq);
	ve_buf_free(&q->err);
	free(q);
}

jv_kind
ve_json_get_kind(jv obj, const char *key)
{
	jv v = ve_json_get(obj, key);
	jv_kind k = jv_get_kind(v);

	jv_free(v);
	return k;
}

const char *
ve_json_why(jv r, const char *none, struct ve_buf *why)
{
	if (!jv_invalid_has_msg(jv_copy(r))) {
		jv_free(r);
		return none;
	}
	jv msg = jv_invalid_get_msg(r);
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	ve_buf_reset(why);
	ve_buf_adds(why, jv_string_value(msg));
	jv_free(msg);
	return why->p;
}
