/*
 * Fuzz target: vllm-sim's request core (lib/simreq.h) on any request body
 * (tests/fuzz/README.md).
 *
 * The first two bytes choose the endpoint and a small configuration (a
 * context of 16 to 128 tokens, 1 to 8 prompts per request, the seed, the
 * accuracy, the natural output length), so that every input costs
 * milliseconds; the rest is the body, as vllm-sim's handler passes it. An
 * answer key of five items, two with choices and three with free-text gold
 * (one with its own wrong answer, written as it is), is loaded once, so the key's paths
 * (letter ranks, echoed choice logprobs, right and wrong answers) are
 * reached.
 *
 * Nothing may crash or leak, and what the core writes must hold up:
 *   - an error has status 400 or 404, a type and a message, and its body
 *     is JSON whose error.code is that status;
 *   - a drawn fault holds up: a failure answers with a configured status
 *     and a body that says it, a cut falls within the generated tokens;
 *   - a plan keeps the bounds: 1 to max_prompts choices (1 for chat), each
 *     prompt shorter than the context and its generation within what is
 *     left of it; the usage sums agree with the choices;
 *   - the whole body and every SSE event are valid UTF-8 and parse as JSON
 *     objects; the body has one choice per prompt;
 *   - the streamed text of each choice, joined, is the body's text (with
 *     the echoed prompt for completions): streaming and not give one answer;
 *   - a tokenizer answer parses as JSON;
 *   - a completions or /tokenize body whose prompt is read apart from
 *     libjq answers (or fails) with the same bytes as when libjq parses it
 *     whole (jq_only, VLLM_SIM_SCAN=0).
 * A broken rule aborts with a message, which libFuzzer reports.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "json.h"
#include "simkey.h"
#include "simreq.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ve_simkey key;

/* Items the seeds ask about (tests/fuzz/corpus/simreq). */
static const char key_text[] =
    "{\"match\":\"Which planet is red?\",\"choices\":[\"Mars\",\"Venus\",\"Earth\"],"
    "\"gold\":0}\n"
    "{\"match\":\"Pick a letter\",\"choices\":[\"x\",\"y\"],\"gold\":\"B\",\"id\":7}\n"
    "{\"match\":\"What is 2 plus 3?\",\"gold\":\"5\"}\n"
    "{\"match\":\"Name the capital of France.\",\"gold\":\"Paris\",\"id\":\"cap\"}\n"
    "{\"match\":\"Sum the list.\",\"gold\":\"```python\\nprint(sum(xs))\\n```\","
    "\"wrong\":\"```python\\nprint(0)\\n```\",\"format\":\"text\"}\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = memfd_create("ve-fuzz-simkey", MFD_CLOEXEC);
	char path[64];

	(void)argc;
	(void)argv;
	ve_progname = "fuzz-simreq";
	if (fd < 0 || write(fd, key_text, sizeof key_text - 1) != (ssize_t)(sizeof key_text - 1)) {
		perror("simreq: the answer key");
		exit(1);
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ve_simkey_load(&key, path);
	close(fd);
	if (key.n != 5) {
		fprintf(stderr, "simreq: the answer key has %zu items, not 5\n", key.n);
		exit(1);
	}
	return 0;
}

static void
broken(const char *what, const char *body, size_t len, const struct ve_buf *out)
{
	fprintf(stderr, "simreq: %s\n  body: %.*s\n  out:  %s\n", what, (int)len, body,
	        out && out->p ? out->p : "");
	abort();
}

/* Parses text[0..len) as a JSON object (valid UTF-8 first); aborts when it is not. */
static jv
object(const char *what, const char *text, size_t len, const char *body, size_t blen,
       const struct ve_buf *out)
{
	if (ve_utf8_invalid_at(text, len) >= 0)
		broken(what, body, blen, out);
	jv v = jv_parse_sized(text, (int)len);
	if (jv_get_kind(v) != JV_KIND_OBJECT)
		broken(what, body, blen, out);
	return v;
}

