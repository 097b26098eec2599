/*
 * reg-check — a release's verdict against the earlier runs.
 *
 * Reads the current run's metric rows (vllm-eval(7), Metric row) from FILEs
 * or stdin and the earlier runs' metric rows from --history. For each
 * current metric (name and labels), the baseline is the mean of that metric
 * over the last --window runs of the history (newest by ts, then run_id;
 * rows of the current run_id are left out); worse means lower or higher as
 * the metric policy (share/metrics.json or --policy) says.
 *
 * Each row is tested: McNemar's exact test on the items that flipped when
 * both runs' item rows are given (with several baseline runs' items, a
 * paired z-test against each item's share right), else a z-test from the
 * rows' stderr, else
 * the spread of the baseline runs (a Student t prediction test). The
 * release verdict (--rule stat, the default) is decided by the headline
 * rows only (a task's overall row, a group's row, serving figures the
 * policy gates), one per measurement (acc_norm is "the same as" acc), of
 * enough items (--min-n), with Holm's or Benjamini-Hochberg's adjustment
 * of their one-sided p-values: a regression is worse, with an adjusted p
 * below --alpha, by at least the minimum effect. The other rows are detail, adjusted among
 * themselves. --rule prd is the plain rule: every row worse by
 * --threshold percent is a regression.
 *
 * With --ab it compares two runs' item rows instead: Welch's t-test on the
 * item scores per task, the lift, Cohen's d and a recommendation.
 *
 * Writes the release row, then verdict rows (vllm-eval(7), Verdict row),
 * one per current metric in input order, then the missing ones; exits 1
 * when the release regressed.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "reader.h"
#include "regstat.h"
#include "share.h"
#include "stats.h"

struct opts {
	const char *history;
	long window;
	long min_runs;
	double threshold;
	bool threshold_set;
	const char *policy;
	double require_p;
	const char *items_cur;
	const char **items_base; /* one file a baseline run */
	int nbase;
	bool allow_missing;
	bool ab;
	double alpha;
	bool prd;   /* --rule prd: the plain threshold rule */
	bool bh;    /* --adjust bh: Benjamini-Hochberg, else Holm */
	long min_n; /* rows of fewer items cannot alert */
	bool min_n_set;
	double min_effect; /* percent; NAN: the policy's */
	bool gate_subsets;
	const char *run_id;
	const char *model_tag;
	struct ve_cli cli;
};

/* One metric row, current or historical. */
struct row {
	char *key; /* metric NUL labels (canonical JSON), compared as one */
	size_t keylen;
	const char *metric; /* key's first part */
	const char *labels; /* key's second part, or NULL when none or empty */
	char *run_id;
	char *model_tag;
	char *ts;
	char *subset; /* labels.subset, or NULL */
	/*
	 * labels.task_version and labels.task_inputs, or NULL: not part of
	 * the key, so that a task's rows are one series across its versions,
	 * of which only the current one's are baselines.
	 */
	char *version, *inputs;
	bool group; /* "level":"group": a group's row, a headline figure */
	double value;
	double se; /* NAN when unknown */
	double n;  /* items or requests; NAN when unknown */
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
	bool optional;     /* a run may lack it (a count written only when not 0): never missing */
	bool nogate;       /* "gate": false: shown, never deciding the release */
	double min_effect; /* percent; NAN: inherit */
	char *same_as;     /* the row deciding for it, by its last components; or NULL */
};

struct policy {
	struct rule def;
	struct rule *rules;
	size_t n;
};

/* The item fields McNemar's test reads, by the metric they score. */
enum { F_ACC, F_ACC_NORM, F_EXACT, NFLAGS };

/* One item row: the paired tests join two runs on task, doc_id and sample. */
struct item {
	char *task;
	char *doc_id;
	double sample;        /* the row's "sample" (one of several of a doc_id), or -1 */
	char *subset, *group; /* or NULL */
	/*
	 * Its task's version: "task_version", else that of its run's metric
	 * rows of the task (ClickHouse's items from before it kept the field
	 * have none); NULL when unknown.
	 */
	char *version;
	char *run_id;     /* or NULL */
	int correct;      /* 1, 0, or -1 when the row has no boolean "correct" */
	int flag[NFLAGS]; /* correct, correct_norm, exact_match: 1, 0 or -1 */
	char *filter;     /* the score-gen filter whose answer exact_match scores, or NULL */
	double score;
};

struct items {
	struct item *v;
	size_t n, cap;
};

/* One item of the current run and how the baseline runs answered it. */
struct pair {
	const struct item *cur;
	unsigned right[NFLAGS], runs[NFLAGS]; /* baseline runs right, and with the field */
};

/*
 * A row's paired items: McNemar's discordant pairs (one baseline run), or
 * the paired z-test's sum of changes and its variance (several).
 */
struct flips {
	unsigned long b, c, pairs;
	double d, var;
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] -H FILE [--rule stat|prd] [-w N] [--min-runs N] [-p FILE]\n"
	    "                 [--alpha A] [--adjust holm|bh] [--min-n N] [--min-effect PCT]\n"
	    "                 [--gate-subsets] [-t PCT] [--require-significance P]\n"
	    "                 [--items-current FILE --items-baseline FILE] [--allow-missing]\n"
	    "                 [--run-id ID] [--model-tag TAG] [--skip-bad] [--rejects FILE]\n"
	    "                 [FILE...]\n"
	    "       %s --ab --items-baseline FILE --items-current FILE [--alpha A]\n"
	    "\n"
	    "Compare a run's metric rows with the last N runs in the history: write the\n"
	    "release verdict, then one verdict row per metric; exit 1 when the release\n"
	    "regressed. The headline rows decide it, each tested (McNemar, paired, z or\n"
	    "the baseline's spread) and adjusted for their number; the rest is detail.\n"
	    "\n"
	    "  -H, --history FILE          earlier runs' metric rows (ch-query history)\n"
	    "      --rule RULE             stat: the tested verdict (default); prd: worse by\n"
	    "                              the threshold, every row\n"
	    "  -w, --window N              runs in the baseline mean (default 5)\n"
	    "      --min-runs N            fewer runs is insufficient_history (default 3,\n"
	    "                              or N of --window when that is smaller)\n"
	    "  -p, --policy FILE           directions and gates (default share/metrics.json)\n"
	    "      --alpha A               false-alarm level of the release (default 0.05)\n"
	    "      --adjust METHOD         holm (family-wise, default) or bh (false discovery)\n"
	    "      --min-n N               rows of fewer items cannot alert (default 100)\n"
	    "      --min-effect PCT        smaller changes are never regressions (default:\n"
	    "                              the policy's, 2)\n"
	    "      --gate-subsets          subset rows decide the release too\n"
	    "  -t, --threshold PCT         prd: worse by PCT %% or more (default 10)\n"
	    "      --require-significance P  prd: a regression also needs p < P\n"
	    "      --items-current FILE    this run's item rows (McNemar's exact test)\n"
	    "      --items-baseline FILE   a baseline run's item rows (once a run: paired z)\n"
	    "      --allow-missing         a missing metric is reported, not a regression\n"
	    "      --ab                    A/B: Welch's t-test of item scores, B against A\n"
	    "      --run-id ID             the current run, where rows lack run_id\n"
	    "      --model-tag TAG         the current model tag, where rows lack model_tag\n",
	    ve_progname, ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS, 30);
	fprintf(f, "\n"
	           "With -v, a summary and the paired items' counts go to stderr.\n"
	           "Exit: 0 the release did not regress, 1 it did, 64 usage, 65 bad\n"
	           "input, 66 cannot open, 73 cannot create, 74 I/O error. See reg-check(1).\n");
}

enum {
	OPT_MIN_RUNS = 256,
	OPT_REQ_SIG,
	OPT_ITEMS_CUR,
	OPT_ITEMS_BASE,
	OPT_ALLOW_MISSING,
	OPT_AB,
	OPT_ALPHA,
	OPT_RUN_ID,
	OPT_MODEL_TAG,
	OPT_RULE,
	OPT_ADJUST,
	OPT_MIN_N,
	OPT_MIN_EFFECT,
	OPT_GATE_SUBSETS,
};

