/*
 * A set of SHA-256 key digests, each with a 64-bit value (a record's place).
 *
 * Memory is what bounds dedup of large datasets, so an entry holds only 12
 * bytes of the digest after the shard byte (104 bits in all: a false match
 * among a billion keys has odds of about 1e-13) and its value: 20 bytes.
 * 256 shards grow one at a time, so a rehash never doubles the whole table.
 * At most 3/4 full, a key costs 27 to 54 bytes.
 */
#ifndef VE_KEYSET_H
#define VE_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct ve_keyset;

struct ve_keyset *ve_keyset_new(void);
/*
 * Adds digest with value (nonzero). Returns 1 if it was new; 0 if it was
 * there, with its stored value in *old.
 */
int ve_keyset_put(struct ve_keyset *s, const unsigned char digest[32], uint64_t value,
                  uint64_t *old);
/* 1 and the value if present, else 0. */
int ve_keyset_get(const struct ve_keyset *s, const unsigned char digest[32], uint64_t *value);
size_t ve_keyset_count(const struct ve_keyset *s);
size_t ve_keyset_bytes(const struct ve_keyset *s);
void ve_keyset_free(struct ve_keyset *s);

#endif
