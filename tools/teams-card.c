/*
 * teams-card — the release report as a Microsoft Teams Adaptive Card.
 *
 * Reads verdict rows (reg-check, vllm-eval(7)) or plain metric rows and
 * builds the message a Power Automate Workflows webhook takes: an envelope
 * {"type":"message","attachments":[...]} around an Adaptive Card of version
 * 1.4. The card has a title with the model tag and the outcome, the run id
 * and time, a FactSet of the metrics (value, baseline, delta with ▲/▼), a
 * section on the regressions, @mentions (msteams.entities) when something
 * regressed, and OpenUrl actions. It is kept under --max-bytes (20 KB) by
 * listing fewer metrics and saying how many more there are.
 *
 * When reg-check wrote its release row ({"metric":"release",...}), that row
 * alone decides the outcome: the card leads with the release verdict and
 * its findings, and the verdict rows follow as detail, a regression that
 * does not gate marked as such. Without one (older verdict files, plain
 * metric rows) every regression and every gating missing metric counts.
 *
 * Without a webhook the envelope is written to stdout as one line. With
 * --post URL or TEAMS_WEBHOOK_URL it is posted, retried as every network
 * tool retries (vllm-eval(7) NETWORK: no answer, 408, 429, 5xx, with
 * Retry-After honoured); 200 and 202 are success. The URL is a secret: it
 * never appears in a message, nor do its tokens when the webhook echoes them.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "http.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "reader.h"

struct pair {
	const char *name;
	size_t nlen;
	const char *value;
};

struct opts {
	struct ve_cli cli;
	const char *model_tag;
	const char *run_id;
	const char *time;
	struct pair *mentions;
	int nmentions;
	struct pair *links;
	int nlinks;
	long max_facts;
	long max_bytes;
	const char *post;
	bool print;
};

/* The webhook's retry policy (the network group, lib/cli.h): its defaults. */
static const struct ve_cli_net net_defaults = {
    .retries = 4, .timeout = 30, .backoff = 1, .max_wait = 60};

/* One input row as the card shows it. */
struct mrow {
	char *metric; /* with " [subset]" when the row has labels.subset */
	double value; /* NAN for a missing metric */
	double baseline, delta_pct, p;
	char *status; /* NULL for a plain metric row */
	bool missing; /* status missing: the run lacks the metric */
	/* Counts against the release: a regression, or missing where it gates
	   (reg-check's "gates", true when absent; false with --allow-missing). */
	bool against;
	/* A regression that does not gate, shown as detail under a release
	   row (why in note, when the row says); false without a release row. */
	bool detail;
	/* status incomparable: its task's version changed (what, in note) */
	bool incomparable;
	char *task; /* labels.task, else the metric's first component; for incomparable rows */
	char *note;
};

/* One finding of the release row: a row that turned the release red. */
struct finding {
	char *metric;                             /* with " [subset]" or " [scenario]" */
	double value, baseline, delta_pct, p_adj; /* value NAN when missing */
	char *test;                               /* the test's name; NULL for none */
	bool missing;
};

/* reg-check's release row (vllm-eval(7)): when present, it decides. */
struct release {
	bool present;
	bool regression; /* status regression; else ok */
	char *rule, *adjust;
	double alpha, gated; /* NAN when absent or null */
	struct finding *f;
	size_t nf;
};

struct report {
	struct mrow *v;
	size_t n, cap;
	char *model_tag, *run_id, *ts;
	size_t regressions, missing; /* both count against the release */
	bool red;                    /* the release failed (settle) */
	struct release rel;
	struct ve_buf why; /* the reason a release row is bad, while it is reported */
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] [--model-tag TAG] [--run-id ID] [--time TS]\n"
	    "                  [--mention NAME=UPN]... [--link TITLE=URL]... [--max-facts N]\n"
	    "                  [--max-bytes N] [--post URL | --print] [--retries N]\n"
	    "                  [--backoff S] [--max-wait S] [--timeout S] [--max-body BYTES]\n"
	    "                  [--insecure] [--skip-bad] [--rejects FILE] [--max-line BYTES]\n"
	    "                  [FILE...]\n"
	    "\n"
	    "Build the release report card (Adaptive Card 1.4 in a Teams Workflows message)\n"
	    "from verdict or metric rows; print it, or post it to the webhook.\n"
	    "\n"
	    "      --model-tag TAG      model tag in the title (default: the rows')\n"
	    "      --run-id ID          run id (default: the rows')\n"
	    "      --time TS            run time, YYYY-MM-DDTHH:MM:SSZ (default: the rows' ts,\n"
	    "                           else now)\n"
	    "      --mention NAME=UPN   @mention NAME when the release failed (repeatable)\n"
	    "      --link TITLE=URL     a button opening URL (repeatable)\n"
	    "      --max-facts N        metrics listed before \"and N more\" (default 10)\n"
	    "      --max-bytes N        size limit of the message (default 20000)\n"
	    "      --post URL           post to this webhook (default TEAMS_WEBHOOK_URL)\n"
	    "      --print              print even when TEAMS_WEBHOOK_URL is set\n",
	    ve_progname);
	ve_cli_help_net(f, VE_CLI_NETWORK, &net_defaults, 27);
	ve_cli_help(f, VE_CLI_RECORDS, 27);
	fprintf(f, "\n"
	           "With -v, each retry and the webhook's answer go to stderr.\n"
	           "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 69 the webhook failed,\n"
	           "73 cannot create, 74 I/O error. See teams-card(1).\n");
}

