/*
 * What score-mcq and score-gen share: the metric rows and item rows of
 * vllm-eval(7) (RECORDS), the aggregates of lm-evaluation-harness, and the
 * run around a scorer's per-record step (its common options, the record
 * loop, the --items file and the teardown), and the top logprobs of a
 * response in both OpenAI forms.
 *
 * Figures are computed with the operations lm-eval uses (lm_eval/api/
 * metrics.py: mean, mean_stderr, pooled_sample_stderr, and
 * aggregate_subtask_metrics), printed as Python prints them (shortest
 * repr), but for one thing: sums over items are exact and rounded once
 * (lib/stats.h), so the rows do not depend on the order the records came
 * in: math.fsum of lm-eval's own terms, which is what lm-eval prints
 * under Python 3.12 or later (its sum() is compensated), and under older
 * Pythons wherever their sum in reading order is exactly rounded.
 *
 * jv arguments follow the rule at the top of json.h; each function says
 * whether it borrows or consumes.
 */
#ifndef VE_SCORE_H
#define VE_SCORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jv.h>

#include "buf.h"
#include "cli.h"
#include "input.h"
#include "reader.h"

/* What every metric row carries besides its figure. */
struct ve_score_meta {
	const char *run_id;    /* NULL: not written */
	const char *model_tag; /* NULL: not written */
	/*
	 * The task's version and what it is made of (vllm-eval(7), Task
	 * versions): labels.task_version and labels.task_inputs of every
	 * row; NULL: not written.
	 */
	const char *task_version, *task_inputs;
	char ts[32]; /* "2026-11-22T10:31:07Z" */
};

/*
 * Fills run_id and model_tag from the options, else from RUN_ID and
 * MODEL_TAG; ts is now, or SOURCE_DATE_EPOCH when set (exit 64 if that is
 * not a number of seconds).
 */
void ve_score_meta_init(struct ve_score_meta *m, const char *run_id, const char *model_tag);

/* Appends v as Python's repr(float) writes it ("1.0", "0.25"); null if not finite. */
void ve_score_num(struct ve_buf *b, double v);

/* lm-eval's mean: sum(arr) / len(arr), the sum exact (math.fsum). */
double ve_score_mean(const double *v, size_t n);

/*
 * lm-eval's mean_stderr: the sample standard deviation (ddof 1) over
 * sqrt(n): sqrt(fsum((x - mean)^2) / (n - 1)) / sqrt(n), mean the rounded
 * mean and each square rounded, as lm-eval's. False when n < 2
 * (lm-eval reports "N/A").
 */
bool ve_score_stderr(const double *v, size_t n, double *se);

/* lm-eval's pooled_sample_stderr over k subsets of the given sizes. */
double ve_score_pooled_stderr(const double *se, const size_t *sizes, size_t k);

/*
 * Per-item values collected by task, metric and subset; emitted as metric
 * rows: one per subset, one per group when subsets have groups, and for a
 * task with named subsets "TASK.METRIC" (subset "all": weighted by size,
 * pooled stderr, over the groups when there are groups, as lm-eval
 * aggregates MMLU) and "TASK.METRIC_macro" (the unweighted mean of the
 * subsets). A task whose only subset is "all" gets the one row.
 */
struct ve_score_agg;
struct ve_score_agg *ve_score_agg_new(void);
/*
 * Adds one item's value. unit is the rows' unit ("ratio", "score"); group
 * (NULL: none) is the group of the subset, for tasks aggregated in two
 * levels as lm-eval does MMLU (subjects, then stem/humanities/...).
 */
void ve_score_agg_add(struct ve_score_agg *a, const char *task, const char *metric,
                      const char *unit, const char *subset, const char *group, double v);
/*
 * Tallies one item of the task for the count row "TASK.NAME": n counts the
 * calls, the value those with hit. With skip_zero a zero count writes no row.
 */
void ve_score_agg_tally(struct ve_score_agg *a, const char *task, const char *name, bool hit,
                        bool skip_zero);
/*
 * Rows are written task by task, in the order of the names, and a task's
 * metrics in the order first named by an add or a tally; but a metric
 * named by this (a document's samples, whose values come at the end) is
 * written after the task's others, in the order so named. A scorer calls
 * it where a record would add the metric, so that the rows come out in
 * one order whatever the order of the records.
 */
void ve_score_agg_late(struct ve_score_agg *a, const char *task, const char *metric);
/* Writes the rows to stdout through ve_out_line, tasks in the order of their names. */
void ve_score_agg_emit(struct ve_score_agg *a, const struct ve_score_meta *m);
void ve_score_agg_free(struct ve_score_agg *a);

/* Appends ,"k":"v" for the row's run_id, model_tag and ts. */
void ve_score_meta_fields(struct ve_buf *b, const struct ve_score_meta *m);

