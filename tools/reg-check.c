/*
 * reg-check — the release rule for regressions, with significance tests.
 *
 * Reads the current run's metric rows (vllm-eval(7)) from FILEs or stdin and
 * the earlier runs' metric rows from --history. For each current metric
 * (name and labels), the baseline is the mean of that metric over the last
 * --window runs of the history (newest by ts, then run_id; rows of the
 * current run_id are left out). A metric is a regression when it is worse
 * than the baseline by at least --threshold percent, worse meaning lower or
 * higher as the metric policy (share/metrics.json or --policy) says. The
 * p-value is McNemar's exact test on the items that flipped when both runs'
 * item rows are given, else a z-test from the rows' stderr; with
 * --require-significance P a regression also needs p < P.
 *
 * With --ab it compares two runs' item rows instead: Welch's t-test on the
 * item scores per task, the lift, Cohen's d and a recommendation.
 *
 * Writes verdict rows (vllm-eval(7)), one per current metric in input order;
 * exits 1 when any metric regressed.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "regstat.h"
#include "share.h"

struct opts {
	const char *history;
	long window;
	long min_runs;
	double threshold;
	bool threshold_set;
	const char *policy;
	double require_p;
	const char *items_cur;
	const char *items_base;
	bool ab;
	double alpha;
	const char *run_id;
	const char *model_tag;
	bool skip_bad;
	const char *rejects;
	int verbose;
	bool quiet;
};

/* One metric row, current or historical. */
struct row {
	char *key; /* metric NUL labels (canonical JSON), compared as one */
	size_t keylen;
	char *metric;
	char *labels; /* canonical JSON object, or NULL when none or empty */
	char *run_id;
	char *model_tag;
	char *ts;
	double value;
	double se; /* NAN when unknown */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

struct rule {
	char *match;
	int dir;          /* +1 higher is better, -1 lower, 0 inherit */
	double threshold; /* NAN: inherit */
	bool ignore;
};

struct policy {
	struct rule def;
	struct rule *rules;
	size_t n;
};

/* One item row: the paired tests join two runs on task and doc_id. */
struct item {
	char *task;
	char *doc_id;
	int correct; /* 1, 0, or -1 when the row has no boolean "correct" */
	double score;
};

struct items {
	struct item *v;
	size_t n, cap;
};

/* McNemar's discordant pairs for one task. */
struct flips {
	char *task;
	unsigned long b, c, pairs;
	double p;
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] -H FILE [-w N] [-t PCT] [-p FILE] [--min-runs N]\n"
	    "                 [--require-significance P] [--items-current FILE\n"
	    "                 --items-baseline FILE] [--run-id ID] [--model-tag TAG]\n"
	    "                 [--skip-bad] [--rejects FILE] [FILE...]\n"
	    "       %s --ab --items-baseline FILE --items-current FILE [--alpha A]\n"
	    "\n"
	    "Compare a run's metric rows with the mean of the last N runs in the history and\n"
	    "write one verdict row per metric; exit 1 when any metric regressed.\n"
	    "\n"
	    "  -H, --history FILE          earlier runs' metric rows (ch-query history)\n"
	    "  -w, --window N              runs in the baseline mean (default 5)\n"
	    "      --min-runs N            fewer runs is insufficient_history (default 3,\n"
	    "                              or N of --window when that is smaller)\n"
	    "  -t, --threshold PCT         worse by PCT %% or more is a regression (default 10)\n"
	    "  -p, --policy FILE           metric directions (default share/metrics.json)\n"
	    "      --require-significance P  a regression also needs p < P\n"
	    "      --items-current FILE    this run's item rows (McNemar's exact test)\n"
	    "      --items-baseline FILE   the baseline run's item rows\n"
	    "      --ab                    A/B: Welch's t-test of item scores, B against A\n"
	    "      --alpha A               significance level of --ab (default 0.05)\n"
	    "      --run-id ID             the current run, where rows lack run_id\n"
	    "      --model-tag TAG         the current model tag, where rows lack model_tag\n"
	    "      --skip-bad              skip malformed records, count them\n"
	    "      --rejects FILE          write skipped records to FILE (implies --skip-bad)\n"
	    "  -v, --verbose               print a summary to stderr\n"
	    "  -q, --quiet                 no warnings\n"
	    "  -h, --help                  this help\n"
	    "      --version               print the version\n"
	    "\n"
	    "Exit: 0 no regression, 1 a regression, 64 usage, 65 bad input, 66 cannot open,\n"
	    "74 I/O error. See reg-check(1).\n",
	    ve_progname, ve_progname);
}

