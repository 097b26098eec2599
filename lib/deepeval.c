/*
 * DeepEval's reading of judge replies (see deepeval.h). Re-implemented from
 * reading DeepEval 4.1.10 (a2e0d4cf): metrics/utils.py, metrics/g_eval/
 * g_eval.py and utils.py (calculate_weighted_summed_score), and the
 * _calculate_score and schema of answer_relevancy, faithfulness and
 * hallucination. The verdicts are pydantic v2 models: an item is an
 * object, its "verdict" exactly one of the literals, its "reason" a string
 * (or null where optional), other keys ignored.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "array.h"
#include "buf.h"
#include "deepeval.h"
#include "score.h"
#include "utf8.h"

/* The code point at s[i..n) and its length (1 for a byte that starts none). */
static int32_t
cp_at(const char *s, size_t i, size_t n, size_t *len)
{
	int32_t c;
	utf8proc_ssize_t k =
	    utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &c);

	*len = k > 0 ? (size_t)k : 1;
	return k > 0 ? c : -1;
}

/* re.sub(r",\s*([\]}])", r"\1", s): s[0..n) into out. */
static void
drop_trailing_commas(const char *s, size_t n, struct ve_buf *out)
{
	ve_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ',') {
			size_t j = i + 1, len;
			while (j < n && ve_utf8_py_space(cp_at(s, j, n, &len)))
				j += len;
			if (j < n && (s[j] == ']' || s[j] == '}')) {
				i = j - 1;
				continue;
			}
		}
		ve_buf_addc(out, s[i]);
	}
}

/* The 4 hex digits at s[0..n) as a number: false when they are not there. */
static bool
hex4(const char *s, size_t n, unsigned *u)
{
	*u = 0;
	for (size_t i = 0; i < 4; i++) {
		char c = i < n ? s[i] : 0;
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return false;
		*u = *u * 16 + (unsigned)d;
	}
	return true;
}

/*
 * s[0..n) into out with each escape of a lone surrogate (a \ud800 not
 * followed by a low one, a \udc00 alone) made \ufffd: json.loads takes
 * them, libjq refuses the text.
 */
static void
mend_surrogates(const char *s, size_t n, struct ve_buf *out)
{
	bool str = false;
	unsigned u, lo;

	ve_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		if (str && s[i] == '\\' && i + 1 < n) {
			size_t k = 2;
			if (s[i + 1] == 'u' && hex4(s + i + 2, n - i - 2, &u) && u >= 0xd800 &&
			    u <= 0xdfff) {
				bool pair = u <= 0xdbff && i + 12 <= n && s[i + 6] == '\\' &&
				            s[i + 7] == 'u' && hex4(s + i + 8, n - i - 8, &lo) &&
				            lo >= 0xdc00 && lo <= 0xdfff;
				if (!pair) {
					ve_buf_adds(out, "\\ufffd");
					i += 5;
					continue;
				}
				k = 12;
			}
			ve_buf_add(out, s + i, k);
			i += k - 1;
			continue;
		}
		str ^= s[i] == '"';
		ve_buf_addc(out, s[i]);
	}
}

