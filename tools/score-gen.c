/*
 * score-gen — metrics of generated answers, and LLM-as-judge scores.
 *
 * Reads llm-query output (records with response.text) and writes metric
 * rows (vllm-eval(7), RECORDS) to stdout and, with --items, one item row
 * per record. Reference metrics compare response.text with the record's
 * reference (--reference, by default .gold // .answer // .reference):
 *
 *   exact_match  lm-eval's exact_match: --ignore-regex patterns removed, then
 *                --ignore-case and --ignore-punctuation, then equality
 *   numeric      the last \boxed{} of the text, else its last number, and the
 *                reference compared as integers (AIME)
 *   math         Evalchemy's AIME24/AIME25/MATH500 comparison: the last
 *                boxed answer and the reference equal after the Hendrycks
 *                MATH normalisation (mathans.h); row TASK.accuracy
 *   contains     the reference occurs in the text (same normalisations)
 *   regex        the first match of --regex (its group 1 when it has one)
 *                compared with the reference as exact_match does
 *   f1           SQuAD's token F1 (lower case, ASCII punctuation and the
 *                articles a, an, the removed)
 *   rouge_l      ROUGE-L F1 over word tokens (longest common subsequence)
 *   json         the text is JSON (a ``` fence is allowed); with
 *                --required-keys, an object holding all of them
 *
 * Records with a "sample" field (or all, with --pass-k) are samples of their
 * doc_id: each metric's row is then the mean over documents of their
 * samples' mean, its stderr over documents; --pass-k adds TASK.pass_at_K
 * (the unbiased estimator, passk.h), and integer samples (repeats) add
 * TASK.accuracy_avg as Evalchemy reports it.
 *
 * With --judge KIND the records are a judge model's replies and the score
 * is DeepEval 4.1.10's, read by its rules (deepeval.h): geval (the score,
 * weighted by its token's top logprobs, over its range), answer_relevancy
 * and faithfulness (the share of verdicts that are not "no"), hallucination
 * (the share of contexts whose verdict is "no"). A reply DeepEval would
 * reject is an item error, counted in TASK.KIND.unparsed, never a crash;
 * TASK.KIND.pass_rate_all counts it a failure, as DeepEval does.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "buf.h"
#include "deepeval.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "mathans.h"
#include "num.h"
#include "output.h"
#include "passk.h"
#include "re.h"
#include "score.h"
#include "stats.h"

enum metric {
	M_EXACT,
	M_NUMERIC,
	M_CONTAINS,
	M_REGEX,
	M_F1,
	M_ROUGE_L,
	M_JSON,
	M_MATH,
	M_CODE,
	M_COUNT,
};

static const char *const metric_name[M_COUNT] = {
    "exact_match", "numeric", "contains", "regex", "f1", "rouge_l", "json", "math", "code",
};

/* The metric rows' names: what each one measures. */
static const char *const row_name[M_COUNT] = {
    "exact_match", "numeric_match", "contains", "regex_match", "f1",
    "rouge_l",     "json_valid",    "accuracy", "accuracy",
};

/* --judge KIND's names, in enum ve_judge's order. */
static const char *const judge_name[] = {
    "geval",
    "answer_relevancy",
    "faithfulness",
    "hallucination",
};

#define MAX_IGNORE 8
#define MAX_PASS_K 8
#define MAX_REPEAT 256 /* sample indexes counted as Evalchemy's repeats */

/* At most this many --filter. */
#define MAX_FILTERS 8

/* --filter NAME=RE with its --group-select and --fallback: lm-eval's regex filter. */
struct filter {
	const char *name, *re, *fallback;
	long group; /* the match taken, Python's index: -1 the last */
};

struct opts {
	enum metric metric[M_COUNT];
	int nmetric;
	bool judge;                 /* --judge: the replies of a judge model */
	struct ve_judge_opts jopts; /* its kind, strict mode, score range */
	const char *reference;
	const char *regex;
	const char *ignore[MAX_IGNORE];
	int nignore;
	bool ignore_case;
	bool ignore_punct;
	char **keys;
	int nkeys;
	double threshold;
	bool has_threshold;
	bool has_range; /* --score-range given */
	struct filter filter[MAX_FILTERS];
	int nfilter;
	const char *think_open, *think_close; /* the thinking's tags; NULL: --think-tags none */
	char *think_tags;                     /* their storage */
	bool think_in_prompt;
	unsigned pass_k[MAX_PASS_K]; /* --pass-k */
	int npass_k;
	struct ve_score_opts common; /* --items, --task, --run-id, ... */
};

struct groups;

struct state {
	const struct opts *o;
	struct ve_score_run run;
	struct ve_jq *ref;
	pcre2_code *regex;
	pcre2_code *ignore[MAX_IGNORE];
	pcre2_code *number;
	pcre2_match_data *md;
	pcre2_code *filter[MAX_FILTERS];
	pcre2_match_data *filter_md[MAX_FILTERS];
	bool need_ref; /* a metric other than json compares with the reference */
	struct ve_buf a, b, c, row, tmp, id, pred, scores, sample;
	unsigned long long unparsed;
	struct ve_score_agg *all; /* --judge: KIND.pass_rate_all, after the other rows */

	struct ve_buf fpred[MAX_FILTERS]; /* each filter's answer */
	bool fexact;                      /* the first filter's exact_match */
	bool has_math;     /* --metric math: count the replies without a boxed answer */
	bool has_code;     /* --metric code: read code-run's verdict */
	struct groups *gr; /* the samples of each document */
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] [-m METRIC]... [-r EXPR] [--regex RE] [--ignore-case]\n"
	    "                 [--ignore-punctuation] [--ignore-regex RE]... [--required-keys "
	    "LIST]\n"
	    "                 [--pass-threshold X] [--pass-k LIST] [--filter NAME=RE]...\n"
	    "                 [--think-tags OPEN,CLOSE|none] [--think-in-prompt] [-i FILE]\n"
	    "                 [-t TASK] [--run-id ID] [--model-tag TAG] [--skip-bad]\n"
	    "                 [--rejects FILE] [FILE...]\n"
	    "       %s --judge KIND [--pass-threshold X | --strict] [--score-range LO,HI]\n"
	    "                 [--penalize-ambiguous] [-i FILE] [-t TASK] [FILE...]\n"
	    "\n"
	    "Score generated answers in llm-query output; metric rows to stdout.\n"
	    "\n"
	    "  -m, --metric METRIC      exact_match (default), numeric, math, contains, regex,\n"
	    "                           f1, rouge_l, json, code (repeatable; the first is the\n"
	    "                           item score)\n"
	    "  -r, --reference EXPR     jq expression for the reference\n"
	    "                           (default: .gold // .answer // .reference)\n"
	    "      --regex RE           PCRE2 pattern extracting the answer (metric regex)\n"
	    "      --ignore-case        compare case-insensitively (ASCII)\n"
	    "      --ignore-punctuation drop ASCII punctuation before comparing\n"
	    "      --ignore-regex RE    remove matches of RE before comparing (repeatable)\n"
	    "      --required-keys LIST comma-separated keys the JSON object must hold\n"
	    "      --judge KIND         judge replies, scored as DeepEval 4.1.10 scores them:\n"
	    "                           geval, answer_relevancy, faithfulness, hallucination\n"
	    "      --strict             DeepEval's strict mode (pass mark 1, hallucination 0)\n"
	    "      --score-range LO,HI  G-Eval's score range, a rubric's (default 0,10)\n"
	    "      --penalize-ambiguous faithfulness counts an \"idk\" claim against it\n"
	    "      --pass-threshold X   an item passes at X or more (hallucination: X or "
	    "less);\n"
	    "                           adds a pass_rate row (judge default 0.5)\n"
	    "      --pass-k LIST        comma-separated k: pass@k over each doc_id's samples\n"
	    "      --filter NAME=RE     lm-eval's regex filter, each metric scoring its\n"
	    "                           answer as TASK.METRIC.NAME (repeatable)\n"
	    "      --group-select N     the match the filter before takes (-1: the last)\n"
	    "      --fallback TEXT      the filter before's answer with no match\n"
	    "      --think-tags OPEN,CLOSE|none  the thinking's tags (<think>,</think>)\n"
	    "      --think-in-prompt    the prompt opens the thinking\n"
	    "  -i, --items FILE         write one item row per record to FILE\n"
	    "  -t, --task TASK          task of records without one (default: gen, judge)\n",
	    ve_progname, ve_progname);
	ve_score_help(f, 27);
	fprintf(f, "\n"
	           "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 73 cannot create,\n"
	           "74 I/O error. See score-gen(1).\n");
}

