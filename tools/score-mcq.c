/*
 * score-mcq — multiple-choice scoring as lm-evaluation-harness scores it.
 *
 * Reads llm-query output and writes metric rows (vllm-eval(7), RECORDS) to
 * stdout and, with --items, one item row per question. Three modes:
 *
 *   ll      one record per choice (a multiple-choice request record of
 *           vllm-eval(7)) carrying response.loglikelihood; records are
 *           grouped by (task, doc_id) and scored as lm-eval's
 *           ConfigurableTask.process_results does for multiple_choice: acc
 *           (argmax of the loglikelihoods, first maximum on ties), acc_norm
 *           (loglikelihood over the choice's length in code points, the
 *           continuation without its leading " "), acc_bytes (over its
 *           length in UTF-8 bytes) and exact_match (the greedy flag of the
 *           gold choice).
 *   letter  one record per question asked with max_tokens 1 and top
 *           logprobs; the prediction is the letter whose token (" A" or
 *           "A") has the highest logprob in the first token's top list.
 *   gen     one record per question with response.text; the letter is
 *           extracted with --extract or the built-in patterns and compared
 *           as lm-eval's exact_match with ignore_case and ignore_punctuation.
 *
 * Figures per subset and per task (size-weighted, pooled stderr, and the
 * macro mean) come from lib/score.c, which mirrors lm_eval/api/metrics.py.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "buf.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "re.h"
#include "score.h"
#include "utf8.h"

enum mode { MODE_AUTO, MODE_LL, MODE_LETTER, MODE_GEN };

struct opts {
	enum mode mode;
	const char *missing_path;
	const char *extract;
	long letters;
	struct ve_score_opts common; /* --items, --task, --run-id, ... */
};

struct choice {
	double ll;
	size_t cps, bytes;
	bool greedy, have;
};

/* One question: its choices (ll mode) or its prediction (letter, gen). */
struct doc {
	char *task, *subset, *id; /* id: the doc_id's JSON */
	char *group;              /* NULL, or the subset's group (MMLU's stem ...) */
	int *gold;
	int ngold;
	struct choice *c;
	int nc;
	bool failed;
	int pred;         /* letter and gen modes; -1: none */
	unsigned missing; /* letter mode: bit i set when letter i was not in the top list */
	char *answer;     /* gen mode: the extracted answer */
	char *name;       /* where its first record was, for errors found at the end */
	unsigned long long lineno;
};

struct docs {
	struct doc *v;
	size_t n, cap;
	struct ve_index index; /* of v, by (task, doc_id) */
};

/* What the gen mode extracts with. */
struct extractor {
	struct ve_jq *jq;
	pcre2_code *re[3];
	pcre2_match_data *md;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [-m MODE] [-i FILE] [-t TASK] [-e EXPR] [-l N] [--missing FILE]\n"
	        "                 [--run-id ID] [--model-tag TAG] [--task-version V]\n"
	        "                 [--task-inputs S] [--skip-bad] [--rejects FILE] [FILE...]\n"
	        "\n"
	        "Score multiple-choice answers in llm-query output as lm-evaluation-harness\n"
	        "does; metric rows to stdout.\n"
	        "\n"
	        "  -m, --mode MODE       ll, letter, gen or auto (default: from the first record)\n"
	        "  -i, --items FILE      write one item row per question to FILE\n"
	        "  -t, --task TASK       task of records that have no \"task\" (default: mcq)\n"
	        "  -e, --extract EXPR    gen mode: jq expression giving the answer letter\n"
	        "  -l, --letters N       letters A.. offered when a record has no choices (4)\n"
	        "      --missing FILE    letter mode: write questions whose letters were not all\n"
	        "                        in the top logprobs, to ask again in ll mode\n",
	        ve_progname);
	ve_score_help(f, 24);
	fprintf(f, "\n"
	           "Exit: 0 ok, 64 usage, 65 bad input or every loglikelihood equal, 66 cannot\n"
	           "open, 73 cannot create, 74 I/O error. See score-mcq(1).\n");
}

