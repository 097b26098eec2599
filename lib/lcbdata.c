#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>
#include <zlib.h>

#include "buf.h"
#include "lcbdata.h"
#include "utf8.h"

/* The pickle opcodes a str's pickle holds (CPython's Lib/pickle.py names). */
enum {
	OP_PROTO = 0x80,
	OP_FRAME = 0x95,
	OP_SHORT_BINUNICODE = 0x8c,
	OP_BINUNICODE = 'X',
	OP_BINUNICODE8 = 0x8d,
	OP_UNICODE = 'V',
	OP_MEMOIZE = 0x94,
	OP_BINPUT = 'q',
	OP_LONG_BINPUT = 'r',
	OP_PUT = 'p',
	OP_STOP = '.',
};

/* A reason that names a value: the calling thread's, until its next call. */
static _Thread_local char why[96];

/* The value of base64 digit c, or -1. */
static int
b64digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Strict base64 (RFC 4648, section 4) of s[0..n) into out: only the
 * alphabet, in groups of four, '=' only to pad the last group.
 */
static const char *
unbase64(const unsigned char *s, size_t n, struct ve_buf *out)
{
	if (n % 4)
		return "not base64: its length is not a multiple of 4";
	size_t pad = n && s[n - 1] == '=' ? 1 + (s[n - 2] == '=') : 0;
	ve_buf_grow(out, n / 4 * 3);
	for (size_t i = 0; i < n; i += 4) {
		size_t digits = i + 4 == n ? 4 - pad : 4;
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = k < digits ? b64digit(s[i + k]) : 0;
			if (d < 0)
				return s[i + k] == '=' ? "not base64: '=' before the end"
				                       : "not base64: a byte outside its alphabet";
			v = v << 6 | (uint32_t)d;
		}
		unsigned char b[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8),
		                      (unsigned char)v};
		ve_buf_add(out, b, digits - 1);
	}
	return NULL;
}

/* zlib's own message for status r. */
static const char *
zlib_why(const z_stream *zs, int r)
{
	snprintf(why, sizeof why, "zlib: %s",
	         zs->msg            ? zs->msg
	         : r == Z_MEM_ERROR ? "out of memory"
	                            : "inflate failed");
	return why;
}

/*
 * Inflates the zlib stream p[0..n) (RFC 1950, as Python's zlib.decompress
 * reads it) into out, up to VE_LCB_MAX_INFLATED bytes; nothing may follow
 * the stream.
 */
static const char *
inflate_all(const unsigned char *p, size_t n, struct ve_buf *out)
{
	z_stream zs = {0};
	const char *err = NULL;
	size_t left = n;

	if (inflateInit(&zs) != Z_OK)
		return zlib_why(&zs, Z_MEM_ERROR);
	zs.next_in = (Bytef *)p;
	for (;;) {
		if (zs.avail_in == 0 && left) {
			zs.avail_in = left < UINT_MAX ? (uInt)left : UINT_MAX;
			left -= zs.avail_in;
		}
		if (out->len > VE_LCB_MAX_INFLATED) {
			err = "zlib: it inflates to more than 1 GiB";
			break;
		}
		size_t want = out->len < 65536 ? 65536 : out->len;
		if (want > VE_LCB_MAX_INFLATED + 1 - out->len)
			want = VE_LCB_MAX_INFLATED + 1 - out->len;
		ve_buf_grow(out, want);
		size_t room = out->cap - out->len - 1;
		if (room > want)
			room = want;
		zs.next_out = (Bytef *)out->p + out->len;
		zs.avail_out = (uInt)room;
		int r = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if (r == Z_STREAM_END) {
			if (zs.avail_in || left)
				err = "zlib: data after the end of its stream";
			break;
		}
		if (r == Z_BUF_ERROR && zs.avail_in == 0 && !left) {
			err = "zlib: the stream is cut short";
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			err = zlib_why(&zs, r);
			break;
		}
	}
	inflateEnd(&zs);
	return err;
}

/* The k-byte little-endian number at p. */
static uint64_t
le(const unsigned char *p, int k)
{
	uint64_t v = 0;

	while (k--)
		v = v << 8 | p[k];
	return v;
}

static const char *
bad_opcode(unsigned char op, const char *what)
{
	snprintf(why, sizeof why, "pickle: opcode 0x%02x %s", op, what);
	return why;
}

/* Where the str is in the pickle, and whether in protocol 0's raw-unicode-escape. */
struct pstr {
	size_t at, len;
	bool raw;
	bool found;
};

/*
 * The length of the str opcode op's argument at p[*i..n): a 1, 4 or 8-byte
 * length and the bytes, or UNICODE's line. Moves *i past the length.
 */
static const char *
str_arg(unsigned char op, const unsigned char *p, size_t n, size_t *i, size_t *len)
{
	int k = op == OP_SHORT_BINUNICODE ? 1 : op == OP_BINUNICODE ? 4 : 8;

	if (op == OP_UNICODE) {
		const unsigned char *nl = memchr(p + *i, '\n', n - *i);
		if (!nl)
			return "pickle: it is cut short";
		*len = (size_t)(nl - p) - *i;
		return NULL;
	}
	if (n - *i < (size_t)k)
		return "pickle: it is cut short";
	uint64_t v = le(p + *i, k);
	*i += (size_t)k;
	if (v > n - *i)
		return "pickle: it is cut short";
	*len = (size_t)v;
	return NULL;
}

