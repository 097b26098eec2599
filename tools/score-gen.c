/*
 * score-gen — metrics of generated answers, and LLM-as-judge scores.
 *
 * Reads llm-query output (records with response.text) and writes metric
 * rows (vllm-eval(7)) to stdout and, with --items, one item row per
 * record. Reference metrics compare response.text with the record's
 * reference (--reference, by default .gold // .answer // .reference):
 *
 *   exact_match  lm-eval's exact_match: --ignore-regex patterns removed, then
 *                --ignore-case and --ignore-punctuation, then equality
 *   numeric      the last \boxed{} of the text, else its last number, and the
 *                reference compared as integers (AIME)
 *   contains     the reference occurs in the text (same normalisations)
 *   regex        the first match of --regex (its group 1 when it has one)
 *                compared with the reference as exact_match does
 *   f1           SQuAD's token F1 (lower case, ASCII punctuation and the
 *                articles a, an, the removed)
 *   rouge_l      ROUGE-L F1 over word tokens (longest common subsequence)
 *   json         the text is JSON (a ``` fence is allowed); with
 *                --required-keys, an object holding all of them
 *
 * With --judge KIND the records are a judge model's replies and the score
 * is DeepEval's: geval (the reply's score 0-10 over 10, or the expectation
 * over the score tokens' top logprobs when present), answer_relevancy and
 * faithfulness (the share of verdicts that are not "no"), hallucination (the
 * share of contexts whose verdict is "no"). A reply that cannot be read is an
 * item error, counted in TASK.KIND.unparsed, never a crash.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "score.h"

enum metric {
	M_EXACT,
	M_NUMERIC,
	M_CONTAINS,
	M_REGEX,
	M_F1,
	M_ROUGE_L,
	M_JSON,
	M_COUNT,
};

static const char *const metric_name[M_COUNT] = {
    "exact_match", "numeric", "contains", "regex", "f1", "rouge_l", "json",
};

/* The metric rows' names: what each one measures. */
static const char *const row_name[M_COUNT] = {
    "exact_match", "numeric_match", "contains", "regex_match", "f1", "rouge_l", "json_valid",
};

enum judge { J_NONE, J_GEVAL, J_RELEVANCY, J_FAITHFULNESS, J_HALLUCINATION };

static const char *const judge_name[] = {
    "", "geval", "answer_relevancy", "faithfulness", "hallucination",
};

#define MAX_IGNORE 8

struct opts {
	enum metric metric[M_COUNT];
	int nmetric;
	enum judge judge;
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
	const char *items_path;
	const char *task;
	const char *run_id;
	const char *model_tag;
	bool skip_bad;
	const char *rejects;
	int verbose;
	bool quiet;
};

