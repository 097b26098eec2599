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
 * Without a webhook the envelope is written to stdout as one line. With
 * --post URL or TEAMS_WEBHOOK_URL it is posted, with retries on 429 and 5xx
 * that honour Retry-After; 200 and 202 are success. The URL is a secret:
 * it never appears in a message.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "chttp.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"

struct pair {
	const char *name;
	size_t nlen;
	const char *value;
};

struct opts {
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
	long attempts;
	double backoff;
	double max_wait;
	double timeout;
	bool insecure;
	bool skip_bad;
	const char *rejects;
	int verbose;
	bool quiet;
};

/* One input row as the card shows it. */
struct mrow {
	char *metric; /* with " [subset]" when the row has labels.subset */
	double value, baseline, delta_pct, p;
	char *status; /* NULL for a plain metric row */
};

struct report {
	struct mrow *v;
	size_t n, cap;
	char *model_tag, *run_id, *ts;
	size_t regressions, improvements;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [--model-tag TAG] [--run-id ID] [--time TS]\n"
	        "                  [--mention NAME=UPN]... [--link TITLE=URL]... [--max-facts N]\n"
	        "                  [--max-bytes N] [--post URL | --print] [--attempts N]\n"
	        "                  [--backoff S] [--max-wait S] [--timeout S] [--insecure]\n"
	        "                  [--skip-bad] [--rejects FILE] [FILE...]\n"
	        "\n"
	        "Build the release report card (Adaptive Card 1.4 in a Teams Workflows message)\n"
	        "from verdict or metric rows; print it, or post it to the webhook.\n"
	        "\n"
	        "      --model-tag TAG      model tag in the title (default: the rows')\n"
	        "      --run-id ID          run id (default: the rows')\n"
	        "      --time TS            run time (default: the rows' ts, else now)\n"
	        "      --mention NAME=UPN   @mention NAME when a metric regressed (repeatable)\n"
	        "      --link TITLE=URL     a button opening URL (repeatable)\n"
	        "      --max-facts N        metrics listed before \"and N more\" (default 10)\n"
	        "      --max-bytes N        size limit of the message (default 20000)\n"
	        "      --post URL           post to this webhook (default TEAMS_WEBHOOK_URL)\n"
	        "      --print              print even when TEAMS_WEBHOOK_URL is set\n"
	        "      --attempts N         tries in all on 429, 5xx, no answer (default 5)\n"
	        "      --backoff S          first wait between tries (default 1, doubling)\n"
	        "      --max-wait S         longest wait, Retry-After included (default 60)\n"
	        "      --timeout S          per try (default 30)\n"
	        "      --insecure           do not verify TLS\n"
	        "      --skip-bad           skip malformed records, count them\n"
	        "      --rejects FILE       write skipped records to FILE (implies --skip-bad)\n"
	        "  -v, --verbose            say each retry on stderr\n"
	        "  -q, --quiet              no warnings\n"
	        "  -h, --help               this help\n"
	        "      --version            print the version\n"
	        "\n"
	        "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 69 the webhook failed,\n"
	        "74 I/O error. See teams-card(1).\n",
	        ve_progname);
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
	OPT_ATTEMPTS,
	OPT_BACKOFF,
	OPT_MAX_WAIT,
	OPT_TIMEOUT,
	OPT_INSECURE,
	OPT_SKIP_BAD,
	OPT_REJECTS,
	OPT_VERSION,
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
	    {"attempts", required_argument, NULL, OPT_ATTEMPTS},
	    {"backoff", required_argument, NULL, OPT_BACKOFF},
	    {"max-wait", required_argument, NULL, OPT_MAX_WAIT},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"insecure", no_argument, NULL, OPT_INSECURE},
	    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
	    {"rejects", required_argument, NULL, OPT_REJECTS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->max_facts = 10;
	o->max_bytes = 20000;
	o->attempts = 5;
	o->backoff = 1;
	o->max_wait = 60;
	o->timeout = 30;
	while ((c = getopt_long(argc, argv, "vqh", longopts, NULL)) != -1) {
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
		case OPT_ATTEMPTS: o->attempts = ve_opt_long("--attempts", optarg, 1, 100); break;
		case OPT_BACKOFF: o->backoff = ve_opt_double("--backoff", optarg, 0, 3600); break;
		case OPT_MAX_WAIT:
			o->max_wait = ve_opt_double("--max-wait", optarg, 0, 3600);
			break;
		case OPT_TIMEOUT: o->timeout = ve_opt_double("--timeout", optarg, 0, 3600); break;
		case OPT_INSECURE: o->insecure = true; break;
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
	if (o->post && o->print)
		ve_usage_error("--post and --print cannot be used together");
	if (!o->post && !o->print) {
		const char *env = getenv("TEAMS_WEBHOOK_URL");
		if (env && *env)
			o->post = env;
	}
	for (int i = 0; i < o->nlinks; i++)
		if (strncmp(o->links[i].value, "https://", 8) != 0 &&
		    strncmp(o->links[i].value, "http://", 7) != 0)
			ve_usage_error("--link: %.*s: the URL must start with http:// or https://",
			               (int)o->links[i].nlen, o->links[i].name);
}

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

static double
get_num(jv obj, const char *name)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(name));
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;

	jv_free(v);
	return d;
}

