#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "diag.h"
#include "http.h"
#include "json.h"
#include "num.h"

/* --- URLs --- */

bool
ve_url_is_http(const char *url)
{
	size_t n;

	if (strncasecmp(url, "http://", 7) == 0)
		n = 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		n = 8;
	else
		return false;
	return url[n] != '\0' && !strchr("/?#", url[n]);
}

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

bool
ve_endpoint_parse(const char *url, char **root, enum ve_api *api)
{
	size_t n = strlen(url);
	const char *q = strpbrk(url, "?#");

	*root = NULL;
	*api = VE_API_NONE;
	if (!ve_url_is_http(url))
		return false;
	if (q)
		n = (size_t)(q - url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (ends_with(url, n, "/v1/chat/completions")) {
		*api = VE_API_CHAT;
		n -= strlen("/v1/chat/completions");
	} else if (ends_with(url, n, "/v1/completions")) {
		*api = VE_API_COMPLETIONS;
		n -= strlen("/v1/completions");
	} else if (ends_with(url, n, "/v1")) {
		n -= 3;
	}
	const char *host = strstr(url, "://") + 3;
	if ((size_t)(host - url) >= n)
		return false;
	*root = ve_xmalloc(n + 1);
	memcpy(*root, url, n);
	(*root)[n] = '\0';
	return true;
}

char *
ve_url_redact(const char *url)
{
	struct ve_buf b = {0};
	const char *host = strstr(url, "://");
	const char *p = url;

	if (host) {
		host += 3;
		const char *slash = host + strcspn(host, "/?#");
		const char *at = memchr(host, '@', (size_t)(slash - host));
		ve_buf_add(&b, url, (size_t)(host - url));
		if (at) {
			ve_buf_adds(&b, "***@");
			host = at + 1;
		}
		p = host;
	}
	size_t n = strcspn(p, "?");
	ve_buf_add(&b, p, n);
	if (p[n] == '?')
		ve_buf_adds(&b, "?***");
	if (!b.p)
		ve_buf_adds(&b, "");
	return b.p;
}

void
ve_http_need_url(const char *what, const char *url, bool show)
{
	char line[1024];

	if (ve_url_is_http(url))
		return;
	if (show) {
		char *u = ve_url_redact(url);
		snprintf(line, sizeof line, ", got '%s'", u);
		free(u);
	} else {
		line[0] = '\0';
	}
	ve_usage_error("%s: expected an http:// or https:// URL%s", what, line);
}

/* --- secrets --- */

void
ve_secrets_add(struct ve_secrets *s, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0, i;

	if (!n)
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], secret) == 0)
			return;
	s->v = ve_xrealloc(s->v, sizeof *s->v * (s->n + 1));
	/* Longest first: the scrubber tries them in order. */
	for (i = s->n; i > 0 && strlen(s->v[i - 1]) < n; i--)
		s->v[i] = s->v[i - 1];
	s->v[i] = ve_xstrdup(secret);
	s->n++;
}

/*
 * Adds p[0..n) as written and percent-decoded, as a server may echo either.
 * A piece shorter than 4 bytes is no token, and replacing it would garble
 * every message.
 */
static void
add_piece(struct ve_secrets *s, const char *p, size_t n)
{
	char *raw;
	int dn = 0;

	if (n < 4)
		return;
	raw = ve_xmalloc(n + 1);
	memcpy(raw, p, n);
	raw[n] = '\0';
	ve_secrets_add(s, raw);
	char *dec = curl_easy_unescape(NULL, raw, (int)n, &dn);
	if (dec) {
		ve_secrets_add(s, dec);
		memset(dec, 0, (size_t)dn);
		curl_free(dec);
	}
	memset(raw, 0, n);
	free(raw);
}

