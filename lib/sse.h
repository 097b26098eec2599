/*
 * An incremental parser for Server-Sent Events (the WHATWG event-stream
 * format), as OpenAI-compatible servers stream completions.
 *
 * Bytes are fed as they arrive, in pieces of any size. Lines end in "\n",
 * "\r\n" or "\r"; a line starting with ':' is a comment; "data:" lines (one
 * leading space after the colon dropped) are joined with '\n'; a blank line
 * ends the event, and an event with data is handed to the callback. Other
 * fields (event, id, retry) are ignored. An event not ended by a blank line
 * when the stream stops is incomplete and never delivered.
 */
#ifndef VE_SSE_H
#define VE_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Called once per complete event; data is NUL-terminated. Nonzero stops the feed. */
typedef int ve_sse_fn(void *ctx, const char *data, size_t len);

struct ve_sse {
	size_t max;         /* the most bytes one event may hold (lines and data); 0: no limit */
	struct ve_buf line; /* a line split across feeds */
	struct ve_buf data; /* the event being gathered */
	bool has_data;
	bool after_cr; /* the last byte fed was '\r': a '\n' next ends nothing */
};

/* What ve_sse_feed returns when an event grows past s->max; no callback returns it. */
#define VE_SSE_TOO_BIG (-0x5353)

/*
 * Feeds p[0..n); returns 0, the first nonzero value the callback returned,
 * or VE_SSE_TOO_BIG (the stream is then unusable: reset it).
 */
int ve_sse_feed(struct ve_sse *s, const char *p, size_t n, ve_sse_fn *fn, void *ctx);
/* Forgets any partial line or event, for a stream started again. */
void ve_sse_reset(struct ve_sse *s);
void ve_sse_free(struct ve_sse *s);

#endif