static enum mode
parse_mode(const char *s)
{
	static const char *const names[] = {"auto", "ll", "letter", "gen"};

	for (int m = MODE_AUTO; m <= MODE_GEN; m++)
		if (!strcmp(s, names[m]))
			return (enum mode)m;
	ve_usage_error("--mode: expected ll, letter, gen or auto, got '%s'", s);
}

enum { OPT_MISSING = 256 };

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"mode", required_argument, NULL, 'm'},
	    {"extract", required_argument, NULL, 'e'},
	    {"letters", required_argument, NULL, 'l'},
	    {"missing", required_argument, NULL, OPT_MISSING},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = ve_score_getopt(argc, argv, "m:e:l:", longopts, &o->common, usage)) != -1) {
		switch (c) {
		case 'm': o->mode = parse_mode(optarg); break;
		case 'e': o->extract = optarg; break;
		case 'l': o->letters = ve_opt_long("--letters", optarg, 2, 26); break;
		case OPT_MISSING: o->missing_path = optarg; break;
		}
	}
	if (o->extract && o->mode != MODE_GEN && o->mode != MODE_AUTO)
		ve_usage_error("--extract reads generated text: use it with --mode gen");
	if (o->missing_path && o->mode != MODE_LETTER && o->mode != MODE_AUTO)
		ve_usage_error("--missing lists letters absent from top logprobs: use it with "
		               "--mode letter");
	if (o->extract && o->missing_path)
		ve_usage_error("--extract (gen mode) and --missing (letter mode) cannot be used "
		               "together");
	if (!o->common.task)
		o->common.task = "mcq";
}

/* An integer held in a JSON number, in [min, max]. */
static bool
as_int(jv v, long min, long max, long *out)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return false;
	double d = jv_number_value(v);
	if (d != floor(d) || d < (double)min || d > (double)max)
		return false;
	*out = (long)d;
	return true;
}

/* A question's key in the index of struct docs. */
struct doc_key {
	const struct docs *ds;
	const char *task, *id;
};

static bool
is_doc(const void *ctx, size_t pos)
{
	const struct doc_key *k = ctx;

	return !strcmp(k->ds->v[pos].task, k->task) && !strcmp(k->ds->v[pos].id, k->id);
}

/* The question (task, id), created when new; *isnew says which. */
static struct doc *
docs_get(struct docs *ds, const char *task, const char *id, bool *isnew)
{
	struct doc_key k = {ds, task, id};
	uint64_t h = ve_hash_str(id) ^ ve_hash_str(task);
	size_t pos = ve_index_find(&ds->index, h, is_doc, &k);
	struct doc *d;

	*isnew = pos == VE_INDEX_NONE;
	if (!*isnew)
		return &ds->v[pos];
	ds->v = ve_grow(ds->v, &ds->cap, ds->n + 1, sizeof *ds->v);
	d = &ds->v[ds->n];
	memset(d, 0, sizeof *d);
	d->task = ve_xstrdup(task);
	d->id = ve_xstrdup(id);
	d->pred = -1;
	ve_index_add(&ds->index, h, ds->n++);
	return d;
}

static void
docs_free(struct docs *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		struct doc *d = &ds->v[i];
		free(d->task);
		free(d->subset);
		free(d->group);
		free(d->id);
		free(d->gold);
		free(d->c);
		free(d->answer);
		free(d->name);
	}
	free(ds->v);
	ve_index_free(&ds->index);
}

/*
 * Reads the gold answer (borrowed): an index, an array of indexes, or in
 * letter and gen modes a letter. Returns NULL or the reason it is unusable;
 * *gold is the caller's to free either way.
 */