/* user:password@: the password, and "Basic " credentials as curl builds them. */
static void
add_userinfo(struct ve_secrets *s, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	int un = 0, pn = 0;

	if (!colon)
		return;
	add_piece(s, colon + 1, (size_t)(p + n - colon - 1));
	char *user = curl_easy_unescape(NULL, p, (int)(colon - p), &un);
	char *pass = curl_easy_unescape(NULL, colon + 1, (int)(p + n - colon - 1), &pn);
	if (user && pass) {
		struct ve_buf plain = {0};
		ve_buf_addf(&plain, "%s:%s", user, pass);
		unsigned char *b64 = ve_xmalloc(4 * (plain.len / 3 + 1) + 1);
		EVP_EncodeBlock(b64, (const unsigned char *)plain.p, (int)plain.len);
		ve_secrets_add(s, (const char *)b64);
		memset(plain.p, 0, plain.len);
		memset(b64, 0, strlen((char *)b64));
		ve_buf_free(&plain);
		free(b64);
	}
	if (pass)
		memset(pass, 0, (size_t)pn);
	curl_free(user);
	curl_free(pass);
}

/* A query parameter named like a secret (sig=, api_key=, X-Amz-Credential=). */
static bool
secret_name(const char *p, size_t n)
{
	static const char *const names[] = {"key",    "token", "sig",        "pass",
	                                    "secret", "auth",  "credential", "code"};
	char name[64];

	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, p, n);
	name[n] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcasestr(name, names[i]))
			return true;
	return false;
}

static void
add_query(struct ve_secrets *s, const char *q, size_t n)
{
	if (!n)
		return;
	add_piece(s, q, n);
	for (const char *p = q, *end = q + n; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq && secret_name(p, (size_t)(eq - p)))
			add_piece(s, eq + 1, (size_t)(stop - eq - 1));
		p = stop + 1;
	}
}

