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
 *
 * A named query runs with readonly=1, so it can never write. An answer in
 * JSONEachRow is checked before a byte of it is written (each line one JSON
 * object, a newline at its end): a proxy's page or a cut answer is exit 69,
 * never rows. Reads no records: the query is the operand, a file or a name.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cli.h"
#include "clickhouse.h"
#include "diag.h"
#include "num.h"
#include "output.h"
#include "share.h"
#include "json.h"
#include "jsoncheck.h"

struct param {
	const char *name;
	size_t nlen;
	const char *value;
	bool used;
	bool sent; /* already a param_NAME URL parameter */
};

struct opts {
	struct ve_cli cli;
	const char *file;
	const char *name;
	const char *sql; /* the query given as the operand */
	struct param *params;
	int nparams;
};

static const struct ve_cli_net net_defaults = {
    .retries = 2, .timeout = 300, .backoff = 1, .max_wait = 30};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [--url URL] [--user USER] [--password-file FILE]\n"
	        "                [-p NAME=VALUE]... [--retries N] [--backoff S] [--max-wait S]\n"
	        "                [--timeout S] [--max-body BYTES] [--insecure]\n"
	        "                SQL | -f FILE | -n NAME\n"
	        "\n"
	        "Run a SELECT on ClickHouse and write the rows as JSON Lines.\n"
	        "\n"
	        "  -f, --file FILE          read the SQL from FILE\n"
	        "  -n, --name NAME          the named query share/clickhouse/queries/NAME.sql\n"
	        "                           (history, latest, items), run read-only\n"
	        "  -p, --param NAME=VALUE   value of {NAME:Type} in the query (repeatable)\n",
	        ve_progname);
	ve_cli_help_net(f, VE_CLI_CLICKHOUSE | VE_CLI_NETWORK, &net_defaults, 27);
	ve_cli_help(f, 0, 27);
	fprintf(f, "\n"
	           "With -v, the server version and the row count go to stderr.\n"
	           "Exit: 0 ok, 64 usage, 65 ClickHouse rejected the query, 66 cannot open,\n"
	           "69 ClickHouse unavailable, refused the credentials or answered what is not\n"
	           "JSONEachRow, 74 I/O error. See ch-query(1).\n");
}

/* -p NAME=VALUE, NAME a plain name. */
static void
add_param(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || !ve_ch_plain_name(arg, (size_t)(eq - arg)))
		ve_usage_error("--param: expected NAME=VALUE with a plain NAME, got '%s'", arg);
	o->params = ve_xrealloc(o->params, sizeof *o->params * (size_t)(o->nparams + 1));
	o->params[o->nparams++] = (struct param){arg, (size_t)(eq - arg), eq + 1, false, false};
}

/* The checks across options, and the defaults from the environment. */
static void
check_args(struct opts *o, int argc, char **argv)
{
	int sources = (o->file != NULL) + (o->name != NULL) + (optind < argc);
	if (sources != 1 || argc - optind > 1)
		ve_usage_error("give the query once: as SQL, --file FILE or --name NAME");
	if (optind < argc)
		o->sql = argv[optind];
	if (o->name && !ve_ch_plain_name(o->name, strlen(o->name)))
		ve_usage_error("--name: '%s' is not a query name (letters, digits, _)", o->name);
	ve_cli_clickhouse(&o->cli);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"file", required_argument, NULL, 'f'},
	    {"name", required_argument, NULL, 'n'},
	    {"param", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->cli = (struct ve_cli){.flags = VE_CLI_CLICKHOUSE | VE_CLI_NETWORK, .net = net_defaults};
	while ((c = ve_getopt(argc, argv, "f:n:p:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'n': o->name = optarg; break;
		case 'p': add_param(o, optarg); break;
		}
	}
	check_args(o, argc, argv);
}

/* Reads the SQL of a query file whole (text, not records); 0 or an exit status. */
static int
slurp(const char *path, struct ve_buf *out)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		ve_warn("%s:", path);
		return VE_EX_NOINPUT;
	}
	bool bad = !ve_buf_read(out, f);
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

/*
 * The output format the query names at its end ("... FORMAT TSV;"), as a
 * pointer into sql and its length in *n; NULL when it names none.
 */
static const char *
named_format(const char *sql, size_t len, size_t *n)
{
	while (len && (sql[len - 1] == ' ' || sql[len - 1] == '\n' || sql[len - 1] == '\t' ||
	               sql[len - 1] == ';'))
		len--;
	size_t end = len;
	while (len && sql[len - 1] != ' ' && sql[len - 1] != '\n' && sql[len - 1] != '\t')
		len--;
	size_t word = len;
	if (word == end)
		return NULL;
	while (len && (sql[len - 1] == ' ' || sql[len - 1] == '\n' || sql[len - 1] == '\t'))
		len--;
	if (len < 6 || strncasecmp(sql + len - 6, "FORMAT", 6) != 0)
		return NULL;
	*n = end - word;
	return sql + word;
}

/* The query: as given, as sent, and how its answer is checked. */
struct query {
	const char *where;    /* for messages: the named query's file, --file, or "SQL" */
	char *path;           /* the named query's file */
	struct ve_buf text;   /* as given */
	struct ve_buf sql;    /* as sent */
	struct ve_buf params; /* URL parameters */
	bool rows;            /* the answer is JSONEachRow, to be checked */
};

