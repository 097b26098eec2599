/*
 * ds-fetch — import a dataset from the Hugging Face datasets-server.
 *
 * Pages through the dataset viewer's /rows API (ds-fetch(1) says which
 * answers it relies on) and writes one JSON Lines record per row: the
 * bytes of the row's object as the server sent them, so numbers, key order
 * and escapes stay as they are. A split is named hf:DATASET/CONFIG/SPLIT;
 * a missing CONFIG or SPLIT is looked up with /splits. Failed requests are
 * retried as every network tool retries (vllm-eval(7) NETWORK).
 *
 * With -o the file is written as FILE.part and renamed once complete, and a
 * manifest as `ds-hash --manifest` writes it goes beside it, with where the
 * rows came from; --resume continues a .part a failed run kept. --suite
 * fetches the files a benchmark suite of share/suites.json reads, under the
 * names run-benchmarks.sh --data DIR looks for.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "canon.h"
#include "cli.h"
#include "diag.h"
#include "http.h"
#include "json.h"
#include "manifest.h"
#include "num.h"
#include "output.h"
#include "progress.h"
#include "share.h"
#include "sha256.h"

#define DEFAULT_ENDPOINT "https://datasets-server.huggingface.co"
/* The most rows /rows gives in one answer. */
#define PAGE_ROWS 100

struct opts {
	struct ve_cli cli;
	const char *endpoint;
	const char *token_file;
	const char *out;
	const char *suite;
	const char *suites;
	const char *name;
	const char *version;
	bool resume;
};

static const struct ve_cli_net net_defaults = {
    .retries = 3, .timeout = 120, .backoff = 1, .max_wait = 60};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] [-o FILE|DIR] [--resume] [--endpoint URL] [--token-file FILE]\n"
	    "                [--name NAME] [--dataset-version VERSION] "
	    "hf:DATASET[/CONFIG[/SPLIT]]\n"
	    "       %s [-qv] -o DIR [--resume] --suite NAME [--suites FILE] ...\n"
	    "\n"
	    "Fetch a dataset's rows from the Hugging Face datasets-server as JSON Lines.\n"
	    "\n"
	    "  -o, --output FILE|DIR  write FILE (or DIR/CONFIG.SPLIT.jsonl) and a manifest\n"
	    "                        beside it (default: stdout, no manifest)\n"
	    "      --resume          continue from the rows a failed run kept in FILE.part\n"
	    "      --endpoint URL    the datasets-server (default $HF_DATASETS_SERVER_URL,\n"
	    "                        else " DEFAULT_ENDPOINT ")\n"
	    "      --token-file FILE the Hugging Face token, its first line (default $HF_TOKEN)\n"
	    "      --suite NAME      fetch every file suite NAME reads, into -o DIR\n"
	    "      --suites FILE     suites and tasks (default share/suites.json)\n"
	    "      --name NAME       the manifest's name (default from -o or the dataset)\n"
	    "      --dataset-version VERSION  the manifest's version (default the date)\n",
	    ve_progname, ve_progname);
	ve_cli_help(f, VE_CLI_PROGRESS, 24);
	ve_cli_help_net(f, VE_CLI_NETWORK, &net_defaults, 24);
	fprintf(f, "\n"
	           "Exit: 0 ok, 64 usage, 65 an answer that is not the API's or would lose data,\n"
	           "66 no such dataset or not allowed, 69 server unavailable, 73 cannot create,\n"
	           "74 I/O error. See ds-fetch(1).\n");
}

enum {
	OPT_RESUME = 256,
	OPT_ENDPOINT,
	OPT_TOKEN_FILE,
	OPT_SUITE,
	OPT_SUITES,
	OPT_NAME,
	OPT_VERSION,
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"resume", no_argument, NULL, OPT_RESUME},
	    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
	    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	    {"suite", required_argument, NULL, OPT_SUITE},
	    {"suites", required_argument, NULL, OPT_SUITES},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"dataset-version", required_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.cli = {.flags = VE_CLI_PROGRESS | VE_CLI_NETWORK, .net = net_defaults}};
	while ((c = ve_getopt(argc, argv, "o:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case OPT_RESUME: o->resume = true; break;
		case OPT_ENDPOINT: o->endpoint = optarg; break;
		case OPT_TOKEN_FILE: o->token_file = optarg; break;
		case OPT_SUITE: o->suite = optarg; break;
		case OPT_SUITES: o->suites = optarg; break;
		case OPT_NAME: o->name = optarg; break;
		case OPT_VERSION: o->version = optarg; break;
		}
	}
	int n = argc - optind;
	if (o->suite && n)
		ve_usage_error("--suite takes no dataset");
	if (!o->suite && n != 1)
		ve_usage_error("expected one dataset, hf:DATASET[/CONFIG[/SPLIT]]");
	if (o->suites && !o->suite)
		ve_usage_error("--suites goes with --suite");
	if (!o->out && (o->suite || o->resume || o->name || o->version))
		ve_usage_error(o->suite    ? "--suite needs -o DIR"
		               : o->resume ? "--resume needs -o: stdout cannot be continued"
		                           : "--name and --dataset-version describe the manifest, "
		                             "written with -o");
	if (o->out && !*o->out)
		ve_usage_error("-o: the path is empty");
}