void
ve_secrets_add_url(struct ve_secrets *s, const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return;
	p += 3;
	size_t alen = strcspn(p, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (p[i] == '@')
			at = p + i;
	if (at)
		add_userinfo(s, p, (size_t)(at - p));
	p += alen;
	while (*p == '/') {
		size_t seg = strcspn(p + 1, "/?#");
		if (seg >= 16)
			add_piece(s, p + 1, seg);
		p += 1 + seg;
	}
	if (*p == '?')
		add_query(s, p + 1, strcspn(p + 1, "#"));
}

void
ve_secrets_free(struct ve_secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		memset(s->v[i], 0, strlen(s->v[i]));
		free(s->v[i]);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void
ve_scrub(const struct ve_secrets *s, const char *msg, size_t len, struct ve_buf *out)
{
	size_t i = 0, from = 0;

	while (s && i < len) {
		size_t k, n = 0;
		for (k = 0; k < s->n; k++) {
			n = strlen(s->v[k]);
			if (n <= len - i && memcmp(msg + i, s->v[k], n) == 0)
				break;
		}
		if (k == s->n) {
			i++;
			continue;
		}
		ve_buf_add(out, msg + from, i - from);
		ve_buf_adds(out, "***");
		i += n;
		from = i;
	}
	ve_buf_add(out, msg + from, len - from);
}

/* --- retries --- */

/* Failures of the connection or the transfer that a later try may not meet. */
static bool
transient(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_QUIC_CONNECT_ERROR: return true;
	default: return false;
	}
}

bool
ve_http_retryable(const struct ve_retry *rt, CURLcode code, long status, const struct ve_buf *body,
                  bool cut)
{
	if (code != CURLE_OK)
		return transient(code);
	if (cut)
		return true;
	if (status != 408 && status != 429 && !(status >= 500 && status <= 599))
		return false;
	return !rt || !rt->narrow || rt->narrow(status, body);
}

double
ve_backoff(const struct ve_retry *rt, int n, double retry_after, struct ve_rng *rng)
{
	double ceiling = rt->base * pow(2, n > 1 ? n - 1 : 0);

	if (ceiling > rt->cap)
		ceiling = rt->cap;
	double d = ceiling * ve_rng_unit(rng);
	double ra = retry_after > rt->cap ? rt->cap : retry_after;
	return ra > d ? ra : d;
}

double
ve_http_retry_after(const char *p, size_t n)
{
	static const char name[] = "retry-after:";
	const size_t k = sizeof name - 1;
	const char *end = p + n;
	char date[128];

	if (n < k || strncasecmp(p, name, k) != 0)
		return -1;
	for (p += k; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end)
		return -1;
	size_t digits = 0;
	while (p + digits < end && isdigit((unsigned char)p[digits]))
		digits++;
	if (p + digits == end) {
		/* Summed as a double: 10^30 stays a long wait where curl reads 0. */
		double s = 0;
		for (; p < end; p++)
			s = s * 10 + (*p - '0');
		return s;
	}
	if ((size_t)(end - p) >= sizeof date)
		return -1;
	memcpy(date, p, (size_t)(end - p));
	date[end - p] = '\0';
	time_t t = curl_getdate(date, NULL);
	if (t == (time_t)-1)
		return -1;
	double s = difftime(t, time(NULL));
	return s > 0 ? s : 0;
}

size_t
ve_http_on_header(char *p, size_t size, size_t n, void *ctx)
{
	double s = ve_http_retry_after(p, size * n);

	if (s >= 0)
		*(double *)ctx = s;
	return size * n;
}

void
ve_sleep(double s)
{
	struct timespec ts;

	if (!(s > 0))
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* --- the client --- */

void
ve_http_init(struct ve_http *h)
{
	struct timespec ts;

	memset(h, 0, sizeof *h);
	h->retry.base = 1;
	h->retry.cap = VE_BACKOFF_CAP;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ve_die(VE_EX_SOFTWARE, "cannot start libcurl");
	/* Clients that start together must not retry together. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ve_rng_seed(&h->rng, ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
	                         ((uint64_t)getpid() << 32));
	h->curl = curl_easy_init();
	if (!h->curl)
		ve_die(VE_EX_SOFTWARE, "cannot start libcurl");
}

/* Frees a header list after overwriting it: a line may hold a password. */
static void
free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		memset(p->data, 0, strlen(p->data));
	curl_slist_free_all(l);
}

void
ve_http_configure(struct ve_http *h, const struct ve_cli *cli)
{
	const struct ve_cli_net *n = &cli->net;

	h->retry.retries = (int)n->retries;
	h->retry.base = n->backoff;
	/* Unset, a wait never outlasts a try: Retry-After is honoured up to --timeout. */
	h->retry.cap = n->max_wait >= 0              ? n->max_wait
	               : n->timeout < VE_BACKOFF_CAP ? n->timeout
	                                             : VE_BACKOFF_CAP;
	h->timeout = n->timeout;
	h->max_body = n->max_body;
	h->insecure = n->insecure;
	h->verbose = cli->verbose;
}

void
ve_http_free(struct ve_http *h)
{
	free_headers(h->headers);
	h->headers = NULL;
	ve_secrets_free(&h->secrets);
	if (h->curl) {
		curl_easy_cleanup(h->curl);
		h->curl = NULL;
		curl_global_cleanup();
	}
}

static void
append_header(struct ve_http *h, const char *line)
{
	struct curl_slist *l = curl_slist_append(h->headers, line);

	if (!l)
		ve_die(VE_EX_SOFTWARE, "out of memory");
	h->headers = l;
}

void
ve_http_add_header(struct ve_http *h, const char *name, const char *value, bool secret)
{
	struct ve_buf b = {0};

	ve_buf_addf(&b, "%s: %s", name, value);
	append_header(h, b.p);
	if (secret)
		ve_secrets_add(&h->secrets, value);
	memset(b.p, 0, b.len);
	ve_buf_free(&b);
}

void
ve_http_api_headers(struct ve_http *h, const char *key)
{
	append_header(h, "Content-Type: application/json");
	if (key && *key) {
		struct ve_buf b = {0};
		ve_buf_addf(&b, "Bearer %s", key);
		ve_http_add_header(h, "Authorization", b.p, false);
		ve_secrets_add(&h->secrets, key);
		memset(b.p, 0, b.len);
		ve_buf_free(&b);
	}
}

/* A whole transfer within timeout_s (0: no limit); a connection within 10 s at most. */
static void
set_timeouts(CURL *e, double timeout_s)
{
	long ms = timeout_s > 0 && timeout_s * 1000 < 1 ? 1 : (long)(timeout_s * 1000);

	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_s > 0 ? ms : 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_s > 0 && ms < 10000 ? ms : 10000L);
}

void
ve_http_setup(CURL *e, const struct ve_http *h)
{
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	set_timeouts(e, h->timeout);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vllm-eval/" VE_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (h->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

size_t
ve_http_max_body(const struct ve_http *h)
{
	return h->max_body ? h->max_body : VE_MAX_BODY_DEFAULT;
}

/* An answer's body, up to a limit: an endless one must not take all memory. */
struct collected {
	struct ve_buf *body;
	size_t max;
	bool over;
};

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
	struct collected *c = ctx;

	if (c->body->len + size * n > c->max) {
		c->over = true;
		return 0; /* curl stops the transfer: CURLE_WRITE_ERROR */
	}
	ve_buf_add(c->body, p, size * n);
	return size * n;
}

/* One try of req; 0 when an HTTP answer came whole, else -1 with r->error. */
static int
send_once(struct ve_http *h, const struct ve_http_req *req, struct ve_http_resp *r)
{
	CURL *c = h->curl;
	struct curl_slist *hl = NULL;

	curl_easy_reset(c);
	ve_http_setup(c, h);
	for (const struct curl_slist *p = h->headers; p; p = p->next)
		hl = curl_slist_append(hl, p->data);
	for (const char *const *p = req->headers; p && *p; p++)
		hl = curl_slist_append(hl, *p);
	/* No "Expect: 100-continue" round trip before a large body. */
	hl = curl_slist_append(hl, "Expect:");
	if (!hl)
		ve_die(VE_EX_SOFTWARE, "out of memory");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (req->timeout > 0)
		set_timeouts(c, req->timeout);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	}
	struct collected got = {&r->body, ve_http_max_body(h), false};
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ve_http_on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->retry_after);
	ve_buf_reset(&r->body);
	r->status = 0;
	r->retry_after = -1;
	r->error[0] = '\0';
	r->code = curl_easy_perform(c);
	free_headers(hl);
	if (!r->body.p)
		ve_buf_adds(&r->body, "");
	if (got.over) {
		/* Not retried: the same server would send the same answer. */
		snprintf(r->error, sizeof r->error,
		         "an answer larger than %zu bytes (see --max-body)", got.max);
		return -1;
	}
	if (r->code != CURLE_OK) {
		/* curl's error buffer may name the URL: keep only the code's own text. */
		snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(r->code));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

