#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "keyset.h"

#define KEYLEN 12
#define ENTRY  (KEYLEN + 8)
#define NSHARD 256

struct shard {
	unsigned char *slots; /* cap entries of ENTRY bytes; value 0 is empty */
	size_t cap;           /* a power of two */
	size_t count;
};

struct ve_keyset {
	struct shard shard[NSHARD];
	size_t count;
};

struct ve_keyset *
ve_keyset_new(void)
{
	return ve_xcalloc(1, sizeof(struct ve_keyset));
}

static uint64_t
load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The slot of digest (bytes 1..) in sh, or of the empty slot where it belongs. */
static unsigned char *
find(const struct shard *sh, const unsigned char *key)
{
	size_t mask = sh->cap - 1;
	size_t i = (size_t)load64(key) & mask;

	for (;;) {
		unsigned char *e = sh->slots + i * ENTRY;
		if (load64(e + KEYLEN) == 0 || memcmp(e, key, KEYLEN) == 0)
			return e;
		i = (i + 1) & mask;
	}
}

static void
grow(struct shard *sh)
{
	struct shard bigger = {0};

	bigger.cap = sh->cap ? sh->cap * 2 : 16;
	bigger.slots = ve_xcalloc(bigger.cap, ENTRY);
	for (size_t i = 0; i < sh->cap; i++) {
		unsigned char *e = sh->slots + i * ENTRY;
		if (load64(e + KEYLEN))
			memcpy(find(&bigger, e), e, ENTRY);
	}
	bigger.count = sh->count;
	free(sh->slots);
	*sh = bigger;
}

int
ve_keyset_put(struct ve_keyset *s, const unsigned char digest[32], uint64_t value, uint64_t *old)
{
	struct shard *sh = &s->shard[digest[0]];
	unsigned char *e;

	if ((sh->count + 1) * 4 > sh->cap * 3)
		grow(sh);
	e = find(sh, digest + 1);
	if (load64(e + KEYLEN)) {
		*old = load64(e + KEYLEN);
		return 0;
	}
	memcpy(e, digest + 1, KEYLEN);
	memcpy(e + KEYLEN, &value, 8);
	sh->count++;
	s->count++;
	return 1;
}

int
ve_keyset_get(const struct ve_keyset *s, const unsigned char digest[32], uint64_t *value)
{
	const struct shard *sh = &s->shard[digest[0]];
	unsigned char *e;

	if (!sh->cap)
		return 0;
	e = find(sh, digest + 1);
	if (!load64(e + KEYLEN))
		return 0;
	*value = load64(e + KEYLEN);
	return 1;
}

size_t
ve_keyset_count(const struct ve_keyset *s)
{
	return s->count;
}

size_t
ve_keyset_bytes(const struct ve_keyset *s)
{
	size_t n = sizeof *s;

	for (int i = 0; i < NSHARD; i++)
		n += s->shard[i].cap * ENTRY;
	return n;
}

void
ve_keyset_free(struct ve_keyset *s)
{
	if (!s)
		return;
	for (int i = 0; i < NSHARD; i++)
		free(s->shard[i].slots);
	free(s);
}
