/*
 * ch-query — rows out of ClickHouse as JSON Lines.
 *
 * Runs one SELECT given as an argument, read from a file (--file), or named
 * (--name NAME: share/clickhouse/queries/NAME.sql), and writes the result
 * as JSONEachRow. Queries take parameters written as ClickHouse's own
 * {name:Type}; --param name=value supplies them. On servers that have query
 * parameters (19.11 and newer) string values travel as param_name URL
 * parameters and the server substitutes them; on older ones (the tests'
 * 18.16) ch-query writes them into the SQL as quoted, escaped literals.
 * Numeric types are checked and written as numbers on every server.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "clickhouse.h"
#include "diag.h"
#include "num.h"
#include "output.h"
#include "share.h"

struct param {
	const char *name;
	size_t nlen;
	const char *value;
	bool used;
	bool sent; /* already a param_NAME URL parameter */
};

struct opts {
	const char *url;
	const char *user;
	const char *password_file;
	const char *file;
	const char *name;
	struct param *params;
	int nparams;
	long retries;
	double backoff;
	double max_wait;
	double timeout;
	bool insecure;
	int verbose;
	bool quiet;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [--url URL] [--user USER] [--password-file FILE]\n"
	        "                [-p NAME=VALUE]... [--retries N] [--backoff S] [--max-wait S]\n"
	        "                [--timeout S] [--insecure] SQL | -f FILE | -n NAME\n"
	        "\n"
	        "Run a SELECT on ClickHouse and write the rows as JSON Lines.\n"
	        "\n"
	        "      --url URL            ClickHouse HTTP interface (default CLICKHOUSE_URL)\n"
	        "      --user USER          user (default CLICKHOUSE_USER)\n"
	        "      --password-file FILE password in FILE (default CLICKHOUSE_PASSWORD)\n"
	        "  -f, --file FILE          read the SQL from FILE\n"
	        "  -n, --name NAME          the named query share/clickhouse/queries/NAME.sql\n"
	        "                           (history, latest, items)\n"
	        "  -p, --param NAME=VALUE   value of {NAME:Type} in the query (repeatable)\n"
	        "      --retries N          retries after the first try (default 2)\n"
	        "      --backoff S          backoff base: full jitter, doubling (default 1)\n"
	        "      --max-wait S         longest wait, Retry-After included (default 30)\n"
	        "      --timeout S          seconds per try (default 300)\n"
	        "      --attempts N         alias of --retries N-1, kept for old scripts\n"
	        "      --insecure           do not verify TLS\n"
	        "  -v, --verbose            print the server version and the row count\n"
	        "  -q, --quiet              no warnings\n"
	        "  -h, --help               this help\n"
	        "      --version            print the version\n"
	        "\n"
	        "Exit: 0 ok, 64 usage, 65 ClickHouse rejected the query, 66 cannot open,\n"
	        "69 ClickHouse unavailable or refused the credentials, 74 I/O error.\n"
	        "See ch-query(1).\n",
	        ve_progname);
}

