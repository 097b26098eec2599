/*
 * Growing an array that the caller owns (and frees) by doubling its
 * capacity: the one place that decides how arrays grow, so that no tool
 * writes the "if (n == cap) { cap = cap ? 2 * cap : 16; realloc }" dance
 * again. Byte buffers have their own, ve_buf (lib/buf.h).
 */
#ifndef VE_ARRAY_H
#define VE_ARRAY_H

#include <stddef.h>

/*
 * Makes room for need elements of size bytes in the array p of *cap
 * elements: when need exceeds *cap, doubles *cap (from 16 when 0) until it
 * holds need and reallocates. Returns the array, moved or not; the old
 * pointer is then dead. Elements past the old capacity are not
 * initialised. Exits 70 when out of memory or when the size overflows.
 *
 *	a->v = ve_grow(a->v, &a->cap, a->n + 1, sizeof *a->v);
 *	a->v[a->n++] = x;
 */
static inline void *ve_grow(void *p, size_t *cap, size_t need, size_t size);
/* What ve_grow calls when the array must grow; inline, the common case costs no call. */
void *ve_grow_to(void *p, size_t *cap, size_t need, size_t size);

static inline void *
ve_grow(void *p, size_t *cap, size_t need, size_t size)
{
	return need <= *cap ? p : ve_grow_to(p, cap, need, size);
}

#endif
