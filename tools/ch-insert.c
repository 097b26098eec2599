/*
 * ch-insert — metric, item and run rows into ClickHouse over HTTP.
 *
 * Reads JSON Lines and inserts them into a table of the vllm_eval schema
 * (share/clickhouse/schema.sql): results (metric rows of vllm-eval(7)), items
 * (item rows) or runs; or any table with --columns. Each row is
 * converted to the table's columns, all of them listed (18.16 fills an
 * omitted field with zero, not its DEFAULT), run_id, model_tag and ts filled
 * from the options or the environment where the row lacks them. Rows go in
 * batches of --batch-rows as INSERT ... FORMAT JSONEachRow with a gzip body.
 *
 * The server's version is asked once: 22.2 and newer also get an
 * insert_deduplication_token per batch. A batch that gets no answer, or a
 * 5xx or a temporary ClickHouse error, is tried again with a doubling wait;
 * a batch ClickHouse rejects stops the run with its message and the input
 * lines it names (exit 65). With --spool DIR a batch that still fails is
 * written to DIR and the run exits 75; --flush-spool sends those later.
 * Sending a batch twice is harmless: the tables are ReplacingMergeTrees
 * keyed on each row's identity.
 *
 * --tee copies the input lines to stdout as they came; --init creates the
 * database and tables.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "chttp.h"
#include "clickhouse.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "progress.h"
#include "sha256.h"
#include "share.h"

struct opts {
	const char *url;
	const char *user;
	const char *password_file;
	const char *database;
	const char *table;
	const char *columns;
	const char *run_id;
	const char *model_tag;
	const char *ts;
	long batch_rows;
	long attempts;
	double backoff;
	double max_wait;
	double timeout;
	bool insecure;
	const char *spool;
	bool flush_spool;
	bool tee;
	bool init;
	bool skip_bad;
	const char *rejects;
	bool progress;
	int verbose;
	bool quiet;
};

/* How a column's value is made from a row. */
enum kind {
	K_STR,      /* a string field; "" when absent */
	K_REQSTR,   /* a string field that must be there */
	K_JSONTEXT, /* any value as its JSON text ("" when absent; strings as they are) */
	K_LABELS,   /* an object as canonical JSON; "{}" when absent */
	K_NUM,      /* a number that must be there */
	K_NNUM,     /* a number or null */
	K_NCOUNT,   /* a non-negative integer or null */
	K_NBOOL,    /* true/false as 1/0, or null */
	K_TIME,     /* a time (ISO-8601 or epoch seconds) that must be there */
	K_NTIME,    /* a time or null */
	K_RUN_ID,   /* the row's, else --run-id / RUN_ID */
	K_MODEL,    /* the row's, else --model-tag / MODEL_TAG */
	K_TS,       /* the row's ts, else --ts, else the time the run started */
	K_NOW,      /* the time the row is sent */
	K_RAW,      /* --columns: the field's JSON as it is, left out when absent */
};

struct column {
	const char *name;
	enum kind kind;
	const char *field; /* the row's field, when not the column's name */
};

static const struct column results_cols[] = {
    {"run_id", K_RUN_ID, NULL},
    {"model_tag", K_MODEL, NULL},
    {"metric", K_REQSTR, NULL},
    {"value", K_NUM, NULL},
    {"ts", K_TS, NULL},
    {"n", K_NCOUNT, NULL},
    {"stderr", K_NNUM, NULL},
    {"unit", K_STR, NULL},
    {"labels", K_LABELS, NULL},
    {"inserted_at", K_NOW, NULL},
    {NULL, 0, NULL},
};
static const struct column items_cols[] = {
    {"run_id", K_RUN_ID, NULL}, {"model_tag", K_MODEL, NULL}, {"ts", K_TS, NULL},
    {"task", K_REQSTR, NULL},   {"doc_id", K_REQSTR, NULL},   {"subset", K_STR, NULL},
    {"pred", K_JSONTEXT, NULL}, {"gold", K_JSONTEXT, NULL},   {"correct", K_NBOOL, NULL},
    {"score", K_NNUM, NULL},    {"inserted_at", K_NOW, NULL}, {NULL, 0, NULL},
};
static const struct column runs_cols[] = {
    {"run_id", K_RUN_ID, NULL},    {"model_tag", K_MODEL, NULL}, {"image", K_STR, NULL},
    {"started", K_TIME, NULL},     {"finished", K_NTIME, NULL},  {"status", K_STR, NULL},
    {"workflow_url", K_STR, NULL}, {"inserted_at", K_NOW, NULL}, {NULL, 0, NULL},
};

/* The rows of one batch, with where each came from for error reports. */
struct batch {
	struct ve_buf rows;
	size_t n;
	char **lines;  /* the input lines as they came */
	char **places; /* "FILE:LINE" */
	size_t cap;
};

