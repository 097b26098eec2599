#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "score.h"
#include "stats.h"

void
ve_score_meta_init(struct ve_score_meta *m, const char *run_id, const char *model_tag)
{
	m->run_id = run_id ? run_id : getenv("RUN_ID");
	m->model_tag = model_tag ? model_tag : getenv("MODEL_TAG");
	if (m->run_id && !*m->run_id)
		m->run_id = NULL;
	if (m->model_tag && !*m->model_tag)
		m->model_tag = NULL;
	m->task_version = m->task_inputs = NULL;
	ve_time_now(m->ts);
}

void
ve_score_meta_fields(struct ve_buf *b, const struct ve_score_meta *m)
{
	if (m->run_id) {
		ve_buf_adds(b, ",\"run_id\":");
		ve_buf_add_json_str(b, m->run_id, strlen(m->run_id));
	}
	if (m->model_tag) {
		ve_buf_adds(b, ",\"model_tag\":");
		ve_buf_add_json_str(b, m->model_tag, strlen(m->model_tag));
	}
	ve_buf_addf(b, ",\"ts\":\"%s\"", m->ts);
}

void
ve_score_num(struct ve_buf *b, double v)
{
	char s[VE_NUM_G_SIZE];

	if (!isfinite(v)) {
		ve_buf_adds(b, "null");
		return;
	}
	/*
	 * Python's repr writes a whole number below 1e16 in plain digits (50.0),
	 * where the shortest %g form would be 5e+01.
	 */
	if (fabs(v) < 1e16 && v == floor(v)) {
		ve_buf_addf(b, "%.1f", v);
		return;
	}
	ve_buf_adds(b, ve_num_g(s, sizeof s, v, 1));
	if (!strpbrk(s, ".e"))
		ve_buf_adds(b, ".0");
}

/*
 * lm-eval's sum(arr) in reading order moves its last digit with the order
 * of the records. The same terms summed exactly and rounded once
 * (math.fsum) are the same for any order, and what lm-eval prints under
 * Python 3.12 or later, whose sum() is compensated, but for rare cases.
 */
double
ve_score_mean(const double *v, size_t n)
{
	return n ? ve_stats_fsum(v, n) / (double)n : 0;
}

bool
ve_score_stderr(const double *v, size_t n, double *se)
{
	if (n < 2)
		return false;
	*se = sqrt(ve_stats_devsq(v, n, ve_score_mean(v, n)) / (double)(n - 1)) / sqrt((double)n);
	return true;
}

double
ve_score_pooled_stderr(const double *se, const size_t *sizes, size_t k)
{
	double var = 0;
	size_t total = 0;

	/* sum((size - 1) * stderr**2 * size) / (sum(sizes) - len(sizes)), left to right. */
	for (size_t i = 0; i < k; i++) {
		var += (double)(sizes[i] - 1) * (se[i] * se[i]) * (double)sizes[i];
		total += sizes[i];
	}
	var /= (double)(total - k);
	return sqrt(var / (double)total);
}

/* The values of one metric in one subset of one task. */
struct series {
	char *task, *metric, *unit, *subset;
	char *group; /* NULL, or the group the subset belongs to */
	double *v;
	size_t n, cap;
	bool count;     /* a count row: v[0] is the value, n the items */
	bool skip_zero; /* a count row written only when not zero */
};

/* A task's metric, at its place in the order rows are written in. */
struct order {
	char *task, *metric;
	size_t seq;  /* when first named */
	size_t late; /* 0, or 1 + when first named by ve_score_agg_late */
};

struct ve_score_agg {
	struct series *s;
	size_t n, cap;
	struct ve_index index; /* of s, by (task, metric, subset) */
	struct order *o;       /* each (task, metric), first named first */
	size_t no, capo;
	size_t nlate; /* metrics named by ve_score_agg_late */
};

