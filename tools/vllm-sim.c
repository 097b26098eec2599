/*
 * vllm-sim — a simulator of vLLM's OpenAI-compatible server, for tests,
 * demos and pipeline dry runs without a GPU.
 *
 * It serves vLLM's endpoints with vLLM's JSON shapes (completions, chat,
 * streaming with a usage chunk, tokenize/detokenize, models, metrics) on
 * libmicrohttpd, one thread per connection. The request core (simreq.h)
 * reads each body and writes each answer; text comes from a documented
 * deterministic tokenizer (simtok.h) and a seeded hash of the prompt. This
 * file numbers, times and serves what the core plans; a gatekeeper thread
 * accepts the connections, answers 503 past --max-connections and closes
 * those that do not deliver a request within --request-timeout.
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
#include <limits.h>
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
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "num.h"
#include "output.h"
#include "progress.h"
#include "rng.h"
#include "simkey.h"
#include "simreq.h"
#include "simtok.h"

#define SIM_VLLM_VERSION "0.11.0"
#define MAX_REFUSED      256 /* refused connections lingering at once */
#define LINGER_S         1.0 /* how long one lingers for its client to close */
#define TICK_MS          100 /* how often the request deadline is checked */

struct opts {
	const char *host;
	long port;
	const char *port_file;
	const char *api_key_file;
	struct ve_simcfg cfg; /* the request core's: model, seed, lengths, accuracy, faults */
	double ttft_ms;
	double prefill_tps;
	double itl_ms;
	double jitter;
	double load_factor;
	long max_num_seqs;
	long stream_interval;
	long kv_tokens;
	const char *answers;
	const char *reasoning_format; /* --reasoning-format: parser or tags */
	long max_connections;
	long max_body;
	double request_timeout;
	struct ve_cli cli;
};

/* The upper bounds of vLLM's latency buckets, each list ending in +Inf. */
static const double ttft_le[] = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,   0.08,    0.1,
                                 0.25,  0.5,   0.75, 1.0,   2.5,   5.0,    7.5,     10.0,
                                 20.0,  40.0,  80.0, 160.0, 640.0, 2560.0, INFINITY};
static const double itl_le[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4,  0.5,
                                0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0, INFINITY};
static const double e2e_le[] = {0.3,   0.5,   0.8,   1.0,    1.5,    2.0,     2.5,  5.0,
                                10.0,  15.0,  20.0,  30.0,   40.0,   50.0,    60.0, 120.0,
                                240.0, 480.0, 960.0, 1920.0, 7680.0, INFINITY};