/* Which inputs the mode takes, and --min-runs's default from --window. */
static void
check_opts(struct opts *o, bool metric_files)
{
	if (!o->items_cur != !o->items_base)
		ve_usage_error("--items-current and --items-baseline go together");
	if (o->ab && o->nbase > 1)
		ve_usage_error("--ab compares two runs: one --items-baseline");
	if (o->ab) {
		if (!o->items_cur)
			ve_usage_error("--ab needs --items-baseline and --items-current");
		if (o->history || metric_files)
			ve_usage_error("--ab compares item rows: no --history and no metric files");
	} else if (!o->history) {
		ve_usage_error("--history FILE is required (the earlier runs' metric rows)");
	}
	if (!o->min_runs)
		o->min_runs = o->window < 3 ? o->window : 3;
	if (o->min_runs > o->window)
		ve_usage_error("--min-runs (%ld) cannot exceed --window (%ld)", o->min_runs,
		               o->window);
	if (o->prd && (o->bh || o->min_n_set || !isnan(o->min_effect) || o->gate_subsets))
		ve_usage_error("--adjust, --min-n, --min-effect and --gate-subsets are the stat "
		               "rule's: not with --rule prd");
	if (!o->prd && !isnan(o->require_p))
		ve_usage_error("--require-significance is the prd rule's: the stat rule always "
		               "tests (see --alpha)");
}

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
	    {"allow-missing", no_argument, NULL, OPT_ALLOW_MISSING},
	    {"ab", no_argument, NULL, OPT_AB},
	    {"alpha", required_argument, NULL, OPT_ALPHA},
	    {"run-id", required_argument, NULL, OPT_RUN_ID},
	    {"model-tag", required_argument, NULL, OPT_MODEL_TAG},
	    {"rule", required_argument, NULL, OPT_RULE},
	    {"adjust", required_argument, NULL, OPT_ADJUST},
	    {"min-n", required_argument, NULL, OPT_MIN_N},
	    {"min-effect", required_argument, NULL, OPT_MIN_EFFECT},
	    {"gate-subsets", no_argument, NULL, OPT_GATE_SUBSETS},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->window = 5;
	o->threshold = 10.0;
	o->require_p = NAN;
	o->alpha = 0.05;
	o->min_n = 100;
	o->min_effect = NAN;
	o->cli.flags = VE_CLI_RECORDS;
	while ((c = ve_getopt(argc, argv, "H:w:t:p:", longopts, &o->cli, usage)) != -1) {
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
		case OPT_ITEMS_BASE:
			o->items_base = ve_xrealloc(o->items_base,
			                            (size_t)(o->nbase + 1) * sizeof *o->items_base);
			o->items_base[o->nbase++] = optarg;
			break;
		case OPT_ALLOW_MISSING: o->allow_missing = true; break;
		case OPT_AB: o->ab = true; break;
		case OPT_ALPHA: o->alpha = ve_opt_double("--alpha", optarg, 0.0, 1.0); break;
		case OPT_RUN_ID: o->run_id = optarg; break;
		case OPT_MODEL_TAG: o->model_tag = optarg; break;
		case OPT_RULE:
			if (strcmp(optarg, "stat") && strcmp(optarg, "prd"))
				ve_usage_error("--rule: '%s' is not stat or prd", optarg);
			o->prd = !strcmp(optarg, "prd");
			break;
		case OPT_ADJUST:
			if (strcmp(optarg, "holm") && strcmp(optarg, "bh"))
				ve_usage_error("--adjust: '%s' is not holm or bh", optarg);
			o->bh = !strcmp(optarg, "bh");
			break;
		case OPT_MIN_N:
			o->min_n = ve_opt_long("--min-n", optarg, 0, LONG_MAX);
			o->min_n_set = true;
			break;
		case OPT_MIN_EFFECT:
			o->min_effect = ve_opt_double("--min-effect", optarg, 0.0, 1000.0);
			break;
		case OPT_GATE_SUBSETS: o->gate_subsets = true; break;
		}
	}
	check_opts(o, optind < argc);
}

static void
rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].key);
		free(rs->v[i].run_id);
		free(rs->v[i].model_tag);
		free(rs->v[i].ts);
		free(rs->v[i].subset);
		free(rs->v[i].version);
		free(rs->v[i].inputs);
	}
	free(rs->v);
}

/*
 * Appends a row's labels (consumed), canonical and without task_version
 * and task_inputs, to key, and sets *subset, v->version and v->inputs to
 * copies of labels.subset, labels.task_version and labels.task_inputs
 * where they are strings: NULL, or why the labels are unusable.
 */
static const char *
row_labels(jv labels, struct ve_buf *key, char **subset, struct row *v)
{
	const char *why = NULL;

	/* ClickHouse keeps labels as JSON text: ch-query gives them back as a string. */
	if (jv_get_kind(labels) == JV_KIND_STRING) {
		jv parsed = ve_record_parse(jv_string_value(labels), ve_json_strlen(labels));
		jv_free(labels);
		if (!jv_is_valid(parsed)) {
			jv msg = jv_invalid_get_msg(parsed);
			/*
			 * A number beyond a double's range is named as in a record;
			 * the rest is not an object.
			 */
			why = jv_get_kind(msg) == JV_KIND_STRING &&
			              strstr(jv_string_value(msg), "beyond a double's range")
			          ? "\"labels\": a number that is not finite"
			          : "\"labels\" is a string but not a JSON object";
			jv_free(msg);
			return why;
		}
		labels = parsed;
	}
	jv_kind k = jv_get_kind(labels);
	if (k != JV_KIND_NULL && k != JV_KIND_INVALID && k != JV_KIND_OBJECT)
		why = "\"labels\" is not an object";
	else if (k == JV_KIND_OBJECT) {
		v->version = ve_json_get_str(labels, "task_version");
		v->inputs = ve_json_get_str(labels, "task_inputs");
		labels = jv_object_delete(jv_object_delete(labels, jv_string("task_version")),
		                          jv_string("task_inputs"));
		if (jv_object_length(jv_copy(labels)) > 0) {
			ve_json_canon(labels, key);
			*subset = ve_json_get_str(labels, "subset");
		}
	}
	jv_free(labels);
	return why;
}

/*
 * The standard error of a row of this value, from its fields stderr, unit
 * and n (borrowed): given, or that of a proportion when n is; NAN when
 * unknown. The record reader has refused numbers that are not finite.
 */
static double
row_se(jv stderr_, jv unit, jv n, double value)
{
	if (jv_get_kind(stderr_) == JV_KIND_NUMBER && jv_number_value(stderr_) >= 0)
		return jv_number_value(stderr_);
	bool ratio = jv_get_kind(unit) == JV_KIND_STRING && !strcmp(jv_string_value(unit), "ratio");
	if (ratio && jv_get_kind(n) == JV_KIND_NUMBER && jv_number_value(n) > 0 && value >= 0 &&
	    value <= 1)
		return sqrt(value * (1 - value) / jv_number_value(n));
	return NAN;
}

/* A copy of the string v (borrowed), or NULL when it is none. */
static char *
str_or_null(jv v)
{
	return jv_get_kind(v) == JV_KIND_STRING ? ve_json_strdup(v, NULL) : NULL;
}

/*
 * ve_reader_each's take: a metric row (borrowed) into the rows ctx. NULL,
 * or the reason the record is not a usable metric row.
 */
static const char *
take_row(jv rec, void *ctx)
{
	enum { METRIC, VALUE, LABELS, RUN_ID, MODEL_TAG, TS, STDERR, UNIT, N, LEVEL, NFIELDS };
	static const char *const names[NFIELDS] = {"metric",    "value", "labels", "run_id",
	                                           "model_tag", "ts",    "stderr", "unit",
	                                           "n",         "level"};
	struct rows *rs = ctx;
	struct ve_buf key = {0};
	const char *why = NULL;
	char *subset = NULL;
	struct row ver = {0}; /* its version and inputs */
	jv f[NFIELDS];

	/* One walk over the row: 40,000 history rows made field lookups a third of reg-check. */
	ve_json_fields(rec, names, NFIELDS, f);
	double value = jv_get_kind(f[VALUE]) == JV_KIND_NUMBER ? jv_number_value(f[VALUE]) : 0;
	size_t ml = jv_get_kind(f[METRIC]) == JV_KIND_STRING ? ve_json_strlen(f[METRIC]) : 0;
	if (jv_get_kind(f[METRIC]) != JV_KIND_STRING)
		why = "metric row without a string \"metric\"";
	else if (jv_get_kind(f[VALUE]) != JV_KIND_NUMBER)
		why = "metric row without a number \"value\"";
	else {
		ve_buf_add(&key, jv_string_value(f[METRIC]), ml);
		ve_buf_addc(&key, '\0');
		why = row_labels(jv_copy(f[LABELS]), &key, &subset, &ver);
	}
	if (why) {
		ve_buf_free(&key);
		free(subset);
		free(ver.version);
		free(ver.inputs);
		for (int i = 0; i < NFIELDS; i++)
			jv_free(f[i]);
		return why;
	}
	/* A history holds a row a metric a run: each key its own size, not a buffer's 256. */
	key.p = ve_xrealloc(key.p, key.len + 1);
	rs->v = ve_grow(rs->v, &rs->cap, rs->n + 1, sizeof *rs->v);
	rs->v[rs->n++] = (struct row){
	    .key = key.p,
	    .keylen = key.len,
	    .metric = key.p,
	    .labels = key.len > ml + 1 ? key.p + ml + 1 : NULL,
	    .run_id = str_or_null(f[RUN_ID]),
	    .model_tag = str_or_null(f[MODEL_TAG]),
	    .ts = str_or_null(f[TS]),
	    .subset = subset,
	    .version = ver.version,
	    .inputs = ver.inputs,
	    .group = jv_get_kind(f[LEVEL]) == JV_KIND_STRING &&
	             !strcmp(jv_string_value(f[LEVEL]), "group"),
	    .value = value,
	    .se = row_se(f[STDERR], f[UNIT], f[N], value),
	    .n = jv_get_kind(f[N]) == JV_KIND_NUMBER ? jv_number_value(f[N]) : NAN,
	};
	for (int i = 0; i < NFIELDS; i++)
		jv_free(f[i]);
	return NULL;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->task, y->task);

	if (!c)
		c = strcmp(x->doc_id, y->doc_id);
	return c ? c : (x->sample > y->sample) - (x->sample < y->sample);
}

/* An item's field name (rec borrowed) as 1 right, 0 wrong, -1 absent. */
static int
item_flag(jv rec, const char *name)
{
	jv v = ve_json_get(rec, name);
	/* true/false, or 1/0 as ClickHouse's UInt8 comes back from ch-query. */
	int f = jv_get_kind(v) == JV_KIND_TRUE    ? 1
	        : jv_get_kind(v) == JV_KIND_FALSE ? 0
	        : jv_get_kind(v) == JV_KIND_NUMBER &&
	                (jv_number_value(v) == 0 || jv_number_value(v) == 1)
	            ? (int)jv_number_value(v)
	            : -1;

	jv_free(v);
	return f;
}

