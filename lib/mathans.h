/*
 * The answer of a MATH-style reply as Evalchemy reads and compares it
 * (score-gen(1), --metric math): Evalchemy's AIME24, AIME25 and MATH500
 * benchmarks (mlfoundations/evalchemy, eval/chat_benchmarks/{AIME24,AIME25,MATH500}/
 * eval_instruct.py
 * at commit 6ed674159b37f740f2353a86f596f49f6ac13c19) take
 * remove_boxed(last_boxed_only_string(reply)), "" when that fails, and
 * compare it with the reference by is_equiv of lm-evaluation-harness's
 * lm_eval/tasks/hendrycks_math/utils.py (the copy Evalchemy installs:
 * EtashGuha/lm-evaluation-harness, branch etashg/tokenize_fix, commit
 * 4071e1823bc1d05d1b394e03925b436a46de637e), itself the strip_string and
 * is_equiv of hendrycks/math, modeling/math_equivalence.py.
 *
 * What that code does, and so what this code does:
 * - The last "\boxed" of the reply, else the last "\fbox", up to the brace
 *   that closes the first one opened after it. But when the reply holds
 *   "\boxed " (with a space) anywhere, the answer is the text after the
 *   last "\boxed " up to the first "$". remove_boxed then accepts only
 *   "\boxed{...}" and "\boxed ...": "\fbox{3}" yields "" (no answer).
 * - strip_string, in this order: newlines and "\!" removed, "\\" to "\",
 *   "tfrac" and "dfrac" to "frac", "\left" and "\right" removed, "^{\circ}"
 *   and "^\circ" removed, "\$" removed, everything from "\text{ " on
 *   removed (units), "\%" removed, " ." to " 0." and "{." to "{0.", a
 *   leading "." gets a "0", "x = 5" to "5" when the text has one "=" and at
 *   most two characters before it, "\sqrtX" to "\sqrt{X}", spaces removed,
 *   "\fracXY" to "\frac{X}{Y}" (and "\fracX{..}" to "\frac{X}{..}"), exactly
 *   "0.5" to "\frac{1}{2}", and "A/B" of two integers written as Python
 *   writes them to "\frac{A}{B}".
 * - Where the Python raises (two "\text{ ", a "\sqrt" or "\frac" ending the
 *   text, "x/y" that int() cannot read), is_equiv compares the two texts
 *   as they are. Python's int() also reads non-ASCII digits; here they are
 *   not digits (such a text compares as it is).
 * Nothing else is equal: "042" is not "42", "0.50" is not "\frac12".
 *
 * Texts are C strings (valid UTF-8 up to their NUL; a character is a code
 * point where the Python counts or indexes one). Results are malloc'd and
 * the caller's to free.
 */
#ifndef VE_MATHANS_H
#define VE_MATHANS_H
#include <stdbool.h>

/*
 * Evalchemy's extract_answer: the last boxed answer of s without its box.
 * NULL when there is none or remove_boxed refuses it (Evalchemy's "").
 */
char *ve_math_boxed(const char *s);

/* strip_string of s; NULL where the Python raises. */
char *ve_math_strip(const char *s);

/* is_equiv(a, b): the stripped texts are equal, or the texts when either cannot be stripped. */
bool ve_math_equiv(const char *a, const char *b);

#endif
