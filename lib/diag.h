/*
 * Diagnostics and exit status shared by every tool.
 *
 * Messages go to stderr as "prog: message"; a format that ends in ':' gets
 * ": strerror(errno)" appended, as sbase's eprintf does. Exit codes are the
 * sysexits values vllm-eval(7) lists under EXIT STATUS; a tool returns one of
 * these from main.
 */
#ifndef VE_DIAG_H
#define VE_DIAG_H

#include <stdarg.h>
#include <stdio.h>
#include <stdnoreturn.h>

enum {
	VE_EX_OK = 0,
	VE_EX_NEGATIVE = 1, /* a predicate tool's "no" */
	VE_EX_USAGE = 64,
	VE_EX_DATAERR = 65,
	VE_EX_NOINPUT = 66,
	VE_EX_UNAVAILABLE = 69,
	VE_EX_SOFTWARE = 70,
	VE_EX_CANTCREAT = 73, /* an output file cannot be created */
	VE_EX_IOERR = 74,
	VE_EX_TEMPFAIL = 75,
};

/* The program name; the one mutable global of every tool. */
extern const char *ve_progname;

/*
 * Sets the program name from argv[0] without its directory, and makes
 * argv[0] that name so getopt's messages match ours under any wrapper.
 */
void ve_setprogname(char **argv);
void ve_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ve_vwarn(const char *fmt, va_list ap);
/* ve_warn, then exit(code) after flushing what stdout holds. */
noreturn void ve_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For the usage errors getopt and option checks find: message, hint, exit 64. */
noreturn void ve_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog VERSION (vllm-eval)" on stdout, exit 0. */
noreturn void ve_print_version(void);

/*
 * Opens path for writing as the output of option opt ("--dups"); when it
 * cannot be created: "prog: OPT: PATH: reason" and exit 73.
 */
FILE *ve_open_output(const char *opt, const char *path);

void *ve_xmalloc(size_t n);
void *ve_xcalloc(size_t n, size_t size);
void *ve_xrealloc(void *p, size_t n);
char *ve_xstrdup(const char *s);

#endif