/* vLLM's latency histograms, in the order /metrics lists them. */
enum { H_TTFT, H_ITL, H_E2E, H_QUEUE, NHIST };
static const struct {
	const char *name, *help;
	const double *le;
} hists[NHIST] = {
    {"vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttft_le},
    {"vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itl_le},
    {"vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", e2e_le},
    {"vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.",
     e2e_le},
};

struct hist {
	unsigned long long counts[sizeof ttft_le / sizeof ttft_le[0]]; /* the longest list */
	double sum;
	unsigned long long count;
};

/* The finished_reason of vllm:request_success_total that an ended request counts under. */
enum { FIN_STOP, FIN_LENGTH, FIN_ABORT, NFIN };
static const char *const fin_reason[NFIN] = {"stop", "length", "abort"};

struct waiter {
	struct waiter *next;
	bool admitted;
};

/*
 * A connection libmicrohttpd serves (its socket context), watched for the
 * request deadline: from since (when it opened, or when its last answer
 * ended) a whole request must be in within --request-timeout, unless one
 * is being answered.
 */
struct watch {
	struct watch *next, **pprev; /* pprev: the pointer to it */
	int fd;
	double since;
	bool answering, dropped;
};

struct sim {
	const struct opts *o;
	char *api_key;
	struct ve_simkey key;
	struct ve_simcfg cfg; /* what the request core reads */
	int stopfd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: */
	long running, waiting;
	struct waiter *qhead, **qtail; /* the line, and where its next waiter goes */
	unsigned long long reqno;
	unsigned long long kv_used;
	unsigned long long prompt_tokens, gen_tokens;
	unsigned long long fin[NFIN];
	struct hist hist[NHIST];
	long created;
	struct MHD_Daemon *d;
	int lfd;            /* the listening socket, accepted from by the gatekeeper */
	struct ve_buf full; /* the 503 answer to a connection over --max-connections */
	pthread_mutex_t wmu;
	/* Under wmu: */
	struct watch *watched;
	long nconn; /* connections handed to libmicrohttpd and not yet closed */
};

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
		double left = deadline - ve_now(), w = isfinite(left) ? left : 0;
		struct timespec ts = {(time_t)w, (long)((w - (double)(time_t)w) * 1e9)};
		if (left <= 0)
			return true;
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

/* Counts v in histogram h (s->mu held). */
static void
observe(struct sim *s, int h, double v)
{
	const double *le = hists[h].le;
	struct hist *x = &s->hist[h];
	int i = 0;

	while (v > le[i])
		i++;
	x->counts[i]++;
	x->sum += v;
	x->count++;
}

/* Admits waiters in arrival order while the batch has room (s->mu held). */
static void
admit(struct sim *s)
{
	while (s->running < s->o->max_num_seqs && s->qhead) {
		struct waiter *w = s->qhead;
		s->qhead = w->next;
		if (!s->qhead)
			s->qtail = &s->qhead;
		w->admitted = true;
		s->running++;
		pthread_cond_broadcast(&s->cv);
	}
}

/*
 * Takes a place in the running batch, waiting in line for one. False when
 * the client hangs up or the server stops first.
 */
static bool
slot_acquire(struct sim *s, int fd)
{
	struct waiter w = {NULL, false};

	pthread_mutex_lock(&s->mu);
	*s->qtail = &w;
	s->qtail = &w.next;
	s->waiting++;
	admit(s);
	while (!w.admitted) {
		/* Looks for a client gone every 0.1 s (the clock is ve_now's, CLOCK_MONOTONIC). */
		double t = ve_now() + 0.1;
		struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (!w.admitted && gone(s, fd)) {
			struct waiter **pp = &s->qhead;
			while (*pp != &w)
				pp = &(*pp)->next;
			*pp = w.next;
			if (!w.next)
				s->qtail = pp;
			break;
		}
	}
	s->waiting--;
	pthread_mutex_unlock(&s->mu);
	return w.admitted;
}

/* Where a request is on its way through the batch. */
struct timeline {
	double arrival, last;
	bool running, ended;
	size_t held; /* tokens it holds in the KV cache */
	uint64_t rng;
};

/* Counts the tokens of decoding step k (s->mu held). */
static void
tl_tokens(struct sim *s, const struct ve_simplan *p, struct timeline *tl, size_t k)
{
	for (int i = 0; i < p->nc; i++)
		if (k < p->c[i].ngt) {
			s->gen_tokens++;
			s->kv_used++;
			tl->held++;
		}
}

/*
 * Starts a request: a stalled one waits until the client or the server
 * gives up; the others wait for a place in the batch and for the prefill
 * (recording the queue time and the TTFT), then make the first token.
 * False when the request ends there: a stall, a drop before the first
 * token, a client gone.
 */
static bool
tl_start(struct sim *s, const struct ve_simplan *p, struct timeline *tl, int fd)
{
	const struct opts *o = s->o;
	bool cut = p->fault == VE_SIM_FAULT_DROP && p->drop_at == 0;

	if (p->fault == VE_SIM_FAULT_STALL) {
		sleep_until(s, fd, INFINITY);
		return false;
	}
	if (!slot_acquire(s, fd))
		return false;
	tl->running = true;
	tl->rng = p->rng;
	double admitted = ve_now();
	double first =
	    admitted + (o->ttft_ms + (double)p->prompt_tokens * 1000.0 / o->prefill_tps) / 1000.0;
	pthread_mutex_lock(&s->mu);
	observe(s, H_QUEUE, admitted - tl->arrival);
	tl->held = p->prompt_tokens;
	s->kv_used += tl->held;
	pthread_mutex_unlock(&s->mu);
	if (!sleep_until(s, fd, first))
		return false;
	tl->last = ve_now();
	pthread_mutex_lock(&s->mu);
	s->prompt_tokens += p->prompt_tokens;
	observe(s, H_TTFT, tl->last - tl->arrival);
	if (!cut)
		tl_tokens(s, p, tl, 0);
	pthread_mutex_unlock(&s->mu);
	return !cut;
}

/*
 * Decodes steps [from, to), each after one inter-token latency: --itl-ms,
 * longer as the batch fills (--load-factor), spread by --jitter. Records
 * each. False when a drop cuts the request or the client or the server
 * gives up.
 */
static bool
tl_steps(struct sim *s, const struct ve_simplan *p, struct timeline *tl, int fd, size_t from,
         size_t to)
{
	const struct opts *o = s->o;

	for (size_t k = from; k < to; k++) {
		if (p->fault == VE_SIM_FAULT_DROP && k >= p->drop_at)
			return false;
		pthread_mutex_lock(&s->mu);
		double load = (double)s->running / (double)o->max_num_seqs;
		pthread_mutex_unlock(&s->mu);
		tl->rng = ve_splitmix64(tl->rng);
		double itl = o->itl_ms * (1.0 + o->load_factor * load) *
		             (1.0 + o->jitter * (2.0 * ve_sim_u01(tl->rng) - 1.0)) / 1000.0;
		if (!sleep_until(s, fd, tl->last + itl))
			return false;
		double now = ve_now();
		pthread_mutex_lock(&s->mu);
		observe(s, H_ITL, now - tl->last);
		tl_tokens(s, p, tl, k);
		pthread_mutex_unlock(&s->mu);
		tl->last = now;
	}
	return true;
}

/* Leaves the batch (also after a failure: ok false counts an abort). */
static void
tl_end(struct sim *s, const struct ve_simplan *p, struct timeline *tl, bool ok)
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
		observe(s, H_E2E, ve_now() - tl->arrival);
		for (int i = 0; i < p->nc; i++)
			s->fin[strcmp(p->c[i].finish, "stop") == 0 ? FIN_STOP : FIN_LENGTH]++;
	} else {
		s->fin[FIN_ABORT]++;
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
metric_hist(struct ve_buf *b, const struct sim *s, int h, const char *labels)
{
	const char *name = hists[h].name;
	const double *le = hists[h].le;
	const struct hist *x = &s->hist[h];
	unsigned long long cum = 0;

	metric_head(b, name, "histogram", hists[h].help);
	for (int i = 0;; i++) {
		cum += x->counts[i];
		if (isinf(le[i]))
			break;
		ve_buf_addf(b, "%s_bucket{%s,le=\"%g\"} %llu\n", name, labels, le[i], cum);
	}
	ve_buf_addf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, cum);
	ve_buf_addf(b, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, labels, x->sum, name, labels,
	            x->count);
}

/* The Prometheus text exposition, with vLLM's metric names. */
static void
metrics_text(struct sim *s, struct ve_buf *b)
{
	struct ve_buf lab = {0};

	ve_buf_adds(&lab, "engine=\"0\",model_name=\"");
	add_label(&lab, s->o->cfg.model);
	ve_buf_adds(&lab, "\"");
	pthread_mutex_lock(&s->mu);
	double kv = fmin(1, (double)s->kv_used / (double)s->o->kv_tokens);
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
	for (int i = 0; i < NFIN; i++)
		ve_buf_addf(b, "vllm:request_success_total{%s,finished_reason=\"%s\"} %llu\n",
		            lab.p, fin_reason[i], s->fin[i]);
	for (int h = 0; h < NHIST; h++)
		metric_hist(b, s, h, lab.p);
	pthread_mutex_unlock(&s->mu);
	ve_buf_free(&lab);
}

/* ---- HTTP ---- */

/* What MHD keeps per request: the body as it arrives. */
struct conn {
	struct ve_buf body;
	bool too_big;
	bool close; /* the response ends the connection */
	int status; /* of the response queued, for -v */
	double arrival;
};

/* A streaming response's state, owned by MHD's response. */
struct stream {
	struct sim *s;
	struct ve_simplan *p;
	int fd;
	struct timeline tl;
	size_t step; /* the next token to make */
	bool done;   /* [DONE] is written */
	struct ve_buf out;
	size_t pos;
};

/* With -v, logs the answer r to a request (MHD_NO: none went out); returns r. */
static enum MHD_Result
logreq(const struct sim *s, const char *method, const char *url, const struct conn *cn,
       enum MHD_Result r)
{
	if (s->o->cli.verbose && r == MHD_YES)
		ve_warn("%s %s %d", method, url, cn->status);
	else if (s->o->cli.verbose)
		ve_warn("%s %s closed without a response", method, url);
	return r;
}

/* Queues r (NULL: it could not be made) as the response, with its headers. */
static enum MHD_Result
respond(struct MHD_Connection *con, struct conn *cn, int status, const char *ctype,
        struct MHD_Response *r)
{
	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == 429 || status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (cn->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(con, (unsigned)status, r);
	MHD_destroy_response(r);
	cn->status = status;
	return ret;
}

/* Queues b (taken) as the response. */
static enum MHD_Result
send_buf(struct MHD_Connection *con, struct conn *cn, int status, const char *ctype,
         struct ve_buf *b)
{
	/* b->p is NULL for an empty body, which libmicrohttpd takes. */
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_FREE);

	*b = (struct ve_buf){0};
	return respond(con, cn, status, ctype, r);
}

/* Queues the static JSON text json as the response. */
static enum MHD_Result
send_json(struct MHD_Connection *con, struct conn *cn, int status, const char *json)
{
	return respond(
	    con, cn, status, "application/json",
	    MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT));
}

