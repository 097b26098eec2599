/*
 * PCRE2 patterns, as score-mcq, score-gen and ds-anon use them: compiled
 * once with a message that says whose pattern failed, and walked match by
 * match over a subject.
 */
#ifndef VE_RE_H
#define VE_RE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

/*
 * Compiles the pattern re with flags; the caller frees it with
 * pcre2_code_free. A pattern that does not compile is, when opt names the
 * option it came from, a usage error ("prog: OPT: MESSAGE at offset N in
 * 'RE'", exit 64); with opt NULL it is built in, and its failure a bug
 * ("prog: built-in pattern 'RE': MESSAGE at offset N", exit 70).
 */
pcre2_code *ve_re_compile(const char *opt, const char *re, uint32_t flags);
/*
 * The next non-empty match of code in s[0..n) at or after *at (0 at the
 * start), with options for pcre2_match: true, its ovector in md and *at
 * moved past it; false when there is none. An empty match is stepped over
 * by a whole UTF-8 code point.
 */
bool ve_re_next(const pcre2_code *code, pcre2_match_data *md, const char *s, size_t n,
                uint32_t options, size_t *at);
/*
 * The same under the match context mc (its limits; NULL for PCRE2's), but
 * telling no match (0) from a failure to search (a PCRE2 error code, below
 * 0: its match, depth or JIT stack limit reached), which ve_re_next reads
 * as no match; 1 for a match.
 */
int ve_re_find(const pcre2_code *code, pcre2_match_data *md, pcre2_match_context *mc, const char *s,
               size_t n, uint32_t options, size_t *at);

#endif