static const char *
parse_gold(jv g, bool letters_ok, int **gold, int *ngold)
{
	long v = -1;

	*ngold = 0;
	if (jv_get_kind(g) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(g));
		if (n == 0)
			return "gold: empty array";
		*gold = ve_xmalloc((size_t)n * sizeof **gold);
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(g), i);
			bool ok = as_int(e, 0, 1 << 20, &v);
			jv_free(e);
			if (!ok)
				return "gold: expected an index or an array of indexes";
			(*gold)[(*ngold)++] = (int)v;
		}
		return NULL;
	}
	if (letters_ok && jv_get_kind(g) == JV_KIND_STRING) {
		const char *s = jv_string_value(g);
		if (strlen(s) == 1 && isupper((unsigned char)s[0]))
			v = s[0] - 'A';
	} else if (!as_int(g, 0, 1 << 20, &v)) {
		v = -1;
	}
	if (v < 0)
		return letters_ok ? "gold: expected a letter A-Z, an index or an array of indexes"
		                  : "gold: expected an index or an array of indexes";
	*gold = ve_xmalloc(sizeof **gold);
	(*gold)[(*ngold)++] = (int)v;
	return NULL;
}

static bool
same_gold(const struct doc *d, const int *gold, int ngold)
{
	return d->ngold == ngold && !memcmp(d->gold, gold, (size_t)ngold * sizeof *gold);
}

/* Letter mode: the best logprob of each of the first n letters' tokens; NAN when absent. */
struct letters {
	int n;
	double best[26];
};

/* Letter mode's ve_score_top_fn: keeps the best logprob x of letter token t (" A" or "A"). */
static void
letter_token(void *ctx, const char *t, double x)
{
	struct letters *l = ctx;

	while (*t == ' ')
		t++;
	if (t[0] >= 'A' && t[0] < 'A' + l->n && !t[1]) {
		int i = t[0] - 'A';
		if (isnan(l->best[i]) || x > l->best[i])
			l->best[i] = x;
	}
}

/* Upper-cases ASCII and drops ASCII punctuation and white space, as lm-eval's exact_match. */
static void
normalise_answer(const char *s, struct ve_buf *out)
{
	ve_buf_reset(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x80 && (ispunct(c) || isspace(c)))
			continue;
		ve_buf_addc(out, (char)(c < 0x80 ? toupper(c) : c));
	}
}

static void
extractor_init(struct extractor *x, const char *expr)
{
	/* lm-eval's answer phrasings: "The best answer is X", "정답은 X", "(X)". */
	static const char *const pat[3] = {
	    "best answer is\\s*:?\\s*\\(?([A-Z])\\b",
	    "정답은\\s*:?\\s*\\(?([A-Z])\\b",
	    "\\(([A-Z])\\)",
	};

	memset(x, 0, sizeof *x);
	if (expr)
		x->jq = ve_jq_compile("--extract", expr);
	for (int i = 0; i < 3; i++)
		x->re[i] = ve_re_compile(NULL, pat[i], PCRE2_UTF | PCRE2_CASELESS);
	x->md = pcre2_match_data_create(4, NULL);
}

static void
extractor_free(struct extractor *x)
{
	ve_jq_free(x->jq);
	for (int i = 0; i < 3; i++)
		pcre2_code_free(x->re[i]);
	pcre2_match_data_free(x->md);
}

/*
 * Gen mode: the answer in a record (borrowed), normalised, or NULL when none
 * is found. *why is set when the record itself is unusable.
 */
static char *
extract_answer(struct extractor *x, jv rec, jv resp, struct ve_buf *tmp, const char **why)
{
	*why = NULL;
	if (x->jq) {
		jv a = ve_jq_first(x->jq, jv_copy(rec));
		char *r = NULL;
		if (jv_get_kind(a) == JV_KIND_STRING) {
			normalise_answer(jv_string_value(a), tmp);
			if (tmp->len)
				r = ve_xstrdup(tmp->p);
		}
		jv_free(a);
		return r;
	}
	jv text = ve_json_get(resp, "text");
	if (jv_get_kind(text) != JV_KIND_STRING) {
		jv_free(text);
		*why = "response.text: expected a string";
		return NULL;
	}
	const char *s = jv_string_value(text);
	size_t n = ve_json_strlen(text);
	char *r = NULL;
	for (int i = 0; i < 3 && !r; i++) {
		if (pcre2_match(x->re[i], (PCRE2_SPTR)s, n, 0, 0, x->md, NULL) > 1) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);
			char l[2] = {(char)toupper((unsigned char)s[ov[2]]), 0};
			r = ve_xstrdup(l);
		}
	}
	if (!r) {
		/* A bare answer: "B", " B.", "(b)". */
		normalise_answer(s, tmp);
		if (tmp->len == 1 && isupper((unsigned char)tmp->p[0]))
			r = ve_xstrdup(tmp->p);
	}
	jv_free(text);
	return r;
}

