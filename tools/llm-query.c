/*
 * llm-query — the OpenAI-compatible client.
 *
 * Reads query records (JSON Lines) and sends each one's request to a
 * vLLM-compatible server: the record's .request, or a /v1/completions body
 * built from --prompt, or a /v1/chat/completions body built from --messages,
 * with the command-line parameters filling what the record does not set.
 * Writes each record back, byte for byte, with "response" and "timing"
 * spliced in, or "error" when it failed after every retry: exactly one
 * output record per input record (vllm-eval(7), Query record).
 *
 * Every transfer runs on one libcurl multi handle (the classic multi loop of
 * curl's 10-at-a-time.c): -c requests in flight over kept-alive
 * connections, arrivals at --rate with gamma gaps, retries with backoff.
 * --stream measures TTFT, ITL and E2EL as vLLM's benchmark does
 * (vllm-eval(7)). --loglikelihood scores continuations the lm-evaluation-harness way.
 * -o FILE --resume sends only what FILE lacks; --cache DIR answers repeated
 * requests from disk.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>

#include "answer.h"
#include "array.h"
#include "buf.h"
#include "canon.h"
#include "cli.h"
#include "diag.h"
#include "http.h"
#include "json.h"
#include "keyset.h"
#include "num.h"
#include "output.h"
#include "progress.h"
#include "reader.h"
#include "rng.h"
#include "sha256.h"
#include "sse.h"

/*
 * lm-evaluation-harness's prefix token for an empty context is the
 * tokenizer's BOS, else its EOS (lm_eval/models/api_models.py,
 * prefix_token_id): GPT-2's and Qwen2 base models' <|endoftext|> by default.
 */
#define EOT_TEXT "<|endoftext|>"

struct opts {
	struct ve_cli cli;      /* -v, -q, --skip-bad, --rejects, --max-line, --progress, network */
	const char **endpoints; /* -e, or MODEL_ENDPOINT split at its commas */
	int nendpoints;
	char *env_endpoints; /* MODEL_ENDPOINT's copy that endpoints point into */
	const char *model;
	const char *prompt_expr;
	const char *messages_expr;
	const char *id_expr;
	const char *api_key_file;
	const char *out_path;
	const char *cache_dir;
	const char *extra;
	jv extra_obj; /* --extra parsed, or an empty object */
	const char *chat_kwargs;
	const char *prefix_token; /* --prefix-token: an empty context's text */
	jv chat_kwargs_obj;       /* --chat-template-kwargs parsed, or invalid when not given */
	double stream_timeout;    /* --stream-timeout: the whole of a streamed try */
	bool stream_timeout_set;
	char **stop;
	int nstop;
	long max_tokens;
	long seed; /* -1: none */
	long logprobs;
	long concurrency;
	long warmup;
	double temperature;
	double top_p;
	double rate;
	double burstiness;
	double max_failures;
	/* Switches, set by getopt_long itself (through an int, as it wants). */
	int echo;
	int ignore_eos;
	int stream;
	int loglikelihood;
	int ordered;
	int resume;
	int dry_run;
};

/* The steps of a request: loglikelihood tokenizes first. */
enum step {
	STEP_QUERY,      /* the one request of an ordinary record */
	STEP_TOK_CTX,    /* /tokenize the context */
	STEP_TOK_ALL,    /* /tokenize context + continuation */
	STEP_SCORE,      /* the echo request with token ids */
	STEP_SCORE_TEXT, /* the echo request with text (no /tokenize on the server) */
};

enum err_kind { ERR_NONE, ERR_HTTP, ERR_TIMEOUT, ERR_CONNECT, ERR_PROTOCOL };

/* Answer buffers kept for reuse (job_recycle): a count and a size, bounding what is kept. */
enum { SPARE_MAX = 64, SPARE_BYTES = 1 << 20 };
static const char *const err_names[] = {"", "http", "timeout", "connect", "protocol"};

/*
 * One server of the fleet (llm-query(1), Replicas); a single endpoint is a
 * fleet of one, which is never taken out.
 */
struct replica {
	char *root;   /* the server root, as ve_endpoint_parse gives it */
	char *url[3]; /* its APIs, in api_paths' order */
	char *shown;  /* root without credentials, for messages */
	char *field;  /* ,"replica":SHOWN spliced into a fleet's records */
	long inflight;
	int fails;        /* tries failed in a row */
	double out_until; /* 0: in service; else out until then, half-open after */
	double out_for;   /* the last period out: doubled at each failed probe */
	bool said;        /* its first taking out was said */
};

/* Taken out after this many failed tries in a row, for REP_OUT s doubling up to REP_OUT_MAX s. */
enum { REP_FAILS = 3 };
#define REP_OUT     1.0
#define REP_OUT_MAX 60.0

enum { URL_COMPLETIONS, URL_CHAT, URL_TOKENIZE };
static const char *const api_paths[] = {"/v1/completions", "/v1/chat/completions", "/tokenize"};

struct job {
	struct job *next; /* in the ready or the waiting queue */
	unsigned long long seq;
	char *line;
	size_t len;
	/*
	 * The API key and the endpoint's credentials, never to be written: a
	 * proxy may echo "Authorization: Bearer KEY" in its error text, and fail()
	 * is reached from libcurl's callbacks, which carry only the job.
	 */
	const struct ve_secrets *secrets;
	bool warm;
	enum ve_api api;
	enum step step;
	char *body;                  /* the request of the current step */
	jv context, continuation;    /* loglikelihood records, as tokenized (see build_ll) */
	bool prefix;                 /* the context was empty: it is the end-of-text token */
	long ctx_tokens, all_tokens; /* how many ids /tokenize gave each */
	struct ve_buf ids;           /* the last /tokenize's ids, as JSON text */
	int attempts;
	double arrival; /* when the record is due, monotonic; 0: now */
	double send, send_wall, first, last, queue;
	double *itl;
	size_t nitl, citl;
	struct ve_buf resp; /* body (or, with a cache, the raw stream) */
	struct ve_sse sse;
	struct ve_answer ans; /* what the answer said (lib/answer.h); its logprobs may be in resp */
	bool chunk_seen, done_seen, cached;
	bool cache_bad; /* the cached answer was unusable: ask the server */
	long status;
	double retry_after;
	char err[CURL_ERROR_SIZE];
	enum err_kind kind;
	struct ve_buf msg; /* why it failed */
	CURLcode code;     /* the transfer's result, when curl failed it */
	bool cut;          /* the answer came cut short: retried like a lost connection */
	double wake;
	size_t got;      /* bytes of the answer received in this attempt */
	size_t max_body; /* the most it may have (--max-body) */
	CURL *easy;
	struct replica *rep; /* the replica of the last try; NULL before the first */
	bool moved;          /* the last try failed there: the next goes elsewhere if it can */
	bool streaming;      /* this attempt streams (the query step of --stream) */
	double idle;         /* a stream's longest silence (--timeout), seconds */
	double heard;        /* when the stream last sent a byte (or was sent), monotonic */
	bool idled;          /* the stream stopped for its silence: a timeout */
	char key[2 * VE_SHA256_LEN + 1];
	struct ve_buf fields; /* what is spliced into the record */
	bool failed;
	unsigned long long tokens; /* completion tokens, for progress */
};

struct queue {
	struct job *head, *tail;
	size_t n;
};

struct run {
	const struct opts *o;
	struct replica *reps; /* -e URL... */
	size_t nrep;
	size_t turn; /* where route looks first: ties go round */
	enum ve_api api;
	char *model;         /* NULL until needed */
	bool model_tried;    /* model is what it will be */
	struct ve_http http; /* headers, secrets, the retry policy; the /v1/models lookup */
	struct ve_jq *prompt, *messages, *id;
	const char *id_path; /* --id as a path of keys: ids read from the text (NULL: by jq) */
	struct ve_canon canon;
	struct ve_reader *rd;
	bool in_done;
	int in_status; /* why reading stopped early: a bad record, an input error */
	struct ve_keyset *done_ids;
	struct ve_keyset *input_ids; /* --resume: the ids read so far, to refuse duplicates */
	unsigned long long resumed;
	struct ve_sha256 *sha;
	FILE *out;
	CURLM *multi;
	CURL **pool;
	size_t npool;
	/* finished jobs' answer buffers, for the next jobs (see job_recycle) */
	struct ve_buf spare[SPARE_MAX];
	size_t nspare;
	struct queue waiting, warm;
	long active;
	bool no_tokenize;
	bool scan; /* answers read by lib/scan.h first; LLM_QUERY_SCAN=0: by libjq alone */
	struct ve_rng rng;
	unsigned long long seq, next_out;
	struct job **slots; /* --ordered: finished jobs by seq - next_out */
	size_t nslots;
	unsigned long long total, done, ok, failed, tokens;
	bool total_known;
	double t0, last_progress;
	bool progress_on, progress_shown;
	char *score_tmpl; /* score_body with a null prompt, once (see score_body_ids) */
	size_t score_at;  /* where in it that null is; 0: not found */
	char *tok_tmpl;   /* the same of tokenize_body */
	size_t tok_at;
	bool said_kwargs; /* -v said once that completions bodies go without --chat-template-kwargs
	                   */
};

/* -c when --rate is given without it: vLLM's default of no limit. */
#define UNCAPPED LONG_MAX