/*
 * The string at v.a[i].b.c (i < 0: no index; b, c NULL: a shorter path),
 * its length in *n (it may hold NULs); "" if none. v keeps it alive.
 */
static const char *
str_at(jv v, const char *a, int i, const char *b, const char *c, size_t *n)
{
	const char *keys[2] = {b, c};
	jv x = ve_json_get(v, a);

	if (i >= 0 && jv_get_kind(x) == JV_KIND_ARRAY)
		x = jv_array_get(x, i);
	for (int k = 0; k < 2 && keys[k]; k++) {
		jv y = ve_json_get(x, keys[k]);
		jv_free(x);
		x = y;
	}
	/* v holds the same string, so it outlives x. */
	bool str = jv_get_kind(x) == JV_KIND_STRING;
	const char *s = str ? jv_string_value(x) : "";
	*n = str ? ve_json_strlen(x) : 0;
	jv_free(x);
	return s;
}

/* An error: status, type and message set, and a body that says the same. */
static void
check_error(const struct ve_simerr *e, const char *body, size_t len)
{
	struct ve_buf out = {0};

	if ((e->status != 400 && e->status != 404) || !e->type || !e->msg[0])
		broken("an error without status, type or message", body, len, NULL);
	ve_simerr_body(e, &out);
	jv v = object("an error body that is not JSON", out.p, out.len, body, len, &out);
	jv err = ve_json_get(v, "error");
	double code = 0;
	if (!ve_json_get_num(err, "code", &code) || code != e->status)
		broken("an error body with another code", body, len, &out);
	jv_free(err);
	jv_free(v);
	ve_buf_free(&out);
}

/*
 * A drawn fault: a failure's answer has one of the configured statuses and
 * says so in its body; a cut comes after the first token and before the
 * last (at 0 when there are fewer than two).
 */
static void
check_fault(const struct ve_simcfg *cfg, const struct ve_simplan *p, bool failed,
            const struct ve_simerr *e, const char *body, size_t len)
{
	if (failed != (p->fault == VE_SIM_FAULT_FAIL))
		broken("a failure without its answer", body, len, NULL);
	if (p->fault == VE_SIM_FAULT_DROP &&
	    (p->max_gen >= 2 ? p->drop_at < 1 || p->drop_at >= p->max_gen : p->drop_at != 0))
		broken("a stream cut outside its tokens", body, len, NULL);
	if (!failed)
		return;
	bool known = false;
	for (int i = 0; i < cfg->nfail_codes; i++)
		known |= e->status == cfg->fail_codes[i];
	struct ve_buf out = {0};
	ve_simerr_body(e, &out);
	jv v = object("a failure's body that is not JSON", out.p, out.len, body, len, &out);
	jv err = ve_json_get(v, "error");
	double code = 0;
	if (!known || !e->type || !ve_json_get_num(err, "code", &code) || code != e->status)
		broken("a failure with another status", body, len, &out);
	jv_free(err);
	jv_free(v);
	ve_buf_free(&out);
}

/* The plan's bounds and sums. */
static void
check_bounds(const struct ve_simcfg *cfg, const struct ve_simplan *p, const char *body, size_t len)
{
	size_t pt = 0, gt = 0, maxg = 0;

	if (p->nc < 1 || p->nc > cfg->max_prompts || (p->api == VE_SIM_CHAT && p->nc != 1))
		broken("a plan with too many or no choices", body, len, NULL);
	for (int i = 0; i < p->nc; i++) {
		const struct ve_simchoice *c = &p->c[i];
		if (c->npt >= (size_t)cfg->max_model_len ||
		    c->npt + c->ngt > (size_t)cfg->max_model_len)
			broken("a choice past the context", body, len, NULL);
		pt += c->npt;
		gt += c->ngt;
		if (c->ngt > maxg)
			maxg = c->ngt;
	}
	if (pt != p->prompt_tokens || gt != p->completion_tokens || maxg != p->max_gen)
		broken("usage sums that disagree with the choices", body, len, NULL);
}