/*
 * ve_reader_each's take: an item row (borrowed; vllm-eval(7), Item row)
 * into the items ctx. NULL, or the reason the record is not a usable item
 * row.
 */
static const char *
take_item(jv rec, void *ctx)
{
	struct items *is = ctx;
	struct item it = {.task = ve_json_get_str(rec, "task"),
	                  .doc_id = ve_json_get_str(rec, "doc_id"),
	                  .correct = item_flag(rec, "correct")};
	const char *why = NULL;

	it.flag[F_ACC] = it.correct;
	it.flag[F_ACC_NORM] = item_flag(rec, "correct_norm");
	it.flag[F_EXACT] = item_flag(rec, "exact_match");
	it.filter = ve_json_get_str(rec, "filter");
	if (!ve_json_get_num(rec, "sample", &it.sample))
		it.sample = -1;
	if (!it.task || !it.doc_id)
		why = "item row without string \"task\" and \"doc_id\"";
	else if (!ve_json_get_num(rec, "score", &it.score)) {
		it.score = it.correct; /* no score: 1 right, 0 wrong */
		if (it.correct < 0)
			why = "item row without a number \"score\" or a boolean \"correct\"";
	}
	if (why) {
		free(it.task);
		free(it.doc_id);
		free(it.filter);
		return why;
	}
	it.subset = ve_json_get_str(rec, "subset");
	it.group = ve_json_get_str(rec, "group");
	it.version = ve_json_get_str(rec, "task_version");
	it.run_id = ve_json_get_str(rec, "run_id");
	is->v = ve_grow(is->v, &is->cap, is->n + 1, sizeof *is->v);
	is->v[is->n++] = it;
	return NULL;
}

/*
 * Reads one run's item rows from path into is, sorted by task, doc_id and sample,
 * under rd's bad-record policy: 0, or the exit status to stop with.
 */
static int
read_items(struct ve_reader *rd, const char *path, struct items *is)
{
	char *files[] = {(char *)path};
	struct ve_reader *in = ve_reader_sibling(rd, files, 1, 0);
	int r = ve_reader_each(in, take_item, is);

	ve_reader_free(in);
	if (is->n)
		qsort(is->v, is->n, sizeof *is->v, item_cmp);
	return r;
}

static void
items_free(struct items *is)
{
	for (size_t i = 0; i < is->n; i++) {
		free(is->v[i].task);
		free(is->v[i].doc_id);
		free(is->v[i].subset);
		free(is->v[i].group);
		free(is->v[i].filter);
		free(is->v[i].version);
		free(is->v[i].run_id);
	}
	free(is->v);
}

/* Parses a direction and threshold out of a policy rule object (borrowed). */
static const char *
rule_from(jv obj, struct rule *r)
{
	char *dir = ve_json_get_str(obj, "direction");
	const char *why = NULL;

	r->dir = 0;
	r->threshold = NAN;
	r->min_effect = NAN;
	r->ignore = ve_json_get_kind(obj, "ignore") == JV_KIND_TRUE;
	r->optional = ve_json_get_kind(obj, "optional") == JV_KIND_TRUE;
	r->nogate = ve_json_get_kind(obj, "gate") == JV_KIND_FALSE;
	r->same_as = ve_json_get_str(obj, "same_as");
	if (dir && strcmp(dir, "higher") == 0)
		r->dir = 1;
	else if (dir && strcmp(dir, "lower") == 0)
		r->dir = -1;
	else if (dir)
		why = "\"direction\" must be \"higher\" or \"lower\"";
	free(dir);
	if (ve_json_get_num(obj, "threshold_pct", &r->threshold) && !why)
		why = r->threshold < 0 ? "\"threshold_pct\" must not be negative" : NULL;
	if (ve_json_get_num(obj, "min_effect_pct", &r->min_effect) && !why)
		why = r->min_effect < 0 ? "\"min_effect_pct\" must not be negative" : NULL;
	if (r->same_as && !why)
		why =
		    !*r->same_as || *r->same_as == '.' || r->same_as[strlen(r->same_as) - 1] == '.'
		        ? "\"same_as\" must be a metric's last components, as \"acc\""
		        : NULL;
	return why;
}

/*
 * The policy file's JSON document: 0, or the exit status after a message.
 * The policy is one document, not records, so it is read whole rather than
 * through the record reader.
 */
static int
policy_doc(const char *path, jv *doc)
{
	FILE *f = fopen(path, "r");
	struct ve_buf b = {0};
	int rc = 0;

	if (!f) {
		ve_warn("%s:", path);
		return VE_EX_NOINPUT;
	}
	if (!ve_buf_read(&b, f)) {
		/* A directory opens but does not read: no file to open, as for --history. */
		rc = errno == EISDIR ? VE_EX_NOINPUT : VE_EX_IOERR;
		ve_warn("%s:", path);
	}
	fclose(f);
	if (!rc) {
		*doc = ve_record_parse(b.p ? b.p : "", b.len);
		if (!jv_is_valid(*doc)) {
			jv msg = jv_invalid_get_msg(*doc);
			ve_warn("%s: %s", path, jv_string_value(msg));
			jv_free(msg);
			rc = VE_EX_DATAERR;
		}
	}
	ve_buf_free(&b);
	return rc;
}

/*
 * Loads the metric policy, --policy or else share/metrics.json: 0 or the
 * exit status after a message.
 */