enum {
	OPT_MODEL_TAG = 256,
	OPT_RUN_ID,
	OPT_TIME,
	OPT_MENTION,
	OPT_LINK,
	OPT_MAX_FACTS,
	OPT_MAX_BYTES,
	OPT_POST,
	OPT_PRINT,
};

/* Splits "NAME=VALUE" (both non-empty) for option opt. */
static void
add_pair(const char *opt, const char *arg, struct pair **v, int *n)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1])
		ve_usage_error("%s: expected NAME=VALUE, got '%s'", opt, arg);
	*v = ve_xrealloc(*v, sizeof **v * (size_t)(*n + 1));
	(*v)[(*n)++] = (struct pair){arg, (size_t)(eq - arg), eq + 1};
}

/* The checks across options, and the webhook from the environment. */
static void
check_args(struct opts *o)
{
	long long t;

	if (o->time && !ve_parse_time(o->time, &t))
		ve_usage_error("--time: expected YYYY-MM-DDTHH:MM:SSZ, got '%s'", o->time);
	if (o->post && o->print)
		ve_usage_error("--post and --print cannot be used together");
	const char *from = "--post";
	if (!o->post && !o->print) {
		const char *env = getenv("TEAMS_WEBHOOK_URL");
		if (env && *env)
			o->post = env;
		from = "TEAMS_WEBHOOK_URL";
	}
	/* The URL is a secret: the message does not repeat it. */
	if (o->post)
		ve_http_need_url(from, o->post, false);
	for (int i = 0; i < o->nlinks; i++)
		if (strncmp(o->links[i].value, "https://", 8) != 0 &&
		    strncmp(o->links[i].value, "http://", 7) != 0)
			ve_usage_error("--link: %.*s: the URL must start with http:// or https://",
			               (int)o->links[i].nlen, o->links[i].name);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"model-tag", required_argument, NULL, OPT_MODEL_TAG},
	    {"run-id", required_argument, NULL, OPT_RUN_ID},
	    {"time", required_argument, NULL, OPT_TIME},
	    {"mention", required_argument, NULL, OPT_MENTION},
	    {"link", required_argument, NULL, OPT_LINK},
	    {"max-facts", required_argument, NULL, OPT_MAX_FACTS},
	    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
	    {"post", required_argument, NULL, OPT_POST},
	    {"print", no_argument, NULL, OPT_PRINT},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.cli = {.flags = VE_CLI_RECORDS | VE_CLI_NETWORK, .net = net_defaults},
	                   .max_facts = 10,
	                   .max_bytes = 20000};
	while ((c = ve_getopt(argc, argv, "", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case OPT_MODEL_TAG: o->model_tag = optarg; break;
		case OPT_RUN_ID: o->run_id = optarg; break;
		case OPT_TIME: o->time = optarg; break;
		case OPT_MENTION: add_pair("--mention", optarg, &o->mentions, &o->nmentions); break;
		case OPT_LINK: add_pair("--link", optarg, &o->links, &o->nlinks); break;
		case OPT_MAX_FACTS:
			o->max_facts = ve_opt_long("--max-facts", optarg, 0, 1000);
			break;
		case OPT_MAX_BYTES:
			o->max_bytes = ve_opt_long("--max-bytes", optarg, 2000, 1000000);
			break;
		case OPT_POST: o->post = optarg; break;
		case OPT_PRINT: o->print = true; break;
		}
	}
	check_args(o);
}

/*
 * rec[key] (rec borrowed) into *d, NAN unless it is a number: 1 a number,
 * 0 absent or null, -1 anything else.
 */
static int
field(jv rec, const char *key, double *d)
{
	jv v = ve_json_get(rec, key);
	jv_kind k = jv_get_kind(v);

	*d = k == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	return k == JV_KIND_NUMBER ? 1 : k == JV_KIND_INVALID || k == JV_KIND_NULL ? 0 : -1;
}

/*
 * Takes the row's value into m, or says why the row cannot be shown: a
 * metric row needs a number value (a missing one has none), and a
 * standard error and a count, when given, from 0 (as ch-insert checks).
 */
static const char *
take_figures(jv rec, bool missing, struct mrow *m)
{
	double d;
	int k = field(rec, "value", &m->value);

	if (missing)
		m->value = NAN;
	if (k != 1 && !(missing && k == 0))
		return "row without a number \"value\"";
	if (field(rec, "stderr", &d) && !(d >= 0))
		return "\"stderr\" must be a non-negative number";
	if (field(rec, "n", &d) && !(d >= 0 && d == floor(d)))
		return "\"n\" must be a count (an integer from 0)";
	return NULL;
}

