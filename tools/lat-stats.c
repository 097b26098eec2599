/*
 * lat-stats — serving-latency figures as vLLM's `vllm bench serve` computes them.
 *
 * Reads llm-query's streaming output ("response" or "error", and "timing"
 * with start, ttft_ms, e2el_ms, itl_ms: vllm-eval(7), Query record), or with
 * --from vllm-json the result files of `vllm bench serve --save-result
 * --save-detailed`, and writes the figures vllm-eval(7) defines under
 * Latency figures: TTFT, TPOT, ITL and E2EL (mean, median, population std,
 * linear percentiles), request, output and total token throughput, goodput
 * under SLOs, peak output tokens/s and peak concurrent requests, success
 * rate and failures by kind, client queue time when present. Only
 * successful requests count toward latencies and token totals; TPOT is per
 * request, ITL pools every chunk gap. Output: metric rows (vllm-eval(7),
 * Metric row), one vLLM result object per group (--format vllm-json),
 * vLLM's result table, or Prometheus text. --by groups records; --grade and
 * --pricing add a grade and costs.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "hash.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "reader.h"
#include "score.h"
#include "stats.h"

#define MAX_PCTS 32

enum fmt { FMT_ROWS, FMT_VLLM, FMT_TABLE, FMT_PROM };
enum from { FROM_QUERY, FROM_VLLM };
/* The sampled figures; the first four are vLLM's percentile metrics. */
enum { M_TTFT, M_TPOT, M_ITL, M_E2EL, M_QUEUE, M_N };
enum { SLO_TTFT, SLO_TPOT, SLO_E2EL, SLO_N };

static const char *const mname[M_N] = {"ttft", "tpot", "itl", "e2el", "queue"};
static const char *const mtitle[M_N] = {"TTFT", "TPOT", "ITL", "E2EL", "Queue"};
static const char *const mheader[M_N] = {
    "Time to First Token", "Time per Output Token (excl. 1st token)", "Inter-token Latency",
    "End-to-end Latency", "Client Queue Time"};
static const char *const slo_name[SLO_N] = {"ttft", "tpot", "e2el"};

/*
 * The request-level figures in the order rows and Prometheus families are
 * written: the figure's name (and the row's, and vLLM's key but for
 * success_rate), its unit, its family and help.
 */
enum {
	FIG_COMPLETED,
	FIG_FAILED,
	FIG_SUCCESS,
	FIG_DURATION,
	FIG_INPUT,
	FIG_OUTPUT,
	FIG_REQ_TPUT,
	FIG_GOODPUT,
	FIG_OUT_TPUT,
	FIG_TOT_TPUT,
	FIG_PEAK_TPS,
	FIG_PEAK_CONC,
	FIG_N
};
static const struct figure {
	const char *name, *unit, *prom, *help;
} figures[FIG_N] = {
    {"completed", "count", "vllm_eval_requests_completed", "Successful requests."},
    {"failed", "count", "vllm_eval_requests_failed", "Failed requests."},
    {"success_rate", "ratio", "vllm_eval_success_ratio", "Successful requests over all."},
    {"duration", "s", "vllm_eval_duration_seconds", "First request sent to last finished."},
    {"total_input_tokens", "tokens", "vllm_eval_input_tokens",
     "Prompt tokens of successful requests."},
    {"total_output_tokens", "tokens", "vllm_eval_output_tokens",
     "Output tokens of successful requests."},
    {"request_throughput", "req/s", "vllm_eval_request_throughput",
     "Successful requests per second."},
    {"request_goodput", "req/s", "vllm_eval_request_goodput",
     "Requests meeting every SLO per second."},
    {"output_throughput", "tok/s", "vllm_eval_output_token_throughput",
     "Output tokens per second."},
    {"total_token_throughput", "tok/s", "vllm_eval_total_token_throughput",
     "Prompt and output tokens per second."},
    {"max_output_tokens_per_s", "tok/s", "vllm_eval_peak_output_token_throughput",
     "Most output token chunks in one second."},
    {"max_concurrent_requests", "count", "vllm_eval_peak_concurrent_requests",
     "Most requests in flight at one instant."},
};

struct opts {
	enum fmt format;
	bool format_set;
	enum from from;
	double pcts[MAX_PCTS];
	size_t npcts;
	unsigned metrics; /* bit per M_* */
	bool slo_set[SLO_N];
	double slo[SLO_N];
	bool goodput;
	const char *by_expr;
	const char *by_label;
	const char *scenario;
	const char *grade_path;
	const char *pricing_path;
	const char *run_id;
	const char *model_tag;
	long max_concurrency;
	double request_rate;
	const char *label;    /* vllm-json's "label", or NULL */
	const char *model_id; /* vllm-json's "model_id" and "tokenizer_id", or NULL */
	struct ve_cli cli;
};

/* One grade threshold: the figure, whether lower is better, A and B bounds. */
struct threshold {
	char *figure;
	bool lower;
	double a, b;
};

struct grades {
	struct threshold *t;
	size_t n, cap;
};

struct pricing {
	double in_per_1k, out_per_1k;
	char *currency;
};

struct failure {
	char *kind;
	unsigned long long n;
};

/* Everything one group of records adds up to. */
struct group {
	char *key; /* canonical JSON of the --by value */
	jv labels;
	char *scenario;
	unsigned long long completed, failed, good;
	unsigned long long no_usage, no_prompt;
	unsigned long long cached; /* answers replayed from llm-query --cache: no timings */
	struct failure *fail;
	size_t nfail;
	long long total_in, total_out;
	struct ve_sample m[M_N];
	/* Per successful request, for peak tokens/s: start, ttft, e2el, itl span. */
	struct ve_sample req;
	double first_start, last_end;
	bool have_times;
	double scale; /* multiplies stored values into milliseconds */
	jv stored;    /* a vLLM result object (--from vllm-json), or null */
	bool detailed;
	/* vLLM's latencies and queue_times: per request in order, 0 if failed; seconds. */
	struct ve_sample lat, queue;
	time_t date; /* the result file's "date" (--from vllm-json), if dated */
	bool dated;
	/* Figures, filled by compute(). */
	double fig[FIG_N];
	struct ve_summary sum[M_N];
	double pct[M_N][MAX_PCTS];
	char grade;
};

struct groups {
	struct group **v;
	size_t n, cap;
	struct ve_index index; /* by key */
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [-f FORMAT] [-p LIST] [-m LIST] [-g SLOS] [-b EXPR] [-s NAME]\n"
	        "                 [--grade FILE] [--pricing FILE] [--from SOURCE] [--skip-bad]\n"
	        "                 [--rejects FILE] [FILE...]\n"
	        "\n"
	        "Latency and throughput figures of llm-query --stream output, as vLLM's\n"
	        "`vllm bench serve` defines them (vllm-eval(7), Latency figures).\n"
	        "\n"
	        "  -f, --format FORMAT    rows (metric rows), vllm-json, table, prom\n"
	        "                         (default: table on a terminal, else rows)\n"
	        "  -p, --percentiles LIST percentiles to report (default 50,90,95,99)\n"
	        "  -m, --metrics LIST     ttft,tpot,itl,e2el (default: all four)\n"
	        "  -g, --goodput SLOS     ttft:MS,tpot:MS,e2el:MS; count requests meeting all\n"
	        "  -b, --by EXPR          group records by a jq expression (.scenario, .model)\n"
	        "  -s, --scenario NAME    name in the metric rows perf.NAME.* (default: the\n"
	        "                         group's scenario label, else \"default\")\n"
	        "      --grade FILE       grade A/B/C from a threshold table (grades.json)\n"
	        "      --pricing FILE     cost per request and per 1k tokens from a price table\n"
	        "      --from SOURCE      llm-query (default) or vllm-json (vLLM's result files)\n"
	        "      --max-concurrency N  the run's concurrency cap, shown as vLLM shows it\n"
	        "      --request-rate R   the run's configured request rate, shown likewise\n"
	        "      --label TEXT       vllm-json's label (default null, as vLLM's)\n"
	        "      --model-id ID      vllm-json's model_id and tokenizer_id (default \"\")\n"
	        "      --run-id ID        run_id of metric rows (default $RUN_ID)\n"
	        "      --model-tag TAG    model_tag of metric rows (default $MODEL_TAG)\n",
	        ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, 25);
	fprintf(f, "\n"
	           "With -v, the counts of records and groups go to stderr.\n"
	           "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 73 cannot create,\n"
	           "74 I/O error. See lat-stats(1).\n");
}

enum {
	OPT_GRADE = 256,
	OPT_PRICING,
	OPT_FROM,
	OPT_MAXCONC,
	OPT_RATE,
	OPT_RUN_ID,
	OPT_MODEL_TAG,
	OPT_LABEL,
	OPT_MODEL_ID,
};

/*
 * The next element of a comma-separated list option (arg, named opt), from
 * *p (arg at first, NULL after the last): false at the end. strtok would
 * pass over an empty element ("50,,99", a leading or trailing comma)
 * without a word; it is a usage error here, as any malformed element is.
 */
static bool
list_next(const char *opt, const char *arg, const char **p, const char **elem, size_t *len)
{
	if (!*p)
		return false;
	*elem = *p;
	*len = strcspn(*p, ",");
	if (!*len)
		ve_usage_error("%s: an empty element in '%s'", opt, arg);
	*p = (*p)[*len] ? *p + *len + 1 : NULL;
	return true;
}

/* --percentiles LIST: comma-separated numbers from 0 to 100, each once. */
static void
parse_percentiles(struct opts *o, const char *arg)
{
	const char *p = arg, *e;
	size_t n;
	char t[64];

	o->npcts = 0;
	while (list_next("--percentiles", arg, &p, &e, &n)) {
		if (o->npcts == MAX_PCTS)
			ve_usage_error("--percentiles: at most %d values", MAX_PCTS);
		double v;
		bool ok = n < sizeof t;
		if (ok) {
			memcpy(t, e, n);
			t[n] = '\0';
			ok = ve_parse_double(t, 0, 100, &v);
		}
		if (!ok)
			ve_usage_error("--percentiles: expected numbers from 0 to 100, got '%s'",
			               arg);
		for (size_t i = 0; i < o->npcts; i++)
			if (o->pcts[i] == v)
				ve_usage_error("--percentiles: %s is given twice in '%s'", t, arg);
		o->pcts[o->npcts++] = v;
	}
}

static int
metric_index(const char *s, size_t n)
{
	for (int i = 0; i < M_QUEUE; i++)
		if (strlen(mname[i]) == n && memcmp(mname[i], s, n) == 0)
			return i;
	return -1;
}

static void
parse_metrics(struct opts *o, const char *arg)
{
	const char *p = arg, *e;
	size_t n;

	o->metrics = 0;
	while (list_next("--metrics", arg, &p, &e, &n)) {
		int i = metric_index(e, n);
		if (i < 0)
			ve_usage_error("--metrics: unknown metric '%.*s' (ttft, tpot, itl, e2el)",
			               (int)n, e);
		o->metrics |= 1u << i;
	}
}

/* vLLM's KEY:VALUE service-level objectives, in milliseconds, comma-separated, each once. */
static void
parse_goodput(struct opts *o, const char *arg)
{
	const char *p = arg, *e;
	size_t n;
	char t[64];
	bool seen[SLO_N] = {false};

	while (list_next("--goodput", arg, &p, &e, &n)) {
		char *colon = NULL;
		int i = SLO_N;
		double v;
		if (n < sizeof t) {
			memcpy(t, e, n);
			t[n] = '\0';
			if ((colon = strchr(t, ':')))
				*colon = '\0';
			for (i = 0; i < SLO_N && strcmp(t, slo_name[i]) != 0; i++)
				;
		}
		if (!colon || i == SLO_N || !ve_parse_double(colon + 1, 0, 1e12, &v))
			ve_usage_error("--goodput: expected ttft:MS,tpot:MS,e2el:MS with "
			               "non-negative milliseconds, got '%s'",
			               arg);
		if (seen[i])
			ve_usage_error("--goodput: %s is given twice in '%s'", t, arg);
		seen[i] = o->slo_set[i] = true;
		o->slo[i] = v;
		o->goodput = true;
	}
}

