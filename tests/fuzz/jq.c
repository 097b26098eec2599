/*
 * Fuzz target: a user's jq expression, any bytes up to the first NUL (a
 * command-line argument holds none), as --key, --field and the other
 * options of the tools give it to ve_jq_compile (tests/fuzz/README.md).
 *
 * ve_jq_compile exits 64 on an expression it refuses or libjq cannot
 * compile, which a fuzzer cannot survive. So this file includes lib/json.c
 * itself, to reach its static refused_builtin scan without changing the
 * library's interface, and calls ve_jq_compile only on expressions the
 * scan passes and libjq compiles. The scan must not crash and must name
 * only words of its list. And it must be sound for the refused functions:
 * the expression is compiled again after definitions that shadow each one
 * with a body naming an undefined variable. libjq 1.6 drops definitions
 * nothing calls, so the compile reports that variable exactly when the
 * expression reaches a refused function the scan let through; check_loc
 * does the same for $__loc__.
 */
#include "../../lib/json.c"

#include "jq-leak.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char shadow[] = "def input: $__ve_refused; def inputs: $__ve_refused; "
                             "def input_filename: $__ve_refused; "
                             "def input_line_number: $__ve_refused; "
                             "def debug: $__ve_refused; def stderr: $__ve_refused; "
                             "def halt: $__ve_refused; def halt_error: $__ve_refused; "
                             "def halt_error(f): $__ve_refused; "
                             "def get_search_list: $__ve_refused; "
                             "def modulemeta: $__ve_refused; ";

/* What libjq's messages during one compile said. */
struct verdict {
	const char *look_for;
	bool seen; /* a message held look_for */
};

static void
collect(void *data, jv msg)
{
	struct verdict *v = data;

	if (jv_get_kind(msg) == JV_KIND_STRING && strstr(jv_string_value(msg), v->look_for))
		v->seen = true;
	jv_free(msg);
}

/*
 * Whether libjq itself compiles program; *seen whether a message held
 * look_for. What libjq 1.6 leaks on some syntax errors (the value of a
 * string literal's mid-rule action, which its grammar drops) is freed by
 * the bookkeeping of jq-leak.h: this is the harness's call, not lib/json.c's.
 */
static bool
compiles(const char *program, const char *look_for, bool *seen)
{
	struct verdict v = {look_for, false};

	fuzz_track_start();
	jq_state *jq = jq_init();
	if (!jq) {
		fprintf(stderr, "jq: cannot initialise libjq\n");
		abort();
	}
	jq_set_error_cb(jq, collect, &v);
	bool ok = jq_compile(jq, program) != 0;
	jq_teardown(&jq);
	fuzz_track_free_rest(NULL, NULL);
	*seen = v.seen;
	return ok;
}

/* What refused_builtin returned is one of its words. */
static void
check_word(const char *expr, const char *w)
{
	if (!w)
		return;
	for (const char *const *r = refused; *r; r++)
		if (*r == w)
			return;
	fprintf(stderr, "jq: refused_builtin returned \"%s\" for: %s\n", w, expr);
	abort();
}

/*
 * $__loc__ is no function to shadow, but a keyword: renamed $__LOC__ it is
 * an undefined variable, and nothing else the text can hold (a string, a
 * comment, a field or key __loc__) fails to compile for the renaming. So a
 * compiling expression that no longer compiles, for that variable, reads
 * $__loc__, which the scan must have refused.
 */
static void
check_loc(const char *expr)
{
	struct ve_buf renamed = {0};
	const char *p = expr, *q;
	bool seen;

	if (!strstr(expr, "__loc__") || strstr(expr, "__LOC__"))
		return;
	while ((q = strstr(p, "__loc__"))) {
		ve_buf_add(&renamed, p, (size_t)(q - p));
		ve_buf_adds(&renamed, "__LOC__");
		p = q + strlen("__loc__");
	}
	ve_buf_adds(&renamed, p);
	if (!compiles(renamed.p, "$__LOC__ is not defined", &seen) && seen) {
		fprintf(stderr, "jq: $__loc__ passed the scan: %s\n", expr);
		abort();
	}
	ve_buf_free(&renamed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expr = ve_xmalloc(size + 1);
	struct ve_buf shadowed = {0};
	bool seen;

	memcpy(expr, data, size);
	expr[size] = '\0';
	const char *w = refused_builtin(expr);
	check_word(expr, w);
	/* The oracle's variable named in the text would be echoed in a message. */
	if (w || strstr(expr, "__ve_refused"))
		goto out; /* a refused word: ve_jq_compile would exit 64, as it should */
	ve_buf_adds(&shadowed, shadow);
	ve_buf_adds(&shadowed, expr);
	bool ok = compiles(shadowed.p, "$__ve_refused is not defined", &seen);
	if (!ok && seen) {
		fprintf(stderr, "jq: a refused function passed the scan: %s\n", expr);
		abort();
	}
	/* Not compiling after the definitions, it may still compile alone (a module directive). */
	if (ok || compiles(expr, "", &seen)) {
		check_loc(expr);
		ve_jq_free(ve_jq_compile("--fuzz", expr));
	}
out:
	ve_buf_free(&shadowed);
	free(expr);
	return 0;
}
