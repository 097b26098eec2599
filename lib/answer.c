#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "array.h"
#include "diag.h"
#include "json.h"
#include "num.h"

void
ve_answer_init(struct ve_answer *a, enum ve_api api, bool scan)
{
	memset(a, 0, sizeof *a);
	a->api = api;
	a->scan = scan;
	a->usage = jv_null();
	a->finish = jv_null();
	a->logprobs = jv_null();
}

void
ve_answer_reset(struct ve_answer *a)
{
	ve_buf_reset(&a->text);
	ve_buf_reset(&a->reasoning);
	a->has_reasoning = false;
	jv_free(a->usage);
	jv_free(a->finish);
	jv_free(a->logprobs);
	a->usage = jv_null();
	a->finish = jv_null();
	a->logprobs = jv_null();
	a->lp = (struct ve_span){NULL, 0};
}

void
ve_answer_free(struct ve_answer *a)
{
	ve_buf_free(&a->text);
	ve_buf_free(&a->reasoning);
	jv_free(a->usage);
	jv_free(a->finish);
	jv_free(a->logprobs);
	ve_scan_free(&a->doc);
}

/* Appends the arrays of a streamed chunk's logprobs (consumed) to what came before. */
static void
merge_logprobs(struct ve_answer *a, jv lp)
{
	if (jv_get_kind(lp) != JV_KIND_OBJECT) {
		jv_free(lp);
		return;
	}
	if (jv_get_kind(a->logprobs) != JV_KIND_OBJECT) {
		jv_free(a->logprobs);
		a->logprobs = lp;
		return;
	}
	jv_object_foreach(lp, k, v)
	{
		jv old = jv_object_get(jv_copy(a->logprobs), jv_copy(k));
		if (jv_get_kind(old) == JV_KIND_ARRAY && jv_get_kind(v) == JV_KIND_ARRAY)
			v = jv_array_concat(old, v);
		else
			jv_free(old);
		a->logprobs = jv_object_set(a->logprobs, k, v);
	}
	jv_free(lp);
}

/* A choice's logprobs (consumed): joined to a stream's, or the whole answer's. */
static void
take_logprobs(struct ve_answer *a, jv lp, bool delta)
{
	if (delta) {
		merge_logprobs(a, lp);
	} else {
		jv_free(a->logprobs);
		a->logprobs = lp;
	}
}

/*
 * Keeps the thought of a chat message or delta m (consumed), apart from the
 * content: "reasoning" as current vLLM's --reasoning-parser sends it, else
 * "reasoning_content" as older servers do.
 */
static void
take_reasoning(struct ve_answer *a, jv m)
{
	jv t = ve_json_get(m, "reasoning");

	if (jv_get_kind(t) != JV_KIND_STRING) {
		jv_free(t);
		t = ve_json_get(m, "reasoning_content");
	}
	if (jv_get_kind(t) == JV_KIND_STRING) {
		ve_buf_add(&a->reasoning, jv_string_value(t), ve_json_strlen(t));
		a->has_reasoning = true;
	}
	jv_free(t);
	jv_free(m);
}

/* Takes the text, thought, finish reason and logprobs of choices[0]; consumes c. */
static void
take_choice(struct ve_answer *a, jv c, bool delta)
{
	const char *msg = delta ? "delta" : "message";
	jv t = a->api == VE_API_CHAT
	           ? jv_getpath(jv_copy(c), JV_ARRAY(jv_string(msg), jv_string("content")))
	           : ve_json_get(c, "text");

	if (jv_get_kind(t) == JV_KIND_STRING)
		ve_buf_add(&a->text, jv_string_value(t), ve_json_strlen(t));
	jv_free(t);
	if (a->api == VE_API_CHAT)
		take_reasoning(a, ve_json_get(c, msg));
	jv f = ve_json_get(c, "finish_reason");
	if (jv_get_kind(f) == JV_KIND_STRING) {
		jv_free(a->finish);
		a->finish = f;
	} else {
		jv_free(f);
	}
	jv lp = ve_json_get(c, "logprobs");
	jv_free(c);
	take_logprobs(a, lp, delta);
}

/*
 * The choice of the record's own prompt (consumes ch): "index" 0 or no index.
 * A batch prompt's stream interleaves chunks of the other prompts, which are
 * not this record's tokens. Invalid when there is none.
 */
