/*
 * ch-insert — metric, item, verdict and run rows into ClickHouse over HTTP.
 *
 * Reads JSON Lines and inserts them into a table of the vllm_eval schema
 * (share/clickhouse/schema.sql): results (metric rows of vllm-eval(7)), items
 * (item rows), verdicts (reg-check's verdict rows) or runs; or any table
 * with --columns. Each row is converted to the table's columns, all of them
 * listed (18.16 fills an omitted field with zero, not its DEFAULT), run_id,
 * model_tag and ts filled from the options or the environment where the row
 * lacks them. Rows go in batches of --batch-rows as INSERT ... FORMAT
 * JSONEachRow with a gzip body.
 *
 * The server's version is asked once: 22.2 and newer also get an
 * insert_deduplication_token per batch. Every batch is sent with
 * insert_distributed_sync=1: into a cluster's Distributed table
 * (cluster.sql) the server answers once every shard has the rows, and a
 * shard with no replica up is an error (retried, spooled), never a queue
 * on the server that answered success; a table that is not Distributed
 * ignores it. A batch that gets no answer, or a 5xx or a temporary
 * ClickHouse error, is tried again with a doubling wait; a batch
 * ClickHouse rejects stops the run with its message and the input lines it
 * names (exit 65). With --spool DIR every batch that could not be sent (no
 * answer, an answer over --max-body, a temporary failure after the
 * retries) is written to DIR and the run exits 75; --flush-spool sends
 * those later. Sending a batch twice is harmless: the tables are
 * ReplacingMergeTrees keyed on each row's identity.
 *
 * --tee copies the input records to stdout as they came (a reader of stdout
 * that goes away ends the copy, not the insert); --init creates the database
 * and tables, and moves an items table of the old key (migrate_items);
 * with --cluster NAME it creates them on the cluster NAME (cluster.sql).
 */
#include <dirent.h>
#include <errno.h>
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

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "clickhouse.h"
#include "diag.h"
#include "input.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "reader.h"
#include "sha256.h"
#include "share.h"

struct opts {
	struct ve_cli cli;
	const char *database;
	const char *table;
	const char *columns;
	const char *run_id;
	const char *model_tag;
	const char *ts;
	long batch_rows;
	const char *spool;
	bool flush_spool;
	bool tee;
	bool init;
	const char *cluster;
};

/* How a column's value is made from a row. */
enum kind {
	K_STR,      /* a string field; "" when absent */
	K_REQSTR,   /* a string field that must be there */
	K_JSONTEXT, /* any value as its JSON text ("" when absent; strings as they are) */
	K_LABELS,   /* an object as canonical JSON; "{}" when absent */
	K_NUM,      /* a finite number that must be there */
	K_NNUM,     /* a finite number or null */
	K_NNONNEG,  /* a finite number from 0, or null (a standard error) */
	K_NCOUNT,   /* a non-negative integer or null */
	K_NBOOL,    /* true/false as 1/0, or null */
	K_SAMPLE,   /* a whole number from 0 below 2^31 (an Int32 key column), or -1 */
	K_TIME,     /* a time (ISO-8601 or epoch seconds) that must be there */
	K_NTIME,    /* a time or null */
	K_RUN_ID,   /* the row's, else --run-id / RUN_ID */
	K_MODEL,    /* the row's, else --model-tag / MODEL_TAG */
	K_TS,       /* the row's ts, else --ts, else the time the run started */
	K_NOW,      /* the time the row is sent */
	K_RAW,      /* --columns: the field's JSON as it is, left out when absent */
};

/* A column and the row's field of the same name that fills it. */
struct column {
	const char *name;
	enum kind kind;
};

static const struct column results_cols[] = {
    {"run_id", K_RUN_ID},
    {"model_tag", K_MODEL},
    {"metric", K_REQSTR},
    {"value", K_NUM},
    {"ts", K_TS},
    {"n", K_NCOUNT},
    {"stderr", K_NNONNEG},
    {"unit", K_STR},
    {"labels", K_LABELS},
    {"inserted_at", K_NOW},
    {NULL, 0},
};
/* Every field reg-check(1) pairs items on (schema.sql says how each is kept). */
static const struct column items_cols[] = {
    {"run_id", K_RUN_ID},
    {"model_tag", K_MODEL},
    {"ts", K_TS},
    {"task", K_REQSTR},
    {"doc_id", K_REQSTR},
    {"sample", K_SAMPLE},
    {"subset", K_STR},
    {"group", K_STR},
    {"filter", K_STR},
    {"pred", K_JSONTEXT},
    {"gold", K_JSONTEXT},
    {"correct", K_NBOOL},
    {"correct_norm", K_NBOOL},
    {"exact_match", K_NBOOL},
    {"score", K_NNUM},
    {"truncated", K_NBOOL},
    {"task_version", K_STR},
    {"inserted_at", K_NOW},
    {NULL, 0},
};
/* reg-check(1)'s verdict rows: the release row, then one per metric and labels. */
static const struct column verdicts_cols[] = {
    {"run_id", K_RUN_ID},     {"model_tag", K_MODEL}, {"ts", K_TS},
    {"metric", K_REQSTR},     {"labels", K_LABELS},   {"status", K_REQSTR},
    {"value", K_NNUM},        {"baseline", K_NNUM},   {"delta", K_NNUM},
    {"delta_pct", K_NNUM},    {"direction", K_STR},   {"test", K_STR},
    {"n", K_NCOUNT},          {"p_value", K_NNUM},    {"p_adjusted", K_NNUM},
    {"gates", K_NBOOL},       {"rule", K_STR},        {"note", K_STR},
    {"findings", K_JSONTEXT}, {"inserted_at", K_NOW}, {NULL, 0},
};
static const struct column runs_cols[] = {
    {"run_id", K_RUN_ID},    {"model_tag", K_MODEL}, {"image", K_STR},
    {"started", K_TIME},     {"finished", K_NTIME},  {"status", K_STR},
    {"workflow_url", K_STR}, {"inserted_at", K_NOW}, {NULL, 0},
};