/* max_wait < 0: a wait never outlasts a try, Retry-After is honoured up to --timeout. */
static const struct ve_cli_net net_defaults = {
    .retries = 3, .timeout = 300, .backoff = 0.5, .max_wait = -1};

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] [-e URL] [-m MODEL] [-p EXPR | --messages EXPR | --loglikelihood]\n"
	    "                 [-c N] [--rate R] [--burstiness B] [--stream] [-o FILE [--resume]]\n"
	    "                 [--cache DIR] [request options] [FILE...]\n"
	    "\n"
	    "Send each query record to an OpenAI-compatible server; write the record back\n"
	    "with \"response\" and \"timing\" (or \"error\"), exactly once.\n"
	    "\n"
	    "  -e, --endpoint URL      server root, root/v1, or a full completions URL;\n"
	    "                          repeated: one model's replicas, each record to the\n"
	    "                          least busy (default: $MODEL_ENDPOINT, URLs split at ,)\n"
	    "  -m, --model NAME        model (default: the first of /v1/models)\n"
	    "      --api-key-file FILE API key (default: $OPENAI_API_KEY, $VLLM_API_KEY)\n"
	    "  -p, --prompt EXPR       jq expression for a completions prompt (default .prompt)\n"
	    "      --messages EXPR     jq expression for chat messages\n"
	    "      --loglikelihood     score .continuation after .context\n"
	    "      --prefix-token TEXT an empty context's token, the tokenizer's BOS, else\n"
	    "                          its EOS, as lm-eval's (default <|endoftext|>)\n"
	    "      --max-tokens N      --temperature T  --top-p P  --seed N  --stop TEXT\n"
	    "      --logprobs N        --echo  --ignore-eos  --extra JSON\n"
	    "                          request parameters for what the record does not set\n"
	    "      --chat-template-kwargs JSON\n"
	    "                          chat requests' chat_template_kwargs, as\n"
	    "                          '{\"enable_thinking\": false}'\n"
	    "      --stream            stream, and time TTFT, ITL and E2EL; --timeout then\n"
	    "                          bounds the silence between bytes of the stream\n"
	    "      --stream-timeout S  the whole of one streamed try (default 3600)\n"
	    "  -c, --concurrency N     requests in flight (default 16; unlimited with --rate)\n"
	    "      --rate R            requests per second, gamma arrivals (default: all at once)\n"
	    "      --burstiness B      gamma shape of the arrivals (default 1: Poisson)\n"
	    "      --warmup N          send N requests first, left out of the output\n"
	    "      --max-failures PCT  failed records allowed before exit 69 (default 0)\n"
	    "      --id EXPR           jq expression for the record id (default .id)\n"
	    "  -o, --output FILE       write there instead of stdout\n"
	    "      --resume            keep FILE's answers, send only what it lacks\n"
	    "      --ordered           write in input order (default: completion order)\n"
	    "      --cache DIR         answer repeated requests from DIR (made if missing)\n"
	    "      --dry-run           write the requests that would be sent, send nothing\n",
	    ve_progname);
	ve_cli_help_net(f, VE_CLI_NETWORK, &net_defaults, 26);
	ve_cli_help(f, VE_CLI_RECORDS | VE_CLI_PROGRESS, 26);
	fprintf(f, "\n"
	           "Exit: 0 ok, 64 usage, 65 bad input, 66 cannot open, 69 too many failures or\n"
	           "no server, 73 cannot create, 74 I/O error. See llm-query(1).\n");
}

enum {
	OPT_MESSAGES = 256,
	OPT_API_KEY_FILE,
	OPT_MAX_TOKENS,
	OPT_TEMPERATURE,
	OPT_TOP_P,
	OPT_SEED,
	OPT_STOP,
	OPT_LOGPROBS,
	OPT_EXTRA,
	OPT_RATE,
	OPT_BURSTINESS,
	OPT_WARMUP,
	OPT_MAX_FAILURES,
	OPT_ID,
	OPT_CACHE,
	OPT_CHAT_KWARGS,
	OPT_PREFIX_TOKEN,
	OPT_STREAM_TIMEOUT,
};

/* Takes the tool's own option c (with its argument arg). */
static void
set_option(struct opts *o, int c, char *arg)
{
	switch (c) {
	case OPT_MAX_TOKENS: o->max_tokens = ve_opt_long("--max-tokens", arg, 0, 1L << 30); break;
	case OPT_TEMPERATURE: o->temperature = ve_opt_double("--temperature", arg, 0, 100); break;
	case OPT_TOP_P: o->top_p = ve_opt_double("--top-p", arg, 0, 1); break;
	case OPT_SEED: o->seed = ve_opt_long("--seed", arg, 0, INT64_MAX); break;
	case OPT_STOP:
		/* "" would stop every answer before its first token. */
		if (!*arg)
			ve_usage_error("--stop: expected a non-empty string");
		o->stop = ve_xrealloc(o->stop, sizeof *o->stop * (size_t)(o->nstop + 1));
		o->stop[o->nstop++] = arg;
		break;
	case OPT_LOGPROBS: o->logprobs = ve_opt_long("--logprobs", arg, 0, 1000); break;
	case OPT_EXTRA: o->extra = arg; break;
	case OPT_CHAT_KWARGS: o->chat_kwargs = arg; break;
	case OPT_PREFIX_TOKEN:
		if (!*arg)
			ve_usage_error("--prefix-token: expected a token's text");
		o->prefix_token = arg;
		break;
	case OPT_STREAM_TIMEOUT:
		o->stream_timeout = ve_opt_double("--stream-timeout", arg, 0.001, 604800);
		o->stream_timeout_set = true;
		break;
	case 'e':
		o->endpoints =
		    ve_xrealloc(o->endpoints, sizeof *o->endpoints * (size_t)(o->nendpoints + 1));
		o->endpoints[o->nendpoints++] = arg;
		break;
	case 'm': o->model = arg; break;
	case OPT_API_KEY_FILE: o->api_key_file = arg; break;
	case 'p': o->prompt_expr = arg; break;
	case OPT_MESSAGES: o->messages_expr = arg; break;
	case 'c': o->concurrency = ve_opt_long("--concurrency", arg, 1, 100000); break;
	case OPT_RATE: o->rate = ve_opt_double("--rate", arg, 1e-6, 1e9); break;
	case OPT_BURSTINESS: o->burstiness = ve_opt_double("--burstiness", arg, 1e-3, 1e6); break;
	case OPT_WARMUP: o->warmup = ve_opt_long("--warmup", arg, 0, 1000000); break;
	case OPT_MAX_FAILURES:
		o->max_failures = ve_opt_double("--max-failures", arg, 0, 100);
		break;
	case OPT_ID: o->id_expr = arg; break;
	case 'o': o->out_path = arg; break;
	case OPT_CACHE: o->cache_dir = arg; break;
	}
}

/*
 * MODEL_ENDPOINT's URLs, split at their commas (a fleet of replicas, as
 * repeated -e). An empty item is left in, for ve_http_need_url to refuse.
 */
static void
split_endpoints(struct opts *o, const char *env)
{
	o->env_endpoints = ve_xstrdup(env);
	for (char *p = o->env_endpoints, *c;; p = c + 1) {
		if ((c = strchr(p, ',')))
			*c = '\0';
		set_option(o, 'e', p);
		if (!c)
			break;
	}
}

/* Usage errors of option combinations, found before anything is opened. */
static void
check_args(struct opts *o, char *const *files, int nfiles)
{
	const char *env = getenv("MODEL_ENDPOINT");
	if (!o->nendpoints && env && *env)
		split_endpoints(o, env);
	if (!o->nendpoints && !o->dry_run)
		ve_usage_error("no endpoint: give --endpoint URL or set MODEL_ENDPOINT");
	if (!o->nendpoints)
		set_option(o, 'e', "http://127.0.0.1:8000");
	if ((o->prompt_expr != NULL) + (o->messages_expr != NULL) + o->loglikelihood > 1)
		ve_usage_error("--prompt, --messages and --loglikelihood exclude one another");
	if (o->loglikelihood && o->stream)
		ve_usage_error("--loglikelihood does not stream");
	if (o->stream_timeout_set && !o->stream)
		ve_usage_error("--stream-timeout bounds a streamed try: it needs --stream");
	if (o->resume && !o->out_path)
		ve_usage_error("--resume needs -o FILE (the answers to keep)");
	if (o->out_path && strcmp(o->out_path, "-") == 0)
		ve_usage_error("-o: give a file name (stdout is the default)");
	/* Opening FILE (or rewriting it for --resume) would empty an input. */
	ve_refuse_input_as_output("-o", o->out_path, files, nfiles);
	for (int i = 0; i < o->nendpoints; i++)
		ve_http_need_url("--endpoint", o->endpoints[i], true);
	o->extra_obj = o->extra ? jv_parse(o->extra) : jv_object();
	if (jv_get_kind(o->extra_obj) != JV_KIND_OBJECT)
		ve_usage_error("--extra: expected a JSON object");
	o->chat_kwargs_obj = o->chat_kwargs ? jv_parse(o->chat_kwargs) : jv_invalid();
	if (o->chat_kwargs && jv_get_kind(o->chat_kwargs_obj) != JV_KIND_OBJECT)
		ve_usage_error("--chat-template-kwargs: expected a JSON object");
	/* Only chat requests take it: these two send completions, always. */
	if (o->chat_kwargs && (o->loglikelihood || o->prompt_expr))
		ve_usage_error("--chat-template-kwargs needs chat requests, not %s",
		               o->loglikelihood ? "--loglikelihood" : "--prompt");
	if (o->prefix_token && !o->loglikelihood)
		ve_usage_error("--prefix-token is the empty context of --loglikelihood");
	if (!o->prefix_token)
		o->prefix_token = EOT_TEXT;
	if (o->concurrency == 0)
		o->concurrency = o->rate > 0 ? UNCAPPED : 16;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"endpoint", required_argument, NULL, 'e'},
	    {"model", required_argument, NULL, 'm'},
	    {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
	    {"prompt", required_argument, NULL, 'p'},
	    {"messages", required_argument, NULL, OPT_MESSAGES},
	    {"loglikelihood", no_argument, &o->loglikelihood, 1},
	    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
	    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
	    {"top-p", required_argument, NULL, OPT_TOP_P},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"stop", required_argument, NULL, OPT_STOP},
	    {"logprobs", required_argument, NULL, OPT_LOGPROBS},
	    {"echo", no_argument, &o->echo, 1},
	    {"ignore-eos", no_argument, &o->ignore_eos, 1},
	    {"extra", required_argument, NULL, OPT_EXTRA},
	    {"chat-template-kwargs", required_argument, NULL, OPT_CHAT_KWARGS},
	    {"prefix-token", required_argument, NULL, OPT_PREFIX_TOKEN},
	    {"stream-timeout", required_argument, NULL, OPT_STREAM_TIMEOUT},
	    {"stream", no_argument, &o->stream, 1},
	    {"concurrency", required_argument, NULL, 'c'},
	    {"rate", required_argument, NULL, OPT_RATE},
	    {"burstiness", required_argument, NULL, OPT_BURSTINESS},
	    {"warmup", required_argument, NULL, OPT_WARMUP},
	    {"max-failures", required_argument, NULL, OPT_MAX_FAILURES},
	    {"id", required_argument, NULL, OPT_ID},
	    {"output", required_argument, NULL, 'o'},
	    {"resume", no_argument, &o->resume, 1},
	    {"ordered", no_argument, &o->ordered, 1},
	    {"cache", required_argument, NULL, OPT_CACHE},
	    {"dry-run", no_argument, &o->dry_run, 1},
	    {NULL, 0, NULL, 0},
	};
	int c;

	o->cli = (struct ve_cli){.flags = VE_CLI_RECORDS | VE_CLI_PROGRESS | VE_CLI_NETWORK,
	                         .net = net_defaults};
	while ((c = ve_getopt(argc, argv, "e:m:p:c:o:", longopts, &o->cli, usage)) != -1)
		set_option(o, c, optarg);
	check_args(o, argv + optind, argc - optind);
}