/*
 * name (taken) with " [subset]" when rec (borrowed) has labels.subset; with
 * or_scenario, else " [scenario]" when labels.scenario is not already part
 * of the name (perf.SCENARIO.ttft_ms.p95 says it).
 */
static char *
labelled(jv rec, char *name, bool or_scenario)
{
	jv labels = ve_json_get(rec, "labels");
	jv l = ve_json_get(labels, "subset");

	if (or_scenario && jv_get_kind(l) != JV_KIND_STRING) {
		jv_free(l);
		l = ve_json_get(labels, "scenario");
		if (jv_get_kind(l) == JV_KIND_STRING && strstr(name, jv_string_value(l))) {
			jv_free(l);
			l = jv_null();
		}
	}
	if (jv_get_kind(l) == JV_KIND_STRING) {
		struct ve_buf b = {0};
		ve_buf_addf(&b, "%s [%s]", name, jv_string_value(l));
		free(name);
		name = b.p;
	}
	jv_free(l);
	jv_free(labels);
	return name;
}

/*
 * Finding number i of the release row (f borrowed) into out, or why it is
 * bad (written into why): an object with a string metric and a number
 * value (none, or null, when its status is missing); baseline, delta_pct
 * and p_adjusted numbers or null; test a string or null.
 */
static const char *
take_finding(jv f, size_t i, struct finding *out, struct ve_buf *why)
{
	static const char *const figures[] = {"value", "baseline", "delta_pct", "p_adjusted"};
	double *at[] = {&out->value, &out->baseline, &out->delta_pct, &out->p_adj};
	char *name = ve_json_get_str(f, "metric");
	char *status = ve_json_get_str(f, "status");
	jv_kind test = ve_json_get_kind(f, "test");
	const char *bad = NULL;

	*out = (struct finding){.missing = status && strcmp(status, "missing") == 0};
	free(status);
	for (size_t k = 0; k < 4 && !bad; k++) {
		int got = field(f, figures[k], at[k]);
		if (got < 0 || (k == 0 && got == 0 && !out->missing))
			bad = figures[k];
	}
	ve_buf_reset(why);
	if (!name)
		ve_buf_addf(why, "release row: finding %zu: \"metric\" must be a string", i);
	else if (bad)
		ve_buf_addf(why, "release row: finding %zu: \"%s\" must be a number", i, bad);
	else if (test != JV_KIND_STRING && test != JV_KIND_NULL && test != JV_KIND_INVALID)
		ve_buf_addf(why, "release row: finding %zu: \"test\" must be a string", i);
	if (why->len) {
		free(name);
		return why->p;
	}
	if (out->missing)
		out->value = NAN;
	out->test = ve_json_get_str(f, "test");
	if (out->test && strcmp(out->test, "none") == 0) {
		free(out->test);
		out->test = NULL;
	}
	out->metric = labelled(f, name, true);
	return NULL;
}

static void
findings_free(struct finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].metric);
		free(f[i].test);
	}
	free(f);
}

/* The release row's findings (rec borrowed) into r; NULL or why they are bad. */
static const char *
take_findings(jv rec, struct release *r, struct ve_buf *why)
{
	jv fs = ve_json_get(rec, "findings");
	const char *bad = NULL;
	size_t n = 0;

	if (jv_get_kind(fs) != JV_KIND_ARRAY) {
		jv_free(fs);
		return "release row: \"findings\" must be an array";
	}
	n = (size_t)jv_array_length(jv_copy(fs));
	r->f = ve_xrealloc(NULL, sizeof *r->f * (n ? n : 1));
	for (r->nf = 0; r->nf < n; r->nf++) {
		jv f = jv_array_get(jv_copy(fs), (int)r->nf);
		bad = take_finding(f, r->nf + 1, &r->f[r->nf], why);
		jv_free(f);
		if (bad)
			break;
	}
	jv_free(fs);
	return bad;
}

/* Takes reg-check's release row (borrowed) into rp->rel; NULL or why it cannot. */
static const char *
take_release(jv rec, struct report *rp)
{
	struct release r = {0};
	char *status = ve_json_get_str(rec, "status");
	const char *bad = NULL;

	if (rp->rel.present)
		bad = "a second release row";
	else if (!status || (strcmp(status, "ok") != 0 && strcmp(status, "regression") != 0))
		bad = "release row: \"status\" must be \"ok\" or \"regression\"";
	else if (field(rec, "gated", &r.gated) < 0 || !(isnan(r.gated) || r.gated >= 0))
		bad = "release row: \"gated\" must be a count";
	else
		bad = take_findings(rec, &r, &rp->why);
	r.regression = status && strcmp(status, "regression") == 0;
	free(status);
	if (bad) {
		findings_free(r.f, r.nf);
		return bad;
	}
	field(rec, "alpha", &r.alpha);
	r.rule = ve_json_get_str(rec, "rule");
	r.adjust = ve_json_get_str(rec, "adjust");
	r.present = true;
	rp->rel = r;
	return NULL;
}