struct state {
	const struct opts *o;
	struct ve_ch ch;
	const struct column *cols;
	struct column *own_cols; /* --columns */
	char *cols_text;         /* the names own_cols point into */
	char *insert_sql;
	const char *run_id, *model_tag;
	long long start_ts;
	bool ts_given;
	struct batch b;
	struct ve_buf gz, tmp, msg;
	struct ve_sha256 *sha;
	bool circuit_open; /* a batch went to the spool: the rest go straight there */
	unsigned long long rows_sent, batches_sent, rows_spooled, batches_spooled;
	unsigned spool_seq;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [--url URL] [--user USER] [--password-file FILE]\n"
	        "                 [--database DB] [-t TABLE] [--columns LIST] [--run-id ID]\n"
	        "                 [--model-tag TAG] [--ts TIME] [-b N] [--spool DIR] [--tee]\n"
	        "                 [--attempts N] [--backoff S] [--max-wait S] [--timeout S]\n"
	        "                 [--insecure] [--skip-bad] [--rejects FILE] [--progress]\n"
	        "                 [FILE...]\n"
	        "       %s --init [--url URL] [--database DB]\n"
	        "       %s --flush-spool --spool DIR [--url URL]\n"
	        "\n"
	        "Insert metric, item or run rows into ClickHouse over HTTP, in gzip'd batches,\n"
	        "retried, and spooled when the server stays away.\n"
	        "\n"
	        "      --url URL            ClickHouse HTTP interface (default CLICKHOUSE_URL)\n"
	        "      --user USER          user (default CLICKHOUSE_USER)\n"
	        "      --password-file FILE password in FILE (default CLICKHOUSE_PASSWORD)\n"
	        "      --database DB        database (default vllm_eval)\n"
	        "  -t, --table TABLE        results, items, runs, or another with --columns\n"
	        "      --columns LIST       columns of another table, taken from the rows' fields\n"
	        "      --run-id ID          run_id where rows lack it (default RUN_ID)\n"
	        "      --model-tag TAG      model_tag where rows lack it (default MODEL_TAG)\n"
	        "      --ts TIME            ts where rows lack it (default: now)\n"
	        "  -b, --batch-rows N       rows per INSERT (default 10000)\n"
	        "      --spool DIR          keep batches that still fail in DIR; exit 75\n"
	        "      --flush-spool        send the batches kept in --spool DIR\n"
	        "      --tee                copy the input lines to stdout\n"
	        "      --init               create the database and tables, then exit\n"
	        "      --attempts N         tries per batch (default 5)\n"
	        "      --backoff S          first wait between tries (default 1, doubling)\n"
	        "      --max-wait S         longest wait (default 30)\n"
	        "      --timeout S          per try (default 60)\n"
	        "      --insecure           do not verify TLS\n"
	        "      --skip-bad           skip malformed records, count them\n"
	        "      --rejects FILE       write skipped records to FILE (implies --skip-bad)\n"
	        "      --progress           show progress even when stderr is not a terminal\n"
	        "  -v, --verbose            print the server version and counts to stderr\n"
	        "  -q, --quiet              no warnings\n"
	        "  -h, --help               this help\n"
	        "      --version            print the version\n"
	        "\n"
	        "Exit: 0 ok, 64 usage, 65 bad input or a rejected batch, 66 cannot open,\n"
	        "69 ClickHouse unavailable or refused the credentials, 74 I/O error,\n"
	        "75 batches spooled. See ch-insert(1).\n",
	        ve_progname, ve_progname, ve_progname);
}

enum {
	OPT_URL = 256,
	OPT_USER,
	OPT_PASSWORD_FILE,
	OPT_DATABASE,
	OPT_COLUMNS,
	OPT_RUN_ID,
	OPT_MODEL_TAG,
	OPT_TS,
	OPT_SPOOL,
	OPT_FLUSH_SPOOL,
	OPT_TEE,
	OPT_INIT,
	OPT_ATTEMPTS,
	OPT_BACKOFF,
	OPT_MAX_WAIT,
	OPT_TIMEOUT,
	OPT_INSECURE,
	OPT_SKIP_BAD,
	OPT_REJECTS,
	OPT_PROGRESS,
	OPT_VERSION,
};