static void
queue_push(struct queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
}

static struct job *
queue_pop(struct queue *q)
{
	struct job *j = q->head;

	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
		j->next = NULL;
	}
	return j;
}

static struct job *
job_new(const char *line, size_t len, const struct ve_secrets *secrets)
{
	struct job *j = ve_xcalloc(1, sizeof *j);

	j->line = ve_xmalloc(len + 1);
	memcpy(j->line, line, len);
	j->line[len] = '\0';
	j->len = len;
	j->secrets = secrets;
	j->context = jv_null();
	j->continuation = jv_null();
	ve_answer_init(&j->ans, VE_API_NONE, false);
	return j;
}

/* Forgets what one attempt received. */
static void
job_clear_attempt(struct job *j)
{
	ve_buf_reset(&j->resp);
	ve_answer_reset(&j->ans);
	j->idled = false;
	ve_buf_reset(&j->msg);
	ve_sse_reset(&j->sse);
	j->nitl = 0;
	j->chunk_seen = j->done_seen = j->cached = false;
	j->status = 0;
	j->retry_after = -1;
	j->err[0] = '\0';
	j->kind = ERR_NONE;
	j->code = CURLE_OK;
	j->cut = false;
	j->got = 0;
}

static void
job_free(struct job *j)
{
	if (!j)
		return;
	free(j->line);
	free(j->body);
	free(j->itl);
	jv_free(j->context);
	jv_free(j->continuation);
	ve_buf_free(&j->ids);
	ve_answer_free(&j->ans);
	ve_buf_free(&j->resp);
	ve_buf_free(&j->msg);
	ve_buf_free(&j->fields);
	ve_sse_free(&j->sse);
	free(j);
}

static struct job *
job_clone(const struct job *src)
{
	struct job *j = job_new(src->line, src->len, src->secrets);

	j->warm = true;
	j->api = src->api;
	j->step = src->step;
	j->body = src->body ? ve_xstrdup(src->body) : NULL;
	j->context = jv_copy(src->context);
	j->continuation = jv_copy(src->continuation);
	return j;
}

/* The model for requests that name none: --model, else the server's first. */
static const char *
run_model(struct run *r)
{
	if (r->model_tried)
		return r->model;
	r->model_tried = true;
	/* A fleet serves one model: the first replica that answers names it. */
	jv m = jv_invalid();
	size_t i = 0;
	for (; i < r->nrep && !jv_is_valid(m); i++) {
		jv_free(m);
		m = ve_http_first_model(&r->http, r->reps[i].root,
		                        r->http.timeout < 30 ? r->http.timeout : 30);
	}
	if (!jv_is_valid(m)) {
		jv msg = jv_invalid_get_msg(m);
		/* The message is scrubbed of the client's secrets already. */
		ve_warn("%s/v1/models: no model name (give --model): %s", r->reps[i - 1].shown,
		        jv_string_value(msg));
		jv_free(msg);
		exit(VE_EX_UNAVAILABLE);
	}
	r->model = ve_json_strdup(m, NULL);
	jv_free(m);
	return r->model;
}

/* body with key set to value unless it has key already (all three consumed). */
static jv
set_default(jv body, jv key, jv value)
{
	if (jv_object_has(jv_copy(body), jv_copy(key))) {
		jv_free(key);
		jv_free(value);
		return body;
	}
	return jv_object_set(body, key, value);
}

/* body (consumed) with the model of run_model unless it names one. */
static jv
with_model(struct run *r, jv body)
{
	const char *m = jv_object_has(jv_copy(body), jv_string("model")) ? NULL : run_model(r);

	return m ? jv_object_set(body, jv_string("model"), jv_string(m)) : body;
}

/* Fills what the body does not set from the options; consumes body. */
static jv
fill_params(struct run *r, jv body, enum ve_api api)
{
	const struct opts *o = r->o;

	body = with_model(r, body);
	if (o->max_tokens >= 0)
		body = set_default(body, jv_string("max_tokens"), jv_number((double)o->max_tokens));
	if (!isnan(o->temperature))
		body = set_default(body, jv_string("temperature"), jv_number(o->temperature));
	if (!isnan(o->top_p))
		body = set_default(body, jv_string("top_p"), jv_number(o->top_p));
	if (o->seed >= 0)
		body = set_default(body, jv_string("seed"), jv_number((double)o->seed));
	if (o->nstop) {
		jv a = jv_array();
		for (int i = 0; i < o->nstop; i++)
			a = jv_array_append(a, jv_string(o->stop[i]));
		body = set_default(body, jv_string("stop"), a);
	}
	if (o->logprobs >= 0) {
		if (api == VE_API_CHAT) {
			body = set_default(body, jv_string("logprobs"), jv_true());
			body = set_default(body, jv_string("top_logprobs"),
			                   jv_number((double)o->logprobs));
		} else {
			body = set_default(body, jv_string("logprobs"),
			                   jv_number((double)o->logprobs));
		}
	}
	if (o->echo && api == VE_API_COMPLETIONS)
		body = set_default(body, jv_string("echo"), jv_true());
	if (o->ignore_eos)
		body = set_default(body, jv_string("ignore_eos"), jv_true());
	if (jv_is_valid(o->chat_kwargs_obj)) {
		if (api == VE_API_CHAT) {
			body = set_default(body, jv_string("chat_template_kwargs"),
			                   jv_copy(o->chat_kwargs_obj));
		} else if (o->cli.verbose && !r->said_kwargs) {
			r->said_kwargs = true;
			ve_warn("--chat-template-kwargs: completions requests go without it");
		}
	}
	/* jv_object_foreach borrows its object. */
	jv_object_foreach(o->extra_obj, k, v)
	{
		body = set_default(body, k, v);
	}
	if (o->stream) {
		body = jv_object_set(body, jv_string("stream"), jv_true());
		body = jv_object_set(body, jv_string("stream_options"),
		                     JV_OBJECT(jv_string("include_usage"), jv_true()));
	}
	return body;
}

static char *
dump(jv v)
{
	struct ve_buf b = {0};

	ve_json_dump(v, &b);
	jv_free(v);
	return b.p;
}

/* The scoring request of a loglikelihood record: prompt is token ids or the text. */
static char *
score_body(struct run *r, jv prompt)
{
	jv b = with_model(r, JV_OBJECT(jv_string("prompt"), prompt));

	b = jv_object_set(b, jv_string("echo"), jv_true());
	b = jv_object_set(b, jv_string("max_tokens"), jv_number(1));
	b = jv_object_set(b, jv_string("logprobs"), jv_number(1));
	b = jv_object_set(b, jv_string("temperature"), jv_number(0));
	return dump(b);
}

/*
 * The scoring request with ids, a JSON array's text, as its prompt: the
 * same bytes as score_body of libjq's array, spliced into the body dumped
 * once with a null prompt (only the prompt differs between records), so
 * that no record builds a jv array of its ids.
 */
static char *
score_body_ids(struct run *r, const struct ve_buf *ids)
{
	static const char key[] = "\"prompt\":null";

	if (!r->score_tmpl) {
		r->score_tmpl = score_body(r, jv_null());
		/* The model's name, a JSON string there, cannot hold this key unescaped. */
		const char *k = strstr(r->score_tmpl, key);
		r->score_at = k ? (size_t)(k - r->score_tmpl) + sizeof key - 5 : 0;
	}
	if (!r->score_at)
		return score_body(r, jv_parse_sized(ids->p, (int)ids->len));
	struct ve_buf b = {0};
	ve_buf_grow(&b, strlen(r->score_tmpl) + ids->len);
	ve_buf_add(&b, r->score_tmpl, r->score_at);
	ve_buf_add(&b, ids->p, ids->len);
	ve_buf_adds(&b, r->score_tmpl + r->score_at + 4);
	return b.p;
}

static char *
tokenize_body_jv(struct run *r, jv text)
{
	jv b = with_model(r, jv_object());

	b = jv_object_set(b, jv_string("prompt"), text);
	b = jv_object_set(b, jv_string("add_special_tokens"), jv_false());
	return dump(b);
}

/*
 * The /tokenize request of text: as score_body_ids does, the body dumped
 * once with a null prompt and the text's JSON string spliced in, the same
 * bytes as tokenize_body_jv's, without building an object per request.
 */
static char *
tokenize_body(struct run *r, jv text)
{
	static const char key[] = "\"prompt\":null";

	if (!r->tok_tmpl) {
		r->tok_tmpl = tokenize_body_jv(r, jv_null());
		/* The model's name, a JSON string there, cannot hold this key unescaped. */
		const char *k = strstr(r->tok_tmpl, key);
		r->tok_at = k ? (size_t)(k - r->tok_tmpl) + sizeof key - 5 : 0;
	}
	if (!r->tok_at)
		return tokenize_body_jv(r, text);
	size_t n = ve_json_strlen(text);
	struct ve_buf b = {0};
	ve_buf_grow(&b, strlen(r->tok_tmpl) + n + n / 8 + 2);
	ve_buf_add(&b, r->tok_tmpl, r->tok_at);
	ve_buf_add_json_str(&b, jv_string_value(text), n);
	ve_buf_adds(&b, r->tok_tmpl + r->tok_at + 4);
	jv_free(text);
	return b.p;
}

static jv
concat(jv a, jv b)
{
	return jv_string_concat(jv_copy(a), jv_copy(b));
}

/*
 * Sets the first step of a loglikelihood job: /tokenize, or the text and
 * text_offset way when the server has no /tokenize.
 */
static void
ll_first_step(struct run *r, struct job *j)
{
	free(j->body);
	if (r->no_tokenize || r->o->dry_run) {
		j->step = STEP_SCORE_TEXT;
		j->body = score_body(r, concat(j->context, j->continuation));
	} else {
		j->step = STEP_TOK_CTX;
		j->body = tokenize_body(r, jv_copy(j->context));
	}
}

/* Whether code point c is whitespace to Python's str.isspace, and so to str.rstrip(). */
static bool
py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/*
 * The byte length of s[0..n) (valid UTF-8, as jq's strings are) without its
 * trailing whitespace, as Python's s.rstrip(). Whitespace is at most three
 * bytes long, so a longer code point ends the walk back.
 */
