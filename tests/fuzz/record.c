/*
 * Fuzz target: one JSONL record, any bytes (tests/fuzz/README.md).
 *
 * ve_record_parse must not crash on anything. Where the fast path of
 * canonical JSON (ve_json_canon_text, ve_json_canon_pick) accepts a text,
 * libjq, which has the last word on what JSON is, must accept it too as an
 * object, and ve_json_canon of what libjq parsed must give the same bytes:
 * ds-hash takes a record's key from either path, and the two must agree.
 * ve_utf8_invalid_at is checked against utf8proc's decoder, and canonical
 * text must be a fixed point (parsed again, it canonicalises to itself).
 * ve_json_object_fast's quick yes (ch-query's check of an answer) must
 * never be said to a line ve_record_parse refuses, and no record it accepts
 * may hold a number that is not finite (its look at the text decides when
 * to walk the values; the walk here always runs).
 * Any disagreement aborts with a message, which libFuzzer reports.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "json.h"
#include "jsoncheck.h"
#include "norm.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
disagree(const char *what, const char *text, size_t len, const struct ve_buf *a,
         const struct ve_buf *b)
{
	fprintf(stderr, "record: %s\n  input: %.*s\n  fast:  %s\n  libjq: %s\n", what, (int)len,
	        text, a && a->p ? a->p : "", b && b->p ? b->p : "");
	abort();
}

/* The first invalid byte by utf8proc's decoder, an independent reading of RFC 3629. */
static long
utf8_reference(const char *s, size_t len)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
		if (n < 1)
			return (long)i;
		i += (size_t)n;
	}
	return -1;
}

/*
 * Whether the canonical text holds an integer of magnitude above 2^53: the
 * fast path copies its digits as they are, so that two distinct ids never
 * become one key, where libjq would round it (see json.c's canon_text).
 */
static bool
has_big_integer(const char *s, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"') {
			in_str = !in_str; /* the fast path's strings hold no escapes */
			continue;
		}
		if (in_str || s[i] < '0' || s[i] > '9')
			continue;
		size_t j = i;
		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		if (j - i > 16 || (j - i == 16 && memcmp(s + i, "9007199254740992", 16) > 0))
			return true;
		i = j;
	}
	return false;
}

/* The fast path's pick of key against libjq's object (borrowed) member. */
static void
check_pick(const char *text, size_t len, jv obj, const char *key, size_t klen,
           const struct ve_buf *whole)
{
	struct ve_json_pick pick = {.key = key, .klen = klen};
	struct ve_buf out = {0}, want = {0};
	bool big = has_big_integer(whole->p, whole->len);

	if (!ve_json_canon_pick(text, len, &out, &pick))
		disagree("canon_text accepted what canon_pick refused", text, len, whole, NULL);
	if (out.len != whole->len || memcmp(out.p, whole->p, out.len) != 0)
		disagree("canon_pick and canon_text differ", text, len, &out, whole);
	jv v = jv_object_get(jv_copy(obj), jv_string_sized(key, (int)klen));
	if (pick.found != jv_is_valid(v))
		disagree(pick.found ? "picked a key libjq lacks" : "missed a key libjq has", text,
		         len, &pick.value, NULL);
	if (jv_is_valid(v)) {
		ve_json_canon(v, &want);
		if (!big && (want.len != pick.value.len || memcmp(want.p, pick.value.p, want.len)))
			disagree("picked value differs", text, len, &pick.value, &want);
	}
	jv_free(v);
	ve_buf_free(&out);
	ve_buf_free(&want);
	ve_buf_free(&pick.value);
}

/* The fast path accepted text as canonical: libjq must agree on every byte. */
static void
check_fast(const char *text, size_t len, const struct ve_buf *fast)
{
	jv rec = ve_record_parse(text, len);
	struct ve_buf slow = {0};

	if (!jv_is_valid(rec)) {
		jv msg = jv_invalid_get_msg(rec);
		struct ve_buf why = {0};
		ve_buf_adds(&why, jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
		disagree("fast path accepted what libjq refuses", text, len, fast, &why);
	}
	ve_json_canon(rec, &slow);
	if (!has_big_integer(fast->p, fast->len) &&
	    (slow.len != fast->len || memcmp(slow.p, fast->p, slow.len) != 0))
		disagree("canonical bytes differ", text, len, fast, &slow);
	/* Every top-level key, and one no record has. */
	for (int it = jv_object_iter(rec); jv_object_iter_valid(rec, it);
	     it = jv_object_iter_next(rec, it)) {
		jv k = jv_object_iter_key(rec, it);
		check_pick(text, len, rec, jv_string_value(k), ve_json_strlen(k), fast);
		jv_free(k);
	}
	check_pick(text, len, rec, "absent key", 10, fast);
	jv_free(rec);
	ve_buf_free(&slow);
}

/* Whether v (borrowed) holds a number that is not finite: every value visited. */
static bool
has_nonfinite(jv v)
{
	bool found = false;

	if (jv_get_kind(v) == JV_KIND_NUMBER)
		return !isfinite(jv_number_value(v));
	if (jv_get_kind(v) == JV_KIND_ARRAY)
		for (int i = 0; i < jv_array_length(jv_copy(v)) && !found; i++) {
			jv e = jv_array_get(jv_copy(v), i);
			found = has_nonfinite(e);
			jv_free(e);
		}
	if (jv_get_kind(v) == JV_KIND_OBJECT)
		for (int it = jv_object_iter(v); jv_object_iter_valid(v, it) && !found;
		     it = jv_object_iter_next(v, it)) {
			jv e = jv_object_iter_value(v, it);
			found = has_nonfinite(e);
			jv_free(e);
		}
	return found;
}

/* What libjq parsed, canonicalised, parses again to the same canonical bytes. */
static void
check_fixed_point(const char *text, size_t len, jv rec, unsigned norm)
{
	struct ve_buf once = {0}, twice = {0}, normed = {0}, dumped = {0};

	ve_json_canon(rec, &once);
	ve_json_dump(rec, &dumped);
	ve_json_canon_norm(rec, norm, &normed);
	jv again = ve_record_parse(once.p, once.len);
	if (!jv_is_valid(again))
		disagree("canonical text does not parse", text, len, &once, NULL);
	ve_json_canon(again, &twice);
	if (twice.len != once.len || memcmp(twice.p, once.p, once.len) != 0)
		disagree("canonical text is no fixed point", text, len, &once, &twice);
	jv_free(again);
	ve_buf_free(&once);
	ve_buf_free(&twice);
	ve_buf_free(&normed);
	ve_buf_free(&dumped);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct ve_buf fast = {0};
	long bad = ve_utf8_invalid_at(text, size);

	if (bad != utf8_reference(text, size)) {
		fprintf(stderr, "record: ve_utf8_invalid_at says %ld, utf8proc %ld\n", bad,
		        utf8_reference(text, size));
		abort();
	}
	if (bad < 0 && ve_json_canon_text(text, size, &fast))
		check_fast(text, size, &fast);
	ve_buf_free(&fast);

	jv rec = ve_record_parse(text, size);
	if (jv_is_valid(rec) && has_nonfinite(rec))
		disagree("ve_record_parse accepted a number that is not finite", text, size, NULL,
		         NULL);
	if (jv_is_valid(rec))
		check_fixed_point(text, size, rec, size ? data[0] & 0x1f : 0);
	else if (ve_json_object_fast(text, size))
		disagree("ve_json_object_fast says yes to what ve_record_parse refuses", text, size,
		         NULL, NULL);
	jv_free(rec);
	return 0;
}