static int
load_policy(const struct opts *o, struct policy *pol)
{
	char *found = NULL;
	const char *path = o->policy, *why = NULL;
	jv doc;
	int rc;

	if (!path && !(path = found = ve_share_path("metrics.json"))) {
		ve_warn("no metric policy found (share/metrics.json): use --policy FILE");
		return VE_EX_NOINPUT;
	}
	if ((rc = policy_doc(path, &doc))) {
		free(found);
		return rc;
	}
	jv def = ve_json_get(doc, "default");
	pol->def.threshold = NAN;
	pol->def.min_effect = NAN;
	if (jv_get_kind(def) == JV_KIND_OBJECT)
		why = rule_from(def, &pol->def);
	if (!pol->def.dir)
		pol->def.dir = 1; /* higher is better unless the default says otherwise */
	jv_free(def);
	jv rules = ve_json_get(doc, "rules");
	if (!why && jv_get_kind(rules) == JV_KIND_ARRAY) {
		int len = jv_array_length(jv_copy(rules));
		pol->rules = ve_xcalloc((size_t)len + 1, sizeof *pol->rules);
		for (int i = 0; i < len && !why; i++) {
			jv r = jv_array_get(jv_copy(rules), i);
			char *m =
			    jv_get_kind(r) == JV_KIND_OBJECT ? ve_json_get_str(r, "match") : NULL;
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
	free(found);
	return rc;
}

static void
policy_free(struct policy *pol)
{
	for (size_t i = 0; i < pol->n; i++) {
		free(pol->rules[i].match);
		free(pol->rules[i].same_as);
	}
	free(pol->rules);
	free(pol->def.same_as);
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
		if (!isnan(pol->rules[i].min_effect))
			r.min_effect = pol->rules[i].min_effect;
		r.ignore = pol->rules[i].ignore;
		r.optional = pol->rules[i].optional;
		r.nogate = pol->rules[i].nogate;
		r.same_as = pol->rules[i].same_as;
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

/* Appends "name":P, a p-value to 6 significant digits, null when NAN. */
static void
add_p(struct ve_buf *b, const char *name, double p)
{
	if (isnan(p))
		ve_buf_addf(b, ",\"%s\":null", name);
	else
		ve_buf_addf(b, ",\"%s\":%.6g", name, p);
}

/* Whether two items' filters (NULL: none) are the same. */
static bool
same_filter(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/*
 * Adds the answers of one baseline run (sorted by task, doc_id and sample,
 * as cur is) to the pairs of the current items, pv[i] for cur->v[i]: an
 * item of another version of its task is not the same question
 * (reg-check(1)).
 */
static void
join_items(const struct items *cur, const struct items *base, struct pair *pv)
{
	size_t i = 0, j = 0;

	while (i < cur->n && j < base->n) {
		int c = item_cmp(&cur->v[i], &base->v[j]);
		if (c != 0) {
			i += c < 0;
			j += c > 0;
			continue;
		}
		const char *cv = cur->v[i].version, *bv = base->v[j].version;
		if (cv && bv && strcmp(cv, bv) != 0) {
			i++;
			j++;
			continue;
		}
		for (int f = 0; f < NFLAGS; f++) {
			int y = base->v[j].flag[f];
			/* exact_match of another filter's answer is another measurement. */
			if (f == F_EXACT && !same_filter(cur->v[i].filter, base->v[j].filter))
				continue;
			pv[i].runs[f] += y >= 0;
			pv[i].right[f] += y > 0;
		}
		i++;
		j++;
	}
}

/*
 * The item field that scores a metric (correct_norm for "mmlu.acc_norm"),
 * or -1. score-gen's per-filter row TASK.exact_match.FILTER is scored by
 * "exact_match" of the items whose "filter" is FILTER (*filter set to it).
 */
static int
metric_flag(const char *metric, const char **filter)
{
	const char *m = strchr(metric, '.');

	*filter = NULL;
	if (!m)
		return -1;
	m++;
	if (!strncmp(m, "exact_match.", 12) && m[12] && !strchr(m + 12, '.')) {
		*filter = m + 12;
		return F_EXACT;
	}
	return !strcmp(m, "acc") || !strcmp(m, "accuracy") ? F_ACC
	       : !strcmp(m, "acc_norm")                    ? F_ACC_NORM
	       : !strcmp(m, "exact_match")                 ? F_EXACT
	                                                   : -1;
}

/* Whether item x belongs to the subset or group a row names (any, for "all"). */
static bool
item_in(const struct item *x, const char *subset)
{
	return !subset || !strcmp(subset, "all") || (x->subset && !strcmp(x->subset, subset)) ||
	       (x->group && !strcmp(x->group, subset));
}

/*
 * A row's paired items: those of its task ("mmlu" for "mmlu.acc") and its
 * subset or group, right or wrong by the field that scores its metric,
 * that a baseline run answered too. Against one run, McNemar's counts: b
 * right before and wrong now, c the reverse. Against several, item i's
 * change x_i - r_i (r_i its baseline runs' share right, of k_i runs) and
 * that change's variance were nothing changed, q(1 - q)(1 + 1/k_i), with
 * q(1 - q) estimated without bias from the k_i + 1 answers, m of them right,
 * as m (k_i + 1 - m) / ((k_i + 1) k_i). No pairs when the metric has no
 * such field.
 */
static struct flips
row_flips(const struct pair *pv, size_t np, const struct row *m)
{
	struct flips fl = {0};
	const char *filter;
	int f = metric_flag(m->metric, &filter);
	size_t tl = strcspn(m->metric, ".");

	for (size_t i = 0; f >= 0 && i < np; i++) {
		const struct item *x = pv[i].cur;
		double k = pv[i].runs[f], right = pv[i].right[f];
		if (strncmp(x->task, m->metric, tl) != 0 || x->task[tl] || !item_in(x, m->subset) ||
		    x->flag[f] < 0 || k == 0 || (filter && !same_filter(x->filter, filter)))
			continue;
		double mr = right + x->flag[f];
		fl.pairs++;
		fl.b += k == 1 && right == 1 && !x->flag[f];
		fl.c += k == 1 && right == 0 && x->flag[f];
		fl.d += x->flag[f] - right / k;
		fl.var += mr * (k + 1 - mr) / ((k + 1) * k) * (1 + 1 / k);
	}
	return fl;
}

struct tally {
	unsigned long metrics, regressions, missing, improvements, fresh, short_history, ignored;
	unsigned long incomparable; /* compared with no run: only other versions of the task */
	bool red;                   /* the release regressed (with --ab: a task did) */
};

/* What the verdicts are drawn from, and what they add up to. */
struct check {
	const struct opts *o;
	const struct policy *pol;
	const struct rows *hist; /* sorted by hist_cmp */
	const struct row **byk;  /* the current rows, sorted by key */
	size_t ncur;
	struct pair *pairs; /* the current items, with the baseline runs' answers */
	size_t npairs;
	struct items *ic, *ib; /* the current run's items and the baseline runs' (--items-*) */
	int nbase;             /* baseline runs given items of */
	struct tally *t;
	struct ve_buf out;
};

/* A metric's baseline window: its newest runs in the history, one value per run. */
struct window {
	size_t used;
	double mean;  /* of the values: the baseline */
	double sd;    /* their sample standard deviation; NAN below two */
	double se;    /* sqrt of the sum of their squared standard errors */
	bool have_se; /* every value had a standard error */
	/* The newest row of the metric of another version of its task, or NULL. */
	const struct row *other;
};

/*
 * How far a row got: no history, too little, compared, missing from the
 * run, or with a history of other versions of its task only.
 */
enum vkind { V_NEW, V_SHORT, V_COMPARED, V_MISSING, V_INCOMPARABLE };

/* One row's verdict, worked out before any is written (the adjustment needs them all). */
struct vd {
	struct row m; /* the row; for a missing one, its identity as the current run's */
	struct rule r;
	double threshold;  /* the plain rule's, percent */
	double min_effect; /* the tested verdict's, percent */
	struct window w;
	enum vkind kind;
	double delta, pct; /* NAN unless compared */
	double p;          /* two-sided; NAN when none */
	double p1, p_adj;  /* one-sided, toward the change, and adjusted; NAN when none */
	double n;          /* what the test rests on; NAN when unknown */
	const char *test;  /* mcnemar, paired, z, spread or none */
	struct flips fl;
	int change;        /* 1 regression, -1 improvement, 0 neither */
	bool gates;        /* it can turn the release red */
	bool by_threshold; /* judged on the threshold: --rule prd, or no test */
	char *note;        /* why it does not gate; NULL */
};

/*
 * The mean of the window's values, summed in order; where that sum
 * overflows (values near DBL_MAX), the mean lib/stats computes on scaled
 * values, which lies between them: a baseline is always a number.
 */
static double
window_mean(const double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return isfinite(sum) ? sum / (double)n : ve_stats_mean(v, n);
}

/* The sample standard deviation (ddof 1) of v[0..n) around mean; NAN below two. */
static double
window_sd(const double *v, size_t n, double mean)
{
	double q = 0;

	if (n < 2)
		return NAN;
	for (size_t i = 0; i < n; i++)
		q += (v[i] - mean) * (v[i] - mean);
	return sqrt(q / (double)(n - 1));
}

static struct window
window_of(const struct check *k, const struct row *cur)
{
	const struct rows *hist = k->hist;
	struct window w = {0, 0, NAN, 0, true, NULL};
	const char **seen = ve_xcalloc((size_t)k->o->window, sizeof *seen);
	double *vals = ve_xcalloc((size_t)k->o->window, sizeof *vals);
	size_t lo = 0, hi = hist->n;

	/* The history is sorted by hist_cmp: find the metric's rows, newest first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&hist->v[mid], cur->key, cur->keylen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < hist->n && w.used < (size_t)k->o->window; i++) {
		const struct row *h = &hist->v[i];
		if (key_cmp(h, cur->key, cur->keylen) != 0)
			break;
		if (cur->run_id && h->run_id && strcmp(cur->run_id, h->run_id) == 0)
			continue;
		/*
		 * A run of another version of the task is no baseline; a row
		 * without one (from before versions, or not a task's) is, unless
		 * a run of another version came after it: the task changed since.
		 */
		if (cur->version && h->version && strcmp(cur->version, h->version) != 0) {
			if (!w.other)
				w.other = h;
			continue;
		}
		if (cur->version && !h->version && w.other)
			continue;
		/*
		 * One value per run, the newest: a re-sent batch or a re-run step
		 * may have stored a run's rows twice, not always side by side.
		 */
		bool dup = false;
		for (size_t j = 0; j < w.used && h->run_id && !dup; j++)
			dup = seen[j] && strcmp(seen[j], h->run_id) == 0;
		if (dup)
			continue;
		vals[w.used] = h->value;
		seen[w.used++] = h->run_id;
		if (isnan(h->se))
			w.have_se = false;
		else
			w.se = hypot(w.se, h->se); /* no square overflows */
	}
	if (w.used) {
		w.mean = window_mean(vals, w.used);
		w.sd = window_sd(vals, w.used, w.mean);
	}
	free(seen);
	free(vals);
	return w;
}

/*
 * The change from base (not 0) to value as a percentage of base:
 * 100 * (value - base) / |base|, or the same in an order that does not
 * overflow where that one does (a change beyond a double's range, values
 * of both signs near DBL_MAX). Infinite only where the percentage itself
 * is beyond a double's range.
 */
static double
change_pct(double value, double base)
{
	double change = value - base, pct = 100.0 * change / fabs(base);

	if (isfinite(pct))
		return pct;
	if (isfinite(change))
		return change / fabs(base) * 100.0;
	return (value / fabs(base) - copysign(1.0, base)) * 100.0;
}

/* A percentage to two decimals, as verdict rows give delta_pct. */
static double
round_pct(double pct)
{
	return fabs(pct) < 1e300 ? round(pct * 100.0) / 100.0 : pct;
}

/*
 * Whether worse (the change, positive when worse; wpct, the same as a
 * percentage of the baseline, NAN from a baseline of 0) goes beyond
 * threshold percent: 1 worse, -1 better, 0 neither. From 0, any change
 * does. "At least PCT %": the comparison has a little slack so that 10 %
 * exactly counts.
 */
static int
beyond(double worse, double wpct, double threshold)
{
	double slack = 1e-9 * (threshold > 1 ? threshold : 1);

	if (isnan(wpct))
		return (worse > 0) - (worse < 0);
	if (worse > 0 && wpct + slack >= threshold)
		return 1;
	if (worse < 0 && -wpct + slack >= threshold)
		return -1;
	return 0;
}

/*
 * The one-sided p-value toward the change of a test whose two-sided one is
 * p and whose statistic is symmetric (z, Student's t): half of it; 1 when
 * nothing changed.
 */
static double
toward(double p, double delta)
{
	return delta == 0 || isnan(p) ? (delta == 0 ? 1.0 : NAN) : p / 2.0;
}

/*
 * The paired z-test's p-values, z = sum(x_i - r_i) / sqrt(sum var_i):
 * two-sided, and one-sided toward the row's change (Phi(z) for a drop,
 * Phi(-z) for a rise). No variance (every answer the same in every run):
 * nothing changed, p = 1.
 */
static void
paired_p(struct vd *v)
{
	if (!(v->fl.var > 0)) {
		v->p = v->p1 = 1.0;
		return;
	}
	double z = v->fl.d / sqrt(v->fl.var);
	v->p = ve_rs_normal_p2(z);
	v->p1 = v->delta == 0 ? 1.0 : 0.5 * erfc((v->delta < 0 ? -z : z) / sqrt(2.0));
}

/*
 * The test of a compared row and its p-values, two-sided and one-sided
 * toward the change: McNemar's on the row's paired items (one-sided: the
 * chance of as few flips against the change, P(X <= c) for a drop, c the
 * items wrong before and right now); else a z-test from the standard errors
 * (the baseline mean's is sqrt(sum se_i^2) / N); else the spread of the
 * baseline runs, Student's t of the new value against N earlier ones,
 * t = delta / (sd sqrt(1 + 1/N)) with N - 1 degrees of freedom (not under
 * --rule prd, whose p-values stay what they were); else none.
 */
static void
test_row(const struct check *k, struct vd *v)
{
	const struct window *w = &v->w;
	double se;

	v->fl = row_flips(k->pairs, k->npairs, &v->m);
	v->n = v->m.n;
	v->p = v->p1 = NAN;
	if (v->fl.pairs && k->nbase > 1) {
		v->test = "paired";
		v->n = (double)v->fl.pairs;
		paired_p(v);
	} else if (v->fl.pairs) {
		v->test = "mcnemar";
		v->n = (double)v->fl.pairs;
		v->p = ve_rs_mcnemar_exact(v->fl.b, v->fl.c);
		/* A drop of the metric is more items right before (b) than now (c). */
		v->p1 = v->delta == 0  ? 1.0
		        : v->delta < 0 ? ve_rs_binom_half_cdf(v->fl.c, v->fl.b + v->fl.c)
		                       : ve_rs_binom_half_cdf(v->fl.b, v->fl.b + v->fl.c);
	} else if (w->have_se && !isnan(v->m.se)) {
		v->test = "z";
		se = hypot(v->m.se, w->se / (double)w->used);
		/* z is nan only when both are infinite: no p-value */
		v->p = se > 0 ? ve_rs_normal_p2(v->delta / se) : v->delta == 0 ? 1.0 : 0.0;
		v->p1 = toward(v->p, v->delta);
	} else if (!k->o->prd && w->used >= 2 && !isnan(w->sd)) {
		v->test = "spread";
		se = w->sd * sqrt(1.0 + 1.0 / (double)w->used);
		if (se > 0 && !isnan(v->delta / se))
			v->p = ve_rs_student_p2(v->delta / se, (double)w->used - 1.0);
		else if (se == 0)
			v->p = v->delta == 0 ? 1.0 : 0.0;
		v->p1 = toward(v->p, v->delta);
	}
	if (isnan(v->p))
		v->test = "none";
}

/* The current row of this key (metric NUL labels), or NULL. */
static const struct row *
find_cur(const struct check *k, const char *key, size_t keylen)
{
	size_t lo = 0, hi = k->ncur;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(k->byk[mid], key, keylen);
		if (c == 0)
			return k->byk[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A row of the history with this key (metric NUL labels), or NULL. */
static const struct row *
find_hist(const struct check *k, const char *key, size_t keylen)
{
	size_t lo = 0, hi = k->hist->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&k->hist->v[mid], key, keylen);
		if (c == 0)
			return &k->hist->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The row that decides for row m by the policy's same_as: its name with
 * the last components replaced ("acc" makes mmlu.acc_norm mmlu.acc,
 * "tpot_ms.mean" makes perf.x.itl_ms.p95 perf.x.tpot_ms.mean), the same
 * labels, followed a few steps: a current row, or for a missing one
 * (missing) also a row of the history, gone with it. NULL when there is
 * none, or the policy ignores it.
 */
static const struct row *
decider(const struct check *k, const struct row *m, bool missing)
{
	const struct row *d = NULL;
	struct ve_buf key = {0};

	for (int step = 0; step < 8; step++) {
		struct rule r = policy_for(k->pol, m->metric);
		size_t parts = 1, seen = 0, cut = strlen(m->metric);
		if (!r.same_as)
			break;
		for (const char *c = r.same_as; *c; c++)
			parts += *c == '.';
		while (cut > 0 && seen < parts)
			seen += m->metric[--cut] == '.';
		if (seen < parts)
			break;
		ve_buf_reset(&key);
		ve_buf_add(&key, m->metric, cut + 1);
		ve_buf_adds(&key, r.same_as);
		ve_buf_addc(&key, '\0');
		if (m->labels)
			ve_buf_adds(&key, m->labels);
		const struct row *t = find_cur(k, key.p, key.len);
		if (!t && missing)
			t = find_hist(k, key.p, key.len);
		if (!t || t == m || policy_for(k->pol, t->metric).ignore)
			break;
		d = m = t;
	}
	ve_buf_free(&key);
	return d;
}

/* A headline row: a task's overall figure, a group's, or one with no subset. */
static bool
headline(const struct row *m)
{
	return !m->subset || !strcmp(m->subset, "all") || m->group;
}

/*
 * Whether a compared row decides the release under the tested verdict,
 * and if not why (v->note): the policy may say it never does, a subset row
 * does not (unless --gate-subsets), a row the same measurement as another
 * of the run leaves it to that one, a row with no test cannot, nor one of
 * fewer than --min-n items.
 */
static void
gate(const struct check *k, struct vd *v)
{
	const struct row *d;
	struct ve_buf note = {0};

	if (v->r.nogate)
		ve_buf_adds(&note, "the policy does not gate it");
	else if (!headline(&v->m) && !k->o->gate_subsets)
		ve_buf_adds(&note, "a subset row");
	else if ((d = decider(k, &v->m, false)))
		ve_buf_addf(&note, "the same measurement as %s", d->metric);
	else if (!strcmp(v->test, "none"))
		ve_buf_adds(&note, "no test");
	else if (strcmp(v->test, "spread") && !isnan(v->n) && v->n < (double)k->o->min_n)
		ve_buf_addf(&note, "n %.0f is below %ld", v->n, k->o->min_n);
	else
		v->gates = true;
	v->note = note.p;
}

/*
 * The value of part key in a task's inputs ("template=1a2b3c4d shots=5
 * ..."), its length in *len; NULL when inputs (may be NULL) lack it.
 */
static const char *
part_of(const char *inputs, const char *key, size_t keylen, size_t *len)
{
	for (const char *p = inputs; p && *p;) {
		size_t n = strcspn(p, " ");
		if (n > keylen && p[keylen] == '=' && !strncmp(p, key, keylen)) {
			*len = n - keylen - 1;
			return p + keylen + 1;
		}
		p += n + (p[n] == ' ');
	}
	return NULL;
}

/* Whether a part's value is worth showing ("shots 5 -> 10"), not a hash. */
static bool
shown_part(const char *p, size_t keylen)
{
	return (keylen == 5 && !strncmp(p, "shots", 5)) || (keylen == 5 && !strncmp(p, "limit", 5));
}

/*
 * What changed from the inputs old to now (either may be NULL), into
 * note: the parts that differ, "template and data changed", shots and
 * limit with their values, "shots 5 → 10"; without both lists of parts,
 * or with nothing to tell them apart, the versions.
 */
static void
what_changed(const struct row *now, const struct row *old, struct ve_buf *note)
{
	const char *names[16], *valued[4], *p;
	size_t nn = 0, nv = 0, ol = 0;

	/* Without both lists of parts, only the versions tell. */
	for (int pass = 0; pass < 2 && now->inputs && *now->inputs && old->inputs && *old->inputs;
	     pass++) {
		/* The parts of now, then those only old has. */
		const char *a = pass ? old->inputs : now->inputs,
		           *b = pass ? now->inputs : old->inputs;
		for (p = a; p && *p && nn < 16;) {
			size_t n = strcspn(p, " "), kl = strcspn(p, "= ");
			size_t al = n > kl ? n - kl - 1 : 0;
			const char *bv = part_of(b, p, kl, &ol);
			bool same = bv && ol == al && !strncmp(bv, p + kl + 1, al);
			if (!same && (!pass || !bv)) {
				if (shown_part(p, kl) && bv && !pass && nv < 4)
					valued[nv++] = p;
				else
					names[nn++] = p;
			}
			p += n + (p[n] == ' ');
		}
	}
	for (size_t i = 0; i < nn; i++) {
		ve_buf_adds(note, i == 0 ? "" : i + 1 == nn ? " and " : ", ");
		ve_buf_add(note, names[i], strcspn(names[i], "= "));
	}
	if (nn)
		ve_buf_adds(note, " changed");
	for (size_t i = 0; i < nv; i++) {
		size_t kl = strcspn(valued[i], "="), sl = strcspn(valued[i], " ") - kl - 1;
		const char *ov = part_of(old->inputs, valued[i], kl, &ol);
		ve_buf_addf(note, "%s%.*s %.*s \u2192 %.*s", nn || i ? ", " : "", (int)kl,
		            valued[i], (int)ol, ov, (int)sl, valued[i] + kl + 1);
	}
	if (!nn && !nv)
		ve_buf_addf(note, "task version %s \u2192 %s", old->version, now->version);
}

/* Works out a row's verdict but for the adjustment: its window, change, test and gate. */
static void
evaluate(const struct check *k, struct vd *v)
{
	v->w = window_of(k, &v->m);
	v->delta = v->pct = v->p = v->p1 = v->p_adj = v->n = NAN;
	v->test = "none";
	if (v->kind == V_MISSING) {
		/*
		 * Whether it counts against the release: not with --allow-missing,
		 * nor (the tested verdict) when another row of the same
		 * measurement stands for it.
		 */
		const struct row *d = k->o->prd ? NULL : decider(k, &v->m, true);
		struct ve_buf note = {0};
		v->gates = !k->o->allow_missing && !d;
		if (d)
			ve_buf_addf(&note, "the same measurement as %s", d->metric);
		v->note = note.p;
		return;
	}
	if (v->w.used == 0 && v->w.other) {
		/* Only other versions of the task to compare with: not a regression, nor ok. */
		struct ve_buf note = {0};
		v->kind = V_INCOMPARABLE;
		v->n = v->m.n;
		what_changed(&v->m, v->w.other, &note);
		v->note = note.p;
		return;
	}
	if (v->w.used == 0 || v->w.used < (size_t)k->o->min_runs) {
		v->kind = v->w.used == 0 ? V_NEW : V_SHORT;
		v->n = v->m.n;
		return;
	}
	v->kind = V_COMPARED;
	double base = v->w.mean;
	v->delta = v->m.value - base;
	/* From a baseline of 0, no change is 0 %; any other has no percentage. */
	v->pct = base != 0 ? change_pct(v->m.value, base) : v->delta == 0 ? 0 : NAN;
	test_row(k, v);
	if (k->o->prd) {
		v->gates = v->by_threshold = true;
		return;
	}
	gate(k, v);
	v->by_threshold = !strcmp(v->test, "none");
}

/* A row's p-value and where it was, for the adjustment's sort. */
struct ranked {
	double p;
	size_t i;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return (x->p > y->p) - (x->p < y->p);
}

/*
 * Adjusts the one-sided p-values of the tested rows of v[0..n) that gate
 * (or, with gates false, of those that do not): Holm's step-down, p_(j) (m - j + 1)
 * made monotone upwards, keeps the family-wise error rate; Benjamini and
 * Hochberg's step-up, p_(j) m / j made monotone downwards, the false
 * discovery rate.
 */
static void
adjust(struct vd *v, size_t n, bool gates, bool bh)
{
	struct ranked *r = ve_xcalloc(n + 1, sizeof *r);
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].kind == V_COMPARED && !v[i].by_threshold && v[i].gates == gates)
			r[m++] = (struct ranked){v[i].p1, i};
	qsort(r, m, sizeof *r, ranked_cmp);
	double run = bh ? 1.0 : 0.0;
	for (size_t j = 0; j < m; j++) {
		size_t at = bh ? m - 1 - j : j;
		double q = bh ? r[at].p * (double)m / (double)(at + 1) : r[at].p * (double)(m - at);
		run = bh ? fmin(run, q) : fmax(run, q);
		v[r[at].i].p_adj = fmin(1.0, run);
	}
	free(r);
}

/*
 * A compared row's status: the plain rule's threshold (and with
 * --require-significance its p); else worse or better with an adjusted p
 * below --alpha, by at least the minimum effect.
 */
static void
decide(const struct check *k, struct vd *v)
{
	int dir = v->r.dir;
	double worse = dir > 0 ? -v->delta : v->delta, wpct = dir > 0 ? -v->pct : v->pct;

	if (v->by_threshold) {
		v->change = beyond(worse, wpct, v->threshold);
		if (!isnan(k->o->require_p) && !isnan(v->p) && !(v->p < k->o->require_p))
			v->change = 0;
	} else if (v->p_adj < k->o->alpha && beyond(worse, wpct, v->min_effect)) {
		v->change = (worse > 0) - (worse < 0);
	}
	k->t->regressions += v->change > 0;
	k->t->improvements += v->change < 0;
}

/* Appends a row's identity: "metric" and its labels. */
static void
add_ident(struct ve_buf *b, const struct row *m)
{
	ve_buf_adds(b, "\"metric\":");
	ve_buf_add_json_str(b, m->metric, strlen(m->metric));
	if (m->labels)
		ve_buf_addf(b, ",\"labels\":%s", m->labels);
}

static const char *
status_of(const struct vd *v)
{
	switch (v->kind) {
	case V_NEW: return "new";
	case V_SHORT: return "insufficient_history";
	case V_MISSING: return "missing";
	case V_INCOMPARABLE: return "incomparable";
	case V_COMPARED: break;
	}
	return v->change > 0 ? "regression" : v->change < 0 ? "improvement" : "ok";
}

/* Writes a row's verdict (vllm-eval(7), Verdict row). */
static void
write_vd(struct check *k, const struct vd *v)
{
	struct ve_buf *out = &k->out;

	ve_buf_reset(out);
	ve_buf_addc(out, '{');
	add_ident(out, &v->m);
	if (v->kind != V_MISSING)
		add_num(out, "value", v->m.value);
	add_num(out, "baseline", v->kind == V_COMPARED || v->kind == V_MISSING ? v->w.mean : NAN);
	ve_buf_addf(out, ",\"window\":%zu", v->w.used);
	add_num(out, "delta", v->delta);
	add_num(out, "delta_pct", round_pct(v->pct));
	add_str(out, "direction", v->r.dir > 0 ? "higher" : "lower");
	add_str(out, "status", status_of(v));
	add_p(out, "p_value", v->p);
	add_str(out, "test", v->test);
	add_num(out, "n", v->n);
	add_p(out, "p_adjusted", v->p_adj);
	ve_buf_addf(out, ",\"gates\":%s", v->gates ? "true" : "false");
	if (v->note)
		add_str(out, "note", v->note);
	if (k->o->prd || v->by_threshold)
		add_num(out, "threshold_pct", v->threshold);
	else
		add_num(out, "min_effect_pct", v->min_effect);
	if (v->m.version)
		add_str(out, "task_version", v->m.version);
	if (v->kind == V_INCOMPARABLE && v->w.other->version)
		add_str(out, "baseline_version", v->w.other->version);
	if (v->m.run_id)
		add_str(out, "run_id", v->m.run_id);
	if (v->m.model_tag)
		add_str(out, "model_tag", v->m.model_tag);
	ve_buf_addc(out, '}');
	ve_out_line(out->p, out->len);
}

/* A row that turned the release red: it gates, and regressed or is missing. */
static bool
finding(const struct vd *v)
{
	return v->gates && (v->kind == V_MISSING || v->change > 0);
}

/*
 * Writes the release row (vllm-eval(7), Verdict row): regression when a
 * row that gates regressed or is missing, with those rows as its findings.
 * me names the current run. Returns whether the release regressed.
 */
static bool
write_release(struct check *k, const struct vd *v, size_t n, const struct row *me)
{
	struct ve_buf *out = &k->out;
	size_t gated = 0, reg = 0, imp = 0, miss = 0, inc = 0;
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		gated += v[i].gates;
		reg += v[i].gates && v[i].kind == V_COMPARED && v[i].change > 0;
		imp += v[i].gates && v[i].kind == V_COMPARED && v[i].change < 0;
		miss += v[i].gates && v[i].kind == V_MISSING;
		inc += v[i].kind == V_INCOMPARABLE;
	}
	ve_buf_reset(out);
	ve_buf_adds(out, "{\"metric\":\"release\"");
	add_str(out, "status", reg || miss ? "regression" : "ok");
	add_str(out, "rule", k->o->prd ? "prd" : "stat");
	if (k->o->prd) {
		ve_buf_adds(out, ",\"adjust\":null,\"alpha\":null");
	} else {
		add_str(out, "adjust", k->o->bh ? "bh" : "holm");
		add_num(out, "alpha", k->o->alpha);
	}
	ve_buf_addf(out,
	            ",\"gated\":%zu,\"regressions\":%zu,\"improvements\":%zu,\"missing\":%zu,"
	            "\"incomparable\":%zu,\"findings\":[",
	            gated, reg, imp, miss, inc);
	for (size_t i = 0; i < n; i++) {
		if (!finding(&v[i]))
			continue;
		ve_buf_adds(out, first ? "{" : ",{");
		first = false;
		add_ident(out, &v[i].m);
		add_str(out, "status", status_of(&v[i]));
		if (v[i].kind != V_MISSING)
			add_num(out, "value", v[i].m.value);
		add_num(out, "baseline", v[i].w.mean);
		add_num(out, "delta_pct", round_pct(v[i].pct));
		add_str(out, "test", v[i].test);
		add_p(out, "p_adjusted", v[i].p_adj);
		ve_buf_addc(out, '}');
	}
	ve_buf_addc(out, ']');
	if (me->run_id)
		add_str(out, "run_id", me->run_id);
	if (me->model_tag)
		add_str(out, "model_tag", me->model_tag);
	ve_buf_addc(out, '}');
	ve_out_line(out->p, out->len);
	return reg || miss;
}

/* The rows' verdicts, in the order they are written. */
struct vds {
	struct vd *v;
	size_t n, cap;
};

/*
 * Adds the verdict of row m (shallow-copied: its strings stay the rows'),
 * unless the policy ignores it; missing when the run lacks it.
 */
static void
vd_push(struct check *k, struct vds *vs, const struct row *m, bool missing)
{
	struct rule r = policy_for(k->pol, m->metric);

	if (r.ignore) {
		k->t->ignored++;
		return;
	}
	k->t->metrics++;
	k->t->missing += missing;
	vs->v = ve_grow(vs->v, &vs->cap, vs->n + 1, sizeof *vs->v);
	vs->v[vs->n++] = (struct vd){
	    .m = *m,
	    .r = r,
	    /* --threshold when given, else the policy rule's. */
	    .threshold = k->o->threshold_set || isnan(r.threshold) ? k->o->threshold : r.threshold,
	    .min_effect = !isnan(k->o->min_effect) ? k->o->min_effect
	                  : !isnan(r.min_effect)   ? r.min_effect
	                                           : 2.0,
	    .kind = missing ? V_MISSING : V_COMPARED,
	};
}

/* NULL-safe string order, NULL first. */
static int
str_cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether s is in the sorted array v[0..n). */
static bool
str_in(const char *const *v, size_t n, const char *s)
{
	return n && s && bsearch(&s, v, n, sizeof *v, str_ptr_cmp);
}

/* A run of the history: its id and its newest ts. */
struct run {
	const char *id, *ts;
};

/* By id, then newest ts first. */
static int
run_id_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : str_cmp0(y->ts, x->ts);
}

/* Newest first: by ts, then run_id, as window_of orders a metric's rows. */
static int
run_age_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	int c = str_cmp0(y->ts, x->ts);

	return c ? c : strcmp(y->id, x->id);
}

