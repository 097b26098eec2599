#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "jobpool.h"

struct job {
	void *ctx;
	pid_t pid; /* running: its worker; 0 once it is done */
	int fd;    /* the worker's result pipe; -1 once read to its end */
	int rc;    /* done: 0, or the exit status its failure stops the pool with */
	struct ve_buf result;
};

struct ve_jobpool {
	unsigned workers, window, running;
	struct job *ring; /* window slots; jobs from head, count of them */
	unsigned head, count;
	ve_job_done_fn *done;
	void *user;
};

struct ve_jobpool *
ve_jobpool_new(unsigned workers, unsigned window, ve_job_done_fn *done, void *user)
{
	struct ve_jobpool *p = ve_xcalloc(1, sizeof *p);

	p->workers = workers ? workers : 1;
	p->window = window > p->workers ? window : p->workers;
	p->ring = ve_xcalloc(p->window, sizeof *p->ring);
	p->done = done;
	p->user = user;
	return p;
}

static struct job *
slot(struct ve_jobpool *p, unsigned i)
{
	return &p->ring[(p->head + i) % p->window];
}

/*
 * Hands the finished jobs at the head to done, in order; a job that failed
 * stops the pool when its turn comes, after every job before it.
 */
static int
emit(struct ve_jobpool *p)
{
	while (p->count && slot(p, 0)->pid == 0) {
		struct job *j = slot(p, 0);
		if (j->rc)
			return j->rc;
		int rc = p->done(j->ctx, &j->result, p->user);
		ve_buf_free(&j->result);
		p->head = (p->head + 1) % p->window;
		p->count--;
		if (rc)
			return rc;
	}
	return 0;
}

/* Reaps the worker of a job whose pipe has ended, keeping how it ended. */
static void
reap(struct ve_jobpool *p, struct job *j)
{
	int status;

	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	j->pid = 0;
	p->running--;
	j->rc = WIFSIGNALED(status) ? VE_EX_SOFTWARE : WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		ve_warn("a worker was killed by signal %d", WTERMSIG(status));
}

/* Reads the pipe of job j; reaps its worker at the end. */
static void
read_job(struct ve_jobpool *p, struct job *j)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(j->fd, buf, sizeof buf)) > 0)
		ve_buf_add(&j->result, buf, (size_t)n);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close(j->fd);
	j->fd = -1;
	reap(p, j);
}

/* Waits until at least one running worker has ended. */
static int
wait_one(struct ve_jobpool *p)
{
	struct pollfd pfd[p->count + 1];
	struct job *of[p->count + 1];
	unsigned n = 0, before = p->running;

	if (!before)
		return 0;
	for (unsigned i = 0; i < p->count; i++) {
		struct job *j = slot(p, i);
		if (j->pid) {
			pfd[n] = (struct pollfd){.fd = j->fd, .events = POLLIN};
			of[n++] = j;
		}
	}
	while (p->running == before) {
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			return VE_EX_SOFTWARE;
		for (unsigned i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			read_job(p, of[i]);
			if (of[i]->fd < 0)
				pfd[i].fd = -1;
		}
	}
	return 0;
}

/* Forks the worker of job j. */
static int
start(struct ve_jobpool *p, struct job *j, ve_job_fn *fn, void *arg)
{
	int fds[2] = {-1, -1};
	pid_t parent = getpid(), pid = -1;

	fflush(NULL);
	if (pipe2(fds, O_CLOEXEC) || (pid = fork()) < 0) {
		ve_warn("cannot start a worker: %s", strerror(errno));
		if (fds[0] >= 0) {
			close(fds[0]);
			close(fds[1]);
		}
		return VE_EX_SOFTWARE;
	}
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(VE_EX_SOFTWARE);
		_exit(fn(arg, fds[1]));
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	j->pid = pid;
	j->fd = fds[0];
	p->running++;
	return 0;
}

int
ve_jobpool_add(struct ve_jobpool *p, ve_job_fn *fn, void *arg, void *ctx, const char *result,
               size_t n)
{
	int rc = emit(p);

	while (!rc && (p->count == p->window || (fn && p->running == p->workers))) {
		rc = wait_one(p);
		if (!rc)
			rc = emit(p);
	}
	if (rc)
		return rc;
	struct job *j = slot(p, p->count++);
	*j = (struct job){.ctx = ctx, .fd = -1};
	if (fn && (rc = start(p, j, fn, arg)))
		p->count--;
	if (fn)
		return rc;
	ve_buf_add(&j->result, result, n);
	return emit(p);
}

int
ve_jobpool_finish(struct ve_jobpool *p)
{
	int rc = emit(p);

	while (!rc && p->count) {
		rc = wait_one(p);
		if (!rc)
			rc = emit(p);
	}
	return rc;
}

void
ve_jobpool_free(struct ve_jobpool *p, void (*drop)(void *ctx))
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->count; i++) {
		struct job *j = slot(p, i);
		if (j->pid > 0) {
			kill(j->pid, SIGKILL);
			while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		if (j->fd >= 0)
			close(j->fd);
		ve_buf_free(&j->result);
		if (drop)
			drop(j->ctx);
	}
	free(p->ring);
	free(p);
}
