/*
 * vllm-sim — a simulator of vLLM's OpenAI-compatible server, for tests,
 * demos and pipeline dry runs without a GPU.
 *
 * It serves vLLM's endpoints with vLLM's JSON shapes (completions, chat,
 * streaming with a usage chunk, tokenize/detokenize, models, metrics) on
 * libmicrohttpd, one thread per connection. Text comes from a documented
 * deterministic tokenizer (simtok.h) and a seeded hash of the prompt.
 * Latency follows a continuous-batching model: at most --max-num-seqs
 * requests decode at once and the rest wait, so load shows as TTFT growth;
 * the inter-token latency grows with the batch (--load-factor). Faults
 * (error statuses, cut streams, stalls) are drawn per request from --seed.
 * With an answer key (--answers) it plays a model of a given accuracy on
 * multiple-choice and generation prompts.
 *
 * It reads requests and writes responses; stdout gets one line, the URL it
 * listens on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "array.h"
#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "progress.h"
#include "rng.h"
#include "simkey.h"
#include "simtok.h"
#include "utf8.h"

#define SIM_VLLM_VERSION "0.11.0"
#define MAX_BODY         (16u << 20)
#define MAX_LOGPROBS     20
#define MAX_FAIL_CODES   16

struct opts {
	const char *host;
	long port;
	const char *port_file;
	const char *model;
	const char *api_key_file;
	unsigned long long seed;
	long max_model_len;
	double ttft_ms;
	double prefill_tps;
	double itl_ms;
	double jitter;
	double load_factor;
	long max_num_seqs;
	long stream_interval;
	long output_len;
	long kv_tokens;
	double fail_rate;
	int fail_codes[MAX_FAIL_CODES];
	int nfail_codes;
	double drop_rate;
	double stall_rate;
	const char *answers;
	double accuracy;
	long max_connections;
	struct ve_cli cli;
};

struct hist {
	const double *le;
	int n;
	unsigned long long *counts; /* n + 1, the last for +Inf */
	double sum;
	unsigned long long count;
};

struct waiter {
	struct waiter *next;
	bool admitted;
};

struct sim {
	const struct opts *o;
	char *api_key;
	struct ve_simkey key;
	int stopfd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: */
	long running, waiting;
	struct waiter *qhead, *qtail;
	unsigned long long reqno;
	unsigned long long kv_used;
	unsigned long long prompt_tokens, gen_tokens;
	unsigned long long fin_stop, fin_length, fin_abort;
	struct hist ttft, itl, e2e, queue;
	long created;
};

static const double ttft_le[] = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                 0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                 20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
static const double itl_le[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
static const double e2e_le[] = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

/* Filler words: each is one token (a space and at most two letters). */
static const char *const filler[] = {" a",  " I",  " an", " as", " at", " be", " by", " do", " go",
                                     " he", " if", " in", " is", " it", " me", " my", " no", " of",
                                     " on", " or", " so", " to", " up", " us", " we"};
#define NFILLER ((int)(sizeof filler / sizeof filler[0]))

/* ---- seeded hashing ---- */

static uint64_t
h3(uint64_t a, uint64_t b, uint64_t c)
{
	return ve_splitmix64(a ^ ve_splitmix64(b ^ ve_splitmix64(c)));
}

static double
u01(uint64_t h)
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

/* One token with its log-probability and how its top list looks. */
struct ptok {
	uint32_t id;
	uint32_t off, len; /* bytes in the choice's text */
	uint32_t cp;       /* code points from the start of the text */
	double lp;
	int kind;
};

/* One choice (one prompt of a batch): the prompt and what is generated. */
struct choice {
	struct ve_buf ptext; /* the prompt, as text */
	struct ptok *pt;     /* its tokens, with logprobs when echoed */
	size_t npt;
	struct ve_buf gtext; /* the generated text */
	struct ptok *gt;
	size_t ngt, gtcap;
	uint32_t gcp; /* code points in gtext */
	const char *finish;
	char *stop_reason; /* the stop string that ended it, or NULL */
	/* Letter mode: the letters in rank order with their logprobs. */
	char letters[26][3];
	double letter_lp[26];
	int nletters;
};

enum { API_COMPLETIONS, API_CHAT };
enum { FAULT_NONE, FAULT_FAIL, FAULT_DROP, FAULT_STALL };

struct plan {
	int api;
	char id[48];
	long created;
	struct choice *c;
	int nc;
	bool echo, stream, include_usage, ignore_eos;
	int logprobs;     /* completions: top-k, or -1 */
	bool chat_lp;     /* chat: logprobs */
	int top_logprobs; /* chat */
	size_t prompt_tokens, completion_tokens, max_gen;
	int fault;
	int fail_code;
	size_t drop_at; /* the step a dropped stream is cut at */
	uint64_t rng;
	const char *model;
};

/* What a request asks for that shapes its plan but is not kept in it. */
struct params {
	double temperature, top_p; /* checked; the text depends on the seeds only */
	double seed;               /* the request's seed, mixed into the server's */
	double max_tokens;
	char **stops;
	int nstops;
};

static void
choice_free(struct choice *c)
{
	ve_buf_free(&c->ptext);
	ve_buf_free(&c->gtext);
	free(c->pt);
	free(c->gt);
	free(c->stop_reason);
}

static void
plan_free(struct plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nc; i++)
		choice_free(&p->c[i]);
	free(p->c);
	free(p);
}

/* A request error: HTTP status, vLLM's error type, the message and the param. */
struct rerr {
	int status;
	const char *type;
	char msg[512];
	const char *param;
};

static bool __attribute__((format(printf, 3, 4)))
bad(struct rerr *e, const char *param, const char *fmt, ...)
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

static struct ptok *
toks_to_ptoks(const struct ve_toks *t)
{
	struct ptok *p = ve_xcalloc(t->n ? t->n : 1, sizeof *p);

	for (size_t i = 0; i < t->n; i++)
		p[i] =
		    (struct ptok){t->v[i].id, t->v[i].off, t->v[i].len, t->v[i].cp, 0, LP_GREEDY};
	return p;
}

/* Sets the prompt of c from text (tokenized here). */
static void
prompt_from_text(struct choice *c, const char *s, size_t n)
{
	struct ve_toks t = {0};

	ve_buf_add(&c->ptext, s, n);
	ve_tok_encode(s, n, 0, 0, &t);
	c->pt = toks_to_ptoks(&t);
	c->npt = t.n;
	ve_toks_free(&t);
}

/* Sets the prompt of c from token ids (a jv array, borrowed); false on a bad id. */
static bool
prompt_from_ids(struct choice *c, jv ids, struct rerr *e)
{
	int n = jv_array_length(jv_copy(ids));
	uint32_t cp = 0;

	c->pt = ve_xcalloc((size_t)(n ? n : 1), sizeof *c->pt);
	for (int i = 0; i < n; i++) {
		jv v = jv_array_get(jv_copy(ids), i);
		bool num = jv_get_kind(v) == JV_KIND_NUMBER;
		double d = num ? jv_number_value(v) : -1;
		jv_free(v);
		unsigned char b[4];
		if (!num || d != floor(d))
			return bad(e, "prompt", "Token ids must be integers.");
		if (d < 0 || d > VE_TOK_EOS)
			return bad(e, "prompt", "Token id %.0f is out of vocabulary (size %u).", d,
			           VE_TOK_EOS + 1);
		/* The end-of-text token decodes to nothing, special tokens being skipped. */
		int k = d == VE_TOK_EOS ? 0 : ve_tok_bytes((uint32_t)d, b);
		uint32_t off = (uint32_t)c->ptext.len;
		size_t cps = ve_utf8_sanitize(&c->ptext, (const char *)b, (size_t)k);
		c->pt[c->npt++] = (struct ptok){(uint32_t)d, off, (uint32_t)(c->ptext.len - off),
		                                cp,          0,   LP_GREEDY};
		cp += (uint32_t)cps;
	}
	return true;
}

/* The logprob of prompt token i that no answer key controls: a function of it and the one before.
 */
static double
generic_lp(uint64_t seed, const struct ptok *t, size_t i)
{
	double u = u01(h3(seed ^ 0x70726f6d7074ull, t[i - 1].id, (uint64_t)t[i].id << 20 ^ i));
	return -(0.05 + 6.0 * u * u);
}

/*
 * Echo logprobs. Where the prompt is an item of the key and ends with one of
 * its choices, the choice's tokens get a total logprob that makes the
 * item's winner (the gold one when the item is answered right) the most
 * likely continuation, also per character.
 */