/* --- what to fetch --- */

/* One split: hf:DATASET/CONFIG/SPLIT. */
struct part {
	char *dataset, *config, *split;
};

/* One output file, the splits that go into it in order, and its source. */
struct target {
	char *path; /* NULL: stdout */
	char *source;
	struct part *parts;
	size_t nparts, cap;
};

struct plan {
	struct target *t;
	size_t n, cap;
	char *dir;      /* the directory of the files and the manifest; NULL: stdout */
	char *name;     /* the manifest's name */
	char *manifest; /* its path */
};

static void
part_free(struct part *p)
{
	free(p->dataset), free(p->config), free(p->split);
}

static void
plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		for (size_t j = 0; j < pl->t[i].nparts; j++)
			part_free(&pl->t[i].parts[j]);
		free(pl->t[i].parts), free(pl->t[i].path), free(pl->t[i].source);
	}
	free(pl->t), free(pl->dir), free(pl->name), free(pl->manifest);
}

static struct target *
add_target(struct plan *pl, char *path, const char *source)
{
	pl->t = ve_grow(pl->t, &pl->cap, pl->n + 1, sizeof *pl->t);
	pl->t[pl->n] = (struct target){.path = path, .source = ve_xstrdup(source)};
	return &pl->t[pl->n++];
}

static void
add_part(struct target *t, const char *dataset, const char *config, const char *split)
{
	t->parts = ve_grow(t->parts, &t->cap, t->nparts + 1, sizeof *t->parts);
	t->parts[t->nparts++] =
	    (struct part){ve_xstrdup(dataset), config ? ve_xstrdup(config) : NULL,
	                  split ? ve_xstrdup(split) : NULL};
}

/*
 * Splits hf:OWNER/NAME[/CONFIG[/SPLIT]] into p (config and split NULL when
 * not given). False when s is not of that form.
 */
static bool
parse_source(const char *s, struct part *p)
{
	char *c[4] = {0}, *copy, *rest;
	int n = 0;
	bool ok = strncmp(s, "hf:", 3) == 0;

	*p = (struct part){0};
	if (!ok)
		return false;
	rest = copy = ve_xstrdup(s + 3);
	while (rest && n < 4)
		c[n++] = strsep(&rest, "/");
	ok = !rest && n >= 2;
	for (int i = 0; i < n; i++)
		ok &= *c[i] != '\0';
	if (ok) {
		struct ve_buf d = {0};
		ve_buf_addf(&d, "%s/%s", c[0], c[1]);
		*p = (struct part){d.p, n > 2 ? ve_xstrdup(c[2]) : NULL,
		                   n > 3 ? ve_xstrdup(c[3]) : NULL};
	}
	free(copy);
	return ok;
}

/* Whether name is fit for a file name in the output directory. */
static bool
file_name_ok(const char *name)
{
	return *name && *name != '.' && !strchr(name, '/') &&
	       !ve_manifest_path_bad(name, strlen(name));
}

/* --- the client --- */

struct fetch {
	const struct opts *o;
	struct ve_http http;
	char *endpoint;     /* no trailing '/' */
	bool token;         /* a token is sent */
	struct ve_buf url;  /* the request's */
	struct ve_buf text; /* a message */
	struct ve_progress progress;
	FILE *out;                /* NULL: stdout */
	unsigned long long done;  /* rows in the output so far */
	unsigned long long total; /* rows of the target, as far as known */
};

/* Appends s percent-encoded as a query value (RFC 3986 unreserved characters and '/' kept). */
static void
add_query_value(struct ve_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c))
			ve_buf_addc(b, (char)c);
		else
			ve_buf_addf(b, "%%%02X", c);
	}
}

/* The token: the first line of --token-file, else HF_TOKEN; sent as a Bearer header. */
static int
setup_token(struct fetch *f)
{
	const char *file = f->o->token_file;
	char *line = NULL;
	size_t cap = 0;

	if (file) {
		FILE *t = fopen(file, "r");
		if (!t) {
			ve_warn("--token-file: %s:", file);
			return VE_EX_NOINPUT;
		}
		ssize_t n = getline(&line, &cap, t);
		fclose(t);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n <= 0) {
			free(line);
			ve_warn("--token-file: %s: empty", file);
			return VE_EX_NOINPUT;
		}
	} else if (getenv("HF_TOKEN") && *getenv("HF_TOKEN")) {
		line = ve_xstrdup(getenv("HF_TOKEN"));
	}
	if (!line)
		return 0;
	struct ve_buf b = {0};
	ve_buf_addf(&b, "Bearer %s", line);
	ve_http_add_header(&f->http, "Authorization", b.p, true);
	ve_secrets_add(&f->http.secrets, line);
	memset(b.p, 0, b.len);
	memset(line, 0, strlen(line));
	ve_buf_free(&b);
	free(line);
	f->token = true;
	return 0;
}

