/*
 * The request core of vllm-sim: reads the JSON body of a completions, chat,
 * tokenize or detokenize request, checks it in vLLM's order with vLLM's
 * messages, plans what it produces (text, tokens and logprobs, from the
 * seeds, the documented tokenizer of simtok.h and the answer key of
 * simkey.h) and writes the answers: a whole body, SSE events, or vLLM's
 * error object. Each request's fault (an error status, a cut stream, a
 * stall) is drawn here too, from the seed and the request's number. It has
 * no sockets, no clock but the "created" stamp and no locks: vllm-sim(1)
 * numbers, times and serves the plans; the fuzz target tests/fuzz/simreq.c
 * feeds it arbitrary bodies.
 *
 * Ownership: a plan is the caller's (ve_simplan_free); the configuration and
 * the answer key are borrowed and must outlive every plan made from them.
 * Answers are appended to a ve_buf the caller owns.
 *
 * Bounds: a request holds at most max_prompts prompts, and no prompt is
 * tokenized past max_model_len tokens (a longer one is only counted), so
 * what one request costs beyond its body is about max_prompts x
 * max_model_len tokens (see vllm-sim(1), LIMITS).
 */
#ifndef VE_SIMREQ_H
#define VE_SIMREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "simkey.h"

/* The most top logprobs a request may ask for, as vLLM's default --max-logprobs. */
#define VE_SIM_MAX_LOGPROBS 20
/* JSON objects and arrays a body may hold, beyond one per prompt (max_prompts). */
#define VE_SIM_MAX_CONTAINERS 65536
/* The most statuses a failure may be drawn from (--fail-codes). */
#define VE_SIM_MAX_FAIL_CODES 16

/* What the core reads from the server's options. */
struct ve_simcfg {
	const char *model;           /* served model name */
	uint64_t seed;               /* --seed */
	long max_model_len;          /* context length in tokens, at least 1 */
	long output_len;             /* mean natural output length in tokens, at least 1 */
	long max_prompts;            /* prompts a completions request may hold, at least 1 */
	double accuracy;             /* share of key items answered right */
	double churn;                /* share of key items drawn from churn_seed instead */
	long churn_seed;             /* --churn-seed */
	const struct ve_simkey *key; /* answer key (zeroed: none) */
	/* The shares of requests that fail, are cut, stall (--fail-rate, ...): */
	double fail_rate, drop_rate, stall_rate;
	int fail_codes[VE_SIM_MAX_FAIL_CODES]; /* a failure's statuses, 400-599 */
	int nfail_codes;                       /* at least 1 when fail_rate > 0 */
	/* Reasoning (vllm-sim(1), Reasoning): chat answers think first. */
	long reasoning_tokens;       /* the thought's length in tokens; 0: no thought */
	bool reasoning_tags;         /* the thought in the content, between <think> tags */
	const char *reasoning_field; /* else the message's and deltas' field for it */
	/* Every body parsed whole by libjq (VLLM_SIM_SCAN=0), not its prompt read apart. */
	bool jq_only;
};

enum { VE_SIM_COMPLETIONS, VE_SIM_CHAT };
enum { VE_SIM_FAULT_NONE, VE_SIM_FAULT_FAIL, VE_SIM_FAULT_DROP, VE_SIM_FAULT_STALL };

/* One token with its log-probability and how its top list looks. */
struct ve_simptok {
	uint32_t id;
	uint32_t off, len; /* bytes in the choice's text */
	uint32_t cp;       /* code points from the start of the text */
	double lp;
	int kind;
};

/* One choice (one prompt of a batch): the prompt and what is generated. */
struct ve_simchoice {
	struct ve_buf ptext;   /* the prompt, as text */
	struct ve_simptok *pt; /* its tokens, with logprobs when echoed */
	size_t npt;
	struct ve_buf gtext; /* the generated text */
	struct ve_simptok *gt;
	size_t ngt, gtcap;
	uint32_t gcp;       /* code points in gtext */
	const char *finish; /* "stop" or "length" (static) */
	char *stop_reason;  /* the stop string that ended it, or NULL */
	/* Letter mode: the letters in rank order with their logprobs. */
	char letters[26][3];
	double letter_lp[26];
	int nletters;
	/* A thought apart from the content (the plan's split): its tokens and bytes, first. */
	size_t nthink, think_len;
};