static size_t
rstrip_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	while (n > 0) {
		size_t k = 1;
		while (k < n && k < 4 && (u[n - k] & 0xc0) == 0x80)
			k++;
		const unsigned char *b = u + n - k;
		uint32_t c;
		if (k == 1)
			c = b[0];
		else if (k == 2)
			c = (uint32_t)(b[0] & 0x1f) << 6 | (b[1] & 0x3f);
		else if (k == 3)
			c = (uint32_t)(b[0] & 0x0f) << 12 | (uint32_t)(b[1] & 0x3f) << 6 |
			    (b[2] & 0x3f);
		else
			break;
		if (!py_space(c))
			break;
		n -= k;
	}
	return n;
}

/*
 * Splits a pair as lm-evaluation-harness (0.4.13.dev0 at 4e7e0d47, lm_eval/api/model.py:
 * _encode_pair and loglikelihood) before tokenizing: the context's trailing
 * whitespace moves to the front of the continuation ("Answer: " + "4" is
 * "Answer:" + " 4"), and an empty context is its prefix token, prefix
 * (checked to be one id once tokenized).
 */
static void
lm_eval_split(struct job *j, const char *prefix)
{
	const char *s = jv_string_value(j->context);
	size_t n = ve_json_strlen(j->context), keep = rstrip_len(s, n);

	if (n == 0) {
		jv_free(j->context);
		j->context = jv_string(prefix);
		j->prefix = true;
	} else if (keep < n) {
		jv ws = jv_string_sized(s + keep, (int)(n - keep));
		jv ctx = jv_string_sized(s, (int)keep);
		j->continuation = jv_string_concat(ws, j->continuation);
		jv_free(j->context);
		j->context = ctx;
	}
}

/* A loglikelihood record's job (rec consumed): NULL, or why it cannot be sent. */
static const char *
build_ll(struct run *r, struct job *j, jv rec)
{
	j->context = ve_json_get(rec, "context");
	j->continuation = ve_json_get(rec, "continuation");
	jv_free(rec);
	if (jv_get_kind(j->context) != JV_KIND_STRING ||
	    jv_get_kind(j->continuation) != JV_KIND_STRING)
		return "--loglikelihood: expected string fields context and continuation";
	lm_eval_split(j, r->o->prefix_token);
	j->api = VE_API_COMPLETIONS;
	ll_first_step(r, j);
	return NULL;
}

/*
 * The body of a record without .request, from --prompt or --messages (or
 * .prompt): sets *body and *api, or returns why it cannot (rec consumed).
 * why has room for a message.
 */
static const char *
expr_body(struct run *r, jv rec, jv *body, enum ve_api *api, char *why, size_t size)
{
	bool chat = r->messages || (!r->prompt && *api == VE_API_CHAT);
	struct ve_jq *q = chat ? r->messages : r->prompt;
	const char *opt = chat ? "--messages" : "--prompt";
	jv v = q ? ve_jq_first(q, rec) : ve_json_get(rec, "prompt");

	if (!q)
		jv_free(rec);
	if (!q && (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL)) {
		jv_free(v);
		return "no .prompt (give --prompt, --messages or .request)";
	}
	if (!jv_is_valid(v)) {
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv m = jv_invalid_get_msg(v);
			/* ve_jq_first's message names the option already. */
			snprintf(why, size, "%s",
			         jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m)
			                                          : "jq error");
			jv_free(m);
		} else {
			jv_free(v);
			snprintf(why, size, "%s: no value", opt);
		}
		return why;
	}
	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		snprintf(why, size, "%s: no value (null)", opt);
		return why;
	}
	if (chat && !q)
		v = JV_ARRAY(
		    JV_OBJECT(jv_string("role"), jv_string("user"), jv_string("content"), v));
	if (chat && jv_get_kind(v) != JV_KIND_ARRAY) {
		jv_free(v);
		return "--messages: expected an array of messages";
	}
	*api = chat ? VE_API_CHAT : VE_API_COMPLETIONS;
	*body = JV_OBJECT(jv_string(chat ? "messages" : "prompt"), v);
	return NULL;
}

/*
 * Builds the job's request from the record (consumed). Returns NULL, or why
 * the record cannot be sent (a bad record), in why (size bytes) or static.
 */
static const char *
build(struct run *r, struct job *j, jv rec, char *why, size_t size)
{
	jv body = jv_invalid();
	enum ve_api api = r->api;

	if (r->o->loglikelihood)
		return build_ll(r, j, rec);
	jv req = ve_json_get(rec, "request");
	if (jv_get_kind(req) == JV_KIND_OBJECT) {
		body = req;
		if (jv_object_has(jv_copy(body), jv_string("messages")))
			api = VE_API_CHAT;
		else if (jv_object_has(jv_copy(body), jv_string("prompt")))
			api = VE_API_COMPLETIONS;
		jv_free(rec);
	} else if (jv_is_valid(req) && jv_get_kind(req) != JV_KIND_NULL) {
		jv_free(req);
		jv_free(rec);
		return "expected .request to be an object";
	} else {
		jv_free(req);
		const char *bad = expr_body(r, rec, &body, &api, why, size);
		if (bad)
			return bad;
	}
	if (api == VE_API_NONE)
		api = VE_API_COMPLETIONS;
	j->api = api;
	j->step = STEP_QUERY;
	j->body = dump(fill_params(r, body, api));
	return NULL;
}

/* Which of api_paths the job's current step asks. */
static int
job_api(const struct job *j)
{
	if (j->step == STEP_TOK_CTX || j->step == STEP_TOK_ALL)
		return URL_TOKENIZE;
	return j->api == VE_API_CHAT ? URL_CHAT : URL_COMPLETIONS;
}

/* The URL of the job's step on its replica (the first before it has one). */
static const char *
job_url(struct run *r, const struct job *j)
{
	return (j->rep ? j->rep : r->reps)->url[job_api(j)];
}

/*
 * Cache files: DIR/AB/ABCDEF... (the SHA-256 of endpoint, model and body).
 * A fleet serves one model: its key holds the API's path instead of a URL,
 * so an answer is found whichever replica gave it, in whatever order -e lists them.
 */
static void
cache_key(struct run *r, struct job *j)
{
	unsigned char d[VE_SHA256_LEN];
	const char *url = r->nrep > 1 ? api_paths[job_api(j)] : job_url(r, j);
	const char *m = r->model ? r->model : "";

	ve_sha256_init(r->sha);
	ve_sha256_update(r->sha, url, strlen(url) + 1);
	ve_sha256_update(r->sha, m, strlen(m) + 1);
	ve_sha256_update(r->sha, j->body, strlen(j->body));
	ve_sha256_final(r->sha, d);
	ve_hex(d, VE_SHA256_LEN, j->key);
}

static char *
cache_path(struct run *r, const struct job *j, bool mkdirs)
{
	struct ve_buf p = {0};

	ve_buf_addf(&p, "%s/%.2s", r->o->cache_dir, j->key);
	if (mkdirs)
		mkdir(p.p, 0777);
	ve_buf_addf(&p, "/%s", j->key + 2);
	return p.p;
}

static bool
cache_get(struct run *r, struct job *j)
{
	char *path = cache_path(r, j, false);
	FILE *f = fopen(path, "rb");

	free(path);
	if (!f)
		return false;
	ve_buf_reset(&j->resp);
	bool ok = ve_buf_read(&j->resp, f);
	fclose(f);
	return ok;
}

/* Written to a temporary name and renamed, so a crash never leaves half an answer. */
static void
cache_put(struct run *r, struct job *j)
{
	char *path = cache_path(r, j, true);
	struct ve_buf tmp = {0};

	ve_buf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp.p, "wb");
	if (!f || fwrite(j->resp.p, 1, j->resp.len, f) != j->resp.len || fclose(f) != 0 ||
	    rename(tmp.p, path) != 0) {
		if (!r->o->cli.quiet)
			ve_warn("--cache: %s: cannot write:", path);
		unlink(tmp.p);
	}
	ve_buf_free(&tmp);
	free(path);
}

/* Records why the attempt failed; cut says the answer came cut short (then it is retried). */
static void
fail(struct job *j, enum err_kind kind, bool cut, const char *msg)
{
	j->kind = kind;
	j->cut = cut;
	ve_buf_reset(&j->msg);
	/* Every secret replaced by "***". */
	ve_scrub(j->secrets, msg, strlen(msg), &j->msg);
}

/* One SSE event of a streamed answer: vllm-eval(7)'s token chunks. */
static int
on_event(void *ctx, const char *data, size_t len)
{
	struct job *j = ctx;
	/* When its bytes came (on_data's clock), not a second reading of the clock per event. */
	double t = j->heard;

	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		j->done_seen = true;
		return 0;
	}
	int rc = ve_answer_take(&j->ans, data, len, true);
	if (rc == VE_ANSWER_NOT_OBJECT) {
		fail(j, ERR_PROTOCOL, false, "a stream event is not a JSON object");
		return 1;
	}
	if (rc == VE_ANSWER_ERROR) {
		struct ve_buf m = {0};
		ve_http_error_text(data, len, &m);
		fail(j, ERR_PROTOCOL, false, m.p ? m.p : "error event");
		ve_buf_free(&m);
		return 1;
	}
	if (rc == VE_ANSWER_CHOICE) {
		if (!j->chunk_seen) {
			j->first = t;
		} else {
			j->itl = ve_grow(j->itl, &j->citl, j->nitl + 1, sizeof *j->itl);
			j->itl[j->nitl++] = (t - j->last) * 1000;
		}
		j->chunk_seen = true;
		j->last = t;
	}
	return 0;
}

/* An answer (what) past --max-body: the transfer stops, and it is not retried. */
static size_t
too_big(struct job *j, const char *what)
{
	char m[128];

	snprintf(m, sizeof m, "%s larger than %zu bytes (see --max-body)", what, j->max_body);
	fail(j, ERR_PROTOCOL, false, m);
	return 0;
}

/*
 * curl's write callback. Returning less than n stops the transfer: after a
 * protocol error in the stream, or past --max-body (the whole answer, a
 * stream counted whole, or one event of it), so that an endless answer
 * costs at most that much memory.
 */