static int
fetch_init(struct fetch *f, const struct opts *o)
{
	const char *env = getenv("HF_DATASETS_SERVER_URL");
	const char *ep = o->endpoint ? o->endpoint : env && *env ? env : DEFAULT_ENDPOINT;

	*f = (struct fetch){.o = o};
	ve_http_need_url(o->endpoint ? "--endpoint" : "HF_DATASETS_SERVER_URL", ep, true);
	f->endpoint = ve_xstrdup(ep);
	for (size_t n = strlen(f->endpoint); n > 0 && f->endpoint[n - 1] == '/'; n--)
		f->endpoint[n - 1] = '\0';
	ve_http_init(&f->http);
	ve_http_configure(&f->http, &o->cli);
	f->http.what = "datasets-server";
	ve_secrets_add_url(&f->http.secrets, f->endpoint);
	ve_progress_init(&f->progress, o->cli.progress);
	f->progress.on &= !o->cli.quiet;
	return setup_token(f);
}

static void
fetch_free(struct fetch *f)
{
	ve_http_free(&f->http);
	free(f->endpoint);
	ve_buf_free(&f->url);
	ve_buf_free(&f->text);
}

/* Warns "URL: what" (or "GET URL" when what is NULL), scrubbed of secrets. */
static void
url_warn(struct fetch *f, const char *what)
{
	struct ve_buf b = {0}, msg = {0};

	if (what)
		ve_buf_addf(&b, "%s: %s", f->url.p, what);
	else
		ve_buf_addf(&b, "GET %s", f->url.p);
	ve_scrub(&f->http.secrets, b.p, b.len, &msg);
	ve_warn("%s", msg.p);
	ve_buf_free(&b);
	ve_buf_free(&msg);
}

/*
 * GETs f->url into *body (parsed, the caller's) and r: 0, or the exit
 * status after a message saying what the server answered.
 */
static int
get_json(struct fetch *f, struct ve_http_resp *r, jv *body)
{
	struct ve_buf err = {0}, what = {0};
	int rc = 0;

	*body = jv_invalid();
	if (f->o->cli.verbose)
		url_warn(f, NULL);
	if (ve_http_send(&f->http, &(struct ve_http_req){.url = f->url.p}, r) < 0) {
		ve_buf_addf(&what, "no answer (%s; %d attempts)", r->error, r->attempts);
		rc = VE_EX_UNAVAILABLE;
	} else if (r->status != 200) {
		ve_http_error_text(r->body.p, r->body.len, &err);
		ve_buf_addf(&what, "HTTP %ld: %s (%d attempts)", r->status, err.p ? err.p : "",
		            r->attempts);
		if (r->status == 401 || r->status == 403)
			ve_buf_adds(&what,
			            f->token ? "; the token was refused: the dataset may be gated "
			                       "(accept its terms on the Hub) or private"
			                     : "; the dataset may be gated or private: give a "
			                       "token (HF_TOKEN or --token-file)");
		rc = r->status == 401 || r->status == 403 || r->status == 404 ? VE_EX_NOINPUT
		                                                              : VE_EX_UNAVAILABLE;
	} else if (ve_utf8_invalid_at(r->body.p, r->body.len) >= 0) {
		ve_buf_adds(&what, "not the datasets-server's answer (not UTF-8)");
		rc = VE_EX_DATAERR;
	} else {
		*body = jv_parse_sized(r->body.p, (int)r->body.len);
		if (jv_get_kind(*body) != JV_KIND_OBJECT) {
			ve_buf_adds(&what, "not the datasets-server's answer (");
			ve_buf_adds(&what, jv_is_valid(*body) ? "not an object" : "invalid JSON");
			ve_buf_addc(&what, ')');
			rc = VE_EX_DATAERR;
		}
	}
	if (rc) {
		jv_free(*body);
		*body = jv_invalid();
		url_warn(f, what.p);
	}
	ve_buf_free(&err);
	ve_buf_free(&what);
	return rc;
}

/* --- /splits --- */

/*
 * The (config, split) pairs of dataset from /splits that match config and
 * split (NULL or "*" matches any), into t's parts. 0 or an exit status.
 */
static int
list_splits(struct fetch *f, const struct part *want, struct target *t)
{
	struct ve_http_resp r = {0};
	jv body;

	ve_buf_reset(&f->url);
	ve_buf_addf(&f->url, "%s/splits?dataset=", f->endpoint);
	add_query_value(&f->url, want->dataset);
	int rc = get_json(f, &r, &body);
	ve_http_resp_free(&r);
	if (rc)
		return rc;
	jv splits = ve_json_get(body, "splits");
	bool any = want->config && strcmp(want->config, "*") == 0;
	if (jv_get_kind(splits) != JV_KIND_ARRAY) {
		rc = VE_EX_DATAERR;
		jv_free(splits);
		splits = jv_array();
	}
	jv_array_foreach(splits, i, s)
	{
		char *c = ve_json_get_str(s, "config"), *sp = ve_json_get_str(s, "split");
		if (!c || !sp)
			rc = VE_EX_DATAERR;
		else if ((!want->config || any || !strcmp(c, want->config)) &&
		         (!want->split || !strcmp(sp, want->split)))
			add_part(t, want->dataset, c, sp);
		free(c), free(sp);
		jv_free(s);
	}
	jv_free(splits);
	jv_free(body);
	if (rc)
		url_warn(f,
		         "not the datasets-server's answer (no splits list of config and split)");
	return rc;
}