/* The lm-eval argmax: the first maximum; NaN counts as the maximum, as in NumPy. */
static int
argmax(const double *v, int n)
{
	int best = 0;

	for (int i = 0; i < n; i++) {
		if (isnan(v[i]))
			return i;
		if (v[i] > v[best])
			best = i;
	}
	return best;
}

struct counts {
	unsigned long long failed, missing, no_answer;
};

struct state {
	const struct opts *o;
	enum mode mode;
	struct ve_score_run run;
	struct docs docs;
	struct extractor x;
	FILE *missing;
	struct counts ct;
	struct ve_buf tmp;
	char reason[512]; /* a record's reason that names its question */
};

/* What a record says of its question besides the common fields. */
struct question {
	jv group, id; /* owned */
	int *gold;
	int ngold;
};

/* Auto mode: the first answered record decides (rec borrowed). */
static void
detect_mode(struct state *st, jv rec)
{
	/* A failed request says nothing of the mode: wait for an answered one. */
	jv resp = ve_json_get(rec, "response");
	jv cont = ve_json_get(rec, "continuation");
	jv lp = ve_json_get(resp, "logprobs");

	if (jv_is_valid(cont))
		st->mode = MODE_LL;
	else if (jv_is_valid(lp) && jv_get_kind(lp) != JV_KIND_NULL)
		st->mode = MODE_LETTER;
	else if (jv_get_kind(resp) == JV_KIND_OBJECT)
		st->mode = MODE_GEN;
	jv_free(resp);
	jv_free(cont);
	jv_free(lp);
}

/*
 * Reads and checks the question's fields of rec (borrowed) into q: group,
 * doc_id and gold; then that the record is llm-query output. NULL, or why
 * the record is bad.
 */
static const char *
check_question(struct state *st, jv rec, const struct ve_score_rec *f, struct question *q)
{
	const char *why;
	jv gold;

	q->group = ve_json_get(rec, "group");
	q->id = ve_json_get(rec, "doc_id");
	if (jv_is_valid(q->group) && jv_get_kind(q->group) != JV_KIND_STRING)
		return "group: expected a string";
	if (jv_get_kind(q->id) != JV_KIND_STRING && jv_get_kind(q->id) != JV_KIND_NUMBER)
		return "doc_id: expected a string or a number";
	gold = ve_json_get(rec, "gold");
	if (!jv_is_valid(gold))
		why = "gold: missing";
	else
		why = parse_gold(gold, st->mode != MODE_LL, &q->gold, &q->ngold);
	jv_free(gold);
	if (!why && !f->failed && jv_get_kind(f->resp) != JV_KIND_OBJECT)
		why = "response: missing (not llm-query output?)";
	return why;
}

/*
 * The question q names, created at its first record (which hands it q's
 * gold); NULL with *why set when a later record does not fit the first.
 */
static struct doc *
question_doc(struct state *st, const struct ve_score_rec *f, struct question *q,
             const struct ve_line *line, const char **why)
{
	struct doc *d;
	bool isnew;

	ve_buf_reset(&st->tmp);
	ve_json_canon(q->id, &st->tmp);
	d = docs_get(&st->docs, f->tname, st->tmp.p, &isnew);
	if (isnew) {
		d->subset = ve_xstrdup(f->sname);
		if (jv_is_valid(q->group))
			d->group = ve_xstrdup(jv_string_value(q->group));
		d->gold = q->gold;
		d->ngold = q->ngold;
		q->gold = NULL;
		d->name = ve_xstrdup(line->name);
		d->lineno = line->lineno;
		return d;
	}
	if (st->mode != MODE_LL)
		snprintf(st->reason, sizeof st->reason, "doc_id %s seen twice in %s mode", d->id,
		         st->mode == MODE_LETTER ? "letter" : "gen");
	else if (!same_gold(d, q->gold, q->ngold))
		snprintf(st->reason, sizeof st->reason,
		         "doc_id %s: gold differs from its first record's", d->id);
	else
		return d;
	*why = st->reason;
	return NULL;
}