static jv
first_choice(jv ch)
{
	jv found = jv_invalid();

	if (jv_get_kind(ch) == JV_KIND_ARRAY) {
		jv_array_foreach(ch, i, c)
		{
			jv ix = ve_json_get(c, "index");
			jv_kind k = jv_get_kind(ix);
			bool mine = jv_get_kind(c) == JV_KIND_OBJECT &&
			            (k == JV_KIND_INVALID || k == JV_KIND_NULL ||
			             (k == JV_KIND_NUMBER && jv_number_value(ix) == 0));
			jv_free(ix);
			if (mine && !jv_is_valid(found))
				found = c;
			else
				jv_free(c);
		}
	}
	jv_free(ch);
	return found;
}

/* Keeps the "usage" object of an answer or a chunk (v borrowed). */
static void
take_usage(struct ve_answer *a, jv v)
{
	jv u = ve_json_get(v, "usage");

	if (jv_get_kind(u) == JV_KIND_OBJECT) {
		jv_free(a->usage);
		a->usage = u;
	} else {
		jv_free(u);
	}
}

/* ve_answer_take through libjq. */
static int
take_parsed(struct ve_answer *a, const char *text, size_t len, bool delta)
{
	jv v = jv_parse_sized(text, (int)len);
	int rc = VE_ANSWER_CHOICE;

	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return VE_ANSWER_NOT_OBJECT;
	}
	if (delta && ve_json_get_kind(v, "error") != JV_KIND_NULL &&
	    ve_json_get_kind(v, "error") != JV_KIND_INVALID) {
		jv_free(v);
		return VE_ANSWER_ERROR;
	}
	jv c = first_choice(ve_json_get(v, "choices"));
	if (jv_is_valid(c)) {
		take_choice(a, c, delta);
	} else {
		jv_free(c);
		if (!delta) {
			jv_free(v);
			return VE_ANSWER_NO_CHOICES;
		}
		rc = VE_ANSWER_NONE;
	}
	take_usage(a, v);
	jv_free(v);
	return rc;
}

/*
 * The members of a choice the scanner takes, picked in the one walk that
 * also reads its index (a stream's every event walks its choice once).
 */
enum { C_INDEX, C_TEXT, C_MESSAGE, C_DELTA, C_FINISH, C_LOGPROBS, NC };
static const char *const choice_keys[NC] = {"index", "text",          "message",
                                            "delta", "finish_reason", "logprobs"};

/*
 * The scanner's first_choice: the first object element of ch whose index is
 * absent, null or 0, with its members in f; a span with p NULL when there is none.
 */
static struct ve_span
first_choice_scan(const struct ve_scan *doc, struct ve_span ch, struct ve_span *f)
{
	struct ve_scan_it it;
	struct ve_span c, ix;

	if (!ch.p || *ch.p != '[')
		return (struct ve_span){NULL, 0};
	ve_scan_begin(doc, ch, &it);
	while (ve_scan_next(&it, NULL, &c)) {
		if (*c.p != '{')
			continue;
		ve_scan_pick(doc, c, choice_keys, NC, f);
		ix = f[C_INDEX];
		if (!ix.p || *ix.p == 'n' || (ve_scan_is_num(ix) && ve_scan_num(ix) == 0))
			return c;
	}
	return (struct ve_span){NULL, 0};
}

/* The scanner's take_choice: the same fields, decoded from the choice's members f. */
static void
take_choice_scan(struct ve_answer *a, const struct ve_span *f, bool delta)
{
	static const char *const mkeys[] = {"content", "reasoning", "reasoning_content"};
	struct ve_span m[3];

	if (a->api == VE_API_CHAT) {
		/* A message that is no object has no content, as jv_getpath finds. */
		ve_scan_pick(&a->doc, delta ? f[C_DELTA] : f[C_MESSAGE], mkeys, 3, m);
		if (ve_scan_is_str(m[0]))
			ve_scan_str(m[0], &a->text);
		struct ve_span r = ve_scan_is_str(m[1]) ? m[1] : m[2];
		if (ve_scan_is_str(r)) {
			ve_scan_str(r, &a->reasoning);
			a->has_reasoning = true;
		}
	} else if (ve_scan_is_str(f[C_TEXT])) {
		ve_scan_str(f[C_TEXT], &a->text);
	}
	if (ve_scan_is_str(f[C_FINISH])) {
		jv_free(a->finish);
		a->finish = ve_scan_jv(&a->doc, f[C_FINISH]);
	}
	if (delta) {
		merge_logprobs(a, ve_scan_jv(&a->doc, f[C_LOGPROBS]));
	} else {
		/* Left in the text: a loglikelihood reads a few of its values. */
		jv_free(a->logprobs);
		a->logprobs = jv_invalid();
		a->lp = f[C_LOGPROBS];
	}
}