static enum MHD_Result
send_err(struct MHD_Connection *con, struct conn *cn, const struct ve_simerr *e)
{
	struct ve_buf b = {0};

	ve_simerr_body(e, &b);
	return send_buf(con, cn, e->status, "application/json", &b);
}

static int
conn_fd(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

/*
 * Writes a stream's next events into st->out as their times come: the
 * first token's, then --stream-interval tokens' (fewer where a drop cuts
 * the stream), after the last the usage and [DONE]. False when the stream
 * is cut.
 */
static bool
stream_next(struct stream *st)
{
	struct sim *s = st->s;
	struct ve_simplan *p = st->p;
	size_t to = st->step + (size_t)s->o->stream_interval;

	if (st->step == 0) {
		if (!tl_start(s, p, &st->tl, st->fd))
			return false;
		to = 1;
	} else {
		if (to > p->max_gen)
			to = p->max_gen;
		if (p->fault == VE_SIM_FAULT_DROP && to > p->drop_at)
			to = p->drop_at;
		/* Nothing left before the drop: the stream ends here. */
		if (to <= st->step || !tl_steps(s, p, &st->tl, st->fd, st->step, to))
			return false;
	}
	ve_simplan_events(p, st->step, to, &st->out);
	st->step = to;
	if (st->step >= p->max_gen) {
		tl_end(s, p, &st->tl, true);
		if (p->include_usage)
			ve_simplan_usage(p, &st->out);
		ve_buf_adds(&st->out, "data: [DONE]\n\n");
		st->done = true;
	}
	return true;
}

/* Hands MHD the stream's events, making the next ones when those written are out. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;

	(void)pos;
	if (st->pos == st->out.len) {
		if (st->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		ve_buf_reset(&st->out);
		st->pos = 0;
		if (!stream_next(st)) {
			tl_end(st->s, st->p, &st->tl, false);
			return MHD_CONTENT_READER_END_WITH_ERROR;
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
	ve_simplan_free(st->p);
	ve_buf_free(&st->out);
	free(st);
}

/* Serves a completions or chat request whose body is complete. */
static enum MHD_Result
inference(struct sim *s, struct MHD_Connection *con, struct conn *cn, int api)
{
	struct ve_simerr e = {0};
	struct ve_simplan *p = ve_simplan_build(&s->cfg, api, cn->body.p, cn->body.len, &e);

	if (!p)
		return send_err(con, cn, &e);
	pthread_mutex_lock(&s->mu);
	unsigned long long no = s->reqno++;
	pthread_mutex_unlock(&s->mu);
	ve_simplan_number(p, no);
	if (ve_simplan_fault(&s->cfg, p, no, &e)) {
		ve_simplan_free(p);
		return send_err(con, cn, &e);
	}
	int fd = conn_fd(con);
	if (p->stream) {
		struct stream *st = ve_xcalloc(1, sizeof *st);
		*st = (struct stream){.s = s, .p = p, .fd = fd, .tl.arrival = cn->arrival};
		struct MHD_Response *r = MHD_create_response_from_callback(
		    MHD_SIZE_UNKNOWN, 16384, stream_read, st, stream_free);
		if (!r)
			stream_free(st);
		return respond(con, cn, 200, "text/event-stream; charset=utf-8", r);
	}
	struct timeline tl = {.arrival = cn->arrival};
	struct ve_buf b = {0};
	bool ok = tl_start(s, p, &tl, fd) && tl_steps(s, p, &tl, fd, 1, p->max_gen);
	tl_end(s, p, &tl, ok);
	if (ok)
		ve_simplan_body(p, &b);
	ve_simplan_free(p);
	return ok ? send_buf(con, cn, 200, "application/json", &b) : MHD_NO;
}

/* POST /tokenize and /detokenize, answered by the request core. */
static enum MHD_Result
tokenizer(struct sim *s, struct MHD_Connection *con, struct conn *cn, bool detok)
{
	struct ve_simerr e = {0};
	struct ve_buf b = {0};
	bool ok = detok ? ve_simreq_detokenize(&s->cfg, cn->body.p, cn->body.len, &b, &e)
	                : ve_simreq_tokenize(&s->cfg, cn->body.p, cn->body.len, &b, &e);

	if (ok)
		return send_buf(con, cn, 200, "application/json", &b);
	ve_buf_free(&b);
	return send_err(con, cn, &e);
}

static enum MHD_Result
models(struct sim *s, struct MHD_Connection *con, struct conn *cn)
{
	struct ve_buf b = {0};
	const char *m = s->o->cfg.model;

	ve_buf_adds(&b, "{\"object\":\"list\",\"data\":[{\"id\":");
	ve_buf_add_json_str(&b, m, strlen(m));
	ve_buf_addf(&b, ",\"object\":\"model\",\"created\":%ld,\"owned_by\":\"vllm\",\"root\":",
	            s->created);
	ve_buf_add_json_str(&b, m, strlen(m));
	ve_buf_addf(
	    &b,
	    ",\"parent\":null,\"max_model_len\":%ld,\"permission\":[{\"id\":"
	    "\"modelperm-%016llx\",\"object\":\"model_permission\",\"created\":%ld,"
	    "\"allow_create_engine\":false,\"allow_sampling\":true,\"allow_logprobs\":true,"
	    "\"allow_search_indices\":false,\"allow_view\":true,\"allow_fine_tuning\":false,"
	    "\"organization\":\"*\",\"group\":null,\"is_blocking\":false}]}]}",
	    s->o->cfg.max_model_len, (unsigned long long)ve_sim_h3(s->o->cfg.seed, 0, 'm'),
	    s->created);
	return send_buf(con, cn, 200, "application/json", &b);
}

/* The answer to a body larger than --max-body, declared or found while it arrives. */
static void
too_large(const struct sim *s, struct ve_simerr *e)
{
	*e = (struct ve_simerr){413, "BadRequestError", "", NULL};
	snprintf(e->msg, sizeof e->msg, "The request body is larger than %ld bytes.",
	         s->o->max_body);
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
		struct ve_simerr e;
		too_large(s, &e);
		return send_err(con, cn, &e);
	}
	if (s->api_key && strncmp(url, "/v1/", 4) == 0 && !authorized(s, con))
		return send_json(con, cn, 401, "{\"error\":\"Unauthorized\"}");
	if (strcmp(url, "/v1/completions") == 0 && post)
		return inference(s, con, cn, VE_SIM_COMPLETIONS);
	if (strcmp(url, "/v1/chat/completions") == 0 && post)
		return inference(s, con, cn, VE_SIM_CHAT);
	if (strcmp(url, "/tokenize") == 0 && post)
		return tokenizer(s, con, cn, false);
	if (strcmp(url, "/detokenize") == 0 && post)
		return tokenizer(s, con, cn, true);
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
		            "\"eos_token\":\"" VE_TOK_EOS_TEXT "\",\"chat_template\":"
		            "\"{%% for m in messages %%}<|im_start|>{{ m.role }}\\n{{ m.content "
		            "}}<|im_end|>\\n{%% endfor %%}<|im_start|>assistant\\n\"}",
		            s->o->cfg.max_model_len, VE_TOK_EOS + 1);
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