enum {
	OPT_MIN_RUNS = 256,
	OPT_REQ_SIG,
	OPT_ITEMS_CUR,
	OPT_ITEMS_BASE,
	OPT_AB,
	OPT_ALPHA,
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
	    {"history", required_argument, NULL, 'H'},
	    {"window", required_argument, NULL, 'w'},
	    {"min-runs", required_argument, NULL, OPT_MIN_RUNS},
	    {"threshold", required_argument, NULL, 't'},
	    {"policy", required_argument, NULL, 'p'},
	    {"require-significance", required_argument, NULL, OPT_REQ_SIG},
	    {"items-current", required_argument, NULL, OPT_ITEMS_CUR},
	    {"items-baseline", required_argument, NULL, OPT_ITEMS_BASE},
	    {"ab", no_argument, NULL, OPT_AB},
	    {"alpha", required_argument, NULL, OPT_ALPHA},
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

	o->window = 5;
	o->min_runs = 0;
	o->threshold = 10.0;
	o->require_p = NAN;
	o->alpha = 0.05;
	while ((c = getopt_long(argc, argv, "H:w:t:p:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->history = optarg; break;
		case 'w': o->window = ve_opt_long("--window", optarg, 1, 1000000); break;
		case OPT_MIN_RUNS:
			o->min_runs = ve_opt_long("--min-runs", optarg, 1, 1000000);
			break;
		case 't':
			o->threshold = ve_opt_double("--threshold", optarg, 0.0, 1000.0);
			o->threshold_set = true;
			break;
		case 'p': o->policy = optarg; break;
		case OPT_REQ_SIG:
			o->require_p = ve_opt_double("--require-significance", optarg, 0.0, 1.0);
			break;
		case OPT_ITEMS_CUR: o->items_cur = optarg; break;
		case OPT_ITEMS_BASE: o->items_base = optarg; break;
		case OPT_AB: o->ab = true; break;
		case OPT_ALPHA: o->alpha = ve_opt_double("--alpha", optarg, 0.0, 1.0); break;
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
	if (!o->items_cur != !o->items_base)
		ve_usage_error("--items-current and --items-baseline go together");
	if (o->ab) {
		if (!o->items_cur)
			ve_usage_error("--ab needs --items-baseline and --items-current");
		if (o->history || optind < argc)
			ve_usage_error("--ab compares item rows: no --history and no metric files");
	} else if (!o->history) {
		ve_usage_error("--history FILE is required (the earlier runs' metric rows)");
	}
	if (!o->min_runs)
		o->min_runs = o->window < 3 ? o->window : 3;
	if (o->min_runs > o->window)
		ve_usage_error("--min-runs (%ld) cannot exceed --window (%ld)", o->min_runs,
		               o->window);
}

/* A copy of the string field name of obj (borrowed), or NULL if absent or not a string. */
static char *
get_str(jv obj, const char *name)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(name));
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		s = ve_xstrdup(jv_string_value(v));
	jv_free(v);
	return s;
}

/* The number field name of obj (borrowed); false if absent, null or not a number. */
static bool
get_num(jv obj, const char *name, double *out)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(name));
	bool ok = jv_get_kind(v) == JV_KIND_NUMBER;

	if (ok)
		*out = jv_number_value(v);
	jv_free(v);
	return ok;
}

static void
row_free(struct row *r)
{
	free(r->key);
	free(r->metric);
	free(r->labels);
	free(r->run_id);
	free(r->model_tag);
	free(r->ts);
}

static void
rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		row_free(&rs->v[i]);
	free(rs->v);
}

/*
 * Fills r from a metric row (borrowed). Returns NULL or the reason the
 * record is not a usable metric row.
 */