/* Whether s is a name as jq's .NAME and Prometheus's labels take it: [A-Za-z_][A-Za-z0-9_]*. */
static bool
is_name(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (p > s && *p >= '0' && *p <= '9')))
			return false;
	return *s != '\0';
}

/* The label a scalar --by value is stored under: NAME for ".NAME", else "group". */
static const char *
by_label(const char *expr)
{
	return expr[0] == '.' && is_name(expr + 1) ? expr + 1 : "group";
}

static enum fmt
parse_format(const char *arg)
{
	static const char *const names[] = {[FMT_ROWS] = "rows",
	                                    [FMT_VLLM] = "vllm-json",
	                                    [FMT_TABLE] = "table",
	                                    [FMT_PROM] = "prom"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(arg, names[i]) == 0)
			return (enum fmt)i;
	ve_usage_error("--format: unknown format '%s' (rows, vllm-json, table, prom)", arg);
}

static enum from
parse_from(const char *arg)
{
	if (strcmp(arg, "llm-query") == 0)
		return FROM_QUERY;
	if (strcmp(arg, "vllm-json") == 0)
		return FROM_VLLM;
	ve_usage_error("--from: unknown source '%s' (llm-query, vllm-json)", arg);
}

/* What the options leave unset: the format by where stdout goes, ids from the environment. */
static void
finish_opts(struct opts *o)
{
	if (o->by_expr && o->from == FROM_VLLM)
		ve_usage_error("--by groups llm-query records: each vLLM result is a group");
	if (!o->format_set)
		o->format = isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_ROWS;
	if (o->by_expr)
		o->by_label = by_label(o->by_expr);
	if (!o->run_id)
		o->run_id = getenv("RUN_ID");
	if (!o->model_tag)
		o->model_tag = getenv("MODEL_TAG");
	if (o->run_id && !*o->run_id)
		o->run_id = NULL;
	if (o->model_tag && !*o->model_tag)
		o->model_tag = NULL;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"percentiles", required_argument, NULL, 'p'},
	    {"metrics", required_argument, NULL, 'm'},
	    {"goodput", required_argument, NULL, 'g'},
	    {"by", required_argument, NULL, 'b'},
	    {"scenario", required_argument, NULL, 's'},
	    {"grade", required_argument, NULL, OPT_GRADE},
	    {"pricing", required_argument, NULL, OPT_PRICING},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"max-concurrency", required_argument, NULL, OPT_MAXCONC},
	    {"request-rate", required_argument, NULL, OPT_RATE},
	    {"run-id", required_argument, NULL, OPT_RUN_ID},
	    {"model-tag", required_argument, NULL, OPT_MODEL_TAG},
	    {"label", required_argument, NULL, OPT_LABEL},
	    {"model-id", required_argument, NULL, OPT_MODEL_ID},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->pcts[0] = 50, o->pcts[1] = 90, o->pcts[2] = 95, o->pcts[3] = 99;
	o->npcts = 4;
	o->metrics = (1u << M_TTFT) | (1u << M_TPOT) | (1u << M_ITL) | (1u << M_E2EL);
	o->cli.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS;
	while ((c = ve_getopt(argc, argv, "f:p:m:g:b:s:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'f':
			o->format = parse_format(optarg);
			o->format_set = true;
			break;
		case 'p': parse_percentiles(o, optarg); break;
		case 'm': parse_metrics(o, optarg); break;
		case 'g': parse_goodput(o, optarg); break;
		case 'b': o->by_expr = optarg; break;
		case 's': o->scenario = optarg; break;
		case OPT_GRADE: o->grade_path = optarg; break;
		case OPT_PRICING: o->pricing_path = optarg; break;
		case OPT_FROM: o->from = parse_from(optarg); break;
		case OPT_MAXCONC:
			o->max_concurrency =
			    ve_opt_long("--max-concurrency", optarg, 1, 1000000000);
			break;
		case OPT_RATE:
			o->request_rate = ve_opt_double("--request-rate", optarg, 1e-9, 1e12);
			break;
		case OPT_RUN_ID: o->run_id = optarg; break;
		case OPT_MODEL_TAG: o->model_tag = optarg; break;
		case OPT_LABEL: o->label = optarg; break;
		case OPT_MODEL_ID: o->model_id = optarg; break;
		}
	}
	finish_opts(o);
}

/* --- JSON access (all borrow obj) --- */

/*
 * 1: a number; 0: absent or null; -1: present but not a finite number. The
 * three states tell a field left out from one of the wrong type. (jq 1.6
 * reads inf and NaN, which the reader does not always refuse.)
 */
static int
get_num(jv obj, const char *key, double *out)
{
	jv v = ve_json_get(obj, key);
	jv_kind k = jv_get_kind(v);
	int r = k == JV_KIND_NUMBER && isfinite(jv_number_value(v)) ? 1
	        : (k == JV_KIND_INVALID || k == JV_KIND_NULL)       ? 0
	                                                            : -1;

	if (r == 1)
		*out = jv_number_value(v);
	jv_free(v);
	return r;
}

/* The i-th element of array a (borrowed) as a finite number, or NAN. */
static double
num_at(jv a, int i)
{
	jv x = jv_array_get(jv_copy(a), i);
	double v = jv_get_kind(x) == JV_KIND_NUMBER && isfinite(jv_number_value(x))
	               ? jv_number_value(x)
	               : NAN;

	jv_free(x);
	return v;
}

/* Reads the whole of a small JSON file (a --grade or --pricing table). */
static jv
load_json_file(const char *opt, const char *path, int *rc)
{
	/* jv_load_file gives an array of every JSON text in the file. */
	jv v = jv_load_file(path, 0);

	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv all = v;
		v = jv_array_length(jv_copy(all)) == 1 ? jv_array_get(jv_copy(all), 0) : jv_null();
		jv_free(all);
	}
	if (!jv_is_valid(v)) {
		jv msg = jv_invalid_get_msg(v);
		const char *m = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "";
		ve_warn("%s: %s: %s", opt, path, m);
		*rc = strstr(m, "Could not open") ? VE_EX_NOINPUT : VE_EX_DATAERR;
		jv_free(msg);
		return jv_invalid();
	}
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		ve_warn("%s: %s: expected a JSON object", opt, path);
		*rc = VE_EX_DATAERR;
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/* Whether a figure name is one figure_raw() knows. */
static bool figure_known(const char *name);

/*
 * grades.json: {"thresholds": {"FIGURE": {"better": "lower"|"higher",
 * "A": X, "B": Y}, ...}}. A group is graded A when every figure meets its
 * A bound, B when every one meets at least its B bound, else C.
 */
static int
load_grades(const char *path, struct grades *g)
{
	int rc = 0;
	jv v = load_json_file("--grade", path, &rc);

	if (rc)
		return rc;
	jv th = ve_json_get(v, "thresholds");
	jv_free(v);
	if (jv_get_kind(th) != JV_KIND_OBJECT) {
		ve_warn("--grade: %s: expected \"thresholds\": an object of figures", path);
		jv_free(th);
		return VE_EX_DATAERR;
	}
	for (int it = jv_object_iter(th); !rc && jv_object_iter_valid(th, it);
	     it = jv_object_iter_next(th, it)) {
		jv k = jv_object_iter_key(th, it), t = jv_object_iter_value(th, it);
		const char *name = jv_string_value(k);
		char *better = ve_json_get_str(t, "better");
		struct threshold x = {.lower = better && strcmp(better, "lower") == 0};
		if (!figure_known(name)) {
			ve_warn("--grade: %s: unknown figure '%s'", path, name);
			rc = VE_EX_DATAERR;
		} else if (!(x.lower || (better && strcmp(better, "higher") == 0)) ||
		           get_num(t, "A", &x.a) != 1 || get_num(t, "B", &x.b) != 1) {
			ve_warn("--grade: %s: %s: expected {\"better\": \"lower\" or \"higher\", "
			        "\"A\": number, \"B\": number}",
			        path, name);
			rc = VE_EX_DATAERR;
		} else {
			x.figure = ve_xstrdup(name);
			g->t = ve_grow(g->t, &g->cap, g->n + 1, sizeof *g->t);
			g->t[g->n++] = x;
		}
		free(better);
		jv_free(k);
		jv_free(t);
	}
	jv_free(th);
	return rc;
}

/* pricing.json: {"input_per_1k": X, "output_per_1k": Y, "currency": "USD"}. */
static int
load_pricing(const char *path, struct pricing *p)
{
	int rc = 0;
	jv v = load_json_file("--pricing", path, &rc);

	if (rc)
		return rc;
	jv cur = ve_json_get(v, "currency");
	if (get_num(v, "input_per_1k", &p->in_per_1k) != 1 ||
	    get_num(v, "output_per_1k", &p->out_per_1k) != 1 || p->in_per_1k < 0 ||
	    p->out_per_1k < 0 ||
	    (jv_is_valid(cur) && jv_get_kind(cur) != JV_KIND_STRING &&
	     jv_get_kind(cur) != JV_KIND_NULL)) {
		ve_warn("--pricing: %s: expected {\"input_per_1k\": number, \"output_per_1k\": "
		        "number, \"currency\": string}",
		        path);
		rc = VE_EX_DATAERR;
	} else {
		p->currency =
		    ve_xstrdup(jv_get_kind(cur) == JV_KIND_STRING ? jv_string_value(cur) : "USD");
	}
	jv_free(cur);
	jv_free(v);
	return rc;
}

/* --- groups --- */

static struct group *
group_new(const char *key, jv labels, const struct opts *o)
{
	struct group *g = ve_xcalloc(1, sizeof *g);

	g->key = ve_xstrdup(key);
	jv sc = ve_json_get(labels, "scenario");
	const char *name = o->scenario                         ? o->scenario
	                   : jv_get_kind(sc) == JV_KIND_STRING ? jv_string_value(sc)
	                                                       : "default";
	g->scenario = ve_xstrdup(name);
	if (jv_get_kind(sc) == JV_KIND_INVALID)
		labels = jv_object_set(labels, jv_string("scenario"), jv_string(name));
	jv_free(sc);
	g->labels = labels;
	g->scale = 1;
	g->stored = jv_null();
	return g;
}

static void
group_free(struct group *g)
{
	free(g->key);
	free(g->scenario);
	jv_free(g->labels);
	jv_free(g->stored);
	for (size_t i = 0; i < g->nfail; i++)
		free(g->fail[i].kind);
	free(g->fail);
	for (int i = 0; i < M_N; i++)
		ve_sample_free(&g->m[i]);
	ve_sample_free(&g->req);
	ve_sample_free(&g->lat);
	ve_sample_free(&g->queue);
	free(g);
}

/* Whether the group at pos has the key ctx points to. */
struct group_key {
	const struct groups *gs;
	const char *key;
};

static bool
is_group(const void *ctx, size_t pos)
{
	const struct group_key *k = ctx;

	return strcmp(k->gs->v[pos]->key, k->key) == 0;
}

/* A new group with labels (consumed), found by key only when groups_get adds it. */
static struct group *
groups_add(struct groups *gs, const char *key, jv labels, const struct opts *o)
{
	gs->v = ve_grow(gs->v, &gs->cap, gs->n + 1, sizeof *gs->v);
	return gs->v[gs->n++] = group_new(key, labels, o);
}

/* The group of a key, made with labels (consumed) when new. */
static struct group *
groups_get(struct groups *gs, const char *key, jv labels, const struct opts *o)
{
	uint64_t h = ve_hash_str(key);
	size_t pos = ve_index_find(&gs->index, h, is_group, &(struct group_key){gs, key});

	if (pos != VE_INDEX_NONE) {
		jv_free(labels);
		return gs->v[pos];
	}
	ve_index_add(&gs->index, h, gs->n);
	return groups_add(gs, key, labels, o);
}