/* The run's model tag, id and time, from the first row that has each. */
static void
take_run(jv rec, struct report *rp)
{
	if (!rp->model_tag)
		rp->model_tag = ve_json_get_str(rec, "model_tag");
	if (!rp->run_id)
		rp->run_id = ve_json_get_str(rec, "run_id");
	if (!rp->ts)
		rp->ts = ve_json_get_str(rec, "ts");
}

/* A row's task (rec borrowed): labels.task, else name up to its first '.'. */
static char *
row_task(jv rec, const char *name)
{
	jv labels = ve_json_get(rec, "labels");
	char *task = jv_get_kind(labels) == JV_KIND_OBJECT ? ve_json_get_str(labels, "task") : NULL;

	jv_free(labels);
	if (!task) {
		size_t n = strcspn(name, ".");
		task = ve_xmalloc(n + 1);
		memcpy(task, name, n);
		task[n] = '\0';
	}
	return task;
}

/* Takes one record (borrowed) into the report rp; NULL or why it cannot. */
static const char *
add_row(jv rec, void *ctx)
{
	struct report *rp = ctx;
	struct mrow m = {0};
	char *name = ve_json_get_str(rec, "metric");

	if (!name)
		return "row without a string \"metric\"";
	if (strcmp(name, "release") == 0) {
		free(name);
		const char *why = take_release(rec, rp);
		if (!why)
			take_run(rec, rp);
		return why;
	}
	m.status = ve_json_get_str(rec, "status");
	m.missing = m.status && strcmp(m.status, "missing") == 0;
	const char *why = take_figures(rec, m.missing, &m);
	if (why) {
		free(name);
		free(m.status);
		return why;
	}
	m.metric = labelled(rec, name, false);
	field(rec, "baseline", &m.baseline);
	field(rec, "delta_pct", &m.delta_pct);
	field(rec, "p_value", &m.p);
	bool gates = ve_json_get_kind(rec, "gates") != JV_KIND_FALSE;
	bool regression = m.status && strcmp(m.status, "regression") == 0;
	m.against = regression || (m.missing && gates);
	m.detail = regression && !gates;
	m.incomparable = m.status && strcmp(m.status, "incomparable") == 0;
	if (m.detail || m.incomparable)
		m.note = ve_json_get_str(rec, "note");
	if (m.incomparable)
		m.task = row_task(rec, name);
	rp->regressions += regression;
	rp->missing += m.missing && gates; /* reg-check --allow-missing: shown, not counted */
	take_run(rec, rp);
	rp->v = ve_grow(rp->v, &rp->cap, rp->n + 1, sizeof *rp->v);
	rp->v[rp->n++] = m;
	return NULL;
}

/*
 * Whether the release is red: its release row says so, or, without one
 * (verdict files from before reg-check wrote it), any regression or any
 * missing metric that gates. Without a release row no row is detail.
 */
static void
settle(struct report *rp)
{
	if (!rp->rel.present)
		for (size_t i = 0; i < rp->n; i++)
			rp->v[i].detail = false;
	rp->red = rp->rel.present ? rp->rel.regression : rp->regressions + rp->missing > 0;
}

static void
report_free(struct report *rp)
{
	for (size_t i = 0; i < rp->n; i++) {
		free(rp->v[i].metric);
		free(rp->v[i].status);
		free(rp->v[i].note);
		free(rp->v[i].task);
	}
	free(rp->v);
	free(rp->model_tag);
	free(rp->run_id);
	free(rp->ts);
	findings_free(rp->rel.f, rp->rel.nf);
	free(rp->rel.rule);
	free(rp->rel.adjust);
	ve_buf_free(&rp->why);
}

static void
json_str(struct ve_buf *b, const char *s)
{
	ve_buf_add_json_str(b, s, strlen(s));
}

/*
 * Appends s to t as markdown that draws as s. Teams draws a card's text and
 * facts as markdown, so a metric "x.acc [__init__]" would lose its
 * underscores to bold type, "a*b*c" turn italic, "&lt;" become "<".
 * Backslash-escaped: the characters that open inline markup anywhere
 * (\ ` * _ [ < & ~: a link needs its "[", an entity its "&"), and at the
 * start of a line those that open a block (# > =, - and + before a blank
 * or a "-", and the "." or ")" of a list number "1. ").
 */
static void
md_escape(struct ve_buf *t, const char *s)
{
	bool bol = true;

	ve_buf_add(t, "", 0); /* t.p is a string even when s is empty */
	for (; *s; s++) {
		if (bol) {
			/* a heading, a quote, a list item, a rule ("---"); not "-0.5" */
			size_t d = strspn(s, "0123456789");
			if (strchr("#>=", *s) ||
			    ((*s == '-' || *s == '+') && (strchr(" \t\n", s[1]) || s[1] == '-'))) {
				ve_buf_addc(t, '\\');
			} else if (d && d < 10 && (s[d] == '.' || s[d] == ')') &&
			           strchr(" \t\n", s[d + 1])) {
				ve_buf_add(t, s, d);
				ve_buf_addc(t, '\\');
				s += d;
			}
		}
		if (strchr("\\`*_[<&~", *s))
			ve_buf_addc(t, '\\');
		ve_buf_addc(t, *s);
		bol = *s == '\n';
	}
}

