/*
 * Reading JSON text without building it: a check of the whole text, then
 * walks to the few values a caller wants, which it decodes or materialises
 * alone. llm-query reads a 50 KB echoed answer for a handful of logprobs
 * this way, where libjq would build and free every value of it.
 *
 * ve_scan_check says yes only to text that libjq 1.6's parser reads as the
 * same values: RFC 8259 JSON in valid UTF-8, plus the literals NaN,
 * Infinity and -Infinity that Python's json module writes (and libjq reads
 * as numbers), nested at most 200 deep, with every \u escape of a surrogate
 * in a high-low pair. No means "not known": parse with libjq, which decides.
 * Numbers are read with strtod, correctly rounded as libjq's own strtod is;
 * a repeated key is read as libjq reads it (the last value, at the first
 * key's place). The fuzz target tests/fuzz/answer.c checks the scanner
 * against libjq on any bytes.
 *
 * Everything else here reads only text that ve_scan_check accepted, and
 * trusts it. Spans borrow the caller's text, which must outlive them.
 */
#ifndef VE_SCAN_H
#define VE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <jv.h>

#include "buf.h"

/*
 * One value's text, without the space around it; p is NULL for a value that
 * is not there. Its first byte tells its kind: '{', '[', '"', 't', 'f', 'n'
 * (null), and a number otherwise (ve_scan_is_num).
 */
struct ve_span {
	const char *p;
	size_t len;
};

/*
 * A checked text: where its large containers end and how many values they
 * hold, noted by the check so that a walk past one (a 50 KB array of
 * logprobs) costs a lookup, not a second read of it, and where every K-th
 * element of an array starts, so that a walk to an array's last elements
 * (a continuation's logprobs) starts near them. It owns those tables
 * (ve_scan_free), not the text; zeroed, it is ready for a check, and a new
 * check reuses it.
 */
struct ve_scan {
	struct ve_scan_big {
		const char *p, *end; /* the container's brackets, end past the closing one */
		long n;              /* its members or elements */
	} * big;
	size_t nbig, cap;
	/* where elements K, 2K, ... of each array start (K fixed), sorted by array */
	struct ve_scan_mark {
		const char *arr, *at;
	} * marks;
	size_t nmarks, cmarks;
};

/* Whether text[0..len) is one value libjq reads as the scanner does; *root is it. */
bool ve_scan_check(struct ve_scan *doc, const char *text, size_t len, struct ve_span *root);
void ve_scan_free(struct ve_scan *doc);

/* A walk over the members of an object or the elements of an array. */
struct ve_scan_it {
	const struct ve_scan *doc;
	const char *p, *end;
	bool obj;
};
/* Starts a walk of v, an object or an array of doc's text. */
void ve_scan_begin(const struct ve_scan *doc, struct ve_span v, struct ve_scan_it *it);
/*
 * Starts a walk of array v at its element i: the next ve_scan_next gives
 * element i (nothing when v has no more than i elements).
 */
void ve_scan_begin_at(const struct ve_scan *doc, struct ve_span v, long i, struct ve_scan_it *it);
/*
 * The next member (its key, with quotes, in *key) or element (key is not
 * touched, and may be NULL); false at the end.
 */
bool ve_scan_next(struct ve_scan_it *it, struct ve_span *key, struct ve_span *val);
/*
 * The values of n keys (at most 8) of obj as libjq would give them: out[i]
 * is the last value of keys[i], or a span with p NULL when obj lacks it or
 * is no object.
 */
void ve_scan_pick(const struct ve_scan *doc, struct ve_span obj, const char *const *keys, size_t n,
                  struct ve_span *out);
/* Whether key (a string with its quotes) decodes to the NUL-terminated k. */
bool ve_scan_key_is(struct ve_span key, const char *k);

bool ve_scan_is_num(struct ve_span v);
/* Whether v is there and a string. */
bool ve_scan_is_str(struct ve_span v);
/* A number's value, as libjq reads it (NaN and the infinities included). */
double ve_scan_num(struct ve_span v);
/* Appends the bytes of string v (with its quotes), its escapes decoded. */
void ve_scan_str(struct ve_span v, struct ve_buf *out);
/* Whether strings a and b (with their quotes) decode to the same bytes. */
bool ve_scan_str_eq(struct ve_span a, struct ve_span b);
/* The elements of array v; -1 when v is no array (or not there). */
long ve_scan_length(const struct ve_scan *doc, struct ve_span v);
/* v as libjq's value, the caller's; an invalid jv when v is not there. */
jv ve_scan_jv(const struct ve_scan *doc, struct ve_span v);

#endif
