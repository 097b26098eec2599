/*
 * ds-synth — synthetic load prompts, like vLLM's "random" dataset.
 *
 * Writes -n query records for llm-query, each asking for a prompt of about
 * --input-len tokens (after a --prefix-len prefix all records share) and
 * exactly --output-len generated tokens (max_tokens with ignore_eos). With
 * --range-ratio R both lengths are drawn uniformly from
 * [floor(L·(1−R)), ceil(L·(1+R))], as vLLM does. vLLM decodes random token
 * ids with the model's tokenizer; with no tokenizer in C, a prompt here is a
 * run of common English words that most tokenizers encode as one token each
 * (" the", " of", ...), so lengths are approximate. With --endpoint the
 * server's /tokenize counts each prompt and words are added or removed until
 * the count is exact (within the bounds of struct tally). --seed makes the
 * output the same on every run. Reads no input; writes query records on
 * standard output.
 */
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "http.h"
#include "json.h"
#include "num.h"
#include "output.h"
#include "rng.h"

struct opts {
	struct ve_cli cli; /* -v, -q and the network group */
	long n;
	long input_len;
	long output_len;
	double range_ratio;
	long prefix_len;
	long seed;
	const char *endpoint;
	const char *model;
	const char *api_key_file;
};

/* A wait never outlasts a try unless --max-wait says: Retry-After is honoured up to --timeout. */
static const struct ve_cli_net net_defaults = {
    .retries = 3, .timeout = 30, .backoff = 0.5, .max_wait = -1};

/*
 * Bounds on the counts of one prompt (ds-synth(1)), so that a server whose
 * count does not follow the text cannot keep ds-synth forever: the same
 * count STUCK_COUNTS times in a row while the text changes, or more than
 * MAX_COUNTS(N) counts for a prompt of N tokens. A tokenizer of a few
 * tokens a word takes a few hundred for 4096 tokens.
 */
#define STUCK_COUNTS  16
#define MAX_COUNTS(n) (64 + 2 * (n))

/* Words that GPT-2, Llama and Qwen tokenizers each encode as one token after a space. */
static const char *const words[] = {
    "the",   "of",    "and",   "to",    "in",    "is",    "that",  "for",  "it",    "as",
    "was",   "with",  "be",    "by",    "on",    "not",   "he",    "this", "are",   "or",
    "his",   "from",  "at",    "which", "but",   "have",  "an",    "had",  "they",  "you",
    "were",  "their", "one",   "all",   "we",    "can",   "her",   "has",  "there", "been",
    "if",    "more",  "when",  "will",  "would", "who",   "so",    "no",   "time",  "day",
    "water", "light", "house", "city",  "world", "year",  "work",  "life", "hand",  "part",
    "place", "case",  "week",  "group", "point", "state", "night", "line", "food",  "road",
};
#define NWORDS ((long)(sizeof words / sizeof words[0]))

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: %s [-qv] [-n N] [--input-len N] [--output-len N] [--range-ratio R]\n"
	        "                [--prefix-len N] [--seed N] [-e URL [-m MODEL]]\n"
	        "\n"
	        "Write synthetic query records for load tests, like vLLM's random dataset.\n"
	        "\n"
	        "  -n, --num-prompts N   records to write (default 100)\n"
	        "      --input-len N     prompt tokens after the prefix (default 1024)\n"
	        "      --output-len N    tokens to generate: max_tokens, ignore_eos (default 128)\n"
	        "      --range-ratio R   draw lengths from [L(1-R), L(1+R)] (default 0)\n"
	        "      --prefix-len N    tokens of a prefix shared by every prompt (default 0)\n"
	        "      --seed N          random seed (default 0)\n"
	        "  -e, --endpoint URL    count tokens with the server's /tokenize: exact lengths\n"
	        "  -m, --model NAME      model for /tokenize (default: the first of /v1/models)\n"
	        "      --api-key-file F  API key (default: $OPENAI_API_KEY, $VLLM_API_KEY)\n",
	        ve_progname);
	ve_cli_help_net(f, VE_CLI_NETWORK, &net_defaults, 24);
	ve_cli_help(f, 0, 24);
	fprintf(f, "\n"
	           "Exit: 0 ok, 64 usage, 69 server unavailable, 74 I/O error. See ds-synth(1).\n");
}