/*
 * Drops the newest group: a vLLM result found bad halfway through (one
 * group per result, never in the index) is reported nowhere.
 */
static void
drop_newest_group(struct groups *gs)
{
	group_free(gs->v[--gs->n]);
}

static void
groups_free(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		group_free(gs->v[i]);
	free(gs->v);
	ve_index_free(&gs->index);
}

static void
count_failure(struct group *g, const char *kind)
{
	g->failed++;
	for (size_t i = 0; i < g->nfail; i++)
		if (strcmp(g->fail[i].kind, kind) == 0) {
			g->fail[i].n++;
			return;
		}
	g->fail = ve_xrealloc(g->fail, (g->nfail + 1) * sizeof *g->fail);
	g->fail[g->nfail].kind = ve_xstrdup(kind);
	g->fail[g->nfail++].n = 1;
}

static void
note_span(struct group *g, double start, double end)
{
	if (!g->have_times || start < g->first_start)
		g->first_start = start;
	if (!g->have_times || end > g->last_end)
		g->last_end = end;
	g->have_times = true;
}

/*
 * A successful request: TPOT when more than one output token, ITL samples
 * pooled, goodput checked as vLLM does (a one-token output's TPOT is 0).
 * Times are in the group's unit (ms, or seconds for vLLM files). Returns
 * NULL, or why the request cannot be counted (nothing is then added).
 */
static const char *
add_success(struct group *g, const struct opts *o, double start, double ttft, double e2el,
            const double *itl, size_t nitl, long long out, long long in)
{
	double tpot = 0;

	if (out > LLONG_MAX - g->total_out || in > LLONG_MAX - g->total_in)
		return "response.usage: the token totals go beyond 2^63";
	g->completed++;
	g->total_out += out;
	g->total_in += in;
	if (out > 1) {
		tpot = (e2el - ttft) / (double)(out - 1);
		ve_sample_add(&g->m[M_TPOT], tpot);
	}
	ve_sample_add(&g->m[M_TTFT], ttft);
	ve_sample_add(&g->m[M_E2EL], e2el);
	ve_sample_add_n(&g->m[M_ITL], itl, nitl);
	if (o->goodput) {
		/* vLLM compares SLO/1000 >= value in seconds. */
		double v[SLO_N] = {ttft, tpot, e2el};
		bool good = true;
		for (int i = 0; i < SLO_N; i++)
			if (o->slo_set[i] && !(o->slo[i] / 1000 >= v[i] * g->scale / 1000))
				good = false;
		g->good += good;
	}
	if (!isnan(start)) {
		double r[4] = {start, ttft, e2el, (double)(g->m[M_ITL].n - nitl)};
		ve_sample_add_n(&g->req, r, 4);
	}
	return NULL;
}

/* --- reading llm-query records --- */

/* The numbers read of a record: four in "timing", then two in "response.usage". */
enum { F_START, F_TTFT, F_E2EL, F_QUEUE, F_OUT, F_IN, F_N };
static const char *const fkey[F_N] = {"start",    "ttft_ms",           "e2el_ms",
                                      "queue_ms", "completion_tokens", "prompt_tokens"};

/*
 * What lat-stats reads of one llm-query record. Each field's state: 1 a
 * value of the right type, 0 absent or null, -1 present with another type.
 */
struct qrec {
	int timing, itl;
	int state[F_N];
	double v[F_N];
	bool error;    /* "error" is there and not null */
	bool response; /* "response" is an object */
	bool cached;   /* "timing":{"cached":true}, an answer from llm-query --cache */
	char kind[128];
};

static const char itl_why[] = "timing.itl_ms: expected an array of non-negative numbers";
/* A request must end within a double's range, or the duration would not be a number. */
static const char end_why[] = "timing: start + e2el_ms is beyond a double's range";

/* The state of v (borrowed), which should be of kind k: 1, 0 absent or null, -1. */
static int
kind_state(jv v, jv_kind k)
{
	jv_kind vk = jv_get_kind(v);

	return vk == k ? 1 : vk == JV_KIND_INVALID || vk == JV_KIND_NULL ? 0 : -1;
}

/* Fills q from a parsed record (borrowed); the ITL gaps go to itl. */
static void
qrec_from_jv(jv rec, struct qrec *q, struct ve_sample *itl)
{
	jv err = ve_json_get(rec, "error"), resp = ve_json_get(rec, "response"),
	   timing = ve_json_get(rec, "timing");
	jv usage = ve_json_get(resp, "usage"), a = ve_json_get(timing, "itl_ms"),
	   cached = ve_json_get(timing, "cached"), kind = ve_json_get(err, "kind");

	memset(q, 0, sizeof *q);
	ve_sample_reset(itl);
	q->timing = kind_state(timing, JV_KIND_OBJECT);
	for (int i = 0; i < F_N; i++)
		q->state[i] = get_num(i < F_OUT ? timing : usage, fkey[i], &q->v[i]);
	q->error = kind_state(err, JV_KIND_OBJECT) != 0;
	q->response = jv_get_kind(resp) == JV_KIND_OBJECT;
	q->cached = jv_get_kind(cached) == JV_KIND_TRUE;
	if (jv_get_kind(kind) == JV_KIND_STRING)
		snprintf(q->kind, sizeof q->kind, "%s", jv_string_value(kind));
	q->itl = kind_state(a, JV_KIND_ARRAY);
	for (int i = 0, n = q->itl == 1 ? jv_array_length(jv_copy(a)) : 0; i < n && q->itl == 1;
	     i++) {
		double x = num_at(a, i);
		if (isnan(x))
			q->itl = -1;
		else
			ve_sample_add(itl, x);
	}
	jv_free(kind);
	jv_free(cached);
	jv_free(a);
	jv_free(usage);
	jv_free(err);
	jv_free(resp);
	jv_free(timing);
}

/*
 * The fast path: reads the fields of a record straight from its text,
 * checking the JSON grammar as it goes, without building jv values (libjq's
 * parse and free are most of the time otherwise). It handles the plain case
 * only and gives up (false) on anything else: a syntax error, an escaped key,
 * a field of an unexpected type, deep nesting. The record then goes through
 * libjq, which names what is wrong the way every tool does. (lib/canon and
 * lib/json read records from their text too, but only text libjq has
 * accepted, or a subset of JSON without fractions: neither checks what is
 * read here.)
 */
struct scan {
	const char *p, *end;
	int depth;
};

static inline void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Takes c after any white space; false, having taken only the space, when c is not next. */
static inline bool
scan_char(struct scan *s, char c)
{
	scan_ws(s);
	if (s->p >= s->end || *s->p != c)
		return false;
	s->p++;
	return true;
}

static bool
scan_lit(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* A string; *plain says whether it had no escapes (its bytes are its value). */
static bool
scan_str(struct scan *s, const char **start, size_t *len, bool *plain)
{
	const char *p, *e = s->end;

	if (!scan_char(s, '"'))
		return false;
	*plain = true;
	for (p = *start = s->p; p < e && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return false;
		if (*p != '\\')
			continue;
		*plain = false;
		if (++p >= e || !*p || !strchr("\"\\/bfnrtu", *p))
			return false;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (p + i >= e || !p[i] || !strchr("0123456789abcdefABCDEF", p[i]))
					return false;
			p += 4;
		}
	}
	if (p >= e)
		return false;
	*len = (size_t)(p - *start);
	s->p = p + 1;
	return true;
}

/* After the digits at p, one at least; NULL when there is none. */
static const char *
digits(const char *p, const char *e)
{
	const char *d = p;

	while (p < e && *p >= '0' && *p <= '9')
		p++;
	return p > d ? p : NULL;
}

/* A number in JSON's grammar, converted as libjq does (correctly rounded). */
static bool
scan_num(struct scan *s, double *v)
{
	const char *e = s->end, *p = s->p + (s->p < e && *s->p == '-');
	char tmp[64];

	p = p < e && *p == '0' ? p + 1 : digits(p, e);
	if (p && p < e && *p == '.')
		p = digits(p + 1, e);
	if (p && p < e && (*p == 'e' || *p == 'E'))
		p = digits(p + 1 + (p + 1 < e && (p[1] == '+' || p[1] == '-')), e);
	if (!p || (size_t)(p - s->p) >= sizeof tmp)
		return false;
	memcpy(tmp, s->p, (size_t)(p - s->p));
	tmp[p - s->p] = '\0';
	*v = strtod(tmp, NULL);
	s->p = p;
	return isfinite(*v);
}

static bool scan_skip(struct scan *s);

/* Called for each member of an object (key k) or element of an array (k NULL): reads or skips it.
 */
typedef bool scan_item_fn(struct scan *s, const char *k, size_t klen, void *ctx);

/* An object (open '{') or an array ('['), fn called on each of its items. */
static bool
scan_list(struct scan *s, char open, scan_item_fn *fn, void *ctx)
{
	char close = open == '{' ? '}' : ']';
	const char *k = NULL;
	size_t klen = 0;
	bool plain;

	if (!scan_char(s, open) || ++s->depth > 64)
		return false;
	if (!scan_char(s, close)) {
		do {
			if (open == '{' &&
			    !(scan_str(s, &k, &klen, &plain) && plain && scan_char(s, ':')))
				return false;
			scan_ws(s);
			if (!fn(s, k, klen, ctx))
				return false;
		} while (scan_char(s, ','));
		if (!scan_char(s, close))
			return false;
	}
	s->depth--;
	return true;
}

static bool
scan_item(struct scan *s, const char *k, size_t klen, void *ctx)
{
	(void)k, (void)klen, (void)ctx;
	return scan_skip(s);
}

/* Reads over any value. */
static bool
scan_skip(struct scan *s)
{
	const char *str;
	size_t len;
	bool plain;
	double v;

	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
	case '[': return scan_list(s, *s->p, scan_item, NULL);
	case '"': return scan_str(s, &str, &len, &plain);
	case 't': return scan_lit(s, "true", 4);
	case 'f': return scan_lit(s, "false", 5);
	case 'n': return scan_lit(s, "null", 4);
	default: return scan_num(s, &v);
	}
}

/* Whether the key k (klen bytes) is lit; the first byte tells most keys apart, cheaply. */
static inline bool
key_is(const char *k, size_t klen, const char *lit)
{
	return klen && k[0] == lit[0] && strlen(lit) == klen && memcmp(k, lit, klen) == 0;
}

struct scan_ctx {
	struct qrec *q;
	struct ve_sample *itl;
};

/*
 * Field i's number (state 1) or null (state 0); any other value gives up.
 * The keys are spelled out where this is called, not looked up in fkey:
 * with a literal, key_is costs a few instructions.
 */
static bool
scan_field(struct scan *s, struct qrec *q, int i)
{
	q->state[i] = !scan_lit(s, "null", 4);
	return !q->state[i] || scan_num(s, &q->v[i]);
}

static bool
scan_usage(struct scan *s, const char *k, size_t klen, void *ctx)
{
	struct qrec *q = ((struct scan_ctx *)ctx)->q;

	if (key_is(k, klen, "completion_tokens"))
		return scan_field(s, q, F_OUT);
	if (key_is(k, klen, "prompt_tokens"))
		return scan_field(s, q, F_IN);
	return scan_skip(s);
}

static bool
scan_response(struct scan *s, const char *k, size_t klen, void *ctx)
{
	struct qrec *q = ((struct scan_ctx *)ctx)->q;

	if (!key_is(k, klen, "usage"))
		return scan_skip(s);
	q->state[F_OUT] = q->state[F_IN] = 0;
	return scan_list(s, '{', scan_usage, ctx);
}

static bool
scan_error(struct scan *s, const char *k, size_t klen, void *ctx)
{
	struct qrec *q = ((struct scan_ctx *)ctx)->q;
	const char *str;
	size_t len;
	bool plain;

	if (!key_is(k, klen, "kind"))
		return scan_skip(s);
	if (!scan_str(s, &str, &len, &plain) || !plain || len >= sizeof q->kind)
		return false;
	memcpy(q->kind, str, len);
	q->kind[len] = '\0';
	return true;
}