/* Takes one record (borrowed) into the report; NULL or why it cannot. */
static const char *
add_row(struct report *rp, jv rec)
{
	struct mrow m = {0};
	char *name = get_str(rec, "metric");

	if (!name)
		return "row without a string \"metric\"";
	m.value = get_num(rec, "value");
	if (isnan(m.value)) {
		free(name);
		return "row without a number \"value\"";
	}
	jv sub = jv_getpath(jv_copy(rec), JV_ARRAY(jv_string("labels"), jv_string("subset")));
	if (jv_get_kind(sub) == JV_KIND_STRING) {
		struct ve_buf b = {0};
		ve_buf_addf(&b, "%s [%s]", name, jv_string_value(sub));
		free(name);
		name = b.p;
	}
	jv_free(sub);
	m.metric = name;
	m.baseline = get_num(rec, "baseline");
	m.delta_pct = get_num(rec, "delta_pct");
	m.p = get_num(rec, "p_value");
	m.status = get_str(rec, "status");
	if (m.status && strcmp(m.status, "regression") == 0)
		rp->regressions++;
	if (m.status && strcmp(m.status, "improvement") == 0)
		rp->improvements++;
	if (!rp->model_tag)
		rp->model_tag = get_str(rec, "model_tag");
	if (!rp->run_id)
		rp->run_id = get_str(rec, "run_id");
	if (!rp->ts)
		rp->ts = get_str(rec, "ts");
	if (rp->n == rp->cap) {
		rp->cap = rp->cap ? 2 * rp->cap : 32;
		rp->v = ve_xrealloc(rp->v, rp->cap * sizeof *rp->v);
	}
	rp->v[rp->n++] = m;
	return NULL;
}

static void
report_free(struct report *rp)
{
	for (size_t i = 0; i < rp->n; i++) {
		free(rp->v[i].metric);
		free(rp->v[i].status);
	}
	free(rp->v);
	free(rp->model_tag);
	free(rp->run_id);
	free(rp->ts);
}

static void
json_str(struct ve_buf *b, const char *s)
{
	ve_buf_add_json_str(b, s, strlen(s));
}

/* A TextBlock element; extra is more "k":v fields, or "". */
static void
text_block(struct ve_buf *b, const char *text, const char *extra)
{
	ve_buf_adds(b, "{\"type\":\"TextBlock\",\"text\":");
	json_str(b, text);
	ve_buf_adds(b, ",\"wrap\":true");
	if (*extra)
		ve_buf_addf(b, ",%s", extra);
	ve_buf_adds(b, "}");
}