/* The rows of one batch, with where each came from for error reports. */
struct batch {
	struct ve_buf rows;
	size_t n;
	struct ve_buf src; /* each row's "FILE:LINE", NUL, its input line as it came, NUL */
	size_t *at;        /* where each row's part of src starts */
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
	struct batch b;
	struct ve_buf gz, tmp, msg, why;
	struct ve_sha256 *sha;
	bool ch_up;        /* ch and sha are set up */
	bool circuit_open; /* a batch went to the spool: the rest go straight there */
	int tee_rc;        /* --tee: 0 while copying; -1 when stdout's reader left; or 74 */
	unsigned long long rows_sent, batches_sent, rows_spooled, batches_spooled;
	unsigned spool_seq;
};

static const struct ve_cli_net net_defaults = {
    .retries = 4, .timeout = 60, .backoff = 1, .max_wait = 30};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [--url URL] [--user USER] [--password-file FILE]\n"
	        "                 [--database DB] [-t TABLE] [--columns LIST] [--run-id ID]\n"
	        "                 [--model-tag TAG] [--ts TIME] [-b N] [--spool DIR] [--tee]\n"
	        "                 [--retries N] [--backoff S] [--max-wait S] [--timeout S]\n"
	        "                 [--max-body BYTES] [--insecure] [--skip-bad] [--rejects FILE]\n"
	        "                 [--max-line BYTES] [--progress] [FILE...]\n"
	        "       %s --init [--url URL] [--database DB] [--cluster NAME]\n"
	        "       %s --flush-spool --spool DIR [--url URL]\n"
	        "\n"
	        "Insert metric, item, verdict or run rows into ClickHouse over HTTP, in gzip'd\n"
	        "batches, retried, and spooled when the server stays away.\n"
	        "\n"
	        "      --database DB        database (default vllm_eval)\n"
	        "  -t, --table TABLE        results, items, verdicts, runs, or another with\n"
	        "                           --columns\n"
	        "      --columns LIST       columns of another table, taken from the rows' fields\n"
	        "      --run-id ID          run_id where rows lack it (default RUN_ID)\n"
	        "      --model-tag TAG      model_tag where rows lack it (default MODEL_TAG)\n"
	        "      --ts TIME            ts where rows lack it (default: now)\n"
	        "  -b, --batch-rows N       rows per INSERT (default 10000)\n"
	        "      --spool DIR          keep batches that could not be sent in DIR; exit 75\n"
	        "      --flush-spool        send the batches kept in --spool DIR\n"
	        "      --tee                copy the input records to stdout\n"
	        "      --init               create the database and tables, then exit\n"
	        "      --cluster NAME       with --init: replicated tables on the cluster NAME,\n"
	        "                           read and written through Distributed ones\n",
	        ve_progname, ve_progname, ve_progname);
	ve_cli_help_net(f, VE_CLI_CLICKHOUSE | VE_CLI_NETWORK, &net_defaults, 27);
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, 27);
	fprintf(f, "\n"
	           "With -v, the server version, each retry and the counts go to stderr.\n"
	           "Exit: 0 ok, 64 usage, 65 bad input or a rejected batch, 66 cannot open,\n"
	           "69 ClickHouse unavailable or refused the credentials, 73 cannot create,\n"
	           "74 I/O error, 75 batches spooled. See ch-insert(1).\n");
}

enum {
	OPT_DATABASE = 256,
	OPT_COLUMNS,
	OPT_RUN_ID,
	OPT_MODEL_TAG,
	OPT_TS,
	OPT_SPOOL,
	OPT_FLUSH_SPOOL,
	OPT_TEE,
	OPT_INIT,
	OPT_CLUSTER,
};