static const char *
row_from(jv rec, struct row *r, struct ve_buf *tmp)
{
	memset(r, 0, sizeof *r);
	r->metric = get_str(rec, "metric");
	if (!r->metric)
		return "metric row without a string \"metric\"";
	if (!get_num(rec, "value", &r->value))
		return "metric row without a number \"value\"";
	r->run_id = get_str(rec, "run_id");
	r->model_tag = get_str(rec, "model_tag");
	r->ts = get_str(rec, "ts");
	jv labels = jv_object_get(jv_copy(rec), jv_string("labels"));
	/* ClickHouse keeps labels as JSON text: ch-query gives them back as a string. */
	if (jv_get_kind(labels) == JV_KIND_STRING) {
		jv parsed = jv_parse(jv_string_value(labels));
		jv_free(labels);
		if (jv_get_kind(parsed) != JV_KIND_OBJECT) {
			jv_free(parsed);
			return "\"labels\" is a string but not a JSON object";
		}
		labels = parsed;
	}
	if (jv_get_kind(labels) == JV_KIND_OBJECT && jv_object_length(jv_copy(labels)) > 0) {
		ve_buf_reset(tmp);
		ve_json_canon(labels, tmp);
		r->labels = ve_xstrdup(tmp->p);
	} else if (jv_get_kind(labels) != JV_KIND_NULL && jv_get_kind(labels) != JV_KIND_INVALID &&
	           jv_get_kind(labels) != JV_KIND_OBJECT) {
		jv_free(labels);
		return "\"labels\" is not an object";
	}
	jv_free(labels);
	/* A row's standard error: given, or that of a proportion when n is. */
	double n, unit_se;
	char *unit = get_str(rec, "unit");
	r->se = NAN;
	if (get_num(rec, "stderr", &unit_se) && unit_se >= 0)
		r->se = unit_se;
	else if (unit && strcmp(unit, "ratio") == 0 && get_num(rec, "n", &n) && n > 0 &&
	         r->value >= 0 && r->value <= 1)
		r->se = sqrt(r->value * (1 - r->value) / n);
	free(unit);
	size_t ml = strlen(r->metric), ll = r->labels ? strlen(r->labels) : 0;
	r->keylen = ml + 1 + ll;
	r->key = ve_xmalloc(r->keylen + 1);
	memcpy(r->key, r->metric, ml + 1);
	if (ll)
		memcpy(r->key + ml + 1, r->labels, ll);
	r->key[r->keylen] = '\0';
	return NULL;
}

/* Reads metric rows from files into rs; returns 0 or an exit status. */
static int
read_rows(char *const *files, int nfiles, struct ve_bad *bad, struct rows *rs)
{
	struct ve_input *in = ve_input_new(files, nfiles);
	struct ve_line line;
	struct ve_buf tmp = {0};
	int r, rc = 0;

	while ((r = ve_input_next(in, &line)) == 1) {
		if (ve_line_blank(&line))
			continue;
		jv rec = ve_record_parse(line.text, line.len);
		if (!jv_is_valid(rec)) {
			jv msg = jv_invalid_get_msg(rec);
			rc = ve_bad_record(bad, &line, jv_string_value(msg));
			jv_free(msg);
			if (rc)
				goto out;
			continue;
		}
		struct row row;
		const char *why = row_from(rec, &row, &tmp);
		jv_free(rec);
		if (why) {
			row_free(&row);
			if ((rc = ve_bad_record(bad, &line, why)))
				goto out;
			continue;
		}
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? 2 * rs->cap : 64;
			rs->v = ve_xrealloc(rs->v, rs->cap * sizeof *rs->v);
		}
		rs->v[rs->n++] = row;
	}
	if (r < 0)
		rc = ve_input_status(in);
out:
	ve_buf_free(&tmp);
	ve_input_free(in);
	return rc;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->task, y->task);

	return c ? c : strcmp(x->doc_id, y->doc_id);
}

