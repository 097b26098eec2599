#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "progress.h"

double
ve_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
ve_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ve_progress_init(struct ve_progress *p, bool force)
{
	p->on = force || isatty(STDERR_FILENO);
	p->shown = false;
	p->last = ve_now();
	p->ticks = 0;
}

void
ve_progress_tick(struct ve_progress *p, unsigned long long records, unsigned long long bytes)
{
	if (!p->on || (++p->ticks & 1023))
		return;
	double t = ve_now();
	if (t - p->last < 0.5)
		return;
	p->last = t;
	p->shown = true;
	fprintf(stderr, "\r%s: %llu records, %.1f MB", ve_progname, records, (double)bytes / 1e6);
}

void
ve_progress_done(struct ve_progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	p->shown = false;
}