/* Names ClickHouse takes without quoting: letters, digits, underscores. */
static bool
plain_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"url", required_argument, NULL, OPT_URL},
	    {"user", required_argument, NULL, OPT_USER},
	    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
	    {"database", required_argument, NULL, OPT_DATABASE},
	    {"table", required_argument, NULL, 't'},
	    {"columns", required_argument, NULL, OPT_COLUMNS},
	    {"run-id", required_argument, NULL, OPT_RUN_ID},
	    {"model-tag", required_argument, NULL, OPT_MODEL_TAG},
	    {"ts", required_argument, NULL, OPT_TS},
	    {"batch-rows", required_argument, NULL, 'b'},
	    {"spool", required_argument, NULL, OPT_SPOOL},
	    {"flush-spool", no_argument, NULL, OPT_FLUSH_SPOOL},
	    {"tee", no_argument, NULL, OPT_TEE},
	    {"init", no_argument, NULL, OPT_INIT},
	    {"attempts", required_argument, NULL, OPT_ATTEMPTS},
	    {"backoff", required_argument, NULL, OPT_BACKOFF},
	    {"max-wait", required_argument, NULL, OPT_MAX_WAIT},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"insecure", no_argument, NULL, OPT_INSECURE},
	    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
	    {"rejects", required_argument, NULL, OPT_REJECTS},
	    {"progress", no_argument, NULL, OPT_PROGRESS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->table = "results";
	o->batch_rows = 10000;
	o->attempts = 5;
	o->backoff = 1;
	o->max_wait = 30;
	o->timeout = 60;
	while ((c = getopt_long(argc, argv, "t:b:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL: o->url = optarg; break;
		case OPT_USER: o->user = optarg; break;
		case OPT_PASSWORD_FILE: o->password_file = optarg; break;
		case OPT_DATABASE: o->database = optarg; break;
		case 't': o->table = optarg; break;
		case OPT_COLUMNS: o->columns = optarg; break;
		case OPT_RUN_ID: o->run_id = optarg; break;
		case OPT_MODEL_TAG: o->model_tag = optarg; break;
		case OPT_TS: o->ts = optarg; break;
		case 'b': o->batch_rows = ve_opt_long("--batch-rows", optarg, 1, 10000000); break;
		case OPT_SPOOL: o->spool = optarg; break;
		case OPT_FLUSH_SPOOL: o->flush_spool = true; break;
		case OPT_TEE: o->tee = true; break;
		case OPT_INIT: o->init = true; break;
		case OPT_ATTEMPTS: o->attempts = ve_opt_long("--attempts", optarg, 1, 100); break;
		case OPT_BACKOFF: o->backoff = ve_opt_double("--backoff", optarg, 0, 3600); break;
		case OPT_MAX_WAIT:
			o->max_wait = ve_opt_double("--max-wait", optarg, 0, 3600);
			break;
		case OPT_TIMEOUT: o->timeout = ve_opt_double("--timeout", optarg, 0, 86400); break;
		case OPT_INSECURE: o->insecure = true; break;
		case OPT_SKIP_BAD: o->skip_bad = true; break;
		case OPT_REJECTS: o->rejects = optarg; break;
		case OPT_PROGRESS: o->progress = true; break;
		case 'v': o->verbose++; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(fflush(stdout) ? VE_EX_IOERR : VE_EX_OK);
		case OPT_VERSION: ve_print_version();
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", ve_progname);
			exit(VE_EX_USAGE);
		}
	}
	if (!o->url)
		o->url = getenv("CLICKHOUSE_URL");
	if (!o->url || !*o->url)
		ve_usage_error("no ClickHouse: give --url or set CLICKHOUSE_URL");
	if (!o->user)
		o->user = getenv("CLICKHOUSE_USER");
	if (!o->database)
		o->database = "vllm_eval";
	if (!plain_name(o->database))
		ve_usage_error("--database: '%s' is not a plain name (letters, digits, _)",
		               o->database);
	if (!plain_name(o->table))
		ve_usage_error("--table: '%s' is not a plain name (letters, digits, _)", o->table);
	bool known = strcmp(o->table, "results") == 0 || strcmp(o->table, "items") == 0 ||
	             strcmp(o->table, "runs") == 0;
	if (!known && !o->columns)
		ve_usage_error("--table %s: not a vllm_eval table; list its --columns", o->table);
	if (known && o->columns)
		ve_usage_error("--columns is for other tables: %s has its own", o->table);
	if (o->flush_spool && !o->spool)
		ve_usage_error("--flush-spool needs --spool DIR");
	if ((o->init || o->flush_spool) && optind < argc)
		ve_usage_error("--%s reads no input files", o->init ? "init" : "flush-spool");
	if (o->init && o->flush_spool)
		ve_usage_error("--init and --flush-spool cannot be used together");
}

/* Reads the password: the file's first line. 0 or an exit status. */
static int
read_password(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		ve_warn("--password-file: %s: %s", path, strerror(errno));
		return VE_EX_NOINPUT;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	if (n < 0) {
		free(line);
		line = ve_xstrdup("");
		n = 0;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	*out = line;
	return 0;
}

/*
 * Seconds since the epoch of an ISO-8601 time: YYYY-MM-DD[T ]HH:MM:SS, an
 * optional fraction (dropped: DateTime holds seconds), and Z, +HH:MM or
 * nothing (UTC). False when s is not such a time.
 */
static bool
parse_time(const char *s, long long *out)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof tm);
	if (!(p = strptime(s, "%Y-%m-%d", &tm)) || (*p != 'T' && *p != ' '))
		return false;
	if (!(p = strptime(p + 1, "%H:%M:%S", &tm)))
		return false;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm, used = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &used) != 2 || used != 5)
			return false;
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	}
	if (*p)
		return false;
	*out = (long long)timegm(&tm) - off;
	return true;
}

/* A time value (borrowed jv): a string as above, or a number of seconds. */
static const char *
time_value(jv v, long long *out)
{
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (!(d >= 0 && d < 4294967296.0))
			return "a time within DateTime's range (1970 to 2106)";
		*out = (long long)d;
		return NULL;
	}
	if (jv_get_kind(v) != JV_KIND_STRING || !parse_time(jv_string_value(v), out))
		return "a time (YYYY-MM-DDTHH:MM:SSZ or epoch seconds)";
	if (*out < 0 || *out >= 4294967296LL)
		return "a time within DateTime's range (1970 to 2106)";
	return NULL;
}