static bool
scan_timing(struct scan *s, const char *k, size_t klen, void *ctx)
{
	struct scan_ctx *c = ctx;
	double v;

	if (key_is(k, klen, "start"))
		return scan_field(s, c->q, F_START);
	if (key_is(k, klen, "ttft_ms"))
		return scan_field(s, c->q, F_TTFT);
	if (key_is(k, klen, "e2el_ms"))
		return scan_field(s, c->q, F_E2EL);
	if (key_is(k, klen, "queue_ms"))
		return scan_field(s, c->q, F_QUEUE);
	if (key_is(k, klen, "cached")) {
		c->q->cached = scan_lit(s, "true", 4);
		return c->q->cached || scan_skip(s);
	}
	if (!key_is(k, klen, "itl_ms"))
		return scan_skip(s);
	/* An array of numbers, read here rather than through scan_list: it is most of a record. */
	ve_sample_reset(c->itl);
	c->q->itl = 1;
	if (!scan_char(s, '['))
		return false;
	if (scan_char(s, ']'))
		return true;
	do {
		scan_ws(s);
		if (!scan_num(s, &v))
			return false;
		ve_sample_add(c->itl, v);
	} while (scan_char(s, ','));
	return scan_char(s, ']');
}

static bool
scan_top(struct scan *s, const char *k, size_t klen, void *ctx)
{
	struct qrec *q = ((struct scan_ctx *)ctx)->q;

	/* A repeated key replaces the earlier value, as in libjq. */
	if (key_is(k, klen, "timing")) {
		q->timing = 1;
		q->state[F_START] = q->state[F_TTFT] = q->state[F_E2EL] = q->state[F_QUEUE] = 0;
		q->itl = 0;
		q->cached = false;
		return scan_list(s, '{', scan_timing, ctx);
	}
	if (key_is(k, klen, "response")) {
		q->response = true;
		q->state[F_OUT] = q->state[F_IN] = 0;
		return scan_list(s, '{', scan_response, ctx);
	}
	if (key_is(k, klen, "error")) {
		q->error = true;
		q->kind[0] = '\0';
		return scan_list(s, '{', scan_error, ctx);
	}
	return scan_skip(s);
}

/* Fills q from the record's text, or returns false to leave it to libjq. */
static bool
qrec_scan(const char *text, size_t len, struct qrec *q, struct ve_sample *itl)
{
	struct scan s = {text, text + len, 0};
	struct scan_ctx c = {q, itl};

	memset(q, 0, sizeof *q);
	ve_sample_reset(itl);
	if (ve_utf8_invalid_at(text, len) >= 0 || !scan_list(&s, '{', scan_top, &c))
		return false;
	scan_ws(&s);
	return s.p == s.end;
}

/* Whether a field is there but not a non-negative number. */
static bool
negative(int state, double v)
{
	return state < 0 || (state == 1 && v < 0);
}

/* A token count: a non-negative integer into *n, or absent (*n left alone); else false. */
static bool
token_count(int state, double v, long long *n)
{
	if (state == 0)
		return true;
	if (state < 0 || !(v >= 0 && v < 1e15 && v == floor(v)))
		return false;
	*n = (long long)v;
	return true;
}

/*
 * The queue time and the span of a request, failed or not, that ends at
 * end; its latency in seconds (0 if it failed, as vLLM's) and queue time
 * (0 where not measured) for vllm-json's per-request arrays.
 */
static void
add_times(struct group *g, const struct qrec *q, double end, double lat_s)
{
	ve_sample_add(&g->lat, lat_s);
	ve_sample_add(&g->queue, q->state[F_QUEUE] == 1 ? q->v[F_QUEUE] / 1000 : 0);
	if (q->state[F_QUEUE] == 1)
		ve_sample_add(&g->m[M_QUEUE], q->v[F_QUEUE]);
	if (q->state[F_START] == 1)
		note_span(g, q->v[F_START], end);
}

/* Adds one record's fields to g; NULL or why the record is malformed. */
static const char *
add_qrec(struct group *g, const struct opts *o, const struct qrec *q, struct ve_sample *itl)
{
	const int *st = q->state;
	const double *v = q->v;
	double end = v[F_START] + (st[F_E2EL] == 1 ? v[F_E2EL] / 1000 : 0);
	/* No usage: no tokenizer here, so count token chunks, and say so at the end. */
	long long out = (long long)itl->n + 1, in = 0;
	const char *why;

	if (q->timing < 0)
		return "timing: expected an object";
	if (st[F_START] < 0)
		return "timing.start: expected a number";
	if (negative(st[F_E2EL], v[F_E2EL]))
		return "timing.e2el_ms: expected a non-negative number";
	if (negative(st[F_QUEUE], v[F_QUEUE]))
		return "timing.queue_ms: expected a non-negative number";
	if (q->error) {
		if (st[F_START] == 1 && !isfinite(end))
			return end_why;
		count_failure(g, q->kind[0] ? q->kind : "unknown");
		add_times(g, q, end, 0);
		return NULL;
	}
	if (!q->response)
		return "neither \"response\" nor \"error\": not llm-query output";
	if (q->cached) {
		/* Replayed from llm-query --cache: an answer, but no latency to count. */
		g->cached++;
		return NULL;
	}
	if (st[F_TTFT] == 0)
		return "response without timing.ttft_ms (run llm-query with --stream)";
	if (negative(st[F_TTFT], v[F_TTFT]))
		return "timing.ttft_ms: expected a non-negative number";
	if (st[F_E2EL] != 1)
		return "response without timing.e2el_ms";
	if (st[F_START] != 1)
		return "response without timing.start";
	if (q->itl < 0)
		return itl_why;
	for (size_t i = 0; i < itl->n; i++)
		if (itl->v[i] < 0)
			return itl_why;
	if (!token_count(st[F_OUT], v[F_OUT], &out))
		return "response.usage.completion_tokens: expected a non-negative integer";
	if (!token_count(st[F_IN], v[F_IN], &in))
		return "response.usage.prompt_tokens: expected a non-negative integer";
	if (!isfinite(end))
		return end_why;
	if ((why = add_success(g, o, v[F_START], v[F_TTFT], v[F_E2EL], itl->v, itl->n, out, in)))
		return why;
	g->no_usage += st[F_OUT] == 0;
	g->no_prompt += st[F_IN] == 0;
	add_times(g, q, end, v[F_E2EL] / 1000);
	return NULL;
}

/* --- reading vLLM result files --- */

/* A result without --save-detailed's arrays: its counts, as the file has them. */
static const char *
vllm_summary(struct group *g, jv rec)
{
	static const char *const key[] = {"completed", "failed", "total_input_tokens",
	                                  "total_output_tokens"};
	double c[4] = {0};

	for (int i = 0; i < 4; i++) {
		get_num(rec, key[i], &c[i]);
		if (!(c[i] >= 0 && c[i] < 1e15))
			return "not a vLLM result: counts out of range";
	}
	g->completed = (unsigned long long)c[0];
	g->total_in = (long long)c[2];
	g->total_out = (long long)c[3];
	if (c[1] >= 1) {
		count_failure(g, "error");
		g->failed = g->fail[0].n = (unsigned long long)c[1];
	}
	return NULL;
}

/* --save-detailed's per-request arrays, one element per request. */
enum { VA_TTFTS, VA_ITLS, VA_OUTS, VA_INS, VA_ERRS, VA_N };
static const char *const va_key[VA_N] = {"ttfts", "itls", "output_lens", "input_lens", "errors"};

/*
 * Request i of the arrays a (borrowed), in vLLM's seconds. E2EL is rebuilt
 * as TTFT + the ITL gaps, since the file keeps no latencies. Returns NULL
 * or why the request is unusable.
 */
static const char *
vllm_request(struct group *g, const struct opts *o, const jv *a, int i, struct ve_sample *itl)
{
	jv e = jv_array_get(jv_copy(a[VA_ERRS]), i);
	bool ok = jv_get_kind(e) == JV_KIND_NULL ||
	          (jv_get_kind(e) == JV_KIND_STRING && !*jv_string_value(e));

	jv_free(e);
	if (!ok) {
		count_failure(g, "error");
		ve_sample_add(&g->lat, 0);
		ve_sample_add(&g->queue, 0);
		return NULL;
	}
	double ttft = num_at(a[VA_TTFTS], i), out = num_at(a[VA_OUTS], i),
	       in = num_at(a[VA_INS], i);
	jv gaps = jv_array_get(jv_copy(a[VA_ITLS]), i);
	ve_sample_reset(itl);
	if (jv_get_kind(gaps) == JV_KIND_ARRAY) {
		int m = jv_array_length(jv_copy(gaps));
		for (int j = 0; j < m; j++)
			ve_sample_add(itl, num_at(gaps, j));
	}
	jv_free(gaps);
	double e2el = ttft;
	for (size_t j = 0; j < itl->n; j++)
		e2el += itl->v[j];
	if (!(ttft >= 0) || !(out >= 0 && out < 1e15) || !(in >= 0 && in < 1e15) || !(e2el >= 0))
		return "--save-detailed: a request with a missing or negative figure";
	/* Every figure of the request is at most its E2EL, reported in milliseconds. */
	if (!isfinite(e2el * g->scale))
		return "--save-detailed: a request's latency in milliseconds is beyond a double's "
		       "range";
	const char *why =
	    add_success(g, o, NAN, ttft, e2el, itl->v, itl->n, (long long)out, (long long)in);
	if (!why) {
		ve_sample_add(&g->lat, e2el);
		ve_sample_add(&g->queue, 0);
	}
	return why;
}

/* Every request of --save-detailed's arrays (rec borrowed): NULL or why they are unusable. */
static const char *
vllm_detailed(struct group *g, const struct opts *o, jv rec, struct ve_sample *itl)
{
	const char *why = NULL;
	jv a[VA_N];
	int n = 0;

	for (int k = 0; k < VA_N; k++)
		a[k] = ve_json_get(rec, va_key[k]);
	for (int k = 0; k < VA_N && !why; k++)
		if (jv_get_kind(a[k]) != JV_KIND_ARRAY)
			why = "--save-detailed arrays incomplete (ttfts, itls, output_lens, "
			      "input_lens, errors)";
	if (!why)
		n = jv_array_length(jv_copy(a[VA_TTFTS]));
	for (int k = 1; k < VA_N && !why; k++)
		if (jv_array_length(jv_copy(a[k])) != n)
			why = "--save-detailed arrays of different lengths";
	if (!why)
		g->detailed = true;
	for (int i = 0; i < n && !why; i++)
		why = vllm_request(g, o, a, i, itl);
	for (int k = 0; k < VA_N; k++)
		jv_free(a[k]);
	return why;
}

/*
 * The "date" of a vLLM result (rec borrowed), "%Y%m%d-%H%M%S" in local time
 * as vLLM's datetime.now() writes it: true and *t when it is one.
 */
