/*
 * score-mcq — multiple-choice scoring as lm-evaluation-harness scores it.
 *
 * Reads llm-query output and writes metric rows (vllm-eval(7)) to stdout and,
 * with --items, one item row per question. Three modes:
 *
 *   ll      one record per choice (vllm-eval(7)) carrying response.loglikelihood;
 *           records are grouped by (task, doc_id) and scored as lm-eval's
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
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "score.h"

enum mode { MODE_AUTO, MODE_LL, MODE_LETTER, MODE_GEN };

struct opts {
	enum mode mode;
	const char *items_path;
	const char *missing_path;
	const char *task;
	const char *extract;
	long letters;
	const char *run_id;
	const char *model_tag;
	bool skip_bad;
	const char *rejects;
	int verbose;
	bool quiet;
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
	size_t *slot; /* open addressing over v, SIZE_MAX when empty */
	size_t nslot;
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
	        "                 [--run-id ID] [--model-tag TAG] [--skip-bad] [--rejects FILE]\n"
	        "                 [FILE...]\n"
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
	        "                        in the top logprobs, to ask again in ll mode\n"
	        "      --run-id ID       run_id of the metric rows (default: $RUN_ID)\n"
	        "      --model-tag TAG   model_tag of the metric rows (default: $MODEL_TAG)\n"
	        "      --skip-bad        skip malformed records, count them\n"
	        "      --rejects FILE    write skipped records to FILE (implies --skip-bad)\n"
	        "  -v, --verbose         print counts to stderr\n"
	        "  -q, --quiet           no warnings\n"
	        "  -h, --help            this help\n"
	        "      --version         print the version\n"
	        "\n"
	        "Exit: 0 ok, 64 usage, 65 bad input or every loglikelihood equal, 66 cannot\n"
	        "open, 74 I/O error. See score-mcq(1).\n",
	        ve_progname);
}

enum {
	OPT_MISSING = 256,
	OPT_RUN_ID,
	OPT_MODEL_TAG,
	OPT_SKIP_BAD,
	OPT_REJECTS,
	OPT_VERSION,
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"mode", required_argument, NULL, 'm'},
	    {"items", required_argument, NULL, 'i'},
	    {"task", required_argument, NULL, 't'},
	    {"extract", required_argument, NULL, 'e'},
	    {"letters", required_argument, NULL, 'l'},
	    {"missing", required_argument, NULL, OPT_MISSING},
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
	int c;

	while ((c = getopt_long(argc, argv, "m:i:t:e:l:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "ll"))
				o->mode = MODE_LL;
			else if (!strcmp(optarg, "letter"))
				o->mode = MODE_LETTER;
			else if (!strcmp(optarg, "gen"))
				o->mode = MODE_GEN;
			else if (!strcmp(optarg, "auto"))
				o->mode = MODE_AUTO;
			else
				ve_usage_error("--mode: expected ll, letter, gen or auto, got '%s'",
				               optarg);
			break;
		case 'i': o->items_path = optarg; break;
		case 't': o->task = optarg; break;
		case 'e': o->extract = optarg; break;
		case 'l': o->letters = ve_opt_long("--letters", optarg, 2, 26); break;
		case OPT_MISSING: o->missing_path = optarg; break;
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
	if (o->extract && o->mode != MODE_GEN && o->mode != MODE_AUTO)
		ve_usage_error("--extract reads generated text: use it with --mode gen");
	if (o->missing_path && o->mode != MODE_LETTER && o->mode != MODE_AUTO)
		ve_usage_error("--missing lists letters absent from top logprobs: use it with "
		               "--mode letter");
	if (o->extract && o->missing_path)
		ve_usage_error("--extract (gen mode) and --missing (letter mode) cannot be used "
		               "together");
}

/* obj[k] as a new jv (obj borrowed); invalid when absent. */
static jv
field(jv obj, const char *k)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(k));
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

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool
same_doc(const struct doc *d, const char *task, const char *id)
{
	return !strcmp(d->task, task) && !strcmp(d->id, id);
}

static void
docs_rehash(struct docs *ds, size_t nslot)
{
	free(ds->slot);
	ds->slot = ve_xmalloc(nslot * sizeof *ds->slot);
	for (size_t i = 0; i < nslot; i++)
		ds->slot[i] = SIZE_MAX;
	ds->nslot = nslot;
	for (size_t i = 0; i < ds->n; i++) {
		size_t h = (size_t)(hash_str(ds->v[i].id) ^ hash_str(ds->v[i].task)) & (nslot - 1);
		while (ds->slot[h] != SIZE_MAX)
			h = (h + 1) & (nslot - 1);
		ds->slot[h] = i;
	}
}

/* The question (task, id), created when new; *isnew says which. */
static struct doc *
docs_get(struct docs *ds, const char *task, const char *id, bool *isnew)
{
	if (2 * (ds->n + 1) > ds->nslot)
		docs_rehash(ds, ds->nslot ? 2 * ds->nslot : 1024);
	size_t h = (size_t)(hash_str(id) ^ hash_str(task)) & (ds->nslot - 1);
	while (ds->slot[h] != SIZE_MAX) {
		if (same_doc(&ds->v[ds->slot[h]], task, id)) {
			*isnew = false;
			return &ds->v[ds->slot[h]];
		}
		h = (h + 1) & (ds->nslot - 1);
	}
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? 2 * ds->cap : 256;
		ds->v = ve_xrealloc(ds->v, ds->cap * sizeof *ds->v);
	}
	struct doc *d = &ds->v[ds->n];
	memset(d, 0, sizeof *d);
	d->task = ve_xstrdup(task);
	d->id = ve_xstrdup(id);
	d->pred = -1;
	ds->slot[h] = ds->n++;
	*isnew = true;
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
	free(ds->slot);
}

