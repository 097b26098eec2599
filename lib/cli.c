#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "num.h"

/* Values no tool uses for its own options (tools count up from 256). */
enum {
	CLI_VERSION = 0x10000,
	CLI_SKIP_BAD,
	CLI_REJECTS,
	CLI_PROGRESS,
	CLI_MAX_LINE,
};

struct common {
	struct option opt;
	unsigned flag; /* 0: always taken */
	const char *help;
};

static const struct common commons[] = {
    {{"skip-bad", no_argument, NULL, CLI_SKIP_BAD},
     VE_CLI_RECORDS,
     "skip malformed records, count them"},
    {{"rejects", required_argument, NULL, CLI_REJECTS},
     VE_CLI_RECORDS,
     "write skipped records to FILE (implies --skip-bad)"},
    {{"max-line", required_argument, NULL, CLI_MAX_LINE},
     VE_CLI_RECORDS,
     "refuse lines over BYTES (k, M, G; default 64M)"},
    {{"progress", no_argument, NULL, CLI_PROGRESS},
     VE_CLI_PROGRESS,
     "show progress even when stderr is not a terminal"},
    {{"verbose", no_argument, NULL, 'v'}, 0, "say more on stderr"},
    {{"quiet", no_argument, NULL, 'q'}, 0, "no warnings"},
    {{"help", no_argument, NULL, 'h'}, 0, "this help"},
    {{"version", no_argument, NULL, CLI_VERSION}, 0, "print the version"},
};

enum { NCOMMON = sizeof commons / sizeof commons[0], MAXOPTS = 128 };

static bool
tool_has(const struct option *longopts, const char *name)
{
	for (const struct option *o = longopts; o && o->name; o++)
		if (!strcmp(o->name, name))
			return true;
	return false;
}

/*
 * Writes into table the tool's entries followed by the common ones it takes
 * and does not define itself. getopt_long keeps no pointer into the table
 * between calls, so each call may build it afresh (no state outlives it).
 */
static void
merge(struct option *table, const struct option *longopts, unsigned flags)
{
	size_t n = 0;

	for (const struct option *o = longopts; o && o->name; o++) {
		if (n + NCOMMON + 1 >= MAXOPTS)
			ve_die(VE_EX_SOFTWARE, "too many options");
		table[n++] = *o;
	}
	for (size_t i = 0; i < NCOMMON; i++)
		if ((!commons[i].flag || (flags & commons[i].flag)) &&
		    !tool_has(longopts, commons[i].opt.name))
			table[n++] = commons[i].opt;
	memset(&table[n], 0, sizeof table[n]);
}

int
ve_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
          struct ve_cli *cli, ve_usage_fn *usage)
{
	struct option table[MAXOPTS];
	char letters[128];
	int c;

	if (snprintf(letters, sizeof letters, "%svqh", shortopts) >= (int)sizeof letters)
		ve_die(VE_EX_SOFTWARE, "too many short options");
	merge(table, longopts, cli->flags);
	for (;;) {
		c = getopt_long(argc, argv, letters, table, NULL);
		switch (c) {
		case 'v': cli->verbose++; break;
		case 'q': cli->quiet = true; break;
		case 'h':
			usage(stdout);
			exit(fflush(stdout) || ferror(stdout) ? VE_EX_IOERR : VE_EX_OK);
		case CLI_VERSION: ve_print_version();
		case CLI_SKIP_BAD: cli->skip_bad = true; break;
		case CLI_REJECTS:
			cli->rejects = optarg;
			cli->skip_bad = true;
			break;
		case CLI_PROGRESS: cli->progress = true; break;
		case CLI_MAX_LINE: cli->max_line = ve_opt_size("--max-line", optarg); break;
		case '?':
		case ':':
			fprintf(stderr, "Try '%s --help' for more information.\n", ve_progname);
			exit(VE_EX_USAGE);
		default: return c;
		}
	}
}

void
ve_cli_help(FILE *f, unsigned flags, int width)
{
	for (size_t i = 0; i < NCOMMON; i++) {
		const struct common *c = &commons[i];
		char name[64];
		char letter = (char)(c->opt.val < 256 ? c->opt.val : 0);

		if (c->flag && !(flags & c->flag))
			continue;
		if (letter)
			snprintf(name, sizeof name, "-%c, --%s", letter, c->opt.name);
		else
			snprintf(name, sizeof name, "    --%s%s", c->opt.name,
			         !c->opt.has_arg              ? ""
			         : c->opt.val == CLI_MAX_LINE ? " BYTES"
			                                      : " FILE");
		fprintf(f, "  %-*s%s\n", width - 2, name, c->help);
	}
}