/* Records choice ci of d: its loglikelihood, and its text's length from cont (borrowed). */
static void
set_choice(struct doc *d, int ci, jv cont, double ll, bool greedy)
{
	const char *s = jv_string_value(cont);
	size_t n = ve_json_strlen(cont);

	if (ci >= d->nc) {
		d->c = ve_xrealloc(d->c, (size_t)(ci + 1) * sizeof *d->c);
		memset(d->c + d->nc, 0, (size_t)(ci + 1 - d->nc) * sizeof *d->c);
		d->nc = ci + 1;
	}
	/* The choice text is the continuation without lm-eval's target delimiter. */
	if (n && s[0] == ' ') {
		s++;
		n--;
	}
	struct choice *c = &d->c[ci];
	c->have = true;
	c->ll = ll;
	c->greedy = greedy;
	c->cps = ve_utf8_count(s, n);
	c->bytes = n;
}

/* ll mode: one choice of question d, from rec and its response (borrowed). */
static const char *
take_choice(struct state *st, struct doc *d, jv rec, jv resp)
{
	jv ch = ve_json_get(rec, "choice"), cont = ve_json_get(rec, "continuation");
	jv ll = ve_json_get(resp, "loglikelihood");
	jv sum = ve_json_get(ll, "sum"), greedy = ve_json_get(ll, "greedy");
	const char *why = NULL;
	long ci;

	if (!as_int(ch, 0, 1 << 20, &ci)) {
		why = "choice: expected an integer >= 0";
	} else if (jv_get_kind(cont) != JV_KIND_STRING) {
		why = "continuation: expected a string";
	} else if (jv_get_kind(sum) != JV_KIND_NUMBER) {
		why = "response.loglikelihood.sum: expected a number (run llm-query "
		      "--loglikelihood)";
	} else if (ci < d->nc && d->c[ci].have) {
		snprintf(st->reason, sizeof st->reason, "doc_id %s: choice %ld seen twice", d->id,
		         ci);
		why = st->reason;
	} else {
		set_choice(d, (int)ci, cont, jv_number_value(sum),
		           jv_get_kind(greedy) == JV_KIND_TRUE);
	}
	jv_free(ch);
	jv_free(cont);
	jv_free(ll);
	jv_free(sum);
	jv_free(greedy);
	return why;
}

/*
 * Letter mode: question d's prediction from the top logprobs of resp (rec
 * and resp borrowed); a question with letters missing from them goes to
 * --missing as its line came.
 */
static const char *
take_letter(struct state *st, struct doc *d, jv rec, jv resp, const struct ve_line *line)
{
	jv choices = ve_json_get(rec, "choices");
	struct letters l;
	const char *why;

	l.n = jv_get_kind(choices) == JV_KIND_ARRAY ? jv_array_length(jv_copy(choices))
	                                            : (int)st->o->letters;
	jv_free(choices);
	if (l.n < 1 || l.n > 26)
		return "choices: expected 1 to 26 of them";
	for (int i = 0; i < l.n; i++)
		l.best[i] = NAN;
	if ((why = ve_score_top_first(resp, letter_token, &l)))
		return why;
	d->nc = l.n;
	for (int i = 0; i < l.n; i++)
		if (isnan(l.best[i])) {
			d->missing |= 1u << i;
			l.best[i] = -INFINITY;
		}
	if (d->missing != (1u << l.n) - 1)
		d->pred = argmax(l.best, l.n);
	if (d->missing && st->missing &&
	    (fwrite(line->text, 1, line->len, st->missing) != line->len ||
	     putc('\n', st->missing) == EOF))
		ve_die(VE_EX_IOERR, "--missing: %s: write error:", st->o->missing_path);
	return NULL;
}

