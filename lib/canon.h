/*
 * Canonical JSON of a record read from its own text, for any record libjq
 * accepts: the slow path of ds-hash's keys, where the fast one
 * (ve_json_canon_text) declines a record for its escapes, non-integer
 * numbers or repeated keys.
 *
 * The bytes are those of ve_json_canon (jq -cS: compact, object keys sorted
 * by their bytes, the last of a repeated key kept, strings in jq's escapes,
 * numbers as jq prints them), except for a number written as a plain
 * integer, -?(0|[1-9][0-9]*) but not -0: it keeps its digits as written,
 * as the fast path does. jq 1.6 holds numbers as doubles, and would round
 * 9007199254740993 to 9007199254740992: two distinct ids must not become
 * one key, whichever path a record takes. Only structure, strings and
 * numbers are read from the text; what is JSON is still libjq's to decide
 * (ve_record_parse), and the text must have passed it.
 */
#ifndef VE_CANON_H
#define VE_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Scratch space reused from record to record; zero-initialise it. */
struct ve_canon {
	struct ve_buf keys; /* the decoded keys of the objects open */
	struct ve_buf str;  /* a string's bytes, decoded */
	struct ve_buf tmp;  /* a string normalised, a number's token */
	struct ve_buf copy; /* an object's members, while they are sorted */
};

/* A top-level member to pick out of the record, as jq's .NAME would. */
struct ve_canon_pick {
	const char *key; /* its name, klen bytes */
	size_t klen;
	bool found;          /* the record has it */
	bool string;         /* it is a string: value holds its bytes, normalised */
	struct ve_buf value; /* otherwise its canonical JSON */
};

/*
 * Appends the canonical JSON of the record text[0..len), which
 * ve_record_parse has accepted, to out, every string value (not key)
 * normalised by ve_norm(norm) as ve_json_canon_norm does. False, with out
 * unchanged, where the text is not what it expects (the caller then goes
 * by libjq's value).
 */
bool ve_canon_record(struct ve_canon *c, const char *text, size_t len, unsigned norm,
                     struct ve_buf *out);
/*
 * Picks pick->key's member of the same record, as jq's .NAME would (the
 * last of a repeated name), into pick; the rest of the record is only read
 * over. False where the text is not what it expects.
 */
bool ve_canon_pick(struct ve_canon *c, const char *text, size_t len, unsigned norm,
                   struct ve_canon_pick *pick);
/*
 * The text of member key (klen bytes) of the object text[0..len), which
 * ve_record_parse has accepted (or which is a value inside such a record),
 * as written: its start in *value and its length in *vlen, *value NULL when
 * the object lacks it (of a repeated name the last, as jq's .NAME). False
 * where the text is no object. A path of keys (.meta.doc_id) is read by
 * calling it on each value in turn.
 */
bool ve_canon_member(struct ve_canon *c, const char *text, size_t len, const char *key, size_t klen,
                     const char **value, size_t *vlen);
/*
 * The canonical text of one input line as a whole-record key (ds-hash's
 * default key, ".") into out, reset first: ve_json_canon_text's fast path
 * when norm is 0, else ve_canon_record over what libjq accepts, else the
 * canonical JSON of libjq's value. Returns NULL, or why the line is no
 * record (a constant, or why's text).
 */
const char *ve_canon_line(struct ve_canon *c, const char *text, size_t len, unsigned norm,
                          struct ve_buf *out, struct ve_buf *why);
/*
 * The elements of the array text[0..len), which ve_record_parse has
 * accepted as part of a record: *at is 0 before the first call and is
 * moved past each element. Returns 1 with the next element's text as
 * written in *value and *vlen, 0 after the last, -1 where the text is no
 * array.
 */
int ve_canon_element(const char *text, size_t len, size_t *at, const char **value, size_t *vlen);
void ve_canon_free(struct ve_canon *c);

#endif
