/*
 * Fuzz target: one input file, any bytes (tests/fuzz/README.md).
 *
 * The bytes become a file (an anonymous memfd, named by its /proc path)
 * read through the record reader as a tool reads its operands, with
 * --skip-bad and --quiet: plain lines, gzip (inflated by lib/input.c),
 * zstd, xz and bzip2 streams and tar or zip archives by libarchive. It reads
 * to the end or to the first error status; nothing may crash or leak.
 *
 * A few hundred bytes of bzip2 can expand to millions of lines, each a
 * libjq parse under the sanitizers: seconds per input, then a "timeout" on
 * a loaded machine that says nothing about the code. So the target takes
 * the lines raw, as a fast-path tool does, parses and rejects them itself
 * (the reader's own parse is one call, the record target's subject), and
 * stops after MAX_LINES; lines are capped at 64 KiB (--max-line) for the
 * same reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "json.h"
#include "reader.h"

enum { MAX_LINES = 20000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int fd = -1;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; /* libFuzzer's fixed signature */
	(void)argv;
	fd = memfd_create("ve-fuzz-input", MFD_CLOEXEC);
	if (fd < 0) {
		perror("input: memfd_create");
		exit(1);
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ve_progname = "fuzz-input";
	return 0;
}

/* The file's contents become data[0..size); false if it cannot be written. */
static int
set_file(const uint8_t *data, size_t size)
{
	size_t at = 0;

	if (ftruncate(fd, 0) != 0)
		return -1;
	while (at < size) {
		ssize_t n = pwrite(fd, data + at, size - at, (off_t)at);
		if (n <= 0)
			return -1;
		at += (size_t)n;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ve_cli cli = {
	    .flags = VE_CLI_RECORDS, .quiet = true, .skip_bad = true, .max_line = 64 << 10};
	char *paths[] = {path};
	struct ve_rec rec;
	unsigned lines = 0;
	int rc;

	if (set_file(data, size) != 0) {
		perror("input: cannot write the memfd");
		abort();
	}
	struct ve_reader *r = ve_reader_new(paths, 1, &cli, VE_READ_RAW);
	while ((rc = ve_reader_next(r, &rec)) == 1 && ++lines < MAX_LINES) {
		jv v = ve_record_parse(rec.line.text, rec.line.len);
		if (jv_is_valid(v)) {
			jv_free(v);
			continue;
		}
		jv msg = jv_invalid_get_msg(v);
		rc = ve_reader_reject(r, &rec, jv_string_value(msg));
		jv_free(msg);
		if (rc)
			break;
	}
	if (rc == 1) /* MAX_LINES read: enough of this input */
		rc = 0;
	/* With --skip-bad the only ways to stop are the end, corrupt data (65), a read error (74).
	 */
	if (rc != 0 && rc != VE_EX_DATAERR && rc != VE_EX_IOERR) {
		fprintf(stderr, "input: the reader stopped with status %d\n", rc);
		abort();
	}
	if (ve_reader_free(r) != 0) {
		fprintf(stderr, "input: closing the reader failed\n");
		abort();
	}
	return 0;
}
