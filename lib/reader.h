/*
 * The record reader every tool's main loop is built on, in the spirit of
 * jq's jq_util_input_next_input: it hands out one record at a time with its
 * place (FILE:LINE), and applies the bad-record policy itself.
 *
 * Lines come from ve_input (files, stdin, compressed streams, archive
 * members). Blank lines are skipped. By default each line is parsed as one
 * JSON object (ve_record_parse); a line that is not one is a bad record:
 * without --skip-bad the tool stops with "prog: FILE:LINE: reason" and exit
 * 65; with it the record is counted, written to --rejects FILE as it came,
 * and passed over. Tools with a fast path that reads records straight from
 * their text ask for VE_READ_RAW and get the lines unparsed; they report
 * what they find bad through ve_reader_reject, under the same policy. Tools
 * that need the records valid but not their values ask for VE_READ_CHECKED.
 *
 * Ownership: rec->value belongs to the caller (free it, or pass it to a
 * consuming call); rec->line points into the reader's buffers and is valid
 * until the next ve_reader_next.
 */
#ifndef VE_READER_H
#define VE_READER_H

#include <jv.h>

#include "cli.h"
#include "input.h"

enum {
	VE_READ_RAW = 1 << 0, /* hand out lines unparsed; rec->value is jv_null() */
	/*
	 * hand out lines unparsed, as VE_READ_RAW, but only the records
	 * ve_record_parse accepts: a quick read of the grammar
	 * (ve_json_object_fast) says yes to most, libjq decides the rest, and a
	 * bad line goes through the policy with libjq's reason
	 */
	VE_READ_CHECKED = 1 << 1,
};

struct ve_rec {
	jv value;
	struct ve_line line; /* the text as it came, and its place */
};

struct ve_reader;

/*
 * Reads paths (stdin when npaths is 0) under the policy and progress the
 * common options in cli set. A --rejects file that cannot be created is
 * "prog: --rejects: FILE: reason", exit 73.
 */
struct ve_reader *ve_reader_new(char *const *paths, int npaths, const struct ve_cli *cli,
                                unsigned flags);
/*
 * A second set of inputs (a reference set, a history) read under the same
 * policy, counted and rejected into the same place as r. Free it before r.
 */
struct ve_reader *ve_reader_sibling(struct ve_reader *r, char *const *paths, int npaths,
                                    unsigned flags);
/*
 * 1: a record in rec; 0: the end of all input; otherwise the exit status to
 * stop with (65 a bad record, 66 an input that cannot be opened, 74 a read
 * error), its message already printed. At the end (or an error) the
 * progress line is ended, so what the tool prints next starts a line.
 */
int ve_reader_next(struct ve_reader *r, struct ve_rec *rec);
/*
 * The tool found the record it was handed bad for reason: 0 when the
 * policy skips it (go on to the next), else 65 after the message.
 */
int ve_reader_reject(struct ve_reader *r, const struct ve_rec *rec, const char *reason);
/*
 * A record found bad only after later ones were read (a group of records
 * still incomplete at the end of input), named by the place of its first
 * line: counted and reported as ve_reader_reject does, but not written to
 * --rejects, as its text is gone. 0 skipped / 65.
 */
int ve_reader_reject_gone(struct ve_reader *r, const char *name, unsigned long long lineno,
                          const char *reason);
/* The line source, for ve_input_on_member and byte counts. */
struct ve_input *ve_reader_input(struct ve_reader *r);
/* Bad records skipped so far (siblings share the count). */
unsigned long long ve_reader_skipped(const struct ve_reader *r);
/*
 * Ends progress output; for a reader made by ve_reader_new also reports
 * the skipped count (unless cli->quiet) and closes the rejects file.
 * Returns 0, or 74 when the rejects file could not be written. Frees r;
 * NULL is allowed.
 */
int ve_reader_free(struct ve_reader *r);

/*
 * What a tool does with one record (borrowed) in ve_reader_each: NULL, or
 * the reason the record is bad, a string that outlives the record.
 */
typedef const char *ve_take_fn(jv rec, void *ctx);
/*
 * The whole record loop: hands every record of r to take and rejects those
 * it finds bad under the policy. 0 at the end of input, else the exit
 * status to stop with (its message printed), as ve_reader_next.
 */
int ve_reader_each(struct ve_reader *r, ve_take_fn *take, void *ctx);

#endif