/* The checks across options, and the defaults from the environment. */
static void
check_args(struct opts *o, int nfiles)
{
	ve_cli_clickhouse(&o->cli);
	if (!ve_ch_plain_name(o->database, strlen(o->database)))
		ve_usage_error("--database: '%s' is not a plain name (letters, digits, _)",
		               o->database);
	if (!ve_ch_plain_name(o->table, strlen(o->table)))
		ve_usage_error("--table: '%s' is not a plain name (letters, digits, _)", o->table);
	bool known = strcmp(o->table, "results") == 0 || strcmp(o->table, "items") == 0 ||
	             strcmp(o->table, "verdicts") == 0 || strcmp(o->table, "runs") == 0;
	if (!known && !o->columns)
		ve_usage_error("--table %s: not a vllm_eval table; list its --columns", o->table);
	if (known && o->columns)
		ve_usage_error("--columns is for other tables: %s has its own", o->table);
	if (o->flush_spool && !o->spool)
		ve_usage_error("--flush-spool needs --spool DIR");
	if ((o->init || o->flush_spool) && nfiles > 0)
		ve_usage_error("--%s reads no input files", o->init ? "init" : "flush-spool");
	if (o->init && o->flush_spool)
		ve_usage_error("--init and --flush-spool cannot be used together");
	if (o->cluster && !o->init)
		ve_usage_error(
		    "--cluster is for --init (inserts go through the Distributed tables)");
	if (o->cluster && !ve_ch_plain_name(o->cluster, strlen(o->cluster)))
		ve_usage_error("--cluster: '%s' is not a plain name (letters, digits, _)",
		               o->cluster);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
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
	    {"cluster", required_argument, NULL, OPT_CLUSTER},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){
	    .cli = {.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS | VE_CLI_CLICKHOUSE | VE_CLI_NETWORK,
	            .net = net_defaults},
	    .database = "vllm_eval",
	    .table = "results",
	    .batch_rows = 10000};
	while ((c = ve_getopt(argc, argv, "t:b:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
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
		case OPT_CLUSTER: o->cluster = optarg; break;
		}
	}
	check_args(o, argc - optind);
}

static bool
absent(jv_kind k)
{
	return k == JV_KIND_INVALID || k == JV_KIND_NULL;
}

/* A string column from v (borrowed); NULL, or what the field must be. */
static const char *
put_string(const struct state *st, enum kind kind, jv v, struct ve_buf *out)
{
	jv_kind k = jv_get_kind(v);
	const char *fill = kind == K_RUN_ID  ? st->run_id
	                   : kind == K_MODEL ? st->model_tag
	                   : kind == K_STR   ? ""
	                                     : NULL;

	if (k == JV_KIND_STRING)
		ve_buf_add_json_str(out, jv_string_value(v), ve_json_strlen(v));
	else if (absent(k) && fill)
		ve_buf_add_json_str(out, fill, strlen(fill));
	else if (absent(k) && kind == K_RUN_ID)
		return "given (no --run-id or RUN_ID)";
	else if (absent(k) && kind == K_MODEL)
		return "given (no --model-tag or MODEL_TAG)";
	else
		return "a string";
	return NULL;
}

/* A column holding JSON: text of any value, labels, or --columns' raw values. */
static const char *
put_json(struct state *st, enum kind kind, jv v, struct ve_buf *out)
{
	jv_kind k = jv_get_kind(v);

	if (kind == K_RAW) {
		ve_json_dump(v, out);
	} else if (kind == K_JSONTEXT && k == JV_KIND_STRING) {
		ve_buf_add_json_str(out, jv_string_value(v), ve_json_strlen(v));
	} else if (absent(k)) {
		ve_buf_adds(out, kind == K_LABELS ? "\"{}\"" : "\"\"");
	} else if (kind == K_LABELS && k != JV_KIND_OBJECT) {
		return "an object";
	} else {
		ve_buf_reset(&st->tmp);
		ve_json_canon(v, &st->tmp);
		ve_buf_add_json_str(out, st->tmp.p, st->tmp.len);
	}
	return NULL;
}

/* A number column: JSON's numbers, but never inf or nan, and a count or an error from 0. */
static const char *
put_number(enum kind kind, jv v, struct ve_buf *out)
{
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;

	if (kind == K_NCOUNT && !(d >= 0 && d < 9007199254740992.0 && d == floor(d)))
		return "a count (an integer from 0)";
	if (!isfinite(d))
		return "a number";
	if (kind == K_NNONNEG && d < 0)
		return "a non-negative number";
	/* 17 digits: a double read back is the same double (a count: its digits); -0 is 0. */
	ve_buf_addf(out, "%.17g", d == 0 ? 0.0 : d);
	return NULL;
}

/* A DateTime column as epoch seconds, from a string ve_parse_time reads or a number. */
static const char *
put_time(const struct state *st, enum kind kind, jv v, long long now, struct ve_buf *out)
{
	jv_kind k = jv_get_kind(v);
	double d = k == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	long long t;

	if (kind == K_NOW || (kind == K_TS && absent(k))) {
		ve_buf_addf(out, "%lld", kind == K_NOW ? now : st->start_ts);
		return NULL;
	}
	if (k == JV_KIND_INVALID)
		return "a time";
	if (k == JV_KIND_STRING && ve_parse_time(jv_string_value(v), &t))
		d = (double)t; /* exact within DateTime's range, all that passes */
	else if (k != JV_KIND_NUMBER)
		return "a time (YYYY-MM-DDTHH:MM:SSZ or epoch seconds)";
	if (!(d >= 0 && d < 4294967296.0))
		return "a time within DateTime's range (1970 to 2106)";
	ve_buf_addf(out, "%lld", (long long)d);
	return NULL;
}

/*
 * A sample number: -1 for none (absent or null), which the key column
 * holds for "no sample" as it cannot be Nullable on 18.16.
 */
