/*
 * Fuzz target: a Server-Sent Events stream, any bytes (tests/fuzz/README.md).
 *
 * The stream is fed to ve_sse_feed whole, then again in pieces whose sizes
 * come from its first bytes (empty feeds included): the events delivered
 * must be the same both ways, and the same as a plain reading of the
 * stream line by line (lib/sse.h's rules, written again here without
 * incremental state). Each event's data must be NUL-terminated. The
 * callback may stop the feed after a number of events also taken from the
 * input; all three readings must stop at the same event.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The events seen, each as its length in decimal, ':', its bytes. */
struct events {
	struct ve_buf all;
	unsigned n, stop_after; /* 0: never stop */
};

static int
on_event(void *ctx, const char *p, size_t n)
{
	struct events *e = ctx;

	if (p[n] != '\0') {
		fprintf(stderr, "sse: event data not NUL-terminated\n");
		abort();
	}
	ve_buf_addf(&e->all, "%zu:", n);
	ve_buf_add(&e->all, p, n);
	return ++e->n == e->stop_after;
}

/* Piece sizes 0..16 cycling over the first 16 bytes; a 0 is an empty feed. */
static void
feed_split(const uint8_t *data, size_t size, struct events *e)
{
	struct ve_sse s = {0};
	size_t m = size < 16 ? size : 16, at = 0;

	for (size_t i = 0; at < size; i++) {
		size_t n = data[i % m] % 17;
		if (n > size - at)
			n = size - at;
		if (ve_sse_feed(&s, (const char *)data + at, n, on_event, e))
			break;
		at += n;
		if (n == 0 && i % m == m - 1 && at < size) {
			/* A round of empty feeds only: go on a byte at a time. */
			if (ve_sse_feed(&s, (const char *)data + at, 1, on_event, e))
				break;
			at++;
		}
	}
	ve_sse_free(&s);
}

static void
feed_whole(const uint8_t *data, size_t size, struct events *e)
{
	struct ve_sse s = {0};

	ve_sse_feed(&s, (const char *)data, size, on_event, e);
	ve_sse_free(&s);
}

/*
 * The same rules over the whole buffer: lines end at LF, CR or CRLF; only
 * ended lines count; "data" fields join with LF; a blank line dispatches.
 */
static void
reference(const uint8_t *data, size_t size, struct events *e)
{
	const char *p = (const char *)data, *end = p + size;
	struct ve_buf ev = {0};
	bool has = false;

	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		if (eol == end)
			break;
		size_t n = (size_t)(eol - p);
		const char *next = eol + (*eol == '\r' && eol + 1 < end && eol[1] == '\n' ? 2 : 1);
		if (n == 0) {
			if (has && on_event(e, ev.p ? ev.p : "", ev.len))
				break;
			ve_buf_reset(&ev);
			has = false;
		} else if (n >= 4 && memcmp(p, "data", 4) == 0 && (n == 4 || p[4] == ':')) {
			const char *v = p + (n == 4 ? 4 : 5);
			if (v < eol && *v == ' ')
				v++;
			if (has)
				ve_buf_addc(&ev, '\n');
			ve_buf_add(&ev, v, (size_t)(eol - v));
			has = true;
		}
		p = next;
	}
	ve_buf_free(&ev);
}

static void
same(const char *what, const struct events *a, const struct events *b)
{
	if (a->n == b->n && a->all.len == b->all.len &&
	    (a->all.len == 0 || memcmp(a->all.p, b->all.p, a->all.len) == 0))
		return;
	fprintf(stderr, "sse: %s: %u events [%s] against %u [%s]\n", what, a->n,
	        a->all.p ? a->all.p : "", b->n, b->all.p ? b->all.p : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned stop = size ? data[size - 1] % 4 : 0;
	struct events whole = {.stop_after = stop}, split = {.stop_after = stop},
	              ref = {.stop_after = stop};

	feed_whole(data, size, &whole);
	feed_split(data, size, &split);
	reference(data, size, &ref);
	same("whole and split feeds differ", &whole, &split);
	same("whole feed and a line-by-line reading differ", &whole, &ref);
	ve_buf_free(&whole.all);
	ve_buf_free(&split.all);
	ve_buf_free(&ref.all);
	return 0;
}
