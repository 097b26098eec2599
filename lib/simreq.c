/*
 * The request core of vllm-sim (simreq.h): a request's body in, its plan
 * and its answers out, as vLLM 0.11's OpenAI-compatible server reads and
 * writes them. vllm-sim(1) documents the behaviour; the tests pin it.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "array.h"
#include "buf.h"
#include "diag.h"
#include "fmtnum.h"
#include "json.h"
#include "num.h"
#include "rng.h"
#include "simkey.h"
#include "simreq.h"
#include "simtok.h"
#include "utf8.h"

/* Filler words: each is one token (a space and at most two letters). */
static const char *const filler[] = {" a",  " I",  " an", " as", " at", " be", " by", " do", " go",
                                     " he", " if", " in", " is", " it", " me", " my", " no", " of",
                                     " on", " or", " so", " to", " up", " us", " we"};
#define NFILLER ((int)(sizeof filler / sizeof filler[0]))

/* ---- seeded hashing ---- */

uint64_t
ve_sim_h3(uint64_t a, uint64_t b, uint64_t c)
{
	return ve_splitmix64(a ^ ve_splitmix64(b ^ ve_splitmix64(c)));
}

double
ve_sim_u01(uint64_t h)
{
	return (double)(h >> 11) * 0x1.0p-53;
}

static uint64_t
hstr(uint64_t seed, const char *s, size_t n)
{
	return XXH3_64bits_withSeed(s, n, seed);
}

/* ---- what a request will produce ---- */

enum { LP_GREEDY, LP_BEHIND, LP_LETTERS };

/*
 * A body's top-level "prompt" read without libjq (see read_prompt): a
 * list of token ids, or a string's text.
 */
struct preread {
	uint32_t *ids;
	size_t nids;
	struct ve_buf text;
	bool is_text;
};

/* What a request asks for that shapes its plan but is not kept in it. */
struct params {
	double temperature, top_p; /* checked; the text depends on the seeds only */
	double seed;               /* the request's seed, mixed into the server's */
	double max_tokens;
	char **stops;
	int nstops;
	const struct preread *pre; /* the prompt read without libjq, or NULL */
};

static void
choice_free(struct ve_simchoice *c)
{
	ve_buf_free(&c->ptext);
	ve_buf_free(&c->gtext);
	free(c->pt);
	free(c->gt);
	free(c->stop_reason);
}

void
ve_simplan_free(struct ve_simplan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nc; i++)
		choice_free(&p->c[i]);
	free(p->c);
	free(p);
}

static bool __attribute__((format(printf, 3, 4)))
bad(struct ve_simerr *e, const char *param, const char *fmt, ...)
{
	va_list ap;

	e->status = 400;
	e->type = "BadRequestError";
	e->param = param;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return false;
}

static struct ve_simptok *
toks_to_ptoks(const struct ve_toks *t)
{
	struct ve_simptok *p = ve_xcalloc(t->n ? t->n : 1, sizeof *p);

	for (size_t i = 0; i < t->n; i++)
		p[i] = (struct ve_simptok){t->v[i].id, t->v[i].off, t->v[i].len,
		                           t->v[i].cp, 0,           LP_GREEDY};
	return p;
}

/*
 * Sets the prompt of c from text (tokenized here). A prompt of max_len
 * tokens or more cannot fit the context: it is only counted (npt), and
 * neither its text nor its tokens are kept.
 */
static void
prompt_from_text(struct ve_simchoice *c, const char *s, size_t n, size_t max_len)
{
	struct ve_toks t = {.keep_max = max_len};

	ve_tok_encode(s, n, 0, 0, &t);
	c->npt = t.n;
	if (t.n < max_len) {
		ve_buf_add(&c->ptext, s, n);
		c->pt = toks_to_ptoks(&t);
	}
	ve_toks_free(&t);
}

/* Token id i of ids (a jv array, borrowed) into *id; false with e filled when it is not one. */
static bool
id_at(jv ids, int i, uint32_t *id, struct ve_simerr *e)
{
	jv v = jv_array_get(jv_copy(ids), i);
	bool num = jv_get_kind(v) == JV_KIND_NUMBER;
	double d = num ? jv_number_value(v) : -1;

	jv_free(v);
	if (!num || d != floor(d))
		return bad(e, "prompt", "Token ids must be integers.");
	if (d < 0 || d > VE_TOK_EOS)
		return bad(e, "prompt", "Token id %.0f is out of vocabulary (size %u).", d,
		           VE_TOK_EOS + 1);
	*id = (uint32_t)d;
	return true;
}

/* Appends the text of token id to b (sanitized); returns its code points. */
static size_t
id_text(uint32_t id, struct ve_buf *b)
{
	unsigned char t[4];

	/* The end-of-text token decodes to its name, as vLLM's decode of a prompt keeps it. */
	if (id == VE_TOK_EOS)
		return ve_utf8_sanitize(b, VE_TOK_EOS_TEXT, strlen(VE_TOK_EOS_TEXT));
	int k = ve_tok_bytes(id, t);
	return ve_utf8_sanitize(b, (const char *)t, (size_t)k);
}

/*
 * Sets the prompt of c from n token ids, each checked already. As with
 * text, max_len ids or more are only counted.
 */
static void
prompt_from_id_list(struct ve_simchoice *c, const uint32_t *ids, size_t n, size_t max_len)
{
	uint32_t cp = 0;

	c->npt = n;
	if (n >= max_len)
		return;
	c->pt = ve_xcalloc(n ? n : 1, sizeof *c->pt);
	for (size_t i = 0; i < n; i++) {
		uint32_t off = (uint32_t)c->ptext.len;
		size_t cps = id_text(ids[i], &c->ptext);
		c->pt[i] = (struct ve_simptok){ids[i], off, (uint32_t)(c->ptext.len - off),
		                               cp,     0,   LP_GREEDY};
		cp += (uint32_t)cps;
	}
}

/* Sets the prompt of c from token ids (a jv array, borrowed); false on a bad id. */
static bool
prompt_from_ids(struct ve_simchoice *c, jv ids, size_t max_len, struct ve_simerr *e)
{
	int n = jv_array_length(jv_copy(ids));
	uint32_t *v = ve_xcalloc((size_t)(n ? n : 1), sizeof *v);
	bool ok = true;

	for (int i = 0; i < n && ok; i++)
		ok = id_at(ids, i, &v[i], e);
	if (ok)
		prompt_from_id_list(c, v, (size_t)n, max_len);
	free(v);
	return ok;
}

/* The logprob of prompt token i that no answer key controls: a function of it and the one before.
 */
static double
generic_lp(uint64_t seed, const struct ve_simptok *t, size_t i)
{
	double u = ve_sim_u01(
	    ve_sim_h3(seed ^ 0x70726f6d7074ull, t[i - 1].id, (uint64_t)t[i].id << 20 ^ i));
	return -(0.05 + 6.0 * u * u);
}

/*
 * Echo logprobs. Where the prompt is an item of the key and ends with one of
 * its choices, the choice's tokens get a total logprob that makes the
 * item's winner (the gold one when the item is answered right) the most
 * likely continuation, also per character.
 */
static void
prompt_logprobs(uint64_t seed, struct ve_simchoice *c, const struct ve_simitem *it, int winner)
{
	int best = -1;

	for (size_t i = 1; i < c->npt; i++) {
		c->pt[i].lp = generic_lp(seed, c->pt, i);
		c->pt[i].kind =
		    ve_sim_u01(ve_sim_h3(seed, c->pt[i].id, i)) < 0.5 ? LP_GREEDY : LP_BEHIND;
	}
	if (!it || !it->nchoices)
		return;
	for (int k = 0; k < it->nchoices; k++) {
		size_t L = it->clen[k];
		if (L == 0 || L > c->ptext.len)
			continue;
		if (memcmp(c->ptext.p + c->ptext.len - L, it->choices[k], L) != 0)
			continue;
		if (best < 0 || L > it->clen[best])
			best = k;
	}
	if (best < 0)
		return;
	size_t region = c->ptext.len - it->clen[best];
	size_t first = c->npt, m = 0;
	for (size_t i = 1; i < c->npt; i++)
		if (c->pt[i].off + c->pt[i].len > region) {
			if (first == c->npt)
				first = i;
			m++;
		}
	if (!m)
		return;
	double cps = (double)ve_utf8_count(it->choices[best], it->clen[best]);
	if (cps < 1)
		cps = 1;
	double total =
	    best == winner
	        ? -0.02 * cps
	        : -(0.6 + 0.8 * ve_sim_u01(ve_sim_h3(seed, hstr(seed, it->id, strlen(it->id)),
	                                             (uint64_t)best))) *
	              cps;
	for (size_t i = first; i < c->npt; i++) {
		c->pt[i].lp = total / (double)m;
		c->pt[i].kind = best == winner ? LP_GREEDY : LP_BEHIND;
	}
}