/* json.loads of an object's text: the object, or jv_invalid(). */
static jv
load_object(const char *s, size_t n)
{
	struct ve_buf m = {0};

	if (n > INT32_MAX)
		return jv_invalid();
	mend_surrogates(s, n, &m);
	jv v = jv_parse_sized(m.p, (int)m.len);
	ve_buf_free(&m);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

jv
ve_judge_json(const char *s, size_t n, struct ve_buf *parsed)
{
	const char *a = memchr(s, '{', n), *b = memrchr(s, '}', n);
	struct ve_buf fixed = {0};

	ve_buf_reset(parsed);
	if (a && !b) {
		ve_buf_add(parsed, a, n - (size_t)(a - s));
		ve_buf_addc(parsed, '}');
	} else if (a && b > a) {
		ve_buf_add(parsed, a, (size_t)(b - a) + 1);
	} else {
		return jv_invalid();
	}
	jv v = load_object(parsed->p, parsed->len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		drop_trailing_commas(parsed->p, parsed->len, &fixed);
		ve_buf_reset(parsed);
		ve_buf_add(parsed, fixed.p, fixed.len);
		v = load_object(parsed->p, parsed->len);
	}
	ve_buf_free(&fixed);
	return v;
}

/* The end of the JSON string that opens at s[i] ('"'): the index past its closing quote. */
static size_t
string_end(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/*
 * Whether the object text j (valid JSON) gives its last top-level "score"
 * as an integer literal, which json.loads makes a Python int: 1 when it
 * does, 0 when it is a number with a fraction or exponent (a float), -1
 * when that member is no number or there is none.
 */
static int
score_is_int(const char *j, size_t n)
{
	int depth = 0, r = -1;

	for (size_t i = 0; i < n;) {
		char c = j[i];
		if (c == '"') {
			size_t e = string_end(j, i, n), k = e;
			bool key = depth == 1 && e - i == 7 && !memcmp(j + i, "\"score\"", 7);
			while (k < n &&
			       (j[k] == ' ' || j[k] == '\t' || j[k] == '\n' || j[k] == '\r'))
				k++;
			if (key && k < n && j[k] == ':') {
				for (k++; k < n && strchr(" \t\n\r", j[k]); k++)
					;
				size_t m = strspn(j + k, "-0123456789.eE+");
				r = m && k < n ? !memchr(j + k, '.', m) && !memchr(j + k, 'e', m) &&
				                     !memchr(j + k, 'E', m)
				               : -1;
			}
			i = e;
			continue;
		}
		depth += c == '{' || c == '[';
		depth -= c == '}' || c == ']';
		i++;
	}
	return r;
}

/* Python's str.strip() of s[0..n): the bounds of what is left. */
static void
py_strip(const char *s, size_t *a, size_t *b)
{
	size_t len;

	while (*a < *b && ve_utf8_py_space(cp_at(s, *a, *b, &len)))
		*a += len;
	while (*b > *a) {
		size_t k = *b - 1;
		while (k > *a && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		if (!ve_utf8_py_space(cp_at(s, k, *b, &len)))
			break;
		*b = k;
	}
}

/*
 * The digit a Unicode decimal digit (general category Nd) stands for, or
 * -1: its place in its block of ten, as Unicode puts each script's digits
 * 0-9 at consecutive code points.
 */
static int
nd_value(int32_t c)
{
	int k = 0;

	if (c < 0 || utf8proc_category(c) != UTF8PROC_CATEGORY_ND)
		return -1;
	while (c - k - 1 >= 0 && utf8proc_category(c - k - 1) == UTF8PROC_CATEGORY_ND)
		k++;
	return k % 10;
}

/* The value of a token of decimal digits (Python's isdecimal, then int()), or -1. */
static double
decimal_value(const char *t)
{
	size_t n = strlen(t), len;
	double v = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i += len) {
		int d = nd_value(cp_at(t, i, n, &len));
		if (d < 0)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

/*
 * Python's float(s) (int_only: int(s)) of a string: whitespace stripped, a
 * sign, digits (any script's decimal digits, as Python reads them) with
 * single underscores between them, and for float a fraction and an
 * exponent. False for what Python rejects and for inf and nan, which no
 * score can be.
 */
static bool
py_number(const char *str, size_t len, bool int_only, double *out)
{
	size_t a = 0, b = len, k;
	struct ve_buf t = {0}, m = {0};
	bool ok = true, digit = false, frac = false, exp = false;

	py_strip(str, &a, &b);
	/* In ASCII first: a digit of another script is its ASCII digit. */
	for (size_t i = a; i < b; i += k) {
		int32_t c = cp_at(str, i, b, &k);
		int d = c >= 0x80 ? nd_value(c) : -1;
		ve_buf_addc(&m, c >= 0 && c < 0x80 ? (char)c : d >= 0 ? (char)('0' + d) : '?');
	}
	const char *s = m.p ? m.p : "";
	a = 0;
	b = m.len;
	for (size_t i = a; i < b && ok; i++) {
		char c = s[i];
		bool prev = i > a && s[i - 1] >= '0' && s[i - 1] <= '9';
		if (c >= '0' && c <= '9') {
			digit = true;
		} else if (c == '_') {
			ok = prev && i + 1 < b && s[i + 1] >= '0' && s[i + 1] <= '9';
			continue;
		} else if (c == '+' || c == '-') {
			ok = i == a || (!int_only && (s[i - 1] == 'e' || s[i - 1] == 'E'));
		} else if (c == '.') {
			ok = !int_only && !frac && !exp;
			frac = true;
		} else if (c == 'e' || c == 'E') {
			ok = !int_only && digit && !exp;
			exp = true;
			digit = false;
		} else {
			ok = false;
		}
		ve_buf_addc(&t, c);
	}
	ok = ok && digit;
	if (ok) {
		char *end;
		*out = strtod(t.p, &end);
		ok = *end == 0 && isfinite(*out);
	}
	ve_buf_free(&t);
	ve_buf_free(&m);
	return ok;
}

/*
 * The reply's "score" as Python's str() writes it (what the weighting looks
 * for among the generated tokens) into txt: false when str() of it is no
 * text a token could be (a list, an object).
 */
static bool
score_text(jv sc, const struct ve_buf *json, struct ve_buf *txt)
{
	ve_buf_reset(txt);
	switch (jv_get_kind(sc)) {
	case JV_KIND_TRUE: ve_buf_adds(txt, "True"); return true;
	case JV_KIND_FALSE: ve_buf_adds(txt, "False"); return true;
	case JV_KIND_NULL: ve_buf_adds(txt, "None"); return true;
	case JV_KIND_STRING:
		ve_buf_add(txt, jv_string_value(sc), (size_t)jv_string_length_bytes(jv_copy(sc)));
		return true;
	case JV_KIND_NUMBER:
		/* json.loads makes "7" an int, "7.0" a float: str() writes "7" and "7.0". */
		if (score_is_int(json->p, json->len) == 1)
			ve_buf_addf(txt, "%.0f",
			            jv_number_value(sc) == 0 ? 0.0 : jv_number_value(sc));
		else
			ve_score_num(txt, jv_number_value(sc));
		return true;
	default: return false;
	}
}

/*
 * The reply's "score" as float() (strict: int()) reads it: false when
 * Python would raise, or for what no score can be (inf, nan).
 */
static bool
score_value(jv sc, bool strict, double *v)
{
	switch (jv_get_kind(sc)) {
	case JV_KIND_TRUE:
	case JV_KIND_FALSE: *v = jv_get_kind(sc) == JV_KIND_TRUE; return true;
	case JV_KIND_STRING:
		return py_number(jv_string_value(sc), (size_t)jv_string_length_bytes(jv_copy(sc)),
		                 strict, v);
	case JV_KIND_NUMBER:
		*v = jv_number_value(sc);
		if (strict)
			*v = trunc(*v) + 0.0; /* int() of a float (never -0); of an int, the same */
		return isfinite(*v);
	default: return false;
	}
}

/* calculate_weighted_summed_score's sums: one per integer score, in first-seen order. */
struct weights {
	double *score, *prob;
	size_t n, cap, pcap;
	double sum;
	bool bad; /* an alternative Python trips over: the raw score stands */
};

static void
add_weight(void *ctx, const char *token, double logprob)
{
	struct weights *w = ctx;
	double v;
	size_t i;

	/* In Python's order: the comparison, then the token's isdecimal. */
	if (isnan(logprob) || (logprob >= log(0.01) && !token)) {
		w->bad = true;
		return;
	}
	if (logprob < log(0.01) || (v = decimal_value(token)) < 0)
		return;
	double p = exp(logprob);
	for (i = 0; i < w->n && w->score[i] != v; i++)
		;
	if (i == w->n) {
		w->score = ve_grow(w->score, &w->cap, w->n + 1, sizeof *w->score);
		w->prob = ve_grow(w->prob, &w->pcap, w->n + 1, sizeof *w->prob);
		w->score[w->n] = v;
		w->prob[w->n++] = 0;
	}
	w->prob[i] += p;
	w->sum += p;
}

/*
 * G-Eval: the reply's score, weighted by the probabilities of the decimal
 * alternatives (1 % or more) of the last generated token that is the
 * score's text, else as it stands; scaled from its range to 0..1. In
 * DeepEval's order: the weighting first (a score "seven" whose token's
 * alternatives are digits is weighted), float() of what comes out last.
 */
static const char *
geval(const struct ve_judge_opts *o, jv resp, jv obj, const struct ve_buf *json, double *score)
{
	jv sc = ve_json_get(obj, "score"), reason = ve_json_get(obj, "reason");
	struct ve_buf txt = {0};
	struct weights w = {.n = 0};
	const char *why = NULL;
	double v = 0;

	if (!jv_is_valid(reason) || !jv_is_valid(sc)) {
		why = "judge reply: no \"score\" and \"reason\"";
	} else if (!o->strict && score_text(sc, json, &txt) &&
	           ve_score_top_last(resp, txt.p, add_weight, &w) && w.sum > 0 && !w.bad) {
		double sum = 0;
		for (size_t i = 0; i < w.n; i++)
			sum += w.score[i] * w.prob[i];
		v = sum / w.sum;
	} else if (!score_value(sc, o->strict, &v)) {
		why = "judge reply: \"score\" is not a number";
	}
	if (!why)
		*score = o->strict ? v : (v - o->lo) / (o->hi - o->lo);
	if (!why && !isfinite(*score))
		why = "judge reply: \"score\" is not a number";
	free(w.score);
	free(w.prob);
	ve_buf_free(&txt);
	jv_free(sc);
	jv_free(reason);
	return why;
}

/* One verdict item (consumed) as the schema takes it: 0 yes, 1 no, 2 idk, or -1. */
static int
verdict_of(const struct ve_judge_opts *o, jv item)
{
	bool hall = o->kind == VE_JUDGE_HALLUCINATION;
	int r = -1;

	if (jv_get_kind(item) != JV_KIND_OBJECT) {
		jv_free(item);
		return -1;
	}
	jv v = ve_json_get(item, "verdict"), why = ve_json_get(item, "reason");
	jv_free(item);
	if (jv_get_kind(v) == JV_KIND_STRING) {
		const char *s = jv_string_value(v);
		r = !strcmp(s, "yes")            ? 0
		    : !strcmp(s, "no")           ? 1
		    : !strcmp(s, "idk") && !hall ? 2
		                                 : -1;
	}
	if (jv_get_kind(why) != JV_KIND_STRING &&
	    (hall || (jv_is_valid(why) && jv_get_kind(why) != JV_KIND_NULL)))
		r = -1;
	jv_free(v);
	jv_free(why);
	return r;
}

const char *
ve_judge_verdicts(const struct ve_judge_opts *o, jv verdicts, double *score)
{
	int n, count[3] = {0, 0, 0};

	/* Verdicts.model_validate: a list, nothing else. */
	if (jv_get_kind(verdicts) != JV_KIND_ARRAY)
		return "judge reply: no \"verdicts\" list";
	n = jv_array_length(jv_copy(verdicts));
	for (int i = 0; i < n; i++) {
		int v = verdict_of(o, jv_array_get(jv_copy(verdicts), i));
		if (v < 0)
			return o->kind == VE_JUDGE_HALLUCINATION
			           ? "judge reply: a verdict is not {\"verdict\": \"yes\"|\"no\", "
			             "\"reason\": TEXT}"
			           : "judge reply: a verdict is not {\"verdict\": "
			             "\"yes\"|\"no\"|\"idk\", \"reason\"?: TEXT}";
		count[v]++;
	}
	if (o->kind == VE_JUDGE_HALLUCINATION) {
		*score = n ? (double)count[1] / n : 0;
		if (o->strict && *score > o->threshold)
			*score = 1;
	} else {
		int good =
		    n - count[1] - (o->penalize && o->kind == VE_JUDGE_FAITHFULNESS ? count[2] : 0);
		*score = n ? (double)good / n : 1;
		if (o->strict && *score < o->threshold)
			*score = 0;
	}
	return NULL;
}

const char *
ve_judge_score(const struct ve_judge_opts *o, jv resp, const char *s, size_t n, double *score)
{
	struct ve_buf json = {0};
	jv obj = ve_judge_json(s, n, &json);
	const char *why;

	if (!jv_is_valid(obj)) {
		why = "judge reply: no JSON object DeepEval can load";
	} else if (o->kind == VE_JUDGE_GEVAL) {
		why = geval(o, resp, obj, &json, score);
	} else {
		jv v = ve_json_get(obj, "verdicts");
		why = jv_is_valid(v) ? ve_judge_verdicts(o, v, score)
		                     : "judge reply: no \"verdicts\" list";
		jv_free(v);
	}
	jv_free(obj);
	ve_buf_free(&json);
	return why;
}

bool
ve_judge_passes(const struct ve_judge_opts *o, double score)
{
	return o->kind == VE_JUDGE_HALLUCINATION ? score <= o->threshold : score >= o->threshold;
}