static void
prompt_logprobs(const struct sim *s, struct choice *c, const struct ve_simitem *it, int winner)
{
	uint64_t seed = s->o->seed;
	int best = -1;

	for (size_t i = 1; i < c->npt; i++) {
		c->pt[i].lp = generic_lp(seed, c->pt, i);
		c->pt[i].kind = u01(h3(seed, c->pt[i].id, i)) < 0.5 ? LP_GREEDY : LP_BEHIND;
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
	        : -(0.6 + 0.8 * u01(h3(seed, hstr(seed, it->id, strlen(it->id)), (uint64_t)best))) *
	              cps;
	for (size_t i = first; i < c->npt; i++) {
		c->pt[i].lp = total / (double)m;
		c->pt[i].kind = best == winner ? LP_GREEDY : LP_BEHIND;
	}
}

/* Appends the tokens of text to c's generated text, up to max tokens in all. */
static void
gen_append(struct choice *c, const char *text, size_t n, size_t max, uint64_t seed)
{
	struct ve_toks t = {0};
	uint32_t base = (uint32_t)c->gtext.len;
	size_t keep = 0;

	ve_tok_encode(text, n, base, c->gcp, &t);
	c->gt = ve_grow(c->gt, &c->gtcap, c->ngt + t.n + 1, sizeof *c->gt);
	for (size_t i = 0; i < t.n && c->ngt < max; i++) {
		const struct ve_tok *k = &t.v[i];
		double u = u01(h3(seed ^ 0x67656eull, k->id, c->ngt));
		c->gt[c->ngt++] =
		    (struct ptok){k->id, k->off, k->len, k->cp, -(0.01 + 1.5 * u * u), LP_GREEDY};
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
 * The answer a key item gets, as generated text: "A. choice." for an item
 * with choices (winner the index chosen); for a free-text gold, "The answer
 * is GOLD." when winner is 0, another answer when it is 1.
 */
static void
answer_text(const struct ve_simitem *it, int winner, const char *sp, uint64_t h, struct ve_buf *ans)
{
	struct ve_buf w = {0};

	if (it->nchoices) {
		ve_buf_addf(ans, "%s%c. ", sp, 'A' + winner);
		ve_buf_add(ans, it->choices[winner], it->clen[winner]);
		ve_buf_adds(ans, ".");
		return;
	}
	if (winner != 0)
		wrong_answer(it->gold_text, h, &w);
	ve_buf_addf(ans, "%sThe answer is %s.", sp, winner == 0 ? it->gold_text : w.p);
	ve_buf_free(&w);
}

/* Letter mode: the first token is the winner's letter, the other letters ranked behind it. */
static void
rank_letters(struct choice *c, int nchoices, int winner, const char *sp, uint64_t seed, uint64_t h)
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
		c->letter_lp[r] = -(2.0 + 0.5 * r + u01(h3(seed, h, (uint64_t)k)));
		r++;
	}
}

/* Cuts c's text before the earliest of the stop strings; it then finishes with "stop". */
static void
cut_at_stop(struct choice *c, char *const *stops, int nstops)
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
 * Fills c's generated tokens: the answer of the item when the prompt is in
 * the key, filler words otherwise; stops at the natural end unless
 * ignore_eos, at q's max_tokens, or at one of q's stop strings.
 */
static void
generate(const struct sim *s, const struct plan *p, struct choice *c, const struct ve_simitem *it,
         int winner, uint64_t h, const struct params *q)
{
	uint64_t seed = s->o->seed;
	size_t max_tokens = (size_t)q->max_tokens, natural;
	struct ve_buf ans = {0};
	const char *sp = p->api == API_CHAT ? "" : " ";

	if (it) {
		answer_text(it, winner, sp, h, &ans);
		gen_append(c, ans.p, ans.len, max_tokens, seed ^ h);
		natural = c->ngt;
		ve_buf_free(&ans);
	} else {
		natural = 1 + (size_t)(h % (uint64_t)(2 * s->o->output_len - 1));
	}
	if (p->ignore_eos)
		natural = max_tokens;
	while (c->ngt < max_tokens && c->ngt < natural) {
		const char *f = filler[h3(seed, h, c->ngt) % NFILLER];
		gen_append(c, f, strlen(f), max_tokens, seed ^ h);
	}
	/*
	 * Reaching max_tokens before the end of the text is "length", as in vLLM;
	 * a natural end is the end-of-text token, counted in usage, with no text.
	 */
	c->finish = c->ngt == max_tokens ? "length" : "stop";
	if (c->ngt < max_tokens) {
		c->gt = ve_grow(c->gt, &c->gtcap, c->ngt + 1, sizeof *c->gt);
		c->gt[c->ngt++] =
		    (struct ptok){VE_TOK_EOS, (uint32_t)c->gtext.len, 0, c->gcp, -0.02, LP_GREEDY};
	}
	if (it && it->nchoices && c->ngt)
		rank_letters(c, it->nchoices, winner, sp, seed, h);
	cut_at_stop(c, q->stops, q->nstops);
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
get_bool(jv req, const char *k, bool *out, struct rerr *e)
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
        struct rerr *e)
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
get_stops(jv req, char ***stops, int *n, struct rerr *e)
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
chat_prompt(jv msgs, struct ve_buf *out, struct rerr *e)
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
completion_prompts(jv prompt, struct plan *p, struct rerr *e)
{
	jv_kind k = jv_get_kind(prompt);

	if (k == JV_KIND_STRING) {
		if (ve_json_strlen(prompt) == 0)
			return bad(e, "prompt", "The prompt cannot be empty.");
		p->c = ve_xcalloc(1, sizeof *p->c);
		p->nc = 1;
		prompt_from_text(&p->c[0], jv_string_value(prompt), ve_json_strlen(prompt));
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
		return prompt_from_ids(&p->c[0], prompt, e);
	}
	p->c = ve_xcalloc((size_t)n, sizeof *p->c);
	for (int i = 0; i < n; i++) {
		jv el = jv_array_get(jv_copy(prompt), i);
		bool ok = true;
		p->nc++;
		if (jv_get_kind(el) == JV_KIND_STRING && ve_json_strlen(el) > 0)
			prompt_from_text(&p->c[i], jv_string_value(el), ve_json_strlen(el));
		else if (jv_get_kind(el) == JV_KIND_ARRAY && jv_array_length(jv_copy(el)) > 0)
			ok = prompt_from_ids(&p->c[i], el, e);
		else
			ok = bad(e, "prompt",
			         "prompt[%d]: expected a non-empty string or list of token ids", i);
		jv_free(el);
		if (!ok)
			return false;
	}
	return true;
}

/* Draws the request's fault from the seed and its number. */
static void
draw_fault(const struct opts *o, struct plan *p, unsigned long long no)
{
	uint64_t seed = o->seed;

	p->rng = h3(seed, no, 'j');
	if (u01(h3(seed, no, 'f')) < o->fail_rate) {
		p->fault = FAULT_FAIL;
		p->fail_code = o->fail_codes[h3(seed, no, 'c') % (uint64_t)o->nfail_codes];
	} else if (u01(h3(seed, no, 'd')) < o->drop_rate) {
		p->fault = FAULT_DROP;
		p->drop_at = p->max_gen >= 2 ? 1 + h3(seed, no, 'a') % (p->max_gen - 1) : 0;
	} else if (u01(h3(seed, no, 's')) < o->stall_rate) {
		p->fault = FAULT_STALL;
	}
}

/* Fills e with vLLM's answer to a request that names another model. */
static bool
no_such_model(struct rerr *e, const char *name)
{
	e->status = 404;
	e->type = "NotFoundError";
	e->param = "model";
	snprintf(e->msg, sizeof e->msg, "The model `%s` does not exist.", name);
	return false;
}

/* stream_options: only with stream; include_usage defaults to true, as in vLLM's StreamOptions. */
static bool
read_stream_options(jv req, struct plan *p, struct rerr *e)
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
read_common(const struct opts *o, jv req, struct plan *p, struct params *q, struct rerr *e)
{
	double n = 1;

	if (jv_get_kind(req) != JV_KIND_OBJECT)
		return bad(e, NULL, "The request body must be a JSON object.");
	jv v = field(req, "model");
	if (jv_get_kind(v) != JV_KIND_INVALID &&
	    (jv_get_kind(v) != JV_KIND_STRING || strcmp(jv_string_value(v), o->model) != 0)) {
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
read_completions(jv req, struct plan *p, struct params *q, struct rerr *e)
{
	double lp = 0;
	bool has_max = false, has_lp = false;
	jv v = field(req, "prompt");
	bool ok = completion_prompts(v, p, e);

	jv_free(v);
	if (!ok || !get_num(req, "max_tokens", 0, 1e9, true, &q->max_tokens, &has_max, e) ||
	    !get_num(req, "logprobs", 0, MAX_LOGPROBS, true, &lp, &has_lp, e))
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
read_chat(const struct opts *o, jv req, struct plan *p, struct params *q, struct rerr *e)
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
		prompt_from_text(&p->c[0], t.p, t.len);
	}
	ve_buf_free(&t);
	if (!ok || !get_bool(req, "logprobs", &chat_lp, e) ||
	    !get_num(req, "top_logprobs", 0, MAX_LOGPROBS, true, &lp, &has_lp, e) ||
	    !get_num(req, "max_completion_tokens", 1, 1e9, true, &q->max_tokens, &has_max, e))
		return false;
	if (!has_max && !get_num(req, "max_tokens", 1, 1e9, true, &q->max_tokens, &has_max, e))
		return false;
	if (has_lp && lp > 0 && !chat_lp)
		return bad(e, "top_logprobs",
		           "when using `top_logprobs`, `logprobs` must be set to true.");
	p->chat_lp = chat_lp;
	p->top_logprobs = has_lp ? (int)lp : 0;
	if (!has_max)
		q->max_tokens = (double)o->max_model_len - (double)p->c[0].npt;
	return true;
}

/* Each prompt and its max_tokens must fit --max-model-len; vLLM's two messages otherwise. */
static bool
fits_context(const struct opts *o, const struct plan *p, double maxt, struct rerr *e)
{
	long len = o->max_model_len;

	for (int i = 0; i < p->nc; i++) {
		size_t np = p->c[i].npt;
		if ((double)np + maxt <= (double)len)
			continue;
		if ((long)np >= len)
			return bad(
			    e, NULL,
			    "This model's maximum context length is %ld tokens. However, your "
			    "request has %zu input tokens. Please reduce the length of the "
			    "input messages.",
			    len, np);
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
 * with probability --accuracy. With choices, the index of the one given (the
 * gold one when right, another otherwise); without, 0 right and 1 wrong.
 */
static int
pick_winner(const struct opts *o, const struct ve_simitem *it)
{
	uint64_t ih = hstr(o->seed, it->id, strlen(it->id));
	bool right = u01(h3(o->seed, ih, 1)) < o->accuracy;

	if (!it->nchoices)
		return right ? 0 : 1;
	if (right)
		return it->gold;
	int j = (int)(h3(o->seed, ih, 2) % (uint64_t)(it->nchoices - 1));
	return j < it->gold ? j : j + 1;
}

/* Generates each choice from the seeds, the answer key and the request's limits. */
static void
plan_generate(const struct sim *s, struct plan *p, const struct params *q)
{
	const struct opts *o = s->o;
	uint64_t seed = o->seed ^ (uint64_t)(int64_t)q->seed * 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < p->nc; i++) {
		struct choice *c = &p->c[i];
		const struct ve_simitem *it = ve_simkey_find(&s->key, c->ptext.p, c->ptext.len);
		int winner = it ? pick_winner(o, it) : 0;
		if (p->api == API_COMPLETIONS && p->echo && p->logprobs >= 0)
			prompt_logprobs(s, c, it, winner);
		generate(s, p, c, it, winner, hstr(seed, c->ptext.p, c->ptext.len), q);
		p->prompt_tokens += c->npt;
		p->completion_tokens += c->ngt;
		if (c->ngt > p->max_gen)
			p->max_gen = c->ngt;
	}
}

/*
 * Builds what a completions or chat request (req, borrowed) will produce:
 * the request is read and checked in vLLM's order, then generated, numbered
 * and given its fault. NULL with e filled when the request is wrong.
 */
static struct plan *
plan_build(struct sim *s, int api, jv req, struct rerr *e)
{
	const struct opts *o = s->o;
	struct plan *p = ve_xcalloc(1, sizeof *p);
	struct params q = {0};

	p->api = api;
	p->model = o->model;
	p->logprobs = -1;
	p->created = (long)time(NULL);
	bool ok = read_common(o, req, p, &q, e) &&
	          (api == API_COMPLETIONS ? read_completions(req, p, &q, e)
	                                  : read_chat(o, req, p, &q, e)) &&
	          fits_context(o, p, q.max_tokens, e);
	if (ok) {
		plan_generate(s, p, &q);
		pthread_mutex_lock(&s->mu);
		unsigned long long no = s->reqno++;
		pthread_mutex_unlock(&s->mu);
		snprintf(p->id, sizeof p->id, "%s-%016llx", api == API_CHAT ? "chatcmpl" : "cmpl",
		         (unsigned long long)h3(o->seed, no, 'i'));
		draw_fault(o, p, no);
	}
	for (int i = 0; i < q.nstops; i++)
		free(q.stops[i]);
	free(q.stops);
	if (!ok) {
		plan_free(p);
		return NULL;
	}
	return p;
}

/* ---- writing responses ---- */

static void
add_num(struct ve_buf *b, double v)
{
	ve_buf_addf(b, "%.9g", v);
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
tok_text(const char *text, const struct ptok *t, const char **s, size_t *n)
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
top_list(const struct choice *c, const char *text, const struct ptok *t, size_t pos, int k,
         uint64_t seed, struct topent *out)
{
	uint64_t h = h3(seed, t->id, pos);
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

/* vLLM's CompletionLogProbs, built as four parallel lists. */
struct lpacc {
	struct ve_buf off, lp, tok, top;
	int n;
};

static void
lpacc_add(struct lpacc *a, const struct choice *c, const char *text, const struct ptok *t,
          size_t pos, uint32_t cpbase, bool null_first, int k, uint64_t seed)
{
	const char *sep = a->n++ ? "," : "";
	struct topent top[MAX_LOGPROBS + 2];

	ve_buf_addf(&a->off, "%s%u", sep, cpbase + t->cp);
	ve_buf_adds(&a->tok, sep);
	const char *ts;
	size_t tn;
	tok_text(text, t, &ts, &tn);
	ve_buf_add_json_str(&a->tok, ts, tn);
	ve_buf_adds(&a->lp, sep);
	ve_buf_adds(&a->top, sep);
	if (null_first) {
		ve_buf_adds(&a->lp, "null");
		ve_buf_adds(&a->top, "null");
		return;
	}
	add_num(&a->lp, t->lp);
	int n = top_list(c, text, t, pos, k, seed, top);
	ve_buf_addc(&a->top, '{');
	for (int i = 0; i < n; i++) {
		if (i)
			ve_buf_addc(&a->top, ',');
		ve_buf_add_json_str(&a->top, top[i].s, top[i].n);
		ve_buf_addc(&a->top, ':');
		add_num(&a->top, top[i].lp);
	}
	ve_buf_addc(&a->top, '}');
}

static void
lpacc_end(struct lpacc *a, struct ve_buf *b)
{
	ve_buf_addf(b,
	            "{\"text_offset\":[%s],\"token_logprobs\":[%s],\"tokens\":[%s],"
	            "\"top_logprobs\":[%s]}",
	            a->off.p ? a->off.p : "", a->lp.p ? a->lp.p : "", a->tok.p ? a->tok.p : "",
	            a->top.p ? a->top.p : "");
	ve_buf_free(&a->off);
	ve_buf_free(&a->lp);
	ve_buf_free(&a->tok);
	ve_buf_free(&a->top);
	a->n = 0;
}

/*
 * Completions logprobs for generated tokens [from, to) of c, with the
 * prompt's tokens first when with_prompt (echo).
 */
static void
completion_lp(const struct plan *p, const struct choice *c, bool with_prompt, size_t from,
              size_t to, uint64_t seed, struct ve_buf *b)
{
	struct lpacc a = {0};
	uint32_t pcp = p->echo ? (uint32_t)ve_utf8_count(c->ptext.p, c->ptext.len) : 0;

	if (with_prompt)
		for (size_t i = 0; i < c->npt; i++)
			lpacc_add(&a, c, c->ptext.p, &c->pt[i], i, 0, i == 0, p->logprobs, seed);
	for (size_t i = from; i < to; i++)
		lpacc_add(&a, c, c->gtext.p, &c->gt[i], c->npt + i, pcp, false, p->logprobs, seed);
	lpacc_end(&a, b);
}

static void
add_bytes(struct ve_buf *b, const char *s, size_t n)
{
	ve_buf_adds(b, "[");
	for (size_t i = 0; i < n; i++)
		ve_buf_addf(b, "%s%u", i ? "," : "", (unsigned char)s[i]);
	ve_buf_adds(b, "]");
}

/* Chat logprobs {"content":[...]} for generated tokens [from, to). */
static void
chat_lp(const struct plan *p, const struct choice *c, size_t from, size_t to, uint64_t seed,
        struct ve_buf *b)
{
	struct topent top[MAX_LOGPROBS + 2];

	ve_buf_adds(b, "{\"content\":[");
	for (size_t i = from; i < to; i++) {
		const struct ptok *t = &c->gt[i];
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
add_usage(struct ve_buf *b, const struct plan *p, bool details)
{
	ve_buf_addf(b, "{\"prompt_tokens\":%zu,\"total_tokens\":%zu,\"completion_tokens\":%zu%s}",
	            p->prompt_tokens, p->prompt_tokens + p->completion_tokens, p->completion_tokens,
	            details ? ",\"prompt_tokens_details\":null" : "");
}

static void
add_head(struct ve_buf *b, const struct plan *p, const char *object)
{
	ve_buf_adds(b, "{\"id\":");
	add_str(b, p->id);
	ve_buf_addf(b, ",\"object\":\"%s\",\"created\":%ld,\"model\":", object, p->created);
	add_str(b, p->model);
}

static void
add_stop_reason(struct ve_buf *b, const struct choice *c)
{
	ve_buf_adds(b, ",\"stop_reason\":");
	if (c->stop_reason)
		add_str(b, c->stop_reason);
	else
		ve_buf_adds(b, "null");
}

/* The whole (non-streaming) response body. */
static void
full_response(const struct plan *p, uint64_t seed, struct ve_buf *b)
{
	bool chat = p->api == API_CHAT;

	add_head(b, p, chat ? "chat.completion" : "text_completion");
	ve_buf_adds(b, ",\"choices\":[");
	for (int i = 0; i < p->nc; i++) {
		const struct choice *c = &p->c[i];
		ve_buf_addf(b, "%s{\"index\":%d,", i ? "," : "", i);
		if (chat) {
			ve_buf_adds(b, "\"message\":{\"role\":\"assistant\",\"content\":");
			ve_buf_add_json_str(b, c->gtext.p ? c->gtext.p : "", c->gtext.len);
			ve_buf_adds(b, ",\"refusal\":null,\"annotations\":null,\"audio\":null,"
			               "\"function_call\":null,\"tool_calls\":[],"
			               "\"reasoning_content\":null},\"logprobs\":");
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

/*
 * One SSE event for choice i carrying generated tokens [from, to); the
 * choice's last event carries its finish_reason. role: the chat role chunk.
 */
static void
sse_chunk(const struct plan *p, int i, size_t from, size_t to, bool role, uint64_t seed,
          struct ve_buf *b)
{
	const struct choice *c = &p->c[i];
	bool chat = p->api == API_CHAT;
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
		ve_buf_adds(b, "\"delta\":{\"content\":");
		ve_buf_add_json_str(b, c->gtext.p ? c->gtext.p + a : "", z - a);
		ve_buf_adds(b, "},\"logprobs\":");
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

static void
sse_usage(const struct plan *p, struct ve_buf *b)
{
	ve_buf_adds(b, "data: ");
	add_head(b, p, p->api == API_CHAT ? "chat.completion.chunk" : "text_completion");
	ve_buf_adds(b, ",\"choices\":[],\"usage\":");
	add_usage(b, p, false);
	ve_buf_adds(b, "}\n\n");
}

/* vLLM's error object. */
static void
error_body(struct ve_buf *b, const struct rerr *e)
{
	ve_buf_adds(b, "{\"error\":{\"message\":");
	add_str(b, e->msg);
	ve_buf_adds(b, ",\"type\":");
	add_str(b, e->type);
	ve_buf_adds(b, ",\"param\":");
	if (e->param)
		add_str(b, e->param);
	else
		ve_buf_adds(b, "null");
	ve_buf_addf(b, ",\"code\":%d}}", e->status);
}

/* ---- time, the batch, metrics ---- */

/*
 * Waits until deadline (ve_now seconds; INFINITY: for ever). False when the
 * client hung up or the server is stopping first.
 */
static bool
sleep_until(const struct sim *s, int fd, double deadline)
{
	for (;;) {
		struct pollfd pf[2] = {{s->stopfd, POLLIN, 0}, {fd, POLLRDHUP, 0}};
		double left = deadline - ve_now();
		struct timespec ts;
		if (left <= 0)
			return true;
		if (isfinite(left)) {
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		}
		int r = ppoll(pf, fd >= 0 ? 2 : 1, isfinite(left) ? &ts : NULL, NULL);
		if (r > 0 || (r < 0 && errno != EINTR))
			return false;
	}
}

/* True when the client hung up or the server is stopping. */
static bool
gone(const struct sim *s, int fd)
{
	struct pollfd pf[2] = {{s->stopfd, POLLIN, 0}, {fd, POLLRDHUP, 0}};
	return poll(pf, fd >= 0 ? 2 : 1, 0) != 0;
}

static void
hist_observe(struct hist *h, double v)
{
	int i = 0;

	while (i < h->n && v > h->le[i])
		i++;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

/* Admits waiters in arrival order while the batch has room (s->mu held). */
static void
admit(struct sim *s)
{
	bool any = false;

	while (s->running < s->o->max_num_seqs && s->qhead) {
		struct waiter *w = s->qhead;
		s->qhead = w->next;
		if (!s->qhead)
			s->qtail = NULL;
		w->admitted = true;
		s->running++;
		any = true;
	}
	if (any)
		pthread_cond_broadcast(&s->cv);
}

/* Takes a place in the running batch, waiting in line for one. */
static bool
slot_acquire(struct sim *s, int fd)
{
	struct waiter w = {NULL, false};

	pthread_mutex_lock(&s->mu);
	if (s->running < s->o->max_num_seqs && !s->qhead) {
		s->running++;
		pthread_mutex_unlock(&s->mu);
		return true;
	}
	if (s->qtail)
		s->qtail->next = &w;
	else
		s->qhead = &w;
	s->qtail = &w;
	s->waiting++;
	while (!w.admitted) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (!w.admitted && gone(s, fd)) {
			struct waiter **pp = &s->qhead, *prev = NULL;
			while (*pp != &w) {
				prev = *pp;
				pp = &(*pp)->next;
			}
			*pp = w.next;
			if (s->qtail == &w)
				s->qtail = prev;
			s->waiting--;
			pthread_mutex_unlock(&s->mu);
			return false;
		}
	}
	s->waiting--;
	pthread_mutex_unlock(&s->mu);
	return true;
}

/* Where a request is on its way through the batch. */
struct timeline {
	double arrival, last;
	bool running, ended;
	size_t held; /* tokens it holds in the KV cache */
	size_t emitted;
	uint64_t rng;
};

/* Waits for a place in the batch and for the prefill; records the TTFT. */
static bool
tl_start(struct sim *s, const struct plan *p, struct timeline *tl, int fd)
{
	const struct opts *o = s->o;

	if (!slot_acquire(s, fd))
		return false;
	tl->running = true;
	tl->rng = p->rng;
	double admitted = ve_now();
	double first =
	    admitted + (o->ttft_ms + (double)p->prompt_tokens * 1000.0 / o->prefill_tps) / 1000.0;
	pthread_mutex_lock(&s->mu);
	hist_observe(&s->queue, admitted - tl->arrival);
	tl->held = p->prompt_tokens;
	s->kv_used += tl->held;
	pthread_mutex_unlock(&s->mu);
	if (!sleep_until(s, fd, first))
		return false;
	tl->last = ve_now();
	pthread_mutex_lock(&s->mu);
	s->prompt_tokens += p->prompt_tokens;
	hist_observe(&s->ttft, tl->last - tl->arrival);
	pthread_mutex_unlock(&s->mu);
	return true;
}

/* Counts the tokens of one decoding step (s->mu not held). */
static void
tl_tokens(struct sim *s, const struct plan *p, struct timeline *tl, size_t step)
{
	size_t n = 0;

	for (int i = 0; i < p->nc; i++)
		n += step < p->c[i].ngt;
	pthread_mutex_lock(&s->mu);
	s->gen_tokens += n;
	s->kv_used += n;
	tl->held += n;
	tl->emitted += n;
	pthread_mutex_unlock(&s->mu);
}

/*
 * Waits one inter-token latency: --itl-ms, longer as the batch fills
 * (--load-factor), spread by --jitter. Records it.
 */
static bool
tl_next(struct sim *s, struct timeline *tl, int fd)
{
	const struct opts *o = s->o;

	pthread_mutex_lock(&s->mu);
	double load = (double)s->running / (double)o->max_num_seqs;
	pthread_mutex_unlock(&s->mu);
	tl->rng = ve_splitmix64(tl->rng);
	double itl = o->itl_ms * (1.0 + o->load_factor * load) *
	             (1.0 + o->jitter * (2.0 * u01(tl->rng) - 1.0)) / 1000.0;
	if (!sleep_until(s, fd, tl->last + itl))
		return false;
	double now = ve_now();
	pthread_mutex_lock(&s->mu);
	hist_observe(&s->itl, now - tl->last);
	pthread_mutex_unlock(&s->mu);
	tl->last = now;
	return true;
}

/* Leaves the batch (also after a failure: ok false counts an abort). */
static void
tl_end(struct sim *s, const struct plan *p, struct timeline *tl, bool ok)
{
	if (tl->ended)
		return;
	tl->ended = true;
	pthread_mutex_lock(&s->mu);
	if (tl->running) {
		s->running--;
		s->kv_used -= tl->held;
		admit(s);
	}
	if (ok) {
		hist_observe(&s->e2e, ve_now() - tl->arrival);
		for (int i = 0; i < p->nc; i++) {
			if (strcmp(p->c[i].finish, "stop") == 0)
				s->fin_stop++;
			else
				s->fin_length++;
		}
	} else {
		s->fin_abort++;
	}
	pthread_mutex_unlock(&s->mu);
}

static void
add_label(struct ve_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			ve_buf_addc(b, '\\');
		if (*v == '\n')
			ve_buf_adds(b, "\\n");
		else
			ve_buf_addc(b, *v);
	}
}

static void
metric_head(struct ve_buf *b, const char *name, const char *type, const char *help)
{
	ve_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metric_hist(struct ve_buf *b, const char *name, const char *help, const struct hist *h,
            const char *labels)
{
	unsigned long long cum = 0;

	metric_head(b, name, "histogram", help);
	for (int i = 0; i <= h->n; i++) {
		cum += h->counts[i];
		if (i < h->n)
			ve_buf_addf(b, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, h->le[i],
			            cum);
		else
			ve_buf_addf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, cum);
	}
	ve_buf_addf(b, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, labels, h->sum, name, labels,
	            h->count);
}

/* The Prometheus text exposition, with vLLM's metric names. */
static void
metrics_text(struct sim *s, struct ve_buf *b)
{
	struct ve_buf lab = {0};

	ve_buf_adds(&lab, "engine=\"0\",model_name=\"");
	add_label(&lab, s->o->model);
	ve_buf_adds(&lab, "\"");
	pthread_mutex_lock(&s->mu);
	double kv = (double)s->kv_used / (double)s->o->kv_tokens;
	if (kv > 1)
		kv = 1;
	metric_head(b, "vllm:num_requests_running", "gauge",
	            "Number of requests in model execution batches.");
	ve_buf_addf(b, "vllm:num_requests_running{%s} %ld\n", lab.p, s->running);
	metric_head(b, "vllm:num_requests_waiting", "gauge",
	            "Number of requests waiting to be processed.");
	ve_buf_addf(b, "vllm:num_requests_waiting{%s} %ld\n", lab.p, s->waiting);
	metric_head(b, "vllm:gpu_cache_usage_perc", "gauge",
	            "GPU KV-cache usage. 1 means 100 percent usage.");
	ve_buf_addf(b, "vllm:gpu_cache_usage_perc{%s} %.9g\n", lab.p, kv);
	metric_head(b, "vllm:kv_cache_usage_perc", "gauge",
	            "KV-cache usage. 1 means 100 percent usage.");
	ve_buf_addf(b, "vllm:kv_cache_usage_perc{%s} %.9g\n", lab.p, kv);
	metric_head(b, "vllm:prompt_tokens_total", "counter",
	            "Number of prefill tokens processed.");
	ve_buf_addf(b, "vllm:prompt_tokens_total{%s} %llu\n", lab.p, s->prompt_tokens);
	metric_head(b, "vllm:generation_tokens_total", "counter",
	            "Number of generation tokens processed.");
	ve_buf_addf(b, "vllm:generation_tokens_total{%s} %llu\n", lab.p, s->gen_tokens);
	metric_head(b, "vllm:request_success_total", "counter",
	            "Count of successfully processed requests.");
	ve_buf_addf(b, "vllm:request_success_total{%s,finished_reason=\"stop\"} %llu\n", lab.p,
	            s->fin_stop);
	ve_buf_addf(b, "vllm:request_success_total{%s,finished_reason=\"length\"} %llu\n", lab.p,
	            s->fin_length);
	ve_buf_addf(b, "vllm:request_success_total{%s,finished_reason=\"abort\"} %llu\n", lab.p,
	            s->fin_abort);
	metric_hist(b, "vllm:time_to_first_token_seconds",
	            "Histogram of time to first token in seconds.", &s->ttft, lab.p);
	metric_hist(b, "vllm:inter_token_latency_seconds",
	            "Histogram of inter-token latency in seconds.", &s->itl, lab.p);
	metric_hist(b, "vllm:e2e_request_latency_seconds",
	            "Histogram of e2e request latency in seconds.", &s->e2e, lab.p);
	metric_hist(b, "vllm:request_queue_time_seconds",
	            "Histogram of time spent in WAITING phase for request.", &s->queue, lab.p);
	pthread_mutex_unlock(&s->mu);
	ve_buf_free(&lab);
}

/* ---- HTTP ---- */

/* What MHD keeps per request: the body as it arrives. */
struct conn {
	struct ve_buf body;
	bool too_big;
	int status; /* of the response queued, for -v */
	double arrival;
};

/* A streaming response's state, owned by MHD's response. */
struct stream {
	struct sim *s;
	struct plan *p;
	int fd;
	struct timeline tl;
	int phase;
	size_t step;
	struct ve_buf out;
	size_t pos;
};

static void
logreq(const struct sim *s, const char *method, const char *url, int status)
{
	if (!s->o->cli.verbose)
		return;
	if (status)
		ve_warn("%s %s %d", method, url, status);
	else
		ve_warn("%s %s closed without a response", method, url);
}

/* Queues b (taken) as the response. */
static enum MHD_Result
send_buf(struct MHD_Connection *con, struct conn *cn, int status, const char *ctype,
         struct ve_buf *b)
{
	struct MHD_Response *r;

	if (b->p) {
		r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);
		b->p = NULL;
		b->len = b->cap = 0;
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == 429 || status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	enum MHD_Result ret = MHD_queue_response(con, (unsigned)status, r);
	MHD_destroy_response(r);
	cn->status = status;
	return ret;
}

static enum MHD_Result
send_json(struct MHD_Connection *con, struct conn *cn, int status, const char *json)
{
	struct ve_buf b = {0};

	ve_buf_adds(&b, json);
	return send_buf(con, cn, status, "application/json", &b);
}

static enum MHD_Result
send_err(struct MHD_Connection *con, struct conn *cn, const struct rerr *e)
{
	struct ve_buf b = {0};

	error_body(&b, e);
	return send_buf(con, cn, e->status, "application/json", &b);
}

static int
conn_fd(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

/* Produces the SSE events of a streaming response as their times come. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	struct sim *s = st->s;
	struct plan *p = st->p;
	uint64_t seed = s->o->seed;

	(void)pos;
	if (st->pos == st->out.len) {
		ve_buf_reset(&st->out);
		st->pos = 0;
		if (st->phase == 0) {
			if (p->fault == FAULT_STALL) {
				sleep_until(s, st->fd, INFINITY);
				tl_end(s, p, &st->tl, false);
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			if (!tl_start(s, p, &st->tl, st->fd) ||
			    (p->fault == FAULT_DROP && p->drop_at == 0)) {
				tl_end(s, p, &st->tl, false);
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			for (int i = 0; i < p->nc && p->api == API_CHAT; i++)
				sse_chunk(p, i, 0, 0, true, seed, &st->out);
			for (int i = 0; i < p->nc; i++)
				sse_chunk(p, i, 0, p->c[i].ngt ? 1 : 0, false, seed, &st->out);
			tl_tokens(s, p, &st->tl, 0);
			st->step = 1;
			st->phase = st->step >= p->max_gen ? 2 : 1;
			if (st->phase == 2)
				tl_end(s, p, &st->tl, true);
		} else if (st->phase == 1) {
			if (p->fault == FAULT_DROP && st->step >= p->drop_at) {
				tl_end(s, p, &st->tl, false);
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			size_t to = st->step + (size_t)s->o->stream_interval;
			if (to > p->max_gen)
				to = p->max_gen;
			if (p->fault == FAULT_DROP && to > p->drop_at)
				to = p->drop_at;
			for (size_t k = st->step; k < to; k++) {
				if (!tl_next(s, &st->tl, st->fd)) {
					tl_end(s, p, &st->tl, false);
					return MHD_CONTENT_READER_END_WITH_ERROR;
				}
				tl_tokens(s, p, &st->tl, k);
			}
			for (int i = 0; i < p->nc; i++) {
				size_t n = p->c[i].ngt;
				if (st->step < n)
					sse_chunk(p, i, st->step, to < n ? to : n, false, seed,
					          &st->out);
			}
			st->step = to;
			if (st->step >= p->max_gen) {
				tl_end(s, p, &st->tl, true);
				st->phase = 2;
			}
		} else if (st->phase == 2) {
			if (p->include_usage)
				sse_usage(p, &st->out);
			ve_buf_adds(&st->out, "data: [DONE]\n\n");
			st->phase = 3;
		} else {
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
	}
	size_t n = st->out.len - st->pos;
	if (n > max)
		n = max;
	memcpy(buf, st->out.p + st->pos, n);
	st->pos += n;
	return (ssize_t)n;
}

static void
stream_free(void *cls)
{
	struct stream *st = cls;

	tl_end(st->s, st->p, &st->tl, false);
	plan_free(st->p);
	ve_buf_free(&st->out);
	free(st);
}

/* Serves a completions or chat request whose body is complete. */
static enum MHD_Result
inference(struct sim *s, struct MHD_Connection *con, struct conn *cn, int api)
{
	struct rerr e = {0};
	jv req = jv_parse_sized(cn->body.p ? cn->body.p : "", (int)cn->body.len);
	struct plan *p;

	if (!jv_is_valid(req)) {
		jv msg = jv_invalid_get_msg(req);
		bad(&e, NULL, "JSON decode error: %s",
		    jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "empty body");
		jv_free(msg);
		return send_err(con, cn, &e);
	}
	p = plan_build(s, api, req, &e);
	jv_free(req);
	if (!p)
		return send_err(con, cn, &e);
	if (p->fault == FAULT_FAIL) {
		e.status = p->fail_code;
		e.param = NULL;
		e.type = p->fail_code == 429   ? "RateLimitError"
		         : p->fail_code == 503 ? "ServiceUnavailableError"
		         : p->fail_code == 500 ? "InternalServerError"
		                               : "ServerError";
		snprintf(e.msg, sizeof e.msg, "Simulated failure (status %d).", p->fail_code);
		plan_free(p);
		return send_err(con, cn, &e);
	}
	int fd = conn_fd(con);
	if (p->stream) {
		struct stream *st = ve_xcalloc(1, sizeof *st);
		st->s = s;
		st->p = p;
		st->fd = fd;
		st->tl.arrival = cn->arrival;
		struct MHD_Response *r = MHD_create_response_from_callback(
		    MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
		if (!r) {
			stream_free(st);
			return MHD_NO;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        "text/event-stream; charset=utf-8");
		enum MHD_Result ret = MHD_queue_response(con, MHD_HTTP_OK, r);
		cn->status = 200;
		MHD_destroy_response(r);
		return ret;
	}
	struct timeline tl = {.arrival = cn->arrival};
	bool ok = p->fault != FAULT_STALL;
	if (!ok)
		sleep_until(s, fd, INFINITY);
	ok = ok && tl_start(s, p, &tl, fd) && !(p->fault == FAULT_DROP && p->drop_at == 0);
	if (ok)
		tl_tokens(s, p, &tl, 0);
	for (size_t k = 1; ok && k < p->max_gen; k++) {
		ok = !(p->fault == FAULT_DROP && k >= p->drop_at) && tl_next(s, &tl, fd);
		if (ok)
			tl_tokens(s, p, &tl, k);
	}
	tl_end(s, p, &tl, ok);
	if (!ok) {
		plan_free(p);
		return MHD_NO;
	}
	struct ve_buf b = {0};
	full_response(p, s->o->seed, &b);
	plan_free(p);
	return send_buf(con, cn, 200, "application/json", &b);
}

/* POST /tokenize: {"prompt": ...} or {"messages": [...]}. */
static enum MHD_Result
tokenize(struct sim *s, struct MHD_Connection *con, struct conn *cn)
{
	struct rerr e = {0};
	jv req = jv_parse_sized(cn->body.p ? cn->body.p : "", (int)cn->body.len);
	struct choice c = {0};
	bool strs = false, special = true, ok = true;

	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		ok = bad(&e, NULL, "The request body must be a JSON object.");
	} else {
		jv prompt = field(req, "prompt");
		jv msgs = field(req, "messages");
		jv model = field(req, "model");
		if (jv_get_kind(model) == JV_KIND_STRING &&
		    strcmp(jv_string_value(model), s->o->model)) {
			ok = no_such_model(&e, jv_string_value(model));
		} else if (jv_get_kind(prompt) == JV_KIND_STRING) {
			prompt_from_text(&c, jv_string_value(prompt), ve_json_strlen(prompt));
		} else if (jv_get_kind(msgs) != JV_KIND_INVALID) {
			struct ve_buf t = {0};
			ok = chat_prompt(msgs, &t, &e);
			if (ok)
				prompt_from_text(&c, t.p, t.len);
			ve_buf_free(&t);
		} else {
			ok = bad(&e, "prompt", "prompt: Input should be a valid string");
		}
		ok = ok && get_bool(req, "add_special_tokens", &special, &e) &&
		     get_bool(req, "return_token_strs", &strs, &e);
		jv_free(prompt);
		jv_free(msgs);
		jv_free(model);
	}
	jv_free(req);
	if (!ok) {
		choice_free(&c);
		return send_err(con, cn, &e);
	}
	struct ve_buf b = {0};
	ve_buf_addf(&b, "{\"count\":%zu,\"max_model_len\":%ld,\"tokens\":[", c.npt,
	            s->o->max_model_len);
	for (size_t i = 0; i < c.npt; i++)
		ve_buf_addf(&b, "%s%u", i ? "," : "", c.pt[i].id);
	ve_buf_adds(&b, "],\"token_strs\":");
	if (strs) {
		ve_buf_addc(&b, '[');
		for (size_t i = 0; i < c.npt; i++) {
			if (i)
				ve_buf_addc(&b, ',');
			ve_buf_add_json_str(&b, c.ptext.p + c.pt[i].off, c.pt[i].len);
		}
		ve_buf_addc(&b, ']');
	} else {
		ve_buf_adds(&b, "null");
	}
	ve_buf_addc(&b, '}');
	choice_free(&c);
	return send_buf(con, cn, 200, "application/json", &b);
}

/* POST /detokenize: {"tokens": [ids]} → {"prompt": text}. */
static enum MHD_Result
detokenize(struct MHD_Connection *con, struct conn *cn)
{
	struct rerr e = {0};
	jv req = jv_parse_sized(cn->body.p ? cn->body.p : "", (int)cn->body.len);
	struct choice c = {0};
	bool ok;

	if (jv_get_kind(req) != JV_KIND_OBJECT) {
		ok = bad(&e, NULL, "The request body must be a JSON object.");
	} else {
		jv t = field(req, "tokens");
		ok = jv_get_kind(t) == JV_KIND_ARRAY
		         ? prompt_from_ids(&c, t, &e)
		         : bad(&e, "tokens", "tokens: Input should be a valid list of integers");
		jv_free(t);
	}
	jv_free(req);
	if (!ok) {
		choice_free(&c);
		return send_err(con, cn, &e);
	}
	struct ve_buf b = {0};
	ve_buf_adds(&b, "{\"prompt\":");
	ve_buf_add_json_str(&b, c.ptext.p ? c.ptext.p : "", c.ptext.len);
	ve_buf_addc(&b, '}');
	choice_free(&c);
	return send_buf(con, cn, 200, "application/json", &b);
}

static enum MHD_Result
models(struct sim *s, struct MHD_Connection *con, struct conn *cn)
{
	struct ve_buf b = {0};

	ve_buf_adds(&b, "{\"object\":\"list\",\"data\":[{\"id\":");
	add_str(&b, s->o->model);
	ve_buf_addf(&b, ",\"object\":\"model\",\"created\":%ld,\"owned_by\":\"vllm\",\"root\":",
	            s->created);
	add_str(&b, s->o->model);
	ve_buf_addf(
	    &b,
	    ",\"parent\":null,\"max_model_len\":%ld,\"permission\":[{\"id\":"
	    "\"modelperm-%016llx\",\"object\":\"model_permission\",\"created\":%ld,"
	    "\"allow_create_engine\":false,\"allow_sampling\":true,\"allow_logprobs\":true,"
	    "\"allow_search_indices\":false,\"allow_view\":true,\"allow_fine_tuning\":false,"
	    "\"organization\":\"*\",\"group\":null,\"is_blocking\":false}]}]}",
	    s->o->max_model_len, (unsigned long long)h3(s->o->seed, 0, 'm'), s->created);
	return send_buf(con, cn, 200, "application/json", &b);
}

static bool
authorized(const struct sim *s, struct MHD_Connection *con)
{
	const char *h = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
	size_t n = strlen(s->api_key);

	return h && strncmp(h, "Bearer ", 7) == 0 && strlen(h + 7) == n &&
	       memcmp(h + 7, s->api_key, n) == 0;
}

static enum MHD_Result
route(struct sim *s, struct MHD_Connection *con, struct conn *cn, const char *url,
      const char *method)
{
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	struct ve_buf b = {0};

	if (cn->too_big) {
		struct rerr e = {413, "BadRequestError", "The request body is too large.", NULL};
		return send_err(con, cn, &e);
	}
	if (s->api_key && strncmp(url, "/v1/", 4) == 0 && !authorized(s, con))
		return send_json(con, cn, 401, "{\"error\":\"Unauthorized\"}");
	if (strcmp(url, "/v1/completions") == 0 && post)
		return inference(s, con, cn, API_COMPLETIONS);
	if (strcmp(url, "/v1/chat/completions") == 0 && post)
		return inference(s, con, cn, API_CHAT);
	if (strcmp(url, "/tokenize") == 0 && post)
		return tokenize(s, con, cn);
	if (strcmp(url, "/detokenize") == 0 && post)
		return detokenize(con, cn);
	if (strcmp(url, "/v1/models") == 0 && get)
		return models(s, con, cn);
	if ((strcmp(url, "/health") == 0 && get) || (strcmp(url, "/ping") == 0 && (get || post)))
		return send_buf(con, cn, 200, NULL, &b);
	if (strcmp(url, "/version") == 0 && get)
		return send_json(con, cn, 200, "{\"version\":\"" SIM_VLLM_VERSION "\"}");
	if (strcmp(url, "/metrics") == 0 && get) {
		metrics_text(s, &b);
		return send_buf(con, cn, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
	}
	if (strcmp(url, "/tokenizer_info") == 0 && get) {
		ve_buf_addf(&b,
		            "{\"tokenizer_class\":\"VllmSimTokenizer\",\"model_max_length\":%ld,"
		            "\"vocab_size\":%u,\"add_bos_token\":false,\"bos_token\":null,"
		            "\"eos_token\":\"" VE_TOK_EOS_TEXT "\",\"chat_template\":",
		            s->o->max_model_len, VE_TOK_EOS + 1);
		add_str(&b, "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content "
		            "}}<|im_end|>\n{% endfor %}<|im_start|>assistant\n");
		ve_buf_addc(&b, '}');
		return send_buf(con, cn, 200, "application/json", &b);
	}
	static const char *const known[] = {"/v1/completions", "/v1/chat/completions",
	                                    "/tokenize",       "/detokenize",
	                                    "/v1/models",      "/health",
	                                    "/ping",           "/version",
	                                    "/metrics",        "/tokenizer_info"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(url, known[i]) == 0)
			return send_json(con, cn, 405, "{\"detail\":\"Method Not Allowed\"}");
	return send_json(con, cn, 404, "{\"detail\":\"Not Found\"}");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *con, const char *url, const char *method,
        const char *version, const char *upload, size_t *upsize, void **con_cls)
{
	struct sim *s = cls;
	struct conn *cn = *con_cls;

	(void)version;
	if (!cn) {
		cn = ve_xcalloc(1, sizeof *cn);
		cn->arrival = ve_now();
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upsize) {
		if (cn->body.len + *upsize > MAX_BODY)
			cn->too_big = true;
		else
			ve_buf_add(&cn->body, upload, *upsize);
		*upsize = 0;
		return MHD_YES;
	}
	enum MHD_Result r = route(s, con, cn, url, method);
	logreq(s, method, url, r == MHD_YES ? cn->status : 0);
	return r;
}

static void
completed(void *cls, struct MHD_Connection *con, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (cn) {
		ve_buf_free(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct sim *s = cls;

	if (s->o->cli.verbose > 1) {
		fprintf(stderr, "%s: libmicrohttpd: ", ve_progname);
		vfprintf(stderr, fmt, ap);
	}
}

/* ---- main ---- */

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [--host HOST] [-p PORT] [--port-file FILE] [-m NAME]\n"
	        "                [--api-key-file FILE] [-s SEED] [--max-model-len N]\n"
	        "                [--ttft-ms MS] [--prefill-tps TPS] [--itl-ms MS] [--jitter F]\n"
	        "                [--load-factor F] [--max-num-seqs N] [--stream-interval N]\n"
	        "                [--output-len N] [--kv-cache-tokens N] [--fail-rate P]\n"
	        "                [--fail-codes LIST] [--drop-rate P] [--stall-rate P]\n"
	        "                [--answers FILE] [--accuracy P] [--max-connections N]\n"
	        "\n"
	        "Serve vLLM's OpenAI-compatible API with simulated latency, faults and accuracy.\n"
	        "Prints the URL it listens on as the first line of stdout; SIGTERM stops it.\n"
	        "\n"
	        "      --host HOST          address to listen on (default 127.0.0.1)\n"
	        "  -p, --port PORT          port (default 8000; 0 picks a free one)\n"
	        "      --port-file FILE     write the port there once listening\n"
	        "  -m, --model NAME         served model name (default sim-model)\n"
	        "      --api-key-file FILE  require this key as a Bearer token on /v1 (else\n"
	        "                           $VLLM_API_KEY when set)\n"
	        "  -s, --seed SEED          seed of text, faults and accuracy (default 0)\n"
	        "      --max-model-len N    context length (default 4096)\n"
	        "      --ttft-ms MS         time to first token of an idle server (default 20)\n"
	        "      --prefill-tps TPS    prompt tokens prefilled per second (default 20000)\n"
	        "      --itl-ms MS          inter-token latency (default 10)\n"
	        "      --jitter F           ITL spread, uniform +-F of it (default 0)\n"
	        "      --load-factor F      ITL x (1 + F x running/max-num-seqs) (default 0.5)\n"
	        "      --max-num-seqs N     requests decoding at once; others wait (default 256)\n"
	        "      --stream-interval N  tokens per SSE event after the first (default 1)\n"
	        "      --output-len N       mean natural output length in tokens (default 64)\n"
	        "      --kv-cache-tokens N  KV-cache size for the usage gauge (default 262144)\n"
	        "      --fail-rate P        answer this share of requests with an error status\n"
	        "      --fail-codes LIST    statuses for --fail-rate (default 429,500,503)\n"
	        "      --drop-rate P        close this share of responses mid-way\n"
	        "      --stall-rate P       never answer this share of requests\n"
	        "      --answers FILE       answer key (JSONL: match, choices, gold)\n"
	        "      --accuracy P         share of key items answered right (default 1)\n"
	        "      --max-connections N  simultaneous connections (default 4096)\n",
	        ve_progname);
	ve_cli_help(f, 0, 27);
	fprintf(f,
	        "\n"
	        "With -v, requests are logged to stderr; -vv adds the HTTP library's messages.\n"
	        "Exit: 0 stopped by a signal, 64 usage, 65 bad answer key, 66 cannot open a file,\n"
	        "69 cannot listen, 73 cannot create the port file, 74 I/O error.\n"
	        "See vllm-sim(1).\n");
}

enum {
	OPT_HOST = 256,
	OPT_PORT_FILE,
	OPT_API_KEY_FILE,
	OPT_MAX_MODEL_LEN,
	OPT_TTFT,
	OPT_PREFILL,
	OPT_ITL,
	OPT_JITTER,
	OPT_LOAD,
	OPT_SEQS,
	OPT_INTERVAL,
	OPT_OUTPUT_LEN,
	OPT_KV,
	OPT_FAIL_RATE,
	OPT_FAIL_CODES,
	OPT_DROP,
	OPT_STALL,
	OPT_ANSWERS,
	OPT_ACCURACY,
	OPT_MAX_CONN,
};

static void
parse_codes(struct opts *o, const char *arg)
{
	char *copy = ve_xstrdup(arg), *save = NULL;

	o->nfail_codes = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long v;
		if (!ve_parse_long(t, 400, 599, &v)) {
			char bad_code[64];
			snprintf(bad_code, sizeof bad_code, "%s", t);
			free(copy);
			ve_usage_error("--fail-codes: '%s' is not an HTTP error status (400-599)",
			               bad_code);
		}
		if (o->nfail_codes == MAX_FAIL_CODES) {
			free(copy);
			ve_usage_error("--fail-codes: at most %d statuses", MAX_FAIL_CODES);
		}
		o->fail_codes[o->nfail_codes++] = (int)v;
	}
	free(copy);
	if (!o->nfail_codes)
		ve_usage_error("--fail-codes: no status given");
}

/* Sets the tool's own option c from its argument; each number through its checked parser. */
static void
set_option(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_HOST: o->host = arg; break;
	case 'p': o->port = ve_opt_long("--port", arg, 0, 65535); break;
	case OPT_PORT_FILE: o->port_file = arg; break;
	case 'm':
		if (!*arg)
			ve_usage_error("--model: the name cannot be empty");
		o->model = arg;
		break;
	case OPT_API_KEY_FILE: o->api_key_file = arg; break;
	case 's':
		o->seed = (unsigned long long)ve_opt_long("--seed", arg, 0, 0x7fffffffffffffffL);
		break;
	case OPT_MAX_MODEL_LEN:
		o->max_model_len = ve_opt_long("--max-model-len", arg, 1, 100000000);
		break;
	case OPT_TTFT: o->ttft_ms = ve_opt_double("--ttft-ms", arg, 0, 3.6e6); break;
	case OPT_PREFILL: o->prefill_tps = ve_opt_double("--prefill-tps", arg, 1e-3, 1e12); break;
	case OPT_ITL: o->itl_ms = ve_opt_double("--itl-ms", arg, 0, 3.6e6); break;
	case OPT_JITTER: o->jitter = ve_opt_double("--jitter", arg, 0, 1); break;
	case OPT_LOAD: o->load_factor = ve_opt_double("--load-factor", arg, 0, 1000); break;
	case OPT_SEQS: o->max_num_seqs = ve_opt_long("--max-num-seqs", arg, 1, 1000000); break;
	case OPT_INTERVAL:
		o->stream_interval = ve_opt_long("--stream-interval", arg, 1, 1000000);
		break;
	case OPT_OUTPUT_LEN: o->output_len = ve_opt_long("--output-len", arg, 1, 100000000); break;
	case OPT_KV: o->kv_tokens = ve_opt_long("--kv-cache-tokens", arg, 1, 1L << 40); break;
	case OPT_FAIL_RATE: o->fail_rate = ve_opt_double("--fail-rate", arg, 0, 1); break;
	case OPT_FAIL_CODES: parse_codes(o, arg); break;
	case OPT_DROP: o->drop_rate = ve_opt_double("--drop-rate", arg, 0, 1); break;
	case OPT_STALL: o->stall_rate = ve_opt_double("--stall-rate", arg, 0, 1); break;
	case OPT_ANSWERS: o->answers = arg; break;
	case OPT_ACCURACY: o->accuracy = ve_opt_double("--accuracy", arg, 0, 1); break;
	case OPT_MAX_CONN:
		o->max_connections = ve_opt_long("--max-connections", arg, 1, 1000000);
		break;
	}
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"host", required_argument, NULL, OPT_HOST},
	    {"port", required_argument, NULL, 'p'},
	    {"port-file", required_argument, NULL, OPT_PORT_FILE},
	    {"model", required_argument, NULL, 'm'},
	    {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
	    {"seed", required_argument, NULL, 's'},
	    {"max-model-len", required_argument, NULL, OPT_MAX_MODEL_LEN},
	    {"ttft-ms", required_argument, NULL, OPT_TTFT},
	    {"prefill-tps", required_argument, NULL, OPT_PREFILL},
	    {"itl-ms", required_argument, NULL, OPT_ITL},
	    {"jitter", required_argument, NULL, OPT_JITTER},
	    {"load-factor", required_argument, NULL, OPT_LOAD},
	    {"max-num-seqs", required_argument, NULL, OPT_SEQS},
	    {"stream-interval", required_argument, NULL, OPT_INTERVAL},
	    {"output-len", required_argument, NULL, OPT_OUTPUT_LEN},
	    {"kv-cache-tokens", required_argument, NULL, OPT_KV},
	    {"fail-rate", required_argument, NULL, OPT_FAIL_RATE},
	    {"fail-codes", required_argument, NULL, OPT_FAIL_CODES},
	    {"drop-rate", required_argument, NULL, OPT_DROP},
	    {"stall-rate", required_argument, NULL, OPT_STALL},
	    {"answers", required_argument, NULL, OPT_ANSWERS},
	    {"accuracy", required_argument, NULL, OPT_ACCURACY},
	    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
	    {NULL, 0, NULL, 0},
	};
	int c;

	/* No record options: the answer key is a file it loads, not a record stream. */
	o->cli.flags = 0;
	while ((c = ve_getopt(argc, argv, "p:m:s:", longopts, &o->cli, usage)) != -1)
		set_option(o, c, optarg);
	if (optind < argc)
		ve_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->accuracy < 1 && !o->answers)
		ve_usage_error("--accuracy needs --answers (without a key, answers are at chance)");
}

/*
 * The API key from --api-key-file (its first line) or $VLLM_API_KEY; NULL for
 * none. The file is a secret, not records: read as one line.
 */
static char *
read_api_key(const struct opts *o)
{
	if (!o->api_key_file) {
		const char *env = getenv("VLLM_API_KEY");
		return env && *env ? ve_xstrdup(env) : NULL;
	}
	FILE *f = fopen(o->api_key_file, "r");
	if (!f)
		ve_die(VE_EX_NOINPUT, "%s:", o->api_key_file);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		ve_die(VE_EX_DATAERR, "%s: the API key file is empty", o->api_key_file);
	}
	return line;
}

/* Allows as many open files as connections need, within the hard limit. */
static void
raise_nofile(long want)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < (rlim_t)want + 64) {
		r.rlim_cur = (rlim_t)want + 64 < r.rlim_max ? (rlim_t)want + 64 : r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static void
hist_init(struct hist *h, const double *le, int n)
{
	h->le = le;
	h->n = n;
	h->counts = ve_xcalloc((size_t)n + 1, sizeof *h->counts);
}

/* The server's state before it listens: keys, histograms, the lock, the stop event. */
static void
sim_init(struct sim *s, const struct opts *o)
{
	pthread_condattr_t ca;

	s->o = o;
	s->api_key = read_api_key(o);
	if (o->answers)
		ve_simkey_load(&s->key, o->answers);
	s->created = (long)time(NULL);
	hist_init(&s->ttft, ttft_le, (int)(sizeof ttft_le / sizeof ttft_le[0]));
	hist_init(&s->itl, itl_le, (int)(sizeof itl_le / sizeof itl_le[0]));
	hist_init(&s->e2e, e2e_le, (int)(sizeof e2e_le / sizeof e2e_le[0]));
	hist_init(&s->queue, e2e_le, (int)(sizeof e2e_le / sizeof e2e_le[0]));
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->stopfd = eventfd(0, EFD_CLOEXEC);
	if (s->stopfd < 0)
		ve_die(VE_EX_SOFTWARE, "eventfd:");
}

/*
 * Starts libmicrohttpd on the listening socket fd: one thread per
 * connection, so a request can sleep through its simulated latency without
 * holding others.
 */
static struct MHD_Daemon *
start_daemon(struct sim *s, int fd, bool ipv6)
{
	return MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                            MHD_USE_POLL | (ipv6 ? MHD_USE_IPv6 : 0),
	                        0, NULL, NULL, handler, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)s->o->max_connections,
	                        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	                        /*
	                         * A client idle this long (headers and half a body, then nothing)
	                         * gives its thread back; waits inside the handler (queueing,
	                         * stalls) do not count.
	                         */
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_END);
}

/*
 * A socket listening on --host and --port (0: a free one), its port in
 * *port. The daemon starts on it only once the URL, the port file and
 * -v's "listening" line are out: a client that connects before waits in
 * the backlog, so nothing is served or logged ahead of them. Set up as
 * libmicrohttpd sets up its own: SO_REUSEADDR, IPv6 only on an IPv6
 * address. -1 after a message.
 */
static int
open_listener(const struct opts *o, bool *ipv6, unsigned *port)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	                         .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	char portstr[16];
	int one = 1;

	snprintf(portstr, sizeof portstr, "%ld", o->port);
	int gai = getaddrinfo(o->host, portstr, &hints, &ai);
	if (gai != 0) {
		ve_warn("%s: %s", o->host, gai_strerror(gai));
		return -1;
	}
	*ipv6 = ai->ai_family == AF_INET6;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	          (!*ipv6 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
	          bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0 &&
	          getsockname(fd, (struct sockaddr *)&sa, &salen) == 0;
	int e = errno;
	freeaddrinfo(ai);
	if (!ok) {
		ve_warn("cannot listen on %s port %ld: %s", o->host, o->port, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
	                                       : ((struct sockaddr_in *)&sa)->sin_port);
	return fd;
}

/*
 * Says where it listens: the URL as stdout's first line, then the port into
 * the --port-file opened at the start (pf, closed here). 0 or 74.
 */
static int
announce(const struct opts *o, bool ipv6, unsigned port, FILE *pf)
{
	printf(ipv6 ? "http://[%s]:%u\n" : "http://%s:%u\n", o->host, port);
	if (fflush(stdout) != 0) {
		if (pf)
			fclose(pf);
		return VE_EX_IOERR;
	}
	if (pf) {
		fprintf(pf, "%u\n", port);
		int rc = ve_fclose_checked(pf, o->port_file);
		if (rc)
			return rc;
	}
	if (o->cli.verbose)
		ve_warn("listening on %s port %u, model %s, seed %llu", o->host, port, o->model,
		        o->seed);
	return 0;
}

/* Serves until SIGTERM, SIGINT or SIGHUP, taken from sigs (blocked in every thread). */
static void
serve(const struct opts *o, sigset_t *sigs)
{
	int sig;

	while (sigwait(sigs, &sig) == 0 && sig != SIGTERM && sig != SIGINT && sig != SIGHUP)
		;
	if (o->cli.verbose)
		ve_warn("stopping (%s)", strsignal(sig));
}

/* Ends waits in progress (a stall, a queue), stops the daemon and frees the state. */
static void
sim_stop(struct sim *s, struct MHD_Daemon *d)
{
	uint64_t one = 1;

	if (write(s->stopfd, &one, sizeof one) < 0 && !s->o->cli.quiet)
		ve_warn("eventfd:");
	if (d)
		MHD_stop_daemon(d);
	close(s->stopfd);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->ttft.counts);
	free(s->itl.counts);
	free(s->e2e.counts);
	free(s->queue.counts);
	free(s->api_key);
	ve_simkey_free(&s->key);
}

/*
 * vllm-sim serves HTTP on --host and --port until a signal stops it. It
 * reads only its answer key (--answers, JSON Lines) and its API key file;
 * it writes the URL it listens on to stdout, the port to --port-file, and
 * with -v a line per request to stderr. See vllm-sim(1).
 */
int
main(int argc, char **argv)
{
	struct opts o = {
	    .host = "127.0.0.1",
	    .port = 8000,
	    .model = "sim-model",
	    .max_model_len = 4096,
	    .ttft_ms = 20,
	    .prefill_tps = 20000,
	    .itl_ms = 10,
	    .load_factor = 0.5,
	    .max_num_seqs = 256,
	    .stream_interval = 1,
	    .output_len = 64,
	    .kv_tokens = 262144,
	    .fail_codes = {429, 500, 503},
	    .nfail_codes = 3,
	    .accuracy = 1,
	    .max_connections = 4096,
	};
	struct sim s = {0};
	struct MHD_Daemon *d = NULL;
	FILE *pf = NULL;
	sigset_t sigs;
	bool ipv6 = false;
	unsigned port = 0;
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	sim_init(&s, &o);
	/*
	 * Created before listening, so that a file that cannot be created stops
	 * it before it serves, and a stale port is gone once it starts.
	 */
	if (o.port_file)
		pf = ve_open_output("--port-file", o.port_file);
	raise_nofile(o.max_connections);
	/* Every thread MHD starts inherits the blocked signals; main takes them with sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	int fd = open_listener(&o, &ipv6, &port);
	if (fd < 0) {
		rc = VE_EX_UNAVAILABLE;
		if (pf)
			fclose(pf);
	} else {
		rc = announce(&o, ipv6, port, pf);
	}
	if (!rc && !(d = start_daemon(&s, fd, ipv6))) {
		ve_warn("cannot serve on %s port %u: libmicrohttpd failed to start", o.host, port);
		rc = VE_EX_UNAVAILABLE;
	}
	if (!rc)
		serve(&o, &sigs);
	/* The daemon closes the socket it was given; without one, it is closed here. */
	if (!d && fd >= 0)
		close(fd);
	sim_stop(&s, d);
	int rc2 = ve_out_close();
	return rc ? rc : rc2;
}