/* The end of the metric whose rows start at hist->v[from] (hist sorted by hist_cmp). */
static size_t
key_end(const struct rows *hist, size_t from)
{
	size_t to = from;

	while (to < hist->n && key_cmp(&hist->v[to], hist->v[from].key, hist->v[from].keylen) == 0)
		to++;
	return to;
}

/*
 * The ids of the runs in the baseline window, sorted for str_in: the
 * --window newest runs of the history, each dated by its newest row, the
 * current run's (cur_ids, sorted) left out. Rows without run_id belong to
 * no run. Returns the count; *ids is the caller's to free.
 *
 * A run among the newest has its newest row among the first window runs
 * of that row's metric (only newer runs come before it there), so those
 * are the only candidates: a few per metric, not every row sorted.
 */
static size_t
window_runs(const struct rows *hist, const char *const *cur_ids, size_t ncur, size_t window,
            const char ***ids)
{
	struct run *runs = NULL;
	size_t n = 0, cap = 0, u = 0;

	for (size_t i = 0, j; i < hist->n; i = j) {
		size_t first = n;
		j = key_end(hist, i);
		for (size_t r = i; r < j && n - first < window; r++) {
			const struct row *h = &hist->v[r];
			bool seen = !h->run_id || str_in(cur_ids, ncur, h->run_id);
			for (size_t c = first; c < n && !seen; c++)
				seen = strcmp(runs[c].id, h->run_id) == 0;
			if (seen)
				continue;
			runs = ve_grow(runs, &cap, n + 1, sizeof *runs);
			runs[n++] = (struct run){h->run_id, h->ts};
		}
	}
	if (n)
		qsort(runs, n, sizeof *runs, run_id_cmp);
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(runs[u - 1].id, runs[i].id) != 0)
			runs[u++] = runs[i];
	if (u)
		qsort(runs, u, sizeof *runs, run_age_cmp);
	if (u > window)
		u = window;
	*ids = ve_xcalloc(u + 1, sizeof **ids);
	for (size_t i = 0; i < u; i++)
		(*ids)[i] = runs[i].id;
	if (u)
		qsort(*ids, u, sizeof **ids, str_ptr_cmp);
	free(runs);
	return u;
}