/* Reads item rows (vllm-eval(7)) of one run, sorted by task and doc_id. */
static int
read_items(const char *path, struct ve_bad *bad, struct items *is)
{
	char *files[] = {(char *)path};
	struct ve_input *in = ve_input_new(files, 1);
	struct ve_line line;
	int r, rc = 0;

	while ((r = ve_input_next(in, &line)) == 1) {
		if (ve_line_blank(&line))
			continue;
		jv rec = ve_record_parse(line.text, line.len);
		if (!jv_is_valid(rec)) {
			jv msg = jv_invalid_get_msg(rec);
			rc = ve_bad_record(bad, &line, jv_string_value(msg));
			jv_free(msg);
			if (rc)
				goto out;
			continue;
		}
		struct item it = {0};
		const char *why = NULL;
		it.task = get_str(rec, "task");
		it.doc_id = get_str(rec, "doc_id");
		jv cor = jv_object_get(jv_copy(rec), jv_string("correct"));
		/* true/false, or 1/0 as ClickHouse's UInt8 comes back from ch-query. */
		it.correct = jv_get_kind(cor) == JV_KIND_TRUE    ? 1
		             : jv_get_kind(cor) == JV_KIND_FALSE ? 0
		             : jv_get_kind(cor) == JV_KIND_NUMBER &&
		                     (jv_number_value(cor) == 0 || jv_number_value(cor) == 1)
		                 ? (int)jv_number_value(cor)
		                 : -1;
		jv_free(cor);
		if (!get_num(rec, "score", &it.score)) {
			if (it.correct < 0)
				why =
				    "item row without a number \"score\" or a boolean \"correct\"";
			it.score = it.correct;
		}
		if (!it.task || !it.doc_id)
			why = "item row without string \"task\" and \"doc_id\"";
		jv_free(rec);
		if (why) {
			free(it.task);
			free(it.doc_id);
			if ((rc = ve_bad_record(bad, &line, why)))
				goto out;
			continue;
		}
		if (is->n == is->cap) {
			is->cap = is->cap ? 2 * is->cap : 256;
			is->v = ve_xrealloc(is->v, is->cap * sizeof *is->v);
		}
		is->v[is->n++] = it;
	}
	if (r < 0)
		rc = ve_input_status(in);
out:
	ve_input_free(in);
	if (is->n)
		qsort(is->v, is->n, sizeof *is->v, item_cmp);
	return rc;
}

static void
items_free(struct items *is)
{
	for (size_t i = 0; i < is->n; i++) {
		free(is->v[i].task);
		free(is->v[i].doc_id);
	}
	free(is->v);
}

/* Parses a direction and threshold out of a policy rule object (borrowed). */
static const char *
rule_from(jv obj, struct rule *r)
{
	char *dir = get_str(obj, "direction");
	const char *why = NULL;
	jv ign = jv_object_get(jv_copy(obj), jv_string("ignore"));

	r->dir = 0;
	r->threshold = NAN;
	r->ignore = jv_get_kind(ign) == JV_KIND_TRUE;
	jv_free(ign);
	if (dir && strcmp(dir, "higher") == 0)
		r->dir = 1;
	else if (dir && strcmp(dir, "lower") == 0)
		r->dir = -1;
	else if (dir)
		why = "\"direction\" must be \"higher\" or \"lower\"";
	free(dir);
	if (get_num(obj, "threshold_pct", &r->threshold) && r->threshold < 0)
		why = "\"threshold_pct\" must not be negative";
	return why;
}