/* "0.58 (baseline 0.651, ▼ 10.9 %)" */
static void
fact_value(struct ve_buf *t, const struct mrow *m)
{
	ve_buf_reset(t);
	ve_buf_addf(t, "%.4g", m->value);
	if (!isnan(m->baseline)) {
		ve_buf_addf(t, " (baseline %.4g", m->baseline);
		if (!isnan(m->delta_pct))
			ve_buf_addf(t, ", %s %.3g %%",
			            m->delta_pct > 0   ? "\u25b2"
			            : m->delta_pct < 0 ? "\u25bc"
			                               : "=",
			            fabs(m->delta_pct));
		ve_buf_adds(t, ")");
	}
	if (m->status && strcmp(m->status, "ok") != 0)
		ve_buf_addf(t, " %s", m->status);
}

static void
fact(struct ve_buf *b, bool first, const char *title, const char *value)
{
	if (!first)
		ve_buf_addc(b, ',');
	ve_buf_adds(b, "{\"title\":");
	json_str(b, title);
	ve_buf_adds(b, ",\"value\":");
	json_str(b, value);
	ve_buf_addc(b, '}');
}

/* Builds the envelope into out, listing at most nfacts metrics and regressions. */
static void
build(const struct opts *o, const struct report *rp, long nfacts, struct ve_buf *out)
{
	struct ve_buf t = {0};
	const char *tag = o->model_tag    ? o->model_tag
	                  : rp->model_tag ? rp->model_tag
	                                  : "unknown model";
	const char *run = o->run_id ? o->run_id : rp->run_id;
	bool bad = rp->regressions > 0;

	ve_buf_reset(out);
	ve_buf_adds(out, "{\"type\":\"message\",\"attachments\":[{\"contentType\":"
	                 "\"application/vnd.microsoft.card.adaptive\",\"contentUrl\":null,"
	                 "\"content\":{\"$schema\":\"http://adaptivecards.io/schemas/"
	                 "adaptive-card.json\",\"type\":\"AdaptiveCard\",\"version\":\"1.4\","
	                 "\"body\":[");
	if (bad)
		ve_buf_addf(&t, "%s: %zu regression%s", tag, rp->regressions,
		            rp->regressions == 1 ? "" : "s");
	else if (rp->n == 0)
		ve_buf_addf(&t, "%s: no metrics reported", tag);
	else
		ve_buf_addf(&t, "%s: passed", tag);
	text_block(out, t.p,
	           bad          ? "\"size\":\"Large\",\"weight\":\"Bolder\",\"color\":\"Attention\""
	           : rp->n == 0 ? "\"size\":\"Large\",\"weight\":\"Bolder\",\"color\":\"Warning\""
	                        : "\"size\":\"Large\",\"weight\":\"Bolder\",\"color\":\"Good\"");
	ve_buf_reset(&t);
	ve_buf_addf(&t, "Run %s \u00b7 %s", run ? run : "(no run id)", o->time ? o->time : rp->ts);
	ve_buf_addc(out, ',');
	text_block(out, t.p, "\"isSubtle\":true,\"spacing\":\"None\"");
	if (bad && o->nmentions) {
		ve_buf_reset(&t);
		for (int i = 0; i < o->nmentions; i++)
			ve_buf_addf(&t, "<at>%.*s</at> ", (int)o->mentions[i].nlen,
			            o->mentions[i].name);
		ve_buf_addf(&t, "%zu metric%s fell below the rolling baseline.", rp->regressions,
		            rp->regressions == 1 ? "" : "s");
		ve_buf_addc(out, ',');
		text_block(out, t.p, "");
	}
	if (rp->n) {
		struct ve_buf v = {0};
		size_t shown = 0;
		ve_buf_adds(out,
		            ",{\"type\":\"TextBlock\",\"text\":\"Metrics\",\"weight\":\"Bolder\","
		            "\"separator\":true},{\"type\":\"FactSet\",\"facts\":[");
		for (size_t i = 0; i < rp->n && shown < (size_t)nfacts; i++, shown++) {
			fact_value(&v, &rp->v[i]);
			fact(out, shown == 0, rp->v[i].metric, v.p);
		}
		if (shown < rp->n) {
			ve_buf_reset(&v);
			ve_buf_addf(&v, "and %zu more", rp->n - shown);
			fact(out, shown == 0, "\u2026", v.p);
		}
		ve_buf_adds(out, "]}");
		if (bad) {
			ve_buf_adds(out,
			            ",{\"type\":\"Container\",\"style\":\"attention\","
			            "\"items\":[{\"type\":\"TextBlock\",\"text\":\"Regressions\","
			            "\"weight\":\"Bolder\"},{\"type\":\"FactSet\",\"facts\":[");
			shown = 0;
			size_t seen = 0;
			for (size_t i = 0; i < rp->n; i++) {
				const struct mrow *m = &rp->v[i];
				if (!m->status || strcmp(m->status, "regression") != 0)
					continue;
				seen++;
				if (shown >= (size_t)nfacts)
					continue;
				ve_buf_reset(&v);
				ve_buf_addf(&v, "%.4g against %.4g", m->value, m->baseline);
				if (!isnan(m->delta_pct))
					ve_buf_addf(&v, " (%+.3g %%)", m->delta_pct);
				if (!isnan(m->p))
					ve_buf_addf(&v, ", p = %.2g", m->p);
				fact(out, shown++ == 0, m->metric, v.p);
			}
			if (shown < seen) {
				ve_buf_reset(&v);
				ve_buf_addf(&v, "and %zu more", seen - shown);
				fact(out, shown == 0, "\u2026", v.p);
			}
			ve_buf_adds(out, "]}]}");
		}
		ve_buf_free(&v);
	}
	ve_buf_adds(out, "]");
	if (o->nlinks) {
		ve_buf_adds(out, ",\"actions\":[");
		for (int i = 0; i < o->nlinks; i++) {
			ve_buf_adds(out, i ? ",{" : "{");
			ve_buf_adds(out, "\"type\":\"Action.OpenUrl\",\"title\":");
			ve_buf_add_json_str(out, o->links[i].name, o->links[i].nlen);
			ve_buf_adds(out, ",\"url\":");
			json_str(out, o->links[i].value);
			ve_buf_addc(out, '}');
		}
		ve_buf_adds(out, "]");
	}
	ve_buf_adds(out, ",\"msteams\":{\"width\":\"Full\"");
	if (bad && o->nmentions) {
		ve_buf_adds(out, ",\"entities\":[");
		for (int i = 0; i < o->nmentions; i++) {
			ve_buf_reset(&t);
			ve_buf_addf(&t, "<at>%.*s</at>", (int)o->mentions[i].nlen,
			            o->mentions[i].name);
			ve_buf_adds(out, i ? ",{" : "{");
			ve_buf_adds(out, "\"type\":\"mention\",\"text\":");
			json_str(out, t.p);
			ve_buf_adds(out, ",\"mentioned\":{\"id\":");
			json_str(out, o->mentions[i].value);
			ve_buf_adds(out, ",\"name\":");
			ve_buf_add_json_str(out, o->mentions[i].name, o->mentions[i].nlen);
			ve_buf_adds(out, "}}");
		}
		ve_buf_adds(out, "]");
	}
	ve_buf_adds(out, "}}}]}");
	ve_buf_free(&t);
}

