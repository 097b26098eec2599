/*
 * Hashing strings, and an index that finds the entries of a caller's array
 * by their hash.
 *
 * The index owns only its slots: the entries and their keys stay in the
 * caller's array, and the caller says, through a callback, whether the
 * entry at a position is the one looked for. Positions must stay valid for
 * the life of the index (entries are appended, never moved or removed).
 * FNV-1a is not seeded: fine for records' own keys, not for keys chosen to
 * collide.
 */
#ifndef VE_HASH_H
#define VE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FNV-1a, 64 bits: the start value, then the hash of n more bytes from h. */
#define VE_HASH_INIT 1469598103934665603ULL
uint64_t ve_hash_bytes(uint64_t h, const void *p, size_t n);
/* FNV-1a of s up to its NUL: ve_hash_bytes(VE_HASH_INIT, s, strlen(s)). */
uint64_t ve_hash_str(const char *s);

/* Open addressing with linear probing, never more than half full. Zero it to start. */
struct ve_index_slot;
struct ve_index {
	struct ve_index_slot *slot;
	size_t nslot; /* 0 or a power of two */
	size_t n;     /* entries */
};

#define VE_INDEX_NONE SIZE_MAX

/* Whether the caller's entry at pos is the one ctx describes. */
typedef bool ve_index_is_fn(const void *ctx, size_t pos);

/*
 * The position of the entry with hash h for which is(ctx, pos) holds, or
 * VE_INDEX_NONE. is is called only on entries added with hash h.
 */
size_t ve_index_find(const struct ve_index *x, uint64_t h, ve_index_is_fn *is, const void *ctx);
/* Adds the entry at pos with hash h; the caller has made sure it is not there yet. */
void ve_index_add(struct ve_index *x, uint64_t h, size_t pos);
void ve_index_free(struct ve_index *x);

#endif