/* --- /rows --- */

/*
 * Appends the JSON text p[0..n), which libjq has accepted, without the
 * white space between tokens: a row on one line whatever the server's
 * layout, its strings and numbers byte for byte.
 */
static void
add_compact(struct ve_buf *b, const char *p, size_t n)
{
	bool in_string = false;
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			ve_buf_add(b, p + run, i - run);
			run = i + 1;
		}
	}
	ve_buf_add(b, p + run, n - run);
}

/* NULL, or why row number i of a page at offset (borrowed) cannot be written. */
static const char *
check_row(jv row, unsigned long long want)
{
	double idx = -1;
	jv cells = ve_json_get(row, "truncated_cells");
	const char *why = NULL;

	if (!ve_json_get_num(row, "row_idx", &idx) ||
	    ve_json_get_kind(row, "row") != JV_KIND_OBJECT)
		why = "not the datasets-server's answer (a row without row_idx or row)";
	else if (idx != (double)want)
		why = "rows out of order (a row_idx missing or repeated)";
	else if (jv_get_kind(cells) == JV_KIND_ARRAY && jv_array_length(jv_copy(cells)) > 0)
		why = "a row has truncated cells (\"truncated_cells\"): rows would be lost";
	jv_free(cells);
	return why;
}

/*
 * Checks one /rows answer (borrowed) for the page at offset: its rows in
 * row_idx order from offset, each whole. The rows' count in *n and the
 * split's size in *total. NULL, or why the answer cannot be used.
 */
static const char *
check_page(jv page, unsigned long long offset, size_t *n, unsigned long long *total)
{
	jv rows = ve_json_get(page, "rows");
	double t = -1;
	const char *why = NULL;

	*n = 0;
	*total = 0;
	if (jv_get_kind(rows) != JV_KIND_ARRAY || !ve_json_get_num(page, "num_rows_total", &t) ||
	    !(t >= 0 && t < 1e15) || t != (double)(unsigned long long)t) {
		jv_free(rows);
		return "not the datasets-server's answer (no rows or num_rows_total)";
	}
	if (ve_json_get_kind(page, "partial") == JV_KIND_TRUE)
		why = "the answer is partial (\"partial\": true): the split is too large for the "
		      "datasets-server to read whole, and rows would be lost";
	*total = (unsigned long long)t;
	jv_array_foreach(rows, i, row)
	{
		if (!why)
			why = check_row(row, offset + (unsigned long long)i);
		*n = (size_t)i + 1;
		jv_free(row);
	}
	jv_free(rows);
	return why;
}

/* Writes the rows of the answer text from row skip on, their bytes as sent. */
static int
write_rows(struct fetch *f, const struct ve_buf *text, size_t skip, struct ve_buf *rows)
{
	struct ve_canon c = {0};
	const char *rv, *v;
	size_t rlen, vlen, at = 0, i = 0;
	int r = -1;

	ve_buf_reset(rows);
	if (ve_canon_member(&c, text->p, text->len, "rows", 4, &rv, &rlen) && rv) {
		while ((r = ve_canon_element(rv, rlen, &at, &v, &vlen)) == 1) {
			const char *row;
			size_t len;
			if (!ve_canon_member(&c, v, vlen, "row", 3, &row, &len) || !row)
				break;
			if (i++ >= skip) {
				add_compact(rows, row, len);
				ve_buf_addc(rows, '\n');
			}
		}
	}
	ve_canon_free(&c);
	if (r != 0)
		return VE_EX_SOFTWARE; /* libjq accepted what the scanner did not */
	if (f->out && fwrite(rows->p ? rows->p : "", 1, rows->len, f->out) != rows->len) {
		ve_warn("-o: write error:");
		return VE_EX_IOERR;
	}
	if (!f->out)
		ve_out_write(rows->p ? rows->p : "", rows->len);
	return 0;
}

/* The progress line, rows done of the total, redrawn in place. */
static void
show_progress(struct fetch *f, const char *source)
{
	if (!f->progress.on)
		return;
	fprintf(stderr, "\r%s: %s: %llu/%llu rows", ve_progname, source, f->done, f->total);
	f->progress.shown = true;
}

/*
 * One page of part p from offset: its rows from index skip on written.
 * *n is the rows on the page, *total the split's size. 0 or an exit status.
 */