/*
 * Reads the gold answer (borrowed): an index, an array of indexes, or in
 * letter and gen modes a letter. Returns NULL or the reason it is unusable.
 */
static const char *
parse_gold(jv g, bool letters_ok, int **gold, int *ngold)
{
	long v;

	*ngold = 0;
	if (jv_get_kind(g) == JV_KIND_STRING && letters_ok) {
		const char *s = jv_string_value(g);
		if (strlen(s) != 1 || !isupper((unsigned char)s[0]))
			return "gold: expected a letter A-Z, an index or an array of indexes";
		*gold = ve_xmalloc(sizeof **gold);
		(*gold)[(*ngold)++] = s[0] - 'A';
		return NULL;
	}
	if (as_int(g, 0, 1 << 20, &v)) {
		*gold = ve_xmalloc(sizeof **gold);
		(*gold)[(*ngold)++] = (int)v;
		return NULL;
	}
	if (jv_get_kind(g) == JV_KIND_ARRAY) {
		int n = jv_array_length(jv_copy(g));
		if (n == 0)
			return "gold: empty array";
		*gold = ve_xmalloc((size_t)n * sizeof **gold);
		for (int i = 0; i < n; i++) {
			jv e = jv_array_get(jv_copy(g), i);
			bool ok = as_int(e, 0, 1 << 20, &v);
			jv_free(e);
			if (!ok) {
				free(*gold);
				*gold = NULL;
				*ngold = 0;
				return "gold: expected an index or an array of indexes";
			}
			(*gold)[(*ngold)++] = (int)v;
		}
		return NULL;
	}
	return letters_ok ? "gold: expected a letter A-Z, an index or an array of indexes"
	                  : "gold: expected an index or an array of indexes";
}

static bool
same_gold(const struct doc *d, const int *gold, int ngold)
{
	return d->ngold == ngold && !memcmp(d->gold, gold, (size_t)ngold * sizeof *gold);
}

/*
 * Letter mode: fills best[i] with the best logprob of letter i's token among
 * the first token's top logprobs (NAN when absent). resp is borrowed.
 */
