#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "http.h" /* VE_BACKOFF_CAP; nothing of http.c is linked from here */
#include "num.h"

/* Values no tool uses for its own options (tools count up from 256). */
enum {
	CLI_VERSION = 0x10000,
	CLI_SKIP_BAD,
	CLI_REJECTS,
	CLI_PROGRESS,
	CLI_MAX_LINE,
	CLI_RETRIES,
	CLI_ATTEMPTS,
	CLI_TIMEOUT,
	CLI_BACKOFF,
	CLI_MAX_WAIT,
	CLI_MAX_BODY,
	CLI_INSECURE,
	CLI_URL,
	CLI_USER,
	CLI_PASSWORD_FILE,
};

struct common {
	struct option opt;
	unsigned flag; /* 0: always taken */
	const char *help;
};

static const struct common commons[] = {
    {{"url", required_argument, NULL, CLI_URL},
     VE_CLI_CLICKHOUSE,
     "ClickHouse HTTP interface (default CLICKHOUSE_URL)"},
    {{"user", required_argument, NULL, CLI_USER},
     VE_CLI_CLICKHOUSE,
     "user (default CLICKHOUSE_USER)"},
    {{"password-file", required_argument, NULL, CLI_PASSWORD_FILE},
     VE_CLI_CLICKHOUSE,
     "password in FILE (default CLICKHOUSE_PASSWORD)"},
    {{"retries", required_argument, NULL, CLI_RETRIES},
     VE_CLI_NETWORK,
     "retries after the first try"},
    {{"attempts", required_argument, NULL, CLI_ATTEMPTS},
     VE_CLI_NETWORK,
     "tries in all: --retries N-1 (older spelling)"},
    {{"timeout", required_argument, NULL, CLI_TIMEOUT}, VE_CLI_NETWORK, "seconds per try"},
    {{"backoff", required_argument, NULL, CLI_BACKOFF},
     VE_CLI_NETWORK,
     "backoff base: doubling, full jitter"},
    {{"max-wait", required_argument, NULL, CLI_MAX_WAIT},
     VE_CLI_NETWORK,
     "longest wait between tries"},
    {{"max-body", required_argument, NULL, CLI_MAX_BODY},
     VE_CLI_NETWORK,
     "refuse an answer over BYTES (k, M, G; default 64M)"},
    {{"insecure", no_argument, NULL, CLI_INSECURE},
     VE_CLI_NETWORK,
     "do not verify TLS certificates"},
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

/* One option of the network group; the ranges every network tool shares. */
static void
take_net(struct ve_cli_net *n, int c, const char *arg)
{
	switch (c) {
	case CLI_RETRIES: n->retries = ve_opt_long("--retries", arg, 0, 100); break;
	case CLI_ATTEMPTS: n->retries = ve_opt_long("--attempts", arg, 1, 101) - 1; break;
	/* 0 would be curl's "no limit": every try has a bound. */
	case CLI_TIMEOUT: n->timeout = ve_opt_double("--timeout", arg, 0.001, 86400); break;
	case CLI_BACKOFF: n->backoff = ve_opt_double("--backoff", arg, 0, 3600); break;
	case CLI_MAX_WAIT: n->max_wait = ve_opt_double("--max-wait", arg, 0, 3600); break;
	case CLI_MAX_BODY: n->max_body = ve_opt_size("--max-body", arg); break;
	}
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
		case CLI_URL: cli->ch.url = optarg; break;
		case CLI_USER: cli->ch.user = optarg; break;
		case CLI_PASSWORD_FILE: cli->ch.password_file = optarg; break;
		case CLI_INSECURE: cli->net.insecure = true; break;
		default:
			if (c >= CLI_RETRIES && c <= CLI_MAX_BODY) {
				take_net(&cli->net, c, optarg);
				break;
			}
			return c;
		case '?':
		case ':':
			fprintf(stderr, "Try '%s --help' for more information.\n", ve_progname);
			exit(VE_EX_USAGE);
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

		if ((c->flag && !(flags & c->flag)) ||
		    (c->flag & (VE_CLI_NETWORK | VE_CLI_CLICKHOUSE)))
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

/* The default a network option's help line ends with ("" for none). */
static void
net_default(int val, const struct ve_cli_net *d, char *out, size_t n)
{
	switch (val) {
	case CLI_RETRIES: snprintf(out, n, " (default %ld)", d->retries); break;
	case CLI_TIMEOUT: snprintf(out, n, " (default %g)", d->timeout); break;
	case CLI_BACKOFF: snprintf(out, n, " (default %g)", d->backoff); break;
	case CLI_MAX_WAIT:
		if (d->max_wait < 0)
			snprintf(out, n, " (default min(timeout, %g))", VE_BACKOFF_CAP);
		else
			snprintf(out, n, " (default %g)", d->max_wait);
		break;
	default: out[0] = '\0';
	}
}

void
ve_cli_help_net(FILE *f, unsigned flags, const struct ve_cli_net *defaults, int width)
{
	static const char *const args[] = {
	    [CLI_RETRIES - CLI_RETRIES] = " N",  [CLI_ATTEMPTS - CLI_RETRIES] = " N",
	    [CLI_TIMEOUT - CLI_RETRIES] = " S",  [CLI_BACKOFF - CLI_RETRIES] = " S",
	    [CLI_MAX_WAIT - CLI_RETRIES] = " S", [CLI_MAX_BODY - CLI_RETRIES] = " BYTES",
	    [CLI_INSECURE - CLI_RETRIES] = "",   [CLI_URL - CLI_RETRIES] = " URL",
	    [CLI_USER - CLI_RETRIES] = " USER",  [CLI_PASSWORD_FILE - CLI_RETRIES] = " FILE",
	};

	for (size_t i = 0; i < NCOMMON; i++) {
		const struct common *c = &commons[i];
		char name[64], dflt[64];

		if (!(c->flag & (VE_CLI_NETWORK | VE_CLI_CLICKHOUSE)) || !(flags & c->flag))
			continue;
		snprintf(name, sizeof name, "    --%s%s", c->opt.name,
		         args[c->opt.val - CLI_RETRIES]);
		net_default(c->opt.val, defaults, dflt, sizeof dflt);
		fprintf(f, "  %-*s%s%s\n", width - 2, name, c->help, dflt);
	}
}
