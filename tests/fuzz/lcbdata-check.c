/*
 * lcbdata-check: ve_lcb_decode (lib/lcbdata.h) as a filter, for
 * tests/lcbdata.bats, which compares what it writes with what python3's
 * pickle, zlib and base64 made. No tool reads LiveCodeBench's compressed
 * tests yet; this program is how the bats tiers (plain, ASan, valgrind)
 * reach the decoder. It is built beside the tools and never installed.
 *
 * Reads lines from stdin, each a compressed string (its newline dropped),
 * and writes one line for each: the decoded text as a JSON string, or
 * "error: REASON". Exit status: 0 when every line decoded, 65 when one
 * did not, 74 when stdout could not be written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "buf.h"
#include "lcbdata.h"

int
main(void)
{
	struct ve_buf json = {0}, out = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		const char *why = ve_lcb_decode(line, (size_t)n, &json);
		ve_buf_reset(&out);
		if (why) {
			ve_buf_addf(&out, "error: %s", why);
			rc = 65;
		} else {
			ve_buf_add_json_str(&out, json.p ? json.p : "", json.len);
		}
		ve_buf_addc(&out, '\n');
		fwrite(out.p, 1, out.len, stdout);
	}
	free(line);
	ve_buf_free(&json);
	ve_buf_free(&out);
	if (fflush(stdout) || ferror(stdout) || fclose(stdout))
		return 74;
	return rc;
}