enum {
	OPT_URL = 256,
	OPT_USER,
	OPT_PASSWORD_FILE,
	OPT_RETRIES,
	OPT_ATTEMPTS,
	OPT_BACKOFF,
	OPT_MAX_WAIT,
	OPT_TIMEOUT,
	OPT_INSECURE,
	OPT_VERSION,
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"url", required_argument, NULL, OPT_URL},
	    {"user", required_argument, NULL, OPT_USER},
	    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
	    {"file", required_argument, NULL, 'f'},
	    {"name", required_argument, NULL, 'n'},
	    {"param", required_argument, NULL, 'p'},
	    {"retries", required_argument, NULL, OPT_RETRIES},
	    {"attempts", required_argument, NULL, OPT_ATTEMPTS},
	    {"backoff", required_argument, NULL, OPT_BACKOFF},
	    {"max-wait", required_argument, NULL, OPT_MAX_WAIT},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"insecure", no_argument, NULL, OPT_INSECURE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->retries = 2;
	o->backoff = 1;
	o->max_wait = 30;
	o->timeout = 300;
	while ((c = getopt_long(argc, argv, "f:n:p:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL: o->url = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_PASSWORD_FILE: o->password_file = optarg; break;
		case 'f': o->file = optarg; break;
		case 'n': o->name = optarg; break;
		case 'p': {
			const char *eq = strchr(optarg, '=');
			if (!eq || !ve_ch_plain_name(optarg, (size_t)(eq - optarg)))
				ve_usage_error(
				    "--param: expected NAME=VALUE with a plain NAME, got "
				    "'%s'",
				    optarg);
			o->params =
			    ve_xrealloc(o->params, sizeof *o->params * (size_t)(o->nparams + 1));
			o->params[o->nparams++] =
			    (struct param){optarg, (size_t)(eq - optarg), eq + 1, false, false};
			break;
		}
		case OPT_RETRIES: o->retries = ve_opt_long("--retries", optarg, 0, 100); break;
		case OPT_ATTEMPTS:
			o->retries = ve_opt_long("--attempts", optarg, 1, 101) - 1;
			break;
		case OPT_BACKOFF: o->backoff = ve_opt_double("--backoff", optarg, 0, 3600); break;
		case OPT_MAX_WAIT:
			o->max_wait = ve_opt_double("--max-wait", optarg, 0, 3600);
			break;
		case OPT_TIMEOUT: o->timeout = ve_opt_double("--timeout", optarg, 0, 86400); break;
		case OPT_INSECURE: o->insecure = true; break;
		case 'v': o->verbose++; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(fflush(stdout) ? VE_EX_IOERR : VE_EX_OK);
		case OPT_VERSION: ve_print_version();
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", ve_progname);
			exit(VE_EX_USAGE);
		}
	}
	int sources = (o->file != NULL) + (o->name != NULL) + (optind < argc);
	if (sources != 1 || argc - optind > 1)
		ve_usage_error("give the query once: as SQL, --file FILE or --name NAME");
	if (o->name && !ve_ch_plain_name(o->name, strlen(o->name)))
		ve_usage_error("--name: '%s' is not a query name (letters, digits, _)", o->name);
	const char *from = o->url ? "--url" : "CLICKHOUSE_URL";
	if (!o->url)
		o->url = getenv("CLICKHOUSE_URL");
	if (!o->url || !*o->url)
		ve_usage_error("no ClickHouse: give --url or set CLICKHOUSE_URL");
	ve_http_need_url(from, o->url, true);
	if (!o->user)
		o->user = getenv("CLICKHOUSE_USER");
}

static int
slurp(const char *path, struct ve_buf *out)
{
	FILE *f = fopen(path, "r");
	char chunk[8192];
	size_t n;

	if (!f) {
		ve_warn("%s: %s", path, strerror(errno));
		return VE_EX_NOINPUT;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ve_buf_add(out, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		ve_warn("%s: read error", path);
		return VE_EX_IOERR;
	}
	if (!out->p)
		ve_buf_adds(out, "");
	return 0;
}

static bool
numeric_type(const char *t, size_t n)
{
	return (n >= 3 && (strncmp(t, "Int", 3) == 0 || strncmp(t, "UInt", 4) == 0)) ||
	       (n >= 5 && strncmp(t, "Float", 5) == 0);
}

/* A ClickHouse string literal: quoted, with \ and ' escaped, control bytes as \xHH. */
static void
add_literal(struct ve_buf *b, const char *s)
{
	ve_buf_addc(b, '\'');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == '\'') {
			ve_buf_addc(b, '\\');
			ve_buf_addc(b, (char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			ve_buf_addf(b, "\\x%02X", *p);
		} else {
			ve_buf_addc(b, (char)*p);
		}
	}
	ve_buf_addc(b, '\'');
}

/* A value in the text form a param_NAME URL parameter takes (TSV escaping). */
static void
add_tsv(struct ve_buf *b, const char *s)
{
	struct ve_buf t = {0};

	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\': ve_buf_adds(&t, "\\\\"); break;
		case '\t': ve_buf_adds(&t, "\\t"); break;
		case '\n': ve_buf_adds(&t, "\\n"); break;
		case '\r': ve_buf_adds(&t, "\\r"); break;
		default: ve_buf_addc(&t, *p);
		}
	}
	ve_url_escape(b, t.p ? t.p : "");
	ve_buf_free(&t);
}