static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct job *j = ctx;

	n *= size;
	j->heard = ve_now();
	if (!j->status)
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &j->status);
	bool events = j->streaming && j->status == 200;
	if (events) {
		/* The event first: an endless one is named as such. */
		int rc = j->kind == ERR_NONE ? ve_sse_feed(&j->sse, p, n, on_event, j) : 1;
		if (rc == VE_SSE_TOO_BIG)
			return too_big(j, "a stream event");
		if (rc)
			return 0;
	}
	if (n > j->max_body - j->got)
		return too_big(j, "an answer");
	/* A stream's raw text is kept only for the cache. */
	if (!events || j->key[0])
		ve_buf_add(&j->resp, p, n);
	j->got += n;
	return n;
}

static void job_done_step(struct run *r, struct job *j);
static void start_attempt(struct run *r, struct job *j);

/* A cached answer that does not parse or is cut short: removed, and the server asked. */
static void
cache_drop(struct run *r, struct job *j)
{
	char *path = cache_path(r, j, false);

	if (r->o->cli.verbose)
		ve_warn("--cache: %s: unusable (%s): asking the server", path,
		        j->msg.p ? j->msg.p : "");
	if (unlink(path) != 0 && errno != ENOENT && !r->o->cli.quiet)
		ve_warn("--cache: %s: cannot remove:", path);
	free(path);
	/* The hit was counted in case it looped; attempts now counts requests sent. */
	j->attempts--;
	j->cache_bad = true;
	start_attempt(r, j);
}

/*
 * curl's progress callback on a stream: stops it when nothing came for
 * --timeout seconds (nonzero aborts the transfer; transfer_done then counts
 * it as a timeout, retried like one).
 */
static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct job *j = ctx;
	char m[128];

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (ve_now() - j->heard <= j->idle)
		return 0;
	snprintf(m, sizeof m, "the stream sent nothing for %g seconds (see --timeout)", j->idle);
	fail(j, ERR_TIMEOUT, false, m);
	j->idled = true;
	return 1;
}

/*
 * A stream's bounds (llm-query(1), --timeout and --stream-timeout): --timeout for each silence,
 * from the request to the first byte and between any two, and
 * --stream-timeout for the whole; a 32k-token answer streams for minutes.
 */
static void
stream_timeouts(struct run *r, struct job *j, CURL *e)
{
	j->idle = r->http.timeout;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(r->o->stream_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, j);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
}

/* Whether a try may go to p now: in service, or out no longer and not being probed (half-open). */
static bool
rep_open(const struct replica *p, double now)
{
	return p->out_until == 0 || (now >= p->out_until && p->inflight == 0);
}

/*
 * Sets the replica of the job's next try (llm-query(1), Replicas): the one
 * its record is on, for a loglikelihood record's next step; else the one
 * with the fewest requests in flight, ties taken in turn, and after a
 * failed try another than the one that failed it if one is open; when
 * every replica is out, the one back soonest, so the usual retries decide.
 */
static void
route(struct run *r, struct job *j)
{
	double now = ve_now();
	struct replica *best = NULL, *soon = NULL;
	long best_load = 0;

	if (j->rep && !j->moved && rep_open(j->rep, now))
		return;
	for (size_t k = 0; k < r->nrep; k++) {
		struct replica *p = &r->reps[(r->turn + k) % r->nrep];
		if (!soon || p->out_until < soon->out_until)
			soon = p;
		if (!rep_open(p, now))
			continue;
		/* The replica that failed the last try only when no other is open. */
		long load = p->inflight + (j->moved && p == j->rep ? LONG_MAX / 2 : 0);
		if (!best || load < best_load) {
			best = p;
			best_load = load;
		}
	}
	r->turn = (r->turn + 1) % r->nrep;
	j->rep = best ? best : soon;
	j->moved = false;
}

/*
 * Counts a fleet's try for or against its replica: a try that got no
 * answer (refused, reset, timed out, cut) or a 5xx is a failure; any other
 * answer puts the replica back in service. REP_FAILS failures in a row
 * take it out for REP_OUT seconds, then one try probes it (half-open);
 * each failed probe doubles the time out, up to REP_OUT_MAX.
 */
static void
rep_outcome(struct run *r, struct job *j, CURLcode code)
{
	struct replica *p = j->rep;
	/* A transfer stopped by llm-query (--max-body, a bad event) is no fault of the server. */
	bool bad = j->idled || j->status >= 500 || (code != CURLE_OK && code != CURLE_WRITE_ERROR);

	j->moved = bad;
	if (!bad) {
		if (p->out_until != 0 && r->o->cli.verbose)
			ve_warn("%s: back in service", p->shown);
		p->fails = 0;
		p->out_until = p->out_for = 0;
		return;
	}
	double now = ve_now();
	/* Tries sent before it was taken out do not lengthen its time out. */
	if (++p->fails < REP_FAILS || now < p->out_until)
		return;
	p->out_for = p->out_for > 0 ? fmin(p->out_for * 2, REP_OUT_MAX) : REP_OUT;
	p->out_until = now + p->out_for;
	if (!r->o->cli.quiet && (!p->said || r->o->cli.verbose))
		ve_warn("%s: out of service for %gs after %d failed tries in a row", p->shown,
		        p->out_for, p->fails);
	p->said = true;
}

/* Starts one attempt of the job's current step (or answers it from the cache). */
static void
start_attempt(struct run *r, struct job *j)
{
	const struct opts *o = r->o;

	job_clear_attempt(j);
	j->ans.api = j->api;
	j->ans.scan = r->scan;
	j->key[0] = '\0';
	j->streaming = o->stream && j->step == STEP_QUERY;
	j->max_body = ve_http_max_body(&r->http);
	j->sse.max = j->max_body;
	if (o->cache_dir) {
		cache_key(r, j);
		if (!j->cache_bad && cache_get(r, j)) {
			/* Counted, so that no answer can loop on the cache. */
			j->attempts++;
			j->cached = true;
			j->status = 200;
			j->send = j->first = j->last = j->heard = ve_now();
			j->send_wall = ve_wall();
			if (j->streaming) {
				ve_sse_feed(&j->sse, j->resp.p, j->resp.len, on_event, j);
				ve_sse_feed(&j->sse, "\n\n", 2, on_event, j);
			}
			job_done_step(r, j);
			return;
		}
	}
	if (!j->resp.p && r->nspare) {
		j->resp = r->spare[--r->nspare];
		ve_buf_reset(&j->resp);
	}
	j->attempts++;
	if (r->nrep > 1)
		route(r, j);
	else
		j->rep = r->reps;
	j->rep->inflight++;
	/* A pooled handle keeps its connection in the multi handle's cache. */
	CURL *e = r->npool ? r->pool[--r->npool] : curl_easy_init();
	if (!e)
		ve_die(VE_EX_SOFTWARE, "cannot start libcurl");
	j->easy = e;
	ve_http_setup(e, &r->http);
	curl_easy_setopt(e, CURLOPT_URL, job_url(r, j));
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, ve_http_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &j->retry_after);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->err);
	if (j->streaming)
		stream_timeouts(r, j, e);
	j->send = ve_now();
	j->heard = j->send;
	j->send_wall = ve_wall();
	if (curl_multi_add_handle(r->multi, e) != CURLM_OK)
		ve_die(VE_EX_SOFTWARE, "cannot add a transfer to libcurl");
}

/* Parses a whole (non-streamed) completions or chat answer. */
static void
parse_answer(struct job *j)
{
	int rc = ve_answer_take(&j->ans, j->resp.p ? j->resp.p : "", j->resp.len, false);

	/* A 200 whose body does not parse was most likely cut short. */
	if (rc == VE_ANSWER_NOT_OBJECT)
		fail(j, ERR_PROTOCOL, true, "the answer is not a JSON object");
	else if (rc == VE_ANSWER_NO_CHOICES)
		fail(j, ERR_PROTOCOL, false, "the answer has no choices");
}

/*
 * The loglikelihood of the continuation from the echoed logprobs
 * (lib/answer.h): the continuation's tokens by /tokenize's counts, or by
 * text_offset when the server has no /tokenize.
 */
static void
score(struct job *j, struct ve_buf *ll)
{
	struct ve_ll_span w = {.by_tokens = j->step == STEP_SCORE};
	char why[256];

	if (w.by_tokens) {
		w.ctx_tokens = j->ctx_tokens;
		w.all_tokens = j->all_tokens;
	} else {
		w.ctx_chars =
		    (long)ve_utf8_count(jv_string_value(j->context), ve_json_strlen(j->context));
	}
	const char *bad = ve_answer_score(&j->ans, &w, why, sizeof why, ll);
	if (bad)
		fail(j, ERR_PROTOCOL, false, bad);
}

/*
 * Appends ms as "%.3f" writes it, without printf for the usual case: a
 * stream's record holds one inter-token latency per token, and printf's
 * float formatting was a tenth of the client's CPU. The thousandths are
 * rounded from ms * 1000, which is within 2^-24 of the exact product below
 * 10^9, so the rounding goes printf's way unless the product lies within
 * 10^-6 of a half; that case, negative values, -0 and the rest go to printf.
 */