static const char *
put_sample(jv v, struct ve_buf *out)
{
	jv_kind k = jv_get_kind(v);
	double d = k == JV_KIND_NUMBER ? jv_number_value(v) : -1;

	if (absent(k)) {
		ve_buf_adds(out, "-1");
		return NULL;
	}
	if (!(d >= 0 && d < 2147483648.0 && d == floor(d)))
		return "a sample number (an integer from 0)";
	ve_buf_addf(out, "%ld", (long)d);
	return NULL;
}

/* A column's value from the row's field v (borrowed); NULL, or what the field must be. */
static const char *
put_value(struct state *st, enum kind kind, jv v, long long now, struct ve_buf *out)
{
	jv_kind k = jv_get_kind(v);

	/* The kinds that take null, and null for an absent field. */
	if (absent(k) && (kind == K_NNUM || kind == K_NNONNEG || kind == K_NCOUNT ||
	                  kind == K_NBOOL || kind == K_NTIME)) {
		ve_buf_adds(out, "null");
		return NULL;
	}
	switch (kind) {
	case K_STR:
	case K_REQSTR:
	case K_RUN_ID:
	case K_MODEL: return put_string(st, kind, v, out);
	case K_JSONTEXT:
	case K_LABELS:
	case K_RAW: return put_json(st, kind, v, out);
	case K_NUM:
	case K_NNUM:
	case K_NNONNEG:
	case K_NCOUNT: return put_number(kind, v, out);
	case K_NBOOL:
		if (k != JV_KIND_TRUE && k != JV_KIND_FALSE)
			return "true or false";
		ve_buf_addc(out, k == JV_KIND_TRUE ? '1' : '0');
		return NULL;
	case K_SAMPLE: return put_sample(v, out);
	case K_TIME:
	case K_NTIME:
	case K_TS:
	case K_NOW: return put_time(st, kind, v, now, out);
	}
	return NULL;
}

/*
 * Appends the row (borrowed) converted to the table's columns to the batch.
 * Returns NULL, or the reason it cannot be converted (in st->why).
 */
static const char *
convert(struct state *st, jv rec, long long now)
{
	struct ve_buf *out = &st->b.rows;
	size_t mark = out->len;

	ve_buf_addc(out, '{');
	for (const struct column *c = st->cols; c->name; c++) {
		jv v = ve_json_get(rec, c->name);
		if (c->kind == K_RAW && !jv_is_valid(v)) {
			jv_free(v);
			continue;
		}
		/* A column name is a plain name: nothing in it to escape. */
		ve_buf_addf(out, "%s\"%s\":", out->len > mark + 1 ? "," : "", c->name);
		const char *err = put_value(st, c->kind, v, now, out);
		jv_free(v);
		if (err) {
			ve_buf_reset(&st->why);
			ve_buf_addf(&st->why, "\"%s\" must be %s", c->name, err);
			out->len = mark;
			out->p[mark] = '\0';
			return st->why.p;
		}
	}
	ve_buf_adds(out, "}\n");
	return NULL;
}

static void
batch_add(struct batch *b, const struct ve_line *line)
{
	b->at = ve_grow(b->at, &b->cap, b->n + 1, sizeof *b->at);
	b->at[b->n++] = b->src.len;
	ve_buf_addf(&b->src, "%s:%llu", line->name, line->lineno);
	ve_buf_addc(&b->src, '\0');
	ve_buf_add(&b->src, line->text, line->len);
	ve_buf_addc(&b->src, '\0');
}

static void
batch_reset(struct batch *b)
{
	b->n = 0;
	ve_buf_reset(&b->rows);
	ve_buf_reset(&b->src);
}

static void
batch_free(struct batch *b)
{
	free(b->at);
	ve_buf_free(&b->rows);
	ve_buf_free(&b->src);
}

/* "FILE:LINE: the line" of row i. */
static void
say_row(const struct batch *b, size_t i)
{
	const char *place = b->src.p + b->at[i];

	ve_warn("%s: %s", place, place + strlen(place) + 1);
}

/* The row number in "(at row N)" of ClickHouse's message, from 1, or 0. */
static size_t
named_row(const char *msg)
{
	const char *p = msg ? strstr(msg, "(at row ") : NULL;
	size_t n = 0;

	/* A number past any batch's rows names none: stop before it can overflow. */
	for (p = p ? p + 8 : ""; *p >= '0' && *p <= '9' && n <= 1000000000; p++)
		n = 10 * n + (size_t)(*p - '0');
	return n <= 1000000000 ? n : 0;
}

/* Says what ClickHouse rejected: its message, then the input lines it names. */
static void
report_rejected(const struct batch *b, const struct ve_buf *msg)
{
	size_t row = named_row(msg->p);

	ve_warn("%s: ClickHouse rejected the batch of %zu row%s starting here: %s", b->src.p, b->n,
	        b->n == 1 ? "" : "s", msg->p ? msg->p : "");
	if (row >= 1 && row <= b->n) {
		say_row(b, row - 1);
		return;
	}
	/* No row named: show the batch, a screen at most. */
	for (size_t i = 0; i < b->n && i < 10; i++)
		say_row(b, i);
	if (b->n > 10)
		ve_warn("and %zu more rows", b->n - 10);
}