struct state {
	const struct opts *o;
	struct ve_jq *ref;
	pcre2_code *regex;
	pcre2_code *ignore[MAX_IGNORE];
	pcre2_code *number;
	pcre2_code *score_re;
	pcre2_match_data *md;
	struct ve_score_agg *agg;
	FILE *items;
	struct ve_buf a, b, row, tmp;
	unsigned long long records, unparsed;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [-m METRIC]... [-r EXPR] [--regex RE] [--ignore-case]\n"
	        "                 [--ignore-punctuation] [--ignore-regex RE]... [--required-keys "
	        "LIST]\n"
	        "                 [--pass-threshold X] [-i FILE] [-t TASK] [--run-id ID]\n"
	        "                 [--model-tag TAG] [--skip-bad] [--rejects FILE] [FILE...]\n"
	        "       %s --judge KIND [--pass-threshold X] [-i FILE] [-t TASK] [FILE...]\n"
	        "\n"
	        "Score generated answers in llm-query output; metric rows to stdout.\n"
	        "\n"
	        "  -m, --metric METRIC      exact_match (default), numeric, contains, regex, f1,\n"
	        "                           rouge_l, json (repeatable; the first is the item "
	        "score)\n"
	        "  -r, --reference EXPR     jq expression for the reference\n"
	        "                           (default: .gold // .answer // .reference)\n"
	        "      --regex RE           PCRE2 pattern extracting the answer (metric regex)\n"
	        "      --ignore-case        compare case-insensitively (ASCII)\n"
	        "      --ignore-punctuation drop ASCII punctuation before comparing\n"
	        "      --ignore-regex RE    remove matches of RE before comparing (repeatable)\n"
	        "      --required-keys LIST comma-separated keys the JSON object must hold\n"
	        "      --judge KIND         judge replies: geval, answer_relevancy, faithfulness,\n"
	        "                           hallucination\n"
	        "      --pass-threshold X   an item passes at X or more (hallucination: X or "
	        "less);\n"
	        "                           adds a pass_rate row (judge default 0.5)\n"
	        "  -i, --items FILE         write one item row per record to FILE\n"
	        "  -t, --task TASK          task of records without one (default: gen, judge)\n"
	        "      --run-id ID          run_id of the metric rows (default: $RUN_ID)\n"
	        "      --model-tag TAG      model_tag of the metric rows (default: $MODEL_TAG)\n"
	        "      --skip-bad           skip malformed records, count them\n"
	        "      --rejects FILE       write skipped records to FILE (implies --skip-bad)\n"
	        "  -v, --verbose            print counts to stderr\n"
	        "  -q, --quiet              no warnings\n"
	        "  -h, --help               this help\n"
	        "      --version            print the version\n"
	        "\n"
	        "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 74 I/O error.\n"
	        "See score-gen(1).\n",
	        ve_progname, ve_progname);
}

enum {
	OPT_REGEX = 256,
	OPT_IGNORE_CASE,
	OPT_IGNORE_PUNCT,
	OPT_IGNORE_REGEX,
	OPT_REQUIRED_KEYS,
	OPT_JUDGE,
	OPT_THRESHOLD,
	OPT_RUN_ID,
	OPT_MODEL_TAG,
	OPT_SKIP_BAD,
	OPT_REJECTS,
	OPT_VERSION,
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
	    {"pass-threshold", required_argument, NULL, OPT_THRESHOLD},
	    {"items", required_argument, NULL, 'i'},
	    {"task", required_argument, NULL, 't'},
	    {"run-id", required_argument, NULL, OPT_RUN_ID},
	    {"model-tag", required_argument, NULL, OPT_MODEL_TAG},
	    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
	    {"rejects", required_argument, NULL, OPT_REJECTS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c, i;

	while ((c = getopt_long(argc, argv, "m:r:i:t:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			for (i = 0; i < M_COUNT && strcmp(optarg, metric_name[i]); i++)
				;
			if (i == M_COUNT)
				ve_usage_error(
				    "--metric: unknown metric '%s' (exact_match, numeric, "
				    "contains, regex, f1, rouge_l, json)",
				    optarg);
			for (int j = 0; j < o->nmetric; j++)
				if (o->metric[j] == (enum metric)i)
					ve_usage_error("--metric %s given twice", optarg);
			o->metric[o->nmetric++] = (enum metric)i;
			break;
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
		case OPT_JUDGE:
			for (i = 1; i <= J_HALLUCINATION && strcmp(optarg, judge_name[i]); i++)
				;
			if (i > J_HALLUCINATION)
				ve_usage_error(
				    "--judge: unknown kind '%s' (geval, answer_relevancy, "
				    "faithfulness, hallucination)",
				    optarg);
			o->judge = (enum judge)i;
			break;
		case OPT_THRESHOLD:
			o->threshold = ve_opt_double("--pass-threshold", optarg, 0, 1);
			o->has_threshold = true;
			break;
		case 'i': o->items_path = optarg; break;
		case 't': o->task = optarg; break;
		case OPT_RUN_ID: o->run_id = optarg; break;
		case OPT_MODEL_TAG: o->model_tag = optarg; break;
		case OPT_SKIP_BAD: o->skip_bad = true; break;
		case OPT_REJECTS: o->rejects = optarg; break;
		case 'v': o->verbose++; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(fflush(stdout) ? VE_EX_IOERR : VE_EX_OK);
		case OPT_VERSION: ve_print_version();
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", ve_progname);
			exit(VE_EX_USAGE);
		}
	}
	if (o->judge && (o->nmetric || o->reference || o->regex))
		ve_usage_error("--judge scores judge replies: not with --metric, --reference or "
		               "--regex");
	if (!o->judge && !o->nmetric)
		o->metric[o->nmetric++] = M_EXACT;
	bool has_regex = false, has_json = false;
	for (i = 0; i < o->nmetric; i++) {
		has_regex |= o->metric[i] == M_REGEX;
		has_json |= o->metric[i] == M_JSON;
	}
	if (has_regex != (o->regex != NULL))
		ve_usage_error(has_regex ? "--metric regex needs --regex RE"
		                         : "--regex is used by --metric regex");
	if (o->nkeys && !has_json)
		ve_usage_error("--required-keys is used by --metric json");
	if (o->judge && !o->has_threshold)
		o->threshold = 0.5;
}

static pcre2_code *
compile(const char *opt, const char *re)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c =
	    pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);