/* The query's text from its name, its file or the operand; 0 or an exit status. */
static int
load_query(const struct opts *o, struct query *q)
{
	if (o->name) {
		struct ve_buf rel = {0};
		ve_buf_addf(&rel, "clickhouse/queries/%s.sql", o->name);
		q->path = ve_share_path(rel.p);
		ve_buf_free(&rel);
		if (!q->path) {
			ve_warn(
			    "--name %s: no share/clickhouse/queries/%s.sql (set VLLM_EVAL_SHARE)",
			    o->name, o->name);
			return VE_EX_NOINPUT;
		}
	}
	q->where = q->path ? q->path : o->file ? o->file : "SQL";
	if (o->sql) {
		ve_buf_adds(&q->text, o->sql);
		return 0;
	}
	return slurp(q->path ? q->path : o->file, &q->text);
}

/*
 * The SQL to send and its URL parameters: parameters substituted, every
 * --param used, JSONEachRow unless the query names a format, 64-bit
 * integers as numbers, and a named query read-only. 0 or 64.
 */
static int
build_query(struct opts *o, const struct ve_ch *ch, struct query *q)
{
	bool server_params = ve_ch_at_least(ch, 19, 11);
	int rc;

	if ((rc = substitute(o, q->text.p, server_params, &q->sql, &q->params)))
		return rc;
	for (int i = 0; i < o->nparams; i++)
		if (!o->params[i].used) {
			ve_warn("--param %.*s: the query has no {%.*s:Type}",
			        (int)o->params[i].nlen, o->params[i].name, (int)o->params[i].nlen,
			        o->params[i].name);
			return VE_EX_USAGE;
		}
	while (q->sql.len && strchr(" \t\r\n;", q->sql.p[q->sql.len - 1]))
		q->sql.p[--q->sql.len] = '\0';
	size_t n = 0;
	const char *format = named_format(q->sql.p, q->sql.len, &n);
	if (!format)
		ve_buf_adds(&q->sql, "\nFORMAT JSONEachRow");
	q->rows = !format || (n == 11 && strncasecmp(format, "JSONEachRow", 11) == 0);
	/* 64-bit integers as numbers, as jq reads them, not as strings. */
	ve_buf_addf(&q->params, "%soutput_format_json_quote_64bit_integers=0",
	            q->params.len ? "&" : "");
	/* A named query only reads (last: the settings before it are applied first). */
	if (o->name)
		ve_buf_adds(&q->params, "&readonly=1");
	return 0;
}

/*
 * True when line[0..len) is one JSON object, as every vllm-eval tool reads
 * records: the grammar's quick yes, else the record parser's answer.
 */
static bool
object_line(const char *line, size_t len)
{
	if (ve_json_object_fast(line, len))
		return true;
	jv v = ve_record_parse(line, len);
	bool ok = jv_is_valid(v);

	jv_free(v);
	return ok;
}

/*
 * 0 when body is JSONEachRow: each line one JSON object, a newline at the
 * end (nothing at all is no rows); else 69 after a message naming the
 * query. Nothing of the answer is shown: it may echo the request.
 */
static int
check_rows(const struct ve_buf *body, const char *where)
{
	const char *p = body->p, *end = body->p + body->len;
	size_t line = 0;

	if (body->len && end[-1] != '\n') {
		ve_warn("%s: ClickHouse's answer was cut short (no newline at its end)", where);
		return VE_EX_UNAVAILABLE;
	}
	for (; p < end; p++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (!object_line(p, (size_t)(nl - p))) {
			ve_warn(
			    "%s: ClickHouse's answer is not JSONEachRow: line %zu is not a JSON "
			    "object",
			    where, line);
			return VE_EX_UNAVAILABLE;
		}
		p = nl;
	}
	return 0;
}

/* Sends the query and writes the answer; 0 or an exit status. */
static int
run_query(const struct opts *o, struct ve_ch *ch, const struct query *q)
{
	struct ve_http_resp resp = {0};
	struct ve_buf msg = {0};
	int rc = 0;

	int sent = ve_ch_post(ch, q->sql.p, q->params.p, NULL, 0, false, &resp);
	switch (ve_ch_result(ch, sent, &resp, &msg)) {
	case VE_CH_OK:
		if (q->rows && (rc = check_rows(&resp.body, q->where)))
			break;
		if (resp.body.len)
			ve_out_write(resp.body.p, resp.body.len);
		if (o->cli.verbose) {
			unsigned long rows = 0;
			for (size_t i = 0; i < resp.body.len; i++)
				rows += resp.body.p[i] == '\n';
			ve_warn("%lu row%s", rows, rows == 1 ? "" : "s");
		}
		break;
	case VE_CH_REJECTED:
		ve_warn("%s: ClickHouse rejected the query: %s", q->where, msg.p ? msg.p : "");
		rc = VE_EX_DATAERR;
		break;
	case VE_CH_REFUSED:
	case VE_CH_UNAVAILABLE: rc = VE_EX_UNAVAILABLE; break;
	}
	ve_buf_free(&msg);
	ve_http_resp_free(&resp);
	return rc;
}

/* Reads the query (no records); writes its rows to stdout. */
int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct ve_ch ch = {0};
	struct query q = {0};
	bool ch_up = false;
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	if ((rc = load_query(&o, &q)) || (rc = ve_ch_open(&ch, &o.cli)))
		goto out;
	ch_up = true;
	if ((rc = ve_ch_version(&ch)))
		goto out;
	if (o.cli.verbose)
		ve_warn("ClickHouse %s", ch.version);
	if (!(rc = build_query(&o, &ch, &q)))
		rc = run_query(&o, &ch, &q);
out:
	if (ch_up)
		ve_ch_free(&ch);
	ve_buf_free(&q.text);
	ve_buf_free(&q.sql);
	ve_buf_free(&q.params);
	free(q.path);
	free(o.params);
	return ve_out_finish(rc);
}
