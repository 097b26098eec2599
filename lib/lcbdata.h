/*
 * LiveCodeBench's compressed test cases. The dataset
 * (livecodebench/code_generation_lite) publishes a problem's
 * private_test_cases as a string that its runner reads with
 *
 *   json.loads(pickle.loads(zlib.decompress(base64.b64decode(s.encode("utf-8")))))
 *
 * (LiveCodeBench/LiveCodeBench, lcb_runner/benchmarks/code_generation.py,
 * CodeGenerationProblem.__post_init__, at commit
 * 28fef95ea8c9f7a547c8329f2cd3d32b92c1fa24): base64 of a zlib stream of a
 * pickle holding one str, the JSON text of the list of tests.
 *
 * ve_lcb_decode undoes the first three steps and leaves the JSON text to
 * the caller. It is stricter than Python where Python lets corruption
 * through: base64 must be exactly that (A-Z a-z 0-9 + /, length a multiple
 * of 4, '=' only as the last one or two; Python's b64decode drops any
 * other byte), nothing may follow the zlib stream or the pickle's STOP
 * (Python ignores both), and the str must be valid UTF-8 (Python's
 * unpickler lets lone surrogates in). The pickle may be of any protocol
 * CPython writes a str in, 0 to 5: PROTO, FRAME, one of SHORT_BINUNICODE,
 * BINUNICODE, BINUNICODE8 or UNICODE (protocol 0's raw-unicode-escape
 * text), a memo opcode (MEMOIZE, BINPUT, LONG_BINPUT, PUT) and STOP; any
 * other opcode (a list, a bytes object, a second string) is refused. The
 * inflated pickle may be at most VE_LCB_MAX_INFLATED bytes.
 */
#ifndef VE_LCBDATA_H
#define VE_LCBDATA_H

#include <stddef.h>

#include "buf.h"

/* The most bytes a compressed test-case string may inflate to: 1 GiB. */
#define VE_LCB_MAX_INFLATED ((size_t)1 << 30)

/*
 * Decodes the compressed string s[0..n) into *json, whose contents it
 * replaces: the str's UTF-8 bytes, NUL-terminated. Returns NULL on
 * success, else why not, a sentence that does not name the field (the
 * caller writes "private_test_cases: REASON"): "not base64: ...",
 * "zlib: ...", "pickle: ..."; *json is then empty. The reason is static or
 * in a buffer of the calling thread's, valid until its next call.
 */
const char *ve_lcb_decode(const char *s, size_t n, struct ve_buf *json);

#endif