/*
 * Writes the batch to the spool: the INSERT on the first line, then the
 * rows, gzip'd. 0, 73 when the file cannot be created, or 74.
 */
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
	errno = 0;
	gzFile gz = gzopen(tmp.p, "wb");
	if (!gz) {
		ve_warn("--spool: %s: %s", tmp.p, strerror(errno ? errno : EIO));
		rc = VE_EX_CANTCREAT;
		goto out;
	}
	bool ok = gzwrite(gz, head.p, (unsigned)head.len) == (int)head.len &&
	          gzwrite(gz, b->rows.p, (unsigned)b->rows.len) == (int)b->rows.len;
	/* Written whole, then renamed: a flush never sees half a batch. */
	if (gzclose(gz) != Z_OK || !ok) {
		ve_warn("--spool: %s: write error", tmp.p);
		rc = VE_EX_IOERR;
	} else if (rename(tmp.p, path.p) != 0) {
		ve_warn("--spool: %s:", path.p);
		rc = VE_EX_IOERR;
	}
	if (rc) {
		unlink(tmp.p);
		goto out;
	}
	st->rows_spooled += b->n;
	st->batches_spooled++;
	if (st->o->cli.verbose)
		ve_warn("spooled %zu rows to %s", b->n, path.p);
out:
	ve_buf_free(&path);
	ve_buf_free(&tmp);
	ve_buf_free(&head);
	return rc;
}

/* Sends sql with rows (uncompressed); says why it failed, except a rejection (st->msg). */
static enum ve_ch_result
send_rows(struct state *st, const char *sql, const struct ve_buf *rows)
{
	struct ve_http_resp resp = {0};
	struct ve_buf params = {0};

	if (ve_ch_version(&st->ch) != 0)
		return st->ch.refused ? VE_CH_REFUSED : VE_CH_UNAVAILABLE;
	/* A Distributed table answers when every shard has the rows (see the top). */
	ve_buf_adds(&params, "insert_distributed_sync=1");
	if (ve_ch_at_least(&st->ch, 22, 2)) {
		/* The same rows make the same token: the server drops a batch sent again. */
		unsigned char d[VE_SHA256_LEN];
		char hex[2 * VE_SHA256_LEN + 1];
		ve_sha256_init(st->sha);
		ve_sha256_update(st->sha, sql, strlen(sql));
		ve_sha256_update(st->sha, rows->p, rows->len);
		ve_sha256_final(st->sha, d);
		ve_hex(d, VE_SHA256_LEN, hex);
		ve_buf_addf(&params, "&insert_deduplication_token=%s", hex);
	}
	ve_gzip(rows->p, rows->len, &st->gz);
	int sent = ve_ch_post(&st->ch, sql, params.p, st->gz.p, st->gz.len, true, &resp);
	enum ve_ch_result res = ve_ch_result(&st->ch, sent, &resp, &st->msg);
	ve_buf_free(&params);
	ve_http_resp_free(&resp);
	return res;
}

/*
 * What became of st->b sent: counted, or its rejection reported. 0 or an
 * exit status; unavailable is the status of a batch that got no answer.
 */
static int
settle(struct state *st, enum ve_ch_result res, int unavailable)
{
	switch (res) {
	case VE_CH_OK:
		st->rows_sent += st->b.n;
		st->batches_sent++;
		return 0;
	case VE_CH_REJECTED: report_rejected(&st->b, &st->msg); return VE_EX_DATAERR;
	case VE_CH_REFUSED: return VE_EX_UNAVAILABLE;
	case VE_CH_UNAVAILABLE: break;
	}
	return unavailable;
}

/*
 * Sends the current batch; with --spool, one that could not be sent (or
 * any once one could not) goes to the spool. 0 or an exit status.
 */
static int
flush_batch(struct state *st)
{
	int rc;

	if (st->b.n == 0)
		return 0;
	enum ve_ch_result res =
	    st->circuit_open ? VE_CH_UNAVAILABLE : send_rows(st, st->insert_sql, &st->b.rows);
	if (res == VE_CH_UNAVAILABLE && st->o->spool) {
		st->circuit_open = true;
		rc = spool_batch(st, &st->b);
	} else {
		rc = settle(st, res, VE_EX_UNAVAILABLE);
	}
	batch_reset(&st->b);
	return rc;
}

/*
 * stmt with the schema's names replaced, in one pass (a new name is never
 * read again: a cluster may be named after the database): the database
 * vllm_eval by db, and when cluster is set cluster.sql's cluster
 * eval_cluster by it. Into sql.
 */
static void
rename_schema(const char *stmt, const char *db, const char *cluster, struct ve_buf *sql)
{
	for (;;) {
		const char *d = strstr(stmt, "vllm_eval");
		const char *c = cluster ? strstr(stmt, "eval_cluster") : NULL;
		if (!d && !c)
			break;
		bool is_db = d && (!c || d < c);
		const char *hit = is_db ? d : c;
		ve_buf_add(sql, stmt, (size_t)(hit - stmt));
		ve_buf_adds(sql, is_db ? db : cluster);
		stmt = hit + (is_db ? strlen("vllm_eval") : strlen("eval_cluster"));
	}
	ve_buf_adds(sql, stmt);
}

