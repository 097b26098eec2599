/*
 * Fuzz target: an OpenAI-compatible answer, any bytes (tests/fuzz/README.md).
 *
 * llm-query reads answers with the scanner (lib/scan.h) and hands libjq
 * what the scanner cannot prove it reads as libjq does. Both ways must
 * take the same fields, the same stream events and /tokenize ids, and give
 * the same loglikelihoods and errors, on anything: the first byte picks how
 * the rest is read (whole answer, stream events a line, /tokenize; chat or
 * completions) and the spans to score. Any disagreement aborts with both
 * descriptions, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "answer-desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct desc_opts o = {0};
	struct ve_buf a = {0}, b = {0};

	if (size < 1)
		return 0;
	unsigned c = data[0];
	o.mode = c % 3 == 0 ? DESC_WHOLE : c % 3 == 1 ? DESC_EVENTS : DESC_TOKENS;
	o.api = c & 4 ? VE_API_CHAT : VE_API_COMPLETIONS;
	o.drop_twin = c & 8;
	/* Spans small enough for the seeds' few tokens, by counts and by text. */
	o.spans[o.nspans++] = (struct ve_ll_span){true, c >> 5 & 3, (c >> 5 & 3) + 2, 0};
	o.spans[o.nspans++] = (struct ve_ll_span){false, 0, 0, c >> 3 & 7};
	o.spans[o.nspans++] = (struct ve_ll_span){false, 0, 0, 0};
	/* And one deep in a long array (the echo-long seed's 100), past marked elements. */
	o.spans[o.nspans++] = (struct ve_ll_span){true, 31 + (c >> 5 & 3) * 20, 100, 0};
	const char *text = (const char *)data + 1;
	describe(text, size - 1, &o, true, &a);
	describe(text, size - 1, &o, false, &b);
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) {
		fprintf(stderr,
		        "answer: the scanner and libjq disagree\n  input: %.*s\n  scan:  %s\n"
		        "  libjq: %s\n",
		        (int)(size - 1), text, a.p, b.p);
		abort();
	}
	ve_buf_free(&a);
	ve_buf_free(&b);
	return 0;
}