	if (!c) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		ve_usage_error("%s: %s at offset %zu in '%s'", opt, (const char *)msg, (size_t)off,
		               re);
	}
	return c;
}

/* obj[k] as a new jv (obj borrowed); invalid when absent. */
static jv
field(jv obj, const char *k)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(k));
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
		PCRE2_SIZE len = out->len * 2 + 64;
		char *dst = ve_xmalloc(len);
		int r = pcre2_substitute(st->ignore[i], (PCRE2_SPTR)out->p, out->len, 0,
		                         PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH,
		                         NULL, NULL, (PCRE2_SPTR) "", 0, (PCRE2_UCHAR *)dst, &len);
		if (r == PCRE2_ERROR_NOMEMORY) {
			dst = ve_xrealloc(dst, len);
			r = pcre2_substitute(st->ignore[i], (PCRE2_SPTR)out->p, out->len, 0,
			                     PCRE2_SUBSTITUTE_GLOBAL, NULL, NULL, (PCRE2_SPTR) "",
			                     0, (PCRE2_UCHAR *)dst, &len);
		}
		if (r >= 0) {
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
	PCRE2_SIZE start = 0, ms = 0, me = 0;
	bool found = false;
	while (start <= n &&
	       pcre2_match(st->number, (PCRE2_SPTR)s, n, start, 0, st->md, NULL) > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
		ms = ov[0];
		me = ov[1];
		found = true;
		start = me > start ? me : start + 1;
	}
	if (!found)
		return false;
	ve_buf_add(shown, s + ms, me - ms);
	return parse_integer(s + ms, me - ms, v);
}

/* SQuAD's normalize_answer, then its tokens (space-separated words). */
static size_t
squad_tokens(const char *s, struct ve_buf *buf, char ***tok)
{
	ve_buf_reset(buf);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x80 && ispunct(c))
			continue;
		ve_buf_addc(buf, (char)(c < 0x80 ? tolower(c) : c));
	}
	size_t n = 0, cap = 0;
	char *save = NULL;
	*tok = NULL;
	for (char *w = strtok_r(buf->p ? buf->p : (char[]){0}, " \t\n\r\f\v", &save); w;
	     w = strtok_r(NULL, " \t\n\r\f\v", &save)) {
		if (!strcmp(w, "a") || !strcmp(w, "an") || !strcmp(w, "the"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*tok = ve_xrealloc(*tok, cap * sizeof **tok);
		}
		(*tok)[n++] = w;
	}
	return n;
}

