/*
 * Fuzz target: one JSONL record, any bytes (tests/fuzz/README.md).
 *
 * ds-hash keys a record that the fast path of canonical JSON declines by
 * ve_canon_record and ve_canon_pick, which read the text of a record libjq
 * has accepted. Where libjq accepts a record, they must succeed, and give
 * the bytes ve_json_canon_norm gives for libjq's value, and for each
 * top-level member the value jq's .NAME gives; except where the record
 * holds an integer beyond 2^53, which they keep as written and libjq
 * rounds. They may refuse a record that holds the byte 0x1E: libjq 1.6
 * takes it as the record separator of JSON text sequences (RFC 7464), and
 * after the record and two of them it reads nothing more, so that
 * {"a":1}<RS><RS>anything is accepted as {"a":1}; ds-hash then goes by
 * libjq's value. The normalisation is taken from the first byte, as in the
 * record target. Any disagreement aborts with a message, which libFuzzer
 * reports.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "json.h"
#include "norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
disagree(const char *what, const char *text, size_t len, const struct ve_buf *a,
         const struct ve_buf *b)
{
	fprintf(stderr, "canon: %s\n  input: %.*s\n  text:  %s\n  libjq: %s\n", what, (int)len,
	        text, a && a->p ? a->p : "", b && b->p ? b->p : "");
	abort();
}

/*
 * Whether the text may hold an integer beyond 2^53: a run of 16 digits or
 * more anywhere (in a string too: this only spares a comparison).
 */
static bool
may_hold_big_integer(const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		run = s[i] >= '0' && s[i] <= '9' ? run + 1 : 0;
		if (run >= 16)
			return true;
	}
	return false;
}

/* Whether two buffers hold the same bytes (an empty one may have no storage). */
static bool
same(const struct ve_buf *a, const struct ve_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* ve_canon_pick of key against libjq's member of rec (borrowed). */
static void
check_pick(struct ve_canon *c, const char *text, size_t len, jv rec, jv key, unsigned norm,
           bool big)
{
	struct ve_canon_pick pick = {.key = jv_string_value(key), .klen = ve_json_strlen(key)};
	struct ve_buf want = {0};
	jv v = jv_object_get(jv_copy(rec), jv_copy(key));

	if (!ve_canon_pick(c, text, len, norm, &pick))
		disagree("ve_canon_pick refused what libjq accepts", text, len, NULL, NULL);
	if (pick.found != jv_is_valid(v))
		disagree(pick.found ? "picked a key libjq lacks" : "missed a key libjq has", text,
		         len, &pick.value, NULL);
	if (jv_is_valid(v) && pick.string != (jv_get_kind(v) == JV_KIND_STRING))
		disagree("picked a string where libjq has none, or none where it has one", text,
		         len, &pick.value, NULL);
	if (jv_is_valid(v) && jv_get_kind(v) == JV_KIND_STRING)
		ve_norm(jv_string_value(v), ve_json_strlen(v), norm, &want);
	else if (jv_is_valid(v))
		ve_json_canon_norm(v, norm, &want);
	if (jv_is_valid(v) && !big && !same(&want, &pick.value))
		disagree("picked value differs", text, len, &pick.value, &want);
	jv_free(v);
	ve_buf_free(&want);
	ve_buf_free(&pick.value);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	unsigned norm = size ? data[0] & 0x1f : 0;
	struct ve_canon c = {0};
	struct ve_buf got = {0}, want = {0};
	jv rec = ve_record_parse(text, size);
	bool big = may_hold_big_integer(text, size);

	if (jv_is_valid(rec)) {
		if (!ve_canon_record(&c, text, size, norm, &got)) {
			if (!memchr(text, '\036', size))
				disagree("ve_canon_record refused what libjq accepts", text, size,
				         NULL, NULL);
			goto out;
		}
		ve_json_canon_norm(rec, norm, &want);
		if (!big && !same(&want, &got))
			disagree("canonical bytes differ", text, size, &got, &want);
		for (int it = jv_object_iter(rec); jv_object_iter_valid(rec, it);
		     it = jv_object_iter_next(rec, it)) {
			jv k = jv_object_iter_key(rec, it);
			check_pick(&c, text, size, rec, k, norm, big);
			jv_free(k);
		}
		jv absent = jv_string("absent key");
		check_pick(&c, text, size, rec, absent, norm, big);
		jv_free(absent);
	}
out:
	jv_free(rec);
	ve_canon_free(&c);
	ve_buf_free(&got);
	ve_buf_free(&want);
	return 0;
}