static void
add_double(struct ve_buf *b, double d)
{
	/* 17 digits: a double read back is the same double. */
	ve_buf_addf(b, "%.17g", d == 0 ? 0.0 : d);
}

/*
 * Appends the row (borrowed) converted to the table's columns to out.
 * Returns NULL, or the reason it cannot be converted (in why).
 */
static const char *
convert(struct state *st, jv rec, struct ve_buf *out, long long now, char *why, size_t whylen)
{
	size_t mark = out->len;
	bool first = true;

	ve_buf_addc(out, '{');
	for (const struct column *c = st->cols; c->name; c++) {
		const char *field = c->field ? c->field : c->name;
		jv v = jv_object_get(jv_copy(rec), jv_string(field));
		jv_kind k = jv_get_kind(v);
		const char *err = NULL;
		long long t;

		if (c->kind == K_RAW && k == JV_KIND_INVALID) {
			jv_free(v);
			continue;
		}
		if (!first)
			ve_buf_addc(out, ',');
		first = false;
		ve_buf_addc(out, '"');
		ve_buf_adds(out, c->name);
		ve_buf_adds(out, "\":");
		switch (c->kind) {
		case K_STR:
		case K_REQSTR:
			if (k == JV_KIND_STRING)
				ve_buf_add_json_str(out, jv_string_value(v),
				                    (size_t)jv_string_length_bytes(jv_copy(v)));
			else if (c->kind == K_STR && (k == JV_KIND_INVALID || k == JV_KIND_NULL))
				ve_buf_adds(out, "\"\"");
			else
				err = "a string";
			break;
		case K_JSONTEXT:
			if (k == JV_KIND_STRING) {
				ve_buf_add_json_str(out, jv_string_value(v),
				                    (size_t)jv_string_length_bytes(jv_copy(v)));
			} else if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
				ve_buf_adds(out, "\"\"");
			} else {
				ve_buf_reset(&st->tmp);
				ve_json_canon(v, &st->tmp);
				ve_buf_add_json_str(out, st->tmp.p, st->tmp.len);
			}
			break;
		case K_LABELS:
			if (k == JV_KIND_OBJECT) {
				ve_buf_reset(&st->tmp);
				ve_json_canon(v, &st->tmp);
				ve_buf_add_json_str(out, st->tmp.p, st->tmp.len);
			} else if (k == JV_KIND_INVALID || k == JV_KIND_NULL) {
				ve_buf_adds(out, "\"{}\"");
			} else {
				err = "an object";
			}
			break;
		case K_NUM:
		case K_NNUM:
			if (k == JV_KIND_NUMBER)
				add_double(out, jv_number_value(v));
			else if (c->kind == K_NNUM && (k == JV_KIND_INVALID || k == JV_KIND_NULL))
				ve_buf_adds(out, "null");
			else
				err = "a number";
			break;
		case K_NCOUNT:
			if (k == JV_KIND_NUMBER && jv_number_value(v) >= 0 &&
			    jv_number_value(v) < 9007199254740992.0 &&
			    jv_number_value(v) == floor(jv_number_value(v)))
				ve_buf_addf(out, "%.0f", jv_number_value(v));
			else if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
				ve_buf_adds(out, "null");
			else
				err = "a count (an integer from 0)";
			break;
		case K_NBOOL:
			if (k == JV_KIND_TRUE || k == JV_KIND_FALSE)
				ve_buf_addc(out, k == JV_KIND_TRUE ? '1' : '0');
			else if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
				ve_buf_adds(out, "null");
			else
				err = "true or false";
			break;
		case K_TIME:
		case K_NTIME:
			if (c->kind == K_NTIME && (k == JV_KIND_INVALID || k == JV_KIND_NULL)) {
				ve_buf_adds(out, "null");
			} else if (k == JV_KIND_INVALID) {
				err = "a time";
			} else if ((err = time_value(v, &t)) == NULL) {
				ve_buf_addf(out, "%lld", t);
			}
			break;
		case K_TS:
			if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
				ve_buf_addf(out, "%lld", st->start_ts);
			else if ((err = time_value(v, &t)) == NULL)
				ve_buf_addf(out, "%lld", t);
			break;
		case K_RUN_ID:
		case K_MODEL: {
			const char *fill = c->kind == K_RUN_ID ? st->run_id : st->model_tag;
			if (k == JV_KIND_STRING)
				ve_buf_add_json_str(out, jv_string_value(v),
				                    (size_t)jv_string_length_bytes(jv_copy(v)));
			else if ((k == JV_KIND_INVALID || k == JV_KIND_NULL) && fill)
				ve_buf_add_json_str(out, fill, strlen(fill));
			else if (k == JV_KIND_INVALID || k == JV_KIND_NULL)
				err = c->kind == K_RUN_ID ? "given (no --run-id or RUN_ID)"
				                          : "given (no --model-tag or MODEL_TAG)";
			else
				err = "a string";
			break;
		}
		case K_NOW: ve_buf_addf(out, "%lld", now); break;
		case K_RAW:
			ve_buf_reset(&st->tmp);
			ve_json_dump(v, &st->tmp);
			ve_buf_add(out, st->tmp.p, st->tmp.len);
			break;
		}
		jv_free(v);
		if (err) {
			snprintf(why, whylen, "\"%s\" must be %s", field, err);
			out->len = mark;
			out->p[mark] = '\0';
			return why;
		}
	}
	ve_buf_adds(out, "}\n");
	return NULL;
}

