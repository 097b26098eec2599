#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "diag.h"
#include "norm.h"

bool
ve_norm_parse(const char *list, unsigned *flags)
{
	static const struct {
		const char *name;
		unsigned flag;
	} words[] = {
	    {"nfkc", VE_NORM_NFKC},
	    {"nfc", VE_NORM_NFC},
	    {"casefold", VE_NORM_CASEFOLD},
	    {"punct", VE_NORM_PUNCT},
	    {"space", VE_NORM_SPACE},
	    {"all", VE_NORM_NFKC | VE_NORM_CASEFOLD | VE_NORM_PUNCT | VE_NORM_SPACE},
	    {"none", 0},
	};
	const char *p = list;

	*flags = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		size_t i;
		for (i = 0; i < sizeof words / sizeof words[0]; i++)
			if (strlen(words[i].name) == n && strncmp(p, words[i].name, n) == 0)
				break;
		if (i == sizeof words / sizeof words[0])
			return false;
		*flags |= words[i].flag;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

static bool
is_space(utf8proc_int32_t c)
{
	if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x85 ||
	    c == 0x2028 || c == 0x2029)
		return true;
	return utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

static bool
is_punct(utf8proc_int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
	case UTF8PROC_CATEGORY_SM:
	case UTF8PROC_CATEGORY_SC:
	case UTF8PROC_CATEGORY_SK:
	case UTF8PROC_CATEGORY_SO: return true;
	default: return false;
	}
}

/*
 * ASCII text needs no tables: NFKC leaves it as it is, case folding is
 * tolower, and its P* and S* characters are exactly C's ispunct.
 */
static void
norm_ascii(const char *s, size_t len, unsigned flags, struct ve_buf *out)
{
	bool pending_space = false;
	size_t start = out->len;

	if (!(flags & (VE_NORM_CASEFOLD | VE_NORM_PUNCT | VE_NORM_SPACE))) {
		ve_buf_add(out, s, len);
		return;
	}
	ve_buf_grow(out, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((flags & VE_NORM_PUNCT) && ispunct(c))
			continue;
		if ((flags & VE_NORM_SPACE) && (c == ' ' || (c >= '\t' && c <= '\r'))) {
			pending_space = out->len > start;
			continue;
		}
		if (pending_space)
			out->p[out->len++] = ' ';
		pending_space = false;
		out->p[out->len++] = (char)((flags & VE_NORM_CASEFOLD) ? tolower(c) : c);
	}
	out->p[out->len] = '\0';
}

void
ve_norm(const char *s, size_t len, unsigned flags, struct ve_buf *out)
{
	utf8proc_uint8_t *mapped = NULL;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t n = (utf8proc_ssize_t)len;
	int opts = 0;
	size_t i8 = 0;

	while (i8 < len && (unsigned char)s[i8] < 0x80)
		i8++;
	if (i8 == len) {
		norm_ascii(s, len, flags, out);
		return;
	}
	if (flags & VE_NORM_NFKC)
		opts |= UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
	else if (flags & VE_NORM_NFC)
		opts |= UTF8PROC_STABLE | UTF8PROC_COMPOSE;
	if (flags & VE_NORM_CASEFOLD)
		opts |= UTF8PROC_CASEFOLD | (opts ? 0 : UTF8PROC_STABLE);
	if (opts) {
		n = utf8proc_map(p, n, &mapped, (utf8proc_option_t)opts);
		if (n < 0)
			ve_die(VE_EX_SOFTWARE, "utf8proc: %s", utf8proc_errmsg(n));
		p = mapped;
	}
	if (!(flags & (VE_NORM_PUNCT | VE_NORM_SPACE))) {
		ve_buf_add(out, p, (size_t)n);
		free(mapped);
		return;
	}
	/* One pass: drop punctuation, fold whitespace runs to one space, trim. */
	bool pending_space = false;
	size_t start_len = out->len;
	utf8proc_ssize_t i = 0;
	while (i < n) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, n - i, &c);
		if (k <= 0) {
			k = 1;
			c = 0xfffd;
		}
		if ((flags & VE_NORM_PUNCT) && is_punct(c)) {
			i += k;
			continue;
		}
		if ((flags & VE_NORM_SPACE) && is_space(c)) {
			pending_space = out->len > start_len;
			i += k;
			continue;
		}
		if (pending_space)
			ve_buf_addc(out, ' ');
		pending_space = false;
		ve_buf_add(out, p + i, (size_t)k);
		i += k;
	}
	free(mapped);
}
