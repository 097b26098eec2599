/*
 * Progress on stderr for long work: shown when stderr is a terminal or when
 * forced (--progress), at most twice a second, as one line redrawn in place.
 */
#ifndef VE_PROGRESS_H
#define VE_PROGRESS_H

#include <stdbool.h>

struct ve_progress {
	bool on;
	bool shown;
	double last;
	unsigned long long ticks;
};

void ve_progress_init(struct ve_progress *p, bool force);
/* Cheap to call per record. */
void ve_progress_tick(struct ve_progress *p, unsigned long long records, unsigned long long bytes);
void ve_progress_done(struct ve_progress *p);

/* Seconds on the monotonic clock. */
double ve_now(void);
/* Seconds since the epoch, wall clock. */
double ve_wall(void);

#endif
