/*
 * Text normalisation with utf8proc, for keys that should match when the
 * text is "the same": NFKC (so NFC and NFD Hangul agree), case folding,
 * punctuation and symbol stripping (Unicode P* and S*, as Python's
 * string.punctuation strips + and $ too), whitespace collapse. In that order.
 */
#ifndef VE_NORM_H
#define VE_NORM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum {
	VE_NORM_NFKC = 1 << 0,
	VE_NORM_CASEFOLD = 1 << 1,
	VE_NORM_PUNCT = 1 << 2,
	VE_NORM_SPACE = 1 << 3,
	VE_NORM_NFC = 1 << 4,
};

/* Parses "nfkc,casefold,space,punct" (also "nfc", "all", "none"); false on an unknown word. */
bool ve_norm_parse(const char *list, unsigned *flags);
/* Appends the normalised form of valid UTF-8 s to out (with flags 0, s as it is). */
void ve_norm(const char *s, size_t len, unsigned flags, struct ve_buf *out);

#endif
