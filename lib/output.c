#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "output.h"

void
ve_out_init(void)
{
	static char buf[1 << 16];

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

static void
write_failed(void)
{
	int e = errno;

	/*
	 * exit() flushes the other streams (a --dups file keeps what it got);
	 * its second try at stdout fails quietly.
	 */
	if (e == EPIPE)
		exit(VE_EX_OK);
	ve_warn("write error: %s", strerror(e ? e : EIO));
	exit(VE_EX_IOERR);
}

void
ve_out_write(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		write_failed();
}

void
ve_out_line(const char *p, size_t n)
{
	ve_out_write(p, n);
	if (putchar('\n') == EOF)
		write_failed();
}

/* The index of the closing brace of an object line, or len if none. */
static size_t
closing_brace(const char *line, size_t len, int *empty)
{
	size_t end = len, i;

	while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t' || line[end - 1] == '\r' ||
	                   line[end - 1] == '\n'))
		end--;
	if (end == 0 || line[end - 1] != '}')
		return len;
	i = end - 1;
	while (i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t' || line[i - 1] == '\r' ||
	                 line[i - 1] == '\n'))
		i--;
	*empty = i > 0 && line[i - 1] == '{';
	return end - 1;
}

int
ve_fsplice(FILE *f, const char *line, size_t len, const char *fields, size_t flen)
{
	int empty = 0;
	size_t brace = flen ? closing_brace(line, len, &empty) : len;

	if (brace == len) {
		if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF)
			return -1;
		return 0;
	}
	if (fwrite(line, 1, brace, f) != brace || (!empty && putc(',', f) == EOF) ||
	    fwrite(fields, 1, flen, f) != flen || fputs("}\n", f) == EOF)
		return -1;
	return 0;
}

void
ve_out_splice(const char *line, size_t len, const char *fields, size_t flen)
{
	if (ve_fsplice(stdout, line, len, fields, flen) != 0)
		write_failed();
}

int
ve_out_close(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return VE_EX_OK;
		ve_warn("write error: %s", strerror(errno ? errno : EIO));
		return VE_EX_IOERR;
	}
	if (fclose(stdout) != 0 && errno != EPIPE) {
		ve_warn("write error: %s", strerror(errno));
		return VE_EX_IOERR;
	}
	return VE_EX_OK;
}

int
ve_out_finish(int rc)
{
	int rc2 = ve_out_close();

	return rc ? rc : rc2;
}

int
ve_fclose_checked(FILE *f, const char *name)
{
	int bad = fflush(f) != 0 || ferror(f);
	int e = errno;

	if (fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		ve_warn("%s: write error: %s", name, strerror(e ? e : EIO));
		return VE_EX_IOERR;
	}
	return VE_EX_OK;
}

void
ve_refuse_input_as_output(const char *opt, const char *path, char *const *inputs, int ninputs)
{
	struct stat out, in;

	if (!path || stat(path, &out) != 0)
		return;
	for (int i = 0; i < (ninputs ? ninputs : 1); i++) {
		const char *p = ninputs ? inputs[i] : "-";
		int r = strcmp(p, "-") == 0 ? fstat(STDIN_FILENO, &in) : stat(p, &in);
		if (r == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			ve_usage_error("%s: %s is also an input", opt, path);
	}
}