/* Loads the metric policy; returns 0 or an exit status after a message. */
static int
load_policy(const char *path, struct policy *pol)
{
	FILE *f = fopen(path, "r");
	struct ve_buf b = {0};
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (!f) {
		ve_warn("%s: %s", path, strerror(errno));
		return VE_EX_NOINPUT;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ve_buf_add(&b, chunk, n);
	fclose(f);
	jv doc = ve_record_parse(b.p ? b.p : "", b.len);
	ve_buf_free(&b);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);
		ve_warn("%s: %s", path, jv_string_value(msg));
		jv_free(msg);
		return VE_EX_DATAERR;
	}
	const char *why = NULL;
	jv def = jv_object_get(jv_copy(doc), jv_string("default"));
	pol->def.dir = 1;
	pol->def.threshold = NAN;
	if (jv_get_kind(def) == JV_KIND_OBJECT) {
		why = rule_from(def, &pol->def);
		if (!pol->def.dir)
			pol->def.dir = 1;
	}
	jv_free(def);
	jv rules = jv_object_get(jv_copy(doc), jv_string("rules"));
	if (!why && jv_get_kind(rules) == JV_KIND_ARRAY) {
		int len = jv_array_length(jv_copy(rules));
		pol->rules = ve_xcalloc((size_t)len + 1, sizeof *pol->rules);
		for (int i = 0; i < len && !why; i++) {
			jv r = jv_array_get(jv_copy(rules), i);
			char *m = jv_get_kind(r) == JV_KIND_OBJECT ? get_str(r, "match") : NULL;
			if (!m) {
				why = "each rule needs a string \"match\"";
			} else {
				why = rule_from(r, &pol->rules[pol->n]);
				pol->rules[pol->n++].match = m;
			}
			jv_free(r);
		}
	} else if (!why && jv_get_kind(rules) != JV_KIND_INVALID) {
		why = "\"rules\" must be an array";
	}
	jv_free(rules);
	jv_free(doc);
	if (why) {
		ve_warn("%s: %s", path, why);
		rc = VE_EX_DATAERR;
	}
	return rc;
}

static void
policy_free(struct policy *pol)
{
	for (size_t i = 0; i < pol->n; i++)
		free(pol->rules[i].match);
	free(pol->rules);
}

/* The first matching rule's settings, the default's where it says nothing. */
static struct rule
policy_for(const struct policy *pol, const char *metric)
{
	struct rule r = pol->def;

	for (size_t i = 0; i < pol->n; i++) {
		if (fnmatch(pol->rules[i].match, metric, 0) != 0)
			continue;
		if (pol->rules[i].dir)
			r.dir = pol->rules[i].dir;
		if (!isnan(pol->rules[i].threshold))
			r.threshold = pol->rules[i].threshold;
		r.ignore = pol->rules[i].ignore;
		break;
	}
	return r;
}

static int
key_cmp(const struct row *x, const char *key, size_t keylen)
{
	int c = memcmp(x->key, key, x->keylen < keylen ? x->keylen : keylen);

	return c ? c : (x->keylen > keylen) - (x->keylen < keylen);
}

/* By metric identity, then newest first: by ts, then run_id; no ts is oldest. */
static int
hist_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = key_cmp(x, y->key, y->keylen);

	if (c)
		return c;
	c = strcmp(y->ts ? y->ts : "", x->ts ? x->ts : "");
	return c ? c : strcmp(y->run_id ? y->run_id : "", x->run_id ? x->run_id : "");
}

/* Appends "name":number, as jq would print a double of 12 significant digits. */
static void
add_num(struct ve_buf *b, const char *name, double v)
{
	if (isnan(v) || isinf(v))
		ve_buf_addf(b, ",\"%s\":null", name);
	else
		ve_buf_addf(b, ",\"%s\":%.12g", name, v == 0 ? 0.0 : v);
}

static void
add_str(struct ve_buf *b, const char *name, const char *s)
{
	ve_buf_addf(b, ",\"%s\":", name);
	ve_buf_add_json_str(b, s, strlen(s));
}

/* The McNemar p-value of the task a metric belongs to ("mmlu" for "mmlu.acc"), or NAN. */
static double
flips_p(const struct flips *fl, size_t nfl, const char *metric)
{
	size_t tl = strcspn(metric, ".");

	for (size_t i = 0; i < nfl; i++)
		if (strlen(fl[i].task) == tl && strncmp(fl[i].task, metric, tl) == 0)
			return fl[i].p;
	return NAN;
}