enum {
	OPT_REGEX = 256,
	OPT_IGNORE_CASE,
	OPT_IGNORE_PUNCT,
	OPT_IGNORE_REGEX,
	OPT_REQUIRED_KEYS,
	OPT_JUDGE,
	OPT_STRICT,
	OPT_SCORE_RANGE,
	OPT_PENALIZE,
	OPT_THRESHOLD,
	OPT_FILTER,
	OPT_GROUP_SELECT,
	OPT_FALLBACK,
	OPT_THINK_TAGS,
	OPT_THINK_IN_PROMPT,
	OPT_PASS_K,
};

static void
parse_keys(struct opts *o, const char *list)
{
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		if (n == 0)
			ve_usage_error("--required-keys: empty key in '%s'", list);
		o->keys = ve_xrealloc(o->keys, sizeof *o->keys * (size_t)(o->nkeys + 1));
		o->keys[o->nkeys] = ve_xmalloc(n + 1);
		memcpy(o->keys[o->nkeys], p, n);
		o->keys[o->nkeys++][n] = 0;
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* -m METRIC: one more metric, each at most once. */
static void
add_metric(struct opts *o, const char *s)
{
	int i;

	for (i = 0; i < M_COUNT && strcmp(s, metric_name[i]); i++)
		;
	if (i == M_COUNT)
		ve_usage_error("--metric: unknown metric '%s' (exact_match, numeric, math, "
		               "contains, regex, f1, rouge_l, json, code)",
		               s);
	for (int j = 0; j < o->nmetric; j++)
		if (o->metric[j] == (enum metric)i)
			ve_usage_error("--metric %s given twice", s);
	o->metric[o->nmetric++] = (enum metric)i;
}

/* --pass-k LIST: up to MAX_PASS_K values of k, each from 1 to MAX_REPEAT, none twice. */
static void
parse_pass_k(struct opts *o, const char *list)
{
	char buf[32];
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		long k;
		if (n == 0 || n >= sizeof buf)
			ve_usage_error("--pass-k: expected a comma-separated list of k, got '%s'",
			               list);
		memcpy(buf, p, n);
		buf[n] = 0;
		if (!ve_parse_long(buf, 1, MAX_REPEAT, &k))
			ve_usage_error("--pass-k: '%s' is not a whole number from 1 to %d", buf,
			               MAX_REPEAT);
		for (int i = 0; i < o->npass_k; i++)
			if (o->pass_k[i] == (unsigned)k)
				ve_usage_error("--pass-k: %ld given twice", k);
		if (o->npass_k == MAX_PASS_K)
			ve_usage_error("--pass-k: at most %d values", MAX_PASS_K);
		o->pass_k[o->npass_k++] = (unsigned)k;
		if (!p[n])
			break;
		p += n + 1;
	}
}

static void
parse_judge(struct opts *o, const char *s)
{
	int i;

	for (i = 0; i <= VE_JUDGE_HALLUCINATION && strcmp(s, judge_name[i]); i++)
		;
	if (i > VE_JUDGE_HALLUCINATION)
		ve_usage_error("--judge: unknown kind '%s' (geval, answer_relevancy, "
		               "faithfulness, hallucination)",
		               s);
	o->judge = true;
	o->jopts.kind = (enum ve_judge)i;
}

/* --score-range LO,HI: G-Eval's score range (its rubric's), integers, LO < HI. */
static void
parse_range(struct opts *o, const char *arg)
{
	char *comma = strchr(arg, ','), lo[32];
	long a, b;

	if (!comma || (size_t)(comma - arg) >= sizeof lo)
		ve_usage_error("--score-range: expected LO,HI, got '%s'", arg);
	memcpy(lo, arg, (size_t)(comma - arg));
	lo[comma - arg] = 0;
	if (!ve_parse_long(lo, -1000000, 1000000, &a) ||
	    !ve_parse_long(comma + 1, -1000000, 1000000, &b) || a >= b)
		ve_usage_error("--score-range: expected whole numbers LO,HI with LO < HI, got '%s'",
		               arg);
	o->jopts.lo = (double)a;
	o->jopts.hi = (double)b;
	o->has_range = true;
}

/*
 * --filter NAME=RE starts a filter; --group-select and --fallback set the
 * one before them. NAME becomes part of metric names (vllm-eval(7)):
 * letters, digits and '_'.
 */
static void
filter_opt(struct opts *o, int c, const char *arg)
{
	struct filter *f = o->nfilter ? &o->filter[o->nfilter - 1] : NULL;

	if (c != OPT_FILTER) {
		if (!f)
			ve_usage_error("%s applies to the --filter before it",
			               c == OPT_GROUP_SELECT ? "--group-select" : "--fallback");
		if (c == OPT_GROUP_SELECT)
			f->group = ve_opt_long("--group-select", arg, -1000000, 1000000);
		else
			f->fallback = arg;
		return;
	}
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	if (!n ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		ve_usage_error(
		    "--filter: expected NAME=RE, NAME of letters, digits and '_', got '%s'", arg);
	if (o->nfilter == MAX_FILTERS)
		ve_usage_error("--filter: at most %d filters", MAX_FILTERS);
	for (int i = 0; i < o->nfilter; i++)
		if (!strncmp(o->filter[i].name, arg, n) && o->filter[i].name[n] == '=')
			ve_usage_error("--filter: '%.*s' given twice", (int)n, arg);
	/* The name is arg up to '=': filter_name() reads it so. */
	o->filter[o->nfilter++] = (struct filter){arg, eq + 1, "[invalid]", 0};
}

/* --think-tags OPEN,CLOSE, or none. */
static void
think_tags(struct opts *o, const char *arg)
{
	free(o->think_tags);
	o->think_tags = NULL;
	o->think_open = o->think_close = NULL;
	if (!strcmp(arg, "none"))
		return;
	const char *comma = strchr(arg, ',');
	if (!comma || comma == arg || !comma[1] || strchr(comma + 1, ','))
		ve_usage_error("--think-tags: expected OPEN,CLOSE or none, got '%s'", arg);
	o->think_tags = ve_xmalloc(strlen(arg) + 1);
	memcpy(o->think_tags, arg, strlen(arg) + 1);
	o->think_tags[comma - arg] = 0;
	o->think_open = o->think_tags;
	o->think_close = o->think_tags + (comma - arg) + 1;
}

/* The combinations of options that make sense, and the defaults that hang on them. */
static void
check_args(struct opts *o)
{
	bool has_regex = false, has_json = false;

	if (o->judge && (o->nmetric || o->reference || o->regex || o->npass_k))
		ve_usage_error("--judge scores judge replies: not with --metric, --reference, "
		               "--regex or --pass-k");
	if (!o->judge && !o->nmetric)
		o->metric[o->nmetric++] = M_EXACT;
	for (int i = 0; i < o->nmetric; i++) {
		has_regex |= o->metric[i] == M_REGEX;
		has_json |= o->metric[i] == M_JSON;
	}
	if (has_regex != (o->regex != NULL))
		ve_usage_error(has_regex ? "--metric regex needs --regex RE"
		                         : "--regex is used by --metric regex");
	if (o->nkeys && !has_json)
		ve_usage_error("--required-keys is used by --metric json");
	if (o->judge && (o->nfilter || o->think_in_prompt))
		ve_usage_error(
		    "--judge scores judge replies: not with --filter or --think-in-prompt");
	if (o->npass_k && o->nfilter)
		ve_usage_error("--pass-k scores a document's samples: not with --filter");
	if (o->think_in_prompt && !o->think_close)
		ve_usage_error(
		    "--think-in-prompt needs the thinking's tags (not --think-tags none)");
	if (!o->judge && (o->jopts.strict || o->has_range || o->jopts.penalize))
		ve_usage_error("--strict, --score-range and --penalize-ambiguous go with --judge");
	if (o->has_range && o->jopts.kind != VE_JUDGE_GEVAL)
		ve_usage_error("--score-range is G-Eval's: --judge geval");
	if (o->jopts.penalize && o->jopts.kind != VE_JUDGE_FAITHFULNESS)
		ve_usage_error("--penalize-ambiguous is faithfulness's: --judge faithfulness");
	if (o->jopts.strict && o->has_threshold)
		ve_usage_error("--strict sets the pass mark (1, hallucination 0): not with "
		               "--pass-threshold");
	if (!o->has_range) {
		o->jopts.lo = 0;
		o->jopts.hi = 10;
	}
	/* DeepEval's strict mode asks for a perfect score (no hallucination). */
	if (o->judge && !o->has_threshold)
		o->threshold = o->jopts.strict ? o->jopts.kind != VE_JUDGE_HALLUCINATION : 0.5;
	o->jopts.threshold = o->threshold;
	if (!o->common.task)
		o->common.task = o->judge ? "judge" : "gen";
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"metric", required_argument, NULL, 'm'},
	    {"reference", required_argument, NULL, 'r'},
	    {"regex", required_argument, NULL, OPT_REGEX},
	    {"ignore-case", no_argument, NULL, OPT_IGNORE_CASE},
	    {"ignore-punctuation", no_argument, NULL, OPT_IGNORE_PUNCT},
	    {"ignore-regex", required_argument, NULL, OPT_IGNORE_REGEX},
	    {"required-keys", required_argument, NULL, OPT_REQUIRED_KEYS},
	    {"judge", required_argument, NULL, OPT_JUDGE},
	    {"strict", no_argument, NULL, OPT_STRICT},
	    {"score-range", required_argument, NULL, OPT_SCORE_RANGE},
	    {"penalize-ambiguous", no_argument, NULL, OPT_PENALIZE},
	    {"pass-threshold", required_argument, NULL, OPT_THRESHOLD},
	    {"filter", required_argument, NULL, OPT_FILTER},
	    {"group-select", required_argument, NULL, OPT_GROUP_SELECT},
	    {"fallback", required_argument, NULL, OPT_FALLBACK},
	    {"think-tags", required_argument, NULL, OPT_THINK_TAGS},
	    {"think-in-prompt", no_argument, NULL, OPT_THINK_IN_PROMPT},
	    {"pass-k", required_argument, NULL, OPT_PASS_K},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = ve_score_getopt(argc, argv, "m:r:", longopts, &o->common, usage)) != -1) {
		switch (c) {
		case 'm': add_metric(o, optarg); break;
		case 'r': o->reference = optarg; break;
		case OPT_REGEX: o->regex = optarg; break;
		case OPT_IGNORE_CASE: o->ignore_case = true; break;
		case OPT_IGNORE_PUNCT: o->ignore_punct = true; break;
		case OPT_IGNORE_REGEX:
			if (o->nignore == MAX_IGNORE)
				ve_usage_error("--ignore-regex: at most %d patterns", MAX_IGNORE);
			o->ignore[o->nignore++] = optarg;
			break;
		case OPT_REQUIRED_KEYS: parse_keys(o, optarg); break;
		case OPT_JUDGE: parse_judge(o, optarg); break;
		case OPT_STRICT: o->jopts.strict = true; break;
		case OPT_SCORE_RANGE: parse_range(o, optarg); break;
		case OPT_PENALIZE: o->jopts.penalize = true; break;
		case OPT_THRESHOLD:
			o->threshold = ve_opt_double("--pass-threshold", optarg, 0, 1);
			o->has_threshold = true;
			break;
		case OPT_FILTER:
		case OPT_GROUP_SELECT:
		case OPT_FALLBACK: filter_opt(o, c, optarg); break;
		case OPT_THINK_TAGS: think_tags(o, optarg); break;
		case OPT_THINK_IN_PROMPT: o->think_in_prompt = true; break;
		case OPT_PASS_K: parse_pass_k(o, optarg); break;
		}
	}
	check_args(o);
}