/*
 * What a request will produce. The core fills everything down to max_gen;
 * the server numbers it (ve_simplan_number, ve_simplan_fault).
 */
struct ve_simplan {
	int api;
	char id[48];
	long created;
	struct ve_simchoice *c;
	int nc;
	bool echo, stream, include_usage, ignore_eos;
	bool think;         /* a chat answer thinks first (unless enable_thinking is false) */
	bool split;         /* and the thought goes in rfield, apart from the content */
	const char *rfield; /* the message's reasoning field (static or the configuration's) */
	int logprobs;       /* completions: top-k, or -1 */
	bool chat_lp;       /* chat: logprobs */
	int top_logprobs;   /* chat */
	size_t prompt_tokens, completion_tokens, max_gen;
	uint64_t seed; /* the server's seed, for the logprob lists */
	const char *model;
	/* Set from the request's number: */
	int fault;      /* VE_SIM_FAULT_* */
	int fail_code;  /* the status of VE_SIM_FAULT_FAIL */
	size_t drop_at; /* the step a dropped stream is cut at */
	uint64_t rng;   /* the request's latency jitter */
};

/* A request error: HTTP status, vLLM's error type, the message and the param. */
struct ve_simerr {
	int status;
	const char *type; /* static */
	char msg[512];
	const char *param; /* static, or NULL */
};

/* The seeded hash of three numbers, and a hash as a number uniform in [0, 1). */
uint64_t ve_sim_h3(uint64_t a, uint64_t b, uint64_t c);
double ve_sim_u01(uint64_t h);

/*
 * Reads body[0..len) as a completions or chat request (api: VE_SIM_*) and
 * builds what it produces. NULL with e filled (400 or 404) when the body
 * is not JSON or the request is wrong.
 */
struct ve_simplan *ve_simplan_build(const struct ve_simcfg *cfg, int api, const char *body,
                                    size_t len, struct ve_simerr *e);
/* Names the plan from the server's seed and the request's number. */
void ve_simplan_number(struct ve_simplan *p, unsigned long long no);
/*
 * Draws the request's fault (the fault fields) and the seed of its latency
 * jitter from the server's seed and the request's number. True when the
 * request fails at once: e is then its answer.
 */
bool ve_simplan_fault(const struct ve_simcfg *cfg, struct ve_simplan *p, unsigned long long no,
                      struct ve_simerr *e);
void ve_simplan_free(struct ve_simplan *p);

/* The whole (non-streaming) response body. */
void ve_simplan_body(const struct ve_simplan *p, struct ve_buf *b);
/*
 * One SSE event for choice i carrying generated tokens [from, to); the
 * choice's last event carries its finish_reason. role: the chat role chunk.
 */
void ve_simplan_chunk(const struct ve_simplan *p, int i, size_t from, size_t to, bool role,
                      struct ve_buf *b);
/*
 * The SSE events that carry generated tokens [from, to) of each choice, as
 * a stream sends them: from 0 (to 1), the chat role chunk, then each
 * choice's first event, one without tokens included; past 0, an event for
 * each choice that has tokens from there.
 */
void ve_simplan_events(const struct ve_simplan *p, size_t from, size_t to, struct ve_buf *b);
/* The SSE event with the usage, after the last chunk. */
void ve_simplan_usage(const struct ve_simplan *p, struct ve_buf *b);

/* Appends vLLM's error object for e. */
void ve_simerr_body(const struct ve_simerr *e, struct ve_buf *b);

/*
 * POST /tokenize ({"prompt": ...} or {"messages": [...]}) and POST
 * /detokenize ({"tokens": [ids]}): true with the answer appended to out,
 * false with e filled.
 */
bool ve_simreq_tokenize(const struct ve_simcfg *cfg, const char *body, size_t len,
                        struct ve_buf *out, struct ve_simerr *e);
bool ve_simreq_detokenize(const struct ve_simcfg *cfg, const char *body, size_t len,
                          struct ve_buf *out, struct ve_simerr *e);

#endif