/* The place of (task, metric) in the order of the rows, made when new. */
static struct order *
order_of(struct ve_score_agg *a, const char *task, const char *metric)
{
	for (size_t i = 0; i < a->no; i++)
		if (!strcmp(a->o[i].task, task) && !strcmp(a->o[i].metric, metric))
			return &a->o[i];
	a->o = ve_grow(a->o, &a->capo, a->no + 1, sizeof *a->o);
	a->o[a->no] = (struct order){ve_xstrdup(task), ve_xstrdup(metric), a->no, 0};
	return &a->o[a->no++];
}

void
ve_score_agg_late(struct ve_score_agg *a, const char *task, const char *metric)
{
	struct order *o = order_of(a, task, metric);

	if (!o->late)
		o->late = ++a->nlate;
}

struct ve_score_agg *
ve_score_agg_new(void)
{
	return ve_xcalloc(1, sizeof(struct ve_score_agg));
}

/* FNV-1a over the three names, each ended by a byte no UTF-8 text holds. */
static uint64_t
series_hash(const char *task, const char *metric, const char *subset)
{
	const char *part[3] = {task, metric, subset};
	uint64_t h = VE_HASH_INIT;

	for (int i = 0; i < 3; i++) {
		h = ve_hash_bytes(h, part[i], strlen(part[i]));
		h = ve_hash_bytes(h, "\xff", 1);
	}
	return h;
}

struct series_key {
	const struct ve_score_agg *a;
	const char *task, *metric, *subset;
};

static bool
is_series(const void *ctx, size_t pos)
{
	const struct series_key *k = ctx;
	const struct series *s = &k->a->s[pos];

	return !strcmp(s->task, k->task) && !strcmp(s->metric, k->metric) &&
	       !strcmp(s->subset, k->subset);
}

static struct series *
find_series(struct ve_score_agg *a, const char *task, const char *metric, const char *subset,
            const char *unit)
{
	struct series_key k = {a, task, metric, subset};
	uint64_t h = series_hash(task, metric, subset);
	size_t pos = ve_index_find(&a->index, h, is_series, &k);
	struct series *s;

	if (pos != VE_INDEX_NONE)
		return &a->s[pos];
	a->s = ve_grow(a->s, &a->cap, a->n + 1, sizeof *a->s);
	s = &a->s[a->n];
	memset(s, 0, sizeof *s);
	s->task = ve_xstrdup(task);
	s->metric = ve_xstrdup(metric);
	s->subset = ve_xstrdup(subset);
	s->unit = ve_xstrdup(unit);
	ve_index_add(&a->index, h, a->n++);
	order_of(a, task, metric);
	return s;
}

void
ve_score_agg_add(struct ve_score_agg *a, const char *task, const char *metric, const char *unit,
                 const char *subset, const char *group, double v)
{
	struct series *s = find_series(a, task, metric, subset, unit);

	if (group && !s->group)
		s->group = ve_xstrdup(group);
	s->v = ve_grow(s->v, &s->cap, s->n + 1, sizeof *s->v);
	s->v[s->n++] = v;
}

void
ve_score_agg_tally(struct ve_score_agg *a, const char *task, const char *name, bool hit,
                   bool skip_zero)
{
	struct series *s = find_series(a, task, name, "all", "count");

	s->count = true;
	s->skip_zero = skip_zero;
	if (!s->v)
		s->v = ve_xcalloc(1, sizeof *s->v);
	s->v[0] += hit;
	s->n++;
}

/* Appends ,"name":"value" when value is not NULL. */
static void
add_label(struct ve_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	ve_buf_addf(b, ",\"%s\":", name);
	ve_buf_add_json_str(b, value, strlen(value));
}

