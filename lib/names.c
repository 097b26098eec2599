#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "diag.h"
#include "names.h"

/* A ve_member_fn: keeps the name of the source that starts. */
static void
remember(void *ctx, const char *name, int source)
{
	struct ve_names *nm = ctx;
	size_t i = nm->base + (size_t)source;

	nm->v = ve_grow(nm->v, &nm->cap, i + 1, sizeof *nm->v);
	while (nm->n <= i)
		nm->v[nm->n++] = NULL;
	nm->v[i] = ve_xstrdup(name);
}

void
ve_names_follow(struct ve_names *nm, struct ve_input *in)
{
	nm->base = nm->n;
	ve_input_on_member(in, remember, nm);
}

void
ve_names_free(struct ve_names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	memset(nm, 0, sizeof *nm);
}