/* Appends the text one SSE event (ev, a "data: {...}" line) carries for its choice. */
static void
event_text(const struct ve_simplan *p, jv ev, struct ve_buf *texts)
{
	jv ch = ve_json_get(ev, "choices");
	int n = jv_get_kind(ch) == JV_KIND_ARRAY ? jv_array_length(jv_copy(ch)) : 0;

	for (int k = 0; k < n; k++) {
		jv one = jv_array_get(jv_copy(ch), k);
		double idx = -1;
		size_t tn;
		ve_json_get_num(one, "index", &idx);
		const char *t = p->api == VE_SIM_CHAT
		                    ? str_at(one, "delta", -1, "content", NULL, &tn)
		                    : str_at(one, "text", -1, NULL, NULL, &tn);
		if (idx >= 0 && idx < p->nc)
			ve_buf_add(&texts[(int)idx], t, tn);
		jv_free(one);
	}
	jv_free(ch);
}

/* Checks and reads one event; its text goes to texts. */
static void
check_event(const struct ve_simplan *p, const struct ve_buf *ev, struct ve_buf *texts,
            const char *body, size_t len)
{
	if (ev->len < 8 || memcmp(ev->p, "data: ", 6) != 0 ||
	    memcmp(ev->p + ev->len - 2, "\n\n", 2) != 0)
		broken("an SSE event that is not one data line", body, len, ev);
	jv v = object("an SSE event that is not JSON", ev->p + 6, ev->len - 8, body, len, ev);
	event_text(p, v, texts);
	jv_free(v);
}

/* Checks and reads each event of evs, events as ve_simplan_events writes them. */
static void
check_events(const struct ve_simplan *p, const struct ve_buf *evs, struct ve_buf *texts,
             const char *body, size_t len)
{
	struct ve_buf ev = {0};

	for (size_t at = 0; at < evs->len;) {
		const char *end = memmem(evs->p + at, evs->len - at, "\n\n", 2);
		size_t n = end ? (size_t)(end - evs->p) + 2 - at : evs->len - at;
		ve_buf_reset(&ev);
		ve_buf_add(&ev, evs->p + at, n);
		check_event(p, &ev, texts, body, len);
		at += n;
	}
	ve_buf_free(&ev);
}

/*
 * Streams the plan as vllm-sim does (ve_simplan_events: the role chunk, the
 * first token, then interval tokens per event; the usage) and compares
 * each choice's joined text with the whole body's.
 */
static void
check_stream(const struct ve_simplan *p, jv whole, size_t interval, const char *body, size_t len)
{
	struct ve_buf *texts = ve_xcalloc((size_t)p->nc, sizeof *texts);
	struct ve_buf ev = {0};

	ve_simplan_events(p, 0, 1, &ev);
	check_events(p, &ev, texts, body, len);
	for (size_t step = 1; step < p->max_gen; step += interval) {
		size_t to = step + interval < p->max_gen ? step + interval : p->max_gen;
		ve_buf_reset(&ev);
		ve_simplan_events(p, step, to, &ev);
		check_events(p, &ev, texts, body, len);
	}
	ve_buf_reset(&ev);
	ve_simplan_usage(p, &ev);
	check_event(p, &ev, texts, body, len);
	for (int i = 0; i < p->nc; i++) {
		size_t wn;
		const char *want = p->api == VE_SIM_CHAT
		                       ? str_at(whole, "choices", i, "message", "content", &wn)
		                       : str_at(whole, "choices", i, "text", NULL, &wn);
		if (texts[i].len != wn || (wn && memcmp(texts[i].p, want, wn) != 0))
			broken("streamed text differs from the whole answer's", body, len,
			       &texts[i]);
		ve_buf_free(&texts[i]);
	}
	free(texts);
	ve_buf_free(&ev);
}

/* The whole answer of a request, or its error's body, into out (created set to 0). */
static void
answer_of(const struct ve_simcfg *cfg, int api, const char *body, size_t len, struct ve_buf *out)
{
	struct ve_simerr e = {0};
	struct ve_simplan *p = ve_simplan_build(cfg, api, body, len, &e);

	if (!p) {
		ve_simerr_body(&e, out);
		return;
	}
	p->created = 0;
	ve_simplan_body(p, out);
	ve_simplan_free(p);
}