/*
 * lm-eval's exact_match normalisation (metrics.py, exact_match_hf_evaluate):
 * each ignore pattern removed, then lower case, then punctuation dropped.
 */
static void
normalise(struct state *st, const char *s, size_t n, struct ve_buf *out)
{
	const struct opts *o = st->o;

	ve_buf_reset(out);
	ve_buf_add(out, s, n);
	for (int i = 0; i < o->nignore; i++) {
		/* Removing matches never lengthens the text: its length and a NUL are room enough.
		 */
		PCRE2_SIZE len = out->len + 1;
		char *dst = ve_xmalloc(len);
		if (pcre2_substitute(st->ignore[i], (PCRE2_SPTR)out->p, out->len, 0,
		                     PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL, (PCRE2_SPTR) "", 0,
		                     (PCRE2_UCHAR *)dst, &len) >= 0) {
			ve_buf_reset(out);
			ve_buf_add(out, dst, len);
		}
		free(dst);
	}
	size_t j = 0;
	for (size_t i = 0; i < out->len; i++) {
		unsigned char c = (unsigned char)out->p[i];
		if (o->ignore_punct && c < 0x80 && ispunct(c))
			continue;
		out->p[j++] = (char)(o->ignore_case && c < 0x80 ? tolower(c) : c);
	}
	out->len = j;
	out->p[j] = 0;
}

/*
 * The code point that starts or ends s[0..n) (valid UTF-8, n > 0) and its
 * length in bytes: at_end picks the last one.
 */
static uint32_t
code_point(const char *s, size_t n, bool at_end, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (at_end) {
		i = n - 1;
		while (i > 0 && (u[i] & 0xC0) == 0x80)
			i--;
	}
	uint32_t c = u[i];
	size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if (k > 1)
		c &= 0x3Fu >> (k - 1);
	for (size_t j = 1; j < k && i + j < n; j++)
		c = c << 6 | (u[i + j] & 0x3Fu);
	*len = at_end ? n - i : k;
	return c;
}

/* Python's str.isspace(): what str.strip() and lstrip() take away. */
static bool
py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000;
}

/* s[0..*n) with Python's white space dropped at its start (and with both, at its end). */
static const char *
py_strip(const char *s, size_t *n, bool both)
{
	size_t k;

	while (*n && py_space(code_point(s, *n, false, &k)))
		s += k, *n -= k;
	while (both && *n && py_space(code_point(s, *n, true, &k)))
		*n -= k;
	return s;
}

/* The last occurrence of tag in s[0..n), or NULL. */
static const char *
last_of(const char *s, size_t n, const char *tag)
{
	size_t k = strlen(tag);
	const char *last = NULL, *p = s;

	while ((p = memmem(p, n - (size_t)(p - s), tag, k))) {
		last = p;
		p += 1;
	}
	return last;
}

/*
 * The answer of a reply that thinks in tags: what follows the last closing
 * tag, its leading white space dropped (lm-eval's postprocess_generated_text
 * with think_end_token: split on it, the last part, lstrip). A reply with no
 * tag is all answer, untouched, unless the prompt opened the thinking
 * (--think-in-prompt: DeepSeek-R1's template ends in "<think>\n", so its
 * replies carry only "</think>", and vLLM's deepseek_r1 and qwen3 reasoning
 * parsers read a reply without it as all thinking). False when the thinking
 * never closed: no closing tag then, or an opening tag after the last one.
 */
static bool
strip_thinking(const struct opts *o, const char **s, size_t *n)
{
	if (!o->think_close)
		return true;
	const char *close = last_of(*s, *n, o->think_close);
	const char *open = last_of(*s, *n, o->think_open);
	if (open && (!close || open > close))
		return false;
	if (!close)
		return !o->think_in_prompt;
	size_t skip = (size_t)(close - *s) + strlen(o->think_close);
	*n -= skip;
	*s = py_strip(*s + skip, n, false);
	return true;
}

/*
 * A reply whose server split the thinking off (response.reasoning, a
 * string: vLLM's --reasoning-parser) has its answer in text; it ran out of
 * tokens before any answer when the text is empty and finish_reason says
 * "length". resp is borrowed.
 */
static bool
split_reply_truncated(jv resp, const char *s, size_t n)
{
	jv fin = ve_json_get(resp, "finish_reason");
	bool cut = jv_get_kind(fin) == JV_KIND_STRING && !strcmp(jv_string_value(fin), "length");

	jv_free(fin);
	py_strip(s, &n, true);
	return cut && n == 0;
}

/* Whether resp (borrowed) carries the thinking apart, as a string "reasoning". */
static bool
has_reasoning(jv resp)
{
	jv r = ve_json_get(resp, "reasoning");
	bool yes = jv_get_kind(r) == JV_KIND_STRING;

	jv_free(r);
	return yes;
}

/*
 * Python's re.findall, one match at a time: the next match of code in
 * s[0..n) from *at, empty ones too, but never an empty one where the last
 * match ended empty (*empty). 1 and the match in md, or 0 at the end (an
 * error of the search, a limit reached, ends it too).
 */
static int
findall_next(const pcre2_code *code, pcre2_match_data *md, const char *s, size_t n, size_t *at,
             bool *empty)
{
	if (*at > n)
		return 0;
	int rc =
	    pcre2_match(code, (PCRE2_SPTR)s, n, *at, *empty ? PCRE2_NOTEMPTY_ATSTART : 0, md, NULL);
	if (rc <= 0)
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	*empty = ov[0] == ov[1];
	*at = ov[1];
	return 1;
}

