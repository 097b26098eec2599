/*
 * Linked into every fuzz target (tests/fuzz/README.md): frees what libjq
 * 1.6's JSON parser leaks itself, so that LeakSanitizer still sees every
 * leak of ours.
 *
 * jq 1.6's parser (src/jv_parse.c, value()) returns "Expected separator
 * between values" when a value follows another without a comma or colon,
 * as in {"a":1"x"}, and drops the new value without freeing it: the string
 * "x" leaks, whoever called the parser. (jq 1.7 frees it.)
 *
 * A suppressions entry cannot single that leak out: its allocation stack
 * (jv_string_sized under jv_parser_next under jv_parse_sized) is the stack
 * of every string of every record the parser returns, so suppressing it
 * would also hide any record lib/ forgets to free. Nor can leak detection
 * be switched off around such parses: libFuzzer checks every input that
 * allocates more than it frees, at milliseconds each, and gives up
 * checking after a thousand.
 *
 * So this definition of jv_parse_sized, which the targets' calls bind to,
 * records the blocks allocated during the real parse and not freed by its
 * end. When the parse fails, the caller gets only the error (an invalid jv
 * and its message string): every other block still live is one nobody can
 * reach, and is freed here. A valid record is left alone, all of it the
 * caller's to free. Were a block freed here still in use, AddressSanitizer
 * would report the use after free.
 *
 * The jq target's own calls of libjq's compiler (not lib/json.c's) go
 * through the same bookkeeping (jq-leak.h), for jq 1.6 leaks on some
 * syntax errors in its parser as well.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jv.h>
#include <sanitizer/allocator_interface.h>

#include "jq-leak.h"

typedef jv parse_fn(const char *, int);

/* The blocks live since tracking began: an open-addressing set of pointers. */
static struct {
	uintptr_t *slot; /* 0 empty, 1 deleted */
	size_t cap, used;
} live;
/*
 * Tracking, and inside the set's own allocation. Per thread: libFuzzer's
 * own threads (its RSS watch) allocate too, and their blocks are not ours
 * to free.
 */
static _Thread_local bool tracking, busy;

static size_t
slot_of(uintptr_t p)
{
	return (size_t)((p >> 4) * 0x9e3779b97f4a7c15ULL) & (live.cap - 1);
}

static void
set_put(uintptr_t p)
{
	size_t i = slot_of(p);

	while (live.slot[i] > 1)
		i = (i + 1) & (live.cap - 1);
	live.slot[i] = p;
	live.used++;
}

/* Keeps the set under half full; calloc and free here are not tracked. */
static void
set_grow(void)
{
	uintptr_t *old = live.slot;
	size_t n = live.cap;

	busy = true;
	live.cap = n ? n * 2 : 1024;
	live.slot = calloc(live.cap, sizeof *live.slot);
	if (!live.slot) {
		fprintf(stderr, "fuzz: out of memory\n");
		abort();
	}
	live.used = 0;
	for (size_t i = 0; i < n; i++)
		if (old[i] > 1)
			set_put(old[i]);
	free(old);
	busy = false;
}

static void
on_malloc(const volatile void *p, size_t n)
{
	(void)n;
	if (!tracking || busy)
		return;
	if (2 * (live.used + 1) > live.cap)
		set_grow();
	set_put((uintptr_t)p);
}

static void
on_free(const volatile void *p)
{
	if (!tracking || busy || !live.cap)
		return;
	for (size_t i = slot_of((uintptr_t)p); live.slot[i]; i = (i + 1) & (live.cap - 1))
		if (live.slot[i] == (uintptr_t)p) {
			live.slot[i] = 1; /* the slots after it stay reachable */
			return;
		}
}

void
fuzz_track_start(void)
{
	static bool hooked;

	if (!hooked && !__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free)) {
		fprintf(stderr, "fuzz: cannot install malloc hooks\n");
		abort();
	}
	hooked = true;
	if (tracking) {
		fprintf(stderr, "fuzz: allocation tracking started twice\n");
		abort();
	}
	tracking = true;
}

/* Stops recording; frees each block still live but keep1 and keep2 if free_them. */
static void
track_stop(bool free_them, const void *keep1, const void *keep2)
{
	tracking = false;
	for (size_t i = 0; i < live.cap; i++) {
		uintptr_t p = live.slot[i];
		live.slot[i] = 0;
		if (free_them && p > 1 && p != (uintptr_t)keep1 && p != (uintptr_t)keep2)
			free((void *)p);
	}
	live.used = 0;
}

void
fuzz_track_free_rest(const void *keep1, const void *keep2)
{
	track_stop(true, keep1, keep2);
}

jv
jv_parse_sized(const char *text, int len)
{
	static parse_fn *parse;

	if (!parse && !(parse = (parse_fn *)dlsym(RTLD_NEXT, "jv_parse_sized"))) {
		fprintf(stderr, "fuzz: libjq's jv_parse_sized not found\n");
		abort();
	}
	/* Within the jq target's compile, whose own bookkeeping covers the parse. */
	if (tracking)
		return parse(text, len);
	fuzz_track_start();
	jv v = parse(text, len);
	if (jv_is_valid(v)) {
		track_stop(false, NULL, NULL); /* all of it the caller's */
		return v;
	}
	/* The error's own two blocks: the invalid value and its message. */
	jv msg = jv_invalid_get_msg(jv_copy(v));
	fuzz_track_free_rest(v.u.ptr, jv_get_kind(msg) == JV_KIND_STRING ? msg.u.ptr : NULL);
	jv_free(msg);
	return v;
}