/* Appends the tokens of text to c's generated text, up to max tokens in all. */
static void
gen_append(struct ve_simchoice *c, const char *text, size_t n, size_t max, uint64_t seed)
{
	struct ve_toks t = {0};
	uint32_t base = (uint32_t)c->gtext.len;
	size_t keep = 0;

	ve_tok_encode(text, n, base, c->gcp, &t);
	c->gt = ve_grow(c->gt, &c->gtcap, c->ngt + t.n + 1, sizeof *c->gt);
	for (size_t i = 0; i < t.n && c->ngt < max; i++) {
		const struct ve_tok *k = &t.v[i];
		double u = ve_sim_u01(ve_sim_h3(seed ^ 0x67656eull, k->id, c->ngt));
		c->gt[c->ngt++] = (struct ve_simptok){
		    k->id, k->off, k->len, k->cp, -(0.01 + 1.5 * u * u), LP_GREEDY};
		keep = k->off + k->len - base;
	}
	c->gcp += (uint32_t)ve_utf8_count(text, keep);
	ve_buf_add(&c->gtext, text, keep);
	ve_toks_free(&t);
}

/* A wrong answer for a free-text gold: another number, or words that do not contain it. */
static void
wrong_answer(const char *gold, uint64_t h, struct ve_buf *out)
{
	long v;

	if (ve_parse_long(gold, -1000000000L, 1000000000L, &v)) {
		/* Another number, which an answer check by substring must not take for gold. */
		for (long w = v + 1 + (long)(h % 9);; w++) {
			ve_buf_reset(out);
			ve_buf_addf(out, "%ld", w);
			if (!strstr(out->p, gold))
				return;
		}
	}
	for (int tries = 0; tries < 8; tries++) {
		ve_buf_reset(out);
		ve_buf_adds(out, "not");
		for (int i = 0; i < 3; i++)
			ve_buf_adds(out, filler[(h >> (8 * i + tries)) % NFILLER]);
		if (!strstr(out->p, gold))
			return;
	}
	ve_buf_reset(out);
	ve_buf_adds(out, "unknown");
}

/*
 * An answer to key item it naming choice idx (for a free-text gold: 0 the
 * gold, 1 the key's wrong answer or else one drawn from h), written in the item's format
 * (vllm-sim(1), Quality model): "B. choice." or "The answer is GOLD." in a
 * sentence, else the letter or the text in "The answer is V.\n#### V",
 * "The final answer is $\boxed{V}$." or "Answer: V", or V as it is (text:
 * no space before it in a completion either, where a function's body
 * carries on the prompt's code).
 */
static void
answer_text(const struct ve_simitem *it, int idx, const char *sp, uint64_t h, struct ve_buf *ans)
{
	struct ve_buf v = {0};

	if (it->nchoices && it->format == VE_SIMFMT_SENTENCE) {
		ve_buf_addf(ans, "%s%c. ", sp, 'A' + idx);
		ve_buf_add(ans, it->choices[idx], it->clen[idx]);
		ve_buf_adds(ans, ".");
		return;
	}
	if (it->nchoices)
		ve_buf_addf(&v, "%c", 'A' + idx);
	else if (idx != 0 && it->wrong_text)
		ve_buf_adds(&v, it->wrong_text);
	else if (idx != 0)
		wrong_answer(it->gold_text, h, &v);
	else
		ve_buf_adds(&v, it->gold_text);
	switch (it->format) {
	case VE_SIMFMT_SENTENCE: ve_buf_addf(ans, "%sThe answer is %s.", sp, v.p); break;
	case VE_SIMFMT_GSM8K: ve_buf_addf(ans, "%sThe answer is %s.\n#### %s", sp, v.p, v.p); break;
	case VE_SIMFMT_BOXED:
		ve_buf_addf(ans, "%sThe final answer is $\\boxed{%s}$.", sp, v.p);
		break;
	case VE_SIMFMT_LETTER: ve_buf_addf(ans, "%sAnswer: %s", sp, v.p); break;
	case VE_SIMFMT_TEXT: ve_buf_add(ans, v.p, v.len); break;
	}
	ve_buf_free(&v);
}

/*
 * The thought a chat answer starts with: --reasoning-tokens tokens (fewer
 * when max tokens in all come first), between "<think>\n" and
 * "\n</think>\n\n" in the content with --reasoning-format tags. For a key
 * item it opens with a wrong answer in the item's format, then takes it
 * back, so that a scorer reading inside the thought is caught; filler words
 * make up the rest.
 */
static void
think(const struct ve_simcfg *cfg, struct ve_simchoice *c, const struct ve_simitem *it, uint64_t h,
      size_t max)
{
	uint64_t seed = cfg->seed ^ h;
	bool tags = cfg->reasoning_tags;

	if (tags)
		gen_append(c, "<think>\n", 8, max, seed);
	size_t end = c->ngt + (size_t)cfg->reasoning_tokens;
	if (end > max)
		end = max;
	if (it) {
		struct ve_buf t = {0};
		int n = it->nchoices;
		/* Never the gold: a choice after it, or a wrong free-text answer. */
		int wrong = n ? (it->gold + 1 + (int)(h % (uint64_t)(n - 1))) % n : 1;
		ve_buf_adds(&t, "Let me think. A first try gives:\n");
		answer_text(it, wrong, "", ve_sim_h3(h, 0x7468696e6bull, 1), &t);
		ve_buf_adds(&t, "\nNo, that is wrong; let me recheck.");
		gen_append(c, t.p, t.len, end, seed);
		ve_buf_free(&t);
	}
	while (c->ngt < end) {
		const char *f = filler[ve_sim_h3(cfg->seed, h ^ 0x7468696e6bull, c->ngt) % NFILLER];
		gen_append(c, f, strlen(f), end, seed);
	}
	if (tags) {
		gen_append(c, "\n</think>\n\n", 11, max, seed);
	} else {
		c->nthink = c->ngt;
		c->think_len = c->gtext.len;
	}
}

/* Letter mode: the first token is the winner's letter, the other letters ranked behind it. */
static void
rank_letters(struct ve_simchoice *c, int nchoices, int winner, const char *sp, uint64_t seed,
             uint64_t h)
{
	int r = 0;

	c->gt[0].kind = LP_LETTERS;
	c->gt[0].lp = -0.05;
	c->nletters = nchoices > 26 ? 26 : nchoices;
	snprintf(c->letters[r], sizeof c->letters[r], "%s%c", sp, 'A' + winner);
	c->letter_lp[r++] = -0.05;
	for (int k = 0; k < c->nletters; k++) {
		if (k == winner)
			continue;
		snprintf(c->letters[r], sizeof c->letters[r], "%s%c", sp, 'A' + k);
		c->letter_lp[r] = -(2.0 + 0.5 * r + ve_sim_u01(ve_sim_h3(seed, h, (uint64_t)k)));
		r++;
	}
}

/* Cuts c's text before the earliest of the stop strings; it then finishes with "stop". */
static void
cut_at_stop(struct ve_simchoice *c, char *const *stops, int nstops)
{
	size_t cut = c->gtext.len;
	int which = -1;

	for (int i = 0; i < nstops; i++) {
		char *f = c->gtext.len
		              ? memmem(c->gtext.p, c->gtext.len, stops[i], strlen(stops[i]))
		              : NULL;
		if (f && (size_t)(f - c->gtext.p) < cut) {
			cut = (size_t)(f - c->gtext.p);
			which = i;
		}
	}
	if (which < 0)
		return;
	size_t k = 0;
	while (k < c->ngt && c->gt[k].off < cut)
		k++;
	c->ngt = k;
	if (k && c->gt[k - 1].off + c->gt[k - 1].len > cut)
		c->gt[k - 1].len = (uint32_t)(cut - c->gt[k - 1].off);
	c->gtext.len = cut;
	c->gtext.p[cut] = '\0';
	c->finish = "stop";
	c->stop_reason = ve_xstrdup(stops[which]);
}

/*
 * Fills c's generated tokens: the thought when the plan thinks, then the
 * answer of the item when the prompt is in the key, filler words otherwise;
 * stops at the natural end unless ignore_eos, at q's max_tokens, or at one
 * of q's stop strings.
 */