/*
 * Runs sql; a rejection is said as "where: ClickHouse's message". With
 * answer, the server's answer goes there. 0 or an exit status.
 */
static int
run_sql(struct state *st, const char *sql, const char *where, struct ve_buf *answer)
{
	struct ve_http_resp resp = {0};
	int rc = 0;

	int sent = ve_ch_post(&st->ch, sql, NULL, NULL, 0, false, &resp);
	switch (ve_ch_result(&st->ch, sent, &resp, &st->msg)) {
	case VE_CH_OK:
		if (answer)
			ve_buf_add(answer, resp.body.p, resp.body.len);
		break;
	case VE_CH_REJECTED:
		ve_warn("%s: %s", where, st->msg.p ? st->msg.p : "");
		rc = VE_EX_DATAERR;
		break;
	case VE_CH_REFUSED:
	case VE_CH_UNAVAILABLE: rc = VE_EX_UNAVAILABLE; break;
	}
	ve_http_resp_free(&resp);
	return rc;
}

/* Runs one statement of the schema file path, which starts on its line start. */
static int
run_statement(struct state *st, const char *stmt, const char *path, unsigned long long start)
{
	struct ve_buf sql = {0}, where = {0};

	rename_schema(stmt, st->o->database, st->o->cluster, &sql);
	ve_buf_addf(&where, "%s:%llu", path, start);
	int rc = run_sql(st, sql.p, where.p, NULL);
	ve_buf_free(&where);
	ve_buf_free(&sql);
	return rc;
}

/*
 * Runs the statements of a schema file (SQL, not records: its lines are
 * taken as they are). A statement ends with ';' at the end of a line; "--"
 * starts a comment line.
 */
static int
apply_schema(struct state *st, char *path)
{
	struct ve_input *in = ve_input_new(&path, 1);
	struct ve_buf stmt = {0};
	struct ve_line l;
	unsigned long long start = 0;
	int r, rc = 0;

	while (!rc && (r = ve_input_next(in, &l)) == 1) {
		size_t i = 0, n = l.len;
		while (i < n && (l.text[i] == ' ' || l.text[i] == '\t'))
			i++;
		if (i == n || (n - i >= 2 && l.text[i] == '-' && l.text[i + 1] == '-'))
			continue;
		if (!stmt.len)
			start = l.lineno;
		/* Not empty: l.text[i] is neither a space nor a tab. */
		while (l.text[n - 1] == ' ')
			n--;
		ve_buf_add(&stmt, l.text, n);
		if (l.text[n - 1] != ';') {
			ve_buf_addc(&stmt, '\n');
			continue;
		}
		stmt.p[--stmt.len] = '\0';
		rc = run_statement(st, stmt.p, path, start);
		ve_buf_reset(&stmt);
	}
	if (!rc && r < 0)
		rc = ve_input_status(in);
	ve_input_free(in);
	ve_buf_free(&stmt);
	if (!rc && st->o->cli.verbose)
		ve_warn("applied %s", path);
	return rc;
}

/* Applies share/NAME (NAME: "clickhouse/schema.sql"...): 0 or an exit status. */
static int
apply_share(struct state *st, const char *name)
{
	char *path = ve_share_path(name);

	if (!path) {
		ve_warn("share/%s not found (set VLLM_EVAL_SHARE)", name);
		return VE_EX_NOINPUT;
	}
	int rc = apply_schema(st, path);
	free(path);
	return rc;
}

/*
 * Moves --database's items table to the key of schema.sql when it has the
 * old one, (run_id, task, doc_id), under which a doc's samples were one
 * row: migrate-items.sql copies it into the new layout, which takes its
 * name. 0 or an exit status.
 */
static int
migrate_items(struct state *st)
{
	const char *db = st->o->database;
	struct ve_buf sql = {0}, answer = {0};

	/* --database is a plain name: nothing in it to escape. */
	ve_buf_addf(&sql,
	            "SELECT count() FROM system.tables WHERE database = '%s' AND name = 'items' "
	            "AND sorting_key = 'run_id, task, doc_id'",
	            db);
	int rc = run_sql(st, sql.p, "system.tables", &answer);
	bool old = !rc && answer.len > 0 && answer.p[0] == '1';
	ve_buf_free(&sql);
	ve_buf_free(&answer);
	if (!old)
		return rc;
	if ((rc = apply_share(st, "clickhouse/migrate-items.sql")) == 0 && !st->o->cli.quiet)
		ve_warn("moved %s.items to the key (run_id, task, doc_id, sample, filter); the old "
		        "table is now %s.items_v1",
		        db, db);
	return rc;
}

/*
 * Applies schema.sql, moves an items table of the old key, then applies
 * schema-24.sql on 22.2 and newer (its settings then reach the new items).
 * With --cluster: cluster.sql, then cluster-24.sql on 22.2 and newer (a
 * cluster's tables never had the old key).
 */