/* The prompt read apart from libjq must not change the answer of completions or /tokenize. */
static void
check_jq_only(const struct ve_simcfg *cfg, int api, bool tok, const char *body, size_t len)
{
	struct ve_simcfg slow = *cfg;
	struct ve_buf a = {0}, b = {0};
	struct ve_simerr e = {0};

	slow.jq_only = true;
	if (tok) {
		if (!ve_simreq_tokenize(cfg, body, len, &a, &e))
			ve_simerr_body(&e, &a);
		if (!ve_simreq_tokenize(&slow, body, len, &b, &e))
			ve_simerr_body(&e, &b);
	} else {
		answer_of(cfg, api, body, len, &a);
		answer_of(&slow, api, body, len, &b);
	}
	if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
		broken("the prompt read apart from libjq changes the answer", body, len, &a);
	ve_buf_free(&a);
	ve_buf_free(&b);
}

/* A completions or chat request: its error, or its plan, body and stream. */
static void
inference(const struct ve_simcfg *cfg, int api, const char *body, size_t len, uint8_t knob)
{
	struct ve_simerr e = {0};
	struct ve_simplan *p = ve_simplan_build(cfg, api, body, len, &e);
	struct ve_buf out = {0};

	if (!p) {
		check_error(&e, body, len);
		return;
	}
	check_bounds(cfg, p, body, len);
	ve_simplan_number(p, knob);
	bool failed = ve_simplan_fault(cfg, p, knob, &e);
	check_fault(cfg, p, failed, &e, body, len);
	ve_simplan_body(p, &out);
	jv whole = object("a body that is not JSON", out.p, out.len, body, len, &out);
	jv ch = ve_json_get(whole, "choices");
	if (jv_get_kind(ch) != JV_KIND_ARRAY || jv_array_length(jv_copy(ch)) != p->nc)
		broken("a body without one choice per prompt", body, len, &out);
	jv_free(ch);
	check_stream(p, whole, 1 + knob % 4, body, len);
	jv_free(whole);
	ve_buf_free(&out);
	ve_simplan_free(p);
}

/* /tokenize or /detokenize: an error, or an answer that parses. */
static void
tokenizer(const struct ve_simcfg *cfg, bool detok, const char *body, size_t len)
{
	struct ve_simerr e = {0};
	struct ve_buf out = {0};
	bool ok = detok ? ve_simreq_detokenize(cfg, body, len, &out, &e)
	                : ve_simreq_tokenize(cfg, body, len, &out, &e);

	if (ok)
		jv_free(
		    object("a tokenizer answer that is not JSON", out.p, out.len, body, len, &out));
	else
		check_error(&e, body, len);
	ve_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t a = data[0], b = data[1];
	struct ve_simcfg cfg = {
	    .model = "sim-model",
	    .seed = b >> 2,
	    .max_model_len = 16L << ((a >> 2) & 3),
	    .output_len = 1 + (b & 3) * 8,
	    .max_prompts = 1 + ((a >> 4) & 7),
	    .accuracy = a & 0x80 ? 0.5 : 1,
	    .key = &key,
	    /* A share of each fault, drawn per input from the seed and the knob. */
	    .fail_rate = 0.25,
	    .drop_rate = 0.25,
	    .stall_rate = 0.25,
	    .fail_codes = {429, 500, 503, 599},
	    .nfail_codes = 4,
	};
	const char *body = (const char *)data + 2;
	size_t len = size - 2;

	switch (a & 3) {
	case 0:
		inference(&cfg, VE_SIM_COMPLETIONS, body, len, b);
		check_jq_only(&cfg, VE_SIM_COMPLETIONS, false, body, len);
		break;
	case 1: inference(&cfg, VE_SIM_CHAT, body, len, b); break;
	case 2:
		tokenizer(&cfg, false, body, len);
		check_jq_only(&cfg, VE_SIM_COMPLETIONS, true, body, len);
		break;
	default: tokenizer(&cfg, true, body, len); break;
	}
	return 0;
}