/* ve_answer_take through the scanner, on text it checked (root, an object). */
static int
take_scanned(struct ve_answer *a, struct ve_span root, bool delta)
{
	static const char *const keys[] = {"choices", "usage", "error"};
	struct ve_span f[3];

	ve_scan_pick(&a->doc, root, keys, 3, f);
	if (delta && f[2].p && *f[2].p != 'n')
		return VE_ANSWER_ERROR;
	struct ve_span cf[NC];
	struct ve_span c = first_choice_scan(&a->doc, f[0], cf);
	if (!c.p && !delta)
		return VE_ANSWER_NO_CHOICES;
	if (c.p)
		take_choice_scan(a, cf, delta);
	if (f[1].p && *f[1].p == '{') {
		jv_free(a->usage);
		a->usage = ve_scan_jv(&a->doc, f[1]);
	}
	return c.p ? VE_ANSWER_CHOICE : VE_ANSWER_NONE;
}

int
ve_answer_take(struct ve_answer *a, const char *text, size_t len, bool delta)
{
	struct ve_span root;

	a->lp = (struct ve_span){NULL, 0};
	if (a->scan && ve_scan_check(&a->doc, text, len, &root) && *root.p == '{')
		return take_scanned(a, root, delta);
	return take_parsed(a, text, len, delta);
}

jv
ve_answer_logprobs(const struct ve_answer *a)
{
	return a->lp.p ? ve_scan_jv(&a->doc, a->lp) : jv_copy(a->logprobs);
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/*
 * The ids of checked array t when all are plain integers, appended to out
 * as ve_json_dump would write them, and their count; else -1 and out as it
 * was. A plain integer is -?(0|[1-9][0-9]*) of at most 15 digits and not
 * -0: below 1e15, held exactly by a double, and dumped as the same digits.
 * Two plain integers are equal exactly when their texts are. One pass over
 * the bytes: a /tokenize answer is mostly this array.
 */
static long
ids_text(struct ve_span t, bool drop_twin, struct ve_buf *out)
{
	const char *p = t.p + 1, *end = t.p + t.len - 1, *first = NULL;
	size_t start = out->len, nfirst = 0;
	long n = 0;

	ve_buf_grow(out, t.len);
	char *w = out->p + start;
	*w++ = '[';
	for (p = skip_space(p, end); p < end; n++) {
		const char *d = p + (*p == '-'), *e = d;
		while (e < end && *e >= '0' && *e <= '9')
			e++;
		size_t nd = (size_t)(e - d);
		if (nd == 0 || nd > 15 || (*d == '0' && (nd > 1 || d > p))) {
			out->p[start] = '\0';
			return -1;
		}
		if (n == 0)
			first = p, nfirst = (size_t)(e - p);
		else
			*w++ = ',';
		if (n == 1 && drop_twin && (size_t)(e - p) == nfirst &&
		    memcmp(p, first, nfirst) == 0)
			w = out->p + start + 1, n--,
			nfirst = 0; /* the second id takes the first's place */
		memcpy(w, p, (size_t)(e - p));
		w += e - p;
		/* Checked JSON: after a number comes a comma, the end, or what makes it no plain
		 * one. */
		p = skip_space(e, end);
		if (p < end && *p++ != ',') {
			out->p[start] = '\0';
			return -1;
		}
		p = skip_space(p, end);
	}
	*w++ = ']';
	*w = '\0';
	out->len = (size_t)(w - out->p);
	return n;
}

/*
 * ids_text's usual case in one copy: an array of digits and commas alone
 * (no space, no sign), every run of digits at most 15 long, is its own
 * dump. Eight bytes are read at once, as lib/scan.c reads digits: the
 * tests add at most 0x7f to bytes of seven bits, so no carry crosses a
 * byte and every mask is exact. -1, and out as it was, when it is not the
 * case (ids_text then decides).
 */
static long
ids_copy(struct ve_span t, struct ve_buf *out)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t seven = 0x7f7f7f7f7f7f7f7fu, high = 0x8080808080808080u,
	               ones = 0x0101010101010101u;
	const char *p = t.p + 1, *end = t.p + t.len - 1;
	long commas = 0;
	size_t run = 0; /* digits since the last comma */

	if (p == end)
		return -1;
	while (end - p >= 8) {
		uint64_t x, lo;
		memcpy(&x, p, 8);
		lo = x & seven;
		/* Not a digit: a high bit, above '9', or below '0'. */
		uint64_t nondigit = (x | (lo + ones * 0x46) | ~(lo + ones * 0x50)) & high;
		uint64_t c = x ^ (ones * ',');
		uint64_t comma = ~(((c & seven) + seven) | c) & high;
		if (nondigit & ~comma)
			return -1;
		if (!comma) {
			if ((run += 8) > 15)
				return -1;
		} else {
			if (run + (size_t)(__builtin_ctzll(comma) >> 3) > 15)
				return -1;
			run = 7 - (size_t)((63 - __builtin_clzll(comma)) >> 3);
			/* A byte's count in each byte, summed into the top one: no popcount
			 * instruction needed. */
			commas += (long)(((comma >> 7) * ones) >> 56);
		}
		p += 8;
	}
	for (; p < end; p++) {
		if (*p == ',') {
			commas++;
			run = 0;
		} else if (*p < '0' || *p > '9' || ++run > 15) {
			return -1;
		}
	}
	ve_buf_add(out, t.p, t.len);
	return commas + 1;
#else
	(void)t, (void)out;
	return -1;
#endif
}

