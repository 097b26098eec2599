#include <stdlib.h>
#include <openssl/evp.h>

#include "diag.h"
#include "sha256.h"

struct ve_sha256 {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

struct ve_sha256 *
ve_sha256_new(void)
{
	struct ve_sha256 *h = ve_xcalloc(1, sizeof *h);

	/* An explicit fetch once: EVP_sha256() would fetch again on every init. */
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx)
		ve_die(VE_EX_SOFTWARE, "cannot set up SHA-256 (libcrypto)");
	return h;
}

void
ve_sha256_init(struct ve_sha256 *h)
{
	if (!EVP_DigestInit_ex(h->ctx, h->md, NULL))
		ve_die(VE_EX_SOFTWARE, "SHA-256 init failed (libcrypto)");
}

void
ve_sha256_update(struct ve_sha256 *h, const void *p, size_t n)
{
	if (!EVP_DigestUpdate(h->ctx, p, n))
		ve_die(VE_EX_SOFTWARE, "SHA-256 update failed (libcrypto)");
}

void
ve_sha256_final(struct ve_sha256 *h, unsigned char out[VE_SHA256_LEN])
{
	if (!EVP_DigestFinal_ex(h->ctx, out, NULL))
		ve_die(VE_EX_SOFTWARE, "SHA-256 final failed (libcrypto)");
}

void
ve_sha256(struct ve_sha256 *h, const void *p, size_t n, unsigned char out[VE_SHA256_LEN])
{
	ve_sha256_init(h);
	ve_sha256_update(h, p, n);
	ve_sha256_final(h, out);
}

void
ve_sha256_free(struct ve_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h);
}

void
ve_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}
