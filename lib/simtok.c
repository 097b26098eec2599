#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "array.h"
#include "buf.h"
#include "simtok.h"

/*
 * Decodes one code point at s[0..n); returns its length in bytes, or 0 when
 * the bytes there are not valid UTF-8 (the caller then takes one byte).
 */
static int
cp_at(const char *s, size_t n, int32_t *cp)
{
	/* ASCII, most of a prompt, as utf8proc_iterate reads it, without the call. */
	if (n && (unsigned char)s[0] < 0x80) {
		*cp = (unsigned char)s[0];
		return 1;
	}
	utf8proc_int32_t c;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &c);

	if (k <= 0)
		return 0;
	*cp = c;
	return (int)k;
}

static bool
is_word(int32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO: return true;
	default: return false;
	}
}

/* Appends token id (len bytes at off, cp code points in) to t, or only counts it past keep_max. */
static void
append(struct ve_toks *t, uint32_t id, uint32_t off, uint32_t len, uint32_t cp)
{
	if (t->keep_max && t->n >= t->keep_max) {
		t->n++;
		return;
	}
	t->v = ve_grow(t->v, &t->cap, t->n + 1, sizeof *t->v);
	t->v[t->n++] = (struct ve_tok){id, off, len, cp};
}

static void
push(struct ve_toks *t, const unsigned char *b, int len, int32_t cp4, uint32_t off, uint32_t cp)
{
	uint32_t id;

	if (len == 1)
		id = b[0];
	else if (len == 2)
		id = 256u + ((uint32_t)b[0] << 8 | b[1]);
	else if (len == 3)
		id = 65792u + ((uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2]);
	else
		id = 16843008u + (uint32_t)(cp4 - 0x10000);
	append(t, id, off, (uint32_t)len, cp);
}

/* Cuts the piece s[a..b) into chunks of at most three bytes at code-point boundaries. */
static void
chunk(const char *s, size_t a, size_t b, uint32_t base_off, uint32_t *cpn, struct ve_toks *t)
{
	while (a < b) {
		int32_t c = 0;
		int k = cp_at(s + a, b - a, &c);
		if (k == 0)
			k = 1;
		if (k == 4) {
			push(t, (const unsigned char *)s + a, 4, c, base_off + (uint32_t)a, *cpn);
			a += 4;
			(*cpn)++;
			continue;
		}
		size_t start = a;
		uint32_t cp0 = *cpn;
		size_t len = (size_t)k;
		a += (size_t)k;
		(*cpn)++;
		while (a < b) {
			int j = cp_at(s + a, b - a, &c);
			if (j == 0)
				j = 1;
			if (j == 4 || len + (size_t)j > 3)
				break;
			len += (size_t)j;
			a += (size_t)j;
			(*cpn)++;
		}
		push(t, (const unsigned char *)s + start, (int)len, 0, base_off + (uint32_t)start,
		     cp0);
	}
}

void
ve_tok_encode(const char *s, size_t n, uint32_t base_off, uint32_t base_cp, struct ve_toks *t)
{
	size_t i = 0, eos_len = strlen(VE_TOK_EOS_TEXT);
	uint32_t cpn = base_cp;

	while (i < n) {
		/* The special token's text is its one token, as a real tokenizer splits it out
		 * first. */
		if (s[i] == '<' && n - i >= eos_len &&
		    memcmp(s + i, VE_TOK_EOS_TEXT, eos_len) == 0) {
			append(t, VE_TOK_EOS, base_off + (uint32_t)i, (uint32_t)eos_len, cpn);
			i += eos_len;
			cpn += (uint32_t)eos_len;
			continue;
		}
		int32_t c = 0;
		int k = cp_at(s + i, n - i, &c);
		size_t start = i;
		if (k == 0) {
			chunk(s, i, i + 1, base_off, &cpn, t);
			i++;
			continue;
		}
		bool word = is_word(c);
		if (!word && c == ' ' && i + 1 < n) {
			int32_t d = 0;
			int j = cp_at(s + i + 1, n - i - 1, &d);
			word = j > 0 && is_word(d);
		}
		i += (size_t)k;
		if (word) {
			while (i < n) {
				int j = cp_at(s + i, n - i, &c);
				if (j == 0 || !is_word(c))
					break;
				i += (size_t)j;
			}
		}
		chunk(s, start, i, base_off, &cpn, t);
	}
}

int
ve_tok_bytes(uint32_t id, unsigned char out[4])
{
	if (id < 256) {
		out[0] = (unsigned char)id;
		return 1;
	}
	if (id < 65792) {
		uint32_t v = id - 256;
		out[0] = (unsigned char)(v >> 8);
		out[1] = (unsigned char)v;
		return 2;
	}
	if (id < 16843008) {
		uint32_t v = id - 65792;
		out[0] = (unsigned char)(v >> 16);
		out[1] = (unsigned char)(v >> 8);
		out[2] = (unsigned char)v;
		return 3;
	}
	if (id < VE_TOK_VOCAB) {
		uint32_t c = id - 16843008 + 0x10000;
		out[0] = (unsigned char)(0xf0 | c >> 18);
		out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		out[3] = (unsigned char)(0x80 | (c & 0x3f));
		return 4;
	}
	return 0;
}

size_t
ve_utf8_sanitize(struct ve_buf *b, const char *p, size_t n)
{
	size_t i = 0, cps = 0;

	while (i < n) {
		int32_t c;
		int k = cp_at(p + i, n - i, &c);
		if (k == 0) {
			ve_buf_add(b, "\xef\xbf\xbd", 3);
			i++;
		} else {
			ve_buf_add(b, p + i, (size_t)k);
			i += (size_t)k;
		}
		cps++;
	}
	return cps;
}

void
ve_toks_free(struct ve_toks *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