/* What every scorer takes besides its own options. */
struct ve_score_opts {
	const char *items;     /* -i/--items FILE: the item rows */
	const char *task;      /* -t/--task: the task of records without one */
	const char *run_id;    /* --run-id */
	const char *model_tag; /* --model-tag */
	const char
	    *task_version; /* --task-version: a label of the metric rows, a field of the items */
	const char *task_inputs; /* --task-inputs: a label of the metric rows */
	struct ve_cli cli;       /* -v, -q, --skip-bad, --rejects, --max-line, --progress */
};

/*
 * ve_getopt over the tool's options plus the scorers' common ones (-i/--items,
 * -t/--task, --run-id, --model-tag, --task-version, --task-inputs, and the skeleton's with
 * --skip-bad,
 * --rejects, --max-line and --progress), which it takes into o. Returns the tool's next
 * option, or -1 at the end of the options. Call it with the same shortopts
 * and longopts every time.
 */
int ve_score_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                    struct ve_score_opts *o, ve_usage_fn *usage);
/*
 * The help lines of --run-id, --model-tag, --task-version, --task-inputs
 * and the skeleton's options, in
 * the layout of ve_cli_help. -i and -t are the tool's to describe.
 */
void ve_score_help(FILE *f, int width);

/*
 * The fields every scored record has. task, subset and resp are owned (an
 * invalid jv when absent); tname and sname point into them or at the
 * defaults.
 */
struct ve_score_rec {
	jv task, subset, resp;
	const char *tname; /* .task, else the default task */
	const char *sname; /* .subset, else "all" */
	bool failed;       /* .error and no .response: counted, never scored */
};
/*
 * Reads the fields of rec (borrowed), with task the default task: NULL, or
 * why the record is bad ("task: expected a string"). Free f either way.
 */
const char *ve_score_rec_get(struct ve_score_rec *f, jv rec, const char *task);
void ve_score_rec_free(struct ve_score_rec *f);

/* A scorer's run: its inputs, --items, the aggregates and the rows' metadata. */
struct ve_score_run {
	const struct ve_score_opts *o;
	struct ve_reader *in;
	FILE *items; /* NULL without --items */
	struct ve_score_meta meta;
	struct ve_score_agg *agg;
	unsigned long long records; /* records handed to the step */
};

/*
 * A scorer's step for one record (rec consumed; line its place and text):
 * NULL when taken, or why the record is bad (a string that lives until the
 * next step).
 */
typedef const char *ve_score_step(void *tool, jv rec, const struct ve_line *line);

/*
 * Sets up a run over files (stdin when nfiles is 0): the rows' metadata
 * (exit 64 on a bad SOURCE_DATE_EPOCH), the reader (a --rejects file that
 * cannot be created exits 73), then --items (73 likewise). A --items or
 * --rejects file that is also an input is refused (64) before either is
 * opened; a tool with outputs of its own refuses them before this call.
 */
void ve_score_begin(struct ve_score_run *r, const struct ve_score_opts *o, char *const *files,
                    int nfiles);
/*
 * Hands every record to step, and the bad ones (malformed, or found bad by
 * the step) to the bad-record policy. 0 at the end of input, or the exit
 * status to stop with, its message printed.
 */
int ve_score_read(struct ve_score_run *r, ve_score_step *step, void *tool);
/*
 * Writes one item row (without its newline) to --items, if given, with
 * "task_version" spliced in before its closing brace when --task-version
 * is; exit 74 on a write error.
 */
void ve_score_item(struct ve_score_run *r, const struct ve_buf *row);
/*
 * Starts an item row in b (reset first): {"task":TASK,"doc_id":ID,"subset":SUBSET
 * where id is JSON text. The caller adds its fields and the closing brace.
 */
void ve_score_item_head(struct ve_buf *b, const char *task, const char *id, const char *subset);
/*
 * Ends the run: reports skipped records, closes --rejects and --items, and
 * frees what the run holds. Returns rc, or when rc is 0 the first failure
 * of the teardown (74).
 */
int ve_score_end(struct ve_score_run *r, int rc);

/*
 * The top logprobs of a generated token, in either form an OpenAI server
 * writes them into response.logprobs: /v1/completions' top_logprobs[i], an
 * object {"token": logprob, ...}, beside tokens[i]; /v1/chat/completions'
 * content[i], {"token", "top_logprobs": [{"token", "logprob"}, ...]}.
 * Each alternative is handed to a ve_score_top_fn; one without a string
 * token and a number logprob is passed over.
 */
typedef void ve_score_top_fn(void *ctx, const char *token, double logprob);
/*
 * The first generated token's alternatives (resp borrowed): NULL, or why
 * the response has none ("response.logprobs has no top logprobs ...").
 */
const char *ve_score_top_first(jv resp, ve_score_top_fn *fn, void *ctx);
/*
 * The alternatives of the last generated token equal to token (resp
 * borrowed), handed to fn in the server's order, each of them: one without
 * a string token or a number logprob with NULL or NAN in its place. False
 * when no generated token is equal to it or its alternatives are no list.
 */
bool ve_score_top_last(jv resp, const char *token, ve_score_top_fn *fn, void *ctx);
#endif