static void
batch_add(struct batch *b, const struct ve_line *line)
{
	char place[64];

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->lines = ve_xrealloc(b->lines, b->cap * sizeof *b->lines);
		b->places = ve_xrealloc(b->places, b->cap * sizeof *b->places);
	}
	b->lines[b->n] = ve_xmalloc(line->len + 1);
	memcpy(b->lines[b->n], line->text, line->len);
	b->lines[b->n][line->len] = '\0';
	struct ve_buf p = {0};
	snprintf(place, sizeof place, ":%llu", line->lineno);
	ve_buf_adds(&p, line->name);
	ve_buf_adds(&p, place);
	b->places[b->n] = p.p;
	b->n++;
}

static void
batch_reset(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->lines[i]);
		free(b->places[i]);
	}
	b->n = 0;
	ve_buf_reset(&b->rows);
}

static void
batch_free(struct batch *b)
{
	batch_reset(b);
	free(b->lines);
	free(b->places);
	ve_buf_free(&b->rows);
}

/* The row number in "(at row N)" of ClickHouse's message, from 1, or 0. */
static size_t
named_row(const char *msg)
{
	const char *p = msg ? strstr(msg, "(at row ") : NULL;
	long n;

	if (!p)
		return 0;
	p += 8;
	char num[24];
	size_t k = 0;
	while (k < sizeof num - 1 && p[k] >= '0' && p[k] <= '9') {
		num[k] = p[k];
		k++;
	}
	num[k] = '\0';
	return k && ve_parse_long(num, 1, 1000000000, &n) ? (size_t)n : 0;
}

/* Says what ClickHouse rejected: its message, then the input lines it names. */
static void
report_rejected(struct state *st, const struct batch *b, const struct ve_buf *msg)
{
	size_t row = named_row(msg->p);

	ve_warn("%s: ClickHouse rejected the batch of %zu row%s starting here: %s", b->places[0],
	        b->n, b->n == 1 ? "" : "s", msg->p ? msg->p : "");
	if (row >= 1 && row <= b->n) {
		ve_warn("%s: %s", b->places[row - 1], b->lines[row - 1]);
		return;
	}
	/* No row named: show the batch, a screen at most. */
	for (size_t i = 0; i < b->n && i < 10; i++)
		ve_warn("%s: %s", b->places[i], b->lines[i]);
	if (b->n > 10)
		ve_warn("and %zu more rows", b->n - 10);
}

/* Writes the batch to the spool: the INSERT on the first line, then the rows, gzip'd. */
static int
spool_batch(struct state *st, const struct batch *b)
{
	struct ve_buf path = {0}, tmp = {0}, head = {0};
	int rc = 0;

	ve_buf_addf(&path, "%s/batch-%lld-%ld-%06u.jsonl.gz", st->o->spool, (long long)time(NULL),
	            (long)getpid(), st->spool_seq++);
	ve_buf_addf(&tmp, "%s.tmp", path.p);
	ve_buf_adds(&head, "{\"query\":");
	ve_buf_add_json_str(&head, st->insert_sql, strlen(st->insert_sql));
	ve_buf_adds(&head, "}\n");
	gzFile gz = gzopen(tmp.p, "wb");
	if (!gz) {
		ve_warn("--spool: %s: %s", tmp.p, strerror(errno ? errno : EIO));
		rc = VE_EX_IOERR;
		goto out;
	}
	bool ok = gzwrite(gz, head.p, (unsigned)head.len) == (int)head.len &&
	          gzwrite(gz, b->rows.p, (unsigned)b->rows.len) == (int)b->rows.len;
	if (gzclose(gz) != Z_OK || !ok) {
		ve_warn("--spool: %s: write error", tmp.p);
		unlink(tmp.p);
		rc = VE_EX_IOERR;
		goto out;
	}
	/* Renamed whole: a flush never sees half a batch. */
	if (rename(tmp.p, path.p) != 0) {
		ve_warn("--spool: %s: %s", path.p, strerror(errno));
		unlink(tmp.p);
		rc = VE_EX_IOERR;
		goto out;
	}
	st->rows_spooled += b->n;
	st->batches_spooled++;
	if (st->o->verbose)
		ve_warn("spooled %zu rows to %s", b->n, path.p);
out:
	ve_buf_free(&path);
	ve_buf_free(&tmp);
	ve_buf_free(&head);
	return rc;
}

enum send_result { SENT, REJECTED, UNAVAILABLE, REFUSED };