static void
add_fixed3(struct ve_buf *b, double ms)
{
	double f = ms * 1000, whole = floor(f), frac = f - whole;
	char tmp[24], *p = tmp + sizeof tmp;

	if (!(ms >= 0 && f < 1e9) || signbit(ms) || fabs(frac - 0.5) < 1e-6) {
		ve_buf_addf(b, "%.3f", ms);
		return;
	}
	long n = (long)whole + (frac > 0.5);
	for (int i = 0; i < 3; i++, n /= 10)
		*--p = (char)('0' + n % 10);
	*--p = '.';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	ve_buf_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

static void
add_ms(struct ve_buf *b, const char *key, double s)
{
	ve_buf_addf(b, ",\"%s\":", key);
	add_fixed3(b, s * 1000);
}

/* The fields spliced into a record that got its answer. */
static void
answer_fields(struct run *r, struct job *j)
{
	struct ve_buf *b = &j->fields;
	const struct ve_answer *a = &j->ans;
	struct ve_buf ll = {0};

	if (j->step == STEP_SCORE || j->step == STEP_SCORE_TEXT) {
		score(j, &ll);
		if (j->kind != ERR_NONE) {
			ve_buf_free(&ll);
			return;
		}
	}
	ve_buf_reset(b);
	ve_buf_addf(b, "\"response\":{\"status\":%ld", j->status);
	if (ll.len) {
		ve_buf_addc(b, ',');
		ve_buf_add(b, ll.p, ll.len);
	} else {
		ve_buf_adds(b, ",\"text\":");
		ve_buf_add_json_str(b, a->text.p ? a->text.p : "", a->text.len);
		if (a->has_reasoning) {
			ve_buf_adds(b, ",\"reasoning\":");
			ve_buf_add_json_str(b, a->reasoning.p ? a->reasoning.p : "",
			                    a->reasoning.len);
		}
		ve_buf_adds(b, ",\"finish_reason\":");
		ve_json_dump(a->finish, b);
	}
	if (jv_get_kind(a->usage) == JV_KIND_OBJECT) {
		jv pt = ve_json_get(a->usage, "prompt_tokens");
		jv ct = ve_json_get(a->usage, "completion_tokens");
		ve_buf_adds(b, ",\"usage\":{\"prompt_tokens\":");
		ve_json_dump(pt, b);
		ve_buf_adds(b, ",\"completion_tokens\":");
		ve_json_dump(ct, b);
		ve_buf_adds(b, "}");
		if (jv_get_kind(ct) == JV_KIND_NUMBER)
			j->tokens = (unsigned long long)jv_number_value(ct);
		jv_free(pt);
		jv_free(ct);
	}
	jv lp = ll.len ? jv_invalid() : ve_answer_logprobs(a);
	if (jv_get_kind(lp) != JV_KIND_NULL && jv_is_valid(lp)) {
		ve_buf_adds(b, ",\"logprobs\":");
		ve_json_dump(lp, b);
	}
	jv_free(lp);
	ve_buf_adds(b, "},\"timing\":{");
	if (j->cached) {
		ve_buf_adds(b, "\"cached\":true,\"attempts\":0}");
	} else {
		ve_buf_addf(b, "\"start\":%.6f", j->send_wall);
		if (j->streaming && j->chunk_seen) {
			add_ms(b, "ttft_ms", j->first - j->send);
			add_ms(b, "e2el_ms", j->last - j->send);
			ve_buf_adds(b, ",\"itl_ms\":[");
			for (size_t i = 0; i < j->nitl; i++) {
				if (i)
					ve_buf_addc(b, ',');
				add_fixed3(b, j->itl[i]);
			}
			ve_buf_adds(b, "]");
		} else {
			add_ms(b, "e2el_ms", j->last - j->send);
		}
		if (r->o->rate > 0 && r->o->concurrency != UNCAPPED)
			add_ms(b, "queue_ms", j->queue);
		ve_buf_addf(b, ",\"attempts\":%d}", j->attempts);
		if (r->nrep > 1)
			ve_buf_adds(b, j->rep->field);
	}
	ve_buf_free(&ll);
}

static void
error_fields(struct run *r, struct job *j)
{
	struct ve_buf *b = &j->fields;

	ve_buf_reset(b);
	ve_buf_addf(b, "\"error\":{\"kind\":\"%s\"", err_names[j->kind]);
	if (j->status)
		ve_buf_addf(b, ",\"status\":%ld", j->status);
	ve_buf_adds(b, ",\"message\":");
	ve_buf_add_json_str(b, j->msg.p ? j->msg.p : "", j->msg.len);
	ve_buf_addf(b, ",\"attempts\":%d}", j->attempts);
	if (r->nrep > 1 && j->rep)
		ve_buf_adds(b, j->rep->field);
}

static void
write_record(struct run *r, struct job *j)
{
	if (r->out == stdout) {
		ve_out_splice(j->line, j->len, j->fields.p, j->fields.len);
		return;
	}
	/* Flushed per record: after a kill -9, FILE holds whole answers and one torn line at most.
	 */
	if (ve_fsplice(r->out, j->line, j->len, j->fields.p, j->fields.len) != 0 ||
	    fflush(r->out) != 0)
		ve_die(VE_EX_IOERR, "%s: write error:", r->o->out_path);
}

static void
progress(struct run *r, bool last)
{
	double t = ve_now();

	if (!r->progress_on || (!last && t - r->last_progress < 0.5))
		return;
	r->last_progress = t;
	r->progress_shown = true;
	double el = t - r->t0 > 1e-9 ? t - r->t0 : 1e-9;
	double rps = (double)r->done / el;
	fprintf(stderr, "\r%s: %llu", ve_progname, r->done);
	if (r->total_known)
		fprintf(stderr, "/%llu", r->total);
	fprintf(stderr, " done, %llu ok, %llu failed, %.1f req/s, %.0f tok/s", r->ok, r->failed,
	        rps, (double)r->tokens / el);
	if (r->total_known && rps > 0)
		fprintf(stderr, ", ETA %.0fs", (double)(r->total - r->done) / rps);
	fprintf(stderr, "\033[K");
	if (last)
		fputc('\n', stderr);
}

/*
 * Frees a written job but keeps its answer buffer for a later job: each
 * loglikelihood answer is about 50 KB, and a buffer grown afresh for each
 * one costs a malloc and a copy per doubling. At most SPARE_MAX buffers of
 * at most SPARE_BYTES each are kept, so memory stays bounded.
 */
static void
job_recycle(struct run *r, struct job *j)
{
	if (j->resp.p && j->resp.cap <= SPARE_BYTES && r->nspare < SPARE_MAX) {
		r->spare[r->nspare++] = j->resp;
		j->resp = (struct ve_buf){0};
	}
	job_free(j);
}

/* A job is finished: its record goes out now, or in input order with --ordered. */
static void
job_finish(struct run *r, struct job *j)
{
	r->active--;
	if (j->warm) {
		job_free(j);
		return;
	}
	r->done++;
	if (j->failed)
		r->failed++;
	else
		r->ok++;
	r->tokens += j->tokens;
	if (!r->o->ordered) {
		write_record(r, j);
		job_recycle(r, j);
	} else {
		size_t i = (size_t)(j->seq - r->next_out), k = 0, old = r->nslots;
		r->slots = ve_grow(r->slots, &r->nslots, i + 1, sizeof *r->slots);
		memset(r->slots + old, 0, sizeof *r->slots * (r->nslots - old));
		r->slots[i] = j;
		/* The finished jobs next in order go out; the rest move up. */
		for (; k < r->nslots && r->slots[k]; k++) {
			write_record(r, r->slots[k]);
			job_recycle(r, r->slots[k]);
		}
		memmove(r->slots, r->slots + k, sizeof *r->slots * (r->nslots - k));
		memset(r->slots + r->nslots - k, 0, sizeof *r->slots * k);
		r->next_out += k;
	}
	progress(r, false);
}

/* Queues the job for the backoff of http.h: full jitter, never sooner than Retry-After. */
static void
retry_later(struct run *r, struct job *j)
{
	double d = ve_backoff(&r->http.retry, j->attempts, j->retry_after, &r->rng);

	j->wake = ve_now() + d;
	if (r->o->cli.verbose > 1)
		ve_warn("retrying a request in %.3fs (attempt %d): %s", d, j->attempts,
		        j->msg.p ? j->msg.p : "");
	queue_push(&r->waiting, j);
}

/*
 * Takes the token ids of a /tokenize answer: their count, and after the
 * whole text's, the ids as the scoring request's prompt; a failure sets
 * j->kind. lm-eval's prefix token stands for a continuation's own first
 * token equal to it (drop_twin).
 */
static void
take_tokens(struct job *j)
{
	bool parsed, all = j->step == STEP_TOK_ALL;
	ve_buf_reset(&j->ids);
	long n = ve_answer_ids(&j->ans, j->resp.p ? j->resp.p : "", j->resp.len, j->prefix && all,
	                       &parsed, &j->ids);

	/* A body that does not parse was most likely cut short; other JSON is not. */
	if (n < 0) {
		fail(j, ERR_PROTOCOL, !parsed, "/tokenize answered without \"tokens\"");
		return;
	}
	if (j->prefix && !all && n != 1) {
		char why[256];
		snprintf(why, sizeof why,
		         "an empty context needs the prefix token, and /tokenize does not give "
		         "%.120s as one id (see --prefix-token)",
		         jv_string_value(j->context));
		fail(j, ERR_PROTOCOL, false, why);
		return;
	}
	*(all ? &j->all_tokens : &j->ctx_tokens) = n;
}

/* Checks and takes a 200 answer of the job's step; a failure sets j->kind. */
static void
take_answer(struct job *j)
{
	if (j->streaming && !j->done_seen)
		fail(j, ERR_PROTOCOL, true, "the stream ended before [DONE]");
	/* vLLM's benchmark counts such an answer a failure: it has no TTFT. */
	else if (j->streaming && !j->chunk_seen)
		fail(j, ERR_PROTOCOL, false, "the stream had no token chunk");
	else if (!j->streaming && (j->step == STEP_TOK_CTX || j->step == STEP_TOK_ALL))
		take_tokens(j);
	else if (!j->streaming)
		parse_answer(j);
}

/* Starts the job's new step afresh: its attempts and cache state are its own. */
static void
restart_step(struct run *r, struct job *j)
{
	j->attempts = 0;
	j->cache_bad = false;
	start_attempt(r, j);
}

/* After /tokenize answered, the loglikelihood job's next step; false when there is none. */
static bool
next_step(struct run *r, struct job *j)
{
	if (j->step != STEP_TOK_CTX && j->step != STEP_TOK_ALL)
		return false;
	free(j->body);
	if (j->step == STEP_TOK_CTX) {
		j->step = STEP_TOK_ALL;
		j->body = tokenize_body(r, concat(j->context, j->continuation));
	} else {
		j->step = STEP_SCORE;
		j->body = score_body_ids(r, &j->ids);
	}
	restart_step(r, j);
	return true;
}

/*
 * An HTTP status other than 200: the job's error, or, when /tokenize is not
 * there, the text way for this record and the rest (then true: started again).
 */
static bool
status_failure(struct run *r, struct job *j)
{
	if (j->step == STEP_TOK_CTX && (j->status == 404 || j->status == 405)) {
		r->no_tokenize = true;
		if (r->o->cli.verbose)
			ve_warn("the server has no /tokenize: scoring by text_offset");
		ll_first_step(r, j);
		restart_step(r, j);
		return true;
	}
	struct ve_buf m = {0};
	ve_http_error_text(j->resp.p ? j->resp.p : "", j->resp.len, &m);
	fail(j, ERR_HTTP, false, m.p ? m.p : "");
	ve_buf_free(&m);
	return false;
}

/* After a step's answer (or failure): retry, take the next step, or finish. */
static void
job_done_step(struct run *r, struct job *j)
{
	bool answered = j->kind == ERR_NONE && j->status == 200;

	if (answered)
		take_answer(j);
	if (j->cached && j->kind != ERR_NONE) {
		cache_drop(r, j);
		return;
	}
	if (answered && j->kind == ERR_NONE) {
		if (!j->cached && j->key[0])
			cache_put(r, j);
		if (next_step(r, j))
			return;
		answer_fields(r, j);
		if (j->kind == ERR_NONE) {
			job_finish(r, j);
			return;
		}
	} else if (j->kind == ERR_NONE && status_failure(r, j)) {
		return;
	}
	if (j->attempts <= r->http.retry.retries &&
	    ve_http_retryable(&r->http.retry, j->code, j->status, &j->resp, j->cut)) {
		retry_later(r, j);
		return;
	}
	j->failed = true;
	error_fields(r, j);
	job_finish(r, j);
}

/* A transfer ended: sort out what curl says, then the answer. */
static void
transfer_done(struct run *r, CURL *e, CURLcode code)
{
	struct job *j = NULL;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	curl_multi_remove_handle(r->multi, e);
	if (!j->streaming || !j->chunk_seen)
		j->last = ve_now();
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->status);
	j->easy = NULL;
	/* Kept even when the job failed already: a transfer stopped on purpose is no retry. */
	j->code = j->idled ? CURLE_OPERATION_TIMEDOUT : code;
	if (code != CURLE_OK && j->kind == ERR_NONE) {
		const char *m = j->err[0] ? j->err : curl_easy_strerror(code);
		enum err_kind k = ERR_PROTOCOL;
		if (code == CURLE_OPERATION_TIMEDOUT)
			k = ERR_TIMEOUT;
		else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
		         code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_SSL_CONNECT_ERROR)
			k = ERR_CONNECT;
		fail(j, k, false, m);
	}
	j->rep->inflight--;
	if (r->nrep > 1)
		rep_outcome(r, j, code);
	curl_easy_reset(e);
	r->pool = ve_xrealloc(r->pool, sizeof *r->pool * (r->npool + 1));
	r->pool[r->npool++] = e;
	job_done_step(r, j);
}