static int
fetch_page(struct fetch *f, const struct part *p, unsigned long long offset, size_t skip, size_t *n,
           unsigned long long *total, struct ve_buf *rows)
{
	struct ve_http_resp r = {0};
	jv page;
	int rc;

	ve_buf_reset(&f->url);
	ve_buf_addf(&f->url, "%s/rows?dataset=", f->endpoint);
	add_query_value(&f->url, p->dataset);
	ve_buf_adds(&f->url, "&config=");
	add_query_value(&f->url, p->config);
	ve_buf_adds(&f->url, "&split=");
	add_query_value(&f->url, p->split);
	ve_buf_addf(&f->url, "&offset=%llu&length=%d", offset, PAGE_ROWS);
	if (!(rc = get_json(f, &r, &page))) {
		const char *why = check_page(page, offset, n, total);
		if (!why && *n == 0 && offset < *total)
			why = "no rows where the split has more (num_rows_total)";
		if (why) {
			url_warn(f, why);
			rc = VE_EX_DATAERR;
		} else {
			rc = write_rows(f, &r.body, skip, rows);
		}
	}
	jv_free(page);
	ve_http_resp_free(&r);
	return rc;
}

/*
 * All rows of part p, after the first *skip (rows an earlier run wrote,
 * counted down here). Of several splits in one file, the first page of
 * each is read to learn its size: a split wholly written before is only
 * counted. 0 or an exit status.
 */
static int
fetch_part(struct fetch *f, const struct part *p, bool several, unsigned long long *skip,
           const char *source, struct ve_buf *rows)
{
	unsigned long long offset = several ? 0 : *skip, total = 0, first = 0;
	bool start = true;
	size_t n;
	int rc;

	do {
		size_t from = *skip > offset ? (size_t)(*skip - offset) : 0;
		if ((rc = fetch_page(f, p, offset, from, &n, &total, rows)))
			return rc;
		if (start) {
			first = total;
			f->total += total;
			if (*skip >= total && several) {
				*skip -= total;
				return 0;
			}
		} else if (total != first) {
			url_warn(f, "num_rows_total changed while the split was read");
			return VE_EX_DATAERR;
		}
		start = false;
		f->done += n > from ? n - from : 0;
		show_progress(f, source);
		offset += n;
		if (offset < *skip)
			offset = *skip;
	} while (offset < total);
	*skip = 0;
	return 0;
}

/* --- output files --- */

/*
 * Opens path.part for writing, or with --resume keeps its complete lines
 * and counts them into *kept. 0 or an exit status.
 */
static int
open_part(struct fetch *f, const char *part, unsigned long long *kept)
{
	*kept = 0;
	if (f->o->resume) {
		FILE *in = fopen(part, "r");
		long long good = 0, pos = 0;
		int c;
		while (in && (c = getc(in)) != EOF) {
			pos++;
			if (c == '\n')
				good = pos, (*kept)++;
		}
		if (in)
			fclose(in);
		if (in && truncate(part, (off_t)good) != 0) {
			ve_warn("-o: %s:", part);
			return VE_EX_CANTCREAT;
		}
		if (f->o->cli.verbose && in)
			ve_warn("%s: resuming after %llu rows", part, *kept);
	}
	f->out = fopen(part, f->o->resume ? "a" : "w");
	if (!f->out) {
		ve_warn("-o: %s:", part);
		return VE_EX_CANTCREAT;
	}
	return 0;
}

/* Ends a target's file: renamed into place on success, else removed or kept for --resume. */
static int
close_part(struct fetch *f, const struct target *t, const char *part, int rc)
{
	int rc2 = ve_fclose_checked(f->out, part);

	f->out = NULL;
	if (!rc && rc2)
		rc = rc2;
	if (!rc && rename(part, t->path) != 0) {
		ve_warn("-o: %s:", t->path);
		rc = VE_EX_CANTCREAT;
	}
	if (rc && (rc != VE_EX_UNAVAILABLE || f->done == 0))
		unlink(part);
	else if (rc)
		ve_warn("%s: %llu rows kept; continue with --resume", part, f->done);
	return rc;
}

/* Fetches one target: its splits, in order, into its file or stdout. 0 or an exit status. */
static int
fetch_target(struct fetch *f, const struct target *t)
{
	struct ve_buf part = {0}, rows = {0};
	unsigned long long skip = 0;
	struct stat st;
	int rc = 0;

	f->done = f->total = 0;
	if (t->path && f->o->resume && stat(t->path, &st) == 0) {
		if (f->o->cli.verbose)
			ve_warn("%s: complete already (--resume)", t->path);
		return 0;
	}
	if (t->path) {
		ve_buf_addf(&part, "%s.part", t->path);
		rc = open_part(f, part.p, &skip);
	}
	f->done = skip;
	for (size_t i = 0; !rc && i < t->nparts; i++)
		rc = fetch_part(f, &t->parts[i], t->nparts > 1, &skip, t->source, &rows);
	ve_progress_done(&f->progress);
	if (t->path && f->out)
		rc = close_part(f, t, part.p, rc);
	if (!rc && f->o->cli.verbose)
		ve_warn("%s: %llu rows", t->source, f->done);
	ve_buf_free(&part);
	ve_buf_free(&rows);
	return rc;
}