/* Pairs the two runs' items per task and counts the flips. */
static size_t
count_flips(const struct items *cur, const struct items *base, struct flips **out)
{
	struct flips *fl = NULL;
	size_t nfl = 0, i = 0, j = 0;

	while (i < cur->n && j < base->n) {
		int c = item_cmp(&cur->v[i], &base->v[j]);
		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0) {
			j++;
			continue;
		}
		const struct item *x = &cur->v[i++], *y = &base->v[j++];
		if (x->correct < 0 || y->correct < 0)
			continue;
		if (!nfl || strcmp(fl[nfl - 1].task, x->task) != 0) {
			fl = ve_xrealloc(fl, (nfl + 1) * sizeof *fl);
			fl[nfl++] = (struct flips){.task = x->task};
		}
		fl[nfl - 1].pairs++;
		if (y->correct && !x->correct)
			fl[nfl - 1].b++;
		else if (!y->correct && x->correct)
			fl[nfl - 1].c++;
	}
	for (size_t k = 0; k < nfl; k++)
		fl[k].p = ve_rs_mcnemar_exact(fl[k].b, fl[k].c);
	*out = fl;
	return nfl;
}

struct tally {
	unsigned long metrics, regressions, improvements, fresh, short_history, ignored;
};

/* Writes the verdict row of one current metric. */
static void
verdict(const struct opts *o, const struct policy *pol, const struct rows *hist,
        const struct row *cur, const struct flips *fl, size_t nfl, struct tally *t,
        struct ve_buf *out)
{
	struct rule r = policy_for(pol, cur->metric);
	double threshold = o->threshold_set || isnan(r.threshold) ? o->threshold : r.threshold;
	size_t used = 0, lo = 0, hi = hist->n;
	double sum = 0, var = 0;
	bool have_se = !isnan(cur->se);
	const char **seen;

	if (r.ignore) {
		t->ignored++;
		return;
	}
	seen = ve_xcalloc((size_t)o->window, sizeof *seen);
	t->metrics++;
	/* The history is sorted by hist_cmp: find the metric's rows, newest first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&hist->v[mid], cur->key, cur->keylen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < hist->n && used < (size_t)o->window; i++) {
		const struct row *h = &hist->v[i];
		if (key_cmp(h, cur->key, cur->keylen) != 0)
			break;
		if (cur->run_id && h->run_id && strcmp(cur->run_id, h->run_id) == 0)
			continue;
		/*
		 * One value per run, the newest: a re-sent batch or a re-run step
		 * may have stored a run's rows twice, not always side by side.
		 */
		bool dup = false;
		for (size_t k = 0; k < used && h->run_id && !dup; k++)
			dup = seen[k] && strcmp(seen[k], h->run_id) == 0;
		if (dup)
			continue;
		seen[used] = h->run_id;
		sum += h->value;
		if (isnan(h->se))
			have_se = false;
		else
			var += h->se * h->se;
		used++;
	}

	ve_buf_reset(out);
	ve_buf_adds(out, "{\"metric\":");
	ve_buf_add_json_str(out, cur->metric, strlen(cur->metric));
	if (cur->labels)
		ve_buf_addf(out, ",\"labels\":%s", cur->labels);
	add_num(out, "value", cur->value);
	const char *dir = r.dir > 0 ? "higher" : "lower";
	const char *status;
	if (used == 0 || used < (size_t)o->min_runs) {
		status = used == 0 ? "new" : "insufficient_history";
		if (used == 0)
			t->fresh++;
		else
			t->short_history++;
		ve_buf_adds(out, ",\"baseline\":null");
		ve_buf_addf(out, ",\"window\":%zu", used);
		ve_buf_adds(out, ",\"delta\":null,\"delta_pct\":null");
		add_str(out, "direction", dir);
		add_str(out, "status", status);
		ve_buf_adds(out, ",\"p_value\":null");
	} else {
		double base = sum / (double)used;
		double delta = cur->value - base;
		double pct = base != 0 ? 100.0 * delta / fabs(base) : NAN;
		double worse = r.dir > 0 ? -delta : delta;
		/* "at least PCT %": compared with a little slack so 10 % exactly counts. */
		double slack = 1e-9 * (threshold > 1 ? threshold : 1);
		bool is_worse, is_better;
		if (base != 0) {
			double wpct = 100.0 * worse / fabs(base);
			is_worse = worse > 0 && wpct + slack >= threshold;
			is_better = worse < 0 && -wpct + slack >= threshold;
		} else {
			is_worse = worse > 0;
			is_better = worse < 0;
		}
		double p = flips_p(fl, nfl, cur->metric);
		if (isnan(p) && have_se) {
			double se = sqrt(cur->se * cur->se + var / ((double)used * (double)used));
			p = se > 0 ? ve_rs_normal_p2(delta / se) : (delta == 0 ? 1.0 : 0.0);
		}
		if (!isnan(o->require_p) && !isnan(p) && !(p < o->require_p))
			is_worse = is_better = false;
		status = is_worse ? "regression" : is_better ? "improvement" : "ok";
		if (is_worse)
			t->regressions++;
		if (is_better)
			t->improvements++;
		add_num(out, "baseline", base);
		ve_buf_addf(out, ",\"window\":%zu", used);
		add_num(out, "delta", delta);
		add_num(out, "delta_pct", isnan(pct) ? pct : round(pct * 100.0) / 100.0);
		add_str(out, "direction", dir);
		add_str(out, "status", status);
		if (isnan(p))
			ve_buf_adds(out, ",\"p_value\":null");
		else
			ve_buf_addf(out, ",\"p_value\":%.6g", p);
	}
	add_num(out, "threshold_pct", threshold);
	if (cur->run_id)
		add_str(out, "run_id", cur->run_id);
	if (cur->model_tag)
		add_str(out, "model_tag", cur->model_tag);
	ve_buf_addc(out, '}');
	ve_out_line(out->p, out->len);
	free(seen);
}

