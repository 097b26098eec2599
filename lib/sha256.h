/* SHA-256 through OpenSSL's libcrypto, with the digest fetched once. */
#ifndef VE_SHA256_H
#define VE_SHA256_H

#include <stddef.h>

#define VE_SHA256_LEN 32

struct ve_sha256;

struct ve_sha256 *ve_sha256_new(void);
void ve_sha256_init(struct ve_sha256 *h);
void ve_sha256_update(struct ve_sha256 *h, const void *p, size_t n);
void ve_sha256_final(struct ve_sha256 *h, unsigned char out[VE_SHA256_LEN]);
/* One-shot digest of p[0..n) with a context the caller keeps. */
void ve_sha256(struct ve_sha256 *h, const void *p, size_t n, unsigned char out[VE_SHA256_LEN]);
void ve_sha256_free(struct ve_sha256 *h);
/* Writes 64 lowercase hex digits and a NUL. */
void ve_hex(const unsigned char *d, size_t n, char *out);

#endif