/* The same of libjq's value t (consumed): -1 when it is no array. */
static long
ids_jv(jv t, bool drop_twin, struct ve_buf *out)
{
	if (jv_get_kind(t) != JV_KIND_ARRAY) {
		jv_free(t);
		return -1;
	}
	if (drop_twin && jv_array_length(jv_copy(t)) > 1 &&
	    jv_equal(jv_array_get(jv_copy(t), 0), jv_array_get(jv_copy(t), 1)))
		t = jv_array_slice(t, 1, jv_array_length(jv_copy(t)));
	long n = jv_array_length(jv_copy(t));
	ve_json_dump(t, out);
	jv_free(t);
	return n;
}

long
ve_answer_ids(struct ve_answer *a, const char *text, size_t len, bool drop_twin, bool *parsed,
              struct ve_buf *out)
{
	static const char *const key[] = {"tokens"};
	struct ve_span root, t;
	long n;

	if (a->scan && ve_scan_check(&a->doc, text, len, &root)) {
		*parsed = true;
		ve_scan_pick(&a->doc, root, key, 1, &t);
		n = !t.p || *t.p != '[' ? -1 : drop_twin ? -1 : ids_copy(t, out);
		if (n < 0 && t.p && *t.p == '[')
			n = ids_text(t, drop_twin, out);
		if (n < 0)
			n = ids_jv(ve_scan_jv(&a->doc, t), drop_twin, out);
		return n;
	}
	jv v = jv_parse_sized(text, (int)len);
	*parsed = jv_is_valid(v);
	n = ids_jv(ve_json_get(v, "tokens"), drop_twin, out);
	jv_free(v);
	return n;
}

/*
 * The arrays of echoed logprobs a loglikelihood reads, as libjq's values
 * (v) or, when the scanner read the answer, as their text (s).
 */
enum { TLP, TOP, TOKENS, OFFSETS, NLP };
struct lp_arrays {
	bool scanned;
	const struct ve_scan *doc;
	jv v[NLP];
	struct ve_span s[NLP];
};

static const char *const lp_keys[NLP] = {"token_logprobs", "top_logprobs", "tokens", "text_offset"};

/* a[i] when it is a number (a borrowed); else 0 and *ok cleared. */
static double
num_at(jv a, int i, bool *ok)
{
	jv x = jv_array_get(jv_copy(a), i);
	double d = 0;

	if (jv_get_kind(x) == JV_KIND_NUMBER)
		d = jv_number_value(x);
	else
		*ok = false;
	jv_free(x);
	return d;
}

/* The same of an element's text (e.p NULL: past the end). */
static double
num_of(struct ve_span e, bool *ok)
{
	if (ve_scan_is_num(e))
		return ve_scan_num(e);
	*ok = false;
	return 0;
}

/* The next element of a walk, or a span with p NULL past its end. */
static struct ve_span
next_elem(struct ve_scan_it *it)
{
	struct ve_span e;

	return ve_scan_next(it, NULL, &e) ? e : (struct ve_span){NULL, 0};
}

