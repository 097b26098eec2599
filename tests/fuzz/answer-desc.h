/*
 * What lib/answer.h takes from a text, written out whole, for the
 * differential checks of the scanner against libjq: answer-check.c (the
 * driver tests/answer.bats runs) and the fuzz target answer.c both write
 * it once with the scanner and once with libjq alone and compare.
 */
#ifndef FUZZ_ANSWER_DESC_H
#define FUZZ_ANSWER_DESC_H

#include <stdbool.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "json.h"

/* How to read the text: as llm-query reads a whole answer, a stream or /tokenize's answer. */
enum desc_mode { DESC_WHOLE, DESC_EVENTS, DESC_TOKENS };

struct desc_opts {
	enum desc_mode mode;
	enum ve_api api;
	bool drop_twin;             /* --tokens: leave out a first id equal to the second */
	struct ve_ll_span spans[4]; /* loglikelihoods to score a whole answer for */
	int nspans;
};

static void
desc_jv(struct ve_buf *out, const char *name, jv v)
{
	ve_buf_addf(out, " %s=", name);
	if (jv_is_valid(v))
		ve_json_dump(v, out);
	else
		ve_buf_adds(out, "(none)");
	jv_free(v);
}

/* The scores of a whole answer for each span of o. */
static void
desc_scores(const struct ve_answer *a, const struct desc_opts *o, struct ve_buf *out)
{
	for (int i = 0; i < o->nspans; i++) {
		char why[256];
		ve_buf_adds(out, "\nscore ");
		const char *bad = ve_answer_score(a, &o->spans[i], why, sizeof why, out);
		if (bad)
			ve_buf_addf(out, "error: %s", bad);
	}
}

/*
 * Appends what the text gives to out: the take's result (each event's, for
 * a stream, up to the one that would stop llm-query), the fields taken, and
 * the scores; for /tokenize, the tokens.
 */
static void
describe(const char *text, size_t len, const struct desc_opts *o, bool scan, struct ve_buf *out)
{
	struct ve_answer a;

	if (o->mode == DESC_TOKENS) {
		bool parsed;
		struct ve_buf ids = {0};
		ve_answer_init(&a, o->api, scan);
		long n = ve_answer_ids(&a, text, len, o->drop_twin, &parsed, &ids);
		ve_buf_addf(out, "parsed=%d n=%ld tokens=%s", parsed, n, n < 0 ? "(none)" : ids.p);
		ve_buf_free(&ids);
		ve_answer_free(&a);
		return;
	}
	ve_answer_init(&a, o->api, scan);
	if (o->mode == DESC_WHOLE) {
		ve_buf_addf(out, "take=%d", ve_answer_take(&a, text, len, false));
	} else {
		ve_buf_adds(out, "takes=");
		for (const char *p = text, *end = text + len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *e = nl ? nl : end;
			int rc = ve_answer_take(&a, p, (size_t)(e - p), true);
			ve_buf_addf(out, "%d", rc);
			if (rc == VE_ANSWER_NOT_OBJECT || rc == VE_ANSWER_ERROR)
				break;
			p = e + 1;
		}
	}
	ve_buf_adds(out, " text=");
	ve_buf_add_json_str(out, a.text.p ? a.text.p : "", a.text.len);
	ve_buf_addf(out, " reasoning=%d:", a.has_reasoning);
	ve_buf_add_json_str(out, a.reasoning.p ? a.reasoning.p : "", a.reasoning.len);
	desc_jv(out, "finish", jv_copy(a.finish));
	desc_jv(out, "usage", jv_copy(a.usage));
	desc_jv(out, "logprobs", ve_answer_logprobs(&a));
	if (o->mode == DESC_WHOLE)
		desc_scores(&a, o, out);
	ve_answer_free(&a);
}

#endif
