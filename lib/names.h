/*
 * The names of the files and archive members a tool has read, for what it
 * writes after its reader has moved on (ds-hash's "_dup_of", the files of
 * ds-lsh's pairs). Inputs read one after another (a reference set, then the
 * input) share one table: each one's sources are numbered on from the last.
 *
 * Ownership: the table owns its copies of the names; ve_names_free frees them.
 */
#ifndef VE_NAMES_H
#define VE_NAMES_H

#include <stddef.h>

#include "input.h"

/* Zero it to start. */
struct ve_names {
	char **v; /* by number; NULL for a number no file or member took */
	size_t n, cap;
	size_t base; /* the number of source 0 of the input followed last */
};

/*
 * Names in nm each file or member that in starts from here on, under the
 * number nm->base + its source, base being nm->n now: a line of in is
 * nm->v[nm->base + line->source]'s.
 */
void ve_names_follow(struct ve_names *nm, struct ve_input *in);
void ve_names_free(struct ve_names *nm);

#endif