/* Gen mode: question d's answer, extracted from rec and its response (borrowed). */
static const char *
take_gen(struct state *st, struct doc *d, jv rec, jv resp)
{
	const char *why;

	d->answer = extract_answer(&st->x, rec, resp, &st->tmp, &why);
	if (d->answer && strlen(d->answer) == 1 && isupper((unsigned char)d->answer[0]))
		d->pred = d->answer[0] - 'A';
	return why;
}

/* The run's step: one record (consumed) into its question. NULL, or why it is bad. */
static const char *
take_record(void *tool, jv rec, const struct ve_line *line)
{
	struct state *st = tool;
	struct ve_score_rec f;
	struct question q = {jv_invalid(), jv_invalid(), NULL, 0};
	struct doc *d = NULL;
	const char *why;

	if (st->mode == MODE_AUTO)
		detect_mode(st, rec);
	if (!(why = ve_score_rec_get(&f, rec, st->o->common.task)) &&
	    !(why = check_question(st, rec, &f, &q)))
		d = question_doc(st, &f, &q, line, &why);
	if (d && f.failed)
		d->failed = true;
	else if (d && st->mode == MODE_LL)
		why = take_choice(st, d, rec, f.resp);
	else if (d && st->mode == MODE_LETTER)
		why = take_letter(st, d, rec, f.resp, line);
	else if (d)
		why = take_gen(st, d, rec, f.resp);
	free(q.gold);
	jv_free(q.group);
	jv_free(q.id);
	ve_score_rec_free(&f);
	jv_free(rec);
	return why;
}

static bool
in_gold(const struct doc *d, int i)
{
	for (int j = 0; j < d->ngold; j++)
		if (d->gold[j] == i)
			return true;
	return false;
}

/* Appends the item row's ,"pred":P,"gold":G,"correct":B,"score":S; a pred < 0 is null. */
static void
add_verdict(struct ve_buf *b, const struct doc *d, int pred, bool correct)
{
	if (pred >= 0)
		ve_buf_addf(b, ",\"pred\":%d,\"gold\":", pred);
	else
		ve_buf_adds(b, ",\"pred\":null,\"gold\":");
	if (d->ngold == 1) {
		ve_buf_addf(b, "%d", d->gold[0]);
	} else {
		ve_buf_addc(b, '[');
		for (int j = 0; j < d->ngold; j++)
			ve_buf_addf(b, "%s%d", j ? "," : "", d->gold[j]);
		ve_buf_addc(b, ']');
	}
	ve_buf_addf(b, ",\"correct\":%s,\"score\":%s", correct ? "true" : "false",
	            correct ? "1.0" : "0.0");
}

/* ll mode: acc, acc_norm, acc_bytes and exact_match of question d into agg; its row into b. */
static void
score_ll(struct ve_score_agg *agg, const struct doc *d, struct ve_buf *b)
{
	double *v = ve_xcalloc(3 * (size_t)d->nc, sizeof *v);
	double *ll = v, *norm = v + d->nc, *byt = v + 2 * d->nc;
	bool em = false;

	for (int i = 0; i < d->nc; i++) {
		ll[i] = d->c[i].ll;
		norm[i] = ll[i] / (double)d->c[i].cps;
		byt[i] = ll[i] / (double)d->c[i].bytes;
	}
	int pred = argmax(ll, d->nc), pred_norm = argmax(norm, d->nc);
	bool correct = in_gold(d, pred), correct_norm = in_gold(d, pred_norm);
	bool correct_bytes = in_gold(d, argmax(byt, d->nc));
	for (int j = 0; j < d->ngold; j++)
		em |= d->gold[j] < d->nc && d->c[d->gold[j]].greedy;
	free(v);
	add_verdict(b, d, pred, correct);
	ve_buf_addf(b, ",\"pred_norm\":%d,\"correct_norm\":%s,\"exact_match\":%s", pred_norm,
	            correct_norm ? "true" : "false", em ? "true" : "false");
	ve_score_agg_add(agg, d->task, "acc", "ratio", d->subset, d->group, correct);
	ve_score_agg_add(agg, d->task, "acc_norm", "ratio", d->subset, d->group, correct_norm);
	ve_score_agg_add(agg, d->task, "acc_bytes", "ratio", d->subset, d->group, correct_bytes);
	ve_score_agg_add(agg, d->task, "exact_match", "ratio", d->subset, d->group, em);
}