int
ve_http_send(struct ve_http *h, const struct ve_http_req *req, struct ve_http_resp *r)
{
	const char *what = h->what ? h->what : "HTTP";
	int rc;

	r->attempts = 0;
	if (!ve_url_is_http(req->url)) {
		/* Tools refuse such a URL as a usage error; this is the last guard. */
		ve_buf_reset(&r->body);
		ve_buf_adds(&r->body, "");
		r->status = 0;
		r->retry_after = -1;
		r->code = CURLE_UNSUPPORTED_PROTOCOL;
		snprintf(r->error, sizeof r->error, "not an http:// or https:// URL");
		return -1;
	}
	for (;;) {
		r->attempts++;
		rc = send_once(h, req, r);
		if (r->attempts > h->retry.retries ||
		    !ve_http_retryable(&h->retry, r->code, r->status, &r->body, false))
			return rc;
		double w = ve_backoff(&h->retry, r->attempts, r->retry_after, &h->rng);
		if (h->verbose && rc)
			ve_warn("%s: %s (attempt %d of %d); retrying in %.3g s", what, r->error,
			        r->attempts, h->retry.retries + 1, w);
		else if (h->verbose)
			ve_warn("%s: HTTP %ld (attempt %d of %d); retrying in %.3g s", what,
			        r->status, r->attempts, h->retry.retries + 1, w);
		ve_sleep(w);
	}
}

void
ve_http_resp_free(struct ve_http_resp *r)
{
	ve_buf_free(&r->body);
}

/* --- OpenAI-compatible servers --- */