/*
 * lm-eval's RegexFilter then take_first (lm_eval/filters/extraction.py) on
 * s[0..n), into st->fpred[k]: findall's matches, the one group_select picks
 * (Python's index, -1 the last); with no group it is the whole match, with
 * one its group, with more the first group not empty (none: the fallback);
 * then stripped of white space. No match, or an index past them (lm-eval
 * stops with an IndexError there), yields the fallback as it is.
 */
static void
apply_filter(struct state *st, int k, const char *s, size_t n)
{
	const struct filter *f = &st->o->filter[k];
	pcre2_match_data *md = st->filter_md[k];
	struct ve_buf *out = &st->fpred[k];
	size_t at = 0;
	bool empty = false;
	long count = 0, want;
	uint32_t groups = 0;

	pcre2_pattern_info(st->filter[k], PCRE2_INFO_CAPTURECOUNT, &groups);
	while (findall_next(st->filter[k], md, s, n, &at, &empty))
		count++;
	want = f->group < 0 ? count + f->group : f->group;
	ve_buf_reset(out);
	if (want < 0 || want >= count) {
		ve_buf_adds(out, f->fallback);
		return;
	}
	at = 0;
	empty = false;
	for (long i = 0; i <= want; i++)
		findall_next(st->filter[k], md, s, n, &at, &empty);
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t set = pcre2_get_ovector_count(md), g = groups ? 1 : 0;
	/* Several groups: the first that matched something ("" for one unset). */
	while (groups > 1 && g <= groups &&
	       (g >= set || ov[2 * g] == PCRE2_UNSET || ov[2 * g] == ov[2 * g + 1]))
		g++;
	const char *v = f->fallback;
	size_t vn = strlen(v);
	if (g <= groups && g < set && ov[2 * g] != PCRE2_UNSET) {
		v = s + ov[2 * g];
		vn = ov[2 * g + 1] - ov[2 * g];
	} else if (groups == 1) {
		vn = 0;
	}
	v = py_strip(v, &vn, true);
	ve_buf_add(out, v, vn);
}

/* A filter's name: its --filter argument up to '='. */
static int
filter_name_len(const struct filter *f)
{
	return (int)(strchr(f->name, '=') - f->name);
}

/* The content of the last \boxed{...} (braces balanced), or NULL. */
static const char *
last_boxed(const char *s, size_t *len)
{
	const char *p = NULL, *q = s;

	while ((q = strstr(q, "\\boxed{")))
		p = q++;
	if (!p)
		return NULL;
	p += 7;
	int depth = 1;
	for (q = p; *q; q++) {
		if (*q == '{')
			depth++;
		else if (*q == '}' && --depth == 0) {
			*len = (size_t)(q - p);
			return p;
		}
	}
	return NULL;
}

/* An integer written in s[0..n), with spaces, "$" and thousands commas allowed. */
static bool
parse_integer(const char *s, size_t n, long long *out)
{
	char buf[64];
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '$' || s[i] == ',')
			continue;
		if (j + 1 >= sizeof buf)
			return false;
		buf[j++] = s[i];
	}
	buf[j] = 0;
	/* "24.0" and "24." are 24; "24.5" is not an integer. */
	char *dot = strchr(buf, '.');
	if (dot) {
		for (char *z = dot + 1; *z; z++)
			if (*z != '0')
				return false;
		*dot = 0;
	}
	long v;
	if (!buf[0] || !ve_parse_long(buf, -999999999999L, 999999999999L, &v))
		return false;
	*out = v;
	return true;
}

/* numeric: the answer in text as an integer; false when there is none. */
static bool
numeric_answer(struct state *st, const char *s, size_t n, long long *v, struct ve_buf *shown)
{
	size_t bl;
	const char *b = last_boxed(s, &bl);

	ve_buf_reset(shown);
	if (b) {
		ve_buf_add(shown, b, bl);
		return parse_integer(b, bl, v);
	}
	size_t at = 0, ms = 0, me = 0;
	/* The last number: a match is never empty, so me > 0 says one was found. */
	while (ve_re_next(st->number, st->md, s, n, 0, &at)) {
		ms = pcre2_get_ovector_pointer(st->md)[0];
		me = pcre2_get_ovector_pointer(st->md)[1];
	}
	if (!me)
		return false;
	ve_buf_add(shown, s + ms, me - ms);
	return parse_integer(s + ms, me - ms, v);
}

/*
 * The words of s, split in place in buf: *tok (the caller frees it) points
 * at them. ASCII is lower-cased. With squad, SQuAD's normalize_answer: ASCII
 * punctuation dropped, and the articles a, an, the left out; without, the
 * words of ROUGE-L, which end at ASCII punctuation as at white space.
 */
static size_t
tokens(const char *s, bool squad, struct ve_buf *buf, char ***tok)
{
	size_t n = 0, cap = 0;
	char *save = NULL;

	ve_buf_reset(buf);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x80 && ispunct(c) && squad)
			continue;
		ve_buf_addc(buf, (char)(c >= 0x80 ? c : ispunct(c) ? ' ' : tolower(c)));
	}
	*tok = NULL;
	for (char *w = strtok_r(buf->p ? buf->p : (char[]){0}, " \t\n\r\f\v", &save); w;
	     w = strtok_r(NULL, " \t\n\r\f\v", &save)) {
		if (squad && (!strcmp(w, "a") || !strcmp(w, "an") || !strcmp(w, "the")))
			continue;
		*tok = ve_grow(*tok, &cap, n + 1, sizeof **tok);
		(*tok)[n++] = w;
	}
	return n;
}

/* The harmonic mean of precision same/np and recall same/ng; 0 when nothing is shared. */
static double
f1_of(size_t same, size_t np, size_t ng)
{
	if (!same)
		return 0;
	double precision = (double)same / (double)np, recall = (double)same / (double)ng;
	return 2 * precision * recall / (precision + recall);
}

/* SQuAD's f1_score: the F1 of the tokens' multiset overlap; 1 when both have none. */
static double
token_f1(struct state *st, const char *pred, const char *gold)
{
	char **p, **g;
	size_t np = tokens(pred, true, &st->a, &p), ng = tokens(gold, true, &st->b, &g);
	bool *used = ve_xcalloc(ng + 1, sizeof *used);
	size_t same = 0;

	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < ng; j++)
			if (!used[j] && !strcmp(p[i], g[j])) {
				used[j] = true;
				same++;
				break;
			}
	free(used);
	free(p);
	free(g);
	return np && ng ? f1_of(same, np, ng) : np == ng;
}

/* ROUGE-L F1: the longest common subsequence of the words over the two lengths. */
static double
rouge_l(struct state *st, const char *pred, const char *gold)
{
	char **p, **g;
	size_t np = tokens(pred, false, &st->a, &p), ng = tokens(gold, false, &st->b, &g);
	size_t lcs = 0;

	if (np && ng) {
		size_t *prev = ve_xcalloc(ng + 1, sizeof *prev),
		       *cur = ve_xcalloc(ng + 1, sizeof *cur);
		for (size_t i = 1; i <= np; i++) {
			for (size_t j = 1; j <= ng; j++)
				cur[j] = !strcmp(p[i - 1], g[j - 1]) ? prev[j - 1] + 1
				         : prev[j] > cur[j - 1]      ? prev[j]
				                                     : cur[j - 1];
			size_t *t = prev;
			prev = cur;
			cur = t;
		}
		lcs = prev[ng];
		free(prev);
		free(cur);
	}
	free(p);
	free(g);
	return f1_of(lcs, np, ng);
}

/* json: 1 when text (inside an optional ``` fence) is JSON holding the required keys. */
static double
json_score(const struct opts *o, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 6 && !strncmp(s, "```", 3) && !strncmp(s + n - 3, "```", 3)) {
		const char *nl = memchr(s, '\n', n);
		if (!nl)
			return 0;
		n -= (size_t)(nl + 1 - s) + 3;
		s = nl + 1;
	}
	jv v = jv_parse_sized(s, (int)n);
	double r = jv_is_valid(v);
	for (int i = 0; r && i < o->nkeys; i++)
		r = jv_get_kind(v) == JV_KIND_OBJECT &&
		    jv_object_has(jv_copy(v), jv_string(o->keys[i]));
	jv_free(v);
	return r;
}