static void
generate(const struct ve_simcfg *cfg, const struct ve_simplan *p, struct ve_simchoice *c,
         const struct ve_simitem *it, int winner, uint64_t h, const struct params *q)
{
	uint64_t seed = cfg->seed;
	size_t max_tokens = (size_t)q->max_tokens, natural;
	struct ve_buf ans = {0};
	const char *sp = p->api == VE_SIM_CHAT ? "" : " ";

	if (p->think)
		think(cfg, c, it, h, max_tokens);
	if (it) {
		answer_text(it, winner, sp, h, &ans);
		gen_append(c, ans.p, ans.len, max_tokens, seed ^ h);
		natural = c->ngt;
		ve_buf_free(&ans);
	} else {
		natural = c->ngt + 1 + (size_t)(h % (uint64_t)(2 * cfg->output_len - 1));
	}
	if (p->ignore_eos)
		natural = max_tokens;
	while (c->ngt < max_tokens && c->ngt < natural) {
		const char *f = filler[ve_sim_h3(seed, h, c->ngt) % NFILLER];
		gen_append(c, f, strlen(f), max_tokens, seed ^ h);
	}
	/*
	 * Reaching max_tokens before the end of the text is "length", as in vLLM;
	 * a natural end is the end-of-text token, counted in usage, with no text.
	 */
	c->finish = c->ngt == max_tokens ? "length" : "stop";
	if (c->ngt < max_tokens) {
		c->gt = ve_grow(c->gt, &c->gtcap, c->ngt + 1, sizeof *c->gt);
		c->gt[c->ngt++] = (struct ve_simptok){
		    VE_TOK_EOS, (uint32_t)c->gtext.len, 0, c->gcp, -0.02, LP_GREEDY};
	}
	/* Letter mode ranks the first token: the letter, unless a thought comes first. */
	if (it && it->nchoices && it->format == VE_SIMFMT_SENTENCE && !p->think && c->ngt)
		rank_letters(c, it->nchoices, winner, sp, seed, h);
	cut_at_stop(c, q->stops, q->nstops);
	if (c->nthink > c->ngt)
		c->nthink = c->ngt;
	if (c->think_len > c->gtext.len)
		c->think_len = c->gtext.len;
}

/* ---- reading a request ---- */