/*
 * Whether p is a path of plain keys (.id, .meta.doc_id). Such an id is
 * read from the record's text as written: jq 1.6 holds numbers as doubles,
 * so 2^53 and 2^53+1 would be one id.
 */
static bool
is_key_path(const char *p)
{
	do {
		if (*p != '.' || !(isalpha((unsigned char)p[1]) || p[1] == '_'))
			return false;
		for (p++; isalnum((unsigned char)*p) || *p == '_'; p++)
			;
	} while (*p);
	return true;
}

/*
 * The record's id (--id) as text in out: as written for a path of keys,
 * else the canonical JSON of the jq value (value borrowed). False when
 * the record has none (absent or null).
 */
static bool
record_id(struct run *r, const struct ve_line *line, jv value, struct ve_buf *out)
{
	ve_buf_reset(out);
	if (r->id_path) {
		const char *p = line->text, *k = r->id_path;
		size_t n = line->len;
		/* Key by key: a value that is no object (null included) has no member. */
		while (p && *k) {
			size_t klen = strcspn(k + 1, ".");
			if (!ve_canon_member(&r->canon, p, n, k + 1, klen, &p, &n))
				p = NULL;
			k += klen + 1;
		}
		if (!p || (n == 4 && memcmp(p, "null", 4) == 0))
			return false;
		ve_buf_add(out, p, n);
		return true;
	}
	jv id = ve_jq_first(r->id, jv_copy(value));
	bool ok = jv_is_valid(id) && jv_get_kind(id) != JV_KIND_NULL;
	if (ok)
		ve_json_canon(id, out);
	jv_free(id);
	return ok;
}

/*
 * --resume: 0 when the record is to be sent, 1 when FILE has its answer,
 * -1 when it is a bad record (why in why).
 */
static int
resume_check(struct run *r, const struct ve_rec *rec, char *why, size_t size)
{
	struct ve_buf b = {0};
	unsigned char d[VE_SHA256_LEN];
	uint64_t old;
	int k = 0;

	if (!record_id(r, &rec->line, rec->value, &b)) {
		snprintf(why, size, "--id: no value (--resume needs an id in every record)");
		k = -1;
	} else {
		ve_sha256(r->sha, b.p, b.len, d);
		/* A second record with the id would be taken for answered. */
		if (!ve_keyset_put(r->input_ids, d, 1, &old)) {
			snprintf(why, size,
			         "duplicate id '%.400s' (--resume needs a unique id per record)",
			         b.p);
			k = -1;
		} else if (ve_keyset_get(r->done_ids, d, &old)) {
			k = 1;
		}
	}
	ve_buf_free(&b);
	return k;
}

/*
 * Reads the next record into a job: NULL at the end of input or after a bad
 * record that stops the run. Records already in the --resume file are passed.
 */
static struct job *
read_job(struct run *r)
{
	struct ve_rec rec;
	char why[512];
	int k = 0;

	while (!r->in_done && (k = ve_reader_next(r->rd, &rec)) == 1) {
		int seen = r->done_ids ? resume_check(r, &rec, why, sizeof why) : 0;
		const char *bad = why;
		if (seen == 0) {
			struct job *j = job_new(rec.line.text, rec.line.len, &r->http.secrets);
			if (!(bad = build(r, j, rec.value, why, sizeof why))) {
				j->seq = r->seq++;
				return j;
			}
			job_free(j);
		} else {
			jv_free(rec.value);
		}
		if (seen == 1) {
			r->resumed++;
		} else if ((k = ve_reader_reject(r->rd, &rec, bad))) {
			r->in_status = k;
			r->in_done = true;
		}
	}
	if (!r->in_done) {
		r->in_done = true;
		r->in_status = k;
	}
	return NULL;
}

/* Whether a line of the --resume file is an answered record with an id; the id is kept then. */
static bool
keep_answer(struct run *r, const struct ve_rec *rec, struct ve_buf *id)
{
	jv v = ve_record_parse(rec->line.text, rec->line.len);
	bool keep = jv_is_valid(v) && jv_object_has(jv_copy(v), jv_string("response")) &&
	            record_id(r, &rec->line, v, id);

	jv_free(v);
	if (keep) {
		unsigned char d[VE_SHA256_LEN];
		uint64_t old;
		ve_sha256(r->sha, id->p, id->len, d);
		/* An id answered twice is kept twice: FILE's answers are never lost. */
		ve_keyset_put(r->done_ids, d, 1, &old);
	}
	return keep;
}

/*
 * --resume: keeps the answered records of FILE (rewritten without failures
 * and any torn last line) and the set of their ids. FILE is read as inputs
 * are, through the reader (--max-line holds); a line that is not an
 * answered record with an id is no bad record but a request to send again.
 */
static int
resume_load(struct run *r)
{
	char *paths[] = {(char *)r->o->out_path};
	struct ve_buf tmp = {0}, id = {0};
	unsigned long long kept = 0, dropped = 0;
	struct ve_rec rec;
	int k;

	r->done_ids = ve_keyset_new();
	r->input_ids = ve_keyset_new();
	if (access(paths[0], F_OK) != 0 && errno == ENOENT)
		return 0;
	ve_buf_addf(&tmp, "%s.resume.tmp", paths[0]);
	FILE *o = ve_open_output("-o", tmp.p);
	struct ve_reader *in = ve_reader_sibling(r->rd, paths, 1, VE_READ_RAW);
	while ((k = ve_reader_next(in, &rec)) == 1) {
		if (!keep_answer(r, &rec, &id)) {
			dropped++;
			continue;
		}
		fwrite(rec.line.text, 1, rec.line.len, o);
		putc('\n', o);
		kept++;
	}
	ve_reader_free(in);
	ve_buf_free(&id);
	if (k) {
		fclose(o);
	} else if ((k = ve_fclose_checked(o, tmp.p)) == 0 && rename(tmp.p, paths[0]) != 0) {
		ve_warn("%s:", paths[0]);
		k = VE_EX_IOERR;
	}
	if (k)
		unlink(tmp.p);
	ve_buf_free(&tmp);
	if (!k && r->o->cli.verbose)
		ve_warn("%s: kept %llu answered records, dropped %llu to send again", paths[0],
		        kept, dropped);
	return k;
}

/* Starts what may start: due retries, then records up to the concurrency limit. */
static void
admit(struct run *r, struct queue *src, bool lazy, double *wait)
{
	double now = ve_now();
	struct queue keep = {0};
	struct job *j;

	while ((j = queue_pop(&r->waiting))) {
		if (j->wake <= now) {
			start_attempt(r, j);
		} else {
			*wait = fmin(*wait, j->wake - now);
			queue_push(&keep, j);
		}
	}
	r->waiting = keep;
	while (r->active < r->o->concurrency) {
		if (!src->head && lazy && (j = read_job(r)))
			queue_push(src, j);
		if (!(j = src->head))
			break;
		if (j->arrival > now) {
			*wait = fmin(*wait, j->arrival - now);
			break;
		}
		queue_pop(src);
		r->active++;
		j->queue = j->arrival > 0 ? now - j->arrival : 0;
		start_attempt(r, j);
		now = ve_now();
	}
}