/*
 * Adds a missing verdict for each metric (name and labels) a run of the
 * baseline window has and the current run lacks, unless the policy
 * ignores it or says a run may lack it, in the order of the history's
 * keys. me carries the current run's run_id and model_tag.
 */
static void
report_missing(struct check *k, const struct rows *cur, struct row me, struct vds *vs)
{
	const struct rows *hist = k->hist;
	const char **cur_ids = ve_xcalloc(cur->n + 1, sizeof *cur_ids), **win = NULL;
	size_t nids = 0;

	for (size_t i = 0; i < cur->n; i++)
		if (cur->v[i].run_id)
			cur_ids[nids++] = cur->v[i].run_id;
	if (nids)
		qsort(cur_ids, nids, sizeof *cur_ids, str_ptr_cmp);
	size_t nwin = window_runs(hist, cur_ids, nids, (size_t)k->o->window, &win);
	for (size_t i = 0, j; i < hist->n; i = j) {
		bool in_window = false;
		j = key_end(hist, i);
		for (size_t r = i; r < j && !in_window; r++)
			in_window = str_in(win, nwin, hist->v[r].run_id);
		struct rule r = policy_for(k->pol, hist->v[i].metric);
		if (!in_window || r.ignore || r.optional ||
		    find_cur(k, hist->v[i].key, hist->v[i].keylen))
			continue;
		struct row m = hist->v[i]; /* its identity, named as the current run */
		m.run_id = me.run_id;
		m.model_tag = me.model_tag;
		vd_push(k, vs, &m, true);
	}
	free(win);
	free(cur_ids);
}