/* Mean and sample variance (ddof 1) of the scores of is->v[from..to). */
static void
moments(const struct items *is, size_t from, size_t to, double *mean, double *var)
{
	double m = 0, s = 0;
	size_t n = 0;

	/* Welford's update: no cancellation on scores near 1. */
	for (size_t i = from; i < to; i++) {
		n++;
		double d = is->v[i].score - m;
		m += d / (double)n;
		s += d * (is->v[i].score - m);
	}
	*mean = m;
	*var = n > 1 ? s / (double)(n - 1) : NAN;
}

/* A/B: one row per task present in both runs. */
static int
run_ab(const struct opts *o, const struct items *a, const struct items *b, struct tally *t)
{
	struct ve_buf out = {0};
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].task, b->v[j].task);
		size_t ie = i, je = j;
		if (c <= 0)
			while (ie < a->n && strcmp(a->v[ie].task, a->v[i].task) == 0)
				ie++;
		if (c >= 0)
			while (je < b->n && strcmp(b->v[je].task, b->v[j].task) == 0)
				je++;
		if (c != 0) {
			if (!o->quiet)
				ve_warn("task %s is only in %s: not compared",
				        c < 0 ? a->v[i].task : b->v[j].task,
				        c < 0 ? "--items-baseline" : "--items-current");
			i = ie;
			j = je;
			continue;
		}
		double ma, va, mb, vb;
		double na = (double)(ie - i), nb = (double)(je - j);
		moments(a, i, ie, &ma, &va);
		moments(b, j, je, &mb, &vb);
		struct ve_rs_welch w;
		bool tested = ve_rs_welch(ma, va, na, mb, vb, nb, &w) == 0;
		double sp = sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2));
		double d = tested && sp > 0 ? (mb - ma) / sp : NAN;
		double lift = ma != 0 ? 100.0 * (mb - ma) / fabs(ma) : NAN;
		bool sig = tested && w.p < o->alpha;
		const char *status = !sig ? "ok" : mb < ma ? "regression" : "improvement";
		const char *rec = !sig ? "inconclusive: keep A" : mb < ma ? "keep A" : "adopt B";
		t->metrics++;
		if (sig && mb < ma)
			t->regressions++;
		else if (sig)
			t->improvements++;
		ve_buf_reset(&out);
		ve_buf_adds(&out, "{\"metric\":");
		struct ve_buf name = {0};
		ve_buf_addf(&name, "%s.score", a->v[i].task);
		ve_buf_add_json_str(&out, name.p, name.len);
		ve_buf_free(&name);
		add_num(&out, "value", mb);
		add_num(&out, "baseline", ma);
		ve_buf_addf(&out, ",\"n\":%.0f,\"baseline_n\":%.0f", nb, na);
		add_num(&out, "delta", mb - ma);
		add_num(&out, "delta_pct", isnan(lift) ? lift : round(lift * 100.0) / 100.0);
		add_num(&out, "lift_pct", lift);
		add_num(&out, "cohens_d", d);
		add_num(&out, "t", tested ? w.t : NAN);
		add_num(&out, "df", tested ? w.df : NAN);
		ve_buf_adds(&out, ",\"direction\":\"higher\"");
		add_str(&out, "status", status);
		if (tested)
			ve_buf_addf(&out, ",\"p_value\":%.6g", w.p);
		else
			ve_buf_adds(&out, ",\"p_value\":null");
		add_str(&out, "recommendation", rec);
		ve_buf_addc(&out, '}');
		ve_out_line(out.p, out.len);
		i = ie;
		j = je;
	}
	ve_buf_free(&out);
	return 0;
}