/* A TextBlock element of markdown md; extra is more "k":v fields, or "". */
static void
text_block_md(struct ve_buf *b, const char *md, const char *extra)
{
	ve_buf_adds(b, "{\"type\":\"TextBlock\",\"text\":");
	json_str(b, md);
	ve_buf_adds(b, ",\"wrap\":true");
	if (*extra)
		ve_buf_addf(b, ",%s", extra);
	ve_buf_adds(b, "}");
}

/* A TextBlock element that draws text as it is. */
static void
text_block(struct ve_buf *b, const char *text, const char *extra)
{
	struct ve_buf m = {0};

	md_escape(&m, text);
	text_block_md(b, m.p, extra);
	ve_buf_free(&m);
}

/* "(baseline 0.651, ▼ 10.9 %)", or nothing without a baseline. */
static void
add_baseline(struct ve_buf *t, const struct mrow *m)
{
	if (isnan(m->baseline))
		return;
	ve_buf_addf(t, " (baseline %.4g", m->baseline);
	if (!isnan(m->delta_pct))
		ve_buf_addf(t, ", %s %.3g %%",
		            m->delta_pct > 0   ? "\u25b2"
		            : m->delta_pct < 0 ? "\u25bc"
		                               : "=",
		            fabs(m->delta_pct));
	ve_buf_adds(t, ")");
}

/*
 * "0.58 (baseline 0.651, ▼ 10.9 %) regression", and for a regression that
 * does not gate "... regression (detail, not gating: a subset row)".
 */
static void
fact_value(struct ve_buf *t, const struct mrow *m)
{
	ve_buf_addf(t, "%.4g", m->value);
	add_baseline(t, m);
	if (m->detail)
		ve_buf_addf(t, " regression (detail, not gating%s%s)", m->note ? ": " : "",
		            m->note ? m->note : "");
	else if (m->incomparable && m->note)
		ve_buf_addf(t, " incomparable (%s)", m->note);
	else if (m->status && strcmp(m->status, "ok") != 0)
		ve_buf_addf(t, " %s", m->status);
}

/* "0.58 against 0.65 (-10.8 %), p = 2e-05" */
static void
regression_value(struct ve_buf *t, const struct mrow *m)
{
	ve_buf_addf(t, "%.4g against %.4g", m->value, m->baseline);
	if (!isnan(m->delta_pct))
		ve_buf_addf(t, " (%+.3g %%)", m->delta_pct);
	if (!isnan(m->p))
		ve_buf_addf(t, ", p = %.2g", m->p);
}

/* A fact, its title and value drawn as they are (md_escape). */
static void
fact(struct ve_buf *b, bool first, const char *title, const char *value)
{
	struct ve_buf m = {0};

	md_escape(&m, title);
	ve_buf_adds(b, first ? "{\"title\":" : ",{\"title\":");
	json_str(b, m.p);
	ve_buf_reset(&m);
	md_escape(&m, value);
	ve_buf_adds(b, ",\"value\":");
	json_str(b, m.p);
	ve_buf_addc(b, '}');
	ve_buf_free(&m);
}

/* "2 regressions, 1 missing metric": what counts against the release. */
static void
add_counts(struct ve_buf *t, const struct report *rp)
{
	if (rp->regressions)
		ve_buf_addf(t, "%zu regression%s", rp->regressions,
		            rp->regressions == 1 ? "" : "s");
	if (rp->regressions && rp->missing)
		ve_buf_adds(t, ", ");
	if (rp->missing)
		ve_buf_addf(t, "%zu missing metric%s", rp->missing, rp->missing == 1 ? "" : "s");
}

/* "1 finding among 9 gated metrics": what turned the release red, of what could have. */
static void
add_summary(struct ve_buf *t, const struct release *r)
{
	if (r->nf)
		ve_buf_addf(t, "%zu finding%s", r->nf, r->nf == 1 ? "" : "s");
	else
		ve_buf_adds(t, "no finding");
	if (!isnan(r->gated))
		ve_buf_addf(t, " among %.0f gated metric%s", r->gated, r->gated == 1 ? "" : "s");
}

/* What the mentions are told: the release verdict, or the counts without one. */
static void
mention_text(struct ve_buf *t, const struct report *rp)
{
	if (rp->rel.present) {
		ve_buf_adds(t, "the release regressed: ");
		add_summary(t, &rp->rel);
	}
	if (!rp->rel.present && rp->regressions)
		ve_buf_addf(t, "%zu metric%s fell below the rolling baseline", rp->regressions,
		            rp->regressions == 1 ? "" : "s");
	if (!rp->rel.present && rp->regressions && rp->missing)
		ve_buf_adds(t, "; ");
	if (!rp->rel.present && rp->missing)
		ve_buf_addf(t, "%zu metric%s of the baseline %s missing from this run", rp->missing,
		            rp->missing == 1 ? "" : "s", rp->missing == 1 ? "is" : "are");
	ve_buf_addc(t, '.');
}

