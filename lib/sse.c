#include <string.h>

#include "sse.h"

/* Handles one complete line (without its end); returns the callback's value. */
static int
sse_line(struct ve_sse *s, const char *p, size_t n, ve_sse_fn *fn, void *ctx)
{
	if (n == 0) {
		int r = 0;
		if (s->has_data)
			r = fn(ctx, s->data.p ? s->data.p : "", s->data.len);
		ve_buf_reset(&s->data);
		s->has_data = false;
		return r;
	}
	if (p[0] == ':')
		return 0;
	const char *colon = memchr(p, ':', n);
	size_t flen = colon ? (size_t)(colon - p) : n;
	if (flen != 4 || memcmp(p, "data", 4) != 0)
		return 0;
	const char *v = colon ? colon + 1 : p + n;
	size_t vlen = (size_t)(p + n - v);
	if (vlen && *v == ' ')
		v++, vlen--;
	if (s->has_data)
		ve_buf_addc(&s->data, '\n');
	ve_buf_add(&s->data, v, vlen);
	s->has_data = true;
	return 0;
}

int
ve_sse_feed(struct ve_sse *s, const char *p, size_t n, ve_sse_fn *fn, void *ctx)
{
	const char *end = p + n;
	int r;

	while (p < end) {
		if (s->after_cr) {
			s->after_cr = false;
			if (*p == '\n') {
				p++;
				continue;
			}
		}
		/* memchr twice, not a loop over the bytes: a line rarely holds a '\r' */
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *cr = memchr(p, '\r', (size_t)(eol - p));
		if (cr)
			eol = cr;
		if (s->max && s->line.len + s->data.len + (size_t)(eol - p) > s->max)
			return VE_SSE_TOO_BIG;
		if (eol == end) {
			ve_buf_add(&s->line, p, (size_t)(end - p));
			break;
		}
		if (s->line.len) {
			ve_buf_add(&s->line, p, (size_t)(eol - p));
			r = sse_line(s, s->line.p, s->line.len, fn, ctx);
			ve_buf_reset(&s->line);
		} else {
			r = sse_line(s, p, (size_t)(eol - p), fn, ctx);
		}
		s->after_cr = *eol == '\r';
		p = eol + 1;
		if (r)
			return r;
	}
	return 0;
}

void
ve_sse_reset(struct ve_sse *s)
{
	ve_buf_reset(&s->line);
	ve_buf_reset(&s->data);
	s->has_data = false;
	s->after_cr = false;
}

void
ve_sse_free(struct ve_sse *s)
{
	ve_buf_free(&s->line);
	ve_buf_free(&s->data);
	s->has_data = false;
	s->after_cr = false;
}