static struct param *
find_param(struct opts *o, const char *name, size_t n)
{
	for (int i = 0; i < o->nparams; i++)
		if (o->params[i].nlen == n && strncmp(o->params[i].name, name, n) == 0)
			return &o->params[i];
	return NULL;
}

/*
 * Replaces {name:Type} in sql by a literal, or keeps it and adds a
 * param_name URL parameter (server_params). 0 or 64 after a message.
 */
static int
substitute(struct opts *o, const char *sql, bool server_params, struct ve_buf *out,
           struct ve_buf *url_params)
{
	const char *p = sql;

	while (*p) {
		const char *open = strchr(p, '{');
		if (!open) {
			ve_buf_adds(out, p);
			break;
		}
		const char *colon = open + 1 +
		                    strspn(open + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
		                                     "STUVWXYZ0123456789_");
		const char *close = *colon == ':' ? strchr(colon, '}') : NULL;
		size_t nlen = (size_t)(colon - open - 1);
		if (!close || !ve_ch_plain_name(open + 1, nlen) ||
		    memchr(colon, '\n', (size_t)(close - colon))) {
			ve_buf_add(out, p, (size_t)(open + 1 - p));
			p = open + 1;
			continue;
		}
		ve_buf_add(out, p, (size_t)(open - p));
		const char *type = colon + 1;
		size_t tlen = (size_t)(close - type);
		struct param *pr = find_param(o, open + 1, nlen);
		if (!pr) {
			ve_warn("the query needs --param %.*s=VALUE (for {%.*s:%.*s})", (int)nlen,
			        open + 1, (int)nlen, open + 1, (int)tlen, type);
			return VE_EX_USAGE;
		}
		pr->used = true;
		if (numeric_type(type, tlen)) {
			double d;
			if (!ve_parse_double(pr->value, -1e308, 1e308, &d)) {
				ve_warn("--param %.*s: expected a number for %.*s, got '%s'",
				        (int)nlen, open + 1, (int)tlen, type, pr->value);
				return VE_EX_USAGE;
			}
			ve_buf_adds(out, pr->value);
		} else if (server_params) {
			ve_buf_add(out, open, (size_t)(close + 1 - open));
			if (!pr->sent) {
				ve_buf_addf(url_params, "%sparam_%.*s=", url_params->len ? "&" : "",
				            (int)nlen, open + 1);
				add_tsv(url_params, pr->value);
				pr->sent = true;
			}
		} else {
			add_literal(out, pr->value);
		}
		p = close + 1;
	}
	return 0;
}

