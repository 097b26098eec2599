#include <stdlib.h>

#include "diag.h"
#include "json.h"
#include "jsoncheck.h"
#include "output.h"
#include "progress.h"
#include "reader.h"

struct ve_reader {
	struct ve_input *in;
	struct ve_bad *bad;
	bool owns_bad, quiet;
	unsigned flags;
	unsigned long long records;
	size_t max_line;
	struct ve_progress progress;
};

static struct ve_reader *
reader_new(char *const *paths, int npaths, bool progress, unsigned flags)
{
	struct ve_reader *r = ve_xcalloc(1, sizeof *r);

	r->in = ve_input_new(paths, npaths);
	r->flags = flags;
	ve_progress_init(&r->progress, progress);
	return r;
}

struct ve_reader *
ve_reader_new(char *const *paths, int npaths, const struct ve_cli *cli, unsigned flags)
{
	struct ve_reader *r = reader_new(paths, npaths, cli->progress, flags);

	if (cli->max_line)
		ve_input_max_line(r->in, cli->max_line);
	r->max_line = cli->max_line;

	ve_refuse_input_as_output("--rejects", cli->rejects, paths, npaths);
	r->bad = ve_xmalloc(sizeof *r->bad);
	r->owns_bad = true;
	r->quiet = cli->quiet;
	ve_bad_open(r->bad, cli->rejects, cli->skip_bad);
	return r;
}

struct ve_reader *
ve_reader_sibling(struct ve_reader *r, char *const *paths, int npaths, unsigned flags)
{
	struct ve_reader *s = reader_new(paths, npaths, r->progress.on, flags);

	if (r->max_line)
		ve_input_max_line(s->in, r->max_line);

	s->bad = r->bad;
	return s;
}

int
ve_reader_next(struct ve_reader *r, struct ve_rec *rec)
{
	int got, rc;

	while ((got = ve_input_next(r->in, &rec->line)) == 1) {
		if (ve_line_blank(&rec->line))
			continue;
		ve_progress_tick(&r->progress, ++r->records, ve_input_bytes(r->in));
		if ((r->flags & VE_READ_RAW) ||
		    ((r->flags & VE_READ_CHECKED) &&
		     ve_json_object_fast(rec->line.text, rec->line.len))) {
			rec->value = jv_null();
			return 1;
		}
		rec->value = ve_record_parse(rec->line.text, rec->line.len);
		if (jv_is_valid(rec->value)) {
			if (r->flags & VE_READ_CHECKED) {
				jv_free(rec->value);
				rec->value = jv_null();
			}
			return 1;
		}
		jv msg = jv_invalid_get_msg(rec->value);
		rec->value = jv_null();
		rc = ve_bad_record(r->bad, &rec->line, jv_string_value(msg));
		jv_free(msg);
		if (rc)
			return rc;
	}
	rec->value = jv_null();
	/* The progress line ends with the input, before any summary is printed. */
	ve_progress_done(&r->progress);
	return got == 0 ? 0 : ve_input_status(r->in);
}

int
ve_reader_reject(struct ve_reader *r, const struct ve_rec *rec, const char *reason)
{
	return ve_bad_record(r->bad, &rec->line, reason);
}

int
ve_reader_reject_gone(struct ve_reader *r, const char *name, unsigned long long lineno,
                      const char *reason)
{
	struct ve_line at = {"", 0, name, lineno, 0};
	FILE *rejects = r->bad->rejects;
	int rc;

	r->bad->rejects = NULL;
	rc = ve_bad_record(r->bad, &at, reason);
	r->bad->rejects = rejects;
	return rc;
}

struct ve_input *
ve_reader_input(struct ve_reader *r)
{
	return r->in;
}

unsigned long long
ve_reader_skipped(const struct ve_reader *r)
{
	return r->bad->count;
}

int
ve_reader_free(struct ve_reader *r)
{
	int rc = 0;

	if (!r)
		return 0;
	ve_progress_done(&r->progress);
	if (r->owns_bad) {
		rc = ve_bad_close(r->bad, r->quiet);
		free(r->bad);
	}
	ve_input_free(r->in);
	free(r);
	return rc;
}

int
ve_reader_each(struct ve_reader *r, ve_take_fn *take, void *ctx)
{
	struct ve_rec rec;
	int rc;

	while ((rc = ve_reader_next(r, &rec)) == 1) {
		const char *why = take(rec.value, ctx);
		jv_free(rec.value);
		if (why && (rc = ve_reader_reject(r, &rec, why)))
			break;
	}
	return rc;
}