/* Starts the item row of rec (borrowed) in st->row; a record without doc_id gets null. */
static void
item_head(struct state *st, jv rec, const struct ve_score_rec *f)
{
	jv id = ve_json_get(rec, "doc_id");

	ve_buf_reset(&st->id);
	if (jv_is_valid(id))
		ve_json_dump(id, &st->id);
	else
		ve_buf_adds(&st->id, "null");
	jv_free(id);
	ve_score_item_head(&st->row, f->tname, st->id.p, f->sname);
}

/* An item passes at the pass mark or above. */
static bool
passes(const struct opts *o, double score)
{
	return score >= o->threshold;
}

/*
 * The judge's score of rec (borrowed): from its judge_verdicts (known
 * without a reply), its judge_error (an earlier call of the case failed),
 * else from the reply. NULL and *score, or why there is none.
 */
static const char *
judge_of(struct state *st, jv rec, const struct ve_score_rec *f, double *score)
{
	const struct ve_judge_opts *jo = &st->o->jopts;
	jv known = ve_json_get(rec, "judge_verdicts"), err = ve_json_get(rec, "judge_error");
	jv text = ve_json_get(f->resp, "text");
	const char *why;

	if (f->failed) {
		why = "the judge call failed";
	} else if (jv_get_kind(err) == JV_KIND_STRING) {
		ve_buf_reset(&st->tmp);
		ve_buf_add(&st->tmp, jv_string_value(err), ve_json_strlen(err));
		why = st->tmp.p;
	} else if (jv_is_valid(err)) {
		why = "judge_error: expected a string";
	} else if (jv_is_valid(known)) {
		why = jo->kind == VE_JUDGE_GEVAL
		          ? "judge_verdicts: G-Eval has a score, not verdicts"
		          : ve_judge_verdicts(jo, known, score);
	} else if (jv_get_kind(text) != JV_KIND_STRING) {
		why = "judge reply: no text"; /* a reasoning judge that ran out of tokens */
	} else {
		why =
		    ve_judge_score(jo, f->resp, jv_string_value(text), ve_json_strlen(text), score);
	}
	jv_free(known);
	jv_free(err);
	jv_free(text);
	return why;
}

/*
 * --judge: one case's score into KIND.mean and KIND.pass_rate, or a reply
 * that cannot be read into KIND.unparsed (a failed call is in TASK.failed);
 * either way into KIND.pass_rate_all, where DeepEval counts an error as a
 * failure. Its item row to --items.
 */
static void
take_judge(struct state *st, jv rec, const struct ve_score_rec *f)
{
	const struct opts *o = st->o;
	const char *kind = judge_name[o->jopts.kind];
	double score = 0;
	char name[128];
	const char *bad = judge_of(st, rec, f, &score);
	bool pass = !bad && ve_judge_passes(&o->jopts, score);

	item_head(st, rec, f);
	snprintf(name, sizeof name, "%s.unparsed", kind);
	/* A failed call is counted in TASK.failed, not as a reply that could not be read. */
	if (!f->failed)
		ve_score_agg_tally(st->run.agg, f->tname, name, bad != NULL, false);
	if (bad) {
		st->unparsed += !f->failed;
		ve_buf_adds(&st->row, ",\"correct\":false,\"score\":null,\"error\":");
		ve_buf_add_json_str(&st->row, bad, strlen(bad));
	} else {
		ve_buf_addf(&st->row, ",\"correct\":%s,\"score\":", pass ? "true" : "false");
		ve_score_num(&st->row, score);
		snprintf(name, sizeof name, "%s.mean", kind);
		ve_score_agg_add(st->run.agg, f->tname, name, "score", f->sname, NULL, score);
		snprintf(name, sizeof name, "%s.pass_rate", kind);
		ve_score_agg_add(st->run.agg, f->tname, name, "ratio", f->sname, NULL, pass);
	}
	snprintf(name, sizeof name, "%s.pass_rate_all", kind);
	ve_score_agg_add(st->all, f->tname, name, "ratio", f->sname, NULL, pass);
	ve_buf_addc(&st->row, '}');
	ve_score_item(&st->run, &st->row);
}

/* One record's text and reference as the reference metrics see them. */
struct answer {
	const char *s, *g; /* the text and the reference, g "" when no metric needs it */
	size_t n, gn;
	long long gv;   /* the reference as an integer, for numeric */
	bool has_pred;  /* st->pred holds what the first extracting metric took */
	bool no_answer; /* math: the text has no boxed answer */
	bool truncated; /* the thinking never closed: no answer */
	bool solved;    /* code: code-run says the program passed every test */
};

/* The record's reference (rec borrowed), a number as its JSON text. */
static jv
reference_of(struct state *st, jv rec)
{
	jv ref = ve_jq_first(st->ref, jv_copy(rec));

	if (jv_get_kind(ref) == JV_KIND_NUMBER) {
		jv d = jv_dump_string(jv_copy(ref), 0);
		jv_free(ref);
		return d;
	}
	return ref;
}

/* Reads the reference ref (borrowed) into a: NULL, or why the record is bad. */
static const char *
read_reference(struct state *st, jv ref, struct answer *a)
{
	a->g = "";
	a->gn = 0;
	if (!st->need_ref)
		return NULL;
	if (jv_get_kind(ref) != JV_KIND_STRING)
		return "reference: expected a string or a number (see --reference)";
	a->g = jv_string_value(ref);
	a->gn = ve_json_strlen(ref);
	for (int i = 0; i < st->o->nmetric; i++)
		if (st->o->metric[i] == M_NUMERIC && !parse_integer(a->g, a->gn, &a->gv))
			return "reference: expected an integer for --metric numeric";
	return NULL;
}

/* numeric: the text's integer against the reference's; the first answer found is the pred. */
static double
numeric_match(struct state *st, struct answer *a)
{
	long long x;
	bool ok = numeric_answer(st, a->s, a->n, &x, &st->tmp);

	if (!a->has_pred && st->tmp.len) {
		ve_buf_add(&st->pred, st->tmp.p, st->tmp.len);
		a->has_pred = true;
	}
	return ok && x == a->gv;
}

/* regex: the first match (its group 1 when it has one) compared as exact_match. */
static double
regex_match(struct state *st, struct answer *a)
{
	int got = pcre2_match(st->regex, (PCRE2_SPTR)a->s, a->n, 0, 0, st->md, NULL);

	if (got <= 0)
		return 0;
	/* Pairs past those the match set are left as they were: group 1 only when set. */
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
	int gi = got > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
	ve_buf_reset(&st->tmp);
	ve_buf_add(&st->tmp, a->s + ov[2 * gi], ov[2 * gi + 1] - ov[2 * gi]);
	if (!a->has_pred) {
		ve_buf_add(&st->pred, st->tmp.p, st->tmp.len);
		a->has_pred = true;
	}
	normalise(st, st->tmp.p, st->tmp.len, &st->c);
	normalise(st, a->g, a->gn, &st->b);
	return !strcmp(st->c.p, st->b.p);
}

/*
 * math: Evalchemy's extract_answer of the text ("" when it has no boxed
 * answer) is_equiv to the reference, both as mathans.h reads them.
 */
static double
math_match(struct state *st, struct answer *a)
{
	char *got = ve_math_boxed(a->s);
	bool eq = ve_math_equiv(a->g, got ? got : "");

	a->no_answer = got == NULL;
	if (!a->has_pred) {
		ve_buf_adds(&st->pred, got ? got : "");
		a->has_pred = true;
	}
	free(got);
	return eq;
}

/* The value of metric m for one answer. */
static double
metric_value(struct state *st, enum metric m, struct answer *a)
{
	switch (m) {
	case M_EXACT:
	case M_CONTAINS:
		normalise(st, a->s, a->n, &st->a);
		normalise(st, a->g, a->gn, &st->b);
		return m == M_EXACT ? !strcmp(st->a.p, st->b.p) : strstr(st->a.p, st->b.p) != NULL;
	case M_NUMERIC: return numeric_match(st, a);
	case M_REGEX: return regex_match(st, a);
	case M_F1: return token_f1(st, a->s, a->g);
	case M_ROUGE_L: return rouge_l(st, a->s, a->g);
	case M_JSON: return json_score(st->o, a->s, a->n);
	case M_MATH: return math_match(st, a);
	case M_CODE: return a->solved;
	case M_COUNT: break;
	}
	return 0;
}

/*
 * With --filter, the item row's "filter" (the first, whose answer is the
 * pred and the score), its "exact_match" when that is a metric (what
 * reg-check(1) pairs for TASK.exact_match.FILTER), and every filter's
 * answer in "preds" (null for a truncated reply).
 */