bool
ve_http_api_key(const char *file, char **key)
{
	*key = NULL;
	if (file) {
		FILE *f = fopen(file, "r");
		char *line = NULL;
		size_t cap = 0;
		if (!f) {
			ve_warn("--api-key-file: %s: cannot open", file);
			return false;
		}
		ssize_t n = getline(&line, &cap, f);
		fclose(f);
		if (n <= 0) {
			free(line);
			ve_warn("--api-key-file: %s: empty", file);
			return false;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		*key = line;
		return true;
	}
	const char *e = getenv("OPENAI_API_KEY");
	if (!e || !*e)
		e = getenv("VLLM_API_KEY");
	if (e && *e)
		*key = ve_xstrdup(e);
	return true;
}

bool
ve_http_api_auth(struct ve_http *h, const char *file)
{
	char *key;

	if (!ve_http_api_key(file, &key))
		return false;
	ve_http_api_headers(h, key);
	if (key)
		memset(key, 0, strlen(key));
	free(key);
	return true;
}

void
ve_http_error_text(const char *body, size_t len, struct ve_buf *out)
{
	jv v = jv_parse_sized(body, (int)len);

	if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv e = ve_json_get(v, "error");
		jv m = jv_get_kind(e) == JV_KIND_OBJECT ? ve_json_get(e, "message") : jv_copy(e);
		if (jv_get_kind(m) != JV_KIND_STRING) {
			jv_free(m);
			m = ve_json_get(v, "message");
		}
		jv_free(e);
		if (jv_get_kind(m) == JV_KIND_STRING) {
			ve_buf_adds(out, jv_string_value(m));
			jv_free(m);
			jv_free(v);
			return;
		}
		jv_free(m);
	}
	jv_free(v);
	size_t n = len > 200 ? 200 : len;
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
		n--;
	ve_buf_add(out, body, n);
}

/* An invalid jv whose message is text with h's secrets scrubbed. */
static jv
scrubbed_error(const struct ve_http *h, const char *text)
{
	struct ve_buf b = {0};

	ve_scrub(&h->secrets, text, strlen(text), &b);
	jv v = jv_invalid_with_msg(jv_string(b.p));
	ve_buf_free(&b);
	return v;
}

/* The answer of a blocking JSON call: the parsed object, or an invalid jv saying why. */
static jv
json_call(struct ve_http *h, const char *url, const char *body, double timeout)
{
	struct ve_http_resp r = {0};
	struct ve_http_req req = {
	    .url = url, .body = body, .len = body ? strlen(body) : 0, .timeout = timeout};
	jv v;

	if (ve_http_send(h, &req, &r) != 0) {
		v = scrubbed_error(h, r.error);
	} else if (r.status != 200) {
		struct ve_buf m = {0};
		ve_buf_addf(&m, "%ld ", r.status);
		ve_http_error_text(r.body.p, r.body.len, &m);
		v = scrubbed_error(h, m.p);
		ve_buf_free(&m);
	} else {
		v = jv_parse_sized(r.body.p, (int)r.body.len);
		if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			v = jv_invalid_with_msg(jv_string("the answer is not a JSON object"));
		} else if (!jv_is_valid(v)) {
			jv_free(v);
			v = jv_invalid_with_msg(jv_string("the answer is not JSON"));
		}
	}
	ve_http_resp_free(&r);
	return v;
}

jv
ve_http_tokenize(struct ve_http *h, const char *root, const char *model, const char *text,
                 size_t len, double timeout)
{
	struct ve_buf url = {0}, body = {0};

	ve_buf_addf(&url, "%s/tokenize", root);
	ve_buf_adds(&body, "{");
	if (model) {
		ve_buf_adds(&body, "\"model\":");
		ve_buf_add_json_str(&body, model, strlen(model));
		ve_buf_adds(&body, ",");
	}
	ve_buf_adds(&body, "\"prompt\":");
	ve_buf_add_json_str(&body, text, len);
	ve_buf_adds(&body, ",\"add_special_tokens\":false}");
	jv v = json_call(h, url.p, body.p, timeout);
	ve_buf_free(&url);
	ve_buf_free(&body);
	if (!jv_is_valid(v))
		return v;
	jv t = jv_object_get(v, jv_string("tokens"));
	if (jv_get_kind(t) != JV_KIND_ARRAY) {
		jv_free(t);
		return jv_invalid_with_msg(jv_string("/tokenize answered without \"tokens\""));
	}
	return t;
}

jv
ve_http_first_model(struct ve_http *h, const char *root, double timeout)
{
	struct ve_buf url = {0};

	ve_buf_addf(&url, "%s/v1/models", root);
	jv v = json_call(h, url.p, NULL, timeout);
	ve_buf_free(&url);
	if (!jv_is_valid(v))
		return v;
	jv id = jv_getpath(v, JV_ARRAY(jv_string("data"), jv_number(0), jv_string("id")));
	if (jv_get_kind(id) != JV_KIND_STRING) {
		jv_free(id);
		return jv_invalid_with_msg(jv_string("/v1/models lists no model"));
	}
	return id;
}
