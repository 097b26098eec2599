/*
 * HTTP over libcurl: the one client layer of every network tool (llm-query,
 * ds-synth, ds-fetch, ch-insert, ch-query, teams-card), as vllm-eval(7) NETWORK
 * describes it to users. What is decided here, once for all of them:
 *
 * - what is retried (ve_http_retryable, after curl's retrycheck()): no
 *   connection, a timeout, a transfer cut short, HTTP 408, 429 and 5xx;
 *   never another status, a URL that is not http:// or https://, or a TLS
 *   certificate that does not verify. A tool may only narrow this
 *   (struct ve_retry's narrow hook: ClickHouse's error codes);
 * - how long to wait before a retry (ve_backoff): exponential with full
 *   jitter, never shorter than the server's Retry-After, never longer than
 *   the policy's cap (VE_BACKOFF_CAP unless the tool lowers it);
 * - that only http and https are spoken, redirects included;
 * - that no secret reaches a message: ve_scrub replaces the API key, a
 *   password, a URL's credentials and tokens with "***" in any message
 *   built from a request or an answer, and ve_url_redact prints URLs.
 *
 * Blocking requests (ClickHouse, the webhook, /v1/models, /tokenize) go
 * through ve_http_send, which retries. llm-query's bulk traffic runs on
 * its own curl multi handle, set up by ve_http_setup and retried by the
 * same ve_http_retryable and ve_backoff.
 *
 * Ownership: a struct ve_http owns its curl handle, headers and secrets
 * (ve_http_free releases them, overwriting secrets first); every function
 * copies the strings it is given. A struct ve_http_resp owns its body.
 * Returned char * are allocated and the caller frees them.
 */
#ifndef VE_HTTP_H
#define VE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>
#include <jv.h>

#include "buf.h"
#include "cli.h"
#include "rng.h"

/* The longest wait before a retry, Retry-After included, unless a tool says less. */
#define VE_BACKOFF_CAP 60.0

/* --- URLs --- */

enum ve_api {
	VE_API_NONE, /* the URL names the server, not an API */
	VE_API_COMPLETIONS,
	VE_API_CHAT,
};

/* True when url is http:// or https:// (any case) with a host. */
bool ve_url_is_http(const char *url);
/*
 * Splits url into the server root (no trailing '/', no "/v1") and the API
 * its path names. Returns false if it is not an http:// or https:// URL.
 * *root is allocated.
 */
bool ve_endpoint_parse(const char *url, char **root, enum ve_api *api);
/* The URL with any user:password@ and query string replaced by "***" (allocated). */
char *ve_url_redact(const char *url);
/*
 * Unless url is http:// or https://, a usage error (exit 64, never a
 * retry): "WHAT: expected an http:// or https:// URL", followed by
 * ", got 'URL'" (redacted) when show is set.
 */
void ve_http_need_url(const char *what, const char *url, bool show);

/* --- secrets --- */

/* Strings that never appear in a message; each is a copy, overwritten when freed. */
struct ve_secrets {
	char **v; /* longest first, so a secret inside another is not half-replaced */
	size_t n;
};

/* Adds a copy of secret (an empty one is ignored). */
void ve_secrets_add(struct ve_secrets *s, const char *secret);
/*
 * Adds what a URL carries that is secret: the password of user:password@
 * (as written, decoded, and as the Basic credentials curl sends), the query
 * string, the values of query parameters named like a secret (key, token,
 * sig, pass, secret, auth, credential, code), and path segments of 16
 * characters or more (the tokens of webhook URLs). Pieces shorter than 4
 * characters are left out: replacing them would garble every message.
 */
void ve_secrets_add_url(struct ve_secrets *s, const char *url);
void ve_secrets_free(struct ve_secrets *s);
/* Appends msg[0..len) to out with every secret of s (may be NULL) replaced by "***". */
void ve_scrub(const struct ve_secrets *s, const char *msg, size_t len, struct ve_buf *out);

/* --- retries --- */

struct ve_retry {
	int retries; /* retries after the first try, as curl's --retry */
	double base; /* seconds: the backoff's first ceiling (--backoff) */
	double cap;  /* seconds: the longest wait, Retry-After included */
	/*
	 * NULL, or a tool's refinement: called only for an HTTP answer that
	 * ve_http_retryable would retry, it may say no (ClickHouse retries a
	 * 5xx only for its temporary error codes). It cannot add a retry.
	 */
	bool (*narrow)(long status, const struct ve_buf *body);
};

/*
 * The one decision of what is retried. code is the transfer's result,
 * status the HTTP status (0: none), body the answer (may be NULL), cut true
 * when a tool found the answer cut short (a stream without its end, a 200
 * whose body does not parse). rt may be NULL (no refinement).
 */
bool ve_http_retryable(const struct ve_retry *rt, CURLcode code, long status,
                       const struct ve_buf *body, bool cut);
/*
 * Seconds to wait before retry number n (1 for the first): uniform on
 * [0, min(cap, base * 2^(n-1))] (full jitter), raised to retry_after (the
 * server's Retry-After in seconds, or a negative number) but never above
 * the cap. Draws one number from rng.
 */