static const char *
letter_logprobs(jv resp, int nletters, double *best)
{
	jv lp = field(resp, "logprobs");
	jv top = field(lp, "top_logprobs");
	jv content = field(lp, "content");
	const char *why = NULL;

	for (int i = 0; i < nletters; i++)
		best[i] = NAN;
	if (jv_get_kind(top) == JV_KIND_ARRAY && jv_array_length(jv_copy(top)) > 0) {
		/* /v1/completions: top_logprobs[0] is {"token": logprob, ...}. */
		jv first = jv_array_get(jv_copy(top), 0);
		if (jv_get_kind(first) != JV_KIND_OBJECT) {
			why = "response.logprobs.top_logprobs[0] is not an object";
		} else {
			for (int it = jv_object_iter(first); jv_object_iter_valid(first, it);
			     it = jv_object_iter_next(first, it)) {
				jv k = jv_object_iter_key(first, it);
				jv v = jv_object_iter_value(first, it);
				const char *t = jv_string_value(k);
				while (*t == ' ')
					t++;
				if (t[0] >= 'A' && t[0] < 'A' + nletters && !t[1] &&
				    jv_get_kind(v) == JV_KIND_NUMBER) {
					double x = jv_number_value(v);
					int i = t[0] - 'A';
					if (isnan(best[i]) || x > best[i])
						best[i] = x;
				}
				jv_free(k);
				jv_free(v);
			}
		}
		jv_free(first);
	} else if (jv_get_kind(content) == JV_KIND_ARRAY && jv_array_length(jv_copy(content)) > 0) {
		/* /v1/chat/completions: content[0].top_logprobs is [{"token","logprob"}]. */
		jv first = jv_array_get(jv_copy(content), 0);
		jv list = field(first, "top_logprobs");
		if (jv_get_kind(list) != JV_KIND_ARRAY) {
			why = "response.logprobs.content[0].top_logprobs is not an array";
		} else {
			int n = jv_array_length(jv_copy(list));
			for (int j = 0; j < n; j++) {
				jv e = jv_array_get(jv_copy(list), j);
				jv k = field(e, "token");
				jv v = field(e, "logprob");
				if (jv_get_kind(k) == JV_KIND_STRING &&
				    jv_get_kind(v) == JV_KIND_NUMBER) {
					const char *t = jv_string_value(k);
					while (*t == ' ')
						t++;
					if (t[0] >= 'A' && t[0] < 'A' + nletters && !t[1]) {
						double x = jv_number_value(v);
						int i = t[0] - 'A';
						if (isnan(best[i]) || x > best[i])
							best[i] = x;
					}
				}
				jv_free(k);
				jv_free(v);
				jv_free(e);
			}
		}
		jv_free(list);
		jv_free(first);
	} else {
		why = "response.logprobs has no top logprobs (ask with max_tokens 1 and logprobs)";
	}
	jv_free(lp);
	jv_free(top);
	jv_free(content);
	return why;
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
	int err;
	PCRE2_SIZE off;

	memset(x, 0, sizeof *x);
	if (expr)
		x->jq = ve_jq_compile("--extract", expr);
	for (int i = 0; i < 3; i++) {
		x->re[i] = pcre2_compile((PCRE2_SPTR)pat[i], PCRE2_ZERO_TERMINATED,
		                         PCRE2_UTF | PCRE2_CASELESS, &err, &off, NULL);
		if (!x->re[i])
			ve_die(VE_EX_SOFTWARE, "built-in pattern %d does not compile", i);
	}
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
	jv text = field(resp, "text");
	if (jv_get_kind(text) != JV_KIND_STRING) {
		jv_free(text);
		*why = "response.text: expected a string";
		return NULL;
	}
	const char *s = jv_string_value(text);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(text));
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
	unsigned long long records, failed, missing, no_answer;
};

struct state {
	const struct opts *o;
	enum mode mode;
	struct docs docs;
	struct extractor x;
	struct ve_bad bad;
	FILE *missing;
	struct counts ct;
	struct ve_buf tmp;
};