/* The title, the run line, and the mentions when the release failed. */
static void
build_head(const struct opts *o, const struct report *rp, struct ve_buf *out)
{
	struct ve_buf t = {0};
	const char *tag = o->model_tag    ? o->model_tag
	                  : rp->model_tag ? rp->model_tag
	                                  : "unknown model";
	const char *run = o->run_id ? o->run_id : rp->run_id;
	bool empty = rp->n == 0 && !rp->rel.present;

	ve_buf_addf(&t, "%s: ", tag);
	if (rp->rel.present)
		ve_buf_adds(&t, rp->red ? "regression" : "passed");
	else if (rp->red)
		add_counts(&t, rp);
	else
		ve_buf_adds(&t, empty ? "no metrics reported" : "passed");
	text_block(out, t.p,
	           rp->red ? "\"size\":\"Large\",\"weight\":\"Bolder\",\"color\":\"Attention\""
	           : empty ? "\"size\":\"Large\",\"weight\":\"Bolder\",\"color\":\"Warning\""
	                   : "\"size\":\"Large\",\"weight\":\"Bolder\",\"color\":\"Good\"");
	ve_buf_reset(&t);
	ve_buf_addf(&t, "Run %s \u00b7 %s", run ? run : "(no run id)", o->time ? o->time : rp->ts);
	ve_buf_addc(out, ',');
	text_block(out, t.p, "\"isSubtle\":true,\"spacing\":\"None\"");
	if (rp->red && o->nmentions) {
		/* the tags as they are: Teams matches each with its entity's text */
		struct ve_buf m = {0};
		ve_buf_reset(&t);
		for (int i = 0; i < o->nmentions; i++)
			ve_buf_addf(&t, "<at>%.*s</at> ", (int)o->mentions[i].nlen,
			            o->mentions[i].name);
		mention_text(&m, rp);
		md_escape(&t, m.p);
		ve_buf_free(&m);
		ve_buf_addc(out, ',');
		text_block_md(out, t.p, "");
	}
	ve_buf_free(&t);
}

/*
 * "0.55 against 0.65 (-15.4 %), test mcnemar, adjusted p = 0.00012", or
 * "missing (baseline 0.8)".
 */
static void
finding_value(struct ve_buf *t, const struct finding *f)
{
	if (f->missing)
		ve_buf_adds(t, "missing");
	else
		ve_buf_addf(t, "%.4g", f->value);
	if (!isnan(f->baseline))
		ve_buf_addf(t, f->missing ? " (baseline %.4g)" : " against %.4g", f->baseline);
	if (!f->missing && !isnan(f->delta_pct))
		ve_buf_addf(t, " (%+.3g %%)", f->delta_pct);
	if (f->test)
		ve_buf_addf(t, ", test %s", f->test);
	if (!isnan(f->p_adj))
		ve_buf_addf(t, ", adjusted p = %.2g", f->p_adj);
}

/*
 * The release verdict: its state, what decided it (findings among the
 * gated metrics, the rule), and at most nfacts findings, then "and N more".
 */
static void
build_release(const struct release *r, long nfacts, struct ve_buf *out)
{
	struct ve_buf t = {0};
	size_t shown = r->nf < (size_t)nfacts ? r->nf : (size_t)nfacts;

	ve_buf_addf(out, ",{\"type\":\"Container\",\"style\":\"%s\",\"items\":[",
	            r->regression ? "attention" : "good");
	text_block(out, r->regression ? "Release verdict: regression" : "Release verdict: ok",
	           "\"weight\":\"Bolder\"");
	add_summary(&t, r);
	if (r->rule) {
		ve_buf_addf(&t, " (rule %s", r->rule);
		if (r->adjust)
			ve_buf_addf(&t, ", %s", r->adjust);
		if (!isnan(r->alpha))
			ve_buf_addf(&t, ", alpha %g", r->alpha);
		ve_buf_addc(&t, ')');
	}
	ve_buf_addc(out, ',');
	text_block(out, t.p, "\"isSubtle\":true,\"spacing\":\"None\"");
	if (r->nf) {
		ve_buf_adds(out, ",{\"type\":\"FactSet\",\"facts\":[");
		for (size_t i = 0; i < shown; i++) {
			ve_buf_reset(&t);
			finding_value(&t, &r->f[i]);
			fact(out, i == 0, r->f[i].metric, t.p);
		}
		if (shown < r->nf) {
			ve_buf_reset(&t);
			ve_buf_addf(&t, "and %zu more", r->nf - shown);
			fact(out, shown == 0, "\u2026", t.p);
		}
		ve_buf_adds(out, "]}");
	}
	ve_buf_adds(out, "]}");
	ve_buf_free(&t);
}

/*
 * The facts of the metrics, or of the regressions (missing metrics too):
 * at most nfacts, then "and N more" for the rest.
 */