/* Sends sql with rows (uncompressed, n rows); says why it failed, except a rejection. */
static enum send_result
send_rows(struct state *st, const char *sql, const struct ve_buf *rows)
{
	struct ve_http_resp resp = {0};
	struct ve_buf params = {0};
	enum send_result res = SENT;

	if (ve_ch_version(&st->ch) != 0)
		return st->ch.refused ? REFUSED : UNAVAILABLE;
	if (ve_ch_at_least(&st->ch, 22, 2)) {
		/* The same rows make the same token: the server drops a batch sent again. */
		unsigned char d[VE_SHA256_LEN];
		char hex[2 * VE_SHA256_LEN + 1];
		ve_sha256_init(st->sha);
		ve_sha256_update(st->sha, sql, strlen(sql));
		ve_sha256_update(st->sha, rows->p, rows->len);
		ve_sha256_final(st->sha, d);
		ve_hex(d, VE_SHA256_LEN, hex);
		ve_buf_addf(&params, "insert_deduplication_token=%s", hex);
	}
	ve_gzip(rows->p, rows->len, &st->gz);
	if (ve_ch_post(&st->ch, sql, params.p, st->gz.p, st->gz.len, true, &resp) != 0) {
		ve_warn("ClickHouse: %s after %d attempt%s", resp.error, resp.attempts,
		        resp.attempts == 1 ? "" : "s");
		res = UNAVAILABLE;
	} else if (resp.status != 200) {
		int code = ve_ch_error_code(&resp.body);
		ve_ch_message(&resp.body, &st->msg);
		if (ve_ch_auth_error(code)) {
			ve_warn("ClickHouse: authentication failed: %s", st->msg.p);
			res = REFUSED;
		} else if (st->ch.retry.again(resp.status, &resp.body)) {
			ve_warn("ClickHouse: HTTP %ld after %d attempt%s: %s", resp.status,
			        resp.attempts, resp.attempts == 1 ? "" : "s",
			        st->msg.p ? st->msg.p : "");
			res = UNAVAILABLE;
		} else {
			res = REJECTED;
		}
	}
	ve_buf_free(&params);
	ve_http_resp_free(&resp);
	return res;
}

/* Sends the current batch, or spools it; 0 or an exit status. */
static int
flush_batch(struct state *st)
{
	struct batch *b = &st->b;
	int rc = 0;

	if (b->n == 0)
		return 0;
	enum send_result res =
	    st->circuit_open ? UNAVAILABLE : send_rows(st, st->insert_sql, &b->rows);
	switch (res) {
	case SENT:
		st->rows_sent += b->n;
		st->batches_sent++;
		break;
	case REJECTED:
		report_rejected(st, b, &st->msg);
		rc = VE_EX_DATAERR;
		break;
	case REFUSED: rc = VE_EX_UNAVAILABLE; break;
	case UNAVAILABLE:
		if (!st->o->spool) {
			rc = VE_EX_UNAVAILABLE;
			break;
		}
		st->circuit_open = true;
		rc = spool_batch(st, b);
		break;
	}
	batch_reset(b);
	return rc;
}