static bool
vllm_date(jv rec, time_t *t)
{
	jv d = ve_json_get(rec, "date");
	struct tm tm;
	int n = 0;
	bool ok = false;

	memset(&tm, 0, sizeof tm);
	if (jv_get_kind(d) == JV_KIND_STRING &&
	    sscanf(jv_string_value(d), "%4d%2d%2d-%2d%2d%2d%n", &tm.tm_year, &tm.tm_mon,
	           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 6 &&
	    n == 15 && !jv_string_value(d)[n]) {
		tm.tm_year -= 1900;
		tm.tm_mon--;
		tm.tm_isdst = -1;
		*t = mktime(&tm);
		ok = *t != (time_t)-1;
	}
	jv_free(d);
	return ok;
}

/*
 * Adds a vLLM result object (borrowed). With --save-detailed's arrays the
 * per-request figures are recomputed in vLLM's units (seconds, scaled to ms
 * at the end, as vLLM does). Figures the file holds are reported as it
 * holds them (see stored_value).
 */
static const char *
add_vllm_record(struct group *g, const struct opts *o, jv rec, struct ve_sample *itl)
{
	double d;

	if (get_num(rec, "duration", &d) != 1 || d < 0)
		return "not a vLLM result: no \"duration\"";
	jv_free(g->stored);
	g->stored = jv_copy(rec);
	g->dated = vllm_date(rec, &g->date);
	g->scale = 1000;
	g->have_times = true;
	g->first_start = 0;
	g->last_end = d;
	jv ttfts = ve_json_get(rec, "ttfts");
	bool detailed = jv_get_kind(ttfts) == JV_KIND_ARRAY;
	jv_free(ttfts);
	return detailed ? vllm_detailed(g, o, rec, itl) : vllm_summary(g, rec);
}

/* --- figures --- */

/* A request's arrival (+1) or departure (-1) at time t. */
struct event {
	double t;
	int delta;
};

/* By time; at one time a departure before an arrival (half-open intervals). */
static int
event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->delta > y->delta) - (x->delta < y->delta);
}

/*
 * vLLM's peak concurrent requests (benchmarks/serve.py, calculate_metrics,
 * as of commit 009e6d4a1cd6): the most successful requests in flight at one
 * instant, a sweep over the half-open intervals [start, start + E2EL).
 */
static double
peak_concurrency(const struct group *g)
{
	const double *r = g->req.v;
	size_t n = g->req.n / 4;
	double s = g->scale / 1000, peak = 0, cur = 0;
	struct event *ev = ve_xcalloc(2 * n + 1, sizeof *ev);

	for (size_t i = 0; i < n; i++) {
		ev[2 * i] = (struct event){r[4 * i], 1};
		ev[2 * i + 1] = (struct event){r[4 * i] + r[4 * i + 2] * s, -1};
	}
	qsort(ev, 2 * n, sizeof *ev, event_cmp);
	for (size_t i = 0; i < 2 * n; i++) {
		cur += ev[i].delta;
		peak = fmax(peak, cur);
	}
	free(ev);
	return peak;
}

/*
 * vLLM's peak output tokens/s: one-second buckets from the earliest
 * successful start; every token chunk counts one in the bucket of its
 * arrival. Then the peak concurrent requests.
 */
static void
peaks(struct group *g)
{
	const double *r = g->req.v;
	size_t n = g->req.n / 4;
	const double *itl = g->m[M_ITL].v;
	double s = g->scale / 1000; /* the unit in seconds */

	g->fig[FIG_PEAK_TPS] = g->fig[FIG_PEAK_CONC] = 0;
	if (!n)
		return;
	double min_start = r[0], max_end = r[0] + r[2] * s;
	for (size_t i = 1; i < n; i++) {
		min_start = fmin(min_start, r[4 * i]);
		max_end = fmax(max_end, r[4 * i] + r[4 * i + 2] * s);
	}
	double span = ceil(max_end - min_start);
	g->fig[FIG_PEAK_CONC] = peak_concurrency(g);
	if (!(span <= 1e8)) {
		/* One bucket per second would not fit in memory: no figure (see left_out_why). */
		g->fig[FIG_PEAK_TPS] = NAN;
		return;
	}
	size_t nb = (size_t)span + 1;
	double *tok = ve_xcalloc(nb, sizeof *tok);
	for (size_t i = 0; i < n; i++) {
		double start = r[4 * i], t = start + r[4 * i + 1] * s;
		size_t off = (size_t)r[4 * i + 3], cnt;
		/* The request's ITL gaps follow its offset up to the next request's. */
		cnt = (i + 1 < n ? (size_t)r[4 * i + 7] : g->m[M_ITL].n) - off;
		/* The first token at TTFT, then one after each gap. */
		for (size_t j = 0;; j++) {
			double b = trunc(t - min_start);
			if (b >= 0 && b < (double)nb)
				tok[(size_t)b]++;
			if (j == cnt)
				break;
			t += itl[off + j] * s;
		}
	}
	for (size_t k = 0; k < nb; k++)
		g->fig[FIG_PEAK_TPS] = fmax(g->fig[FIG_PEAK_TPS], tok[k]);
	free(tok);
}

/*
 * count per second of d: 0 when nothing was counted (vLLM's empty set);
 * NAN, no figure, for something counted over a duration of 0 or one beyond
 * a double's range. A quotient that overflows is inf, no figure either.
 */
static double
rate(double count, double d)
{
	if (count == 0)
		return 0;
	return d > 0 && isfinite(d) ? count / d : NAN;
}

static int
failure_cmp(const void *a, const void *b)
{
	return strcmp(((const struct failure *)a)->kind, ((const struct failure *)b)->kind);
}

static void
compute(struct group *g, const struct opts *o)
{
	/* Failures by kind's name, not by first seen: the same for any order of the records. */
	if (g->nfail > 1)
		qsort(g->fail, g->nfail, sizeof *g->fail, failure_cmp);
	/* Peaks first: they walk the ITL sample in arrival order, before it is sorted. */
	peaks(g);
	double *f = g->fig, all = (double)g->completed + (double)g->failed;
	double d = f[FIG_DURATION] = g->have_times ? g->last_end - g->first_start : 0;
	f[FIG_COMPLETED] = (double)g->completed;
	f[FIG_FAILED] = (double)g->failed;
	f[FIG_SUCCESS] = all ? (double)g->completed / all : 0;
	f[FIG_INPUT] = (double)g->total_in;
	f[FIG_OUTPUT] = (double)g->total_out;
	f[FIG_REQ_TPUT] = rate((double)g->completed, d);
	f[FIG_GOODPUT] = rate((double)g->good, d);
	f[FIG_OUT_TPUT] = rate((double)g->total_out, d);
	f[FIG_TOT_TPUT] = rate((double)g->total_in + (double)g->total_out, d);
	for (int i = 0; i < M_N; i++) {
		ve_sample_summary(&g->m[i], o->pcts, o->npcts, &g->sum[i], g->pct[i]);
		g->sum[i].mean *= g->scale;
		g->sum[i].median *= g->scale;
		g->sum[i].std *= g->scale;
		for (size_t k = 0; k < o->npcts; k++)
			g->pct[i][k] *= g->scale;
	}
}

/* "99" for 99, "99.9" for 99.9: vLLM's p_word, Python's shortest repr. */
static void
p_word(double p, char *out, size_t n)
{
	if (p == floor(p))
		snprintf(out, n, "%.0f", p);
	else
		ve_num_g(out, n, p, 1);
}

/* Appends x as JSON: an integer when it is one, else the shortest round-trip form. */
static void
add_num(struct ve_buf *b, double x)
{
	char s[VE_NUM_G_SIZE];

	if (!isfinite(x))
		ve_buf_adds(b, "null");
	else if (x == floor(x) && fabs(x) < 1e15)
		ve_buf_addf(b, "%.0f", x == 0 ? 0. : x);
	else
		ve_buf_adds(b, ve_num_g(s, sizeof s, x, 1));
}

/*
 * The value of a vLLM key the group's result file holds, when it is from
 * one: a file's figures are vLLM's own and win over recomputed ones, except
 * goodput under SLOs given here.
 */
static bool
stored_value(const struct group *g, const struct opts *o, const char *key, double *v)
{
	if (jv_get_kind(g->stored) != JV_KIND_OBJECT)
		return false;
	if (strcmp(key, "request_goodput") == 0 && o->goodput && g->detailed)
		return false;
	return get_num(g->stored, key, v) == 1;
}

/*
 * One figure of a group by name, as rows, grades and the table name them:
 * "completed", "output_throughput", "ttft_ms.p95", "tpot_ms.mean", ...
 * Returns false when the group has no such figure (a percentile a vLLM
 * result file without details does not hold). The value may be NAN or inf
 * (see rate and peaks): figure_value is what the outputs take.
 */
static bool
figure_raw(const struct group *g, const struct opts *o, const char *name, double *v,
           unsigned long long *n)
{
	const char *dot = strchr(name, '.');

	*n = g->completed;
	if (!dot) {
		for (int i = 0; i < FIG_N; i++)
			if (strcmp(name, figures[i].name) == 0) {
				if (i == FIG_SUCCESS || !stored_value(g, o, name, v))
					*v = g->fig[i];
				if (i <= FIG_SUCCESS)
					*n = g->completed + g->failed;
				return true;
			}
		return false;
	}
	int m = -1;
	for (int i = 0; i < M_N; i++)
		if ((size_t)(dot - name) == strlen(mname[i]) + 3 &&
		    memcmp(name, mname[i], strlen(mname[i])) == 0 &&
		    memcmp(name + strlen(mname[i]), "_ms", 3) == 0)
			m = i;
	if (m < 0)
		return false;
	const char *stat = dot + 1;
	char key[64];
	*n = g->sum[m].n;
	if (strcmp(stat, "mean") == 0 || strcmp(stat, "median") == 0 || strcmp(stat, "std") == 0) {
		snprintf(key, sizeof key, "%s_%s_ms", stat, mname[m]);
		if (stored_value(g, o, key, v))
			return true;
		if (jv_get_kind(g->stored) == JV_KIND_OBJECT && !g->detailed)
			return false;
		*v = strcmp(stat, "mean") == 0     ? g->sum[m].mean
		     : strcmp(stat, "median") == 0 ? g->sum[m].median
		                                   : g->sum[m].std;
		return true;
	}
	double p;
	if (stat[0] != 'p' || !ve_parse_double(stat + 1, 0, 100, &p))
		return false;
	char w[32];
	p_word(p, w, sizeof w);
	snprintf(key, sizeof key, "p%s_%s_ms", w, mname[m]);
	if (stored_value(g, o, key, v))
		return true;
	if (jv_get_kind(g->stored) == JV_KIND_OBJECT && !g->detailed)
		return false;
	for (size_t k = 0; k < o->npcts; k++)
		if (o->pcts[k] == p) {
			*v = g->pct[m][k];
			return true;
		}
	*v = ve_stats_percentile(g->m[m].v, g->m[m].n, p) * g->scale;
	return true;
}

/*
 * A figure the group has as a finite number: the only kind any output
 * writes, since no reader of metric rows takes null for a value (a figure
 * that is not one is left out, and said so by warn_left_out).
 */
static bool
figure_value(const struct group *g, const struct opts *o, const char *name, double *v,
             unsigned long long *n)
{
	return figure_raw(g, o, name, v, n) && isfinite(*v);
}

static bool
figure_known(const char *name)
{
	struct group g;
	struct opts o;
	double v;
	unsigned long long n;

	memset(&g, 0, sizeof g);
	memset(&o, 0, sizeof o);
	g.stored = jv_null();
	g.scale = 1;
	return figure_raw(&g, &o, name, &v, &n);
}

static void
grade(struct group *g, const struct opts *o, const struct grades *gr)
{
	char worst = 'A';

	for (size_t i = 0; i < gr->n; i++) {
		const struct threshold *t = &gr->t[i];
		double v;
		unsigned long long n;
		char c = 'C';
		if (figure_value(g, o, t->figure, &v, &n)) {
			if (t->lower ? v <= t->a : v >= t->a)
				c = 'A';
			else if (t->lower ? v <= t->b : v >= t->b)
				c = 'B';
		}
		if (c > worst)
			worst = c;
	}
	g->grade = worst;
}

/* --- output --- */

struct out_ctx {
	const struct opts *o;
	const struct grades *grades;
	const struct pricing *pricing;
	struct ve_buf b;
	struct ve_score_meta meta; /* run_id, model_tag and ts of metric rows */
	time_t stamp;              /* the rows' time, unless a group is dated */
};

/*
 * Writes one metric row, labelled with the grade unless it is 0; none for
 * a value that is not a finite number, which no reader of metric rows takes
 * (warn_left_out has said so).
 */