/* The field k of req (borrowed); an invalid jv when absent or null. */
static jv
field(jv req, const char *k)
{
	jv v = ve_json_get(req, k);
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

static bool
get_bool(jv req, const char *k, bool *out, struct ve_simerr *e)
{
	jv v = field(req, k);
	jv_kind kind = jv_get_kind(v);

	jv_free(v);
	if (kind == JV_KIND_INVALID)
		return true;
	if (kind != JV_KIND_TRUE && kind != JV_KIND_FALSE)
		return bad(e, k, "%s: Input should be a valid boolean", k);
	*out = kind == JV_KIND_TRUE;
	return true;
}

static bool
get_num(jv req, const char *k, double min, double max, bool integer, double *out, bool *set,
        struct ve_simerr *e)
{
	jv v = field(req, k);
	jv_kind kind = jv_get_kind(v);
	double d = kind == JV_KIND_NUMBER ? jv_number_value(v) : 0;

	jv_free(v);
	if (set)
		*set = false;
	if (kind == JV_KIND_INVALID)
		return true;
	if (kind != JV_KIND_NUMBER || (integer && d != floor(d)))
		return bad(e, k, "%s: Input should be a valid %s", k,
		           integer ? "integer" : "number");
	if (d < min || d > max)
		return bad(e, k, "%s must be in [%g, %g], got %g.", k, min, max, d);
	*out = d;
	if (set)
		*set = true;
	return true;
}

/* The stop strings of req (array of strings or one string) into *stops. */
static bool
get_stops(jv req, char ***stops, int *n, struct ve_simerr *e)
{
	jv v = field(req, "stop");
	bool ok = true;

	if (jv_get_kind(v) == JV_KIND_STRING) {
		*stops = ve_xcalloc(1, sizeof **stops);
		(*stops)[(*n)++] = ve_json_strdup(v, NULL);
	} else if (jv_get_kind(v) == JV_KIND_ARRAY) {
		int len = jv_array_length(jv_copy(v));
		*stops = ve_xcalloc((size_t)(len ? len : 1), sizeof **stops);
		for (int i = 0; i < len && ok; i++) {
			jv s = jv_array_get(jv_copy(v), i);
			if (jv_get_kind(s) != JV_KIND_STRING || ve_json_strlen(s) == 0)
				ok = bad(e, "stop",
				         "stop: Input should be a list of non-empty strings");
			else
				(*stops)[(*n)++] = ve_json_strdup(s, NULL);
			jv_free(s);
		}
	} else if (jv_get_kind(v) != JV_KIND_INVALID) {
		ok = bad(e, "stop", "stop: Input should be a valid string or list of strings");
	}
	jv_free(v);
	return ok;
}

/* The chat template: ChatML, over the text of each message. */
static bool
chat_prompt(jv msgs, struct ve_buf *out, struct ve_simerr *e)
{
	int n = jv_get_kind(msgs) == JV_KIND_ARRAY ? jv_array_length(jv_copy(msgs)) : -1;
	bool ok = true;

	if (n <= 0)
		return bad(e, "messages", "messages: Input should be a non-empty list");
	for (int i = 0; i < n && ok; i++) {
		jv m = jv_array_get(jv_copy(msgs), i);
		jv role = jv_get_kind(m) == JV_KIND_OBJECT ? field(m, "role") : jv_invalid();
		jv content = jv_get_kind(m) == JV_KIND_OBJECT ? field(m, "content") : jv_invalid();
		if (jv_get_kind(role) != JV_KIND_STRING) {
			ok = bad(e, "messages", "messages[%d]: a message needs a \"role\" string",
			         i);
		} else {
			ve_buf_adds(out, "<|im_start|>");
			ve_buf_adds(out, jv_string_value(role));
			ve_buf_addc(out, '\n');
			if (jv_get_kind(content) == JV_KIND_STRING) {
				ve_buf_add(out, jv_string_value(content), ve_json_strlen(content));
			} else if (jv_get_kind(content) == JV_KIND_ARRAY) {
				int np = jv_array_length(jv_copy(content));
				for (int j = 0; j < np; j++) {
					jv part = jv_array_get(jv_copy(content), j);
					jv t = jv_get_kind(part) == JV_KIND_OBJECT
					           ? field(part, "text")
					           : jv_invalid();
					if (jv_get_kind(t) == JV_KIND_STRING)
						ve_buf_add(out, jv_string_value(t),
						           ve_json_strlen(t));
					jv_free(t);
					jv_free(part);
				}
			} else if (jv_get_kind(content) != JV_KIND_INVALID) {
				ok = bad(
				    e, "messages",
				    "messages[%d]: \"content\" must be a string or a list of parts",
				    i);
			}
			ve_buf_adds(out, "<|im_end|>\n");
		}
		jv_free(role);
		jv_free(content);
		jv_free(m);
	}
	ve_buf_adds(out, "<|im_start|>assistant\n");
	return ok;
}

/* Splits a completions prompt (borrowed) into choices. */
static bool
completion_prompts(const struct ve_simcfg *cfg, jv prompt, const struct preread *pre,
                   struct ve_simplan *p, struct ve_simerr *e)
{
	jv_kind k = jv_get_kind(prompt);
	size_t max_len = (size_t)cfg->max_model_len;

	/* A pre-read prompt is one the branches below accept: a string or a list of ids. */
	if (pre) {
		p->c = ve_xcalloc(1, sizeof *p->c);
		p->nc = 1;
		if (pre->is_text)
			prompt_from_text(&p->c[0], pre->text.p, pre->text.len, max_len);
		else
			prompt_from_id_list(&p->c[0], pre->ids, pre->nids, max_len);
		return true;
	}
	if (k == JV_KIND_STRING) {
		if (ve_json_strlen(prompt) == 0)
			return bad(e, "prompt", "The prompt cannot be empty.");
		p->c = ve_xcalloc(1, sizeof *p->c);
		p->nc = 1;
		prompt_from_text(&p->c[0], jv_string_value(prompt), ve_json_strlen(prompt),
		                 max_len);
		return true;
	}
	if (k != JV_KIND_ARRAY)
		return bad(e, "prompt",
		           k == JV_KIND_INVALID
		               ? "Either prompt or prompt_embeds must be provided."
		               : "prompt: Input should be a string, a list of strings "
		                 "or a list of token ids");
	int n = jv_array_length(jv_copy(prompt));
	if (n == 0)
		return bad(e, "prompt", "The prompt cannot be empty.");
	jv first = jv_array_get(jv_copy(prompt), 0);
	jv_kind fk = jv_get_kind(first);
	jv_free(first);
	if (fk == JV_KIND_NUMBER) {
		p->c = ve_xcalloc(1, sizeof *p->c);
		p->nc = 1;
		return prompt_from_ids(&p->c[0], prompt, max_len, e);
	}
	/* vLLM takes any number; a bound keeps one request's cost (vllm-sim(1), LIMITS). */
	if (n > cfg->max_prompts)
		return bad(e, "prompt", "prompt: at most %ld prompts per request, got %d.",
		           cfg->max_prompts, n);
	p->c = ve_xcalloc((size_t)n, sizeof *p->c);
	for (int i = 0; i < n; i++) {
		jv el = jv_array_get(jv_copy(prompt), i);
		bool ok = true;
		p->nc++;
		if (jv_get_kind(el) == JV_KIND_STRING && ve_json_strlen(el) > 0)
			prompt_from_text(&p->c[i], jv_string_value(el), ve_json_strlen(el),
			                 max_len);
		else if (jv_get_kind(el) == JV_KIND_ARRAY && jv_array_length(jv_copy(el)) > 0)
			ok = prompt_from_ids(&p->c[i], el, max_len, e);
		else
			ok = bad(e, "prompt",
			         "prompt[%d]: expected a non-empty string or list of token ids", i);
		jv_free(el);
		if (!ok)
			return false;
	}
	return true;
}

/* Fills e with vLLM's answer to a request that names another model. */
static bool
no_such_model(struct ve_simerr *e, const char *name)
{
	e->status = 404;
	e->type = "NotFoundError";
	e->param = "model";
	snprintf(e->msg, sizeof e->msg, "The model `%s` does not exist.", name);
	return false;
}

/* stream_options: only with stream; include_usage defaults to true, as in vLLM's StreamOptions. */
static bool
read_stream_options(jv req, struct ve_simplan *p, struct ve_simerr *e)
{
	jv v = field(req, "stream_options");
	bool ok = true;

	if (jv_get_kind(v) == JV_KIND_INVALID) {
		ok = true;
	} else if (!p->stream) {
		ok = bad(e, "stream_options",
		         "Stream options can only be defined when `stream=True`.");
	} else {
		p->include_usage = true;
		if (jv_get_kind(v) != JV_KIND_OBJECT ||
		    !get_bool(v, "include_usage", &p->include_usage, e))
			ok = bad(e, "stream_options",
			         "stream_options: Input should be a valid object");
	}
	jv_free(v);
	return ok;
}

/* What completions and chat requests share: the model, streaming, echo, sampling, stop strings. */
static bool
read_common(const struct ve_simcfg *cfg, jv req, struct ve_simplan *p, struct params *q,
            struct ve_simerr *e)
{
	double n = 1;

	if (jv_get_kind(req) != JV_KIND_OBJECT)
		return bad(e, NULL, "The request body must be a JSON object.");
	jv v = field(req, "model");
	if (jv_get_kind(v) != JV_KIND_INVALID &&
	    (jv_get_kind(v) != JV_KIND_STRING || strcmp(jv_string_value(v), cfg->model) != 0)) {
		no_such_model(e, jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "?");
		jv_free(v);
		return false;
	}
	jv_free(v);
	return get_bool(req, "stream", &p->stream, e) && get_bool(req, "echo", &p->echo, e) &&
	       get_bool(req, "ignore_eos", &p->ignore_eos, e) &&
	       get_num(req, "temperature", 0, 1e6, false, &q->temperature, NULL, e) &&
	       get_num(req, "top_p", 1e-9, 1, false, &q->top_p, NULL, e) &&
	       get_num(req, "seed", -9.2e18, 9.2e18, true, &q->seed, NULL, e) &&
	       get_num(req, "n", 1, 1, true, &n, NULL, e) &&
	       get_stops(req, &q->stops, &q->nstops, e) && read_stream_options(req, p, e);
}

/* A completions request's prompt (one or a batch), max_tokens (default 16) and logprobs. */
static bool
read_completions(const struct ve_simcfg *cfg, jv req, struct ve_simplan *p, struct params *q,
                 struct ve_simerr *e)
{
	double lp = 0;
	bool has_max = false, has_lp = false;
	jv v = field(req, "prompt");
	bool ok = completion_prompts(cfg, v, q->pre, p, e);

	jv_free(v);
	if (!ok || !get_num(req, "max_tokens", 0, 1e9, true, &q->max_tokens, &has_max, e) ||
	    !get_num(req, "logprobs", 0, VE_SIM_MAX_LOGPROBS, true, &lp, &has_lp, e))
		return false;
	if (has_lp)
		p->logprobs = (int)lp;
	if (!has_max)
		q->max_tokens = 16;
	if (q->max_tokens == 0 && !p->echo)
		return bad(e, "max_tokens", "max_tokens must be at least 1, got 0.");
	return true;
}

/*
 * A chat request's messages (through the chat template), logprobs and
 * top_logprobs, and max_completion_tokens or max_tokens (default: the rest
 * of the context).
 */
static bool
read_chat(const struct ve_simcfg *cfg, jv req, struct ve_simplan *p, struct params *q,
          struct ve_simerr *e)
{
	struct ve_buf t = {0};
	double lp = 0;
	bool has_max = false, has_lp = false, chat_lp = false;
	jv v = field(req, "messages");
	bool ok = chat_prompt(v, &t, e);

	jv_free(v);
	if (ok) {
		p->c = ve_xcalloc(1, sizeof *p->c);
		p->nc = 1;
		prompt_from_text(&p->c[0], t.p, t.len, (size_t)cfg->max_model_len);
	}
	ve_buf_free(&t);
	if (!ok || !get_bool(req, "logprobs", &chat_lp, e) ||
	    !get_num(req, "top_logprobs", 0, VE_SIM_MAX_LOGPROBS, true, &lp, &has_lp, e) ||
	    !get_num(req, "max_completion_tokens", 1, 1e9, true, &q->max_tokens, &has_max, e))
		return false;
	if (!has_max && !get_num(req, "max_tokens", 1, 1e9, true, &q->max_tokens, &has_max, e))
		return false;
	if (has_lp && lp > 0 && !chat_lp)
		return bad(e, "top_logprobs",
		           "when using `top_logprobs`, `logprobs` must be set to true.");
	p->chat_lp = chat_lp;
	p->top_logprobs = has_lp ? (int)lp : 0;
	/* As Qwen3's template: thinking unless chat_template_kwargs.enable_thinking is false. */
	jv kw = field(req, "chat_template_kwargs");
	jv on = ve_json_get(kw, "enable_thinking");
	p->think = cfg->reasoning_tokens > 0 && jv_get_kind(on) != JV_KIND_FALSE;
	p->split = p->think && !cfg->reasoning_tags;
	jv_free(on);
	jv_free(kw);
	if (!has_max)
		q->max_tokens = (double)cfg->max_model_len - (double)p->c[0].npt;
	return true;
}

/*
 * Each prompt must be shorter than --max-model-len, whatever max_tokens
 * (a chat's default may then be negative), and fit it with its max_tokens;
 * vLLM's two messages otherwise, checked prompt by prompt.
 */
static bool
fits_context(const struct ve_simcfg *cfg, const struct ve_simplan *p, double maxt,
             struct ve_simerr *e)
{
	long len = cfg->max_model_len;

	for (int i = 0; i < p->nc; i++) {
		size_t np = p->c[i].npt;
		if (np >= (size_t)len)
			return bad(
			    e, NULL,
			    "This model's maximum context length is %ld tokens. However, your "
			    "request has %zu input tokens. Please reduce the length of the "
			    "input messages.",
			    len, np);
		if ((double)np + maxt <= (double)len)
			continue;
		return bad(
		    e, NULL,
		    "'max_tokens' or 'max_completion_tokens' is too large: %.0f. This model's "
		    "maximum context length is %ld tokens and your request has %zu input "
		    "tokens (%.0f > %ld - %zu).",
		    maxt, len, np, maxt, len, np);
	}
	return true;
}

/*
 * Which answer a key item gets, drawn from the seed and the item's id: right
 * with probability --accuracy. A share --churn of the items (chosen by
 * --churn-seed) draws from --churn-seed instead: two releases of one seed
 * and accuracy then agree on all but those, as a model's next release
 * changes some answers. With choices, the index of the one given (the gold
 * one when right, another otherwise); without, 0 right and 1 wrong.
 */
static int
pick_winner(const struct ve_simcfg *cfg, const struct ve_simitem *it)
{
	uint64_t ih = hstr(cfg->seed, it->id, strlen(it->id));
	double u = ve_sim_u01(ve_sim_h3(cfg->seed, ih, 1));

	if (cfg->churn > 0) {
		uint64_t cs = (uint64_t)cfg->churn_seed, ch = hstr(cs, it->id, strlen(it->id));
		if (ve_sim_u01(ve_sim_h3(cs, ch, 3)) < cfg->churn)
			u = ve_sim_u01(ve_sim_h3(cs, ch, 1));
	}
	bool right = u < cfg->accuracy;

	if (!it->nchoices)
		return right ? 0 : 1;
	if (right)
		return it->gold;
	int j = (int)(ve_sim_h3(cfg->seed, ih, 2) % (uint64_t)(it->nchoices - 1));
	return j < it->gold ? j : j + 1;
}

/* Generates each choice from the seeds, the answer key and the request's limits. */
static void
plan_generate(const struct ve_simcfg *cfg, struct ve_simplan *p, const struct params *q)
{
	uint64_t seed = cfg->seed ^ (uint64_t)(int64_t)q->seed * 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < p->nc; i++) {
		struct ve_simchoice *c = &p->c[i];
		const struct ve_simitem *it = ve_simkey_find(cfg->key, c->ptext.p, c->ptext.len);
		int winner = it ? pick_winner(cfg, it) : 0;
		if (p->api == VE_SIM_COMPLETIONS && p->echo && p->logprobs >= 0)
			prompt_logprobs(cfg->seed, c, it, winner);
		generate(cfg, p, c, it, winner, hstr(seed, c->ptext.p, c->ptext.len), q);
		p->prompt_tokens += c->npt;
		p->completion_tokens += c->ngt;
		if (c->ngt > p->max_gen)
			p->max_gen = c->ngt;
	}
}