/* Applies schema.sql, and schema-24.sql on 22.2 and newer. */
static int
run_init(struct state *st)
{
	const char *files[] = {"clickhouse/schema.sql", "clickhouse/schema-24.sql"};
	int rc = 0;

	if ((rc = ve_ch_version(&st->ch)))
		return rc;
	for (size_t f = 0; f < 2 && !rc; f++) {
		if (f == 1 && !ve_ch_at_least(&st->ch, 22, 2))
			break;
		char *path = ve_share_path(files[f]);
		if (!path) {
			ve_warn("share/%s not found (set VLLM_EVAL_SHARE)", files[f]);
			return VE_EX_NOINPUT;
		}
		FILE *fp = fopen(path, "r");
		if (!fp) {
			ve_warn("%s: %s", path, strerror(errno));
			free(path);
			return VE_EX_NOINPUT;
		}
		/* Statements end with ';' at the end of a line; "--" starts a comment line. */
		struct ve_buf stmt = {0};
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		unsigned long lineno = 0, start = 0;
		while (!rc && (n = getline(&line, &cap, fp)) >= 0) {
			lineno++;
			const char *p = line + strspn(line, " \t");
			if (strncmp(p, "--", 2) == 0 || *p == '\n')
				continue;
			if (!stmt.len)
				start = lineno;
			ve_buf_add(&stmt, line, (size_t)n);
			while (stmt.len &&
			       (stmt.p[stmt.len - 1] == '\n' || stmt.p[stmt.len - 1] == ' '))
				stmt.len--;
			if (!stmt.len || stmt.p[stmt.len - 1] != ';') {
				ve_buf_addc(&stmt, '\n');
				continue;
			}
			stmt.p[--stmt.len] = '\0';
			/* The schema names vllm_eval; --database puts it elsewhere. */
			struct ve_buf sql = {0};
			for (const char *s = stmt.p; *s;) {
				const char *hit = strstr(s, "vllm_eval");
				if (!hit) {
					ve_buf_adds(&sql, s);
					break;
				}
				ve_buf_add(&sql, s, (size_t)(hit - s));
				ve_buf_adds(&sql, st->o->database);
				s = hit + 9;
			}
			struct ve_http_resp resp = {0};
			if (ve_ch_post(&st->ch, sql.p, NULL, NULL, 0, false, &resp) != 0) {
				ve_warn("ClickHouse: %s after %d attempt%s", resp.error,
				        resp.attempts, resp.attempts == 1 ? "" : "s");
				rc = VE_EX_UNAVAILABLE;
			} else if (resp.status != 200) {
				ve_ch_message(&resp.body, &st->msg);
				ve_warn("%s:%lu: %s", path, start, st->msg.p ? st->msg.p : "");
				rc = ve_ch_auth_error(ve_ch_error_code(&resp.body))
				         ? VE_EX_UNAVAILABLE
				         : VE_EX_DATAERR;
			}
			ve_http_resp_free(&resp);
			ve_buf_free(&sql);
			ve_buf_reset(&stmt);
		}
		free(line);
		ve_buf_free(&stmt);
		fclose(fp);
		if (!rc && st->o->verbose)
			ve_warn("applied %s", path);
		free(path);
	}
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sends one spooled file; removes it when ClickHouse took it. */
static int
flush_file(struct state *st, const char *path)
{
	char *files[] = {(char *)path};
	struct ve_input *in = ve_input_new(files, 1);
	struct ve_line line;
	char *sql = NULL;
	int r, rc = 0;

	batch_reset(&st->b);
	while ((r = ve_input_next(in, &line)) == 1) {
		if (!sql) {
			jv head = ve_record_parse(line.text, line.len);
			jv q = jv_is_valid(head) ? jv_object_get(head, jv_string("query")) : head;
			if (jv_get_kind(q) == JV_KIND_STRING &&
			    strncmp(jv_string_value(q), "INSERT INTO ", 12) == 0)
				sql = ve_xstrdup(jv_string_value(q));
			jv_free(q);
			if (!sql) {
				ve_warn("%s:1: not a spooled batch (no INSERT on its first line)",
				        path);
				rc = VE_EX_DATAERR;
				break;
			}
			continue;
		}
		batch_add(&st->b, &line);
		ve_buf_add(&st->b.rows, line.text, line.len);
		ve_buf_addc(&st->b.rows, '\n');
	}
	if (r < 0)
		rc = ve_input_status(in);
	ve_input_free(in);
	if (!rc && sql && st->b.n) {
		switch (send_rows(st, sql, &st->b.rows)) {
		case SENT:
			st->rows_sent += st->b.n;
			st->batches_sent++;
			if (unlink(path) != 0) {
				ve_warn("%s: %s", path, strerror(errno));
				rc = VE_EX_IOERR;
			}
			break;
		case REJECTED:
			report_rejected(st, &st->b, &st->msg);
			rc = VE_EX_DATAERR;
			break;
		case REFUSED: rc = VE_EX_UNAVAILABLE; break;
		case UNAVAILABLE: rc = VE_EX_TEMPFAIL; break;
		}
	} else if (!rc && sql && unlink(path) != 0) {
		ve_warn("%s: %s", path, strerror(errno));
		rc = VE_EX_IOERR;
	}
	free(sql);
	batch_reset(&st->b);
	return rc;
}

/* Sends every spooled batch, oldest first; stops at the first that fails. */
static int
run_flush(struct state *st)
{
	DIR *d = opendir(st->o->spool);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!d) {
		ve_warn("--spool: %s: %s", st->o->spool, strerror(errno));
		return VE_EX_NOINPUT;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, "batch-", 6) != 0 || len < 9 ||
		    strcmp(e->d_name + len - 9, ".jsonl.gz") != 0)
			continue;
		names = ve_xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = ve_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			struct ve_buf p = {0};
			ve_buf_addf(&p, "%s/%s", st->o->spool, names[i]);
			rc = flush_file(st, p.p);
			ve_buf_free(&p);
			if (rc == VE_EX_TEMPFAIL && !st->o->quiet)
				ve_warn("%zu spooled batch%s left in %s", n - i,
				        n - i == 1 ? "" : "es", st->o->spool);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Builds "INSERT INTO db.table (cols) FORMAT JSONEachRow" and the column list. */
static void
setup_table(struct state *st)
{
	const struct opts *o = st->o;
	struct ve_buf sql = {0};

	if (strcmp(o->table, "results") == 0)
		st->cols = results_cols;
	else if (strcmp(o->table, "items") == 0)
		st->cols = items_cols;
	else if (strcmp(o->table, "runs") == 0)
		st->cols = runs_cols;
	if (!st->cols) {
		/* --columns a,b,c: the rows' fields as they are. */
		size_t n = 1;
		for (const char *p = o->columns; *p; p++)
			n += *p == ',';
		st->own_cols = ve_xcalloc(n + 1, sizeof *st->own_cols);
		char *copy = ve_xstrdup(o->columns), *save = NULL, *tok;
		size_t k = 0;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!plain_name(tok))
				ve_usage_error("--columns: '%s' is not a plain name", tok);
			st->own_cols[k].name = tok;
			st->own_cols[k++].kind = K_RAW;
		}
		if (!k)
			ve_usage_error("--columns: no column named");
		/* The names point into copy, which lives as long as the columns. */
		st->cols_text = copy;
		st->cols = st->own_cols;
	}
	ve_buf_addf(&sql, "INSERT INTO %s.%s (", o->database, o->table);
	for (const struct column *c = st->cols; c->name; c++)
		ve_buf_addf(&sql, "%s%s", c == st->cols ? "" : ", ", c->name);
	ve_buf_adds(&sql, ") FORMAT JSONEachRow");
	st->insert_sql = sql.p;
}

