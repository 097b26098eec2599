/*
 * Line input over files, stdin, compressed streams and archive members.
 *
 * Inputs are the files named on the command line, or stdin when there are
 * none or the name is "-". libarchive reads each one, so gzip, zstd, xz and
 * bzip2 streams are decompressed and tar or zip archives yield the lines of
 * each regular member in turn. A line is returned without its '\n' (and
 * without a '\r' before it); a last line with no newline is still a line.
 *
 * Places are named "FILE:LINE", or "ARCHIVE:MEMBER:LINE" inside archives;
 * stdin is "<stdin>".
 */
#ifndef VE_INPUT_H
#define VE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ve_line {
	const char *text; /* not NUL-terminated; valid until the next call */
	size_t len;
	const char *name; /* the file or ARCHIVE:MEMBER; valid until the name changes */
	unsigned long long lineno;
	int source; /* counts files and members from 0, in reading order */
};

struct ve_input;

/* Called when a new file or member starts (also for empty ones). */
typedef void ve_member_fn(void *ctx, const char *name, int source);

/* Lines longer than this are refused unless a tool sets its own limit. */
#define VE_MAX_LINE_DEFAULT ((size_t)64 << 20)

struct ve_input *ve_input_new(char *const *paths, int npaths);
/*
 * A line longer than max bytes stops the input: "NAME:LINE: a line longer
 * than MAX bytes (see --max-line)", status 65. It is never held whole, so
 * a file with no newline (or a decompression bomb) costs at most max bytes.
 */
void ve_input_max_line(struct ve_input *in, size_t max);
void ve_input_on_member(struct ve_input *in, ve_member_fn *fn, void *ctx);
/* 1: a line; 0: end of all input; -1: an error, already reported (see ve_input_status). */
int ve_input_next(struct ve_input *in, struct ve_line *line);
/* The exit status an error calls for: 66 cannot open, 65 corrupt data, 74 read error. */
int ve_input_status(const struct ve_input *in);
/* Bytes read so far after decompression, for progress reports. */
unsigned long long ve_input_bytes(const struct ve_input *in);
void ve_input_free(struct ve_input *in);
/*
 * Whether a line holds nothing but JSON whitespace (space, tab, CR, LF):
 * such lines are skipped, not bad records. Looks only within line->len.
 */
bool ve_line_blank(const struct ve_line *line);

/*
 * The bad-record policy (vllm-eval(7), CONVENTIONS). By default the first bad
 * record stops the tool with exit 65 and "prog: FILE:LINE: reason". With
 * skip, bad records are counted and, with rejects, written there as they
 * came. Tools reach it through the record reader (reader.h).
 */
struct ve_bad {
	bool skip;
	FILE *rejects;
	const char *rejects_path;
	unsigned long long count;
	char *first; /* "FILE:LINE: reason" of the first one skipped */
};

/* Opens the rejects file if a path is set; exits 73 if it cannot. */
void ve_bad_open(struct ve_bad *bad, const char *rejects_path, bool skip);
/* Returns 0 when the record is skipped, else 65 after printing the error. */
int ve_bad_record(struct ve_bad *bad, const struct ve_line *line, const char *reason);
/* Reports the count (unless quiet) and closes rejects; returns 0 or 74. */
int ve_bad_close(struct ve_bad *bad, bool quiet);

#endif