/*
 * Whether body holds more JSON objects and arrays than a request may: one
 * per prompt (--max-prompts) and VE_SIM_MAX_CONTAINERS more. libjq spends
 * some 300 bytes on each, so a body of nothing but "[1]," would cost eighty
 * times its size; the count is taken before parsing. e filled when it does.
 */
static bool
too_many_containers(const struct ve_simcfg *cfg, const char *body, size_t len, struct ve_simerr *e)
{
	size_t max = (size_t)cfg->max_prompts + VE_SIM_MAX_CONTAINERS, n = 0;
	bool str = false;

	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
		} else if (c == '"') {
			str = true;
		} else if ((c == '[' || c == '{') && ++n > max) {
			return !bad(e, NULL,
			            "The request body holds more than %zu JSON objects and arrays.",
			            max);
		}
	}
	return false;
}

/*
 * Reading a body's prompt without libjq. llm-query's loglikelihood
 * requests are mostly a prompt (a /tokenize's text, then the text's ids)
 * and libjq's parse of it, a value per id, cost more than the rest of the
 * request. So the top-level "prompt" of a body is read here when it is a
 * non-empty list of plain token ids or a string of plain characters, and
 * libjq parses the body with null in its place; anything else (escapes by
 * \u, controls, invalid UTF-8, numbers that are not plain digits, a key
 * with an escape, "prompt" twice, a body libjq refuses) is left to libjq
 * whole, as before, so the answers and their errors are the same.
 * VLLM_SIM_SCAN=0 turns this off (vllm-sim(1), ENVIRONMENT).
 */

static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* The end of the string that opens at s[i] ('"'), past its quote; 0 when it does not end. */
static size_t
skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return 0;
}

/* The end of the value at s[i], its brackets matched outside strings; 0 when it does not end. */
static size_t
skip_value(const char *s, size_t i, size_t n)
{
	size_t depth = 0;

	for (; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			if (!(i = skip_string(s, i, n)))
				return 0;
			i--;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			if (!depth)
				return i;
			depth--;
		} else if (!depth &&
		           (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			return i;
		}
		if (!depth && (c == ']' || c == '}' || c == '"'))
			return i + 1;
	}
	return depth ? 0 : i;
}

/*
 * The span [*a, *z) of the value of the one top-level key "prompt" of the
 * object body[0..n); false when there is none, or when the body is not
 * plainly an object with such a key.
 */
static bool
prompt_span(const char *s, size_t n, size_t *a, size_t *z)
{
	size_t i = skip_ws(s, 0, n);
	bool found = false;

	if (i >= n || s[i] != '{')
		return false;
	i = skip_ws(s, i + 1, n);
	if (i < n && s[i] == '}')
		return false;
	for (;;) {
		if (i >= n || s[i] != '"')
			return false;
		size_t k = i + 1, ke = skip_string(s, i, n);
		if (!ke || memchr(s + k, '\\', ke - 1 - k))
			return false;
		bool is_prompt = ke - 1 - k == 6 && memcmp(s + k, "prompt", 6) == 0;
		i = skip_ws(s, ke, n);
		if (i >= n || s[i] != ':')
			return false;
		i = skip_ws(s, i + 1, n);
		size_t end = skip_value(s, i, n);
		if (!end || end == i || (is_prompt && found))
			return false;
		if (is_prompt) {
			*a = i;
			*z = end;
			found = true;
		}
		i = skip_ws(s, end, n);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, i + 1, n);
			continue;
		}
		if (i >= n || s[i] != '}')
			return false;
		return found && skip_ws(s, i + 1, n) == n;
	}
}

/* s[0..n) as a non-empty JSON list of token ids in plain digits into pre; false when it is not. */
static bool
read_ids(const char *s, size_t n, struct preread *pre)
{
	size_t i = skip_ws(s, 1, n), cap = 0;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return false;
	for (;;) {
		uint64_t v = 0;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - d < 10)
			v = v * 10 + (uint64_t)(s[i++] - '0');
		/* No leading zeros, as JSON has none; no sign, fraction or exponent. */
		if (i == d || (s[d] == '0' && i - d > 1) || v > VE_TOK_EOS)
			return false;
		pre->ids = ve_grow(pre->ids, &cap, pre->nids + 1, sizeof *pre->ids);
		pre->ids[pre->nids++] = (uint32_t)v;
		i = skip_ws(s, i, n);
		if (i == n - 1)
			return true;
		if (s[i] != ',')
			return false;
		i = skip_ws(s, i + 1, n);
	}
}

/*
 * s[0..n) as a non-empty JSON string of valid UTF-8 without controls or
 * \u escapes into pre's text; false when it is not.
 */
static bool
read_text(const char *s, size_t n, struct preread *pre)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t run = 1;

	if (n < 3 || s[0] != '"' || s[n - 1] != '"')
		return false;
	ve_buf_grow(&pre->text, n);
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"')
			return false;
		if (c != '\\')
			continue;
		const char *f = i + 1 < n - 1 ? strchr(from, s[i + 1]) : NULL;
		if (!f || !*f)
			return false;
		ve_buf_add(&pre->text, s + run, i - run);
		ve_buf_addc(&pre->text, to[f - from]);
		run = ++i + 1;
	}
	ve_buf_add(&pre->text, s + run, n - 1 - run);
	pre->is_text = true;
	return ve_utf8_invalid_at(pre->text.p, pre->text.len) < 0;
}

static void
preread_free(struct preread *pre)
{
	free(pre->ids);
	ve_buf_free(&pre->text);
	*pre = (struct preread){0};
}

/*
 * libjq's parse of body with its prompt read into pre (ids only when
 * ids_ok) and null in its place; an invalid jv, and pre empty, when the
 * prompt is not one read_prompt takes or the body so changed does not
 * parse.
 */
static jv
read_prompt(const char *body, size_t len, bool ids_ok, struct preread *pre)
{
	size_t a = 0, z = 0;
	struct ve_buf b = {0};
	jv req = jv_invalid();

	if (!prompt_span(body, len, &a, &z))
		return req;
	if (body[a] == '"' ? read_text(body + a, z - a, pre)
	                   : ids_ok && read_ids(body + a, z - a, pre)) {
		ve_buf_grow(&b, len - (z - a) + 4);
		ve_buf_add(&b, body, a);
		ve_buf_add(&b, "null", 4);
		ve_buf_add(&b, body + z, len - z);
		req = jv_parse_sized(b.p, (int)b.len);
		ve_buf_free(&b);
	}
	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		jv_free(req);
		req = jv_invalid();
		preread_free(pre);
	}
	return req;
}

/*
 * Parses body as JSON; an invalid jv with e filled when it is not. With
 * pre, its prompt may be read into pre instead (read_prompt).
 */