/* Posts the message; 0, or 69 after a message that never names the URL. */
static int
post(const struct opts *o, const struct ve_buf *msg)
{
	const char *hdrs[] = {"Content-Type: application/json", NULL};
	struct ve_http_req req = {.url = o->post, .headers = hdrs, .body = msg->p, .len = msg->len};
	struct ve_http_retry rt = {
	    .attempts = (int)o->attempts,
	    .base = o->backoff,
	    .max = o->max_wait,
	    .timeout = o->timeout,
	    .insecure = o->insecure,
	    .verbose = o->verbose,
	    .what = "webhook",
	};
	struct ve_http_resp resp = {0};
	struct ve_http *h = ve_http_new();
	int rc = 0;

	if (ve_http_send(h, &req, &rt, &resp) != 0) {
		ve_warn("webhook: %s after %d attempt%s", resp.error, resp.attempts,
		        resp.attempts == 1 ? "" : "s");
		rc = VE_EX_UNAVAILABLE;
	} else if (resp.status != 200 && resp.status != 202) {
		/* The answer's text helps (a malformed card); it holds no secret of ours. */
		size_t n = resp.body.len > 200 ? 200 : resp.body.len;
		while (n && (resp.body.p[n - 1] == '\n' || resp.body.p[n - 1] == '\r'))
			n--;
		ve_warn("webhook: HTTP %ld after %d attempt%s%s%.*s", resp.status, resp.attempts,
		        resp.attempts == 1 ? "" : "s", n ? ": " : "", (int)n, n ? resp.body.p : "");
		rc = VE_EX_UNAVAILABLE;
	} else if (o->verbose) {
		ve_warn("webhook: HTTP %ld after %d attempt%s (%zu bytes)", resp.status,
		        resp.attempts, resp.attempts == 1 ? "" : "s", msg->len);
	}
	ve_http_resp_free(&resp);
	ve_http_free(h);
	return rc;
}