static void
row(struct out_ctx *c, const struct group *g, const char *name, double v, unsigned long long n,
    const char *unit, char grade)
{
	struct ve_buf *b = &c->b;

	if (!isfinite(v))
		return;
	ve_buf_adds(b, "{\"metric\":");
	struct ve_buf mname_buf = {0};
	ve_buf_addf(&mname_buf, "perf.%s.%s", g->scenario, name);
	ve_buf_add_json_str(b, mname_buf.p, mname_buf.len);
	ve_buf_free(&mname_buf);
	ve_buf_adds(b, ",\"value\":");
	add_num(b, v);
	ve_buf_addf(b, ",\"n\":%llu,\"unit\":", n);
	ve_buf_add_json_str(b, unit, strlen(unit));
	ve_buf_adds(b, ",\"labels\":");
	jv labels = jv_copy(g->labels);
	if (grade)
		labels = jv_object_set(labels, jv_string("grade"), jv_string_sized(&grade, 1));
	ve_json_dump(labels, b);
	jv_free(labels);
	ve_score_meta_fields(b, &c->meta);
	ve_buf_addc(b, '}');
	ve_out_line(b->p, b->len);
	ve_buf_reset(b);
}

/* A group's costs under a price table. */
struct costs {
	double total, per_request, per_1k_tokens;
};

static struct costs
costs_of(const struct group *g, const struct pricing *p)
{
	struct costs k;
	double tok = (double)g->total_in + (double)g->total_out;

	k.total =
	    (double)g->total_in / 1000 * p->in_per_1k + (double)g->total_out / 1000 * p->out_per_1k;
	k.per_request = g->completed ? k.total / (double)g->completed : 0;
	k.per_1k_tokens = tok > 0 ? k.total / (tok / 1000) : 0;
	return k;
}

/* Goodput is reported only under SLOs (vllm-json says null instead). */
static bool
figure_wanted(const struct opts *o, const struct figure *f)
{
	return o->goodput || strcmp(f->name, "request_goodput") != 0;
}

/* Whether the figures of metric m are reported: queue time when measured, others when asked. */
static bool
metric_shown(const struct opts *o, const struct group *g, int m)
{
	return m == M_QUEUE ? g->sum[m].n > 0 : (o->metrics & (1u << m)) != 0;
}

/* mean, median, std, then one per percentile. */
#define NSTATS(o) (3 + (o)->npcts)

/* The size of the buffers stat_names fills. */
#define STAT_NAME 96

/*
 * The k-th statistic (of NSTATS) of metric m: its word ("mean", "p99"), the
 * figure's name ("ttft_ms.p99") and vLLM's key ("p99_ttft_ms").
 */
static void
stat_names(const struct opts *o, int m, size_t k, char *word, char *name, char *key)
{
	static const char *const st[] = {"mean", "median", "std"};
	char w[32];

	if (k < 3) {
		snprintf(word, STAT_NAME, "%s", st[k]);
	} else {
		p_word(o->pcts[k - 3], w, sizeof w);
		snprintf(word, STAT_NAME, "p%s", w);
	}
	snprintf(name, STAT_NAME, "%s_ms.%s", mname[m], word);
	snprintf(key, STAT_NAME, "%s_%s_ms", word, mname[m]);
}

static void
emit_rows(struct out_ctx *c, const struct group *g)
{
	const struct opts *o = c->o;
	double v;
	unsigned long long n;
	char word[STAT_NAME], name[STAT_NAME], key[STAT_NAME];

	for (size_t i = 0; i < FIG_N; i++)
		if (figure_wanted(o, &figures[i]) && figure_value(g, o, figures[i].name, &v, &n))
			row(c, g, figures[i].name, v, n, figures[i].unit, 0);
	for (size_t i = 0; i < g->nfail; i++) {
		snprintf(name, sizeof name, "failures.%s", g->fail[i].kind);
		row(c, g, name, (double)g->fail[i].n, g->completed + g->failed, "count", 0);
	}
	for (int m = 0; m < M_N; m++)
		for (size_t k = 0; metric_shown(o, g, m) && k < NSTATS(o); k++) {
			stat_names(o, m, k, word, name, key);
			if (figure_value(g, o, name, &v, &n))
				row(c, g, name, v, n, "ms", 0);
		}
	if (c->pricing) {
		const char *cur = c->pricing->currency;
		struct costs k = costs_of(g, c->pricing);
		row(c, g, "cost.total", k.total, g->completed, cur, 0);
		row(c, g, "cost.per_request", k.per_request, g->completed, cur, 0);
		row(c, g, "cost.per_1k_tokens", k.per_1k_tokens, g->completed, cur, 0);
	}
	if (c->grades)
		row(c, g, "grade", 'D' - g->grade, g->completed + g->failed, "grade", g->grade);
}

/*
 * x as Python's json writes a float: repr, "50.0" for an integral value
 * below 1e16 (where repr keeps the fixed form), else the shortest
 * round-trip form, whose exponent then matches repr's.
 */
static void
add_float(struct ve_buf *b, double x)
{
	if (isfinite(x) && x == floor(x) && fabs(x) < 1e16)
		ve_buf_addf(b, "%.1f", x == 0 ? 0. : x);
	else
		ve_score_num(b, x);
}

/* Opens "key": in a vLLM result object. */
static void
key_open(struct ve_buf *b, bool *first, const char *key)
{
	ve_buf_adds(b, *first ? "{" : ",");
	*first = false;
	ve_buf_add_json_str(b, key, strlen(key));
	ve_buf_addc(b, ':');
}

/*
 * One "key":number of a vLLM result object, written as Python writes the
 * float vLLM has there (12.0) when flt, else as an integer; none for a
 * value that is not a finite number.
 */
static void
key_num(struct ve_buf *b, bool *first, const char *key, double v, bool flt)
{
	if (!isfinite(v))
		return;
	key_open(b, first, key);
	if (flt)
		add_float(b, v);
	else
		add_num(b, v);
}

/* "key":[float, ...]: a stored array of numbers a (borrowed), else the sample s. */
static void
key_floats(struct ve_buf *b, bool *first, const char *key, jv a, const struct ve_sample *s)
{
	bool stored = jv_get_kind(a) == JV_KIND_ARRAY;
	size_t n = stored ? (size_t)jv_array_length(jv_copy(a)) : s->n;

	key_open(b, first, key);
	ve_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			ve_buf_addc(b, ',');
		add_float(b, stored ? num_at(a, (int)i) : s->v[i]);
	}
	ve_buf_addc(b, ']');
}

/*
 * "key":value (v consumed) of vLLM's setup keys: a number as a float when
 * flt (burstiness, a request rate), else as it is (a string, null, an
 * integer, "inf").
 */
static void
key_jv(struct ve_buf *b, bool *first, const char *key, jv v, bool flt)
{
	key_open(b, first, key);
	if (jv_get_kind(v) == JV_KIND_NUMBER && flt)
		add_float(b, jv_number_value(v));
	else if (jv_get_kind(v) == JV_KIND_NUMBER)
		add_num(b, jv_number_value(v));
	else
		ve_json_dump(v, b);
	jv_free(v);
}

/* The stored file's value of key when it has one, else dflt (consumed). */
static jv
stored_or(const struct group *g, const char *key, jv dflt)
{
	if (jv_get_kind(g->stored) != JV_KIND_OBJECT ||
	    !jv_object_has(jv_copy(g->stored), jv_string(key)))
		return dflt;
	jv_free(dflt);
	return jv_object_get(jv_copy(g->stored), jv_string(key));
}

/* vLLM's "date": datetime.now().strftime("%Y%m%d-%H%M%S"), local time. */
static jv
vllm_date_of(const struct out_ctx *c, const struct group *g)
{
	time_t t = g->have_times && g->scale == 1 ? (time_t)g->first_start : c->stamp;
	struct tm tm;
	char s[32];

	strftime(s, sizeof s, "%Y%m%d-%H%M%S", localtime_r(&t, &tm));
	return jv_string(s);
}

/*
 * The setup keys vLLM's result file starts with (benchmarks/serve.py at
 * commit 009e6d4a1cd6): an option given here, else the result file's own
 * value (--from vllm-json), else what vLLM writes when it is not set.
 */
static void
vllm_setup(struct out_ctx *c, const struct group *g, bool *first)
{
	const struct opts *o = c->o;
	struct ve_buf *b = &c->b;
	jv model = o->model_id ? jv_string(o->model_id) : stored_or(g, "model_id", jv_string(""));

	key_jv(b, first, "date", stored_or(g, "date", vllm_date_of(c, g)), false);
	key_jv(b, first, "endpoint_type", stored_or(g, "endpoint_type", jv_string("openai")),
	       false);
	key_jv(b, first, "backend", stored_or(g, "backend", jv_string("openai")), false);
	key_jv(b, first, "label", o->label ? jv_string(o->label) : stored_or(g, "label", jv_null()),
	       false);
	key_jv(b, first, "model_id", jv_copy(model), false);
	key_jv(b, first, "tokenizer_id", o->model_id ? model : stored_or(g, "tokenizer_id", model),
	       false);
	key_jv(b, first, "num_prompts",
	       stored_or(g, "num_prompts", jv_number((double)(g->completed + g->failed))), false);
	key_jv(b, first, "request_rate",
	       o->request_rate > 0 ? jv_number(o->request_rate)
	                           : stored_or(g, "request_rate", jv_string("inf")),
	       true);
	key_jv(b, first, "burstiness", stored_or(g, "burstiness", jv_number(1)), true);
	key_jv(b, first, "max_concurrency",
	       o->max_concurrency > 0 ? jv_number((double)o->max_concurrency)
	                              : stored_or(g, "max_concurrency", jv_null()),
	       false);
}

/*
 * The request-level keys of a vLLM result object, in vLLM's order, with
 * its per-request latencies and queue times (the stored file's when it has
 * them) and rtfx, 0.0 without audio.
 */
static void
vllm_counts(struct out_ctx *c, const struct group *g, bool *first)
{
	static const int order[] = {FIG_DURATION, FIG_COMPLETED, FIG_FAILED,   FIG_INPUT,
	                            FIG_OUTPUT,   FIG_REQ_TPUT,  FIG_GOODPUT,  FIG_OUT_TPUT,
	                            FIG_TOT_TPUT, FIG_PEAK_TPS,  FIG_PEAK_CONC};
	const struct opts *o = c->o;
	double v;
	unsigned long long n;

	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		const char *key = figures[order[i]].name;
		bool flt = order[i] == FIG_DURATION ||
		           (order[i] >= FIG_REQ_TPUT && order[i] <= FIG_PEAK_TPS);
		if (order[i] == FIG_PEAK_TPS) {
			jv lat = stored_or(g, "latencies", jv_null());
			jv queue = stored_or(g, "queue_times", jv_null());
			key_floats(&c->b, first, "latencies", lat, &g->lat);
			key_floats(&c->b, first, "queue_times", queue, &g->queue);
			jv_free(lat);
			jv_free(queue);
		}
		/* vLLM writes null when no SLO was given. */
		if (order[i] == FIG_GOODPUT && !o->goodput && !stored_value(g, o, key, &v)) {
			key_open(&c->b, first, key);
			ve_buf_adds(&c->b, "null");
		} else if (figure_value(g, o, key, &v, &n)) {
			key_num(&c->b, first, key, v, flt);
		}
	}
	if (!stored_value(g, o, "rtfx", &v))
		v = 0;
	key_num(&c->b, first, "rtfx", v, true);
}