static jv
parse_body(const struct ve_simcfg *cfg, const char *body, size_t len, struct preread *pre,
           struct ve_simerr *e)
{
	if (len > INT_MAX) {
		bad(e, NULL, "The request body is too large.");
		return jv_invalid();
	}
	if (too_many_containers(cfg, body, len, e))
		return jv_invalid();
	if (pre && !cfg->jq_only) {
		jv fast = read_prompt(body, len, true, pre);
		if (jv_is_valid(fast))
			return fast;
	}
	jv req = jv_parse_sized(body ? body : "", (int)len);
	if (!jv_is_valid(req)) {
		jv msg = jv_invalid_get_msg(req);
		bad(e, NULL, "JSON decode error: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "empty body");
		jv_free(msg);
		return jv_invalid();
	}
	return req;
}

/*
 * The request is read and checked in vLLM's order, then generated; the
 * server numbers it and gives it its fault.
 */
struct ve_simplan *
ve_simplan_build(const struct ve_simcfg *cfg, int api, const char *body, size_t len,
                 struct ve_simerr *e)
{
	struct preread pre = {0};
	jv req = parse_body(cfg, body, len, api == VE_SIM_COMPLETIONS ? &pre : NULL, e);
	if (!jv_is_valid(req))
		return NULL;
	struct ve_simplan *p = ve_xcalloc(1, sizeof *p);
	struct params q = {.pre = pre.ids || pre.is_text ? &pre : NULL};

	p->api = api;
	p->model = cfg->model;
	p->seed = cfg->seed;
	p->logprobs = -1;
	p->created = (long)time(NULL);
	/* Without a reasoning mode, the message's null field as vLLM 0.11 named it. */
	p->rfield = cfg->reasoning_tokens > 0 ? cfg->reasoning_field : "reasoning_content";
	bool ok = read_common(cfg, req, p, &q, e) &&
	          (api == VE_SIM_COMPLETIONS ? read_completions(cfg, req, p, &q, e)
	                                     : read_chat(cfg, req, p, &q, e)) &&
	          fits_context(cfg, p, q.max_tokens, e);
	jv_free(req);
	if (ok)
		plan_generate(cfg, p, &q);
	for (int i = 0; i < q.nstops; i++)
		free(q.stops[i]);
	free(q.stops);
	preread_free(&pre);
	if (!ok) {
		ve_simplan_free(p);
		return NULL;
	}
	return p;
}

void
ve_simplan_number(struct ve_simplan *p, unsigned long long no)
{
	snprintf(p->id, sizeof p->id, "%s-%016llx", p->api == VE_SIM_CHAT ? "chatcmpl" : "cmpl",
	         (unsigned long long)ve_sim_h3(p->seed, no, 'i'));
}

bool
ve_simplan_fault(const struct ve_simcfg *cfg, struct ve_simplan *p, unsigned long long no,
                 struct ve_simerr *e)
{
	uint64_t seed = cfg->seed;
	int code;