static void
filter_fields(struct state *st, const struct answer *a)
{
	const struct opts *o = st->o;

	ve_buf_addf(&st->row, ",\"filter\":\"%.*s\"", filter_name_len(&o->filter[0]),
	            o->filter[0].name);
	for (int i = 0; i < o->nmetric; i++)
		if (o->metric[i] == M_EXACT)
			ve_buf_addf(&st->row, ",\"exact_match\":%s", st->fexact ? "true" : "false");
	ve_buf_adds(&st->row, ",\"preds\":{");
	for (int k = 0; k < o->nfilter; k++) {
		ve_buf_addf(&st->row, "%s\"%.*s\":", k ? "," : "", filter_name_len(&o->filter[k]),
		            o->filter[k].name);
		if (a->truncated)
			ve_buf_adds(&st->row, "null");
		else
			ve_buf_add_json_str(&st->row, st->fpred[k].p, st->fpred[k].len);
	}
	ve_buf_addc(&st->row, '}');
}

/*
 * The item row of an answer: the pred (what a metric extracted, else the
 * text; null when regex, the first metric, found nothing), the gold, the
 * first metric's value as the item's score, and every metric's value.
 */
static void
answer_row(struct state *st, jv rec, const struct ve_score_rec *f, const struct answer *a,
           double first)
{
	const struct opts *o = st->o;

	item_head(st, rec, f);
	if (st->sample.len) {
		ve_buf_adds(&st->row, ",\"sample\":");
		ve_buf_add(&st->row, st->sample.p, st->sample.len);
	}
	ve_buf_adds(&st->row, ",\"pred\":");
	if (a->truncated)
		ve_buf_adds(&st->row, "null");
	else if (o->nfilter)
		ve_buf_add_json_str(&st->row, st->fpred[0].p, st->fpred[0].len);
	else if (a->has_pred)
		ve_buf_add_json_str(&st->row, st->pred.p, st->pred.len);
	else if (o->metric[0] == M_REGEX)
		ve_buf_adds(&st->row, "null");
	else
		ve_buf_add_json_str(&st->row, a->s, a->n);
	ve_buf_adds(&st->row, ",\"gold\":");
	if (st->need_ref)
		ve_buf_add_json_str(&st->row, a->g, a->gn);
	else
		ve_buf_adds(&st->row, "null");
	ve_buf_addf(&st->row, ",\"correct\":%s,\"score\":",
	            (o->has_threshold ? passes(o, first) : first == 1) ? "true" : "false");
	ve_score_num(&st->row, first);
	if (a->truncated)
		ve_buf_adds(&st->row, ",\"truncated\":true");
	if (o->nfilter)
		filter_fields(st, a);
	ve_buf_adds(&st->row, ",\"scores\":{");
	ve_buf_add(&st->row, st->scores.p, st->scores.len);
	ve_buf_adds(&st->row, "}}");
}

/*
 * One metric's value and rows: m of the answer (0 for a truncated reply),
 * named name, into the scores and, with aggregate, the aggregates.
 */
static double
score_one(struct state *st, const struct ve_score_rec *f, enum metric m, struct answer *a,
          const char *name, bool aggregate)
{
	double v = a->truncated ? 0 : metric_value(st, m, a);

	ve_buf_addf(&st->scores, "%s\"%s\":", st->scores.len ? "," : "", name);
	ve_score_num(&st->scores, v);
	if (aggregate)
		ve_score_agg_add(st->run.agg, f->tname, name, "ratio", f->sname, NULL, v);
	else
		ve_score_agg_late(st->run.agg, f->tname, name); /* its row's place */
	return v;
}

/*
 * --filter: every metric of every filter's answer, as METRIC.FILTER; the
 * first filter's first metric is the item's score.
 */
static double
score_filters(struct state *st, const struct ve_score_rec *f, struct answer *a)
{
	const struct opts *o = st->o;
	double first = 0;
	char name[160];

	st->fexact = false;
	for (int k = 0; k < o->nfilter; k++) {
		struct answer fa = *a;
		if (!a->truncated)
			apply_filter(st, k, a->s, a->n);
		fa.s = st->fpred[k].p ? st->fpred[k].p : "";
		fa.n = st->fpred[k].len;
		fa.has_pred = true; /* the filter's answer is the pred, not a metric's */
		for (int i = 0; i < o->nmetric; i++) {
			snprintf(name, sizeof name, "%s.%.*s", row_name[o->metric[i]],
			         filter_name_len(&o->filter[k]), o->filter[k].name);
			double v = score_one(st, f, o->metric[i], &fa, name, true);
			if (k == 0 && i == 0)
				first = v;
			if (k == 0 && o->metric[i] == M_EXACT)
				st->fexact = v == 1;
		}
	}
	return first;
}

/*
 * The answer of the text: the server's split (response.reasoning) leaves
 * it in text; else what follows the thinking's tags. Sets a->truncated.
 */
static void
find_answer(struct state *st, const struct ve_score_rec *f, struct answer *a)
{
	if (has_reasoning(f->resp))
		a->truncated = split_reply_truncated(f->resp, a->s, a->n);
	else
		a->truncated = !strip_thinking(st->o, &a->s, &a->n);
}

/*
 * Samples of a document (records sharing task and doc_id, told apart by
 * "sample"): each document keeps its counts and its samples' values, so
 * that their mean is summed exactly (the same for any order of the
 * samples): 8 bytes a metric a sample, where a running sum took 8 a
 * metric a document.
 */
struct doc {
	char *key;                      /* TASK, 0xff, the doc_id's JSON text */
	const char *task, *subset;      /* interned in groups.names */
	unsigned n, c;                  /* samples, and those right */
	double *v;                      /* each sample's values: each metric's, then pass_rate's */
	size_t vcap;                    /* of v, in doubles */
	uint64_t seen[MAX_REPEAT / 64]; /* the sample indexes below MAX_REPEAT scored */
};

/* A task's repeats as Evalchemy counts them: by sample index, the documents and those right. */
struct repeats {
	const char *task;
	unsigned long docs[MAX_REPEAT], right[MAX_REPEAT];
	bool bad; /* a sample that is not an index below MAX_REPEAT: no repeat row */
};

struct groups {
	struct doc *d;
	size_t n, cap;
	struct ve_index index; /* of d, by key */
	char **names;
	size_t nnames, capnames;
	struct repeats *r;
	size_t nr, capr;
};

/* The one copy of a task or subset name that the documents point to. */
static const char *
intern(struct groups *g, const char *s)
{
	for (size_t i = 0; i < g->nnames; i++)
		if (!strcmp(g->names[i], s))
			return g->names[i];
	g->names = ve_grow(g->names, &g->capnames, g->nnames + 1, sizeof *g->names);
	return g->names[g->nnames++] = ve_xstrdup(s);
}

struct doc_key {
	const struct groups *g;
	const char *key;
};

static bool
is_doc(const void *ctx, size_t pos)
{
	const struct doc_key *k = ctx;

	return !strcmp(k->g->d[pos].key, k->key);
}

/* The document of key (task and doc_id), added when new. */
static struct doc *
find_doc(struct groups *g, const char *key, const char *task, const char *subset)
{
	struct doc_key k = {g, key};
	uint64_t h = ve_hash_str(key);
	size_t pos = ve_index_find(&g->index, h, is_doc, &k);

	if (pos != VE_INDEX_NONE)
		return &g->d[pos];
	g->d = ve_grow(g->d, &g->cap, g->n + 1, sizeof *g->d);
	g->d[g->n] = (struct doc){
	    .key = ve_xstrdup(key), .task = intern(g, task), .subset = intern(g, subset)};
	ve_index_add(&g->index, h, g->n);
	return &g->d[g->n++];
}

/* The document of rec (borrowed): its task and doc_id's, made on first sight. */
static struct doc *
doc_of(struct state *st, jv rec, const struct ve_score_rec *f)
{
	item_head(st, rec, f); /* st->id: the doc_id's JSON text */
	ve_buf_reset(&st->tmp);
	ve_buf_adds(&st->tmp, f->tname);
	ve_buf_addc(&st->tmp, '\xff');
	ve_buf_add(&st->tmp, st->id.p, st->id.len);
	return find_doc(st->gr, st->tmp.p, f->tname, f->sname);
}

/*
 * Marks sample index of rec's document (rec borrowed) as scored: false
 * when it was already, a record sent twice that would count twice.
 */
static bool
claim_sample(struct state *st, jv rec, const struct ve_score_rec *f, long index)
{
	struct doc *d = doc_of(st, rec, f);
	uint64_t bit = (uint64_t)1 << (index % 64);

	if (d->seen[index / 64] & bit)
		return false;
	d->seen[index / 64] |= bit;
	return true;
}

