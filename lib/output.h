/*
 * Checked output on stdout.
 *
 * Every write is checked. A closed pipe (EPIPE) is a quiet exit 0: the reader
 * went away on purpose (head, a failed consumer whose own status counts).
 * Any other write error is "prog: write error: REASON", exit 74.
 */
#ifndef VE_OUTPUT_H
#define VE_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* Ignores SIGPIPE and gives stdout a large buffer. Call once, early. */
void ve_out_init(void);
void ve_out_write(const void *p, size_t n);
/* Writes p[0..n) and a newline. */
void ve_out_line(const char *p, size_t n);
/*
 * Writes a JSON object line with fields spliced in before its closing brace:
 * line is one object (trailing whitespace allowed), fields is "\"k\":v,..."
 * without braces. An empty fields string writes the line unchanged.
 */
void ve_out_splice(const char *line, size_t len, const char *fields, size_t flen);
/* Same, into any stdio stream (a --dups or --rejects file); returns 0 or -1. */
int ve_fsplice(FILE *f, const char *line, size_t len, const char *fields, size_t flen);
/*
 * Exits 64 with "prog: OPT: PATH is also an input" when the output file
 * path is one of the inputs (the same device and inode; "-" is stdin), so
 * that opening it for writing cannot empty what is about to be read. Call
 * before opening any output. A path that does not exist yet is no input.
 */
void ve_refuse_input_as_output(const char *opt, const char *path, char *const *inputs, int ninputs);
/* Flushes and closes stdout; returns 0, or 74 after a message. */
int ve_out_close(void);
/*
 * The end of every tool's main: closes stdout (ve_out_close) and returns
 * rc, or when rc is 0 the close's status.
 */
int ve_out_finish(int rc);
/* Closes a stream written by the tool, naming it in the message; 0 or 74. */
int ve_fclose_checked(FILE *f, const char *name);

#endif