	p->rng = ve_sim_h3(seed, no, 'j');
	if (ve_sim_u01(ve_sim_h3(seed, no, 'f')) < cfg->fail_rate) {
		p->fault = VE_SIM_FAULT_FAIL;
		p->fail_code =
		    cfg->fail_codes[ve_sim_h3(seed, no, 'c') % (uint64_t)cfg->nfail_codes];
	} else if (ve_sim_u01(ve_sim_h3(seed, no, 'd')) < cfg->drop_rate) {
		p->fault = VE_SIM_FAULT_DROP;
		p->drop_at = p->max_gen >= 2 ? 1 + ve_sim_h3(seed, no, 'a') % (p->max_gen - 1) : 0;
	} else if (ve_sim_u01(ve_sim_h3(seed, no, 's')) < cfg->stall_rate) {
		p->fault = VE_SIM_FAULT_STALL;
	}
	if (p->fault != VE_SIM_FAULT_FAIL)
		return false;
	code = p->fail_code;
	*e = (struct ve_simerr){code,
	                        code == 429   ? "RateLimitError"
	                        : code == 503 ? "ServiceUnavailableError"
	                        : code == 500 ? "InternalServerError"
	                                      : "ServerError",
	                        "", NULL};
	snprintf(e->msg, sizeof e->msg, "Simulated failure (status %d).", code);
	return true;
}

/* ---- writing responses ---- */

/*
 * A number as "%.9g" writes it, and an unsigned integer, written in place
 * (the formatter's NUL keeps the buffer terminated). An echoed prompt
 * writes some six numbers a token: printf was most of vllm-sim's time.
 */
static void
add_num(struct ve_buf *b, double v)
{
	ve_buf_grow(b, VE_FMT_G9_SIZE);
	b->len += ve_fmt_g9(b->p + b->len, v);
}

static void
add_uint(struct ve_buf *b, uint64_t v)
{
	ve_buf_grow(b, VE_FMT_U64_SIZE);
	b->len += ve_fmt_u64(b->p + b->len, v);
}

static void
add_str(struct ve_buf *b, const char *s)
{
	ve_buf_add_json_str(b, s, strlen(s));
}

/* One entry of a top-logprobs list. */
struct topent {
	const char *s;
	size_t n;
	double lp;
};

/* The string a token shows in logprobs: its text, or the end-of-text token's name. */
static void
tok_text(const char *text, const struct ve_simptok *t, const char **s, size_t *n)
{
	if (t->id == VE_TOK_EOS) {
		*s = VE_TOK_EOS_TEXT;
		*n = strlen(VE_TOK_EOS_TEXT);
	} else {
		*s = text + t->off;
		*n = t->len;
	}
}

static bool
top_has(const struct topent *t, int n, const char *s, size_t len)
{
	for (int i = 0; i < n; i++)
		if (t[i].n == len && memcmp(t[i].s, s, len) == 0)
			return true;
	return false;
}

/* Appends filler alternatives below lp until the list holds want entries. */
static int
top_fill(struct topent *t, int n, int want, double lp, uint64_t h)
{
	for (int j = 0; n < want && j < NFILLER; j++) {
		const char *f = filler[(h + (uint64_t)j) % NFILLER];
		if (top_has(t, n, f, strlen(f)))
			continue;
		t[n] = (struct topent){f, strlen(f), lp - 1.0 - 0.5 * n};
		n++;
	}
	return n;
}

/*
 * The top-k list of token t (text in text), in descending order: the token
 * itself first when it is the greedy choice; one alternative above it
 * otherwise (so k + 1 entries, as vLLM adds the sampled token to the top k);
 * the letters for a letter-mode answer.
 */
static int
top_list(const struct ve_simchoice *c, const char *text, const struct ve_simptok *t, size_t pos,
         int k, uint64_t seed, struct topent *out)
{
	uint64_t h = ve_sim_h3(seed, t->id, pos);
	int n = 0;

	if (t->kind == LP_LETTERS) {
		for (int i = 0; i < c->nletters && n < (k ? k : 1); i++)
			out[n++] =
			    (struct topent){c->letters[i], strlen(c->letters[i]), c->letter_lp[i]};
		return top_fill(out, n, k, -8.0, h);
	}
	if (t->kind == LP_BEHIND && k > 0) {
		n = top_fill(out, 0, 1, t->lp, h);
		const char *ts;
		size_t tn;
		tok_text(text, t, &ts, &tn);
		if (n && out[0].n == tn && memcmp(out[0].s, ts, tn) == 0)
			n = top_fill(out, 0, 1, t->lp, h + 1);
		out[0].lp = t->lp * 0.3;
	}
	tok_text(text, t, &out[n].s, &out[n].n);
	out[n++].lp = t->lp;
	return top_fill(out, n, k > n ? k : n, t->lp, h);
}

/* The lists of vLLM's CompletionLogProbs, in its order. */
enum { LIST_OFFSET, LIST_LOGPROB, LIST_TOKEN, LIST_TOP, NLISTS };
static const char *const list_head[NLISTS] = {"{\"text_offset\":[", "],\"token_logprobs\":[",
                                              "],\"tokens\":[", "],\"top_logprobs\":["};

/*
 * One of the lists for the prompt's np tokens then generated tokens
 * [from, to) of c. The prompt's first token has no logprob (null). Each
 * list is written straight into b, token by token, one list after the
 * other: a pass over the tokens is cheaper than a buffer per list copied
 * again at the end.
 */
static void
lp_list(const struct ve_simplan *p, const struct ve_simchoice *c, int list, size_t np, size_t from,
        size_t to, uint32_t pcp, uint64_t seed, struct ve_buf *b)
{
	struct topent top[VE_SIM_MAX_LOGPROBS + 2];
	size_t n = np + to - from;

	for (size_t j = 0; j < n; j++) {
		bool prompt = j < np;
		size_t i = prompt ? j : from + j - np;
		const struct ve_simptok *t = prompt ? &c->pt[i] : &c->gt[i];
		const char *text = prompt ? c->ptext.p : c->gtext.p;
		const char *ts;
		size_t tn;
		if (j)
			ve_buf_addc(b, ',');
		if (list == LIST_OFFSET) {
			add_uint(b, (prompt ? 0 : pcp) + t->cp);
			continue;
		}
		if (list == LIST_TOKEN) {
			tok_text(text, t, &ts, &tn);
			ve_buf_add_json_str(b, ts, tn);
			continue;
		}
		if (prompt && i == 0) {
			ve_buf_add(b, "null", 4);
			continue;
		}
		if (list == LIST_LOGPROB) {
			add_num(b, t->lp);
			continue;
		}
		int nt = top_list(c, text, t, prompt ? i : c->npt + i, p->logprobs, seed, top);
		ve_buf_addc(b, '{');
		for (int k = 0; k < nt; k++) {
			if (k)
				ve_buf_addc(b, ',');
			ve_buf_add_json_str(b, top[k].s, top[k].n);
			ve_buf_addc(b, ':');
			add_num(b, top[k].lp);
		}
		ve_buf_addc(b, '}');
	}
}

/*
 * Completions logprobs for generated tokens [from, to) of c, with the
 * prompt's tokens first when with_prompt (echo).
 */
static void
completion_lp(const struct ve_simplan *p, const struct ve_simchoice *c, bool with_prompt,
              size_t from, size_t to, uint64_t seed, struct ve_buf *b)
{
	uint32_t pcp = p->echo ? (uint32_t)ve_utf8_count(c->ptext.p, c->ptext.len) : 0;

	for (int l = 0; l < NLISTS; l++) {
		ve_buf_adds(b, list_head[l]);
		lp_list(p, c, l, with_prompt ? c->npt : 0, from, to > from ? to : from, pcp, seed,
		        b);
	}
	ve_buf_adds(b, "]}");
}

static void
add_bytes(struct ve_buf *b, const char *s, size_t n)
{
	ve_buf_adds(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			ve_buf_addc(b, ',');
		add_uint(b, (unsigned char)s[i]);
	}
	ve_buf_adds(b, "]");
}

/* Chat logprobs {"content":[...]} for generated tokens [from, to). */
static void
chat_lp(const struct ve_simplan *p, const struct ve_simchoice *c, size_t from, size_t to,
        uint64_t seed, struct ve_buf *b)
{
	struct topent top[VE_SIM_MAX_LOGPROBS + 2];

	ve_buf_adds(b, "{\"content\":[");
	for (size_t i = from; i < to; i++) {
		const struct ve_simptok *t = &c->gt[i];
		ve_buf_adds(b, i > from ? ",{\"token\":" : "{\"token\":");
		const char *ts;
		size_t tn;
		tok_text(c->gtext.p, t, &ts, &tn);
		ve_buf_add_json_str(b, ts, tn);
		ve_buf_adds(b, ",\"logprob\":");
		add_num(b, t->lp);
		ve_buf_adds(b, ",\"bytes\":");
		add_bytes(b, ts, tn);
		ve_buf_adds(b, ",\"top_logprobs\":[");
		int n = p->top_logprobs
		            ? top_list(c, c->gtext.p, t, c->npt + i, p->top_logprobs, seed, top)
		            : 0;
		if (n > p->top_logprobs)
			n = p->top_logprobs;
		for (int j = 0; j < n; j++) {
			ve_buf_adds(b, j ? ",{\"token\":" : "{\"token\":");
			ve_buf_add_json_str(b, top[j].s, top[j].n);
			ve_buf_adds(b, ",\"logprob\":");
			add_num(b, top[j].lp);
			ve_buf_adds(b, ",\"bytes\":");
			add_bytes(b, top[j].s, top[j].n);
			ve_buf_adds(b, "}");
		}
		ve_buf_adds(b, "]}");
	}
	ve_buf_adds(b, "]}");
}

static void
add_usage(struct ve_buf *b, const struct ve_simplan *p, bool details)
{
	ve_buf_addf(b, "{\"prompt_tokens\":%zu,\"total_tokens\":%zu,\"completion_tokens\":%zu%s}",
	            p->prompt_tokens, p->prompt_tokens + p->completion_tokens, p->completion_tokens,
	            details ? ",\"prompt_tokens_details\":null" : "");
}

static void
add_head(struct ve_buf *b, const struct ve_simplan *p, const char *object)
{
	ve_buf_adds(b, "{\"id\":");
	add_str(b, p->id);
	ve_buf_addf(b, ",\"object\":\"%s\",\"created\":%ld,\"model\":", object, p->created);
	add_str(b, p->model);
}

static void
add_stop_reason(struct ve_buf *b, const struct ve_simchoice *c)
{
	ve_buf_adds(b, ",\"stop_reason\":");
	if (c->stop_reason)
		add_str(b, c->stop_reason);
	else
		ve_buf_adds(b, "null");
}

/*
 * Appends c's generated text [a, z) as a JSON string; null when it is empty
 * and null_if_empty (a split message's missing content or thought, as vLLM's
 * reasoning parser leaves them).
 */
static void
add_text(struct ve_buf *b, const struct ve_simchoice *c, size_t a, size_t z, bool null_if_empty)
{
	if (z <= a && null_if_empty)
		ve_buf_adds(b, "null");
	else
		ve_buf_add_json_str(b, c->gtext.p && z > a ? c->gtext.p + a : "",
		                    z > a ? z - a : 0);
}

/*
 * A chat chunk's delta for bytes [a, z) of tokens [from, to): the thought's
 * part in the reasoning field and the rest in "content", each only when the
 * tokens have it, as vLLM's parser streams them (a delta of the thought
 * alone has no "content").
 */
static void
add_delta(struct ve_buf *b, const struct ve_simplan *p, const struct ve_simchoice *c, size_t from,
          size_t to, size_t a, size_t z)
{
	size_t nt = p->split ? c->nthink : 0, tb = p->split ? c->think_len : 0;
	bool has_r = from < nt, has_c = !has_r || to > nt;

	ve_buf_adds(b, "\"delta\":{");
	if (has_r) {
		add_str(b, p->rfield);
		ve_buf_adds(b, ":");
		add_text(b, c, a, z < tb ? z : tb, false);
	}
	if (has_c) {
		ve_buf_adds(b, has_r ? ",\"content\":" : "\"content\":");
		add_text(b, c, a > tb ? a : tb, z, false);
	}
	ve_buf_adds(b, "}");
}

void
ve_simplan_body(const struct ve_simplan *p, struct ve_buf *b)
{
	uint64_t seed = p->seed;
	bool chat = p->api == VE_SIM_CHAT;

	add_head(b, p, chat ? "chat.completion" : "text_completion");
	ve_buf_adds(b, ",\"choices\":[");
	for (int i = 0; i < p->nc; i++) {
		const struct ve_simchoice *c = &p->c[i];
		ve_buf_addf(b, "%s{\"index\":%d,", i ? "," : "", i);
		if (chat) {
			size_t tb = p->split ? c->think_len : 0;
			ve_buf_adds(b, "\"message\":{\"role\":\"assistant\",\"content\":");
			add_text(b, c, tb, c->gtext.len, p->split);
			ve_buf_adds(b, ",\"refusal\":null,\"annotations\":null,\"audio\":null,"
			               "\"function_call\":null,\"tool_calls\":[],");
			add_str(b, p->rfield);
			ve_buf_adds(b, ":");
			add_text(b, c, 0, tb, true);
			ve_buf_adds(b, "},\"logprobs\":");
			if (p->chat_lp)
				chat_lp(p, c, 0, c->ngt, seed, b);
			else
				ve_buf_adds(b, "null");
		} else {
			ve_buf_adds(b, "\"text\":");
			struct ve_buf t = {0};
			if (p->echo)
				ve_buf_add(&t, c->ptext.p, c->ptext.len);
			ve_buf_add(&t, c->gtext.p, c->gtext.len);
			ve_buf_add_json_str(b, t.p ? t.p : "", t.len);
			ve_buf_free(&t);
			ve_buf_adds(b, ",\"logprobs\":");
			if (p->logprobs >= 0)
				completion_lp(p, c, p->echo, 0, c->ngt, seed, b);
			else
				ve_buf_adds(b, "null");
		}
		ve_buf_adds(b, ",\"finish_reason\":");
		add_str(b, c->finish);
		add_stop_reason(b, c);
		ve_buf_adds(b, chat ? "}" : ",\"prompt_logprobs\":null}");
	}
	/* The fields in the order of vLLM's CompletionResponse and ChatCompletionResponse. */
	ve_buf_adds(b, "],\"service_tier\":null,\"system_fingerprint\":null,\"usage\":");
	add_usage(b, p, true);
	ve_buf_adds(b, chat ? ",\"prompt_logprobs\":null,\"kv_transfer_params\":null}"
	                    : ",\"kv_transfer_params\":null}");
}

void
ve_simplan_chunk(const struct ve_simplan *p, int i, size_t from, size_t to, bool role,
                 struct ve_buf *b)
{
	uint64_t seed = p->seed;
	const struct ve_simchoice *c = &p->c[i];
	bool chat = p->api == VE_SIM_CHAT;
	bool last = !role && to == c->ngt;
	size_t a = from < c->ngt ? c->gt[from].off : c->gtext.len;
	size_t z = to == c->ngt ? c->gtext.len : c->gt[to].off;

