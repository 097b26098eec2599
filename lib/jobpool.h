/*
 * Jobs run in forked workers, at most N at a time, and their results
 * handed back in the order the jobs were added, as a filter that keeps its
 * input's order needs them (code-run runs each record's tests in one).
 *
 * A job is a function the worker runs on an argument the parent set up
 * before the fork (the worker has its own copy of the parent's memory);
 * what it writes to the fd it is given is the job's result. A job that
 * needs no worker is added with its result. Each worker dies with its
 * parent (PR_SET_PDEATHSIG), so an exit of the parent for any reason
 * stops them all. The pool flushes stdout before each fork, so a worker
 * that exits through exit() writes nothing of the parent's output again.
 */
#ifndef VE_JOBPOOL_H
#define VE_JOBPOOL_H

#include <stddef.h>

#include "buf.h"

struct ve_jobpool;

/* In the worker: the job, its result written to fd. Returns the worker's exit status. */
typedef int ve_job_fn(void *arg, int fd);
/*
 * In the parent, in the order the jobs were added: a job's result
 * (result->p may be NULL when it is empty) and the ctx it was added with.
 * Returns 0, or an exit status that stops the pool.
 */
typedef int ve_job_done_fn(void *ctx, const struct ve_buf *result, void *user);

/* At most workers running, and at most window jobs held (running or waiting their turn). */
struct ve_jobpool *ve_jobpool_new(unsigned workers, unsigned window, ve_job_done_fn *done,
                                  void *user);
/*
 * Adds a job: fn(arg) in a worker when fn is given, else one whose result
 * is result[0..n). Waits, handing finished jobs to done in order, while
 * the pool is full. 0, or an exit status to stop with: done's, or, when a
 * failed job's turn comes (every job before it handed to done), its
 * worker's status if not 0 (the worker said why), or 70 for a worker
 * killed by a signal or one not started (said here). The job was then not
 * added, and ctx is still the caller's.
 */
int ve_jobpool_add(struct ve_jobpool *p, ve_job_fn *fn, void *arg, void *ctx, const char *result,
                   size_t n);
/* Waits for every job and hands the rest to done; 0 or an exit status as ve_jobpool_add. */
int ve_jobpool_finish(struct ve_jobpool *p);
/*
 * Frees the pool; workers still running are killed and reaped, and the
 * ctx of each job not handed to done is passed to drop (when given).
 */
void ve_jobpool_free(struct ve_jobpool *p, void (*drop)(void *ctx));

#endif
