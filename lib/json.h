/*
 * JSON values through libjq, and users' jq expressions.
 *
 * THE jv OWNERSHIP RULE (libjq 1.6). Every jv_* call consumes (frees) each
 * jv passed to it, except jv_copy and the borrowers: jv_get_kind,
 * jv_is_valid, jv_string_value, jv_number_value and the jv_object_iter
 * family (jv_object_iter, _iter_next, _iter_valid, _iter_key, _iter_value;
 * _iter_key and _iter_value return new references). Calls that only read
 * still consume: jv_string_length_bytes, jv_array_length, jv_array_get,
 * jv_object_length, jv_object_get and jv_invalid_has_msg. To keep x, pass
 * jv_copy(x): jv_array_length(jv_copy(a)), and
 * jv_invalid_has_msg(jv_copy(r)) before jv_invalid_get_msg(r). A pointer
 * from jv_string_value lives as long as its jv. Each jv local ends in
 * exactly one consuming call or jv_free.
 *
 * Functions here say whether they consume or borrow their jv arguments
 * (one that does not say consumes, as libjq's do) and whether what they
 * return is the caller's to free; valgrind in `make check` proves the rule.
 */
#ifndef VE_JSON_H
#define VE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <jv.h>

#include "buf.h"
#include "utf8.h"

/*
 * Parses one JSONL line that must hold one JSON object. Returns the object,
 * or an invalid jv whose message is the reason ("invalid JSON: ...",
 * "invalid UTF-8 at byte N", "expected object, got string"); either is the
 * caller's.
 */
jv ve_record_parse(const char *text, size_t len);

/*
 * Appends v's canonical JSON to out (borrows v): the bytes of jq 1.6's
 * `jq -cS .` — compact, object keys sorted by their bytes.
 */
void ve_json_canon(jv v, struct ve_buf *out);
/*
 * Recognises a record (a JSON object) in a strict subset of JSON and appends
 * its canonical form, the bytes of ve_json_canon: true. Integers above 2^53
 * are the exception: their digits are kept, where libjq's value would be
 * rounded. Outside the subset (escapes in strings, non-integer numbers,
 * repeated keys, and anything not JSON) it returns false with out
 * unchanged: parse with libjq then, which decides. text must be valid UTF-8
 * (ve_utf8_invalid_at).
 */
bool ve_json_canon_text(const char *text, size_t len, struct ve_buf *out);
/*
 * The same, also picking the canonical text of the record's top-level
 * member key (a string value keeps its quotes). pick->found says whether
 * the record has it.
 */
struct ve_json_pick {
	const char *key;
	size_t klen;
	struct ve_buf value;
	bool found;
};
bool ve_json_canon_pick(const char *text, size_t len, struct ve_buf *out,
                        struct ve_json_pick *pick);
/* ve_json_canon with every string value (not key) normalised by ve_norm(flags). */
void ve_json_canon_norm(jv v, unsigned flags, struct ve_buf *out);
/* Appends v as compact JSON in jq's form, keys in their order (borrows v). */
void ve_json_dump(jv v, struct ve_buf *out);

/*
 * Reading fields. Each borrows obj (which need not be an object) and what
 * it returns is the caller's: a jv to free, a string to free(3).
 */
/* obj[key], or an invalid jv without a message when obj is no object or lacks key. */
jv ve_json_get(jv obj, const char *key);
/* A copy of the string obj[key]; NULL when it is absent or no string. */
char *ve_json_get_str(jv obj, const char *key);
/* Whether obj[key] is a number; its value then in *out (else *out is left alone). */
bool ve_json_get_num(jv obj, const char *key, double *out);
/*
 * Several fields at once: out[i] = obj[names[i]], or an invalid jv as
 * ve_json_get gives, each the caller's to free. One walk over obj's
 * members, where ve_json_get makes a jq string of its key and hashes it
 * each time: for a record read for many fields, the cheaper way.
 */
void ve_json_fields(jv obj, const char *const *names, size_t n, jv *out);
/*
 * A NUL-terminated copy of the string s (borrowed), every byte of it, and
 * their count in *len unless len is NULL. A "\u0000" in s is a NUL inside.
 */
char *ve_json_strdup(jv s, size_t *len);
/* The bytes in the string s (borrowed): jv_string_length_bytes(jv_copy(s)). */
size_t ve_json_strlen(jv s);

/* A compiled user jq expression: compile once, run per record. */
struct ve_jq;

/*
 * Compiles expr for option opt (e.g. "--key"). A syntax error is a usage
 * error: "prog: --key: jq: error: ..." and exit 64.
 */
struct ve_jq *ve_jq_compile(const char *opt, const char *expr);
/*
 * Runs the expression on input (consumed) and returns its first output.
 * A jq error is returned as an invalid jv with a message; no output at all
 * as an invalid jv without one.
 */
jv ve_jq_first(struct ve_jq *q, jv input);
void ve_jq_free(struct ve_jq *q);

/*
 * The kind of obj[key] (obj borrowed): JV_KIND_INVALID when obj is no
 * object or lacks key. For flags and presence: JV_KIND_TRUE, JV_KIND_NULL.
 */
jv_kind ve_json_get_kind(jv obj, const char *key);

/*
 * Why r, an invalid jv (consumed; ve_record_parse's or ve_jq_first's), holds
 * no value: its message, copied into why (a message that is no string is
 * written as JSON), or none when it has no message. Returns why->p or none.
 */
const char *ve_json_why(jv r, const char *none, struct ve_buf *why);

#endif