static int
run_init(struct state *st)
{
	int rc;

	if (st->o->cluster) {
		if ((rc = ve_ch_version(&st->ch)) ||
		    (rc = apply_share(st, "clickhouse/cluster.sql")))
			return rc;
		return ve_ch_at_least(&st->ch, 22, 2) ? apply_share(st, "clickhouse/cluster-24.sql")
		                                      : 0;
	}
	if ((rc = ve_ch_version(&st->ch)) || (rc = apply_share(st, "clickhouse/schema.sql")) ||
	    (rc = migrate_items(st)))
		return rc;
	return ve_ch_at_least(&st->ch, 22, 2) ? apply_share(st, "clickhouse/schema-24.sql") : 0;
}

/* A name of a batch file spool_batch writes. */
static int
spooled(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	return strncmp(e->d_name, "batch-", 6) == 0 && len >= 9 &&
	       strcmp(e->d_name + len - 9, ".jsonl.gz") == 0;
}

/*
 * Reads a spooled batch into st->b and its INSERT into *sql. A spool file
 * is this tool's own batch, rows already converted, not records to check:
 * it is read as lines. 0 or an exit status.
 */
static int
load_spooled(struct state *st, char *path, char **sql)
{
	struct ve_input *in = ve_input_new(&path, 1);
	struct ve_line line;
	int r, rc = 0;

	batch_reset(&st->b);
	while ((r = ve_input_next(in, &line)) == 1) {
		if (*sql) {
			batch_add(&st->b, &line);
			ve_buf_add(&st->b.rows, line.text, line.len);
			ve_buf_addc(&st->b.rows, '\n');
			continue;
		}
		jv head = ve_record_parse(line.text, line.len);
		*sql = ve_json_get_str(head, "query");
		jv_free(head);
		if (!*sql || strncmp(*sql, "INSERT INTO ", 12) != 0) {
			ve_warn("%s:1: not a spooled batch (no INSERT on its first line)", path);
			rc = VE_EX_DATAERR;
			break;
		}
	}
	if (r < 0)
		rc = ve_input_status(in);
	ve_input_free(in);
	return rc;
}