/* SQuAD's f1_score: harmonic mean of token precision and recall (multiset overlap). */
static double
token_f1(struct state *st, const char *pred, const char *gold)
{
	char **p, **g;
	size_t np = squad_tokens(pred, &st->a, &p), ng = squad_tokens(gold, &st->b, &g);
	double f = 0;

	if (np == 0 || ng == 0) {
		f = np == ng;
	} else {
		bool *used = ve_xcalloc(ng, sizeof *used);
		size_t same = 0;
		for (size_t i = 0; i < np; i++)
			for (size_t j = 0; j < ng; j++)
				if (!used[j] && !strcmp(p[i], g[j])) {
					used[j] = true;
					same++;
					break;
				}
		free(used);
		if (same) {
			double precision = (double)same / (double)np;
			double recall = (double)same / (double)ng;
			f = 2 * precision * recall / (precision + recall);
		}
	}
	free(p);
	free(g);
	return f;
}

/* Word tokens for ROUGE-L: runs of bytes other than ASCII space and punctuation. */
static size_t
words(const char *s, struct ve_buf *buf, char ***tok)
{
	ve_buf_reset(buf);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		ve_buf_addc(buf, (char)(c < 0x80 && (ispunct(c) || isspace(c)) ? ' ' : tolower(c)));
	}
	size_t n = 0, cap = 0;
	char *save = NULL;
	*tok = NULL;
	for (char *w = strtok_r(buf->p ? buf->p : (char[]){0}, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*tok = ve_xrealloc(*tok, cap * sizeof **tok);
		}
		(*tok)[n++] = w;
	}
	return n;
}

/* ROUGE-L F1: the longest common subsequence over the two lengths. */
static double
rouge_l(struct state *st, const char *pred, const char *gold)
{
	char **p, **g;
	size_t np = words(pred, &st->a, &p), ng = words(gold, &st->b, &g);
	double f = 0;

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
		size_t lcs = prev[ng];
		free(prev);
		free(cur);
		if (lcs) {
			double precision = (double)lcs / (double)np,
			       recall = (double)lcs / (double)ng;
			f = 2 * precision * recall / (precision + recall);
		}
	}
	free(p);
	free(g);
	return f;
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

/*
 * The JSON object in a judge's reply: the text from its first '{' to its
 * last '}' (judges wrap JSON in prose and fences). Invalid jv when none.
 */
static jv
judge_object(const char *s, size_t n)
{
	const char *a = memchr(s, '{', n), *b = NULL;

	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '}') {
			b = s + i - 1;
			break;
		}
	if (!a || !b || b < a)
		return jv_invalid();
	jv v = jv_parse_sized(a, (int)(b - a + 1));
	if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_OBJECT) {
		jv_free(v);
		return jv_invalid();
	}
	if (!jv_is_valid(v)) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/* An integer score token 0..10 ("7", " 7"); -1 otherwise. */
static int
score_token(const char *t)
{
	while (*t == ' ')
		t++;
	if (!isdigit((unsigned char)t[0]))
		return -1;
	if (!t[1])
		return t[0] - '0';
	if (t[0] == '1' && t[1] == '0' && !t[2])
		return 10;
	return -1;
}

/*
 * G-Eval's probability-weighted score: at the first generated token that is
 * a score, sum(p * score) / sum(p) over the score tokens among its top
 * logprobs. False when the reply carries no such token. resp is borrowed.
 */