/* The classic multi loop: perform, drain finished transfers, admit, poll. */
static void
pump(struct run *r, struct queue *src, bool lazy)
{
	int running = 0;

	for (;;) {
		/* Often enough to see a stream's silence pass --timeout. */
		double wait = r->o->stream && r->http.timeout < 4 ? r->http.timeout / 4 : 1.0;
		CURLMsg *m;
		int left;
		curl_multi_perform(r->multi, &running);
		while ((m = curl_multi_info_read(r->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				transfer_done(r, m->easy_handle, m->data.result);
		/* A transfer started here ends the poll at once, to be performed. */
		admit(r, src, lazy, &wait);
		if (r->active == 0 && !src->head && (!lazy || r->in_done))
			break;
		int ms = (int)(wait * 1000);
		curl_multi_poll(r->multi, NULL, 0, ms > 0 ? ms : 0, NULL);
	}
}

/* --dry-run: each record with the request it would send. */
static void
dry_run(struct run *r, struct queue *q)
{
	struct job *j;

	while ((j = queue_pop(q)) || (j = read_job(r))) {
		ve_buf_reset(&j->fields);
		char *u = ve_url_redact(job_url(r, j));
		ve_buf_adds(&j->fields, "\"dry_run\":{\"url\":");
		ve_buf_add_json_str(&j->fields, u, strlen(u));
		free(u);
		ve_buf_adds(&j->fields, ",\"body\":");
		ve_buf_adds(&j->fields, j->body);
		if (r->o->rate > 0)
			ve_buf_addf(&j->fields, ",\"at\":%.9f", j->arrival);
		ve_buf_adds(&j->fields, "}");
		write_record(r, j);
		job_free(j);
		r->done++;
	}
}

/* The URL of one of the endpoint's APIs, to free. */
static char *
api_url(const char *root, const char *path)
{
	struct ve_buf u = {0};

	ve_buf_addf(&u, "%s%s", root, path);
	return u.p;
}

/*
 * The fleet of -e URL...: each URL as a single endpoint is read. They are
 * one model's replicas, so they must name the same API.
 */
static void
setup_replicas(struct run *r)
{
	const struct opts *o = r->o;

	r->nrep = (size_t)o->nendpoints;
	r->reps = ve_xcalloc(r->nrep, sizeof *r->reps);
	for (size_t i = 0; i < r->nrep; i++) {
		struct replica *p = &r->reps[i];
		enum ve_api api;
		if (!ve_endpoint_parse(o->endpoints[i], &p->root, &api))
			ve_usage_error("--endpoint: expected an http:// or https:// URL");
		if (i == 0)
			r->api = api;
		else if (api != r->api)
			ve_usage_error("--endpoint: the replicas' URLs name different APIs "
			               "(give each as the server root)");
		for (int k = 0; k < 3; k++)
			p->url[k] = api_url(p->root, api_paths[k]);
		p->shown = ve_url_redact(p->root);
		struct ve_buf f = {0};
		ve_buf_adds(&f, ",\"replica\":");
		ve_buf_add_json_str(&f, p->shown, strlen(p->shown));
		p->field = f.p;
	}
}

/* The HTTP client: the key and the endpoint's credentials as secrets, retries, limits. */
static int
setup_http(struct run *r)
{
	const struct opts *o = r->o;

	ve_http_init(&r->http);
	if (!ve_http_api_auth(&r->http, o->api_key_file))
		return VE_EX_NOINPUT;
	for (int i = 0; i < o->nendpoints; i++)
		ve_secrets_add_url(&r->http.secrets, o->endpoints[i]);
	ve_http_configure(&r->http, &o->cli);
	/* The /v1/models lookup says its retries at -vv, as the requests do. */
	r->http.verbose = o->cli.verbose > 1;
	return 0;
}

/* Everything before the input: the endpoint, jq expressions, the client. 0 or an exit status. */
static int
setup(struct run *r)
{
	const struct opts *o = r->o;

	r->sha = ve_sha256_new();
	r->out = stdout;
	/* The reference way of the tests and the benchmark (llm-query(1), ENVIRONMENT). */
	const char *scan = getenv("LLM_QUERY_SCAN");
	r->scan = !scan || strcmp(scan, "0") != 0;
	setup_replicas(r);
	if (o->prompt_expr)
		r->prompt = ve_jq_compile("--prompt", o->prompt_expr);
	if (o->messages_expr)
		r->messages = ve_jq_compile("--messages", o->messages_expr);
	/* Compiling jq's builtins costs; the id serves only --resume. */
	if (o->resume || o->id_expr) {
		const char *id = o->id_expr ? o->id_expr : ".id";
		r->id = ve_jq_compile("--id", id);
		r->id_path = is_key_path(id) ? id : NULL;
	}
	int rc = setup_http(r);
	if (rc)
		return rc;
	r->model = o->model ? ve_xstrdup(o->model) : NULL;
	/* With --model, or in a dry run, the server is not asked. */
	r->model_tried = o->model || o->dry_run;
	return 0;
}

/* Makes dir and any parents it lacks, mode 0700 (answers may be private), as ccache does. */
static int
make_dirs(const char *dir)
{
	char *p = ve_xstrdup(dir);
	struct stat st;
	int rc = 0;

	for (char *s = strchr(p + 1, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
		rc = -1;
	if (rc == 0 && stat(p, &st) != 0) {
		rc = -1;
	} else if (rc == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
	}
	free(p);
	return rc;
}

/*
 * The outputs, after the input's reader is set up: the --cache directory,
 * FILE's answers kept for --resume, FILE opened. 0 or an exit status.
 */
static int
open_outputs(struct run *r)
{
	const struct opts *o = r->o;
	int rc;

	if (o->cache_dir && make_dirs(o->cache_dir) != 0)
		ve_die(VE_EX_CANTCREAT, "--cache: %s:", o->cache_dir);
	if (o->resume && (rc = resume_load(r)))
		return rc;
	if (o->out_path && !o->resume)
		r->out = ve_open_output("-o", o->out_path);
	/* As ve_open_output does it; --resume appends. */
	if (o->out_path && o->resume && !(r->out = fopen(o->out_path, "a")))
		ve_die(VE_EX_CANTCREAT, "-o: %s:", o->out_path);
	return 0;
}

/*
 * The arrival times of --rate R with --burstiness B for the jobs of q, from
 * t0, as vLLM's get_request: gamma gaps of shape B and scale 1/(R·B),
 * cumulative, then rescaled so the last arrival is at n/R exactly.
 */
static void
set_arrivals(struct run *r, struct queue *q, double t0)
{
	double rate = r->o->rate, b = r->o->burstiness, t = 0;

	for (struct job *j = q->head; j; j = j->next) {
		t += ve_rng_gamma(&r->rng, b) / (rate * b);
		j->arrival = t;
	}
	double f = t > 0 ? ((double)q->n / rate) / t : 1;
	for (struct job *j = q->head; j; j = j->next)
		j->arrival = t0 + j->arrival * f;
}

/*
 * Reads what must be read before sending: all the input with --rate (every
 * arrival time depends on the count), else the records of the warmup.
 */
static void
read_ahead(struct run *r, struct queue *q, bool lazy)
{
	struct job *j;

	while ((!lazy || (size_t)r->o->warmup > q->n) && (j = read_job(r)))
		queue_push(q, j);
	r->total = q->n;
	r->total_known = !lazy;
}

/* Sends the warmup, then every record, on one multi handle. */
static void
send_all(struct run *r, struct queue *q, bool lazy)
{
	const struct opts *o = r->o;

	r->multi = curl_multi_init();
	if (!r->multi)
		ve_die(VE_EX_SOFTWARE, "cannot start libcurl");
	curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS,
	                  o->concurrency < 1024 ? o->concurrency : 1024L);
	if (o->warmup) {
		long n = 0;
		for (struct job *j = q->head; j && n < o->warmup; j = j->next, n++)
			queue_push(&r->warm, job_clone(j));
		pump(r, &r->warm, false);
		if (o->cli.verbose)
			ve_warn("warmup: %ld requests sent", n);
	}
	r->t0 = ve_now();
	if (!lazy)
		set_arrivals(r, q, r->t0);
	pump(r, q, lazy);
	progress(r, r->progress_shown);
}

/* The run's exit status, after its counts on stderr. */
static int
summary(struct run *r)
{
	const struct opts *o = r->o;
	int rc = r->in_status;

	if (o->cli.verbose)
		ve_warn("%llu records: %llu answered, %llu failed", r->done, r->ok, r->failed);
	if (o->cli.verbose && o->resume)
		ve_warn("--resume: %llu records were already answered", r->resumed);
	if (!rc && r->failed && (double)r->failed * 100 > o->max_failures * (double)r->done) {
		if (!o->cli.quiet)
			ve_warn("%llu of %llu requests failed (over --max-failures %g%%)",
			        r->failed, r->done, o->max_failures);
		rc = VE_EX_UNAVAILABLE;
	}
	int rc2 = ve_reader_free(r->rd);
	r->rd = NULL;
	return rc ? rc : rc2;
}

/* Closes FILE and frees the run; returns rc, or 74 when FILE could not be written. */
static int
teardown(struct run *r, struct queue *q, int rc)
{
	if (r->out && r->out != stdout) {
		int rc2 = ve_fclose_checked(r->out, r->o->out_path);
		if (!rc)
			rc = rc2;
	}
	ve_reader_free(r->rd);
	for (struct job *j; (j = queue_pop(q));)
		job_free(j);
	for (size_t i = 0; i < r->nslots; i++)
		job_free(r->slots[i]);
	free(r->slots);
	for (size_t i = 0; i < r->nspare; i++)
		ve_buf_free(&r->spare[i]);
	for (size_t i = 0; i < r->npool; i++)
		curl_easy_cleanup(r->pool[i]);
	free(r->pool);
	curl_multi_cleanup(r->multi);
	ve_http_free(&r->http);
	ve_jq_free(r->prompt);
	ve_jq_free(r->messages);
	ve_jq_free(r->id);
	ve_canon_free(&r->canon);
	ve_keyset_free(r->done_ids);
	ve_keyset_free(r->input_ids);
	ve_sha256_free(r->sha);
	for (size_t i = 0; i < r->nrep; i++) {
		struct replica *p = &r->reps[i];
		free(p->root);
		for (int k = 0; k < 3; k++)
			free(p->url[k]);
		free(p->shown);
		free(p->field);
	}
	free(r->reps);
	free(r->model);
	free(r->score_tmpl);
	free(r->tok_tmpl);
	return rc;
}

static int
run(const struct opts *o, char **files, int nfiles)
{
	struct run r = {.o = o};
	struct queue q = {0};
	/* The progress line is llm-query's own: answers, not records read. */
	struct ve_cli cli = o->cli;
	int rc;

	cli.progress = false;
	if ((rc = setup(&r)))
		return teardown(&r, &q, rc);
	r.rd = ve_reader_new(files, nfiles, &cli, 0);
	if ((rc = open_outputs(&r)))
		return teardown(&r, &q, rc);
	ve_rng_seed(&r.rng, o->seed >= 0 ? (uint64_t)o->seed : 0);
	r.progress_on = o->cli.progress || isatty(STDERR_FILENO);
	r.t0 = ve_now();
	bool lazy = !(o->rate > 0);
	read_ahead(&r, &q, lazy);
	if (o->dry_run) {
		if (!lazy)
			set_arrivals(&r, &q, 0);
		dry_run(&r, &q);
	} else {
		send_all(&r, &q, lazy);
	}
	return teardown(&r, &q, summary(&r));
}

int
main(int argc, char **argv)
{
	struct opts o = {
	    .max_tokens = -1,
	    .logprobs = -1,
	    .seed = -1,
	    .temperature = NAN,
	    .top_p = NAN,
	    .burstiness = 1,
	    .stream_timeout = 3600,
	};

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	int rc = run(&o, argv + optind, argc - optind);
	free(o.stop);
	free(o.endpoints);
	free(o.env_endpoints);
	jv_free(o.extra_obj);
	jv_free(o.chat_kwargs_obj);
	return ve_out_finish(rc);
}
