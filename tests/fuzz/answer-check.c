/*
 * answer-check: reads answers as llm-query does (lib/answer.h), once with
 * the scanner (lib/scan.h) and once with libjq alone, for tests/answer.bats.
 * It is built beside the tools, so that every bats tier (plain, ASan,
 * valgrind) runs both ways, and never installed.
 *
 *   answer-check [--chat] [--events | --tokens [--drop-twin]]
 *                [--tokens-span CTX,ALL]... [--chars-span N]... FILE...
 *
 * Each FILE is one answer's body (--events: one stream event's data a line;
 * --tokens: a /tokenize answer, its ids as llm-query sends them back;
 * --drop-twin: without a first id equal to the second). A whole answer is scored for each span
 * given: --tokens-span by /tokenize's counts, --chars-span by text_offset
 * with a context of N code points. Writes what it read once when the two
 * ways agree; else both, as "scan: ..." and "libjq: ...", and exits 1.
 * Exit status 66 when a FILE cannot be read, 64 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer-desc.h"

static int
check(const char *path, const struct desc_opts *o)
{
	struct ve_buf text = {0}, a = {0}, b = {0};
	FILE *f = fopen(path, "rb");
	int rc = 0;

	if (!f || !ve_buf_read(&text, f)) {
		fprintf(stderr, "answer-check: %s: cannot read\n", path);
		if (f)
			fclose(f);
		ve_buf_free(&text);
		return 66;
	}
	fclose(f);
	describe(text.p ? text.p : "", text.len, o, true, &a);
	describe(text.p ? text.p : "", text.len, o, false, &b);
	if (a.len == b.len && memcmp(a.p, b.p, a.len) == 0) {
		printf("%s\n", a.p);
	} else {
		printf("scan: %s\nlibjq: %s\n", a.p, b.p);
		rc = 1;
	}
	ve_buf_free(&text);
	ve_buf_free(&a);
	ve_buf_free(&b);
	return rc;
}

int
main(int argc, char **argv)
{
	struct desc_opts o = {.mode = DESC_WHOLE, .api = VE_API_COMPLETIONS};
	int i = 1, rc = 0;
	long x, y;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--chat") == 0)
			o.api = VE_API_CHAT;
		else if (strcmp(argv[i], "--events") == 0)
			o.mode = DESC_EVENTS;
		else if (strcmp(argv[i], "--tokens") == 0)
			o.mode = DESC_TOKENS;
		else if (strcmp(argv[i], "--drop-twin") == 0)
			o.drop_twin = true;
		else if (i + 1 < argc && o.nspans < 4 && strcmp(argv[i], "--tokens-span") == 0 &&
		         sscanf(argv[i + 1], "%ld,%ld", &x, &y) == 2)
			o.spans[o.nspans++] = (struct ve_ll_span){true, x, y, 0}, i++;
		else if (i + 1 < argc && o.nspans < 4 && strcmp(argv[i], "--chars-span") == 0 &&
		         sscanf(argv[i + 1], "%ld", &x) == 1)
			o.spans[o.nspans++] = (struct ve_ll_span){false, 0, 0, x}, i++;
		else {
			fprintf(stderr, "answer-check: usage: answer-check [--chat] [--events | "
			                "--tokens [--drop-twin]] [--tokens-span CTX,ALL]... "
			                "[--chars-span N]... "
			                "FILE...\n");
			return 64;
		}
	}
	for (; i < argc; i++) {
		int r = check(argv[i], &o);
		if (r > rc)
			rc = r;
	}
	if (fflush(stdout) || ferror(stdout) || fclose(stdout))
		return 74;
	return rc;
}
