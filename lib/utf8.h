/*
 * UTF-8 at the byte level, without a Unicode table: where a text stops
 * being valid, and how many code points a valid one holds. Both read the
 * caller's bytes and keep nothing. And Python's white space, a fixed list. (Decoding to code
 * points, categories and normalisation go through utf8proc: lib/norm.h, lib/simtok.h.)
 */
#ifndef VE_UTF8_H
#define VE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The byte offset of the first invalid UTF-8 sequence in s[0..len), or -1.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid
 * (RFC 3629).
 */
long ve_utf8_invalid_at(const char *s, size_t len);
/*
 * The code points in the valid UTF-8 s[0..n): the bytes that do not
 * continue a sequence. On invalid UTF-8 it still counts those bytes, which
 * is no code-point count: check with ve_utf8_invalid_at first where that
 * matters.
 */
size_t ve_utf8_count(const char *s, size_t n);

/*
 * Whether code point c is white space to Python's str.isspace: what \s
 * matches in a str pattern, and what str.strip() and str.split() take away.
 */
bool ve_utf8_py_space(int32_t c);
#endif