static bool
geval_expectation(jv resp, double *out)
{
	jv lp = field(resp, "logprobs");
	jv tokens = field(lp, "tokens"), tops = field(lp, "top_logprobs");
	jv content = field(lp, "content");
	double num = 0, den = 0;
	bool done = false;

	if (jv_get_kind(tokens) == JV_KIND_ARRAY && jv_get_kind(tops) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(tokens));
		for (int i = 0; i < n && !done; i++) {
			jv t = jv_array_get(jv_copy(tokens), i);
			if (jv_get_kind(t) == JV_KIND_STRING &&
			    score_token(jv_string_value(t)) >= 0) {
				jv top = jv_array_get(jv_copy(tops), i);
				if (jv_get_kind(top) == JV_KIND_OBJECT)
					for (int it = jv_object_iter(top);
					     jv_object_iter_valid(top, it);
					     it = jv_object_iter_next(top, it)) {
						jv k = jv_object_iter_key(top, it);
						jv v = jv_object_iter_value(top, it);
						int sc = score_token(jv_string_value(k));
						if (sc >= 0 && jv_get_kind(v) == JV_KIND_NUMBER) {
							double p = exp(jv_number_value(v));
							num += p * sc;
							den += p;
						}
						jv_free(k);
						jv_free(v);
					}
				jv_free(top);
				done = true;
			}
			jv_free(t);
		}
	} else if (jv_get_kind(content) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(content));
		for (int i = 0; i < n && !done; i++) {
			jv e = jv_array_get(jv_copy(content), i);
			jv t = field(e, "token");
			if (jv_get_kind(t) == JV_KIND_STRING &&
			    score_token(jv_string_value(t)) >= 0) {
				jv list = field(e, "top_logprobs");
				int m = jv_get_kind(list) == JV_KIND_ARRAY
				            ? jv_array_length(jv_copy(list))
				            : 0;
				for (int j = 0; j < m; j++) {
					jv x = jv_array_get(jv_copy(list), j);
					jv k = field(x, "token"), v = field(x, "logprob");
					int sc = jv_get_kind(k) == JV_KIND_STRING
					             ? score_token(jv_string_value(k))
					             : -1;
					if (sc >= 0 && jv_get_kind(v) == JV_KIND_NUMBER) {
						double p = exp(jv_number_value(v));
						num += p * sc;
						den += p;
					}
					jv_free(k);
					jv_free(v);
					jv_free(x);
				}
				jv_free(list);
				done = true;
			}
			jv_free(t);
			jv_free(e);
		}
	}
	jv_free(lp);
	jv_free(tokens);
	jv_free(tops);
	jv_free(content);
	if (den <= 0)
		return false;
	*out = num / den;
	return true;
}

/*
 * Scores one judge reply. Returns NULL and sets *score, or why the reply
 * cannot be read. resp is borrowed.
 */
static const char *
judge_score(struct state *st, jv resp, const char *s, size_t n, double *score)
{
	enum judge k = st->o->judge;
	jv obj = judge_object(s, n);
	const char *why = NULL;

	if (k == J_GEVAL) {
		double x = NAN, e;
		jv sc = field(obj, "score");
		if (jv_get_kind(sc) == JV_KIND_NUMBER) {
			x = jv_number_value(sc);
		} else if (pcre2_match(st->score_re, (PCRE2_SPTR)s, n, 0, 0, st->md, NULL) > 1) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
			ve_buf_reset(&st->tmp);
			ve_buf_add(&st->tmp, s + ov[2], ov[3] - ov[2]);
			if (!ve_parse_double(st->tmp.p, 0, 10, &x))
				x = NAN;
		}
		jv_free(sc);
		if (isnan(x) || x < 0 || x > 10)
			why = "judge reply: no score from 0 to 10";
		else
			*score = (geval_expectation(resp, &e) ? e : x) / 10;
	} else {
		jv verdicts = field(obj, "verdicts");
		if (jv_get_kind(verdicts) != JV_KIND_ARRAY) {
			why = "judge reply: no \"verdicts\" array";
		} else {
			int m = jv_array_length(jv_copy(verdicts)), no = 0;
			for (int i = 0; i < m && !why; i++) {
				jv e = jv_array_get(jv_copy(verdicts), i);
				jv v = field(e, "verdict");
				if (jv_get_kind(v) != JV_KIND_STRING)
					why = "judge reply: a verdict is not \"yes\", \"no\" or "
					      "\"idk\"";
				else
					no += !strcasecmp(jv_string_value(v), "no");
				jv_free(v);
				jv_free(e);
			}
			/* DeepEval: no statements is relevant and faithful, and no contradiction.
			 */
			if (!why && k == J_HALLUCINATION)
				*score = m ? (double)no / m : 0;
			else if (!why)
				*score = m ? (double)(m - no) / m : 1;
		}
		jv_free(verdicts);
	}
	jv_free(obj);
	return why;
}