/*
 * Finds the one str of the pickle p[0..n): PROTO first if at all, FRAMEs
 * anywhere, the str, memo opcodes after it, STOP last.
 */
static const char *
pickle_str(const unsigned char *p, size_t n, struct pstr *s)
{
	static const char cut[] = "pickle: it is cut short";
	size_t i = 0, len;
	const char *err;

	while (i < n) {
		unsigned char op = p[i++];
		switch (op) {
		case OP_PROTO:
			if (i != 1)
				return bad_opcode(op, "(PROTO) out of place");
			if (i == n)
				return cut;
			if (p[i++] > 5)
				return "pickle: a protocol above 5";
			break;
		case OP_FRAME:
			if (n - i < 8)
				return cut;
			if (le(p + i, 8) > n - i - 8)
				return cut;
			i += 8;
			break;
		case OP_SHORT_BINUNICODE:
		case OP_BINUNICODE:
		case OP_BINUNICODE8:
		case OP_UNICODE:
			if (s->found)
				return bad_opcode(op, "(a second string) out of place");
			if ((err = str_arg(op, p, n, &i, &len)))
				return err;
			*s = (struct pstr){i, len, op == OP_UNICODE, true};
			i += len + (op == OP_UNICODE);
			break;
		case OP_MEMOIZE:
		case OP_BINPUT:
		case OP_LONG_BINPUT:
		case OP_PUT:
			if (!s->found)
				return bad_opcode(op, "(a memo) before the string");
			len = op == OP_BINPUT ? 1 : op == OP_LONG_BINPUT ? 4 : 0;
			if (n - i < len)
				return cut;
			i += len;
			if (op == OP_PUT) {
				size_t d = i;
				while (i < n && p[i] >= '0' && p[i] <= '9')
					i++;
				if (i == n)
					return cut;
				if (i == d || p[i++] != '\n')
					return "pickle: PUT without its number";
			}
			break;
		case OP_STOP:
			if (!s->found)
				return "pickle: STOP before any string";
			return i == n ? NULL : "pickle: data after STOP";
		default: return bad_opcode(op, "is not a string's");
		}
	}
	return n ? cut : "pickle: it is empty";
}

/* The value of hex digit c, or -1. */
static int
hexdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * Protocol 0's str, p[0..n) in raw-unicode-escape, to UTF-8 in out, as
 * CPython decodes it: bytes are Latin-1, except that \uXXXX and
 * \UXXXXXXXX after an odd run of backslashes are code points.
 */
static const char *
raw_unicode_escape(const unsigned char *p, size_t n, struct ve_buf *out)
{
	utf8proc_uint8_t u[4];

	for (size_t i = 0; i < n;) {
		if (p[i] != '\\') {
			ve_buf_add(out, u, (size_t)utf8proc_encode_char(p[i++], u));
			continue;
		}
		size_t run = 0;
		while (i < n && p[i] == '\\')
			i++, run++;
		bool esc = run % 2 && i < n && (p[i] == 'u' || p[i] == 'U');
		for (size_t k = 0; k < run - esc; k++)
			ve_buf_addc(out, '\\');
		if (!esc)
			continue;
		int digits = p[i++] == 'u' ? 4 : 8;
		unsigned long cp = 0;
		for (int k = 0; k < digits; k++, i++) {
			if (i == n || hexdigit(p[i]) < 0)
				return digits == 4 ? "pickle: a truncated \\uXXXX escape"
				                   : "pickle: a truncated \\UXXXXXXXX escape";
			cp = cp << 4 | (unsigned long)hexdigit(p[i]);
		}
		if (cp > 0x10ffff)
			return "pickle: a \\UXXXXXXXX escape above U+10FFFF";
		/* A surrogate gets its three bytes, which unpickle refuses. */
		ve_buf_add(out, u, (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, u));
	}
	return NULL;
}

/* The pickle in json, replaced by its str's UTF-8 bytes. */
static const char *
unpickle(struct ve_buf *json)
{
	struct pstr s = {0};
	const char *err = pickle_str((const unsigned char *)json->p, json->len, &s);

	if (err)
		return err;
	if (s.raw) {
		struct ve_buf text = {0};
		err = raw_unicode_escape((const unsigned char *)json->p + s.at, s.len, &text);
		ve_buf_free(json);
		*json = text;
		if (err)
			return err;
	} else {
		memmove(json->p, json->p + s.at, s.len);
		json->len = s.len;
	}
	if (json->p)
		json->p[json->len] = '\0';
	return ve_utf8_invalid_at(json->p, json->len) < 0 ? NULL
	                                                  : "pickle: the string is not valid UTF-8";
}

const char *
ve_lcb_decode(const char *s, size_t n, struct ve_buf *json)
{
	struct ve_buf raw = {0};
	const char *err = unbase64((const unsigned char *)s, n, &raw);

	ve_buf_reset(json);
	if (!err)
		err = inflate_all((const unsigned char *)raw.p, raw.len, json);
	ve_buf_free(&raw);
	if (!err)
		err = unpickle(json);
	if (err)
		ve_buf_reset(json);
	return err;
}