static void
fact_list(const struct report *rp, long nfacts, bool regressions, struct ve_buf *out)
{
	struct ve_buf v = {0};
	size_t shown = 0, seen = 0;

	for (size_t i = 0; i < rp->n; i++) {
		if ((regressions && !rp->v[i].against) || seen++ >= (size_t)nfacts)
			continue;
		ve_buf_reset(&v);
		if (rp->v[i].missing) {
			/* "missing (baseline 0.8)" in either list */
			ve_buf_adds(&v, "missing");
			add_baseline(&v, &rp->v[i]);
		} else {
			(regressions ? regression_value : fact_value)(&v, &rp->v[i]);
		}
		fact(out, shown++ == 0, rp->v[i].metric, v.p);
	}
	if (shown < seen) {
		ve_buf_reset(&v);
		ve_buf_addf(&v, "and %zu more", seen - shown);
		fact(out, shown == 0, "\u2026", v.p);
	}
	ve_buf_free(&v);
}

/*
 * The metrics FactSet, and the regressions (missing metrics too) when they
 * failed the release.
 */
static void
build_facts(const struct report *rp, long nfacts, struct ve_buf *out)
{
	ve_buf_adds(out, ",{\"type\":\"TextBlock\",\"text\":\"Metrics\",\"weight\":\"Bolder\","
	                 "\"separator\":true},{\"type\":\"FactSet\",\"facts\":[");
	fact_list(rp, nfacts, false, out);
	ve_buf_adds(out, "]}");
	/* Under a release row its findings are the regressions that count. */
	if (!rp->rel.present && rp->red) {
		ve_buf_adds(out, ",{\"type\":\"Container\",\"style\":\"attention\","
		                 "\"items\":[{\"type\":\"TextBlock\",\"text\":\"Regressions\","
		                 "\"weight\":\"Bolder\"},{\"type\":\"FactSet\",\"facts\":[");
		fact_list(rp, nfacts, true, out);
		ve_buf_adds(out, "]}]}");
	}
}

/* The buttons, and the entities that make the mentions notify. */
static void
build_tail(const struct opts *o, const struct report *rp, struct ve_buf *out)
{
	if (o->nlinks) {
		ve_buf_adds(out, ",\"actions\":[");
		for (int i = 0; i < o->nlinks; i++) {
			ve_buf_addf(out, "%s{\"type\":\"Action.OpenUrl\",\"title\":", i ? "," : "");
			ve_buf_add_json_str(out, o->links[i].name, o->links[i].nlen);
			ve_buf_adds(out, ",\"url\":");
			json_str(out, o->links[i].value);
			ve_buf_addc(out, '}');
		}
		ve_buf_adds(out, "]");
	}
	ve_buf_adds(out, ",\"msteams\":{\"width\":\"Full\"");
	if (rp->red && o->nmentions) {
		struct ve_buf t = {0};
		ve_buf_adds(out, ",\"entities\":[");
		for (int i = 0; i < o->nmentions; i++) {
			ve_buf_reset(&t);
			ve_buf_addf(&t, "<at>%.*s</at>", (int)o->mentions[i].nlen,
			            o->mentions[i].name);
			ve_buf_addf(out, "%s{\"type\":\"mention\",\"text\":", i ? "," : "");
			json_str(out, t.p);
			ve_buf_adds(out, ",\"mentioned\":{\"id\":");
			json_str(out, o->mentions[i].value);
			ve_buf_adds(out, ",\"name\":");
			ve_buf_add_json_str(out, o->mentions[i].name, o->mentions[i].nlen);
			ve_buf_adds(out, "}}");
		}
		ve_buf_adds(out, "]");
		ve_buf_free(&t);
	}
	ve_buf_adds(out, "}");
}

/*
 * "3 metrics incomparable: mmlu template changed; arc_challenge shots 5 → 10":
 * the rows compared with no earlier run, their task's version having changed
 * (reg-check(1)), each task once with what changed. Not a finding: no colour
 * of alarm. Nothing when there are none.
 */
static void
build_incomparable(const struct report *rp, struct ve_buf *out)
{
	struct ve_buf t = {0};
	size_t n = 0, tasks = 0;

	for (size_t i = 0; i < rp->n; i++)
		n += rp->v[i].incomparable;
	if (!n)
		return;
	ve_buf_addf(&t, "%zu metric%s incomparable", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < rp->n; i++) {
		const struct mrow *m = &rp->v[i];
		bool seen = false;
		for (size_t j = 0; j < i && m->incomparable && !seen; j++)
			seen = rp->v[j].incomparable && !strcmp(rp->v[j].task, m->task);
		if (!m->incomparable || seen)
			continue;
		ve_buf_adds(&t, tasks++ ? "; " : ": ");
		ve_buf_adds(&t, m->task);
		if (m->note)
			ve_buf_addf(&t, " %s", m->note);
	}
	ve_buf_addc(out, ',');
	text_block(out, t.p, "\"color\":\"Warning\"");
	ve_buf_free(&t);
}