/*
 * The context's end in the text way: the first text_offset that reaches
 * want code points. false when text_offset is no array of numbers up to there.
 */
static bool
context_end(const struct lp_arrays *l, long want, long *ctxlen)
{
	bool ok = true;

	*ctxlen = 0;
	if (!l->scanned) {
		jv off = l->v[OFFSETS];
		ok = jv_get_kind(off) == JV_KIND_ARRAY;
		int noff = ok ? jv_array_length(jv_copy(off)) : 0;
		for (; ok && *ctxlen < noff && num_at(off, (int)*ctxlen, &ok) < (double)want;
		     (*ctxlen)++)
			;
		return ok;
	}
	struct ve_scan_it it;
	struct ve_span e;
	if (!l->s[OFFSETS].p || *l->s[OFFSETS].p != '[')
		return false;
	ve_scan_begin(l->doc, l->s[OFFSETS], &it);
	while (ok && ve_scan_next(&it, NULL, &e) && num_of(e, &ok) < (double)want)
		(*ctxlen)++;
	return ok;
}

/* Whether tokens[i] is the key of top[i] with the highest logprob (both borrowed arrays). */
static bool
is_top1(jv top, jv tokens, int i)
{
	jv t = jv_array_get(jv_copy(top), i);
	jv tok = jv_array_get(jv_copy(tokens), i);
	double best = -INFINITY;
	bool top1 = false;

	if (jv_get_kind(t) == JV_KIND_OBJECT && jv_get_kind(tok) == JV_KIND_STRING) {
		jv_object_foreach(t, k, v)
		{
			/* The first key of the highest logprob is the top-1. */
			if (jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) > best) {
				best = jv_number_value(v);
				top1 = jv_equal(k, jv_copy(tok));
			} else {
				jv_free(k);
			}
			jv_free(v);
		}
	}
	jv_free(t);
	jv_free(tok);
	return top1;
}

/*
 * is_top1 on the text of top[i] and tokens[i]. libjq's object keeps a
 * repeated key at its first place with its last value, and is_top1 walks it
 * in that order: so does this, over the members in the text.
 */
static bool
is_top1_scan(const struct ve_scan *doc, struct ve_span t, struct ve_span tok)
{
	struct ve_scan_it it;
	struct ve_span k, v, *ks = NULL, *vs = NULL;
	size_t n = 0, ck = 0, cv = 0;
	double best = -INFINITY;
	bool top1 = false;

	if (!t.p || *t.p != '{' || !ve_scan_is_str(tok))
		return false;
	ve_scan_begin(doc, t, &it);
	while (ve_scan_next(&it, &k, &v)) {
		size_t i = 0;
		while (i < n && !ve_scan_str_eq(ks[i], k))
			i++;
		if (i == n) {
			ks = ve_grow(ks, &ck, n + 1, sizeof *ks);
			vs = ve_grow(vs, &cv, n + 1, sizeof *vs);
			ks[n++] = k;
		}
		vs[i] = v;
	}
	for (size_t i = 0; i < n; i++)
		if (ve_scan_is_num(vs[i]) && ve_scan_num(vs[i]) > best) {
			best = ve_scan_num(vs[i]);
			top1 = ve_scan_str_eq(ks[i], tok);
		}
	free(ks);
	free(vs);
	return top1;
}

/* The sum of token_logprobs over [from, to) and whether each token was the top-1. */
static void
sum_span(const struct lp_arrays *l, long from, long to, double *sum, bool *greedy, bool *ok)
{
	if (!l->scanned) {
		for (long i = from; i < to; i++) {
			*sum += num_at(l->v[TLP], (int)i, ok);
			if (*greedy && !is_top1(l->v[TOP], l->v[TOKENS], (int)i))
				*greedy = false;
		}
		return;
	}
	struct ve_scan_it tlp, top, tokens;
	/* The continuation is at the end of arrays of a whole prompt (score checked all three). */
	ve_scan_begin_at(l->doc, l->s[TLP], from, &tlp);
	ve_scan_begin_at(l->doc, l->s[TOP], from, &top);
	ve_scan_begin_at(l->doc, l->s[TOKENS], from, &tokens);
	for (long i = from; i < to; i++) {
		struct ve_span x = next_elem(&tlp), t = next_elem(&top), tok = next_elem(&tokens);
		*sum += num_of(x, ok);
		if (*greedy && !is_top1_scan(l->doc, t, tok))
			*greedy = false;
	}
}