static void
row(const struct ve_score_meta *m, const char *task, const char *metric, const char *suffix,
    double value, size_t n, const double *se, const char *unit, const char *subset, bool group)
{
	struct ve_buf b = {0};
	size_t tl = strlen(task), ml = strlen(metric), sl = strlen(suffix);
	char *name = ve_xmalloc(tl + ml + sl + 2);

	memcpy(name, task, tl);
	name[tl] = '.';
	memcpy(name + tl + 1, metric, ml);
	memcpy(name + tl + 1 + ml, suffix, sl + 1);
	ve_buf_adds(&b, "{\"metric\":");
	ve_buf_add_json_str(&b, name, strlen(name));
	ve_buf_adds(&b, ",\"value\":");
	if (!strcmp(unit, "count"))
		ve_buf_addf(&b, "%.0f", value);
	else
		ve_score_num(&b, value);
	ve_buf_addf(&b, ",\"n\":%zu", n);
	if (se) {
		ve_buf_adds(&b, ",\"stderr\":");
		ve_score_num(&b, *se);
	}
	ve_buf_adds(&b, ",\"unit\":");
	ve_buf_add_json_str(&b, unit, strlen(unit));
	ve_buf_adds(&b, ",\"labels\":{\"task\":");
	ve_buf_add_json_str(&b, task, tl);
	ve_buf_adds(&b, ",\"subset\":");
	ve_buf_add_json_str(&b, subset, strlen(subset));
	add_label(&b, "task_version", m->task_version);
	add_label(&b, "task_inputs", m->task_inputs);
	ve_buf_addc(&b, '}');
	/* A group's row (MMLU's stem ...) is a headline figure to reg-check, a subject's is not. */
	if (group)
		ve_buf_adds(&b, ",\"level\":\"group\"");
	ve_score_meta_fields(&b, m);
	ve_buf_addc(&b, '}');
	ve_out_line(b.p, b.len);
	ve_buf_free(&b);
	free(name);
}

static int
by_subset(const void *x, const void *y)
{
	const struct series *const *a = x, *const *b = y;

	return strcmp((*a)->subset, (*b)->subset);
}

/* One figure of a subset or a group: its mean, stderr and size. */
struct level {
	const char *name;
	double mean, se;
	size_t n;
	bool has_se;
};

/*
 * lm-eval's aggregate of a group's members (evaluator's consolidate_group_results):
 * sum(metric * size) / sum(sizes), and pooled_sample_stderr when every member has one.
 */
static struct level
group_of(const char *name, const struct level *m, size_t k)
{
	struct level g = {name, 0, 0, 0, true};
	double *se = ve_xcalloc(k, sizeof *se);
	size_t *size = ve_xcalloc(k, sizeof *size);

	for (size_t i = 0; i < k; i++) {
		g.mean += m[i].mean * (double)m[i].n;
		g.n += m[i].n;
		g.has_se &= m[i].has_se;
		se[i] = m[i].se;
		size[i] = m[i].n;
	}
	g.mean /= (double)g.n;
	g.has_se &= g.n > k;
	if (g.has_se)
		g.se = ve_score_pooled_stderr(se, size, k);
	free(se);
	free(size);
	return g;
}

static int
by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/*
 * The task's figure over its subsets sub (their figures lv). When the
 * records named groups (MMLU's stem, humanities, ...), each group gets its
 * row over its subsets and the task's figure is over the groups, as lm-eval
 * aggregates its nested groups; a subset without a group is a group of its
 * own, whose row is already written. Else the figure is over the subsets.
 */
static struct level
top_level(const struct series *f, struct series *const *sub, const struct level *lv, size_t k,
          const struct ve_score_meta *m)
{
	const char **gname = ve_xcalloc(k, sizeof *gname);
	size_t ng = 0, u = 0;

	for (size_t i = 0; i < k; i++)
		if (sub[i]->group)
			gname[ng++] = sub[i]->group;
	if (!ng) {
		free(gname);
		return group_of("all", lv, k);
	}
	for (size_t i = 0; i < k; i++)
		if (!sub[i]->group)
			gname[ng++] = sub[i]->subset;
	qsort(gname, ng, sizeof *gname, by_name);
	for (size_t i = 0; i < ng; i++)
		if (!u || strcmp(gname[u - 1], gname[i]) != 0)
			gname[u++] = gname[i];
	struct level *gl = ve_xcalloc(u, sizeof *gl), *mem = ve_xcalloc(k, sizeof *mem);
	for (size_t j = 0; j < u; j++) {
		size_t km = 0;
		bool own = false;
		for (size_t i = 0; i < k; i++) {
			const char *g = sub[i]->group ? sub[i]->group : sub[i]->subset;
			if (!strcmp(g, gname[j])) {
				mem[km++] = lv[i];
				own |= !sub[i]->group;
			}
		}
		gl[j] = group_of(gname[j], mem, km);
		if (!own)
			row(m, f->task, f->metric, "", gl[j].mean, gl[j].n,
			    gl[j].has_se ? &gl[j].se : NULL, f->unit, gname[j], true);
	}
	struct level top = group_of("all", gl, u);
	free(gl);
	free(mem);
	free(gname);
	return top;
}