/* Marks con's connection as answering a request, or, done, as waiting for the next from now. */
static void
watch_set(struct sim *s, struct MHD_Connection *con, bool answering)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct watch *w = ci ? ci->socket_context : NULL;

	if (!w)
		return;
	pthread_mutex_lock(&s->wmu);
	w->answering = answering;
	if (!answering)
		w->since = ve_now();
	pthread_mutex_unlock(&s->wmu);
}

/* The request's Host, Content-Length and Transfer-Encoding headers, counted. */
struct framing {
	int host, length, encoding;
	const char *length_value;
};

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		f->host++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->length++;
		f->length_value = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->encoding++;
	}
	return MHD_YES;
}

/*
 * What is wrong with a request's framing that libmicrohttpd lets through
 * (RFC 9112, sections 3.2 and 6.3): an HTTP/1.1 request without exactly one
 * Host, more than one Content-Length, Content-Length with Transfer-Encoding,
 * or a body declared larger than --max-body. False when nothing is.
 */
static bool
bad_framing(const struct sim *s, struct MHD_Connection *con, const char *version,
            struct ve_simerr *e)
{
	struct framing f = {0};
	long n;

	MHD_get_connection_values(con, MHD_HEADER_KIND, count_header, &f);
	*e = (struct ve_simerr){400, "BadRequestError", "", NULL};
	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && f.host != 1)
		snprintf(e->msg, sizeof e->msg, "Malformed HTTP request: %s Host header.",
		         f.host ? "more than one" : "no");
	else if (f.length > 1)
		snprintf(e->msg, sizeof e->msg,
		         "Malformed HTTP request: more than one Content-Length header.");
	else if (f.length && f.encoding)
		snprintf(e->msg, sizeof e->msg,
		         "Malformed HTTP request: both Content-Length and Transfer-Encoding.");
	else if (f.length &&
	         (!ve_parse_long(f.length_value, 0, LONG_MAX, &n) || n > s->o->max_body))
		too_large(s, e);
	else
		return false;
	return true;
}

