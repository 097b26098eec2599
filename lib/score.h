/*
 * Metric rows (vllm-eval(7)) and the aggregates of lm-evaluation-harness,
 * shared by score-mcq and score-gen.
 *
 * Figures are computed in the order and with the operations lm-eval uses
 * (lm_eval/api/metrics.py: mean, mean_stderr, pooled_sample_stderr, and
 * aggregate_subtask_metrics), so that on the same per-item values the rows
 * carry the same doubles, printed as Python prints them (shortest repr).
 */
#ifndef VE_SCORE_H
#define VE_SCORE_H
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

/* What every metric row carries besides its figure. */
struct ve_score_meta {
	const char *run_id;    /* NULL: not written */
	const char *model_tag; /* NULL: not written */
	char ts[32];           /* "2026-11-22T10:31:07Z" */
};

/*
 * Fills run_id and model_tag from the options, else from RUN_ID and
 * MODEL_TAG; ts is now, or SOURCE_DATE_EPOCH when set (exit 64 if that is
 * not a number of seconds).
 */
void ve_score_meta_init(struct ve_score_meta *m, const char *run_id, const char *model_tag);

/* Appends v as Python's repr(float) writes it ("1.0", "0.25"); null if not finite. */
void ve_score_num(struct ve_buf *b, double v);

/* lm-eval's mean: sum(arr) / len(arr), summed left to right. */
double ve_score_mean(const double *v, size_t n);

/*
 * lm-eval's mean_stderr: the sample standard deviation (ddof 1) over
 * sqrt(n). False when n < 2 (lm-eval reports "N/A").
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
/* Adds a count row "TASK.NAME" (unit "count") of n items in the task. */
void ve_score_agg_count(struct ve_score_agg *a, const char *task, const char *name,
                        unsigned long long value, unsigned long long n);
/*
 * Tallies one item of the task for the count row "TASK.NAME": n counts the
 * calls, the value those with hit. With skip_zero a zero count writes no row.
 */
void ve_score_agg_tally(struct ve_score_agg *a, const char *task, const char *name, bool hit,
                        bool skip_zero);
/* Writes the rows to stdout through ve_out_line. */
void ve_score_agg_emit(struct ve_score_agg *a, const struct ve_score_meta *m);
void ve_score_agg_free(struct ve_score_agg *a);

/* Appends ,"k":"v" for the row's run_id, model_tag and ts. */
void ve_score_meta_fields(struct ve_buf *b, const struct ve_score_meta *m);

/*
 * The number of code points in valid UTF-8 s (Python's len()): ve_utf8_count
 * (lib/utf8.h) under the name score-mcq knows; new code calls ve_utf8_count.
 */
size_t ve_score_codepoints(const char *s, size_t len);
#endif