static struct repeats *
find_repeats(struct groups *g, const char *task)
{
	for (size_t i = 0; i < g->nr; i++)
		if (!strcmp(g->r[i].task, task))
			return &g->r[i];
	g->r = ve_grow(g->r, &g->capr, g->nr + 1, sizeof *g->r);
	memset(&g->r[g->nr], 0, sizeof *g->r);
	g->r[g->nr].task = intern(g, task);
	return &g->r[g->nr++];
}

/*
 * The record's "sample" (rec borrowed): *index its number below
 * MAX_REPEAT, else -1; st->sample its JSON text for the item row. Returns
 * whether the record is one of its document's samples (every record is,
 * with --pass-k); *why is set for a sample that is no whole number from 0,
 * or for a sample without the doc_id that groups it.
 */
static bool
sample_of(struct state *st, jv rec, long *index, const char **why)
{
	jv s = ve_json_get(rec, "sample");
	bool has = jv_is_valid(s) && jv_get_kind(s) != JV_KIND_NULL;
	jv_kind id = ve_json_get_kind(rec, "doc_id");

	ve_buf_reset(&st->sample);
	*index = -1;
	if (has) {
		double x = jv_get_kind(s) == JV_KIND_NUMBER ? jv_number_value(s) : -1;
		if (!(x >= 0 && x <= 1e15 && x == floor(x)))
			*why = "sample: expected a whole number from 0";
		ve_json_dump(s, &st->sample);
		if (x >= 0 && x < MAX_REPEAT && x == floor(x))
			*index = (long)x;
	}
	jv_free(s);
	if ((has || st->o->npass_k > 0) && !*why && (id == JV_KIND_INVALID || id == JV_KIND_NULL))
		*why = "sample: a document's samples need its doc_id";
	return has || st->o->npass_k > 0;
}

/* One sample's values v (each metric's, then pass_rate's) into its document and repeat. */
static void
group_add(struct state *st, jv rec, const struct ve_score_rec *f, long sample, const double *v,
          bool right)
{
	int nv = st->o->nmetric + 1;
	struct doc *d = doc_of(st, rec, f);

	d->v = ve_grow(d->v, &d->vcap, (size_t)(d->n + 1) * (size_t)nv, sizeof *d->v);
	memcpy(d->v + (size_t)d->n * (size_t)nv, v, (size_t)nv * sizeof *v);
	d->n++;
	d->c += right;
	struct repeats *r = find_repeats(st->gr, f->tname);
	if (sample < 0) {
		r->bad = true;
	} else {
		r->docs[sample]++;
		r->right[sample] += right;
	}
}

/* The mean of value i of a document's samples (nv values each), summed exactly. */
static double
sample_mean(const struct doc *d, int i, int nv)
{
	struct ve_xsum a;

	ve_xsum_init(&a);
	for (unsigned s = 0; s < d->n; s++)
		ve_xsum_add(&a, d->v[(size_t)s * (size_t)nv + (size_t)i]);
	return ve_xsum_round(&a, 0) / d->n;
}

/*
 * Each document's means into the aggregates, and its pass@k for each
 * --pass-k k its samples reach; the documents with fewer than k samples are
 * left out of pass_at_K, and said so on stderr.
 */
static void
group_emit(struct state *st)
{
	const struct opts *o = st->o;
	const struct groups *g = st->gr;
	unsigned long short_of[MAX_PASS_K] = {0};
	char name[32];

	for (size_t j = 0; j < g->n; j++) {
		const struct doc *d = &g->d[j];
		for (int i = 0; i < o->nmetric; i++)
			ve_score_agg_add(st->run.agg, d->task, row_name[o->metric[i]], "ratio",
			                 d->subset, NULL, sample_mean(d, i, o->nmetric + 1));
		if (o->has_threshold)
			ve_score_agg_add(st->run.agg, d->task, "pass_rate", "ratio", d->subset,
			                 NULL, sample_mean(d, o->nmetric, o->nmetric + 1));
		for (int i = 0; i < o->npass_k; i++) {
			snprintf(name, sizeof name, "pass_at_%u", o->pass_k[i]);
			ve_score_agg_late(st->run.agg, d->task, name);
			if (d->n < o->pass_k[i])
				short_of[i]++;
			else
				ve_score_agg_add(st->run.agg, d->task, name, "ratio", d->subset,
				                 NULL, ve_pass_at_k(d->n, d->c, o->pass_k[i]));
		}
	}
	for (int i = 0; i < o->npass_k; i++)
		if (short_of[i] && !o->common.cli.quiet)
			ve_warn("pass_at_%u: %lu documents with fewer than %u samples left out",
			        o->pass_k[i], short_of[i], o->pass_k[i]);
}

/*
 * NumPy's sum of a float64 array (pairwise: under 8 values one after the
 * other; up to 128, eight running sums added as a tree, then the rest; above,
 * halves cut at a multiple of 8), so that the figures below equal NumPy's.
 */
static double
np_sum(const double *v, size_t n)
{
	double r[8], s;
	size_t i;

	if (n < 8) {
		s = 0.;
		for (i = 0; i < n; i++)
			s += v[i];
		return s;
	}
	if (n > 128) {
		size_t h = n / 2;
		h -= h % 8;
		return np_sum(v, h) + np_sum(v + h, n - h);
	}
	memcpy(r, v, sizeof r);
	for (i = 8; i < n - n % 8; i += 8)
		for (int k = 0; k < 8; k++)
			r[k] += v[i + k];
	s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
	for (; i < n; i++)
		s += v[i];
	return s;
}

/*
 * Evalchemy's AIME figures (evaluate_responses): each repeat's accuracy
 * (its documents right over its documents), their np.mean as accuracy_avg
 * and np.std (ddof 0) / sqrt(repeats) as its accuracy_std_err, written as
 * TASK.accuracy_avg with that stderr and n the repeats.
 */
static void
repeat_row(const struct state *st, const struct repeats *r)
{
	double acc[MAX_REPEAT], dev[MAX_REPEAT];
	size_t n = 0;
	struct ve_buf b = {0};

	for (size_t s = 0; s < MAX_REPEAT; s++)
		if (r->docs[s])
			acc[n++] = (double)r->right[s] / (double)r->docs[s];
	if (r->bad || !n)
		return;
	double mean = np_sum(acc, n) / (double)n;
	for (size_t i = 0; i < n; i++)
		dev[i] = (acc[i] - mean) * (acc[i] - mean);
	double se = sqrt(np_sum(dev, n) / (double)n) / sqrt((double)n);
	ve_buf_adds(&b, "{\"metric\":");
	ve_buf_addf(&b, "\"%s.accuracy_avg\"", r->task);
	ve_buf_adds(&b, ",\"value\":");
	ve_score_num(&b, mean);
	ve_buf_addf(&b, ",\"n\":%zu,\"stderr\":", n);
	ve_score_num(&b, se);
	ve_buf_adds(&b, ",\"unit\":\"ratio\",\"labels\":{\"task\":");
	ve_buf_add_json_str(&b, r->task, strlen(r->task));
	ve_buf_adds(&b, ",\"subset\":\"all\"}");
	ve_score_meta_fields(&b, &st->run.meta);
	ve_buf_addc(&b, '}');
	ve_out_line(b.p, b.len);
	ve_buf_free(&b);
}

static void
groups_free(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->d[i].key);
		free(g->d[i].v);
	}
	for (size_t i = 0; i < g->nnames; i++)
		free(g->names[i]);
	free(g->d);
	free(g->names);
	free(g->r);
	ve_index_free(&g->index);
	free(g);
}

/*
 * --metric code: code-run's verdict on rec (borrowed), its "code_run" with
 * "passed" true when the program passed every test. NULL, or why there is
 * none.
 */
static const char *
code_verdict(jv rec, bool *solved)
{
	jv cr = ve_json_get(rec, "code_run");
	jv_kind k = ve_json_get_kind(cr, "passed");
	const char *why = NULL;

	if (jv_get_kind(cr) != JV_KIND_OBJECT)
		why = "code_run: missing (run code-run first)";
	else if (k != JV_KIND_TRUE && k != JV_KIND_FALSE)
		why = "code_run.passed: expected true or false";
	else
		*solved = k == JV_KIND_TRUE;
	jv_free(cr);
	return why;
}

/*
 * Reference metrics: each --metric of the text (borrowed) against the
 * record's reference into the aggregates (and pass_rate with a threshold);
 * the item row to --items. NULL, or why the record is bad.
 */
