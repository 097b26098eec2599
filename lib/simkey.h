/*
 * The answer key of vllm-sim: which prompts are about which benchmark item,
 * and that item's choices and gold answer. One JSON object per line:
 *
 *   {"match":"TEXT","choices":["..",".."],"gold":0,"id":"...","format":"boxed"}
 *
 * match (required) is text a prompt about the item contains; choices (2 to
 * 26 strings, optional) are its answer options; gold is the index of the
 * right choice, its text or its letter, or, without choices, the right
 * answer's text; wrong (without choices, optional) is the text given in
 * its place when the item is answered wrong (a wrong program, say), else
 * vllm-sim makes one up; id (default: match) names the item; format
 * (default "sentence") is how a generated answer is written (vllm-sim(1),
 * Quality model): "sentence", "gsm8k", "boxed", "letter" or "text".
 */
#ifndef VE_SIMKEY_H
#define VE_SIMKEY_H

#include <stddef.h>

/* How a generated answer is written (the key's "format"). */
enum ve_simfmt {
	VE_SIMFMT_SENTENCE, /* "The answer is 42." or "B. choice." */
	VE_SIMFMT_GSM8K,    /* "The answer is 42.\n#### 42" */
	VE_SIMFMT_BOXED,    /* "The final answer is $\boxed{42}$." */
	VE_SIMFMT_LETTER,   /* "Answer: B" */
	VE_SIMFMT_TEXT,     /* the answer as it is: a program, a function's body */
};

struct ve_simitem {
	char *match;
	size_t mlen;
	char **choices;
	size_t *clen;
	int nchoices;
	int gold;         /* index into choices, or -1 */
	char *gold_text;  /* the gold answer when there are no choices */
	char *wrong_text; /* its wrong answer, or NULL: one is made up */
	char *id;
	enum ve_simfmt format;
	struct ve_simitem *next; /* in its hash bucket */
};

/* Items are found by a hash of their match's first bytes. */
struct ve_simkey {
	struct ve_simitem *items;
	size_t n;
	struct ve_simitem **bucket;
	size_t nbucket;
	struct ve_simitem *shorts; /* matches too short to hash, scanned */
};

/* Loads the key at path; exits 65 or 66 with "FILE:LINE: what" on a bad one. */
void ve_simkey_load(struct ve_simkey *k, const char *path);
/*
 * The item a prompt p[0..n) is about: the match that ends last in the prompt
 * (the question asked comes after any few-shot examples), the longer one on
 * a tie; NULL when none matches. Takes time linear in n.
 */
const struct ve_simitem *ve_simkey_find(const struct ve_simkey *k, const char *p, size_t n);
void ve_simkey_free(struct ve_simkey *k);

#endif
