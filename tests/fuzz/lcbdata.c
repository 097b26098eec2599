/*
 * Fuzz target: LiveCodeBench's compressed test cases, ve_lcb_decode
 * (lib/lcbdata.h; tests/fuzz/README.md). Each input is used twice.
 *
 * As a compressed string: the decoder must not crash or leak; what it
 * accepts is valid UTF-8, and what it refuses leaves an empty buffer and a
 * reason.
 *
 * As a str to encode, the way LiveCodeBench's data were made: the first
 * byte chooses the pickle protocol (0 to 5), the string opcode the
 * protocol allows (SHORT_BINUNICODE, BINUNICODE, BINUNICODE8; UNICODE for
 * protocol 0), the memo opcode, whether protocol 4 and 5 frame it, and
 * zlib's level; the rest is the str's UTF-8. The pickle is written here as
 * CPython's Lib/pickle.py writes it (protocol 0's text with \, NUL, \n, \r
 * and ^Z escaped as \u005c..., then raw-unicode-escape), deflated by
 * zlib's compress2 and base64-encoded by libcrypto's EVP_EncodeBlock. The
 * decoder must give the bytes back when they are valid UTF-8, and refuse
 * them as such when they are not (protocol 0 cannot carry them: skipped).
 * A disagreement aborts with a message, which libFuzzer reports.
 */
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <zlib.h>

#include "buf.h"
#include "lcbdata.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
disagree(const char *what, const char *reason, const uint8_t *s, size_t n)
{
	fprintf(stderr, "lcbdata: %s (%s)\n  str: %.*s\n", what, reason ? reason : "accepted",
	        (int)n, (const char *)s);
	abort();
}

/* Appends the k-byte little-endian v. */
static void
add_le(struct ve_buf *b, uint64_t v, int k)
{
	for (int i = 0; i < k; i++)
		ve_buf_addc(b, (char)(v >> (8 * i)));
}

/* Protocol 0's UNICODE argument: CPython's save_str escapes, then raw-unicode-escape. */
static void
add_raw_unicode_escape(struct ve_buf *b, const uint8_t *s, size_t n)
{
	utf8proc_int32_t cp;

	for (size_t i = 0; i < n;) {
		i += (size_t)utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
		if (cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a || cp > 0xff)
			ve_buf_addf(b, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
		else
			ve_buf_addc(b, (char)cp);
	}
}

/* The pickle of the str s[0..n) that knob chooses. */
static void
add_pickle(struct ve_buf *b, uint8_t knob, const uint8_t *s, size_t n)
{
	int proto = knob % 6, form = knob / 6 % 3;
	bool frame = knob & 0x80;
	struct ve_buf body = {0};

	if (proto == 0) {
		ve_buf_addc(&body, 'V');
		add_raw_unicode_escape(&body, s, n);
		ve_buf_adds(&body, "\np0\n.");
	} else {
		/* BINUNICODE8 and SHORT_BINUNICODE came with protocol 4. */
		if (proto < 4 || form == 1 || (form == 0 && n > 255)) {
			ve_buf_addc(&body, 'X');
			add_le(&body, n, 4);
		} else if (form == 0) {
			ve_buf_addc(&body, (char)0x8c);
			add_le(&body, n, 1);
		} else {
			ve_buf_addc(&body, (char)0x8d);
			add_le(&body, n, 8);
		}
		ve_buf_add(&body, s, n);
		if (proto >= 4)
			ve_buf_addc(&body, (char)0x94);
		else if (knob & 0x40)
			ve_buf_add(&body, "r\0\0\0\0", 5);
		else
			ve_buf_add(&body, "q\0", 2);
		ve_buf_addc(&body, '.');
	}
	if (proto >= 2)
		ve_buf_add(b, (const char[]){(char)0x80, (char)proto}, 2);
	if (proto >= 4 && frame) {
		ve_buf_addc(b, (char)0x95);
		add_le(b, body.len, 8);
	}
	ve_buf_add(b, body.p, body.len);
	ve_buf_free(&body);
}

/* base64(zlib(pickle(s))), zlib's level from knob. */
static void
encode(struct ve_buf *out, uint8_t knob, const uint8_t *s, size_t n)
{
	struct ve_buf pk = {0};

	add_pickle(&pk, knob, s, n);
	uLongf zn = compressBound(pk.len);
	unsigned char *z = malloc(zn);
	if (!z || compress2(z, &zn, (const Bytef *)pk.p, pk.len, knob % 10) != Z_OK)
		disagree("compress2 failed", NULL, s, n);
	ve_buf_grow(out, 4 * (zn / 3 + 1));
	out->len = (size_t)EVP_EncodeBlock((unsigned char *)out->p, z, (int)zn);
	free(z);
	ve_buf_free(&pk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ve_buf json = {0}, enc = {0};
	const char *why = ve_lcb_decode((const char *)data, size, &json);

	if (!why && ve_utf8_invalid_at(json.p, json.len) >= 0)
		disagree("accepted a string that is not UTF-8", NULL, data, size);
	if (why && (!why[0] || json.len))
		disagree("refused without a reason or with text", why, data, size);
	if (size >= 1) {
		const uint8_t *s = data + 1;
		size_t n = size - 1;
		bool utf8 = ve_utf8_invalid_at((const char *)s, n) < 0;
		if (utf8 || data[0] % 6) {
			encode(&enc, data[0], s, n);
			why = ve_lcb_decode(enc.p, enc.len, &json);
			if (utf8 && (why || json.len != n || (n && memcmp(json.p, s, n) != 0)))
				disagree("a str did not come back", why, s, n);
			if (!utf8 && (!why || strcmp(why, "pickle: the string is not valid UTF-8")))
				disagree("a str that is not UTF-8 was not refused as such", why, s,
				         n);
		}
	}
	ve_buf_free(&json);
	ve_buf_free(&enc);
	return 0;
}