/*
 * A new request, its headers in: one with bad framing is answered at once,
 * before its body, and its connection closed, since where the next request
 * would begin is not known.
 */
static enum MHD_Result
request_start(struct sim *s, struct MHD_Connection *con, const char *url, const char *method,
              const char *version, void **con_cls)
{
	struct conn *cn = ve_xcalloc(1, sizeof *cn);
	struct ve_simerr e;

	cn->arrival = ve_now();
	*con_cls = cn;
	if (!bad_framing(s, con, version, &e))
		return MHD_YES;
	cn->close = true;
	watch_set(s, con, true);
	return logreq(s, method, url, cn, send_err(con, cn, &e));
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *con, const char *url, const char *method,
        const char *version, const char *upload, size_t *upsize, void **con_cls)
{
	struct sim *s = cls;
	struct conn *cn = *con_cls;

	if (!cn)
		return request_start(s, con, url, method, version, con_cls);
	if (*upsize) {
		/* A chunked body has no declared size: past --max-body, the rest is dropped. */
		if (cn->body.len + *upsize > (size_t)s->o->max_body)
			cn->too_big = true;
		else
			ve_buf_add(&cn->body, upload, *upsize);
		*upsize = 0;
		return MHD_YES;
	}
	watch_set(s, con, true);
	return logreq(s, method, url, cn, route(s, con, cn, url, method));
}

static void
completed(void *cls, struct MHD_Connection *con, void **con_cls,
          enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)toe;
	watch_set(cls, con, false);
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

/* ---- connections: admission and the request deadline ---- */

/*
 * Watches each connection libmicrohttpd starts, and forgets it when it
 * closes. libmicrohttpd tells of the close before it closes the socket, so
 * a watched fd is always still this connection's.
 */
static void
notify_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                  enum MHD_ConnectionNotificationCode code)
{
	struct sim *s = cls;
	struct watch *w = *socket_context;

	pthread_mutex_lock(&s->wmu);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		w = ve_xcalloc(1, sizeof *w);
		w->fd = conn_fd(con);
		w->since = ve_now();
		w->next = s->watched;
		if (w->next)
			w->next->pprev = &w->next;
		s->watched = w;
		w->pprev = &s->watched;
		*socket_context = w;
	} else if (w) {
		*w->pprev = w->next;
		if (w->next)
			w->next->pprev = w->pprev;
		s->nconn--;
		free(w);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&s->wmu);
}

/*
 * Closes the connections that have not sent a whole request within
 * --request-timeout of opening or of their last answer: slow headers, slow
 * bodies, idle keep-alive. shutdown() wakes libmicrohttpd's thread, which
 * then closes the connection itself.
 */
static void
drop_late(struct sim *s)
{
	double now = ve_now();
	long n = 0;

	pthread_mutex_lock(&s->wmu);
	for (struct watch *w = s->watched; w; w = w->next)
		if (!w->answering && !w->dropped && now - w->since > s->o->request_timeout) {
			shutdown(w->fd, SHUT_RDWR);
			w->dropped = true;
			n++;
		}
	pthread_mutex_unlock(&s->wmu);
	if (n && s->o->cli.verbose)
		ve_warn("closed %ld connection%s without a whole request in %g s", n,
		        n == 1 ? "" : "s", s->o->request_timeout);
}

/* A refused connection, answered 503, read until its client closes or the linger ends. */
struct refused {
	int fd;
	double until;
};

/*
 * Answers a connection over --max-connections with 503 without reading its
 * request (HTTP allows an early answer), then lets it linger: closing a
 * socket with unread input resets it, and the client might lose the answer.
 */
static int
refuse(struct sim *s, int fd, struct refused *ref, int nref, long open)
{
	if (send(fd, s->full.p, s->full.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && !s->o->cli.quiet)
		ve_warn("a refused connection:");
	shutdown(fd, SHUT_WR);
	if (s->o->cli.verbose)
		ve_warn("new connection answered 503: %ld open (--max-connections)", open);
	if (nref == MAX_REFUSED) {
		close(fd);
		return nref;
	}
	ref[nref] = (struct refused){fd, ve_now() + LINGER_S};
	return nref + 1;
}

/* Reads what refused clients sent; closes those that closed or whose linger is over. */
static int
drain_refused(struct refused *ref, int nref, const struct pollfd *pf)
{
	char scratch[4096];
	double now = ve_now();
	int k = 0;

	for (int i = 0; i < nref; i++) {
		bool done = now > ref[i].until;
		if (!done && pf[i].revents) {
			ssize_t r;
			while ((r = recv(ref[i].fd, scratch, sizeof scratch, 0)) > 0)
				;
			done = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
		}
		if (done)
			close(ref[i].fd);
		else
			ref[k++] = ref[i];
	}
	return k;
}

/* Accepts what waits: to libmicrohttpd while there is room, refused with 503 past it. */
static int
accept_new(struct sim *s, struct refused *ref, int nref)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof sa;
		int fd =
		    accept4(s->lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of descriptors: leave the rest in the backlog a moment. */
			if (errno == EMFILE || errno == ENFILE)
				poll(NULL, 0, TICK_MS);
			break;
		}
		pthread_mutex_lock(&s->wmu);
		long open = s->nconn;
		bool room = open < s->o->max_connections;
		s->nconn += room;
		pthread_mutex_unlock(&s->wmu);
		if (!room) {
			nref = refuse(s, fd, ref, nref, open);
		} else if (MHD_add_connection(s->d, fd, (struct sockaddr *)&sa, salen) != MHD_YES) {
			pthread_mutex_lock(&s->wmu);
			s->nconn--;
			pthread_mutex_unlock(&s->wmu);
		}
	}
	return nref;
}

