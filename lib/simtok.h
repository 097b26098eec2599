/*
 * The simulated tokenizer of vllm-sim: deterministic, invertible and
 * Unicode-safe, so that tests (and clients) can predict token counts.
 *
 * Text is first cut into pieces: a space (U+0020) followed by a run of word
 * characters, a run of word characters, or any other single code point.
 * Word characters are ASCII letters and digits and every non-ASCII code point
 * whose Unicode category is a letter, a mark or a number. Each piece is then
 * cut greedily into chunks of at most three UTF-8 bytes, never inside a code
 * point; a four-byte code point is a chunk of its own. Each chunk is a token.
 *
 * A token's id spells its bytes: a chunk of 1 byte b0 is id b0; of 2 bytes,
 * 256 + (b0<<8 | b1); of 3 bytes, 65792 + (b0<<16 | b1<<8 | b2); a four-byte
 * code point c is 16843008 + (c - 0x10000). No BOS is added (add_special_tokens
 * changes nothing). The one special token, <|endoftext|> (VE_TOK_EOS), ends a
 * generation that stops by itself (there without text). The text
 * "<|endoftext|>" is split out before the pieces and encodes to it, and it
 * decodes to that text, as a real tokenizer's special token does.
 *
 * "Hello, world!" is "Hel" "lo" "," " wo" "rld" "!": 6 tokens.
 */
#ifndef VE_SIMTOK_H
#define VE_SIMTOK_H

#include <stddef.h>
#include <stdint.h>

#include "utf8.h" /* ve_utf8_count counts code points as the cp offsets below do */

/* Ids of text tokens are below VE_TOK_VOCAB; VE_TOK_EOS is the last id. */
#define VE_TOK_VOCAB    17891584u
#define VE_TOK_EOS      17891584u
#define VE_TOK_EOS_TEXT "<|endoftext|>"

struct ve_tok {
	uint32_t id;
	uint32_t off; /* byte offset in the text */
	uint32_t len; /* bytes */
	uint32_t cp;  /* code-point offset in the text */
};

/*
 * A growable list of tokens. With keep_max set, only the first keep_max
 * tokens are kept; n still counts them all (to size a text without storing it).
 */
struct ve_toks {
	struct ve_tok *v;
	size_t n;
	size_t cap;
	size_t keep_max; /* 0: keep every token */
};

/*
 * Appends the tokens of s[0..n) to t; offsets count from s plus base_off
 * bytes and base_cp code points (to tokenize text that continues a text).
 * Invalid UTF-8 bytes become one-byte tokens.
 */
void ve_tok_encode(const char *s, size_t n, uint32_t base_off, uint32_t base_cp, struct ve_toks *t);
/* The bytes of token id into out (4 bytes at most); their count, or 0 for an id out of range. */
int ve_tok_bytes(uint32_t id, unsigned char out[4]);
/*
 * Appends p[0..n) to b with each invalid UTF-8 sequence replaced by U+FFFD
 * (as a tokenizer's decode with errors="replace"); returns the number of
 * code points appended.
 */
struct ve_buf;
size_t ve_utf8_sanitize(struct ve_buf *b, const char *p, size_t n);
void ve_toks_free(struct ve_toks *t);

#endif