static int
run_insert(struct state *st, char **files, int nfiles)
{
	const struct opts *o = st->o;
	struct ve_bad bad;
	struct ve_input *in;
	struct ve_line line;
	struct ve_progress prog;
	unsigned long long nread = 0;
	char why[256];
	int r, rc = 0, rc2;

	ve_bad_open(&bad, o->rejects, o->skip_bad);
	ve_progress_init(&prog, o->progress);
	in = ve_input_new(files, nfiles);
	while ((r = ve_input_next(in, &line)) == 1) {
		ve_progress_tick(&prog, ++nread, ve_input_bytes(in));
		if (o->tee)
			ve_out_line(line.text, line.len);
		if (ve_line_blank(&line))
			continue;
		jv rec = ve_record_parse(line.text, line.len);
		const char *err = NULL;
		jv msg = jv_null();
		if (!jv_is_valid(rec)) {
			msg = jv_invalid_get_msg(rec);
			err = jv_string_value(msg);
		} else {
			err = convert(st, rec, &st->b.rows, (long long)time(NULL), why, sizeof why);
			jv_free(rec);
		}
		if (err) {
			rc = ve_bad_record(&bad, &line, err);
			jv_free(msg);
			if (rc)
				goto out;
			continue;
		}
		jv_free(msg);
		batch_add(&st->b, &line);
		if (st->b.n >= (size_t)o->batch_rows && (rc = flush_batch(st)))
			goto out;
	}
	if (r < 0) {
		rc = ve_input_status(in);
		goto out;
	}
	rc = flush_batch(st);
out:
	ve_progress_done(&prog);
	rc2 = ve_bad_close(&bad, o->quiet);
	if (!rc)
		rc = rc2;
	ve_input_free(in);
	if (!rc && st->batches_spooled) {
		if (!o->quiet)
			ve_warn(
			    "spooled %llu rows in %llu batch%s to %s: run ch-insert --flush-spool "
			    "--spool %s when ClickHouse is back",
			    st->rows_spooled, st->batches_spooled,
			    st->batches_spooled == 1 ? "" : "es", o->spool, o->spool);
		rc = VE_EX_TEMPFAIL;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	struct state st = {0};
	char *password = NULL;
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	st.o = &o;
	if (o.password_file) {
		if ((rc = read_password(o.password_file, &password)))
			goto out;
	} else if (getenv("CLICKHOUSE_PASSWORD")) {
		password = ve_xstrdup(getenv("CLICKHOUSE_PASSWORD"));
	}
	ve_ch_init(&st.ch, o.url, o.user, password);
	st.ch.retry.attempts = (int)o.attempts;
	st.ch.retry.base = o.backoff;
	st.ch.retry.max = o.max_wait;
	st.ch.retry.timeout = o.timeout;
	st.ch.retry.insecure = o.insecure;
	st.ch.retry.verbose = o.verbose;
	st.sha = ve_sha256_new();
	st.run_id = o.run_id ? o.run_id : getenv("RUN_ID");
	st.model_tag = o.model_tag ? o.model_tag : getenv("MODEL_TAG");
	if (st.run_id && !*st.run_id)
		st.run_id = NULL;
	if (st.model_tag && !*st.model_tag)
		st.model_tag = NULL;
	if (o.ts && !parse_time(o.ts, &st.start_ts))
		ve_usage_error("--ts: expected YYYY-MM-DDTHH:MM:SSZ, got '%s'", o.ts);
	if (!o.ts)
		st.start_ts = (long long)time(NULL);
	if (o.spool && !o.flush_spool && mkdir(o.spool, 0700) != 0 && errno != EEXIST) {
		ve_warn("--spool: %s: %s", o.spool, strerror(errno));
		rc = VE_EX_IOERR;
		goto out;
	}
	if (o.init) {
		rc = run_init(&st);
	} else {
		setup_table(&st);
		if (o.flush_spool)
			rc = run_flush(&st);
		else
			rc = run_insert(&st, argv + optind, argc - optind);
	}
	if (o.verbose && st.ch.major && !o.init)
		ve_warn("ClickHouse %s: %llu rows in %llu batches sent, %llu rows in %llu batches "
		        "spooled",
		        st.ch.version, st.rows_sent, st.batches_sent, st.rows_spooled,
		        st.batches_spooled);
	ve_ch_free(&st.ch);
out:
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	free(st.own_cols);
	free(st.cols_text);
	free(st.insert_sql);
	batch_free(&st.b);
	ve_buf_free(&st.gz);
	ve_buf_free(&st.tmp);
	ve_buf_free(&st.msg);
	if (st.sha)
		ve_sha256_free(st.sha);
	int rc2 = ve_out_close();
	return rc ? rc : rc2;
}