/* The arrays of a's logprobs, the caller's to free with lp_free. */
static void
lp_open(const struct ve_answer *a, struct lp_arrays *l)
{
	l->scanned = a->lp.p != NULL;
	l->doc = &a->doc;
	if (l->scanned) {
		ve_scan_pick(&a->doc, a->lp, lp_keys, NLP, l->s);
		for (int i = 0; i < NLP; i++)
			l->v[i] = jv_invalid();
	} else {
		ve_json_fields(a->logprobs, lp_keys, NLP, l->v);
	}
}

static void
lp_free(struct lp_arrays *l)
{
	for (int i = 0; i < NLP; i++)
		jv_free(l->v[i]);
}

/*
 * Where the continuation's tokens are in the echoed prompt, [*ctxlen, *end):
 * by /tokenize's counts, or the text way: from the first text_offset that
 * reaches the context's length in code points to the prompt's token count
 * in usage (else all ntok tokens but the one generated). NULL, or why the
 * answer does not tell.
 */
static const char *
continuation_span(const struct ve_answer *a, const struct lp_arrays *l, const struct ve_ll_span *w,
                  long ntok, long *ctxlen, long *end)
{
	if (w->by_tokens) {
		*ctxlen = w->ctx_tokens;
		*end = w->all_tokens;
		return NULL;
	}
	if (!context_end(l, w->ctx_chars, ctxlen))
		return "the answer has no text_offset";
	double pt;
	bool counted = ve_json_get_num(a->usage, "prompt_tokens", &pt) && pt >= 0 && pt <= 1e9;
	*end = counted ? (long)pt : ntok - 1;
	return NULL;
}

/* ve_answer_score's checks and sum, on the arrays of l. */
static const char *
score(const struct ve_answer *a, const struct lp_arrays *l, const struct ve_ll_span *w, char *why,
      size_t size, long *n, double *sum, bool *greedy)
{
	long ntok = l->scanned                                ? ve_scan_length(l->doc, l->s[TLP])
	            : jv_get_kind(l->v[TLP]) == JV_KIND_ARRAY ? jv_array_length(jv_copy(l->v[TLP]))
	                                                      : -1;
	long ctxlen = 0, end = 0;
	bool ok = true;

	if (ntok < 0)
		return "the answer has no token_logprobs (does the server support logprobs?)";
	const char *bad = continuation_span(a, l, w, ntok, &ctxlen, &end);
	if (bad)
		return bad;
	if (ntok < end) {
		snprintf(why, size,
		         "the server ignored echo: %ld token logprobs for a prompt of %ld tokens",
		         ntok, end);
		return why;
	}
	if (ctxlen >= end)
		return "the continuation has no tokens of its own";
	bool arrays = l->scanned ? l->s[TOP].p && *l->s[TOP].p == '[' && l->s[TOKENS].p &&
	                               *l->s[TOKENS].p == '['
	                         : jv_get_kind(l->v[TOP]) == JV_KIND_ARRAY &&
	                               jv_get_kind(l->v[TOKENS]) == JV_KIND_ARRAY;
	if (!arrays)
		return "the answer has no tokens and top_logprobs (does the server support "
		       "logprobs?)";
	*sum = 0;
	*greedy = true;
	sum_span(l, ctxlen, end, sum, greedy, &ok);
	if (!ok)
		return "a continuation token has no logprob";
	*n = end - ctxlen;
	return NULL;
}

const char *
ve_answer_score(const struct ve_answer *a, const struct ve_ll_span *w, char *why, size_t size,
                struct ve_buf *out)
{
	struct lp_arrays l;
	double sum = 0;
	bool greedy = false;
	long n = 0;
	char num[VE_NUM_G_SIZE];

	lp_open(a, &l);
	const char *bad = score(a, &l, w, why, size, &n, &sum, &greedy);
	lp_free(&l);
	if (bad)
		return bad;
	/* The shortest form of the sum that reads back as it, as Python's repr prints it. */
	ve_buf_adds(out, "\"loglikelihood\":{\"sum\":");
	ve_buf_adds(out, ve_num_g(num, sizeof num, sum, 15));
	ve_buf_addf(out, ",\"n_tokens\":%ld,\"greedy\":%s,\"method\":\"%s\"}", n,
	            greedy ? "true" : "false", w->by_tokens ? "tokens" : "text_offset");
	return NULL;
}
