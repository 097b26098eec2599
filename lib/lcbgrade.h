/*
 * LiveCodeBench's rules for a model's program, as its own code applies them
 * (LiveCodeBench, commit 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24):
 * which part of the reply is the program (lcb_runner/utils/extraction_utils.py,
 * extract_code, for every model style but CodeLLaMa's and base models'), and
 * when what a program printed is the expected output of a standard-input
 * test (lcb_runner/evaluation/testing_util.py, grade_stdio). Both read the
 * caller's bytes and keep nothing.
 */
#ifndef VE_LCBGRADE_H
#define VE_LCBGRADE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The program in a reply: the lines between the last two lines that hold
 * "```" anywhere (lines split at '\n' only), joined by '\n', as
 * reply[*off..*off + *len). False when fewer than two lines hold a fence;
 * the program may be empty when the two are adjacent.
 */
bool ve_lcb_extract(const char *reply, size_t n, size_t *off, size_t *len);

/*
 * Whether the output got[0..gn) passes for want[0..wn): both stripped of
 * white space (Python's str.isspace) and split at '\n', the same number of
 * lines, and line by line, after stripping, the same text or the same
 * count of white-space separated tokens that are all decimal numbers
 * (Python's decimal.Decimal: underscores, any script's decimal digits,
 * Infinity; exponents within its limits) of equal value. NaN equals
 * nothing, not even NaN, unless the lines are the same text. Bytes that
 * are not UTF-8 are characters of their own that are neither space nor
 * digit. Either text may be NULL when empty.
 */
bool ve_lcb_output_matches(const char *got, size_t gn, const char *want, size_t wn);

#endif
