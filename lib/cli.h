/*
 * The option skeleton every tool shares.
 *
 * A tool lists only its own options (short letters and a struct option
 * table); ve_getopt adds what every tool takes — -h/--help, --version,
 * -v/--verbose, -q/--quiet — and, when the flags ask, the bad-record options
 * (--skip-bad, --rejects FILE) and --progress. It handles those itself and
 * hands the tool's own options back one at a time, as getopt_long does. A
 * usage error (an unknown option, a missing argument) is getopt's message,
 * then "Try 'PROG --help' for more information." and exit 64.
 *
 * A tool that defines a long option with the name of a common one keeps its
 * own: the common entry is left out of the table.
 *
 * The network tools share two more groups: how a request is tried
 * (VE_CLI_NETWORK, into cli->net; ve_http_configure hands it to a client)
 * and where ClickHouse is (VE_CLI_CLICKHOUSE: --url, --user and
 * --password-file, the first two defaulting to CLICKHOUSE_URL and
 * CLICKHOUSE_USER once ve_cli_clickhouse of lib/clickhouse.h has checked them).
 */
#ifndef VE_CLI_H
#define VE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

enum {
	VE_CLI_RECORDS = 1 << 0,  /* --skip-bad, --rejects FILE, --max-line BYTES */
	VE_CLI_PROGRESS = 1 << 1, /* --progress */
	/* --retries N (alias --attempts N+1), --timeout S, --backoff S, --max-wait S,
	   --max-body BYTES, --insecure */
	VE_CLI_NETWORK = 1 << 2,
	VE_CLI_CLICKHOUSE = 1 << 3, /* --url URL, --user USER, --password-file FILE */
};

/* How a request is tried; the tool sets its defaults before ve_getopt. */
struct ve_cli_net {
	long retries;    /* retries after the first try, 0..100 */
	double timeout;  /* seconds per try, > 0: every try has a bound */
	double backoff;  /* the first backoff ceiling, seconds */
	double max_wait; /* the longest wait, Retry-After included; < 0: the lesser
	                    of timeout and VE_BACKOFF_CAP */
	size_t max_body; /* bytes an answer may have; 0: VE_MAX_BODY_DEFAULT */
	bool insecure;   /* do not verify TLS certificates */
};

/* Where ClickHouse is (VE_CLI_CLICKHOUSE). */
struct ve_cli_ch {
	const char *url;
	const char *user;
	const char *password_file;
};

/* What the common options set; the tool keeps it in its options struct. */
struct ve_cli {
	unsigned flags;
	int verbose;           /* -v, repeatable */
	bool quiet;            /* -q */
	bool progress;         /* --progress */
	bool skip_bad;         /* --skip-bad, or --rejects */
	const char *rejects;   /* --rejects FILE */
	size_t max_line;       /* --max-line BYTES; 0: VE_MAX_LINE_DEFAULT */
	struct ve_cli_net net; /* VE_CLI_NETWORK */
	struct ve_cli_ch ch;   /* VE_CLI_CLICKHOUSE */
};

/* Prints the tool's help on f (the whole screen, common options included). */
typedef void ve_usage_fn(FILE *f);

/*
 * getopt_long over the tool's options plus the common ones: returns the
 * tool's next option (its val), or -1 when the options end (optind is then
 * the first operand). cli->flags says which optional groups are taken; set
 * it before the first call. -h prints usage to stdout and exits 0 (74 if
 * stdout cannot be written); --version prints the version and exits 0.
 */
int ve_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
              struct ve_cli *cli, ve_usage_fn *usage);

/*
 * The help lines of the common options the flags select, in the tool's
 * --help: each option padded to width columns, then its description.
 */
void ve_cli_help(FILE *f, unsigned flags, int width);
/*
 * The help lines of the ClickHouse group (when flags has it) and of the
 * network group, with the tool's defaults.
 */
void ve_cli_help_net(FILE *f, unsigned flags, const struct ve_cli_net *defaults, int width);

#endif
