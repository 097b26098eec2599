#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

const char *ve_progname = "vllm-eval";

void
ve_setprogname(char **argv)
{
	char *slash = strrchr(argv[0], '/');

	if (slash)
		argv[0] = slash + 1;
	ve_progname = argv[0];
}

void
ve_vwarn(const char *fmt, va_list ap)
{
	int e = errno;
	size_t n = strlen(fmt);

	fprintf(stderr, "%s: ", ve_progname);
	vfprintf(stderr, fmt, ap);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(e));
	fputc('\n', stderr);
}

void
ve_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ve_vwarn(fmt, ap);
	va_end(ap);
}

noreturn void
ve_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ve_vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

noreturn void
ve_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ve_vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", ve_progname);
	exit(VE_EX_USAGE);
}

noreturn void
ve_print_version(void)
{
	printf("%s %s (vllm-eval)\n", ve_progname, VE_VERSION);
	exit(fflush(stdout) == 0 && !ferror(stdout) ? VE_EX_OK : VE_EX_IOERR);
}

FILE *
ve_open_output(const char *opt, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		ve_die(VE_EX_CANTCREAT, "%s: %s:", opt, path);
	return f;
}

static noreturn void
oom(size_t n)
{
	ve_die(VE_EX_SOFTWARE, "out of memory (%zu bytes)", n);
}

void *
ve_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *
ve_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *
ve_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *
ve_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(ve_xmalloc(n), s, n);
}