/*
 * Letter and gen modes: question d's one prediction against its gold, acc
 * (letter) or exact_match (gen) into agg; its row into b.
 */
static void
score_pick(enum mode mode, struct ve_score_agg *agg, const struct doc *d, struct ve_buf *b)
{
	bool correct = d->pred >= 0 && in_gold(d, d->pred);

	add_verdict(b, d, d->pred, correct);
	if (mode == MODE_LETTER) {
		if (d->missing) {
			ve_buf_adds(b, ",\"missing\":[");
			for (int i = 0, k = 0; i < d->nc; i++)
				if (d->missing & (1u << i))
					ve_buf_addf(b, "%s\"%c\"", k++ ? "," : "", 'A' + i);
			ve_buf_addc(b, ']');
		}
		ve_score_agg_add(agg, d->task, "acc", "ratio", d->subset, d->group, correct);
		return;
	}
	ve_buf_adds(b, ",\"answer\":");
	if (d->answer)
		ve_buf_add_json_str(b, d->answer, strlen(d->answer));
	else
		ve_buf_adds(b, "null");
	ve_score_agg_add(agg, d->task, "exact_match", "ratio", d->subset, d->group, correct);
}

/* A question whose choices are not 0..n-1 with no gap; NULL when complete. */
static const char *
incomplete(const struct doc *d, char *reason, size_t rsize)
{
	if (d->failed)
		return NULL;
	if (d->nc < 1) {
		snprintf(reason, rsize, "doc_id %s: no choices", d->id);
		return reason;
	}
	for (int i = 0; i < d->nc; i++)
		if (!d->c[i].have) {
			snprintf(reason, rsize, "doc_id %s: choice %d missing", d->id, i);
			return reason;
		}
	for (int j = 0; j < d->ngold; j++)
		if (d->gold[j] >= d->nc) {
			snprintf(reason, rsize, "doc_id %s: gold %d is not one of its %d choices",
			         d->id, d->gold[j], d->nc);
			return reason;
		}
	return NULL;
}

/* True when every question's choices share one loglikelihood: a server ignoring echo. */
static bool
all_equal(const struct docs *ds)
{
	bool multi = false;

	for (size_t i = 0; i < ds->n; i++) {
		const struct doc *d = &ds->v[i];
		if (d->failed || d->nc < 2)
			continue;
		multi = true;
		for (int k = 1; k < d->nc; k++)
			if (d->c[k].ll != d->c[0].ll)
				return false;
	}
	return multi;
}

/*
 * ll mode, once every record is read: a question whose choices are not all
 * there is a bad record (skip[i] set when the policy skips it), and every
 * loglikelihood equal is a server that did not score. 0 or the exit status.
 */
static int
check_questions(struct state *st, bool *skip)
{
	int rc;

	for (size_t i = 0; i < st->docs.n; i++) {
		const struct doc *d = &st->docs.v[i];
		const char *why = incomplete(d, st->reason, sizeof st->reason);
		if (!why)
			continue;
		/* Its records went by: it is counted, but --rejects cannot hold it. */
		if ((rc = ve_reader_reject_gone(st->run.in, d->name, d->lineno, why)))
			return rc;
		skip[i] = true;
	}
	if (all_equal(&st->docs)) {
		ve_warn("every choice of every question has the same loglikelihood: the "
		        "server did not score the continuations (echo ignored?)");
		return VE_EX_DATAERR;
	}
	return 0;
}