/* One task's items of one run: is->v[from..to). */
struct slice {
	const struct items *is;
	size_t from, to;
};

/*
 * The power of two two slices' scores are divided by before their moments
 * are taken: 0, unless a score's magnitude passes 2^500, where a square or
 * a difference could overflow. Every A/B figure but the means and the
 * delta is the same on scaled scores.
 */
static int
ab_scale(struct slice a, struct slice b)
{
	double top = 0;
	int e = 0;

	for (size_t i = a.from; i < a.to; i++)
		top = fmax(top, fabs(a.is->v[i].score));
	for (size_t i = b.from; i < b.to; i++)
		top = fmax(top, fabs(b.is->v[i].score));
	frexp(top, &e);
	return e > 500 ? e : 0;
}

/* Mean and sample variance (ddof 1) of the scores of a slice, divided by 2^e. */
static void
moments(struct slice s, int e, double *mean, double *var)
{
	double m = 0, q = 0;
	size_t n = 0;

	/* Welford's update: no cancellation on scores near 1. */
	for (size_t i = s.from; i < s.to; i++) {
		double x = e ? ldexp(s.is->v[i].score, -e) : s.is->v[i].score;
		n++;
		double d = x - m;
		m += d / (double)n;
		q += d * (x - m);
	}
	*mean = m;
	*var = n > 1 ? q / (double)(n - 1) : NAN;
}

/* The A/B verdict row of one task: Welch's t-test of B's scores against A's. */
static void
ab_task(const struct opts *o, struct slice a, struct slice b, struct tally *t, struct ve_buf *out)
{
	double ma, va, mb, vb;
	double na = (double)(a.to - a.from), nb = (double)(b.to - b.from);
	struct ve_rs_welch w;
	int e = ab_scale(a, b);

	moments(a, e, &ma, &va);
	moments(b, e, &mb, &vb);
	bool tested = ve_rs_welch(ma, va, na, mb, vb, nb, &w) == 0;
	double sp = sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2));
	double d = tested && sp > 0 ? (mb - ma) / sp : NAN;
	double lift = ma != 0 ? change_pct(mb, ma) : mb == ma ? 0 : NAN;
	bool sig = tested && w.p < o->alpha;
	t->metrics++;
	t->regressions += sig && mb < ma;
	t->improvements += sig && !(mb < ma);
	ve_buf_reset(out);
	ve_buf_adds(out, "{\"metric\":");
	struct ve_buf name = {0};
	ve_buf_addf(&name, "%s.score", a.is->v[a.from].task);
	ve_buf_add_json_str(out, name.p, name.len);
	ve_buf_free(&name);
	add_num(out, "value", ldexp(mb, e));
	add_num(out, "baseline", ldexp(ma, e));
	ve_buf_addf(out, ",\"n\":%.0f,\"baseline_n\":%.0f", nb, na);
	add_num(out, "delta", ldexp(mb - ma, e));
	add_num(out, "delta_pct", round_pct(lift));
	add_num(out, "lift_pct", lift);
	add_num(out, "cohens_d", d);
	add_num(out, "t", tested ? w.t : NAN);
	add_num(out, "df", tested ? w.df : NAN);
	ve_buf_adds(out, ",\"direction\":\"higher\"");
	add_str(out, "status", !sig ? "ok" : mb < ma ? "regression" : "improvement");
	add_p(out, "p_value", tested ? w.p : NAN);
	add_str(out, "recommendation",
	        !sig      ? "inconclusive: keep A"
	        : mb < ma ? "keep A"
	                  : "adopt B");
	ve_buf_addc(out, '}');
	ve_out_line(out->p, out->len);
}

/* The end of the task that starts at is->v[from]. */
static size_t
task_end(const struct items *is, size_t from)
{
	size_t to = from;

	while (to < is->n && strcmp(is->v[to].task, is->v[from].task) == 0)
		to++;
	return to;
}

/* A/B: one row per task present in both runs (both sorted by task), a warning for the others. */
static void
run_ab(const struct opts *o, const struct items *a, const struct items *b, struct tally *t)
{
	struct ve_buf out = {0};
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].task, b->v[j].task);
		size_t ie = c <= 0 ? task_end(a, i) : i, je = c >= 0 ? task_end(b, j) : j;
		if (c == 0)
			ab_task(o, (struct slice){a, i, ie}, (struct slice){b, j, je}, t, &out);
		else if (!o->cli.quiet)
			ve_warn("task %s is only in %s: not compared",
			        c < 0 ? a->v[i].task : b->v[j].task,
			        c < 0 ? "--items-baseline" : "--items-current");
		i = ie;
		j = je;
	}
	ve_buf_free(&out);
}

static int
row_ptr_cmp(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;

	return key_cmp(x, y->key, y->keylen);
}

/* Prints the counts of the paired test of each row it was used on (-v). */
static void
tell_flips(const struct vd *v, size_t n, int nbase)
{
	for (size_t i = 0; i < n; i++) {
		bool mc = !strcmp(v[i].test, "mcnemar");
		if (!mc && strcmp(v[i].test, "paired") != 0)
			continue;
		const char *sub =
		    v[i].m.subset && strcmp(v[i].m.subset, "all") ? v[i].m.subset : NULL;
		if (!mc) {
			ve_warn(
			    "%s%s%s%s: %lu items paired with %d runs, %.6g more right than their "
			    "share, sd %.6g, paired z p=%.6g",
			    v[i].m.metric, sub ? " (" : "", sub ? sub : "", sub ? ")" : "",
			    v[i].fl.pairs, nbase, v[i].fl.d, sqrt(v[i].fl.var), v[i].p);
			continue;
		}
		ve_warn(
		    "%s%s%s%s: %lu paired items, %lu right before and wrong now, %lu wrong before "
		    "and right now, McNemar p=%.6g",
		    v[i].m.metric, sub ? " (" : "", sub ? sub : "", sub ? ")" : "", v[i].fl.pairs,
		    v[i].fl.b, v[i].fl.c, v[i].p);
	}
}

