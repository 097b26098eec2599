/*
 * Bookkeeping of libjq's own leaks for the fuzz targets (jq-leak.c): the
 * blocks this thread allocates between the two calls, and does not free,
 * are freed by the second.
 */
#ifndef FUZZ_JQ_LEAK_H
#define FUZZ_JQ_LEAK_H

/* Starts recording this thread's allocations. */
void fuzz_track_start(void);
/* Stops recording and frees each block still live but keep1 and keep2 (NULL: none). */
void fuzz_track_free_rest(const void *keep1, const void *keep2);

#endif
