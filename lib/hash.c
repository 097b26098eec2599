#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "hash.h"

/* A slot keeps its entry's hash, so that growing needs no callback. */
struct ve_index_slot {
	uint64_t hash;
	size_t pos; /* VE_INDEX_NONE: empty */
};

uint64_t
ve_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 1099511628211ULL;
	return h;
}

uint64_t
ve_hash_str(const char *s)
{
	return ve_hash_bytes(VE_HASH_INIT, s, strlen(s));
}

size_t
ve_index_find(const struct ve_index *x, uint64_t h, ve_index_is_fn *is, const void *ctx)
{
	size_t mask = x->nslot - 1;

	if (!x->nslot)
		return VE_INDEX_NONE;
	for (size_t i = (size_t)h & mask; x->slot[i].pos != VE_INDEX_NONE; i = (i + 1) & mask)
		if (x->slot[i].hash == h && is(ctx, x->slot[i].pos))
			return x->slot[i].pos;
	return VE_INDEX_NONE;
}

static void
put(struct ve_index_slot *slot, size_t nslot, uint64_t h, size_t pos)
{
	size_t i = (size_t)h & (nslot - 1);

	while (slot[i].pos != VE_INDEX_NONE)
		i = (i + 1) & (nslot - 1);
	slot[i].hash = h;
	slot[i].pos = pos;
}

void
ve_index_add(struct ve_index *x, uint64_t h, size_t pos)
{
	if (2 * (x->n + 1) > x->nslot) {
		size_t nslot = x->nslot ? 2 * x->nslot : 16;
		struct ve_index_slot *slot = ve_xcalloc(nslot, sizeof *slot);
		for (size_t i = 0; i < nslot; i++)
			slot[i].pos = VE_INDEX_NONE;
		for (size_t i = 0; i < x->nslot; i++)
			if (x->slot[i].pos != VE_INDEX_NONE)
				put(slot, nslot, x->slot[i].hash, x->slot[i].pos);
		free(x->slot);
		x->slot = slot;
		x->nslot = nslot;
	}
	put(x->slot, x->nslot, h, pos);
	x->n++;
}

void
ve_index_free(struct ve_index *x)
{
	free(x->slot);
	memset(x, 0, sizeof *x);
}