/* Scores the questions not skipped: values into the aggregates, item rows to --items. */
static void
score_docs(struct state *st, const bool *skip)
{
	struct ve_buf b = {0};

	for (size_t i = 0; i < st->docs.n; i++) {
		const struct doc *d = &st->docs.v[i];
		if (skip[i])
			continue;
		if (d->failed) {
			st->ct.failed++;
			continue;
		}
		ve_score_item_head(&b, d->task, d->id, d->subset);
		/* reg-check pairs a group's row (MMLU's stem) with its items by this. */
		if (d->group) {
			ve_buf_adds(&b, ",\"group\":");
			ve_buf_add_json_str(&b, d->group, strlen(d->group));
		}
		if (st->mode == MODE_LL)
			score_ll(st->run.agg, d, &b);
		else
			score_pick(st->mode, st->run.agg, d, &b);
		ve_buf_addc(&b, '}');
		ve_score_item(&st->run, &b);
		st->ct.missing += st->mode == MODE_LETTER && d->missing;
		st->ct.no_answer += st->mode == MODE_GEN && !d->answer;
	}
	ve_buf_free(&b);
}

/* The per-task counts that explain a figure: failed requests, unanswerable items. */
static void
count_rows(struct state *st, const bool *skip)
{
	for (size_t i = 0; i < st->docs.n; i++) {
		const struct doc *d = &st->docs.v[i];
		if (skip[i])
			continue;
		ve_score_agg_tally(st->run.agg, d->task, "failed", d->failed, true);
		if (st->mode == MODE_LETTER)
			ve_score_agg_tally(st->run.agg, d->task, "letter_missing",
			                   !d->failed && d->missing, false);
		if (st->mode == MODE_GEN)
			ve_score_agg_tally(st->run.agg, d->task, "no_answer",
			                   !d->failed && !d->answer, false);
	}
}

/* Scores every question read, writes the item rows, then the metric rows. */
static int
finish(struct state *st)
{
	bool *skip = ve_xcalloc(st->docs.n + 1, sizeof *skip);
	int rc = 0;

	if (st->mode == MODE_LL && (rc = check_questions(st, skip)))
		goto out;
	score_docs(st, skip);
	count_rows(st, skip);
	ve_score_agg_emit(st->run.agg, &st->run.meta);
	if (st->ct.failed && !st->o->common.cli.quiet)
		ve_warn("%llu of %zu questions had failed requests and were not scored",
		        st->ct.failed, st->docs.n);
	if (st->ct.missing && !st->o->common.cli.quiet)
		ve_warn("%llu of %zu questions had letters missing from the top logprobs%s",
		        st->ct.missing, st->docs.n, st->missing ? " (see --missing)" : "");
out:
	free(skip);
	return rc;
}

/* Reads every record into its question, then scores them; returns the exit status. */
static int
run(const struct opts *o, char **files, int nfiles)
{
	struct state st;
	int rc, rc2;

	memset(&st, 0, sizeof st);
	st.o = o;
	st.mode = o->mode;
	extractor_init(&st.x, o->extract);
	ve_refuse_input_as_output("--missing", o->missing_path, files, nfiles);
	ve_score_begin(&st.run, &o->common, files, nfiles);
	if (o->missing_path)
		st.missing = ve_open_output("--missing", o->missing_path);
	if (!(rc = ve_score_read(&st.run, take_record, &st))) {
		rc = finish(&st);
		if (o->common.cli.verbose)
			ve_warn("read %llu records, %zu questions (%llu failed, %llu with letters "
			        "missing, %llu without an answer)",
			        st.run.records, st.docs.n, st.ct.failed, st.ct.missing,
			        st.ct.no_answer);
	}
	rc = ve_score_end(&st.run, rc);
	if (st.missing && (rc2 = ve_fclose_checked(st.missing, o->missing_path)) && !rc)
		rc = rc2;
	docs_free(&st.docs);
	extractor_free(&st.x);
	ve_buf_free(&st.tmp);
	return rc;
}

/*
 * score-mcq [options] [FILE...]: llm-query output of a multiple-choice task
 * in (files or stdin), metric rows out on stdout; item rows to --items, and
 * in letter mode the questions to ask again to --missing.
 */
int
main(int argc, char **argv)
{
	struct opts o = {.mode = MODE_AUTO, .letters = 4};
	int rc;

	ve_setprogname(argv);
	parse_args(argc, argv, &o);
	ve_out_init();
	rc = run(&o, argv + optind, argc - optind);
	return ve_out_finish(rc);
}