/* --- the manifest --- */

/*
 * The manifest entry of a file ds-fetch wrote: what ds-hash --manifest
 * would say of it with its default key, and the source. 0 or an exit status.
 */
static int
manifest_entry(struct ve_buf *y, const char *dir, const struct target *t)
{
	FILE *in = fopen(t->path, "rb");
	struct ve_sha256 *bytes = ve_sha256_new(), *keys = ve_sha256_new();
	struct ve_canon c = {0};
	struct ve_buf text = {0}, why = {0};
	struct ve_keysum sum = {0};
	unsigned char d[VE_SHA256_LEN];
	char hex[2 * VE_SHA256_LEN + 1];
	unsigned long long total = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (!in) {
		ve_warn("%s:", t->path);
		rc = VE_EX_NOINPUT;
	}
	ve_sha256_init(bytes);
	while (in && (n = getline(&line, &cap, in)) > 0) {
		ve_sha256_update(bytes, line, (size_t)n);
		total += (unsigned long long)n;
		if (ve_canon_line(&c, line, (size_t)n - (line[n - 1] == '\n'), 0, &text, &why)) {
			rc = VE_EX_SOFTWARE; /* a row the server sent that libjq read, now not */
			break;
		}
		ve_sha256(keys, text.p ? text.p : "", text.len, d);
		ve_keysum_add(&sum, d);
	}
	if (in && ferror(in) && !rc) {
		ve_warn("%s: read error", t->path);
		rc = VE_EX_IOERR;
	}
	if (in)
		fclose(in);
	ve_sha256_final(bytes, d);
	ve_hex(d, VE_SHA256_LEN, hex);
	size_t dl = strlen(dir);
	bool inside = strncmp(t->path, dir, dl) == 0 && t->path[dl] == '/';
	if (!rc)
		ve_manifest_entry(y, inside ? t->path + dl + 1 : t->path, t->source, total, hex,
		                  &sum);
	free(line);
	ve_buf_free(&text), ve_buf_free(&why);
	ve_canon_free(&c);
	ve_sha256_free(bytes), ve_sha256_free(keys);
	return rc;
}

/* Writes the manifest of the plan's files, through a .part renamed into place. */
static int
write_manifest(const struct fetch *f, const struct plan *pl)
{
	char version[VE_TIME_SIZE];
	struct ve_buf y = {0}, part = {0};
	int rc = 0;

	ve_time_now(version);
	version[10] = '\0'; /* the date */
	ve_manifest_head(
	    &y, &(struct ve_manifest_head){.tool = "ds-fetch",
	                                   .name = pl->name,
	                                   .version = f->o->version ? f->o->version : version,
	                                   .key = ".",
	                                   .normalize = "none",
	                                   .endpoint = f->endpoint});
	for (size_t i = 0; i < pl->n && !rc; i++)
		rc = manifest_entry(&y, pl->dir, &pl->t[i]);
	ve_buf_addf(&part, "%s.part", pl->manifest);
	if (!rc) {
		FILE *m = ve_open_output("-o", part.p);
		fwrite(y.p, 1, y.len, m);
		rc = ve_fclose_checked(m, part.p);
		if (!rc && rename(part.p, pl->manifest) != 0) {
			ve_warn("-o: %s:", pl->manifest);
			rc = VE_EX_CANTCREAT;
		}
		if (rc)
			unlink(part.p);
	}
	ve_buf_free(&y);
	ve_buf_free(&part);
	return rc;
}

/* --- planning --- */