/*
 * Writes the rows of one task's metric: its subsets, sorted; then for a
 * task with named subsets its groups and the task (top_level), and last
 * the macro mean of the subsets. A count row is written alone.
 */
static void
emit_metric(struct ve_score_agg *a, size_t first, const struct ve_score_meta *m)
{
	const struct series *f = &a->s[first];
	struct series **sub = NULL;
	size_t k = 0, cap = 0;
	double macro = 0;

	for (size_t i = first; i < a->n; i++)
		if (!strcmp(a->s[i].task, f->task) && !strcmp(a->s[i].metric, f->metric)) {
			sub = ve_grow(sub, &cap, k + 1, sizeof *sub);
			sub[k++] = &a->s[i];
		}
	if (f->count) {
		if (!f->skip_zero || f->v[0] != 0)
			row(m, f->task, f->metric, "", f->v[0], f->n, NULL, "count", "all", false);
		free(sub);
		return;
	}
	qsort(sub, k, sizeof *sub, by_subset);
	struct level *lv = ve_xcalloc(k, sizeof *lv);
	for (size_t i = 0; i < k; i++) {
		lv[i].name = sub[i]->subset;
		lv[i].mean = ve_score_mean(sub[i]->v, sub[i]->n);
		lv[i].n = sub[i]->n;
		lv[i].has_se = ve_score_stderr(sub[i]->v, sub[i]->n, &lv[i].se);
		macro += lv[i].mean;
		row(m, f->task, f->metric, "", lv[i].mean, lv[i].n, lv[i].has_se ? &lv[i].se : NULL,
		    f->unit, lv[i].name, false);
	}
	if (k > 1 || strcmp(sub[0]->subset, "all") != 0) {
		struct level top = top_level(f, sub, lv, k, m);
		macro /= (double)k;
		row(m, f->task, f->metric, "", top.mean, top.n, top.has_se ? &top.se : NULL,
		    f->unit, "all", false);
		row(m, f->task, f->metric, "_macro", macro, top.n, top.has_se ? &top.se : NULL,
		    f->unit, "all", false);
	}
	free(lv);
	free(sub);
}

/*
 * By task; then the metrics named late after the others; each kind in the
 * order first named.
 */
static int
by_task(const void *x, const void *y)
{
	const struct order *a = x, *b = y;
	int c = strcmp(a->task, b->task);

	if (c)
		return c;
	if (!a->late != !b->late)
		return a->late ? 1 : -1;
	size_t ka = a->late ? a->late : a->seq, kb = b->late ? b->late : b->seq;
	return (ka > kb) - (ka < kb);
}

/*
 * Tasks are written in the order of their names, not of their first
 * record; a task's metrics in the order a record names them, those
 * named late (ve_score_agg_late) after the others. So the rows come out
 * the same for any order of the records.
 */
void
ve_score_agg_emit(struct ve_score_agg *a, const struct ve_score_meta *m)
{
	if (a->no > 1)
		qsort(a->o, a->no, sizeof *a->o, by_task);
	for (size_t j = 0; j < a->no; j++)
		for (size_t i = 0; i < a->n; i++)
			if (!strcmp(a->s[i].task, a->o[j].task) &&
			    !strcmp(a->s[i].metric, a->o[j].metric)) {
				emit_metric(a, i, m);
				break;
			}
}