/*
 * Every row's verdict, the adjustment across them, the release row and
 * the verdict rows (cur's rows named, me the current run). Returns whether
 * the release regressed.
 */
static bool
judge(struct check *k, const struct rows *cur, struct row me)
{
	struct vds vs = {0};
	bool red;

	for (size_t i = 0; i < cur->n; i++)
		vd_push(k, &vs, &cur->v[i], false);
	report_missing(k, cur, me, &vs);
	for (size_t i = 0; i < vs.n; i++) {
		evaluate(k, &vs.v[i]);
		k->t->fresh += vs.v[i].kind == V_NEW;
		k->t->short_history += vs.v[i].kind == V_SHORT;
		k->t->incomparable += vs.v[i].kind == V_INCOMPARABLE;
	}
	if (!k->o->prd) {
		adjust(vs.v, vs.n, true, k->o->bh);
		adjust(vs.v, vs.n, false, k->o->bh);
	}
	for (size_t i = 0; i < vs.n; i++)
		if (vs.v[i].kind == V_COMPARED)
			decide(k, &vs.v[i]);
	red = write_release(k, vs.v, vs.n, &me);
	for (size_t i = 0; i < vs.n; i++)
		write_vd(k, &vs.v[i]);
	if (k->o->cli.verbose)
		tell_flips(vs.v, vs.n, k->nbase);
	for (size_t i = 0; i < vs.n; i++)
		free(vs.v[i].note);
	free(vs.v);
	return red;
}

/*
 * The version of task in the rows rs of run run_id (NULL: of any run):
 * that of its first row "TASK.*" that has one; NULL when none has.
 */
static char *
version_in(const struct rows *rs, const char *task, const char *run_id)
{
	size_t tl = strlen(task);

	for (size_t i = 0; i < rs->n; i++) {
		const struct row *r = &rs->v[i];
		if (r->version && !strncmp(r->metric, task, tl) && r->metric[tl] == '.' &&
		    (!run_id || (r->run_id && !strcmp(r->run_id, run_id))))
			return ve_xstrdup(r->version);
	}
	return NULL;
}

/*
 * Gives the items without a version that of their run's metric rows of
 * their task: rs (the current run's rows, any_run) or the history's rows
 * of the item's run_id. Items come sorted by task: one look-up a task.
 */
static void
items_versions(struct items *is, const struct rows *rs, bool any_run)
{
	const char *task = NULL, *run_id = NULL;
	char *found = NULL;

	for (size_t i = 0; i < is->n; i++) {
		struct item *x = &is->v[i];
		if (x->version || (!any_run && !x->run_id))
			continue;
		if (!task || strcmp(task, x->task) || (!any_run && strcmp(run_id, x->run_id))) {
			task = x->task;
			run_id = x->run_id;
			free(found);
			found = version_in(rs, task, any_run ? NULL : run_id);
		}
		x->version = found ? ve_xstrdup(found) : NULL;
	}
	free(found);
}

/*
 * Pairs the current items with the baseline runs' (k->ic, k->ib), each
 * item knowing its task's version (the current run's rows cur, the
 * history's), into k->pairs.
 */
static void
pair_items(struct check *k, const struct rows *cur)
{
	items_versions(k->ic, cur, true);
	for (size_t i = 0; i < k->ic->n; i++)
		k->pairs[i].cur = &k->ic->v[i];
	for (int i = 0; i < k->nbase; i++) {
		items_versions(&k->ib[i], k->hist, false);
		join_items(k->ic, &k->ib[i], k->pairs);
	}
	k->npairs = k->ic->n;
}

/*
 * The verdicts: the history (a sibling of rd, under the same bad-record
 * policy) and the current rows rd reads. 0 or the exit status; k->t->red
 * says whether the release regressed.
 */
static int
run_rule(const struct opts *o, struct ve_reader *rd, struct check *k)
{
	struct policy pol = {0};
	struct rows cur = {0}, hist = {0};
	char *hfiles[] = {(char *)o->history};
	struct ve_reader *hr = NULL;
	const struct row **byk = NULL;
	int rc;

	if ((rc = load_policy(o, &pol)))
		goto out;
	hr = ve_reader_sibling(rd, hfiles, 1, 0);
	if ((rc = ve_reader_each(hr, take_row, &hist)) || (rc = ve_reader_each(rd, take_row, &cur)))
		goto out;
	if (hist.n)
		qsort(hist.v, hist.n, sizeof *hist.v, hist_cmp);
	/* The current run, as the release row and missing metrics' verdicts name it. */
	struct row me = {0};
	byk = ve_xcalloc(cur.n + 1, sizeof *byk);
	for (size_t i = 0; i < cur.n; i++) {
		struct row *c = &cur.v[i];
		if (!c->run_id && o->run_id)
			c->run_id = ve_xstrdup(o->run_id);
		if (!c->model_tag && o->model_tag)
			c->model_tag = ve_xstrdup(o->model_tag);
		if (!me.run_id)
			me.run_id = c->run_id;
		if (!me.model_tag)
			me.model_tag = c->model_tag;
		byk[i] = c;
	}
	if (cur.n)
		qsort(byk, cur.n, sizeof *byk, row_ptr_cmp);
	if (!me.run_id)
		me.run_id = (char *)o->run_id;
	if (!me.model_tag)
		me.model_tag = (char *)o->model_tag;
	k->pol = &pol;
	k->hist = &hist;
	k->byk = byk;
	k->ncur = cur.n;
	if (k->ic)
		pair_items(k, &cur);
	k->t->red = judge(k, &cur, me);
out:
	free(byk);
	ve_reader_free(hr);
	rows_free(&cur);
	rows_free(&hist);
	policy_free(&pol);
	return rc;
}

/*
 * Reads the item rows (when given), then compares them (--ab) or applies
 * the rule with McNemar's test on them. One bad-record policy covers every
 * input: the readers of items and history are siblings of the reader of
 * the current rows, which reports the count and closes --rejects.
 */
static int
run(const struct opts *o, char **files, int nfiles, struct tally *t)
{
	char *others[] = {(char *)o->history, (char *)o->items_cur};
	struct ve_reader *rd;
	struct items ic = {0}, *ib = ve_xcalloc((size_t)o->nbase + 1, sizeof *ib);
	struct check k = {.o = o, .t = t, .nbase = o->nbase};
	struct pair *pairs = NULL;
	int rc = 0, rc2;

	/* The reader refuses a --rejects file that is a FILE; the other inputs count too. */
	for (size_t i = 0; i < sizeof others / sizeof *others; i++)
		if (others[i])
			ve_refuse_input_as_output("--rejects", o->cli.rejects, &others[i], 1);
	for (int i = 0; i < o->nbase; i++)
		ve_refuse_input_as_output("--rejects", o->cli.rejects, (char **)&o->items_base[i],
		                          1);
	rd = ve_reader_new(files, nfiles, &o->cli, 0);

	for (int i = 0; i < o->nbase && !rc; i++)
		rc = read_items(rd, o->items_base[i], &ib[i]);
	if (rc || (o->items_cur && (rc = read_items(rd, o->items_cur, &ic))))
		goto out;
	if (o->ab) {
		run_ab(o, &ib[0], &ic, t);
		goto out;
	}
	if (o->items_cur) {
		pairs = ve_xcalloc(ic.n + 1, sizeof *pairs);
		k.ic = &ic;
		k.ib = ib;
		k.pairs = pairs;
	}
	rc = run_rule(o, rd, &k);
out:
	rc2 = ve_reader_free(rd);
	free(pairs);
	ve_buf_free(&k.out);
	items_free(&ic);
	for (int i = 0; i < o->nbase; i++)
		items_free(&ib[i]);
	free(ib);
	return rc ? rc : rc2;
}

/* ", N incomparable" into s for the summary when there are any, else "". */
static const char *
incomparable(const struct tally *t, char *s, size_t size)
{
	if (!t->incomparable)
		return "";
	snprintf(s, size, ", %lu incomparable", t->incomparable);
	return s;
}

/*
 * reg-check reads the current run's metric rows from FILEs or stdin, the
 * history from --history, and item rows from --items-*; it writes the
 * release row and verdict rows to stdout and a summary to stderr with -v.
 * See reg-check(1).
 */
int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct tally t = {0};
	char inc[48];
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o, argv + optind, argc - optind, &t);
	free(o.items_base);
	if (!rc && o.cli.verbose)
		ve_warn("%lu metrics: %lu regressions, %lu missing, %lu improvements, %lu new, %lu "
		        "with insufficient history, %lu ignored by the policy%s%s",
		        t.metrics, t.regressions, t.missing, t.improvements, t.fresh,
		        t.short_history, t.ignored, incomparable(&t, inc, sizeof inc),
		        o.ab    ? ""
		        : t.red ? "; the release regressed"
		                : "; the release did not regress");
	if ((rc = ve_out_finish(rc)))
		return rc;
	/* The release row's status, or with --ab whether a task regressed (reg-check(1)). */
	return (o.ab ? t.regressions > 0 : t.red) ? VE_EX_NEGATIVE : VE_EX_OK;
}
