/*
 * The reference for ds-hash's speed: libjq's bare parse of each line of a
 * JSONL file (read in 64 KiB blocks, split on '\n', jv_parse_sized, jv_free),
 * with nothing else done. Prints the number of records parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jv.h>

int
main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long records = 0;

	if (!f) {
		perror(argv[1]);
		return 66;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		jv v = jv_parse_sized(line, (int)n);
		records += jv_is_valid(v);
		jv_free(v);
	}
	free(line);
	printf("%lu\n", records);
	return 0;
}