void
ve_score_agg_free(struct ve_score_agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->s[i].task);
		free(a->s[i].metric);
		free(a->s[i].unit);
		free(a->s[i].subset);
		free(a->s[i].group);
		free(a->s[i].v);
	}
	for (size_t i = 0; i < a->no; i++) {
		free(a->o[i].task);
		free(a->o[i].metric);
	}
	free(a->s);
	free(a->o);
	ve_index_free(&a->index);
	free(a);
}

/* Values of the scorers' common long options that have no letter. */
enum {
	SCORE_RUN_ID = 0x20000,
	SCORE_MODEL_TAG,
	SCORE_TASK_VERSION,
	SCORE_TASK_INPUTS,
};

static const struct option score_common[] = {
    {"items", required_argument, NULL, 'i'},
    {"task", required_argument, NULL, 't'},
    {"run-id", required_argument, NULL, SCORE_RUN_ID},
    {"model-tag", required_argument, NULL, SCORE_MODEL_TAG},
    {"task-version", required_argument, NULL, SCORE_TASK_VERSION},
    {"task-inputs", required_argument, NULL, SCORE_TASK_INPUTS},
};

enum { NSCORE = sizeof score_common / sizeof score_common[0], SCORE_MAXOPTS = 64 };

/* A label's value: an empty one would name no version (exit 64). */
static const char *
label_arg(const char *opt, const char *arg)
{
	if (!*arg)
		ve_usage_error("%s: empty value", opt);
	return arg;
}

int
ve_score_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                struct ve_score_opts *o, ve_usage_fn *usage)
{
	/* Built per call, as ve_getopt builds its own: no state outlives it. */
	struct option table[SCORE_MAXOPTS] = {{0}};
	char letters[64];
	size_t n = 0;

	for (const struct option *p = longopts; p->name; p++) {
		if (n + NSCORE + 1 >= SCORE_MAXOPTS)
			ve_die(VE_EX_SOFTWARE, "too many options");
		table[n++] = *p;
	}
	memcpy(table + n, score_common, sizeof score_common);
	if (snprintf(letters, sizeof letters, "%si:t:", shortopts) >= (int)sizeof letters)
		ve_die(VE_EX_SOFTWARE, "too many short options");
	o->cli.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS;
	for (;;) {
		int c = ve_getopt(argc, argv, letters, table, &o->cli, usage);
		switch (c) {
		case 'i': o->items = optarg; break;
		case 't': o->task = optarg; break;
		case SCORE_RUN_ID: o->run_id = optarg; break;
		case SCORE_MODEL_TAG: o->model_tag = optarg; break;
		case SCORE_TASK_VERSION:
			o->task_version = label_arg("--task-version", optarg);
			break;
		case SCORE_TASK_INPUTS: o->task_inputs = label_arg("--task-inputs", optarg); break;
		default: return c;
		}
	}
}

void
ve_score_help(FILE *f, int width)
{
	fprintf(f, "  %-*s%s\n", width - 2, "    --run-id ID",
	        "run_id of the metric rows (default: $RUN_ID)");
	fprintf(f, "  %-*s%s\n", width - 2, "    --model-tag TAG",
	        "model_tag of the metric rows (default: $MODEL_TAG)");
	fprintf(f, "  %-*s%s\n", width - 2, "    --task-version V",
	        "labels.task_version of the metric rows, and of the items");
	fprintf(f, "  %-*s%s\n", width - 2, "    --task-inputs S",
	        "labels.task_inputs: what the version is made of");
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, width);
}

const char *
ve_score_rec_get(struct ve_score_rec *f, jv rec, const char *task)
{
	jv err = ve_json_get(rec, "error");

	f->task = ve_json_get(rec, "task");
	f->subset = ve_json_get(rec, "subset");
	f->resp = ve_json_get(rec, "response");
	/* llm-query writes "error" in place of "response" when a request failed. */
	f->failed = !jv_is_valid(f->resp) && jv_is_valid(err) && jv_get_kind(err) != JV_KIND_NULL;
	jv_free(err);
	f->tname = task;
	f->sname = "all";
	if (jv_is_valid(f->task)) {
		if (jv_get_kind(f->task) != JV_KIND_STRING)
			return "task: expected a string";
		f->tname = jv_string_value(f->task);
	}
	if (jv_is_valid(f->subset)) {
		if (jv_get_kind(f->subset) != JV_KIND_STRING)
			return "subset: expected a string";
		f->sname = jv_string_value(f->subset);
	}
	return NULL;
}