/* True when the query already names an output format at its end. */
static bool
has_format(const char *sql, size_t len)
{
	while (len && (sql[len - 1] == ' ' || sql[len - 1] == '\n' || sql[len - 1] == '\t' ||
	               sql[len - 1] == ';'))
		len--;
	size_t end = len;
	while (len && sql[len - 1] != ' ' && sql[len - 1] != '\n' && sql[len - 1] != '\t')
		len--;
	if (len == end)
		return false;
	while (len && (sql[len - 1] == ' ' || sql[len - 1] == '\n' || sql[len - 1] == '\t'))
		len--;
	return len >= 6 && strncasecmp(sql + len - 6, "FORMAT", 6) == 0;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct ve_ch ch = {0};
	struct ve_buf text = {0}, sql = {0}, params = {0}, msg = {0};
	struct ve_http_resp resp = {0};
	char *password = NULL, *path = NULL;
	bool ch_up = false;
	int rc = 0;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	if (o.name) {
		struct ve_buf rel = {0};
		ve_buf_addf(&rel, "clickhouse/queries/%s.sql", o.name);
		path = ve_share_path(rel.p);
		ve_buf_free(&rel);
		if (!path) {
			ve_warn(
			    "--name %s: no share/clickhouse/queries/%s.sql (set VLLM_EVAL_SHARE)",
			    o.name, o.name);
			rc = VE_EX_NOINPUT;
			goto out;
		}
	}
	if (o.name || o.file) {
		if ((rc = slurp(path ? path : o.file, &text)))
			goto out;
	} else {
		ve_buf_adds(&text, argv[optind]);
	}
	if (o.password_file) {
		FILE *f = fopen(o.password_file, "r");
		size_t cap = 0;
		if (!f) {
			ve_warn("--password-file: %s: %s", o.password_file, strerror(errno));
			rc = VE_EX_NOINPUT;
			goto out;
		}
		ssize_t n = getline(&password, &cap, f);
		fclose(f);
		if (n < 0)
			n = 0;
		if (!password)
			password = ve_xstrdup("");
		while (n > 0 && (password[n - 1] == '\n' || password[n - 1] == '\r'))
			password[--n] = '\0';
		password[n] = '\0';
	} else if (getenv("CLICKHOUSE_PASSWORD")) {
		password = ve_xstrdup(getenv("CLICKHOUSE_PASSWORD"));
	}
	ve_ch_init(&ch, o.url, o.user, password);
	ch_up = true;
	ch.http.retry.retries = (int)o.retries;
	ch.http.retry.base = o.backoff;
	ch.http.retry.cap = o.max_wait;
	ch.http.timeout = o.timeout;
	ch.http.insecure = o.insecure;
	ch.http.verbose = o.verbose;
	if ((rc = ve_ch_version(&ch)))
		goto out;
	if (o.verbose)
		ve_warn("ClickHouse %s", ch.version);
	bool server_params = ve_ch_at_least(&ch, 19, 11);
	if ((rc = substitute(&o, text.p, server_params, &sql, &params)))
		goto out;
	for (int i = 0; i < o.nparams; i++)
		if (!o.params[i].used) {
			ve_warn("--param %.*s: the query has no {%.*s:Type}", (int)o.params[i].nlen,
			        o.params[i].name, (int)o.params[i].nlen, o.params[i].name);
			rc = VE_EX_USAGE;
			goto out;
		}
	while (sql.len && strchr(" \t\r\n;", sql.p[sql.len - 1]))
		sql.p[--sql.len] = '\0';
	if (!has_format(sql.p, sql.len))
		ve_buf_adds(&sql, "\nFORMAT JSONEachRow");
	/* 64-bit integers as numbers, as jq reads them, not as strings. */
	ve_buf_addf(&params, "%soutput_format_json_quote_64bit_integers=0", params.len ? "&" : "");
	if (ve_ch_post(&ch, sql.p, params.p, NULL, 0, false, &resp) != 0) {
		ve_warn("ClickHouse: %s after %d attempt%s", resp.error, resp.attempts,
		        resp.attempts == 1 ? "" : "s");
		rc = VE_EX_UNAVAILABLE;
	} else if (resp.status != 200) {
		int code = ve_ch_error_code(&resp.body);
		ve_ch_message(&ch, &resp.body, &msg);
		if (ve_ch_auth_error(code)) {
			ve_warn("ClickHouse: authentication failed: %s", msg.p);
			rc = VE_EX_UNAVAILABLE;
		} else if (ve_ch_temporary(&ch, &resp)) {
			ve_warn("ClickHouse: HTTP %ld after %d attempt%s: %s", resp.status,
			        resp.attempts, resp.attempts == 1 ? "" : "s", msg.p ? msg.p : "");
			rc = VE_EX_UNAVAILABLE;
		} else {
			ve_warn("%s: ClickHouse rejected the query: %s",
			        o.name   ? path
			        : o.file ? o.file
			                 : "SQL",
			        msg.p ? msg.p : "");
			rc = VE_EX_DATAERR;
		}
	} else {
		unsigned long rows = 0;
		for (size_t i = 0; i < resp.body.len; i++)
			rows += resp.body.p[i] == '\n';
		if (resp.body.len)
			ve_out_write(resp.body.p, resp.body.len);
		if (o.verbose)
			ve_warn("%lu row%s", rows, rows == 1 ? "" : "s");
	}
out:
	if (ch_up)
		ve_ch_free(&ch);
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	ve_http_resp_free(&resp);
	ve_buf_free(&text);
	ve_buf_free(&sql);
	ve_buf_free(&params);
	ve_buf_free(&msg);
	free(path);
	free(o.params);
	int rc2 = ve_out_close();
	return rc ? rc : rc2;
}