/* Whether path names a directory, or is meant to (it ends in '/'). */
static bool
is_dir(const char *path)
{
	struct stat st;

	return path[strlen(path) - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

/* Makes the output directory (or -o FILE's) and its parents where missing. 0 or 73. */
static int
make_dir(const char *dir)
{
	char *p = ve_xstrdup(dir);
	int rc = 0;

	for (char *q = p + 1;; q++) {
		if (*q && *q != '/')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			ve_warn("-o: %s:", p);
			rc = VE_EX_CANTCREAT;
			break;
		}
		*q = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* Where the files and manifest go for -o out: pl->dir, and pl->manifest. */
static void
plan_dir(struct plan *pl, const char *out, bool dir)
{
	struct ve_buf b = {0};
	size_t n = strlen(out);

	if (dir) {
		while (n > 1 && out[n - 1] == '/')
			n--;
		ve_buf_add(&b, out, n);
	} else {
		const char *slash = strrchr(out, '/');
		ve_buf_add(&b, slash ? out : ".",
		           slash ? (size_t)(slash - out) + (slash == out) : 1);
	}
	pl->dir = ve_xstrdup(b.p);
	ve_buf_reset(&b);
	ve_buf_addf(&b, "%s/manifest.yaml", pl->dir);
	pl->manifest = b.p;
}

/* The path of a file called name in the plan's directory (allocated). */
static char *
dir_path(const struct plan *pl, const char *name)
{
	struct ve_buf b = {0};

	ve_buf_addf(&b, "%s/%s", pl->dir, name);
	return b.p;
}

/*
 * The plan of one hf: operand: a target per file. Lists splits when the
 * operand does not name one, and asks which when several match and there
 * is no directory to write them all to. 0 or an exit status.
 */
static int
plan_one(struct fetch *f, const char *arg, struct plan *pl)
{
	const struct opts *o = f->o;
	struct part want;
	struct target found = {0};
	int rc = 0;

	if (!parse_source(arg, &want))
		ve_usage_error("expected hf:OWNER/DATASET[/CONFIG[/SPLIT]], got '%s'", arg);
	bool all = want.config && strcmp(want.config, "*") == 0;
	if (all && !want.split)
		ve_usage_error("%s: a '*' config takes a split: hf:DATASET/*/SPLIT", arg);
	bool dir = o->out && is_dir(o->out);
	if (o->out)
		plan_dir(pl, o->out, dir);
	if (want.config && want.split && !all)
		add_part(&found, want.dataset, want.config, want.split);
	else
		rc = list_splits(f, &want, &found);
	if (!rc && found.nparts == 0) {
		ve_warn("%s: no such config or split (see %s/splits?dataset=%s)", arg, f->endpoint,
		        want.dataset);
		rc = VE_EX_NOINPUT;
	}
	if (!rc && found.nparts > 1 && !all && !dir) {
		struct ve_buf b = {0};
		for (size_t i = 0; i < found.nparts && i < 8; i++)
			ve_buf_addf(&b, "%s%s/%s", i ? ", " : "", found.parts[i].config,
			            found.parts[i].split);
		ve_usage_error("%s has %zu splits (%s%s): name one, or give -o DIR for each", arg,
		               found.nparts, b.p, found.nparts > 8 ? ", ..." : "");
	}
	const char *base = strchr(want.dataset, '/') + 1;
	pl->name = ve_xstrdup(o->name ? o->name : base);
	for (size_t i = 0; !rc && i < found.nparts && (!all || i == 0); i++) {
		struct part *p = &found.parts[i];
		struct ve_buf src = {0}, file = {0};
		ve_buf_addf(&src, "hf:%s/%s/%s", p->dataset, all ? "*" : p->config, p->split);
		ve_buf_addf(&file, "%s.%s.jsonl", all ? base : p->config, p->split);
		if (dir && !file_name_ok(file.p)) {
			ve_warn("%s: '%s' is no file name", src.p, file.p);
			rc = VE_EX_DATAERR;
		}
		char *path = !o->out ? NULL : dir ? dir_path(pl, file.p) : ve_xstrdup(o->out);
		struct target *t = add_target(pl, path, src.p);
		for (size_t j = i; j < found.nparts && (all || j == i); j++)
			add_part(t, p->dataset, found.parts[j].config, found.parts[j].split);
		ve_buf_free(&src), ve_buf_free(&file);
	}
	if (!rc && o->out && !dir && !o->name) {
		/* The file's name without its directory and extensions: prepare-dataset's NAME. */
		const char *slash = strrchr(o->out, '/');
		free(pl->name);
		pl->name =
		    strndup(slash ? slash + 1 : o->out, strcspn(slash ? slash + 1 : o->out, "."));
	}
	for (size_t i = 0; i < found.nparts; i++)
		part_free(&found.parts[i]);
	free(found.parts);
	part_free(&want);
	return rc || !o->out ? rc : make_dir(pl->dir);
}

/* --- suites --- */

/*
 * Adds the target of one of a task's files (kind "data" or "fewshot"):
 * its source from the task's "source", its name that of the task's file.
 * The same file twice must have the same source. 0 or an exit status.
 */
static int
suite_file(struct plan *pl, const char *file, jv task, const char *tname, const char *kind,
           const char *suites)
{
	jv sources = ve_json_get(task, "source");
	char *src = ve_json_get_str(sources, kind), *base = NULL;
	struct part p = {0};
	int rc = 0;

	jv_free(sources);
	char *fname = file ? ve_xstrdup(strrchr(file, '/') ? strrchr(file, '/') + 1 : file) : NULL;
	if (!fname || !src)
		goto out;
	if (!parse_source(src, &p) || (p.config && !strcmp(p.config, "*") && !p.split) ||
	    !file_name_ok(fname)) {
		ve_warn("%s: task '%s': %s source '%s' is not hf:OWNER/DATASET[/CONFIG[/SPLIT]]",
		        suites, tname, kind, src);
		rc = VE_EX_DATAERR;
		goto out;
	}
	base = dir_path(pl, fname);
	for (size_t i = 0; i < pl->n; i++) {
		if (strcmp(pl->t[i].path, base) != 0)
			continue;
		if (strcmp(pl->t[i].source, src) != 0) {
			ve_warn("%s: %s comes from %s and from %s", suites, fname, pl->t[i].source,
			        src);
			rc = VE_EX_DATAERR;
		}
		goto out;
	}
	add_part(add_target(pl, base, src), p.dataset, p.config, p.split);
	base = NULL;
	/* A split not named, or a '*' config, is listed by expand_all once the client is up. */
out:
	part_free(&p);
	free(base), free(src), free(fname);
	return rc;
}

/* The suites file, parsed (the caller's), or an invalid jv after a message. */
static jv
load_suites(const struct opts *o, char **path)
{
	*path = o->suites ? ve_xstrdup(o->suites) : ve_share_path("suites.json");
	if (!*path) {
		ve_warn("share/suites.json: not found (set VLLM_EVAL_SHARE or give --suites)");
		return jv_invalid();
	}
	FILE *in = fopen(*path, "r");
	struct ve_buf b = {0};
	if (!in || !ve_buf_read(&b, in)) {
		ve_warn("%s:", *path);
		if (in)
			fclose(in);
		ve_buf_free(&b);
		return jv_invalid();
	}
	fclose(in);
	jv v = jv_parse_sized(b.p ? b.p : "", (int)b.len);
	ve_buf_free(&b);
	if (jv_get_kind(v) != JV_KIND_OBJECT) {
		ve_warn("%s: not a suites file (invalid JSON or not an object)", *path);
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/* The plan of --suite: the data and few-shot files of each of its tasks. */
static int
plan_suite(struct fetch *f, struct plan *pl)
{
	char *path;
	jv all = load_suites(f->o, &path);
	int rc = jv_is_valid(all) ? 0 : VE_EX_NOINPUT;
	jv suites = ve_json_get(all, "suites"), tasks = ve_json_get(all, "tasks");
	jv suite = ve_json_get(suites, f->o->suite);

	plan_dir(pl, f->o->out, true);
	pl->name = ve_xstrdup(f->o->name ? f->o->name : f->o->suite);
	if (!rc && jv_get_kind(suite) != JV_KIND_ARRAY) {
		ve_warn("--suite: no suite '%s' in %s", f->o->suite, path);
		rc = VE_EX_USAGE;
	}
	if (jv_get_kind(suite) != JV_KIND_ARRAY) {
		jv_free(suite);
		suite = jv_array();
	}
	jv_array_foreach(suite, i, entry)
	{
		char *tname = ve_json_get_str(entry, "task");
		jv task = tname ? ve_json_get(tasks, tname) : jv_invalid();
		char *data = ve_json_get_str(task, "data"),
		     *shots = ve_json_get_str(task, "fewshot");
		if (rc) {
		} else if (jv_get_kind(task) != JV_KIND_OBJECT || !data) {
			ve_warn("%s: suite '%s' names task '%s', which it does not define with its "
			        "data",
			        path, f->o->suite, tname ? tname : "?");
			rc = VE_EX_DATAERR;
		} else if (ve_json_get_kind(task, "source") != JV_KIND_OBJECT) {
			if (!f->o->cli.quiet)
				ve_warn(
				    "%s: no public source (its data is vllm-eval's own); skipped",
				    tname);
		} else if (!(rc = suite_file(pl, data, task, tname, "data", path))) {
			rc = suite_file(pl, shots, task, tname, "fewshot", path);
		}
		free(tname), free(data), free(shots);
		jv_free(task);
		jv_free(entry);
	}
	jv_free(suite), jv_free(suites), jv_free(tasks), jv_free(all);
	free(path);
	return rc ? rc : make_dir(pl->dir);
}

/*
 * A suite's source that does not name its split becomes the one split
 * /splits lists for it, and a '*' config every config's split, now that
 * the client is up. 0 or an exit status.
 */
static int
expand_all(struct fetch *f, struct plan *pl)
{
	int rc = 0;

	for (size_t i = 0; i < pl->n && !rc; i++) {
		struct target *t = &pl->t[i];
		struct part want = t->parts[0];
		bool all = want.config && strcmp(want.config, "*") == 0;
		if (t->nparts != 1 || (want.config && want.split && !all))
			continue;
		t->nparts = 0;
		rc = list_splits(f, &want, t);
		if (!rc && (t->nparts == 0 || (t->nparts > 1 && !all))) {
			ve_warn("%s: %zu splits match, where the suite needs one", t->source,
			        t->nparts);
			rc = t->nparts ? VE_EX_DATAERR : VE_EX_NOINPUT;
		}
		part_free(&want);
	}
	return rc;
}

static int
run(const struct opts *o, char *arg)
{
	struct fetch f;
	struct plan pl = {0};
	int rc = fetch_init(&f, o);

	if (!rc)
		rc = o->suite ? plan_suite(&f, &pl) : plan_one(&f, arg, &pl);
	if (!rc)
		rc = expand_all(&f, &pl);
	for (size_t i = 0; !rc && i < pl.n; i++)
		rc = fetch_target(&f, &pl.t[i]);
	if (!rc && o->out)
		rc = write_manifest(&f, &pl);
	plan_free(&pl);
	fetch_free(&f);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	return ve_out_finish(run(&o, o.suite ? NULL : argv[optind]));
}