static void
item_head(struct ve_buf *b, const char *task, jv id, const char *subset)
{
	ve_buf_reset(b);
	ve_buf_adds(b, "{\"task\":");
	ve_buf_add_json_str(b, task, strlen(task));
	ve_buf_adds(b, ",\"doc_id\":");
	if (jv_is_valid(id))
		ve_json_dump(id, b);
	else
		ve_buf_adds(b, "null");
	ve_buf_adds(b, ",\"subset\":");
	ve_buf_add_json_str(b, subset, strlen(subset));
}

static bool
passes(const struct opts *o, double score)
{
	return o->judge == J_HALLUCINATION ? score <= o->threshold : score >= o->threshold;
}

/* Scores one record (consumed). Returns NULL or why it is bad. */
static const char *
take_record(struct state *st, jv rec)
{
	const struct opts *o = st->o;
	jv task = field(rec, "task"), subset = field(rec, "subset"), id = field(rec, "doc_id");
	jv resp = field(rec, "response"), err = field(rec, "error"), text = jv_invalid();
	jv ref = jv_invalid();
	const char *why = NULL;
	char name[128];

	if (jv_is_valid(task) && jv_get_kind(task) != JV_KIND_STRING) {
		why = "task: expected a string";
		goto out;
	}
	if (jv_is_valid(subset) && jv_get_kind(subset) != JV_KIND_STRING) {
		why = "subset: expected a string";
		goto out;
	}
	const char *t = jv_is_valid(task) ? jv_string_value(task)
	                : o->task         ? o->task
	                : o->judge        ? "judge"
	                                  : "gen";
	const char *sub = jv_is_valid(subset) ? jv_string_value(subset) : "all";
	bool failed = !jv_is_valid(resp) && jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
	/* A failed request is counted, not scored. */
	ve_score_agg_tally(st->agg, t, "failed", failed, true);
	if (failed)
		goto out;
	text = field(resp, "text");
	if (jv_get_kind(text) != JV_KIND_STRING) {
		why = jv_get_kind(resp) == JV_KIND_OBJECT
		          ? "response.text: expected a string"
		          : "response: missing (not llm-query output?)";
		goto out;
	}
	const char *s = jv_string_value(text);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(text));

	if (o->judge) {
		double score = 0;
		const char *bad = judge_score(st, resp, s, n, &score);
		item_head(&st->row, t, id, sub);
		snprintf(name, sizeof name, "%s.unparsed", judge_name[o->judge]);
		ve_score_agg_tally(st->agg, t, name, bad != NULL, false);
		snprintf(name, sizeof name, "%s.mean", judge_name[o->judge]);
		if (bad) {
			st->unparsed++;
			ve_buf_adds(&st->row, ",\"correct\":false,\"score\":null,\"error\":");
			ve_buf_add_json_str(&st->row, bad, strlen(bad));
		} else {
			ve_buf_addf(&st->row, ",\"correct\":%s,\"score\":",
			            passes(o, score) ? "true" : "false");
			ve_score_num(&st->row, score);
			ve_score_agg_add(st->agg, t, name, "score", sub, NULL, score);
			snprintf(name, sizeof name, "%s.pass_rate", judge_name[o->judge]);
			ve_score_agg_add(st->agg, t, name, "ratio", sub, NULL, passes(o, score));
		}
		ve_buf_addc(&st->row, '}');
		goto write;
	}

	ref = ve_jq_first(st->ref, jv_copy(rec));
	if (jv_get_kind(ref) == JV_KIND_NUMBER) {
		jv d = jv_dump_string(jv_copy(ref), 0);
		jv_free(ref);
		ref = d;
	}
	bool need_ref = false;
	for (int i = 0; i < o->nmetric; i++)
		need_ref |= o->metric[i] != M_JSON;
	if (need_ref && jv_get_kind(ref) != JV_KIND_STRING) {
		why = "reference: expected a string or a number (see --reference)";
		goto out;
	}
	const char *g = need_ref ? jv_string_value(ref) : "";
	size_t gn = need_ref ? (size_t)jv_string_length_bytes(jv_copy(ref)) : 0;
	long long gv = 0;
	for (int i = 0; i < o->nmetric; i++)
		if (o->metric[i] == M_NUMERIC && !parse_integer(g, gn, &gv)) {
			why = "reference: expected an integer for --metric numeric";
			goto out;
		}

	struct ve_buf pred = {0}, scores = {0};
	double first = 0;
	bool has_pred = false;
	for (int i = 0; i < o->nmetric; i++) {
		double v = 0;
		switch (o->metric[i]) {
		case M_EXACT:
			normalise(st, s, n, &st->a);
			normalise(st, g, gn, &st->b);
			v = !strcmp(st->a.p, st->b.p);
			break;
		case M_CONTAINS:
			normalise(st, s, n, &st->a);
			normalise(st, g, gn, &st->b);
			v = strstr(st->a.p, st->b.p) != NULL;
			break;
		case M_NUMERIC: {
			long long x;
			bool ok = numeric_answer(st, s, n, &x, &st->tmp);
			v = ok && x == gv;
			if (!has_pred && st->tmp.len) {
				ve_buf_add(&pred, st->tmp.p, st->tmp.len);
				has_pred = true;
			}
			break;
		}
		case M_REGEX:
			if (pcre2_match(st->regex, (PCRE2_SPTR)s, n, 0, 0, st->md, NULL) > 0) {
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
				int gi = pcre2_get_ovector_count(st->md) > 1 && ov[2] != PCRE2_UNSET
				             ? 1
				             : 0;
				ve_buf_reset(&st->tmp);
				ve_buf_add(&st->tmp, s + ov[2 * gi], ov[2 * gi + 1] - ov[2 * gi]);
				if (!has_pred) {
					ve_buf_add(&pred, st->tmp.p, st->tmp.len);
					has_pred = true;
				}
				struct ve_buf x = {0};
				normalise(st, st->tmp.p, st->tmp.len, &x);
				normalise(st, g, gn, &st->b);
				v = !strcmp(x.p, st->b.p);
				ve_buf_free(&x);
			}
			break;
		case M_F1: v = token_f1(st, s, g); break;
		case M_ROUGE_L: v = rouge_l(st, s, g); break;
		case M_JSON: v = json_score(o, s, n); break;
		case M_COUNT: break;
		}
		if (i == 0)
			first = v;
		ve_buf_addf(&scores, "%s\"%s\":", i ? "," : "", row_name[o->metric[i]]);
		ve_score_num(&scores, v);
		ve_score_agg_add(st->agg, t, row_name[o->metric[i]], "ratio", sub, NULL, v);
		if (o->has_threshold && i == 0)
			ve_score_agg_add(st->agg, t, "pass_rate", "ratio", sub, NULL, passes(o, v));
	}
	item_head(&st->row, t, id, sub);
	ve_buf_adds(&st->row, ",\"pred\":");
	if (has_pred)
		ve_buf_add_json_str(&st->row, pred.p, pred.len);
	else if (o->metric[0] == M_REGEX)
		ve_buf_adds(&st->row, "null");
	else
		ve_buf_add_json_str(&st->row, s, n);
	ve_buf_adds(&st->row, ",\"gold\":");
	if (need_ref)
		ve_buf_add_json_str(&st->row, g, gn);
	else
		ve_buf_adds(&st->row, "null");
	ve_buf_addf(&st->row, ",\"correct\":%s,\"score\":",
	            (o->has_threshold ? passes(o, first) : first == 1) ? "true" : "false");
	ve_score_num(&st->row, first);
	ve_buf_adds(&st->row, ",\"scores\":{");
	ve_buf_add(&st->row, scores.p, scores.len);
	ve_buf_adds(&st->row, "}}");
	ve_buf_free(&pred);
	ve_buf_free(&scores);