/* Sends one spooled file; removes it when ClickHouse took it. */
static int
flush_file(struct state *st, char *path)
{
	char *sql = NULL;
	int rc = load_spooled(st, path, &sql);

	if (!rc && sql && st->b.n)
		rc = settle(st, send_rows(st, sql, &st->b.rows), VE_EX_TEMPFAIL);
	if (!rc && sql && unlink(path) != 0) {
		ve_warn("%s:", path);
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
	struct dirent **names;
	/* The names hold the time they were spooled: in the C locale, sorted is oldest first. */
	int n = scandir(st->o->spool, &names, spooled, alphasort);
	int rc = 0;

	if (n < 0) {
		ve_warn("--spool: %s:", st->o->spool);
		return VE_EX_NOINPUT;
	}
	for (int i = 0; i < n; i++) {
		if (!rc) {
			struct ve_buf p = {0};
			ve_buf_addf(&p, "%s/%s", st->o->spool, names[i]->d_name);
			rc = flush_file(st, p.p);
			ve_buf_free(&p);
			if (rc == VE_EX_TEMPFAIL && !st->o->cli.quiet)
				ve_warn("%d spooled batch%s left in %s", n - i,
				        n - i == 1 ? "" : "es", st->o->spool);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* --columns a,b,c: the rows' fields as they are, into another table. */
static void
own_columns(struct state *st, const char *list)
{
	size_t k = 0, cap = 0;
	char *save = NULL, *tok;

	/* The names point into this copy, which lives as long as the columns. */
	st->cols_text = ve_xstrdup(list);
	for (tok = strtok_r(st->cols_text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!ve_ch_plain_name(tok, strlen(tok)))
			ve_usage_error("--columns: '%s' is not a plain name", tok);
		/* One more for the end, {NULL}. */
		st->own_cols = ve_grow(st->own_cols, &cap, k + 2, sizeof *st->own_cols);
		st->own_cols[k++] = (struct column){tok, K_RAW};
		st->own_cols[k] = (struct column){NULL, 0};
	}
	if (!k)
		ve_usage_error("--columns: no column named");
	st->cols = st->own_cols;
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
	else if (strcmp(o->table, "verdicts") == 0)
		st->cols = verdicts_cols;
	else if (strcmp(o->table, "runs") == 0)
		st->cols = runs_cols;
	else
		own_columns(st, o->columns);
	ve_buf_addf(&sql, "INSERT INTO %s.%s (", o->database, o->table);
	for (const struct column *c = st->cols; c->name; c++)
		ve_buf_addf(&sql, "%s%s", c == st->cols ? "" : ", ", c->name);
	ve_buf_adds(&sql, ") FORMAT JSONEachRow");
	st->insert_sql = sql.p;
}

/*
 * --tee: copies a record line to stdout. When stdout fails the copy
 * stops but the insert goes on, so no row is lost to it: a reader that
 * went away (EPIPE) is quiet, another error is said now and is the exit
 * status (74) at the end.
 */
static void
tee_line(struct state *st, const struct ve_line *line)
{
	if (st->tee_rc)
		return;
	errno = 0;
	if (fwrite(line->text, 1, line->len, stdout) == line->len && putchar('\n') != EOF)
		return;
	int e = errno;
	st->tee_rc = -1;
	if (e != EPIPE) {
		ve_warn("write error: %s", strerror(e ? e : EIO));
		st->tee_rc = VE_EX_IOERR;
	}
	/* What stdout still holds can never be written: drop it with the stream. */
	if (!freopen("/dev/null", "w", stdout))
		ve_die(VE_EX_IOERR, "/dev/null:");
}

/* Parses and converts one record line into the batch; NULL or why it is bad. */
static const char *
take_row(struct state *st, const struct ve_line *line)
{
	jv rec = ve_record_parse(line->text, line->len);

	if (!jv_is_valid(rec)) {
		jv msg = jv_invalid_get_msg(rec);
		ve_buf_reset(&st->why);
		ve_buf_adds(&st->why, jv_string_value(msg));
		jv_free(msg);
		return st->why.p;
	}
	const char *why = convert(st, rec, (long long)time(NULL));
	jv_free(rec);
	if (!why)
		batch_add(&st->b, line);
	return why;
}

static int
run_insert(struct state *st, char **files, int nfiles)
{
	const struct opts *o = st->o;
	/* Raw lines: --tee copies a record before it is judged, as it came. */
	struct ve_reader *rd = ve_reader_new(files, nfiles, &o->cli, VE_READ_RAW);
	struct ve_rec rec;
	int r, rc = 0;

	while ((r = ve_reader_next(rd, &rec)) == 1) {
		if (o->tee)
			tee_line(st, &rec.line);
		const char *why = take_row(st, &rec.line);
		if (why && (rc = ve_reader_reject(rd, &rec, why)))
			break;
		if (st->b.n >= (size_t)o->batch_rows && (rc = flush_batch(st)))
			break;
	}
	if (!rc)
		rc = r ? r : flush_batch(st);
	int rc2 = ve_reader_free(rd);
	if (!rc)
		rc = rc2;
	if (st->batches_spooled && !o->cli.quiet)
		ve_warn("spooled %llu rows in %llu batch%s to %s: run ch-insert --flush-spool "
		        "--spool %s when ClickHouse is back",
		        st->rows_spooled, st->batches_spooled, st->batches_spooled == 1 ? "" : "es",
		        o->spool, o->spool);
	if (!rc && st->batches_spooled)
		rc = VE_EX_TEMPFAIL;
	return rc;
}

/* The spool directory, made if missing; 0, or 73 when it cannot be written to. */
static int
make_spool(const char *dir)
{
	struct stat sb;

	/* errno is then why not: mkdir's, stat's, ENOTDIR or access's. */
	if ((mkdir(dir, 0700) == 0 || errno == EEXIST) && stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			errno = ENOTDIR;
		else if (access(dir, W_OK | X_OK) == 0)
			return 0;
	}
	ve_warn("--spool: %s:", dir);
	return VE_EX_CANTCREAT;
}

/* The client, the fill-in values and the spool: 0 or an exit status. */
static int
setup(struct state *st, const struct opts *o)
{
	int rc;

	st->o = o;
	if ((rc = ve_ch_open(&st->ch, &o->cli)))
		return rc;
	st->sha = ve_sha256_new();
	st->ch_up = true;
	st->run_id = o->run_id ? o->run_id : getenv("RUN_ID");
	st->model_tag = o->model_tag ? o->model_tag : getenv("MODEL_TAG");
	if (st->run_id && !*st->run_id)
		st->run_id = NULL;
	if (st->model_tag && !*st->model_tag)
		st->model_tag = NULL;
	if (o->ts && !ve_parse_time(o->ts, &st->start_ts))
		ve_usage_error("--ts: expected YYYY-MM-DDTHH:MM:SSZ, got '%s'", o->ts);
	if (!o->ts)
		st->start_ts = (long long)time(NULL);
	return o->spool && !o->flush_spool ? make_spool(o->spool) : 0;
}

static void
state_free(struct state *st)
{
	if (st->ch_up) {
		ve_ch_free(&st->ch);
		ve_sha256_free(st->sha);
	}
	free(st->own_cols);
	free(st->cols_text);
	free(st->insert_sql);
	batch_free(&st->b);
	ve_buf_free(&st->gz);
	ve_buf_free(&st->tmp);
	ve_buf_free(&st->msg);
	ve_buf_free(&st->why);
}

/*
 * Reads record files (stdin without any), writes nothing but --tee's copy
 * to stdout, and the batches it could not send into --spool DIR.
 */
int
main(int argc, char **argv)
{
	struct opts o;
	struct state st = {0};
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	if ((rc = setup(&st, &o)))
		goto out;
	if (o.init) {
		rc = run_init(&st);
	} else {
		setup_table(&st);
		rc = o.flush_spool ? run_flush(&st) : run_insert(&st, argv + optind, argc - optind);
	}
	if (o.cli.verbose && st.ch.major && !o.init)
		ve_warn("ClickHouse %s: %llu rows in %llu batches sent, %llu rows in %llu batches "
		        "spooled",
		        st.ch.version, st.rows_sent, st.batches_sent, st.rows_spooled,
		        st.batches_spooled);
	if (!rc && st.tee_rc > 0)
		rc = st.tee_rc;
out:
	state_free(&st);
	return ve_out_finish(rc);
}