/* Builds the envelope into out, listing at most nfacts metrics and regressions. */
static void
build(const struct opts *o, const struct report *rp, long nfacts, struct ve_buf *out)
{
	ve_buf_reset(out);
	ve_buf_adds(out, "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
	                 "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,"
	                 "\"content\":{\"$schema\":\"http://adaptivecards.io/schemas/"
	                 "adaptive-card.json\",\"type\":\"AdaptiveCard\",\"version\":\"1.4\","
	                 "\"body\":[");
	build_head(o, rp, out);
	if (rp->rel.present)
		build_release(&rp->rel, nfacts, out);
	build_incomparable(rp, out);
	if (rp->n)
		build_facts(rp, nfacts, out);
	ve_buf_adds(out, "]");
	build_tail(o, rp, out);
	ve_buf_adds(out, "}}]}");
}

/* Posts the message; 0, or 69 after a message that never names the URL. */
static int
post(const struct opts *o, const struct ve_buf *msg)
{
	struct ve_http_req req = {.url = o->post, .body = msg->p, .len = msg->len};
	struct ve_http_resp resp = {0};
	struct ve_http h;
	int rc = 0;

	ve_http_init(&h);
	ve_http_add_header(&h, "Content-Type", "application/json", false);
	ve_secrets_add_url(&h.secrets, o->post);
	ve_http_configure(&h, &o->cli);
	h.what = "webhook";
	if (ve_http_send(&h, &req, &resp) != 0) {
		ve_warn("webhook: %s after %d attempt%s", resp.error, resp.attempts,
		        resp.attempts == 1 ? "" : "s");
		rc = VE_EX_UNAVAILABLE;
	} else if (resp.status != 200 && resp.status != 202) {
		/* The answer's text helps (a malformed card), less what it echoes of the URL. */
		size_t n = resp.body.len > 200 ? 200 : resp.body.len;
		while (n && (resp.body.p[n - 1] == '\n' || resp.body.p[n - 1] == '\r'))
			n--;
		struct ve_buf text = {0};
		ve_scrub(&h.secrets, resp.body.p, n, &text);
		ve_warn("webhook: HTTP %ld after %d attempt%s%s%s", resp.status, resp.attempts,
		        resp.attempts == 1 ? "" : "s", n ? ": " : "", text.p ? text.p : "");
		ve_buf_free(&text);
		rc = VE_EX_UNAVAILABLE;
	} else if (o->cli.verbose) {
		ve_warn("webhook: HTTP %ld after %d attempt%s (%zu bytes)", resp.status,
		        resp.attempts, resp.attempts == 1 ? "" : "s", msg->len);
	}
	ve_http_resp_free(&resp);
	ve_http_free(&h);
	return rc;
}

/*
 * Builds the card with as many metrics as fit --max-bytes; 0, or 65 when
 * not even the card without metrics fits.
 */
static int
fit(const struct opts *o, const struct report *rp, struct ve_buf *msg)
{
	long nfacts = o->max_facts;

	build(o, rp, nfacts, msg);
	if (msg->len > (size_t)o->max_bytes) {
		/* The size grows with the count: find the largest count that fits. */
		long lo = 0, hi = nfacts - 1;
		while (lo < hi) {
			long mid = lo + (hi - lo + 1) / 2;
			build(o, rp, mid, msg);
			if (msg->len <= (size_t)o->max_bytes)
				lo = mid;
			else
				hi = mid - 1;
		}
		nfacts = lo;
		build(o, rp, nfacts, msg);
	}
	if (msg->len > (size_t)o->max_bytes) {
		ve_warn("the card is %zu bytes even without metrics (--max-bytes %ld)", msg->len,
		        o->max_bytes);
		return VE_EX_DATAERR;
	}
	if (nfacts < o->max_facts && !o->cli.quiet && rp->n > (size_t)nfacts)
		ve_warn("listed %ld of %zu metrics to stay under %ld bytes", nfacts, rp->n,
		        o->max_bytes);
	return 0;
}

/* Reads the rows, then prints or posts the card that fits; 0 or an exit status. */
static int
run(const struct opts *o, char **files, int nfiles)
{
	struct report rp = {0};
	struct ve_buf msg = {0};
	struct ve_reader *rd = ve_reader_new(files, nfiles, &o->cli, 0);
	int rc = ve_reader_each(rd, add_row, &rp);
	int rc2 = ve_reader_free(rd);

	if (!rc)
		rc = rc2;
	if (rc)
		goto out;
	settle(&rp);
	if (!o->time && !rp.ts) {
		char now[32];
		time_t t = time(NULL);
		struct tm tm;
		strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		rp.ts = ve_xstrdup(now);
	}
	if ((rc = fit(o, &rp, &msg)))
		goto out;
	if (o->post)
		rc = post(o, &msg);
	else
		ve_out_line(msg.p, msg.len);
out:
	ve_buf_free(&msg);
	report_free(&rp);
	return rc;
}

/*
 * Reads verdict or metric rows (stdin without files); writes the message
 * to stdout, or posts it to the webhook.
 */
int
main(int argc, char **argv)
{
	struct opts o;
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o, argv + optind, argc - optind);
	free(o.mentions);
	free(o.links);
	return ve_out_finish(rc);
}