/* Handles one record (consumed). Returns NULL, or why the record is bad. */
static const char *
take_record(struct state *st, jv rec, const struct ve_line *line, char *reason, size_t rsize)
{
	const struct opts *o = st->o;
	const char *why = NULL;
	jv task = field(rec, "task"), subset = field(rec, "subset"), id = field(rec, "doc_id");
	jv gold = field(rec, "gold"), resp = field(rec, "response"), err = field(rec, "error");
	jv group = field(rec, "group");
	int *g = NULL, ng = 0;

	if (st->mode == MODE_AUTO) {
		/* A failed request says nothing of the mode: wait for an answered one. */
		jv cont = field(rec, "continuation");
		jv lp = field(resp, "logprobs");
		if (jv_is_valid(cont))
			st->mode = MODE_LL;
		else if (jv_is_valid(lp) && jv_get_kind(lp) != JV_KIND_NULL)
			st->mode = MODE_LETTER;
		else if (jv_get_kind(resp) == JV_KIND_OBJECT)
			st->mode = MODE_GEN;
		jv_free(cont);
		jv_free(lp);
	}
	if (jv_is_valid(task) && jv_get_kind(task) != JV_KIND_STRING) {
		why = "task: expected a string";
		goto out;
	}
	if (jv_is_valid(subset) && jv_get_kind(subset) != JV_KIND_STRING) {
		why = "subset: expected a string";
		goto out;
	}
	if (jv_is_valid(group) && jv_get_kind(group) != JV_KIND_STRING) {
		why = "group: expected a string";
		goto out;
	}
	if (jv_get_kind(id) != JV_KIND_STRING && jv_get_kind(id) != JV_KIND_NUMBER) {
		why = "doc_id: expected a string or a number";
		goto out;
	}
	if (!jv_is_valid(gold)) {
		why = "gold: missing";
		goto out;
	}
	if ((why = parse_gold(gold, st->mode != MODE_LL, &g, &ng)))
		goto out;
	bool failed = !jv_is_valid(resp) && jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
	if (!failed && jv_get_kind(resp) != JV_KIND_OBJECT) {
		why = "response: missing (not llm-query output?)";
		goto out;
	}

	ve_buf_reset(&st->tmp);
	ve_json_canon(id, &st->tmp);
	const char *tname = jv_is_valid(task) ? jv_string_value(task) : o->task ? o->task : "mcq";
	bool isnew;
	struct doc *d = docs_get(&st->docs, tname, st->tmp.p, &isnew);
	const char *sname = jv_is_valid(subset) ? jv_string_value(subset) : "all";
	if (isnew) {
		d->subset = ve_xstrdup(sname);
		if (jv_is_valid(group))
			d->group = ve_xstrdup(jv_string_value(group));
		d->gold = g;
		d->ngold = ng;
		g = NULL;
		d->name = ve_xstrdup(line->name);
		d->lineno = line->lineno;
	} else if (st->mode != MODE_LL) {
		snprintf(reason, rsize, "doc_id %s seen twice in %s mode", d->id,
		         st->mode == MODE_LETTER ? "letter" : "gen");
		why = reason;
		goto out;
	} else if (!same_gold(d, g, ng)) {
		snprintf(reason, rsize, "doc_id %s: gold differs from its first record's", d->id);
		why = reason;
		goto out;
	}
	if (failed) {
		d->failed = true;
		goto out;
	}

	if (st->mode == MODE_LL) {
		jv ch = field(rec, "choice"), cont = field(rec, "continuation");
		jv ll = field(resp, "loglikelihood");
		jv sum = field(ll, "sum"), greedy = field(ll, "greedy");
		long ci;
		if (!as_int(ch, 0, 1 << 20, &ci)) {
			why = "choice: expected an integer >= 0";
		} else if (jv_get_kind(cont) != JV_KIND_STRING) {
			why = "continuation: expected a string";
		} else if (jv_get_kind(sum) != JV_KIND_NUMBER) {
			why = "response.loglikelihood.sum: expected a number (run llm-query "
			      "--loglikelihood)";
		} else if (ci < d->nc && d->c[ci].have) {
			snprintf(reason, rsize, "doc_id %s: choice %ld seen twice", d->id, ci);
			why = reason;
		} else {
			if (ci >= d->nc) {
				d->c = ve_xrealloc(d->c, (size_t)(ci + 1) * sizeof *d->c);
				memset(d->c + d->nc, 0, (size_t)(ci + 1 - d->nc) * sizeof *d->c);
				d->nc = (int)ci + 1;
			}
			const char *s = jv_string_value(cont);
			size_t n = (size_t)jv_string_length_bytes(jv_copy(cont));
			/* The choice text is the continuation without lm-eval's target delimiter.
			 */
			if (n && s[0] == ' ') {
				s++;
				n--;
			}
			struct choice *c = &d->c[ci];
			c->have = true;
			c->ll = jv_number_value(sum);
			c->greedy = jv_get_kind(greedy) == JV_KIND_TRUE;
			c->cps = ve_score_codepoints(s, n);
			c->bytes = n;
		}
		jv_free(ch);
		jv_free(cont);
		jv_free(ll);
		jv_free(sum);
		jv_free(greedy);
	} else if (st->mode == MODE_LETTER) {
		jv choices = field(rec, "choices");
		int nl = jv_get_kind(choices) == JV_KIND_ARRAY ? jv_array_length(jv_copy(choices))
		                                               : (int)o->letters;
		jv_free(choices);
		if (nl < 1 || nl > 26) {
			why = "choices: expected 1 to 26 of them";
			goto out;
		}
		double best[26];
		if ((why = letter_logprobs(resp, nl, best)))
			goto out;
		d->nc = nl;
		for (int i = 0; i < nl; i++)
			if (isnan(best[i])) {
				d->missing |= 1u << i;
				best[i] = -INFINITY;
			}
		if (d->missing != (1u << nl) - 1)
			d->pred = argmax(best, nl);
		if (d->missing && st->missing &&
		    (fwrite(line->text, 1, line->len, st->missing) != line->len ||
		     putc('\n', st->missing) == EOF))
			ve_die(VE_EX_IOERR, "--missing: %s: write error: %s", o->missing_path,
			       strerror(errno));
	} else {
		d->answer = extract_answer(&st->x, rec, resp, &st->tmp, &why);
		if (d->answer && strlen(d->answer) == 1 && isupper((unsigned char)d->answer[0]))
			d->pred = d->answer[0] - 'A';
	}
out:
	free(g);
	jv_free(rec);
	jv_free(task);
	jv_free(subset);
	jv_free(id);
	jv_free(gold);
	jv_free(resp);
	jv_free(err);
	jv_free(group);
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

static void
add_gold(struct ve_buf *b, const struct doc *d)
{
	if (d->ngold == 1) {
		ve_buf_addf(b, "%d", d->gold[0]);
		return;
	}
	ve_buf_addc(b, '[');
	for (int j = 0; j < d->ngold; j++)
		ve_buf_addf(b, "%s%d", j ? "," : "", d->gold[j]);
	ve_buf_addc(b, ']');
}

/* Scores one question: metric values into agg, its item row into b. */
static void
score_doc(struct state *st, const struct doc *d, struct ve_score_agg *agg, struct ve_buf *b)
{
	bool correct, correct_norm = false, correct_bytes = false, em = false;
	int pred_norm = -1;

	ve_buf_reset(b);
	ve_buf_adds(b, "{\"task\":");
	ve_buf_add_json_str(b, d->task, strlen(d->task));
	ve_buf_addf(b, ",\"doc_id\":%s,\"subset\":", d->id);
	ve_buf_add_json_str(b, d->subset, strlen(d->subset));
	if (st->mode == MODE_LL) {
		double *ll = ve_xcalloc((size_t)d->nc, sizeof *ll);
		double *norm = ve_xcalloc((size_t)d->nc, sizeof *norm);
		double *byt = ve_xcalloc((size_t)d->nc, sizeof *byt);
		for (int i = 0; i < d->nc; i++) {
			ll[i] = d->c[i].ll;
			norm[i] = ll[i] / (double)d->c[i].cps;
			byt[i] = ll[i] / (double)d->c[i].bytes;
		}
		int pred = argmax(ll, d->nc);
		pred_norm = argmax(norm, d->nc);
		int pred_bytes = argmax(byt, d->nc);
		correct = in_gold(d, pred);
		correct_norm = in_gold(d, pred_norm);
		correct_bytes = in_gold(d, pred_bytes);
		for (int j = 0; j < d->ngold; j++)
			em |= d->gold[j] < d->nc && d->c[d->gold[j]].greedy;
		free(ll);
		free(norm);
		free(byt);
		ve_buf_addf(b, ",\"pred\":%d,\"gold\":", pred);
		add_gold(b, d);
		ve_buf_addf(b,
		            ",\"correct\":%s,\"score\":%s,\"pred_norm\":%d,\"correct_norm\":%s,"
		            "\"exact_match\":%s",
		            correct ? "true" : "false", correct ? "1.0" : "0.0", pred_norm,
		            correct_norm ? "true" : "false", em ? "true" : "false");
		ve_score_agg_add(agg, d->task, "acc", "ratio", d->subset, d->group, correct);
		ve_score_agg_add(agg, d->task, "acc_norm", "ratio", d->subset, d->group,
		                 correct_norm);
		ve_score_agg_add(agg, d->task, "acc_bytes", "ratio", d->subset, d->group,
		                 correct_bytes);
		ve_score_agg_add(agg, d->task, "exact_match", "ratio", d->subset, d->group, em);
	} else {
		correct = d->pred >= 0 && in_gold(d, d->pred);
		if (d->pred >= 0)
			ve_buf_addf(b, ",\"pred\":%d,\"gold\":", d->pred);
		else
			ve_buf_adds(b, ",\"pred\":null,\"gold\":");
		add_gold(b, d);
		ve_buf_addf(b, ",\"correct\":%s,\"score\":%s", correct ? "true" : "false",
		            correct ? "1.0" : "0.0");
		if (st->mode == MODE_LETTER) {
			if (d->missing) {
				ve_buf_adds(b, ",\"missing\":[");
				for (int i = 0, k = 0; i < d->nc; i++)
					if (d->missing & (1u << i))
						ve_buf_addf(b, "%s\"%c\"", k++ ? "," : "", 'A' + i);
				ve_buf_addc(b, ']');
			}
			ve_score_agg_add(agg, d->task, "acc", "ratio", d->subset, d->group,
			                 correct);
		} else {
			ve_buf_adds(b, ",\"answer\":");
			if (d->answer)
				ve_buf_add_json_str(b, d->answer, strlen(d->answer));
			else
				ve_buf_adds(b, "null");
			ve_score_agg_add(agg, d->task, "exact_match", "ratio", d->subset, d->group,
			                 correct);
		}
	}
	ve_buf_addc(b, '}');
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

/* Scores every question, writes item rows, then the metric rows. */
static int
finish(struct state *st, FILE *items)
{
	struct ve_score_agg *agg = ve_score_agg_new();
	struct ve_score_meta meta;
	struct ve_buf b = {0};
	char reason[512];
	bool *skip = ve_xcalloc(st->docs.n + 1, sizeof *skip);
	int rc = 0;

	ve_score_meta_init(&meta, st->o->run_id, st->o->model_tag);
	if (st->mode == MODE_LL) {
		for (size_t i = 0; i < st->docs.n; i++) {
			struct doc *d = &st->docs.v[i];
			const char *why = incomplete(d, reason, sizeof reason);
			if (!why)
				continue;
			/* Its records went by: it is counted, but --rejects cannot hold it. */
			struct ve_line at = {"", 0, d->name, d->lineno, 0};
			FILE *rejects = st->bad.rejects;
			st->bad.rejects = NULL;
			rc = ve_bad_record(&st->bad, &at, why);
			st->bad.rejects = rejects;
			if (rc)
				goto out;
			skip[i] = true;
		}
		if (all_equal(&st->docs)) {
			ve_warn("every choice of every question has the same loglikelihood: the "
			        "server did not score the continuations (echo ignored?)");
			rc = VE_EX_DATAERR;
			goto out;
		}
	}
	for (size_t i = 0; i < st->docs.n; i++) {
		struct doc *d = &st->docs.v[i];
		if (skip[i])
			continue;
		if (d->failed) {
			st->ct.failed++;
			continue;
		}
		score_doc(st, d, agg, &b);
		if (st->mode == MODE_LETTER && d->missing)
			st->ct.missing++;
		if (st->mode == MODE_GEN && !d->answer)
			st->ct.no_answer++;
		if (items && (fwrite(b.p, 1, b.len, items) != b.len || putc('\n', items) == EOF)) {
			ve_warn("--items: %s: write error: %s", st->o->items_path, strerror(errno));
			rc = VE_EX_IOERR;
			goto out;
		}
	}
	/* The per-task counts that explain a figure: failed requests, unanswerable items. */
	for (size_t i = 0; i < st->docs.n; i++) {
		const char *t = st->docs.v[i].task;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(st->docs.v[j].task, t);
		if (seen)
			continue;
		unsigned long long n = 0, failed = 0, missing = 0, none = 0;
		for (size_t j = i; j < st->docs.n; j++) {
			const struct doc *d = &st->docs.v[j];
			if (skip[j] || strcmp(d->task, t) != 0)
				continue;
			n++;
			failed += d->failed;
			missing += !d->failed && d->missing != 0;
			none += !d->failed && st->mode == MODE_GEN && !d->answer;
		}
		if (failed)
			ve_score_agg_count(agg, t, "failed", failed, n);
		if (st->mode == MODE_LETTER)
			ve_score_agg_count(agg, t, "letter_missing", missing, n);
		if (st->mode == MODE_GEN)
			ve_score_agg_count(agg, t, "no_answer", none, n);
	}
	ve_score_agg_emit(agg, &meta);
	if (st->ct.failed && !st->o->quiet)
		ve_warn("%llu of %zu questions had failed requests and were not scored",
		        st->ct.failed, st->docs.n);
	if (st->ct.missing && !st->o->quiet)
		ve_warn("%llu of %zu questions had letters missing from the top logprobs%s",
		        st->ct.missing, st->docs.n, st->missing ? " (see --missing)" : "");
out:
	ve_buf_free(&b);
	free(skip);
	ve_score_agg_free(agg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = {.mode = MODE_AUTO, .letters = 4};
	struct state st;
	struct ve_input *in = NULL;
	struct ve_line line;
	FILE *items = NULL;
	char reason[512];
	int r, rc = 0, rc2;

	ve_setprogname(argv);
	parse_args(argc, argv, &o);
	ve_out_init();
	memset(&st, 0, sizeof st);
	st.o = &o;
	st.mode = o.mode;
	extractor_init(&st.x, o.extract);
	ve_bad_open(&st.bad, o.rejects, o.skip_bad || o.rejects);
	if (o.items_path && !(items = fopen(o.items_path, "w"))) {
		ve_warn("--items: %s: %s", o.items_path, strerror(errno));
		rc = VE_EX_NOINPUT;
		goto out;
	}
	if (o.missing_path && !(st.missing = fopen(o.missing_path, "w"))) {
		ve_warn("--missing: %s: %s", o.missing_path, strerror(errno));
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
			st.ct.records++;
			why = take_record(&st, rec, &line, reason, sizeof reason);
		}
		if (why && (rc = ve_bad_record(&st.bad, &line, why))) {
			jv_free(msg);
			goto out;
		}
		jv_free(msg);
	}
	if (r < 0) {
		rc = ve_input_status(in);
		goto out;
	}
	rc = finish(&st, items);
	if (o.verbose)
		ve_warn("read %llu records, %zu questions (%llu failed, %llu with letters missing, "
		        "%llu without an answer)",
		        st.ct.records, st.docs.n, st.ct.failed, st.ct.missing, st.ct.no_answer);
out:
	rc2 = ve_bad_close(&st.bad, o.quiet);
	if (!rc)
		rc = rc2;
	if (items && (rc2 = ve_fclose_checked(items, o.items_path)) && !rc)
		rc = rc2;
	if (st.missing && (rc2 = ve_fclose_checked(st.missing, o.missing_path)) && !rc)
		rc = rc2;
	ve_input_free(in);
	docs_free(&st.docs);
	extractor_free(&st.x);
	ve_buf_free(&st.tmp);
	rc2 = ve_out_close();
	return rc ? rc : rc2;
}
