/*
 * DeepEval's reading of a judge model's replies, rule for rule as DeepEval
 * 4.1.10 reads them (deepeval/metrics/utils.py trimAndLoadJson, the
 * g_eval, answer_relevancy, faithfulness and hallucination metrics and
 * their pydantic schemas), so that a score equals the one DeepEval gives
 * for the same reply, and a reply DeepEval rejects is rejected here.
 * score-gen(1) tells the rules; tests/deepeval-ref.py is the reference the
 * tests hold them to.
 */
#ifndef VE_DEEPEVAL_H
#define VE_DEEPEVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "json.h"

enum ve_judge { VE_JUDGE_GEVAL, VE_JUDGE_RELEVANCY, VE_JUDGE_FAITHFULNESS, VE_JUDGE_HALLUCINATION };

struct ve_judge_opts {
	enum ve_judge kind;
	bool strict;      /* strict_mode: G-Eval's 0/1 score, the verdicts' all or nothing */
	double lo, hi;    /* G-Eval's score range (its rubric's), 0 and 10 by default */
	bool penalize;    /* faithfulness: an "idk" counts as unfaithful */
	double threshold; /* the pass mark: what strict mode clamps against */
};

/*
 * trimAndLoadJson: the reply's text from its first '{' to its last '}'
 * (a '}' appended when there is a '{' and none), parsed as Python's
 * json.loads would; when that fails, parsed again with each ',' that only
 * whitespace separates from a ']' or '}' removed, whitespace and all. The
 * object, or jv_invalid() when DeepEval could not load it. The text that
 * was parsed is left in *parsed (reset first).
 */
jv ve_judge_json(const char *s, size_t n, struct ve_buf *parsed);

/*
 * One reply's score: G-Eval's from the reply text s[0..n) and resp's
 * logprobs (resp borrowed), the verdict metrics' from the reply's
 * "verdicts". NULL and *score, or why DeepEval's metric would fail on it.
 */
const char *ve_judge_score(const struct ve_judge_opts *o, jv resp, const char *s, size_t n,
                           double *score);

/*
 * The score of verdicts known without a reply (borrowed; DeepEval asks for
 * none when there are no statements or claims): NULL and *score, or why
 * they are not verdicts.
 */
const char *ve_judge_verdicts(const struct ve_judge_opts *o, jv verdicts, double *score);

/* Whether score passes: at the threshold or above, hallucination at or below. */
bool ve_judge_passes(const struct ve_judge_opts *o, double score);
#endif