void
ve_score_rec_free(struct ve_score_rec *f)
{
	jv_free(f->task);
	jv_free(f->subset);
	jv_free(f->resp);
}

void
ve_score_begin(struct ve_score_run *r, const struct ve_score_opts *o, char *const *files,
               int nfiles)
{
	memset(r, 0, sizeof *r);
	r->o = o;
	ve_score_meta_init(&r->meta, o->run_id, o->model_tag);
	r->meta.task_version = o->task_version;
	r->meta.task_inputs = o->task_inputs;
	r->agg = ve_score_agg_new();
	ve_refuse_input_as_output("--items", o->items, files, nfiles);
	r->in = ve_reader_new(files, nfiles, &o->cli, 0);
	if (o->items)
		r->items = ve_open_output("--items", o->items);
}

int
ve_score_read(struct ve_score_run *r, ve_score_step *step, void *tool)
{
	struct ve_rec rec;
	const char *why;
	int got, rc;

	while ((got = ve_reader_next(r->in, &rec)) == 1) {
		r->records++;
		why = step(tool, rec.value, &rec.line);
		if (why && (rc = ve_reader_reject(r->in, &rec, why)))
			return rc;
	}
	return got;
}

void
ve_score_item(struct ve_score_run *r, const struct ve_buf *row)
{
	const char *v = r->o->task_version;
	size_t len = row->len;
	bool ok;

	if (!r->items)
		return;
	/* reg-check pairs an item only with items of its task's version (reg-check(1)). */
	if (v && len && row->p[len - 1] == '}') {
		struct ve_buf tail = {0};
		add_label(&tail, "task_version", v);
		ve_buf_addc(&tail, '}');
		ok = fwrite(row->p, 1, len - 1, r->items) == len - 1 &&
		     fwrite(tail.p, 1, tail.len, r->items) == tail.len;
		ve_buf_free(&tail);
	} else {
		ok = fwrite(row->p, 1, len, r->items) == len;
	}
	if (!ok || putc('\n', r->items) == EOF)
		ve_die(VE_EX_IOERR, "--items: %s: write error:", r->o->items);
}

void
ve_score_item_head(struct ve_buf *b, const char *task, const char *id, const char *subset)
{
	ve_buf_reset(b);
	ve_buf_adds(b, "{\"task\":");
	ve_buf_add_json_str(b, task, strlen(task));
	ve_buf_adds(b, ",\"doc_id\":");
	ve_buf_adds(b, id);
	ve_buf_adds(b, ",\"subset\":");
	ve_buf_add_json_str(b, subset, strlen(subset));
}

int
ve_score_end(struct ve_score_run *r, int rc)
{
	int rc2 = ve_reader_free(r->in);

	if (!rc)
		rc = rc2;
	if (r->items && (rc2 = ve_fclose_checked(r->items, r->o->items)) && !rc)
		rc = rc2;
	ve_score_agg_free(r->agg);
	r->in = NULL;
	r->items = NULL;
	r->agg = NULL;
	return rc;
}

/*
 * Hands fn each {"token": logprob} of alts (borrowed); false when alts is no
 * object. A logprob that is no number is passed over, or with all handed
 * to fn as NAN.
 */
static bool
top_object(jv alts, ve_score_top_fn *fn, void *ctx, bool all)
{
	if (jv_get_kind(alts) != JV_KIND_OBJECT)
		return false;
	for (int it = jv_object_iter(alts); jv_object_iter_valid(alts, it);
	     it = jv_object_iter_next(alts, it)) {
		jv k = jv_object_iter_key(alts, it);
		jv v = jv_object_iter_value(alts, it);
		if (jv_get_kind(v) == JV_KIND_NUMBER || all)
			fn(ctx, jv_string_value(k),
			   jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN);
		jv_free(k);
		jv_free(v);
	}
	return true;
}