static const char *
take_answer(struct state *st, jv rec, const struct ve_score_rec *f, jv text)
{
	const struct opts *o = st->o;
	struct answer a = {.s = jv_string_value(text), .n = ve_json_strlen(text)};
	jv ref = reference_of(st, rec);
	const char *why = read_reference(st, ref, &a);
	double first = 0, v[M_COUNT + 1];
	long sample = -1;
	bool grouped = false;

	if (!why && st->has_code)
		why = code_verdict(rec, &a.solved);
	/* A document's samples are grouped (pass@k); --filter scores one reply a document. */
	if (!why)
		grouped = sample_of(st, rec, &sample, &why) && !o->nfilter;
	if (!why && grouped && sample >= 0 && !claim_sample(st, rec, f, sample))
		why = "sample: this sample of the doc_id was scored already";
	if (why)
		goto out;
	ve_buf_reset(&st->pred);
	ve_buf_reset(&st->scores);
	find_answer(st, f, &a);
	ve_score_agg_tally(st->run.agg, f->tname, "truncated", a.truncated, true);
	if (o->nfilter)
		first = score_filters(st, f, &a);
	/* pass_rate's row follows the item score's, as it did before the others. */
	for (int i = 0; i < o->nmetric && !o->nfilter; i++) {
		v[i] = score_one(st, f, o->metric[i], &a, row_name[o->metric[i]], !grouped);
		if (i == 0)
			first = v[i];
		if (i == 0 && o->has_threshold && !grouped)
			ve_score_agg_add(st->run.agg, f->tname, "pass_rate", "ratio", f->sname,
			                 NULL, passes(o, v[i]));
		else if (i == 0 && o->has_threshold)
			ve_score_agg_late(st->run.agg, f->tname, "pass_rate");
	}
	if (o->nfilter && o->has_threshold)
		ve_score_agg_add(st->run.agg, f->tname, "pass_rate", "ratio", f->sname, NULL,
		                 passes(o, first));
	v[o->nmetric] = o->has_threshold && passes(o, first);
	if (st->has_math)
		ve_score_agg_tally(st->run.agg, f->tname, "no_answer", a.no_answer, false);
	if (grouped)
		group_add(st, rec, f, sample, v, o->has_threshold ? passes(o, first) : first == 1);
	answer_row(st, rec, f, &a, first);
	ve_score_item(&st->run, &st->row);
out:
	jv_free(ref);
	return why;
}

/*
 * The reply's length, usage.completion_tokens (resp borrowed), into
 * TASK.output_tokens: a reasoning model that thinks longer shows there.
 * Replies without usage add nothing.
 */
static void
take_tokens(struct state *st, const struct ve_score_rec *f)
{
	jv usage = ve_json_get(f->resp, "usage");
	jv n = ve_json_get(usage, "completion_tokens");

	if (jv_get_kind(n) == JV_KIND_NUMBER)
		ve_score_agg_add(st->run.agg, f->tname, "output_tokens", "tokens", f->sname, NULL,
		                 jv_number_value(n));
	jv_free(n);
	jv_free(usage);
}

/* Whether rec (borrowed) has the member key. */
static bool
has_key(jv rec, const char *key)
{
	jv v = ve_json_get(rec, key);
	bool r = jv_is_valid(v);

	jv_free(v);
	return r;
}

/* The run's step: scores one record (consumed). NULL, or why it is bad. */
static const char *
take_record(void *tool, jv rec, const struct ve_line *line)
{
	struct state *st = tool;
	struct ve_score_rec f;
	jv text = jv_invalid();
	const char *why;

	(void)line; /* the step's signature; score-gen needs no place beyond the reader's */
	if ((why = ve_score_rec_get(&f, rec, st->o->common.task)))
		goto out;
	/* A failed request is counted, not scored. */
	ve_score_agg_tally(st->run.agg, f.tname, "failed", f.failed, true);
	text = ve_json_get(f.resp, "text");
	if (st->o->judge && (f.failed || jv_get_kind(f.resp) == JV_KIND_OBJECT ||
	                     has_key(rec, "judge_error") || has_key(rec, "judge_verdicts")))
		take_judge(st, rec, &f);
	else if (f.failed)
		; /* counted above */
	else if (jv_get_kind(text) != JV_KIND_STRING)
		why = jv_get_kind(f.resp) == JV_KIND_OBJECT
		          ? "response.text: expected a string"
		          : "response: missing (not llm-query output?)";
	else if (!(why = take_answer(st, rec, &f, text)))
		take_tokens(st, &f);
out:
	jv_free(text);
	ve_score_rec_free(&f);
	jv_free(rec);
	return why;
}

/* Compiles the reference expression and the patterns once; usage errors exit 64. */
static void
state_init(struct state *st, const struct opts *o)
{
	memset(st, 0, sizeof *st);
	st->o = o;
	st->ref = ve_jq_compile("--reference",
	                        o->reference ? o->reference : ".gold // .answer // .reference");
	/* Python's re, which lm-eval's filters and exact_match use: \w, \d and \s
	 * are Unicode's in a str pattern. */
	if (o->regex)
		st->regex = ve_re_compile("--regex", o->regex, PCRE2_UTF | PCRE2_UCP);
	for (int i = 0; i < o->nignore; i++)
		st->ignore[i] =
		    ve_re_compile("--ignore-regex", o->ignore[i], PCRE2_UTF | PCRE2_UCP);
	st->number = ve_re_compile(NULL, "-?[0-9][0-9,]*(?:\\.[0-9]+)?", PCRE2_UTF);
	st->md = pcre2_match_data_create(16, NULL);
	for (int i = 0; i < o->nfilter; i++) {
		st->filter[i] = ve_re_compile("--filter", o->filter[i].re, PCRE2_UTF | PCRE2_UCP);
		st->filter_md[i] = pcre2_match_data_create_from_pattern(st->filter[i], NULL);
	}
	for (int i = 0; i < o->nmetric; i++) {
		st->need_ref |= o->metric[i] != M_JSON && o->metric[i] != M_CODE;
		st->has_code |= o->metric[i] == M_CODE;
		st->has_math |= o->metric[i] == M_MATH;
	}
	st->gr = ve_xcalloc(1, sizeof *st->gr);
	st->all = ve_score_agg_new();
}

static void
state_free(struct state *st)
{
	ve_jq_free(st->ref);
	pcre2_code_free(st->regex);
	for (int i = 0; i < st->o->nignore; i++)
		pcre2_code_free(st->ignore[i]);
	pcre2_code_free(st->number);
	pcre2_match_data_free(st->md);
	ve_score_agg_free(st->all);
	for (int i = 0; i < st->o->nfilter; i++) {
		pcre2_code_free(st->filter[i]);
		pcre2_match_data_free(st->filter_md[i]);
		ve_buf_free(&st->fpred[i]);
	}
	ve_buf_free(&st->a);
	ve_buf_free(&st->b);
	ve_buf_free(&st->c);
	ve_buf_free(&st->row);
	ve_buf_free(&st->tmp);
	ve_buf_free(&st->id);
	ve_buf_free(&st->pred);
	ve_buf_free(&st->scores);
	ve_buf_free(&st->sample);
	groups_free(st->gr);
}

/* Scores every record, then writes the metric rows; returns the exit status. */
static int
run(const struct opts *o, char **files, int nfiles)
{
	struct state st;
	int rc;

	state_init(&st, o);
	ve_score_begin(&st.run, &o->common, files, nfiles);
	if (!(rc = ve_score_read(&st.run, take_record, &st))) {
		group_emit(&st);
		ve_score_agg_emit(st.run.agg, &st.run.meta);
		ve_score_agg_emit(st.all, &st.run.meta);
		for (size_t i = 0; i < st.gr->nr; i++)
			repeat_row(&st, &st.gr->r[i]);
		if (st.unparsed && !o->common.cli.quiet)
			ve_warn("%llu of %llu judge replies could not be read", st.unparsed,
			        st.run.records);
		if (o->common.cli.verbose)
			ve_warn("read %llu records", st.run.records);
	}
	rc = ve_score_end(&st.run, rc);
	state_free(&st);
	return rc;
}

/*
 * score-gen [options] [FILE...]: llm-query output (or a judge's replies) in,
 * from files or stdin; metric rows out on stdout, item rows to --items.
 */
int
main(int argc, char **argv)
{
	struct opts o = {.think_open = "<think>", .think_close = "</think>"};
	int rc;

	ve_setprogname(argv);
	parse_args(argc, argv, &o);
	ve_out_init();
	rc = run(&o, argv + optind, argc - optind);
	for (int i = 0; i < o.nkeys; i++)
		free(o.keys[i]);
	free(o.keys);
	free(o.think_tags);
	return ve_out_finish(rc);
}
