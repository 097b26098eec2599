#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

void
ve_buf_grow(struct ve_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->p = ve_xrealloc(b->p, cap);
	b->cap = cap;
}

void
ve_buf_add(struct ve_buf *b, const void *p, size_t n)
{
	ve_buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
ve_buf_addc(struct ve_buf *b, char c)
{
	ve_buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
ve_buf_adds(struct ve_buf *b, const char *s)
{
	ve_buf_add(b, s, strlen(s));
}

void
ve_buf_addf(struct ve_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ve_die(VE_EX_SOFTWARE, "internal error: bad format '%s'", fmt);
	ve_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * Escapes as jq 1.6 prints strings: ", \ and the controls \b \f \n \r \t by
 * name, other C0 controls and DEL as \u00XX, everything else as it is.
 */
void
ve_buf_add_json_str(struct ve_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	ve_buf_grow(b, n + 2);
	ve_buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		ve_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
			u[4] = hex[c >> 4], u[5] = hex[c & 15];
			ve_buf_add(b, u, 6);
			continue;
		}
		ve_buf_adds(b, esc);
	}
	ve_buf_add(b, s + run, n - run);
	ve_buf_addc(b, '"');
}

void
ve_buf_reset(struct ve_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
ve_buf_free(struct ve_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

bool
ve_buf_read(struct ve_buf *b, FILE *f)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ve_buf_add(b, chunk, n);
	return !ferror(f);
}