double ve_backoff(const struct ve_retry *rt, int n, double retry_after, struct ve_rng *rng);
/*
 * The seconds a response header line p[0..n) asks to wait when it is
 * "Retry-After:": delay-seconds of any length (a value too long for curl's
 * own reading is a long wait, never none) or an HTTP date (0 once past);
 * -1 for any other line or a value that is neither.
 */
double ve_http_retry_after(const char *p, size_t n);
/*
 * A CURLOPT_HEADERFUNCTION that keeps the Retry-After of the answer in
 * *(double *)ctx (left alone when the answer has none).
 */
size_t ve_http_on_header(char *p, size_t size, size_t n, void *ctx);
/* Sleeps for s seconds (fractions allowed; nothing when s <= 0). */
void ve_sleep(double s);

/* --- the client --- */

/* The most bytes an answer may have unless a tool sets its own (--max-body). */
#define VE_MAX_BODY_DEFAULT ((size_t)64 << 20)

struct ve_http {
	struct ve_retry retry; /* no retries, base 1, cap VE_BACKOFF_CAP until set */
	size_t max_body;       /* bytes an answer (or one streamed event) may have; 0: default */
	double timeout;        /* seconds per try; 0: none */
	bool insecure;         /* do not verify TLS */
	int verbose;           /* > 0: say each retry on stderr */
	const char *what;      /* the service in those messages: "ClickHouse" */
	struct ve_secrets secrets;  /* scrubbed from every message built here */
	struct curl_slist *headers; /* sent with every request */
	struct ve_rng rng;          /* the jitter; seeded from the clock and pid, reseed at will */
	CURL *curl;                 /* reused, so the connection is kept */
};

/* An empty client; calls curl_global_init (ve_http_free balances it). */
void ve_http_init(struct ve_http *h);
void ve_http_free(struct ve_http *h);
/* The retry policy, limits and verbosity of the tool's options (VE_CLI_NETWORK). */
void ve_http_configure(struct ve_http *h, const struct ve_cli *cli);
/* Sends "name: value" with every request; a secret value is also added to h->secrets. */
void ve_http_add_header(struct ve_http *h, const char *name, const char *value, bool secret);
/* The headers of an OpenAI-compatible server: JSON, and the Bearer key when key is set. */
void ve_http_api_headers(struct ve_http *h, const char *key);
/*
 * The settings every transfer shares, for a handle of the caller's multi
 * loop: h's headers, timeouts, TLS verification, http and https only
 * (redirects too), no signals.
 */
void ve_http_setup(CURL *e, const struct ve_http *h);
/* h->max_body, or the default when unset: for a multi loop's own write callbacks. */
size_t ve_http_max_body(const struct ve_http *h);

struct ve_http_req {
	const char *url;
	const char *const *headers; /* more "Name: value" lines, NULL-terminated; may be NULL */
	const void *body;           /* POSTed when set; NULL: a GET */
	size_t len;
	double timeout; /* seconds per try for this request; 0: h->timeout */
};

struct ve_http_resp {
	long status;                 /* the last answer's status; 0 when no answer came */
	CURLcode code;               /* the last try's result */
	struct ve_buf body;          /* the last answer's body; never NULL after a send */
	char error[CURL_ERROR_SIZE]; /* why no answer came (curl's reason, no URL) */
	int attempts;                /* tries made */
	double retry_after;          /* seconds the last answer asked for, or -1 */
};

/*
 * Sends req, retrying as h->retry says (saying each retry when h->verbose);
 * fills r (zeroed by the caller before its first use; reset here). Returns 0 when the last try got
 * an HTTP answer (r->status, any status), -1 when it got none (r->error).
 */
int ve_http_send(struct ve_http *h, const struct ve_http_req *req, struct ve_http_resp *r);
void ve_http_resp_free(struct ve_http_resp *r);

/* --- OpenAI-compatible servers --- */

/*
 * The API key: the first line of file when given, else OPENAI_API_KEY, else
 * VLLM_API_KEY, else NULL. Returns false (after a message) if file cannot be read.
 */
bool ve_http_api_key(const char *file, char **key);
/*
 * ve_http_api_headers with the key of ve_http_api_key(file), which only the
 * client then keeps (among its secrets; the copy read is overwritten and
 * freed). False, after a message, when file cannot be read.
 */
bool ve_http_api_auth(struct ve_http *h, const char *file);
/*
 * POSTs {"model":MODEL,"prompt":TEXT,"add_special_tokens":false} to ROOT/tokenize
 * and returns the "tokens" array, or an invalid jv with a scrubbed message
 * ("404 ..." when the server has no /tokenize). timeout as in ve_http_req.
 */
jv ve_http_tokenize(struct ve_http *h, const char *root, const char *model, const char *text,
                    size_t len, double timeout);
/* GETs ROOT/v1/models and returns data[0].id, or an invalid jv with a scrubbed message. */
jv ve_http_first_model(struct ve_http *h, const char *root, double timeout);
/* The "error.message" (or "message", or the start of the text) of an error body. */
void ve_http_error_text(const char *body, size_t len, struct ve_buf *out);

#endif
