/*
 * What llm-query takes from an OpenAI-compatible server's answers: the
 * text, thought, finish reason, logprobs and usage of a whole answer or of
 * a stream's events, and a loglikelihood from echoed logprobs
 * (vllm-eval(7), Query record).
 *
 * Two ways read the same answer to the same result: lib/scan.h's scanner,
 * which walks the text to the few values wanted and builds only those, and
 * libjq's parser, which builds every value. The scanner reads what it can
 * prove it reads as libjq does, and hands anything else to libjq; with
 * scan false libjq reads everything (the reference the tests and the
 * benchmark compare with).
 *
 * Ownership: the struct owns its jv fields and buffers (ve_answer_free). A
 * scanned whole answer's logprobs stay in its text (lp): the caller keeps
 * that text unchanged until ve_answer_reset, ve_answer_free or the next
 * ve_answer_take.
 */
#ifndef VE_ANSWER_H
#define VE_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <jv.h>

#include "buf.h"
#include "http.h"
#include "scan.h"

struct ve_answer {
	enum ve_api api; /* chat answers keep their text in message.content */
	bool scan;       /* the scanner first (false: libjq only) */
	struct ve_buf text, reasoning;
	bool has_reasoning; /* the server sent a thought ("reasoning" or "reasoning_content") */
	jv usage;           /* the last "usage" object, else null */
	jv finish;          /* the last string finish_reason, else null */
	jv logprobs;        /* choices[0].logprobs (streams: joined), else null or invalid */
	struct ve_span lp;  /* or that value's text, when the scanner read a whole answer */
	struct ve_scan doc; /* the scanner's table of the last text it checked */
};

/* What ve_answer_take found. */
enum {
	VE_ANSWER_NONE,       /* an event without this prompt's choice (a usage chunk) */
	VE_ANSWER_CHOICE,     /* the choice of the record's prompt: taken */
	VE_ANSWER_NOT_OBJECT, /* the text is no JSON object */
	VE_ANSWER_NO_CHOICES, /* a whole answer without the prompt's choice */
	VE_ANSWER_ERROR,      /* an event that carries "error" */
};

void ve_answer_init(struct ve_answer *a, enum ve_api api, bool scan);
/* Forgets what was taken (a new attempt). */
void ve_answer_reset(struct ve_answer *a);
void ve_answer_free(struct ve_answer *a);

/*
 * Takes text[0..len): a whole answer, or with delta one event of a stream,
 * whose text and logprobs join what came before. Returns a VE_ANSWER_ value.
 */
int ve_answer_take(struct ve_answer *a, const char *text, size_t len, bool delta);
/* choices[0].logprobs as taken: the caller's jv (invalid when there is none). */
jv ve_answer_logprobs(const struct ve_answer *a);

/* Where a loglikelihood request's continuation is in its echoed prompt. */
struct ve_ll_span {
	bool by_tokens;  /* true: [ctx_tokens, all_tokens), /tokenize's counts */
	long ctx_tokens; /* by_tokens: tokens of the context */
	long all_tokens; /* by_tokens: tokens of context + continuation */
	long ctx_chars;  /* else: the context's length in code points, to find in text_offset */
};

/*
 * The loglikelihood of the continuation from the echoed logprobs, as
 * lm-evaluation-harness computes it: appends "loglikelihood":{...} to out
 * and returns NULL, or returns why the answer cannot give it (in why, or a
 * fixed sentence).
 */
const char *ve_answer_score(const struct ve_answer *a, const struct ve_ll_span *w, char *why,
                            size_t size, struct ve_buf *out);

/*
 * The "tokens" of a /tokenize answer as llm-query sends them back: the
 * array's compact text as ve_json_dump writes libjq's value, appended to
 * out. Returns how many ids it holds, or -1 (out as it was) when the text is
 * no object or its "tokens" no array; *parsed says whether the text was JSON
 * at all. With drop_twin, a first id equal to the second is left out
 * (lm-eval's prefix token standing for a continuation's own first token).
 * Ids that are all plain integers are copied as text, without libjq. a
 * says which way reads the text (a->scan) and lends its table (a->doc),
 * kept from one answer to the next; nothing else of a is touched.
 */
long ve_answer_ids(struct ve_answer *a, const char *text, size_t len, bool drop_twin, bool *parsed,
                   struct ve_buf *out);

#endif