/*
 * The gatekeeper thread: accepts every connection itself, so that one over
 * --max-connections gets an answer (libmicrohttpd's own limit closes it
 * unanswered), and enforces the request deadline, which libmicrohttpd's
 * inactivity timeout cannot (a byte a second keeps a connection active).
 */
static void *
gatekeeper(void *cls)
{
	struct sim *s = cls;
	struct refused ref[MAX_REFUSED];
	struct pollfd pf[2 + MAX_REFUSED];
	int nref = 0;

	for (;;) {
		pf[0] = (struct pollfd){s->stopfd, POLLIN, 0};
		pf[1] = (struct pollfd){s->lfd, POLLIN, 0};
		for (int i = 0; i < nref; i++)
			pf[2 + i] = (struct pollfd){ref[i].fd, POLLIN, 0};
		if (poll(pf, (nfds_t)(2 + nref), TICK_MS) < 0 && errno != EINTR)
			ve_die(VE_EX_SOFTWARE, "poll:");
		if (pf[0].revents)
			break;
		nref = drain_refused(ref, nref, pf + 2);
		if (pf[1].revents & POLLIN)
			nref = accept_new(s, ref, nref);
		drop_late(s);
	}
	for (int i = 0; i < nref; i++)
		close(ref[i].fd);
	return NULL;
}

/* The 503 answer to a connection over --max-connections, written once. */
static void
full_answer(struct sim *s)
{
	struct ve_simerr e = {503, "ServiceUnavailableError", "", NULL};
	struct ve_buf body = {0};

	snprintf(e.msg, sizeof e.msg, "The server already holds %ld connections.",
	         s->o->max_connections);
	ve_simerr_body(&e, &body);
	ve_buf_addf(&s->full,
	            "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
	            "Content-Type: application/json\r\nRetry-After: 1\r\n"
	            "Content-Length: %zu\r\n\r\n%s",
	            body.len, body.p);
	ve_buf_free(&body);
}

/* ---- main ---- */

static void
usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [-qv] [--host HOST] [-p PORT] [--port-file FILE] [-m NAME]\n"
	    "                [--api-key-file FILE] [-s SEED] [--max-model-len N]\n"
	    "                [--ttft-ms MS] [--prefill-tps TPS] [--itl-ms MS] [--jitter F]\n"
	    "                [--load-factor F] [--max-num-seqs N] [--stream-interval N]\n"
	    "                [--output-len N] [--kv-cache-tokens N] [--fail-rate P]\n"
	    "                [--fail-codes LIST] [--drop-rate P] [--stall-rate P]\n"
	    "                [--answers FILE] [--accuracy P] [--churn F [--churn-seed S]]\n"
	    "                [--reasoning-tokens N [--reasoning-format parser|tags]\n"
	    "                [--reasoning-field NAME]]\n"
	    "                [--max-connections N] [--max-prompts N] [--max-body BYTES]\n"
	    "                [--request-timeout S]\n"
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
	    "      --answers FILE       answer key (JSONL: match, choices, gold, wrong)\n"
	    "      --accuracy P         share of key items answered right (default 1)\n"
	    "      --churn F            share of key items drawn from --churn-seed instead,\n"
	    "                           as a next release re-answers some (default 0)\n"
	    "      --churn-seed S       seed of those items and their answers (default 0)\n"
	    "      --reasoning-tokens N chat answers think N tokens first (default 0: no)\n"
	    "      --reasoning-format F parser: the thought in its own field, as vLLM's\n"
	    "                           --reasoning-parser; tags: in the content between\n"
	    "                           <think> and </think> (default parser)\n"
	    "      --reasoning-field NAME  reasoning (default, current vLLM) or\n"
	    "                           reasoning_content (older vLLM)\n"
	    "      --max-connections N  simultaneous connections (default 4096)\n"
	    "      --max-prompts N      prompts one completions request may hold (default 1024)\n"
	    "      --max-body BYTES     largest request body (default 16777216, 16 MiB)\n"
	    "      --request-timeout S  a whole request must arrive within S seconds of the\n"
	    "                           connection's start or last answer (default 30)\n",
	    ve_progname);
	ve_cli_help(f, 0, 27);
	fprintf(f,
	        "\n"
	        "With -v, requests are logged to stderr; -vv adds the HTTP library's messages.\n"
	        "Exit: 0 stopped by a signal, 64 usage, 65 bad answer key, 66 cannot open a file,\n"
	        "69 cannot listen, 73 cannot create the port file, 74 I/O error.\n"
	        "See vllm-sim(1).\n");
}

/*
 * --fail-codes: HTTP error statuses, comma-separated (empty items are
 * skipped), at most VE_SIM_MAX_FAIL_CODES.
 */
static void
parse_codes(struct opts *o, const char *arg)
{
	o->cfg.nfail_codes = 0;
	for (const char *t = arg + strspn(arg, ","); *t; t += strspn(t, ",")) {
		size_t n = strcspn(t, ",");
		char code[64];
		long v;
		snprintf(code, sizeof code, "%.*s", (int)n, t);
		if (n >= sizeof code || !ve_parse_long(code, 400, 599, &v))
			ve_usage_error("--fail-codes: '%s' is not an HTTP error status (400-599)",
			               code);
		if (o->cfg.nfail_codes == VE_SIM_MAX_FAIL_CODES)
			ve_usage_error("--fail-codes: at most %d statuses", VE_SIM_MAX_FAIL_CODES);
		o->cfg.fail_codes[o->cfg.nfail_codes++] = (int)v;
		t += n;
	}
	if (!o->cfg.nfail_codes)
		ve_usage_error("--fail-codes: no status given");
}