static int
run(const struct opts *o, char **files, int nfiles, struct tally *t)
{
	struct policy pol = {0};
	struct rows cur = {0}, hist = {0};
	struct items ic = {0}, ib = {0};
	struct flips *fl = NULL;
	size_t nfl = 0;
	struct ve_bad bad;
	struct ve_buf out = {0};
	char *found = NULL;
	int rc = 0, rc2;

	ve_bad_open(&bad, o->rejects, o->skip_bad);
	if (o->items_cur) {
		if ((rc = read_items(o->items_base, &bad, &ib)) ||
		    (rc = read_items(o->items_cur, &bad, &ic)))
			goto out;
	}
	if (o->ab) {
		rc = run_ab(o, &ib, &ic, t);
		goto out;
	}
	const char *ppath = o->policy;
	if (!ppath && !(ppath = found = ve_share_path("metrics.json"))) {
		ve_warn("no metric policy found (share/metrics.json): use --policy FILE");
		rc = VE_EX_NOINPUT;
		goto out;
	}
	if ((rc = load_policy(ppath, &pol)))
		goto out;
	char *hfiles[] = {(char *)o->history};
	if ((rc = read_rows(hfiles, 1, &bad, &hist)) || (rc = read_rows(files, nfiles, &bad, &cur)))
		goto out;
	if (hist.n)
		qsort(hist.v, hist.n, sizeof *hist.v, hist_cmp);
	if (o->items_cur)
		nfl = count_flips(&ic, &ib, &fl);
	for (size_t i = 0; i < cur.n; i++) {
		struct row *c = &cur.v[i];
		if (!c->run_id && o->run_id)
			c->run_id = ve_xstrdup(o->run_id);
		if (!c->model_tag && o->model_tag)
			c->model_tag = ve_xstrdup(o->model_tag);
		verdict(o, &pol, &hist, c, fl, nfl, t, &out);
	}
	if (o->verbose)
		for (size_t i = 0; i < nfl; i++)
			ve_warn("%s: %lu paired items, %lu right before and wrong now, %lu wrong "
			        "before and right now, McNemar p=%.6g",
			        fl[i].task, fl[i].pairs, fl[i].b, fl[i].c, fl[i].p);
out:
	rc2 = ve_bad_close(&bad, o->quiet);
	if (!rc)
		rc = rc2;
	free(fl);
	free(found);
	ve_buf_free(&out);
	items_free(&ic);
	items_free(&ib);
	rows_free(&cur);
	rows_free(&hist);
	policy_free(&pol);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct tally t = {0};
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o, argv + optind, argc - optind, &t);
	if (!rc && o.verbose)
		ve_warn("%lu metrics: %lu regressions, %lu improvements, %lu new, %lu with "
		        "insufficient history, %lu ignored by the policy",
		        t.metrics, t.regressions, t.improvements, t.fresh, t.short_history,
		        t.ignored);
	int rc2 = ve_out_close();
	if (rc)
		return rc;
	if (rc2)
		return rc2;
	return t.regressions ? VE_EX_NEGATIVE : VE_EX_OK;
}