enum {
	OPT_INPUT_LEN = 256,
	OPT_OUTPUT_LEN,
	OPT_RANGE_RATIO,
	OPT_PREFIX_LEN,
	OPT_SEED,
	OPT_API_KEY_FILE,
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct option longopts[] = {
	    {"num-prompts", required_argument, NULL, 'n'},
	    {"input-len", required_argument, NULL, OPT_INPUT_LEN},
	    {"output-len", required_argument, NULL, OPT_OUTPUT_LEN},
	    {"range-ratio", required_argument, NULL, OPT_RANGE_RATIO},
	    {"prefix-len", required_argument, NULL, OPT_PREFIX_LEN},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"endpoint", required_argument, NULL, 'e'},
	    {"model", required_argument, NULL, 'm'},
	    {"api-key-file", required_argument, NULL, OPT_API_KEY_FILE},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.cli = {.flags = VE_CLI_NETWORK, .net = net_defaults},
	                   .n = 100,
	                   .input_len = 1024,
	                   .output_len = 128};
	while ((c = ve_getopt(argc, argv, "n:e:m:", longopts, &o->cli, usage)) != -1) {
		switch (c) {
		case 'n': o->n = ve_opt_long("--num-prompts", optarg, 0, 100000000); break;
		case OPT_INPUT_LEN:
			o->input_len = ve_opt_long("--input-len", optarg, 1, 10000000);
			break;
		case OPT_OUTPUT_LEN:
			o->output_len = ve_opt_long("--output-len", optarg, 1, 10000000);
			break;
		case OPT_RANGE_RATIO:
			o->range_ratio = ve_opt_double("--range-ratio", optarg, 0, 0.999999);
			break;
		case OPT_PREFIX_LEN:
			o->prefix_len = ve_opt_long("--prefix-len", optarg, 0, 10000000);
			break;
		case OPT_SEED: o->seed = ve_opt_long("--seed", optarg, 0, INT64_MAX); break;
		case 'e': o->endpoint = optarg; break;
		case 'm': o->model = optarg; break;
		case OPT_API_KEY_FILE: o->api_key_file = optarg; break;
		}
	}
	if (optind < argc)
		ve_usage_error("unexpected argument '%s' (ds-synth reads no input)", argv[optind]);
	if (o->endpoint)
		ve_http_need_url("--endpoint", o->endpoint, false);
}

/* The server that counts tokens, when there is one. */
struct counter {
	char *root;
	char *shown; /* root for messages, its secrets redacted */
	char *model;
	struct ve_http http;
	unsigned long long calls;
};

/* "URL/WHAT: why", why the message of the server's failed answer r (consumed). */
static void
warn_failed(const struct counter *c, const char *what, jv r)
{
	jv m = jv_invalid_get_msg(r);

	ve_warn("%s/%s: %s", c->shown, what,
	        jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) : "failed");
	jv_free(m);
}

/* Appends the word for token id k, after a space unless it is the first. */
static void
add_word(struct ve_buf *b, long k)
{
	if (b->len)
		ve_buf_addc(b, ' ');
	ve_buf_adds(b, words[k % NWORDS]);
}

/* Drops the last word of b, keeping at least keep bytes. */
static bool
drop_word(struct ve_buf *b, size_t keep)
{
	size_t i = b->len;

	while (i > keep && b->p[i - 1] != ' ')
		i--;
	if (i <= keep)
		return false;
	b->len = i - 1;
	b->p[b->len] = '\0';
	return true;
}

/* The counts of one prompt so far. */
struct tally {
	long want; /* the length asked for */
	long have; /* the last count */
	long calls;
	int same; /* counts in a row that gave have */
};

/* Counts b again into t: 0, or 69 after a message (no count, or a bound passed). */
static int
recount(struct counter *c, const struct ve_buf *b, struct tally *t)
{
	if (t->calls >= MAX_COUNTS(t->want)) {
		ve_warn(
		    "%s/tokenize: cannot make a prompt exactly %ld tokens long (%ld tokens after "
		    "%ld counts)",
		    c->shown, t->want, t->have, t->calls);
		return VE_EX_UNAVAILABLE;
	}
	jv tokens = ve_http_tokenize(&c->http, c->root, c->model, b->p ? b->p : "", b->len, 0);
	c->calls++;
	if (!jv_is_valid(tokens)) {
		warn_failed(c, "tokenize", tokens);
		return VE_EX_UNAVAILABLE;
	}
	long n = jv_array_length(tokens);
	t->same = t->calls && n == t->have ? t->same + 1 : 1;
	t->calls++;
	t->have = n;
	if (n == t->want || t->same < STUCK_COUNTS)
		return 0;
	ve_warn("%s/tokenize: cannot make a prompt exactly %ld tokens long: the count stayed at "
	        "%ld for %d counts",
	        c->shown, t->want, n, t->same);
	return VE_EX_UNAVAILABLE;
}

/*
 * Makes b (whose first keep bytes are fixed) exactly want tokens long by the
 * server's count: first by adding the words of the cycle from next or
 * dropping the last ones, as many as the count is off; then word by word
 * down, and " a" by " a" up, a step that adds at most one token to any
 * tokenizer that merges no more than a word. Returns 0, or 69 when the
 * server cannot count, its count does not follow the text, or no text has
 * that length.
 */
static int
make_exact(struct counter *c, struct ve_buf *b, size_t keep, long want, long *next)
{
	struct tally t = {.want = want};
	int rc;

	for (int round = 0; round < 8; round++) {
		if ((rc = recount(c, b, &t)))
			return rc;
		if (t.have == want)
			return 0;
		if (t.have < want)
			for (long k = t.have; k < want; k++)
				add_word(b, (*next)++);
		else
			for (long k = want; k < t.have && drop_word(b, keep); k++)
				;
	}
	if ((rc = recount(c, b, &t)))
		return rc;
	while (t.have > want && drop_word(b, keep))
		if ((rc = recount(c, b, &t)))
			return rc;
	while (t.have < want) {
		ve_buf_adds(b, b->len ? " a" : "a");
		if ((rc = recount(c, b, &t)))
			return rc;
	}
	if (t.have == want)
		return 0;
	ve_warn("%s/tokenize: cannot make a prompt exactly %ld tokens long", c->shown, want);
	return VE_EX_UNAVAILABLE;
}