write:
	if (st->items && (fwrite(st->row.p, 1, st->row.len, st->items) != st->row.len ||
	                  putc('\n', st->items) == EOF))
		ve_die(VE_EX_IOERR, "--items: %s: write error: %s", o->items_path, strerror(errno));
out:
	jv_free(rec);
	jv_free(task);
	jv_free(subset);
	jv_free(id);
	jv_free(resp);
	jv_free(err);
	jv_free(text);
	jv_free(ref);
	return why;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct state st;
	struct ve_bad bad;
	struct ve_score_meta meta;
	struct ve_input *in = NULL;
	struct ve_line line;
	int r, rc = 0, rc2;

	ve_setprogname(argv);
	parse_args(argc, argv, &o);
	ve_out_init();
	ve_score_meta_init(&meta, o.run_id, o.model_tag);
	memset(&st, 0, sizeof st);
	st.o = &o;
	st.ref = ve_jq_compile("--reference",
	                       o.reference ? o.reference : ".gold // .answer // .reference");
	if (o.regex)
		st.regex = compile("--regex", o.regex);
	for (int i = 0; i < o.nignore; i++)
		st.ignore[i] = compile("--ignore-regex", o.ignore[i]);
	st.number = compile("number", "-?[0-9][0-9,]*(?:\\.[0-9]+)?");
	st.score_re =
	    pcre2_compile((PCRE2_SPTR) "score\"?\\s*[:=]\\s*([0-9]+(?:\\.[0-9]+)?)",
	                  PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &r, &(PCRE2_SIZE){0}, NULL);
	st.md = pcre2_match_data_create(16, NULL);
	st.agg = ve_score_agg_new();
	ve_bad_open(&bad, o.rejects, o.skip_bad || o.rejects);
	if (o.items_path && !(st.items = fopen(o.items_path, "w"))) {
		ve_warn("--items: %s: %s", o.items_path, strerror(errno));
		rc = VE_EX_NOINPUT;
		goto out;
	}
	in = ve_input_new(argv + optind, argc - optind);
	while ((r = ve_input_next(in, &line)) == 1) {
		if (ve_line_blank(&line))
			continue;
		jv rec = ve_record_parse(line.text, line.len);
		const char *why;
		jv msg = jv_null();
		if (!jv_is_valid(rec)) {
			msg = jv_invalid_get_msg(rec);
			why = jv_string_value(msg);
		} else {
			st.records++;
			why = take_record(&st, rec);
		}
		if (why && (rc = ve_bad_record(&bad, &line, why))) {
			jv_free(msg);
			goto out;
		}
		jv_free(msg);
	}
	if (r < 0) {
		rc = ve_input_status(in);
		goto out;
	}
	ve_score_agg_emit(st.agg, &meta);
	if (st.unparsed && !o.quiet)
		ve_warn("%llu of %llu judge replies could not be read", st.unparsed, st.records);
	if (o.verbose)
		ve_warn("read %llu records", st.records);
out:
	rc2 = ve_bad_close(&bad, o.quiet);
	if (!rc)
		rc = rc2;
	if (st.items && (rc2 = ve_fclose_checked(st.items, o.items_path)) && !rc)
		rc = rc2;
	ve_input_free(in);
	ve_jq_free(st.ref);
	pcre2_code_free(st.regex);
	for (int i = 0; i < o.nignore; i++)
		pcre2_code_free(st.ignore[i]);
	pcre2_code_free(st.number);
	pcre2_code_free(st.score_re);
	pcre2_match_data_free(st.md);
	ve_score_agg_free(st.agg);
	ve_buf_free(&st.a);
	ve_buf_free(&st.b);
	ve_buf_free(&st.row);
	ve_buf_free(&st.tmp);
	for (int i = 0; i < o.nkeys; i++)
		free(o.keys[i]);
	free(o.keys);
	rc2 = ve_out_close();
	return rc ? rc : rc2;
}