/*
 * One of the tool's own options: its name as messages give it, its short
 * letter, and the field its argument goes to, a string or a number in
 * [min, max] (def before any is given). --seed and --fail-codes have no
 * field: set_option reads them.
 */
struct optdef {
	const char *name;
	int letter;
	const char **str;
	long *num;
	double *real;
	double min, max, def; /* its range and default */
};

/* Sets the field of option d from its argument; each number through its checked parser. */
static void
set_option(struct opts *o, const struct optdef *d, const char *arg)
{
	if (d->str == &o->cfg.model && !*arg)
		ve_usage_error("--model: the name cannot be empty");
	if (d->str)
		*d->str = arg;
	else if (d->num)
		*d->num = ve_opt_long(d->name, arg, (long)d->min, (long)d->max);
	else if (d->real)
		*d->real = ve_opt_double(d->name, arg, d->min, d->max);
	else if (d->letter == 's')
		o->cfg.seed = (uint64_t)ve_opt_long("--seed", arg, 0, LONG_MAX);
	else
		parse_codes(o, arg);
}

/* --reasoning-format and --reasoning-field: the names vLLM's two ways of thinking use. */
static void
check_reasoning(struct opts *o)
{
	const char *f = o->reasoning_format ? o->reasoning_format : "parser";
	const char *r = o->cfg.reasoning_field ? o->cfg.reasoning_field : "reasoning";

	if (strcmp(f, "parser") != 0 && strcmp(f, "tags") != 0)
		ve_usage_error("--reasoning-format: expected parser or tags, got '%s'", f);
	if (strcmp(r, "reasoning") != 0 && strcmp(r, "reasoning_content") != 0)
		ve_usage_error(
		    "--reasoning-field: expected reasoning or reasoning_content, got '%s'", r);
	if ((o->reasoning_format || o->cfg.reasoning_field) && !o->cfg.reasoning_tokens)
		ve_usage_error("--reasoning-format and --reasoning-field need --reasoning-tokens");
	if (o->cfg.reasoning_field && strcmp(f, "tags") == 0)
		ve_usage_error(
		    "--reasoning-field needs --reasoning-format parser (tags have no field)");
	o->cfg.reasoning_tags = strcmp(f, "tags") == 0;
	o->cfg.reasoning_field = r;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	const struct optdef defs[] = {
	    {"--host", .str = &o->host},
	    {"--port", 'p', .num = &o->port, .max = 65535, .def = 8000},
	    {"--port-file", .str = &o->port_file},
	    {"--model", 'm', .str = &o->cfg.model},
	    {"--api-key-file", .str = &o->api_key_file},
	    {"--seed", .letter = 's'},
	    {"--max-model-len", .num = &o->cfg.max_model_len, .min = 1, .max = 100000000,
	     .def = 4096},
	    {"--ttft-ms", .real = &o->ttft_ms, .max = 3.6e6, .def = 20},
	    {"--prefill-tps", .real = &o->prefill_tps, .min = 1e-3, .max = 1e12, .def = 20000},
	    {"--itl-ms", .real = &o->itl_ms, .max = 3.6e6, .def = 10},
	    {"--jitter", .real = &o->jitter, .max = 1},
	    {"--load-factor", .real = &o->load_factor, .max = 1000, .def = 0.5},
	    {"--max-num-seqs", .num = &o->max_num_seqs, .min = 1, .max = 1000000, .def = 256},
	    {"--stream-interval", .num = &o->stream_interval, .min = 1, .max = 1000000, .def = 1},
	    {"--output-len", .num = &o->cfg.output_len, .min = 1, .max = 100000000, .def = 64},
	    {"--kv-cache-tokens", .num = &o->kv_tokens, .min = 1, .max = 1L << 40, .def = 262144},
	    {"--fail-rate", .real = &o->cfg.fail_rate, .max = 1},
	    {.name = "--fail-codes"},
	    {"--drop-rate", .real = &o->cfg.drop_rate, .max = 1},
	    {"--stall-rate", .real = &o->cfg.stall_rate, .max = 1},
	    {"--answers", .str = &o->answers},
	    {"--accuracy", .real = &o->cfg.accuracy, .max = 1, .def = 1},
	    {"--churn", .real = &o->cfg.churn, .max = 1},
	    {"--churn-seed", .num = &o->cfg.churn_seed, .max = 1e18},
	    {"--reasoning-tokens", .num = &o->cfg.reasoning_tokens, .max = 100000000},
	    {"--reasoning-format", .str = &o->reasoning_format},
	    {"--reasoning-field", .str = &o->cfg.reasoning_field},
	    {"--max-connections", .num = &o->max_connections, .min = 1, .max = 1000000,
	     .def = 4096},
	    {"--max-prompts", .num = &o->cfg.max_prompts, .min = 1, .max = 1000000, .def = 1024},
	    {"--max-body", .num = &o->max_body, .min = 1024, .max = 1L << 30, .def = 16 << 20},
	    {"--request-timeout", .real = &o->request_timeout, .min = 0.1, .max = 86400, .def = 30},
	};
	enum { NDEFS = sizeof defs / sizeof defs[0] };
	struct option longopts[NDEFS + 1] = {{NULL, 0, NULL, 0}};
	int c;

	for (int i = 0; i < NDEFS; i++) {
		longopts[i] = (struct option){defs[i].name + 2, required_argument, NULL,
		                              defs[i].letter ? defs[i].letter : 256 + i};
		if (defs[i].num)
			*defs[i].num = (long)defs[i].def;
		else if (defs[i].real)
			*defs[i].real = defs[i].def;
	}
	/* No record options: the answer key is a file it loads, not a record stream. */
	o->cli.flags = 0;
	while ((c = ve_getopt(argc, argv, "p:m:s:", longopts, &o->cli, usage)) != -1)
		for (int i = 0; i < NDEFS; i++)
			if (longopts[i].val == c)
				set_option(o, &defs[i], optarg);
	if (optind < argc)
		ve_usage_error("unexpected argument '%s'", argv[optind]);
	if (o->cfg.accuracy < 1 && !o->answers)
		ve_usage_error("--accuracy needs --answers (without a key, answers are at chance)");
	if (o->cfg.churn > 0 && !o->answers)
		ve_usage_error("--churn needs --answers (it redraws which key items are right)");
	check_reasoning(o);
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

/* The server's state before it listens: keys, the lock, the stop event. */
static void
sim_init(struct sim *s, const struct opts *o)
{
	pthread_condattr_t ca;

	s->o = o;
	s->api_key = read_api_key(o);
	if (o->answers)
		ve_simkey_load(&s->key, o->answers);
	s->cfg = o->cfg;
	s->cfg.key = &s->key;
	/* The reference way of the tests and the benchmark (vllm-sim(1), ENVIRONMENT). */
	const char *scan = getenv("VLLM_SIM_SCAN");
	s->cfg.jq_only = scan && strcmp(scan, "0") == 0;
	s->created = (long)time(NULL);
	s->qtail = &s->qhead;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->stopfd = eventfd(0, EFD_CLOEXEC);
	if (s->stopfd < 0)
		ve_die(VE_EX_SOFTWARE, "eventfd:");
	pthread_mutex_init(&s->wmu, NULL);
	full_answer(s);
	s->lfd = -1;
}

/*
 * Starts libmicrohttpd, one thread per connection (so a request can sleep
 * through its simulated latency without holding others), and the
 * gatekeeper that hands it the connections it accepts from s->lfd.
 * False after a message.
 */
static bool
start_serving(struct sim *s, pthread_t *gate)
{
	/* Above --max-connections: its count of closing connections lags the gatekeeper's. */
	unsigned limit = (unsigned)(2 * s->o->max_connections + 64);

	s->d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	        MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
	    0, NULL, NULL, handler, s, MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
	    completed, s, MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    /*
	     * A client that reads or sends nothing this long (an answer it does not
	     * read) gives its thread back; waits inside the handler (queueing,
	     * stalls) do not count. Slow requests are the gatekeeper's.
	     */
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_END);
	if (!s->d)
		ve_warn("cannot serve: libmicrohttpd failed to start");
	else if ((errno = pthread_create(gate, NULL, gatekeeper, s)) != 0)
		ve_warn("cannot serve: a thread:");
	else
		return true;
	return false;
}

