/* A growable byte buffer, always NUL-terminated after its contents. */
#ifndef VE_BUF_H
#define VE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ve_buf {
	char *p;
	size_t len;
	size_t cap;
};

void ve_buf_grow(struct ve_buf *b, size_t extra);
void ve_buf_add(struct ve_buf *b, const void *p, size_t n);
void ve_buf_addc(struct ve_buf *b, char c);
void ve_buf_adds(struct ve_buf *b, const char *s);
void ve_buf_addf(struct ve_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included (s must be valid UTF-8). */
void ve_buf_add_json_str(struct ve_buf *b, const char *s, size_t n);
void ve_buf_reset(struct ve_buf *b);
void ve_buf_free(struct ve_buf *b);
/* Appends what is left of f (a file read whole); false on a read error, errno set. */
bool ve_buf_read(struct ve_buf *b, FILE *f);

#endif