/* vLLM's bounds for a length L and range ratio R. */
static void
bounds(long len, double ratio, long *lo, long *hi)
{
	*lo = (long)floor((double)len * (1 - ratio));
	*hi = (long)ceil((double)len * (1 + ratio));
	if (*lo < 1)
		*lo = 1;
	if (*hi < *lo)
		*hi = *lo;
}

/* The client of --endpoint and the model to count for. 0 or an exit status. */
static int
counter_open(struct counter *c, const struct opts *o)
{
	enum ve_api api;

	if (!ve_endpoint_parse(o->endpoint, &c->root, &api))
		ve_usage_error("--endpoint: expected an http:// or https:// URL");
	c->shown = ve_url_redact(c->root);
	ve_http_init(&c->http);
	if (!ve_http_api_auth(&c->http, o->api_key_file))
		return VE_EX_NOINPUT;
	ve_secrets_add_url(&c->http.secrets, o->endpoint);
	ve_http_configure(&c->http, &o->cli);
	if (o->model) {
		c->model = ve_xstrdup(o->model);
		return 0;
	}
	jv m = ve_http_first_model(&c->http, c->root, 0);
	if (!jv_is_valid(m)) {
		warn_failed(c, "v1/models: no model name (give --model)", m);
		return VE_EX_UNAVAILABLE;
	}
	c->model = ve_json_strdup(m, NULL);
	jv_free(m);
	return 0;
}

static void
counter_close(struct counter *c)
{
	ve_http_free(&c->http);
	free(c->root);
	free(c->shown);
	free(c->model);
}

/* Writes the query record of prompt i. */
static void
write_record(struct ve_buf *line, long i, const struct ve_buf *prompt, long in, long out)
{
	ve_buf_reset(line);
	ve_buf_addf(line, "{\"id\":%ld,\"request\":{\"prompt\":", i);
	ve_buf_add_json_str(line, prompt->p, prompt->len);
	ve_buf_addf(line,
	            ",\"max_tokens\":%ld,\"ignore_eos\":true},\"input_len\":%ld,"
	            "\"output_len\":%ld}",
	            out, in, out);
	ve_out_line(line->p, line->len);
}

/* The shared prefix, then each prompt, exact by /tokenize when c counts. 0 or 69. */
static int
generate(const struct opts *o, struct counter *c)
{
	struct ve_rng rng;
	struct ve_buf prefix = {0}, prompt = {0}, line = {0};
	long in_lo, in_hi, out_lo, out_hi, next = 0;
	int rc = 0;

	ve_rng_seed(&rng, (uint64_t)o->seed);
	bounds(o->input_len, o->range_ratio, &in_lo, &in_hi);
	bounds(o->output_len, o->range_ratio, &out_lo, &out_hi);
	/* Random words, as vLLM's random prefix token ids. */
	for (long k = 0; k < o->prefix_len; k++)
		add_word(&prefix, ve_rng_range(&rng, 0, NWORDS - 1));
	if (c && o->prefix_len)
		rc = make_exact(c, &prefix, 0, o->prefix_len, &next);
	for (long i = 0; !rc && i < o->n; i++) {
		long in = ve_rng_range(&rng, in_lo, in_hi);
		long out = ve_rng_range(&rng, out_lo, out_hi);
		long offset = ve_rng_range(&rng, 0, NWORDS - 1);
		ve_buf_reset(&prompt);
		ve_buf_add(&prompt, prefix.p ? prefix.p : "", prefix.len);
		/* vLLM's (offset + index + arange(input_len)) % vocab_size. */
		next = offset + i + in;
		for (long k = 0; k < in; k++)
			add_word(&prompt, offset + i + k);
		if (c && (rc = make_exact(c, &prompt, prefix.len, o->prefix_len + in, &next)))
			break;
		write_record(&line, i, &prompt, o->prefix_len + in, out);
	}
	ve_buf_free(&prefix);
	ve_buf_free(&prompt);
	ve_buf_free(&line);
	return rc;
}

static int
run(const struct opts *o)
{
	struct counter c = {0};
	int rc = 0;

	if (o->endpoint && (rc = counter_open(&c, o)))
		goto out;
	if ((rc = generate(o, o->endpoint ? &c : NULL)))
		goto out;
	if (o->cli.verbose)
		ve_warn("%ld prompts%s", o->n,
		        o->endpoint ? ", lengths exact by /tokenize" : ", lengths approximate");
	if (o->cli.verbose && o->endpoint)
		ve_warn("%llu /tokenize calls", c.calls);
out:
	counter_close(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int rc;

	ve_setprogname(argv);
	ve_out_init();
	parse_args(argc, argv, &o);
	rc = run(&o);
	return ve_out_finish(rc);
}
