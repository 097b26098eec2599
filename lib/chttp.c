#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chttp.h"
#include "diag.h"
#include "num.h"

struct ve_http {
	CURL *curl;
};

static size_t
on_body(char *p, size_t size, size_t n, void *ctx)
{
	ve_buf_add(ctx, p, size * n);
	return size * n;
}

/* Keeps Retry-After when it is a number of seconds (the date form is ignored). */
static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct ve_http_resp *r = ctx;
	size_t len = size * n;
	const char name[] = "retry-after:";

	if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
		char v[64];
		size_t i = sizeof name - 1, k = 0;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && k < sizeof v - 1 && p[i] != '\r' && p[i] != '\n')
			v[k++] = p[i++];
		v[k] = '\0';
		double s;
		if (ve_parse_double(v, 0, 86400, &s))
			r->retry_after = s;
	}
	return len;
}

struct ve_http *
ve_http_new(void)
{
	static bool inited;
	struct ve_http *h = ve_xcalloc(1, sizeof *h);

	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = true;
	}
	h->curl = curl_easy_init();
	if (!h->curl)
		ve_die(VE_EX_SOFTWARE, "cannot start libcurl");
	return h;
}

void
ve_http_free(struct ve_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
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

static int
send_once(struct ve_http *h, const struct ve_http_req *req, const struct ve_http_retry *rt,
          struct ve_http_resp *r)
{
	CURL *c = h->curl;
	struct curl_slist *hl = NULL;
	char err[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	curl_easy_reset(c);
	for (const char *const *p = req->headers; p && *p; p++)
		hl = curl_slist_append(hl, *p);
	/* No "Expect: 100-continue" round trip before the body. */
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (!req->get) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vllm-eval/" VE_VERSION);
	if (rt->timeout > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(rt->timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	if (rt->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	ve_buf_reset(&r->body);
	r->retry_after = -1;
	r->status = 0;
	cc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	if (cc != CURLE_OK) {
		/* curl's message may hold the URL: keep only the code's own text. */
		snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

int
ve_http_send(struct ve_http *h, const struct ve_http_req *req, const struct ve_http_retry *rt,
             struct ve_http_resp *r)
{
	double wait = rt->base;
	int rc = -1;

	r->attempts = 0;
	for (int i = 0; i < (rt->attempts > 0 ? rt->attempts : 1); i++) {
		r->attempts++;
		rc = send_once(h, req, rt, r);
		bool again = rc != 0 || (rt->again ? rt->again(r->status, &r->body)
		                                   : r->status == 429 || r->status >= 500);
		if (!again || i + 1 >= rt->attempts)
			break;
		double w = r->retry_after >= 0 ? r->retry_after : wait;
		if (w > rt->max)
			w = rt->max;
		if (rt->verbose) {
			if (rc)
				ve_warn("%s: %s (attempt %d of %d); retrying in %g s", rt->what,
				        r->error, i + 1, rt->attempts, w);
			else
				ve_warn("%s: HTTP %ld (attempt %d of %d); retrying in %g s",
				        rt->what, r->status, i + 1, rt->attempts, w);
		}
		ve_sleep(w);
		wait = fmin(wait * 2, rt->max);
	}
	return rc;
}

void
ve_http_resp_free(struct ve_http_resp *r)
{
	ve_buf_free(&r->body);
}