/* One object per group with the keys of vLLM's result JSON, then ours. */
static void
emit_vllm(struct out_ctx *c, const struct group *g)
{
	const struct opts *o = c->o;
	struct ve_buf *b = &c->b;
	bool first = true;
	double v;
	unsigned long long n;
	char word[STAT_NAME], name[STAT_NAME], key[STAT_NAME];

	vllm_setup(c, g, &first);
	vllm_counts(c, g, &first);
	for (int m = 0; m < M_N; m++)
		for (size_t k = 0; metric_shown(o, g, m) && k < NSTATS(o); k++) {
			stat_names(o, m, k, word, name, key);
			if (figure_value(g, o, name, &v, &n))
				key_num(b, &first, key, v, true);
		}
	key_num(b, &first, "success_rate", g->fig[FIG_SUCCESS], false);
	ve_buf_adds(b, ",\"failures\":{");
	for (size_t i = 0; i < g->nfail; i++) {
		if (i)
			ve_buf_addc(b, ',');
		ve_buf_add_json_str(b, g->fail[i].kind, strlen(g->fail[i].kind));
		ve_buf_addf(b, ":%llu", g->fail[i].n);
	}
	ve_buf_addc(b, '}');
	if (c->pricing) {
		struct costs k = costs_of(g, c->pricing);
		key_num(b, &first, "cost_total", k.total, false);
		key_num(b, &first, "cost_per_request", k.per_request, false);
		key_num(b, &first, "cost_per_1k_tokens", k.per_1k_tokens, false);
		ve_buf_adds(b, ",\"currency\":");
		ve_buf_add_json_str(b, c->pricing->currency, strlen(c->pricing->currency));
	}
	if (c->grades)
		ve_buf_addf(b, ",\"grade\":\"%c\"", g->grade);
	ve_buf_adds(b, ",\"labels\":");
	ve_json_dump(g->labels, b);
	ve_buf_addc(b, '}');
	ve_out_line(b->p, b->len);
	ve_buf_reset(b);
}

/* Python's "{s:{c}^{n}}".format(): centred, the odd pad character on the right. */
static void
centred(struct ve_buf *b, const char *s, char fill, int width)
{
	int len = (int)strlen(s), pad = width > len ? width - len : 0;

	for (int i = 0; i < pad / 2; i++)
		ve_buf_addc(b, fill);
	ve_buf_adds(b, s);
	for (int i = 0; i < pad - pad / 2; i++)
		ve_buf_addc(b, fill);
	ve_buf_addc(b, '\n');
}

/*
 * "{:<40} {:<10.2f}", "{:<40} {:<10}" for integers (prec 0), six decimals
 * for costs; "n/a" for no number.
 */
static void
table_line(struct ve_buf *b, const char *label, double v, int prec)
{
	if (isfinite(v))
		ve_buf_addf(b, "%-40s %-10.*f\n", label, prec, v);
	else
		ve_buf_addf(b, "%-40s %-10s\n", label, "n/a");
}

/*
 * A figure for the table: 0 where the group has none, as vLLM prints an
 * empty set; NAN ("n/a") where it is not a finite number.
 */
static double
table_figure(const struct out_ctx *c, const struct group *g, const char *name)
{
	double v;
	unsigned long long n;

	if (!figure_raw(g, c->o, name, &v, &n))
		return 0;
	return isfinite(v) ? v : NAN;
}

/* The table's request section, line for line as vLLM prints it. */
static void
table_requests(struct out_ctx *c, const struct group *g)
{
	const struct opts *o = c->o;
	struct ve_buf *b = &c->b;
	double v;

	table_line(b, "Successful requests:", table_figure(c, g, "completed"), 0);
	table_line(b, "Failed requests:", table_figure(c, g, "failed"), 0);
	/* vLLM prints these two only when set; a result file may say them. */
	if ((v = (double)o->max_concurrency) > 0 || stored_value(g, o, "max_concurrency", &v))
		table_line(b, "Maximum request concurrency:", v, 0);
	if ((v = o->request_rate) > 0 || stored_value(g, o, "request_rate", &v))
		table_line(b, "Request rate configured (RPS):", v, 2);
	table_line(b, "Benchmark duration (s):", table_figure(c, g, "duration"), 2);
	table_line(b, "Total input tokens:", table_figure(c, g, "total_input_tokens"), 0);
	table_line(b, "Total generated tokens:", table_figure(c, g, "total_output_tokens"), 0);
	table_line(b, "Request throughput (req/s):", table_figure(c, g, "request_throughput"), 2);
	if (o->goodput)
		table_line(b, "Request goodput (req/s):", table_figure(c, g, "request_goodput"), 2);
	table_line(b, "Output token throughput (tok/s):", table_figure(c, g, "output_throughput"),
	           2);
	table_line(b, "Peak output token throughput (tok/s):",
	           table_figure(c, g, "max_output_tokens_per_s"), 2);
	table_line(b, "Peak concurrent requests:", table_figure(c, g, "max_concurrent_requests"),
	           2);
	table_line(
	    b, "Total Token throughput (tok/s):", table_figure(c, g, "total_token_throughput"), 2);
}

/* One metric's section: mean and median always, the percentiles the group has. */
static void
table_metric(struct out_ctx *c, const struct group *g, int m)
{
	const struct opts *o = c->o;
	double v;
	unsigned long long n;
	char label[STAT_NAME + 32], word[STAT_NAME], name[STAT_NAME], key[STAT_NAME];

	centred(&c->b, mheader[m], '-', 50);
	for (size_t k = 0; k < NSTATS(o); k++) {
		stat_names(o, m, k, word, name, key);
		if (k < 2) {
			snprintf(label, sizeof label, "%s %s (ms):", k ? "Median" : "Mean",
			         mtitle[m]);
			table_line(&c->b, label, table_figure(c, g, name), 2);
		} else if (k >= 3 && figure_raw(g, o, name, &v, &n)) {
			snprintf(label, sizeof label, "P%s %s (ms):", word + 1, mtitle[m]);
			table_line(&c->b, label, v, 2);
		}
	}
}

/* What is not vLLM's: the success rate and failures by kind, costs, the grade. */
static void
table_outcome(struct out_ctx *c, const struct group *g)
{
	struct ve_buf *b = &c->b;
	char label[96];

	if (g->failed || c->pricing || c->grades)
		centred(b, "Outcome", '-', 50);
	if (g->failed) {
		table_line(b, "Success rate (%):", 100 * g->fig[FIG_SUCCESS], 2);
		for (size_t i = 0; i < g->nfail; i++) {
			snprintf(label, sizeof label, "Failed (%s):", g->fail[i].kind);
			table_line(b, label, (double)g->fail[i].n, 0);
		}
	}
	if (c->pricing) {
		struct costs k = costs_of(g, c->pricing);
		snprintf(label, sizeof label, "Cost per request (%s):", c->pricing->currency);
		table_line(b, label, k.per_request, 6);
		snprintf(label, sizeof label, "Cost per 1k tokens (%s):", c->pricing->currency);
		table_line(b, label, k.per_1k_tokens, 6);
	}
	if (c->grades)
		ve_buf_addf(b, "%-40s %-10c\n", "Grade:", g->grade);
}

/* vLLM's result table; with --by each group's is headed by its labels. */
static void
emit_table(struct out_ctx *c, const struct group *g, bool title)
{
	struct ve_buf *b = &c->b;

	if (title) {
		ve_buf_adds(b, "Group: ");
		ve_json_dump(g->labels, b);
		ve_buf_addc(b, '\n');
	}
	centred(b, " Serving Benchmark Result ", '=', 50);
	table_requests(c, g);
	for (int m = 0; m < M_N; m++)
		if (metric_shown(c->o, g, m))
			table_metric(c, g, m);
	table_outcome(c, g);
	centred(b, "", '=', 50);
	ve_out_write(b->p, b->len);
	ve_buf_reset(b);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void
prom_labels(struct ve_buf *b, const struct group *g, const char *stat)
{
	bool first = true;
	int it = jv_object_iter(g->labels);

	ve_buf_addc(b, '{');
	while (jv_object_iter_valid(g->labels, it)) {
		jv k = jv_object_iter_key(g->labels, it);
		jv v = jv_object_iter_value(g->labels, it);
		const char *ks = jv_string_value(k);
		if (is_name(ks)) {
			struct ve_buf val = {0};
			if (jv_get_kind(v) == JV_KIND_STRING)
				ve_buf_adds(&val, jv_string_value(v));
			else
				ve_json_dump(v, &val);
			ve_buf_addf(b, "%s%s=\"", first ? "" : ",", ks);
			for (size_t i = 0; i < val.len; i++) {
				char ch = val.p[i];
				if (ch == '\\' || ch == '"')
					ve_buf_addc(b, '\\'), ve_buf_addc(b, ch);
				else if (ch == '\n')
					ve_buf_adds(b, "\\n");
				else
					ve_buf_addc(b, ch);
			}
			ve_buf_addc(b, '"');
			ve_buf_free(&val);
			first = false;
		}
		jv_free(k);
		jv_free(v);
		it = jv_object_iter_next(g->labels, it);
	}
	if (stat)
		ve_buf_addf(b, "%sstat=\"%s\"", first ? "" : ",", stat);
	ve_buf_addc(b, '}');
}

/* One sample line: METRIC{labels} VALUE; none for a value that is not a finite number. */
static void
prom_sample(struct ve_buf *b, const char *metric, const struct group *g, const char *stat, double v)
{
	if (!isfinite(v))
		return;
	ve_buf_adds(b, metric);
	prom_labels(b, g, stat);
	ve_buf_addc(b, ' ');
	add_num(b, v);
	ve_buf_addc(b, '\n');
}

/* One latency family, in seconds (Prometheus's base unit), its statistics as a label. */
static void
prom_metric(struct out_ctx *c, struct group **gs, size_t ngroups, int m)
{
	const struct opts *o = c->o;
	struct ve_buf *b = &c->b;
	double v;
	unsigned long long n;
	char family[64], word[STAT_NAME], name[STAT_NAME], key[STAT_NAME];

	snprintf(family, sizeof family, "vllm_eval_%s_seconds", mname[m]);
	ve_buf_addf(b, "# HELP %s %s, as vLLM's benchmark defines it.\n", family, mheader[m]);
	ve_buf_addf(b, "# TYPE %s gauge\n", family);
	for (size_t i = 0; i < ngroups; i++) {
		if (m == M_QUEUE && !gs[i]->sum[m].n)
			continue;
		for (size_t k = 0; k < NSTATS(o); k++) {
			stat_names(o, m, k, word, name, key);
			if (figure_value(gs[i], o, name, &v, &n))
				prom_sample(b, family, gs[i], word, v / 1000);
		}
	}
}

/*
 * Prometheus text: one gauge family per figure, every group a sample;
 * latencies in seconds with a stat label.
 */
static void
emit_prom(struct out_ctx *c, struct group **gs, size_t ngroups)
{
	const struct opts *o = c->o;
	struct ve_buf *b = &c->b;
	double v;
	unsigned long long n;

	for (size_t f = 0; f < FIG_N; f++) {
		if (!figure_wanted(o, &figures[f]))
			continue;
		ve_buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", figures[f].prom, figures[f].help,
		            figures[f].prom);
		for (size_t i = 0; i < ngroups; i++)
			if (figure_value(gs[i], o, figures[f].name, &v, &n))
				prom_sample(b, figures[f].prom, gs[i], NULL, v);
	}
	for (int m = 0; m < M_N; m++) {
		bool any = false;
		for (size_t i = 0; i < ngroups; i++)
			any |= metric_shown(o, gs[i], m);
		if (any)
			prom_metric(c, gs, ngroups, m);
	}
	if (c->grades) {
		ve_buf_adds(b, "# HELP vllm_eval_grade Grade from the threshold table: 3 A, 2 B, 1 "
		               "C.\n# TYPE vllm_eval_grade gauge\n");
		for (size_t i = 0; i < ngroups; i++)
			prom_sample(b, "vllm_eval_grade", gs[i], NULL, 'D' - gs[i]->grade);
	}
	if (c->pricing) {
		ve_buf_adds(b, "# HELP vllm_eval_cost_per_request Cost of one successful "
		               "request.\n# TYPE vllm_eval_cost_per_request gauge\n");
		for (size_t i = 0; i < ngroups; i++)
			prom_sample(b, "vllm_eval_cost_per_request", gs[i], NULL,
			            costs_of(gs[i], c->pricing).per_request);
	}
	ve_out_write(b->p, b->len);
	ve_buf_reset(b);
}