	ve_buf_adds(b, "data: ");
	add_head(b, p, chat ? "chat.completion.chunk" : "text_completion");
	ve_buf_addf(b, ",\"choices\":[{\"index\":%d,", i);
	if (chat && role) {
		ve_buf_adds(b,
		            "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
		            "\"finish_reason\":null}]}\n\n");
		return;
	}
	if (chat) {
		add_delta(b, p, c, from, to, a, z);
		ve_buf_adds(b, ",\"logprobs\":");
		if (p->chat_lp)
			chat_lp(p, c, from, to, seed, b);
		else
			ve_buf_adds(b, "null");
	} else {
		struct ve_buf t = {0};
		bool with_prompt = p->echo && from == 0;
		if (with_prompt)
			ve_buf_add(&t, c->ptext.p, c->ptext.len);
		ve_buf_add(&t, c->gtext.p ? c->gtext.p + a : "", z - a);
		ve_buf_adds(b, "\"text\":");
		ve_buf_add_json_str(b, t.p ? t.p : "", t.len);
		ve_buf_free(&t);
		ve_buf_adds(b, ",\"logprobs\":");
		if (p->logprobs >= 0)
			completion_lp(p, c, with_prompt, from, to, seed, b);
		else
			ve_buf_adds(b, "null");
	}
	ve_buf_adds(b, ",\"finish_reason\":");
	if (last) {
		add_str(b, c->finish);
		add_stop_reason(b, c);
	} else {
		ve_buf_adds(b, chat ? "null" : "null,\"stop_reason\":null");
	}
	ve_buf_adds(b, "}]}\n\n");
}

void
ve_simplan_events(const struct ve_simplan *p, size_t from, size_t to, struct ve_buf *b)
{
	for (int i = 0; i < p->nc && from == 0 && p->api == VE_SIM_CHAT; i++)
		ve_simplan_chunk(p, i, 0, 0, true, b);
	for (int i = 0; i < p->nc; i++) {
		size_t n = p->c[i].ngt;
		if (from == 0 || from < n)
			ve_simplan_chunk(p, i, from, to < n ? to : n, false, b);
	}
}

void
ve_simplan_usage(const struct ve_simplan *p, struct ve_buf *b)
{
	ve_buf_adds(b, "data: ");
	add_head(b, p, p->api == VE_SIM_CHAT ? "chat.completion.chunk" : "text_completion");
	ve_buf_adds(b, ",\"choices\":[],\"usage\":");
	add_usage(b, p, false);
	ve_buf_adds(b, "}\n\n");
}

void
ve_simerr_body(const struct ve_simerr *e, struct ve_buf *b)
{
	struct ve_buf msg = {0};

	/*
	 * libjq's parse errors quote the body, whatever its bytes, and a long
	 * message is cut at any byte: what is not UTF-8 becomes U+FFFD.
	 */
	ve_utf8_sanitize(&msg, e->msg, strlen(e->msg));
	ve_buf_adds(b, "{\"error\":{\"message\":");
	ve_buf_add_json_str(b, msg.p ? msg.p : "", msg.len);
	ve_buf_free(&msg);
	ve_buf_adds(b, ",\"type\":");
	add_str(b, e->type);
	ve_buf_adds(b, ",\"param\":");
	if (e->param)
		add_str(b, e->param);
	else
		ve_buf_adds(b, "null");
	ve_buf_addf(b, ",\"code\":%d}}", e->status);
}

/*
 * The body of a tokenizer request as a JSON object into *req (the caller's);
 * bad JSON and a non-object get the same message.
 */
static bool
parse_object(const struct ve_simcfg *cfg, const char *body, size_t len, jv *req,
             struct preread *pre, struct ve_simerr *e)
{
	*req = jv_invalid();
	if (len > INT_MAX)
		return bad(e, NULL, "The request body is too large.");
	if (too_many_containers(cfg, body, len, e))
		return false;
	/* /tokenize's prompt is a string: a list there is left to libjq. */
	if (pre && !cfg->jq_only) {
		*req = read_prompt(body, len, false, pre);
		if (jv_is_valid(*req))
			return true;
	}
	*req = jv_parse_sized(body ? body : "", (int)len);
	return jv_get_kind(*req) == JV_KIND_OBJECT ||
	       bad(e, NULL, "The request body must be a JSON object.");
}

/* The answer of /tokenize to the tokens t of text. */
static void
tokenize_answer(const struct ve_simcfg *cfg, const char *text, const struct ve_toks *t, bool strs,
                struct ve_buf *b)
{
	ve_buf_addf(b, "{\"count\":%zu,\"max_model_len\":%ld,\"tokens\":[", t->n,
	            cfg->max_model_len);
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			ve_buf_addc(b, ',');
		add_uint(b, t->v[i].id);
	}
	ve_buf_adds(b, "],\"token_strs\":");
	if (strs) {
		ve_buf_addc(b, '[');
		for (size_t i = 0; i < t->n; i++) {
			if (i)
				ve_buf_addc(b, ',');
			ve_buf_add_json_str(b, text + t->v[i].off, t->v[i].len);
		}
		ve_buf_addc(b, ']');
	} else {
		ve_buf_adds(b, "null");
	}
	ve_buf_addc(b, '}');
}

/* The text /tokenize is asked for (a prompt, or messages through the chat template) into t. */
static bool
tokenize_text(const struct ve_simcfg *cfg, jv req, const struct preread *pre, struct ve_buf *t,
              struct ve_simerr *e)
{
	jv prompt = field(req, "prompt");
	jv msgs = field(req, "messages");
	jv model = field(req, "model");
	bool ok = true;

	if (jv_get_kind(model) == JV_KIND_STRING && strcmp(jv_string_value(model), cfg->model))
		ok = no_such_model(e, jv_string_value(model));
	else if (pre->is_text)
		ve_buf_add(t, pre->text.p, pre->text.len);
	else if (jv_get_kind(prompt) == JV_KIND_STRING)
		ve_buf_add(t, jv_string_value(prompt), ve_json_strlen(prompt));
	else if (jv_get_kind(msgs) != JV_KIND_INVALID)
		ok = chat_prompt(msgs, t, e);
	else
		ok = bad(e, "prompt", "prompt: Input should be a valid string");
	jv_free(prompt);
	jv_free(msgs);
	jv_free(model);
	return ok;
}

bool
ve_simreq_tokenize(const struct ve_simcfg *cfg, const char *body, size_t len, struct ve_buf *out,
                   struct ve_simerr *e)
{
	jv req;
	struct preread pre = {0};
	struct ve_buf text = {0};
	struct ve_toks t = {0};
	bool strs = false, special = true;
	bool ok = parse_object(cfg, body, len, &req, &pre, e) &&
	          tokenize_text(cfg, req, &pre, &text, e) &&
	          get_bool(req, "add_special_tokens", &special, e) &&
	          get_bool(req, "return_token_strs", &strs, e);

	jv_free(req);
	preread_free(&pre);
	if (ok) {
		ve_tok_encode(text.p ? text.p : "", text.len, 0, 0, &t);
		tokenize_answer(cfg, text.p, &t, strs, out);
	}
	ve_toks_free(&t);
	ve_buf_free(&text);
	return ok;
}

/* The text of the token ids of a /detokenize request (req, borrowed) into text. */
static bool
detokenize_text(jv req, struct ve_buf *text, struct ve_simerr *e)
{
	jv ids = field(req, "tokens");
	int n = jv_get_kind(ids) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ids)) : -1;
	bool ok = n >= 0 || bad(e, "tokens", "tokens: Input should be a valid list of integers");
	uint32_t id;

	for (int i = 0; ok && i < n; i++) {
		ok = id_at(ids, i, &id, e);
		if (ok)
			id_text(id, text);
	}
	jv_free(ids);
	return ok;
}

bool
ve_simreq_detokenize(const struct ve_simcfg *cfg, const char *body, size_t len, struct ve_buf *out,
                     struct ve_simerr *e)
{
	jv req;
	struct ve_buf text = {0};
	bool ok = parse_object(cfg, body, len, &req, NULL, e) && detokenize_text(req, &text, e);

	jv_free(req);
	if (ok) {
		ve_buf_adds(out, "{\"prompt\":");
		ve_buf_add_json_str(out, text.p ? text.p : "", text.len);
		ve_buf_addc(out, '}');
	}
	ve_buf_free(&text);
	return ok;
}