static int
run(const struct opts *o, char **files, int nfiles)
{
	struct report rp = {0};
	struct ve_bad bad;
	struct ve_input *in = ve_input_new(files, nfiles);
	struct ve_line line;
	struct ve_buf msg = {0};
	char now[32];
	int r, rc = 0, rc2;

	ve_bad_open(&bad, o->rejects, o->skip_bad);
	while ((r = ve_input_next(in, &line)) == 1) {
		if (ve_line_blank(&line))
			continue;
		jv rec = ve_record_parse(line.text, line.len);
		const char *why;
		jv msgv = jv_null();
		if (!jv_is_valid(rec)) {
			msgv = jv_invalid_get_msg(rec);
			why = jv_string_value(msgv);
		} else {
			why = add_row(&rp, rec);
			jv_free(rec);
		}
		if (why) {
			rc = ve_bad_record(&bad, &line, why);
			jv_free(msgv);
			if (rc)
				goto out;
			continue;
		}
		jv_free(msgv);
	}
	if (r < 0) {
		rc = ve_input_status(in);
		goto out;
	}
	if (!o->time && !rp.ts) {
		time_t t = time(NULL);
		struct tm tm;
		strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		rp.ts = ve_xstrdup(now);
	}
	/* Fewer metrics until the message fits; the counts say what was left out. */
	long nfacts = o->max_facts;
	build(o, &rp, nfacts, &msg);
	if (msg.len > (size_t)o->max_bytes) {
		/* The size grows with the count: find the largest count that fits. */
		long lo = 0, hi = nfacts - 1;
		while (lo < hi) {
			long mid = lo + (hi - lo + 1) / 2;
			build(o, &rp, mid, &msg);
			if (msg.len <= (size_t)o->max_bytes)
				lo = mid;
			else
				hi = mid - 1;
		}
		nfacts = lo;
		build(o, &rp, nfacts, &msg);
	}
	if (msg.len > (size_t)o->max_bytes) {
		ve_warn("the card is %zu bytes even without metrics (--max-bytes %ld)", msg.len,
		        o->max_bytes);
		rc = VE_EX_DATAERR;
		goto out;
	}
	if (nfacts < o->max_facts && !o->quiet && rp.n > (size_t)nfacts)
		ve_warn("listed %ld of %zu metrics to stay under %ld bytes", nfacts, rp.n,
		        o->max_bytes);
	if (o->post)
		rc = post(o, &msg);
	else
		ve_out_line(msg.p, msg.len);
out:
	rc2 = ve_bad_close(&bad, o->quiet);
	if (!rc)
		rc = rc2;
	ve_input_free(in);
	ve_buf_free(&msg);
	report_free(&rp);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o, argv + optind, argc - optind);
	free(o.mentions);
	free(o.links);
	int rc2 = ve_out_close();
	return rc ? rc : rc2;
}