/*
 * Hands fn each {"token", "logprob"} of alts (borrowed); false when alts is
 * no array. An entry without a string token and a number logprob is passed
 * over, or with all handed to fn with NULL and NAN in their place.
 */
static bool
top_list(jv alts, ve_score_top_fn *fn, void *ctx, bool all)
{
	if (jv_get_kind(alts) != JV_KIND_ARRAY)
		return false;
	int n = jv_array_length(jv_copy(alts));
	for (int i = 0; i < n; i++) {
		jv e = jv_array_get(jv_copy(alts), i);
		jv k = ve_json_get(e, "token"), v = ve_json_get(e, "logprob");
		bool ks = jv_get_kind(k) == JV_KIND_STRING, vn = jv_get_kind(v) == JV_KIND_NUMBER;
		if ((ks && vn) || all)
			fn(ctx, ks ? jv_string_value(k) : NULL, vn ? jv_number_value(v) : NAN);
		jv_free(k);
		jv_free(v);
		jv_free(e);
	}
	return true;
}

static bool
nonempty(jv a)
{
	return jv_get_kind(a) == JV_KIND_ARRAY && jv_array_length(jv_copy(a)) > 0;
}

const char *
ve_score_top_first(jv resp, ve_score_top_fn *fn, void *ctx)
{
	jv lp = ve_json_get(resp, "logprobs");
	jv top = ve_json_get(lp, "top_logprobs"), content = ve_json_get(lp, "content");
	const char *why = NULL;

	if (nonempty(top)) {
		jv first = jv_array_get(jv_copy(top), 0);
		if (!top_object(first, fn, ctx, false))
			why = "response.logprobs.top_logprobs[0] is not an object";
		jv_free(first);
	} else if (nonempty(content)) {
		jv first = jv_array_get(jv_copy(content), 0);
		jv alts = ve_json_get(first, "top_logprobs");
		if (!top_list(alts, fn, ctx, false))
			why = "response.logprobs.content[0].top_logprobs is not an array";
		jv_free(alts);
		jv_free(first);
	} else {
		why = "response.logprobs has no top logprobs (ask with max_tokens 1 and logprobs)";
	}
	jv_free(lp);
	jv_free(top);
	jv_free(content);
	return why;
}

bool
ve_score_top_last(jv resp, const char *token, ve_score_top_fn *fn, void *ctx)
{
	jv lp = ve_json_get(resp, "logprobs");
	jv tokens = ve_json_get(lp, "tokens"), top = ve_json_get(lp, "top_logprobs");
	jv content = ve_json_get(lp, "content");
	/* The completions form when it is there, else the chat form. */
	bool chat = jv_get_kind(tokens) != JV_KIND_ARRAY || jv_get_kind(top) != JV_KIND_ARRAY;
	jv list = chat ? content : tokens;
	int i = jv_get_kind(list) == JV_KIND_ARRAY ? jv_array_length(jv_copy(list)) : 0;
	bool found = false, ok = false;

	while (!found && i-- > 0) {
		jv e = jv_array_get(jv_copy(list), i);
		jv t = chat ? ve_json_get(e, "token") : jv_copy(e);
		found = jv_get_kind(t) == JV_KIND_STRING && !strcmp(jv_string_value(t), token);
		if (found) {
			jv alts =
			    chat ? ve_json_get(e, "top_logprobs") : jv_array_get(jv_copy(top), i);
			ok = chat ? top_list(alts, fn, ctx, true) : top_object(alts, fn, ctx, true);
			jv_free(alts);
		}
		jv_free(t);
		jv_free(e);
	}
	jv_free(lp);
	jv_free(tokens);
	jv_free(top);
	jv_free(content);
	return ok;
}