/*
 * A socket listening on --host and --port (0: a free one), its port in
 * *port. The gatekeeper accepts from it only once the URL, the port file
 * and -v's "listening" line are out: a client that connects before waits
 * in the backlog, so nothing is served or logged ahead of them. Set up as
 * libmicrohttpd sets up its own: SO_REUSEADDR, IPv6 only on an IPv6
 * address; non-blocking, for the gatekeeper's accept loop. -1 after a
 * message.
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
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
	int rc = fflush(stdout) != 0 ? VE_EX_IOERR : 0;

	if (pf && !rc)
		fprintf(pf, "%u\n", port);
	if (pf && ve_fclose_checked(pf, o->port_file))
		rc = VE_EX_IOERR;
	if (!rc && o->cli.verbose)
		ve_warn("listening on %s port %u, model %s, seed %llu", o->host, port, o->cfg.model,
		        (unsigned long long)o->cfg.seed);
	return rc;
}

/*
 * Ends waits in progress (a stall, a queue) and the gatekeeper (gate, when
 * started), stops the daemon and frees the state.
 */
static void
sim_stop(struct sim *s, const pthread_t *gate)
{
	uint64_t one = 1;

	if (write(s->stopfd, &one, sizeof one) < 0 && !s->o->cli.quiet)
		ve_warn("eventfd:");
	if (gate)
		pthread_join(*gate, NULL);
	if (s->d)
		MHD_stop_daemon(s->d);
	if (s->lfd >= 0)
		close(s->lfd);
	close(s->stopfd);
	pthread_mutex_destroy(&s->wmu);
	ve_buf_free(&s->full);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
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
	/* The numbers' defaults are parse_args'. */
	struct opts o = {
	    .host = "127.0.0.1",
	    .cfg = {.model = "sim-model", .fail_codes = {429, 500, 503}, .nfail_codes = 3},
	};
	struct sim s = {0};
	pthread_t gate;
	bool started = false;
	FILE *pf = NULL;
	sigset_t sigs;
	bool ipv6 = false;
	unsigned port = 0;
	int rc, sig;

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
	raise_nofile(o.max_connections + MAX_REFUSED);
	/* Every thread MHD starts inherits the blocked signals; main takes them with sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	s.lfd = open_listener(&o, &ipv6, &port);
	rc = s.lfd < 0 ? VE_EX_UNAVAILABLE : announce(&o, ipv6, port, pf);
	if (s.lfd < 0 && pf)
		fclose(pf);
	if (!rc && !(started = start_serving(&s, &gate)))
		rc = VE_EX_UNAVAILABLE;
	/* Serves until SIGTERM, SIGINT or SIGHUP, taken from sigs (blocked in every thread). */
	if (!rc && sigwait(&sigs, &sig) == 0 && o.cli.verbose)
		ve_warn("stopping (%s)", strsignal(sig));
	sim_stop(&s, started ? &gate : NULL);
	return ve_out_finish(rc);
}