/* --- main loop --- */

/* What the records are read into: the groups, and scratch space reused per record. */
struct reading {
	const struct opts *o;
	struct groups gs;
	struct ve_jq *by;
	bool raw; /* the reader hands out lines: try the fast scanner first */
	struct ve_sample itl;
	struct qrec q;
	struct ve_buf key;
	unsigned long long records;
};

/*
 * The group a record (borrowed) belongs to, or NULL with *why set to why
 * not (a string the caller frees).
 */
static struct group *
record_group(struct reading *st, jv rec, jv *why)
{
	if (!st->by)
		return st->gs.n ? st->gs.v[0] : groups_get(&st->gs, "", jv_object(), st->o);
	jv v = ve_jq_first(st->by, jv_copy(rec));
	if (!jv_is_valid(v)) {
		/* ve_jq_first's message names --by already; without one there was no output. */
		*why = jv_invalid_get_msg(v);
		if (jv_get_kind(*why) != JV_KIND_STRING) {
			jv_free(*why);
			*why = jv_string("--by: no value");
		}
		return NULL;
	}
	ve_buf_reset(&st->key);
	ve_json_canon(v, &st->key);
	jv labels = jv_get_kind(v) == JV_KIND_OBJECT
	                ? jv_copy(v)
	                : JV_OBJECT(jv_string(st->o->by_label), jv_copy(v));
	jv_free(v);
	return groups_get(&st->gs, st->key.p, labels, st->o);
}

/*
 * Each vLLM result (one per line: --append-result adds lines) is a group of
 * its own, labelled with the file's label (as the scenario), model and date.
 */
static struct group *
vllm_group(struct reading *st, jv rec)
{
	static const char *const keys[][2] = {
	    {"label", "scenario"}, {"model_id", "model_id"}, {"date", "date"}};
	jv labels = jv_object();

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		jv v = ve_json_get(rec, keys[i][0]);
		if (jv_get_kind(v) == JV_KIND_STRING)
			labels = jv_object_set(labels, jv_string(keys[i][1]), v);
		else
			jv_free(v);
	}
	return groups_add(&st->gs, "", labels, st->o);
}

/*
 * Adds one record to its group. Returns NULL, or why the record is bad; a
 * reason that is a message of libjq's lives in *msg, which the caller frees.
 */
static const char *
add_record(struct reading *st, struct ve_rec *rec, jv *msg)
{
	const char *why = NULL;
	struct group *g;

	if (st->raw) {
		if (qrec_scan(rec->line.text, rec->line.len, &st->q, &st->itl))
			return add_qrec(record_group(st, jv_null(), msg), st->o, &st->q, &st->itl);
		rec->value = ve_record_parse(rec->line.text, rec->line.len);
		if (!jv_is_valid(rec->value)) {
			*msg = jv_invalid_get_msg(rec->value);
			rec->value = jv_null();
			return jv_string_value(*msg);
		}
	}
	if (st->o->from == FROM_VLLM) {
		g = vllm_group(st, rec->value);
		if ((why = add_vllm_record(g, st->o, rec->value, &st->itl)))
			drop_newest_group(&st->gs);
	} else if ((g = record_group(st, rec->value, msg))) {
		qrec_from_jv(rec->value, &st->q, &st->itl);
		why = add_qrec(g, st->o, &st->q, &st->itl);
	} else {
		why = jv_string_value(*msg);
	}
	jv_free(rec->value);
	return why;
}

/* Reads every record into its group: 0, or the exit status to stop with. */
static int
read_records(struct reading *st, struct ve_reader *rd)
{
	struct ve_rec rec;
	int r;

	while ((r = ve_reader_next(rd, &rec)) == 1) {
		jv msg = jv_null();
		const char *why = add_record(st, &rec, &msg);
		int rc = why ? ve_reader_reject(rd, &rec, why) : 0;
		jv_free(msg);
		if (rc)
			return rc;
		st->records += !why;
	}
	return r;
}

/* The --grade and --pricing tables: 0, or the exit status after a message. */
static int
load_tables(const struct opts *o, struct grades *grades, struct pricing *pricing)
{
	int rc = 0;

	if (o->grade_path && (rc = load_grades(o->grade_path, grades)))
		return rc;
	if (o->pricing_path)
		rc = load_pricing(o->pricing_path, pricing);
	return rc;
}

/*
 * Says on stderr which of the group's figures no output has, being no
 * finite number: a rate over a duration of 0, peaks over too long a span,
 * a figure that overflows (see lat-stats(1), Figures that are left out).
 */
static void
warn_left_out(const struct group *g, const struct opts *o, const struct pricing *pricing)
{
	static const char range[] = "beyond a double's range";
	char word[STAT_NAME], name[STAT_NAME], key[STAT_NAME];
	double v;
	unsigned long long n;

	for (int i = 0; i < FIG_N; i++)
		if (figure_wanted(o, &figures[i]) && figure_raw(g, o, figures[i].name, &v, &n) &&
		    !isfinite(v))
			ve_warn(
			    "%s: %s left out: %s", g->scenario, figures[i].name,
			    i == FIG_PEAK_TPS && isnan(v) ? "the requests span over 10^8 seconds"
			    : i >= FIG_REQ_TPUT && i <= FIG_TOT_TPUT && g->fig[FIG_DURATION] == 0
			        ? "a rate over a duration of 0 s"
			        : range);
	for (int m = 0; m < M_N; m++)
		for (size_t k = 0; metric_shown(o, g, m) && k < NSTATS(o); k++) {
			stat_names(o, m, k, word, name, key);
			if (figure_raw(g, o, name, &v, &n) && !isfinite(v))
				ve_warn("%s: %s left out: %s", g->scenario, name, range);
		}
	if (pricing) {
		struct costs k = costs_of(g, pricing);
		const double cv[] = {k.total, k.per_request, k.per_1k_tokens};
		const char *const cn[] = {"cost.total", "cost.per_request", "cost.per_1k_tokens"};
		for (size_t i = 0; i < 3; i++)
			if (!isfinite(cv[i]))
				ve_warn("%s: %s left out: %s", g->scenario, cn[i], range);
	}
}

static int
group_cmp(const void *a, const void *b)
{
	return strcmp((*(struct group *const *)a)->key, (*(struct group *const *)b)->key);
}

/*
 * Computes each group's figures (and grade), warns about what they had to
 * assume or leave out, and returns the time rows are stamped with: the
 * benchmark's start, so that a rerun gives the same rows, else now.
 */
static time_t
finish_groups(struct groups *gs, const struct opts *o, const struct grades *grades,
              const struct pricing *pricing)
{
	double first = 0;
	bool have_first = false;

	if (!gs->n)
		groups_get(gs, "", jv_object(), o);
	/*
	 * Groups in the order of their --by values (canonical JSON), not of
	 * their first records: the same for any order of the records. The
	 * index by key is not used after reading.
	 */
	qsort(gs->v, gs->n, sizeof *gs->v, group_cmp);
	for (size_t i = 0; i < gs->n; i++) {
		struct group *g = gs->v[i];
		compute(g, o);
		if (o->grade_path)
			grade(g, o, grades);
		if (g->have_times && g->scale == 1 && (!have_first || g->first_start < first))
			first = g->first_start, have_first = true;
		if (g->no_usage && !o->cli.quiet)
			ve_warn("%s: %llu successful request%s without usage.completion_tokens: "
			        "output tokens counted as token chunks (fewer when chunks bundle "
			        "tokens)",
			        g->scenario, g->no_usage, g->no_usage == 1 ? "" : "s");
		if (g->no_prompt && !o->cli.quiet)
			ve_warn("%s: %llu successful request%s without usage.prompt_tokens: "
			        "counted as 0 input tokens",
			        g->scenario, g->no_prompt, g->no_prompt == 1 ? "" : "s");
		if (!o->cli.quiet)
			warn_left_out(g, o, pricing);
	}
	return have_first ? (time_t)first : time(NULL);
}

/* Writes every group in the chosen format. */
static void
emit(struct out_ctx *c, const struct reading *st, time_t stamp)
{
	struct tm tm;

	c->stamp = stamp;
	strftime(c->meta.ts, sizeof c->meta.ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&stamp, &tm));
	if (c->o->format == FMT_PROM) {
		emit_prom(c, st->gs.v, st->gs.n);
		return;
	}
	for (size_t i = 0; i < st->gs.n; i++) {
		/* A vLLM result's rows keep its date. */
		time_t t = st->gs.v[i]->dated ? st->gs.v[i]->date : stamp;
		strftime(c->meta.ts, sizeof c->meta.ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		if (c->o->format == FMT_ROWS)
			emit_rows(c, st->gs.v[i]);
		else if (c->o->format == FMT_VLLM)
			emit_vllm(c, st->gs.v[i]);
		else
			emit_table(c, st->gs.v[i], st->by != NULL);
	}
}

/* With -v: how many records were read, and what became of them. */
static void
report_counts(const struct reading *st)
{
	unsigned long long ok = 0, failed = 0, cached = 0;
	const struct groups *gs = &st->gs;
	char cb[64] = "";

	for (size_t i = 0; i < gs->n; i++) {
		ok += gs->v[i]->completed;
		failed += gs->v[i]->failed;
		cached += gs->v[i]->cached;
	}
	if (cached)
		snprintf(cb, sizeof cb, ", %llu cached (no timings, not counted)", cached);
	ve_warn("read %llu records: %llu successful, %llu failed%s, %zu group%s", st->records, ok,
	        failed, cb, gs->n, gs->n == 1 ? "" : "s");
}

/*
 * Reads the records, then writes the figures. The reader is freed before
 * anything else is said, so that its progress line is ended and its count
 * of skipped records comes first.
 */
static int
run(const struct opts *o, char **files, int nfiles)
{
	struct reading st = {.o = o, .raw = !o->by_expr && o->from == FROM_QUERY};
	struct grades grades = {0};
	struct pricing pricing = {0};
	struct out_ctx c = {.o = o, .meta = {.run_id = o->run_id, .model_tag = o->model_tag}};
	char *tables[] = {(char *)o->grade_path, (char *)o->pricing_path};
	struct ve_reader *rd;
	int rc, rc2;

	/* The reader refuses a --rejects file that is a FILE; the tables are inputs too. */
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
		if (tables[i])
			ve_refuse_input_as_output("--rejects", o->cli.rejects, &tables[i], 1);
	rd = ve_reader_new(files, nfiles, &o->cli, st.raw ? VE_READ_RAW : 0);

	if (!(rc = load_tables(o, &grades, &pricing))) {
		if (o->by_expr)
			st.by = ve_jq_compile("--by", o->by_expr);
		rc = read_records(&st, rd);
	}
	rc2 = ve_reader_free(rd);
	if (!rc) {
		time_t stamp = finish_groups(&st.gs, o, &grades, o->pricing_path ? &pricing : NULL);
		c.grades = o->grade_path ? &grades : NULL;
		c.pricing = o->pricing_path ? &pricing : NULL;
		emit(&c, &st, stamp);
		if (o->cli.verbose)
			report_counts(&st);
	}
	ve_jq_free(st.by);
	groups_free(&st.gs);
	ve_sample_free(&st.itl);
	ve_buf_free(&st.key);
	ve_buf_free(&c.b);
	for (size_t i = 0; i < grades.n; i++)
		free(grades.t[i].figure);
	free(grades.t);
	free(pricing.currency);
	return rc ? rc : rc2;
}

/*
 * lat-stats reads llm-query records (or vLLM's result files) from FILEs or
 * stdin, groups them, and writes each group's figures to stdout as metric
 * rows, vLLM result objects, vLLM's table or Prometheus text; warnings and
 * counts go to stderr. See lat-stats(1).
 */
int
main(int argc, char **argv)
{
	struct opts o = {0};

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	return ve_out_finish(run(&o, argv + optind, argc - optind));
}
